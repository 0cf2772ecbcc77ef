package web

import (
	"context"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/chart"
	"github.com/tandemhq/tandem/internal/service"
)

// figureCard is one key figure of the overview.
type figureCard struct {
	Name, Value, Interval, N, Text, Definition, Href string
	Insufficient                                     bool
	// Term is the glossary's definition of the figure, when it has one.
	Term *service.Term
}

// countCard is an entity's row count on the overview.
type countCard struct {
	Entity, Label, Count, Href string
}

// trendRow is one quarter of the overview's win-rate trend table.
type trendRow struct {
	Label, Text string
	N           int
}

// overviewPage is the data of the home page.
type overviewPage struct {
	Figures    []figureCard
	Trend      template.HTML
	TrendTitle string
	TrendValue string
	TrendRows  []trendRow
	TrendNotes []string
	Counts     []countCard
	Reports    []tandem.ReportInfo
	Roadmap    *roadmapCard // the win/loss roadmap check (see winloss.go)
}

// handleOverview shows the headline figures, the win-rate trend and the
// row counts the viewer may read.
func (s *Site) handleOverview(w http.ResponseWriter, r *http.Request) error {
	p, err := principal(r)
	if err != nil {
		return err
	}
	o, err := s.svc.Overview(r.Context(), p.Can)
	if err != nil {
		return err
	}
	d := overviewPage{}
	names := make([]string, 0, len(o.Figures))
	for _, f := range o.Figures {
		names = append(names, f.Name)
	}
	terms, err := s.svc.Terms(r.Context(), names...)
	if err != nil {
		s.logger.Warn("glossary lookup failed", "page", "overview", "error", err.Error())
	}
	for _, f := range o.Figures {
		c := figureCard{Name: f.Name, Value: analytics.FormatNumber(f.Unit, f.Estimate.Value), Interval: ciText(f.Unit, f.Estimate),
			N: countText(f.Estimate.N), Text: f.Text, Definition: f.Definition, Insufficient: f.Estimate.Insufficient}
		if c.Text == "" {
			c.Text = analytics.FormatEstimate(f.Unit, f.Estimate)
		}
		c.Term = termFor(terms, f.Name)
		if f.Report != "" && p.Can(auth.ReportPerm(f.Report)) {
			c.Href = "/reports/" + url.PathEscape(f.Report)
		}
		d.Figures = append(d.Figures, c)
	}
	if t := o.Trend; t != nil {
		d.TrendTitle = t.Title
		d.TrendValue = t.Value
		d.TrendNotes = t.Notes
		var pts []chart.Point
		for _, g := range t.Groups {
			label := keyLabel(t.KeyFields, g)
			pts = append(pts, point(label, t.Unit, g.Estimate, ""))
			d.TrendRows = append(d.TrendRows, trendRow{Label: label, Text: analytics.FormatEstimate(t.Unit, g.Estimate), N: g.N})
		}
		if len(pts) > 0 {
			d.Trend = chart.Trend([]chart.Series{{Name: t.Value, Points: pts}}, chart.Options{Title: t.Title + ": " + t.Value + " by quarter with 95% intervals", Unit: t.Unit, Width: 960})
		}
	}
	for _, e := range s.svc.Catalog().Entities() {
		n, ok := o.Counts[e.Name]
		if !ok {
			continue
		}
		c := countCard{Entity: e.Name, Label: strings.ReplaceAll(e.Name, "_", " "), Count: countText(n)}
		if e.Name == "deals" || e.Name == "accounts" || e.Name == "features" {
			c.Href = "/" + e.Name
		}
		d.Counts = append(d.Counts, c)
	}
	d.Reports = s.allowedReports(p)
	d.Roadmap = s.overviewRoadmap(r, p)
	v := s.newView(r, "Overview", "overview")
	v.Data = d
	return s.render(w, http.StatusOK, "overview", v)
}

// allowedReports lists the reports the principal may run.
func (s *Site) allowedReports(p *auth.Principal) []tandem.ReportInfo {
	var out []tandem.ReportInfo
	for _, ri := range s.svc.Reports() {
		if p.Can(auth.ReportPerm(ri.Name)) {
			out = append(out, ri)
		}
	}
	return out
}

// keyLabel is a group's key values joined, or "all".
func keyLabel(fields []string, g tandem.Group) string {
	var parts []string
	for _, k := range fields {
		parts = append(parts, g.Key[k])
	}
	if len(parts) == 0 {
		return "all"
	}
	return strings.Join(parts, " · ")
}

// handleReports lists the reports the viewer's role may run.
func (s *Site) handleReports(w http.ResponseWriter, r *http.Request) error {
	p, err := require(r, auth.PermReportsRead)
	if err != nil {
		return err
	}
	v := s.newView(r, "Reports", "reports")
	v.Data = s.allowedReports(p)
	return s.render(w, http.StatusOK, "reports", v)
}

