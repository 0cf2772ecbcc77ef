package winloss

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/tandemhq/tandem"
)

// Categories lists the reason categories a taxonomy may use.
func Categories() []string {
	return []string{tandem.ReasonPrice, tandem.ReasonFeature, tandem.ReasonCompetitor, tandem.ReasonTiming,
		tandem.ReasonNoDecision, tandem.ReasonOnboarding, tandem.ReasonOverpromising, tandem.ReasonOther}
}

// UnmappedPrefix starts the code of a free-text CRM reason the value map
// does not read: such reasons are counted under "unmapped: <text>" instead
// of being dropped, so a missing value-map entry shows in every report.
const UnmappedPrefix = "unmapped: "

// FeatureCode and CompetitorCode are the codes of the per-feature and
// per-competitor reasons: "missing-feature:<feature id>",
// "competitor:<competitor id>".
func FeatureCode(feature string) string { return tandem.ReasonFeature + ":" + feature }

// CompetitorCode is the code of the reason "lost to competitor id".
func CompetitorCode(competitor string) string { return tandem.ReasonCompetitor + ":" + competitor }

// DefaultTaxonomy is the taxonomy until someone saves theirs: one generic
// reason per category, one reason per competitor of the catalog, and a
// value map for the loss reasons CRMs commonly write (the demo data's
// among them). Per-feature reasons are added by editing the taxonomy,
// since which missing features matter is a product decision.
func DefaultTaxonomy(competitors []tandem.Competitor) tandem.Taxonomy {
	t := tandem.Taxonomy{Reasons: []tandem.ReasonDef{
		{Code: "price", Label: "Price", Category: tandem.ReasonPrice},
		{Code: "missing-feature", Label: "Missing feature", Category: tandem.ReasonFeature},
		{Code: "competitor", Label: "Competitor", Category: tandem.ReasonCompetitor},
		{Code: "timing", Label: "Timing", Category: tandem.ReasonTiming},
		{Code: "no-decision", Label: "No decision", Category: tandem.ReasonNoDecision},
		{Code: "onboarding-risk", Label: "Onboarding risk", Category: tandem.ReasonOnboarding},
		{Code: "overpromising", Label: "Overpromising", Category: tandem.ReasonOverpromising},
		{Code: "other", Label: "Other", Category: tandem.ReasonOther},
	}, ValueMap: map[string]string{
		"too expensive":       "price",
		"budget":              "price",
		"pricing":             "price",
		"missing features":    "missing-feature",
		"product gap":         "missing-feature",
		"feature gap":         "missing-feature",
		"lost to competitor":  "competitor",
		"competition":         "competitor",
		"bad timing":          "timing",
		"not now":             "timing",
		"no budget decision":  "no-decision",
		"went dark":           "no-decision",
		"status quo":          "no-decision",
		"onboarding concerns": "onboarding-risk",
		"implementation risk": "onboarding-risk",
		"over promised":       "overpromising",
	}}
	for _, c := range competitors {
		if c.ID == "" {
			continue
		}
		t.Reasons = append(t.Reasons, tandem.ReasonDef{Code: CompetitorCode(c.ID), Label: "Lost to " + cmpName(c), Category: tandem.ReasonCompetitor, Competitor: c.ID})
	}
	return t
}

func cmpName(c tandem.Competitor) string {
	if c.Name != "" {
		return c.Name
	}
	return c.ID
}

