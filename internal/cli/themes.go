package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
	"github.com/tandemhq/tandem/internal/service"
)

// themesCommand is tandem themes (issue 8): themes of near-duplicate
// feedback, merges and splits by hand, titles and links, votes on
// customers' behalf, and the ranking by revenue at stake.
func (a *app) themesCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "themes",
		Short: "Themes of near-duplicate feedback: list, show, merge, split, title, link, vote, rank by revenue at stake",
		Long: `Feedback items are grouped into themes automatically: an item joins the
theme of its most similar earlier item when the Jaccard similarity of their
word unigrams and bigrams is at least 0.3 (MinHash/LSH finds the candidates;
see internal/themes). A theme's id is th- followed by the id of its anchor
item, the item that started it; the id of a theme merged into another keeps
working and opens the surviving theme.

Merges and splits by hand are stored and replayed whenever the grouping is
rebuilt. Changes are recorded in the audit log as cli:$USER.`,
	}
	cmd.AddCommand(a.themesListCommand(), a.themesShowCommand(), a.themesMergeCommand(), a.themesSplitCommand(),
		a.themesTitleCommand(), a.themesLinkCommand(), a.themesVoteCommand(), a.themesRankingCommand())
	return cmd
}

func (a *app) themesListCommand() *cobra.Command {
	var q service.ThemeQuery
	cmd := &cobra.Command{
		Use:   "list [--search WORDS] [--min-items N] [--limit N] [--offset N]",
		Short: "List themes with their counts, the largest first",
		Example: `  tandem themes list --min-items 2
  tandem themes list --search "okta sso" --json`,
		Args: cobra.NoArgs,
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, args []string, svc *service.Service) error {
			if q.MinItems < 0 || q.Limit < 0 || q.Offset < 0 {
				return tandem.Errorf(tandem.EINVALID, "--min-items, --limit and --offset must not be negative")
			}
			list, err := svc.Themes(ctx, q)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(list)
			}
			fmt.Fprintf(a.stdout, "%d themes over %d items (threshold %.2f); showing %d\n", list.Total, list.Items, list.Threshold, len(list.Themes))
			t := newTable(a.stdout)
			t.row("THEME", "ITEMS", "ACCOUNTS", "VOTES", "TITLE")
			for _, th := range list.Themes {
				t.row(th.ID, strconv.Itoa(th.Items), strconv.Itoa(th.Accounts), strconv.Itoa(th.Votes), th.Title)
			}
			return t.flush()
		}),
	}
	cmd.Flags().StringVar(&q.Text, "search", "", "only themes whose title or items contain every word")
	cmd.Flags().IntVar(&q.MinItems, "min-items", 1, "only themes with at least this many items")
	cmd.Flags().IntVar(&q.Limit, "limit", 50, "themes to show")
	cmd.Flags().IntVar(&q.Offset, "offset", 0, "themes to skip")
	return cmd
}

func (a *app) themesShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "show ID",
		Short: "Show a theme: items, votes, title and links",
		Long: `Show a theme with its items in the order received, its votes, its title and
links and the version an edit must name. The id of a theme that was merged
into another shows the surviving theme. Exit status 3 for an unknown id.`,
		Example: `  tandem themes show th-fb-1a2b3c4d5e6f7a8b`,
		Args:    cobra.ExactArgs(1),
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, args []string, svc *service.Service) error {
			d, err := svc.Theme(ctx, args[0])
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(d)
			}
			printTheme(a.stdout, d)
			return nil
		}),
	}
}

