package analytics

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/stats"
)

// The funnel fixture; the report date is testAsOf, 2025-01-01.
const (
	funnelAccounts = `
id,name,segment
a1,Acme,enterprise
a2,Beta,smb
`
	// L1: qualified after 10 days, deal D1 after 20, won 40 days after the deal.
	// L2: qualified after 5 days, deal D2 after 10, lost.
	// L3: no qualified_at, deal D3 after 30 days, open: qualified through the deal.
	// L4: qualified after 20 days, no deal. L5: nothing.
	// L6: qualified after the report date: not qualified.
	// L7: created after the report date: not in the funnel.
	// R1: qualified after 2 days; deals D4 (after 4 days, lost) and D5 (won
	// 20 days after its creation): won.
	// R2: qualified after 4 days, deal D6 after 14, closed won after the
	// report date: open as of it.
	funnelLeads = `
id,created,source,account_id,qualified_at
L1,2024-01-01,web,a1,2024-01-11
L2,2024-02-01,web,a2,2024-02-06
L3,2024-03-01,web,a1,
L4,2024-04-01,web,a2,2024-04-21
L5,2024-05-01,web,a2,
L6,2024-06-01,web,a1,2025-02-01
L7,2025-03-01,web,a1,
R1,2024-01-01,referral,a1,2024-01-03
R2,2024-01-01,referral,a2,2024-01-05
`
	funnelDeals = `
id,stage,lead_id,source,created,closed,outcome
D1,Closed Won,L1,web,2024-01-21,2024-03-01,won
D2,Closed Lost,L2,web,2024-02-11,2024-04-01,lost
D3,Proposal,L3,web,2024-03-31,,open
D4,Closed Lost,R1,referral,2024-01-05,2024-02-01,lost
D5,Closed Won,R1,referral,2024-01-10,2024-01-30,won
D6,Closed Won,R2,referral,2024-01-15,2025-02-01,won
D7,Closed Won,,web,2024-01-01,2024-02-01,won
`
)

func loadFunnel(f *fixture) {
	f.load("accounts", funnelAccounts)
	f.load("leads", funnelLeads)
	f.load("deals", funnelDeals)
}

// funnelWant is the expected figures of one funnel group; NaN days mean
// no duration.
type funnelWant struct {
	leads, qualified, deals, won, open int
	toQualify, toDeal, toWin           float64
	nQualify, nDeal, nWin, closed      int
}

func checkFunnelGroup(t *testing.T, g tandem.Group, w funnelWant) {
	t.Helper()
	for name, want := range map[string]int{"leads": w.leads, "qualified": w.qualified, "deals": w.deals, "won": w.won, "open": w.open} {
		if got := pipelineMetric(t, g, name); got.Value != float64(want) || got.N != want {
			t.Errorf("%v %s = %v (n=%d), want %d", g.Key, name, got.Value, got.N, want)
		}
	}
	checkProportion(t, g.Key, "lead → won", g.Estimate, w.won, w.leads)
	checkProportion(t, g.Key, "lead → qualified", pipelineMetric(t, g, "lead_to_qualified"), w.qualified, w.leads)
	checkProportion(t, g.Key, "qualified → deal", pipelineMetric(t, g, "qualified_to_deal"), w.deals, w.qualified)
	checkProportion(t, g.Key, "deal → won", pipelineMetric(t, g, "deal_to_won"), w.won, w.closed)
	for _, d := range []struct {
		name string
		want float64
		n    int
	}{{"days_to_qualify", w.toQualify, w.nQualify}, {"days_to_deal", w.toDeal, w.nDeal}, {"days_to_win", w.toWin, w.nWin}} {
		got := pipelineMetric(t, g, d.name)
		if !near(got.Value, d.want, 1e-9) || got.N != d.n {
			t.Errorf("%v %s = %v (n=%d), want %v (n=%d)", g.Key, d.name, got.Value, got.N, d.want, d.n)
		}
	}
}

