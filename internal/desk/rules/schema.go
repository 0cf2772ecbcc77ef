package rules

import (
	"math"
	"strconv"
	"strings"
)

// Kind is the type of a field's value; it decides which operators and rule
// values a leaf on the field may use.
type Kind int

// The kinds of field. KindDays is a duration counted in whole days, kept
// apart from KindNumber so that rule files may write "45d" or "6w".
const (
	KindNumber Kind = iota + 1
	KindText
	KindBool
	KindList
	KindDays
)

// String names the kind as the package doc does.
func (k Kind) String() string {
	switch k {
	case KindNumber:
		return "number"
	case KindText:
		return "text"
	case KindBool:
		return "bool"
	case KindList:
		return "list"
	case KindDays:
		return "duration-days"
	default:
		return "kind(" + strconv.Itoa(int(k)) + ")"
	}
}

// Field is one name a condition can test.
type Field struct {
	// Name is the dotted name used in rule files: "line.discount".
	Name string
	// Kind is the type of the field's value.
	Kind Kind
	// Line is true for line.* fields, which have one value per quote line.
	Line bool
	// Label is the field in words, for evidence and reasons: "line discount".
	Label string
	// Unit follows numbers in evidence and reasons: "%", " months".
	Unit string
	// Doc is one sentence for the rules editor and the docs.
	Doc string
}

// fieldSpec is a Field and how to read it from Facts: one typed reader,
// the one of the field's kind, so that evaluation compares plain values
// without building a Value per leaf. line is the index of the quote line for
// line fields, and ignored by the others.
type fieldSpec struct {
	Field
	num  func(f *Facts, line int) float64
	text func(f *Facts, line int) string
	flag func(f *Facts, line int) bool
	list func(f *Facts, line int) []string
}

// get reads the field as a Value, for evidence and re-approval.
func (s *fieldSpec) get(f *Facts, line int) Value {
	switch s.Kind {
	case KindNumber, KindDays:
		return Value{Kind: s.Kind, Number: s.num(f, line)}
	case KindText:
		return Value{Kind: KindText, Text: s.text(f, line)}
	case KindBool:
		return Value{Kind: KindBool, Bool: s.flag(f, line)}
	case KindList:
		return Value{Kind: KindList, List: s.list(f, line)}
	}
	return Value{}
}

// field builds a Field; line fields are exactly those named line.*, so the
// table cannot get the two out of step.
func field(name string, k Kind, label, unit, doc string) Field {
	return Field{Name: name, Kind: k, Line: strings.HasPrefix(name, "line."), Label: label, Unit: unit, Doc: doc}
}

// numberField, daysField, textField, boolField and listField build table
// rows with the one reader their kind needs.
func numberField(name, label, unit, doc string, get func(*Facts, int) float64) fieldSpec {
	return fieldSpec{Field: field(name, KindNumber, label, unit, doc), num: get}
}

func daysField(name, label, doc string, get func(*Facts, int) float64) fieldSpec {
	return fieldSpec{Field: field(name, KindDays, label, " days", doc), num: get}
}

func textField(name, label, doc string, get func(*Facts, int) string) fieldSpec {
	return fieldSpec{Field: field(name, KindText, label, "", doc), text: get}
}

func boolField(name, label, doc string, get func(*Facts, int) bool) fieldSpec {
	return fieldSpec{Field: field(name, KindBool, label, "", doc), flag: get}
}

func listField(name, label, doc string, get func(*Facts, int) []string) fieldSpec {
	return fieldSpec{Field: field(name, KindList, label, "", doc), list: get}
}

