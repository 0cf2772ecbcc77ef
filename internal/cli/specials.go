package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v3"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/httpapi"
	"github.com/tandemhq/tandem/internal/service"
	"github.com/tandemhq/tandem/internal/specials"
)

// specialsCommand is tandem specials (issue 9): custom requests from
// deals, from intake with evidence through the alignment × effort matrix
// and the six steps to their outcome, with the capacity budget.
func (a *app) specialsCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "specials",
		Short: "Custom requests from deals: file, score, estimate, move through the six steps; matrix, capacity, outcomes",
		Long: `A special is a custom request from a deal ("the deal dies without this one
change"). A rep files it with the evidence; product scores its alignment
(ICP and strategy fit given, recurring demand and revenue at stake computed)
and estimates its effort; the matrix recommends an action; and the special
goes through six steps, each recorded with who, when, notes and a sign-off:
talk to the rep, speak to the prospect, review the evidence, find
workarounds, ship the simplest slice, measure and productize. A step is
skipped only with a reason; accepting needs a leader and says which roadmap
work it displaces, and a confirmation when the quarter's specials go over
the budget's warning line.

Changes are recorded as cli:$USER, or as the user named by --as (accepting
needs --as a leader). --version is the version your change is based on
(default: the current one); when someone changed the special since, the
change is refused with exit status 4.`,
	}
	cmd.AddCommand(a.specialsListCommand(), a.specialsShowCommand(), a.specialsFileCommand(), a.specialsScoreCommand(),
		a.specialsEstimateCommand(), a.specialsLinkCommand())
	for _, m := range specialMoves() {
		cmd.AddCommand(a.specialsMoveCommand(m))
	}
	cmd.AddCommand(a.specialsMatrixCommand(), a.specialsCapacityCommand(), a.specialsOutcomesCommand(), a.specialsSettingsCommand())
	return cmd
}

// requireFlags makes flags of cmd required: the command is refused as
// invalid input (exit status 2) naming every one missing, before it opens
// the store. Cobra's own required flags exit with status 1, as a usage
// error, which scripts cannot tell from a failure.
func requireFlags(cmd *cobra.Command, names ...string) {
	prev := cmd.PreRunE
	cmd.PreRunE = func(c *cobra.Command, args []string) error {
		var missing []string
		for _, n := range names {
			if !c.Flags().Changed(n) {
				missing = append(missing, "--"+n)
			}
		}
		if len(missing) > 0 {
			return tandem.Errorf(tandem.EINVALID, "%s: required", strings.Join(missing, ", "))
		}
		if prev != nil {
			return prev(c, args)
		}
		return nil
	}
}

// ---- list and show ----

func (a *app) specialsListCommand() *cobra.Command {
	var step, deal string
	var open bool
	cmd := &cobra.Command{
		Use:   "list [--step STEP] [--deal ID] [--open]",
		Short: "List specials, newest first",
		Example: `  tandem specials list --open
  tandem specials list --step find-workarounds --json`,
		Args: cobra.NoArgs,
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, _ []string, svc *service.Service) error {
			q := service.SpecialQuery{Step: tandem.SpecialStep(strings.TrimSpace(step)), DealID: strings.TrimSpace(deal), Open: open}
			if q.Step != "" && !specials.Known(q.Step) {
				return tandem.Errorf(tandem.EINVALID, "--step %q: not a step (%s)", step, httpapi.StepNames())
			}
			list, err := svc.Specials(ctx, q)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(struct {
					Specials []service.SpecialView `json:"specials"`
				}{list})
			}
			tw := newTable(a.stdout)
			tw.row("ID", "STEP", "DEAL", "AMOUNT", "ALIGNMENT", "WEEKS", "RECOMMENDED", "TITLE")
			for _, v := range list {
				align, weeks, action := "-", "-", "-"
				if v.Alignment != nil {
					align = fnum(v.Alignment.Value())
				}
				if v.Effort != nil {
					weeks = fnum(v.Effort.Weeks)
				}
				if v.Placement != nil {
					action = v.Placement.Action
				}
				tw.row(v.ID, string(v.Step), v.DealID, fmt.Sprintf("%.0f", v.Amount), align, weeks, action, v.Title)
			}
			if err := tw.flush(); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "%d special(s)\n", len(list))
			return nil
		}),
	}
	cmd.Flags().StringVar(&step, "step", "", "only specials at this step")
	cmd.Flags().StringVar(&deal, "deal", "", "only specials of this deal")
	cmd.Flags().BoolVar(&open, "open", false, "only specials that have not ended")
	return cmd
}

