package importer_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/importer"
	"github.com/tandemhq/tandem/internal/sqldb"
	"github.com/tandemhq/tandem/internal/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/internal/testdb"
)

// fixture is a store with an importer over it.
type fixture struct {
	t   *testing.T
	db  *sqldb.DB
	im  *importer.Importer
	cat *tandem.Catalog
}

func newFixture(t *testing.T, dialect string) *fixture {
	cat := tandem.NewCatalog()
	db := sqldbtest.Open(t, dialect, cat)
	return &fixture{t: t, db: db, im: &importer.Importer{Store: db, Catalog: cat}, cat: cat}
}

// load imports content (or a testdata file when content starts with "@").
func (f *fixture) load(entity, content string, opt importer.Options) (*importer.Summary, error) {
	f.t.Helper()
	path := strings.TrimPrefix(content, "@")
	if !strings.HasPrefix(content, "@") {
		path = filepath.Join(f.t.TempDir(), entity+".csv")
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			f.t.Fatal(err)
		}
	}
	return f.im.ImportFile(context.Background(), entity, path, opt)
}

func (f *fixture) mustLoad(entity, content string, opt importer.Options) *importer.Summary {
	f.t.Helper()
	s, err := f.load(entity, content, opt)
	if err != nil {
		if s != nil {
			for _, e := range s.Errors {
				f.t.Log(e.String())
			}
		}
		f.t.Fatalf("import %s: %v", entity, err)
	}
	return s
}

func (f *fixture) count(entity string) int {
	f.t.Helper()
	n, err := f.db.Count(context.Background(), entity)
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fixture) get(entity, id string) tandem.Record {
	f.t.Helper()
	r, err := f.db.Get(context.Background(), entity, id)
	if err != nil {
		f.t.Fatalf("get %s %s: %v", entity, id, err)
	}
	return r
}

func (f *fixture) value(entity string, r tandem.Record, col string) string {
	e, _ := f.cat.Entity(entity)
	_, i := e.Column(col)
	return tandem.FormatValue(r.Values[i])
}

