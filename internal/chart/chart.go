// Package chart draws Tandem's charts as inline SVG, rendered in Go on the
// server: point estimates with their 95% intervals as error bars, bars, and
// trends with an interval band. See README (Web app → Charts) for why SVG
// in Go rather than a JavaScript library.
//
// The markup inlines under a strict Content-Security-Policy: no scripts,
// event handlers or style attributes, only presentation attributes (so a
// chart reads well without CSS) and classes a stylesheet can override:
// chart-bar, chart-ci, chart-dot, chart-ref, chart-axis, chart-grid,
// chart-label, chart-muted, chart-band, chart-line, and chart-s0, chart-s1…
// for the series of a trend. Caller text is escaped; the same input always
// gives the same bytes.
package chart

import "html/template"

// Point is one estimate to draw: its label, value and interval, its sample
// size, and whether it is below the minimum sample (drawn muted, without a
// bar, labelled "insufficient data").
type Point struct {
	Label        string
	Value        float64 // NaN: nothing to draw
	Low, High    float64 // NaN: no interval
	N            int
	Insufficient bool
	// Text is the figure as printed in tables (with its unit), used in the
	// tooltip and the accessible description.
	Text string
	Href string // optional link for the label
}

// Series is a named line of a trend chart; its points' labels are the x
// categories (such as quarters) in order.
type Series struct {
	Name   string
	Points []Point
}

// Options shape a chart.
type Options struct {
	// Title is the accessible name of the chart (aria-label and <title>).
	Title string
	// Unit formats axis ticks: "proportion" (as %), "difference" (pp),
	// "ratio", "days", "money", "count", "months", "rate".
	Unit string
	// Ref draws a reference line at a value (0 for differences, 1 for
	// ratios); nil draws none.
	Ref *float64
	// Log uses a logarithmic axis (ratios).
	Log bool
	// Width is the viewBox width in px (default 720); the SVG scales to
	// its container.
	Width int
}

// Intervals draws one row per point: a dot at the value and a whisker for
// its interval (a forest plot), labels on the left, sized for any number of
// rows.
//
// Labels longer than their column are cut with an ellipsis (the tooltip
// has them whole) and link to Href when set. A point below the minimum
// sample shows "insufficient data (n=…)" instead of its marks, and its
// figures do not stretch the axis. An infinite limit (a median not
// reached), or a limit of 0 or below on a log axis, is drawn as an arrow
// at the plot's edge. Without any finite figure the chart says "no data".
func Intervals(points []Point, opt Options) template.HTML { return drawIntervals(points, opt) }

// Bars draws vertical bars with error bars, one per point.
//
// Bars start at zero (at the axis's minimum on a log axis). A point below
// the minimum sample is an empty dashed outline at its value with its n
// above it. Many labels are rotated, and thinned when even rotated they
// would overlap.
func Bars(points []Point, opt Options) template.HTML { return drawBars(points, opt) }

// Trend draws each series as a line with its interval as a shaded band over
// shared x categories.
//
// The categories are the union of the series' point labels in the order
// first seen. A line breaks where a point is missing, NaN or below the
// minimum sample; the latter still shows as a hollow muted dot. More than
// one series gets a legend.
func Trend(series []Series, opt Options) template.HTML { return drawTrend(series, opt) }
