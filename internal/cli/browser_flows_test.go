package cli_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/demo"
	"github.com/tandemhq/tandem/internal/sqldb"
	"github.com/tandemhq/tandem/internal/testdb"
)

// TestBrowser drives the web app in headless Chromium on every dialect:
// the first-run set-up, an admin importing the Maven CRM pipeline through
// the import page, the win-rate report against `tandem report`, roles that
// are refused, a feature's halo page, and the layout and keyboard access of
// the main pages at desktop and phone widths. Every page visited must log
// no console error, uncaught exception or CSP violation. Screenshots go to
// $TANDEM_ARTIFACTS (or a temporary directory) and, with -screenshots DIR,
// into DIR for the README.
func TestBrowser(t *testing.T) {
	b := newBrowser(t)
	for _, dialect := range testdb.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			t.Run("first-run", func(t *testing.T) { browserFirstRun(t, b, dialect) })
			t.Run("maven", func(t *testing.T) { browserMaven(t, b, dialect) })
			t.Run("demo", func(t *testing.T) { browserDemo(t, b, dialect) })
		})
	}
}

// since logs how long a flow took.
func since(t *testing.T, start time.Time) {
	t.Logf("%s took %.1f s", t.Name(), time.Since(start).Seconds())
}

// browserFirstRun: on an empty store every page leads to /setup, whose form
// creates the first admin and signs them in on the overview.
func browserFirstRun(t *testing.T, b *browser, dialect string) {
	defer since(t, time.Now())
	srv, logs := serveStore(t, testdb.DSN(t, dialect))
	tb := b.newTab(t, srv)

	tb.open("/", 200)
	if p := tb.path(); p != "/setup" {
		t.Fatalf("/ on an empty store went to %s, want /setup", p)
	}
	if h := tb.text("h1"); h != "Set up Tandem" {
		t.Errorf("set-up page heading %q", h)
	}
	if tb.count("nav.sidenav") != 0 {
		t.Errorf("the set-up page shows the navigation to nobody")
	}
	// The form's own length check and hint must agree with the server's
	// rule, or a password the form accepts is refused after a round trip.
	want := strconv.Itoa(auth.MinPasswordLen)
	for _, id := range []string{"password", "password2"} {
		if got := eval[string](tb, `document.getElementById("`+id+`").getAttribute("minlength") || ""`); got != want {
			t.Errorf("/setup: #%s has minlength=%q but the server requires %s characters", id, got, want)
		}
	}
	if hint := tb.text("#pw-help"); !strings.Contains(hint, want) {
		t.Errorf("/setup: the password hint %q does not say %s characters", hint, want)
	}
	tb.shot(b, dialect, "setup", false)

	tb.do("fill the set-up form",
		chromedp.SendKeys(chromedp.CSS("#email"), "ana@example.com"),
		chromedp.SendKeys(chromedp.CSS("#name"), "Ana Ruiz"),
		chromedp.SendKeys(chromedp.CSS("#password"), stackPassword),
		chromedp.SendKeys(chromedp.CSS("#password2"), stackPassword))
	tb.follow("create the first admin", 200, chromedp.Click(chromedp.CSS(`form[action="/setup"] button[type="submit"]`)))
	if p := tb.path(); p != "/" {
		t.Fatalf("after set-up the browser is on %s, want /: %.300s", p, tb.text("main"))
	}
	if h := tb.text("main h1"); h != "Overview" {
		t.Errorf("after set-up the page heading is %q, want Overview", h)
	}
	if who, role := tb.textContent(".who-name"), tb.textContent(".role-tag"); who != "Ana Ruiz" || role != "admin" {
		t.Errorf("signed in as %q (%q), want Ana Ruiz (admin)", who, role)
	}
	nav := tb.navLinks()
	for _, href := range []string{"/", "/deals", "/import", "/users", "/audit"} {
		if !slices.Contains(nav, href) {
			t.Errorf("the admin's navigation lacks %s: %v", href, nav)
		}
	}
	if txt := tb.text("main"); !strings.Contains(txt, "No figures yet") {
		t.Errorf("the overview of an empty store does not say so: %.300s", txt)
	}
	// Set-up is over: /setup now sends a signed-in admin on to the overview.
	tb.open("/setup", 200)
	if p := tb.path(); p != "/" {
		t.Errorf("/setup after set-up went to %s, want /", p)
	}
	checkServerLog(t, logs)
}

