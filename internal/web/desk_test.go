package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/desk"
)

// The parts of a form formValues reads.
var (
	inputRe    = regexp.MustCompile(`<input\b[^>]*>`)
	selectRe   = regexp.MustCompile(`(?s)<select\b[^>]*\bname="([^"]+)"[^>]*>(.*?)</select>`)
	selectedRe = regexp.MustCompile(`<option value="([^"]*)" selected>`)
	textareaRe = regexp.MustCompile(`(?s)<textarea\b[^>]*\bname="([^"]+)"[^>]*>(.*?)</textarea>`)
)

// deskTestRules needs the revops role's approval for a discount over 10%.
const deskTestRules = `version: 1
rules:
  - name: discount-over-10
    level: 1
    when: {field: quote.discount, op: ">", value: 10}
    approvers: {mode: sequential, steps: [{role: revops}]}
`

// page gets a desk page, requires its status and the marks every page
// must carry, and returns its body.
func (f *fixture) page(t *testing.T, p *auth.Principal, method, target string, form url.Values, status int, has ...string) string {
	t.Helper()
	var body reqBody
	if form != nil {
		form.Set("csrf", "csrf-token")
		body.form = form
	}
	w := f.do(t, p, method, target, body)
	if w.Code != status {
		t.Fatalf("%s %s: status %d, want %d:\n%.3000s", method, target, w.Code, status, w.Body.String())
	}
	b := w.Body.String()
	if status == http.StatusSeeOther {
		return w.Header().Get("Location")
	}
	checkPage(t, b)
	for _, h := range has {
		if !strings.Contains(b, h) {
			t.Errorf("%s %s lacks %q:\n%.3000s", method, target, h, b)
		}
	}
	return b
}

