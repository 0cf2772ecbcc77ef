package demo

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"
)

func TestExplore(t *testing.T) {
	if os.Getenv("EXPLORE") == "" {
		t.Skip()
	}
	cfg := DefaultConfig()
	if s := os.Getenv("SEED"); s != "" {
		n, _ := strconv.Atoi(s)
		cfg.Seed = uint64(n)
	}
	start := time.Now()
	ds := generate(t, cfg)
	fmt.Println("gen", time.Since(start))
	for _, n := range ds.m.order {
		fmt.Println(n, len(ds.m.rows[n]))
	}
	fmt.Println("usage period", ds.stats.UsagePeriodDays)
	fmt.Println("m", debugM(cfg))
	deals := ds.deals()
	mix := map[string]int{}
	out := map[string]*rate{}
	for _, d := range deals {
		mix[d.typ+"/"+d.outcome]++
		if out[d.typ+"/"+d.segment] == nil {
			out[d.typ+"/"+d.segment] = &rate{}
		}
		if d.outcome != "open" {
			out[d.typ+"/"+d.segment].add(d.outcome == "won")
		}
	}
	fmt.Println(mix)
	for k, v := range out {
		fmt.Printf("%s %.3f n=%d\n", k, v.p(), v.n)
	}
	for _, name := range []string{FeatureAdvancedAnalytics, FeatureSalesforceIntegration, FeatureCustomDashboards, FeatureOfflineMode, FeatureSSO, FeatureWorkflowAutomation} {
		id := ds.featureID(t, name)
		w, wo := winRates(deals, id, newOrExpansion)
		wa, woa := winRates(deals, id, func(dealView) bool { return true })
		we, woe := winRates(deals, id, func(d dealView) bool { return newOrExpansion(d) && d.segment == "enterprise" })
		fmt.Printf("%-24s diff %+.1fpp (n %d/%d) all %+.1fpp strat %+.1fpp ent %+.1fpp\n", name, 100*(w.p()-wo.p()), w.n, wo.n, 100*(wa.p()-woa.p()), 100*stratifiedDiff(deals, id), 100*(we.p()-woe.p()))
	}
	subs := ds.subscriptions(t)
	base := renewalRate(subs, func(s *subView) bool { return !s.workflow && s.depth < 3 })
	wf := renewalRate(subs, func(s *subView) bool { return s.workflow })
	nwf := renewalRate(subs, func(s *subView) bool { return !s.workflow })
	d3 := renewalRate(subs, func(s *subView) bool { return s.depth >= 3 })
	d2 := renewalRate(subs, func(s *subView) bool { return s.depth < 3 })
	fmt.Printf("subs %d base %.3f (n %d) wf %.3f/%.3f=%.3f (n %d/%d) depth %.3f/%.3f=%.3f\n", len(subs), base.p(), base.n, wf.p(), nwf.p(), wf.p()/nwf.p(), wf.n, nwf.n, d3.p(), d2.p(), d3.p()/d2.p())
	var e3, e2 rate
	cut := ds.cfg.End.AddDate(-1, 0, 0)
	for _, s := range subs {
		if s.start.After(cut) {
			continue
		}
		if s.depth >= 3 {
			e3.k += s.firstYearWonEx
			e3.n++
		} else {
			e2.k += s.firstYearWonEx
			e2.n++
		}
	}
	fmt.Printf("expansion %.3f/%.3f = %.3f (n %d/%d)\n", e3.p(), e2.p(), e3.p()/e2.p(), e3.n, e2.n)
}

func debugM(cfg Config) float64 {
	cfg, _ = cfg.validate()
	p, _ := plan(t0(), cfg)
	return p.m
}

func t0() context.Context { return context.Background() }
