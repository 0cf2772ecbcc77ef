package feedback

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

// slackExample is Slack's documented signing example (testdata/SOURCES.md).
type slackExample struct {
	Secret    string `json:"signing_secret"`
	Timestamp string `json:"timestamp"`
	Body      string `json:"body"`
	Signature string `json:"signature"`
}

func loadSlackExample(t *testing.T) slackExample {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "slack_signing_example.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ex slackExample
	if err := json.Unmarshal(b, &ex); err != nil {
		t.Fatal(err)
	}
	if ex.Secret == "" || ex.Timestamp == "" || ex.Body == "" || ex.Signature == "" {
		t.Fatalf("incomplete example %+v", ex)
	}
	return ex
}

func slackHeader(ts, sig string) http.Header {
	h := http.Header{}
	if ts != "" {
		h.Set(SlackTimestampHeader, ts)
	}
	if sig != "" {
		h.Set(SlackSignatureHeader, sig)
	}
	return h
}

// TestSlackDocumentedExample checks the implementation against the
// signature Slack publishes for its example request, so a scheme that only
// agrees with itself cannot pass.
func TestSlackDocumentedExample(t *testing.T) {
	ex := loadSlackExample(t)
	if got := SlackSignature([]byte(ex.Secret), ex.Timestamp, []byte(ex.Body)); got != ex.Signature {
		t.Fatalf("SlackSignature = %s, Slack documents %s", got, ex.Signature)
	}
	now := time.Unix(1531420618, 0).Add(30 * time.Second)
	if err := VerifySlack([]byte(ex.Secret), slackHeader(ex.Timestamp, ex.Signature), []byte(ex.Body), now); err != nil {
		t.Fatalf("VerifySlack(documented example) = %v", err)
	}
}

func TestVerifySlackRefusals(t *testing.T) {
	ex := loadSlackExample(t)
	secret, body := []byte(ex.Secret), []byte(ex.Body)
	ts := time.Unix(1531420618, 0)
	tests := []struct {
		name   string
		secret []byte
		header http.Header
		body   []byte
		now    time.Time
		msg    string
	}{
		{"wrong secret", []byte("8f742231b10e8888abcd99yyyzzz85a6"), slackHeader(ex.Timestamp, ex.Signature), body, ts, "signature does not match"},
		{"tampered body", secret, slackHeader(ex.Timestamp, ex.Signature), []byte(strings.Replace(ex.Body, "roadrunner", "coyote", 1)), ts, "signature does not match"},
		{"one byte more", secret, slackHeader(ex.Timestamp, ex.Signature), append([]byte(ex.Body), '&'), ts, "signature does not match"},
		{"timestamp changed", secret, slackHeader("1531420619", ex.Signature), body, ts, "signature does not match"},
		{"old", secret, slackHeader(ex.Timestamp, ex.Signature), body, ts.Add(5*time.Minute + time.Second), "5m1s old"},
		{"future", secret, slackHeader(ex.Timestamp, ex.Signature), body, ts.Add(-5*time.Minute - time.Second), "5m1s in the future"},
		{"no headers", secret, http.Header{}, body, ts, "missing X-Slack-Request-Timestamp and X-Slack-Signature"},
		{"no timestamp", secret, slackHeader("", ex.Signature), body, ts, "missing X-Slack-Request-Timestamp header"},
		{"no signature", secret, slackHeader(ex.Timestamp, ""), body, ts, "missing X-Slack-Signature header"},
		{"timestamp not a number", secret, slackHeader("yesterday", ex.Signature), body, ts, "is not a Unix time"},
		{"timestamp in ms", secret, slackHeader("1531420618000", ex.Signature), body, ts, "in the future"},
		{"huge timestamp", secret, slackHeader("9223372036854775807", ex.Signature), body, ts, "in the future"},
		{"negative timestamp", secret, slackHeader("-1", ex.Signature), body, ts, "is not a Unix time"},
		{"no v0 prefix", secret, slackHeader(ex.Timestamp, strings.TrimPrefix(ex.Signature, "v0=")), body, ts, "malformed X-Slack-Signature"},
		{"v1 prefix", secret, slackHeader(ex.Timestamp, "v1="+strings.TrimPrefix(ex.Signature, "v0=")), body, ts, "malformed X-Slack-Signature"},
		{"not hex", secret, slackHeader(ex.Timestamp, "v0="+strings.Repeat("z", 64)), body, ts, "malformed X-Slack-Signature"},
		{"short", secret, slackHeader(ex.Timestamp, ex.Signature[:40]), body, ts, "malformed X-Slack-Signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := VerifySlack(tt.secret, tt.header, tt.body, tt.now)
			if err == nil {
				t.Fatal("accepted")
			}
			if c := tandem.ErrorCode(err); c != tandem.EUNAUTHORIZED {
				t.Errorf("code = %s, want %s", c, tandem.EUNAUTHORIZED)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q lacks %q", err, tt.msg)
			}
		})
	}
	// The edges of the window are accepted.
	for _, now := range []time.Time{ts.Add(SlackMaxSkew), ts.Add(-SlackMaxSkew)} {
		if err := VerifySlack(secret, slackHeader(ex.Timestamp, ex.Signature), body, now); err != nil {
			t.Errorf("at %s from the timestamp: %v", now.Sub(ts), err)
		}
	}
	// No secret is our misconfiguration, not the caller's: internal.
	if err := VerifySlack(nil, slackHeader(ex.Timestamp, ex.Signature), body, ts); tandem.ErrorCode(err) != tandem.EINTERNAL {
		t.Errorf("empty secret: %v (code %s)", err, tandem.ErrorCode(err))
	}
}

