package analytics

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/tandemhq/tandem"
)

// Definitions of the retention figures.
const (
	defChurn     = "subscriptions churned as of the report date / subscriptions started by then; a subscription is churned when its churned_at is on or before the report date (whatever its status), or when its status is churned and it has no churned_at; a churned_at after the report date means active then"
	defRenewal   = "won / closed renewal deals of the subscriptions' accounts (won = renewed, lost = not renewed), closed by the report date"
	defExpansion = "won expansion deals created in a subscription's first 365 days, per subscription at least 365 days old at the report date"
	defAdopted   = "a feature is adopted when the adoptions table dates it on or before the end of the window (anchor + window days), or, for stores without adoptions, when usage records it inside the window; nothing dated after the report date counts, and with a window, subscriptions without an anchor date or whose window ends after the report date are left out"
	defTenure    = "months (365.25/12 days) from start to churned_at (or end when churned_at is missing) for churned subscriptions, and from start to the report date for retained ones (tenure so far, not a lifetime); tenure_months when the source gives it"
)

// subSet is the subscriptions of a run after --where, the report date and
// the period (by start date).
type subSet struct {
	*table
	rows                                               []int
	account, start, end, status, churnedAt, tenure, id int
}

func (r *run) subSet(ctx context.Context) (*subSet, error) {
	t, err := r.table(ctx, "subscriptions")
	if err != nil {
		return nil, err
	}
	rows, err := r.filter(ctx, t, allRows(len(t.recs)), r.p.Where)
	if err != nil {
		return nil, err
	}
	s := &subSet{table: t, account: t.ci("account_id"), start: t.ci("start"), end: t.ci("end"), status: t.ci("status"),
		churnedAt: t.ci("churned_at"), tenure: t.ci("tenure_months"), id: t.ci("id")}
	for _, row := range rows {
		d, ok := t.day(row, s.start)
		if ok && d > r.asOf || !r.inPeriod(d, ok) {
			continue
		}
		s.rows = append(s.rows, row)
	}
	return s, nil
}

// churned says whether the subscription had churned by the report date.
func (s *subSet) churned(row, asOf int) bool {
	at, hasAt := s.day(row, s.churnedAt)
	if hasAt && at > asOf {
		return false
	}
	return s.str(row, s.status) == "churned" || hasAt
}

// tenureMonths is the subscription's tenure as of the report date: from
// start to churn or to the report date, or the source's tenure_months. A
// churned subscription ends at churned_at, or at its end date when
// churned_at is missing; NaN when neither is known (measuring it to the
// report date would overstate it), when start is missing, or when the
// dates are inverted.
func (s *subSet) tenureMonths(row, asOf int) float64 {
	if m := s.num(row, s.tenure); !math.IsNaN(m) {
		return m
	}
	start, ok := s.day(row, s.start)
	if !ok {
		return math.NaN()
	}
	end := asOf
	if s.churned(row, asOf) {
		at, ok := s.day(row, s.churnedAt)
		if !ok {
			at, ok = s.day(row, s.end)
		}
		if !ok || at > asOf {
			return math.NaN()
		}
		end = at
	}
	if end < start {
		return math.NaN()
	}
	return float64(end-start) / (365.25 / 12)
}

// adoptionSet is which features each account adopted within the window of
// each subscription's anchor date.
type adoptionSet struct {
	features *table
	// bySub maps a subscription row to the feature rows adopted in its
	// window, sorted, without repeats.
	bySub map[int][]int
	// source says where adoption came from: "adoptions" or "usage".
	source string
	// undated counts adoptions left out because they have no date while a
	// window is set.
	undated int
	// unanchored and open count the subscriptions that adoptions removed
	// from the subscription set because a window is set and their anchor
	// date is unknown, or their window had not ended by the report date.
	unanchored, open int
}

// adoptions computes the adopted features of every subscription in s.
// The adoptions table is the source when it has rows; otherwise usage.
// With a window, an adoption counts when dated on or before the anchor plus
// the window (adopted by then); usage counts when inside [anchor, anchor +
// window], since use before the anchor says nothing about this term.
// Nothing dated after the report date counts, window or not.
//
// With a window, adoptions also narrows s.rows to the subscriptions whose
// window can be judged: a subscription without an anchor date (no start, or
// with --anchor signup an account without a created date) or whose window
// ends after the report date has not had the whole window to adopt in, and
// counting it as adopting nothing would bias the low-adoption groups. The
// callers compute every figure on the narrowed set; windowNote says how
// many were left out.
func (r *run) adoptions(ctx context.Context, s *subSet) (*adoptionSet, error) {
	ft, err := r.table(ctx, "features")
	if err != nil {
		return nil, err
	}
	at, err := r.table(ctx, "adoptions")
	if err != nil {
		return nil, err
	}
	src, dateCol, isUsage := at, "adopted_at", false
	if len(at.recs) == 0 {
		if src, err = r.table(ctx, "usage"); err != nil {
			return nil, err
		}
		dateCol, isUsage = "at", true
	}
	allowed, err := r.featureSet(ft)
	if err != nil {
		return nil, err
	}
	a := &adoptionSet{features: ft, bySub: map[int][]int{}, source: src.ent.Name}
	// Events per account: feature row and day.
	type event struct{ feat, day int }
	byAccount := map[string][]event{}
	ac, fc, dc := src.ci("account_id"), src.ci("feature_id"), src.ci(dateCol)
	for i := range src.recs {
		f, ok := ft.index[src.str(i, fc)]
		if !ok || allowed != nil && !allowed[f] {
			continue
		}
		d, dated := src.day(i, dc)
		if dated && d > r.asOf {
			continue
		}
		if !dated {
			if r.p.WindowDays >= 0 {
				a.undated++
				continue
			}
			d = math.MinInt
		}
		acct := src.str(i, ac)
		byAccount[acct] = append(byAccount[acct], event{f, d})
	}
	var accounts *table
	if r.p.Anchor == "signup" {
		if accounts, err = r.table(ctx, "accounts"); err != nil {
			return nil, err
		}
	}
	kept := s.rows[:0:0]
	for _, row := range s.rows {
		acct := s.str(row, s.account)
		events := byAccount[acct]
		anchor, ok := s.day(row, s.start)
		if accounts != nil {
			j, found := accounts.index[acct]
			ok = found
			if found {
				anchor, ok = accounts.day(j, accounts.ci("created"))
			}
		}
		if r.p.WindowDays >= 0 {
			if !ok {
				a.unanchored++
				continue
			}
			if anchor+r.p.WindowDays > r.asOf {
				a.open++
				continue
			}
		}
		kept = append(kept, row)
		var feats []int
		for _, ev := range events {
			if r.p.WindowDays >= 0 {
				end := anchor + r.p.WindowDays
				if ev.day > end || isUsage && ev.day < anchor {
					continue
				}
			}
			if !slices.Contains(feats, ev.feat) {
				feats = append(feats, ev.feat)
			}
		}
		slices.Sort(feats)
		a.bySub[row] = feats
	}
	s.rows = kept
	return a, nil
}

