package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/service"
)

// loadOpenAPI parses the embedded document and validates it as OpenAPI 3.
func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	merged, err := openAPIDocument()
	if err != nil {
		t.Fatalf("merge the OpenAPI files: %v", err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(merged)
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	if err := doc.Validate(t.Context()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI document: %v", err)
	}
	return doc
}

func TestOpenAPIDocument(t *testing.T) {
	doc := loadOpenAPI(t)
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
	// Every operation says what it does and answers with documented
	// bodies: a JSON schema for every response that has content.
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.Summary == "" || op.Description == "" || op.OperationID == "" {
				t.Errorf("%s %s lacks a summary, description or operationId", method, path)
			}
			for status, ref := range op.Responses.Map() {
				if ref.Value.Description == nil || *ref.Value.Description == "" {
					t.Errorf("%s %s %s has no description", method, path, status)
				}
				if status != "204" && ref.Value.Content.Get("application/json") == nil {
					t.Errorf("%s %s %s has no application/json body", method, path, status)
				}
			}
		}
	}
}

// muxPattern turns a ServeMux pattern's path into an OpenAPI path
// template: "{name...}" becomes "{name}" and "{$}" is dropped.
func muxPattern(path string) string {
	return restWildcard.ReplaceAllString(strings.ReplaceAll(path, "{$}", ""), "{$1}")
}

// restWildcard matches a ServeMux wildcard that takes the rest of the path.
var restWildcard = regexp.MustCompile(`\{([^}.]+)\.\.\.\}`)

// TestOpenAPIRoutes checks that the document and the route table describe
// the same operations, with the same summaries, security and CSRF header.
func TestOpenAPIRoutes(t *testing.T) {
	doc := loadOpenAPI(t)
	f := newFixture(t, "sqlite", nil)

	routes := map[string]Route{}
	for _, rt := range f.srv.Routes() {
		if !isAPI(rt.Path) {
			continue
		}
		routes[rt.Method+" "+muxPattern(rt.Path)] = rt
	}
	ops := map[string]*openapi3.Operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops[method+" "+path] = op
		}
	}

	for _, key := range slices.Sorted(maps.Keys(routes)) {
		rt := routes[key]
		op, ok := ops[key]
		if !ok {
			t.Errorf("route %s is not in openapi.json", key)
			continue
		}
		if op.Summary != rt.Summary {
			t.Errorf("%s: document summary %q, route summary %q", key, op.Summary, rt.Summary)
		}
		public := op.Security != nil && len(*op.Security) == 0
		if want := rt.Perm == auth.PermPublic; public != want {
			t.Errorf("%s: document says security [] is %v, route is public: %v", key, public, want)
		}
		if !public && op.Responses.Status(http.StatusUnauthorized) == nil {
			t.Errorf("%s: needs a credential but documents no 401", key)
		}
		if rt.Perm != auth.PermPublic && rt.Perm != auth.PermSignedIn && op.Responses.Status(http.StatusForbidden) == nil {
			t.Errorf("%s: needs %s but documents no 403", key, rt.Perm)
		}
		hasCSRF := op.Parameters.GetByInAndName(openapi3.ParameterInHeader, CSRFHeader) != nil
		if want := !safeMethod(rt.Method); hasCSRF != want {
			t.Errorf("%s: has the %s header parameter: %v, want %v", key, CSRFHeader, hasCSRF, want)
		}
		if !safeMethod(rt.Method) && op.Responses.Status(http.StatusForbidden) == nil {
			t.Errorf("%s: changes state but documents no 403 (CSRF)", key)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(ops)) {
		if _, ok := routes[key]; !ok {
			t.Errorf("openapi.json has %s, which no route serves", key)
		}
	}
}

// apiCall is one request of TestOpenAPIResponses. Paths and bodies may
// name values saved by earlier calls as ${name}.
type apiCall struct {
	name string
	// as is the credential: "" (the admin's token), "sales" (a sales
	// user's token), "none", "bogus" (an unknown token), "cookie" (the
	// session cookie with its CSRF header) or "cookie-no-csrf".
	as          string
	method      string
	path        string
	contentType string
	body        string
	want        int
	// badRequest marks a request that breaks the document on purpose: its
	// validation must fail, and the response must still match.
	badRequest bool
	// save stores response values for later calls: name → a dotted path
	// into the JSON body.
	save map[string]string
	// before runs before the request.
	before func(t *testing.T)
}

func TestOpenAPIResponses(t *testing.T) { forEachDialect(t, testOpenAPIResponses) }

