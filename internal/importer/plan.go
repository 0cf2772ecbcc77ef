package importer

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// colPlan says where one canonical column comes from.
type colPlan struct {
	col     *tandem.Column
	src     int // index in the file's header, -1 when the file lacks it
	srcName string
}

// attrCol is a file column kept as a custom attribute.
type attrCol struct {
	src  int
	name string
}

// childCol is a column that yields rows of another entity: HubSpot's stage
// entry dates (deal_stages) or yes/no feature columns (adoptions).
type childCol struct {
	src    int
	header string
	value  string // the stage entered, or the feature's name
}

// deferredRef is a reference to a row of the same file that may come later.
type deferredRef struct {
	line   int
	column string
	value  string
}

// plan is the compiled form of one import: how each canonical column is
// filled, which lookups resolve references, and what has been seen so far.
type plan struct {
	im     *Importer
	e      *tandem.Entity
	opt    Options
	dates  *DateParser
	header []string
	cols   []colPlan
	attrs  []attrCol
	stages []childCol // HubSpot stage entry columns
	feats  []childCol // --feature-columns

	isWon, isClosed int // Salesforce IsWon and IsClosed columns, -1 if absent
	lineAmount      int // HubSpot line item total the net price derives from, -1 if absent
	values          map[string]map[string]string
	refs            map[string]*refIndex
	subAccounts     map[string]string
	won, lost       map[string]bool
	allowedStages   map[string]bool
	truthy          map[string]bool

	firstLine map[string]int
	dupLines  map[string][]int
	keepLine  map[string]int
	skipped   int

	errs       []RowError
	normalized map[[3]string]*Normalization
	created    map[[2]string]*Created
	deferred   []deferredRef
	adopted    map[string]bool
	loader     tandem.Loader
	// fatal is a store failure met while resolving (creating a catalog
	// entry); the row loop returns it.
	fatal error
}

