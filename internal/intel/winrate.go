package intel

import (
	"fmt"
	"math"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/stats"
	"github.com/tandemhq/tandem/internal/winloss"
)

// WinRateDefinition is said next to every win rate (DESIGN §6).
const WinRateDefinition = "Win rate = won / (won + lost) over closed deals; open deals are not losses. Intervals are 95% Wilson intervals; the difference is Newcombe's hybrid score interval."

// Options are the statistics settings of competitive win rates.
type Options struct {
	// MinSample is the number of closed deals under which a win rate is
	// "insufficient data" (default 30).
	MinSample int `json:"min_n"`
	// Conf is the confidence level of intervals (default 0.95).
	Conf float64 `json:"conf"`
}

// DefaultOptions are the options of DESIGN §6.
func DefaultOptions() Options { return Options{MinSample: 30, Conf: stats.Conf95} }

// WithDefaults fills unset options with DefaultOptions'.
func (o Options) WithDefaults() Options {
	d := DefaultOptions()
	if o.MinSample <= 0 {
		o.MinSample = d.MinSample
	}
	if !(o.Conf > 0 && o.Conf < 1) {
		o.Conf = d.Conf
	}
	return o
}

// Rate is a win rate over closed deals with its Wilson interval. Below
// the minimum sample it is Insufficient: the counts are kept, the rate
// must not be shown as a figure.
type Rate struct {
	Won          int     `json:"won"`
	Lost         int     `json:"lost"`
	N            int     `json:"n"`
	Value        float64 `json:"value"`
	CILow        float64 `json:"ci_low"`
	CIHigh       float64 `json:"ci_high"`
	Insufficient bool    `json:"insufficient"`
}

// WinRate is won/(won+lost) with its Wilson interval; with no closed
// deal every figure is 0 and the rate is insufficient.
func WinRate(won, lost int, o Options) Rate {
	o = o.WithDefaults()
	r := Rate{Won: won, Lost: lost, N: won + lost}
	r.Insufficient = r.N < o.MinSample
	if r.N <= 0 {
		r.Insufficient = true
		return r
	}
	ci := stats.Wilson(won, r.N, o.Conf)
	r.Value, r.CILow, r.CIHigh = float64(won)/float64(r.N), ci.Lo, ci.Hi
	return r
}

// Text renders a rate as every interface prints it: "41.7% [35.2%,
// 48.4%] n=120 (50 won, 70 lost)", or "insufficient data (n=12)".
func (r Rate) Text() string {
	if r.Insufficient {
		return fmt.Sprintf("insufficient data (n=%d)", r.N)
	}
	return fmt.Sprintf("%s [%s, %s] n=%d (%d won, %d lost)", pct(r.Value), pct(r.CILow), pct(r.CIHigh), r.N, r.Won, r.Lost)
}

// pct renders a proportion as a percentage with one decimal.
func pct(p float64) string { return fmt.Sprintf("%.1f%%", 100*p) }

// Difference is the win rate of deals with a competitor minus that of
// closed deals without it, in proportion points, with Newcombe's
// interval; insufficient when either side is under the minimum sample.
type Difference struct {
	Value        float64 `json:"value"`
	CILow        float64 `json:"ci_low"`
	CIHigh       float64 `json:"ci_high"`
	NWith        int     `json:"n_with"`
	NWithout     int     `json:"n_without"`
	Insufficient bool    `json:"insufficient"`
}

// Diff compares two rates (with − without).
func Diff(with, without Rate, o Options) Difference {
	o = o.WithDefaults()
	d := Difference{NWith: with.N, NWithout: without.N, Insufficient: with.Insufficient || without.Insufficient}
	if with.N == 0 || without.N == 0 {
		d.Insufficient = true
		return d
	}
	ci := stats.NewcombeDiff(with.Won, with.N, without.Won, without.N, o.Conf)
	d.Value, d.CILow, d.CIHigh = with.Value-without.Value, ci.Lo, ci.Hi
	return d
}

// Text says what the difference means, in DESIGN §6's words: competing
// with a competitor is associated with a rate, it does not cause it.
func (d Difference) Text(name string) string {
	if d.Insufficient {
		return fmt.Sprintf("Too few closed deals to compare deals with %s and without it (n=%d with, n=%d without): insufficient data.", name, d.NWith, d.NWithout)
	}
	dir := "higher"
	if d.Value < 0 {
		dir = "lower"
	}
	clear := "the interval excludes no difference"
	if d.CILow <= 0 && d.CIHigh >= 0 {
		clear = "the interval includes no difference"
	}
	return fmt.Sprintf("Deals where %s competed are associated with a win rate %.1f pp %s than closed deals without it (95%% interval %+.1f to %+.1f pp; n=%d with, n=%d without; %s). Association, not cause.",
		name, math.Abs(100*d.Value), dir, 100*d.CILow, 100*d.CIHigh, d.NWith, d.NWithout, clear)
}