// schema is the table of fields. It is a function, not a package variable,
// so that no caller can change the language under another's feet; Parse
// calls it once per rule set and the compiled leaves point into the result.
func schema() []fieldSpec {
	return []fieldSpec{
		numberField("quote.discount", "quote discount", "%", "Overall discount of the quote, in percent of list.",
			func(f *Facts, _ int) float64 { return f.Quote.Discount }),
		numberField("quote.term_months", "contract term", " months", "Contract term in months.",
			func(f *Facts, _ int) float64 { return float64(f.Quote.TermMonths) }),
		daysField("quote.payment_terms_days", "payment term", "Payment terms in days.",
			func(f *Facts, _ int) float64 { return float64(f.Quote.PaymentTermsDays) }),
		textField("quote.billing", "billing", "Billing frequency: monthly, quarterly, annual, upfront...",
			func(f *Facts, _ int) string { return f.Quote.Billing }),
		numberField("quote.acv", "ACV", "", "Annual contract value, in the deal's currency.",
			func(f *Facts, _ int) float64 { return f.Quote.ACV }),
		boolField("quote.nonstandard", "non-standard terms", "The quote has non-standard terms.",
			func(f *Facts, _ int) bool { return f.Quote.Nonstandard }),
		boolField("quote.features_beta", "beta features", "A feature promised in the quote is in beta.",
			func(f *Facts, _ int) bool { return f.Quote.FeaturesBeta }),
		boolField("quote.features_unreleased", "unreleased features", "A feature promised in the quote is unreleased.",
			func(f *Facts, _ int) bool { return f.Quote.FeaturesUnreleased }),
		numberField("quote.promise_months_ahead", "feature promise horizon", " months", "Months from the quote to its furthest feature promise (0 when none).",
			func(f *Facts, _ int) float64 { return f.Quote.PromiseMonthsAhead }),
		textField("deal.segment", "segment", "The deal's segment.",
			func(f *Facts, _ int) string { return f.Deal.Segment }),
		numberField("deal.amount", "deal amount", "", "The deal's amount, in its currency.",
			func(f *Facts, _ int) float64 { return f.Deal.Amount }),
		textField("deal.archetype", "archetype", "The archetype the deal matched (empty for none).",
			func(f *Facts, _ int) string { return f.Deal.Archetype }),
		listField("flags", "flags", "Codes of the guardrail flags raised on the quote.",
			func(f *Facts, _ int) []string { return f.Flags }),
		textField("line.product", "line product", "A line's product.",
			func(f *Facts, i int) string { return f.Lines[i].Product }),
		textField("line.product_class", "line product class", "A line's product class: strategic, core, maintenance...",
			func(f *Facts, i int) string { return f.Lines[i].ProductClass }),
		numberField("line.quantity", "line quantity", "", "A line's quantity.",
			func(f *Facts, i int) float64 { return f.Lines[i].Quantity }),
		numberField("line.list_price", "line list price", "", "A line's list price.",
			func(f *Facts, i int) float64 { return f.Lines[i].ListPrice }),
		numberField("line.discount", "line discount", "%", "A line's discount, in percent of list.",
			func(f *Facts, i int) float64 { return f.Lines[i].Discount }),
		numberField("line.net_price", "line net price", "", "A line's net price.",
			func(f *Facts, i int) float64 { return f.Lines[i].NetPrice }),
	}
}

// Fields lists the fields conditions can test, in the order of the package
// doc, for the rules editor and the docs.
func Fields() []Field {
	specs := schema()
	out := make([]Field, len(specs))
	for i, s := range specs {
		out[i] = s.Field
	}
	return out
}

// lookupField finds a field by name in specs.
func lookupField(specs []fieldSpec, name string) (*fieldSpec, bool) {
	for i := range specs {
		if specs[i].Name == name {
			return &specs[i], true
		}
	}
	return nil, false
}

// Op is a leaf's operator.
type Op string

// The operators of rule files.
const (
	OpEq       Op = "="
	OpNe       Op = "!="
	OpGt       Op = ">"
	OpGe       Op = ">="
	OpLt       Op = "<"
	OpLe       Op = "<="
	OpIn       Op = "in"
	OpNotIn    Op = "not-in"
	OpContains Op = "contains"
	OpExists   Op = "exists"
)

// Operators that rule files cannot write but evidence shows, for contains
// and exists leaves under not: every other operator has a written negation.
const (
	OpNotContains Op = "not-contains"
	OpNotExists   Op = "not-exists"
)

// fileOps are the operators a rule file may use, in the order messages list
// them.
func fileOps() []Op {
	return []Op{OpEq, OpNe, OpGt, OpGe, OpLt, OpLe, OpIn, OpNotIn, OpContains, OpExists}
}

// opsFor returns the operators that apply to a kind.
func opsFor(k Kind) []Op {
	switch k {
	case KindNumber, KindDays:
		return []Op{OpEq, OpNe, OpGt, OpGe, OpLt, OpLe, OpIn, OpNotIn}
	case KindText:
		return []Op{OpEq, OpNe, OpIn, OpNotIn, OpExists}
	case KindBool:
		return []Op{OpEq, OpNe}
	case KindList:
		return []Op{OpContains, OpExists}
	}
	return nil
}

