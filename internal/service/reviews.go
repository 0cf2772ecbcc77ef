package service

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/desk"
)

// reviewTriggersID is the settings document holding the review triggers.
const reviewTriggersID = "review-triggers"

// ReviewTriggers returns the deal-review triggers and their version (0:
// the defaults, never saved).
func (s *Service) ReviewTriggers(ctx context.Context) (desk.Triggers, int, error) {
	t := desk.DefaultTriggers()
	d, err := s.store.Doc(ctx, tandem.DocTriggers, reviewTriggersID, 0)
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		return t, 0, nil
	}
	if err != nil {
		return t, 0, err
	}
	t = desk.Triggers{}
	if err := json.Unmarshal(d.Body, &t); err != nil {
		return t, 0, fmt.Errorf("review triggers version %d: %w", d.Version, err)
	}
	return t, d.Version, nil
}

// PutReviewTriggers stores new triggers as a new version.
func (s *Service) PutReviewTriggers(ctx context.Context, a Actor, t desk.Triggers) (desk.Triggers, error) {
	if err := t.Validate(); err != nil {
		return t, err
	}
	old, v, err := s.ReviewTriggers(ctx)
	if err != nil {
		return t, err
	}
	d := tandem.Doc{Kind: tandem.DocTriggers, ID: reviewTriggersID, Version: v + 1, Body: tandem.AuditJSON(t), Author: a.Name, CreatedAt: s.now().UTC()}
	audit := s.entry(a, "desk.review.triggers", reviewTriggersID, old, t)
	return t, s.store.PutDoc(ctx, d, &audit)
}

// reviewDeal is a deal as the review code reads it.
type reviewDeal struct {
	id, name, stage, outcome, rep, account string
	amount                                 float64
	closed                                 time.Time
	products                               []string
	fire                                   desk.ReviewDeal
	segment                                string
}

// reviewDeals reads every deal with what the triggers look at.
func (s *Service) reviewDeals(ctx context.Context) ([]reviewDeal, error) {
	type acct struct{ name, industry, segment string }
	accounts := map[string]acct{}
	ae, _ := s.cat.Entity("accounts")
	if err := s.store.Scan(ctx, "accounts", func(r tandem.Record) error {
		accounts[r.ID()] = acct{text(ae, r, "name"), text(ae, r, "industry"), text(ae, r, "segment")}
		return nil
	}); err != nil {
		return nil, err
	}
	de, _ := s.cat.Entity("deals")
	var out []reviewDeal
	err := s.store.Scan(ctx, "deals", func(r tandem.Record) error {
		d := reviewDeal{id: r.ID(), name: text(de, r, "name"), stage: text(de, r, "stage"), outcome: text(de, r, "outcome"),
			rep: text(de, r, "rep_id"), account: text(de, r, "account_id")}
		if n := number(de, r, "amount"); n != nil {
			d.amount = *n
		}
		d.closed, _ = Value(de, r, "closed").(time.Time)
		d.products, _ = Value(de, r, "products").([]string)
		a := accounts[d.account]
		d.segment = a.segment
		d.fire = desk.ReviewDeal{Amount: d.amount, Industry: a.industry, AccountID: d.account, AccountName: a.name,
			ProductGap: r.Attrs["product_gap"], Special: r.Attrs["special_request"]}
		out = append(out, d)
		return nil
	})
	return out, err
}

// reviewOf decodes a stored review.
func reviewOf(d tandem.Doc) (desk.Review, error) {
	var r desk.Review
	if err := json.Unmarshal(d.Body, &r); err != nil {
		return r, fmt.Errorf("review %s version %d: %w", d.ID, d.Version, err)
	}
	r.Version, r.UpdatedBy = d.Version, d.Author
	if r.Actions == nil {
		r.Actions = []desk.Action{}
	}
	if r.Evidence.Figures == nil {
		r.Evidence.Figures = []desk.Figure{}
	}
	if r.Evidence.Flags == nil {
		r.Evidence.Flags = []string{}
	}
	if r.Triggers == nil {
		r.Triggers = []string{}
	}
	return r, nil
}

// reviewID is the review document of a deal: one review per deal.
func reviewID(dealID string) string { return "review/" + dealID }

