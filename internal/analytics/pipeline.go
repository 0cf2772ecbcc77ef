package analytics

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/stats"
)

// Definitions of the pipeline reports (funnel and stages).
const (
	defLeadToWon    = "leads won / leads: a lead is won when any of its deals (deals whose lead_id is the lead) is won as of the report date; leads still in progress count as not won yet, so recent periods read low"
	defQualified    = "a lead is qualified when its qualified_at is on or before the report date, or when it has a deal: a deal implies qualification"
	defLeadDeal     = "a lead has a deal when a deal created on or before the report date names it in lead_id"
	defFunnelWon    = "won / (won + lost) over leads with a deal: won when any of its deals is won, lost when all of them are lost; leads whose deals are still open are not losses and are counted apart (open), so the step rates do not multiply to lead → won"
	defStepDays     = "median days over the leads that reached both steps, every one an event (Kaplan–Meier without censoring, which is the sample median): leads that have not converted are left out rather than censored, because most never do; intervals from the log-transformed Greenwood band (as R survfit)"
	defDaysQualify  = "days from the lead's created date to its qualified_at; leads qualified only through a deal have no date and are left out"
	defDaysDeal     = "days from the lead's created date to the start (created date, or first stage entry) of its first deal"
	defDaysWin      = "days from the start (created date, or first stage entry) of the lead's first won deal to its close date"
	defFunnelPeriod = "--from/--to select leads by created date; leads created after the report date are left out; their deals count whenever created up to the report date"
	defFunnelFields = "--by and --where apply to the lead's fields (source, segment, status, account.<column>, rep.<column>, attr.<name>, quarter); the default --by is source"

	defStageOrder   = "stages in the order of the median position of their first entry in the deals' stage histories (ties by name)"
	defClosingStage = "stages named Closed…, Won… or Lost… (Closed Won, closedlost) are outcomes, not pipeline stages: they are left out of the order and the deal's outcome decides won or lost"
	defStageWon     = "won / (won + lost) among deals that entered the stage, as of the report date; open deals are not losses and are counted apart (open)"
	defStageNext    = "deals that, after entering the stage, entered any later stage in the order or were won / (those + deals lost without moving on); deals still open in the stage (or back in an earlier one) are left out"
	defStageDays    = "days from entering the stage to the deal's next stage entry (or its close date), summed over repeated visits; open deals still in the stage are censored at the report date (Kaplan–Meier median, 95% interval from the log-transformed Greenwood band)"
	defStagePeriod  = "--from/--to select, per stage, the deals that first entered it in the period; stage entries after the report date are ignored"
	defStageFields  = "--by and --where apply to the deal's fields; each group is split by stage"
)

// allDeals is every deal that exists at the report date (created on or
// before it, or undated), whatever --where says: the funnel filters leads,
// not deals.
func (r *run) allDeals(ctx context.Context) (*dealSet, error) {
	all := *r
	all.p.Where = nil
	return all.dealSet(ctx)
}

// funnelLead is one lead's way through the funnel as of the report date.
type funnelLead struct {
	qualified, viaDeal, hasDeal bool
	result                      outcome // of its deals: won if any, open if any open, else lost
	// Days between steps; -1 when the step was not reached or the dates
	// are unknown or out of order.
	toQualify, toDeal, toWin int
}

// funnelTally is the funnel counts and step durations of a group.
type funnelTally struct {
	leads, qualified, deals, won, lost, open int
	toQualify, toDeal, toWin                 []float64
}

func (ft *funnelTally) add(l funnelLead) {
	ft.leads++
	if l.qualified {
		ft.qualified++
	}
	if l.hasDeal {
		ft.deals++
		switch l.result {
		case outWon:
			ft.won++
		case outLost:
			ft.lost++
		default:
			ft.open++
		}
	}
	for _, s := range []struct {
		days int
		to   *[]float64
	}{{l.toQualify, &ft.toQualify}, {l.toDeal, &ft.toDeal}, {l.toWin, &ft.toWin}} {
		if s.days >= 0 {
			*s.to = append(*s.to, float64(s.days))
		}
	}
}