// negate returns the operator that holds exactly when op does not, which is
// how not is pushed down to the leaves.
func negate(op Op) Op {
	switch op {
	case OpEq:
		return OpNe
	case OpNe:
		return OpEq
	case OpGt:
		return OpLe
	case OpLe:
		return OpGt
	case OpGe:
		return OpLt
	case OpLt:
		return OpGe
	case OpIn:
		return OpNotIn
	case OpNotIn:
		return OpIn
	case OpContains:
		return OpNotContains
	case OpNotContains:
		return OpContains
	case OpExists:
		return OpNotExists
	case OpNotExists:
		return OpExists
	}
	return op
}

// Value is a typed value: a fact, or a value written in a rule.
type Value struct {
	// Kind says which of the other fields is meant.
	Kind Kind
	// Number holds KindNumber, and KindDays as a count of days.
	Number float64
	// Text holds KindText.
	Text string
	// Bool holds KindBool.
	Bool bool
	// List holds KindList.
	List []string
}

// String renders the value without unit: numbers in shortest form, text as
// is, lists as "[a, b]".
func (v Value) String() string {
	switch v.Kind {
	case KindNumber, KindDays:
		return strconv.FormatFloat(v.Number, 'f', -1, 64)
	case KindText:
		return v.Text
	case KindBool:
		return strconv.FormatBool(v.Bool)
	case KindList:
		return "[" + strings.Join(v.List, ", ") + "]"
	}
	return ""
}

// quoted renders the value as in a canonical condition: text quoted, the
// rest as String.
func (v Value) quoted() string {
	if v.Kind == KindText {
		return strconv.Quote(v.Text)
	}
	return v.String()
}

// withUnit renders a fact for people: numbers with the field's unit, text
// quoted.
func (v Value) withUnit(unit string) string {
	switch v.Kind {
	case KindNumber, KindDays:
		// Facts are computed (15.000000000000002%); people read two
		// decimals at most.
		return strconv.FormatFloat(math.Round(v.Number*100)/100, 'f', -1, 64) + unit
	case KindText:
		return strconv.Quote(v.Text)
	}
	return v.String()
}

// Facts are what conditions test: the quote version, its deal, its lines and
// the guardrail flags raised on it. Zero values mean "none": an empty text,
// no lines, no flags; a number the caller does not know is zero.
type Facts struct {
	Quote QuoteFacts
	Deal  DealFacts
	Lines []LineFacts
	Flags []string
}

// QuoteFacts are the quote-level facts (fields quote.*).
type QuoteFacts struct {
	Discount           float64 // overall discount, %
	TermMonths         int
	PaymentTermsDays   int
	Billing            string
	ACV                float64
	Nonstandard        bool
	FeaturesBeta       bool
	FeaturesUnreleased bool
	PromiseMonthsAhead float64
}

// DealFacts are the facts of the quote's deal (fields deal.*).
type DealFacts struct {
	Segment   string
	Amount    float64
	Archetype string
}

// LineFacts are one quote line (fields line.*). ID is the quote line's
// identity, stable across quote versions; Reapprove uses it to tell a
// changed line from a new one, and falls back to the product when it is
// empty.
type LineFacts struct {
	ID           string
	Product      string
	ProductClass string
	Quantity     float64
	ListPrice    float64
	Discount     float64 // %
	NetPrice     float64
}

// lineKey is line i's identity across quote versions: its ID, else its
// product, numbered from the second line of the same product on ("core#2"),
// else its position ("#3"). Computed on demand because Evaluate needs it
// only for evidence.
func lineKey(f *Facts, i int) string {
	l := f.Lines[i]
	if l.ID != "" {
		return l.ID
	}
	if l.Product == "" {
		return "#" + strconv.Itoa(i+1)
	}
	n := 1
	for _, o := range f.Lines[:i] {
		if o.ID == "" && o.Product == l.Product {
			n++
		}
	}
	if n == 1 {
		return l.Product
	}
	return l.Product + "#" + strconv.Itoa(n)
}

// lineIndex maps each line's key to its index.
func lineIndex(f *Facts) map[string]int {
	m := make(map[string]int, len(f.Lines))
	for i := range f.Lines {
		m[lineKey(f, i)] = i
	}
	return m
}
