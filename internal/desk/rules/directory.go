package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/tandemhq/tandem"
)

// Directory is what CheckApprovers needs to know about people: a snapshot
// the caller loads from the store before applying a rule set. Identifiers
// are opaque strings (rep ids or users' e-mails); ManagerOf must accept the
// identifiers it returns, and the managers it returns are the users who
// approve, so UserExists must know them.
type Directory interface {
	// Reps lists the people who raise quotes, whose managers relation
	// steps resolve to.
	Reps() []string
	// Users lists every user who can approve, by e-mail.
	Users() []string
	// ManagerOf returns the manager of a rep or user, and false when none
	// is recorded.
	ManagerOf(id string) (string, bool)
	// HasRole reports whether the user holds the role.
	HasRole(user string, role tandem.Role) bool
	// UserExists reports whether a user with the e-mail exists and can
	// sign in.
	UserExists(email string) bool
}

// maxChain bounds a walk up the manager relation, so that a directory that
// invents managers forever cannot hang the check.
const maxChain = 1000

// CheckApprovers checks the rule set's approvers against dir: cycles in the
// manager relation reachable from any rep, reps without the manager (or
// manager's manager) a relation step needs, managers who are not users,
// user steps naming no user, and role steps naming a role nobody holds.
// Every problem is reported, as a tandem.EINVALID error wrapping a
// *ValidationError whose positions are the steps that need the fix.
func (rs *RuleSet) CheckApprovers(dir Directory) error {
	c := &checker{file: rs.Name}
	var relStep, mgrStep, mgr2Step *stepRef
	roles := map[tandem.Role]bool{}
	users := map[string]bool{}
	for ri := range rs.Rules {
		r := &rs.Rules[ri]
		for si, s := range r.Approvers.Steps {
			ref := &stepRef{rule: r, ri: ri, si: si}
			switch {
			case s.Relation != "":
				if relStep == nil {
					relStep = ref
				}
				if s.Relation == RelationManager && mgrStep == nil {
					mgrStep = ref
				}
				if s.Relation == RelationManagersManager && mgr2Step == nil {
					mgr2Step = ref
				}
			case s.Role != "":
				held, seen := roles[s.Role]
				if !seen {
					held = slices.ContainsFunc(dir.Users(), func(u string) bool { return dir.HasRole(u, s.Role) })
					roles[s.Role] = held
				}
				if !held {
					c.add(ref, "nobody holds the role %s", s.Role)
				}
			case s.User != "":
				ok, seen := users[s.User]
				if !seen {
					ok = dir.UserExists(s.User)
					users[s.User] = ok
				}
				if !ok {
					c.add(ref, "no user %s", s.User)
				}
			}
		}
	}
	reps := slices.Clone(dir.Reps())
	slices.Sort(reps)
	reps = slices.Compact(reps)
	c.cycles(dir, reps, relStep)
	if mgrStep != nil || mgr2Step != nil {
		need := mgrStep
		if need == nil {
			need = mgr2Step
		}
		for _, rep := range reps {
			m, ok := dir.ManagerOf(rep)
			if !ok || m == "" {
				c.add(need, "rep %s has no manager", rep)
				continue
			}
			if !dir.UserExists(m) {
				c.add(need, "rep %s's manager %s is not a user", rep, m)
			}
			if mgr2Step == nil {
				continue
			}
			mm, ok := dir.ManagerOf(m)
			switch {
			case !ok || mm == "":
				c.add(mgr2Step, "rep %s's manager %s has no manager", rep, m)
			case !dir.UserExists(mm):
				c.add(mgr2Step, "rep %s's manager's manager %s is not a user", rep, mm)
			}
		}
	}
	if len(c.problems) == 0 {
		return nil
	}
	slices.SortStableFunc(c.problems, func(a, b Problem) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return a.Column - b.Column
	})
	return invalid(rs.Name, c.problems)
}

// stepRef is a step and where it is, for problem positions.
type stepRef struct {
	rule   *Rule
	ri, si int // indexes of the rule and the step
}

// checker collects CheckApprovers' problems.
type checker struct {
	file     string
	problems []Problem
}

// add records a problem at a step, or at no position when ref is nil.
func (c *checker) add(ref *stepRef, format string, args ...any) {
	p := Problem{File: c.file, Message: fmt.Sprintf(format, args...)}
	if ref != nil {
		s := ref.rule.Approvers.Steps[ref.si]
		p.Line, p.Column = s.Pos.Line, s.Pos.Column
		p.Field = fmt.Sprintf("rules[%d].approvers.steps[%d]", ref.ri, ref.si)
		p.Message += fmt.Sprintf(" (rule %s, step %s)", ref.rule.Name, s)
	}
	c.problems = append(c.problems, p)
}

// cycles reports each cycle of the manager relation reachable from a rep,
// once, as "a → b → c → a" starting from its smallest member. Escalation
// walks the same relation, so a cycle is reported even when no step names a
// relation (ref is then nil).
func (c *checker) cycles(dir Directory, reps []string, ref *stepRef) {
	done := map[string]bool{} // ids whose chain up is known to be walked
	reported := map[string]bool{}
	for _, rep := range reps {
		onPath := map[string]int{}
		var path []string
		cur := rep
		for !done[cur] {
			if i, ok := onPath[cur]; ok {
				cycle := rotate(path[i:])
				key := strings.Join(cycle, "\x00")
				if !reported[key] {
					reported[key] = true
					c.add(ref, "manager relations form a cycle: %s → %s", strings.Join(cycle, " → "), cycle[0])
				}
				break
			}
			if len(path) >= maxChain {
				c.add(ref, "the management chain above %s is longer than %d people", rep, maxChain)
				break
			}
			onPath[cur] = len(path)
			path = append(path, cur)
			next, ok := dir.ManagerOf(cur)
			if !ok || next == "" {
				break
			}
			cur = next
		}
		for _, id := range path {
			done[id] = true
		}
	}
}

// rotate starts a cycle at its smallest member, so that the same cycle
// found from different reps reads the same.
func rotate(cycle []string) []string {
	i := slices.Index(cycle, slices.Min(cycle))
	return append(slices.Clone(cycle[i:]), cycle[:i]...)
}
