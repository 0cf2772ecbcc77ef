package cli_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tandemhq/tandem"
)

// The expected figures of the dataset reports come from
// testdata/reports_expected.py, a standard-library Python script that reads
// the raw CSV files and computes every figure from its written definition,
// independently of Tandem's code and output. Regenerate the JSON from the
// repository root with:
//
//	python3 internal/cli/testdata/reports_expected.py ../shared/datasets > internal/cli/testdata/reports_expected.json

// expProportion is k of n with its Wilson 95% interval.
type expProportion struct {
	K      int     `json:"k"`
	N      int     `json:"n"`
	Rate   float64 `json:"rate"`
	CILow  float64 `json:"ci_low"`
	CIHigh float64 `json:"ci_high"`
}

// expDeals is the win rate (won of closed) and deal counts of a group of
// Maven opportunities, with its won revenue in whole dollars.
type expDeals struct {
	expProportion
	Won        int   `json:"won"`
	Lost       int   `json:"lost"`
	Closed     int   `json:"closed"`
	Open       int   `json:"open"`
	WonRevenue int64 `json:"won_revenue"`
}

type expectedReports struct {
	Maven struct {
		expDeals
		AsOf                string              `json:"as_of"`
		Deals               int                 `json:"deals"`
		MedianWonAmount     float64             `json:"median_won_amount"`
		MeanWonAmount       float64             `json:"mean_won_amount"`
		MedianWonCycleDays  float64             `json:"median_won_cycle_days"`
		MedianLostCycleDays float64             `json:"median_lost_cycle_days"`
		WonCycleN           int                 `json:"won_cycle_n"`
		LostCycleN          int                 `json:"lost_cycle_n"`
		Products            map[string]expDeals `json:"products"`
		Reps                map[string]expDeals `json:"reps"`
	} `json:"maven"`
	Telco struct {
		Customers         int                      `json:"customers"`
		Addons            []string                 `json:"addons"`
		ChurnByContract   map[string]expProportion `json:"churn_by_contract"`
		ChurnByAddons     map[string]expProportion `json:"churn_by_addons_all"`
		InternetCustomers int                      `json:"internet_customers"`
		ChurnByAddonsNet  map[string]expProportion `json:"churn_by_addons_internet"`
	} `json:"telco"`
	Raven struct {
		AsOf           string                   `json:"as_of"`
		LatestDate     string                   `json:"latest_date"`
		Subscriptions  int                      `json:"subscriptions"`
		ChurnByPlan    map[string]expProportion `json:"churn_by_plan"`
		ChurnByFeats30 map[string]expProportion `json:"churn_by_features_30d_signup"`
	} `json:"raven"`
}

// allReports lists every report `tandem report` offers.
var allReports = []string{"winrate", "cycle", "dealsize", "funnel", "stages", "reps", "teams", "churn", "adoption", "halo", "icp"}

// datasetReportJSON keeps each dialect's report output, by command, so that
// the last dialect subtest of TestREADMEDatasetCommands can require
// byte-identical JSON from SQLite and PostgreSQL.
var datasetReportJSON = struct {
	sync.Mutex
	byDialect map[string]map[string]string
}{byDialect: map[string]map[string]string{}}