func newPlan(ctx context.Context, im *Importer, e *tandem.Entity, header []string, format string, opt Options, dates *DateParser) (*plan, error) {
	p := &plan{
		im: im, e: e, opt: opt, dates: dates, header: header, isWon: -1, isClosed: -1, lineAmount: -1,
		values: map[string]map[string]string{}, refs: map[string]*refIndex{},
		firstLine: map[string]int{}, dupLines: map[string][]int{},
		normalized: map[[3]string]*Normalization{}, created: map[[2]string]*Created{}, adopted: map[string]bool{},
	}
	exact := map[string]int{}
	folded := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		exact[h] = i
		if _, dup := folded[headerKey(h)]; !dup {
			folded[headerKey(h)] = i
		}
	}
	find := func(name string) (int, bool) {
		if i, ok := exact[name]; ok {
			return i, true
		}
		i, ok := folded[headerKey(name)]
		return i, ok
	}
	used := make([]bool, len(header))
	p.cols = make([]colPlan, len(e.Columns))
	for i := range e.Columns {
		p.cols[i] = colPlan{col: &e.Columns[i], src: -1}
	}

	for _, m := range opt.Map {
		_, ci := e.Column(m.Canonical)
		if ci < 0 {
			return nil, tandem.Errorf(tandem.EINVALID, "--map %s=%s: %s has no column %q (columns: %s)",
				m.Canonical, m.Source, e.Name, m.Canonical, strings.Join(e.ColumnNames(), ", "))
		}
		si, ok := find(m.Source)
		if !ok {
			return nil, tandem.Errorf(tandem.EINVALID, "--map %s=%s: the file has no column %q (columns: %s)",
				m.Canonical, m.Source, m.Source, strings.Join(header, ", "))
		}
		p.cols[ci].src, p.cols[ci].srcName = si, header[si]
		used[si] = true
	}
	if e.Name == "quote_lines" && format == FormatHubSpot {
		p.claimLineAmount(folded, used)
	}
	names := sourceNames(format, e.Name)
	for i := range p.cols {
		c := &p.cols[i]
		if c.src >= 0 {
			continue
		}
		cands := names[c.col.Name]
		if selfMatch(format, e.Name, c.col.Name) {
			cands = append(cands[:len(cands):len(cands)], headerKey(c.col.Name))
		}
		for _, cand := range cands {
			if si, ok := folded[cand]; ok && !used[si] {
				c.src, c.srcName = si, header[si]
				used[si] = true
				break
			}
		}
	}

	if e.Name == "deals" && format == FormatSalesforce {
		if i, ok := folded["iswon"]; ok && !used[i] {
			p.isWon, used[i] = i, true
		}
		if i, ok := folded["isclosed"]; ok && !used[i] {
			p.isClosed, used[i] = i, true
		}
	}
	if e.Name == "deals" {
		for i, h := range header {
			if stage, ok := hubspotStage(h); ok && !used[i] {
				p.stages = append(p.stages, childCol{src: i, header: h, value: stage})
				used[i] = true
			}
		}
	}
	for _, fc := range opt.FeatureColumns {
		if e.Name != "subscriptions" && e.Name != "accounts" {
			return nil, tandem.Errorf(tandem.EINVALID, "--feature-columns applies to subscriptions and accounts, not %s", e.Name)
		}
		si, ok := find(strings.TrimSpace(fc))
		if !ok {
			return nil, tandem.Errorf(tandem.EINVALID, "--feature-columns: the file has no column %q (columns: %s)", fc, strings.Join(header, ", "))
		}
		// Feature columns stay attributes too: "No internet service" and
		// "No" both mean not adopted, but the difference is not lost.
		p.feats = append(p.feats, childCol{src: si, header: header[si], value: strings.TrimSpace(header[si])})
	}
	attrFrom := map[string]string{}
	for i, h := range header {
		if used[i] {
			continue
		}
		name := strings.TrimPrefix(strings.TrimSpace(h), "attr.")
		if other, clash := attrFrom[name]; clash {
			return nil, tandem.Errorf(tandem.EINVALID, "columns %q and %q would both become attribute %q; rename one", other, h, name)
		}
		attrFrom[name] = h
		p.attrs = append(p.attrs, attrCol{src: i, name: name})
	}

	for _, c := range p.cols {
		if !c.col.Required || c.src >= 0 || p.derivable(c.col.Name) {
			continue
		}
		return nil, tandem.Errorf(tandem.EINVALID, "required column %q of %s is not in the file; map it with --map %s=<column> (columns: %s)",
			c.col.Name, e.Name, c.col.Name, strings.Join(header, ", "))
	}
	for _, v := range opt.Values {
		if _, ci := e.Column(v.Field); ci < 0 {
			return nil, tandem.Errorf(tandem.EINVALID, "--value %s:%s=%s: %s has no column %q", v.Field, v.From, v.To, e.Name, v.Field)
		}
		if p.values[v.Field] == nil {
			p.values[v.Field] = map[string]string{}
		}
		p.values[v.Field][v.From] = v.To
	}

	p.won = foldSet(append([]string{"won", "closed won"}, opt.WonStages...))
	p.lost = foldSet(append([]string{"lost", "closed lost"}, opt.LostStages...))
	if len(opt.Stages) > 0 {
		p.allowedStages = foldSet(append(append(append([]string(nil), opt.Stages...), opt.WonStages...), opt.LostStages...))
	}
	truthy := opt.Truthy
	if len(truthy) == 0 {
		truthy = []string{"yes", "true", "y", "1"}
	}
	p.truthy = foldSet(truthy)

	for _, c := range p.cols {
		if c.col.Ref != "" && (c.src >= 0 || p.derivable(c.col.Name)) {
			if err := p.loadRef(ctx, c.col.Ref); err != nil {
				return nil, err
			}
		}
	}
	if len(p.feats) > 0 || e.Name == "quotes" && p.colSrc("promises") >= 0 {
		if err := p.loadRef(ctx, "features"); err != nil {
			return nil, err
		}
	}
	if e.Name == "usage" && p.colSrc("subscription_id") >= 0 {
		m, err := im.Store.Parents(ctx, "subscriptions", "account_id")
		if err != nil {
			return nil, fmt.Errorf("load subscriptions: %w", err)
		}
		p.subAccounts = m
	}
	return p, nil
}

// derivable reports whether a required column can be filled without a
// source column: ids of entities keyed by other columns, and usage's
// account_id through its subscription.
func (p *plan) derivable(col string) bool {
	switch {
	case col == "id" && len(p.e.IDFrom) > 0:
		return true
	case p.e.Name == "usage" && col == "account_id":
		return p.colSrc("subscription_id") >= 0
	}
	return false
}

func (p *plan) colSrc(name string) int {
	_, i := p.e.Column(name)
	if i < 0 {
		return -1
	}
	return p.cols[i].src
}

