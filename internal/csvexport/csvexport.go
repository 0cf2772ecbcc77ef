// Package csvexport writes an entity as canonical Tandem CSV: every canonical
// column in catalog order, then one attr.<name> column per custom attribute,
// so that importing the file into an empty store rebuilds the same rows.
package csvexport

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/tandemhq/tandem"
)

// Export writes every row of entity e to w, in key order, and returns the
// number of rows.
//
// The header must name every attribute, which is known only after the last
// row, and the rows must come from one read of the store (one snapshot), or
// an import committed in between could add attributes the header lacks. So
// Export reads once, spooling rows to a temporary file with their attributes
// as JSON, then writes the header and the rows.
func Export(ctx context.Context, s tandem.Store, e *tandem.Entity, w io.Writer) (int, error) {
	spool, err := os.CreateTemp("", "tandem-export-*.csv")
	if err != nil {
		return 0, fmt.Errorf("export %s: %w", e.Name, err)
	}
	defer os.Remove(spool.Name())
	defer spool.Close()

	keys := map[string]bool{}
	sw := csv.NewWriter(spool)
	row := make([]string, len(e.Columns)+1)
	n := 0
	err = s.Scan(ctx, e.Name, func(r tandem.Record) error {
		for i, v := range r.Values {
			row[i] = tandem.FormatValue(v)
		}
		for k := range r.Attrs {
			keys[k] = true
		}
		attrs, err := json.Marshal(r.Attrs)
		if err != nil {
			return err
		}
		row[len(e.Columns)] = string(attrs)
		n++
		return sw.Write(row)
	})
	if err == nil {
		sw.Flush()
		err = sw.Error()
	}
	if err != nil {
		return 0, fmt.Errorf("export %s: %w", e.Name, err)
	}
	if _, err := spool.Seek(0, io.SeekStart); err != nil {
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
	sr := csv.NewReader(bufio.NewReaderSize(spool, 1<<16))
	sr.ReuseRecord = true
	out := make([]string, len(header))
	for {
		rec, err := sr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("export %s: read spool: %w", e.Name, err)
		}
		copy(out, rec[:len(e.Columns)])
		var m map[string]string
		if err := json.Unmarshal([]byte(rec[len(e.Columns)]), &m); err != nil {
			return 0, fmt.Errorf("export %s: read spool: %w", e.Name, err)
		}
		for i, a := range attrs {
			out[len(e.Columns)+i] = m[a]
		}
		if err := cw.Write(out); err != nil {
			return 0, fmt.Errorf("export %s: %w", e.Name, err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return 0, fmt.Errorf("export %s: %w", e.Name, err)
	}
	return n, nil
}