// ScanReviews opens a review for every open deal the triggers fire on and
// that has none yet, and fills the outcome of reviews whose deal has
// closed. It returns how many reviews it opened and closed.
func (s *Service) ScanReviews(ctx context.Context, a Actor) (opened, closed int, err error) {
	t, _, err := s.ReviewTriggers(ctx)
	if err != nil {
		return 0, 0, err
	}
	deals, err := s.reviewDeals(ctx)
	if err != nil {
		return 0, 0, err
	}
	docs, err := s.store.Docs(ctx, tandem.DocReview, "")
	if err != nil {
		return 0, 0, err
	}
	reviews := map[string]tandem.Doc{}
	for _, d := range docs {
		reviews[d.Ref] = d
	}
	for _, d := range deals {
		doc, has := reviews[d.id]
		switch {
		case has && d.outcome != "open" && d.outcome != "":
			r, err := reviewOf(doc)
			if err != nil {
				return opened, closed, err
			}
			if r.Outcome != "" {
				continue
			}
			r.Outcome, r.ClosedAt = d.outcome, d.closed
			switch err := s.putReview(ctx, Actor{Name: "system:review", Remote: a.Remote}, r, doc.Version, "the deal closed "+d.outcome); {
			case tandem.ErrorCode(err) == tandem.ECONFLICT:
				// Someone saved the review meanwhile; the next scan fills it.
			case err != nil:
				return opened, closed, err
			default:
				closed++
			}
		case !has && (d.outcome == "open" || d.outcome == ""):
			reasons := t.Fire(d.fire)
			if len(reasons) == 0 {
				continue
			}
			switch err := s.openReview(ctx, a, d, reasons); {
			case tandem.ErrorCode(err) == tandem.ECONFLICT:
				// Another scan opened it at the same moment.
			case err != nil:
				return opened, closed, err
			default:
				opened++
			}
		}
	}
	return opened, closed, nil
}

// reviewOnQuote opens a review for a deal a quote was just saved for, when
// the triggers fire and it has none: the quote is often when the deal's
// size, gaps or specials become known. Failures do not undo the saved
// quote; the next scan (agenda) retries.
func (s *Service) reviewOnQuote(ctx context.Context, a Actor, dealID string) error {
	if _, err := s.store.Doc(ctx, tandem.DocReview, reviewID(dealID), 0); err == nil || tandem.ErrorCode(err) != tandem.ENOTFOUND {
		return err
	}
	t, _, err := s.ReviewTriggers(ctx)
	if err != nil {
		return err
	}
	de, r, err := s.Get(ctx, "deals", dealID)
	if err != nil {
		return err
	}
	d := reviewDeal{id: dealID, name: text(de, r, "name"), stage: text(de, r, "stage"), outcome: text(de, r, "outcome"),
		rep: text(de, r, "rep_id"), account: text(de, r, "account_id")}
	if n := number(de, r, "amount"); n != nil {
		d.amount = *n
	}
	d.products, _ = Value(de, r, "products").([]string)
	d.fire = desk.ReviewDeal{Amount: d.amount, AccountID: d.account, ProductGap: r.Attrs["product_gap"], Special: r.Attrs["special_request"]}
	if d.account != "" {
		if ae, ar, err := s.Get(ctx, "accounts", d.account); err == nil {
			d.fire.AccountName, d.fire.Industry, d.segment = text(ae, ar, "name"), text(ae, ar, "industry"), text(ae, ar, "segment")
		}
	}
	if d.outcome != "open" && d.outcome != "" {
		return nil
	}
	if reasons := t.Fire(d.fire); len(reasons) > 0 {
		return s.openReview(ctx, a, d, reasons)
	}
	return nil
}

