package stats

import (
	"math"
	"sort"
)

// BenjaminiHochberg returns Benjamini–Hochberg (1995) q-values for the
// p-values p (J R Stat Soc B 57:289–300), the false-discovery-rate control
// DESIGN §6 requires when many features are compared at once. It matches
// R's p.adjust(p, method = "BH"): with the m non-NaN p-values ranked
// i = 1..m ascending, q(i) = min(1, min over j >= i of m·p(j)/j), a step-up
// procedure whose q-values are monotone in p. NaN entries are ignored (they
// do not count towards m) and returned as NaN. The result is a new slice in
// the order of p; p is not modified.
func BenjaminiHochberg(p []float64) []float64 {
	q := make([]float64, len(p))
	idx := make([]int, 0, len(p))
	for i, v := range p {
		if math.IsNaN(v) {
			q[i] = math.NaN()
			continue
		}
		idx = append(idx, i)
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] < p[idx[b]] })
	m := float64(len(idx))
	running := math.Inf(1)
	for r := len(idx) - 1; r >= 0; r-- {
		i := idx[r]
		running = math.Min(running, m/float64(r+1)*p[i])
		q[i] = math.Min(1, running)
	}
	return q
}