// allEvents is the Kaplan–Meier curve of durations that all ended.
func allEvents(days []float64) stats.Survival {
	ev := make([]bool, len(days))
	for i := range ev {
		ev[i] = true
	}
	return stats.KaplanMeier(days, ev)
}

// funnel follows leads to qualification, a deal and a win, per lead source
// (or any lead field). Leads are the cohort: --from/--to select them by
// created date and their later steps count up to the report date. A store
// without leads falls back to deal → won by the deals' source.
func funnel(ctx context.Context, r *run) (*tandem.Report, error) {
	lt, err := r.table(ctx, "leads")
	if err != nil {
		return nil, err
	}
	by := r.p.By
	if len(by) == 0 {
		by = []string{"source"}
	}
	rep := &tandem.Report{Title: "Funnel", Value: "lead-to-won conversion", Unit: "proportion", KeyFields: by,
		Metrics: []tandem.MetricInfo{
			{Name: "leads", Label: "leads", Unit: "count"},
			{Name: "qualified", Label: "qualified", Unit: "count"},
			{Name: "lead_to_qualified", Label: "lead → qualified", Unit: "proportion"},
			{Name: "deals", Label: "leads with a deal", Unit: "count"},
			{Name: "qualified_to_deal", Label: "qualified → deal", Unit: "proportion"},
			{Name: "won", Label: "won", Unit: "count"},
			{Name: "deal_to_won", Label: "deal → won (closed only)", Unit: "proportion"},
			{Name: "open", Label: "deal still open (not a loss)", Unit: "count"},
			{Name: "days_to_qualify", Label: "median days lead → qualified", Unit: "days"},
			{Name: "days_to_deal", Label: "median days lead → deal", Unit: "days"},
			{Name: "days_to_win", Label: "median days deal → won", Unit: "days"},
		},
		Definitions: map[string]string{"lead-to-won conversion": defLeadToWon, "qualified": defQualified, "deal": defLeadDeal,
			"lead → qualified": "qualified leads / leads", "qualified → deal": "leads with a deal / qualified leads",
			"deal → won": defFunnelWon, "interval": defWilson, "median days": defStepDays,
			"days to qualify": defDaysQualify, "days to deal": defDaysDeal, "days to win": defDaysWin,
			"period": defFunnelPeriod, "fields": defFunnelFields}}
	if len(lt.recs) == 0 {
		return r.dealFunnel(ctx, rep)
	}
	ds, err := r.allDeals(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := r.filter(ctx, lt, allRows(len(lt.recs)), r.p.Where)
	if err != nil {
		return nil, err
	}
	created := lt.ci("created")
	kept := rows[:0:0]
	for _, row := range rows {
		d, ok := lt.day(row, created)
		if ok && d > r.asOf || !r.inPeriod(d, ok) {
			continue
		}
		kept = append(kept, row)
	}
	g, err := r.group(ctx, lt, kept, by)
	if err != nil {
		return nil, err
	}
	dealsOf := map[string][]int{}
	noLead, noLeadNew, unknownLead := 0, 0, 0
	for _, row := range ds.rows {
		id := ds.str(row, ds.lead)
		switch _, known := lt.index[id]; {
		case id == "":
			noLead++
			if typ := ds.str(row, ds.typ); typ == "" || typ == "new" {
				noLeadNew++
			}
		case !known:
			unknownLead++
		default:
			dealsOf[id] = append(dealsOf[id], row)
		}
	}
	paths := make(map[int]funnelLead, len(kept))
	viaDeal, skipped := 0, 0
	for _, row := range kept {
		l, sk := r.funnelLead(lt, ds, row, dealsOf[lt.recs[row].ID()])
		paths[row] = l
		skipped += sk
		if l.viaDeal {
			viaDeal++
		}
	}
	for i := range g.keys {
		var ft funnelTally
		for _, row := range g.rows[i] {
			ft.add(paths[row])
		}
		rep.Groups = append(rep.Groups, tandem.Group{Key: g.keyMap(i), Estimate: r.proportion(ft.won, ft.leads), Metrics: map[string]tandem.Estimate{
			"leads": count(ft.leads), "qualified": count(ft.qualified), "deals": count(ft.deals), "won": count(ft.won), "open": count(ft.open),
			"lead_to_qualified": r.proportion(ft.qualified, ft.leads), "qualified_to_deal": r.proportion(ft.deals, ft.qualified),
			"deal_to_won":     r.proportion(ft.won, ft.won+ft.lost),
			"days_to_qualify": r.median(allEvents(ft.toQualify)), "days_to_deal": r.median(allEvents(ft.toDeal)), "days_to_win": r.median(allEvents(ft.toWin))}})
	}
	if viaDeal > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d leads counted as qualified because they have a deal, without a qualified_at on or before the report date", viaDeal))
	}
	if skipped > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d step durations left out: a date is missing or earlier than the step before", skipped))
	}
	if noLead+unknownLead > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d deals are outside the funnel: %d without a lead_id (%d of them new business, the rest expansions and renewals), %d naming a lead not in the store",
			noLead+unknownLead, noLead, noLeadNew, unknownLead))
	}
	return rep, nil
}

