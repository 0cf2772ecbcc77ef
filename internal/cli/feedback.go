package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/service"
)

// feedbackCommand is "tandem feedback": the feedback inbox, triage,
// imports, the acknowledgment SLA and the routing settings.
func (a *app) feedbackCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "feedback",
		Short: "Field feedback: file, list, triage, import CSV and mail, the acknowledgment SLA, routing settings",
		Long: `Every piece of field feedback lands in one inbox, from the API, the web
form, CSV exports (Productboard notes, Canny posts and votes, Tandem's
columns), mail (.eml files and mbox archives) and Slack. Each item gets an owner by the
routing rules and an acknowledgment deadline (2 business days by default);
its owner acknowledges it and later marks it planned, declined or shipped,
and the submitter is told through the channel it came from.

Slack: with TANDEM_SLACK_SIGNING_SECRET set to the Slack app's signing
secret, tandem serve answers a slash command at /api/v1/slack/commands and
the Events API at /api/v1/slack/events, each request verified by its
signature (older than 5 minutes or replayed: refused).

Changes are recorded in the audit log as cli:$USER, or as the user named
by --as where a command takes it.`,
	}
	cmd.AddCommand(a.feedbackAddCommand(), a.feedbackListCommand(), a.feedbackShowCommand(), a.feedbackStatusCommand(),
		a.feedbackAssignCommand(), a.feedbackImportCommand(), a.feedbackImportMailCommand(), a.feedbackSLACommand(),
		a.feedbackSettingsCommand())
	return cmd
}

// slackSigningSecretEnv names the environment variable holding the Slack
// app's signing secret; without it `tandem serve` leaves the Slack
// endpoints unconfigured (they answer 404 saying so).
const slackSigningSecretEnv = "TANDEM_SLACK_SIGNING_SECRET"

// slackSigningSecret is the Slack signing secret from the environment, or
// "" (also when the app has no environment, as in NewHandler).
func (a *app) slackSigningSecret() string {
	if a.getenv == nil {
		return ""
	}
	return strings.TrimSpace(a.getenv(slackSigningSecretEnv))
}

// ---- add ----

func (a *app) feedbackAddCommand() *cobra.Command {
	var f tandem.Feedback
	var tags []string
	var as string
	cmd := &cobra.Command{
		Use:   "add --text TEXT [--title T] [--account ID] [--deal ID] [--kind feedback|intel] [--importance nice|important|critical] [--author EMAIL]",
		Short: "File a feedback item",
		Long: `File one item. The account comes from the deal when only --deal is given;
the owner from the routing rules; the deadline from the SLA setting.
--author is who the feedback is from (default: the user of --as, else the
command line's operator).`,
		Example: `  tandem feedback add --text "Acme needs SAML SSO before renewal" --deal D00042 --importance critical
  tandem feedback add --kind intel --text "Initech offered 40% off a three-year term" --author ae@example.com --json`,
		Args: cobra.NoArgs,
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, _ []string, svc *service.Service) error {
			actor, err := a.deskActor(ctx, svc, as)
			if err != nil {
				return err
			}
			f.Source = tandem.SourceAPI
			f.Tags = nonBlank(tags)
			if f.Author == "" {
				f.Author = actor.Name
			}
			res, err := svc.SubmitFeedback(ctx, actor, f, nil)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(res)
			}
			it := res.Item
			fmt.Fprintf(a.stdout, "filed %s: owner %s (%s), acknowledgment due %s\n", it.ID, it.Owner, it.RoutedBy, it.AckDue.Format("2006-01-02 15:04 MST"))
			return nil
		}),
	}
	fl := cmd.Flags()
	fl.StringVar(&f.Text, "text", "", "the feedback (required)")
	fl.StringVar(&f.Title, "title", "", "a title")
	fl.StringVar(&f.AccountID, "account", "", "account id")
	fl.StringVar(&f.DealID, "deal", "", "deal id (sets the account)")
	fl.StringVar(&f.ProductID, "product", "", "product id")
	fl.StringVar(&f.FeatureID, "feature", "", "feature id")
	fl.StringVar(&f.Kind, "kind", "", "feedback (default) or intel")
	fl.StringVar(&f.Importance, "importance", "", "nice, important or critical")
	fl.StringVar(&f.Author, "author", "", "who it is from (an e-mail)")
	fl.StringArrayVar(&tags, "tag", nil, "a tag (repeatable)")
	fl.StringVar(&as, "as", "", "record the change as this user (e-mail)")
	_ = cmd.MarkFlagRequired("text")
	return cmd
}

