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
	"github.com/tandemhq/tandem/internal/service"
)

// postmortemCommand is "tandem postmortem": post-mortems of lost deals
// and churned accounts.
func (a *app) postmortemCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "postmortem",
		Short: "Post-mortems of lost deals and churned accounts: root causes, evidence, actions",
		Long: `A post-mortem looks back at a lost deal (those above the feedback
setting postmortem_min_amount are expected to have one) or a churned
account: root causes (overpromising, onboarding, differentiation, price,
timing, no-decision), evidence links and actions with owners. Saves are
recorded in the audit log as cli:$USER (action postmortem.save).`,
	}
	cmd.AddCommand(a.postmortemAddCommand(), a.postmortemListCommand(), a.postmortemShowCommand(), a.postmortemReportCommand())
	return cmd
}

func (a *app) postmortemAddCommand() *cobra.Command {
	var file, id string
	var version int
	cmd := &cobra.Command{
		Use:   "add --file F.json|F.yaml [--id ID --version N]",
		Short: "Write a post-mortem from a file, or a new version of one (--id and --version)",
		Long: `Reads a post-mortem (YAML or JSON) with fields subject (deal or account),
subject_id, causes, summary, evidence, actions (what, owner, due, done) and
date. With --id and --version (the version the edit started from) it saves
a new version of that post-mortem; a stale version is refused (exit 4).`,
		Example: `  tandem postmortem add --file pm.yaml
  tandem postmortem add --id pm-1a2b3c4d --version 1 --file pm.yaml`,
		Args: cobra.NoArgs,
		RunE: a.withDesk(func(ctx context.Context, _ *cobra.Command, _ []string, svc *service.Service) error {
			var p tandem.Postmortem
			if err := readDecoded(file, &p); err != nil {
				return err
			}
			switch {
			case id != "" && version < 1:
				return tandem.Errorf(tandem.EINVALID, "--id needs --version, the version the edit started from")
			case id == "" && version != 0:
				return tandem.Errorf(tandem.EINVALID, "--version needs --id")
			case id != "":
				p.ID = id
			}
			v, err := svc.SavePostmortem(ctx, service.Actor{Name: a.actorName()}, p, version)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(v)
			}
			fmt.Fprintf(a.stdout, "saved post-mortem %s version %d of %s %s (%s)\n", v.ID, v.Version, v.Subject, v.SubjectID, v.SubjectName)
			return nil
		}),
	}
	cmd.Flags().StringVar(&file, "file", "", "the post-mortem, YAML or JSON (required)")
	cmd.Flags().StringVar(&id, "id", "", "the post-mortem to change")
	cmd.Flags().IntVar(&version, "version", 0, "the version the edit started from")
	_ = cmd.MarkFlagRequired("file")
	return cmd
}

func (a *app) postmortemListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List post-mortems, latest first",
		Args:  cobra.NoArgs,
		RunE: a.withDesk(func(ctx context.Context, _ *cobra.Command, _ []string, svc *service.Service) error {
			list, err := svc.Postmortems(ctx)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(map[string]any{"postmortems": list})
			}
			tb := newTable(a.stdout)
			tb.row("ID", "DATE", "SUBJECT", "NAME", "CAUSES", "OPEN ACTIONS")
			for _, p := range list {
				open := 0
				for _, x := range p.Actions {
					if !x.Done {
						open++
					}
				}
				tb.row(p.ID, p.Date.Format(time.DateOnly), p.Subject+" "+p.SubjectID, p.SubjectName, strings.Join(p.Causes, ", "), fmt.Sprintf("%d of %d", open, len(p.Actions)))
			}
			return tb.flush()
		}),
	}
}

func (a *app) postmortemShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show a post-mortem",
		Args:  cobra.ExactArgs(1),
		RunE: a.withDesk(func(ctx context.Context, _ *cobra.Command, args []string, svc *service.Service) error {
			p, err := svc.Postmortem(ctx, args[0])
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(p)
			}
			w := a.stdout
			fmt.Fprintf(w, "post-mortem %s version %d (saved %s by %s)\n", p.ID, p.Version, p.UpdatedAt.Format(time.DateOnly), p.UpdatedBy)
			fmt.Fprintf(w, "subject:  %s %s (%s)\ndate:     %s\ncauses:   %s\n", p.Subject, p.SubjectID, p.SubjectName, p.Date.Format(time.DateOnly), strings.Join(p.Causes, ", "))
			if p.Summary != "" {
				fmt.Fprintf(w, "summary:  %s\n", p.Summary)
			}
			for _, e := range p.Evidence {
				fmt.Fprintf(w, "evidence: %s\n", e)
			}
			for _, x := range p.Actions {
				state := "open"
				if x.Done {
					state = "done"
				}
				due := ""
				if !x.Due.IsZero() {
					due = " due " + x.Due.Format(time.DateOnly)
				}
				fmt.Fprintf(w, "action:   [%s] %s (owner %s%s)\n", state, x.What, x.Owner, due)
			}
			return nil
		}),
	}
}

func (a *app) postmortemReportCommand() *cobra.Command {
	var rf reportFlags
	cmd := &cobra.Command{
		Use:   "report [--from DATE --to DATE]",
		Short: "Root causes over time, and the lost deals and churned accounts without a post-mortem",
		Args:  cobra.NoArgs,
		RunE: a.withDesk(func(ctx context.Context, _ *cobra.Command, _ []string, svc *service.Service) error {
			from, to, o, err := rf.parse()
			if err != nil {
				return err
			}
			// The command line reads the store directly: it is trusted
			// with customer data, so churned accounts are listed.
			rep, err := svc.PostmortemReport(ctx, from, to, o, true)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(rep)
			}
			rc := rep.RootCauses
			if rc.Total.N == 0 {
				fmt.Fprintln(a.stdout, "no post-mortems in the period: insufficient data")
			} else {
				periods := append(rc.Periods, rc.Total)
				head := []string{"CAUSE"}
				for _, p := range periods {
					h := fmt.Sprintf("%s (n=%d)", p.Quarter, p.N)
					if p.Insufficient {
						h += " insufficient"
					}
					head = append(head, h)
				}
				tb := newTable(a.stdout)
				tb.row(head...)
				for i, c := range tandem.RootCauses {
					cells := []string{c}
					for _, p := range periods {
						cells = append(cells, strconv.Itoa(p.Causes[i].Count)+" "+pct(p.Causes[i].Estimate))
					}
					tb.row(cells...)
				}
				if err := tb.flush(); err != nil {
					return err
				}
			}
			fmt.Fprintf(a.stdout, "\nwithout a post-mortem (lost deals above %s, churned accounts): %d\n", analytics.FormatNumber("money", rep.MinAmount), len(rep.Missing))
			tb := newTable(a.stdout)
			for _, m := range rep.Missing {
				tb.row("  "+m.Subject, m.SubjectID, m.Name, analytics.FormatNumber("money", m.Amount), m.Why)
			}
			return tb.flush()
		}),
	}
	rf.register(cmd)
	return cmd
}
