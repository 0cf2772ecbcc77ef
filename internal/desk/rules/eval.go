package rules

import (
	"cmp"
	"slices"
	"strings"
)

// nodeKind is the form of a compiled condition node.
type nodeKind int

const (
	nodeLeaf nodeKind = iota
	nodeAll
	nodeAny
	nodeSomeLine  // some line satisfies kid
	nodeEveryLine // every line satisfies kid: a negated some-line
)

// node is a compiled condition in negation normal form: not is pushed down
// to the leaves (De Morgan, and "not some line" = "every line not"), so that
// evidence shows each leaf with the operator that actually held, and
// re-approval can tell "stronger" from the operator alone.
type node struct {
	kind nodeKind
	kids []*node
	leaf *leaf
}

// leaf is a compiled leaf: the field, the operator in effect and the
// rule's values.
type leaf struct {
	spec   *fieldSpec
	op     Op
	values []Value
}

// compile turns a parsed condition into nodes; neg is true under an odd
// number of nots, inLine inside a line quantifier. The condition has been
// checked by the parser, so every field is known.
func compile(c Condition, specs []fieldSpec, neg, inLine bool) *node {
	switch {
	case c.All != nil || c.Any != nil:
		kids := c.All
		kind := nodeAll
		if c.Any != nil {
			kids, kind = c.Any, nodeAny
		}
		if neg {
			kind = nodeAll + nodeAny - kind
		}
		n := &node{kind: kind, kids: make([]*node, len(kids))}
		for i, k := range kids {
			n.kids[i] = compile(k, specs, neg, inLine)
		}
		return n
	case c.Not != nil:
		return compile(*c.Not, specs, !neg, inLine)
	case c.SomeLine != nil:
		return quantify(compile(*c.SomeLine, specs, neg, true), neg)
	}
	spec, _ := lookupField(specs, c.Leaf.Field)
	op := c.Leaf.Op
	if neg {
		op = negate(op)
	}
	n := &node{kind: nodeLeaf, leaf: &leaf{spec: spec, op: op, values: c.Leaf.Values}}
	if spec.Line && !inLine {
		// A bare line leaf means "some line satisfies it".
		return quantify(n, neg)
	}
	return n
}

// quantify wraps a line condition in "some line", or "every line" when
// negated.
func quantify(kid *node, neg bool) *node {
	if neg {
		return &node{kind: nodeEveryLine, kids: []*node{kid}}
	}
	return &node{kind: nodeSomeLine, kids: []*node{kid}}
}

// eval reports whether the node holds; line is the quote line inside a line
// quantifier, -1 outside. It allocates nothing: it runs for every rule on
// every deal check.
func (n *node) eval(f *Facts, line int) bool {
	switch n.kind {
	case nodeLeaf:
		return n.leaf.holds(f, line)
	case nodeAll:
		for _, k := range n.kids {
			if !k.eval(f, line) {
				return false
			}
		}
		return true
	case nodeAny:
		for _, k := range n.kids {
			if k.eval(f, line) {
				return true
			}
		}
		return false
	case nodeSomeLine:
		for i := range f.Lines {
			if n.kids[0].eval(f, i) {
				return true
			}
		}
		return false
	case nodeEveryLine:
		for i := range f.Lines {
			if !n.kids[0].eval(f, i) {
				return false
			}
		}
		return true
	}
	return false
}

// holds reports whether the leaf holds on line (or on the quote), reading
// the fact with the field's typed reader.
func (l *leaf) holds(f *Facts, line int) bool {
	s := l.spec
	switch s.Kind {
	case KindNumber, KindDays:
		return l.number(s.num(f, line))
	case KindText:
		return l.text(s.text(f, line))
	case KindBool:
		return l.flag(s.flag(f, line))
	case KindList:
		return l.list(s.list(f, line))
	}
	return false
}