// checkProportion checks k/n and its Wilson interval.
func checkProportion(t *testing.T, key map[string]string, what string, e tandem.Estimate, k, n int) {
	t.Helper()
	want := math.NaN()
	if n > 0 {
		want = float64(k) / float64(n)
	}
	iv := stats.Wilson(k, n, stats.Conf95)
	if e.N != n || !near(e.Value, want, 1e-12) || !near(e.CILow, iv.Lo, 1e-12) || !near(e.CIHigh, iv.Hi, 1e-12) {
		t.Errorf("%v %s = %v [%v, %v] n=%d, want %d/%d [%v, %v]", key, what, e.Value, e.CILow, e.CIHigh, e.N, k, n, iv.Lo, iv.Hi)
	}
}

func pipelineMetric(t *testing.T, g tandem.Group, name string) tandem.Estimate {
	t.Helper()
	e, ok := g.Metrics[name]
	if !ok {
		t.Fatalf("group %v has no metric %s", g.Key, name)
	}
	return e
}

// checkMetricsListed checks that every group has exactly the metrics the
// report lists.
func checkMetricsListed(t *testing.T, rep *tandem.Report) {
	t.Helper()
	for _, g := range rep.Groups {
		if len(g.Metrics) != len(rep.Metrics) {
			t.Errorf("group %v has %d metrics, the report lists %d", g.Key, len(g.Metrics), len(rep.Metrics))
		}
		for _, m := range rep.Metrics {
			if _, ok := g.Metrics[m.Name]; !ok {
				t.Errorf("group %v lacks listed metric %s", g.Key, m.Name)
			}
		}
	}
}

func hasNote(rep *tandem.Report, substr string) bool {
	return slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.Contains(n, substr) })
}

