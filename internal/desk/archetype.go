// # Deriving archetypes
//
// Derive proposes archetypes from the deals closed won or lost by the as-of
// date (DeriveOptions.AsOf; zero means the latest close date in the data),
// optionally only those closed within [From, To]. Open deals, and deals
// closed after the as-of date, take no part. The method is deterministic:
// the same store and options give the same archetypes in the same order.
//
// Key. A deal's key is (product mix, ACV band, segment):
//
//   - product mix: the sorted set of product ids on the deal, from its
//     products list and its line items together; names and aliases are
//     resolved to ids through the product catalog;
//   - ACV band: the deal amount in one of five fixed log-scale bands, each
//     about five times as wide as the one below: under 10k, 10k–50k,
//     50k–250k, 250k–1M, 1M and over;
//   - segment: the segment of the deal's account, compared
//     case-insensitively.
//
// Merging. Clusters smaller than MinN (default 30) closed deals merge into
// their parent: (mix, band, segment) → (mix, band) → (mix) → "other". A
// cluster is emitted when it holds at least MinN deals after the merging
// below it; a deal belongs to exactly one emitted archetype, the finest
// that was emitted, and its Deals count only the deals that stayed there
// (not those of its emitted children). Deals without a segment start at
// (mix, band), deals without an amount at (mix), and deals without
// products go to "other" directly. "other" is emitted whenever it holds a
// deal, and its figures then say "insufficient data" below MinN. Parent is
// the id of the nearest emitted coarser archetype ((mix, band) then (mix));
// it is empty at the top and for "other", which is a remainder, not a
// parent.
//
// Identity. The id is a slug of the key: product ids (lower case, runs of
// other characters as "-") joined by "+", then the band ("lt-10k",
// "10k-50k", "50k-250k", "250k-1m", "ge-1m") and the segment, separated
// by "/": "p-01+p-02/50k-250k/enterprise". A slug that collides with an
// earlier one gets "-2", "-3"… in key order. Archetypes come ordered by
// deals, most first, then id; every one has status "proposed".
//
// Figures of an archetype, over its own deals (DESIGN §6):
//
//   - WinRate: won / (won + lost), Wilson 95% interval.
//   - MedianCycle: days from created to closed of won deals, the
//     Kaplan–Meier median with its Brookmeyer–Crowley interval (every
//     duration is an event: only closed won deals count).
//   - RenewalRate: over accounts that have subscriptions, each counted once
//     by its earliest won deal in the archetype whose 12-month window
//     ended by the as-of date: the share with no churn (a subscription's
//     churned_at, or a churn event) within 12 months of that deal's
//     close; Wilson interval.
//   - LossReasons: the five reasons most cited, each as the share of lost
//     deals citing it among lost deals with a reason recorded; Wilson.
//   - Playbook.Bands, one per product, from won deals: discount %
//     (P25/median/P75) and net price per unit. A line's discount is
//     100 × (1 − unit_price / list price) with the list price from the
//     product catalog (unit_price is amount / quantity when missing); a
//     won deal without line items but with exactly one product counts as
//     one unit at its amount, 100 × (1 − amount / price). Discounts are
//     clamped to [0, 100] (a price above list is no discount); unknown
//     prices are skipped. Percentiles are gonum's linear interpolation
//     (type 4), the median that of package stats.
//
// Any figure over fewer than MinN observations is marked Insufficient.
package desk

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// Archetype statuses: Derive proposes, RevOps accepts, and only accepted
// archetypes match quotes.
const (
	StatusProposed = "proposed"
	StatusAccepted = "accepted"
)

// OtherID is the id of the catch-all archetype of deals that fit no other.
const OtherID = "other"

// maxLossReasons is how many loss reasons an archetype lists.
const maxLossReasons = 5

// DeriveOptions select the deals Derive learns from.
type DeriveOptions struct {
	// From and To bound the deals' close dates, inclusive; zero is open.
	// A deal without a close date is left out when either is set.
	From, To time.Time
	// AsOf is the date the history is read as of: deals closed after it
	// were still open, and churn after it is not yet known. Zero means the
	// latest close date in the data, so that the result does not depend
	// on the clock.
	AsOf time.Time
	// MinN is the minimum number of closed deals of an archetype, and of
	// a figure; DefaultSettings().MinN (30, DESIGN §6) when 0 or negative.
	MinN int
}

