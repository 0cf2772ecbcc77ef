package web

import (
	"bytes"
	"context"
	"io/fs"
	"maps"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/service"
	"github.com/tandemhq/tandem/internal/sqldb/sqldbtest"
)

// Injected strings stored in records and sent as parameters: pages must
// print them as text.
const (
	xss = `<script>alert(1)</script>`
	sqt = `' OR 1=1 --`
)

// now is the fixed clock of the tests.
var now = time.Date(2026, 6, 30, 12, 0, 0, 0, time.UTC)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// row is one seed record with values by column name.
type row struct {
	entity string
	values map[string]any
	attrs  map[string]string
}

// seed returns the records every test starts from: a few accounts, reps,
// products, features and deals with stage history and line items, some
// with injected strings in their names.
func seed() []row {
	rows := []row{
		{"accounts", map[string]any{"id": "a1", "name": "Acme " + xss, "industry": "software", "segment": "enterprise", "employees": int64(5000), "created": day(2023, 1, 15)}, map[string]string{"tier": xss}},
		{"accounts", map[string]any{"id": "a2", "name": "Globex " + sqt, "segment": "smb", "parent_id": "a1"}, nil},
		{"reps", map[string]any{"id": "r1", "name": "Rita " + xss, "team": "East"}, nil},
		{"products", map[string]any{"id": "p1", "name": "GTX Pro", "class": "new"}, nil},
		{"features", map[string]any{"id": "f1", "name": "SSO " + xss, "product_id": "p1", "status": "ga", "horizon": "H1", "released_at": day(2023, 2, 1)}, nil},
		{"features", map[string]any{"id": "f2", "name": "Offline Mode", "status": "beta", "horizon": "H2"}, nil},
		{"glossary", map[string]any{"id": "win-rate", "name": "win rate", "definition": "won / (won + lost) " + xss, "owner": "RevOps " + sqt}, nil},
	}
	outcomes := []string{"won", "lost", "open"}
	for i := range 45 {
		id := "d" + string(rune('a'+i/26)) + string(rune('a'+i%26))
		o := outcomes[i%3]
		stage := map[string]string{"won": "Closed Won", "lost": "Closed Lost", "open": "Proposal"}[o]
		vals := map[string]any{"id": id, "stage": stage, "account_id": []string{"a1", "a2"}[i%2], "rep_id": "r1",
			"name": "Deal " + id, "amount": float64(1000 + 10*i), "currency": "USD", "created": day(2024, time.Month(1+i%12), 1),
			"outcome": o, "type": "new", "source": "web", "products": []string{"p1"}}
		if o != "open" {
			vals["closed"] = day(2024, time.Month(1+i%12), 20)
		}
		if i%2 == 0 {
			vals["features"] = []string{"f1"}
		}
		if o == "lost" {
			vals["loss_reasons"] = []string{"price", sqt}
			vals["competitors"] = []string{xss}
		}
		if i == 0 {
			vals["name"] = "Big deal " + xss + " " + sqt
		}
		rows = append(rows, row{"deals", vals, nil})
	}
	rows = append(rows,
		row{"deal_stages", map[string]any{"id": "st1", "deal_id": "daa", "stage": "Prospecting " + xss, "entered_at": day(2024, 1, 1)}, nil},
		row{"deal_stages", map[string]any{"id": "st2", "deal_id": "daa", "stage": "Proposal", "entered_at": day(2024, 1, 8), "amount": 1000.0}, nil},
		row{"deal_stages", map[string]any{"id": "st3", "deal_id": "daa", "stage": "Closed Won", "entered_at": day(2024, 1, 20)}, nil},
		row{"line_items", map[string]any{"id": "li1", "deal_id": "daa", "product_id": "p1", "quantity": 2.5, "unit_price": 400.0, "amount": 1000.0}, nil},
		row{"subscriptions", map[string]any{"id": "s1", "account_id": "a1", "start": day(2024, 2, 1), "mrr": 500.0, "status": "active", "plan": "Pro " + xss}, nil},
		row{"adoptions", map[string]any{"id": "ad1", "account_id": "a1", "feature_id": "f1", "adopted_at": day(2024, 3, 1)}, nil},
	)
	return rows
}

// fixture is a Site over a seeded SQLite store, with users of some roles.
type fixture struct {
	site  *Site
	svc   *service.Service
	store tandem.Store
	users map[tandem.Role]*auth.Principal
}

