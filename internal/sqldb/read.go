package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// Page sizes of List: the default, and the most one page may hold.
const (
	defaultLimit = 100
	maxLimit     = 10000
)

// querier is what reads need: a pool or a transaction.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// readTx starts a read-only transaction, so that the statements of one read
// (a page and its total, rows and their lists) see one snapshot.
func (db *DB) readTx(ctx context.Context) (*sql.Tx, error) {
	if db.dialect == dialectPostgres {
		return db.reader.BeginTx(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
	}
	// SQLite: the reader connections are query_only, and a deferred
	// transaction takes its WAL snapshot at the first read.
	return db.reader.BeginTx(ctx, nil)
}

// Get returns the row with the id (its first occurrence, Dup 0).
func (db *DB) Get(ctx context.Context, entity, id string) (tandem.Record, error) {
	t, err := db.table(entity)
	if err != nil {
		return tandem.Record{}, fmt.Errorf("get: %w", err)
	}
	q := t.selectFrom(db.dialect, false) + " WHERE t.id = " + db.dialect.param(1)
	if t.dup {
		q += " AND t.dup = 0"
	}
	rows, err := db.reader.QueryContext(ctx, q, id)
	if err != nil {
		return tandem.Record{}, fmt.Errorf("get %s %q: %w", entity, id, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return tandem.Record{}, fmt.Errorf("get %s %q: %w", entity, id, err)
		}
		return tandem.Record{}, tandem.Errorf(tandem.ENOTFOUND, "%s has no row with id %q", entity, id)
	}
	r, err := db.scanRecord(t, rows)
	if err != nil {
		return tandem.Record{}, fmt.Errorf("get %s %q: %w", entity, id, err)
	}
	return r, nil
}

// List returns a page of the rows matching every filter, in key order or
// by q.Sort first (see sortSQL). A Limit above the maximum page size is
// lowered to it.
func (db *DB) List(ctx context.Context, entity string, q tandem.Query) (tandem.Page, error) {
	t, err := db.table(entity)
	if err != nil {
		return tandem.Page{}, fmt.Errorf("list: %w", err)
	}
	if q.Limit < 0 || q.Offset < 0 {
		return tandem.Page{}, tandem.Errorf(tandem.EINVALID, "list %s: limit and offset cannot be negative", entity)
	}
	limit := q.Limit
	if limit == 0 {
		limit = defaultLimit
	}
	limit = min(limit, maxLimit)
	where, args, err := db.filterSQL(t, q.Filters)
	if err != nil {
		return tandem.Page{}, fmt.Errorf("list %s: %w", entity, err)
	}
	order := t.keyOrder()
	if q.Sort != "" {
		by, err := db.sortSQL(t, q.Sort)
		if err != nil {
			return tandem.Page{}, fmt.Errorf("list %s: %w", entity, err)
		}
		order = by + ", " + order
	}

	tx, err := db.readTx(ctx)
	if err != nil {
		return tandem.Page{}, fmt.Errorf("list %s: %w", entity, err)
	}
	defer tx.Rollback()
	var page tandem.Page
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+quote(t.e.Name)+" AS t"+where, args...).Scan(&page.Total); err != nil {
		return tandem.Page{}, fmt.Errorf("list %s: count: %w", entity, err)
	}
	if page.Total <= q.Offset {
		return page, nil
	}
	n := len(args)
	args = append(args, int64(limit), int64(q.Offset))
	// The page's rows are chosen first, from the table alone, and only
	// they get their list columns: otherwise the database computes the
	// correlated list subqueries for every row it sorts (measured: a sorted
	// page of 20,000 deals went from 360 ms to a few ms).
	from := " FROM " + quote(t.e.Name) + " AS t"
	page1 := " FROM (SELECT * FROM " + quote(t.e.Name) + " AS t" + where +
		" ORDER BY " + order + " LIMIT " + db.dialect.param(n+1) + " OFFSET " + db.dialect.param(n+2) + ") AS t"
	sel := strings.Replace(t.selectFrom(db.dialect, false), from, page1, 1) + " ORDER BY " + order
	err = db.scanRows(ctx, tx, t, sel, args, func(r tandem.Record) error {
		page.Records = append(page.Records, r)
		return nil
	})
	if err != nil {
		return tandem.Page{}, fmt.Errorf("list %s: %w", entity, err)
	}
	return page, nil
}

