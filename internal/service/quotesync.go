package service

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/desk"
	"github.com/tandemhq/tandem/internal/importer"
)

// SyncResult is what SyncImportedQuotes did: desk quotes created, quotes
// given a new version, quotes already up to date, and one sentence for
// each quote that could not be synced.
type SyncResult = importer.QuoteSync

// importedNote is the note of every quote version the sync writes; it is
// how the sync tells its own versions from edits made in the desk.
const importedNote = "synced from imported quotes"

// SyncImportedQuotes turns every imported quote (the quotes entity, with
// its quote_lines) into a deal-desk quote of the same id: a new quote, or
// a new version of it when the import changed it, with the diff, the
// deal check and smart re-approval that SaveQuote gives every version.
// Line ids are the quote_lines ids, so re-approval compares lines across
// versions.
//
// It runs after an import of quotes or quote_lines commits, and is
// idempotent: a quote whose imported content equals the version last
// synced from an import is left alone, even when someone has edited it
// in the desk since (the edit stands until the source system changes the
// quote). A quote without lines yet, or one the desk refuses (a product
// or feature it cannot find, prices that do not agree), is listed in
// Problems and skipped; the others are still synced, and running it again
// retries. The error is a store failure.
func (s *Service) SyncImportedQuotes(ctx context.Context, a Actor) (SyncResult, error) {
	res := SyncResult{Problems: []string{}}
	qe, err := s.cat.Entity("quotes")
	if err != nil {
		return res, err
	}
	le, err := s.cat.Entity("quote_lines")
	if err != nil {
		return res, err
	}
	var quotes []tandem.Record
	if err := s.store.Scan(ctx, "quotes", func(r tandem.Record) error {
		quotes = append(quotes, r)
		return nil
	}); err != nil {
		return res, fmt.Errorf("sync imported quotes: %w", err)
	}
	if len(quotes) == 0 {
		return res, nil
	}
	lines := map[string][]tandem.QuoteLine{}
	if err := s.store.Scan(ctx, "quote_lines", func(r tandem.Record) error {
		q := text(le, r, "quote_id")
		lines[q] = append(lines[q], quoteLineOf(le, r))
		return nil
	}); err != nil {
		return res, fmt.Errorf("sync imported quotes: %w", err)
	}
	// The import wrote behind the desk's back: products it created and
	// the deals it changed must be seen.
	s.invalidateDesk()
	st, err := s.deskState(ctx)
	if err != nil {
		return res, err
	}
	for _, r := range quotes {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		q, err := quoteOf(qe, r, lines[r.ID()])
		if err != nil {
			res.Problems = append(res.Problems, err.Error())
			continue
		}
		if len(q.Lines) == 0 {
			res.Problems = append(res.Problems, fmt.Sprintf("quote %s: no lines yet (import its quote_lines)", q.ID))
			continue
		}
		outcome, err := s.syncQuote(ctx, st, a, q)
		switch tandem.ErrorCode(err) {
		case "":
		case tandem.EINVALID, tandem.ENOTFOUND, tandem.ECONFLICT:
			res.Problems = append(res.Problems, tandem.ErrorMessage(err))
			continue
		default:
			return res, fmt.Errorf("sync quote %s: %w", q.ID, err)
		}
		switch outcome {
		case syncCreated:
			res.Created++
		case syncVersioned:
			res.Versioned++
		default:
			res.Unchanged++
		}
	}
	return res, nil
}

// syncOutcome is what syncing one quote did.
type syncOutcome int

const (
	syncUnchanged syncOutcome = iota
	syncCreated
	syncVersioned
)

// syncQuote saves q as a new version of its desk quote unless the version
// last synced from an import already says the same.
func (s *Service) syncQuote(ctx context.Context, st *deskState, a Actor, q tandem.Quote) (syncOutcome, error) {
	docs, err := s.store.DocVersions(ctx, tandem.DocQuote, q.ID)
	switch {
	case tandem.ErrorCode(err) == tandem.ENOTFOUND:
		docs = nil
	case err != nil:
		return syncUnchanged, err
	}
	if len(docs) > 0 {
		for i := len(docs) - 1; i >= 0; i-- {
			if docs[i].Note != importedNote {
				continue
			}
			same, err := sameAsSynced(st, q, docs[i])
			if err != nil || same {
				return syncUnchanged, err
			}
			break
		}
		q.Version = docs[len(docs)-1].Version
	}
	q.Note = importedNote
	v, err := s.SaveQuote(ctx, a, q)
	switch {
	case err != nil:
		return syncUnchanged, err
	case len(docs) == 0:
		return syncCreated, nil
	case v.Quote.Version == q.Version:
		return syncUnchanged, nil // the desk's latest version already says the same
	}
	return syncVersioned, nil
}

// sameAsSynced reports whether q, made into a desk quote as SaveQuote
// would (catalog names resolved, defaults filled), equals the quote of a
// stored version.
func sameAsSynced(st *deskState, q tandem.Quote, d tandem.Doc) (bool, error) {
	var body storedQuote
	if err := json.Unmarshal(d.Body, &body); err != nil {
		return false, fmt.Errorf("quote %s version %d: %w", d.ID, d.Version, err)
	}
	q.Lines, q.Promises = slices.Clone(q.Lines), slices.Clone(q.Promises)
	if st.resolveQuote(&q) != nil || desk.Normalize(&q) != nil {
		return false, nil // SaveQuote reports why
	}
	prev := body.Quote
	prev.Author, prev.CreatedAt, prev.Note, prev.Version = "", time.Time{}, "", 0
	q.Author, q.CreatedAt, q.Note, q.Version = "", time.Time{}, "", 0
	return prev.DealID == q.DealID && len(desk.Diff(&prev, &q)) == 0, nil
}

// quoteOf builds the desk quote of an imported quote record and its lines.
func quoteOf(e *tandem.Entity, r tandem.Record, lines []tandem.QuoteLine) (tandem.Quote, error) {
	q := tandem.Quote{ID: r.ID(), DealID: text(e, r, "deal_id"), Currency: text(e, r, "currency"),
		Billing: text(e, r, "billing"), NonstandardTerms: text(e, r, "nonstandard_terms"), Lines: lines}
	if n, ok := Value(e, r, "term_months").(int64); ok {
		q.TermMonths = int(n)
	}
	if n, ok := Value(e, r, "payment_terms_days").(int64); ok {
		q.PaymentDays = int(n)
	}
	items, _ := Value(e, r, "promises").([]string)
	for _, it := range items {
		f, d, err := tandem.ParsePromise(it)
		if err != nil {
			return q, fmt.Errorf("quote %s: %v", q.ID, err)
		}
		q.Promises = append(q.Promises, tandem.Promise{Feature: f, Date: d})
	}
	return q, nil
}

// quoteLineOf builds a desk quote line from an imported quote_lines
// record: an empty quantity is 1, empty prices and discount are left for
// the desk to fill (the catalog's list price, the net price from the
// discount or the discount from the net price).
func quoteLineOf(e *tandem.Entity, r tandem.Record) tandem.QuoteLine {
	l := tandem.QuoteLine{ID: r.ID(), Product: text(e, r, "product_id"), Quantity: 1}
	if n := number(e, r, "quantity"); n != nil {
		l.Quantity = *n
	}
	if n := number(e, r, "list_price"); n != nil {
		l.ListPrice = *n
	}
	if n := number(e, r, "discount"); n != nil {
		l.Discount = *n
	}
	if n := number(e, r, "net_price"); n != nil {
		l.NetPrice = *n
	}
	return l
}
