package cli

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/intel"
	"github.com/tandemhq/tandem/internal/service"
)

// competitorCommand is "tandem competitor": the competitor catalog, win
// rates against each competitor, mentions and battlecards.
func (a *app) competitorCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "competitor",
		Short: "Competitors: the catalog, win rates against each, mentions and battlecards",
		Long: `The competitor catalog holds each competitor's name and aliases. Mentions
are found by name and alias: in the deals' competitors column (ignoring
case, spaces, hyphens and dots) and in feedback titles and texts (whole
words, ignoring case), so a name added today also counts in old items.

Win rate against a competitor = won / (won + lost) over the closed deals
where it competed (open deals are not losses), with a 95% Wilson interval
and n; under the minimum sample (--min-n, default 30) it reads
"insufficient data". It is compared with the closed deals without it by a
Newcombe interval: an association, not a cause.

Each battlecard save is a new version. Changes are recorded in the audit
log (competitor.save, battlecard.save) as cli:$USER.`,
	}
	cmd.AddCommand(a.competitorAddCommand(), a.competitorListCommand(), a.competitorShowCommand(),
		a.competitorSetCommand(), a.competitorImportCommand(), a.battlecardCommand())
	return cmd
}

// ---- competitor add ----

func (a *app) competitorAddCommand() *cobra.Command {
	var c tandem.Competitor
	cmd := &cobra.Command{
		Use:   "add NAME [--alias A]... [--website URL] [--notes TEXT]",
		Short: "Add a competitor to the catalog",
		Long: `Add a competitor. Its id is the slug of its name ("Northwind CRM" →
northwind-crm). Names and aliases are unique across the catalog, ignoring
case, spaces, hyphens and dots: a name already used is refused (exit 4).`,
		Example: `  tandem competitor add "Northwind CRM" --alias Northwind --alias NW --website https://northwind.example`,
		Args:    cobra.ExactArgs(1),
		RunE: a.withDesk(func(ctx context.Context, _ *cobra.Command, args []string, svc *service.Service) error {
			c.Name = args[0]
			e, err := svc.SaveCompetitor(ctx, service.Actor{Name: a.actorName()}, c, 0)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(e)
			}
			fmt.Fprintf(a.stdout, "added competitor %s (%s), version %d\n", e.ID, e.Name, e.Version)
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringArrayVar(&c.Aliases, "alias", nil, "another name it goes by (repeatable)")
	f.StringVar(&c.Website, "website", "", "its website (https://…)")
	f.StringVar(&c.Notes, "notes", "", "free notes")
	return cmd
}

// ---- competitor list ----

func (a *app) competitorListCommand() *cobra.Command {
	var o intel.Options
	cmd := &cobra.Command{
		Use:   "list [--min-n N]",
		Short: "List the catalog with each competitor's win rate and mentions",
		Example: `  tandem competitor list
  tandem competitor list --min-n 10 --json`,
		Args: cobra.NoArgs,
		RunE: a.withDesk(func(ctx context.Context, _ *cobra.Command, _ []string, svc *service.Service) error {
			if err := checkMinN(o.MinSample); err != nil {
				return err
			}
			cat, err := svc.CompetitorCatalogView(ctx, o)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(cat)
			}
			if len(cat.Competitors) == 0 {
				fmt.Fprintln(a.stdout, "the catalog is empty: add competitors with tandem competitor add, or tandem competitor import-from-deals")
				return nil
			}
			t := newTable(a.stdout)
			t.row("ID", "NAME", "WIN RATE AGAINST [95% CI] n", "DEALS", "FEEDBACK", "EMAIL", "SLACK", "BATTLECARD")
			for _, c := range cat.Competitors {
				card := "-"
				if c.BattlecardVersion > 0 {
					card = "v" + strconv.Itoa(c.BattlecardVersion)
				}
				t.row(c.ID, c.Name, c.WinRate.Text(), strconv.Itoa(c.Mentions.Deal), strconv.Itoa(c.Mentions.Feedback),
					strconv.Itoa(c.Mentions.Email), strconv.Itoa(c.Mentions.Slack), card)
			}
			if err := t.flush(); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "\nour overall win rate: %s\n%s Minimum sample: %d closed deals.\n", cat.Overall.Text(), cat.Definition, cat.Options.MinSample)
			return nil
		}),
	}
	cmd.Flags().IntVar(&o.MinSample, "min-n", 30, "closed deals under which a win rate is insufficient data")
	return cmd
}

// ---- competitor show ----

