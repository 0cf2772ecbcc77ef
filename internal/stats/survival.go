package stats

import (
	"math"
	"sort"
)

// Survival is a Kaplan–Meier (1958) product-limit estimate, the estimator
// DESIGN §6 prescribes for durations such as sales cycle and time to value,
// where open deals are censored at the report date.
//
// There is one row per distinct observed time, censoring-only times
// included (as in R's survfit): Times ascending, Surv the estimate S(t)
// just after t, StdErr the Greenwood (1926) standard error of S(t)
// (S·√Σ d/(n(n−d)); NaN where S(t) = 0, where it is undefined), AtRisk the
// number under observation just before t and Events the number of events at
// t. N is the number of observations and NEvents the number of events.
type Survival struct {
	Times, Surv, StdErr []float64
	AtRisk, Events      []int
	N, NEvents          int
}

// KaplanMeier estimates the survival curve from individual observations:
// times[i] is the duration and event[i] reports whether the event happened
// (false means censored at times[i]). Censorings tied with events are
// counted as still at risk at that time, the usual convention. Observations
// with a NaN time are ignored. It panics if the slices differ in length.
func KaplanMeier(times []float64, event []bool) Survival {
	if len(times) != len(event) {
		panic("stats: KaplanMeier: times and event differ in length")
	}
	type obs struct {
		t float64
		e bool
	}
	o := make([]obs, 0, len(times))
	for i, t := range times {
		if !math.IsNaN(t) {
			o = append(o, obs{t, event[i]})
		}
	}
	sort.Slice(o, func(a, b int) bool { return o[a].t < o[b].t })
	var ts []float64
	var ev, ce []int
	for _, x := range o {
		if len(ts) == 0 || ts[len(ts)-1] != x.t {
			ts = append(ts, x.t)
			ev = append(ev, 0)
			ce = append(ce, 0)
		}
		if x.e {
			ev[len(ev)-1]++
		} else {
			ce[len(ce)-1]++
		}
	}
	return KaplanMeierCounts(ts, ev, ce)
}

// KaplanMeierCounts estimates the survival curve from pre-aggregated data:
// distinct times sorted ascending with the number of events and of
// censorings at each. It is the fast path for integer-day durations, where a
// report over many deals has only a few hundred distinct times, and gives
// exactly the result of KaplanMeier on the expanded observations. Times with
// neither events nor censorings are dropped. It panics if the slices differ
// in length, a count is negative or times are not strictly increasing.
func KaplanMeierCounts(times []float64, events, censored []int) Survival {
	if len(times) != len(events) || len(times) != len(censored) {
		panic("stats: KaplanMeierCounts: slices differ in length")
	}
	var s Survival
	for i := range times {
		if events[i] < 0 || censored[i] < 0 {
			panic("stats: KaplanMeierCounts: negative count")
		}
		if i > 0 && !(times[i] > times[i-1]) {
			panic("stats: KaplanMeierCounts: times not strictly increasing")
		}
		s.N += events[i] + censored[i]
		s.NEvents += events[i]
	}
	atRisk := s.N
	surv, greenwood := 1.0, 0.0
	for i, t := range times {
		d, c := events[i], censored[i]
		if d+c == 0 {
			continue
		}
		if d > 0 {
			surv *= 1 - float64(d)/float64(atRisk)
			if d < atRisk {
				greenwood += float64(d) / (float64(atRisk) * float64(atRisk-d))
			} else {
				surv, greenwood = 0, math.Inf(1)
			}
		}
		se := surv * math.Sqrt(greenwood)
		if surv == 0 {
			se = math.NaN()
		}
		s.Times = append(s.Times, t)
		s.Surv = append(s.Surv, surv)
		s.StdErr = append(s.StdErr, se)
		s.AtRisk = append(s.AtRisk, atRisk)
		s.Events = append(s.Events, d)
		atRisk -= d + c
	}
	return s
}

// Median returns the Kaplan–Meier median survival time and its confidence
// interval exactly as R prints them for survfit(...) with the default
// conf.type = "log" (survival package, print.survfit → survmean):
//
//   - the median is the first time S(t) <= 0.5; if S(t) equals 0.5 (within
//     √ε) there, it is the midpoint between that time and the first later
//     time where S drops below 0.5 (R's rule for a flat stretch at 0.5; if
//     the curve never drops below, the start of the stretch);
//   - the limits apply the same rule to the pointwise bands
//     exp(log S ∓ z·σ) (upper capped at 1), σ² = Σ d/(n(n−d)) the Greenwood
//     variance of log S: the lower limit is the first time the lower band
//     reaches 0.5, the upper limit the first time the upper band does. This
//     inverts the pointwise test, as Brookmeyer & Crowley (1982, Biometrics
//     38:29–41) proposed.
//
// (R's quantile.survfit differs from the printed figures in two corner
// cases: a curve ending on a flat stretch at 0.5, and a band that is not
// monotone; Median follows the printed figures.)
//
// med is NaN when S never drops to 0.5 (the median is not reached);
// ci.Hi is +Inf when the upper band does not (R prints NA); ci.Lo is NaN
// when the lower band does not, or is undefined because S reaches 0.
func (s Survival) Median(conf float64) (med float64, ci Interval) {
	z := Z(conf)
	n := len(s.Times)
	lower := make([]float64, n)
	upper := make([]float64, n)
	var greenwood float64
	for i := range n {
		d, r := s.Events[i], s.AtRisk[i]
		if d > 0 {
			if d < r {
				greenwood += float64(d) / (float64(r) * float64(r-d))
			} else {
				greenwood = math.Inf(1)
			}
		}
		sv := s.Surv[i]
		if sv == 0 || math.IsNaN(z) {
			lower[i], upper[i] = math.NaN(), math.NaN() // R: NA where S = 0
			continue
		}
		sig := z * math.Sqrt(greenwood)
		lower[i] = math.Exp(math.Log(sv) - sig)
		upper[i] = math.Min(1, math.Exp(math.Log(sv)+sig))
	}
	med = firstHalf(s.Times, s.Surv)
	ci = Interval{firstHalf(s.Times, lower), firstHalf(s.Times, upper)}
	if math.IsNaN(ci.Hi) {
		ci.Hi = math.Inf(1)
	}
	return med, ci
}

// firstHalf is the minmin helper of R's survmean (print.survfit.R): the
// first time x at which the nonincreasing curve y (NaN where undefined) is
// at or below 0.5 within √ε, averaged with the first later time where y is
// lower still if y equals 0.5 there. It returns NaN where R returns NA.
func firstHalf(x, y []float64) float64 {
	tol := math.Sqrt(0x1p-52) // R: .Machine$double.eps^.5
	for i, v := range y {
		if math.IsNaN(v) || !(v < 0.5+tol) {
			continue
		}
		if math.Abs(v-0.5) < tol {
			for j := i + 1; j < len(y); j++ {
				if y[j] < v {
					return (x[i] + x[j]) / 2
				}
			}
		}
		return x[i]
	}
	return math.NaN()
}
