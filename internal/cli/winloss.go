package cli

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
	"github.com/tandemhq/tandem/internal/httpapi"
	"github.com/tandemhq/tandem/internal/service"
	"github.com/tandemhq/tandem/internal/winloss"
)

// winlossCommand is "tandem winloss": the reason taxonomy, reasons of a
// deal, buyer interviews and the win/loss reports.
func (a *app) winlossCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "winloss",
		Short: "Win/loss: the reason taxonomy, reasons of deals, buyer interviews, reports and the roadmap check",
		Long: `Why deals are won and lost. Reasons come from three places: the CRM's
loss_reasons column (read through the taxonomy's value map; texts it does
not read are counted as "unmapped: <text>"), reasons recorded in Tandem
(tandem winloss reasons add) and reasons buyers gave in interviews and
surveys (tandem winloss interview add).

Every share in the reports shows its 95% interval and n; groups under the
minimum sample (30 deals by default, --min-n) are marked insufficient data.
Changes are recorded in the audit log as cli:$USER.`,
	}
	cmd.AddCommand(a.taxonomyCommand(), a.reasonsCommand(), a.interviewCommand(), a.winlossReportCommand(), a.winlossGapCommand(), a.roadmapCheckCommand())
	return cmd
}

// reportFlags are the flags the win/loss reports share.
type reportFlags struct {
	from, to string
	minN     int
}

func (r *reportFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&r.from, "from", "", "first close day included (YYYY-MM-DD)")
	cmd.Flags().StringVar(&r.to, "to", "", "last close day included (YYYY-MM-DD)")
	cmd.Flags().IntVar(&r.minN, "min-n", 0, "minimum sample (default 30)")
}

// parse reads the flags as the API reads its query.
func (r *reportFlags) parse() (from, to time.Time, o winloss.Options, err error) {
	q := url.Values{}
	if r.from != "" {
		q.Set("from", r.from)
	}
	if r.to != "" {
		q.Set("to", r.to)
	}
	if r.minN != 0 {
		q.Set("min_n", strconv.Itoa(r.minN))
	}
	return httpapi.WinLossParams(q)
}

func pct(e tandem.Estimate) string { return analytics.FormatEstimate("proportion", e) }

// printNotes prints a report's notes (methods, caveats) after its tables.
func (a *app) printNotes(notes []string) {
	for _, n := range notes {
		fmt.Fprintln(a.stdout, "note:", n)
	}
}

// readDecoded reads a YAML or JSON document from file into v, strictly
// (winloss.Decode), for the commands that take a document as --file.
func readDecoded(file string, v any) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return tandem.Errorf(tandem.EINVALID, "read %s: %v", file, err)
	}
	return winloss.Decode(file, data, v)
}

// ---- taxonomy ----

func (a *app) taxonomyCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "taxonomy", Short: "Show or apply the reason taxonomy"}
	show := &cobra.Command{
		Use:   "show",
		Short: "Show the reason taxonomy and its value map",
		Args:  cobra.NoArgs,
		RunE: a.withDesk(func(ctx context.Context, _ *cobra.Command, _ []string, svc *service.Service) error {
			t, err := svc.Taxonomy(ctx)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(t)
			}
			if t.Default {
				fmt.Fprintln(a.stdout, "the default taxonomy (never saved)")
			} else {
				fmt.Fprintf(a.stdout, "taxonomy version %d, saved %s by %s\n", t.Version, t.UpdatedAt.Format(time.DateOnly), t.UpdatedBy)
			}
			tb := newTable(a.stdout)
			tb.row("CODE", "LABEL", "CATEGORY", "NAMES", "ADDRESSED BY")
			for _, r := range t.Taxonomy.Reasons {
				tb.row(r.Code, r.Label, r.Category, strings.TrimSpace(r.Feature+" "+r.Competitor), strings.Join(r.AddressedBy, ", "))
			}
			if err := tb.flush(); err != nil {
				return err
			}
			if len(t.Taxonomy.ValueMap) > 0 {
				fmt.Fprintln(a.stdout, "\nvalue map:")
				tb = newTable(a.stdout)
				for _, k := range sortedKeys(t.Taxonomy.ValueMap) {
					tb.row("  "+k, "→ "+t.Taxonomy.ValueMap[k])
				}
				return tb.flush()
			}
			return nil
		}),
	}
	var note string
	apply := &cobra.Command{
		Use:   "apply FILE",
		Short: "Apply a taxonomy file (YAML or JSON); refused whole with every problem",
		Long: `Saves FILE as the next version of the reason taxonomy. Fields: reasons
(code, label, category, feature, competitor, addressed_by) and value_map
(CRM text: code). Codes must be unique, categories one of price,
missing-feature, competitor, timing, no-decision, onboarding-risk,
overpromising, other; features and competitors must be in their catalogs;
value-map targets must be codes. Any problem refuses the whole file.`,
		Example: `  tandem winloss taxonomy show --json | jq .taxonomy > taxonomy.json
  tandem winloss taxonomy apply taxonomy.yaml --note "map the CRM's texts"`,
		Args: cobra.ExactArgs(1),
		RunE: a.withDesk(func(ctx context.Context, _ *cobra.Command, args []string, svc *service.Service) error {
			data, err := os.ReadFile(args[0])
			if err != nil {
				return tandem.Errorf(tandem.EINVALID, "read %s: %v", args[0], err)
			}
			t, err := svc.ApplyTaxonomy(ctx, service.Actor{Name: a.actorName()}, args[0], data, -1, note)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(t)
			}
			fmt.Fprintf(a.stdout, "applied taxonomy version %d: %d reasons, %d value-map entries\n", t.Version, len(t.Taxonomy.Reasons), len(t.Taxonomy.ValueMap))
			return nil
		}),
	}
	apply.Flags().StringVar(&note, "note", "", "why this change")
	cmd.AddCommand(show, apply)
	return cmd
}

