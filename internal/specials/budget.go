package specials

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// QuarterOf names the calendar quarter of t in UTC, "2026-Q4".
func QuarterOf(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("%04d-Q%d", t.Year(), (int(t.Month())-1)/3+1)
}

// ParseQuarter parses "YYYY-Qn" (n from 1 to 4, the Q in either case) and
// returns the quarter's start and end in UTC; end is exclusive, the start
// of the next quarter. Anything else is EINVALID with the expected form.
func ParseQuarter(s string) (start, end time.Time, err error) {
	bad := func() (time.Time, time.Time, error) {
		return time.Time{}, time.Time{}, tandem.Errorf(tandem.EINVALID, "%q is not a quarter; write YYYY-Qn, for example 2026-Q4", s)
	}
	if len(s) != 7 || s[4] != '-' || (s[5] != 'Q' && s[5] != 'q') || s[6] < '1' || s[6] > '4' {
		return bad()
	}
	for _, c := range s[:4] {
		if c < '0' || c > '9' {
			return bad()
		}
	}
	y, _ := strconv.Atoi(s[:4])
	if y < 1 {
		return bad()
	}
	q := int(s[6] - '0')
	start = time.Date(y, time.Month(3*(q-1)+1), 1, 0, 0, 0, 0, time.UTC)
	return start, start.AddDate(0, 3, 0), nil
}

// Capacity is the product team's capacity in weeks for quarter q: the
// per-quarter override when set, else CapacityWeeks.
func Capacity(set tandem.SpecialSettings, q string) float64 {
	if v, ok := set.Quarters[q]; ok {
		return v
	}
	return set.CapacityWeeks
}

// Budget is one quarter's capacity view: what accepted specials take from
// the product team's weeks, against the budget and its warning line.
//
// A special counts in the quarter named by its Acceptance, with the weeks
// of its effort estimate, once accepted and unless withdrawn (withdrawing
// gives its weeks back to the roadmap). InProgress is the weeks of
// specials at simplest-slice (being built); Spent the weeks of those at
// measure-and-productize, productized or one-off (built); Committed is
// their sum, everything accepted and not withdrawn. Share is Committed
// over capacity.
type Budget struct {
	Quarter       string  `json:"quarter"`
	CapacityWeeks float64 `json:"capacity_weeks"`
	BudgetWeeks   float64 `json:"budget_weeks"`
	WarnWeeks     float64 `json:"warn_weeks"`
	Committed     float64 `json:"committed"`
	InProgress    float64 `json:"in_progress"`
	Spent         float64 `json:"spent"`
	Share         float64 `json:"share"`
	// Specials are the specials counted, by acceptance time then id.
	Specials []BudgetLine `json:"specials"`
	// Displaced is everything the counted specials displace, in the same
	// order.
	Displaced []tandem.RoadmapImpact `json:"displaced"`
}

// BudgetLine is one special counted in a budget or listed in a report.
type BudgetLine struct {
	ID    string             `json:"id"`
	Title string             `json:"title"`
	Step  tandem.SpecialStep `json:"step"`
	Weeks float64            `json:"weeks"`
}

// counted reports whether a special uses capacity: accepted, with an
// effort estimate, and not withdrawn.
func counted(sp tandem.Special) bool {
	return sp.Accept != nil && sp.Effort != nil && (sp.Step == tandem.StepSimplestSlice || built(sp.Step))
}

