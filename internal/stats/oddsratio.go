package stats

import "math"

// MHOddsRatio returns the Mantel–Haenszel odds ratio over 2×2 strata with
// the Robins–Breslow–Greenland (1986) variance of its logarithm, the
// standard pairing: it stays valid both with many sparse strata and with a
// few large ones. In each stratum a = K1, b = N1−K1, c = K0, d = N0−K0.
// Strata missing an arm carry no information and are skipped; ok is false
// when the ratio is undefined (no discordant information on one side).
// Odds ratios are the scale on which a logistic effect is constant across
// strata of different base rates, so planted log-odds effects are read here.
func MHOddsRatio(strata []Stratum, conf float64) (adj Adjusted, ok bool) {
	var r, s, pr, ps, qs float64
	for _, st := range strata {
		if st.N1 == 0 || st.N0 == 0 {
			continue
		}
		a, b := float64(st.K1), float64(st.N1-st.K1)
		c, d := float64(st.K0), float64(st.N0-st.K0)
		n := a + b + c + d
		rk, sk := a*d/n, b*c/n
		pk, qk := (a+d)/n, (b+c)/n
		r += rk
		s += sk
		pr += pk * rk
		ps += pk*sk + qk*rk
		qs += qk * sk
		adj.Strata++
	}
	if r == 0 || s == 0 {
		return Adjusted{Estimate: math.NaN(), CI: Interval{math.NaN(), math.NaN()}, P: math.NaN(), Strata: adj.Strata}, false
	}
	v := pr/(2*r*r) + ps/(2*r*s) + qs/(2*s*s)
	adj.Estimate, adj.CI, adj.P = logNormal(r/s, math.Sqrt(v), conf)
	return adj, true
}
