package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/importer"
	"github.com/tandemhq/tandem/internal/sqldb"
)

// benchDir returns the directory a benchmark works in: keep when given
// (created if missing, left in place), else a temporary directory that
// cleanup removes.
func benchDir(keep, prefix string) (dir string, cleanup func(), err error) {
	if keep != "" {
		if err := os.MkdirAll(keep, 0o755); err != nil {
			return "", nil, fmt.Errorf("bench: %w", err)
		}
		return keep, func() {}, nil
	}
	d, err := os.MkdirTemp("", prefix)
	if err != nil {
		return "", nil, fmt.Errorf("bench: %w", err)
	}
	return d, func() { os.RemoveAll(d) }, nil
}

// BenchResult is one measured import and its baseline from the same run.
type BenchResult struct {
	Rows           int     `json:"rows"`
	FileBytes      int64   `json:"file_bytes"`
	TandemSeconds  float64 `json:"tandem_seconds"`
	TandemRowsPerS float64 `json:"tandem_rows_per_second"`
	SQLiteSeconds  float64 `json:"sqlite3_seconds,omitempty"`
	SQLiteRowsPerS float64 `json:"sqlite3_rows_per_second,omitempty"`
	// Ratio is Tandem's rows/s over sqlite3's: above 1 means faster.
	Ratio    float64 `json:"ratio,omitempty"`
	Baseline string  `json:"baseline"`
}