// Normalize is how texts are compared with value-map keys, codes and
// labels: lower case, with runs of spaces, hyphens and underscores read as
// one space, so "No_Decision", "no-decision" and " No  decision " agree.
func Normalize(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(s) {
		if unicode.IsSpace(r) || r == '-' || r == '_' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// Known names the features and competitors a taxonomy may refer to; a nil
// set is not checked.
type Known struct {
	Features    map[string]bool
	Competitors map[string]bool
}

// ValidationError lists every problem of a taxonomy.
type ValidationError struct {
	Problems []string
}

// Error lists the problems, one a line after a summary line.
func (e *ValidationError) Error() string {
	if len(e.Problems) == 1 {
		return "invalid taxonomy: " + e.Problems[0]
	}
	return fmt.Sprintf("invalid taxonomy (%d problems):\n%s", len(e.Problems), strings.Join(e.Problems, "\n"))
}

// maxCode bounds codes and labels, which appear in URLs and tables.
const maxCode = 120

// Validate checks a taxonomy and returns every problem at once, as a
// tandem.EINVALID error wrapping a *ValidationError: codes present, unique
// (also after Normalize, so the mapping is never ambiguous) and of
// letters, digits and "-:._"; labels present; categories known; features
// and competitors named by reasons known (when k lists them); value-map
// keys not empty, unique after Normalize, and their targets defined.
func Validate(t tandem.Taxonomy, k Known) error {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if len(t.Reasons) == 0 {
		add("reasons: the taxonomy has no reasons")
	}
	codes := map[string]int{}
	norm := map[string]string{}
	for i, r := range t.Reasons {
		at := fmt.Sprintf("reasons[%d]", i)
		if r.Code != "" {
			at = fmt.Sprintf("reasons[%d] (%s)", i, r.Code)
		}
		switch {
		case r.Code == "":
			add("%s: code is missing", at)
		case len(r.Code) > maxCode:
			add("%s: code is longer than %d characters", at, maxCode)
		case strings.HasPrefix(r.Code, UnmappedPrefix) || strings.IndexFunc(r.Code, badCodeRune) >= 0:
			add("%s: code %q may hold only letters, digits and - : . _", at, r.Code)
		default:
			if j, dup := codes[r.Code]; dup {
				add("%s: code %q is already used by reasons[%d]", at, r.Code, j)
			} else if other, dup := norm[Normalize(r.Code)]; dup {
				add("%s: code %q reads the same as %q", at, r.Code, other)
			} else {
				codes[r.Code], norm[Normalize(r.Code)] = i, r.Code
			}
		}
		if strings.TrimSpace(r.Label) == "" {
			add("%s: label is missing", at)
		} else if len(r.Label) > maxCode {
			add("%s: label is longer than %d characters", at, maxCode)
		}
		if !slices.Contains(Categories(), r.Category) {
			add("%s: category %q is not one of %s", at, r.Category, strings.Join(Categories(), ", "))
		}
		if r.Feature != "" && k.Features != nil && !k.Features[r.Feature] {
			add("%s: feature %q is not in the feature catalog", at, r.Feature)
		}
		if r.Competitor != "" && k.Competitors != nil && !k.Competitors[r.Competitor] {
			add("%s: competitor %q is not in the competitor catalog", at, r.Competitor)
		}
		for _, f := range r.AddressedBy {
			if f == "" {
				add("%s: addressed_by has an empty feature id", at)
			} else if k.Features != nil && !k.Features[f] {
				add("%s: addressed_by feature %q is not in the feature catalog", at, f)
			}
		}
	}
	keys := map[string]string{}
	for _, key := range sortedKeys(t.ValueMap) {
		target := t.ValueMap[key]
		n := Normalize(key)
		switch {
		case n == "":
			add("value_map: an empty key (mapped to %q)", target)
		case keys[n] != "":
			add("value_map %q: reads the same as %q", key, keys[n])
		default:
			keys[n] = key
		}
		if _, ok := codes[target]; !ok {
			add("value_map %q: target %q is not a reason code of the taxonomy", key, target)
		}
	}
	if len(p) > 0 {
		return &tandem.Error{Code: tandem.EINVALID, Err: &ValidationError{Problems: p}}
	}
	return nil
}

func badCodeRune(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == ':' || r == '.' || r == '_')
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Mapper reads free-text reasons as codes of one taxonomy.
type Mapper struct {
	defs  map[string]tandem.ReasonDef
	order []string
	byKey map[string]string
}

// NewMapper prepares t for mapping. The value map wins over codes, and
// codes over labels, so an explicit entry always decides.
func NewMapper(t tandem.Taxonomy) *Mapper {
	m := &Mapper{defs: map[string]tandem.ReasonDef{}, byKey: map[string]string{}}
	for _, r := range t.Reasons {
		if _, dup := m.defs[r.Code]; dup {
			continue
		}
		m.defs[r.Code] = r
		m.order = append(m.order, r.Code)
	}
	// Lowest priority first; later writes win.
	for _, r := range t.Reasons {
		if k := Normalize(r.Label); k != "" {
			m.byKey[k] = r.Code
		}
	}
	for _, r := range t.Reasons {
		if k := Normalize(r.Code); k != "" {
			m.byKey[k] = r.Code
		}
	}
	for key, code := range t.ValueMap {
		if _, ok := m.defs[code]; ok {
			m.byKey[Normalize(key)] = code
		}
	}
	return m
}

// Map returns the code of a free-text reason, and whether the taxonomy
// reads it; an unread text comes back as "unmapped: <text>" (trimmed).
func (m *Mapper) Map(text string) (string, bool) {
	if code, ok := m.byKey[Normalize(text)]; ok {
		return code, true
	}
	return UnmappedPrefix + strings.Join(strings.Fields(text), " "), false
}

// Known reports whether code is a reason of the taxonomy.
func (m *Mapper) Known(code string) bool {
	_, ok := m.defs[code]
	return ok
}

// Def returns the reason of a code.
func (m *Mapper) Def(code string) (tandem.ReasonDef, bool) {
	d, ok := m.defs[code]
	return d, ok
}

// Label is how a code is shown: its label, or the code itself for
// unmapped texts and codes the taxonomy no longer has.
func (m *Mapper) Label(code string) string {
	if d, ok := m.defs[code]; ok {
		return d.Label
	}
	return code
}

// Codes lists the taxonomy's codes in its order.
func (m *Mapper) Codes() []string { return slices.Clone(m.order) }
