package importer_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/importer"
	"github.com/tandemhq/tandem/internal/sqldb/sqldbtest"
)

// BenchmarkImportDeals imports a 100,000-row canonical deals CSV (with
// account and rep references) into a fresh SQLite store per iteration and
// reports rows/s. `tandem bench import` measures 1M rows against sqlite3.
func BenchmarkImportDeals(b *testing.B) {
	const rows = 100_000
	dir := b.TempDir()
	path := filepath.Join(dir, "deals.csv")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "id,stage,account_id,rep_id,name,amount,currency,created,closed,outcome,type")
	for i := range rows {
		fmt.Fprintf(w, "D%07d,Closed Won,A%03d,R%02d,Deal %d,%d.50,USD,2024-01-%02d,2024-03-%02d,won,new\n", i, i%500, i%50, i, 1000+i%9000, 1+i%28, 1+i%28)
	}
	w.Flush()
	f.Close()
	var accounts, reps string
	accounts, reps = "id,name\n", "id,name\n"
	for i := range 500 {
		accounts += fmt.Sprintf("A%03d,Account %d\n", i, i)
	}
	for i := range 50 {
		reps += fmt.Sprintf("R%02d,Rep %d\n", i, i)
	}
	os.WriteFile(filepath.Join(dir, "accounts.csv"), []byte(accounts), 0o644)
	os.WriteFile(filepath.Join(dir, "reps.csv"), []byte(reps), 0o644)

	ctx := context.Background()
	var elapsed time.Duration
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		cat := tandem.NewCatalog()
		db := sqldbtest.Open(b, "sqlite", cat)
		im := &importer.Importer{Store: db, Catalog: cat}
		for _, e := range []string{"accounts", "reps"} {
			if _, err := im.ImportFile(ctx, e, filepath.Join(dir, e+".csv"), importer.Options{}); err != nil {
				b.Fatal(err)
			}
		}
		b.StartTimer()
		start := time.Now()
		if _, err := im.ImportFile(ctx, "deals", path, importer.Options{}); err != nil {
			b.Fatal(err)
		}
		elapsed += time.Since(start)
	}
	b.ReportMetric(float64(rows*b.N)/elapsed.Seconds(), "rows/s")
}