// Quarter computes the budget of quarter q from all specials; only those
// accepted into q with an effort estimate count (see Budget).
func Quarter(all []tandem.Special, set tandem.SpecialSettings, q string) Budget {
	capWeeks := Capacity(set, q)
	b := Budget{
		Quarter:       q,
		CapacityWeeks: capWeeks,
		BudgetWeeks:   set.BudgetShare * capWeeks,
		WarnWeeks:     set.WarnShare * capWeeks,
		Specials:      []BudgetLine{},
		Displaced:     []tandem.RoadmapImpact{},
	}
	var in []tandem.Special
	for _, sp := range all {
		if counted(sp) && sp.Accept.Quarter == q {
			in = append(in, sp)
		}
	}
	slices.SortStableFunc(in, func(a, c tandem.Special) int {
		if n := a.Accept.At.Compare(c.Accept.At); n != 0 {
			return n
		}
		return strings.Compare(a.ID, c.ID)
	})
	for _, sp := range in {
		w := sp.Effort.Weeks
		if sp.Step == tandem.StepSimplestSlice {
			b.InProgress += w
		} else {
			b.Spent += w
		}
		b.Specials = append(b.Specials, BudgetLine{ID: sp.ID, Title: sp.Title, Step: sp.Step, Weeks: w})
		b.Displaced = append(b.Displaced, sp.Accept.Displaces...)
	}
	b.Committed = b.InProgress + b.Spent
	if capWeeks > 0 {
		b.Share = b.Committed / capWeeks
	}
	return b
}

// AcceptCheck is what accepting more weeks does to a quarter.
type AcceptCheck struct {
	// Share is the committed share of capacity after accepting.
	Share float64 `json:"share"`
	// OverBudget: above the budget share; OverWarning: above the warning
	// share, which needs the leader's explicit confirmation; OverCapacity:
	// more weeks committed than the quarter has.
	OverBudget   bool   `json:"over_budget"`
	OverWarning  bool   `json:"over_warning"`
	OverCapacity bool   `json:"over_capacity"`
	Message      string `json:"message"`
}

// eps absorbs floating-point noise so that landing exactly on a line (15%
// of 120 weeks is 18) is not "over" it.
const eps = 1e-9

// CheckAccept says what accepting weeks more does to the quarter b:
// crossing the budget (strictly above BudgetWeeks), the warning line
// (strictly above WarnWeeks: needs confirmation) or the capacity, and the
// new share. set supplies the shares for the message.
func CheckAccept(b Budget, weeks float64, set tandem.SpecialSettings) AcceptCheck {
	after := b.Committed + weeks
	var c AcceptCheck
	if b.CapacityWeeks > 0 {
		c.Share = after / b.CapacityWeeks
	} else {
		c.Share = math.Inf(1)
	}
	c.OverBudget = after > b.BudgetWeeks+eps
	c.OverWarning = after > b.WarnWeeks+eps
	c.OverCapacity = after > b.CapacityWeeks+eps
	head := fmt.Sprintf("Accepting %s weeks brings %s to %s of %s weeks", num(weeks), b.Quarter, num(after), num(b.CapacityWeeks))
	if b.CapacityWeeks > 0 {
		head += fmt.Sprintf(" (%s)", pct(c.Share))
	}
	switch {
	case c.OverCapacity:
		c.Message = head + ": over the quarter's whole capacity. Move it to another quarter or displace more roadmap work."
	case c.OverWarning:
		c.Message = head + fmt.Sprintf(": above the warning line of %s (%s weeks); accepting needs the leader's explicit confirmation.", pct(set.WarnShare), num(b.WarnWeeks))
	case c.OverBudget:
		c.Message = head + fmt.Sprintf(": above the budget of %s (%s weeks), below the warning line of %s.", pct(set.BudgetShare), num(b.BudgetWeeks), pct(set.WarnShare))
	default:
		c.Message = head + fmt.Sprintf(": within the budget of %s (%s weeks).", pct(set.BudgetShare), num(b.BudgetWeeks))
	}
	if c.OverCapacity {
		// Over capacity is over every line below it too.
		c.OverWarning, c.OverBudget = true, true
	}
	return c
}

func pct(v float64) string { return strconv.FormatFloat(math.Round(v*1000)/10, 'f', -1, 64) + "%" }

// IsLeader reports whether a user (by e-mail and role) may sign off an
// acceptance: one of the settings' leaders or, when none are named, an
// admin or product user. The service and the pages ask the same rule.
func IsLeader(set tandem.SpecialSettings, email string, role tandem.Role) bool {
	if len(set.Leaders) > 0 {
		for _, l := range set.Leaders {
			if strings.EqualFold(l, email) {
				return true
			}
		}
		return false
	}
	return role == tandem.RoleAdmin || role == tandem.RoleProduct
}
