package feedback

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tandemhq/tandem"
)

// Slack request signing (version v0), as described at
// https://api.slack.com/authentication/verifying-requests-from-slack.
const (
	SlackSignatureHeader = "X-Slack-Signature"
	SlackTimestampHeader = "X-Slack-Request-Timestamp"
	// SlackMaxSkew is how far a request's timestamp may be from now, in
	// either direction: Slack's recommended five minutes.
	SlackMaxSkew = 5 * time.Minute
	// SlackReplayWindow is the window a ReplayGuard needs to catch every
	// replay VerifySlack would accept: a request first seen at the start
	// of its timestamp's acceptance span can be replayed until its end,
	// twice SlackMaxSkew later.
	SlackReplayWindow = 2 * SlackMaxSkew
)

// SlackSignature is the X-Slack-Signature value Slack sends for body at
// timestamp: "v0=" and the hex HMAC-SHA256, keyed with the app's signing
// secret, of "v0:" + timestamp + ":" + body. Tests and local tools use it
// to sign requests the way Slack does.
func SlackSignature(secret []byte, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("v0:" + timestamp + ":"))
	m.Write(body)
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}

// VerifySlack checks that a request comes from Slack: both headers are
// present, the timestamp is within SlackMaxSkew of now (which bounds
// replays), and the signature matches the raw body. Each failure has its
// own message and the code EUNAUTHORIZED; an empty secret is a
// configuration error, not the caller's fault. body must be the bytes as
// received, before any form or JSON parsing.
func VerifySlack(secret []byte, header http.Header, body []byte, now time.Time) error {
	if len(secret) == 0 {
		return errors.New("verify slack request: no signing secret configured")
	}
	ts := header.Get(SlackTimestampHeader)
	sig := header.Get(SlackSignatureHeader)
	switch {
	case ts == "" && sig == "":
		return tandem.Errorf(tandem.EUNAUTHORIZED, "not a signed Slack request: missing %s and %s headers", SlackTimestampHeader, SlackSignatureHeader)
	case ts == "":
		return tandem.Errorf(tandem.EUNAUTHORIZED, "missing %s header", SlackTimestampHeader)
	case sig == "":
		return tandem.Errorf(tandem.EUNAUTHORIZED, "missing %s header", SlackSignatureHeader)
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || secs <= 0 {
		return tandem.Errorf(tandem.EUNAUTHORIZED, "%s is not a Unix time in seconds: %q", SlackTimestampHeader, clip(ts, 32))
	}
	// Compare in seconds: a huge timestamp would overflow time.Duration.
	nowSecs := now.Unix()
	maxSkew := int64(SlackMaxSkew / time.Second)
	switch d := nowSecs - secs; {
	case d > maxSkew:
		return tandem.Errorf(tandem.EUNAUTHORIZED, "Slack request timestamp is %s old, more than %s: a stale or replayed request, or a wrong clock", time.Duration(min(d, 1<<32))*time.Second, SlackMaxSkew)
	case d < -maxSkew:
		return tandem.Errorf(tandem.EUNAUTHORIZED, "Slack request timestamp is %s in the future, more than %s: a forged request or a wrong clock", time.Duration(min(-d, 1<<32))*time.Second, SlackMaxSkew)
	}
	hexSig, ok := strings.CutPrefix(sig, "v0=")
	got, err := hex.DecodeString(hexSig)
	if !ok || err != nil || len(got) != sha256.Size {
		return tandem.Errorf(tandem.EUNAUTHORIZED, "malformed %s: expected v0= and 64 hex digits", SlackSignatureHeader)
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("v0:" + ts + ":"))
	m.Write(body)
	if !hmac.Equal(got, m.Sum(nil)) {
		return tandem.Errorf(tandem.EUNAUTHORIZED, "Slack signature does not match: wrong signing secret or altered body")
	}
	return nil
}

// clip shortens s for a message, so a hostile header cannot fill a log.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// ReplayGuard remembers the signatures of recent requests so the same
// signed request, captured and sent again while its timestamp is still
// accepted, is refused. Call Seen only after VerifySlack succeeded: then
// only authentic requests are remembered, and memory is bounded by the
// requests Slack sends in one window. Slack's own retries carry a new
// timestamp, hence a new signature, and pass; deduplicate those by event
// id. It is safe for concurrent use; the zero value is not ready, use
// NewReplayGuard.
type ReplayGuard struct {
	window time.Duration
	mu     sync.Mutex
	seen   map[string]time.Time
	order  []seenSig // in the order recorded, for pruning from the front
}

// seenSig is a signature and when it was first seen.
type seenSig struct {
	sig string
	at  time.Time
}

// NewReplayGuard returns a guard that remembers signatures for window;
// SlackReplayWindow covers everything VerifySlack accepts.
func NewReplayGuard(window time.Duration) *ReplayGuard {
	return &ReplayGuard{window: window, seen: map[string]time.Time{}}
}

// Seen reports whether sig was already seen within the window before now,
// and remembers it if not. Entries older than the window are dropped.
func (g *ReplayGuard) Seen(sig string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.prune(now)
	if at, ok := g.seen[sig]; ok && now.Sub(at) <= g.window {
		return true
	}
	g.seen[sig] = now
	g.order = append(g.order, seenSig{sig, now})
	return false
}

// Len is the number of signatures remembered, for tests and metrics.
func (g *ReplayGuard) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.seen)
}