// test applies the leaf to a fact read as a Value: the same comparisons as
// holds, for re-approval, which compares facts of two versions.
func (l *leaf) test(v Value) bool {
	switch l.spec.Kind {
	case KindNumber, KindDays:
		return l.number(v.Number)
	case KindText:
		return l.text(v.Text)
	case KindBool:
		return l.flag(v.Bool)
	case KindList:
		return l.list(v.List)
	}
	return false
}

// number compares with cmp.Compare, which sorts NaN first, so that each
// operator and its negation stay exact complements.
func (l *leaf) number(x float64) bool {
	switch l.op {
	case OpEq, OpNe, OpIn, OpNotIn:
		in := false
		for _, w := range l.values {
			if cmp.Compare(x, w.Number) == 0 {
				in = true
				break
			}
		}
		return in == (l.op == OpEq || l.op == OpIn)
	}
	c := cmp.Compare(x, l.values[0].Number)
	switch l.op {
	case OpGt:
		return c > 0
	case OpGe:
		return c >= 0
	case OpLt:
		return c < 0
	case OpLe:
		return c <= 0
	}
	return false
}

// text compares case-insensitively.
func (l *leaf) text(s string) bool {
	switch l.op {
	case OpExists:
		return s != ""
	case OpNotExists:
		return s == ""
	}
	in := false
	for _, w := range l.values {
		if strings.EqualFold(s, w.Text) {
			in = true
			break
		}
	}
	return in == (l.op == OpEq || l.op == OpIn)
}

// flag compares a bool; = and != are its only operators.
func (l *leaf) flag(b bool) bool {
	return (b == l.values[0].Bool) == (l.op == OpEq)
}

// list tests contains (case-insensitively) and exists.
func (l *leaf) list(items []string) bool {
	switch l.op {
	case OpExists:
		return len(items) > 0
	case OpNotExists:
		return len(items) == 0
	}
	has := false
	for _, s := range items {
		if strings.EqualFold(s, l.values[0].Text) {
			has = true
			break
		}
	}
	return has == (l.op == OpContains)
}

// hit is a leaf that held, and the line it held on (-1 for none).
type hit struct {
	leaf *leaf
	line int
}

// collect appends the leaves that make a true node true: all kids of all,
// every true kid of any, and for a line quantifier every line that
// satisfies it, ordered by line key so that the evidence does not depend on
// the order of the lines.
func (n *node) collect(f *Facts, line int, hits []hit) []hit {
	switch n.kind {
	case nodeLeaf:
		return append(hits, hit{n.leaf, line})
	case nodeAll:
		// collect runs on true nodes only, and every kid of a true all holds.
		for _, k := range n.kids {
			hits = k.collect(f, line, hits)
		}
	case nodeAny:
		for _, k := range n.kids {
			if k.eval(f, line) {
				hits = k.collect(f, line, hits)
			}
		}
	case nodeSomeLine, nodeEveryLine:
		var buf [16]int // most quotes have fewer lines: no allocation
		lines := buf[:0]
		for i := range f.Lines {
			if n.kids[0].eval(f, i) {
				lines = append(lines, i)
			}
		}
		if len(lines) > 1 {
			slices.SortStableFunc(lines, func(a, b int) int { return strings.Compare(lineKey(f, a), lineKey(f, b)) })
		}
		for _, i := range lines {
			hits = n.kids[0].collect(f, i, hits)
		}
	}
	return hits
}

// Match is a rule whose condition holds on the facts, with the evidence.
type Match struct {
	// Rule is the rule; it points into the RuleSet.
	Rule *Rule
	// Level is the rule's level.
	Level int
	// Evidence lists the leaves that made the condition true.
	Evidence []Evidence
	// SupersededBy names the higher-level rule of the same chain that makes
	// this approval unnecessary; "" when the approval is needed.
	SupersededBy string
}