func (a *app) benchCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "bench", Short: "Benchmarks whose figures go in the README"}
	var rows int
	var keep string
	imp := &cobra.Command{
		Use:   "import",
		Short: "Import a generated deals CSV into a fresh SQLite store, next to sqlite3's .import of the same file",
		Long: `Generate a deals CSV (--rows, default 1,000,000, canonical columns, references
to 1,000 accounts and 100 reps loaded beforehand), import it with Tandem's
importer into a fresh SQLite store, then load the same file with the sqlite3
shell's .import into a table with the same columns and indexes, in the same
run, and report rows/s for both and their ratio.

Tandem does more per row than .import: it parses and validates every value,
checks every reference, detects duplicate ids and upserts; .import only
inserts text.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dir, cleanup, err := benchDir(keep, "tandem-bench-")
			if err != nil {
				return err
			}
			defer cleanup()
			res, err := a.benchImport(cmd.Context(), dir, rows)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(res)
			}
			fmt.Fprintf(a.stdout, "rows: %d (%.1f MB CSV)\n", res.Rows, float64(res.FileBytes)/1e6)
			fmt.Fprintf(a.stdout, "tandem import:   %8.2f s  %10.0f rows/s\n", res.TandemSeconds, res.TandemRowsPerS)
			if res.SQLiteSeconds > 0 {
				fmt.Fprintf(a.stdout, "sqlite3 .import: %8.2f s  %10.0f rows/s\n", res.SQLiteSeconds, res.SQLiteRowsPerS)
				fmt.Fprintf(a.stdout, "ratio (tandem / sqlite3): %.2f\n", res.Ratio)
			} else {
				fmt.Fprintf(a.stdout, "sqlite3 baseline: %s\n", res.Baseline)
			}
			return nil
		},
	}
	imp.Flags().IntVar(&rows, "rows", 1_000_000, "deal rows to generate")
	imp.Flags().StringVar(&keep, "dir", "", "work in DIR and keep the files (default: a temporary directory)")
	cmd.AddCommand(imp)
	cmd.AddCommand(a.benchHaloCommand())
	cmd.AddCommand(a.benchHTTPCommand())
	cmd.AddCommand(a.benchDeskCommand())
	return cmd
}

func (a *app) benchImport(ctx context.Context, dir string, rows int) (*BenchResult, error) {
	if rows < 1 {
		return nil, tandem.Errorf(tandem.EINVALID, "--rows must be at least 1")
	}
	paths, size, err := writeBenchCSV(dir, rows)
	if err != nil {
		return nil, err
	}
	res := &BenchResult{Rows: rows, FileBytes: size}

	storePath := filepath.Join(dir, "tandem.db")
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(storePath + suffix)
	}
	db, err := sqldb.Open(ctx, storePath, a.catalog)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	im := &importer.Importer{Store: db, Catalog: a.catalog}
	for _, p := range []struct{ entity, path string }{{"accounts", paths[0]}, {"reps", paths[1]}} {
		if _, err := im.ImportFile(ctx, p.entity, p.path, importer.Options{}); err != nil {
			return nil, fmt.Errorf("bench: load %s: %w", p.entity, err)
		}
	}
	start := time.Now()
	sum, err := im.ImportFile(ctx, "deals", paths[2], importer.Options{})
	if err != nil {
		return nil, fmt.Errorf("bench: import deals: %w", err)
	}
	res.TandemSeconds = time.Since(start).Seconds()
	res.TandemRowsPerS = float64(sum.Rows) / res.TandemSeconds

	sqlite3, err := exec.LookPath("sqlite3")
	if err != nil {
		res.Baseline = "sqlite3 not found: install it (apt-get install sqlite3) to measure the baseline"
		return res, nil
	}
	// The baseline gets the pragmas Tandem's writer uses (WAL, synchronous
	// NORMAL, a 256 MiB page cache, temp store in memory): with sqlite3's
	// default 2 MiB cache, index maintenance spills to disk and the baseline
	// would look slower than SQLite is.
	res.Baseline = "sqlite3 .import into a table with the same columns and indexes, with Tandem's writer pragmas (WAL, synchronous=NORMAL, cache_size=256MiB, temp_store=MEMORY)"
	basePath := filepath.Join(dir, "sqlite3.db")
	os.Remove(basePath)
	schema := `PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
CREATE TABLE deals (id TEXT PRIMARY KEY, stage TEXT NOT NULL, account_id TEXT, rep_id TEXT, name TEXT,
  amount REAL, currency TEXT, created TEXT, closed TEXT, outcome TEXT, type TEXT);
CREATE INDEX deals_account ON deals(account_id); CREATE INDEX deals_rep ON deals(rep_id);
CREATE INDEX deals_stage ON deals(stage); CREATE INDEX deals_outcome ON deals(outcome);
CREATE INDEX deals_closed ON deals(closed); CREATE INDEX deals_created ON deals(created);`
	if out, err := exec.CommandContext(ctx, sqlite3, basePath, schema).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("bench: sqlite3 schema: %v: %s", err, out)
	}
	start = time.Now()
	c := exec.CommandContext(ctx, sqlite3, basePath, "PRAGMA synchronous=NORMAL;", "PRAGMA cache_size=-262144;",
		"PRAGMA temp_store=MEMORY;", ".import --csv --skip 1 "+paths[2]+" deals")
	if out, err := c.CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) > 0 {
		return nil, fmt.Errorf("bench: sqlite3 .import: %v: %s", err, out)
	}
	res.SQLiteSeconds = time.Since(start).Seconds()
	res.SQLiteRowsPerS = float64(rows) / res.SQLiteSeconds
	res.Ratio = res.TandemRowsPerS / res.SQLiteRowsPerS
	return res, nil
}

// writeBenchCSV writes accounts, reps and deals files for the benchmark and
// returns their paths and the deals file's size. The data is seeded, so
// every run imports the same bytes.
func writeBenchCSV(dir string, rows int) ([3]string, int64, error) {
	paths := [3]string{filepath.Join(dir, "accounts.csv"), filepath.Join(dir, "reps.csv"), filepath.Join(dir, "deals.csv")}
	const accounts, reps = 1000, 100
	write := func(path string, fill func(w *bufio.Writer)) error {
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		w := bufio.NewWriterSize(f, 1<<20)
		fill(w)
		return errors.Join(w.Flush(), f.Close())
	}
	err := write(paths[0], func(w *bufio.Writer) {
		w.WriteString("id,name,segment\n")
		for i := range accounts {
			fmt.Fprintf(w, "A%04d,Account %d,%s\n", i, i, [...]string{"SMB", "mid-market", "enterprise"}[i%3])
		}
	})
	if err == nil {
		err = write(paths[1], func(w *bufio.Writer) {
			w.WriteString("id,name,team\n")
			for i := range reps {
				fmt.Fprintf(w, "R%03d,Rep %d,Team %d\n", i, i, i%10)
			}
		})
	}
	if err == nil {
		rng := rand.New(rand.NewPCG(1, 2))
		base := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
		stages := [...]string{"Closed Won", "Closed Lost", "Proposal", "Negotiation"}
		outcomes := [...]string{"won", "lost", "open", "open"}
		types := [...]string{"new", "expansion", "renewal"}
		err = write(paths[2], func(w *bufio.Writer) {
			w.WriteString("id,stage,account_id,rep_id,name,amount,currency,created,closed,outcome,type\n")
			for i := range rows {
				s := rng.IntN(len(stages))
				created := base.AddDate(0, 0, rng.IntN(1000))
				closed := ""
				if s < 2 {
					closed = created.AddDate(0, 0, 5+rng.IntN(120)).Format(time.DateOnly)
				}
				fmt.Fprintf(w, "D%07d,%s,A%04d,R%03d,Deal %d,%d.%02d,USD,%s,%s,%s,%s\n",
					i, stages[s], rng.IntN(accounts), rng.IntN(reps), i, 1000+rng.IntN(200000), rng.IntN(100),
					created.Format(time.DateOnly), closed, outcomes[s], types[rng.IntN(3)])
			}
		})
	}
	if err != nil {
		return paths, 0, fmt.Errorf("bench: write CSV: %w", err)
	}
	st, err := os.Stat(paths[2])
	if err != nil {
		return paths, 0, fmt.Errorf("bench: %w", err)
	}
	return paths, st.Size(), nil
}
