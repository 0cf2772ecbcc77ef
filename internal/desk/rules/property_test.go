package rules

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The generators draw values from small domains so that equality, in and
// contains hold often enough to exercise both outcomes.
var (
	genNumbers = []float64{-5, 0, 5, 10, 12.5, 20, 40}
	genTexts   = []string{"a", "B", "c", ""}
	genFlags   = []string{"x", "Y", "z"}
)

// gen generates random conditions (as rule-file YAML) and facts.
type gen struct {
	r *rand.Rand
	// ops restricts the operators of number leaves; nil for all.
	ops []Op
	// positive leaves out not, for monotonicity properties.
	positive bool
}

func newGen(seed uint64) *gen { return &gen{r: rand.New(rand.NewPCG(seed, 0x7a6e))} }

func (g *gen) pick(n int) int { return g.r.IntN(n) }

// cond returns a random condition of at most depth levels.
func (g *gen) cond(depth int, inLine bool) string {
	if depth == 0 || g.pick(3) == 0 {
		return g.leaf(inLine)
	}
	switch k := g.pick(4); {
	case k == 0 && !g.positive:
		return "{not: " + g.cond(depth-1, inLine) + "}"
	case k == 1 && !inLine:
		return "{some-line: " + g.cond(depth-1, true) + "}"
	default:
		kids := make([]string, 1+g.pick(3))
		for i := range kids {
			kids[i] = g.cond(depth-1, inLine)
		}
		form := "all"
		if g.pick(2) == 0 {
			form = "any"
		}
		return "{" + form + ": [" + strings.Join(kids, ", ") + "]}"
	}
}

// leaf returns a random leaf whose operator and value fit the field.
func (g *gen) leaf(inLine bool) string {
	var fields []Field
	for _, f := range Fields() {
		if (!inLine || f.Line) && (g.ops == nil || f.Kind == KindNumber || f.Kind == KindDays) {
			fields = append(fields, f)
		}
	}
	f := fields[g.pick(len(fields))]
	ops := opsFor(f.Kind)
	if g.ops != nil {
		ops = g.ops
	}
	op := ops[g.pick(len(ops))]
	s := fmt.Sprintf("{field: %s, op: %q", f.Name, op)
	switch op {
	case OpExists:
	case OpIn, OpNotIn:
		vs := make([]string, 1+g.pick(3))
		for i := range vs {
			vs[i] = g.value(f.Kind)
		}
		s += ", value: [" + strings.Join(vs, ", ") + "]"
	case OpContains:
		s += ", value: " + strconv.Quote(genFlags[g.pick(len(genFlags))])
	default:
		s += ", value: " + g.value(f.Kind)
	}
	return s + "}"
}

// value returns a random rule value of the kind, as YAML.
func (g *gen) value(k Kind) string {
	switch k {
	case KindText:
		return strconv.Quote(genTexts[g.pick(len(genTexts))])
	case KindBool:
		return strconv.FormatBool(g.pick(2) == 0)
	case KindDays:
		return []string{"0", "30", "45d", "60", "8w"}[g.pick(5)]
	}
	return strconv.FormatFloat(genNumbers[g.pick(len(genNumbers))], 'f', -1, 64)
}

func (g *gen) num() float64 {
	x := genNumbers[g.pick(len(genNumbers))]
	if g.pick(3) == 0 {
		x += float64(g.pick(7)) - 3
	}
	return x
}

func (g *gen) text() string { return genTexts[g.pick(len(genTexts))] }

// facts returns random facts with 0 to 4 lines, told apart by ID.
func (g *gen) facts() Facts {
	f := Facts{
		Quote: QuoteFacts{Discount: g.num(), TermMonths: int(g.num()), PaymentTermsDays: []int{0, 30, 45, 56, 60, 90}[g.pick(6)],
			Billing: g.text(), ACV: g.num(), Nonstandard: g.pick(2) == 0, FeaturesBeta: g.pick(2) == 0,
			FeaturesUnreleased: g.pick(2) == 0, PromiseMonthsAhead: g.num()},
		Deal: DealFacts{Segment: g.text(), Amount: g.num(), Archetype: g.text()},
	}
	for _, fl := range genFlags {
		if g.pick(2) == 0 {
			f.Flags = append(f.Flags, strings.ToLower(fl))
		}
	}
	for i := range g.pick(5) {
		f.Lines = append(f.Lines, LineFacts{ID: "L" + strconv.Itoa(i), Product: g.text(), ProductClass: g.text(),
			Quantity: g.num(), ListPrice: g.num(), Discount: g.num(), NetPrice: g.num()})
	}
	return f
}