// openReview writes a new review with the deal's snapshot and the desk's
// evidence.
func (s *Service) openReview(ctx context.Context, a Actor, d reviewDeal, reasons []string) error {
	r := desk.Review{DealID: d.id, Triggers: reasons, OpenedAt: s.now().UTC(), Actions: []desk.Action{},
		Snapshot: desk.ReviewSnapshot{Name: d.name, Stage: d.stage, Amount: d.amount, Account: d.fire.AccountName,
			Segment: d.segment, Industry: d.fire.Industry, Rep: d.rep, Products: d.products}}
	if quotes, err := s.store.Docs(ctx, tandem.DocQuote, d.id); err == nil && len(quotes) > 0 {
		q := latestDoc(quotes)
		r.Snapshot.Quote = fmt.Sprintf("%s v%d", q.ID, q.Version)
	}
	if c, err := s.CheckDeal(ctx, d.id); err == nil {
		r.Evidence.Archetype = c.Match
		for _, f := range c.Flags {
			r.Evidence.Flags = append(r.Evidence.Flags, f.Code)
		}
		if st, err := s.deskState(ctx); err == nil {
			for _, arch := range st.model.Archetypes() {
				if arch.ID == c.Match.Archetype {
					r.Evidence.Figures = append(r.Evidence.Figures, arch.WinRate, arch.RenewalRate)
					r.Evidence.Figures = append(r.Evidence.Figures, arch.LossReasons...)
				}
			}
		}
	} else if tandem.ErrorCode(err) != tandem.EINVALID {
		// A deal with nothing to draft a quote from still gets its review,
		// without desk evidence; anything else is a real failure.
		return err
	}
	return s.putReview(ctx, a, r, 0, "opened: "+strings.Join(reasons, "; "))
}

// putReview stores a review version after version prev.
func (s *Service) putReview(ctx context.Context, a Actor, r desk.Review, prev int, note string) error {
	r.Version, r.UpdatedBy = 0, ""
	d := tandem.Doc{Kind: tandem.DocReview, ID: reviewID(r.DealID), Version: prev + 1, Ref: r.DealID,
		Body: tandem.AuditJSON(r), Author: a.Name, Note: note, CreatedAt: s.now().UTC()}
	audit := s.entry(a, "desk.review.save", r.DealID, map[string]int{"version": prev}, map[string]any{"version": prev + 1, "note": note})
	return s.store.PutDoc(ctx, d, &audit)
}

// Review returns a deal's review and its history, or ENOTFOUND.
func (s *Service) Review(ctx context.Context, dealID string) (desk.Review, []tandem.Doc, error) {
	docs, err := s.store.DocVersions(ctx, tandem.DocReview, reviewID(dealID))
	if err != nil {
		if tandem.ErrorCode(err) == tandem.ENOTFOUND {
			return desk.Review{}, nil, tandem.Errorf(tandem.ENOTFOUND, "deal %s has no review", dealID)
		}
		return desk.Review{}, nil, err
	}
	r, err := reviewOf(docs[len(docs)-1])
	for i := range docs {
		docs[i].Body = nil
	}
	return r, docs, err
}

// ReviewUpdate is what people fill in on a review.
type ReviewUpdate struct {
	Version         int           `json:"version"` // the version the edit started from
	ProductResponse string        `json:"product_response"`
	Decision        string        `json:"decision"`
	Actions         []desk.Action `json:"actions"`
}

// UpdateReview records product's response, the decision and the actions
// as a new version; an edit from a stale version is ECONFLICT.
func (s *Service) UpdateReview(ctx context.Context, a Actor, dealID string, u ReviewUpdate) (desk.Review, error) {
	r, _, err := s.Review(ctx, dealID)
	if err != nil {
		return r, err
	}
	if u.Version != r.Version {
		return r, tandem.Errorf(tandem.ECONFLICT, "the review of deal %s is at version %d; the edit started from version %d", dealID, r.Version, u.Version)
	}
	r.ProductResponse, r.Decision, r.Actions = strings.TrimSpace(u.ProductResponse), strings.TrimSpace(u.Decision), u.Actions
	if r.Actions == nil {
		r.Actions = []desk.Action{}
	}
	if err := r.Validate(); err != nil {
		return r, err
	}
	if err := s.putReview(ctx, a, r, u.Version, "updated"); err != nil {
		return r, err
	}
	r, _, err = s.Review(ctx, dealID)
	return r, err
}

// AgendaItem is one deal on a review meeting's agenda.
type AgendaItem struct {
	Review      desk.Review   `json:"review"`
	OpenActions []desk.Action `json:"open_actions"`
	Overdue     int           `json:"overdue_actions"`
}

// Agenda is the list for one product–sales review meeting.
type Agenda struct {
	Meeting time.Time    `json:"meeting"`
	Items   []AgendaItem `json:"items"`
}

