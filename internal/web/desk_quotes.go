package web

import (
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/httpapi"
	"github.com/tandemhq/tandem/internal/service"
)

// Blank rows the quote editor adds after a quote's lines and promises, for
// new ones.
const (
	blankLines    = 3
	blankPromises = 2
	// maxFormRows bounds the rows a posted quote form may carry.
	maxFormRows = 200
)

// billings are the billing frequencies a quote may carry.
var billings = []string{"annual", "quarterly", "monthly", "upfront"}

// quoteForm is the quote editor's state: what was typed, as typed, so a
// refused form comes back as the user left it.
type quoteForm struct {
	ID, Version, DealID, Currency                            string
	TermMonths, Billing, PaymentDays, NonstandardTerms, Note string
	Nonstandard                                              bool
	Lines                                                    []lineForm
	Promises                                                 []promiseForm
	Errs                                                     map[string]string // top-level field → problem
}

// lineForm is one row of the editor's lines. Was holds the list price,
// discount and net price as the form first showed them and Raw the stored
// discount and net price, so the handler can tell which of the two prices
// the user changed (see quoteLine).
type lineForm struct {
	ID, Product, Quantity, ListPrice, Discount, NetPrice string
	Was, Raw                                             string
	Errs                                                 map[string]string
}

// promiseForm is one row of the editor's promised features.
type promiseForm struct {
	Feature, Date string
	Errs          map[string]string
}

// formOf fills the editor from a quote: its lines with both prices shown
// (the one the quote left to derive computed), then blank rows.
func formOf(q *tandem.Quote) quoteForm {
	f := quoteForm{ID: q.ID, DealID: q.DealID, Currency: q.Currency, Billing: q.Billing, Nonstandard: q.Nonstandard,
		NonstandardTerms: q.NonstandardTerms, Errs: map[string]string{}}
	if q.ID != "" {
		f.Version = strconv.Itoa(q.Version)
	}
	if q.TermMonths > 0 {
		f.TermMonths = strconv.Itoa(q.TermMonths)
	}
	if q.PaymentDays > 0 {
		f.PaymentDays = strconv.Itoa(q.PaymentDays)
	}
	for _, l := range q.Lines {
		disc, net := l.Discount, l.NetPrice
		switch {
		case l.ListPrice > 0 && disc == 0 && net > 0:
			disc = math.Round(10000*(1-net/l.ListPrice)) / 100
		case l.ListPrice > 0 && net == 0:
			net = math.Round(100*l.ListPrice*(1-disc/100)) / 100
		}
		lf := lineForm{ID: l.ID, Product: l.Product, Quantity: decimal(l.Quantity), ListPrice: decimal(l.ListPrice),
			Discount: decimal(disc), NetPrice: decimal(net)}
		lf.Was = lf.ListPrice + "|" + lf.Discount + "|" + lf.NetPrice
		lf.Raw = decimal(l.Discount) + "|" + decimal(l.NetPrice)
		f.Lines = append(f.Lines, lf)
	}
	for _, p := range q.Promises {
		f.Promises = append(f.Promises, promiseForm{Feature: p.Feature, Date: dateText(p.Date)})
	}
	return f.withBlanks()
}

// withBlanks appends the blank rows for new lines and promises.
func (f quoteForm) withBlanks() quoteForm {
	for range blankLines {
		f.Lines = append(f.Lines, lineForm{})
	}
	for range blankPromises {
		f.Promises = append(f.Promises, promiseForm{})
	}
	return f
}

// problem files a problem under its field path as the service names them
// ("lines[2].discount", "promises[0].date", "billing"); a path naming no
// row of the form is filed with the form's own fields.
func (f *quoteForm) problem(path, msg string) {
	file := func(errs *map[string]string, field string) {
		if *errs == nil {
			*errs = map[string]string{}
		}
		(*errs)[field] = msg
	}
	if m := linePathRe.FindStringSubmatch(path); m != nil {
		i, _ := strconv.Atoi(m[2])
		switch {
		case m[1] == "lines" && i < len(f.Lines):
			file(&f.Lines[i].Errs, m[3])
			return
		case m[1] == "promises" && i < len(f.Promises):
			file(&f.Promises[i].Errs, m[3])
			return
		}
	}
	file(&f.Errs, path)
}

