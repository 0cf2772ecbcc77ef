package analytics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/importer"
)

// Hand arithmetic used below. Tenure months are days / (365.25/12) =
// days / 30.4375. Wilson 95% limits (z = 1.959964): 1/3 → 0.061492–0.792340,
// 2/3 → 0.207660–0.938508, 2/4 → 0.150039–0.849961, 0/1 → 0–0.793451,
// 2/2 → 0.342380–1, 1/2 → 0.094531–0.905469, 4/10 → 0.168180–0.687326,
// 3/10 → 0.107791–0.603222, 5/20 → 0.111862–0.468701, 0/3 → 0–0.561497.

func asDate(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// checkEstimate compares an estimate with its expected n, value and interval
// (NaN limits mean "not checked").
func checkEstimate(t *testing.T, what string, e tandem.Estimate, n int, value, lo, hi float64) {
	t.Helper()
	if e.N != n || !near(e.Value, value, 1e-5) {
		t.Errorf("%s: n=%d value=%v, want n=%d value=%v", what, e.N, e.Value, n, value)
	}
	if !math.IsNaN(lo) && (!near(e.CILow, lo, 1e-5) || !near(e.CIHigh, hi, 1e-5)) {
		t.Errorf("%s: interval [%v, %v], want [%v, %v]", what, e.CILow, e.CIHigh, lo, hi)
	}
}

// notesHave reports whether a note of the report contains s.
func notesHave(rep *tandem.Report, s string) bool {
	return slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.Contains(n, s) })
}

// churnFixture: report date 2025-01-01.
//
//	sub  account(segment)  start       end         status   churned_at  plan   as of 2025-01-01
//	s1   a1 (SMB)          2024-01-01              churned  2024-04-01  basic  churned, 91 d = 2.989733 months
//	s2   a1 (SMB)          2024-01-01              active               basic  retained, 366 d = 12.024641
//	s3   a2 (SMB)          2024-01-01              churned  2025-06-01  basic  retained (churns later), 366 d = 12.024641
//	s4   a2 (SMB)          2023-01-01  2024-01-01  churned              pro    churned, no churned_at: to end, 365 d = 11.991786
//	s5   a3 (enterprise)   2024-07-01              active               pro    retained, 184 d = 6.045175
//	s6   a3 (enterprise)   2025-03-01              active               pro    not started yet: left out
//	s7   a3 (enterprise)   2024-01-01                       2024-07-01  pro    churned (a dated churn, no status), 182 d = 5.979466
func churnFixture(f *fixture) {
	f.load("accounts", `
id,name,segment
a1,A1,SMB
a2,A2,SMB
a3,A3,enterprise
`)
	f.load("subscriptions", `
id,account_id,start,end,status,churned_at,plan
s1,a1,2024-01-01,,churned,2024-04-01,basic
s2,a1,2024-01-01,,active,,basic
s3,a2,2024-01-01,,churned,2025-06-01,basic
s4,a2,2023-01-01,2024-01-01,churned,,pro
s5,a3,2024-07-01,,active,,pro
s6,a3,2025-03-01,,active,,pro
s7,a3,2024-01-01,,,2024-07-01,pro
`)
}