func (f *fixture) dump() string {
	f.t.Helper()
	d, err := f.db.Dump(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return d
}

func forEachDialect(t *testing.T, fn func(t *testing.T, f *fixture)) {
	for _, d := range testdb.Dialects(t) {
		t.Run(d, func(t *testing.T) { fn(t, newFixture(t, d)) })
	}
}

const accountsCSV = "id,name,industry,segment\nA1,Acme,Software,enterprise\nA2,Globex,Energy,SMB\n"

func TestBadInputWritesNothing(t *testing.T) {
	tests := []struct {
		name    string
		entity  string
		content string
		opt     importer.Options
		// want lists substrings of "line N: column C: reason" that must all appear.
		want []string
	}{
		{"empty file", "deals", "", importer.Options{}, []string{"empty"}},
		{"header only is fine but BOM+nothing", "deals", "\xEF\xBB\xBF", importer.Options{}, []string{"empty"}},
		{"utf16", "deals", "\xFF\xFEi\x00d\x00", importer.Options{}, []string{"UTF-16"}},
		{"ragged row", "deals", "id,stage,amount\nD1,Won,10\nD2,Won\nD3,Lost,5,extra\n", importer.Options{},
			[]string{"line 3: row has 2 fields, the header has 3", "line 4: row has 4 fields"}},
		{"bad quotes", "deals", "id,stage,amount\nD1,\"Won,10\n", importer.Options{}, []string{"malformed CSV"}},
		{"bare quote", "deals", "id,stage,amount\nD1,Wo\"n,10\nD2,Won,3\n", importer.Options{}, []string{"line 2", "malformed CSV"}},
		{"negative amount", "deals", "id,stage,amount\nD1,Won,-10\n", importer.Options{}, []string{"line 2: column amount: amount must not be negative"}},
		{"non-numeric amount", "deals", "id,stage,amount\nD1,Won,ten\n", importer.Options{}, []string{"line 2: column amount: cannot read \"ten\" as a number"}},
		{"impossible date", "deals", "id,stage,created\nD1,Won,2024-02-30\n", importer.Options{}, []string{"line 2: column created: impossible date"}},
		{"ambiguous date", "deals", "id,stage,created\nD1,Won,03/04/2024\n", importer.Options{}, []string{"--date-format"}},
		{"missing required value", "deals", "id,stage\nD1,\n", importer.Options{}, []string{"line 2: column stage: required column stage is empty"}},
		{"missing required column", "deals", "id,amount\nD1,4\n", importer.Options{}, []string{`required column "stage"`}},
		{"unknown stage", "deals", "id,stage\nD1,Won\nD2,Maybe\n", importer.Options{Stages: []string{"Open", "Won"}},
			[]string{"line 3: column stage: unknown stage \"Maybe\""}},
		{"unknown outcome", "deals", "id,stage,outcome\nD1,Won,perhaps\n", importer.Options{}, []string{"unknown outcome \"perhaps\""}},
		{"duplicate ids", "deals", "id,stage\nD1,Won\nD2,Lost\nD1,Lost\n", importer.Options{},
			[]string{"line 4: column id: duplicate id \"D1\" (first on line 2)"}},
		{"unknown account", "deals", "id,stage,account_id\nD1,Won,A1\nD2,Won,NOPE\n", importer.Options{},
			[]string{"line 3: column account_id: unknown account \"NOPE\""}},
		{"invalid utf8", "deals", "id,stage,name\nD1,Won,caf\xe9\n", importer.Options{}, []string{"line 2", "not valid UTF-8"}},
		{"keep-all on referenced entity", "deals", "id,stage\nD1,Won\n", importer.Options{OnDuplicate: "keep-all"}, []string{"keep-all is not possible for deals"}},
		{"bad map", "deals", "id,stage\nD1,Won\n", importer.Options{Map: []importer.Mapping{{Canonical: "amount", Source: "value"}}}, []string{`no column "value"`}},
		{"unknown product with no-create", "deals", "id,stage,products\nD1,Won,Nope\n", importer.Options{NoCreate: true}, []string{"unknown product \"Nope\""}},
		{"duplicate header", "deals", "id,stage,id\nD1,Won,D1\n", importer.Options{}, []string{"names column \"id\" twice"}},
		{"subscription without start", "subscriptions", "id,account_id\nS1,A1\n", importer.Options{}, []string{"needs start or tenure_months"}},
	}
	forEachDialect(t, func(t *testing.T, f *fixture) {
		f.mustLoad("accounts", accountsCSV, importer.Options{})
		before := f.dump()
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				sum, err := f.load(tt.entity, tt.content, tt.opt)
				if err == nil {
					t.Fatalf("import succeeded, want an error")
				}
				if tandem.ErrorCode(err) != tandem.EINVALID {
					t.Fatalf("error code = %s (%v), want invalid", tandem.ErrorCode(err), err)
				}
				var lines []string
				if sum != nil {
					for _, e := range sum.Errors {
						lines = append(lines, e.String())
					}
				}
				all := strings.Join(lines, "\n") + "\n" + err.Error()
				for _, w := range tt.want {
					if !strings.Contains(all, w) {
						t.Errorf("errors do not mention %q:\n%s", w, all)
					}
				}
				if got := f.dump(); got != before {
					t.Errorf("a failed import changed the store")
				}
			})
		}
	})
}

func TestEveryBadRowReported(t *testing.T) {
	forEachDialect(t, func(t *testing.T, f *fixture) {
		content := "id,stage,amount,created\nD1,Won,1,2024-01-01\nD2,Won,x,2024-01-01\nD3,Won,2,2024-13-01\nD4,,3,2024-01-01\nD5,Lost,4,2024-01-02\n"
		sum, err := f.load("deals", content, importer.Options{})
		if err == nil {
			t.Fatal("want error")
		}
		got := map[int]bool{}
		for _, e := range sum.Errors {
			got[e.Line] = true
		}
		for _, l := range []int{3, 4, 5} {
			if !got[l] {
				t.Errorf("line %d not reported; errors: %v", l, sum.Errors)
			}
		}
		if got[2] || got[6] {
			t.Errorf("good lines reported as bad: %v", sum.Errors)
		}
		if n := f.count("deals"); n != 0 {
			t.Errorf("%d deals written after a failed import", n)
		}
	})
}