// TestDeskPages walks the desk through its pages: rules refused and
// applied, archetypes derived and accepted, a deal checked, a quote built
// (and refused with its problems by field), approved by the role its rule
// names, a flag acknowledged, and a new version that changes one field.
func TestDeskPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true, true)
	admin, sales, revops, product := f.users[tandem.RoleAdmin], f.users[tandem.RoleSales], f.users[tandem.RoleRevOps], f.users[tandem.RoleProduct]

	var codes []string
	for _, d := range desk.FlagDocs() {
		codes = append(codes, `id="`+d.Code+`"`)
	}
	f.page(t, sales, "GET", "/desk/flags", nil, 200, codes...)

	// Rules: none; a refused file lists its problems and keeps the text;
	// a good one applies.
	f.page(t, admin, "GET", "/desk/rules", nil, 200, "No rule set applied", `action="/desk/rules"`)
	f.page(t, sales, "GET", "/desk/rules", nil, 200, "No rule set applied")
	bad := "version: 1\nrules:\n  - name: x\n    levle: 1\n"
	f.page(t, admin, "POST", "/desk/rules", url.Values{"name": {"bad.yaml"}, "source": {bad}}, 400,
		"bad.yaml:4:5: rules[0]", "levle: 1\n</textarea>", "No rule set applied")
	f.page(t, admin, "POST", "/desk/rules", url.Values{"name": {"r.yaml"}, "source": {deskTestRules}, "note": {"one level"}}, 303)
	f.page(t, sales, "GET", "/desk/rules", nil, 200, "In force: version 1", "discount-over-10", "role revops", "one level")
	f.page(t, sales, "POST", "/desk/rules", url.Values{"source": {deskTestRules}}, 403)
	f.page(t, sales, "GET", "/desk/rules?version=1", nil, 200, "In force: version 1")
	f.page(t, sales, "GET", "/desk/rules?version=9", nil, 404, "versions 1 to 1, not 9")

	// Archetypes: derive with a small minimum, accept all.
	f.page(t, admin, "GET", "/desk/archetypes", nil, 200, "No archetypes yet", "Derive proposals")
	f.page(t, admin, "POST", "/desk/archetypes/derive", url.Values{"min_n": {"5"}}, 200, "Accept all", "n=")
	if loc := f.page(t, admin, "POST", "/desk/archetypes/accept", url.Values{"min_n": {"5"}, "all": {"1"}}, 303); !strings.HasPrefix(loc, "/desk/archetypes?done=") {
		t.Errorf("accept went to %s", loc)
	}
	list := f.page(t, sales, "GET", "/desk/archetypes", nil, 200, "accepted", "won / (won + lost)")
	if strings.Contains(list, "Derive proposals") {
		t.Errorf("sales is offered the derive form")
	}
	as, err := f.svc.Archetypes(t.Context())
	if err != nil || len(as) == 0 {
		t.Fatalf("archetypes: %d, %v", len(as), err)
	}
	f.page(t, sales, "GET", archetypeHref(as[0].ID), nil, 200, "Pricing bands", "Versions")
	loc := f.page(t, admin, "POST", archetypeHref(as[0].ID), url.Values{"version": {"1"}, "name": {"Renamed"}, "status": {"accepted"}, "max_payment_days": {"45"}}, 303)
	f.page(t, admin, "GET", loc, nil, 200, "Renamed", "version 2", "45 days")
	f.page(t, admin, "POST", archetypeHref(as[0].ID), url.Values{"version": {"1"}, "name": {"Stale"}, "status": {"accepted"}}, 409, "version 2")

	// The check of a deal without a quote, then the editor drafted from it.
	f.page(t, sales, "GET", "/desk?deal=dac", nil, 200, "Check of", "a draft", "Build a quote")
	f.page(t, sales, "GET", "/desk?deal=nope", nil, 404, "no row with id")
	f.page(t, sales, "GET", "/desk/quotes/new?deal=dac", nil, 200, `name="deal_id" type="text" required value="dac"`, `name="line-0-product"`, `value="p1"`)
	f.page(t, product, "GET", "/desk/quotes/new?deal=dac", nil, 403)

	// A refused quote comes back with every problem by its field, as typed.
	form := url.Values{"deal_id": {"dac"}, "rows": {"2"}, "prows": {"1"}, "payment_terms_days": {"30"},
		"line-0-product": {"nope"}, "line-0-quantity": {"1"}, "line-0-list_price": {"100"},
		"line-1-product": {"p1"}, "line-1-quantity": {"1"}, "line-1-list_price": {"100"}, "line-1-discount": {"120"},
		"promise-0-feature": {"f2"}, "promise-0-date": {"someday"}}
	f.page(t, sales, "POST", "/desk/quotes", form, 400, `id="promise-0-date-error"`, "is not a date", `value="someday"`)
	form.Set("promise-0-date", "2026-08-01")
	f.page(t, sales, "POST", "/desk/quotes", form, 400, `id="line-0-product-error"`, `no product &#34;nope&#34;`, `value="nope"`, `aria-invalid="true"`)
	form.Set("line-0-product", "p1")
	f.page(t, sales, "POST", "/desk/quotes", form, 400, `id="line-1-discount-error"`, "more than 100%", `value="120"`)

	// A good one: 20% off needs revops.
	form.Set("line-1-discount", "20")
	form.Set("line-0-discount", "20")
	loc = f.page(t, sales, "POST", "/desk/quotes", form, 303)
	if loc != "/desk/quotes/dac-Q1?done=quote-saved" {
		t.Fatalf("saved quote went to %s", loc)
	}
	body := f.page(t, sales, "GET", loc, nil, 200, "Quote dac-Q1", "version 1 of 1", "approvals pending", "discount-over-10", "role:revops",
		"The quote is saved", `href="/desk/quotes/dac-Q1/edit"`, `action="/desk/quotes/dac-Q1/acks"`)
	if strings.Contains(body, "/approve") {
		t.Errorf("sales is offered to decide revops' step")
	}
	f.page(t, product, "GET", loc, nil, 200, "Quote dac-Q1")
	v, err := f.svc.Quote(t.Context(), "dac-Q1", 0)
	if err != nil || len(v.Approvals) != 1 || len(v.Check.Flags) == 0 {
		t.Fatalf("quote: %v, %+v", err, v)
	}
	for _, fl := range v.Check.Flags {
		for _, e := range fl.Evidence {
			if txt := figureText(e); !strings.Contains(txt, "n=") {
				t.Errorf("flag %s evidence %q has no n", fl.Code, txt)
			}
		}
	}
	f.page(t, sales, "POST", "/desk/quotes/dac-Q1/acks", url.Values{"code": {v.Check.Flags[0].Code}, "note": {"known " + xss}, "anchor": {"flag-1"}}, 303)
	f.page(t, sales, "GET", "/desk/quotes/dac-Q1", nil, 200, "acknowledged", "known &lt;script&gt;")
	f.page(t, sales, "POST", "/desk/quotes/dac-Q1/acks", url.Values{"code": {"nope"}}, 400, "has no flag")

	// The inbox: revops sees the step; rejecting needs a reason; approve.
	step := v.Approvals[0].ID
	f.page(t, revops, "GET", "/desk/approvals", nil, 200, "dac-Q1", "/desk/approvals/"+step+"/approve", "/desk/approvals/"+step+"/reject")
	f.page(t, product, "GET", "/desk/approvals", nil, 200, "Nothing waits for you")
	f.page(t, product, "GET", "/desk/approvals?all=1", nil, 403)
	f.page(t, admin, "GET", "/desk/approvals?all=1", nil, 200, "dac-Q1", "Not yours to decide")
	f.page(t, revops, "POST", "/desk/approvals/"+step+"/reject", url.Values{"back": {"inbox"}}, 400, "a rejection needs a reason")
	f.page(t, product, "POST", "/desk/approvals/"+step+"/approve", url.Values{"back": {"quote"}, "quote": {"dac-Q1"}}, 403, "waits for role:revops")
	if loc := f.page(t, revops, "POST", "/desk/approvals/"+step+"/approve", url.Values{"back": {"quote"}, "quote": {"dac-Q1"}, "reason": {"fine"}}, 303); loc != "/desk/quotes/dac-Q1?done=approved#approvals" {
		t.Errorf("approve went to %s", loc)
	}
	f.page(t, sales, "GET", "/desk/quotes/dac-Q1", nil, 200, "approvals approved", "fine")
	f.page(t, revops, "POST", "/desk/approvals/"+step+"/approve", url.Values{"back": {"inbox"}}, 409, "nothing to decide")

	// Away: a delegate who is no user is refused; a user is saved.
	f.page(t, revops, "POST", "/desk/approvals/"+step+"/delegate", url.Values{"to": {"admin@example.com"}}, 409, "only a pending approval")
	f.page(t, revops, "POST", "/desk/away", url.Values{"to": {"ghost@example.com"}}, 400, "no enabled user", `value="ghost@example.com"`)
	f.page(t, revops, "POST", "/desk/away", url.Values{"to": {"admin@example.com"}, "until": {"2026-07-10"}}, 303)
	f.page(t, revops, "GET", "/desk/approvals", nil, 200, "admin@example.com</strong> decides your approvals until 2026-07-10")

	// Edit: the editor carries the stored prices; changing only the payment
	// terms changes only them.
	edit := f.page(t, sales, "GET", "/desk/quotes/dac-Q1/edit", nil, 200, `name="version" value="1"`, "Saving adds version 2")
	form = formValues(t, edit)
	form.Set("payment_terms_days", "45")
	form.Set("note", "net 45")
	if loc := f.page(t, sales, "POST", "/desk/quotes", form, 303); loc != "/desk/quotes/dac-Q1?done=quote-saved" {
		t.Fatalf("edit went to %s", loc)
	}
	v2, err := f.svc.Quote(t.Context(), "dac-Q1", 0)
	if err != nil || v2.Quote.Version != 2 || len(v2.Changes) != 1 || v2.Changes[0].Field != "payment_terms_days" {
		t.Fatalf("version 2: %v %+v", err, v2.Changes)
	}
	f.page(t, sales, "GET", "/desk/quotes/dac-Q1", nil, 200, "payment_terms_days", "<del>30</del>", "<ins>45</ins>", "stands from version 1")
	f.page(t, sales, "GET", "/desk/quotes/dac-Q1?version=1", nil, 200, "version 1 of 2", "Go to the latest version")
	// The same form again stores nothing; a stale one is refused.
	form = formValues(t, f.page(t, sales, "GET", "/desk/quotes/dac-Q1/edit", nil, 200))
	if loc := f.page(t, sales, "POST", "/desk/quotes", form, 303); !strings.HasSuffix(loc, "done=quote-unchanged") {
		t.Errorf("unchanged save went to %s", loc)
	}
	form.Set("version", "1")
	form.Set("term_months", "24")
	f.page(t, sales, "POST", "/desk/quotes", form, 409, "reload and edit again", `value="24"`)

	// The deal page lists the quote with its latest check.
	f.page(t, sales, "GET", "/deals/dac", nil, 200, "Quotes", "Latest check", "dac-Q1 version 2", "Build a quote")
	f.page(t, sales, "GET", "/desk?deal=dac", nil, 200, "latest quote", "dac-Q1 version 2")
	f.page(t, sales, "GET", "/desk/quotes/nope", nil, 404)

	// Deal reviews: triggers changed by an admin, reviews opened, one
	// filled in by product, a stale edit refused.
	f.page(t, sales, "GET", "/desk/reviews", nil, 200, "Agenda for", "Deal size at least 100000")
	f.page(t, sales, "POST", "/desk/reviews/triggers", url.Values{"min_amount": {"1"}}, 403)
	f.page(t, admin, "POST", "/desk/reviews/triggers", url.Values{"min_amount": {"lots"}, "meeting_days": {"1, 15"}}, 400, "is not a number", `value="lots"`)
	f.page(t, admin, "POST", "/desk/reviews/triggers", url.Values{"min_amount": {"1"}, "meeting_days": {"1, 15"}}, 303)
	f.page(t, admin, "POST", "/desk/reviews/scan", nil, 303)
	board := f.page(t, sales, "GET", "/desk/reviews", nil, 200, "deal size", "win rate of reviewed deals")
	m := regexp.MustCompile(`href="/desk/reviews/([^"?]+)"`).FindStringSubmatch(board)
	if m == nil {
		t.Fatalf("no review on the board:\n%s", board)
	}
	rv := "/desk/reviews/" + m[1]
	f.page(t, product, "GET", rv, nil, 200, "The deal when the review opened", `name="version" value="1"`)
	upd := url.Values{"version": {"1"}, "product_response": {"on the roadmap " + xss}, "decision": {"go"},
		"action_text": {"send the timeline", ""}, "action_owner": {"pm@example.com", ""}, "action_due": {"2026-08-01", ""}}
	f.page(t, product, "POST", rv, upd, 303)
	f.page(t, sales, "GET", rv, nil, 200, "on the roadmap &lt;script&gt;", `value="send the timeline"`, `name="version" value="2"`)
	f.page(t, product, "POST", rv, upd, 409, "version 2")
	upd.Set("version", "2")
	upd["action_due"] = []string{"soon", ""}
	f.page(t, product, "POST", rv, upd, 400, `due &#34;soon&#34; is not a day`)
}

