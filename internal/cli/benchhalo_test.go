package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
)

// TestBenchHalo runs `tandem bench halo` at a tiny scale: the store is
// generated, Tandem's halo and both SQL forms on SQLite run and must agree.
// The DuckDB step runs when TANDEM_BENCH_DUCKDB names the bench/duckdb
// program (go -C bench/duckdb build -o /tmp/halo-duckdb .).
func TestBenchHalo(t *testing.T) {
	dir := t.TempDir()
	duck := "none"
	if p := os.Getenv("TANDEM_BENCH_DUCKDB"); p != "" {
		duck = p
	}
	var out, errOut bytes.Buffer
	args := []string{"bench", "halo", "--deals", "2000", "--dir", dir, "--runs", "2", "--duckdb", duck, "--json"}
	if code := Main(context.Background(), args, &out, &errOut, func(string) string { return "" }, Version{Version: "test"}); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var res HaloBenchResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if res.Items != 60 || res.Deals < 1000 || res.Deals > 2000 || res.Tags < res.Deals || res.Resamples != analytics.HaloResamples {
		t.Errorf("population: %d items, %d deals, %d tags, %d resamples", res.Items, res.Deals, res.Tags, res.Resamples)
	}
	if len(res.ComputeSeconds) != 2 || res.ComputeMin <= 0 || res.LoadSeconds <= 0 || res.ComputePeakRSSMB <= 0 {
		t.Errorf("timings: load %v, compute %v, peak %v MB", res.LoadSeconds, res.ComputeSeconds, res.ComputePeakRSSMB)
	}
	sums := map[string]bool{}
	ran := 0
	for _, b := range res.Baselines {
		if b.Engine == "duckdb" && duck == "none" {
			continue
		}
		if b.Min <= 0 || len(b.QuerySeconds) != 2 || b.Checksum == "" {
			t.Errorf("%s %s: %+v", b.Engine, b.Query, b)
		}
		sums[b.Checksum] = true
		ran++
	}
	if ran < 2 || len(sums) != 1 || res.RatioSQLite <= 0 || strings.HasPrefix(res.Checked, "FAILED") {
		t.Errorf("%d baselines ran, checksums %v, ratio %v, checked %q", ran, sums, res.RatioSQLite, res.Checked)
	}
	for _, f := range []string{"bench.db", "flat.db", "deals.csv", "deal_items.csv", "items.csv", "halo_direct.sql", "halo_histogram.sql"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			t.Error(err)
		}
	}
}

// TestHaloCrossCheck checks that the cross-checks catch a wrong count, sum
// or median, in an engine's rows and in Tandem's report.
func TestHaloCrossCheck(t *testing.T) {
	nan := math.NaN()
	deals := []analytics.FlatDeal{
		{Closed: true, Won: true, Cycle: 10, Event: true, LogAmount: 9},
		{Closed: true, Cycle: 20, Event: true, LogAmount: nan},
		{Closed: true, Won: true, Cycle: 30, Event: true, LogAmount: 11},
		{Cycle: 40, LogAmount: nan},
		{Closed: true, Won: true, Cycle: -1, LogAmount: 10},
	}
	itemDeals := [][]int32{{0, 1, 3}, {2, 4}, {}}
	want := haloReference(deals, itemDeals)
	w0 := haloAgg{With: haloSide{Closed: 2, Won: 1, Amounts: 1, SumLog: 9, Median: 15},
		Without: haloSide{Closed: 2, Won: 2, Amounts: 2, SumLog: 21, Median: 30}}
	if got := want[0]; got != w0 {
		t.Errorf("reference item 0: %+v, want %+v", got, w0)
	}
	if got := want[2].With; got.Closed != 0 || !math.IsNaN(got.Median) || want[2].Without.Median != 20 {
		t.Errorf("reference item 2: %+v", want[2])
	}

	rows := func() [][]*float64 {
		var out [][]*float64
		num := func(x float64) *float64 {
			if math.IsNaN(x) {
				return nil
			}
			return &x
		}
		for j, a := range want {
			row := []*float64{num(float64(j))}
			for _, s := range []haloSide{a.With, a.Without} {
				row = append(row, num(float64(s.Closed)), num(float64(s.Won)), num(float64(s.Amounts)), num(s.SumLog), num(s.Median))
			}
			out = append(out, row)
		}
		return out
	}
	if bad := compareHaloRows("exact", rows(), want); len(bad) > 0 {
		t.Errorf("equal rows reported: %v", bad)
	}
	for name, change := range map[string]func(r [][]*float64){
		"won":       func(r [][]*float64) { *r[1][2]++ },
		"without":   func(r [][]*float64) { *r[0][7]-- },
		"sum":       func(r [][]*float64) { *r[0][4] += 1e-6 },
		"median":    func(r [][]*float64) { *r[0][5] = 16 },
		"null":      func(r [][]*float64) { r[1][10] = nil },
		"row order": func(r [][]*float64) { r[0], r[1] = r[1], r[0] },
		"rows":      func(r [][]*float64) { r[2] = r[2][:5] },
	} {
		r := rows()
		change(r)
		if bad := compareHaloRows(name, r, want); len(bad) == 0 {
			t.Errorf("%s: mismatch not reported", name)
		}
	}
	if bad := compareHaloRows("short", rows()[:2], want); len(bad) == 0 {
		t.Error("missing row not reported")
	}

	group := func(name string, k1, n1, k0, n0 int, size tandem.Estimate) tandem.Group {
		return tandem.Group{Key: map[string]string{"feature": name}, Metrics: map[string]tandem.Estimate{
			"win_with":    tandem.NewEstimate(n1, float64(k1)/float64(n1), 0, 0),
			"win_without": tandem.NewEstimate(n0, float64(k0)/float64(n0), 0, 0),
			"size_ratio":  size,
		}}
	}
	items := []string{"a", "b"}
	want = want[:2]
	good := &tandem.Report{Groups: []tandem.Group{group("a", 1, 2, 2, 2, tandem.NewEstimate(1, math.Exp(9-10.5), 0, 0))},
		Apart: []tandem.Group{group("b", 2, 2, 1, 2, tandem.NewEstimate(1, math.Exp(10.5-9), 0, 0))}}
	if bad := checkHaloReport(good, items, want); len(bad) > 0 {
		t.Errorf("matching report reported: %v", bad)
	}
	wrong := &tandem.Report{Groups: []tandem.Group{group("a", 1, 2, 1, 2, tandem.NewEstimate(1, math.Exp(9-10.5), 0, 0)),
		group("b", 2, 2, 1, 2, tandem.NewEstimate(1, math.Exp(10.5-9)*1.001, 0, 0))}}
	if bad := checkHaloReport(wrong, items, want); len(bad) != 2 {
		t.Errorf("wrong report: %d mismatches %v, want 2", len(bad), bad)
	}
}

func TestHistMedian(t *testing.T) {
	for _, tt := range []struct {
		hist []int
		want float64
	}{
		{[]int{0, 1}, 1},
		{[]int{1, 0, 1}, 1},
		{[]int{2, 0, 0, 1}, 0},
		{[]int{1, 1, 1, 1}, 1.5},
		{[]int{0, 0, 3, 3}, 2.5},
	} {
		if got := histMedian(tt.hist); got != tt.want {
			t.Errorf("histMedian(%v) = %v, want %v", tt.hist, got, tt.want)
		}
	}
	if got := histMedian([]int{0, 0}); !math.IsNaN(got) {
		t.Errorf("empty: %v", got)
	}
}
