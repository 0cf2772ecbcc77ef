package cli

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem/internal/intel"
	"github.com/tandemhq/tandem/internal/service"
)

// intelCommand is "tandem intel": the competitive-intelligence quota.
func (a *app) intelCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "intel",
		Short: "Competitive intelligence from the field: the per-rep intel quota",
		Long: `Reps are asked for competitive intelligence every month (the feedback
settings' intel_quota, default one item). An intel item is a feedback item
submitted as intel, or one whose title or text mentions a competitor of the
catalog (tandem competitor). The competitors themselves are under
tandem competitor.`,
	}
	cmd.AddCommand(a.intelQuotaCommand())
	return cmd
}

func (a *app) intelQuotaCommand() *cobra.Command {
	var month string
	cmd := &cobra.Command{
		Use:   "quota [--month YYYY-MM]",
		Short: "Intel items per rep in a month: the leaderboard and the reps below quota",
		Long: `Count each rep's intel items received in a calendar month (UTC; default
this month) against the quota: a leaderboard of the reps who sent intel,
most first, and every rep of the reps entity under the quota, reps with no
item included.`,
		Example: `  tandem intel quota
  tandem intel quota --month 2026-02 --json`,
		Args: cobra.NoArgs,
		RunE: a.withDesk(func(ctx context.Context, _ *cobra.Command, _ []string, svc *service.Service) error {
			var m time.Time
			if month != "" {
				var err error
				if m, err = intel.ParseMonth(month); err != nil {
					return err
				}
			}
			rep, err := svc.IntelQuota(ctx, m)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(rep)
			}
			w := a.stdout
			fmt.Fprintf(w, "intel quota %s: %d item(s) per rep; %d item(s) received, %d matched to no rep; %d reps\n\n",
				rep.Month, rep.Quota, rep.Items, rep.Unattributed, rep.Reps)
			if len(rep.Leaderboard) == 0 {
				fmt.Fprintln(w, "leaderboard: no rep sent intel this month")
			} else {
				fmt.Fprintln(w, "leaderboard:")
				t := newTable(w)
				for i, r := range rep.Leaderboard {
					t.row("  "+strconv.Itoa(i+1), r.RepID, r.Name, strconv.Itoa(r.Items))
				}
				if err := t.flush(); err != nil {
					return err
				}
			}
			if len(rep.Below) == 0 {
				fmt.Fprintln(w, "\nevery rep met the quota")
				return nil
			}
			fmt.Fprintf(w, "\nbelow quota (%d):\n", len(rep.Below))
			t := newTable(w)
			t.row("  REP", "NAME", "ITEMS", "MISSING")
			for _, r := range rep.Below {
				t.row("  "+r.RepID, r.Name, strconv.Itoa(r.Items), strconv.Itoa(r.Missing))
			}
			return t.flush()
		}),
	}
	cmd.Flags().StringVar(&month, "month", "", "the calendar month, YYYY-MM (default: this month, UTC)")
	return cmd
}