func TestChurn(t *testing.T) {
	nan := math.NaN()
	byPlan := []string{"plan"}
	tests := []struct {
		name                 string
		p                    tandem.ReportParams
		key                  string // plan; "" for the single group
		k, n                 int
		lo, hi               float64
		churnedT, retainedT  []float64 // tenures, months
		churnedMean, retMean float64
	}{
		{"basic: s3 churns after the report date, so it counts as retained", tandem.ReportParams{By: byPlan}, "basic", 1, 3, 0.061492, 0.792340,
			[]float64{2.989733}, []float64{12.024641, 12.024641}, 2.989733, 12.024641},
		{"pro: s6 has not started; s4 ends at its end date; s7 churned by date", tandem.ReportParams{By: byPlan}, "pro", 2, 3, 0.207660, 0.938508,
			[]float64{11.991786, 5.979466}, []float64{6.045175}, (11.991786 + 5.979466) / 2, 6.045175},
		{"all: 3 churned of 6 started", tandem.ReportParams{}, "", 3, 6, nan, nan,
			[]float64{2.989733, 11.991786, 5.979466}, []float64{12.024641, 12.024641, 6.045175}, (2.989733 + 11.991786 + 5.979466) / 3, (2*12.024641 + 6.045175) / 3},
		// As of 2025-07-01: s3 has churned (2024-01-01 → 2025-06-01 = 517 d
		// = 16.985626), s2 has 547 d = 17.971253; s6 exists (122 d =
		// 4.008214) and s5 has 365 d = 11.991786.
		{"as of a later date: s3 churned", tandem.ReportParams{By: byPlan, AsOf: asDate("2025-07-01")}, "basic", 2, 3, 0.207660, 0.938508,
			[]float64{2.989733, 16.985626}, []float64{17.971253}, (2.989733 + 16.985626) / 2, 17.971253},
		{"as of a later date: s6 started", tandem.ReportParams{By: byPlan, AsOf: asDate("2025-07-01")}, "pro", 2, 4, 0.150039, 0.849961,
			[]float64{11.991786, 5.979466}, []float64{11.991786, 4.008214}, (11.991786 + 5.979466) / 2, (11.991786 + 4.008214) / 2},
		{"period by start leaves out s4 (2023)", tandem.ReportParams{By: byPlan, From: asDate("2024-01-01"), To: asDate("2024-12-31")}, "pro", 1, 2, 0.094531, 0.905469,
			[]float64{5.979466}, []float64{6.045175}, 5.979466, 6.045175},
		{"where on the account", tandem.ReportParams{By: byPlan, Where: []tandem.Condition{{Field: "account.segment", Op: "=", Value: "enterprise"}}}, "pro", 1, 2, 0.094531, 0.905469,
			[]float64{5.979466}, []float64{6.045175}, 5.979466, 6.045175},
	}
	eachDialect(t, func(t *testing.T, f *fixture) {
		churnFixture(f)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				rep := f.run("churn", tt.p)
				g := rep.Groups[0]
				if tt.key != "" {
					g = groupBy(t, rep, "plan", tt.key)
				} else if len(rep.Groups) != 1 {
					t.Fatalf("%d groups, want 1", len(rep.Groups))
				}
				checkEstimate(t, "churn rate", g.Estimate, tt.n, float64(tt.k)/float64(tt.n), tt.lo, tt.hi)
				if !g.Insufficient {
					t.Errorf("n=%d below the default minimum of 30 is not flagged", g.N)
				}
				m := g.Metrics
				if m["churned"].Value != float64(tt.k) || m["retained"].Value != float64(tt.n-tt.k) {
					t.Errorf("churned %v retained %v, want %d and %d", m["churned"].Value, m["retained"].Value, tt.k, tt.n-tt.k)
				}
				for _, c := range []struct {
					name    string
					x       []float64
					mean    float64
					metricN int
				}{{"tenure_churned", tt.churnedT, tt.churnedMean, len(tt.churnedT)}, {"tenure_retained", tt.retainedT, tt.retMean, len(tt.retainedT)}} {
					mean, med := m[c.name+"_mean"], m[c.name+"_median"]
					sorted := slices.Clone(c.x)
					slices.Sort(sorted)
					wantMed := sorted[len(sorted)/2]
					if len(sorted)%2 == 0 {
						wantMed = (sorted[len(sorted)/2-1] + sorted[len(sorted)/2]) / 2
					}
					checkEstimate(t, c.name+" mean", mean, c.metricN, c.mean, nan, nan)
					checkEstimate(t, c.name+" median", med, c.metricN, wantMed, nan, nan)
					// Bootstrap limits stay within the data.
					lo, hi := sorted[0], sorted[len(sorted)-1]
					for _, e := range []tandem.Estimate{mean, med} {
						if e.CILow < lo-1e-5 || e.CIHigh > hi+1e-5 || e.CILow > e.Value || e.CIHigh < e.Value {
							t.Errorf("%s: interval [%v, %v] around %v outside the data [%v, %v]", c.name, e.CILow, e.CIHigh, e.Value, lo, hi)
						}
					}
				}
			})
		}
		// The same seed gives the same intervals.
		a, b := f.run("churn", tandem.ReportParams{}), f.run("churn", tandem.ReportParams{})
		if ja, jb := mustJSON(t, a), mustJSON(t, b); string(ja) != string(jb) {
			t.Errorf("churn is not reproducible:\n%s\n%s", ja, jb)
		}
	})
}

