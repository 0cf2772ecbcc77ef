package sqldb

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
)

// column is a column of a table as the database describes it.
type dbColumn struct {
	typ     string // lower case: text, integer, real, bigint, double precision, ...
	notNull bool
}

// fk is a foreign key as the database describes it.
type dbFK struct {
	column, parent string
	deferred       bool
	cascade        bool
}

// dbTable is what the schema test reads back from the database.
type dbTable struct {
	columns map[string]dbColumn
	pk      []string
	fks     []dbFK
	indexed map[string]bool // columns that lead some index
	checks  string          // the text of the table's CHECK constraints
}

// TestSchemaMatchesCatalog reads each dialect's schema back from the
// database and checks it against the catalog, so that the hand-written DDL
// and tandem.NewCatalog cannot drift apart: every entity has its table,
// every column its SQL column of the right type (list columns of deals their
// link table), keys, deferred foreign keys, indexes and enum checks.
//
// It checks again after loads, since a load into empty SQLite tables drops
// indexes and must build them all again before it commits.
func TestSchemaMatchesCatalog(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		t.Run("fresh", func(t *testing.T) { checkSchema(t, db) })
		// A rolled-back load into empty tables.
		ctx := context.Background()
		l, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		g := entity(t, db, "deals")
		for i := range 1500 {
			if err := l.Put(ctx, g, row(t, g, "id", fmt.Sprint(i), "stage", "New")); err != nil {
				t.Fatal(err)
			}
		}
		l.Rollback()
		t.Run("after rollback", func(t *testing.T) { checkSchema(t, db) })
		load(t, db, fixture(t, db)...)
		t.Run("after loads", func(t *testing.T) { checkSchema(t, db) })
	})
}

// checkSchema compares the database's description of every table with
// the catalog.
func checkSchema(t *testing.T, db *DB) {
	ctx := context.Background()
	for _, e := range db.cat.Entities() {
		st := db.tables[e.Name]
		got, err := db.describe(ctx, e.Name)
		if err != nil {
			t.Fatalf("%s: %v", e.Name, err)
		}
		if len(got.columns) == 0 {
			t.Errorf("no table %s", e.Name)
			continue
		}
		want := map[string]bool{"attrs": true}
		for i, c := range e.Columns {
			if l := st.links[i]; l != nil {
				checkLinkTable(t, db, e, &c, l)
				continue
			}
			want[c.Name] = true
			gc, ok := got.columns[c.Name]
			if !ok {
				t.Errorf("%s.%s: no such column", e.Name, c.Name)
				continue
			}
			if wt := db.dialect.sqlType(c.Kind); gc.typ != wt {
				t.Errorf("%s.%s: type %s, want %s for a %s column", e.Name, c.Name, gc.typ, wt, c.Kind)
			}
			// Only the key is NOT NULL (see the migration's header).
			if gc.notNull != (i == 0) {
				t.Errorf("%s.%s: NOT NULL is %v, want it on the id only", e.Name, c.Name, gc.notNull)
			}
			if c.Ref != "" {
				if !slices.Contains(got.fks, dbFK{column: c.Name, parent: c.Ref, deferred: true}) {
					t.Errorf("%s.%s: no deferred foreign key to %s (have %+v)", e.Name, c.Name, c.Ref, got.fks)
				}
				if !got.indexed[c.Name] {
					t.Errorf("%s.%s: foreign key column without an index", e.Name, c.Name)
				}
			}
			for _, v := range c.Enum {
				if !strings.Contains(got.checks, "'"+v+"'") {
					t.Errorf("%s.%s: no CHECK allows %q", e.Name, c.Name, v)
				}
			}
		}
		if st.dup {
			want["dup"] = true
			if gc := got.columns["dup"]; !gc.notNull || gc.typ != db.dialect.sqlType(tandem.KindInt) && gc.typ != "integer" {
				t.Errorf("%s.dup: %+v, want an integer NOT NULL", e.Name, gc)
			}
		}
		if gc := got.columns["attrs"]; !gc.notNull || gc.typ != map[dialect]string{dialectSQLite: "text", dialectPostgres: "jsonb"}[db.dialect] {
			t.Errorf("%s.attrs: %+v", e.Name, gc)
		}
		for name := range got.columns {
			if !want[name] {
				t.Errorf("%s.%s: column not in the catalog", e.Name, name)
			}
		}
		wantPK := []string{"id"}
		if st.dup {
			wantPK = []string{"id", "dup"}
		}
		if !slices.Equal(got.pk, wantPK) {
			t.Errorf("%s: primary key %v, want %v", e.Name, got.pk, wantPK)
		}
	}
	// The indexes the reports filter on.
	for _, ix := range []string{"deals.stage", "deals.outcome", "deals.closed", "deals.created", "subscriptions.status", "usage.at"} {
		tbl, col, _ := strings.Cut(ix, ".")
		got, err := db.describe(ctx, tbl)
		if err != nil {
			t.Fatal(err)
		}
		if !got.indexed[col] {
			t.Errorf("no index on %s", ix)
		}
	}
}

