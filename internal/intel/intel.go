// Package intel is competitive intelligence without a store: the
// competitor catalog's rules (names and aliases unique, matching of the
// free-text names deals carry), mentions of competitors in deals and
// feedback, win rates against each competitor with their intervals and
// quarterly trend, battlecard checks and diffs, and the per-rep intel
// quota. The service layer reads deals and documents and hands them here.
package intel

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/feedback"
)

// Limits on what a competitor entry holds, so one bad request cannot
// bloat every page that lists the catalog.
const (
	maxName    = 200
	maxAliases = 50
	maxText    = 10000
)

// Matcher finds the catalog entry a free-text competitor name means: the
// name or an alias, compared with tandem.NormalizeName, so "Northwind
// CRM", "northwind-crm" and "NorthwindCRM" are one competitor.
type Matcher struct {
	ids map[string]string // normalized name or alias → competitor id
}

// NewMatcher indexes a catalog. When two entries claim the same name
// (which SaveCompetitor refuses), the first in catalog order wins.
func NewMatcher(catalog []tandem.Competitor) Matcher {
	m := Matcher{ids: map[string]string{}}
	for _, c := range catalog {
		for _, n := range append([]string{c.Name}, c.Aliases...) {
			if k := tandem.NormalizeName(n); k != "" {
				if _, dup := m.ids[k]; !dup {
					m.ids[k] = c.ID
				}
			}
		}
	}
	return m
}

// Match returns the id of the competitor a name means, if any.
func (m Matcher) Match(name string) (string, bool) {
	id, ok := m.ids[tandem.NormalizeName(name)]
	return id, ok
}

