package stats

import (
	"math"
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// near reports whether got is within tol of want (NaN matches NaN, and
// infinities of the same sign match).
func near(got, want, tol float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	if math.IsInf(want, 0) {
		return got == want
	}
	return math.Abs(got-want) <= tol
}

// published4 is the tolerance for a figure published to 4 decimals.
const published4 = 0.00005

func TestZ(t *testing.T) {
	tests := []struct {
		conf, want float64
	}{
		{0.95, 1.959963984540054}, // qnorm(0.975) in R
		{0.90, 1.6448536269514722},
		{0.99, 2.5758293035489004},
		{0, math.NaN()},
		{1, math.NaN()},
		{-0.5, math.NaN()},
		{math.NaN(), math.NaN()},
	}
	for _, tt := range tests {
		if got := Z(tt.conf); !near(got, tt.want, 1e-12) {
			t.Errorf("Z(%v) = %v, want %v", tt.conf, got, tt.want)
		}
	}
}

// TestWilsonNewcombe1998 checks the worked examples of Newcombe (1998),
// "Two-sided confidence intervals for the single proportion: comparison of
// seven methods", Stat Med 17:857–872, Table I, method 3 (score interval
// without continuity correction). The published 4-decimal figures agree
// with testdata/reference.py, which evaluates
//
//	(2np + z² ∓ z·√(z² + 4npq)) / (2(n + z²)),  z = NormalDist().inv_cdf(0.975),
//
// and whose full-precision values are the "exact" column.
func TestWilsonNewcombe1998(t *testing.T) {
	tests := []struct {
		k, n      int
		published Interval
		exact     Interval
	}{
		{81, 263, Interval{0.2553, 0.3662}, Interval{0.2552885198782742, 0.36620957698280004}},
		{15, 148, Interval{0.0624, 0.1605}, Interval{0.062386399530736276, 0.160487241723308}},
		{0, 20, Interval{0, 0.1611}, Interval{0, 0.16112515805281932}},
		{1, 29, Interval{0.0061, 0.1718}, Interval{0.0061132142927626506, 0.17175521879320285}},
	}
	for _, tt := range tests {
		got := Wilson(tt.k, tt.n, Conf95)
		if !near(got.Lo, tt.published.Lo, published4) || !near(got.Hi, tt.published.Hi, published4) {
			t.Errorf("Wilson(%d, %d) = %.4f, published %.4f", tt.k, tt.n, got, tt.published)
		}
		if !near(got.Lo, tt.exact.Lo, 1e-12) || !near(got.Hi, tt.exact.Hi, 1e-12) {
			t.Errorf("Wilson(%d, %d) = %v, reference.py %v", tt.k, tt.n, got, tt.exact)
		}
	}
}

func TestWilsonEdges(t *testing.T) {
	nan := Interval{math.NaN(), math.NaN()}
	tests := []struct {
		name string
		k, n int
		conf float64
		want Interval
	}{
		{"empty", 0, 0, Conf95, nan},
		{"negative k", -1, 10, Conf95, nan},
		{"k above n", 11, 10, Conf95, nan},
		{"bad conf", 1, 10, 1, nan},
		{"all successes", 20, 20, Conf95, Interval{1 - 0.16112515805281932, 1}}, // mirror of 0/20
	}
	for _, tt := range tests {
		got := Wilson(tt.k, tt.n, tt.conf)
		if !near(got.Lo, tt.want.Lo, 1e-12) || !near(got.Hi, tt.want.Hi, 1e-12) {
			t.Errorf("%s: Wilson(%d, %d, %v) = %v, want %v", tt.name, tt.k, tt.n, tt.conf, got, tt.want)
		}
	}
	if got := Wilson(0, 7, Conf95); got.Lo != 0 {
		t.Errorf("Wilson(0, 7).Lo = %v, want exactly 0", got.Lo)
	}
	if got := Wilson(7, 7, Conf95); got.Hi != 1 {
		t.Errorf("Wilson(7, 7).Hi = %v, want exactly 1", got.Hi)
	}
}

// TestNewcombeDiffTableII checks examples (a)–(h) of Newcombe (1998),
// "Interval estimation for the difference between independent proportions:
// comparison of eleven methods", Stat Med 17:873–890, Table II, method 10
// (hybrid score interval from Wilson limits without continuity correction).
// The published figures agree with testdata/reference.py, which evaluates
//
//	L = d − √((p1 − l1)² + (u0 − p0)²),  U = d + √((u1 − p1)² + (p0 − l0)²)
//
// from the Wilson limits (l, u); "exact" holds its full-precision output.
func TestNewcombeDiffTableII(t *testing.T) {
	tests := []struct {
		ex                 string
		k1, n1, k0, n0     int
		published, exactCI Interval
	}{
		{"a", 56, 70, 48, 80, Interval{0.0524, 0.3339}, Interval{0.0524314724023649, 0.3338726540369059}},
		{"b", 9, 10, 3, 10, Interval{0.1705, 0.8090}, Interval{0.17052272393450302, 0.809017973535488}},
		{"c", 6, 7, 2, 7, Interval{0.0582, 0.8062}, Interval{0.058227927482312314, 0.8062496375242277}},
		{"d", 5, 56, 0, 29, Interval{-0.0381, 0.1926}, Interval{-0.03813714790353685, 0.19256001385511157}},
		{"e", 0, 10, 0, 20, Interval{-0.1611, 0.2775}, Interval{-0.16112515805281932, 0.27753279986288915}},
		{"f", 0, 10, 0, 10, Interval{-0.2775, 0.2775}, Interval{-0.27753279986288915, 0.27753279986288915}},
		{"g", 10, 10, 0, 20, Interval{0.6791, 1.0000}, Interval{0.6790860371419147, 1}},
		{"h", 10, 10, 0, 10, Interval{0.6075, 1.0000}, Interval{0.6075093504305243, 1}},
	}
	for _, tt := range tests {
		got := NewcombeDiff(tt.k1, tt.n1, tt.k0, tt.n0, Conf95)
		if !near(got.Lo, tt.published.Lo, published4) || !near(got.Hi, tt.published.Hi, published4) {
			t.Errorf("(%s) NewcombeDiff(%d/%d − %d/%d) = %.4f, published %.4f", tt.ex, tt.k1, tt.n1, tt.k0, tt.n0, got, tt.published)
		}
		if !near(got.Lo, tt.exactCI.Lo, 1e-12) || !near(got.Hi, tt.exactCI.Hi, 1e-12) {
			t.Errorf("(%s) NewcombeDiff = %v, reference.py %v", tt.ex, got, tt.exactCI)
		}
	}
	if got := NewcombeDiff(1, 0, 1, 5, Conf95); !math.IsNaN(got.Lo) || !math.IsNaN(got.Hi) {
		t.Errorf("NewcombeDiff with empty group = %v, want NaN", got)
	}
}

func TestTwoProportionP(t *testing.T) {
	tests := []struct {
		k1, n1, k0, n0 int
		want           float64
	}{
		// Pooled z test, values from testdata/reference.py (two_prop_p).
		{56, 70, 48, 80, 0.008045081368196594},
		{9, 10, 3, 10, 0.0061698993205441255},
		{5, 10, 5, 10, 1},
		{0, 10, 0, 10, math.NaN()},   // pooled proportion 0: no test
		{10, 10, 20, 20, math.NaN()}, // pooled proportion 1
		{1, 0, 1, 10, math.NaN()},
	}
	for _, tt := range tests {
		if got := TwoProportionP(tt.k1, tt.n1, tt.k0, tt.n0); !near(got, tt.want, 1e-12) {
			t.Errorf("TwoProportionP(%d/%d, %d/%d) = %v, want %v", tt.k1, tt.n1, tt.k0, tt.n0, got, tt.want)
		}
	}
	// The pooled z test is Pearson's chi-square on the 2×2 table: z² ~ χ²(1).
	rng := rand.New(rand.NewPCG(3, 4))
	chi := distuv.ChiSquared{K: 1}
	for range 200 {
		n1, n0 := 1+rng.IntN(200), 1+rng.IntN(200)
		k1, k0 := rng.IntN(n1+1), rng.IntN(n0+1)
		p := TwoProportionP(k1, n1, k0, n0)
		if math.IsNaN(p) {
			continue
		}
		// Pearson X² = N(ad − bc)² / (r1 r2 c1 c2).
		a, b := float64(k1), float64(n1-k1)
		c, d := float64(k0), float64(n0-k0)
		x2 := (a + b + c + d) * (a*d - b*c) * (a*d - b*c) / ((a + b) * (c + d) * (a + c) * (b + d))
		if want := chi.Survival(x2); !near(p, want, 1e-9) {
			t.Errorf("TwoProportionP(%d/%d, %d/%d) = %v, chi-square %v", k1, n1, k0, n0, p, want)
		}
	}
}

// TestProportionProperties checks on random counts that every interval
// contains its estimate and lies in its range, and that NewcombeDiff
// contains p1 − p0.
func TestProportionProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, conf := range []float64{0.8, Conf95, 0.99} {
		for range 2000 {
			n1, n0 := 1+rng.IntN(500), 1+rng.IntN(500)
			k1, k0 := rng.IntN(n1+1), rng.IntN(n0+1)
			p1 := float64(k1) / float64(n1)
			w := Wilson(k1, n1, conf)
			if !(0 <= w.Lo && w.Lo <= p1 && p1 <= w.Hi && w.Hi <= 1) {
				t.Fatalf("Wilson(%d, %d, %v) = %v does not contain %v within [0,1]", k1, n1, conf, w, p1)
			}
			d := p1 - float64(k0)/float64(n0)
			nd := NewcombeDiff(k1, n1, k0, n0, conf)
			if !(-1 <= nd.Lo && nd.Lo <= d && d <= nd.Hi && nd.Hi <= 1) {
				t.Fatalf("NewcombeDiff(%d/%d − %d/%d, %v) = %v does not contain %v within [−1,1]", k1, n1, k0, n0, conf, nd, d)
			}
		}
	}
}

// TestWilsonWidthShrinks checks that for a fixed observed proportion the
// interval narrows as n grows.
func TestWilsonWidthShrinks(t *testing.T) {
	for _, frac := range []struct{ k, n int }{{0, 1}, {1, 10}, {1, 4}, {1, 2}, {3, 5}, {1, 1}} {
		prev := math.Inf(1)
		for m := 1; m <= 200; m++ {
			w := Wilson(frac.k*m, frac.n*m, Conf95)
			width := w.Hi - w.Lo
			if !(width < prev) {
				t.Fatalf("Wilson(%d, %d) width %v not below width %v at n=%d", frac.k*m, frac.n*m, width, prev, frac.n*(m-1))
			}
			prev = width
		}
	}
}