func (p *plan) loadRef(ctx context.Context, entity string) error {
	if p.refs[entity] != nil {
		return nil
	}
	re, err := p.im.Catalog.Entity(entity)
	if err != nil {
		return err
	}
	x, err := newRefIndex(ctx, p.im.Store, re)
	if err != nil {
		return err
	}
	p.refs[entity] = x
	return nil
}

func foldSet(vals []string) map[string]bool {
	m := make(map[string]bool, len(vals))
	for _, v := range vals {
		m[tandem.NormalizeName(v)] = true
	}
	return m
}

func (p *plan) errorf(line int, column, value, format string, args ...any) {
	p.errs = append(p.errs, RowError{Line: line, Column: column, Value: value, Reason: fmt.Sprintf(format, args...)})
}

func (p *plan) normalize(line int, column, from, to string) {
	k := [3]string{column, from, to}
	if n := p.normalized[k]; n != nil {
		n.Rows++
		return
	}
	p.normalized[k] = &Normalization{Column: column, From: from, To: to, Rows: 1, FirstLine: line}
}

// mapValue applies --value maps: an exact match first, then ignoring case.
func (p *plan) mapValue(field, v string) string {
	m := p.values[field]
	if m == nil {
		return v
	}
	if to, ok := m[v]; ok {
		return to
	}
	for from, to := range m {
		if strings.EqualFold(from, v) {
			return to
		}
	}
	return v
}

// convertRow reads the canonical values of one row. With report false it
// only computes what it can (for the duplicate pre-pass) and says nothing.
func (p *plan) convertRow(line int, rec []string, report bool) ([]any, bool) {
	ok := true
	bad := func(c colPlan, value, format string, args ...any) {
		ok = false
		if report {
			p.errorf(line, c.srcName, value, format, args...)
		}
	}
	vals := make([]any, len(p.cols))
	for i, c := range p.cols {
		if c.src < 0 {
			vals[i] = tandem.Absent{}
			continue
		}
		raw := strings.TrimSpace(rec[c.src])
		if err := checkUTF8(raw); err != nil {
			bad(c, "", "%v", err)
			continue
		}
		raw = p.mapValue(c.col.Name, raw)
		if raw == "" {
			vals[i] = nil
			continue
		}
		if t, known := canonicalValue(p.e.Name, c.col.Name, raw); known && !strings.EqualFold(t, raw) {
			if report {
				p.normalize(line, c.col.Name, raw, t)
			}
			raw = t
		}
		v, err := convert(c.col, raw, p.dates)
		if err != nil {
			bad(c, raw, "%v", err)
			continue
		}
		vals[i] = v
	}
	if p.e.Name == "usage" && p.subAccounts != nil {
		_, ai := p.e.Column("account_id")
		_, si := p.e.Column("subscription_id")
		if sub, isStr := vals[si].(string); isStr && isEmpty(vals[ai]) {
			acct, found := p.subAccounts[sub]
			if !found {
				bad(p.cols[si], sub, "unknown subscription %q: import subscriptions first", sub)
			}
			vals[ai] = acct
		}
	}
	return vals, ok
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case nil, tandem.Absent:
		return true
	case string:
		return x == ""
	}
	return false
}

// deriveID joins the key columns of an entity without ids of its own.
func deriveID(e *tandem.Entity, vals []any) string {
	parts := make([]string, len(e.IDFrom))
	for i, name := range e.IDFrom {
		_, ci := e.Column(name)
		parts[i] = tandem.FormatValue(vals[ci])
	}
	return strings.Join(parts, "|")
}

// findLast reads the whole file once to learn the last line of every id,
// so --on-duplicate last can keep it while streaming.
func (p *plan) findLast(cr *csv.Reader) error {
	p.keepLine = map[string]int{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				continue // reported in the main pass
			}
			return err
		}
		line, _ := cr.FieldPos(0)
		vals, _ := p.convertRow(line, rec, false)
		p.quietResolveKeys(vals)
		if id := p.rowID(vals); id != "" {
			p.keepLine[id] = line
		}
	}
}

