package chart

import (
	"fmt"
	"html/template"
	"math"
)

// Layout of a forest plot, in viewBox units.
const (
	ivTop    = 8  // above the first row
	ivRowH   = 24 // one row per point, tall enough for a label and a cap
	ivAxisH  = 30 // tick marks and labels below the rows
	ivRight  = 24 // half a tick label past the plot's right edge
	ivDotR   = 4
	ivCapH   = 8
	ivGutter = 12 // between the labels and the plot
)

// finiteAny reports whether any point has a number to draw.
func finiteAny(points []Point) bool {
	for _, p := range points {
		for _, v := range []float64{p.Value, p.Low, p.High} {
			if !math.IsNaN(v) && !math.IsInf(v, 0) {
				return true
			}
		}
	}
	return false
}

// valueExtent returns the range an axis must cover: the values and
// intervals of points with sufficient data, the values alone of the others
// when withInsufficient (bars and trends draw them muted; a forest plot
// draws only a note), and the reference line.
func valueExtent(points []Point, ref *float64, log, withInsufficient bool) extent {
	var e extent
	for _, p := range points {
		if p.Insufficient {
			if withInsufficient {
				e.add(p.Value, log)
			}
			continue
		}
		e.add(p.Value, log)
		e.add(p.Low, log)
		e.add(p.High, log)
	}
	if ref != nil {
		e.add(*ref, log)
	}
	return e
}

// interval returns p's interval ordered low to high, and whether it has
// one: both limits must be known (an infinite limit is known: not reached).
func interval(p Point) (lo, hi float64, ok bool) {
	if math.IsNaN(p.Low) || math.IsNaN(p.High) {
		return 0, 0, false
	}
	lo, hi = p.Low, p.High
	if lo > hi {
		lo, hi = hi, lo
	}
	return lo, hi, true
}

func drawIntervals(points []Point, opt Options) template.HTML {
	if !finiteAny(points) {
		return noData("intervals", opt)
	}
	log := opt.Log
	e := valueExtent(points, opt.Ref, log, false)
	if log && !e.ok { // nothing positive: a log axis cannot show it
		log = false
		e = valueExtent(points, opt.Ref, log, false)
	}

	w := chartWidth(opt)
	labelW := math.Min(math.Max(w*0.3, 72), 240)
	left, right := labelW+ivGutter, w-ivRight
	bottom := float64(ivTop + len(points)*ivRowH)
	h := bottom + ivAxisH
	maxChars := int(labelW / charWidth)

	var ax axis
	if e.ok {
		ax = newAxis(e, opt.Unit, log, false, left, right)
	}
	title := titleOf(opt, "Estimates with 95% intervals")
	var c canvas
	c.start("intervals", w, h, title, describe(title+": dots are estimates, lines their 95% intervals.", points, opt.Unit, opt.Ref))

	if e.ok {
		for i, t := range ax.ticks {
			x := ax.pos(t)
			c.line("chart-grid", x, ivTop, x, bottom, ` stroke="`+colorGrid+`"`)
			c.line("chart-axis chart-tick", x, bottom, x, bottom+4, ` stroke="`+colorAxis+`"`)
			c.text("chart-label chart-tick", x, bottom+17, "middle", ax.labels[i], ` fill="`+colorMuted+`"`)
		}
		c.line("chart-axis", left, bottom, right, bottom, ` stroke="`+colorAxis+`"`)
		if opt.Ref != nil && ax.onScale(*opt.Ref) {
			x := ax.pos(*opt.Ref)
			c.line("chart-ref", x, ivTop, x, bottom, ` stroke="`+colorMuted+`" stroke-dasharray="4 3"`)
		}
	}

	for i, p := range points {
		cy := float64(ivTop) + (float64(i)+0.5)*ivRowH
		class, fill := "chart-label", colorInk
		if p.Insufficient {
			class, fill = "chart-label chart-muted", colorMuted
		}
		c.group("chart-point", tooltip(p, opt.Unit))
		c.link(p.Href, func() {
			c.text(class, labelW, cy+4, "end", truncate(p.Label, maxChars), ` fill="`+fill+`"`)
		})
		switch {
		case p.Insufficient:
			c.text("chart-label chart-muted", left+4, cy+4, "start", fmt.Sprintf("insufficient data (n=%d)", p.N),
				` fill="`+colorMuted+`" font-style="italic"`)
		case !e.ok:
		default:
			drawn := ivWhisker(&c, ax, p, cy)
			if ax.onScale(p.Value) {
				c.circle("chart-dot", ax.pos(p.Value), cy, ivDotR, ` fill="`+colorMark+`"`)
				drawn = true
			}
			if !drawn {
				c.text("chart-label chart-muted", left+4, cy+4, "start", "no estimate", ` fill="`+colorMuted+`" font-style="italic"`)
			}
		}
		c.endGroup()
	}
	return c.finish()
}

// ivWhisker draws p's interval as a horizontal line at cy with end caps, or
// arrows where a limit lies beyond the axis, and reports whether it drew.
func ivWhisker(c *canvas, ax axis, p Point, cy float64) bool {
	lo, hi, ok := interval(p)
	if !ok || (!ax.onScale(lo) && !ax.onScale(hi) && ax.pos(lo) == ax.pos(hi)) {
		return false
	}
	const stroke = ` stroke="` + colorMark + `" stroke-width="1.5"`
	x1, x2 := ax.pos(lo), ax.pos(hi)
	c.line("chart-ci", x1, cy, x2, cy, stroke)
	for _, end := range []struct {
		v, x, dir float64
	}{{lo, x1, -1}, {hi, x2, 1}} {
		if ax.onScale(end.v) {
			c.line("chart-ci chart-cap", end.x, cy-ivCapH/2, end.x, cy+ivCapH/2, stroke)
		} else {
			c.arrow("chart-ci chart-open", end.x, cy, end.dir, 0, ` fill="`+colorMark+`"`)
		}
	}
	return true
}