// fnum prints a number without trailing zeros.
func fnum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// specialShow is the --json output of specials show.
type specialShow struct {
	Special  service.SpecialView     `json:"special"`
	Timeline []httpapi.TimelineEntry `json:"timeline"`
}

func (a *app) specialsShowCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "show ID",
		Short:   "Show a special: the ask, evidence, scores, placement, demand, allowed moves and its timeline",
		Example: `  tandem specials show sp-3f2a9c01d4e5 --json`,
		Args:    cobra.ExactArgs(1),
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, args []string, svc *service.Service) error {
			v, err := svc.Special(ctx, args[0])
			if err != nil {
				return err
			}
			docs, err := svc.SpecialHistory(ctx, v.ID)
			if err != nil {
				return err
			}
			tl, err := httpapi.Timeline(v.ID, docs)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(specialShow{v, tl.Versions})
			}
			printSpecial(a.stdout, v, tl.Versions)
			return nil
		}),
	}
}

// printSpecial writes a special and its timeline for people.
func printSpecial(w io.Writer, v service.SpecialView, tl []httpapi.TimelineEntry) {
	fmt.Fprintf(w, "%s (version %d): %s\n", v.ID, v.Version, v.Title)
	field := func(k, val string) {
		if val != "" {
			fmt.Fprintf(w, "  %-14s %s\n", k+":", val)
		}
	}
	field("step", string(v.Step))
	field("deal", fmt.Sprintf("%s (amount %.0f)", v.DealID, v.Amount))
	field("filed", v.FiledBy+" at "+v.FiledAt.Format("2006-01-02 15:04"))
	field("asked by", v.AskedBy)
	if !v.Deadline.IsZero() {
		field("deadline", v.Deadline.Format("2006-01-02"))
	}
	if v.OthersAsked {
		field("others asked", "yes (the rep's word)")
	}
	if v.Strategic {
		field("strategic", v.StrategicWhy)
	}
	field("ask", v.Ask)
	field("problem", v.Problem)
	field("themes", strings.Join(v.Themes, ", "))
	field("specials", strings.Join(v.Specials, ", "))
	field("feature", v.Feature)
	field("demand", fmt.Sprintf("%d other account(s), %d linked special(s), revenue %.0f", v.Demand.Accounts, v.Demand.Specials, v.Demand.Revenue))
	for _, e := range v.Evidence {
		switch e.Kind {
		case "note":
			field("note", e.Text)
		case "link":
			field("link", e.URL)
		default:
			field("file", fmt.Sprintf("%s (%s, %d bytes, sha256 %s)", e.Name, e.ContentType, e.Size, e.SHA256))
		}
	}
	if al := v.Alignment; al != nil {
		s := fmt.Sprintf("%s/10 by %s", fnum(al.Value()), al.By)
		if al.Adjusted != nil {
			s += fmt.Sprintf(" (adjusted from %s by %s: %s)", fnum(al.Score), al.AdjustedBy, al.Reason)
		}
		field("alignment", s)
		for _, in := range al.Inputs {
			fmt.Fprintf(w, "  %-14s %s\n", "", in)
		}
	}
	if e := v.Effort; e != nil {
		field("effort", strings.TrimSpace(fmt.Sprintf("%s weeks by %s %s", fnum(e.Weeks), e.Author, paren(e.Note))))
	}
	if p := v.Placement; p != nil {
		field("matrix", fmt.Sprintf("%s: %s", p.Quadrant, p.Action))
		field("why", p.Why)
	}
	if acc := v.Accept; acc != nil {
		s := fmt.Sprintf("by %s for %s", acc.Leader, acc.Quarter)
		for _, d := range acc.Displaces {
			s += fmt.Sprintf("; moves %s by %s weeks", d.Item, fnum(d.Weeks))
		}
		if acc.Confirmation != "" {
			s += "; over the warning line, confirmed: " + acc.Confirmation
		}
		field("accepted", s)
	}
	allowed := make([]string, len(v.Allowed))
	for i, m := range v.Allowed {
		allowed[i] = string(m)
	}
	field("next", strings.Join(allowed, ", "))
	fmt.Fprintln(w, "\ntimeline:")
	for _, e := range tl {
		fmt.Fprintf(w, "  v%-3d %s  %-22s %-9s %s", e.Version, e.At.Format("2006-01-02 15:04"), e.Author, e.Change, e.Step)
		if r := e.Record; r != nil {
			switch {
			case r.Skipped && r.SkipReason != "":
				fmt.Fprintf(w, "  (%s skipped: %q)", r.Step, r.SkipReason)
			case r.Notes != "":
				fmt.Fprintf(w, "  %q", r.Notes)
			}
			if r.SignedBy != "" {
				fmt.Fprintf(w, " signed by %s", r.SignedBy)
			}
		}
		fmt.Fprintln(w)
	}
}