func sortedKeys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// ---- reasons ----

func (a *app) reasonsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "reasons", Short: "Record and list the reasons of a deal"}
	var r tandem.DealReason
	var as string
	add := &cobra.Command{
		Use:     "add DEAL --code C --source rep|interview|survey --confidence low|medium|high [--note TEXT]",
		Short:   "Record a reason a deal was won or lost",
		Example: `  tandem winloss reasons add D-0042 --code price --source rep --confidence high --note "budget cut"`,
		Args:    cobra.ExactArgs(1),
		RunE: a.withDesk(func(ctx context.Context, _ *cobra.Command, args []string, svc *service.Service) error {
			actor, err := a.deskActor(ctx, svc, as)
			if err != nil {
				return err
			}
			v, err := svc.AddDealReasons(ctx, actor, args[0], []tandem.DealReason{r})
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(v)
			}
			fmt.Fprintf(a.stdout, "recorded %s on deal %s\n", r.Code, args[0])
			return a.printReasons(v)
		}),
	}
	f := add.Flags()
	f.StringVar(&r.Code, "code", "", "reason code from the taxonomy (required)")
	f.StringVar(&r.Source, "source", tandem.ReasonByRep, "who gave it: rep, interview or survey")
	f.StringVar(&r.Confidence, "confidence", tandem.ConfidenceMedium, "low, medium or high")
	f.StringVar(&r.Note, "note", "", "a remark")
	f.StringVar(&as, "as", "", "record it as this user (e-mail)")
	_ = add.MarkFlagRequired("code")
	list := &cobra.Command{
		Use:   "list DEAL",
		Short: "List a deal's reasons from the CRM, Tandem and interviews",
		Args:  cobra.ExactArgs(1),
		RunE: a.withDesk(func(ctx context.Context, _ *cobra.Command, args []string, svc *service.Service) error {
			v, err := svc.DealReasons(ctx, args[0])
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(v)
			}
			fmt.Fprintf(a.stdout, "deal %s (%s)\n", v.DealID, v.Outcome)
			return a.printReasons(v)
		}),
	}
	cmd.AddCommand(add, list)
	return cmd
}

func (a *app) printReasons(v service.DealReasonsView) error {
	if len(v.Reasons) == 0 {
		fmt.Fprintln(a.stdout, "no reasons")
		return nil
	}
	tb := newTable(a.stdout)
	tb.row("CODE", "LABEL", "SOURCE", "CONFIDENCE", "ORIGIN", "BY", "NOTE")
	for _, r := range v.Reasons {
		note := r.Note
		if r.Text != "" {
			note = "CRM: " + r.Text
		}
		tb.row(r.Code, r.Label, r.Source, r.Confidence, r.Origin, r.By, note)
	}
	return tb.flush()
}

// ---- interviews ----