// ---- list ----

func (a *app) feedbackListCommand() *cobra.Command {
	var q service.FeedbackQuery
	var statuses []string
	cmd := &cobra.Command{
		Use:   "list [--status S]... [--owner EMAIL] [--source S] [--kind K] [--account ID] [--deal ID] [--rep ID] [--competitor ID] [--overdue] [--q WORDS]",
		Short: "List the inbox, newest first",
		Example: `  tandem feedback list --status new --overdue
  tandem feedback list --owner pm@example.com --q "sso okta" --json`,
		Args: cobra.NoArgs,
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, _ []string, svc *service.Service) error {
			for _, s := range statuses {
				for _, st := range strings.Split(s, ",") {
					if st = strings.TrimSpace(st); st != "" {
						q.Status = append(q.Status, tandem.FeedbackStatus(st))
					}
				}
			}
			for _, st := range q.Status {
				if !isFeedbackStatus(st) {
					return tandem.Errorf(tandem.EINVALID, "--status %q: use new, acknowledged, planned, declined or shipped", st)
				}
			}
			page, err := svc.FeedbackInbox(ctx, q)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(page)
			}
			now := time.Now()
			tw := newTable(a.stdout)
			tw.row("ID", "STATUS", "OWNER", "DUE", "SOURCE", "ACCOUNT", "TITLE")
			for _, it := range page.Items {
				tw.row(it.ID, string(it.Status), it.Owner, dueText(it, now), it.Source, it.AccountID, titleOf(it))
			}
			if err := tw.flush(); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%d of %d item(s)\n", len(page.Items), page.Total)
			return nil
		}),
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&statuses, "status", nil, "only this status (repeatable, or comma-separated)")
	fl.StringVar(&q.Owner, "owner", "", "only items of this owner")
	fl.StringVar(&q.Source, "source", "", "only from this channel (api, web, csv, productboard, canny, email, slack)")
	fl.StringVar(&q.Kind, "kind", "", "feedback or intel")
	fl.StringVar(&q.AccountID, "account", "", "only this account's items")
	fl.StringVar(&q.DealID, "deal", "", "only this deal's items")
	fl.StringVar(&q.RepID, "rep", "", "only items of this rep")
	fl.StringVar(&q.Competitor, "competitor", "", "only items mentioning this competitor id")
	fl.BoolVar(&q.Overdue, "overdue", false, "only items still new past their deadline")
	fl.StringVar(&q.Text, "q", "", "words that must all appear in the title or text")
	fl.IntVar(&q.Limit, "limit", 50, "items to show")
	fl.IntVar(&q.Offset, "offset", 0, "items to skip")
	return cmd
}

// isFeedbackStatus reports whether s is a known status.
func isFeedbackStatus(s tandem.FeedbackStatus) bool {
	for _, k := range tandem.FeedbackStatuses() {
		if k == s {
			return true
		}
	}
	return false
}

// dueText says when an item is due, or that it is overdue.
func dueText(it tandem.Feedback, now time.Time) string {
	switch {
	case it.Status != tandem.FeedbackNew:
		return "acknowledged " + it.AckAt.Format("2006-01-02")
	case it.AckDue.IsZero():
		return ""
	case now.After(it.AckDue):
		return "OVERDUE since " + it.AckDue.Format("2006-01-02")
	}
	return it.AckDue.Format("2006-01-02 15:04")
}

// titleOf is an item's title, or the start of its text.
func titleOf(it tandem.Feedback) string {
	if it.Title != "" {
		return it.Title
	}
	return strings.Join(strings.Fields(it.Text), " ")
}

// ---- show ----

