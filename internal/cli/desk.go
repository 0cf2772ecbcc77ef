package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
	"github.com/tandemhq/tandem/internal/desk"
	"github.com/tandemhq/tandem/internal/desk/rules"
	"github.com/tandemhq/tandem/internal/service"
	"github.com/tandemhq/tandem/internal/sqldb"
)

// openDeskService opens the store and a service with a reporter over it:
// the deal desk's evidence (feature halo figures behind suggestions) comes
// from the analytics engine, which the account commands' service lacks.
// The caller closes the store.
func (a *app) openDeskService(ctx context.Context) (*service.Service, *sqldb.DB, error) {
	db, err := a.openStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	return service.New(db, a.catalog, analytics.New(db, a.catalog, time.Now), "", time.Now), db, nil
}

// withDesk adapts a desk command's body to cobra: it opens the store and
// the service, hands them over, and closes the store when the body returns.
func (a *app) withDesk(run func(ctx context.Context, cmd *cobra.Command, args []string, svc *service.Service) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		ctx := cmd.Context()
		svc, db, err := a.openDeskService(ctx)
		if err != nil {
			return err
		}
		defer db.Close()
		return run(ctx, cmd, args, svc)
	}
}

// deskActor is who a desk change is recorded as: the command line's
// operator, or the user named by --as when the change is that user's own
// statement (a quote they save, a flag they acknowledge). The operator
// then stays in the audit entry as its origin, so the log still says who
// typed the command.
func (a *app) deskActor(ctx context.Context, svc *service.Service, as string) (service.Actor, error) {
	if strings.TrimSpace(as) == "" {
		return service.Actor{Name: a.actorName()}, nil
	}
	u, err := svc.UserByEmail(ctx, as)
	if err != nil {
		return service.Actor{}, err
	}
	return service.Actor{Name: u.Email, Remote: a.actorName()}, nil
}

// deskCommand is "tandem desk": deal checks, quotes, the approval rule set
// and the desk's settings.
func (a *app) deskCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "desk",
		Short: "Deal desk: check deals and quotes, save quotes, manage the approval rule set",
		Long: `The deal desk places a deal's quote against its archetype (see tandem
archetypes), raises guardrail flags with their evidence, and routes the
approvals the rule set asks for. Flags inform and never block; only approval
rules hold a quote.

Changes are recorded in the audit log as cli:$USER; a quote saved or a flag
acknowledged --as a user is recorded as that user, from cli:$USER.`,
	}
	cmd.AddCommand(a.deskCheckCommand(), a.deskQuoteCommand(), a.deskRulesCommand(), a.deskSettingsCommand())
	return cmd
}

// ---- desk check ----

// quoteFlags are the flags that describe a quote on the command line.
type quoteFlags struct {
	deal        string
	lines       []string
	term        int
	paymentDays int
	billing     string
	nonstandard string
	promises    []string
}

// given reports whether a flag other than --deal describes the quote.
func (q *quoteFlags) given(cmd *cobra.Command) bool {
	for _, name := range []string{"line", "term", "payment-days", "billing", "nonstandard", "promise"} {
		if cmd.Flags().Changed(name) {
			return true
		}
	}
	return false
}

// apply sets the flags' fields on q: lines replace q's lines when given.
func (q *quoteFlags) apply(cmd *cobra.Command, into *tandem.Quote) error {
	f := cmd.Flags()
	if len(q.lines) > 0 {
		into.Lines = nil
		for _, s := range q.lines {
			l, err := parseLine(s)
			if err != nil {
				return err
			}
			into.Lines = append(into.Lines, l)
		}
	}
	if f.Changed("term") {
		into.TermMonths = q.term
	}
	if f.Changed("payment-days") {
		into.PaymentDays = q.paymentDays
	}
	if f.Changed("billing") {
		into.Billing = q.billing
	}
	if f.Changed("nonstandard") {
		into.NonstandardTerms = q.nonstandard
		into.Nonstandard = strings.TrimSpace(q.nonstandard) != ""
	}
	if f.Changed("promise") {
		into.Promises = nil
		for _, s := range q.promises {
			p, err := parsePromise(s)
			if err != nil {
				return err
			}
			into.Promises = append(into.Promises, p)
		}
	}
	return nil
}