// Evidence is one leaf that held, with the fact that made it hold: the
// answer to "why does this quote need this approval".
type Evidence struct {
	// Field is the field's dotted name.
	Field string
	// Op is the operator in effect: under not, the negation of the written
	// one.
	Op Op
	// Want holds the rule's values (shared with the rule set: read only).
	Want []Value
	// Got is the fact.
	Got Value
	// Line indexes Facts.Lines for line fields; -1 for the others.
	Line int
	// LineKey is the line's identity ("" for non-line fields): its ID, or
	// its product.
	LineKey string

	// spec gives String the field's label and unit; a pointer keeps
	// Evidence small, as Evaluate makes one per leaf and line.
	spec *fieldSpec
}

// String renders the evidence for people:
// "line discount is 18% (> 10) on line platform".
func (e Evidence) String() string {
	label, unit := e.Field, ""
	if e.spec != nil {
		label, unit = e.spec.Label, e.spec.Unit
	}
	var s string
	switch e.Op {
	case OpContains:
		s = label + " include " + quoteWant(e.Want)
	case OpNotContains:
		s = label + " do not include " + quoteWant(e.Want)
	case OpExists:
		s = label + " is " + e.Got.withUnit(unit)
	case OpNotExists:
		s = label + " is empty"
	default:
		s = label + " is " + e.Got.withUnit(unit) + " (" + condText(e.Op, e.Want) + ")"
	}
	if e.LineKey != "" {
		s += " on line " + e.LineKey
	}
	return s
}

// quoteWant renders a contains item.
func quoteWant(want []Value) string {
	if len(want) == 0 {
		return ""
	}
	return want[0].quoted()
}

// condText renders "op value" or "in (a, b)" as in the brief's reasons:
// "> 10".
func condText(op Op, want []Value) string {
	return strings.TrimPrefix(Leaf{Op: op, Values: want}.String(), " ")
}

// evidence fills out with one Evidence per hit, copying list facts so that
// the result does not alias the caller's Facts.
func evidence(f *Facts, hits []hit, out []Evidence) {
	for i, h := range hits {
		v := h.leaf.spec.get(f, h.line)
		v.List = slices.Clone(v.List)
		e := Evidence{Field: h.leaf.spec.Name, Op: h.leaf.op, Want: h.leaf.values, Got: v, Line: -1, spec: h.leaf.spec}
		if h.leaf.spec.Line {
			e.Line, e.LineKey = h.line, lineKey(f, h.line)
		}
		out[i] = e
	}
}

// Evaluate returns a Match for every rule whose condition holds on f,
// ordered by level and then file order, with evidence, and marks the
// matches superseded by a higher level of the same chain.
func (rs *RuleSet) Evaluate(f Facts) []Match {
	var out []Match
	var hits []hit
	var ends []int // ends[i] is where match i's hits end
	for _, i := range rs.order {
		r := &rs.Rules[i]
		if !r.cond.eval(&f, -1) {
			continue
		}
		hits = r.cond.collect(&f, -1, hits)
		ends = append(ends, len(hits))
		out = append(out, Match{Rule: r, Level: r.Level})
	}
	// One slab for all the evidence: a deal check makes it on every call.
	slab := make([]Evidence, len(hits))
	evidence(&f, hits, slab)
	start := 0
	for i, end := range ends {
		out[i].Evidence = slab[start:end:end]
		start = end
	}
	supersede(out)
	return out
}

// supersede sets SupersededBy on each match that a match of the same chain
// at a higher level makes unnecessary; the first rule in order at the
// chain's highest matched level is named.
func supersede(ms []Match) {
	for i := range ms {
		chain := ms[i].Rule.Chain
		if chain == "" {
			continue
		}
		top := i
		for j := range ms {
			if ms[j].Rule.Chain == chain && ms[j].Level > ms[top].Level {
				top = j
			}
		}
		if top != i {
			ms[i].SupersededBy = ms[top].Rule.Name
		}
	}
}