// ---- file ----

func (a *app) specialsFileCommand() *cobra.Command {
	var sp tandem.Special
	var deadline, as string
	var notes, links, files, themes, others []string
	cmd := &cobra.Command{
		Use:   "file --deal ID --title T --ask TEXT --problem TEXT [--asked-by WHO] [--deadline YYYY-MM-DD] [--others-asked] [--strategic-why TEXT] [--note TEXT]... [--link URL]... [--file PATH]...",
		Short: "File a special from a deal, with its evidence",
		Long: `File a custom request from a deal at the first step (talk to the rep).
Evidence: --note for call notes, --link for a page, --file for a document
(pdf, png, jpg, gif, txt, csv, eml, docx, xlsx, pptx; at most 10 MiB each),
stored by its SHA-256. --strategic-why marks the special strategic, with
the reason. Feedback themes and specials asking for the same are linked.
--as names the filer (default: the command line's operator).`,
		Example: `  tandem specials file --deal D00042 --title "SAML SSO" --ask "Log in through Okta" \
      --problem "Their policy forbids passwords" --asked-by CISO --note "Call 2026-02-20" --file questionnaire.pdf`,
		Args: cobra.NoArgs,
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, _ []string, svc *service.Service) error {
			actor, err := a.deskActor(ctx, svc, as)
			if err != nil {
				return err
			}
			if sp.Deadline, err = parseDay("--deadline", deadline); err != nil {
				return err
			}
			sp.Strategic = strings.TrimSpace(sp.StrategicWhy) != ""
			sp.Themes, sp.Specials = nonBlank(themes), nonBlank(others)
			for _, n := range notes {
				sp.Evidence = append(sp.Evidence, tandem.SpecialEvidence{Kind: "note", Text: n})
			}
			for _, l := range links {
				sp.Evidence = append(sp.Evidence, tandem.SpecialEvidence{Kind: "link", URL: strings.TrimSpace(l)})
			}
			var sf []service.SpecialFile
			var total int64
			for _, p := range files {
				if err := httpapi.CheckSpecialFiles(len(sf)+1, total); err != nil {
					return err
				}
				f, err := readEvidence(p)
				if err != nil {
					return err
				}
				total += int64(len(f.Data))
				if err := httpapi.CheckSpecialFiles(len(sf)+1, total); err != nil {
					return err
				}
				sf = append(sf, f)
			}
			v, err := svc.FileSpecial(ctx, actor, sp, sf)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(v)
			}
			fmt.Fprintf(a.stdout, "filed %s (version %d) for deal %s at %s, with %d piece(s) of evidence", v.ID, v.Version, v.DealID, v.Step, len(v.Evidence))
			if n := len(v.Themes) + len(v.Specials); n > 0 {
				fmt.Fprintf(a.stdout, "; linked to %d theme(s) and %d special(s) asking for the same", len(v.Themes), len(v.Specials))
			}
			fmt.Fprintln(a.stdout)
			return nil
		}),
	}
	fl := cmd.Flags()
	fl.StringVar(&sp.DealID, "deal", "", "the deal (required)")
	fl.StringVar(&sp.Title, "title", "", "a short name (required)")
	fl.StringVar(&sp.Ask, "ask", "", "what the prospect asked for (required)")
	fl.StringVar(&sp.Problem, "problem", "", "the problem behind the ask (required)")
	fl.StringVar(&sp.AskedBy, "asked-by", "", "who at the account asked")
	fl.StringVar(&deadline, "deadline", "", "when the prospect needs it (YYYY-MM-DD)")
	fl.BoolVar(&sp.OthersAsked, "others-asked", false, "other customers asked for the same")
	fl.StringVar(&sp.StrategicWhy, "strategic-why", "", "mark it strategic, saying why")
	fl.StringArrayVar(&notes, "note", nil, "a note as evidence (repeatable)")
	fl.StringArrayVar(&links, "link", nil, "an http(s) link as evidence (repeatable)")
	fl.StringArrayVar(&files, "file", nil, "a file as evidence (repeatable)")
	fl.StringArrayVar(&themes, "theme", nil, "link a feedback theme (repeatable)")
	fl.StringArrayVar(&others, "special", nil, "link another special (repeatable)")
	fl.StringVar(&as, "as", "", "file as this user (e-mail)")
	requireFlags(cmd, "deal", "title", "ask", "problem")
	return cmd
}

