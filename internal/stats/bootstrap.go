package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"gonum.org/v1/gonum/stat"
)

// pcgStream is XORed into the seed to form the second word of the PCG state,
// so a single user-visible seed determines the whole random stream.
const pcgStream = 0x9e3779b97f4a7c15

// Boot holds bootstrap results for a sample: the sample mean and median
// (of the original data) with percentile confidence intervals, and the
// number of resamples drawn.
type Boot struct {
	Mean, Median     float64
	MeanCI, MedianCI Interval
	Resamples        int
}

// BootstrapMeanMedian returns the mean and median of x with percentile
// bootstrap intervals (Efron & Tibshirani 1993, An Introduction to the
// Bootstrap, ch. 13), the intervals DESIGN §6 asks for on money amounts,
// which are too skewed for normal-theory intervals. Each resample yields
// both statistics in one O(n) pass; its median is found by counting
// selection over the once-sorted data, never by sorting the resample. The
// percentiles are taken with gonum's stat.LinInterp quantile (Hyndman & Fan
// 1996 type 4).
//
// The stream is math/rand/v2's PCG seeded with (seed, seed^pcgStream), so a
// given seed reproduces the result exactly. NaN elements of x are dropped.
// With no data every field is NaN; with resamples <= 0 the intervals are
// NaN. Resamples is the number of resamples actually drawn.
func BootstrapMeanMedian(x []float64, resamples int, seed uint64, conf float64) Boot {
	nan := math.NaN()
	data := dropNaN(x)
	b := Boot{Mean: nan, Median: nan, MeanCI: Interval{nan, nan}, MedianCI: Interval{nan, nan}}
	if len(data) == 0 {
		return b
	}
	b.Mean = stat.Mean(data, nil)
	b.Median = Median(data)
	if resamples <= 0 {
		return b
	}
	// A resample is a multiset of the data, so instead of copying values
	// and selecting we count how often each element of the sorted data is
	// drawn; one sequential pass over the counts then yields the sum and
	// the middle order statistics. O(n) per resample with no comparisons,
	// after one O(n log n) sort.
	sorted := slices.Clone(data)
	slices.Sort(sorted)
	n := len(sorted)
	counts := make([]int32, n) // a count is at most n, and n < 2³¹ in practice (16 GiB of data)
	means := make([]float64, resamples)
	medians := make([]float64, resamples)
	rng := rand.New(rand.NewPCG(seed, seed^pcgStream))
	for r := range resamples {
		for range n {
			counts[rng.IntN(n)]++
		}
		means[r], medians[r] = countedMeanMedian(sorted, counts)
	}
	b.Resamples = resamples
	b.MeanCI = percentileInterval(means, conf)
	b.MedianCI = percentileInterval(medians, conf)
	return b
}

// BootstrapRatio returns statistic(x1)/statistic(x0) with a percentile
// bootstrap interval from resampling each group independently (the two
// groups are separate samples, e.g. deals with and without a feature). It
// serves lifts such as the ratio of median deal sizes; because percentile
// intervals are invariant under monotone transforms, the interval is the
// same whether the ratio is read on a log scale or not (DESIGN §6).
//
// statistic receives a scratch copy it may reorder. The stream is seeded as
// in BootstrapMeanMedian. NaN elements of x1 and x0 are dropped; resamples
// whose ratio is NaN (0/0) are left out of the percentiles, and the interval
// is NaN if none remains, if a group is empty or if resamples <= 0.
func BootstrapRatio(x1, x0 []float64, statistic func([]float64) float64, resamples int, seed uint64, conf float64) (ratio float64, ci Interval) {
	nan := math.NaN()
	ci = Interval{nan, nan}
	d1, d0 := dropNaN(x1), dropNaN(x0)
	if len(d1) == 0 || len(d0) == 0 {
		return nan, ci
	}
	b1 := make([]float64, len(d1))
	b0 := make([]float64, len(d0))
	copy(b1, d1)
	copy(b0, d0)
	ratio = statistic(b1) / statistic(b0)
	if resamples <= 0 {
		return ratio, ci
	}
	rng := rand.New(rand.NewPCG(seed, seed^pcgStream))
	reps := make([]float64, 0, resamples)
	for range resamples {
		for i := range b1 {
			b1[i] = d1[rng.IntN(len(d1))]
		}
		for i := range b0 {
			b0[i] = d0[rng.IntN(len(d0))]
		}
		if v := statistic(b1) / statistic(b0); !math.IsNaN(v) {
			reps = append(reps, v)
		}
	}
	return ratio, percentileInterval(reps, conf)
}

// countedMeanMedian returns the mean and median of the multiset holding
// counts[i] copies of sorted[i] (sorted ascending, counts summing to
// len(sorted)), and resets counts to zero.
func countedMeanMedian(sorted []float64, counts []int32) (mean, median float64) {
	n := len(sorted)
	// 0-based positions of the middle order statistics.
	hiPos := n / 2
	loPos := hiPos
	if n%2 == 0 {
		loPos--
	}
	var sum, lo, hi float64
	cum := 0
	// No early skip of zero counts: about a third of them are zero, at
	// random, and the branch would mispredict.
	for i, c := range counts {
		v := sorted[i]
		sum += float64(c) * v
		next := cum + int(c)
		if cum <= loPos && loPos < next {
			lo = v
		}
		if cum <= hiPos && hiPos < next {
			hi = v
		}
		cum = next
		counts[i] = 0
	}
	return sum / float64(n), lo + (hi-lo)/2
}

// percentileInterval returns the (1−conf)/2 and (1+conf)/2 quantiles of
// reps, which it sorts in place.
func percentileInterval(reps []float64, conf float64) Interval {
	if len(reps) == 0 || !(conf > 0 && conf < 1) {
		return Interval{math.NaN(), math.NaN()}
	}
	sort.Float64s(reps)
	alpha := (1 - conf) / 2
	return Interval{
		Lo: stat.Quantile(alpha, stat.LinInterp, reps, nil),
		Hi: stat.Quantile(1-alpha, stat.LinInterp, reps, nil),
	}
}

// dropNaN returns x without its NaN elements, sharing x when it has none.
func dropNaN(x []float64) []float64 {
	for i, v := range x {
		if math.IsNaN(v) {
			out := make([]float64, 0, len(x))
			out = append(out, x[:i]...)
			for _, w := range x[i+1:] {
				if !math.IsNaN(w) {
					out = append(out, w)
				}
			}
			return out
		}
	}
	return x
}
