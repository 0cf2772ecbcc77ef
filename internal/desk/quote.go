package desk

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
)

// Billing frequencies a quote may carry.
var billings = []string{"monthly", "quarterly", "annual", "upfront"}

// Normalize checks a quote a person or an import wrote and fills what
// follows from the rest: a line's net price from its list price and
// discount or the discount from the two prices, missing line ids ("L1",
// "L2", … after the highest number already used, so ids stay stable
// across versions), a 12-month term and 30-day payment terms when absent,
// and annual billing. Every problem is reported at once, by field path, as
// one EINVALID error.
func Normalize(q *tandem.Quote) error {
	var problems []string
	bad := func(field, format string, args ...any) {
		problems = append(problems, field+": "+fmt.Sprintf(format, args...))
	}
	q.DealID = strings.TrimSpace(q.DealID)
	if q.DealID == "" {
		bad("deal_id", "a quote belongs to a deal")
	}
	if q.TermMonths == 0 {
		q.TermMonths = 12
	}
	if q.TermMonths < 0 || q.TermMonths > 120 {
		bad("term_months", "%d is outside 1 to 120", q.TermMonths)
	}
	q.Billing = strings.ToLower(strings.TrimSpace(q.Billing))
	if q.Billing == "" {
		q.Billing = "annual"
	}
	if !slices.Contains(billings, q.Billing) {
		bad("billing", "%q is not one of %s", q.Billing, strings.Join(billings, ", "))
	}
	if q.PaymentDays == 0 {
		q.PaymentDays = 30
	}
	if q.PaymentDays < 0 || q.PaymentDays > 365 {
		bad("payment_terms_days", "%d is outside 0 to 365", q.PaymentDays)
	}
	q.NonstandardTerms = strings.TrimSpace(q.NonstandardTerms)
	if q.NonstandardTerms != "" {
		q.Nonstandard = true
	}
	if len(q.Lines) == 0 {
		bad("lines", "a quote needs at least one line")
	}
	next := 0
	for _, l := range q.Lines {
		if n, err := strconv.Atoi(strings.TrimPrefix(l.ID, "L")); err == nil && strings.HasPrefix(l.ID, "L") && n > next {
			next = n
		}
	}
	seen := map[string]bool{}
	for i := range q.Lines {
		l := &q.Lines[i]
		at := fmt.Sprintf("lines[%d]", i)
		l.ID, l.Product = strings.TrimSpace(l.ID), strings.TrimSpace(l.Product)
		if l.ID == "" {
			next++
			l.ID = "L" + strconv.Itoa(next)
		}
		if seen[l.ID] {
			bad(at+".id", "line id %q is used twice", l.ID)
		}
		seen[l.ID] = true
		if l.Product == "" {
			bad(at+".product", "a line needs a product")
		}
		for _, f := range []struct {
			name string
			v    float64
		}{{"quantity", l.Quantity}, {"list_price", l.ListPrice}, {"discount", l.Discount}, {"net_price", l.NetPrice}} {
			if math.IsNaN(f.v) || math.IsInf(f.v, 0) || f.v < 0 {
				bad(at+"."+f.name, "%v is not a non-negative number", f.v)
			}
		}
		if l.Quantity <= 0 {
			bad(at+".quantity", "must be more than 0")
		}
		if l.Discount > 100 {
			bad(at+".discount", "%v%% is more than 100%%", l.Discount)
		}
		switch {
		case l.ListPrice <= 0:
			if l.Discount > 0 {
				bad(at+".list_price", "a discount needs a list price")
			}
		case l.NetPrice == 0 && l.Discount >= 0:
			l.NetPrice = round2(l.ListPrice * (1 - l.Discount/100))
		case l.Discount == 0:
			l.Discount = round2(100 * (1 - l.NetPrice/l.ListPrice))
		default:
			// Both given: they must agree to the cent.
			if want := l.ListPrice * (1 - l.Discount/100); math.Abs(want-l.NetPrice) > 0.005+1e-9*l.ListPrice {
				bad(at+".net_price", "%v does not match list price %v less %v%% (%v)", l.NetPrice, l.ListPrice, l.Discount, round2(want))
			}
		}
		if l.ListPrice > 0 && l.NetPrice > l.ListPrice {
			bad(at+".net_price", "%v is above the list price %v", l.NetPrice, l.ListPrice)
		}
	}
	for i := range q.Promises {
		p := &q.Promises[i]
		at := fmt.Sprintf("promises[%d]", i)
		p.Feature = strings.TrimSpace(p.Feature)
		if p.Feature == "" {
			bad(at+".feature", "a promise names a feature")
		}
		if p.Date.IsZero() {
			bad(at+".date", "a promise has a date")
		}
	}
	if len(problems) > 0 {
		return tandem.Errorf(tandem.EINVALID, "%s: %s", QuoteName(q), strings.Join(problems, "; "))
	}
	return nil
}

