package rules

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// benchRules is a 30-rule set shaped like a real one: discount chains on
// the quote and on lines, per-class line rules, payment terms, term,
// features, deal size by segment and flags.
func benchRules(b *testing.B) *RuleSet {
	var src strings.Builder
	src.WriteString(head)
	add := func(name string, level int, chain, when string) {
		c := ""
		if chain != "" {
			c = ", chain: " + chain
		}
		fmt.Fprintf(&src, "  - {name: %s, level: %d%s, when: %s, approvers: {mode: sequential, steps: [{relation: manager}, {role: finance}]}}\n",
			name, level, c, when)
	}
	for i, t := range []int{10, 20, 30, 40} {
		add(fmt.Sprint("discount-", t), i+1, "discount",
			fmt.Sprintf(`{any: [{field: line.discount, op: ">", value: %d}, {field: quote.discount, op: ">", value: %d}]}`, t, t))
	}
	for _, class := range []string{"strategic", "core", "maintenance", "services", "addon"} {
		for i, t := range []int{15, 30} {
			add(fmt.Sprintf("%s-%d", class, t), i+1, class,
				fmt.Sprintf(`{some-line: {all: [{field: line.product_class, op: "=", value: %s}, {field: line.discount, op: ">=", value: %d}]}}`, class, t))
		}
	}
	for i, d := range []int{45, 60, 90} {
		add(fmt.Sprint("terms-", d), i+1, "terms", fmt.Sprintf(`{field: quote.payment_terms_days, op: ">", value: %dd}`, d))
	}
	add("high-acv", 2, "", `{field: quote.acv, op: ">", value: 500000}`)
	add("near-free-line", 2, "", `{field: line.net_price, op: "<", value: 100}`)
	add("short-term", 1, "", `{field: quote.term_months, op: "<", value: 12}`)
	add("long-term", 2, "", `{field: quote.term_months, op: ">", value: 36}`)
	add("nonstandard", 2, "", `{any: [{field: quote.nonstandard, op: "=", value: true}, {field: quote.billing, op: not-in, value: [monthly, quarterly, annual]}]}`)
	add("features", 1, "", `{any: [{field: quote.features_beta, op: "=", value: true}, {field: quote.features_unreleased, op: "=", value: true}, {field: quote.promise_months_ahead, op: ">", value: 4}]}`)
	for i, seg := range []string{"smb", "mid-market", "enterprise"} {
		add("large-"+seg, 2, "", fmt.Sprintf(`{all: [{field: deal.segment, op: "=", value: %s}, {field: deal.amount, op: ">=", value: %d}, {not: {field: deal.archetype, op: exists}}]}`, seg, 50000*(i+1)))
	}
	for _, flag := range []string{"loss-pattern", "acv-outside-range", "sunset-product", "below-margin"} {
		add("flag-"+flag, 1, "", fmt.Sprintf(`{field: flags, op: contains, value: %s}`, flag))
	}
	rs := mustParse(b, src.String())
	if len(rs.Rules) != 30 {
		b.Fatalf("%d rules", len(rs.Rules))
	}
	return rs
}

// benchQuote is a 10-line quote that needs a handful of approvals.
func benchQuote() Facts {
	f := Facts{
		Quote: QuoteFacts{Discount: 14, TermMonths: 24, PaymentTermsDays: 60, Billing: "annual", ACV: 180000, FeaturesBeta: true, PromiseMonthsAhead: 3},
		Deal:  DealFacts{Segment: "enterprise", Amount: 360000},
		Flags: []string{"acv-outside-range"},
	}
	classes := []string{"strategic", "core", "core", "addon", "services"}
	for i := range 10 {
		f.Lines = append(f.Lines, LineFacts{ID: fmt.Sprint("QL-", i), Product: fmt.Sprint("product-", i), ProductClass: classes[i%5],
			Quantity: 10, ListPrice: 1000, Discount: float64(4 * i), NetPrice: 1000 * (1 - float64(4*i)/100)})
	}
	return f
}

// BenchmarkEvaluate: a 30-rule set against a 10-line quote, the approval
// part of one deal check. The issue wants deal checks at p99 under 5 ms;
// this part should take microseconds.
func BenchmarkEvaluate(b *testing.B) {
	rs, f := benchRules(b), benchQuote()
	ms := rs.Evaluate(f)
	ev := 0
	for _, m := range ms {
		ev += len(m.Evidence)
	}
	b.ReportAllocs()
	for b.Loop() {
		rs.Evaluate(f)
	}
	b.ReportMetric(float64(len(ms)), "matches/op")
	b.ReportMetric(float64(ev), "evidence/op")
}

// BenchmarkEvaluateRandom: 30 random depth-3 conditions (not, some-line,
// every-line included) against a random 10-line quote: a harsher load than
// real rule sets, where many rules match on many lines.
func BenchmarkEvaluateRandom(b *testing.B) {
	g := newGen(42)
	var src strings.Builder
	src.WriteString(head)
	for i := range 30 {
		fmt.Fprintf(&src, "  - {name: r%d, level: %d, chain: c%d, when: %s, approvers: {mode: sequential, steps: [{role: finance}]}}\n",
			i, 1+i%3, i%5, g.cond(3, false))
	}
	rs := mustParse(b, src.String())
	f := g.facts()
	f.Lines = nil
	for i := range 10 {
		f.Lines = append(f.Lines, LineFacts{ID: fmt.Sprint("L", i), Product: g.text(), ProductClass: g.text(),
			Quantity: g.num(), ListPrice: g.num(), Discount: g.num(), NetPrice: g.num()})
	}
	ms := rs.Evaluate(f)
	b.ReportAllocs()
	for b.Loop() {
		rs.Evaluate(f)
	}
	b.ReportMetric(float64(len(ms)), "matches/op")
}

// BenchmarkReapprove: re-approval decisions for the 30-rule set after one
// line's discount rose.
func BenchmarkReapprove(b *testing.B) {
	rs, prev := benchRules(b), benchQuote()
	next := prev
	next.Lines = append([]LineFacts(nil), prev.Lines...)
	next.Lines[3].Discount = 33
	pm, nm := rs.Evaluate(prev), rs.Evaluate(next)
	b.ReportAllocs()
	for b.Loop() {
		Reapprove(pm, nm, prev, next)
	}
}

// BenchmarkParse: reading the canonical example.
func BenchmarkParse(b *testing.B) {
	data, err := os.ReadFile("testdata/rules.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("b.yaml", data); err != nil {
			b.Fatal(err)
		}
	}
}
