package winloss

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/stats"
)

// Deal is a closed (or open) deal as the reports read it. Rep holds the
// reason codes the rep gave (the CRM's loss reasons through the value map,
// and reasons recorded in Tandem by reps); Buyer the codes buyers gave in
// interviews and surveys. A code cited twice on a deal counts once.
type Deal struct {
	ID      string
	Name    string
	Outcome string // won, lost or open
	Amount  float64
	Closed  time.Time
	Segment string
	// Products and Competitors are the names the report groups by.
	Products    []string
	Competitors []string
	Rep         []string
	Buyer       []string
}

// Options are the report settings every report shares.
type Options struct {
	// MinN is the minimum sample (tandem.DefaultMinN when 0): a group with
	// fewer deals is marked insufficient data and never ranked.
	MinN int
	// Conf is the confidence level (0.95 when 0).
	Conf float64
}

func (o Options) norm() Options {
	if o.MinN <= 0 {
		o.MinN = tandem.DefaultMinN
	}
	if !(o.Conf > 0 && o.Conf < 1) {
		o.Conf = stats.Conf95
	}
	return o
}

// Groupings a reasons report may use.
const (
	ByAll        = ""
	ByQuarter    = "quarter"
	BySegment    = "segment"
	ByCompetitor = "competitor"
	ByProduct    = "product"
)

// Groupings lists the values of ReasonsQuery.By.
func Groupings() []string { return []string{ByQuarter, BySegment, ByCompetitor, ByProduct} }

// Sources a reasons report may count.
const (
	SourceAll   = ""
	SourceRep   = "rep"
	SourceBuyer = "buyer"
)

// NoReason is the row of deals in a group with no reason recorded at all,
// so a group's deals are all accounted for.
const NoReason = "(no reason recorded)"

// Quarter is the calendar quarter of t in UTC, "2025-Q4", as the other
// reports key periods (and as QuarterStart bounds them, so a deal closed
// late on 31 March in another time zone is never in two quarters).
func Quarter(t time.Time) string {
	t = t.UTC()
	return fmt.Sprintf("%d-Q%d", t.Year(), (int(t.Month())+2)/3)
}

// QuarterStart is the first instant (UTC) of t's calendar quarter.
func QuarterStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), time.Month((int(t.Month())-1)/3*3+1), 1, 0, 0, 0, 0, time.UTC)
}

// ReasonsQuery selects the deals of a reasons report and how to group
// them. From and To are days, both included; zero does not bound.
type ReasonsQuery struct {
	By      string
	Outcome string // lost (default) or won
	Source  string // SourceAll, SourceRep or SourceBuyer
	From    time.Time
	To      time.Time
}

// Check refuses unknown values, naming the ones allowed.
func (q ReasonsQuery) Check() error {
	if q.By != ByAll && !slices.Contains(Groupings(), q.By) {
		return tandem.Errorf(tandem.EINVALID, "by: %q is not one of quarter, segment, competitor, product", q.By)
	}
	if q.Outcome != "" && q.Outcome != "lost" && q.Outcome != "won" {
		return tandem.Errorf(tandem.EINVALID, "outcome: %q is not lost or won", q.Outcome)
	}
	if q.Source != SourceAll && q.Source != SourceRep && q.Source != SourceBuyer {
		return tandem.Errorf(tandem.EINVALID, "source: %q is not rep or buyer (empty: both)", q.Source)
	}
	if !q.From.IsZero() && !q.To.IsZero() && q.To.Before(q.From) {
		return tandem.Errorf(tandem.EINVALID, "to (%s) is before from (%s)", q.To.Format(time.DateOnly), q.From.Format(time.DateOnly))
	}
	return nil
}

// inRange reports whether a close date falls in [from, to] (days).
func inRange(closed, from, to time.Time) bool {
	if from.IsZero() && to.IsZero() {
		return true
	}
	if closed.IsZero() {
		return false
	}
	if !from.IsZero() && closed.Before(from) {
		return false
	}
	return to.IsZero() || closed.Before(to.AddDate(0, 0, 1))
}