// Derive proposes archetypes from the closed deals of the store by the
// method of the package documentation ("Deriving archetypes").
func Derive(ctx context.Context, store tandem.Store, cat *tandem.Catalog, opts DeriveOptions) ([]Archetype, error) {
	h, err := loadHistory(ctx, store, cat, loadOptions{from: opts.From, to: opts.To, asOf: opts.AsOf})
	if err != nil {
		return nil, err
	}
	minN := opts.MinN
	if minN <= 0 {
		minN = DefaultSettings().MinN
	}
	out, _ := derive(h, minN)
	return out, nil
}

// clusterKey is a node of the merge tree: band and seg are -1 above the
// levels that have them.
type clusterKey struct {
	mix  int32
	band int8
	seg  int32
}

func (k clusterKey) level() int {
	switch {
	case k.seg >= 0:
		return 3
	case k.band >= 0:
		return 2
	}
	return 1
}

func compareKeys(a, b clusterKey) int {
	if c := cmp.Compare(a.mix, b.mix); c != 0 {
		return c
	}
	if c := cmp.Compare(a.band, b.band); c != 0 {
		return c
	}
	return cmp.Compare(a.seg, b.seg)
}

// derive runs the merge of the package documentation on a history. It also
// returns, for each deal of the history, the id of the archetype it ended
// in, which the tests check.
func derive(h *history, minN int) ([]Archetype, []string) {
	levels := [4]map[clusterKey][]int32{nil, {}, {}, {}}
	var other []int32
	for i, d := range h.deals {
		k := clusterKey{mix: d.mix, band: -1, seg: -1}
		switch {
		case len(h.mixes[d.mix]) == 0:
			other = append(other, int32(i))
			continue
		case d.band >= 0 && d.seg >= 0:
			k.band, k.seg = d.band, d.seg
		case d.band >= 0:
			k.band = d.band
		}
		levels[k.level()][k] = append(levels[k.level()][k], int32(i))
	}
	b := &builder{h: h, minN: minN, used: map[string]bool{}, ids: map[clusterKey]string{}}
	var out []Archetype
	assigned := make([]string, len(h.deals))
	emit := func(k clusterKey, deals []int32) {
		a := b.archetype(k, deals)
		for _, i := range deals {
			assigned[i] = a.ID
		}
		out = append(out, a)
	}
	for lv := 3; lv >= 1; lv-- {
		keys := make([]clusterKey, 0, len(levels[lv]))
		for k := range levels[lv] {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, compareKeys)
		for _, k := range keys {
			deals := levels[lv][k]
			if len(deals) >= minN {
				emit(k, deals)
				continue
			}
			// Too small: the deals move up to the parent.
			switch lv {
			case 3:
				p := clusterKey{mix: k.mix, band: k.band, seg: -1}
				levels[2][p] = append(levels[2][p], deals...)
			case 2:
				p := clusterKey{mix: k.mix, band: -1, seg: -1}
				levels[1][p] = append(levels[1][p], deals...)
			default:
				other = append(other, deals...)
			}
		}
	}
	if len(other) > 0 {
		slices.Sort(other)
		emit(clusterKey{mix: -1, band: -1, seg: -1}, other)
	}
	for i := range out {
		out[i].Parent = b.parent(b.keys[i])
	}
	slices.SortStableFunc(out, func(a, b Archetype) int {
		if c := cmp.Compare(b.Deals, a.Deals); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	return out, assigned
}

// builder makes the archetypes of one derivation, remembering the id of
// every emitted key for the parents.
type builder struct {
	h    *history
	minN int
	used map[string]bool
	ids  map[clusterKey]string
	keys []clusterKey // key of each archetype made, in order
}

func (b *builder) parent(k clusterKey) string {
	if k.mix < 0 {
		return ""
	}
	for _, p := range []clusterKey{{k.mix, k.band, -1}, {k.mix, -1, -1}} {
		if p.level() < k.level() {
			if id, ok := b.ids[p]; ok {
				return id
			}
		}
	}
	return ""
}

func (b *builder) archetype(k clusterKey, deals []int32) Archetype {
	h := b.h
	a := Archetype{Status: StatusProposed, Deals: len(deals)}
	var slug []string
	if k.mix < 0 {
		a.Name = "Other deals"
		slug = []string{OtherID}
	} else {
		mix := h.mixes[k.mix]
		ids := make([]string, len(mix))
		for i, p := range mix {
			ids[i] = h.products[p].id
		}
		slices.Sort(ids)
		a.Products = ids
		names := make([]string, len(ids))
		slugs := make([]string, len(ids))
		for i, id := range ids {
			names[i] = h.products[h.byID[id]].name
			slugs[i] = slugify(id)
		}
		parts := []string{strings.Join(names, " + ")}
		slug = []string{strings.Join(slugs, "+")}
		if k.band >= 0 {
			a.ACVMin, a.ACVMax = bandBounds(int(k.band))
			parts = append(parts, bandLabel(int(k.band)))
			slug = append(slug, bandSlug(int(k.band)))
		}
		if k.seg >= 0 {
			a.Segment = h.segments[k.seg]
			parts = append(parts, a.Segment)
			slug = append(slug, slugify(a.Segment))
		}
		a.Name = strings.Join(parts, " · ")
	}
	id := strings.Join(slug, "/")
	for n := 2; b.used[id]; n++ {
		id = strings.Join(slug, "/") + "-" + strconv.Itoa(n)
	}
	b.used[id] = true
	a.ID = id
	b.ids[k] = id
	b.keys = append(b.keys, k)

	f := groupFigures(h, deals, b.minN, true)
	a.WinRate, a.MedianCycle, a.RenewalRate, a.LossReasons = f.win, f.cycle, f.renewal, f.reasons
	a.Playbook.Bands = f.bands
	a.Normalize()
	return a
}

// figures are the figures of a group of closed deals.
type figures struct {
	won, lost int
	win       Figure
	cycle     Figure
	renewal   Figure
	reasons   []Figure
	bands     []PriceBand
}

// groupFigures computes the figures of an archetype over its deals; with
// all false it computes only the win rate and loss reasons, which is what
// a check shows.
func groupFigures(h *history, deals []int32, minN int, all bool) figures {
	var f figures
	var lost [][]string
	var days []int32
	first := map[int32]int32{} // account → its earliest judged won deal
	perProduct := map[int32]*[2][]float64{}
	for _, i := range deals {
		d := &h.deals[i]
		if !d.won {
			f.lost++
			lost = append(lost, d.reasons)
			continue
		}
		f.won++
		if !all {
			continue
		}
		if d.created != noDay && d.closed != noDay && d.closed >= d.created {
			days = append(days, d.closed-d.created)
		}
		if d.retained >= 0 {
			if j, ok := first[d.account]; !ok || earlier(h, i, j) {
				first[d.account] = i
			}
		}
		for _, o := range h.obs[d.obsOff : d.obsOff+d.obsN] {
			v := perProduct[o.product]
			if v == nil {
				v = &[2][]float64{}
				perProduct[o.product] = v
			}
			v[0] = append(v[0], o.discount)
			v[1] = append(v[1], o.net)
		}
	}
	f.win = proportionFigure("win rate", f.won, f.won+f.lost, minN, noteWinRate)
	f.reasons = reasonFigures(lost, maxLossReasons, minN)
	if !all {
		return f
	}
	f.cycle = cycleFigure(days, minN)
	retained := 0
	for _, i := range first {
		retained += int(h.deals[i].retained)
	}
	note := noteRenewal
	if !h.subsData {
		note = "no subscription data"
	}
	f.renewal = proportionFigure("renewal rate (no churn within 12 months)", retained, len(first), minN, note)
	prods := make([]int32, 0, len(perProduct))
	for p := range perProduct {
		prods = append(prods, p)
	}
	slices.SortFunc(prods, func(a, b int32) int { return cmp.Compare(h.products[a].id, h.products[b].id) })
	f.bands = []PriceBand{}
	for _, p := range prods {
		v := perProduct[p]
		f.bands = append(f.bands, PriceBand{Product: h.products[p].id, Discount: bandFrom(v[0]), NetPrice: bandFrom(v[1])})
	}
	return f
}

// earlier orders deals by close date, then position, so "earliest" does
// not depend on the order a group lists its deals in.
func earlier(h *history, i, j int32) bool {
	a, b := h.deals[i].closed, h.deals[j].closed
	if a != b {
		return a < b
	}
	return i < j
}

// slugify lowers s and turns every run of characters other than a–z and
// 0–9 into one "-", trimmed at the ends; "x" when nothing is left.
func slugify(s string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			continue
		}
		dash = true
	}
	if b.Len() == 0 {
		return "x"
	}
	return b.String()
}
