package rules

import (
	"math"
	"os"
	"slices"
	"strings"
	"testing"
)

// holds parses a one-rule set with the condition and reports whether it
// matches f.
func holds(t testing.TB, when string, f Facts) bool {
	t.Helper()
	return len(mustParse(t, rule(when)).Evaluate(f)) == 1
}

// names lists the matched rules, with "<" and the superseding rule for
// superseded ones.
func names(ms []Match) []string {
	var out []string
	for _, m := range ms {
		s := m.Rule.Name
		if m.SupersededBy != "" {
			s += "<" + m.SupersededBy
		}
		out = append(out, s)
	}
	return out
}

// evidenceText renders a match's evidence, one item per element.
func evidenceText(m Match) []string {
	var out []string
	for _, e := range m.Evidence {
		out = append(out, e.String())
	}
	return out
}

func TestEvaluateLeaves(t *testing.T) {
	base := Facts{
		Quote: QuoteFacts{Discount: 12, TermMonths: 24, PaymentTermsDays: 45, Billing: "Annual", ACV: 50000,
			FeaturesBeta: true, PromiseMonthsAhead: 5},
		Deal:  DealFacts{Segment: "Enterprise", Amount: 120000},
		Lines: []LineFacts{{Product: "core", ProductClass: "core", Discount: 5, NetPrice: 900}, {Product: "ai", ProductClass: "strategic", Discount: 22, NetPrice: 300}},
		Flags: []string{"discount-above-band", "Loss-Pattern"},
	}
	for _, tc := range []struct {
		when string
		want bool
	}{
		{`{field: quote.discount, op: ">", value: 10}`, true},
		{`{field: quote.discount, op: ">", value: 12}`, false},
		{`{field: quote.discount, op: ">=", value: 12}`, true},
		{`{field: quote.discount, op: "<", value: 12}`, false},
		{`{field: quote.discount, op: "<=", value: 12}`, true},
		{`{field: quote.discount, op: "=", value: 12.0}`, true},
		{`{field: quote.discount, op: "!=", value: 12}`, false},
		{`{field: quote.term_months, op: in, value: [12, 24]}`, true},
		{`{field: quote.term_months, op: not-in, value: [12, 24]}`, false},
		{`{field: quote.payment_terms_days, op: ">", value: 6w}`, true},
		{`{field: quote.payment_terms_days, op: ">", value: 45d}`, false},
		{`{field: quote.billing, op: "=", value: annual}`, true}, // case-insensitive
		{`{field: quote.billing, op: not-in, value: [monthly, ANNUAL]}`, false},
		{`{field: quote.billing, op: exists}`, true},
		{`{field: deal.archetype, op: exists}`, false},
		{`{not: {field: deal.archetype, op: exists}}`, true},
		{`{field: quote.features_beta, op: "=", value: true}`, true},
		{`{field: quote.nonstandard, op: "=", value: true}`, false},
		{`{field: quote.nonstandard, op: "!=", value: true}`, true},
		{`{field: flags, op: contains, value: loss-pattern}`, true},
		{`{field: flags, op: contains, value: payment-terms}`, false},
		{`{not: {field: flags, op: contains, value: payment-terms}}`, true},
		{`{field: flags, op: exists}`, true},
		// line leaves: any line
		{`{field: line.discount, op: ">", value: 20}`, true},
		{`{field: line.discount, op: ">", value: 30}`, false},
		{`{field: line.product_class, op: "=", value: maintenance}`, false},
		{`{not: {field: line.product_class, op: "=", value: maintenance}}`, true},
		{`{not: {field: line.discount, op: ">", value: 20}}`, false}, // no line over 20: false, ai is at 22
		// two bare line leaves may be met by different lines; some-line ties them
		{`{all: [{field: line.product, op: "=", value: core}, {field: line.discount, op: ">", value: 20}]}`, true},
		{`{some-line: {all: [{field: line.product, op: "=", value: core}, {field: line.discount, op: ">", value: 20}]}}`, false},
		{`{some-line: {all: [{field: line.product, op: "=", value: AI}, {field: line.discount, op: ">", value: 20}]}}`, true},
		{`{not: {some-line: {all: [{field: line.product, op: "=", value: core}, {field: line.discount, op: ">", value: 20}]}}}`, true},
		{`{all: [{field: deal.segment, op: in, value: [enterprise]}, {field: deal.amount, op: ">=", value: 120000}]}`, true},
		{`{any: [{field: deal.amount, op: "<", value: 1}, {field: quote.promise_months_ahead, op: ">", value: 4}]}`, true},
		{`{not: {any: [{field: deal.amount, op: "<", value: 1}, {field: quote.promise_months_ahead, op: ">", value: 4}]}}`, false},
	} {
		if got := holds(t, tc.when, base); got != tc.want {
			t.Errorf("%s = %v, want %v", tc.when, got, tc.want)
		}
	}
}