// Scan calls fn for every row in key order, all read from one snapshot. An
// error from fn stops the scan and is returned as is.
func (db *DB) Scan(ctx context.Context, entity string, fn func(tandem.Record) error) error {
	t, err := db.table(entity)
	if err != nil {
		return fmt.Errorf("scan: %w", err)
	}
	tx, err := db.readTx(ctx)
	if err != nil {
		return fmt.Errorf("scan %s: %w", entity, err)
	}
	defer tx.Rollback()
	return db.scanTable(ctx, tx, t, fn)
}

// scanTable streams every row of t through q in key order.
func (db *DB) scanTable(ctx context.Context, q querier, t *table, fn func(tandem.Record) error) error {
	sel := t.selectFrom(db.dialect, true) + " ORDER BY " + t.keyOrder()
	var fnErr error
	err := db.scanRows(ctx, q, t, sel, nil, func(r tandem.Record) error {
		fnErr = fn(r)
		return fnErr
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("scan %s: %w", t.e.Name, err)
	}
	return nil
}

// scanRows runs a select built on selectFrom and decodes each row.
func (db *DB) scanRows(ctx context.Context, q querier, t *table, query string, args []any, fn func(tandem.Record) error) error {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		r, err := db.scanRecord(t, rows)
		if err != nil {
			return err
		}
		if err := fn(r); err != nil {
			return err
		}
	}
	return rows.Err()
}

// scanRecord decodes the current row of a select built on selectFrom.
func (db *DB) scanRecord(t *table, rows *sql.Rows) (tandem.Record, error) {
	ncol := len(t.e.Columns)
	raw := make([]any, ncol+2)
	dest := make([]any, 0, ncol+2)
	dest = append(dest, &raw[0])
	if t.dup {
		dest = append(dest, &raw[ncol+1])
	}
	for i := 1; i <= ncol; i++ { // columns 1..ncol-1, then attrs in raw[ncol]
		dest = append(dest, &raw[i])
	}
	if err := rows.Scan(dest...); err != nil {
		return tandem.Record{}, err
	}
	r := tandem.Record{Values: make([]any, ncol)}
	for i := range t.e.Columns {
		v, err := db.decode(t, i, raw[i])
		if err != nil {
			return tandem.Record{}, fmt.Errorf("%s %v: %s: %w", t.e.Name, raw[0], t.e.Columns[i].Name, err)
		}
		r.Values[i] = v
	}
	if t.dup {
		n, ok := raw[ncol+1].(int64)
		if !ok {
			return tandem.Record{}, fmt.Errorf("%s %v: dup is %T", t.e.Name, raw[0], raw[ncol+1])
		}
		r.Dup = int(n)
	}
	attrs, err := decodeAttrs(raw[ncol])
	if err != nil {
		return tandem.Record{}, fmt.Errorf("%s %v: attrs: %w", t.e.Name, raw[0], err)
	}
	r.Attrs = attrs
	return r, nil
}

// decode converts a stored value of column i to its Go type per Kind.
func (db *DB) decode(t *table, i int, v any) (any, error) {
	if b, ok := v.([]byte); ok {
		v = string(b)
	}
	if v == nil {
		return nil, nil
	}
	c := &t.e.Columns[i]
	switch c.Kind {
	case tandem.KindText, tandem.KindEnum:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case tandem.KindInt:
		if n, ok := v.(int64); ok {
			return n, nil
		}
	case tandem.KindFloat:
		switch x := v.(type) {
		case float64:
			return x, nil
		case int64:
			return float64(x), nil
		}
	case tandem.KindDate:
		switch x := v.(type) {
		case time.Time:
			return x.UTC(), nil
		case string:
			return parseStoredDate(x)
		}
	case tandem.KindBool:
		switch x := v.(type) {
		case bool:
			return x, nil
		case int64:
			return x != 0, nil
		}
	case tandem.KindList:
		s, ok := v.(string)
		if !ok {
			break
		}
		if t.links[i] != nil {
			var list []string
			if err := json.Unmarshal([]byte(s), &list); err != nil {
				return nil, err
			}
			if len(list) == 0 {
				return nil, nil
			}
			return list, nil
		}
		if s == "" {
			return nil, nil
		}
		return strings.Split(s, ";"), nil
	}
	return nil, fmt.Errorf("stored %T does not fit a %s column", v, c.Kind)
}

