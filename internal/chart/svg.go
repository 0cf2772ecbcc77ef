package chart

import (
	"fmt"
	"html/template"
	"math"
	"strconv"
	"strings"
)

// Colours are set as presentation attributes so that a chart reads well
// before (or without) the stylesheet; the CSS classes on every element let
// the stylesheet override them, since CSS beats presentation attributes.
const (
	colorInk   = "#1f2937" // labels
	colorMuted = "#6b7280" // insufficient data, reference line
	colorAxis  = "#9ca3af"
	colorGrid  = "#e5e7eb"
	colorMark  = "#0072B2" // dots and whiskers of a single-series chart
	colorBar   = "#a6cbe8" // light, so the dark error bar stays visible on it
	colorCI    = "#1f2937"
)

// fontSize is the size of labels in viewBox units; layouts estimate text
// widths from it because the server cannot measure text.
const fontSize = 12

// charWidth is the average advance of a character of a sans-serif font at
// fontSize, generous enough that estimated widths rarely undershoot.
const charWidth = fontSize * 0.6

// defaultWidth is the viewBox width when Options.Width is 0.
const defaultWidth = 720

// seriesColor returns the colour of the i-th series of a trend: the
// Okabe–Ito palette, which stays distinguishable for colour-blind readers,
// with grey in place of its yellow that vanishes on white.
func seriesColor(i int) string {
	switch i % 7 {
	case 0:
		return "#0072B2"
	case 1:
		return "#D55E00"
	case 2:
		return "#009E73"
	case 3:
		return "#CC79A7"
	case 4:
		return "#E69F00"
	case 5:
		return "#56B4E9"
	default:
		return "#666666"
	}
}

// canvas accumulates one SVG document. It writes presentation attributes
// and classes only, never style attributes, scripts or event handlers, so
// the markup passes the app's Content-Security-Policy when inlined; every
// piece of caller text goes through esc.
type canvas struct {
	b strings.Builder
}

// start writes the root element: a viewBox with width 100% so the chart
// scales to its container (a phone's width included), and role="img" with
// a title and description for screen readers.
func (c *canvas) start(kind string, w, h float64, title, desc string) {
	fmt.Fprintf(&c.b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-%s" viewBox="0 0 %s %s" width="100%%" role="img" aria-label="%s" font-family="system-ui, sans-serif" font-size="%d">`+"\n",
		kind, num(w), num(h), esc(title), fontSize)
	fmt.Fprintf(&c.b, "<title>%s</title>\n<desc>%s</desc>\n", esc(title), esc(desc))
}

// finish closes the document and hands it over as trusted HTML: it is,
// because every caller string was escaped on the way in.
func (c *canvas) finish() template.HTML {
	c.b.WriteString("</svg>\n")
	return template.HTML(c.b.String())
}

// The drawing methods take attrs, further presentation attributes written
// verbatim: callers pass only constants of this package there, never data.

func (c *canvas) line(class string, x1, y1, x2, y2 float64, attrs string) {
	fmt.Fprintf(&c.b, `<line class="%s" x1="%s" y1="%s" x2="%s" y2="%s"%s/>`+"\n",
		class, num(x1), num(y1), num(x2), num(y2), attrs)
}

func (c *canvas) rect(class string, x, y, w, h float64, attrs string) {
	fmt.Fprintf(&c.b, `<rect class="%s" x="%s" y="%s" width="%s" height="%s"%s/>`+"\n",
		class, num(x), num(y), num(math.Max(w, 0)), num(math.Max(h, 0)), attrs)
}

func (c *canvas) circle(class string, cx, cy, r float64, attrs string) {
	fmt.Fprintf(&c.b, `<circle class="%s" cx="%s" cy="%s" r="%s"%s/>`+"\n", class, num(cx), num(cy), num(r), attrs)
}

// poly writes a polyline or polygon through xs, ys.
func (c *canvas) poly(elem, class string, xs, ys []float64, attrs string) {
	fmt.Fprintf(&c.b, `<%s class="%s" points="`, elem, class)
	for i := range xs {
		if i > 0 {
			c.b.WriteByte(' ')
		}
		c.b.WriteString(num(xs[i]))
		c.b.WriteByte(',')
		c.b.WriteString(num(ys[i]))
	}
	fmt.Fprintf(&c.b, `"%s/>`+"\n", attrs)
}

// text writes s, escaped, anchored at x, y.
func (c *canvas) text(class string, x, y float64, anchor, s, attrs string) {
	fmt.Fprintf(&c.b, `<text class="%s" x="%s" y="%s" text-anchor="%s"%s>%s</text>`+"\n",
		class, num(x), num(y), anchor, attrs, esc(s))
}

