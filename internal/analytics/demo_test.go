package analytics

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/demo"
	"github.com/tandemhq/tandem/internal/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/internal/stats"
	"github.com/tandemhq/tandem/internal/testdb"
)

// demoEnd is the last day of the default demo period: reports on demo data
// are run as of it.
var demoEnd = time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)

// demoStore generates the demo dataset (cfg) into a fresh store.
func demoStore(t *testing.T, dialect string, cfg demo.Config) (tandem.Store, *tandem.Catalog) {
	t.Helper()
	cat := tandem.NewCatalog()
	store := sqldbtest.Open(t, dialect, cat)
	ctx := context.Background()
	loader, err := store.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Generate(ctx, cat, loader, cfg, nil); err != nil {
		loader.Rollback()
		t.Fatal(err)
	}
	if _, err := loader.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	return store, cat
}

// TestHaloRecoversPlantedEffects is the acceptance test of the halo report:
// on the default demo data (internal/demo/EFFECTS.md) every planted effect
// lies within its interval, the no-effect control is not significant after
// Benjamini–Hochberg, and the confounded feature shows a large raw lift
// whose segment-adjusted interval contains zero.
func TestHaloRecoversPlantedEffects(t *testing.T) {
	if testing.Short() {
		t.Skip("generates the default demo dataset")
	}
	store, cat := demoStore(t, "sqlite", demo.DefaultConfig())
	e := New(store, cat, func() time.Time { return demoEnd })
	ctx := context.Background()
	rep, err := e.Run(ctx, "halo", tandem.ReportParams{})
	if err != nil {
		t.Fatal(err)
	}
	feature := func(name string) tandem.Group {
		t.Helper()
		return groupBy(t, rep, "feature", name)
	}
	contains := func(what string, est tandem.Estimate, want float64) {
		t.Helper()
		if !(est.CILow <= want && want <= est.CIHigh) {
			t.Errorf("%s: [%.4f, %.4f] (estimate %.4f, n=%d) does not contain the planted %.4f", what, est.CILow, est.CIHigh, est.Value, est.N, want)
		} else {
			t.Logf("%s: %.4f [%.4f, %.4f] n=%d contains %.4f", what, est.Value, est.CILow, est.CIHigh, est.N, want)
		}
	}
	// Win-rate effects are planted on the log-odds scale, so they are read
	// from the stratified (Mantel–Haenszel) odds ratio.
	for _, c := range []struct {
		name  string
		logit float64
	}{{demo.FeatureAdvancedAnalytics, 0.41}, {demo.FeatureSalesforceIntegration, 0.25}, {demo.FeatureOfflineMode, -0.33}} {
		g := feature(c.name)
		contains(c.name+" adjusted win odds ratio", g.Metrics["win_odds_adj"], math.Exp(c.logit))
		if !(g.Q < 0.05) {
			t.Errorf("%s: q = %v, want significant", c.name, g.Q)
		}
		if (g.Value > 0) != (c.logit > 0) {
			t.Errorf("%s: adjusted difference %+.4f has the wrong sign", c.name, g.Value)
		}
	}
	// The control: no effect, not significant after Benjamini–Hochberg.
	cd := feature(demo.FeatureCustomDashboards)
	if cd.Q < 0.05 || cd.Metrics["win_diff"].Q < 0.05 {
		t.Errorf("Custom Dashboards: q = %v (raw %v), want not significant", cd.Q, cd.Metrics["win_diff"].Q)
	}
	contains("Custom Dashboards adjusted difference", cd.Estimate, 0)
	// The confounded feature: a large, significant raw lift that vanishes
	// within strata.
	sso := feature(demo.FeatureSSO)
	if raw := sso.Metrics["win_diff"]; raw.Value < 0.05 || raw.Q >= 0.05 {
		t.Errorf("SSO raw difference %+.4f q=%v, want a large significant lift", raw.Value, raw.Q)
	}
	contains("SSO adjusted difference", sso.Estimate, 0)
	contains("SSO adjusted odds ratio", sso.Metrics["win_odds_adj"], 1)
	if raw := sso.Metrics["size_ratio"]; raw.CILow < 1.5 {
		t.Errorf("SSO raw size ratio %v [%v, %v]: want the enterprise mix to show", raw.Value, raw.CILow, raw.CIHigh)
	}
	contains("SSO adjusted size ratio", sso.Metrics["size_ratio_adj"], 1)
	// Workflow Automation adopted within the window multiplies renewal by
	// 1.30; the window (90 days) contains its 30-day adoption.
	contains("Workflow Automation renewal ratio", feature(demo.FeatureWorkflowAutomation).Metrics["renewal_ratio"], 1.30)

	// The add-on product lifts the selling price by ×1.12.
	prod, err := e.Run(ctx, "halo", tandem.ReportParams{Items: "products"})
	if err != nil {
		t.Fatal(err)
	}
	addon := groupBy(t, prod, "product", demo.ProductInsightsAddon)
	contains("Insights Add-on deal size ratio", addon.Metrics["size_ratio"], 1.12)
	contains("Insights Add-on adjusted deal size ratio", addon.Metrics["size_ratio_adj"], 1.12)

	// The words: associations, not causes.
	b, _ := json.Marshal(rep)
	if bytes.Contains(bytes.ToLower(b), []byte("causes")) && !bytes.Contains(b, []byte("not proof that the item causes")) {
		t.Errorf("halo text claims causation")
	}
	for _, g := range rep.Apart {
		if n := g.Metrics["win_with"].N; n >= rep.Params.MinN && g.Metrics["win_without"].N >= rep.Params.MinN {
			t.Errorf("%v listed apart with n=%d", g.Key, n)
		}
	}
}

