package desk

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// Weights of the match distance; they sum to 1 so the distance is in
// [0, 1]. The product mix weighs most because it decides the playbook's
// bands; size and segment refine it.
const (
	weightMix     = 0.60
	weightBand    = 0.25
	weightSegment = 0.15
)

// DealInfo is what a check needs to know about the quote's deal beyond the
// quote: the caller fills it from the deal record and its account.
type DealInfo struct {
	ID string
	// Segment is the segment of the deal's account; "" when unknown.
	Segment string
	// Amount is the deal's amount, the size used for matching when the
	// quote has no ACV yet (no priced lines).
	Amount float64
}

// FlagDoc defines one flag code for the definitions page that every flag's
// Link points to.
type FlagDoc struct {
	Code       string   `json:"code"`
	Severity   Severity `json:"severity"`
	Title      string   `json:"title"`
	Definition string   `json:"definition"`
}

// FlagDocs lists every flag code with its severity and definition, in the
// order the definitions page shows them.
func FlagDocs() []FlagDoc {
	return []FlagDoc{
		{FlagDiscountAboveBand, SeverityWarn, "Discount above band",
			"A line's discount is above the 75th percentile of the discount on won deals of the matched archetype for that product (Playbook band). Suggestions list add-ons whose inclusion is associated with a higher win rate among closed deals like this one: with against without the add-on, Newcombe 95% interval, n on each side, ranked by the interval's lower limit; add-ons below the minimum sample on either side, or not associated with a higher win rate, are left out. Association is not causation."},
		{FlagPromiseBeyond, SeverityRisk, "Promise beyond the disclosure horizon",
			"A feature is promised for a date more than the disclosure horizon (default 4 months, DESIGN §2.7) after the check."},
		{FlagPromiseSlipping, SeverityRisk, "Promise slipping",
			"A promised feature is not released and either its planned date in the feature catalog is already later than the promised date, or the promised date has passed."},
		{FlagBetaFeature, SeverityWarn, "Beta feature",
			"A promised feature is marked beta on the quote or is in beta in the feature catalog."},
		{FlagUnreleased, SeverityWarn, "Unreleased feature",
			"A promised feature is marked unreleased on the quote, or the feature catalog has it as an idea, planned, or not yet released by the check date."},
		{FlagNonstandard, SeverityWarn, "Non-standard terms",
			"The quote carries non-standard terms."},
		{FlagACVOutside, SeverityInfo, "ACV outside the archetype's range",
			"The quote's annual contract value (or, without priced lines, the deal amount) lies outside the matched archetype's ACV range [min, max)."},
		{FlagPaymentTerms, SeverityWarn, "Payment terms",
			"The quote's net payment days exceed the matched archetype's playbook maximum, or the desk default (60 days) when there is none."},
		{FlagMarginBelow, SeverityRisk, "Margin below guardrail",
			"The quote's margin, 1 − Σ quantity × unit cost / ACV, is below the playbook's minimum margin. Unit cost is the product's \"cost\" attribute (a custom column of the product catalog, per unit per year); the flag is raised only when every line's product has one and the playbook sets a minimum."},
		{FlagMaintenance, SeverityInfo, "Maintenance product or deprecated feature",
			"A line's product is in the maintenance class, or a promised feature is deprecated."},
		{FlagLossPattern, SeverityRisk, "Deals like this mostly lose",
			"The upper limit of the Wilson 95% interval of the win rate of deals like this one is below 50%: the matched archetype's deals (current history of its shape), or, without a match, closed deals of the quote's own shape (product mix, ACV band, segment, at the finest level with enough deals). Win rate is won / (won + lost); open deals are not losses. The top loss reasons come as evidence."},
		{FlagNoArchetype, SeverityInfo, "No archetype",
			"No accepted archetype lies within the maximum match distance (default 0.5) of the quote; the message names the nearest and its distance."},
	}
}

// severityOf returns the severity of a flag code, as FlagDocs documents
// it (TestFlagDocs keeps the two in step).
func severityOf(code string) Severity {
	switch code {
	case FlagPromiseBeyond, FlagPromiseSlipping, FlagMarginBelow, FlagLossPattern:
		return SeverityRisk
	case FlagDiscountAboveBand, FlagBetaFeature, FlagUnreleased, FlagNonstandard, FlagPaymentTerms:
		return SeverityWarn
	}
	return SeverityInfo
}