// ReviewAgenda opens any reviews the triggers call for (as the system, not
// the reader: reading the agenda is not a decision of theirs), then lists
// for the first meeting on or after date every review whose deal is still
// open or that has open actions, largest deals first.
func (s *Service) ReviewAgenda(ctx context.Context, a Actor, date time.Time) (*Agenda, error) {
	if _, _, err := s.ScanReviews(ctx, Actor{Name: "system:review", Remote: a.Remote}); err != nil {
		return nil, err
	}
	t, _, err := s.ReviewTriggers(ctx)
	if err != nil {
		return nil, err
	}
	ag := &Agenda{Meeting: t.NextMeeting(date), Items: []AgendaItem{}}
	docs, err := s.store.Docs(ctx, tandem.DocReview, "")
	if err != nil {
		return nil, err
	}
	for _, d := range docs {
		r, err := reviewOf(d)
		if err != nil {
			return nil, err
		}
		open := r.OpenActions()
		if r.Outcome != "" && len(open) == 0 {
			continue
		}
		it := AgendaItem{Review: r, OpenActions: open}
		if it.OpenActions == nil {
			it.OpenActions = []desk.Action{}
		}
		for _, x := range open {
			if x.Due.Before(ag.Meeting) {
				it.Overdue++
			}
		}
		ag.Items = append(ag.Items, it)
	}
	slices.SortFunc(ag.Items, func(x, y AgendaItem) int {
		return cmp.Or(cmp.Compare(y.Review.Snapshot.Amount, x.Review.Snapshot.Amount), cmp.Compare(x.Review.DealID, y.Review.DealID))
	})
	return ag, nil
}

// ReviewOutcomes compares closed deals that were reviewed with similar
// closed deals that were not: deals the current triggers fire on, closed
// in the window, without a review. Win rates with Wilson intervals, and
// their difference with a Newcombe interval; the comparison says
// "associated with", because reviewed deals were chosen, not assigned.
type ReviewOutcomes struct {
	Reviewed   desk.Figure `json:"reviewed"`
	Unreviewed desk.Figure `json:"unreviewed"`
	Difference desk.Figure `json:"difference"`
	Notes      []string    `json:"notes"`
}

// ReviewReport computes ReviewOutcomes over deals closed from from to to
// (zero: open ends).
func (s *Service) ReviewReport(ctx context.Context, from, to time.Time) (*ReviewOutcomes, error) {
	t, _, err := s.ReviewTriggers(ctx)
	if err != nil {
		return nil, err
	}
	deals, err := s.reviewDeals(ctx)
	if err != nil {
		return nil, err
	}
	docs, err := s.store.Docs(ctx, tandem.DocReview, "")
	if err != nil {
		return nil, err
	}
	reviewed := map[string]bool{}
	var since time.Time // when the first review opened
	for _, d := range docs {
		reviewed[d.Ref] = true
		if r, err := reviewOf(d); err == nil && (since.IsZero() || r.OpenedAt.Before(since)) {
			since = r.OpenedAt
		}
	}
	set, _, err := s.DeskSettings(ctx)
	if err != nil {
		return nil, err
	}
	var rk, rn, uk, un int
	for _, d := range deals {
		if d.outcome != "won" && d.outcome != "lost" {
			continue
		}
		if (!from.IsZero() && d.closed.Before(from)) || (!to.IsZero() && d.closed.After(to)) {
			continue
		}
		won := 0
		if d.outcome == "won" {
			won = 1
		}
		switch {
		case reviewed[d.id]:
			rk, rn = rk+won, rn+1
		case len(t.Fire(d.fire)) > 0:
			uk, un = uk+won, un+1
		}
	}
	out := &ReviewOutcomes{
		Reviewed:   desk.ProportionFigure("win rate of reviewed deals", rk, rn, set.MinN),
		Unreviewed: desk.ProportionFigure("win rate of similar deals not reviewed (the triggers fire, no review)", uk, un, set.MinN),
		Difference: desk.DiffFigure("win rate difference, reviewed − not reviewed", rk, rn, uk, un, set.MinN, "associated with review; reviewed deals were chosen, not assigned"),
		Notes: []string{
			"Win rate = won / (won + lost) over closed deals; open deals are not losses.",
			"Similar deals are closed deals the current triggers fire on that have no review record.",
		},
	}
	if !since.IsZero() {
		out.Notes = append(out.Notes, fmt.Sprintf("The first review opened on %s; deals closed before it could not have been reviewed and differ in time as well. Set the window's start to that day to compare only deals closed since.", since.Format(time.DateOnly)))
	}
	return out, nil
}
