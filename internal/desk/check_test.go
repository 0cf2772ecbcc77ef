package desk

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
)

// fixtureModel derives the fixture's archetypes with MinN 3, accepts
// those for which keep is true (all when keep is nil), lets edit change
// them, and builds a model as of the fixture date.
func fixtureModel(t testing.TB, keep func(Archetype) bool, edit func(*Archetype)) *Model {
	t.Helper()
	store, cat := historyStore(t)
	ctx := context.Background()
	as, err := Derive(ctx, store, cat, DeriveOptions{AsOf: fixtureAsOf(), MinN: 3})
	if err != nil {
		t.Fatal(err)
	}
	var accepted []Archetype
	for _, a := range accept(as) {
		if keep == nil || keep(a) {
			if edit != nil {
				edit(&a)
			}
			accepted = append(accepted, a)
		}
	}
	m, err := NewModel(ctx, store, cat, nil, accepted, Settings{MinN: 3}, fixtureAsOf())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func codes(c Check) []string {
	var out []string
	for _, f := range c.Flags {
		out = append(out, f.Code)
	}
	slices.Sort(out)
	return out
}

func line(id, product string, qty, list, discount float64) tandem.QuoteLine {
	return tandem.QuoteLine{ID: id, Product: product, Quantity: qty, ListPrice: list, Discount: discount, NetPrice: list * (1 - discount/100)}
}

func TestCheckFixture(t *testing.T) {
	m := fixtureModel(t, nil, nil)
	now := fixtureAsOf()
	smb := DealInfo{ID: "d-new", Segment: "smb", Amount: 900}
	for _, c := range []struct {
		name      string
		quote     *tandem.Quote
		deal      DealInfo
		archetype string
		flags     []string
		positions []string
	}{
		{"within band", &tandem.Quote{Lines: []tandem.QuoteLine{line("l1", "a", 1, 1000, 10)}}, smb,
			"a/lt-10k/smb", nil, []string{"within"}},
		{"above band, by alias", &tandem.Quote{Lines: []tandem.QuoteLine{line("l1", "alpha", 1, 1000, 30)}}, smb,
			"a/lt-10k/smb", []string{FlagDiscountAboveBand}, []string{"above"}},
		{"segment differs: the segment-free parent is as near and less specific", &tandem.Quote{Lines: []tandem.QuoteLine{line("l1", "Alpha Suite", 1, 1000, 0)}},
			DealInfo{Segment: "Enterprise"}, "a/lt-10k", nil, []string{"insufficient data"}},
		{"maintenance product alone matches nothing", &tandem.Quote{Lines: []tandem.QuoteLine{line("l1", "c", 1, 200, 0)}}, smb,
			"", []string{FlagNoArchetype, FlagMaintenance}, []string{"no band"}},
		{"unknown product", &tandem.Quote{Lines: []tandem.QuoteLine{line("l1", "Gizmo", 1, 100, 0)}}, smb,
			"", []string{FlagNoArchetype}, []string{"no band"}},
		{"all-lost shape", &tandem.Quote{Lines: []tandem.QuoteLine{line("l1", "b", 1, 500, 40)}}, smb,
			"b/lt-10k/smb", []string{FlagLossPattern}, []string{"no band"}},
		{"terms", &tandem.Quote{PaymentDays: 90, Nonstandard: true, NonstandardTerms: "termination for convenience",
			Lines: []tandem.QuoteLine{line("l1", "a", 1, 1000, 5)}}, smb,
			"a/lt-10k/smb", []string{FlagNonstandard, FlagPaymentTerms}, []string{"within"}},
		{"payment terms at the limit", &tandem.Quote{PaymentDays: 60, Lines: []tandem.QuoteLine{line("l1", "a", 1, 1000, 5)}}, smb,
			"a/lt-10k/smb", nil, []string{"within"}},
		{"nil quote", nil, DealInfo{}, "", []string{FlagNoArchetype}, nil},
		{"empty quote with a deal amount", &tandem.Quote{}, smb, "", []string{FlagNoArchetype}, nil},
		{"promises", &tandem.Quote{Lines: []tandem.QuoteLine{line("l1", "a", 1, 1000, 5)}, Promises: []tandem.Promise{
			{Feature: "Live Sync", Date: day0("2025-08-01")},                     // beta
			{Feature: "f2", Date: day0("2025-08-01")},                            // planned for 09-01: slipping
			{Feature: "smart alerts", Date: day0("2026-01-01")},                  // beyond the horizon (2025-10-30)
			{Feature: "Exports", Date: day0("2025-05-01")},                       // released: fine
			{Feature: "Mind Reader", Date: day0("2025-05-01"), Unreleased: true}, // not in the catalog, date passed
			{Feature: "f4", Date: day0("2025-08-01")},                            // deprecated
		}}, smb, "a/lt-10k/smb", []string{FlagBetaFeature, FlagMaintenance, FlagPromiseBeyond, FlagPromiseSlipping, FlagPromiseSlipping,
			FlagUnreleased, FlagUnreleased, FlagUnreleased}, []string{"within"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := m.Check(c.quote, c.deal, now)
			checkResult(t, c.quote, got)
			want := slices.Clone(c.flags)
			slices.Sort(want)
			if g := codes(got); !slices.Equal(g, want) {
				t.Errorf("flags %v, want %v", g, want)
				for _, f := range got.Flags {
					t.Logf("  %s: %s", f.Code, f.Message)
				}
			}
			if got.Match.Archetype != c.archetype {
				t.Errorf("matched %q (%s), want %q", got.Match.Archetype, got.Match.Reason, c.archetype)
			}
			var pos []string
			for _, l := range got.Lines {
				pos = append(pos, l.Position)
			}
			if !slices.Equal(pos, c.positions) {
				t.Errorf("positions %v, want %v", pos, c.positions)
			}
			if got.CheckedAt != now || got.Match.Reason == "" {
				t.Errorf("checked at %v, reason %q", got.CheckedAt, got.Match.Reason)
			}
		})
	}
}

func TestCheckDetails(t *testing.T) {
	m := fixtureModel(t, nil, nil)
	now := fixtureAsOf()
	smb := DealInfo{ID: "d-new", Segment: "SMB"}

	c := m.Check(&tandem.Quote{ID: "q1", DealID: "d9", Version: 2, Lines: []tandem.QuoteLine{line("l1", "alpha", 1, 1000, 30)}}, smb, now)
	if c.QuoteID != "q1" || c.QuoteVersion != 2 || c.DealID != "d9" || c.ACV != 700 || !near(c.Discount, 30) {
		t.Errorf("header %+v", c)
	}
	if c.Match.Version != 1 || c.Match.Distance != 0 || c.Match.Name == "" {
		t.Errorf("match %+v", c.Match)
	}
	l := c.Lines[0]
	if l.Product != "a" || l.Band == nil || l.Band.P75 != 22.5 {
		t.Errorf("line %+v", l)
	}
	f := c.Flags[0]
	if f.Line != "l1" || !strings.Contains(f.Message, "30.0%") || !strings.Contains(f.Message, "22.5%") || len(f.Evidence) != 2 {
		t.Errorf("discount flag %+v", f)
	}
	if f.Evidence[0].Unit != "percent" || f.Evidence[0].CIHigh != 22.5 || f.Evidence[0].Insufficient != (f.Evidence[0].N < 3) {
		t.Errorf("band figure %+v", f.Evidence[0])
	}

	// The deal id comes from the deal when the quote has none.
	if c := m.Check(&tandem.Quote{}, DealInfo{ID: "d7"}, now); c.DealID != "d7" {
		t.Errorf("deal id %q", c.DealID)
	}

	// Loss pattern: 0 of 5 won, with the reasons as evidence.
	c = m.Check(&tandem.Quote{Lines: []tandem.QuoteLine{line("l1", "Beta Addon", 1, 500, 0)}}, smb, now)
	lp := c.Flags[0]
	if lp.Code != FlagLossPattern || lp.Severity != SeverityRisk || lp.Evidence[0].N != 5 || lp.Evidence[0].Value != 0 ||
		!strings.Contains(lp.Evidence[1].Label, "missing feature") {
		t.Errorf("loss pattern %+v", lp)
	}

	// No match: the reason names the nearest archetype and its distance.
	c = m.Check(&tandem.Quote{Lines: []tandem.QuoteLine{line("l1", "Gizmo", 1, 100, 0)}}, smb, now)
	if !strings.Contains(c.Match.Reason, "nearest is") || c.Match.Distance <= m.Settings().MaxDistance {
		t.Errorf("no-match reason %q at %v", c.Match.Reason, c.Match.Distance)
	}

	// The catalog decides whether a feature it knows is pending (so a
	// released one does not slip), but the quote's own unreleased mark
	// still raises its flag, as it does in the approval rules' facts.
	c = m.Check(&tandem.Quote{Lines: []tandem.QuoteLine{line("l1", "a", 1, 1000, 5)}, Promises: []tandem.Promise{{Feature: "Exports", Date: day0("2025-05-01"), Unreleased: true}}}, smb, now)
	if got := codes(c); !slices.Equal(got, []string{FlagUnreleased}) {
		t.Errorf("flags %v", got)
	}
}

func TestCheckArchetypeRules(t *testing.T) {
	now := fixtureAsOf()
	smb := DealInfo{Segment: "SMB"}
	t.Run("ACV outside the only archetype", func(t *testing.T) {
		m := fixtureModel(t, func(a Archetype) bool { return a.ID == "a/lt-10k/smb" }, nil)
		q := &tandem.Quote{Lines: []tandem.QuoteLine{line("l1", "a", 20, 1000, 0)}}
		c := m.Check(q, smb, now)
		checkResult(t, q, c)
		if c.Match.Archetype != "a/lt-10k/smb" || !slices.Contains(codes(c), FlagACVOutside) {
			t.Errorf("match %+v flags %v", c.Match, codes(c))
		}
		// 20,000 is twice the upper limit: 0.25 × ln 2 / ln 25.
		if d := c.Match.Distance; d < 0.05 || d > 0.06 {
			t.Errorf("distance %v", d)
		}
	})
	t.Run("playbook payment days and margin", func(t *testing.T) {
		m := fixtureModel(t, func(a Archetype) bool { return a.ID == "a/lt-10k/smb" }, func(a *Archetype) {
			a.Playbook.MaxPaymentDays = 30
			a.Playbook.MinMarginPct = 50
		})
		// Net 700 against a unit cost of 600: margin 14.3%.
		c := m.Check(&tandem.Quote{PaymentDays: 45, Lines: []tandem.QuoteLine{line("l1", "a", 1, 1000, 30)}}, smb, now)
		if got := codes(c); !slices.Equal(got, []string{FlagDiscountAboveBand, FlagMarginBelow, FlagPaymentTerms}) {
			t.Errorf("flags %v", got)
		}
		// A line without a cost makes the margin unknown: no flag.
		c = m.Check(&tandem.Quote{Lines: []tandem.QuoteLine{line("l1", "a", 1, 1000, 5), line("l2", "b", 1, 500, 0)}}, smb, now)
		if slices.Contains(codes(c), FlagMarginBelow) {
			t.Errorf("margin flagged without costs: %v", codes(c))
		}
	})
	t.Run("proposed archetypes never match", func(t *testing.T) {
		m := fixtureModel(t, nil, func(a *Archetype) { a.Status = StatusProposed })
		c := m.Check(&tandem.Quote{Lines: []tandem.QuoteLine{line("l1", "a", 1, 1000, 0)}}, smb, now)
		if c.Match.Archetype != "" || len(m.Archetypes()) != 0 {
			t.Errorf("matched %+v", c.Match)
		}
		// Without an archetype, the quote's own shape still has history:
		// a, under 10k, SMB has 4 deals, 3 won, so no loss pattern.
		if got := codes(c); !slices.Equal(got, []string{FlagNoArchetype}) || len(c.Flags[0].Evidence) == 0 || c.Flags[0].Evidence[0].N != 4 {
			t.Errorf("flags %v %+v", got, c.Flags)
		}
		c = m.Check(&tandem.Quote{Lines: []tandem.QuoteLine{line("l1", "b", 1, 500, 0)}}, smb, now)
		if got := codes(c); !slices.Equal(got, []string{FlagLossPattern, FlagNoArchetype}) {
			t.Errorf("flags %v", got)
		}
	})
}

func TestDistance(t *testing.T) {
	e := &entry{a: Archetype{ACVMin: 10e3, ACVMax: 50e3}, mix: []int32{0, 1}, seg: "smb", segIdx: 0, hasRange: true}
	for _, c := range []struct {
		name    string
		mix     []int32
		unknown int
		size    float64
		seg     string
		want    parts
	}{
		{"exact", []int32{0, 1}, 0, 20e3, "SMB", parts{}},
		{"one of two products", []int32{0}, 0, 20e3, "smb", parts{mix: 0.5}},
		{"an extra unknown product", []int32{0, 1}, 1, 20e3, "smb", parts{mix: 1.0 / 3}},
		{"disjoint", []int32{2}, 0, 20e3, "smb", parts{mix: 1}},
		{"one band above", []int32{0, 1}, 0, 250e3, "smb", parts{size: 0.5}},
		{"far below", []int32{0, 1}, 0, 1, "smb", parts{size: 1}},
		{"upper limit is exclusive but near", []int32{0, 1}, 0, 50e3, "smb", parts{}},
		{"size unknown", []int32{0, 1}, 0, 0, "smb", parts{size: 0.5}},
		{"segment unknown", []int32{0, 1}, 0, 20e3, "", parts{seg: 0.5}},
		{"segment differs", []int32{0, 1}, 0, 20e3, "Enterprise", parts{seg: 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := e.distance(c.mix, c.unknown, c.size, c.seg)
			if !near(got.mix, c.want.mix) || !near(got.size, c.want.size) || !near(got.seg, c.want.seg) {
				t.Errorf("distance %+v, want %+v", got, c.want)
			}
			if d := got.total(); d < 0 || d > 1 {
				t.Errorf("total %v", d)
			}
		})
	}
	empty := &entry{}
	if d := empty.distance(nil, 0, 0, "").total(); d != 0 {
		t.Errorf("empty to empty: %v", d)
	}
	if d := empty.distance([]int32{1}, 0, 0, "").total(); d != weightMix {
		t.Errorf("products to none: %v", d)
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

func TestFlagDocs(t *testing.T) {
	all := []string{FlagDiscountAboveBand, FlagPromiseBeyond, FlagPromiseSlipping, FlagBetaFeature, FlagUnreleased, FlagNonstandard,
		FlagACVOutside, FlagPaymentTerms, FlagMarginBelow, FlagMaintenance, FlagLossPattern, FlagNoArchetype}
	docs := FlagDocs()
	if len(docs) != len(all) {
		t.Errorf("%d docs for %d codes", len(docs), len(all))
	}
	for _, code := range all {
		i := slices.IndexFunc(docs, func(d FlagDoc) bool { return d.Code == code })
		if i < 0 {
			t.Errorf("no doc for %s", code)
			continue
		}
		d := docs[i]
		if d.Title == "" || d.Definition == "" || d.Severity != severityOf(code) {
			t.Errorf("doc %+v: severity used %s", d, severityOf(code))
		}
	}
	if _, err := json.Marshal(docs); err != nil {
		t.Fatal(err)
	}
}

func TestModelSettingsDefaults(t *testing.T) {
	store, cat := historyStore(t)
	m, err := NewModel(context.Background(), store, cat, nil, nil, Settings{}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	if m.Settings() != DefaultSettings() {
		t.Errorf("settings %+v", m.Settings())
	}
	c := m.Check(&tandem.Quote{Lines: []tandem.QuoteLine{line("l1", "a", 1, 1000, 0)}}, DealInfo{}, time.Now())
	if c.Match.Archetype != "" || !strings.Contains(c.Match.Reason, "No accepted archetypes") {
		t.Errorf("match %+v", c.Match)
	}
	if got := m.ProductClass("Classic"); got != "maintenance" {
		t.Errorf("class %q", got)
	}
	if got := m.ProductClass("nothing"); got != "" {
		t.Errorf("class of an unknown product %q", got)
	}
}

// TestModelHalo attaches the halo report's feature figures to promise
// flags, marked insufficient on the fixture's few deals.
func TestModelHalo(t *testing.T) {
	store, cat := historyStore(t)
	ctx := context.Background()
	eng := analytics.New(store, cat, fixtureAsOf)
	m, err := NewModel(ctx, store, cat, eng, nil, Settings{MinN: 3}, fixtureAsOf())
	if err != nil {
		t.Fatal(err)
	}
	q := &tandem.Quote{Lines: []tandem.QuoteLine{line("l1", "a", 1, 1000, 0)}, Promises: []tandem.Promise{{Feature: "Smart Alerts", Date: day0("2026-01-01")}}}
	c := m.Check(q, DealInfo{Segment: "SMB"}, fixtureAsOf())
	checkResult(t, q, c)
	found := false
	for _, f := range c.Flags {
		for _, fig := range f.Evidence {
			if strings.Contains(fig.Label, "deals tagged Smart Alerts") {
				found = true
				if !fig.Insufficient || !strings.Contains(fig.Note, "associated with") {
					t.Errorf("%s: %+v", f.Code, fig)
				}
			}
		}
	}
	if !found {
		t.Errorf("no halo figure in %+v", c.Flags)
	}
}