// newFixture opens a fresh store, seeds it when data is true, and creates
// an admin and one user of each other role when users is true.
func newFixture(t *testing.T, data, users bool) *fixture {
	t.Helper()
	ctx := context.Background()
	cat := tandem.NewCatalog()
	store := sqldbtest.Open(t, "sqlite", cat)
	if data {
		ld, err := store.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range seed() {
			e, err := cat.Entity(r.entity)
			if err != nil {
				t.Fatal(err)
			}
			rec := tandem.Record{Values: make([]any, len(e.Columns)), Attrs: r.attrs}
			for name, v := range r.values {
				_, i := e.Column(name)
				if i < 0 {
					t.Fatalf("%s has no column %s", r.entity, name)
				}
				rec.Values[i] = v
			}
			if err := ld.Put(ctx, e, rec); err != nil {
				t.Fatalf("put %s %v: %v", r.entity, r.values["id"], err)
			}
		}
		if _, err := ld.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	clock := func() time.Time { return now }
	svc := service.New(store, cat, analytics.New(store, cat, clock), t.TempDir(), clock)
	f := &fixture{site: New(svc, auth.NewManager(store, false, clock), "test", nil), svc: svc, store: store,
		users: map[tandem.Role]*auth.Principal{}}
	if users {
		for i, role := range tandem.Roles() {
			u, err := svc.CreateUser(ctx, service.Actor{Name: "test"}, service.NewUser{Email: string(role) + "@example.com",
				Name: "User " + string(role) + " " + xss, Role: role, Password: "correct horse battery"}, i == 0)
			if err != nil {
				t.Fatalf("create %s user: %v", role, err)
			}
			f.users[role] = &auth.Principal{User: u, Session: &tandem.Session{UserID: u.ID, CSRF: "csrf-token"}}
		}
	}
	return f
}

// do sends a request through the site's route table, as httpapi would:
// the principal in the context, the route's permission checked, errors
// rendered by Site.Error.
func (f *fixture) do(t *testing.T, p *auth.Principal, method, target string, body reqBody) *httptest.ResponseRecorder {
	t.Helper()
	mux := http.NewServeMux()
	for _, rt := range f.site.Routes() {
		mux.HandleFunc(rt.Method+" "+rt.Path, func(w http.ResponseWriter, r *http.Request) {
			if p != nil {
				r = r.WithContext(auth.WithPrincipal(r.Context(), p))
			}
			if rt.Perm != auth.PermPublic && p == nil {
				f.site.Error(w, r, tandem.Errorf(tandem.EUNAUTHORIZED, "sign in"))
				return
			}
			if rt.Perm != auth.PermPublic && !p.Can(rt.Perm) {
				f.site.Error(w, r, tandem.Errorf(tandem.EFORBIDDEN, "no %s", rt.Perm))
				return
			}
			if err := rt.Handler(w, r); err != nil {
				f.site.Error(w, r, err)
			}
		})
	}
	var req *http.Request
	if body.form != nil {
		req = httptest.NewRequest(method, target, strings.NewReader(body.form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else if body.raw != nil {
		req = httptest.NewRequest(method, target, bytes.NewReader(body.raw))
		req.Header.Set("Content-Type", body.ctype)
	} else {
		req = httptest.NewRequest(method, target, nil)
	}
	req.RemoteAddr = "192.0.2.1:1234"
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, req)
	return w
}

// reqBody is a request body: a form, or raw bytes with a content type.
type reqBody struct {
	form  url.Values
	raw   []byte
	ctype string
}

var (
	h1Re     = regexp.MustCompile(`(?s)<h1[^>]*>(.*?)</h1>`)
	tagRe    = regexp.MustCompile(`<[^>]+>`)
	scriptRe = regexp.MustCompile(`(?i)<script\b[^>]*>`)
	handlerR = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
	styleRe  = regexp.MustCompile(`(?i)\sstyle\s*=|<style\b`)
	idRe     = regexp.MustCompile(`\sid="([^"]*)"`)
	forRe    = regexp.MustCompile(`<label[^>]*\sfor="([^"]*)"`)
)

// checkPage checks what every HTML page must have, and returns its h1 text.
func checkPage(t *testing.T, body string) string {
	t.Helper()
	for _, want := range []string{"<!DOCTYPE html>", `<html lang="en">`, "<title>", `<a class="skip-link" href="#main">`, `<main id="main"`, "</html>"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	h1s := h1Re.FindAllStringSubmatch(body, -1)
	if len(h1s) != 1 {
		t.Fatalf("page has %d <h1>, want 1", len(h1s))
	}
	for _, tag := range scriptRe.FindAllString(body, -1) {
		if !strings.Contains(tag, `src="/static/app.js?v=`) {
			t.Errorf("page has an inline or foreign script tag %s", tag)
		}
	}
	if strings.Contains(body, "alert(1)</script>") {
		t.Errorf("injected script printed raw")
	}
	if handlerR.MatchString(body) || styleRe.MatchString(body) {
		t.Errorf("page has an event handler or style attribute: %s", handlerR.FindString(body)+styleRe.FindString(body))
	}
	ids := map[string]bool{}
	for _, m := range idRe.FindAllStringSubmatch(body, -1) {
		if ids[m[1]] {
			t.Errorf("id %q twice", m[1])
		}
		ids[m[1]] = true
	}
	for _, m := range forRe.FindAllStringSubmatch(body, -1) {
		if !ids[m[1]] {
			t.Errorf("label for %q names no element", m[1])
		}
	}
	return strings.TrimSpace(tagRe.ReplaceAllString(h1s[0][1], ""))
}

func TestNewParsesEveryTemplate(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false, false)
	entries, err := fs.ReadDir(templateFS, "templates")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".html")
		if isLayout(e.Name()) {
			continue
		}
		n++
		if f.site.pages[name] == nil {
			t.Errorf("template %s not parsed", e.Name())
		}
	}
	if n < 15 || len(f.site.pages) != n {
		t.Errorf("parsed %d pages of %d files", len(f.site.pages), n)
	}
	for _, name := range []string{"app.css", "app.js", "favicon.svg"} {
		if _, ok := f.site.static[name]; !ok {
			t.Errorf("static %s missing", name)
		}
	}
}

// TestNoInlineCode scans the embedded templates and assets for what the
// CSP forbids: inline scripts, style attributes or elements, event handler
// attributes and javascript: URLs.
func TestNoInlineCode(t *testing.T) {
	t.Parallel()
	for _, dir := range []fs.FS{templateFS, staticFS} {
		err := fs.WalkDir(dir, ".", func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasSuffix(path, ".css") || strings.HasSuffix(path, ".js") {
				return err
			}
			b, err := fs.ReadFile(dir, path)
			if err != nil {
				return err
			}
			s := string(b)
			if m := styleRe.FindString(s); m != "" {
				t.Errorf("%s has inline style %q", path, m)
			}
			if m := handlerR.FindString(s); m != "" {
				t.Errorf("%s has an event handler attribute %q", path, m)
			}
			if strings.Contains(strings.ToLower(s), "javascript:") {
				t.Errorf("%s has a javascript: URL", path)
			}
			for _, tag := range scriptRe.FindAllString(s, -1) {
				if !strings.Contains(tag, "src=") {
					t.Errorf("%s has an inline script %q", path, tag)
				}
			}
			if strings.Contains(s, "<script>") {
				t.Errorf("%s has an inline <script>", path)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestRoutes(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false, false)
	want := map[string]auth.Perm{
		"GET /static/{file}": auth.PermPublic, "GET /signin": auth.PermPublic, "POST /signin": auth.PermPublic,
		"POST /signout": auth.PermSignedIn, "GET /setup": auth.PermPublic, "POST /setup": auth.PermPublic,
		"GET /{$}": auth.PermSignedIn, "GET /deals": auth.PermPipelineRead, "GET /deals/{id}": auth.PermPipelineRead,
		"GET /accounts": auth.PermPipelineRead, "GET /accounts/{id}": auth.PermPipelineRead,
		"GET /features": auth.PermPipelineRead, "GET /features/{id}": auth.PermReportsRead,
		"GET /reports": auth.PermReportsRead, "GET /reports/{name}": auth.PermReportsRead,
		"GET /glossary": auth.PermPipelineRead, "POST /glossary": auth.PermGlossaryWrite, "POST /glossary/{id}": auth.PermGlossaryWrite,
		"GET /import": auth.PermImport, "POST /import": auth.PermImport, "GET /import/{id}": auth.PermImport, "POST /import/{id}": auth.PermImport,
		"GET /users": auth.PermUsersAdmin, "POST /users": auth.PermUsersAdmin, "POST /users/{id}": auth.PermUsersAdmin,
		"GET /tokens": auth.PermTokensOwn, "POST /tokens": auth.PermTokensOwn, "POST /tokens/{id}/revoke": auth.PermTokensOwn,
		"GET /audit": auth.PermAuditRead, "GET /desk": auth.PermDeskRead, "GET /desk/flags": auth.PermDeskRead,
		"GET /desk/quotes/new": auth.PermDeskQuote, "POST /desk/quotes": auth.PermDeskQuote, "GET /desk/quotes/{id}": auth.PermDeskRead,
		"GET /desk/quotes/{id}/edit": auth.PermDeskQuote, "POST /desk/quotes/{id}/acks": auth.PermDeskQuote,
		"GET /desk/approvals": auth.PermDeskRead, "POST /desk/approvals/{id}/approve": auth.PermDeskRead,
		"POST /desk/approvals/{id}/reject": auth.PermDeskRead, "POST /desk/approvals/{id}/delegate": auth.PermDeskRead,
		"POST /desk/away": auth.PermDeskRead, "GET /desk/archetypes": auth.PermDeskRead,
		"POST /desk/archetypes/derive": auth.PermDeskAdmin, "POST /desk/archetypes/accept": auth.PermDeskAdmin,
		"GET /desk/archetypes/{id}": auth.PermDeskRead, "POST /desk/archetypes/{id}": auth.PermDeskAdmin,
		"GET /desk/rules": auth.PermDeskRead, "POST /desk/rules": auth.PermDeskAdmin,
		"GET /desk/reviews": auth.PermDeskRead, "POST /desk/reviews/triggers": auth.PermDeskAdmin, "POST /desk/reviews/scan": auth.PermDeskAdmin,
		"GET /desk/reviews/{deal}": auth.PermDeskRead, "POST /desk/reviews/{deal}": auth.PermDeskRead,
	}
	// Each module's test file lists its own pages.
	for _, m := range []map[string]auth.Perm{feedbackPagePerms, themePagePerms, winlossPagePerms, intelPagePerms, specialPagePerms} {
		maps.Copy(want, m)
	}
	seen := map[string]bool{}
	for _, rt := range f.site.Routes() {
		key := rt.Method + " " + rt.Path
		if seen[key] {
			t.Errorf("route %s twice", key)
		}
		seen[key] = true
		if !rt.Page {
			t.Errorf("route %s is not a page", key)
		}
		if rt.Handler == nil || rt.Summary == "" {
			t.Errorf("route %s lacks a handler or summary", key)
		}
		if p, ok := want[key]; !ok {
			t.Errorf("unexpected route %s", key)
		} else if p != rt.Perm {
			t.Errorf("route %s needs %s, want %s", key, rt.Perm, p)
		}
		if rt.Upload != (key == "POST /import" || key == "POST /feedback/import" || key == "POST /specials") {
			t.Errorf("route %s: Upload = %v", key, rt.Upload)
		}
	}
	for key := range want {
		if !seen[key] {
			t.Errorf("route %s missing", key)
		}
	}
}

func TestPagesRender(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true, true)
	admin, sales := f.users[tandem.RoleAdmin], f.users[tandem.RoleSales]
	tests := []struct {
		path   string
		p      *auth.Principal
		status int
		h1     string
		has    []string
	}{
		{"/", admin, 200, "Overview", []string{"win rate", "n = ", "In the store"}},
		{"/deals", admin, 200, "Deals", []string{"1–45 of 45", `href="/deals?limit=50&amp;sort=amount"`, "Big deal &lt;script&gt;"}},
		{"/deals?sort=-amount&limit=25", admin, 200, "Deals", []string{"1–25 of 45", `aria-sort="descending"`, `rel="next"`}},
		{"/deals?outcome=won&stage=" + url.QueryEscape(xss), admin, 200, "Deals", []string{"No deals match these filters", "&lt;script&gt;alert(1)"}},
		{"/deals?offset=25&limit=25", admin, 200, "Deals", []string{"26–45 of 45", `rel="prev"`}},
		{"/deals/daa", admin, 200, "Big deal &lt;script&gt;alert(1)&lt;/script&gt; &#39; OR 1=1 --", []string{"Stage timeline", "<svg class=\"timeline\"", "Prospecting &lt;script&gt;", "/features/f1", "/accounts/a1", "2.5"}},
		{"/deals/dab", admin, 200, "Deal dab", []string{"price", "&#39; OR 1=1 --", "No stage history"}},
		{"/accounts", admin, 200, "Accounts", []string{"Acme &lt;script&gt;", "Globex &#39; OR 1=1"}},
		{"/accounts/a1", admin, 200, "Acme &lt;script&gt;alert(1)&lt;/script&gt;", []string{"Subscriptions", "Pro &lt;script&gt;", "attr.tier"}},
		{"/accounts/a1", sales, 200, "Acme &lt;script&gt;alert(1)&lt;/script&gt;", []string{"which your role does not read"}},
		{"/features", admin, 200, "Features", []string{"badge-good", "badge-warn", "SSO &lt;script&gt;"}},
		{"/features?status=beta", admin, 200, "Features", []string{"Offline Mode", "1–1 of 1"}},
		{"/features/f1", admin, 200, "SSO &lt;script&gt;alert(1)&lt;/script&gt;", []string{"Every figure", "associated with", "Parameters"}},
		{"/features/f2?as-of=2025-01-01", admin, 200, "Offline Mode", nil},
		{"/reports", admin, 200, "Reports", []string{"/reports/winrate", "/reports/churn"}},
		{"/reports", sales, 200, "Reports", []string{"/reports/winrate", "/reports/reps"}},
		{"/reports/winrate", admin, 200, "Win rate", []string{"insufficient data", "Definitions", "n=", "Glossary", "&lt;script&gt;alert(1)&lt;/script&gt;"}},
		{"/reports/winrate?by=account.segment&where=" + url.QueryEscape("type!=renewal") + "&as-of=2025-12-31&min-n=5", admin, 200, "Win rate", []string{"enterprise", "smb", `value="account.segment"`, `value="type!=renewal"`}},
		{"/reports/halo?min-n=5", admin, 200, "Feature halo", nil},
		{"/reports/dealsize?by=rep.name", admin, 200, "", nil},
		{"/glossary", admin, 200, "Glossary", []string{"won / (won &#43; lost) &lt;script&gt;", "RevOps &#39; OR 1=1 --", `action="/glossary/win-rate"`, `name="csrf" value="csrf-token"`}},
		{"/glossary", sales, 200, "Glossary", nil},
		{"/import", admin, 200, "Import data", []string{`enctype="multipart/form-data"`, `name="csrf" value="csrf-token"`}},
		{"/users", admin, 200, "Users", []string{"sales@example.com", "User admin &lt;script&gt;", "Change role"}},
		{"/tokens", sales, 200, "API tokens", []string{"Your tokens"}},
		{"/tokens", admin, 200, "API tokens", []string{"All tokens"}},
		{"/audit", admin, 200, "Audit log", []string{"user.create"}},
		{"/audit?actor=test&action=user.&from=2020-01-01&to=2030-01-01", admin, 200, "Audit log", []string{"user.create"}},
		{"/signin?next=/deals", nil, 200, "Sign in to Tandem", []string{`name="next" value="/deals"`}},
		{"/signin?next=//evil.example", nil, 200, "Sign in to Tandem", []string{`name="next" value="/"`}},
		// Errors.
		{"/deals/nope", admin, 404, "Page not found", nil},
		{"/features/nope", admin, 404, "Page not found", nil},
		{"/reports/nope", admin, 404, "Page not found", nil},
		{"/reports/winrate?min-n=x", admin, 400, "Something in the request is not right", []string{"min-n"}},
		{"/reports/winrate?bogus=" + url.QueryEscape(xss), admin, 400, "Something in the request is not right", []string{"bogus"}},
		{"/reports/winrate?by=" + url.QueryEscape(xss), admin, 400, "Something in the request is not right", nil},
		{"/deals?amount=" + url.QueryEscape(sqt), admin, 200, "Deals", nil},
		{"/deals?limit=x", admin, 400, "Something in the request is not right", []string{"limit"}},
		{"/audit?from=yesterday", admin, 400, "Something in the request is not right", []string{"YYYY-MM-DD"}},
		{"/users", sales, 403, "Not allowed", []string{"your role (sales) cannot open this page; ask an admin"}},
		{"/reports/churn", sales, 403, "Not allowed", []string{"your role (sales) cannot open this page; ask an admin"}},
		{"/reports/reps", f.users[tandem.RoleProduct], 403, "Not allowed", nil},
		{"/import", f.users[tandem.RoleCS], 403, "Not allowed", nil},
		{"/audit", f.users[tandem.RoleProduct], 403, "Not allowed", nil},
		{"/import/0123456789abcdef", admin, 404, "Page not found", nil},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			w := f.do(t, tc.p, "GET", tc.path, reqBody{})
			body := w.Body.String()
			if w.Code != tc.status {
				t.Fatalf("status %d, want %d; body:\n%s", w.Code, tc.status, body)
			}
			if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
				t.Errorf("Content-Type %q", ct)
			}
			h1 := checkPage(t, body)
			if tc.h1 != "" && h1 != tc.h1 {
				t.Errorf("h1 %q, want %q", h1, tc.h1)
			}
			for _, s := range tc.has {
				if !strings.Contains(body, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			if tc.p != nil && tc.status == 200 {
				if !strings.Contains(body, `action="/signout"`) || !strings.Contains(body, `aria-label="Main"`) {
					t.Errorf("page lacks the navigation or sign-out form")
				}
			}
		})
	}
}

// TestNavigationFollowsRole checks that the navigation lists exactly the
// pages a role may open.
func TestNavigationFollowsRole(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true, true)
	for role, p := range f.users {
		body := f.do(t, p, "GET", "/tokens", reqBody{}).Body.String()
		for _, n := range navItems {
			has := strings.Contains(body, `<li><a href="`+n.Href+`"`)
			if has != p.Can(n.Perm) {
				t.Errorf("%s: nav link %s shown = %v, may open = %v", role, n.Href, has, p.Can(n.Perm))
			}
		}
	}
}

func TestStatic(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false, false)
	w := f.do(t, nil, "GET", "/static/app.css", reqBody{})
	if w.Code != 200 || w.Header().Get("Content-Type") != "text/css; charset=utf-8" || !strings.Contains(w.Body.String(), ".skip-link") {
		t.Fatalf("app.css: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	if cc := w.Header().Get("Cache-Control"); cc != "public, max-age=300" {
		t.Errorf("Cache-Control %q", cc)
	}
	u := f.site.staticURL("app.js")
	w = f.do(t, nil, "GET", u, reqBody{})
	if w.Code != 200 || w.Header().Get("Content-Type") != "text/javascript; charset=utf-8" || !strings.Contains(w.Header().Get("Cache-Control"), "immutable") {
		t.Errorf("%s: %d %q %q", u, w.Code, w.Header().Get("Content-Type"), w.Header().Get("Cache-Control"))
	}
	w = f.do(t, nil, "GET", "/static/favicon.svg", reqBody{})
	if w.Code != 200 || w.Header().Get("Content-Type") != "image/svg+xml" {
		t.Errorf("favicon: %d %q", w.Code, w.Header().Get("Content-Type"))
	}
	// Through the mux, traversal never serves a file.
	for _, p := range []string{"/static/..%2ftemplates%2flayout.html", "/static/%2e%2e", "/static/nope.css", "/static/app.css%00", "/static/.%2fapp.css", "/static/APP.CSS"} {
		w := f.do(t, nil, "GET", p, reqBody{})
		if w.Code == 200 {
			t.Errorf("%s: status 200", p)
		}
	}
	// The handler itself accepts only the embedded names.
	for _, name := range []string{"..", "../x", "../templates/layout.html", "%2e%2e", ".", "", "templates/layout.html", "static/app.css", "/app.css", "app.css/", `..\app.css`} {
		r := httptest.NewRequest("GET", "/static/x", nil)
		r.SetPathValue("file", name)
		w := httptest.NewRecorder()
		err := f.site.handleStatic(w, r)
		if tandem.ErrorCode(err) != tandem.ENOTFOUND || w.Body.Len() != 0 {
			t.Errorf("file %q: error %v, wrote %d bytes", name, err, w.Body.Len())
		}
	}
}

func TestSafeNext(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"": "/", "/": "/", "/deals?x=1": "/deals?x=1", "//evil.example": "/", "/\\evil.example": "/",
		"https://evil.example/": "/", "deals": "/", "/a\r\nSet-Cookie: x": "/", "javascript:alert(1)": "/",
		"/./%5Cevil.example/x": "/", "/./\\evil.example": "/", "/.//evil.example": "/", "/a/../..//evil.example": "/",
		"/reports/winrate?by=segment&as-of=2017-12-31": "/reports/winrate?by=segment&as-of=2017-12-31",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false, true)
	post := func(email, password, next string) *httptest.ResponseRecorder {
		return f.do(t, nil, "POST", "/signin", reqBody{form: url.Values{"email": {email}, "password": {password}, "next": {next}}})
	}
	w := post("sales@example.com", "wrong", "/deals")
	if w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "wrong e-mail or password") {
		t.Fatalf("wrong password: %d\n%s", w.Code, w.Body)
	}
	checkPage(t, w.Body.String())
	if !strings.Contains(w.Body.String(), `value="sales@example.com"`) {
		t.Errorf("the form forgot the e-mail")
	}
	w = post("sales@example.com", "correct horse battery", "/deals?outcome=won")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/deals?outcome=won" {
		t.Fatalf("sign in: %d %q", w.Code, w.Header().Get("Location"))
	}
	if !strings.Contains(w.Header().Get("Set-Cookie"), auth.CookieName+"=") {
		t.Errorf("no session cookie")
	}
	w = post("sales@example.com", "correct horse battery", "//evil.example/")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/" {
		t.Errorf("open redirect: %d %q", w.Code, w.Header().Get("Location"))
	}
	// Too many failures: 429 with the reason.
	var last *httptest.ResponseRecorder
	for range 11 {
		last = post("cs@example.com", "nope", "/")
	}
	if last.Code != http.StatusTooManyRequests || !strings.Contains(last.Body.String(), "too many failed sign-ins") {
		t.Errorf("rate limit: %d", last.Code)
	}
	// Sign-out clears the cookie and goes to the sign-in page.
	w = f.do(t, f.users[tandem.RoleSales], "POST", "/signout", reqBody{form: url.Values{}})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/signin" {
		t.Errorf("sign out: %d %q", w.Code, w.Header().Get("Location"))
	}
}

