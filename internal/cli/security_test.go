package cli_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/httpapi"
	"github.com/tandemhq/tandem/internal/testdb"
)

// pathParam matches a ServeMux wildcard.
var pathParam = regexp.MustCompile(`\{([a-z]+)(\.\.\.)?\}`)

// expansion is a route with its wildcards filled in and the permissions a
// request to it needs.
type expansion struct {
	route httpapi.Route
	path  string
	perms []auth.Perm
}

// expand fills a route's wildcards with real values: every entity for
// {entity}, every report for {name}, a stored id (or a missing one for
// writes that would change shared state) for {id}.
func (st *stack) expand(rt httpapi.Route) []expansion {
	base := expansion{route: rt, path: strings.Replace(rt.Path, "{$}", "", 1), perms: []auth.Perm{rt.Perm}}
	out := []expansion{base}
	for _, m := range pathParam.FindAllStringSubmatch(rt.Path, -1) {
		var next []expansion
		for _, x := range out {
			for _, v := range st.values(rt, m[1]) {
				y := x
				y.path = strings.Replace(x.path, m[0], url.PathEscape(v), 1)
				y.perms = slices.Clone(x.perms)
				switch {
				case m[1] == "entity":
					y.perms = append(y.perms, auth.EntityPerm(v))
				case m[1] == "name" && strings.Contains(rt.Path, "/reports/"):
					y.perms = append(y.perms, auth.ReportPerm(v))
				}
				next = append(next, y)
			}
		}
		out = next
	}
	return out
}

// values lists what a wildcard of a route is tried with.
func (st *stack) values(rt httpapi.Route, param string) []string {
	switch param {
	case "entity":
		var names []string
		for _, e := range tandem.NewCatalog().Entities() {
			names = append(names, e.Name)
		}
		return names
	case "name":
		var names []string
		for _, r := range st.svc.Reports() {
			names = append(names, r.Name)
		}
		return names
	case "id":
		if rt.Method != http.MethodGet {
			return []string{"0000000000000000"} // no such row: the matrix must not change state
		}
		for _, e := range []string{"deals", "accounts", "features", "glossary"} {
			if strings.Contains(rt.Path, "/"+e+"/") {
				return []string{st.ids[e]}
			}
		}
		if strings.Contains(rt.Path, "{entity}") {
			return []string{"@entity"}
		}
		return []string{"0000000000000000"}
	}
	return []string{"app.css"}
}

// TestRBACMatrix tries every route, with every wildcard value, as every
// role and as nobody: a role without the route's permissions is refused
// with 403, nobody gets 401 (API) or the sign-in page (pages), and a role
// with them is never refused and never meets a server error.
func TestRBACMatrix(t *testing.T) {
	for _, dialect := range testdb.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			st := newStack(t, dialect, 400)
			tried := 0
			for _, rt := range st.routes {
				for _, x := range st.expand(rt) {
					if strings.Contains(x.path, "@entity") {
						// {entity}/{id}: the id of that entity, or one that
						// is not there when the demo has no rows of it
						// (imported quotes).
						ent := strings.Split(strings.TrimPrefix(x.path, "/api/v1/"), "/")[0]
						id := st.ids[ent]
						if id == "" {
							id = "0000000000000000"
						}
						x.path = strings.Replace(x.path, "%40entity", url.PathEscape(id), 1)
						x.path = strings.Replace(x.path, "@entity", url.PathEscape(id), 1)
					}
					st.checkRoute(t, x)
					tried++
				}
			}
			if tried < 100 {
				t.Errorf("only %d route expansions tried", tried)
			}
		})
	}
}

