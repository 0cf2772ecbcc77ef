package winloss

import (
	"math"

	"github.com/tandemhq/tandem/internal/stats"
)

// PairedMethod names the interval PairedDiff computes, for reports.
const PairedMethod = "Newcombe (1998) square-and-add interval for paired proportions (method 10), Wilson limits, corrected φ"

// PairedDiff returns a confidence interval for p1 − p2 where both
// proportions are measured on the same n units: both of the pair is a, the
// first only b, the second only c, neither d (n = a+b+c+d, p1 = (a+b)/n,
// p2 = (a+c)/n). It is method 10 of Newcombe (1998), "Improved confidence
// intervals for the difference between binomial proportions based on
// paired data", Stat Med 17:2635–2650: with Wilson limits (l1, u1) and
// (l2, u2) and φ the estimated correlation of the two proportions,
//
//	Lo = D − √((p1−l1)² − 2φ(p1−l1)(u2−p2) + (u2−p2)²)
//	Hi = D + √((u1−p1)² − 2φ(u1−p1)(p2−l2) + (p2−l2)²).
//
// φ = A/√((a+b)(c+d)(a+c)(b+d)) with A = ad − bc, reduced to A − n/2 when
// A > n/2 and to 0 when 0 ≤ A ≤ n/2, and 0 when a margin is empty (as in
// Fagerland, Lydersen and Laake (2017), "Statistical Analysis of
// Contingency Tables", §8.5). Pairing matters here: reps and buyers speak
// about the same deals, and ignoring the positive correlation of their
// answers would widen the interval. It returns {NaN, NaN} when n is 0, a
// count is negative or conf is outside (0, 1).
func PairedDiff(a, b, c, d int, conf float64) stats.Interval {
	n := a + b + c + d
	if n <= 0 || a < 0 || b < 0 || c < 0 || d < 0 {
		return stats.Interval{Lo: math.NaN(), Hi: math.NaN()}
	}
	w1 := stats.Wilson(a+b, n, conf)
	w2 := stats.Wilson(a+c, n, conf)
	if math.IsNaN(w1.Lo) || math.IsNaN(w2.Lo) {
		return stats.Interval{Lo: math.NaN(), Hi: math.NaN()}
	}
	nf := float64(n)
	p1, p2 := float64(a+b)/nf, float64(a+c)/nf
	phi := 0.0
	if a+b > 0 && c+d > 0 && a+c > 0 && b+d > 0 {
		A := float64(a)*float64(d) - float64(b)*float64(c)
		switch {
		case A > nf/2:
			A -= nf / 2
		case A >= 0:
			A = 0
		}
		phi = A / math.Sqrt(float64(a+b)*float64(c+d)*float64(a+c)*float64(b+d))
	}
	D := p1 - p2
	x1, y2 := p1-w1.Lo, w2.Hi-p2
	x2, y1 := p2-w2.Lo, w1.Hi-p1
	lo := D - math.Sqrt(math.Max(0, x1*x1-2*phi*x1*y2+y2*y2))
	hi := D + math.Sqrt(math.Max(0, y1*y1-2*phi*y1*x2+x2*x2))
	return stats.Interval{Lo: math.Max(-1, lo), Hi: math.Min(1, hi)}
}
