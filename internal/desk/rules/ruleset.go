package rules

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// DefaultSLA is how long an approval may stay pending before it escalates
// one level, when the rule set does not say.
const DefaultSLA = 24 * time.Hour

// RuleSet is a parsed, valid rule set. It is immutable after Parse, so one
// value can be shared by concurrent Evaluate calls; do not modify its fields.
type RuleSet struct {
	// Name is the file name given to Parse, used in messages.
	Name string
	// Version is the file format version (1).
	Version int
	// SLA is the set's default approval SLA.
	SLA time.Duration
	// Rules are in file order.
	Rules []Rule

	// order lists indexes into Rules by level, then file order: the order
	// of Evaluate's result.
	order []int
}

// Rule returns the rule with the name.
func (rs *RuleSet) Rule(name string) (*Rule, bool) {
	for i := range rs.Rules {
		if rs.Rules[i].Name == name {
			return &rs.Rules[i], true
		}
	}
	return nil, false
}

// Rule is one approval rule: when its condition holds on a quote, its
// approvers must approve.
type Rule struct {
	// Name is unique in the set: [a-z0-9-]+.
	Name string
	// Description is optional text for people.
	Description string
	// Level orders approvals, 1 lowest; see the package doc on chains.
	Level int
	// Chain groups rules that are levels of one approval; "" for none.
	Chain string
	// When is the condition as written.
	When Condition
	// Approvers are who approves and how.
	Approvers Approvers
	// SLA is the rule's own SLA, or the set's when the rule has none.
	SLA time.Duration
	// Pos is where the rule starts in the file.
	Pos Position

	// cond is When compiled, with not pushed down to the leaves.
	cond *node
	// key identifies what an approval of this rule approved: condition,
	// level and approvers. Reapprove compares keys across rule versions.
	key string
}

// Position is a place in the rule file, 1-based; 0 when unknown.
type Position struct {
	Line   int
	Column int
}

// Condition is a condition as written in the file: exactly one of All, Any,
// Not, SomeLine and Leaf is set.
type Condition struct {
	All      []Condition
	Any      []Condition
	Not      *Condition
	SomeLine *Condition
	Leaf     *Leaf
	// Pos is where the condition's mapping starts.
	Pos Position
}

// Leaf compares one field with the rule's values.
type Leaf struct {
	// Field is the dotted field name.
	Field string
	// Op is the operator.
	Op Op
	// Values holds one value, several for in and not-in, none for exists.
	Values []Value
}

// String renders the condition canonically, on one line:
// any(line.discount > 10, deal.segment in ("enterprise", "strategic")).
func (c Condition) String() string {
	var b strings.Builder
	c.write(&b)
	return b.String()
}

// write renders into b, so that a whole tree costs one buffer.
func (c Condition) write(b *strings.Builder) {
	list := func(name string, cs []Condition) {
		b.WriteString(name)
		b.WriteByte('(')
		for i, k := range cs {
			if i > 0 {
				b.WriteString(", ")
			}
			k.write(b)
		}
		b.WriteByte(')')
	}
	switch {
	case c.All != nil:
		list("all", c.All)
	case c.Any != nil:
		list("any", c.Any)
	case c.Not != nil:
		list("not", []Condition{*c.Not})
	case c.SomeLine != nil:
		list("some-line", []Condition{*c.SomeLine})
	case c.Leaf != nil:
		b.WriteString(c.Leaf.String())
	}
}

// String renders the leaf as "field op value".
func (l Leaf) String() string {
	s := l.Field + " " + string(l.Op)
	switch {
	case l.Op == OpIn || l.Op == OpNotIn:
		parts := make([]string, len(l.Values))
		for i, v := range l.Values {
			parts[i] = v.quoted()
		}
		s += " (" + strings.Join(parts, ", ") + ")"
	case len(l.Values) > 0:
		s += " " + l.Values[0].quoted()
	}
	return s
}

// Mode is how a rule's approval steps run.
type Mode string

// The modes.
const (
	// ModeSequential asks each step in turn; all must approve.
	ModeSequential Mode = "sequential"
	// ModeParallelAny asks every step at once; the first approval suffices.
	ModeParallelAny Mode = "parallel-any"
	// ModeParallelAll asks every step at once; all must approve.
	ModeParallelAll Mode = "parallel-all"
)

// Relation names an approver by their place relative to the quote's rep.
type Relation string

// The relations.
const (
	RelationManager         Relation = "manager"
	RelationManagersManager Relation = "managers-manager"
)

// Approvers are a rule's approval steps and how they run.
type Approvers struct {
	Mode  Mode
	Steps []Step
}

// String renders the approvers as "sequential: manager, role finance".
func (a Approvers) String() string {
	parts := make([]string, len(a.Steps))
	for i, s := range a.Steps {
		parts[i] = s.String()
	}
	return string(a.Mode) + ": " + strings.Join(parts, ", ")
}

// Step is one approver: exactly one of Relation, Role and User is set.
type Step struct {
	// Relation is the rep's manager or manager's manager.
	Relation Relation
	// Role is anyone holding the role.
	Role tandem.Role
	// User is one user's e-mail, in lower case.
	User string
	// Pos is where the step starts in the file.
	Pos Position
}

// String renders the step as "manager", "role finance" or "user a@b.c".
func (s Step) String() string {
	switch {
	case s.Relation != "":
		return string(s.Relation)
	case s.Role != "":
		return "role " + string(s.Role)
	default:
		return "user " + s.User
	}
}

// Problem is one thing wrong with a rule set.
type Problem struct {
	// File is the rule set's name.
	File string
	// Line and Column locate the problem, 1-based; 0 when unknown (a YAML
	// syntax error knows its line only).
	Line, Column int
	// Field is the path of the offending key: "rules[0].when.any[1].op".
	Field string
	// Message says what is wrong and, where it can, what would be right.
	Message string
}

// String renders "file:line:col: field: message", leaving out unknown parts.
func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteString(":" + strconv.Itoa(p.Line))
		if p.Column > 0 {
			b.WriteString(":" + strconv.Itoa(p.Column))
		}
	}
	b.WriteString(": ")
	if p.Field != "" {
		b.WriteString(p.Field + ": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// ValidationError lists every problem found in a rule set, in file order.
// Parse and CheckApprovers return it wrapped in a tandem.EINVALID error;
// reach it with errors.As.
type ValidationError struct {
	File     string
	Problems []Problem
}

// Error lists the problems, one a line after a summary line.
func (e *ValidationError) Error() string {
	if len(e.Problems) == 1 {
		return "invalid rule set " + e.Problems[0].String()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "invalid rule set %s (%d problems):", e.File, len(e.Problems))
	for _, p := range e.Problems {
		b.WriteString("\n")
		b.WriteString(p.String())
	}
	return b.String()
}

// invalid wraps problems as the EINVALID domain error callers map to a 400
// or exit code 2.
func invalid(file string, problems []Problem) error {
	return &tandem.Error{Code: tandem.EINVALID, Err: &ValidationError{File: file, Problems: problems}}
}
