package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"go.yaml.in/yaml/v3"
)

// MaxSize is the largest rule file Parse reads. Real rule sets are a few
// kilobytes; the limit keeps a pasted or uploaded mistake from costing more
// than a moment.
const MaxSize = 1 << 20

const (
	// maxDepth bounds condition nesting: deeper trees are mistakes, and the
	// bound keeps recursion shallow whatever the input.
	maxDepth = 32
	// maxProblems bounds the list, so a wrong file of thousands of rules
	// gives a readable message.
	maxProblems = 100
	// maxLevel is the highest level; approval chains have a handful.
	maxLevel = 99
	// maxName bounds rule and chain names, which appear in URLs and lists.
	maxName = 64
)

// Parse reads a rule set from data (YAML, or JSON); name is the file name
// used in messages. Every problem is reported at once, as a tandem.EINVALID
// error wrapping a *ValidationError; on success the rule set is compiled and
// ready to evaluate. Parse never panics.
func Parse(name string, data []byte) (*RuleSet, error) {
	if name == "" {
		name = "rules"
	}
	p := &parser{file: name, fields: schema()}
	rs := p.parse(data)
	if len(p.problems) > 0 {
		slices.SortStableFunc(p.problems, func(a, b Problem) int {
			if a.Line != b.Line {
				return a.Line - b.Line
			}
			return a.Column - b.Column
		})
		if p.dropped > 0 {
			p.problems = append(p.problems, Problem{File: name,
				Message: fmt.Sprintf("%d more problems not listed; fix these first", p.dropped)})
		}
		return nil, invalid(name, p.problems)
	}
	return rs, nil
}

// parser collects problems while it walks the YAML node tree; it checks
// everything it can instead of stopping at the first problem.
type parser struct {
	file     string
	fields   []fieldSpec
	problems []Problem
	dropped  int
}

// add records a problem at n (nil for none).
func (p *parser) add(n *yaml.Node, path, format string, args ...any) {
	if len(p.problems) >= maxProblems {
		p.dropped++
		return
	}
	pr := Problem{File: p.file, Field: path, Message: fmt.Sprintf(format, args...)}
	if n != nil {
		pr.Line, pr.Column = n.Line, n.Column
	}
	p.problems = append(p.problems, pr)
}

// parse walks the document top-down, and compiles the rules only when no
// problem was found, so that compile may trust every field and operator.
func (p *parser) parse(data []byte) *RuleSet {
	if len(data) > MaxSize {
		p.add(nil, "", "the file is %d bytes; rule files are limited to %d", len(data), MaxSize)
		return nil
	}
	root := p.decode(data)
	if root == nil {
		return nil
	}
	m := p.mapping(root, "", "version", "sla", "rules")
	if m == nil {
		return nil
	}
	rs := &RuleSet{Name: p.file, SLA: DefaultSLA}
	if v := m.get("version"); v == nil {
		p.add(root, "version", "missing (write version: 1)")
	} else if x, ok := p.number(v); !ok || x != 1 {
		p.add(v, "version", "unsupported version %s (this Tandem reads version 1)", describe(v))
	} else {
		rs.Version = 1
	}
	if v := m.get("sla"); v != nil {
		if d, ok := p.duration(v, "sla"); ok {
			rs.SLA = d
		}
	}
	rn := m.get("rules")
	if rn == nil {
		p.add(root, "rules", "missing (write rules: [] for a set with no rules)")
		return nil
	}
	if !p.is(rn, "rules", yaml.SequenceNode, "a list of rules") {
		return nil
	}
	first := map[string]*yaml.Node{}
	for i, n := range rn.Content {
		path := fmt.Sprintf("rules[%d]", i)
		r, nameNode := p.rule(n, path, rs.SLA)
		if nameNode != nil {
			if prev, dup := first[r.Name]; dup {
				p.add(nameNode, path+".name", "duplicate rule name %q (first at line %d)", r.Name, prev.Line)
			} else {
				first[r.Name] = nameNode
			}
		}
		rs.Rules = append(rs.Rules, r)
	}
	if len(p.problems) > 0 {
		return nil
	}
	for i := range rs.Rules {
		r := &rs.Rules[i]
		r.cond = compile(r.When, p.fields, false, false)
		r.key = fmt.Sprintf("%d|%s|%s", r.Level, r.When.String(), r.Approvers.String())
		rs.order = append(rs.order, i)
	}
	slices.SortStableFunc(rs.order, func(a, b int) int { return rs.Rules[a].Level - rs.Rules[b].Level })
	return rs
}