func TestSetup(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false, false)
	w := f.do(t, nil, "GET", "/setup", reqBody{})
	if w.Code != 200 || checkPage(t, w.Body.String()) != "Set up Tandem" {
		t.Fatalf("setup form: %d", w.Code)
	}
	form := url.Values{"email": {"ann@example.com"}, "name": {"Ann " + xss}, "password": {"correct horse battery"}, "password2": {"other"}}
	w = f.do(t, nil, "POST", "/setup", reqBody{form: form})
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "passwords differ") || !strings.Contains(w.Body.String(), "Ann &lt;script&gt;") {
		t.Fatalf("mismatch: %d", w.Code)
	}
	form.Set("password2", "correct horse battery")
	w = f.do(t, nil, "POST", "/setup", reqBody{form: form})
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/" || !strings.Contains(w.Header().Get("Set-Cookie"), auth.CookieName+"=") {
		t.Fatalf("setup: %d %q %q\n%s", w.Code, w.Header().Get("Location"), w.Header().Get("Set-Cookie"), w.Body)
	}
	us, err := f.svc.Users(context.Background())
	if err != nil || len(us) != 1 || us[0].Role != tandem.RoleAdmin {
		t.Fatalf("users after setup: %v %v", us, err)
	}
	for _, m := range []string{"GET", "POST"} {
		w = f.do(t, nil, m, "/setup", reqBody{form: form})
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/signin" {
			t.Errorf("%s /setup after setup: %d %q", m, w.Code, w.Header().Get("Location"))
		}
	}
}

