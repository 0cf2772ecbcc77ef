package desk

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/stats"
)

// maxSuggestions is how many bundling suggestions a discount flag carries.
const maxSuggestions = 3

// Model is the evidence a deal check needs, computed once from the store
// so that a check is pure arithmetic on memory: the product and feature
// catalogs, the accepted archetypes with their current figures and ranked
// add-on evidence, win/loss figures for every deal shape with enough
// history, and roadmap-promise evidence. It is immutable after NewModel
// and safe for concurrent checks; build a new one when the data or the
// accepted archetypes change.
type Model struct {
	settings Settings
	asOf     time.Time

	products []product
	byID     map[string]int32
	byName   map[string]int32
	features []feature
	featByID map[string]int32
	featName map[string]int32
	segIndex map[string]int32 // lower-case segment → index in shape keys

	archetypes []*entry
	mixIndex   map[string]int32 // mixKey of a sorted product mix → its index in shapes
	shapes     map[clusterKey]*shapeEvidence

	// promise is the win-rate difference of closed deals tagged with a
	// feature not yet released when they were created, against the rest.
	promise Figure
	// drift are the feature catalog's release-slip figures.
	drift []Figure
	// halo holds, per feature index, the halo report's figures.
	halo map[int32][]Figure
}

// entry is an accepted archetype prepared for matching.
type entry struct {
	a        Archetype
	mix      []int32 // catalog products, sorted
	unknown  int     // products of the archetype the catalog lacks
	seg      string  // lower case; "" for any
	segIdx   int32   // index of seg in the history; -1 for any, -2 for one it lacks
	hasRange bool
	bands    map[int32]*PriceBand
	// win and reasons are the archetype's figures over the current
	// history of deals of its shape.
	win     Figure
	reasons []Figure
	// suggestions are every add-on with sufficient, favourable evidence,
	// best first; sugProduct[i] is the product of suggestions[i].
	suggestions []Suggestion
	sugProduct  []int32
}

// specificity ranks archetypes of equal distance: one that names a
// segment and an ACV range says more than its parents.
func (e *entry) specificity() int {
	s := 0
	if e.seg != "" {
		s += 2
	}
	if e.hasRange {
		s++
	}
	return s
}

// shapeEvidence is the history of one deal shape, for quotes that match no
// archetype.
type shapeEvidence struct {
	label   string
	win     Figure
	reasons []Figure
}