// mavenCommands returns the README's Maven CRM import commands with the
// store and the datasets directory filled in, except the deals file, whose
// --map flags it returns for the browser to set.
func mavenCommands(t *testing.T, dsn string) ([][]string, [][2]string, string) {
	t.Helper()
	data := datasets(t)
	var cmds [][]string
	var dealsMap [][2]string
	dealsFile := ""
	for _, args := range readmeCommands(t) {
		if len(args) < 5 || args[1] != "maven.db" || args[2] != "import" {
			continue
		}
		args = slices.Clone(args)
		args[1] = dsn
		for i := range args {
			args[i] = strings.Replace(args[i], "../shared/datasets", data, 1)
		}
		if args[3] != "deals" {
			cmds = append(cmds, args)
			continue
		}
		dealsFile = args[4]
		for i := 5; i+1 < len(args); i++ {
			if args[i] == "--map" {
				c, s, _ := strings.Cut(args[i+1], "=")
				dealsMap = append(dealsMap, [2]string{c, s})
			}
		}
	}
	if len(cmds) != 3 || len(dealsMap) == 0 {
		t.Fatalf("README: %d Maven commands besides the deals, deals --map %v", len(cmds), dealsMap)
	}
	if rel, err := filepath.Rel(repoRoot(t), dealsFile); err != nil || rel != filepath.Join("..", "shared", "datasets", "maven-crm", "sales_pipeline.csv") {
		t.Fatalf("README's deals file is %s", dealsFile)
	}
	return cmds, dealsMap, dealsFile
}

// addUser creates a user with `tandem user add`, the password on stdin.
func addUser(t *testing.T, dsn, email, name string, role tandem.Role) {
	t.Helper()
	code, _, errOut := runStdin(t, stackPassword+"\n", "--db", dsn, "user", "add", "--email", email, "--name", name, "--role", string(role))
	if code != 0 {
		t.Fatalf("tandem user add %s: exit %d: %s", email, code, errOut)
	}
}

