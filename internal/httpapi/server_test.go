package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/service"
)

// day returns midnight UTC of a date.
func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

// seedRow is one record of the test data, with values by column name;
// columns not named are nil.
type seedRow struct {
	entity string
	values map[string]any
	attrs  map[string]string
	dup    int
}

// seed is the data every HTTP test starts from, in catalog import order.
var seed = []seedRow{
	{"accounts", map[string]any{"id": "a1", "name": "Acme", "industry": "manufacturing", "segment": "enterprise", "employees": int64(5000), "revenue": 1.5e6, "region": "EMEA", "created": day(2023, 1, 15)}, map[string]string{"tier": "gold"}, 0},
	{"accounts", map[string]any{"id": "a2", "name": "Globex", "industry": "software", "segment": "smb", "employees": int64(40), "revenue": 200000.5, "region": "NA", "parent_id": "a1", "created": time.Date(2023, 6, 1, 10, 30, 0, 0, time.UTC)}, map[string]string{"tier": "silver", "note": "<b>&</b>"}, 0},
	{"accounts", map[string]any{"id": "a3", "name": "Initech", "industry": "software", "segment": "smb"}, nil, 0},
	{"accounts", map[string]any{"id": "a4", "name": "Umbrella", "industry": "pharma", "segment": "enterprise", "employees": int64(90000), "revenue": 3e9, "region": "APAC", "created": day(2022, 3, 1)}, map[string]string{"tier": "gold"}, 0},
	{"accounts", map[string]any{"id": "a5", "name": "Hooli", "industry": "software", "segment": "mid-market", "employees": int64(700), "revenue": 5e7, "region": "NA", "created": day(2021, 11, 30)}, nil, 0},
	{"products", map[string]any{"id": "p1", "name": "GTX Pro", "class": "new", "price": 1200.0, "series": "GTX", "aliases": []string{"GTXPro", "gtx-pro"}}, nil, 0},
	{"products", map[string]any{"id": "p2/x y", "name": "Core", "class": "core", "price": 99.5}, nil, 0},
	{"features", map[string]any{"id": "f1", "name": "SSO", "product_id": "p1", "status": "ga", "horizon": "H1", "released_at": day(2024, 2, 1)}, nil, 0},
	{"deals", map[string]any{"id": "d1", "stage": "Closed Won", "account_id": "a1", "name": "Acme <renewal> & more", "amount": 25000.0, "currency": "EUR",
		"created": day(2024, 1, 10), "closed": day(2024, 3, 5), "outcome": "won", "type": "renewal",
		"products": []string{"p1", "p2/x y"}, "features": []string{"f1"}, "competitors": []string{"Initrode"}}, nil, 0},
	{"usage", map[string]any{"id": "u1", "account_id": "a1", "feature_id": "f1", "at": day(2024, 3, 1), "user_id": "alice", "count": 3.0}, nil, 0},
	{"usage", map[string]any{"id": "u1", "account_id": "a1", "feature_id": "f1", "at": day(2024, 3, 1), "user_id": "alice", "count": 4.0}, nil, 1},
}