// parseLine reads --line PRODUCT:QTY:LIST:DISCOUNT. The product is what
// precedes the last three colons, so a product name may itself hold one;
// an empty QTY is 1, an empty LIST takes the catalog price, an empty
// DISCOUNT is none.
func parseLine(s string) (tandem.QuoteLine, error) {
	bad := func(why string) (tandem.QuoteLine, error) {
		return tandem.QuoteLine{}, tandem.Errorf(tandem.EINVALID, "--line %q: %s (use PRODUCT:QTY:LIST:DISCOUNT, e.g. P01:10::15; an empty LIST takes the catalog price)", s, why)
	}
	parts := strings.Split(s, ":")
	if len(parts) < 4 {
		return bad("too few fields")
	}
	n := len(parts)
	l := tandem.QuoteLine{Product: strings.TrimSpace(strings.Join(parts[:n-3], ":")), Quantity: 1}
	if l.Product == "" {
		return bad("no product")
	}
	for _, f := range []struct {
		name string
		v    string
		dst  *float64
	}{{"QTY", parts[n-3], &l.Quantity}, {"LIST", parts[n-2], &l.ListPrice}, {"DISCOUNT", strings.TrimSuffix(strings.TrimSpace(parts[n-1]), "%"), &l.Discount}} {
		v := strings.TrimSpace(f.v)
		if v == "" {
			continue
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return bad(f.name + " " + strconv.Quote(v) + " is not a number")
		}
		*f.dst = x
	}
	return l, nil
}

// parsePromise reads --promise FEATURE:YYYY-MM-DD.
func parsePromise(s string) (tandem.Promise, error) {
	i := strings.LastIndex(s, ":")
	if i <= 0 {
		return tandem.Promise{}, tandem.Errorf(tandem.EINVALID, "--promise %q: use FEATURE:YYYY-MM-DD", s)
	}
	d, err := time.Parse(time.DateOnly, strings.TrimSpace(s[i+1:]))
	if err != nil {
		return tandem.Promise{}, tandem.Errorf(tandem.EINVALID, "--promise %q: %q is not a date (YYYY-MM-DD)", s, s[i+1:])
	}
	return tandem.Promise{Feature: strings.TrimSpace(s[:i]), Date: d}, nil
}

