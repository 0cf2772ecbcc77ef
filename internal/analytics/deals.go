package analytics

import (
	"context"
	"fmt"
	"math"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/stats"
)

// Definitions shared by the deal reports; the glossary of the web app shows
// the same words.
const (
	defWinRate = "won / (won + lost) over deals closed in the period as of the report date; open deals are not losses and are counted apart"
	defCycle   = "days from the deal's created date (or its first stage entry) to its close date; open deals are censored at the report date (Kaplan–Meier)"
	defPeriod  = "--from/--to select closed deals by close date and open deals by created date"
	defWilson  = "Wilson score 95%"
	defDealAmt = "amount of won deals closed in the period; intervals are seeded percentile bootstraps"
)

// dealSet is the deals of a report run after --where and the report date:
// deals created after the report date do not exist yet.
type dealSet struct {
	*deals
	rows  []int
	start []int // start day per deal row (created or first stage entry); -1<<31 when unknown
	hasSt []bool
}

func (r *run) dealSet(ctx context.Context) (*dealSet, error) {
	t, err := r.deals(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := r.filter(ctx, t.table, allRows(len(t.recs)), r.p.Where)
	if err != nil {
		return nil, err
	}
	ds := &dealSet{deals: t, start: make([]int, len(t.recs)), hasSt: make([]bool, len(t.recs))}
	needStages := false
	for _, row := range rows {
		if d, ok := t.day(row, t.created); ok {
			ds.start[row], ds.hasSt[row] = d, true
		} else {
			needStages = true
		}
	}
	if needStages {
		if err := r.firstStageEntry(ctx, ds); err != nil {
			return nil, err
		}
	}
	kept := rows[:0:0]
	for _, row := range rows {
		if ds.hasSt[row] && ds.start[row] > r.asOf {
			continue
		}
		kept = append(kept, row)
	}
	ds.rows = kept
	return ds, nil
}

// groupedDeals is the run's deal set split into the groups of by.
func (r *run) groupedDeals(ctx context.Context, by []string) (*dealSet, *grouping, error) {
	ds, err := r.dealSet(ctx)
	if err != nil {
		return nil, nil, err
	}
	g, err := r.group(ctx, ds.table, ds.rows, by)
	if err != nil {
		return nil, nil, err
	}
	return ds, g, nil
}

// firstStageEntry fills the start of deals without a created date from
// their stage history.
func (r *run) firstStageEntry(ctx context.Context, ds *dealSet) error {
	st, err := r.table(ctx, "deal_stages")
	if err != nil {
		return err
	}
	dc, ec := st.ci("deal_id"), st.ci("entered_at")
	for i := range st.recs {
		row, ok := ds.index[st.str(i, dc)]
		if !ok || ds.hasCreated(row) {
			continue
		}
		if d, ok := st.day(i, ec); ok && (!ds.hasSt[row] || d < ds.start[row]) {
			ds.start[row], ds.hasSt[row] = d, true
		}
	}
	return nil
}

func (ds *dealSet) hasCreated(row int) bool {
	_, ok := ds.day(row, ds.created)
	return ok
}

// closedInPeriod says whether a deal counts in the period: closed deals by
// close date, open ones by start date.
func (r *run) dealInPeriod(ds *dealSet, row int, o outcome) bool {
	if o == outOpen {
		d, ok := ds.start[row], ds.hasSt[row]
		return r.inPeriod(d, ok)
	}
	d, ok := ds.day(row, ds.closed)
	return r.inPeriod(d, ok)
}

// duration is the deal's cycle as of the report date: days to close (event)
// or days open so far (censored). ok is false when the start is unknown or
// the dates are inverted.
func (r *run) duration(ds *dealSet, row int, o outcome) (days float64, event, ok bool) {
	if !ds.hasSt[row] {
		return 0, false, false
	}
	end := r.asOf
	if o != outOpen {
		c, has := ds.day(row, ds.closed)
		if !has {
			return 0, false, false
		}
		end, event = c, true
	}
	if end < ds.start[row] {
		return 0, false, false
	}
	return float64(end - ds.start[row]), event, true
}

// tally is the closed-deal counts of a group.
type tally struct{ won, lost, open int }

func (r *run) tally(ds *dealSet, rows []int) tally {
	var t tally
	for _, row := range rows {
		o := ds.outcomeAt(row, r.asOf)
		if !r.dealInPeriod(ds, row, o) {
			continue
		}
		switch o {
		case outWon:
			t.won++
		case outLost:
			t.lost++
		default:
			t.open++
		}
	}
	return t
}

func count(n int) tandem.Estimate {
	e := tandem.NewEstimate(n, float64(n), math.NaN(), math.NaN())
	e.Note = "count"
	return e
}

func winRate(ctx context.Context, r *run) (*tandem.Report, error) {
	ds, g, err := r.groupedDeals(ctx, r.p.By)
	if err != nil {
		return nil, err
	}
	rep := &tandem.Report{Title: "Win rate", Value: "win rate", Unit: "proportion", KeyFields: r.p.By,
		Metrics:     []tandem.MetricInfo{{Name: "won", Label: "won", Unit: "count"}, {Name: "lost", Label: "lost", Unit: "count"}, {Name: "open", Label: "open (not losses)", Unit: "count"}},
		Definitions: map[string]string{"win rate": defWinRate, "interval": defWilson, "period": defPeriod}}
	for i := range g.keys {
		t := r.tally(ds, g.rows[i])
		rep.Groups = append(rep.Groups, tandem.Group{Key: g.keyMap(i), Estimate: r.proportion(t.won, t.won+t.lost),
			Metrics: map[string]tandem.Estimate{"won": count(t.won), "lost": count(t.lost), "open": count(t.open)}})
	}
	return rep, nil
}

// survival builds the Kaplan–Meier curve of deal cycles over rows: closed
// deals (of the given outcome, or any when want is outOpen) are events,
// open deals censored at the report date (only when want is outOpen).
func (r *run) survival(ds *dealSet, rows []int, want outcome) (stats.Survival, int) {
	var times []float64
	var events []bool
	skipped := 0
	for _, row := range rows {
		o := ds.outcomeAt(row, r.asOf)
		if want != outOpen && o != want {
			continue
		}
		if !r.dealInPeriod(ds, row, o) {
			continue
		}
		d, ev, ok := r.duration(ds, row, o)
		if !ok {
			skipped++
			continue
		}
		times = append(times, d)
		events = append(events, ev)
	}
	return stats.KaplanMeier(times, events), skipped
}

func cycle(ctx context.Context, r *run) (*tandem.Report, error) {
	ds, g, err := r.groupedDeals(ctx, r.p.By)
	if err != nil {
		return nil, err
	}
	rep := &tandem.Report{Title: "Sales cycle", Value: "median days to close", Unit: "days", KeyFields: r.p.By,
		Metrics: []tandem.MetricInfo{{Name: "won", Label: "median days, won deals", Unit: "days"}, {Name: "lost", Label: "median days, lost deals", Unit: "days"},
			{Name: "open", Label: "open deals (censored)", Unit: "count"}},
		Definitions: map[string]string{"cycle": defCycle, "median": "Kaplan–Meier median; 95% interval from the log-transformed Greenwood band (as R survfit)",
			"won/lost": "medians over the closed deals of that outcome (every one an event)", "period": defPeriod}}
	skipped := 0
	for i := range g.keys {
		all, sk := r.survival(ds, g.rows[i], outOpen)
		won, _ := r.survival(ds, g.rows[i], outWon)
		lost, _ := r.survival(ds, g.rows[i], outLost)
		skipped += sk
		grp := tandem.Group{Key: g.keyMap(i), Estimate: r.median(all), Metrics: map[string]tandem.Estimate{
			"won": r.median(won), "lost": r.median(lost), "open": count(all.N - all.NEvents)}}
		rep.Groups = append(rep.Groups, grp)
	}
	if skipped > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d deals left out: no created date or stage history, or closed before created", skipped))
	}
	return rep, nil
}

