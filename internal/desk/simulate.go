package desk

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tandemhq/tandem/internal/desk/rules"
	"github.com/tandemhq/tandem/internal/stats"
)

// PastQuote is one closed deal's quote replayed by Simulate: the facts the
// rules would have seen, and how the deal ended.
type PastQuote struct {
	DealID string
	Facts  rules.Facts
	Won    bool
	// Stored is true when the quote is a version saved on the desk, false
	// when it was drawn from the deal's imported line items.
	Stored bool
}

// LevelCount is how many replayed quotes a level's approvals would have
// held.
type LevelCount struct {
	Level int      `json:"level"`
	Rules []string `json:"rules"`
	// Quotes is the share of replayed quotes needing an approval at this
	// level (superseded lower levels not counted), with its interval.
	Quotes Figure `json:"quotes"`
	// Approvals counts the approval steps the level would have requested.
	Approvals int `json:"approvals"`
}

// Side is the closed deals on one side of the what-if: those whose quote
// would have needed approval, or not.
type Side struct {
	Deals    int    `json:"deals"`
	WinRate  Figure `json:"win_rate"`
	Discount Figure `json:"discount"` // median overall discount, %, bootstrap interval
}

// Simulation is what a rule set would have done to past quotes.
type Simulation struct {
	Quotes     int          `json:"quotes"`
	Stored     int          `json:"stored"`     // of which saved desk quotes
	LineItems  int          `json:"line_items"` // of which drawn from imported line items
	Levels     []LevelCount `json:"levels"`
	Wait       Figure       `json:"median_wait"` // hours from request to decision, from recorded approvals
	Needed     Side         `json:"needed"`
	NotNeeded  Side         `json:"not_needed"`
	Difference Figure       `json:"win_rate_difference"` // needed − not needed, pp, Newcombe interval
	Notes      []string     `json:"notes"`
}

// Simulate replays rule set rs over past quotes: per level, how many
// quotes would have needed approval; the median wait from recorded
// decisions (waits, in hours; the replay itself cannot know how long people
// would have taken); and win rate and discount of the deals that would
// have needed approval against those that would not, with intervals
// below which minN says "insufficient data". The comparison is
// descriptive: deals that need approval differ in more than the approval.
func Simulate(rs *rules.RuleSet, quotes []PastQuote, waits []float64, minN int) Simulation {
	sim := Simulation{Quotes: len(quotes)}
	type level struct {
		rules     map[string]bool
		quotes    int
		approvals int
	}
	levels := map[int]*level{}
	var needK, needN, freeK, freeN int
	var needDisc, freeDisc []float64
	for _, q := range quotes {
		if q.Stored {
			sim.Stored++
		} else {
			sim.LineItems++
		}
		matches := rs.Evaluate(q.Facts)
		seen := map[int]bool{}
		needed := false
		for _, m := range matches {
			if m.SupersededBy != "" {
				continue
			}
			needed = true
			l := levels[m.Level]
			if l == nil {
				l = &level{rules: map[string]bool{}}
				levels[m.Level] = l
			}
			l.rules[m.Rule.Name] = true
			l.approvals += len(m.Rule.Approvers.Steps)
			if !seen[m.Level] {
				seen[m.Level] = true
				l.quotes++
			}
		}
		won := 0
		if q.Won {
			won = 1
		}
		if needed {
			needK, needN = needK+won, needN+1
			needDisc = append(needDisc, q.Facts.Quote.Discount)
		} else {
			freeK, freeN = freeK+won, freeN+1
			freeDisc = append(freeDisc, q.Facts.Quote.Discount)
		}
	}
	order := make([]int, 0, len(levels))
	for lv := range levels {
		order = append(order, lv)
	}
	slices.Sort(order)
	for _, lv := range order {
		l := levels[lv]
		names := make([]string, 0, len(l.rules))
		for n := range l.rules {
			names = append(names, n)
		}
		slices.Sort(names)
		sim.Levels = append(sim.Levels, LevelCount{Level: lv, Rules: names, Approvals: l.approvals,
			Quotes: proportionFigure(fmt.Sprintf("quotes needing level %d", lv), l.quotes, len(quotes), minN, "share of replayed quotes")})
	}
	if sim.Levels == nil {
		sim.Levels = []LevelCount{}
	}
	sim.Wait = medianFigure("median wait for a decision", "hours", waits, minN, "recorded approvals, request to decision; the replay cannot know how long people would have taken")
	sim.Needed = Side{Deals: needN, WinRate: proportionFigure("win rate, would have needed approval", needK, needN, minN, noteWinRate),
		Discount: medianFigure("median discount, would have needed approval", "percent", needDisc, minN, "overall quote discount")}
	sim.NotNeeded = Side{Deals: freeN, WinRate: proportionFigure("win rate, would not have needed approval", freeK, freeN, minN, noteWinRate),
		Discount: medianFigure("median discount, would not have needed approval", "percent", freeDisc, minN, "overall quote discount")}
	sim.Difference = diffFigure("win rate difference, needed − not needed", needK, needN, freeK, freeN, minN, "associated with, not caused by, needing approval")
	sim.Notes = []string{
		"Quotes are the latest saved desk version of each deal closed in the window, or, for deals without one, a quote drawn from the deal's line items at catalog list prices.",
		"Flags and archetypes in the facts come from today's desk model, not the one in force when the deal was quoted.",
	}
	if sim.LineItems > 0 && sim.Stored == 0 {
		sim.Notes = append(sim.Notes, "No saved desk quotes in the window: every quote was drawn from imported line items, so payment terms, term and promises are the defaults ("+strings.Join([]string{"12 months", "net 30", "no promises"}, ", ")+").")
	}
	return sim
}

// medianFigure is the median of x with its seeded bootstrap 95% interval
// (DESIGN §6: money and durations are skewed).
func medianFigure(label, unit string, x []float64, minN int, note string) Figure {
	f := Figure{Label: label, Unit: unit, N: len(x), Note: note, Insufficient: len(x) < minN}
	if len(x) > 0 {
		b := stats.BootstrapMeanMedian(x, 1000, 1, stats.Conf95)
		f.Value, f.CILow, f.CIHigh = b.Median, b.MedianCI.Lo, b.MedianCI.Hi
	}
	return finiteFigure(f)
}