// row validates and loads one data row and the rows it implies.
func (p *plan) row(ctx context.Context, line int, rec []string) error {
	vals, _ := p.convertRow(line, rec, true)
	e := p.e

	for i, c := range p.cols {
		if c.col.Required && isEmpty(vals[i]) {
			col := c.srcName
			if col == "" {
				col = c.col.Name
			}
			p.errorf(line, col, "", "required column %s is empty", c.col.Name)
		}
	}
	switch e.Name {
	case "deals":
		p.dealOutcome(line, rec, vals)
	case "subscriptions":
		_, si := e.Column("start")
		_, ti := e.Column("tenure_months")
		if isEmpty(vals[si]) && isEmpty(vals[ti]) {
			p.errorf(line, p.cols[si].srcName, "", "a subscription needs start or tenure_months")
		}
	case "quotes":
		p.checkQuote(line, vals)
	case "quote_lines":
		p.checkQuoteLine(line, rec, vals)
	}
	// Rows with ids of their own are checked for duplicates before their
	// references are resolved, so a skipped row creates no catalog entry.
	// Rows keyed by their columns need the resolved references first: the
	// same row must get the same id whether it names an account by id or
	// by name.
	derived := len(e.IDFrom) > 0
	if derived {
		if err := p.resolveRefs(ctx, line, vals); err != nil {
			return err
		}
	}
	id := p.rowID(vals)
	vals[0] = id
	dup, skip := p.checkDuplicate(line, id)
	if skip {
		return nil
	}
	if !derived {
		if err := p.resolveRefs(ctx, line, vals); err != nil {
			return err
		}
	}
	// Later rows may refer to this one even when it has errors: add it
	// first, so one bad row does not turn into false "unknown" errors.
	if x := p.refs[e.Name]; x != nil && id != "" {
		name, _ := vals[1].(string)
		x.add(id, name)
	}
	if len(p.errs) > 0 {
		return nil // keep validating, but nothing more is written
	}

	var attrs map[string]string
	if len(p.attrs) > 0 {
		attrs = make(map[string]string, len(p.attrs))
		for _, a := range p.attrs {
			v := strings.TrimSpace(rec[a.src])
			if v == "" {
				continue
			}
			if err := checkUTF8(v); err != nil {
				p.errorf(line, a.name, "", "%v", err)
				return nil
			}
			attrs[a.name] = v
		}
	}
	if err := p.loader.Put(ctx, e, tandem.Record{Values: vals, Attrs: attrs, Dup: dup}); err != nil {
		return err
	}
	if err := p.putStages(ctx, line, rec, id); err != nil {
		return err
	}
	return p.putAdoptions(ctx, line, rec, vals)
}

// rowID returns the row's id: its own, or for entities keyed by their
// columns the key joined from (resolved) values.
func (p *plan) rowID(vals []any) string {
	if id, _ := vals[0].(string); id != "" || len(p.e.IDFrom) == 0 {
		return id
	}
	return deriveID(p.e, vals)
}

// resolveRefs turns every reference of the row into a stored id. An error
// is a store failure; bad references are row errors.
func (p *plan) resolveRefs(ctx context.Context, line int, vals []any) error {
	for i, c := range p.cols {
		if c.col.Ref == "" {
			continue
		}
		switch v := vals[i].(type) {
		case string:
			if id, ok := p.resolve(ctx, line, c, v); ok {
				vals[i] = id
			}
		case []string:
			out := make([]string, 0, len(v))
			for _, item := range v {
				if id, ok := p.resolve(ctx, line, c, item); ok && !slices.Contains(out, id) {
					out = append(out, id)
				}
			}
			vals[i] = out
		}
	}
	return p.fatal
}

// quietResolveKeys resolves the key columns of a row without creating,
// deferring or reporting anything, for the --on-duplicate last pre-pass.
// A name the catalog lacks keeps its text, which is the id the main pass
// would create for it.
func (p *plan) quietResolveKeys(vals []any) {
	for _, k := range p.e.IDFrom {
		_, i := p.e.Column(k)
		v, isStr := vals[i].(string)
		x := p.refs[p.cols[i].col.Ref]
		if !isStr || x == nil {
			continue
		}
		if id, found, err := x.resolve(v); err == nil && found {
			vals[i] = id
		}
	}
}

// checkDuplicate records the id and applies --on-duplicate: it returns the
// occurrence number to store, or skip for a row the policy leaves out.
func (p *plan) checkDuplicate(line int, id string) (dup int, skip bool) {
	if id == "" {
		return 0, false
	}
	if first, seen := p.firstLine[id]; seen {
		if len(p.dupLines[id]) == 0 {
			p.dupLines[id] = []int{first}
		}
		p.dupLines[id] = append(p.dupLines[id], line)
		switch p.opt.OnDuplicate {
		case DupError:
			p.errorf(line, p.cols[0].srcName, id, "duplicate id %q (first on line %d); choose --on-duplicate first, last or keep-all to load the file anyway", id, first)
		case DupFirst:
			p.skipped++
			return 0, true
		case DupKeepAll:
			dup = len(p.dupLines[id]) - 1
		}
	} else {
		p.firstLine[id] = line
	}
	if p.opt.OnDuplicate == DupLast && p.keepLine[id] != line {
		p.skipped++
		return 0, true
	}
	return dup, false
}

