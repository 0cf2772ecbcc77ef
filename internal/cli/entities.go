package cli

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/csvexport"
	"github.com/tandemhq/tandem/internal/httpapi"
)

// entityCommand builds "tandem ENTITY list|show" for one entity.
func (a *app) entityCommand(e *tandem.Entity) *cobra.Command {
	cmd := &cobra.Command{Use: e.Name, Short: "List and show " + e.Doc}
	var (
		where         []string
		limit, offset int
	)
	list := &cobra.Command{
		Use:   "list",
		Short: "List " + e.Name + " (filter with --where COLUMN=VALUE, or attr.NAME=VALUE)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			filters, err := parseFilters(where)
			if err != nil {
				return err
			}
			db, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			page, err := db.List(cmd.Context(), e.Name, tandem.Query{Filters: filters, Limit: limit, Offset: offset})
			if err != nil {
				return err
			}
			if a.jsonOut {
				recs := make([]httpapi.RecordObject, len(page.Records))
				for i, r := range page.Records {
					recs[i] = httpapi.RecordJSON(e, r)
				}
				return a.printJSON(map[string]any{"entity": e.Name, "total": page.Total, "limit": limit, "offset": offset, "records": recs})
			}
			tw := newTable(a.stdout)
			cols := listColumns(e)
			header := make([]string, len(cols))
			for i, c := range cols {
				header[i] = e.Columns[c].Name
			}
			tw.row(header...)
			for _, r := range page.Records {
				cells := make([]string, len(cols))
				for i, c := range cols {
					cells[i] = tandem.FormatValue(r.Values[c])
				}
				tw.row(cells...)
			}
			if err := tw.flush(); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%d of %d %s (offset %d)\n", len(page.Records), page.Total, e.Name, offset)
			return nil
		},
	}
	list.Flags().StringArrayVar(&where, "where", nil, "filter: COLUMN=VALUE or attr.NAME=VALUE (repeatable, all must match)")
	list.Flags().IntVar(&limit, "limit", 50, "rows per page (max 10000)")
	list.Flags().IntVar(&offset, "offset", 0, "rows to skip")

	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show one of the " + e.Name + " with every column and attribute",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			r, err := db.Get(cmd.Context(), e.Name, args[0])
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(httpapi.RecordJSON(e, r))
			}
			tw := newTable(a.stdout)
			for i, c := range e.Columns {
				tw.row(c.Name, tandem.FormatValue(r.Values[i]))
			}
			for _, k := range tandem.AttrKeys([]tandem.Record{r}) {
				tw.row("attr."+k, r.Attrs[k])
			}
			return tw.flush()
		},
	}
	cmd.AddCommand(list, show)
	return cmd
}

// listColumns picks the columns a list shows: all but long lists and
// free text beyond the first eight, which `show` prints in full.
func listColumns(e *tandem.Entity) []int {
	var out []int
	for i, c := range e.Columns {
		if len(out) == 8 {
			break
		}
		if c.Kind == tandem.KindList && c.Name != "features" && c.Name != "products" {
			continue
		}
		out = append(out, i)
	}
	return out
}

func (a *app) exportCommand() *cobra.Command {
	var out, dir string
	cmd := &cobra.Command{
		Use:   "export [ENTITY]",
		Short: "Write an entity as canonical Tandem CSV (stdout, --out FILE, or every entity with --dir DIR)",
		Long: `Write canonical Tandem CSV: every canonical column in order, then attr.<name>
columns. Importing the files into an empty store, in the order of --dir's
listing, rebuilds an identical store (entities without unique ids, such as
usage with repeated ids, need --on-duplicate keep-all as when first loaded).`,
		Args:      cobra.MaximumNArgs(1),
		ValidArgs: a.catalog.Names(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if (len(args) == 0) == (dir == "") {
				return tandem.Errorf(tandem.EINVALID, "name one ENTITY, or give --dir DIR to export them all")
			}
			db, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			if dir != "" {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					return fmt.Errorf("export: %w", err)
				}
				for i, e := range a.catalog.Entities() {
					path := filepath.Join(dir, fmt.Sprintf("%02d_%s.csv", i+1, e.Name))
					n, err := exportFile(cmd, db, e, path)
					if err != nil {
						return err
					}
					if !a.jsonOut {
						fmt.Fprintf(a.stderr, "%s: %d rows\n", path, n)
					}
				}
				return nil
			}
			e, err := a.catalog.Entity(args[0])
			if err != nil {
				return err
			}
			if out != "" {
				_, err := exportFile(cmd, db, e, out)
				return err
			}
			_, err = csvexport.Export(cmd.Context(), db, e, a.stdout)
			return err
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "", "write to FILE instead of stdout")
	cmd.Flags().StringVar(&dir, "dir", "", "export every entity into DIR as NN_<entity>.csv")
	return cmd
}

// exportFile writes one entity to a new file, removing it again on failure
// so that a half-written export is never mistaken for a whole one.
func exportFile(cmd *cobra.Command, s tandem.Store, e *tandem.Entity, path string) (int, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, fmt.Errorf("export %s: %w", e.Name, err)
	}
	n, err := csvexport.Export(cmd.Context(), s, e, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return n, err
	}
	return n, nil
}