func TestForms(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true, true)
	admin := f.users[tandem.RoleAdmin]
	post := func(p *auth.Principal, path string, form url.Values) *httptest.ResponseRecorder {
		return f.do(t, p, "POST", path, reqBody{form: form})
	}
	expect := func(w *httptest.ResponseRecorder, status int, location string) {
		t.Helper()
		if w.Code != status || (location != "" && w.Header().Get("Location") != location) {
			t.Fatalf("status %d location %q, want %d %q\n%s", w.Code, w.Header().Get("Location"), status, location, w.Body)
		}
	}

	// Glossary: create, invalid, edit, forbidden.
	w := post(admin, "/glossary", url.Values{"name": {"Qualified lead " + xss}, "definition": {sqt}, "owner": {"RevOps"}})
	expect(w, http.StatusSeeOther, "")
	if !strings.HasPrefix(w.Header().Get("Location"), "/glossary?done=term-saved#term-") {
		t.Errorf("location %q", w.Header().Get("Location"))
	}
	expect(post(admin, "/glossary", url.Values{"name": {""}}), http.StatusBadRequest, "")
	expect(post(admin, "/glossary/win-rate", url.Values{"name": {"win rate"}, "definition": {"won over closed"}}), http.StatusSeeOther, "/glossary?done=term-saved#term-win-rate")
	expect(post(admin, "/glossary/nope", url.Values{"name": {"x"}}), http.StatusNotFound, "")
	body := f.do(t, admin, "GET", "/glossary?done=term-saved", reqBody{}).Body.String()
	if !strings.Contains(body, "The term is saved.") || !strings.Contains(body, "Qualified lead &lt;script&gt;") || !strings.Contains(body, "won over closed") {
		t.Errorf("glossary after edits lacks the flash or the terms")
	}
	expect(post(f.users[tandem.RoleSales], "/glossary", url.Values{"name": {"x"}}), http.StatusForbidden, "")

	// Users: create, duplicate, role change, last admin, disable/enable, password.
	expect(post(admin, "/users", url.Values{"email": {"new@example.com"}, "name": {"New"}, "role": {"finance"}, "password": {"correct horse battery"}}), http.StatusSeeOther, "/users?done=user-created")
	w = post(admin, "/users", url.Values{"email": {"new@example.com"}, "name": {"New"}, "role": {"finance"}, "password": {"correct horse battery"}})
	expect(w, http.StatusConflict, "")
	if !strings.Contains(w.Body.String(), `value="new@example.com"`) {
		t.Errorf("the create form forgot its values")
	}
	expect(post(admin, "/users", url.Values{"email": {"x@example.com"}, "name": {"X"}, "role": {"boss"}, "password": {"correct horse battery"}}), http.StatusBadRequest, "")
	sales := f.users[tandem.RoleSales].User.ID
	expect(post(admin, "/users/"+sales, url.Values{"action": {"role"}, "role": {"cs"}}), http.StatusSeeOther, "/users?done=user-role")
	expect(post(admin, "/users/"+sales, url.Values{"action": {"disable"}}), http.StatusSeeOther, "/users?done=user-disabled")
	expect(post(admin, "/users/"+sales, url.Values{"action": {"enable"}}), http.StatusSeeOther, "/users?done=user-enabled")
	expect(post(admin, "/users/"+sales, url.Values{"action": {"password"}, "password": {"another good passphrase"}}), http.StatusSeeOther, "/users?done=user-password")
	expect(post(admin, "/users/"+admin.User.ID, url.Values{"action": {"disable"}}), http.StatusConflict, "")
	expect(post(admin, "/users/"+sales, url.Values{"action": {"explode"}}), http.StatusBadRequest, "")
	expect(post(admin, "/users/nope", url.Values{"action": {"enable"}}), http.StatusNotFound, "")

	// Tokens: the secret is shown once, then only its prefix.
	fin := f.users[tandem.RoleFinance]
	w = post(fin, "/tokens", url.Values{"name": {"nightly " + xss}, "days": {"30"}})
	expect(w, http.StatusCreated, "")
	secret := regexp.MustCompile(`value="(tdm_[^"]+)"`).FindStringSubmatch(w.Body.String())
	if secret == nil || !strings.Contains(w.Body.String(), "only time") {
		t.Fatalf("no secret on the page:\n%s", w.Body)
	}
	checkPage(t, w.Body.String())
	body = f.do(t, fin, "GET", "/tokens", reqBody{}).Body.String()
	if strings.Contains(body, secret[1]) || !strings.Contains(body, "nightly &lt;script&gt;") {
		t.Errorf("token list shows the secret or lacks the token")
	}
	expect(post(fin, "/tokens", url.Values{"name": {"x"}, "days": {"-1"}}), http.StatusBadRequest, "")
	ts, err := f.svc.Tokens(context.Background(), fin.User.ID)
	if err != nil || len(ts) != 1 {
		t.Fatalf("tokens: %v %v", ts, err)
	}
	expect(post(f.users[tandem.RoleCS], "/tokens/"+ts[0].ID+"/revoke", url.Values{}), http.StatusNotFound, "")
	expect(post(fin, "/tokens/"+ts[0].ID+"/revoke", url.Values{}), http.StatusSeeOther, "/tokens?done=token-revoked")
	body = f.do(t, admin, "GET", "/tokens", reqBody{}).Body.String()
	if !strings.Contains(body, "revoked") || !strings.Contains(body, "finance@example.com") {
		t.Errorf("admin's token list lacks the revoked token and its owner")
	}

	// The audit log shows the changes as a diff.
	body = f.do(t, admin, "GET", "/audit?action=user.", reqBody{}).Body.String()
	checkPage(t, body)
	if !strings.Contains(body, `<tr class="changed"><th scope="row">role</th><td><del>sales</del></td><td><ins>cs</ins></td></tr>`) {
		t.Errorf("audit lacks the role change diff:\n%s", body)
	}
}

