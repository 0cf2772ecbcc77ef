package sqldb

import (
	"context"
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

// fixture is a small store touching every entity, every kind of value,
// custom attributes, lists, a self reference and repeated ids.
func fixture(t testing.TB, db *DB) []put {
	t.Helper()
	e := func(name string) *tandem.Entity { return entity(t, db, name) }
	return []put{
		// Deals first: references are checked at commit, in any order.
		{"deals", row(t, e("deals"), "id", "D1", "stage", "Closed Won", "account_id", "A1", "lead_id", "L1", "rep_id", "R1",
			"name", "Acme renewal", "amount", 1000.5, "currency", "USD", "created", day("2023-03-01"), "closed", day("2023-04-01"),
			"outcome", "won", "type", "new", "products", []string{"P2", "P1"}, "features", []string{"F1"},
			"competitors", []string{"Rival Inc", "Other"})},
		{"deals", row(t, e("deals"), "id", "D2", "stage", "Proposal", "account_id", "A2", "rep_id", "R2", "amount", 0.0,
			"created", instant("2023-03-15T12:00:00Z"), "outcome", "open", "features", []string{"F1", "F2"})},
		{"deals", row(t, e("deals"), "id", "D3", "stage", "Closed Lost", "account_id", "A1", "amount", 250.0,
			"closed", day("2023-05-10"), "outcome", "lost", "type", "expansion", "loss_reasons", []string{"price", "timing"})},
		{"accounts", row(t, e("accounts"), "id", "A1", "name", "Acme", "industry", "Manufacturing", "segment", "enterprise",
			"employees", int64(500), "revenue", 1.5e6, "region", "EMEA", "created", day("2023-01-15"))},
		{"accounts", row(t, e("accounts"), "id", "A2", "name", "Beta, Inc.", "segment", "SMB", "parent_id", "A1",
			"created", instant("2023-02-01T10:30:00.123456Z"))},
		{"accounts", row(t, e("accounts"), "id", "A3", "name", "Gamma\ttab\nnewline")},
		{"reps", row(t, e("reps"), "id", "R1", "name", "Rita", "team", "East")},
		{"reps", row(t, e("reps"), "id", "R2", "name", "Raj", "team", "West", "manager", "R1")},
		{"leads", row(t, e("leads"), "id", "L1", "created", day("2023-01-01"), "source", "web", "account_id", "A1", "rep_id", "R1")},
		{"products", row(t, e("products"), "id", "P1", "name", "GTX Pro", "class", "core", "price", 100.0, "aliases", []string{"gtxpro", "GTX-Pro"})},
		{"products", row(t, e("products"), "id", "P2", "name", "Basic", "class", "new")},
		{"features", row(t, e("features"), "id", "F1", "name", "SSO", "product_id", "P1", "status", "ga", "horizon", "H1",
			"released_at", day("2022-06-01"))},
		{"features", row(t, e("features"), "id", "F2", "name", "Audit Log", "status", "beta", "aliases", []string{"audit"})},
		{"deal_stages", row(t, e("deal_stages"), "id", "D1|Proposal|2023-03-05", "deal_id", "D1", "stage", "Proposal",
			"entered_at", day("2023-03-05"), "amount", 900.0)},
		{"line_items", row(t, e("line_items"), "id", "LI1", "deal_id", "D1", "product_id", "P1", "quantity", 2.0, "unit_price", 500.25, "amount", 1000.5)},
		{"subscriptions", row(t, e("subscriptions"), "id", "SUB1", "account_id", "A1", "start", day("2023-04-01"), "end", day("2024-04-01"),
			"mrr", 99.5, "status", "active", "plan", "pro", "tenure_months", int64(12))},
		{"usage", row(t, e("usage"), "id", "U1", "account_id", "A1", "feature_id", "F1", "at", day("2023-05-01"), "user_id", "u7",
			"count", 3.0, "subscription_id", "SUB1")},
		{"adoptions", row(t, e("adoptions"), "id", "A1|F1", "account_id", "A1", "feature_id", "F1", "adopted_at", day("2023-05-02"), "source", "usage")},
		{"tickets", row(t, e("tickets"), "id", "T1", "account_id", "A2", "opened", instant("2023-06-01T08:00:00Z"), "priority", "high",
			"status", "open", "satisfaction", 4.5, "subject", "Login fails")},
		{"churn_events", row(t, e("churn_events"), "id", "C1", "account_id", "A2", "at", day("2023-09-30"), "reason", "price",
			"refund", 0.0, "subscription_id", "SUB1")},
		{"glossary", row(t, e("glossary"), "id", "won", "name", "Won", "definition", "A deal whose outcome is won")},
	}
}

// withAttrs returns p with custom attributes.
func withAttrs(p put, attrs map[string]string) put {
	p.rec.Attrs = attrs
	return p
}

// fixtureWithAttrs is the fixture plus attributes on a few rows.
func fixtureWithAttrs(t testing.TB, db *DB) []put {
	puts := fixture(t, db)
	puts[0] = withAttrs(puts[0], map[string]string{"region": "EMEA", "source system": "sfdc"})
	puts[1] = withAttrs(puts[1], map[string]string{"region": "NA"})
	puts[2] = withAttrs(puts[2], map[string]string{"a.b": "dotted", `q"uote`: "quoted", `back\slash`: "slashed"})
	puts[3] = withAttrs(puts[3], map[string]string{"tier": "gold"})
	return puts
}

// sameRecord reports how got differs from the record that was put (lists
// and attrs empty as nil), or "".
func sameRecord(want, got tandem.Record) string {
	if len(want.Values) != len(got.Values) {
		return fmt.Sprintf("%d values, want %d", len(got.Values), len(want.Values))
	}
	for i, w := range want.Values {
		g := got.Values[i]
		if l, ok := w.([]string); ok && len(l) == 0 {
			w = nil
		}
		if reflect.TypeOf(w) != reflect.TypeOf(g) || tandem.FormatValue(w) != tandem.FormatValue(g) {
			return fmt.Sprintf("value %d: got %T %q, want %T %q", i, g, tandem.FormatValue(g), w, tandem.FormatValue(w))
		}
	}
	wa := want.Attrs
	if len(wa) == 0 {
		wa = nil
	}
	if !reflect.DeepEqual(wa, got.Attrs) {
		return fmt.Sprintf("attrs: got %v, want %v", got.Attrs, wa)
	}
	if want.Dup != got.Dup {
		return fmt.Sprintf("dup: got %d, want %d", got.Dup, want.Dup)
	}
	return ""
}

func TestMigrations(t *testing.T) {
	sq, err := dialectSQLite.migrations()
	if err != nil {
		t.Fatal(err)
	}
	pg, err := dialectPostgres.migrations()
	if err != nil {
		t.Fatal(err)
	}
	if len(sq) == 0 || len(sq) != len(pg) {
		t.Fatalf("sqlite has %d migrations, postgres %d: each dialect needs every migration", len(sq), len(pg))
	}
	for i := range sq {
		if sq[i].version != pg[i].version || sq[i].name != pg[i].name {
			t.Errorf("migration %d: sqlite %04d_%s, postgres %04d_%s", i, sq[i].version, sq[i].name, pg[i].version, pg[i].name)
		}
	}

	for _, d := range testDialects() {
		t.Run(d, func(t *testing.T) {
			ctx := context.Background()
			dsn := testDSN(t, d)
			db, err := Open(ctx, dsn, tandem.NewCatalog())
			if err != nil {
				t.Fatal(err)
			}
			ms, err := db.Migrations(ctx)
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) != len(sq) || ms[0].Version != 1 || ms[0].Name != "init" {
				t.Fatalf("migrations = %+v", ms)
			}
			for _, m := range ms {
				if m.AppliedAt.IsZero() {
					t.Errorf("migration %d %s not applied", m.Version, m.Name)
				}
			}
			// Opening again applies nothing and keeps the record.
			db, err = Open(ctx, dsn, tandem.NewCatalog())
			if err != nil {
				t.Fatalf("reopen: %v", err)
			}
			defer db.Close()
			again, err := db.Migrations(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(ms, again) {
				t.Errorf("after reopening, migrations = %+v, want %+v", again, ms)
			}
			if db.Dialect() != d {
				t.Errorf("Dialect() = %q, want %q", db.Dialect(), d)
			}
		})
	}
}

func TestPutGet(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		puts := fixtureWithAttrs(t, db)
		counts := load(t, db, puts...)
		perEntity := map[string]int{}
		for _, p := range puts {
			perEntity[p.entity]++
		}
		for _, c := range counts {
			if c.Rows != perEntity[c.Entity] || c.Inserted != c.Rows || c.Updated != 0 || c.Unchanged != 0 {
				t.Errorf("first load of %s: %+v, want %d inserted", c.Entity, c, perEntity[c.Entity])
			}
			delete(perEntity, c.Entity)
		}
		if len(perEntity) > 0 {
			t.Errorf("no counts for %v", slices.Sorted(maps.Keys(perEntity)))
		}
		for _, p := range puts {
			got, err := db.Get(ctx, p.entity, p.rec.ID())
			if err != nil {
				t.Errorf("get %s %s: %v", p.entity, p.rec.ID(), err)
				continue
			}
			if diff := sameRecord(p.rec, got); diff != "" {
				t.Errorf("get %s %s: %s", p.entity, p.rec.ID(), diff)
			}
		}
		n, err := db.Count(ctx, "deals")
		if err != nil || n != 3 {
			t.Errorf("Count(deals) = %d, %v; want 3", n, err)
		}

		_, err = db.Get(ctx, "deals", "nope")
		wantCode(t, err, tandem.ENOTFOUND)
		if !strings.Contains(err.Error(), `"nope"`) {
			t.Errorf("not-found error %q does not name the id", err)
		}
		_, err = db.Get(ctx, "dealz", "D1")
		wantCode(t, err, tandem.EINVALID)
		_, err = db.Count(ctx, "dealz")
		wantCode(t, err, tandem.EINVALID)
	})
}

