package intel

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/winloss"
)

// Limits on a battlecard: long enough for a real one, short enough that
// a deal page stays readable.
const (
	maxItems   = 100
	maxItemLen = 2000
)

// NormalizeBattlecard trims every field and drops empty entries.
func NormalizeBattlecard(b tandem.Battlecard) tandem.Battlecard {
	list := func(xs []string) []string {
		var out []string
		for _, x := range xs {
			if x = strings.TrimSpace(x); x != "" {
				out = append(out, x)
			}
		}
		return out
	}
	b.Competitor, b.Summary = strings.TrimSpace(b.Competitor), strings.TrimSpace(b.Summary)
	b.Strengths, b.Weaknesses = list(b.Strengths), list(b.Weaknesses)
	b.Landmines, b.ProofPoints = list(b.Landmines), list(b.ProofPoints)
	var obj []tandem.Objection
	for _, o := range b.Objections {
		o.Objection, o.Response = strings.TrimSpace(o.Objection), strings.TrimSpace(o.Response)
		if o.Objection != "" || o.Response != "" {
			obj = append(obj, o)
		}
	}
	b.Objections = obj
	return b
}

// ValidateBattlecard checks a normalized battlecard: it names its
// competitor, every objection has both sides, and no list or entry is
// oversized. Every problem is reported at once.
func ValidateBattlecard(b tandem.Battlecard) error {
	var problems []string
	if b.Competitor == "" {
		problems = append(problems, "competitor: a battlecard names its competitor")
	}
	if utf8.RuneCountInString(b.Summary) > maxText {
		problems = append(problems, fmt.Sprintf("summary: at most %d characters", maxText))
	}
	check := func(field string, xs []string) {
		if len(xs) > maxItems {
			problems = append(problems, fmt.Sprintf("%s: at most %d entries", field, maxItems))
		}
		for i, x := range xs {
			if utf8.RuneCountInString(x) > maxItemLen {
				problems = append(problems, fmt.Sprintf("%s[%d]: at most %d characters", field, i, maxItemLen))
			}
		}
	}
	check("strengths", b.Strengths)
	check("weaknesses", b.Weaknesses)
	check("landmines", b.Landmines)
	check("proof_points", b.ProofPoints)
	if len(b.Objections) > maxItems {
		problems = append(problems, fmt.Sprintf("objections: at most %d entries", maxItems))
	}
	for i, o := range b.Objections {
		if o.Objection == "" || o.Response == "" {
			problems = append(problems, fmt.Sprintf("objections[%d]: needs both the objection and the response", i))
		}
		if utf8.RuneCountInString(o.Objection) > maxItemLen || utf8.RuneCountInString(o.Response) > maxItemLen {
			problems = append(problems, fmt.Sprintf("objections[%d]: at most %d characters a side", i, maxItemLen))
		}
	}
	if len(problems) > 0 {
		return tandem.Errorf(tandem.EINVALID, "battlecard %s: %s", b.Competitor, strings.Join(problems, "; "))
	}
	return nil
}

// Change is how one field of a battlecard changed between two versions:
// the old and new text of a single-valued field, or the entries added
// and removed from a list.
type Change struct {
	Field   string   `json:"field"`
	Before  string   `json:"before,omitempty"`
	After   string   `json:"after,omitempty"`
	Added   []string `json:"added,omitempty"`
	Removed []string `json:"removed,omitempty"`
}

// ObjectionText renders an objection as one entry for a diff.
func ObjectionText(o tandem.Objection) string { return o.Objection + " → " + o.Response }

// DiffBattlecards lists what changed from a to b, field by field in the
// battlecard's order; lists compare as sets of entries (a reworded entry
// is one removed and one added).
func DiffBattlecards(a, b tandem.Battlecard) []Change {
	out := []Change{}
	if a.Summary != b.Summary {
		out = append(out, Change{Field: "summary", Before: a.Summary, After: b.Summary})
	}
	list := func(field string, x, y []string) {
		var added, removed []string
		for _, e := range y {
			if !slices.Contains(x, e) {
				added = append(added, e)
			}
		}
		for _, e := range x {
			if !slices.Contains(y, e) {
				removed = append(removed, e)
			}
		}
		if len(added)+len(removed) > 0 {
			out = append(out, Change{Field: field, Added: added, Removed: removed})
		}
	}
	objections := func(os []tandem.Objection) []string {
		out := make([]string, len(os))
		for i, o := range os {
			out[i] = ObjectionText(o)
		}
		return out
	}
	list("strengths", a.Strengths, b.Strengths)
	list("weaknesses", a.Weaknesses, b.Weaknesses)
	list("objections", objections(a.Objections), objections(b.Objections))
	list("landmines", a.Landmines, b.Landmines)
	list("proof_points", a.ProofPoints, b.ProofPoints)
	return out
}

// ParseBattlecard reads a battlecard file, YAML or JSON (JSON is YAML),
// with the JSON field names (summary, strengths, weaknesses, objections:
// [{objection, response}], landmines, proof_points). It reads strictly,
// as the win/loss files are read (winloss.Decode): unknown fields,
// repeated keys, aliases and a second document are refused, so a
// misspelt field is reported instead of silently dropped.
func ParseBattlecard(name string, data []byte) (tandem.Battlecard, error) {
	var b tandem.Battlecard
	if err := winloss.Decode(name, data, &b); err != nil {
		return tandem.Battlecard{}, err
	}
	return NormalizeBattlecard(b), nil
}