// MatchAll returns the ids the names mean, each once, in the order of
// first appearance; names the catalog does not know are left out.
func (m Matcher) MatchAll(names []string) []string {
	var out []string
	for _, n := range names {
		if id, ok := m.Match(n); ok && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// NormalizeCompetitor trims a competitor's fields and drops empty or
// repeated aliases (and an alias equal to the name).
func NormalizeCompetitor(c tandem.Competitor) tandem.Competitor {
	c.ID, c.Name = strings.TrimSpace(c.ID), strings.TrimSpace(c.Name)
	c.Website, c.Notes = strings.TrimSpace(c.Website), strings.TrimSpace(c.Notes)
	seen := map[string]bool{tandem.NormalizeName(c.Name): true}
	var aliases []string
	for _, a := range c.Aliases {
		a = strings.TrimSpace(a)
		k := tandem.NormalizeName(a)
		if k == "" || seen[k] {
			continue
		}
		seen[k] = true
		aliases = append(aliases, a)
	}
	c.Aliases = aliases
	return c
}

// ValidateCompetitor checks a (normalized) entry on its own and against
// the rest of the catalog: it needs a name; its name and aliases must not
// be a name or alias of another entry (compared as Matcher compares, so
// case, spaces and hyphens do not make two names different). Entries of
// catalog with c's id are the entry itself, not others.
func ValidateCompetitor(c tandem.Competitor, catalog []tandem.Competitor) error {
	var problems []string
	switch {
	case c.Name == "":
		problems = append(problems, "name: a competitor needs a name")
	case utf8.RuneCountInString(c.Name) > maxName || !strings.ContainsFunc(c.Name, isAlnum):
		problems = append(problems, fmt.Sprintf("name: %q must have letters or digits and at most %d characters", c.Name, maxName))
	}
	if c.ID == "" {
		problems = append(problems, "id: the name must contain a letter or digit to make an id")
	}
	if len(c.Aliases) > maxAliases {
		problems = append(problems, fmt.Sprintf("aliases: at most %d", maxAliases))
	}
	for i, a := range c.Aliases {
		if utf8.RuneCountInString(a) > maxName {
			problems = append(problems, fmt.Sprintf("aliases[%d]: at most %d characters", i, maxName))
		}
	}
	if utf8.RuneCountInString(c.Website) > maxName*2 || utf8.RuneCountInString(c.Notes) > maxText {
		problems = append(problems, fmt.Sprintf("website or notes: too long (at most %d and %d characters)", maxName*2, maxText))
	}
	if c.Website != "" && !strings.HasPrefix(c.Website, "https://") && !strings.HasPrefix(c.Website, "http://") {
		problems = append(problems, fmt.Sprintf("website: %q must start with https:// or http://", c.Website))
	}
	if len(problems) > 0 {
		return tandem.Errorf(tandem.EINVALID, "competitor %s: %s", cmp.Or(c.ID, c.Name), strings.Join(problems, "; "))
	}
	taken := map[string]string{} // normalized → "competitor X (its name "N")"
	for _, o := range catalog {
		if o.ID == c.ID {
			continue
		}
		taken[tandem.NormalizeName(o.Name)] = fmt.Sprintf("the name of competitor %s", o.ID)
		for _, a := range o.Aliases {
			if k := tandem.NormalizeName(a); taken[k] == "" {
				taken[k] = fmt.Sprintf("an alias (%q) of competitor %s", a, o.ID)
			}
		}
	}
	for _, n := range append([]string{c.Name}, c.Aliases...) {
		if by := taken[tandem.NormalizeName(n)]; by != "" {
			problems = append(problems, fmt.Sprintf("%q is already %s", n, by))
		}
	}
	if len(problems) > 0 {
		return tandem.Errorf(tandem.ECONFLICT, "competitor %s: names and aliases are unique across the catalog (ignoring case, spaces, hyphens and dots): %s",
			c.ID, strings.Join(problems, "; "))
	}
	return nil
}

// isAlnum reports whether r is a letter or digit.
func isAlnum(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }

// Proposal is a catalog entry proposed from the competitor names deals
// carry: the most frequent spelling as its name, the other spellings
// (which the name already matches, so they need no alias), and how many
// deals named it.
type Proposal struct {
	Name     string   `json:"name"`
	Variants []string `json:"variants,omitempty"`
	Deals    int      `json:"deals"`
	Existing string   `json:"existing,omitempty"` // the catalog entry it matched, when it is not new
}

// Propose groups the distinct competitor names of deals (name → number
// of deals) by tandem.NormalizeName and proposes one entry per group
// that the catalog does not already match, most deals first. Groups the
// catalog matches come back with Existing set, so a caller can show what
// was recognised.
func Propose(catalog []tandem.Competitor, names map[string]int) []Proposal {
	m := NewMatcher(catalog)
	type group struct {
		spellings map[string]int
		deals     int
	}
	groups := map[string]*group{}
	for n, count := range names {
		n = strings.TrimSpace(n)
		k := tandem.NormalizeName(n)
		if k == "" || count <= 0 {
			continue
		}
		g := groups[k]
		if g == nil {
			g = &group{spellings: map[string]int{}}
			groups[k] = g
		}
		g.spellings[n] += count
		g.deals += count
	}
	out := make([]Proposal, 0, len(groups))
	for _, g := range groups {
		sp := make([]string, 0, len(g.spellings))
		for s := range g.spellings {
			sp = append(sp, s)
		}
		slices.SortFunc(sp, func(a, b string) int { return cmp.Or(g.spellings[b]-g.spellings[a], strings.Compare(a, b)) })
		p := Proposal{Name: sp[0], Variants: sp[1:], Deals: g.deals}
		if id, ok := m.Match(p.Name); ok {
			p.Existing = id
		}
		out = append(out, p)
	}
	slices.SortFunc(out, func(a, b Proposal) int { return cmp.Or(b.Deals-a.Deals, strings.Compare(a.Name, b.Name)) })
	return out
}

// Mention sources: a deal's competitors column, a feedback item, and
// feedback that came by e-mail or Slack (counted apart because the issue
// asks where the signal comes from).
const (
	SourceDeal     = "deal"
	SourceFeedback = "feedback"
	SourceEmail    = "email"
	SourceSlack    = "slack"
)

// Mention is one place a competitor was named.
type Mention struct {
	Competitor string    `json:"competitor"`
	Source     string    `json:"source"` // SourceDeal, SourceFeedback, SourceEmail or SourceSlack
	Ref        string    `json:"ref"`    // the deal or feedback item id
	Date       time.Time `json:"date"`
	Rep        string    `json:"rep,omitempty"`
	// RepName is the rep's name, filled in by the caller that reads reps
	// (the rep id when the rep is not in the reps entity).
	RepName string `json:"rep_name,omitempty"`
	Title   string `json:"title,omitempty"` // the deal's name or the item's title
}

// Deal is a deal as competitive intelligence reads it. Competitors holds
// the free-text names of the deals' competitors column.
type Deal struct {
	ID, Name, Outcome, Rep string
	Created, Closed        time.Time
	Competitors            []string
}

// decided reports whether a deal counts toward a win rate: won or lost,
// never open.
func (d Deal) decided() bool { return d.Outcome == "won" || d.Outcome == "lost" }

// date is when a deal mention happened: the close date of a closed deal,
// else its creation.
func (d Deal) date() time.Time {
	if !d.Closed.IsZero() && d.decided() {
		return d.Closed
	}
	return d.Created
}

// FeedbackCompetitors returns the competitor ids an item mentions: those
// detected at intake (that are still in the catalog) and those the
// current catalog finds in its title and text, so an entry or alias added
// later applies to old items too. Catalog order.
func FeedbackCompetitors(f tandem.Feedback, catalog []tandem.Competitor) []string {
	found := feedback.Mentions(f.Title+"\n"+f.Text, catalog)
	var out []string
	for _, c := range catalog {
		if slices.Contains(found, c.ID) || slices.Contains(f.Competitors, c.ID) {
			out = append(out, c.ID)
		}
	}
	return out
}

// feedbackSource is the mention source of an item's channel.
func feedbackSource(f tandem.Feedback) string {
	switch f.Source {
	case tandem.SourceEmail:
		return SourceEmail
	case tandem.SourceSlack:
		return SourceSlack
	}
	return SourceFeedback
}

// Mentions lists every mention of a catalog competitor in deals (by the
// competitors column, matched by name or alias) and feedback items (see
// FeedbackCompetitors), newest first (then by source and ref, so the
// order is stable).
func Mentions(catalog []tandem.Competitor, deals []Deal, items []tandem.Feedback) []Mention {
	m := NewMatcher(catalog)
	var out []Mention
	for _, d := range deals {
		for _, id := range m.MatchAll(d.Competitors) {
			out = append(out, Mention{Competitor: id, Source: SourceDeal, Ref: d.ID, Date: d.date(), Rep: d.Rep, Title: d.Name})
		}
	}
	for _, f := range items {
		for _, id := range FeedbackCompetitors(f, catalog) {
			out = append(out, Mention{Competitor: id, Source: feedbackSource(f), Ref: f.ID, Date: f.ReceivedAt, Rep: f.RepID, Title: f.Title})
		}
	}
	slices.SortStableFunc(out, func(a, b Mention) int {
		return cmp.Or(b.Date.Compare(a.Date), strings.Compare(a.Source, b.Source), strings.Compare(a.Ref, b.Ref), strings.Compare(a.Competitor, b.Competitor))
	})
	return out
}

// MentionCounts are a competitor's mentions by source.
type MentionCounts struct {
	Deal     int `json:"deal"`
	Feedback int `json:"feedback"`
	Email    int `json:"email"`
	Slack    int `json:"slack"`
	Total    int `json:"total"`
}

// add counts one mention.
func (c *MentionCounts) add(source string) {
	switch source {
	case SourceDeal:
		c.Deal++
	case SourceEmail:
		c.Email++
	case SourceSlack:
		c.Slack++
	default:
		c.Feedback++
	}
	c.Total++
}

// CountMentions counts mentions by competitor and source.
func CountMentions(ms []Mention) map[string]MentionCounts {
	out := map[string]MentionCounts{}
	for _, m := range ms {
		c := out[m.Competitor]
		c.add(m.Source)
		out[m.Competitor] = c
	}
	return out
}

// Latest returns the first n mentions of competitor id (mentions are
// newest first).
func Latest(ms []Mention, id string, n int) []Mention {
	out := []Mention{}
	for _, m := range ms {
		if m.Competitor == id {
			if len(out) == n {
				break
			}
			out = append(out, m)
		}
	}
	return out
}