// funnelLead follows one lead through its deals (dealRows); skipped counts
// the steps it reached whose duration is unknown.
func (r *run) funnelLead(lt *table, ds *dealSet, row int, dealRows []int) (l funnelLead, skipped int) {
	l = funnelLead{toQualify: -1, toDeal: -1, toWin: -1}
	created, hasCreated := lt.day(row, lt.ci("created"))
	// span is the days from a to b, or -1 (and one more skipped) when
	// either is unknown or b is before a.
	span := func(a int, okA bool, b int, okB bool) int {
		if !okA || !okB || b < a {
			skipped++
			return -1
		}
		return b - a
	}
	if q, ok := lt.day(row, lt.ci("qualified_at")); ok && q <= r.asOf {
		l.qualified = true
		l.toQualify = span(created, hasCreated, q, true)
	}
	if len(dealRows) == 0 {
		return l, skipped
	}
	l.hasDeal = true
	if !l.qualified {
		l.qualified, l.viaDeal = true, true
	}
	l.result = outLost
	firstStart, hasStart := 0, false
	winRow, winClose, hasWin := -1, 0, false
	for _, d := range dealRows {
		if ds.hasSt[d] && (!hasStart || ds.start[d] < firstStart) {
			firstStart, hasStart = ds.start[d], true
		}
		switch ds.outcomeAt(d, r.asOf) {
		case outWon:
			l.result = outWon
			c, ok := ds.day(d, ds.closed)
			if winRow < 0 || ok && (!hasWin || c < winClose) {
				winRow, winClose, hasWin = d, c, ok
			}
		case outOpen:
			if l.result == outLost {
				l.result = outOpen
			}
		}
	}
	l.toDeal = span(created, hasCreated, firstStart, hasStart)
	if winRow >= 0 {
		l.toWin = span(ds.start[winRow], ds.hasSt[winRow], winClose, hasWin)
	}
	return l, skipped
}

