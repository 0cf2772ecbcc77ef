package specials

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
)

func TestScore(t *testing.T) {
	a, err := Score(ScoreInputs{ICPFit: 7, StrategyFit: 6, DemandAccounts: 2, DemandSpecials: 1, DemandRevenue: 75000, DealAmount: 50000, MedianDealAmount: 100000})
	if err != nil {
		t.Fatal(err)
	}
	// demand = 2.5·log2(4) = 5; revenue = 5·125000/100000 = 6.25;
	// score = (7+6+5+6.25)/4 = 6.0625 → 6.06.
	if a.RecurringDemand != 5 || a.RevenueAtStake != 6.25 || a.Score != 6.06 || a.Value() != 6.06 {
		t.Errorf("%+v", a)
	}
	if len(a.Inputs) != 5 || !strings.Contains(a.Inputs[2], "2 other accounts + 1 linked special") ||
		!strings.Contains(a.Inputs[3], "deal 50,000 + demand revenue 75,000) / median won deal 100,000") {
		t.Errorf("inputs: %q", a.Inputs)
	}
	tests := []struct {
		in             ScoreInputs
		demand, revenu float64
	}{
		{ScoreInputs{}, 0, 0},
		{ScoreInputs{DemandAccounts: 1}, 2.5, 0},
		{ScoreInputs{DemandAccounts: 7, DemandSpecials: 8}, 10, 0},
		{ScoreInputs{DemandAccounts: 1000}, 10, 0},
		{ScoreInputs{DealAmount: 10, MedianDealAmount: 10}, 0, 5},
		{ScoreInputs{DealAmount: 10, DemandRevenue: 1e9, MedianDealAmount: 10}, 0, 10},
		{ScoreInputs{DealAmount: 10}, 0, 5}, // no yardstick: neutral
	}
	for _, tc := range tests {
		a, err := Score(tc.in)
		if err != nil || a.RecurringDemand != tc.demand || a.RevenueAtStake != tc.revenu {
			t.Errorf("%+v: %+v %v", tc.in, a, err)
		}
	}
	if a, _ := Score(ScoreInputs{DealAmount: 10}); !strings.Contains(a.Inputs[3], "neutral") {
		t.Errorf("no yardstick not explained: %q", a.Inputs[3])
	}
}

func TestScoreRefuses(t *testing.T) {
	for _, tc := range []struct {
		in    ScoreInputs
		field string
	}{
		{ScoreInputs{ICPFit: -0.1}, "icp_fit"},
		{ScoreInputs{ICPFit: 10.01}, "icp_fit"},
		{ScoreInputs{ICPFit: math.NaN()}, "icp_fit"},
		{ScoreInputs{StrategyFit: 11}, "strategy_fit"},
		{ScoreInputs{StrategyFit: math.Inf(1)}, "strategy_fit"},
		{ScoreInputs{DemandAccounts: -1}, "demand counts"},
		{ScoreInputs{DemandSpecials: -1}, "demand counts"},
		{ScoreInputs{DealAmount: -5}, "deal_amount"},
		{ScoreInputs{DemandRevenue: math.NaN()}, "demand_revenue"},
		{ScoreInputs{MedianDealAmount: math.Inf(1)}, "median_deal_amount"},
	} {
		if _, err := Score(tc.in); tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("%+v: %v; want EINVALID naming %s", tc.in, err, tc.field)
		}
	}
}

