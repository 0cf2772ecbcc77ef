package cli

import (
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
)

// reportCommand is `tandem report NAME`: every report of the analytics
// engine, with the flags turned into the same parameters the API reads.
func (a *app) reportCommand() *cobra.Command {
	var (
		by, where, features, adjust         []string
		from, to, asOf, window, anchor, its string
		minN, resamples                     int
		seed                                uint64
	)
	names := analytics.New(nil, a.catalog, nil).Reports()
	var list strings.Builder
	for _, r := range names {
		fmt.Fprintf(&list, "  %-9s %s\n", r.Name, r.Doc)
	}
	cmd := &cobra.Command{
		Use:   "report NAME",
		Short: "Run an analytics report: every figure with its n and 95% interval",
		Long: `Run an analytics report on the store. Every figure carries its sample size
and a 95% interval; below --min-n it says "insufficient data" and never ranks.

Reports:
` + list.String() + `
FIELD is a canonical column of the report's rows (deals, leads,
subscriptions or accounts), a related row's column through a reference
(account.segment, rep.team, account.attr.plan_tier), a list item's column
(product.name, feature.name: one group per item), attr.<name>, or a derived
field: quarter, year, month (of the rows' main date), size_band (accounts).
--where FIELD=VALUE keeps matching rows, FIELD!=VALUE the others; repeating
one FIELD=VALUE means any of the values.`,
		Example: `  tandem report winrate --by product.name
  tandem report cycle --by rep.manager --as-of 2017-12-31
  tandem report halo --json
  tandem report adoption --window 30d --by account.segment
  tandem report churn --by plan --where attr.InternetService!=No`,
		Args: cobra.ExactArgs(1),
		ValidArgsFunction: func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			var out []string
			for _, r := range names {
				out = append(out, r.Name+"\t"+r.Doc)
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			v := url.Values{}
			set := func(name, val string) {
				if cmd.Flags().Changed(name) {
					v.Set(name, val)
				}
			}
			v["by"], v["where"], v["features"], v["adjust"] = by, where, features, adjust
			set("from", from)
			set("to", to)
			set("as-of", asOf)
			set("window", window)
			set("anchor", anchor)
			set("items", its)
			set("min-n", strconv.Itoa(minN))
			set("resamples", strconv.Itoa(resamples))
			set("seed", strconv.FormatUint(seed, 10))
			for k, vals := range v {
				if len(vals) == 0 {
					delete(v, k)
				}
			}
			p, err := analytics.ParseParams(v)
			if err != nil {
				return err
			}
			a.started = true
			ctx := cmd.Context()
			db, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			rep, err := analytics.New(db, a.catalog, time.Now).Run(ctx, args[0], p)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(rep)
			}
			return printReport(a.stdout, rep)
		},
	}
	f := cmd.Flags()
	f.StringArrayVar(&by, "by", nil, "group by FIELD (repeatable)")
	f.StringArrayVar(&where, "where", nil, "keep rows where FIELD=VALUE or FIELD!=VALUE (repeatable)")
	f.StringVar(&from, "from", "", "period start, YYYY-MM-DD (inclusive)")
	f.StringVar(&to, "to", "", "period end, YYYY-MM-DD (inclusive)")
	f.StringVar(&asOf, "as-of", "", "report date, YYYY-MM-DD: open deals are censored and subscriptions judged as of it (default today)")
	f.IntVar(&minN, "min-n", tandem.DefaultMinN, "minimum sample: smaller groups show \"insufficient data\"")
	f.StringVar(&window, "window", "90d", "adoption window: adopted within this many days of the anchor (30d), or all")
	f.StringVar(&anchor, "anchor", "start", "adoption window anchor: start (subscription start) or signup (account created)")
	f.StringSliceVar(&features, "features", nil, "adoption: count only these features (names or ids, comma-separated)")
	f.StringVar(&its, "items", "features", "halo: compare features or products")
	f.StringSliceVar(&adjust, "adjust", nil, "halo: fields whose combinations are the strata of adjusted figures (default account.segment,account.size_band,quarter)")
	f.IntVar(&resamples, "resamples", analytics.DefaultResamples, "bootstrap resamples of money intervals (halo: 200 unless set)")
	f.Uint64Var(&seed, "seed", analytics.DefaultSeed, "bootstrap seed: the same seed gives the same intervals")
	return cmd
}