// record builds a record of e with values in catalog column order. Naming a
// column the catalog lacks fails the test, so fixtures follow catalog edits.
func record(t *testing.T, e *tandem.Entity, values map[string]any, attrs map[string]string, dup int) tandem.Record {
	t.Helper()
	r := tandem.Record{Values: make([]any, len(e.Columns)), Attrs: attrs, Dup: dup}
	for name, v := range values {
		_, i := e.Column(name)
		if i < 0 {
			t.Fatalf("entity %s has no column %q", e.Name, name)
		}
		r.Values[i] = v
	}
	return r
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitFor polls the log until it contains s; the access log is written after
// the response, so it may lag the client by a moment.
func (b *syncBuffer) waitFor(t *testing.T, s string) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		log := b.String()
		if strings.Contains(log, s) {
			return log
		}
		if time.Now().After(deadline) {
			t.Fatalf("log never contained %q; log:\n%s", s, log)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fixture is a Server over a seeded store behind a real HTTP listener.
type fixture struct {
	cat   *tandem.Catalog
	store tandem.Store
	svc   *service.Service
	srv   *Server
	http  *httptest.Server
	logs  *syncBuffer
	// token is an admin's API token, sent by get unless the request names
	// its own Authorization header.
	token string
}

// forEachDialect runs test once per store backend under test: SQLite
// always, PostgreSQL when testdb says so.
func forEachDialect(t *testing.T, test func(t *testing.T, dialect string)) {
	for _, d := range dialects(t) {
		t.Run(d, func(t *testing.T) { test(t, d) })
	}
}

// newFixture seeds a fresh store of the dialect and serves it. wrap, when not nil, wraps the store
// the server sees (to inject panics or delays).
func newFixture(t *testing.T, dialect string, wrap func(tandem.Store) tandem.Store) *fixture {
	t.Helper()
	ctx := t.Context()
	cat := tandem.NewCatalog()
	store := openStore(t, dialect, cat)
	ld, err := store.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range seed {
		e, err := cat.Entity(s.entity)
		if err != nil {
			t.Fatal(err)
		}
		if err := ld.Put(ctx, e, record(t, e, s.values, s.attrs, s.dup)); err != nil {
			t.Fatalf("put %s %v: %v", s.entity, s.values["id"], err)
		}
	}
	if _, err := ld.Commit(ctx); err != nil {
		t.Fatalf("commit: %v", err)
	}
	f := &fixture{cat: cat, store: store, logs: &syncBuffer{}}
	served := store
	if wrap != nil {
		served = wrap(store)
	}
	logger := slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	f.svc = service.New(served, cat, analytics.New(served, cat, nil), t.TempDir(), nil)
	admin, err := f.svc.CreateUser(ctx, service.Actor{Name: "test"}, service.NewUser{Email: "admin@example.com", Name: "Admin", Role: tandem.RoleAdmin, Password: "correct horse battery"}, true)
	if err != nil {
		t.Fatalf("create admin: %v", err)
	}
	if _, f.token, err = f.svc.CreateToken(ctx, service.Actor{Name: "test"}, admin, "tests", 0); err != nil {
		t.Fatalf("create token: %v", err)
	}
	f.srv = New(Config{Service: f.svc, Sessions: auth.NewManager(served, false, nil), Logger: logger, Version: "v1.2.3-test"})
	f.http = httptest.NewServer(f.srv.Handler())
	t.Cleanup(f.http.Close)
	return f
}

// response is what a test needs of an HTTP response.
type response struct {
	status int
	header http.Header
	body   []byte
}

// get requests path from the fixture's server with optional headers given
// as name, value pairs.
func (f *fixture) get(t *testing.T, path string, headers ...string) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, f.http.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+f.token)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := f.http.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: body}
}

// decodeStrict decodes a JSON body into v, rejecting unknown fields and
// trailing data.
func decodeStrict(t *testing.T, body []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	if dec.More() {
		t.Fatalf("trailing data after JSON: %s", body)
	}
}

