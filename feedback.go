package tandem

import (
	"context"
	"time"
)

// Doc kinds of feedback, win/loss and competitive intelligence (issue 8),
// kept in the same versioned document store as the deal desk: every change
// is a new version, so each record carries its own history.
const (
	DocFeedback         = "feedback"          // a feedback item; Ref is its account id
	DocFeedbackSettings = "feedback-settings" // routing rules, acknowledgment SLA, quotas; one id, "settings"
	DocThemeOp          = "theme-op"          // a manual merge or split of themes, replayed in id order
	DocTheme            = "theme"             // a theme's title and links; id is the theme id
	DocVote             = "vote"              // an account's vote for a theme; id "<theme>/<account>", Ref the theme
	DocCompetitor       = "competitor"        // a competitor of the catalog; id is a slug
	DocBattlecard       = "battlecard"        // a competitor's battlecard; id is the competitor id
	DocTaxonomy         = "loss-taxonomy"     // the win/loss reason taxonomy and value map; one id, "active"
	DocWinLoss          = "winloss"           // reasons people recorded for a deal; id is the deal id
	DocInterview        = "interview"         // a buyer interview or survey; Ref is the deal id
	DocPostmortem       = "postmortem"        // a post-mortem; Ref is the deal or account id
)

// FeedbackStatus is where a feedback item stands.
type FeedbackStatus string

// Feedback statuses. An item is new until its owner acknowledges it; after
// that it may be planned, declined or shipped. Any status may follow any
// other (a declined item can be reconsidered), but a status change always
// writes a new version and tells the submitter.
const (
	FeedbackNew          FeedbackStatus = "new"
	FeedbackAcknowledged FeedbackStatus = "acknowledged"
	FeedbackPlanned      FeedbackStatus = "planned"
	FeedbackDeclined     FeedbackStatus = "declined"
	FeedbackShipped      FeedbackStatus = "shipped"
)

// FeedbackStatuses lists the statuses in their usual order.
func FeedbackStatuses() []FeedbackStatus {
	return []FeedbackStatus{FeedbackNew, FeedbackAcknowledged, FeedbackPlanned, FeedbackDeclined, FeedbackShipped}
}

// Feedback sources: the channel an item came through. The submitter is told
// of status changes through the same channel.
const (
	SourceAPI          = "api"
	SourceWeb          = "web"
	SourceCSV          = "csv"
	SourceProductboard = "productboard"
	SourceCanny        = "canny"
	SourceEmail        = "email"
	SourceSlack        = "slack"
)

// Feedback kinds: product feedback, or competitive intelligence (which
// counts toward a rep's intel quota).
const (
	KindFeedback = "feedback"
	KindIntel    = "intel"
)

// Feedback is one piece of field feedback as received, with what routing
// and triage added. Text is kept exactly as received (HTML included) and is
// only ever rendered escaped.
type Feedback struct {
	ID string `json:"id"`
	// Source is the channel (SourceAPI, …); SourceRef is the item's id
	// there (Message-ID, Slack event id, Productboard note id), the key
	// that makes a second delivery of the same item a no-op.
	Source    string `json:"source"`
	SourceRef string `json:"source_ref,omitempty"`
	Kind      string `json:"kind"` // KindFeedback or KindIntel
	// Author is who submitted it: a user's e-mail, a mail sender, a Slack
	// user id; AuthorName the display name. RepID is the rep the author
	// was matched to, if any.
	Author     string `json:"author"`
	AuthorName string `json:"author_name,omitempty"`
	RepID      string `json:"rep_id,omitempty"`
	AccountID  string `json:"account_id,omitempty"`
	DealID     string `json:"deal_id,omitempty"`
	ProductID  string `json:"product_id,omitempty"`
	FeatureID  string `json:"feature_id,omitempty"`
	Title      string `json:"title,omitempty"`
	Text       string `json:"text"`
	// Importance is the submitter's: nice, important or critical (empty:
	// not said).
	Importance  string   `json:"importance,omitempty"`
	Tags        []string `json:"tags,omitempty"`
	Competitors []string `json:"competitors,omitempty"` // competitor ids mentioned in the text
	// Owner is the e-mail of who must acknowledge it; RoutedBy names the
	// routing rule that chose the owner ("default" when none matched).
	Owner      string         `json:"owner,omitempty"`
	RoutedBy   string         `json:"routed_by,omitempty"`
	Status     FeedbackStatus `json:"status"`
	StatusNote string         `json:"status_note,omitempty"`
	ReceivedAt time.Time      `json:"received_at"`
	AckDue     time.Time      `json:"ack_due,omitzero"`
	AckAt      time.Time      `json:"ack_at,omitzero"` // first change away from new
	// ReplyTo is the notification channel that reaches the submitter
	// ("email:<address>", "slack:<channel or user>", "webhook:<name>");
	// empty when the channel cannot answer.
	ReplyTo string `json:"reply_to,omitempty"`
	// Thread is the Message-ID of the first message of a mail thread;
	// InReplyTo the parent's.
	Thread      string               `json:"thread,omitempty"`
	InReplyTo   string               `json:"in_reply_to,omitempty"`
	Attachments []FeedbackAttachment `json:"attachments,omitempty"`
}

