package service

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
	"github.com/tandemhq/tandem/internal/auth"
)

// Page sizes of list requests. Pages up to maxCachedPage rows are kept in
// the view cache; larger ones are exports and read through.
const (
	DefaultLimit  = 100
	MaxLimit      = 10000
	maxCachedPage = 500
)

// ListResult is one page of an entity's records. Results of small pages
// are shared through the view cache until the data changes.
type ListResult struct {
	Entity *tandem.Entity
	Query  tandem.Query
	Page   tandem.Page

	// rendered memoizes one rendering of the result (the API's JSON), so a
	// cached page is encoded once, not on every request.
	renderOnce sync.Once
	rendered   []byte
}

// Rendered returns render's output for this result, calling render only
// the first time.
func (l *ListResult) Rendered(render func(*ListResult) []byte) []byte {
	l.renderOnce.Do(func() { l.rendered = render(l) })
	return l.rendered
}

// List returns a page of an entity's records from query parameters: limit,
// offset, sort (a column, "-column" for descending) and equality filters on
// columns or attr.<name>. Unknown or repeated parameters are EINVALID and
// name the valid ones; an unknown entity is ENOTFOUND. ignore lists
// parameters the caller handles itself. Empty filter values are ignored, so
// a page's filter form can submit blank fields.
func (s *Service) List(ctx context.Context, entity string, params url.Values, ignore ...string) (*ListResult, error) {
	e, err := s.cat.Entity(entity)
	if err != nil {
		return nil, &tandem.Error{Code: tandem.ENOTFOUND, Message: tandem.ErrorMessage(err)}
	}
	q := tandem.Query{Limit: DefaultLimit}
	var unknown []string
	for _, name := range slices.Sorted(maps.Keys(params)) {
		if slices.Contains(ignore, name) {
			continue
		}
		vals := params[name]
		if len(vals) != 1 {
			return nil, tandem.Errorf(tandem.EINVALID, "parameter %q is given %d times; give it once", name, len(vals))
		}
		v := vals[0]
		switch {
		case name == "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > MaxLimit {
				return nil, tandem.Errorf(tandem.EINVALID, "limit must be a whole number from 1 to %d, not %q", MaxLimit, v)
			}
			q.Limit = n
		case name == "offset":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return nil, tandem.Errorf(tandem.EINVALID, "offset must be a whole number from 0, not %q", v)
			}
			q.Offset = n
		case name == "sort":
			q.Sort = v
		case isFilterColumn(e, name):
			if v != "" {
				q.Filters = append(q.Filters, tandem.Filter{Column: name, Value: v})
			}
		default:
			unknown = append(unknown, strconv.Quote(name))
		}
	}
	if len(unknown) > 0 {
		noun := "parameter"
		if len(unknown) > 1 {
			noun = "parameters"
		}
		return nil, tandem.Errorf(tandem.EINVALID, "unknown %s %s for %s (use limit, offset, sort, attr.<name> or a column: %s)",
			noun, strings.Join(unknown, ", "), e.Name, strings.Join(e.ColumnNames(), ", "))
	}
	list := func() (*ListResult, error) {
		page, err := s.store.List(ctx, e.Name, q)
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", e.Name, err)
		}
		return &ListResult{Entity: e, Query: q, Page: page}, nil
	}
	if q.Limit > maxCachedPage {
		return list()
	}
	key, _ := json.Marshal(q) // unambiguous, unlike %v, for any filter value
	return cached(ctx, s, "list|"+e.Name+"|"+string(key), list)
}

// isFilterColumn reports whether name is a canonical column of e or a custom
// attribute, "attr.<name>".
func isFilterColumn(e *tandem.Entity, name string) bool {
	if attr, ok := strings.CutPrefix(name, "attr."); ok {
		return attr != ""
	}
	c, _ := e.Column(name)
	return c != nil
}

// Get returns one record of an entity, or ENOTFOUND.
func (s *Service) Get(ctx context.Context, entity, id string) (*tandem.Entity, tandem.Record, error) {
	e, err := s.cat.Entity(entity)
	if err != nil {
		return nil, tandem.Record{}, &tandem.Error{Code: tandem.ENOTFOUND, Message: tandem.ErrorMessage(err)}
	}
	r, err := s.store.Get(ctx, e.Name, id)
	if err != nil {
		return nil, tandem.Record{}, fmt.Errorf("get %s: %w", e.Name, err)
	}
	return e, r, nil
}

// ---- Overview ----

// Figure is one headline number of the overview.
type Figure struct {
	Name     string          `json:"name"`
	Report   string          `json:"report"`
	Unit     string          `json:"unit"`
	Estimate tandem.Estimate `json:"estimate"`
	// Text is the figure as the CLI prints it, with its interval, or
	// "insufficient data".
	Text       string `json:"text"`
	Definition string `json:"definition"`
}