// browserMaven: a store prepared with the README's commands; the admin
// uploads the pipeline file, fixes the column map in the preview, imports
// it; the win-rate report page prints what `tandem report winrate` prints;
// sales is refused the import and users pages; finance reads the audit log.
func browserMaven(t *testing.T, b *browser, dialect string) {
	defer since(t, time.Now())
	dsn := testdb.DSN(t, dialect)
	cmds, dealsMap, dealsFile := mavenCommands(t, dsn)
	for _, args := range cmds {
		if code, _, errOut := run(t, args...); code != 0 {
			t.Fatalf("tandem %s: exit %d: %s", strings.Join(args, " "), code, errOut)
		}
	}
	addUser(t, dsn, "admin@example.com", "Ana Admin", tandem.RoleAdmin)
	addUser(t, dsn, "sales@example.com", "Sam Sales", tandem.RoleSales)
	addUser(t, dsn, "finance@example.com", "Fin Finance", tandem.RoleFinance)
	srv, logs := serveStore(t, dsn)

	admin := b.newTab(t, srv)
	admin.open("/deals", 200)
	if p := admin.path(); !strings.HasPrefix(p, "/signin") {
		t.Errorf("/deals signed out went to %s, want the sign-in page", p)
	}
	admin.shot(b, dialect, "signin", false)
	admin.signIn("admin@example.com", stackPassword)

	importPipeline(t, b, admin, dialect, dealsFile, dealsMap)
	checkWinrate(t, b, admin, dialect, dsn)

	// Sales sees the pipeline but is refused import and users, which its
	// navigation does not offer.
	sales := b.newTab(t, srv)
	sales.signIn("sales@example.com", stackPassword)
	nav := sales.navLinks()
	for _, href := range []string{"/import", "/users", "/audit"} {
		if slices.Contains(nav, href) {
			t.Errorf("sales: the navigation offers %s: %v", href, nav)
		}
	}
	if !slices.Contains(nav, "/deals") {
		t.Errorf("sales: the navigation lacks /deals: %v", nav)
	}
	for _, path := range []string{"/import", "/users"} {
		sales.open(path, 403)
		if h := sales.text("main h1"); h != "Not allowed" {
			t.Errorf("sales on %s: heading %q, want Not allowed", path, h)
		}
		if s := sales.text(".status-code"); !strings.Contains(s, "403") {
			t.Errorf("sales on %s: status line %q", path, s)
		}
		if txt := sales.text("main"); !strings.Contains(txt, "your role (sales) cannot open this page") {
			t.Errorf("sales on %s: the page does not say why: %.300s", path, txt)
		}
		if sales.count(`form[action="/import"], form[action="/users"], input[type="file"]`) != 0 {
			t.Errorf("sales on %s: the refused page still shows its form", path)
		}
	}

	// Finance reads the audit log, where the admin's import is.
	fin := b.newTab(t, srv)
	fin.signIn("finance@example.com", stackPassword)
	nav = fin.navLinks()
	if !slices.Contains(nav, "/audit") || slices.Contains(nav, "/import") || slices.Contains(nav, "/users") {
		t.Errorf("finance: navigation %v, want /audit and neither /import nor /users", nav)
	}
	fin.open("/audit", 200)
	if h := fin.text("main h1"); h != "Audit log" {
		t.Errorf("finance on /audit: heading %q", h)
	}
	found := ""
	for _, row := range fin.texts("table.audit > tbody > tr") {
		if strings.Contains(row, "admin@example.com") && strings.Contains(row, "import") && strings.Contains(row, "entity:deals") {
			found = row
		}
	}
	switch {
	case found == "":
		t.Errorf("finance on /audit: no entry for the admin's import of deals: %.600s", fin.text("table.audit"))
	case !strings.Contains(found, "sales_pipeline.csv"):
		// README: imports are audited with their file.
		t.Errorf("/audit: the import entry does not name the uploaded file sales_pipeline.csv: %q", found)
	}
	fin.open("/import", 403)

	// The admin's users and audit pages.
	admin.open("/users", 200)
	users := admin.text("main table")
	for _, email := range []string{"admin@example.com", "sales@example.com", "finance@example.com"} {
		if !strings.Contains(users, email) {
			t.Errorf("/users lacks %s", email)
		}
	}
	if got := eval[string](admin, `(function(){var e=document.getElementById("nu-pw");return e?e.getAttribute("minlength")||"":"none"})()`); got != strconv.Itoa(auth.MinPasswordLen) {
		t.Errorf("/users: the new user's password field has minlength=%q but the server requires %d characters", got, auth.MinPasswordLen)
	}
	admin.shot(b, dialect, "users", false)
	admin.open("/audit", 200)
	admin.shot(b, dialect, "audit", false)
	checkServerLog(t, logs)
}

