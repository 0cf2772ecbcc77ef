package specials

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
)

// outcomeFixture: nine closed deals and one open one. Closed amounts
// 10…80 and 1000 give quartiles 30, 50, 70 (type 7). Accepted specials sit
// on d1 (band 1, won), d2 (1, won), d5 (2, lost), d6 (3, won) and d8 (4,
// won; withdrawn later, still counted): 4 won of 5. Comparable: same
// segment "mid" and bands 1–4 without an accepted special: d3 (1, won;
// its special was declined), d4 (2, lost), d7 (3, lost): 1 won of 3. d9
// is another segment, d10 is open.
func outcomeFixture() ([]tandem.Special, []Deal, map[string]map[string]bool, map[string]int) {
	deals := []Deal{
		{ID: "d1", Account: "a1", Segment: "mid", Outcome: "won", Amount: 10},
		{ID: "d2", Account: "a2", Segment: "mid", Outcome: "Won", Amount: 20},
		{ID: "d3", Account: "a3", Segment: "mid", Outcome: "won", Amount: 30},
		{ID: "d4", Account: "a4", Segment: "mid", Outcome: "lost", Amount: 40},
		{ID: "d5", Account: "a5", Segment: "mid", Outcome: "lost", Amount: 50},
		{ID: "d6", Account: "a6", Segment: "mid", Outcome: "won", Amount: 60},
		{ID: "d7", Account: "a7", Segment: "mid", Outcome: "lost", Amount: 70},
		{ID: "d8", Account: "a8", Segment: "mid", Outcome: "won", Amount: 80},
		{ID: "d9", Account: "a9", Segment: "ent", Outcome: "lost", Amount: 1000},
		{ID: "d10", Account: "a1", Segment: "mid", Outcome: "open", Amount: 10},
	}
	acc := func(q string) *tandem.Acceptance { return &tandem.Acceptance{Leader: "cpo@x", Quarter: q} }
	eff := func(w float64) *tandem.EffortEstimate { return &tandem.EffortEstimate{Weeks: w, Author: "eng@x"} }
	all := []tandem.Special{
		{ID: "s1", Title: "SSO", DealID: "d1", Step: tandem.StepProductized, Feature: "f1", Accept: acc("2026-Q3"), Effort: eff(2)},
		{ID: "s2", Title: "Export", DealID: "d2", Step: tandem.StepOneOff, Feature: "f2", Accept: acc("2026-Q3"), Effort: eff(3)},
		{ID: "s3", Title: "Declined", DealID: "d3", Step: tandem.StepDeclined},
		{ID: "s5", Title: "Widget", DealID: "d5", Step: tandem.StepMeasure, Accept: acc("2026-Q4"), Effort: eff(4)},
		{ID: "s6", Title: "Slice", DealID: "d6", Step: tandem.StepSimplestSlice, Feature: "f1", Accept: acc("2026-Q4"), Effort: eff(1)},
		{ID: "s8", Title: "Withdrawn", DealID: "d8", Step: tandem.StepWithdrawn, Accept: acc("2026-Q4"), Effort: eff(9)},
	}
	usage := map[string]map[string]bool{
		"f1": {"a1": true, "a4": true, "a7": true, "a9": false},
		"f2": {"a2": true},
	}
	tickets := map[string]int{"f1": 4, "f2": 1}
	return all, deals, usage, tickets
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestOutcomes(t *testing.T) {
	all, deals, usage, tickets := outcomeFixture()
	r := Outcomes(all, deals, usage, tickets, tandem.DefaultSpecialSettings(), 3)

	if len(r.Bands) != 3 || r.Bands[0] != 30 || r.Bands[1] != 50 || r.Bands[2] != 70 {
		t.Errorf("bands %v", r.Bands)
	}
	// Wilson 95% by hand, (2np + z² ∓ z√(z² + 4npq)) / (2(n + z²)),
	// z = 1.959963984540054.
	w := r.WithSpecial
	if w.K != 4 || w.N != 5 || w.Value != 0.8 || !near(w.CILow, 0.3755346297625253) || !near(w.CIHigh, 0.9637758913675699) || w.Insufficient {
		t.Errorf("with special %+v", w)
	}
	c := r.Comparable
	if c.K != 1 || c.N != 3 || !near(c.Value, 1.0/3) || !near(c.CILow, 0.061491944720396235) || !near(c.CIHigh, 0.7923403991979523) || c.Insufficient {
		t.Errorf("comparable %+v", c)
	}
	// Newcombe: d ∓ √((p1−l1)² + (u0−p0)²), d + √((u1−p1)² + (p0−l0)²).
	d := r.Difference
	if d.N1 != 5 || d.N0 != 3 || !near(d.Value, 0.8-1.0/3) || !near(d.CILow, -0.15851997510080035) || !near(d.CIHigh, 0.7840312569351022) || d.Insufficient ||
		!strings.Contains(d.Note, "associated with") || !strings.Contains(d.Note, "46.67 points higher") {
		t.Errorf("difference %+v", d)
	}
	// Built: s1 (f1: a4, a7 besides its own a1 → 2 others), s2 (f2: only
	// its own account), s5 (no feature). Reuse 1 of 2: Wilson (1, 2).
	if len(r.Rows) != 3 || r.Rows[0].ID != "s1" || r.Rows[1].ID != "s2" || r.Rows[2].ID != "s5" {
		t.Fatalf("rows %+v", r.Rows)
	}
	want := []OutcomeRow{
		{ID: "s1", Title: "SSO", Step: tandem.StepProductized, DealID: "d1", DealOutcome: "won", Revenue: 10, Feature: "f1", OtherAccounts: 2, Tickets: 4, Productized: true, Weeks: 2},
		{ID: "s2", Title: "Export", Step: tandem.StepOneOff, DealID: "d2", DealOutcome: "won", Revenue: 20, Feature: "f2", OtherAccounts: 0, Tickets: 1, Weeks: 3},
		{ID: "s5", Title: "Widget", Step: tandem.StepMeasure, DealID: "d5", DealOutcome: "lost", Weeks: 4},
	}
	for i := range want {
		if r.Rows[i] != want[i] {
			t.Errorf("row %d: %+v; want %+v", i, r.Rows[i], want[i])
		}
	}
	if u := r.Reuse; u.K != 1 || u.N != 2 || u.Value != 0.5 || !near(u.CILow, 0.09453120573423071) || !near(u.CIHigh, 0.9054687942657693) {
		t.Errorf("reuse %+v", u)
	}
	if len(r.OneOffs) != 2 || r.OneOffs[0].ID != "s2" || r.OneOffs[1].ID != "s5" || r.OneOffs[1].Weeks != 4 {
		t.Errorf("one-offs %+v", r.OneOffs)
	}
	// Capacity: s1 2 + s2 3 (Q3), s5 4 + s6 1 (Q4); s8 withdrawn. 10 of
	// 2 × 120.
	if r.SpecialWeeks != 10 || r.CapacityWeeks != 240 || !near(r.CapacityShare, 10.0/240) {
		t.Errorf("capacity %v of %v = %v", r.SpecialWeeks, r.CapacityWeeks, r.CapacityShare)
	}
	for _, k := range []string{"win_rate", "comparable", "amount_bands", "reuse", "capacity_share", "one_offs", "revenue", "difference"} {
		if r.Definitions[k] == "" {
			t.Errorf("definition %s missing", k)
		}
	}
	if _, err := json.Marshal(r); err != nil {
		t.Error(err)
	}
}

func TestOutcomesInsufficient(t *testing.T) {
	all, deals, usage, tickets := outcomeFixture()
	r := Outcomes(all, deals, usage, tickets, tandem.DefaultSpecialSettings(), 0) // default 30
	if r.MinN != DefaultMinN || !r.WithSpecial.Insufficient || !r.Comparable.Insufficient || !r.Difference.Insufficient ||
		!strings.Contains(r.Difference.Note, "insufficient data") || !strings.Contains(r.WithSpecial.Note, "insufficient data") {
		t.Errorf("%+v %+v %+v", r.WithSpecial, r.Comparable, r.Difference)
	}
	// Still computed, so the page can show n and say why it hides the rest.
	if r.WithSpecial.N != 5 || r.Difference.N0 != 3 {
		t.Errorf("%+v", r.Difference)
	}
	// Nothing at all: no NaN anywhere (JSON would refuse it).
	r = Outcomes(nil, nil, nil, nil, tandem.DefaultSpecialSettings(), 0)
	if _, err := json.Marshal(r); err != nil {
		t.Fatal(err)
	}
	if r.WithSpecial.N != 0 || !r.WithSpecial.Insufficient || r.Reuse.Note != "no built specials with a linked feature" || r.CapacityShare != 0 || r.Rows == nil || r.OneOffs == nil {
		t.Errorf("%+v", r)
	}
}

func TestQuartiles(t *testing.T) {
	for _, tc := range []struct {
		x    []float64
		want []float64
	}{
		{nil, []float64{}},
		{[]float64{5}, []float64{5, 5, 5}},
		{[]float64{4, 1, 3, 2}, []float64{1.75, 2.5, 3.25}}, // R: quantile(1:4)
		{[]float64{1, 2, 3, 4, 5}, []float64{2, 3, 4}},
	} {
		got := quartiles(tc.x)
		if len(got) != len(tc.want) {
			t.Errorf("%v: %v", tc.x, got)
			continue
		}
		for i := range got {
			if !near(got[i], tc.want[i]) {
				t.Errorf("%v: %v; want %v", tc.x, got, tc.want)
			}
		}
	}
	cuts := []float64{30, 50, 70}
	for v, b := range map[float64]int{0: 1, 30: 1, 30.1: 2, 50: 2, 70: 3, 71: 4} {
		if band(v, cuts) != b {
			t.Errorf("band(%v) = %d; want %d", v, band(v, cuts), b)
		}
	}
	if band(5, nil) != 0 {
		t.Error("band without cuts")
	}
}
