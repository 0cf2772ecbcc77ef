package specials

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/stats"
)

// DefaultMinN is the minimum number of closed deals on each side of a win
// rate comparison before a figure is shown (DESIGN §6).
const DefaultMinN = 30

// Deal is what the outcome report needs of a deal.
type Deal struct {
	ID      string
	Account string
	Segment string
	Outcome string // won, lost, open
	Amount  float64
	Closed  time.Time
}

// OutcomeReport says whether building specials paid off. Every proportion
// carries its n and a 95% interval; the win rate comparison describes an
// association, not a cause (deals that get a special accepted differ from
// the others in ways no restriction removes).
type OutcomeReport struct {
	// WithSpecial is the win rate of closed deals with an accepted
	// special; Comparable that of closed deals without one in the same
	// segment and amount band (see Definitions).
	WithSpecial Proportion `json:"with_special"`
	Comparable  Proportion `json:"comparable"`
	// Difference is WithSpecial − Comparable with Newcombe's interval.
	Difference Diff `json:"difference"`
	// Reuse is the share (below ReuseMinN specials: insufficient data) of
	// built specials with a linked feature that at
	// least one other account uses.
	Reuse Proportion `json:"reuse"`
	// CapacityShare is the weeks of accepted specials over the total
	// capacity of the quarters they were accepted into.
	CapacityShare float64 `json:"capacity_share"`
	// CapacityWeeks and SpecialWeeks are the two sides of CapacityShare.
	CapacityWeeks float64 `json:"capacity_weeks"`
	SpecialWeeks  float64 `json:"special_weeks"`
	// OneOffs are built specials no other account uses.
	OneOffs []BudgetLine `json:"one_offs"`
	// Rows has one line per built special, by id.
	Rows []OutcomeRow `json:"rows"`
	// Bands are the quartile cut points of closed deal amounts that define
	// the amount bands (empty without closed deals).
	Bands       []float64         `json:"amount_bands"`
	MinN        int               `json:"min_n"`
	Definitions map[string]string `json:"definitions"`
}

// Proportion is k of n with its Wilson 95% interval. Insufficient is set
// when n is under the minimum sample (the page then says "insufficient
// data" instead of the figure); Value and the interval are 0 when n is 0.
type Proportion struct {
	K            int     `json:"k"`
	N            int     `json:"n"`
	Value        float64 `json:"value"`
	CILow        float64 `json:"ci_low"`
	CIHigh       float64 `json:"ci_high"`
	Insufficient bool    `json:"insufficient,omitempty"`
	Note         string  `json:"note,omitempty"`
}

// Diff is a difference of proportions with Newcombe's hybrid score 95%
// interval and the n of each side (N1 with a special, N0 without).
type Diff struct {
	Value        float64 `json:"value"`
	CILow        float64 `json:"ci_low"`
	CIHigh       float64 `json:"ci_high"`
	N1           int     `json:"n1"`
	N0           int     `json:"n0"`
	Insufficient bool    `json:"insufficient,omitempty"`
	Note         string  `json:"note,omitempty"`
}

// OutcomeRow is one built special's outcome.
type OutcomeRow struct {
	ID          string             `json:"id"`
	Title       string             `json:"title"`
	Step        tandem.SpecialStep `json:"step"`
	DealID      string             `json:"deal_id"`
	DealOutcome string             `json:"deal_outcome"`
	// Revenue is the deal's amount when won, else 0.
	Revenue       float64 `json:"revenue"`
	Feature       string  `json:"feature,omitempty"`
	OtherAccounts int     `json:"other_accounts"`
	Tickets       int     `json:"tickets"`
	Productized   bool    `json:"productized"`
	Weeks         float64 `json:"weeks"`
}

// built reports whether a step is after the simplest slice shipped.
func built(step tandem.SpecialStep) bool {
	return step == tandem.StepMeasure || step == tandem.StepProductized || step == tandem.StepOneOff
}

