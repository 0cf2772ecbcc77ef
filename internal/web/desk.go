package web

// The deal desk's pages (DESIGN §2.3, issue 7): the deal check, the quote
// editor and the quote with its flags and approvals (desk_quotes.go), the
// approvals inbox (desk_approvals.go), and the archetype catalog and the
// approval rules (desk_admin.go). Every page is plain HTML forms posting
// back and redirecting; every statistical figure is printed with its n and
// 95% interval, or as "insufficient data".

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/desk"
	"github.com/tandemhq/tandem/internal/service"
)

// deskFlashes are the confirmations a desk redirect may ask for (?done=key),
// fixed sentences like the site's other flashes.
var deskFlashes = map[string]string{
	"quote-saved":         "The quote is saved as a new version; the approvals it needs are requested.",
	"quote-unchanged":     "Nothing changed: the quote is the same as its latest version, so no version was added.",
	"ack":                 "The flag is acknowledged on this quote.",
	"approved":            "Approved. The next step, if any, is now pending.",
	"rejected":            "Rejected. The rep sees your reason on the quote.",
	"delegated":           "The approval is handed over.",
	"away-set":            "Your delegation is saved: your delegate can decide your approvals while you are away.",
	"away-cleared":        "Your delegation is cleared.",
	"rules-applied":       "The rule set is applied as a new version. Quotes saved from now on are routed under it; approvals already requested keep their routing.",
	"archetypes-accepted": "The archetypes are accepted. Quotes saved from now on are matched against them.",
	"archetype-saved":     "The archetype is saved as a new version.",
	"triggers-saved":      "The review triggers are saved as a new version.",
	"reviews-scanned":     "Reviews are open for every open deal the triggers fire on.",
	"review-saved":        "The review is saved as a new version.",
}

// deskFlash returns the confirmation named by ?done=, the desk's or the
// site's.
func deskFlash(r *http.Request) string {
	if m, ok := deskFlashes[r.URL.Query().Get("done")]; ok {
		return m
	}
	return flash(r)
}

// deskProblem reports whether err is one a desk form re-renders with: bad
// input, a conflict with stored state, or something it names that does not
// exist (a deal id typed into a form).
func deskProblem(err error) bool {
	return userProblem(err) || tandem.ErrorCode(err) == tandem.ENOTFOUND
}

// versionParam reads ?version=N (0 when absent).
func versionParam(r *http.Request) (int, error) {
	v := strings.TrimSpace(r.URL.Query().Get("version"))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, tandem.Errorf(tandem.EINVALID, "version: %q is not a version number", v)
	}
	return n, nil
}

// Paths of desk pages.
func quoteHref(id string) string      { return "/desk/quotes/" + url.PathEscape(id) }
func archetypeHref(id string) string  { return "/desk/archetypes/" + url.PathEscape(id) }
func dealHref(id string) string       { return "/deals/" + url.PathEscape(id) }
func newQuoteHref(deal string) string { return "/desk/quotes/new?deal=" + url.QueryEscape(deal) }
func checkHref(deal string) string    { return "/desk?deal=" + url.QueryEscape(deal) }

// ---- Figures ----

// figView is a figure as a page prints it: its label, its value with n and
// interval (or "insufficient data (n=…)"), and the note that defines it.
type figView struct {
	Label, Text, Note string
	Insufficient      bool
}

// figureText renders a figure as every interface does (desk.FigureText).
func figureText(f desk.Figure) string { return desk.FigureText(f) }

func figureView(f desk.Figure) figView {
	return figView{Label: f.Label, Text: figureText(f), Note: f.Note, Insufficient: f.Insufficient}
}

func figureViews(fs []desk.Figure) []figView {
	out := make([]figView, 0, len(fs))
	for _, f := range fs {
		out = append(out, figureView(f))
	}
	return out
}

// bandText renders a pricing band: "P25–P75 (median, n=N)", or
// "insufficient data (n=N)" below the minimum sample.
func bandText(unit string, b desk.Band, minN int) string {
	switch {
	case b.N == 0:
		return "no band"
	case b.N < minN:
		return fmt.Sprintf("insufficient data (n=%d)", b.N)
	}
	return fmt.Sprintf("%s–%s (median %s, n=%d)", desk.UnitText(unit, b.P25), desk.UnitText(unit, b.P75), desk.UnitText(unit, b.Median), b.N)
}

// money renders an amount with thousands separators and the currency.
func money(v float64, currency string) string {
	return strings.TrimSpace(analytics.FormatNumber("money", v) + " " + currency)
}