// printReport writes a report for people: a table when it is narrow, one
// block per group when it has many figures, then notes and definitions.
func printReport(w io.Writer, rep *tandem.Report) error {
	fmt.Fprintf(w, "%s (as of %s)\n\n", rep.Title, rep.Params.AsOf.Format(time.DateOnly))
	blocks := len(rep.Metrics) > 4
	printGroups(w, rep.KeyFields, rep.Value, rep.Unit, rep.Metrics, rep.Groups, blocks)
	if len(rep.Apart) > 0 {
		fmt.Fprintf(w, "\nBelow the minimum sample (n < %d), listed apart:\n", rep.Params.MinN)
		printGroups(w, rep.KeyFields, rep.Value, rep.Unit, rep.Metrics, rep.Apart, blocks)
	}
	for _, s := range rep.Sections {
		fmt.Fprintf(w, "\n%s\n\n", s.Title)
		printGroups(w, s.KeyFields, s.Value, s.Unit, s.Metrics, s.Groups, len(s.Metrics) > 4)
	}
	if len(rep.Notes) > 0 {
		fmt.Fprintln(w)
		for _, n := range rep.Notes {
			fmt.Fprintf(w, "note: %s\n", n)
		}
	}
	fmt.Fprintln(w)
	defs := slices.Sorted(maps.Keys(rep.Definitions))
	for _, k := range defs {
		fmt.Fprintf(w, "%s: %s\n", k, rep.Definitions[k])
	}
	return nil
}

func printGroups(w io.Writer, keys []string, value, unit string, metrics []tandem.MetricInfo, groups []tandem.Group, blocks bool) {
	if len(groups) == 0 {
		fmt.Fprintln(w, "(no rows)")
		return
	}
	keyText := func(g tandem.Group) []string {
		var out []string
		for _, k := range keys {
			out = append(out, g.Key[k])
		}
		if len(out) == 0 {
			out = append(out, "all")
		}
		return out
	}
	if blocks {
		for _, g := range groups {
			fmt.Fprintf(w, "%s\n", strings.Join(keyText(g), " · "))
			t := newTable(w)
			t.row("  "+value, analytics.FormatEstimate(unit, g.Estimate), g.Note)
			for _, m := range metrics {
				if e, ok := g.Metrics[m.Name]; ok {
					t.row("  "+m.Label, analytics.FormatEstimate(m.Unit, e), e.Note)
				}
			}
			t.flush()
			fmt.Fprintln(w)
		}
		return
	}
	ranked := slices.ContainsFunc(groups, func(g tandem.Group) bool { return g.Rank > 0 })
	t := newTable(w)
	head := append([]string{}, keys...)
	if len(head) == 0 {
		head = append(head, "")
	}
	if ranked {
		head = append(head, "rank")
	}
	head = append(head, value)
	for _, m := range metrics {
		head = append(head, m.Label)
	}
	t.row(append(head, "note")...)
	for _, g := range groups {
		cells := keyText(g)
		if ranked {
			rank := ""
			if g.Rank > 0 {
				rank = strconv.Itoa(g.Rank)
			}
			cells = append(cells, rank)
		}
		cells = append(cells, analytics.FormatEstimate(unit, g.Estimate))
		for _, m := range metrics {
			cells = append(cells, analytics.FormatEstimate(m.Unit, g.Metrics[m.Name]))
		}
		t.row(append(cells, g.Note)...)
	}
	t.flush()
}
