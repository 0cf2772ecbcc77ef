package sqldb

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

// BenchmarkLoadDeals loads b.N small deal rows (the columns of the `tandem
// bench import` file) into a fresh store in one load, and reports rows/s.
// Each op is one row, so pick the size with -benchtime:
//
//	go test -run '^$' -bench LoadDeals -benchtime 1000000x ./internal/sqldb/
func BenchmarkLoadDeals(b *testing.B) {
	for _, d := range testDialects() {
		b.Run(d, func(b *testing.B) {
			ctx := context.Background()
			db := openTest(b, d)
			cat := db.cat
			accounts, _ := cat.Entity("accounts")
			reps, _ := cat.Entity("reps")
			deals, _ := cat.Entity("deals")
			const nAccounts, nReps = 1000, 100
			var puts []put
			for i := range nAccounts {
				puts = append(puts, put{"accounts", partial(b, accounts, "id", fmt.Sprintf("A%04d", i), "name", fmt.Sprintf("Account %d", i))})
			}
			for i := range nReps {
				puts = append(puts, put{"reps", partial(b, reps, "id", fmt.Sprintf("R%03d", i), "name", fmt.Sprintf("Rep %d", i))})
			}
			load(b, db, puts...)

			// The rows are made before timing, as a parser would hand them over.
			stages := [...]string{"Closed Won", "Closed Lost", "Proposal", "Negotiation"}
			outcomes := [...]string{"won", "lost", "open", "open"}
			types := [...]string{"new", "expansion", "renewal"}
			base := time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC)
			recs := make([]tandem.Record, b.N)
			for i := range recs {
				s := i % 4
				created := base.AddDate(0, 0, (i*7)%1000)
				var closed any
				if s < 2 {
					closed = created.AddDate(0, 0, 5+i%120)
				}
				recs[i] = partial(b, deals, "id", fmt.Sprintf("D%07d", i), "stage", stages[s],
					"account_id", fmt.Sprintf("A%04d", (i*31)%nAccounts), "rep_id", fmt.Sprintf("R%03d", (i*17)%nReps),
					"name", fmt.Sprintf("Deal %d", i), "amount", float64(1000+i%200000)+float64(i%100)/100, "currency", "USD",
					"created", created, "closed", closed, "outcome", outcomes[s], "type", types[i%3])
			}

			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			l, err := db.Begin(ctx)
			if err != nil {
				b.Fatal(err)
			}
			for _, r := range recs {
				if err := l.Put(ctx, deals, r); err != nil {
					b.Fatal(err)
				}
			}
			counts, err := l.Commit(ctx)
			if err != nil {
				b.Fatal(err)
			}
			elapsed := time.Since(start)
			b.StopTimer()
			if counts[0].Inserted != b.N {
				b.Fatalf("counts = %+v, want %d inserted", counts, b.N)
			}
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "rows/s")
		})
	}
}
