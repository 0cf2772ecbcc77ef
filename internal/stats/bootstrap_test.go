package stats

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/stat"
)

func normalSample(n int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0))
	x := make([]float64, n)
	for i := range x {
		x[i] = 100 + 15*rng.NormFloat64()
	}
	return x
}

func TestBootstrapMeanMedianReproducible(t *testing.T) {
	x := normalSample(500, 1)
	a := BootstrapMeanMedian(x, 400, 42, Conf95)
	b := BootstrapMeanMedian(x, 400, 42, Conf95)
	if a != b {
		t.Errorf("same seed, different results: %+v vs %+v", a, b)
	}
	c := BootstrapMeanMedian(x, 400, 43, Conf95)
	if a.MeanCI == c.MeanCI {
		t.Errorf("different seeds, identical mean CI %v", a.MeanCI)
	}
	if a.Resamples != 400 || a.Mean != stat.Mean(x, nil) || a.Median != Median(x) {
		t.Errorf("point estimates %+v", a)
	}
	for _, e := range []struct {
		name string
		est  float64
		ci   Interval
	}{{"mean", a.Mean, a.MeanCI}, {"median", a.Median, a.MedianCI}} {
		if !(e.ci.Lo < e.est && e.est < e.ci.Hi) {
			t.Errorf("%s CI %v does not contain %v", e.name, e.ci, e.est)
		}
	}
}

// TestBootstrapMeanNormalTheory checks that on a normal sample of n = 2000
// the percentile interval of the mean agrees with mean ± z·sd/√n: each
// limit's distance from the mean within 10% of z·sd/√n.
func TestBootstrapMeanNormalTheory(t *testing.T) {
	x := normalSample(2000, 2)
	b := BootstrapMeanMedian(x, 2000, 7, Conf95)
	mean, sd := stat.MeanStdDev(x, nil)
	half := Z(Conf95) * sd / math.Sqrt(float64(len(x)))
	if lo := mean - b.MeanCI.Lo; math.Abs(lo-half) > 0.1*half {
		t.Errorf("lower half-width %v, normal theory %v", lo, half)
	}
	if hi := b.MeanCI.Hi - mean; math.Abs(hi-half) > 0.1*half {
		t.Errorf("upper half-width %v, normal theory %v", hi, half)
	}
}

func TestBootstrapMeanMedianEdges(t *testing.T) {
	nan := math.NaN()
	b := BootstrapMeanMedian(nil, 100, 1, Conf95)
	if !math.IsNaN(b.Mean) || !math.IsNaN(b.MedianCI.Hi) || b.Resamples != 0 {
		t.Errorf("empty: %+v", b)
	}
	b = BootstrapMeanMedian([]float64{3, nan, 5}, 0, 1, Conf95)
	if b.Mean != 4 || b.Median != 4 || !math.IsNaN(b.MeanCI.Lo) || b.Resamples != 0 {
		t.Errorf("no resamples: %+v", b)
	}
	b = BootstrapMeanMedian([]float64{7}, 50, 1, Conf95)
	if b.MeanCI != (Interval{7, 7}) || b.MedianCI != (Interval{7, 7}) {
		t.Errorf("single value: %+v", b)
	}
	x := []float64{5, 1, 4}
	BootstrapMeanMedian(x, 10, 1, Conf95)
	if x[0] != 5 || x[1] != 1 || x[2] != 4 {
		t.Errorf("input modified: %v", x)
	}
}

func TestBootstrapRatio(t *testing.T) {
	x1 := normalSample(300, 3)
	x0 := normalSample(400, 4)
	for i := range x1 {
		x1[i] *= 1.5
	}
	r, ci := BootstrapRatio(x1, x0, Median, 500, 9, Conf95)
	r2, ci2 := BootstrapRatio(x1, x0, Median, 500, 9, Conf95)
	if r != r2 || ci != ci2 {
		t.Errorf("same seed, different results: %v %v vs %v %v", r, ci, r2, ci2)
	}
	if want := Median(x1) / Median(x0); r != want {
		t.Errorf("ratio %v, want %v", r, want)
	}
	if !(ci.Lo < r && r < ci.Hi) || !(ci.Lo < 1.5 && 1.5 < ci.Hi) {
		t.Errorf("CI %v should contain %v and the true 1.5", ci, r)
	}
	// A statistic that sorts its argument must not disturb the caller's data.
	first := x1[0]
	sorter := func(v []float64) float64 { selectKth(v, 0); return GeoMean(v) }
	if gr, _ := BootstrapRatio(x1, x0, sorter, 20, 1, Conf95); x1[0] != first || math.Abs(gr-GeoMean(x1)/GeoMean(x0)) > 1e-12 {
		t.Errorf("input modified or wrong ratio %v", gr)
	}
	if r, ci := BootstrapRatio(nil, x0, Median, 10, 1, Conf95); !math.IsNaN(r) || !math.IsNaN(ci.Lo) {
		t.Errorf("empty group: %v %v", r, ci)
	}
	// 0/0 replicates are dropped; with only zeros nothing remains.
	if r, ci := BootstrapRatio([]float64{0}, []float64{0}, Median, 10, 1, Conf95); !math.IsNaN(r) || !math.IsNaN(ci.Lo) {
		t.Errorf("all zero: %v %v", r, ci)
	}
}

func BenchmarkBootstrapMeanMedian(b *testing.B) {
	x := normalSample(100000, 5)
	b.ResetTimer()
	for b.Loop() {
		BootstrapMeanMedian(x, 1000, 1, Conf95)
	}
}

// TestBootstrapCountingMatchesNaive replays the random stream the way a
// textbook bootstrap would (copy the drawn values, take their mean and
// median) and checks that the counting implementation gives the same
// intervals, for odd and even n and heavily tied data.
func TestBootstrapCountingMatchesNaive(t *testing.T) {
	for _, x := range [][]float64{
		normalSample(101, 6),
		normalSample(100, 7),
		{5, 5, 5, 1, 1, 9, 9, 9, 9, 2},
		{3, 8},
	} {
		const resamples, seed = 300, 11
		got := BootstrapMeanMedian(x, resamples, seed, 0.9)

		sorted := slices.Clone(x)
		slices.Sort(sorted)
		rng := rand.New(rand.NewPCG(seed, seed^pcgStream))
		means := make([]float64, resamples)
		medians := make([]float64, resamples)
		buf := make([]float64, len(x))
		for r := range resamples {
			for i := range buf {
				buf[i] = sorted[rng.IntN(len(x))]
			}
			means[r] = stat.Mean(buf, nil)
			slices.Sort(buf)
			h := len(buf) / 2
			medians[r] = buf[h]
			if len(buf)%2 == 0 {
				medians[r] = (buf[h-1] + buf[h]) / 2
			}
		}
		slices.Sort(means)
		slices.Sort(medians)
		for _, c := range []struct {
			name      string
			got       Interval
			reps      []float64
			tolerance float64
		}{{"mean", got.MeanCI, means, 1e-9}, {"median", got.MedianCI, medians, 1e-12}} {
			want := Interval{stat.Quantile(0.05, stat.LinInterp, c.reps, nil), stat.Quantile(0.95, stat.LinInterp, c.reps, nil)}
			if !near(c.got.Lo, want.Lo, c.tolerance) || !near(c.got.Hi, want.Hi, c.tolerance) {
				t.Errorf("n=%d %s CI %v, naive bootstrap %v", len(x), c.name, c.got, want)
			}
		}
	}
}
