package analytics

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/tandemhq/tandem"
)

// table is one entity's rows read from the store, with the index of each id.
// Reports read values by column index; the rows are never written.
type table struct {
	ent   *tandem.Entity
	recs  []tandem.Record
	index map[string]int
	col   map[string]int
}

// data holds the tables a report needs, each read once per report run.
type data struct {
	store  tandem.Store
	cat    *tandem.Catalog
	tables map[string]*table
}

func newData(store tandem.Store, cat *tandem.Catalog) *data {
	return &data{store: store, cat: cat, tables: map[string]*table{}}
}

// table reads an entity on first use.
func (d *data) table(ctx context.Context, name string) (*table, error) {
	if t, ok := d.tables[name]; ok {
		return t, nil
	}
	e, err := d.cat.Entity(name)
	if err != nil {
		return nil, err
	}
	t := &table{ent: e, index: map[string]int{}, col: map[string]int{}}
	for i, c := range e.Columns {
		t.col[c.Name] = i
	}
	// Values that repeat across rows (stages, outcomes, account ids, days)
	// are kept once: a million deals hold a few thousand distinct ones, and
	// sharing them keeps a large store's rows in a fraction of the memory.
	// Ids and names are unique and skipped.
	intern := map[any]any{}
	share := func(v any) any {
		if c, ok := intern[v]; ok {
			return c
		}
		intern[v] = v
		return v
	}
	err = d.store.Scan(ctx, name, func(r tandem.Record) error {
		for i, v := range r.Values {
			if i == 0 || e.Columns[i].Name == "name" {
				continue
			}
			switch x := v.(type) {
			case string, time.Time:
				r.Values[i] = share(v)
			case []string:
				for j, item := range x {
					x[j] = share(item).(string)
				}
			}
		}
		if _, dup := t.index[r.ID()]; !dup {
			t.index[r.ID()] = len(t.recs)
		}
		t.recs = append(t.recs, r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	d.tables[name] = t
	return t, nil
}

// ci returns a column's index; the names used by reports are canonical, so
// a missing one is a programming error caught by tests.
func (t *table) ci(name string) int {
	i, ok := t.col[name]
	if !ok {
		panic("analytics: no column " + t.ent.Name + "." + name)
	}
	return i
}

func (t *table) str(row, col int) string {
	s, _ := t.recs[row].Values[col].(string)
	return s
}

func (t *table) list(row, col int) []string {
	l, _ := t.recs[row].Values[col].([]string)
	return l
}

// num returns a numeric value or NaN when empty.
func (t *table) num(row, col int) float64 {
	switch v := t.recs[row].Values[col].(type) {
	case float64:
		return v
	case int64:
		return float64(v)
	}
	return math.NaN()
}

// day returns a date column as days since 1970-01-01, and false when empty.
func (t *table) day(row, col int) (int, bool) {
	v, ok := t.recs[row].Values[col].(time.Time)
	if !ok {
		return 0, false
	}
	return dayOf(v), true
}

// dayOf counts whole days since the Unix epoch (UTC), flooring.
func dayOf(v time.Time) int {
	s := v.Unix()
	d := s / 86400
	if s%86400 < 0 {
		d--
	}
	return int(d)
}

// dateOf is the inverse of dayOf.
func dateOf(day int) time.Time { return time.Unix(int64(day)*86400, 0).UTC() }

// outcome of a deal as of a report date: deals closed after it are open.
type outcome uint8

const (
	outOpen outcome = iota
	outWon
	outLost
)

// deals is the deal table with the columns reports use, resolved once.
type deals struct {
	*table
	outcome, typ, amount, created, closed, account, rep, lead, features, products, stage, source int
}

func (d *data) deals(ctx context.Context) (*deals, error) {
	t, err := d.table(ctx, "deals")
	if err != nil {
		return nil, err
	}
	return &deals{table: t, outcome: t.ci("outcome"), typ: t.ci("type"), amount: t.ci("amount"),
		created: t.ci("created"), closed: t.ci("closed"), account: t.ci("account_id"), rep: t.ci("rep_id"),
		lead: t.ci("lead_id"), features: t.ci("features"), products: t.ci("products"), stage: t.ci("stage"),
		source: t.ci("source")}, nil
}

// outcomeAt is the deal's outcome as of the report date: a deal that closed
// after asOf was still open then.
func (t *deals) outcomeAt(row, asOf int) outcome {
	var o outcome
	switch t.str(row, t.outcome) {
	case "won":
		o = outWon
	case "lost":
		o = outLost
	default:
		return outOpen
	}
	if c, ok := t.day(row, t.closed); ok && c > asOf {
		return outOpen
	}
	return o
}