func (a *app) competitorShowCommand() *cobra.Command {
	var o intel.Options
	var mentions int
	cmd := &cobra.Command{
		Use:   "show ID [--min-n N] [--mentions N]",
		Short: "Show a competitor: win rates, trend by quarter, mentions and battlecard",
		Example: `  tandem competitor show northwind-crm
  tandem competitor show northwind-crm --min-n 10 --json`,
		Args: cobra.ExactArgs(1),
		RunE: a.withDesk(func(ctx context.Context, _ *cobra.Command, args []string, svc *service.Service) error {
			if err := checkMinN(o.MinSample); err != nil {
				return err
			}
			d, err := svc.CompetitorView(ctx, args[0], o)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(d)
			}
			w := a.stdout
			fmt.Fprintf(w, "%s (%s), version %d\n", d.Name, d.ID, d.Version)
			if len(d.Aliases) > 0 {
				fmt.Fprintf(w, "aliases: %s\n", strings.Join(d.Aliases, ", "))
			}
			if d.Website != "" {
				fmt.Fprintf(w, "website: %s\n", d.Website)
			}
			if d.Notes != "" {
				fmt.Fprintf(w, "notes: %s\n", d.Notes)
			}
			fmt.Fprintf(w, "\nwin rate against it:  %s\nwithout it:           %s\noverall:              %s\n%s\n%s Minimum sample: %d closed deals.\n",
				d.Rates.Against.Text(), d.Rates.Without.Text(), d.Rates.Overall.Text(), d.DifferenceText, d.Definition, d.Options.MinSample)
			if len(d.Rates.Trend) > 0 {
				fmt.Fprintln(w, "\nby quarter of close:")
				t := newTable(w)
				for _, q := range d.Rates.Trend {
					t.row("  "+q.Quarter, q.Text())
				}
				if err := t.flush(); err != nil {
					return err
				}
			}
			m := d.Mentions
			fmt.Fprintf(w, "\nmentions: %d (deals %d, feedback %d, e-mail %d, Slack %d)\n", m.Total, m.Deal, m.Feedback, m.Email, m.Slack)
			t := newTable(w)
			for i, x := range d.Latest {
				if i == mentions {
					break
				}
				t.row("  "+x.Date.Format("2006-01-02"), x.Source, x.Ref, x.Title, cmp.Or(x.RepName, x.Rep))
			}
			if err := t.flush(); err != nil {
				return err
			}
			fmt.Fprintln(w)
			if d.Battlecard == nil {
				fmt.Fprintln(w, "no battlecard yet: write one with tandem competitor battlecard set "+d.ID+" --file card.yaml")
				return nil
			}
			printBattlecard(w, *d.Battlecard)
			return nil
		}),
	}
	cmd.Flags().IntVar(&o.MinSample, "min-n", 30, "closed deals under which a win rate is insufficient data")
	cmd.Flags().IntVar(&mentions, "mentions", 10, "how many of the latest mentions to list")
	return cmd
}

// checkMinN refuses a --min-n under 1 instead of quietly using the
// default.
func checkMinN(n int) error {
	if n < 1 {
		return tandem.Errorf(tandem.EINVALID, "--min-n: %d is not a whole number of at least 1", n)
	}
	return nil
}

// printBattlecard prints a battlecard version for people.
func printBattlecard(w io.Writer, b service.BattlecardVersion) {
	c := b.Battlecard
	fmt.Fprintf(w, "battlecard version %d, %s by %s", b.Version, b.At.UTC().Format("2006-01-02 15:04"), b.Author)
	if b.Note != "" {
		fmt.Fprintf(w, " (%s)", b.Note)
	}
	fmt.Fprintln(w)
	if c.Summary != "" {
		fmt.Fprintf(w, "  %s\n", c.Summary)
	}
	list := func(title string, xs []string) {
		if len(xs) == 0 {
			return
		}
		fmt.Fprintf(w, "  %s:\n", title)
		for _, x := range xs {
			fmt.Fprintf(w, "    - %s\n", x)
		}
	}
	list("their strengths", c.Strengths)
	list("their weaknesses", c.Weaknesses)
	if len(c.Objections) > 0 {
		fmt.Fprintln(w, "  objections:")
		for _, o := range c.Objections {
			fmt.Fprintf(w, "    - %q\n      %s\n", o.Objection, o.Response)
		}
	}
	list("landmines", c.Landmines)
	list("proof points", c.ProofPoints)
}

// ---- competitor set ----

