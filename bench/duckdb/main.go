// Command halo-duckdb is the DuckDB baseline of `tandem bench halo`. It
// lives in its own module so that the tandem binary stays pure Go: DuckDB's
// Go binding needs cgo and links the DuckDB library.
//
// It loads the flat halo population that `tandem bench halo` wrote as CSV
// files (deals.csv, deal_items.csv, items.csv in -dir) into DuckDB tables,
// timing the load, then runs each query file given as NAME=FILE -runs
// times, and prints one JSON object on stdout:
//
//	{"duckdb_version": "...", "threads": 2, "memory_limit": "18.6 GiB", "load_seconds": 0.41, "peak_rss_mb": 812,
//	 "queries": [{"name": "histogram", "query_seconds": [...], "rows": [[...], ...], "checksum": "..."}]}
//
// A query that runs past -timeout is interrupted and reported with
// "timed_out": true. Usage:
//
//	go -C bench/duckdb run . -dir /tmp/halobench -runs 3 histogram=/tmp/halobench/halo_histogram.sql
package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // the database/sql driver "duckdb"
)

// query is one query's measurements and result.
type query struct {
	Name         string       `json:"name"`
	QuerySeconds []float64    `json:"query_seconds"`
	TimedOut     bool         `json:"timed_out,omitempty"`
	Rows         [][]*float64 `json:"rows"`
	Checksum     string       `json:"checksum"`
}

type result struct {
	Version     string  `json:"duckdb_version"`
	Threads     int     `json:"threads"`
	MemoryLimit string  `json:"memory_limit"`
	LoadSeconds float64 `json:"load_seconds"`
	PeakRSSMB   float64 `json:"peak_rss_mb"`
	Queries     []query `json:"queries"`
}

// schema creates the tables from the CSV files, with the same columns and
// types as the SQLite baseline's tables.
const schema = `
CREATE TABLE deals AS SELECT * FROM read_csv(%[1]s, header = true,
  columns = {'pos': 'INTEGER', 'closed': 'INTEGER', 'won': 'INTEGER', 'cycle': 'INTEGER',
             'event': 'INTEGER', 'log_amount': 'DOUBLE', 'stratum': 'INTEGER'});
CREATE TABLE deal_items AS SELECT * FROM read_csv(%[2]s, header = true,
  columns = {'item': 'INTEGER', 'pos': 'INTEGER'});
CREATE TABLE items AS SELECT * FROM read_csv(%[3]s, header = true,
  columns = {'item': 'INTEGER', 'name': 'VARCHAR'});
`

func main() {
	dir := flag.String("dir", ".", "directory holding deals.csv, deal_items.csv and items.csv")
	runs := flag.Int("runs", 3, "times to run each query")
	timeout := flag.Duration("timeout", 10*time.Minute, "interrupt a query running longer than this")
	memLimit := flag.String("memory-limit", "", "DuckDB memory_limit, e.g. 8GB (default: DuckDB's, 80% of RAM); beyond it DuckDB spills to -dir/duckdb.tmp")
	flag.Parse()
	if err := run(*dir, *runs, *timeout, *memLimit, flag.Args()); err != nil {
		fmt.Fprintf(os.Stderr, "halo-duckdb: %v\n", err)
		os.Exit(1)
	}
}

