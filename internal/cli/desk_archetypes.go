package cli

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/desk"
	"github.com/tandemhq/tandem/internal/service"
)

// archetypesCommand is "tandem archetypes": derive, accept and edit the
// deal archetypes quotes are checked against.
func (a *app) archetypesCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "archetypes",
		Short: "Derive, accept and edit deal archetypes (the patterns quotes are checked against)",
		Long: `A deal archetype is a recurring shape of deal (product mix, ACV band,
segment) with how such deals went: win rate, cycle, renewal, loss reasons,
and a pricing band per product. tandem archetypes derive proposes them from
the closed deals; only accepted archetypes match quotes in tandem desk check.

Changes are versioned and recorded in the audit log as cli:$USER.`,
	}
	cmd.AddCommand(a.archetypesDeriveCommand(), a.archetypesListCommand(), a.archetypesShowCommand(),
		a.archetypesAcceptCommand(), a.archetypesEditCommand())
	return cmd
}

// storedVersions returns the stored version of every archetype, by id.
func storedVersions(ctx context.Context, svc *service.Service) (map[string]desk.Archetype, error) {
	list, err := svc.Archetypes(ctx)
	if err != nil {
		return nil, err
	}
	out := make(map[string]desk.Archetype, len(list))
	for _, x := range list {
		out[x.ID] = x
	}
	return out, nil
}

func (a *app) archetypesDeriveCommand() *cobra.Command {
	var minN int
	var from, to string
	var accept bool
	cmd := &cobra.Command{
		Use:   "derive [--min-n N] [--from DATE --to DATE] [--accept]",
		Short: "Propose archetypes from the closed deals; --accept saves them all as accepted",
		Long: `Propose archetypes from the deals closed won or lost (optionally only those
closed from --from to --to, inclusive): clusters of product mix, ACV band and
segment, merged into coarser ones below --min-n closed deals. Each proposal
shows its deals, win rate (won / (won + lost); open deals are not losses),
median cycle and renewal rate with n and 95% interval, its ACV range, and
the discount and net-price band (P25–P75 of won deals) per product.

Nothing is stored unless --accept is given: then every proposal is saved as
accepted, a new version where the archetype exists (its name and playbook
guardrails, as people set them, are kept; figures and bands are renewed).`,
		Example: `  tandem archetypes derive
  tandem archetypes derive --from 2024-01-01 --min-n 50 --accept`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opts, err := service.DeriveOptions(minN, from, to)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			svc, db, err := a.openDeskService(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			props, err := svc.DeriveArchetypes(ctx, opts)
			if err != nil {
				return err
			}
			if props == nil {
				props = []desk.Archetype{}
			}
			if accept {
				if props, err = svc.AcceptDerived(ctx, service.Actor{Name: a.actorName()}, props, "accepted as derived"); err != nil {
					return err
				}
			}
			if a.jsonOut {
				return a.printJSON(props)
			}
			if len(props) == 0 {
				fmt.Fprintln(a.stdout, "no closed deals to derive archetypes from")
				return nil
			}
			for i, p := range props {
				if i > 0 {
					fmt.Fprintln(a.stdout)
				}
				printArchetype(a.stdout, p)
			}
			fmt.Fprintln(a.stdout)
			if accept {
				fmt.Fprintf(a.stdout, "accepted %d archetypes\n", len(props))
			} else {
				fmt.Fprintf(a.stdout, "%d proposals, nothing saved (--accept saves them all; tandem archetypes accept ID picks some)\n", len(props))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&minN, "min-n", 0, "minimum closed deals of an archetype and of a figure (default 30)")
	f.StringVar(&from, "from", "", "only deals closed on or after this day, YYYY-MM-DD")
	f.StringVar(&to, "to", "", "only deals closed on or before this day, YYYY-MM-DD")
	f.BoolVar(&accept, "accept", false, "save every proposal as accepted")
	return cmd
}

func (a *app) archetypesListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the stored archetypes (latest version of each)",
		Args:  cobra.NoArgs,
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, _ []string, svc *service.Service) error {
			list, err := svc.Archetypes(ctx)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(list)
			}
			if len(list) == 0 {
				fmt.Fprintln(a.stdout, "no archetypes stored (tandem archetypes derive --accept)")
				return nil
			}
			t := newTable(a.stdout)
			t.row("ID", "NAME", "STATUS", "VERSION", "DEALS", "WIN RATE", "ACV")
			for _, x := range list {
				t.row(x.ID, x.Name, x.Status, strconv.Itoa(x.Version), strconv.Itoa(x.Deals), formatFigure(x.WinRate), acvRange(x.ACVMin, x.ACVMax))
			}
			return t.flush()
		}),
	}
}

func (a *app) archetypesShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "show ID",
		Short:   "Show an archetype and its history of versions",
		Example: `  tandem archetypes show p01+p02/50k-250k/enterprise`,
		Args:    cobra.ExactArgs(1),
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, args []string, svc *service.Service) error {
			versions, docs, err := svc.ArchetypeHistory(ctx, args[0])
			if err != nil {
				if tandem.ErrorCode(err) == tandem.ENOTFOUND {
					return tandem.Errorf(tandem.ENOTFOUND, "no archetype %s (tandem archetypes list)", args[0])
				}
				return err
			}
			if a.jsonOut {
				return a.printJSON(map[string]any{"versions": versions, "history": docs})
			}
			printArchetype(a.stdout, versions[len(versions)-1])
			fmt.Fprintln(a.stdout, "\nHistory:")
			t := newTable(a.stdout)
			t.row("  VERSION", "SAVED", "BY", "STATUS", "NAME", "NOTE")
			for i, d := range docs {
				t.row("  "+strconv.Itoa(d.Version), d.CreatedAt.UTC().Format(cliTime), d.Author, versions[i].Status, versions[i].Name, d.Note)
			}
			return t.flush()
		}),
	}
}

