package service

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/internal/winloss"
)

func wlDay(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// seedWinLoss loads a handful of records: three accounts (one churned),
// a product, two features, five deals (three lost, one won, one open) and
// two subscriptions.
func seedWinLoss(t testing.TB, s *Service) {
	t.Helper()
	ctx := t.Context()
	l, err := s.store.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	put := func(entity string, cols map[string]any) {
		t.Helper()
		e, err := s.cat.Entity(entity)
		if err != nil {
			t.Fatal(err)
		}
		r := tandem.Record{Values: make([]any, len(e.Columns))}
		for name, v := range cols {
			c, i := e.Column(name)
			if c == nil {
				t.Fatalf("%s has no column %s", entity, name)
			}
			r.Values[i] = v
		}
		if err := l.Put(ctx, e, r); err != nil {
			t.Fatalf("put %s %v: %v", entity, cols["id"], err)
		}
	}
	put("accounts", map[string]any{"id": "a1", "name": "Acme", "segment": "SMB"})
	put("accounts", map[string]any{"id": "a2", "name": "Bolt", "segment": "Enterprise"})
	put("accounts", map[string]any{"id": "a3", "name": "Churny"})
	put("products", map[string]any{"id": "p1", "name": "Core"})
	put("features", map[string]any{"id": "sso", "name": "SSO", "status": "planned"})
	put("features", map[string]any{"id": "old", "name": "Old", "status": "ga", "released_at": wlDay("2024-01-01")})
	put("deals", map[string]any{"id": "d1", "name": "Acme big", "stage": "Closed Lost", "outcome": "lost", "closed": wlDay("2025-11-05"), "amount": 80000.0,
		"account_id": "a1", "products": []string{"p1"}, "competitors": []string{"Northwind CRM"}, "loss_reasons": []string{"price", "weird text"}})
	put("deals", map[string]any{"id": "d2", "name": "Bolt", "stage": "Closed Lost", "outcome": "lost", "closed": wlDay("2025-12-10"), "amount": 20000.0,
		"account_id": "a2", "loss_reasons": []string{"missing feature"}})
	put("deals", map[string]any{"id": "d3", "stage": "Closed Won", "outcome": "won", "closed": wlDay("2025-11-20"), "amount": 30000.0, "account_id": "a1"})
	put("deals", map[string]any{"id": "d4", "stage": "Demo", "outcome": "open", "account_id": "a1"})
	put("deals", map[string]any{"id": "d5", "stage": "Closed Lost", "outcome": "lost", "closed": wlDay("2026-01-10"), "amount": 10000.0, "loss_reasons": []string{"timing"}})
	put("subscriptions", map[string]any{"id": "s1", "account_id": "a3", "start": wlDay("2024-01-01"), "status": "churned", "churned_at": wlDay("2025-12-01"), "mrr": 500.0})
	put("subscriptions", map[string]any{"id": "s2", "account_id": "a1", "start": wlDay("2024-01-01"), "status": "active", "mrr": 900.0})
	if _, err := l.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

const wlTaxonomy = `reasons:
  - {code: price, label: Price, category: price, addressed_by: [sso]}
  - {code: missing-feature, label: Missing feature, category: missing-feature, addressed_by: [old]}
  - {code: competitor, label: Competitor, category: competitor}
  - {code: timing, label: Timing, category: timing}
  - {code: other, label: Other, category: other}
value_map:
  weird text: other
`

func TestWinLoss(t *testing.T) {
	for _, d := range testdb.Dialects(t) {
		t.Run(d, func(t *testing.T) { testWinLoss(t, d) })
	}
}

func testWinLoss(t *testing.T, dialect string) {
	s, _ := newService(t, dialect)
	seedWinLoss(t, s)
	ctx := t.Context()
	pm := Actor{Name: "pm@x.io"}

	// The taxonomy: the default until saved; refused whole when invalid.
	tax, err := s.Taxonomy(ctx)
	if err != nil || !tax.Default || tax.Version != 0 || len(tax.Taxonomy.Reasons) < 8 {
		t.Fatalf("default taxonomy: %+v %v", tax, err)
	}
	bad := tandem.Taxonomy{Reasons: []tandem.ReasonDef{{Code: "price", Label: "Price", Category: "cost", AddressedBy: []string{"warp-drive"}}}}
	_, err = s.PutTaxonomy(ctx, pm, bad, 0, "")
	if tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(err.Error(), `category "cost"`) || !strings.Contains(err.Error(), `"warp-drive" is not in the feature catalog`) {
		t.Errorf("invalid taxonomy: %v", err)
	}
	saved, err := s.ApplyTaxonomy(ctx, pm, "tax.yaml", []byte(wlTaxonomy), 0, "first")
	if err != nil || saved.Version != 1 || saved.Default {
		t.Fatalf("apply: %+v %v", saved, err)
	}
	if _, err := s.ApplyTaxonomy(ctx, pm, "tax.yaml", []byte(wlTaxonomy), 0, "stale"); tandem.ErrorCode(err) != tandem.ECONFLICT {
		t.Errorf("stale taxonomy edit: %v", err)
	}
	if got, _ := s.Taxonomy(ctx); got.Version != 1 || got.UpdatedBy != "pm@x.io" || got.Note != "first" {
		t.Errorf("saved taxonomy: %+v", got)
	}

	// Reasons of a deal.
	rep := Actor{Name: "rep@x.io"}
	if _, err := s.AddDealReasons(ctx, rep, "nope", []tandem.DealReason{{Code: "price", Source: "rep", Confidence: "high"}}); tandem.ErrorCode(err) != tandem.ENOTFOUND {
		t.Errorf("unknown deal: %v", err)
	}
	_, err = s.AddDealReasons(ctx, rep, "d2", []tandem.DealReason{{Code: "weather", Source: "gossip", Confidence: "sure"}})
	if tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(err.Error(), "3 problems") {
		t.Errorf("bad reason: %v", err)
	}
	if _, err := s.AddDealReasons(ctx, rep, "d4", []tandem.DealReason{{Code: "timing", Source: "rep", Confidence: "high"}}); tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(err.Error(), "not closed") {
		t.Errorf("reason on an open deal: %v", err)
	}
	many := slices.Repeat([]tandem.DealReason{{Code: "timing", Source: "rep", Confidence: "high"}}, 51)
	if _, err := s.AddDealReasons(ctx, rep, "d2", many); tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(err.Error(), "at most 50") {
		t.Errorf("51 reasons: %v", err)
	}
	v, err := s.AddDealReasons(ctx, rep, "d2", []tandem.DealReason{{Code: "timing", Source: "rep", Confidence: "high", Note: "budget freeze"}})
	if err != nil || v.Version != 1 || len(v.Reasons) != 2 {
		t.Fatalf("add reasons: %+v %v", v, err)
	}
	if v.Reasons[0].Origin != "crm" || v.Reasons[0].Code != "missing-feature" || v.Reasons[1].Origin != "recorded" || v.Reasons[1].By != "rep@x.io" {
		t.Errorf("reasons of d2: %+v", v.Reasons)
	}
	if v, _ := s.DealReasons(ctx, "d1"); !slices.Equal(v.Unmapped, []string{}) || v.Reasons[1].Code != "other" {
		t.Errorf("d1 reasons: %+v", v)
	}

	// Interviews: only about closed deals, with valid answers and reasons.
	if _, err := s.CreateInterview(ctx, pm, tandem.Interview{DealID: "d4", Date: wlDay("2026-01-05")}); tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(err.Error(), "not closed") {
		t.Errorf("interview on an open deal: %v", err)
	}
	seven := 7
	_, err = s.CreateInterview(ctx, pm, tandem.Interview{DealID: "d1", Kind: "chat", Answers: []tandem.Answer{{Question: "Why?", Score: &seven}},
		Reasons: []tandem.DealReason{{Code: "weather"}}})
	if tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(err.Error(), "score 7") || !strings.Contains(err.Error(), `"chat"`) || !strings.Contains(err.Error(), `"weather"`) {
		t.Errorf("bad interview: %v", err)
	}
	four := 4
	iv, err := s.CreateInterview(ctx, pm, tandem.Interview{DealID: "d1", Interviewee: "CFO", Date: wlDay("2025-11-20"),
		Answers: []tandem.Answer{{Question: "What decided it?", Answer: "Northwind's bundle", Score: &four}},
		Reasons: []tandem.DealReason{{Code: "competitor", Confidence: "high"}}})
	if err != nil || !strings.HasPrefix(iv.ID, "iv-") || iv.Kind != "interview" || iv.Reasons[0].Source != "interview" {
		t.Fatalf("interview: %+v %v", iv, err)
	}
	if _, err := s.CreateInterview(ctx, pm, tandem.Interview{ID: iv.ID, DealID: "d1"}); tandem.ErrorCode(err) != tandem.ECONFLICT {
		t.Errorf("same interview id twice: %v", err)
	}
	if got, err := s.Interview(ctx, iv.ID); err != nil || got.Interviewee != "CFO" || got.CreatedBy != "pm@x.io" {
		t.Errorf("get interview: %+v %v", got, err)
	}
	if _, err := s.Interview(ctx, "iv-none"); tandem.ErrorCode(err) != tandem.ENOTFOUND {
		t.Errorf("missing interview: %v", err)
	}
	if list, err := s.InterviewList(ctx, "d1"); err != nil || len(list) != 1 {
		t.Errorf("interviews of d1: %+v %v", list, err)
	}
	if v, _ := s.DealReasons(ctx, "d1"); len(v.Reasons) != 3 || v.Reasons[2].Origin != "interview:"+iv.ID {
		t.Errorf("d1 reasons with the interview: %+v", v.Reasons)
	}

	// Reports.
	rr, err := s.WinLossReasons(ctx, winloss.ReasonsQuery{By: winloss.BySegment}, winloss.Options{})
	if err != nil {
		t.Fatal(err)
	}
	groups := map[string]int{}
	for _, g := range rr.Groups {
		groups[g.Key] = g.N
		if !g.Insufficient {
			t.Errorf("group %s of %d deals is not marked insufficient", g.Key, g.N)
		}
	}
	if rr.Deals != 3 || groups["SMB"] != 1 || groups["Enterprise"] != 1 || groups["(no segment)"] != 1 {
		t.Errorf("reasons by segment: %+v", rr.Groups)
	}
	byComp, _ := s.WinLossReasons(ctx, winloss.ReasonsQuery{By: winloss.ByCompetitor}, winloss.Options{MinN: 1})
	if byComp.Groups[0].Key != "(no competitor)" || byComp.Groups[1].Key != "Northwind CRM" {
		t.Errorf("by competitor: %+v", byComp.Groups)
	}
	// Competitor names are matched as the competitor pages match them
	// (name or alias, ignoring case, spaces and hyphens): with a catalog
	// entry whose alias is the deal's spelling, the group takes its name.
	if _, err := s.SaveCompetitor(ctx, pm, tandem.Competitor{Name: "Northwind", Aliases: []string{"northwind-crm"}}, 0); err != nil {
		t.Fatal(err)
	}
	if byComp, _ := s.WinLossReasons(ctx, winloss.ReasonsQuery{By: winloss.ByCompetitor}, winloss.Options{MinN: 1}); byComp.Groups[1].Key != "Northwind" {
		t.Errorf("by competitor with a catalog: %+v", byComp.Groups)
	}
	gap, err := s.WinLossGap(ctx, winloss.GapQuery{}, winloss.Options{})
	if err != nil || gap.Paired != 1 || gap.Deals != 3 || !gap.Insufficient {
		t.Errorf("gap: %+v %v", gap, err)
	}
	rc, err := s.RoadmapCheck(ctx, time.Time{}, winloss.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var codes []string
	for _, r := range rc.Reasons {
		codes = append(codes, r.Code)
	}
	// 2025-Q4 has d1 (80000: price, other, competitor) and d2 (20000:
	// missing-feature, timing): one deal each, ties broken by revenue
	// then code. Competitor is addressed by nothing: red.
	if rc.Quarter != "2025-Q4" || rc.LostDeals != 2 || rc.Status != winloss.StatusRed || !slices.Equal(codes, []string{"competitor", "other", "price"}) {
		t.Errorf("roadmap check: %s %d %s %v", rc.Quarter, rc.LostDeals, rc.Status, codes)
	}
	if p := rc.Reasons[2]; !p.Addressed || p.LostRevenue != 80000 || p.Features[0].Name != "SSO" {
		t.Errorf("price: %+v", p)
	}

	// Post-mortems.
	admin := Actor{Name: "admin@x.io"}
	good := tandem.Postmortem{Subject: "deal", SubjectID: "d1", Causes: []string{"price", "differentiation"}, Summary: "lost on price",
		Evidence: []string{"/deals/d1"}, Actions: []tandem.PostmortemStep{{What: "bundle pricing", Owner: "pm@x.io", Due: wlDay("2026-04-01")}}, Date: wlDay("2025-11-30")}
	for _, c := range []struct {
		name string
		p    tandem.Postmortem
		want string
	}{
		{"won deal", tandem.Postmortem{Subject: "deal", SubjectID: "d3", Causes: []string{"price"}}, "not lost"},
		{"no deal", tandem.Postmortem{Subject: "deal", SubjectID: "zz", Causes: []string{"price"}}, `no deal "zz"`},
		{"no account", tandem.Postmortem{Subject: "account", SubjectID: "zz", Causes: []string{"price"}}, `no account "zz"`},
		{"bad cause", tandem.Postmortem{Subject: "deal", SubjectID: "d1", Causes: []string{"weather"}}, `"weather" is not one of`},
	} {
		if _, err := s.SavePostmortem(ctx, admin, c.p, 0); tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want EINVALID with %q", c.name, err, c.want)
		}
	}
	before, err := s.PostmortemReport(ctx, time.Time{}, time.Time{}, winloss.Options{}, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(before.Missing) != 2 || before.Missing[0].SubjectID != "d1" || before.Missing[1].SubjectID != "a3" || before.MinAmount != 50000 {
		t.Errorf("missing before: %+v", before.Missing)
	}
	p1, err := s.SavePostmortem(ctx, admin, good, 0)
	if err != nil || p1.Version != 1 || !strings.HasPrefix(p1.ID, "pm-") || p1.SubjectName != "Acme big" {
		t.Fatalf("save: %+v %v", p1, err)
	}
	if _, err := s.SavePostmortem(ctx, admin, good, 0); tandem.ErrorCode(err) != tandem.ECONFLICT {
		t.Errorf("second post-mortem of d1: %v", err)
	}
	edit := p1.Postmortem
	edit.Actions[0].Done = true
	p2, err := s.SavePostmortem(ctx, admin, edit, 1)
	if err != nil || p2.Version != 2 || !p2.Actions[0].Done {
		t.Fatalf("edit: %+v %v", p2, err)
	}
	if _, err := s.SavePostmortem(ctx, admin, edit, 1); tandem.ErrorCode(err) != tandem.ECONFLICT {
		t.Errorf("stale edit: %v", err)
	}
	if _, err := s.SavePostmortem(ctx, admin, edit, -1); tandem.ErrorCode(err) != tandem.EINVALID {
		t.Errorf("negative version: %v", err)
	}
	noID := edit
	noID.ID = ""
	if _, err := s.SavePostmortem(ctx, admin, noID, 2); tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(err.Error(), "id: missing") {
		t.Errorf("edit without an id: %v", err)
	}
	huge := edit
	huge.Summary = strings.Repeat("x", 10001)
	if _, err := s.SavePostmortem(ctx, admin, huge, 2); tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(err.Error(), "summary") {
		t.Errorf("huge summary: %v", err)
	}
	moved := edit
	moved.SubjectID = "d2"
	if _, err := s.SavePostmortem(ctx, admin, moved, 2); tandem.ErrorCode(err) != tandem.EINVALID {
		t.Errorf("subject change: %v", err)
	}
	if list, err := s.Postmortems(ctx); err != nil || len(list) != 1 || list[0].SubjectName != "Acme big" || list[0].Version != 2 {
		t.Errorf("list: %+v %v", list, err)
	}
	after, err := s.PostmortemReport(ctx, time.Time{}, time.Time{}, winloss.Options{}, true)
	if err != nil || len(after.Missing) != 1 || after.Missing[0].SubjectID != "a3" || after.RootCauses.Total.N != 1 {
		t.Errorf("report after: %+v %v", after, err)
	}
	if noCust, _ := s.PostmortemReport(ctx, time.Time{}, time.Time{}, winloss.Options{}, false); len(noCust.Missing) != 0 || len(noCust.Notes) == 0 {
		t.Errorf("without customers:read: %+v", noCust)
	}

	// Two people writing the first post-mortem of one account at once:
	// exactly one succeeds, the other is told to edit it.
	churn := tandem.Postmortem{Subject: "account", SubjectID: "a3", Causes: []string{"onboarding"}, Date: wlDay("2025-12-05")}
	errs := make(chan error, 2)
	for range 2 {
		go func() { _, err := s.SavePostmortem(ctx, admin, churn, 0); errs <- err }()
	}
	var ok, conflict int
	for range 2 {
		switch err := <-errs; tandem.ErrorCode(err) {
		case "":
			ok++
		case tandem.ECONFLICT:
			conflict++
		default:
			t.Errorf("racing post-mortems: %v", err)
		}
	}
	if ok != 1 || conflict != 1 {
		t.Errorf("racing post-mortems: %d saved, %d conflicts", ok, conflict)
	}

	// Every write is in the audit log.
	for action, n := range map[string]int{"winloss.taxonomy": 1, "winloss.reasons": 1, "winloss.interview": 1, "postmortem.save": 3} {
		entries, _, err := s.Audit(ctx, tandem.AuditQuery{Action: action})
		if err != nil || len(entries) != n {
			t.Errorf("audit %s: %d entries, want %d (%v)", action, len(entries), n, err)
		}
	}
}