func (a *app) interviewCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "interview", Short: "Record and list buyer interviews"}
	var deal, file, as string
	add := &cobra.Command{
		Use:   "add --deal D --file F.json|F.yaml",
		Short: "Record a buyer interview or survey response from a file",
		Long: `Reads an interview (YAML or JSON) with fields kind (interview or survey),
interviewee, role, interviewer, date, answers (question, answer, score 1-5)
and reasons (code, confidence, note). The deal must be won or lost.`,
		Example: `  tandem winloss interview add --deal D-0042 --file interview.yaml`,
		Args:    cobra.NoArgs,
		RunE: a.withDesk(func(ctx context.Context, _ *cobra.Command, _ []string, svc *service.Service) error {
			var iv tandem.Interview
			if err := readDecoded(file, &iv); err != nil {
				return err
			}
			if deal != "" {
				if iv.DealID != "" && iv.DealID != deal {
					return tandem.Errorf(tandem.EINVALID, "%s names deal %s, --deal %s", file, iv.DealID, deal)
				}
				iv.DealID = deal
			}
			actor, err := a.deskActor(ctx, svc, as)
			if err != nil {
				return err
			}
			v, err := svc.CreateInterview(ctx, actor, iv)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(v)
			}
			fmt.Fprintf(a.stdout, "recorded %s %s on deal %s: %d answers, %d reasons\n", v.Kind, v.ID, v.DealID, len(v.Answers), len(v.Reasons))
			return nil
		}),
	}
	add.Flags().StringVar(&deal, "deal", "", "the deal (or deal_id in the file)")
	add.Flags().StringVar(&file, "file", "", "the interview, YAML or JSON (required)")
	add.Flags().StringVar(&as, "as", "", "record it as this user (e-mail)")
	_ = add.MarkFlagRequired("file")
	var listDeal string
	list := &cobra.Command{
		Use:   "list [--deal D]",
		Short: "List interviews, latest first",
		Args:  cobra.NoArgs,
		RunE: a.withDesk(func(ctx context.Context, _ *cobra.Command, _ []string, svc *service.Service) error {
			ivs, err := svc.InterviewList(ctx, listDeal)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(map[string]any{"interviews": ivs})
			}
			tb := newTable(a.stdout)
			tb.row("ID", "DATE", "DEAL", "KIND", "INTERVIEWEE", "REASONS", "ANSWERS")
			for _, iv := range ivs {
				var codes []string
				for _, r := range iv.Reasons {
					codes = append(codes, r.Code)
				}
				tb.row(iv.ID, iv.Date.Format(time.DateOnly), iv.DealID, iv.Kind, iv.Interviewee, strings.Join(codes, ", "), strconv.Itoa(len(iv.Answers)))
			}
			return tb.flush()
		}),
	}
	list.Flags().StringVar(&listDeal, "deal", "", "only this deal's interviews")
	cmd.AddCommand(add, list)
	return cmd
}

// ---- reports ----

func (a *app) winlossReportCommand() *cobra.Command {
	var by, outcome, source string
	var rf reportFlags
	cmd := &cobra.Command{
		Use:   "report [--by quarter|segment|competitor|product] [--outcome lost|won] [--source rep|buyer] [--from DATE --to DATE]",
		Short: "Reasons by quarter, segment, competitor or product, with intervals",
		Long: `For each group, the deals citing each reason out of the group's lost (or
won) deals, with a Wilson 95% interval and n. A deal may cite several
reasons; open deals never count; a deal with several competitors or
products counts in each of their groups.`,
		Example: `  tandem winloss report --by quarter --from 2025-01-01
  tandem winloss report --by competitor --outcome won --json`,
		Args: cobra.NoArgs,
		RunE: a.withDesk(func(ctx context.Context, _ *cobra.Command, _ []string, svc *service.Service) error {
			from, to, o, err := rf.parse()
			if err != nil {
				return err
			}
			rep, err := svc.WinLossReasons(ctx, winloss.ReasonsQuery{By: by, Outcome: outcome, Source: source, From: from, To: to}, o)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(rep)
			}
			fmt.Fprintf(a.stdout, "%d %s deals; share = deals citing the reason out of the group's deals [95%% Wilson interval]\n", rep.Deals, rep.Outcome)
			for _, g := range rep.Groups {
				head := fmt.Sprintf("\n%s (n=%d)", g.Key, g.N)
				if g.Insufficient {
					head += " insufficient data"
				}
				fmt.Fprintln(a.stdout, head)
				tb := newTable(a.stdout)
				for _, r := range g.Reasons {
					tb.row("  "+r.Label, strconv.Itoa(r.Deals), pct(r.Estimate))
				}
				if err := tb.flush(); err != nil {
					return err
				}
			}
			a.printNotes(rep.Notes)
			return nil
		}),
	}
	cmd.Flags().StringVar(&by, "by", "", "group by quarter, segment, competitor or product (default: all deals)")
	cmd.Flags().StringVar(&outcome, "outcome", "lost", "lost or won")
	cmd.Flags().StringVar(&source, "source", "", "rep or buyer (default: both)")
	rf.register(cmd)
	return cmd
}

