package sqldb

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
)

// TestListSort sorts accounts by text, number and date columns both ways:
// empty values last, ties by key, the same order on both dialects
// (including dates within one second, which SQLite stores as text).
func TestListSort(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		acc := entity(t, db, "accounts")
		a := func(id string, kv ...any) put {
			return put{"accounts", row(t, acc, append([]any{"id", id, "name", "N" + id}, kv...)...)}
		}
		load(t, db,
			a("A1", "industry", "Beta", "employees", int64(10), "created", instant("2023-01-01T10:00:00.5Z")),
			a("A2", "industry", "alpha", "created", instant("2023-01-01T10:00:00Z")),
			a("A3", "industry", "", "employees", int64(5)),
			a("A4", "employees", int64(10), "created", day("2023-01-01")),
			a("A5", "industry", "Gamma", "employees", int64(7), "created", instant("2023-01-01T10:00:00.25Z")),
			a("A6", "industry", "Beta", "employees", int64(3), "created", instant("2023-01-01T10:00:00.55Z")),
		)
		for _, c := range []struct {
			sort          string
			filters       []tandem.Filter
			limit, offset int
			want          string
		}{
			{sort: "", want: "A1 A2 A3 A4 A5 A6"},
			{sort: "id", want: "A1 A2 A3 A4 A5 A6"},
			{sort: "-id", want: "A6 A5 A4 A3 A2 A1"},
			// Byte order ("C" collation on PostgreSQL): capitals first.
			{sort: "industry", want: "A1 A6 A5 A2 A3 A4"},
			{sort: "-industry", want: "A2 A5 A1 A6 A3 A4"},
			{sort: "employees", want: "A6 A3 A5 A1 A4 A2"},
			{sort: "-employees", want: "A1 A4 A5 A3 A6 A2"},
			{sort: "created", want: "A4 A2 A5 A1 A6 A3"},
			{sort: "-created", want: "A6 A1 A5 A2 A4 A3"},
			{sort: "-employees", limit: 2, offset: 1, want: "A4 A5"},
			{sort: "created", filters: []tandem.Filter{{Column: "industry", Value: "Beta"}}, want: "A1 A6"},
		} {
			t.Run(c.sort, func(t *testing.T) {
				p, err := db.List(ctx, "accounts", tandem.Query{Sort: c.sort, Filters: c.filters, Limit: c.limit, Offset: c.offset})
				if err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, r := range p.Records {
					ids = append(ids, r.Values[0].(string))
				}
				if got := strings.Join(ids, " "); got != c.want {
					t.Errorf("sort %q: got %s, want %s", c.sort, got, c.want)
				}
			})
		}

		// Enum columns sort as text; repeated ids (key id, dup) break ties.
		prod := entity(t, db, "products")
		load(t, db,
			put{"products", row(t, prod, "id", "P1", "name", "One", "class", "maintenance")},
			put{"products", row(t, prod, "id", "P2", "name", "Two", "class", "core")},
			put{"products", row(t, prod, "id", "P3", "name", "Three")},
		)
		p, err := db.List(ctx, "products", tandem.Query{Sort: "-class"})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, r := range p.Records {
			ids = append(ids, r.Values[0].(string))
		}
		if !reflect.DeepEqual(ids, []string{"P1", "P2", "P3"}) {
			t.Errorf("products by -class = %v", ids)
		}

		for _, c := range []struct{ entity, sort, valid string }{
			{"accounts", "nope", "id, name, industry"},
			{"accounts", "-attrs", "id, name, industry"},
			{"accounts", "--name", "id, name, industry"},
			{"products", "aliases", "class, price, series"}, // a list stored inline
			{"deals", "-products", "stage, account_id"},     // a list in a link table
			{"deals", "attr.region", "stage, account_id"},
		} {
			_, err := db.List(ctx, c.entity, tandem.Query{Sort: c.sort})
			wantCode(t, err, tandem.EINVALID)
			if msg := err.Error(); !strings.Contains(msg, c.valid) || strings.Contains(msg, "aliases,") || strings.Contains(msg, "products,") {
				t.Errorf("sort %s by %q: message %q should name the sortable columns only", c.entity, c.sort, msg)
			}
		}
	})
}