func run(dir string, runs int, timeout time.Duration, memLimit string, specs []string) error {
	if runs < 1 {
		return errors.New("-runs must be at least 1")
	}
	if len(specs) == 0 {
		return errors.New("no queries: give NAME=FILE arguments")
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	// One connection: an in-memory DuckDB database belongs to its
	// connector, and the tables must outlive each statement.
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	lit := func(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
	settings := "SET temp_directory = " + lit(filepath.Join(dir, "duckdb.tmp"))
	if memLimit != "" {
		settings += "; SET memory_limit = " + lit(memLimit)
	}
	if _, err := db.ExecContext(ctx, settings); err != nil {
		return fmt.Errorf("settings: %w", err)
	}
	res := result{}
	if err := db.QueryRowContext(ctx, "SELECT version(), current_setting('threads'), current_setting('memory_limit')").Scan(&res.Version, &res.Threads, &res.MemoryLimit); err != nil {
		return fmt.Errorf("version: %w", err)
	}
	start := time.Now()
	if _, err := db.ExecContext(ctx, fmt.Sprintf(schema, lit(filepath.Join(dir, "deals.csv")), lit(filepath.Join(dir, "deal_items.csv")), lit(filepath.Join(dir, "items.csv")))); err != nil {
		return fmt.Errorf("load: %w", err)
	}
	res.LoadSeconds = time.Since(start).Seconds()
	for _, spec := range specs {
		name, file, ok := strings.Cut(spec, "=")
		if !ok {
			return fmt.Errorf("query %q: want NAME=FILE", spec)
		}
		text, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		q := query{Name: name}
		for range runs {
			qctx, cancel := context.WithTimeout(ctx, timeout)
			start := time.Now()
			rows, err := scan(qctx, db, string(text))
			elapsed := time.Since(start).Seconds()
			cancel()
			if err != nil {
				if qctx.Err() != nil {
					q.TimedOut = true
					q.QuerySeconds = append(q.QuerySeconds, elapsed)
					break
				}
				return fmt.Errorf("query %s: %w", name, err)
			}
			q.QuerySeconds = append(q.QuerySeconds, elapsed)
			q.Rows = rows
		}
		q.Checksum = checksum(q.Rows)
		res.Queries = append(res.Queries, q)
	}
	res.PeakRSSMB = peakRSSMB()
	enc := json.NewEncoder(os.Stdout)
	return enc.Encode(res)
}

// scan runs a query and returns its rows with every value as a number
// (NULL as nil).
func scan(ctx context.Context, db *sql.DB, text string) ([][]*float64, error) {
	rows, err := db.QueryContext(ctx, text)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]*float64
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]*float64, len(cols))
		for i, v := range vals {
			f, ok, err := number(v)
			if err != nil {
				return nil, fmt.Errorf("column %s: %w", cols[i], err)
			}
			if ok {
				row[i] = &f
			}
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

// number converts a scanned value; DuckDB sums integers into HUGEINT,
// which the driver returns as *big.Int.
func number(v any) (float64, bool, error) {
	switch x := v.(type) {
	case nil:
		return 0, false, nil
	case int8:
		return float64(x), true, nil
	case int16:
		return float64(x), true, nil
	case int32:
		return float64(x), true, nil
	case int64:
		return float64(x), true, nil
	case uint64:
		return float64(x), true, nil
	case float32:
		return float64(x), true, nil
	case float64:
		return x, true, nil
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		return f, true, nil
	}
	return 0, false, fmt.Errorf("unexpected value %v (%T)", v, v)
}

// checksum hashes the exact values of the rows: counts and medians, which
// are whole or half numbers. Sums of log amounts are left out, since
// engines that add in a different order differ in the last bits; the
// caller compares those with a tolerance.
func checksum(rows [][]*float64) string {
	h := sha256.New()
	for _, row := range rows {
		for _, v := range row {
			switch {
			case v == nil:
				fmt.Fprint(h, "null,")
			case *v*2 == math.Trunc(*v*2):
				fmt.Fprint(h, strconv.FormatFloat(*v, 'f', -1, 64), ",")
			default:
				fmt.Fprint(h, "~,")
			}
		}
		fmt.Fprintln(h)
	}
	return fmt.Sprintf("%x", h.Sum(nil))[:16]
}

// peakRSSMB reads the process's peak resident set (VmHWM) in MB, 0 when
// unknown; DuckDB allocates outside the Go heap, so this is the figure
// that counts.
func peakRSSMB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			if err == nil {
				return kb / 1024
			}
		}
	}
	return 0
}