// decode reads the one YAML document in data. The YAML library is guarded
// with recover: a panic in a dependency must not take the server down with
// a user's upload, and Parse promises never to panic.
func (p *parser) decode(data []byte) (root *yaml.Node) {
	defer func() {
		if r := recover(); r != nil {
			p.add(nil, "", "the YAML reader failed: %v", r)
			root = nil
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			p.add(nil, "", "the file is empty (a rule set starts with version: 1)")
		} else {
			p.syntax(err)
		}
		return nil
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		p.add(&extra, "", "a second YAML document; a rule file holds one")
	} else if !errors.Is(err, io.EOF) {
		p.syntax(err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		p.add(nil, "", "the file is empty (a rule set starts with version: 1)")
		return nil
	}
	return doc.Content[0]
}

// syntax turns the YAML library's "yaml: line N: message" into a problem
// at that line; the library does not report columns for syntax errors.
func (p *parser) syntax(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, tail, ok := strings.Cut(rest, ": "); ok {
			if n, err := strconv.Atoi(num); err == nil {
				line, msg = n, tail
			}
		}
	}
	if len(p.problems) >= maxProblems {
		p.dropped++
		return
	}
	p.problems = append(p.problems, Problem{File: p.file, Line: line, Message: "YAML syntax: " + msg})
}

// describe names what a node holds, for "must be X, not Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "nothing"
		case "!!str":
			return strconv.Quote(clip(n.Value))
		case "!!int", "!!float":
			return "number " + clip(n.Value)
		case "!!bool":
			return n.Value
		default:
			return "a " + clip(n.ShortTag()) + " value"
		}
	}
	return "nothing"
}

// clip shortens text quoted back in messages.
func clip(s string) string {
	const limit = 40
	if len(s) <= limit {
		return s
	}
	r := []rune(s)
	if len(r) <= limit {
		return s
	}
	return string(r[:limit]) + "…"
}

// is checks that n is of kind, adding a problem otherwise. Aliases are
// refused here, once for every place a node is read.
func (p *parser) is(n *yaml.Node, path string, kind yaml.Kind, what string) bool {
	if n.Kind == yaml.AliasNode {
		p.add(n, path, "aliases (*%s) are not supported in rule files; write the value out", clip(n.Value))
		return false
	}
	if n.Kind != kind {
		p.add(n, path, "must be %s, not %s", what, describe(n))
		return false
	}
	return true
}

// mapNode is a checked mapping: each allowed key at most once.
type mapNode struct {
	keys, vals []*yaml.Node
}

// index returns the position of key, or -1 when absent.
func (m *mapNode) index(key string) int {
	return slices.IndexFunc(m.keys, func(k *yaml.Node) bool { return k.Value == key })
}

// get returns the value of key, or nil when absent.
func (m *mapNode) get(key string) *yaml.Node {
	if i := m.index(key); i >= 0 {
		return m.vals[i]
	}
	return nil
}

// has reports whether key is present.
func (m *mapNode) has(key string) bool { return m.get(key) != nil }

