package demo

import (
	"context"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

// BenchmarkGenerate measures generation alone, into a Loader that discards
// every record, and reports rows per second. BenchmarkGenerate/bench runs the
// full BenchConfig (about 19 million rows) once per iteration: use
// -benchtime=1x.
func BenchmarkGenerate(b *testing.B) {
	for _, bc := range []struct {
		name string
		cfg  Config
	}{{"default", DefaultConfig()}, {"bench", BenchConfig()}} {
		b.Run(bc.name, func(b *testing.B) {
			cat := tandem.NewCatalog()
			rows := 0
			start := time.Now()
			for b.Loop() {
				d := &discardLoader{}
				if _, err := Generate(context.Background(), cat, d, bc.cfg, nil); err != nil {
					b.Fatal(err)
				}
				rows += d.n
			}
			b.ReportMetric(float64(rows)/time.Since(start).Seconds(), "rows/s")
			b.ReportMetric(float64(rows)/float64(b.N), "rows/op")
		})
	}
}