// wonAmounts lists the amounts of won deals closed in the period.
func (r *run) wonAmounts(ds *dealSet, rows []int) (amounts []float64, missing int) {
	for _, row := range rows {
		o := ds.outcomeAt(row, r.asOf)
		if o != outWon || !r.dealInPeriod(ds, row, o) {
			continue
		}
		a := ds.num(row, ds.amount)
		if math.IsNaN(a) {
			missing++
			continue
		}
		amounts = append(amounts, a)
	}
	return amounts, missing
}

func dealSize(ctx context.Context, r *run) (*tandem.Report, error) {
	ds, g, err := r.groupedDeals(ctx, r.p.By)
	if err != nil {
		return nil, err
	}
	rep := &tandem.Report{Title: "Deal size", Value: "median won amount", Unit: "money", KeyFields: r.p.By,
		Metrics: []tandem.MetricInfo{{Name: "mean", Label: "mean won amount", Unit: "money"}, {Name: "total", Label: "won revenue", Unit: "money"}},
		Definitions: map[string]string{"deal size": defDealAmt, "resamples": fmt.Sprintf("%d resamples, seed %d", r.p.Resamples, r.p.Seed),
			"won revenue": "sum of won amounts; exact, so its interval is the value itself", "period": defPeriod}}
	missing := 0
	for i := range g.keys {
		amounts, m := r.wonAmounts(ds, g.rows[i])
		missing += m
		rep.Groups = append(rep.Groups, r.moneyGroup(g.keyMap(i), amounts))
	}
	if missing > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d won deals without an amount left out", missing))
	}
	return rep, nil
}

