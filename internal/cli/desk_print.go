package cli

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
	"github.com/tandemhq/tandem/internal/desk"
	"github.com/tandemhq/tandem/internal/service"
)

// percent formats a percentage (15 is 15.0%).
func percent(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	return strconv.FormatFloat(x, 'f', 1, 64) + "%"
}

// dealLabel names a deal by id and, when known, its name.
func dealLabel(d service.Ref) string {
	if d.Name == "" || d.Name == d.ID {
		return d.ID
	}
	return fmt.Sprintf("%s (%s)", d.ID, d.Name)
}

// formatFigure renders a desk figure as every interface does
// (desk.FigureText).
func formatFigure(f desk.Figure) string { return desk.FigureText(f) }

// labelled prefixes a figure with its label and follows it with its note,
// which carries the definition (and says when a bracket is a P25–P75
// range rather than an interval).
func labelled(f desk.Figure) string {
	s := formatFigure(f)
	if f.Label != "" {
		s = f.Label + ": " + s
	}
	if f.Note != "" {
		s += " (" + f.Note + ")"
	}
	return s
}

// withNote is a figure followed by its note.
func withNote(f desk.Figure) string {
	if f.Note == "" {
		return formatFigure(f)
	}
	return formatFigure(f) + " (" + f.Note + ")"
}

// printCheck writes a deal check for people: the archetype, the lines in
// their bands, the flags with every figure of evidence, and the approvals.
func printCheck(w io.Writer, c *desk.Check) {
	printMatch(w, c.Match)
	fmt.Fprintf(w, "ACV %s, discount %s\n", analytics.FormatNumber("money", c.ACV), percent(c.Discount))
	printLinePositions(w, c.Lines)
	printFlags(w, c.Flags)
	if len(c.Approvals) == 0 {
		fmt.Fprintln(w, "\nApprovals needed: none under the active rule set (or no rule set applied)")
		return
	}
	fmt.Fprintf(w, "\nApprovals needed (status %s):\n", desk.QuoteStatus(c.Approvals))
	printApprovals(w, c.Approvals)
}

func printMatch(w io.Writer, m desk.Match) {
	if m.Archetype == "" {
		fmt.Fprintf(w, "Archetype: none (distance %.2f)\n", m.Distance)
	} else {
		fmt.Fprintf(w, "Archetype: %s (%s, version %d), distance %.2f\n", m.Name, m.Archetype, m.Version, m.Distance)
	}
	if m.Reason != "" {
		fmt.Fprintf(w, "  %s\n", m.Reason)
	}
}

func printLinePositions(w io.Writer, lines []desk.LinePosition) {
	if len(lines) == 0 {
		return
	}
	fmt.Fprintln(w, "\nLines against the archetype's discount band (P25–P75 of won deals):")
	t := newTable(w)
	t.row("  LINE", "PRODUCT", "DISCOUNT", "BAND P25–P75", "MEDIAN", "N", "POSITION")
	for _, l := range lines {
		band, median, n := "–", "–", "–"
		if l.Band != nil {
			band = percent(l.Band.P25) + "–" + percent(l.Band.P75)
			median, n = percent(l.Band.Median), strconv.Itoa(l.Band.N)
		}
		t.row("  "+l.Line, l.Product, percent(l.Discount), band, median, n, l.Position)
	}
	t.flush()
}

// printFlags writes every flag with all its evidence and suggestions: the
// evidence is the point of a flag, so nothing is cut short.
func printFlags(w io.Writer, flags []desk.Flag) {
	if len(flags) == 0 {
		fmt.Fprintln(w, "\nFlags: none")
		return
	}
	fmt.Fprintf(w, "\nFlags (%d; they inform and never block):\n", len(flags))
	for _, f := range flags {
		fmt.Fprintf(w, "  [%s] %s", f.Severity, f.Code)
		if f.Line != "" {
			fmt.Fprintf(w, " (line %s)", f.Line)
		}
		fmt.Fprintf(w, ": %s\n", f.Message)
		for _, e := range f.Evidence {
			fmt.Fprintf(w, "      evidence: %s\n", labelled(e))
		}
		for _, s := range f.Suggestions {
			fmt.Fprintf(w, "      suggestion: %s\n", s.Text)
			// The suggestion's text words the figures with their
			// definitions; the figures follow bare, for the numbers.
			for _, e := range s.Figures {
				fmt.Fprintf(w, "          %s: %s\n", e.Label, formatFigure(e))
			}
		}
		for _, ack := range f.Acknowledged {
			fmt.Fprintf(w, "      acknowledged by %s at %s", ack.By, ack.At.UTC().Format(cliTime))
			if ack.Note != "" {
				fmt.Fprintf(w, ": %s", ack.Note)
			}
			fmt.Fprintln(w)
		}
	}
}

