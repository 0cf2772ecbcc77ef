package chart

import (
	"encoding/xml"
	"flag"
	"fmt"
	"html"
	"html/template"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func ref(v float64) *float64 { return &v }

var nan = math.NaN()

// est returns a point with sufficient data and its Text as Tandem's tables
// would print it.
func est(label string, v, lo, hi float64, n int, unit string) Point {
	return Point{Label: label, Value: v, Low: lo, High: hi, N: n,
		Text: fmt.Sprintf("%s [%s, %s] n=%d", valueText(unit, v), valueText(unit, lo), valueText(unit, hi), n)}
}

func manyPoints(n int) []Point {
	ps := make([]Point, n)
	for i := range ps {
		v := 0.2 + 0.5*float64(i%7)/7
		ps[i] = est(fmt.Sprintf("Rep %02d with a long name", i+1), v, v-0.08, v+0.09, 40+i, "proportion")
	}
	return ps
}

// intervalCases are the inputs of the golden and structural tests, shared
// by Intervals and Bars.
var intervalCases = []struct {
	name   string
	points []Point
	opt    Options
}{
	{"proportions", []Point{
		est("Enterprise", 0.42, 0.35, 0.49, 180, "proportion"),
		est("Mid-market", 0.31, 0.27, 0.36, 420, "proportion"),
		{Label: "SMB", Value: 0.22, Low: 0.19, High: 0.25, N: 950, Text: "22.0% [19.0%, 25.0%] n=950", Href: "/reports/win-rate?segment=SMB&x=1"},
		est("Public sector", 0.55, 0.38, 0.71, 34, "proportion"),
	}, Options{Title: "Win rate by segment", Unit: "proportion"}},
	{"differences", []Point{
		est("Discount > 20%", -0.061, -0.102, -0.02, 310, "difference"),
		est("Multi-threaded", 0.083, 0.041, 0.125, 280, "difference"),
		est("Champion left", -0.012, -0.07, 0.046, 95, "difference"),
	}, Options{Title: "Win-rate difference", Unit: "difference", Ref: ref(0)}},
	{"log-ratios", []Point{
		est("SSO", 1.52, 1.11, 2.08, 220, "ratio"),
		est("Audit log", 0.64, 0.41, 0.99, 130, "ratio"),
		est("API", 3.1, 1.3, 7.4, 45, "ratio"),
		est("Sandbox", 1.2, 0, 4.1, 38, "ratio"), // lower limit 0: open end on a log axis
	}, Options{Title: "Renewal odds ratio", Unit: "ratio", Ref: ref(1), Log: true}},
	{"money", []Point{
		est("Q1", 12400, 9800, 15100, 88, "money"),
		est("Q2", 14100, 11900, 16800, 102, "money"),
		est("Enterprise", 1.24e6, 0.9e6, 1.61e6, 41, "money"),
	}, Options{Title: "Average deal size", Unit: "money"}},
	{"days", []Point{
		est("Inbound", 34, 29, 41, 260, "days"),
		est("Outbound", 61, 52, 73, 140, "days"),
		{Label: "Partner", Value: math.Inf(1), Low: 80, High: math.Inf(1), N: 52, Text: "not reached [80 d, not reached] n=52"},
	}, Options{Title: "Median days to close", Unit: "days"}},
	{"insufficient", []Point{
		est("West", 0.38, 0.31, 0.45, 190, "proportion"),
		{Label: "North", Value: 0.9, Low: 0.2, High: 1, N: 4, Insufficient: true, Text: "insufficient data (n=4): 90.0% [20.0%, 100.0%]"},
		est("East", 0.29, 0.23, 0.35, 210, "proportion"),
	}, Options{Title: "Win rate by region", Unit: "proportion"}},
	{"nan", []Point{
		est("With CI", 0.4, 0.3, 0.5, 100, "proportion"),
		{Label: "No interval", Value: 0.45, Low: nan, High: nan, N: 60, Text: "45.0%"},
		{Label: "Nothing", Value: nan, Low: nan, High: nan, N: 0, Text: "–"},
	}, Options{Title: "Partly known", Unit: "proportion"}},
	{"single", []Point{est("All deals", 0.27, 0.25, 0.29, 2400, "proportion")}, Options{Title: "Win rate", Unit: "proportion"}},
	{"single-no-ci", []Point{{Label: "Deals", Value: 1200, Low: nan, High: nan, N: 1200, Text: "1,200"}}, Options{Title: "Deals", Unit: "count"}},
	{"forty", manyPoints(40), Options{Title: "Win rate by rep", Unit: "proportion", Width: 360}},
	{"escaping", []Point{
		{Label: "<script>alert(1)</script>", Value: 0.5, Low: 0.4, High: 0.6, N: 50, Text: "<b>50%</b>", Href: "javascript:alert(1)"},
		{Label: `"&'`, Value: 0.3, Low: 0.2, High: 0.4, N: 70, Text: `30% "&'`, Href: `/x?a="b"&c='d'`},
		{Label: "tab\tnew\nline\x00nul\x1b", Value: 0.2, Low: 0.1, High: 0.3, N: 80},
	}, Options{Title: `Evil <title> & "quotes"`, Unit: "proportion"}},
	{"empty", nil, Options{Title: "Nothing yet", Unit: "proportion"}},
	{"all-nan", []Point{{Label: "a", Value: nan, Low: nan, High: nan}}, Options{Unit: "proportion"}},
}

var trendCases = []struct {
	name   string
	series []Series
	opt    Options
}{
	{"two-series", []Series{
		{Name: "Enterprise", Points: []Point{
			est("2025 Q1", 0.41, 0.33, 0.49, 120, "proportion"),
			est("2025 Q2", 0.44, 0.37, 0.51, 131, "proportion"),
			{Label: "2025 Q3", Value: 0.7, Low: 0.3, High: 0.9, N: 9, Insufficient: true},
			est("2025 Q4", 0.47, 0.4, 0.54, 140, "proportion"),
			est("2026 Q1", 0.45, 0.38, 0.52, 150, "proportion"),
		}},
		{Name: "SMB", Points: []Point{
			est("2025 Q1", 0.22, 0.19, 0.25, 800, "proportion"),
			{Label: "2025 Q2", Value: nan, Low: nan, High: nan, N: 0},
			est("2025 Q3", 0.24, 0.21, 0.27, 760, "proportion"),
			est("2025 Q4", 0.26, 0.23, 0.29, 790, "proportion"),
			est("2026 Q2", 0.25, 0.22, 0.28, 700, "proportion"),
		}},
	}, Options{Title: "Win rate by quarter", Unit: "proportion"}},
	{"single-series-ref", []Series{{Name: "Net retention", Points: []Point{
		est("Jan", 0.012, -0.01, 0.034, 300, "difference"),
		est("Feb", -0.02, -0.045, 0.005, 310, "difference"),
		est("Mar", 0.031, 0.01, 0.052, 305, "difference"),
	}}}, Options{Title: "Change in win rate", Unit: "difference", Ref: ref(0)}},
	{"trend-escaping", []Series{
		{Name: "<script>alert(1)</script>", Points: []Point{est("<q>", 1, 0.5, 2, 40, "ratio"), est(`"&'`, 2, 1, 4, 40, "ratio")}},
		{Name: `"&'`, Points: []Point{est("<q>", 1.5, 1, 2.2, 40, "ratio")}},
	}, Options{Title: "<script>", Unit: "ratio", Log: true, Ref: ref(1)}},
	{"trend-many", []Series{{Name: "Deals", Points: func() []Point {
		ps := make([]Point, 40)
		for i := range ps {
			v := float64(100 + 10*(i%9))
			ps[i] = est(fmt.Sprintf("week %d", i+1), v, v-12, v+12, int(v), "count")
		}
		return ps
	}()}}, Options{Title: "Deals per week", Unit: "count"}},
	{"trend-empty", nil, Options{Title: "Nothing", Unit: "days"}},
}

// node is an element of a parsed chart.
type node struct {
	name     string
	attr     map[string]string
	children []*node
	text     string
}

// parse decodes out as XML, failing the test when it is not well-formed.
func parse(t testing.TB, out string) *node {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(out))
	root := &node{}
	stack := []*node{root}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, out)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &node{name: tok.Name.Local, attr: map[string]string{}}
			for _, a := range tok.Attr {
				n.attr[a.Name.Local] = a.Value
			}
			top := stack[len(stack)-1]
			top.children = append(top.children, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			stack[len(stack)-1].text += string(tok)
		}
	}
	if len(root.children) != 1 || root.children[0].name != "svg" {
		t.Fatalf("want one <svg> root, got %d elements", len(root.children))
	}
	return root.children[0]
}