// link wraps what draw writes in an <a href> when href is safe to follow,
// and writes it unwrapped otherwise.
func (c *canvas) link(href string, draw func()) {
	u, ok := safeHref(href)
	if !ok {
		draw()
		return
	}
	fmt.Fprintf(&c.b, `<a href="%s">`+"\n", esc(u))
	draw()
	c.b.WriteString("</a>\n")
}

// group opens a <g> whose <title> child is the tooltip of everything in it;
// browsers show it on hover and screen readers can read it.
func (c *canvas) group(class, tooltip string) {
	fmt.Fprintf(&c.b, "<g class=\"%s\"><title>%s</title>\n", class, esc(tooltip))
}

func (c *canvas) endGroup() { c.b.WriteString("</g>\n") }

// arrow draws a small triangle at x, y pointing in direction (dx, dy), the
// open end of an interval whose limit lies beyond the axis (a median not
// reached, a ratio's lower limit of 0 on a log axis).
func (c *canvas) arrow(class string, x, y, dx, dy float64, attrs string) {
	const l, w = 6, 4
	xs := []float64{x, x - dx*l - dy*w, x - dx*l + dy*w}
	ys := []float64{y, y - dy*l - dx*w, y - dy*l + dx*w}
	c.poly("polygon", class, xs, ys, attrs)
}

// num prints a coordinate with at most two decimals, which is finer than
// any screen needs and keeps the output small and stable across platforms.
func num(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		// Layouts never produce these; 0 keeps the document well-formed
		// if one ever slips through.
		return "0"
	}
	f = math.Round(f*100) / 100
	if f == 0 {
		f = 0 // no "-0"
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// esc escapes s for XML text and attribute values alike, and replaces what
// XML may not contain at all (control characters, invalid UTF-8) so that a
// hostile or broken label can neither inject markup nor break the document.
// Line breaks become spaces since SVG text is a single line.
func esc(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s { // invalid UTF-8 arrives as U+FFFD
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"':
			b.WriteString("&#34;")
		case r == '\'':
			b.WriteString("&#39;")
		case r == '\t' || r == '\n' || r == '\r':
			b.WriteByte(' ')
		case r < 0x20, r >= 0x7f && r <= 0x9f, r >= 0xd800 && r <= 0xdfff, r == 0xfffe, r == 0xffff:
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// safeHref returns href when following it cannot run code: relative
// references and http, https and mailto URLs. A javascript: link would be
// blocked by the CSP anyway, but a chart should not emit one at all.
func safeHref(href string) (string, bool) {
	href = strings.TrimSpace(href)
	if href == "" {
		return "", false
	}
	i := strings.IndexAny(href, ":/?#")
	if i < 0 || href[i] != ':' {
		return href, true // no scheme: relative
	}
	switch strings.ToLower(href[:i]) {
	case "http", "https", "mailto":
		return href, true
	}
	return "", false
}

// truncate shortens s to at most limit characters, ending with an ellipsis
// when something was cut; the full text stays in the tooltip.
func truncate(s string, limit int) string {
	s = strings.TrimSpace(s)
	r := []rune(s)
	if len(r) <= limit {
		return s
	}
	if limit < 2 {
		return "…"
	}
	return strings.TrimSpace(string(r[:limit-1])) + "…"
}

// textWidth estimates the width of s at fontSize.
func textWidth(s string) float64 {
	return float64(len([]rune(s))) * charWidth
}

// chartWidth returns the viewBox width of opt, within bounds that keep the
// layouts sane whatever a caller passes.
func chartWidth(opt Options) float64 {
	w := opt.Width
	if w <= 0 {
		w = defaultWidth
	}
	return float64(min(max(w, 240), 4000))
}

// titleOf returns the chart's accessible name, with a fallback because an
// empty aria-label leaves a screen reader with nothing to announce.
func titleOf(opt Options, fallback string) string {
	if strings.TrimSpace(opt.Title) == "" {
		return fallback
	}
	return opt.Title
}

// noData draws the small chart that says there is nothing to show, so a
// page keeps its layout and says why the chart is missing.
func noData(kind string, opt Options) template.HTML {
	w := chartWidth(opt)
	var c canvas
	title := titleOf(opt, "Chart")
	c.start(kind, w, 48, title, title+": no data.")
	c.text("chart-label chart-muted", w/2, 28, "middle", "no data", ` fill="`+colorMuted+`"`)
	return c.finish()
}