var (
	// linePathRe matches a row's field path: lines[2].discount.
	linePathRe = regexp.MustCompile(`^(lines|promises)\[(\d+)\]\.([a-z_]+)$`)
	// problemRe finds the field path and message in one problem of the
	// service's message, the first problem carrying the quote's name
	// ("the new quote for deal D-1: lines[0].product: no product …").
	problemRe = regexp.MustCompile(`(?:^|: )((?:lines|promises)\[\d+\]\.[a-z_]+|deal_id|term_months|billing|payment_terms_days|currency|lines|promises): (.+)$`)
)

// problemsOf splits a quote's EINVALID message into its problems, filing
// each by field on the form; it returns the problems as sentences.
func (f *quoteForm) problemsOf(msg string) []string {
	var out []string
	for _, part := range strings.Split(msg, "; ") {
		if m := problemRe.FindStringSubmatch(part); m != nil {
			f.problem(m[1], m[2])
			out = append(out, m[1]+": "+m[2])
			continue
		}
		out = append(out, part)
	}
	return out
}

// parseQuoteForm reads the posted editor: blank rows are dropped (a blank
// row that had a line removes the line), numbers parsed, and for each line
// the price the user changed kept while the other is left for the desk to
// derive. Problems it finds are filed on the form, which comes back
// compacted so row i is lines[i].
func parseQuoteForm(r *http.Request) (tandem.Quote, quoteForm, []string) {
	val := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	f := quoteForm{ID: val("id"), Version: val("version"), DealID: val("deal_id"), Currency: val("currency"),
		TermMonths: val("term_months"), Billing: val("billing"), PaymentDays: val("payment_terms_days"),
		Nonstandard: r.PostFormValue("nonstandard") == "on", NonstandardTerms: val("nonstandard_terms"), Note: val("note"),
		Errs: map[string]string{}}
	var problems []string
	bad := func(path, format string, args ...any) {
		msg := fmt.Sprintf(format, args...)
		f.problem(path, msg)
		problems = append(problems, path+": "+msg)
	}
	q := tandem.Quote{ID: f.ID, DealID: f.DealID, Currency: f.Currency, Billing: f.Billing, Nonstandard: f.Nonstandard,
		NonstandardTerms: f.NonstandardTerms, Note: f.Note}
	whole := func(path, s string) int {
		if s == "" {
			return 0
		}
		n, err := strconv.Atoi(s)
		if err != nil {
			bad(path, "%q is not a whole number", s)
		}
		return n
	}
	if f.ID != "" {
		q.Version = whole("version", f.Version)
	}
	q.TermMonths = whole("term_months", f.TermMonths)
	q.PaymentDays = whole("payment_terms_days", f.PaymentDays)

	rows := min(atoi(r.PostFormValue("rows")), maxFormRows)
	for i := range rows {
		k := func(name string) string { return val(fmt.Sprintf("line-%d-%s", i, name)) }
		lf := lineForm{ID: k("id"), Product: k("product"), Quantity: k("quantity"), ListPrice: k("list_price"),
			Discount: k("discount"), NetPrice: k("net_price"), Was: k("was"), Raw: k("raw")}
		if lf.Product == "" && lf.Quantity == "" && lf.ListPrice == "" && lf.Discount == "" && lf.NetPrice == "" {
			continue
		}
		f.Lines = append(f.Lines, lf)
	}
	for i := range f.Lines {
		q.Lines = append(q.Lines, f.quoteLine(i, bad))
	}
	prows := min(atoi(r.PostFormValue("prows")), maxFormRows)
	for i := range prows {
		pf := promiseForm{Feature: val(fmt.Sprintf("promise-%d-feature", i)), Date: val(fmt.Sprintf("promise-%d-date", i))}
		if pf.Feature == "" && pf.Date == "" {
			continue
		}
		f.Promises = append(f.Promises, pf)
	}
	for i, pf := range f.Promises {
		p := tandem.Promise{Feature: pf.Feature}
		if pf.Date != "" {
			d, err := time.Parse(time.DateOnly, pf.Date)
			if err != nil {
				bad(fmt.Sprintf("promises[%d].date", i), "%q is not a date (YYYY-MM-DD)", pf.Date)
			}
			p.Date = d
		}
		q.Promises = append(q.Promises, p)
	}
	return q, f, problems
}

