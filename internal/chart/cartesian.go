package chart

import "math"

// Layout shared by the charts with categories along x and values along y
// (bars and trends), in viewBox units.
const (
	cartTop    = 18  // room for an "n=…" note above the tallest bar
	cartPlotH  = 220 // the plot's height, whatever the number of points
	cartRight  = 12
	cartMinL   = 40 // the narrowest y-axis label column
	cartLabelY = 16 // baseline of horizontal x labels below the plot
	// rotatedGap is the horizontal distance between categories below which
	// labels are rotated by 45°, and rotatedPitch the one rotated labels
	// need not to overlap; closer categories get every k-th label.
	rotatedPitch  = 17
	rotatedChars  = 16
	horizontalMin = 6 // fewer characters than this per label: rotate
)

// xLabels is how category labels fit below a plot.
type xLabels struct {
	rotate   bool
	maxChars int
	every    int     // label every k-th category
	height   float64 // below the plot
	reach    float64 // how far a rotated label reaches left of its category
}

// layoutXLabels fits labels to categories slot apart: horizontal and
// truncated when a readable part fits, otherwise rotated by 45°, and
// thinned when even rotated labels would overlap.
func layoutXLabels(labels []string, slot float64) xLabels {
	longest := 0
	for _, l := range labels {
		longest = max(longest, len([]rune(l)))
	}
	fit := int((slot - 4) / charWidth)
	if fit >= longest || fit >= horizontalMin {
		return xLabels{maxChars: max(fit, 1), every: 1, height: cartLabelY + 8}
	}
	n := min(longest, rotatedChars)
	reach := float64(n) * charWidth * math.Sqrt2 / 2
	return xLabels{rotate: true, maxChars: rotatedChars, every: int(math.Ceil(rotatedPitch / slot)),
		height: reach + 20, reach: reach}
}

// drawXLabels writes the labels of categories at xs below the plot's
// bottom edge; hrefs, when not nil, link them.
func drawXLabels(c *canvas, l xLabels, labels, hrefs []string, muted []bool, xs []float64, bottom float64) {
	for i, s := range labels {
		if i%l.every != 0 {
			continue
		}
		class, fill := "chart-label", colorInk
		if muted != nil && muted[i] {
			class, fill = "chart-label chart-muted", colorMuted
		}
		href := ""
		if hrefs != nil {
			href = hrefs[i]
		}
		c.link(href, func() {
			if !l.rotate {
				c.text(class, xs[i], bottom+cartLabelY, "middle", truncate(s, l.maxChars), ` fill="`+fill+`"`)
				return
			}
			x, y := xs[i], bottom+12
			c.text(class, x, y, "end", truncate(s, l.maxChars),
				` fill="`+fill+`" transform="rotate(-45 `+num(x)+` `+num(y)+`)"`)
		})
	}
}

// drawYAxis writes the horizontal grid lines and tick labels of ax and the
// vertical axis line at left.
func drawYAxis(c *canvas, ax axis, left, right float64) {
	for i, t := range ax.ticks {
		y := ax.pos(t)
		c.line("chart-grid", left, y, right, y, ` stroke="`+colorGrid+`"`)
		c.text("chart-label chart-tick", left-6, y+4, "end", ax.labels[i], ` fill="`+colorMuted+`"`)
	}
	c.line("chart-axis", left, ax.to, left, ax.from, ` stroke="`+colorAxis+`"`)
}

// drawHRef writes the horizontal reference line at ref, over the marks so
// that it stays visible across bars and bands.
func drawHRef(c *canvas, ax axis, ref *float64, left, right float64) {
	if ref != nil && ax.onScale(*ref) {
		y := ax.pos(*ref)
		c.line("chart-ref", left, y, right, y, ` stroke="`+colorMuted+`" stroke-dasharray="4 3"`)
	}
}

// yAxisLeft returns the x of the y axis: room for its widest tick label.
func yAxisLeft(ax axis) float64 {
	w := 0.0
	for _, l := range ax.labels {
		w = math.Max(w, textWidth(l))
	}
	return math.Max(cartMinL, w+10)
}

// vWhisker draws an interval from lo to hi as a vertical line at x with
// caps, or arrows where a limit lies beyond the axis.
func vWhisker(c *canvas, ax axis, lo, hi, x, capW float64, color string) {
	if !ax.onScale(lo) && !ax.onScale(hi) && ax.pos(lo) == ax.pos(hi) {
		return
	}
	stroke := ` stroke="` + color + `" stroke-width="1.5"`
	yTop, yBot := ax.pos(hi), ax.pos(lo)
	c.line("chart-ci", x, yTop, x, yBot, stroke)
	for _, end := range []struct {
		v, y, dir float64
	}{{hi, yTop, -1}, {lo, yBot, 1}} {
		if ax.onScale(end.v) {
			c.line("chart-ci chart-cap", x-capW/2, end.y, x+capW/2, end.y, stroke)
		} else {
			c.arrow("chart-ci chart-open", x, end.y, 0, end.dir, ` fill="`+color+`"`)
		}
	}
}
