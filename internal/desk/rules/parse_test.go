package rules

import (
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

// mustParse parses src or fails the test.
func mustParse(t testing.TB, src string) *RuleSet {
	t.Helper()
	rs, err := Parse("t.yaml", []byte(src))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return rs
}

// problems parses src, which must fail, and returns the problems as strings
// after checking the error's code and type.
func problems(t *testing.T, src string) []string {
	t.Helper()
	rs, err := Parse("bad.yaml", []byte(src))
	if err == nil {
		t.Fatalf("Parse accepted %q: %+v", src, rs)
	}
	if rs != nil {
		t.Errorf("Parse returned a rule set with an error")
	}
	if c := tandem.ErrorCode(err); c != tandem.EINVALID {
		t.Errorf("code %q, want %q", c, tandem.EINVALID)
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("error %T does not wrap *ValidationError", err)
	}
	var out []string
	for _, p := range ve.Problems {
		out = append(out, p.String())
		if !strings.Contains(err.Error(), p.String()) {
			t.Errorf("message %q does not list %q", err.Error(), p.String())
		}
	}
	return out
}

func TestParseExample(t *testing.T) {
	data, err := os.ReadFile("testdata/rules.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rs, err := Parse("rules.yaml", data)
	if err != nil {
		t.Fatalf("the canonical example does not parse: %v", err)
	}
	if rs.Version != 1 || rs.SLA != 24*time.Hour || len(rs.Rules) != 9 {
		t.Fatalf("version %d, sla %v, %d rules", rs.Version, rs.SLA, len(rs.Rules))
	}
	r, ok := rs.Rule("discount-over-40")
	if !ok || r.Level != 3 || r.Chain != "discount" || r.SLA != 48*time.Hour ||
		r.Approvers.String() != "sequential: managers-manager, user cfo@example.com" {
		t.Errorf("discount-over-40 = %+v", r)
	}
	r, _ = rs.Rule("long-payment-terms")
	if got := r.When.String(); got != "quote.payment_terms_days > 60" || r.SLA != 12*time.Hour {
		t.Errorf("long-payment-terms: %s, sla %v", got, r.SLA)
	}
	r, _ = rs.Rule("strategic-line-deep-discount")
	if got := r.When.String(); got != `some-line(all(line.product_class = "strategic", line.discount >= 20))` {
		t.Errorf("strategic-line-deep-discount: %s", got)
	}
	if r.Pos != (Position{Line: 51, Column: 5}) {
		t.Errorf("strategic-line-deep-discount at %+v", r.Pos)
	}
	r, _ = rs.Rule("large-enterprise-deal")
	if got := r.When.String(); got != `all(deal.segment in ("enterprise", "strategic"), deal.amount >= 250000, not(deal.archetype exists))` {
		t.Errorf("large-enterprise-deal: %s", got)
	}
}

// TestParseJSON: JSON is YAML 1.2, tabs and all, and means the same.
func TestParseJSON(t *testing.T) {
	src := "{\n\t\"version\": 1,\n\t\"sla\": \"2d\",\n\t\"rules\": [\n\t\t{\n\t\t\t\"name\": \"discount-over-10\",\n\t\t\t\"level\": 1,\n" +
		"\t\t\t\"when\": {\"any\": [{\"field\": \"line.discount\", \"op\": \">\", \"value\": 10}, {\"field\": \"quote.discount\", \"op\": \">\", \"value\": 10.5}]},\n" +
		"\t\t\t\"approvers\": {\"mode\": \"parallel-any\", \"steps\": [{\"relation\": \"manager\"}, {\"role\": \"finance\"}, {\"user\": \"CFO@Example.com\"}]}\n\t\t}\n\t]\n}\n"
	rs := mustParse(t, src)
	r := rs.Rules[0]
	if rs.SLA != 48*time.Hour || r.When.String() != "any(line.discount > 10, quote.discount > 10.5)" ||
		r.Approvers.String() != "parallel-any: manager, role finance, user cfo@example.com" || r.SLA != 48*time.Hour {
		t.Errorf("JSON rule set: sla %v, %s, %s", rs.SLA, r.When, r.Approvers)
	}
	if _, err := Parse("t.json", []byte(`{"version": 1, "rules": [], "extra": true}`)); err == nil ||
		!strings.Contains(err.Error(), `t.json:1:29: extra: unknown key "extra"`) {
		t.Errorf("unknown JSON key: %v", err)
	}
}

const head = "version: 1\nrules:\n"

// rule wraps a condition in a valid rule, starting at line 3.
func rule(when string) string {
	return head + "  - name: r\n    level: 1\n    approvers: {mode: sequential, steps: [{role: finance}]}\n    when: " + when + "\n"
}

func TestParseGood(t *testing.T) {
	for _, tc := range []struct {
		name, src, when string
	}{
		{"leaf", rule(`{field: quote.discount, op: ">=", value: 12.5}`), "quote.discount >= 12.5"},
		{"negative number", rule(`{field: line.discount, op: "<", value: -1}`), "line.discount < -1"},
		{"text in", rule(`{field: deal.segment, op: in, value: [smb, "mid market"]}`), `deal.segment in ("smb", "mid market")`},
		{"numbers not-in", rule(`{field: quote.term_months, op: not-in, value: [12, 24, 36]}`), "quote.term_months not-in (12, 24, 36)"},
		{"days as weeks", rule(`{field: quote.payment_terms_days, op: ">", value: 6w}`), "quote.payment_terms_days > 42"},
		{"days as number", rule(`{field: quote.payment_terms_days, op: "<=", value: 30}`), "quote.payment_terms_days <= 30"},
		{"bool", rule(`{field: quote.features_beta, op: "!=", value: false}`), "quote.features_beta != false"},
		{"contains", rule(`{field: flags, op: contains, value: discount-above-band}`), `flags contains "discount-above-band"`},
		{"exists list", rule(`{field: flags, op: exists}`), "flags exists"},
		{"quoted number as text", rule(`{field: deal.archetype, op: "=", value: "2024"}`), `deal.archetype = "2024"`},
		{"nested", rule(`{all: [{not: {any: [{field: quote.nonstandard, op: "=", value: true}]}}, {some-line: {field: line.product, op: "=", value: x}}]}`),
			`all(not(any(quote.nonstandard = true)), some-line(line.product = "x"))`},
		{"anchor without alias", rule(`&a {field: flags, op: exists}`), "flags exists"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs := mustParse(t, tc.src)
			if got := rs.Rules[0].When.String(); got != tc.when {
				t.Errorf("when = %s, want %s", got, tc.when)
			}
		})
	}
	rs := mustParse(t, "version: 1\nrules: []\n")
	if len(rs.Rules) != 0 || rs.SLA != DefaultSLA {
		t.Errorf("empty set: %+v", rs)
	}
}

func TestParseBad(t *testing.T) {
	steps := func(s string) string {
		return head + "  - name: r\n    level: 1\n    when: {field: flags, op: exists}\n    approvers: " + s + "\n"
	}
	for _, tc := range []struct {
		name string
		src  string
		want []string
	}{
		{"empty file", "", []string{"bad.yaml: the file is empty (a rule set starts with version: 1)"}},
		{"comment only", "# nothing\n", []string{"bad.yaml: the file is empty (a rule set starts with version: 1)"}},
		{"syntax", "version: 1\nrules: [\n", []string{"bad.yaml:2: YAML syntax: did not find expected node content"}},
		{"two documents", "version: 1\nrules: []\n---\nversion: 1\n", []string{"bad.yaml:3:1: a second YAML document; a rule file holds one"}},
		{"not a mapping", "- 1\n", []string{"bad.yaml:1:1: must be a mapping, not a list"}},
		{"missing version and rules", "sla: 2h\n", []string{"bad.yaml:1:1: version: missing (write version: 1)", "bad.yaml:1:1: rules: missing (write rules: [] for a set with no rules)"}},
		{"version", "version: 2\nrules: []\n", []string{"bad.yaml:1:10: version: unsupported version number 2 (this Tandem reads version 1)"}},
		{"unknown top key", "version: 1\nrule: []\nrules: []\n", []string{`bad.yaml:2:1: rule: unknown key "rule" (did you mean "rules"?)`}},
		{"duplicate key", "version: 1\nversion: 1\nrules: []\n", []string{`bad.yaml:2:1: version: duplicate key "version" (first at line 1)`}},
		{"bad set sla", "version: 1\nsla: 24\nrules: []\n", []string{`bad.yaml:2:6: sla: must be a duration such as "24h", "90m" or "2d", not number 24`}},
		{"bad sla text", "version: 1\nsla: 3x\nrules: []\n", []string{`bad.yaml:2:6: sla: bad duration "3x": want a duration such as "24h", "90m" or "2d"`}},
		{"negative sla", "version: 1\nsla: -1h\nrules: []\n", []string{`bad.yaml:2:6: sla: bad duration "-1h": must be positive`}},
		{"rules not a list", "version: 1\nrules: {}\n", []string{"bad.yaml:2:8: rules: must be a list of rules, not a mapping"}},
		{"unknown field", rule(`{field: quote.discnt, op: ">", value: 1}`),
			[]string{`bad.yaml:6:19: rules[0].when.field: unknown field "quote.discnt" (did you mean "quote.discount"?)`}},
		{"bad operator", rule(`{field: quote.discount, op: "=>", value: 1}`),
			[]string{`bad.yaml:6:39: rules[0].when.op: unknown operator "=>" (use =, !=, >, >=, <, <=, in, not-in, contains, exists)`}},
		{"operator for kind", rule(`{field: deal.segment, op: ">", value: smb}`),
			[]string{`bad.yaml:6:37: rules[0].when.op: operator ">" does not apply to text field deal.segment (use =, !=, in, not-in, exists)`}},
		{"exists on number", rule(`{field: deal.amount, op: exists}`),
			[]string{`bad.yaml:6:36: rules[0].when.op: operator "exists" does not apply to number field deal.amount (use =, !=, >, >=, <, <=, in, not-in)`}},
		{"contains on text", rule(`{field: line.product, op: contains, value: x}`),
			[]string{`bad.yaml:6:37: rules[0].when.op: operator "contains" does not apply to text field line.product (use =, !=, in, not-in, exists)`}},
		{"value type number", rule(`{field: quote.discount, op: ">", value: ten}`),
			[]string{`bad.yaml:6:51: rules[0].when.value: must be a number for quote.discount, not "ten"`}},
		{"value type text", rule(`{field: deal.segment, op: "=", value: 5}`),
			[]string{`bad.yaml:6:49: rules[0].when.value: must be text for deal.segment, not number 5 (quote it to compare as text)`}},
		{"value type bool", rule(`{field: quote.nonstandard, op: "=", value: "yes"}`),
			[]string{`bad.yaml:6:54: rules[0].when.value: must be true or false for quote.nonstandard, not "yes"`}},
		{"value days", rule(`{field: quote.payment_terms_days, op: ">", value: 2m}`),
			[]string{`bad.yaml:6:61: rules[0].when.value: must be a number of days ("45", "45d" or "6w") for quote.payment_terms_days, not "2m"`}},
		{"in needs list", rule(`{field: deal.segment, op: in, value: smb}`),
			[]string{"bad.yaml:6:48: rules[0].when.value: must be a list of values, not \"smb\""}},
		{"in empty", rule(`{field: deal.segment, op: in, value: []}`),
			[]string{"bad.yaml:6:48: rules[0].when.value: empty: in needs at least one value"}},
		{"in item", rule(`{field: deal.amount, op: in, value: [1, x]}`),
			[]string{`bad.yaml:6:51: rules[0].when.value[1]: must be a number for deal.amount, not "x"`}},
		{"exists with value", rule(`{field: flags, op: exists, value: x}`),
			[]string{"bad.yaml:6:45: rules[0].when.value: exists takes no value"}},
		{"missing value", rule(`{field: flags, op: contains}`),
			[]string{"bad.yaml:6:11: rules[0].when.value: missing: contains needs a value"}},
		{"NaN", rule(`{field: deal.amount, op: ">", value: .nan}`),
			[]string{"bad.yaml:6:48: rules[0].when.value: must be a number for deal.amount, not number .nan"}},
		{"empty when", rule(`{}`), []string{"bad.yaml:6:11: rules[0].when: empty condition: use all, any, not, some-line or a field"}},
		{"null when", rule(``), []string{"bad.yaml:6:10: rules[0].when: must be a mapping, not nothing"}},
		{"empty any", rule(`{any: []}`), []string{"bad.yaml:6:17: rules[0].when.any: empty: any needs at least one condition"}},
		{"two forms", rule(`{all: [{field: flags, op: exists}], field: flags}`),
			[]string{"bad.yaml:6:11: rules[0].when: a condition has exactly one of all, any, not, some-line or field/op/value; found all, field"}},
		{"unknown condition key", rule(`{field: flags, op: exists, vale: 1}`),
			[]string{`bad.yaml:6:38: rules[0].when.vale: unknown key "vale" (did you mean "value"?)`}},
		{"quote field in some-line", rule(`{some-line: {field: quote.discount, op: ">", value: 1}}`),
			[]string{"bad.yaml:6:31: rules[0].when.some-line.field: quote.discount is not a line field; inside some-line only line.* fields apply"}},
		{"alias", head + "  - name: r\n    level: 1\n    when: &c {field: flags, op: exists}\n    approvers: {mode: sequential, steps: [{role: finance}]}\n  - name: s\n    level: 1\n    when: *c\n    approvers: {mode: sequential, steps: [{role: finance}]}\n",
			[]string{"bad.yaml:9:11: rules[1].when: aliases (*c) are not supported in rule files; write the value out"}},
		{"duplicate rule name", head + "  - {name: r, level: 1, when: {field: flags, op: exists}, approvers: {mode: sequential, steps: [{role: cs}]}}\n  - {name: r, level: 2, when: {field: flags, op: exists}, approvers: {mode: sequential, steps: [{role: cs}]}}\n",
			[]string{`bad.yaml:4:12: rules[1].name: duplicate rule name "r" (first at line 3)`}},
		{"bad name", head + "  - {name: Big_Rule, level: 1, when: {field: flags, op: exists}, approvers: {mode: sequential, steps: [{role: cs}]}}\n",
			[]string{`bad.yaml:3:12: rules[0].name: bad name "Big_Rule": use 1 to 64 lower-case letters, digits and hyphens`}},
		{"bad level", head + "  - {name: r, level: 0, when: {field: flags, op: exists}, approvers: {mode: sequential, steps: [{role: cs}]}}\n",
			[]string{"bad.yaml:3:22: rules[0].level: must be a whole number from 1 to 99, not number 0"}},
		{"fractional level", head + "  - {name: r, level: 1.5, when: {field: flags, op: exists}, approvers: {mode: sequential, steps: [{role: cs}]}}\n",
			[]string{"bad.yaml:3:22: rules[0].level: must be a whole number from 1 to 99, not number 1.5"}},
		{"missing rule keys", head + "  - {name: r}\n", []string{
			"bad.yaml:3:5: rules[0].level: missing (1 is the lowest level)",
			"bad.yaml:3:5: rules[0].when: missing: a rule needs a condition",
			"bad.yaml:3:5: rules[0].approvers: missing"}},
		{"bad rule sla", head + "  - {name: r, level: 1, sla: 0d, when: {field: flags, op: exists}, approvers: {mode: sequential, steps: [{role: cs}]}}\n",
			[]string{`bad.yaml:3:30: rules[0].sla: bad duration "0d": want a duration such as "24h", "90m" or "2d"`}},
		{"bad mode", steps(`{mode: serial, steps: [{role: finance}]}`),
			[]string{`bad.yaml:6:23: rules[0].approvers.mode: unknown mode "serial" (use sequential, parallel-any or parallel-all)`}},
		{"no steps", steps(`{mode: sequential, steps: []}`),
			[]string{"bad.yaml:6:42: rules[0].approvers.steps: empty: name at least one approver"}},
		{"step with no approver", steps(`{mode: sequential, steps: [{}]}`),
			[]string{"bad.yaml:6:43: rules[0].approvers.steps[0]: names no approver: give one of relation, role or user"}},
		{"step with two approvers", steps(`{mode: sequential, steps: [{role: finance, user: a@b.c}]}`),
			[]string{"bad.yaml:6:59: rules[0].approvers.steps[0]: names two kinds of approver (role and user); give exactly one of relation, role or user"}},
		{"unknown role", steps(`{mode: sequential, steps: [{role: vp}]}`),
			[]string{`bad.yaml:6:50: rules[0].approvers.steps[0].role: unknown role "vp" (use admin, revops, product, sales, cs, finance)`}},
		{"unknown relation", steps(`{mode: sequential, steps: [{relation: boss}]}`),
			[]string{`bad.yaml:6:54: rules[0].approvers.steps[0].relation: unknown relation "boss" (use manager or managers-manager)`}},
		{"bad user", steps(`{mode: sequential, steps: [{user: bob}]}`),
			[]string{`bad.yaml:6:50: rules[0].approvers.steps[0].user: "bob" is not an e-mail address; users are named by e-mail`}},
		{"too deep", rule(strings.Repeat("{not: ", 40) + "{field: flags, op: exists}" + strings.Repeat("}", 40)),
			[]string{"bad.yaml:6:203: rules[0].when" + strings.Repeat(".not", 32) + ": conditions nest deeper than 32 levels"}},
		{"too large", "version: 1\n#" + strings.Repeat("x", MaxSize) + "\nrules: []\n",
			[]string{"bad.yaml: the file is 1048599 bytes; rule files are limited to 1048576"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := problems(t, tc.src)
			if !slices.Equal(got, tc.want) {
				t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// TestParseAllAtOnce: every problem of a file comes back in one error, in
// file order, and the error message lists them all.
func TestParseAllAtOnce(t *testing.T) {
	src := `version: 1
rules:
  - name: a
    level: 1
    when: {field: quote.discount, op: "~", value: 1}
    approvers: {mode: sequential, steps: [{role: ceo}]}
  - name: a
    level: 100
    when: {any: [{field: deal.segmnt, op: "=", value: smb}]}
    approvers: {mode: all, steps: [{role: finance, relation: manager}]}
    colour: red
`
	got := problems(t, src)
	want := []string{
		`bad.yaml:5:39: rules[0].when.op: unknown operator "~" (use =, !=, >, >=, <, <=, in, not-in, contains, exists)`,
		`bad.yaml:6:50: rules[0].approvers.steps[0].role: unknown role "ceo" (use admin, revops, product, sales, cs, finance)`,
		`bad.yaml:7:11: rules[1].name: duplicate rule name "a" (first at line 3)`,
		`bad.yaml:8:12: rules[1].level: must be a whole number from 1 to 99, not number 100`,
		`bad.yaml:9:26: rules[1].when.any[0].field: unknown field "deal.segmnt" (did you mean "deal.segment"?)`,
		`bad.yaml:10:23: rules[1].approvers.mode: unknown mode "all" (use sequential, parallel-any or parallel-all)`,
		`bad.yaml:10:52: rules[1].approvers.steps[0]: names two kinds of approver (role and relation); give exactly one of relation, role or user`,
		`bad.yaml:11:5: rules[1].colour: unknown key "colour"`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	_, err := Parse("bad.yaml", []byte(src))
	if !strings.HasPrefix(err.Error(), "invalid rule set bad.yaml (8 problems):\n") {
		t.Errorf("message starts %q", err.Error()[:60])
	}
	if msg := tandem.ErrorMessage(err); msg != err.Error() {
		t.Errorf("ErrorMessage hides the problems: %q", msg)
	}
}

// TestParseManyProblems: a file with thousands of problems gives a bounded
// list that says some were left out.
func TestParseManyProblems(t *testing.T) {
	src := head + strings.Repeat("  - {name: X}\n", 500)
	_, err := Parse("bad.yaml", []byte(src))
	var ve *ValidationError
	if !errors.As(err, &ve) || len(ve.Problems) != maxProblems+1 {
		t.Fatalf("err %v", err)
	}
	if last := ve.Problems[maxProblems].Message; !strings.Contains(last, "more problems not listed") {
		t.Errorf("last problem %q", last)
	}
}

// TestFieldsDocumented: the package doc's field table lists every field of
// the schema with its kind, so the doc cannot drift from the table.
func TestFieldsDocumented(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Fields() {
		found := false
		for line := range strings.SplitSeq(string(doc), "\n") {
			fs := strings.Fields(strings.TrimPrefix(line, "//"))
			if len(fs) >= 2 && fs[0] == f.Name && fs[1] == f.Kind.String() {
				found = true
			}
		}
		if !found {
			t.Errorf("doc.go does not list %s (%s)", f.Name, f.Kind)
		}
		if f.Label == "" || f.Doc == "" {
			t.Errorf("%s has no label or doc", f.Name)
		}
		if f.Line != strings.HasPrefix(f.Name, "line.") {
			t.Errorf("%s: Line = %v", f.Name, f.Line)
		}
	}
}
