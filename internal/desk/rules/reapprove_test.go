package rules

import (
	"slices"
	"strings"
	"testing"
)

// decisions renders Reapprove's result as "rule: stands|request: reason".
func decisions(ds []Decision) []string {
	var out []string
	for _, d := range ds {
		verb := "request"
		if d.Stands {
			verb = "stands"
		}
		out = append(out, d.Match.Rule.Name+": "+verb+": "+d.Reason)
	}
	return out
}

// TestReapproveScenario is the story: a quote collects a two-level
// approval (the manager for a 12% line discount, revops or finance for
// non-standard terms); the rep raises only the line discount, and only the
// discount approval is requested again.
func TestReapproveScenario(t *testing.T) {
	rs := example(t)
	v1 := Facts{
		Quote: QuoteFacts{Discount: 8, Billing: "annual", Nonstandard: true, PaymentTermsDays: 30},
		Deal:  DealFacts{Segment: "mid-market", Amount: 80000, Archetype: "mm-core"},
		Lines: []LineFacts{{ID: "q1-l1", Product: "core", ProductClass: "core", Discount: 12}, {ID: "q1-l2", Product: "support", ProductClass: "core"}},
	}
	m1 := rs.Evaluate(v1)
	if got := names(m1); !slices.Equal(got, []string{"discount-over-10", "nonstandard-terms"}) || m1[0].Level != 1 || m1[1].Level != 2 {
		t.Fatalf("version 1 needs %v", got)
	}
	v2 := v1
	v2.Lines = slices.Clone(v1.Lines)
	v2.Lines[0].Discount = 18
	got := decisions(Reapprove(m1, rs.Evaluate(v2), v1, v2))
	want := []string{
		"discount-over-10: request: line discount rose from 12% to 18% (> 10) on line q1-l1",
		"nonstandard-terms: stands: " + ReasonUnchanged,
	}
	if !slices.Equal(got, want) {
		t.Errorf("decisions:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestReapprove(t *testing.T) {
	rs := example(t)
	base := Facts{
		Quote: QuoteFacts{Discount: 8, Billing: "annual", FeaturesBeta: true, PaymentTermsDays: 30},
		Deal:  DealFacts{Segment: "enterprise", Amount: 80000},
		Lines: []LineFacts{{Product: "core", Discount: 12}, {Product: "addon", Discount: 5}},
	}
	edit := func(e func(*Facts)) Facts {
		f := base
		f.Lines = slices.Clone(base.Lines)
		e(&f)
		return f
	}
	for _, tc := range []struct {
		name string
		next Facts
		want []string
	}{
		{"unchanged", base, []string{
			"discount-over-10: stands: " + ReasonUnchanged,
			"unreleased-or-far-promise: stands: " + ReasonUnchanged}},
		{"weaker", edit(func(f *Facts) { f.Lines[0].Discount = 11; f.Quote.Discount = 2 }), []string{
			"discount-over-10: stands: " + ReasonUnchanged,
			"unreleased-or-far-promise: stands: " + ReasonUnchanged}},
		{"lines reordered, no ids", edit(func(f *Facts) { slices.Reverse(f.Lines) }), []string{
			"discount-over-10: stands: " + ReasonUnchanged,
			"unreleased-or-far-promise: stands: " + ReasonUnchanged}},
		{"line removed", edit(func(f *Facts) { f.Lines = f.Lines[:1] }), []string{
			"discount-over-10: stands: " + ReasonUnchanged,
			"unreleased-or-far-promise: stands: " + ReasonUnchanged}},
		{"other line newly over", edit(func(f *Facts) { f.Lines[1].Discount = 15 }), []string{
			"discount-over-10: request: line discount is now 15% (> 10), was 5% on line addon",
			"unreleased-or-far-promise: stands: " + ReasonUnchanged}},
		{"new line over", edit(func(f *Facts) { f.Lines = append(f.Lines, LineFacts{Product: "core", Discount: 11}) }), []string{
			"discount-over-10: request: new line core#2: line discount is 11% (> 10)",
			"unreleased-or-far-promise: stands: " + ReasonUnchanged}},
		{"new line under", edit(func(f *Facts) { f.Lines = append(f.Lines, LineFacts{Product: "core", Discount: 1}) }), []string{
			"discount-over-10: stands: " + ReasonUnchanged,
			"unreleased-or-far-promise: stands: " + ReasonUnchanged}},
		{"quote discount newly over", edit(func(f *Facts) { f.Quote.Discount = 10.5 }), []string{
			"discount-over-10: request: quote discount is now 10.5% (> 10), was 8%",
			"unreleased-or-far-promise: stands: " + ReasonUnchanged}},
		{"bool became true", edit(func(f *Facts) { f.Quote.FeaturesUnreleased = true }), []string{
			"discount-over-10: stands: " + ReasonUnchanged,
			"unreleased-or-far-promise: request: unreleased features is now true (= true), was false"}},
		// The beta branch stopped holding and the promise branch started:
		// the rule holds through a leaf that is new.
		{"branch swapped", edit(func(f *Facts) { f.Quote.FeaturesBeta = false; f.Quote.PromiseMonthsAhead = 5 }), []string{
			"discount-over-10: stands: " + ReasonUnchanged,
			"unreleased-or-far-promise: request: feature promise horizon is now 5 months (> 4), was 0 months"}},
		{"newly matched and level change", edit(func(f *Facts) { f.Lines[0].Discount = 30; f.Quote.Nonstandard = true }), []string{
			"discount-over-10: request: line discount rose from 12% to 30% (> 10) on line core",
			"unreleased-or-far-promise: stands: " + ReasonUnchanged,
			"discount-over-25: request: " + ReasonNew,
			"nonstandard-terms: request: " + ReasonNew}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := decisions(Reapprove(rs.Evaluate(base), rs.Evaluate(tc.next), base, tc.next))
			if !slices.Equal(got, tc.want) {
				t.Errorf("decisions:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestReapproveLeaves covers the other ways a leaf grows stronger, on small
// rule sets.
func TestReapproveLeaves(t *testing.T) {
	for _, tc := range []struct {
		name       string
		when       string
		prev, next Facts
		want       string
	}{
		{"list gained a matching item", `{any: [{field: flags, op: contains, value: a}, {field: flags, op: contains, value: b}]}`,
			Facts{Flags: []string{"a"}}, Facts{Flags: []string{"a", "B"}}, `request: flags now include "b"`},
		{"list gained another item", `{field: flags, op: contains, value: a}`,
			Facts{Flags: []string{"a"}}, Facts{Flags: []string{"c", "a"}}, "stands: " + ReasonUnchanged},
		{"less-than fell", `{field: quote.term_months, op: "<", value: 12}`,
			Facts{Quote: QuoteFacts{TermMonths: 6}}, Facts{Quote: QuoteFacts{TermMonths: 3}}, "request: contract term fell from 6 months to 3 months (< 12)"},
		{"less-than rose", `{field: quote.term_months, op: "<=", value: 12}`,
			Facts{Quote: QuoteFacts{TermMonths: 6}}, Facts{Quote: QuoteFacts{TermMonths: 12}}, "stands: " + ReasonUnchanged},
		{"negated greater fell", `{not: {field: quote.discount, op: ">", value: 5}}`,
			Facts{Quote: QuoteFacts{Discount: 4}}, Facts{Quote: QuoteFacts{Discount: 1}}, "request: quote discount fell from 4% to 1% (<= 5)"},
		{"days rose", `{field: quote.payment_terms_days, op: ">=", value: 60d}`,
			Facts{Quote: QuoteFacts{PaymentTermsDays: 60}}, Facts{Quote: QuoteFacts{PaymentTermsDays: 90}}, "request: payment term rose from 60 days to 90 days (>= 60)"},
		{"text in, other member", `{field: deal.segment, op: in, value: [enterprise, strategic]}`,
			Facts{Deal: DealFacts{Segment: "enterprise"}}, Facts{Deal: DealFacts{Segment: "strategic"}}, "stands: " + ReasonUnchanged},
		{"text newly equal", `{any: [{field: deal.segment, op: "=", value: strategic}, {field: deal.amount, op: ">", value: 100}]}`,
			Facts{Deal: DealFacts{Segment: "smb", Amount: 200}}, Facts{Deal: DealFacts{Segment: "Strategic", Amount: 150}},
			`request: segment is now "Strategic" (= "strategic"), was "smb"`},
		{"some-line: same line now meets it", `{some-line: {all: [{field: line.product, op: "=", value: ai}, {field: line.discount, op: ">", value: 20}]}}`,
			Facts{Lines: []LineFacts{{ID: "1", Product: "ai", Discount: 25}, {ID: "2", Product: "ai", Discount: 10}}},
			Facts{Lines: []LineFacts{{ID: "1", Product: "ai", Discount: 25}, {ID: "2", Product: "ai", Discount: 21}}},
			"request: line discount is now 21% (> 20), was 10% on line 2"},
		{"two reasons", `{all: [{field: quote.acv, op: ">", value: 10}, {field: deal.amount, op: ">", value: 10}]}`,
			Facts{Quote: QuoteFacts{ACV: 11}, Deal: DealFacts{Amount: 11}}, Facts{Quote: QuoteFacts{ACV: 12}, Deal: DealFacts{Amount: 13}},
			"request: ACV rose from 11 to 12 (> 10); deal amount rose from 11 to 13 (> 10)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := mustParse(t, rule(tc.when))
			ds := Reapprove(rs.Evaluate(tc.prev), rs.Evaluate(tc.next), tc.prev, tc.next)
			if len(ds) != 1 {
				t.Fatalf("%d decisions", len(ds))
			}
			if got := strings.TrimPrefix(decisions(ds)[0], "r: "); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// TestReapproveRuleChanged: an approval given under an earlier version of
// a rule does not carry over to a changed rule, but does to an unchanged
// rule of a new rule set.
func TestReapproveRuleChanged(t *testing.T) {
	old := mustParse(t, rule(`{field: quote.discount, op: ">", value: 10}`))
	same := mustParse(t, rule(`{field: quote.discount, op: ">", value: 10}`)+"  - {name: s, level: 1, when: {field: flags, op: exists}, approvers: {mode: sequential, steps: [{role: cs}]}}\n")
	changed := mustParse(t, rule(`{field: quote.discount, op: ">", value: 8}`))
	f := Facts{Quote: QuoteFacts{Discount: 12}}
	prev := old.Evaluate(f)
	if got := decisions(Reapprove(prev, same.Evaluate(f), f, f)); !slices.Equal(got, []string{"r: stands: " + ReasonUnchanged}) {
		t.Errorf("unchanged rule: %v", got)
	}
	if got := decisions(Reapprove(prev, changed.Evaluate(f), f, f)); !slices.Equal(got, []string{"r: request: " + ReasonChanged}) {
		t.Errorf("changed rule: %v", got)
	}
	// A match that does not hold on the facts given is not waved through.
	if got := decisions(Reapprove(prev, prev, f, Facts{})); !slices.Equal(got, []string{"r: request: the rule does not hold on the new facts"}) {
		t.Errorf("inconsistent next: %v", got)
	}
	if ds := Reapprove(prev, []Match{{}}, f, f); len(ds) != 1 || ds[0].Stands {
		t.Errorf("a match without a rule: %+v", ds)
	}
}

// TestReapproveSuperseded: the VP approved a 30% discount, which made the
// manager's approval unnecessary; lowered to 15%, the quote needs only the
// manager's level, and the VP's approval covers it.
func TestReapproveSuperseded(t *testing.T) {
	rs := example(t)
	prev := Facts{Quote: QuoteFacts{Billing: "annual"}, Lines: []LineFacts{{ID: "l", Discount: 30}}}
	next := Facts{Quote: QuoteFacts{Billing: "annual"}, Lines: []LineFacts{{ID: "l", Discount: 15}}}
	pm := rs.Evaluate(prev)
	if got := names(pm); !slices.Equal(got, []string{"discount-over-10<discount-over-25", "discount-over-25"}) {
		t.Fatalf("previous version: %v", got)
	}
	got := decisions(Reapprove(pm, rs.Evaluate(next), prev, next))
	want := []string{"discount-over-10: stands: covered by the approval of discount-over-25 on the previous version; no condition is met more strongly"}
	if !slices.Equal(got, want) {
		t.Errorf("decisions %q, want %q", got, want)
	}
	// Raised past the VP's level instead: both asked again, the level-1 one
	// superseded in turn.
	next.Lines[0].Discount = 45
	got = decisions(Reapprove(pm, rs.Evaluate(next), prev, next))
	want = []string{
		"discount-over-10: request: line discount rose from 30% to 45% (> 10) on line l",
		"discount-over-25: request: line discount rose from 30% to 45% (> 25) on line l",
		"discount-over-40: request: " + ReasonNew,
	}
	if !slices.Equal(got, want) {
		t.Errorf("decisions:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
