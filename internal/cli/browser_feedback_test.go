package cli_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/service"
	"github.com/tandemhq/tandem/internal/testdb"
)

// browserFeedbackScript is feedback text with a script in it: shown
// inert, it appears as text; run, it would log an error the tab reports.
const browserFeedbackScript = `<script>console.error("feedback script ran")</script>`

// TestBrowserFeedback drives the feedback inbox in headless Chromium on
// every dialect: a rep files feedback on a deal through the web form (with
// a script in its text, which must show as text), finds it in the inbox
// with its owner and acknowledgment deadline, and the owner (the admin)
// opens it, acknowledges it with a note, and sees the new status and the
// history of versions.
func TestBrowserFeedback(t *testing.T) {
	b := newBrowser(t)
	for _, dialect := range testdb.Dialects(t) {
		t.Run(dialect, func(t *testing.T) { browserFeedback(t, b, dialect) })
	}
}

// browserFeedbackStore is a small demo store with an admin and a sales
// user, and an open deal for the feedback.
func browserFeedbackStore(t *testing.T, dialect string) (dsn, admin, rep, deal string) {
	t.Helper()
	rep = "rep@example.com"
	dsn, admin = browserDemoStore(t, dialect, 300, func(ctx context.Context, svc *service.Service, actor service.Actor) {
		if _, err := svc.CreateUser(ctx, actor, service.NewUser{Email: rep, Name: "Reggie Rep", Role: tandem.RoleSales, Password: stackPassword}, false); err != nil {
			t.Fatal(err)
		}
		deal = browserOpenDeal(t, svc)
	})
	return dsn, admin, rep, deal
}

func browserFeedback(t *testing.T, b *browser, dialect string) {
	defer since(t, time.Now())
	dsn, admin, rep, deal := browserFeedbackStore(t, dialect)
	srv, logs := serveStore(t, dsn)

	// The rep files feedback through the web form.
	rt := b.newTab(t, srv)
	rt.signIn(rep, stackPassword)
	rt.open("/feedback", 200)
	if rt.count("#feedback-new") != 1 {
		t.Fatalf("the inbox has no form for new feedback: %.400s", rt.text("main"))
	}
	text := "Acme needs SAML SSO before renewal. " + browserFeedbackScript
	rt.do("fill the feedback form",
		chromedp.SetValue(chromedp.CSS("#nf-title"), "SAML SSO before renewal"),
		chromedp.SetValue(chromedp.CSS("#nf-text"), text),
		chromedp.SetValue(chromedp.CSS("#nf-deal"), deal),
		chromedp.SetValue(chromedp.CSS("#nf-imp"), "critical"))
	rt.follow("file the feedback", 200, chromedp.Click(chromedp.CSS(`#feedback-new button[type="submit"]`)))
	itemPath := rt.path()
	if !strings.HasPrefix(itemPath, "/feedback/fb-") || !strings.HasSuffix(itemPath, "?done=filed") {
		t.Fatalf("filing went to %s: %.400s", itemPath, rt.text("main"))
	}
	id := strings.TrimSuffix(strings.TrimPrefix(itemPath, "/feedback/"), "?done=filed")
	if got := rt.textContent("#feedback-text"); got != text {
		t.Errorf("the text is shown as %q, want it as typed, inert", got)
	}
	if n := eval[int](rt, `document.querySelectorAll("#feedback-text script").length`); n != 0 {
		t.Errorf("the script in the feedback became an element")
	}
	if got := rt.text("#feedback-status"); got != "new" {
		t.Errorf("status %q, want new", got)
	}
	if owner := rt.text("#feedback-owner"); !strings.Contains(owner, admin) {
		t.Errorf("owner %q, want %s", owner, admin)
	}
	if rt.count("#feedback-triage") != 0 {
		t.Error("the rep, not the owner, sees the triage form")
	}
	rt.shot(b, dialect, "feedback-item-new", true)

	// The inbox lists it with its owner and deadline.
	rt.open("/feedback", 200)
	rows := rt.deskRows("#feedback-inbox")
	var row []string
	for _, r := range rows {
		if len(r) == 7 && strings.Contains(r[0], id) {
			row = r
		}
	}
	if row == nil {
		t.Fatalf("the inbox does not list %s: %q", id, rows)
	}
	if row[1] != "new" || row[2] != admin || !strings.Contains(row[3], "UTC") {
		t.Errorf("inbox row %q: want status new, owner %s and a deadline", row, admin)
	}
	rt.shot(b, dialect, "feedback-inbox", false)

	// The owner opens it from the inbox and acknowledges it with a note.
	at := b.newTab(t, srv)
	at.signIn(admin, stackPassword)
	at.open("/feedback?status=new", 200)
	at.follow("open the item", 200, chromedp.Click(chromedp.CSS(`#feedback-inbox a[href="/feedback/`+id+`"]`)))
	if at.count("#feedback-triage") != 1 {
		t.Fatalf("the owner has no triage form: %.400s", at.text("main"))
	}
	at.do("acknowledge with a note",
		chromedp.SetValue(chromedp.CSS("#tr-status"), "acknowledged"),
		chromedp.SetValue(chromedp.CSS("#tr-note"), "Thanks, on the Q3 list"))
	at.follow("save the triage", 200, chromedp.Click(chromedp.CSS(`#feedback-triage button[type="submit"]`)))
	if p := at.path(); p != "/feedback/"+id+"?done=triaged" {
		t.Errorf("triage went to %s", p)
	}
	if got := at.text("#feedback-status"); got != "acknowledged" {
		t.Errorf("status after triage %q", got)
	}
	if got := at.text("#feedback-note"); got != "Thanks, on the Q3 list" {
		t.Errorf("note %q", got)
	}
	hist := at.deskRows("#feedback-history")
	if len(hist) != 2 || hist[0][0] != "2" || hist[0][2] != admin || hist[0][3] != "acknowledged" || !strings.Contains(hist[0][5], "new → acknowledged") || hist[1][3] != "new" {
		t.Errorf("history %q", hist)
	}
	at.shot(b, dialect, "feedback-item", true)

	// The rep sees the new status in the inbox.
	rt.open("/feedback?status=acknowledged", 200)
	if rows := rt.deskRows("#feedback-inbox"); len(rows) != 1 || rows[0][1] != "acknowledged" {
		t.Errorf("acknowledged items: %q", rows)
	}
	checkServerLog(t, logs)
}
