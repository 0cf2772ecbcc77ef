package desk

import (
	"context"
	"math"
	"reflect"
	"testing"
	"time"
)

// The hand-built store in testdata/history, derived with MinN 3, as of
// 2025-06-30. Products a (Alpha Suite, list 1000), b (Beta Addon, 500),
// c (maintenance). Segments: s1–s4 SMB (s3 spelled "smb"), e1
// Enterprise, n1 none.
//
//	d01–d04  a, under 10k, SMB: 3 won, 1 lost       → a/lt-10k/smb (4)
//	d05–d06  a, under 10k, Enterprise (2: too few)  → merge into a/lt-10k
//	d07      a, under 10k, no segment               → a/lt-10k (3 in all)
//	d08      a, 10k–50k, SMB (1)                    → merges to a/10k-50k (1) → a
//	d09–d10  a, no amount                           → a (3 in all)
//	d11–d15  b, under 10k, SMB, all lost            → b/lt-10k/smb (5)
//	d16      no products                            → other (1, insufficient)
//	d17      open; d18 closed after the as-of date  → nowhere
func TestDeriveFixture(t *testing.T) {
	store, cat := historyStore(t)
	ctx := context.Background()
	got, err := Derive(ctx, store, cat, DeriveOptions{AsOf: fixtureAsOf(), MinN: 3})
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		id, parent, segment string
		deals               int
		acvMin, acvMax      float64
		products            []string
	}
	wants := []want{
		{"b/lt-10k/smb", "", "SMB", 5, 0, 10e3, []string{"b"}},
		{"a/lt-10k/smb", "a/lt-10k", "SMB", 4, 0, 10e3, []string{"a"}},
		{"a", "", "", 3, 0, 0, []string{"a"}},
		{"a/lt-10k", "a", "", 3, 0, 10e3, []string{"a"}},
		{"other", "", "", 1, 0, 0, []string{}},
	}
	if len(got) != len(wants) {
		for _, a := range got {
			t.Logf("%s: %d", a.ID, a.Deals)
		}
		t.Fatalf("%d archetypes, want %d", len(got), len(wants))
	}
	for i, w := range wants {
		a := got[i]
		if a.ID != w.id || a.Parent != w.parent || a.Segment != w.segment || a.Deals != w.deals ||
			a.ACVMin != w.acvMin || a.ACVMax != w.acvMax || !reflect.DeepEqual(a.Products, w.products) || a.Status != StatusProposed {
			t.Errorf("archetype %d = %s parent %q segment %q deals %d [%v, %v) %v %s; want %+v",
				i, a.ID, a.Parent, a.Segment, a.Deals, a.ACVMin, a.ACVMax, a.Products, a.Status, w)
		}
		for _, f := range append([]Figure{a.WinRate, a.MedianCycle, a.RenewalRate}, a.LossReasons...) {
			checkFigure(t, a.ID, f)
		}
	}

	leaf := got[1]
	if leaf.Name != "Alpha Suite · ACV under 10k · SMB" {
		t.Errorf("name %q", leaf.Name)
	}
	if f := leaf.WinRate; f.N != 4 || f.Value != 0.75 || f.Insufficient {
		t.Errorf("win rate %+v, want 3 of 4", f)
	}
	// Cycles of the won deals: 10, 20 and 30 days.
	if f := leaf.MedianCycle; f.N != 3 || f.Value != 20 {
		t.Errorf("median cycle %+v, want 20 days of 3", f)
	}
	// s1 churned 2024-06-01, within 12 months of d01; s2 and s3 renewed.
	if f := leaf.RenewalRate; f.N != 3 || math.Abs(f.Value-2.0/3) > 1e-12 {
		t.Errorf("renewal %+v, want 2 of 3", f)
	}
	if len(leaf.LossReasons) != 2 || leaf.LossReasons[0].Label != "lost deals citing price" || leaf.LossReasons[0].Value != 1 {
		t.Errorf("loss reasons %+v", leaf.LossReasons)
	}
	// Discounts: d01 900 on list 1000 without lines (10%), d02's line at
	// 400 (60%), d03 at list (0%).
	if len(leaf.Playbook.Bands) != 1 {
		t.Fatalf("bands %+v", leaf.Playbook.Bands)
	}
	band := leaf.Playbook.Bands[0]
	if band.Product != "a" || band.Discount.N != 3 || band.Discount.Median != 10 || band.Discount.P25 != 0 || band.Discount.P75 != 22.5 {
		t.Errorf("discount band %+v", band)
	}
	if band.NetPrice.N != 3 || band.NetPrice.Median != 900 {
		t.Errorf("net price band %+v", band.NetPrice)
	}

	// Reasons are merged case-insensitively: "Missing Feature" on d13.
	b := got[0]
	if len(b.LossReasons) == 0 || b.LossReasons[0].Label != "lost deals citing missing feature" || b.LossReasons[0].N != 4 || b.LossReasons[0].Value != 1 {
		t.Errorf("b loss reasons %+v", b.LossReasons)
	}
	if b.WinRate.Value != 0 || b.WinRate.CIHigh >= 0.5 || len(b.Playbook.Bands) != 0 {
		t.Errorf("b: win rate %+v, bands %+v", b.WinRate, b.Playbook.Bands)
	}
	if o := got[4]; !o.WinRate.Insufficient || o.Name != "Other deals" {
		t.Errorf("other: %+v", o)
	}
}

