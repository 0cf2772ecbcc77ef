package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tandemhq/tandem"
)

// batchRows is how many rows one INSERT statement carries (fewer when the
// rows are so wide that this would pass the dialect's parameter limit).
// Around 500 the per-statement overhead has stopped mattering; larger
// statements only cost memory and compile time.
const batchRows = 500

// Begin starts a load: one transaction on the writer. It waits for a load
// already open to finish, since the store takes one writer at a time. The
// load lives as long as ctx: cancelling ctx rolls it back.
func (db *DB) Begin(ctx context.Context) (tandem.Loader, error) {
	select {
	case db.loadSlot <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("begin load on %s: waiting for the load in progress: %w", db.where, ctx.Err())
	}
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		<-db.loadSlot
		return nil, fmt.Errorf("begin load on %s: %w", db.where, err)
	}
	l := &loader{
		db:      db,
		d:       db.dialect,
		tx:      tx,
		byTable: map[*table]*entLoad{},
		stmts:   map[stmtKey]*sql.Stmt{},
		rows:    batchRows,
	}
	// database/sql rolls the transaction back when ctx ends; free the slot
	// then too, so an abandoned, interrupted load does not block the next.
	l.stopWatch = context.AfterFunc(ctx, l.freeSlot)
	return l, nil
}

// loader is the tandem.Loader of a DB. Puts are buffered per entity into
// multi-row upserts, one statement per few hundred rows, run on the load's
// transaction when a batch is full, when the entity's next put has a
// different set of columns or repeats a key already in the batch (so rows
// still apply in the order they were put), and at Commit.
type loader struct {
	db      *DB
	d       dialect
	tx      *sql.Tx
	ents    []*entLoad
	byTable map[*table]*entLoad
	last    *entLoad // the entity of the previous put, to skip the map lookup
	stmts   map[stmtKey]*sql.Stmt
	rows    int   // rows per statement
	err     error // the first failure: after it the load can only roll back
	done    bool
	// freed makes sure the load slot is given back once, whether by
	// Commit, Rollback or the end of Begin's context.
	freed     sync.Once
	stopWatch func() bool
}

// entLoad is what a load did and has pending for one entity.
type entLoad struct {
	t       *table
	counted bool // before holds the row count prior to this load's writes
	before  int
	put     int // rows put
	changed int // rows inserted or updated, as the database reports them
	// relinked counts rows the upserts left alone but whose lists changed.
	relinked int
	b        batch
}

// batch holds the pending rows of one entity that share a set of present
// columns.
type batch struct {
	sig   uint64 // bit i: column i present; bit 63: attrs present
	cols  []int  // present columns stored in the entity's table, id first
	lists []int  // present columns stored in link tables
	attrs bool
	width int // parameters per row
	max   int // rows per statement
	n     int
	args  []any
	keys  map[rowKey]struct{}
	ids   []string   // the rows' ids, when lists are present
	items [][]string // n × len(lists) lists, row-major
	pend  bool       // the batch has been set up for sig
}

type rowKey struct {
	id  string
	dup int
}

type stmtKey struct {
	t         *table
	sig       uint64
	returning bool
}

const attrsBit = 63

func (l *loader) fail(err error) error {
	if l.err == nil {
		l.err = err
	}
	return err
}

