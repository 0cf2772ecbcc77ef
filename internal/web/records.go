package web

import (
	"fmt"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/chart"
	"github.com/tandemhq/tandem/internal/service"
)

// fact is one labelled value in a record's summary.
type fact struct {
	Label, Value, Href, Badge string
	Num                       bool
}

// facts keeps the facts that have a value.
func facts(fs ...fact) []fact {
	out := fs[:0]
	for _, f := range fs {
		if f.Value != "" {
			out = append(out, f)
		}
	}
	return out
}

// attrList returns a record's custom attributes sorted by name.
func attrList(m map[string]string) [][2]string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([][2]string, 0, len(keys))
	for _, k := range keys {
		out = append(out, [2]string{k, m[k]})
	}
	return out
}

// timelineSeg is one stage of a deal's timeline, with its place in the
// timeline's SVG (a 1000-unit wide viewBox).
type timelineSeg struct {
	Stage, Entered, Days, Amount string
	X, W                         float64
	Class                        string
}

// timeline lays stages out left to right, each as wide as its days (with
// a minimum so that a same-day stage stays visible).
func timeline(stages []service.StageEntry, currency string) []timelineSeg {
	const width, minW = 1000.0, 12.0
	if len(stages) == 0 {
		return nil
	}
	total := 0.0
	for _, st := range stages {
		if st.Days > 0 && !math.IsInf(st.Days, 0) {
			total += st.Days
		}
	}
	free := width - minW*float64(len(stages))
	if free < 0 {
		free = 0
	}
	out := make([]timelineSeg, 0, len(stages))
	x := 0.0
	for i, st := range stages {
		w := minW
		days := st.Days
		if days < 0 || math.IsNaN(days) || math.IsInf(days, 0) {
			days = 0
		}
		if total > 0 {
			w += free * days / total
		} else {
			w = width / float64(len(stages))
		}
		seg := timelineSeg{Stage: st.Stage, Entered: dateText(st.EnteredAt),
			Days: analytics.FormatNumber("days", days), X: math.Round(x*10) / 10, W: math.Round((w-2)*10) / 10,
			Class: fmt.Sprintf("seg seg-%d", i%6)}
		if st.Amount != nil {
			seg.Amount = strings.TrimSpace(analytics.FormatNumber("money", *st.Amount) + " " + currency)
		}
		out = append(out, seg)
		x += w
	}
	return out
}

// dealPage is the data of a deal's page.
type dealPage struct {
	D        *service.DealDetail
	X        rec
	Facts    []fact
	Timeline []timelineSeg
	Attrs    [][2]string
	Currency string
	// Desk is the deal's Quotes section, nil for roles without desk:read.
	Desk *dealDesk
	// Battlecards are the competitors on the deal with their battlecards
	// (intel.go).
	Battlecards []dealCard
	// Specials is the deal's specials section (specials.go).
	Specials *dealSpecials
}

// handleDeal shows one deal.
func (s *Site) handleDeal(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermPipelineRead); err != nil {
		return err
	}
	d, err := s.svc.Deal(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	e := d.Entity
	if e == nil {
		if e, err = s.svc.Catalog().Entity("deals"); err != nil {
			return err
		}
	}
	x := rec{e: e, r: d.Deal}
	cur, _ := x.Get("currency").(string)
	p := dealPage{D: d, X: x, Attrs: attrList(d.Deal.Attrs), Currency: cur, Timeline: timeline(d.Stages, cur)}
	var account, rep fact
	if d.Account != nil {
		account = fact{Label: "Account", Value: refName(*d.Account), Href: pageOf("accounts", d.Account.ID)}
	}
	if d.Rep != nil {
		rep = fact{Label: "Rep", Value: refName(*d.Rep), Href: "/deals?rep_id=" + url.QueryEscape(d.Rep.ID)}
	}
	p.Facts = facts(
		fact{Label: "Amount", Value: x.Money("amount"), Num: true},
		fact{Label: "Outcome", Value: x.Text("outcome"), Badge: badgeClass(x.Text("outcome"))},
		fact{Label: "Stage", Value: x.Text("stage")},
		fact{Label: "Type", Value: x.Text("type")},
		fact{Label: "Source", Value: x.Text("source")},
		account, rep,
		fact{Label: "Created", Value: x.Text("created")},
		fact{Label: "Closed", Value: x.Text("closed")},
		fact{Label: "Lead", Value: x.Text("lead_id")},
		fact{Label: "Deal id", Value: x.ID()},
	)
	if p.Desk, err = s.dealDeskOf(r, x.ID()); err != nil {
		return err
	}
	if p.Battlecards, err = s.dealBattlecardsOf(r, x.ID()); err != nil {
		return err
	}
	if p.Specials, err = s.dealSpecialsOf(r, x.ID()); err != nil {
		return err
	}
	v := s.newView(r, "Deal "+x.Title(), "deals")
	v.Data = p
	return s.render(w, http.StatusOK, "deal", v)
}