func TestList(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		load(t, db, fixtureWithAttrs(t, db)...)
		f := func(kv ...string) []tandem.Filter {
			var fs []tandem.Filter
			for i := 0; i < len(kv); i += 2 {
				fs = append(fs, tandem.Filter{Column: kv[i], Value: kv[i+1]})
			}
			return fs
		}
		tests := []struct {
			name    string
			entity  string
			filters []tandem.Filter
			want    []string
		}{
			{"all", "deals", nil, []string{"D1", "D2", "D3"}},
			{"text", "deals", f("stage", "Proposal"), []string{"D2"}},
			{"ref", "deals", f("account_id", "A1"), []string{"D1", "D3"}},
			{"two filters", "deals", f("account_id", "A1", "outcome", "lost"), []string{"D3"}},
			{"enum any case", "deals", f("outcome", "WON"), []string{"D1"}},
			{"number", "deals", f("amount", "1000.50"), []string{"D1"}},
			{"zero number", "deals", f("amount", "0"), []string{"D2"}},
			{"integer", "accounts", f("employees", "500"), []string{"A1"}},
			{"day matches midnight", "deals", f("closed", "2023-04-01"), []string{"D1"}},
			{"day matches a time that day", "deals", f("created", "2023-03-15"), []string{"D2"}},
			{"month", "deals", f("created", "2023-03"), []string{"D1", "D2"}},
			{"year", "deals", f("closed", "2023"), []string{"D1", "D3"}},
			{"instant", "deals", f("created", "2023-03-15T12:00:00Z"), []string{"D2"}},
			{"instant in another zone", "deals", f("created", "2023-03-15T14:00:00+02:00"), []string{"D2"}},
			{"microseconds", "accounts", f("created", "2023-02-01T10:30:00.123456Z"), []string{"A2"}},
			{"empty text", "accounts", f("industry", ""), []string{"A2", "A3"}},
			{"empty date", "deals", f("closed", ""), []string{"D2"}},
			{"list member", "deals", f("features", "F1"), []string{"D1", "D2"}},
			{"list member by name", "deals", f("features", "audit log"), []string{"D2"}},
			{"second list member", "deals", f("products", "P1"), []string{"D1"}},
			{"free list member", "deals", f("loss_reasons", "timing"), []string{"D3"}},
			{"empty list", "deals", f("competitors", ""), []string{"D2", "D3"}},
			{"inline list member", "products", f("aliases", "GTX-Pro"), []string{"P1"}},
			{"inline list is not substring", "products", f("aliases", "GTX"), nil},
			{"attr", "deals", f("attr.region", "EMEA"), []string{"D1"}},
			{"attr with space", "deals", f("attr.source system", "sfdc"), []string{"D1"}},
			{"attr with dot", "deals", f("attr.a.b", "dotted"), []string{"D3"}},
			{"attr with quote", "deals", f(`attr.q"uote`, "quoted"), []string{"D3"}},
			{"attr with backslash", "deals", f(`attr.back\slash`, "slashed"), []string{"D3"}},
			{"attr missing", "deals", f("attr.region", ""), []string{"D3"}},
			{"no match", "deals", f("stage", "Nope"), nil},
			{"keep-all rows", "deal_stages", f("deal_id", "D1"), []string{"D1|Proposal|2023-03-05"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				page, err := db.List(ctx, tt.entity, tandem.Query{Filters: tt.filters})
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, r := range page.Records {
					ids = append(ids, r.ID())
				}
				if !slices.Equal(ids, tt.want) || page.Total != len(tt.want) {
					t.Errorf("got %v (total %d), want %v", ids, page.Total, tt.want)
				}
			})
		}

		bad := []struct {
			name    string
			filters []tandem.Filter
			mention string
		}{
			{"unknown column", f("colour", "red"), "colour"},
			{"bad number", f("amount", "lots"), "amount"},
			{"bad date", f("closed", "yesterday"), "closed"},
			{"bad enum", f("outcome", "maybe"), "outcome"},
			{"empty attr", f("attr.", "x"), "attr."},
		}
		for _, tt := range bad {
			t.Run(tt.name, func(t *testing.T) {
				_, err := db.List(ctx, "deals", tandem.Query{Filters: tt.filters})
				wantCode(t, err, tandem.EINVALID)
				if !strings.Contains(err.Error(), tt.mention) {
					t.Errorf("error %q does not mention %q", err, tt.mention)
				}
			})
		}
		_, err := db.List(ctx, "deals", tandem.Query{Limit: -1})
		wantCode(t, err, tandem.EINVALID)
		_, err = db.List(ctx, "nope", tandem.Query{})
		wantCode(t, err, tandem.EINVALID)

		// A listed record is the same as the one Get returns.
		page, err := db.List(ctx, "deals", tandem.Query{Filters: f("id", "D1")})
		if err != nil || len(page.Records) != 1 {
			t.Fatalf("list D1: %v %v", page, err)
		}
		got, err := db.Get(ctx, "deals", "D1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := sameRecord(got, page.Records[0]); diff != "" {
			t.Errorf("list and get differ: %s", diff)
		}
	})
}

