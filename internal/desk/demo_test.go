package desk

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
)

// TestDemoArchetypes derives archetypes from the default demo dataset and
// checks the method's properties: deterministic, every closed deal in
// exactly one archetype whose key it fits, nothing but "other" below
// MinN, well-formed figures, and a JSON round trip.
func TestDemoArchetypes(t *testing.T) {
	if testing.Short() {
		t.Skip("generates the default demo dataset")
	}
	store, cat := demoStore(t)
	ctx := context.Background()
	opts := DeriveOptions{AsOf: demoEnd()}
	first, err := Derive(ctx, store, cat, opts)
	if err != nil {
		t.Fatal(err)
	}
	second, err := Derive(ctx, store, cat, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(first, second) {
		t.Error("two derivations differ")
	}
	h, err := loadHistory(ctx, store, cat, loadOptions{asOf: demoEnd()})
	if err != nil {
		t.Fatal(err)
	}
	as, assigned := derive(h, DefaultSettings().MinN)
	if !reflect.DeepEqual(as, first) {
		t.Error("derive on the history differs from Derive")
	}
	checkPartition(t, h, as, assigned, DefaultSettings().MinN)
	if len(as) < 10 {
		t.Errorf("only %d archetypes", len(as))
	}
	for i, a := range as {
		if i > 0 && (as[i-1].Deals < a.Deals || as[i-1].Deals == a.Deals && as[i-1].ID > a.ID) {
			t.Errorf("order: %s (%d) before %s (%d)", as[i-1].ID, as[i-1].Deals, a.ID, a.Deals)
		}
		if a.Status != StatusProposed || a.Name == "" {
			t.Errorf("%s: status %q name %q", a.ID, a.Status, a.Name)
		}
		for _, f := range append([]Figure{a.WinRate, a.MedianCycle, a.RenewalRate}, a.LossReasons...) {
			checkFigure(t, a.ID, f)
		}
		if a.WinRate.N != a.Deals {
			t.Errorf("%s: win rate over %d of %d deals", a.ID, a.WinRate.N, a.Deals)
		}
		for _, b := range a.Playbook.Bands {
			for _, band := range []Band{b.Discount, b.NetPrice} {
				if band.N > 0 && !(band.P25 <= band.Median && band.Median <= band.P75) {
					t.Errorf("%s %s: band %+v", a.ID, b.Product, band)
				}
			}
			if b.Discount.P25 < 0 || b.Discount.P75 > 100 {
				t.Errorf("%s %s: discount outside [0, 100]: %+v", a.ID, b.Product, b.Discount)
			}
		}
	}
	b, err := json.Marshal(as)
	if err != nil {
		t.Fatal(err)
	}
	var back []Archetype
	if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, as) {
		t.Errorf("JSON round trip: %v", err)
	}
	t.Logf("%d archetypes from %d closed deals; largest %s (%d deals, win rate %.3f)", len(as), len(h.deals), as[0].ID, as[0].Deals, as[0].WinRate.Value)
}

// demoQuotes makes n quotes in the shape of closed demo deals: the deal's
// products at list price, one to five units, discounts drawn from 0–40%,
// a few promises and odd terms; with the deal info of each.
func demoQuotes(h *history, features []feature, n int, seed uint64) ([]*tandem.Quote, []DealInfo) {
	rng := rand.New(rand.NewPCG(seed, 1))
	var qs []*tandem.Quote
	var ds []DealInfo
	for len(qs) < n && len(h.deals) > 0 {
		d := &h.deals[rng.IntN(len(h.deals))]
		q := &tandem.Quote{ID: "q-" + d.id, DealID: d.id, Version: 1, PaymentDays: []int{30, 45, 60, 90}[rng.IntN(4)], Nonstandard: rng.IntN(10) == 0}
		for i, p := range h.mixes[d.mix] {
			pr := h.products[p]
			list := pr.price
			if math.IsNaN(list) {
				list = 1000
			}
			disc := float64(rng.IntN(41))
			ref := pr.id
			if i%2 == 1 {
				ref = strings.ToUpper(pr.name)
			}
			q.Lines = append(q.Lines, tandem.QuoteLine{ID: "l" + string(rune('1'+i)), Product: ref, Quantity: float64(1 + rng.IntN(5)),
				ListPrice: list, Discount: disc, NetPrice: list * (1 - disc/100)})
		}
		if len(features) > 0 && rng.IntN(5) == 0 {
			f := features[rng.IntN(len(features))]
			q.Promises = append(q.Promises, tandem.Promise{Feature: f.name, Date: demoEnd().AddDate(0, rng.IntN(12)-3, 0)})
		}
		seg := ""
		if d.seg >= 0 {
			seg = h.segments[d.seg]
		}
		qs = append(qs, q)
		ds = append(ds, DealInfo{ID: d.id, Segment: seg, Amount: d.amount})
	}
	return qs, ds
}