// Overview is the home page: headline figures with their n and interval,
// the win-rate trend by quarter, and row counts.
type Overview struct {
	Figures []Figure       `json:"figures"`
	Trend   *tandem.Report `json:"trend,omitempty"`
	Counts  map[string]int `json:"counts"`
}

// headline is a figure of the overview: the single group of a report over
// every closed deal (or customer), and the permission it needs.
type headline struct {
	name, report, def string
	perm              auth.Perm
}

// headlines lists the overview's figures.
func headlines() []headline {
	return []headline{
		{"win rate", "winrate", "win rate", auth.PermReportsRead},
		{"sales cycle", "cycle", "cycle", auth.PermReportsRead},
		{"won deal size", "dealsize", "deal size", auth.PermReportsRead},
		{"churn rate", "churn", "churn rate", auth.PermCustomersRead},
	}
}

// Overview computes the overview; can filters out what the viewer's role
// may not read (nil allows everything).
func (s *Service) Overview(ctx context.Context, can func(auth.Perm) bool) (*Overview, error) {
	if can == nil {
		can = func(auth.Perm) bool { return true }
	}
	ov := &Overview{Figures: []Figure{}, Counts: map[string]int{}}
	for _, f := range headlines() {
		if !can(f.perm) {
			continue
		}
		rep, err := s.Report(ctx, f.report, url.Values{})
		if err != nil {
			return nil, fmt.Errorf("overview %s: %w", f.name, err)
		}
		if len(rep.Groups) == 0 && len(rep.Apart) == 0 {
			continue
		}
		g := append(rep.Groups, rep.Apart...)[0]
		ov.Figures = append(ov.Figures, Figure{Name: f.name, Report: f.report, Unit: rep.Unit, Estimate: g.Estimate,
			Text: analytics.FormatEstimate(rep.Unit, g.Estimate), Definition: cmp.Or(rep.Definitions[f.def], rep.Definitions[rep.Value])})
	}
	if can(auth.PermReportsRead) {
		trend, err := s.Report(ctx, "winrate", url.Values{"by": {"quarter"}})
		if err != nil {
			return nil, fmt.Errorf("overview trend: %w", err)
		}
		// The report is shared through the view cache: sort a copy.
		t := *trend
		t.Groups = slices.Clone(trend.Groups)
		slices.SortFunc(t.Groups, func(a, b tandem.Group) int { return cmp.Compare(a.Key["quarter"], b.Key["quarter"]) })
		ov.Trend = &t
	}
	for _, e := range s.cat.Entities() {
		if !can(auth.EntityPerm(e.Name)) {
			continue
		}
		n, err := s.store.Count(ctx, e.Name)
		if err != nil {
			return nil, fmt.Errorf("overview: count %s: %w", e.Name, err)
		}
		ov.Counts[e.Name] = n
	}
	return ov, nil
}

// ---- Deals, accounts, features ----

// Ref names a referenced record.
type Ref struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// StageEntry is one step of a deal's stage timeline.
type StageEntry struct {
	Stage     string    `json:"stage"`
	EnteredAt time.Time `json:"entered_at"`
	// Days in the stage until the next entry, the close date or the
	// service's clock for the current stage of an open deal.
	Days   float64  `json:"days"`
	Amount *float64 `json:"amount,omitempty"`
}

// LineItem is a product line of a deal.
type LineItem struct {
	Product   Ref      `json:"product"`
	Quantity  *float64 `json:"quantity,omitempty"`
	UnitPrice *float64 `json:"unit_price,omitempty"`
	Amount    *float64 `json:"amount,omitempty"`
}

// DealDetail is a deal with what the deal page shows around it.
type DealDetail struct {
	Entity      *tandem.Entity `json:"-"`
	Deal        tandem.Record  `json:"-"`
	Account     *Ref           `json:"account,omitempty"`
	Rep         *Ref           `json:"rep,omitempty"`
	Stages      []StageEntry   `json:"stages"`
	LineItems   []LineItem     `json:"line_items"`
	Products    []Ref          `json:"products"`
	Features    []Ref          `json:"features"`
	LossReasons []string       `json:"loss_reasons"`
	Competitors []string       `json:"competitors"`
}

// Value returns a column's value of a record of e (nil when absent).
func Value(e *tandem.Entity, r tandem.Record, column string) any {
	for i, c := range e.Columns {
		if c.Name == column && i < len(r.Values) {
			if _, ok := r.Values[i].(tandem.Absent); ok {
				return nil
			}
			return r.Values[i]
		}
	}
	return nil
}