// walk calls f on n and everything below it.
func (n *node) walk(f func(*node)) {
	f(n)
	for _, c := range n.children {
		c.walk(f)
	}
}

func (n *node) hasClass(c string) bool {
	return strings.Contains(" "+n.attr["class"]+" ", " "+c+" ")
}

func (n *node) num(t testing.TB, a string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(n.attr[a], 64)
	if err != nil {
		t.Fatalf("<%s %s=%q>: %v", n.name, a, n.attr[a], err)
	}
	return f
}

// allText is the text of n and its descendants.
func (n *node) allText() string {
	var b strings.Builder
	n.walk(func(m *node) { b.WriteString(m.text) })
	return b.String()
}

var (
	eventHandler = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
	longDecimals = regexp.MustCompile(`\d\.\d{3,}`)
)

// checkCommon checks what every chart must satisfy: well-formed, safe for
// a strict CSP, accessible, numbers with at most two decimals.
func checkCommon(t *testing.T, out string, opt Options) *node {
	t.Helper()
	root := parse(t, out)
	low := strings.ToLower(out)
	for _, bad := range []string{"<script", "javascript:", " style=", "<style", "<foreignobject"} {
		if strings.Contains(low, bad) {
			t.Errorf("output contains %q", bad)
		}
	}
	if eventHandler.MatchString(out) {
		t.Errorf("output contains an event handler attribute")
	}
	if root.attr["role"] != "img" || root.attr["width"] != "100%" || root.attr["viewBox"] == "" {
		t.Errorf("root attributes: %v", root.attr)
	}
	if opt.Title != "" && root.attr["aria-label"] != opt.Title {
		t.Errorf("aria-label = %q, want %q", root.attr["aria-label"], opt.Title)
	}
	if len(root.children) < 2 || root.children[0].name != "title" || root.children[1].name != "desc" {
		t.Fatalf("want <title> and <desc> first")
	}
	root.walk(func(n *node) {
		for k, v := range n.attr {
			if k == "aria-label" || k == "href" {
				continue
			}
			if strings.Contains(v, "NaN") || strings.Contains(v, "Inf") || longDecimals.MatchString(v) {
				t.Errorf("<%s %s=%q>: not a number with at most 2 decimals", n.name, k, v)
			}
		}
	})
	return root
}