// ReasonFigure is one reason in one group: the deals citing it out of the
// group's deals, with a Wilson interval.
type ReasonFigure struct {
	Code     string          `json:"code"`
	Label    string          `json:"label"`
	Deals    int             `json:"deals"`
	Estimate tandem.Estimate `json:"estimate"`
}

// ReasonGroup is one group of a reasons report.
type ReasonGroup struct {
	Key          string         `json:"key"`
	N            int            `json:"n"`
	Insufficient bool           `json:"insufficient,omitempty"`
	Note         string         `json:"note,omitempty"`
	Reasons      []ReasonFigure `json:"reasons"`
}

// ReasonsReport is the share of deals citing each reason, per group.
type ReasonsReport struct {
	By          string            `json:"by"`
	Outcome     string            `json:"outcome"`
	Source      string            `json:"source"`
	From        string            `json:"from,omitempty"`
	To          string            `json:"to,omitempty"`
	MinN        int               `json:"min_n"`
	Deals       int               `json:"deals"`
	Groups      []ReasonGroup     `json:"groups"`
	Definitions map[string]string `json:"definitions"`
	Notes       []string          `json:"notes"`
}

func dayText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

// codes returns a deal's distinct codes from the chosen sources.
func (d Deal) codes(source string) []string {
	var all []string
	if source != SourceBuyer {
		all = append(all, d.Rep...)
	}
	if source != SourceRep {
		all = append(all, d.Buyer...)
	}
	slices.Sort(all)
	return slices.Compact(all)
}

// keys returns the groups a deal falls in.
func (d Deal) keys(by string) []string {
	list := func(xs []string, none string) []string {
		xs = slices.Clone(xs)
		slices.Sort(xs)
		xs = slices.Compact(xs)
		if len(xs) == 0 {
			return []string{none}
		}
		return xs
	}
	switch by {
	case ByQuarter:
		if d.Closed.IsZero() {
			return []string{"(no close date)"}
		}
		return []string{Quarter(d.Closed)}
	case BySegment:
		if d.Segment == "" {
			return []string{"(no segment)"}
		}
		return []string{d.Segment}
	case ByCompetitor:
		return list(d.Competitors, "(no competitor)")
	case ByProduct:
		return list(d.Products, "(no product)")
	}
	return []string{"all"}
}

// share is k out of n with a Wilson interval, marked insufficient below
// the minimum sample.
func share(k, n int, o Options) tandem.Estimate {
	if n <= 0 {
		e := tandem.NewEstimate(0, math.NaN(), math.NaN(), math.NaN())
		e.Insufficient, e.Note = true, "no deals"
		return e
	}
	ci := stats.Wilson(k, n, o.Conf)
	e := tandem.NewEstimate(n, float64(k)/float64(n), ci.Lo, ci.Hi)
	if n < o.MinN {
		e.Insufficient, e.Note = true, fmt.Sprintf("insufficient data (n=%d < %d)", n, o.MinN)
	}
	return e
}