func testOpenAPIResponses(t *testing.T, dialect string) {
	doc := loadOpenAPI(t)
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatalf("router: %v", err)
	}
	// mux answers which operation the server's ServeMux would pick, to
	// check the validator's router against.
	mux := http.NewServeMux()
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			mux.Handle(method+" "+path, http.NotFoundHandler())
		}
	}

	f := newFixture(t, dialect, nil)
	ctx := t.Context()
	sales, err := f.svc.CreateUser(ctx, service.Actor{Name: "test"}, service.NewUser{Email: "sam@example.com", Name: "Sam", Role: tandem.RoleSales, Password: "sales person password"}, false)
	if err != nil {
		t.Fatal(err)
	}
	_, salesToken, err := f.svc.CreateToken(ctx, service.Actor{Name: "test"}, sales, "sales", 0)
	if err != nil {
		t.Fatal(err)
	}

	vars := map[string]string{}
	expand := func(s string) string {
		return os.Expand(s, func(k string) string {
			v, ok := vars[k]
			if !ok {
				t.Fatalf("no saved value %q", k)
			}
			return v
		})
	}

	// The reports to run are whatever the server lists.
	var list struct {
		Reports []tandem.ReportInfo `json:"reports"`
	}
	if r := f.get(t, "/api/v1/reports"); r.status != http.StatusOK {
		t.Fatalf("GET /api/v1/reports: %d %s", r.status, r.body)
	} else if err := json.Unmarshal(r.body, &list); err != nil || len(list.Reports) == 0 {
		t.Fatalf("GET /api/v1/reports: %v: %s", err, r.body)
	}

	calls := []apiCall{
		{name: "health", as: "none", method: "GET", path: "/healthz", want: 200},
		{name: "openapi", method: "GET", path: "/api/v1/openapi.json", want: 200},
		{name: "me", method: "GET", path: "/api/v1/me", want: 200},
		{name: "me as sales", as: "sales", method: "GET", path: "/api/v1/me", want: 200},
		{name: "overview", method: "GET", path: "/api/v1/overview", want: 200},
		{name: "overview as sales", as: "sales", method: "GET", path: "/api/v1/overview", want: 200},
		{name: "entities", method: "GET", path: "/api/v1/entities", want: 200},
		{name: "reports", method: "GET", path: "/api/v1/reports", want: 200},
		{name: "reports as sales", as: "sales", method: "GET", path: "/api/v1/reports", want: 200},
	}
	for _, ri := range list.Reports {
		calls = append(calls, apiCall{name: "report " + ri.Name, method: "GET", path: "/api/v1/reports/" + ri.Name, want: 200})
	}
	calls = append(calls, []apiCall{
		{name: "report with parameters", method: "GET", path: "/api/v1/reports/winrate?by=quarter&by=account.segment&where=outcome!%3Dopen&from=2023-01-01&to=2025-12-31&as-of=2025-01-01&min-n=1", want: 200},
		{name: "halo by products", method: "GET", path: "/api/v1/reports/halo?items=products&window=all&min-n=1&resamples=200&seed=7", want: 200},
		{name: "deal detail", method: "GET", path: "/api/v1/deals/d1/detail", want: 200},
		{name: "account detail", method: "GET", path: "/api/v1/accounts/a1/detail", want: 200},
		{name: "account detail as sales", as: "sales", method: "GET", path: "/api/v1/accounts/a2/detail", want: 200},
		{name: "feature halo", method: "GET", path: "/api/v1/features/f1/halo", want: 200},
		{name: "feature halo with parameters", method: "GET", path: "/api/v1/features/f1/halo?window=90d&anchor=signup&min-n=1", want: 200},
		{name: "users", method: "GET", path: "/api/v1/users", want: 200},
		{name: "tokens", method: "GET", path: "/api/v1/tokens", want: 200},
		{name: "tokens as sales", as: "sales", method: "GET", path: "/api/v1/tokens", want: 200},
		{name: "audit", method: "GET", path: "/api/v1/audit", want: 200},
		{name: "audit filtered", method: "GET", path: "/api/v1/audit?action=user.&from=2000-01-01&to=2999-12-31&limit=5&offset=0", want: 200},
		{name: "list", method: "GET", path: "/api/v1/accounts", want: 200},
		{name: "list page with filters", method: "GET", path: "/api/v1/accounts?segment=enterprise&attr.tier=gold&limit=1&sort=-name", want: 200},
		{name: "list with duplicates", method: "GET", path: "/api/v1/usage", want: 200},
		{name: "list empty entity", method: "GET", path: "/api/v1/glossary", want: 200},
		{name: "record", method: "GET", path: "/api/v1/accounts/a1", want: 200},
		{name: "record with nulls", method: "GET", path: "/api/v1/accounts/a3", want: 200},
		{name: "record with lists", method: "GET", path: "/api/v1/deals/d1", want: 200},
		{name: "record with escaped id", method: "GET", path: "/api/v1/products/p2%2Fx%20y", want: 200},

		// Glossary.
		{name: "create term", method: "POST", path: "/api/v1/glossary", contentType: "application/json",
			body: `{"name":"Win rate","definition":"won / (won + lost)","formula":"won/(won+lost)","owner":"RevOps"}`, want: 201, save: map[string]string{"term": "id"}},
		{name: "create term again", method: "POST", path: "/api/v1/glossary", contentType: "application/json", body: `{"name":"win-rate"}`, want: 409},
		{name: "create term without name", method: "POST", path: "/api/v1/glossary", contentType: "application/json", body: `{"definition":"x"}`, want: 400, badRequest: true},
		{name: "create term with unknown field", method: "POST", path: "/api/v1/glossary", contentType: "application/json", body: `{"name":"ARR","colour":"red"}`, want: 400, badRequest: true},
		{name: "create term as form", method: "POST", path: "/api/v1/glossary", contentType: "application/x-www-form-urlencoded", body: `name=ARR`, want: 400, badRequest: true},
		{name: "create term too large", method: "POST", path: "/api/v1/glossary", contentType: "application/json",
			body: `{"name":"Big","definition":"` + strings.Repeat("x", DefaultBodyLimit) + `"}`, want: 413, badRequest: true},
		{name: "put term", method: "PUT", path: "/api/v1/glossary/${term}", contentType: "application/json", body: `{"name":"Win rate","definition":"closed deals won"}`, want: 200},
		{name: "put unknown term", method: "PUT", path: "/api/v1/glossary/nope", contentType: "application/json", body: `{"name":"Nope"}`, want: 404},
		{name: "term record", method: "GET", path: "/api/v1/glossary/${term}", want: 200},

		// Users and tokens.
		{name: "create user", method: "POST", path: "/api/v1/users", contentType: "application/json",
			body: `{"email":"Fay@Example.com","name":"Fay","role":"finance","password":"a long enough password"}`, want: 201, save: map[string]string{"user": "id"}},
		{name: "create user again", method: "POST", path: "/api/v1/users", contentType: "application/json",
			body: `{"email":"fay@example.com","name":"Fay","role":"finance","password":"a long enough password"}`, want: 409},
		{name: "create user with unknown role", method: "POST", path: "/api/v1/users", contentType: "application/json",
			body: `{"email":"gus@example.com","name":"Gus","role":"boss","password":"a long enough password"}`, want: 400, badRequest: true},
		{name: "patch user", method: "PATCH", path: "/api/v1/users/${user}", contentType: "application/json", body: `{"name":"Fay F.","role":"cs","disabled":true}`, want: 200},
		{name: "patch unknown user", method: "PATCH", path: "/api/v1/users/nope", contentType: "application/json", body: `{"disabled":false}`, want: 404},
		{name: "demote the last admin", method: "PATCH", path: "/api/v1/users/${admin}", contentType: "application/json", body: `{"role":"sales"}`, want: 409,
			before: func(t *testing.T) {
				u, err := f.svc.UserByEmail(t.Context(), "admin@example.com")
				if err != nil {
					t.Fatal(err)
				}
				vars["admin"] = u.ID
			}},
		{name: "create token", method: "POST", path: "/api/v1/tokens", contentType: "application/json", body: `{"name":"ci","expires_in_days":30}`, want: 201, save: map[string]string{"token": "token.id"}},
		{name: "create token with bad expiry", method: "POST", path: "/api/v1/tokens", contentType: "application/json", body: `{"name":"ci","expires_in_days":-1}`, want: 400, badRequest: true},
		{name: "tokens with one expiring", method: "GET", path: "/api/v1/tokens", want: 200},
		{name: "revoke token", method: "DELETE", path: "/api/v1/tokens/${token}", want: 204},
		{name: "tokens with one revoked", method: "GET", path: "/api/v1/tokens", want: 200},
		{name: "revoke unknown token", method: "DELETE", path: "/api/v1/tokens/nope", want: 404},
		{name: "users after changes", method: "GET", path: "/api/v1/users", want: 200},
		{name: "audit after changes", method: "GET", path: "/api/v1/audit", want: 200},

		// Uploads.
		{name: "upload", method: "POST", path: "/api/v1/uploads?name=accounts.csv", contentType: "text/csv",
			body: "id,name,segment,tier\na9,Wayne,enterprise,gold\na10,Stark,smb,silver\n", want: 201, save: map[string]string{"upload": "id"}},
		{name: "staged upload", method: "GET", path: "/api/v1/uploads/${upload}", want: 200},
		{name: "preview", method: "POST", path: "/api/v1/uploads/${upload}/preview", contentType: "application/json", body: `{"entity":"accounts"}`, want: 200},
		{name: "preview with options", method: "POST", path: "/api/v1/uploads/${upload}/preview", contentType: "application/json",
			body: `{"entity":"accounts","map":[{"canonical":"region","source":"tier"}],"on_duplicate":"last"}`, want: 200},
		{name: "import", method: "POST", path: "/api/v1/uploads/${upload}/import", contentType: "application/json", body: `{}`, want: 200},
		{name: "imported upload is gone", method: "GET", path: "/api/v1/uploads/${upload}", want: 404},
		{name: "upload bad rows as a form", method: "POST", path: "/api/v1/uploads", contentType: "multipart/form-data; boundary=" + formBoundary,
			body: multipartCSV(t, "deals.csv", "id,stage,amount,outcome\nd7,Won,-5,maybe\nd7,Lost,x,lost\n"), want: 201, save: map[string]string{"bad": "id"}},
		{name: "preview bad rows", method: "POST", path: "/api/v1/uploads/${bad}/preview", contentType: "application/json", body: `{"entity":"deals"}`, want: 200},
		{name: "import bad rows", method: "POST", path: "/api/v1/uploads/${bad}/import", contentType: "application/json", body: `{"entity":"deals"}`, want: 400},
		{name: "import with unknown field", method: "POST", path: "/api/v1/uploads/${bad}/import", contentType: "application/json", body: `{"entity":"deals","dry":true}`, want: 400, badRequest: true},
		{name: "empty upload", method: "POST", path: "/api/v1/uploads?name=empty.csv", contentType: "text/csv", body: "", want: 400, badRequest: true},
		{name: "upload as JSON", method: "POST", path: "/api/v1/uploads", contentType: "application/json", body: `{"file":"x"}`, want: 400, badRequest: true},
		{name: "unknown upload", method: "GET", path: "/api/v1/uploads/0123456789abcdef", want: 404},
		{name: "preview unknown upload", method: "POST", path: "/api/v1/uploads/0123456789abcdef/preview", contentType: "application/json", body: `{}`, want: 404},

		// Deal desk (internal/httpapi/desk_test.go walks it on demo data).
		{name: "desk flags", method: "GET", path: "/api/v1/desk/flags", want: 200},
		{name: "desk rules before any", method: "GET", path: "/api/v1/desk/rules", want: 404},
		{name: "desk rules history before any", method: "GET", path: "/api/v1/desk/rules/history", want: 200},
		{name: "apply bad desk rules", method: "PUT", path: "/api/v1/desk/rules", contentType: "application/json",
			body: `{"name":"bad.yaml","source":"version: 1\nrules:\n  - name: x\n    levle: 1\n"}`, want: 400},
		{name: "apply desk rules with unknown field", method: "PUT", path: "/api/v1/desk/rules", contentType: "application/json", body: `{"source":"version: 1","colour":"red"}`, want: 400, badRequest: true},
		{name: "apply desk rules", method: "PUT", path: "/api/v1/desk/rules", contentType: "application/json", body: `{"name":"rules.yaml","source":` + strconv.Quote(openAPIDeskRules) + `,"note":"both sign"}`, want: 200},
		{name: "desk rules", method: "GET", path: "/api/v1/desk/rules", want: 200},
		{name: "desk rules version", method: "GET", path: "/api/v1/desk/rules?version=1", want: 200},
		{name: "desk rules history", method: "GET", path: "/api/v1/desk/rules/history", want: 200},
		{name: "desk settings", method: "GET", path: "/api/v1/desk/settings", want: 200},
		{name: "put desk settings", method: "PUT", path: "/api/v1/desk/settings", contentType: "application/json",
			body: `{"disclosure_months":6,"min_n":30,"max_distance":0.5,"default_max_payment_days":60}`, want: 200},
		{name: "put desk settings out of range", method: "PUT", path: "/api/v1/desk/settings", contentType: "application/json",
			body: `{"disclosure_months":0,"min_n":30,"max_distance":0.5}`, want: 400, badRequest: true},
		{name: "derive archetypes", method: "POST", path: "/api/v1/desk/archetypes/derive", contentType: "application/json", body: `{"min_n":5}`, want: 200},
		{name: "save archetype", method: "PUT", path: "/api/v1/desk/archetypes/gtx%2Fpro", contentType: "application/json",
			body: `{"archetype":{"name":"GTX Pro deals","products":["p1"],"status":"accepted","playbook":{"bands":[{"product":"p1","discount":{"n":0,"p25":0,"median":5,"p75":10},"net_price":{"n":0,"p25":1080,"median":1140,"p75":1200}}],"max_payment_days":45}},"note":"by hand"}`, want: 200},
		{name: "save archetype from a stale version", method: "PUT", path: "/api/v1/desk/archetypes/gtx%2Fpro", contentType: "application/json",
			body: `{"archetype":{"name":"GTX Pro","status":"accepted"}}`, want: 409},
		{name: "archetypes", method: "GET", path: "/api/v1/desk/archetypes", want: 200},
		{name: "archetype versions", method: "GET", path: "/api/v1/desk/archetypes/gtx%2Fpro", want: 200},
		{name: "unknown archetype", method: "GET", path: "/api/v1/desk/archetypes/nope", want: 404},
		{name: "draft quote", method: "GET", path: "/api/v1/desk/deals/d1/draft", want: 200},
		{name: "check deal without quotes", method: "GET", path: "/api/v1/desk/deals/d1/check", want: 200},
		{name: "check a quote", as: "sales", method: "POST", path: "/api/v1/desk/check", contentType: "application/json",
			body: `{"quote":{"deal_id":"d1","payment_terms_days":90,"lines":[{"product":"GTX Pro","quantity":2,"discount":15}]}}`, want: 200},
		{name: "check a deal", method: "POST", path: "/api/v1/desk/check", contentType: "application/json", body: `{"deal_id":"d1"}`, want: 200},
		{name: "check nothing", method: "POST", path: "/api/v1/desk/check", contentType: "application/json", body: `{}`, want: 400},
		{name: "save quote", as: "sales", method: "POST", path: "/api/v1/desk/quotes", contentType: "application/json",
			body: `{"deal_id":"d1","payment_terms_days":90,"lines":[{"product":"p1","quantity":2,"discount":15}],"promises":[{"feature":"SSO","date":"2026-01-15T00:00:00Z"}],"note":"first cut"}`,
			want: 200, save: map[string]string{"quote": "quote.id"}},
		{name: "save quote without lines", as: "sales", method: "POST", path: "/api/v1/desk/quotes", contentType: "application/json", body: `{"deal_id":"d1"}`, want: 400, badRequest: true},
		{name: "deal quotes", method: "GET", path: "/api/v1/desk/deals/d1/quotes", want: 200},
		{name: "check deal with a quote", method: "GET", path: "/api/v1/desk/deals/d1/check", want: 200},
		{name: "quote", method: "GET", path: "/api/v1/desk/quotes/${quote}", want: 200},
		{name: "unknown quote version", method: "GET", path: "/api/v1/desk/quotes/${quote}?version=5", want: 404},
		{name: "acknowledge flag", as: "sales", method: "POST", path: "/api/v1/desk/quotes/${quote}/acks", contentType: "application/json", body: `{"code":"payment-terms","note":"agreed with legal"}`, want: 200},
		{name: "approvals inbox", method: "GET", path: "/api/v1/desk/approvals", want: 200},
		{name: "approvals inbox as sales", as: "sales", method: "GET", path: "/api/v1/desk/approvals", want: 200},
		{name: "every pending approval", method: "GET", path: "/api/v1/desk/approvals?all=1", want: 200},
		{name: "every pending approval as sales", as: "sales", method: "GET", path: "/api/v1/desk/approvals?all=1", want: 403},
		{name: "approve another's step", as: "sales", method: "POST", path: "/api/v1/desk/approvals/${ap0}/approve", contentType: "application/json", body: `{}`, want: 403,
			before: func(t *testing.T) {
				v, err := f.svc.Quote(t.Context(), vars["quote"], 0)
				if err != nil || len(v.Approvals) != 2 {
					t.Fatalf("approvals of %s: %+v %v", vars["quote"], v, err)
				}
				vars["ap0"], vars["ap1"] = v.Approvals[0].ID, v.Approvals[1].ID
			}},
		{name: "approve", method: "POST", path: "/api/v1/desk/approvals/${ap0}/approve", contentType: "application/json", body: `{"reason":"fine"}`, want: 200},
		{name: "approve again", method: "POST", path: "/api/v1/desk/approvals/${ap0}/approve", contentType: "application/json", body: `{}`, want: 409},
		{name: "delegate", method: "POST", path: "/api/v1/desk/approvals/${ap1}/delegate", contentType: "application/json", body: `{"to":"admin@example.com"}`, want: 200},
		{name: "reject without reason", method: "POST", path: "/api/v1/desk/approvals/${ap1}/reject", contentType: "application/json", body: `{}`, want: 400, badRequest: true},
		{name: "reject", method: "POST", path: "/api/v1/desk/approvals/${ap1}/reject", contentType: "application/json", body: `{"reason":"net 90 is too long"}`, want: 200},
		{name: "unknown approval", method: "POST", path: "/api/v1/desk/approvals/nope/approve", contentType: "application/json", body: `{}`, want: 404},
		{name: "set away", as: "sales", method: "PUT", path: "/api/v1/desk/away", contentType: "application/json", body: `{"to":"admin@example.com","until":"2999-01-01T00:00:00Z","note":"on leave"}`, want: 200},
		{name: "escalate", method: "POST", path: "/api/v1/desk/escalate", want: 200},
		{name: "escalate as sales", as: "sales", method: "POST", path: "/api/v1/desk/escalate", want: 403},
		{name: "desk notifications", method: "GET", path: "/api/v1/desk/notifications", want: 200},
		{name: "sales applies desk rules", as: "sales", method: "PUT", path: "/api/v1/desk/rules", contentType: "application/json", body: `{"source":"version: 1"}`, want: 403},

		// Deal reviews: an open pharma deal with a product gap gets one.
		{name: "review triggers", method: "GET", path: "/api/v1/desk/reviews/triggers", want: 200},
		{name: "put review triggers", method: "PUT", path: "/api/v1/desk/reviews/triggers", contentType: "application/json",
			body: `{"min_amount":100000,"verticals":["Pharma"],"strategic":["Acme"],"product_gap":true,"special_request":false,"meeting_days":[15,1]}`, want: 200},
		{name: "put review triggers out of range", method: "PUT", path: "/api/v1/desk/reviews/triggers", contentType: "application/json",
			body: `{"min_amount":-1,"product_gap":true,"special_request":true,"meeting_days":[30]}`, want: 400, badRequest: true},
		{name: "sales changes review triggers", as: "sales", method: "PUT", path: "/api/v1/desk/reviews/triggers", contentType: "application/json",
			body: `{"min_amount":0,"product_gap":true,"special_request":true,"meeting_days":[1]}`, want: 403},
		{name: "scan reviews", method: "POST", path: "/api/v1/desk/reviews/scan", want: 200,
			before: func(t *testing.T) {
				e, err := f.cat.Entity("deals")
				if err != nil {
					t.Fatal(err)
				}
				l, err := f.store.Begin(t.Context())
				if err != nil {
					t.Fatal(err)
				}
				d := record(t, e, map[string]any{"id": "d9", "stage": "Negotiation", "account_id": "a4", "name": "Umbrella lab suite", "amount": 150000.0,
					"created": day(2026, 1, 10), "outcome": "open", "products": []string{"p1"}}, map[string]string{"product_gap": "SSO"}, 0)
				if err := l.Put(t.Context(), e, d); err != nil {
					t.Fatal(err)
				}
				if _, err := l.Commit(t.Context()); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "sales scans reviews", as: "sales", method: "POST", path: "/api/v1/desk/reviews/scan", want: 403},
		{name: "deal review", method: "GET", path: "/api/v1/desk/deals/d9/review", want: 200},
		{name: "update review as sales", as: "sales", method: "PUT", path: "/api/v1/desk/deals/d9/review", contentType: "application/json",
			body: `{"version":1,"product_response":"SSO ships in May","decision":"go","actions":[{"text":"send the SSO timeline","owner":"sam@example.com","due":"2026-03-10T00:00:00Z"}]}`, want: 200},
		{name: "update review from a stale version", method: "PUT", path: "/api/v1/desk/deals/d9/review", contentType: "application/json", body: `{"version":1,"decision":"no"}`, want: 409},
		{name: "update review with an action without owner", method: "PUT", path: "/api/v1/desk/deals/d9/review", contentType: "application/json",
			body: `{"version":2,"actions":[{"text":"x","due":"2026-03-10T00:00:00Z"}]}`, want: 400, badRequest: true},
		{name: "unknown deal review", method: "GET", path: "/api/v1/desk/deals/nope/review", want: 404},
		{name: "review agenda", method: "GET", path: "/api/v1/desk/reviews/agenda?date=2026-03-12", want: 200},
		{name: "review agenda today", as: "sales", method: "GET", path: "/api/v1/desk/reviews/agenda", want: 200},
		{name: "review agenda bad date", method: "GET", path: "/api/v1/desk/reviews/agenda?date=tomorrow", want: 400, badRequest: true},
		{name: "review report", method: "GET", path: "/api/v1/desk/reviews/report", want: 200},
		{name: "review report for a period", method: "GET", path: "/api/v1/desk/reviews/report?from=2024-01-01&to=2024-12-31", want: 200},
		{name: "review report ending before it starts", method: "GET", path: "/api/v1/desk/reviews/report?from=2024-12-31&to=2024-01-01", want: 400},

		// Sessions.
		{name: "sign in with a wrong password", as: "none", method: "POST", path: "/api/v1/session", contentType: "application/json",
			body: `{"email":"admin@example.com","password":"wrong horse battery"}`, want: 401},
		{name: "sign in with a form", as: "none", method: "POST", path: "/api/v1/session", contentType: "application/x-www-form-urlencoded",
			body: `email=admin%40example.com&password=x`, want: 400, badRequest: true},
		{name: "sign in", as: "none", method: "POST", path: "/api/v1/session", contentType: "application/json",
			body: `{"email":"admin@example.com","password":"correct horse battery"}`, want: 200, save: map[string]string{"csrf": "csrf"}},
		{name: "me by cookie", as: "cookie", method: "GET", path: "/api/v1/me", want: 200},
		{name: "write by cookie without CSRF", as: "cookie-no-csrf", method: "POST", path: "/api/v1/glossary", contentType: "application/json", body: `{"name":"ACV"}`, want: 403},
		{name: "write by cookie", as: "cookie", method: "POST", path: "/api/v1/glossary", contentType: "application/json", body: `{"name":"ACV"}`, want: 201},
		{name: "sign out without CSRF", as: "cookie-no-csrf", method: "DELETE", path: "/api/v1/session", want: 403},
		{name: "sign out", as: "cookie", method: "DELETE", path: "/api/v1/session", want: 204},
		{name: "me after sign-out", as: "cookie", method: "GET", path: "/api/v1/me", want: 401},
		{name: "sign out with a token", method: "DELETE", path: "/api/v1/session", want: 204},

		// Errors.
		{name: "unknown entity", method: "GET", path: "/api/v1/widgets", want: 404},
		{name: "unknown entity record", method: "GET", path: "/api/v1/widgets/x", want: 404},
		{name: "unknown record", method: "GET", path: "/api/v1/accounts/nope", want: 404},
		{name: "unknown list parameter", method: "GET", path: "/api/v1/accounts?colour=red", want: 400},
		{name: "repeated filter", method: "GET", path: "/api/v1/accounts?segment=smb&segment=enterprise", want: 400},
		{name: "limit out of range", method: "GET", path: "/api/v1/accounts?limit=0", want: 400, badRequest: true},
		{name: "limit not a number", method: "GET", path: "/api/v1/accounts?limit=ten", want: 400, badRequest: true},
		{name: "unknown report", method: "GET", path: "/api/v1/reports/nope", want: 404},
		{name: "unknown report parameter", method: "GET", path: "/api/v1/reports/winrate?colour=red", want: 400},
		{name: "bad report date", method: "GET", path: "/api/v1/reports/winrate?from=2024-13-01", want: 400, badRequest: true},
		{name: "bad report min-n", method: "GET", path: "/api/v1/reports/winrate?min-n=0", want: 400, badRequest: true},
		{name: "bad report where", method: "GET", path: "/api/v1/reports/winrate?where=segment", want: 400},
		{name: "unknown deal", method: "GET", path: "/api/v1/deals/nope/detail", want: 404},
		{name: "unknown account", method: "GET", path: "/api/v1/accounts/nope/detail", want: 404},
		{name: "unknown feature", method: "GET", path: "/api/v1/features/nope/halo", want: 404},
		{name: "bad halo window", method: "GET", path: "/api/v1/features/f1/halo?window=0", want: 400},
		{name: "unknown audit parameter", method: "GET", path: "/api/v1/audit?colour=red", want: 400},
		{name: "bad audit date", method: "GET", path: "/api/v1/audit?from=yesterday", want: 400},
		{name: "no credential", as: "none", method: "GET", path: "/api/v1/accounts", want: 401, badRequest: true},
		{name: "no credential for me", as: "none", method: "GET", path: "/api/v1/me", want: 401, badRequest: true},
		{name: "unknown token", as: "bogus", method: "GET", path: "/api/v1/accounts", want: 401},
		{name: "revoked token", as: "revoked", method: "GET", path: "/api/v1/me", want: 401},
		{name: "sales lists users", as: "sales", method: "GET", path: "/api/v1/users", want: 403},
		{name: "sales creates a user", as: "sales", method: "POST", path: "/api/v1/users", contentType: "application/json",
			body: `{"email":"x@example.com","name":"X","role":"admin","password":"a long enough password"}`, want: 403},
		{name: "sales patches a user", as: "sales", method: "PATCH", path: "/api/v1/users/${user}", contentType: "application/json", body: `{"role":"admin"}`, want: 403},
		{name: "sales writes the glossary", as: "sales", method: "POST", path: "/api/v1/glossary", contentType: "application/json", body: `{"name":"NRR"}`, want: 403},
		{name: "sales replaces a term", as: "sales", method: "PUT", path: "/api/v1/glossary/${term}", contentType: "application/json", body: `{"name":"Win rate"}`, want: 403},
		{name: "sales reads customer data", as: "sales", method: "GET", path: "/api/v1/usage", want: 403},
		{name: "sales reads a customer record", as: "sales", method: "GET", path: "/api/v1/usage/u1", want: 403},
		{name: "sales runs the churn report", as: "sales", method: "GET", path: "/api/v1/reports/churn", want: 403},
		{name: "sales reads the audit log", as: "sales", method: "GET", path: "/api/v1/audit", want: 403},
		{name: "sales uploads", as: "sales", method: "POST", path: "/api/v1/uploads?name=a.csv", contentType: "text/csv", body: "id,name\na1,Acme\n", want: 403},
		{name: "sales reads an upload", as: "sales", method: "GET", path: "/api/v1/uploads/0123456789abcdef", want: 403},
		{name: "sales previews", as: "sales", method: "POST", path: "/api/v1/uploads/0123456789abcdef/preview", contentType: "application/json", body: `{}`, want: 403},
		{name: "sales imports", as: "sales", method: "POST", path: "/api/v1/uploads/0123456789abcdef/import", contentType: "application/json", body: `{}`, want: 403},
		{name: "sales revokes the admin's token", as: "sales", method: "DELETE", path: "/api/v1/tokens/${admintoken}", want: 404,
			before: func(t *testing.T) {
				ts, err := f.svc.Tokens(t.Context(), vars["admin"])
				if err != nil || len(ts) == 0 {
					t.Fatalf("admin tokens: %v %v", ts, err)
				}
				vars["admintoken"] = ts[0].ID
			}},
	}...)
	// Ten failed sign-ins for one e-mail, then the limit.
	for i := range 10 {
		calls = append(calls, apiCall{name: "failed sign-in " + strconv.Itoa(i+1), as: "none", method: "POST", path: "/api/v1/session", contentType: "application/json",
			body: `{"email":"nobody@example.com","password":"not the password"}`, want: 401})
	}
	calls = append(calls,
		apiCall{name: "rate-limited sign-in", as: "none", method: "POST", path: "/api/v1/session", contentType: "application/json",
			body: `{"email":"nobody@example.com","password":"not the password"}`, want: 429},
		apiCall{name: "health without a store", as: "none", method: "GET", path: "/healthz", want: 503,
			before: func(t *testing.T) {
				if err := f.store.Close(); err != nil {
					t.Fatal(err)
				}
			}},
	)

	// The revoked token is made here so "revoked" has something to send.
	admin, err := f.svc.UserByEmail(ctx, "admin@example.com")
	if err != nil {
		t.Fatal(err)
	}
	revoked, revokedSecret, err := f.svc.CreateToken(ctx, service.Actor{Name: "test"}, admin, "revoked", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.RevokeToken(ctx, service.Actor{Name: "test"}, nil, revoked.ID); err != nil {
		t.Fatal(err)
	}

	reqOpts := &openapi3filter.Options{MultiError: true, AuthenticationFunc: hasCredential}
	respOpts := &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true}
	covered := map[string]bool{}
	ran := 0
	for i, c := range calls {
		t.Run(fmt.Sprintf("%03d %s", i, c.name), func(t *testing.T) {
			ran++
			if c.before != nil {
				c.before(t)
			}
			path, body := expand(c.path), expand(c.body)
			req, err := http.NewRequestWithContext(t.Context(), c.method, f.http.URL+path, strings.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			if c.contentType != "" {
				req.Header.Set("Content-Type", c.contentType)
			}
			switch c.as {
			case "":
				req.Header.Set("Authorization", "Bearer "+f.token)
			case "sales":
				req.Header.Set("Authorization", "Bearer "+salesToken)
			case "bogus":
				req.Header.Set("Authorization", "Bearer tdm_"+strings.Repeat("0", 43))
			case "revoked":
				req.Header.Set("Authorization", "Bearer "+revokedSecret)
			case "cookie", "cookie-no-csrf":
				req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: vars["cookie"]})
				if c.as == "cookie" {
					req.Header.Set(CSRFHeader, vars["csrf"])
				}
			case "none":
			default:
				t.Fatalf("unknown credential %q", c.as)
			}
			resp, err := f.http.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			respBody, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			what := fmt.Sprintf("%s %s → %d", c.method, path, resp.StatusCode)
			if resp.StatusCode != c.want {
				t.Errorf("%s, want %d; body %.500s", what, c.want, respBody)
			}
			for _, ck := range resp.Cookies() {
				if ck.Name == auth.CookieName && ck.Value != "" {
					vars["cookie"] = ck.Value
				}
			}
			if resp.StatusCode < 300 {
				for name, field := range c.save {
					v, err := jsonField(respBody, field)
					if err != nil {
						t.Fatalf("%s: save %s from %s: %v; body %s", what, name, field, err, respBody)
					}
					vars[name] = v
				}
			}

			// Validate the same request and response against the document.
			vreq := httptest.NewRequestWithContext(t.Context(), c.method, path, strings.NewReader(body))
			vreq.Header = req.Header.Clone()
			route, params, err := router.FindRoute(vreq)
			if err != nil {
				t.Fatalf("%s: no operation in openapi.json: %v", what, err)
			}
			if _, pattern := mux.Handler(vreq); pattern != route.Method+" "+route.Path {
				t.Errorf("%s: the validator picked %s %s, the server's ServeMux picks %q", what, route.Method, route.Path, pattern)
			}
			covered[route.Method+" "+route.Path] = true
			in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route, Options: reqOpts}
			reqErr := openapi3filter.ValidateRequest(t.Context(), in)
			switch {
			case c.badRequest && reqErr == nil:
				t.Errorf("%s: the request should break openapi.json but passes", what)
			case !c.badRequest && reqErr != nil:
				t.Errorf("%s: request does not match openapi.json: %s", what, validationError(reqErr))
			}
			out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Options: respOpts}
			out.SetBodyBytes(respBody)
			if err := openapi3filter.ValidateResponse(t.Context(), out); err != nil {
				t.Errorf("%s: response does not match openapi.json: %s\nbody: %.2000s", what, validationError(err), respBody)
			}
		})
	}

	// Every operation was called at least once (when -run left every
	// call in).
	if ran < len(calls) {
		return
	}
	// The modules of openapi_<module>.json fragments each walk their own
	// operations and check that every one was exercised.
	own := fragmentPaths(t)
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !covered[method+" "+path] && !own[path] {
				t.Errorf("no call exercised %s %s", method, path)
			}
		}
	}
}

