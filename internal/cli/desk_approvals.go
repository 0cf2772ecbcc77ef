package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
	"github.com/tandemhq/tandem/internal/desk"
	"github.com/tandemhq/tandem/internal/service"
)

// approvalsCommand is "tandem approvals": the approval inbox, decisions,
// delegation and escalation.
func (a *app) approvalsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "approvals",
		Short: "List pending approvals, approve, reject, delegate, set who acts while away, escalate",
		Long: `Approval steps are requested when a quote is saved (tandem desk quote save)
and the active rule set asks for them. Deciding needs an approver identity:
--as EMAIL names the user who decides, and must be the step's approver, hold
the role a role step names, or act for the approver while they are away.
The audit log records cli:$USER as who ran the command.`,
	}
	cmd.AddCommand(a.approvalsListCommand(), a.approvalsDecideCommand(desk.Approve), a.approvalsDecideCommand(desk.Reject),
		a.approvalsDelegateCommand(), a.approvalsAwayCommand(), a.approvalsEscalateCommand())
	return cmd
}

func (a *app) approvalsListCommand() *cobra.Command {
	var as string
	var all bool
	cmd := &cobra.Command{
		Use:   "list [--as EMAIL | --all]",
		Short: "List pending approval steps: a user's inbox (--as), or all of them",
		Long: `List the pending approval steps a user can act on (--as EMAIL: as the
approver, through a role, or as the delegate of someone away), or every
pending step (--all, the default without --as), oldest quote first.`,
		Example: `  tandem approvals list --as mia.chen@example.com
  tandem approvals list --all --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if all && as != "" {
				return tandem.Errorf(tandem.EINVALID, "--as and --all contradict each other")
			}
			ctx := cmd.Context()
			svc, db, err := a.openDeskService(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			var user tandem.User
			if as != "" {
				if user, err = svc.UserByEmail(ctx, as); err != nil {
					return err
				}
			}
			list, err := svc.Inbox(ctx, user, as == "")
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(list)
			}
			if len(list) == 0 {
				if as != "" {
					fmt.Fprintf(a.stdout, "nothing waits for %s\n", user.Email)
				} else {
					fmt.Fprintln(a.stdout, "no pending approvals")
				}
				return nil
			}
			now := time.Now()
			t := newTable(a.stdout)
			t.row("ID", "QUOTE", "DEAL", "RULE", "LEVEL", "APPROVER", "ACV", "DISCOUNT", "DUE", "AS")
			for _, v := range list {
				due := "–"
				if !v.DueAt.IsZero() {
					due = v.DueAt.UTC().Format(cliTime)
					if v.DueAt.Before(now) {
						due += " (overdue)"
					}
				}
				t.row(v.ID, v.QuoteID+" v"+strconv.Itoa(v.QuoteVersion), v.DealID, v.Rule, strconv.Itoa(v.Level), v.Approver,
					formatMoneyCell(v.ACV), percent(v.Discount), due, v.As)
			}
			if err := t.flush(); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%d pending (tandem desk quote show QUOTE for the flags and evidence)\n", len(list))
			return nil
		},
	}
	cmd.Flags().StringVar(&as, "as", "", "the inbox of this user (e-mail)")
	cmd.Flags().BoolVar(&all, "all", false, "every pending step (the default without --as)")
	return cmd
}

// formatMoneyCell formats an amount for a table cell; 0 is unknown (the
// quote version could not be read).
func formatMoneyCell(x float64) string {
	if x == 0 {
		return "–"
	}
	return analytics.FormatNumber("money", x)
}

func (a *app) approvalsDecideCommand(d desk.Decision) *cobra.Command {
	var as, reason string
	verb, past := "approve", "approved"
	short := "Approve a pending approval step as --as EMAIL"
	example := `  tandem approvals approve ap_0123456789abcdef --as mia.chen@example.com --reason "within the band for this archetype"`
	if d == desk.Reject {
		verb, past = "reject", "rejected"
		short = "Reject a pending approval step as --as EMAIL, with a --reason (required)"
		example = `  tandem approvals reject ap_0123456789abcdef --as mia.chen@example.com --reason "bundle the add-on instead of 30% off"`
	}
	cmd := &cobra.Command{
		Use:   verb + " ID --as EMAIL [--reason TEXT]",
		Short: short,
		Long: `Record a decision on a pending approval step of a quote's latest version.
A step already decided, or one of a version since superseded, cannot be
decided (exit 4); a user who may not act on it is refused (exit 6). A
rejection needs a reason, which the rep sees.`,
		Example: example,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(as) == "" {
				return tandem.Errorf(tandem.EINVALID, "--as EMAIL is required: the user who decides")
			}
			if d == desk.Reject && strings.TrimSpace(reason) == "" {
				return tandem.Errorf(tandem.EINVALID, "--reason is required: a rejection says why")
			}
			ctx := cmd.Context()
			svc, db, err := a.openDeskService(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			user, err := svc.UserByEmail(ctx, as)
			if err != nil {
				return err
			}
			v, err := svc.Decide(ctx, service.Actor{Name: a.actorName()}, user, args[0], d, reason)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(v)
			}
			for _, s := range v.Approvals {
				if s.ID == args[0] {
					fmt.Fprintf(a.stdout, "%s %s: rule %s (level %d) on quote %s version %d, as %s\n", past, s.ID, s.Rule, s.Level, s.QuoteID, s.QuoteVersion, user.Email)
				}
			}
			fmt.Fprintf(a.stdout, "quote %s is now %s\n", v.Quote.ID, v.Status)
			printApprovals(a.stdout, v.Approvals)
			return nil
		},
	}
	cmd.Flags().StringVar(&as, "as", "", "the user who decides (e-mail, required)")
	help := "why (optional)"
	if d == desk.Reject {
		help = "why (required)"
	}
	cmd.Flags().StringVar(&reason, "reason", "", help)
	return cmd
}

func (a *app) approvalsDelegateCommand() *cobra.Command {
	var as, to string
	cmd := &cobra.Command{
		Use:     "delegate ID --to EMAIL --as EMAIL",
		Short:   "Hand one pending step to another user (its approver or an admin may)",
		Example: `  tandem approvals delegate ap_0123456789abcdef --to lee.park@example.com --as mia.chen@example.com`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(as) == "" || strings.TrimSpace(to) == "" {
				return tandem.Errorf(tandem.EINVALID, "--to EMAIL and --as EMAIL are required")
			}
			ctx := cmd.Context()
			svc, db, err := a.openDeskService(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			user, err := svc.UserByEmail(ctx, as)
			if err != nil {
				return err
			}
			step, err := svc.Delegate(ctx, service.Actor{Name: a.actorName()}, user, args[0], to)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(step)
			}
			fmt.Fprintf(a.stdout, "approval %s (rule %s on quote %s version %d) now waits for %s: %s\n", step.ID, step.Rule, step.QuoteID, step.QuoteVersion, step.Approver, step.Via)
			return nil
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "the user who takes the step over (e-mail, required)")
	cmd.Flags().StringVar(&as, "as", "", "who delegates: the step's approver, or an admin (e-mail, required)")
	return cmd
}

func (a *app) approvalsAwayCommand() *cobra.Command {
	var as, to, from, until, note string
	cmd := &cobra.Command{
		Use:   "away --as EMAIL --to EMAIL [--from WHEN] [--until WHEN] [--note TEXT]",
		Short: "Say who acts for an approver while they are away (an empty --to clears it)",
		Long: `Record that the user --as is away and that --to acts for them on every step
waiting for them, from --from (default now) until --until (default until
cleared). WHEN is a day (2026-03-01; --until a day means through its end) or
an RFC 3339 time. --to "" clears the delegation.`,
		Example: `  tandem approvals away --as mia.chen@example.com --to lee.park@example.com --until 2026-03-14
  tandem approvals away --as mia.chen@example.com --to ""`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(as) == "" {
				return tandem.Errorf(tandem.EINVALID, "--as EMAIL is required: the user who is away")
			}
			if !cmd.Flags().Changed("to") {
				return tandem.Errorf(tandem.EINVALID, "--to EMAIL is required (--to \"\" clears the delegation)")
			}
			start, err := parseAuditTime("--from", from, false)
			if err != nil {
				return err
			}
			end, err := parseAuditTime("--until", until, false)
			if err != nil {
				return err
			}
			if _, dayErr := time.Parse(time.DateOnly, strings.TrimSpace(until)); dayErr == nil {
				// A day as the end means through that day: the delegation
				// lasts until the next midnight, as Until is exclusive.
				end = end.AddDate(0, 0, 1)
			}
			ctx := cmd.Context()
			svc, db, err := a.openDeskService(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			user, err := svc.UserByEmail(ctx, as)
			if err != nil {
				return err
			}
			aw, err := svc.SetAway(ctx, service.Actor{Name: a.actorName()}, user, to, start, end, note)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(aw)
			}
			if aw.To == "" {
				fmt.Fprintf(a.stdout, "cleared: nobody acts for %s\n", aw.User)
				return nil
			}
			span := "until cleared"
			switch u := aw.Until.UTC(); {
			case u.IsZero():
			case u.Equal(u.Truncate(24 * time.Hour)):
				span = "through " + u.AddDate(0, 0, -1).Format(time.DateOnly)
			default:
				span = "until " + u.Format(cliTime)
			}
			fmt.Fprintf(a.stdout, "%s acts for %s from %s %s\n", aw.To, aw.User, aw.From.UTC().Format(cliTime), span)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&as, "as", "", "the user who is away (e-mail, required)")
	f.StringVar(&to, "to", "", "who acts for them (e-mail; \"\" clears)")
	f.StringVar(&from, "from", "", "from this day or time (default now)")
	f.StringVar(&until, "until", "", "until this day (inclusive) or time (default until cleared)")
	f.StringVar(&note, "note", "", "a note shown with the delegation")
	return cmd
}

func (a *app) approvalsEscalateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "escalate",
		Short: "Escalate every approval pending past its SLA one level up, now",
		Long: `Move every approval step pending past its SLA to its approver's manager
(or to the admins at the top), with a fresh SLA, and print how many moved.
Run it from cron (or any scheduler) as often as the SLAs need; running it
twice moves nothing twice, since an escalated step is due again only after
its new SLA.`,
		Args: cobra.NoArgs,
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, _ []string, svc *service.Service) error {
			n, err := svc.EscalateDue(ctx, service.Actor{Name: a.actorName()})
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(map[string]int{"escalated": n})
			}
			switch n {
			case 0:
				fmt.Fprintln(a.stdout, "no approval is past its SLA: nothing escalated")
			case 1:
				fmt.Fprintln(a.stdout, "escalated 1 approval past its SLA")
			default:
				fmt.Fprintf(a.stdout, "escalated %d approvals past their SLA\n", n)
			}
			return nil
		}),
	}
}