func TestListPages(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		e := entity(t, db, "glossary")
		var puts []put
		var all []string
		for i := range 250 {
			id := fmt.Sprintf("term%03d", i)
			all = append(all, id)
			puts = append(puts, put{"glossary", row(t, e, "id", id, "name", "Term "+id)})
		}
		load(t, db, puts...)
		tests := []struct {
			limit, offset int
			want          []string
		}{
			{0, 0, all[:100]}, // the default page
			{10, 0, all[:10]},
			{10, 245, all[245:]},
			{100, 200, all[200:]},
			{5, 250, nil},
			{20000, 0, all}, // more than the maximum is the maximum
		}
		for _, tt := range tests {
			page, err := db.List(ctx, "glossary", tandem.Query{Limit: tt.limit, Offset: tt.offset})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, r := range page.Records {
				ids = append(ids, r.ID())
			}
			if !slices.Equal(ids, tt.want) || page.Total != 250 {
				t.Errorf("limit %d offset %d: got %d rows from %v (total %d), want %d", tt.limit, tt.offset, len(ids), ids[:min(1, len(ids))], page.Total, len(tt.want))
			}
		}
	})
}

func TestUpsertIdempotent(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		puts := fixtureWithAttrs(t, db)
		load(t, db, puts...)
		before := dump(t, db)
		for _, c := range load(t, db, puts...) {
			if c.Unchanged != c.Rows || c.Inserted != 0 || c.Updated != 0 {
				t.Errorf("second load of %s: %+v, want all unchanged", c.Entity, c)
			}
		}
		if after := dump(t, db); after != before {
			t.Errorf("dump changed by re-putting the same rows:\n%s", diffLines(before, after))
		}

		// One changed value, one changed list, one new row.
		e := entity(t, db, "deals")
		d1 := puts[0].rec
		d1.Values = slices.Clone(d1.Values)
		_, i := e.Column("amount")
		d1.Values[i] = 2000.0
		d2 := puts[1].rec
		d2.Values = slices.Clone(d2.Values)
		_, i = e.Column("features")
		d2.Values[i] = []string{"F2", "F1"} // order matters
		d4 := row(t, e, "id", "D4", "stage", "New")
		counts := load(t, db, put{"deals", d1}, put{"deals", d2}, put{"deals", puts[2].rec}, put{"deals", d4})
		want := []tandem.LoadCount{{Entity: "deals", Rows: 4, Inserted: 1, Updated: 2, Unchanged: 1}}
		if !reflect.DeepEqual(counts, want) {
			t.Errorf("counts = %+v, want %+v", counts, want)
		}
		got, err := db.Get(context.Background(), "deals", "D2")
		if err != nil {
			t.Fatal(err)
		}
		if diff := sameRecord(d2, got); diff != "" {
			t.Errorf("D2: %s", diff)
		}
	})
}