// adoptionFixture: report date 2025-01-01; features Alpha, Beta, Gamma.
//
//	account  created     sub  start       status   churned_at
//	a1       2023-06-01  s1   2024-01-01  active
//	a2       2024-01-01  s2   2024-01-01  churned  2024-06-01
//	a3       2024-03-01  s3   2024-03-01  active
//	a4       -           s4   2024-03-01  churned  2024-09-01
//	a5       2024-01-01  s5   2024-12-15  active   (a 30-day window from start ends 2025-01-14: after the report date)
//
// Adoptions: a1 Alpha 2024-01-20, a1 Beta 2024-02-15, a1 Gamma 2023-12-01,
// a2 Alpha 2024-01-31, a2 Beta undated, a3 Gamma 2025-02-01 (after the
// report date), a4 Alpha 2024-03-10.
// Deals: renewal won by a1 (closed 2024-12-01), renewal lost by a2
// (2024-06-01), renewal won by a3 closing 2025-02-01 (open at the report
// date), expansion won by a1 created 2024-06-01.
func adoptionFixture(f *fixture, withAdoptions bool) {
	f.load("features", `
id,name
f1,Alpha
f2,Beta
f3,Gamma
`)
	f.load("accounts", `
id,name,created
a1,A1,2023-06-01
a2,A2,2024-01-01
a3,A3,2024-03-01
a4,A4,
a5,A5,2024-01-01
`)
	f.load("subscriptions", `
id,account_id,start,status,churned_at
s1,a1,2024-01-01,active,
s2,a2,2024-01-01,churned,2024-06-01
s3,a3,2024-03-01,active,
s4,a4,2024-03-01,churned,2024-09-01
s5,a5,2024-12-15,active,
`)
	f.load("deals", `
id,stage,account_id,type,outcome,created,closed
r1,Won,a1,renewal,won,2024-11-01,2024-12-01
r2,Lost,a2,renewal,lost,2024-05-01,2024-06-01
r3,Won,a3,renewal,won,2024-12-15,2025-02-01
e1,Won,a1,expansion,won,2024-06-01,2024-06-15
`)
	if withAdoptions {
		f.load("adoptions", `
account_id,feature_id,adopted_at
a1,Alpha,2024-01-20
a1,Beta,2024-02-15
a1,Gamma,2023-12-01
a2,Alpha,2024-01-31
a2,Beta,
a3,Gamma,2025-02-01
a4,Alpha,2024-03-10
`)
		return
	}
	// Usage keyed by subscription, as RavenStack's: the import finds the
	// account through the subscription.
	f.load("usage", `
id,subscription_id,feature_id,at
u1,s1,Alpha,2023-12-20
u2,s1,Beta,2024-01-10
u3,s1,Beta,2024-01-11
u4,s2,Gamma,2024-02-15
`)
}

// adoptionGroup is one expected main group: its subscriptions and how many
// of them churned.
type adoptionGroup struct {
	key  string
	k, n int
}

