package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/cli"
	"github.com/tandemhq/tandem/internal/demo"
	"github.com/tandemhq/tandem/internal/desk"
	"github.com/tandemhq/tandem/internal/desk/example"
	"github.com/tandemhq/tandem/internal/service"
	"github.com/tandemhq/tandem/internal/sqldb"
	"github.com/tandemhq/tandem/internal/testdb"
)

// deskPeople are the users of a desk test store: one per role, and one per
// rep, with an account executive whose manager has a manager.
type deskPeople struct {
	roles        map[tandem.Role]string // e-mail by role
	rep, mgr, vp string                 // e-mails
	deal         string                 // an open deal of the rep
}

// deskStore writes a small demo dataset into a fresh store of the dialect,
// with users for every role and every rep, and returns its address.
func deskStore(t *testing.T, dialect string, deals int) (string, *sqldb.DB, deskPeople) {
	t.Helper()
	ctx := t.Context()
	dsn := testdb.DSN(t, dialect)
	cat := tandem.NewCatalog()
	db, err := sqldb.Open(ctx, dsn, cat)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	l, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Generate(ctx, cat, l, demo.DefaultConfig().Scaled(deals), nil); err != nil {
		t.Fatalf("demo: %v", err)
	}
	if _, err := l.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	svc := service.New(db, cat, nil, t.TempDir(), nil)
	actor := service.Actor{Name: "test"}
	p := deskPeople{roles: map[tandem.Role]string{}}
	for i, r := range tandem.Roles() {
		u, err := svc.CreateUser(ctx, actor, service.NewUser{Email: string(r) + "@example.com", Name: "The " + string(r), Role: r, Password: stackPassword}, i == 0)
		if err != nil {
			t.Fatal(err)
		}
		p.roles[r] = u.Email
	}
	users, err := svc.CreateRepUsers(ctx, actor, "reps.example.com", stackPassword)
	if err != nil || len(users) == 0 {
		t.Fatalf("users for the reps: %d, %v", len(users), err)
	}
	byName := map[string]string{}
	for _, u := range users {
		byName[u.Name] = u.Email
	}
	e, err := cat.Entity("reps")
	if err != nil {
		t.Fatal(err)
	}
	_, cName := e.Column("name")
	_, cManager := e.Column("manager")
	type rep struct{ id, name, manager string }
	reps := map[string]rep{}
	var ids []string
	err = db.Scan(ctx, "reps", func(r tandem.Record) error {
		name, _ := r.Values[cName].(string)
		m, _ := r.Values[cManager].(string)
		reps[r.ID()] = rep{r.ID(), name, m}
		ids = append(ids, r.ID())
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(ids)
	for _, id := range ids {
		m, ok := reps[reps[id].manager]
		if !ok || m.manager == "" {
			continue
		}
		open, err := db.List(ctx, "deals", tandem.Query{Filters: []tandem.Filter{{Column: "rep_id", Value: id}, {Column: "outcome", Value: "open"}}, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(open.Records) == 0 {
			continue
		}
		p.rep, p.mgr, p.vp, p.deal = byName[reps[id].name], byName[m.name], byName[reps[m.manager].name], open.Records[0].ID()
		break
	}
	if p.rep == "" || p.mgr == "" || p.vp == "" {
		t.Fatalf("no rep two levels down with an open deal and users: %+v", p)
	}
	return dsn, db, p
}

// writeFile writes a file in a temporary directory and returns its path.
func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// stepsByRule indexes approval steps by rule and step number.
func stepsByRule(steps []tandem.Approval) map[string][]tandem.Approval {
	out := map[string][]tandem.Approval{}
	for _, s := range steps {
		out[s.Rule] = append(out[s.Rule], s)
	}
	return out
}

// checkEvidence fails the test for a figure that is neither "insufficient
// data" nor a value with its n and an interval around it.
func checkEvidence(t *testing.T, what string, f desk.Figure) bool {
	t.Helper()
	if f.Insufficient {
		return false
	}
	if f.N <= 0 || f.CILow > f.Value || f.Value > f.CIHigh {
		t.Errorf("%s: figure without n or interval: %+v", what, f)
	}
	return true
}

func TestDeskCommands(t *testing.T) {
	for _, dialect := range testdb.Dialects(t) {
		t.Run(dialect, func(t *testing.T) { testDeskCommands(t, dialect) })
	}
}

func testDeskCommands(t *testing.T, dialect string) {
	dsn, db, p := deskStore(t, dialect, 1200)
	ctx := t.Context()
	tc := cliRun{t, dsn}
	tandemOK, tandemJSON, tandemFails := tc.ok, tc.json, tc.fails

	// A rule file with several problems is refused whole: every problem is
	// listed, one a line with its position, and nothing is applied.
	bad := writeFile(t, "bad.yaml", `version: 1
rules:
  - name: x
    levle: 1
    when: {field: quote.discont, op: ">", value: 10}
    approvers: {mode: sequential, steps: [{role: boss}]}
  - name: y
    level: 1
    when: {field: quote.discount, op: "~", value: 10}
    approvers: {mode: sequential, steps: [{relation: manager}]}
`)
	errOut := tandemFails(2, "the active rule set is unchanged", "desk", "rules", "apply", bad)
	problem := regexp.MustCompile(`^` + regexp.QuoteMeta(bad) + `:\d+:\d+: rules\[\d\]\.[\w.\[\]]+: .+$`)
	var problems []string
	for _, line := range strings.Split(strings.TrimSpace(errOut), "\n") {
		if !strings.HasPrefix(line, "tandem: ") {
			if !problem.MatchString(line) {
				t.Errorf("problem line not FILE:LINE:COL: PATH: MESSAGE: %q", line)
			}
			problems = append(problems, line)
		}
	}
	for _, want := range []string{":4:5: rules[0].levle: unknown key", "rules[0].when.field: unknown field \"quote.discont\"", "unknown role \"boss\"", "rules[1].when.op: unknown operator \"~\""} {
		if !slices.ContainsFunc(problems, func(l string) bool { return strings.Contains(l, want) }) {
			t.Errorf("no problem %q listed:\n%s", want, errOut)
		}
	}
	if !strings.Contains(errOut, "refused: "+strconv.Itoa(len(problems))+" problems") {
		t.Errorf("the summary does not count the %d problems listed:\n%s", len(problems), errOut)
	}
	tandemFails(3, "no rule set has been applied", "desk", "rules", "show")
	tandemFails(2, "use a .yaml, .yml or .json file", "desk", "rules", "apply", writeFile(t, "rules.txt", "version: 1\nrules: []\n"))

	// The example rule set applies.
	rulesFile := writeFile(t, "example-rules.yaml", string(example.Rules()))
	if out := tandemOK("desk", "rules", "apply", rulesFile, "--note", "first"); !strings.Contains(out, "as rule set version 1: 6 rules") {
		t.Errorf("rules apply printed %q", out)
	}
	out := tandemOK("desk", "rules", "show")
	for _, want := range []string{"rule set version 1", "note: first", "discount-over-10 (level 1, chain discount, SLA 24h)", "approvers: sequential: manager"} {
		if !strings.Contains(out, want) {
			t.Errorf("rules show lacks %q:\n%s", want, out)
		}
	}
	if src := tandemOK("desk", "rules", "show", "--source"); src != string(example.Rules()) {
		t.Errorf("rules show --source is not the file as applied")
	}
	var history []tandem.Doc
	tandemJSON(&history, "desk", "rules", "history")
	if len(history) != 1 || history[0].Version != 1 || history[0].Author != "cli:tester" || history[0].Note != "first" {
		t.Errorf("rules history: %+v", history)
	}

	// Archetypes: derive and accept all; an edit by people survives a
	// re-derivation, which renews the figures as a new version.
	var accepted []desk.Archetype
	tandemJSON(&accepted, "archetypes", "derive", "--accept")
	if len(accepted) < 2 {
		t.Fatalf("derive --accept saved %d archetypes", len(accepted))
	}
	for _, a := range accepted {
		if a.Status != desk.StatusAccepted || a.Version != 1 || a.Deals <= 0 {
			t.Errorf("accepted archetype %s: status %s version %d deals %d", a.ID, a.Status, a.Version, a.Deals)
		}
		checkEvidence(t, "win rate of "+a.ID, a.WinRate)
	}
	first := accepted[0].ID
	tandemOK("archetypes", "edit", first, "--name", "Our core deal", "--max-payment-days", "45")
	tandemFails(2, "nothing to change", "archetypes", "edit", first)
	tandemFails(3, "no archetype nope", "archetypes", "accept", first, "nope")
	var again []desk.Archetype
	tandemJSON(&again, "archetypes", "derive", "--accept")
	for _, a := range again {
		if a.ID == first && (a.Name != "Our core deal" || a.Playbook.MaxPaymentDays != 45 || a.Version != 3) {
			t.Errorf("re-derived %s lost its edit: name %q, max payment days %d, version %d", a.ID, a.Name, a.Playbook.MaxPaymentDays, a.Version)
		}
	}
	out = tandemOK("archetypes", "show", first)
	if !strings.Contains(out, "Our core deal (version 3, accepted)") || !regexp.MustCompile(`(?m)^\s+2\s+\S+ \S+\s+cli:tester\s+accepted\s+Our core deal\s+edited`).MatchString(out) {
		t.Errorf("archetypes show:\n%s", out)
	}
	if out := tandemOK("archetypes", "list"); !strings.Contains(out, first) || !strings.Contains(out, "n=") {
		t.Errorf("archetypes list:\n%s", out)
	}

	// A what-if check of the deal: a deep discount on long payment terms.
	// It prints the archetype, the flags with their evidence, and the
	// approvals; flags never make the exit status non-zero.
	draft, err := service.New(db, tandem.NewCatalog(), nil, "", nil).DraftQuote(ctx, p.deal)
	if err != nil {
		t.Fatal(err)
	}
	product := draft.Lines[0].Product
	// Small demo data: bands from fewer won deals than the default minimum
	// sample raise no discount flag, so the minimum comes down first.
	tandemOK("desk", "settings", "--min-n", "10")
	var c desk.Check
	tandemJSON(&c, "desk", "check", "--deal", p.deal, "--line", product+":10::45", "--payment-days", "90")
	if c.Match.Archetype == "" || c.Match.Reason == "" || len(c.Lines) != 1 || c.Lines[0].Position == "" {
		t.Errorf("check: match %+v, lines %+v", c.Match, c.Lines)
	}
	figures := 0
	for _, f := range c.Flags {
		if f.Code == "" || f.Message == "" || f.Severity == "" {
			t.Errorf("flag without code, message or severity: %+v", f)
		}
		for _, e := range f.Evidence {
			if checkEvidence(t, f.Code, e) {
				figures++
			}
		}
		for _, sg := range f.Suggestions {
			for _, e := range sg.Figures {
				if checkEvidence(t, f.Code+" suggestion", e) {
					figures++
				}
			}
		}
	}
	if !slices.ContainsFunc(c.Flags, func(f desk.Flag) bool { return f.Code == desk.FlagPaymentTerms }) || figures == 0 {
		t.Errorf("check raised no payment-terms flag, or no figure with n and interval: %+v", c.Flags)
	}
	if rules := stepsByRule(c.Approvals); len(rules["discount-over-40"]) == 0 || len(rules["long-payment-terms"]) == 0 {
		t.Errorf("check approvals: %+v", c.Approvals)
	}
	out = tandemOK("desk", "check", "--deal", p.deal, "--line", product+":10::45", "--payment-days", "90")
	for _, want := range []string{"Archetype: ", "[warn] payment-terms", "evidence: ", " n=", "Approvals needed", "approver: " + p.vp} {
		if !strings.Contains(out, want) {
			t.Errorf("check text lacks %q:\n%s", want, out)
		}
	}
	tandemFails(2, "--line", "desk", "check", "--deal", p.deal, "--line", "nonsense")
	tandemFails(2, "give --deal ID or --quote FILE", "desk", "check")

	// The rep saves a quote: 15% off on net 90 needs the manager (discount)
	// and finance or the VP (payment terms).
	quoteFile := writeFile(t, "quote.json", `{"deal_id": "`+p.deal+`", "payment_terms_days": 90,
		"lines": [{"product": "`+product+`", "quantity": 10, "list_price": 1000, "discount": 15}]}`)
	var v1 service.QuoteView
	tandemJSON(&v1, "desk", "quote", "save", quoteFile, "--as", p.rep)
	steps := stepsByRule(v1.Approvals)
	if v1.Quote.Version != 1 || v1.Status != "pending" || v1.Quote.Author != p.rep {
		t.Fatalf("v1: version %d status %s author %s", v1.Quote.Version, v1.Status, v1.Quote.Author)
	}
	if len(steps["discount-over-10"]) != 1 || steps["discount-over-10"][0].Approver != p.mgr || len(steps["long-payment-terms"]) != 2 {
		t.Fatalf("v1 routing: %+v", v1.Approvals)
	}
	mgrStep := steps["discount-over-10"][0]
	financeStep := steps["long-payment-terms"][0]
	if financeStep.Approver != "role:finance" {
		financeStep = steps["long-payment-terms"][1]
	}

	// The manager's inbox, and a standing delegation while they are away.
	var inbox []service.ApprovalView
	tandemJSON(&inbox, "approvals", "list", "--as", p.mgr)
	if len(inbox) != 1 || inbox[0].ID != mgrStep.ID || inbox[0].ACV != 8500 {
		t.Errorf("manager's inbox: %+v", inbox)
	}
	tandemOK("approvals", "away", "--as", p.mgr, "--to", p.vp)
	tandemJSON(&inbox, "approvals", "list", "--as", p.vp)
	if !slices.ContainsFunc(inbox, func(v service.ApprovalView) bool {
		return v.ID == mgrStep.ID && strings.Contains(v.As, "delegate of "+p.mgr)
	}) {
		t.Errorf("the VP's inbox while the manager is away: %+v", inbox)
	}
	if out := tandemOK("approvals", "away", "--as", p.mgr, "--to", ""); !strings.Contains(out, "cleared") {
		t.Errorf("away --to \"\": %q", out)
	}
	tandemJSON(&inbox, "approvals", "list", "--as", p.vp)
	if slices.ContainsFunc(inbox, func(v service.ApprovalView) bool { return v.ID == mgrStep.ID }) {
		t.Errorf("the delegation outlived its clearing: %+v", inbox)
	}

	// Deciding: only the approver may; a rejection needs a reason.
	tandemFails(2, "--as EMAIL is required", "approvals", "approve", mgrStep.ID)
	tandemFails(6, "waits for "+p.mgr, "approvals", "approve", mgrStep.ID, "--as", p.vp)
	if out := tandemOK("approvals", "approve", mgrStep.ID, "--as", p.mgr, "--reason", "within reason"); !strings.Contains(out, "approved "+mgrStep.ID) {
		t.Errorf("approve printed %q", out)
	}
	tandemFails(4, "nothing to decide", "approvals", "approve", mgrStep.ID, "--as", p.mgr)
	tandemOK("approvals", "approve", financeStep.ID, "--as", p.roles[tandem.RoleFinance])
	var shown service.QuoteView
	tandemJSON(&shown, "desk", "quote", "show", v1.Quote.ID)
	if shown.Status != "approved" {
		t.Fatalf("after both approvals the quote is %s: %+v", shown.Status, shown.Approvals)
	}

	// The rep lengthens the payment terms, editing the shown quote: only
	// the payment-terms approval is asked again.
	var edit map[string]any
	showJSON := tandemOK("desk", "quote", "show", v1.Quote.ID, "--json")
	if err := json.Unmarshal([]byte(showJSON), &edit); err != nil {
		t.Fatal(err)
	}
	q := edit["quote"].(map[string]any)
	q["payment_terms_days"], q["note"] = 120, "customer asked for net 120"
	b, _ := json.Marshal(edit)
	editFile := writeFile(t, "edit.json", string(b))
	out = tandemOK("desk", "quote", "save", editFile, "--as", p.rep)
	for _, want := range []string{"saved quote " + v1.Quote.ID + " version 2", "payment_terms_days: 90 → 120", "approval status: pending", "stands from version 1"} {
		if !strings.Contains(out, want) {
			t.Errorf("save of the change lacks %q:\n%s", want, out)
		}
	}
	var v2 service.QuoteView
	tandemJSON(&v2, "desk", "quote", "show", v1.Quote.ID)
	var pending []string
	for _, s := range v2.Approvals {
		if s.Status == tandem.ApprovalPending {
			pending = append(pending, s.Rule)
		}
		if s.Rule == "discount-over-10" && (s.Status != tandem.ApprovalApproved || s.CarriedFrom == "") {
			t.Errorf("the manager's approval did not stand: %+v", s)
		}
	}
	slices.Sort(pending)
	if v2.Quote.Version != 2 || strings.Join(slices.Compact(pending), ",") != "long-payment-terms" {
		t.Errorf("v2: version %d, pending %v", v2.Quote.Version, pending)
	}
	tandemFails(4, "is at version 2", "desk", "quote", "save", editFile)
	if out := tandemOK("desk", "quote", "list", "--deal", p.deal); !regexp.MustCompile(regexp.QuoteMeta(v1.Quote.ID) + `\s+2\s+` + regexp.QuoteMeta(p.rep) + `.*pending`).MatchString(out) {
		t.Errorf("quote list:\n%s", out)
	}

	// A flag acknowledged by the rep shows on the quote.
	code := v2.Check.Flags[0].Code
	tandemOK("desk", "quote", "ack", v1.Quote.ID, code, "--note", "customer knows", "--as", p.rep)
	out = tandemOK("desk", "quote", "show", v1.Quote.ID)
	if !strings.Contains(out, "acknowledged by "+p.rep) || !strings.Contains(out, "customer knows") {
		t.Errorf("quote show after ack:\n%s", out)
	}
	tandemFails(2, "has no flag", "desk", "quote", "ack", v1.Quote.ID, "no-such-flag")

	// Past its SLA the VP's step moves up to the admins (the VP has no
	// manager); the step is made overdue in the store, as a day passing.
	var vpStep tandem.Approval
	for _, s := range v2.Approvals {
		if s.Status == tandem.ApprovalPending && s.Approver == p.vp {
			vpStep = s
		}
	}
	if vpStep.ID == "" {
		t.Fatalf("no pending step for the VP on v2: %+v", v2.Approvals)
	}
	if err := db.UpdateApprovals(ctx, []tandem.ApprovalUpdate{{ID: vpStep.ID, From: tandem.ApprovalPending, Status: tandem.ApprovalPending,
		DueAt: time.Now().Add(-time.Hour)}}, nil, nil); err != nil {
		t.Fatal(err)
	}
	if out := tandemOK("approvals", "escalate"); !strings.Contains(out, "escalated 1 approval") {
		t.Errorf("escalate printed %q", out)
	}
	if out := tandemOK("approvals", "escalate"); !strings.Contains(out, "nothing escalated") {
		t.Errorf("a second escalate printed %q", out)
	}
	tandemJSON(&inbox, "approvals", "list", "--as", p.roles[tandem.RoleAdmin])
	if len(inbox) != 1 || inbox[0].ID != vpStep.ID || !strings.Contains(inbox[0].Via, "escalated from "+p.vp) {
		t.Errorf("admin inbox after escalation: %+v", inbox)
	}

	// A rejection without a reason is refused before anything is read;
	// with one, it ends the quote's approval.
	tandemFails(2, "--reason is required", "approvals", "reject", vpStep.ID, "--as", p.roles[tandem.RoleAdmin])
	out = tandemOK("approvals", "reject", vpStep.ID, "--as", p.roles[tandem.RoleAdmin], "--reason", "net 120 is too long")
	if !strings.Contains(out, "rejected "+vpStep.ID) || !strings.Contains(out, "is now rejected") {
		t.Errorf("reject printed:\n%s", out)
	}
	if out := tandemOK("approvals", "list"); !strings.Contains(out, "no pending approvals") {
		t.Errorf("approvals list after the rejection:\n%s", out)
	}

	// Settings: shown (version 1 from the lowered minimum sample),
	// changed, refused out of range.
	if out := tandemOK("desk", "settings"); !strings.Contains(out, "version 1") || !regexp.MustCompile(`disclosure months\s+4`).MatchString(out) {
		t.Errorf("settings:\n%s", out)
	}
	tandemOK("desk", "settings", "--disclosure-months", "6")
	var set struct {
		Version  int           `json:"version"`
		Settings desk.Settings `json:"settings"`
	}
	tandemJSON(&set, "desk", "settings")
	if set.Version != 2 || set.Settings.DisclosureMonths != 6 || set.Settings.MinN != 10 {
		t.Errorf("settings after a change: %+v", set)
	}
	tandemFails(2, "min_n", "desk", "settings", "--min-n", "1")

	// Every change is in the audit log, by the operator who ran it (or the
	// user who made the statement, with the operator as its origin).
	entries, _, err := service.New(db, tandem.NewCatalog(), nil, "", nil).Audit(ctx, tandem.AuditQuery{Action: "desk.", Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]string{}
	for _, e := range entries {
		seen[e.Action] = e.Actor + " " + e.Remote
	}
	for action, by := range map[string]string{
		"desk.rules.apply": "cli:tester ", "desk.archetype.save": "cli:tester ", "desk.quote.save": p.rep + " cli:tester",
		"desk.flag.ack": p.rep + " cli:tester", "desk.approval.approve": "cli:tester ", "desk.approval.reject": "cli:tester ",
		"desk.approval.escalate": "cli:tester ", "desk.away": "cli:tester ", "desk.settings": "cli:tester ",
	} {
		if seen[action] != by {
			t.Errorf("audit %s by %q, want %q", action, seen[action], by)
		}
	}
}

// lockedBuffer is a buffer written by a command running in another
// goroutine and read by the test while it runs.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestDemoDesk runs tandem demo until it serves and checks that the desk
// is ready: users for the reps, the derived archetypes accepted, the
// example rule set applied, and the banner that says whom to approve as,
// with the password printed only where the demo always printed it.
func TestDemoDesk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "demo.db")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errOut lockedBuffer
	done := make(chan int, 1)
	go func() {
		done <- cli.Main(ctx, []string{"--db", path, "demo", "--deals", "1000", "--addr", "127.0.0.1:0", "--upload-dir", t.TempDir()},
			&out, &errOut, func(string) string { return "" }, cli.Version{Version: "test"})
	}()
	deadline := time.After(60 * time.Second)
wait:
	for {
		select {
		case code := <-done:
			t.Fatalf("demo ended before serving: exit %d\n%s", code, errOut.String())
		case <-deadline:
			t.Fatalf("demo did not serve within a minute:\n%s", errOut.String())
		case <-time.After(50 * time.Millisecond):
			if strings.Contains(out.String(), "Tandem is serving") {
				break wait
			}
		}
	}
	cancel()
	if code := <-done; code != 0 && code != 130 {
		t.Errorf("demo after cancel: exit %d\n%s", code, errOut.String())
	}
	text := out.String()
	pw := regexp.MustCompile(`with the password (\S+)\n`).FindStringSubmatch(text)
	if pw == nil {
		t.Fatal("demo printed no password line")
	}
	if n := strings.Count(text+errOut.String(), pw[1]); n != 1 {
		t.Errorf("the password appears %d times in the demo's output, want once", n)
	}
	ready := regexp.MustCompile(`(?m)^deal desk ready: (\d+) archetypes accepted, rule set example-rules\.yaml \(6 rules\), a user for each of \d+ reps at @demo\.example with the same password; quote as (\S+@demo\.example) and approve as their manager (\S+@demo\.example)$`).FindStringSubmatch(text)
	if ready == nil {
		t.Fatalf("no desk banner:\n%s", text)
	}
	if !regexp.MustCompile(`(?m)^feedback hub ready: [1-9]\d* items from [1-9]\d* accounts \([1-9]\d* competitive intel\), [1-9]\d* triaged, \d+ overdue for acknowledgment, [1-9]\d* votes; [1-9]\d* competitors \([1-9] battlecards\), [1-9]\d* buyer interviews, \d+ post-mortems$`).MatchString(text) {
		t.Errorf("no feedback banner:\n%s", text)
	}
	if !regexp.MustCompile(`(?m)^specials ready: 12 filed \(3 open, 6 built, 3 declined or withdrawn\)$`).MatchString(text) {
		t.Errorf("no specials banner:\n%s", text)
	}

	var archetypes []desk.Archetype
	code, listOut, e := run(t, "--db", path, "archetypes", "list", "--json")
	if code != 0 || json.Unmarshal([]byte(listOut), &archetypes) != nil {
		t.Fatalf("archetypes list: exit %d %s", code, e)
	}
	if strconv.Itoa(len(archetypes)) != ready[1] {
		t.Errorf("banner says %s archetypes, the store has %d", ready[1], len(archetypes))
	}
	for _, a := range archetypes {
		if a.Status != desk.StatusAccepted {
			t.Errorf("archetype %s is %s", a.ID, a.Status)
		}
	}
	var rs service.RuleSetView
	code, rulesOut, e := run(t, "--db", path, "desk", "rules", "show", "--json")
	if code != 0 || json.Unmarshal([]byte(rulesOut), &rs) != nil || rs.Name != "example-rules.yaml" || rs.Note != "demo" || rs.Source != string(example.Rules()) {
		t.Errorf("rules show: exit %d %s: %+v", code, e, rs)
	}
	// The rep and the approver the banner names can sign in.
	var users []tandem.User
	code, usersOut, _ := run(t, "--db", path, "user", "list", "--json")
	if code != 0 || json.Unmarshal([]byte(usersOut), &users) != nil {
		t.Fatalf("user list: exit %d", code)
	}
	for _, email := range ready[2:] {
		if !slices.ContainsFunc(users, func(u tandem.User) bool { return u.Email == email && u.Role == tandem.RoleSales }) {
			t.Errorf("banner names %s, who is no sales user", email)
		}
	}
}
