package chart

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// tickLabels formats an axis's ticks in unit, compactly since they share a
// narrow axis: proportions as "40%", differences (of proportions) as
// "+5 pp", ratios as "1.5×", money as "$12k" or "$1.2M", days as "30 d",
// months as "6 mo", counts as "1,200". On a linear axis labels get the
// decimals the step needs, so neighbouring ticks never print alike.
func tickLabels(unit string, ticks []float64, log bool) []string {
	step := 0.0
	if !log && len(ticks) > 1 {
		step = ticks[1] - ticks[0]
	}
	out := make([]string, len(ticks))
	if unit == "money" {
		// One divisor for a linear axis so its labels read alike, reduced
		// while the step would need more than two decimals in it ($1,025k
		// rather than $1.025M); per tick on a log axis, whose ticks span
		// magnitudes ($100, $1k, $10k).
		maxAbs := 0.0
		for _, t := range ticks {
			maxAbs = math.Max(maxAbs, math.Abs(t))
		}
		div := moneyDivisor(maxAbs)
		for div > 1 && decimals(step/div) > 2 {
			div /= 1000
		}
		for i, t := range ticks {
			if log {
				d := moneyDivisor(math.Abs(t))
				out[i] = moneyLabel(t, d, min(decimals(t/d), 2))
				continue
			}
			out[i] = moneyLabel(t, div, min(decimals(step/div), 2))
		}
		return out
	}
	scale := 1.0
	if unit == "proportion" || unit == "difference" {
		scale = 100
	}
	for i, t := range ticks {
		d := decimals(step * scale)
		if log {
			d = decimals(t * scale)
		}
		s := trimZeros(fixed(t*scale, d))
		switch unit {
		case "proportion":
			s += "%"
		case "difference":
			if t > 0 {
				s = "+" + s
			}
			s += " pp"
		case "ratio":
			s += "×"
		case "days":
			s += " d"
		case "months":
			s += " mo"
		case "count":
			s = group(s)
		}
		out[i] = s
	}
	return out
}

// decimals returns how many decimals print x exactly, at most 6 (which
// then means "6 or more"; only rates are that small).
func decimals(x float64) int {
	x = math.Abs(x)
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	for d := range 6 {
		y := x * math.Pow(10, float64(d))
		if math.Abs(y-math.Round(y)) < 1e-6*math.Max(y, 1) {
			return d
		}
	}
	return 6
}

// fixed prints v with d decimals, without a "-0".
func fixed(v float64, d int) string {
	s := strconv.FormatFloat(v, 'f', d, 64)
	if strings.Trim(s, "-0.") == "" {
		return strings.TrimPrefix(s, "-")
	}
	return s
}

// trimZeros drops trailing zeros of decimals, and the point with them:
// compact tick labels ("$1M", "$1.25M") that still differ from each other.
func trimZeros(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// group puts thousands separators in the integer part of a printed number.
func group(s string) string {
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	frac := ""
	if i := strings.IndexByte(s, '.'); i >= 0 {
		s, frac = s[:i], s[i:]
	}
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return sign + b.String() + frac
}

// moneyDivisor returns the largest of 1, a thousand, a million... not
// above v.
func moneyDivisor(v float64) float64 {
	for _, d := range []float64{1e12, 1e9, 1e6, 1e3} {
		if v >= d {
			return d
		}
	}
	return 1
}

// moneyLabel prints v in units of div ("$1.2M"), d decimals.
func moneyLabel(v, div float64, d int) string {
	suffix := ""
	switch div {
	case 1e12:
		suffix = "T"
	case 1e9:
		suffix = "B"
	case 1e6:
		suffix = "M"
	case 1e3:
		suffix = "k"
	}
	s := group(trimZeros(fixed(math.Abs(v)/div, d)))
	if s == "0" {
		return "$0" // not "$0M"
	}
	if v < 0 {
		return "-$" + s + suffix
	}
	return "$" + s + suffix
}

// valueText prints a figure in unit for tooltips when a point carries no
// Text of its own, with the precision of Tandem's tables.
func valueText(unit string, v float64) string {
	switch {
	case math.IsNaN(v):
		return "–"
	case math.IsInf(v, 1):
		return "∞"
	case math.IsInf(v, -1):
		return "-∞"
	}
	switch unit {
	case "proportion":
		return fixed(100*v, 1) + "%"
	case "difference":
		s := fixed(100*v, 1)
		if !strings.HasPrefix(s, "-") && strings.Trim(s, "0.") != "" {
			s = "+" + s
		}
		return s + " pp"
	case "money":
		return moneyLabel(v, 1, 0)
	case "ratio":
		return fixed(v, 2) + "×"
	case "days":
		return fixed(v, 0) + " d"
	case "count":
		return group(fixed(v, 0))
	case "months":
		return fixed(v, 1) + " mo"
	case "rate":
		return fixed(v, 3)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// pointText is the figure of p as people read it: its Text, or else its
// value and interval printed in unit.
func pointText(p Point, unit string) string {
	if strings.TrimSpace(p.Text) != "" {
		return p.Text
	}
	if p.Insufficient {
		return fmt.Sprintf("insufficient data (n=%d)", p.N)
	}
	if math.IsNaN(p.Value) && (math.IsNaN(p.Low) || math.IsNaN(p.High)) {
		return "no estimate"
	}
	s := valueText(unit, p.Value)
	if !math.IsNaN(p.Low) && !math.IsNaN(p.High) {
		s += " [" + valueText(unit, p.Low) + ", " + valueText(unit, p.High) + "]"
	}
	return s
}

// tooltip is "label: text, n=…", the hover text and the description of a
// point; n is left out when the text already says it (as Tandem's
// formatted estimates do).
func tooltip(p Point, unit string) string {
	s := pointText(p, unit)
	if !strings.Contains(s, "n=") {
		s += fmt.Sprintf(", n=%d", p.N)
	}
	if label := strings.TrimSpace(p.Label); label != "" {
		s = label + ": " + s
	}
	return s
}

// describe lists the points for a chart's <desc>, so that a screen reader
// gets every figure the picture shows.
func describe(intro string, points []Point, unit string, ref *float64) string {
	var b strings.Builder
	b.WriteString(intro)
	if ref != nil && !math.IsNaN(*ref) {
		fmt.Fprintf(&b, " Reference line at %s.", valueText(unit, *ref))
	}
	for i, p := range points {
		if i == 0 {
			b.WriteString(" ")
		} else {
			b.WriteString("; ")
		}
		b.WriteString(tooltip(p, unit))
	}
	if len(points) > 0 {
		b.WriteString(".")
	}
	return b.String()
}