// atoi is a non-negative whole number, 0 for anything else.
func atoi(s string) int {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// quoteLine turns row i into a quote line. The editor shows both the
// discount and the net price; the desk needs one of them, or both agreeing
// to the cent. So: a row left as shown keeps its stored prices exactly; a
// changed discount or list price (net price untouched) recomputes the net
// price; a changed net price recomputes the discount; both changed are
// sent as typed, and must agree.
func (f *quoteForm) quoteLine(i int, bad func(path, format string, args ...any)) tandem.QuoteLine {
	lf := f.Lines[i]
	at := fmt.Sprintf("lines[%d].", i)
	number := func(field, s string) float64 {
		if s == "" {
			return 0
		}
		v, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			bad(at+field, "%q is not a number", s)
			return 0
		}
		return v
	}
	l := tandem.QuoteLine{ID: lf.ID, Product: lf.Product, Quantity: number("quantity", lf.Quantity),
		ListPrice: number("list_price", lf.ListPrice)}
	if lf.Quantity == "" && lf.Product != "" {
		l.Quantity = 1
		f.Lines[i].Quantity = "1"
	}
	disc, net := number("discount", lf.Discount), number("net_price", lf.NetPrice)
	was := strings.Split(lf.Was, "|")
	if len(was) != 3 {
		was = []string{lf.ListPrice, lf.Discount, lf.NetPrice}
		if lf.Discount != "" && lf.NetPrice != "" {
			// A new row with both prices: both are checked.
			was = []string{"", "", ""}
		}
	}
	listCh, discCh, netCh := lf.ListPrice != was[0], lf.Discount != was[1], lf.NetPrice != was[2]
	switch {
	case !listCh && !discCh && !netCh:
		raw := strings.Split(lf.Raw, "|")
		if len(raw) == 2 {
			l.Discount, _ = strconv.ParseFloat(raw[0], 64)
			l.NetPrice, _ = strconv.ParseFloat(raw[1], 64)
		} else {
			l.Discount, l.NetPrice = disc, net
		}
	case (discCh || listCh) && !netCh:
		l.Discount = disc
	case netCh && !discCh:
		l.NetPrice = net
	default:
		l.Discount, l.NetPrice = disc, net
	}
	return l
}

// ---- The editor ----

// quoteEditor is the data of the quote editor.
type quoteEditor struct {
	F   quoteForm
	New bool
	// NextVersion is the version saving adds.
	NextVersion int
	Deal        service.Ref
	DealHref    string
	Back        string
	Products    []option
	Features    []option
	Billings    []string
	Problems    []string
}

// editor renders the quote editor with status and problems.
func (s *Site) editor(w http.ResponseWriter, r *http.Request, status int, f quoteForm, problems []string) error {
	ctx := r.Context()
	_, products, err := s.names(ctx, "products")
	if err != nil {
		return err
	}
	_, features, err := s.names(ctx, "features")
	if err != nil {
		return err
	}
	d := quoteEditor{F: f, New: f.ID == "", Deal: service.Ref{ID: f.DealID}, DealHref: dealHref(f.DealID), Products: products,
		Features: features, Billings: billings, Problems: problems}
	if f.Billing == "" {
		d.F.Billing = "annual"
	}
	if !slices.Contains(billings, d.F.Billing) {
		d.Billings = append([]string{d.F.Billing}, billings...)
	}
	if _, rr, err := s.svc.Get(ctx, "deals", f.DealID); err == nil {
		if e, _ := s.svc.Catalog().Entity("deals"); e != nil {
			d.Deal.Name = rec{e: e, r: rr}.Title()
		}
	}
	d.NextVersion = atoi(f.Version) + 1
	d.Back = d.DealHref
	title := "New quote"
	if !d.New {
		title = "Edit quote " + f.ID
		d.Back = quoteHref(f.ID)
	}
	v := s.newView(r, title, "desk")
	if len(problems) > 0 {
		v.Problem = "the quote is not saved; fix the fields marked below."
	}
	v.Data = d
	return s.render(w, status, "desk_quote_edit", v)
}