// checkRoute requests one expanded route as nobody and as every role.
func (st *stack) checkRoute(t *testing.T, x expansion) {
	t.Helper()
	rt := x.route
	body, ct := "", ""
	if rt.Method != http.MethodGet {
		body, ct = "{}", "application/json"
		if rt.Page {
			body, ct = "", "application/x-www-form-urlencoded"
		}
	}
	name := rt.Method + " " + x.path
	public := rt.Perm == auth.PermPublic
	anon := st.do(t, nil, rt.Method, x.path, "", ct, body)
	switch {
	case public && rt.Method == http.MethodGet:
		if anon.status == 401 || anon.status == 403 || anon.status >= 500 {
			t.Errorf("%s as nobody: %d on a public route", name, anon.status)
		}
	case public:
		// Public forms without a CSRF token are refused; the CSRF test
		// covers them.
	case rt.Page && rt.Method == http.MethodGet:
		if loc := anon.header.Get("Location"); anon.status != http.StatusSeeOther || !strings.HasPrefix(loc, "/signin") {
			t.Errorf("%s as nobody: %d Location %q, want 303 to /signin", name, anon.status, loc)
		}
	default:
		if anon.status != http.StatusUnauthorized {
			t.Errorf("%s as nobody: %d, want 401", name, anon.status)
		}
	}
	for _, role := range tandem.Roles() {
		allowed := true
		for _, p := range x.perms {
			allowed = allowed && auth.Can(role, p)
		}
		r := st.do(t, nil, rt.Method, x.path, st.tokens[role], ct, body)
		switch {
		case !allowed && r.status != http.StatusForbidden:
			t.Errorf("%s as %s: %d, want 403 (needs %v)", name, role, r.status, x.perms)
		case public && r.status != http.StatusForbidden:
			// Sign-in answers 401 to wrong credentials: that is its job.
		case allowed && (r.status == http.StatusUnauthorized || r.status == http.StatusForbidden):
			t.Errorf("%s as %s: %d, want access (holds %v): %.200s", name, role, r.status, x.perms, r.body)
		case r.status >= 500:
			t.Errorf("%s as %s: server error %d: %.200s", name, role, r.status, r.body)
		}
	}
}

// TestCSRF checks that state-changing requests made with a session cookie
// need the session's CSRF token, that sign-in forms need the pre-session
// token, and that cross-origin requests are refused.
func TestCSRF(t *testing.T) {
	st := newStack(t, "sqlite", 200)
	c, csrf := st.browserSession(t, tandem.RoleRevOps)
	form := func(token string) string {
		v := url.Values{"name": {"CSRF test term"}, "definition": {"a lead with a budget"}}
		if token != "" {
			v.Set("csrf", token)
		}
		return v.Encode()
	}
	const formCT = "application/x-www-form-urlencoded"
	for _, tt := range []struct {
		name, token string
	}{{"missing", ""}, {"wrong", strings.Repeat("x", 43)}, {"another session's", auth.NewSecret()}} {
		if r := st.do(t, c, http.MethodPost, "/glossary", "", formCT, form(tt.token)); r.status != http.StatusForbidden {
			t.Errorf("POST /glossary with %s CSRF token: %d, want 403", tt.name, r.status)
		}
	}
	if r := st.do(t, c, http.MethodPost, "/glossary", "", formCT, form(csrf)); r.status != http.StatusSeeOther && r.status != http.StatusOK {
		t.Errorf("POST /glossary with the CSRF token: %d: %.300s", r.status, r.body)
	}
	terms, err := st.svc.Glossary(t.Context())
	if err != nil {
		t.Fatalf("glossary after create: %v", err)
	}
	id := ""
	for _, term := range terms {
		if term.Name == "CSRF test term" {
			id = term.ID
		}
	}
	if id == "" {
		t.Fatalf("the form did not create the term: %v", terms)
	}
	put := `{"name":"CSRF test term","definition":"a lead with budget and authority"}`
	if r := st.do(t, c, http.MethodPut, "/api/v1/glossary/"+id, "", "application/json", put); r.status != http.StatusForbidden {
		t.Errorf("API PUT with a session and no X-CSRF-Token: %d, want 403", r.status)
	}
	if r := st.do(t, c, http.MethodPut, "/api/v1/glossary/"+id, "", "application/json", put, "X-CSRF-Token", csrf); r.status != http.StatusOK {
		t.Errorf("API PUT with the session's X-CSRF-Token: %d: %s", r.status, r.body)
	}
	if r := st.do(t, nil, http.MethodPut, "/api/v1/glossary/"+id, st.tokens[tandem.RoleRevOps], "application/json", put, "Origin", "https://evil.example"); r.status != http.StatusForbidden {
		t.Errorf("cross-origin PUT: %d, want 403", r.status)
	}
	// The sign-in form needs its pre-session token too (login CSRF).
	anon := noRedirect(nil)
	signin := url.Values{"email": {"revops@example.com"}, "password": {stackPassword}}.Encode()
	if r := st.do(t, anon, http.MethodPost, "/signin", "", formCT, signin); r.status != http.StatusForbidden {
		t.Errorf("POST /signin without a CSRF token: %d, want 403", r.status)
	}
}