// text returns a column's value as a string ("" when absent).
func text(e *tandem.Entity, r tandem.Record, column string) string {
	v := Value(e, r, column)
	if v == nil {
		return ""
	}
	return tandem.FormatValue(v)
}

// number returns a float column's value, or nil.
func number(e *tandem.Entity, r tandem.Record, column string) *float64 {
	if f, ok := Value(e, r, column).(float64); ok {
		return &f
	}
	return nil
}

// ref resolves an id of a named entity to a Ref (the id as name when the
// row is missing).
func (s *Service) ref(ctx context.Context, entity, id string) (*Ref, error) {
	if id == "" {
		return nil, nil
	}
	e, err := s.cat.Entity(entity)
	if err != nil {
		return nil, err
	}
	r, err := s.store.Get(ctx, entity, id)
	switch {
	case err == nil:
		return &Ref{ID: id, Name: cmp.Or(text(e, r, "name"), id)}, nil
	case tandem.ErrorCode(err) == tandem.ENOTFOUND:
		return &Ref{ID: id, Name: id}, nil
	default:
		return nil, err
	}
}

// refs resolves a list of ids of a named entity with one query for all of
// them (the catalog entities it is used for are small).
func (s *Service) refs(ctx context.Context, entity string, ids []string) ([]Ref, error) {
	out := make([]Ref, 0, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	named, err := s.store.Names(ctx, entity)
	if err != nil {
		return nil, err
	}
	names := make(map[string]string, len(named))
	for _, n := range named {
		names[n.ID] = n.Name
	}
	for _, id := range ids {
		out = append(out, Ref{ID: id, Name: cmp.Or(names[id], id)})
	}
	return out, nil
}

// all lists every record of entity matching filters (in pages).
func (s *Service) all(ctx context.Context, entity string, filters ...tandem.Filter) ([]tandem.Record, error) {
	var out []tandem.Record
	for {
		p, err := s.store.List(ctx, entity, tandem.Query{Filters: filters, Limit: MaxLimit, Offset: len(out)})
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", entity, err)
		}
		out = append(out, p.Records...)
		if len(p.Records) == 0 || len(out) >= p.Total {
			return out, nil
		}
	}
}

// Deal returns a deal's detail, or ENOTFOUND.
func (s *Service) Deal(ctx context.Context, id string) (*DealDetail, error) {
	return cached(ctx, s, "deal|"+id, func() (*DealDetail, error) { return s.deal(ctx, id) })
}

// deal computes a deal's detail.
func (s *Service) deal(ctx context.Context, id string) (*DealDetail, error) {
	e, r, err := s.Get(ctx, "deals", id)
	if err != nil {
		return nil, err
	}
	d := &DealDetail{Entity: e, Deal: r, Stages: []StageEntry{}, LineItems: []LineItem{}}
	if d.Account, err = s.ref(ctx, "accounts", text(e, r, "account_id")); err != nil {
		return nil, fmt.Errorf("deal %s: %w", id, err)
	}
	if d.Rep, err = s.ref(ctx, "reps", text(e, r, "rep_id")); err != nil {
		return nil, fmt.Errorf("deal %s: %w", id, err)
	}
	list := func(col string) []string {
		l, _ := Value(e, r, col).([]string)
		if l == nil {
			return []string{}
		}
		return l
	}
	if d.Products, err = s.refs(ctx, "products", list("products")); err != nil {
		return nil, fmt.Errorf("deal %s: %w", id, err)
	}
	if d.Features, err = s.refs(ctx, "features", list("features")); err != nil {
		return nil, fmt.Errorf("deal %s: %w", id, err)
	}
	d.LossReasons, d.Competitors = list("loss_reasons"), list("competitors")

	se, _ := s.cat.Entity("deal_stages")
	stages, err := s.all(ctx, "deal_stages", tandem.Filter{Column: "deal_id", Value: id})
	if err != nil {
		return nil, fmt.Errorf("deal %s: %w", id, err)
	}
	for _, st := range stages {
		at, _ := Value(se, st, "entered_at").(time.Time)
		d.Stages = append(d.Stages, StageEntry{Stage: text(se, st, "stage"), EnteredAt: at, Amount: number(se, st, "amount")})
	}
	slices.SortStableFunc(d.Stages, func(a, b StageEntry) int { return a.EnteredAt.Compare(b.EnteredAt) })
	end := s.now()
	if c, ok := Value(e, r, "closed").(time.Time); ok && text(e, r, "outcome") != "open" {
		end = c
	}
	for i := range d.Stages {
		next := end
		if i+1 < len(d.Stages) {
			next = d.Stages[i+1].EnteredAt
		}
		d.Stages[i].Days = max(0, next.Sub(d.Stages[i].EnteredAt).Hours()/24)
	}

	le, _ := s.cat.Entity("line_items")
	items, err := s.all(ctx, "line_items", tandem.Filter{Column: "deal_id", Value: id})
	if err != nil {
		return nil, fmt.Errorf("deal %s: %w", id, err)
	}
	pids := make([]string, len(items))
	for i, it := range items {
		pids[i] = text(le, it, "product_id")
	}
	prods, err := s.refs(ctx, "products", pids)
	if err != nil {
		return nil, fmt.Errorf("deal %s: %w", id, err)
	}
	for i, it := range items {
		d.LineItems = append(d.LineItems, LineItem{Product: prods[i], Quantity: number(le, it, "quantity"),
			UnitPrice: number(le, it, "unit_price"), Amount: number(le, it, "amount")})
	}
	return d, nil
}

