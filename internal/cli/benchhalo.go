package cli

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
	"github.com/tandemhq/tandem/internal/demo"
	"github.com/tandemhq/tandem/internal/sqldb"
)

// HaloBenchResult is one `tandem bench halo` run: Tandem's full halo
// recompute and the SQL baselines on the same data, in the same run.
type HaloBenchResult struct {
	Store     string `json:"store"`
	AsOf      string `json:"as_of"`
	Deals     int    `json:"halo_deals"` // deals in the halo population
	Items     int    `json:"items"`
	Tags      int    `json:"deal_items"` // (item, deal) tags
	Resamples int    `json:"resamples"`
	Threads   int    `json:"gomaxprocs"`

	GenerateSeconds float64 `json:"generate_seconds,omitempty"`
	// LoadSeconds is Engine.PrepareHalo: reading the store into the
	// halo's columnar input.
	LoadSeconds float64 `json:"load_seconds"`
	// ComputeSeconds are the runs of PreparedHalo.Compute: every item,
	// every metric, intervals, bootstrap and q-values.
	ComputeSeconds []float64 `json:"compute_seconds"`
	ComputeMin     float64   `json:"compute_min_seconds"`
	ComputeMedian  float64   `json:"compute_median_seconds"`
	// LoadPeakRSSMB is the process's peak resident set while loading,
	// ComputePeakRSSMB while computing (the peak is reset in between);
	// HeapInuseMB is the Go heap in use after the last compute, with the
	// loaded input alive.
	LoadPeakRSSMB    float64 `json:"load_peak_rss_mb"`
	ComputePeakRSSMB float64 `json:"compute_peak_rss_mb"`
	HeapInuseMB      float64 `json:"heap_inuse_mb"`
	// FlatSeconds is writing the flat tables for the baselines (not
	// compared with anything).
	FlatSeconds float64        `json:"flat_seconds"`
	Baselines   []HaloBaseline `json:"baselines"`
	// RatioDuckDB and RatioSQLite are Tandem's fastest compute over the
	// engine's fastest query (of either form): below 1 means Tandem is
	// faster. Zero when the engine did not run or did not finish.
	RatioDuckDB float64 `json:"ratio_tandem_duckdb,omitempty"`
	RatioSQLite float64 `json:"ratio_tandem_sqlite,omitempty"`
	Checked     string  `json:"checked"`
}

// HaloBaseline is one SQL engine running one form of the aggregation.
type HaloBaseline struct {
	Engine  string `json:"engine"` // sqlite or duckdb
	Version string `json:"version,omitempty"`
	Query   string `json:"query"` // histogram or direct
	// LoadSeconds is reading the flat CSV files into the engine (DuckDB);
	// the SQLite baseline reads a file written beforehand.
	LoadSeconds  float64   `json:"load_seconds,omitempty"`
	QuerySeconds []float64 `json:"query_seconds,omitempty"`
	Min          float64   `json:"min_seconds,omitempty"`
	Median       float64   `json:"median_seconds,omitempty"`
	TimedOut     bool      `json:"timed_out,omitempty"`
	PeakRSSMB    float64   `json:"peak_rss_mb,omitempty"`
	Checksum     string    `json:"checksum,omitempty"`
	Note         string    `json:"note,omitempty"`
}

// haloBenchOptions are the flags of `tandem bench halo`.
type haloBenchOptions struct {
	deals      int
	db         string // existing store; empty generates one
	dir        string
	duckdb     string // "auto", "none" or a command line
	duckMemory string // DuckDB memory_limit; empty for DuckDB's default
	runs       int
	timeout    time.Duration
	asOf       time.Time
	cpuprofile string
}