// Check places a quote against the accepted archetypes and raises the
// guardrail flags, using only the model: no store access, so it takes
// microseconds. It never fails and never panics: an empty or odd quote
// (nil, no lines, unknown products, zero prices) gets the flags that apply
// and no others. now is the check time: promise horizons and slips are
// judged against it.
//
// Matching. The distance of a quote to an archetype is
//
//	0.60 × mix + 0.25 × size + 0.15 × segment
//
// which lies in [0, 1] because each part does:
//
//   - mix is the Jaccard distance 1 − |Q ∩ A| / |Q ∪ A| between the quote's
//     products (line products resolved by id, name or alias; an unknown
//     product counts as a product no archetype has) and the archetype's;
//     0 when both are empty;
//   - size is 0 when the archetype has no ACV range or the quote's ACV (the
//     deal amount when the quote has none) lies in [ACVMin, ACVMax);
//     otherwise min(1, ln f / ln 25), f the factor by which it lies outside
//     (one ×5 band out is 0.5); 0.5 when the size is unknown;
//   - segment is 0 when the archetype has none or it equals the deal's
//     (case-insensitively), 0.5 when the deal's is unknown, 1 otherwise.
//
// The nearest accepted archetype matches when its distance is at most
// Settings.MaxDistance; ties go to the more specific archetype (segment,
// then range), then the one with more deals, then the smaller id.
//
// A quote without lines matches nothing: there is no evidence to match
// on, and "other", which has no products, would otherwise match it.
//
// Lines. Each line's discount (QuoteLine.Discount, %) is placed against
// the matched archetype's playbook band for its product: below P25,
// within, above P75, or "no band".
func (m *Model) Check(q *tandem.Quote, deal DealInfo, now time.Time) Check {
	if q == nil {
		q = &tandem.Quote{}
	}
	c := Check{QuoteID: q.ID, QuoteVersion: q.Version, DealID: q.DealID, CheckedAt: now,
		Lines: []LinePosition{}, Flags: []Flag{}, Approvals: []tandem.Approval{}}
	if c.DealID == "" {
		c.DealID = deal.ID
	}
	c.ACV, c.Discount = zeroIfNaN(q.ACV()), zeroIfNaN(q.Discount())

	lineProd := make([]int32, len(q.Lines))
	var mix []int32
	var unknown []string
	for i, l := range q.Lines {
		p, ok := m.resolveProduct(l.Product)
		if !ok {
			lineProd[i] = -1
			if k := tandem.NormalizeName(l.Product); !slices.Contains(unknown, k) {
				unknown = append(unknown, k)
			}
			continue
		}
		lineProd[i] = p
		if !slices.Contains(mix, p) {
			mix = append(mix, p)
		}
	}
	slices.Sort(mix)
	size := c.ACV
	if !(size > 0) {
		size = zeroIfNaN(deal.Amount)
	}

	var e *entry
	matched := false
	if len(q.Lines) == 0 {
		// Nothing to match on: even "other", which has no products,
		// would be a match by default, not by evidence.
		c.Match = Match{Distance: 1, Reason: "The quote has no lines to match an archetype on."}
	} else {
		var dist float64
		e, dist = m.match(mix, len(unknown), size, deal.Segment)
		matched = e != nil && dist <= m.settings.MaxDistance
		c.Match = m.matchOf(e, dist, matched, mix, len(unknown), size, deal.Segment)
		if !matched {
			e = nil
		}
	}

	var flags []Flag
	add := func(f Flag) {
		f.Severity = severityOf(f.Code)
		f.Link = "/desk/flags#" + f.Code
		if f.Evidence == nil {
			f.Evidence = []Figure{}
		}
		flags = append(flags, f)
	}

	for i, l := range q.Lines {
		pos := LinePosition{Line: l.ID, Product: l.Product, Discount: zeroIfNaN(l.Discount), Position: "no band"}
		p := lineProd[i]
		if p >= 0 {
			pos.Product = m.products[p].id
			if m.products[p].class == "maintenance" {
				add(Flag{Code: FlagMaintenance, Line: l.ID,
					Message: fmt.Sprintf("%s is a maintenance product: it is kept running, not sold for growth.", m.products[p].name)})
			}
		}
		if e != nil && p >= 0 {
			if pb := e.bands[p]; pb != nil && (pb.Discount.N > 0 || pb.Discount.P75 > 0) {
				b := pb.Discount
				pos.Band = &b
				switch {
				case b.N > 0 && b.N < m.settings.MinN:
					// A derived band from too few won deals is no basis for
					// a flag (DESIGN §6); a band RevOps typed in (n = 0) is
					// policy, and is.
					pos.Position = "insufficient data"
				case pos.Discount > b.P75:
					pos.Position = "above"
					add(m.discountFlag(e, l, p, pos.Discount, pb, mix))
				case pos.Discount < b.P25:
					pos.Position = "below"
				default:
					pos.Position = "within"
				}
			}
		}
		c.Lines = append(c.Lines, pos)
	}

	for _, f := range m.promiseFlags(q.Promises, now) {
		add(f)
	}
	if q.Nonstandard {
		msg := "The quote has non-standard terms."
		if t := strings.TrimSpace(q.NonstandardTerms); t != "" {
			msg = "The quote has non-standard terms: " + t
		}
		add(Flag{Code: FlagNonstandard, Message: msg})
	}
	if e != nil && e.hasRange && size > 0 && !inRange(size, e.a.ACVMin, e.a.ACVMax) {
		add(Flag{Code: FlagACVOutside, Message: fmt.Sprintf("ACV %s is outside the %s range of %s.", money(size), e.a.Name, rangeLabel(e.a.ACVMin, e.a.ACVMax))})
	}
	limit, whose := m.settings.DefaultMaxPaymentDays, "the desk default"
	if e != nil && e.a.Playbook.MaxPaymentDays > 0 {
		limit, whose = e.a.Playbook.MaxPaymentDays, "the "+e.a.Name+" playbook"
	}
	if q.PaymentDays > limit {
		add(Flag{Code: FlagPaymentTerms, Message: fmt.Sprintf("Net %d payment terms exceed the %d days %s allows.", q.PaymentDays, limit, whose)})
	}
	if e != nil && e.a.Playbook.MinMarginPct > 0 {
		if margin, ok := m.margin(q, lineProd, c.ACV); ok && margin < e.a.Playbook.MinMarginPct {
			add(Flag{Code: FlagMarginBelow, Message: fmt.Sprintf("Margin %.1f%% is below the %.1f%% minimum of the %s playbook.", margin, e.a.Playbook.MinMarginPct, e.a.Name)})
		}
	}

	win, reasons, label := m.lossEvidence(e, mix, len(unknown), size, deal.Segment)
	if label != "" && !win.Insufficient && win.N > 0 && win.CIHigh < 0.5 {
		add(Flag{Code: FlagLossPattern, Evidence: append([]Figure{win}, reasons...),
			Message: fmt.Sprintf("Deals like this mostly lose: %s won %.0f%% of %d closed deals (95%% CI %.0f–%.0f%%).", label, 100*win.Value, win.N, 100*win.CILow, 100*win.CIHigh)})
	}
	if !matched {
		f := Flag{Code: FlagNoArchetype, Message: c.Match.Reason}
		if label != "" {
			f.Evidence = append([]Figure{win}, reasons...)
		}
		add(f)
	}

	slices.SortStableFunc(flags, func(a, b Flag) int { return severityRank(b.Severity) - severityRank(a.Severity) })
	if flags != nil {
		c.Flags = flags
	}
	return c
}