func checkAdoptionGroups(t *testing.T, rep *tandem.Report, want []adoptionGroup) {
	t.Helper()
	var got []adoptionGroup
	for _, g := range rep.Groups {
		got = append(got, adoptionGroup{g.Key[adoptionKey], int(g.Metrics["churned"].Value), g.N})
		if !near(g.Value, float64(g.Metrics["churned"].Value)/float64(g.N), 1e-12) {
			t.Errorf("group %s: churn rate %v is not churned/n", g.Key[adoptionKey], g.Value)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("groups (features adopted, churned, n) = %v, want %v", got, want)
	}
}

func TestAdoptionWindow(t *testing.T) {
	tests := []struct {
		name   string
		usage  bool
		p      tandem.ReportParams
		groups []adoptionGroup
		notes  []string
	}{
		// 30 days from start: s1 has Alpha (01-20, inside) and Gamma
		// (adopted before the start, so adopted by the window's end), not
		// Beta (02-15, after 01-31): 2. s2 has Alpha (01-31, the last day):
		// 1; its undated Beta is left out. s3's Gamma is after the report
		// date: 0. s4 has Alpha: 1. s5's window is still open: left out.
		{"window from start", false, tandem.ReportParams{WindowDays: 30}, []adoptionGroup{{"0", 0, 1}, {"1", 2, 2}, {"2", 0, 1}},
			[]string{"within 30 days of the subscription's start, from the adoptions table", "1 undated adoptions rows left out", "1 subscriptions left out: their 30-day window had not ended"}},
		// Any time: s1 3, s2 2 (undated Beta counts), s3 0 (Gamma after the
		// report date never counts), s4 1, s5 0.
		{"any time", false, tandem.ReportParams{WindowDays: -1}, []adoptionGroup{{"0", 0, 2}, {"1", 1, 1}, {"2", 1, 1}, {"3", 0, 1}},
			[]string{"survivorship bias"}},
		// 30 days from signup: a1 (2023-06-01..07-01) has nothing, a2 has
		// Alpha 01-31, a3 nothing, a4 has no created date (left out), a5
		// nothing.
		{"window from signup", false, tandem.ReportParams{WindowDays: 30, Anchor: "signup"}, []adoptionGroup{{"0", 0, 3}, {"1", 1, 1}},
			[]string{"within 30 days of the account's signup (created) date", "1 subscriptions left out: no anchor date"}},
		{"only the features named", false, tandem.ReportParams{WindowDays: -1, Features: []string{"alpha", "f2"}}, []adoptionGroup{{"0", 0, 2}, {"1", 1, 1}, {"2", 1, 2}},
			nil},
		// Usage counts inside [start, start+30]: s1 used Alpha before its
		// start (not counted) and Beta twice inside (one feature): 1; s2
		// used Gamma after its window: 0.
		{"usage when there are no adoptions", true, tandem.ReportParams{WindowDays: 30}, []adoptionGroup{{"0", 2, 3}, {"1", 0, 1}},
			[]string{"from the usage table"}},
		{"usage from signup", true, tandem.ReportParams{WindowDays: 30, Anchor: "signup"}, []adoptionGroup{{"0", 1, 4}},
			[]string{"1 subscriptions left out: no anchor date"}},
		{"usage any time", true, tandem.ReportParams{WindowDays: -1}, []adoptionGroup{{"0", 1, 3}, {"1", 1, 1}, {"2", 0, 1}},
			nil},
	}
	for _, usage := range []bool{false, true} {
		source := map[bool]string{false: "adoptions", true: "usage"}[usage]
		t.Run(source, func(t *testing.T) {
			eachDialect(t, func(t *testing.T, f *fixture) {
				adoptionFixture(f, !usage)
				for _, tt := range tests {
					if tt.usage != usage {
						continue
					}
					t.Run(tt.name, func(t *testing.T) {
						rep := f.run("adoption", tt.p)
						checkAdoptionGroups(t, rep, tt.groups)
						for _, n := range tt.notes {
							if !notesHave(rep, n) {
								t.Errorf("no note %q in %q", n, rep.Notes)
							}
						}
					})
				}
			})
		})
	}
}

func TestAdoptionRenewalExpansionAndFeatures(t *testing.T) {
	nan := math.NaN()
	eachDialect(t, func(t *testing.T, f *fixture) {
		adoptionFixture(f, true)
		rep := f.run("adoption", tandem.ReportParams{WindowDays: 30})
		checkAdoptionGroups(t, rep, []adoptionGroup{{"0", 0, 1}, {"1", 2, 2}, {"2", 0, 1}})
		g0, g1, g2 := groupBy(t, rep, adoptionKey, "0"), groupBy(t, rep, adoptionKey, "1"), groupBy(t, rep, adoptionKey, "2")
		checkEstimate(t, "churn, 0 features", g0.Estimate, 1, 0, 0, 0.793451)
		checkEstimate(t, "churn, 1 feature", g1.Estimate, 2, 1, 0.342380, 1)
		// Renewals: a3's renewal closes after the report date, so group 0
		// has none; group 1 (a2, a4) has a2's lost one; group 2 a1's won one.
		checkEstimate(t, "renewal, 0 features", g0.Metrics["renewal"], 0, nan, nan, nan)
		checkEstimate(t, "renewal, 1 feature", g1.Metrics["renewal"], 1, 0, 0, 0.793451)
		checkEstimate(t, "renewal, 2 features", g2.Metrics["renewal"], 1, 1, 0.206549, 1)
		// Expansion: s1 and s2 started 2024-01-01 and are 366 days old at
		// the report date (eligible); s3, s4 are younger. s1 has e1
		// (created 2024-06-01, in its first year). Garwood: 0 events →
		// [0, −ln 0.025 = 3.688879]; 1 event → [−ln 0.975 = 0.025318,
		// 5.571643 (χ²₄(0.975)/2)].
		checkEstimate(t, "expansion, 0 features", g0.Metrics["expansion"], 0, nan, nan, nan)
		checkEstimate(t, "expansion, 1 feature", g1.Metrics["expansion"], 1, 0, 0, 3.688879)
		checkEstimate(t, "expansion, 2 features", g2.Metrics["expansion"], 1, 1, 0.025318, 5.571643)

		// By feature (30 days from start): Alpha adopted by s1, s2, s4
		// (2 of 3 churned) against s3 (0 of 1); Gamma by s1 (0 of 1)
		// against s2, s3, s4 (2 of 3). Beta: nobody within the window, so
		// no row. Pooled z-test: p = 2/4, se = √(¼·(1/3+1)) = 0.577350,
		// z = (2/3)/0.577350 = 1.154701, p = 0.248213 for both; BH with
		// m = 2: q = min(2·p/2, 2·p/1) = 0.248213.
		if len(rep.Sections) != 1 || rep.Sections[0].Name != "by_feature" {
			t.Fatalf("sections %+v, want by_feature", rep.Sections)
		}
		sec := rep.Sections[0]
		var names []string
		for _, g := range sec.Groups {
			names = append(names, g.Key["feature"])
		}
		// Gamma's difference is −2/3, Alpha's +2/3: lowest first.
		if !slices.Equal(names, []string{"Gamma", "Alpha"}) {
			t.Fatalf("features %v, want [Gamma Alpha]", names)
		}
		gamma, alpha := sec.Groups[0], sec.Groups[1]
		checkEstimate(t, "Alpha churn difference", alpha.Estimate, 1, 2.0/3, nan, nan)
		checkEstimate(t, "Alpha churn with", alpha.Metrics["churn_with"], 3, 2.0/3, 0.207660, 0.938508)
		checkEstimate(t, "Alpha churn without", alpha.Metrics["churn_without"], 1, 0, 0, 0.793451)
		checkEstimate(t, "Gamma churn difference", gamma.Estimate, 1, -2.0/3, nan, nan)
		for _, g := range sec.Groups {
			if !near(g.P, 0.248213, 1e-6) || !near(g.Q, 0.248213, 1e-6) {
				t.Errorf("%s: p=%v q=%v, want 0.248213 both", g.Key["feature"], g.P, g.Q)
			}
			if !(g.CILow <= g.Value && g.Value <= g.CIHigh) {
				t.Errorf("%s: Newcombe interval [%v, %v] misses %v", g.Key["feature"], g.CILow, g.CIHigh, g.Value)
			}
			if !strings.Contains(g.Note, "associated with") {
				t.Errorf("%s: note %q does not say associated with", g.Key["feature"], g.Note)
			}
		}
		// Renewal with Alpha: a1 (1 won of 1), a2 (0 of 1), a4 (none) → 1/2;
		// without: a3, none closed.
		checkEstimate(t, "Alpha renewal with", alpha.Metrics["renewal_with"], 2, 0.5, 0.094531, 0.905469)
		checkEstimate(t, "Alpha renewal without", alpha.Metrics["renewal_without"], 0, nan, nan, nan)
		if e := alpha.Metrics["renewal_diff"]; !math.IsNaN(e.Value) || !math.IsNaN(e.Q) {
			t.Errorf("Alpha renewal difference %v q %v, want NaN (nothing without)", e.Value, e.Q)
		}
		if _, err := json.Marshal(rep); err != nil {
			t.Fatal(err)
		}
	})
}

// telcoRow is one customer of the Telco-like fixture: churned or not, the
// yes/no feature columns set to Yes, and whether it has internet service.
type telcoRow struct {
	churned  bool
	feats    string
	internet bool
}

// telcoRows builds 40 customers, 12 churned (c1..c12) and 28 active
// (a1..a28), with features X, Y, Z, W:
//
//	X: c1–c2 and a1–a18   → with 2/20 churned, without 10/20
//	Y: c3–c5 and a1–a7    → with 3/10, without 9/30
//	Z: c1–c8 and a11–a22  → with 8/20, without 4/20
//	W: c9 and a23 (not among --features)
//
// Features adopted among X, Y, Z: 0 → c9–c12, a23–a28 (4/10 churned);
// 1 → c6–c8, a8–a10, a19–a22 (3/10); 2 → c1–c5, a1–a7, a11–a18 (5/20).
// c10–c12 and a24–a28 have no internet service.
func telcoRows() []telcoRow {
	var rows []telcoRow
	for i := 1; i <= 12; i++ {
		var fs []string
		if i <= 2 {
			fs = append(fs, "X")
		}
		if i >= 3 && i <= 5 {
			fs = append(fs, "Y")
		}
		if i <= 8 {
			fs = append(fs, "Z")
		}
		if i == 9 {
			fs = append(fs, "W")
		}
		rows = append(rows, telcoRow{true, strings.Join(fs, " "), i <= 9})
	}
	for i := 1; i <= 28; i++ {
		var fs []string
		if i <= 18 {
			fs = append(fs, "X")
		}
		if i <= 7 {
			fs = append(fs, "Y")
		}
		if i >= 11 && i <= 22 {
			fs = append(fs, "Z")
		}
		if i == 23 {
			fs = append(fs, "W")
		}
		rows = append(rows, telcoRow{false, strings.Join(fs, " "), i <= 23})
	}
	return rows
}

// telcoFixture imports the rows as the README imports IBM's Telco file:
// one CSV for accounts and subscriptions, tenure in months, no dates, and
// yes/no columns that become undated adoptions.
func telcoFixture(f *fixture) {
	f.load("features", `
id,name
fx,X
fy,Y
fz,Z
fw,W
fv,V
`)
	var b strings.Builder
	b.WriteString("customerID,tenure,Churn,Contract,InternetService,X,Y,Z,W\n")
	for i, r := range telcoRows() {
		yn := func(feat string) string {
			if slices.Contains(strings.Fields(r.feats), feat) {
				return "Yes"
			}
			return "No"
		}
		churn, internet := "No", "No"
		if r.churned {
			churn = "Yes"
		}
		if r.internet {
			internet = "Fiber optic"
		}
		fmt.Fprintf(&b, "C%02d,%d,%s,Month-to-month,%s,%s,%s,%s,%s\n", i, i%24, churn, internet, yn("X"), yn("Y"), yn("Z"), yn("W"))
	}
	path := f.t.TempDir() + "/telco.csv"
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		f.t.Fatal(err)
	}
	f.loadFile("accounts", path, importer.Options{}, "id=customerID", "name=customerID")
	f.loadFile("subscriptions", path, importer.Options{
		Values:         []importer.ValueMap{{Field: "status", From: "Yes", To: "churned"}, {Field: "status", From: "No", To: "active"}},
		FeatureColumns: []string{"X", "Y", "Z", "W"}, Truthy: []string{"Yes"},
	}, "id=customerID", "account_id=customerID", "tenure_months=tenure", "plan=Contract", "status=Churn")
}