func TestSameKeyTwiceInOneLoad(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		e := entity(t, db, "deals")
		counts := load(t, db,
			put{"deals", row(t, e, "id", "D1", "stage", "New", "competitors", []string{"X"})},
			put{"deals", row(t, e, "id", "D1", "stage", "Won", "competitors", []string{"Y", "Z"})},
			put{"deals", partial(t, e, "id", "D1", "amount", 5.0)},
		)
		want := []tandem.LoadCount{{Entity: "deals", Rows: 3, Inserted: 1, Updated: 2}}
		if !reflect.DeepEqual(counts, want) {
			t.Errorf("counts = %+v, want %+v", counts, want)
		}
		got, err := db.Get(context.Background(), "deals", "D1")
		if err != nil {
			t.Fatal(err)
		}
		wantRec := row(t, e, "id", "D1", "stage", "Won", "competitors", []string{"Y", "Z"}, "amount", 5.0)
		if diff := sameRecord(wantRec, got); diff != "" {
			t.Error(diff)
		}
	})
}

func TestAbsentKeepsValues(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		e := entity(t, db, "deals")
		a := entity(t, db, "accounts")
		full := row(t, e, "id", "D1", "stage", "Proposal", "account_id", "A1", "amount", 10.0,
			"created", day("2023-01-01"), "features", []string{"F1"}, "competitors", []string{"X"})
		full.Attrs = map[string]string{"k": "v"}
		load(t, db,
			put{"accounts", row(t, a, "id", "A1", "name", "Acme")},
			put{"features", row(t, entity(t, db, "features"), "id", "F1", "name", "SSO")},
			put{"deals", full})

		// Only stage is present; nil Attrs keeps the stored attributes.
		counts := load(t, db, put{"deals", partial(t, e, "id", "D1", "stage", "Won")})
		if counts[0].Updated != 1 {
			t.Errorf("counts = %+v, want 1 updated", counts)
		}
		got, err := db.Get(ctx, "deals", "D1")
		if err != nil {
			t.Fatal(err)
		}
		want := row(t, e, "id", "D1", "stage", "Won", "account_id", "A1", "amount", 10.0,
			"created", day("2023-01-01"), "features", []string{"F1"}, "competitors", []string{"X"})
		want.Attrs = full.Attrs
		if diff := sameRecord(want, got); diff != "" {
			t.Errorf("after a partial put: %s", diff)
		}

		// Present nil clears a value, an empty list clears a list, empty
		// attrs clear the attributes.
		clear := partial(t, e, "id", "D1", "amount", nil, "features", []string(nil), "competitors", []string{})
		clear.Attrs = map[string]string{}
		load(t, db, put{"deals", clear})
		got, err = db.Get(ctx, "deals", "D1")
		if err != nil {
			t.Fatal(err)
		}
		want = row(t, e, "id", "D1", "stage", "Won", "account_id", "A1", "created", day("2023-01-01"))
		if diff := sameRecord(want, got); diff != "" {
			t.Errorf("after clearing: %s", diff)
		}

		// A new row with absent columns stores them empty.
		load(t, db, put{"deals", partial(t, e, "id", "D2", "stage", "New")})
		got, err = db.Get(ctx, "deals", "D2")
		if err != nil {
			t.Fatal(err)
		}
		if diff := sameRecord(row(t, e, "id", "D2", "stage", "New"), got); diff != "" {
			t.Errorf("new partial row: %s", diff)
		}
	})
}

func TestForeignKeys(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a := entity(t, db, "accounts")
		d := entity(t, db, "deals")
		load(t, db, put{"accounts", row(t, a, "id", "A1", "name", "Acme")})
		before := dump(t, db)
		tests := []struct {
			name string
			puts []put
		}{
			{"missing account", []put{
				{"deals", row(t, d, "id", "D1", "stage", "New", "account_id", "A1")},
				{"deals", row(t, d, "id", "D2", "stage", "New", "account_id", "A404")},
			}},
			{"missing parent account", []put{{"accounts", row(t, a, "id", "A2", "name", "B", "parent_id", "A9")}}},
			{"missing product in a list", []put{{"deals", row(t, d, "id", "D1", "stage", "New", "products", []string{"P9"})}}},
			{"missing deal of a stage", []put{{"deal_stages", row(t, entity(t, db, "deal_stages"), "id", "S", "deal_id", "D9",
				"stage", "New", "entered_at", day("2023-01-01"))}}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := tryLoad(db, tt.puts...)
				wantCode(t, err, tandem.EINVALID)
				if after := dump(t, db); after != before {
					t.Errorf("a failed load changed the store:\n%s", diffLines(before, after))
				}
			})
		}

		// Rows of one load may refer to each other in any order.
		counts := load(t, db,
			put{"accounts", row(t, a, "id", "A3", "name", "Child", "parent_id", "A2")},
			put{"deals", row(t, d, "id", "D1", "stage", "New", "account_id", "A2", "products", []string{"P1"})},
			put{"products", row(t, entity(t, db, "products"), "id", "P1", "name", "GTX")},
			put{"accounts", row(t, a, "id", "A2", "name", "Parent")},
		)
		if len(counts) != 3 {
			t.Errorf("counts = %+v", counts)
		}
		if n, _ := db.Count(ctx, "accounts"); n != 3 {
			t.Errorf("%d accounts, want 3", n)
		}

		// The schema refuses what Put would have refused, should a row get
		// past it: the database's words become EINVALID too.
		for _, stmt := range []string{
			"INSERT INTO deals (id, stage, outcome) VALUES ('D5', 'New', 'maybe')",
			"INSERT INTO deals (id, stage, amount) VALUES ('D5', 'New', -1)",
			"INSERT INTO deals (id) VALUES (NULL)",
		} {
			_, err := db.writer.ExecContext(ctx, stmt)
			if err == nil {
				t.Errorf("%s: accepted", stmt)
				continue
			}
			wantCode(t, constraintError("test", err), tandem.EINVALID)
		}
	})
}