// TestSessions checks cookie flags, rotation at sign-in, sign-out, the
// sign-in rate limit and that failures reach the audit log.
func TestSessions(t *testing.T) {
	st := newStack(t, "sqlite", 200)
	c, _ := st.browserSession(t, tandem.RoleSales)
	u, _ := url.Parse(st.srv.URL)
	first := cookieValue(c, u, auth.CookieName)
	if first == "" {
		t.Fatal("no session cookie after sign-in")
	}
	// Signing in again from the same browser replaces the session; the
	// response's cookie shows the flags.
	home := st.do(t, nil, http.MethodGet, "/", "", "", "", "Cookie", auth.CookieName+"="+first)
	m := csrfField.FindStringSubmatch(home.body)
	if m == nil {
		t.Fatalf("no CSRF field on the home page: %d", home.status)
	}
	form := url.Values{"email": {"sales@example.com"}, "password": {stackPassword}, "csrf": {m[1]}}
	req, _ := http.NewRequest(http.MethodPost, st.srv.URL+"/signin", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Cookie", auth.CookieName+"="+first)
	resp, err := noRedirect(nil).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("second sign-in: %d", resp.StatusCode)
	}
	var set string
	for _, sc := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(sc, auth.CookieName+"=") {
			set = sc
		}
	}
	for _, flag := range []string{"HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(set, flag) {
			t.Errorf("session cookie %q lacks %s", set, flag)
		}
	}
	second := strings.TrimPrefix(strings.Split(set, ";")[0], auth.CookieName+"=")
	if second == "" || second == first {
		t.Errorf("sign-in did not rotate the session: %q then %q", first, second)
	}
	// The old session is gone.
	old := st.do(t, nil, http.MethodGet, "/api/v1/me", "", "", "", "Cookie", auth.CookieName+"="+first)
	if old.status != http.StatusUnauthorized {
		t.Errorf("the session replaced at sign-in still works: %d", old.status)
	}
	// Sign-out ends the session.
	now := st.do(t, nil, http.MethodGet, "/api/v1/me", "", "", "", "Cookie", auth.CookieName+"="+second)
	if now.status != http.StatusOK {
		t.Fatalf("new session: %d %s", now.status, now.body)
	}
	var me struct {
		CSRF string `json:"csrf"`
	}
	json.Unmarshal([]byte(now.body), &me)
	out := st.do(t, nil, http.MethodDelete, "/api/v1/session", "", "", "", "Cookie", auth.CookieName+"="+second, "X-CSRF-Token", me.CSRF)
	if out.status != http.StatusNoContent {
		t.Errorf("sign out: %d %s", out.status, out.body)
	}
	if r := st.do(t, nil, http.MethodGet, "/api/v1/me", "", "", "", "Cookie", auth.CookieName+"="+second); r.status != http.StatusUnauthorized {
		t.Errorf("after sign-out: %d", r.status)
	}
	// Ten wrong passwords, then the limit.
	bad := `{"email":"finance@example.com","password":"not the password at all"}`
	for i := range 10 {
		if r := st.do(t, nil, http.MethodPost, "/api/v1/session", "", "application/json", bad); r.status != http.StatusUnauthorized {
			t.Fatalf("wrong password #%d: %d %s", i+1, r.status, r.body)
		}
	}
	good := fmt.Sprintf(`{"email":"finance@example.com","password":%q}`, stackPassword)
	if r := st.do(t, nil, http.MethodPost, "/api/v1/session", "", "application/json", good); r.status != http.StatusTooManyRequests {
		t.Errorf("sign-in after 10 failures: %d, want 429: %s", r.status, r.body)
	}
	entries, total, err := st.svc.Audit(t.Context(), tandem.AuditQuery{Action: "signin.fail"})
	if err != nil || total < 10 {
		t.Errorf("audit has %d sign-in failures (%v), want 10", total, err)
	}
	for _, e := range entries {
		if strings.Contains(string(e.After), "not the password") {
			t.Errorf("the audit log holds a tried password: %s", e.After)
		}
	}
}

