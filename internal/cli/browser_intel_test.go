package cli_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/intel"
	"github.com/tandemhq/tandem/internal/service"
	"github.com/tandemhq/tandem/internal/sqldb"
	"github.com/tandemhq/tandem/internal/testdb"
)

// TestBrowserIntel drives competitive intelligence in headless Chromium on
// every dialect: an admin fills the catalog from the deals' competitor
// names, opens a competitor (win rate with n and interval, the trend by
// quarter), writes its battlecard through the form, and then a rep opens
// a deal that competitor is on and sees the battlecard on the deal page.
func TestBrowserIntel(t *testing.T) {
	b := newBrowser(t)
	for _, dialect := range testdb.Dialects(t) {
		t.Run(dialect, func(t *testing.T) { browserIntel(t, b, dialect) })
	}
}

// browserIntelStore generates a demo store with an admin and a user for
// every rep; it returns the DSN, the admin's e-mail and a rep's.
func browserIntelStore(t *testing.T, dialect string) (dsn, admin, rep string) {
	t.Helper()
	dsn, admin = browserDemoStore(t, dialect, 1200, func(ctx context.Context, svc *service.Service, actor service.Actor) {
		users, err := svc.CreateRepUsers(ctx, actor, "reps.example.com", stackPassword)
		if err != nil || len(users) == 0 {
			t.Fatalf("users for the reps: %d, %v", len(users), err)
		}
		rep = users[0].Email
	})
	return dsn, admin, rep
}

// dealWith returns a deal whose competitors column names competitor id,
// read through a service over the store.
func dealWith(t *testing.T, dsn, id string) string {
	t.Helper()
	ctx := t.Context()
	cat := tandem.NewCatalog()
	db, err := sqldb.Open(ctx, dsn, cat)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	d, err := service.New(db, cat, nil, t.TempDir(), nil).CompetitorView(ctx, id, intel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range d.Latest {
		if m.Source == intel.SourceDeal {
			return m.Ref
		}
	}
	t.Fatalf("no deal names %s", id)
	return ""
}

func browserIntel(t *testing.T, b *browser, dialect string) {
	defer since(t, time.Now())
	dsn, adminEmail, repEmail := browserIntelStore(t, dialect)
	srv, logs := serveStore(t, dsn)

	admin := b.newTab(t, srv)
	admin.signIn(adminEmail, stackPassword)
	if nav := admin.navLinks(); !slices.Contains(nav, "/competitors") {
		t.Errorf("the admin's navigation lacks /competitors: %v", nav)
	}
	admin.open("/competitors", 200)
	if s := admin.text("main .empty"); !strings.Contains(s, "The catalog is empty") {
		t.Errorf("empty catalog says %q", s)
	}
	admin.follow("add the deals' competitors", 200, chromedp.Click(chromedp.CSS(`form[action="/competitors/import"] button[type="submit"]`)))
	if p := admin.path(); p != "/competitors?done=competitors-imported" {
		t.Errorf("import went to %s", p)
	}
	rows := admin.deskRows("main table.competitors")
	if len(rows) < 2 {
		t.Fatalf("catalog rows after import: %q", rows)
	}
	for _, r := range rows {
		if !strings.Contains(r[1], "n=") {
			t.Errorf("competitor %q: win rate %q has no n", r[0], r[1])
		}
	}
	browserDeskShot(admin, b, dialect, "competitors", false)

	// A competitor's page, then its first battlecard through the form.
	admin.follow("open a competitor", 200, chromedp.Click(chromedp.CSS(`main table.competitors tbody tr:first-child th a`)))
	id := strings.TrimPrefix(admin.path(), "/competitors/")
	name := admin.text("main h1")
	if figs := admin.texts("dl.figures dd"); len(figs) != 3 || !slices.ContainsFunc(figs, func(s string) bool { return strings.Contains(s, "n=") }) {
		t.Errorf("competitor figures: %q", figs)
	}
	if !strings.Contains(admin.text("#h-rates ~ p"), "associated with") && !strings.Contains(admin.text("#h-rates ~ p"), "insufficient data") {
		t.Errorf("the difference is not worded as an association: %q", admin.text("#h-rates ~ p"))
	}
	if admin.count("main svg") == 0 {
		t.Errorf("no trend chart on %s", admin.path())
	}
	admin.do("write the battlecard",
		chromedp.SetValue(chromedp.CSS("#bc-summary"), "Cheaper up front, thin on analytics."),
		chromedp.SetValue(chromedp.CSS("#bc-str"), "Price\nBrand"),
		chromedp.SetValue(chromedp.CSS("#bc-weak"), "No SSO"),
		chromedp.SetValue(chromedp.CSS(`input[name="objection"]`), "They are 20% cheaper"),
		chromedp.SetValue(chromedp.CSS(`input[name="response"]`), "Count onboarding and the analytics add-on"),
		chromedp.SetValue(chromedp.CSS("#bc-proof"), "Acme went live in 3 weeks"),
		chromedp.SetValue(chromedp.CSS("#bc-note"), "first cut"))
	admin.follow("save the battlecard", 200, chromedp.Click(chromedp.CSS(`form[action$="/battlecard"] button[type="submit"]`)))
	if s := admin.text("#h-card"); !strings.Contains(s, "version 1") {
		t.Errorf("battlecard heading after saving: %q: %.400s", s, admin.text("main"))
	}
	if s := admin.text("#battlecard"); !strings.Contains(s, "They are 20% cheaper") || !strings.Contains(s, "Acme went live in 3 weeks") {
		t.Errorf("the saved battlecard reads %q", s)
	}
	if n := admin.count("ol.versions > li"); n != 1 {
		t.Errorf("%d versions listed, want 1", n)
	}
	browserDeskShot(admin, b, dialect, "competitor", true)

	// A rep opens a deal that competitor is on: the battlecard is there.
	deal := dealWith(t, dsn, id)
	rep := b.newTab(t, srv)
	rep.signIn(repEmail, stackPassword)
	rep.open("/deals/"+url.PathEscape(deal), 200)
	if h := rep.text("#h-battlecards"); h != "Battlecards" {
		t.Fatalf("deal %s has no battlecards section: %.600s", deal, rep.text("main"))
	}
	card := rep.text("#battlecards")
	for _, want := range []string{name, "named on the deal", "version 1", "Cheaper up front, thin on analytics.", "They are 20% cheaper", "Count onboarding and the analytics add-on", "Acme went live in 3 weeks"} {
		if !strings.Contains(card, want) {
			t.Errorf("the deal's battlecard lacks %q: %q", want, card)
		}
	}
	browserDeskShot(rep, b, dialect, "deal-battlecard", true)
	rep.follow("open the competitor from the deal", 200, chromedp.Click(chromedp.CSS(`#battlecards h3 a`)))
	if p := rep.path(); p != "/competitors/"+id {
		t.Errorf("the deal's battlecard links to %s", p)
	}
	if rep.count(`form[action$="/battlecard"]`) != 0 {
		t.Error("a rep is offered the battlecard editor")
	}

	// The intel quota, per rep.
	rep.open("/intel/quota", 200)
	if h := rep.text("main h1"); !strings.HasPrefix(h, "Intel quota, ") {
		t.Errorf("quota heading %q", h)
	}
	if rep.count("#h-below") != 1 {
		t.Errorf("the quota page lists no reps below quota: %.400s", rep.text("main"))
	}
	checkServerLog(t, logs)
}