func severityRank(s Severity) int {
	switch s {
	case SeverityRisk:
		return 2
	case SeverityWarn:
		return 1
	}
	return 0
}

// ProductClass returns the catalog class (new, core, maintenance) of a
// product named by id, name or alias, or "" when the catalog does not know
// it or gives no class; the approval rules' line.product_class reads it.
func (m *Model) ProductClass(product string) string {
	if p, ok := m.resolveProduct(product); ok {
		return m.products[p].class
	}
	return ""
}

// resolveProduct finds a product by id, then by name or alias.
func (m *Model) resolveProduct(s string) (int32, bool) {
	if i, ok := m.byID[s]; ok {
		return i, true
	}
	i, ok := m.byName[tandem.NormalizeName(s)]
	return i, ok
}

// resolveFeature finds a feature by id, then by name or alias.
func (m *Model) resolveFeature(s string) (int32, bool) {
	if i, ok := m.featByID[s]; ok {
		return i, true
	}
	i, ok := m.featName[tandem.NormalizeName(s)]
	return i, ok
}

// distance parts of a quote to an archetype (see Check).
type parts struct{ mix, size, seg float64 }

func (p parts) total() float64 {
	return weightMix*p.mix + weightBand*p.size + weightSegment*p.seg
}

func (e *entry) distance(mix []int32, unknown int, size float64, segment string) parts {
	return parts{mix: e.mixPart(mix, unknown), size: e.sizePart(size), seg: e.segPart(segment)}
}

