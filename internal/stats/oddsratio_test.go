package stats

import (
	"math"
	"testing"
)

func TestMHOddsRatio(t *testing.T) {
	// Expected values from an independent python3 computation of the
	// Mantel–Haenszel estimate ΣR/ΣS (R = ad/n, S = bc/n) and the
	// Robins–Breslow–Greenland variance
	// ΣPR/2R² + Σ(PS+QR)/2RS + ΣQS/2S² (P = (a+d)/n, Q = (b+c)/n).
	// With one stratum it must reduce to the sample odds ratio ad/bc with
	// Woolf's se = sqrt(1/a+1/b+1/c+1/d): 2.5·exp(∓1.959964·0.6245).
	tests := []struct {
		name          string
		strata        []Stratum
		est, lo, hi   float64
		ok            bool
		strataCounted int
	}{
		{"one stratum (Woolf)", []Stratum{{K1: 10, N1: 30, K0: 5, N0: 30}}, 2.5, 0.735131, 8.501885, true, 1},
		{"two strata", []Stratum{{K1: 10, N1: 30, K0: 5, N0: 30}, {K1: 30, N1: 40, K0: 20, N0: 40}}, 2.8, 1.324063, 5.921168, true, 2},
		{"an arm missing is skipped", []Stratum{{K1: 10, N1: 30, K0: 5, N0: 30}, {K1: 3, N1: 9, K0: 0, N0: 0}}, 2.5, 0.735131, 8.501885, true, 1},
		{"no unexposed cases", []Stratum{{K1: 10, N1: 30, K0: 0, N0: 30}}, math.NaN(), math.NaN(), math.NaN(), false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, ok := MHOddsRatio(tt.strata, Conf95)
			if ok != tt.ok || a.Strata != tt.strataCounted {
				t.Fatalf("ok=%v strata=%d, want %v %d", ok, a.Strata, tt.ok, tt.strataCounted)
			}
			if !approx(a.Estimate, tt.est, 1e-9) || !approx(a.CI.Lo, tt.lo, 1e-5) || !approx(a.CI.Hi, tt.hi, 1e-5) {
				t.Errorf("MHOddsRatio = %v %v, want %v [%v, %v]", a.Estimate, a.CI, tt.est, tt.lo, tt.hi)
			}
			if ok && !(a.CI.Lo <= a.Estimate && a.Estimate <= a.CI.Hi && a.P >= 0 && a.P <= 1) {
				t.Errorf("interval %v does not contain %v or p=%v out of range", a.CI, a.Estimate, a.P)
			}
		})
	}
}