func TestFunnel(t *testing.T) {
	nan := math.NaN()
	// web: L1..L6 (L7 is after the report date).
	//   qualified L1, L2, L4 by date and L3 through its deal = 4 of 6
	//   deals L1, L2, L3 = 3 of 4 qualified; won L1, lost L2, open L3: deal → won 1/2
	//   lead → won 1/6
	//   days to qualify 10, 5, 20 → 10; to deal 20, 10, 30 → 20; to win 40 → 40
	web := funnelWant{leads: 6, qualified: 4, deals: 3, won: 1, open: 1, closed: 2,
		toQualify: 10, nQualify: 3, toDeal: 20, nDeal: 3, toWin: 40, nWin: 1}
	// referral: R1 won (D5 won, D4 lost), R2 open (D6 closes after the report date).
	//   qualified 2 of 2, deals 2 of 2, deal → won 1/1, lead → won 1/2
	//   days to qualify 2, 4 → 3; to deal 4 (R1's first deal D4), 14 → 9; to win 20
	referral := funnelWant{leads: 2, qualified: 2, deals: 2, won: 1, open: 1, closed: 1,
		toQualify: 3, nQualify: 2, toDeal: 9, nDeal: 2, toWin: 20, nWin: 1}
	// Medians of an even count are the midpoint of the middle two, as the
	// Kaplan–Meier median of all-event data is (R survfit).
	tests := []struct {
		name string
		p    tandem.ReportParams
		want map[string]funnelWant // by the value of the first key field
	}{
		{"by source", tandem.ReportParams{}, map[string]funnelWant{"web": web, "referral": referral}},
		// enterprise (a1): web L1, L3, L6; referral R1.
		//   web: qualified L1, L3 = 2 of 3; deals 2; won L1, open L3; lead → won 1/3
		{"where account.segment", tandem.ReportParams{Where: []tandem.Condition{{Field: "account.segment", Op: "=", Value: "enterprise"}}},
			map[string]funnelWant{
				"web": {leads: 3, qualified: 2, deals: 2, won: 1, open: 1, closed: 1,
					toQualify: 10, nQualify: 1, toDeal: 25, nDeal: 2, toWin: 40, nWin: 1}, // to deal 20, 30 → 25
				"referral": {leads: 1, qualified: 1, deals: 1, won: 1, closed: 1,
					toQualify: 2, nQualify: 1, toDeal: 4, nDeal: 1, toWin: 20, nWin: 1},
			}},
		// enterprise: L1, L3, L6, R1: qualified L1, L3, R1; deals L1, L3, R1;
		//   won L1, R1; open L3; lead → won 2/4; to qualify 10, 2 → 6;
		//   to deal 20, 30, 4 → 20; to win 40, 20 → 30
		// smb: L2, L4, L5, R2: qualified L2, L4, R2; deals L2, R2; lost L2,
		//   open R2; lead → won 0/4; to qualify 5, 20, 4 → 5; to deal 10, 14 → 12
		{"by account.segment", tandem.ReportParams{By: []string{"account.segment"}},
			map[string]funnelWant{
				"enterprise": {leads: 4, qualified: 3, deals: 3, won: 2, open: 1, closed: 2,
					toQualify: 6, nQualify: 2, toDeal: 20, nDeal: 3, toWin: 30, nWin: 2},
				"smb": {leads: 4, qualified: 3, deals: 2, won: 0, open: 1, closed: 1,
					toQualify: 5, nQualify: 3, toDeal: 12, nDeal: 2, toWin: nan, nWin: 0},
			}},
		// Leads created from February: web L2..L6, no referral lead.
		//   qualified L2, L3, L4 = 3 of 5; deals L2, L3; lost L2, open L3
		{"period", tandem.ReportParams{From: time.Date(2024, 2, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)},
			map[string]funnelWant{
				"web": {leads: 5, qualified: 3, deals: 2, won: 0, open: 1, closed: 1,
					toQualify: 12.5, nQualify: 2, toDeal: 20, nDeal: 2, toWin: nan, nWin: 0}, // 5, 20 → 12.5; 10, 30 → 20
			}},
		// As of 2024-03-15: L4..L6 do not exist yet; D1 has won (closed
		// 03-01), D2 is open (closes 04-01), D3 does not exist, so L3 is
		// neither qualified nor has a deal.
		//   web: L1, L2, L3: qualified L1, L2; deals L1, L2; won L1, open L2
		//   referral: R1 won; R2's deal open
		{"as of", tandem.ReportParams{AsOf: time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC)},
			map[string]funnelWant{
				"web": {leads: 3, qualified: 2, deals: 2, won: 1, open: 1, closed: 1,
					toQualify: 7.5, nQualify: 2, toDeal: 15, nDeal: 2, toWin: 40, nWin: 1}, // 10, 5 → 7.5; 20, 10 → 15
				"referral": referral,
			}},
	}
	eachDialect(t, func(t *testing.T, f *fixture) {
		loadFunnel(f)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.p.MinN = 1
				rep := f.run("funnel", tt.p)
				checkMetricsListed(t, rep)
				if len(rep.Groups) != len(tt.want) {
					t.Fatalf("%d groups, want %d: %+v", len(rep.Groups), len(tt.want), rep.Groups)
				}
				field := rep.KeyFields[0]
				for value, w := range tt.want {
					checkFunnelGroup(t, groupBy(t, rep, field, value), w)
				}
			})
		}
	})
}

func TestFunnelNotesAndDefinitions(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		loadFunnel(f)
		rep := f.run("funnel", tandem.ReportParams{})
		if rep.Value != "lead-to-won conversion" || rep.Unit != "proportion" || !slices.Equal(rep.KeyFields, []string{"source"}) {
			t.Errorf("headline %q %q by %v", rep.Value, rep.Unit, rep.KeyFields)
		}
		for _, note := range []string{
			"1 leads counted as qualified because they have a deal",                       // L3
			"1 deals are outside the funnel: 1 without a lead_id (1 of them new business", // D7, no type
		} {
			if !hasNote(rep, note) {
				t.Errorf("no note %q in %q", note, rep.Notes)
			}
		}
		for _, def := range []string{"qualified", "deal → won", "median days", "period", "fields"} {
			if rep.Definitions[def] == "" {
				t.Errorf("no definition of %q", def)
			}
		}
		// Below the default minimum sample (30) every figure is flagged.
		g := groupBy(t, rep, "source", "web")
		if !g.Insufficient || !strings.Contains(g.Note, "insufficient data (n=6 < 30)") {
			t.Errorf("web headline not flagged: %+v", g.Estimate)
		}
		if m := g.Metrics["days_to_deal"]; !m.Insufficient {
			t.Errorf("days_to_deal not flagged: %+v", m)
		}
		if m := g.Metrics["leads"]; m.Insufficient {
			t.Errorf("a count is flagged: %+v", m)
		}
	})
}