// Put buffers one record; see tandem.Loader. Errors in the record itself
// (wrong value types, a missing id) return at once and leave the load
// usable; database errors fail the load.
func (l *loader) Put(ctx context.Context, e *tandem.Entity, r tandem.Record) error {
	if l.done {
		return errors.New("put: the load is already committed or rolled back")
	}
	if l.err != nil {
		return l.err
	}
	el := l.last
	if el == nil || el.t.e != e {
		t, err := l.db.table(e.Name)
		if err != nil {
			return fmt.Errorf("put: %w", err)
		}
		if t.e != e && len(t.e.Columns) != len(e.Columns) {
			return fmt.Errorf("put %s: the entity does not match the store's catalog", e.Name)
		}
		el = l.byTable[t]
		if el == nil {
			el = &entLoad{t: t}
			l.byTable[t] = el
			l.ents = append(l.ents, el)
		}
		l.last = el
	}
	t := el.t
	if len(r.Values) != len(t.e.Columns) {
		return tandem.Errorf(tandem.EINVALID, "put %s: %d values for %d columns", e.Name, len(r.Values), len(t.e.Columns))
	}
	id, _ := r.Values[0].(string)
	if id == "" {
		return tandem.Errorf(tandem.EINVALID, "put %s: a row has no id", e.Name)
	}
	if r.Dup < 0 || (r.Dup > 0 && !t.dup) {
		return tandem.Errorf(tandem.EINVALID, "put %s %q: duplicate number %d, but %s ids must be unique", e.Name, id, r.Dup, e.Name)
	}
	if len(t.e.Columns) >= attrsBit {
		return tandem.Errorf(tandem.EINTERNAL, "put %s: too many columns", e.Name)
	}
	var sig uint64
	for i, v := range r.Values {
		if _, absent := v.(tandem.Absent); !absent {
			sig |= 1 << i
		}
	}
	if r.Attrs != nil {
		sig |= 1 << attrsBit
	}

	b := &el.b
	if b.pend && b.sig != sig {
		if err := l.flush(ctx, el); err != nil {
			return err
		}
	}
	if !b.pend || b.sig != sig {
		l.setup(t, b, sig)
	}
	k := rowKey{id, r.Dup}
	if _, seen := b.keys[k]; seen {
		// Within one statement PostgreSQL cannot update a row twice, and
		// the link rows of one id would mix: run what came before first.
		if err := l.flush(ctx, el); err != nil {
			return err
		}
	}

	mark := len(b.args)
	b.args = append(b.args, id)
	if t.dup {
		b.args = append(b.args, int64(r.Dup))
	}
	for _, i := range b.cols[1:] {
		c := &t.e.Columns[i]
		v, err := l.d.value(c, r.Values[i])
		if err == nil && v == nil && c.Required {
			err = errors.New("a required value is empty")
		}
		if err != nil {
			b.args = b.args[:mark]
			return tandem.Errorf(tandem.EINVALID, "put %s %q: %s: %v", e.Name, id, t.e.Columns[i].Name, err)
		}
		b.args = append(b.args, v)
	}
	if b.attrs {
		b.args = append(b.args, attrsJSON(r.Attrs))
	}
	if len(b.lists) > 0 {
		for _, i := range b.lists {
			v := r.Values[i]
			list, ok := v.([]string)
			if !ok && v != nil {
				b.args = b.args[:mark]
				b.items = b.items[:b.n*len(b.lists)]
				return tandem.Errorf(tandem.EINVALID, "put %s %q: %s: %T is not a list", e.Name, id, t.e.Columns[i].Name, v)
			}
			b.items = append(b.items, slices.Clone(list))
		}
		b.ids = append(b.ids, id)
	}
	b.keys[k] = struct{}{}
	b.n++
	el.put++
	if b.n == b.max {
		return l.flush(ctx, el)
	}
	return nil
}

// setup makes b an empty batch for rows with the present columns sig,
// reusing its buffers.
func (l *loader) setup(t *table, b *batch, sig uint64) {
	b.sig, b.pend, b.n = sig, true, 0
	b.cols, b.lists = b.cols[:0], b.lists[:0]
	for i := range t.e.Columns {
		switch {
		case sig&(1<<i) == 0 && i != 0:
		case t.inline(i):
			b.cols = append(b.cols, i)
		default:
			b.lists = append(b.lists, i)
		}
	}
	if len(b.cols) == 0 || b.cols[0] != 0 {
		b.cols = append([]int{0}, b.cols...)
	}
	b.attrs = sig&(1<<attrsBit) != 0
	b.width = len(b.cols)
	if t.dup {
		b.width++
	}
	if b.attrs {
		b.width++
	}
	b.max = min(l.rows, l.d.maxParams()/b.width)
	b.args, b.ids, b.items = b.args[:0], b.ids[:0], b.items[:0]
	if b.keys == nil {
		b.keys = make(map[rowKey]struct{}, b.max)
	} else {
		clear(b.keys)
	}
}

// flush writes the entity's pending rows.
func (l *loader) flush(ctx context.Context, el *entLoad) error {
	b := &el.b
	if b.n == 0 {
		return nil
	}
	t := el.t
	if !el.counted {
		n, err := countRows(ctx, l.tx, t)
		if err != nil {
			return l.fail(fmt.Errorf("load %s: %w", t.e.Name, err))
		}
		el.before, el.counted = n, true
	}
	returning := len(b.lists) > 0
	var touched map[string]bool
	if returning {
		rows, err := l.query(ctx, t, b)
		if err != nil {
			return l.fail(constraintError("load "+t.e.Name, err))
		}
		touched = make(map[string]bool, b.n)
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return l.fail(fmt.Errorf("load %s: %w", t.e.Name, err))
			}
			touched[id] = true
		}
		if err := errors.Join(rows.Err(), rows.Close()); err != nil {
			return l.fail(constraintError("load "+t.e.Name, err))
		}
		el.changed += len(touched)
		if err := l.relink(ctx, el, touched); err != nil {
			return l.fail(err)
		}
	} else {
		res, err := l.exec(ctx, t, b)
		if err != nil {
			return l.fail(constraintError("load "+t.e.Name, err))
		}
		n, err := res.RowsAffected()
		if err != nil {
			return l.fail(fmt.Errorf("load %s: %w", t.e.Name, err))
		}
		el.changed += int(n)
	}
	b.n = 0
	b.args, b.ids, b.items = b.args[:0], b.ids[:0], b.items[:0]
	clear(b.keys)
	return nil
}