// importPipeline uploads the Maven pipeline on the import page, sets the
// column map to the README's --map flags with the preview's selects,
// previews, confirms and checks the loaded counts.
func importPipeline(t *testing.T, b *browser, tb *tab, dialect, file string, dealsMap [][2]string) {
	t.Helper()
	tb.open("/import", 200)
	if h := tb.text("main h1"); h != "Import data" {
		t.Errorf("/import heading %q", h)
	}
	tb.do("choose the file",
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{file}),
		chromedp.SetValue(chromedp.CSS("#entity"), "deals"))
	tb.follow("upload the pipeline", 200, chromedp.Click(chromedp.CSS(`form[action="/import"] button[type="submit"]`)))
	if p := tb.path(); !strings.HasPrefix(p, "/import/") {
		t.Fatalf("the upload landed on %s: %.400s", p, tb.text("main"))
	}
	if h := tb.text("main h1"); h != "Preview: sales_pipeline.csv" {
		t.Errorf("preview heading %q", h)
	}

	// Set every map select: the README's columns, nothing else.
	want := map[string]string{}
	for _, m := range dealsMap {
		want[m[0]] = m[1]
	}
	names := eval[[]string](tb, `Array.from(document.querySelectorAll('select[name^="map."]'), function(s){return s.name})`)
	if len(names) == 0 {
		t.Fatalf("the preview has no column map selects: %.600s", tb.text("main"))
	}
	for _, name := range names {
		canon := strings.TrimPrefix(name, "map.")
		tb.do("map "+canon, chromedp.SetValue(chromedp.CSS(`select[name="`+name+`"]`), want[canon]))
	}
	for canon := range want {
		if !slices.Contains(names, "map."+canon) {
			t.Errorf("the column map has no select for %s", canon)
		}
	}
	tb.follow("preview with the README's map", 200, chromedp.Click(chromedp.CSS(`form[method="get"][action^="/import/"] button[type="submit"]`)))
	got := eval[map[string]string](tb, `(function(){var m={};document.querySelectorAll('select[name^="map."]').forEach(function(s){if(s.value)m[s.name.slice(4)]=s.value});return m})()`)
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("the column map after preview is %v, want README's %v", got, want)
	}
	if e := tb.text(".alert-error"); e != "" {
		t.Errorf("the preview shows a problem: %s", e)
	}
	if tb.count("#h-errors") != 0 {
		t.Errorf("the preview lists row errors: %.800s", tb.text("#h-errors + p + div"))
	}
	cards := cardValues(tb)
	for label, v := range map[string]string{"Rows read": "8,800", "Rows with errors": "0", "Entity": "deals"} {
		if cards[label] != v {
			t.Errorf("preview card %q = %q, want %q (cards %v)", label, cards[label], v, cards)
		}
	}
	if norm := tb.text(`section[aria-labelledby="h-norm"]`); !regexp.MustCompile(`GTXPro\s+GTX Pro\s+1,480`).MatchString(norm) {
		t.Errorf("the preview does not list GTXPro → GTX Pro on 1,480 rows: %q", norm)
	}
	button := tb.text("section.confirm button")
	if button != "Import 8,800 rows of deals" {
		t.Fatalf("confirm button %q, want Import 8,800 rows of deals: %.600s", button, tb.text("main"))
	}
	tb.shot(b, dialect, "import-preview", false)

	tb.follow("confirm the import", 200, chromedp.Click(chromedp.CSS(`section.confirm button[type="submit"]`)))
	if h := tb.text("main h1"); h != "Imported sales_pipeline.csv" {
		t.Errorf("after confirming the heading is %q: %.400s", h, tb.text("main"))
	}
	if ok := tb.text(".alert-ok"); !strings.Contains(ok, "Imported 8,800 rows of deals") {
		t.Errorf("after confirming the status says %q", ok)
	}
	loaded := tb.texts(`section[aria-labelledby="h-loaded"] tbody tr`)
	if len(loaded) != 1 || !regexp.MustCompile(`^deals\s+8,800\s+8,800\s+0\s+0$`).MatchString(strings.TrimSpace(loaded[0])) {
		t.Errorf("loaded table %q, want deals 8,800 rows, 8,800 inserted", loaded)
	}
	tb.open("/", 200)
	if c := tb.text("main"); !regexp.MustCompile(`deals\s+8,800`).MatchString(c) {
		t.Errorf("the overview does not count 8,800 deals: %.600s", c)
	}
}

// cardValues reads the summary cards of a page: label → value.
func cardValues(tb *tab) map[string]string {
	return eval[map[string]string](tb, `(function(){var m={};document.querySelectorAll("li.card").forEach(function(c){var l=c.querySelector(".card-label"),v=c.querySelector(".card-value");if(l&&v)m[l.innerText.trim()]=v.innerText.trim()});return m})()`)
}

// winrateJSON is what `tandem report winrate --json` prints, in part.
type winrateJSON struct {
	Groups []struct {
		Key     map[string]string `json:"key"`
		N       int               `json:"n"`
		Value   float64           `json:"value"`
		CILow   *float64          `json:"ci_low"`
		CIHigh  *float64          `json:"ci_high"`
		Metrics map[string]struct {
			Value float64 `json:"value"`
		} `json:"metrics"`
	} `json:"groups"`
}

// pct formats a proportion as the report does, independently of it.
func pct(v float64) string { return fmt.Sprintf("%.1f%%", math.Round(v*1000)/10) }

// reportRow is one row of a report page's table.
type reportRow struct {
	Key   string   `json:"key"`
	Est   string   `json:"est"`
	N     string   `json:"n"`
	Cells []string `json:"cells"`
}

// reportRows reads the rows of a report page's table of groups.
func reportRows(tb *tab) []reportRow {
	return eval[[]reportRow](tb, `Array.from(document.querySelectorAll("section#groups table tbody tr"), function(tr){
	  var c = Array.from(tr.cells, function(x){return x.innerText.trim()});
	  var est = tr.querySelector("td.est"), i = est ? Array.prototype.indexOf.call(tr.cells, est) : -1;
	  return {key: c[0], est: i < 0 ? "" : c[i], n: i < 0 ? "" : (c[i + 1] || ""), cells: c};
	})`)
}