// formValues reads the quote editor's form out of a page as a browser
// would submit it: every input's value, the selected option, the
// textarea, and checked checkboxes.
func formValues(t *testing.T, page string) url.Values {
	t.Helper()
	out := url.Values{}
	start := strings.Index(page, `<form method="post" action="/desk/quotes"`)
	if start < 0 {
		t.Fatalf("no quote form in the page")
	}
	form := page[start:]
	form = form[:strings.Index(form, "</form>")]
	attr := func(tag, name string) (string, bool) {
		i := strings.Index(tag, " "+name+`="`)
		if i < 0 {
			return "", false
		}
		v := tag[i+len(name)+3:]
		return unescape(v[:strings.IndexByte(v, '"')]), true
	}
	for _, tag := range inputRe.FindAllString(form, -1) {
		name, ok := attr(tag, "name")
		if !ok {
			continue
		}
		if typ, _ := attr(tag, "type"); typ == "checkbox" {
			if strings.Contains(tag, " checked") {
				out.Add(name, "on")
			}
			continue
		}
		v, _ := attr(tag, "value")
		out.Add(name, v)
	}
	for _, m := range selectRe.FindAllStringSubmatch(form, -1) {
		if sel := selectedRe.FindStringSubmatch(m[2]); sel != nil {
			out.Set(m[1], unescape(sel[1]))
		}
	}
	for _, m := range textareaRe.FindAllStringSubmatch(form, -1) {
		out.Set(m[1], unescape(m[2]))
	}
	return out
}