// prune drops entries older than the window. Entries are recorded in
// call order; a clock that steps back only delays pruning of the later
// ones, never drops a live one early.
func (g *ReplayGuard) prune(now time.Time) {
	i := 0
	for ; i < len(g.order); i++ {
		e := g.order[i]
		if now.Sub(e.at) <= g.window {
			break
		}
		if g.seen[e.sig].Equal(e.at) {
			delete(g.seen, e.sig)
		}
	}
	if i > 0 {
		g.order = append(g.order[:0:0], g.order[i:]...)
	}
}

// SlashCommand is a Slack slash command invocation (say "/feedback SSO
// is a blocker for Acme"). The verification token Slack also sends is
// deprecated in favor of signatures and is deliberately not kept, so it
// cannot end up in a log.
type SlashCommand struct {
	TeamID      string
	TeamDomain  string
	ChannelID   string
	ChannelName string
	UserID      string
	UserName    string
	Command     string
	Text        string
	ResponseURL string
	TriggerID   string
}

// ParseSlashCommand reads a slash command's form-encoded body. The
// command and its text must be non-empty (an empty /feedback is not
// feedback), and a response_url, which the service will post to, must be
// an https URL on Slack's domain.
func ParseSlashCommand(body []byte) (SlashCommand, error) {
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return SlashCommand{}, tandem.Errorf(tandem.EINVALID, "slash command: body is not form-encoded: %v", err)
	}
	c := SlashCommand{
		TeamID:      v.Get("team_id"),
		TeamDomain:  v.Get("team_domain"),
		ChannelID:   v.Get("channel_id"),
		ChannelName: v.Get("channel_name"),
		UserID:      v.Get("user_id"),
		UserName:    v.Get("user_name"),
		Command:     strings.TrimSpace(v.Get("command")),
		Text:        v.Get("text"),
		ResponseURL: v.Get("response_url"),
		TriggerID:   v.Get("trigger_id"),
	}
	switch {
	case c.Command == "":
		return SlashCommand{}, tandem.Errorf(tandem.EINVALID, "slash command: no command")
	case !strings.HasPrefix(c.Command, "/"):
		return SlashCommand{}, tandem.Errorf(tandem.EINVALID, "slash command: command %q does not start with /", clip(c.Command, 40))
	case strings.TrimSpace(c.Text) == "":
		return SlashCommand{}, tandem.Errorf(tandem.EINVALID, "slash command %s: no text; write the feedback after the command", c.Command)
	case c.UserID == "":
		return SlashCommand{}, tandem.Errorf(tandem.EINVALID, "slash command %s: no user_id", c.Command)
	}
	if c.ResponseURL != "" {
		if err := checkSlackURL(c.ResponseURL); err != nil {
			return SlashCommand{}, fmt.Errorf("slash command %s: %w", c.Command, err)
		}
	}
	return c, nil
}

// checkSlackURL refuses a response URL that is not https on slack.com (or
// GovSlack's slack-gov.com): the service posts to it, and must not be
// steered to an internal address.
func checkSlackURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.User != nil {
		return tandem.Errorf(tandem.EINVALID, "response_url is not an https URL")
	}
	h := strings.ToLower(u.Hostname())
	for _, d := range []string{"slack.com", "slack-gov.com"} {
		if h == d || strings.HasSuffix(h, "."+d) {
			if u.Port() != "" && u.Port() != "443" {
				break
			}
			return nil
		}
	}
	return tandem.Errorf(tandem.EINVALID, "response_url host %q is not Slack's", clip(h, 64))
}

// Slack Events API envelope types.
const (
	SlackURLVerification = "url_verification"
	SlackEventCallback   = "event_callback"
)

