// Package desk is the deal desk (DESIGN §2.3): deal archetypes derived from
// the company's closed deals, with a pricing band per product; the deal
// check, which places a quote against its archetype and raises guardrail
// flags with their evidence; and approval routing under the rule language
// of package rules. Flags inform and never block: only approval rules can
// hold a quote.
//
// The package computes; it does not store. The service loads documents and
// approvals from the tandem.DeskStore, calls into this package and writes
// the results back.
package desk

import (
	"time"

	"github.com/tandemhq/tandem"
)

// Severity ranks a flag: info, warn, or risk.
type Severity string

// Flag severities.
const (
	SeverityInfo Severity = "info"
	SeverityWarn Severity = "warn"
	SeverityRisk Severity = "risk"
)

// Flag codes. Each is documented in FlagDocs, which the flag's link points
// to.
const (
	FlagDiscountAboveBand = "discount-above-band"
	FlagPromiseBeyond     = "promise-beyond-horizon"
	FlagPromiseSlipping   = "promise-slipping"
	FlagBetaFeature       = "beta-feature"
	FlagUnreleased        = "unreleased-feature"
	FlagNonstandard       = "nonstandard-terms"
	FlagACVOutside        = "acv-outside-range"
	FlagPaymentTerms      = "payment-terms"
	FlagMarginBelow       = "margin-below-guardrail"
	FlagMaintenance       = "product-maintenance"
	FlagLossPattern       = "loss-pattern"
	FlagNoArchetype       = "no-archetype"
)

// Figure is one number of evidence with its sample and interval. Unit is
// "proportion", "pp" (a difference of proportions), "percent", "days",
// "hours", "money" or "count". Insufficient marks a figure below its minimum sample, which is
// shown as "insufficient data" instead of a value.
type Figure struct {
	Label        string  `json:"label"`
	Unit         string  `json:"unit"`
	N            int     `json:"n"`
	Value        float64 `json:"value"`
	CILow        float64 `json:"ci_low"`
	CIHigh       float64 `json:"ci_high"`
	Insufficient bool    `json:"insufficient,omitempty"`
	Note         string  `json:"note,omitempty"`
}

// Suggestion is an alternative to a flagged choice, such as bundling an
// add-on instead of discounting, with the figures that support it, ranked
// best first.
type Suggestion struct {
	Text    string   `json:"text"`
	Product string   `json:"product,omitempty"`
	Figures []Figure `json:"figures"`
}

// Flag is one guardrail flag on a quote.
type Flag struct {
	Code        string       `json:"code"`
	Severity    Severity     `json:"severity"`
	Message     string       `json:"message"`
	Line        string       `json:"line,omitempty"` // the quote line it concerns, if any
	Evidence    []Figure     `json:"evidence"`
	Suggestions []Suggestion `json:"suggestions,omitempty"`
	Link        string       `json:"link"` // where the flag is defined: /desk/flags#<code>
	// Acknowledged lists who acknowledged the flag on this quote; the
	// service fills it from the store.
	Acknowledged []Ack `json:"acknowledged,omitempty"`
}

// Ack is a rep's acknowledgment of a flag.
type Ack struct {
	By   string    `json:"by"`
	Note string    `json:"note,omitempty"`
	At   time.Time `json:"at"`
}

// Band is a range of a quantity over won deals: the 25th to 75th
// percentile, with the median and the number of deals.
type Band struct {
	N      int     `json:"n"`
	P25    float64 `json:"p25"`
	Median float64 `json:"median"`
	P75    float64 `json:"p75"`
}

// PriceBand is one product's pricing band within an archetype: discount
// (%) and net price per unit over the archetype's won deals.
type PriceBand struct {
	Product  string `json:"product"`
	Discount Band   `json:"discount"`
	NetPrice Band   `json:"net_price"`
}

// Playbook is what RevOps sets for an accepted archetype: the bands a quote
// should sit in, onboarding assumptions, and financial guardrails.
type Playbook struct {
	Bands           []PriceBand `json:"bands"`
	TimeToValueDays int         `json:"time_to_value_days,omitempty"`
	RampMonths      int         `json:"ramp_months,omitempty"`
	MinMarginPct    float64     `json:"min_margin_pct,omitempty"`
	MaxPaymentDays  int         `json:"max_payment_days,omitempty"`
	ApprovalNotes   string      `json:"approval_notes,omitempty"`
}