// FeedbackAttachment is a file that came with an item; its bytes are kept
// as a Blob under SHA256.
type FeedbackAttachment struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// RoutingRule sends matching feedback to an owner. Every condition that is
// set must hold: product and feature by id, the account's segment, and any
// one keyword found in the title or text (whole words, case-insensitive).
// Rules are tried in order and the first that matches wins.
type RoutingRule struct {
	Name     string   `json:"name"`
	Product  string   `json:"product,omitempty"`
	Feature  string   `json:"feature,omitempty"`
	Segment  string   `json:"segment,omitempty"`
	Keywords []string `json:"keywords,omitempty"`
	Owner    string   `json:"owner"` // a user's e-mail
}

// FeedbackSettings are the feedback hub's settings, one versioned document.
type FeedbackSettings struct {
	// AckBusinessDays is the acknowledgment deadline in business days
	// (Monday to Friday) after receipt.
	AckBusinessDays int           `json:"ack_business_days"`
	Routing         []RoutingRule `json:"routing"`
	// DefaultOwner gets what no rule matches; empty means the first admin.
	DefaultOwner string `json:"default_owner,omitempty"`
	// IntelQuota is the competitive-intelligence items each rep is asked
	// for per calendar month.
	IntelQuota int `json:"intel_quota"`
	// PostmortemMinAmount is the size of a lost deal above which a
	// post-mortem is expected (churned accounts always get one).
	PostmortemMinAmount float64 `json:"postmortem_min_amount"`
	// SlackChannel is the webhook (a --webhook name of kind slack) through
	// which Slack submitters are told of status changes.
	SlackWebhook string `json:"slack_webhook,omitempty"`
}

// DefaultFeedbackSettings are the settings until someone saves theirs.
func DefaultFeedbackSettings() FeedbackSettings {
	return FeedbackSettings{AckBusinessDays: 2, IntelQuota: 1, PostmortemMinAmount: 50000}
}

// Importance levels of feedback and votes, weakest first.
const (
	ImportanceNice      = "nice"
	ImportanceImportant = "important"
	ImportanceCritical  = "critical"
)

// Vote records that an account wants a theme, entered by a product manager
// or rep on the customer's behalf.
type Vote struct {
	Theme      string    `json:"theme"`
	AccountID  string    `json:"account_id"`
	Importance string    `json:"importance"`
	Note       string    `json:"note,omitempty"`
	By         string    `json:"by"`
	At         time.Time `json:"at"`
}

// ThemeInfo is what people add to an automatically grouped theme: a title
// and links to features and specials.
type ThemeInfo struct {
	ID       string   `json:"id"`
	Title    string   `json:"title,omitempty"`
	Features []string `json:"features,omitempty"`
	Specials []string `json:"specials,omitempty"`
}

// ThemeOp is a manual change to the automatic grouping: "merge" moves the
// theme of item From into the theme of item Into; "split" moves item From
// into a theme of its own. Ops name items, not themes, so they replay
// onto a rebuilt index.
type ThemeOp struct {
	Op    string    `json:"op"`
	From  string    `json:"from"`
	Into  string    `json:"into,omitempty"`
	After string    `json:"after,omitempty"` // the item added last when the op was made: a rebuild replays the op right after adding it
	By    string    `json:"by"`
	At    time.Time `json:"at"`
}

// Competitor is an entry of the competitor catalog. Mentions are found by
// Name and Aliases as whole words, case-insensitive.
type Competitor struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Aliases []string `json:"aliases,omitempty"`
	Website string   `json:"website,omitempty"`
	Notes   string   `json:"notes,omitempty"`
}

// Battlecard is what a rep needs against one competitor; each save is a
// new version.
type Battlecard struct {
	Competitor  string      `json:"competitor"`
	Summary     string      `json:"summary,omitempty"`
	Strengths   []string    `json:"strengths,omitempty"`
	Weaknesses  []string    `json:"weaknesses,omitempty"`
	Objections  []Objection `json:"objections,omitempty"`
	Landmines   []string    `json:"landmines,omitempty"`
	ProofPoints []string    `json:"proof_points,omitempty"`
}

// Objection is an objection a buyer raises and how to answer it.
type Objection struct {
	Objection string `json:"objection"`
	Response  string `json:"response"`
}

