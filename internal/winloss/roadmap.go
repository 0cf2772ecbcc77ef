package winloss

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// Feature is a feature of the catalog as the roadmap check reads it.
type Feature struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Status     string    `json:"status"` // idea, planned, beta, ga, deprecated
	PlannedAt  time.Time `json:"planned_at,omitzero"`
	ReleasedAt time.Time `json:"released_at,omitzero"`
}

// Roadmap check statuses.
const (
	StatusGreen        = "green"
	StatusRed          = "red"
	StatusInsufficient = "insufficient data"
)

// LastFullQuarter returns the last calendar quarter that ended before
// date: [start, end) in UTC.
func LastFullQuarter(date time.Time) (start, end time.Time) {
	end = QuarterStart(date)
	return end.AddDate(0, -3, 0), end
}

// RoadmapReason is one of the top closed-lost reasons of the quarter.
type RoadmapReason struct {
	Rank  int    `json:"rank"`
	Code  string `json:"code"`
	Label string `json:"label"`
	// Deals cite the reason; Share is Deals out of the quarter's lost
	// deals.
	Deals int             `json:"deals"`
	Share tandem.Estimate `json:"share"`
	// LostRevenue is the sum of the amounts of the deals citing it;
	// WithAmount how many of them have an amount.
	LostRevenue float64 `json:"lost_revenue"`
	WithAmount  int     `json:"with_amount"`
	Addressed   bool    `json:"addressed"`
	// Features are the features named for the reason (its Feature and
	// AddressedBy) with their status; Why says what decided Addressed.
	Features []Feature `json:"features"`
	Why      string    `json:"why"`
}

// RoadmapReport is the roadmap check: are the top three closed-lost
// reasons of the last full quarter addressed by a planned feature?
type RoadmapReport struct {
	Date      string `json:"date"`
	Quarter   string `json:"quarter"`
	From      string `json:"from"`
	To        string `json:"to"` // last day of the quarter
	LostDeals int    `json:"lost_deals"`
	MinN      int    `json:"min_n"`
	// Insufficient is set when the quarter has fewer lost deals than the
	// minimum sample: the reasons are still what was said, and the
	// status still says whether they are addressed, but which three lead
	// is uncertain, so every page shows "insufficient data" beside it.
	Insufficient bool            `json:"insufficient,omitempty"`
	Status       string          `json:"status"`
	Reasons      []RoadmapReason `json:"reasons"`
	Notes        []string        `json:"notes"`
	// Definitions say what the figures are.
	Definitions map[string]string `json:"definitions"`
}

// addresses reports whether f addresses a reason of a quarter starting at
// start: planned or in beta, or generally available since the quarter
// began (a release older than that did not stop the losses).
func addresses(f Feature, start time.Time) bool {
	switch strings.ToLower(strings.TrimSpace(f.Status)) {
	case "planned", "beta":
		return true
	case "ga":
		return !f.ReleasedAt.IsZero() && !f.ReleasedAt.Before(start)
	}
	return false
}

