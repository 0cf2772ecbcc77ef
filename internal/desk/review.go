package desk

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// Triggers decide which deals get a product–sales review (DESIGN §2.3).
// They are data: RevOps edits them like the rule set, and each change is a
// new version.
type Triggers struct {
	// MinAmount triggers on deals of at least this amount (0: off).
	MinAmount float64 `json:"min_amount"`
	// Verticals triggers on accounts in these industries
	// (case-insensitive).
	Verticals []string `json:"verticals,omitempty"`
	// Strategic triggers on these accounts, by id or name.
	Strategic []string `json:"strategic,omitempty"`
	// ProductGap triggers on deals with a product gap tagged: the deal
	// attribute attr.product_gap is not empty.
	ProductGap bool `json:"product_gap"`
	// Special triggers on deals with a special request attached: the deal
	// attribute attr.special_request is not empty.
	Special bool `json:"special_request"`
	// MeetingDays are the days of the month the product–sales review
	// meets; default 1 and 15 (twice a month).
	MeetingDays []int `json:"meeting_days"`
}

// DefaultTriggers returns the documented defaults: deals of 100,000 or
// more, product gaps and special requests, reviewed on the 1st and 15th.
func DefaultTriggers() Triggers {
	return Triggers{MinAmount: 100_000, ProductGap: true, Special: true, MeetingDays: []int{1, 15}}
}

// Validate reports every problem with the triggers at once.
func (t *Triggers) Validate() error {
	var problems []string
	if t.MinAmount < 0 {
		problems = append(problems, "min_amount: must not be negative")
	}
	if len(t.MeetingDays) == 0 {
		t.MeetingDays = []int{1, 15}
	}
	for i, d := range t.MeetingDays {
		if d < 1 || d > 28 {
			problems = append(problems, fmt.Sprintf("meeting_days[%d]: %d is outside 1 to 28 (every month has it)", i, d))
		}
	}
	slices.Sort(t.MeetingDays)
	t.MeetingDays = slices.Compact(t.MeetingDays)
	clean := func(l []string) []string {
		out := l[:0]
		for _, v := range l {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
		return out
	}
	t.Verticals, t.Strategic = clean(t.Verticals), clean(t.Strategic)
	if len(problems) > 0 {
		return tandem.Errorf(tandem.EINVALID, "review triggers: %s", strings.Join(problems, "; "))
	}
	return nil
}

// ReviewDeal is what the triggers look at of a deal.
type ReviewDeal struct {
	Amount      float64
	Industry    string
	AccountID   string
	AccountName string
	ProductGap  string
	Special     string
}

// Fire returns the reasons the deal triggers a review, in a fixed order;
// none when it does not.
func (t *Triggers) Fire(d ReviewDeal) []string {
	var out []string
	if t.MinAmount > 0 && d.Amount >= t.MinAmount {
		out = append(out, fmt.Sprintf("deal size %s is at least %s", UnitText("money", d.Amount), UnitText("money", t.MinAmount)))
	}
	for _, v := range t.Verticals {
		if v != "" && strings.EqualFold(v, strings.TrimSpace(d.Industry)) {
			out = append(out, "vertical "+d.Industry)
			break
		}
	}
	for _, s := range t.Strategic {
		if s != "" && (s == d.AccountID || strings.EqualFold(s, strings.TrimSpace(d.AccountName))) {
			out = append(out, "strategic account "+d.AccountName)
			break
		}
	}
	if t.ProductGap && strings.TrimSpace(d.ProductGap) != "" {
		out = append(out, "product gap: "+strings.TrimSpace(d.ProductGap))
	}
	if t.Special && strings.TrimSpace(d.Special) != "" {
		out = append(out, "special request: "+strings.TrimSpace(d.Special))
	}
	return out
}

// NextMeeting returns the first meeting day on or after the day of t.
func (t *Triggers) NextMeeting(from time.Time) time.Time {
	days := t.MeetingDays
	if len(days) == 0 {
		days = []int{1, 15}
	}
	y, m, d := from.UTC().Date()
	for range 2 {
		for _, md := range days {
			if md >= d {
				return time.Date(y, m, md, 0, 0, 0, 0, time.UTC)
			}
		}
		y, m, d = time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC).Date()
	}
	return time.Date(y, m, days[0], 0, 0, 0, 0, time.UTC)
}

