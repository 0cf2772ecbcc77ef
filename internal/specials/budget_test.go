package specials

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

func TestQuarters(t *testing.T) {
	for _, tc := range []struct {
		t time.Time
		q string
	}{
		{time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), "2026-Q1"},
		{time.Date(2026, 3, 31, 23, 59, 59, 0, time.UTC), "2026-Q1"},
		{time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC), "2026-Q2"},
		{time.Date(2026, 12, 31, 23, 0, 0, 0, time.UTC), "2026-Q4"},
		// 1 January 01:00 in Berlin is 31 December in UTC.
		{time.Date(2027, 1, 1, 0, 30, 0, 0, time.FixedZone("CET", 3600)), "2026-Q4"},
	} {
		if got := QuarterOf(tc.t); got != tc.q {
			t.Errorf("QuarterOf(%v) = %s; want %s", tc.t, got, tc.q)
		}
	}
	start, end, err := ParseQuarter("2026-Q4")
	if err != nil || !start.Equal(time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)) || !end.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("2026-Q4: %v %v %v", start, end, err)
	}
	if s, _, err := ParseQuarter("2026-q2"); err != nil || s.Month() != time.April {
		t.Errorf("lower-case q: %v %v", s, err)
	}
	for _, bad := range []string{"", "2026", "2026-Q0", "2026-Q5", "2026Q4", "Q4-2026", "26-Q4", "0000-Q1", "2026-Q4 ", "２026-Q1", "+026-Q1"} {
		if _, _, err := ParseQuarter(bad); tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(err.Error(), "YYYY-Qn") {
			t.Errorf("ParseQuarter(%q): %v", bad, err)
		}
	}
}