// cookieValue returns a cookie's value in a client's jar.
func cookieValue(c *http.Client, u *url.URL, name string) string {
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// injections are strings that would do harm if a page or query used them
// as markup or SQL.
var injections = []string{
	`<script>alert(1)</script>`,
	`"><img src=x onerror=alert(1)>`,
	`' OR '1'='1`,
	`'; DROP TABLE deals; --`,
	`{{.}}`,
}

// TestInjectionInert stores injection strings through the API and an
// import, passes them in every filter, and checks that the store keeps them
// verbatim, queries match them literally, and pages show them as text.
func TestInjectionInert(t *testing.T) {
	for _, dialect := range testdb.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			st := newStack(t, dialect, 200)
			revops := st.tokens[tandem.RoleRevOps]
			deals, err := st.store.Count(t.Context(), "deals")
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range injections {
				body, _ := json.Marshal(map[string]string{"name": fmt.Sprintf("term %d %s", i, s), "definition": s, "owner": s})
				r := st.do(t, nil, http.MethodPost, "/api/v1/glossary", revops, "application/json", string(body))
				if r.status != http.StatusCreated {
					t.Fatalf("create term %q: %d %s", s, r.status, r.body)
				}
				var term struct{ ID, Definition string }
				json.Unmarshal([]byte(r.body), &term)
				if term.Definition != s {
					t.Errorf("definition stored as %q, want %q", term.Definition, s)
				}
			}
			// An account imported with a hostile name.
			csv := "id,name,segment\nevil1,\"" + strings.ReplaceAll(injections[1], `"`, `""`) + "\",\"" + injections[2] + "\"\n"
			up := st.do(t, nil, http.MethodPost, "/api/v1/uploads?name=evil.csv", revops, "text/csv", csv)
			var staged struct{ ID string }
			json.Unmarshal([]byte(up.body), &staged)
			if up.status != http.StatusCreated || staged.ID == "" {
				t.Fatalf("upload: %d %s", up.status, up.body)
			}
			if r := st.do(t, nil, http.MethodPost, "/api/v1/uploads/"+staged.ID+"/import", revops, "application/json", `{"entity":"accounts"}`); r.status != http.StatusOK {
				t.Fatalf("import: %d %s", r.status, r.body)
			}
			if n, _ := st.store.Count(t.Context(), "deals"); n != deals {
				t.Errorf("deals: %d, was %d", n, deals)
			}
			pages := []string{"/glossary", "/accounts/evil1", "/accounts?sort=name"}
			for _, s := range injections {
				q := url.QueryEscape(s)
				pages = append(pages, "/deals?stage="+q, "/accounts?segment="+q, "/reports/winrate?where="+url.QueryEscape("stage="+s),
					"/audit?actor="+q)
				r := st.do(t, nil, http.MethodGet, "/api/v1/deals?stage="+q, revops, "", "")
				if r.status != http.StatusOK || !strings.Contains(r.body, `"total":0`) {
					t.Errorf("deals filtered by stage %q: %d %.200s", s, r.status, r.body)
				}
				r = st.do(t, nil, http.MethodGet, "/api/v1/accounts?segment="+q, revops, "", "")
				want := `"total":0`
				if s == injections[2] {
					want = `"total":1`
				}
				if r.status != http.StatusOK || !strings.Contains(r.body, want) {
					t.Errorf("accounts filtered by segment %q: %d %.200s, want %s", s, r.status, r.body, want)
				}
			}
			for _, p := range pages {
				r := st.do(t, nil, http.MethodGet, p, revops, "", "")
				if r.status >= 500 {
					t.Errorf("GET %s: %d", p, r.status)
				}
				for _, raw := range []string{"<script>alert", "<img src=x", "onerror=alert(1)>"} {
					if strings.Contains(r.body, raw) {
						t.Errorf("GET %s shows %q unescaped", p, raw)
					}
				}
			}
			g := st.do(t, nil, http.MethodGet, "/glossary", revops, "", "")
			if !strings.Contains(g.body, "&lt;script&gt;alert(1)&lt;/script&gt;") {
				t.Errorf("the glossary page does not show the stored script as text")
			}
		})
	}
}