func printTheme(w io.Writer, d *service.ThemeDetail) {
	th := d.Theme
	fmt.Fprintf(w, "%s  %s\n", th.ID, th.Title)
	fmt.Fprintf(w, "%d item(s), %d account(s), %d vote(s): %d critical, %d important, %d nice\n",
		th.Items, th.Accounts, d.Counts.Total, d.Counts.Critical, d.Counts.Important, d.Counts.Nice)
	if d.Version > 0 {
		fmt.Fprintf(w, "title and links: version %d\n", d.Version)
	} else {
		fmt.Fprintln(w, "title and links: never saved (version 0)")
	}
	if len(d.Features) > 0 {
		names := make([]string, len(d.Features))
		for i, f := range d.Features {
			names[i] = f.ID + " (" + f.Name + ")"
		}
		fmt.Fprintf(w, "features: %s\n", strings.Join(names, ", "))
	}
	if len(d.Info.Specials) > 0 {
		fmt.Fprintf(w, "specials: %s\n", strings.Join(d.Info.Specials, ", "))
	}
	if len(d.Merged) > 0 {
		fmt.Fprintf(w, "merged into it: %s\n", strings.Join(d.Merged, ", "))
	}
	fmt.Fprintln(w, "\nitems:")
	t := newTable(w)
	t.row("ITEM", "RECEIVED", "ACCOUNT", "DEAL", "STATUS", "", "TEXT")
	for _, it := range d.Items {
		mark := ""
		switch {
		case it.Anchor:
			mark = "anchor"
		case it.Pinned:
			mark = "split"
		}
		t.row(it.ID, it.ReceivedAt.Format("2006-01-02"), orDash(it.AccountID), orDash(it.DealID), string(it.Status), mark, it.Excerpt)
	}
	_ = t.flush()
	if len(d.Votes) > 0 {
		fmt.Fprintln(w, "\nvotes:")
		t = newTable(w)
		t.row("ACCOUNT", "IMPORTANCE", "BY", "ON", "NOTE")
		for _, v := range d.Votes {
			t.row(v.AccountID, v.Importance, v.By, v.At.Format("2006-01-02"), v.Note)
		}
		_ = t.flush()
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func (a *app) themesMergeCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "merge INTO FROM",
		Short: "Merge theme FROM into theme INTO, which keeps its id, title and links",
		Long: `Move every item of theme FROM into theme INTO. FROM's id opens INTO from
now on, and votes recorded for FROM count for INTO.`,
		Example: `  tandem themes merge th-fb-1a2b3c4d5e6f7a8b th-fb-9f8e7d6c5b4a3921`,
		Args:    cobra.ExactArgs(2),
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, args []string, svc *service.Service) error {
			sum, err := svc.MergeThemes(ctx, service.Actor{Name: a.actorName()}, args[0], args[1])
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(sum)
			}
			fmt.Fprintf(a.stdout, "merged %s into %s: %d items\n", args[1], sum.ID, sum.Items)
			return nil
		}),
	}
}

func (a *app) themesSplitCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "split ITEM",
		Short: "Split a feedback item out of its theme into a theme of its own",
		Long: `Move a feedback item into a new theme it anchors (th-ITEM). The item stays
there, and new items resembling it join it. Refused (exit status 2) for an
item already alone in its theme.`,
		Example: `  tandem themes split fb-1a2b3c4d5e6f7a8b`,
		Args:    cobra.ExactArgs(1),
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, args []string, svc *service.Service) error {
			sum, err := svc.SplitItem(ctx, service.Actor{Name: a.actorName()}, args[0])
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(sum)
			}
			fmt.Fprintf(a.stdout, "split %s into its own theme %s\n", args[0], sum.ID)
			return nil
		}),
	}
}

// themeSavedOut is what title and link print with --json.
type themeSavedOut struct {
	Info    tandem.ThemeInfo `json:"info"`
	Version int              `json:"version"`
}

// saveThemeInfo applies change to a theme's stored title and links and
// saves them as the next version after expect (-1: the current version).
func (a *app) saveThemeInfo(ctx context.Context, svc *service.Service, id string, expect int, change func(*tandem.ThemeInfo)) error {
	d, err := svc.Theme(ctx, id)
	if err != nil {
		return err
	}
	if d.Theme.ID != id {
		return tandem.Errorf(tandem.EINVALID, "theme %s was merged into %s: use %s", id, d.Theme.ID, d.Theme.ID)
	}
	if expect < 0 {
		expect = d.Version
	}
	info := d.Info
	info.Features, info.Specials = slices.Clone(info.Features), slices.Clone(info.Specials)
	change(&info)
	saved, v, err := svc.PutThemeInfo(ctx, service.Actor{Name: a.actorName()}, id, info, expect)
	if err != nil {
		return err
	}
	if a.jsonOut {
		return a.printJSON(themeSavedOut{Info: saved, Version: v})
	}
	fmt.Fprintf(a.stdout, "saved %s version %d: title %q, features %s, specials %s\n", id, v, saved.Title,
		orDash(strings.Join(saved.Features, ", ")), orDash(strings.Join(saved.Specials, ", ")))
	return nil
}