// plotArea returns the rectangle of the plot, read back from the axis
// lines: the horizontal one spans its width, the vertical one (absent from
// a forest plot) its height.
func plotArea(t *testing.T, root *node) (x0, x1, y0, y1 float64) {
	t.Helper()
	x0, x1, y0, y1 = math.NaN(), math.NaN(), 0, math.Inf(1)
	root.walk(func(n *node) {
		if n.name != "line" || n.attr["class"] != "chart-axis" {
			return
		}
		if n.attr["y1"] == n.attr["y2"] {
			x0, x1 = n.num(t, "x1"), n.num(t, "x2")
			if math.IsInf(y1, 1) {
				y1 = n.num(t, "y1")
			}
		} else {
			y0, y1 = n.num(t, "y1"), n.num(t, "y2")
		}
	})
	if math.IsNaN(x0) {
		t.Fatal("no horizontal axis line")
	}
	return x0, x1, y0, y1
}

// checkWhiskers checks that every interval line runs low to high (left to
// right, or top to bottom) inside the plot.
func checkWhiskers(t *testing.T, root *node) int {
	t.Helper()
	x0, x1, y0, y1 := plotArea(t, root)
	const tol = 0.01
	count := 0
	root.walk(func(n *node) {
		if n.name != "line" || !n.hasClass("chart-ci") {
			return
		}
		count++
		ax1, ax2, ay1, ay2 := n.num(t, "x1"), n.num(t, "x2"), n.num(t, "y1"), n.num(t, "y2")
		if ax1 > ax2 || ay1 > ay2 {
			t.Errorf("whisker not ordered: %v", n.attr)
		}
		if ax1 < x0-tol || ax2 > x1+tol || ay1 < y0-tol-ivCapH || ay2 > y1+tol+ivCapH {
			t.Errorf("whisker %v outside the plot [%v,%v]×[%v,%v]", n.attr, x0, x1, y0, y1)
		}
	})
	return count
}

