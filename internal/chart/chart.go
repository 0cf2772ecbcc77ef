// Package chart draws Tandem's charts as inline SVG, rendered in Go on the
// server: point estimates with their 95% intervals as error bars, bars, and
// trends with an interval band. See README (Web app → Charts) for why SVG
// in Go rather than a JavaScript library.
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
func Intervals(points []Point, opt Options) template.HTML { return "" }

// Bars draws vertical bars with error bars, one per point.
func Bars(points []Point, opt Options) template.HTML { return "" }

// Trend draws each series as a line with its interval as a shaded band over
// shared x categories.
func Trend(series []Series, opt Options) template.HTML { return "" }
