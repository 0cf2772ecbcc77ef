package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/service"
)

// themePagePerms lists the theme pages and the permission each needs.
var themePagePerms = map[string]auth.Perm{
	"GET /themes":             auth.PermPipelineRead,
	"GET /themes/ranking":     auth.PermPipelineRead,
	"GET /themes/{id}":        auth.PermPipelineRead,
	"POST /themes/{id}":       auth.PermFeedbackAdmin,
	"POST /themes/{id}/merge": auth.PermFeedbackAdmin,
	"POST /themes/{id}/split": auth.PermFeedbackAdmin,
	"POST /themes/{id}/votes": auth.PermFeedbackWrite,
}

// TestThemePages walks the theme pages: the list and its search, a theme
// with its forms for each role, a vote, a title with an injected string,
// a stale edit, a merge (the old id then redirects), a split, and the
// ranking with and without customer data, and its CSV download.
func TestThemePages(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true, true)
	ctx := t.Context()
	admin, sales := f.users[tandem.RoleAdmin], f.users[tandem.RoleSales]
	var ids []string
	for i, it := range []struct{ text, deal string }{
		{"Need single sign-on with Okta for our whole team " + xss, "dab"},
		{"Single sign-on with Okta for the whole team is needed", ""},
		{"We need single sign-on with Okta for our team", "dac"},
		{"Export of reports to CSV files is missing " + sqt, ""},
	} {
		res, err := f.svc.SubmitFeedback(ctx, service.Actor{Name: "test"}, tandem.Feedback{Text: it.text, DealID: it.deal,
			ReceivedAt: now.Add(time.Duration(i-10) * time.Minute)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.Item.ID)
	}
	sso, csvTheme := service.ThemeIDPrefix+ids[0], service.ThemeIDPrefix+ids[3]

	page := func(p *auth.Principal, path string, status int, h1 string, has, hasNot []string) string {
		t.Helper()
		w := f.do(t, p, "GET", path, reqBody{})
		body := w.Body.String()
		if w.Code != status {
			t.Fatalf("GET %s: status %d, want %d; body:\n%.3000s", path, w.Code, status, body)
		}
		if got := checkPage(t, body); h1 != "" && got != h1 {
			t.Errorf("GET %s: h1 %q, want %q", path, got, h1)
		}
		for _, s := range has {
			if !strings.Contains(body, s) {
				t.Errorf("GET %s lacks %q", path, s)
			}
		}
		for _, s := range hasNot {
			if strings.Contains(body, s) {
				t.Errorf("GET %s has %q", path, s)
			}
		}
		return body
	}
	post := func(p *auth.Principal, path string, form url.Values, status int) *http.Response {
		t.Helper()
		w := f.do(t, p, "POST", path, reqBody{form: form})
		if w.Code != status {
			t.Fatalf("POST %s: status %d, want %d; body:\n%.3000s", path, w.Code, status, w.Body.String())
		}
		return w.Result()
	}

	page(sales, "/themes", 200, "Themes", []string{`href="/themes/` + sso + `"`, "(untitled)", "4 items in 2 themes", "&lt;script&gt;"}, nil)
	page(sales, "/themes?q=okta&min_items=2", 200, "Themes", []string{sso}, []string{csvTheme})
	page(sales, "/themes?min_items=x", 400, "Something in the request is not right", nil, nil)

	// Admins see every form; sales may vote only.
	page(admin, "/themes/"+sso, 200, "", []string{"/feedback/" + ids[1], `action="/themes/` + sso + `/merge"`, `action="/themes/` + sso + `/split"`,
		`action="/themes/` + sso + `/votes"`, `name="csrf" value="csrf-token"`, "anchor", "/deals/dab"}, nil)
	page(sales, "/themes/"+sso, 200, "", []string{`action="/themes/` + sso + `/votes"`}, []string{"/merge", "/split", `name="title"`})
	page(sales, "/themes/th-nope", 404, "Page not found", nil, nil)

	post(sales, "/themes/"+sso+"/votes", url.Values{"account_id": {"a1"}, "importance": {"critical"}, "note": {xss}}, http.StatusSeeOther)
	post(sales, "/themes/"+sso+"/votes", url.Values{"account_id": {"nope"}, "importance": {"critical"}}, http.StatusBadRequest)
	page(sales, "/themes/"+sso, 200, "", []string{"1 account(s): 1 critical", `href="/accounts/a1"`, "&lt;script&gt;alert(1)"}, nil)

	post(sales, "/themes/"+sso, url.Values{"version": {"0"}, "title": {"Okta SSO " + xss}}, http.StatusForbidden)
	post(admin, "/themes/"+sso, url.Values{"version": {"0"}, "title": {"Okta SSO " + xss}, "features": {"f1"}, "specials": {"SP-1, SP-2"}}, http.StatusSeeOther)
	post(admin, "/themes/"+sso, url.Values{"version": {"0"}, "title": {"Stale"}}, http.StatusConflict)
	page(admin, "/themes/"+sso, 200, "Okta SSO &lt;script&gt;alert(1)&lt;/script&gt;", []string{"version 1", `href="/features/f1"`, "SP-1, SP-2"}, nil)

	res := post(admin, "/themes/"+sso+"/merge", url.Values{"from": {csvTheme}}, http.StatusSeeOther)
	if loc := res.Header.Get("Location"); loc != "/themes/"+sso+"?done=theme-merged" {
		t.Errorf("merge redirects to %q", loc)
	}
	post(admin, "/themes/"+sso+"/merge", url.Values{"from": {"th-nope"}}, http.StatusBadRequest)
	if w := f.do(t, sales, "GET", "/themes/"+csvTheme, reqBody{}); w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/themes/"+sso {
		t.Errorf("old id: %d to %q", w.Code, w.Header().Get("Location"))
	}
	post(admin, "/themes/"+sso+"/split", url.Values{"item": {ids[2]}}, http.StatusSeeOther)
	post(admin, "/themes/"+sso+"/split", url.Values{"item": {ids[2]}}, http.StatusBadRequest) // no longer in this theme

	// The ranking: ARR for roles reading customer data only.
	page(admin, "/themes/ranking", 200, "Themes by revenue at stake", []string{"Customers' ARR", "Stage probabilities", "insufficient data",
		`href="/themes/ranking?format=csv&amp;sort=total"`, "Definitions", "lost deal(s)"}, nil)
	page(sales, "/themes/ranking?sort=lost", 200, "", []string{"customers:read", "<strong aria-current=\"true\">Lost</strong>"}, []string{"Customers' ARR"})
	page(sales, "/themes/ranking?sort=arr", 403, "Not allowed", nil, nil)
	w := f.do(t, admin, "GET", "/themes/ranking?format=csv", reqBody{})
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/csv") || !strings.Contains(w.Body.String(), "arr_accounts") {
		t.Errorf("csv: %d %q %.300s", w.Code, w.Header().Get("Content-Type"), w.Body.String())
	}
}