func (a *app) feedbackShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "show ID",
		Short:   "Show an item: text, links, owner, status, attachments and its history",
		Example: `  tandem feedback show fb-3f2a9c01d4e5b677 --json`,
		Args:    cobra.ExactArgs(1),
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, args []string, svc *service.Service) error {
			it, v, err := svc.FeedbackItem(ctx, args[0])
			if err != nil {
				return err
			}
			vs, err := svc.FeedbackVersions(ctx, it.ID)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(struct {
					Item     tandem.Feedback           `json:"item"`
					Version  int                       `json:"version"`
					Overdue  bool                      `json:"overdue"`
					Versions []service.FeedbackVersion `json:"versions"`
				}{it, v, svc.FeedbackOverdue(it), vs})
			}
			w := a.stdout
			fmt.Fprintf(w, "%s (version %d)\n", it.ID, v)
			field := func(k, v string) {
				if v != "" {
					fmt.Fprintf(w, "  %-12s %s\n", k+":", v)
				}
			}
			field("title", it.Title)
			field("status", string(it.Status))
			field("note", it.StatusNote)
			field("owner", it.Owner+" ("+it.RoutedBy+")")
			field("due", dueText(it, time.Now()))
			field("source", strings.TrimSpace(it.Source+" "+it.SourceRef))
			field("author", strings.TrimSpace(it.Author+" "+paren(it.AuthorName)))
			field("rep", it.RepID)
			field("account", it.AccountID)
			field("deal", it.DealID)
			field("product", it.ProductID)
			field("feature", it.FeatureID)
			field("kind", it.Kind)
			field("importance", it.Importance)
			field("tags", strings.Join(it.Tags, ", "))
			field("competitors", strings.Join(it.Competitors, ", "))
			field("thread", it.Thread)
			field("received", it.ReceivedAt.Format(time.RFC3339))
			for _, at := range it.Attachments {
				field("attachment", fmt.Sprintf("%s (%s, %d bytes, sha256 %s)", at.Name, at.ContentType, at.Size, at.SHA256))
			}
			fmt.Fprintf(w, "\n%s\n\nhistory:\n", it.Text)
			for _, h := range vs {
				fmt.Fprintf(w, "  v%d  %s  %s  %s", h.Version, h.At.Format("2006-01-02 15:04"), h.Author, h.Item.Status)
				if h.Item.StatusNote != "" {
					fmt.Fprintf(w, "  %q", h.Item.StatusNote)
				}
				fmt.Fprintln(w)
			}
			return nil
		}),
	}
}

// paren wraps s in parentheses, or returns "".
func paren(s string) string {
	if s == "" {
		return ""
	}
	return "(" + s + ")"
}

// ---- status and assign ----

// feedbackChange applies c to item id at version (0: the current one).
func (a *app) feedbackChange(ctx context.Context, svc *service.Service, as, id string, version int, c service.FeedbackChange) error {
	actor, err := a.deskActor(ctx, svc, as)
	if err != nil {
		return err
	}
	if version < 0 {
		return tandem.Errorf(tandem.EINVALID, "--version must be positive")
	}
	if version == 0 {
		if _, version, err = svc.FeedbackItem(ctx, id); err != nil {
			return err
		}
	}
	c.Version = version
	it, v, err := svc.ChangeFeedback(ctx, actor, id, c)
	if err != nil {
		return err
	}
	if a.jsonOut {
		return a.printJSON(struct {
			Item    tandem.Feedback `json:"item"`
			Version int             `json:"version"`
		}{it, v})
	}
	fmt.Fprintf(a.stdout, "%s is now version %d: %s, owner %s\n", it.ID, v, it.Status, it.Owner)
	return nil
}

func (a *app) feedbackStatusCommand() *cobra.Command {
	var note, as string
	var version int
	cmd := &cobra.Command{
		Use:   "status ID STATUS [--note TEXT] [--version N]",
		Short: "Change an item's status (new, acknowledged, planned, declined, shipped); the submitter is told",
		Long: `Change an item's status, with a note the submitter is told through the
channel the item came from. --version is the version you looked at: when
someone changed the item since, the change is refused (exit status 4)
instead of overwriting theirs. Without it, the current version is used.`,
		Example: `  tandem feedback status fb-3f2a9c01d4e5b677 acknowledged --note "On the Q3 list" --as pm@example.com`,
		Args:    cobra.ExactArgs(2),
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, args []string, svc *service.Service) error {
			st := tandem.FeedbackStatus(strings.ToLower(strings.TrimSpace(args[1])))
			if !isFeedbackStatus(st) {
				return tandem.Errorf(tandem.EINVALID, "status %q: use new, acknowledged, planned, declined or shipped", args[1])
			}
			c := service.FeedbackChange{Status: &st}
			if cmd.Flags().Changed("note") {
				c.Note = &note
			}
			return a.feedbackChange(ctx, svc, as, args[0], version, c)
		}),
	}
	cmd.Flags().StringVar(&note, "note", "", "what the submitter is told")
	cmd.Flags().IntVar(&version, "version", 0, "the version the change is made from (default: the current one)")
	cmd.Flags().StringVar(&as, "as", "", "record the change as this user (e-mail)")
	return cmd
}

