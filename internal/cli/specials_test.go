package cli_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/httpapi"
	"github.com/tandemhq/tandem/internal/service"
	"github.com/tandemhq/tandem/internal/specials"
	"github.com/tandemhq/tandem/internal/testdb"
)

func TestSpecialsCommands(t *testing.T) {
	for _, dialect := range testdb.Dialects(t) {
		t.Run(dialect, func(t *testing.T) { testSpecialsCommands(t, dialect) })
	}
}

// specialShowOut is the --json output of specials show.
type specialShowOut struct {
	Special  service.SpecialView     `json:"special"`
	Timeline []httpapi.TimelineEntry `json:"timeline"`
}

// testSpecialsCommands walks specials through the command line: one
// filed with evidence files, scored, estimated, linked and taken through
// the six steps to productized (an advance with its sign-off, a skip with
// its reason, an acceptance by a leader with what it displaces); a second
// accepted over the budget's warning line, after capacity is lowered by a
// settings file, with a confirmation; a third withdrawn; the matrix,
// capacity and outcome views; and the refusals with their exit statuses
// (an illegal move, a stale version, a sales user accepting, a file over
// the limit or of a type not accepted).
func testSpecialsCommands(t *testing.T, dialect string) {
	dsn, db, p := deskStore(t, dialect, 600)
	ctx := t.Context()
	tc := cliRun{t, dsn}
	product, admin, sales := p.roles[tandem.RoleProduct], p.roles[tandem.RoleAdmin], p.roles[tandem.RoleSales]
	features, err := db.List(ctx, "features", tandem.Query{Limit: 1})
	if err != nil || len(features.Records) == 0 {
		t.Fatalf("features: %v", err)
	}
	feature := features.Records[0].ID()
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		t.Helper()
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	pdf := write("questionnaire.pdf", []byte("%PDF-1.4 security questionnaire"))
	notes := write("call-notes.txt", []byte("notes of the call"))

	// Intake.
	var a service.SpecialView
	fileArgs := []string{"specials", "file", "--deal", p.deal, "--title", "SAML single sign-on with Okta", "--ask", "Log in through their Okta tenant",
		"--problem", "Their security policy forbids passwords", "--asked-by", "CISO", "--deadline", "2027-03-01", "--others-asked",
		"--note", "Call: blocker for signature", "--link", "https://crm.example.com/notes/1", "--file", pdf, "--file", notes, "--as", p.rep}
	tc.json(&a, fileArgs...)
	if !strings.HasPrefix(a.ID, "sp-") || a.Version != 1 || a.FiledBy != p.rep || len(a.Evidence) != 4 || !a.OthersAsked || a.Step != tandem.StepTalkToRep {
		t.Fatalf("filed: %+v", a)
	}
	if e := a.Evidence[2]; e.Kind != "file" || e.ContentType != "application/pdf" || e.Name != "questionnaire.pdf" {
		t.Errorf("pdf evidence: %+v", e)
	}
	base := []string{"specials", "file", "--deal", p.deal, "--title", "t", "--ask", "a", "--problem", "p"}
	tc.fails(2, ".exe", append(base, "--file", write("setup.exe", []byte("MZ")))...)
	tc.fails(2, "larger than", append(base, "--file", write("big.pdf", make([]byte, service.MaxSpecialFile+1)))...)
	tc.fails(2, "no deal", "specials", "file", "--deal", "no-such-deal", "--title", "t", "--ask", "a", "--problem", "p")
	tc.fails(2, "--deadline", append(base, "--deadline", "soon")...)
	tc.fails(2, "evidence[0]", append(base, "--link", "ftp://x")...)
	if code, _, errOut := tc.run("specials", "file", "--deal", p.deal); code == 0 || !strings.Contains(errOut, "title") {
		t.Errorf("missing --title: exit %d, %q", code, errOut)
	}

	// Reading.
	out := tc.ok("specials", "list")
	for _, want := range []string{a.ID, "talk-to-rep", "SAML single sign-on", "1 special(s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("list lacks %q:\n%s", want, out)
		}
	}
	var list struct {
		Specials []service.SpecialView `json:"specials"`
	}
	tc.json(&list, "specials", "list", "--open", "--step", "talk-to-rep", "--deal", p.deal)
	if len(list.Specials) != 1 {
		t.Errorf("filtered list: %+v", list)
	}
	tc.fails(2, "--step", "specials", "list", "--step", "nowhere")
	tc.fails(3, "sp-nope", "specials", "show", "sp-nope")

	// Score, estimate, link.
	tc.json(&a, "specials", "score", a.ID, "--icp", "8", "--strategy", "7", "--as", product)
	if a.Version != 2 || a.Alignment == nil || a.Alignment.By != product {
		t.Fatalf("scored: %+v", a.Alignment)
	}
	tc.fails(4, "version 2", "specials", "score", a.ID, "--icp", "8", "--strategy", "7", "--version", "1")
	tc.fails(2, "icp_fit", "specials", "score", a.ID, "--icp", "11", "--strategy", "7")
	tc.fails(2, "reason", "specials", "score", a.ID, "--icp", "8", "--strategy", "7", "--adjust", "9")
	tc.json(&a, "specials", "score", a.ID, "--icp", "8", "--strategy", "7", "--adjust", "8", "--reason", "reference customer", "--as", product)
	if a.Alignment.Value() != 8 || a.Alignment.Reason != "reference customer" {
		t.Errorf("adjusted: %+v", a.Alignment)
	}
	tc.fails(2, "negative", "specials", "estimate", a.ID, "--weeks", "-1")
	tc.json(&a, "specials", "estimate", a.ID, "--weeks", "3", "--note", "SAML library exists", "--as", product)
	if a.Effort == nil || a.Effort.Weeks != 3 || a.Effort.Author != product || a.Placement == nil || a.Placement.Quadrant != specials.LowEffortHighAlignment {
		t.Fatalf("estimated: %+v %+v", a.Effort, a.Placement)
	}
	tc.fails(2, "no feature", "specials", "link", a.ID, "--feature", "no-such-feature")
	tc.fails(2, "--theme, --special or --feature", "specials", "link", a.ID)
	out = tc.ok("specials", "link", a.ID, "--feature", feature, "--as", product)
	if !strings.Contains(out, "now version 5") {
		t.Errorf("link: %s", out)
	}

	// The steps.
	tc.fails(2, "signed-by", "specials", "advance", a.ID, "--notes", "talked")
	tc.json(&a, "specials", "advance", a.ID, "--notes", "talked to the rep", "--signed-by", product, "--as", product)
	if a.Step != tandem.StepSpeakToProspect || a.History[0].SignedBy != product {
		t.Fatalf("advanced: %+v", a)
	}
	tc.fails(2, "not an active user", "specials", "advance", a.ID, "--notes", "x", "--signed-by", "nobody@example.com")
	tc.json(&a, "specials", "skip", a.ID, "--reason", "the CISO's e-mail is in the evidence", "--as", product)
	tc.json(&a, "specials", "advance", a.ID, "--notes", "evidence holds", "--signed-by", admin, "--as", product)
	if a.Step != tandem.StepFindWorkarounds || !a.History[1].Skipped {
		t.Fatalf("at workarounds: %+v", a)
	}
	tc.fails(2, "cannot productize", "specials", "productize", a.ID, "--notes", "too soon")
	tc.fails(4, "version", "specials", "decline", a.ID, "--notes", "stale", "--version", "7")

	// Acceptance: only a leader; with what it displaces.
	accept := []string{"specials", "accept", a.ID, "--notes", "no partner offers SAML", "--quarter", "2027-Q1", "--displace", "audit log export=2"}
	tc.fails(6, "leader", append(accept, "--as", sales)...)
	tc.fails(6, "leader", accept...)
	tc.fails(2, "--displace", "specials", "accept", a.ID, "--notes", "x", "--displace", "audit log export", "--as", admin)
	tc.json(&a, append(accept, "--signed-by", admin, "--as", admin)...)
	if a.Step != tandem.StepSimplestSlice || a.Accept == nil || a.Accept.Leader != admin || len(a.Accept.Displaces) != 1 || a.Accept.Displaces[0].Weeks != 2 {
		t.Fatalf("accepted: %+v", a.Accept)
	}
	tc.json(&a, "specials", "advance", a.ID, "--notes", "slice shipped", "--signed-by", product, "--as", product)
	if a.Step != tandem.StepMeasure {
		t.Fatalf("built: %+v", a)
	}

	// A second special, accepted over the warning line once capacity is
	// lowered by a settings file.
	var b service.SpecialView
	tc.json(&b, "specials", "file", "--deal", p.deal, "--title", "Custom invoice layout", "--ask", "Their logo on invoices",
		"--problem", "Finance rejects invoices without it", "--strategic-why", "reference customer", "--as", p.rep)
	if !b.Strategic {
		t.Errorf("strategic: %+v", b)
	}
	tc.ok("specials", "estimate", b.ID, "--weeks", "2")
	tc.ok("specials", "skip", b.ID, "--reason", "rep wrote it up")
	tc.ok("specials", "skip", b.ID, "--reason", "prospect on record")
	tc.ok("specials", "advance", b.ID, "--notes", "reviewed", "--signed-by", product)
	out = tc.ok("specials", "settings", "show")
	if !strings.Contains(out, "capacity_weeks: 120") || !strings.Contains(out, "version 0") {
		t.Errorf("settings show:\n%s", out)
	}
	tc.fails(2, "budget_share", "specials", "settings", "apply", write("bad.yaml", []byte("budget_share: 0.5\n")))
	tc.fails(2, "capacity", "specials", "settings", "apply", write("unknown.yaml", []byte("capacity: 20\n")))
	settings := write("specials.yaml", []byte("capacity_weeks: 20 # warning at 4 weeks\nquarters: {2027-Q2: 30}\n"))
	var set struct {
		Settings tandem.SpecialSettings `json:"settings"`
		Version  int                    `json:"version"`
	}
	tc.json(&set, "specials", "settings", "apply", settings, "--as", admin)
	if set.Version != 1 || set.Settings.CapacityWeeks != 20 || set.Settings.Quarters["2027-Q2"] != 30 || set.Settings.BudgetShare != 0.15 {
		t.Errorf("applied: %+v", set)
	}
	tc.fails(4, "version 1", "specials", "settings", "apply", settings, "--version", "0")
	jsonFile := write("specials.json", []byte(`{"capacity_weeks": 20, "alignment_high": 6}`))
	tc.json(&set, "specials", "settings", "apply", jsonFile, "--version", "1")
	if set.Version != 2 || set.Settings.AlignmentHigh != 6 {
		t.Errorf("applied JSON: %+v", set)
	}
	acceptB := []string{"specials", "accept", b.ID, "--notes", "nothing moves: fits in slack", "--quarter", "2027-Q1", "--as", product}
	tc.fails(2, "confirmation", acceptB...)
	tc.json(&b, append(acceptB, "--confirm", "worth it: the reference closes two more deals")...)
	if b.Accept == nil || !b.Accept.OverWarning || b.Accept.Confirmation == "" {
		t.Errorf("confirmed: %+v", b.Accept)
	}

	// A third special, withdrawn.
	var c service.SpecialView
	tc.json(&c, "specials", "file", "--deal", p.deal, "--title", "Offline mode", "--ask", "Work offline", "--problem", "Field staff")
	tc.json(&c, "specials", "withdraw", c.ID, "--notes", "the prospect dropped it", "--as", p.rep)
	if c.Step != tandem.StepWithdrawn || c.FiledBy != "cli:tester" {
		t.Errorf("withdrawn: %+v", c)
	}
	tc.fails(2, "has ended", "specials", "decline", c.ID, "--notes", "x")

	// The views.
	out = tc.ok("specials", "matrix")
	for _, want := range []string{"low-effort-high-alignment", a.ID, "not placed yet", b.ID, "alignment is high at 6"} {
		if !strings.Contains(out, want) {
			t.Errorf("matrix lacks %q:\n%s", want, out)
		}
	}
	var m service.SpecialMatrix
	tc.json(&m, "specials", "matrix")
	if len(m.Placed) != 1 || len(m.Unscored) != 1 {
		t.Errorf("matrix: %d placed, %d unscored", len(m.Placed), len(m.Unscored))
	}
	var budget specials.Budget
	tc.json(&budget, "specials", "capacity", "--quarter", "2027-Q1")
	if budget.Committed != 5 || budget.InProgress != 2 || budget.Spent != 3 || len(budget.Displaced) != 1 {
		t.Errorf("capacity: %+v", budget)
	}
	out = tc.ok("specials", "capacity", "--quarter", "2027-Q1")
	for _, want := range []string{"capacity 20 weeks", "committed 5 weeks (25.0% of capacity)", "audit log export by 2 weeks"} {
		if !strings.Contains(out, want) {
			t.Errorf("capacity lacks %q:\n%s", want, out)
		}
	}
	tc.fails(2, "--quarter", "specials", "capacity", "--quarter", "Q5")

	tc.json(&a, "specials", "productize", a.ID, "--notes", "three more accounts want it", "--as", product)
	if a.Step != tandem.StepProductized {
		t.Fatalf("productized: %+v", a)
	}
	out = tc.ok("specials", "outcomes")
	for _, want := range []string{"win rate with an accepted special", "insufficient data", a.ID} {
		if !strings.Contains(out, want) {
			t.Errorf("outcomes lack %q:\n%s", want, out)
		}
	}
	var rep specials.OutcomeReport
	tc.json(&rep, "specials", "outcomes", "--min-n", "5")
	if rep.MinN != 5 || len(rep.Rows) != 1 || rep.Rows[0].ID != a.ID || !rep.Rows[0].Productized {
		t.Errorf("outcomes: %+v", rep)
	}

	// The timeline.
	var show specialShowOut
	tc.json(&show, "specials", "show", a.ID)
	var changes []string
	for _, e := range show.Timeline {
		changes = append(changes, e.Change)
	}
	if want := []string{"filed", "scored", "scored", "estimated", "linked", "moved", "moved", "moved", "moved", "moved", "moved"}; !slices.Equal(changes, want) {
		t.Errorf("timeline %v, want %v", changes, want)
	}
	out = tc.ok("specials", "show", a.ID)
	for _, want := range []string{"productized", "timeline:", "skipped: \"the CISO's e-mail", "signed by " + admin, "moves audit log export by 2 weeks", "questionnaire.pdf", "reference customer"} {
		if !strings.Contains(out, want) {
			t.Errorf("show lacks %q:\n%s", want, out)
		}
	}
}