// dealFunnel is the funnel of a store without leads: deals → won by the
// deal's source (or --by on deals), deals selected by start date.
func (r *run) dealFunnel(ctx context.Context, rep *tandem.Report) (*tandem.Report, error) {
	ds, err := r.dealSet(ctx)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(allRows(len(ds.recs)), func(row int) bool { return ds.str(row, ds.source) != "" }) {
		rep.Notes = append(rep.Notes, "no leads in the store, and no deal has a source: import leads (id, created, source, qualified_at) to see the funnel")
		return rep, nil
	}
	rep.Value = "deal-to-won conversion"
	rep.Metrics = []tandem.MetricInfo{
		{Name: "deals", Label: "deals", Unit: "count"},
		{Name: "won", Label: "won", Unit: "count"},
		{Name: "lost", Label: "lost", Unit: "count"},
		{Name: "open", Label: "open (not losses)", Unit: "count"},
		{Name: "days_to_win", Label: "median days deal → won", Unit: "days"},
	}
	rep.Definitions = map[string]string{
		"deal-to-won conversion": "won / (won + lost) over the deals created in the period, as of the report date; open deals are not losses and are counted apart",
		"interval":               defWilson,
		"days to win":            "days from the won deal's created date (or first stage entry) to its close date; median over won deals, every one an event (Kaplan–Meier without censoring), 95% interval from the log-transformed Greenwood band",
		"period":                 "--from/--to select deals by created date (or first stage entry); deals created after the report date are left out",
		"fields":                 "without leads, --by and --where apply to the deal's fields; the default --by is the deal's source",
	}
	rep.Notes = append(rep.Notes, "no leads in the store: showing deal → won by the deal's source; import leads (id, created, source, qualified_at) and deals' lead_id for the full funnel")
	var rows []int
	for _, row := range ds.rows {
		if r.inPeriod(ds.start[row], ds.hasSt[row]) {
			rows = append(rows, row)
		}
	}
	g, err := r.group(ctx, ds.table, rows, rep.KeyFields)
	if err != nil {
		return nil, err
	}
	skipped := 0
	for i := range g.keys {
		var t tally
		var toWin []float64
		for _, row := range g.rows[i] {
			switch o := ds.outcomeAt(row, r.asOf); o {
			case outWon:
				t.won++
				d, ev, ok := r.duration(ds, row, o)
				if ok && ev {
					toWin = append(toWin, d)
				} else {
					skipped++
				}
			case outLost:
				t.lost++
			default:
				t.open++
			}
		}
		rep.Groups = append(rep.Groups, tandem.Group{Key: g.keyMap(i), Estimate: r.proportion(t.won, t.won+t.lost), Metrics: map[string]tandem.Estimate{
			"deals": count(t.won + t.lost + t.open), "won": count(t.won), "lost": count(t.lost), "open": count(t.open),
			"days_to_win": r.median(allEvents(toWin))}})
	}
	if skipped > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d won deals left out of days to win: no created date or stage history, no close date, or closed before created", skipped))
	}
	return rep, nil
}

// closingStage says whether a stage name is an outcome rather than a
// pipeline stage: Closed Won, Closed Lost, closedwon, Won, Lost - no budget.
func closingStage(name string) bool {
	n := tandem.NormalizeName(name)
	return strings.HasPrefix(n, "closed") || strings.HasPrefix(n, "won") || strings.HasPrefix(n, "lost")
}

// stageEntry is one entry of a deal into a stage.
type stageEntry struct {
	stage string
	at    time.Time
	day   int
}

// stageTally is the figures of one stage within a group.
type stageTally struct {
	entered, advanced, stalled, won, lost, open int
	days                                        []float64
	ended                                       []bool
}

