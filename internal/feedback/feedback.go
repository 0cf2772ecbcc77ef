// Package feedback is the feedback hub's logic that needs no store: who
// owns an item (routing rules), when it must be acknowledged (business
// days), which competitors its text mentions, and the readers of the
// formats feedback arrives in (CSV exports of Productboard and Canny, the
// canonical columns, Slack's signed requests).
package feedback

import (
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/tandemhq/tandem"
)

// Subject is what routing looks at: an item's product, feature, text and
// its account's segment.
type Subject struct {
	Product, Feature, Segment string
	Title, Text               string
}

// Route returns the owner for an item and the name of the rule that chose
// it: the first rule whose every set condition holds, else def with the
// name "default".
func Route(rules []tandem.RoutingRule, s Subject, def string) (owner, rule string) {
	var words map[string]bool
	for _, r := range rules {
		if r.Product != "" && !strings.EqualFold(r.Product, s.Product) {
			continue
		}
		if r.Feature != "" && !strings.EqualFold(r.Feature, s.Feature) {
			continue
		}
		if r.Segment != "" && !strings.EqualFold(r.Segment, s.Segment) {
			continue
		}
		if len(r.Keywords) > 0 {
			if words == nil {
				words = wordSet(s.Title + " " + s.Text)
			}
			if !slices.ContainsFunc(r.Keywords, func(k string) bool { return containsPhrase(words, s.Title+" "+s.Text, k) }) {
				continue
			}
		}
		return r.Owner, r.Name
	}
	return def, "default"
}

// AckDue is the acknowledgment deadline: days business days (Monday to
// Friday, in UTC) after received. An item received on a weekend starts
// counting on Monday; the deadline keeps the time of day of receipt.
func AckDue(received time.Time, days int) time.Time {
	t := received.UTC()
	for days > 0 {
		t = t.AddDate(0, 0, 1)
		if wd := t.Weekday(); wd != time.Saturday && wd != time.Sunday {
			days--
		}
	}
	return t
}

// Mentions returns the ids of the competitors whose name or an alias
// occurs in text as whole words, case-insensitive, in catalog order.
func Mentions(text string, competitors []tandem.Competitor) []string {
	if text == "" || len(competitors) == 0 {
		return nil
	}
	words := wordSet(text)
	var out []string
	for _, c := range competitors {
		names := append([]string{c.Name}, c.Aliases...)
		if slices.ContainsFunc(names, func(n string) bool { return containsPhrase(words, text, n) }) {
			out = append(out, c.ID)
		}
	}
	return out
}

// words splits text into lower-case runs of letters and digits.
func words(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
}

// wordSet is the set of words of text.
func wordSet(text string) map[string]bool {
	set := map[string]bool{}
	for _, w := range words(text) {
		set[w] = true
	}
	return set
}

// containsPhrase reports whether phrase occurs in text as whole words: a
// one-word phrase is looked up in words (the word set of text); a longer
// one as a run of consecutive words.
func containsPhrase(set map[string]bool, text, phrase string) bool {
	pw := words(phrase)
	switch len(pw) {
	case 0:
		return false
	case 1:
		return set[pw[0]]
	}
	if !set[pw[0]] {
		return false
	}
	tw := words(text)
	for i := 0; i+len(pw) <= len(tw); i++ {
		if slices.Equal(tw[i:i+len(pw)], pw) {
			return true
		}
	}
	return false
}
