package stats

import "math"

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
