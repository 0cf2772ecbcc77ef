package demo

import (
	"fmt"
	"os"
	"testing"
)

func TestExplore3(t *testing.T) {
	if os.Getenv("EXPLORE3") == "" {
		t.Skip()
	}
	for seed := uint64(1); seed <= 6; seed++ {
		cfg := DefaultConfig()
		cfg.Seed = seed
		ds := generate(t, cfg)
		deals := ds.deals()
		fmt.Printf("seed %d", seed)
		for _, name := range []string{FeatureAdvancedAnalytics, FeatureSalesforceIntegration, FeatureCustomDashboards, FeatureOfflineMode, FeatureSSO} {
			id := ds.featureID(t, name)
			w, wo := winRates(deals, id, newOrExpansion)
			fmt.Printf(" %s %+5.1f/%+5.1f", name[:3], 100*(w.p()-wo.p()), 100*stratifiedDiff(deals, id))
		}
		subs := ds.subscriptions(t)
		wf := renewalRate(subs, func(s *subView) bool { return s.workflow })
		nwf := renewalRate(subs, func(s *subView) bool { return !s.workflow })
		d3 := renewalRate(subs, func(s *subView) bool { return s.depth >= 3 })
		d2 := renewalRate(subs, func(s *subView) bool { return s.depth < 3 })
		base := renewalRate(subs, func(s *subView) bool { return !s.workflow && s.depth < 3 })
		fmt.Printf(" | base %.3f wf %.3f depth %.3f\n", base.p(), wf.p()/nwf.p(), d3.p()/d2.p())
	}
}
