package stats

import (
	"math"
	"testing"
)

func TestRiskRatio(t *testing.T) {
	// Worked by hand: (20/100)/(10/100) = 2; se = sqrt(1/20 − 1/100 + 1/10
	// − 1/100) = sqrt(0.13) = 0.360555; 2·exp(∓1.959964·0.360555) =
	// 0.98656, 4.05448 (python3: 2*math.exp(-1.959964*math.sqrt(0.13))).
	tests := []struct {
		k1, n1, k0, n0 int
		ratio, lo, hi  float64
	}{
		{20, 100, 10, 100, 2, 0.98656, 4.05448},
		{10, 100, 10, 100, 1, 0.43538, 2.29686},
		{0, 10, 5, 10, 0, math.NaN(), math.NaN()},
		{5, 10, 0, 10, math.NaN(), math.NaN(), math.NaN()},
	}
	for _, tt := range tests {
		r, ci := RiskRatio(tt.k1, tt.n1, tt.k0, tt.n0, Conf95)
		if !approx(r, tt.ratio, 1e-9) || !approx(ci.Lo, tt.lo, 1e-4) || !approx(ci.Hi, tt.hi, 1e-4) {
			t.Errorf("RiskRatio(%d/%d, %d/%d) = %v %v, want %v [%v, %v]", tt.k1, tt.n1, tt.k0, tt.n0, r, ci, tt.ratio, tt.lo, tt.hi)
		}
	}
}

func TestPercentiles(t *testing.T) {
	reps := make([]float64, 0, 1001)
	for i := 1000; i >= 0; i-- {
		reps = append(reps, float64(i))
	}
	reps = append(reps, math.NaN())
	lo, hi := Percentiles(reps, Conf95)
	// gonum's LinInterp quantile of 0..1000 at 2.5% is 24.025 (its
	// definition interpolates the empirical CDF); NaN replicates are dropped.
	if !approx(lo, 24.025, 1e-9) || !approx(hi, 974.975, 1e-9) {
		t.Errorf("Percentiles(0..1000) = %v, %v; want 24.025, 974.975", lo, hi)
	}
}

func approx(a, b, tol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol
}

func TestGarwood(t *testing.T) {
	// Exact Poisson 95% limits as tabulated (e.g. Ulm 1990; the standard
	// table of exact Poisson confidence limits): 0 → 0–3.689, 1 →
	// 0.0253–5.572, 5 → 1.624–11.668, 10 → 4.795–18.390.
	tests := []struct {
		k      int
		lo, hi float64
	}{{0, 0, 3.689}, {1, 0.0253, 5.572}, {5, 1.624, 11.668}, {10, 4.795, 18.390}}
	for _, tt := range tests {
		iv := Garwood(tt.k, Conf95)
		if !approx(iv.Lo, tt.lo, 1e-3) || !approx(iv.Hi, tt.hi, 1e-3) {
			t.Errorf("Garwood(%d) = %v, want [%v, %v]", tt.k, iv, tt.lo, tt.hi)
		}
	}
}