// golden compares out with testdata/name.svg, or rewrites it with -update.
func golden(t *testing.T, name string, out template.HTML) {
	t.Helper()
	path := filepath.Join("testdata", name+".svg")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/chart -update)", err)
	}
	if string(want) != string(out) {
		t.Errorf("%s differs from the golden file (inspect, then go test ./internal/chart -update)\ngot:\n%s", path, out)
	}
}

// points returns the chart-point groups of a chart: one per point, each
// with its tooltip as first child.
func points(root *node) []*node {
	var ps []*node
	root.walk(func(n *node) {
		if n.name == "g" && n.hasClass("chart-point") {
			ps = append(ps, n)
		}
	})
	return ps
}

func TestIntervalsAndBars(t *testing.T) {
	for _, kind := range []struct {
		name string
		draw func([]Point, Options) template.HTML
	}{{"intervals", Intervals}, {"bars", Bars}} {
		for _, tc := range intervalCases {
			t.Run(kind.name+"/"+tc.name, func(t *testing.T) {
				out := kind.draw(tc.points, tc.opt)
				if again := kind.draw(tc.points, tc.opt); again != out {
					t.Fatal("same input, different output")
				}
				root := checkCommon(t, string(out), tc.opt)
				golden(t, kind.name+"-"+tc.name, out)
				if !finiteAny(tc.points) {
					if !strings.Contains(root.allText(), "no data") {
						t.Error(`empty input does not say "no data"`)
					}
					return
				}
				desc := root.children[1].text
				groups := points(root)
				if len(groups) != len(tc.points) {
					t.Fatalf("%d point groups, want %d", len(groups), len(tc.points))
				}
				whiskers := 0
				for i, p := range tc.points {
					want := html.EscapeString(strings.Join(strings.Fields(p.Label), " "))
					if strings.ContainsAny(p.Label, "\x00\x1b") {
						want = "nul"
					}
					if !strings.Contains(string(out), want) {
						t.Errorf("label %q not in the output as %q", p.Label, want)
					}
					tip := groups[i].children[0]
					if tip.name != "title" || !strings.Contains(tip.text, fmt.Sprintf("n=%d", p.N)) {
						t.Errorf("point %d: tooltip %q lacks n", i, tip.text)
					}
					if p.Text != "" && (!strings.Contains(tip.text, p.Text) || !strings.Contains(desc, p.Text)) {
						t.Errorf("point %d: Text %q missing from tooltip %q or desc", i, p.Text, tip.text)
					}
					if lo, hi, ok := interval(p); ok && !p.Insufficient && (!math.IsInf(lo, 0) || !math.IsInf(hi, 0)) {
						whiskers++
					}
					var dots, cis int
					groups[i].walk(func(n *node) {
						if n.hasClass("chart-dot") {
							dots++
						}
						if n.name == "line" && n.hasClass("chart-ci") && !n.hasClass("chart-cap") {
							cis++
						}
					})
					if p.Insufficient && (dots > 0 || cis > 0) {
						t.Errorf("point %d is insufficient but drawn with a dot or whisker", i)
					}
					if p.Insufficient && kind.name == "intervals" && !strings.Contains(groups[i].allText(), fmt.Sprintf("insufficient data (n=%d)", p.N)) {
						t.Errorf("point %d: no insufficient-data note", i)
					}
				}
				if got := checkWhiskers(t, root); got < whiskers {
					t.Errorf("%d whisker lines, want at least %d", got, whiskers)
				}
			})
		}
	}
}

