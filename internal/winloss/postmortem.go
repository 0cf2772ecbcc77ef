package winloss

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
)

// Post-mortem subjects.
const (
	SubjectDeal    = "deal"
	SubjectAccount = "account"
)

// Limits of a post-mortem: long enough for a real one, short enough that
// the list of post-mortems stays readable.
const (
	maxSummary = 10000
	maxEntries = 100
	maxEntry   = 2000
)

// CheckPostmortem checks a post-mortem's own fields (the service checks
// that its subject exists), listing every problem.
func CheckPostmortem(p tandem.Postmortem) error {
	var probs []string
	if p.Subject != SubjectDeal && p.Subject != SubjectAccount {
		probs = append(probs, fmt.Sprintf("subject: %q is not deal or account", p.Subject))
	}
	if p.SubjectID == "" {
		probs = append(probs, "subject_id: missing")
	}
	if len(p.Causes) == 0 {
		probs = append(probs, "causes: name at least one root cause")
	}
	seen := map[string]bool{}
	for _, c := range p.Causes {
		switch {
		case !slices.Contains(tandem.RootCauses, c):
			probs = append(probs, fmt.Sprintf("causes: %q is not one of %v", c, tandem.RootCauses))
		case seen[c]:
			probs = append(probs, fmt.Sprintf("causes: %q is named twice", c))
		}
		seen[c] = true
	}
	if utf8.RuneCountInString(p.Summary) > maxSummary {
		probs = append(probs, fmt.Sprintf("summary: longer than %d characters", maxSummary))
	}
	if len(p.Evidence) > maxEntries {
		probs = append(probs, fmt.Sprintf("evidence: %d links, at most %d", len(p.Evidence), maxEntries))
	}
	for i, e := range p.Evidence {
		if utf8.RuneCountInString(e) > maxEntry {
			probs = append(probs, fmt.Sprintf("evidence[%d]: longer than %d characters", i, maxEntry))
		}
	}
	if len(p.Actions) > maxEntries {
		probs = append(probs, fmt.Sprintf("actions: %d given, at most %d", len(p.Actions), maxEntries))
	}
	for i, a := range p.Actions {
		if strings.TrimSpace(a.What) == "" {
			probs = append(probs, fmt.Sprintf("actions[%d]: what is missing", i))
		}
		if strings.TrimSpace(a.Owner) == "" {
			probs = append(probs, fmt.Sprintf("actions[%d]: owner is missing", i))
		}
		if utf8.RuneCountInString(a.What) > maxEntry || utf8.RuneCountInString(a.Owner) > maxCode {
			probs = append(probs, fmt.Sprintf("actions[%d]: what is at most %d characters, owner at most %d", i, maxEntry, maxCode))
		}
	}
	if p.Date.IsZero() {
		probs = append(probs, "date: missing")
	}
	if len(probs) > 0 {
		return &tandem.Error{Code: tandem.EINVALID, Err: &PostmortemError{Problems: probs}}
	}
	return nil
}

// PostmortemError lists every problem of a post-mortem.
type PostmortemError struct{ Problems []string }

// Error lists the problems after a summary.
func (e *PostmortemError) Error() string {
	if len(e.Problems) == 1 {
		return "invalid post-mortem: " + e.Problems[0]
	}
	s := fmt.Sprintf("invalid post-mortem (%d problems):", len(e.Problems))
	for _, p := range e.Problems {
		s += "\n" + p
	}
	return s
}

// CauseFigure is the share of a period's post-mortems naming one cause.
type CauseFigure struct {
	Cause    string          `json:"cause"`
	Count    int             `json:"count"`
	Estimate tandem.Estimate `json:"estimate"`
}

// CausePeriod is one quarter of the root-cause report ("all" for the
// whole span).
type CausePeriod struct {
	Quarter      string        `json:"quarter"`
	N            int           `json:"n"`
	Insufficient bool          `json:"insufficient,omitempty"`
	Causes       []CauseFigure `json:"causes"`
}

// RootCauseReport is root causes over time.
type RootCauseReport struct {
	From        string            `json:"from,omitempty"`
	To          string            `json:"to,omitempty"`
	MinN        int               `json:"min_n"`
	Periods     []CausePeriod     `json:"periods"`
	Total       CausePeriod       `json:"total"`
	Definitions map[string]string `json:"definitions"`
	Notes       []string          `json:"notes"`
}