// parseStoredDate reads a date as SQLite stores it (tandem.FormatValue).
// Days, the common case, skip time.Parse: scans read millions of them.
func parseStoredDate(s string) (time.Time, error) {
	if len(s) == len(time.DateOnly) && s[4] == '-' && s[7] == '-' {
		y, m, d := digits(s[0:4]), digits(s[5:7]), digits(s[8:10])
		if y >= 0 && m >= 1 && m <= 12 && d >= 1 && d <= 31 {
			t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
			if t.Day() == d { // not February 30th
				return t, nil
			}
		}
		return time.Parse(time.DateOnly, s) // for its error
	}
	return time.Parse(time.RFC3339Nano, s)
}

// digits parses a short run of ASCII digits, or returns -1.
func digits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return -1
		}
		n = n*10 + int(c-'0')
	}
	return n
}

// decodeAttrs reads stored attributes; none ("{}") is nil.
func decodeAttrs(v any) (map[string]string, error) {
	var s string
	switch x := v.(type) {
	case nil:
		return nil, nil
	case string:
		s = x
	case []byte:
		s = string(x)
	default:
		return nil, fmt.Errorf("stored %T is not JSON text", v)
	}
	if s == "{}" || s == "" {
		return nil, nil
	}
	var m map[string]string
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		return nil, err
	}
	if len(m) == 0 {
		return nil, nil
	}
	return m, nil
}

// Count returns the number of rows of an entity, repeated ids included.
func (db *DB) Count(ctx context.Context, entity string) (int, error) {
	t, err := db.table(entity)
	if err != nil {
		return 0, fmt.Errorf("count: %w", err)
	}
	return countRows(ctx, db.reader, t)
}

// IDs returns the set of stored ids of an entity.
func (db *DB) IDs(ctx context.Context, entity string) (map[string]struct{}, error) {
	t, err := db.table(entity)
	if err != nil {
		return nil, fmt.Errorf("ids: %w", err)
	}
	q := "SELECT id FROM " + quote(t.e.Name)
	if t.dup {
		q += " WHERE dup = 0"
	}
	rows, err := db.reader.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("ids of %s: %w", entity, err)
	}
	defer rows.Close()
	out := map[string]struct{}{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("ids of %s: %w", entity, err)
		}
		out[id] = struct{}{}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("ids of %s: %w", entity, err)
	}
	return out, nil
}

