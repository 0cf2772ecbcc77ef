package analytics

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/stats"
)

// Definitions of the retention reports (churn, adoption, icp) beyond the
// shared ones in subs.go.
const (
	defSubPeriod     = "--from/--to select subscriptions by start date; subscriptions starting after the report date do not exist yet, and those without a start date count only when no period is set"
	defRetention     = "subscriptions not churned as of the report date / subscriptions started by then"
	defExpansionRate = "won expansion deals created in a subscription's first 365 days, per subscription at least 365 days old at the report date (mean per subscription); exact Poisson (Garwood) 95% interval of the rate"
	defAdoptionKey   = "number of distinct features adopted within the window, per subscription (--features limits which features count); with --anchor signup the window starts at the account's created date, so every subscription of an account gets the account's count"
	defReading       = "figures compare subscriptions that adopted more or fewer features, or a feature against not; a difference is associated with adoption, not proof that adoption causes it"
	defTimeToWin     = "days from the account's created date (its first deal's created date when created is missing) to the close of its first won deal; accounts without a win yet are censored at the report date (Kaplan–Meier); the lowest median buys fastest"
	defLTVDeals      = "sum of the amounts of the account's won deals closed by the report date (any type), per customer: an account with at least one won deal; accounts without a win count in accounts and time to first win only"
	defLTVSubs       = "the store has no won deals, so lifetime value is the sum over the account's subscriptions started by the report date of mrr × tenure months (to churn, or to the report date), per customer: an account with at least one subscription"
)

// adoptionKey is the key field of the adoption report's main groups.
const adoptionKey = "features_adopted"

// icpDefaultBy is what icp groups accounts by without --by.
var icpDefaultBy = []string{"industry"}

var churnMetrics = []tandem.MetricInfo{
	{Name: "churned", Label: "churned", Unit: "count"},
	{Name: "retained", Label: "retained", Unit: "count"},
	{Name: "tenure_churned_mean", Label: "mean tenure of churned, months", Unit: "months"},
	{Name: "tenure_churned_median", Label: "median tenure of churned, months", Unit: "months"},
	{Name: "tenure_retained_mean", Label: "mean tenure so far of retained, months", Unit: "months"},
	{Name: "tenure_retained_median", Label: "median tenure so far of retained, months", Unit: "months"},
}

// churn is churned / subscriptions per group as of the report date, with
// the tenure of churned and of retained subscriptions.
func churn(ctx context.Context, r *run) (*tandem.Report, error) {
	s, err := r.subSet(ctx)
	if err != nil {
		return nil, err
	}
	g, err := r.group(ctx, s.table, s.rows, r.p.By)
	if err != nil {
		return nil, err
	}
	rep := &tandem.Report{Title: "Churn", Value: "churn rate", Unit: "proportion", KeyFields: r.p.By, Metrics: churnMetrics,
		Definitions: map[string]string{"churn rate": defChurn, "interval": defWilson, "tenure": defTenure,
			"tenure intervals": fmt.Sprintf("mean and median months, seeded percentile bootstrap (%d resamples, seed %d)", r.p.Resamples, r.p.Seed),
			"period":           defSubPeriod}}
	for i := range g.keys {
		rows := g.rows[i]
		var churned, retained []float64
		k := 0
		for _, row := range rows {
			c := s.churned(row, r.asOf)
			m := s.tenureMonths(row, r.asOf)
			if c {
				k++
				if !math.IsNaN(m) {
					churned = append(churned, m)
				}
			} else if !math.IsNaN(m) {
				retained = append(retained, m)
			}
		}
		m := map[string]tandem.Estimate{"churned": count(k), "retained": count(len(rows) - k)}
		r.meanMedian(m, "tenure_churned", churned)
		r.meanMedian(m, "tenure_retained", retained)
		rep.Groups = append(rep.Groups, tandem.Group{Key: g.keyMap(i), Estimate: r.proportion(k, len(rows)), Metrics: m})
	}
	noTenure := 0
	for _, row := range s.rows {
		if math.IsNaN(s.tenureMonths(row, r.asOf)) {
			noTenure++
		}
	}
	if noTenure > 0 {
		rep.Notes = append(rep.Notes, fmt.Sprintf("%d subscriptions without a known tenure (no start, a churn without a date, or dates inverted) count in the churn rate but not in tenure", noTenure))
	}
	return rep, nil
}

