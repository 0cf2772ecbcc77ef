package cli_test

import (
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/demo"
	"github.com/tandemhq/tandem/internal/desk"
	"github.com/tandemhq/tandem/internal/service"
	"github.com/tandemhq/tandem/internal/sqldb"
	"github.com/tandemhq/tandem/internal/testdb"
)

// browserDeskRules is a two-level rule set: a discount over 10% needs the
// rep's manager; payment terms over 60 days need the manager's manager.
const browserDeskRules = `version: 1
sla: 24h
rules:
  - name: discount-over-10
    level: 1
    chain: discount
    when: {any: [{field: line.discount, op: ">", value: 10}, {field: quote.discount, op: ">", value: 10}]}
    approvers: {mode: sequential, steps: [{relation: manager}]}
  - name: long-payment-terms
    level: 2
    when: {field: quote.payment_terms_days, op: ">", value: 60d}
    approvers: {mode: sequential, steps: [{relation: managers-manager}]}
`

// browserDeskBadRules misspells a key on line 4.
const browserDeskBadRules = "version: 1\nrules:\n  - name: x\n    levle: 1\n"

// TestBrowserDesk drives the deal desk in headless Chromium on every
// dialect: RevOps derives and accepts archetypes and applies a two-level
// rule set through the pages (a refused file first, its problems listed by
// line); a rep builds a quote from a deal's page with 15% off and net 90,
// sees its flags with their evidence and acknowledges one; the rep's
// manager approves level 1 from the inbox and the VP level 2; the rep then
// changes only the payment terms, and the new version shows the manager's
// approval standing and only the VP's asked again.
func TestBrowserDesk(t *testing.T) {
	b := newBrowser(t)
	for _, dialect := range testdb.Dialects(t) {
		t.Run(dialect, func(t *testing.T) { browserDesk(t, b, dialect) })
	}
}

// browserDeskCast are the people of the desk flow: an admin, and a rep with their
// manager and the manager's manager, each a user named as the rep, all
// with stackPassword; deal is an open deal of the rep.
type browserDeskCast struct {
	admin, rep, mgr, vp string
	deal                string
}

// browserDeskStore generates a demo store of the dialect and gives every rep a
// user, as `tandem demo` would for the desk.
func browserDeskStore(t *testing.T, dialect string) (string, browserDeskCast) {
	t.Helper()
	ctx := t.Context()
	dsn := testdb.DSN(t, dialect)
	cat := tandem.NewCatalog()
	db, err := sqldb.Open(ctx, dsn, cat)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, err := db.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Generate(ctx, cat, l, demo.DefaultConfig().Scaled(1500), nil); err != nil {
		t.Fatalf("demo: %v", err)
	}
	if _, err := l.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	svc := service.New(db, cat, nil, t.TempDir(), nil)
	actor := service.Actor{Name: "test"}
	c := browserDeskCast{admin: "admin@example.com"}
	if _, err := svc.CreateUser(ctx, actor, service.NewUser{Email: c.admin, Name: "Ana Admin", Role: tandem.RoleAdmin, Password: stackPassword}, true); err != nil {
		t.Fatal(err)
	}
	// Small demo data: bands from fewer won deals than the default minimum
	// sample raise no discount flag, so the minimum comes down.
	lowN := desk.DefaultSettings()
	lowN.MinN = 10
	if _, err := svc.PutDeskSettings(ctx, actor, lowN); err != nil {
		t.Fatal(err)
	}
	users, err := svc.CreateRepUsers(ctx, actor, "reps.example.com", stackPassword)
	if err != nil || len(users) == 0 {
		t.Fatalf("users for the reps: %d, %v", len(users), err)
	}
	email := map[string]string{} // by rep name
	for _, u := range users {
		email[u.Name] = u.Email
	}
	reps, err := svc.List(ctx, "reps", url.Values{"limit": {"1000"}, "sort": {"id"}})
	if err != nil {
		t.Fatal(err)
	}
	type rep struct{ id, name, manager string }
	byID, byName := map[string]rep{}, map[string]rep{}
	var order []rep
	for _, r := range reps.Page.Records {
		name, _ := service.Value(reps.Entity, r, "name").(string)
		mgr, _ := service.Value(reps.Entity, r, "manager").(string)
		x := rep{id: r.ID(), name: name, manager: mgr}
		byID[x.id], byName[x.name] = x, x
		order = append(order, x)
	}
	managerOf := func(x rep) (rep, bool) {
		if m, ok := byID[x.manager]; ok {
			return m, true
		}
		m, ok := byName[x.manager]
		return m, ok && x.manager != ""
	}
	deals, err := svc.Catalog().Entity("deals")
	if err != nil {
		t.Fatal(err)
	}
	for _, ae := range order {
		mgr, ok := managerOf(ae)
		if !ok {
			continue
		}
		vp, ok := managerOf(mgr)
		if !ok || email[ae.name] == "" || email[mgr.name] == "" || email[vp.name] == "" {
			continue
		}
		open, err := svc.List(ctx, "deals", url.Values{"rep_id": {ae.id}, "outcome": {"open"}, "limit": {"100"}, "sort": {"id"}})
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range open.Page.Records {
			if ps, _ := service.Value(deals, d, "products").([]string); len(ps) > 0 {
				c.rep, c.mgr, c.vp, c.deal = email[ae.name], email[mgr.name], email[vp.name], d.ID()
				return dsn, c
			}
		}
	}
	t.Fatal("the demo data has no rep two levels down with an open deal")
	return "", c
}