// readEvidence reads an evidence file, typed by its extension. Files over
// the limit are refused before they are read whole.
func readEvidence(path string) (service.SpecialFile, error) {
	name := filepath.Base(path)
	ct := httpapi.EvidenceType(name)
	if ct == "" {
		return service.SpecialFile{}, tandem.Errorf(tandem.EINVALID, "--file %s: the extension %q is not accepted (pdf, png, jpg, gif, txt, csv, eml, docx, xlsx, pptx)", path, filepath.Ext(name))
	}
	fh, err := os.Open(path)
	if err != nil {
		return service.SpecialFile{}, tandem.Errorf(tandem.EINVALID, "--file %s: %v", path, err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, service.MaxSpecialFile+1))
	if err != nil {
		return service.SpecialFile{}, tandem.Errorf(tandem.EINVALID, "--file %s: %v", path, err)
	}
	if len(data) > service.MaxSpecialFile {
		return service.SpecialFile{}, tandem.Errorf(tandem.EINVALID, "--file %s: larger than %d bytes (10 MiB), the limit for an evidence file", path, service.MaxSpecialFile)
	}
	return service.SpecialFile{Name: name, ContentType: ct, Data: data}, nil
}

// ---- changes ----

// changeFlags are the flags every changing command takes.
type changeFlags struct {
	as      string
	version int
}

func (c *changeFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVar(&c.as, "as", "", "record the change as this user (e-mail)")
	cmd.Flags().IntVar(&c.version, "version", 0, "the version the change is based on (default: the current one)")
}

// run resolves the actor and the version, makes the change and prints
// the special after it.
func (c *changeFlags) run(ctx context.Context, a *app, svc *service.Service, id, what string, change func(service.Actor, int) (service.SpecialView, error)) error {
	actor, err := a.deskActor(ctx, svc, c.as)
	if err != nil {
		return err
	}
	version := c.version
	switch {
	case version < 0:
		return tandem.Errorf(tandem.EINVALID, "--version must be positive")
	case version == 0:
		cur, err := svc.Special(ctx, id)
		if err != nil {
			return err
		}
		version = cur.Version
	}
	v, err := change(actor, version)
	if err != nil {
		return err
	}
	if a.jsonOut {
		return a.printJSON(v)
	}
	fmt.Fprintf(a.stdout, "%s %s: now version %d at %s", v.ID, what, v.Version, v.Step)
	if p := v.Placement; p != nil {
		fmt.Fprintf(a.stdout, "; matrix %s (alignment %s, %s weeks): %s", p.Quadrant, fnum(p.Alignment), fnum(p.EffortWeeks), p.Action)
	}
	fmt.Fprintln(a.stdout)
	return nil
}

func (a *app) specialsScoreCommand() *cobra.Command {
	var c changeFlags
	var icp, strategy, adjust float64
	var reason string
	cmd := &cobra.Command{
		Use:   "score ID --icp N --strategy N [--adjust N --reason TEXT]",
		Short: "Score a special's alignment (ICP and strategy fit 0 to 10; demand and revenue computed)",
		Long: `Score the alignment: ICP fit and strategy fit are yours (0 to 10); recurring
demand and revenue at stake are computed from the data; the score is the
mean of the four, with each input explained. --adjust replaces the score
by hand and needs --reason.`,
		Example: `  tandem specials score sp-3f2a9c01d4e5 --icp 8 --strategy 6 --as pm@example.com`,
		Args:    cobra.ExactArgs(1),
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, args []string, svc *service.Service) error {
			in := service.ScoreInput{ICPFit: icp, StrategyFit: strategy, Reason: reason}
			if cmd.Flags().Changed("adjust") {
				in.Adjusted = &adjust
			} else if strings.TrimSpace(reason) != "" {
				return tandem.Errorf(tandem.EINVALID, "--reason goes with --adjust")
			}
			return c.run(ctx, a, svc, args[0], "scored", func(actor service.Actor, v int) (service.SpecialView, error) {
				in.Version = v
				return svc.ScoreSpecial(ctx, actor, args[0], in)
			})
		}),
	}
	cmd.Flags().Float64Var(&icp, "icp", 0, "ICP fit, 0 to 10 (required)")
	cmd.Flags().Float64Var(&strategy, "strategy", 0, "strategy fit, 0 to 10 (required)")
	cmd.Flags().Float64Var(&adjust, "adjust", 0, "set the score by hand, 0 to 10 (needs --reason)")
	cmd.Flags().StringVar(&reason, "reason", "", "why the score is adjusted")
	requireFlags(cmd, "icp", "strategy")
	c.register(cmd)
	return cmd
}