// QuoteName names a quote in messages: "quote Q-1", or "the new quote for
// deal D-7" before it has an id.
func QuoteName(q *tandem.Quote) string {
	if q.ID != "" {
		return "quote " + q.ID
	}
	if q.DealID != "" {
		return "the new quote for deal " + q.DealID
	}
	return "the new quote"
}

func round2(x float64) float64 { return math.Round(x*100) / 100 }

// Change is one difference between two versions of a quote.
type Change struct {
	Field string `json:"field"` // "term_months", "lines[L2].discount", "lines[L3]", "promises[sso]"
	From  string `json:"from"`  // "" when added
	To    string `json:"to"`    // "" when removed
}

// Diff lists what changed from prev to next: quote fields, lines by id
// (added, removed, or each changed field) and promises by feature.
func Diff(prev, next *tandem.Quote) []Change {
	var out []Change
	add := func(field, from, to string) {
		if from != to {
			out = append(out, Change{Field: field, From: from, To: to})
		}
	}
	num := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	add("term_months", strconv.Itoa(prev.TermMonths), strconv.Itoa(next.TermMonths))
	add("billing", prev.Billing, next.Billing)
	add("payment_terms_days", strconv.Itoa(prev.PaymentDays), strconv.Itoa(next.PaymentDays))
	add("nonstandard", strconv.FormatBool(prev.Nonstandard), strconv.FormatBool(next.Nonstandard))
	add("nonstandard_terms", prev.NonstandardTerms, next.NonstandardTerms)
	add("currency", prev.Currency, next.Currency)
	line := func(l tandem.QuoteLine) string {
		return fmt.Sprintf("%s × %s at %s less %s%% = %s", num(l.Quantity), l.Product, num(l.ListPrice), num(l.Discount), num(l.NetPrice))
	}
	old := map[string]tandem.QuoteLine{}
	for _, l := range prev.Lines {
		old[l.ID] = l
	}
	for _, l := range next.Lines {
		o, ok := old[l.ID]
		if !ok {
			add("lines["+l.ID+"]", "", line(l))
			continue
		}
		delete(old, l.ID)
		at := "lines[" + l.ID + "]."
		add(at+"product", o.Product, l.Product)
		add(at+"quantity", num(o.Quantity), num(l.Quantity))
		add(at+"list_price", num(o.ListPrice), num(l.ListPrice))
		add(at+"discount", num(o.Discount), num(l.Discount))
		add(at+"net_price", num(o.NetPrice), num(l.NetPrice))
	}
	for _, l := range prev.Lines {
		if o, ok := old[l.ID]; ok {
			add("lines["+l.ID+"]", line(o), "")
		}
	}
	promise := func(p tandem.Promise) string {
		s := p.Date.Format("2006-01-02")
		if p.Beta {
			s += " (beta)"
		}
		if p.Unreleased {
			s += " (unreleased)"
		}
		return s
	}
	was := map[string]tandem.Promise{}
	for _, p := range prev.Promises {
		was[strings.ToLower(p.Feature)] = p
	}
	for _, p := range next.Promises {
		k := strings.ToLower(p.Feature)
		if o, ok := was[k]; ok {
			add("promises["+p.Feature+"]", promise(o), promise(p))
			delete(was, k)
		} else {
			add("promises["+p.Feature+"]", "", promise(p))
		}
	}
	for _, p := range prev.Promises {
		if o, ok := was[strings.ToLower(p.Feature)]; ok {
			add("promises["+p.Feature+"]", promise(o), "")
		}
	}
	return out
}