// Reasons counts, in each group of the selected deals, the deals citing
// each reason. Open deals never count, and a deal with several
// competitors or products falls in each of their groups.
func Reasons(deals []Deal, m *Mapper, q ReasonsQuery, o Options) (*ReasonsReport, error) {
	if err := q.Check(); err != nil {
		return nil, err
	}
	o = o.norm()
	outcome := cmp.Or(q.Outcome, "lost")
	rep := &ReasonsReport{By: q.By, Outcome: outcome, Source: q.Source, From: dayText(q.From), To: dayText(q.To), MinN: o.MinN,
		Groups: []ReasonGroup{}, Notes: []string{}, Definitions: reasonDefinitions(outcome, o)}
	type group struct {
		n      int
		counts map[string]int
	}
	groups := map[string]*group{}
	for _, d := range deals {
		if d.Outcome != outcome || !inRange(d.Closed, q.From, q.To) {
			continue
		}
		rep.Deals++
		codes := d.codes(q.Source)
		for _, k := range d.keys(q.By) {
			g := groups[k]
			if g == nil {
				g = &group{counts: map[string]int{}}
				groups[k] = g
			}
			g.n++
			if len(codes) == 0 {
				g.counts[NoReason]++
			}
			for _, c := range codes {
				g.counts[c]++
			}
		}
	}
	for key, g := range groups {
		rg := ReasonGroup{Key: key, N: g.n, Reasons: []ReasonFigure{}}
		if g.n < o.MinN {
			rg.Insufficient, rg.Note = true, fmt.Sprintf("insufficient data (n=%d < %d)", g.n, o.MinN)
		}
		for code, k := range g.counts {
			label := code
			if code != NoReason {
				label = m.Label(code)
			}
			rg.Reasons = append(rg.Reasons, ReasonFigure{Code: code, Label: label, Deals: k, Estimate: share(k, g.n, o)})
		}
		slices.SortFunc(rg.Reasons, func(a, b ReasonFigure) int {
			if (a.Code == NoReason) != (b.Code == NoReason) {
				if a.Code == NoReason {
					return 1
				}
				return -1
			}
			return cmp.Or(cmp.Compare(b.Deals, a.Deals), cmp.Compare(a.Code, b.Code))
		})
		rep.Groups = append(rep.Groups, rg)
	}
	slices.SortFunc(rep.Groups, func(a, b ReasonGroup) int {
		if q.By == ByQuarter {
			return cmp.Compare(a.Key, b.Key)
		}
		return cmp.Or(cmp.Compare(b.N, a.N), cmp.Compare(a.Key, b.Key))
	})
	if rep.Deals == 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("no %s deals in the period: insufficient data", outcome))
	}
	if q.By == ByCompetitor || q.By == ByProduct {
		rep.Notes = append(rep.Notes, fmt.Sprintf("a deal with several %ss counts in each of their groups", q.By))
	}
	return rep, nil
}

func reasonDefinitions(outcome string, o Options) map[string]string {
	return map[string]string{
		"share":             fmt.Sprintf("deals citing the reason out of the group's %s deals (open deals are not counted); a deal may cite several reasons, so shares do not add up to 100%%", outcome),
		"interval":          fmt.Sprintf("Wilson score interval, %g%%", o.Conf*100),
		"minimum sample":    fmt.Sprintf("groups with fewer than %d deals are marked insufficient data and never ranked", o.MinN),
		"rep reasons":       "the CRM's loss reasons read through the taxonomy's value map, and reasons reps recorded in Tandem",
		"buyer reasons":     "reasons buyers gave in interviews and surveys",
		"unmapped":          "CRM reasons the value map does not read are counted as \"unmapped: <text>\", never dropped",
		"association":       "a reason cited with an outcome is associated with it; it is what people said, not a measured cause",
		NoReason:            "deals of the group with no reason from the chosen sources",
		"closed date range": "from and to are days, both included, on the deal's close date",
	}
}

// GapQuery selects the deals of a rep-versus-buyer gap report.
type GapQuery struct {
	Outcome string // lost (default) or won
	From    time.Time
	To      time.Time
}

// GapRow compares, for one reason, the share of paired deals where the rep
// cites it with the share where the buyer does.
type GapRow struct {
	Code  string `json:"code"`
	Label string `json:"label"`
	// Both, RepOnly, BuyerOnly and Neither are the paired table's cells.
	Both      int             `json:"both"`
	RepOnly   int             `json:"rep_only"`
	BuyerOnly int             `json:"buyer_only"`
	Neither   int             `json:"neither"`
	Rep       tandem.Estimate `json:"rep"`
	Buyer     tandem.Estimate `json:"buyer"`
	// Diff is rep share minus buyer share, with the paired interval.
	Diff tandem.Estimate `json:"diff"`
}

// GapReport is what reps say against what buyers say, over the deals
// where both said something.
type GapReport struct {
	Outcome      string            `json:"outcome"`
	From         string            `json:"from,omitempty"`
	To           string            `json:"to,omitempty"`
	MinN         int               `json:"min_n"`
	Deals        int               `json:"deals"`  // deals of the outcome in the period
	Paired       int               `json:"paired"` // of them, with a rep and a buyer reason
	Insufficient bool              `json:"insufficient,omitempty"`
	Method       string            `json:"method"`
	Rows         []GapRow          `json:"rows"`
	Definitions  map[string]string `json:"definitions"`
	Notes        []string          `json:"notes"`
}