func TestAdoptionByFeatureQValues(t *testing.T) {
	nan := math.NaN()
	eachDialect(t, func(t *testing.T, f *fixture) {
		telcoFixture(f)
		p := tandem.ReportParams{WindowDays: -1, Features: []string{"X", "Y", "Z", "V"}, MinN: 10}
		rep := f.run("adoption", p)
		checkAdoptionGroups(t, rep, []adoptionGroup{{"0", 4, 10}, {"1", 3, 10}, {"2", 5, 20}})
		checkEstimate(t, "0 features", rep.Groups[0].Estimate, 10, 0.4, 0.168180, 0.687326)
		checkEstimate(t, "1 feature", rep.Groups[1].Estimate, 10, 0.3, 0.107791, 0.603222)
		checkEstimate(t, "2 features", rep.Groups[2].Estimate, 20, 0.25, 0.111862, 0.468701)
		for _, n := range []string{"no closed renewal deals", "no expansion deals"} {
			if !notesHave(rep, n) {
				t.Errorf("no note %q in %q", n, rep.Notes)
			}
		}
		if _, ok := rep.Groups[0].Metrics["renewal"]; ok {
			t.Error("renewal shown although the store has no renewal deals")
		}
		// Pooled z-tests: X: p = 12/40 = 0.3, se = √(0.3·0.7·(1/20+1/20)) =
		// 0.144914, z = (0.1−0.5)/se = −2.760262, p = 0.005775.
		// Z: z = (0.4−0.2)/se = 1.380131, p = 0.167546. Y: 0.3 vs 0.3, p = 1.
		// V: nobody adopted it, no test. BH over m = 3: X 3·p/1 = 0.017326;
		// Z 3·p/2 = 0.251319; Y 1.
		want := []struct {
			feature    string
			n          int
			diff, p, q float64
		}{
			{"X", 20, -0.4, 0.005775, 0.017326},
			{"Y", 10, 0, 1, 1},
			{"Z", 20, 0.2, 0.167546, 0.251319},
			{"V", 0, nan, nan, nan},
		}
		sec := rep.Sections[0]
		if len(sec.Groups) != len(want) {
			t.Fatalf("%d feature rows, want %d", len(sec.Groups), len(want))
		}
		for i, w := range want {
			g := sec.Groups[i]
			if g.Key["feature"] != w.feature || g.N != w.n || !near(g.Value, w.diff, 1e-9) || !near(g.P, w.p, 1e-6) || !near(g.Q, w.q, 1e-6) {
				t.Errorf("row %d: %s n=%d diff=%v p=%v q=%v, want %s n=%d diff=%v p=%v q=%v",
					i, g.Key["feature"], g.N, g.Value, g.P, g.Q, w.feature, w.n, w.diff, w.p, w.q)
			}
		}
		if x := sec.Groups[0]; !strings.HasPrefix(x.Note, "significant after Benjamini–Hochberg") || !strings.Contains(x.Note, "associated with 40.0 pp lower churn") {
			t.Errorf("X note %q", x.Note)
		}
		if z := sec.Groups[2]; strings.Contains(z.Note, "significant") {
			t.Errorf("Z (q = 0.25) marked significant: %q", z.Note)
		}
		// Below the minimum sample (default 30) X keeps its q-value but is
		// not marked as a finding.
		x := f.run("adoption", tandem.ReportParams{WindowDays: -1, Features: p.Features}).Sections[0].Groups[0]
		if !x.Insufficient || !near(x.Q, 0.017326, 1e-6) || strings.Contains(x.Note, "significant") {
			t.Errorf("X below the minimum sample: insufficient=%v q=%v note %q", x.Insufficient, x.Q, x.Note)
		}

		// Among customers with internet service (attr.InternetService !=
		// No): c10–c12 and a24–a28 leave group 0, which keeps c9 and a23
		// (W only, not counted): 1 of 2.
		p.Where = []tandem.Condition{{Field: "attr.InternetService", Op: "!=", Value: "No"}}
		checkAdoptionGroups(t, f.run("adoption", p), []adoptionGroup{{"0", 1, 2}, {"1", 3, 10}, {"2", 5, 20}})

		// Every feature counts without --features: c9 and a23 move to 1.
		rep = f.run("adoption", tandem.ReportParams{WindowDays: -1})
		checkAdoptionGroups(t, rep, []adoptionGroup{{"0", 3, 8}, {"1", 4, 12}, {"2", 5, 20}})
		var names []string
		for _, g := range rep.Sections[0].Groups {
			names = append(names, g.Key["feature"])
		}
		slices.Sort(names)
		if !slices.Equal(names, []string{"W", "X", "Y", "Z"}) {
			t.Errorf("features %v, want the four adopted ones", names)
		}

		// With the default window and no start dates nothing can be judged,
		// and the notes say why.
		rep = f.run("adoption", tandem.ReportParams{})
		if len(rep.Groups) != 0 || !notesHave(rep, "40 subscriptions left out: no anchor date") || !notesHave(rep, "undated adoptions rows left out") {
			t.Errorf("default window on undated data: %d groups, notes %q", len(rep.Groups), rep.Notes)
		}

		// Churn by contract on the same data: tenure from tenure_months.
		rep = f.run("churn", tandem.ReportParams{By: []string{"plan"}})
		g := groupBy(t, rep, "plan", "Month-to-month")
		checkEstimate(t, "churn", g.Estimate, 40, 0.3, nan, nan)
		// Tenure is i mod 24 for row i = 0..39: churned rows 0..11 have
		// 0..11 (mean 5.5); active rows 12..39 have 12..23 and 0..15
		// (sum 210 + 120 = 330, mean 330/28).
		checkEstimate(t, "tenure churned", g.Metrics["tenure_churned_mean"], 12, 5.5, nan, nan)
		checkEstimate(t, "tenure retained", g.Metrics["tenure_retained_mean"], 28, 330.0/28, nan, nan)
	})
}