// mapping checks that n is a mapping whose keys are text, among allowed,
// and not repeated. Unknown and repeated keys are problems; the rest of the
// mapping is still returned so that its values get checked too.
func (p *parser) mapping(n *yaml.Node, path string, allowed ...string) *mapNode {
	if !p.is(n, path, yaml.MappingNode, "a mapping") {
		return nil
	}
	m := &mapNode{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode || k.ShortTag() != "!!str" {
			p.add(k, path, "a key must be text, not %s", describe(k))
			continue
		}
		kp := join(path, k.Value)
		if !slices.Contains(allowed, k.Value) {
			p.add(k, kp, "unknown key %q%s", clip(k.Value), suggest(k.Value, allowed))
			continue
		}
		if j := m.index(k.Value); j >= 0 {
			p.add(k, kp, "duplicate key %q (first at line %d)", k.Value, m.keys[j].Line)
			continue
		}
		m.keys = append(m.keys, k)
		m.vals = append(m.vals, v)
	}
	return m
}

// join appends a key to a path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// suggest returns ` (did you mean "x"?)` for the closest candidate within a
// small edit distance, or "" when none is close: most unknown keys and
// fields are typos.
func suggest(s string, candidates []string) string {
	best, bestD := "", 1<<30
	for _, c := range candidates {
		if d := distance(s, c); d < bestD {
			best, bestD = c, d
		}
	}
	if best == "" || bestD > max(2, len(s)/4) || bestD >= len(s) {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// distance is the Levenshtein distance between a and b, in bytes; inputs
// are clipped so that a long key costs little.
func distance(a, b string) int {
	const limit = 64
	a, b = a[:min(len(a), limit)], b[:min(len(b), limit)]
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// text reads a text scalar.
func (p *parser) text(n *yaml.Node, path, what string) (string, bool) {
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
		return n.Value, true
	}
	if p.is(n, path, yaml.ScalarNode, what) {
		p.add(n, path, "must be %s, not %s", what, describe(n))
	}
	return "", false
}

// number reads a finite numeric scalar, adding no problem: callers word
// their own.
func (p *parser) number(n *yaml.Node) (float64, bool) {
	if n.Kind != yaml.ScalarNode {
		return 0, false
	}
	if t := n.ShortTag(); t != "!!int" && t != "!!float" {
		return 0, false
	}
	var x float64
	if err := n.Decode(&x); err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, false
	}
	return x, true
}

// duration reads a positive Go duration ("24h") or whole days ("2d").
func (p *parser) duration(n *yaml.Node, path string) (time.Duration, bool) {
	const what = `a duration such as "24h", "90m" or "2d"`
	s, ok := p.text(n, path, what)
	if !ok {
		return 0, false
	}
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		k, err := strconv.Atoi(days)
		if err != nil || k <= 0 || k > 3650 {
			p.add(n, path, "bad duration %q: want %s", clip(s), what)
			return 0, false
		}
		d = time.Duration(k) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			p.add(n, path, "bad duration %q: want %s", clip(s), what)
			return 0, false
		}
	}
	if d <= 0 {
		p.add(n, path, "bad duration %q: must be positive", clip(s))
		return 0, false
	}
	return d, true
}

// name reads a [a-z0-9-]+ name.
func (p *parser) name(n *yaml.Node, path string) (string, bool) {
	s, ok := p.text(n, path, "a name of lower-case letters, digits and hyphens")
	if !ok {
		return "", false
	}
	valid := s != "" && len(s) <= maxName
	for _, c := range s {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			valid = false
		}
	}
	if !valid {
		p.add(n, path, "bad name %q: use 1 to %d lower-case letters, digits and hyphens", clip(s), maxName)
		return "", false
	}
	return s, true
}

