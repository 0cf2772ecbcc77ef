package analytics

import (
	"context"
	"errors"
	"math"
	"net/url"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

// salesFixture loads a small pipeline whose figures are worked out by hand
// in the tests below. Report date 2025-01-01 (testAsOf): d6 closes after
// it, so it is open then.
//
//	deal  account(segment) rep(team)  amount  created     closed      outcome  type       products
//	d1    a1 (SMB)         r1 (East)  100     2024-01-01  2024-01-11  won      new        Core
//	d2    a1 (SMB)         r1 (East)   50     2024-01-01  2024-01-21  lost     new        Core
//	d3    a2 (enterprise)  r2 (West)  300     2024-02-01  2024-03-02  won      new        Core;Addon
//	d4    a2 (enterprise)  r2 (West)   80     2024-03-01  -           open     new        Addon
//	d5    a2 (enterprise)  r1 (East)  200     2024-04-01  2024-04-06  won      expansion  Addon
//	d6    a1 (SMB)         r2 (West)   10     2024-05-01  2025-02-01  lost     new        Core
func salesFixture(f *fixture) {
	f.load("accounts", `
id,name,segment,employees
a1,Acme,SMB,20
a2,Globex,enterprise,2000
`)
	f.load("reps", `
id,name,team
r1,Ann,East
r2,Bob,West
`)
	f.load("products", `
id,name
p1,Core
p2,Addon
`)
	f.load("deals", `
id,stage,account_id,rep_id,amount,created,closed,outcome,type,products
d1,Won,a1,r1,100,2024-01-01,2024-01-11,won,new,Core
d2,Lost,a1,r1,50,2024-01-01,2024-01-21,lost,new,Core
d3,Won,a2,r2,300,2024-02-01,2024-03-02,won,new,Core;Addon
d4,Proposal,a2,r2,80,2024-03-01,,open,new,Addon
d5,Won,a2,r1,200,2024-04-01,2024-04-06,won,expansion,Addon
d6,Lost,a1,r2,10,2024-05-01,2025-02-01,lost,new,Core
`)
}

func TestWinRate(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		salesFixture(f)
		d := func(s string) time.Time { v, _ := time.Parse(time.DateOnly, s); return v }
		// Wilson 95% limits from python3 (center (p+z²/2n)/(1+z²/n), half
		// width z·sqrt(p(1−p)/n+z²/4n²)/(1+z²/n)): 3/4 → 0.300642–0.954413,
		// 1/2 → 0.094531–0.905469, 2/2 → 0.342380–1, 2/3 → 0.207660–0.938508.
		tests := []struct {
			name             string
			p                tandem.ReportParams
			field, key       string
			won, lost, open  int
			value, low, high float64
		}{
			{"all: d6 closes after the report date, so it is open", tandem.ReportParams{}, "", "", 3, 1, 2, 0.75, 0.300642, 0.954413},
			{"by segment", tandem.ReportParams{By: []string{"account.segment"}}, "account.segment", "SMB", 1, 1, 1, 0.5, 0.094531, 0.905469},
			{"by segment", tandem.ReportParams{By: []string{"account.segment"}}, "account.segment", "enterprise", 2, 0, 1, 1, 0.342380, 1},
			{"a deal with two products counts for each", tandem.ReportParams{By: []string{"product.name"}}, "product.name", "Core", 2, 1, 1, 2.0 / 3, 0.207660, 0.938508},
			{"a deal with two products counts for each", tandem.ReportParams{By: []string{"product.name"}}, "product.name", "Addon", 2, 0, 1, 1, 0.342380, 1},
			{"where type", tandem.ReportParams{Where: []tandem.Condition{{Field: "type", Op: "=", Value: "new"}}}, "", "", 2, 1, 2, 2.0 / 3, 0.207660, 0.938508},
			{"where not", tandem.ReportParams{Where: []tandem.Condition{{Field: "account.segment", Op: "!=", Value: "SMB"}}}, "", "", 2, 0, 1, 1, 0.342380, 1},
			{"alternatives", tandem.ReportParams{Where: []tandem.Condition{{Field: "rep.team", Op: "=", Value: "East"}, {Field: "rep.team", Op: "=", Value: "West"}}}, "", "", 3, 1, 2, 0.75, 0.300642, 0.954413},
			{"period: closed deals by close date, open by created", tandem.ReportParams{From: d("2024-02-01"), To: d("2024-12-31")}, "", "", 2, 0, 2, 1, 0.342380, 1},
			{"as of an earlier date", tandem.ReportParams{AsOf: d("2024-01-15")}, "", "", 1, 0, 1, 1, 0.206549, 1},
		}
		for _, tt := range tests {
			rep := f.run("winrate", tt.p)
			g := rep.Groups[0]
			if tt.field != "" {
				g = groupBy(t, rep, tt.field, tt.key)
			}
			if g.Metrics["won"].N != tt.won || g.Metrics["lost"].N != tt.lost || g.Metrics["open"].N != tt.open {
				t.Errorf("%s: won/lost/open = %d/%d/%d, want %d/%d/%d", tt.name, g.Metrics["won"].N, g.Metrics["lost"].N, g.Metrics["open"].N, tt.won, tt.lost, tt.open)
			}
			if g.N != tt.won+tt.lost || !near(g.Value, tt.value, 1e-12) || !near(g.CILow, tt.low, 1e-6) || !near(g.CIHigh, tt.high, 1e-6) {
				t.Errorf("%s: %d %v [%v, %v], want %d %v [%v, %v]", tt.name, g.N, g.Value, g.CILow, g.CIHigh, tt.won+tt.lost, tt.value, tt.low, tt.high)
			}
			if !g.Insufficient || g.Note == "" {
				t.Errorf("%s: n=%d below the default minimum of 30 is not flagged: %+v", tt.name, g.N, g.Estimate)
			}
		}
	})
}

