// Package example holds the example approval rule set that `tandem demo`
// applies and the README shows.
package example

import (
	_ "embed"
	"slices"
)

//go:embed rules.yaml
var source []byte

// Rules returns the example rule set, in the YAML of package rules: a copy,
// so no caller can change what the next one reads.
func Rules() []byte { return slices.Clone(source) }
