package cli

import (
	"io"
	"strings"
	"text/tabwriter"
)

// table prints aligned columns for people; --json is for scripts.
type table struct {
	tw *tabwriter.Writer
}

func newTable(w io.Writer) *table {
	return &table{tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
}

// row writes one line; tabs and newlines inside cells are flattened so a
// free-text value cannot break the layout.
func (t *table) row(cells ...string) {
	for i, c := range cells {
		c = strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(c)
		if r := []rune(c); len(r) > 60 {
			c = string(r[:57]) + "..."
		}
		cells[i] = c
	}
	io.WriteString(t.tw, strings.Join(cells, "\t")+"\n")
}

func (t *table) flush() error { return t.tw.Flush() }