// rule reads one rule; nameNode is the node of a valid name, for the
// duplicate check, or nil.
func (p *parser) rule(n *yaml.Node, path string, sla time.Duration) (r Rule, nameNode *yaml.Node) {
	r.Pos = Position{n.Line, n.Column}
	r.SLA = sla
	m := p.mapping(n, path, "name", "description", "level", "chain", "when", "approvers", "sla")
	if m == nil {
		return r, nil
	}
	if v := m.get("name"); v == nil {
		p.add(n, join(path, "name"), "missing")
	} else if s, ok := p.name(v, join(path, "name")); ok {
		r.Name, nameNode = s, v
	}
	if v := m.get("description"); v != nil {
		r.Description, _ = p.text(v, join(path, "description"), "text")
	}
	if v := m.get("level"); v == nil {
		p.add(n, join(path, "level"), "missing (1 is the lowest level)")
	} else if x, ok := p.number(v); !ok || x != math.Trunc(x) || x < 1 || x > maxLevel {
		p.add(v, join(path, "level"), "must be a whole number from 1 to %d, not %s", maxLevel, describe(v))
	} else {
		r.Level = int(x)
	}
	if v := m.get("chain"); v != nil {
		r.Chain, _ = p.name(v, join(path, "chain"))
	}
	if v := m.get("when"); v == nil {
		p.add(n, join(path, "when"), "missing: a rule needs a condition")
	} else {
		r.When = p.condition(v, join(path, "when"), 1, false)
	}
	if v := m.get("approvers"); v == nil {
		p.add(n, join(path, "approvers"), "missing")
	} else {
		r.Approvers = p.approvers(v, join(path, "approvers"))
	}
	if v := m.get("sla"); v != nil {
		if d, ok := p.duration(v, join(path, "sla")); ok {
			r.SLA = d
		}
	}
	return r, nameNode
}

// approvers reads a rule's approvers.
func (p *parser) approvers(n *yaml.Node, path string) Approvers {
	var a Approvers
	m := p.mapping(n, path, "mode", "steps")
	if m == nil {
		return a
	}
	modes := []Mode{ModeSequential, ModeParallelAny, ModeParallelAll}
	if v := m.get("mode"); v == nil {
		p.add(n, join(path, "mode"), "missing (use sequential, parallel-any or parallel-all)")
	} else if s, ok := p.text(v, join(path, "mode"), "a mode"); ok {
		if !slices.Contains(modes, Mode(s)) {
			p.add(v, join(path, "mode"), "unknown mode %q (use sequential, parallel-any or parallel-all)", clip(s))
		} else {
			a.Mode = Mode(s)
		}
	}
	v := m.get("steps")
	if v == nil {
		p.add(n, join(path, "steps"), "missing: name at least one approver")
		return a
	}
	if !p.is(v, join(path, "steps"), yaml.SequenceNode, "a list of approvers") {
		return a
	}
	if len(v.Content) == 0 {
		p.add(v, join(path, "steps"), "empty: name at least one approver")
	}
	for i, sn := range v.Content {
		a.Steps = append(a.Steps, p.step(sn, fmt.Sprintf("%s.steps[%d]", path, i)))
	}
	return a
}

// step reads one approver: exactly one of relation, role and user.
func (p *parser) step(n *yaml.Node, path string) Step {
	s := Step{Pos: Position{n.Line, n.Column}}
	m := p.mapping(n, path, "relation", "role", "user")
	if m == nil {
		return s
	}
	var kinds []string
	for _, k := range m.keys {
		kinds = append(kinds, k.Value)
	}
	switch len(kinds) {
	case 0:
		p.add(n, path, "names no approver: give one of relation, role or user")
		return s
	case 1:
	default:
		p.add(m.keys[1], path, "names two kinds of approver (%s); give exactly one of relation, role or user", strings.Join(kinds, " and "))
		return s
	}
	k, v := kinds[0], m.vals[0]
	kp := join(path, k)
	str, ok := p.text(v, kp, "text")
	if !ok {
		return s
	}
	switch k {
	case "relation":
		switch Relation(str) {
		case RelationManager, RelationManagersManager:
			s.Relation = Relation(str)
		default:
			p.add(v, kp, "unknown relation %q (use manager or managers-manager)", clip(str))
		}
	case "role":
		role, err := tandem.ParseRole(str)
		var te *tandem.Error
		switch {
		case err == nil:
			s.Role = role
		case errors.As(err, &te):
			p.add(v, kp, "%s", te.Message)
		default:
			p.add(v, kp, "%v", err)
		}
	case "user":
		u := strings.ToLower(strings.TrimSpace(str))
		local, domain, ok := strings.Cut(u, "@")
		if !ok || local == "" || domain == "" || strings.ContainsAny(domain, "@") || strings.ContainsFunc(u, isSpace) {
			p.add(v, kp, "%q is not an e-mail address; users are named by e-mail", clip(str))
		} else {
			s.User = u
		}
	}
	return s
}