// Archetype is a recurring shape of deal: a product mix, an ACV band and a
// segment ("" for any), with how such deals went.
type Archetype struct {
	ID       string   `json:"id"` // stable slug derived from the key
	Name     string   `json:"name"`
	Products []string `json:"products"` // product ids, sorted
	Segment  string   `json:"segment,omitempty"`
	ACVMin   float64  `json:"acv_min"`
	ACVMax   float64  `json:"acv_max"` // 0: no upper bound
	// Parent is the id of the coarser archetype this one merged into or
	// refines; empty at the top.
	Parent      string   `json:"parent,omitempty"`
	Deals       int      `json:"deals"` // closed deals in it
	WinRate     Figure   `json:"win_rate"`
	MedianCycle Figure   `json:"median_cycle"`
	RenewalRate Figure   `json:"renewal_rate"`
	LossReasons []Figure `json:"loss_reasons,omitempty"` // top reasons, share of lost deals
	Playbook    Playbook `json:"playbook"`
	// Status is "proposed" until RevOps accepts it; only accepted
	// archetypes match quotes.
	Status  string `json:"status"`
	Version int    `json:"version,omitempty"` // the stored document version
}

// Normalize makes the archetype's lists empty rather than nil, so JSON
// shows [] for "none".
func (a *Archetype) Normalize() {
	if a.Products == nil {
		a.Products = []string{}
	}
	if a.Playbook.Bands == nil {
		a.Playbook.Bands = []PriceBand{}
	}
	if a.LossReasons == nil {
		a.LossReasons = []Figure{}
	}
}

// Match says which archetype a quote matched and why.
type Match struct {
	Archetype string  `json:"archetype,omitempty"` // id; empty: no archetype
	Name      string  `json:"name,omitempty"`
	Version   int     `json:"version,omitempty"`
	Distance  float64 `json:"distance"`
	Reason    string  `json:"reason"`
}

// LinePosition is where one quote line sits in its archetype's band.
type LinePosition struct {
	Line     string  `json:"line"`
	Product  string  `json:"product"`
	Discount float64 `json:"discount"`
	Band     *Band   `json:"band,omitempty"` // nil: no band for the product
	// Position is "below", "within" or "above" the band, "no band", or
	// "insufficient data" when the band comes from fewer won deals than
	// the minimum sample (no flag is raised on it then).
	Position string `json:"position"`
}

// Settings are the desk's configurable defaults.
type Settings struct {
	// DisclosureMonths is how far ahead a feature may be sold (DESIGN
	// §2.7); default 4.
	DisclosureMonths int `json:"disclosure_months"`
	// MinN is the minimum sample for an archetype or a figure; default 30.
	MinN int `json:"min_n"`
	// MaxDistance is the largest distance at which a quote still matches
	// an archetype; default 0.5.
	MaxDistance float64 `json:"max_distance"`
	// DefaultMaxPaymentDays applies when an archetype's playbook sets none;
	// default 60.
	DefaultMaxPaymentDays int `json:"default_max_payment_days"`
}

// DefaultSettings returns the documented defaults.
func DefaultSettings() Settings {
	return Settings{DisclosureMonths: 4, MinN: 30, MaxDistance: 0.5, DefaultMaxPaymentDays: 60}
}

// Check is the desk's answer for one quote version.
type Check struct {
	QuoteID      string         `json:"quote_id,omitempty"`
	QuoteVersion int            `json:"quote_version,omitempty"`
	DealID       string         `json:"deal_id,omitempty"`
	Match        Match          `json:"archetype"`
	Lines        []LinePosition `json:"lines"`
	Flags        []Flag         `json:"flags"`
	// Approvals are the approvals the quote needs (filled by the service
	// from the rule set and the store).
	Approvals []tandem.Approval `json:"approvals"`
	ACV       float64           `json:"acv"`
	Discount  float64           `json:"discount"` // overall, %
	CheckedAt time.Time         `json:"checked_at"`
}
