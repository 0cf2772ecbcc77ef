package tandem

import (
	"context"
	"encoding/json"
	"math"
	"time"
)

// DefaultMinN is the minimum sample below which a figure is shown as
// "insufficient data" and never ranks as a leader (DESIGN §6).
const DefaultMinN = 30

// Condition is one --where filter of a report: Field (a canonical column, a
// related entity's column such as account.segment, or attr.<name>) compared
// with Value. Op is "=" or "!=". Conditions on the same field and operator
// "=" are alternatives (OR); all others must all hold (AND).
type Condition struct {
	Field string `json:"field"`
	Op    string `json:"op"`
	Value string `json:"value"`
}

// ReportParams are the parameters every report accepts; reports ignore
// those that do not apply to them and say so in their notes.
type ReportParams struct {
	By    []string    `json:"by,omitempty"`
	Where []Condition `json:"where,omitempty"`
	// From and To bound the report's period (inclusive), on the date the
	// report names in its definitions (created for deals, start for
	// subscriptions); zero means open.
	From time.Time `json:"from,omitzero"`
	To   time.Time `json:"to,omitzero"`
	// AsOf is the report date: open deals are censored and subscriptions
	// judged as of it. Zero means today.
	AsOf time.Time `json:"as_of,omitzero"`
	// MinN is the minimum sample size of a figure (DefaultMinN when 0).
	MinN int `json:"min_n"`
	// WindowDays is the adoption window of the adoption and halo reports:
	// a feature counts as adopted when adopted within this many days of the
	// anchor date. -1 means any time (survivorship bias: said in a note).
	WindowDays int `json:"window_days"`
	// Anchor is the date adoption windows start from: "start" (the
	// subscription's start) or "signup" (the account's created date).
	Anchor string `json:"anchor,omitempty"`
	// Features limits which features the adoption report counts (names or
	// ids); empty means all.
	Features []string `json:"features,omitempty"`
	// Items is what the halo report compares: "features" or "products".
	Items string `json:"items,omitempty"`
	// Adjust lists the fields whose combinations form the strata of
	// adjusted figures.
	Adjust []string `json:"adjust,omitempty"`
	// Resamples and Seed drive bootstrap intervals (reproducible).
	Resamples int    `json:"resamples"`
	Seed      uint64 `json:"seed"`
}

// Estimate is one figure with its sample size and 95% interval. Value and
// the limits are NaN when they cannot be computed, and ±Inf when a limit is
// not reached (a Kaplan–Meier median); JSON writes those as null.
type Estimate struct {
	N      int     `json:"n"`
	Value  float64 `json:"value"`
	CILow  float64 `json:"ci_low"`
	CIHigh float64 `json:"ci_high"`
	// P and Q are the p-value and the Benjamini–Hochberg q-value of a
	// comparison; NaN when the figure is not a comparison.
	P float64 `json:"p"`
	Q float64 `json:"q"`
	// Insufficient is true when N is below the report's minimum sample.
	Insufficient bool   `json:"insufficient,omitempty"`
	Note         string `json:"note,omitempty"`
}

// NewEstimate returns an estimate of n observations with no p or q value.
func NewEstimate(n int, value, lo, hi float64) Estimate {
	return Estimate{N: n, Value: value, CILow: lo, CIHigh: hi, P: math.NaN(), Q: math.NaN()}
}

// MarshalJSON writes NaN and infinite numbers as null, which JSON has no
// other way to say, and leaves out p and q when they do not apply.
func (e Estimate) MarshalJSON() ([]byte, error) {
	type out struct {
		N            int      `json:"n"`
		Value        *float64 `json:"value"`
		CILow        *float64 `json:"ci_low"`
		CIHigh       *float64 `json:"ci_high"`
		P            *float64 `json:"p,omitempty"`
		Q            *float64 `json:"q,omitempty"`
		Insufficient bool     `json:"insufficient,omitempty"`
		Note         string   `json:"note,omitempty"`
	}
	return json.Marshal(out{N: e.N, Value: finite(e.Value), CILow: finite(e.CILow), CIHigh: finite(e.CIHigh),
		P: finite(e.P), Q: finite(e.Q), Insufficient: e.Insufficient, Note: e.Note})
}

