package service

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/desk"
	"github.com/tandemhq/tandem/internal/desk/rules"
)

// SimulateRules replays a rule file (not applied: nothing is stored) over
// the quotes of deals closed from from to to (zero: open ends): each
// deal's latest saved desk quote, with the facts recorded when it was
// saved, or a quote drawn from its line items (or its products and amount)
// checked against today's desk model. See desk.Simulate for the figures.
func (s *Service) SimulateRules(ctx context.Context, name string, data []byte, from, to time.Time) (*desk.Simulation, error) {
	rs, err := rules.Parse(name, data)
	if err != nil {
		return nil, err
	}
	st, err := s.deskState(ctx)
	if err != nil {
		return nil, err
	}
	stored := map[string]storedQuote{}
	docs, err := s.store.Docs(ctx, tandem.DocQuote, "")
	if err != nil {
		return nil, err
	}
	latest := map[string]time.Time{}
	for _, d := range docs {
		if t, ok := latest[d.Ref]; ok && !d.CreatedAt.After(t) {
			continue
		}
		var body storedQuote
		if err := json.Unmarshal(d.Body, &body); err != nil {
			return nil, fmt.Errorf("quote %s: %w", d.ID, err)
		}
		stored[d.Ref], latest[d.Ref] = body, d.CreatedAt
	}

	segments := map[string]string{}
	ae, _ := s.cat.Entity("accounts")
	if err := s.store.Scan(ctx, "accounts", func(r tandem.Record) error {
		segments[r.ID()] = text(ae, r, "segment")
		return nil
	}); err != nil {
		return nil, err
	}
	type line struct {
		product       string
		qty, unit     float64
		hasQty, hasUP bool
	}
	lines := map[string][]line{}
	le, _ := s.cat.Entity("line_items")
	if err := s.store.Scan(ctx, "line_items", func(r tandem.Record) error {
		l := line{product: text(le, r, "product_id")}
		if q := number(le, r, "quantity"); q != nil && *q > 0 {
			l.qty, l.hasQty = *q, true
		}
		if u := number(le, r, "unit_price"); u != nil {
			l.unit, l.hasUP = *u, true
		}
		deal := text(le, r, "deal_id")
		lines[deal] = append(lines[deal], l)
		return nil
	}); err != nil {
		return nil, err
	}

	de, _ := s.cat.Entity("deals")
	var past []desk.PastQuote
	now := s.now().UTC()
	classOf := func(p string) string { return st.products[p].class }
	err = s.store.Scan(ctx, "deals", func(r tandem.Record) error {
		outcome := text(de, r, "outcome")
		if outcome != "won" && outcome != "lost" {
			return nil
		}
		closed, _ := Value(de, r, "closed").(time.Time)
		if (!from.IsZero() || !to.IsZero()) && closed.IsZero() {
			return nil
		}
		if (!from.IsZero() && closed.Before(from)) || (!to.IsZero() && closed.After(to)) {
			return nil
		}
		id := r.ID()
		if sq, ok := stored[id]; ok {
			past = append(past, desk.PastQuote{DealID: id, Facts: sq.Facts, Won: outcome == "won", Stored: true})
			return nil
		}
		q := tandem.Quote{DealID: id, TermMonths: 12, Billing: "annual", PaymentDays: 30}
		for _, l := range lines[id] {
			ql := tandem.QuoteLine{Product: l.product, Quantity: 1, ListPrice: st.products[l.product].price}
			if l.hasQty {
				ql.Quantity = l.qty
			}
			if l.hasUP {
				ql.NetPrice = l.unit
			} else {
				ql.NetPrice = ql.ListPrice
			}
			ql.ListPrice = max(ql.ListPrice, ql.NetPrice)
			q.Lines = append(q.Lines, ql)
		}
		amount := 0.0
		if n := number(de, r, "amount"); n != nil {
			amount = *n
		}
		if len(q.Lines) == 0 {
			prods, _ := Value(de, r, "products").([]string)
			for _, p := range prods {
				ql := tandem.QuoteLine{Product: p, Quantity: 1, ListPrice: st.products[p].price}
				if amount > 0 {
					ql.NetPrice = amount / float64(len(prods))
				}
				ql.ListPrice = max(ql.ListPrice, ql.NetPrice)
				q.Lines = append(q.Lines, ql)
			}
		}
		for i := range q.Lines {
			l := &q.Lines[i]
			l.ID = fmt.Sprintf("L%d", i+1)
			if l.ListPrice > 0 {
				l.Discount = 100 * (1 - l.NetPrice/l.ListPrice)
			}
		}
		seg := segments[text(de, r, "account_id")]
		c := st.model.Check(&q, desk.DealInfo{ID: id, Segment: seg, Amount: amount}, now)
		past = append(past, desk.PastQuote{DealID: id, Facts: desk.Facts(&q, seg, amount, &c, classOf, now), Won: outcome == "won"})
		return nil
	})
	if err != nil {
		return nil, err
	}
	decided, err := s.store.Approvals(ctx, tandem.ApprovalQuery{Status: []tandem.ApprovalStatus{tandem.ApprovalApproved, tandem.ApprovalRejected}})
	if err != nil {
		return nil, err
	}
	var waits []float64
	for _, a := range decided {
		if a.CarriedFrom == "" && !a.ActedAt.IsZero() && !a.RequestedAt.IsZero() {
			waits = append(waits, a.ActedAt.Sub(a.RequestedAt).Hours())
		}
	}
	sim := desk.Simulate(rs, past, waits, st.settings.MinN)
	return &sim, nil
}
