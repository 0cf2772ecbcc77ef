package desk

import (
	"cmp"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/stat"

	"github.com/tandemhq/tandem/internal/stats"
)

// Notes shown next to figures, so the definition travels with the number.
const (
	noteWinRate = "won / (won + lost) over closed deals; open deals are not losses"
	noteCycle   = "days from created to closed of won deals; Kaplan–Meier median (no censoring: only closed won deals count)"
	noteRenewal = "accounts with subscriptions, by their first won deal here whose 12-month window has ended: share with no churn within 12 months of that deal's close"
	noteReasons = "share of lost deals citing the reason, over lost deals with at least one reason recorded"
	noteIQR     = "P25–P75 of won deals, not a confidence interval"
)

// finiteFigure makes a figure safe to serialise and to compare: a value or
// limit that cannot be estimated (NaN, ±Inf) makes the figure insufficient
// with zeros, and the interval is widened to contain the value, which
// rounding alone can break.
func finiteFigure(f Figure) Figure {
	if !finite(f.Value) || !finite(f.CILow) || !finite(f.CIHigh) {
		f.Value, f.CILow, f.CIHigh = zeroIfNaN(f.Value), zeroIfNaN(f.CILow), zeroIfNaN(f.CIHigh)
		if !finite(f.Value) {
			f.Value = 0
		}
		if !finite(f.CILow) || !finite(f.CIHigh) {
			f.CILow, f.CIHigh = f.Value, f.Value
		}
		if !f.Insufficient {
			f.Insufficient = true
			if f.Note != "" {
				f.Note += "; "
			}
			f.Note += "not estimable"
		}
	}
	f.CILow = math.Min(f.CILow, f.Value)
	f.CIHigh = math.Max(f.CIHigh, f.Value)
	return f
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

func zeroIfNaN(x float64) float64 {
	if !finite(x) {
		return 0
	}
	return x
}

// proportionFigure is k of n with its Wilson 95% interval.
func proportionFigure(label string, k, n, minN int, note string) Figure {
	f := Figure{Label: label, Unit: "proportion", N: n, Note: note, Insufficient: n < minN}
	if n > 0 {
		ci := stats.Wilson(k, n, stats.Conf95)
		f.Value, f.CILow, f.CIHigh = float64(k)/float64(n), ci.Lo, ci.Hi
	}
	return finiteFigure(f)
}

// diffFigure is k1/n1 − k0/n0 in percentage points with the Newcombe
// hybrid score 95% interval. N is the smaller side, the one that limits
// the comparison; the note gives both.
func diffFigure(label string, k1, n1, k0, n0, minN int, note string) Figure {
	f := Figure{Label: label, Unit: "pp", N: min(n1, n0), Insufficient: n1 < minN || n0 < minN}
	f.Note = fmt.Sprintf("n=%d with, n=%d without", n1, n0)
	if note != "" {
		f.Note += "; " + note
	}
	if n1 > 0 && n0 > 0 {
		ci := stats.NewcombeDiff(k1, n1, k0, n0, stats.Conf95)
		f.Value = 100 * (float64(k1)/float64(n1) - float64(k0)/float64(n0))
		f.CILow, f.CIHigh = 100*ci.Lo, 100*ci.Hi
	}
	return finiteFigure(f)
}

// cycleFigure is the Kaplan–Meier median of whole-day durations with its
// Brookmeyer–Crowley interval (stats.Survival.Median).
func cycleFigure(days []int32, minN int) Figure {
	f := Figure{Label: "median sales cycle of won deals", Unit: "days", N: len(days), Note: noteCycle, Insufficient: len(days) < minN}
	if len(days) == 0 {
		return finiteFigure(f)
	}
	sorted := slices.Clone(days)
	slices.Sort(sorted)
	var times []float64
	var events, censored []int
	for _, d := range sorted {
		if len(times) == 0 || times[len(times)-1] != float64(d) {
			times = append(times, float64(d))
			events = append(events, 0)
			censored = append(censored, 0)
		}
		events[len(events)-1]++
	}
	med, ci := stats.KaplanMeierCounts(times, events, censored).Median(stats.Conf95)
	f.Value, f.CILow, f.CIHigh = med, ci.Lo, ci.Hi
	return finiteFigure(f)
}

// bandFrom summarises values as a Band: the median (stats.Median) and the
// 25th and 75th percentiles by gonum's linear interpolation (Hyndman–Fan
// type 4), rounded to cents or hundredths of a percent.
func bandFrom(values []float64) Band {
	x := slices.DeleteFunc(slices.Clone(values), math.IsNaN)
	if len(x) == 0 {
		return Band{}
	}
	slices.Sort(x)
	r := func(v float64) float64 { return math.Round(v*100) / 100 }
	return Band{N: len(x), P25: r(stat.Quantile(0.25, stat.LinInterp, x, nil)), Median: r(stats.Median(x)), P75: r(stat.Quantile(0.75, stat.LinInterp, x, nil))}
}

// reasonFigures returns the top reasons of lost deals, each as the share of
// lost deals (with a reason recorded) citing it, most cited first.
func reasonFigures(lost [][]string, top, minN int) []Figure {
	counts := map[string]int{}
	n := 0
	for _, rs := range lost {
		if len(rs) == 0 {
			continue
		}
		n++
		for i, r := range rs {
			if !slices.Contains(rs[:i], r) {
				counts[r]++
			}
		}
	}
	type rc struct {
		r string
		c int
	}
	all := make([]rc, 0, len(counts))
	for r, c := range counts {
		all = append(all, rc{r, c})
	}
	slices.SortFunc(all, func(a, b rc) int {
		if c := cmp.Compare(b.c, a.c); c != 0 {
			return c
		}
		return cmp.Compare(a.r, b.r)
	})
	out := []Figure{}
	for _, x := range all[:min(top, len(all))] {
		out = append(out, proportionFigure("lost deals citing "+x.r, x.c, n, minN, noteReasons))
	}
	return out
}