// TestReportsIdenticalAcrossDialects runs every report with default
// parameters on the same demo data in SQLite and PostgreSQL and requires
// byte-identical JSON.
func TestReportsIdenticalAcrossDialects(t *testing.T) {
	dialects := testdb.Dialects(t)
	if len(dialects) < 2 {
		t.Skip("PostgreSQL is not available (TANDEM_TEST_POSTGRES)")
	}
	cfg := demo.DefaultConfig().Scaled(3000)
	outputs := map[string]map[string][]byte{}
	for _, dialect := range dialects {
		store, cat := demoStore(t, dialect, cfg)
		e := New(store, cat, func() time.Time { return demoEnd })
		outputs[dialect] = map[string][]byte{}
		for _, info := range e.Reports() {
			for _, p := range []tandem.ReportParams{{}, {By: []string{"account.segment"}}} {
				rep, err := e.Run(context.Background(), info.Name, p)
				if err != nil {
					t.Fatalf("%s: %s: %v", dialect, info.Name, err)
				}
				b, err := json.Marshal(rep)
				if err != nil {
					t.Fatal(err)
				}
				outputs[dialect][info.Name+" "+string(mustJSON(t, p.By))] = b
			}
		}
	}
	for k, sq := range outputs["sqlite"] {
		if pg := outputs["postgres"][k]; !bytes.Equal(sq, pg) {
			t.Errorf("report %s differs between SQLite and PostgreSQL:\nsqlite:   %.400s\npostgres: %.400s", k, sq, pg)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestAdoptionRecoversPlantedEffects checks the adoption report on the demo
// data: subscriptions with 3 or more features adopted within 90 days renew
// ×1.18 as often and expand ×1.25 as often (internal/demo/EFFECTS.md). The
// expansion ratio is stratified by segment, since enterprise customers
// expand twice as often as SMB ones.
func TestAdoptionRecoversPlantedEffects(t *testing.T) {
	if testing.Short() {
		t.Skip("generates the default demo dataset")
	}
	store, cat := demoStore(t, "sqlite", demo.DefaultConfig())
	e := New(store, cat, func() time.Time { return demoEnd })
	rep, err := e.Run(context.Background(), "adoption", tandem.ReportParams{By: []string{"account.segment"}, WindowDays: 90})
	if err != nil {
		t.Fatal(err)
	}
	var won, closed [2]int // [fewer than 3, 3 or more]
	strata := map[string]*stats.RateStratum{}
	for _, g := range rep.Groups {
		n, err := strconv.Atoi(g.Key["features_adopted"])
		if err != nil {
			t.Fatalf("group %v", g.Key)
		}
		side := 0
		if n >= 3 {
			side = 1
		}
		rn := g.Metrics["renewal"]
		won[side] += int(math.Round(rn.Value * float64(rn.N)))
		closed[side] += rn.N
		ex := g.Metrics["expansion"]
		seg := g.Key["account.segment"]
		if strata[seg] == nil {
			strata[seg] = &stats.RateStratum{}
		}
		events := ex.Value * float64(ex.N)
		if side == 1 {
			strata[seg].E1 += events
			strata[seg].T1 += float64(ex.N)
		} else {
			strata[seg].E0 += events
			strata[seg].T0 += float64(ex.N)
		}
	}
	ratio, ci := stats.RiskRatio(won[1], closed[1], won[0], closed[0], stats.Conf95)
	t.Logf("renewal 3+ vs fewer: ×%.3f [%.3f, %.3f] (%d/%d vs %d/%d)", ratio, ci.Lo, ci.Hi, won[1], closed[1], won[0], closed[0])
	if !(ci.Lo <= 1.18 && 1.18 <= ci.Hi) {
		t.Errorf("renewal ratio ×%.3f [%.3f, %.3f] does not contain the planted ×1.18", ratio, ci.Lo, ci.Hi)
	}
	var rs []stats.RateStratum
	for _, s := range strata {
		rs = append(rs, *s)
	}
	adj, ok := stats.MHRateRatio(rs, stats.Conf95)
	t.Logf("expansion 3+ vs fewer, MH by segment: ×%.3f [%.3f, %.3f]", adj.Estimate, adj.CI.Lo, adj.CI.Hi)
	if !ok || !(adj.CI.Lo <= 1.25 && 1.25 <= adj.CI.Hi) {
		t.Errorf("expansion rate ratio ×%.3f [%.3f, %.3f] does not contain the planted ×1.25", adj.Estimate, adj.CI.Lo, adj.CI.Hi)
	}
}
