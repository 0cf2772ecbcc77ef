package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
	"github.com/tandemhq/tandem/internal/importer"
	"github.com/tandemhq/tandem/internal/service"
	"github.com/tandemhq/tandem/internal/sqldb"
)

// maxListed caps each list in the text summary; --json has everything.
const maxListed = 20

func (a *app) importCommand() *cobra.Command {
	var (
		opt      importer.Options
		maps     []string
		values   []string
		features string
		truthy   string
		stages   string
	)
	cmd := &cobra.Command{
		Use:   "import ENTITY FILE",
		Short: "Import a CSV file (Tandem, Salesforce, HubSpot or any CSV with --map) in one transaction",
		Long: `Import a CSV file into the store. The whole file is one transaction: every
row lands or none does. Every bad row is reported with its line, column and
reason, and the exit status is non-zero. Re-importing the same file changes
nothing (rows are upserted on their id).

Entities: ` + strings.Join(a.catalog.Names(), ", ") + `

The format (tandem, salesforce, hubspot, csv) is detected from the header
unless --format is given. Columns that are not mapped to a canonical column
are kept as attributes (attr.<column>) and can be filtered and grouped on.

After an import of quotes or quote_lines commits, every imported quote is
synced into the deal desk as a versioned quote (a new version only when it
changed); the summary says how many were created, versioned or unchanged,
and lists the quotes that could not be synced. Import quotes, then
quote_lines.`,
		Example: `  tandem import accounts accounts.csv --map id=account --map name=account --map industry=sector
  tandem import deals opportunities.csv                     # Salesforce Data Loader export, detected
  tandem import deals pipeline.csv --map id=opportunity_id --map stage=deal_stage --value stage:Engaging=Negotiation
  tandem import subscriptions telco.csv --map id=customerID --map account_id=customerID \
      --feature-columns OnlineSecurity,TechSupport --truthy Yes
  tandem import usage usage.csv --on-duplicate keep-all --dry-run
  tandem import quotes SBQQ__Quote__c.csv && tandem import quote_lines SBQQ__QuoteLine__c.csv`,
		Args: cobra.ExactArgs(2),
		ValidArgsFunction: func(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) == 0 {
				return a.catalog.Names(), cobra.ShellCompDirectiveNoFileComp
			}
			return []string{"csv"}, cobra.ShellCompDirectiveFilterFileExt
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if opt.Map, err = parseMaps(maps); err != nil {
				return err
			}
			if opt.Values, err = parseValues(values); err != nil {
				return err
			}
			opt.FeatureColumns = splitComma(features)
			opt.Truthy = splitComma(truthy)
			opt.Stages = splitComma(stages)
			if _, err := a.catalog.Entity(args[0]); err != nil {
				return err
			}
			db, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			var bar *progressbar.ProgressBar
			if isTerminal(a.stderr) && !a.jsonOut {
				opt.Progress = func(done, total int64) {
					if bar == nil {
						bar = progressbar.DefaultBytes(total, "importing "+args[1])
					}
					bar.Set64(done)
				}
			}
			// Every import from the command line is audited, in the
			// import's own transaction.
			opt.Audit = &tandem.AuditEntry{At: time.Now().UTC(), Actor: a.actorName()}
			im := &importer.Importer{Store: db, Catalog: a.catalog}
			sum, ierr := im.ImportFile(cmd.Context(), args[0], args[1], opt)
			if bar != nil {
				bar.Finish()
				fmt.Fprintln(a.stderr)
			}
			var serr error
			if ierr == nil && sum != nil && sum.Committed && (args[0] == "quotes" || args[0] == "quote_lines") {
				serr = a.syncQuotes(cmd.Context(), db, sum)
			}
			if sum != nil {
				if a.jsonOut {
					if err := a.printJSON(sum); err != nil {
						return err
					}
				} else {
					a.printSummary(sum)
				}
			}
			if ierr != nil {
				return ierr
			}
			return serr
		},
	}
	f := cmd.Flags()
	f.StringVar(&opt.Format, "format", "", "input format: tandem, salesforce, hubspot, csv (default: detected from the header)")
	f.StringArrayVar(&maps, "map", nil, "fill canonical column from a file column: canonical=source (repeatable)")
	f.StringArrayVar(&values, "value", nil, "replace a value before reading it: field:from=to (repeatable)")
	f.StringVar(&opt.DateFormat, "date-format", "", "date layout for non-ISO dates, e.g. DD/MM/YYYY or MM/DD/YYYY HH:mm")
	f.StringVar(&opt.OnDuplicate, "on-duplicate", importer.DupError, "repeated ids: error, first, last or keep-all")
	f.StringVar(&features, "feature-columns", "", "yes/no columns (comma-separated) that record feature adoption")
	f.StringVar(&truthy, "truthy", "", "values that mean adopted in --feature-columns (default yes,true,y,1)")
	f.StringArrayVar(&opt.WonStages, "won-stage", nil, "a stage that means won, besides Won and Closed Won (repeatable)")
	f.StringArrayVar(&opt.LostStages, "lost-stage", nil, "a stage that means lost, besides Lost and Closed Lost (repeatable)")
	f.StringVar(&stages, "stages", "", "the only deal stages accepted (comma-separated); others are errors")
	f.BoolVar(&opt.NoCreate, "no-create", false, "unknown product and feature names are errors instead of new catalog entries")
	f.BoolVar(&opt.DryRun, "dry-run", false, "validate and report without writing")
	return cmd
}