func TestAdoptionErrors(t *testing.T) {
	eachDialect(t, func(t *testing.T, f *fixture) {
		adoptionFixture(f, true)
		for _, c := range []struct {
			name string
			p    tandem.ReportParams
		}{
			{"adoption", tandem.ReportParams{Features: []string{"Nosuch"}}},
			{"adoption", tandem.ReportParams{Anchor: "end"}},
			{"adoption", tandem.ReportParams{By: []string{"nosuch"}}},
			{"churn", tandem.ReportParams{By: []string{"account.nosuch"}}},
			{"icp", tandem.ReportParams{By: []string{"nosuch"}}},
			{"icp", tandem.ReportParams{Where: []tandem.Condition{{Field: "nosuch", Op: "=", Value: "x"}}}},
		} {
			_, err := f.engine.Run(context.Background(), c.name, c.p)
			var te *tandem.Error
			if !errors.As(err, &te) || te.Code != tandem.EINVALID {
				t.Errorf("%s %+v: error %v, want EINVALID", c.name, c.p, err)
			}
		}
	})
}

// icpFixture: report date 2025-01-01.
//
//	account  industry  region  created     won deals (closed, amount)                  first win
//	b1       retail    EU      2024-01-01  2024-03-01 100, 2024-06-01 50              60 d
//	b2       retail    EU      2024-01-01  (one lost)                                 censored at 366 d
//	b3       retail    US      -           2024-02-21 200 (created 2024-02-01)        20 d from the deal's created
//	b4       retail    US      2024-10-01  (won 2025-03-01: open at the report date)  censored at 92 d
//	b5       software  US      2024-01-01  2024-01-31 300                             30 d
//	b6       software  US      2025-02-01  (created after the report date: left out)
//	b7       retail    US      2024-01-01  2024-04-10 50                              100 d
//
// Subscriptions: b1 active; b2 churned 2024-05-01; b3 churned 2025-05-01
// (after the report date, so retained).
func icpFixture(f *fixture) {
	f.load("accounts", `
id,name,industry,region,created
b1,B1,retail,EU,2024-01-01
b2,B2,retail,EU,2024-01-01
b3,B3,retail,US,
b4,B4,retail,US,2024-10-01
b5,B5,software,US,2024-01-01
b6,B6,software,US,2025-02-01
b7,B7,retail,US,2024-01-01
`)
	f.load("deals", `
id,stage,account_id,amount,created,closed,outcome
d1,Won,b1,100,2024-01-15,2024-03-01,won
d2,Won,b1,50,2024-04-01,2024-06-01,won
d3,Lost,b2,80,2024-02-01,2024-05-01,lost
d4,Won,b3,200,2024-02-01,2024-02-21,won
d5,Won,b4,70,2024-10-15,2025-03-01,won
d6,Won,b5,300,2024-01-10,2024-01-31,won
d7,Won,b7,50,2024-02-01,2024-04-10,won
d8,Won,b6,999,2025-02-05,2025-02-20,won
`)
	f.load("subscriptions", `
id,account_id,start,status,churned_at,mrr
x1,b1,2024-01-01,active,,10
x2,b2,2024-01-01,churned,2024-05-01,10
x3,b3,2024-02-01,churned,2025-05-01,10
`)
}