func (a *app) competitorSetCommand() *cobra.Command {
	var c tandem.Competitor
	var version int
	cmd := &cobra.Command{
		Use:   "set ID [--name N] [--alias A]... [--website URL] [--notes TEXT] [--version V]",
		Short: "Change a competitor's name, aliases, website or notes",
		Long: `Change the fields given as flags; the others keep their values. --alias
replaces the whole list (--alias "" clears it). --version is the version
your change starts from: when someone changed the entry since, the change
is refused (exit 4) rather than overwrite theirs; without it, the latest.`,
		Example: `  tandem competitor set northwind-crm --alias Northwind --alias NW
  tandem competitor set northwind-crm --website https://northwind.example --version 2`,
		Args: cobra.ExactArgs(1),
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, args []string, svc *service.Service) error {
			cur, err := svc.Competitor(ctx, args[0])
			if err != nil {
				return err
			}
			f := cmd.Flags()
			next := cur.Competitor
			if f.Changed("name") {
				next.Name = c.Name
			}
			if f.Changed("alias") {
				next.Aliases = nonBlank(c.Aliases)
			}
			if f.Changed("website") {
				next.Website = c.Website
			}
			if f.Changed("notes") {
				next.Notes = c.Notes
			}
			if !f.Changed("version") {
				version = cur.Version
			}
			e, err := svc.SaveCompetitor(ctx, service.Actor{Name: a.actorName()}, next, version)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(e)
			}
			fmt.Fprintf(a.stdout, "saved competitor %s, version %d\n", e.ID, e.Version)
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&c.Name, "name", "", "its name")
	f.StringArrayVar(&c.Aliases, "alias", nil, "another name it goes by (repeatable; replaces the list; \"\" clears it)")
	f.StringVar(&c.Website, "website", "", "its website (https://…; \"\" clears it)")
	f.StringVar(&c.Notes, "notes", "", "free notes")
	f.IntVar(&version, "version", 0, "the version the change starts from (default: the latest)")
	return cmd
}

// ---- competitor import-from-deals ----

func (a *app) competitorImportCommand() *cobra.Command {
	var dry bool
	cmd := &cobra.Command{
		Use:   "import-from-deals [--dry-run]",
		Short: "Add the deals' competitor names that the catalog does not know",
		Long: `Read the distinct values of the deals' competitors column, group spellings
that differ only in case, spaces, hyphens or dots, and add every group no
catalog entry matches by name or alias, in one transaction, named by its
most frequent spelling. --dry-run lists what it would add.`,
		Example: `  tandem competitor import-from-deals --dry-run
  tandem competitor import-from-deals --json`,
		Args: cobra.NoArgs,
		RunE: a.withDesk(func(ctx context.Context, _ *cobra.Command, _ []string, svc *service.Service) error {
			res, err := svc.ImportCompetitorsFromDeals(ctx, service.Actor{Name: a.actorName()}, !dry)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(res)
			}
			if len(res.Proposals) == 0 {
				fmt.Fprintln(a.stdout, "no deal names a competitor")
				return nil
			}
			t := newTable(a.stdout)
			t.row("NAME", "DEALS", "STATUS", "OTHER SPELLINGS")
			for _, p := range res.Proposals {
				status := "new"
				switch {
				case p.Existing != "":
					status = "matches " + p.Existing
				case !dry:
					status = "added"
				}
				t.row(p.Name, strconv.Itoa(p.Deals), status, strings.Join(p.Variants, ", "))
			}
			if err := t.flush(); err != nil {
				return err
			}
			for _, s := range res.Skipped {
				fmt.Fprintf(a.stdout, "skipped %s\n", s)
			}
			if dry {
				fmt.Fprintln(a.stdout, "dry run: nothing was added")
			} else {
				fmt.Fprintf(a.stdout, "added %d competitor(s)\n", len(res.Created))
			}
			return nil
		}),
	}
	cmd.Flags().BoolVar(&dry, "dry-run", false, "only list what would be added")
	return cmd
}

// ---- competitor battlecard ----

func (a *app) battlecardCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "battlecard",
		Short: "Show or write a competitor's battlecard",
		Long: `A battlecard holds a summary, the competitor's strengths and weaknesses,
objection handling, landmines and proof points. Each save is a new
version; show lists the versions with what changed in each.`,
	}
	cmd.AddCommand(a.battlecardShowCommand(), a.battlecardSetCommand())
	return cmd
}

