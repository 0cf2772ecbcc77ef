package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// This file is the writer's side of a load: the SQL that a batch becomes.

type stmtKey struct {
	t         *table
	sig       uint64
	returning bool
}

// droppedIndex is a secondary index that a load into an empty SQLite table
// dropped, to build again before the load commits: one sort of the loaded
// rows costs far less than a b-tree insert per row per index, which is
// most of the time of loading into a table with many indexes.
type droppedIndex struct {
	table, name, sql string
	// parent is the entity the index's leading column refers to. While the
	// index is gone, inserting a parent row with deferred foreign key
	// violations outstanding would make SQLite scan the whole child table,
	// so the index is built again before any row of parent is written.
	parent string
}

// flush writes one batch.
func (l *loader) flush(ctx context.Context, b *batch) error {
	el, t := b.el, b.el.t
	if !el.counted {
		n, err := countRows(ctx, l.tx, t)
		if err != nil {
			return fmt.Errorf("load %s: %w", t.e.Name, err)
		}
		el.before, el.counted = n, true
		if n == 0 && l.d == dialectSQLite {
			if err := l.dropIndexes(ctx, t); err != nil {
				return fmt.Errorf("load %s: %w", t.e.Name, err)
			}
		}
	}
	if err := l.restoreIndexes(ctx, t.e.Name); err != nil {
		return fmt.Errorf("load %s: %w", t.e.Name, err)
	}
	if len(b.lists) == 0 {
		res, err := l.exec(ctx, b)
		if err != nil {
			return constraintError("load "+t.e.Name, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("load %s: %w", t.e.Name, err)
		}
		el.changed += int(n)
		return nil
	}

	rows, err := l.query(ctx, b)
	if err != nil {
		return constraintError("load "+t.e.Name, err)
	}
	touched := make(map[string]bool, b.n)
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return fmt.Errorf("load %s: %w", t.e.Name, err)
		}
		touched[id] = true
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return constraintError("load "+t.e.Name, err)
	}
	el.changed += len(touched)
	return l.relink(ctx, b, touched)
}

// exec runs the batch's upsert, through a cached prepared statement when
// the batch is full (the common case of a bulk load).
func (l *loader) exec(ctx context.Context, b *batch) (sql.Result, error) {
	if b.n < b.max {
		return l.tx.ExecContext(ctx, l.d.upsertSQL(b, b.n, false), b.args...)
	}
	st, err := l.stmt(ctx, b, false)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, b.args...)
}

// query runs the batch's upsert returning the ids it inserted or changed.
func (l *loader) query(ctx context.Context, b *batch) (*sql.Rows, error) {
	if b.n < b.max {
		return l.tx.QueryContext(ctx, l.d.upsertSQL(b, b.n, true), b.args...)
	}
	st, err := l.stmt(ctx, b, true)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, b.args...)
}

// stmt returns the prepared upsert of a full batch of the batch's kind,
// preparing it on first use; it lives as long as the load.
func (l *loader) stmt(ctx context.Context, b *batch, returning bool) (*sql.Stmt, error) {
	k := stmtKey{b.el.t, b.sig, returning}
	if st := l.stmts[k]; st != nil {
		return st, nil
	}
	st, err := l.tx.PrepareContext(ctx, l.d.upsertSQL(b, b.max, returning))
	if err != nil {
		return nil, err
	}
	l.stmts[k] = st
	return st, nil
}

// upsertSQL builds the multi-row upsert of n rows with the batch's columns:
// new keys are inserted (absent columns NULL, attrs '{}'), existing rows get
// the present columns, but only when a value actually differs, so that
// re-importing a file rewrites nothing and reports its rows unchanged.
//
//	INSERT INTO "deals" AS t ("id", "stage", …) VALUES (?, ?, …), …
//	ON CONFLICT ("id") DO UPDATE SET "stage" = excluded."stage", …
//	WHERE t."stage" IS NOT excluded."stage" OR …
func (d dialect) upsertSQL(b *batch, n int, returning bool) string {
	t := b.el.t
	names := make([]string, 0, b.width)
	names = append(names, "id")
	if t.dup {
		names = append(names, "dup")
	}
	for _, i := range b.cols[1:] {
		names = append(names, t.e.Columns[i].Name)
	}
	if b.attrs {
		names = append(names, "attrs")
	}
	var s strings.Builder
	s.Grow(64 + n*b.width*6)
	s.WriteString("INSERT INTO " + quote(t.e.Name) + " AS t (")
	for i, c := range names {
		if i > 0 {
			s.WriteString(", ")
		}
		s.WriteString(quote(c))
	}
	s.WriteString(") VALUES ")
	for r := range n {
		if r > 0 {
			s.WriteString(", ")
		}
		s.WriteString("(" + d.params(r*b.width+1, b.width) + ")")
	}
	key := 1
	if t.dup {
		key = 2
	}
	s.WriteString(" ON CONFLICT (" + strings.Join(quoteAll(names[:key]), ", ") + ") DO ")
	if len(names) == key {
		s.WriteString("NOTHING")
	} else {
		s.WriteString("UPDATE SET ")
		for i, c := range names[key:] {
			if i > 0 {
				s.WriteString(", ")
			}
			s.WriteString(quote(c) + " = excluded." + quote(c))
		}
		s.WriteString(" WHERE ")
		for i, c := range names[key:] {
			if i > 0 {
				s.WriteString(" OR ")
			}
			s.WriteString("t." + quote(c) + " " + d.distinct() + " excluded." + quote(c))
		}
	}
	if returning {
		s.WriteString(" RETURNING id")
	}
	return s.String()
}

