package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestMHRiskDiff checks the Mantel–Haenszel risk difference and Sato's
// variance against testdata/reference.py (mh_rd), which evaluates
//
//	RD = Σ (a·n0 − c·n1)/N / Σ n1·n0/N
//	Var = (RD·Σ P + Σ Q)/(Σ n1·n0/N)²
//	P = (n1²·c − n0²·a + n1·n0·(n0 − n1)/2)/N²,  Q = (a·(n0 − c) + c·(n1 − a))/(2N)
//
// with CI RD ± z√Var and the Wald p-value 2Φ(−|RD|/√Var).
func TestMHRiskDiff(t *testing.T) {
	tests := []struct {
		name   string
		strata []Stratum
		want   Adjusted
	}{
		// One stratum: the raw difference 20/50 − 10/60 with the unpooled
		// variance .4·.6/50 + (1/6)(5/6)/60 = 0.0071148148...
		{"one stratum", []Stratum{{20, 50, 10, 60}},
			Adjusted{0.2333333333333333, Interval{0.06801162233330887, 0.39865504433335774}, 0.005670110385566085, 1}},
		{"three strata", []Stratum{{10, 40, 5, 35}, {25, 60, 18, 70}, {8, 12, 3, 15}},
			Adjusted{0.17808422301304866, Interval{0.06266059631432014, 0.2935078497117772}, 0.002494734684930555, 3}},
		// Simpson's paradox: kidney-stone treatment success, open surgery (A)
		// vs percutaneous nephrolithotomy (B), by stone size (Charig et al.
		// 1986, BMJ 292:879–882). Crude A − B = 273/350 − 289/350 = −0.0457,
		// but A is better within both strata: adjusted +0.0538.
		{"Simpson", []Stratum{{81, 87, 234, 270}, {192, 263, 55, 80}},
			Adjusted{0.05383557024347475, Interval{-0.01192944521749139, 0.11960058570444088}, 0.10861791266575149, 2}},
		// A stratum missing an arm is skipped.
		{"skip empty arm", []Stratum{{20, 50, 10, 60}, {3, 7, 0, 0}, {0, 0, 1, 4}},
			Adjusted{0.2333333333333333, Interval{0.06801162233330887, 0.39865504433335774}, 0.005670110385566085, 1}},
	}
	for _, tt := range tests {
		got, ok := MHRiskDiff(tt.strata, Conf95)
		if !ok || got.Strata != tt.want.Strata || !near(got.Estimate, tt.want.Estimate, 1e-12) ||
			!near(got.CI.Lo, tt.want.CI.Lo, 1e-12) || !near(got.CI.Hi, tt.want.CI.Hi, 1e-12) || !near(got.P, tt.want.P, 1e-12) {
			t.Errorf("%s: MHRiskDiff = %+v, %v; want %+v", tt.name, got, ok, tt.want)
		}
	}

	// The crude and adjusted kidney-stone differences disagree in sign.
	crude := 273.0/350 - 289.0/350
	adj, _ := MHRiskDiff([]Stratum{{81, 87, 234, 270}, {192, 263, 55, 80}}, Conf95)
	if !(crude < 0 && adj.Estimate > 0) {
		t.Errorf("Simpson: crude %v, adjusted %v: want opposite signs", crude, adj.Estimate)
	}

	if got, ok := MHRiskDiff([]Stratum{{1, 5, 0, 0}}, Conf95); ok || !math.IsNaN(got.Estimate) || got.Strata != 0 {
		t.Errorf("no usable stratum: %+v, %v; want NaN, false", got, ok)
	}
	if _, ok := MHRiskDiff(nil, Conf95); ok {
		t.Error("nil strata: ok")
	}
	// Zero variance (all-or-nothing outcomes): estimate 1, no Wald interval.
	if got, ok := MHRiskDiff([]Stratum{{5, 5, 0, 7}}, Conf95); !ok || got.Estimate != 1 || !math.IsNaN(got.CI.Lo) || !math.IsNaN(got.P) {
		t.Errorf("zero variance: %+v, %v", got, ok)
	}
}

// TestMHRiskDiffOneStratumRaw checks on random tables that a single stratum
// gives the raw difference with the unpooled Wald variance.
func TestMHRiskDiffOneStratumRaw(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	z := Z(Conf95)
	for range 500 {
		n1, n0 := 1+rng.IntN(300), 1+rng.IntN(300)
		k1, k0 := rng.IntN(n1+1), rng.IntN(n0+1)
		p1, p0 := float64(k1)/float64(n1), float64(k0)/float64(n0)
		se := math.Sqrt(p1*(1-p1)/float64(n1) + p0*(1-p0)/float64(n0))
		got, ok := MHRiskDiff([]Stratum{{k1, n1, k0, n0}}, Conf95)
		if !ok || !near(got.Estimate, p1-p0, 1e-12) {
			t.Fatalf("%d/%d − %d/%d: estimate %v, want %v", k1, n1, k0, n0, got.Estimate, p1-p0)
		}
		if se > 1e-9 && (!near(got.CI.Lo, math.Max(-1, p1-p0-z*se), 1e-9) || !near(got.CI.Hi, math.Min(1, p1-p0+z*se), 1e-9)) {
			t.Fatalf("%d/%d − %d/%d: CI %v, want ± %v·%v", k1, n1, k0, n0, got.CI, z, se)
		}
	}
}

