package tandem

import "time"

// Doc kinds of custom requests ("specials", issue 9), in the versioned
// document store: each change to a special is a new version.
const (
	DocSpecial         = "special"          // a custom request; Ref is its deal id
	DocSpecialSettings = "special-settings" // matrix thresholds and the capacity budget; one id, "settings"
)

// SpecialStep is where a special stands in the six-step process, or how
// it ended.
type SpecialStep string

// The six steps, in order, and the ends. A special is filed at
// StepTalkToRep; each step is completed (or skipped, with a reason) to
// reach the next. Accepting a special is completing StepFindWorkarounds
// into StepSimplestSlice, which needs a leader's sign-off on what it
// displaces. StepMeasure ends as productized or one-off; declined and
// withdrawn can end any open step.
const (
	StepTalkToRep       SpecialStep = "talk-to-rep"
	StepSpeakToProspect SpecialStep = "speak-to-prospect"
	StepReviewEvidence  SpecialStep = "review-evidence"
	StepFindWorkarounds SpecialStep = "find-workarounds"
	StepSimplestSlice   SpecialStep = "simplest-slice"
	StepMeasure         SpecialStep = "measure-and-productize"
	StepProductized     SpecialStep = "productized"
	StepOneOff          SpecialStep = "one-off"
	StepDeclined        SpecialStep = "declined"
	StepWithdrawn       SpecialStep = "withdrawn"
)

// SpecialSteps lists the six steps in order.
func SpecialSteps() []SpecialStep {
	return []SpecialStep{StepTalkToRep, StepSpeakToProspect, StepReviewEvidence, StepFindWorkarounds, StepSimplestSlice, StepMeasure}
}

// Special is a custom request from a deal: the ask and its evidence, the
// product team's scores, where it stands in the process, and, once built,
// its outcome.
type Special struct {
	ID     string `json:"id"`
	DealID string `json:"deal_id"`
	// Title is a short name; Ask is what the prospect asked for, Problem
	// the problem behind it, AskedBy who said it (a person at the
	// account), FiledBy the rep (a user's e-mail).
	Title   string    `json:"title"`
	Ask     string    `json:"ask"`
	Problem string    `json:"problem"`
	AskedBy string    `json:"asked_by,omitempty"`
	FiledBy string    `json:"filed_by"`
	FiledAt time.Time `json:"filed_at"`
	// Amount is the deal's amount when filed; Deadline when the prospect
	// needs it.
	Amount   float64   `json:"amount"`
	Deadline time.Time `json:"deadline,omitzero"`
	// OthersAsked is the rep's word on whether other customers asked for
	// the same; the links below are the evidence.
	OthersAsked bool              `json:"others_asked"`
	Evidence    []SpecialEvidence `json:"evidence,omitempty"`
	// Themes and Specials link to feedback themes and other specials that
	// ask for the same (found by text similarity, or linked by hand);
	// Feature is the catalog feature the special became or extends.
	Themes   []string `json:"themes,omitempty"`
	Specials []string `json:"specials,omitempty"`
	Feature  string   `json:"feature,omitempty"`
	// Strategic marks a special worth doing for a non-monetary reason
	// (brand, reference customer); StrategicWhy says which.
	Strategic    bool   `json:"strategic,omitempty"`
	StrategicWhy string `json:"strategic_why,omitempty"`

	Alignment *AlignmentScore `json:"alignment,omitempty"`
	Effort    *EffortEstimate `json:"effort,omitempty"`

	Step    SpecialStep   `json:"step"`
	History []StepRecord  `json:"history,omitempty"`
	Accept  *Acceptance   `json:"accept,omitempty"`
	Outcome *SpecialBuilt `json:"outcome,omitempty"`
}

// SpecialEvidence is one piece of evidence: a note, a link, or a file
// stored as a Blob under SHA256.
type SpecialEvidence struct {
	Kind        string    `json:"kind"` // note, link, file
	Text        string    `json:"text,omitempty"`
	URL         string    `json:"url,omitempty"`
	Name        string    `json:"name,omitempty"`
	ContentType string    `json:"content_type,omitempty"`
	Size        int64     `json:"size,omitempty"`
	SHA256      string    `json:"sha256,omitempty"`
	By          string    `json:"by"`
	At          time.Time `json:"at"`
}