func (a *app) archetypesAcceptCommand() *cobra.Command {
	var note string
	cmd := &cobra.Command{
		Use:   "accept ID...",
		Short: "Accept stored archetypes, so that quotes match them",
		Long: `Accept stored archetypes (as saved by derive --accept, the web page, or the
API), each as a new version. An archetype already accepted is left alone.`,
		Example: `  tandem archetypes accept p01/10k-50k other`,
		Args:    cobra.MinimumNArgs(1),
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, args []string, svc *service.Service) error {
			stored, err := storedVersions(ctx, svc)
			if err != nil {
				return err
			}
			// Every id is checked before anything is saved, so a typo in
			// the list does not leave half of it accepted.
			for _, id := range args {
				if _, ok := stored[id]; !ok {
					return tandem.Errorf(tandem.ENOTFOUND, "no archetype %s (tandem archetypes list)", id)
				}
			}
			actor := service.Actor{Name: a.actorName()}
			out := []desk.Archetype{}
			for _, id := range args {
				x := stored[id]
				if x.Status == desk.StatusAccepted {
					if !a.jsonOut {
						fmt.Fprintf(a.stdout, "%s is already accepted (version %d)\n", id, x.Version)
					}
					out = append(out, x)
					continue
				}
				x.Status = desk.StatusAccepted
				saved, err := svc.SaveArchetype(ctx, actor, x, note)
				if err != nil {
					return err
				}
				stored[id] = saved
				out = append(out, saved)
				if !a.jsonOut {
					fmt.Fprintf(a.stdout, "accepted %s (%s) as version %d\n", id, saved.Name, saved.Version)
				}
			}
			if a.jsonOut {
				return a.printJSON(out)
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&note, "note", "accepted", "why, kept with the version")
	return cmd
}

func (a *app) archetypesEditCommand() *cobra.Command {
	var (
		name, note, notes     string
		maxPayment, ttv, ramp int
		minMargin             float64
		accept                bool
	)
	cmd := &cobra.Command{
		Use:   "edit ID [--name X] [--max-payment-days N] [--min-margin P] [--ttv-days N] [--ramp-months N]",
		Short: "Rename an archetype or set its playbook's guardrails (a new version)",
		Long: `Change an archetype's name or its playbook: the maximum payment days
(payment-terms flag), the minimum margin in percent (margin flag), the
expected time to value and ramp. Flags not given keep their values; 0 clears
a guardrail. The change is a new version; the bands stay as derived.`,
		Example: `  tandem archetypes edit p01+p02/50k-250k/enterprise --name "Enterprise platform" --max-payment-days 45 --min-margin 70`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := cmd.Flags()
			changes := 0
			for _, name := range []string{"name", "max-payment-days", "min-margin", "ttv-days", "ramp-months", "approval-notes", "accept"} {
				if f.Changed(name) {
					changes++
				}
			}
			if changes == 0 {
				return tandem.Errorf(tandem.EINVALID, "nothing to change: give --name, --max-payment-days, --min-margin, --ttv-days, --ramp-months, --approval-notes or --accept")
			}
			ctx := cmd.Context()
			svc, db, err := a.openDeskService(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			stored, err := storedVersions(ctx, svc)
			if err != nil {
				return err
			}
			x, ok := stored[args[0]]
			if !ok {
				return tandem.Errorf(tandem.ENOTFOUND, "no archetype %s (tandem archetypes list)", args[0])
			}
			if f.Changed("name") {
				x.Name = name
			}
			if f.Changed("max-payment-days") {
				x.Playbook.MaxPaymentDays = maxPayment
			}
			if f.Changed("min-margin") {
				x.Playbook.MinMarginPct = minMargin
			}
			if f.Changed("ttv-days") {
				x.Playbook.TimeToValueDays = ttv
			}
			if f.Changed("ramp-months") {
				x.Playbook.RampMonths = ramp
			}
			if f.Changed("approval-notes") {
				x.Playbook.ApprovalNotes = notes
			}
			if accept {
				x.Status = desk.StatusAccepted
			}
			saved, err := svc.SaveArchetype(ctx, service.Actor{Name: a.actorName()}, x, note)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(saved)
			}
			fmt.Fprintf(a.stdout, "saved archetype %s as version %d\n", saved.ID, saved.Version)
			printArchetype(a.stdout, saved)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&name, "name", "", "new name")
	fl.IntVar(&maxPayment, "max-payment-days", 0, "playbook: the longest payment terms, in days, before the payment-terms flag (0: the desk default)")
	fl.Float64Var(&minMargin, "min-margin", 0, "playbook: the minimum margin, in percent (0: none)")
	fl.IntVar(&ttv, "ttv-days", 0, "playbook: expected time to value, in days")
	fl.IntVar(&ramp, "ramp-months", 0, "playbook: expected ramp, in months")
	fl.StringVar(&notes, "approval-notes", "", "playbook: notes for approvers")
	fl.BoolVar(&accept, "accept", false, "also accept the archetype")
	fl.StringVar(&note, "note", "edited", "why, kept with the version")
	return cmd
}