// meanMedian adds the mean and median of x, with seeded bootstrap
// intervals, as the metrics prefix_mean and prefix_median.
func (r *run) meanMedian(m map[string]tandem.Estimate, prefix string, x []float64) {
	b := stats.BootstrapMeanMedian(x, r.p.Resamples, r.p.Seed, stats.Conf95)
	mean := tandem.NewEstimate(len(x), b.Mean, b.MeanCI.Lo, b.MeanCI.Hi)
	med := tandem.NewEstimate(len(x), b.Median, b.MedianCI.Lo, b.MedianCI.Hi)
	r.sufficient(&mean)
	r.sufficient(&med)
	m[prefix+"_mean"], m[prefix+"_median"] = mean, med
}

// retentionFigures are the per-subscription outcomes the adoption report
// aggregates over any set of subscription rows.
type retentionFigures struct {
	s        *subSet
	churned  []bool // by table row
	rn       *renewals
	ex       *expansions
	renewals bool // the store has closed renewal deals
	expand   bool // the store has expansion deals
}

func (r *run) retentionFigures(ctx context.Context, s *subSet) (*retentionFigures, error) {
	f := &retentionFigures{s: s, churned: make([]bool, len(s.recs))}
	for _, row := range s.rows {
		f.churned[row] = s.churned(row, r.asOf)
	}
	var err error
	if f.rn, err = r.renewals(ctx); err != nil {
		return nil, err
	}
	for _, n := range f.rn.closed {
		if n > 0 {
			f.renewals = true
			break
		}
	}
	if f.ex, err = r.expansions(ctx, s); err != nil {
		return nil, err
	}
	dt, err := r.deals(ctx)
	if err != nil {
		return nil, err
	}
	for row := range dt.recs {
		if dt.str(row, dt.typ) == "expansion" {
			f.expand = true
			break
		}
	}
	return f, nil
}

// churn counts the churned subscriptions among rows.
func (f *retentionFigures) churn(rows []int) int {
	k := 0
	for _, row := range rows {
		if f.churned[row] {
			k++
		}
	}
	return k
}

// renewal sums the closed and won renewal deals of the distinct accounts
// of rows: an account counts once however many of its subscriptions are in
// rows.
func (f *retentionFigures) renewal(rows []int) (won, closed int) {
	seen := map[string]bool{}
	for _, row := range rows {
		acct := f.s.str(row, f.s.account)
		if seen[acct] {
			continue
		}
		seen[acct] = true
		won += f.rn.won[acct]
		closed += f.rn.closed[acct]
	}
	return won, closed
}

// expansion sums the first-year won expansions and the eligible
// subscriptions among rows.
func (f *retentionFigures) expansion(rows []int) (events, eligible int) {
	for _, row := range rows {
		if f.ex.eligible[row] {
			eligible++
			events += f.ex.count[row]
		}
	}
	return events, eligible
}

// poissonRate is events per unit of exposure with the exact Poisson
// (Garwood 1936) interval, which stays valid with few or no events.
func (r *run) poissonRate(events, exposure int) tandem.Estimate {
	if exposure == 0 {
		e := tandem.NewEstimate(0, math.NaN(), math.NaN(), math.NaN())
		r.sufficient(&e)
		return e
	}
	iv := stats.Garwood(events, stats.Conf95)
	lo, hi := iv.Lo, iv.Hi
	n := float64(exposure)
	e := tandem.NewEstimate(exposure, float64(events)/n, lo/n, hi/n)
	e.Note = fmt.Sprintf("%d expansions over %d subscriptions", events, exposure)
	r.sufficient(&e)
	return e
}

