package analytics

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/importer"
	"github.com/tandemhq/tandem/internal/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/internal/testdb"
)

// fixture is a store with CSV files loaded, and an engine on it whose
// report date defaults to asOf.
type fixture struct {
	t      testing.TB
	store  tandem.Store
	cat    *tandem.Catalog
	engine *Engine
}

// testAsOf is the default report date of fixtures.
var testAsOf = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// eachDialect runs fn on an empty store of every test dialect (SQLite, and
// PostgreSQL when the test script started one).
func eachDialect(t *testing.T, fn func(t *testing.T, f *fixture)) {
	t.Helper()
	for _, dialect := range testdb.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			cat := tandem.NewCatalog()
			store := sqldbtest.Open(t, dialect, cat)
			fn(t, &fixture{t: t, store: store, cat: cat, engine: New(store, cat, func() time.Time { return testAsOf })})
		})
	}
}

// load imports CSV text (first line the header) into entity; maps are
// "canonical=source" column mappings.
func (f *fixture) load(entity, csv string, maps ...string) {
	f.t.Helper()
	path := filepath.Join(f.t.TempDir(), entity+".csv")
	if err := os.WriteFile(path, []byte(strings.TrimLeft(csv, "\n")), 0o644); err != nil {
		f.t.Fatal(err)
	}
	f.loadFile(entity, path, importer.Options{}, maps...)
}

// loadFile imports a file with options and column maps.
func (f *fixture) loadFile(entity, path string, opt importer.Options, maps ...string) {
	f.t.Helper()
	for _, m := range maps {
		c, s, _ := strings.Cut(m, "=")
		opt.Map = append(opt.Map, importer.Mapping{Canonical: c, Source: s})
	}
	im := &importer.Importer{Store: f.store, Catalog: f.cat}
	sum, err := im.ImportFile(context.Background(), entity, path, opt)
	if err != nil {
		f.t.Fatalf("import %s: %v (%+v)", entity, err, sum)
	}
}

// run runs a report and fails the test on error.
func (f *fixture) run(name string, p tandem.ReportParams) *tandem.Report {
	f.t.Helper()
	rep, err := f.engine.Run(context.Background(), name, p)
	if err != nil {
		f.t.Fatalf("report %s: %v", name, err)
	}
	return rep
}

// groupBy finds the group whose key field has the value.
func groupBy(t testing.TB, rep *tandem.Report, field, value string) tandem.Group {
	t.Helper()
	for _, g := range rep.Groups {
		if g.Key[field] == value {
			return g
		}
	}
	t.Fatalf("report %s: no group %s=%s", rep.Report, field, value)
	return tandem.Group{}
}

// near reports whether a and b agree within tol (both NaN counts as equal).
func near(a, b, tol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol
}