// Outcomes builds the report. usage maps a feature id to the set of
// accounts using it; tickets maps a feature id to its support ticket
// count. minN under 1 means DefaultMinN. See the Definitions of the result
// for what each figure counts.
func Outcomes(all []tandem.Special, deals []Deal, usage map[string]map[string]bool, tickets map[string]int, set tandem.SpecialSettings, minN int) OutcomeReport {
	if minN < 1 {
		minN = DefaultMinN
	}
	r := OutcomeReport{MinN: minN, OneOffs: []BudgetLine{}, Rows: []OutcomeRow{}, Bands: []float64{}}
	byID := make(map[string]Deal, len(deals))
	for _, d := range deals {
		byID[d.ID] = d
	}
	accepted := map[string]bool{}
	for _, sp := range all {
		if sp.Accept != nil && sp.DealID != "" {
			accepted[sp.DealID] = true
		}
	}

	// Win rates.
	var closed []Deal
	for _, d := range deals {
		if o := outcome(d); o == "won" || o == "lost" {
			closed = append(closed, d)
		}
	}
	amounts := make([]float64, len(closed))
	for i, d := range closed {
		amounts[i] = d.Amount
	}
	r.Bands = quartiles(amounts)
	type cell struct {
		segment string
		band    int
	}
	cells := map[cell]bool{}
	var k1, n1, k0, n0 int
	for _, d := range closed {
		if accepted[d.ID] {
			cells[cell{d.Segment, band(d.Amount, r.Bands)}] = true
			n1++
			if outcome(d) == "won" {
				k1++
			}
		}
	}
	for _, d := range closed {
		if !accepted[d.ID] && cells[cell{d.Segment, band(d.Amount, r.Bands)}] {
			n0++
			if outcome(d) == "won" {
				k0++
			}
		}
	}
	r.WithSpecial = proportion(k1, n1, minN, "closed deals with an accepted special")
	r.Comparable = proportion(k0, n0, minN, "comparable closed deals without one")
	r.Difference = Diff{N1: n1, N0: n0}
	if n1 > 0 && n0 > 0 {
		ci := stats.NewcombeDiff(k1, n1, k0, n0, stats.Conf95)
		r.Difference.Value = float64(k1)/float64(n1) - float64(k0)/float64(n0)
		r.Difference.CILow, r.Difference.CIHigh = ci.Lo, ci.Hi
	}
	switch {
	case n1 < minN || n0 < minN:
		r.Difference.Insufficient = true
		r.Difference.Note = fmt.Sprintf("insufficient data: %d closed deals with an accepted special and %d comparable without; each side needs %d", n1, n0, minN)
	default:
		dir := "higher"
		if r.Difference.Value < 0 {
			dir = "lower"
		}
		r.Difference.Note = fmt.Sprintf("An accepted special is associated with a win rate %s points %s (95%% CI %s to %s; n = %d with, %d without); association, not cause.",
			num(math.Abs(r.Difference.Value)*100), dir, num(r.Difference.CILow*100), num(r.Difference.CIHigh*100), n1, n0)
	}

	// Built specials: rows, reuse, one-offs.
	var kReuse, nReuse int
	var builtSp []tandem.Special
	for _, sp := range all {
		if sp.Accept != nil && built(sp.Step) {
			builtSp = append(builtSp, sp)
		}
	}
	slices.SortFunc(builtSp, func(a, b tandem.Special) int { return cmp.Compare(a.ID, b.ID) })
	for _, sp := range builtSp {
		d, ok := byID[sp.DealID]
		row := OutcomeRow{ID: sp.ID, Title: sp.Title, Step: sp.Step, DealID: sp.DealID, Feature: sp.Feature,
			Productized: sp.Step == tandem.StepProductized}
		if ok {
			row.DealOutcome = outcome(d)
			if row.DealOutcome == "won" {
				row.Revenue = d.Amount
			}
		} else {
			row.DealOutcome = "unknown"
		}
		if sp.Effort != nil {
			row.Weeks = sp.Effort.Weeks
		}
		if sp.Feature != "" {
			for acct, using := range usage[sp.Feature] {
				if using && acct != "" && acct != d.Account {
					row.OtherAccounts++
				}
			}
			row.Tickets = tickets[sp.Feature]
			nReuse++
			if row.OtherAccounts > 0 {
				kReuse++
			}
		}
		if row.OtherAccounts == 0 {
			r.OneOffs = append(r.OneOffs, BudgetLine{ID: sp.ID, Title: sp.Title, Step: sp.Step, Weeks: row.Weeks})
		}
		r.Rows = append(r.Rows, row)
	}
	r.Reuse = proportion(kReuse, nReuse, ReuseMinN, "built specials with a linked feature")

	// Capacity share.
	quarters := map[string]bool{}
	for _, sp := range all {
		if counted(sp) {
			r.SpecialWeeks += sp.Effort.Weeks
			quarters[sp.Accept.Quarter] = true
		}
	}
	for q := range quarters {
		r.CapacityWeeks += Capacity(set, q)
	}
	if r.CapacityWeeks > 0 {
		r.CapacityShare = r.SpecialWeeks / r.CapacityWeeks
	}
	r.Definitions = Definitions(minN)
	return r
}

