package stats

import "math"

// Stratum is one 2×2 stratum of a stratified comparison: K1 of N1 exposed
// units (e.g. deals that used a feature) have the outcome, K0 of N0
// unexposed units do. Counts must satisfy 0 <= K <= N.
type Stratum struct{ K1, N1, K0, N0 int }

// Adjusted is a confounder-adjusted effect estimate: the point estimate, its
// confidence interval, the two-sided Wald p-value for no effect, and the
// number of strata that contributed (strata missing an arm are skipped).
type Adjusted struct {
	Estimate float64
	CI       Interval
	P        float64
	Strata   int
}

// MHRiskDiff returns the Mantel–Haenszel risk difference p1 − p0 across
// strata, the stratification adjustment DESIGN §6 asks for when a feature's
// lift may be confounded by segment, size band, product or period. With
// a = K1, c = K0 and N = N1 + N0 in each stratum, the estimate weights the
// stratum differences by N1·N0/N:
//
//	RD = Σ (a·N0 − c·N1)/N / Σ N1·N0/N
//
// and its variance is Sato's (1989) estimator (Biometrics 45:1323–1324;
// Rothman, Greenland & Lash 2008, Modern Epidemiology ch. 15), consistent under both
// sparse-strata and large-strata asymptotics:
//
//	Var = (RD·Σ P + Σ Q) / (Σ N1·N0/N)²,
//	P = (N1²·c − N0²·a + N1·N0·(N0 − N1)/2) / N²,  Q = (a·(N0 − c) + c·(N1 − a)) / (2N).
//
// With one stratum it reduces to the raw difference with the unpooled
// variance p1q1/N1 + p0q0/N0. The interval is RD ± z·√Var clipped to
// [−1, 1] and P is the Wald p-value. When the variance is zero (every
// stratum has p1, p0 ∈ {0, 1}) CI and P are NaN. ok is false when no
// stratum has both arms.
func MHRiskDiff(strata []Stratum, conf float64) (adj Adjusted, ok bool) {
	var num, w, sumP, sumQ float64
	for _, s := range strata {
		if s.N1 <= 0 || s.N0 <= 0 {
			continue
		}
		a, n1 := float64(s.K1), float64(s.N1)
		c, n0 := float64(s.K0), float64(s.N0)
		n := n1 + n0
		num += (a*n0 - c*n1) / n
		w += n1 * n0 / n
		sumP += (n1*n1*c - n0*n0*a + n1*n0*(n0-n1)/2) / (n * n)
		sumQ += (a*(n0-c) + c*(n1-a)) / (2 * n)
		adj.Strata++
	}
	if adj.Strata == 0 {
		return Adjusted{Estimate: math.NaN(), CI: Interval{math.NaN(), math.NaN()}, P: math.NaN()}, false
	}
	rd := num / w
	se := math.Sqrt(math.Max(0, (rd*sumP+sumQ)/(w*w)))
	adj.Estimate = rd
	adj.CI, adj.P = Interval{math.NaN(), math.NaN()}, math.NaN()
	if z := Z(conf); se > 0 && !math.IsNaN(z) {
		adj.CI = Interval{math.Max(-1, rd-z*se), math.Min(1, rd+z*se)}
		adj.P = twoSidedP(rd / se)
	}
	return adj, true
}

// RateStratum is one stratum of a rate comparison: E1 events over T1
// person-time (or units of exposure) in the exposed arm, E0 over T0 in the
// unexposed arm.
type RateStratum struct{ E1, T1, E0, T0 float64 }

// RateRatio returns the ratio of event rates (e1/t1)/(e0/t0) with the usual
// log-normal (Wald on the log scale) interval, ratio·exp(∓z·√(1/e1 + 1/e0)),
// and the two-sided Wald p-value of log ratio = 0 (Rothman, Greenland &
// Lash 2008, ch. 14). Lifts are ratios, so DESIGN §6 asks for them on a log
// scale.
//
// Zeros: when t1 or t0 is not positive, or both counts are zero, everything
// is NaN; when exactly one count is zero the ratio is 0 (e1 = 0) or +Inf
// (e0 = 0) and, the log-scale standard error being infinite, ci and p are NaN.
func RateRatio(e1, t1, e0, t0 float64, conf float64) (ratio float64, ci Interval, p float64) {
	nan := math.NaN()
	if !(t1 > 0 && t0 > 0 && e1 >= 0 && e0 >= 0) || (e1 == 0 && e0 == 0) {
		return nan, Interval{nan, nan}, nan
	}
	ratio = (e1 / t1) / (e0 / t0)
	if e1 == 0 || e0 == 0 {
		return ratio, Interval{nan, nan}, nan
	}
	return logNormal(ratio, math.Sqrt(1/e1+1/e0), conf)
}

// MHRateRatio returns the Mantel–Haenszel rate ratio across strata,
//
//	IR = Σ E1·T0/T / Σ E0·T1/T,  T = T1 + T0,
//
// with the Greenland & Robins (1985) variance of its logarithm (Biometrics
// 41:55–68; Rothman, Greenland & Lash 2008, ch. 15):
//
//	Var ln IR = Σ M·T1·T0/T² / (Σ E1·T0/T · Σ E0·T1/T),  M = E1 + E0,
//
// which is valid for sparse strata. With one stratum it reduces to
// RateRatio. Strata with non-positive T1 or T0 are skipped; ok is false when
// none remains. Zero numerator or denominator sums give an estimate of 0 or
// +Inf (NaN if both) with NaN CI and P, as in RateRatio.
func MHRateRatio(strata []RateStratum, conf float64) (adj Adjusted, ok bool) {
	var r, s, v float64
	for _, st := range strata {
		if !(st.T1 > 0 && st.T0 > 0) {
			continue
		}
		t := st.T1 + st.T0
		r += st.E1 * st.T0 / t
		s += st.E0 * st.T1 / t
		v += (st.E1 + st.E0) * st.T1 * st.T0 / (t * t)
		adj.Strata++
	}
	nan := math.NaN()
	if adj.Strata == 0 {
		return Adjusted{Estimate: nan, CI: Interval{nan, nan}, P: nan}, false
	}
	adj.CI, adj.P = Interval{nan, nan}, nan
	switch {
	case r == 0 && s == 0:
		adj.Estimate = nan
	case r == 0 || s == 0:
		adj.Estimate = r / s
	default:
		adj.Estimate, adj.CI, adj.P = logNormal(r/s, math.Sqrt(v/(r*s)), conf)
	}
	return adj, true
}

// logNormal returns est with the interval est·exp(∓z·se) and the Wald
// p-value of log est = 0, for an estimate whose logarithm has standard error se.
func logNormal(est, se, conf float64) (float64, Interval, float64) {
	z := Z(conf)
	if math.IsNaN(z) || !(se > 0) {
		return est, Interval{math.NaN(), math.NaN()}, math.NaN()
	}
	return est, Interval{est * math.Exp(-z*se), est * math.Exp(z*se)}, twoSidedP(math.Log(est) / se)
}