// handleQuoteNew shows the editor prefilled with a draft of the deal's
// first quote (its line items at catalog list prices).
func (s *Site) handleQuoteNew(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermDeskQuote); err != nil {
		return err
	}
	deal := strings.TrimSpace(r.URL.Query().Get("deal"))
	if deal == "" {
		return tandem.Errorf(tandem.EINVALID, "deal: which deal is the quote for? (/desk/quotes/new?deal=ID)")
	}
	q, err := s.svc.DraftQuote(r.Context(), deal)
	if tandem.ErrorCode(err) == tandem.EINVALID {
		// A deal with nothing to draft from: an empty editor for it.
		f := quoteForm{DealID: deal, TermMonths: "12", Billing: "annual", PaymentDays: "30", Errs: map[string]string{}}
		return s.editor(w, r, http.StatusOK, f.withBlanks(), []string{tandem.ErrorMessage(err)})
	}
	if err != nil {
		return err
	}
	return s.editor(w, r, http.StatusOK, formOf(q), nil)
}

// handleQuoteEdit shows the editor prefilled with a quote's latest version.
func (s *Site) handleQuoteEdit(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermDeskQuote); err != nil {
		return err
	}
	v, err := s.svc.Quote(r.Context(), r.PathValue("id"), 0)
	if err != nil {
		return err
	}
	q := v.Quote
	f := formOf(&q)
	return s.editor(w, r, http.StatusOK, f, nil)
}

// handleQuoteSave saves a quote (a new one, or a new version of one) and
// goes to its page; a refused quote comes back in the editor with every
// problem next to its field.
func (s *Site) handleQuoteSave(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermDeskQuote); err != nil {
		return err
	}
	q, f, problems := parseQuoteForm(r)
	if len(problems) > 0 {
		return s.editor(w, r, http.StatusBadRequest, f.withBlanks(), problems)
	}
	base := q.Version
	v, err := s.svc.SaveQuote(r.Context(), httpapi.Actor(r), q)
	if deskProblem(err) {
		msg := tandem.ErrorMessage(err)
		if tandem.ErrorCode(err) == tandem.EINVALID {
			problems = f.problemsOf(msg)
		} else {
			problems = []string{msg}
		}
		return s.editor(w, r, tandem.HTTPStatus(err), f.withBlanks(), problems)
	}
	if err != nil {
		return err
	}
	done := "quote-saved"
	if q.ID != "" && v.Quote.Version == base {
		done = "quote-unchanged"
	}
	return redirect(w, r, quoteHref(v.Quote.ID)+"?done="+done)
}

// ---- The quote ----

// quotePage is the data of a quote's page.
type quotePage struct {
	Kind      string // "quote"
	V         *service.QuoteView
	Href      string
	DealHref  string
	EditHref  string
	Shown     int
	IsLatest  bool
	Status    string
	Badge     string
	Facts     []fact
	Versions  []versionRow
	Changes   []changeRow
	Match     matchView
	Lines     []lineView
	Flags     []flagView
	Approvals []approvalRow
	CanQuote  bool
	CanDecide bool
	Promises  []promiseRow
	Terms     string
}

// versionRow is one version in a history list.
type versionRow struct {
	Version       int
	Href          string
	Author, At    string
	Note          string
	Shown, Latest bool
}

// changeRow is one difference from the previous version.
type changeRow struct {
	Field, From, To string
}

// promiseRow is one promised feature.
type promiseRow struct {
	Feature, Date, Status string
}

// handleQuote shows one version of a quote (?version=N, default the latest).
func (s *Site) handleQuote(w http.ResponseWriter, r *http.Request) error {
	return s.quote(w, r, http.StatusOK, "", r.PathValue("id"))
}