func quoteAll(names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = quote(n)
	}
	return out
}

// params returns n comma-separated placeholders numbered from first.
func (d dialect) params(first, n int) string {
	var s strings.Builder
	for i := range n {
		if i > 0 {
			s.WriteString(", ")
		}
		s.WriteString(d.param(first + i))
	}
	return s.String()
}

// relink replaces the link rows of the batch's deals whose lists differ
// from what is stored, leaving equal lists untouched. Deals the upsert did
// not change but whose lists did are counted as updated.
func (l *loader) relink(ctx context.Context, b *batch, touched map[string]bool) error {
	el, t := b.el, b.el.t
	ids := make([]any, b.n)
	for i, id := range b.ids {
		ids[i] = id
	}
	relinked := map[string]bool{}
	for li, ci := range b.lists {
		lk := t.links[ci]
		stored := make(map[string][]string, b.n)
		rows, err := l.tx.QueryContext(ctx, "SELECT deal_id, "+quote(lk.value)+" FROM "+quote(lk.table)+
			" WHERE deal_id IN ("+l.d.params(1, b.n)+") ORDER BY deal_id, position", ids...)
		if err != nil {
			return fmt.Errorf("load %s: read %s: %w", t.e.Name, lk.table, err)
		}
		for rows.Next() {
			var id, v string
			if err := rows.Scan(&id, &v); err != nil {
				rows.Close()
				return fmt.Errorf("load %s: read %s: %w", t.e.Name, lk.table, err)
			}
			stored[id] = append(stored[id], v)
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("load %s: read %s: %w", t.e.Name, lk.table, err)
		}
		var changed, insert []any
		for r, id := range b.ids {
			want := b.items[r*len(b.lists)+li]
			if slices.Equal(stored[id], want) {
				continue
			}
			changed = append(changed, id)
			for pos, v := range want {
				insert = append(insert, id, int64(pos), v)
			}
			if !touched[id] {
				relinked[id] = true
			}
		}
		if len(changed) == 0 {
			continue
		}
		if _, err := l.tx.ExecContext(ctx, "DELETE FROM "+quote(lk.table)+" WHERE deal_id IN ("+l.d.params(1, len(changed))+")", changed...); err != nil {
			return constraintError("load "+t.e.Name, fmt.Errorf("clear %s: %w", lk.table, err))
		}
		const width = 3
		per := min(batchRows*4, l.d.maxParams()/width)
		for len(insert) > 0 {
			n := min(len(insert)/width, per)
			var s strings.Builder
			s.WriteString("INSERT INTO " + quote(lk.table) + " (deal_id, position, " + quote(lk.value) + ") VALUES ")
			for r := range n {
				if r > 0 {
					s.WriteString(", ")
				}
				s.WriteString("(" + l.d.params(r*width+1, width) + ")")
			}
			if _, err := l.tx.ExecContext(ctx, s.String(), insert[:n*width]...); err != nil {
				return constraintError("load "+t.e.Name, fmt.Errorf("write %s: %w", lk.table, err))
			}
			insert = insert[n*width:]
		}
	}
	el.relinked += len(relinked)
	return nil
}

