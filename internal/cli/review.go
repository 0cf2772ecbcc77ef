package cli

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
	"github.com/tandemhq/tandem/internal/desk"
	"github.com/tandemhq/tandem/internal/service"
)

// reviewCommand is "tandem review": the product–sales deal reviews.
func (a *app) reviewCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "review",
		Short: "Deal reviews: triggers, the meeting agenda, product's response, decisions, actions and outcomes",
		Long: `A deal the review triggers fire on (deal size, a vertical, a strategic
account, a product gap or a special request tagged on the deal) gets a
review record: a snapshot of the deal, the desk's evidence, product's
response, the decision, actions with owner and due date, and the deal's
outcome once it closes. The product–sales review meets on set days of the
month (the 1st and 15th by default).

Reviews open when a scan runs (tandem review scan, or the agenda, which
scans first) or when a quote is saved for the deal. Changes are recorded in
the audit log as cli:$USER, or as the user named by --as where a command
takes it.`,
	}
	cmd.AddCommand(a.reviewTriggersCommand(), a.reviewScanCommand(), a.reviewAgendaCommand(),
		a.reviewShowCommand(), a.reviewUpdateCommand(), a.reviewReportCommand())
	return cmd
}

// ---- review triggers ----

func (a *app) reviewTriggersCommand() *cobra.Command {
	var t desk.Triggers
	cmd := &cobra.Command{
		Use:   "triggers [--min-amount N] [--vertical V]... [--strategic ACCOUNT]... [--product-gap=BOOL] [--special=BOOL] [--meeting-day D]...",
		Short: "Show the deal-review triggers, or change those given as flags",
		Long: `Show what makes a deal get a review, or change the triggers given as flags
(the others keep their values); a change is a new version, recorded in the
audit log.

  min amount        deals of at least this amount (0: off)
  verticals         accounts in these industries (case-insensitive)
  strategic         these accounts, by id or name
  product gap       deals whose attr.product_gap is not empty
  special request   deals whose attr.special_request is not empty
  meeting days      the days of the month the review meets (1 to 28)

A repeatable flag replaces its whole list: --vertical Pharma --vertical
Banking sets two verticals, --vertical "" clears them. Reviews already open
stay open; the next scan applies the new triggers.`,
		Example: `  tandem review triggers
  tandem review triggers --min-amount 50000 --vertical Pharma --strategic "Acme Corp"
  tandem review triggers --special=false --meeting-day 1 --meeting-day 15 --json`,
		Args: cobra.NoArgs,
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, _ []string, svc *service.Service) error {
			cur, version, err := svc.ReviewTriggers(ctx)
			if err != nil {
				return err
			}
			f := cmd.Flags()
			changed := false
			for _, c := range []struct {
				flag string
				set  func()
			}{
				{"min-amount", func() { cur.MinAmount = t.MinAmount }},
				{"vertical", func() { cur.Verticals = nonBlank(t.Verticals) }},
				{"strategic", func() { cur.Strategic = nonBlank(t.Strategic) }},
				{"product-gap", func() { cur.ProductGap = t.ProductGap }},
				{"special", func() { cur.Special = t.Special }},
				{"meeting-day", func() { cur.MeetingDays = t.MeetingDays }},
			} {
				if f.Changed(c.flag) {
					c.set()
					changed = true
				}
			}
			if changed {
				if cur, err = svc.PutReviewTriggers(ctx, service.Actor{Name: a.actorName()}, cur); err != nil {
					return err
				}
				version++
			}
			if a.jsonOut {
				return a.printJSON(map[string]any{"version": version, "triggers": cur})
			}
			switch {
			case changed:
				fmt.Fprintf(a.stdout, "saved review triggers version %d\n", version)
			case version == 0:
				fmt.Fprintln(a.stdout, "review triggers: the defaults (never changed)")
			default:
				fmt.Fprintf(a.stdout, "review triggers version %d\n", version)
			}
			printTriggers(a.stdout, cur)
			return nil
		}),
	}
	f := cmd.Flags()
	def := desk.DefaultTriggers()
	f.Float64Var(&t.MinAmount, "min-amount", def.MinAmount, "review deals of at least this amount (0: off)")
	f.StringArrayVar(&t.Verticals, "vertical", nil, "review deals of accounts in this industry (repeatable; \"\" clears)")
	f.StringArrayVar(&t.Strategic, "strategic", nil, "review deals of this account, by id or name (repeatable; \"\" clears)")
	f.BoolVar(&t.ProductGap, "product-gap", def.ProductGap, "review deals with a product gap tagged (attr.product_gap)")
	f.BoolVar(&t.Special, "special", def.Special, "review deals with a special request attached (attr.special_request)")
	f.IntSliceVar(&t.MeetingDays, "meeting-day", def.MeetingDays, "a day of the month the review meets, 1 to 28 (repeatable)")
	return cmd
}

