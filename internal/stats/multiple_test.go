package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestBenjaminiHochberg checks against R's p.adjust(p, "BH"), whose
// definition (q(i) = min(1, min over j >= i of m·p(j)/j), NA removed and not
// counted in m) testdata/reference.py (bh) evaluates independently.
func TestBenjaminiHochberg(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		name string
		p    []float64
		want []float64
	}{
		// Ranks 0.005, 0.01, 0.03, 0.04, 0.2 → 5p/i = .025 .025 .05 .05 .2.
		{"basic", []float64{0.01, 0.04, 0.03, 0.005, 0.2}, []float64{0.025, 0.05, 0.05, 0.025, 0.2}},
		// Ties share the q of the highest tied rank: 4·0.02/3.
		{"ties", []float64{0.02, 0.02, 0.02, 0.5}, []float64{0.08 / 3, 0.08 / 3, 0.08 / 3, 0.5}},
		// NaN ignored, m = 3.
		{"NaN", []float64{0.01, nan, 0.04, 0.03}, []float64{0.03, nan, 0.04, 0.04}},
		// Step-up monotonicity pulls large p down, cap at 1.
		{"cap", []float64{0.9, 0.95, 0.99}, []float64{0.99, 0.99, 0.99}},
		{"over one", []float64{0.6, 0.7}, []float64{0.7, 0.7}},
		{"single", []float64{0.3}, []float64{0.3}},
		{"all NaN", []float64{nan, nan}, []float64{nan, nan}},
		{"empty", []float64{}, []float64{}},
	}
	for _, tt := range tests {
		in := append([]float64(nil), tt.p...)
		got := BenjaminiHochberg(tt.p)
		if len(got) != len(tt.want) {
			t.Fatalf("%s: len %d, want %d", tt.name, len(got), len(tt.want))
		}
		for i := range got {
			if !near(got[i], tt.want[i], 1e-15) {
				t.Errorf("%s: q = %v, want %v", tt.name, got, tt.want)
				break
			}
		}
		if !sameFloats(in, tt.p) {
			t.Errorf("%s: input modified", tt.name)
		}
	}
}

// TestBenjaminiHochbergProperties checks on random p-values that q >= p,
// q <= 1 and that q is monotone in p.
func TestBenjaminiHochbergProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for range 200 {
		p := make([]float64, 1+rng.IntN(60))
		for i := range p {
			p[i] = math.Pow(rng.Float64(), 3)
			if rng.IntN(10) == 0 {
				p[i] = p[rng.IntN(i+1)] // ties
			}
		}
		q := BenjaminiHochberg(p)
		for i := range p {
			if q[i] < p[i] || q[i] > 1 {
				t.Fatalf("q[%d] = %v for p = %v", i, q[i], p[i])
			}
			for j := range p {
				if p[i] <= p[j] && q[i] > q[j] {
					t.Fatalf("not monotone: p %v→q %v, p %v→q %v", p[i], q[i], p[j], q[j])
				}
			}
		}
	}
}