func (a *app) deskCheckCommand() *cobra.Command {
	var qf quoteFlags
	var file string
	cmd := &cobra.Command{
		Use:   "check (--deal ID | --quote FILE.json | --deal ID --line PRODUCT:QTY:LIST:DISCOUNT...)",
		Short: "Check a deal or a quote: archetype, band positions, flags with evidence, approvals needed",
		Long: `Check a deal or a quote without saving anything: the archetype it matches
(name, version, distance and why), each line's discount against the
archetype's P25–P75 band, the guardrail flags with their evidence (every
figure with its n and 95% interval, or "insufficient data"), and the
approvals the active rule set would ask for.

--deal ID alone checks the deal's latest saved quote, or a draft from its
line items when it has none. With --line or any other quote flag, a quote is
built from the flags (lines default to the draft's). --quote reads a quote
as JSON (the "quote" of tandem desk quote show --json; "-" reads standard
input); --deal then names its deal.

Flags inform and never block: the exit status is 0 whatever they say.`,
		Example: `  tandem desk check --deal D00042
  tandem desk check --deal D00042 --line P01:10::15 --line "Analytics Add-on:10::0" --payment-days 90
  tandem desk check --deal D00042 --promise sso:2026-01-31 --nonstandard "custom SLA"
  tandem desk check --quote quote.json --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			built := qf.given(cmd)
			switch {
			case file == "" && qf.deal == "":
				return tandem.Errorf(tandem.EINVALID, "give --deal ID or --quote FILE")
			case file != "" && built:
				return tandem.Errorf(tandem.EINVALID, "--quote reads the whole quote; edit the file instead of adding --line, --term or the other quote flags")
			}
			var q *tandem.Quote
			if file != "" {
				var err error
				if q, err = readQuoteFile(cmd, file); err != nil {
					return err
				}
				if qf.deal != "" {
					q.DealID = qf.deal
				}
			}
			ctx := cmd.Context()
			svc, db, err := a.openDeskService(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			var c *desk.Check
			switch {
			case q != nil:
				c, err = svc.CheckQuote(ctx, *q)
			case built:
				base := &tandem.Quote{DealID: qf.deal}
				if len(qf.lines) == 0 {
					if base, err = svc.DraftQuote(ctx, qf.deal); err != nil {
						return err
					}
				}
				if err := qf.apply(cmd, base); err != nil {
					return err
				}
				c, err = svc.CheckQuote(ctx, *base)
			default:
				c, err = svc.CheckDeal(ctx, qf.deal)
			}
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(c)
			}
			printCheck(a.stdout, c)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&file, "quote", "", "check this quote (JSON file, - for standard input)")
	qf.register(cmd)
	return cmd
}

// register adds the quote flags to cmd.
func (q *quoteFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&q.deal, "deal", "", "the deal's id")
	f.StringArrayVar(&q.lines, "line", nil, "a quote line PRODUCT:QTY:LIST:DISCOUNT (repeatable; LIST empty: catalog price; DISCOUNT in %)")
	f.IntVar(&q.term, "term", 12, "contract term in months")
	f.IntVar(&q.paymentDays, "payment-days", 30, "net payment terms in days")
	f.StringVar(&q.billing, "billing", "annual", "billing: monthly, quarterly, annual or upfront")
	f.StringVar(&q.nonstandard, "nonstandard", "", "non-standard terms, in words (makes the quote non-standard)")
	f.StringArrayVar(&q.promises, "promise", nil, "a feature promised for a date, FEATURE:YYYY-MM-DD (repeatable)")
}

// quoteFile is a quote as a file holds it: tandem.Quote, with promise
// dates as days (2026-01-31) or RFC 3339 times.
type quoteFile struct {
	tandem.Quote
	// Promises shadows the embedded field: encoding/json takes the
	// shallower one.
	Promises []promiseFile `json:"promises,omitempty"`
}

type promiseFile struct {
	Feature    string `json:"feature"`
	Date       string `json:"date"`
	Beta       bool   `json:"beta,omitempty"`
	Unreleased bool   `json:"unreleased,omitempty"`
}

// readQuoteFile reads a quote from a JSON file ("-": standard input). The
// file may hold the quote itself or the output of tandem desk quote show
// --json (a view whose "quote" is the quote), so a shown quote can be
// edited and saved back. Unknown keys are refused: a misspelt key would
// otherwise be dropped without a word.
func readQuoteFile(cmd *cobra.Command, path string) (*tandem.Quote, error) {
	var data []byte
	var err error
	const limit = 8 << 20
	if path == "-" {
		data, err = io.ReadAll(io.LimitReader(cmd.InOrStdin(), limit+1))
	} else {
		var f *os.File
		if f, err = os.Open(path); err != nil {
			return nil, tandem.Errorf(tandem.EINVALID, "quote file: %v", err)
		}
		defer f.Close()
		data, err = io.ReadAll(io.LimitReader(f, limit+1))
	}
	if err != nil {
		return nil, fmt.Errorf("read quote %s: %w", path, err)
	}
	if len(data) > limit {
		return nil, tandem.Errorf(tandem.ETOOLARGE, "quote %s is larger than %d MB", path, limit>>20)
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, tandem.Errorf(tandem.EINVALID, "quote %s: not a JSON object: %v", path, err)
	}
	if inner, ok := probe["quote"]; ok {
		data = inner
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var qf quoteFile
	if err := dec.Decode(&qf); err != nil {
		return nil, tandem.Errorf(tandem.EINVALID, "quote %s: %v", path, err)
	}
	q := qf.Quote
	q.Promises = nil
	for i, p := range qf.Promises {
		d, err := time.Parse(time.DateOnly, p.Date)
		if err != nil {
			if d, err = time.Parse(time.RFC3339Nano, p.Date); err != nil {
				return nil, tandem.Errorf(tandem.EINVALID, "quote %s: promises[%d].date: %q is not a day (2026-01-31) or an RFC 3339 time", path, i, p.Date)
			}
		}
		q.Promises = append(q.Promises, tandem.Promise{Feature: p.Feature, Date: d, Beta: p.Beta, Unreleased: p.Unreleased})
	}
	return &q, nil
}

// ---- desk quote ----

func (a *app) deskQuoteCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "quote",
		Short: "Save, show, list quotes and acknowledge their flags",
		Long: `Quotes are versioned: saving a changed quote stores a new version, requests
the approvals it needs under the active rule set, and keeps the approvals of
the previous version that still stand (the record says why).`,
	}
	cmd.AddCommand(a.quoteSaveCommand(), a.quoteShowCommand(), a.quoteListCommand(), a.quoteAckCommand())
	return cmd
}

func (a *app) quoteSaveCommand() *cobra.Command {
	var as string
	cmd := &cobra.Command{
		Use:   "save FILE.json",
		Short: "Save a quote as a new quote or a new version, and request its approvals",
		Long: `Save a quote read from a JSON file ("-": standard input). Without an "id" it
is a new quote of its deal; with one, "version" is the version the edit
started from, and the save fails (exit 4) when the quote moved on since.
Saving a quote identical to its latest version stores nothing.

The file holds a quote (deal_id, lines with product, quantity, list_price,
discount or net_price, term_months, billing, payment_terms_days,
nonstandard_terms, promises with feature and date), or the output of
tandem desk quote show --json, edited.

It prints the id, version, what changed, the approval status, and each
approval: requested anew (with why) or standing from the previous version.`,
		Example: `  tandem desk quote save quote.json
  tandem desk quote show D00042-Q1 --json > q.json   # edit q.json, then
  tandem desk quote save q.json --as ann.lee@example.com`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := readQuoteFile(cmd, args[0])
			if err != nil {
				return err
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
			v, err := svc.SaveQuote(ctx, actor, *q)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(v)
			}
			if q.ID != "" && q.Version == v.Quote.Version {
				fmt.Fprintf(a.stdout, "quote %s unchanged: version %d is the latest and has the same terms; nothing saved\n", v.Quote.ID, v.Quote.Version)
			} else {
				fmt.Fprintf(a.stdout, "saved quote %s version %d for deal %s\n", v.Quote.ID, v.Quote.Version, dealLabel(v.Deal))
			}
			printChanges(a.stdout, v)
			fmt.Fprintf(a.stdout, "ACV %s, discount %s\n", analytics.FormatNumber("money", v.Quote.ACV()), percent(v.Quote.Discount()))
			printFlagSummary(a.stdout, v.Check.Flags)
			fmt.Fprintf(a.stdout, "approval status: %s\n", v.Status)
			printApprovals(a.stdout, v.Approvals)
			return nil
		},
	}
	cmd.Flags().StringVar(&as, "as", "", "save as this user (e-mail), the quote's author; default cli:$USER")
	return cmd
}

func (a *app) quoteShowCommand() *cobra.Command {
	var version int
	cmd := &cobra.Command{
		Use:   "show ID [--version N]",
		Short: "Show a quote version: terms, lines, the check recorded at save, approvals, history",
		Example: `  tandem desk quote show D00042-Q1
  tandem desk quote show D00042-Q1 --version 1 --json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if version < 0 {
				return tandem.Errorf(tandem.EINVALID, "--version must be positive")
			}
			ctx := cmd.Context()
			svc, db, err := a.openDeskService(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			v, err := svc.Quote(ctx, args[0], version)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(v)
			}
			printQuote(a.stdout, v)
			return nil
		},
	}
	cmd.Flags().IntVar(&version, "version", 0, "the version to show (default the latest)")
	return cmd
}