func TestImport(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true, true)
	admin := f.users[tandem.RoleAdmin]
	upload := func(name, content, entity string) *httptest.ResponseRecorder {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		mw.WriteField("csrf", "csrf-token")
		mw.WriteField("entity", entity)
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write([]byte(content))
		mw.Close()
		return f.do(t, admin, "POST", "/import", reqBody{raw: b.Bytes(), ctype: mw.FormDataContentType()})
	}
	var nb bytes.Buffer
	nw := multipart.NewWriter(&nb)
	nw.WriteField("entity", "accounts")
	nw.Close()
	w := f.do(t, admin, "POST", "/import", reqBody{raw: nb.Bytes(), ctype: nw.FormDataContentType()})
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "choose a CSV file") {
		t.Errorf("no file: %d", w.Code)
	}
	csv := "Account ID,Company,segment\nx1,\"" + xss + "\",smb\nx2,Beta,\n,NoID,smb\n"
	w = upload(xss+".csv", csv, "accounts")
	if w.Code != http.StatusSeeOther || !strings.HasPrefix(w.Header().Get("Location"), "/import/") {
		t.Fatalf("upload: %d %q\n%s", w.Code, w.Header().Get("Location"), w.Body)
	}
	loc, _ := url.Parse(w.Header().Get("Location"))
	if loc.Query().Get("entity") != "accounts" {
		t.Errorf("upload location %s lacks the entity", loc)
	}
	id := strings.TrimPrefix(loc.Path, "/import/")

	// The first preview cannot find the id column; the map fixes it, and
	// the row without id is listed.
	w = f.do(t, admin, "GET", loc.String(), reqBody{})
	if w.Code != 200 || !strings.Contains(w.Body.String(), "required column") || strings.Contains(w.Body.String(), `action="/import/`+id+`" method`) {
		t.Fatalf("first preview: %d\n%s", w.Code, w.Body)
	}
	checkPage(t, w.Body.String())
	q := url.Values{"entity": {"accounts"}, "mapfor": {"accounts"}, "map.id": {"Account ID"}, "map.name": {"Company"}}
	w = f.do(t, admin, "GET", "/import/"+id+"?"+q.Encode(), reqBody{})
	body := w.Body.String()
	checkPage(t, body)
	for _, want := range []string{`<option value="Account ID" selected>`, `<option value="Company" selected>`, "required column id is empty", "&lt;script&gt;alert(1)&lt;/script&gt;", "Fix the problems above"} {
		if !strings.Contains(body, want) {
			t.Errorf("preview lacks %q", want)
		}
	}
	// Confirming a file with bad rows writes nothing and lists them.
	w = f.do(t, admin, "POST", "/import/"+id, reqBody{form: q})
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "nothing was imported") {
		t.Fatalf("bad import: %d\n%s", w.Code, w.Body)
	}
	if _, err := f.store.Get(context.Background(), "accounts", "x2"); tandem.ErrorCode(err) != tandem.ENOTFOUND {
		t.Errorf("a failed import wrote x2: %v", err)
	}
	// A good file imports, and its result page counts the rows.
	w = upload("good.csv", "Account ID,Company\nx1,\""+xss+"\"\nx2,Beta\n", "")
	loc, _ = url.Parse(w.Header().Get("Location"))
	id = strings.TrimPrefix(loc.Path, "/import/")
	q.Set("entity", "accounts")
	w = f.do(t, admin, "GET", "/import/"+id+"?"+q.Encode(), reqBody{})
	if !strings.Contains(w.Body.String(), "Import 2 rows of accounts") {
		t.Fatalf("good preview lacks the confirm button:\n%s", w.Body)
	}
	w = f.do(t, admin, "POST", "/import/"+id, reqBody{form: q})
	if w.Code != 200 || checkPage(t, w.Body.String()) != "Imported good.csv" || !strings.Contains(w.Body.String(), "Loaded") {
		t.Fatalf("import: %d\n%s", w.Code, w.Body)
	}
	if _, err := f.store.Get(context.Background(), "accounts", "x2"); err != nil {
		t.Errorf("x2 not imported: %v", err)
	}
	// Another user cannot see the staged file.
	w = upload("other.csv", "id,name\nx3,C\n", "")
	loc, _ = url.Parse(w.Header().Get("Location"))
	if w := f.do(t, f.users[tandem.RoleRevOps], "GET", loc.Path, reqBody{}); w.Code != http.StatusNotFound {
		t.Errorf("another user's upload: %d", w.Code)
	}
}

