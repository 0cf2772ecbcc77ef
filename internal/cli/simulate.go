package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
	"github.com/tandemhq/tandem/internal/desk"
	"github.com/tandemhq/tandem/internal/desk/rules"
	"github.com/tandemhq/tandem/internal/service"
)

// rulesSimulateCommand is `tandem desk rules simulate FILE`: the what-if
// replay of a rule file over past quotes. Nothing is applied or stored.
func (a *app) rulesSimulateCommand() *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "simulate FILE",
		Short: "Replay a rule file over past quotes: approvals per level, wait, win rate and discount with and without approval",
		Long: `Replay a rule file (not applied; nothing is stored) over the deals closed in
--from..--to: each deal's latest saved desk quote, or a quote drawn from its
line items at catalog list prices when it has none. Prints, per level, the
share of quotes that would have needed approval; the median wait for a
decision from recorded approvals; and the win rate and median discount of
deals that would have needed approval against those that would not, each
with n and a 95% interval. The comparison is descriptive ("associated
with"): deals that need approval differ in more than the approval.`,
		Example: `  tandem desk rules simulate rules.yaml --from 2024-01-01 --to 2024-12-31
  tandem desk rules simulate rules.yaml --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := service.DeriveOptions(0, from, to)
			if err != nil {
				return err
			}
			data, err := readRuleFile(args[0])
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			db, err := a.openStore(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			svc := service.New(db, a.catalog, analytics.New(db, a.catalog, time.Now), "", time.Now)
			to := opts.To
			if !to.IsZero() {
				to = to.Add(24*time.Hour - time.Nanosecond)
			}
			sim, err := svc.SimulateRules(ctx, filepath.Base(args[0]), data, opts.From, to)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(sim)
			}
			return printSimulation(a.stdout, sim)
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "only deals closed on or after this day, YYYY-MM-DD")
	cmd.Flags().StringVar(&to, "to", "", "only deals closed on or before this day, YYYY-MM-DD")
	return cmd
}

// readRuleFile reads a rule file, refusing one over rules.MaxSize before
// reading it whole.
func readRuleFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, tandem.Errorf(tandem.EINVALID, "rule file: %v", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, rules.MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > rules.MaxSize {
		return nil, tandem.Errorf(tandem.ETOOLARGE, "%s is over %d bytes; a rule file is short", path, rules.MaxSize)
	}
	return data, nil
}

// printSimulation writes a simulation for people.
func printSimulation(w io.Writer, sim *desk.Simulation) error {
	fmt.Fprintf(w, "Replayed %d quotes of closed deals (%d saved on the desk, %d drawn from line items)\n\n", sim.Quotes, sim.Stored, sim.LineItems)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "level\trules\tquotes needing it\tapproval steps")
	for _, l := range sim.Levels {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\n", l.Level, strings.Join(l.Rules, ", "), formatFigure(l.Quotes), l.Approvals)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n%s: %s\n", sim.Wait.Label, formatFigure(sim.Wait))
	for _, s := range []desk.Side{sim.Needed, sim.NotNeeded} {
		fmt.Fprintf(w, "%s: %s\n", s.WinRate.Label, formatFigure(s.WinRate))
		fmt.Fprintf(w, "%s: %s\n", s.Discount.Label, formatFigure(s.Discount))
	}
	fmt.Fprintf(w, "%s: %s\n\n", sim.Difference.Label, formatFigure(sim.Difference))
	for _, n := range sim.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	return nil
}