func (a *app) quoteListCommand() *cobra.Command {
	var deal string
	cmd := &cobra.Command{
		Use:     "list --deal ID",
		Short:   "List a deal's quotes, latest version of each",
		Example: `  tandem desk quote list --deal D00042`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(deal) == "" {
				return tandem.Errorf(tandem.EINVALID, "--deal is required")
			}
			ctx := cmd.Context()
			svc, db, err := a.openDeskService(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			if _, err := svc.Deal(ctx, deal); err != nil {
				return err
			}
			qs, err := svc.DealQuotes(ctx, deal)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(qs)
			}
			if len(qs) == 0 {
				fmt.Fprintf(a.stdout, "deal %s has no quotes (tandem desk quote save FILE)\n", deal)
				return nil
			}
			t := newTable(a.stdout)
			t.row("ID", "VERSION", "AUTHOR", "SAVED", "ACV", "DISCOUNT", "FLAGS", "STATUS")
			for _, q := range qs {
				t.row(q.ID, strconv.Itoa(q.Version), q.Author, q.CreatedAt.UTC().Format(cliTime), analytics.FormatNumber("money", q.ACV),
					percent(q.Discount), strconv.Itoa(q.Flags), q.Status)
			}
			return t.flush()
		},
	}
	cmd.Flags().StringVar(&deal, "deal", "", "the deal's id (required)")
	return cmd
}