// fragmentPaths returns the paths the openapi_<module>.json fragments
// define: their modules' tests exercise them.
func fragmentPaths(t *testing.T) map[string]bool {
	t.Helper()
	names, err := fs.Glob(openAPIFiles, "openapi_*.json")
	if err != nil {
		t.Fatal(err)
	}
	own := map[string]bool{}
	for _, name := range names {
		b, err := openAPIFiles.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		var frag struct {
			Paths map[string]json.RawMessage `json:"paths"`
		}
		if err := json.Unmarshal(b, &frag); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for p := range frag.Paths {
			own[p] = true
		}
	}
	return own
}

// hasCredential is the validator's authentication: a security scheme is
// satisfied when the request carries its credential (the server checks
// whether it is valid).
func hasCredential(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	r := in.RequestValidationInput.Request
	switch in.SecuritySchemeName {
	case "bearer":
		if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer "+auth.TokenPrefix) {
			return nil
		}
	case "cookie":
		if c, err := r.Cookie(auth.CookieName); err == nil && c.Value != "" {
			return nil
		}
	}
	return fmt.Errorf("no %s credential", in.SecuritySchemeName)
}

// validationError renders a validation error with every cause on its own
// line.
func validationError(err error) string {
	var me openapi3.MultiError
	if errors.As(err, &me) {
		lines := make([]string, 0, len(me))
		for _, e := range me {
			lines = append(lines, "  "+validationError(e))
		}
		return "\n" + strings.Join(lines, "\n")
	}
	return err.Error()
}

