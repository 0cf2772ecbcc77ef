package analytics

import (
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// TestPCGAt checks the jump-ahead against the sequential stream, at offsets
// with every bit pattern of interest.
func TestPCGAt(t *testing.T) {
	const seed1, seed2 = 7, poissonSeed2
	seq := rand.NewPCG(seed1, seed2)
	want := make([]uint64, 5000)
	for i := range want {
		want[i] = seq.Uint64()
	}
	for _, n := range []uint64{0, 1, 2, 3, 64, 255, 256, 1023, 4095, 4096, 4999} {
		if got := pcgAt(seed1, seed2, n).Uint64(); got != want[n] {
			t.Errorf("pcgAt(%d): %d, want %d", n, got, want[n])
		}
	}
}

// TestPoissonWeightsSequential checks that the parallel draw equals the
// draw from one sequential rand.Rand, and that the counts are Poisson(1).
func TestPoissonWeightsSequential(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(3))
	const n, seed = 3<<16 + 17, 5
	got := poissonWeights(n, seed)
	rng := rand.New(rand.NewPCG(seed, poissonSeed2))
	var cdf [10]float64
	p, c := math.Exp(-1), 0.0
	for k := range cdf {
		c += p
		cdf[k] = c
		p /= float64(k + 1)
	}
	sum := 0
	for i := range n {
		u := rng.Float64()
		k := 0
		for k < len(cdf) && u > cdf[k] {
			k++
		}
		if got[i] != uint8(k) {
			t.Fatalf("weight %d: %d, want %d", i, got[i], k)
		}
		sum += k
	}
	if mean := float64(sum) / n; math.Abs(mean-1) > 0.01 {
		t.Errorf("mean weight %.4f, want about 1", mean)
	}
}