// dealOutcome checks the stage and derives the outcome when the file has
// none: Salesforce's IsWon/IsClosed when present, else the stage name.
func (p *plan) dealOutcome(line int, rec []string, vals []any) {
	_, si := p.e.Column("stage")
	_, oi := p.e.Column("outcome")
	stage, _ := vals[si].(string)
	key := tandem.NormalizeName(stage)
	if stage != "" && p.allowedStages != nil && !p.allowedStages[key] {
		p.errorf(line, p.cols[si].srcName, stage, "unknown stage %q (allowed by --stages: %s)", stage, strings.Join(p.opt.Stages, ", "))
	}
	if !isEmpty(vals[oi]) {
		return
	}
	outcome := "open"
	if p.isWon >= 0 || p.isClosed >= 0 {
		flag := func(i int) bool {
			if i < 0 {
				return false
			}
			b, err := parseBool(rec[i])
			if err != nil && strings.TrimSpace(rec[i]) != "" {
				p.errorf(line, p.header[i], rec[i], "%v", err)
			}
			return b
		}
		won, closed := flag(p.isWon), flag(p.isClosed)
		switch {
		case won:
			outcome = "won"
		case closed:
			outcome = "lost"
		}
	} else {
		switch {
		case p.won[key]:
			outcome = "won"
		case p.lost[key]:
			outcome = "lost"
		}
	}
	vals[oi] = outcome
}

// resolve turns a reference into a stored id, creating products and
// features that the catalog lacks unless NoCreate is set.
func (p *plan) resolve(ctx context.Context, line int, c colPlan, v string) (string, bool) {
	x := p.refs[c.col.Ref]
	if c.col.Ref == p.e.Name {
		// A row of the same file may come later and its name is not known
		// yet, so within an entity only exact ids count: matching a name
		// now could pick another row that merely resembles it.
		if _, ok := x.ids[v]; !ok {
			p.deferred = append(p.deferred, deferredRef{line: line, column: c.srcName, value: v})
		}
		return v, true
	}
	id, found, err := x.resolve(v)
	if err != nil {
		p.errorf(line, c.srcName, v, "%v", err)
		return "", false
	}
	if found {
		if id != v {
			p.normalize(line, c.col.Name, v, id)
		}
		return id, true
	}
	if (c.col.Ref == "products" || c.col.Ref == "features") && !p.opt.NoCreate {
		if err := p.create(ctx, line, c.col.Ref, v); err != nil {
			// The store failed, not the row: stop the import with it.
			p.fatal = fmt.Errorf("create %s %q: %w", strings.TrimSuffix(c.col.Ref, "s"), v, err)
			return "", false
		}
		return v, true
	}
	p.errorf(line, c.srcName, v, "unknown %s %q: not in the store%s", strings.TrimSuffix(c.col.Ref, "s"), v, importFirst(c.col.Ref))
	return "", false
}

func importFirst(entity string) string {
	switch entity {
	case "products", "features":
		return " (add it to the catalog, or drop --no-create)"
	}
	return "; import " + entity + " first"
}

// create adds a product or feature the file names but the catalog lacks,
// with the name as written as its id; the summary lists it.
func (p *plan) create(ctx context.Context, line int, entity, name string) error {
	k := [2]string{entity, name}
	if c := p.created[k]; c != nil {
		c.Rows++
		return nil
	}
	p.created[k] = &Created{Entity: entity, ID: name, Rows: 1, FirstLine: line}
	p.refs[entity].add(name, name)
	if len(p.errs) > 0 {
		return nil
	}
	e, err := p.im.Catalog.Entity(entity)
	if err != nil {
		return err
	}
	vals := make([]any, len(e.Columns))
	for i := range vals {
		vals[i] = tandem.Absent{}
	}
	vals[0], vals[1] = name, name
	return p.loader.Put(ctx, e, tandem.Record{Values: vals})
}