// browserDeskShot takes a screenshot and, for the SQLite run, also writes it into
// the -screenshots directory (the README's list does not name the desk's).
func browserDeskShot(tb *tab, b *browser, dialect, name string, full bool) {
	tb.t.Helper()
	tb.shot(b, dialect, name, full)
	if *screenshotsDir == "" || dialect != "sqlite" {
		return
	}
	png, err := os.ReadFile(filepath.Join(b.shots.dir, dialect, name+".png"))
	if err != nil {
		tb.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(filepath.Join(*screenshotsDir, name+".png"), png, 0o644); err != nil {
		tb.t.Errorf("screenshot %s: %v", name, err)
	}
}

// expect marks a path whose error status a form post will get, so the
// browser's log entry for it is no problem.
func (tb *tab) expect(path string) {
	tb.mu.Lock()
	tb.expected[tb.url(path)] = true
	tb.mu.Unlock()
}

// deskRows returns the text of each cell of each body row of a table.
func (tb *tab) deskRows(sel string) [][]string {
	tb.t.Helper()
	return eval[[][]string](tb, `Array.from(document.querySelectorAll(`+jsString(sel+" tbody tr")+`), function(tr){return Array.from(tr.cells, function(c){return c.innerText.trim()})})`)
}

func browserDesk(t *testing.T, b *browser, dialect string) {
	defer since(t, time.Now())
	dsn, cast := browserDeskStore(t, dialect)
	srv, logs := serveStore(t, dsn)

	// RevOps (the admin): archetypes derived and accepted.
	admin := b.newTab(t, srv)
	admin.signIn(cast.admin, stackPassword)
	nav := admin.navLinks()
	for _, href := range []string{"/desk", "/desk/approvals"} {
		if !slices.Contains(nav, href) {
			t.Errorf("the admin's navigation lacks %s: %v", href, nav)
		}
	}
	admin.open("/desk/archetypes", 200)
	admin.follow("derive proposals", 200, chromedp.Click(chromedp.CSS(`form[action="/desk/archetypes/derive"] button[type="submit"]`)))
	if h := admin.text("main h1"); h != "Proposed archetypes" {
		t.Fatalf("derive: heading %q: %.400s", h, admin.text("main"))
	}
	proposals := admin.count("main table.archetypes tbody tr")
	if proposals == 0 {
		t.Fatalf("no proposals: %.400s", admin.text("main"))
	}
	admin.follow("accept all proposals", 200, chromedp.Click(chromedp.CSS(`form.accept-all button[type="submit"]`)))
	if p := admin.path(); !strings.HasPrefix(p, "/desk/archetypes?done=") {
		t.Errorf("accepting went to %s", p)
	}
	rows := admin.deskRows("main table.archetypes")
	if len(rows) != proposals {
		t.Errorf("%d archetypes listed after accepting %d", len(rows), proposals)
	}
	for _, r := range rows {
		if len(r) != 6 || !strings.Contains(r[0], "accepted") {
			t.Errorf("archetype row %q is not accepted", r)
			continue
		}
		for _, fig := range r[2:5] {
			if !strings.Contains(fig, "n=") {
				t.Errorf("archetype %q: figure %q has no n", r[0], fig)
			}
		}
	}
	browserDeskShot(admin, b, dialect, "desk-archetypes", false)
	// An archetype's page, whose id has slashes in it.
	admin.follow("open an archetype", 200, chromedp.Click(chromedp.CSS(`main table.archetypes tbody tr:first-child th a`)))
	if admin.count("#h-bands") == 0 || admin.count("ol.versions li") != 1 {
		t.Errorf("archetype page %s: %.400s", admin.path(), admin.text("main"))
	}

	// A refused rule file changes nothing and lists its problems by line;
	// then the two-level set applies.
	admin.open("/desk/rules", 200)
	admin.do("type a bad rule file",
		chromedp.SetValue(chromedp.CSS("#rl-name"), "bad.yaml"),
		chromedp.SetValue(chromedp.CSS("#rl-source"), browserDeskBadRules))
	admin.expect("/desk/rules")
	admin.follow("apply the bad rules", 400, chromedp.Click(chromedp.CSS(`form[action="/desk/rules"] button[type="submit"]`)))
	problems := admin.texts("ol.problems li")
	if len(problems) == 0 || !slices.ContainsFunc(problems, func(p string) bool { return strings.HasPrefix(p, "bad.yaml:4:5: rules[0].levle") }) {
		t.Errorf("refused rules: problems %q", problems)
	}
	if got := eval[string](admin, `document.getElementById("rl-source").value`); got != browserDeskBadRules {
		t.Errorf("the refused file is not kept: %q", got)
	}
	if h := admin.text("#h-active"); h != "No rule set applied" {
		t.Errorf("after a refused file the page says %q", h)
	}
	browserDeskShot(admin, b, dialect, "desk-rules-refused", false)
	admin.do("type the rule file",
		chromedp.SetValue(chromedp.CSS("#rl-name"), "rules.yaml"),
		chromedp.SetValue(chromedp.CSS("#rl-source"), browserDeskRules),
		chromedp.SetValue(chromedp.CSS("#rl-note"), "two levels"))
	admin.follow("apply the rules", 200, chromedp.Click(chromedp.CSS(`form[action="/desk/rules"] button[type="submit"]`)))
	if h := admin.text("#h-active"); h != "In force: version 1" {
		t.Errorf("after applying, the rules page says %q: %.400s", h, admin.text("main"))
	}
	rules := admin.deskRows("table.rules")
	if len(rules) != 2 || !strings.HasPrefix(rules[0][0], "discount-over-10") || rules[0][4] != "sequential: manager" || rules[1][4] != "sequential: managers-manager" || rules[0][5] != "24h" {
		t.Errorf("rules table: %q", rules)
	}
	browserDeskShot(admin, b, dialect, "desk-rules", true)

	// The rep: from the deal's page to a quote at 15% off, net 90.
	rep := b.newTab(t, srv)
	rep.signIn(cast.rep, stackPassword)
	rep.open("/deals/"+url.PathEscape(cast.deal), 200)
	if s := rep.text("#h-quotes"); s != "Quotes" {
		t.Fatalf("the deal page has no Quotes section: %.400s", rep.text("main"))
	}
	// The deal check: the draft from its line items, not saved.
	rep.follow("check the deal", 200, chromedp.Click(chromedp.CSS(`main a[href^="/desk?deal="]`)))
	if s := rep.text("#h-result"); !strings.HasPrefix(s, "Check of") || rep.count("table.desk-lines tbody tr") == 0 {
		t.Errorf("deal check: %q: %.600s", s, rep.text("main"))
	}
	if s := rep.text("#h-result + p"); !strings.Contains(s, "no quote yet") {
		t.Errorf("the check of a deal without a quote does not say it is a draft: %q", s)
	}
	browserDeskShot(rep, b, dialect, "desk-check", true)
	rep.follow("build a quote", 200, chromedp.Click(chromedp.CSS(`main a[href^="/desk/quotes/new?deal="]`)))
	if h := rep.text("main h1"); h != "New quote" {
		t.Fatalf("editor heading %q: %.400s", h, rep.text("main"))
	}
	lines := eval[[]int](rep, `Array.from(document.querySelectorAll('input[id$="-product"][id^="line-"]')).filter(function(e){return e.value}).map(function(e){return parseInt(e.id.split("-")[1])})`)
	if len(lines) == 0 {
		t.Fatalf("the draft has no lines: %.400s", rep.text("main"))
	}
	var fill []chromedp.Action[chromedp.Void]
	for _, i := range lines {
		id := "#line-" + strconv.Itoa(i)
		if eval[string](rep, `document.querySelector("`+id+`-list_price").value`) == "" {
			fill = append(fill, chromedp.SetValue(chromedp.CSS(id+"-list_price"), "1000"))
		}
		fill = append(fill, chromedp.SetValue(chromedp.CSS(id+"-discount"), "15"))
	}
	fill = append(fill, chromedp.SetValue(chromedp.CSS("#q-payment"), "90"), chromedp.SetValue(chromedp.CSS("#q-note"), "first offer"))
	rep.do("fill the quote", fill...)
	browserDeskShot(rep, b, dialect, "desk-quote-edit", true)
	rep.follow("save the quote", 200, chromedp.Click(chromedp.CSS(`form.quote-form button[type="submit"]`)))
	quote := rep.path()
	if !strings.HasPrefix(quote, "/desk/quotes/") || !strings.Contains(quote, "done=quote-saved") {
		t.Fatalf("saving went to %s: %.600s", quote, rep.text("main"))
	}
	quote = strings.SplitN(quote, "?", 2)[0]
	if s := rep.text(".headline"); !strings.Contains(s, "version 1 of 1") || !strings.Contains(s, "approvals pending") {
		t.Errorf("quote headline %q", s)
	}
	steps := rep.deskRows("#approvals table.approvals")
	if len(steps) != 2 || steps[0][2] != "pending" || steps[1][2] != "pending" || !strings.Contains(steps[0][1], cast.mgr) || !strings.Contains(steps[1][1], cast.vp) {
		t.Errorf("approvals of version 1: %q", steps)
	}
	flags := rep.count("ul.flags li.flag")
	if flags == 0 {
		t.Fatalf("a quote at 15%% off and net 90 raised no flag: %.600s", rep.text("main"))
	}
	evidence := rep.texts("ul.flags .ev dd .num")
	if len(evidence) == 0 {
		t.Errorf("the flags show no evidence")
	}
	for _, e := range evidence {
		if !strings.Contains(e, "n=") {
			t.Errorf("evidence %q has no n", e)
		}
	}
	if rep.count(`ul.flags a[href^="/desk/flags#"]`) != flags {
		t.Errorf("not every flag links to its definition")
	}
	rep.do("note the acknowledgment", chromedp.SetValue(chromedp.CSS("#flag-1-note"), "the customer knows"))
	rep.follow("acknowledge a flag", 200, chromedp.Click(chromedp.CSS(`#flag-1 form.ack-form button[type="submit"]`)))
	if s := rep.text("#flag-1 .acks"); !strings.Contains(s, "acknowledged by "+cast.rep) || !strings.Contains(s, "the customer knows") {
		t.Errorf("the acknowledgment is not shown: %q", s)
	}
	browserDeskShot(rep, b, dialect, "desk-quote", true)

	// The manager approves level 1 from the inbox; the VP level 2.
	approve := func(who, rule string, shot bool) {
		t.Helper()
		tb := b.newTab(t, srv)
		tb.signIn(who, stackPassword)
		tb.open("/desk/approvals", 200)
		row := `//li[contains(@class,"inbox-item") and contains(., "` + strings.TrimPrefix(quote, "/desk/quotes/") + `") and contains(., "` + rule + `")]`
		if n := eval[int](tb, `document.evaluate(`+jsString("count("+row+")")+`, document, null, XPathResult.NUMBER_TYPE, null).numberValue`); n != 1 {
			t.Fatalf("%s's inbox has %d rows for %s: %.600s", who, n, rule, tb.text("main"))
		}
		if shot {
			browserDeskShot(tb, b, dialect, "desk-approvals", false)
		}
		tb.follow(who+" approves "+rule, 200, chromedp.Click(row+`//form[contains(@action,"/approve")]//button`))
		if p := tb.path(); p != "/desk/approvals?done=approved" {
			t.Errorf("approving went to %s", p)
		}
		if tb.count("ul.inbox") != 0 {
			t.Errorf("%s's inbox is not empty after approving: %.400s", who, tb.text("main"))
		}
		tb.checkKeyboard("/desk/approvals")
	}
	approve(cast.mgr, "discount-over-10", true)
	approve(cast.vp, "long-payment-terms", false)
	rep.open(quote, 200)
	if s := rep.text(".headline"); !strings.Contains(s, "approvals approved") {
		t.Errorf("after both approvals the headline says %q", s)
	}

	// The rep lengthens the payment terms only: the manager's approval
	// stands, the VP's is asked again.
	rep.follow("edit the quote", 200, chromedp.Click(chromedp.CSS(`.headline a[href$="/edit"]`)))
	rep.do("change the payment terms",
		chromedp.SetValue(chromedp.CSS("#q-payment"), "120"),
		chromedp.SetValue(chromedp.CSS("#q-note"), "customer asked for net 120"))
	rep.follow("save version 2", 200, chromedp.Click(chromedp.CSS(`form.quote-form button[type="submit"]`)))
	if s := rep.text(".headline"); !strings.Contains(s, "version 2 of 2") || !strings.Contains(s, "approvals pending") {
		t.Errorf("version 2 headline %q: %.600s", s, rep.text("main"))
	}
	changes := rep.deskRows("section[aria-labelledby=h-changes] table")
	if len(changes) != 1 || changes[0][0] != "payment_terms_days" || changes[0][1] != "90" || changes[0][2] != "120" {
		t.Errorf("what changed: %q", changes)
	}
	steps = rep.deskRows("#approvals table.approvals")
	if len(steps) != 2 {
		t.Fatalf("approvals of version 2: %q", steps)
	}
	for _, s := range steps {
		switch {
		case strings.HasPrefix(s[0], "discount-over-10"):
			if s[2] != "approved" || !strings.Contains(s[3], "stands from version 1") || !strings.Contains(s[4], cast.mgr) {
				t.Errorf("the manager's approval does not stand: %q", s)
			}
		case strings.HasPrefix(s[0], "long-payment-terms"):
			if s[2] != "pending" || !strings.Contains(s[1], cast.vp) {
				t.Errorf("the VP's approval is not asked again: %q", s)
			}
		default:
			t.Errorf("unexpected step %q", s)
		}
	}
	// Version 1 keeps its record: both approved, then superseded by nothing
	// (it was decided), and its page says it is not the latest.
	rep.open(quote+"?version=1", 200)
	if s := rep.text(".headline"); !strings.Contains(s, "version 1 of 2") {
		t.Errorf("version 1 headline %q", s)
	}

	// The quote page lays out at phone width and is keyboard-reachable.
	rep.open(quote, 200)
	rep.checkKeyboard(quote)
	rep.viewport(phoneW, phoneH)
	rep.open(quote, 200)
	rep.open("/desk/approvals", 200)
	rep.viewport(desktopW, desktopH)
	checkServerLog(t, logs)
}