// refName is a reference's name, or its id.
func refName(r service.Ref) string {
	if r.Name != "" {
		return r.Name
	}
	return r.ID
}

// accountPage is the data of an account's page.
type accountPage struct {
	A         *service.AccountDetail
	X         rec
	Facts     []fact
	Attrs     [][2]string
	Deals     []rec
	Subs      []rec
	Customers bool
	Closed    int
	WonAmount string
}

// handleAccount shows one account with its deals and, for roles that read
// customer data, subscriptions and adopted features.
func (s *Site) handleAccount(w http.ResponseWriter, r *http.Request) error {
	p, err := require(r, auth.PermPipelineRead)
	if err != nil {
		return err
	}
	customers := p.Can(auth.PermCustomersRead)
	a, err := s.svc.Account(r.Context(), r.PathValue("id"), customers)
	if err != nil {
		return err
	}
	cat := s.svc.Catalog()
	ae, err := cat.Entity("accounts")
	if err != nil {
		return err
	}
	de, err := cat.Entity("deals")
	if err != nil {
		return err
	}
	se, err := cat.Entity("subscriptions")
	if err != nil {
		return err
	}
	x := rec{e: ae, r: a.Account}
	d := accountPage{A: a, X: x, Attrs: attrList(a.Account.Attrs), Customers: customers, Closed: a.Won + a.Lost,
		WonAmount: analytics.FormatNumber("money", a.WonAmount)}
	for _, r := range a.Deals {
		d.Deals = append(d.Deals, rec{e: de, r: r})
	}
	for _, r := range a.Subscriptions {
		d.Subs = append(d.Subs, rec{e: se, r: r})
	}
	parent := x.Text("parent_id")
	d.Facts = facts(
		fact{Label: "Industry", Value: x.Text("industry")},
		fact{Label: "Segment", Value: x.Text("segment")},
		fact{Label: "Region", Value: x.Text("region")},
		fact{Label: "Employees", Value: x.Text("employees"), Num: true},
		fact{Label: "Revenue", Value: x.Text("revenue"), Num: true},
		fact{Label: "Parent account", Value: parent, Href: pageOf("accounts", parent)},
		fact{Label: "Created", Value: x.Text("created")},
		fact{Label: "Account id", Value: x.ID()},
	)
	v := s.newView(r, x.Title(), "accounts")
	v.Data = d
	return s.render(w, http.StatusOK, "account", v)
}

// metricRow is one halo metric of a feature page.
type metricRow struct {
	Label, Unit, Text, Interval, Q string
	N                              int
	Insufficient, Survives         bool
	Note                           string
}

// featurePage is the data of a feature's page.
type featurePage struct {
	F        *service.FeatureDetail
	X        rec
	Facts    []fact
	Found    bool
	Apart    bool
	Headline metricRow
	Sentence string
	Caveat   string
	Metrics  []metricRow
	Charts   []chartBlock
	Notes    []string
	Defs     [][2]string
	Form     paramForm
}

// chartBlock is a chart with a heading.
type chartBlock struct {
	Title string
	SVG   template.HTML
}

// handleFeature shows a feature's halo: every figure of the halo report for
// this feature, as error bars and a table.
func (s *Site) handleFeature(w http.ResponseWriter, r *http.Request) error {
	p, err := require(r, auth.PermReportsRead)
	if err != nil {
		return err
	}
	q := reportQuery(r.URL.Query())
	q.Del("features")
	q.Del("items")
	q.Del("by")
	f, err := s.svc.Feature(r.Context(), p.Can, r.PathValue("id"), q)
	if err != nil {
		return err
	}
	fe, err := s.svc.Catalog().Entity("features")
	if err != nil {
		return err
	}
	x := rec{e: fe, r: f.Feature}
	d := featurePage{F: f, X: x, Form: newParamForm(r.URL.Path, q, false)}
	var product fact
	if f.Product != nil {
		product = fact{Label: "Product", Value: refName(*f.Product)}
	}
	d.Facts = facts(
		product,
		fact{Label: "Status", Value: x.Text("status"), Badge: badgeClass(x.Text("status"))},
		fact{Label: "Horizon", Value: x.Text("horizon")},
		fact{Label: "Released", Value: x.Text("released_at")},
		fact{Label: "Planned", Value: x.Text("planned_at")},
		fact{Label: "Feature id", Value: x.ID()},
	)
	if h := f.Halo; h != nil {
		d.Notes = h.Notes
		d.Defs = sortedDefs(h.Definitions)
		var g *tandem.Group
		switch {
		case len(h.Groups) > 0:
			g = &h.Groups[0]
		case len(h.Apart) > 0:
			g, d.Apart = &h.Apart[0], true
		}
		if g != nil {
			d.Found = true
			d.Headline = newMetricRow(h.Value, h.Unit, g.Estimate)
			d.Sentence, d.Caveat = haloSentence(x.Title(), h, g.Estimate)
			for _, m := range h.Metrics {
				if e, ok := g.Metrics[m.Name]; ok {
					d.Metrics = append(d.Metrics, newMetricRow(m.Label, m.Unit, e))
				}
			}
			d.Charts = haloCharts(x.Title(), h, g)
		}
	}
	v := s.newView(r, x.Title()+" · feature halo", "features")
	v.Data = d
	return s.render(w, http.StatusOK, "feature", v)
}