// moneyText is an amount in the figures' money format, without currency.
func moneyText(v float64) string { return analytics.FormatNumber("money", v) }

// decimal renders a number as typed: no exponent, no trailing zeros.
func decimal(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// percent renders a percentage with one decimal.
func percent(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + "%" }

// ---- Badges ----

// deskBadge is the badge class of a desk status or severity.
func deskBadge(v string) string {
	switch v {
	case "approved", "accepted", "within":
		return "badge badge-good"
	case "rejected", "risk", "retired", "above":
		return "badge badge-bad"
	case "pending", "warn", "proposed", "below":
		return "badge badge-warn"
	case "waiting", "info":
		return "badge badge-info"
	}
	return "badge"
}

// ---- The check: match, lines, flags ----

// matchView is the archetype a quote matched.
type matchView struct {
	Name, Href, Reason string
	Version            int
	Distance           string
	None               bool
}

func matchOf(m desk.Match) matchView {
	v := matchView{Name: m.Name, Reason: m.Reason, Version: m.Version, Distance: strconv.FormatFloat(m.Distance, 'f', 2, 64), None: m.Archetype == ""}
	if m.Archetype != "" {
		v.Href = archetypeHref(m.Archetype)
		if v.Name == "" {
			v.Name = m.Archetype
		}
	}
	return v
}

// lineView is one line of a quote (or of a check without a saved quote)
// with where it sits in its archetype's band.
type lineView struct {
	ID, Product                             string
	Quantity, ListPrice, Discount, NetPrice string
	Band, Position, PositionBadge           string
	Bar                                     *bandBar
}

// bandBar draws a line's discount against its band on a 0–Max% scale: the
// P25–P75 range as a box, the median as a tick, the quote as a marker. The
// numbers are SVG coordinates in a 200-unit wide viewBox.
type bandBar struct {
	BoxX, BoxW, MedX, DotX float64
	Max                    string
	Title                  string
}

// bar lays out a band bar, or nil when there is no band to draw.
func bar(discount float64, b *desk.Band, minN int) *bandBar {
	if b == nil || b.N == 0 || b.N < minN {
		return nil
	}
	top := math.Max(b.P75, discount)
	scale := math.Min(100, math.Max(10, math.Ceil(top*1.25/10)*10))
	x := func(v float64) float64 { return math.Round(math.Max(0, math.Min(v, scale))/scale*2000) / 10 }
	return &bandBar{BoxX: x(b.P25), BoxW: math.Max(1, x(b.P75)-x(b.P25)), MedX: x(b.Median), DotX: x(discount),
		Max: strconv.FormatFloat(scale, 'f', 0, 64) + "%",
		Title: fmt.Sprintf("discount %s against the band %s–%s (median %s) of won deals, n=%d", percent(discount),
			percent(b.P25), percent(b.P75), percent(b.Median), b.N)}
}

// linesOf joins a check's line positions with the quote's lines (nil when
// there is no saved quote), naming products.
func linesOf(c *desk.Check, q *tandem.Quote, names map[string]string, minN int) []lineView {
	byID := map[string]tandem.QuoteLine{}
	cur := ""
	if q != nil {
		cur = q.Currency
		for _, l := range q.Lines {
			byID[l.ID] = l
		}
	}
	out := make([]lineView, 0, len(c.Lines))
	for _, p := range c.Lines {
		v := lineView{ID: p.Line, Product: productName(names, p.Product), Discount: percent(p.Discount),
			Band: bandText("percent", derefBand(p.Band), minN), Position: p.Position, PositionBadge: deskBadge(p.Position),
			Bar: bar(p.Discount, p.Band, minN)}
		if l, ok := byID[p.Line]; ok {
			v.Quantity, v.ListPrice, v.NetPrice = decimal(l.Quantity), money(l.ListPrice, cur), money(l.NetPrice, cur)
		}
		out = append(out, v)
	}
	return out
}

func derefBand(b *desk.Band) desk.Band {
	if b == nil {
		return desk.Band{}
	}
	return *b
}

// productName is a product's name with its id, or the id alone.
func productName(names map[string]string, id string) string {
	if n := names[id]; n != "" && n != id {
		return n + " (" + id + ")"
	}
	return id
}

// flagView is one guardrail flag as a page shows it.
type flagView struct {
	Anchor, Code, Title, Severity, Badge, Message, Line, Link string
	Evidence                                                  []figView
	Suggestions                                               []suggestionView
	Acks                                                      []ackView
}

type suggestionView struct {
	Text    string
	Figures []figView
}

type ackView struct {
	By, At, Note string
}

func flagsOf(fs []desk.Flag) []flagView {
	titles := map[string]string{}
	for _, d := range desk.FlagDocs() {
		titles[d.Code] = d.Title
	}
	out := make([]flagView, 0, len(fs))
	for i, f := range fs {
		v := flagView{Anchor: "flag-" + strconv.Itoa(i+1), Code: f.Code, Title: titles[f.Code], Severity: string(f.Severity),
			Badge: deskBadge(string(f.Severity)), Message: f.Message, Line: f.Line, Link: f.Link, Evidence: figureViews(f.Evidence)}
		if v.Link == "" {
			v.Link = "/desk/flags#" + f.Code
		}
		if v.Title == "" {
			v.Title = f.Code
		}
		for _, s := range f.Suggestions {
			v.Suggestions = append(v.Suggestions, suggestionView{Text: s.Text, Figures: figureViews(s.Figures)})
		}
		for _, a := range f.Acknowledged {
			v.Acks = append(v.Acks, ackView{By: a.By, At: dateTimeText(a.At), Note: a.Note})
		}
		out = append(out, v)
	}
	return out
}

// approvalRow is one approval step in a table.
type approvalRow struct {
	tandem.Approval
	StatusBadge, StepText, Requested, Acted, Due string
	Overdue                                      bool
	// CanDecide is set when the viewer may approve or reject the step now;
	// As says how ("as delegate of …").
	CanDecide bool
	As        string
	QuoteHref string
}

func approvalRowOf(a tandem.Approval, now time.Time) approvalRow {
	r := approvalRow{Approval: a, StatusBadge: deskBadge(string(a.Status)), StepText: strconv.Itoa(a.Step + 1),
		Requested: dateTimeText(a.RequestedAt), Acted: dateTimeText(a.ActedAt), QuoteHref: quoteHref(a.QuoteID)}
	if a.Mode != "" && a.Mode != "sequential" {
		r.StepText += " (" + a.Mode + ")"
	}
	if a.Status.Open() && !a.DueAt.IsZero() {
		r.Due = dateTimeText(a.DueAt)
		r.Overdue = a.Status == tandem.ApprovalPending && a.DueAt.Before(now)
	}
	return r
}

// names returns the id → name map of an entity's rows (products,
// features), for showing names next to ids, and the rows as options.
func (s *Site) names(ctx context.Context, entity string) (map[string]string, []option, error) {
	l, err := s.svc.List(ctx, entity, url.Values{"limit": {"2000"}, "sort": {"name"}})
	if err != nil {
		return nil, nil, err
	}
	m := map[string]string{}
	var opts []option
	for _, r := range l.Page.Records {
		x := rec{e: l.Entity, r: r}
		m[x.ID()] = x.Title()
		opts = append(opts, option{Value: x.ID(), Label: x.Title()})
	}
	return m, opts, nil
}

// option is one choice of a select or datalist.
type option struct {
	Value, Label string
}

// minN is the desk's minimum sample, for bands.
func (s *Site) minN(ctx context.Context) int {
	set, _, err := s.svc.DeskSettings(ctx)
	if err != nil || set.MinN <= 0 {
		return desk.DefaultSettings().MinN
	}
	return set.MinN
}

// ---- Quote summaries (the check page and the deal page) ----

// quoteSummaryRow is one of a deal's quotes.
type quoteSummaryRow struct {
	ID, Href, Author, At, ACV, Discount, Status, StatusBadge string
	Version, Flags                                           int
}

func quoteSummaries(qs []service.QuoteSummary) []quoteSummaryRow {
	slices.SortStableFunc(qs, func(a, b service.QuoteSummary) int { return b.CreatedAt.Compare(a.CreatedAt) })
	out := make([]quoteSummaryRow, 0, len(qs))
	for _, q := range qs {
		out = append(out, quoteSummaryRow{ID: q.ID, Href: quoteHref(q.ID), Author: q.Author, At: dateTimeText(q.CreatedAt),
			ACV: analytics.FormatNumber("money", q.ACV), Discount: percent(q.Discount), Status: q.Status, StatusBadge: deskBadge(q.Status),
			Version: q.Version, Flags: q.Flags})
	}
	return out
}

// dealDesk is the "Quotes" section of a deal's page: its quotes, newest
// first (the first carries the latest check), and where to build or check
// one.
type dealDesk struct {
	Quotes    []quoteSummaryRow
	NewHref   string
	CheckHref string
	CanQuote  bool
}

// dealDeskOf returns a deal's Quotes section, or nil when the viewer does
// not read the deal desk. It reads stored quotes only, so the deal page
// stays as fast as it was.
func (s *Site) dealDeskOf(r *http.Request, dealID string) (*dealDesk, error) {
	p := auth.FromContext(r.Context())
	if !p.Can(auth.PermDeskRead) {
		return nil, nil
	}
	qs, err := s.svc.DealQuotes(r.Context(), dealID)
	if err != nil {
		return nil, err
	}
	return &dealDesk{Quotes: quoteSummaries(qs), NewHref: newQuoteHref(dealID), CheckHref: checkHref(dealID), CanQuote: p.Can(auth.PermDeskQuote)}, nil
}

// ---- GET /desk: the deal check ----

// deskCheckPage is the data of the deal check page.
type deskCheckPage struct {
	// Kind is "check": the page renders through the quote page's
	// template, which shares its partials.
	Kind     string
	Deal     string
	DealName string
	DealHref string
	Checked  bool
	// Quote names the saved quote the check is of, when the deal has one.
	QuoteID, QuoteHref string
	QuoteVersion       int
	ACV, Discount      string
	CheckedAt          string
	Match              matchView
	Lines              []lineView
	Flags              []flagView
	Approvals          []approvalRow
	Quotes             []quoteSummaryRow
	CanQuote           bool
	NewHref            string
}

// handleDeskCheck shows the deal check form and, for ?deal=ID, the check
// of the deal: its latest quote's, or a draft's from its line items.
func (s *Site) handleDeskCheck(w http.ResponseWriter, r *http.Request) error {
	p, err := require(r, auth.PermDeskRead)
	if err != nil {
		return err
	}
	ctx := r.Context()
	d := deskCheckPage{Deal: strings.TrimSpace(r.URL.Query().Get("deal")), CanQuote: p.Can(auth.PermDeskQuote)}
	v := s.newView(r, "Deal desk", "desk")
	v.Flash = deskFlash(r)
	status := http.StatusOK
	if d.Deal != "" {
		d.DealHref, d.NewHref = dealHref(d.Deal), newQuoteHref(d.Deal)
		c, err := s.svc.CheckDeal(ctx, d.Deal)
		switch {
		case deskProblem(err):
			status, v.Problem = tandem.HTTPStatus(err), tandem.ErrorMessage(err)
		case err != nil:
			return err
		default:
			names, _, err := s.names(ctx, "products")
			if err != nil {
				return err
			}
			minN := s.minN(ctx)
			d.Checked = true
			d.QuoteID, d.QuoteVersion = c.QuoteID, c.QuoteVersion
			if c.QuoteID != "" {
				d.QuoteHref = quoteHref(c.QuoteID) + "?version=" + strconv.Itoa(c.QuoteVersion)
			}
			d.ACV, d.Discount, d.CheckedAt = analytics.FormatNumber("money", c.ACV), percent(c.Discount), dateTimeText(c.CheckedAt)
			d.Match, d.Lines, d.Flags = matchOf(c.Match), linesOf(c, nil, names, minN), flagsOf(c.Flags)
			now := s.sessions.Now()
			for _, a := range c.Approvals {
				d.Approvals = append(d.Approvals, approvalRowOf(a, now))
			}
			qs, err := s.svc.DealQuotes(ctx, d.Deal)
			if err != nil {
				return err
			}
			d.Quotes = quoteSummaries(qs)
			if _, rr, err := s.svc.Get(ctx, "deals", d.Deal); err == nil {
				e, _ := s.svc.Catalog().Entity("deals")
				if e != nil {
					d.DealName = rec{e: e, r: rr}.Title()
				}
			}
		}
	}
	d.Kind = "check"
	v.Data = d
	return s.render(w, status, "desk_quote", v)
}

// ---- GET /desk/flags ----

// flagDocRow is one flag definition.
type flagDocRow struct {
	Code, Title, Definition, Severity, Badge string
}

// handleFlagDocs lists every guardrail flag with its definition, each
// anchored by its code (the target of every flag's link).
func (s *Site) handleFlagDocs(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermDeskRead); err != nil {
		return err
	}
	var rows []flagDocRow
	for _, d := range desk.FlagDocs() {
		rows = append(rows, flagDocRow{Code: d.Code, Title: d.Title, Definition: d.Definition, Severity: string(d.Severity), Badge: deskBadge(string(d.Severity))})
	}
	v := s.newView(r, "Guardrail flags", "desk")
	v.Data = rows
	return s.render(w, http.StatusOK, "desk_flags", v)
}
