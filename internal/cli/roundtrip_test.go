package cli_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/sqldb"
	"github.com/tandemhq/tandem/internal/testdb"
)

// TestExportImportRoundTrip loads a store through the CLI (the demo data,
// which fills every entity, list column and attribute, plus RavenStack's
// usage with repeated ids), exports every entity, imports the files into an
// empty store of the same dialect, and requires identical stores.
func TestExportImportRoundTrip(t *testing.T) {
	data := datasets(t)
	for _, dialect := range testdb.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			src := testdb.DSN(t, "sqlite")
			if code, _, errOut := run(t, "--db", src, "demo", "--no-serve", "--deals", "2000", "--seed", "7"); code != 0 {
				t.Fatalf("demo: %s", errOut)
			}
			// The demo writes SQLite; for PostgreSQL, carry it over through
			// export and import first, which is itself part of the test.
			a := src
			if dialect == "postgres" {
				a = testdb.DSN(t, dialect)
				copyStore(t, src, a)
			}
			raven := filepath.Join(data, "ravenstack")
			for _, args := range [][]string{
				{"import", "accounts", filepath.Join(raven, "ravenstack_accounts.csv"), "--map", "id=account_id", "--map", "name=account_name"},
				{"import", "subscriptions", filepath.Join(raven, "ravenstack_subscriptions.csv"), "--map", "id=subscription_id", "--map", "start=start_date", "--map", "end=end_date"},
				{"import", "usage", filepath.Join(raven, "ravenstack_feature_usage.csv"), "--map", "id=usage_id", "--map", "at=usage_date", "--map", "feature_id=feature_name", "--on-duplicate", "keep-all"},
			} {
				if code, _, errOut := run(t, append([]string{"--db", a}, args...)...); code != 0 {
					t.Fatalf("%v: %s", args, errOut)
				}
			}
			b := testdb.DSN(t, dialect)
			copyStore(t, a, b)
			if da, db := dump(t, a), dump(t, b); da != db {
				t.Fatalf("stores differ after export and import:\n%s", firstDiff(da, db))
			}
		})
	}
}

// copyStore exports every entity of store from and imports the files, in
// order, into store to.
func copyStore(t *testing.T, from, to string) {
	t.Helper()
	dir := t.TempDir()
	if code, _, errOut := run(t, "--db", from, "export", "--dir", dir); code != 0 {
		t.Fatalf("export: %s", errOut)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.csv"))
	sort.Strings(files)
	cat := tandem.NewCatalog()
	if len(files) != len(cat.Entities()) {
		t.Fatalf("export wrote %d files for %d entities", len(files), len(cat.Entities()))
	}
	for _, f := range files {
		entity := strings.TrimSuffix(filepath.Base(f)[3:], ".csv")
		e, err := cat.Entity(entity)
		if err != nil {
			t.Fatal(err)
		}
		args := []string{"--db", to, "import", entity, f}
		if !e.Referenced {
			args = append(args, "--on-duplicate", "keep-all")
		}
		if code, _, errOut := run(t, args...); code != 0 {
			t.Fatalf("import %s: %s", f, errOut)
		}
	}
}

func dump(t *testing.T, dsn string) string {
	t.Helper()
	db, err := sqldb.Open(context.Background(), dsn, tandem.NewCatalog())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	d, err := db.Dump(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// firstDiff shows the first differing line of two dumps.
func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(la) && i < len(lb); i++ {
		if la[i] != lb[i] {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, la[i], lb[i])
		}
	}
	return fmt.Sprintf("lengths differ: %d vs %d lines", len(la), len(lb))
}

// TestBackupWhileServing takes a backup of a store that `tandem serve` has
// open and is answering requests from, and requires the copy to hold the
// same rows.
func TestBackupWhileServing(t *testing.T) {
	dsn := testdb.DSN(t, "sqlite")
	if code, _, errOut := run(t, "--db", dsn, "demo", "--no-serve", "--deals", "300"); code != 0 {
		t.Fatalf("demo: %s", errOut)
	}
	token := adminToken(t, dsn)
	url := startServer(t, dsn)
	stop := make(chan struct{})
	served := make(chan int)
	go func() {
		n := 0
		defer func() { served <- n }()
		for {
			select {
			case <-stop:
				return
			default:
			}
			req, _ := http.NewRequest(http.MethodGet, url+"api/v1/deals?limit=50", nil)
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				return
			}
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				n++
			}
		}
	}()
	backup := filepath.Join(t.TempDir(), "backup.db")
	code, _, errOut := run(t, "--db", dsn, "backup", backup)
	close(stop)
	if n := <-served; n == 0 {
		t.Error("the server answered no request during the backup")
	}
	if code != 0 {
		t.Fatalf("backup: %s", errOut)
	}
	if a, b := dump(t, dsn), dump(t, backup); a != b {
		t.Fatalf("backup differs from the store:\n%s", firstDiff(a, b))
	}
	if code, _, _ := run(t, "--db", dsn, "backup", backup); code != 2 {
		t.Errorf("backup over an existing file exited %d, want 2", code)
	}
}