// set builds a rule set with one rule per condition, named r0, r1...
func set(t *testing.T, conds ...string) *RuleSet {
	t.Helper()
	var b strings.Builder
	b.WriteString(head)
	for i, c := range conds {
		fmt.Fprintf(&b, "  - {name: r%d, level: 1, when: %s, approvers: {mode: sequential, steps: [{role: cs}]}}\n", i, c)
	}
	rs, err := Parse("gen.yaml", []byte(b.String()))
	if err != nil {
		t.Fatalf("generated rule set does not parse: %v\n%s", err, b.String())
	}
	return rs
}

// matched reports, for each rule of rs in file order, whether it matches f.
func matched(rs *RuleSet, f Facts) []bool {
	out := make([]bool, len(rs.Rules))
	for _, m := range rs.Evaluate(f) {
		out[slices.IndexFunc(rs.Rules, func(r Rule) bool { return r.Name == m.Rule.Name })] = true
	}
	return out
}

// TestPropertyEquivalences: not(not c) ≡ c, all/any of one child ≡ the
// child, not c ≡ ¬c, and De Morgan, on random conditions and facts.
func TestPropertyEquivalences(t *testing.T) {
	var outcomes [2]int
	defer func() {
		if outcomes[0] < 100 || outcomes[1] < 100 {
			t.Errorf("generated conditions are too one-sided: false %d, true %d", outcomes[0], outcomes[1])
		}
	}()
	for seed := range uint64(300) {
		g := newGen(seed)
		c, d := g.cond(3, false), g.cond(3, false)
		rs := set(t, c, "{not: {not: "+c+"}}", "{all: ["+c+"]}", "{any: ["+c+"]}", "{not: "+c+"}",
			"{not: {all: ["+c+", "+d+"]}}", "{any: [{not: "+c+"}, {not: "+d+"}]}", d)
		for range 20 {
			f := g.facts()
			m := matched(rs, f)
			if m[0] {
				outcomes[1]++
			} else {
				outcomes[0]++
			}
			if m[1] != m[0] || m[2] != m[0] || m[3] != m[0] || m[4] == m[0] || m[5] != m[6] || m[5] != !(m[0] && m[7]) {
				t.Fatalf("seed %d: c = %s\nd = %s\nfacts %+v\nc, not not c, all, any, not c, not all, any not, d = %v", seed, c, d, f, m)
			}
		}
	}
}

// TestPropertyRaiseGreater: raising the fact of a true ">" or ">=" leaf
// never turns it false, and lowering the fact of a true "<" or "<=" leaf
// never does either; for line fields on any one line.
func TestPropertyRaiseGreater(t *testing.T) {
	checked := 0
	defer func() {
		if checked < 1000 {
			t.Errorf("only %d true leaves checked", checked)
		}
	}()
	for seed := range uint64(500) {
		g := newGen(seed)
		up := g.pick(2) == 0
		g.ops = []Op{OpGt, OpGe}
		if !up {
			g.ops = []Op{OpLt, OpLe}
		}
		c := g.leaf(false)
		rs := set(t, c)
		for range 20 {
			f := g.facts()
			if len(rs.Evaluate(f)) == 0 {
				continue
			}
			step := float64(g.pick(100)) / 4
			if !up {
				step = -step
			}
			f2 := f
			f2.Lines = slices.Clone(f.Lines)
			f2.Quote.Discount += step
			f2.Quote.TermMonths += int(step)
			f2.Quote.PaymentTermsDays += int(step)
			f2.Quote.ACV += step
			f2.Quote.PromiseMonthsAhead += step
			f2.Deal.Amount += step
			if len(f2.Lines) > 0 {
				l := &f2.Lines[g.pick(len(f2.Lines))]
				l.Quantity += step
				l.ListPrice += step
				l.Discount += step
				l.NetPrice += step
			}
			checked++
			if len(rs.Evaluate(f2)) == 0 {
				t.Fatalf("seed %d: %s held on %+v, not after moving by %v: %+v", seed, c, f, step, f2)
			}
		}
	}
}

// TestPropertyPositiveMonotone: a condition of ">" leaves under all, any and
// some-line only never turns false when every number grows.
func TestPropertyPositiveMonotone(t *testing.T) {
	for seed := range uint64(300) {
		g := newGen(seed)
		g.ops, g.positive = []Op{OpGt, OpGe}, true
		c := g.cond(3, false)
		rs := set(t, c)
		for range 20 {
			f := g.facts()
			if len(rs.Evaluate(f)) == 0 {
				continue
			}
			f2 := raise(g, f)
			if len(rs.Evaluate(f2)) == 0 {
				t.Fatalf("seed %d: %s held on %+v, not on %+v", seed, c, f, f2)
			}
		}
	}
}