func TestPutRejectsBadRecords(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		d := entity(t, db, "deals")
		l, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Rollback()
		bad := []struct {
			name string
			e    *tandem.Entity
			rec  tandem.Record
		}{
			{"no id", d, row(t, d, "stage", "New")},
			{"short", d, tandem.Record{Values: []any{"D1"}}},
			{"text as int", d, row(t, d, "id", "D1", "stage", 5)},
			{"date as string", d, row(t, d, "id", "D1", "stage", "New", "created", "2023-01-01")},
			{"list as string", d, row(t, d, "id", "D1", "stage", "New", "products", "P1")},
			{"outside the enum", d, row(t, d, "id", "D1", "stage", "New", "outcome", "maybe")},
			{"enum in another spelling", d, row(t, d, "id", "D1", "stage", "New", "outcome", "Won")},
			{"negative amount", d, row(t, d, "id", "D1", "stage", "New", "amount", -1.0)},
			{"required but empty", d, row(t, d, "id", "D1", "stage", nil)},
			{"dup of a referenced entity", d, tandem.Record{Values: row(t, d, "id", "D1", "stage", "New").Values, Dup: 1}},
			{"unknown entity", &tandem.Entity{Name: "nope"}, tandem.Record{Values: []any{"x"}}},
		}
		for _, tt := range bad {
			if err := l.Put(ctx, tt.e, tt.rec); err == nil {
				t.Errorf("%s: put accepted %v", tt.name, tt.rec)
			} else {
				wantCode(t, err, tandem.EINVALID)
			}
		}
		// The load is still usable after rejected records.
		if err := l.Put(ctx, d, row(t, d, "id", "D1", "stage", "New")); err != nil {
			t.Fatal(err)
		}
		counts, err := l.Commit(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(counts) != 1 || counts[0].Inserted != 1 {
			t.Errorf("counts = %+v", counts)
		}
	})
}

func TestRollback(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		empty := dump(t, db)
		l, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range fixture(t, db) {
			if err := l.Put(ctx, entity(t, db, p.entity), p.rec); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Rollback(); err != nil {
			t.Fatal(err)
		}
		if err := l.Rollback(); err != nil {
			t.Errorf("second rollback: %v", err)
		}
		if d := dump(t, db); d != empty {
			t.Errorf("rollback left rows:\n%s", diffLines(empty, d))
		}
		if _, err := l.Commit(ctx); err == nil {
			t.Error("commit after rollback succeeded")
		}

		// Rollback after Commit is a no-op; Put after Commit fails.
		l, err = db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		g := entity(t, db, "glossary")
		if err := l.Put(ctx, g, row(t, g, "id", "x", "name", "X")); err != nil {
			t.Fatal(err)
		}
		if _, err := l.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if err := l.Rollback(); err != nil {
			t.Errorf("rollback after commit: %v", err)
		}
		if err := l.Put(ctx, g, row(t, g, "id", "y", "name", "Y")); err == nil {
			t.Error("put after commit succeeded")
		}
		if n, _ := db.Count(ctx, "glossary"); n != 1 {
			t.Errorf("%d glossary rows, want 1", n)
		}
	})
}

// TestInterruptedLoad checks that a load abandoned by cancelling its
// context (an interrupted import) leaves nothing behind and does not keep
// the next load from starting.
func TestInterruptedLoad(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx, cancel := context.WithCancel(context.Background())
		l, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		g := entity(t, db, "glossary")
		for i := range 1200 { // more than one batch, so rows reach the database
			if err := l.Put(ctx, g, row(t, g, "id", fmt.Sprint(i), "name", "x")); err != nil {
				t.Fatal(err)
			}
		}
		cancel() // and never Commit nor Rollback

		next, stop := context.WithTimeout(context.Background(), 20*time.Second)
		defer stop()
		l2, err := db.Begin(next)
		if err != nil {
			t.Fatalf("begin after an interrupted load: %v", err)
		}
		if err := l2.Put(next, g, row(t, g, "id", "after", "name", "y")); err != nil {
			t.Fatal(err)
		}
		if _, err := l2.Commit(next); err != nil {
			t.Fatal(err)
		}
		if n, err := db.Count(next, "glossary"); n != 1 || err != nil {
			t.Errorf("Count = %d, %v; want only the row of the second load", n, err)
		}
		if _, err := l.Commit(context.Background()); err == nil {
			t.Error("the interrupted load committed")
		}
	})
}