// checkError asserts the JSON error shape: status, content type, exactly
// the fields code and message, and message fragments.
func checkError(t *testing.T, r response, status int, code string, inMessage ...string) {
	t.Helper()
	if r.status != status {
		t.Errorf("status = %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	var e struct {
		Code    *string `json:"code"`
		Message *string `json:"message"`
	}
	decodeStrict(t, r.body, &e)
	if e.Code == nil || e.Message == nil {
		t.Fatalf("error body %s lacks code or message", r.body)
	}
	if *e.Code != code {
		t.Errorf("code = %q, want %q", *e.Code, code)
	}
	for _, s := range inMessage {
		if !strings.Contains(*e.Message, s) {
			t.Errorf("message %q does not contain %q", *e.Message, s)
		}
	}
}

// listBody is the body of a list response.
type listBody struct {
	Entity  string           `json:"entity"`
	Total   int              `json:"total"`
	Limit   int              `json:"limit"`
	Offset  int              `json:"offset"`
	Next    string           `json:"next"`
	Records []map[string]any `json:"records"`
}

func TestList(t *testing.T) { forEachDialect(t, testList) }

func testList(t *testing.T, dialect string) {
	f := newFixture(t, dialect, nil)
	tests := []struct {
		name      string
		path      string
		wantIDs   []string
		wantTotal int
		wantLimit int
		wantOff   int
		wantNext  string
	}{
		{"all", "/api/v1/accounts", []string{"a1", "a2", "a3", "a4", "a5"}, 5, 100, 0, ""},
		{"first page", "/api/v1/accounts?limit=2", []string{"a1", "a2"}, 5, 2, 0, "/api/v1/accounts?limit=2&offset=2"},
		{"middle page", "/api/v1/accounts?limit=2&offset=2", []string{"a3", "a4"}, 5, 2, 2, "/api/v1/accounts?limit=2&offset=4"},
		{"last page", "/api/v1/accounts?limit=2&offset=4", []string{"a5"}, 5, 2, 4, ""},
		{"past the end", "/api/v1/accounts?offset=10", []string{}, 5, 100, 10, ""},
		{"column filter", "/api/v1/accounts?segment=smb", []string{"a2", "a3"}, 2, 100, 0, ""},
		{"two filters", "/api/v1/accounts?industry=software&region=NA", []string{"a2", "a5"}, 2, 100, 0, ""},
		{"filter and page", "/api/v1/accounts?segment=enterprise&limit=1", []string{"a1"}, 2, 1, 0, "/api/v1/accounts?limit=1&offset=1&segment=enterprise"},
		{"attr filter", "/api/v1/accounts?attr.tier=gold", []string{"a1", "a4"}, 2, 100, 0, ""},
		{"attr and column filter", "/api/v1/accounts?attr.tier=gold&region=APAC", []string{"a4"}, 1, 100, 0, ""},
		{"no match", "/api/v1/accounts?region=Nowhere", []string{}, 0, 100, 0, ""},
		{"id filter", "/api/v1/accounts?id=a3", []string{"a3"}, 1, 100, 0, ""},
		{"escaped value", "/api/v1/accounts?segment=mid-market&name=" + url.QueryEscape("Hooli"), []string{"a5"}, 1, 100, 0, ""},
		{"max limit", "/api/v1/products?limit=10000", []string{"p1", "p2/x y"}, 2, 10000, 0, ""},
		{"duplicates kept", "/api/v1/usage", []string{"u1", "u1"}, 2, 100, 0, ""},
		{"list column value", "/api/v1/deals?outcome=won&currency=EUR", []string{"d1"}, 1, 100, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.get(t, tt.path)
			if r.status != http.StatusOK {
				t.Fatalf("status = %d; body %s", r.status, r.body)
			}
			if ct := r.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			var got listBody
			decodeStrict(t, r.body, &got)
			if got.Records == nil {
				t.Errorf("records is null, want an array: %s", r.body)
			}
			ids := []string{}
			for _, rec := range got.Records {
				id, _ := rec["id"].(string)
				ids = append(ids, id)
			}
			wantEntity := strings.TrimPrefix(strings.SplitN(tt.path, "?", 2)[0], "/api/v1/")
			if got.Entity != wantEntity || got.Total != tt.wantTotal || got.Limit != tt.wantLimit || got.Offset != tt.wantOff || got.Next != tt.wantNext || !slices.Equal(ids, tt.wantIDs) {
				t.Errorf("got entity %q total %d limit %d offset %d next %q ids %v\nwant entity %q total %d limit %d offset %d next %q ids %v",
					got.Entity, got.Total, got.Limit, got.Offset, got.Next, ids,
					wantEntity, tt.wantTotal, tt.wantLimit, tt.wantOff, tt.wantNext, tt.wantIDs)
			}
		})
	}
}

// TestListDup checks that repeated ids kept with keep-all carry "dup".
func TestListDup(t *testing.T) { forEachDialect(t, testListDup) }