// nonBlank returns the list without its blank entries, so that a flag
// given as "" clears the list.
func nonBlank(l []string) []string {
	var out []string
	for _, s := range l {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func printTriggers(w io.Writer, t desk.Triggers) {
	onOff := func(b bool) string {
		if b {
			return "on"
		}
		return "off"
	}
	list := func(l []string) string {
		if len(l) == 0 {
			return "none"
		}
		return strings.Join(l, ", ")
	}
	amount := "off"
	if t.MinAmount > 0 {
		amount = analytics.FormatNumber("money", t.MinAmount) + " and over"
	}
	days := make([]string, len(t.MeetingDays))
	for i, d := range t.MeetingDays {
		days[i] = strconv.Itoa(d)
	}
	tw := newTable(w)
	tw.row("  min amount", amount)
	tw.row("  verticals", list(t.Verticals))
	tw.row("  strategic", list(t.Strategic))
	tw.row("  product gap", onOff(t.ProductGap))
	tw.row("  special request", onOff(t.Special))
	tw.row("  meeting days", strings.Join(days, ", "))
	tw.flush()
}

// ---- review scan ----

func (a *app) reviewScanCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "scan",
		Short: "Open reviews for the open deals the triggers fire on, and record the outcome of closed ones",
		Long: `Open a review, with a snapshot of the deal and the desk's evidence, for every
open deal the triggers fire on that has none, and fill the outcome of every
review whose deal has closed since (recorded as system:review). Running it
again changes nothing new; tandem review agenda scans first anyway.`,
		Example: `  tandem review scan
  tandem review scan --json`,
		Args: cobra.NoArgs,
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, _ []string, svc *service.Service) error {
			opened, closed, err := svc.ScanReviews(ctx, service.Actor{Name: a.actorName()})
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(map[string]int{"opened": opened, "closed": closed})
			}
			fmt.Fprintf(a.stdout, "opened %s; filled the outcome of %d (their deals closed)\n", countNoun(opened, "review"), closed)
			return nil
		}),
	}
}

// countNoun words a count of things: "1 review", "3 reviews".
func countNoun(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return strconv.Itoa(n) + " " + thing + "s"
}

// ---- review agenda ----