// exec runs the batch's upsert, through a cached prepared statement when
// the batch is full (the common case of a bulk load).
func (l *loader) exec(ctx context.Context, t *table, b *batch) (sql.Result, error) {
	if b.n < b.max {
		return l.tx.ExecContext(ctx, l.d.upsertSQL(t, b, b.n, false), b.args...)
	}
	st, err := l.stmt(ctx, t, b, false)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, b.args...)
}

// query runs the batch's upsert returning the ids it inserted or changed.
func (l *loader) query(ctx context.Context, t *table, b *batch) (*sql.Rows, error) {
	if b.n < b.max {
		return l.tx.QueryContext(ctx, l.d.upsertSQL(t, b, b.n, true), b.args...)
	}
	st, err := l.stmt(ctx, t, b, true)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, b.args...)
}

func (l *loader) stmt(ctx context.Context, t *table, b *batch, returning bool) (*sql.Stmt, error) {
	k := stmtKey{t, b.sig, returning}
	if st := l.stmts[k]; st != nil {
		return st, nil
	}
	st, err := l.tx.PrepareContext(ctx, l.d.upsertSQL(t, b, b.max, returning))
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
func (d dialect) upsertSQL(t *table, b *batch, n int, returning bool) string {
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
	p := 0
	for r := range n {
		if r > 0 {
			s.WriteString(", ")
		}
		s.WriteByte('(')
		for c := range b.width {
			if c > 0 {
				s.WriteString(", ")
			}
			p++
			s.WriteString(d.param(p))
		}
		s.WriteByte(')')
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

// relink replaces the link rows of the batch's deals whose lists differ
// from what is stored, leaving equal lists untouched. Deals the upsert did
// not change but whose lists did are counted as updated.
func (l *loader) relink(ctx context.Context, el *entLoad, touched map[string]bool) error {
	b, t := &el.b, el.t
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
		var changed []any
		var insert []any
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
		per := l.d.maxParams() / width
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

// Commit writes what is still buffered, counts what the load did and
// commits. On any error nothing is written.
func (l *loader) Commit(ctx context.Context) ([]tandem.LoadCount, error) {
	if l.done {
		return nil, errors.New("commit: the load is already committed or rolled back")
	}
	if l.err != nil {
		l.Rollback()
		return nil, l.err
	}
	counts := make([]tandem.LoadCount, 0, len(l.ents))
	for _, e := range l.db.cat.Entities() {
		el := l.byTable[l.db.tables[e.Name]]
		if el == nil || el.put == 0 {
			continue
		}
		if err := l.flush(ctx, el); err != nil {
			l.Rollback()
			return nil, err
		}
		after, err := countRows(ctx, l.tx, el.t)
		if err != nil {
			l.Rollback()
			return nil, fmt.Errorf("commit load: %w", err)
		}
		c := tandem.LoadCount{Entity: e.Name, Rows: el.put, Inserted: after - el.before}
		c.Updated = max(0, el.changed-c.Inserted) + el.relinked
		c.Unchanged = max(0, c.Rows-c.Inserted-c.Updated)
		counts = append(counts, c)
	}
	l.done = true
	defer l.release()
	if err := l.tx.Commit(); err != nil {
		return nil, constraintError("commit load", err)
	}
	return counts, nil
}

// Rollback discards the load; it is safe after Commit and more than once.
func (l *loader) Rollback() error {
	if l.done {
		return nil
	}
	l.done = true
	defer l.release()
	if err := l.tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return fmt.Errorf("rollback load: %w", err)
	}
	return nil
}

// release closes the load's statements and lets the next load begin.
func (l *loader) release() {
	l.stopWatch()
	for _, st := range l.stmts {
		st.Close()
	}
	clear(l.stmts)
	l.freeSlot()
}

func (l *loader) freeSlot() { l.freed.Do(func() { <-l.db.loadSlot }) }

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