// newMetricRow formats one estimate for a table row.
func newMetricRow(label, unit string, e tandem.Estimate) metricRow {
	return metricRow{Label: label, Unit: unit, Text: analytics.FormatEstimate(unit, e), Interval: ciText(unit, e),
		Q: qText(e), N: e.N, Insufficient: e.Insufficient, Survives: !math.IsNaN(e.Q) && e.Q < 0.05 && !e.Insufficient,
		Note: e.Note}
}

// haloSentence says in words what the headline figure of a halo means, as
// an association, never as a cause.
func haloSentence(name string, h *tandem.Report, e tandem.Estimate) (sentence, caveat string) {
	caveat = "These figures compare deals and customers with the feature against those without. They show an association, not that the feature causes the difference."
	if e.Insufficient || math.IsNaN(e.Value) {
		return fmt.Sprintf("Insufficient data: %s has too few closed deals on one side (n=%d) to say how it is associated with win rate.", name, e.N), caveat
	}
	adj := "adjusted by stratification"
	if len(h.Params.Adjust) > 0 {
		adj = "adjusted for " + strings.Join(h.Params.Adjust, " × ")
	}
	dir := "higher"
	if e.Value < 0 {
		dir = "lower"
	}
	if h.Unit == "difference" {
		sentence = fmt.Sprintf("Deals tagged with %s are associated with a win rate %.1f percentage points %s than deals without it, %s (95%% interval %s, n=%d).",
			name, math.Abs(100*e.Value), dir, adj, ciText(h.Unit, e), e.N)
	} else {
		sentence = fmt.Sprintf("Deals tagged with %s are associated with a %s of %s compared with deals without it, %s (95%% interval %s, n=%d).",
			name, h.Value, analytics.FormatNumber(h.Unit, e.Value), adj, ciText(h.Unit, e), e.N)
	}
	if !math.IsNaN(e.Q) {
		if e.Q < 0.05 {
			sentence += fmt.Sprintf(" It survives the Benjamini–Hochberg correction across all features (q=%.3g).", e.Q)
		} else {
			sentence += fmt.Sprintf(" It does not survive the Benjamini–Hochberg correction across all features (q=%.3g): it may be chance.", e.Q)
		}
	}
	return sentence, caveat
}

// haloCharts draws a feature's halo figures as error bars: differences
// around 0, ratios around 1 on a log axis, rates with and without.
func haloCharts(name string, h *tandem.Report, g *tandem.Group) []chartBlock {
	var diffs, ratios, rates, days []chart.Point
	add := func(dst *[]chart.Point, label, unit string, e tandem.Estimate) {
		*dst = append(*dst, point(label, unit, e, ""))
	}
	add(&diffs, h.Value, h.Unit, g.Estimate)
	for _, m := range h.Metrics {
		e, ok := g.Metrics[m.Name]
		if !ok {
			continue
		}
		switch m.Unit {
		case "difference":
			add(&diffs, m.Label, m.Unit, e)
		case "ratio":
			add(&ratios, m.Label, m.Unit, e)
		case "proportion":
			add(&rates, m.Label, m.Unit, e)
		case "days":
			add(&days, m.Label, m.Unit, e)
		}
	}
	zero, one := 0.0, 1.0
	var out []chartBlock
	if len(diffs) > 0 {
		out = append(out, chartBlock{"Differences (with − without)", chart.Intervals(diffs, chart.Options{Title: name + ": differences, with minus without, 95% intervals", Unit: "difference", Ref: &zero})})
	}
	if len(ratios) > 0 {
		out = append(out, chartBlock{"Ratios (with ÷ without)", chart.Intervals(ratios, chart.Options{Title: name + ": ratios, with over without, 95% intervals", Unit: "ratio", Ref: &one, Log: true})})
	}
	if len(rates) > 0 {
		out = append(out, chartBlock{"Rates with and without", chart.Intervals(rates, chart.Options{Title: name + ": rates with and without, 95% intervals", Unit: "proportion"})})
	}
	if len(days) > 0 {
		out = append(out, chartBlock{"Median days to close", chart.Intervals(days, chart.Options{Title: name + ": median days to close, 95% intervals", Unit: "days"})})
	}
	return out
}

// point turns an estimate into a chart point.
func point(label, unit string, e tandem.Estimate, href string) chart.Point {
	return chart.Point{Label: label, Value: e.Value, Low: e.CILow, High: e.CIHigh, N: e.N,
		Insufficient: e.Insufficient, Text: analytics.FormatEstimate(unit, e), Href: href}
}

// sortedDefs returns a report's definitions sorted by name.
func sortedDefs(m map[string]string) [][2]string { return attrList(m) }
