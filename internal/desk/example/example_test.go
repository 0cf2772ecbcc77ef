package example

import (
	"testing"

	"github.com/tandemhq/tandem/internal/desk/rules"
)

func TestExampleParses(t *testing.T) {
	rs, err := rules.Parse("rules.yaml", Rules())
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.Rules) != 6 {
		t.Errorf("%d rules", len(rs.Rules))
	}
}