func testListDup(t *testing.T, dialect string) {
	f := newFixture(t, dialect, nil)
	r := f.get(t, "/api/v1/usage")
	var got listBody
	decodeStrict(t, r.body, &got)
	if len(got.Records) != 2 {
		t.Fatalf("got %d records, want 2: %s", len(got.Records), r.body)
	}
	if _, ok := got.Records[0]["dup"]; ok {
		t.Errorf("first occurrence has dup: %v", got.Records[0])
	}
	if got.Records[1]["dup"] != 1.0 || got.Records[1]["count"] != 4.0 {
		t.Errorf("second occurrence = %v, want dup 1 and count 4", got.Records[1])
	}
}

// TestListFollowNext walks every page through the next links and must see
// each matching record exactly once.
func TestListFollowNext(t *testing.T) { forEachDialect(t, testListFollowNext) }

func testListFollowNext(t *testing.T, dialect string) {
	f := newFixture(t, dialect, nil)
	var ids []string
	path := "/api/v1/accounts?limit=2&industry=software"
	for pages := 0; path != ""; pages++ {
		if pages > 5 {
			t.Fatal("next links do not end")
		}
		r := f.get(t, path)
		if r.status != http.StatusOK {
			t.Fatalf("GET %s: status %d; body %s", path, r.status, r.body)
		}
		var got listBody
		decodeStrict(t, r.body, &got)
		for _, rec := range got.Records {
			ids = append(ids, rec["id"].(string))
		}
		path = got.Next
	}
	if want := []string{"a2", "a3", "a5"}; !slices.Equal(ids, want) {
		t.Errorf("ids over all pages = %v, want %v", ids, want)
	}
}

func TestListInvalid(t *testing.T) {
	f := newFixture(t, "sqlite", nil)
	tests := []struct {
		name      string
		path      string
		inMessage []string
	}{
		{"unknown parameter", "/api/v1/accounts?colour=red", []string{`"colour"`, "accounts", "segment"}},
		{"several unknown", "/api/v1/accounts?zeta=1&alpha=2&segment=smb", []string{`"alpha", "zeta"`}},
		{"column of another entity", "/api/v1/accounts?stage=won", []string{`"stage"`}},
		{"empty attr name", "/api/v1/accounts?attr.=x", []string{`"attr."`}},
		{"repeated filter", "/api/v1/accounts?segment=smb&segment=enterprise", []string{`"segment"`, "2 times"}},
		{"zero limit", "/api/v1/accounts?limit=0", []string{"limit", "10000"}},
		{"limit too large", "/api/v1/accounts?limit=10001", []string{"limit", "10000"}},
		{"limit not a number", "/api/v1/accounts?limit=ten", []string{"limit", `"ten"`}},
		{"negative offset", "/api/v1/accounts?offset=-1", []string{"offset"}},
		{"malformed query", "/api/v1/accounts?segment=%zz", []string{"malformed query"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkError(t, f.get(t, tt.path), http.StatusBadRequest, tandem.EINVALID, tt.inMessage...)
		})
	}
}