func TestReplayGuard(t *testing.T) {
	ex := loadSlackExample(t)
	secret, body := []byte(ex.Secret), []byte(ex.Body)
	ts := time.Unix(1531420618, 0)
	g := NewReplayGuard(SlackReplayWindow)

	// First delivery passes; the identical request a minute later is a
	// replay even though its signature and timestamp still verify.
	accept := func(now time.Time) bool {
		h := slackHeader(ex.Timestamp, ex.Signature)
		if err := VerifySlack(secret, h, body, now); err != nil {
			return false
		}
		return !g.Seen(h.Get(SlackSignatureHeader), now)
	}
	if !accept(ts.Add(-SlackMaxSkew)) {
		t.Fatal("first delivery refused")
	}
	if accept(ts.Add(time.Minute)) {
		t.Fatal("replay within the window accepted")
	}
	if accept(ts.Add(SlackMaxSkew)) {
		t.Fatal("replay at the end of the acceptance span accepted")
	}

	// Another request is not confused with it.
	if g.Seen("v0=other", ts) {
		t.Error("a new signature was reported as seen")
	}
	// Entries older than the window are dropped: memory stays bounded.
	later := ts.Add(-SlackMaxSkew).Add(SlackReplayWindow + time.Second)
	if g.Seen("v0=third", later) {
		t.Error("new signature seen")
	}
	if n := g.Len(); n != 2 { // "v0=other" and "v0=third"; the first one is gone
		t.Errorf("Len = %d after the window passed, want 2", n)
	}
	if g.Seen(ex.Signature, later) {
		t.Error("a signature older than the window is still remembered")
	}

	// Many requests over a long time keep only one window's worth.
	g2 := NewReplayGuard(time.Minute)
	for i := range 10_000 {
		g2.Seen(strings.Repeat("x", i%7)+string(rune('a'+i%26))+time.Duration(i).String(), ts.Add(time.Duration(i)*time.Second))
	}
	if n := g2.Len(); n > 61 {
		t.Errorf("Len = %d, want at most a minute of entries", n)
	}
}

