package specials

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// MaxEffortWeeks bounds an effort estimate: more than five years of
// engineering weeks for one special is a typo, not an estimate.
const MaxEffortWeeks = 260

// ScoreInputs are what the alignment score is computed from.
type ScoreInputs struct {
	// ICPFit and StrategyFit are product's judgement, 0 to 10.
	ICPFit, StrategyFit float64
	// DemandAccounts is the number of distinct other accounts asking for
	// the same (the accounts of linked feedback themes and of linked
	// specials' deals); DemandSpecials the number of linked specials.
	DemandAccounts int
	DemandSpecials int
	// DemandRevenue is the revenue behind that demand (ARR and pipeline,
	// as the service computes it).
	DemandRevenue float64
	// DealAmount is this special's deal amount; MedianDealAmount the
	// median amount of closed-won deals, the yardstick that makes revenue
	// comparable across companies of any size.
	DealAmount       float64
	MedianDealAmount float64
}

// Score computes an AlignmentScore. ICP fit and strategy fit are given;
// the two other inputs are computed so that product cannot argue them away
// and sales cannot inflate them:
//
//	recurring demand = min(10, 2.5 · log2(1 + accounts + specials))
//	revenue at stake = min(10, 5 · (deal amount + demand revenue) / median won deal)
//
// Demand grows with the logarithm because the first few other askers say
// far more than the fiftieth: nobody else asking scores 0, one 2.5, three
// 5, seven 7.5, fifteen or more 10. Revenue at stake scores 5 when the
// money behind the ask equals a typical won deal and 10 at twice that.
// With no won deals to compare against (median 0), any revenue scores 5,
// the neutral midpoint, and the inputs say so. Both are monotone
// non-decreasing in every input and bounded to 0..10. The score is the
// mean of the four, and the computed inputs and score are rounded to two
// decimals. Inputs holds one sentence per input showing how it was
// reached.
//
// ICP or strategy fit outside 0..10 (or NaN), negative counts and
// negative or non-finite money are EINVALID naming the field.
func Score(in ScoreInputs) (tandem.AlignmentScore, error) {
	for _, f := range []struct {
		name string
		v    float64
	}{{"icp_fit", in.ICPFit}, {"strategy_fit", in.StrategyFit}} {
		if math.IsNaN(f.v) || f.v < 0 || f.v > 10 {
			return tandem.AlignmentScore{}, tandem.Errorf(tandem.EINVALID, "%s must be between 0 and 10 (got %v)", f.name, f.v)
		}
	}
	if in.DemandAccounts < 0 || in.DemandSpecials < 0 {
		return tandem.AlignmentScore{}, tandem.Errorf(tandem.EINVALID, "demand counts cannot be negative (accounts %d, specials %d)", in.DemandAccounts, in.DemandSpecials)
	}
	for _, f := range []struct {
		name string
		v    float64
	}{{"demand_revenue", in.DemandRevenue}, {"deal_amount", in.DealAmount}, {"median_deal_amount", in.MedianDealAmount}} {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) || f.v < 0 {
			return tandem.AlignmentScore{}, tandem.Errorf(tandem.EINVALID, "%s must be a non-negative amount (got %v)", f.name, f.v)
		}
	}
	asks := in.DemandAccounts + in.DemandSpecials
	demand := round2(math.Min(10, 2.5*math.Log2(1+float64(asks))))
	money := in.DealAmount + in.DemandRevenue
	var revenue float64
	var revWhy string
	switch {
	case in.MedianDealAmount > 0:
		revenue = round2(math.Min(10, 5*money/in.MedianDealAmount))
		revWhy = fmt.Sprintf("Revenue at stake %.2f/10 = min(10, 5 × (deal %s + demand revenue %s) / median won deal %s).",
			revenue, money0(in.DealAmount), money0(in.DemandRevenue), money0(in.MedianDealAmount))
	case money > 0:
		revenue = 5
		revWhy = fmt.Sprintf("Revenue at stake 5.00/10, the neutral midpoint: there are no won deals to compare deal %s + demand revenue %s against.",
			money0(in.DealAmount), money0(in.DemandRevenue))
	default:
		revWhy = "Revenue at stake 0.00/10: no deal amount and no revenue behind other asks."
	}
	score := round2((in.ICPFit + in.StrategyFit + demand + revenue) / 4)
	return tandem.AlignmentScore{
		ICPFit:          in.ICPFit,
		StrategyFit:     in.StrategyFit,
		RecurringDemand: demand,
		RevenueAtStake:  revenue,
		Score:           score,
		Inputs: []string{
			fmt.Sprintf("ICP fit %s/10, given by product.", num(in.ICPFit)),
			fmt.Sprintf("Strategy fit %s/10, given by product.", num(in.StrategyFit)),
			fmt.Sprintf("Recurring demand %.2f/10 = min(10, 2.5 × log2(1 + %d other %s + %d linked %s)).",
				demand, in.DemandAccounts, plural(in.DemandAccounts, "account", "accounts"), in.DemandSpecials, plural(in.DemandSpecials, "special", "specials")),
			revWhy,
			fmt.Sprintf("Score %.2f = mean of the four.", score),
		},
	}, nil
}

