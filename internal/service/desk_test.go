package service

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/demo"
	"github.com/tandemhq/tandem/internal/desk"
	"github.com/tandemhq/tandem/internal/testdb"
)

// deskRules is a two-level rule set: a discount over 10% needs the rep's
// manager; payment terms over 60 days need the manager's manager (the VP).
const deskRules = `version: 1
sla: 24h
rules:
  - name: discount-over-10
    level: 1
    chain: discount
    when: {any: [{field: line.discount, op: ">", value: 10}, {field: quote.discount, op: ">", value: 10}]}
    approvers: {mode: sequential, steps: [{relation: manager}]}
  - name: long-payment-terms
    level: 2
    when: {field: quote.payment_terms_days, op: ">", value: 60d}
    approvers: {mode: sequential, steps: [{relation: managers-manager}]}
`

// deskFixture is a service over demo data with users for one account
// executive, their manager and the VP, named as the reps are.
type deskFixture struct {
	s            *Service
	clk          *clock
	deal         string
	rep, mgr, vp tandem.User
	admin        tandem.User
	repID, mgrID string
	actor        func(u tandem.User) Actor
	others       []tandem.User // users for every other rep
}

func newDeskFixture(t testing.TB, dialect string) *deskFixture {
	t.Helper()
	s, clk := newService(t, dialect)
	ctx := t.Context()
	l, err := s.store.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Generate(ctx, s.cat, l, demo.DefaultConfig().Scaled(1500), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	f := &deskFixture{s: s, clk: clk, actor: func(u tandem.User) Actor { return Actor{Name: u.Email} }}
	reps, err := s.reps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]desk.Rep{}
	for _, r := range reps {
		byID[r.ID] = r
	}
	// An account executive: a rep whose manager has a manager.
	var ae desk.Rep
	for _, r := range reps {
		if m, ok := byID[r.Manager]; ok && m.Manager != "" {
			ae = r
			break
		}
	}
	if ae.ID == "" {
		t.Fatal("demo data has no rep two levels down")
	}
	mgr := byID[ae.Manager]
	vp := byID[mgr.Manager]
	f.repID, f.mgrID = ae.ID, mgr.ID
	mk := func(email, name string, role tandem.Role) tandem.User {
		u, err := s.CreateUser(ctx, Actor{Name: "test"}, NewUser{Email: email, Name: name, Role: role, Password: pw}, role == tandem.RoleAdmin)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	f.admin = mk("admin@x.io", "Admin", tandem.RoleAdmin)
	f.rep = mk("ae@x.io", ae.Name, tandem.RoleSales)
	f.mgr = mk("mgr@x.io", mgr.Name, tandem.RoleSales)
	f.vp = mk("vp@x.io", vp.Name, tandem.RoleSales)
	if f.others, err = s.CreateRepUsers(ctx, Actor{Name: "test"}, "reps.x.io", pw); err != nil || len(f.others) == 0 {
		t.Fatalf("users for the other reps: %d, %v", len(f.others), err)
	}
	open, err := s.store.List(ctx, "deals", tandem.Query{Filters: []tandem.Filter{{Column: "rep_id", Value: ae.ID}, {Column: "outcome", Value: "open"}}, Limit: 1})
	if err != nil || len(open.Records) == 0 {
		t.Fatalf("no open deal of %s: %v", ae.ID, err)
	}
	f.deal = open.Records[0].ID()
	return f
}

func TestDeskQuoteApprovalFlow(t *testing.T) {
	for _, d := range testdb.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			f := newDeskFixture(t, d)
			s, ctx := f.s, t.Context()
			ops := Actor{Name: f.admin.Email}

			// Archetypes: derive, then accept every proposal.
			props, err := s.DeriveArchetypes(ctx, desk.DeriveOptions{})
			if err != nil || len(props) == 0 {
				t.Fatalf("derive: %d, %v", len(props), err)
			}
			for _, a := range props {
				a.Status = "accepted"
				if _, err := s.SaveArchetype(ctx, ops, a, "accepted as derived"); err != nil {
					t.Fatal(err)
				}
			}
			// A bad rule file changes nothing; a good one applies.
			if _, err := s.ApplyRules(ctx, ops, "bad.yaml", []byte("version: 1\nrules:\n  - name: x\n    levle: 1\n"), ""); tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(err.Error(), "bad.yaml:4") {
				t.Fatalf("bad rules: %v", err)
			}
			if _, err := s.Rules(ctx, 0); tandem.ErrorCode(err) != tandem.ENOTFOUND {
				t.Fatalf("rules after a refused apply: %v", err)
			}
			if _, err := s.ApplyRules(ctx, ops, "rules.yaml", []byte(deskRules), "two levels"); err != nil {
				t.Fatal(err)
			}

			// The rep builds a quote from the deal's draft.
			draft, err := s.DraftQuote(ctx, f.deal)
			if err != nil {
				t.Fatal(err)
			}
			for i := range draft.Lines {
				if draft.Lines[i].ListPrice == 0 {
					draft.Lines[i].ListPrice = 1000
				}
				draft.Lines[i].NetPrice, draft.Lines[i].Discount = 0, 15
			}
			draft.PaymentDays = 90
			draft.Promises = nil
			v1, err := s.SaveQuote(ctx, f.actor(f.rep), *draft)
			if err != nil {
				t.Fatal(err)
			}
			if v1.Quote.Version != 1 || v1.Status != "pending" {
				t.Fatalf("v1: version %d status %s", v1.Quote.Version, v1.Status)
			}
			steps := map[string]tandem.Approval{}
			for _, a := range v1.Approvals {
				steps[a.Rule] = a
			}
			if steps["discount-over-10"].Approver != f.mgr.Email || steps["long-payment-terms"].Approver != f.vp.Email {
				t.Fatalf("routing: %+v", v1.Approvals)
			}
			if len(v1.Check.Flags) == 0 {
				t.Error("a 90-day quote at 15 percent off raised no flag")
			}
			for _, fl := range v1.Check.Flags {
				if fl.Code == "" || fl.Message == "" || fl.Link == "" {
					t.Errorf("flag without code, message or link: %+v", fl)
				}
				for _, e := range fl.Evidence {
					if !e.Insufficient && (e.N <= 0 || e.CILow > e.Value || e.Value > e.CIHigh) {
						t.Errorf("flag %s evidence without n or interval: %+v", fl.Code, e)
					}
				}
			}
			if _, err := s.AckFlag(ctx, f.actor(f.rep), v1.Quote.ID, v1.Check.Flags[0].Code, "customer knows"); err != nil {
				t.Fatal(err)
			}

			// The VP cannot approve the manager's step; each approves theirs.
			if _, err := s.Decide(ctx, f.actor(f.vp), f.vp, steps["discount-over-10"].ID, desk.Approve, ""); tandem.ErrorCode(err) != tandem.EFORBIDDEN {
				t.Fatalf("VP on the manager's step: %v", err)
			}
			if _, err := s.Decide(ctx, f.actor(f.mgr), f.mgr, steps["discount-over-10"].ID, desk.Approve, "within band"); err != nil {
				t.Fatal(err)
			}
			// Two decisions racing on one step: exactly one lands.
			var wg sync.WaitGroup
			errs := make([]error, 4)
			for i := range errs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = s.Decide(ctx, f.actor(f.vp), f.vp, steps["long-payment-terms"].ID, desk.Approve, "ok")
				}()
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case tandem.ErrorCode(err) != tandem.ECONFLICT:
					t.Errorf("racing decision: %v", err)
				}
			}
			if ok != 1 {
				t.Fatalf("%d racing decisions landed, want 1: %v", ok, errs)
			}
			after, err := s.Quote(ctx, v1.Quote.ID, 0)
			if err != nil || after.Status != "approved" {
				t.Fatalf("after both approvals: %v %v", after.Status, err)
			}

			// The rep lengthens the payment terms: only the VP's approval
			// is asked again; the manager's stands, and the record says why.
			q := after.Quote
			q.PaymentDays, q.Note = 120, "customer asked for net 120"
			f.clk.t = f.clk.t.Add(time.Hour)
			v2, err := s.SaveQuote(ctx, f.actor(f.rep), q)
			if err != nil {
				t.Fatal(err)
			}
			if v2.Quote.Version != 2 || v2.Status != "pending" || len(v2.Changes) != 1 || v2.Changes[0].Field != "payment_terms_days" {
				t.Fatalf("v2: version %d status %s changes %+v", v2.Quote.Version, v2.Status, v2.Changes)
			}
			for _, a := range v2.Approvals {
				switch a.Rule {
				case "discount-over-10":
					if a.Status != tandem.ApprovalApproved || a.CarriedFrom == "" || !strings.Contains(a.Basis, "stands from version 1") {
						t.Errorf("manager's approval did not stand: %+v", a)
					}
				case "long-payment-terms":
					if a.Status != tandem.ApprovalPending || !strings.Contains(a.Basis, "rose from 90") {
						t.Errorf("VP's approval not asked again: %+v", a)
					}
				}
			}
			// A decision on the superseded version is refused.
			if _, err := s.Decide(ctx, f.actor(f.vp), f.vp, steps["long-payment-terms"].ID, desk.Approve, ""); tandem.ErrorCode(err) != tandem.ECONFLICT {
				t.Errorf("decision on version 1: %v", err)
			}
			// Saving the same quote again stores nothing; an edit from a stale
			// version is refused.
			same, err := s.SaveQuote(ctx, f.actor(f.rep), v2.Quote)
			if err != nil || same.Latest != 2 {
				t.Errorf("idempotent save: latest %d, %v", same.Latest, err)
			}
			stale := v2.Quote
			stale.Version, stale.TermMonths = 1, 24
			if _, err := s.SaveQuote(ctx, f.actor(f.rep), stale); tandem.ErrorCode(err) != tandem.ECONFLICT {
				t.Errorf("stale edit: %v", err)
			}

			// Past its SLA the VP's step escalates one level, to admins (the
			// VP has no manager).
			f.clk.t = f.clk.t.Add(25 * time.Hour)
			n, err := s.EscalateDue(ctx, ops)
			if err != nil || n != 1 {
				t.Fatalf("escalated %d, %v", n, err)
			}
			inbox, err := s.Inbox(ctx, f.admin, false)
			if err != nil || len(inbox) != 1 || !strings.Contains(inbox[0].Via, "escalated from vp@x.io") {
				t.Fatalf("admin inbox after escalation: %+v %v", inbox, err)
			}
			// What-if: the same rules replayed over the closed deals.
			sim, err := s.SimulateRules(ctx, "rules.yaml", []byte(deskRules), time.Time{}, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if sim.Quotes == 0 || sim.Needed.Deals+sim.NotNeeded.Deals != sim.Quotes || sim.LineItems != sim.Quotes || sim.Wait.N != 2 {
				t.Errorf("simulation: %d quotes, %d+%d sides, %d from line items, wait n=%d", sim.Quotes, sim.Needed.Deals, sim.NotNeeded.Deals, sim.LineItems, sim.Wait.N)
			}
			if len(sim.Levels) == 0 || sim.Levels[0].Level != 1 || sim.Levels[0].Quotes.N != sim.Quotes {
				t.Errorf("simulation levels: %+v", sim.Levels)
			}
			audit, _, err := s.Audit(ctx, tandem.AuditQuery{Action: "desk.", Limit: 100})
			if err != nil {
				t.Fatal(err)
			}
			seen := map[string]bool{}
			for _, e := range audit {
				seen[e.Action] = true
			}
			for _, want := range []string{"desk.rules.apply", "desk.archetype.save", "desk.quote.save", "desk.flag.ack", "desk.approval.approve", "desk.approval.escalate"} {
				if !seen[want] {
					t.Errorf("no %s in the audit log (have %v)", want, seen)
				}
			}
		})
	}
}

