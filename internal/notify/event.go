package notify

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
)

// Events a notification announces; tandem.Notification.Event holds one.
const (
	EventApprovalRequested = "approval.requested"
	EventApprovalApproved  = "approval.approved"
	EventApprovalRejected  = "approval.rejected"
	EventApprovalEscalated = "approval.escalated"
	EventQuoteApproved     = "quote.approved"
	// EventFeedbackStatus tells a feedback submitter their item's new
	// status.
	EventFeedbackStatus = "feedback.status"
	// EventSpecialStep tells a special's filer and the leaders that it
	// moved through the process.
	EventSpecialStep = "special.step"
)

// Event is the payload schema: the JSON the service queues in
// tandem.Notification.Payload, which a "json" webhook receives unchanged
// and from which Render and the Slack format draw their text. Receivers
// should ignore fields they do not know, so fields can be added.
type Event struct {
	// Event is one of the Event* constants.
	Event string `json:"event"`
	// QuoteID and QuoteVersion name the quote version the event is about.
	QuoteID      string `json:"quote_id"`
	QuoteVersion int    `json:"quote_version"`
	DealID       string `json:"deal_id"`
	// Rule and Level are the approval rule that asked for the approval
	// and its level; empty for quote.approved.
	Rule  string `json:"rule,omitempty"`
	Level int    `json:"level,omitempty"`
	// Approver is the e-mail of who is asked to act (requested,
	// escalated: the new approver) or who acted (approved, rejected).
	Approver string `json:"approver,omitempty"`
	// Status is the approval step's tandem.ApprovalStatus after the
	// event, or "approved" for quote.approved.
	Status string `json:"status"`
	// Reason is why: the rule's basis on a request or escalation, the
	// approver's words on a decision.
	Reason string `json:"reason,omitempty"`
	// URL opens the quote (or feedback item) in Tandem.
	URL string `json:"url,omitempty"`
	// FeedbackID and Title name the feedback item of feedback.status;
	// Mention is the Slack user id to address in a Slack message.
	FeedbackID string `json:"feedback_id,omitempty"`
	Title      string `json:"title,omitempty"`
	Mention    string `json:"mention,omitempty"`
	// SpecialID names the special of special.step; Status is its step
	// after the move and Reason the move.
	SpecialID string `json:"special_id,omitempty"`
}

// Render returns a notification's subject line and plain-text body, for
// e-mail and for the text of chat messages. A payload that is not an Event
// still renders, from the notification's event name, so a person sees that
// something happened.
func (s *Sender) Render(n tandem.Notification) (subject, text string) {
	e := decodeEvent(n)
	subject, lines := describe(e)
	if e.URL != "" {
		lines = append(lines, "", "Open: "+e.URL)
	}
	return subject, strings.Join(lines, "\n") + "\n"
}

func decodeEvent(n tandem.Notification) Event {
	var e Event
	_ = json.Unmarshal(n.Payload, &e) // a bad payload renders what it can
	if e.Event == "" {
		e.Event = n.Event
	}
	return e
}