// Event is an Events API request. For url_verification only Challenge is
// set, to be echoed back. For event_callback, Message holds the inner
// message or app_mention event; Ignore says the request is authentic but
// carries nothing to record (a bot's message, an edit, another event
// type), with Reason for the log, so the handler answers 200 and Slack
// does not retry.
type Event struct {
	Type      string
	Challenge string
	EventID   string
	EventTime time.Time
	TeamID    string
	APIAppID  string
	Message   SlackMessage
	Ignore    bool
	Reason    string
}

// SlackMessage is the inner event of an event_callback: a message in a
// channel the app is in, or a message mentioning the app. TS is the
// message's id within its channel; ThreadTS the parent's, for replies.
type SlackMessage struct {
	Type        string `json:"type"`
	Subtype     string `json:"subtype"`
	User        string `json:"user"`
	BotID       string `json:"bot_id"`
	Text        string `json:"text"`
	Channel     string `json:"channel"`
	ChannelType string `json:"channel_type"`
	TS          string `json:"ts"`
	ThreadTS    string `json:"thread_ts"`
}

// ParseEvent reads an Events API JSON body. A url_verification must carry
// its challenge; an event_callback its event_id, team_id and an inner
// event with a type. Inner events other than message and app_mention,
// messages with a subtype (edits, joins, bot posts) and messages from
// bots come back with Ignore set, so the bot's own replies never loop
// back in as feedback. The deprecated verification token is not read.
func ParseEvent(body []byte) (Event, error) {
	var env struct {
		Type      string          `json:"type"`
		Challenge string          `json:"challenge"`
		EventID   string          `json:"event_id"`
		EventTime json.Number     `json:"event_time"`
		TeamID    string          `json:"team_id"`
		APIAppID  string          `json:"api_app_id"`
		Event     json.RawMessage `json:"event"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		return Event{}, tandem.Errorf(tandem.EINVALID, "slack event: body is not a JSON object: %v", err)
	}
	ev := Event{Type: env.Type, EventID: env.EventID, TeamID: env.TeamID, APIAppID: env.APIAppID}
	switch env.Type {
	case SlackURLVerification:
		if env.Challenge == "" {
			return Event{}, tandem.Errorf(tandem.EINVALID, "slack url_verification: no challenge")
		}
		ev.Challenge = env.Challenge
		return ev, nil
	case SlackEventCallback:
	case "":
		return Event{}, tandem.Errorf(tandem.EINVALID, "slack event: no type")
	default:
		ev.Ignore, ev.Reason = true, fmt.Sprintf("envelope type %q is not handled", clip(env.Type, 40))
		return ev, nil
	}

	if env.EventID == "" {
		return Event{}, tandem.Errorf(tandem.EINVALID, "slack event_callback: no event_id")
	}
	if env.TeamID == "" {
		return Event{}, tandem.Errorf(tandem.EINVALID, "slack event_callback %s: no team_id", clip(env.EventID, 40))
	}
	if env.EventTime != "" {
		secs, err := env.EventTime.Int64()
		if err != nil || secs < 0 {
			return Event{}, tandem.Errorf(tandem.EINVALID, "slack event_callback %s: event_time %q is not Unix seconds", clip(env.EventID, 40), clip(env.EventTime.String(), 32))
		}
		ev.EventTime = time.Unix(secs, 0).UTC()
	}
	if len(env.Event) == 0 || string(env.Event) == "null" {
		return Event{}, tandem.Errorf(tandem.EINVALID, "slack event_callback %s: no event", clip(env.EventID, 40))
	}
	if err := json.Unmarshal(env.Event, &ev.Message); err != nil {
		return Event{}, tandem.Errorf(tandem.EINVALID, "slack event_callback %s: event is not an object: %v", clip(env.EventID, 40), err)
	}
	m := ev.Message
	switch {
	case m.Type == "":
		return Event{}, tandem.Errorf(tandem.EINVALID, "slack event_callback %s: event has no type", clip(env.EventID, 40))
	case m.Type != "message" && m.Type != "app_mention":
		ev.Ignore, ev.Reason = true, fmt.Sprintf("event type %q is not handled", clip(m.Type, 40))
	case m.BotID != "" || m.Subtype == "bot_message":
		ev.Ignore, ev.Reason = true, "a bot's message"
	case m.Subtype != "":
		ev.Ignore, ev.Reason = true, fmt.Sprintf("message subtype %q", clip(m.Subtype, 40))
	case m.User == "":
		ev.Ignore, ev.Reason = true, "a message without a user"
	case strings.TrimSpace(m.Text) == "":
		ev.Ignore, ev.Reason = true, "an empty message"
	}
	return ev, nil
}