func FuzzParseQuarter(f *testing.F) {
	for _, s := range []string{"2026-Q4", "0001-q1", "2026-Q5", "", "9999-Q4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		start, end, err := ParseQuarter(s)
		if err != nil {
			if tandem.ErrorCode(err) != tandem.EINVALID {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		if q := QuarterOf(start); !strings.EqualFold(q, s) {
			t.Fatalf("%q parsed to a start in %s", s, q)
		}
		if q := QuarterOf(end.Add(-time.Nanosecond)); !strings.EqualFold(q, s) {
			t.Fatalf("%q parsed to an end in %s", s, q)
		}
	})
}

// budgetFixture: capacity 120 weeks, budget 18, warning line 24.
func budgetFixture() []tandem.Special {
	acc := func(q string, at time.Time, items ...string) *tandem.Acceptance {
		a := &tandem.Acceptance{Leader: "cpo@x", Quarter: q, At: at}
		for _, it := range items {
			a.Displaces = append(a.Displaces, tandem.RoadmapImpact{Item: it, Weeks: 1})
		}
		return a
	}
	eff := func(w float64) *tandem.EffortEstimate { return &tandem.EffortEstimate{Weeks: w, Author: "eng@x"} }
	return []tandem.Special{
		{ID: "b", Title: "B", Step: tandem.StepMeasure, Accept: acc("2026-Q4", t0, "reports"), Effort: eff(6)},
		{ID: "a", Title: "A", Step: tandem.StepSimplestSlice, Accept: acc("2026-Q4", t0, "sso", "audit"), Effort: eff(5)},
		{ID: "c", Title: "C", Step: tandem.StepProductized, Accept: acc("2026-Q4", t0.Add(-time.Hour)), Effort: eff(1.5)},
		{ID: "d", Title: "D", Step: tandem.StepOneOff, Accept: acc("2026-Q4", t0.Add(time.Hour)), Effort: eff(0.5)},
		{ID: "w", Title: "withdrawn", Step: tandem.StepWithdrawn, Accept: acc("2026-Q4", t0, "x"), Effort: eff(10)},
		{ID: "e", Title: "other quarter", Step: tandem.StepSimplestSlice, Accept: acc("2026-Q3", t0), Effort: eff(7)},
		{ID: "f", Title: "no effort", Step: tandem.StepSimplestSlice, Accept: acc("2026-Q4", t0)},
		{ID: "g", Title: "open", Step: tandem.StepReviewEvidence, Effort: eff(3)},
		{ID: "h", Title: "declined", Step: tandem.StepDeclined, Effort: eff(3)},
	}
}

func TestQuarterBudget(t *testing.T) {
	set := tandem.DefaultSpecialSettings()
	b := Quarter(budgetFixture(), set, "2026-Q4")
	// In progress: a (5). Spent: b 6 + c 1.5 + d 0.5 = 8. Committed 13.
	if b.CapacityWeeks != 120 || b.BudgetWeeks != 18 || math.Abs(b.WarnWeeks-24) > 1e-12 || b.InProgress != 5 || b.Spent != 8 || b.Committed != 13 || math.Abs(b.Share-13.0/120) > 1e-12 {
		t.Errorf("%+v", b)
	}
	var ids string
	for _, l := range b.Specials {
		ids += l.ID
	}
	if ids != "cabd" { // by acceptance time, then id
		t.Errorf("order %q", ids)
	}
	if len(b.Displaced) != 3 || b.Displaced[0].Item != "sso" || b.Displaced[2].Item != "reports" {
		t.Errorf("displaced %+v", b.Displaced)
	}
	set.Quarters = map[string]float64{"2026-Q4": 100}
	if b := Quarter(budgetFixture(), set, "2026-Q4"); b.CapacityWeeks != 100 || b.BudgetWeeks != 15 || b.Share != 0.13 {
		t.Errorf("override: %+v", b)
	}
	if b := Quarter(nil, set, "2027-Q1"); b.Committed != 0 || b.Share != 0 || b.Specials == nil || b.Displaced == nil || b.CapacityWeeks != 120 {
		t.Errorf("empty: %+v", b)
	}
}

func TestCheckAccept(t *testing.T) {
	set := tandem.DefaultSpecialSettings()
	b := Quarter(budgetFixture(), set, "2026-Q4") // 13 of 120; budget 18, warning 24
	for _, tc := range []struct {
		weeks               float64
		budget, warn, capac bool
		msg                 string
	}{
		{5, false, false, false, "within the budget of 15%"},         // 18: exactly the budget
		{6, true, false, false, "above the budget of 15%"},           // 19
		{11, true, false, false, "below the warning line"},           // 24: exactly the warning line
		{11.5, true, true, false, "explicit confirmation"},           // 24.5
		{107, true, true, false, "warning line of 20%"},              // 120: exactly capacity
		{108, true, true, true, "over the quarter's whole capacity"}, // 121
	} {
		c := CheckAccept(b, tc.weeks, set)
		if c.OverBudget != tc.budget || c.OverWarning != tc.warn || c.OverCapacity != tc.capac || !strings.Contains(c.Message, tc.msg) ||
			math.Abs(c.Share-(13+tc.weeks)/120) > 1e-12 {
			t.Errorf("%v weeks: %+v", tc.weeks, c)
		}
	}
	c := CheckAccept(b, 5, set)
	if !strings.Contains(c.Message, "Accepting 5 weeks brings 2026-Q4 to 18 of 120 weeks (15%)") {
		t.Errorf("message %q", c.Message)
	}
}

func TestIsLeader(t *testing.T) {
	named := tandem.SpecialSettings{Leaders: []string{"VP@x.io"}}
	tests := []struct {
		set   tandem.SpecialSettings
		email string
		role  tandem.Role
		want  bool
	}{
		{tandem.SpecialSettings{}, "a@x.io", tandem.RoleAdmin, true},
		{tandem.SpecialSettings{}, "p@x.io", tandem.RoleProduct, true},
		{tandem.SpecialSettings{}, "s@x.io", tandem.RoleSales, false},
		{named, "vp@x.io", tandem.RoleSales, true},
		{named, "a@x.io", tandem.RoleAdmin, false},
	}
	for _, tt := range tests {
		if got := IsLeader(tt.set, tt.email, tt.role); got != tt.want {
			t.Errorf("IsLeader(%v, %s, %s) = %v, want %v", tt.set.Leaders, tt.email, tt.role, got, tt.want)
		}
	}
}