// featureSet resolves --features (names or ids) to feature rows; nil means
// every feature.
func (r *run) featureSet(ft *table) (map[int]bool, error) {
	if len(r.p.Features) == 0 {
		return nil, nil
	}
	byName := map[string]int{}
	nc := ft.ci("name")
	for i := range ft.recs {
		byName[tandem.NormalizeName(ft.str(i, nc))] = i
	}
	out := map[int]bool{}
	for _, f := range r.p.Features {
		if i, ok := ft.index[f]; ok {
			out[i] = true
			continue
		}
		i, ok := byName[tandem.NormalizeName(f)]
		if !ok {
			return nil, tandem.Errorf(tandem.EINVALID, "--features: no feature named %q", f)
		}
		out[i] = true
	}
	return out, nil
}

// windowNote says how adoption was counted, for the report's notes.
func (r *run) windowNote(a *adoptionSet) []string {
	var notes []string
	anchor := "the subscription's start"
	if r.p.Anchor == "signup" {
		anchor = "the account's signup (created) date"
	}
	if r.p.WindowDays < 0 {
		notes = append(notes, "adoption counted at any time (no window): features adopted late by customers who stayed are counted, which favours adoption (survivorship bias)")
	} else {
		notes = append(notes, fmt.Sprintf("adoption counted within %d days of %s, from the %s table", r.p.WindowDays, anchor, a.source))
	}
	if a.undated > 0 {
		notes = append(notes, fmt.Sprintf("%d undated %s rows left out because a window is set (use --window all to count them)", a.undated, a.source))
	}
	if a.unanchored > 0 {
		notes = append(notes, fmt.Sprintf("%d subscriptions left out: no anchor date (%s), so the window cannot be applied (use --window all to count them)", a.unanchored, anchor))
	}
	if a.open > 0 {
		notes = append(notes, fmt.Sprintf("%d subscriptions left out: their %d-day window had not ended by the report date", a.open, r.p.WindowDays))
	}
	return notes
}

// renewals counts the closed renewal deals of each account: won and closed.
type renewals struct{ won, closed map[string]int }

func (r *run) renewals(ctx context.Context) (*renewals, error) {
	t, err := r.deals(ctx)
	if err != nil {
		return nil, err
	}
	rn := &renewals{won: map[string]int{}, closed: map[string]int{}}
	for row := range t.recs {
		if t.str(row, t.typ) != "renewal" {
			continue
		}
		o := t.outcomeAt(row, r.asOf)
		if o == outOpen {
			continue
		}
		acct := t.str(row, t.account)
		rn.closed[acct]++
		if o == outWon {
			rn.won[acct]++
		}
	}
	return rn, nil
}

// expansions counts, per subscription row, won expansion deals created in
// its first 365 days; eligible is false when the subscription is younger.
type expansions struct {
	count    map[int]int
	eligible map[int]bool
}

func (r *run) expansions(ctx context.Context, s *subSet) (*expansions, error) {
	t, err := r.deals(ctx)
	if err != nil {
		return nil, err
	}
	byAccount := map[string][]int{}
	for row := range t.recs {
		if t.str(row, t.typ) != "expansion" || t.outcomeAt(row, r.asOf) != outWon {
			continue
		}
		d, ok := t.day(row, t.created)
		if !ok {
			continue
		}
		acct := t.str(row, t.account)
		byAccount[acct] = append(byAccount[acct], d)
	}
	ex := &expansions{count: map[int]int{}, eligible: map[int]bool{}}
	for _, row := range s.rows {
		start, ok := s.day(row, s.start)
		if !ok || start+365 > r.asOf {
			continue
		}
		ex.eligible[row] = true
		for _, d := range byAccount[s.str(row, s.account)] {
			if d >= start && d < start+365 {
				ex.count[row]++
			}
		}
	}
	return ex, nil
}