// printFlagSummary writes one line per flag, for the output of a save.
func printFlagSummary(w io.Writer, flags []desk.Flag) {
	if len(flags) == 0 {
		fmt.Fprintln(w, "flags: none")
		return
	}
	fmt.Fprintf(w, "flags (%d; see tandem desk quote show for the evidence):\n", len(flags))
	for _, f := range flags {
		fmt.Fprintf(w, "  [%s] %s: %s\n", f.Severity, f.Code, f.Message)
	}
}

// printApprovals writes each approval step as a short block: rule, level,
// step and status, then approver and how they were resolved, why it was
// asked (or why an earlier decision stands) and the decision, if any.
func printApprovals(w io.Writer, steps []tandem.Approval) {
	if len(steps) == 0 {
		fmt.Fprintln(w, "approvals: none needed")
		return
	}
	for _, s := range steps {
		fmt.Fprintf(w, "  %s (level %d, step %d, %s): %s\n", s.Rule, s.Level, s.Step+1, s.Mode, s.Status)
		if s.ID != "" {
			fmt.Fprintf(w, "      id:       %s\n", s.ID)
		}
		if s.Approver != "" {
			fmt.Fprintf(w, "      approver: %s (%s)\n", s.Approver, s.Via)
		}
		if s.Basis != "" {
			fmt.Fprintf(w, "      basis:    %s\n", s.Basis)
		}
		if len(s.Evidence) > 0 {
			fmt.Fprintf(w, "      evidence: %s\n", strings.Join(s.Evidence, "; "))
		}
		if s.Status == tandem.ApprovalPending && !s.DueAt.IsZero() {
			fmt.Fprintf(w, "      due:      %s\n", s.DueAt.UTC().Format(cliTime))
		}
		if s.ActedBy != "" || s.Reason != "" {
			by := s.ActedBy
			if by == "" {
				by = "the desk"
			}
			fmt.Fprintf(w, "      decided:  by %s at %s", by, s.ActedAt.UTC().Format(cliTime))
			if s.Reason != "" {
				fmt.Fprintf(w, ": %s", s.Reason)
			}
			fmt.Fprintln(w)
		}
	}
}

// printChanges writes what a quote version changed from the one before.
func printChanges(w io.Writer, v *service.QuoteView) {
	if v.Quote.Version <= 1 {
		return
	}
	if len(v.Changes) == 0 {
		fmt.Fprintf(w, "changes from version %d: none\n", v.Quote.Version-1)
		return
	}
	fmt.Fprintf(w, "changes from version %d:\n", v.Quote.Version-1)
	for _, c := range v.Changes {
		from, to := orNone(c.From), orNone(c.To)
		fmt.Fprintf(w, "  %s: %s → %s\n", c.Field, from, to)
	}
}

// printQuote writes a quote version in full.
func printQuote(w io.Writer, v *service.QuoteView) {
	q := v.Quote
	fmt.Fprintf(w, "quote %s version %d of %d, deal %s\n", q.ID, q.Version, v.Latest, dealLabel(v.Deal))
	fmt.Fprintf(w, "saved %s by %s", q.CreatedAt.UTC().Format(cliTime), q.Author)
	if q.Note != "" {
		fmt.Fprintf(w, ": %s", q.Note)
	}
	fmt.Fprintln(w)
	terms := fmt.Sprintf("term %d months, billed %s, net %d days", q.TermMonths, q.Billing, q.PaymentDays)
	if q.Currency != "" {
		terms += ", " + q.Currency
	}
	fmt.Fprintln(w, terms)
	if q.Nonstandard {
		fmt.Fprintf(w, "non-standard terms: %s\n", orNone(q.NonstandardTerms))
	}
	fmt.Fprintln(w)
	t := newTable(w)
	t.row("LINE", "PRODUCT", "QTY", "LIST", "DISCOUNT", "NET", "ANNUAL")
	for _, l := range q.Lines {
		t.row(l.ID, l.Product, strconv.FormatFloat(l.Quantity, 'f', -1, 64), analytics.FormatNumber("money", l.ListPrice),
			percent(l.Discount), analytics.FormatNumber("money", l.NetPrice), analytics.FormatNumber("money", l.Quantity*l.NetPrice))
	}
	t.flush()
	fmt.Fprintf(w, "ACV %s, discount %s\n", analytics.FormatNumber("money", q.ACV()), percent(q.Discount()))
	for _, p := range q.Promises {
		what := ""
		switch {
		case p.Unreleased:
			what = " (unreleased)"
		case p.Beta:
			what = " (beta)"
		}
		fmt.Fprintf(w, "promise: %s by %s%s\n", p.Feature, p.Date.UTC().Format(time.DateOnly), what)
	}
	printChanges(w, v)
	fmt.Fprintf(w, "\nCheck at save (%s):\n", v.Check.CheckedAt.UTC().Format(cliTime))
	printMatch(w, v.Check.Match)
	printLinePositions(w, v.Check.Lines)
	printFlags(w, v.Check.Flags)
	rules := "no rule set"
	if v.RulesVersion > 0 {
		rules = "rule set version " + strconv.Itoa(v.RulesVersion)
	}
	fmt.Fprintf(w, "\nApprovals (%s; status %s):\n", rules, v.Status)
	printApprovals(w, v.Approvals)
	if len(v.Versions) > 1 {
		fmt.Fprintln(w, "\nVersions:")
		t := newTable(w)
		t.row("  VERSION", "SAVED", "BY", "NOTE")
		for _, d := range v.Versions {
			t.row("  "+strconv.Itoa(d.Version), d.CreatedAt.UTC().Format(cliTime), d.Author, d.Note)
		}
		t.flush()
	}
}