func TestTrend(t *testing.T) {
	for _, tc := range trendCases {
		t.Run(tc.name, func(t *testing.T) {
			out := Trend(tc.series, tc.opt)
			if again := Trend(tc.series, tc.opt); again != out {
				t.Fatal("same input, different output")
			}
			root := checkCommon(t, string(out), tc.opt)
			golden(t, "trend-"+strings.TrimPrefix(tc.name, "trend-"), out)
			if len(tc.series) == 0 {
				if !strings.Contains(root.allText(), "no data") {
					t.Error(`empty input does not say "no data"`)
				}
				return
			}
			checkWhiskers(t, root)
			desc := root.children[1].text
			var legend, polylines int
			root.walk(func(n *node) {
				if n.name == "g" && n.hasClass("chart-legend") {
					legend++
				}
				if n.name == "polyline" {
					polylines++
				}
			})
			if want := len(tc.series); want > 1 && legend != want || want == 1 && legend != 0 {
				t.Errorf("%d legend entries for %d series", legend, want)
			}
			if polylines == 0 {
				t.Error("no line drawn")
			}
			for _, s := range tc.series {
				if !strings.Contains(string(out), html.EscapeString(s.Name)) || !strings.Contains(desc, s.Name) {
					t.Errorf("series name %q not in the output and description", s.Name)
				}
				for _, p := range s.Points {
					if !strings.Contains(desc, p.Label) {
						t.Errorf("label %q not in the description", p.Label)
					}
				}
			}
		})
	}
}

// TestTrendGaps checks that a line breaks at a NaN or insufficient point
// rather than joining across it.
func TestTrendGaps(t *testing.T) {
	pts := []Point{
		est("a", 1, 0.5, 1.5, 50, "ratio"),
		est("b", 2, 1.5, 2.5, 50, "ratio"),
		{Label: "c", Value: nan, Low: nan, High: nan, N: 3},
		est("d", 3, 2.5, 3.5, 50, "ratio"),
		est("e", 2, 1.5, 2.5, 50, "ratio"),
		{Label: "f", Value: 2.5, Low: 1, High: 4, N: 4, Insufficient: true},
		est("g", 1, 0.5, 1.5, 50, "ratio"),
	}
	root := parse(t, string(Trend([]Series{{Name: "x", Points: pts}}, Options{Unit: "ratio"})))
	var lines, bands, whiskers int
	root.walk(func(n *node) {
		switch {
		case n.name == "polyline":
			lines++
		case n.name == "polygon" && n.hasClass("chart-band"):
			bands++
		case n.name == "line" && n.hasClass("chart-ci") && !n.hasClass("chart-cap"):
			whiskers++
		}
	})
	// Runs: a–b, d–e, and g alone (a dot and a whisker, no line).
	if lines != 2 || bands != 2 || whiskers != 1 {
		t.Errorf("lines %d, bands %d, lone whiskers %d; want 2, 2, 1", lines, bands, whiskers)
	}
}

func TestLongLabelTruncated(t *testing.T) {
	long := strings.Repeat("Very long account name ", 10)
	root := parse(t, string(Intervals([]Point{est(long, 0.5, 0.4, 0.6, 100, "proportion")}, Options{Unit: "proportion"})))
	g := points(root)[0]
	if !strings.Contains(g.children[0].text, strings.TrimSpace(long)) {
		t.Errorf("tooltip lacks the full label: %q", g.children[0].text)
	}
	var label string
	g.walk(func(n *node) {
		if n.name == "text" && label == "" {
			label = n.text
		}
	})
	if !strings.HasSuffix(label, "…") || len([]rune(label)) >= len(long) {
		t.Errorf("label %q not truncated with an ellipsis", label)
	}
}