func TestFunnelErrors(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		loadFunnel(f)
		// Fields are the lead's: deals' outcome is not one.
		for _, p := range []tandem.ReportParams{
			{By: []string{"outcome"}},
			{Where: []tandem.Condition{{Field: "outcome", Op: "=", Value: "won"}}},
		} {
			if _, err := f.engine.Run(t.Context(), "funnel", p); tandem.ErrorCode(err) != tandem.EINVALID {
				t.Errorf("%+v: err = %v, want EINVALID", p, err)
			}
		}
	})
}

func TestFunnelEmpty(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		for _, name := range []string{"funnel", "stages"} {
			rep := f.run(name, tandem.ReportParams{})
			if len(rep.Groups) != 0 || len(rep.Notes) == 0 {
				t.Errorf("%s on an empty store: %d groups, notes %q", name, len(rep.Groups), rep.Notes)
			}
		}
		// Deals without a source and no leads: nothing to show, and why.
		f.load("deals", `
id,stage,created,closed,outcome
D1,Closed Won,2024-01-01,2024-02-01,won
`)
		rep := f.run("funnel", tandem.ReportParams{})
		if len(rep.Groups) != 0 || !hasNote(rep, "no deal has a source") {
			t.Errorf("funnel without leads or sources: %d groups, notes %q", len(rep.Groups), rep.Notes)
		}
	})
}

func TestFunnelNoLeads(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		// No leads: deal → won by the deal's source, deals by created date.
		// web: E1 won in 30 days, E2 won in 10, E3 lost, E4 open:
		//   deals 4, won 2 of 3 closed, days to win 10, 30 → 20
		// partner: E5 won in 20 days; E6 is created after the report date.
		f.load("deals", `
id,stage,source,created,closed,outcome
E1,Closed Won,web,2024-01-01,2024-01-31,won
E2,Closed Won,web,2024-02-01,2024-02-11,won
E3,Closed Lost,web,2024-01-01,2024-03-01,lost
E4,Proposal,web,2024-05-01,,open
E5,Closed Won,partner,2024-01-01,2024-01-21,won
E6,Closed Lost,partner,2025-02-01,2025-03-01,lost
`)
		rep := f.run("funnel", tandem.ReportParams{MinN: 1})
		if !hasNote(rep, "no leads in the store") || rep.Value != "deal-to-won conversion" {
			t.Errorf("fallback not said: %q, notes %q", rep.Value, rep.Notes)
		}
		checkMetricsListed(t, rep)
		if len(rep.Groups) != 2 {
			t.Fatalf("%d groups, want 2", len(rep.Groups))
		}
		for _, tt := range []struct {
			source                 string
			deals, won, lost, open int
			days                   float64
			nDays                  int
		}{
			{"web", 4, 2, 1, 1, 20, 2},
			{"partner", 1, 1, 0, 0, 20, 1},
		} {
			g := groupBy(t, rep, "source", tt.source)
			checkProportion(t, g.Key, "deal → won", g.Estimate, tt.won, tt.won+tt.lost)
			for name, want := range map[string]int{"deals": tt.deals, "won": tt.won, "lost": tt.lost, "open": tt.open} {
				if got := g.Metrics[name].Value; got != float64(want) {
					t.Errorf("%s %s = %v, want %d", tt.source, name, got, want)
				}
			}
			if d := g.Metrics["days_to_win"]; d.Value != tt.days || d.N != tt.nDays {
				t.Errorf("%s days to win = %v (n=%d), want %v (n=%d)", tt.source, d.Value, d.N, tt.days, tt.nDays)
			}
		}
		// --where applies to the deals then.
		rep = f.run("funnel", tandem.ReportParams{MinN: 1, Where: []tandem.Condition{{Field: "source", Op: "=", Value: "partner"}}})
		if len(rep.Groups) != 1 || rep.Groups[0].Key["source"] != "partner" {
			t.Errorf("where source=partner: %+v", rep.Groups)
		}
	})
}