func TestKeepAllDuplicates(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a := entity(t, db, "accounts")
		tk := entity(t, db, "tickets")
		first := row(t, tk, "id", "T1", "account_id", "A1", "subject", "first")
		second := row(t, tk, "id", "T1", "account_id", "A1", "subject", "second")
		second.Dup = 1
		counts := load(t, db, put{"accounts", row(t, a, "id", "A1", "name", "Acme")},
			put{"tickets", first}, put{"tickets", second},
			put{"tickets", row(t, tk, "id", "T0", "account_id", "A1")})
		if counts[1].Inserted != 3 {
			t.Errorf("counts = %+v", counts)
		}
		got, err := db.Get(ctx, "tickets", "T1")
		if err != nil {
			t.Fatal(err)
		}
		if diff := sameRecord(first, got); diff != "" {
			t.Errorf("get returns the first occurrence: %s", diff)
		}
		var seen []string
		err = db.Scan(ctx, "tickets", func(r tandem.Record) error {
			seen = append(seen, fmt.Sprintf("%s/%d", r.ID(), r.Dup))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"T0/0", "T1/0", "T1/1"}; !slices.Equal(seen, want) {
			t.Errorf("scan order %v, want %v", seen, want)
		}
		ids, err := db.IDs(ctx, "tickets")
		if err != nil || len(ids) != 2 {
			t.Errorf("IDs = %v, %v", ids, err)
		}
		// Re-putting both occurrences changes nothing.
		counts = load(t, db, put{"tickets", first}, put{"tickets", second})
		if counts[0].Unchanged != 2 {
			t.Errorf("counts = %+v, want 2 unchanged", counts)
		}
	})
}

func TestListColumns(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		d := entity(t, db, "deals")
		p := entity(t, db, "products")
		var puts []put
		for _, id := range []string{"P1", "P2", "P3"} {
			puts = append(puts, put{"products", row(t, p, "id", id, "name", id)})
		}
		puts = append(puts, put{"deals", row(t, d, "id", "D1", "stage", "New", "products", []string{"P3", "P1", "P2"},
			"loss_reasons", []string{"price", "price", "timing"})})
		load(t, db, puts...)
		products := func() any {
			r, err := db.Get(ctx, "deals", "D1")
			if err != nil {
				t.Fatal(err)
			}
			_, i := d.Column("products")
			return r.Values[i]
		}
		if got := products(); !reflect.DeepEqual(got, []string{"P3", "P1", "P2"}) {
			t.Errorf("products = %v, want the order put", got)
		}
		r, _ := db.Get(ctx, "deals", "D1")
		if _, i := d.Column("loss_reasons"); !reflect.DeepEqual(r.Values[i], []string{"price", "price", "timing"}) {
			t.Errorf("loss_reasons = %v, repeats must be kept", r.Values[i])
		}
		steps := []struct {
			list    any
			want    any
			updated int
		}{
			{[]string{"P1"}, []string{"P1"}, 1},
			{[]string{"P1"}, []string{"P1"}, 0},
			{[]string{"P2", "P1"}, []string{"P2", "P1"}, 1},
			{tandem.Absent{}, []string{"P2", "P1"}, 0},
			{nil, nil, 1},
			{[]string{}, nil, 0},
		}
		for i, s := range steps {
			rec := partial(t, d, "id", "D1", "stage", "New", "products", s.list)
			counts := load(t, db, put{"deals", rec})
			if counts[0].Updated != s.updated || counts[0].Unchanged != 1-s.updated {
				t.Errorf("step %d (%v): counts %+v, want %d updated", i, s.list, counts[0], s.updated)
			}
			if got := products(); !reflect.DeepEqual(got, s.want) {
				t.Errorf("step %d: products = %#v, want %#v", i, got, s.want)
			}
		}
		// The other lists were left alone throughout.
		r, _ = db.Get(ctx, "deals", "D1")
		if _, i := d.Column("loss_reasons"); !reflect.DeepEqual(r.Values[i], []string{"price", "price", "timing"}) {
			t.Errorf("loss_reasons = %v after replacing products", r.Values[i])
		}
	})
}

func TestLookup(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		load(t, db, fixture(t, db)...)
		ids, err := db.IDs(ctx, "accounts")
		if err != nil {
			t.Fatal(err)
		}
		if got := slices.Sorted(maps.Keys(ids)); !slices.Equal(got, []string{"A1", "A2", "A3"}) {
			t.Errorf("IDs(accounts) = %v", got)
		}
		names, err := db.Names(ctx, "products")
		if err != nil {
			t.Fatal(err)
		}
		want := []tandem.Named{{ID: "P1", Name: "GTX Pro", Aliases: []string{"gtxpro", "GTX-Pro"}}, {ID: "P2", Name: "Basic"}}
		if !reflect.DeepEqual(names, want) {
			t.Errorf("Names(products) = %+v, want %+v", names, want)
		}
		names, err = db.Names(ctx, "reps")
		if err != nil || len(names) != 2 || names[1].Name != "Raj" {
			t.Errorf("Names(reps) = %+v, %v", names, err)
		}
		_, err = db.Names(ctx, "deals")
		wantCode(t, err, tandem.EINVALID)

		parents, err := db.Parents(ctx, "accounts", "parent_id")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(parents, map[string]string{"A2": "A1"}) {
			t.Errorf("Parents(accounts, parent_id) = %v", parents)
		}
		parents, err = db.Parents(ctx, "subscriptions", "account_id")
		if err != nil || !reflect.DeepEqual(parents, map[string]string{"SUB1": "A1"}) {
			t.Errorf("Parents(subscriptions, account_id) = %v, %v", parents, err)
		}
		_, err = db.Parents(ctx, "accounts", "nope")
		wantCode(t, err, tandem.EINVALID)
	})
}