func TestCycleDealSizeAndLeaderboards(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		salesFixture(f)
		// Durations: d5 5 (won), d1 10 (won), d2 20 (lost), d3 30 (won);
		// open at 2025-01-01: d6 245 days, d4 306 days (censored). KM:
		// S = 5/6, 4/6, 3/6 after 5, 10, 20: exactly 0.5 from 20 to the next
		// event at 30, so the median is their midpoint 25 (R's rule). Won
		// deals: 5, 10, 30, median 10. Lost: 20.
		c := f.run("cycle", tandem.ReportParams{})
		g := c.Groups[0]
		if g.N != 6 || g.Value != 25 || g.Metrics["won"].Value != 10 || g.Metrics["lost"].Value != 20 || g.Metrics["open"].N != 2 {
			t.Errorf("cycle = n %d median %v, won %v, lost %v, open %d; want 6, 25, 10, 20, 2", g.N, g.Value, g.Metrics["won"].Value, g.Metrics["lost"].Value, g.Metrics["open"].N)
		}
		// Won amounts 100, 300, 200: median 200, mean 200, total 600.
		s := f.run("dealsize", tandem.ReportParams{})
		g = s.Groups[0]
		if g.N != 3 || g.Value != 200 || g.Metrics["mean"].Value != 200 || g.Metrics["total"].Value != 600 {
			t.Errorf("dealsize = %d %v mean %v total %v; want 3 200 200 600", g.N, g.Value, g.Metrics["mean"].Value, g.Metrics["total"].Value)
		}
		if !(g.CILow <= g.Value && g.Value <= g.CIHigh) {
			t.Errorf("dealsize interval [%v, %v] does not contain %v", g.CILow, g.CIHigh, g.Value)
		}
		// Reps: Ann (r1) d1 won 100, d2 lost, d5 won 200: 300, 2/3.
		// Bob (r2) d3 won 300, d4 and d6 open: 300, 1/1. Tied revenue keeps
		// key order. Below min n nobody ranks.
		r := f.run("reps", tandem.ReportParams{MinN: 1})
		ann, bob := groupBy(t, r, "rep.name", "Ann"), groupBy(t, r, "rep.name", "Bob")
		if ann.Value != 300 || bob.Value != 300 || ann.Rank != 1 || bob.Rank != 2 || ann.Metrics["deals"].N != 3 || bob.Metrics["open"].N != 2 {
			t.Errorf("reps: Ann %v rank %d deals %d, Bob %v rank %d open %d", ann.Value, ann.Rank, ann.Metrics["deals"].N, bob.Value, bob.Rank, bob.Metrics["open"].N)
		}
		if !near(ann.Metrics["win_rate"].Value, 2.0/3, 1e-12) {
			t.Errorf("Ann's win rate %v, want 2/3", ann.Metrics["win_rate"].Value)
		}
		for _, g := range f.run("reps", tandem.ReportParams{}).Groups {
			if g.Rank != 0 || !g.Insufficient {
				t.Errorf("rep %v below the minimum sample ranks %d", g.Key, g.Rank)
			}
		}
		tm := f.run("teams", tandem.ReportParams{MinN: 1})
		if e, w := groupBy(t, tm, "rep.team", "East"), groupBy(t, tm, "rep.team", "West"); e.Value != 300 || w.Value != 300 {
			t.Errorf("teams: East %v, West %v; want 300 each", e.Value, w.Value)
		}
	})
}

