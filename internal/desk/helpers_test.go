package desk

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/demo"
	"github.com/tandemhq/tandem/internal/importer"
	"github.com/tandemhq/tandem/internal/sqldb/sqldbtest"
)

// fixtureAsOf is the as-of date of the hand-built store in
// testdata/history.
func fixtureAsOf() time.Time { return time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC) }

// demoEnd is the last day of the default demo period.
func demoEnd() time.Time { return time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC) }

// historyStore imports testdata/history (one CSV per entity) into a fresh
// SQLite store. The file's comments in archetype_test.go say what each
// deal is for.
func historyStore(t testing.TB) (tandem.Store, *tandem.Catalog) {
	t.Helper()
	cat := tandem.NewCatalog()
	store := sqldbtest.Open(t, "sqlite", cat)
	im := &importer.Importer{Store: store, Catalog: cat}
	for _, e := range cat.Names() {
		path := filepath.Join("testdata", "history", e+".csv")
		if _, err := os.Stat(path); err != nil {
			continue
		}
		if sum, err := im.ImportFile(context.Background(), e, path, importer.Options{}); err != nil {
			t.Fatalf("import %s: %v (%+v)", e, err, sum)
		}
	}
	return store, cat
}

// demoStore generates the default demo dataset into a fresh SQLite store.
func demoStore(t testing.TB) (tandem.Store, *tandem.Catalog) {
	t.Helper()
	cat := tandem.NewCatalog()
	store := sqldbtest.Open(t, "sqlite", cat)
	ctx := context.Background()
	loader, err := store.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Generate(ctx, cat, loader, demo.DefaultConfig(), nil); err != nil {
		loader.Rollback()
		t.Fatal(err)
	}
	if _, err := loader.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return store, cat
}

// accept marks archetypes accepted at version 1, as RevOps would.
func accept(as []Archetype) []Archetype {
	out := make([]Archetype, len(as))
	for i, a := range as {
		a.Status, a.Version = StatusAccepted, 1
		out[i] = a
	}
	return out
}

// checkFigure fails unless f is well formed: finite, a non-negative N,
// CILow <= Value <= CIHigh, and N > 0 when it is sufficient.
func checkFigure(t testing.TB, where string, f Figure) {
	t.Helper()
	for _, v := range []float64{f.Value, f.CILow, f.CIHigh} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			t.Errorf("%s: figure %q not finite: %+v", where, f.Label, f)
			return
		}
	}
	if f.N < 0 {
		t.Errorf("%s: figure %q has N %d", where, f.Label, f.N)
	}
	if !f.Insufficient && !(f.CILow <= f.Value && f.Value <= f.CIHigh) {
		t.Errorf("%s: figure %q: value %v outside [%v, %v]", where, f.Label, f.Value, f.CILow, f.CIHigh)
	}
	if f.Label == "" || f.Unit == "" {
		t.Errorf("%s: figure without label or unit: %+v", where, f)
	}
}

// checkResult fails unless c is a well-formed check of q: it serialises,
// has a position per line, documented flag codes with their documented
// severity and link, well-formed figures, and a no-archetype flag exactly
// when nothing matched.
func checkResult(t testing.TB, q *tandem.Quote, c Check) {
	t.Helper()
	if _, err := json.Marshal(c); err != nil {
		t.Fatalf("check does not serialise: %v", err)
	}
	lines := 0
	if q != nil {
		lines = len(q.Lines)
	}
	if len(c.Lines) != lines {
		t.Errorf("%d line positions for %d lines", len(c.Lines), lines)
	}
	for _, l := range c.Lines {
		switch l.Position {
		case "below", "within", "above", "insufficient data":
			if l.Band == nil {
				t.Errorf("line %q is %s with no band", l.Line, l.Position)
			}
		case "no band":
			if l.Band != nil {
				t.Errorf("line %q has a band but position %q", l.Line, l.Position)
			}
		default:
			t.Errorf("line %q: position %q", l.Line, l.Position)
		}
	}
	if !(c.Match.Distance >= 0 && c.Match.Distance <= 1) {
		t.Errorf("distance %v outside [0, 1]", c.Match.Distance)
	}
	docs := map[string]FlagDoc{}
	for _, d := range FlagDocs() {
		docs[d.Code] = d
	}
	noArchetype := false
	for _, f := range c.Flags {
		d, ok := docs[f.Code]
		if !ok {
			t.Errorf("undocumented flag code %q", f.Code)
		}
		if f.Severity != d.Severity {
			t.Errorf("flag %s has severity %s, documented %s", f.Code, f.Severity, d.Severity)
		}
		if f.Link != "/desk/flags#"+f.Code || f.Message == "" || f.Evidence == nil {
			t.Errorf("flag %s: link %q, message %q, evidence %v", f.Code, f.Link, f.Message, f.Evidence)
		}
		for _, fig := range f.Evidence {
			checkFigure(t, f.Code, fig)
		}
		for _, s := range f.Suggestions {
			if s.Text == "" || len(s.Figures) == 0 {
				t.Errorf("flag %s: empty suggestion %+v", f.Code, s)
			}
			for _, fig := range s.Figures {
				checkFigure(t, f.Code+" suggestion", fig)
			}
		}
		noArchetype = noArchetype || f.Code == FlagNoArchetype
	}
	if noArchetype != (c.Match.Archetype == "") {
		t.Errorf("matched %q but no-archetype flag %v", c.Match.Archetype, noArchetype)
	}
	for i := 1; i < len(c.Flags); i++ {
		if severityRank(c.Flags[i].Severity) > severityRank(c.Flags[i-1].Severity) {
			t.Errorf("flags not ordered by severity: %s before %s", c.Flags[i-1].Code, c.Flags[i].Code)
		}
	}
}
