package stats

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// Freireich et al. (1963) remission times in weeks for the 6-MP arm of the
// leukemia trial, as analysed by Gehan (1965) and reproduced by Klein &
// Moeschberger (2003, §1.2) and Kleinbaum & Klein (2012, ch. 2); false marks
// a censored time (written 6+ in the sources).
var (
	sixMPTimes = []float64{6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35}
	sixMPEvent = []bool{true, true, true, false, true, false, true, false, false, true, true, false, false, false, true, true, false, false, false, false, false}
	// Placebo arm: 21 relapses, no censoring.
	placeboTimes = []float64{1, 1, 2, 2, 3, 4, 4, 5, 5, 8, 8, 8, 8, 11, 11, 12, 12, 15, 17, 22, 23}
)

func allEvents(n int) []bool {
	e := make([]bool, n)
	for i := range e {
		e[i] = true
	}
	return e
}

// at returns the row of s at time t.
func at(t *testing.T, s Survival, time float64) int {
	t.Helper()
	for i, x := range s.Times {
		if x == time {
			return i
		}
	}
	t.Fatalf("time %v not in curve %v", time, s.Times)
	return -1
}

// TestKaplanMeier6MP checks the published product-limit table for the 6-MP
// arm (Klein & Moeschberger 2003, ch. 4; Kleinbaum & Klein 2012, ch. 2):
// S(t) and Greenwood standard errors to 3 decimals. testdata/reference.py
// (km) reproduces them from S = Π(1 − d/n), SE = S·√Σ d/(n(n − d)).
func TestKaplanMeier6MP(t *testing.T) {
	s := KaplanMeier(sixMPTimes, sixMPEvent)
	if s.N != 21 || s.NEvents != 9 {
		t.Fatalf("N, NEvents = %d, %d, want 21, 9", s.N, s.NEvents)
	}
	wantTimes := []float64{6, 7, 9, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 34, 35}
	if !reflect.DeepEqual(s.Times, wantTimes) {
		t.Fatalf("Times = %v, want every distinct time %v", s.Times, wantTimes)
	}
	tests := []struct {
		time         float64
		atRisk, d    int
		surv, stdErr float64
	}{
		{6, 21, 3, 0.857, 0.076},
		{7, 17, 1, 0.807, 0.087},
		{10, 15, 1, 0.753, 0.096},
		{13, 12, 1, 0.690, 0.107},
		{16, 11, 1, 0.627, 0.114},
		{22, 7, 1, 0.538, 0.128},
		{23, 6, 1, 0.448, 0.135},
	}
	for _, tt := range tests {
		i := at(t, s, tt.time)
		if s.AtRisk[i] != tt.atRisk || s.Events[i] != tt.d {
			t.Errorf("t=%v: at risk %d, events %d, want %d, %d", tt.time, s.AtRisk[i], s.Events[i], tt.atRisk, tt.d)
		}
		if !near(s.Surv[i], tt.surv, 0.0005) || !near(s.StdErr[i], tt.stdErr, 0.0005) {
			t.Errorf("t=%v: S=%.4f SE=%.4f, published %.3f (%.3f)", tt.time, s.Surv[i], s.StdErr[i], tt.surv, tt.stdErr)
		}
	}
	// Full precision from reference.py at t=23.
	i := at(t, s, 23)
	if !near(s.Surv[i], 0.44817927170868355, 1e-12) || !near(s.StdErr[i], 0.13459145675576048, 1e-12) {
		t.Errorf("t=23: S=%v SE=%v", s.Surv[i], s.StdErr[i])
	}
	// Censoring-only times carry the previous estimate.
	if i := at(t, s, 35); s.Events[i] != 0 || s.Surv[i] != s.Surv[i-1] || s.AtRisk[i] != 1 {
		t.Errorf("t=35: events %d S=%v at risk %d", s.Events[i], s.Surv[i], s.AtRisk[i])
	}
}

func TestKaplanMeierMedian(t *testing.T) {
	tests := []struct {
		name   string
		times  []float64
		event  []bool
		median float64
		ci     Interval
	}{
		// R: print(survfit(Surv(time, cens) ~ treat, data = MASS::gehan))
		// shows 6-MP median 23, 0.95LCL 16, 0.95UCL NA; control 8 (4, 12).
		// testdata/reference.py (km_median) agrees.
		{"6-MP", sixMPTimes, sixMPEvent, 23, Interval{16, math.Inf(1)}},
		{"placebo", placeboTimes, allEvents(len(placeboTimes)), 8, Interval{4, 12}},
		// S = .75, .5 (t=2), .5 (3+), 0 (t=4): flat at 0.5, R averages 2 and
		// the time S drops below, 4. reference.py: (3, 1, NA).
		{"flat", []float64{1, 2, 3, 4}, []bool{true, true, false, true}, 3, Interval{1, math.Inf(1)}},
		// S = .75, then .5 from t=2 to the end (3+, 4+): print.survfit takes
		// 2 (quantile.survfit would average 2 with the last time, 4).
		// reference.py: (2, 1, NA).
		{"flat end", []float64{1, 2, 3, 4}, []bool{true, true, false, false}, 2, Interval{1, math.Inf(1)}},
		// S stays at .75, but its lower band (.426 at t=1) crosses 0.5.
		// reference.py: (NA, 1, NA).
		{"not reached", []float64{1, 2, 3, 4}, []bool{true, false, false, false}, math.NaN(), Interval{1, math.Inf(1)}},
		// 80 of 100 fail at t=1, 18 censored at 2, 1 of 2 fails at 3: the
		// upper band rises from .296 (t=1) to .422 (t=3); the first crossing
		// counts. reference.py: (1, 1, 1).
		{"non-monotone band", nonMonotone().times, nonMonotone().event, 1, Interval{1, 1}},
		// Nothing but censoring: no limit is reached.
		{"censored", []float64{1, 2}, []bool{false, false}, math.NaN(), Interval{math.NaN(), math.Inf(1)}},
		{"empty", nil, nil, math.NaN(), Interval{math.NaN(), math.Inf(1)}},
	}
	for _, tt := range tests {
		med, ci := KaplanMeier(tt.times, tt.event).Median(Conf95)
		if !near(med, tt.median, 1e-12) || !near(ci.Lo, tt.ci.Lo, 1e-12) || !near(ci.Hi, tt.ci.Hi, 1e-12) {
			t.Errorf("%s: median %v (%v, %v), want %v (%v, %v)", tt.name, med, ci.Lo, ci.Hi, tt.median, tt.ci.Lo, tt.ci.Hi)
		}
	}
}

