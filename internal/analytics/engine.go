// Package analytics computes Tandem's reports (DESIGN §5) from the store:
// it reads the entities a report needs into memory, groups and filters them
// by any field, and computes every figure with its sample size and a 95%
// interval by the rules of DESIGN §6, through package stats. The CLI, the
// API and the pages all call Engine.Run, so they show the same numbers.
package analytics

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/stats"
)

// DefaultResamples is the number of bootstrap resamples of money intervals.
const DefaultResamples = 1000

// DefaultSeed seeds bootstrap resampling, so a report is reproducible.
const DefaultSeed = 1

// DefaultWindowDays is the adoption window: a feature counts as adopted when
// adopted within this many days of the anchor date.
const DefaultWindowDays = 90

// Engine runs reports on a store.
type Engine struct {
	store tandem.Store
	cat   *tandem.Catalog
	now   func() time.Time
}

// New returns an engine reading store; now gives the default report date.
func New(store tandem.Store, cat *tandem.Catalog, now func() time.Time) *Engine {
	if now == nil {
		now = time.Now
	}
	return &Engine{store: store, cat: cat, now: now}
}

// run is one report run: the parameters with defaults applied and the data
// read so far.
type run struct {
	*data
	p    tandem.ReportParams
	asOf int // report date, days since epoch
	from int // period start, days since epoch (math.MinInt when open)
	to   int // period end, inclusive (math.MaxInt when open)
}

type reportFunc func(ctx context.Context, r *run) (*tandem.Report, error)

type reportDef struct {
	info tandem.ReportInfo
	fn   reportFunc
}

func (e *Engine) defs() []reportDef {
	return []reportDef{
		{tandem.ReportInfo{Name: "winrate", Doc: "won / (won + lost) over closed deals per group, Wilson 95% interval; open deals counted apart"}, winRate},
		{tandem.ReportInfo{Name: "cycle", Doc: "days from created to close, Kaplan–Meier median with open deals censored at the report date, per outcome and group"}, cycle},
		{tandem.ReportInfo{Name: "dealsize", Doc: "mean and median won amount with seeded bootstrap intervals, and total won revenue, per group"}, dealSize},
		{tandem.ReportInfo{Name: "funnel", Doc: "leads → qualified → deal → won per source (or any field): counts, conversion rates with Wilson intervals, median days between steps"}, funnel},
		{tandem.ReportInfo{Name: "stages", Doc: "per pipeline stage: conversion to the next stage and to won, median days in stage"}, stages},
		{tandem.ReportInfo{Name: "reps", Doc: "per rep: won revenue, win rate, median cycle and deal count, ranked; reps below the minimum sample are flagged"}, reps},
		{tandem.ReportInfo{Name: "teams", Doc: "per team: won revenue, win rate, median cycle and deal count, ranked"}, teams},
		{tandem.ReportInfo{Name: "churn", Doc: "churned / subscriptions as of the report date per group, Wilson interval; tenure of churned and retained"}, churn},
		{tandem.ReportInfo{Name: "adoption", Doc: "renewal and churn by the number of features adopted within the window, and by each feature"}, adoption},
		{tandem.ReportInfo{Name: "halo", Doc: "per feature (or product): win rate, cycle, deal size, renewal, churn and expansion with vs without, raw and adjusted, with Benjamini–Hochberg q-values"}, halo},
		{tandem.ReportInfo{Name: "icp", Doc: "per account segment (industry, size band, region, source): time to first win, retention and lifetime value with intervals"}, icp},
	}
}

// Reports lists the available reports.
func (e *Engine) Reports() []tandem.ReportInfo {
	var out []tandem.ReportInfo
	for _, d := range e.defs() {
		out = append(out, d.info)
	}
	return out
}

// Run computes the named report.
func (e *Engine) Run(ctx context.Context, name string, p tandem.ReportParams) (*tandem.Report, error) {
	i := slices.IndexFunc(e.defs(), func(d reportDef) bool { return d.info.Name == name })
	if i < 0 {
		var names []string
		for _, d := range e.defs() {
			names = append(names, d.info.Name)
		}
		return nil, tandem.Errorf(tandem.EINVALID, "unknown report %q (one of: %s)", name, strings.Join(names, ", "))
	}
	r, err := e.newRun(p)
	if err != nil {
		return nil, err
	}
	rep, err := e.defs()[i].fn(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("report %s: %w", name, err)
	}
	rep.Report = name
	rep.Params = r.p
	if rep.KeyFields == nil {
		rep.KeyFields = []string{}
	}
	if rep.Groups == nil {
		rep.Groups = []tandem.Group{}
		if len(rep.Apart) == 0 && len(rep.Notes) == 0 {
			rep.Notes = append(rep.Notes, "no rows to report: the store has none of the rows this report reads, or the filters and period leave none")
		}
	}
	return rep, nil
}

