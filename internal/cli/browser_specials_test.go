package cli_test

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/service"
	"github.com/tandemhq/tandem/internal/testdb"
)

// TestBrowserSpecials takes one special from intake to "measure and
// productize" in headless Chromium on every dialect: a rep files it from
// a deal's page with a file as evidence; a product user (a leader) scores
// and estimates it, sees it on the matrix, advances it from talking to the
// rep, skips speaking to the prospect with a reason, reviews the
// evidence, accepts it with a displaced roadmap item (confirming when the
// budget's warning shows), ships the slice and productizes it; the
// timeline shows every step.
func TestBrowserSpecials(t *testing.T) {
	b := newBrowser(t)
	for _, dialect := range testdb.Dialects(t) {
		t.Run(dialect, func(t *testing.T) { browserSpecials(t, b, dialect) })
	}
}

// browserSpecialsStore is a small demo store with an admin, a product
// user who may sign off acceptances and a rep, and an open deal.
func browserSpecialsStore(t *testing.T, dialect string) (dsn, admin, pm, rep, deal string) {
	t.Helper()
	pm, rep = "pm@example.com", "rep@example.com"
	dsn, admin = browserDemoStore(t, dialect, 300, func(ctx context.Context, svc *service.Service, actor service.Actor) {
		for _, u := range []service.NewUser{{Email: pm, Name: "Pat Product", Role: tandem.RoleProduct}, {Email: rep, Name: "Reggie Rep", Role: tandem.RoleSales}} {
			u.Password = stackPassword
			if _, err := svc.CreateUser(ctx, actor, u, false); err != nil {
				t.Fatal(err)
			}
		}
		// The demo's settings may name leaders or a minimum deal: the product
		// user signs off here, and any open deal qualifies.
		set, v, err := svc.SpecialSettings(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(set.Leaders) > 0 || set.MinDealAmount > 0 {
			if len(set.Leaders) > 0 {
				set.Leaders = append(set.Leaders, pm)
			}
			set.MinDealAmount = 0
			if _, _, err := svc.PutSpecialSettings(ctx, actor, set, v); err != nil {
				t.Fatal(err)
			}
		}
		deal = browserOpenDeal(t, svc)
	})
	return dsn, admin, pm, rep, deal
}

func browserSpecials(t *testing.T, b *browser, dialect string) {
	defer since(t, time.Now())
	dsn, admin, pm, rep, deal := browserSpecialsStore(t, dialect)
	srv, logs := serveStore(t, dsn)
	evidence := filepath.Join(t.TempDir(), "call-notes.txt")
	if err := os.WriteFile(evidence, []byte("The CISO needs a nightly audit export for SOC 2.\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	// The rep files a special from the deal's page, with a file.
	rt := b.newTab(t, srv)
	rt.signIn(rep, stackPassword)
	rt.open("/deals/"+url.PathEscape(deal), 200)
	if rt.count("#deal-specials") != 1 {
		t.Fatalf("deal %s has no specials section: %.600s", deal, rt.text("main"))
	}
	rt.follow("open the intake form", 200, chromedp.Click(chromedp.CSS("#deal-file-special")))
	if p := rt.path(); p != "/specials/new?deal="+url.QueryEscape(deal) {
		t.Errorf("the deal's link opened %s", p)
	}
	rt.do("fill the intake form",
		chromedp.SetValue(chromedp.CSS("#sn-title"), "Nightly audit export"),
		chromedp.SetValue(chromedp.CSS("#sn-ask"), "Export the audit log to their S3 bucket every night."),
		chromedp.SetValue(chromedp.CSS("#sn-problem"), "Their SOC 2 auditor wants a year of access logs."),
		chromedp.SetValue(chromedp.CSS("#sn-asked"), "CISO"),
		chromedp.SetValue(chromedp.CSS("#sn-notes"), "Call on Monday: a blocker for signature."),
		chromedp.SetUploadFiles(chromedp.CSS("#sn-files"), []string{evidence}))
	rt.follow("file the special", 200, chromedp.Click(chromedp.CSS(`#special-new button[type="submit"]`)))
	filed := rt.path()
	if !strings.HasPrefix(filed, "/specials/sp-") || !strings.HasSuffix(filed, "?done=filed") {
		t.Fatalf("filing went to %s: %.600s", filed, rt.text("main"))
	}
	page := strings.TrimSuffix(filed, "?done=filed")
	id := strings.TrimPrefix(page, "/specials/")
	if s := rt.text("#special-files"); !strings.Contains(s, "call-notes.txt") || !strings.Contains(s, "text/plain") {
		t.Errorf("the evidence file is listed as %q", s)
	}
	if s := rt.text("#special-step"); s != "1. Talk to the rep" {
		t.Errorf("step after filing %q", s)
	}
	if rt.count("#special-score") != 0 {
		t.Error("the rep is offered the score form")
	}

	// Product scores and estimates it; it is placed on the matrix.
	pt := b.newTab(t, srv)
	pt.signIn(pm, stackPassword)
	pt.open(page, 200)
	pt.do("score", chromedp.SetValue(chromedp.CSS("#ss-icp"), "9"), chromedp.SetValue(chromedp.CSS("#ss-strat"), "9"))
	pt.follow("save the score", 200, chromedp.Click(chromedp.CSS(`#special-score button[type="submit"]`)))
	if s := pt.text("#special-alignment"); !strings.Contains(s, "/ 10") {
		t.Errorf("alignment after scoring: %q", s)
	}
	if n := pt.count("#special-inputs li"); n != 5 {
		t.Errorf("%d alignment inputs shown, want 5", n)
	}
	pt.do("estimate", chromedp.SetValue(chromedp.CSS("#se-weeks"), "2"), chromedp.SetValue(chromedp.CSS("#se-note"), "one sprint and a half"))
	pt.follow("save the estimate", 200, chromedp.Click(chromedp.CSS(`#special-estimate button[type="submit"]`)))
	if s := pt.text("#special-placement"); !strings.Contains(s, "Recommended") {
		t.Errorf("placement after estimating: %q", s)
	}
	pt.open("/specials/matrix", 200)
	if pt.count(`#specials-matrix a[href="`+page+`"] circle`) != 1 {
		t.Errorf("the matrix does not place %s", id)
	}
	browserDeskShot(pt, b, dialect, "specials-matrix", true)
	pt.open("/specials", 200)
	if pt.count(`#specials-board [data-step="talk-to-rep"] a[href="`+page+`"]`) != 1 {
		t.Errorf("the board's first column lacks %s: %.600s", id, pt.text("#specials-board"))
	}
	browserDeskShot(pt, b, dialect, "specials-board", false)

	// Through the steps.
	pt.open(page, 200)
	move := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		pt.do(what, steps...)
		pt.follow(what, 200, chromedp.Click(chromedp.CSS(`#special-move button[type="submit"]`)))
		if p := pt.path(); p != page+"?done=moved" {
			t.Fatalf("%s went to %s: %.800s", what, p, pt.text("main"))
		}
	}
	move("advance from talking to the rep",
		chromedp.SetValue(chromedp.CSS("#mv-action"), "advance"),
		chromedp.SetValue(chromedp.CSS("#mv-notes"), "The rep confirmed the blocker."),
		chromedp.SetValue(chromedp.CSS("#mv-signed"), admin))
	move("skip speaking to the prospect",
		chromedp.SetValue(chromedp.CSS("#mv-action"), "skip"),
		chromedp.SetValue(chromedp.CSS("#mv-skip"), "The CISO is on leave; the call notes suffice."))
	move("advance from reviewing the evidence",
		chromedp.SetValue(chromedp.CSS("#mv-action"), "advance"),
		chromedp.SetValue(chromedp.CSS("#mv-notes"), "The notes and the auditor's request hold."),
		chromedp.SetValue(chromedp.CSS("#mv-signed"), pm))
	if pt.count("#mv-accept") != 1 {
		t.Fatalf("find-workarounds offers no acceptance: %.800s", pt.text("main"))
	}
	steps := []chromedp.Action[chromedp.Void]{
		chromedp.SetValue(chromedp.CSS("#mv-action"), "accept"),
		chromedp.SetValue(chromedp.CSS("#mv-notes"), "No partner covers it; build the export only."),
		chromedp.SetValue(chromedp.CSS("#mv-item-0"), "Reporting revamp"),
		chromedp.SetValue(chromedp.CSS("#mv-weeks-0"), "2"),
	}
	if pt.count("#accept-warning") == 1 {
		steps = append(steps, chromedp.SetValue(chromedp.CSS("#mv-confirm"), "Worth it: a reference logo."))
	}
	move("accept", steps...)
	if s := pt.text("#special-acceptance"); !strings.Contains(s, "Accepted by "+pm) {
		t.Errorf("acceptance reads %q", s)
	}
	move("ship the simplest slice",
		chromedp.SetValue(chromedp.CSS("#mv-action"), "advance"),
		chromedp.SetValue(chromedp.CSS("#mv-notes"), "Shipped behind a flag."),
		chromedp.SetValue(chromedp.CSS("#mv-signed"), pm))
	if s := pt.text("#special-step"); s != "6. Measure and productize" {
		t.Errorf("step after shipping %q", s)
	}
	move("productize",
		chromedp.SetValue(chromedp.CSS("#mv-action"), "productize"),
		chromedp.SetValue(chromedp.CSS("#mv-notes"), "Two more customers asked; it goes in the product."))
	if s := pt.text("#special-step"); s != "productized" {
		t.Errorf("final step %q", s)
	}
	rows := pt.deskRows("#special-timeline")
	want := []struct{ step, to string }{{"1. Talk to the rep", "2. Speak to the prospect"}, {"2. Speak to the prospect", "3. Review the evidence"},
		{"3. Review the evidence", "4. Find workarounds"}, {"4. Find workarounds", "5. Ship the simplest slice"},
		{"5. Ship the simplest slice", "6. Measure and productize"}, {"6. Measure and productize", "productized"}}
	if len(rows) != len(want) {
		t.Fatalf("timeline has %d rows, want %d: %q", len(rows), len(want), rows)
	}
	for i, w := range want {
		if rows[i][0] != w.step || rows[i][1] != w.to || rows[i][2] != pm || !strings.Contains(rows[i][3], "UTC") {
			t.Errorf("timeline row %d: %q, want %s → %s by %s", i, rows[i], w.step, w.to, pm)
		}
	}
	if !strings.Contains(rows[1][6], "skipped: The CISO is on leave") || rows[0][5] != admin || rows[3][5] != pm {
		t.Errorf("timeline sign-offs and skip: %q", rows)
	}
	if pt.count("#special-move") != 0 {
		t.Error("a productized special still offers moves")
	}
	browserDeskShot(pt, b, dialect, "special", true)

	// The rep sees it ended on the board and counted in the quarter.
	rt.open("/specials", 200)
	if !strings.Contains(rt.text("#h-ended"), "(") || rt.count(`#specials-ended a[href="`+page+`"]`) != 1 {
		t.Errorf("the board's ended section lacks %s", id)
	}
	rt.open("/specials/capacity", 200)
	if s := rt.text("#capacity-displaced"); !strings.Contains(s, "Reporting revamp") {
		t.Errorf("capacity's displaced work: %q", s)
	}
	checkServerLog(t, logs)
}