func (a *app) feedbackAssignCommand() *cobra.Command {
	var as string
	var version int
	cmd := &cobra.Command{
		Use:     "assign ID EMAIL [--version N]",
		Short:   "Give an item to another owner (an active user)",
		Example: `  tandem feedback assign fb-3f2a9c01d4e5b677 pm@example.com`,
		Args:    cobra.ExactArgs(2),
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, args []string, svc *service.Service) error {
			owner := args[1]
			return a.feedbackChange(ctx, svc, as, args[0], version, service.FeedbackChange{Owner: &owner})
		}),
	}
	cmd.Flags().IntVar(&version, "version", 0, "the version the change is made from (default: the current one)")
	cmd.Flags().StringVar(&as, "as", "", "record the change as this user (e-mail)")
	return cmd
}

// ---- imports ----

// openInput opens a file to import, with a progress bar on a terminal
// for files big enough to take a moment. done finishes the bar.
func (a *app) openInput(path, verb string) (r io.Reader, done func(), closeFn func() error, err error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, tandem.Errorf(tandem.EINVALID, "open %s: %v", path, err)
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return nil, nil, nil, tandem.Errorf(tandem.EINVALID, "%s: %v", path, err)
	}
	if st.IsDir() {
		fh.Close()
		return nil, nil, nil, tandem.Errorf(tandem.EINVALID, "%s is a directory; give a file", path)
	}
	done = func() {}
	r = fh
	if isTerminal(a.stderr) && !a.jsonOut && st.Size() > 4<<20 {
		bar := progressbar.DefaultBytes(st.Size(), verb+" "+filepath.Base(path))
		pr := progressbar.NewReader(fh, bar)
		r = &pr
		done = func() {
			_ = bar.Finish()
			fmt.Fprintln(a.stderr)
		}
	}
	return r, done, fh.Close, nil
}

func (a *app) feedbackImportCommand() *cobra.Command {
	var as string
	cmd := &cobra.Command{
		Use:   "import FILE.csv",
		Short: "Import a CSV of feedback: Tandem's columns, a Productboard notes export, or a Canny posts or votes export",
		Long: `Import feedback from a CSV file, all rows or none: every bad row is listed
with its line and column and nothing is stored (exit status 2). The format
is told by the header. Companies are matched to accounts by domain
(attr.domain, attr.website), then by name or attr.aliases; rows whose
company matches no account are imported without one and listed. Importing
the same file again creates nothing. A Canny votes export (import the
posts export first) records each vote, as "nice to have", on the theme of
its post on behalf of the voter's company (by mail domain, then name);
votes for unknown posts or companies are listed by line and skipped, and a
company that already voted for the theme keeps its vote.`,
		Example: `  tandem feedback import notes.csv
  tandem feedback import canny-posts.csv --json
  tandem feedback import canny-votes.csv`,
		Args: cobra.ExactArgs(1),
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, args []string, svc *service.Service) error {
			res, err := importFile(ctx, a, svc, as, args[0], "reading", svc.ImportFeedbackCSV)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(res)
			}
			if res.Votes > 0 {
				fmt.Fprintf(a.stdout, "%s (%s): %d vote(s) read, %d recorded\n", args[0], res.Format, res.Votes, res.VotesImported)
			} else {
				fmt.Fprintf(a.stdout, "%s (%s): %d item(s) read, %d created, %d already stored, %d matched to accounts\n",
					args[0], res.Format, res.Rows, res.Created, res.Duplicates, res.Matched)
			}
			for _, u := range res.UnknownCompanies {
				fmt.Fprintf(a.stdout, "  no account for company %q%s (line %s): imported without an account\n", u.Name, paren(u.Domain), joinInts(u.Lines))
			}
			if len(res.Ignored) > 0 {
				fmt.Fprintf(a.stdout, "  columns not used: %s\n", strings.Join(res.Ignored, ", "))
			}
			for _, n := range res.Notes {
				fmt.Fprintln(a.stdout, "  "+n)
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&as, "as", "", "record the import as this user (e-mail)")
	return cmd
}