// stages reports conversion and time per pipeline stage from the stage
// history (deal_stages); a store without history gets the deals per
// current stage and their win rate instead.
func stages(ctx context.Context, r *run) (*tandem.Report, error) {
	st, err := r.table(ctx, "deal_stages")
	if err != nil {
		return nil, err
	}
	ds, err := r.dealSet(ctx)
	if err != nil {
		return nil, err
	}
	var by []string
	var notes []string
	for _, b := range r.p.By {
		if b == "stage" {
			notes = append(notes, "--by stage left out: the report is per stage already")
			continue
		}
		by = append(by, b)
	}
	if len(st.recs) == 0 {
		return r.currentStages(ctx, ds, by, notes)
	}
	rep := &tandem.Report{Title: "Stages", Value: "conversion to won", Unit: "proportion", KeyFields: append(slices.Clone(by), "stage"),
		Metrics: []tandem.MetricInfo{
			{Name: "entered", Label: "deals that entered", Unit: "count"},
			{Name: "next", Label: "conversion to next stage", Unit: "proportion"},
			{Name: "won", Label: "won", Unit: "count"},
			{Name: "lost", Label: "lost", Unit: "count"},
			{Name: "open", Label: "open (not losses)", Unit: "count"},
			{Name: "days", Label: "median days in stage", Unit: "days"},
		},
		Definitions: map[string]string{"conversion to won": defStageWon, "conversion to next stage": defStageNext, "days in stage": defStageDays,
			"stage order": defStageOrder, "closing stages": defClosingStage, "interval": defWilson,
			"period": defStagePeriod, "fields": defStageFields},
		Notes: notes}

	// Each deal's history up to the report date, in time order (ties by
	// stage name, so that both databases read the same order).
	dc, sc, ec := st.ci("deal_id"), st.ci("stage"), st.ci("entered_at")
	inSet := make([]bool, len(ds.recs))
	for _, row := range ds.rows {
		inSet[row] = true
	}
	hist := map[int][]stageEntry{}
	orphans := 0
	for i := range st.recs {
		row, ok := ds.index[st.str(i, dc)]
		if !ok {
			orphans++
			continue
		}
		at, ok := st.recs[i].Values[ec].(time.Time)
		if !inSet[row] || !ok || dayOf(at) > r.asOf {
			continue
		}
		hist[row] = append(hist[row], stageEntry{stage: st.str(i, sc), at: at, day: dayOf(at)})
	}
	var rows []int
	for _, row := range ds.rows {
		h := hist[row]
		if len(h) == 0 {
			continue
		}
		slices.SortFunc(h, func(a, b stageEntry) int {
			return cmp.Or(a.at.Compare(b.at), strings.Compare(a.stage, b.stage))
		})
		rows = append(rows, row)
	}
	if n := len(ds.rows) - len(rows); n > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d deals without stage history up to the report date left out", n))
	}
	if orphans > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d stage entries of deals not in the store left out", orphans))
	}

	order, closing := stageOrder(rows, hist)
	if len(closing) > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("closing stages left out of the order (the outcome decides won or lost): %s", strings.Join(closing, ", ")))
	}
	pos := make(map[string]int, len(order))
	for i, s := range order {
		pos[s] = i
	}
	g, err := r.group(ctx, ds.table, rows, by)
	if err != nil {
		return nil, err
	}
	skipped := 0
	for i := range g.keys {
		tallies := make([]stageTally, len(order))
		for _, row := range g.rows[i] {
			skipped += r.stageDeal(ds, row, hist[row], pos, tallies)
		}
		for k, s := range order {
			t := tallies[k]
			if t.entered == 0 {
				continue
			}
			key := g.keyMap(i)
			key["stage"] = s
			rep.Groups = append(rep.Groups, tandem.Group{Key: key, Estimate: r.proportion(t.won, t.won+t.lost), Metrics: map[string]tandem.Estimate{
				"entered": count(t.entered), "next": r.proportion(t.advanced, t.advanced+t.stalled),
				"won": count(t.won), "lost": count(t.lost), "open": count(t.open),
				"days": r.median(stats.KaplanMeier(t.days, t.ended))}})
		}
	}
	if skipped > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d stage stays left out of days in stage: the deal closed without a close date, or before entering the stage", skipped))
	}
	return rep, nil
}

// stageOrder orders the pipeline stages by the median position of their
// first entry in the histories (ties by name), and lists the closing
// stages seen.
func stageOrder(rows []int, hist map[int][]stageEntry) (order, closing []string) {
	positions := map[string][]float64{}
	for _, row := range rows {
		seen := map[string]bool{}
		n := 0 // pipeline stages entered before this one
		for _, e := range hist[row] {
			if seen[e.stage] {
				continue
			}
			seen[e.stage] = true
			if closingStage(e.stage) {
				if !slices.Contains(closing, e.stage) {
					closing = append(closing, e.stage)
				}
				continue
			}
			positions[e.stage] = append(positions[e.stage], float64(n))
			n++
		}
	}
	med := make(map[string]float64, len(positions))
	for s, p := range positions {
		med[s] = stats.Median(p)
		order = append(order, s)
	}
	slices.SortFunc(order, func(a, b string) int { return cmp.Or(cmp.Compare(med[a], med[b]), strings.Compare(a, b)) })
	slices.Sort(closing)
	return order, closing
}