func TestLinks(t *testing.T) {
	pts := []Point{
		{Label: "safe", Value: 1, Low: 0.5, High: 2, N: 40, Href: "/accounts/7?tab=deals&x=1"},
		{Label: "abs", Value: 1, Low: 0.5, High: 2, N: 40, Href: "https://example.com/a"},
		{Label: "evil", Value: 1, Low: 0.5, High: 2, N: 40, Href: " JavaScript:alert(1)"},
		{Label: "data", Value: 1, Low: 0.5, High: 2, N: 40, Href: "data:text/html,<script>"},
	}
	for _, draw := range []func([]Point, Options) template.HTML{Intervals, Bars} {
		root := parse(t, string(draw(pts, Options{Unit: "ratio"})))
		var hrefs []string
		root.walk(func(n *node) {
			if n.name == "a" {
				hrefs = append(hrefs, n.attr["href"])
			}
		})
		if want := []string{"/accounts/7?tab=deals&x=1", "https://example.com/a"}; fmt.Sprint(hrefs) != fmt.Sprint(want) {
			t.Errorf("links %q, want %q", hrefs, want)
		}
	}
}

func TestTicks(t *testing.T) {
	for _, tc := range []struct {
		unit   string
		lo, hi float64
		log    bool
		want   []string // labels that must appear
	}{
		{"proportion", 0.32, 0.58, false, []string{"40%", "50%"}},
		{"proportion", 0, 1, false, []string{"0%", "100%"}},
		{"proportion", 0.271, 0.274, false, nil},
		{"difference", -0.1, 0.12, false, []string{"+10 pp", "0 pp", "-10 pp"}},
		{"difference", -0.06, 0.08, false, []string{"+5 pp", "0 pp", "-5 pp"}},
		{"difference", -0.004, 0.003, false, nil},
		{"ratio", 0.6, 3.5, true, []string{"0.5×", "1×", "2×", "4×"}},
		{"ratio", 0.4, 7.5, true, []string{"1×"}},
		{"ratio", 0.9, 1.3, true, []string{"1×"}},
		{"ratio", 0.01, 50, true, []string{"1×"}},
		{"ratio", 1e-6, 1e6, true, []string{"1×"}},
		{"ratio", 0.6, 1.8, false, []string{"1.5×"}},
		{"money", 9000, 15100, false, []string{"$12k"}},
		{"money", 1e6, 1.5e6, false, []string{"$1M", "$1.2M"}},
		{"money", 0.9e6, 1.61e6, false, []string{"$1.25M"}},
		{"money", 1.01e6, 1.03e6, false, nil},
		{"money", 50, 2e6, true, nil},
		{"days", 5, 45, false, []string{"30 d"}},
		{"days", 12, 58, false, nil},
		{"days", 30, 30, false, []string{"30 d"}},
		{"count", 900, 1400, false, []string{"1,200"}},
		{"count", 5, 5, false, nil},
		{"count", 0, 2, false, nil},
		{"months", 3, 14, false, []string{"10 mo"}},
		{"rate", 0.0012, 0.0031, false, nil},
		{"", -1e15, 1e15, false, nil},
		{"", 1e15 - 3, 1e15, false, nil},
		{"", -7, -7, false, nil},
	} {
		name := fmt.Sprintf("%s %v..%v log=%v", tc.unit, tc.lo, tc.hi, tc.log)
		t.Run(name, func(t *testing.T) {
			var e extent
			e.add(tc.lo, tc.log)
			e.add(tc.hi, tc.log)
			ax := newAxis(e, tc.unit, tc.log, false, 0, 100)
			n := len(ax.ticks)
			if n < 4 || n > 6 {
				t.Errorf("%d ticks %v, want 4 to 6", n, ax.ticks)
			}
			tol := 1e-9 * math.Max(math.Abs(tc.lo), math.Abs(tc.hi))
			if ax.ticks[0] > tc.lo+tol || ax.ticks[n-1] < tc.hi-tol {
				t.Errorf("ticks %v do not cover [%v, %v]", ax.ticks, tc.lo, tc.hi)
			}
			seen := map[string]bool{}
			for i, l := range ax.labels {
				if i > 0 && !(ax.ticks[i] > ax.ticks[i-1]) {
					t.Errorf("ticks not increasing: %v", ax.ticks)
				}
				if seen[l] {
					t.Errorf("label %q repeated in %q", l, ax.labels)
				}
				seen[l] = true
			}
			for _, w := range tc.want {
				if !seen[w] {
					t.Errorf("labels %q lack %q", ax.labels, w)
				}
			}
			if ax.pos(tc.lo) < 0 || ax.pos(tc.hi) > 100 || ax.pos(tc.lo) > ax.pos(tc.hi) {
				t.Errorf("positions %v, %v outside [0, 100] or reversed", ax.pos(tc.lo), ax.pos(tc.hi))
			}
		})
	}
}