// dropIndexes drops the secondary indexes of an empty entity table and of
// its link tables (empty too, by their foreign keys), keeping those on a
// column that refers to the table itself, whose rows this load writes.
// Everything happens in the load's transaction: readers keep their indexes,
// and a rollback restores them.
func (l *loader) dropIndexes(ctx context.Context, t *table) error {
	tables := []string{t.e.Name}
	for _, i := range t.linkCols {
		tables = append(tables, t.links[i].table)
	}
	var found []droppedIndex
	for _, tbl := range tables {
		rows, err := l.tx.QueryContext(ctx, `SELECT s.name, s.sql, i.name FROM sqlite_schema AS s, pragma_index_info(s.name) AS i
			WHERE s.type = 'index' AND s.tbl_name = ? AND s.sql IS NOT NULL AND i.seqno = 0 ORDER BY s.name`, tbl)
		if err != nil {
			return fmt.Errorf("list indexes of %s: %w", tbl, err)
		}
		for rows.Next() {
			d := droppedIndex{table: tbl}
			var col string
			if err := rows.Scan(&d.name, &d.sql, &col); err != nil {
				rows.Close()
				return fmt.Errorf("list indexes of %s: %w", tbl, err)
			}
			d.parent = l.db.refersTo(tbl, col)
			if d.parent != t.e.Name {
				found = append(found, d)
			}
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return fmt.Errorf("list indexes of %s: %w", tbl, err)
		}
	}
	for _, d := range found {
		if _, err := l.tx.ExecContext(ctx, "DROP INDEX "+quote(d.name)); err != nil {
			return fmt.Errorf("drop index %s: %w", d.name, err)
		}
		l.dropped = append(l.dropped, d)
	}
	return nil
}

// restoreIndexes builds again the dropped indexes whose leading column
// refers to entity (all of them when entity is ""), before rows of entity
// are written.
func (l *loader) restoreIndexes(ctx context.Context, entity string) error {
	kept := l.dropped[:0]
	var err error
	for _, d := range l.dropped {
		if err != nil || (entity != "" && d.parent != entity) {
			kept = append(kept, d)
			continue
		}
		if _, e := l.tx.ExecContext(ctx, d.sql); e != nil {
			err = fmt.Errorf("build index %s: %w", d.name, e)
			kept = append(kept, d)
		}
	}
	l.dropped = kept
	return err
}

// refersTo returns the entity that column col of table tbl (an entity or
// link table) refers to, or "".
func (db *DB) refersTo(tbl, col string) string {
	if t, ok := db.tables[tbl]; ok {
		if c, _ := t.e.Column(col); c != nil {
			return c.Ref
		}
		return ""
	}
	for _, t := range db.tables {
		for _, i := range t.linkCols {
			switch l := t.links[i]; {
			case l.table != tbl:
			case col == "deal_id":
				return t.e.Name
			case col == l.value:
				return t.e.Columns[i].Ref
			}
		}
	}
	return ""
}

// countRows counts an entity's rows through q (the load's transaction).
func countRows(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, t *table) (int, error) {
	var n int
	if err := q.QueryRowContext(ctx, "SELECT count(*) FROM "+quote(t.e.Name)).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s: %w", t.e.Name, err)
	}
	return n, nil
}

// value converts a record value to what the dialect stores for the column.
func (d dialect) value(c *tandem.Column, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch c.Kind {
	case tandem.KindText, tandem.KindEnum:
		if _, ok := v.(string); ok {
			return v, nil
		}
	case tandem.KindInt:
		switch x := v.(type) {
		case int64:
			return v, nil
		case int:
			return int64(x), nil
		}
	case tandem.KindFloat:
		switch x := v.(type) {
		case float64:
			return v, nil
		case int64:
			return float64(x), nil
		case int:
			return float64(x), nil
		}
	case tandem.KindDate:
		if x, ok := v.(time.Time); ok {
			// PostgreSQL keeps microseconds; both stores keep the same.
			x = x.UTC().Truncate(time.Microsecond)
			if d == dialectPostgres {
				return x, nil
			}
			return tandem.FormatValue(x), nil
		}
	case tandem.KindBool:
		if x, ok := v.(bool); ok {
			if d == dialectPostgres {
				return x, nil
			}
			if x {
				return int64(1), nil
			}
			return int64(0), nil
		}
	case tandem.KindList:
		if x, ok := v.([]string); ok {
			if len(x) == 0 {
				return nil, nil
			}
			return strings.Join(x, ";"), nil
		}
	}
	return nil, fmt.Errorf("%T is not a %s value", v, c.Kind)
}

// attrsJSON renders attributes as a JSON object with sorted keys (what
// encoding/json does for maps), so equal attributes are equal text and the
// upsert can tell unchanged rows on SQLite.
func attrsJSON(attrs map[string]string) string {
	if len(attrs) == 0 {
		return "{}"
	}
	b, err := json.Marshal(attrs)
	if err != nil { // cannot happen for map[string]string
		return "{}"
	}
	return string(b)
}