func (a *app) specialsEstimateCommand() *cobra.Command {
	var c changeFlags
	var weeks float64
	var note string
	cmd := &cobra.Command{
		Use:     "estimate ID --weeks N [--note TEXT]",
		Short:   "Record a special's effort in engineering weeks (you are its author)",
		Example: `  tandem specials estimate sp-3f2a9c01d4e5 --weeks 3 --note "SAML library exists" --as eng@example.com`,
		Args:    cobra.ExactArgs(1),
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, args []string, svc *service.Service) error {
			return c.run(ctx, a, svc, args[0], "estimated", func(actor service.Actor, v int) (service.SpecialView, error) {
				return svc.EstimateSpecial(ctx, actor, args[0], v, weeks, note)
			})
		}),
	}
	cmd.Flags().Float64Var(&weeks, "weeks", 0, "engineering weeks, above 0 and at most 260 (required)")
	cmd.Flags().StringVar(&note, "note", "", "what the estimate assumes")
	requireFlags(cmd, "weeks")
	c.register(cmd)
	return cmd
}

func (a *app) specialsLinkCommand() *cobra.Command {
	var c changeFlags
	var themes, others []string
	var feature string
	cmd := &cobra.Command{
		Use:   "link ID [--theme T]... [--special S]... [--feature F]",
		Short: "Replace a special's links to feedback themes, other specials and the feature",
		Long: `Replace the links given: --theme replaces the themes (--theme "" clears
them), --special the linked specials, --feature the catalog feature the
special became or extends (--feature "" removes it). Links not given stay.`,
		Example: `  tandem specials link sp-3f2a9c01d4e5 --feature F012 --special sp-77aa01bc9d2e`,
		Args:    cobra.ExactArgs(1),
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, args []string, svc *service.Service) error {
			var in service.LinkInput
			fl := cmd.Flags()
			if fl.Changed("theme") {
				t := nonBlank(themes)
				in.Themes = &t
			}
			if fl.Changed("special") {
				s := nonBlank(others)
				in.Specials = &s
			}
			if fl.Changed("feature") {
				in.Feature = &feature
			}
			if in.Themes == nil && in.Specials == nil && in.Feature == nil {
				return tandem.Errorf(tandem.EINVALID, "give --theme, --special or --feature")
			}
			return c.run(ctx, a, svc, args[0], "linked", func(actor service.Actor, v int) (service.SpecialView, error) {
				in.Version = v
				return svc.LinkSpecial(ctx, actor, args[0], in)
			})
		}),
	}
	cmd.Flags().StringArrayVar(&themes, "theme", nil, "a feedback theme (repeatable; replaces the themes)")
	cmd.Flags().StringArrayVar(&others, "special", nil, "another special (repeatable; replaces the linked specials)")
	cmd.Flags().StringVar(&feature, "feature", "", "the catalog feature (\"\" removes it)")
	c.register(cmd)
	return cmd
}

// specialMove describes one move command.
type specialMove struct {
	action          specials.Action
	use, short, ex  string
	signed, skipped bool // takes --signed-by / --reason (skip)
}

// specialMoves are the move commands, in the order of the process.
func specialMoves() []specialMove {
	return []specialMove{
		{action: specials.Advance, use: "advance ID --notes TEXT --signed-by EMAIL", short: "Complete the current step with notes and its sign-off", signed: true,
			ex: `  tandem specials advance sp-3f2a9c01d4e5 --notes "Talked to the rep: renewal blocker" --signed-by pm@example.com`},
		{action: specials.Skip, use: "skip ID --reason TEXT", short: "Skip the current step, recording why", skipped: true,
			ex: `  tandem specials skip sp-3f2a9c01d4e5 --reason "The CISO's e-mail is in the evidence"`},
		{action: specials.Accept, use: "accept ID --notes TEXT --signed-by EMAIL [--quarter YYYY-Qn] [--displace ITEM=WEEKS]... [--confirm TEXT]",
			short: "Accept a special to build (a leader, from find-workarounds), saying which roadmap work it displaces", signed: true,
			ex: `  tandem specials accept sp-3f2a9c01d4e5 --notes "No partner offers it" --signed-by cpo@example.com \
      --displace "audit log export=2" --as cpo@example.com`},
		{action: specials.Decline, use: "decline ID --notes TEXT", short: "Decline an open special, saying why",
			ex: `  tandem specials decline sp-3f2a9c01d4e5 --notes "High effort, low alignment: the API covers it"`},
		{action: specials.Withdraw, use: "withdraw ID --notes TEXT", short: "Withdraw a special (its weeks go back to the roadmap)",
			ex: `  tandem specials withdraw sp-3f2a9c01d4e5 --notes "The prospect dropped the ask"`},
		{action: specials.Productize, use: "productize ID --notes TEXT", short: "End measuring: the special became part of the product",
			ex: `  tandem specials productize sp-3f2a9c01d4e5 --notes "Three more accounts use it"`},
		{action: specials.OneOff, use: "one-off ID --notes TEXT", short: "End measuring: the special stays a one-off",
			ex: `  tandem specials one-off sp-3f2a9c01d4e5 --notes "Nobody else uses it"`},
	}
}