// checkDatasetReports runs the reports on the stores the README's commands
// filled (maven.db, telco.db, raven.db → store address) and compares them
// with the independently computed figures of testdata/reports_expected.json;
// it also runs every report on every dataset store, which must succeed with
// valid JSON whether or not the report applies, and, once both dialects
// have run, requires identical output from SQLite and PostgreSQL.
func checkDatasetReports(t *testing.T, stores map[string]string, dialect string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "reports_expected.json"))
	if err != nil {
		t.Fatal(err)
	}
	var want expectedReports
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatalf("reports_expected.json: %v", err)
	}
	if want.Raven.LatestDate >= want.Raven.AsOf {
		t.Fatalf("RavenStack report date %s is not after the data's latest date %s", want.Raven.AsOf, want.Raven.LatestDate)
	}
	// An explicit report date on every store, so that both dialects answer
	// the same question whatever day the test runs: Maven's last close date,
	// and for Telco (no dates at all) and RavenStack a date after all of
	// their data.
	asOf := map[string]string{"maven.db": want.Maven.AsOf, "telco.db": want.Raven.AsOf, "raven.db": want.Raven.AsOf}

	outputs := map[string]string{}
	report := func(t *testing.T, store string, args ...string) *tandem.Report {
		t.Helper()
		args = append(append([]string{"report"}, args...), "--as-of", asOf[store])
		label := store + ": tandem " + strings.Join(args, " ")
		code, out, errOut := run(t, append([]string{"--db", stores[store]}, append(args, "--json")...)...)
		if code != 0 {
			t.Errorf("%s: exit %d\n%s", label, code, errOut)
			return nil
		}
		outputs[label] = out
		var rep tandem.Report
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Errorf("%s: %v\n%s", label, err, out)
			return nil
		}
		if rep.Report != args[1] {
			t.Errorf("%s: report %q", label, rep.Report)
		}
		return &rep
	}

	m := want.Maven
	t.Run("maven", func(t *testing.T) {
		if rep := report(t, "maven.db", "winrate"); rep != nil {
			g := single(t, "winrate", rep)
			checkProportion(t, "maven win rate", g.Estimate, m.expProportion)
			checkCounts(t, "maven win rate", g.Metrics, map[string]int{"won": m.Won, "lost": m.Lost, "open": m.Open})
		}
		if rep := report(t, "maven.db", "winrate", "--by", "product.name"); rep != nil {
			for name, g := range groupsBy(t, "winrate by product", rep, "product.name", slices.Collect(maps.Keys(m.Products))) {
				w := m.Products[name]
				checkProportion(t, "win rate of "+name, g.Estimate, w.expProportion)
				checkCounts(t, "win rate of "+name, g.Metrics, map[string]int{"won": w.Won, "lost": w.Lost, "open": w.Open})
			}
		}
		if rep := report(t, "maven.db", "dealsize"); rep != nil {
			g := single(t, "dealsize", rep)
			checkN(t, "median won amount", g.Estimate, m.Won)
			checkNear(t, "median won amount", g.Value, m.MedianWonAmount)
			checkNear(t, "mean won amount", metric(t, "dealsize", g, "mean").Value, m.MeanWonAmount)
			checkMoney(t, "won revenue", metric(t, "dealsize", g, "total"), m.Won, m.WonRevenue)
		}
		if rep := report(t, "maven.db", "dealsize", "--by", "product.name"); rep != nil {
			for name, g := range groupsBy(t, "dealsize by product", rep, "product.name", slices.Collect(maps.Keys(m.Products))) {
				w := m.Products[name]
				checkMoney(t, "won revenue of "+name, metric(t, "dealsize", g, "total"), w.Won, w.WonRevenue)
			}
		}
		if rep := report(t, "maven.db", "reps"); rep != nil {
			for name, g := range groupsBy(t, "reps", rep, "rep.name", slices.Collect(maps.Keys(m.Reps))) {
				w := m.Reps[name]
				checkMoney(t, "won revenue of "+name, g.Estimate, w.Closed, w.WonRevenue)
				checkProportion(t, "win rate of "+name, metric(t, "reps", g, "win_rate"), w.expProportion)
				checkCounts(t, name, g.Metrics, map[string]int{"deals": w.Closed, "open": w.Open})
			}
		}
		if rep := report(t, "maven.db", "cycle"); rep != nil {
			g := single(t, "cycle", rep)
			// No censoring among closed deals: the Kaplan–Meier median
			// (R's rule, averaging where S is exactly 0.5) is the sample
			// median that statistics.median computes, so they agree exactly.
			won, lost := metric(t, "cycle", g, "won"), metric(t, "cycle", g, "lost")
			checkN(t, "won cycle", won, m.WonCycleN)
			checkNear(t, "median days of won deals", won.Value, m.MedianWonCycleDays)
			checkN(t, "lost cycle", lost, m.LostCycleN)
			checkNear(t, "median days of lost deals", lost.Value, m.MedianLostCycleDays)
		}
	})

	tc := want.Telco
	t.Run("telco", func(t *testing.T) {
		if rep := report(t, "telco.db", "churn", "--by", "plan"); rep != nil {
			checkChurn(t, "churn by contract", rep, "plan", tc.ChurnByContract)
			checkTotal(t, "churn by contract", rep, tc.Customers)
		}
		features := "--features=" + strings.Join(tc.Addons, ",")
		if rep := report(t, "telco.db", "adoption", "--window", "all", features); rep != nil {
			checkChurn(t, "churn by add-on services", rep, "features_adopted", tc.ChurnByAddons)
			checkTotal(t, "churn by add-on services", rep, tc.Customers)
		}
		if rep := report(t, "telco.db", "adoption", "--window", "all", features, "--where", "attr.InternetService!=No"); rep != nil {
			checkChurn(t, "churn by add-on services with internet", rep, "features_adopted", tc.ChurnByAddonsNet)
			checkTotal(t, "churn by add-on services with internet", rep, tc.InternetCustomers)
		}
	})

	rv := want.Raven
	t.Run("ravenstack", func(t *testing.T) {
		if rep := report(t, "raven.db", "churn", "--by", "plan"); rep != nil {
			checkChurn(t, "churn by plan tier", rep, "plan", rv.ChurnByPlan)
			checkTotal(t, "churn by plan tier", rep, rv.Subscriptions)
		}
		if rep := report(t, "raven.db", "adoption", "--anchor", "signup", "--window", "30d"); rep != nil {
			checkChurn(t, "churn by features used in the first 30 days after signup", rep, "features_adopted", rv.ChurnByFeats30)
			checkTotal(t, "churn by features used in the first 30 days after signup", rep, rv.Subscriptions)
		}
	})

	// Every report on every dataset: one that does not apply must still
	// answer, with no groups or with notes, not fail.
	t.Run("all reports", func(t *testing.T) {
		for _, store := range []string{"maven.db", "telco.db", "raven.db"} {
			for _, name := range allReports {
				report(t, store, name)
			}
		}
	})

	datasetReportJSON.Lock()
	defer datasetReportJSON.Unlock()
	all := datasetReportJSON.byDialect
	all[dialect] = outputs
	if len(all["sqlite"]) == 0 || len(all["postgres"]) == 0 {
		return
	}
	t.Run("sqlite equals postgres", func(t *testing.T) {
		lite, pg := all["sqlite"], all["postgres"]
		for _, cmd := range slices.Sorted(maps.Keys(lite)) {
			other, ok := pg[cmd]
			switch {
			case !ok:
				t.Errorf("%s: ran on SQLite only", cmd)
			case other != lite[cmd]:
				t.Errorf("%s: SQLite and PostgreSQL differ at %s", cmd, firstDiff(lite[cmd], other))
			}
		}
		for cmd := range pg {
			if _, ok := lite[cmd]; !ok {
				t.Errorf("%s: ran on PostgreSQL only", cmd)
			}
		}
	})
	delete(all, "sqlite")
	delete(all, "postgres")
}

