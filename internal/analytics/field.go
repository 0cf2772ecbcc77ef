package analytics

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
)

// blank is the group key of rows whose field is empty.
const blank = "(blank)"

// field reads one --by or --where field of a base table's rows. Most fields
// have one value per row; list columns (a deal's products or features) have
// several, and a row then belongs to a group for each.
type field struct {
	name string
	one  func(row int) string
	many func(row int) []string
}

// values returns the row's values of the field; never empty.
func (f *field) values(row int, buf []string) []string {
	if f.many != nil {
		v := f.many(row)
		if len(v) == 0 {
			return append(buf[:0], blank)
		}
		return v
	}
	return append(buf[:0], f.one(row))
}

// primaryDate names the date that period fields (quarter, year, month) and
// --from/--to read on each entity.
var primaryDate = map[string]string{
	"accounts": "created", "leads": "created", "deals": "created", "deal_stages": "entered_at",
	"subscriptions": "start", "usage": "at", "adoptions": "adopted_at", "tickets": "opened",
	"churn_events": "at", "features": "released_at",
}

// resolve turns a field name into a reader on table base. Names are a
// canonical column ("stage"), attr.<name>, a derived field (quarter, year,
// month, size_band), or a path through a reference: account.segment,
// rep.team, account.attr.plan_tier, and for list columns product.name or
// feature.name (one group per item).
func (d *data) resolve(ctx context.Context, base *table, name string) (*field, error) {
	f, err := d.resolvePath(ctx, base, name, name)
	if err != nil {
		return nil, err
	}
	f.name = name
	return f, nil
}

func (d *data) resolvePath(ctx context.Context, base *table, full, name string) (*field, error) {
	e := base.ent
	if attr, ok := strings.CutPrefix(name, "attr."); ok {
		if attr == "" {
			return nil, tandem.Errorf(tandem.EINVALID, "field %q: attr. needs a name", full)
		}
		return &field{one: func(row int) string { return orBlank(base.recs[row].Attrs[attr]) }}, nil
	}
	head, rest, nested := strings.Cut(name, ".")
	if !nested {
		if c, i := e.Column(head); c != nil {
			if c.Kind == tandem.KindList {
				return &field{many: func(row int) []string { return base.list(row, i) }}, nil
			}
			return &field{one: func(row int) string { return orBlank(tandem.FormatValue(base.recs[row].Values[i])) }}, nil
		}
		if f := d.derived(base, head); f != nil {
			return f, nil
		}
		return nil, unknownField(e, full)
	}
	// A reference: "account" follows account_id, "product" the products list.
	if c, i := e.Column(head + "_id"); c != nil && c.Ref != "" {
		target, inner, err := d.follow(ctx, c.Ref, full, rest)
		if err != nil {
			return nil, err
		}
		return &field{one: func(row int) string {
			j, ok := target.index[base.str(row, i)]
			if !ok {
				return blank
			}
			return inner.one(j)
		}}, nil
	}
	if c, i := e.Column(head + "s"); c != nil && c.Kind == tandem.KindList && c.Ref != "" {
		target, inner, err := d.follow(ctx, c.Ref, full, rest)
		if err != nil {
			return nil, err
		}
		return &field{many: func(row int) []string {
			ids := base.list(row, i)
			out := make([]string, len(ids))
			for k, id := range ids {
				if j, ok := target.index[id]; ok {
					out[k] = inner.one(j)
				} else {
					out[k] = blank
				}
			}
			return out
		}}, nil
	}
	return nil, unknownField(e, full)
}

// follow resolves the rest of a field path on the referenced entity; the
// result must have one value per row, since the reference itself decides
// how many groups a row joins.
func (d *data) follow(ctx context.Context, entity, full, rest string) (*table, *field, error) {
	target, err := d.table(ctx, entity)
	if err != nil {
		return nil, nil, err
	}
	inner, err := d.resolvePath(ctx, target, full, rest)
	if err != nil {
		return nil, nil, err
	}
	if inner.many != nil {
		return nil, nil, tandem.Errorf(tandem.EINVALID, "field %q: a list behind a reference cannot be a group", full)
	}
	return target, inner, nil
}

// derived returns the computed fields of an entity, or nil.
func (d *data) derived(base *table, name string) *field {
	switch name {
	case "quarter", "year", "month":
		dc, ok := primaryDate[base.ent.Name]
		if !ok {
			return nil
		}
		i := base.ci(dc)
		return &field{one: func(row int) string {
			day, ok := base.day(row, i)
			if !ok {
				return blank
			}
			t := dateOf(day)
			switch name {
			case "year":
				return strconv.Itoa(t.Year())
			case "month":
				return t.Format("2006-01")
			}
			return fmt.Sprintf("%d-Q%d", t.Year(), (int(t.Month())+2)/3)
		}}
	case "size_band":
		if base.ent.Name != "accounts" {
			return nil
		}
		i := base.ci("employees")
		return &field{one: func(row int) string { return sizeBand(base.num(row, i)) }}
	}
	return nil
}