func (a *app) winlossGapCommand() *cobra.Command {
	var outcome string
	var rf reportFlags
	cmd := &cobra.Command{
		Use:   "gap [--outcome lost|won] [--from DATE --to DATE]",
		Short: "What reps say against what buyers say, on the deals where both said something",
		Args:  cobra.NoArgs,
		RunE: a.withDesk(func(ctx context.Context, _ *cobra.Command, _ []string, svc *service.Service) error {
			from, to, o, err := rf.parse()
			if err != nil {
				return err
			}
			rep, err := svc.WinLossGap(ctx, winloss.GapQuery{Outcome: outcome, From: from, To: to}, o)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(rep)
			}
			fmt.Fprintf(a.stdout, "%d of %d %s deals have both a rep and a buyer reason%s\n", rep.Paired, rep.Deals, rep.Outcome, map[bool]string{true: " (insufficient data)"}[rep.Insufficient])
			if len(rep.Rows) > 0 {
				tb := newTable(a.stdout)
				tb.row("REASON", "REPS", "BUYERS", "DIFFERENCE (PAIRED 95% CI)")
				for _, r := range rep.Rows {
					tb.row(r.Label, pct(r.Rep), pct(r.Buyer), analytics.FormatEstimate("difference", r.Diff))
				}
				if err := tb.flush(); err != nil {
					return err
				}
			}
			fmt.Fprintln(a.stdout, "interval of the difference:", rep.Method)
			a.printNotes(rep.Notes)
			return nil
		}),
	}
	cmd.Flags().StringVar(&outcome, "outcome", "lost", "lost or won")
	rf.register(cmd)
	return cmd
}

func (a *app) roadmapCheckCommand() *cobra.Command {
	var date string
	var minN int
	cmd := &cobra.Command{
		Use:   "roadmap-check [--date YYYY-MM-DD]",
		Short: "Are the top three closed-lost reasons of the last full quarter addressed by a planned feature?",
		Long: `Ranks the reasons of the lost deals closed in the last full calendar
quarter before --date (default today) by the number of deals citing them,
and for the top three shows the lost revenue and whether a feature named
for the reason (its feature, or addressed_by in the taxonomy) is planned,
in beta or released since the quarter began. Status red when one is not
addressed. Exit status 0 whatever the status; read it from the output or
--json.`,
		Args: cobra.NoArgs,
		RunE: a.withDesk(func(ctx context.Context, _ *cobra.Command, _ []string, svc *service.Service) error {
			var d time.Time
			if date != "" {
				var err error
				if d, err = time.Parse(time.DateOnly, date); err != nil {
					return tandem.Errorf(tandem.EINVALID, "--date: %q is not a day (YYYY-MM-DD)", date)
				}
			}
			if minN != 0 {
				if err := checkMinN(minN); err != nil {
					return err
				}
			}
			rc, err := svc.RoadmapCheck(ctx, d, winloss.Options{MinN: minN})
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(rc)
			}
			fmt.Fprintf(a.stdout, "roadmap check %s (%s to %s): %s, %d lost deals%s\n", rc.Quarter, rc.From, rc.To, strings.ToUpper(rc.Status), rc.LostDeals,
				map[bool]string{true: " (insufficient data)"}[rc.Insufficient && rc.Status != winloss.StatusInsufficient])
			if len(rc.Reasons) > 0 {
				tb := newTable(a.stdout)
				tb.row("#", "REASON", "DEALS", "SHARE", "LOST REVENUE", "ADDRESSED", "WHY")
				for _, r := range rc.Reasons {
					tb.row(strconv.Itoa(r.Rank), r.Label, strconv.Itoa(r.Deals), pct(r.Share),
						fmt.Sprintf("%s (n=%d)", analytics.FormatNumber("money", r.LostRevenue), r.WithAmount), map[bool]string{true: "yes", false: "no"}[r.Addressed], r.Why)
				}
				if err := tb.flush(); err != nil {
					return err
				}
			}
			a.printNotes(rc.Notes)
			return nil
		}),
	}
	cmd.Flags().StringVar(&date, "date", "", "the day the check is for (default today)")
	cmd.Flags().IntVar(&minN, "min-n", 0, "minimum sample (default 30)")
	return cmd
}