func (a *app) reviewAgendaCommand() *cobra.Command {
	var date string
	cmd := &cobra.Command{
		Use:   "agenda [--date YYYY-MM-DD]",
		Short: "The agenda of the next review meeting: open reviews, largest deal first, with their open actions",
		Long: `Scan (as tandem review scan does), then list for the first meeting day on or
after --date (default today) every review whose deal is still open or that
has open actions, largest deal first: the deal's id, name and amount, why it
is reviewed, product's response, the decision, the open actions with owner
and due date (OVERDUE when due before the meeting), and the outcome.`,
		Example: `  tandem review agenda
  tandem review agenda --date 2026-03-12 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			day, err := parseDayFlag("--date", date)
			if err != nil {
				return err
			}
			if day.IsZero() {
				y, m, d := time.Now().Date()
				day = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
			}
			ctx := cmd.Context()
			svc, db, err := a.openDeskService(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			ag, err := svc.ReviewAgenda(ctx, service.Actor{Name: a.actorName()}, day)
			if err != nil {
				return err
			}
			if a.jsonOut {
				for i := range ag.Items {
					ag.Items[i].Review = reviewLists(ag.Items[i].Review)
				}
				return a.printJSON(ag)
			}
			printAgenda(a.stdout, ag)
			return nil
		},
	}
	cmd.Flags().StringVar(&date, "date", "", "find the next meeting on or after this day (default today)")
	return cmd
}

// parseDayFlag reads a YYYY-MM-DD flag; empty is the zero time.
func parseDayFlag(flag, v string) (time.Time, error) {
	if strings.TrimSpace(v) == "" {
		return time.Time{}, nil
	}
	d, err := time.Parse(time.DateOnly, strings.TrimSpace(v))
	if err != nil {
		return time.Time{}, tandem.Errorf(tandem.EINVALID, "%s %q is not a date (YYYY-MM-DD)", flag, v)
	}
	return d, nil
}

func printAgenda(w io.Writer, ag *service.Agenda) {
	meeting := ag.Meeting.UTC().Format(time.DateOnly)
	if len(ag.Items) == 0 {
		fmt.Fprintf(w, "review meeting %s: nothing to review\n", meeting)
		return
	}
	overdue := 0
	for _, it := range ag.Items {
		overdue += it.Overdue
	}
	fmt.Fprintf(w, "review meeting %s: %s", meeting, countNoun(len(ag.Items), "deal"))
	if overdue > 0 {
		fmt.Fprintf(w, ", %s overdue", countNoun(overdue, "action"))
	}
	fmt.Fprintln(w)
	for i, it := range ag.Items {
		r := it.Review
		fmt.Fprintf(w, "\n%d. %s  %s\n", i+1, reviewDeal(r), analytics.FormatNumber("money", r.Snapshot.Amount))
		fmt.Fprintf(w, "   why:      %s\n", strings.Join(r.Triggers, "; "))
		if r.ProductResponse != "" {
			fmt.Fprintf(w, "   product:  %s\n", r.ProductResponse)
		}
		fmt.Fprintf(w, "   decision: %s\n", orNotYet(r.Decision))
		if len(it.OpenActions) == 0 {
			fmt.Fprintln(w, "   actions:  none open")
		}
		for _, x := range it.OpenActions {
			mark := ""
			if x.Due.Before(ag.Meeting) {
				mark = "  OVERDUE"
			}
			fmt.Fprintf(w, "   action:   %s (%s, due %s)%s\n", x.Text, x.Owner, x.Due.UTC().Format(time.DateOnly), mark)
		}
		fmt.Fprintf(w, "   outcome:  %s\n", reviewOutcome(r))
	}
}

// reviewLists returns the review with empty lists where it has none, as
// the API answers it: a review opened without desk evidence has nil
// figures and flags.
func reviewLists(r desk.Review) desk.Review {
	if r.Triggers == nil {
		r.Triggers = []string{}
	}
	if r.Evidence.Figures == nil {
		r.Evidence.Figures = []desk.Figure{}
	}
	if r.Evidence.Flags == nil {
		r.Evidence.Flags = []string{}
	}
	if r.Actions == nil {
		r.Actions = []desk.Action{}
	}
	return r
}

// reviewDeal names a review's deal by id and, when known, its name.
func reviewDeal(r desk.Review) string {
	if r.Snapshot.Name == "" || r.Snapshot.Name == r.DealID {
		return r.DealID
	}
	return r.DealID + " " + r.Snapshot.Name
}

// orNotYet is s, or "none yet" when it is empty.
func orNotYet(s string) string {
	if strings.TrimSpace(s) == "" {
		return "none yet"
	}
	return s
}

// reviewOutcome words a review's outcome: open, or how and when the deal
// closed.
func reviewOutcome(r desk.Review) string {
	if r.Outcome == "" {
		return "open"
	}
	if r.ClosedAt.IsZero() {
		return r.Outcome
	}
	return r.Outcome + " on " + r.ClosedAt.UTC().Format(time.DateOnly)
}

// ---- review show ----

func (a *app) reviewShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "show DEAL",
		Short: "Show a deal's review: why, the snapshot and evidence, response, decision, actions, outcome, history",
		Long: `Show the latest version of a deal's review and every version before it. Each
action has its index (for tandem review update --done I). Exit status 3
when the deal has no review.`,
		Example: `  tandem review show D00042
  tandem review show D00042 --json`,
		Args: cobra.ExactArgs(1),
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, args []string, svc *service.Service) error {
			r, versions, err := svc.Review(ctx, args[0])
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(map[string]any{"review": reviewLists(r), "versions": versions})
			}
			printReview(a.stdout, r, versions)
			return nil
		}),
	}
}

func printReview(w io.Writer, r desk.Review, versions []tandem.Doc) {
	fmt.Fprintf(w, "review of deal %s, version %d", reviewDeal(r), r.Version)
	if r.UpdatedBy != "" {
		fmt.Fprintf(w, " by %s", r.UpdatedBy)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "opened %s; outcome: %s\n", r.OpenedAt.UTC().Format(cliTime), reviewOutcome(r))
	fmt.Fprintf(w, "why: %s\n", strings.Join(r.Triggers, "; "))

	s := r.Snapshot
	fmt.Fprintln(w, "\nThe deal when the review opened:")
	tw := newTable(w)
	tw.row("  amount", analytics.FormatNumber("money", s.Amount))
	for _, f := range [][2]string{{"stage", s.Stage}, {"account", s.Account}, {"segment", s.Segment}, {"industry", s.Industry},
		{"rep", s.Rep}, {"products", strings.Join(s.Products, ", ")}, {"quote", s.Quote}} {
		if f[1] != "" {
			tw.row("  "+f[0], f[1])
		}
	}
	tw.flush()

	fmt.Fprintln(w, "\nThe desk's evidence then:")
	printMatch(w, r.Evidence.Archetype)
	for _, f := range r.Evidence.Figures {
		fmt.Fprintf(w, "  %s\n", labelled(f))
	}
	flags := "none"
	if len(r.Evidence.Flags) > 0 {
		flags = strings.Join(r.Evidence.Flags, ", ")
	}
	fmt.Fprintf(w, "  flags: %s\n", flags)

	fmt.Fprintf(w, "\nproduct response: %s\n", orNotYet(r.ProductResponse))
	fmt.Fprintf(w, "decision:         %s\n", orNotYet(r.Decision))
	if len(r.Actions) == 0 {
		fmt.Fprintln(w, "actions:          none")
	} else {
		fmt.Fprintln(w, "actions:")
		tw := newTable(w)
		tw.row("  I", "DONE", "ACTION", "OWNER", "DUE")
		for i, x := range r.Actions {
			done := "[ ]"
			if x.Done {
				done = "[x]"
			}
			tw.row("  "+strconv.Itoa(i), done, x.Text, x.Owner, x.Due.UTC().Format(time.DateOnly))
		}
		tw.flush()
	}
	if len(versions) > 0 {
		fmt.Fprintln(w, "\nVersions:")
		tw := newTable(w)
		tw.row("  VERSION", "SAVED", "BY", "NOTE")
		for _, d := range versions {
			tw.row("  "+strconv.Itoa(d.Version), d.CreatedAt.UTC().Format(cliTime), d.Author, d.Note)
		}
		tw.flush()
	}
}

// ---- review update ----

// parseAction reads --action "TEXT|OWNER|YYYY-MM-DD". The text is what
// precedes the last two bars, so it may itself hold one.
func parseAction(s string) (desk.Action, error) {
	bad := func(why string) (desk.Action, error) {
		return desk.Action{}, tandem.Errorf(tandem.EINVALID, "--action %q: %s (use \"TEXT|OWNER|YYYY-MM-DD\")", s, why)
	}
	parts := strings.Split(s, "|")
	if len(parts) < 3 {
		return bad("too few fields")
	}
	n := len(parts)
	x := desk.Action{Text: strings.TrimSpace(strings.Join(parts[:n-2], "|")), Owner: strings.TrimSpace(parts[n-2])}
	if x.Text == "" {
		return bad("no text")
	}
	if x.Owner == "" {
		return bad("no owner")
	}
	due, err := time.Parse(time.DateOnly, strings.TrimSpace(parts[n-1]))
	if err != nil {
		return bad(strconv.Quote(parts[n-1]) + " is not a date")
	}
	x.Due = due
	return x, nil
}

func (a *app) reviewUpdateCommand() *cobra.Command {
	var (
		version          int
		response, decide string
		actions          []string
		done             []int
		clearActions     bool
		as               string
	)
	cmd := &cobra.Command{
		Use:   "update DEAL --version N [--product-response TEXT] [--decision TEXT] [--action \"TEXT|OWNER|YYYY-MM-DD\"]... [--done I]... [--clear-actions]",
		Short: "Record product's response, the decision and actions on a deal's review (a new version)",
		Long: `Change a deal's review as a new version. --version is the version the edit
started from (tandem review show prints it); when the review moved on since,
nothing is saved and the exit status is 4.

--product-response and --decision replace their text ("" clears it).
--action adds an action, "TEXT|OWNER|YYYY-MM-DD" (repeatable); --done I
marks action I done, I as numbered by tandem review show (repeatable). The
existing actions are kept unless --clear-actions drops them first.

The change is recorded as cli:$USER, or as the user named by --as (the one
whose statement it is, such as the product manager answering), from
cli:$USER.`,
		Example: `  tandem review update D00042 --version 1 --product-response "SSO ships in May" --as pat@example.com
  tandem review update D00042 --version 2 --decision "go, with a services workaround" \
      --action "send the SSO timeline|ann.lee@example.com|2026-03-10"
  tandem review update D00042 --version 3 --done 0`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f := cmd.Flags()
			if !f.Changed("version") || version < 1 {
				return tandem.Errorf(tandem.EINVALID, "--version N is required: the version the edit started from (tandem review show %s)", args[0])
			}
			if !slices.ContainsFunc([]string{"product-response", "decision", "action", "done", "clear-actions"}, f.Changed) {
				return tandem.Errorf(tandem.EINVALID, "nothing to change: give --product-response, --decision, --action, --done or --clear-actions")
			}
			if clearActions && len(done) > 0 {
				return tandem.Errorf(tandem.EINVALID, "--done marks an existing action; --clear-actions drops them all")
			}
			var added []desk.Action
			for _, s := range actions {
				x, err := parseAction(s)
				if err != nil {
					return err
				}
				added = append(added, x)
			}
			ctx := cmd.Context()
			svc, db, err := a.openDeskService(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			actor, err := a.deskActor(ctx, svc, as)
			if err != nil {
				return err
			}
			cur, _, err := svc.Review(ctx, args[0])
			if err != nil {
				return err
			}
			u := service.ReviewUpdate{Version: version, ProductResponse: cur.ProductResponse, Decision: cur.Decision, Actions: slices.Clone(cur.Actions)}
			if f.Changed("product-response") {
				u.ProductResponse = response
			}
			if f.Changed("decision") {
				u.Decision = decide
			}
			if clearActions {
				u.Actions = nil
			}
			for _, i := range done {
				if i < 0 || i >= len(u.Actions) {
					return tandem.Errorf(tandem.EINVALID, "--done %d: the review of deal %s has actions 0 to %d (tandem review show %s)", i, args[0], len(u.Actions)-1, args[0])
				}
				u.Actions[i].Done = true
			}
			u.Actions = append(u.Actions, added...)
			r, err := svc.UpdateReview(ctx, actor, args[0], u)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(reviewLists(r))
			}
			fmt.Fprintf(a.stdout, "saved the review of deal %s as version %d by %s: %d of %s open\n",
				args[0], r.Version, actor.Name, len(r.OpenActions()), countNoun(len(r.Actions), "action"))
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&version, "version", 0, "the version the edit started from (required)")
	f.StringVar(&response, "product-response", "", "product's answer to the deal's asks")
	f.StringVar(&decide, "decision", "", "what the review decided")
	f.StringArrayVar(&actions, "action", nil, "add an action \"TEXT|OWNER|YYYY-MM-DD\" (repeatable)")
	f.IntSliceVar(&done, "done", nil, "mark action I done, as numbered by tandem review show (repeatable)")
	f.BoolVar(&clearActions, "clear-actions", false, "drop the existing actions first")
	f.StringVar(&as, "as", "", "record the change as this user (e-mail); default cli:$USER")
	return cmd
}

// ---- review report ----

func (a *app) reviewReportCommand() *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "report [--from YYYY-MM-DD] [--to YYYY-MM-DD]",
		Short: "Win rates of reviewed deals and of similar deals not reviewed, and their difference",
		Long: `Compare the win rate (won / (won + lost)) of reviewed deals closed in the
period with that of similar deals closed in it without a review (deals the
current triggers fire on). Each rate has its n and Wilson 95% interval, the
difference is in percentage points with a Newcombe interval, and a figure
below the desk's minimum sample reads "insufficient data".

Reviewed deals were chosen, not assigned: the difference is an association,
not the effect of reviewing.`,
		Example: `  tandem review report
  tandem review report --from 2025-01-01 --to 2025-12-31 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			start, err := parseDayFlag("--from", from)
			if err != nil {
				return err
			}
			end, err := parseDayFlag("--to", to)
			if err != nil {
				return err
			}
			if !start.IsZero() && !end.IsZero() && end.Before(start) {
				return tandem.Errorf(tandem.EINVALID, "--to %s is before --from %s", to, from)
			}
			if !end.IsZero() {
				end = end.Add(24*time.Hour - time.Nanosecond) // the whole last day
			}
			ctx := cmd.Context()
			svc, db, err := a.openDeskService(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			out, err := svc.ReviewReport(ctx, start, end)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(out)
			}
			period := "all closed deals"
			switch {
			case from != "" && to != "":
				period = "deals closed " + from + " to " + to
			case from != "":
				period = "deals closed from " + from
			case to != "":
				period = "deals closed up to " + to
			}
			fmt.Fprintf(a.stdout, "Deal reviews and win rates, %s\n", period)
			tw := newTable(a.stdout)
			tw.row("  reviewed", formatFigure(out.Reviewed))
			tw.row("  not reviewed", formatFigure(out.Unreviewed))
			tw.row("  difference", formatFigure(out.Difference))
			tw.flush()
			fmt.Fprintln(a.stdout, "\nNotes:")
			if out.Difference.Note != "" {
				fmt.Fprintf(a.stdout, "  Difference: %s.\n", out.Difference.Note)
			}
			for _, n := range out.Notes {
				fmt.Fprintf(a.stdout, "  %s\n", n)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "only deals closed on or after this day")
	cmd.Flags().StringVar(&to, "to", "", "only deals closed on or before this day")
	return cmd
}