func (e *entry) mixPart(mix []int32, unknown int) float64 {
	inter := 0
	for _, x := range mix {
		if _, ok := slices.BinarySearch(e.mix, x); ok {
			inter++
		}
	}
	if union := len(mix) + unknown + len(e.mix) + e.unknown - inter; union > 0 {
		return 1 - float64(inter)/float64(union)
	}
	return 0
}

func (e *entry) sizePart(size float64) float64 {
	switch {
	case !e.hasRange:
		return 0
	case !(size > 0):
		return 0.5
	case inRange(size, e.a.ACVMin, e.a.ACVMax):
		return 0
	}
	f := e.a.ACVMin / size
	if e.a.ACVMax > 0 && size >= e.a.ACVMax {
		f = size / e.a.ACVMax
	}
	return math.Min(1, math.Log(math.Max(f, 1))/math.Log(25))
}

func (e *entry) segPart(segment string) float64 {
	segment = strings.TrimSpace(segment)
	switch {
	case e.seg == "":
		return 0
	case segment == "":
		return 0.5
	case !strings.EqualFold(segment, e.seg):
		return 1
	}
	return 0
}

// match returns the nearest accepted archetype and its distance, or nil
// when there is none.
func (m *Model) match(mix []int32, unknown int, size float64, segment string) (*entry, float64) {
	var best *entry
	bestD := math.Inf(1)
	for _, e := range m.archetypes {
		p := parts{mix: e.mixPart(mix, unknown)}
		if best != nil && p.total() > bestD {
			continue // the mix alone puts it further than the best
		}
		p.size, p.seg = e.sizePart(size), e.segPart(segment)
		d := p.total()
		if best == nil || d < bestD || d == bestD && better(e, best) {
			best, bestD = e, d
		}
	}
	return best, bestD
}

// better breaks a distance tie between archetypes.
func better(a, b *entry) bool {
	if sa, sb := a.specificity(), b.specificity(); sa != sb {
		return sa > sb
	}
	if a.a.Deals != b.a.Deals {
		return a.a.Deals > b.a.Deals
	}
	return a.a.ID < b.a.ID
}

// matchOf words the match.
func (m *Model) matchOf(e *entry, dist float64, matched bool, mix []int32, unknown int, size float64, segment string) Match {
	if e == nil {
		return Match{Distance: 1, Reason: "No accepted archetypes to match against."}
	}
	p := e.distance(mix, unknown, size, segment)
	var why []string
	inter := 0
	for _, x := range mix {
		if _, ok := slices.BinarySearch(e.mix, x); ok {
			inter++
		}
	}
	switch {
	case p.mix == 0:
		why = append(why, "same product mix")
	default:
		why = append(why, fmt.Sprintf("%d of %d products in common", inter, len(mix)+unknown+len(e.mix)+e.unknown-inter))
	}
	switch {
	case !e.hasRange:
	case !(size > 0):
		why = append(why, "size unknown")
	case p.size == 0 && inRange(size, e.a.ACVMin, e.a.ACVMax):
		why = append(why, "ACV "+money(size)+" in range "+rangeLabel(e.a.ACVMin, e.a.ACVMax))
	default:
		why = append(why, "ACV "+money(size)+" outside range "+rangeLabel(e.a.ACVMin, e.a.ACVMax))
	}
	switch {
	case e.seg == "":
	case p.seg == 0:
		why = append(why, "same segment")
	case p.seg == 0.5:
		why = append(why, "deal segment unknown")
	default:
		why = append(why, "segment "+e.a.Segment+" differs")
	}
	dist = math.Round(dist*1000) / 1000
	if matched {
		return Match{Archetype: e.a.ID, Name: e.a.Name, Version: e.a.Version, Distance: dist,
			Reason: fmt.Sprintf("Nearest accepted archetype at distance %.2f: %s.", dist, strings.Join(why, "; "))}
	}
	return Match{Distance: dist, Reason: fmt.Sprintf("No accepted archetype within distance %.2f; the nearest is %s (%s) at %.2f: %s.",
		m.settings.MaxDistance, e.a.Name, e.a.ID, dist, strings.Join(why, "; "))}
}