// Adjust overrides the computed score, because judgement sometimes knows
// what the data cannot; the reason is mandatory so the override can be
// defended later. value must be within 0..10. The input is not modified.
func Adjust(a tandem.AlignmentScore, value float64, reason, by string, at time.Time) (tandem.AlignmentScore, error) {
	if math.IsNaN(value) || value < 0 || value > 10 {
		return tandem.AlignmentScore{}, tandem.Errorf(tandem.EINVALID, "adjusted alignment must be between 0 and 10 (got %v)", value)
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return tandem.AlignmentScore{}, tandem.Errorf(tandem.EINVALID, "adjusting the alignment score needs a reason")
	}
	by = strings.TrimSpace(by)
	if by == "" {
		return tandem.AlignmentScore{}, tandem.Errorf(tandem.EINVALID, "adjusting the alignment score needs who adjusted it")
	}
	v := value
	a.Adjusted, a.Reason, a.AdjustedBy, a.AdjustedAt = &v, reason, by, at
	return a, nil
}

// CheckEffort refuses estimates the matrix cannot use: negative, zero,
// NaN or infinite weeks, more than MaxEffortWeeks, or no author (an
// estimate nobody owns cannot be challenged).
func CheckEffort(e tandem.EffortEstimate) error {
	switch {
	case math.IsNaN(e.Weeks) || math.IsInf(e.Weeks, 0):
		return tandem.Errorf(tandem.EINVALID, "effort must be a number of engineering weeks (got %v)", e.Weeks)
	case e.Weeks < 0:
		return tandem.Errorf(tandem.EINVALID, "effort cannot be negative (got %v weeks)", e.Weeks)
	case e.Weeks == 0:
		return tandem.Errorf(tandem.EINVALID, "effort must be more than 0 weeks; nothing is free to build")
	case e.Weeks > MaxEffortWeeks:
		return tandem.Errorf(tandem.EINVALID, "effort of %v weeks is over the limit of %d (five years); check the unit", e.Weeks, MaxEffortWeeks)
	case strings.TrimSpace(e.Author) == "":
		return tandem.Errorf(tandem.EINVALID, "an effort estimate needs its author")
	}
	return nil
}

// Quadrant of the matrix.
type Quadrant string

// The four quadrants and, in comments, their recommended action.
const (
	HighEffortLowAlignment  Quadrant = "high-effort-low-alignment"  // decline
	HighEffortHighAlignment Quadrant = "high-effort-high-alignment" // descope or sequence
	LowEffortLowAlignment   Quadrant = "low-effort-low-alignment"   // decline unless strategic (say why)
	LowEffortHighAlignment  Quadrant = "low-effort-high-alignment"  // accept (or sequence)
)

// Placement is where a special falls on the matrix and what to do about it.
type Placement struct {
	Alignment   float64  `json:"alignment"`
	EffortWeeks float64  `json:"effort_weeks"`
	Quadrant    Quadrant `json:"quadrant"`
	// Action is the recommendation: "decline", "descope or sequence",
	// "decline unless strategic", "accept (or sequence)", or "accept as
	// strategic" for a strategic special in the low/low quadrant.
	Action string `json:"action"`
	// Why is a sentence with the numbers and thresholds.
	Why string `json:"why"`
	// BelowMinimum is set when the deal is under the settings' minimum deal
	// amount and the special is not strategic; Why says so. The action is
	// still the quadrant's: the minimum is a guardrail, not a verdict.
	BelowMinimum bool `json:"below_minimum,omitempty"`
}