// dollHill holds coronary deaths and person-years of smoking and
// non-smoking British male doctors in five age strata, the Doll & Hill
// (1966) cohort counts as commonly reproduced in epidemiology textbooks.
// They serve only as realistic input, not as a published MH figure; the
// expected values come from testdata/reference.py (mh_rr), which evaluates
//
//	IR = Σ E1·T0/T / Σ E0·T1/T,  Var ln IR = Σ (E1+E0)·T1·T0/T² / (Σ E1·T0/T · Σ E0·T1/T).
var dollHill = []RateStratum{
	{32, 52407, 2, 18790},
	{104, 43248, 12, 10673},
	{206, 28612, 28, 5710},
	{186, 12663, 28, 2585},
	{102, 5317, 31, 1462},
}

func TestMHRateRatio(t *testing.T) {
	tests := []struct {
		name   string
		strata []RateStratum
		want   Adjusted
	}{
		// One stratum: (30/1000)/(15/1200) = 2.4, SE log = √(1/30 + 1/15).
		{"one stratum", []RateStratum{{30, 1000, 15, 1200}},
			Adjusted{2.4, Interval{1.291331304305015, 4.46051294566888}, 0.00563192664944745, 1}},
		// Crude ratio 1.72; adjusted for age 1.42.
		{"Doll-Hill", dollHill,
			Adjusted{1.424682016751439, Interval{1.1547031007467963, 1.7577841849928701}, 0.0009606552504587418, 5}},
		{"skip empty", append([]RateStratum{{3, 0, 1, 10}, {2, 10, 1, 0}}, dollHill...),
			Adjusted{1.424682016751439, Interval{1.1547031007467963, 1.7577841849928701}, 0.0009606552504587418, 5}},
	}
	for _, tt := range tests {
		got, ok := MHRateRatio(tt.strata, Conf95)
		if !ok || got.Strata != tt.want.Strata || !near(got.Estimate, tt.want.Estimate, 1e-12) ||
			!near(got.CI.Lo, tt.want.CI.Lo, 1e-12) || !near(got.CI.Hi, tt.want.CI.Hi, 1e-12) || !near(got.P, tt.want.P, 1e-12) {
			t.Errorf("%s: MHRateRatio = %+v, %v; want %+v", tt.name, got, ok, tt.want)
		}
	}
	if _, ok := MHRateRatio([]RateStratum{{1, 0, 1, 1}}, Conf95); ok {
		t.Error("no usable stratum: ok")
	}
	if got, ok := MHRateRatio([]RateStratum{{0, 10, 3, 10}, {0, 5, 1, 5}}, Conf95); !ok || got.Estimate != 0 || !math.IsNaN(got.CI.Lo) || !math.IsNaN(got.P) {
		t.Errorf("no exposed events: %+v, %v", got, ok)
	}
}

// TestRateRatioMatchesMH checks that a single stratum of MHRateRatio is
// RateRatio, on random inputs.
func TestRateRatioMatchesMH(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for range 500 {
		e1, e0 := float64(1+rng.IntN(200)), float64(1+rng.IntN(200))
		t1, t0 := 1+rng.Float64()*1e4, 1+rng.Float64()*1e4
		r, ci, p := RateRatio(e1, t1, e0, t0, Conf95)
		adj, ok := MHRateRatio([]RateStratum{{e1, t1, e0, t0}}, Conf95)
		if !ok || !near(adj.Estimate, r, 1e-12*r) || !near(adj.CI.Lo, ci.Lo, 1e-12*r) || !near(adj.CI.Hi, ci.Hi, 1e-12*r) || !near(adj.P, p, 1e-12) {
			t.Fatalf("%v/%v vs %v/%v: RateRatio %v %v %v, MH %+v", e1, t1, e0, t0, r, ci, p, adj)
		}
		if !(ci.Lo < r && r < ci.Hi) {
			t.Fatalf("CI %v does not contain %v", ci, r)
		}
	}
}

func TestRateRatioZeros(t *testing.T) {
	nan, inf := math.NaN(), math.Inf(1)
	tests := []struct {
		name           string
		e1, t1, e0, t0 float64
		ratio          float64
	}{
		{"no exposed events", 0, 100, 4, 100, 0},
		{"no unexposed events", 4, 100, 0, 100, inf},
		{"no events", 0, 100, 0, 100, nan},
		{"no exposed time", 1, 0, 4, 100, nan},
		{"negative time", 1, 10, 4, -1, nan},
	}
	for _, tt := range tests {
		r, ci, p := RateRatio(tt.e1, tt.t1, tt.e0, tt.t0, Conf95)
		if !near(r, tt.ratio, 0) || !math.IsNaN(ci.Lo) || !math.IsNaN(ci.Hi) || !math.IsNaN(p) {
			t.Errorf("%s: RateRatio = %v %v %v, want %v with NaN CI and p", tt.name, r, ci, p, tt.ratio)
		}
	}
}
