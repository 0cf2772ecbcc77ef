package demo

import (
	"fmt"
	"math"
	"testing"
)

// TestPlantedEffects checks that every planted effect can be recovered from
// the default dataset, with the sign and roughly the size EFFECTS.md states,
// on two seeds so the tolerances are not tuned to one draw. The expected
// sizes are written out here rather than taken from the generator's
// constants, so a change to the model that breaks the documented effects
// fails. The bounds are about three standard errors wide.
func TestPlantedEffects(t *testing.T) {
	for _, seed := range []uint64{1, 2} {
		t.Run(fmt.Sprintf("seed %d", seed), func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Seed = seed
			ds := generate(t, cfg)
			deals := ds.deals()
			t.Run("win rate", func(t *testing.T) { checkWinRateEffects(t, ds, deals) })
			t.Run("confounded SSO", func(t *testing.T) { checkConfounded(t, ds, deals) })
			t.Run("no other feature", func(t *testing.T) { checkNoOtherEffects(t, ds, deals) })
			t.Run("renewal and expansion", func(t *testing.T) { checkAdoptionEffects(t, ds) })
			t.Run("add-on price", func(t *testing.T) { checkAddon(t, ds, deals) })
		})
	}
}

func checkWinRateEffects(t *testing.T, ds *dataset, deals []dealView) {
	tests := []struct {
		feature string
		lo, hi  float64 // bounds of the raw difference, percentage points
	}{
		{FeatureAdvancedAnalytics, 10 - 4, 10 + 4},
		{FeatureSalesforceIntegration, 6 - 3.5, 6 + 3.5},
		{FeatureCustomDashboards, -3, 3},
		{FeatureOfflineMode, -8 - 4, -8 + 4},
	}
	for _, tt := range tests {
		id := ds.featureID(t, tt.feature)
		with, without := winRates(deals, id, newOrExpansion)
		diff := 100 * (with.p() - without.p())
		t.Logf("%s: %+.1f pp (%.1f%% of %d tagged vs %.1f%% of %d)", tt.feature, diff, 100*with.p(), with.n, 100*without.p(), without.n)
		if with.n < 1000 {
			t.Errorf("%s: only %d closed tagged deals", tt.feature, with.n)
		}
		if diff < tt.lo || diff > tt.hi {
			t.Errorf("%s: win rate %.1f%% (n %d) vs %.1f%% (n %d) = %+.1f pp, want %+.1f to %+.1f",
				tt.feature, 100*with.p(), with.n, 100*without.p(), without.n, diff, tt.lo, tt.hi)
		}
		// Tags are independent of segment, so adjusting changes little.
		if adj := 100 * stratifiedDiff(deals, id); math.Abs(adj-diff) > 1.5 {
			t.Errorf("%s: segment-adjusted %+.1f pp far from raw %+.1f pp", tt.feature, adj, diff)
		}
	}
}

func checkConfounded(t *testing.T, ds *dataset, deals []dealView) {
	id := ds.featureID(t, FeatureSSO)
	with, without := winRates(deals, id, newOrExpansion)
	raw := 100 * (with.p() - without.p())
	ent, entWithout := winRates(deals, id, func(d dealView) bool { return newOrExpansion(d) && d.segment == "enterprise" })
	t.Logf("SSO: raw %+.1f pp, segment-adjusted %+.1f pp, within enterprise %+.1f pp", raw, 100*stratifiedDiff(deals, id), 100*(ent.p()-entWithout.p()))
	if raw < 5 {
		t.Errorf("SSO raw difference %+.1f pp, want about +10 (it should look good)", raw)
	}
	if adj := 100 * stratifiedDiff(deals, id); math.Abs(adj) > 3.5 {
		t.Errorf("SSO segment-adjusted difference %+.1f pp, want about 0", adj)
	}
	if d := 100 * (ent.p() - entWithout.p()); math.Abs(d) > 5 {
		t.Errorf("SSO within enterprise %+.1f pp (n %d/%d), want about 0", d, ent.n, entWithout.n)
	}
	// The confounder itself: enterprise deals win more.
	var bySeg [3]rate
	for _, d := range deals {
		if newOrExpansion(d) && d.outcome != "open" {
			for i, s := range segmentNames() {
				if d.segment == s {
					bySeg[i].add(d.outcome == "won")
				}
			}
		}
	}
	if bySeg[2].p()-bySeg[0].p() < 0.08 {
		t.Errorf("enterprise win rate %.3f not clearly above SMB %.3f", bySeg[2].p(), bySeg[0].p())
	}
}

// checkNoOtherEffects tests every unplanted feature with enough tagged deals:
// none may differ from its untagged deals by more than four standard errors
// (a family-wise false alarm rate well under 1% for 300 features).
func checkNoOtherEffects(t *testing.T, ds *dataset, deals []dealView) {
	planted := map[string]bool{}
	for _, n := range []string{FeatureAdvancedAnalytics, FeatureSalesforceIntegration, FeatureOfflineMode, FeatureSSO} {
		planted[ds.featureID(t, n)] = true
	}
	tested := 0
	for _, r := range ds.m.rows["features"] {
		id := r.ID()
		if planted[id] {
			continue
		}
		with, without := winRates(deals, id, newOrExpansion)
		if with.n < 30 {
			continue
		}
		tested++
		p := float64(with.k+without.k) / float64(with.n+without.n)
		se := math.Sqrt(p * (1 - p) * (1/float64(with.n) + 1/float64(without.n)))
		if z := (with.p() - without.p()) / se; math.Abs(z) > 4 {
			t.Errorf("feature %s (%s) has z = %.1f (%.3f vs %.3f, n %d): an effect nobody planted",
				id, ds.str("features", r, "name"), z, with.p(), without.p(), with.n)
		}
	}
	if tested < 20 {
		t.Errorf("only %d features had enough tagged deals to test", tested)
	}
}

