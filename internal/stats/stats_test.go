package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestMedian(t *testing.T) {
	nan := math.NaN()
	tests := []struct {
		x    []float64
		want float64
	}{
		{nil, nan},
		{[]float64{3}, 3},
		{[]float64{3, 1}, 2},
		{[]float64{5, 1, 4}, 4},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{2, 2, 2, 2}, 2},
		{[]float64{1, nan, 3}, nan},
		{[]float64{math.Inf(-1), 0, math.Inf(1)}, 0},
	}
	for _, tt := range tests {
		in := slices.Clone(tt.x)
		if got := Median(tt.x); !near(got, tt.want, 0) {
			t.Errorf("Median(%v) = %v, want %v", tt.x, got, tt.want)
		}
		if !sameFloats(in, tt.x) {
			t.Errorf("Median modified its input %v", in)
		}
	}
}

// TestSelectKth compares selection with sorting on random data with many
// repeated values, sorted and reversed runs.
func TestSelectKth(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for r := range 2000 {
		n := 1 + rng.IntN(200)
		x := make([]float64, n)
		for i := range x {
			switch r % 3 {
			case 0:
				x[i] = float64(rng.IntN(5))
			case 1:
				x[i] = float64(i)
			default:
				x[i] = rng.NormFloat64()
			}
		}
		if r%6 == 1 {
			slices.Reverse(x)
		}
		sorted := slices.Clone(x)
		slices.Sort(sorted)
		k := rng.IntN(n)
		got := selectKth(x, k)
		if got != sorted[k] {
			t.Fatalf("selectKth k=%d: %v, want %v", k, got, sorted[k])
		}
		for i := range k {
			if x[i] > got {
				t.Fatalf("element %d = %v left of k=%d exceeds %v", i, x[i], k, got)
			}
		}
		for i := k + 1; i < n; i++ {
			if x[i] < got {
				t.Fatalf("element %d = %v right of k=%d below %v", i, x[i], k, got)
			}
		}
		want := sorted[n/2]
		if n%2 == 0 {
			want = (sorted[n/2-1] + sorted[n/2]) / 2
		}
		if m := medianInPlace(x); math.Abs(m-want) > 1e-12 {
			t.Fatalf("median %v, want %v", m, want)
		}
	}
}

func TestGeoMean(t *testing.T) {
	tests := []struct {
		x    []float64
		want float64
	}{
		{[]float64{1, 100}, 10},
		{[]float64{2, 8, 0, -3, math.NaN()}, 4}, // non-positive and NaN ignored
		{[]float64{0, -1}, math.NaN()},
		{nil, math.NaN()},
	}
	for _, tt := range tests {
		if got := GeoMean(tt.x); !near(got, tt.want, 1e-12) {
			t.Errorf("GeoMean(%v) = %v, want %v", tt.x, got, tt.want)
		}
	}
}