// UnmarshalJSON reads what MarshalJSON writes, null as NaN.
func (e *Estimate) UnmarshalJSON(b []byte) error {
	var in struct {
		N            int      `json:"n"`
		Value        *float64 `json:"value"`
		CILow        *float64 `json:"ci_low"`
		CIHigh       *float64 `json:"ci_high"`
		P            *float64 `json:"p"`
		Q            *float64 `json:"q"`
		Insufficient bool     `json:"insufficient"`
		Note         string   `json:"note"`
	}
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	orNaN := func(p *float64) float64 {
		if p == nil {
			return math.NaN()
		}
		return *p
	}
	*e = Estimate{N: in.N, Value: orNaN(in.Value), CILow: orNaN(in.CILow), CIHigh: orNaN(in.CIHigh),
		P: orNaN(in.P), Q: orNaN(in.Q), Insufficient: in.Insufficient, Note: in.Note}
	return nil
}

func finite(f float64) *float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

// Group is one row of a report: the values of the --by fields (or the
// feature, stage, rep...), the report's headline estimate, and further
// named figures listed in Report.Metrics order.
type Group struct {
	Key map[string]string `json:"key"`
	Estimate
	Metrics map[string]Estimate `json:"metrics,omitempty"`
	// Rank is the position among groups with sufficient data, 1 first; 0
	// means unranked (insufficient data, or a report without ranking).
	Rank int `json:"rank,omitempty"`
}

// MarshalJSON flattens the headline estimate into the group, as DESIGN §5
// shows ({"key":…, "n":…, "value":…, "ci_low":…}).
func (g Group) MarshalJSON() ([]byte, error) {
	est, err := json.Marshal(g.Estimate)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(est, &m); err != nil {
		return nil, err
	}
	if m["key"], err = json.Marshal(g.Key); err != nil {
		return nil, err
	}
	if len(g.Metrics) > 0 {
		if m["metrics"], err = json.Marshal(g.Metrics); err != nil {
			return nil, err
		}
	}
	if g.Rank > 0 {
		m["rank"], _ = json.Marshal(g.Rank)
	}
	return json.Marshal(m)
}

// UnmarshalJSON reads what MarshalJSON writes.
func (g *Group) UnmarshalJSON(b []byte) error {
	var in struct {
		Key     map[string]string   `json:"key"`
		Metrics map[string]Estimate `json:"metrics"`
		Rank    int                 `json:"rank"`
	}
	if err := json.Unmarshal(b, &in); err != nil {
		return err
	}
	var est Estimate
	if err := json.Unmarshal(b, &est); err != nil {
		return err
	}
	*g = Group{Key: in.Key, Estimate: est, Metrics: in.Metrics, Rank: in.Rank}
	return nil
}

// Report is the result of one analytics report (DESIGN §5): what it
// measures, how (definitions), and one Group per row.
type Report struct {
	Report string `json:"report"`
	Title  string `json:"title"`
	// Value names the headline figure of every group, such as "win rate".
	Value string `json:"value"`
	// Unit is the unit of the headline figure: "proportion", "days",
	// "money", "ratio", "difference" or "count".
	Unit string `json:"unit"`
	// KeyFields lists the keys of Group.Key in display order.
	KeyFields []string `json:"key_fields"`
	// Metrics lists the further figures of each group in display order,
	// with the unit of each.
	Metrics     []MetricInfo      `json:"metrics,omitempty"`
	Definitions map[string]string `json:"definitions"`
	Params      ReportParams      `json:"params"`
	Notes       []string          `json:"notes,omitempty"`
	Groups      []Group           `json:"groups"`
	// Apart lists groups kept out of the main list, such as features below
	// the minimum sample in the halo report.
	Apart []Group `json:"apart,omitempty"`
	// Sections are further tables of the same report with their own keys,
	// such as the adoption report's view by each feature.
	Sections []Section `json:"sections,omitempty"`
}

// Section is a further table of a report.
type Section struct {
	Name      string       `json:"name"`
	Title     string       `json:"title"`
	Value     string       `json:"value"`
	Unit      string       `json:"unit"`
	KeyFields []string     `json:"key_fields"`
	Metrics   []MetricInfo `json:"metrics,omitempty"`
	Groups    []Group      `json:"groups"`
}

// MetricInfo names one further figure of a report's groups.
type MetricInfo struct {
	Name  string `json:"name"`
	Label string `json:"label"`
	Unit  string `json:"unit"`
}

// ReportInfo describes an available report for help texts and the API.
type ReportInfo struct {
	Name string `json:"name"`
	Doc  string `json:"doc"`
}

// Reporter computes reports from the store; every interface (CLI, API,
// pages) goes through it so that all show the same numbers.
type Reporter interface {
	Reports() []ReportInfo
	Run(ctx context.Context, name string, p ReportParams) (*Report, error)
}