// AlignmentScore is the alignment axis of the matrix: four inputs from 0
// to 10 and their mean, the score; Adjusted, when set, replaces the score
// and must carry a reason.
type AlignmentScore struct {
	ICPFit          float64  `json:"icp_fit"`
	StrategyFit     float64  `json:"strategy_fit"`
	RecurringDemand float64  `json:"recurring_demand"`
	RevenueAtStake  float64  `json:"revenue_at_stake"`
	Score           float64  `json:"score"`
	Adjusted        *float64 `json:"adjusted,omitempty"`
	Reason          string   `json:"reason,omitempty"`
	// AdjustedBy and AdjustedAt say who set Adjusted and when; By and At
	// stay those of the computed score.
	AdjustedBy string    `json:"adjusted_by,omitempty"`
	AdjustedAt time.Time `json:"adjusted_at,omitzero"`
	// Inputs says how the computed inputs were reached ("3 accounts and
	// 2 specials asked; …"), so the score can be defended.
	Inputs []string  `json:"inputs,omitempty"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// Value is the alignment the matrix uses: the adjusted score when set.
func (a AlignmentScore) Value() float64 {
	if a.Adjusted != nil {
		return *a.Adjusted
	}
	return a.Score
}

// EffortEstimate is the effort axis: engineering weeks, and who estimated.
type EffortEstimate struct {
	Weeks  float64   `json:"weeks"`
	Author string    `json:"author"`
	Note   string    `json:"note,omitempty"`
	At     time.Time `json:"at"`
}

// StepRecord is one completed (or skipped) step: who, when, notes and who
// signed it off.
type StepRecord struct {
	Step       SpecialStep `json:"step"`
	By         string      `json:"by"`
	At         time.Time   `json:"at"`
	Notes      string      `json:"notes,omitempty"`
	SignedBy   string      `json:"signed_by,omitempty"`
	Skipped    bool        `json:"skipped,omitempty"`
	SkipReason string      `json:"skip_reason,omitempty"`
	// To is the step (or end) the special moved to.
	To SpecialStep `json:"to"`
}

// Acceptance is a leader's sign-off on building a special: what it
// displaces on the roadmap, and, when it crosses the budget's warning
// line, the explicit confirmation.
type Acceptance struct {
	Leader       string          `json:"leader"`
	At           time.Time       `json:"at"`
	Quarter      string          `json:"quarter"` // "2026-Q4": the quarter whose capacity it uses
	Displaces    []RoadmapImpact `json:"displaces"`
	OverWarning  bool            `json:"over_warning,omitempty"`
	Confirmation string          `json:"confirmation,omitempty"` // the leader's words when over the warning line
	Action       string          `json:"action,omitempty"`       // the matrix's recommendation when accepted
}

// RoadmapImpact is one roadmap item an accepted special moves, and by how
// many weeks.
type RoadmapImpact struct {
	Item  string  `json:"item"` // a feature id or free text
	Weeks float64 `json:"weeks"`
}

// SpecialBuilt is what became of a built special, filled at the measure
// step and refreshed from the data: the deal's outcome, revenue
// influenced, other accounts using the linked feature, support load, and
// whether it was productized.
type SpecialBuilt struct {
	DealOutcome   string    `json:"deal_outcome"` // won, lost, open
	Revenue       float64   `json:"revenue"`
	OtherAccounts int       `json:"other_accounts"`
	Tickets       int       `json:"tickets"`
	Productized   bool      `json:"productized"`
	MeasuredAt    time.Time `json:"measured_at"`
}

// SpecialSettings are the matrix thresholds and the capacity budget.
type SpecialSettings struct {
	// AlignmentHigh and EffortHighWeeks split the matrix: alignment at or
	// above AlignmentHigh is high, effort at or above EffortHighWeeks is
	// high.
	AlignmentHigh   float64 `json:"alignment_high"`
	EffortHighWeeks float64 `json:"effort_high_weeks"`
	// CapacityWeeks is the product team's capacity per quarter in team
	// weeks; Quarters overrides it for named quarters ("2026-Q4").
	CapacityWeeks float64            `json:"capacity_weeks"`
	Quarters      map[string]float64 `json:"quarters,omitempty"`
	// BudgetShare is the share of capacity for specials; WarnShare the
	// share above which accepting needs explicit confirmation.
	BudgetShare float64 `json:"budget_share"`
	WarnShare   float64 `json:"warn_share"`
	// MinDealAmount is the smallest deal a special is accepted for,
	// unless it is marked strategic.
	MinDealAmount float64 `json:"min_deal_amount"`
	// Leaders are the users (e-mails) who may sign off an acceptance;
	// empty means admins and product users.
	Leaders []string `json:"leaders,omitempty"`
}

// DefaultSpecialSettings are the settings until someone saves theirs.
func DefaultSpecialSettings() SpecialSettings {
	return SpecialSettings{AlignmentHigh: 5, EffortHighWeeks: 4, CapacityWeeks: 120, BudgetShare: 0.15, WarnShare: 0.20}
}