func TestImportIdempotentAndDryRun(t *testing.T) {
	forEachDialect(t, func(t *testing.T, f *fixture) {
		f.mustLoad("accounts", accountsCSV, importer.Options{})
		deals := "id,stage,account_id,amount,products,features,region\nD1,Closed Won,A1,100,GTX Pro,SSO;Audit Log,EMEA\nD2,Lost,acme,50,gtxpro,,US\nD3,Discovery,A2,,,,\n"
		dry := f.mustLoad("deals", deals, importer.Options{DryRun: true})
		if dry.Committed || f.count("deals") != 0 {
			t.Fatalf("dry run wrote rows")
		}
		s1 := f.mustLoad("deals", deals, importer.Options{})
		d1 := f.dump()
		s2 := f.mustLoad("deals", deals, importer.Options{})
		if d2 := f.dump(); d1 != d2 {
			t.Errorf("re-import changed the store")
		}
		for _, c := range s2.Loaded {
			if c.Entity == "deals" && (c.Inserted != 0 || c.Updated != 0 || c.Unchanged != 3) {
				t.Errorf("second import counts = %+v, want 3 unchanged", c)
			}
		}
		if len(s1.Created) != 3 { // product GTX Pro, features SSO and Audit Log
			t.Errorf("created = %+v", s1.Created)
		}
		var norm []string
		for _, n := range s1.Normalized {
			norm = append(norm, n.Column+":"+n.From+"→"+n.To)
		}
		joined := strings.Join(norm, ",")
		for _, w := range []string{"account_id:acme→A1", "products:gtxpro→GTX Pro"} {
			if !strings.Contains(joined, w) {
				t.Errorf("normalizations %q lack %q", joined, w)
			}
		}
		d := f.get("deals", "D1")
		if got := f.value("deals", d, "outcome"); got != "won" {
			t.Errorf("outcome of Closed Won = %q", got)
		}
		if got := f.value("deals", d, "features"); got != "SSO;Audit Log" {
			t.Errorf("features = %q", got)
		}
		if d.Attrs["region"] != "EMEA" {
			t.Errorf("attrs = %v", d.Attrs)
		}
		if got := f.value("deals", f.get("deals", "D3"), "outcome"); got != "open" {
			t.Errorf("outcome of Discovery = %q, want open", got)
		}
	})
}

func TestDuplicatePolicies(t *testing.T) {
	content := "id,stage,amount\nD1,Won,1\nD2,Won,2\nD1,Lost,3\nD1,Won,4\n"
	tests := []struct {
		policy     string
		wantAmount string
		wantRows   int
	}{
		{"first", "1", 2},
		{"last", "4", 2},
	}
	forEachDialect(t, func(t *testing.T, f *fixture) {
		for _, tt := range tests {
			t.Run(tt.policy, func(t *testing.T) {
				g := newFixture(t, f.db.Dialect())
				s := g.mustLoad("deals", content, importer.Options{OnDuplicate: tt.policy})
				if got := g.value("deals", g.get("deals", "D1"), "amount"); got != tt.wantAmount {
					t.Errorf("amount = %s, want %s", got, tt.wantAmount)
				}
				if g.count("deals") != tt.wantRows {
					t.Errorf("rows = %d", g.count("deals"))
				}
				if len(s.Duplicates) != 1 || len(s.Duplicates[0].Lines) != 3 || s.Duplicates[0].Lines[0] != 2 {
					t.Errorf("duplicates = %+v", s.Duplicates)
				}
			})
		}
		t.Run("keep-all", func(t *testing.T) {
			g := newFixture(t, f.db.Dialect())
			g.mustLoad("accounts", accountsCSV, importer.Options{})
			g.mustLoad("tickets", "id,account_id,priority\nT1,A1,high\nT1,A2,low\nT2,A1,low\n", importer.Options{OnDuplicate: "keep-all"})
			if n := g.count("tickets"); n != 3 {
				t.Errorf("tickets = %d, want 3", n)
			}
			before := g.dump()
			g.mustLoad("tickets", "id,account_id,priority\nT1,A1,high\nT1,A2,low\nT2,A1,low\n", importer.Options{OnDuplicate: "keep-all"})
			if g.dump() != before {
				t.Error("re-import with keep-all changed the store")
			}
		})
	})
}

