// Package example holds the example approval rule set that `tandem demo`
// applies and the README shows.
package example

import _ "embed"

// Rules is the example rule set, in the YAML of package rules.
//
//go:embed rules.yaml
var Rules []byte
