package chart

import "math"

// maxMagnitude bounds the values placed on an axis. No Tandem figure comes
// near it; values beyond it are drawn at the plot's edge as open ends, and
// the bound keeps tick arithmetic far from overflow and precision loss.
const maxMagnitude = 1e15

// extent is the range of the values a chart must show.
type extent struct {
	lo, hi float64
	ok     bool
}

// add widens e to v when v can be placed on the axis: finite, and
// positive on a log axis.
func (e *extent) add(v float64, log bool) {
	if math.IsNaN(v) || math.IsInf(v, 0) || (log && v <= 0) {
		return
	}
	if log {
		v = math.Min(math.Max(v, 1/maxMagnitude), maxMagnitude)
	} else {
		v = math.Min(math.Max(v, -maxMagnitude), maxMagnitude)
	}
	if !e.ok {
		e.lo, e.hi, e.ok = v, v, true
		return
	}
	e.lo = math.Min(e.lo, v)
	e.hi = math.Max(e.hi, v)
}

// axis maps values to pixels along one direction of a plot.
type axis struct {
	lo, hi   float64 // the domain: the first and the last tick
	log      bool
	from, to float64 // pixels of lo and hi (to < from for a vertical axis)
	ticks    []float64
	labels   []string
}

// newAxis returns an axis over e padded by 5%, widened to nice ticks
// formatted by unit. fromZero includes 0 in a linear domain (bars start
// there).
func newAxis(e extent, unit string, log, fromZero bool, from, to float64) axis {
	var ticks []float64
	if log {
		lo, hi := padLog(e.lo, e.hi)
		ticks = logTicks(lo, hi)
	} else {
		if fromZero {
			e.lo, e.hi = math.Min(e.lo, 0), math.Max(e.hi, 0)
		}
		lo, hi := padLinear(e.lo, e.hi, unit)
		ticks = linearTicks(lo, hi, unit == "count")
	}
	return axis{lo: ticks[0], hi: ticks[len(ticks)-1], log: log, from: from, to: to,
		ticks: ticks, labels: tickLabels(unit, ticks, log)}
}

// padLinear widens [lo, hi] by 5% on each side so that no mark sits on
// the plot's border, without crossing 0 (nor 1 for proportions) when the
// data does not, since an axis reaching -5% reads as a possible value. A
// single value gets a range around it.
func padLinear(lo, hi float64, unit string) (float64, float64) {
	origLo, origHi := lo, hi
	span := hi - lo
	if span <= 1e-9*math.Max(math.Abs(lo), math.Abs(hi)) || span == 0 {
		half := math.Abs((lo+hi)/2) * 0.1
		if half == 0 {
			half = 1
			switch unit {
			case "proportion", "difference", "ratio", "rate":
				half = 0.05
			}
		}
		lo, hi = lo-half, hi+half
	} else {
		lo, hi = lo-span*0.05, hi+span*0.05
	}
	if origLo >= 0 && lo < 0 {
		lo = 0
	}
	if origHi <= 0 && hi > 0 {
		hi = 0
	}
	if unit == "proportion" {
		if origHi <= 1 && hi > 1 {
			hi = 1
		}
		if origLo >= 1 && lo < 1 {
			lo = 1
		}
	}
	if hi <= lo { // only when clamping met a degenerate range at 0 or 1
		hi = lo + 1
		if unit == "proportion" || unit == "difference" {
			hi = lo + 0.1
		}
	}
	return lo, hi
}

// padLog pads [lo, hi] by 5% of its width in log space; a single value
// gets a range of ×1.25 around it.
func padLog(lo, hi float64) (float64, float64) {
	l, h := math.Log(lo), math.Log(hi)
	if h-l < 1e-9 {
		return lo / 1.25, hi * 1.25
	}
	pad := (h - l) * 0.05
	return math.Exp(l - pad), math.Exp(h + pad)
}

// tickScore ranks candidate tick sets, lowest best: 4 to 6 ticks, and
// among those the set that stretches the data's range least (stretch is
// the ticks' range over the data's).
func tickScore(n int, stretch float64) float64 {
	s := stretch - 1 + 0.1*math.Abs(float64(n-5))
	if n < 4 || n > 6 {
		s += 10
	}
	return s
}

// linearTicks returns 4 to 6 evenly spaced ticks at multiples of 1, 2, 2.5
// or 5 times a power of ten, the first at or below lo and the last at or
// above hi. integer keeps steps whole (counts), which may leave fewer
// candidates; the set is then extended to 4 ticks.
func linearTicks(lo, hi float64, integer bool) []float64 {
	span := hi - lo
	base := math.Pow(10, math.Floor(math.Log10(span/5)))
	var best []float64
	bestScore := math.Inf(1)
	for _, f := range []float64{0.1, 1, 10} {
		for _, m := range []float64{1, 2, 2.5, 5} {
			step := m * base * f
			if integer && (step < 1 || step != math.Round(step)) {
				continue
			}
			ticks := stepTicks(lo, hi, step)
			if ticks == nil {
				continue
			}
			if s := tickScore(len(ticks), (ticks[len(ticks)-1]-ticks[0])/span); s < bestScore {
				best, bestScore = ticks, s
			}
		}
	}
	if best == nil && integer {
		best = stepTicks(lo, hi, math.Max(1, math.Ceil(span/5)))
	}
	if best == nil {
		return []float64{lo, hi}
	}
	// Whole steps over a short range give too few ticks: extend upwards,
	// or downwards where the range ends at zero.
	for step := best[1] - best[0]; len(best) < 4; {
		if best[0] > 0 && best[0]-step >= 0 || best[0] <= 0 && best[len(best)-1] <= 0 {
			best = append([]float64{best[0] - step}, best...)
		} else {
			best = append(best, best[len(best)-1]+step)
		}
	}
	return best
}