// reportQuery keeps the non-empty report parameters of a query (unknown
// names stay, so the report can say which name it does not know).
func reportQuery(q url.Values) url.Values {
	out := url.Values{}
	for k, vs := range q {
		for _, v := range vs {
			if v = strings.TrimSpace(v); v != "" {
				out.Add(k, v)
			}
		}
	}
	return out
}

// paramForm is the report parameter form, filled from the query.
type paramForm struct {
	Action string
	// Report is true on report pages (by, features and items apply); false
	// on feature pages, which fix them.
	Report                                                bool
	By, Where                                             []string
	From, To, AsOf, MinN, Window, Anchor, Features, Items string
	Adjust, Resamples, Seed                               string
	// Advanced is true when an option inside "More options" is set, so
	// the section opens.
	Advanced bool
}

// newParamForm fills the parameter form from the cleaned query.
func newParamForm(action string, q url.Values, report bool) paramForm {
	f := paramForm{Action: action, Report: report,
		From: q.Get("from"), To: q.Get("to"), AsOf: q.Get("as-of"), MinN: q.Get("min-n"),
		Window: q.Get("window"), Anchor: q.Get("anchor"), Features: strings.Join(q["features"], ","),
		Items: q.Get("items"), Adjust: strings.Join(q["adjust"], ","), Resamples: q.Get("resamples"), Seed: q.Get("seed")}
	for _, b := range q["by"] {
		for _, part := range strings.Split(b, ",") {
			if part = strings.TrimSpace(part); part != "" {
				f.By = append(f.By, part)
			}
		}
	}
	for len(f.By) < 2 {
		f.By = append(f.By, "")
	}
	f.Where = append(f.Where, q["where"]...)
	f.Where = append(f.Where, "")
	for len(f.Where) < 3 {
		f.Where = append(f.Where, "")
	}
	f.Advanced = f.Window != "" || f.Anchor != "" || f.Features != "" || f.Items != "" || f.Adjust != "" || f.Resamples != "" || f.Seed != ""
	return f
}

// byFields are suggestions for the "group by" inputs.
var byFields = []string{"quarter", "year", "month", "type", "source", "stage", "outcome", "account.segment", "account.industry",
	"account.region", "account.size_band", "product.name", "feature.name", "rep.name", "rep.team", "rep.manager", "rep.region", "plan", "status"}

// estCell is a formatted estimate in a report table.
type estCell struct {
	Text         string
	Sort         string // machine-readable value for client-side sorting
	Insufficient bool
	Num          bool // a count: right-aligned
}

// metricHead is a metric column of a report table, with its glossary term.
type metricHead struct {
	Label, Unit string
	Term        *service.Term
}

// reportRow is one group of a report table.
type reportRow struct {
	Keys    []string
	Rank    string
	Head    estCell
	N       int
	Metrics []estCell
	Note    string
}

// reportTable is one table of a report (the groups, the groups listed
// apart, or a section) with its chart.
type reportTable struct {
	ID, Title, Intro string
	Chart            template.HTML
	KeyFields        []string
	Ranked           bool
	Value            metricHead
	Metrics          []metricHead
	Rows             []reportRow
}

// reportPage is the data of a report's page.
type reportPage struct {
	Info     tandem.ReportInfo
	Rep      *tandem.Report
	Form     paramForm
	ByFields []string
	Tables   []reportTable
	Notes    []string
	Defs     [][2]string
	Terms    []service.Term
	APIHref  string
	AsOf     string
}

// handleReport runs a report with the parameters of the query and shows
// its chart, table, notes, definitions and glossary terms.
func (s *Site) handleReport(w http.ResponseWriter, r *http.Request) error {
	p, err := require(r, auth.PermReportsRead)
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	i := slices.IndexFunc(s.svc.Reports(), func(ri tandem.ReportInfo) bool { return ri.Name == name })
	if i < 0 {
		return tandem.Errorf(tandem.ENOTFOUND, "there is no report named %q", name)
	}
	ctx := r.Context()
	q := reportQuery(r.URL.Query())
	rep, err := s.svc.ReportAs(ctx, p.Can, name, q)
	if err != nil {
		return err
	}
	d := reportPage{Info: s.svc.Reports()[i], Rep: rep, Form: newParamForm(r.URL.Path, q, true), ByFields: byFields,
		Notes: rep.Notes, Defs: sortedDefs(rep.Definitions), AsOf: dateText(rep.Params.AsOf)}
	d.APIHref = "/api/v1/reports/" + url.PathEscape(name)
	if len(q) > 0 {
		d.APIHref += "?" + q.Encode()
	}
	terms := s.terms(ctx, rep)
	d.Tables = append(d.Tables, newReportTable("groups", "", "", rep.KeyFields, rep.Value, rep.Unit, rep.Metrics, rep.Groups, terms, rep.Title))
	if len(rep.Apart) > 0 {
		d.Tables = append(d.Tables, newReportTable("apart", "Below the minimum sample, listed apart",
			"These have fewer than "+strconv.Itoa(rep.Params.MinN)+" observations on a side: shown for completeness, never ranked.",
			rep.KeyFields, rep.Value, rep.Unit, rep.Metrics, rep.Apart, terms, rep.Title))
	}
	for _, sec := range rep.Sections {
		d.Tables = append(d.Tables, newReportTable(anchorID("section-", sec.Name), sec.Title, "",
			sec.KeyFields, sec.Value, sec.Unit, sec.Metrics, sec.Groups, terms, sec.Title))
	}
	seen := map[string]bool{}
	for _, t := range terms {
		if !seen[t.ID] {
			seen[t.ID] = true
			d.Terms = append(d.Terms, t)
		}
	}
	slices.SortFunc(d.Terms, func(a, b service.Term) int { return strings.Compare(a.Name, b.Name) })
	title := rep.Title
	if title == "" {
		title = name
	}
	v := s.newView(r, title, "reports")
	v.Data = d
	return s.render(w, http.StatusOK, "report", v)
}

