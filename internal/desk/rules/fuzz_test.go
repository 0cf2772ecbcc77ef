package rules

import (
	"errors"
	"os"
	"testing"

	"github.com/tandemhq/tandem"
)

// FuzzParse: Parse never panics; it either fails with an EINVALID error
// that lists at least one problem, each located in the named file, or
// returns a rule set that evaluates, re-approves and checks approvers
// without panicking, and parses the same way twice.
func FuzzParse(f *testing.F) {
	example, err := os.ReadFile("testdata/rules.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	for _, s := range []string{
		"",
		"version: 1\nrules: []\n",
		`{"version": 1, "rules": [{"name": "a", "level": 1, "when": {"field": "flags", "op": "exists"}, "approvers": {"mode": "sequential", "steps": [{"role": "cs"}]}}]}`,
		rule(`{not: {some-line: {all: [{field: line.product, op: in, value: [a, b]}, {field: line.discount, op: ">", value: 5}]}}}`),
		rule(`&a {any: [*a]}`),
		"version: 1\nrules:\n  - &r {name: a}\n  - *r\n",
		"version: 1\nrules: [\n",
		"version: !!int x\nrules: !custom []\n",
		"version: 1\n<<: {rules: []}\n",
		"a: b\n---\nc: d\n",
	} {
		f.Add([]byte(s))
	}
	facts := []Facts{
		{},
		{Quote: QuoteFacts{Discount: 30, Billing: "upfront", Nonstandard: true, PaymentTermsDays: 90},
			Deal:  DealFacts{Segment: "enterprise", Amount: 1e6},
			Lines: []LineFacts{{Product: "a", Discount: 40}, {ID: "x", Product: "b", ProductClass: "strategic", Discount: 25}},
			Flags: []string{"loss-pattern"}},
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := Parse("f.yaml", data)
		if err != nil {
			if rs != nil {
				t.Fatal("a rule set and an error")
			}
			if c := tandem.ErrorCode(err); c != tandem.EINVALID {
				t.Fatalf("code %q: %v", c, err)
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) == 0 {
				t.Fatalf("no problems listed: %v", err)
			}
			for _, p := range ve.Problems {
				if p.File != "f.yaml" || p.Message == "" || p.Line < 0 || p.Column < 0 {
					t.Fatalf("bad problem %+v", p)
				}
			}
			return
		}
		again, err := Parse("f.yaml", data)
		if err != nil || len(again.Rules) != len(rs.Rules) {
			t.Fatalf("second parse differs: %v", err)
		}
		for i := range rs.Rules {
			if rs.Rules[i].key != again.Rules[i].key {
				t.Fatalf("rule %d parses as %q, then %q", i, rs.Rules[i].key, again.Rules[i].key)
			}
		}
		m0, m1 := rs.Evaluate(facts[0]), rs.Evaluate(facts[1])
		for _, m := range append(m0, m1...) {
			for _, e := range m.Evidence {
				_ = e.String()
			}
		}
		Reapprove(m0, m1, facts[0], facts[1])
		Reapprove(m1, m0, facts[1], facts[0])
		_ = rs.CheckApprovers(company())
	})
}