// raise returns f with every number grown by a random amount (zero
// included), lines kept.
func raise(g *gen, f Facts) Facts {
	d := func() float64 { return float64(g.pick(4)) * 2.5 }
	f.Quote.Discount += d()
	f.Quote.TermMonths += int(d())
	f.Quote.PaymentTermsDays += int(d())
	f.Quote.ACV += d()
	f.Quote.PromiseMonthsAhead += d()
	f.Deal.Amount += d()
	f.Lines = slices.Clone(f.Lines)
	for i := range f.Lines {
		l := &f.Lines[i]
		l.Quantity += d()
		l.ListPrice += d()
		l.Discount += d()
		l.NetPrice += d()
	}
	return f
}

// TestPropertyDeterministic: Evaluate gives the same result twice, and the
// same matches and evidence (but for Evidence.Line) whatever the order of
// the lines.
func TestPropertyDeterministic(t *testing.T) {
	for seed := range uint64(200) {
		g := newGen(seed)
		conds := make([]string, 5)
		for i := range conds {
			conds[i] = g.cond(3, false)
		}
		rs := set(t, conds...)
		for range 10 {
			f := g.facts()
			a, b := rs.Evaluate(f), rs.Evaluate(f)
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("seed %d: two evaluations differ:\n%+v\n%+v", seed, a, b)
			}
			f2 := f
			f2.Lines = slices.Clone(f.Lines)
			g.r.Shuffle(len(f2.Lines), func(i, j int) { f2.Lines[i], f2.Lines[j] = f2.Lines[j], f2.Lines[i] })
			if x, y := summary(a), summary(rs.Evaluate(f2)); !slices.Equal(x, y) {
				t.Fatalf("seed %d: line order changes the result:\n%s\n---\n%s", seed, strings.Join(x, "\n"), strings.Join(y, "\n"))
			}
		}
	}
}

// summary renders matches without line indexes.
func summary(ms []Match) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Rule.Name+" "+m.SupersededBy)
		for _, e := range m.Evidence {
			out = append(out, "  "+e.Field+" "+string(e.Op)+" "+e.String())
		}
	}
	return out
}

// TestPropertyReapproveSame: on unchanged facts every approval stands.
func TestPropertyReapproveSame(t *testing.T) {
	for seed := range uint64(200) {
		g := newGen(seed)
		rs := set(t, g.cond(3, false), g.cond(3, false), g.cond(2, false))
		for range 10 {
			f := g.facts()
			ms := rs.Evaluate(f)
			for _, d := range Reapprove(ms, rs.Evaluate(f), f, f) {
				if !d.Stands || d.Reason != ReasonUnchanged {
					t.Fatalf("seed %d: %s re-requested on unchanged facts: %s", seed, d.Match.Rule.When, d.Reason)
				}
			}
		}
	}
}

// TestPropertyReapproveWeaker: for conditions of ">" and ">=" leaves, facts
// that only fall (and lines that only go) keep every approval whose rule
// still matches; facts that only rise keep every approval of rules with
// "<" and "<=" leaves.
func TestPropertyReapproveWeaker(t *testing.T) {
	stood := 0
	defer func() {
		if stood < 100 {
			t.Errorf("too few cases: %d approvals stood", stood)
		}
	}()
	for seed := range uint64(300) {
		g := newGen(seed)
		down := g.pick(2) == 0
		g.ops = []Op{OpLt, OpLe}
		if down {
			g.ops = []Op{OpGt, OpGe}
		}
		// Under not a ">" leaf acts as "<=", which weakens the other way:
		// keep to trees without not.
		g.positive = true
		rs := set(t, g.cond(3, false), g.cond(3, false))
		for range 10 {
			prev := g.facts()
			next := raise(g, prev)
			if down {
				prev, next = next, prev
			}
			if down && len(next.Lines) > 0 && g.pick(2) == 0 {
				next.Lines = next.Lines[:g.pick(len(next.Lines))]
			}
			pm := rs.Evaluate(prev)
			for _, d := range Reapprove(pm, rs.Evaluate(next), prev, next) {
				was := slices.ContainsFunc(pm, func(m Match) bool { return m.Rule.Name == d.Match.Rule.Name })
				if was {
					stood++
				}
				if was != d.Stands {
					t.Fatalf("seed %d (down %v): %s matched before %v, stands %v: %s\nprev %+v\nnext %+v",
						seed, down, d.Match.Rule.When, was, d.Stands, d.Reason, prev, next)
				}
			}
		}
	}
}