// TestBadBodies checks the body limits and malformed bodies: every one a
// 4xx with a clear message, nothing changed.
func TestBadBodies(t *testing.T) {
	st := newStack(t, "sqlite", 200)
	revops := st.tokens[tandem.RoleRevOps]
	big := `{"name":"x","definition":"` + strings.Repeat("a", 2<<20) + `"}`
	tests := []struct {
		name, method, path, ct, body string
		status                       int
		code, inMessage              string
	}{
		{"oversized JSON", http.MethodPost, "/api/v1/glossary", "application/json", big, 413, tandem.ETOOLARGE, "limit"},
		{"malformed JSON", http.MethodPost, "/api/v1/glossary", "application/json", `{"name":`, 400, tandem.EINVALID, "malformed JSON"},
		{"unknown field", http.MethodPost, "/api/v1/glossary", "application/json", `{"name":"x","colour":"red"}`, 400, tandem.EINVALID, "colour"},
		{"two values", http.MethodPost, "/api/v1/glossary", "application/json", `{"name":"x"}{"name":"y"}`, 400, tandem.EINVALID, "after the JSON value"},
		{"not JSON", http.MethodPost, "/api/v1/glossary", "text/plain", `name=x`, 400, tandem.EINVALID, "application/json"},
		{"wrong types", http.MethodPost, "/api/v1/users", "application/json", `{"email":5}`, 400, tandem.EINVALID, "email"},
		{"empty upload", http.MethodPost, "/api/v1/uploads?name=a.csv", "text/csv", ``, 400, tandem.EINVALID, "empty"},
		{"binary upload", http.MethodPost, "/api/v1/uploads?name=a.csv", "text/csv", "\x00\x01\x02\"unterminated", 400, tandem.EINVALID, "a.csv"},
	}
	for _, tt := range tests {
		token := revops
		if strings.Contains(tt.path, "users") {
			token = st.tokens[tandem.RoleAdmin]
		}
		r := st.do(t, nil, tt.method, tt.path, token, tt.ct, tt.body)
		var e struct{ Code, Message string }
		if err := json.Unmarshal([]byte(r.body), &e); err != nil || r.status != tt.status || e.Code != tt.code || !strings.Contains(e.Message, tt.inMessage) {
			t.Errorf("%s: %d %.200s, want %d %s mentioning %q", tt.name, r.status, r.body, tt.status, tt.code, tt.inMessage)
		}
	}
	// Uploads have their own, larger limit: a 2 MB CSV is accepted.
	var csv strings.Builder
	csv.WriteString("id,name\n")
	for i := 0; csv.Len() < 2<<20; i++ {
		fmt.Fprintf(&csv, "acct-%d,Account number %d with a long name\n", i, i)
	}
	if r := st.do(t, nil, http.MethodPost, "/api/v1/uploads?name=big.csv", revops, "text/csv", csv.String()); r.status != http.StatusCreated {
		t.Errorf("2 MB upload: %d %.200s", r.status, r.body)
	}
	// An oversized form on a page is refused too.
	c, csrf := st.browserSession(t, tandem.RoleRevOps)
	form := url.Values{"csrf": {csrf}, "name": {"x"}, "definition": {strings.Repeat("a", 2<<20)}}.Encode()
	if r := st.do(t, c, http.MethodPost, "/glossary", "", "application/x-www-form-urlencoded", form); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized form: %d, want 413", r.status)
	}
}

