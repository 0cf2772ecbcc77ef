package rules

import (
	"cmp"
	"slices"
	"strings"
)

// Decision says whether the approval of one rule matched on a new quote
// version still stands, and why.
type Decision struct {
	// Match is the rule's match on the new version.
	Match Match
	// Stands is true when the approval given on the previous version
	// carries over; false when it must be requested again.
	Stands bool
	// Reason is the sentence the approval record shows.
	Reason string
}

// Reason texts that callers may compare with.
const (
	ReasonNew       = "newly matched"
	ReasonChanged   = "rule changed since the previous version"
	ReasonUnchanged = "matched the previous version and no condition is met more strongly"
)

// Reapprove decides, for each match on the new quote version (next, from
// Evaluate on nextFacts), whether the approval given on the previous version
// still stands; the package doc states the rule. prev lists the previous
// version's matches (on prevFacts) whose approvals were given, superseded
// ones included: the higher level's approval covered them. Decisions follow
// next's order and include superseded matches, which callers need not
// request. prev may come from an older rule set: rules are matched by name,
// and a rule whose condition, level or approvers changed is requested again.
func Reapprove(prev, next []Match, prevFacts, nextFacts Facts) []Decision {
	out := make([]Decision, 0, len(next))
	var prevLines map[string]int
	for _, m := range next {
		d := Decision{Match: m}
		var pm *Match
		if m.Rule != nil {
			if i := slices.IndexFunc(prev, func(p Match) bool { return p.Rule != nil && p.Rule.Name == m.Rule.Name }); i >= 0 {
				pm = &prev[i]
			}
		}
		switch {
		case m.Rule == nil || m.Rule.cond == nil:
			d.Reason = "not a rule of a parsed rule set"
		case pm == nil:
			d.Reason = ReasonNew
		case pm.Rule.key != m.Rule.key:
			d.Reason = ReasonChanged
		case !m.Rule.cond.eval(&nextFacts, -1):
			// next did not come from Evaluate on nextFacts; ask rather than
			// let an approval stand on facts it was never checked against.
			d.Reason = "the rule does not hold on the new facts"
		default:
			if prevLines == nil {
				prevLines = lineIndex(&prevFacts)
			}
			var reasons []string
			for _, h := range m.Rule.cond.collect(&nextFacts, -1, nil) {
				if r, ok := stronger(h, &prevFacts, &nextFacts, prevLines); ok && !slices.Contains(reasons, r) {
					reasons = append(reasons, r)
				}
			}
			switch {
			case len(reasons) == 0 && pm.SupersededBy != "":
				// The higher level's approval stood in for this one, and
				// covers it as long as nothing here is met more strongly.
				d.Stands, d.Reason = true, "covered by the approval of "+pm.SupersededBy+" on the previous version; no condition is met more strongly"
			case len(reasons) == 0:
				d.Stands, d.Reason = true, ReasonUnchanged
			default:
				d.Reason = strings.Join(reasons, "; ")
			}
		}
		out = append(out, d)
	}
	return out
}

// stronger reports whether a leaf that holds on the new facts is met more
// strongly than on the previous ones, and says how.
func stronger(h hit, prev, next *Facts, prevLines map[string]int) (string, bool) {
	l := h.leaf
	now := l.spec.get(next, h.line)
	cond := " (" + condText(l.op, l.values) + ")"
	suffix := ""
	pl := -1
	if l.spec.Line {
		key := lineKey(next, h.line)
		suffix = " on line " + key
		i, ok := prevLines[key]
		if !ok {
			return "new line " + key + ": " + l.spec.Label + " is " + now.withUnit(l.spec.Unit) + cond, true
		}
		pl = i
	}
	was := l.spec.get(prev, pl)
	if !l.test(was) {
		switch l.op {
		case OpContains:
			return l.spec.Label + " now include " + quoteWant(l.values) + suffix, true
		case OpNotContains:
			return l.spec.Label + " no longer include " + quoteWant(l.values) + suffix, true
		}
		return l.spec.Label + " is now " + now.withUnit(l.spec.Unit) + cond + ", was " + was.withUnit(l.spec.Unit) + suffix, true
	}
	switch l.op {
	case OpGt, OpGe:
		if cmp.Compare(now.Number, was.Number) > 0 {
			return l.spec.Label + " rose from " + was.withUnit(l.spec.Unit) + " to " + now.withUnit(l.spec.Unit) + cond + suffix, true
		}
	case OpLt, OpLe:
		if cmp.Compare(now.Number, was.Number) < 0 {
			return l.spec.Label + " fell from " + was.withUnit(l.spec.Unit) + " to " + now.withUnit(l.spec.Unit) + cond + suffix, true
		}
	}
	return "", false
}