// RoadmapCheck ranks the closed-lost reasons (rep and buyer alike) of the
// last full quarter before date by the number of lost deals citing them
// (ties: more lost revenue, then code), keeps the top three and looks up
// the features that address each. Red when one of them is not addressed;
// insufficient data when the quarter has no lost deal or none with a
// reason. Unmapped CRM texts rank like any reason, and are never
// addressed: map them first.
func RoadmapCheck(deals []Deal, m *Mapper, features map[string]Feature, date time.Time, o Options) *RoadmapReport {
	o = o.norm()
	start, end := LastFullQuarter(date)
	rep := &RoadmapReport{Date: dayText(date), Quarter: Quarter(start), From: dayText(start), To: dayText(end.AddDate(0, 0, -1)),
		MinN: o.MinN, Reasons: []RoadmapReason{}, Notes: []string{}, Definitions: map[string]string{
			"lost deals":   "deals with outcome lost whose close date falls in the quarter",
			"top reasons":  "the three reasons cited by the most lost deals of the quarter (rep and buyer reasons; ties broken by lost revenue)",
			"lost revenue": "sum of the amounts of the lost deals citing the reason; with_amount counts those with an amount",
			"addressed":    "the reason's feature or one of its addressed_by features is planned or in beta, or became generally available after the quarter began",
			"status":       "red when one of the top reasons is not addressed; green when all are; insufficient data when no lost deal of the quarter has a reason",
			"insufficient": fmt.Sprintf("set when the quarter has fewer than %d lost deals: the top reasons are what was said, but which lead is uncertain", o.MinN),
			"share":        fmt.Sprintf("deals citing the reason out of the quarter's lost deals, Wilson %g%% interval", o.Conf*100),
		}}
	type tally struct {
		deals, withAmount int
		revenue           float64
	}
	counts := map[string]*tally{}
	withReason := 0
	for _, d := range deals {
		if d.Outcome != "lost" || d.Closed.IsZero() || d.Closed.Before(start) || !d.Closed.Before(end) {
			continue
		}
		rep.LostDeals++
		codes := d.codes(SourceAll)
		if len(codes) > 0 {
			withReason++
		}
		for _, c := range codes {
			t := counts[c]
			if t == nil {
				t = &tally{}
				counts[c] = t
			}
			t.deals++
			if d.Amount != 0 {
				t.withAmount++
				t.revenue += d.Amount
			}
		}
	}
	codes := make([]string, 0, len(counts))
	for c := range counts {
		codes = append(codes, c)
	}
	slices.SortFunc(codes, func(a, b string) int {
		ta, tb := counts[a], counts[b]
		return cmp.Or(cmp.Compare(tb.deals, ta.deals), cmp.Compare(tb.revenue, ta.revenue), cmp.Compare(a, b))
	})
	if len(codes) > 3 {
		codes = codes[:3]
	}
	rep.Insufficient = rep.LostDeals < o.MinN
	switch {
	case rep.LostDeals == 0:
		rep.Status = StatusInsufficient
		rep.Notes = append(rep.Notes, fmt.Sprintf("insufficient data: no lost deals closed in %s", rep.Quarter))
		return rep
	case withReason == 0:
		rep.Status = StatusInsufficient
		rep.Notes = append(rep.Notes, fmt.Sprintf("insufficient data: none of the %d lost deals of %s has a reason recorded", rep.LostDeals, rep.Quarter))
		return rep
	}
	rep.Status = StatusGreen
	for i, c := range codes {
		t := counts[c]
		r := RoadmapReason{Rank: i + 1, Code: c, Label: m.Label(c), Deals: t.deals, Share: share(t.deals, rep.LostDeals, o),
			LostRevenue: t.revenue, WithAmount: t.withAmount, Features: []Feature{}}
		def, known := m.Def(c)
		var named []string
		if known {
			if def.Feature != "" {
				named = append(named, def.Feature)
			}
			for _, f := range def.AddressedBy {
				if !slices.Contains(named, f) {
					named = append(named, f)
				}
			}
		}
		var by []string
		for _, id := range named {
			f, ok := features[id]
			if !ok {
				f = Feature{ID: id, Name: id, Status: "unknown"}
			}
			r.Features = append(r.Features, f)
			if addresses(f, start) {
				r.Addressed = true
				by = append(by, fmt.Sprintf("%s (%s)", cmp.Or(f.Name, f.ID), f.Status))
			}
		}
		switch {
		case !known:
			r.Why = "not a reason of the taxonomy: map it in the value map"
		case r.Addressed:
			r.Why = "addressed by " + joinAnd(by)
		case len(named) == 0:
			r.Why = "no feature is named as addressing it (addressed_by in the taxonomy)"
		default:
			r.Why = "none of its features is planned, in beta or released since the quarter began"
		}
		if !r.Addressed {
			rep.Status = StatusRed
		}
		rep.Reasons = append(rep.Reasons, r)
	}
	if rep.Insufficient {
		rep.Notes = append(rep.Notes, fmt.Sprintf("insufficient data: only %d lost deals in %s (fewer than %d), so which reasons lead is uncertain", rep.LostDeals, rep.Quarter, o.MinN))
	}
	return rep
}

func joinAnd(xs []string) string {
	switch len(xs) {
	case 0:
		return ""
	case 1:
		return xs[0]
	}
	out := ""
	for i, x := range xs {
		switch {
		case i == 0:
		case i == len(xs)-1:
			out += " and "
		default:
			out += ", "
		}
		out += x
	}
	return out
}