// The stages fixture; the report date is testAsOf, 2025-01-01.
const (
	stageDeals = `
id,stage,source,created,closed,outcome
S1,Closed Won,web,2024-01-01,2024-02-20,won
S2,Closed Lost,web,2024-01-01,2024-01-25,lost
S3,Closed Lost,web,2024-01-01,2024-01-15,lost
S4,Proposal,partner,2024-01-01,,open
S5,Closed Won,partner,2024-01-01,2024-01-31,won
S6,Demo,web,2025-02-01,,open
`
	// Days in stage, from each entry to the next (or to the close):
	//   S1 Prospecting 10, Demo 20, Proposal 20, then Closed Won
	//   S2 Prospecting 4, Demo 20, then Closed Lost
	//   S3 Prospecting 14, then Closed Lost: lost without moving on
	//   S4 Prospecting 20, Demo 316 (01-21 to 12-02), Proposal still open:
	//      30 days censored at the report date
	//   S5 Prospecting 10, Proposal (skipping Demo) 20 to its close on 01-31,
	//      with no closing entry
	//   S6 is created after the report date.
	// Positions of first entries: Prospecting 0 ×5; Demo 1 ×3; Proposal
	// 2 (S1), 2 (S4), 1 (S5) → median 2. Order: Prospecting, Demo, Proposal.
	stageHistory = `
deal_id,stage,entered_at
S1,Prospecting,2024-01-01
S1,Demo,2024-01-11
S1,Proposal,2024-01-31
S1,Closed Won,2024-02-20
S2,Prospecting,2024-01-01
S2,Demo,2024-01-05
S2,Closed Lost,2024-01-25
S3,Prospecting,2024-01-01
S3,Closed Lost,2024-01-15
S4,Prospecting,2024-01-01
S4,Demo,2024-01-21
S4,Proposal,2024-12-02
S5,Prospecting,2024-01-01
S5,Proposal,2024-01-11
S6,Prospecting,2025-02-01
`
)

// stageWant is the expected figures of one stage row.
type stageWant struct {
	stage                    string
	entered, won, lost, open int
	advanced, decided        int // conversion to next: advanced / decided
	days                     float64
	nDays                    int
}