// TestEvaluateEdgeFacts: no lines, zero values and NaN behave as the
// package doc says.
func TestEvaluateEdgeFacts(t *testing.T) {
	for _, tc := range []struct {
		name string
		when string
		f    Facts
		want bool
	}{
		{"some line of none", `{field: line.discount, op: ">", value: -1000}`, Facts{}, false},
		{"every line of none", `{not: {field: line.discount, op: ">", value: 10}}`, Facts{}, true},
		{"unknown number is zero", `{field: deal.amount, op: "<", value: 1000}`, Facts{}, true},
		{"empty text is not equal", `{field: deal.segment, op: "=", value: smb}`, Facts{}, false},
		{"NaN is below", `{field: quote.discount, op: ">", value: -1e300}`, Facts{Quote: QuoteFacts{Discount: math.NaN()}}, false},
		{"NaN is not equal", `{field: quote.discount, op: "!=", value: 0}`, Facts{Quote: QuoteFacts{Discount: math.NaN()}}, true},
		{"negated NaN", `{not: {field: quote.discount, op: ">", value: -1e300}}`, Facts{Quote: QuoteFacts{Discount: math.NaN()}}, true},
		{"infinite fact", `{field: line.net_price, op: ">=", value: 1e300}`, Facts{Lines: []LineFacts{{NetPrice: math.Inf(1)}}}, true},
	} {
		if got := holds(t, tc.when, tc.f); got != tc.want {
			t.Errorf("%s: %s = %v, want %v", tc.name, tc.when, got, tc.want)
		}
	}
}