// adoption is churn, renewal and expansion by the number of features
// adopted within the window, and a section comparing adopters of each
// feature with non-adopters.
func adoption(ctx context.Context, r *run) (*tandem.Report, error) {
	s, err := r.subSet(ctx)
	if err != nil {
		return nil, err
	}
	a, err := r.adoptions(ctx, s) // narrows s.rows to subscriptions whose window can be judged
	if err != nil {
		return nil, err
	}
	f, err := r.retentionFigures(ctx, s)
	if err != nil {
		return nil, err
	}
	by := slices.DeleteFunc(slices.Clone(r.p.By), func(b string) bool { return b == adoptionKey })
	g, err := r.group(ctx, s.table, s.rows, by)
	if err != nil {
		return nil, err
	}
	// Split every --by group by the number of features adopted.
	var keys [][]string
	var rows [][]int
	index := map[string]int{}
	for i := range g.keys {
		for _, row := range g.rows[i] {
			key := append([]string{strconv.Itoa(len(a.bySub[row]))}, g.keys[i]...)
			k := strings.Join(key, "\x00")
			j, ok := index[k]
			if !ok {
				j = len(keys)
				index[k] = j
				keys = append(keys, key)
				rows = append(rows, nil)
			}
			rows[j] = append(rows[j], row)
		}
	}
	order := allRows(len(keys))
	slices.SortFunc(order, func(x, y int) int { return compareKeys(keys[x], keys[y]) })
	keyFields := append([]string{adoptionKey}, by...)

	rep := &tandem.Report{Title: "Adoption and retention", Value: "churn rate", Unit: "proportion", KeyFields: keyFields,
		Definitions: map[string]string{adoptionKey: defAdoptionKey, "adoption": defAdopted, "churn rate": defChurn,
			"interval": defWilson, "reading": defReading, "period": defSubPeriod},
		Notes: r.windowNote(a)}
	rep.Metrics = append(rep.Metrics, tandem.MetricInfo{Name: "churned", Label: "churned", Unit: "count"})
	if f.renewals {
		rep.Metrics = append(rep.Metrics, tandem.MetricInfo{Name: "renewal", Label: "renewal rate", Unit: "proportion"})
		rep.Definitions["renewal"] = defRenewal + "; an account counts once per group, with all its renewal deals"
	} else {
		rep.Notes = append(rep.Notes, "no closed renewal deals in the store: renewal rates are left out")
	}
	if f.expand {
		rep.Metrics = append(rep.Metrics, tandem.MetricInfo{Name: "expansion", Label: "first-year expansions per subscription", Unit: "rate"})
		rep.Definitions["expansion"] = defExpansionRate
	} else {
		rep.Notes = append(rep.Notes, "no expansion deals in the store: expansion rates are left out")
	}
	for _, o := range order {
		key := map[string]string{}
		for j, name := range keyFields {
			key[name] = keys[o][j]
		}
		grp := tandem.Group{Key: key, Metrics: map[string]tandem.Estimate{}}
		r.retentionRow(f, rows[o], &grp)
		rep.Groups = append(rep.Groups, grp)
	}
	sec, err := r.byFeature(a, f)
	if err != nil {
		return nil, err
	}
	rep.Sections = append(rep.Sections, sec)
	rep.Definitions["by_feature"] = "for each feature: subscriptions that adopted it within the window against those that did not; churn difference (with − without) with the Newcombe hybrid score interval and the pooled two-proportion z-test p-value"
	rep.Definitions["q"] = "Benjamini–Hochberg q-values across all features with a p-value (below the minimum sample too, so that every test made counts), separately for the churn and the renewal differences; a finding survives when q < 0.05 with sufficient data"
	return rep, nil
}

// retentionRow fills a group's churn rate (headline), churned count,
// renewal and expansion rates over rows.
func (r *run) retentionRow(f *retentionFigures, rows []int, grp *tandem.Group) {
	k := f.churn(rows)
	grp.Estimate = r.proportion(k, len(rows))
	grp.Metrics["churned"] = count(k)
	if f.renewals {
		won, closed := f.renewal(rows)
		grp.Metrics["renewal"] = r.proportion(won, closed)
	}
	if f.expand {
		grp.Metrics["expansion"] = r.poissonRate(f.expansion(rows))
	}
}

