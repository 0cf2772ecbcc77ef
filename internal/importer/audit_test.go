package importer_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/importer"
)

// TestImportAudit checks that an import with Options.Audit lands with its
// audit entry, described, and that an import that fails or is a dry run
// records nothing.
func TestImportAudit(t *testing.T) {
	forEachDialect(t, func(t *testing.T, f *fixture) {
		ctx := context.Background()
		at := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
		audit := func() []tandem.AuditEntry {
			t.Helper()
			got, _, err := f.db.Audit(ctx, tandem.AuditQuery{Action: "import"})
			if err != nil {
				t.Fatal(err)
			}
			return got
		}

		// Two unknown products are created; a repeated id is skipped.
		csv := "id,stage,products\nD1,Won,Alpha\nD2,Lost,Beta;Alpha\nD1,Won,Alpha\n"
		entry := &tandem.AuditEntry{At: at, Actor: "cli:tester", Remote: "192.0.2.7"}
		f.mustLoad("deals", csv, importer.Options{OnDuplicate: importer.DupFirst, Audit: entry})
		got := audit()
		if len(got) != 1 {
			t.Fatalf("audit entries = %+v, want one", got)
		}
		a := got[0]
		if a.Actor != "cli:tester" || a.Action != "import" || a.Target != "entity:deals" || !a.At.Equal(at) || a.Remote != "192.0.2.7" {
			t.Errorf("entry = %+v", a)
		}
		var after map[string]any
		if err := json.Unmarshal(a.After, &after); err != nil {
			t.Fatalf("after %s: %v", a.After, err)
		}
		want := map[string]any{"file": "deals.csv", "entity": "deals", "format": "tandem", "rows": 3.0, "skipped_duplicates": 1.0, "created": 2.0}
		if !reflect.DeepEqual(after, want) {
			t.Errorf("after = %v, want %v", after, want)
		}
		if string(a.Before) != "null" {
			t.Errorf("before = %s, want null", a.Before)
		}

		// The caller's action and target are kept.
		f.mustLoad("accounts", accountsCSV, importer.Options{Audit: &tandem.AuditEntry{Actor: "ann@example.com", Action: "import.staged", Target: "upload:u1"}})
		if got := audit(); len(got) != 2 || got[0].Action != "import.staged" || got[0].Target != "upload:u1" {
			t.Errorf("entries = %+v", got)
		}

		// A failing import and a dry run record nothing.
		v, err := f.db.DataVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.load("deals", "id,stage,amount\nD9,Won,-5\n", importer.Options{Audit: &tandem.AuditEntry{Actor: "cli:tester"}}); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Fatalf("bad import: %v", err)
		}
		f.mustLoad("deals", "id,stage\nD8,Won\n", importer.Options{DryRun: true, Audit: &tandem.AuditEntry{Actor: "cli:tester"}})
		if got := audit(); len(got) != 2 {
			t.Errorf("after a failed import and a dry run, %d entries, want 2", len(got))
		}
		if v2, _ := f.db.DataVersion(ctx); v2 != v {
			t.Errorf("data version %d → %d without a committed import", v, v2)
		}
	})
}