// Names returns id, name and aliases of every row of a Named entity, in id
// order.
func (db *DB) Names(ctx context.Context, entity string) ([]tandem.Named, error) {
	t, err := db.table(entity)
	if err != nil {
		return nil, fmt.Errorf("names: %w", err)
	}
	if !t.e.Named {
		return nil, tandem.Errorf(tandem.EINVALID, "names: %s rows have no names", entity)
	}
	aliases := "NULL"
	if c, _ := t.e.Column("aliases"); c != nil {
		aliases = "aliases"
	}
	rows, err := db.reader.QueryContext(ctx, "SELECT id, name, "+aliases+" FROM "+quote(t.e.Name)+" ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("names of %s: %w", entity, err)
	}
	defer rows.Close()
	var out []tandem.Named
	for rows.Next() {
		var n tandem.Named
		var name, al sql.NullString
		if err := rows.Scan(&n.ID, &name, &al); err != nil {
			return nil, fmt.Errorf("names of %s: %w", entity, err)
		}
		n.Name = name.String
		if al.String != "" {
			n.Aliases = strings.Split(al.String, ";")
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("names of %s: %w", entity, err)
	}
	return out, nil
}

// Parents maps each stored id of entity to its value in column (the first
// occurrence of repeated ids); rows with an empty value are left out.
func (db *DB) Parents(ctx context.Context, entity, column string) (map[string]string, error) {
	t, err := db.table(entity)
	if err != nil {
		return nil, fmt.Errorf("parents: %w", err)
	}
	c, i := t.e.Column(column)
	if c == nil || i == 0 || !t.inline(i) {
		return nil, tandem.Errorf(tandem.EINVALID, "parents: %s has no column %q (one of: %s)", entity, column, strings.Join(t.e.ColumnNames()[1:], ", "))
	}
	q := "SELECT id, " + quote(c.Name) + " FROM " + quote(t.e.Name) + " WHERE " + quote(c.Name) + " IS NOT NULL"
	if t.dup {
		q += " AND dup = 0"
	}
	rows, err := db.reader.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("parents of %s by %s: %w", entity, column, err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id string
		var raw any
		if err := rows.Scan(&id, &raw); err != nil {
			return nil, fmt.Errorf("parents of %s by %s: %w", entity, column, err)
		}
		v, err := db.decode(t, i, raw)
		if err != nil {
			return nil, fmt.Errorf("parents of %s by %s: %w", entity, column, err)
		}
		if s := tandem.FormatValue(v); s != "" {
			out[id] = s
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("parents of %s by %s: %w", entity, column, err)
	}
	return out, nil
}

// filterSQL builds the WHERE clause (with a leading space, or empty) of
// the filters, each value parsed by its column's kind so that dates and
// numbers compare as what they are. A date filter of a day, month or year
// ("2024-03-01", "2024-03", "2024") matches that whole period in UTC; a
// timestamp matches that instant. An empty value matches rows where the
// column is empty.
func (db *DB) filterSQL(t *table, filters []tandem.Filter) (string, []any, error) {
	d := db.dialect
	var conds []string
	var args []any
	next := func(v any) string {
		args = append(args, v)
		return d.param(len(args))
	}
	for _, f := range filters {
		if name, ok := strings.CutPrefix(f.Column, "attr."); ok {
			if name == "" {
				return "", nil, tandem.Errorf(tandem.EINVALID, "filter %q: the attribute has no name", f.Column)
			}
			if f.Value == "" {
				conds = append(conds, "("+db.attrExpr(name, next)+" IS NULL OR "+db.attrExpr(name, next)+" = '')")
			} else {
				conds = append(conds, db.attrExpr(name, next)+" = "+next(f.Value))
			}
			continue
		}
		c, i := t.e.Column(f.Column)
		if c == nil {
			return "", nil, tandem.Errorf(tandem.EINVALID, "cannot filter %s by %q: not a column (one of: %s, or attr.<name>)",
				t.e.Name, f.Column, strings.Join(t.e.ColumnNames(), ", "))
		}
		col := "t." + quote(c.Name)
		if l := t.links[i]; l != nil {
			// Membership as "id IN (deals having the item)", which both
			// databases answer from the index on the item column.
			v := "l." + quote(l.value)
			sub := "SELECT l.deal_id FROM " + quote(l.table) + " AS l"
			switch {
			case f.Value == "":
				conds = append(conds, "t.id NOT IN ("+sub+")")
			case c.Ref != "" && isNamed(db.cat, c.Ref):
				// Lists of products or features: an id or a name.
				p := next(f.Value)
				conds = append(conds, "t.id IN ("+sub+" WHERE "+v+" = "+p+" OR "+v+" IN (SELECT id FROM "+quote(c.Ref)+
					" WHERE lower(name) = lower("+next(f.Value)+")))")
			default:
				conds = append(conds, "t.id IN ("+sub+" WHERE "+v+" = "+next(f.Value)+")")
			}
			continue
		}
		if f.Value == "" {
			if c.Kind == tandem.KindText {
				conds = append(conds, "("+col+" IS NULL OR "+col+" = '')")
			} else {
				conds = append(conds, col+" IS NULL")
			}
			continue
		}
		bad := func(why string) error {
			return tandem.Errorf(tandem.EINVALID, "filter %s: %q is not %s", c.Name, f.Value, why)
		}
		switch c.Kind {
		case tandem.KindText:
			conds = append(conds, col+" = "+next(f.Value))
		case tandem.KindEnum:
			v := ""
			for _, e := range c.Enum {
				if strings.EqualFold(e, strings.TrimSpace(f.Value)) {
					v = e
				}
			}
			if v == "" {
				return "", nil, bad("one of " + strings.Join(c.Enum, ", "))
			}
			conds = append(conds, col+" = "+next(v))
		case tandem.KindInt:
			n, err := strconv.ParseInt(strings.TrimSpace(f.Value), 10, 64)
			if err != nil {
				return "", nil, bad("an integer")
			}
			conds = append(conds, col+" = "+next(n))
		case tandem.KindFloat:
			x, err := strconv.ParseFloat(strings.TrimSpace(f.Value), 64)
			if err != nil {
				return "", nil, bad("a number")
			}
			conds = append(conds, col+" = "+next(x))
		case tandem.KindBool:
			b, err := parseBool(f.Value)
			if err != nil {
				return "", nil, bad("true or false")
			}
			v, _ := d.value(c, b)
			conds = append(conds, col+" = "+next(v))
		case tandem.KindDate:
			from, to, err := parseDateFilter(f.Value)
			if err != nil {
				return "", nil, bad("a date (2024-03-01, 2024-03, 2024 or 2024-03-01T10:00:00Z)")
			}
			fv, _ := d.value(c, from)
			if to.IsZero() {
				conds = append(conds, col+" = "+next(fv))
				continue
			}
			tv, _ := d.value(c, to)
			conds = append(conds, "("+col+" >= "+next(fv)+" AND "+col+" < "+next(tv)+")")
		case tandem.KindList: // stored inline, ';'-joined
			if d == dialectPostgres {
				conds = append(conds, "strpos(';' || "+col+" || ';', ';' || "+next(f.Value)+" || ';') > 0")
			} else {
				conds = append(conds, "instr(';' || "+col+" || ';', ';' || "+next(f.Value)+" || ';') > 0")
			}
		}
	}
	if len(conds) == 0 {
		return "", nil, nil
	}
	return " WHERE " + strings.Join(conds, " AND "), args, nil
}

// sortSQL returns the ORDER BY terms of a list sorted by sort: a canonical
// column stored in the entity's table that is not a list, with a leading
// "-" for descending order. Empty values (NULL, and empty text) come
// last either way, and the caller adds the key for ties, so that both
// dialects give the same order.
func (db *DB) sortSQL(t *table, sort string) (string, error) {
	name, desc := strings.CutPrefix(sort, "-")
	c, i := t.e.Column(name)
	if c == nil || c.Kind == tandem.KindList || !t.inline(i) {
		var valid []string
		for j, c := range t.e.Columns {
			if c.Kind != tandem.KindList && t.inline(j) {
				valid = append(valid, c.Name)
			}
		}
		return "", tandem.Errorf(tandem.EINVALID, "cannot sort %s by %q: sort by one of %s (with a leading - for descending order)",
			t.e.Name, sort, strings.Join(valid, ", "))
	}
	col := "t." + quote(c.Name)
	dir := ""
	if desc {
		dir = " DESC"
	}
	empty := col + " IS NULL"
	if c.Kind == tandem.KindText || c.Kind == tandem.KindEnum {
		// Empty text is NULL, so that empty values tie and go by key.
		col = "NULLIF(" + col + ", '')"
		empty = col + " IS NULL"
	}
	terms := []string{"CASE WHEN " + empty + " THEN 1 ELSE 0 END"}
	if c.Kind == tandem.KindDate && db.dialect == dialectSQLite {
		// Canonical date text sorts like the instant up to the second, but
		// a fraction does not ("…:00.5Z" < "…:00Z"): order by the seconds,
		// then by the fraction's digits, none first.
		terms = append(terms, "substr("+col+", 1, 19)"+dir,
			"CASE WHEN substr("+col+", 20, 1) = '.' THEN rtrim(substr("+col+", 21), 'Z') ELSE '' END"+dir)
	} else {
		terms = append(terms, col+dir)
	}
	return strings.Join(terms, ", "), nil
}

// attrExpr returns the SQL text of custom attribute name of the row t.
func (db *DB) attrExpr(name string, next func(any) string) string {
	if db.dialect == dialectPostgres {
		return "(t.attrs->>" + next(name) + ")"
	}
	// A quoted JSON path label takes any key but one with a double quote or
	// a backslash, which SQLite paths cannot spell; look those up by key.
	if strings.ContainsAny(name, `"\`) {
		return "(SELECT value FROM json_each(t.attrs) WHERE key = " + next(name) + ")"
	}
	return "json_extract(t.attrs, " + next(`$."`+name+`"`) + ")"
}

// isNamed reports whether rows of entity have names references may use.
func isNamed(cat *tandem.Catalog, entity string) bool {
	e, err := cat.Entity(entity)
	return err == nil && e.Named
}

// parseBool reads a boolean filter value in the spellings people use.
func parseBool(s string) (bool, error) {
	if v, ok := tandem.ParseBool(s); ok {
		return v, nil
	}
	return false, errors.New("not a boolean")
}

// parseDateFilter parses a date filter: a period (year, month, day) gives
// its start and the start of the next; an instant gives itself and a zero
// end.
func parseDateFilter(s string) (from, to time.Time, err error) {
	s = strings.TrimSpace(s)
	for _, p := range []struct {
		layout string
		next   func(time.Time) time.Time
	}{
		{time.DateOnly, func(t time.Time) time.Time { return t.AddDate(0, 0, 1) }},
		{"2006-01", func(t time.Time) time.Time { return t.AddDate(0, 1, 0) }},
		{"2006", func(t time.Time) time.Time { return t.AddDate(1, 0, 0) }},
	} {
		if t, err := time.Parse(p.layout, s); err == nil {
			return t, p.next(t), nil
		}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	return t.UTC(), time.Time{}, nil
}
