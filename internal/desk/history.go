package desk

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// noDay marks an unknown date in the day columns of history.
const noDay = math.MinInt32

// renewalWindowDays is how long after a won deal's close its account must
// stay without churn to count as retained.
const renewalWindowDays = 365

// The fixed ACV bands, on a log scale: each is about five times as wide as
// the one below it, so a band is a comparable step in deal size whether the
// deal is small or large.
const (
	numBands = 5
	bandNone = -1
)

// bandOf returns the ACV band of an amount, or bandNone when it is unknown
// (NaN) or negative.
func bandOf(x float64) int {
	switch {
	case !(x >= 0):
		return bandNone
	case x < 10e3:
		return 0
	case x < 50e3:
		return 1
	case x < 250e3:
		return 2
	case x < 1e6:
		return 3
	}
	return 4
}

// bandBounds returns a band's [lo, hi) limits; hi is 0 for the open top
// band, as Archetype.ACVMax has it.
func bandBounds(b int) (lo, hi float64) {
	switch b {
	case 0:
		return 0, 10e3
	case 1:
		return 10e3, 50e3
	case 2:
		return 50e3, 250e3
	case 3:
		return 250e3, 1e6
	case 4:
		return 1e6, 0
	}
	return 0, 0
}

func bandSlug(b int) string {
	return [...]string{"lt-10k", "10k-50k", "50k-250k", "250k-1m", "ge-1m"}[b]
}

func bandLabel(b int) string {
	return [...]string{"ACV under 10k", "ACV 10k–50k", "ACV 50k–250k", "ACV 250k–1M", "ACV 1M and over"}[b]
}

// dayOf counts whole days since the Unix epoch (UTC), flooring.
func dayOf(t time.Time) int32 {
	s := t.Unix()
	d := s / 86400
	if s%86400 < 0 {
		d--
	}
	return int32(d)
}

func dateOf(day int32) time.Time { return time.Unix(int64(day)*86400, 0).UTC() }

// product is one row of the product catalog, or a product a deal names
// that the catalog lacks (class and price unknown).
type product struct {
	id, name, class string
	price           float64 // list price per unit per year; NaN when unknown
	cost            float64 // attr "cost" per unit per year; NaN when unknown
}

// feature is one row of the feature catalog.
type feature struct {
	id, name, status  string
	released, planned int32 // days; noDay when unknown
}

// closedDeal is one deal closed won or lost by the as-of date.
type closedDeal struct {
	id       string
	account  int32   // index into history.accountChurn; -1 when none
	mix      int32   // index into history.mixes
	amount   float64 // NaN when unknown
	band     int8
	seg      int32 // index into history.segments; -1 when unknown
	won      bool
	created  int32 // day; noDay when unknown
	closed   int32 // day; noDay when unknown
	reasons  []string
	retained int8 // won deals: 1 retained, 0 churned within the window, -1 not judged
	promised bool // tagged with a feature not yet released when the deal was created
	obsOff   int32
	obsN     int32
}

// bandObs is one pricing observation of a won deal: a line, or the whole
// deal when it has a single product and no lines.
type bandObs struct {
	product  int32
	discount float64 // %, clamped to [0, 100]; NaN when the list price is unknown
	net      float64 // net price per unit; NaN when unknown
}

// history is the store's closed deals and what they need, in columnar form,
// read once. Indices are positions in its slices; product indices follow
// product id order, then products the catalog lacks in order of first
// mention.
type history struct {
	asOf     int32
	products []product
	byID     map[string]int32
	byName   map[string]int32 // NormalizeName of name, aliases and id
	features []feature
	featByID map[string]int32
	featName map[string]int32
	segments []string // display spelling of each segment (its first)
	segIndex map[string]int32
	mixes    [][]int32 // distinct product mixes, each sorted
	mixIndex map[string]int32
	deals    []closedDeal
	obs      []bandObs
	// accountChurn lists, per account index, the days its subscriptions
	// churned (churn events included); hasSubs says whether it has any
	// subscription at all.
	accountChurn [][]int32
	hasSubs      []bool
	subsData     bool // the store has subscriptions
}

// loadOptions select the deals of a history.
type loadOptions struct {
	from, to time.Time // closed-date window, inclusive; zero = open
	asOf     time.Time // zero: the latest close date in the data
	features bool      // read the feature catalog and deal feature tags
}