// single returns the only group of a report without --by.
func single(t *testing.T, what string, rep *tandem.Report) tandem.Group {
	t.Helper()
	if len(rep.Groups) != 1 {
		t.Fatalf("%s: %d groups, want 1", what, len(rep.Groups))
	}
	return rep.Groups[0]
}

// groupsBy indexes a report's groups by one key field and requires exactly
// the expected keys.
func groupsBy(t *testing.T, what string, rep *tandem.Report, field string, keys []string) map[string]tandem.Group {
	t.Helper()
	out := map[string]tandem.Group{}
	for _, g := range rep.Groups {
		k, ok := g.Key[field]
		if !ok {
			t.Errorf("%s: group %v has no key %s", what, g.Key, field)
			continue
		}
		if _, dup := out[k]; dup {
			t.Errorf("%s: two groups %s=%q", what, field, k)
		}
		out[k] = g
	}
	got := slices.Sorted(maps.Keys(out))
	slices.Sort(keys)
	if !slices.Equal(got, keys) {
		t.Errorf("%s: groups %q, want %q", what, got, keys)
	}
	for k := range out {
		if !slices.Contains(keys, k) {
			delete(out, k)
		}
	}
	return out
}

func metric(t *testing.T, what string, g tandem.Group, name string) tandem.Estimate {
	t.Helper()
	e, ok := g.Metrics[name]
	if !ok {
		t.Errorf("%s %v: no metric %q", what, g.Key, name)
		return tandem.NewEstimate(-1, math.NaN(), math.NaN(), math.NaN())
	}
	return e
}

