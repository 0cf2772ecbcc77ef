package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/demo"
	"github.com/tandemhq/tandem/internal/desk"
	"github.com/tandemhq/tandem/internal/service"
)

// deskRules is a two-level rule set (as in internal/service's desk tests):
// a discount over 10% needs the rep's manager; payment terms over 60 days
// need the manager's manager (the VP).
const deskRules = `version: 1
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

// badRules misspells a key of its only rule, which also lacks its level,
// condition and approvers.
const badRules = "version: 1\nrules:\n  - name: x\n    levle: 1\n"

// deskFixture is a server over demo data with users for one account
// executive, their manager and the VP (named as the reps are), users for
// every other rep, an admin and a product manager, each with an API token.
// Every request it sends is validated against openapi.json.
type deskFixture struct {
	http *httptest.Server
	// deal is an open deal of the account executive.
	deal string
	// tokens are the API tokens by who: admin, rep, mgr, vp, other (the
	// user of another rep, in sales) and product.
	tokens map[string]string

	// store and cat are the fixture's store and catalog, for changes made
	// behind the API's back (a deal closing in the CRM).
	store tandem.Store
	cat   *tandem.Catalog

	router  routers.Router
	mux     *http.ServeMux // which operation the server's ServeMux picks
	covered map[string]bool
}

func newDeskFixture(t *testing.T, dialect string) *deskFixture {
	t.Helper()
	ctx := t.Context()
	cat := tandem.NewCatalog()
	store := openStore(t, dialect, cat)
	l, err := store.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Generate(ctx, cat, l, demo.DefaultConfig().Scaled(1500), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	now := func() time.Time { return clock }
	svc := service.New(store, cat, analytics.New(store, cat, now), t.TempDir(), now)

	// An account executive: a rep whose manager has a manager, with an
	// open deal.
	e, err := cat.Entity("reps")
	if err != nil {
		t.Fatal(err)
	}
	_, nameCol := e.Column("name")
	_, managerCol := e.Column("manager")
	type rep struct{ id, name, manager string }
	var reps []rep
	byID := map[string]rep{}
	err = store.Scan(ctx, "reps", func(r tandem.Record) error {
		name, _ := r.Values[nameCol].(string)
		manager, _ := r.Values[managerCol].(string)
		reps = append(reps, rep{r.ID(), name, manager})
		byID[r.ID()] = reps[len(reps)-1]
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &deskFixture{tokens: map[string]string{}, covered: map[string]bool{}, store: store, cat: cat}
	var ae rep
	for _, r := range reps {
		if m, ok := byID[r.manager]; !ok || m.manager == "" {
			continue
		}
		open, err := store.List(ctx, "deals", tandem.Query{Filters: []tandem.Filter{{Column: "rep_id", Value: r.id}, {Column: "outcome", Value: "open"}}, Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if len(open.Records) > 0 {
			ae, f.deal = r, open.Records[0].ID()
			break
		}
	}
	if ae.id == "" {
		t.Fatal("demo data has no rep two levels down with an open deal")
	}
	mgr := byID[ae.manager]
	vp := byID[mgr.manager]

	test := service.Actor{Name: "test"}
	const password = "correct horse battery"
	users := map[string]tandem.User{}
	for _, u := range []struct {
		who, email, name string
		role             tandem.Role
	}{
		{"admin", "admin@x.io", "Admin", tandem.RoleAdmin},
		{"rep", "ae@x.io", ae.name, tandem.RoleSales},
		{"mgr", "mgr@x.io", mgr.name, tandem.RoleSales},
		{"vp", "vp@x.io", vp.name, tandem.RoleSales},
		{"product", "pm@x.io", "Pat Product", tandem.RoleProduct},
	} {
		if users[u.who], err = svc.CreateUser(ctx, test, service.NewUser{Email: u.email, Name: u.name, Role: u.role, Password: password}, u.role == tandem.RoleAdmin); err != nil {
			t.Fatalf("user %s: %v", u.email, err)
		}
	}
	others, err := svc.CreateRepUsers(ctx, test, "reps.x.io", password)
	if err != nil || len(others) == 0 {
		t.Fatalf("users for the other reps: %d, %v", len(others), err)
	}
	users["other"] = others[0]
	for who, u := range users {
		if _, f.tokens[who], err = svc.CreateToken(ctx, test, u, "desk tests", 0); err != nil {
			t.Fatalf("token for %s: %v", who, err)
		}
	}

	doc := loadOpenAPI(t)
	if f.router, err = legacy.NewRouter(doc); err != nil {
		t.Fatalf("router: %v", err)
	}
	f.mux = http.NewServeMux()
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			f.mux.Handle(method+" "+path, http.NotFoundHandler())
		}
	}
	srv := New(Config{Service: svc, Sessions: auth.NewManager(store, false, nil)})
	f.http = httptest.NewServer(srv.Handler())
	t.Cleanup(f.http.Close)
	return f
}

// deskCall is one request of the desk tests.
type deskCall struct {
	// as names the token sent: a key of deskFixture.tokens.
	as     string
	method string
	path   string
	// body is sent as is when a string, JSON-encoded otherwise; nil sends
	// no body.
	body any
	// contentType defaults to application/json when there is a body.
	contentType string
	want        int
	// badRequest marks a request that breaks openapi.json on purpose: its
	// validation must fail, and the response must still match.
	badRequest bool
}

// withWant returns the call expecting another status.
func (c deskCall) withWant(status int) deskCall {
	c.want = status
	return c
}

// encode returns the call's body and headers.
func (c deskCall) encode(token string) (string, http.Header, error) {
	var body string
	switch b := c.body.(type) {
	case nil:
	case string:
		body = b
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return "", nil, err
		}
		body = string(data)
	}
	h := http.Header{}
	h.Set("Authorization", "Bearer "+token)
	if c.contentType != "" {
		h.Set("Content-Type", c.contentType)
	} else if c.body != nil {
		h.Set("Content-Type", "application/json")
	}
	return body, h, nil
}

// do sends c without checking the answer, so it may run on any goroutine.
func (f *deskFixture) do(ctx context.Context, c deskCall) (response, error) {
	body, h, err := c.encode(f.tokens[c.as])
	if err != nil {
		return response{}, err
	}
	req, err := http.NewRequestWithContext(ctx, c.method, f.http.URL+c.path, strings.NewReader(body))
	if err != nil {
		return response{}, err
	}
	req.Header = h
	resp, err := f.http.Client().Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	return response{status: resp.StatusCode, header: resp.Header, body: data}, nil
}

// send makes the call and checks the answer (see check).
func (f *deskFixture) send(t *testing.T, c deskCall) response {
	t.Helper()
	r, err := f.do(t.Context(), c)
	if err != nil {
		t.Fatalf("%s %s: %v", c.method, c.path, err)
	}
	f.check(t, c, r)
	return r
}

// check fails the test when the status is not the one wanted, and checks
// the request and the response against openapi.json as
// TestOpenAPIResponses does.
func (f *deskFixture) check(t *testing.T, c deskCall, r response) {
	t.Helper()
	what := fmt.Sprintf("%s %s as %s → %d", c.method, c.path, c.as, r.status)
	if r.status != c.want {
		t.Fatalf("%s, want %d; body %.1000s", what, c.want, r.body)
	}
	body, h, err := c.encode(f.tokens[c.as])
	if err != nil {
		t.Fatal(err)
	}
	vreq := httptest.NewRequestWithContext(t.Context(), c.method, c.path, strings.NewReader(body))
	vreq.Header = h
	route, params, err := f.router.FindRoute(vreq)
	if err != nil {
		t.Fatalf("%s: no operation in openapi.json: %v", what, err)
	}
	if _, pattern := f.mux.Handler(vreq); pattern != route.Method+" "+route.Path {
		t.Errorf("%s: the validator picked %s %s, the server's ServeMux picks %q", what, route.Method, route.Path, pattern)
	}
	f.covered[route.Method+" "+route.Path] = true
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: hasCredential}}
	reqErr := openapi3filter.ValidateRequest(t.Context(), in)
	switch {
	case c.badRequest && reqErr == nil:
		t.Errorf("%s: the request should break openapi.json but passes", what)
	case !c.badRequest && reqErr != nil:
		t.Errorf("%s: request does not match openapi.json: %s", what, validationError(reqErr))
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: r.status, Header: r.header,
		Options: &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true}}
	out.SetBodyBytes(r.body)
	if err := openapi3filter.ValidateResponse(t.Context(), out); err != nil {
		t.Errorf("%s: response does not match openapi.json: %s\nbody: %.2000s", what, validationError(err), r.body)
	}
}

// get sends a GET that must answer 200 and decodes its body strictly.
func (f *deskFixture) get(t *testing.T, as, path string, v any) {
	t.Helper()
	decodeStrict(t, f.send(t, deskCall{as: as, method: http.MethodGet, path: path, want: http.StatusOK}).body, v)
}

// inbox returns the pending steps who may decide.
func (f *deskFixture) inbox(t *testing.T, who string) []service.ApprovalView {
	t.Helper()
	var in inboxResponse
	f.get(t, who, "/api/v1/desk/approvals", &in)
	return in.Approvals
}

// stepsByRule indexes a quote version's approval steps by rule (each rule
// of deskRules has one step).
func stepsByRule(t *testing.T, steps []tandem.Approval) map[string]tandem.Approval {
	t.Helper()
	out := map[string]tandem.Approval{}
	for _, s := range steps {
		if _, ok := out[s.Rule]; ok {
			t.Fatalf("two steps of rule %s: %+v", s.Rule, steps)
		}
		out[s.Rule] = s
	}
	return out
}

// TestDeskAPI walks the deal desk through HTTP alone, on every dialect:
// rules, archetypes, a what-if check, a quote and its approvals by
// different users, a second version that keeps the manager's approval, and
// the refusals along the way. Every request and response is checked
// against openapi.json, and every desk operation is exercised.
func TestDeskAPI(t *testing.T) { forEachDialect(t, testDeskAPI) }

func testDeskAPI(t *testing.T, dialect string) {
	f := newDeskFixture(t, dialect)
	const (
		get, post, put  = http.MethodGet, http.MethodPost, http.MethodPut
		mgrStep, vpStep = "discount-over-10", "long-payment-terms"
	)

	// Rules: a bad file is refused whole, every problem by line, and
	// leaves no rule set; a sales user may not apply one.
	r := f.send(t, deskCall{as: "admin", method: put, path: "/api/v1/desk/rules", body: rulesRequest{Name: "bad.yaml", Source: badRules}, want: 400})
	checkError(t, r, 400, tandem.EINVALID, "bad.yaml (4 problems)", "\nbad.yaml:3:5: rules[0].level: missing", "\nbad.yaml:4:5: rules[0].levle: unknown key")
	r = f.send(t, deskCall{as: "admin", method: get, path: "/api/v1/desk/rules", want: 404})
	checkError(t, r, 404, tandem.ENOTFOUND, "no rule set has been applied")
	var hist historyResponse
	f.get(t, "admin", "/api/v1/desk/rules/history", &hist)
	if len(hist.Versions) != 0 {
		t.Errorf("history after a refused apply: %+v", hist.Versions)
	}
	f.send(t, deskCall{as: "rep", method: put, path: "/api/v1/desk/rules", body: rulesRequest{Source: deskRules}, want: 403})
	f.send(t, deskCall{as: "admin", method: put, path: "/api/v1/desk/rules", body: `{"source": 5}`, want: 400, badRequest: true})
	var rs service.RuleSetView
	decodeStrict(t, f.send(t, deskCall{as: "admin", method: put, path: "/api/v1/desk/rules", body: rulesRequest{Source: deskRules, Note: "two levels"}, want: 200}).body, &rs)
	if rs.Version != 1 || rs.Name != "rules.yaml" || rs.Author != "admin@x.io" || rs.Source != deskRules || len(rs.Rules) != 2 ||
		rs.Rules[0].Name != mgrStep || rs.Rules[1].Approvers != "sequential: managers-manager" {
		t.Fatalf("applied rules: %+v", rs)
	}
	f.get(t, "product", "/api/v1/desk/rules?version=1", &rs)
	f.send(t, deskCall{as: "admin", method: get, path: "/api/v1/desk/rules?version=2", want: 404})
	f.send(t, deskCall{as: "admin", method: get, path: "/api/v1/desk/rules?version=0", want: 400, badRequest: true})
	f.get(t, "admin", "/api/v1/desk/rules/history", &hist)
	if len(hist.Versions) != 1 || hist.Versions[0].Version != 1 || hist.Versions[0].Note != "two levels" {
		t.Errorf("history: %+v", hist.Versions)
	}

	// Archetypes: derive proposes, storing nothing; each saved as
	// accepted becomes version 1.
	var props archetypesResponse
	decodeStrict(t, f.send(t, deskCall{as: "admin", method: post, path: "/api/v1/desk/archetypes/derive", body: deriveRequest{}, want: 200}).body, &props)
	if len(props.Archetypes) == 0 {
		t.Fatal("derive proposed no archetype")
	}
	f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/desk/archetypes/derive", body: deriveRequest{}, want: 403})
	f.send(t, deskCall{as: "admin", method: post, path: "/api/v1/desk/archetypes/derive", body: `{"from":"2025-13-01"}`, want: 400, badRequest: true})
	var stored archetypesResponse
	f.get(t, "admin", "/api/v1/desk/archetypes", &stored)
	if len(stored.Archetypes) != 0 {
		t.Fatalf("derive stored %d archetypes", len(stored.Archetypes))
	}
	for _, a := range props.Archetypes {
		if a.Status != "proposed" || a.Version != 0 {
			t.Errorf("proposal %s: status %s version %d", a.ID, a.Status, a.Version)
		}
		a.Status = "accepted"
		var saved desk.Archetype
		decodeStrict(t, f.send(t, deskCall{as: "admin", method: put, path: "/api/v1/desk/archetypes/" + url.PathEscape(a.ID),
			body: archetypeRequest{Archetype: a, Note: "accepted as derived"}, want: 200}).body, &saved)
		if saved.ID != a.ID || saved.Version != 1 || saved.Status != "accepted" {
			t.Errorf("saved %s: %+v", a.ID, saved)
		}
	}
	first := props.Archetypes[0]
	first.Name = "renamed from a stale copy"
	r = f.send(t, deskCall{as: "admin", method: put, path: "/api/v1/desk/archetypes/" + url.PathEscape(first.ID), body: archetypeRequest{Archetype: first}, want: 409})
	checkError(t, r, 409, tandem.ECONFLICT, "is at version 1")
	f.send(t, deskCall{as: "admin", method: put, path: "/api/v1/desk/archetypes/elsewhere", body: archetypeRequest{Archetype: first}, want: 400})
	f.send(t, deskCall{as: "rep", method: put, path: "/api/v1/desk/archetypes/" + url.PathEscape(first.ID), body: archetypeRequest{Archetype: first}, want: 403})
	var versions archetypeHistory
	f.get(t, "rep", "/api/v1/desk/archetypes/"+url.PathEscape(first.ID), &versions)
	if len(versions.Versions) != 1 || versions.Versions[0].Status != "accepted" {
		t.Errorf("versions of %s: %+v", first.ID, versions.Versions)
	}
	f.send(t, deskCall{as: "admin", method: get, path: "/api/v1/desk/archetypes/nope", want: 404})
	f.get(t, "admin", "/api/v1/desk/archetypes", &stored)
	if len(stored.Archetypes) != len(props.Archetypes) {
		t.Errorf("%d archetypes stored, %d accepted", len(stored.Archetypes), len(props.Archetypes))
	}

	// The rep drafts a quote from the deal: 15% off every line, 90-day
	// payment terms.
	var q tandem.Quote
	f.get(t, "rep", "/api/v1/desk/deals/"+f.deal+"/draft", &q)
	if q.DealID != f.deal || q.ID != "" || q.Version != 0 || len(q.Lines) == 0 {
		t.Fatalf("draft: %+v", q)
	}
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/desk/deals/nope/draft", want: 404})
	for i := range q.Lines {
		if q.Lines[i].ListPrice == 0 {
			q.Lines[i].ListPrice = 1000
		}
		q.Lines[i].NetPrice, q.Lines[i].Discount = 0, 15
	}
	q.PaymentDays, q.Promises = 90, nil

	// Small demo data: bands from fewer won deals than the default minimum
	// sample raise no discount flag, so the test lowers it, as a company
	// with little history might.
	lowN := desk.DefaultSettings()
	lowN.MinN = 10
	f.send(t, deskCall{as: "admin", method: put, path: "/api/v1/desk/settings", body: lowN, want: 200})

	// A what-if check: flags with their evidence and the approvals the
	// quote would need, and nothing stored.
	var c desk.Check
	decodeStrict(t, f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/desk/check", body: checkRequest{Quote: &q}, want: 200}).body, &c)
	if len(c.Flags) == 0 {
		t.Fatal("a 90-day quote at 15 percent off raised no flag")
	}
	figures := 0
	for _, fl := range c.Flags {
		if fl.Code == "" || fl.Message == "" || fl.Link != "/desk/flags#"+fl.Code {
			t.Errorf("flag without code, message or link: %+v", fl)
		}
		for _, e := range fl.Evidence {
			figures++
			if e.N < 0 || !e.Insufficient && (e.N == 0 || e.CILow > e.Value || e.Value > e.CIHigh) {
				t.Errorf("flag %s: evidence without n or interval: %+v", fl.Code, e)
			}
		}
	}
	if figures == 0 {
		t.Errorf("no flag has evidence: %+v", c.Flags)
	}
	want := map[string]string{mgrStep: "mgr@x.io", vpStep: "vp@x.io"}
	if steps := stepsByRule(t, c.Approvals); len(steps) != len(want) {
		t.Errorf("approvals needed: %+v", c.Approvals)
	} else {
		for rule, approver := range want {
			if s := steps[rule]; s.Approver != approver || s.ID != "" || s.Status != tandem.ApprovalPending {
				t.Errorf("%s would need %+v, want %s", rule, s, approver)
			}
		}
	}
	var quotes quotesResponse
	f.get(t, "rep", "/api/v1/desk/deals/"+f.deal+"/quotes", &quotes)
	for _, who := range []string{"mgr", "vp"} {
		if in := f.inbox(t, who); len(quotes.Quotes) != 0 || len(in) != 0 {
			t.Fatalf("the check stored something: quotes %+v, %s's inbox %+v", quotes.Quotes, who, in)
		}
	}
	f.get(t, "product", "/api/v1/desk/deals/"+f.deal+"/check", &c)
	decodeStrict(t, f.send(t, deskCall{as: "product", method: post, path: "/api/v1/desk/check", body: checkRequest{DealID: f.deal}, want: 200}).body, &c)
	if c.DealID != f.deal || c.QuoteID != "" {
		t.Errorf("check of a deal without quotes: deal %q quote %q", c.DealID, c.QuoteID)
	}
	f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/desk/check", body: checkRequest{DealID: "nope"}, want: 404})
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/desk/deals/nope/check", want: 404})
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/desk/deals/nope/quotes", want: 404})

	// Malformed and invalid bodies are 400 JSON errors.
	for _, bad := range []deskCall{
		{method: post, path: "/api/v1/desk/check", body: `{"quote":`, badRequest: true},
		{method: post, path: "/api/v1/desk/check", body: `{"deal_id":"x"} {}`},
		{method: post, path: "/api/v1/desk/check", body: `{"deal":"x"}`, badRequest: true},
		{method: post, path: "/api/v1/desk/check", body: `deal_id=x`, contentType: "application/x-www-form-urlencoded", badRequest: true},
		{method: post, path: "/api/v1/desk/check", body: `{}`},
		{method: post, path: "/api/v1/desk/check", body: checkRequest{Quote: &q, DealID: f.deal}},
		{method: post, path: "/api/v1/desk/quotes", body: `{"deal_id":"` + f.deal + `","lines":[]}`, badRequest: true},
		{method: post, path: "/api/v1/desk/quotes", body: `{"deal_id":"` + f.deal + `","lines":[{"product":"p-01","quantity":1,"colour":"red"}]}`, badRequest: true},
		{method: post, path: "/api/v1/desk/quotes", body: `{"deal_id":"` + f.deal + `","lines":[{"product":"no such product","quantity":1}]}`},
		{method: post, path: "/api/v1/desk/quotes", body: `{"deal_id":"` + f.deal + `","billing":"weekly","lines":[{"product":"p-01","quantity":1}]}`, badRequest: true},
	} {
		bad.as, bad.want = "rep", 400
		checkError(t, f.send(t, bad), 400, tandem.EINVALID)
	}

	// A product manager may read the desk but not quote.
	f.send(t, deskCall{as: "product", method: post, path: "/api/v1/desk/quotes", body: q, want: 403})

	// The rep saves the quote: version 1, pending with the manager and
	// the VP.
	var v1 service.QuoteView
	decodeStrict(t, f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/desk/quotes", body: q, want: 200}).body, &v1)
	if v1.Quote.Version != 1 || v1.Latest != 1 || v1.Status != "pending" || v1.Quote.Author != "ae@x.io" || v1.Quote.ID == "" {
		t.Fatalf("v1: %+v", v1.Quote)
	}
	steps1 := stepsByRule(t, v1.Approvals)
	for rule, approver := range want {
		if s := steps1[rule]; s.Approver != approver || s.Status != tandem.ApprovalPending || s.ID == "" || s.QuoteVersion != 1 {
			t.Errorf("v1 %s: %+v, want pending with %s", rule, s, approver)
		}
	}
	quotePath := "/api/v1/desk/quotes/" + url.PathEscape(v1.Quote.ID)

	// Inboxes: each approver sees their own step; the rep and another
	// sales user see none; desk:admin may list every pending step.
	for who, rule := range map[string]string{"mgr": mgrStep, "vp": vpStep, "rep": "", "other": ""} {
		in := f.inbox(t, who)
		switch {
		case rule == "" && len(in) != 0:
			t.Errorf("%s's inbox: %+v", who, in)
		case rule != "" && (len(in) != 1 || in[0].ID != steps1[rule].ID || in[0].ACV != v1.Check.ACV || in[0].Overdue):
			t.Errorf("%s's inbox: %+v, want step %s", who, in, steps1[rule].ID)
		}
	}
	var all inboxResponse
	f.get(t, "admin", "/api/v1/desk/approvals?all=1", &all)
	if len(all.Approvals) != 2 {
		t.Errorf("every pending step: %+v", all.Approvals)
	}
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/desk/approvals?all=true", want: 403})

	// Only the approver decides: another sales user, and the VP on the
	// manager's step, are refused.
	approve := func(who, id string) deskCall {
		return deskCall{as: who, method: post, path: "/api/v1/desk/approvals/" + id + "/approve", body: decisionRequest{Reason: "ok"}, want: 200}
	}
	for _, who := range []string{"other", "vp", "rep"} {
		checkError(t, f.send(t, approve(who, steps1[mgrStep].ID).withWant(403)), 403, tandem.EFORBIDDEN, "waits for mgr@x.io")
	}
	f.send(t, approve("mgr", "ap_nope").withWant(404))
	f.send(t, deskCall{as: "mgr", method: post, path: "/api/v1/desk/approvals/" + steps1[mgrStep].ID + "/approve", want: 400, badRequest: true})
	var after service.QuoteView
	decodeStrict(t, f.send(t, approve("mgr", steps1[mgrStep].ID)).body, &after)
	if s := stepsByRule(t, after.Approvals)[mgrStep]; s.Status != tandem.ApprovalApproved || s.ActedBy != "mgr@x.io" || s.Reason != "ok" || after.Status != "pending" {
		t.Errorf("after the manager approved: %s, %+v", after.Status, s)
	}
	checkError(t, f.send(t, approve("mgr", steps1[mgrStep].ID).withWant(409)), 409, tandem.ECONFLICT, "is approved")

	// Two approvals by the VP at once: exactly one lands.
	var wg sync.WaitGroup
	race := make([]response, 2)
	errs := make([]error, len(race))
	for i := range race {
		wg.Go(func() { race[i], errs[i] = f.do(t.Context(), approve("vp", steps1[vpStep].ID)) })
	}
	wg.Wait()
	landed := 0
	for i, r := range race {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		call := approve("vp", steps1[vpStep].ID)
		if r.status != 200 {
			call.want = 409
		} else {
			landed++
		}
		f.check(t, call, r)
	}
	if landed != 1 {
		t.Fatalf("%d racing approvals landed, want 1", landed)
	}
	f.get(t, "rep", quotePath, &after)
	if after.Status != "approved" || after.Latest != 1 {
		t.Fatalf("after both approvals: %s, latest %d", after.Status, after.Latest)
	}

	// Acknowledgments: the rep acknowledges a flag; an unknown code is a
	// 400, and a product manager may not.
	code := after.Check.Flags[0].Code
	var acked service.QuoteView
	decodeStrict(t, f.send(t, deskCall{as: "rep", method: post, path: quotePath + "/acks", body: ackRequest{Code: code, Note: "customer knows"}, want: 200}).body, &acked)
	if a := acked.Check.Flags[0].Acknowledged; len(a) != 1 || a[0].By != "ae@x.io" || a[0].Note != "customer knows" {
		t.Errorf("acknowledgments of %s: %+v", code, a)
	}
	f.send(t, deskCall{as: "rep", method: post, path: quotePath + "/acks", body: ackRequest{Code: "no-such-flag"}, want: 400})
	f.send(t, deskCall{as: "rep", method: post, path: quotePath + "/acks", body: `{"note":"x"}`, want: 400, badRequest: true})
	f.send(t, deskCall{as: "product", method: post, path: quotePath + "/acks", body: ackRequest{Code: code}, want: 403})
	f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/desk/quotes/nope/acks", body: ackRequest{Code: code}, want: 404})

	// Version 2 changes only the payment terms, from version 1: the
	// manager's approval stands, and only the VP is asked again.
	q2 := after.Quote
	q2.PaymentDays, q2.Note = 120, "customer asked for net 120"
	var v2 service.QuoteView
	decodeStrict(t, f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/desk/quotes", body: q2, want: 200}).body, &v2)
	if v2.Quote.Version != 2 || v2.Latest != 2 || v2.Status != "pending" || len(v2.Versions) != 2 ||
		len(v2.Changes) != 1 || v2.Changes[0] != (desk.Change{Field: "payment_terms_days", From: "90", To: "120"}) {
		t.Fatalf("v2: version %d latest %d status %s changes %+v", v2.Quote.Version, v2.Latest, v2.Status, v2.Changes)
	}
	steps2 := stepsByRule(t, v2.Approvals)
	if s := steps2[mgrStep]; s.Status != tandem.ApprovalApproved || s.CarriedFrom == "" || !strings.Contains(s.Basis, "stands from version 1") {
		t.Errorf("the manager's approval did not stand: %+v", s)
	}
	if s := steps2[vpStep]; s.Status != tandem.ApprovalPending || s.CarriedFrom != "" || s.QuoteVersion != 2 {
		t.Errorf("the VP was not asked again: %+v", s)
	}
	if in := f.inbox(t, "mgr"); len(in) != 0 {
		t.Errorf("the manager's inbox after version 2: %+v", in)
	}
	if in := f.inbox(t, "vp"); len(in) != 1 || in[0].ID != steps2[vpStep].ID {
		t.Errorf("the VP's inbox after version 2: %+v", in)
	}
	// Version 1's steps are done with: deciding one again is a conflict;
	// so is an edit that starts from version 1.
	checkError(t, f.send(t, deskCall{as: "vp", method: post, path: "/api/v1/desk/approvals/" + steps1[vpStep].ID + "/approve", body: decisionRequest{}, want: 409}), 409, tandem.ECONFLICT)
	stale := v2.Quote
	stale.Version, stale.TermMonths = 1, 24
	checkError(t, f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/desk/quotes", body: stale, want: 409}), 409, tandem.ECONFLICT, "is at version 2")
	// Saving version 2 unchanged stores nothing.
	var same service.QuoteView
	decodeStrict(t, f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/desk/quotes", body: v2.Quote, want: 200}).body, &same)
	if same.Latest != 2 {
		t.Errorf("an unchanged save made version %d", same.Latest)
	}

	// Version 3 supersedes version 2's pending step, which can no longer
	// be decided.
	q3 := v2.Quote
	q3.PaymentDays = 100
	var v3 service.QuoteView
	decodeStrict(t, f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/desk/quotes", body: q3, want: 200}).body, &v3)
	steps3 := stepsByRule(t, v3.Approvals)
	if v3.Quote.Version != 3 || steps3[vpStep].Status != tandem.ApprovalPending {
		t.Fatalf("v3: version %d, %+v", v3.Quote.Version, v3.Approvals)
	}
	checkError(t, f.send(t, approve("vp", steps2[vpStep].ID).withWant(409)), 409, tandem.ECONFLICT, "superseded")
	var old service.QuoteView
	f.get(t, "rep", quotePath+"?version=2", &old)
	if s := stepsByRule(t, old.Approvals)[vpStep]; old.Quote.Version != 2 || s.Status != tandem.ApprovalSuperseded {
		t.Errorf("version 2's VP step: %+v", s)
	}
	f.get(t, "rep", quotePath+"?version=1", &old)
	if old.Quote.Version != 1 || old.Status != "approved" || len(old.Changes) != 0 {
		t.Errorf("version 1: %d %s %+v", old.Quote.Version, old.Status, old.Changes)
	}
	f.send(t, deskCall{as: "rep", method: get, path: quotePath + "?version=9", want: 404})
	f.send(t, deskCall{as: "rep", method: get, path: quotePath + "?version=x", want: 400, badRequest: true})
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/desk/quotes/nope", want: 404})

	// The VP hands the step to the manager, who rejects it with a reason.
	var handed tandem.Approval
	decodeStrict(t, f.send(t, deskCall{as: "vp", method: post, path: "/api/v1/desk/approvals/" + steps3[vpStep].ID + "/delegate", body: delegateRequest{To: "mgr@x.io"}, want: 200}).body, &handed)
	if handed.Approver != "mgr@x.io" || !strings.Contains(handed.Via, "delegated by vp@x.io") {
		t.Errorf("delegated step: %+v", handed)
	}
	f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/desk/approvals/" + steps3[vpStep].ID + "/delegate", body: delegateRequest{To: "ae@x.io"}, want: 403})
	f.send(t, deskCall{as: "mgr", method: post, path: "/api/v1/desk/approvals/" + steps3[vpStep].ID + "/delegate", body: delegateRequest{To: "ghost@x.io"}, want: 400})
	reject := deskCall{as: "mgr", method: post, path: "/api/v1/desk/approvals/" + steps3[vpStep].ID + "/reject", body: `{}`, want: 400, badRequest: true}
	checkError(t, f.send(t, reject), 400, tandem.EINVALID, "a rejection needs a reason")
	reject.body, reject.want, reject.badRequest = decisionRequest{Reason: "net 100 is too long"}, 200, false
	var rejected service.QuoteView
	decodeStrict(t, f.send(t, reject).body, &rejected)
	if s := stepsByRule(t, rejected.Approvals)[vpStep]; rejected.Status != "rejected" || s.Status != tandem.ApprovalRejected || s.ActedBy != "mgr@x.io" {
		t.Errorf("after the rejection: %s, %+v", rejected.Status, s)
	}
	f.get(t, "rep", "/api/v1/desk/deals/"+f.deal+"/quotes", &quotes)
	if len(quotes.Quotes) != 1 || quotes.Quotes[0].Version != 3 || quotes.Quotes[0].Status != "rejected" || quotes.Quotes[0].Flags == 0 {
		t.Errorf("the deal's quotes: %+v", quotes.Quotes)
	}
	f.get(t, "rep", "/api/v1/desk/deals/"+f.deal+"/check", &c)
	if c.QuoteID != v1.Quote.ID || c.QuoteVersion != 3 || len(c.Approvals) != 2 {
		t.Errorf("check of a deal with a quote: quote %s version %d approvals %d", c.QuoteID, c.QuoteVersion, len(c.Approvals))
	}

	// Away: the VP names the manager while away; an unknown delegate is
	// refused; an empty to clears it.
	var aw desk.Away
	decodeStrict(t, f.send(t, deskCall{as: "vp", method: put, path: "/api/v1/desk/away",
		body: awayRequest{To: "mgr@x.io", Until: time.Date(2026, 3, 8, 0, 0, 0, 0, time.UTC), Note: "on leave"}, want: 200}).body, &aw)
	if aw.User != "vp@x.io" || aw.To != "mgr@x.io" || !aw.Active(time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("away: %+v", aw)
	}
	f.send(t, deskCall{as: "vp", method: put, path: "/api/v1/desk/away", body: awayRequest{To: "ghost@x.io"}, want: 400})
	f.send(t, deskCall{as: "vp", method: put, path: "/api/v1/desk/away", body: `{"to":"mgr@x.io","until":"soon"}`, want: 400, badRequest: true})
	decodeStrict(t, f.send(t, deskCall{as: "vp", method: put, path: "/api/v1/desk/away", body: awayRequest{}, want: 200}).body, &aw)
	if aw.To != "" {
		t.Errorf("cleared away: %+v", aw)
	}

	// Escalation: nothing is past its SLA at the fixture's clock.
	var esc escalateResponse
	decodeStrict(t, f.send(t, deskCall{as: "admin", method: post, path: "/api/v1/desk/escalate", want: 200}).body, &esc)
	if esc.Escalated != 0 {
		t.Errorf("escalated %d", esc.Escalated)
	}
	f.send(t, deskCall{as: "mgr", method: post, path: "/api/v1/desk/escalate", want: 403})

	// Settings: version 1 (the lowered minimum sample), then a change;
	// out-of-range values are refused, and only desk:admin may change them.
	var set settingsResponse
	f.get(t, "rep", "/api/v1/desk/settings", &set)
	if set.Version != 1 || set.Settings != lowN {
		t.Errorf("settings: %+v", set)
	}
	changed := lowN
	changed.DisclosureMonths = 6
	decodeStrict(t, f.send(t, deskCall{as: "admin", method: put, path: "/api/v1/desk/settings", body: changed, want: 200}).body, &set)
	if set.Version != 2 || set.Settings != changed {
		t.Errorf("changed settings: %+v", set)
	}
	bad := changed
	bad.MinN = 1
	checkError(t, f.send(t, deskCall{as: "admin", method: put, path: "/api/v1/desk/settings", body: bad, want: 400, badRequest: true}), 400, tandem.EINVALID, "min_n: 1 is outside 5 to 10000")
	f.send(t, deskCall{as: "rep", method: put, path: "/api/v1/desk/settings", body: changed, want: 403})

	// The flag definitions, and the outbox (empty: no notifier is set).
	var docs flagDocsResponse
	f.get(t, "product", "/api/v1/desk/flags", &docs)
	if !slices.ContainsFunc(docs.Flags, func(d desk.FlagDoc) bool { return d.Code == code }) {
		t.Errorf("flag %s has no definition in %+v", code, docs.Flags)
	}
	var outbox notificationsResponse
	f.get(t, "admin", "/api/v1/desk/notifications", &outbox)
	if len(outbox.Notifications) != 0 {
		t.Errorf("outbox without a notifier: %+v", outbox.Notifications)
	}
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/desk/notifications", want: 403})

	// Every desk operation of openapi.json but the reviews' (see
	// TestDeskReviewsAPI) was exercised.
	f.checkCovered(t, func(path string) bool { return !isReviewPath(path) })
}

// isReviewPath reports whether an openapi.json path is a deal-review
// route.
func isReviewPath(path string) bool {
	return strings.HasPrefix(path, "/api/v1/desk/reviews/") || strings.HasSuffix(path, "/review")
}

// checkCovered fails the test for every desk operation of openapi.json
// whose path include selects and that no request exercised (unless the
// test failed already).
func (f *deskFixture) checkCovered(t *testing.T, include func(path string) bool) {
	t.Helper()
	if t.Failed() {
		return
	}
	doc := loadOpenAPI(t)
	for _, path := range slices.Sorted(maps.Keys(doc.Paths.Map())) {
		if !strings.HasPrefix(path, "/api/v1/desk/") || !include(path) {
			continue
		}
		for method := range doc.Paths.Value(path).Operations() {
			if !f.covered[method+" "+path] {
				t.Errorf("no request exercised %s %s", method, path)
			}
		}
	}
}

// TestDeskReviewsAPI walks deal reviews through HTTP alone, on every
// dialect: triggers changed by an admin, a scan, the agenda, a product
// manager's response with an action, a stale edit, the deal closing and
// the outcome report. Every request and response is checked against
// openapi.json, and every review operation is exercised.
func TestDeskReviewsAPI(t *testing.T) { forEachDialect(t, testDeskReviewsAPI) }

func testDeskReviewsAPI(t *testing.T, dialect string) {
	f := newDeskFixture(t, dialect)
	const get, post, put = http.MethodGet, http.MethodPost, http.MethodPut
	const triggersPath = "/api/v1/desk/reviews/triggers"

	// Triggers: the defaults at version 0; only desk:admin changes them;
	// a change is validated, normalized and versioned.
	var tr reviewTriggersResponse
	f.get(t, "product", triggersPath, &tr)
	if tr.Version != 0 || tr.Triggers.MinAmount != 100000 || !tr.Triggers.ProductGap || !tr.Triggers.Special || !slices.Equal(tr.Triggers.MeetingDays, []int{1, 15}) {
		t.Errorf("default triggers: %+v", tr)
	}
	want := desk.Triggers{MinAmount: 50000, Verticals: []string{" Pharma "}, ProductGap: true, MeetingDays: []int{15, 1, 15}}
	f.send(t, deskCall{as: "rep", method: put, path: triggersPath, body: want, want: 403})
	f.send(t, deskCall{as: "product", method: put, path: triggersPath, body: want, want: 403})
	bad := want
	bad.MeetingDays = []int{0, 29}
	checkError(t, f.send(t, deskCall{as: "admin", method: put, path: triggersPath, body: bad, want: 400, badRequest: true}), 400, tandem.EINVALID,
		"meeting_days[0]: 0 is outside 1 to 28", "meeting_days[1]")
	f.send(t, deskCall{as: "admin", method: put, path: triggersPath, body: `{"min_amount":1,"colour":"red"}`, want: 400, badRequest: true})
	decodeStrict(t, f.send(t, deskCall{as: "admin", method: put, path: triggersPath, body: want, want: 200}).body, &tr)
	if tr.Version != 1 || tr.Triggers.MinAmount != 50000 || tr.Triggers.Special || !slices.Equal(tr.Triggers.MeetingDays, []int{1, 15}) ||
		!slices.Equal(tr.Triggers.Verticals, []string{"Pharma"}) {
		t.Errorf("changed triggers: %+v", tr)
	}

	// A scan opens a review for every open deal the triggers fire on; a
	// second opens none. Only desk:admin scans.
	f.send(t, deskCall{as: "product", method: post, path: "/api/v1/desk/reviews/scan", want: 403})
	var scan reviewScanResponse
	decodeStrict(t, f.send(t, deskCall{as: "admin", method: post, path: "/api/v1/desk/reviews/scan", want: 200}).body, &scan)
	if scan.Opened == 0 || scan.Closed != 0 {
		t.Fatalf("first scan: %+v", scan)
	}
	var again reviewScanResponse
	decodeStrict(t, f.send(t, deskCall{as: "admin", method: post, path: "/api/v1/desk/reviews/scan", want: 200}).body, &again)
	if again != (reviewScanResponse{}) {
		t.Errorf("second scan: %+v", again)
	}

	// The agenda of the meeting after 2 March is the 15th's: every review,
	// largest deal first.
	var ag service.Agenda
	f.get(t, "product", "/api/v1/desk/reviews/agenda?date=2026-03-02", &ag)
	if ag.Meeting.Format(time.DateOnly) != "2026-03-15" || len(ag.Items) != scan.Opened {
		t.Fatalf("agenda: meeting %s, %d items, %d opened", ag.Meeting.Format(time.DateOnly), len(ag.Items), scan.Opened)
	}
	for i, it := range ag.Items {
		r := it.Review
		if r.Version != 1 || len(r.Triggers) == 0 || r.Snapshot.Amount == 0 || len(it.OpenActions) != 0 || it.Overdue != 0 ||
			!r.OpenedAt.Equal(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)) {
			t.Errorf("agenda item %d: %+v", i, it)
		}
		if i > 0 && r.Snapshot.Amount > ag.Items[i-1].Review.Snapshot.Amount {
			t.Errorf("agenda not largest first at %d", i)
		}
	}
	f.send(t, deskCall{as: "product", method: get, path: "/api/v1/desk/reviews/agenda?date=2026-02-30", want: 400, badRequest: true})
	f.send(t, deskCall{as: "product", method: get, path: "/api/v1/desk/reviews/agenda?day=2026-03-02", want: 400})
	f.get(t, "rep", "/api/v1/desk/reviews/agenda", &ag)

	// The largest deal's review, and product's response with an action:
	// a product manager may write it (desk:read is enough).
	deal := ag.Items[0].Review.DealID
	reviewPath := "/api/v1/desk/deals/" + url.PathEscape(deal) + "/review"
	var rv reviewResponse
	f.get(t, "rep", reviewPath, &rv)
	if rv.Review.DealID != deal || rv.Review.Version != 1 || len(rv.Versions) != 1 || rv.Versions[0].Author != "admin@x.io" ||
		!strings.HasPrefix(rv.Versions[0].Note, "opened: deal size") || string(rv.Versions[0].Body) != "null" {
		t.Errorf("review of %s: %+v", deal, rv)
	}
	due := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	upd := service.ReviewUpdate{Version: 1, ProductResponse: " SSO ships in May ", Decision: "go, with a services workaround",
		Actions: []desk.Action{{Text: "send the SSO timeline", Owner: "ae@x.io", Due: due}}}
	var saved desk.Review
	decodeStrict(t, f.send(t, deskCall{as: "product", method: put, path: reviewPath, body: upd, want: 200}).body, &saved)
	if saved.Version != 2 || saved.UpdatedBy != "pm@x.io" || saved.ProductResponse != "SSO ships in May" || len(saved.OpenActions()) != 1 {
		t.Errorf("updated review: %+v", saved)
	}
	checkError(t, f.send(t, deskCall{as: "rep", method: put, path: reviewPath, body: upd, want: 409}), 409, tandem.ECONFLICT, "is at version 2")
	noOwner := upd
	noOwner.Version, noOwner.Actions = 2, []desk.Action{{Text: "x", Due: due}}
	checkError(t, f.send(t, deskCall{as: "rep", method: put, path: reviewPath, body: noOwner, want: 400, badRequest: true}), 400, tandem.EINVALID, "actions[0].owner")
	f.send(t, deskCall{as: "rep", method: put, path: reviewPath, body: `{"version":2,"verdict":"go"}`, want: 400, badRequest: true})
	f.send(t, deskCall{as: "rep", method: put, path: "/api/v1/desk/deals/nope/review", body: `{"version":1}`, want: 404})
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/desk/deals/nope/review", want: 404})

	// By the 15th's meeting, asked for on the 12th, the action due on
	// the 10th is overdue.
	ag = service.Agenda{}
	f.get(t, "product", "/api/v1/desk/reviews/agenda?date=2026-03-12", &ag)
	if it := ag.Items[0]; it.Review.DealID != deal || len(it.OpenActions) != 1 || it.Overdue != 1 || it.Review.Decision != upd.Decision {
		t.Errorf("agenda item after the update: %+v", it)
	}

	// The deal closes won in the CRM: the next scan fills the outcome.
	ctx := t.Context()
	de, err := f.cat.Entity("deals")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := f.store.Get(ctx, "deals", deal)
	if err != nil {
		t.Fatal(err)
	}
	_, oc := de.Column("outcome")
	_, cc := de.Column("closed")
	rec.Values[oc], rec.Values[cc] = "won", time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
	l, err := f.store.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Put(ctx, de, rec); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	decodeStrict(t, f.send(t, deskCall{as: "admin", method: post, path: "/api/v1/desk/reviews/scan", want: 200}).body, &scan)
	if scan != (reviewScanResponse{Closed: 1}) {
		t.Errorf("closing scan: %+v", scan)
	}
	f.get(t, "rep", reviewPath, &rv)
	if rv.Review.Outcome != "won" || !rv.Review.ClosedAt.Equal(time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)) || len(rv.Versions) != 3 ||
		rv.Versions[2].Author != "system:review" || rv.Review.ProductResponse != "SSO ships in May" {
		t.Errorf("closed review: %+v", rv)
	}

	// The report: one reviewed deal closed (too few for a figure), and
	// the similar deals closed without a review.
	var rep service.ReviewOutcomes
	f.get(t, "product", "/api/v1/desk/reviews/report", &rep)
	if rep.Reviewed.N != 1 || rep.Reviewed.Value != 1 || !rep.Reviewed.Insufficient || rep.Unreviewed.N == 0 ||
		rep.Difference.Unit != "pp" || !rep.Difference.Insufficient || len(rep.Notes) == 0 {
		t.Errorf("report: %+v", rep)
	}
	f.get(t, "product", "/api/v1/desk/reviews/report?from=2026-03-20&to=2026-03-20", &rep)
	if rep.Reviewed.N != 1 {
		t.Errorf("report of the day the deal closed: reviewed %+v", rep.Reviewed)
	}
	f.get(t, "product", "/api/v1/desk/reviews/report?to=2026-03-19", &rep)
	if rep.Reviewed.N != 0 {
		t.Errorf("report of the days before the deal closed: reviewed %+v", rep.Reviewed)
	}
	f.send(t, deskCall{as: "product", method: get, path: "/api/v1/desk/reviews/report?from=2026-13-01", want: 400, badRequest: true})
	checkError(t, f.send(t, deskCall{as: "product", method: get, path: "/api/v1/desk/reviews/report?from=2026-03-02&to=2026-03-01", want: 400}), 400, tandem.EINVALID, "before from")

	f.checkCovered(t, isReviewPath)
}