func (a *app) themesTitleCommand() *cobra.Command {
	var version int
	cmd := &cobra.Command{
		Use:   "title ID TEXT [--version N]",
		Short: "Give a theme a title",
		Long: `Save a theme's title as a new version of its title and links. --version is
the version your change is based on (default: the current one); if someone
saved since, the change is refused with exit status 4.`,
		Example: `  tandem themes title th-fb-1a2b3c4d5e6f7a8b "Single sign-on with Okta"`,
		Args:    cobra.ExactArgs(2),
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, args []string, svc *service.Service) error {
			return a.saveThemeInfo(ctx, svc, args[0], version, func(i *tandem.ThemeInfo) { i.Title = args[1] })
		}),
	}
	cmd.Flags().IntVar(&version, "version", -1, "the version the change is based on (default: current)")
	return cmd
}

func (a *app) themesLinkCommand() *cobra.Command {
	var version int
	var features, specials, unlink []string
	cmd := &cobra.Command{
		Use:   "link ID [--feature F]... [--special S]... [--unlink X]... [--version N]",
		Short: "Link a theme to features and specials (or unlink them)",
		Long: `Add links from a theme to features (ids that must exist) and to specials
(free text for now), or remove links with --unlink (a feature id or a
special). Lost deals whose reasons name a linked feature count as lost
revenue citing the theme in the ranking.`,
		Example: `  tandem themes link th-fb-1a2b3c4d5e6f7a8b --feature F012
  tandem themes link th-fb-1a2b3c4d5e6f7a8b --unlink F012`,
		Args: cobra.ExactArgs(1),
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, args []string, svc *service.Service) error {
			if len(features)+len(specials)+len(unlink) == 0 {
				return tandem.Errorf(tandem.EINVALID, "give --feature, --special or --unlink")
			}
			return a.saveThemeInfo(ctx, svc, args[0], version, func(i *tandem.ThemeInfo) {
				i.Features = append(i.Features, features...)
				i.Specials = append(i.Specials, specials...)
				drop := func(x string) bool { return slices.Contains(unlink, x) }
				i.Features = slices.DeleteFunc(i.Features, drop)
				i.Specials = slices.DeleteFunc(i.Specials, drop)
			})
		}),
	}
	cmd.Flags().StringArrayVar(&features, "feature", nil, "link this feature id (repeatable)")
	cmd.Flags().StringArrayVar(&specials, "special", nil, "link this special (repeatable)")
	cmd.Flags().StringArrayVar(&unlink, "unlink", nil, "remove this feature or special link (repeatable)")
	cmd.Flags().IntVar(&version, "version", -1, "the version the change is based on (default: current)")
	return cmd
}

func (a *app) themesVoteCommand() *cobra.Command {
	var v tandem.Vote
	cmd := &cobra.Command{
		Use:   "vote THEME --account A --importance nice|important|critical [--note TEXT]",
		Short: "Record that an account wants a theme, with importance",
		Long: `Record a vote on a customer's behalf. One vote per account and theme: voting
again replaces its importance and note (as a new version).`,
		Example: `  tandem themes vote th-fb-1a2b3c4d5e6f7a8b --account A0042 --importance critical --note "renewal blocker"`,
		Args:    cobra.ExactArgs(1),
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, args []string, svc *service.Service) error {
			if v.AccountID == "" {
				return tandem.Errorf(tandem.EINVALID, "--account is required")
			}
			v.Theme = args[0]
			saved, err := svc.SaveVote(ctx, service.Actor{Name: a.actorName()}, v)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(saved)
			}
			fmt.Fprintf(a.stdout, "recorded: %s wants %s (%s)\n", saved.AccountID, saved.Theme, saved.Importance)
			return nil
		}),
	}
	cmd.Flags().StringVar(&v.AccountID, "account", "", "the account that wants the theme (required)")
	cmd.Flags().StringVar(&v.Importance, "importance", tandem.ImportanceNice, "nice, important or critical")
	cmd.Flags().StringVar(&v.Note, "note", "", "why, in the customer's words")
	return cmd
}

