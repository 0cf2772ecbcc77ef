package importer

import "github.com/tandemhq/tandem"

// MatchScore counts the header columns that would fill a canonical column of
// e without a column map, in the format the header looks like: how much a
// file looks like e's export. The import page uses it to suggest an entity.
func MatchScore(e *tandem.Entity, header []string) int {
	format := DetectFormat(e, header)
	names := sourceNames(format, e.Name)
	known := map[string]bool{}
	for _, c := range e.Columns {
		known[headerKey(c.Name)] = true
	}
	for _, srcs := range names {
		for _, s := range srcs {
			known[s] = true
		}
	}
	n := 0
	for _, h := range header {
		if known[headerKey(h)] {
			n++
		}
	}
	return n
}