// byFeature compares, for each feature, the subscriptions that adopted it
// within the window with those that did not.
func (r *run) byFeature(a *adoptionSet, f *retentionFigures) (tandem.Section, error) {
	sec := tandem.Section{Name: "by_feature", Title: "Churn with vs without each feature", Value: "churn difference (with − without)",
		Unit: "difference", KeyFields: []string{"feature"}, Groups: []tandem.Group{},
		Metrics: []tandem.MetricInfo{{Name: "churn_with", Label: "churn rate with", Unit: "proportion"},
			{Name: "churn_without", Label: "churn rate without", Unit: "proportion"}}}
	if f.renewals {
		sec.Metrics = append(sec.Metrics, tandem.MetricInfo{Name: "renewal_with", Label: "renewal rate with", Unit: "proportion"},
			tandem.MetricInfo{Name: "renewal_without", Label: "renewal rate without", Unit: "proportion"},
			tandem.MetricInfo{Name: "renewal_diff", Label: "renewal difference (with − without)", Unit: "difference"})
	}
	// The features compared: those --features names, or every feature
	// some subscription adopted.
	feats, err := r.featureSet(a.features)
	if err != nil {
		return sec, err
	}
	if feats == nil {
		feats = map[int]bool{}
		for _, row := range f.s.rows {
			for _, ft := range a.bySub[row] {
				feats[ft] = true
			}
		}
	}
	nc := a.features.ci("name")
	list := make([]int, 0, len(feats))
	for ft := range feats {
		list = append(list, ft)
	}
	slices.SortFunc(list, func(x, y int) int { return strings.Compare(a.features.str(x, nc), a.features.str(y, nc)) })

	var pChurn, pRenew []float64
	for _, ft := range list {
		var with, without []int
		for _, row := range f.s.rows {
			if _, ok := slices.BinarySearch(a.bySub[row], ft); ok {
				with = append(with, row)
			} else {
				without = append(without, row)
			}
		}
		m := map[string]tandem.Estimate{}
		k1, k0 := f.churn(with), f.churn(without)
		m["churn_with"] = r.proportion(k1, len(with))
		m["churn_without"] = r.proportion(k0, len(without))
		d := r.difference(k1, len(with), k0, len(without))
		switch pp := 100 * d.Value; {
		case math.IsNaN(pp):
		case math.Abs(pp) < 0.05:
			d.Note += "; adoption associated with no difference in churn"
		case pp < 0:
			d.Note += fmt.Sprintf("; adoption associated with %.1f pp lower churn", -pp)
		default:
			d.Note += fmt.Sprintf("; adoption associated with %.1f pp higher churn", pp)
		}
		pChurn = append(pChurn, d.P)
		if f.renewals {
			w1, c1 := f.renewal(with)
			w0, c0 := f.renewal(without)
			m["renewal_with"] = r.proportion(w1, c1)
			m["renewal_without"] = r.proportion(w0, c0)
			rd := r.difference(w1, c1, w0, c0)
			m["renewal_diff"] = rd
			pRenew = append(pRenew, rd.P)
		}
		sec.Groups = append(sec.Groups, tandem.Group{Key: map[string]string{"feature": a.features.str(ft, nc)}, Estimate: d, Metrics: m})
	}
	for i, q := range stats.BenjaminiHochberg(pChurn) {
		g := &sec.Groups[i]
		g.Q = q
		if q < 0.05 && !g.Insufficient {
			g.Note = "significant after Benjamini–Hochberg (q < 0.05); " + g.Note
		}
	}
	for i, q := range stats.BenjaminiHochberg(pRenew) {
		e := sec.Groups[i].Metrics["renewal_diff"]
		e.Q = q
		sec.Groups[i].Metrics["renewal_diff"] = e
	}
	// Lowest churn difference first: the strongest association with
	// retention; the order is by estimate, not a ranking of causes.
	slices.SortStableFunc(sec.Groups, func(x, y tandem.Group) int {
		vx, vy := x.Value, y.Value
		switch {
		case math.IsNaN(vx) && !math.IsNaN(vy):
			return 1
		case !math.IsNaN(vx) && math.IsNaN(vy):
			return -1
		case vx < vy:
			return -1
		case vx > vy:
			return 1
		}
		return 0
	})
	return sec, nil
}