// Place returns where a special falls: alignment (the adjusted score when
// set) at or above AlignmentHigh is high, effort at or above
// EffortHighWeeks is high. ok is false when the special has no alignment
// or no effort yet.
func Place(sp tandem.Special, set tandem.SpecialSettings) (p Placement, ok bool) {
	if sp.Alignment == nil || sp.Effort == nil {
		return Placement{}, false
	}
	p.Alignment, p.EffortWeeks = sp.Alignment.Value(), sp.Effort.Weeks
	highA := p.Alignment >= set.AlignmentHigh
	highE := p.EffortWeeks >= set.EffortHighWeeks
	aw := fmt.Sprintf("alignment %s is below %s (low)", num(p.Alignment), num(set.AlignmentHigh))
	if highA {
		aw = fmt.Sprintf("alignment %s is at or above %s (high)", num(p.Alignment), num(set.AlignmentHigh))
	}
	ew := fmt.Sprintf("effort %s weeks is below %s (low)", num(p.EffortWeeks), num(set.EffortHighWeeks))
	if highE {
		ew = fmt.Sprintf("effort %s weeks is at or above %s (high)", num(p.EffortWeeks), num(set.EffortHighWeeks))
	}
	var advice string
	switch {
	case highE && !highA:
		p.Quadrant, p.Action = HighEffortLowAlignment, "decline"
		advice = "decline, and defend it with the data and the cost estimate"
	case highE && highA:
		p.Quadrant, p.Action = HighEffortHighAlignment, "descope or sequence"
		advice = "descope or sequence: deliver the value in slices, or through services or partners"
	case !highE && !highA:
		p.Quadrant, p.Action = LowEffortLowAlignment, "decline unless strategic"
		advice = "usually decline, unless there is a strategic non-monetary benefit"
		if sp.Strategic {
			p.Action = "accept as strategic"
			why := strings.TrimSpace(sp.StrategicWhy)
			if why == "" {
				why = "no reason recorded"
			}
			advice = "strategic: " + why
		}
	default:
		p.Quadrant, p.Action = LowEffortHighAlignment, "accept (or sequence)"
		advice = "accept, or sequence it if it is already on the roadmap"
	}
	p.Why = fmt.Sprintf("%s and %s: %s.", capitalize(aw), ew, advice)
	if !sp.Strategic && set.MinDealAmount > 0 && sp.Amount < set.MinDealAmount {
		p.BelowMinimum = true
		p.Why += fmt.Sprintf(" The deal (%s) is below the minimum of %s for specials that are not strategic.", money0(sp.Amount), money0(set.MinDealAmount))
	}
	return p, true
}

// CheckSettings lists every problem of the settings at once, so an admin
// fixes them in one go: thresholds in range, shares within 0..1 with the
// budget at or under the warning line, a positive capacity, per-quarter
// capacities keyed "YYYY-Qn" and positive, a non-negative minimum deal.
func CheckSettings(set tandem.SpecialSettings) error {
	var p []string
	bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
	if bad(set.AlignmentHigh) || set.AlignmentHigh <= 0 || set.AlignmentHigh > 10 {
		p = append(p, fmt.Sprintf("alignment_high must be more than 0 and at most 10 (got %v)", set.AlignmentHigh))
	}
	if bad(set.EffortHighWeeks) || set.EffortHighWeeks <= 0 || set.EffortHighWeeks > MaxEffortWeeks {
		p = append(p, fmt.Sprintf("effort_high_weeks must be more than 0 and at most %d (got %v)", MaxEffortWeeks, set.EffortHighWeeks))
	}
	if bad(set.CapacityWeeks) || set.CapacityWeeks <= 0 {
		p = append(p, fmt.Sprintf("capacity_weeks must be more than 0 (got %v)", set.CapacityWeeks))
	}
	for _, q := range sortedKeys(set.Quarters) {
		if _, _, err := ParseQuarter(q); err != nil {
			p = append(p, fmt.Sprintf("quarters: %s", tandem.ErrorMessage(err)))
		}
		if v := set.Quarters[q]; bad(v) || v <= 0 {
			p = append(p, fmt.Sprintf("quarters: capacity of %s must be more than 0 (got %v)", q, v))
		}
	}
	okBudget := !bad(set.BudgetShare) && set.BudgetShare >= 0 && set.BudgetShare <= 1
	okWarn := !bad(set.WarnShare) && set.WarnShare >= 0 && set.WarnShare <= 1
	if !okBudget {
		p = append(p, fmt.Sprintf("budget_share must be between 0 and 1 (got %v; 0.15 is 15%%)", set.BudgetShare))
	}
	if !okWarn {
		p = append(p, fmt.Sprintf("warn_share must be between 0 and 1 (got %v; 0.20 is 20%%)", set.WarnShare))
	}
	if okBudget && okWarn && set.BudgetShare > set.WarnShare {
		p = append(p, fmt.Sprintf("budget_share (%v) must not be above warn_share (%v)", set.BudgetShare, set.WarnShare))
	}
	if bad(set.MinDealAmount) || set.MinDealAmount < 0 {
		p = append(p, fmt.Sprintf("min_deal_amount must not be negative (got %v)", set.MinDealAmount))
	}
	for i, l := range set.Leaders {
		if strings.TrimSpace(l) == "" {
			p = append(p, fmt.Sprintf("leaders: entry %d is empty", i+1))
		}
	}
	if len(p) > 0 {
		return tandem.Errorf(tandem.EINVALID, "special settings: %s", strings.Join(p, "; "))
	}
	return nil
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// num prints a number without trailing zeros: 5, 6.5, 7.25.
func num(v float64) string { return strconv.FormatFloat(round2(v), 'f', -1, 64) }

// money0 prints an amount with thousands separators and no decimals.
func money0(v float64) string {
	s := fmt.Sprintf("%.0f", math.Abs(v))
	var b strings.Builder
	if v < 0 && s != "0" {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