// printArchetype writes an archetype with its figures and pricing bands.
func printArchetype(w io.Writer, a desk.Archetype) {
	fmt.Fprintf(w, "%s: %s", a.ID, a.Name)
	if a.Version > 0 {
		fmt.Fprintf(w, " (version %d, %s)", a.Version, a.Status)
	} else {
		fmt.Fprintf(w, " (%s)", a.Status)
	}
	fmt.Fprintln(w)
	products := strings.Join(a.Products, ", ")
	if products == "" {
		products = "any"
	}
	segment := a.Segment
	if segment == "" {
		segment = "any"
	}
	fmt.Fprintf(w, "  products %s; segment %s; ACV %s", products, segment, acvRange(a.ACVMin, a.ACVMax))
	if a.Parent != "" {
		fmt.Fprintf(w, "; within %s", a.Parent)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  deals:        %d closed\n", a.Deals)
	fmt.Fprintf(w, "  win rate:     %s\n", withNote(a.WinRate))
	fmt.Fprintf(w, "  median cycle: %s\n", withNote(a.MedianCycle))
	fmt.Fprintf(w, "  renewal rate: %s\n", withNote(a.RenewalRate))
	for _, r := range a.LossReasons {
		fmt.Fprintf(w, "  loss reason:  %s: %s\n", r.Label, formatFigure(r))
	}
	pb := a.Playbook
	var guard []string
	if pb.MaxPaymentDays > 0 {
		guard = append(guard, fmt.Sprintf("payment at most %d days", pb.MaxPaymentDays))
	}
	if pb.MinMarginPct > 0 {
		guard = append(guard, "margin at least "+percent(pb.MinMarginPct))
	}
	if pb.TimeToValueDays > 0 {
		guard = append(guard, fmt.Sprintf("time to value %d days", pb.TimeToValueDays))
	}
	if pb.RampMonths > 0 {
		guard = append(guard, fmt.Sprintf("ramp %d months", pb.RampMonths))
	}
	if len(guard) > 0 {
		fmt.Fprintf(w, "  playbook:     %s\n", strings.Join(guard, "; "))
	}
	if pb.ApprovalNotes != "" {
		fmt.Fprintf(w, "  notes:        %s\n", pb.ApprovalNotes)
	}
	if len(pb.Bands) > 0 {
		t := newTable(w)
		t.row("  PRODUCT", "N", "DISCOUNT P25–P75", "MEDIAN", "NET PRICE P25–P75", "MEDIAN")
		for _, b := range pb.Bands {
			t.row("  "+b.Product, strconv.Itoa(b.Discount.N),
				percent(b.Discount.P25)+"–"+percent(b.Discount.P75), percent(b.Discount.Median),
				analytics.FormatNumber("money", b.NetPrice.P25)+"–"+analytics.FormatNumber("money", b.NetPrice.P75),
				analytics.FormatNumber("money", b.NetPrice.Median))
		}
		t.flush()
	}
}

// acvRange words an ACV range [lo, hi); hi 0 has no upper bound.
func acvRange(lo, hi float64) string {
	switch {
	case lo <= 0 && hi <= 0:
		return "any"
	case lo <= 0:
		return "under " + analytics.FormatNumber("money", hi)
	case hi <= 0:
		return analytics.FormatNumber("money", lo) + " and over"
	}
	return analytics.FormatNumber("money", lo) + " to under " + analytics.FormatNumber("money", hi)
}