func TestSalesforceExports(t *testing.T) {
	forEachDialect(t, func(t *testing.T, f *fixture) {
		for _, step := range []struct{ entity, file string }{
			{"accounts", "sf_account.csv"}, {"reps", "sf_user.csv"}, {"deals", "sf_opportunity.csv"},
			{"deal_stages", "sf_history.csv"}, {"deals", "sf_report.csv"},
		} {
			s := f.mustLoad(step.entity, "@testdata/"+step.file, importer.Options{})
			if s.Format != importer.FormatSalesforce {
				t.Errorf("%s detected as %s", step.file, s.Format)
			}
		}
		if n := f.count("deal_stages"); n != 3 {
			t.Errorf("stage history rows = %d", n)
		}
		f.mustLoad("products", "id,name,aliases\nPlatform,Platform,\nInsights,Insights Add-on,INS\n", importer.Options{})
		items := f.mustLoad("line_items", "@testdata/sf_lineitem.csv", importer.Options{})
		if items.Format != importer.FormatSalesforce || f.count("line_items") != 2 {
			t.Fatalf("line items: format %s, %d rows", items.Format, f.count("line_items"))
		}
		li := f.get("line_items", "00k5g00000Li002AAA")
		for col, want := range map[string]string{"deal_id": "0065g00000AbCd1AAF", "product_id": "Insights", "quantity": "200", "unit_price": "100", "amount": "20000"} {
			if got := f.value("line_items", li, col); got != want {
				t.Errorf("line item %s = %q, want %q", col, got, want)
			}
		}
		won := f.get("deals", "0065g00000AbCd1AAF")
		for col, want := range map[string]string{"outcome": "won", "type": "new", "amount": "120000", "source": "Web",
			"rep_id": "0055g00000Own01AAA", "created": "2024-01-10T14:03:22Z", "closed": "2024-03-28"} {
			if got := f.value("deals", won, col); got != want {
				t.Errorf("deal %s = %q, want %q", col, got, want)
			}
		}
		if got := f.value("deals", f.get("deals", "0065g00000AbCd3AAF"), "outcome"); got != "lost" {
			t.Errorf("IsClosed without IsWon gave %q", got)
		}
		if got := f.value("deals", f.get("deals", "0065g00000AbCd2AAF"), "type"); got != "expansion" {
			t.Errorf("upgrade type = %q", got)
		}
		rep := f.get("deals", "0065g00000AbCd4AAF") // report export: names, not ids
		if got := f.value("deals", rep, "account_id"); got != "0015g00000XyZ01AAB" {
			t.Errorf("account by name = %q", got)
		}
		if got := f.value("deals", rep, "rep_id"); got != "0055g00000Own01AAA" {
			t.Errorf("owner by name = %q", got)
		}
		if got := f.value("deals", rep, "amount"); got != "45000" {
			t.Errorf("amount with currency = %q", got)
		}
		if rep.Attrs["Fiscal Period"] != "Q2-2024" {
			t.Errorf("unmapped column not kept: %v", rep.Attrs)
		}
		acct := f.get("accounts", "0015g00000XyZ01AAB")
		if got := f.value("accounts", acct, "parent_id"); got != "0015g00000XyZ02AAB" {
			t.Errorf("forward parent reference = %q", got)
		}
	})
}