// NewModel reads the store as of asOf (deals closed after it are open,
// churn after it unknown) and prepares the accepted archetypes among
// archetypes (status "accepted"; the others are ignored). reporter, when
// not nil, runs the halo report for feature-level evidence on promised
// features. Zero fields of settings take their defaults.
func NewModel(ctx context.Context, store tandem.Store, cat *tandem.Catalog, reporter tandem.Reporter, archetypes []Archetype, settings Settings, asOf time.Time) (*Model, error) {
	settings = withDefaults(settings)
	if asOf.IsZero() {
		asOf = time.Now()
	}
	h, err := loadHistory(ctx, store, cat, loadOptions{asOf: asOf, features: true})
	if err != nil {
		return nil, err
	}
	m := &Model{settings: settings, asOf: asOf, products: h.products, byID: h.byID, byName: h.byName,
		features: h.features, featByID: h.featByID, featName: h.featName, segIndex: h.segIndex, mixIndex: h.mixIndex}
	ev := newEvidence(h, settings.MinN)
	for _, a := range archetypes {
		if a.Status != StatusAccepted {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		m.archetypes = append(m.archetypes, prepare(h, ev, a))
	}
	m.shapes = shapes(h, settings.MinN)
	m.promise = promiseFigure(h, settings.MinN)
	m.drift = driftFigures(h, settings.MinN)
	if reporter != nil {
		if m.halo, err = haloFigures(ctx, reporter, h, asOf, settings.MinN); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// withDefaults fills the zero fields of s from DefaultSettings.
func withDefaults(s Settings) Settings {
	d := DefaultSettings()
	if s.DisclosureMonths <= 0 {
		s.DisclosureMonths = d.DisclosureMonths
	}
	if s.MinN <= 0 {
		s.MinN = d.MinN
	}
	if !(s.MaxDistance > 0) {
		s.MaxDistance = d.MaxDistance
	}
	if s.DefaultMaxPaymentDays <= 0 {
		s.DefaultMaxPaymentDays = d.DefaultMaxPaymentDays
	}
	return s
}

// AsOf returns the date the model's evidence is as of, to show next to
// its figures.
func (m *Model) AsOf() time.Time { return m.asOf }

// Settings returns the settings the model checks with, defaults applied.
func (m *Model) Settings() Settings { return m.settings }

// Archetypes returns the accepted archetypes the model matches against,
// with the figures of their current history (win rate, loss reasons) in
// place of the stored ones.
func (m *Model) Archetypes() []Archetype {
	out := make([]Archetype, len(m.archetypes))
	for i, e := range m.archetypes {
		out[i] = e.a
		out[i].WinRate = e.win
		out[i].LossReasons = slices.Clone(e.reasons)
	}
	return out
}

// prepare resolves an accepted archetype against the catalog and computes
// its current figures and add-on evidence.
func prepare(h *history, ev *evidence, a Archetype) *entry {
	e := &entry{a: a, seg: strings.ToLower(strings.TrimSpace(a.Segment)), segIdx: -1, hasRange: a.ACVMin > 0 || a.ACVMax > 0, bands: map[int32]*PriceBand{}}
	if e.seg != "" {
		e.segIdx = -2
		if i, ok := h.segIndex[e.seg]; ok {
			e.segIdx = i
		}
	}
	for _, p := range a.Products {
		if i, ok := h.resolveProduct(p); ok {
			e.mix = append(e.mix, i)
		} else {
			e.unknown++
		}
	}
	slices.Sort(e.mix)
	e.mix = slices.Compact(e.mix)
	for i := range a.Playbook.Bands {
		b := &e.a.Playbook.Bands[i]
		if p, ok := h.resolveProduct(b.Product); ok {
			if _, dup := e.bands[p]; !dup {
				e.bands[p] = b
			}
		}
	}
	if len(a.Products) == 0 {
		// "other" and hand-made archetypes without products have no
		// shape to recount: their stored figures stand.
		e.win, e.reasons = a.WinRate, a.LossReasons
	} else {
		f := groupFigures(h, ev.shapeDeals(e), ev.minN, false)
		e.win, e.reasons = f.win, f.reasons
	}
	if e.unknown == 0 {
		e.suggestions, e.sugProduct = ev.suggestions(e)
	}
	return e
}

// evidence computes add-on comparisons over a history, caching the passes
// shared between archetypes.
type evidence struct {
	h      *history
	minN   int
	byMix  [][]int32              // deals of each mix
	bucket map[clusterKey][]int32 // deals of each (mix, band, segment), -1 for unknown
	segs   []int32                // every segment index, and -1
	byBase map[string]*tally      // mix-only passes by base mix
	global *tally
}

func newEvidence(h *history, minN int) *evidence {
	ev := &evidence{h: h, minN: minN, byBase: map[string]*tally{}, byMix: make([][]int32, len(h.mixes)), bucket: map[clusterKey][]int32{}}
	for i := range h.deals {
		d := &h.deals[i]
		ev.byMix[d.mix] = append(ev.byMix[d.mix], int32(i))
		k := clusterKey{d.mix, d.band, d.seg}
		ev.bucket[k] = append(ev.bucket[k], int32(i))
	}
	ev.segs = append(ev.segs, -1)
	for i := range h.segments {
		ev.segs = append(ev.segs, int32(i))
	}
	return ev
}

// inShape says whether a deal has an archetype's segment and ACV range
// (either may be "any").
func (ev *evidence) inShape(e *entry, d *closedDeal) bool {
	if e.segIdx != -1 && d.seg != e.segIdx {
		return false
	}
	if e.hasRange && !inRange(d.amount, e.a.ACVMin, e.a.ACVMax) {
		return false
	}
	return true
}

// inRange says whether x lies in [lo, hi); hi 0 is no upper bound.
func inRange(x, lo, hi float64) bool {
	return x >= lo && (hi <= 0 || x < hi)
}

// shapeDeals lists the deals of exactly an archetype's shape: its product
// mix, segment and ACV range.
func (ev *evidence) shapeDeals(e *entry) []int32 {
	want, ok := ev.h.mixIndex[mixKey(e.mix)]
	if !ok || e.unknown > 0 {
		return nil
	}
	var out []int32
	for _, i := range ev.byMix[want] {
		if ev.inShape(e, &ev.h.deals[i]) {
			out = append(out, i)
		}
	}
	return out
}

// tally counts closed deals (and judged accounts) in a population whose
// mixes all contain a base set, overall and per product they include.
type tally struct {
	population      string
	n, won          int
	nProd, wonProd  []int
	rn, ret         int // accounts judged for renewal, and retained
	rnProd, retProd []int
}

// mixTally is the pass over deals containing base, any segment or size.
func (ev *evidence) mixTally(base []int32) *tally {
	k := mixKey(base)
	if t, ok := ev.byBase[k]; ok {
		return t
	}
	t := ev.count("closed deals with the same other products, any segment or size", base, nil)
	ev.byBase[k] = t
	return t
}

// globalTally is the pass over every closed deal.
func (ev *evidence) globalTally() *tally {
	if ev.global == nil {
		ev.global = ev.count("all closed deals", nil, nil)
	}
	return ev.global
}

// shapeDealsOf lists the deals of mix m in an archetype's segment and ACV
// range, visiting only the (band, segment) buckets that can hold them.
func (ev *evidence) shapeDealsOf(e *entry, m int32, visit func(i int32)) {
	if e == nil {
		for _, i := range ev.byMix[m] {
			visit(i)
		}
		return
	}
	segs := ev.segs
	if e.segIdx != -1 {
		segs = []int32{e.segIdx}
	}
	for b := int8(bandNone); b < numBands; b++ {
		if e.hasRange {
			lo, hi := bandBounds(int(b))
			if b == bandNone || e.a.ACVMax > 0 && lo >= e.a.ACVMax || hi > 0 && hi <= e.a.ACVMin {
				continue
			}
		}
		for _, sg := range segs {
			for _, i := range ev.bucket[clusterKey{m, b, sg}] {
				if ev.inShape(e, &ev.h.deals[i]) {
					visit(i)
				}
			}
		}
	}
}

// count runs one pass over the history: deals whose mix contains base,
// within the archetype's segment and ACV range when e is not nil.
func (ev *evidence) count(population string, base []int32, e *entry) *tally {
	h := ev.h
	np := len(h.products)
	t := &tally{population: population, nProd: make([]int, np), wonProd: make([]int, np), rnProd: make([]int, np), retProd: make([]int, np)}
	first := map[int32]int32{}
	for m, mix := range h.mixes {
		if !containsAll(mix, base) {
			continue
		}
		ev.shapeDealsOf(e, int32(m), func(i int32) {
			d := &h.deals[i]
			t.n++
			w := 0
			if d.won {
				w = 1
			}
			t.won += w
			for _, p := range mix {
				t.nProd[p]++
				t.wonProd[p] += w
			}
			if d.retained >= 0 {
				if j, seen := first[d.account]; !seen || earlier(h, i, j) {
					first[d.account] = i
				}
			}
		})
	}
	for _, i := range first {
		d := &h.deals[i]
		r := int(d.retained)
		t.rn++
		t.ret += r
		for _, p := range h.mixes[d.mix] {
			t.rnProd[p]++
			t.retProd[p] += r
		}
	}
	return t
}

// containsAll says whether sorted set a contains every element of sorted b.
func containsAll(a, b []int32) bool {
	i := 0
	for _, x := range b {
		for i < len(a) && a[i] < x {
			i++
		}
		if i == len(a) || a[i] != x {
			return false
		}
	}
	return true
}

// suggestions ranks every add-on X (a product not in maintenance) for an
// archetype by comparing closed deals with X against those without, among
// deals whose mix contains the archetype's other products: first in the
// archetype's segment and ACV range, else (either side below MinN) over
// any segment and size, else over all closed deals. A product whose
// comparison is still below MinN on either side is omitted, and so is one
// whose win-rate difference is not positive: a suggestion must never rest
// on insufficient data or recommend what is associated with losing. The
// rest are ranked by the lower limit of the win-rate difference, then the
// difference, then product id.
func (ev *evidence) suggestions(e *entry) ([]Suggestion, []int32) {
	h := ev.h
	type ranked struct {
		s    Suggestion
		p    int32
		lo   float64
		diff float64
	}
	var all []ranked
	var same *tally
	const popShape = "closed deals of this archetype's segment and size"
	for x := range h.products {
		p := int32(x)
		if h.products[p].class == "maintenance" {
			continue
		}
		var base []int32
		inMix := slices.Contains(e.mix, p)
		if inMix {
			base = slices.DeleteFunc(slices.Clone(e.mix), func(q int32) bool { return q == p })
		} else {
			base = e.mix
		}
		var t *tally
		for level := 0; level < 3 && t == nil; level++ {
			var c *tally
			switch level {
			case 0:
				if inMix {
					c = ev.count(popShape, base, e)
				} else {
					if same == nil {
						same = ev.count(popShape, base, e)
					}
					c = same
				}
			case 1:
				c = ev.mixTally(base)
			default:
				c = ev.globalTally()
			}
			if n1 := c.nProd[p]; n1 >= ev.minN && c.n-n1 >= ev.minN {
				t = c
			}
		}
		if t == nil {
			continue
		}
		s, diff := suggestion(h.products[p].name, h.products[p].id, t, p, ev.minN)
		if !(diff.Value > 0) {
			continue
		}
		all = append(all, ranked{s: s, p: p, lo: diff.CILow, diff: diff.Value})
	}
	slices.SortFunc(all, func(a, b ranked) int {
		if c := cmp.Compare(b.lo, a.lo); c != 0 {
			return c
		}
		if c := cmp.Compare(b.diff, a.diff); c != 0 {
			return c
		}
		return cmp.Compare(h.products[a.p].id, h.products[b.p].id)
	})
	out := make([]Suggestion, len(all))
	prods := make([]int32, len(all))
	for i, r := range all {
		out[i], prods[i] = r.s, r.p
	}
	return out, prods
}

// suggestion words the comparison of product p in tally t.
func suggestion(name, id string, t *tally, p int32, minN int) (Suggestion, Figure) {
	n1, k1 := t.nProd[p], t.wonProd[p]
	n0, k0 := t.n-n1, t.won-k1
	note := "associated with, not shown to cause; " + t.population
	win := diffFigure("win-rate difference with "+name, k1, n1, k0, n0, minN, note)
	with := proportionFigure("win rate with "+name, k1, n1, minN, noteWinRate)
	without := proportionFigure("win rate without "+name, k0, n0, minN, noteWinRate)
	r1, q1 := t.rnProd[p], t.retProd[p]
	r0, q0 := t.rn-r1, t.ret-q1
	ren := diffFigure("renewal-rate difference with "+name, q1, r1, q0, r0, minN, note+"; "+noteRenewal)
	text := fmt.Sprintf("Bundling %s instead of discounting is associated with %s win rate (n=%d with, %d without; 95%% CI %s to %s)",
		name, pp(win.Value), n1, n0, pp(win.CILow), pp(win.CIHigh))
	if ren.Insufficient {
		text += fmt.Sprintf("; renewal: insufficient data (n=%d with, %d without)", r1, r0)
	} else {
		text += fmt.Sprintf(" and %s renewal (n=%d with, %d without; 95%% CI %s to %s)", pp(ren.Value), r1, r0, pp(ren.CILow), pp(ren.CIHigh))
	}
	text += ", among " + t.population + "."
	return Suggestion{Text: text, Product: id, Figures: []Figure{win, with, without, ren}}, win
}

// pp formats a difference in percentage points with its sign.
func pp(v float64) string {
	if math.Abs(v) < 0.05 {
		v = 0
	}
	return fmt.Sprintf("%+.1f pp", v)
}

// shapes computes the win rate and loss reasons of every deal shape that
// has at least minN closed deals, at each level of the merge tree: (mix,
// band, segment), (mix, band) and (mix), keyed as in derive.
func shapes(h *history, minN int) map[clusterKey]*shapeEvidence {
	groups := map[clusterKey][]int32{}
	for i := range h.deals {
		d := &h.deals[i]
		if len(h.mixes[d.mix]) == 0 {
			continue
		}
		keys := [3]clusterKey{{d.mix, -1, -1}, {d.mix, d.band, -1}, {d.mix, d.band, d.seg}}
		for lv, k := range keys {
			if lv >= 1 && d.band < 0 || lv == 2 && d.seg < 0 {
				break
			}
			groups[k] = append(groups[k], int32(i))
		}
	}
	out := map[clusterKey]*shapeEvidence{}
	for k, deals := range groups {
		if len(deals) < minN {
			continue
		}
		f := groupFigures(h, deals, minN, false)
		label := mixLabel(h, h.mixes[k.mix])
		if k.band >= 0 {
			label += " · " + bandLabel(int(k.band))
		}
		if k.seg >= 0 {
			label += " · " + h.segments[k.seg]
		}
		out[k] = &shapeEvidence{label: label, win: f.win, reasons: f.reasons}
	}
	return out
}

func mixLabel(h *history, mix []int32) string {
	names := make([]string, len(mix))
	for i, p := range mix {
		names[i] = h.products[p].name
	}
	return strings.Join(names, " + ")
}

// promiseFigure compares the win rate of closed deals tagged with a feature
// that was not yet released when the deal was created (a roadmap promise)
// with that of the other closed deals.
func promiseFigure(h *history, minN int) Figure {
	var n1, k1, n0, k0 int
	for i := range h.deals {
		d := &h.deals[i]
		w := 0
		if d.won {
			w = 1
		}
		if d.promised {
			n1, k1 = n1+1, k1+w
		} else {
			n0, k0 = n0+1, k0+w
		}
	}
	return diffFigure("win-rate difference, deals sold on a feature not yet released vs the rest", k1, n1, k0, n0, minN,
		"associated with, not shown to cause; a deal counts as sold on a promise when tagged with a feature released after the deal was created")
}

// driftFigures measure how reliable planned dates have been: the share of
// released features that shipped after their planned date (Wilson), and
// the median slip of those (seeded bootstrap interval).
func driftFigures(h *history, minN int) []Figure {
	var slips []float64
	n := 0
	for _, f := range h.features {
		if f.released == noDay || f.planned == noDay || dateOf(f.released).After(dateOf(h.asOf)) {
			continue
		}
		n++
		if f.released > f.planned {
			slips = append(slips, float64(f.released-f.planned))
		}
	}
	if n == 0 {
		return nil
	}
	out := []Figure{proportionFigure("released features that shipped after their planned date", len(slips), n, minN,
		"features with both a planned and a release date")}
	if len(slips) > 0 {
		b := stats.BootstrapMeanMedian(slips, 1000, 1, stats.Conf95)
		out = append(out, finiteFigure(Figure{Label: "median slip of late features", Unit: "days", N: len(slips),
			Value: b.Median, CILow: b.MedianCI.Lo, CIHigh: b.MedianCI.Hi, Insufficient: len(slips) < minN,
			Note: "released_at − planned_at; seeded percentile bootstrap interval"}))
	}
	return out
}

// haloFigures runs the halo report by feature and keeps, per feature, its
// adjusted win-rate difference and its renewal-rate difference, in
// percentage points.
func haloFigures(ctx context.Context, reporter tandem.Reporter, h *history, asOf time.Time, minN int) (map[int32][]Figure, error) {
	rep, err := reporter.Run(ctx, "halo", tandem.ReportParams{Items: "features", AsOf: asOf, MinN: minN})
	if err != nil {
		return nil, fmt.Errorf("desk: halo evidence: %w", err)
	}
	out := map[int32][]Figure{}
	for _, g := range append(slices.Clone(rep.Groups), rep.Apart...) {
		name := g.Key["feature"]
		f, ok := h.resolveFeature(name)
		if !ok {
			continue
		}
		if _, dup := out[f]; dup {
			continue
		}
		figs := []Figure{estimateFigure("win-rate difference, deals tagged "+name+" vs not, adjusted", g.Estimate, minN,
			"associated with, not shown to cause; halo report, stratified by segment, size band and quarter")}
		if r, ok := g.Metrics["renewal_diff"]; ok && finite(r.Value) {
			figs = append(figs, estimateFigure("renewal-rate difference, accounts adopting "+name+" vs not", r, minN,
				"associated with, not shown to cause; halo report"))
		}
		out[f] = figs
	}
	return out, nil
}

// estimateFigure turns a report's difference of proportions into a figure
// in percentage points.
func estimateFigure(label string, e tandem.Estimate, minN int, note string) Figure {
	return finiteFigure(Figure{Label: label, Unit: "pp", N: e.N, Value: 100 * e.Value, CILow: 100 * e.CILow, CIHigh: 100 * e.CIHigh,
		Insufficient: e.Insufficient || e.N < minN, Note: note})
}