// checkWinrate compares the win-rate page with `tandem report winrate`.
func checkWinrate(t *testing.T, b *browser, tb *tab, dialect, dsn string) {
	t.Helper()
	code, out, errOut := run(t, "--db", dsn, "report", "winrate", "--as-of", "2017-12-31")
	if code != 0 {
		t.Fatalf("tandem report winrate: exit %d: %s", code, errOut)
	}
	var cliAll string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "all ") {
			cliAll = regexp.MustCompile(`\d+\.\d% \[\d+\.\d%, \d+\.\d%\] n=\d+`).FindString(line)
		}
	}
	if cliAll == "" {
		t.Fatalf("tandem report winrate printed no estimate for all:\n%s", out)
	}
	code, out, errOut = run(t, "--db", dsn, "report", "winrate", "--as-of", "2017-12-31", "--json")
	if code != 0 {
		t.Fatalf("tandem report winrate --json: exit %d: %s", code, errOut)
	}
	var js winrateJSON
	if err := json.Unmarshal([]byte(out), &js); err != nil || len(js.Groups) != 1 || js.Groups[0].CILow == nil || js.Groups[0].CIHigh == nil {
		t.Fatalf("tandem report winrate --json: %v\n%.600s", err, out)
	}
	g := js.Groups[0]
	fromJSON := fmt.Sprintf("%s [%s, %s] n=%d", pct(g.Value), pct(*g.CILow), pct(*g.CIHigh), g.N)
	if fromJSON != cliAll {
		t.Errorf("tandem report winrate prints %q but its JSON says %q", cliAll, fromJSON)
	}

	tb.open("/reports/winrate?as-of=2017-12-31", 200)
	if h := tb.text("main h1"); h != "Win rate" {
		t.Errorf("/reports/winrate heading %q", h)
	}
	if meta := tb.text(".page-head .meta"); !strings.Contains(meta, "2017-12-31") {
		t.Errorf("/reports/winrate does not say it is as of 2017-12-31: %q", meta)
	}
	rows := reportRows(tb)
	if len(rows) != 1 {
		t.Fatalf("/reports/winrate has %d rows, want 1: %.600s", len(rows), tb.text("section#groups"))
	}
	r := rows[0]
	if r.Key != "all" || r.Est != cliAll {
		t.Errorf("/reports/winrate shows %q %q; tandem report winrate prints all %q", r.Key, r.Est, cliAll)
	}
	if n, _ := strconv.Atoi(strings.ReplaceAll(r.N, ",", "")); n != g.N {
		t.Errorf("/reports/winrate n column %q, want %d (row %q)", r.N, g.N, r.Cells)
	}
	for _, m := range []string{"won", "lost", "open"} {
		want := strconv.Itoa(int(g.Metrics[m].Value))
		found := false
		for _, c := range r.Cells {
			found = found || strings.ReplaceAll(c, ",", "") == want
		}
		if !found {
			t.Errorf("/reports/winrate row %q lacks %s = %s", r.Cells, m, want)
		}
	}
	checkChart(t, tb, "/reports/winrate", "section#groups figure.chart", 0, []string{cliAll})

	// Grouped by product, as README's second example: every row as in JSON.
	code, out, errOut = run(t, "--db", dsn, "report", "winrate", "--by", "product.name", "--as-of", "2017-12-31", "--json")
	if code != 0 {
		t.Fatalf("tandem report winrate --by product.name --json: exit %d: %s", code, errOut)
	}
	js = winrateJSON{}
	if err := json.Unmarshal([]byte(out), &js); err != nil || len(js.Groups) < 5 {
		t.Fatalf("tandem report winrate --by product.name --json: %v\n%.600s", err, out)
	}
	tb.open("/reports/winrate?as-of=2017-12-31&by=product.name", 200)
	page := map[string]string{}
	for _, r := range reportRows(tb) {
		page[r.Key] = r.Est
	}
	var figures []string
	for _, g := range js.Groups {
		want := fmt.Sprintf("%s [%s, %s] n=%d", pct(g.Value), pct(*g.CILow), pct(*g.CIHigh), g.N)
		if g.N < 30 {
			want = fmt.Sprintf("insufficient data (n=%d): %s [%s, %s]", g.N, pct(g.Value), pct(*g.CILow), pct(*g.CIHigh))
		}
		name := g.Key["product.name"]
		if page[name] != want {
			t.Errorf("/reports/winrate?by=product.name: %s shows %q, want %q", name, page[name], want)
		}
		figures = append(figures, want)
	}
	checkChart(t, tb, "/reports/winrate?by=product.name", "section#groups figure.chart", 0, figures)
	tb.shot(b, dialect, "report-winrate", true)
}

