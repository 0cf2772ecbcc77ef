package chart

import (
	"fmt"
	"html/template"
	"math"
)

func drawBars(points []Point, opt Options) template.HTML {
	if !finiteAny(points) {
		return noData("bars", opt)
	}
	log := opt.Log
	e := valueExtent(points, opt.Ref, log, true)
	if log && !e.ok {
		log = false
		e = valueExtent(points, opt.Ref, log, true)
	}
	if !e.ok { // only infinite values: nothing to place on an axis
		return noData("bars", opt)
	}
	ax := newAxis(e, opt.Unit, log, !log, 0, 0)

	w := chartWidth(opt)
	labels := make([]string, len(points))
	hrefs := make([]string, len(points))
	muted := make([]bool, len(points))
	for i, p := range points {
		labels[i], hrefs[i], muted[i] = p.Label, p.Href, p.Insufficient
	}
	left, right := yAxisLeft(ax), w-cartRight
	slot := (right - left) / float64(len(points))
	xl := layoutXLabels(labels, slot)
	if xl.rotate && xl.reach-slot/2+4 > left { // the first label must not leave the picture
		left = xl.reach - slot/2 + 4
		slot = (right - left) / float64(len(points))
		xl = layoutXLabels(labels, slot)
	}
	bottom := float64(cartTop + cartPlotH)
	ax.from, ax.to = bottom, cartTop
	h := bottom + xl.height

	title := titleOf(opt, "Estimates with 95% intervals")
	var c canvas
	c.start("bars", w, h, title, describe(title+": bars are estimates, whiskers their 95% intervals.", points, opt.Unit, opt.Ref))
	drawYAxis(&c, ax, left, right)

	// Bars start at zero, or at the axis's minimum on a log axis, which
	// has no zero.
	base := ax.pos(0)
	if log {
		base = ax.from
	}
	barW := math.Min(slot*0.7, 64)
	xs := make([]float64, len(points))
	for i, p := range points {
		x := left + (float64(i)+0.5)*slot
		xs[i] = x
		c.group("chart-point", tooltip(p, opt.Unit))
		if p.Insufficient {
			// An empty outline at the value, so nothing is hidden, and a
			// note of the sample that was too small.
			top := base
			if ax.onScale(p.Value) {
				y := ax.pos(p.Value)
				top = math.Min(y, base)
				c.rect("chart-bar chart-muted", x-barW/2, top, barW, math.Abs(y-base),
					` fill="none" stroke="`+colorMuted+`" stroke-dasharray="3 2"`)
			}
			c.text("chart-label chart-muted", x, top-4, "middle", fmt.Sprintf("n=%d", p.N),
				` fill="`+colorMuted+`" font-size="10"`)
		} else {
			if ax.onScale(p.Value) {
				y := ax.pos(p.Value)
				c.rect("chart-bar", x-barW/2, math.Min(y, base), barW, math.Abs(y-base), ` fill="`+colorBar+`"`)
			}
			if lo, hi, ok := interval(p); ok {
				vWhisker(&c, ax, lo, hi, x, math.Min(barW*0.4, 12), colorCI)
			}
		}
		c.endGroup()
	}
	c.line("chart-axis", left, base, right, base, ` stroke="`+colorAxis+`"`)
	drawHRef(&c, ax, opt.Ref, left, right)
	drawXLabels(&c, xl, labels, hrefs, muted, xs, bottom)
	return c.finish()
}
