package cli_test

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/desk"
	"github.com/tandemhq/tandem/internal/service"
	"github.com/tandemhq/tandem/internal/testdb"
)

func TestReviewCommands(t *testing.T) {
	for _, dialect := range testdb.Dialects(t) {
		t.Run(dialect, func(t *testing.T) { testReviewCommands(t, dialect) })
	}
}

// testReviewCommands walks deal reviews through the command line: the
// triggers changed, a scan, the agenda, product's response with an
// action, a stale edit, an action done, the deal closing and the report.
func testReviewCommands(t *testing.T, dialect string) {
	dsn, db, p := deskStore(t, dialect, 1200)
	ctx := t.Context()
	tc := cliRun{t, dsn}
	tandemOK, tandemJSON, tandemFails := tc.ok, tc.json, tc.fails

	// Triggers: the defaults, then a change of some (the others kept),
	// then a refused one.
	out := tandemOK("review", "triggers")
	for _, want := range []string{"the defaults (never changed)", "100,000 and over", "product gap", "meeting days     1, 15"} {
		if !strings.Contains(out, want) {
			t.Errorf("review triggers lacks %q:\n%s", want, out)
		}
	}
	type triggers struct {
		Version  int           `json:"version"`
		Triggers desk.Triggers `json:"triggers"`
	}
	var tr triggers
	tandemJSON(&tr, "review", "triggers", "--min-amount", "50000", "--vertical", "Pharma", "--meeting-day", "15", "--meeting-day", "1")
	if tr.Version != 1 || tr.Triggers.MinAmount != 50000 || !slices.Equal(tr.Triggers.Verticals, []string{"Pharma"}) ||
		!tr.Triggers.ProductGap || !tr.Triggers.Special || !slices.Equal(tr.Triggers.MeetingDays, []int{1, 15}) {
		t.Errorf("changed triggers: %+v", tr)
	}
	tr = triggers{}
	tandemJSON(&tr, "review", "triggers", "--vertical", "", "--special=false")
	if tr.Version != 2 || len(tr.Triggers.Verticals) != 0 || tr.Triggers.Special || tr.Triggers.MinAmount != 50000 {
		t.Errorf("triggers after clearing the verticals: %+v", tr)
	}
	tandemFails(2, "meeting_days[0]: 31 is outside 1 to 28", "review", "triggers", "--meeting-day", "31")

	// A scan opens reviews; a second opens none.
	var scan struct{ Opened, Closed int }
	tandemJSON(&scan, "review", "scan")
	if scan.Opened == 0 || scan.Closed != 0 {
		t.Fatalf("scan: %+v", scan)
	}
	if out := tandemOK("review", "scan"); !strings.Contains(out, "opened 0 reviews; filled the outcome of 0") {
		t.Errorf("second scan printed %q", out)
	}

	// The agenda of the meeting after 2 March: every review, largest
	// deal first.
	var ag service.Agenda
	tandemJSON(&ag, "review", "agenda", "--date", "2026-03-02")
	if ag.Meeting.Format(time.DateOnly) != "2026-03-15" || len(ag.Items) != scan.Opened {
		t.Fatalf("agenda: meeting %s, %d items, %d opened", ag.Meeting.Format(time.DateOnly), len(ag.Items), scan.Opened)
	}
	for i := 1; i < len(ag.Items); i++ {
		if ag.Items[i].Review.Snapshot.Amount > ag.Items[i-1].Review.Snapshot.Amount {
			t.Fatalf("agenda not largest first at %d", i)
		}
	}
	first := ag.Items[0].Review
	out = tandemOK("review", "agenda", "--date", "2026-03-02")
	head := regexp.MustCompile(`(?m)^1\. ` + regexp.QuoteMeta(first.DealID) + ` .+  [\d,]+\n   why:      deal size [\d,]+ is at least 50,000`)
	if !strings.HasPrefix(out, "review meeting 2026-03-15: ") || !head.MatchString(out) || !strings.Contains(out, "decision: none yet") {
		t.Errorf("agenda text:\n%.1500s", out)
	}
	tandemFails(2, `--date "2026-02-30" is not a date`, "review", "agenda", "--date", "2026-02-30")

	// Product answers as a product user, with an action for the rep.
	product := p.roles[tandem.RoleProduct]
	var r desk.Review
	tandemJSON(&r, "review", "update", first.DealID, "--version", "1", "--product-response", "SSO ships in May",
		"--decision", "go, with a services workaround", "--action", "send the SSO timeline|"+p.rep+"|2026-03-10", "--as", product)
	if r.Version != 2 || r.UpdatedBy != product || r.ProductResponse != "SSO ships in May" || len(r.Actions) != 1 ||
		r.Actions[0].Owner != p.rep || r.Actions[0].Due.Format(time.DateOnly) != "2026-03-10" {
		t.Fatalf("updated review: %+v", r)
	}
	tandemFails(4, "is at version 2; the edit started from version 1", "review", "update", first.DealID, "--version", "1", "--decision", "no")
	tandemFails(2, "--version N is required", "review", "update", first.DealID, "--decision", "no")
	tandemFails(2, "nothing to change", "review", "update", first.DealID, "--version", "2")
	tandemFails(2, `--action "call|2026-03-10": too few fields`, "review", "update", first.DealID, "--version", "2", "--action", "call|2026-03-10")
	tandemFails(2, "--done 3: the review of deal "+first.DealID+" has actions 0 to 0", "review", "update", first.DealID, "--version", "2", "--done", "3")
	tandemFails(3, "deal nope has no review", "review", "show", "nope")

	// By the 15th's meeting, asked for on the 12th, the action is overdue.
	out = tandemOK("review", "agenda", "--date", "2026-03-12")
	if !strings.Contains(out, "1 action overdue") || !strings.Contains(out, "action:   send the SSO timeline ("+p.rep+", due 2026-03-10)  OVERDUE") ||
		!strings.Contains(out, "product:  SSO ships in May") {
		t.Errorf("agenda with an overdue action:\n%.1500s", out)
	}

	// A second action, and the first one done: the existing one is kept.
	r = desk.Review{}
	tandemJSON(&r, "review", "update", first.DealID, "--version", "2", "--done", "0", "--action", "follow up|"+product+"|2026-04-01")
	if r.Version != 3 || len(r.Actions) != 2 || !r.Actions[0].Done || r.Actions[1].Done || len(r.OpenActions()) != 1 || r.UpdatedBy != "cli:tester" {
		t.Errorf("review after --done: %+v", r)
	}
	out = tandemOK("review", "show", first.DealID)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`^review of deal ` + regexp.QuoteMeta(first.DealID) + `.*, version 3 by cli:tester\n`),
		regexp.MustCompile(`(?m)^\s+0\s+\[x\]\s+send the SSO timeline\s+` + regexp.QuoteMeta(p.rep) + `\s+2026-03-10$`),
		regexp.MustCompile(`(?m)^\s+1\s+\[ \]\s+follow up\s+`),
		regexp.MustCompile(`(?m)^\s+2\s+\S+ \S+\s+` + regexp.QuoteMeta(product) + `\s+updated$`),
		regexp.MustCompile(`(?m)^product response: SSO ships in May$`),
	} {
		if !want.MatchString(out) {
			t.Errorf("review show does not match %s:\n%s", want, out)
		}
	}
	var shown struct {
		Review   desk.Review  `json:"review"`
		Versions []tandem.Doc `json:"versions"`
	}
	tandemJSON(&shown, "review", "show", first.DealID)
	if shown.Review.Version != 3 || len(shown.Versions) != 3 {
		t.Errorf("review show --json: version %d, %d versions", shown.Review.Version, len(shown.Versions))
	}

	// The deal closes won in the CRM: a scan fills the outcome, and the
	// report counts it among the reviewed deals.
	de, err := tandem.NewCatalog().Entity("deals")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := db.Get(ctx, "deals", first.DealID)
	if err != nil {
		t.Fatal(err)
	}
	_, oc := de.Column("outcome")
	_, cc := de.Column("closed")
	rec.Values[oc], rec.Values[cc] = "won", time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
	l, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Put(ctx, de, rec); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if out := tandemOK("review", "scan"); !strings.Contains(out, "filled the outcome of 1") {
		t.Errorf("closing scan printed %q", out)
	}

	// The report's JSON: three figures and the notes; one reviewed deal
	// is too few for a figure.
	var raw map[string]json.RawMessage
	tandemJSON(&raw, "review", "report")
	keys := make([]string, 0, len(raw))
	for k := range raw {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if strings.Join(keys, ",") != "difference,notes,reviewed,unreviewed" {
		t.Fatalf("report keys: %v", keys)
	}
	var rep service.ReviewOutcomes
	tandemJSON(&rep, "review", "report")
	if rep.Reviewed.N != 1 || rep.Reviewed.Value != 1 || !rep.Reviewed.Insufficient || rep.Reviewed.Unit != "proportion" ||
		rep.Unreviewed.N == 0 || rep.Difference.Unit != "pp" || !rep.Difference.Insufficient || len(rep.Notes) == 0 {
		t.Errorf("report: %+v", rep)
	}
	if !rep.Unreviewed.Insufficient && (rep.Unreviewed.CILow > rep.Unreviewed.Value || rep.Unreviewed.Value > rep.Unreviewed.CIHigh) {
		t.Errorf("unreviewed win rate outside its interval: %+v", rep.Unreviewed)
	}
	rep = service.ReviewOutcomes{}
	tandemJSON(&rep, "review", "report", "--from", "2026-03-20", "--to", "2026-03-20")
	if rep.Reviewed.N != 1 {
		t.Errorf("report of the day the deal closed: %+v", rep.Reviewed)
	}
	out = tandemOK("review", "report")
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)^  reviewed\s+insufficient data \(n=1\)$`),
		regexp.MustCompile(`(?m)^  not reviewed\s+(insufficient data \(n=\d+\)|[\d.]+% \[[\d.]+%, [\d.]+%\] n=\d+)$`),
		regexp.MustCompile(`(?m)^  difference\s+insufficient data \(n=1\)$`),
		regexp.MustCompile(`(?m)^  Difference: n=1 with, n=\d+ without; associated with review`),
	} {
		if !want.MatchString(out) {
			t.Errorf("report text does not match %s:\n%s", want, out)
		}
	}
	tandemFails(2, "--to 2026-01-01 is before --from 2026-02-01", "review", "report", "--from", "2026-02-01", "--to", "2026-01-01")

	// Every change is in the audit log, by whom it was made.
	entries, _, err := service.New(db, tandem.NewCatalog(), nil, "", nil).Audit(ctx, tandem.AuditQuery{Action: "desk.review.", Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]bool{}
	for _, e := range entries {
		by[e.Action+" "+e.Actor+" "+e.Remote] = true
	}
	for _, want := range []string{"desk.review.triggers cli:tester ", "desk.review.save cli:tester ", "desk.review.save " + product + " cli:tester", "desk.review.save system:review "} {
		if !by[want] {
			t.Errorf("no audit entry %q in %v", want, by)
		}
	}
}