// chartInfo describes a page's SVG chart.
type chartInfo struct {
	SVG      int    `json:"svg"` // SVGs in the figure
	Role     string `json:"role"`
	Label    string `json:"label"`
	Title    string `json:"title"`
	Desc     string `json:"desc"`
	Whiskers int    `json:"whiskers"`
	Caps     int    `json:"caps"`
	Width    int    `json:"width"`
}

// checkChart requires an accessible SVG chart in the i-th figure matching
// sel: role="img" with a title and a description that lists the figures,
// and an error bar (whisker with caps) per figure with enough data, or at
// least one.
func checkChart(t *testing.T, tb *tab, page, sel string, i int, figures []string) {
	t.Helper()
	c := eval[chartInfo](tb, fmt.Sprintf(`(function(){
	  var f = document.querySelectorAll(%s)[%d], s = f && f.querySelector("svg");
	  if (!s) return {svg: 0};
	  var t = s.querySelector(":scope > title"), d = s.querySelector(":scope > desc");
	  return {svg: f.querySelectorAll("svg").length, role: s.getAttribute("role") || "", label: s.getAttribute("aria-label") || "",
	    title: t ? t.textContent : "", desc: d ? d.textContent : "",
	    whiskers: s.querySelectorAll("line.chart-ci:not(.chart-cap)").length, caps: s.querySelectorAll("line.chart-cap").length,
	    width: Math.round(s.getBoundingClientRect().width)};
	})()`, jsString(sel), i))
	// Figures below the minimum sample are drawn muted, without a whisker.
	sufficient := 0
	for _, f := range figures {
		if !strings.HasPrefix(f, "insufficient") {
			sufficient++
		}
	}
	switch {
	case c.SVG == 0:
		t.Errorf("%s: no SVG chart in %s", page, sel)
		return
	case c.Role != "img" || c.Title == "" || c.Desc == "":
		t.Errorf("%s: chart role=%q title=%q desc=%q: want role img with a title and a description", page, c.Role, c.Title, c.Desc)
	case c.Whiskers < max(1, sufficient) || c.Caps < 2*max(1, sufficient):
		t.Errorf("%s: chart has %d whiskers and %d caps for %d figures with enough data", page, c.Whiskers, c.Caps, sufficient)
	case c.Width == 0:
		t.Errorf("%s: chart has no width", page)
	}
	for _, f := range figures {
		if !strings.Contains(c.Desc, f) {
			t.Errorf("%s: the chart's description lacks %q: %q", page, f, c.Desc)
		}
	}
}

// demoStore writes the demo dataset of `tandem demo --no-serve --deals N`
// into a fresh store of the dialect: with the command on SQLite, with the
// same generator and seed in-process on PostgreSQL (the command writes
// SQLite files only).
func demoStore(t *testing.T, dialect string, deals int) string {
	t.Helper()
	dsn := testdb.DSN(t, dialect)
	if dialect == "sqlite" {
		if code, _, errOut := run(t, "--db", dsn, "demo", "--no-serve", "--deals", strconv.Itoa(deals)); code != 0 {
			t.Fatalf("tandem demo: exit %d: %s", code, errOut)
		}
		return dsn
	}
	ctx := context.Background()
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
	defer l.Rollback()
	if _, err := demo.Generate(ctx, cat, l, demo.DefaultConfig().Scaled(deals), nil); err != nil {
		t.Fatalf("demo: %v", err)
	}
	if _, err := l.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return dsn
}

// estRe matches a figure with its interval and n as pages print them.
var estRe = regexp.MustCompile(`[-+×]?\d[\d,.]*( pp| d|%| mo)? \[[^\]]+\] n=\d+`)

