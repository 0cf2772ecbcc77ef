package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/cli"
	"github.com/tandemhq/tandem/internal/importer"
	"github.com/tandemhq/tandem/internal/sqldb"
	"github.com/tandemhq/tandem/internal/testdb"
)

// repoRoot is the repository root, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// datasets returns the shared datasets directory, skipping when absent.
func datasets(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(repoRoot(t), "..", "shared", "datasets")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("shared datasets not found at %s", dir)
	}
	return dir
}

// run executes the CLI in-process and returns its exit status and output.
func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := cli.Main(context.Background(), args, &out, &errOut, func(string) string { return "" }, cli.Version{Version: "test"})
	return code, out.String(), errOut.String()
}

// readmeCommands returns the tandem commands of the README's datasets block.
func readmeCommands(t *testing.T) [][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "<!-- datasets:begin -->")
	block, _, ok2 := strings.Cut(rest, "<!-- datasets:end -->")
	if !ok || !ok2 {
		t.Fatal("README has no datasets block")
	}
	var cmds [][]string
	for _, line := range strings.Split(block, "\n") {
		if strings.HasPrefix(line, "tandem ") {
			cmds = append(cmds, strings.Fields(line)[1:])
		}
	}
	if len(cmds) < 10 {
		t.Fatalf("README datasets block has %d commands", len(cmds))
	}
	return cmds
}

// TestREADMEDatasetCommands runs the README's import commands as written
// (stores redirected to fresh ones of each dialect) and checks what they
// loaded against the datasets' documented facts.
func TestREADMEDatasetCommands(t *testing.T) {
	data := datasets(t)
	cmds := readmeCommands(t)
	for _, dialect := range testdb.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			stores := map[string]string{}
			summaries := map[string][]importer.Summary{}
			for _, args := range cmds {
				args = append([]string(nil), args...)
				name := ""
				for i := range args {
					if args[i] == "--db" {
						name = args[i+1]
						if stores[name] == "" {
							stores[name] = testdb.DSN(t, dialect)
						}
						args[i+1] = stores[name]
					}
					args[i] = strings.Replace(args[i], "../shared/datasets", data, 1)
				}
				code, out, errOut := run(t, append(args, "--json")...)
				if code != 0 {
					t.Fatalf("tandem %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
				}
				var s importer.Summary
				if err := json.Unmarshal([]byte(out), &s); err != nil {
					t.Fatalf("summary: %v\n%s", err, out)
				}
				summaries[name] = append(summaries[name], s)
			}
			checkDatasetReports(t, stores, dialect)
			cat := tandem.NewCatalog()
			open := func(name string) *sqldb.DB {
				db, err := sqldb.Open(context.Background(), stores[name], cat)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				return db
			}
			total := func(db *sqldb.DB, entity string, filters ...tandem.Filter) int {
				p, err := db.List(context.Background(), entity, tandem.Query{Filters: filters, Limit: 1})
				if err != nil {
					t.Fatal(err)
				}
				return p.Total
			}

			maven := open("maven.db")
			for _, c := range []struct {
				outcome string
				want    int
			}{{"won", 4238}, {"lost", 2473}, {"open", 2089}} {
				if got := total(maven, "deals", tandem.Filter{Column: "outcome", Value: c.outcome}); got != c.want {
					t.Errorf("maven %s deals = %d, want %d", c.outcome, got, c.want)
				}
			}
			if got := total(maven, "deals", tandem.Filter{Column: "products", Value: "GTX Pro"}); got != 1480 {
				t.Errorf("maven GTX Pro deals = %d, want 1480", got)
			}
			dealSum := summaries["maven.db"][3]
			found := false
			for _, n := range dealSum.Normalized {
				if n.From == "GTXPro" && n.To == "GTX Pro" && n.Rows == 1480 {
					found = true
				}
			}
			if !found {
				t.Errorf("GTXPro normalization not reported: %+v", dealSum.Normalized)
			}
			if len(dealSum.Created) != 0 {
				t.Errorf("maven created catalog entries: %+v", dealSum.Created)
			}

			telco := open("telco.db")
			if got := total(telco, "subscriptions"); got != 7043 {
				t.Errorf("telco subscriptions = %d", got)
			}
			if got := total(telco, "subscriptions", tandem.Filter{Column: "status", Value: "churned"}); got != 1869 {
				t.Errorf("telco churned = %d, want 1869", got)
			}
			if got := total(telco, "features"); got != 8 {
				t.Errorf("telco features = %d, want 8", got)
			}
			if got := total(telco, "adoptions", tandem.Filter{Column: "feature_id", Value: "TechSupport"}); got != 2044 {
				t.Errorf("telco TechSupport adoptions = %d, want 2044", got)
			}

			raven := open("raven.db")
			for entity, want := range map[string]int{"accounts": 500, "subscriptions": 5000, "usage": 25000, "tickets": 2000, "churn_events": 600, "features": 40} {
				if got := total(raven, entity); got != want {
					t.Errorf("raven %s = %d, want %d", entity, got, want)
				}
			}
			usage := summaries["raven.db"][2]
			if len(usage.Duplicates) != 21 {
				t.Errorf("raven usage duplicates = %d, want 21", len(usage.Duplicates))
			}
			if got := total(raven, "subscriptions", tandem.Filter{Column: "status", Value: "churned"}); got != 486 {
				t.Errorf("raven churned subscriptions = %d, want 486", got)
			}

			// Re-running every command changes nothing.
			before := map[string]string{}
			for name := range stores {
				d, err := open(name).Dump(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				before[name] = d
			}
			for _, args := range cmds {
				args = append([]string(nil), args...)
				for i := range args {
					if args[i] == "--db" {
						args[i+1] = stores[args[i+1]]
					}
					args[i] = strings.Replace(args[i], "../shared/datasets", data, 1)
				}
				if code, _, errOut := run(t, args...); code != 0 {
					t.Fatalf("re-run: %s", errOut)
				}
			}
			for name := range stores {
				d, err := open(name).Dump(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if d != before[name] {
					t.Errorf("re-importing %s changed the store", name)
				}
			}
		})
	}
}

func TestUsageErrorsAndSecrets(t *testing.T) {
	dsn := filepath.Join(t.TempDir(), "t.db")
	for _, args := range [][]string{
		{"--db", dsn, "deals", "list", "--limit", "abc"},
		{"--db", dsn, "import", "deals"},
		{"--db", dsn, "nosuchcommand"},
		{"--db", dsn, "--no-such-flag", "version"},
	} {
		if code, _, errOut := run(t, args...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errOut)
		}
	}
	code, out, errOut := run(t, "--db", "postgres://u:hunter1@127.0.0.1:1/db?sslpassword=hunter2&connect_timeout=2", "migrate", "status")
	if code == 0 {
		t.Fatal("connecting to a closed port succeeded")
	}
	if strings.Contains(out+errOut, "hunter") {
		t.Errorf("a password reached the output: %s", errOut)
	}
}