// RootCauses counts, per quarter of the post-mortem's date and over the
// whole span, the post-mortems naming each root cause. From and To are
// days, both included.
func RootCauses(pms []tandem.Postmortem, from, to time.Time, o Options) *RootCauseReport {
	o = o.norm()
	rep := &RootCauseReport{From: dayText(from), To: dayText(to), MinN: o.MinN, Periods: []CausePeriod{}, Notes: []string{},
		Definitions: map[string]string{
			"share":          "post-mortems of the quarter naming the cause; one post-mortem may name several, so shares do not add up to 100%",
			"interval":       fmt.Sprintf("Wilson score interval, %g%%", o.Conf*100),
			"minimum sample": fmt.Sprintf("quarters with fewer than %d post-mortems are marked insufficient data", o.MinN),
			"period":         "the quarter of the post-mortem's date",
		}}
	byQ := map[string][]tandem.Postmortem{}
	var all []tandem.Postmortem
	for _, p := range pms {
		if !inRange(p.Date, from, to) {
			continue
		}
		q := Quarter(p.Date)
		byQ[q] = append(byQ[q], p)
		all = append(all, p)
	}
	period := func(key string, ps []tandem.Postmortem) CausePeriod {
		cp := CausePeriod{Quarter: key, N: len(ps), Insufficient: len(ps) < o.MinN, Causes: []CauseFigure{}}
		if len(ps) == 0 {
			// No figure without n: an empty span has no shares at all.
			return cp
		}
		for _, c := range tandem.RootCauses {
			k := 0
			for _, p := range ps {
				if slices.Contains(p.Causes, c) {
					k++
				}
			}
			cp.Causes = append(cp.Causes, CauseFigure{Cause: c, Count: k, Estimate: share(k, len(ps), o)})
		}
		return cp
	}
	for q, ps := range byQ {
		rep.Periods = append(rep.Periods, period(q, ps))
	}
	slices.SortFunc(rep.Periods, func(a, b CausePeriod) int { return cmp.Compare(a.Quarter, b.Quarter) })
	rep.Total = period("all", all)
	if len(all) == 0 {
		rep.Notes = append(rep.Notes, "no post-mortems in the period: insufficient data")
	}
	return rep
}

// Account is an account as the missing-post-mortem list reads it: churned
// when it has a churned subscription and no active one.
type Account struct {
	ID        string
	Name      string
	Churned   bool
	ChurnedAt time.Time
	MRR       float64 // monthly recurring revenue lost
}

// Missing is a lost deal or churned account that should have a
// post-mortem and has none.
type Missing struct {
	Subject   string    `json:"subject"`
	SubjectID string    `json:"subject_id"`
	Name      string    `json:"name"`
	Amount    float64   `json:"amount"` // deal amount, or lost MRR of an account
	Date      time.Time `json:"date,omitzero"`
	Why       string    `json:"why"`
}

// MissingPostmortems lists the lost deals above minAmount and the churned
// accounts without a post-mortem: deals by amount (largest first), then
// accounts by churn date (latest first).
func MissingPostmortems(deals []Deal, accounts []Account, minAmount float64, pms []tandem.Postmortem) []Missing {
	has := map[string]bool{}
	for _, p := range pms {
		has[p.Subject+"/"+p.SubjectID] = true
	}
	out := []Missing{}
	var ds, as []Missing
	for _, d := range deals {
		if d.Outcome != "lost" || d.Amount <= minAmount || has[SubjectDeal+"/"+d.ID] {
			continue
		}
		ds = append(ds, Missing{Subject: SubjectDeal, SubjectID: d.ID, Name: cmp.Or(d.Name, d.ID), Amount: d.Amount, Date: d.Closed,
			Why: fmt.Sprintf("lost deal above %s", formatAmount(minAmount))})
	}
	for _, a := range accounts {
		if !a.Churned || has[SubjectAccount+"/"+a.ID] {
			continue
		}
		as = append(as, Missing{Subject: SubjectAccount, SubjectID: a.ID, Name: cmp.Or(a.Name, a.ID), Amount: a.MRR, Date: a.ChurnedAt, Why: "churned account"})
	}
	slices.SortFunc(ds, func(a, b Missing) int {
		return cmp.Or(cmp.Compare(b.Amount, a.Amount), cmp.Compare(a.SubjectID, b.SubjectID))
	})
	slices.SortFunc(as, func(a, b Missing) int { return cmp.Or(b.Date.Compare(a.Date), cmp.Compare(a.SubjectID, b.SubjectID)) })
	return append(append(out, ds...), as...)
}

func formatAmount(x float64) string {
	if x == float64(int64(x)) {
		return fmt.Sprintf("%d", int64(x))
	}
	return fmt.Sprintf("%.2f", x)
}