// TestScoreBoundsMonotone: every computed figure stays in 0..10 and never
// falls when an input grows.
func TestScoreBoundsMonotone(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func() ScoreInputs {
		return ScoreInputs{
			ICPFit: rng.Float64() * 10, StrategyFit: rng.Float64() * 10,
			DemandAccounts: rng.IntN(40), DemandSpecials: rng.IntN(10),
			DemandRevenue: rng.Float64() * 1e6, DealAmount: rng.Float64() * 1e6,
			MedianDealAmount: rng.Float64() * 1e6,
		}
	}
	bump := []func(*ScoreInputs){
		func(s *ScoreInputs) { s.ICPFit = math.Min(10, s.ICPFit+rng.Float64()) },
		func(s *ScoreInputs) { s.StrategyFit = math.Min(10, s.StrategyFit+rng.Float64()) },
		func(s *ScoreInputs) { s.DemandAccounts += 1 + rng.IntN(5) },
		func(s *ScoreInputs) { s.DemandSpecials += 1 + rng.IntN(5) },
		func(s *ScoreInputs) { s.DemandRevenue += rng.Float64() * 1e5 },
		func(s *ScoreInputs) { s.DealAmount += rng.Float64() * 1e5 },
	}
	in01 := func(v float64) bool { return v >= 0 && v <= 10 }
	for range 2000 {
		in := random()
		a, err := Score(in)
		if err != nil {
			t.Fatal(err)
		}
		if !in01(a.RecurringDemand) || !in01(a.RevenueAtStake) || !in01(a.Score) {
			t.Fatalf("%+v out of bounds: %+v", in, a)
		}
		for i, b := range bump {
			up := in
			b(&up)
			c, err := Score(up)
			if err != nil {
				t.Fatal(err)
			}
			if c.Score < a.Score || c.RecurringDemand < a.RecurringDemand || c.RevenueAtStake < a.RevenueAtStake {
				t.Fatalf("bump %d: %+v → %+v lowered %+v → %+v", i, in, up, a, c)
			}
		}
		// A larger yardstick can only lower revenue at stake.
		up := in
		up.MedianDealAmount *= 2
		if c, _ := Score(up); c.RevenueAtStake > a.RevenueAtStake {
			t.Fatalf("larger median raised revenue at stake: %+v", in)
		}
	}
}

func TestAdjust(t *testing.T) {
	a, _ := Score(ScoreInputs{ICPFit: 2, StrategyFit: 2})
	got, err := Adjust(a, 8, " reference customer ", "cpo@x", t0)
	if err != nil || got.Value() != 8 || got.Reason != "reference customer" || got.AdjustedBy != "cpo@x" || !got.AdjustedAt.Equal(t0) || got.Score != a.Score {
		t.Errorf("%+v %v", got, err)
	}
	if a.Adjusted != nil {
		t.Error("input changed")
	}
	for _, tc := range []struct {
		v          float64
		reason, by string
		msg        string
	}{
		{8, "", "x", "reason"},
		{8, "  ", "x", "reason"},
		{8, "r", "", "who"},
		{-1, "r", "x", "between 0 and 10"},
		{10.5, "r", "x", "between 0 and 10"},
		{math.NaN(), "r", "x", "between 0 and 10"},
	} {
		if _, err := Adjust(a, tc.v, tc.reason, tc.by, t0); tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%+v: %v", tc, err)
		}
	}
	for _, v := range []float64{0, 10} {
		if _, err := Adjust(a, v, "r", "x", t0); err != nil {
			t.Errorf("%v: %v", v, err)
		}
	}
}

func TestCheckEffort(t *testing.T) {
	for _, tc := range []struct {
		e   tandem.EffortEstimate
		msg string
	}{
		{tandem.EffortEstimate{Weeks: 3, Author: "eng@x"}, ""},
		{tandem.EffortEstimate{Weeks: 0.5, Author: "eng@x"}, ""},
		{tandem.EffortEstimate{Weeks: 260, Author: "eng@x"}, ""},
		{tandem.EffortEstimate{Weeks: -1, Author: "eng@x"}, "negative"},
		{tandem.EffortEstimate{Weeks: 0, Author: "eng@x"}, "more than 0"},
		{tandem.EffortEstimate{Weeks: math.NaN(), Author: "eng@x"}, "number"},
		{tandem.EffortEstimate{Weeks: math.Inf(1), Author: "eng@x"}, "number"},
		{tandem.EffortEstimate{Weeks: 260.5, Author: "eng@x"}, "over the limit"},
		{tandem.EffortEstimate{Weeks: 3, Author: " "}, "author"},
	} {
		err := CheckEffort(tc.e)
		if tc.msg == "" {
			if err != nil {
				t.Errorf("%+v: %v", tc.e, err)
			}
		} else if tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%+v: %v; want %q", tc.e, err, tc.msg)
		}
	}
}