func (a *app) quoteAckCommand() *cobra.Command {
	var note, as string
	cmd := &cobra.Command{
		Use:   "ack ID CODE [--note TEXT] [--as EMAIL]",
		Short: "Acknowledge a flag on a quote's latest version (the record that the rep saw it)",
		Long: `Acknowledge a guardrail flag on the latest version of a quote. Flags never
block; the acknowledgment records that the flag was seen, by whom, and why
the quote goes ahead anyway.`,
		Example: `  tandem desk quote ack D00042-Q1 payment-terms --note "customer's procurement policy" --as ann.lee@example.com`,
		Args:    cobra.ExactArgs(2),
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, args []string, svc *service.Service) error {
			actor, err := a.deskActor(ctx, svc, as)
			if err != nil {
				return err
			}
			v, err := svc.AckFlag(ctx, actor, args[0], args[1], note)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(v)
			}
			fmt.Fprintf(a.stdout, "acknowledged %s on quote %s version %d as %s\n", args[1], v.Quote.ID, v.Quote.Version, actor.Name)
			return nil
		}),
	}
	cmd.Flags().StringVar(&note, "note", "", "why the quote goes ahead despite the flag")
	cmd.Flags().StringVar(&as, "as", "", "acknowledge as this user (e-mail); default cli:$USER")
	return cmd
}

// ---- desk rules ----

func (a *app) deskRulesCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules",
		Short: "Apply, show, list and simulate versions of the approval rule set",
		Long: `The approval rule set is a YAML (or JSON) file of rules: when a quote
matches a rule's condition, the rule's approvers are asked, level by level.
See README → "Deal desk" for the language; tandem demo applies an example.`,
	}
	cmd.AddCommand(a.rulesApplyCommand(), a.rulesShowCommand(), a.rulesHistoryCommand(), a.rulesSimulateCommand())
	return cmd
}