// browserDemo: on a small demo store, a feature's halo page shows its
// figures with n and intervals and error-bar charts; the overview, the
// deals list and a report page lay out without sideways scrolling and are
// keyboard-reachable at 1280×800 and 375×812.
func browserDemo(t *testing.T, b *browser, dialect string) {
	defer since(t, time.Now())
	dsn := demoStore(t, dialect, 2000)
	addUser(t, dsn, "admin@example.com", "Ana Admin", tandem.RoleAdmin)
	srv, logs := serveStore(t, dsn)
	tb := b.newTab(t, srv)
	tb.signIn("admin@example.com", stackPassword)

	// A feature's halo page, reached from the catalog.
	tb.open("/features", 200)
	tb.follow("open Advanced Analytics", 200, chromedp.Click(`//main//table//a[normalize-space(.)="Advanced Analytics"]`))
	checkHalo(t, tb, "Advanced Analytics")
	tb.shot(b, dialect, "feature-halo", true)

	// A deal, reached from the list of won deals.
	tb.open("/deals?outcome=won", 200)
	tb.shot(b, dialect, "deals", false)
	href := eval[string](tb, `(function(){var a=document.querySelector('main table.list tbody th a[href^="/deals/"]');return a?a.getAttribute("href"):""})()`)
	if href == "" {
		t.Fatalf("/deals?outcome=won links no deal: %.400s", tb.text("main"))
	}
	tb.follow("open a deal", 200, chromedp.Click(chromedp.CSS(`main table.list tbody th a[href="`+href+`"]`)))
	if tb.count("svg.timeline rect") == 0 || tb.count("ol.stage-list li") == 0 {
		t.Errorf("%s: no stage timeline", href)
	}
	if h := tb.text(".headline"); !strings.Contains(h, "won") {
		t.Errorf("%s: the headline does not say won: %q", href, h)
	}
	tb.shot(b, dialect, "deal", true)

	// Layout and keyboard at both widths.
	pages := []string{"/", "/deals", "/reports/winrate?by=account.segment"}
	for _, vp := range [][2]int64{{desktopW, desktopH}, {phoneW, phoneH}} {
		tb.viewport(vp[0], vp[1])
		for _, p := range pages {
			tb.open(p, 200) // checks the layout
			if p == "/" {
				name := "overview"
				if vp[0] == phoneW {
					name = "overview-phone"
				}
				tb.shot(b, dialect, name, vp[0] != phoneW)
			}
			tb.checkKeyboard(fmt.Sprintf("%s at %d×%d", p, vp[0], vp[1]))
		}
	}
	tb.viewport(desktopW, desktopH)
	checkServerLog(t, logs)
}

// checkHalo checks a feature's halo page: the figures with their n and
// intervals, and error-bar charts.
func checkHalo(t *testing.T, tb *tab, feature string) {
	t.Helper()
	page := tb.path()
	if u, _ := url.Parse(page); u == nil || !strings.HasPrefix(u.Path, "/features/") {
		t.Fatalf("the feature link went to %s", page)
	}
	if h := tb.text("main h1"); h != feature {
		t.Errorf("%s: heading %q, want %q", page, h, feature)
	}
	if tb.count("#h-summary") == 0 || tb.text("#h-summary") != "In one sentence" {
		t.Errorf("%s: no halo summary: %.600s", page, tb.text("main"))
	}
	if s := tb.text(".callout-text"); !strings.Contains(s, "associated") && !strings.Contains(s, "association") {
		t.Errorf("%s: the summary does not speak of association: %q", page, s)
	}
	head := tb.text(".headline-figure")
	if !estRe.MatchString(head) {
		t.Errorf("%s: the headline figure %q has no interval and n", page, head)
	}
	rows := eval[[][]string](tb, `Array.from(document.querySelectorAll("table.metrics tbody tr"), function(tr){return Array.from(tr.cells, function(c){return c.innerText.trim()})})`)
	withCI := 0
	for _, r := range rows {
		if len(r) < 4 {
			t.Errorf("%s: metric row %q is short", page, r)
			continue
		}
		if estRe.MatchString(r[1]) {
			withCI++
		}
		if r[2] == "" || r[2] == "–" {
			t.Errorf("%s: metric %q has no n", page, r[0])
		}
	}
	if len(rows) < 4 || withCI < 3 {
		t.Errorf("%s: %d metric rows, %d with an interval and n: %q", page, len(rows), withCI, rows)
	}
	charts := tb.count("figure.chart")
	if charts == 0 {
		t.Errorf("%s: no charts", page)
	}
	for i := range charts {
		checkChart(t, tb, page, "figure.chart", i, nil)
	}
}