func (a *app) battlecardShowCommand() *cobra.Command {
	var version int
	var history bool
	cmd := &cobra.Command{
		Use:   "show ID [--version N] [--history]",
		Short: "Show a battlecard (the latest version, or --version N), or every version with its changes",
		Example: `  tandem competitor battlecard show northwind-crm
  tandem competitor battlecard show northwind-crm --history --json`,
		Args: cobra.ExactArgs(1),
		RunE: a.withDesk(func(ctx context.Context, _ *cobra.Command, args []string, svc *service.Service) error {
			if _, err := svc.Competitor(ctx, args[0]); err != nil {
				return err
			}
			if history {
				vs, err := svc.BattlecardHistory(ctx, args[0])
				if err != nil {
					return err
				}
				if a.jsonOut {
					return a.printJSON(map[string]any{"versions": vs})
				}
				for _, v := range vs {
					fmt.Fprintf(a.stdout, "version %d, %s by %s", v.Version, v.At.UTC().Format("2006-01-02 15:04"), v.Author)
					if v.Note != "" {
						fmt.Fprintf(a.stdout, " (%s)", v.Note)
					}
					fmt.Fprintln(a.stdout)
					for _, c := range v.Changes {
						printChange(a.stdout, c)
					}
				}
				return nil
			}
			b, err := svc.Battlecard(ctx, args[0], version)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(b)
			}
			printBattlecard(a.stdout, b)
			return nil
		}),
	}
	cmd.Flags().IntVar(&version, "version", 0, "a version number (default: the latest)")
	cmd.Flags().BoolVar(&history, "history", false, "list every version, newest first, with what changed")
	return cmd
}

// printChange prints one field's change.
func printChange(w io.Writer, c intel.Change) {
	if c.Field == "summary" {
		fmt.Fprintf(w, "  summary: %q → %q\n", c.Before, c.After)
		return
	}
	for _, x := range c.Added {
		fmt.Fprintf(w, "  %s + %s\n", c.Field, x)
	}
	for _, x := range c.Removed {
		fmt.Fprintf(w, "  %s - %s\n", c.Field, x)
	}
}

func (a *app) battlecardSetCommand() *cobra.Command {
	var file, note string
	var version int
	cmd := &cobra.Command{
		Use:   "set ID --file F.(yaml|json) [--version V] [--note TEXT]",
		Short: "Save a battlecard from a YAML or JSON file as a new version",
		Long: `Save a battlecard from a file (JSON when it ends in .json, else YAML; "-"
reads standard input as YAML) with the fields summary, strengths,
weaknesses, objections (a list of {objection, response}), landmines and
proof_points. Unknown fields are refused. --version is the version your
edit starts from (0 for the first): when someone saved since, the save is
refused (exit 4); without it, the latest. A file that changes nothing
saves nothing.

  summary: Cheaper, thinner on analytics
  strengths: [price, brand]
  objections:
    - objection: They are 20% cheaper
      response: Count onboarding and the analytics add-on
  proof_points: [Acme went live in 3 weeks]`,
		Example: `  tandem competitor battlecard set northwind-crm --file northwind.yaml --note "Q3 pricing"`,
		Args:    cobra.ExactArgs(1),
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, args []string, svc *service.Service) error {
			if file == "" {
				return tandem.Errorf(tandem.EINVALID, "--file: name the battlecard file (.yaml or .json)")
			}
			var data []byte
			var err error
			if file == "-" {
				data, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), 1<<20+1))
			} else {
				data, err = os.ReadFile(file)
			}
			if err != nil {
				return tandem.Errorf(tandem.EINVALID, "read %s: %v", file, err)
			}
			b, err := intel.ParseBattlecard(file, data)
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("version") {
				cur, err := svc.Battlecard(ctx, args[0], 0)
				switch {
				case err == nil:
					version = cur.Version
				case tandem.ErrorCode(err) != tandem.ENOTFOUND:
					return err
				}
			}
			v, err := svc.SaveBattlecard(ctx, service.Actor{Name: a.actorName()}, args[0], b, version, note)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(v)
			}
			if v.Version == version {
				fmt.Fprintf(a.stdout, "nothing changed: the battlecard of %s stays at version %d\n", args[0], v.Version)
				return nil
			}
			fmt.Fprintf(a.stdout, "saved the battlecard of %s as version %d\n", args[0], v.Version)
			for _, c := range v.Changes {
				printChange(a.stdout, c)
			}
			return nil
		}),
	}
	f := cmd.Flags()
	f.StringVar(&file, "file", "", "the battlecard file, .yaml or .json (- for standard input)")
	f.IntVar(&version, "version", 0, "the version the edit starts from (default: the latest)")
	f.StringVar(&note, "note", "", "what changed, for the history")
	return cmd
}