func TestReportErrors(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		salesFixture(f)
		for _, c := range []struct {
			name string
			p    tandem.ReportParams
		}{
			{"winrate", tandem.ReportParams{By: []string{"nosuch"}}},
			{"winrate", tandem.ReportParams{By: []string{"account.nosuch"}}},
			{"winrate", tandem.ReportParams{By: []string{"attr."}}},
			{"winrate", tandem.ReportParams{Where: []tandem.Condition{{Field: "stage", Op: "<", Value: "x"}}}},
			{"nosuch", tandem.ReportParams{}},
			{"winrate", tandem.ReportParams{From: testAsOf, To: testAsOf.AddDate(0, 0, -1)}},
			{"halo", tandem.ReportParams{Items: "accounts"}},
		} {
			_, err := f.engine.Run(context.Background(), c.name, c.p)
			var te *tandem.Error
			if !errors.As(err, &te) || te.Code != tandem.EINVALID {
				t.Errorf("%s %+v: error %v, want EINVALID", c.name, c.p, err)
			}
		}
	})
}

func TestEmptyStore(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		for _, info := range f.engine.Reports() {
			rep := f.run(info.Name, tandem.ReportParams{})
			for _, g := range rep.Groups {
				if g.N != 0 && info.Name != "halo" {
					t.Errorf("%s on an empty store: group %v has n=%d", info.Name, g.Key, g.N)
				}
			}
		}
	})
}

func TestParseParams(t *testing.T) {
	p, err := ParseParams(url.Values{"by": {"account.segment,rep.team"}, "where": {"stage!=Lost", "attr.x=a=b"},
		"from": {"2024-01-01"}, "window": {"30d"}, "min-n": {"5"}, "features": {"A, B"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.By) != 2 || p.Where[0] != (tandem.Condition{Field: "stage", Op: "!=", Value: "Lost"}) ||
		p.Where[1] != (tandem.Condition{Field: "attr.x", Op: "=", Value: "a=b"}) || p.WindowDays != 30 || p.MinN != 5 || len(p.Features) != 2 || p.From.IsZero() {
		t.Errorf("ParseParams = %+v", p)
	}
	if p, _ := ParseParams(url.Values{"window": {"all"}}); p.WindowDays != -1 {
		t.Errorf("window all = %d", p.WindowDays)
	}
	for _, bad := range []url.Values{{"where": {"nofield"}}, {"from": {"01/02/2024"}}, {"min-n": {"0"}}, {"window": {"-3d"}}, {"seed": {"x"}}, {"bogus": {"1"}}} {
		if _, err := ParseParams(bad); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("ParseParams(%v) = %v, want EINVALID", bad, err)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		unit string
		e    tandem.Estimate
		want string
	}{
		{"proportion", tandem.NewEstimate(40, 0.5, 0.35, 0.65), "50.0% [35.0%, 65.0%] n=40"},
		{"difference", tandem.NewEstimate(40, 0.089, 0.072, 0.106), "+8.9 pp [+7.2 pp, +10.6 pp] n=40"},
		{"money", tandem.NewEstimate(40, 1234567, 1234567, 1234567), "1,234,567 n=40"},
		{"days", tandem.NewEstimate(40, 23, 16, math.Inf(1)), "23 d [16 d, not reached] n=40"},
		{"ratio", tandem.Estimate{N: 3, Value: 1.12, CILow: 1.05, CIHigh: 1.2, P: math.NaN(), Q: 0.01, Insufficient: true}, "insufficient data (n=3): ×1.12 [×1.05, ×1.20] q=0.01"},
	}
	for _, tt := range tests {
		if got := FormatEstimate(tt.unit, tt.e); got != tt.want {
			t.Errorf("FormatEstimate(%s) = %q, want %q", tt.unit, got, tt.want)
		}
	}
}
