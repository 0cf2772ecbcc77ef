package tandem

import (
	"context"
	"encoding/json"
	"time"
)

// Doc kinds the deal desk keeps in the versioned document store.
const (
	DocQuote     = "quote"     // a deal's quote; Ref is the deal id
	DocRules     = "rules"     // the approval rule set; one id, "active"
	DocArchetype = "archetype" // an accepted (or draft) deal archetype
	DocSettings  = "desk"      // desk settings (disclosure horizon, triggers); one id, "settings"
	DocAck       = "ack"       // a flag acknowledgment; id "<quote>/<flag code>", Ref the quote id
	DocAway      = "away"      // an approver's delegation while away; id is the user's e-mail
	DocReview    = "review"    // a deal review record; Ref is the deal id
	DocTriggers  = "triggers"  // the deal-review triggers; one id, "review-triggers"
)

// Doc is one version of a versioned JSON document. Versions of an id count
// from 1 and are never rewritten: a change is a new version, so history is
// the list of versions. Body is the document itself (its shape depends on
// Kind); Ref is an optional secondary key, indexed, such as the deal a
// quote belongs to.
type Doc struct {
	Kind      string          `json:"kind"`
	ID        string          `json:"id"`
	Version   int             `json:"version"`
	Ref       string          `json:"ref,omitempty"`
	Body      json.RawMessage `json:"body"`
	Author    string          `json:"author"`
	Note      string          `json:"note,omitempty"`
	CreatedAt time.Time       `json:"created_at"`
}

// ApprovalStatus is where one approval step stands.
type ApprovalStatus string

// Approval statuses. A sequential chain's later steps wait until the step
// before is approved; a step no longer needed (another approver of a
// parallel-any group approved, or a rejection ended the chain) is skipped;
// a new version of the quote supersedes every step still waiting or
// pending on an older version.
const (
	ApprovalWaiting    ApprovalStatus = "waiting"
	ApprovalPending    ApprovalStatus = "pending"
	ApprovalApproved   ApprovalStatus = "approved"
	ApprovalRejected   ApprovalStatus = "rejected"
	ApprovalSkipped    ApprovalStatus = "skipped"
	ApprovalSuperseded ApprovalStatus = "superseded"
)

// Open reports whether the step still waits for someone.
func (s ApprovalStatus) Open() bool { return s == ApprovalWaiting || s == ApprovalPending }

// Approval is one approver's step of one rule's approval on one version of
// a quote.
type Approval struct {
	ID           string         `json:"id"`
	QuoteID      string         `json:"quote_id"`
	QuoteVersion int            `json:"quote_version"`
	DealID       string         `json:"deal_id"`
	Rule         string         `json:"rule"`
	Level        int            `json:"level"`
	Chain        string         `json:"chain,omitempty"`
	Mode         string         `json:"mode"`     // sequential, parallel-any, parallel-all
	Step         int            `json:"step"`     // 0-based position in the rule's steps
	Approver     string         `json:"approver"` // e-mail of the user who acts
	Via          string         `json:"via"`      // how the approver was resolved: "manager of rep Ann", "role finance", "delegated by …", "escalated from …"
	Status       ApprovalStatus `json:"status"`
	Basis        string         `json:"basis"` // why it was requested, or why an earlier decision stands
	CarriedFrom  string         `json:"carried_from,omitempty"`
	Evidence     []string       `json:"evidence"`
	Reason       string         `json:"reason,omitempty"` // the approver's reason
	ActedBy      string         `json:"acted_by,omitempty"`
	RequestedAt  time.Time      `json:"requested_at"`
	DueAt        time.Time      `json:"due_at,omitzero"`
	ActedAt      time.Time      `json:"acted_at,omitzero"`
}

// ApprovalQuery selects approvals; zero fields do not filter.
type ApprovalQuery struct {
	ID           string
	QuoteID      string
	QuoteVersion int
	Approver     string
	Status       []ApprovalStatus
	DueBefore    time.Time // pending steps due before this instant
}

// ApprovalUpdate changes one approval, provided it still has status From:
// the guard that keeps two approvers acting at once, or a decision on a
// superseded version, from being applied twice.
type ApprovalUpdate struct {
	ID       string
	From     ApprovalStatus
	Status   ApprovalStatus
	Approver string // empty: unchanged
	Via      string // empty: unchanged
	Reason   string
	ActedBy  string
	ActedAt  time.Time // zero: unchanged
	DueAt    time.Time // zero: unchanged
}

// QuoteWrite is a new version of a quote and the approvals it needs,
// written in one transaction: the quote document (Doc.Version must be one
// more than the stored latest, or the write fails with ECONFLICT), every
// open approval of the quote's earlier versions superseded, and the new
// approvals inserted.
type QuoteWrite struct {
	Doc       Doc
	Approvals []Approval
	// Notify is queued in the same transaction, so a committed change
	// always has its notifications.
	Notify []Notification
}

// NotificationStatus is where a queued notification stands.
type NotificationStatus string

// Notification statuses: pending until delivered, or failed once its
// attempts are spent.
const (
	NotifyPending   NotificationStatus = "pending"
	NotifyDelivered NotificationStatus = "delivered"
	NotifyFailed    NotificationStatus = "failed"
)