// isSpace finds blanks that would make an address unusable in a mail header.
func isSpace(r rune) bool { return r == ' ' || r == '\t' || r == '\n' || r == '\r' }

// condition reads a condition; inLine is true inside some-line.
func (p *parser) condition(n *yaml.Node, path string, depth int, inLine bool) Condition {
	c := Condition{Pos: Position{n.Line, n.Column}}
	if depth > maxDepth {
		p.add(n, path, "conditions nest deeper than %d levels", maxDepth)
		return c
	}
	m := p.mapping(n, path, "all", "any", "not", "some-line", "field", "op", "value")
	if m == nil {
		return c
	}
	var forms []string
	for _, k := range m.keys {
		switch k.Value {
		case "all", "any", "not", "some-line":
			forms = append(forms, k.Value)
		}
	}
	isLeaf := m.has("field") || m.has("op") || m.has("value")
	switch {
	case len(m.keys) == 0:
		if len(n.Content) == 0 {
			p.add(n, path, "empty condition: use all, any, not, some-line or a field")
		}
		return c
	case len(forms) > 1 || (len(forms) == 1 && isLeaf):
		p.add(n, path, "a condition has exactly one of all, any, not, some-line or field/op/value; found %s", strings.Join(keyNames(m), ", "))
		return c
	case isLeaf:
		c.Leaf = p.leaf(n, m, path, inLine)
		return c
	}
	form, v := forms[0], m.get(forms[0])
	fp := join(path, form)
	switch form {
	case "all", "any":
		if !p.is(v, fp, yaml.SequenceNode, "a list of conditions") {
			return c
		}
		if len(v.Content) == 0 {
			p.add(v, fp, "empty: %s needs at least one condition", form)
			return c
		}
		kids := make([]Condition, 0, len(v.Content))
		for i, k := range v.Content {
			kids = append(kids, p.condition(k, fmt.Sprintf("%s[%d]", fp, i), depth+1, inLine))
		}
		if form == "all" {
			c.All = kids
		} else {
			c.Any = kids
		}
	case "not":
		k := p.condition(v, fp, depth+1, inLine)
		c.Not = &k
	case "some-line":
		if inLine {
			p.add(v, fp, "some-line inside some-line: the inner one adds nothing")
			return c
		}
		k := p.condition(v, fp, depth+1, true)
		c.SomeLine = &k
	}
	return c
}

// keyNames lists a mapping's keys, for messages.
func keyNames(m *mapNode) []string {
	out := make([]string, len(m.keys))
	for i, k := range m.keys {
		out[i] = k.Value
	}
	return out
}

