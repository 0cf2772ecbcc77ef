package cli_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
	"github.com/tandemhq/tandem/internal/cli"
	"github.com/tandemhq/tandem/internal/demo"
	"github.com/tandemhq/tandem/internal/httpapi"
	"github.com/tandemhq/tandem/internal/service"
	"github.com/tandemhq/tandem/internal/sqldb"
	"github.com/tandemhq/tandem/internal/sqldb/sqldbtest"
)

// stackPassword is every test user's password.
const stackPassword = "correct horse battery staple"

// stack is the whole web app and API over a demo store, as `tandem serve`
// wires it, with one user and API token per role.
type stack struct {
	store  tandem.Store
	svc    *service.Service
	srv    *httptest.Server
	routes []httpapi.Route
	tokens map[tandem.Role]string
	users  map[tandem.Role]tandem.User
	// ids of seeded rows, by entity.
	ids map[string]string
}

// newStack generates a small demo store of the dialect (deals rows) and
// serves it.
func newStack(t *testing.T, dialect string, deals int) *stack {
	t.Helper()
	ctx := t.Context()
	cat := tandem.NewCatalog()
	store := sqldbtest.Open(t, dialect, cat)
	l, err := store.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Generate(ctx, cat, l, demo.DefaultConfig().Scaled(deals), nil); err != nil {
		t.Fatalf("demo: %v", err)
	}
	if _, err := l.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	st := &stack{store: store, tokens: map[tandem.Role]string{}, users: map[tandem.Role]tandem.User{}, ids: map[string]string{}}
	st.svc = service.New(store, cat, analytics.New(store, cat, nil), t.TempDir(), nil)
	actor := service.Actor{Name: "test"}
	for i, r := range tandem.Roles() {
		u, err := st.svc.CreateUser(ctx, actor, service.NewUser{Email: string(r) + "@example.com", Name: "The " + string(r), Role: r, Password: stackPassword}, i == 0)
		if err != nil {
			t.Fatalf("create %s: %v", r, err)
		}
		st.users[r] = u
		if _, st.tokens[r], err = st.svc.CreateToken(ctx, actor, u, "tests", 0); err != nil {
			t.Fatal(err)
		}
	}
	for _, e := range cat.Entities() {
		p, err := store.List(ctx, e.Name, tandem.Query{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Records) > 0 {
			st.ids[e.Name] = tandem.FormatValue(p.Records[0].Values[0])
		}
	}
	h, routes, err := cli.NewHandler(store, t.TempDir(), cli.Version{Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	st.routes = routes
	st.srv = httptest.NewServer(h)
	t.Cleanup(st.srv.Close)
	return st
}

// result is a finished request.
type result struct {
	status int
	header http.Header
	body   string
}

// do sends a request; token "" sends none. Redirects are not followed.
func (st *stack) do(t *testing.T, client *http.Client, method, path, token, contentType, body string, headers ...string) result {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, st.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if client == nil {
		client = noRedirect(nil)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return result{resp.StatusCode, resp.Header, string(b)}
}

// noRedirect returns a client that does not follow redirects, with a cookie
// jar when given.
func noRedirect(jar http.CookieJar) *http.Client {
	return &http.Client{Jar: jar, Timeout: 60 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// csrfField finds the CSRF token of the first form in a page.
var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// browserSession signs in through the sign-in form like a browser does and
// returns the client (cookie jar) and the session's CSRF token.
func (st *stack) browserSession(t *testing.T, role tandem.Role) (*http.Client, string) {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := noRedirect(jar)
	page := st.do(t, c, http.MethodGet, "/signin", "", "", "")
	m := csrfField.FindStringSubmatch(page.body)
	if page.status != http.StatusOK || m == nil {
		t.Fatalf("GET /signin: %d, csrf field found: %v", page.status, m != nil)
	}
	form := url.Values{"email": {string(role) + "@example.com"}, "password": {stackPassword}, "csrf": {m[1]}, "next": {"/"}}
	r := st.do(t, c, http.MethodPost, "/signin", "", "application/x-www-form-urlencoded", form.Encode())
	if r.status != http.StatusSeeOther {
		t.Fatalf("sign in as %s: status %d: %.300s", role, r.status, r.body)
	}
	home := st.do(t, c, http.MethodGet, "/", "", "", "")
	m = csrfField.FindStringSubmatch(home.body)
	if home.status != http.StatusOK || m == nil {
		t.Fatalf("GET / after sign-in: %d, csrf field found: %v: %.300s", home.status, m != nil, home.body)
	}
	return c, m[1]
}

// adminToken creates an admin (the store's first user when it has none)
// with an API token in the store at dsn, and returns the token.
func adminToken(t *testing.T, dsn string) string {
	t.Helper()
	ctx := t.Context()
	cat := tandem.NewCatalog()
	db, err := sqldb.Open(ctx, dsn, cat)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc := service.New(db, cat, nil, t.TempDir(), nil)
	n, err := db.UserCount(ctx)
	if err != nil {
		t.Fatal(err)
	}
	u, err := svc.CreateUser(ctx, service.Actor{Name: "test"}, service.NewUser{Email: fmt.Sprintf("admin%d@example.com", n), Name: "Admin", Role: tandem.RoleAdmin, Password: stackPassword}, n == 0)
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := svc.CreateToken(ctx, service.Actor{Name: "test"}, u, "tests", 0)
	if err != nil {
		t.Fatal(err)
	}
	return token
}
