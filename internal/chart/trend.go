package chart

import (
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Legend layout, in viewBox units.
const (
	legendRowH   = 18
	legendSwatch = 16
	legendChars  = 24
)

// categories returns the union of the series' point labels in the order
// they are first seen, the x axis of a trend.
func categories(series []Series) []string {
	seen := make(map[string]bool)
	var cats []string
	for _, s := range series {
		for _, p := range s.Points {
			if !seen[p.Label] {
				seen[p.Label] = true
				cats = append(cats, p.Label)
			}
		}
	}
	return cats
}

// trendLine is one series placed on the categories: at[i] is the index of
// the series' point for category i, or -1 when it has none (the first
// point wins when a label repeats).
type trendLine struct {
	Series
	at []int
}

func placeSeries(series []Series, cats []string) []trendLine {
	index := make(map[string]int, len(cats))
	for i, c := range cats {
		index[c] = i
	}
	lines := make([]trendLine, len(series))
	for si, s := range series {
		at := make([]int, len(cats))
		for i := range at {
			at[i] = -1
		}
		for pi, p := range s.Points {
			if i := index[p.Label]; at[i] < 0 {
				at[i] = pi
			}
		}
		lines[si] = trendLine{Series: s, at: at}
	}
	return lines
}

// legendItem is one entry of the legend and where it goes.
type legendItem struct {
	name string
	x, y float64
}

// layoutLegend places one entry per series in rows across the width, and
// returns the entries and the height they take.
func layoutLegend(series []Series, left, right float64) ([]legendItem, float64) {
	if len(series) < 2 {
		return nil, 0
	}
	items := make([]legendItem, len(series))
	x, y := left, float64(legendRowH)
	for i, s := range series {
		name := truncate(s.Name, legendChars)
		if name == "" {
			name = "series " + strconv.Itoa(i+1)
		}
		w := legendSwatch + 6 + textWidth(name) + 16
		if x > left && x+w > right {
			x, y = left, y+legendRowH
		}
		items[i] = legendItem{name: name, x: x, y: y}
		x += w
	}
	return items, y + 6
}

func drawTrend(series []Series, opt Options) template.HTML {
	var all []Point
	for _, s := range series {
		all = append(all, s.Points...)
	}
	if !finiteAny(all) {
		return noData("trend", opt)
	}
	log := opt.Log
	e := valueExtent(all, opt.Ref, log, true)
	if log && !e.ok {
		log = false
		e = valueExtent(all, opt.Ref, log, true)
	}
	if !e.ok {
		return noData("trend", opt)
	}
	ax := newAxis(e, opt.Unit, log, false, 0, 0)
	cats := categories(series)
	lines := placeSeries(series, cats)

	w := chartWidth(opt)
	left, right := yAxisLeft(ax), w-cartRight
	legend, legendH := layoutLegend(series, left, right)
	slot := (right - left) / float64(len(cats))
	xl := layoutXLabels(cats, slot)
	if xl.rotate && xl.reach-slot/2+4 > left {
		left = xl.reach - slot/2 + 4
		slot = (right - left) / float64(len(cats))
		xl = layoutXLabels(cats, slot)
	}
	top := cartTop + legendH
	bottom := top + cartPlotH
	ax.from, ax.to = bottom, top
	h := bottom + xl.height
	xs := make([]float64, len(cats))
	for i := range cats {
		xs[i] = left + (float64(i)+0.5)*slot
	}

	title := titleOf(opt, "Trend with 95% intervals")
	var c canvas
	c.start("trend", w, h, title, describeTrend(title, series, opt))
	for i, it := range legend {
		c.group("chart-legend", it.name)
		c.line("chart-line chart-s"+strconv.Itoa(i), it.x, it.y-4, it.x+legendSwatch, it.y-4,
			` stroke="`+seriesColor(i)+`" stroke-width="2"`)
		c.text("chart-label", it.x+legendSwatch+6, it.y, "start", it.name, ` fill="`+colorInk+`"`)
		c.endGroup()
	}
	drawYAxis(&c, ax, left, right)

	// Bands first, then lines, then dots, so that no series' band covers
	// another's line.
	for si, l := range lines {
		drawBands(&c, ax, l, xs, si)
	}
	for si, l := range lines {
		cls := "chart-line chart-s" + strconv.Itoa(si)
		attrs := ` fill="none" stroke="` + seriesColor(si) + `" stroke-width="2" stroke-linejoin="round"`
		forRuns(len(cats), func(i int) bool { return l.drawable(i, ax) }, func(from, to int) {
			if to-from < 2 {
				return // a lone point is its dot
			}
			px, py := make([]float64, 0, to-from), make([]float64, 0, to-from)
			for i := from; i < to; i++ {
				px, py = append(px, xs[i]), append(py, ax.pos(l.Points[l.at[i]].Value))
			}
			c.poly("polyline", cls, px, py, attrs)
		})
	}
	drawHRef(&c, ax, opt.Ref, left, right)
	for si, l := range lines {
		for i := range cats {
			if l.at[i] < 0 {
				continue
			}
			p := l.Points[l.at[i]]
			if !ax.onScale(p.Value) {
				continue
			}
			c.group("chart-point", seriesTooltip(l.Name, p, opt.Unit))
			if p.Insufficient {
				c.circle("chart-dot chart-muted chart-s"+strconv.Itoa(si), xs[i], ax.pos(p.Value), 3,
					` fill="white" stroke="`+colorMuted+`" stroke-dasharray="2 1"`)
			} else {
				c.circle("chart-dot chart-s"+strconv.Itoa(si), xs[i], ax.pos(p.Value), 3, ` fill="`+seriesColor(si)+`"`)
			}
			c.endGroup()
		}
	}
	c.line("chart-axis", left, bottom, right, bottom, ` stroke="`+colorAxis+`"`)
	drawXLabels(&c, xl, cats, nil, nil, xs, bottom)
	return c.finish()
}

// drawable reports whether the series has a value to draw at category i:
// a point with sufficient data and a value on the axis. Others are gaps.
func (l trendLine) drawable(i int, ax axis) bool {
	if l.at[i] < 0 {
		return false
	}
	p := l.Points[l.at[i]]
	return !p.Insufficient && ax.onScale(p.Value)
}

// drawBands shades the interval of series si over each run of categories
// where it has one, and draws a whisker for a run of one.
func drawBands(c *canvas, ax axis, l trendLine, xs []float64, si int) {
	has := func(i int) bool {
		if !l.drawable(i, ax) {
			return false
		}
		p := l.Points[l.at[i]]
		lo, hi, ok := interval(p)
		return ok && !math.IsInf(lo, 0) && !math.IsInf(hi, 0)
	}
	color := seriesColor(si)
	forRuns(len(xs), has, func(from, to int) {
		if to-from == 1 {
			lo, hi, _ := interval(l.Points[l.at[from]])
			vWhisker(c, ax, lo, hi, xs[from], 6, color)
			return
		}
		var px, py []float64
		for i := from; i < to; i++ { // the upper edge left to right...
			_, hi, _ := interval(l.Points[l.at[i]])
			px, py = append(px, xs[i]), append(py, ax.pos(hi))
		}
		for i := to - 1; i >= from; i-- { // ...and the lower edge back
			lo, _, _ := interval(l.Points[l.at[i]])
			px, py = append(px, xs[i]), append(py, ax.pos(lo))
		}
		c.poly("polygon", "chart-band chart-s"+strconv.Itoa(si), px, py, ` fill="`+color+`" fill-opacity="0.15" stroke="none"`)
	})
}

// forRuns calls run(from, to) for each maximal run of indexes in [0, n)
// where ok holds.
func forRuns(n int, ok func(int) bool, run func(from, to int)) {
	from := -1
	for i := 0; i <= n; i++ {
		if i < n && ok(i) {
			if from < 0 {
				from = i
			}
			continue
		}
		if from >= 0 {
			run(from, i)
			from = -1
		}
	}
}

// seriesTooltip is a point's tooltip prefixed by its series' name.
func seriesTooltip(name string, p Point, unit string) string {
	if strings.TrimSpace(name) == "" {
		return tooltip(p, unit)
	}
	return name + " — " + tooltip(p, unit)
}

// describeTrend lists every series' points for the chart's <desc>.
func describeTrend(title string, series []Series, opt Options) string {
	var b strings.Builder
	b.WriteString(title + ": lines are estimates, shaded bands their 95% intervals.")
	for i, s := range series {
		name := s.Name
		if strings.TrimSpace(name) == "" {
			name = "series " + strconv.Itoa(i+1)
		}
		b.WriteString(" " + describe(name+":", s.Points, opt.Unit, nil))
	}
	if opt.Ref != nil && !math.IsNaN(*opt.Ref) {
		b.WriteString(" Reference line at " + valueText(opt.Unit, *opt.Ref) + ".")
	}
	return b.String()
}