func TestScan(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		puts := fixtureWithAttrs(t, db)
		load(t, db, puts...)
		var got []tandem.Record
		if err := db.Scan(ctx, "deals", func(r tandem.Record) error {
			got = append(got, r)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(got) != 3 {
			t.Fatalf("scanned %d deals, want 3", len(got))
		}
		for i := range got {
			if diff := sameRecord(puts[i].rec, got[i]); diff != "" {
				t.Errorf("deal %d: %s", i, diff)
			}
		}
		stop := fmt.Errorf("stop")
		n := 0
		err := db.Scan(ctx, "deals", func(tandem.Record) error { n++; return stop })
		if err != stop || n != 1 {
			t.Errorf("Scan returned %v after %d rows, want the callback's error after 1", err, n)
		}
		wantCode(t, db.Scan(ctx, "nope", func(tandem.Record) error { return nil }), tandem.EINVALID)
	})
}

func TestBackup(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		load(t, db, fixtureWithAttrs(t, db)...)
		at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		u := tandem.User{ID: "u1", Email: "ana@x.io", Name: "Ana", Role: tandem.RoleAdmin, PasswordHash: "$argon2id$x", CreatedAt: at, UpdatedAt: at}
		if err := db.CreateUser(ctx, u, true, tandem.AuditEntry{At: at, Actor: "t", Action: "user.create", Target: "user:ana@x.io"}); err != nil {
			t.Fatal(err)
		}
		tok := tandem.APIToken{ID: "t1", UserID: "u1", Name: "ci", Prefix: "tdm_abc", Hash: "h1", CreatedAt: at}
		if err := db.CreateToken(ctx, tok, tandem.AuditEntry{At: at.Add(time.Second), Actor: "t", Action: "token.create", Target: "token:t1"}); err != nil {
			t.Fatal(err)
		}
		want := dump(t, db)
		path := t.TempDir() + "/backup.db"
		if err := db.Backup(ctx, path); err != nil {
			t.Fatal(err)
		}
		wantCode(t, db.Backup(ctx, path), tandem.EINVALID)

		restored, err := Open(ctx, path, tandem.NewCatalog())
		if err != nil {
			t.Fatal(err)
		}
		defer restored.Close()
		if restored.Dialect() != "sqlite" {
			t.Errorf("backup dialect %s", restored.Dialect())
		}
		if got := dump(t, restored); got != want {
			t.Errorf("backup differs:\n%s", diffLines(want, got))
		}
		if got, err := restored.UserByEmail(ctx, "ana@x.io"); err != nil || got.PasswordHash != u.PasswordHash || !got.CreatedAt.Equal(at) {
			t.Errorf("backup user: %+v %v", got, err)
		}
		if _, _, err := restored.TokenByHash(ctx, "h1", at); err != nil {
			t.Errorf("backup token: %v", err)
		}
		if entries, total, err := restored.Audit(ctx, tandem.AuditQuery{}); err != nil || total != 2 || entries[0].Action != "token.create" {
			t.Errorf("backup audit log: %d %+v %v", total, entries, err)
		}
		ms, err := restored.Migrations(ctx)
		if err != nil || ms[0].AppliedAt.IsZero() {
			t.Errorf("backup migrations %+v, %v", ms, err)
		}

		// A backup taken during a load has what was committed before it.
		l, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Rollback()
		g := entity(t, db, "glossary")
		for i := range 1200 {
			if err := l.Put(ctx, g, row(t, g, "id", fmt.Sprint(i), "name", "x")); err != nil {
				t.Fatal(err)
			}
		}
		path2 := t.TempDir() + "/during-load.db"
		if err := db.Backup(ctx, path2); err != nil {
			t.Fatalf("backup during a load: %v", err)
		}
		during, err := Open(ctx, path2, tandem.NewCatalog())
		if err != nil {
			t.Fatal(err)
		}
		defer during.Close()
		if got := dump(t, during); got != want {
			t.Errorf("backup during a load differs:\n%s", diffLines(want, got))
		}
	})
}

// TestDialectsAgree loads the same rows into SQLite and PostgreSQL and
// compares the dumps byte for byte.
func TestDialectsAgree(t *testing.T) {
	sq := openTest(t, "sqlite")
	pg := openTest(t, "postgres")
	puts := fixtureWithAttrs(t, sq)
	sc := load(t, sq, puts...)
	pc := load(t, pg, puts...)
	if !reflect.DeepEqual(sc, pc) {
		t.Errorf("counts differ: sqlite %+v, postgres %+v", sc, pc)
	}
	a, b := dump(t, sq), dump(t, pg)
	if a != b {
		t.Errorf("dumps differ:\n%s", diffLines(a, b))
	}
	if !strings.Contains(a, "2023-02-01T10:30:00.123456Z") || !strings.Contains(a, `Gamma\ttab\nnewline`) {
		t.Errorf("dump lacks expected values:\n%s", a)
	}
}

func TestConcurrentReadsDuringLoad(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		g := entity(t, db, "glossary")
		load(t, db, put{"glossary", row(t, g, "id", "old", "name", "Old")})
		l, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Rollback()
		for i := range 2000 {
			if err := l.Put(ctx, g, row(t, g, "id", fmt.Sprintf("new%04d", i), "name", "New")); err != nil {
				t.Fatal(err)
			}
		}
		// Readers keep answering from the committed state while the load
		// holds its transaction open.
		errs := make(chan error, 8)
		for range 8 {
			go func() {
				n, err := db.Count(ctx, "glossary")
				if err == nil && n != 1 {
					err = fmt.Errorf("count during load = %d, want 1", n)
				}
				if err == nil {
					_, err = db.List(ctx, "glossary", tandem.Query{})
				}
				errs <- err
			}()
		}
		for range 8 {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		// A second load waits for the first.
		short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
		defer cancel()
		if _, err := db.Begin(short); err == nil {
			t.Error("a second load began while the first was open")
		}
		if _, err := l.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if n, _ := db.Count(ctx, "glossary"); n != 2001 {
			t.Errorf("after commit %d rows, want 2001", n)
		}
		l2, err := db.Begin(ctx)
		if err != nil {
			t.Fatalf("begin after commit: %v", err)
		}
		l2.Rollback()
	})
}