// jsonField returns the string at a dotted path of a JSON object.
func jsonField(body []byte, path string) (string, error) {
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return "", err
	}
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return "", fmt.Errorf("no object at %s", k)
		}
		v = m[k]
	}
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s is %T, not a string", path, v)
	}
	return s, nil
}

// formBoundary is the multipart boundary of multipartCSV's bodies.
const formBoundary = "tandem-openapi-test-boundary"

// multipartCSV returns a multipart form body with a "file" part holding a
// CSV file.
func multipartCSV(t *testing.T, name, content string) string {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if err := w.SetBoundary(formBoundary); err != nil {
		t.Fatal(err)
	}
	part, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(part, content); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestOpenAPIServed checks that the server answers with the embedded
// document.
func TestOpenAPIServed(t *testing.T) {
	f := newFixture(t, "sqlite", nil)
	r := f.get(t, "/api/v1/openapi.json")
	if r.status != http.StatusOK || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, Content-Type %q", r.status, r.header.Get("Content-Type"))
	}
	merged, err := openAPIDocument()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(r.body, merged) {
		t.Error("the served document differs from openapi.json")
	}
}

// openAPIDeskRules is the rule set of TestOpenAPIResponses: a discount over
// 10% needs the admin and the sales user, both.
const openAPIDeskRules = `version: 1
rules:
  - name: discount-over-10
    level: 1
    when: {field: quote.discount, op: ">", value: 10}
    approvers: {mode: parallel-all, steps: [{user: admin@example.com}, {user: sam@example.com}]}
`