// QuarterRate is the win rate of one calendar quarter ("2025-Q3"), by the
// deals' close dates.
type QuarterRate struct {
	Quarter string `json:"quarter"`
	Rate
}

// quarterIndex counts quarters from year 0, so consecutive quarters are
// consecutive numbers.
func quarterIndex(t time.Time) int {
	t = t.UTC()
	return t.Year()*4 + (int(t.Month())-1)/3
}

// quarterName names the quarter of an index as winloss.Quarter does
// ("2025-Q3"), so both reports key periods alike.
func quarterName(q int) string {
	return winloss.Quarter(time.Date(q/4, time.Month(q%4*3+1), 1, 0, 0, 0, 0, time.UTC))
}

// MaxTrend is the most quarters a trend lists: a stray close date decades
// off must not turn a page into thousands of empty quarters. The latest
// quarters are kept; the win rates themselves count every closed deal.
const MaxTrend = 40

// Overall is the win rate of every closed deal.
func Overall(deals []Deal, o Options) Rate {
	var won, lost int
	for _, d := range deals {
		switch d.Outcome {
		case "won":
			won++
		case "lost":
			lost++
		}
	}
	return WinRate(won, lost, o)
}

// CompetitorRates are the win-rate figures of one competitor.
type CompetitorRates struct {
	Competitor string `json:"competitor"`
	// Against is the win rate of closed deals where the competitor
	// competed; Without that of the other closed deals; Overall that of
	// every closed deal.
	Against    Rate          `json:"against"`
	Without    Rate          `json:"without"`
	Overall    Rate          `json:"overall"`
	Difference Difference    `json:"difference"`
	Trend      []QuarterRate `json:"trend"`
}

// WinRates computes the figures of every catalog competitor over deals
// (matched by name or alias). The trend runs from the first to the last
// quarter (UTC) in which the competitor has a closed deal with a close
// date, every quarter in between included (an empty one has n=0), and at
// most the last MaxTrend quarters.
func WinRates(catalog []tandem.Competitor, deals []Deal, o Options) map[string]CompetitorRates {
	o = o.WithDefaults()
	m := NewMatcher(catalog)
	type counts struct{ won, lost int }
	var all counts
	with := map[string]*counts{}
	byQuarter := map[string]map[int]*counts{}
	for _, c := range catalog {
		with[c.ID] = &counts{}
		byQuarter[c.ID] = map[int]*counts{}
	}
	for _, d := range deals {
		if !d.decided() {
			continue
		}
		won := d.Outcome == "won"
		inc := func(c *counts) {
			if won {
				c.won++
			} else {
				c.lost++
			}
		}
		inc(&all)
		for _, id := range m.MatchAll(d.Competitors) {
			inc(with[id])
			if !d.Closed.IsZero() {
				q := quarterIndex(d.Closed)
				if byQuarter[id][q] == nil {
					byQuarter[id][q] = &counts{}
				}
				inc(byQuarter[id][q])
			}
		}
	}
	overall := WinRate(all.won, all.lost, o)
	out := map[string]CompetitorRates{}
	for _, c := range catalog {
		w := with[c.ID]
		cr := CompetitorRates{Competitor: c.ID, Against: WinRate(w.won, w.lost, o), Without: WinRate(all.won-w.won, all.lost-w.lost, o), Overall: overall, Trend: []QuarterRate{}}
		cr.Difference = Diff(cr.Against, cr.Without, o)
		first, last := math.MaxInt, math.MinInt
		for q := range byQuarter[c.ID] {
			first, last = min(first, q), max(last, q)
		}
		if first != math.MaxInt {
			first = max(first, last-MaxTrend+1)
		}
		for q := first; q <= last && first != math.MaxInt; q++ {
			qc := byQuarter[c.ID][q]
			if qc == nil {
				qc = &counts{}
			}
			cr.Trend = append(cr.Trend, QuarterRate{Quarter: quarterName(q), Rate: WinRate(qc.won, qc.lost, o)})
		}
		out[c.ID] = cr
	}
	return out
}