// icpAccount is what icp knows of one account.
type icpAccount struct {
	start    int  // created, or its first deal's created
	hasStart bool // start is known
	won      bool // it has a won deal by the report date
	firstWin int  // close day of its first won deal
	winDated bool // firstWin is known (won deals may lack a close date)
	value    float64
	customer bool // counts in lifetime value
	subs     int  // subscriptions started by the report date
	retained int  // of which not churned
}

// icp groups accounts (default by industry) and shows, per group, time to
// first win, retention and lifetime value, ranked by mean lifetime value.
func icp(ctx context.Context, r *run) (*tandem.Report, error) {
	if len(r.p.By) == 0 {
		r.p.By = slices.Clone(icpDefaultBy)
	}
	at, err := r.table(ctx, "accounts")
	if err != nil {
		return nil, err
	}
	// Fields resolve on accounts; account.X, as other reports spell it,
	// means X here.
	where := make([]tandem.Condition, len(r.p.Where))
	for i, c := range r.p.Where {
		c.Field = strings.TrimPrefix(c.Field, "account.")
		where[i] = c
	}
	rows, err := r.filter(ctx, at, allRows(len(at.recs)), where)
	if err != nil {
		return nil, err
	}
	accts := make([]icpAccount, len(at.recs))
	cc := at.ci("created")
	for _, row := range rows {
		accts[row].start, accts[row].hasStart = at.day(row, cc)
	}
	var notes []string

	// Deals: first deal's created (for accounts without created), first
	// win, won amounts.
	dt, err := r.deals(ctx)
	if err != nil {
		return nil, err
	}
	anyWon, noAmount := false, 0
	for row := range dt.recs {
		j, ok := at.index[dt.str(row, dt.account)]
		if !ok {
			continue
		}
		acc := &accts[j]
		if _, hasCreated := at.day(j, cc); !hasCreated {
			if c, ok := dt.day(row, dt.created); ok && c <= r.asOf && (!acc.hasStart || c < acc.start) {
				acc.start, acc.hasStart = c, true
			}
		}
		if dt.outcomeAt(row, r.asOf) != outWon {
			continue
		}
		anyWon = true
		acc.won, acc.customer = true, true
		if c, ok := dt.day(row, dt.closed); ok && (!acc.winDated || c < acc.firstWin) {
			acc.firstWin, acc.winDated = c, true
		}
		if a := dt.num(row, dt.amount); math.IsNaN(a) {
			noAmount++
		} else {
			acc.value += a
		}
	}

	// Subscriptions: retention, and lifetime value without deals.
	saved, from, to := r.p.Where, r.from, r.to
	r.p.Where, r.from, r.to = nil, math.MinInt, math.MaxInt
	s, err := r.subSet(ctx)
	r.p.Where, r.from, r.to = saved, from, to
	if err != nil {
		return nil, err
	}
	noLTV, mrr := 0, s.ci("mrr")
	for _, row := range s.rows {
		j, ok := at.index[s.str(row, s.account)]
		if !ok {
			continue
		}
		acc := &accts[j]
		acc.subs++
		if !s.churned(row, r.asOf) {
			acc.retained++
		}
		if !anyWon {
			acc.customer = true
			v := s.num(row, mrr) * s.tenureMonths(row, r.asOf)
			if math.IsNaN(v) {
				noLTV++
			} else {
				acc.value += v
			}
		}
	}

	// Accounts exist from their start; --from/--to select them by it.
	kept := rows[:0:0]
	for _, row := range rows {
		acc := &accts[row]
		if acc.hasStart && acc.start > r.asOf || !r.inPeriod(acc.start, acc.hasStart) {
			continue
		}
		kept = append(kept, row)
	}
	fields := make([]string, len(r.p.By))
	for i, b := range r.p.By {
		fields[i] = strings.TrimPrefix(b, "account.")
	}
	g, err := r.group(ctx, at, kept, fields)
	if err != nil {
		return nil, err
	}
	g.fields = r.p.By

	rep := &tandem.Report{Title: "Ideal customer profile", Value: "mean lifetime value", Unit: "money", KeyFields: r.p.By,
		Definitions: map[string]string{
			"lifetime value": defLTVDeals, "interval": fmt.Sprintf("lifetime value: seeded percentile bootstrap (%d resamples, seed %d)", r.p.Resamples, r.p.Seed),
			"ranking": "by mean lifetime value; groups with fewer customers than the minimum sample are not ranked",
			"period":  "--from/--to select accounts by created date (their first deal's created date when missing); --where and --by apply to accounts"},
		Metrics: []tandem.MetricInfo{{Name: "ltv_median", Label: "median lifetime value", Unit: "money"},
			{Name: "customers", Label: "customers", Unit: "count"}, {Name: "accounts", Label: "accounts", Unit: "count"}}}
	if !anyWon {
		rep.Definitions["lifetime value"] = defLTVSubs
		notes = append(notes, "no won deals in the store: lifetime value is mrr × tenure months summed over each account's subscriptions")
		if noLTV > 0 {
			notes = append(notes, fmt.Sprintf("%d subscriptions without mrr or a known tenure left out of lifetime value", noLTV))
		}
	} else if noAmount > 0 {
		notes = append(notes, fmt.Sprintf("%d won deals without an amount add nothing to lifetime value", noAmount))
	}
	if anyWon {
		rep.Metrics = append(rep.Metrics, tandem.MetricInfo{Name: "time_to_win", Label: "median days to first win (buy fastest)", Unit: "days"})
		rep.Definitions["time to first win"] = defTimeToWin + "; median and 95% interval as R survfit"
	} else {
		notes = append(notes, "no won deals in the store: time to first win is left out")
	}
	if len(s.rows) > 0 {
		rep.Metrics = append(rep.Metrics, tandem.MetricInfo{Name: "retention", Label: "retention", Unit: "proportion"})
		rep.Definitions["retention"] = defRetention + " (every subscription of the group's accounts); Wilson score 95%"
	} else {
		notes = append(notes, "no subscriptions in the store: retention is left out")
	}

	noStart := 0
	for i := range g.keys {
		var values, times []float64
		var events []bool
		subs, retained, customers := 0, 0, 0
		for _, row := range g.rows[i] {
			acc := &accts[row]
			if acc.customer {
				customers++
				values = append(values, acc.value)
			}
			subs += acc.subs
			retained += acc.retained
			if !acc.hasStart || acc.won && !acc.winDated {
				noStart++
				continue
			}
			end, event := r.asOf, false
			if acc.won {
				end, event = acc.firstWin, true
			}
			if end < acc.start {
				noStart++
				continue
			}
			times = append(times, float64(end-acc.start))
			events = append(events, event)
		}
		b := stats.BootstrapMeanMedian(values, r.p.Resamples, r.p.Seed, stats.Conf95)
		mean := tandem.NewEstimate(len(values), b.Mean, b.MeanCI.Lo, b.MeanCI.Hi)
		med := tandem.NewEstimate(len(values), b.Median, b.MedianCI.Lo, b.MedianCI.Hi)
		r.sufficient(&mean)
		r.sufficient(&med)
		m := map[string]tandem.Estimate{"ltv_median": med, "customers": count(customers), "accounts": count(len(g.rows[i]))}
		if anyWon {
			e := r.median(stats.KaplanMeier(times, events))
			e.Note = strings.Replace(e.Note, "fewer than half closed", "fewer than half have won", 1)
			m["time_to_win"] = e
		}
		if len(s.rows) > 0 {
			m["retention"] = r.proportion(retained, subs)
		}
		rep.Groups = append(rep.Groups, tandem.Group{Key: g.keyMap(i), Estimate: mean, Metrics: m})
	}
	if anyWon && noStart > 0 {
		notes = append(notes, fmt.Sprintf("%d accounts left out of time to first win: no created date and no dated deal, a won deal without a close date, or a first win before created", noStart))
	}
	rank(rep.Groups, false)
	rep.Notes = notes
	return rep, nil
}