// resolveProduct finds a product by id, then by name or alias (case- and
// space-insensitively).
func (h *history) resolveProduct(s string) (int32, bool) {
	if i, ok := h.byID[s]; ok {
		return i, true
	}
	i, ok := h.byName[tandem.NormalizeName(s)]
	return i, ok
}

// resolveFeature finds a feature by id, then by name or alias.
func (h *history) resolveFeature(s string) (int32, bool) {
	if i, ok := h.featByID[s]; ok {
		return i, true
	}
	i, ok := h.featName[tandem.NormalizeName(s)]
	return i, ok
}

// segmentOf returns the index of a segment, -1 for an empty one. Segments
// are compared case-insensitively.
func (h *history) segmentOf(s string) int32 {
	s = strings.TrimSpace(s)
	if s == "" {
		return -1
	}
	k := strings.ToLower(s)
	if i, ok := h.segIndex[k]; ok {
		return i
	}
	i := int32(len(h.segments))
	h.segIndex[k] = i
	h.segments = append(h.segments, s)
	return i
}

// mixOf interns a sorted product mix.
func (h *history) mixOf(prods []int32) int32 {
	key := mixKey(prods)
	if i, ok := h.mixIndex[key]; ok {
		return i
	}
	i := int32(len(h.mixes))
	h.mixIndex[key] = i
	h.mixes = append(h.mixes, slices.Clone(prods))
	return i
}

// mixKey is the map key of a sorted mix of product indices.
func mixKey(prods []int32) string {
	b := make([]byte, 0, 4*len(prods))
	for i, p := range prods {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, int64(p), 10)
	}
	return string(b)
}

// columns resolves canonical column names of an entity to indices.
func columns(cat *tandem.Catalog, entity string, names ...string) ([]int, error) {
	e, err := cat.Entity(entity)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(names))
	for i, n := range names {
		_, j := e.Column(n)
		if j < 0 {
			return nil, tandem.Errorf(tandem.EINTERNAL, "desk: entity %s has no column %s", entity, n)
		}
		out[i] = j
	}
	return out, nil
}

func str(r tandem.Record, i int) string {
	if i >= len(r.Values) {
		return ""
	}
	s, _ := r.Values[i].(string)
	return strings.TrimSpace(s)
}

func num(r tandem.Record, i int) float64 {
	if i >= len(r.Values) {
		return math.NaN()
	}
	switch v := r.Values[i].(type) {
	case float64:
		return v
	case int64:
		return float64(v)
	}
	return math.NaN()
}

func day(r tandem.Record, i int) int32 {
	if i >= len(r.Values) {
		return noDay
	}
	if t, ok := r.Values[i].(time.Time); ok {
		return dayOf(t)
	}
	return noDay
}

func list(r tandem.Record, i int) []string {
	if i >= len(r.Values) {
		return nil
	}
	l, _ := r.Values[i].([]string)
	return l
}

// loadHistory reads the store: the product catalog, optionally the feature
// catalog, account segments, subscription churn, and every deal closed won
// or lost by the as-of date (within the window), with the pricing
// observations of its line items. Everything is read by store.Scan, one
// pass per entity.
func loadHistory(ctx context.Context, store tandem.Store, cat *tandem.Catalog, o loadOptions) (*history, error) {
	h := &history{byID: map[string]int32{}, byName: map[string]int32{}, featByID: map[string]int32{},
		featName: map[string]int32{}, segIndex: map[string]int32{}, mixIndex: map[string]int32{}}
	if err := h.readProducts(ctx, store, cat); err != nil {
		return nil, err
	}
	if o.features {
		if err := h.readFeatures(ctx, store, cat); err != nil {
			return nil, err
		}
	}
	accounts, err := h.readAccounts(ctx, store, cat)
	if err != nil {
		return nil, err
	}
	if err := h.readChurn(ctx, store, cat, accounts); err != nil {
		return nil, err
	}
	raw, err := h.readDeals(ctx, store, cat, accounts, o)
	if err != nil {
		return nil, err
	}
	if err := h.readLines(ctx, store, cat, raw); err != nil {
		return nil, err
	}
	h.judgeRenewals()
	return h, nil
}