// demoModel derives the demo archetypes, accepts them all and builds a
// model with halo evidence.
func demoModel(t testing.TB) (*Model, *history) {
	t.Helper()
	store, cat := demoStore(t)
	ctx := context.Background()
	as, err := Derive(ctx, store, cat, DeriveOptions{AsOf: demoEnd()})
	if err != nil {
		t.Fatal(err)
	}
	eng := analytics.New(store, cat, demoEnd)
	m, err := NewModel(ctx, store, cat, eng, accept(as), DefaultSettings(), demoEnd())
	if err != nil {
		t.Fatal(err)
	}
	h, err := loadHistory(ctx, store, cat, loadOptions{asOf: demoEnd(), features: true})
	if err != nil {
		t.Fatal(err)
	}
	return m, h
}

// TestDemoChecks checks quotes shaped like demo deals: every result well
// formed, most quotes matched, and every bundling suggestion resting on
// enough deals on both sides, favourable, and ranked by the lower limit.
func TestDemoChecks(t *testing.T) {
	if testing.Short() {
		t.Skip("generates the default demo dataset")
	}
	m, h := demoModel(t)
	qs, ds := demoQuotes(h, m.features, 3000, 7)
	matched, above, suggested := 0, 0, 0
	seen := map[string]int{}
	for i, q := range qs {
		c := m.Check(q, ds[i], demoEnd())
		checkResult(t, q, c)
		if c.Match.Archetype != "" {
			matched++
		}
		for _, f := range c.Flags {
			seen[f.Code]++
			if f.Code != FlagDiscountAboveBand {
				continue
			}
			above++
			if len(f.Suggestions) > maxSuggestions {
				t.Errorf("%d suggestions", len(f.Suggestions))
			}
			for j, s := range f.Suggestions {
				suggested++
				win := s.Figures[0]
				if win.Insufficient || !(win.Value > 0) || !strings.Contains(s.Text, "associated with") {
					t.Errorf("suggestion %q rests on %+v", s.Text, win)
				}
				if slices.ContainsFunc(q.Lines, func(l tandem.QuoteLine) bool {
					p, ok := m.resolveProduct(l.Product)
					return ok && m.products[p].id == s.Product
				}) {
					t.Errorf("suggests %s, already on the quote", s.Product)
				}
				if j > 0 && f.Suggestions[j-1].Figures[0].CILow < win.CILow {
					t.Errorf("suggestions not ranked by lower limit: %v before %v", f.Suggestions[j-1].Figures[0].CILow, win.CILow)
				}
			}
		}
	}
	t.Logf("%d quotes: %d matched, %d discounts above band, %d suggestions; flags %v", len(qs), matched, above, suggested, seen)
	if matched < len(qs)*9/10 {
		t.Errorf("only %d of %d quotes shaped like closed deals matched", matched, len(qs))
	}
	if above == 0 || seen[FlagPromiseBeyond] == 0 || seen[FlagNonstandard] == 0 {
		t.Errorf("expected flags not raised: %v", seen)
	}
	if len(m.halo) == 0 {
		t.Error("no halo evidence")
	}
}

// BenchmarkCheck measures a check on the default demo data with every
// derived archetype accepted, over quotes shaped like its deals. Besides
// ns/op it reports the 50th and 99th percentile latency of one check.
func BenchmarkCheck(b *testing.B) {
	m, h := demoModel(b)
	qs, ds := demoQuotes(h, m.features, 4096, 11)
	now := demoEnd()
	lat := make([]time.Duration, 0, 1<<20)
	i := 0
	for b.Loop() {
		k := i % len(qs)
		t0 := time.Now()
		m.Check(qs[k], ds[k], now)
		if len(lat) < cap(lat) {
			lat = append(lat, time.Since(t0))
		}
		i++
	}
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
		b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
	}
}