// example parses testdata/rules.yaml.
func example(t testing.TB) *RuleSet {
	t.Helper()
	data, err := os.ReadFile("testdata/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := Parse("rules.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestEvaluateExample(t *testing.T) {
	rs := example(t)
	clean := Facts{
		Quote: QuoteFacts{Discount: 5, TermMonths: 12, PaymentTermsDays: 30, Billing: "annual"},
		Deal:  DealFacts{Segment: "smb", Amount: 20000, Archetype: "smb-core"},
		Lines: []LineFacts{{ID: "l1", Product: "core", ProductClass: "core", Discount: 5}},
	}
	with := func(edit func(*Facts)) Facts {
		f := clean
		f.Lines = slices.Clone(clean.Lines)
		edit(&f)
		return f
	}
	for _, tc := range []struct {
		name string
		f    Facts
		want []string
	}{
		{"clean", clean, nil},
		{"line discount 12", with(func(f *Facts) { f.Lines[0].Discount = 12 }), []string{"discount-over-10"}},
		{"line discount 30", with(func(f *Facts) { f.Lines[0].Discount = 30 }),
			[]string{"discount-over-10<discount-over-25", "discount-over-25"}},
		{"quote discount 45", with(func(f *Facts) { f.Quote.Discount = 45 }),
			[]string{"discount-over-10<discount-over-40", "discount-over-25<discount-over-40", "discount-over-40"}},
		{"strategic line at 20", with(func(f *Facts) {
			f.Lines = append(f.Lines, LineFacts{ID: "l2", Product: "ai", ProductClass: "Strategic", Discount: 20})
		}), []string{"discount-over-10", "strategic-line-deep-discount"}},
		{"payment terms 61", with(func(f *Facts) { f.Quote.PaymentTermsDays = 61 }), []string{"long-payment-terms"}},
		{"billing upfront", with(func(f *Facts) { f.Quote.Billing = "upfront" }), []string{"nonstandard-terms"}},
		{"promise 5 months", with(func(f *Facts) { f.Quote.PromiseMonthsAhead = 5 }), []string{"unreleased-or-far-promise"}},
		{"large without archetype", with(func(f *Facts) { f.Deal = DealFacts{Segment: "Enterprise", Amount: 300000} }), []string{"large-enterprise-deal"}},
		{"large with archetype", with(func(f *Facts) { f.Deal = DealFacts{Segment: "enterprise", Amount: 300000, Archetype: "ent"} }), nil},
		{"loss pattern and beta", with(func(f *Facts) { f.Flags = []string{"loss-pattern"}; f.Quote.FeaturesBeta = true }),
			[]string{"unreleased-or-far-promise", "loss-pattern"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := names(rs.Evaluate(tc.f)); !slices.Equal(got, tc.want) {
				t.Errorf("matches %v, want %v", got, tc.want)
			}
		})
	}
}

func TestEvaluateEvidence(t *testing.T) {
	rs := example(t)
	f := Facts{
		Quote: QuoteFacts{Discount: 18, Billing: "annual", PaymentTermsDays: 90},
		Lines: []LineFacts{
			{Product: "core", Discount: 5},
			{Product: "seats", ProductClass: "strategic", Discount: 27},
			{Product: "ai", ProductClass: "strategic", Discount: 21},
		},
		Deal:  DealFacts{Segment: "strategic", Amount: 250000},
		Flags: []string{"loss-pattern"},
	}
	got := map[string][]string{}
	for _, m := range rs.Evaluate(f) {
		got[m.Rule.Name] = evidenceText(m)
		if m.Level != m.Rule.Level {
			t.Errorf("%s: level %d, rule level %d", m.Rule.Name, m.Level, m.Rule.Level)
		}
	}
	want := map[string][]string{
		// every line and every true branch of any, lines by key
		"discount-over-10": {"line discount is 21% (> 10) on line ai", "line discount is 27% (> 10) on line seats", "quote discount is 18% (> 10)"},
		"discount-over-25": {"line discount is 27% (> 25) on line seats"},
		"strategic-line-deep-discount": {
			`line product class is "strategic" (= "strategic") on line ai`, "line discount is 21% (>= 20) on line ai",
			`line product class is "strategic" (= "strategic") on line seats`, "line discount is 27% (>= 20) on line seats"},
		"long-payment-terms": {"payment term is 90 days (> 60)"},
		"large-enterprise-deal": {`segment is "strategic" (in ("enterprise", "strategic"))`, "deal amount is 250000 (>= 250000)",
			"archetype is empty"},
		"loss-pattern": {`flags include "loss-pattern"`},
	}
	for name, w := range want {
		if !slices.Equal(got[name], w) {
			t.Errorf("%s evidence:\n%s\nwant:\n%s", name, strings.Join(got[name], "\n"), strings.Join(w, "\n"))
		}
	}
	if len(got) != len(want) {
		t.Errorf("matched %d rules, want %d: %v", len(got), len(want), got)
	}
	// Evidence for line fields indexes the caller's lines; lists are copies.
	m := rs.Evaluate(f)[0]
	if e := m.Evidence[0]; e.Line != 2 || e.LineKey != "ai" || e.Field != "line.discount" || e.Op != OpGt || e.Got.Number != 21 {
		t.Errorf("evidence %+v", e)
	}
	ms := rs.Evaluate(f)
	lp := ms[slices.IndexFunc(ms, func(m Match) bool { return m.Rule.Name == "loss-pattern" })]
	f.Flags[0] = "changed"
	if lp.Evidence[0].Got.List[0] != "loss-pattern" {
		t.Errorf("evidence aliases the facts' flags")
	}
}

// TestEvaluateNegatedEvidence: a leaf under not shows the operator in effect.
func TestEvaluateNegatedEvidence(t *testing.T) {
	rs := mustParse(t, rule(`{not: {any: [{field: quote.term_months, op: ">", value: 12}, {field: line.product, op: "=", value: legacy}]}}`))
	ms := rs.Evaluate(Facts{Quote: QuoteFacts{TermMonths: 12}, Lines: []LineFacts{{ID: "a", Product: "core"}}})
	if len(ms) != 1 {
		t.Fatalf("no match")
	}
	want := []string{"contract term is 12 months (<= 12)", `line product is "core" (!= "legacy") on line a`}
	if got := evidenceText(ms[0]); !slices.Equal(got, want) {
		t.Errorf("evidence %q, want %q", got, want)
	}
}

// TestEvaluateOrder: matches come by level, then file order.
func TestEvaluateOrder(t *testing.T) {
	src := head
	for _, r := range []struct{ name, level string }{{"c", "3"}, {"a", "1"}, {"b2", "2"}, {"a2", "1"}, {"b", "2"}} {
		src += "  - {name: " + r.name + ", level: " + r.level + ", when: {field: flags, op: exists}, approvers: {mode: sequential, steps: [{role: cs}]}}\n"
	}
	rs := mustParse(t, src)
	got := names(rs.Evaluate(Facts{Flags: []string{"x"}}))
	if want := []string{"a", "a2", "b2", "b", "c"}; !slices.Equal(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}