func TestICP(t *testing.T) {
	nan := math.NaN()
	eachDialect(t, func(t *testing.T, f *fixture) {
		icpFixture(f)
		rep := f.run("icp", tandem.ReportParams{})
		if !slices.Equal(rep.KeyFields, []string{"industry"}) || !slices.Equal(rep.Params.By, []string{"industry"}) {
			t.Errorf("key fields %v, params.by %v: want the default [industry]", rep.KeyFields, rep.Params.By)
		}
		retail, software := groupBy(t, rep, "industry", "retail"), groupBy(t, rep, "industry", "software")
		// Lifetime value per customer: retail b1 150, b3 200, b7 50 →
		// mean 133.333, median 150; b2 and b4 have not won.
		checkEstimate(t, "retail lifetime value", retail.Estimate, 3, 400.0/3, nan, nan)
		checkEstimate(t, "retail median lifetime value", retail.Metrics["ltv_median"], 3, 150, nan, nan)
		if retail.Metrics["customers"].Value != 3 || retail.Metrics["accounts"].Value != 5 {
			t.Errorf("retail customers %v accounts %v, want 3 and 5", retail.Metrics["customers"].Value, retail.Metrics["accounts"].Value)
		}
		if !(retail.CILow >= 50 && retail.CIHigh <= 200 && retail.CILow <= retail.Value && retail.Value <= retail.CIHigh) {
			t.Errorf("retail bootstrap interval [%v, %v] outside the data", retail.CILow, retail.CIHigh)
		}
		// Time to first win, retail: 20 won, 60 won, 92 censored, 100 won,
		// 366 censored. Kaplan–Meier: S(20) = 4/5 = 0.8, S(60) = 0.8·3/4 =
		// 0.6, S(100) = 0.6·1/2 = 0.3: median 100 days (the median of the
		// wins alone would be 60, counting censored as wins 92).
		ttw := retail.Metrics["time_to_win"]
		if ttw.N != 5 || ttw.Value != 100 {
			t.Errorf("retail time to first win n=%d median=%v, want 5 and 100", ttw.N, ttw.Value)
		}
		if e := software.Metrics["time_to_win"]; e.N != 1 || e.Value != 30 {
			t.Errorf("software time to first win n=%d median=%v, want 1 and 30 (b6 does not exist yet)", e.N, e.Value)
		}
		checkEstimate(t, "software lifetime value", software.Estimate, 1, 300, 300, 300)
		// Retention: x1 and x3 (churns after the report date) of x1–x3.
		checkEstimate(t, "retail retention", retail.Metrics["retention"], 3, 2.0/3, 0.207660, 0.938508)
		checkEstimate(t, "software retention", software.Metrics["retention"], 0, nan, nan, nan)
		if retail.Rank != 0 || software.Rank != 0 {
			t.Errorf("ranks %d, %d below the minimum sample, want unranked", retail.Rank, software.Rank)
		}

		rep = f.run("icp", tandem.ReportParams{MinN: 1})
		if r, s := groupBy(t, rep, "industry", "retail").Rank, groupBy(t, rep, "industry", "software").Rank; r != 2 || s != 1 {
			t.Errorf("ranks retail %d software %d, want 2 and 1 (by mean lifetime value 133 vs 300)", r, s)
		}

		// account.X means X on accounts; --where applies to accounts.
		rep = f.run("icp", tandem.ReportParams{By: []string{"account.region"}, Where: []tandem.Condition{{Field: "industry", Op: "=", Value: "retail"}}})
		checkEstimate(t, "EU lifetime value", groupBy(t, rep, "account.region", "EU").Estimate, 1, 150, nan, nan)
		checkEstimate(t, "US lifetime value", groupBy(t, rep, "account.region", "US").Estimate, 2, 125, nan, nan)

		// As of 2024-03-15: b4 does not exist yet, d2 and d7 have not
		// closed: b1 100, b3 200.
		rep = f.run("icp", tandem.ReportParams{AsOf: asDate("2024-03-15")})
		retail = groupBy(t, rep, "industry", "retail")
		checkEstimate(t, "retail lifetime value as of March", retail.Estimate, 2, 150, nan, nan)
		if retail.Metrics["accounts"].Value != 4 {
			t.Errorf("retail accounts as of March %v, want 4", retail.Metrics["accounts"].Value)
		}
		// Period by created (b3 by its first deal's created, 2024-02-01).
		rep = f.run("icp", tandem.ReportParams{From: asDate("2024-02-01"), To: asDate("2024-12-31")})
		retail = groupBy(t, rep, "industry", "retail")
		if retail.Metrics["accounts"].Value != 2 || retail.N != 1 {
			t.Errorf("retail created Feb–Dec: %v accounts, %d customers; want b3, b4 and b3", retail.Metrics["accounts"].Value, retail.N)
		}
	})
}

