package cli_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tandemhq/tandem/internal/importer"
	"github.com/tandemhq/tandem/internal/testdb"
)

// TestImportQuotesSyncsDesk: tandem import quotes, then quote_lines, prints
// what the deal desk made of them, in text and in --json; a re-import
// makes no new versions.
func TestImportQuotesSyncsDesk(t *testing.T) {
	dsn := testdb.DSN(t, "sqlite")
	dir := t.TempDir()
	file := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	for _, args := range [][]string{
		{"import", "deals", file("deals.csv", "id,stage,amount\nD1,Proposal,12000\n")},
		{"import", "products", file("products.csv", "id,name,price\nP1,Platform,1000\n")},
	} {
		if code, _, errOut := run(t, append([]string{"--db", dsn}, args...)...); code != 0 {
			t.Fatalf("%v: %s", args, errOut)
		}
	}
	quotes := file("quotes.csv", "id,deal_id,term_months,billing,payment_terms_days\nQ1,D1,12,Annual,Net 45\n")
	lines := file("quote_lines.csv", "id,quote_id,product_id,quantity,discount\nL1,Q1,Platform,12,5\n")

	code, out, errOut := run(t, "--db", dsn, "import", "quotes", quotes)
	if code != 0 || !strings.Contains(out, "deal desk: 0 quotes created, 0 new versions, 0 unchanged") || !strings.Contains(out, "quote Q1: no lines yet") {
		t.Fatalf("import quotes: %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = run(t, "--db", dsn, "import", "quote_lines", lines)
	if code != 0 || !strings.Contains(out, "deal desk: 1 quotes created, 0 new versions, 0 unchanged") || strings.Contains(out, "not synced") {
		t.Fatalf("import quote_lines: %d\n%s%s", code, out, errOut)
	}
	code, out, errOut = run(t, "--db", dsn, "--json", "import", "quote_lines", lines)
	if code != 0 {
		t.Fatalf("re-import: %s", errOut)
	}
	var sum importer.Summary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("--json: %v\n%s", err, out)
	}
	if sum.Quotes == nil || sum.Quotes.Created != 0 || sum.Quotes.Versioned != 0 || sum.Quotes.Unchanged != 1 {
		t.Fatalf("--json quotes: %+v", sum.Quotes)
	}
	// A dry run syncs nothing.
	code, out, _ = run(t, "--db", dsn, "import", "quote_lines", lines, "--dry-run")
	if code != 0 || strings.Contains(out, "deal desk") {
		t.Fatalf("dry run: %d\n%s", code, out)
	}
}