func (a *app) specialsMoveCommand(m specialMove) *cobra.Command {
	var c changeFlags
	var in service.MoveInput
	var displace []string
	cmd := &cobra.Command{
		Use:     m.use,
		Short:   m.short,
		Example: m.ex,
		Args:    cobra.ExactArgs(1),
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, args []string, svc *service.Service) error {
			in.Action = m.action
			for _, d := range displace {
				ri, err := parseDisplace(d)
				if err != nil {
					return err
				}
				in.Displaces = append(in.Displaces, ri)
			}
			return c.run(ctx, a, svc, args[0], string(m.action), func(actor service.Actor, v int) (service.SpecialView, error) {
				in.Version = v
				return svc.MoveSpecial(ctx, actor, args[0], in)
			})
		}),
	}
	fl := cmd.Flags()
	if m.skipped {
		fl.StringVar(&in.SkipReason, "reason", "", "why the step is skipped (required)")
		requireFlags(cmd, "reason")
	} else {
		fl.StringVar(&in.Notes, "notes", "", "what was done, or why (required)")
		requireFlags(cmd, "notes")
	}
	if m.signed {
		fl.StringVar(&in.SignedBy, "signed-by", "", "the active user who signs the step off")
	}
	if m.signed && m.action == specials.Advance {
		requireFlags(cmd, "signed-by")
	}
	if m.action == specials.Accept {
		fl.StringVar(&in.Quarter, "quarter", "", "the quarter whose capacity it uses, YYYY-Qn (default: this one)")
		fl.StringArrayVar(&displace, "displace", nil, "a roadmap item it moves and by how many weeks, ITEM=WEEKS (repeatable)")
		fl.StringVar(&in.Confirmation, "confirm", "", "your confirmation, when the quarter goes over the budget's warning line")
		fl.StringVar(&in.SkipReason, "skip-reason", "", "record find-workarounds as skipped, with why")
	}
	c.register(cmd)
	return cmd
}

// parseDisplace reads ITEM=WEEKS.
func parseDisplace(s string) (tandem.RoadmapImpact, error) {
	i := strings.LastIndex(s, "=")
	if i < 0 {
		return tandem.RoadmapImpact{}, tandem.Errorf(tandem.EINVALID, "--displace %q: write ITEM=WEEKS, for example \"audit log export=2\"", s)
	}
	item := strings.TrimSpace(s[:i])
	w, err := strconv.ParseFloat(strings.TrimSpace(s[i+1:]), 64)
	if err != nil || item == "" {
		return tandem.RoadmapImpact{}, tandem.Errorf(tandem.EINVALID, "--displace %q: write ITEM=WEEKS with WEEKS a number, for example \"audit log export=2\"", s)
	}
	return tandem.RoadmapImpact{Item: item, Weeks: w}, nil
}

// ---- views ----

