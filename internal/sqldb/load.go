package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

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
		ctx:     ctx,
		byTable: map[*table]*entLoad{},
		stmts:   map[stmtKey]*sql.Stmt{},
		rows:    batchRows,
		work:    make(chan *batch, 2),
		spare:   make(chan *batch, 4),
		stopped: make(chan struct{}),
	}
	// database/sql rolls the transaction back when ctx ends; free the slot
	// then too, so an abandoned, interrupted load does not block the next.
	l.stopWatch = context.AfterFunc(ctx, l.freeSlot)
	go l.write()
	return l, nil
}

// loader is the tandem.Loader of a DB.
//
// Puts are buffered per entity into batches that become one multi-row
// upsert each. A batch is handed to the load's writer goroutine when it is
// full, when the entity's next put has a different set of columns, or when
// it repeats a key already in the batch; the writer runs the batches in the
// order they were handed over, so rows apply in the order they were put.
// The caller keeps parsing and validating the next rows while the database
// works, which on a bulk import is most of the gain.
type loader struct {
	db  *DB
	d   dialect
	tx  *sql.Tx
	ctx context.Context // Begin's: the transaction's lifetime

	// Used by the caller's goroutine only.
	ents    []*entLoad
	byTable map[*table]*entLoad
	last    *entLoad // the entity of the previous put, to skip the map lookup
	rows    int      // rows per statement
	done    bool
	// audits are the entries Audit buffered, written by Commit.
	audits []tandem.AuditEntry

	// The pipeline: full batches go to the writer on work; spare returns
	// their buffers for reuse; stopped is closed when the writer exits.
	work    chan *batch
	spare   chan *batch
	stopped chan struct{}
	closed  bool // work is closed

	// Used by the writer goroutine only, and by Commit once it has stopped.
	stmts   map[stmtKey]*sql.Stmt
	dropped []droppedIndex // indexes a bulk load set aside (SQLite only)

	mu      sync.Mutex
	err     error // the writer's first failure: the load can only roll back
	discard bool  // Rollback: the writer skips what is left

	// freed makes sure the load slot is given back once, whether by
	// Commit, Rollback or the end of Begin's context.
	freed     sync.Once
	stopWatch func() bool
}

// entLoad is what a load did and has pending for one entity.
type entLoad struct {
	t   *table
	put int    // rows put (caller)
	b   *batch // the batch being filled (caller)

	// Kept by the writer.
	counted bool // before holds the row count prior to this load's writes
	before  int
	changed int // rows inserted or updated, as the database reports them
	// relinked counts rows the upserts left alone but whose lists changed.
	relinked int
}

// batch holds the pending rows of one entity that share a set of present
// columns.
type batch struct {
	el    *entLoad
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
}

type rowKey struct {
	id  string
	dup int
}

const attrsBit = 63

// failure returns the writer's first error, if any.
func (l *loader) failure() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// fail records the writer's first error.
func (l *loader) fail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err == nil {
		l.err = err
	}
}