// checkNear requires got to equal want within 1e-9 relative (1e-12
// absolute near zero).
func checkNear(t *testing.T, what string, got, want float64) {
	t.Helper()
	if !(math.Abs(got-want) <= 1e-9*math.Max(math.Abs(want), 1e-3)) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func checkN(t *testing.T, what string, e tandem.Estimate, n int) {
	t.Helper()
	if e.N != n {
		t.Errorf("%s: n = %d, want %d", what, e.N, n)
	}
}

// checkProportion compares k/n with its Wilson interval: n exactly, the
// rate and limits within 1e-9.
func checkProportion(t *testing.T, what string, e tandem.Estimate, w expProportion) {
	t.Helper()
	checkN(t, what, e, w.N)
	checkNear(t, what, e.Value, w.Rate)
	checkNear(t, what+" ci_low", e.CILow, w.CILow)
	checkNear(t, what+" ci_high", e.CIHigh, w.CIHigh)
	if k := e.Value * float64(e.N); math.Abs(k-float64(w.K)) > 1e-6 {
		t.Errorf("%s: k = %v, want %d", what, k, w.K)
	}
}

// checkCounts compares count metrics exactly.
func checkCounts(t *testing.T, what string, m map[string]tandem.Estimate, want map[string]int) {
	t.Helper()
	for name, n := range want {
		e, ok := m[name]
		if !ok {
			t.Errorf("%s: no metric %q", what, name)
			continue
		}
		if e.N != n || e.Value != float64(n) {
			t.Errorf("%s: %s = %v (n %d), want %d", what, name, e.Value, e.N, n)
		}
	}
}

// checkMoney compares a sum of money exactly to the cent, and its n.
func checkMoney(t *testing.T, what string, e tandem.Estimate, n int, dollars int64) {
	t.Helper()
	checkN(t, what, e, n)
	if got := math.Round(e.Value * 100); got != float64(dollars*100) {
		t.Errorf("%s = %.2f, want %d.00", what, e.Value, dollars)
	}
}

// checkChurn compares a churn (or adoption) report's groups, keyed by one
// field, with the expected churned/total per key.
func checkChurn(t *testing.T, what string, rep *tandem.Report, field string, want map[string]expProportion) {
	t.Helper()
	for key, g := range groupsBy(t, what, rep, field, slices.Collect(maps.Keys(want))) {
		w := want[key]
		label := fmt.Sprintf("%s, %s=%s", what, field, key)
		checkProportion(t, label, g.Estimate, w)
		checkCounts(t, label, g.Metrics, map[string]int{"churned": w.K})
	}
}

// checkTotal requires the groups to cover n subscriptions: none left out.
func checkTotal(t *testing.T, what string, rep *tandem.Report, n int) {
	t.Helper()
	total := 0
	for _, g := range rep.Groups {
		total += g.N
	}
	if total != n {
		t.Errorf("%s: groups cover %d subscriptions, want %d (notes: %q)", what, total, n, rep.Notes)
	}
}