func (a *app) rulesApplyCommand() *cobra.Command {
	var note string
	cmd := &cobra.Command{
		Use:   "apply FILE [--note TEXT]",
		Short: "Validate a rule file and make it the active rule set (a new version)",
		Long: `Validate a rule file (.yaml, .yml or .json): its syntax, then its approvers
against the reps and users (every selling rep needs the managers its
relation steps name, each a user; every role named must be held). A file
with any problem changes nothing: each problem is printed on standard error
as FILE:LINE:COL: PATH: MESSAGE, one a line, and the exit status is 2.

Quotes saved from now on are routed under the new version; approvals
already requested keep their routing.`,
		Example: `  tandem desk rules apply rules.yaml --note "finance signs off above 40%"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			switch strings.ToLower(filepath.Ext(path)) {
			case ".yaml", ".yml", ".json":
			default:
				return tandem.Errorf(tandem.EINVALID, "rule file %s: use a .yaml, .yml or .json file", path)
			}
			data, err := readRuleFile(path)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			svc, db, err := a.openDeskService(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			v, err := svc.ApplyRules(ctx, service.Actor{Name: a.actorName()}, path, data, note)
			if err != nil {
				var ve *rules.ValidationError
				if !errors.As(err, &ve) {
					return err
				}
				for _, p := range ve.Problems {
					fmt.Fprintln(a.stderr, p.String())
				}
				what := "problems"
				if len(ve.Problems) == 1 {
					what = "problem"
				}
				return tandem.Errorf(tandem.EINVALID, "rule set %s refused: %d %s (listed above); the active rule set is unchanged", path, len(ve.Problems), what)
			}
			if a.jsonOut {
				return a.printJSON(v)
			}
			fmt.Fprintf(a.stdout, "applied %s as rule set version %d: %d rules, default SLA %s\n", v.Name, v.Version, len(v.Rules), shortDuration(v.SLA))
			return nil
		},
	}
	cmd.Flags().StringVar(&note, "note", "", "why the rule set changed, kept with the version")
	return cmd
}

func (a *app) rulesShowCommand() *cobra.Command {
	var version int
	var source bool
	cmd := &cobra.Command{
		Use:   "show [--version N] [--source]",
		Short: "Show the active rule set (or a version): each rule's condition, approvers and SLA",
		Long: `Show a version of the rule set (default the active one): who applied it,
when and why, and each rule. --source prints the file exactly as applied,
to edit and apply again. Exit status 3 when no rule set has been applied.`,
		Example: `  tandem desk rules show
  tandem desk rules show --version 2 --source > rules.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if version < 0 {
				return tandem.Errorf(tandem.EINVALID, "--version must be positive")
			}
			ctx := cmd.Context()
			svc, db, err := a.openDeskService(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			v, err := svc.Rules(ctx, version)
			if err != nil {
				return err
			}
			switch {
			case source:
				_, err := io.WriteString(a.stdout, v.Source)
				return err
			case a.jsonOut:
				return a.printJSON(v)
			}
			printRuleSet(a.stdout, v)
			return nil
		},
	}
	cmd.Flags().IntVar(&version, "version", 0, "the version to show (default the active one)")
	cmd.Flags().BoolVar(&source, "source", false, "print the rule file as applied")
	return cmd
}

// shortDuration drops the zero minutes and seconds Go's durations print
// ("24h0m0s" is "24h").
func shortDuration(s string) string {
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
		if strings.HasSuffix(s, "h0m") {
			s = strings.TrimSuffix(s, "0m")
		}
	}
	return s
}

func printRuleSet(w io.Writer, v *service.RuleSetView) {
	fmt.Fprintf(w, "rule set version %d: %s, applied %s by %s\n", v.Version, v.Name, v.CreatedAt.UTC().Format(cliTime), v.Author)
	if v.Note != "" {
		fmt.Fprintf(w, "note: %s\n", v.Note)
	}
	fmt.Fprintf(w, "default SLA: %s\n", shortDuration(v.SLA))
	if len(v.Rules) == 0 {
		fmt.Fprintln(w, "\nno rules: nothing needs approval")
	}
	for _, r := range v.Rules {
		fmt.Fprintf(w, "\n%s (level %d", r.Name, r.Level)
		if r.Chain != "" {
			fmt.Fprintf(w, ", chain %s", r.Chain)
		}
		fmt.Fprintf(w, ", SLA %s)\n", shortDuration(r.SLA))
		if r.Description != "" {
			fmt.Fprintf(w, "  %s\n", r.Description)
		}
		fmt.Fprintf(w, "  when:      %s\n", r.When)
		fmt.Fprintf(w, "  approvers: %s\n", r.Approvers)
	}
}