// TestStaticTraversal checks that static paths cannot reach other files.
func TestStaticTraversal(t *testing.T) {
	st := newStack(t, "sqlite", 100)
	for _, p := range []string{"/static/../go.mod", "/static/%2e%2e/go.mod", "/static/..%2fgo.mod", "/static/%2e%2e%2f%2e%2e%2fgo.mod",
		"/static/....//go.mod", "/static/templates/layout.html", "/static/", "/static/.%2e/cli.go", "/static//etc/passwd"} {
		r := st.do(t, nil, http.MethodGet, p, "", "", "")
		if r.status == http.StatusOK || strings.Contains(r.body, "module github.com") || strings.Contains(r.body, "root:") || strings.Contains(r.body, "{{") {
			t.Errorf("GET %s: %d %.100s", p, r.status, r.body)
		}
	}
}

// TestSecurityHeaders checks the headers on a page and an API answer.
func TestSecurityHeaders(t *testing.T) {
	st := newStack(t, "sqlite", 100)
	for _, p := range []string{"/signin", "/api/v1/me", "/healthz"} {
		r := st.do(t, nil, http.MethodGet, p, st.tokens[tandem.RoleSales], "", "")
		for h, want := range map[string]string{
			"Content-Security-Policy": "script-src 'self'",
			"X-Content-Type-Options":  "nosniff",
			"X-Frame-Options":         "DENY",
			"Referrer-Policy":         "same-origin",
		} {
			if !strings.Contains(r.header.Get(h), want) {
				t.Errorf("GET %s: %s = %q, want %q", p, h, r.header.Get(h), want)
			}
		}
		if strings.Contains(r.header.Get("Content-Security-Policy"), "unsafe-inline") {
			t.Errorf("GET %s: CSP allows inline code", p)
		}
	}
}

// TestReportFieldPermissions checks that report parameters cannot reach
// data a role may not read: reports by rep need people:read, the ICP
// report and adoptions need customers:read, and the halo leaves out
// customer figures for roles without it.
func TestReportFieldPermissions(t *testing.T) {
	st := newStack(t, "sqlite", 400)
	feature := st.ids["features"]
	tests := []struct {
		role   tandem.Role
		path   string
		status int
	}{
		{tandem.RoleProduct, "/api/v1/reports/winrate?by=rep.name", 403},
		{tandem.RoleCS, "/api/v1/reports/cycle?where=rep_id%3Dx", 403},
		{tandem.RoleProduct, "/api/v1/reports/dealsize?adjust=rep.team", 403},
		{tandem.RoleSales, "/api/v1/reports/winrate?by=rep.name", 200},
		{tandem.RoleProduct, "/api/v1/reports/winrate?by=account.segment", 200},
		{tandem.RoleSales, "/api/v1/reports/icp", 403},
		{tandem.RoleFinance, "/api/v1/reports/icp", 200},
		{tandem.RoleSales, "/api/v1/adoptions", 403},
		{tandem.RoleProduct, "/reports/winrate?by=rep.name", 403},
	}
	for _, tt := range tests {
		if r := st.do(t, nil, http.MethodGet, tt.path, st.tokens[tt.role], "", ""); r.status != tt.status {
			t.Errorf("GET %s as %s: %d, want %d: %.200s", tt.path, tt.role, r.status, tt.status, r.body)
		}
	}
	for role, wantCustomer := range map[tandem.Role]bool{tandem.RoleSales: false, tandem.RoleProduct: true} {
		for _, p := range []string{"/api/v1/features/" + feature + "/halo?min-n=1", "/api/v1/reports/halo?min-n=1"} {
			r := st.do(t, nil, http.MethodGet, p, st.tokens[role], "", "")
			if r.status != http.StatusOK {
				t.Fatalf("GET %s as %s: %d %s", p, role, r.status, r.body)
			}
			if got := strings.Contains(r.body, `"renewal_with"`); got != wantCustomer {
				t.Errorf("GET %s as %s: renewal figures present %v, want %v", p, role, got, wantCustomer)
			}
		}
	}
}