func TestReplayGuardConcurrent(t *testing.T) {
	g := NewReplayGuard(time.Minute)
	now := time.Unix(1_800_000_000, 0)
	var wg sync.WaitGroup
	var mu sync.Mutex
	fresh := 0
	for range 16 {
		wg.Go(func() {
			if !g.Seen("v0=same", now) {
				mu.Lock()
				fresh++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if fresh != 1 {
		t.Errorf("%d goroutines saw the signature as new, want 1", fresh)
	}
}

func TestParseSlashCommand(t *testing.T) {
	body := "token=secret-token&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar" +
		"&user_id=U2CERLKJA&user_name=roadrunner&command=%2Ffeedback&text=Acme+needs+SSO+%26+SCIM+before+renewal" +
		"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN" +
		"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	c, err := ParseSlashCommand([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := SlashCommand{
		TeamID: "T1DC2JH3J", TeamDomain: "testteamnow", ChannelID: "G8PSS9T3V", ChannelName: "foobar",
		UserID: "U2CERLKJA", UserName: "roadrunner", Command: "/feedback", Text: "Acme needs SSO & SCIM before renewal",
		ResponseURL: "https://hooks.slack.com/commands/T1DC2JH3J/397700885554/96rGlfmibIGlgcZRskXaIFfN",
		TriggerID:   "398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c",
	}
	if c != want {
		t.Errorf("got %+v\nwant %+v", c, want)
	}
	if strings.Contains(strings.ToLower(formatAll(c)), "secret-token") {
		t.Error("the verification token was kept")
	}
}

// formatAll renders every field, to check none holds the token.
func formatAll(c SlashCommand) string {
	b, _ := json.Marshal(c)
	return string(b)
}

func TestParseSlashCommandErrors(t *testing.T) {
	ex := loadSlackExample(t)
	tests := []struct{ name, body, msg string }{
		{"documented example has no text", ex.Body, "no text"},
		{"no command", "user_id=U1&text=hi", "no command"},
		{"command without slash", "user_id=U1&command=feedback&text=hi", "does not start with /"},
		{"blank text", "user_id=U1&command=%2Ffeedback&text=+++", "no text"},
		{"no user", "command=%2Ffeedback&text=hi", "no user_id"},
		{"bad encoding", "command=%2Ffeedback&text=%zz", "not form-encoded"},
		{"http response_url", "user_id=U1&command=%2Ffeedback&text=hi&response_url=http%3A%2F%2Fhooks.slack.com%2Fx", "not an https URL"},
		{"foreign response_url", "user_id=U1&command=%2Ffeedback&text=hi&response_url=https%3A%2F%2F169.254.169.254%2Flatest", "is not Slack's"},
		{"look-alike host", "user_id=U1&command=%2Ffeedback&text=hi&response_url=https%3A%2F%2Fhooks.slack.com.evil.example%2Fx", "is not Slack's"},
		{"odd port", "user_id=U1&command=%2Ffeedback&text=hi&response_url=https%3A%2F%2Fhooks.slack.com%3A8443%2Fx", "is not Slack's"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseSlashCommand([]byte(tt.body))
			if err == nil {
				t.Fatal("accepted")
			}
			if c := tandem.ErrorCode(err); c != tandem.EINVALID {
				t.Errorf("code = %s", c)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q lacks %q", err, tt.msg)
			}
		})
	}
}

func TestParseEvent(t *testing.T) {
	tests := []struct {
		file   string
		want   Event
		reason string
	}{
		{"slack_url_verification.json", Event{Type: SlackURLVerification, Challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}, ""},
		{"slack_event_message.json", Event{
			Type: SlackEventCallback, EventID: "Ev123ABC456", EventTime: time.Unix(1355517523, 0).UTC(), TeamID: "T123ABC456", APIAppID: "A123ABC456",
			Message: SlackMessage{Type: "message", User: "U123ABC456", Text: "Live long and prospect.", Channel: "C123ABC456", ChannelType: "channel", TS: "1355517523.000005"},
		}, ""},
		{"slack_event_app_mention.json", Event{
			Type: SlackEventCallback, EventID: "Ev123ABC459", EventTime: time.Unix(1767225600, 0).UTC(), TeamID: "T123ABC456", APIAppID: "A123ABC456",
			Message: SlackMessage{Type: "app_mention", User: "U123ABC456", Text: "<@U0LAN0Z89> Globex asked again for a bulk export; they are trialling Initech.",
				Channel: "C123ABC456", TS: "1767225600.000100", ThreadTS: "1767225500.000050"},
		}, ""},
		{"slack_event_subtype.json", Event{}, `message subtype "channel_posting_permissions"`},
		{"slack_event_bot.json", Event{}, "a bot's message"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			ev, err := ParseEvent(b)
			if err != nil {
				t.Fatal(err)
			}
			if tt.reason != "" {
				if !ev.Ignore || ev.Reason != tt.reason {
					t.Errorf("Ignore %v %q, want ignored: %q", ev.Ignore, ev.Reason, tt.reason)
				}
				return
			}
			if ev != tt.want {
				t.Errorf("got  %+v\nwant %+v", ev, tt.want)
			}
		})
	}
}

func TestParseEventIgnoredAndErrors(t *testing.T) {
	ignored := []struct{ body, reason string }{
		{`{"type":"app_rate_limited","team_id":"T1","minute_rate_limited":1518467820}`, `envelope type "app_rate_limited" is not handled`},
		{`{"type":"event_callback","event_id":"Ev1","team_id":"T1","event":{"type":"reaction_added","user":"U1"}}`, `event type "reaction_added" is not handled`},
		{`{"type":"event_callback","event_id":"Ev1","team_id":"T1","event":{"type":"message","subtype":"bot_message","text":"hi"}}`, "a bot's message"},
		{`{"type":"event_callback","event_id":"Ev1","team_id":"T1","event":{"type":"message","subtype":"message_changed","user":"U1","text":"hi"}}`, `message subtype "message_changed"`},
		{`{"type":"event_callback","event_id":"Ev1","team_id":"T1","event":{"type":"message","text":"hi"}}`, "a message without a user"},
		{`{"type":"event_callback","event_id":"Ev1","team_id":"T1","event":{"type":"app_mention","user":"U1","text":"  "}}`, "an empty message"},
	}
	for _, tt := range ignored {
		ev, err := ParseEvent([]byte(tt.body))
		if err != nil {
			t.Errorf("%s: %v", tt.body, err)
			continue
		}
		if !ev.Ignore || ev.Reason != tt.reason {
			t.Errorf("%s: Ignore %v %q, want %q", tt.body, ev.Ignore, ev.Reason, tt.reason)
		}
	}
	bad := []struct{ body, msg string }{
		{``, "not a JSON object"},
		{`[]`, "not a JSON object"},
		{`{"type":"url_verification"}`, "no challenge"},
		{`{"type":"url_verification","challenge":"x"} {}`, "not a JSON object"},
		{`{}`, "no type"},
		{`null`, "no type"},
		{`{"type":"event_callback","team_id":"T1","event":{"type":"message"}}`, "no event_id"},
		{`{"type":"event_callback","event_id":"Ev1","event":{"type":"message"}}`, "no team_id"},
		{`{"type":"event_callback","event_id":"Ev1","team_id":"T1"}`, "no event"},
		{`{"type":"event_callback","event_id":"Ev1","team_id":"T1","event":null}`, "no event"},
		{`{"type":"event_callback","event_id":"Ev1","team_id":"T1","event":"message"}`, "event is not an object"},
		{`{"type":"event_callback","event_id":"Ev1","team_id":"T1","event":{}}`, "event has no type"},
		{`{"type":"event_callback","event_id":"Ev1","team_id":"T1","event_time":1.5,"event":{"type":"message"}}`, "is not Unix seconds"},
		{`{"type":"event_callback","event_id":"Ev1","team_id":"T1","event_time":-3,"event":{"type":"message"}}`, "is not Unix seconds"},
	}
	for _, tt := range bad {
		_, err := ParseEvent([]byte(tt.body))
		if err == nil {
			t.Errorf("%s: accepted", tt.body)
			continue
		}
		if tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("%s: %v (code %s), want %q", tt.body, err, tandem.ErrorCode(err), tt.msg)
		}
	}
}