// Put buffers one record; see tandem.Loader. Errors in the record itself
// (wrong value types, a missing id) return at once and leave the load
// usable; database errors fail the load, and return from a later Put or
// from Commit.
func (l *loader) Put(ctx context.Context, e *tandem.Entity, r tandem.Record) error {
	if l.done {
		return errors.New("put: the load is already committed or rolled back")
	}
	if err := l.failure(); err != nil {
		return err
	}
	el := l.last
	if el == nil || el.t.e != e {
		t, err := l.db.table(e.Name)
		if err != nil {
			return fmt.Errorf("put: %w", err)
		}
		if len(t.e.Columns) != len(e.Columns) {
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

	k := rowKey{id, r.Dup}
	if b := el.b; b != nil {
		// Within one statement PostgreSQL cannot update a row twice, and
		// the link rows of one id would mix: send what came before first.
		_, seen := b.keys[k]
		if b.sig != sig || seen {
			if err := l.send(ctx, el); err != nil {
				return err
			}
		}
	}
	if el.b == nil {
		el.b = l.newBatch(el, sig)
	}
	b := el.b

	mark := len(b.args)
	b.args = append(b.args, r.Values[0]) // the id, without boxing it again
	if t.dup {
		b.args = append(b.args, int64(r.Dup))
	}
	for _, i := range b.cols[1:] {
		c := &t.e.Columns[i]
		v, err := l.d.value(c, r.Values[i])
		if err == nil {
			err = check(c, r.Values[i])
		}
		if err != nil {
			b.args = b.args[:mark]
			return tandem.Errorf(tandem.EINVALID, "put %s %q: %s: %v", e.Name, id, c.Name, err)
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
		return l.send(ctx, el)
	}
	return nil
}

// check applies the column's constraints to a value of the right type, so
// that a bad row is refused on its own instead of failing the load when the
// database finds it (the schema checks the same, as a backstop).
func check(c *tandem.Column, v any) error {
	switch x := v.(type) {
	case nil:
		if c.Required {
			return errors.New("a required value is empty")
		}
	case string:
		if c.Kind == tandem.KindEnum && !slices.Contains(c.Enum, x) {
			return fmt.Errorf("%q is not one of %s", x, strings.Join(c.Enum, ", "))
		}
	case float64:
		if c.NonNegative && x < 0 {
			return fmt.Errorf("%v is negative", x)
		}
	case int64:
		if c.NonNegative && x < 0 {
			return fmt.Errorf("%v is negative", x)
		}
	}
	return nil
}

// newBatch returns an empty batch of the entity for rows with the present
// columns sig, reusing a spare one's buffers when there is one.
func (l *loader) newBatch(el *entLoad, sig uint64) *batch {
	var b *batch
	select {
	case b = <-l.spare:
	default:
		b = &batch{}
	}
	t := el.t
	b.el, b.sig, b.n = el, sig, 0
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
	return b
}

// send hands the entity's batch to the writer.
func (l *loader) send(ctx context.Context, el *entLoad) error {
	b := el.b
	el.b = nil
	if b == nil || b.n == 0 {
		return nil
	}
	select {
	case l.work <- b:
		return nil
	case <-l.stopped:
		if err := l.failure(); err != nil {
			return err
		}
		return fmt.Errorf("load %s: %w", el.t.e.Name, context.Cause(l.ctx))
	case <-ctx.Done():
		return fmt.Errorf("load %s: %w", el.t.e.Name, ctx.Err())
	}
}

// write is the writer goroutine: it runs the batches in order until work is
// closed or the load's context ends, and after a failure only recycles them.
func (l *loader) write() {
	defer close(l.stopped)
	for {
		select {
		case b, ok := <-l.work:
			if !ok {
				return
			}
			l.mu.Lock()
			skip := l.err != nil || l.discard
			l.mu.Unlock()
			if !skip {
				if err := l.flush(l.ctx, b); err != nil {
					l.fail(err)
				}
			}
			select {
			case l.spare <- b:
			default:
			}
		case <-l.ctx.Done():
			l.fail(fmt.Errorf("load: %w", l.ctx.Err()))
			return
		}
	}
}

// stop closes the work queue and waits for the writer to finish.
func (l *loader) stop() {
	if !l.closed {
		l.closed = true
		close(l.work)
	}
	<-l.stopped
}

// Commit writes what is still buffered, counts what the load did and
// commits. On any error nothing is written.
func (l *loader) Commit(ctx context.Context) ([]tandem.LoadCount, error) {
	if l.done {
		return nil, errors.New("commit: the load is already committed or rolled back")
	}
	// Rows pending for parents go first, as they would in a load that
	// flushed them in catalog (dependency) order.
	var err error
	for _, e := range l.db.cat.Entities() {
		if el := l.byTable[l.db.tables[e.Name]]; el != nil && err == nil {
			err = l.send(ctx, el)
		}
	}
	l.stop()
	if err == nil {
		err = l.failure()
	}
	if err == nil {
		err = l.restoreIndexes(ctx, "")
	}
	if err != nil {
		l.Rollback()
		return nil, err
	}
	counts := make([]tandem.LoadCount, 0, len(l.ents))
	for _, e := range l.db.cat.Entities() {
		el := l.byTable[l.db.tables[e.Name]]
		if el == nil || el.put == 0 {
			continue
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
	if err := l.db.finishLoad(ctx, l.tx, l.audits); err != nil {
		l.Rollback()
		return nil, fmt.Errorf("commit load: %w", err)
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
	l.audits = nil
	l.mu.Lock()
	l.discard = true
	l.mu.Unlock()
	l.stop()
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