// Notification is one message to one channel in the outbox. Channel names
// where it goes ("webhook:<name>" or "email:<address>"); Payload is the
// event as JSON, which the sender renders for the channel. The outbox
// keeps it until delivered, so a receiver that is down loses nothing.
type Notification struct {
	ID        string             `json:"id"`
	Channel   string             `json:"channel"`
	Event     string             `json:"event"` // approval.requested, approval.approved, approval.rejected, approval.escalated, quote.approved
	Payload   json.RawMessage    `json:"payload"`
	Status    NotificationStatus `json:"status"`
	Attempts  int                `json:"attempts"`
	NextAt    time.Time          `json:"next_at"`
	LastError string             `json:"last_error,omitempty"`
	CreatedAt time.Time          `json:"created_at"`
}

// DeskStore keeps the deal desk's records: versioned documents (quotes,
// rule sets, archetypes, acknowledgments, reviews) and approvals.
type DeskStore interface {
	// PutDoc inserts a document version; it fails with ECONFLICT when the
	// version exists or is not one more than the latest. Audit, when not
	// nil, is written in the same transaction.
	PutDoc(ctx context.Context, d Doc, audit *AuditEntry) error
	// Doc returns one version of a document (0: the latest), or ENOTFOUND.
	Doc(ctx context.Context, kind, id string, version int) (Doc, error)
	// DocVersions returns every version of a document, oldest first;
	// ENOTFOUND when there is none.
	DocVersions(ctx context.Context, kind, id string) ([]Doc, error)
	// Docs returns the latest version of every document of a kind (with
	// Ref equal to ref when ref is not empty), ordered by id.
	Docs(ctx context.Context, kind, ref string) ([]Doc, error)
	// DocsStamp returns a number that changes whenever a document of the
	// kind is written (the count of its versions: versions are never
	// removed), so caches can tell cheaply whether to reload.
	DocsStamp(ctx context.Context, kind string) (int64, error)
	// SaveQuote writes a quote version and its approvals (see QuoteWrite).
	SaveQuote(ctx context.Context, w QuoteWrite, audit *AuditEntry) error
	// Approvals lists approvals matching q, ordered by quote, version,
	// level, rule and step.
	Approvals(ctx context.Context, q ApprovalQuery) ([]Approval, error)
	// UpdateApprovals applies every update or none: if any approval no
	// longer has its From status, nothing changes and the error is
	// ECONFLICT naming it. Audit entries and notifications are written in
	// the same transaction.
	UpdateApprovals(ctx context.Context, updates []ApprovalUpdate, audit []AuditEntry, notify []Notification) error
	// DueNotifications returns up to limit pending notifications whose
	// NextAt is not after now, oldest first.
	DueNotifications(ctx context.Context, now time.Time, limit int) ([]Notification, error)
	// MarkNotification records a delivery attempt: its status, attempts,
	// next attempt time and last error. ENOTFOUND for an unknown id.
	MarkNotification(ctx context.Context, n Notification) error
	// Notifications lists the outbox, newest first, up to limit (0: all).
	Notifications(ctx context.Context, limit int) ([]Notification, error)
}

// Quote is one version of a deal's quote. Prices are per unit per year, so
// a line's annual value is Quantity × NetPrice and the quote's annual
// contract value is the sum over its lines, whatever the term.
type Quote struct {
	ID               string      `json:"id"`
	DealID           string      `json:"deal_id"`
	Version          int         `json:"version"`
	Currency         string      `json:"currency,omitempty"`
	TermMonths       int         `json:"term_months"`
	Billing          string      `json:"billing"`            // monthly, quarterly, annual, upfront
	PaymentDays      int         `json:"payment_terms_days"` // net payment terms
	Nonstandard      bool        `json:"nonstandard"`
	NonstandardTerms string      `json:"nonstandard_terms,omitempty"`
	Lines            []QuoteLine `json:"lines"`
	Promises         []Promise   `json:"promises,omitempty"`
	Author           string      `json:"author,omitempty"`
	CreatedAt        time.Time   `json:"created_at,omitzero"`
	Note             string      `json:"note,omitempty"` // what changed, in the author's words
}

// QuoteLine is one product on a quote. ID identifies the line across
// versions (smart re-approval compares lines by it); Discount is in percent.
type QuoteLine struct {
	ID        string  `json:"id"`
	Product   string  `json:"product"`
	Quantity  float64 `json:"quantity"`
	ListPrice float64 `json:"list_price"`
	Discount  float64 `json:"discount"`
	NetPrice  float64 `json:"net_price"`
}

// Promise is a feature promised to the customer on a quote.
type Promise struct {
	Feature    string    `json:"feature"`
	Date       time.Time `json:"date"` // the promised delivery date
	Beta       bool      `json:"beta,omitempty"`
	Unreleased bool      `json:"unreleased,omitempty"`
}

// ACV is the quote's annual contract value: Σ quantity × net price.
func (q *Quote) ACV() float64 {
	var s float64
	for _, l := range q.Lines {
		s += l.Quantity * l.NetPrice
	}
	return s
}

// Discount is the quote's overall discount in percent: one minus net over
// list value, 0 when the quote has no list value.
func (q *Quote) Discount() float64 {
	var list, net float64
	for _, l := range q.Lines {
		list += l.Quantity * l.ListPrice
		net += l.Quantity * l.NetPrice
	}
	if list <= 0 {
		return 0
	}
	return 100 * (1 - net/list)
}