type obsSet struct {
	times []float64
	event []bool
}

func nonMonotone() obsSet {
	var o obsSet
	add := func(t float64, e bool, n int) {
		for range n {
			o.times = append(o.times, t)
			o.event = append(o.event, e)
		}
	}
	add(1, true, 80)
	add(2, false, 18)
	add(3, true, 1)
	add(4, false, 1)
	return o
}

func TestKaplanMeierEdges(t *testing.T) {
	// Everyone fails at once: S drops to 0, where Greenwood's SE is undefined.
	s := KaplanMeier([]float64{5, 5}, []bool{true, true})
	if len(s.Surv) != 1 || s.Surv[0] != 0 || !math.IsNaN(s.StdErr[0]) {
		t.Errorf("all fail: Surv %v StdErr %v, want [0] [NaN]", s.Surv, s.StdErr)
	}
	// NaN times are ignored.
	s = KaplanMeier([]float64{1, math.NaN(), 2}, []bool{true, true, false})
	if s.N != 2 || s.NEvents != 1 {
		t.Errorf("NaN time: N %d NEvents %d, want 2, 1", s.N, s.NEvents)
	}
	// A tie between an event and a censoring keeps the censored one at risk.
	s = KaplanMeier([]float64{3, 3, 4}, []bool{true, false, true})
	if s.AtRisk[0] != 3 || !near(s.Surv[0], 2.0/3, 1e-15) {
		t.Errorf("tie: at risk %d S %v, want 3, 2/3", s.AtRisk[0], s.Surv[0])
	}
}

// TestKaplanMeierCountsMatches checks the aggregated fast path against the
// per-observation estimator on the 6-MP data and on random integer-day
// durations.
func TestKaplanMeierCountsMatches(t *testing.T) {
	check := func(name string, times []float64, event []bool) {
		t.Helper()
		counts := map[float64][2]int{}
		var distinct []float64
		for i, x := range times {
			c, ok := counts[x]
			if !ok {
				distinct = append(distinct, x)
			}
			if event[i] {
				c[0]++
			} else {
				c[1]++
			}
			counts[x] = c
		}
		slices.Sort(distinct)
		ev := make([]int, len(distinct))
		ce := make([]int, len(distinct))
		for i, x := range distinct {
			ev[i], ce[i] = counts[x][0], counts[x][1]
		}
		want := KaplanMeier(times, event)
		got := KaplanMeierCounts(distinct, ev, ce)
		if !reflect.DeepEqual(got.Times, want.Times) || !reflect.DeepEqual(got.Surv, want.Surv) ||
			!reflect.DeepEqual(got.AtRisk, want.AtRisk) || !reflect.DeepEqual(got.Events, want.Events) ||
			got.N != want.N || got.NEvents != want.NEvents || !sameFloats(got.StdErr, want.StdErr) {
			t.Errorf("%s: KaplanMeierCounts = %+v, KaplanMeier = %+v", name, got, want)
		}
		gm, gci := got.Median(Conf95)
		wm, wci := want.Median(Conf95)
		if !near(gm, wm, 0) || !near(gci.Lo, wci.Lo, 0) || !near(gci.Hi, wci.Hi, 0) {
			t.Errorf("%s: medians differ: %v %v vs %v %v", name, gm, gci, wm, wci)
		}
	}
	check("6-MP", sixMPTimes, sixMPEvent)
	rng := rand.New(rand.NewPCG(7, 8))
	for r := range 50 {
		n := 1 + rng.IntN(300)
		times := make([]float64, n)
		event := make([]bool, n)
		for i := range times {
			times[i] = float64(rng.IntN(90))
			event[i] = rng.Float64() < 0.7
		}
		check("random "+string(rune('A'+r%26)), times, event)
	}
	// Zero-count times are dropped.
	got := KaplanMeierCounts([]float64{1, 2, 3}, []int{1, 0, 1}, []int{0, 0, 1})
	if !reflect.DeepEqual(got.Times, []float64{1, 3}) {
		t.Errorf("zero-count time kept: %v", got.Times)
	}
}

func TestKaplanMeierCountsPanics(t *testing.T) {
	tests := []struct {
		name     string
		times    []float64
		ev, cens []int
	}{
		{"length", []float64{1, 2}, []int{1}, []int{0, 0}},
		{"unsorted", []float64{2, 1}, []int{1, 1}, []int{0, 0}},
		{"duplicate", []float64{1, 1}, []int{1, 1}, []int{0, 0}},
		{"negative", []float64{1, 2}, []int{1, -1}, []int{0, 0}},
	}
	for _, tt := range tests {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tt.name)
				}
			}()
			KaplanMeierCounts(tt.times, tt.ev, tt.cens)
		}()
	}
}

// sameFloats is reflect.DeepEqual for float slices with NaN equal to NaN.
func sameFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return false
		}
	}
	return true
}