func (a *app) specialsMatrixCommand() *cobra.Command {
	return &cobra.Command{
		Use:     "matrix",
		Short:   "The alignment × effort matrix of open and building specials, with each one's recommended action",
		Example: `  tandem specials matrix --json`,
		Args:    cobra.NoArgs,
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, _ []string, svc *service.Service) error {
			m, err := svc.Matrix(ctx)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(m)
			}
			w := a.stdout
			fmt.Fprintf(w, "alignment is high at %s and above; effort is high at %s weeks and above\n\n", fnum(m.Settings.AlignmentHigh), fnum(m.Settings.EffortHighWeeks))
			for _, q := range httpapi.MatrixQuadrants() {
				fmt.Fprintf(w, "%s:\n", q)
				n := 0
				for _, v := range m.Placed {
					if v.Placement.Quadrant == q {
						n++
						fmt.Fprintf(w, "  %s  alignment %s, %s weeks  %s  %s: %s\n", v.ID, fnum(v.Placement.Alignment), fnum(v.Placement.EffortWeeks), v.Step, v.Placement.Action, v.Title)
					}
				}
				if n == 0 {
					fmt.Fprintln(w, "  (none)")
				}
			}
			if len(m.Unscored) > 0 {
				fmt.Fprintln(w, "not placed yet (no score or no estimate):")
				for _, v := range m.Unscored {
					fmt.Fprintf(w, "  %s  %s: %s\n", v.ID, v.Step, v.Title)
				}
			}
			return nil
		}),
	}
}

func (a *app) specialsCapacityCommand() *cobra.Command {
	var quarter string
	cmd := &cobra.Command{
		Use:     "capacity [--quarter YYYY-Qn]",
		Short:   "A quarter's capacity budget: weeks committed, in progress and spent on specials, and the work displaced",
		Example: `  tandem specials capacity --quarter 2026-Q4`,
		Args:    cobra.NoArgs,
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, _ []string, svc *service.Service) error {
			if err := httpapi.CheckQuarter("--quarter", quarter); err != nil {
				return err
			}
			b, err := svc.SpecialCapacity(ctx, quarter)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(b)
			}
			w := a.stdout
			fmt.Fprintf(w, "%s: capacity %s weeks; budget %s weeks, warning above %s weeks\n", b.Quarter, fnum(b.CapacityWeeks), fnum(b.BudgetWeeks), fnum(b.WarnWeeks))
			fmt.Fprintf(w, "committed %s weeks (%.1f%% of capacity): %s in progress, %s spent\n", fnum(b.Committed), 100*b.Share, fnum(b.InProgress), fnum(b.Spent))
			for _, l := range b.Specials {
				fmt.Fprintf(w, "  %s  %s weeks  %s  %s\n", l.ID, fnum(l.Weeks), l.Step, l.Title)
			}
			if len(b.Displaced) > 0 {
				fmt.Fprintln(w, "displaced:")
				for _, d := range b.Displaced {
					fmt.Fprintf(w, "  %s by %s weeks\n", d.Item, fnum(d.Weeks))
				}
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&quarter, "quarter", "", "YYYY-Qn (default: this quarter)")
	return cmd
}

// specialShare prints a proportion with its interval and n, or its note
// when the sample is too small.
func specialShare(p specials.Proportion) string {
	if p.Insufficient || p.N == 0 {
		return cmp.Or(p.Note, fmt.Sprintf("insufficient data (n=%d)", p.N))
	}
	return fmt.Sprintf("%.0f%% (95%% CI %.0f–%.0f%%), %d of %d", 100*p.Value, 100*p.CILow, 100*p.CIHigh, p.K, p.N)
}

func (a *app) specialsOutcomesCommand() *cobra.Command {
	var minN int
	cmd := &cobra.Command{
		Use:   "outcomes [--min-n N]",
		Short: "What built specials did: win rate against comparable deals, reuse, capacity spent, one-offs",
		Long: `The outcome report: the win rate of closed deals with an accepted special
against comparable closed deals without one (same segment and amount band),
each with n and a 95% Wilson interval, and their difference (Newcombe) as an
association; "insufficient data" under --min-n deals on a side (default 30).
Then reuse of built specials, the share of capacity spent, one row per built
special and the one-offs nobody else uses.`,
		Example: `  tandem specials outcomes --json`,
		Args:    cobra.NoArgs,
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, _ []string, svc *service.Service) error {
			if minN < 0 || minN > 100000 {
				return tandem.Errorf(tandem.EINVALID, "--min-n must be from 1 to 100000")
			}
			r, err := svc.SpecialOutcomes(ctx, minN)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(r)
			}
			w := a.stdout
			fmt.Fprintf(w, "win rate with an accepted special:  %s\n", specialShare(r.WithSpecial))
			fmt.Fprintf(w, "win rate of comparable deals:       %s\n", specialShare(r.Comparable))
			fmt.Fprintf(w, "difference:                         %s\n", r.Difference.Note)
			fmt.Fprintf(w, "reuse of built specials:            %s\n", specialShare(r.Reuse))
			fmt.Fprintf(w, "capacity spent on specials:         %s of %s weeks (%.1f%%)\n", fnum(r.SpecialWeeks), fnum(r.CapacityWeeks), 100*r.CapacityShare)
			if len(r.Rows) > 0 {
				fmt.Fprintln(w)
				tw := newTable(w)
				tw.row("SPECIAL", "STEP", "DEAL", "OUTCOME", "REVENUE", "OTHER ACCOUNTS", "TICKETS", "WEEKS", "TITLE")
				for _, row := range r.Rows {
					tw.row(row.ID, string(row.Step), row.DealID, row.DealOutcome, fmt.Sprintf("%.0f", row.Revenue), strconv.Itoa(row.OtherAccounts), strconv.Itoa(row.Tickets), fnum(row.Weeks), row.Title)
				}
				if err := tw.flush(); err != nil {
					return err
				}
			}
			if len(r.OneOffs) > 0 {
				fmt.Fprintln(w, "\none-offs nobody else uses:")
				for _, l := range r.OneOffs {
					fmt.Fprintf(w, "  %s  %s weeks  %s\n", l.ID, fnum(l.Weeks), l.Title)
				}
			}
			return nil
		}),
	}
	cmd.Flags().IntVar(&minN, "min-n", 0, "the minimum sample on each side (default 30)")
	return cmd
}