func TestHubSpotDeals(t *testing.T) {
	forEachDialect(t, func(t *testing.T, f *fixture) {
		f.mustLoad("accounts", "id,name\nC1,Acme Corp\nC2,Globex\n", importer.Options{})
		f.mustLoad("reps", "id,name\nO1,Dana Reyes\nO2,Lee Park\n", importer.Options{})
		s := f.mustLoad("deals", "@testdata/hubspot_deals.csv", importer.Options{})
		if s.Format != importer.FormatHubSpot {
			t.Fatalf("format = %s", s.Format)
		}
		lost := f.get("deals", "9002")
		for col, want := range map[string]string{"outcome": "lost", "account_id": "C2", "rep_id": "O2",
			"loss_reasons": "Price;Missing feature", "closed": "2024-06-01"} {
			if got := f.value("deals", lost, col); got != want {
				t.Errorf("%s = %q, want %q", col, got, want)
			}
		}
		if lost.Attrs["Pipeline"] != "Sales Pipeline" {
			t.Errorf("pipeline attr = %v", lost.Attrs)
		}
		if n := f.count("deal_stages"); n != 5 {
			t.Errorf("stage entries = %d, want 5", n)
		}
		page, err := f.db.List(context.Background(), "deal_stages", tandem.Query{Filters: []tandem.Filter{{Column: "deal_id", Value: "9001"}}})
		if err != nil || page.Total != 2 {
			t.Fatalf("stages of 9001: %v %v", page.Total, err)
		}
	})
}

func TestFeatureColumnsBecomeAdoptions(t *testing.T) {
	forEachDialect(t, func(t *testing.T, f *fixture) {
		f.mustLoad("accounts", "customerID,Name\nc1,One\nc2,Two\nc3,Three\n",
			importer.Options{Map: []importer.Mapping{{Canonical: "id", Source: "customerID"}, {Canonical: "name", Source: "Name"}}})
		subs := "customerID,tenure,Security,Backup,Churn\nc1,3,Yes,No,No\nc2,40,No internet service,Yes,Yes\nc3,0,Yes,Yes,No\n"
		s := f.mustLoad("subscriptions", subs, importer.Options{
			Map: []importer.Mapping{{Canonical: "id", Source: "customerID"}, {Canonical: "account_id", Source: "customerID"},
				{Canonical: "tenure_months", Source: "tenure"}, {Canonical: "status", Source: "Churn"}},
			Values:         []importer.ValueMap{{Field: "status", From: "Yes", To: "churned"}, {Field: "status", From: "No", To: "active"}},
			FeatureColumns: []string{"Security", "Backup"}, Truthy: []string{"Yes"},
		})
		if n := f.count("adoptions"); n != 4 {
			t.Errorf("adoptions = %d, want 4", n)
		}
		if len(s.Created) != 2 {
			t.Errorf("features created = %+v", s.Created)
		}
		sub := f.get("subscriptions", "c2")
		if got := f.value("subscriptions", sub, "status"); got != "churned" {
			t.Errorf("status = %q", got)
		}
		if sub.Attrs["Security"] != "No internet service" {
			t.Errorf("feature column value lost: %v", sub.Attrs)
		}
	})
}

func TestUsageAttachedThroughSubscription(t *testing.T) {
	forEachDialect(t, func(t *testing.T, f *fixture) {
		f.mustLoad("accounts", accountsCSV, importer.Options{})
		f.mustLoad("subscriptions", "id,account_id,start\nS1,A1,2024-01-01\nS2,A2,2024-02-01\n", importer.Options{})
		usage := "usage_id,subscription_id,usage_date,feature_name,usage_count\nU1,S1,2024-01-05,feature_1,3\nU2,S2,2024-02-05,feature_2,4\nU1,S2,2024-02-06,feature_1,1\n"
		opt := importer.Options{OnDuplicate: "keep-all", Map: []importer.Mapping{
			{Canonical: "id", Source: "usage_id"}, {Canonical: "at", Source: "usage_date"},
			{Canonical: "feature_id", Source: "feature_name"}, {Canonical: "count", Source: "usage_count"}}}
		s := f.mustLoad("usage", usage, opt)
		if f.count("usage") != 3 || len(s.Duplicates) != 1 {
			t.Fatalf("usage rows = %d, duplicates = %+v", f.count("usage"), s.Duplicates)
		}
		page, err := f.db.List(context.Background(), "usage", tandem.Query{Filters: []tandem.Filter{{Column: "account_id", Value: "A2"}}})
		if err != nil || page.Total != 2 {
			t.Errorf("usage of A2 = %d, %v", page.Total, err)
		}
		_, err = f.load("usage", "usage_id,subscription_id,usage_date,feature_name,usage_count\nU9,S404,2024-01-01,feature_1,1\n", opt)
		if err == nil || !strings.Contains(err.Error(), "problem") {
			t.Errorf("unknown subscription accepted: %v", err)
		}
	})
}