// importFile runs an import of the file at path as the user of --as
// (as), with a progress bar on a terminal for big files.
func importFile[R any](ctx context.Context, a *app, svc *service.Service, as, path, verb string,
	imp func(context.Context, service.Actor, io.Reader, string) (R, error)) (R, error) {
	var zero R
	actor, err := a.deskActor(ctx, svc, as)
	if err != nil {
		return zero, err
	}
	r, done, closeFn, err := a.openInput(path, verb)
	if err != nil {
		return zero, err
	}
	defer closeFn()
	res, err := imp(ctx, actor, r, filepath.Base(path))
	done()
	return res, err
}

// joinInts lists numbers, the first ten.
func joinInts(xs []int) string {
	var ss []string
	for i, x := range xs {
		if i == 10 {
			ss = append(ss, fmt.Sprintf("and %d more", len(xs)-10))
			break
		}
		ss = append(ss, fmt.Sprint(x))
	}
	return strings.Join(ss, ", ")
}

func (a *app) feedbackImportMailCommand() *cobra.Command {
	var as string
	cmd := &cobra.Command{
		Use:   "import-mail FILE",
		Short: "Import mail as feedback: an .eml message or an mbox archive",
		Long: `Import a single message (.eml) or an mbox archive, all messages or none:
a malformed message, or one over the limits (64 MiB a message, 16 MiB a
part, 100 parts, 8 nesting levels), refuses the file, and every such
message is listed with its position and line (exit status 2). Messages are
de-duplicated by Message-ID, within the file and against earlier imports,
so importing an archive again creates nothing. Replies are threaded by
Message-ID, In-Reply-To and References. The sender is matched to a rep by
e-mail or name, and to an account when an account's attr.domain or
attr.website is the sender's mail domain. Attachments are stored; HTML-only
mail is reduced to text. A progress bar shows on a terminal for big files.`,
		Example: `  tandem feedback import-mail support.mbox
  tandem feedback import-mail request.eml --json`,
		Args: cobra.ExactArgs(1),
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, args []string, svc *service.Service) error {
			res, err := importFile(ctx, a, svc, as, args[0], "parsing", svc.ImportMail)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(res)
			}
			fmt.Fprintf(a.stdout, "%s (%s): %d message(s), %d created, %d duplicate(s) skipped, %d thread(s), %d attachment(s), %d matched to accounts\n",
				args[0], res.Format, res.Messages, res.Created, res.Duplicates, res.Threads, res.Attachments, res.Accounts)
			for i, n := range res.Notes {
				if i == maxListed {
					fmt.Fprintf(a.stdout, "  and %d more notes (--json lists them all)\n", len(res.Notes)-maxListed)
					break
				}
				fmt.Fprintln(a.stdout, "  "+n)
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&as, "as", "", "record the import as this user (e-mail)")
	return cmd
}

// ---- sla ----