// ---- settings ----

// parseSpecialSettings reads a settings file, YAML or JSON (JSON is YAML),
// over the defaults: keys are those of the JSON API; an unknown key is an
// error naming it.
func parseSpecialSettings(name string, src []byte) (tandem.SpecialSettings, error) {
	set := tandem.DefaultSpecialSettings()
	var raw any
	if err := yaml.Unmarshal(src, &raw); err != nil {
		return set, tandem.Errorf(tandem.EINVALID, "%s: %v", name, err)
	}
	if raw == nil {
		return set, tandem.Errorf(tandem.EINVALID, "%s: the file is empty", name)
	}
	if _, ok := raw.(map[string]any); !ok {
		return set, tandem.Errorf(tandem.EINVALID, "%s: expected a mapping of settings (alignment_high, capacity_weeks, ...)", name)
	}
	b, err := json.Marshal(raw)
	if err != nil {
		return set, tandem.Errorf(tandem.EINVALID, "%s: %v", name, err)
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&set); err != nil {
		return set, tandem.Errorf(tandem.EINVALID, "%s: %v", name, err)
	}
	return set, nil
}

// specialSettingsYAML renders settings as the YAML apply reads.
func specialSettingsYAML(set tandem.SpecialSettings) (string, error) {
	b, err := json.Marshal(set)
	if err != nil {
		return "", err
	}
	var m yaml.Node
	if err := yaml.Unmarshal(b, &m); err != nil {
		return "", err
	}
	// Block style for people, whatever the JSON's flow style.
	var clear func(n *yaml.Node)
	clear = func(n *yaml.Node) {
		n.Style = 0
		for _, c := range n.Content {
			clear(c)
		}
	}
	clear(&m)
	out, err := yaml.Marshal(&m)
	return string(out), err
}

func (a *app) specialsSettingsCommand() *cobra.Command {
	return settingsCommand(a, settingsDoc[tandem.SpecialSettings]{
		module:      "specials",
		short:       "Show or apply the matrix thresholds and the capacity budget",
		showExample: `  tandem specials settings show > specials.yaml`,
		applyLong: `Apply a settings file as the next version. Keys left out keep their
defaults. Every problem is listed and nothing changes. --version is the
version the file was edited from (see settings show); when the settings
changed since, the apply is refused (exit status 4). Without it, the
current version is assumed.

  alignment_high: 5        # alignment at or above is high (0 to 10)
  effort_high_weeks: 4     # effort at or above is high
  capacity_weeks: 120      # team weeks per quarter
  quarters: {2026-Q4: 100} # per-quarter overrides
  budget_share: 0.15       # share of capacity for specials
  warn_share: 0.20         # above this, accepting needs a confirmation
  min_deal_amount: 20000   # smaller deals only when strategic
  leaders: [cpo@example.com]`,
		applyExample: `  tandem specials settings apply specials.yaml --version 2 --as cpo@example.com`,
		get:          (*service.Service).SpecialSettings,
		put:          (*service.Service).PutSpecialSettings,
		parse:        parseSpecialSettings,
		yaml:         specialSettingsYAML,
		applied: func(set tandem.SpecialSettings) string {
			return fmt.Sprintf("capacity %s weeks a quarter, budget %.0f%%, warning above %.0f%%",
				fnum(set.CapacityWeeks), 100*set.BudgetShare, 100*set.WarnShare)
		},
	})
}