// Action is one follow-up of a review.
type Action struct {
	Text  string    `json:"text"`
	Owner string    `json:"owner"`
	Due   time.Time `json:"due"`
	Done  bool      `json:"done,omitempty"`
}

// ReviewSnapshot is the deal as it stood when the review opened.
type ReviewSnapshot struct {
	Name     string   `json:"name,omitempty"`
	Stage    string   `json:"stage,omitempty"`
	Amount   float64  `json:"amount"`
	Account  string   `json:"account,omitempty"`
	Segment  string   `json:"segment,omitempty"`
	Industry string   `json:"industry,omitempty"`
	Rep      string   `json:"rep,omitempty"`
	Products []string `json:"products,omitempty"`
	Quote    string   `json:"quote,omitempty"` // the quote version that opened it, "Q-1 v2"
}

// ReviewEvidence is what the desk knew of the deal when the review
// opened: the matched archetype, its figures and the flags raised.
type ReviewEvidence struct {
	Archetype Match    `json:"archetype"`
	Figures   []Figure `json:"figures"`
	Flags     []string `json:"flags"`
}

// Review is a deal review record.
type Review struct {
	DealID   string         `json:"deal_id"`
	Triggers []string       `json:"triggers"`
	Snapshot ReviewSnapshot `json:"snapshot"`
	Evidence ReviewEvidence `json:"evidence"`
	// ProductResponse is product's answer to the deal's asks; Decision
	// what the review decided.
	ProductResponse string   `json:"product_response,omitempty"`
	Decision        string   `json:"decision,omitempty"`
	Actions         []Action `json:"actions"`
	// Outcome is the deal's outcome (won or lost) once it closes, filled
	// from the deal, and when.
	Outcome   string    `json:"outcome,omitempty"`
	ClosedAt  time.Time `json:"closed_at,omitzero"`
	OpenedAt  time.Time `json:"opened_at"`
	Version   int       `json:"version,omitempty"`
	UpdatedBy string    `json:"updated_by,omitempty"`
}

// OpenActions returns the review's actions not done.
func (r *Review) OpenActions() []Action {
	var out []Action
	for _, a := range r.Actions {
		if !a.Done {
			out = append(out, a)
		}
	}
	return out
}

// Validate checks the parts of a review people edit.
func (r *Review) Validate() error {
	var problems []string
	if len(r.ProductResponse) > 10000 || len(r.Decision) > 10000 {
		problems = append(problems, "product_response and decision: at most 10,000 characters each")
	}
	for i := range r.Actions {
		a := &r.Actions[i]
		a.Text, a.Owner = strings.TrimSpace(a.Text), strings.TrimSpace(a.Owner)
		if a.Text == "" {
			problems = append(problems, fmt.Sprintf("actions[%d].text: an action says what to do", i))
		}
		if a.Owner == "" {
			problems = append(problems, fmt.Sprintf("actions[%d].owner: an action has an owner", i))
		}
		if a.Due.IsZero() {
			problems = append(problems, fmt.Sprintf("actions[%d].due: an action has a due date", i))
		}
	}
	if len(problems) > 0 {
		return tandem.Errorf(tandem.EINVALID, "review of deal %s: %s", r.DealID, strings.Join(problems, "; "))
	}
	return nil
}

// ProportionFigure is a win rate, k of n, with its Wilson 95% interval,
// insufficient below minN: for the service's review outcomes.
func ProportionFigure(label string, k, n, minN int) Figure {
	return proportionFigure(label, k, n, minN, noteWinRate)
}

// DiffFigure is k1/n1 − k0/n0 in percentage points with its Newcombe 95%
// interval, insufficient when either side is below minN.
func DiffFigure(label string, k1, n1, k0, n0, minN int, note string) Figure {
	return diffFigure(label, k1, n1, k0, n0, minN, note)
}