func (a *app) themesRankingCommand() *cobra.Command {
	var sort, format string
	var limit, minN int
	cmd := &cobra.Command{
		Use:   "ranking [--sort total|arr|pipeline|lost|votes|items] [--format table|csv|json] [--limit N]",
		Short: "Rank themes by revenue at stake: customers' ARR, stage-weighted open pipeline, lost revenue",
		Long: `Rank every theme by the revenue at stake, each figure with its count:

  arr       customers' ARR: 12 × MRR of the active subscriptions of the
            theme's accounts (accounts of its items and accounts that voted)
  pipeline  open deals of those accounts and open deals its items name,
            each amount × the share of closed deals that entered the deal's
            current stage and were won (stages with fewer than --min-n
            closed deals use the overall win rate)
  lost      lost deals its items name, and lost deals whose recorded
            reasons name a feature linked to the theme
  total     arr + pipeline + lost, the default sort

--format csv writes every row as CSV for a spreadsheet; json (or --json)
the whole ranking with stage probabilities, definitions and notes.`,
		Example: `  tandem themes ranking
  tandem themes ranking --sort lost --limit 10
  tandem themes ranking --format csv > ranking.csv`,
		Args: cobra.NoArgs,
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, args []string, svc *service.Service) error {
			if a.jsonOut {
				format = "json"
			}
			switch format {
			case "table", "csv", "json":
			default:
				return tandem.Errorf(tandem.EINVALID, "--format %q: use table, csv or json", format)
			}
			if limit < 0 || minN < 0 {
				return tandem.Errorf(tandem.EINVALID, "--limit and --min-n must not be negative")
			}
			rk, err := svc.ThemeRanking(ctx, service.RankingQuery{Sort: sort, CustomerData: true, Limit: limit, MinN: minN})
			if err != nil {
				return err
			}
			switch format {
			case "json":
				return a.printJSON(rk)
			case "csv":
				return rk.WriteCSV(a.stdout)
			}
			printRanking(a.stdout, rk)
			return nil
		}),
	}
	cmd.Flags().StringVar(&sort, "sort", service.SortTotal, "total, arr, pipeline, lost, votes or items (descending)")
	cmd.Flags().StringVar(&format, "format", "table", "table, csv or json")
	cmd.Flags().IntVar(&limit, "limit", 0, "rows to show (0: all)")
	cmd.Flags().IntVar(&minN, "min-n", service.RankingMinSample, "minimum closed deals for a stage's own win rate")
	return cmd
}

func printRanking(w io.Writer, rk *service.Ranking) {
	money := func(v float64) string { return analytics.FormatNumber("money", v) }
	fmt.Fprintf(w, "%d themes ranked by %s\n", rk.Total, rk.Sort)
	t := newTable(w)
	t.row("#", "THEME", "ITEMS", "ACCTS", "VOTES(c/i/n)", "ARR", "(ACCTS)", "PIPELINE", "(DEALS)", "LOST", "(DEALS)", "TOTAL", "TITLE")
	for _, r := range rk.Rows {
		arr, arrN := "-", "-"
		if r.ARR != nil {
			arr, arrN = money(r.ARR.Value), strconv.Itoa(r.ARR.Accounts)
		}
		t.row(strconv.Itoa(r.Rank), r.Theme, strconv.Itoa(r.Items), strconv.Itoa(r.Accounts),
			fmt.Sprintf("%d (%d/%d/%d)", r.Votes.Total, r.Votes.Critical, r.Votes.Important, r.Votes.Nice),
			arr, arrN, money(r.Pipeline.Value), strconv.Itoa(r.Pipeline.Deals), money(r.Lost.Value), strconv.Itoa(r.Lost.Deals), money(r.Sum), r.Title)
	}
	_ = t.flush()
	fmt.Fprintf(w, "\nstage probabilities (overall win rate %.1f%%, n=%d closed deals; minimum sample %d):\n", 100*rk.OverallWin.Value, rk.OverallWin.N, rk.MinN)
	t = newTable(w)
	t.row("STAGE", "WON/ENTERED", "RATE", "95% CI", "USED", "OPEN")
	for _, st := range rk.Stages {
		rate, ci, used := fmt.Sprintf("%.1f%%", 100*st.Rate.Value), fmt.Sprintf("%.1f%%–%.1f%%", 100*st.Rate.CILow, 100*st.Rate.CIHigh), fmt.Sprintf("%.1f%%", 100*st.Used)
		if st.Fallback {
			rate, ci, used = "insufficient data", "-", used+" (overall)"
		}
		t.row(st.Stage, fmt.Sprintf("%d/%d", st.Rate.K, st.Rate.N), rate, ci, used, strconv.Itoa(st.Open))
	}
	_ = t.flush()
	for _, n := range rk.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	fmt.Fprintln(w, "\ndefinitions:")
	for _, k := range []string{"total", "arr", "pipeline", "lost", "votes", "win_rate"} {
		if d, ok := rk.Definitions[k]; ok {
			fmt.Fprintf(w, "  %s: %s\n", k, d)
		}
	}
}