func TestDeskBadInput(t *testing.T) {
	f := newDeskFixture(t, "sqlite")
	s, ctx := f.s, t.Context()
	for _, tc := range []struct {
		q    tandem.Quote
		want string
	}{
		{tandem.Quote{DealID: "nope", Lines: []tandem.QuoteLine{{Product: "x", Quantity: 1}}}, "no product \"x\""},
		{tandem.Quote{DealID: "nope"}, "a quote needs at least one line"},
		{tandem.Quote{DealID: f.deal, Lines: []tandem.QuoteLine{{Quantity: 1}}}, "lines[0].product: a line needs a product"},
		{tandem.Quote{ID: "missing", Version: 3, DealID: f.deal, Lines: []tandem.QuoteLine{{Product: "P01", Quantity: 1, ListPrice: 1}}}, ""},
	} {
		_, err := s.SaveQuote(ctx, f.actor(f.rep), tc.q)
		if err == nil || (tc.want != "" && !strings.Contains(err.Error(), tc.want)) {
			t.Errorf("SaveQuote(%+v) = %v; want %q", tc.q, err, tc.want)
		}
	}
	// A rule file whose relation step needs a manager some rep lacks, or a
	// user who does not exist, is refused whole.
	bad := "version: 1\nrules:\n  - name: a\n    level: 1\n    when: {field: quote.discount, op: \">\", value: 5}\n    approvers: {mode: sequential, steps: [{user: ghost@x.io}]}\n"
	if _, err := s.ApplyRules(ctx, f.actor(f.admin), "r.yaml", []byte(bad), ""); err == nil || !strings.Contains(err.Error(), "no user ghost@x.io") {
		t.Errorf("unknown approver: %v", err)
	}
	disabled := true
	if _, err := s.UpdateUser(ctx, f.actor(f.admin), f.mgr.ID, UserChange{Disabled: &disabled}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyRules(ctx, f.actor(f.admin), "r.yaml", []byte(deskRules), ""); err == nil || !strings.Contains(err.Error(), "is not a user") {
		t.Errorf("a manager whose user is disabled: %v", err)
	}
}

// TestDeskModelKept checks that a new rule set or user rebuilds only the
// cheap parts of the desk's state, and a new archetype the model too.
func TestDeskModelKept(t *testing.T) {
	f := newDeskFixture(t, "sqlite")
	s, ctx := f.s, t.Context()
	st1, err := s.deskState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplyRules(ctx, Actor{Name: f.admin.Email}, "rules.yaml", []byte(deskRules), ""); err != nil {
		t.Fatal(err)
	}
	st2, err := s.deskState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st2 == st1 || st2.rules == nil || st2.model != st1.model || st2.deals != st1.deals {
		t.Errorf("after a rule set: new state %t, rules %v, same model %t", st2 != st1, st2.rules != nil, st2.model == st1.model)
	}
	props, err := s.DeriveArchetypes(ctx, desk.DeriveOptions{})
	if err != nil || len(props) == 0 {
		t.Fatal(err)
	}
	props[0].Status = desk.StatusAccepted
	if _, err := s.SaveArchetype(ctx, Actor{Name: f.admin.Email}, props[0], ""); err != nil {
		t.Fatal(err)
	}
	st3, err := s.deskState(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st3.model == st2.model || len(st3.model.Archetypes()) != 1 {
		t.Errorf("after accepting an archetype the model was not rebuilt (%d archetypes)", len(st3.model.Archetypes()))
	}
}