// syncQuotes syncs the imported quotes into the deal desk after a committed
// import and records the result in the summary. The rows stay imported
// whatever happens here; a store failure is returned (exit status
// non-zero) and importing the file again retries the sync.
func (a *app) syncQuotes(ctx context.Context, db *sqldb.DB, sum *importer.Summary) error {
	svc := service.New(db, a.catalog, analytics.New(db, a.catalog, time.Now), "", time.Now)
	res, err := svc.SyncImportedQuotes(ctx, service.Actor{Name: a.actorName()})
	if err != nil {
		res.Problems = append(res.Problems, "the deal desk sync stopped: "+err.Error())
		err = fmt.Errorf("%s were imported, but syncing quotes into the deal desk failed (import the file again to retry): %w", sum.Entity, err)
	}
	sum.Quotes = &res
	return err
}

func parseMaps(maps []string) ([]importer.Mapping, error) {
	var out []importer.Mapping
	for _, m := range maps {
		c, s, ok := strings.Cut(m, "=")
		if !ok || c == "" || s == "" {
			return nil, tandem.Errorf(tandem.EINVALID, "--map %q: use canonical=source_column", m)
		}
		out = append(out, importer.Mapping{Canonical: strings.TrimSpace(c), Source: strings.TrimSpace(s)})
	}
	return out, nil
}

func parseValues(values []string) ([]importer.ValueMap, error) {
	var out []importer.ValueMap
	for _, v := range values {
		field, rest, ok := strings.Cut(v, ":")
		from, to, ok2 := strings.Cut(rest, "=")
		if !ok || !ok2 || field == "" {
			return nil, tandem.Errorf(tandem.EINVALID, "--value %q: use field:from=to", v)
		}
		out = append(out, importer.ValueMap{Field: field, From: from, To: to})
	}
	return out, nil
}

func splitComma(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// printSummary tells a person what the import did, each list capped.
func (a *app) printSummary(s *importer.Summary) {
	w := a.stdout
	verb := "imported"
	switch {
	case s.DryRun && len(s.Errors) == 0:
		verb = "dry run: would import"
	case !s.Committed:
		verb = "NOT imported"
	}
	fmt.Fprintf(w, "%s %s: %d rows from %s (format %s)\n", verb, s.Entity, s.Rows, s.File, s.Format)
	for _, c := range s.Loaded {
		fmt.Fprintf(w, "  %-14s %d rows: %d inserted, %d updated, %d unchanged\n", c.Entity, c.Rows, c.Inserted, c.Updated, c.Unchanged)
	}
	if len(s.Columns) > 0 {
		var parts []string
		for _, m := range s.Columns {
			parts = append(parts, m.Canonical+"←"+m.Source)
		}
		fmt.Fprintf(w, "  columns: %s\n", strings.Join(parts, ", "))
	}
	if len(s.Attributes) > 0 {
		fmt.Fprintf(w, "  kept as attributes: %s\n", strings.Join(s.Attributes, ", "))
	}
	list := func(title string, n int, item func(i int) string) {
		if n == 0 {
			return
		}
		fmt.Fprintf(w, "  %s (%d):\n", title, n)
		for i := 0; i < n && i < maxListed; i++ {
			fmt.Fprintf(w, "    %s\n", item(i))
		}
		if n > maxListed {
			fmt.Fprintf(w, "    ... and %d more (see --json)\n", n-maxListed)
		}
	}
	list("normalized", len(s.Normalized), func(i int) string {
		n := s.Normalized[i]
		return fmt.Sprintf("%s %q → %q (%d rows, first on line %d)", n.Column, n.From, n.To, n.Rows, n.FirstLine)
	})
	list("not in the catalog, created", len(s.Created), func(i int) string {
		c := s.Created[i]
		return fmt.Sprintf("%s %q (%d rows, first on line %d)", strings.TrimSuffix(c.Entity, "s"), c.ID, c.Rows, c.FirstLine)
	})
	list("duplicate ids", len(s.Duplicates), func(i int) string {
		d := s.Duplicates[i]
		lines := make([]string, len(d.Lines))
		for j, l := range d.Lines {
			lines[j] = fmt.Sprint(l)
		}
		return fmt.Sprintf("%s on lines %s", d.ID, strings.Join(lines, ", "))
	})
	if s.Skipped > 0 {
		fmt.Fprintf(w, "  skipped %d duplicate rows (--on-duplicate)\n", s.Skipped)
	}
	if q := s.Quotes; q != nil {
		fmt.Fprintf(w, "  deal desk: %d quotes created, %d new versions, %d unchanged\n", q.Created, q.Versioned, q.Unchanged)
		list("quotes not synced", len(q.Problems), func(i int) string { return q.Problems[i] })
	}
	if len(s.Errors) > 0 {
		// Every bad row goes to stderr, uncapped: the user must see them all.
		fmt.Fprintf(a.stderr, "%d problem(s):\n", len(s.Errors))
		for _, e := range s.Errors {
			fmt.Fprintf(a.stderr, "  %s: %s\n", s.File, e.String())
		}
	}
}