func checkAdoptionEffects(t *testing.T, ds *dataset) {
	subs := ds.subscriptions(t)
	ratio := func(a, b rate) float64 { return a.p() / b.p() }
	base := renewalRate(subs, func(s *subView) bool { return !s.workflow && s.depth < depthMin })
	early := renewalRate(subs, func(s *subView) bool { return s.workflow })
	notEarly := renewalRate(subs, func(s *subView) bool { return !s.workflow })
	deep := renewalRate(subs, func(s *subView) bool { return s.depth >= depthMin })
	shallow := renewalRate(subs, func(s *subView) bool { return s.depth < depthMin })

	wa := ds.featureID(t, FeatureWorkflowAutomation)
	late := map[string]bool{}
	for _, r := range ds.m.rows["adoptions"] {
		if ds.str("adoptions", r, "feature_id") == wa {
			late[ds.str("adoptions", r, "account_id")] = true
		}
	}
	lateRate := renewalRate(subs, func(s *subView) bool { return !s.workflow && late[s.account] })
	never := renewalRate(subs, func(s *subView) bool { return !s.workflow && !late[s.account] })

	tests := []struct {
		name   string
		got    float64
		lo, hi float64
	}{
		{"base renewal rate", base.p(), 0.60 - 0.08, 0.60 + 0.08},
		{"Workflow Automation within 30 days", ratio(early, notEarly), 1.30 - 0.15, 1.30 + 0.15},
		{"3+ features within 90 days", ratio(deep, shallow), 1.18 - 0.12, 1.18 + 0.14},
		{"Workflow Automation adopted late", ratio(lateRate, never), 0.8, 1.2},
	}
	for _, tt := range tests {
		t.Logf("%s: %.3f", tt.name, tt.got)
		if tt.got < tt.lo || tt.got > tt.hi {
			t.Errorf("%s: %.3f, want %.2f to %.2f", tt.name, tt.got, tt.lo, tt.hi)
		}
	}
	if base.n < 300 || early.n < 300 {
		t.Errorf("too few renewal decisions: base %d, early adopters %d", base.n, early.n)
	}

	// Expansion: won expansion deals created in the first 12 months, for
	// subscriptions a full year old, as a Mantel–Haenszel rate ratio across
	// segments (enterprise customers expand several times as often, so a
	// chance imbalance in the segment mix would swamp a pooled ratio).
	seg := map[string]string{}
	for _, r := range ds.m.rows["accounts"] {
		seg[r.ID()] = ds.str("accounts", r, "segment")
	}
	cut := ds.cfg.End.AddDate(-1, 0, 0)
	var num, den float64
	for _, sg := range segmentNames() {
		var k [2]float64
		var n [2]float64
		for _, s := range subs {
			if s.start.After(cut) || seg[s.account] != sg {
				continue
			}
			i := 0
			if s.depth >= depthMin {
				i = 1
			}
			k[i] += float64(s.firstYearWonEx)
			n[i]++
		}
		if n[0]+n[1] == 0 {
			continue
		}
		num += k[1] * n[0] / (n[0] + n[1])
		den += k[0] * n[1] / (n[0] + n[1])
	}
	t.Logf("expansion rate ratio for 3+ features: %.3f", num/den)
	if mh := num / den; mh < 1.25-0.15 || mh > 1.25+0.17 {
		t.Errorf("expansion rate ratio for 3+ features %.3f, want about 1.25", mh)
	}
}

func checkAddon(t *testing.T, ds *dataset, deals []dealView) {
	addon := ds.productID(t, ProductInsightsAddon)
	// Geometric mean ratio within segment and deal type (the amount's
	// lognormal noise makes the log scale the precise one).
	var num, den float64
	var raw [2]struct{ sum, n float64 }
	var win [2]rate
	for _, s := range segmentNames() {
		for _, typ := range []string{"new", "expansion"} {
			var logSum, n [2]float64
			for _, d := range deals {
				if d.segment != s || d.typ != typ {
					continue
				}
				i := 0
				if d.products[addon] {
					i = 1
				}
				if d.outcome != "open" {
					win[i].add(d.outcome == "won")
				}
				if d.outcome != "won" {
					continue
				}
				logSum[i] += math.Log(d.amount)
				n[i]++
				raw[i].sum += d.amount
				raw[i].n++
			}
			if n[0] == 0 || n[1] == 0 {
				continue
			}
			w := n[0] * n[1] / (n[0] + n[1])
			num += w * (logSum[1]/n[1] - logSum[0]/n[0])
			den += w
		}
	}
	t.Logf("add-on: geometric ratio %.3f, average selling price ratio %.3f, win rate %+.1f pp",
		math.Exp(num/den), (raw[1].sum/raw[1].n)/(raw[0].sum/raw[0].n), 100*(win[1].p()-win[0].p()))
	if g := math.Exp(num / den); math.Abs(g-1.12) > 0.035 {
		t.Errorf("add-on amount ratio (geometric, within segment and type) %.3f, want 1.12", g)
	}
	if r := (raw[1].sum / raw[1].n) / (raw[0].sum / raw[0].n); math.Abs(r-1.12) > 0.09 {
		t.Errorf("add-on average selling price ratio %.3f, want about 1.12", r)
	}
	if d := 100 * (win[1].p() - win[0].p()); math.Abs(d) > 3 {
		t.Errorf("add-on changes the win rate by %+.1f pp, want no effect", d)
	}
}