func (e *Engine) newRun(p tandem.ReportParams) (*run, error) {
	if p.MinN == 0 {
		p.MinN = tandem.DefaultMinN
	}
	if p.MinN < 1 {
		return nil, tandem.Errorf(tandem.EINVALID, "--min-n must be at least 1, not %d", p.MinN)
	}
	if p.Resamples == 0 {
		p.Resamples = DefaultResamples
	}
	if p.Resamples < 100 || p.Resamples > 100000 {
		return nil, tandem.Errorf(tandem.EINVALID, "--resamples must be between 100 and 100000, not %d", p.Resamples)
	}
	if p.Seed == 0 {
		p.Seed = DefaultSeed
	}
	if p.WindowDays == 0 {
		p.WindowDays = DefaultWindowDays
	}
	if p.WindowDays < -1 {
		return nil, tandem.Errorf(tandem.EINVALID, "the adoption window must be a number of days or \"all\", not %d", p.WindowDays)
	}
	switch p.Anchor {
	case "":
		p.Anchor = "start"
	case "start", "signup":
	default:
		return nil, tandem.Errorf(tandem.EINVALID, "--anchor must be start or signup, not %q", p.Anchor)
	}
	switch p.Items {
	case "":
		p.Items = "features"
	case "features", "products":
	default:
		return nil, tandem.Errorf(tandem.EINVALID, "--items must be features or products, not %q", p.Items)
	}
	for _, c := range p.Where {
		if c.Op != "=" && c.Op != "!=" {
			return nil, tandem.Errorf(tandem.EINVALID, "--where %s: the operator must be = or !=", c.Field)
		}
	}
	if p.AsOf.IsZero() {
		now := e.now().UTC()
		p.AsOf = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	}
	r := &run{data: newData(e.store, e.cat), p: p, asOf: dayOf(p.AsOf), from: math.MinInt, to: math.MaxInt}
	if !p.From.IsZero() {
		r.from = dayOf(p.From)
	}
	if !p.To.IsZero() {
		r.to = dayOf(p.To)
	}
	if r.from > r.to {
		return nil, tandem.Errorf(tandem.EINVALID, "--from %s is after --to %s", p.From.Format(time.DateOnly), p.To.Format(time.DateOnly))
	}
	return r, nil
}

// inPeriod says whether a day is within --from/--to; rows without the date
// are in the period only when no period is set.
func (r *run) inPeriod(day int, ok bool) bool {
	if !ok {
		return r.from == math.MinInt && r.to == math.MaxInt
	}
	return day >= r.from && day <= r.to
}

// sufficient marks an estimate below the minimum sample.
func (r *run) sufficient(e *tandem.Estimate) {
	if e.N < r.p.MinN {
		e.Insufficient = true
		msg := fmt.Sprintf("insufficient data (n=%d < %d)", e.N, r.p.MinN)
		if e.Note == "" {
			e.Note = msg
		} else {
			e.Note = msg + "; " + e.Note
		}
	}
}

// proportion is k of n with its Wilson interval, flagged below minimum n.
func (r *run) proportion(k, n int) tandem.Estimate {
	iv := stats.Wilson(k, n, stats.Conf95)
	e := tandem.NewEstimate(n, ratio(k, n), iv.Lo, iv.Hi)
	r.sufficient(&e)
	return e
}

// difference is p1 − p0 with the Newcombe interval and a two-sided p-value;
// n is the smaller side, since that bounds the comparison's precision.
func (r *run) difference(k1, n1, k0, n0 int) tandem.Estimate {
	iv := stats.NewcombeDiff(k1, n1, k0, n0, stats.Conf95)
	e := tandem.NewEstimate(min(n1, n0), ratio(k1, n1)-ratio(k0, n0), iv.Lo, iv.Hi)
	e.P = stats.TwoProportionP(k1, n1, k0, n0)
	e.Note = fmt.Sprintf("n=%d with, %d without", n1, n0)
	r.sufficient(&e)
	return e
}

// median is a Kaplan–Meier median with its interval.
func (r *run) median(s stats.Survival) tandem.Estimate {
	med, iv := s.Median(stats.Conf95)
	e := tandem.NewEstimate(s.N, med, iv.Lo, iv.Hi)
	switch {
	case math.IsNaN(med) && s.N > 0:
		e.Note = "median not reached: fewer than half closed"
	case math.IsInf(iv.Hi, 1):
		e.Note = "upper limit not reached"
	}
	r.sufficient(&e)
	return e
}

func ratio(k, n int) float64 {
	if n == 0 {
		return math.NaN()
	}
	return float64(k) / float64(n)
}

// rank orders groups by their headline value, best first (higher is better
// unless lowerBetter), leaving groups with insufficient data unranked.
func rank(groups []tandem.Group, lowerBetter bool) {
	var idx []int
	for i, g := range groups {
		if !g.Insufficient && !math.IsNaN(g.Value) {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		va, vb := groups[a].Value, groups[b].Value
		if lowerBetter {
			va, vb = -va, -vb
		}
		switch {
		case va > vb:
			return -1
		case va < vb:
			return 1
		}
		return 0
	})
	for pos, i := range idx {
		groups[i].Rank = pos + 1
	}
}

// byRank orders a leaderboard: ranked groups by rank, then the unranked in
// their key order.
func byRank(groups []tandem.Group) {
	slices.SortStableFunc(groups, func(a, b tandem.Group) int {
		switch {
		case a.Rank == b.Rank:
			return 0
		case a.Rank == 0:
			return 1
		case b.Rank == 0:
			return -1
		}
		return a.Rank - b.Rank
	})
}

// allRows lists 0..n-1.
func allRows(n int) []int {
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	return rows
}