func FuzzParseEvent(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "slack_*.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"type":"event_callback","event_id":"E","team_id":"T","event_time":"12","event":{"type":"message","user":"U","text":"x"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ev, err := ParseEvent(data)
		if err != nil {
			if tandem.ErrorCode(err) != tandem.EINVALID {
				t.Fatalf("code %s: %v", tandem.ErrorCode(err), err)
			}
			return
		}
		switch {
		case ev.Type == SlackURLVerification:
			if ev.Challenge == "" {
				t.Fatal("url_verification without challenge")
			}
		case ev.Ignore:
			if ev.Reason == "" {
				t.Fatal("ignored without a reason")
			}
		case ev.Type == SlackEventCallback:
			m := ev.Message
			if ev.EventID == "" || ev.TeamID == "" || m.User == "" || strings.TrimSpace(m.Text) == "" || m.BotID != "" || m.Subtype != "" ||
				(m.Type != "message" && m.Type != "app_mention") {
				t.Fatalf("accepted %+v", ev)
			}
		default:
			t.Fatalf("type %q neither handled nor ignored", ev.Type)
		}
	})
}

func FuzzParseSlashCommand(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "slack_signing_example.json"))
	if err != nil {
		f.Fatal(err)
	}
	var ex slackExample
	if err := json.Unmarshal(b, &ex); err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(ex.Body))
	f.Add([]byte(strings.Replace(ex.Body, "text=", "text=SSO+please", 1)))
	f.Add([]byte("user_id=U1&command=%2Ffeedback&text=hi&response_url=https%3A%2F%2Fhooks.slack.com%2Fx"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseSlashCommand(data)
		if err != nil {
			if tandem.ErrorCode(err) != tandem.EINVALID {
				t.Fatalf("code %s: %v", tandem.ErrorCode(err), err)
			}
			return
		}
		if !strings.HasPrefix(c.Command, "/") || strings.TrimSpace(c.Text) == "" || c.UserID == "" {
			t.Fatalf("accepted %+v", c)
		}
		if c.ResponseURL != "" && !strings.HasPrefix(c.ResponseURL, "https://") {
			t.Fatalf("accepted response_url %q", c.ResponseURL)
		}
	})
}