func TestAuditDiff(t *testing.T) {
	t.Parallel()
	got := auditDiff([]byte(`{"name":"A","role":"sales","n":1}`), []byte(`{"name":"A","role":"cs","extra":[1,2]}`))
	want := []diffRow{{Key: "extra", After: "[1,2]", Changed: true}, {Key: "n", Before: "1", Changed: true},
		{Key: "name", Before: "A", After: "A"}, {Key: "role", Before: "sales", After: "cs", Changed: true}}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d: %v, want %v", i, got[i], want[i])
		}
	}
	if d := auditDiff([]byte("null"), []byte("null")); len(d) != 0 {
		t.Errorf("null diff: %v", d)
	}
	if d := auditDiff([]byte(`"x"`), []byte(`[1]`)); len(d) != 1 || d[0].Before != "x" || d[0].After != "[1]" || !d[0].Changed {
		t.Errorf("scalar diff: %v", d)
	}
}

func TestTimeline(t *testing.T) {
	t.Parallel()
	stages := []service.StageEntry{{Stage: "a", Days: 10}, {Stage: "b", Days: 0}, {Stage: "c", Days: 30}}
	segs := timeline(stages, "USD")
	if len(segs) != 3 {
		t.Fatal(segs)
	}
	end := segs[2].X + segs[2].W
	if end > 1000 || end < 990 || segs[1].W < 9 || segs[2].W <= segs[0].W {
		t.Errorf("layout %+v", segs)
	}
	if timeline(nil, "") != nil {
		t.Error("empty timeline")
	}
}

// TestRenderFailureWritesNothing checks that a handler error leaves the
// response untouched, so Site.Error can answer.
func TestRenderFailureWritesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t, false, false)
	w := httptest.NewRecorder()
	err := f.site.render(w, 200, "no-such-page", &view{})
	if err == nil || w.Body.Len() != 0 || len(w.Header()) != 0 {
		t.Errorf("render of a missing page: %v, wrote %d bytes", err, w.Body.Len())
	}
	// Error pages escape what they show and use the error's status.
	r := httptest.NewRequest("GET", "/x", nil)
	w = httptest.NewRecorder()
	f.site.Error(w, r, tandem.Errorf(tandem.EINVALID, "bad %s", xss))
	if w.Code != 400 || strings.Contains(w.Body.String(), xss) || !strings.Contains(w.Body.String(), "bad &lt;script&gt;") {
		t.Errorf("error page: %d\n%s", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	f.site.Error(w, r, context.DeadlineExceeded)
	if w.Code != 500 || strings.Contains(w.Body.String(), "deadline") {
		t.Errorf("internal error page: %d", w.Code)
	}
	checkPage(t, w.Body.String())
}