// leaf reads {field, op, value} and checks the operator and value against
// the field's kind.
func (p *parser) leaf(n *yaml.Node, m *mapNode, path string, inLine bool) *Leaf {
	l := &Leaf{}
	var spec *fieldSpec
	if v := m.get("field"); v == nil {
		p.add(n, join(path, "field"), "missing: a leaf tests one field")
	} else if s, ok := p.text(v, join(path, "field"), "a field name"); ok {
		var known bool
		if spec, known = lookupField(p.fields, s); !known {
			names := make([]string, len(p.fields))
			for i, f := range p.fields {
				names[i] = f.Name
			}
			p.add(v, join(path, "field"), "unknown field %q%s", clip(s), suggest(s, names))
		} else if inLine && !spec.Line {
			p.add(v, join(path, "field"), "%s is not a line field; inside some-line only line.* fields apply", s)
			spec = nil
		} else {
			l.Field = s
		}
	}
	on := m.get("op")
	if on == nil {
		p.add(n, join(path, "op"), "missing (use one of %s)", opList(fileOps()))
		return l
	}
	s, ok := p.text(on, join(path, "op"), "an operator")
	if !ok {
		return l
	}
	op := Op(s)
	if !slices.Contains(fileOps(), op) {
		p.add(on, join(path, "op"), "unknown operator %q (use %s)", clip(s), opList(fileOps()))
		return l
	}
	l.Op = op
	vn := m.get("value")
	if op == OpExists {
		if vn != nil {
			p.add(vn, join(path, "value"), "exists takes no value")
		}
	} else if vn == nil {
		p.add(n, join(path, "value"), "missing: %s needs a value", op)
		return l
	}
	if spec == nil {
		return l
	}
	if ops := opsFor(spec.Kind); !slices.Contains(ops, op) {
		p.add(on, join(path, "op"), "operator %q does not apply to %s field %s (use %s)", op, spec.Kind, spec.Name, opList(ops))
		return l
	}
	vp := join(path, "value")
	switch op {
	case OpExists:
	case OpIn, OpNotIn:
		if !p.is(vn, vp, yaml.SequenceNode, "a list of values") {
			return l
		}
		if len(vn.Content) == 0 {
			p.add(vn, vp, "empty: %s needs at least one value", op)
		}
		for i, e := range vn.Content {
			if x, ok := p.value(e, fmt.Sprintf("%s[%d]", vp, i), spec.Kind, spec.Name); ok {
				l.Values = append(l.Values, x)
			}
		}
	case OpContains:
		if s, ok := p.text(vn, vp, "a flag code (text)"); ok {
			l.Values = []Value{{Kind: KindText, Text: s}}
		}
	default:
		if x, ok := p.value(vn, vp, spec.Kind, spec.Name); ok {
			l.Values = []Value{x}
		}
	}
	return l
}

// value reads one rule value of the field's kind.
func (p *parser) value(n *yaml.Node, path string, k Kind, field string) (Value, bool) {
	if n.Kind == yaml.AliasNode {
		p.is(n, path, yaml.ScalarNode, "")
		return Value{}, false
	}
	switch k {
	case KindNumber:
		if x, ok := p.number(n); ok {
			return Value{Kind: KindNumber, Number: x}, true
		}
		p.add(n, path, "must be a number for %s, not %s", field, describe(n))
	case KindDays:
		if x, ok := p.number(n); ok {
			return Value{Kind: KindDays, Number: x}, true
		}
		if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
			if d, ok := parseDays(n.Value); ok {
				return Value{Kind: KindDays, Number: d}, true
			}
		}
		p.add(n, path, `must be a number of days ("45", "45d" or "6w") for %s, not %s`, field, describe(n))
	case KindText:
		if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" {
			return Value{Kind: KindText, Text: n.Value}, true
		}
		p.add(n, path, "must be text for %s, not %s (quote it to compare as text)", field, describe(n))
	case KindBool:
		if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!bool" {
			var b bool
			if err := n.Decode(&b); err == nil {
				return Value{Kind: KindBool, Bool: b}, true
			}
		}
		p.add(n, path, "must be true or false for %s, not %s", field, describe(n))
	}
	return Value{}, false
}

// parseDays reads "45d" or "6w" as days.
func parseDays(s string) (float64, bool) {
	mult := 0
	switch {
	case strings.HasSuffix(s, "d"):
		mult = 1
	case strings.HasSuffix(s, "w"):
		mult = 7
	default:
		return 0, false
	}
	k, err := strconv.Atoi(s[:len(s)-1])
	if err != nil || k < 0 || k > 100000 {
		return 0, false
	}
	return float64(k * mult), true
}

// opList renders operators for messages: "=, !=, >".
func opList(ops []Op) string {
	parts := make([]string, len(ops))
	for i, o := range ops {
		parts[i] = string(o)
	}
	return strings.Join(parts, ", ")
}
