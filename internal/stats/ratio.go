package stats

import (
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

// Percentiles returns the percentile interval of bootstrap replicates at
// conf (for example the 2.5th and 97.5th percentiles), sorting reps in
// place. Replicates computed elsewhere, such as the halo report's Poisson
// bootstrap, use it to get the same interval rule as BootstrapRatio.
func Percentiles(reps []float64, conf float64) (lo, hi float64) {
	iv := percentileInterval(dropNaN(reps), conf)
	return iv.Lo, iv.Hi
}

// RiskRatio returns (k1/n1)/(k0/n0) with the Katz log interval (Katz et
// al. 1978): se(log RR) = sqrt(1/k1 − 1/n1 + 1/k0 − 1/n0). Relative effects
// such as "renewal ×1.30" are read from it. With a zero count the ratio or
// its interval is undefined and returned as NaN.
func RiskRatio(k1, n1, k0, n0 int, conf float64) (ratio float64, ci Interval) {
	nan := Interval{math.NaN(), math.NaN()}
	if n1 == 0 || n0 == 0 || k0 == 0 {
		return math.NaN(), nan
	}
	ratio = (float64(k1) / float64(n1)) / (float64(k0) / float64(n0))
	if k1 == 0 {
		return ratio, nan
	}
	se := math.Sqrt(1/float64(k1) - 1/float64(n1) + 1/float64(k0) - 1/float64(n0))
	_, ci, _ = logNormal(ratio, se, conf)
	return ratio, ci
}

// Garwood is the exact central Poisson interval of an observed count k
// (Garwood 1936), from chi-square quantiles: [χ²(α/2; 2k)/2,
// χ²(1−α/2; 2k+2)/2]. It stays valid at k = 0, where a bootstrap of a
// rate would collapse to [0, 0].
func Garwood(k int, conf float64) Interval {
	alpha := 1 - conf
	var iv Interval
	if k > 0 {
		iv.Lo = distuv.ChiSquared{K: float64(2 * k)}.Quantile(alpha/2) / 2
	}
	iv.Hi = distuv.ChiSquared{K: float64(2*k + 2)}.Quantile(1-alpha/2) / 2
	return iv
}
