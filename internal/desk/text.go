package desk

import (
	"fmt"
	"math"
	"strconv"

	"github.com/tandemhq/tandem/internal/analytics"
)

// FigureText renders a figure as every interface shows it: "value [low,
// high] n=N", or "insufficient data (n=N)" below its minimum sample; never
// a bare number.
func FigureText(f Figure) string {
	if f.Insufficient {
		return fmt.Sprintf("insufficient data (n=%d)", f.N)
	}
	s := UnitText(f.Unit, f.Value)
	if f.CILow != f.Value || f.CIHigh != f.Value {
		s += " [" + UnitText(f.Unit, f.CILow) + ", " + UnitText(f.Unit, f.CIHigh) + "]"
	}
	return s + " n=" + strconv.Itoa(f.N)
}

// UnitText renders one number of a figure in its unit. A "pp" figure is
// already in percentage points, a "percent" one in percent.
func UnitText(unit string, v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	switch unit {
	case "proportion", "money", "days":
		return analytics.FormatNumber(unit, v)
	case "pp":
		return fmt.Sprintf("%+.1f pp", v)
	case "percent":
		return strconv.FormatFloat(v, 'f', 1, 64) + "%"
	case "hours":
		return strconv.FormatFloat(v, 'f', 0, 64) + " h"
	case "count":
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', 4, 64)
}
