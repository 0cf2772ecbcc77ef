package sqldb

import (
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
)

// dialect is the SQL backend. The differences between the two are kept
// here, as small methods, so that the queries elsewhere read as one.
type dialect int

const (
	dialectSQLite dialect = iota
	dialectPostgres
)

// String names the dialect as Store.Dialect reports it.
func (d dialect) String() string {
	if d == dialectPostgres {
		return "postgres"
	}
	return "sqlite"
}

// param returns the placeholder of the n-th (1-based) parameter.
func (d dialect) param(n int) string {
	if d == dialectPostgres {
		return "$" + strconv.Itoa(n)
	}
	return "?"
}

// distinct is the null-safe "differs" operator.
func (d dialect) distinct() string {
	if d == dialectPostgres {
		return "IS DISTINCT FROM"
	}
	return "IS NOT"
}

// maxParams is the most bound parameters one statement may have.
func (d dialect) maxParams() int {
	if d == dialectPostgres {
		return 65535
	}
	return 32766
}

// listAgg returns the aggregate giving the JSON array of the items of a
// link table's rows in list order (SQLite gives "[]" for no rows,
// PostgreSQL NULL; both decode to a nil list).
func (d dialect) listAgg(l *link) string {
	if d == dialectPostgres {
		return "json_agg(l." + quote(l.value) + " ORDER BY l.position)::text"
	}
	return "json_group_array(l." + quote(l.value) + " ORDER BY l.position)"
}

// quote quotes an identifier. Every generated statement quotes names,
// because the catalog has columns called "end", "type" and "count".
func quote(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// table is how one entity is stored: its table, key, and where each column
// lives.
type table struct {
	e *tandem.Entity
	// dup is true when the key is (id, dup): entities nobody refers to may
	// keep repeated ids.
	dup bool
	// links holds, by column index, the link table of a list column stored
	// outside the entity's table; nil for columns stored inline.
	links []*link
	// linkCols lists the indexes of the columns that have a link table.
	linkCols []int
}

// link is a table holding one list column of deals, one row per item, with
// position keeping the list's order.
type link struct {
	table string // deal_products
	value string // product_id
	col   int    // index of the list column in the entity
}

// inline reports whether column i is a column of the entity's own table.
func (t *table) inline(i int) bool { return t.links[i] == nil }

// linkTables maps the list columns of deals to their link tables. Other list
// columns (aliases) are stored inline, ';'-joined.
func linkTables(e *tandem.Entity, c *tandem.Column) (tbl, value string, ok bool) {
	if e.Name != "deals" || c.Kind != tandem.KindList {
		return "", "", false
	}
	switch c.Name {
	case "products":
		return "deal_products", "product_id", true
	case "features":
		return "deal_features", "feature_id", true
	case "loss_reasons":
		return "deal_loss_reasons", "reason", true
	case "competitors":
		return "deal_competitors", "competitor", true
	}
	return "", "", false
}

// buildTables derives how each catalog entity is stored.
func buildTables(cat *tandem.Catalog) map[string]*table {
	out := make(map[string]*table, len(cat.Entities()))
	for _, e := range cat.Entities() {
		t := &table{e: e, dup: !e.Referenced, links: make([]*link, len(e.Columns))}
		for i := range e.Columns {
			if tbl, v, ok := linkTables(e, &e.Columns[i]); ok {
				t.links[i] = &link{table: tbl, value: v, col: i}
				t.linkCols = append(t.linkCols, i)
			}
		}
		out[e.Name] = t
	}
	return out
}

// table returns the storage of the named entity, or EINVALID.
func (db *DB) table(entity string) (*table, error) {
	if t, ok := db.tables[entity]; ok {
		return t, nil
	}
	_, err := db.cat.Entity(entity)
	if err == nil {
		err = tandem.Errorf(tandem.EINTERNAL, "entity %q has no table", entity)
	}
	return nil, err
}

// selectFrom returns "SELECT … FROM <table> AS t" reading the columns in
// the order scanRecord expects: id, dup (when keyed by it), every column in
// catalog order (a link column as a JSON array of its items), attrs.
//
// A few rows (Get, a page of List) read each list with a correlated
// subquery on the link table's key. A whole table (Scan) joins each link
// table aggregated once per deal instead, which both databases run as one
// pass over the link table: twice as fast over a million deals.
func (t *table) selectFrom(d dialect, whole bool) string {
	var cols, joins strings.Builder
	cols.WriteString("SELECT t.id")
	if t.dup {
		cols.WriteString(", t.dup")
	}
	for i := 1; i < len(t.e.Columns); i++ {
		cols.WriteString(", ")
		l := t.links[i]
		switch {
		case l == nil:
			cols.WriteString("t." + quote(t.e.Columns[i].Name))
		case whole:
			alias := "l" + strconv.Itoa(i)
			cols.WriteString(alias + ".v")
			joins.WriteString(" LEFT JOIN (SELECT l.deal_id, " + d.listAgg(l) + " AS v FROM " + quote(l.table) +
				" AS l GROUP BY l.deal_id) AS " + alias + " ON " + alias + ".deal_id = t.id")
		default:
			cols.WriteString("(SELECT " + d.listAgg(l) + " FROM " + quote(l.table) + " AS l WHERE l.deal_id = t.id)")
		}
	}
	if d == dialectPostgres {
		cols.WriteString(", t.attrs::text")
	} else {
		cols.WriteString(", t.attrs")
	}
	return cols.String() + " FROM " + quote(t.e.Name) + " AS t" + joins.String()
}

// keyOrder is the ORDER BY of reads: key order, the same on both dialects
// because PostgreSQL text columns use the "C" collation.
func (t *table) keyOrder() string {
	if t.dup {
		return "t.id, t.dup"
	}
	return "t.id"
}