func (a *app) feedbackSLACommand() *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "sla [--from DATE] [--to DATE]",
		Short: "Acknowledgment times per owner, and the overdue list",
		Long: `Per owner, for items received in [from, to): items routed, the share
acknowledged by the deadline (Wilson 95% interval; "insufficient data"
under 10 judged items) and the median hours to acknowledgment
(Kaplan–Meier, items still new counted as censored at their age, 95%
interval). The overdue list holds every item still new past its deadline.`,
		Example: `  tandem feedback sla --from 2026-01-01 --json`,
		Args:    cobra.NoArgs,
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, _ []string, svc *service.Service) error {
			f, err := parseDay("--from", from)
			if err != nil {
				return err
			}
			t, err := parseDay("--to", to)
			if err != nil {
				return err
			}
			rep, err := svc.AckTimes(ctx, f, t)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(rep)
			}
			fmt.Fprintf(a.stdout, "acknowledgment SLA: %d business day(s), as of %s\n\n", rep.SLADays, rep.AsOf.Format("2006-01-02 15:04 MST"))
			tw := newTable(a.stdout)
			tw.row("OWNER", "N", "ACKNOWLEDGED", "ON TIME (95% CI)", "MEDIAN HOURS (95% CI)", "OVERDUE")
			for _, o := range rep.Owners {
				tw.row(o.Owner, fmt.Sprint(o.Items), fmt.Sprint(o.Acknowledged), ProportionText(o.OnTime), EstimateText(o.MedianHours, o.Note), fmt.Sprint(o.Overdue))
			}
			if err := tw.flush(); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "\n%d overdue item(s)\n", len(rep.OverdueList))
			tw = newTable(a.stdout)
			for i, it := range rep.OverdueList {
				if i == maxListed {
					tw.row(fmt.Sprintf("and %d more (--json lists them all)", len(rep.OverdueList)-maxListed))
					break
				}
				tw.row(it.ID, it.Owner, "due "+it.AckDue.Format("2006-01-02"), titleOf(it))
			}
			return tw.flush()
		}),
	}
	cmd.Flags().StringVar(&from, "from", "", "items received on or after this date (YYYY-MM-DD)")
	cmd.Flags().StringVar(&to, "to", "", "items received before this date (YYYY-MM-DD)")
	return cmd
}

// parseDay reads an optional YYYY-MM-DD flag.
func parseDay(flag, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, tandem.Errorf(tandem.EINVALID, "%s %q: use YYYY-MM-DD", flag, v)
	}
	return t, nil
}

// ProportionText prints a share with its interval and n, or the note
// saying the sample is too small.
func ProportionText(p service.Proportion) string {
	if p.N == 0 {
		return "no judged items (n=0)"
	}
	s := fmt.Sprintf("%.0f%% (%.0f–%.0f%%), %d of %d", 100*p.Value, 100*p.CILow, 100*p.CIHigh, p.K, p.N)
	if p.Note != "" {
		s = p.Note + ": " + s
	}
	return s
}

// EstimateText prints a median with its interval, open bounds as "…".
func EstimateText(e *service.Estimate, note string) string {
	if e == nil {
		return note
	}
	b := func(v *float64) string {
		if v == nil {
			return "…"
		}
		return fmt.Sprintf("%.1f", *v)
	}
	return fmt.Sprintf("%.1f (%s–%s)", e.Value, b(e.CILow), b(e.CIHigh))
}

// ---- settings ----

func (a *app) feedbackSettingsCommand() *cobra.Command {
	return settingsCommand(a, settingsDoc[tandem.FeedbackSettings]{
		module:      "feedback",
		short:       "Show or apply the routing rules and acknowledgment SLA settings",
		showExample: `  tandem feedback settings show > feedback.yaml`,
		applyLong: `Apply a settings file as the next version. Every problem (unknown keys and
wrong types with their line, owners that are not active users, products or
features that do not exist, rules without a condition) is listed and
nothing changes. --version is the version the file was edited from (see
settings show); when the settings changed since, the apply is refused.
Without it, the current version is assumed.

  ack_business_days: 2
  default_owner: pm@example.com
  intel_quota: 1
  postmortem_min_amount: 50000
  routing:
    - name: identity
      keywords: [sso, saml, okta]
      owner: identity-pm@example.com
    - name: enterprise
      segment: enterprise
      owner: ent-pm@example.com`,
		applyExample: `  tandem feedback settings apply feedback.yaml --version 3`,
		get:          (*service.Service).FeedbackSettings,
		put:          (*service.Service).PutFeedbackSettings,
		parse:        service.ParseFeedbackSettings,
		yaml: func(set tandem.FeedbackSettings) (string, error) {
			return service.FeedbackSettingsYAML(set), nil
		},
		applied: func(set tandem.FeedbackSettings) string {
			return fmt.Sprintf("%d routing rule(s), acknowledgment within %d business day(s)", len(set.Routing), set.AckBusinessDays)
		},
	})
}