func TestPlace(t *testing.T) {
	set := tandem.DefaultSpecialSettings() // alignment high at 5, effort high at 4 weeks
	adj := func(v float64) *float64 { return &v }
	mk := func(align, weeks float64) tandem.Special {
		return tandem.Special{Amount: 50000, Alignment: &tandem.AlignmentScore{Score: align}, Effort: &tandem.EffortEstimate{Weeks: weeks, Author: "e"}}
	}
	tests := []struct {
		name   string
		sp     tandem.Special
		q      Quadrant
		action string
		why    string
	}{
		{"high effort low alignment", mk(2, 10), HighEffortLowAlignment, "decline", "Alignment 2 is below 5 (low) and effort 10 weeks is at or above 4 (high): decline"},
		{"high effort high alignment", mk(8, 10), HighEffortHighAlignment, "descope or sequence", "at or above 5 (high) and effort 10 weeks is at or above 4"},
		{"low effort low alignment", mk(2, 1), LowEffortLowAlignment, "decline unless strategic", "usually decline, unless"},
		{"low effort high alignment", mk(8, 1), LowEffortHighAlignment, "accept (or sequence)", "accept, or sequence"},
		{"alignment edge is high", mk(5, 1), LowEffortHighAlignment, "accept (or sequence)", "alignment 5 is at or above 5"},
		{"just under alignment edge", mk(4.99, 1), LowEffortLowAlignment, "decline unless strategic", "4.99 is below 5"},
		{"effort edge is high", mk(8, 4), HighEffortHighAlignment, "descope or sequence", "effort 4 weeks is at or above 4"},
		{"just under effort edge", mk(8, 3.99), LowEffortHighAlignment, "accept (or sequence)", "3.99 weeks is below 4"},
		{"adjusted score wins", func() tandem.Special {
			s := mk(2, 1)
			s.Alignment.Adjusted = adj(9)
			return s
		}(), LowEffortHighAlignment, "accept (or sequence)", "alignment 9"},
		{"strategic low/low", func() tandem.Special {
			s := mk(2, 1)
			s.Strategic, s.StrategicWhy = true, "reference customer in a new vertical"
			return s
		}(), LowEffortLowAlignment, "accept as strategic", "strategic: reference customer in a new vertical"},
		{"strategic elsewhere is the quadrant's", func() tandem.Special {
			s := mk(2, 10)
			s.Strategic = true
			return s
		}(), HighEffortLowAlignment, "decline", "decline"},
	}
	for _, tc := range tests {
		p, ok := Place(tc.sp, set)
		if !ok || p.Quadrant != tc.q || p.Action != tc.action || !strings.Contains(strings.ToLower(p.Why), strings.ToLower(tc.why)) || p.BelowMinimum {
			t.Errorf("%s: %+v %v", tc.name, p, ok)
		}
	}
	if _, ok := Place(tandem.Special{Effort: &tandem.EffortEstimate{Weeks: 1}}, set); ok {
		t.Error("placed without alignment")
	}
	if _, ok := Place(tandem.Special{Alignment: &tandem.AlignmentScore{}}, set); ok {
		t.Error("placed without effort")
	}
	set.MinDealAmount = 100000
	p, _ := Place(mk(8, 1), set)
	if !p.BelowMinimum || !strings.Contains(p.Why, "below the minimum of 100,000") || p.Action != "accept (or sequence)" {
		t.Errorf("minimum: %+v", p)
	}
	s := mk(8, 1)
	s.Strategic = true
	if p, _ := Place(s, set); p.BelowMinimum {
		t.Errorf("strategic special flagged below minimum: %+v", p)
	}
}

func TestCheckSettings(t *testing.T) {
	if err := CheckSettings(tandem.DefaultSpecialSettings()); err != nil {
		t.Fatal(err)
	}
	ok := tandem.DefaultSpecialSettings()
	ok.Quarters = map[string]float64{"2026-Q4": 100}
	ok.Leaders = []string{"cpo@x"}
	if err := CheckSettings(ok); err != nil {
		t.Fatal(err)
	}
	bad := tandem.SpecialSettings{AlignmentHigh: 11, EffortHighWeeks: 0, CapacityWeeks: -1, BudgetShare: 0.3, WarnShare: 0.2,
		MinDealAmount: -1, Quarters: map[string]float64{"Q4-2026": 10, "2026-Q1": 0}, Leaders: []string{""}}
	err := CheckSettings(bad)
	if tandem.ErrorCode(err) != tandem.EINVALID {
		t.Fatal(err)
	}
	for _, want := range []string{"alignment_high", "effort_high_weeks", "capacity_weeks", "must not be above warn_share", "min_deal_amount", `"Q4-2026" is not a quarter`, "capacity of 2026-Q1", "leaders"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q missing from %v", want, err)
		}
	}
	bad = tandem.DefaultSpecialSettings()
	bad.BudgetShare, bad.WarnShare = 1.5, math.NaN()
	err = CheckSettings(bad)
	if err == nil || !strings.Contains(err.Error(), "budget_share must be between 0 and 1") || !strings.Contains(err.Error(), "warn_share must be between 0 and 1") {
		t.Errorf("shares: %v", err)
	}
}
