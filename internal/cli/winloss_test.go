package cli_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/service"
	"github.com/tandemhq/tandem/internal/testdb"
	"github.com/tandemhq/tandem/internal/winloss"
)

func TestWinLossCommands(t *testing.T) {
	for _, dialect := range testdb.Dialects(t) {
		t.Run(dialect, func(t *testing.T) { testWinLossCommands(t, dialect) })
	}
}

// testWinLossCommands walks win/loss and post-mortems through the command
// line: the taxonomy refused and applied, a reason recorded, an interview
// from a file, the reports, and a post-mortem written, revised, refused
// when stale and reported.
func testWinLossCommands(t *testing.T, dialect string) {
	dsn, db, _ := deskStore(t, dialect, 600)
	dir := t.TempDir()
	file := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tc := cliRun{t, dsn}
	tandemOK, tandemJSON, tandemFails := tc.ok, tc.json, tc.fails
	page, err := db.List(t.Context(), "deals", tandem.Query{Filters: []tandem.Filter{{Column: "outcome", Value: "lost"}}, Limit: 1})
	if err != nil || len(page.Records) == 0 {
		t.Fatalf("a lost deal: %v", err)
	}
	lost := page.Records[0].ID()

	// The taxonomy.
	if out := tandemOK("winloss", "taxonomy", "show"); !strings.Contains(out, "the default taxonomy") || !strings.Contains(out, "onboarding-risk") {
		t.Errorf("taxonomy show:\n%s", out)
	}
	tandemFails(2, "2 problems", "winloss", "taxonomy", "apply", file("bad.yaml", "reasons:\n  - {code: price, label: Price, category: cost}\nvalue_map: {x: nope}\n"))
	tandemFails(2, `unknown field "lable"`, "winloss", "taxonomy", "apply", file("typo.yaml", "reasons:\n  - {code: price, lable: Price, category: price}\n"))
	tax := `reasons:
  - {code: price, label: Price, category: price}
  - {code: missing-feature, label: Missing feature, category: missing-feature}
  - {code: competitor, label: Competitor, category: competitor}
  - {code: timing, label: Timing, category: timing}
  - {code: no-decision, label: No decision, category: no-decision}
  - {code: onboarding-risk, label: Onboarding risk, category: onboarding-risk}
value_map:
  onboarding concerns: onboarding-risk
`
	if out := tandemOK("winloss", "taxonomy", "apply", file("tax.yaml", tax), "--note", "first"); !strings.Contains(out, "applied taxonomy version 1: 6 reasons") {
		t.Errorf("apply: %s", out)
	}
	var tv service.TaxonomyView
	tandemJSON(&tv, "winloss", "taxonomy", "show")
	if tv.Version != 1 || tv.Note != "first" || tv.Taxonomy.ValueMap["onboarding concerns"] != "onboarding-risk" {
		t.Errorf("taxonomy: %+v", tv)
	}

	// Reasons of a deal.
	tandemFails(2, `"weather" is not in the taxonomy`, "winloss", "reasons", "add", lost, "--code", "weather")
	tandemFails(3, "", "winloss", "reasons", "add", "no-such-deal", "--code", "price")
	if out := tandemOK("winloss", "reasons", "add", lost, "--code", "timing", "--source", "rep", "--confidence", "high", "--note", "budget moved"); !strings.Contains(out, "recorded timing") {
		t.Errorf("reasons add: %s", out)
	}
	var rv service.DealReasonsView
	tandemJSON(&rv, "winloss", "reasons", "list", lost)
	if rv.Version != 1 || rv.Reasons[len(rv.Reasons)-1].Code != "timing" || rv.Reasons[len(rv.Reasons)-1].By == "" {
		t.Errorf("reasons list: %+v", rv)
	}

	// An interview from a file.
	iv := file("iv.yaml", "kind: interview\ninterviewee: CFO\ndate: 2026-01-15T00:00:00Z\nanswers:\n  - {question: \"What decided it?\", answer: The price, score: 2}\nreasons:\n  - {code: price, confidence: high}\n")
	if out := tandemOK("winloss", "interview", "add", "--deal", lost, "--file", iv); !strings.Contains(out, "recorded interview iv-") {
		t.Errorf("interview add: %s", out)
	}
	tandemFails(2, "score 9", "winloss", "interview", "add", "--deal", lost, "--file", file("bad-iv.json", `{"answers":[{"question":"q","answer":"a","score":9}]}`))
	var ivs struct {
		Interviews []service.InterviewView `json:"interviews"`
	}
	tandemJSON(&ivs, "winloss", "interview", "list", "--deal", lost)
	if len(ivs.Interviews) != 1 || ivs.Interviews[0].Interviewee != "CFO" {
		t.Errorf("interview list: %+v", ivs)
	}

	// Reports.
	if out := tandemOK("winloss", "report", "--by", "quarter"); !strings.Contains(out, "lost deals; share") || !strings.Contains(out, "-Q") {
		t.Errorf("report:\n%s", out)
	}
	var rep winloss.ReasonsReport
	tandemJSON(&rep, "winloss", "report", "--by", "competitor", "--outcome", "lost", "--min-n", "5")
	if rep.Deals == 0 || len(rep.Groups) < 2 || rep.MinN != 5 {
		t.Errorf("report by competitor: %d deals, %d groups", rep.Deals, len(rep.Groups))
	}
	tandemFails(2, "quarter, segment, competitor, product", "winloss", "report", "--by", "rep")
	tandemFails(2, "not a day", "winloss", "report", "--from", "soon")
	var gap winloss.GapReport
	tandemJSON(&gap, "winloss", "gap")
	if gap.Paired != 1 {
		t.Errorf("gap: %+v", gap)
	}
	if out := tandemOK("winloss", "gap"); !strings.Contains(out, "1 of") || !strings.Contains(out, "Newcombe") {
		t.Errorf("gap:\n%s", out)
	}
	var rc winloss.RoadmapReport
	tandemJSON(&rc, "winloss", "roadmap-check", "--date", "2026-03-01")
	if rc.Quarter != "2025-Q4" || rc.Status == "" {
		t.Errorf("roadmap check: %+v", rc)
	}
	if out := tandemOK("winloss", "roadmap-check", "--date", "2026-03-01"); !strings.Contains(out, "roadmap check 2025-Q4") {
		t.Errorf("roadmap check:\n%s", out)
	}
	tandemFails(2, "--date", "winloss", "roadmap-check", "--date", "tomorrow")
	tandemFails(2, "--min-n", "winloss", "roadmap-check", "--min-n", "-1")
	tandemFails(2, "--min-n", "competitor", "list", "--min-n", "0")

	// Post-mortems.
	pm := file("pm.yaml", "subject: deal\nsubject_id: "+lost+"\ncauses: [price, differentiation]\nsummary: priced out\nevidence: [/deals/"+lost+"]\nactions:\n  - {what: Bundle offer, owner: pm@example.com, due: 2026-04-01T00:00:00Z}\ndate: 2026-01-20T00:00:00Z\n")
	var saved service.PostmortemView
	tandemJSON(&saved, "postmortem", "add", "--file", pm)
	if saved.Version != 1 || !strings.HasPrefix(saved.ID, "pm-") {
		t.Fatalf("postmortem add: %+v", saved)
	}
	tandemFails(4, "already has post-mortem", "postmortem", "add", "--file", pm)
	tandemFails(2, `"weather" is not one of`, "postmortem", "add", "--file", file("bad-pm.yaml", "subject: deal\nsubject_id: "+lost+"\ncauses: [weather]\n"))
	done := file("pm2.yaml", "subject: deal\nsubject_id: "+lost+"\ncauses: [price]\nactions:\n  - {what: Bundle offer, owner: pm@example.com, done: true}\ndate: 2026-01-20T00:00:00Z\n")
	if out := tandemOK("postmortem", "add", "--id", saved.ID, "--version", "1", "--file", done); !strings.Contains(out, "version 2") {
		t.Errorf("revise: %s", out)
	}
	tandemFails(4, "at version 2", "postmortem", "add", "--id", saved.ID, "--version", "1", "--file", done)
	tandemFails(2, "--id needs --version", "postmortem", "add", "--id", saved.ID, "--file", done)
	if out := tandemOK("postmortem", "show", saved.ID); !strings.Contains(out, "[done] Bundle offer") || !strings.Contains(out, "version 2") {
		t.Errorf("show:\n%s", out)
	}
	tandemFails(3, "no post-mortem", "postmortem", "show", "pm-none")
	var list struct {
		Postmortems []service.PostmortemView `json:"postmortems"`
	}
	tandemJSON(&list, "postmortem", "list")
	if len(list.Postmortems) != 1 {
		t.Errorf("list: %+v", list)
	}
	if out := tandemOK("postmortem", "list"); !strings.Contains(out, saved.ID) {
		t.Errorf("list:\n%s", out)
	}
	var pr service.PostmortemReport
	tandemJSON(&pr, "postmortem", "report")
	if pr.RootCauses.Total.N != 1 || pr.MinAmount != 50000 {
		t.Errorf("report: %+v", pr)
	}
	if out := tandemOK("postmortem", "report"); !strings.Contains(out, "2026-Q1 (n=1)") || !strings.Contains(out, "without a post-mortem") {
		t.Errorf("report:\n%s", out)
	}
}