// discountFlag raises discount-above-band on a line, with the band as
// evidence and the archetype's add-ons the quote lacks as suggestions.
func (m *Model) discountFlag(e *entry, l tandem.QuoteLine, p int32, discount float64, pb *PriceBand, mix []int32) Flag {
	b := pb.Discount
	name := m.products[p].name
	f := Flag{Code: FlagDiscountAboveBand, Line: l.ID,
		Message: fmt.Sprintf("%s is discounted %.1f%%, above the 75th percentile (%.1f%%) of won deals in archetype %q (median %.1f%%, n=%d).",
			name, discount, b.P75, e.a.Name, b.Median, b.N)}
	f.Evidence = append(f.Evidence, bandFigure("discount on won deals, "+name, "percent", b, m.settings.MinN))
	if nb := pb.NetPrice; nb.N > 0 || nb.P75 > 0 {
		f.Evidence = append(f.Evidence, bandFigure("net price per unit on won deals, "+name, "money", nb, m.settings.MinN))
	}
	for i, s := range e.suggestions {
		if len(f.Suggestions) == maxSuggestions {
			break
		}
		if slices.Contains(mix, e.sugProduct[i]) {
			continue
		}
		s.Figures = slices.Clone(s.Figures)
		f.Suggestions = append(f.Suggestions, s)
	}
	return f
}

// bandFigure shows a playbook band as a figure: the median, with the P25–P75
// range in place of an interval (the note says so).
func bandFigure(label, unit string, b Band, minN int) Figure {
	f := Figure{Label: label, Unit: unit, N: b.N, Value: b.Median, CILow: b.P25, CIHigh: b.P75, Note: noteIQR}
	if b.N == 0 {
		f.Note = "set in the playbook"
	} else {
		f.Insufficient = b.N < minN
	}
	return finiteFigure(f)
}