func (h *history) readProducts(ctx context.Context, store tandem.Store, cat *tandem.Catalog) error {
	c, err := columns(cat, "products", "id", "name", "class", "price", "aliases")
	if err != nil {
		return err
	}
	type named struct {
		p       product
		aliases []string
	}
	var rows []named
	err = store.Scan(ctx, "products", func(r tandem.Record) error {
		p := product{id: str(r, c[0]), name: str(r, c[1]), class: strings.ToLower(str(r, c[2])), price: num(r, c[3]), cost: math.NaN()}
		if v, err := strconv.ParseFloat(strings.TrimSpace(r.Attrs["cost"]), 64); err == nil && v >= 0 && !math.IsInf(v, 0) {
			p.cost = v
		}
		if p.id != "" {
			rows = append(rows, named{p, list(r, c[4])})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("desk: read products: %w", err)
	}
	slices.SortStableFunc(rows, func(a, b named) int { return strings.Compare(a.p.id, b.p.id) })
	for _, r := range rows {
		if _, dup := h.byID[r.p.id]; dup {
			continue
		}
		i := int32(len(h.products))
		h.products = append(h.products, r.p)
		h.byID[r.p.id] = i
		for _, n := range append([]string{r.p.id, r.p.name}, r.aliases...) {
			if k := tandem.NormalizeName(n); k != "" {
				if _, taken := h.byName[k]; !taken {
					h.byName[k] = i
				}
			}
		}
	}
	return nil
}

// productRef resolves a product reference on a deal or line, adding a
// product the catalog lacks so that the mix still tells it apart.
func (h *history) productRef(s string) int32 {
	if i, ok := h.resolveProduct(s); ok {
		return i
	}
	i := int32(len(h.products))
	h.products = append(h.products, product{id: s, name: s, price: math.NaN(), cost: math.NaN()})
	h.byID[s] = i
	if k := tandem.NormalizeName(s); k != "" {
		h.byName[k] = i
	}
	return i
}

func (h *history) readFeatures(ctx context.Context, store tandem.Store, cat *tandem.Catalog) error {
	c, err := columns(cat, "features", "id", "name", "status", "released_at", "planned_at", "aliases")
	if err != nil {
		return err
	}
	type named struct {
		f       feature
		aliases []string
	}
	var rows []named
	err = store.Scan(ctx, "features", func(r tandem.Record) error {
		f := feature{id: str(r, c[0]), name: str(r, c[1]), status: strings.ToLower(str(r, c[2])), released: day(r, c[3]), planned: day(r, c[4])}
		if f.id != "" {
			rows = append(rows, named{f, list(r, c[5])})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("desk: read features: %w", err)
	}
	slices.SortStableFunc(rows, func(a, b named) int { return strings.Compare(a.f.id, b.f.id) })
	for _, r := range rows {
		if _, dup := h.featByID[r.f.id]; dup {
			continue
		}
		i := int32(len(h.features))
		h.features = append(h.features, r.f)
		h.featByID[r.f.id] = i
		for _, n := range append([]string{r.f.id, r.f.name}, r.aliases...) {
			if k := tandem.NormalizeName(n); k != "" {
				if _, taken := h.featName[k]; !taken {
					h.featName[k] = i
				}
			}
		}
	}
	return nil
}

// accountRefs maps account ids to their index and segment.
type accountRefs struct {
	index map[string]int32
	seg   []int32
}

func (a *accountRefs) ref(h *history, id string) int32 {
	if id == "" {
		return -1
	}
	if i, ok := a.index[id]; ok {
		return i
	}
	i := int32(len(a.seg))
	a.index[id] = i
	a.seg = append(a.seg, -1)
	h.accountChurn = append(h.accountChurn, nil)
	h.hasSubs = append(h.hasSubs, false)
	return i
}

func (h *history) readAccounts(ctx context.Context, store tandem.Store, cat *tandem.Catalog) (*accountRefs, error) {
	c, err := columns(cat, "accounts", "id", "segment")
	if err != nil {
		return nil, err
	}
	a := &accountRefs{index: map[string]int32{}}
	err = store.Scan(ctx, "accounts", func(r tandem.Record) error {
		id := str(r, c[0])
		if _, dup := a.index[id]; dup || id == "" {
			return nil
		}
		i := a.ref(h, id)
		a.seg[i] = h.segmentOf(str(r, c[1]))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("desk: read accounts: %w", err)
	}
	return a, nil
}

// readChurn records, per account, whether it has subscriptions and the days
// any of them churned: churned_at, or the end date of a subscription whose
// status is churned without a churned_at, and every churn event.
func (h *history) readChurn(ctx context.Context, store tandem.Store, cat *tandem.Catalog, a *accountRefs) error {
	c, err := columns(cat, "subscriptions", "account_id", "status", "churned_at", "end")
	if err != nil {
		return err
	}
	err = store.Scan(ctx, "subscriptions", func(r tandem.Record) error {
		i := a.ref(h, str(r, c[0]))
		if i < 0 {
			return nil
		}
		h.hasSubs[i] = true
		h.subsData = true
		at := day(r, c[2])
		if at == noDay && strings.EqualFold(str(r, c[1]), "churned") {
			at = day(r, c[3])
		}
		if at != noDay {
			h.accountChurn[i] = append(h.accountChurn[i], at)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("desk: read subscriptions: %w", err)
	}
	c, err = columns(cat, "churn_events", "account_id", "at")
	if err != nil {
		return err
	}
	err = store.Scan(ctx, "churn_events", func(r tandem.Record) error {
		i := a.ref(h, str(r, c[0]))
		if at := day(r, c[1]); i >= 0 && at != noDay {
			h.accountChurn[i] = append(h.accountChurn[i], at)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("desk: read churn events: %w", err)
	}
	for i := range h.accountChurn {
		slices.Sort(h.accountChurn[i])
	}
	return nil
}

// rawDeals carries what readLines needs: each kept deal's products before
// line items are added, and the index of each deal id.
type rawDeals struct {
	prods [][]int32
	index map[string]int32
}

func (h *history) readDeals(ctx context.Context, store tandem.Store, cat *tandem.Catalog, a *accountRefs, o loadOptions) (*rawDeals, error) {
	c, err := columns(cat, "deals", "id", "account_id", "amount", "created", "closed", "outcome", "products", "features", "loss_reasons")
	if err != nil {
		return nil, err
	}
	asOf, from, to := int32(math.MaxInt32), int32(math.MinInt32), int32(math.MaxInt32)
	if !o.asOf.IsZero() {
		asOf = dayOf(o.asOf)
	}
	if !o.from.IsZero() {
		from = dayOf(o.from)
	}
	if !o.to.IsZero() {
		to = dayOf(o.to)
	}
	windowed := !o.from.IsZero() || !o.to.IsZero()
	raw := &rawDeals{index: map[string]int32{}}
	latest := int32(noDay)
	reasons := map[string]string{}
	err = store.Scan(ctx, "deals", func(r tandem.Record) error {
		var won bool
		switch strings.ToLower(str(r, c[5])) {
		case "won":
			won = true
		case "lost":
		default:
			return nil
		}
		d := closedDeal{id: str(r, c[0]), won: won, amount: num(r, c[2]), created: day(r, c[3]), closed: day(r, c[4]), retained: -1, account: -1, seg: -1}
		if _, dup := raw.index[d.id]; dup || d.id == "" {
			return nil
		}
		if d.closed != noDay && d.closed > asOf {
			return nil // still open as of the date
		}
		if windowed && (d.closed == noDay || d.closed < from || d.closed > to) {
			return nil
		}
		if d.closed != noDay && d.closed > latest {
			latest = d.closed
		}
		d.band = int8(bandOf(d.amount))
		if id := str(r, c[1]); id != "" {
			d.account = a.ref(h, id)
			d.seg = a.seg[d.account]
		}
		var prods []int32
		for _, p := range list(r, c[6]) {
			if p = strings.TrimSpace(p); p != "" {
				prods = append(prods, h.productRef(p))
			}
		}
		if !won {
			for _, s := range list(r, c[8]) {
				if s = strings.TrimSpace(s); s != "" {
					// Reasons are compared case-insensitively and shown
					// in their first spelling; the strings are shared.
					k := strings.ToLower(s)
					if first, ok := reasons[k]; ok {
						s = first
					} else {
						reasons[k] = s
					}
					d.reasons = append(d.reasons, s)
				}
			}
		}
		if o.features && d.created != noDay {
			for _, f := range list(r, c[7]) {
				if i, ok := h.resolveFeature(f); ok && !h.features[i].releasedBy(d.created) {
					d.promised = true
					break
				}
			}
		}
		raw.index[d.id] = int32(len(h.deals))
		raw.prods = append(raw.prods, prods)
		h.deals = append(h.deals, d)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("desk: read deals: %w", err)
	}
	switch {
	case !o.asOf.IsZero():
		h.asOf = asOf
	case latest != noDay:
		h.asOf = latest
	default:
		h.asOf = dayOf(time.Now())
	}
	return raw, nil
}

// releasedBy says whether the feature was generally available on the day:
// released on or before it, or, without a release date, in status ga or
// deprecated (shipped at some unknown time, so taken as shipped).
func (f *feature) releasedBy(day int32) bool {
	if f.released != noDay {
		return f.released <= day
	}
	return f.status == "ga" || f.status == "deprecated"
}

// readLines adds the products of each deal's line items to its mix, and
// records the pricing observations of won deals (see bandObs and the
// package documentation of archetypes for the definition of discount).
func (h *history) readLines(ctx context.Context, store tandem.Store, cat *tandem.Catalog, raw *rawDeals) error {
	c, err := columns(cat, "line_items", "deal_id", "product_id", "quantity", "unit_price", "amount")
	if err != nil {
		return err
	}
	lines := make([][]bandObs, len(h.deals))
	err = store.Scan(ctx, "line_items", func(r tandem.Record) error {
		i, ok := raw.index[str(r, c[0])]
		pid := str(r, c[1])
		if !ok || pid == "" {
			return nil
		}
		p := h.productRef(pid)
		raw.prods[i] = append(raw.prods[i], p)
		if !h.deals[i].won {
			return nil
		}
		unit := num(r, c[3])
		if math.IsNaN(unit) {
			if q, amt := num(r, c[2]), num(r, c[4]); q > 0 && amt >= 0 {
				unit = amt / q
			}
		}
		if math.IsNaN(unit) || math.IsInf(unit, 0) {
			return nil
		}
		lines[i] = append(lines[i], bandObs{product: p, discount: discountOf(unit, h.products[p].price), net: unit})
		return nil
	})
	if err != nil {
		return fmt.Errorf("desk: read line items: %w", err)
	}
	for i := range h.deals {
		prods := raw.prods[i]
		slices.Sort(prods)
		prods = slices.Compact(prods)
		d := &h.deals[i]
		d.mix = h.mixOf(prods)
		if !d.won {
			continue
		}
		obs := lines[i]
		// A deal without lines but with a single priced product (the
		// Maven CRM export is like this) is one unit at its amount.
		if len(obs) == 0 && len(prods) == 1 && !math.IsNaN(d.amount) {
			obs = []bandObs{{product: prods[0], discount: discountOf(d.amount, h.products[prods[0]].price), net: d.amount}}
		}
		d.obsOff, d.obsN = int32(len(h.obs)), int32(len(obs))
		h.obs = append(h.obs, obs...)
	}
	return nil
}

// discountOf is 100 × (1 − net / list), clamped to [0, 100]: a net price
// above list is no discount, not a negative one. It is NaN when the list
// price is unknown or not positive.
func discountOf(net, list float64) float64 {
	if !(list > 0) || math.IsNaN(net) {
		return math.NaN()
	}
	return math.Max(0, math.Min(100, 100*(list-net)/list))
}

// judgeRenewals sets retained on won deals whose account has subscriptions
// and whose renewal window (renewalWindowDays after close) ended by the
// as-of date: retained unless the account churned within the window.
// Churn dated after the as-of date is not yet known and does not count.
func (h *history) judgeRenewals() {
	for i := range h.deals {
		d := &h.deals[i]
		if !d.won || d.account < 0 || !h.hasSubs[d.account] || d.closed == noDay || d.closed > h.asOf-renewalWindowDays {
			continue
		}
		d.retained = 1
		end := d.closed + renewalWindowDays
		churn := h.accountChurn[d.account]
		j, _ := slices.BinarySearch(churn, d.closed+1)
		if j < len(churn) && churn[j] <= end && churn[j] <= h.asOf {
			d.retained = 0
		}
	}
}