// moneyGroup is the median (headline), mean and total of amounts.
func (r *run) moneyGroup(key map[string]string, amounts []float64) tandem.Group {
	b := stats.BootstrapMeanMedian(amounts, r.p.Resamples, r.p.Seed, stats.Conf95)
	med := tandem.NewEstimate(len(amounts), b.Median, b.MedianCI.Lo, b.MedianCI.Hi)
	mean := tandem.NewEstimate(len(amounts), b.Mean, b.MeanCI.Lo, b.MeanCI.Hi)
	total := 0.0
	for _, a := range amounts {
		total += a
	}
	tot := tandem.NewEstimate(len(amounts), total, total, total)
	r.sufficient(&med)
	r.sufficient(&mean)
	return tandem.Group{Key: key, Estimate: med, Metrics: map[string]tandem.Estimate{"mean": mean, "total": tot}}
}

func reps(ctx context.Context, r *run) (*tandem.Report, error) {
	return r.sales(ctx, "Reps", append([]string{"rep.name"}, r.p.By...))
}

func teams(ctx context.Context, r *run) (*tandem.Report, error) {
	by := r.p.By
	if len(by) == 0 {
		by = []string{"rep.team"}
	}
	return r.sales(ctx, "Teams", by)
}

// sales is the leaderboard of reps or teams: won revenue (the ranking), win
// rate, median cycle of won deals and deal count. Groups whose closed deals
// are below the minimum sample are flagged and never ranked.
func (r *run) sales(ctx context.Context, title string, by []string) (*tandem.Report, error) {
	ds, g, err := r.groupedDeals(ctx, by)
	if err != nil {
		return nil, err
	}
	rep := &tandem.Report{Title: title, Value: "won revenue", Unit: "money", KeyFields: by,
		Metrics: []tandem.MetricInfo{{Name: "win_rate", Label: "win rate", Unit: "proportion"}, {Name: "cycle", Label: "median days to win", Unit: "days"},
			{Name: "deals", Label: "closed deals", Unit: "count"}, {Name: "open", Label: "open deals", Unit: "count"}},
		Definitions: map[string]string{"won revenue": "sum of won amounts in the period, with a seeded bootstrap interval of the sum",
			"win rate": defWinRate, "cycle": "Kaplan–Meier median days from created to close over won deals",
			"ranking": "by won revenue; groups with fewer closed deals than the minimum sample are not ranked", "period": defPeriod}}
	for i := range g.keys {
		rows := g.rows[i]
		t := r.tally(ds, rows)
		amounts, _ := r.wonAmounts(ds, rows)
		b := stats.BootstrapMeanMedian(amounts, r.p.Resamples, r.p.Seed, stats.Conf95)
		n := float64(len(amounts))
		rev := tandem.NewEstimate(t.won+t.lost, b.Mean*n, b.MeanCI.Lo*n, b.MeanCI.Hi*n)
		if len(amounts) == 0 {
			rev.Value, rev.CILow, rev.CIHigh = 0, 0, 0
		}
		r.sufficient(&rev)
		won, _ := r.survival(ds, rows, outWon)
		rep.Groups = append(rep.Groups, tandem.Group{Key: g.keyMap(i), Estimate: rev, Metrics: map[string]tandem.Estimate{
			"win_rate": r.proportion(t.won, t.won+t.lost), "cycle": r.median(won), "deals": count(t.won + t.lost), "open": count(t.open)}})
	}
	rank(rep.Groups, false)
	byRank(rep.Groups)
	return rep, nil
}