// unescape undoes the HTML escaping html/template applies to values.
func unescape(s string) string {
	return strings.NewReplacer("&#34;", `"`, "&#39;", "'", "&lt;", "<", "&gt;", ">", "&#43;", "+", "&amp;", "&").Replace(s)
}

// TestQuoteFormRoundTrip: a quote shown in the editor and posted back
// unchanged is the same quote, whatever mix of prices it stored; a changed
// discount recomputes the net price, a changed net price the discount.
func TestQuoteFormRoundTrip(t *testing.T) {
	t.Parallel()
	q := tandem.Quote{ID: "D1-Q1", Version: 3, DealID: "D1", TermMonths: 24, Billing: "quarterly", PaymentDays: 90,
		NonstandardTerms: "pay on go-live", Nonstandard: true,
		Lines: []tandem.QuoteLine{
			{ID: "L1", Product: "p1", Quantity: 3, ListPrice: 1234.57, Discount: 15, NetPrice: 1049.38},
			{ID: "L2", Product: "p2", Quantity: 1, ListPrice: 999, Discount: 0, NetPrice: 873.21}, // a draft: net only
			{ID: "L4", Product: "p3", Quantity: 2.5, ListPrice: 10, Discount: 0, NetPrice: 10},
		},
		Promises: []tandem.Promise{{Feature: "f2", Date: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC)}},
	}
	post := func(f quoteForm, edit func(url.Values)) (tandem.Quote, []string) {
		v := url.Values{"id": {f.ID}, "version": {f.Version}, "deal_id": {f.DealID}, "term_months": {f.TermMonths}, "billing": {f.Billing},
			"payment_terms_days": {f.PaymentDays}, "nonstandard_terms": {f.NonstandardTerms}, "rows": {strconv.Itoa(len(f.Lines))},
			"prows": {strconv.Itoa(len(f.Promises))}}
		if f.Nonstandard {
			v.Set("nonstandard", "on")
		}
		for i, l := range f.Lines {
			p := "line-" + strconv.Itoa(i) + "-"
			for k, x := range map[string]string{"id": l.ID, "product": l.Product, "quantity": l.Quantity, "list_price": l.ListPrice,
				"discount": l.Discount, "net_price": l.NetPrice, "was": l.Was, "raw": l.Raw} {
				v.Set(p+k, x)
			}
		}
		for i, p := range f.Promises {
			v.Set("promise-"+strconv.Itoa(i)+"-feature", p.Feature)
			v.Set("promise-"+strconv.Itoa(i)+"-date", p.Date)
		}
		if edit != nil {
			edit(v)
		}
		r, _ := http.NewRequest("POST", "/desk/quotes", strings.NewReader(v.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		got, _, problems := parseQuoteForm(r)
		return got, problems
	}
	f := formOf(&q)
	if f.Lines[1].Discount != "12.59" || f.Lines[1].Raw != "0|873.21" || len(f.Lines) != 3+blankLines || len(f.Promises) != 1+blankPromises {
		t.Fatalf("form: %+v", f)
	}
	got, problems := post(f, nil)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	if d := desk.Diff(&q, &got); len(d) != 0 || got.Version != 3 || got.ID != "D1-Q1" {
		t.Errorf("round trip changed the quote: %+v (version %d)", d, got.Version)
	}
	if got.Lines[1].Discount != 0 || got.Lines[1].NetPrice != 873.21 {
		t.Errorf("draft line not kept as stored: %+v", got.Lines[1])
	}
	for _, tc := range []struct {
		name      string
		edit      func(url.Values)
		disc, net float64
	}{
		{"discount", func(v url.Values) { v.Set("line-0-discount", "20") }, 20, 0},
		{"net price", func(v url.Values) { v.Set("line-0-net_price", "1000") }, 0, 1000},
		{"list price", func(v url.Values) { v.Set("line-0-list_price", "2000") }, 15, 0},
		{"both", func(v url.Values) { v.Set("line-0-discount", "50"); v.Set("line-0-net_price", "617.29") }, 50, 617.29},
	} {
		got, problems := post(f, tc.edit)
		if len(problems) > 0 || got.Lines[0].Discount != tc.disc || got.Lines[0].NetPrice != tc.net {
			t.Errorf("%s: line %+v, problems %v; want discount %v net %v", tc.name, got.Lines[0], problems, tc.disc, tc.net)
		}
	}
	// A new row with a product only gets quantity 1; an emptied row drops
	// its line; bad numbers are filed by field on the compacted rows.
	got, problems = post(f, func(v url.Values) {
		for _, k := range []string{"product", "quantity", "list_price", "discount", "net_price"} {
			v.Set("line-1-"+k, "")
		}
		v.Set("line-3-product", "p9")
		v.Set("line-4-product", "p8")
		v.Set("line-4-quantity", "x")
	})
	if len(got.Lines) != 4 || got.Lines[2].Product != "p9" || got.Lines[2].Quantity != 1 || len(problems) != 1 || problems[0] != `lines[3].quantity: "x" is not a number` {
		t.Errorf("rows: %+v %v", got.Lines, problems)
	}
	// Service problems are filed by field.
	var ff quoteForm
	ff.Lines = make([]lineForm, 2)
	ps := ff.problemsOf(`quote D1-Q1: lines[1].product: no product "a; b" in the catalog; billing: "weekly" is not one of monthly`)
	if ff.Lines[1].Errs["product"] == "" || ff.Errs["billing"] == "" || len(ps) != 3 {
		t.Errorf("problems: %q %+v %+v", ps, ff.Lines, ff.Errs)
	}
}

// TestFigureText: every figure shows its n and interval, or says
// insufficient data.
func TestFigureText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		f    desk.Figure
		want string
	}{
		{desk.Figure{Unit: "proportion", N: 40, Value: 0.5, CILow: 0.35, CIHigh: 0.65}, "50.0% [35.0%, 65.0%] n=40"},
		{desk.Figure{Unit: "pp", N: 31, Value: 4.2, CILow: -1, CIHigh: 9.5}, "+4.2 pp [-1.0 pp, +9.5 pp] n=31"},
		{desk.Figure{Unit: "days", N: 50, Value: 42, CILow: 40, CIHigh: 47}, "42 d [40 d, 47 d] n=50"},
		{desk.Figure{Unit: "percent", N: 33, Value: 15, CILow: 15, CIHigh: 15}, "15.0% n=33"},
		{desk.Figure{Unit: "money", N: 12, Value: 1000, Insufficient: true}, "insufficient data (n=12)"},
	} {
		if got := figureText(tc.f); got != tc.want {
			t.Errorf("figureText(%+v) = %q, want %q", tc.f, got, tc.want)
		}
	}
	if got := bandText("percent", desk.Band{N: 4, P25: 1, Median: 2, P75: 3}, 30); got != "insufficient data (n=4)" {
		t.Errorf("small band: %q", got)
	}
	if got := bandText("percent", desk.Band{N: 40, P25: 10, Median: 12, P75: 18}, 30); got != "10.0%–18.0% (median 12.0%, n=40)" {
		t.Errorf("band: %q", got)
	}
}