func TestOpenErrorsHidePassword(t *testing.T) {
	ctx := context.Background()
	for _, dsn := range []string{
		"postgres://tandem:s3cr3tpw@127.0.0.1:1/tandem?sslmode=disable&connect_timeout=2",
		"postgresql://127.0.0.1:1/tandem?password=s3cr3tpw&sslmode=disable&connect_timeout=2",
	} {
		_, err := Open(ctx, dsn, tandem.NewCatalog())
		if err == nil {
			t.Fatalf("open %s succeeded", redactDSN(dsn))
		}
		if strings.Contains(err.Error(), "s3cr3tpw") {
			t.Errorf("error reveals the password: %v", err)
		}
		if !strings.Contains(err.Error(), "127.0.0.1:1") {
			t.Errorf("error does not name the server: %v", err)
		}
	}
	if !IsPostgres("postgresql://x/y") || IsPostgres("data/postgres.db") {
		t.Error("IsPostgres misjudges")
	}
}

// diffLines shows the lines of a and b that differ, for failure messages.
func diffLines(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	var out []string
	for i := range max(len(al), len(bl)) {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			out = append(out, fmt.Sprintf("line %d:\n  - %q\n  + %q", i+1, x, y))
		}
		if len(out) == 10 {
			out = append(out, "...")
			break
		}
	}
	return strings.Join(out, "\n")
}

// TestSQLitePaths checks that a store path is taken as a name, whatever
// characters it holds, and that Open creates nothing but that file (and
// its WAL companions) there.
func TestSQLitePaths(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"plain.db", "with space.db", "what?.db", "100%.db", "hash#.db"} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := dir + "/" + name
			db, err := Open(ctx, path, tandem.NewCatalog())
			if err != nil {
				t.Fatal(err)
			}
			g := entity(t, db, "glossary")
			load(t, db, put{"glossary", row(t, g, "id", "x", "name", "X")})
			db.Close()
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("the store is not at %s: %v", path, err)
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if !strings.HasPrefix(e.Name(), name) {
					t.Errorf("Open wrote %s next to %s", e.Name(), name)
				}
			}
		})
	}
	_, err := Open(ctx, t.TempDir()+"/missing/dir/x.db", tandem.NewCatalog())
	if err == nil || !strings.Contains(err.Error(), "missing/dir/x.db") {
		t.Errorf("open in a missing directory: %v, want an error naming the path", err)
	}
}

// TestLoadOrder loads children before their parents, in batches large
// enough to reach the database before the parents do: the foreign keys are
// checked at commit, and a load into empty tables (which sets indexes
// aside on SQLite) must still find every row by its references.
func TestLoadOrder(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a, d, s := entity(t, db, "accounts"), entity(t, db, "deals"), entity(t, db, "deal_stages")
		var puts []put
		const n = 1300
		for i := range n {
			id := fmt.Sprintf("D%04d", i)
			puts = append(puts, put{"deal_stages", row(t, s, "id", id+"|New", "deal_id", id, "stage", "New", "entered_at", day("2024-01-01"))})
		}
		for i := range n {
			puts = append(puts, put{"deals", row(t, d, "id", fmt.Sprintf("D%04d", i), "stage", "New", "account_id", fmt.Sprintf("A%d", i%7))})
		}
		for i := range 7 {
			puts = append(puts, put{"accounts", row(t, a, "id", fmt.Sprintf("A%d", i), "name", "x")})
		}
		counts := load(t, db, puts...)
		want := []tandem.LoadCount{{Entity: "accounts", Rows: 7, Inserted: 7}, {Entity: "deals", Rows: n, Inserted: n}, {Entity: "deal_stages", Rows: n, Inserted: n}}
		if !reflect.DeepEqual(counts, want) {
			t.Errorf("counts = %+v, want %+v", counts, want)
		}
		page, err := db.List(ctx, "deals", tandem.Query{Filters: []tandem.Filter{{Column: "account_id", Value: "A3"}}, Limit: 1})
		if err != nil || page.Total != 186 {
			t.Errorf("deals of A3: %d, %v; want 186", page.Total, err)
		}
		// A second load into the now filled tables, with a missing parent.
		_, err = tryLoad(db, put{"deals", row(t, d, "id", "D9999", "stage", "New", "account_id", "A404")})
		wantCode(t, err, tandem.EINVALID)
	})
}

// TestDatePrecision checks that both stores keep dates to the microsecond
// (PostgreSQL's precision), in UTC, whatever zone they were put in.
func TestDatePrecision(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		a := entity(t, db, "accounts")
		zone := time.FixedZone("UTC+2", 2*60*60)
		put1 := row(t, a, "id", "A1", "name", "x", "created", time.Date(2024, 2, 29, 23, 59, 59, 123456789, zone))
		load(t, db, put{"accounts", put1})
		got, err := db.Get(context.Background(), "accounts", "A1")
		if err != nil {
			t.Fatal(err)
		}
		_, i := a.Column("created")
		want := time.Date(2024, 2, 29, 21, 59, 59, 123456000, time.UTC)
		if g, ok := got.Values[i].(time.Time); !ok || !g.Equal(want) || g.Location() != time.UTC {
			t.Errorf("created = %#v, want %v", got.Values[i], want)
		}
		// Putting the same instant again, at nanosecond precision, is no change.
		if c := load(t, db, put{"accounts", put1}); c[0].Unchanged != 1 {
			t.Errorf("counts = %+v, want unchanged", c)
		}
	})
}