// describe returns the subject and the body lines (without the link).
func describe(e Event) (subject string, lines []string) {
	switch e.Event {
	case EventFeedbackStatus:
		return describeFeedback(e)
	case EventSpecialStep:
		title := orUnknown(e.Title)
		subject = "Special " + orUnknown(e.Status) + ": " + title
		lines = append(lines, fmt.Sprintf("Special %q (%s, deal %s): %s, now at %s.", title, orUnknown(e.SpecialID), orUnknown(e.DealID), orUnknown(e.Reason), orUnknown(e.Status)))
		return subject, lines
	}
	quote := "quote " + orUnknown(e.QuoteID)
	if e.QuoteVersion > 0 {
		quote += fmt.Sprintf(" v%d", e.QuoteVersion)
	}
	what := quote
	if e.DealID != "" {
		what += " (deal " + e.DealID + ")"
	}
	approver := orUnknown(e.Approver)

	switch e.Event {
	case EventApprovalRequested:
		subject = "Approval needed: " + what
		lines = append(lines, fmt.Sprintf("%s needs approval from %s.", capital(what), approver))
	case EventApprovalApproved:
		subject = "Approved: " + what
		lines = append(lines, fmt.Sprintf("%s approved %s.", approver, what))
	case EventApprovalRejected:
		subject = "Rejected: " + what
		lines = append(lines, fmt.Sprintf("%s rejected %s.", approver, what))
	case EventApprovalEscalated:
		subject = "Approval escalated: " + what
		lines = append(lines, fmt.Sprintf("Approval of %s was escalated to %s.", what, approver))
	case EventQuoteApproved:
		subject = "Quote approved: " + what
		lines = append(lines, fmt.Sprintf("%s has every approval it needs.", capital(what)))
	default:
		subject = "Tandem " + orUnknown(e.Event) + ": " + what
		lines = append(lines, fmt.Sprintf("Event %s on %s.", orUnknown(e.Event), what))
	}
	lines = append(lines, "")
	if e.Rule != "" {
		rule := "Rule: " + e.Rule
		if e.Level > 0 {
			rule += fmt.Sprintf(" (level %d)", e.Level)
		}
		lines = append(lines, rule)
	}
	if e.Reason != "" {
		lines = append(lines, "Reason: "+e.Reason)
	}
	if e.Status != "" {
		lines = append(lines, "Status: "+e.Status)
	}
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return subject, lines
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

func capital(s string) string {
	if s == "" {
		return s
	}
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}

// slackMessage is a Slack incoming-webhook message. Text is the fallback
// shown in notifications and by clients that cannot draw blocks.
type slackMessage struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

type slackBlock struct {
	Type     string         `json:"type"`
	Text     *slackText     `json:"text,omitempty"`
	Elements []slackElement `json:"elements,omitempty"`
}

type slackText struct {
	Type string `json:"type"` // plain_text or mrkdwn
	Text string `json:"text"`
}

type slackElement struct {
	Type string     `json:"type"`
	Text *slackText `json:"text,omitempty"`
	URL  string     `json:"url,omitempty"`
}

// Slack's documented limits on block text, beyond which it rejects the
// whole message.
const (
	slackHeaderMax  = 150
	slackSectionMax = 3000
)

// slackBody renders n as a Slack message: a header with the subject, a
// section with the details and, when the event links to the quote, a
// button to open it.
func slackBody(n tandem.Notification) ([]byte, error) {
	e := decodeEvent(n)
	subject, lines := describe(e)
	m := slackMessage{
		Text: slackEscape(subject),
		Blocks: []slackBlock{
			{Type: "header", Text: &slackText{Type: "plain_text", Text: truncate(subject, slackHeaderMax)}},
			{Type: "section", Text: &slackText{Type: "mrkdwn", Text: truncate(slackEscape(strings.Join(lines, "\n")), slackSectionMax)}},
		},
	}
	if u, err := url.Parse(e.URL); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
		m.Blocks = append(m.Blocks, slackBlock{Type: "actions", Elements: []slackElement{{
			Type: "button",
			Text: &slackText{Type: "plain_text", Text: "Open quote"},
			URL:  e.URL,
		}}})
	}
	return json.Marshal(m)
}

// slackEscape escapes the three characters Slack's mrkdwn treats as
// markup, so a rule name cannot turn into a mention or a link.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// truncate cuts s to at most limit runes.
func truncate(s string, limit int) string {
	r := []rune(s)
	if len(r) <= limit {
		return s
	}
	return string(r[:limit-1]) + "…"
}

// describeFeedback words a feedback status change for its submitter.
func describeFeedback(e Event) (subject string, lines []string) {
	title := orUnknown(e.Title)
	subject = "Your feedback is " + orUnknown(e.Status) + ": " + title
	who := ""
	if e.Mention != "" {
		who = "<@" + e.Mention + "> "
	}
	lines = append(lines, fmt.Sprintf("%sYour feedback %q (%s) is now %s.", who, title, orUnknown(e.FeedbackID), orUnknown(e.Status)))
	if e.Reason != "" {
		lines = append(lines, "", "Note: "+e.Reason)
	}
	return subject, lines
}