func (a *app) benchHaloCommand() *cobra.Command {
	var o haloBenchOptions
	var asOf string
	cmd := &cobra.Command{
		Use:   "halo",
		Short: "Time the full halo recompute next to DuckDB and SQLite running the equivalent aggregation SQL",
		Long: `Build the demo store at --deals (default 1,000,000: the benchmark scale,
generated exactly as 'tandem demo --deals N --no-serve' does; --db reuses an
existing store), read it into the halo's columnar input (load, timed apart),
then time the full halo recompute --runs times: every feature, every metric,
with intervals, 200 bootstrap resamples per feature (analytics.HaloResamples).

The same deal population is then written flat (DIR/flat.db for SQLite, CSV
files for DuckDB) and both engines run the same aggregation SQL, in two
forms: "histogram" (the "without" side as total minus with, like Tandem)
and "direct" (every item paired with every deal, with or without by an
anti-join). Per feature and side it computes closed deals, wins, the count
and sum of log won amounts and the median days to close of closed deals.
SQLite runs in-process (modernc); DuckDB runs in the separate program in
bench/duckdb (its own module, cgo), so tandem stays pure Go.

Every engine's counts, wins and sums must equal Tandem's figures and a
direct computation; a mismatch fails the run.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("db") {
				o.db = a.db
			}
			t, err := time.Parse(time.DateOnly, asOf)
			if err != nil {
				return tandem.Errorf(tandem.EINVALID, "--as-of %q: want YYYY-MM-DD", asOf)
			}
			o.asOf = t
			dir, cleanup, err := benchDir(o.dir, "tandem-halo-")
			if err != nil {
				return err
			}
			defer cleanup()
			o.dir = dir
			res, err := a.benchHalo(cmd.Context(), o)
			if res != nil {
				if a.jsonOut {
					if jerr := a.printJSON(res); jerr != nil {
						return jerr
					}
				} else {
					printHaloBench(a.stdout, res)
				}
			}
			return err
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.deals, "deals", benchScale, "deals to generate (ignored with --db)")
	f.StringVar(&o.dir, "dir", "", "work in DIR and keep the files (default: a temporary directory)")
	f.StringVar(&o.duckdb, "duckdb", "auto", `DuckDB baseline program: "auto" builds ./bench/duckdb when it exists in the working directory, "none" skips, anything else is the command to run`)
	f.StringVar(&o.duckMemory, "duckdb-memory-limit", "", "DuckDB's memory_limit, e.g. 8GB (default: DuckDB's own, 80% of RAM; beyond it DuckDB spills to DIR)")
	f.IntVar(&o.runs, "runs", 3, "times to run the compute and each query")
	f.DurationVar(&o.timeout, "timeout", 10*time.Minute, "give up on an SQL query running longer than this")
	f.StringVar(&asOf, "as-of", demo.DefaultConfig().End.Format(time.DateOnly), "report date (default: the demo period's end)")
	f.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile of the compute runs to FILE")
	return cmd
}

// benchHalo runs the benchmark. It returns the result so far with an error
// when a cross-check fails.
func (a *app) benchHalo(ctx context.Context, o haloBenchOptions) (*HaloBenchResult, error) {
	if o.runs < 1 {
		return nil, tandem.Errorf(tandem.EINVALID, "--runs must be at least 1")
	}
	res := &HaloBenchResult{Store: o.db, AsOf: o.asOf.Format(time.DateOnly), Resamples: analytics.HaloResamples, Threads: runtime.GOMAXPROCS(0)}
	if res.Store == "" {
		if o.deals < 1 {
			return nil, tandem.Errorf(tandem.EINVALID, "--deals must be at least 1")
		}
		res.Store = filepath.Join(o.dir, "bench.db")
		a.progress("generating the demo store at %d deals into %s", o.deals, res.Store)
		start := time.Now()
		// The same code path as the demo command, run in-process; its
		// report goes to stderr with the progress.
		args := []string{"demo", "--deals", strconv.Itoa(o.deals), "--no-serve", "--db", res.Store}
		if code := Main(ctx, args, a.stderr, a.stderr, a.getenv, a.version); code != 0 {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, fmt.Errorf("bench: generating the demo store failed (status %d)", code)
		}
		res.GenerateSeconds = time.Since(start).Seconds()
	} else if _, err := os.Stat(res.Store); err != nil {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "--db %s: %v", res.Store, err)
	}

	want, problems, err := a.haloTandem(ctx, o, res)
	if err != nil {
		return nil, err
	}
	queries := []struct{ name, text string }{{"histogram", haloHistogramSQL}, {"direct", haloDirectSQL}}
	for _, q := range queries {
		if err := os.WriteFile(filepath.Join(o.dir, "halo_"+q.name+".sql"), []byte(q.text), 0o644); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
	}

	// SQLite, in-process.
	for _, q := range queries {
		a.progress("sqlite: %s query", q.name)
		b, rows, err := a.haloSQLite(ctx, o, q.name, q.text)
		if err != nil {
			return nil, err
		}
		if !b.TimedOut {
			problems = append(problems, compareHaloRows("sqlite "+q.name, rows, want)...)
		}
		res.Baselines = append(res.Baselines, b)
	}

	// DuckDB, in its own process.
	bs, err := a.haloDuckDB(ctx, o, queries, want, &problems)
	if err != nil {
		return nil, err
	}
	res.Baselines = append(res.Baselines, bs...)

	for _, b := range res.Baselines {
		if b.TimedOut || b.Min == 0 {
			continue
		}
		r := res.ComputeMin / b.Min
		switch b.Engine {
		case "duckdb":
			if res.RatioDuckDB == 0 || r > res.RatioDuckDB {
				res.RatioDuckDB = r
			}
		case "sqlite":
			if res.RatioSQLite == 0 || r > res.RatioSQLite {
				res.RatioSQLite = r
			}
		}
	}
	var engines []string
	for _, b := range res.Baselines {
		if !b.TimedOut && b.Min > 0 {
			engines = append(engines, b.Engine+" "+b.Query)
		}
	}
	res.Checked = fmt.Sprintf("closed deals, wins, won amounts and their log sums of %d items, with and without, in Tandem's report (win_with, win_without, size_ratio) and in the SQL results (%s), against a direct computation; the SQL medians too",
		res.Items, strings.Join(engines, ", "))
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintf(a.stderr, "MISMATCH: %s\n", p)
		}
		res.Checked = "FAILED: " + res.Checked
		return res, &tandem.Error{Code: tandem.EINTERNAL, Message: fmt.Sprintf("bench halo: %d mismatches between Tandem and the SQL baselines (listed above)", len(problems))}
	}
	return res, nil
}

// haloTandem loads and computes the halo, writes the flat tables, and
// returns the direct reference with any mismatch of Tandem's report. What
// it loads is garbage once it returns, so the baselines' peaks are their
// own.
func (a *app) haloTandem(ctx context.Context, o haloBenchOptions, res *HaloBenchResult) ([]haloAgg, []string, error) {
	resetPeakRSS()
	a.progress("loading the halo input from %s", res.Store)
	db, err := sqldb.Open(ctx, res.Store, a.catalog)
	if err != nil {
		return nil, nil, err
	}
	start := time.Now()
	prep, err := analytics.New(db, a.catalog, nil).PrepareHalo(ctx, tandem.ReportParams{AsOf: o.asOf})
	res.LoadSeconds = time.Since(start).Seconds()
	db.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("bench: load: %w", err)
	}
	res.LoadPeakRSSMB = peakRSSMB()

	resetPeakRSS()
	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			return nil, nil, fmt.Errorf("bench: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, nil, fmt.Errorf("bench: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	var rep *tandem.Report
	for i := range o.runs {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		start := time.Now()
		rep = prep.Compute()
		res.ComputeSeconds = append(res.ComputeSeconds, time.Since(start).Seconds())
		a.progress("halo compute run %d of %d: %.3f s", i+1, o.runs, res.ComputeSeconds[i])
	}
	if o.cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	res.ComputeMin, res.ComputeMedian = minMedian(res.ComputeSeconds)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	res.HeapInuseMB = float64(ms.HeapInuse) / (1 << 20)
	res.ComputePeakRSSMB = peakRSSMB()

	deals, items, itemDeals := prep.Flat()
	res.Deals, res.Items = len(deals), len(items)
	for _, l := range itemDeals {
		res.Tags += len(l)
	}
	want := haloReference(deals, itemDeals)
	problems := checkHaloReport(rep, items, want)
	a.progress("writing the flat tables (%d deals, %d tags) to %s", res.Deals, res.Tags, o.dir)
	start = time.Now()
	if err := writeHaloFlat(ctx, o.dir, deals, items, itemDeals); err != nil {
		return nil, nil, err
	}
	res.FlatSeconds = time.Since(start).Seconds()
	return want, problems, nil
}

// progress reports a step on stderr unless --json.
func (a *app) progress(format string, args ...any) {
	if !a.jsonOut {
		fmt.Fprintf(a.stderr, format+"\n", args...)
	}
}

func minMedian(xs []float64) (float64, float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	s := slices.Sorted(slices.Values(xs))
	med := s[len(s)/2]
	if len(s)%2 == 0 {
		med = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[0], med
}

// The aggregation both SQL engines run, in two forms over the same tables:
//
//	deals(pos, closed, won, cycle, event, log_amount, stratum)  the halo population
//	deal_items(item, pos)                                       which deal has which item
//	items(item, name)
//
// Each returns one row per item: closed deals, wins, won deals with an
// amount, the sum of their log amounts and the median days to close of
// closed deals, first with the item, then without. Medians use window
// functions (SQLite has no median aggregate): the middle row, or the mean
// of the two middle rows. Both forms are valid SQLite and DuckDB SQL.

// haloHistogramSQL derives the "without" side as the population total minus
// the "with" side, and medians from per-day histograms, as Tandem does.
const haloHistogramSQL = `-- halo aggregation, histogram form: without = total - with
WITH with_sums AS (
  SELECT di.item, SUM(d.closed) AS closed, SUM(d.won) AS won,
         COUNT(d.log_amount) AS amounts, SUM(d.log_amount) AS sum_log
  FROM deal_items di JOIN deals d ON d.pos = di.pos
  GROUP BY di.item
),
totals AS (
  SELECT SUM(closed) AS closed, SUM(won) AS won,
         COUNT(log_amount) AS amounts, SUM(log_amount) AS sum_log
  FROM deals
),
with_hist AS (
  SELECT di.item, d.cycle, COUNT(*) AS n
  FROM deal_items di JOIN deals d ON d.pos = di.pos
  WHERE d.closed = 1 AND d.cycle >= 0
  GROUP BY di.item, d.cycle
),
all_hist AS (
  SELECT cycle, COUNT(*) AS n FROM deals WHERE closed = 1 AND cycle >= 0 GROUP BY cycle
),
hist AS (
  SELECT item, 1 AS side, cycle, n FROM with_hist
  UNION ALL
  SELECT i.item, 0 AS side, a.cycle, a.n - COALESCE(w.n, 0) AS n
  FROM items i CROSS JOIN all_hist a
  LEFT JOIN with_hist w ON w.item = i.item AND w.cycle = a.cycle
),
running AS (
  SELECT item, side, cycle,
         SUM(n) OVER (PARTITION BY item, side ORDER BY cycle ROWS UNBOUNDED PRECEDING) AS below,
         SUM(n) OVER (PARTITION BY item, side) AS total
  FROM hist WHERE n > 0
),
medians AS (
  SELECT item, side,
         (MIN(CASE WHEN 2 * below >= total THEN cycle END) +
          MIN(CASE WHEN 2 * below > total THEN cycle END)) / 2.0 AS median_cycle
  FROM running GROUP BY item, side
)
SELECT i.item,
       COALESCE(w.closed, 0), COALESCE(w.won, 0), COALESCE(w.amounts, 0), COALESCE(w.sum_log, 0), mw.median_cycle,
       t.closed - COALESCE(w.closed, 0), t.won - COALESCE(w.won, 0),
       t.amounts - COALESCE(w.amounts, 0), t.sum_log - COALESCE(w.sum_log, 0), mo.median_cycle
FROM items i CROSS JOIN totals t
LEFT JOIN with_sums w ON w.item = i.item
LEFT JOIN medians mw ON mw.item = i.item AND mw.side = 1
LEFT JOIN medians mo ON mo.item = i.item AND mo.side = 0
ORDER BY i.item
`

// haloDirectSQL classifies every (item, deal) pair as with or without (an
// anti-join) and aggregates each side on its own rows.
const haloDirectSQL = `-- halo aggregation, direct form: every (item, deal) pair, with or without
WITH pairs AS NOT MATERIALIZED (
  SELECT di.item, 1 AS side, d.closed, d.won, d.cycle, d.log_amount
  FROM deal_items di JOIN deals d ON d.pos = di.pos
  UNION ALL
  SELECT i.item, 0 AS side, d.closed, d.won, d.cycle, d.log_amount
  FROM items i CROSS JOIN deals d
  WHERE NOT EXISTS (SELECT 1 FROM deal_items di WHERE di.item = i.item AND di.pos = d.pos)
),
sums AS (
  SELECT item, side, SUM(closed) AS closed, SUM(won) AS won,
         COUNT(log_amount) AS amounts, SUM(log_amount) AS sum_log
  FROM pairs GROUP BY item, side
),
ranked AS (
  SELECT item, side, cycle,
         ROW_NUMBER() OVER (PARTITION BY item, side ORDER BY cycle) AS rn,
         COUNT(*) OVER (PARTITION BY item, side) AS cnt
  FROM pairs WHERE closed = 1 AND cycle >= 0
),
medians AS (
  SELECT item, side, AVG(cycle) AS median_cycle
  FROM ranked WHERE 2 * rn BETWEEN cnt AND cnt + 2
  GROUP BY item, side
)
SELECT i.item,
       COALESCE(w.closed, 0), COALESCE(w.won, 0), COALESCE(w.amounts, 0), COALESCE(w.sum_log, 0), mw.median_cycle,
       COALESCE(o.closed, 0), COALESCE(o.won, 0), COALESCE(o.amounts, 0), COALESCE(o.sum_log, 0), mo.median_cycle
FROM items i
LEFT JOIN sums w ON w.item = i.item AND w.side = 1
LEFT JOIN sums o ON o.item = i.item AND o.side = 0
LEFT JOIN medians mw ON mw.item = i.item AND mw.side = 1
LEFT JOIN medians mo ON mo.item = i.item AND mo.side = 0
ORDER BY i.item
`

// haloSide is one side (with or without an item) of the SQL aggregation.
type haloSide struct {
	Closed, Won, Amounts int
	SumLog               float64
	Median               float64 // median days to close of closed deals; NaN when none
}

// haloAgg is one item's row of the SQL aggregation.
type haloAgg struct{ With, Without haloSide }

// haloReference computes the aggregation directly from the flat population:
// the truth every engine and Tandem's report are checked against.
func haloReference(deals []analytics.FlatDeal, itemDeals [][]int32) []haloAgg {
	maxCycle := int32(0)
	for _, d := range deals {
		maxCycle = max(maxCycle, d.Cycle)
	}
	add := func(s *haloSide, hist []int, d analytics.FlatDeal) {
		if d.Closed {
			s.Closed++
			if d.Cycle >= 0 {
				hist[d.Cycle]++
			}
		}
		if d.Won {
			s.Won++
		}
		if !math.IsNaN(d.LogAmount) {
			s.Amounts++
			s.SumLog += d.LogAmount
		}
	}
	var tot haloSide
	totHist := make([]int, maxCycle+1)
	for _, d := range deals {
		add(&tot, totHist, d)
	}
	out := make([]haloAgg, len(itemDeals))
	hist, rest := make([]int, maxCycle+1), make([]int, maxCycle+1)
	for j, l := range itemDeals {
		clear(hist)
		var w haloSide
		for _, i := range l {
			add(&w, hist, deals[i])
		}
		for c := range rest {
			rest[c] = totHist[c] - hist[c]
		}
		w.Median = histMedian(hist)
		out[j] = haloAgg{With: w, Without: haloSide{Closed: tot.Closed - w.Closed, Won: tot.Won - w.Won,
			Amounts: tot.Amounts - w.Amounts, SumLog: tot.SumLog - w.SumLog, Median: histMedian(rest)}}
	}
	return out
}

// histMedian is the median of values given as counts per value: the middle
// value, or the mean of the two middle ones; NaN when empty.
func histMedian(hist []int) float64 {
	n := 0
	for _, c := range hist {
		n += c
	}
	if n == 0 {
		return math.NaN()
	}
	lo, hi, below := -1, -1, 0
	for v, c := range hist {
		below += c
		if lo < 0 && 2*below >= n {
			lo = v
		}
		if 2*below > n {
			hi = v
			break
		}
	}
	return float64(lo+hi) / 2
}

// sumTolerance is how far two sums of log amounts may differ: engines add
// in different orders, and the "without" side may be a difference of sums.
func sumTolerance(want []haloAgg) float64 {
	t := 1.0
	if len(want) > 0 {
		t = max(t, math.Abs(want[0].With.SumLog+want[0].Without.SumLog))
	}
	return 1e-9 * t
}

// compareHaloRows checks an engine's rows (item, five with columns, five
// without columns) against the reference.
func compareHaloRows(engine string, rows [][]*float64, want []haloAgg) []string {
	if len(rows) != len(want) {
		return []string{fmt.Sprintf("%s: %d rows, want %d (one per item)", engine, len(rows), len(want))}
	}
	tol := sumTolerance(want)
	var bad []string
	val := func(v *float64) float64 {
		if v == nil {
			return math.NaN()
		}
		return *v
	}
	for j, row := range rows {
		if len(row) != 11 {
			return append(bad, fmt.Sprintf("%s: row %d has %d columns, want 11", engine, j, len(row)))
		}
		if int(val(row[0])) != j {
			return append(bad, fmt.Sprintf("%s: row %d is item %v", engine, j, val(row[0])))
		}
		for k, side := range []struct {
			name string
			want haloSide
		}{{"with", want[j].With}, {"without", want[j].Without}} {
			c := row[1+5*k : 6+5*k]
			got := []float64{val(c[0]), val(c[1]), val(c[2]), val(c[3]), val(c[4])}
			w := side.want
			switch {
			case got[0] != float64(w.Closed) || got[1] != float64(w.Won) || got[2] != float64(w.Amounts):
				bad = append(bad, fmt.Sprintf("%s: item %d %s: closed/won/amounts %v/%v/%v, want %d/%d/%d", engine, j, side.name, got[0], got[1], got[2], w.Closed, w.Won, w.Amounts))
			case math.Abs(got[3]-w.SumLog) > tol:
				bad = append(bad, fmt.Sprintf("%s: item %d %s: sum of log amounts %v, want %v", engine, j, side.name, got[3], w.SumLog))
			case got[4] != w.Median && !(math.IsNaN(got[4]) && math.IsNaN(w.Median)):
				bad = append(bad, fmt.Sprintf("%s: item %d %s: median cycle %v, want %v", engine, j, side.name, got[4], w.Median))
			}
		}
	}
	return bad
}

// checkHaloReport checks Tandem's halo report against the reference: win
// rates with and without (n closed deals, wins), and the raw deal-size
// ratio (exp of the difference of mean log amounts).
func checkHaloReport(rep *tandem.Report, items []string, want []haloAgg) []string {
	byName := map[string]tandem.Group{}
	for _, g := range slices.Concat(rep.Groups, rep.Apart) {
		byName[g.Key["feature"]] = g
	}
	var bad []string
	count := func(e tandem.Estimate) (n, k int) {
		if e.N == 0 {
			return 0, 0
		}
		return e.N, int(math.Round(e.Value * float64(e.N)))
	}
	for j, name := range items {
		g, ok := byName[name]
		if !ok {
			bad = append(bad, fmt.Sprintf("tandem: no row for item %q", name))
			continue
		}
		w := want[j]
		if n, k := count(g.Metrics["win_with"]); n != w.With.Closed || k != w.With.Won {
			bad = append(bad, fmt.Sprintf("tandem: %s win_with %d of %d, want %d of %d", name, k, n, w.With.Won, w.With.Closed))
		}
		if n, k := count(g.Metrics["win_without"]); n != w.Without.Closed || k != w.Without.Won {
			bad = append(bad, fmt.Sprintf("tandem: %s win_without %d of %d, want %d of %d", name, k, n, w.Without.Won, w.Without.Closed))
		}
		size := g.Metrics["size_ratio"]
		if w.With.Amounts > 0 && w.Without.Amounts > 0 {
			ref := w.With.SumLog/float64(w.With.Amounts) - w.Without.SumLog/float64(w.Without.Amounts)
			if size.N != min(w.With.Amounts, w.Without.Amounts) || math.Abs(math.Log(size.Value)-ref) > 1e-9 {
				bad = append(bad, fmt.Sprintf("tandem: %s size_ratio %v (n=%d), want %v (n=%d)", name, size.Value, size.N, math.Exp(ref), min(w.With.Amounts, w.Without.Amounts)))
			}
		} else if !math.IsNaN(size.Value) {
			bad = append(bad, fmt.Sprintf("tandem: %s size_ratio %v, want none", name, size.Value))
		}
	}
	return bad
}

// haloFlatSchema is the SQLite baseline's tables, with the keys the
// queries look up by: deals by position, tags by (item, deal) for the
// anti-join, closed deals by cycle for the population histogram.
const haloFlatSchema = `
CREATE TABLE deals (pos INTEGER PRIMARY KEY, closed INTEGER NOT NULL, won INTEGER NOT NULL,
  cycle INTEGER NOT NULL, event INTEGER NOT NULL, log_amount REAL, stratum INTEGER NOT NULL);
CREATE TABLE deal_items (item INTEGER NOT NULL, pos INTEGER NOT NULL, PRIMARY KEY (item, pos)) WITHOUT ROWID;
CREATE TABLE items (item INTEGER PRIMARY KEY, name TEXT NOT NULL);
`

const haloFlatIndexes = `
CREATE INDEX deals_closed_cycle ON deals (closed, cycle);
ANALYZE;
`

// writeHaloFlat writes the flat population to DIR/flat.db (SQLite) and to
// DIR/deals.csv, deal_items.csv and items.csv (DuckDB).
func writeHaloFlat(ctx context.Context, dir string, deals []analytics.FlatDeal, items []string, itemDeals [][]int32) error {
	b01 := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	logAmount := func(x float64) any {
		if math.IsNaN(x) {
			return nil
		}
		return x
	}
	// CSV files.
	err := writeFile(filepath.Join(dir, "deals.csv"), func(w *bufio.Writer) {
		w.WriteString("pos,closed,won,cycle,event,log_amount,stratum\n")
		for i, d := range deals {
			la := ""
			if !math.IsNaN(d.LogAmount) {
				la = strconv.FormatFloat(d.LogAmount, 'g', -1, 64)
			}
			fmt.Fprintf(w, "%d,%d,%d,%d,%d,%s,%d\n", i, b01(d.Closed), b01(d.Won), d.Cycle, b01(d.Event), la, d.Stratum)
		}
	})
	if err == nil {
		err = writeFile(filepath.Join(dir, "deal_items.csv"), func(w *bufio.Writer) {
			w.WriteString("item,pos\n")
			for j, l := range itemDeals {
				for _, i := range l {
					fmt.Fprintf(w, "%d,%d\n", j, i)
				}
			}
		})
	}
	if err == nil {
		err = writeFile(filepath.Join(dir, "items.csv"), func(w *bufio.Writer) {
			c := csv.NewWriter(w)
			c.Write([]string{"item", "name"})
			for j, name := range items {
				c.Write([]string{strconv.Itoa(j), name})
			}
			c.Flush()
		})
	}
	if err != nil {
		return fmt.Errorf("bench: write CSV: %w", err)
	}

	// SQLite file.
	path := filepath.Join(dir, "flat.db")
	for _, suffix := range []string{"", "-wal", "-shm", "-journal"} {
		if err := os.Remove(path + suffix); err != nil && !os.IsNotExist(err) {
			return fmt.Errorf("bench: %w", err)
		}
	}
	db, err := sql.Open("sqlite", sqliteFileURI(path)+"?_pragma=synchronous(OFF)&_pragma=journal_mode(OFF)")
	if err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	defer db.Close()
	fail := func(err error) error { return fmt.Errorf("bench: write %s: %w", path, err) }
	if _, err := db.ExecContext(ctx, haloFlatSchema); err != nil {
		return fail(err)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fail(err)
	}
	defer tx.Rollback()
	insert := func(query string, n int, args func(i int) []any) error {
		st, err := tx.PrepareContext(ctx, query)
		if err != nil {
			return err
		}
		defer st.Close()
		for i := range n {
			if _, err := st.ExecContext(ctx, args(i)...); err != nil {
				return err
			}
		}
		return nil
	}
	err = insert("INSERT INTO deals VALUES (?, ?, ?, ?, ?, ?, ?)", len(deals), func(i int) []any {
		d := deals[i]
		return []any{i, b01(d.Closed), b01(d.Won), d.Cycle, b01(d.Event), logAmount(d.LogAmount), d.Stratum}
	})
	if err == nil {
		err = insert("INSERT INTO items VALUES (?, ?)", len(items), func(j int) []any { return []any{j, items[j]} })
	}
	if err == nil {
		var tags [][2]int32
		for j, l := range itemDeals {
			for _, i := range l {
				tags = append(tags, [2]int32{int32(j), i})
			}
		}
		err = insert("INSERT INTO deal_items VALUES (?, ?)", len(tags), func(k int) []any { return []any{tags[k][0], tags[k][1]} })
	}
	if err == nil {
		_, err = tx.ExecContext(ctx, haloFlatIndexes)
	}
	if err == nil {
		err = tx.Commit()
	}
	if err != nil {
		return fail(err)
	}
	return nil
}

// sqliteFileURI is a file: URI with the path escaped, so names with '?' or
// '%' stay names.
func sqliteFileURI(path string) string { return "file:" + (&url.URL{Path: path}).EscapedPath() }

func writeFile(path string, fill func(w *bufio.Writer)) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fill(w)
	return errors.Join(w.Flush(), f.Close())
}

// haloSQLite runs one query on DIR/flat.db with the modernc driver, in
// this process, --runs times or until a run passes --timeout.
func (a *app) haloSQLite(ctx context.Context, o haloBenchOptions, name, query string) (HaloBaseline, [][]*float64, error) {
	b := HaloBaseline{Engine: "sqlite", Query: name}
	// The baseline gets a 256 MiB page cache (as Tandem's writer) and two
	// sorter threads; temporary sort data stays on disk, since the direct
	// form sorts hundreds of millions of rows.
	db, err := sql.Open("sqlite", sqliteFileURI(filepath.Join(o.dir, "flat.db"))+"?mode=ro&_pragma=cache_size(-262144)&_pragma=threads(2)")
	if err != nil {
		return b, nil, fmt.Errorf("bench: %w", err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if err := db.QueryRowContext(ctx, "SELECT sqlite_version()").Scan(&b.Version); err != nil {
		return b, nil, fmt.Errorf("bench: sqlite: %w", err)
	}
	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS()
	var rows [][]*float64
	for range o.runs {
		qctx, cancel := context.WithTimeout(ctx, o.timeout)
		start := time.Now()
		got, err := scanNumbers(qctx, db, query)
		elapsed := time.Since(start).Seconds()
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return b, nil, ctx.Err()
			}
			if qctx.Err() != nil {
				b.TimedOut = true
				b.Note = fmt.Sprintf("did not finish in %s", o.timeout)
				a.progress("sqlite: %s query %s", name, b.Note)
				break
			}
			return b, nil, fmt.Errorf("bench: sqlite %s query: %w", name, err)
		}
		a.progress("sqlite: %s query %.3f s", name, elapsed)
		b.QuerySeconds = append(b.QuerySeconds, elapsed)
		rows = got
	}
	b.Min, b.Median = minMedian(b.QuerySeconds)
	b.PeakRSSMB = peakRSSMB()
	if rows != nil {
		b.Checksum = haloChecksum(rows)
	}
	return b, rows, nil
}

// scanNumbers runs a query and returns its rows with every value as a
// number, NULL as nil.
func scanNumbers(ctx context.Context, db *sql.DB, query string) ([][]*float64, error) {
	rs, err := db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		return nil, err
	}
	vals, ptrs := make([]any, len(cols)), make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var out [][]*float64
	for rs.Next() {
		if err := rs.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]*float64, len(cols))
		for i, v := range vals {
			var f float64
			switch x := v.(type) {
			case nil:
				continue
			case int64:
				f = float64(x)
			case float64:
				f = x
			default:
				return nil, fmt.Errorf("column %s: unexpected value %v (%T)", cols[i], v, v)
			}
			row[i] = &f
		}
		out = append(out, row)
	}
	return out, rs.Err()
}

// haloChecksum hashes the exact values of the rows (counts and medians,
// whole or half numbers), as bench/duckdb does, so equal checksums mean
// equal counts and medians.
func haloChecksum(rows [][]*float64) string {
	var buf bytes.Buffer
	for _, row := range rows {
		for _, v := range row {
			switch {
			case v == nil:
				buf.WriteString("null,")
			case *v*2 == math.Trunc(*v*2):
				buf.WriteString(strconv.FormatFloat(*v, 'f', -1, 64) + ",")
			default:
				buf.WriteString("~,")
			}
		}
		buf.WriteString("\n")
	}
	return fmt.Sprintf("%x", sha256.Sum256(buf.Bytes()))[:16]
}

// duckDBOutput is what bench/duckdb prints.
type duckDBOutput struct {
	Version     string  `json:"duckdb_version"`
	Threads     int     `json:"threads"`
	MemoryLimit string  `json:"memory_limit"`
	LoadSeconds float64 `json:"load_seconds"`
	PeakRSSMB   float64 `json:"peak_rss_mb"`
	Queries     []struct {
		Name         string       `json:"name"`
		QuerySeconds []float64    `json:"query_seconds"`
		TimedOut     bool         `json:"timed_out"`
		Rows         [][]*float64 `json:"rows"`
		Checksum     string       `json:"checksum"`
	} `json:"queries"`
}

// haloDuckDB runs the DuckDB program on the CSV files and the query files,
// appending mismatches to problems.
func (a *app) haloDuckDB(ctx context.Context, o haloBenchOptions, queries []struct{ name, text string }, want []haloAgg, problems *[]string) ([]HaloBaseline, error) {
	var argv []string
	switch o.duckdb {
	case "none":
		return []HaloBaseline{{Engine: "duckdb", Note: "skipped (--duckdb none)"}}, nil
	case "auto", "":
		if _, err := os.Stat(filepath.Join("bench", "duckdb", "go.mod")); err != nil {
			return []HaloBaseline{{Engine: "duckdb", Note: "skipped: bench/duckdb not found in the working directory (run from the repository root, or give --duckdb)"}}, nil
		}
		// Built once into DIR and run directly, so that a timeout stops
		// the program itself (go run would leave it running).
		bin, err := filepath.Abs(filepath.Join(o.dir, "halo-duckdb"))
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		a.progress("building bench/duckdb (cgo; the first build takes a few minutes)")
		build := exec.CommandContext(ctx, "go", "-C", filepath.Join("bench", "duckdb"), "build", "-o", bin, ".")
		build.Stdout, build.Stderr = a.stderr, a.stderr
		if err := build.Run(); err != nil {
			return nil, fmt.Errorf("bench: build bench/duckdb: %w", err)
		}
		argv = []string{bin}
	default:
		argv = strings.Fields(o.duckdb)
	}
	argv = append(argv, "-dir", o.dir, "-runs", strconv.Itoa(o.runs), "-timeout", o.timeout.String())
	if o.duckMemory != "" {
		argv = append(argv, "-memory-limit", o.duckMemory)
	}
	for _, q := range queries {
		argv = append(argv, q.name+"="+filepath.Join(o.dir, "halo_"+q.name+".sql"))
	}
	a.progress("duckdb: %s", strings.Join(argv, " "))
	c := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, a.stderr
	if err := c.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("bench: duckdb baseline %q: %w", strings.Join(argv, " "), err)
	}
	var d duckDBOutput
	if err := json.Unmarshal(out.Bytes(), &d); err != nil {
		return nil, fmt.Errorf("bench: duckdb baseline output: %w", err)
	}
	var bs []HaloBaseline
	for _, q := range d.Queries {
		b := HaloBaseline{Engine: "duckdb", Version: d.Version, Query: q.Name, LoadSeconds: d.LoadSeconds,
			QuerySeconds: q.QuerySeconds, TimedOut: q.TimedOut, PeakRSSMB: d.PeakRSSMB, Checksum: q.Checksum,
			Note: fmt.Sprintf("%d threads, memory_limit %s; peak RSS is the program's, over the load and every query", d.Threads, d.MemoryLimit)}
		if q.TimedOut {
			b.QuerySeconds = nil
			b.Note = fmt.Sprintf("did not finish in %s; ", o.timeout) + b.Note
		}
		b.Min, b.Median = minMedian(b.QuerySeconds)
		if q.Rows != nil {
			*problems = append(*problems, compareHaloRows("duckdb "+q.Name, q.Rows, want)...)
			if sum := haloChecksum(q.Rows); sum != q.Checksum {
				*problems = append(*problems, fmt.Sprintf("duckdb %s: checksum %s of the rows received, the program says %s", q.Name, sum, q.Checksum))
			}
		}
		bs = append(bs, b)
	}
	return bs, nil
}

// printHaloBench writes the result for people.
func printHaloBench(w io.Writer, r *HaloBenchResult) {
	fmt.Fprintf(w, "halo benchmark: %s, as of %s\n", r.Store, r.AsOf)
	fmt.Fprintf(w, "population: %d deals, %d items, %d tags; bootstrap %d Poisson resamples per item; GOMAXPROCS %d\n",
		r.Deals, r.Items, r.Tags, r.Resamples, r.Threads)
	if r.GenerateSeconds > 0 {
		fmt.Fprintf(w, "generate store:                %9.2f s\n", r.GenerateSeconds)
	}
	fmt.Fprintf(w, "tandem load (store → columns): %9.2f s   peak RSS %6.0f MB\n", r.LoadSeconds, r.LoadPeakRSSMB)
	fmt.Fprintf(w, "tandem compute (full halo):    %9.3f s min, %.3f s median of %d   peak RSS %6.0f MB, Go heap in use %.0f MB\n",
		r.ComputeMin, r.ComputeMedian, len(r.ComputeSeconds), r.ComputePeakRSSMB, r.HeapInuseMB)
	for _, b := range r.Baselines {
		label := strings.TrimSpace(b.Engine + " " + b.Query)
		switch {
		case b.Min > 0:
			fmt.Fprintf(w, "%-30s %9.3f s min, %.3f s median of %d   peak RSS %6.0f MB", label+":", b.Min, b.Median, len(b.QuerySeconds), b.PeakRSSMB)
			if b.LoadSeconds > 0 {
				fmt.Fprintf(w, "   (load %.2f s)", b.LoadSeconds)
			}
			fmt.Fprintln(w)
		default:
			fmt.Fprintf(w, "%-30s %s\n", label+":", b.Note)
		}
	}
	if r.RatioDuckDB > 0 {
		fmt.Fprintf(w, "ratio tandem / duckdb (fastest query): %.3f\n", r.RatioDuckDB)
	}
	if r.RatioSQLite > 0 {
		fmt.Fprintf(w, "ratio tandem / sqlite (fastest query): %.3f\n", r.RatioSQLite)
	}
	fmt.Fprintf(w, "checked: %s\n", r.Checked)
}

// peakRSSMB reads this process's peak resident set (VmHWM) in MB, 0 when
// unknown.
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			if err == nil {
				return kb / 1024
			}
		}
	}
	return 0
}

// resetPeakRSS returns freed memory to the system and resets the peak
// resident set to the current one (Linux: "5" in /proc/self/clear_refs),
// so the next peakRSSMB measures one step.
func resetPeakRSS() {
	runtime.GC()
	debug.FreeOSMemory()
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
}