// checkLinkTable checks the link table of a list column of deals.
func checkLinkTable(t *testing.T, db *DB, e *tandem.Entity, c *tandem.Column, l *link) {
	t.Helper()
	got, err := db.describe(context.Background(), l.table)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"deal_id", "position", l.value} {
		if gc, ok := got.columns[name]; !ok || !gc.notNull {
			t.Errorf("%s (for %s.%s): column %s missing or nullable", l.table, e.Name, c.Name, name)
		}
	}
	if len(got.columns) != 3 {
		t.Errorf("%s: columns %v, want deal_id, position, %s", l.table, got.columns, l.value)
	}
	if !slices.Equal(got.pk, []string{"deal_id", "position"}) {
		t.Errorf("%s: primary key %v, want (deal_id, position)", l.table, got.pk)
	}
	if !slices.Contains(got.fks, dbFK{column: "deal_id", parent: e.Name, deferred: true, cascade: true}) {
		t.Errorf("%s: no deferred, cascading foreign key to %s (have %+v)", l.table, e.Name, got.fks)
	}
	if c.Ref != "" {
		if !slices.Contains(got.fks, dbFK{column: l.value, parent: c.Ref, deferred: true}) {
			t.Errorf("%s.%s: no deferred foreign key to %s (have %+v)", l.table, l.value, c.Ref, got.fks)
		}
		if !got.indexed[l.value] {
			t.Errorf("%s.%s: foreign key column without an index", l.table, l.value)
		}
	}
}

// sqlType is the column type the schema declares for a kind, as the
// database reports it.
func (d dialect) sqlType(k tandem.Kind) string {
	if d == dialectPostgres {
		return map[tandem.Kind]string{tandem.KindText: "text", tandem.KindEnum: "text", tandem.KindList: "text",
			tandem.KindInt: "bigint", tandem.KindFloat: "double precision", tandem.KindDate: "timestamp with time zone",
			tandem.KindBool: "boolean"}[k]
	}
	return map[tandem.Kind]string{tandem.KindText: "text", tandem.KindEnum: "text", tandem.KindList: "text",
		tandem.KindInt: "integer", tandem.KindFloat: "real", tandem.KindDate: "text", tandem.KindBool: "integer"}[k]
}

// describe reads a table's definition from the database's catalog.
func (db *DB) describe(ctx context.Context, name string) (*dbTable, error) {
	out := &dbTable{columns: map[string]dbColumn{}, indexed: map[string]bool{}}
	q := db.reader
	if db.dialect == dialectSQLite {
		err := each(ctx, q, "SELECT name, lower(type), \"notnull\", pk FROM pragma_table_info(?) ORDER BY pk", []any{name}, func(r *sql.Rows) error {
			var col, typ string
			var notNull bool
			var pk int
			if err := r.Scan(&col, &typ, &notNull, &pk); err != nil {
				return err
			}
			out.columns[col] = dbColumn{typ: typ, notNull: notNull}
			if pk > 0 {
				out.pk = append(out.pk, col)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		var ddl sql.NullString
		if err := q.QueryRowContext(ctx, "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?", name).Scan(&ddl); err != nil && err != sql.ErrNoRows {
			return nil, err
		}
		out.checks = ddl.String
		// SQLite does not report deferrability: read it from each
		// REFERENCES clause of the table's DDL.
		deferred := map[string]bool{}
		for _, line := range strings.Split(ddl.String, "\n") {
			f := strings.Fields(line)
			if len(f) > 0 && strings.Contains(line, "REFERENCES") {
				deferred[f[0]] = strings.Contains(line, "DEFERRABLE INITIALLY DEFERRED")
			}
		}
		err = each(ctx, q, "SELECT \"from\", \"table\", on_delete FROM pragma_foreign_key_list(?)", []any{name}, func(r *sql.Rows) error {
			var fk dbFK
			var onDelete string
			if err := r.Scan(&fk.column, &fk.parent, &onDelete); err != nil {
				return err
			}
			fk.deferred = deferred[fk.column]
			fk.cascade = onDelete == "CASCADE"
			out.fks = append(out.fks, fk)
			return nil
		})
		if err != nil {
			return nil, err
		}
		err = each(ctx, q, "SELECT ii.name FROM pragma_index_list(?) AS il, pragma_index_info(il.name) AS ii WHERE ii.seqno = 0", []any{name}, func(r *sql.Rows) error {
			var col string
			if err := r.Scan(&col); err != nil {
				return err
			}
			out.indexed[col] = true
			return nil
		})
		return out, err
	}

	err := each(ctx, q, `SELECT column_name, data_type, is_nullable = 'NO' FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1`, []any{name}, func(r *sql.Rows) error {
		var col, typ string
		var notNull bool
		if err := r.Scan(&col, &typ, &notNull); err != nil {
			return err
		}
		out.columns[col] = dbColumn{typ: typ, notNull: notNull}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = each(ctx, q, `SELECT c.contype, c.confrelid::regclass::text, c.condeferrable AND c.condeferred, c.confdeltype = 'c',
			pg_get_constraintdef(c.oid), (SELECT array_to_string(array_agg(a.attname ORDER BY k.n), ',')
				FROM unnest(c.conkey) WITH ORDINALITY AS k(attnum, n)
				JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum)
		FROM pg_constraint c WHERE c.conrelid = $1::regclass`, []any{name}, func(r *sql.Rows) error {
		var typ, parent, def, cols string
		var deferred, cascade bool
		if err := r.Scan(&typ, &parent, &deferred, &cascade, &def, &cols); err != nil {
			return err
		}
		switch typ {
		case "p":
			out.pk = strings.Split(cols, ",")
		case "f":
			out.fks = append(out.fks, dbFK{column: cols, parent: parent, deferred: deferred, cascade: cascade})
		case "c":
			out.checks += def + "\n"
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = each(ctx, q, `SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
		WHERE i.indrelid = $1::regclass`, []any{name}, func(r *sql.Rows) error {
		var col string
		if err := r.Scan(&col); err != nil {
			return err
		}
		out.indexed[col] = true
		return nil
	})
	return out, err
}

func each(ctx context.Context, q querier, query string, args []any, fn func(*sql.Rows) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("%s: %w", query, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}