// AccountDetail is an account with its deals and, for roles that may read
// customer data, its subscriptions and adopted features.
type AccountDetail struct {
	Entity        *tandem.Entity  `json:"-"`
	Account       tandem.Record   `json:"-"`
	Deals         []tandem.Record `json:"-"`
	Subscriptions []tandem.Record `json:"-"`
	Adoptions     []Ref           `json:"adoptions"`
	// Won, Lost and Open count the account's deals by outcome; WonAmount
	// sums the won deals' amounts.
	Won       int     `json:"won"`
	Lost      int     `json:"lost"`
	Open      int     `json:"open"`
	WonAmount float64 `json:"won_amount"`
}

// Account returns an account's detail, or ENOTFOUND; customers says whether
// to include subscriptions and adoptions.
func (s *Service) Account(ctx context.Context, id string, customers bool) (*AccountDetail, error) {
	return cached(ctx, s, fmt.Sprintf("account|%s|%t", id, customers), func() (*AccountDetail, error) {
		return s.account(ctx, id, customers)
	})
}

// account computes an account's detail.
func (s *Service) account(ctx context.Context, id string, customers bool) (*AccountDetail, error) {
	e, r, err := s.Get(ctx, "accounts", id)
	if err != nil {
		return nil, err
	}
	a := &AccountDetail{Entity: e, Account: r, Adoptions: []Ref{}}
	if a.Deals, err = s.all(ctx, "deals", tandem.Filter{Column: "account_id", Value: id}); err != nil {
		return nil, fmt.Errorf("account %s: %w", id, err)
	}
	de, _ := s.cat.Entity("deals")
	for _, d := range a.Deals {
		switch text(de, d, "outcome") {
		case "won":
			a.Won++
			if v := number(de, d, "amount"); v != nil {
				a.WonAmount += *v
			}
		case "lost":
			a.Lost++
		default:
			a.Open++
		}
	}
	if !customers {
		return a, nil
	}
	if a.Subscriptions, err = s.all(ctx, "subscriptions", tandem.Filter{Column: "account_id", Value: id}); err != nil {
		return nil, fmt.Errorf("account %s: %w", id, err)
	}
	ad, err := s.all(ctx, "adoptions", tandem.Filter{Column: "account_id", Value: id})
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", id, err)
	}
	ae, _ := s.cat.Entity("adoptions")
	fids := make([]string, len(ad))
	for i, x := range ad {
		fids[i] = text(ae, x, "feature_id")
	}
	if a.Adoptions, err = s.refs(ctx, "features", fids); err != nil {
		return nil, fmt.Errorf("account %s: %w", id, err)
	}
	return a, nil
}

// FeatureDetail is a feature with its halo: the halo report restricted to
// this feature, with the same parameters the CLI takes.
type FeatureDetail struct {
	Entity  *tandem.Entity `json:"-"`
	Feature tandem.Record  `json:"-"`
	Product *Ref           `json:"product,omitempty"`
	Halo    *tandem.Report `json:"halo"`
}

// Feature returns a feature's detail with its halo computed from params
// (the report parameters; "features" is set to this feature) for a viewer
// whose role holds the permissions can reports (see ReportAs), or
// ENOTFOUND.
func (s *Service) Feature(ctx context.Context, can func(auth.Perm) bool, id string, params url.Values) (*FeatureDetail, error) {
	e, r, err := s.Get(ctx, "features", id)
	if err != nil {
		return nil, err
	}
	f := &FeatureDetail{Entity: e, Feature: r}
	if f.Product, err = s.ref(ctx, "products", text(e, r, "product_id")); err != nil {
		return nil, fmt.Errorf("feature %s: %w", id, err)
	}
	p := maps.Clone(params)
	if p == nil {
		p = url.Values{}
	}
	p.Set("features", id)
	p.Del("items")
	if f.Halo, err = s.ReportAs(ctx, can, "halo", p); err != nil {
		return nil, err
	}
	return f, nil
}