// Reason categories of the win/loss taxonomy.
const (
	ReasonPrice         = "price"
	ReasonFeature       = "missing-feature"
	ReasonCompetitor    = "competitor"
	ReasonTiming        = "timing"
	ReasonNoDecision    = "no-decision"
	ReasonOnboarding    = "onboarding-risk"
	ReasonOverpromising = "overpromising"
	ReasonOther         = "other"
)

// ReasonDef is one reason of the taxonomy: a code, its label and
// category, the feature or competitor it names, and the features (planned
// or shipped) that address it, for the roadmap check.
type ReasonDef struct {
	Code        string   `json:"code"`
	Label       string   `json:"label"`
	Category    string   `json:"category"`
	Feature     string   `json:"feature,omitempty"`
	Competitor  string   `json:"competitor,omitempty"`
	AddressedBy []string `json:"addressed_by,omitempty"`
}

// Taxonomy is the reason taxonomy as data, with the value map that reads
// free-text CRM loss reasons (matched case- and space-insensitively) as
// reason codes.
type Taxonomy struct {
	Reasons  []ReasonDef       `json:"reasons"`
	ValueMap map[string]string `json:"value_map,omitempty"`
}

// Reason sources: what the rep said (in the CRM or in Tandem), what the
// buyer said in an interview, or in a survey.
const (
	ReasonByRep       = "rep"
	ReasonByInterview = "interview"
	ReasonBySurvey    = "survey"
)

// Confidence levels of a recorded reason.
const (
	ConfidenceLow    = "low"
	ConfidenceMedium = "medium"
	ConfidenceHigh   = "high"
)

// DealReason is one reason a deal was won or lost, with where it came
// from and how sure its source is.
type DealReason struct {
	Code       string    `json:"code"`
	Source     string    `json:"source"`
	Confidence string    `json:"confidence"`
	Note       string    `json:"note,omitempty"`
	By         string    `json:"by,omitempty"`
	At         time.Time `json:"at,omitzero"`
}

// WinLoss is the reasons people recorded for one deal in Tandem; reasons
// from the CRM's loss_reasons column and from interviews are read beside
// it, not copied into it.
type WinLoss struct {
	DealID  string       `json:"deal_id"`
	Reasons []DealReason `json:"reasons"`
}

// Interview is a buyer interview (or survey response) about a decided
// deal, with structured answers and the reasons the buyer gave.
type Interview struct {
	ID          string       `json:"id"`
	DealID      string       `json:"deal_id"`
	Kind        string       `json:"kind"` // ReasonByInterview or ReasonBySurvey
	Interviewee string       `json:"interviewee,omitempty"`
	Role        string       `json:"role,omitempty"`
	Interviewer string       `json:"interviewer,omitempty"`
	Date        time.Time    `json:"date"`
	Answers     []Answer     `json:"answers,omitempty"`
	Reasons     []DealReason `json:"reasons,omitempty"`
}

// Answer is one structured answer of an interview.
type Answer struct {
	Question string `json:"question"`
	Answer   string `json:"answer"`
	Score    *int   `json:"score,omitempty"` // optional 1–5 rating
}

// Root causes a post-mortem names.
var RootCauses = []string{"overpromising", "onboarding", "differentiation", "price", "timing", "no-decision"}

// Postmortem looks back at a lost deal or a churned account.
type Postmortem struct {
	ID        string           `json:"id"`
	Subject   string           `json:"subject"` // "deal" or "account"
	SubjectID string           `json:"subject_id"`
	Causes    []string         `json:"causes"`
	Summary   string           `json:"summary,omitempty"`
	Evidence  []string         `json:"evidence,omitempty"` // links: deals, feedback items, calls, documents
	Actions   []PostmortemStep `json:"actions,omitempty"`
	Date      time.Time        `json:"date"`
}

// PostmortemStep is an action a post-mortem decided, with its owner.
type PostmortemStep struct {
	What  string    `json:"what"`
	Owner string    `json:"owner"`
	Due   time.Time `json:"due,omitzero"`
	Done  bool      `json:"done,omitempty"`
}

// Blob is a stored file, addressed by the SHA-256 of its bytes.
type Blob struct {
	SHA256      string `json:"sha256"`
	ContentType string `json:"content_type"`
	Data        []byte `json:"-"`
}

// DocWrite is a batch written in one transaction: document versions (each
// one more than its stored latest, or the whole batch fails with
// ECONFLICT naming it), blobs (kept when already stored), audit entries
// and notifications.
type DocWrite struct {
	Docs   []Doc
	Blobs  []Blob
	Audit  []AuditEntry
	Notify []Notification
}

// DocBatchStore writes batches of documents and keeps blobs.
type DocBatchStore interface {
	// WriteDocs writes the batch, all of it or none.
	WriteDocs(ctx context.Context, w DocWrite) error
	// Blob returns a stored blob, or ENOTFOUND.
	Blob(ctx context.Context, sha256 string) (Blob, error)
}
