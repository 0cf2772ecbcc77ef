package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tandemhq/tandem/internal/intel"
	"github.com/tandemhq/tandem/internal/service"
	"github.com/tandemhq/tandem/internal/testdb"
)

func TestIntelCommands(t *testing.T) {
	for _, dialect := range testdb.Dialects(t) {
		t.Run(dialect, func(t *testing.T) { testIntelCommands(t, dialect) })
	}
}

// testIntelCommands walks competitive intelligence through the command
// line: the catalog from deals, an entry added, refused as a duplicate and
// changed (a stale change refused), a competitor's figures, a battlecard
// from YAML and JSON files with a refused file and a stale save, its
// history, and the intel quota.
func testIntelCommands(t *testing.T, dialect string) {
	dsn, _, _ := deskStore(t, dialect, 1200)
	run := func(stdin string, args ...string) (int, string, string) {
		t.Helper()
		return runStdin(t, stdin, append([]string{"--db", dsn}, args...)...)
	}
	tc := cliRun{t, dsn}
	ok, okJSON, fails := tc.ok, tc.json, tc.fails
	has := func(out string, wants ...string) {
		t.Helper()
		for _, w := range wants {
			if !strings.Contains(out, w) {
				t.Errorf("output lacks %q:\n%s", w, out)
			}
		}
	}

	has(ok("competitor", "list"), "the catalog is empty")
	has(ok("competitor", "import-from-deals", "--dry-run"), "dry run: nothing was added", "new")
	var added service.CompetitorEntry
	okJSON(&added, "competitor", "add", "Brand New Co", "--alias", "BNC", "--website", "https://bnc.example")
	if added.ID != "brand-new-co" || added.Version != 1 || added.Aliases[0] != "BNC" || !strings.HasPrefix(added.UpdatedBy, "cli:") {
		t.Errorf("added: %+v", added)
	}
	fails(4, "already exists", "competitor", "add", "brand-new co")
	fails(4, `"bnc" is already an alias`, "competitor", "add", "Other", "--alias", "bnc")
	fails(2, "https://", "competitor", "add", "Bad Site", "--website", "ftp://x")
	var imp service.CompetitorImport
	okJSON(&imp, "competitor", "import-from-deals")
	if !imp.Applied || len(imp.Created) < 2 {
		t.Fatalf("import: %+v", imp)
	}
	id := imp.Created[0].ID
	var cat service.CompetitorCatalog
	okJSON(&cat, "competitor", "list", "--min-n", "10")
	if len(cat.Competitors) != len(imp.Created)+1 || cat.Options.MinSample != 10 || cat.Overall.N == 0 {
		t.Errorf("catalog: %d entries, options %+v", len(cat.Competitors), cat.Options)
	}
	has(ok("competitor", "list"), "WIN RATE AGAINST", "our overall win rate", "open deals are not losses")

	fails(4, "is at version 1", "competitor", "set", "brand-new-co", "--notes", "x", "--version", "2")
	has(ok("competitor", "set", "brand-new-co", "--alias", "", "--notes", "acquired in 2025"), "version 2")
	var entry service.CompetitorEntry
	okJSON(&entry, "competitor", "set", "brand-new-co", "--name", "Brand New Company")
	if entry.Version != 3 || entry.Name != "Brand New Company" || len(entry.Aliases) != 0 || entry.Notes != "acquired in 2025" || entry.Website == "" {
		t.Errorf("set: %+v", entry)
	}
	fails(3, "no competitor", "competitor", "set", "nobody", "--notes", "x")

	has(ok("competitor", "show", id, "--min-n", "5"), "win rate against it:", "without it:", "associated with", "by quarter of close:", "mentions:", "no battlecard yet")
	var det service.CompetitorDetail
	okJSON(&det, "competitor", "show", id)
	if det.ID != id || det.Mentions.Deal == 0 || len(det.Rates.Trend) == 0 {
		t.Errorf("show: %+v", det)
	}
	fails(3, "no competitor", "competitor", "show", "nobody")

	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	yml := write("card.yaml", "summary: Cheaper, thinner\nstrengths: [price]\nobjections:\n  - objection: They are cheaper\n    response: Count onboarding\n")
	has(ok("competitor", "battlecard", "set", id, "--file", yml, "--note", "first cut"), "as version 1", "strengths + price")
	has(ok("competitor", "battlecard", "set", id, "--file", yml), "nothing changed")
	fails(2, `unknown field "strenghts"`, "competitor", "battlecard", "set", id, "--file", write("bad.yaml", "strenghts: [x]\n"))
	fails(2, "--file", "competitor", "battlecard", "set", id)
	js := write("card.json", `{"summary":"Cheaper, thinner","strengths":["price","brand"],"objections":[{"objection":"They are cheaper","response":"Count onboarding"}],"proof_points":["Acme"]}`)
	fails(4, "is at version 1", "competitor", "battlecard", "set", id, "--file", js, "--version", "0")
	var v service.BattlecardVersion
	okJSON(&v, "competitor", "battlecard", "set", id, "--file", js)
	if v.Version != 2 || len(v.Changes) != 2 {
		t.Errorf("second version: %+v", v)
	}
	code, out, errOut := run("landmines: [ask about SSO]\n", "competitor", "battlecard", "set", id, "--file", "-")
	if code != 0 || !strings.Contains(out, "as version 3") {
		t.Errorf("from stdin: exit %d %q %q", code, out, errOut)
	}
	has(ok("competitor", "battlecard", "show", id), "battlecard version 3", "landmines:", "ask about SSO")
	has(ok("competitor", "battlecard", "show", id, "--version", "1"), "battlecard version 1", "Cheaper, thinner", "They are cheaper")
	var hist struct {
		Versions []service.BattlecardVersion `json:"versions"`
	}
	okJSON(&hist, "competitor", "battlecard", "show", id, "--history")
	if len(hist.Versions) != 3 || hist.Versions[2].Note != "first cut" {
		t.Errorf("history: %+v", hist)
	}
	has(ok("competitor", "battlecard", "show", id, "--history"), "version 2", "proof_points + Acme", "strengths + brand")
	fails(3, "no battlecard", "competitor", "battlecard", "show", "brand-new-co")
	has(ok("competitor", "show", id), "battlecard version 3")

	var q intel.QuotaReport
	okJSON(&q, "intel", "quota", "--month", "2026-02")
	if q.Month != "2026-02" || q.Quota != 1 || q.Reps == 0 || len(q.Below) != q.Reps {
		t.Errorf("quota: %+v", q)
	}
	has(ok("intel", "quota"), "intel quota", "below quota")
	fails(2, "YYYY-MM", "intel", "quota", "--month", "Feb")
}