func TestDeriveWindowAndDefaults(t *testing.T) {
	store, cat := historyStore(t)
	ctx := context.Background()
	total := func(as []Archetype) int {
		n := 0
		for _, a := range as {
			n += a.Deals
		}
		return n
	}
	for _, c := range []struct {
		name string
		opts DeriveOptions
		want int
	}{
		{"all as of the fixture date", DeriveOptions{AsOf: fixtureAsOf(), MinN: 3}, 16},
		// Zero AsOf is the latest close date, 2025-08-01: d18 counts.
		{"as of the latest close", DeriveOptions{MinN: 3}, 17},
		{"closed in January 2024", DeriveOptions{AsOf: fixtureAsOf(), MinN: 3, From: day0("2024-01-01"), To: day0("2024-01-31")}, 3},
		{"closed from April 2024", DeriveOptions{AsOf: fixtureAsOf(), MinN: 3, From: day0("2024-04-01")}, 6},
		{"default MinN puts everything in other", DeriveOptions{AsOf: fixtureAsOf()}, 16},
	} {
		t.Run(c.name, func(t *testing.T) {
			as, err := Derive(ctx, store, cat, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := total(as); got != c.want {
				t.Errorf("%d deals, want %d", got, c.want)
			}
		})
	}
	as, err := Derive(ctx, store, cat, DeriveOptions{AsOf: fixtureAsOf()})
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 1 || as[0].ID != OtherID || !as[0].WinRate.Insufficient {
		t.Errorf("with MinN 30: %+v", as)
	}
}

func day0(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestDeriveMerge checks the merge on in-memory histories, where every
// key can be set directly.
func TestDeriveMerge(t *testing.T) {
	type d struct {
		mix  []int32
		band int8
		seg  int32
	}
	rep := func(n int, x d) []d {
		out := make([]d, n)
		for i := range out {
			out[i] = x
		}
		return out
	}
	cat := func(parts ...[]d) []d {
		var out []d
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	A, AB := []int32{0}, []int32{0, 1}
	for _, c := range []struct {
		name  string
		deals []d
		want  map[string]int // id → deals
		par   map[string]string
	}{
		{"leaves big enough stay", cat(rep(3, d{A, 0, 0}), rep(3, d{A, 0, 1})),
			map[string]int{"a/lt-10k/smb": 3, "a/lt-10k/enterprise": 3}, nil},
		{"small leaves merge into the band", cat(rep(2, d{A, 0, 0}), rep(1, d{A, 0, 1})),
			map[string]int{"a/lt-10k": 3}, nil},
		{"parent emitted only when large enough after merging", cat(rep(3, d{A, 0, 0}), rep(2, d{A, 0, 1})),
			map[string]int{"a/lt-10k/smb": 3, "other": 2}, map[string]string{"a/lt-10k/smb": ""}},
		{"bands merge into the mix", cat(rep(3, d{A, 0, 0}), rep(1, d{A, 1, 0}), rep(1, d{A, 2, 0}), rep(1, d{A, -1, -1})),
			map[string]int{"a/lt-10k/smb": 3, "a": 3}, map[string]string{"a/lt-10k/smb": "a"}},
		{"no products go to other", cat(rep(3, d{nil, 0, 0}), rep(3, d{AB, 0, 0})),
			map[string]int{"other": 3, "a+b/lt-10k/smb": 3}, nil},
		{"deals without segment start at the band", cat(rep(3, d{A, 0, -1}), rep(3, d{A, 0, 0})),
			map[string]int{"a/lt-10k": 3, "a/lt-10k/smb": 3}, map[string]string{"a/lt-10k/smb": "a/lt-10k"}},
		{"empty history", nil, map[string]int{}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := testHistory()
			for i, x := range c.deals {
				amount := math.NaN()
				if x.band >= 0 {
					amount, _ = bandBounds(int(x.band))
				}
				h.deals = append(h.deals, closedDeal{id: string(rune('A' + i)), mix: h.mixOf(x.mix), band: x.band, seg: x.seg,
					won: i%2 == 0, amount: amount, account: -1, created: noDay, closed: noDay, retained: -1})
			}
			as, assigned := derive(h, 3)
			got := map[string]int{}
			for _, a := range as {
				got[a.ID] = a.Deals
				if p, ok := c.par[a.ID]; ok && a.Parent != p {
					t.Errorf("%s: parent %q, want %q", a.ID, a.Parent, p)
				}
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %v, want %v", got, c.want)
			}
			checkPartition(t, h, as, assigned, 3)
		})
	}
}

// testHistory is an empty in-memory history with products a and b and
// segments SMB and Enterprise.
func testHistory() *history {
	h := &history{byID: map[string]int32{}, byName: map[string]int32{}, featByID: map[string]int32{},
		featName: map[string]int32{}, segIndex: map[string]int32{}, mixIndex: map[string]int32{}}
	h.productRef("a")
	h.productRef("b")
	h.segmentOf("SMB")
	h.segmentOf("Enterprise")
	return h
}

// checkPartition checks that every deal of h ended in exactly one emitted
// archetype whose key it fits, that Deals counts them, and that no
// archetype but "other" is below minN.
func checkPartition(t *testing.T, h *history, as []Archetype, assigned []string, minN int) {
	t.Helper()
	byID := map[string]*Archetype{}
	for i := range as {
		a := &as[i]
		if byID[a.ID] != nil {
			t.Errorf("duplicate id %s", a.ID)
		}
		byID[a.ID] = a
		if a.ID != OtherID && a.Deals < minN {
			t.Errorf("%s has %d deals, below %d", a.ID, a.Deals, minN)
		}
		if a.Parent != "" {
			if p := byID[a.Parent]; p == nil && !containsID(as, a.Parent) {
				t.Errorf("%s: parent %s not emitted", a.ID, a.Parent)
			}
		}
	}
	count := map[string]int{}
	for i, id := range assigned {
		a := byID[id]
		if a == nil {
			t.Fatalf("deal %d assigned to %q, not emitted", i, id)
		}
		count[id]++
		d := &h.deals[i]
		mix := h.mixes[d.mix]
		if id == OtherID {
			continue
		}
		ids := make([]string, len(mix))
		for j, p := range mix {
			ids[j] = h.products[p].id
		}
		if !reflect.DeepEqual(ids, a.Products) {
			t.Errorf("deal %s with %v in %s of %v", d.id, ids, id, a.Products)
		}
		if a.Segment != "" && (d.seg < 0 || h.segments[d.seg] != a.Segment) {
			t.Errorf("deal %s of segment %d in %s", d.id, d.seg, id)
		}
		if a.ACVMin > 0 || a.ACVMax > 0 {
			if !inRange(d.amount, a.ACVMin, a.ACVMax) {
				t.Errorf("deal %s amount %v in %s [%v, %v)", d.id, d.amount, id, a.ACVMin, a.ACVMax)
			}
		}
	}
	for _, a := range as {
		if count[a.ID] != a.Deals {
			t.Errorf("%s: %d deals assigned, Deals says %d", a.ID, count[a.ID], a.Deals)
		}
	}
}

func containsID(as []Archetype, id string) bool {
	for _, a := range as {
		if a.ID == id {
			return true
		}
	}
	return false
}

func TestBandsAndDiscounts(t *testing.T) {
	for _, c := range []struct {
		amount float64
		band   int
	}{{math.NaN(), bandNone}, {-1, bandNone}, {0, 0}, {9999.99, 0}, {10e3, 1}, {49999, 1}, {50e3, 2}, {250e3, 3}, {999999, 3}, {1e6, 4}, {1e12, 4}} {
		if got := bandOf(c.amount); got != c.band {
			t.Errorf("bandOf(%v) = %d, want %d", c.amount, got, c.band)
		}
		if c.band >= 0 {
			lo, hi := bandBounds(c.band)
			if !inRange(c.amount, lo, hi) {
				t.Errorf("%v not in its band's bounds [%v, %v)", c.amount, lo, hi)
			}
		}
	}
	for _, c := range []struct{ net, list, want float64 }{
		{900, 1000, 10}, {1000, 1000, 0}, {1200, 1000, 0}, {0, 1000, 100}, {500, 0, math.NaN()}, {500, math.NaN(), math.NaN()}, {math.NaN(), 100, math.NaN()},
	} {
		got := discountOf(c.net, c.list)
		if !(got == c.want || math.IsNaN(got) && math.IsNaN(c.want)) {
			t.Errorf("discountOf(%v, %v) = %v, want %v", c.net, c.list, got, c.want)
		}
	}
	for _, c := range []struct{ in, want string }{
		{"p-01", "p-01"}, {"Mid Market", "mid-market"}, {"  SMB!! ", "smb"}, {"GTX Pro/Plus", "gtx-pro-plus"}, {"***", "x"}, {"Ünïcode", "n-code"},
	} {
		if got := slugify(c.in); got != c.want {
			t.Errorf("slugify(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
