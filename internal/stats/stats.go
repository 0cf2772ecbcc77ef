// Package stats holds the statistical procedures behind Tandem's analytics
// (DESIGN §6): score intervals for proportions and their differences,
// Mantel–Haenszel adjustment over strata, Kaplan–Meier survival with R
// survfit-compatible medians, Benjamini–Hochberg q-values and seeded
// percentile bootstrap intervals.
//
// Everything gonum already provides (normal quantiles and CDF, means,
// quantiles) is taken from gonum.org/v1/gonum/stat and stat/distuv; this
// package adds only what gonum lacks. All functions are pure: no global
// state, inputs are never modified, and randomness comes only from an
// explicit seed.
//
// Undefined results are reported as NaN (and unreached survival limits as
// +Inf) rather than as errors, so that a report can print "not estimable"
// next to the figure; callers that serialise results must handle them.
package stats

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Interval is a confidence interval [Lo, Hi]. Hi may be math.Inf(1) when the
// limit is not reached within the data (the upper limit of a Kaplan–Meier
// median); either limit is NaN when the interval is not estimable.
type Interval struct{ Lo, Hi float64 }

// Conf95 is the conventional 95% confidence level used throughout the reports.
const Conf95 = 0.95

// Z returns the two-sided standard normal quantile for confidence level
// conf, i.e. Φ⁻¹(1 − (1−conf)/2) (1.959963984540054 for 0.95), computed by
// gonum's distuv.UnitNormal. It returns NaN unless 0 < conf < 1.
func Z(conf float64) float64 {
	if !(conf > 0 && conf < 1) {
		return math.NaN()
	}
	return distuv.UnitNormal.Quantile(1 - (1-conf)/2)
}

// Median returns the sample median of x, averaging the two middle values
// when len(x) is even (as R's median does). It is found by selection in
// O(n) expected time on a copy, so x is not modified. It returns NaN for an
// empty slice or when x contains NaN.
func Median(x []float64) float64 {
	for _, v := range x {
		if math.IsNaN(v) {
			return math.NaN()
		}
	}
	if len(x) == 0 {
		return math.NaN()
	}
	buf := make([]float64, len(x))
	copy(buf, x)
	return medianInPlace(buf)
}

// GeoMean returns the geometric mean exp(mean(log x)) over the strictly
// positive elements of x, the natural centre for money amounts and lifts
// compared on a log scale (DESIGN §6). Zero, negative and NaN elements are
// ignored; it returns NaN when no element is positive.
func GeoMean(x []float64) float64 {
	var sum float64
	n := 0
	for _, v := range x {
		if v > 0 {
			sum += math.Log(v)
			n++
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return math.Exp(sum / float64(n))
}

// medianInPlace returns the median of x (len(x) > 0, no NaN), reordering x.
func medianInPlace(x []float64) float64 {
	n := len(x)
	k := n / 2
	hi := selectKth(x, k)
	if n%2 == 1 {
		return hi
	}
	// After selection every element left of k is <= x[k]; the lower middle
	// value is their maximum.
	lo := x[0]
	for _, v := range x[1:k] {
		if v > lo {
			lo = v
		}
	}
	return lo + (hi-lo)/2
}

// selectKth reorders x so that x[k] is its k-th smallest element (0-based),
// every element before k is <= x[k] and every element after is >= x[k], and
// returns x[k]. It is Hoare's FIND (Hoare 1961, Algorithm 65) with a
// median-of-three pivot: O(n) expected, and balanced on repeated values
// because both scans stop at elements equal to the pivot. x must not
// contain NaN.
func selectKth(x []float64, k int) float64 {
	lo, hi := 0, len(x)-1
	for lo < hi {
		mid := lo + (hi-lo)/2
		if x[mid] < x[lo] {
			x[mid], x[lo] = x[lo], x[mid]
		}
		if x[hi] < x[lo] {
			x[hi], x[lo] = x[lo], x[hi]
		}
		if x[hi] < x[mid] {
			x[hi], x[mid] = x[mid], x[hi]
		}
		pivot := x[mid]
		i, j := lo, hi
		for i <= j {
			for x[i] < pivot {
				i++
			}
			for pivot < x[j] {
				j--
			}
			if i <= j {
				x[i], x[j] = x[j], x[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return x[k] // j < k < i: x[k] equals the pivot
		}
	}
	return x[k]
}