// sizeBand groups companies by employees, in the bands RevOps teams use.
func sizeBand(employees float64) string {
	switch {
	case employees != employees: // NaN: unknown
		return blank
	case employees < 50:
		return "1-49"
	case employees < 250:
		return "50-249"
	case employees < 1000:
		return "250-999"
	case employees < 5000:
		return "1000-4999"
	}
	return "5000+"
}

func orBlank(s string) string {
	if s == "" {
		return blank
	}
	return s
}

func unknownField(e *tandem.Entity, full string) error {
	var refs []string
	for _, c := range e.Columns {
		if c.Ref != "" {
			refs = append(refs, strings.TrimSuffix(strings.TrimSuffix(c.Name, "_id"), "s")+".<column>")
		}
	}
	return tandem.Errorf(tandem.EINVALID, "unknown field %q for %s (one of: %s, %s, attr.<name>, quarter, year, month)",
		full, e.Name, strings.Join(e.ColumnNames(), ", "), strings.Join(refs, ", "))
}

// filter keeps the rows of base that satisfy every condition. Conditions
// on the same field with "=" are alternatives; list fields match when any
// item matches ("=") or none does ("!=").
func (d *data) filter(ctx context.Context, base *table, rows []int, conds []tandem.Condition) ([]int, error) {
	type clause struct {
		f      *field
		op     string
		values map[string]bool
	}
	var clauses []*clause
	byKey := map[string]*clause{}
	for _, c := range conds {
		key := c.Field + "\x00" + c.Op
		if cl, ok := byKey[key]; ok && c.Op == "=" {
			cl.values[c.Value] = true
			continue
		}
		f, err := d.resolve(ctx, base, c.Field)
		if err != nil {
			return nil, err
		}
		value := c.Value
		if value == "" {
			value = blank
		}
		cl := &clause{f: f, op: c.Op, values: map[string]bool{value: true}}
		byKey[key] = cl
		clauses = append(clauses, cl)
	}
	if len(clauses) == 0 {
		return rows, nil
	}
	out := rows[:0:0]
	var buf []string
	for _, row := range rows {
		keep := true
		for _, cl := range clauses {
			buf = cl.f.values(row, buf)
			hit := slices.ContainsFunc(buf, func(v string) bool { return cl.values[v] })
			if hit != (cl.op == "=") {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, row)
		}
	}
	return out, nil
}

// grouping is the rows of each group, in key order.
type grouping struct {
	fields []string
	keys   [][]string
	rows   [][]int
}

// group splits rows by the values of fields (a row with several values of a
// list field joins each of their groups). No fields means one group.
func (d *data) group(ctx context.Context, base *table, rows []int, by []string) (*grouping, error) {
	fs := make([]*field, len(by))
	for i, name := range by {
		f, err := d.resolve(ctx, base, name)
		if err != nil {
			return nil, err
		}
		fs[i] = f
	}
	g := &grouping{fields: by}
	index := map[string]int{}
	var bufs = make([][]string, len(fs))
	for _, row := range rows {
		for i, f := range fs {
			bufs[i] = f.values(row, bufs[i])
		}
		each(bufs, func(key []string) {
			k := strings.Join(key, "\x00")
			gi, ok := index[k]
			if !ok {
				gi = len(g.keys)
				index[k] = gi
				g.keys = append(g.keys, slices.Clone(key))
				g.rows = append(g.rows, nil)
			}
			g.rows[gi] = append(g.rows[gi], row)
		})
	}
	order := make([]int, len(g.keys))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return compareKeys(g.keys[a], g.keys[b]) })
	keys, grows := make([][]string, len(order)), make([][]int, len(order))
	for i, o := range order {
		keys[i], grows[i] = g.keys[o], g.rows[o]
	}
	g.keys, g.rows = keys, grows
	return g, nil
}

// each calls fn with every combination of one value from each list (deduplicated
// within a list, so a deal tagged twice with a feature counts once).
func each(lists [][]string, fn func([]string)) {
	key := make([]string, len(lists))
	var rec func(i int)
	rec = func(i int) {
		if i == len(lists) {
			fn(key)
			return
		}
		for j, v := range lists[i] {
			if slices.Contains(lists[i][:j], v) {
				continue
			}
			key[i] = v
			rec(i + 1)
		}
	}
	rec(0)
}

// compareKeys orders group keys: numbers numerically, blanks last, the rest
// as text.
func compareKeys(a, b []string) int {
	for i := range a {
		if c := compareValue(a[i], b[i]); c != 0 {
			return c
		}
	}
	return 0
}

func compareValue(a, b string) int {
	if a == b {
		return 0
	}
	if a == blank {
		return 1
	}
	if b == blank {
		return -1
	}
	fa, ea := strconv.ParseFloat(a, 64)
	fb, eb := strconv.ParseFloat(b, 64)
	if ea == nil && eb == nil {
		if fa < fb {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// keyMap turns a group's key values into the report's key object.
func (g *grouping) keyMap(i int) map[string]string {
	m := make(map[string]string, len(g.fields))
	for j, f := range g.fields {
		m[f] = g.keys[i][j]
	}
	return m
}