// terms looks up the glossary terms named like the report's figures. A
// failing lookup costs only the glossary links, so it is logged, not shown.
func (s *Site) terms(ctx context.Context, rep *tandem.Report) map[string]service.Term {
	names := []string{rep.Value, rep.Title}
	for _, m := range rep.Metrics {
		names = append(names, m.Label)
	}
	for k := range rep.Definitions {
		names = append(names, k)
	}
	for _, sec := range rep.Sections {
		names = append(names, sec.Value)
		for _, m := range sec.Metrics {
			names = append(names, m.Label)
		}
	}
	t, err := s.svc.Terms(ctx, names...)
	if err != nil {
		s.logger.Warn("glossary lookup failed", "report", rep.Report, "error", err.Error())
		return nil
	}
	return t
}

// termFor returns the glossary term of a label, or nil.
func termFor(terms map[string]service.Term, label string) *service.Term {
	if t, ok := terms[label]; ok {
		return &t
	}
	return nil
}

// newReportTable lays out groups as a table with a chart.
func newReportTable(id, title, intro string, keys []string, value, unit string, metrics []tandem.MetricInfo,
	groups []tandem.Group, terms map[string]service.Term, chartTitle string) reportTable {
	t := reportTable{ID: id, Title: title, Intro: intro, KeyFields: keys,
		Value: metricHead{Label: value, Unit: unit, Term: termFor(terms, value)}}
	if len(t.KeyFields) == 0 {
		t.KeyFields = []string{"group"}
	}
	for _, m := range metrics {
		t.Metrics = append(t.Metrics, metricHead{Label: m.Label, Unit: m.Unit, Term: termFor(terms, m.Label)})
	}
	t.Ranked = slices.ContainsFunc(groups, func(g tandem.Group) bool { return g.Rank > 0 })
	pts := make([]chart.Point, 0, len(groups))
	for _, g := range groups {
		row := reportRow{Head: newEstCell(unit, g.Estimate), N: g.N, Note: g.Note}
		if len(keys) == 0 {
			row.Keys = []string{"all"}
		}
		for _, k := range keys {
			row.Keys = append(row.Keys, g.Key[k])
		}
		if g.Rank > 0 {
			row.Rank = strconv.Itoa(g.Rank)
		}
		for _, m := range metrics {
			row.Metrics = append(row.Metrics, newEstCell(m.Unit, g.Metrics[m.Name]))
		}
		t.Rows = append(t.Rows, row)
		pts = append(pts, point(keyLabel(keys, g), unit, g.Estimate, ""))
	}
	t.Chart = groupChart(chartTitle+": "+value, unit, pts)
	return t
}

// newEstCell formats an estimate exactly as the CLI prints it.
func newEstCell(unit string, e tandem.Estimate) estCell {
	c := estCell{Text: analytics.FormatEstimate(unit, e), Insufficient: e.Insufficient, Num: unit == "count"}
	if !math.IsNaN(e.Value) && !math.IsInf(e.Value, 0) {
		c.Sort = strconv.FormatFloat(e.Value, 'g', -1, 64)
	}
	return c
}

// maxBars is the most groups drawn as bars; more are drawn as a forest
// plot, which stays legible with many rows.
const maxBars = 16

// groupChart draws a report's groups: differences and ratios as error bars
// around their reference value, other figures as bars with error bars.
func groupChart(title, unit string, pts []chart.Point) template.HTML {
	if len(pts) == 0 {
		return ""
	}
	opt := chart.Options{Title: title + " with 95% intervals", Unit: unit}
	switch unit {
	case "difference":
		zero := 0.0
		opt.Ref = &zero
		return chart.Intervals(pts, opt)
	case "ratio":
		one := 1.0
		opt.Ref, opt.Log = &one, true
		return chart.Intervals(pts, opt)
	}
	if len(pts) > maxBars {
		return chart.Intervals(pts, opt)
	}
	return chart.Bars(pts, opt)
}
