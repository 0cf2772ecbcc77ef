package analytics

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
)

// FormatNumber renders a figure for people in its unit: proportions as
// percentages, differences in percentage points, money with thousands
// separators, ratios as ×1.12, days and counts as whole numbers.
func FormatNumber(unit string, v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	if math.IsInf(v, 1) {
		return "not reached"
	}
	switch unit {
	case "proportion":
		return strconv.FormatFloat(100*v, 'f', 1, 64) + "%"
	case "difference":
		return fmt.Sprintf("%+.1f pp", 100*v)
	case "money":
		return thousands(v)
	case "ratio":
		return "×" + strconv.FormatFloat(v, 'f', 2, 64)
	case "days":
		return strconv.FormatFloat(v, 'f', 0, 64) + " d"
	case "count":
		return strconv.FormatFloat(v, 'f', 0, 64)
	case "months":
		return strconv.FormatFloat(v, 'f', 1, 64) + " mo"
	case "rate":
		return strconv.FormatFloat(v, 'f', 3, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}

// FormatEstimate renders "value [low, high] n=…", or "insufficient data
// (n=…)" below the minimum sample, with the value still shown so nothing is
// hidden.
func FormatEstimate(unit string, e tandem.Estimate) string {
	var b strings.Builder
	if e.Insufficient {
		fmt.Fprintf(&b, "insufficient data (n=%d): ", e.N)
	}
	b.WriteString(FormatNumber(unit, e.Value))
	if unit != "count" && !(math.IsNaN(e.CILow) && math.IsNaN(e.CIHigh)) && !(e.CILow == e.Value && e.CIHigh == e.Value) {
		hi := FormatNumber(unit, e.CIHigh)
		if math.IsNaN(e.CIHigh) {
			hi = "–"
		}
		fmt.Fprintf(&b, " [%s, %s]", FormatNumber(unit, e.CILow), hi)
	}
	if !e.Insufficient && unit != "count" {
		fmt.Fprintf(&b, " n=%d", e.N)
	}
	if !math.IsNaN(e.Q) {
		fmt.Fprintf(&b, " q=%.3g", e.Q)
	} else if !math.IsNaN(e.P) {
		fmt.Fprintf(&b, " p=%.3g", e.P)
	}
	return b.String()
}

func thousands(v float64) string {
	s := strconv.FormatFloat(math.Abs(v), 'f', 0, 64)
	var b strings.Builder
	if v < 0 {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