func TestCancelledImportWritesNothing(t *testing.T) {
	f := newFixture(t, "sqlite")
	var b strings.Builder
	b.WriteString("id,stage\n")
	for i := range 50000 {
		b.WriteString("D")
		b.WriteString(strings.Repeat("x", i%7))
		b.WriteString(string(rune('a' + i%26)))
		b.WriteString(",Won\n")
	}
	path := filepath.Join(t.TempDir(), "deals.csv")
	os.WriteFile(path, []byte(b.String()), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := f.im.ImportFile(ctx, "deals", path, importer.Options{OnDuplicate: "first"})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if f.count("deals") != 0 {
		t.Error("a cancelled import left rows")
	}
}

// TestReviewRegressions covers import mistakes found in review, each once
// reproduced with the real binary.
func TestReviewRegressions(t *testing.T) {
	forEachDialect(t, func(t *testing.T, f *fixture) {
		t.Run("derived ids use resolved references", func(t *testing.T) {
			g := newFixture(t, f.db.Dialect())
			g.mustLoad("accounts", "id,name\nacc1,Acme\n", importer.Options{})
			g.mustLoad("adoptions", "account_id,feature_id\nAcme,SSO\n", importer.Options{})
			g.mustLoad("adoptions", "account_id,feature_id\nacc1,sso\n", importer.Options{})
			if n := g.count("adoptions"); n != 1 {
				t.Errorf("the same adoption named two ways made %d rows", n)
			}
			g.get("adoptions", "acc1|SSO")
		})
		t.Run("references within a file match ids, not look-alike names", func(t *testing.T) {
			g := newFixture(t, f.db.Dialect())
			g.mustLoad("accounts", "id,name,parent_id\na1,C-3,\nb2,Child,c3\nc3,Parent,\n", importer.Options{})
			if got := g.value("accounts", g.get("accounts", "b2"), "parent_id"); got != "c3" {
				t.Errorf("parent = %q, want c3", got)
			}
		})
		t.Run("column and attr column with one name", func(t *testing.T) {
			_, err := f.load("accounts", "id,name,Color,attr.Color\na1,Acme,red,blue\n", importer.Options{})
			if err == nil || !strings.Contains(err.Error(), `both become attribute "Color"`) {
				t.Errorf("err = %v", err)
			}
		})
		t.Run("skipped duplicates create nothing", func(t *testing.T) {
			g := newFixture(t, f.db.Dialect())
			s := g.mustLoad("deals", "id,stage,products\nd1,Won,Alpha\nd1,Won,Ghost\n", importer.Options{OnDuplicate: "first"})
			if g.count("products") != 1 || len(s.Created) != 1 {
				t.Errorf("products = %d, created = %+v", g.count("products"), s.Created)
			}
		})
		t.Run("one bad row makes no false unknown references", func(t *testing.T) {
			sum, err := f.load("accounts", "id,name,employees,parent_id\nx1,One,-5,\nx2,Two,3,x3\nx3,Three,4,\n", importer.Options{})
			if err == nil || len(sum.Errors) != 1 {
				t.Errorf("errors = %v (%v), want only the negative employees", sum.Errors, err)
			}
		})
		t.Run("large integers stay exact", func(t *testing.T) {
			g := newFixture(t, f.db.Dialect())
			g.mustLoad("accounts", "id,name,employees\nbig,Big,9007199254740993\n", importer.Options{})
			if got := g.value("accounts", g.get("accounts", "big"), "employees"); got != "9007199254740993" {
				t.Errorf("employees = %s", got)
			}
		})
	})
}