func (a *app) rulesHistoryCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "history",
		Short: "List every applied version of the rule set, newest first",
		Args:  cobra.NoArgs,
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, _ []string, svc *service.Service) error {
			docs, err := svc.RulesHistory(ctx)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(docs)
			}
			if len(docs) == 0 {
				fmt.Fprintln(a.stdout, "no rule set has been applied (tandem desk rules apply FILE)")
				return nil
			}
			t := newTable(a.stdout)
			t.row("VERSION", "APPLIED", "BY", "NOTE")
			for i, d := range docs {
				v := strconv.Itoa(d.Version)
				if i == 0 {
					v += " (active)"
				}
				t.row(v, d.CreatedAt.UTC().Format(cliTime), d.Author, d.Note)
			}
			return t.flush()
		}),
	}
}

// ---- desk settings ----

func (a *app) deskSettingsCommand() *cobra.Command {
	var s desk.Settings
	cmd := &cobra.Command{
		Use:   "settings [--disclosure-months N] [--min-n N] [--max-distance X] [--max-payment-days N]",
		Short: "Show the desk's settings, or change those given as flags",
		Long: `Show the deal desk's settings, or change those given as flags (the others
keep their values); a change is a new version, recorded in the audit log.

  disclosure months   how far ahead a feature may be promised (DESIGN §2.7)
  min n               the minimum sample of an archetype or a figure
  max distance        the largest distance at which a quote still matches an archetype
  max payment days    payment terms allowed when an archetype's playbook sets none`,
		Example: `  tandem desk settings
  tandem desk settings --disclosure-months 6 --max-payment-days 45`,
		Args: cobra.NoArgs,
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, _ []string, svc *service.Service) error {
			cur, version, err := svc.DeskSettings(ctx)
			if err != nil {
				return err
			}
			f := cmd.Flags()
			changed := false
			for _, c := range []struct {
				flag string
				set  func()
			}{
				{"disclosure-months", func() { cur.DisclosureMonths = s.DisclosureMonths }},
				{"min-n", func() { cur.MinN = s.MinN }},
				{"max-distance", func() { cur.MaxDistance = s.MaxDistance }},
				{"max-payment-days", func() { cur.DefaultMaxPaymentDays = s.DefaultMaxPaymentDays }},
			} {
				if f.Changed(c.flag) {
					c.set()
					changed = true
				}
			}
			if changed {
				if cur, err = svc.PutDeskSettings(ctx, service.Actor{Name: a.actorName()}, cur); err != nil {
					return err
				}
				version++
			}
			if a.jsonOut {
				return a.printJSON(map[string]any{"version": version, "settings": cur})
			}
			if changed {
				fmt.Fprintf(a.stdout, "saved desk settings version %d\n", version)
			} else if version == 0 {
				fmt.Fprintln(a.stdout, "desk settings: the defaults (never changed)")
			} else {
				fmt.Fprintf(a.stdout, "desk settings version %d\n", version)
			}
			t := newTable(a.stdout)
			t.row("  disclosure months", strconv.Itoa(cur.DisclosureMonths))
			t.row("  min n", strconv.Itoa(cur.MinN))
			t.row("  max distance", strconv.FormatFloat(cur.MaxDistance, 'g', -1, 64))
			t.row("  max payment days", strconv.Itoa(cur.DefaultMaxPaymentDays))
			return t.flush()
		}),
	}
	f := cmd.Flags()
	def := desk.DefaultSettings()
	f.IntVar(&s.DisclosureMonths, "disclosure-months", def.DisclosureMonths, "months ahead a feature may be promised (1 to 60)")
	f.IntVar(&s.MinN, "min-n", def.MinN, "minimum sample of an archetype or figure (5 to 10000)")
	f.Float64Var(&s.MaxDistance, "max-distance", def.MaxDistance, "largest match distance to an archetype, in (0, 1]")
	f.IntVar(&s.DefaultMaxPaymentDays, "max-payment-days", def.DefaultMaxPaymentDays, "payment days allowed when a playbook sets none (0 to 365)")
	return cmd
}
