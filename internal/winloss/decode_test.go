package winloss

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
)

func TestParseTaxonomy(t *testing.T) {
	yml := `reasons:
  - {code: price, label: Price, category: price, addressed_by: [usage-pricing]}
  - code: missing-feature:sso
    label: Missing SSO
    category: missing-feature
    feature: sso
value_map:
  Too expensive: price
  "no sso": missing-feature:sso
`
	tax, err := ParseTaxonomy("t.yaml", []byte(yml), Known{Features: map[string]bool{"sso": true, "usage-pricing": true}})
	if err != nil {
		t.Fatal(err)
	}
	if len(tax.Reasons) != 2 || tax.Reasons[0].AddressedBy[0] != "usage-pricing" || tax.Reasons[1].Feature != "sso" || tax.ValueMap["no sso"] != "missing-feature:sso" {
		t.Errorf("%+v", tax)
	}
	js, _ := json.Marshal(tax)
	again, err := ParseTaxonomy("t.json", js, Known{})
	if err != nil || len(again.Reasons) != 2 {
		t.Errorf("JSON round trip: %v %+v", err, again)
	}
	for _, c := range []struct{ src, want string }{
		{"", "is empty"},
		{"reasons: [{code: price, lable: Price, category: price}]", `unknown field "lable"`},
		{"reasons: []\n---\nreasons: []", "more than one document"},
		{"a: &x [1]\nb: *x", "aliases"},
		{"reasons: [{code: price, code: p, label: P, category: price}]", "appears twice"},
		{"reasons: [", "t.yaml:"},
		{"reasons: [{code: price, label: Price, category: cost}]", `category "cost"`},
		{"reasons: {code: price}", "cannot unmarshal"},
		{strings.Repeat("[", 40) + strings.Repeat("]", 40), "nested more than"},
	} {
		_, err := ParseTaxonomy("t.yaml", []byte(c.src), Known{})
		if tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want EINVALID with %q", c.src, err, c.want)
		}
	}
}

// FuzzDecode checks that Decode never panics and that whatever it accepts
// is a taxonomy Validate can judge.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"reasons: [{code: price, label: Price, category: price}]",
		`{"reasons":[{"code":"a","label":"A","category":"other"}],"value_map":{"x":"a"}}`,
		"a: &x [1]\nb: *x", "- 1\n- 2", "reasons: [{code: 2025-01-01, label: !!binary aGk=, category: .nan}]",
		"<<: {a: 1}", "? [a]\n: b",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var tax tandem.Taxonomy
		if err := Decode("f.yaml", data, &tax); err != nil {
			if tandem.ErrorCode(err) != tandem.EINVALID {
				t.Fatalf("error code %q: %v", tandem.ErrorCode(err), err)
			}
			return
		}
		if err := Validate(tax, Known{}); err != nil && tandem.ErrorCode(err) != tandem.EINVALID {
			t.Fatalf("validate: %v", err)
		}
		NewMapper(tax).Map(string(data))
	})
}