// promiseFlags checks each promised feature against the disclosure horizon
// and the feature catalog.
func (m *Model) promiseFlags(promises []tandem.Promise, now time.Time) []Flag {
	var out []Flag
	today := dayOf(now)
	horizon := now.AddDate(0, m.settings.DisclosureMonths, 0)
	for _, pr := range promises {
		name := strings.TrimSpace(pr.Feature)
		fi, known := m.resolveFeature(pr.Feature)
		var f *feature
		if known {
			f = &m.features[fi]
			name = f.name
		}
		if name == "" {
			name = "an unnamed feature"
		}
		status := ""
		if f != nil {
			status = f.status
		}
		// pending: not generally available at the check. The catalog
		// decides for a feature it knows; otherwise the quote's marks.
		pending := pr.Beta || pr.Unreleased
		if f != nil {
			pending = status == "idea" || status == "planned" || status == "beta" || f.released != noDay && f.released > today
		}
		featureEvidence := func(base []Figure) []Figure {
			out := slices.Clone(base)
			if known {
				out = append(out, m.halo[fi]...)
			}
			return out
		}
		hasDate := !pr.Date.IsZero()
		if hasDate && pr.Date.After(horizon) {
			out = append(out, Flag{Code: FlagPromiseBeyond, Evidence: featureEvidence(m.drift),
				Message: fmt.Sprintf("%s is promised for %s, beyond the %d-month disclosure horizon (%s).",
					name, pr.Date.Format(time.DateOnly), m.settings.DisclosureMonths, horizon.Format(time.DateOnly))})
		}
		if pending && hasDate {
			promised := dayOf(pr.Date)
			switch {
			case f != nil && f.planned != noDay && f.planned > promised:
				out = append(out, Flag{Code: FlagPromiseSlipping, Evidence: featureEvidence(m.drift),
					Message: fmt.Sprintf("%s is planned for %s, %d days after the promised %s.",
						name, dateOf(f.planned).Format(time.DateOnly), f.planned-promised, pr.Date.Format(time.DateOnly))})
			case promised < today:
				out = append(out, Flag{Code: FlagPromiseSlipping, Evidence: featureEvidence(m.drift),
					Message: fmt.Sprintf("%s was promised for %s, which has passed, and is not released.", name, pr.Date.Format(time.DateOnly))})
			}
		}
		if pr.Beta || status == "beta" {
			out = append(out, Flag{Code: FlagBetaFeature, Evidence: featureEvidence([]Figure{m.promise}),
				Message: fmt.Sprintf("%s is in beta.", name)})
		}
		if pr.Unreleased || f != nil && pending && status != "beta" {
			what := "not released"
			if status == "idea" || status == "planned" {
				what = "at the " + status + " stage"
			}
			out = append(out, Flag{Code: FlagUnreleased, Evidence: featureEvidence([]Figure{m.promise}),
				Message: fmt.Sprintf("%s is %s.", name, what)})
		}
		if status == "deprecated" {
			out = append(out, Flag{Code: FlagMaintenance, Evidence: featureEvidence(nil),
				Message: fmt.Sprintf("%s is deprecated: promising it commits to a feature on its way out.", name)})
		}
	}
	return out
}

// margin is 100 × (1 − Σ quantity × unit cost / ACV), known only when
// every line's product has a cost.
func (m *Model) margin(q *tandem.Quote, lineProd []int32, acv float64) (float64, bool) {
	if !(acv > 0) || len(q.Lines) == 0 {
		return 0, false
	}
	var cost float64
	for i, l := range q.Lines {
		p := lineProd[i]
		if p < 0 || math.IsNaN(m.products[p].cost) {
			return 0, false
		}
		cost += l.Quantity * m.products[p].cost
	}
	v := 100 * (1 - cost/acv)
	return v, finite(v)
}

// lossEvidence returns the win rate and loss reasons of deals like the
// quote, and what they are: the matched archetype's, else those of the
// quote's own shape at the finest level with enough history. label is ""
// when there is none.
func (m *Model) lossEvidence(e *entry, mix []int32, unknown int, size float64, segment string) (Figure, []Figure, string) {
	if e != nil {
		return e.win, slices.Clone(e.reasons), "the " + e.a.Name + " archetype"
	}
	if unknown > 0 || len(mix) == 0 {
		return Figure{}, nil, ""
	}
	mi, ok := m.mixIndex[mixKey(mix)]
	if !ok {
		return Figure{}, nil, ""
	}
	band := int8(bandNone)
	if size > 0 {
		band = int8(bandOf(size))
	}
	seg, hasSeg := m.segIndex[strings.ToLower(strings.TrimSpace(segment))]
	for _, k := range [3]clusterKey{{mi, band, seg}, {mi, band, -1}, {mi, -1, -1}} {
		if k.band < 0 && k.seg >= 0 || k.seg >= 0 && !hasSeg {
			continue
		}
		if s, ok := m.shapes[k]; ok {
			return s.win, slices.Clone(s.reasons), "deals of the shape " + s.label
		}
	}
	return Figure{}, nil, ""
}

// money formats an amount with thousands separators and no decimals.
func money(x float64) string {
	if !finite(x) {
		return "?"
	}
	s := strconv.FormatInt(int64(math.Round(math.Abs(x))), 10)
	var b strings.Builder
	if x < 0 {
		b.WriteByte('-')
	}
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// rangeLabel words an ACV range [lo, hi).
func rangeLabel(lo, hi float64) string {
	if hi <= 0 {
		return money(lo) + " and over"
	}
	return money(lo) + "–" + money(hi)
}