func checkStages(t *testing.T, rep *tandem.Report, key map[string]string, want []stageWant) {
	t.Helper()
	var got []tandem.Group
	for _, g := range rep.Groups {
		match := true
		for k, v := range key {
			match = match && g.Key[k] == v
		}
		if match {
			got = append(got, g)
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%v: %d stages, want %d: %+v", key, len(got), len(want), got)
	}
	for i, w := range want {
		g := got[i]
		if g.Key["stage"] != w.stage {
			t.Errorf("%v stage %d = %s, want %s", key, i, g.Key["stage"], w.stage)
			continue
		}
		checkProportion(t, g.Key, "to won", g.Estimate, w.won, w.won+w.lost)
		checkProportion(t, g.Key, "to next", pipelineMetric(t, g, "next"), w.advanced, w.decided)
		for name, n := range map[string]int{"entered": w.entered, "won": w.won, "lost": w.lost, "open": w.open} {
			if m := pipelineMetric(t, g, name); m.Value != float64(n) {
				t.Errorf("%v %s = %v, want %d", g.Key, name, m.Value, n)
			}
		}
		if d := pipelineMetric(t, g, "days"); !near(d.Value, w.days, 1e-9) || d.N != w.nDays {
			t.Errorf("%v days = %v (n=%d), want %v (n=%d)", g.Key, d.Value, d.N, w.days, w.nDays)
		}
	}
}

func TestStages(t *testing.T) {
	tests := []struct {
		name string
		p    tandem.ReportParams
		key  map[string]string
		want []stageWant
	}{
		// Prospecting: all 5; won S1, S5, lost S2, S3, open S4 → 2/4;
		//   moved on S1, S2, S4 (Demo), S5 (won) of those 4 + S3 lost → 4/5;
		//   days 4, 10, 10, 14, 20 → 10
		// Demo: S1, S2, S4; won S1, lost S2 → 1/2; moved on S1, S4, S2 lost
		//   there → 2/3; days 20, 20, 316 → 20
		// Proposal: S1, S4, S5; won S1, S5 → 2/2; S4 is open there, so left
		//   out of the next step: 2/2; days 20, 20 and 30 censored: at 20 two
		//   of three at risk end, S = 1/3 ≤ 0.5 → 20
		{"all", tandem.ReportParams{}, map[string]string{}, []stageWant{
			{"Prospecting", 5, 2, 2, 1, 4, 5, 10, 5},
			{"Demo", 3, 1, 1, 1, 2, 3, 20, 3},
			{"Proposal", 3, 2, 0, 1, 2, 2, 20, 3},
		}},
		// web: S1, S2, S3. Prospecting: won S1, lost S2, S3 → 1/3; moved on
		//   S1, S2 → 2/3; days 10, 4, 14 → 10. Demo: S1 won, S2 lost → 1/2;
		//   moved on S1 → 1/2; days 20, 20 → 20. Proposal: S1 → 1/1, 20.
		{"by source web", tandem.ReportParams{By: []string{"source"}}, map[string]string{"source": "web"}, []stageWant{
			{"Prospecting", 3, 1, 2, 0, 2, 3, 10, 3},
			{"Demo", 2, 1, 1, 0, 1, 2, 20, 2},
			{"Proposal", 1, 1, 0, 0, 1, 1, 20, 1},
		}},
		// partner: S4, S5. Prospecting: won S5, open S4 → 1/1; moved on
		//   both → 2/2; days 20, 10 → 15. Demo: S4, open but moved on to
		//   Proposal → next 1/1; to won 0/0; days 316. Proposal: S5 won, S4
		//   open → 1/1; next 1/1; days 20, and 30 censored: S drops to 1/2
		//   at 20 and never lower, so the median is the start of that
		//   stretch, 20 (as R prints it).
		{"by source partner", tandem.ReportParams{By: []string{"source"}}, map[string]string{"source": "partner"}, []stageWant{
			{"Prospecting", 2, 1, 0, 1, 2, 2, 15, 2},
			{"Demo", 1, 0, 0, 1, 1, 1, 316, 1},
			{"Proposal", 2, 1, 0, 1, 1, 1, 20, 2},
		}},
		// Only stays first entered from June: S4's Proposal.
		{"period", tandem.ReportParams{From: time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC)}, map[string]string{}, []stageWant{
			{"Proposal", 1, 0, 0, 1, 0, 0, math.NaN(), 1},
		}},
		// --where on the deal's fields.
		{"where", tandem.ReportParams{Where: []tandem.Condition{{Field: "source", Op: "=", Value: "partner"}}}, map[string]string{}, []stageWant{
			{"Prospecting", 2, 1, 0, 1, 2, 2, 15, 2},
			{"Demo", 1, 0, 0, 1, 1, 1, 316, 1},
			{"Proposal", 2, 1, 0, 1, 1, 1, 20, 2},
		}},
	}
	eachDialect(t, func(t *testing.T, f *fixture) {
		f.load("deals", stageDeals)
		f.load("deal_stages", stageHistory)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				tt.p.MinN = 1
				rep := f.run("stages", tt.p)
				checkMetricsListed(t, rep)
				if want := append(slices.Clone(tt.p.By), "stage"); !slices.Equal(rep.KeyFields, want) {
					t.Errorf("key fields %v, want %v", rep.KeyFields, want)
				}
				checkStages(t, rep, tt.key, tt.want)
			})
		}
		rep := f.run("stages", tandem.ReportParams{By: []string{"stage"}})
		if !hasNote(rep, "Closed Lost, Closed Won") || !hasNote(rep, "--by stage left out") {
			t.Errorf("notes %q", rep.Notes)
		}
		if !slices.Equal(rep.KeyFields, []string{"stage"}) {
			t.Errorf("--by stage: key fields %v", rep.KeyFields)
		}
	})
}