// stepTicks returns the multiples of step from the last at or below lo to
// the first at or above hi, or nil when there would be too many to draw.
func stepTicks(lo, hi, step float64) []float64 {
	i0 := math.Floor(lo/step + 1e-9)
	i1 := math.Ceil(hi/step - 1e-9)
	if !(i1-i0 >= 1 && i1-i0 <= 50) {
		return nil
	}
	n := int(i1-i0) + 1
	ticks := make([]float64, 0, n)
	for k := range n {
		t := (i0 + float64(k)) * step
		if math.Abs(t) < step*1e-9 {
			t = 0 // not 1e-17 or -0
		}
		ticks = append(ticks, t)
	}
	return ticks
}

// logTicks returns 4 to 6 ticks for a log axis over [lo, hi] (lo > 0) at
// nice ratios: powers of 2 (0.5, 1, 2, 4) or of 10, possibly every m-th,
// the 1–2–5 or 1–3 series of each decade, or, over a range narrower than
// ×4, evenly spaced values (0.8, 0.9, 1, 1.1).
func logTicks(lo, hi float64) []float64 {
	var best []float64
	bestScore := math.Inf(1)
	span := math.Log(hi / lo)
	try := func(ticks []float64) {
		n := len(ticks)
		if n < 2 || ticks[0] <= 0 || ticks[0] > lo*(1+1e-6) || ticks[n-1] < hi*(1-1e-6) {
			return
		}
		if s := tickScore(n, math.Log(ticks[n-1]/ticks[0])/span); s < bestScore {
			best, bestScore = ticks, s
		}
	}
	for _, b := range []float64{2, 10} {
		for m := 1; m <= 200; m++ {
			k0 := math.Floor(math.Log(lo)/math.Log(b)/float64(m) + 1e-9)
			k1 := math.Ceil(math.Log(hi)/math.Log(b)/float64(m) - 1e-9)
			if k1-k0 > 12 {
				continue
			}
			var ticks []float64
			for k := k0; k <= k1; k++ {
				ticks = append(ticks, math.Pow(b, k*float64(m)))
			}
			try(ticks)
			if k1-k0 < 3 {
				break // wider strides only give fewer ticks
			}
		}
	}
	d0, d1 := math.Floor(math.Log10(lo)), math.Ceil(math.Log10(hi))
	if d1-d0 <= 4 {
		for _, mant := range [][]float64{{1, 2, 5}, {1, 3}} {
			var ticks []float64
			for d := d0; d <= d1; d++ {
				for _, m := range mant {
					v := m * math.Pow(10, d)
					switch {
					case v <= lo*(1+1e-9):
						ticks = append(ticks[:0], v) // the last at or below lo starts the set
					case len(ticks) == 0 || ticks[len(ticks)-1] < hi*(1-1e-9):
						ticks = append(ticks, v)
					}
				}
			}
			try(ticks)
		}
	}
	if hi/lo < 4 {
		try(linearTicks(lo, hi, false))
	}
	if best == nil {
		return []float64{lo, hi}
	}
	return best
}

// frac returns where v lies along the axis, 0 at lo and 1 at hi, clamped
// to [0, 1]: values beyond the axis (infinite limits) sit at its edge.
func (a axis) frac(v float64) float64 {
	switch {
	case math.IsNaN(v), math.IsInf(v, -1), a.log && v <= 0:
		return 0
	case math.IsInf(v, 1):
		return 1
	}
	var t float64
	if a.log {
		t = math.Log(v/a.lo) / math.Log(a.hi/a.lo)
	} else {
		t = (v - a.lo) / (a.hi - a.lo)
	}
	if math.IsNaN(t) {
		return 0
	}
	return math.Min(math.Max(t, 0), 1)
}

// pos returns the pixel of v.
func (a axis) pos(v float64) float64 {
	return a.from + a.frac(v)*(a.to-a.from)
}

// onScale reports whether v lies on the axis; an interval limit that does
// not is drawn as an open end (an arrow) rather than a cap.
func (a axis) onScale(v float64) bool {
	if math.IsNaN(v) || math.IsInf(v, 0) || (a.log && v <= 0) {
		return false
	}
	tol := 1e-9 * math.Max(math.Abs(a.lo), math.Abs(a.hi))
	return v >= a.lo-tol && v <= a.hi+tol
}