// objectKeys returns the keys of a JSON object in the order written.
func objectKeys(t *testing.T, body []byte) []string {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("body is not a JSON object: %s", body)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

func TestGet(t *testing.T) { forEachDialect(t, testGet) }

func testGet(t *testing.T, dialect string) {
	f := newFixture(t, dialect, nil)
	tests := []struct {
		name   string
		entity string
		id     string
		want   map[string]any // as decoded from JSON; columns left out must be null
		raw    []string       // fragments of the raw body
	}{
		{"all kinds and attrs", "accounts", "a1",
			map[string]any{"id": "a1", "name": "Acme", "industry": "manufacturing", "segment": "enterprise", "employees": 5000.0, "revenue": 1.5e6, "region": "EMEA", "created": "2023-01-15", "attrs": map[string]any{"tier": "gold"}},
			[]string{`"employees":5000,`, `"revenue":1500000,`, `"parent_id":null`}},
		{"time of day, fraction, HTML in attrs", "accounts", "a2",
			map[string]any{"id": "a2", "name": "Globex", "industry": "software", "segment": "smb", "employees": 40.0, "revenue": 200000.5, "region": "NA", "parent_id": "a1", "created": "2023-06-01T10:30:00Z", "attrs": map[string]any{"note": "<b>&</b>", "tier": "silver"}},
			[]string{`"created":"2023-06-01T10:30:00Z"`, `"attrs":{"note":"<b>&</b>","tier":"silver"}`}},
		{"nulls and no attrs", "accounts", "a3",
			map[string]any{"id": "a3", "name": "Initech", "industry": "software", "segment": "smb"}, nil},
		{"lists", "deals", "d1",
			map[string]any{"id": "d1", "stage": "Closed Won", "account_id": "a1", "name": "Acme <renewal> & more", "amount": 25000.0, "currency": "EUR",
				"created": "2024-01-10", "closed": "2024-03-05", "outcome": "won", "type": "renewal",
				"products": []any{"p1", "p2/x y"}, "features": []any{"f1"}, "loss_reasons": []any{}, "competitors": []any{"Initrode"}},
			[]string{`"name":"Acme <renewal> & more"`, `"products":["p1","p2/x y"]`}},
		{"id with slash and space", "products", "p2/x y",
			map[string]any{"id": "p2/x y", "name": "Core", "class": "core", "price": 99.5, "aliases": []any{}}, nil},
		{"first of duplicates", "usage", "u1",
			map[string]any{"id": "u1", "account_id": "a1", "feature_id": "f1", "at": "2024-03-01", "user_id": "alice", "count": 3.0}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := f.cat.Entity(tt.entity)
			if err != nil {
				t.Fatal(err)
			}
			r := f.get(t, "/api/v1/"+tt.entity+"/"+url.PathEscape(tt.id))
			if r.status != http.StatusOK {
				t.Fatalf("status = %d; body %s", r.status, r.body)
			}
			wantKeys := e.ColumnNames()
			if _, ok := tt.want["attrs"]; ok {
				wantKeys = append(wantKeys, "attrs")
			}
			if keys := objectKeys(t, r.body); !slices.Equal(keys, wantKeys) {
				t.Errorf("keys = %v\nwant catalog order %v", keys, wantKeys)
			}
			var got map[string]any
			decodeStrict(t, r.body, &got)
			for _, k := range wantKeys {
				if !reflect.DeepEqual(got[k], tt.want[k]) {
					t.Errorf("%s = %#v, want %#v", k, got[k], tt.want[k])
				}
			}
			for _, s := range tt.raw {
				if !bytes.Contains(r.body, []byte(s)) {
					t.Errorf("body lacks %s: %s", s, r.body)
				}
			}
		})
	}
}

func TestNotFound(t *testing.T) { forEachDialect(t, testNotFound) }

