package intel

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// ParseMonth reads a calendar month "YYYY-MM" as its first instant (UTC).
func ParseMonth(s string) (time.Time, error) {
	t, err := time.Parse("2006-01", strings.TrimSpace(s))
	if err != nil || len(strings.TrimSpace(s)) != 7 {
		return time.Time{}, tandem.Errorf(tandem.EINVALID, "month: %q is not a calendar month (YYYY-MM)", s)
	}
	return t, nil
}

// MonthOf is the first instant of t's calendar month, in UTC.
func MonthOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// IsIntel reports whether a feedback item counts as competitive
// intelligence: submitted as intel, or mentioning a catalog competitor.
func IsIntel(f tandem.Feedback, catalog []tandem.Competitor) bool {
	return f.Kind == tandem.KindIntel || len(FeedbackCompetitors(f, catalog)) > 0
}

// Rep is a rep as the quota lists them.
type Rep struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// QuotaRow is one rep's intel items in the month.
type QuotaRow struct {
	RepID string `json:"rep_id"`
	Name  string `json:"name,omitempty"`
	Items int    `json:"items"`
	// Missing is how many more items the quota asks for (0 when met).
	Missing int `json:"missing"`
}

// QuotaReport is the intel quota for one month.
type QuotaReport struct {
	Month string `json:"month"` // YYYY-MM
	Quota int    `json:"quota"` // items asked of each rep in the month
	// Leaderboard lists the reps who submitted intel in the month, most
	// items first (then by name); Below every rep of the reps entity (and
	// any other submitter) under the quota, zero items included, fewest
	// first.
	Leaderboard []QuotaRow `json:"leaderboard"`
	Below       []QuotaRow `json:"below"`
	// Items is the month's intel items; Unattributed those with no rep.
	Items        int `json:"items"`
	Unattributed int `json:"unattributed"`
	Reps         int `json:"reps"`
}

// Quota counts the intel items (see IsIntel) each rep submitted in the
// calendar month starting at month (by ReceivedAt, UTC) against quota.
func Quota(month time.Time, quota int, reps []Rep, items []tandem.Feedback, catalog []tandem.Competitor) QuotaReport {
	month = MonthOf(month)
	end := month.AddDate(0, 1, 0)
	rep := QuotaReport{Month: month.Format("2006-01"), Quota: quota, Leaderboard: []QuotaRow{}, Below: []QuotaRow{}}
	counts := map[string]int{}
	names := map[string]string{}
	for _, r := range reps {
		counts[r.ID] += 0
		names[r.ID] = r.Name
	}
	for _, f := range items {
		at := f.ReceivedAt.UTC()
		if at.Before(month) || !at.Before(end) || !IsIntel(f, catalog) {
			continue
		}
		rep.Items++
		if f.RepID == "" {
			rep.Unattributed++
			continue
		}
		counts[f.RepID]++
	}
	rep.Reps = len(counts)
	for id, n := range counts {
		row := QuotaRow{RepID: id, Name: names[id], Items: n, Missing: max(0, quota-n)}
		if n > 0 {
			rep.Leaderboard = append(rep.Leaderboard, row)
		}
		if n < quota {
			rep.Below = append(rep.Below, row)
		}
	}
	byName := func(a, b QuotaRow) int {
		return cmp.Or(strings.Compare(cmp.Or(a.Name, a.RepID), cmp.Or(b.Name, b.RepID)), strings.Compare(a.RepID, b.RepID))
	}
	slices.SortFunc(rep.Leaderboard, func(a, b QuotaRow) int { return cmp.Or(b.Items-a.Items, byName(a, b)) })
	slices.SortFunc(rep.Below, func(a, b QuotaRow) int { return cmp.Or(a.Items-b.Items, byName(a, b)) })
	return rep
}