// putStages writes HubSpot's stage entry dates as stage history rows.
func (p *plan) putStages(ctx context.Context, line int, rec []string, dealID string) error {
	if len(p.stages) == 0 {
		return nil
	}
	se, err := p.im.Catalog.Entity("deal_stages")
	if err != nil {
		return err
	}
	for _, sc := range p.stages {
		raw := strings.TrimSpace(rec[sc.src])
		if raw == "" {
			continue
		}
		t, err := p.dates.Parse(raw)
		if err != nil {
			p.errorf(line, sc.header, raw, "%v", err)
			continue
		}
		vals := []any{nil, dealID, sc.value, t, tandem.Absent{}}
		vals[0] = deriveID(se, vals)
		if err := p.loader.Put(ctx, se, tandem.Record{Values: vals}); err != nil {
			return err
		}
	}
	return nil
}

// putAdoptions writes one adoption per truthy feature column.
func (p *plan) putAdoptions(ctx context.Context, line int, rec []string, vals []any) error {
	if len(p.feats) == 0 {
		return nil
	}
	ae, err := p.im.Catalog.Entity("adoptions")
	if err != nil {
		return err
	}
	acctCol := "account_id"
	if p.e.Name == "accounts" {
		acctCol = "id"
	}
	_, ai := p.e.Column(acctCol)
	account, _ := vals[ai].(string)
	var start any
	if _, si := p.e.Column("start"); si >= 0 {
		if t, ok := vals[si].(time.Time); ok {
			start = t
		}
	}
	for _, fc := range p.feats {
		if !p.truthy[tandem.NormalizeName(rec[fc.src])] {
			continue
		}
		c := colPlan{col: &tandem.Column{Name: "feature_id", Ref: "features"}, src: fc.src, srcName: fc.header}
		feature, ok := p.resolve(ctx, line, c, fc.value)
		if p.fatal != nil {
			return p.fatal
		}
		if !ok {
			continue
		}
		av := []any{nil, account, feature, start, "column " + fc.header}
		av[0] = deriveID(ae, av)
		key := av[0].(string)
		if p.adopted[key] {
			continue // an account adopts a feature once, whichever row says so first
		}
		p.adopted[key] = true
		if err := p.loader.Put(ctx, ae, tandem.Record{Values: av}); err != nil {
			return err
		}
	}
	return nil
}

// finish resolves references to rows later in the same file.
func (p *plan) finish(ctx context.Context) error {
	if len(p.deferred) == 0 {
		return nil
	}
	x := p.refs[p.e.Name]
	for _, d := range p.deferred {
		if _, ok := x.ids[d.value]; !ok {
			p.errorf(d.line, d.column, d.value, "unknown %s %q: not in the store or this file", strings.TrimSuffix(p.e.Name, "s"), d.value)
		}
	}
	return ctx.Err()
}

// mappings lists which file column fills each canonical column.
func (p *plan) mappings() []Mapping {
	var out []Mapping
	for _, c := range p.cols {
		if c.src >= 0 {
			out = append(out, Mapping{Canonical: c.col.Name, Source: c.srcName})
		}
	}
	return out
}

func (p *plan) attrNames() []string {
	out := make([]string, len(p.attrs))
	for i, a := range p.attrs {
		out[i] = a.name
	}
	return out
}

func (p *plan) badRows() int {
	lines := map[int]bool{}
	for _, e := range p.errs {
		lines[e.Line] = true
	}
	return len(lines)
}

// fill copies what the plan learned into the summary, in a stable order.
func (p *plan) fill(s *Summary) {
	s.Skipped = p.skipped
	sort.SliceStable(p.errs, func(i, j int) bool { return p.errs[i].Line < p.errs[j].Line })
	s.Errors = p.errs
	for _, n := range p.normalized {
		s.Normalized = append(s.Normalized, *n)
	}
	sort.Slice(s.Normalized, func(i, j int) bool {
		a, b := s.Normalized[i], s.Normalized[j]
		if a.Column != b.Column {
			return a.Column < b.Column
		}
		return a.From < b.From
	})
	for _, c := range p.created {
		s.Created = append(s.Created, *c)
	}
	sort.Slice(s.Created, func(i, j int) bool {
		if s.Created[i].Entity != s.Created[j].Entity {
			return s.Created[i].Entity < s.Created[j].Entity
		}
		return s.Created[i].ID < s.Created[j].ID
	})
	for _, id := range sortedKeys(p.dupLines) {
		s.Duplicates = append(s.Duplicates, Duplicate{ID: id, Lines: p.dupLines[id]})
	}
	sort.SliceStable(s.Duplicates, func(i, j int) bool { return s.Duplicates[i].Lines[0] < s.Duplicates[j].Lines[0] })
}