func TestStagesRevisits(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		// R1 goes back from Demo to Prospecting and is lost in Demo on
		// 01-30: Prospecting 4 + 10 = 14 days, Demo 5 + 10 = 15 days; it
		// moved on from Prospecting (to Demo, after its first entry).
		// Same-day entries order by time, then name: R2 enters Demo and
		// Proposal on 02-01 (Demo at 09:00, Proposal at 10:00).
		f.load("deals", `
id,stage,created,closed,outcome
R1,Demo,2024-01-01,2024-01-30,lost
R2,Proposal,2024-01-15,,open
`)
		f.load("deal_stages", `
deal_id,stage,entered_at
R1,Prospecting,2024-01-01
R1,Demo,2024-01-05
R1,Prospecting,2024-01-10
R1,Demo,2024-01-20
R2,Prospecting,2024-01-15
R2,Proposal,2024-02-01T10:00:00Z
R2,Demo,2024-02-01T09:00:00Z
`)
		rep := f.run("stages", tandem.ReportParams{MinN: 1})
		// Prospecting: R1 14 days, R2 17 (01-15 to 02-01) → 15.5; both moved on.
		// Demo: R1 lost there (15 days), R2 0 days then Proposal → moved on 1/2.
		// Proposal: R2 open, censored at 335 days (02-01 to 2025-01-01).
		checkStages(t, rep, map[string]string{}, []stageWant{
			{"Prospecting", 2, 0, 1, 1, 2, 2, 15.5, 2},
			{"Demo", 2, 0, 1, 1, 1, 2, 7.5, 2},
			{"Proposal", 1, 0, 0, 1, 0, 0, math.NaN(), 1},
		})
	})
}

func TestStagesNoHistory(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		// Without deal_stages: deals per current stage, win rate of the
		// closed ones. Closed Lost: 0/1; Closed Won: 2/2; Proposal: N5
		// lost there, N4 open → 0/1 with 2 deals.
		f.load("deals", `
id,stage,created,closed,outcome
N1,Closed Won,2024-01-01,2024-02-01,won
N2,Closed Won,2024-01-01,2024-03-01,won
N3,Closed Lost,2024-01-01,2024-02-01,lost
N4,Proposal,2024-01-01,,open
N5,Proposal,2024-01-01,2024-04-01,lost
`)
		rep := f.run("stages", tandem.ReportParams{MinN: 1})
		if !hasNote(rep, "no stage history") || !hasNote(rep, "OpportunityHistory") {
			t.Errorf("notes %q", rep.Notes)
		}
		checkMetricsListed(t, rep)
		for _, tt := range []struct {
			stage                  string
			deals, won, lost, open int
		}{
			{"Closed Lost", 1, 0, 1, 0},
			{"Closed Won", 2, 2, 0, 0},
			{"Proposal", 2, 0, 1, 1},
		} {
			g := groupBy(t, rep, "stage", tt.stage)
			checkProportion(t, g.Key, "won share", g.Estimate, tt.won, tt.won+tt.lost)
			for name, want := range map[string]int{"deals": tt.deals, "won": tt.won, "lost": tt.lost, "open": tt.open} {
				if got := g.Metrics[name].Value; got != float64(want) {
					t.Errorf("%s %s = %v, want %d", tt.stage, name, got, want)
				}
			}
		}
		if len(rep.Groups) != 3 {
			t.Errorf("%d groups, want 3", len(rep.Groups))
		}
	})
}
