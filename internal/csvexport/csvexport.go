// Package csvexport writes an entity as canonical Tandem CSV: every canonical
// column in catalog order, then one attr.<name> column per custom attribute,
// so that importing the file into an empty store rebuilds the same rows.
package csvexport

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"sort"

	"github.com/tandemhq/tandem"
)

// Export writes every row of entity e to w and returns the number of rows.
// It scans the store twice, first to learn the attribute names so the header
// can name them all; rows are in key order.
func Export(ctx context.Context, s tandem.Store, e *tandem.Entity, w io.Writer) (int, error) {
	keys := map[string]bool{}
	if err := s.Scan(ctx, e.Name, func(r tandem.Record) error {
		for k := range r.Attrs {
			keys[k] = true
		}
		return nil
	}); err != nil {
		return 0, fmt.Errorf("export %s: %w", e.Name, err)
	}
	attrs := make([]string, 0, len(keys))
	for k := range keys {
		attrs = append(attrs, k)
	}
	sort.Strings(attrs)

	cw := csv.NewWriter(w)
	header := e.ColumnNames()
	for _, a := range attrs {
		header = append(header, "attr."+a)
	}
	if err := cw.Write(header); err != nil {
		return 0, fmt.Errorf("export %s: %w", e.Name, err)
	}
	row := make([]string, len(header))
	n := 0
	err := s.Scan(ctx, e.Name, func(r tandem.Record) error {
		for i, v := range r.Values {
			row[i] = tandem.FormatValue(v)
		}
		for i, a := range attrs {
			row[len(e.Columns)+i] = r.Attrs[a]
		}
		n++
		return cw.Write(row)
	})
	if err != nil {
		return n, fmt.Errorf("export %s: %w", e.Name, err)
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return n, fmt.Errorf("export %s: %w", e.Name, err)
	}
	return n, nil
}