func testNotFound(t *testing.T, dialect string) {
	f := newFixture(t, dialect, nil)
	tests := []struct {
		name      string
		path      string
		inMessage []string
	}{
		{"unknown id", "/api/v1/accounts/nope", nil},
		{"unknown entity list", "/api/v1/widgets", []string{`"widgets"`, "accounts", "deals", "glossary"}},
		{"unknown entity get", "/api/v1/widgets/a1", []string{`"widgets"`, "accounts"}},
		{"unknown entity with filters", "/api/v1/widgets?colour=red", []string{`"widgets"`}},
		{"no such API path", "/api/v2/accounts", []string{"/api/v2/accounts"}},
		{"too deep", "/api/v1/accounts/a1/deals", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkError(t, f.get(t, tt.path), http.StatusNotFound, tandem.ENOTFOUND, tt.inMessage...)
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	f := newFixture(t, "sqlite", nil)
	resp, err := f.http.Client().Post(f.http.URL+"/api/v1/accounts", "application/json", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST status = %d, want 405", resp.StatusCode)
	}
}

func TestHealthz(t *testing.T) { forEachDialect(t, testHealthz) }

func testHealthz(t *testing.T, dialect string) {
	f := newFixture(t, dialect, nil)
	r := f.get(t, "/healthz")
	if r.status != http.StatusOK {
		t.Fatalf("status = %d; body %s", r.status, r.body)
	}
	var h health
	decodeStrict(t, r.body, &h)
	if h != (health{Status: "ok", Dialect: dialect}) {
		t.Errorf("healthz = %+v", h)
	}

	// A store that cannot answer makes the check fail.
	if err := f.store.Close(); err != nil {
		t.Fatal(err)
	}
	r = f.get(t, "/healthz")
	if r.status != http.StatusServiceUnavailable {
		t.Fatalf("status after close = %d, want 503; body %s", r.status, r.body)
	}
	decodeStrict(t, r.body, &h)
	if h.Status != "unavailable" {
		t.Errorf("status field = %q, want unavailable", h.Status)
	}
	f.logs.waitFor(t, "health check failed")
}

func TestEntities(t *testing.T) { forEachDialect(t, testEntities) }

func testEntities(t *testing.T, dialect string) {
	f := newFixture(t, dialect, nil)
	r := f.get(t, "/api/v1/entities")
	if r.status != http.StatusOK {
		t.Fatalf("status = %d; body %s", r.status, r.body)
	}
	var got struct {
		Entities []entityInfo `json:"entities"`
	}
	decodeStrict(t, r.body, &got)
	var names []string
	byName := map[string]entityInfo{}
	for _, e := range got.Entities {
		names = append(names, e.Name)
		byName[e.Name] = e
	}
	if want := f.cat.Names(); !slices.Equal(names, want) {
		t.Fatalf("entities = %v, want catalog order %v", names, want)
	}
	counts := map[string]int{"accounts": 5, "products": 2, "features": 1, "deals": 1, "usage": 2, "reps": 0, "glossary": 0}
	for name, n := range counts {
		if c := byName[name].Count; c != n {
			t.Errorf("%s count = %d, want %d", name, c, n)
		}
	}
	deals := byName["deals"]
	if deals.Doc == "" || deals.URL != "/api/v1/deals" {
		t.Errorf("deals doc %q url %q", deals.Doc, deals.URL)
	}
	dealEntity, err := f.cat.Entity("deals")
	if err != nil {
		t.Fatal(err)
	}
	if len(deals.Columns) != len(dealEntity.Columns) {
		t.Errorf("deals has %d columns", len(deals.Columns))
	}
	cols := map[string]columnInfo{}
	for _, c := range deals.Columns {
		cols[c.Name] = c
	}
	wantCols := []columnInfo{
		{Name: "id", Kind: "text", Required: true, Doc: "unique identifier"},
		{Name: "stage", Kind: "text", Required: true, Doc: "pipeline stage as the CRM names it"},
		{Name: "products", Kind: "list", Ref: "products", Doc: "products in the deal"},
		{Name: "outcome", Kind: "enum", Enum: []string{"won", "lost", "open"}, Doc: "one of won, lost, open"},
		{Name: "amount", Kind: "number", Doc: "deal amount in its currency"},
		{Name: "closed", Kind: "date", Doc: "when the deal closed (or is expected to)"},
	}
	for _, w := range wantCols {
		c := cols[w.Name]
		if c.Name != w.Name || c.Kind != w.Kind || c.Required != w.Required || c.Ref != w.Ref || !slices.Equal(c.Enum, w.Enum) || c.Doc != w.Doc {
			t.Errorf("column %s = %+v, want %+v", w.Name, c, w)
		}
	}
}

// panicStore panics in List, like a bug deep in a handler would.
type panicStore struct{ tandem.Store }

func (panicStore) List(context.Context, string, tandem.Query) (tandem.Page, error) {
	panic("boom: password=hunter2 leaked in panic text")
}

func TestPanicRecovery(t *testing.T) {
	f := newFixture(t, "sqlite", func(s tandem.Store) tandem.Store { return panicStore{s} })
	r := f.get(t, "/api/v1/accounts")
	checkError(t, r, http.StatusInternalServerError, tandem.EINTERNAL)
	if strings.Contains(string(r.body), "boom") || strings.Contains(string(r.body), "hunter2") {
		t.Errorf("response leaks the panic: %s", r.body)
	}
	if got := strings.TrimSpace(string(r.body)); got != `{"code":"internal","message":"internal error"}` {
		t.Errorf("body = %s", got)
	}
	// The panic and its stack are in the log, and the access log has the 500.
	log := f.logs.waitFor(t, `"status":500`)
	if !strings.Contains(log, "boom") || !strings.Contains(log, "goroutine") {
		t.Errorf("log lacks the panic details:\n%s", log)
	}
	// The server keeps serving.
	if r := f.get(t, "/api/v1/accounts/a1"); r.status != http.StatusOK {
		t.Errorf("after the panic, status = %d", r.status)
	}
}

func TestAccessLog(t *testing.T) {
	f := newFixture(t, "sqlite", nil)
	tests := []struct {
		name       string
		path       string
		headers    []string
		wantStatus int
		wantInLog  []string
		secrets    []string
	}{
		{
			name:       "secret query values",
			path:       "/api/v1/accounts?segment=smb&token=s3cr3t-tok&password=hunter2&client_secret=shh-42&Api_Key=k-999",
			headers:    []string{"Authorization", "Bearer tdm_bearer-xyz-123", "Cookie", "session=cookie-777"},
			wantStatus: http.StatusUnauthorized,
			wantInLog:  []string{`"path":"/api/v1/accounts"`, "segment=smb", "token=REDACTED", `"status":401`, `"method":"GET"`},
			secrets:    []string{"s3cr3t-tok", "hunter2", "shh-42", "k-999", "bearer-xyz-123", "cookie-777", "Bearer"},
		},
		{
			name:       "success",
			path:       "/api/v1/accounts/a1",
			wantStatus: http.StatusOK,
			wantInLog:  []string{`"path":"/api/v1/accounts/a1"`, `"status":200`, `"remote":"127.0.0.1:`, `"duration":`, `"bytes":`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.get(t, tt.path, tt.headers...)
			if r.status != tt.wantStatus {
				t.Fatalf("status = %d, want %d; body %s", r.status, tt.wantStatus, r.body)
			}
			path := strings.SplitN(tt.path, "?", 2)[0]
			log := f.logs.waitFor(t, `"path":"`+path+`"`)
			var line string
			for l := range strings.Lines(log) {
				if strings.Contains(l, `"msg":"http request"`) && strings.Contains(l, `"path":"`+path+`"`) {
					line = l
				}
			}
			if line == "" {
				t.Fatalf("no access-log line for %s in:\n%s", path, log)
			}
			for _, w := range tt.wantInLog {
				if !strings.Contains(line, w) {
					t.Errorf("access log line lacks %q: %s", w, line)
				}
			}
			if !strings.Contains(line, `"bytes":`+itoa(len(r.body))) {
				t.Errorf("access log line lacks bytes %d: %s", len(r.body), line)
			}
			for _, s := range tt.secrets {
				if strings.Contains(log, s) {
					t.Errorf("log contains secret %q:\n%s", s, log)
				}
			}
		})
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestRedactQuery(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"", ""},
		{"segment=smb&limit=2", "limit=2&segment=smb"},
		{"token=abc", "token=REDACTED"},
		{"access_token=abc&PASSWORD=x&x-api-key=y", "PASSWORD=REDACTED&access_token=REDACTED&x-api-key=y"},
		{"apikey=1&auth=2&client_secret=3&sessionid=4", "apikey=REDACTED&auth=REDACTED&client_secret=REDACTED&sessionid=REDACTED"},
		{"token=a&token=b", "token=REDACTED&token=REDACTED"},
		{"token=abc&bad=%zz", "(unparsable)"},
	}
	for _, tt := range tests {
		if got := redactQuery(tt.raw); got != tt.want {
			t.Errorf("redactQuery(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}