func TestICPWithoutDeals(t *testing.T) {
	nan := math.NaN()
	eachDialect(t, func(t *testing.T, f *fixture) {
		f.load("accounts", `
id,name,industry
c1,C1,media
c2,C2,media
`)
		// y1: 100 × 366 d = 100 × 12.024641; y2: 50 × 182 d = 50 × 5.979466;
		// y3 has no dates: 10 × 5 tenure months. c1 = 1202.4641 + 298.9733
		// = 1501.4374, c2 = 50; mean 775.7187.
		f.load("subscriptions", `
id,account_id,start,status,churned_at,mrr,tenure_months
y1,c1,2024-01-01,active,,100,
y2,c1,2024-01-01,churned,2024-07-01,50,
y3,c2,,churned,,10,5
`)
		rep := f.run("icp", tandem.ReportParams{})
		g := groupBy(t, rep, "industry", "media")
		checkEstimate(t, "lifetime value", g.Estimate, 2, 775.718686, nan, nan)
		checkEstimate(t, "retention", g.Metrics["retention"], 3, 1.0/3, 0.061492, 0.792340)
		if _, ok := g.Metrics["time_to_win"]; ok {
			t.Error("time to first win shown without deals")
		}
		if !notesHave(rep, "lifetime value is mrr × tenure months") || rep.Definitions["lifetime value"] != defLTVSubs {
			t.Errorf("notes %q do not say how lifetime value was measured", rep.Notes)
		}
	})
}