// Gap compares rep and buyer reasons on the deals having both.
func Gap(deals []Deal, m *Mapper, q GapQuery, o Options) (*GapReport, error) {
	if err := (ReasonsQuery{Outcome: q.Outcome, From: q.From, To: q.To}).Check(); err != nil {
		return nil, err
	}
	o = o.norm()
	outcome := cmp.Or(q.Outcome, "lost")
	rep := &GapReport{Outcome: outcome, From: dayText(q.From), To: dayText(q.To), MinN: o.MinN, Method: PairedMethod,
		Rows: []GapRow{}, Notes: []string{}, Definitions: map[string]string{
			"paired deals": fmt.Sprintf("%s deals with at least one rep reason and at least one buyer reason", outcome),
			"rep share":    "paired deals where the rep cites the reason (CRM or recorded in Tandem)",
			"buyer share":  "paired deals where the buyer cites the reason (interview or survey)",
			"difference":   "rep share minus buyer share; positive: reps cite it more than buyers do",
			"interval":     fmt.Sprintf("%g%%: Wilson for each share; %s for the difference, since both shares are measured on the same deals", o.Conf*100, PairedMethod),
		}}
	type cells struct{ both, rep, buyer int }
	table := map[string]*cells{}
	var paired []Deal
	for _, d := range deals {
		if d.Outcome != outcome || !inRange(d.Closed, q.From, q.To) {
			continue
		}
		rep.Deals++
		if len(d.Rep) == 0 || len(d.Buyer) == 0 {
			continue
		}
		paired = append(paired, d)
	}
	rep.Paired = len(paired)
	for _, d := range paired {
		r, b := d.codes(SourceRep), d.codes(SourceBuyer)
		for _, c := range r {
			if table[c] == nil {
				table[c] = &cells{}
			}
			if slices.Contains(b, c) {
				table[c].both++
			} else {
				table[c].rep++
			}
		}
		for _, c := range b {
			if table[c] == nil {
				table[c] = &cells{}
			}
			if !slices.Contains(r, c) {
				table[c].buyer++
			}
		}
	}
	n := rep.Paired
	for code, c := range table {
		row := GapRow{Code: code, Label: m.Label(code), Both: c.both, RepOnly: c.rep, BuyerOnly: c.buyer, Neither: n - c.both - c.rep - c.buyer,
			Rep: share(c.both+c.rep, n, o), Buyer: share(c.both+c.buyer, n, o)}
		ci := PairedDiff(row.Both, row.RepOnly, row.BuyerOnly, row.Neither, o.Conf)
		row.Diff = tandem.NewEstimate(n, float64(c.rep-c.buyer)/float64(n), ci.Lo, ci.Hi)
		if n < o.MinN {
			row.Diff.Insufficient, row.Diff.Note = true, fmt.Sprintf("insufficient data (n=%d < %d)", n, o.MinN)
		}
		rep.Rows = append(rep.Rows, row)
	}
	slices.SortFunc(rep.Rows, func(a, b GapRow) int {
		return cmp.Or(cmp.Compare(math.Abs(b.Diff.Value), math.Abs(a.Diff.Value)),
			cmp.Compare(b.Both+b.RepOnly+b.BuyerOnly, a.Both+a.RepOnly+a.BuyerOnly), cmp.Compare(a.Code, b.Code))
	})
	if n < o.MinN {
		rep.Insufficient = true
		rep.Notes = append(rep.Notes, fmt.Sprintf("insufficient data: %d paired deals, fewer than %d", n, o.MinN))
	}
	if rep.Deals > 0 && n < rep.Deals {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d of %d %s deals have no buyer reason or no rep reason and are left out", rep.Deals-n, rep.Deals, outcome))
	}
	return rep, nil
}