// stageDeal adds one deal's history to the tallies of its group; it
// returns the number of stage stays whose duration is unknown.
func (r *run) stageDeal(ds *dealSet, row int, h []stageEntry, pos map[string]int, tallies []stageTally) (skipped int) {
	o := ds.outcomeAt(row, r.asOf)
	closed, hasClosed := ds.day(row, ds.closed)
	type stay struct {
		first        int // index of the first entry
		days         int
		ended, valid bool
	}
	stays := map[string]*stay{}
	for i, e := range h {
		if _, ok := pos[e.stage]; !ok {
			continue
		}
		s, ok := stays[e.stage]
		if !ok {
			s = &stay{first: i, valid: true}
			stays[e.stage] = s
		}
		// The visit ends at the next entry, at the close, or is still
		// going at the report date.
		end, ended := r.asOf, false
		switch {
		case i+1 < len(h):
			end, ended = h[i+1].day, true
		case o != outOpen:
			end, ended = closed, true
			if !hasClosed {
				s.valid = false
			}
		}
		if end < e.day {
			s.valid = false
		}
		s.days += end - e.day
		s.ended = ended
	}
	for stage, s := range stays {
		k := pos[stage]
		if !r.inPeriod(h[s.first].day, true) {
			continue
		}
		t := &tallies[k]
		t.entered++
		switch o {
		case outWon:
			t.won++
		case outLost:
			t.lost++
		default:
			t.open++
		}
		advanced := o == outWon || slices.ContainsFunc(h[s.first+1:], func(e stageEntry) bool {
			p, ok := pos[e.stage]
			return ok && p > k
		})
		switch {
		case advanced:
			t.advanced++
		case o == outLost:
			t.stalled++
		}
		if !s.valid {
			skipped++
			continue
		}
		t.days = append(t.days, float64(s.days))
		t.ended = append(t.ended, s.ended)
	}
	return skipped
}

// currentStages is the stages report of a store without stage history:
// deals per current stage, with the win rate of those closed.
func (r *run) currentStages(ctx context.Context, ds *dealSet, by, notes []string) (*tandem.Report, error) {
	key := append(slices.Clone(by), "stage")
	rep := &tandem.Report{Title: "Stages", Value: "win rate of the stage's deals", Unit: "proportion", KeyFields: key,
		Metrics: []tandem.MetricInfo{
			{Name: "deals", Label: "deals now in the stage", Unit: "count"},
			{Name: "won", Label: "won", Unit: "count"},
			{Name: "lost", Label: "lost", Unit: "count"},
			{Name: "open", Label: "open (not losses)", Unit: "count"},
		},
		Definitions: map[string]string{"win rate of the stage's deals": "won / (won + lost) over the deals whose current stage is this one, as of the report date; open deals are not losses and are counted apart",
			"stage": "the deal's current stage (deals.stage)", "interval": defWilson, "period": defPeriod, "fields": defStageFields},
		Notes: append(notes, "no stage history in the store: showing deals by their current stage; conversion between stages and time in stage need the stage history (deal_stages: Salesforce OpportunityHistory, HubSpot hs_date_entered_<stage> columns)")}
	g, err := r.group(ctx, ds.table, ds.rows, key)
	if err != nil {
		return nil, err
	}
	for i := range g.keys {
		t := r.tally(ds, g.rows[i])
		if t.won+t.lost+t.open == 0 {
			continue
		}
		rep.Groups = append(rep.Groups, tandem.Group{Key: g.keyMap(i), Estimate: r.proportion(t.won, t.won+t.lost), Metrics: map[string]tandem.Estimate{
			"deals": count(t.won + t.lost + t.open), "won": count(t.won), "lost": count(t.lost), "open": count(t.open)}})
	}
	return rep, nil
}