func TestLogFallsBackWithoutPositiveValues(t *testing.T) {
	out := Intervals([]Point{est("a", -1, -2, 0, 50, "")}, Options{Log: true})
	root := parse(t, string(out))
	if checkWhiskers(t, root) == 0 {
		t.Error("no whisker drawn on the linear fallback axis")
	}
}

func TestNum(t *testing.T) {
	for in, want := range map[float64]string{
		0: "0", -0.001: "0", 1.005: "1", 12.345678: "12.35", -3.1: "-3.1", 720: "720",
		math.NaN(): "0", math.Inf(1): "0",
	} {
		if got := num(in); got != want {
			t.Errorf("num(%v) = %q, want %q", in, got, want)
		}
	}
}

// FuzzIntervals feeds arbitrary labels and numbers (NaN, infinities,
// reversed intervals, extreme widths) to every chart: none may panic, and
// each must stay well-formed XML with no raw markup from the label.
func FuzzIntervals(f *testing.F) {
	f.Add("West", 0.4, 0.3, 0.5, 120, false, false, 0, "proportion")
	f.Add("<script>alert(1)</script>", 1.5, 0.0, math.Inf(1), 3, true, true, 300, "ratio")
	f.Add(`"&'`, math.NaN(), math.NaN(), math.NaN(), -5, false, true, -1, "money")
	f.Add("\xff\x00\ufffe", -1e308, 1e308, 5e-324, 0, false, false, 1<<30, "days")
	f.Add(strings.Repeat("ü", 300), 1e15, -1e15, 0.0, 1, false, true, 1, "difference")
	f.Fuzz(func(t *testing.T, label string, v, lo, hi float64, n int, insufficient, log bool, width int, unit string) {
		p := Point{Label: label, Value: v, Low: lo, High: hi, N: n, Insufficient: insufficient, Text: label, Href: label}
		opt := Options{Title: label, Unit: unit, Log: log, Width: width, Ref: &lo}
		sets := [][]Point{{p}, {p, est("b", 0.5, 0.4, 0.6, 50, unit), {Label: label, Value: hi, Low: v, High: lo, N: n}}}
		for _, pts := range sets {
			for _, out := range []template.HTML{
				Intervals(pts, opt),
				Bars(pts, opt),
				Trend([]Series{{Name: label, Points: pts}, {Name: "b", Points: pts[:1]}}, opt),
			} {
				root := parse(t, string(out))
				if strings.Contains(strings.ToLower(string(out)), "<script") {
					t.Fatalf("raw <script in output")
				}
				if strings.Contains(string(out), `class="chart-axis"`) {
					checkWhiskers(t, root)
				}
			}
		}
	})
}