// Definitions says what each figure of the outcome report counts, to show
// next to it.
func Definitions(minN int) map[string]string {
	return map[string]string{
		"win_rate":       "Win rate = won / (won + lost) over closed deals; open deals are not losses.",
		"with_special":   "Closed deals with a special that was accepted, including specials withdrawn later (counted as intended, so that withdrawing from losing deals cannot flatter the figure).",
		"comparable":     "Closed deals without an accepted special in the same segment and the same amount band as at least one deal with one.",
		"amount_bands":   "Amount bands are the quartiles of the amounts of all closed deals (linear interpolation, R's type 7): band 1 up to the first quartile, 2 up to the median, 3 up to the third quartile, 4 above.",
		"difference":     "Difference of win rates with Newcombe's hybrid score 95% interval; it shows an association, not that the special won the deal.",
		"intervals":      "Proportions carry Wilson 95% intervals and their n.",
		"min_n":          fmt.Sprintf("A win rate with fewer than %d closed deals is shown as insufficient data.", minN),
		"built":          "Built specials are accepted specials at measure-and-productize, productized or one-off.",
		"reuse":          "Reuse = built specials with a linked feature that at least one other account uses, over built specials with a linked feature.",
		"revenue":        "Revenue influenced = the amount of the special's deal when won, else 0.",
		"tickets":        "Support load = support tickets on the special's linked feature.",
		"capacity_share": "Weeks of accepted specials (simplest-slice and later, not withdrawn; their effort estimates) over the total capacity of the quarters they were accepted into.",
		"one_offs":       "One-offs are built specials that no other account uses (or that have no linked feature to use).",
	}
}

func outcome(d Deal) string { return strings.ToLower(strings.TrimSpace(d.Outcome)) }

// proportion builds k of n with its Wilson interval; under minN it is
// marked insufficient.
func proportion(k, n, minN int, what string) Proportion {
	p := Proportion{K: k, N: n}
	if n > 0 {
		ci := stats.Wilson(k, n, stats.Conf95)
		p.Value, p.CILow, p.CIHigh = float64(k)/float64(n), ci.Lo, ci.Hi
	}
	switch {
	case n == 0:
		p.Insufficient = true
		p.Note = "no " + what
	case n < minN:
		p.Insufficient = true
		p.Note = fmt.Sprintf("insufficient data: %d %s, under the minimum of %d", n, what, minN)
	default:
		p.Note = fmt.Sprintf("%d of %d %s", k, n, what)
	}
	return p
}

// quartiles returns the three quartile cut points of x by linear
// interpolation between order statistics (R's type 7), or nil for no data.
func quartiles(x []float64) []float64 {
	if len(x) == 0 {
		return []float64{}
	}
	s := slices.Clone(x)
	slices.Sort(s)
	q := func(p float64) float64 {
		h := float64(len(s)-1) * p
		lo := math.Floor(h)
		i := int(lo)
		if i+1 >= len(s) {
			return s[i]
		}
		return s[i] + (h-lo)*(s[i+1]-s[i])
	}
	return []float64{q(0.25), q(0.5), q(0.75)}
}

// band is the 1-based amount band of v given quartile cut points; 0 when
// there are none.
func band(v float64, cuts []float64) int {
	if len(cuts) == 0 {
		return 0
	}
	for i, c := range cuts {
		if v <= c {
			return i + 1
		}
	}
	return len(cuts) + 1
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// ReuseMinN is the fewest built specials the reuse rate is stated for: a
// company builds few specials, so the deal minimum (30) would never be
// reached, but a share of two or three says nothing either.
const ReuseMinN = 10