// quote renders a quote's page with status and an optional problem.
func (s *Site) quote(w http.ResponseWriter, r *http.Request, status int, problem, id string) error {
	p, err := require(r, auth.PermDeskRead)
	if err != nil {
		return err
	}
	ctx := r.Context()
	version, err := versionParam(r)
	if err != nil {
		return err
	}
	qv, err := s.svc.Quote(ctx, id, version)
	if err != nil {
		return err
	}
	names, _, err := s.names(ctx, "products")
	if err != nil {
		return err
	}
	fnames, _, err := s.names(ctx, "features")
	if err != nil {
		return err
	}
	q := qv.Quote
	d := quotePage{Kind: "quote", V: qv, Href: quoteHref(q.ID), DealHref: dealHref(q.DealID), EditHref: quoteHref(q.ID) + "/edit",
		Shown: q.Version, IsLatest: q.Version == qv.Latest, Status: qv.Status, Badge: deskBadge(qv.Status),
		CanQuote: p.Can(auth.PermDeskQuote), Terms: q.NonstandardTerms}
	nonstd := "no"
	if q.Nonstandard {
		nonstd = "yes"
	}
	d.Facts = facts(
		fact{Label: "Deal", Value: refName(qv.Deal), Href: d.DealHref},
		fact{Label: "Annual contract value", Value: money(q.ACV(), q.Currency), Num: true},
		fact{Label: "Overall discount", Value: percent(q.Discount()), Num: true},
		fact{Label: "Term", Value: strconv.Itoa(q.TermMonths) + " months"},
		fact{Label: "Billing", Value: q.Billing},
		fact{Label: "Payment terms", Value: "net " + strconv.Itoa(q.PaymentDays) + " days"},
		fact{Label: "Non-standard", Value: nonstd},
		fact{Label: "Saved by", Value: q.Author},
		fact{Label: "Saved at", Value: dateTimeText(q.CreatedAt)},
		fact{Label: "Rule set", Value: ruleSetText(qv.RulesVersion), Href: rulesVersionHref(qv.RulesVersion)},
	)
	for _, dv := range qv.Versions {
		d.Versions = append(d.Versions, versionRow{Version: dv.Version, Href: quoteHref(q.ID) + "?version=" + strconv.Itoa(dv.Version),
			Author: dv.Author, At: dateTimeText(dv.CreatedAt), Note: dv.Note, Shown: dv.Version == q.Version, Latest: dv.Version == qv.Latest})
	}
	for _, c := range qv.Changes {
		d.Changes = append(d.Changes, changeRow{Field: c.Field, From: c.From, To: c.To})
	}
	for _, pr := range q.Promises {
		st := "released"
		switch {
		case pr.Unreleased:
			st = "unreleased"
		case pr.Beta:
			st = "beta"
		}
		d.Promises = append(d.Promises, promiseRow{Feature: productName(fnames, pr.Feature), Date: dateText(pr.Date), Status: st})
	}
	minN := s.minN(ctx)
	d.Match, d.Lines, d.Flags = matchOf(qv.Check.Match), linesOf(&qv.Check, &q, names, minN), flagsOf(qv.Check.Flags)
	// The steps the viewer may decide now.
	mine := map[string]string{}
	if d.IsLatest && qv.Status == "pending" {
		if mine, err = s.svc.Decidable(ctx, p.User, qv.Approvals); err != nil {
			return err
		}
	}
	now := s.sessions.Now()
	for _, a := range qv.Approvals {
		row := approvalRowOf(a, now)
		if as, ok := mine[a.ID]; ok {
			row.CanDecide, row.As = true, as
			d.CanDecide = true
		}
		d.Approvals = append(d.Approvals, row)
	}
	v := s.newView(r, "Quote "+q.ID, "desk")
	v.Flash, v.Problem, v.Data = deskFlash(r), problem, d
	return s.render(w, status, "desk_quote", v)
}

// ruleSetText names the rule set a quote was routed under.
func ruleSetText(v int) string {
	if v == 0 {
		return "none applied"
	}
	return "version " + strconv.Itoa(v)
}

func rulesVersionHref(v int) string {
	if v == 0 {
		return "/desk/rules"
	}
	return "/desk/rules?version=" + strconv.Itoa(v)
}

// handleAck acknowledges a flag on a quote's latest version.
func (s *Site) handleAck(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermDeskQuote); err != nil {
		return err
	}
	id := r.PathValue("id")
	_, err := s.svc.AckFlag(r.Context(), httpapi.Actor(r), id, strings.TrimSpace(r.PostFormValue("code")), r.PostFormValue("note"))
	if deskProblem(err) && tandem.ErrorCode(err) != tandem.ENOTFOUND {
		return s.quote(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), id)
	}
	if err != nil {
		return err
	}
	anchor := strings.TrimSpace(r.PostFormValue("anchor"))
	if !anchorRe.MatchString(anchor) {
		anchor = "flags"
	}
	return redirect(w, r, quoteHref(id)+"?done=ack#"+anchor)
}

// anchorRe is what a fragment posted back by a form may be.
var anchorRe = regexp.MustCompile(`^[a-z][a-z0-9-]{0,40}$`)
