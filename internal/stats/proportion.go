package stats

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Wilson returns the Wilson (1927) score interval for the proportion k/n
// without continuity correction — method 3 of Newcombe (1998),
// "Two-sided confidence intervals for the single proportion", Stat Med
// 17:857–872:
//
//	(2np + z² ∓ z·√(z² + 4npq)) / (2(n + z²)),  p = k/n, q = 1 − p.
//
// DESIGN §6 asks for it because, unlike the Wald interval, it stays inside
// [0, 1], is never degenerate at k = 0 or k = n and keeps close to nominal
// coverage for the small groups a sales team produces. The limits are
// exactly 0 when k = 0 and exactly 1 when k = n. It returns {NaN, NaN} when
// n <= 0, k is outside [0, n] or conf is outside (0, 1).
func Wilson(k, n int, conf float64) Interval {
	z := Z(conf)
	if n <= 0 || k < 0 || k > n || math.IsNaN(z) {
		return Interval{math.NaN(), math.NaN()}
	}
	nf := float64(n)
	p := float64(k) / nf
	z2 := z * z
	centre := 2*nf*p + z2
	half := z * math.Sqrt(z2+4*nf*p*(1-p))
	den := 2 * (nf + z2)
	ci := Interval{(centre - half) / den, (centre + half) / den}
	if k == 0 {
		ci.Lo = 0
	}
	if k == n {
		ci.Hi = 1
	}
	ci.Lo = math.Max(ci.Lo, 0)
	ci.Hi = math.Min(ci.Hi, 1)
	return ci
}

// NewcombeDiff returns a confidence interval for the difference of
// independent proportions k1/n1 − k0/n0 by the hybrid score method of
// Newcombe (1998), "Interval estimation for the difference between
// independent proportions: comparison of eleven methods", Stat Med
// 17:873–890, method 10. With Wilson limits (l1, u1) and (l0, u0) and
// d = p1 − p0:
//
//	Lo = d − √((p1 − l1)² + (u0 − p0)²),  Hi = d + √((u1 − p1)² + (p0 − l0)²).
//
// It inherits the Wilson interval's good behaviour at 0 and n and never
// leaves [−1, 1]. It returns {NaN, NaN} when either group is empty or the
// counts or conf are invalid.
func NewcombeDiff(k1, n1, k0, n0 int, conf float64) Interval {
	w1 := Wilson(k1, n1, conf)
	w0 := Wilson(k0, n0, conf)
	if math.IsNaN(w1.Lo) || math.IsNaN(w0.Lo) {
		return Interval{math.NaN(), math.NaN()}
	}
	p1 := float64(k1) / float64(n1)
	p0 := float64(k0) / float64(n0)
	d := p1 - p0
	return Interval{
		Lo: math.Max(-1, d-math.Hypot(p1-w1.Lo, w0.Hi-p0)),
		Hi: math.Min(1, d+math.Hypot(w1.Hi-p1, p0-w0.Lo)),
	}
}

// TwoProportionP returns the two-sided p-value of the pooled two-proportion
// z test of k1/n1 = k0/n0, z = (p1 − p0) / √(p(1−p)(1/n1 + 1/n0)) with p the
// pooled proportion; it equals Pearson's chi-square test of the 2×2 table
// without continuity correction (R prop.test(correct=FALSE)). It returns NaN
// when a group is empty, the counts are invalid, or the pooled proportion is
// 0 or 1 (no variation, so no test).
func TwoProportionP(k1, n1, k0, n0 int) float64 {
	if n1 <= 0 || n0 <= 0 || k1 < 0 || k1 > n1 || k0 < 0 || k0 > n0 {
		return math.NaN()
	}
	p := float64(k1+k0) / float64(n1+n0)
	se := math.Sqrt(p * (1 - p) * (1/float64(n1) + 1/float64(n0)))
	if se == 0 {
		return math.NaN()
	}
	z := (float64(k1)/float64(n1) - float64(k0)/float64(n0)) / se
	return twoSidedP(z)
}

// twoSidedP returns 2Φ(−|z|), computed in the lower tail to keep precision
// for small p-values.
func twoSidedP(z float64) float64 {
	if math.IsNaN(z) {
		return math.NaN()
	}
	return 2 * distuv.UnitNormal.CDF(-math.Abs(z))
}
