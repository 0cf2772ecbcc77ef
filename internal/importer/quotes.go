package importer

import (
	"math"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// Limits the deal desk puts on a quote (desk.Normalize). They are checked
// at import, row by row, so that every imported quote can become a desk
// quote: a problem found after the commit could no longer be reported
// with its line.
const (
	maxTermMonths  = 120
	maxPaymentDays = 365
)

// colName is the file's name for canonical column i, or the canonical
// name when the file lacks it.
func (p *plan) colName(i int) string {
	if n := p.cols[i].srcName; n != "" {
		return n
	}
	return p.cols[i].col.Name
}

// floatAt returns the number in the named column of a converted row.
func (p *plan) floatAt(vals []any, name string) (v float64, i int, ok bool) {
	_, i = p.e.Column(name)
	v, ok = vals[i].(float64)
	return v, i, ok
}

// checkQuote checks a quote row against the desk's limits and rewrites its
// promises as FEATURE_ID@YYYY-MM-DD, each feature resolved in the catalog.
func (p *plan) checkQuote(line int, vals []any) {
	for _, lim := range []struct {
		col string
		max int64
	}{{"term_months", maxTermMonths}, {"payment_terms_days", maxPaymentDays}} {
		_, i := p.e.Column(lim.col)
		if n, ok := vals[i].(int64); ok && n > lim.max {
			p.errorf(line, p.colName(i), tandem.FormatValue(n), "%s %d is more than %d", lim.col, n, lim.max)
		}
	}
	_, pi := p.e.Column("promises")
	items, _ := vals[pi].([]string)
	if len(items) == 0 {
		return
	}
	col := p.colName(pi)
	features := p.refs["features"]
	out := make([]string, 0, len(items))
	seen := map[string]bool{}
	for _, item := range items {
		at := strings.LastIndex(item, "@")
		name := ""
		if at >= 0 {
			name = strings.TrimSpace(item[:at])
		}
		if name == "" {
			p.errorf(line, col, item, "promise %q is not FEATURE@YYYY-MM-DD", item)
			continue
		}
		date, err := p.dates.Parse(strings.TrimSpace(item[at+1:]))
		if err != nil {
			p.errorf(line, col, item, "promise %q: %v", item, err)
			continue
		}
		id, found, err := features.resolve(name)
		switch {
		case err != nil:
			p.errorf(line, col, item, "promise %q: %v", item, err)
			continue
		case !found:
			p.errorf(line, col, item, "promise %q: unknown feature %q: import features first", item, name)
			continue
		case seen[id]:
			p.errorf(line, col, item, "feature %q is promised twice", id)
			continue
		}
		seen[id] = true
		if id != name {
			p.normalize(line, "promises", name, id)
		}
		out = append(out, tandem.FormatPromise(id, time.Date(date.Year(), date.Month(), date.Day(), 0, 0, 0, 0, time.UTC)))
	}
	vals[pi] = out
}

// checkQuoteLine checks a quote line as the desk will: a quantity above 0,
// a discount of at most 100%, a net price not above the list price, and
// list price, discount and net price that agree to the cent when all
// three are given. For HubSpot it first derives the net price from the
// line's total.
func (p *plan) checkQuoteLine(line int, rec []string, vals []any) {
	if q, i, ok := p.floatAt(vals, "quantity"); ok && q <= 0 {
		p.errorf(line, p.colName(i), tandem.FormatValue(q), "a quote line needs a quantity above 0")
	}
	d, di, hasD := p.floatAt(vals, "discount")
	if hasD && d > 100 {
		p.errorf(line, p.colName(di), tandem.FormatValue(d), "discount %v%% is more than 100%%", d)
	}
	if p.lineAmount >= 0 {
		p.deriveNetPrice(line, rec, vals)
	}
	l, _, hasL := p.floatAt(vals, "list_price")
	n, ni, hasN := p.floatAt(vals, "net_price")
	if !hasL || !hasN || l <= 0 {
		return
	}
	if n > l {
		p.errorf(line, p.colName(ni), tandem.FormatValue(n), "net price %v is above the list price %v", n, l)
		return
	}
	if want := l * (1 - d/100); hasD && math.Abs(want-n) > 0.005+1e-9*l {
		p.errorf(line, p.colName(ni), tandem.FormatValue(n),
			"net price %v does not match list price %v less %v%% (%v): give two of the three, or make them agree", n, l, d, math.Round(want*100)/100)
	}
}

// claimLineAmount takes a HubSpot line item's total ("amount", labelled
// "Net price") as the source of the net price, unless --map names one.
func (p *plan) claimLineAmount(folded map[string]int, used []bool) {
	if p.colSrc("net_price") >= 0 {
		return
	}
	for _, k := range []string{"amount", "netprice"} {
		if i, ok := folded[k]; ok && !used[i] {
			p.lineAmount, used[i] = i, true
			return
		}
	}
}

// deriveNetPrice sets a HubSpot line's net price per unit to its total
// divided by its quantity, when the line has no discount percentage; with
// one, the desk computes the net price from the list price and discount,
// which avoids the total's rounding.
func (p *plan) deriveNetPrice(line int, rec []string, vals []any) {
	_, ni := p.e.Column("net_price")
	_, di := p.e.Column("discount")
	vals[ni] = nil
	if !isEmpty(vals[di]) {
		return
	}
	raw := strings.TrimSpace(rec[p.lineAmount])
	if raw == "" {
		return
	}
	col := p.header[p.lineAmount]
	amount, err := parseNumber(raw)
	if err != nil {
		p.errorf(line, col, raw, "%v", err)
		return
	}
	if amount < 0 {
		p.errorf(line, col, raw, "%s must not be negative (got %s)", col, raw)
		return
	}
	q := 1.0
	if f, _, ok := p.floatAt(vals, "quantity"); ok {
		if f <= 0 {
			return // reported as the quantity's problem
		}
		q = f
	}
	vals[ni] = math.Round(amount/q*100) / 100
}
