package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

// memOutbox is an in-memory Outbox with the store's ordering rules.
type memOutbox struct {
	mu    sync.Mutex
	byID  map[string]tandem.Notification
	marks int
}

func newOutbox(ns ...tandem.Notification) *memOutbox {
	o := &memOutbox{byID: map[string]tandem.Notification{}}
	for _, n := range ns {
		o.byID[n.ID] = n
	}
	return o
}

func (o *memOutbox) DueNotifications(ctx context.Context, now time.Time, limit int) ([]tandem.Notification, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var due []tandem.Notification
	for _, n := range o.byID {
		if n.Status == tandem.NotifyPending && !n.NextAt.After(now) {
			due = append(due, n)
		}
	}
	slices.SortFunc(due, func(a, b tandem.Notification) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	if len(due) > limit {
		due = due[:limit]
	}
	return due, nil
}

func (o *memOutbox) MarkNotification(ctx context.Context, n tandem.Notification) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if _, ok := o.byID[n.ID]; !ok {
		return tandem.Errorf(tandem.ENOTFOUND, "notification %s", n.ID)
	}
	o.byID[n.ID] = n
	o.marks++
	return nil
}

func (o *memOutbox) get(t *testing.T, id string) tandem.Notification {
	t.Helper()
	o.mu.Lock()
	defer o.mu.Unlock()
	n, ok := o.byID[id]
	if !ok {
		t.Fatalf("notification %s missing", id)
	}
	return n
}

// clock is a settable clock, safe for the sender's lanes to read at once.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// logBuffer captures log output; the sender's lanes log concurrently.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newLogger() (*slog.Logger, *logBuffer) {
	var buf logBuffer
	return slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), &buf
}

func sampleEvent() Event {
	return Event{
		Event:        EventApprovalRequested,
		QuoteID:      "Q-17",
		QuoteVersion: 3,
		DealID:       "D-9",
		Rule:         "Discount over 20%",
		Level:        2,
		Approver:     "fin@example.com",
		Status:       "pending",
		Reason:       "discount 32% exceeds 20%",
		URL:          "https://tandem.example/desk/quotes/Q-17?v=3",
	}
}

func notification(t *testing.T, id, channel string, e Event, created time.Time) tandem.Notification {
	t.Helper()
	p, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return tandem.Notification{ID: id, Channel: channel, Event: e.Event, Payload: p,
		Status: tandem.NotifyPending, NextAt: created, CreatedAt: created}
}

// hang holds a request until the client goes away. It reads the body
// first: only then does the server watch the connection and cancel the
// request's context when the client hangs up.
func hang(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	<-r.Context().Done()
}

// okServer is a receiver that accepts everything and counts requests.
func okServer(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestChannels(t *testing.T) {
	hooks := []Webhook{{Name: "crm", URL: "https://a.example"}, {Name: "slack", URL: "https://b.example"}, {Name: "crm", URL: "https://c.example"}}
	tests := []struct {
		name       string
		hooks      []Webhook
		smtp       *SMTP
		recipients []string
		want       []string
	}{
		{"webhooks only, recipients ignored", hooks, nil, []string{"ann@example.com"},
			[]string{"webhook:crm", "webhook:slack"}},
		{"webhooks and e-mail", hooks, &SMTP{Addr: "mail:25", From: "d@example.com"}, []string{"ann@example.com", " ", "bob@example.com", "ANN@example.com"},
			[]string{"webhook:crm", "webhook:slack", "email:ann@example.com", "email:bob@example.com"}},
		{"e-mail only", nil, &SMTP{Addr: "mail:25", From: "d@example.com"}, []string{"ann@example.com"},
			[]string{"email:ann@example.com"}},
		{"nothing configured", nil, nil, []string{"ann@example.com"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(newOutbox(), tt.hooks, tt.smtp, nil, nil, nil)
			if got := s.Channels(tt.recipients); !slices.Equal(got, tt.want) {
				t.Errorf("Channels = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRender(t *testing.T) {
	base := sampleEvent()
	with := func(f func(*Event)) Event { e := base; f(&e); return e }
	tests := []struct {
		name        string
		event       Event
		wantSubject string
		wantText    []string
	}{
		{"requested", base, "Approval needed: quote Q-17 v3 (deal D-9)",
			[]string{"Quote Q-17 v3 (deal D-9) needs approval from fin@example.com.", "Rule: Discount over 20% (level 2)", "Reason: discount 32% exceeds 20%", "Status: pending", "Open: https://tandem.example/desk/quotes/Q-17?v=3"}},
		{"approved", with(func(e *Event) { e.Event, e.Status = EventApprovalApproved, "approved" }), "Approved: quote Q-17 v3 (deal D-9)",
			[]string{"fin@example.com approved quote Q-17 v3 (deal D-9).", "Status: approved"}},
		{"rejected", with(func(e *Event) { e.Event, e.Status, e.Reason = EventApprovalRejected, "rejected", "margin too thin" }), "Rejected: quote Q-17 v3 (deal D-9)",
			[]string{"fin@example.com rejected", "Reason: margin too thin"}},
		{"escalated", with(func(e *Event) { e.Event, e.Approver = EventApprovalEscalated, "cfo@example.com" }), "Approval escalated: quote Q-17 v3 (deal D-9)",
			[]string{"escalated to cfo@example.com."}},
		{"quote approved", Event{Event: EventQuoteApproved, QuoteID: "Q-17", QuoteVersion: 3, DealID: "D-9", Status: "approved"}, "Quote approved: quote Q-17 v3 (deal D-9)",
			[]string{"Quote Q-17 v3 (deal D-9) has every approval it needs."}},
		{"feedback status", Event{Event: EventFeedbackStatus, FeedbackID: "fb-1", Title: "SSO via Okta", Status: "planned", Reason: "in Q3", Mention: "U2CERLKJA"},
			"Your feedback is planned: SSO via Okta", []string{`<@U2CERLKJA> Your feedback "SSO via Okta" (fb-1) is now planned.`, "Note: in Q3"}},
		{"special step", Event{Event: EventSpecialStep, SpecialID: "sp-1", DealID: "D-9", Title: "SSO", Status: "simplest-slice", Reason: "accept"},
			"Special simplest-slice: SSO", []string{`Special "SSO" (sp-1, deal D-9): accept, now at simplest-slice.`}},
		{"unknown event", Event{Event: "quote.archived", QuoteID: "Q-1"}, "Tandem quote.archived: quote Q-1",
			[]string{"Event quote.archived on quote Q-1."}},
	}
	s := New(newOutbox(), nil, nil, nil, nil, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			subject, text := s.Render(notification(t, "n1", "email:a@example.com", tt.event, time.Time{}))
			if subject != tt.wantSubject {
				t.Errorf("subject = %q, want %q", subject, tt.wantSubject)
			}
			for _, w := range tt.wantText {
				if !strings.Contains(text, w) {
					t.Errorf("text lacks %q:\n%s", w, text)
				}
			}
			if tt.event.URL == "" && strings.Contains(text, "Open:") {
				t.Errorf("text links nowhere but has an Open line:\n%s", text)
			}
		})
	}

	t.Run("payload that is not an event", func(t *testing.T) {
		subject, _ := s.Render(tandem.Notification{Event: EventQuoteApproved, Payload: json.RawMessage(`[1,2]`)})
		if !strings.HasPrefix(subject, "Quote approved:") {
			t.Errorf("subject = %q, want it drawn from the notification's event", subject)
		}
	})
}

func FuzzRender(f *testing.F) {
	f.Add([]byte(`{"event":"approval.requested","quote_id":"Q","rule":"<!channel>"}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"quote_id":"\u00e9\r\nBcc: x"}`))
	s := New(newOutbox(), nil, nil, nil, nil, nil)
	f.Fuzz(func(t *testing.T, payload []byte) {
		n := tandem.Notification{ID: "n", Event: "x", Payload: payload}
		subject, text := s.Render(n)
		if subject == "" || text == "" {
			t.Fatalf("empty rendering of %q", payload)
		}
		body, err := slackBody(n)
		if err != nil || !json.Valid(body) {
			t.Fatalf("slack body of %q: %v %s", payload, err, body)
		}
	})
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempts int
		base     time.Duration
	}{
		{1, 30 * time.Second}, {2, time.Minute}, {3, 2 * time.Minute}, {4, 4 * time.Minute},
		{5, 8 * time.Minute}, {6, 16 * time.Minute}, {7, 32 * time.Minute}, {8, time.Hour},
		{9, time.Hour}, {40, time.Hour},
	}
	for _, tt := range tests {
		for _, id := range []string{"n1", "n2", "01HZX3"} {
			got := backoff(id, tt.attempts)
			if got > tt.base || got < tt.base*4/5 {
				t.Errorf("backoff(%q, %d) = %s, want within (%s, %s]", id, tt.attempts, got, tt.base*4/5, tt.base)
			}
			if again := backoff(id, tt.attempts); again != got {
				t.Errorf("backoff(%q, %d) = %s then %s; want it reproducible", id, tt.attempts, got, again)
			}
		}
	}
	seen := map[time.Duration]bool{}
	for _, id := range []string{"a", "b", "c", "d", "e", "f"} {
		seen[backoff(id, 5)] = true
	}
	if len(seen) < 2 {
		t.Errorf("six ids share one backoff %v; want jitter to spread them", seen)
	}
}

func TestPermanentFailures(t *testing.T) {
	srv, hits := okServer(t)
	c := newClock()
	early := c.Now().Add(-time.Minute)
	bad := tandem.Notification{ID: "bad", Channel: "webhook:crm", Event: EventApprovalRequested,
		Payload: json.RawMessage(`{"event":`), Status: tandem.NotifyPending, NextAt: early, CreatedAt: early}
	unknown := notification(t, "sms", "sms:+15550100", sampleEvent(), early)
	good := notification(t, "good", "webhook:crm", sampleEvent(), c.Now())
	o := newOutbox(bad, unknown, good)
	s := New(o, []Webhook{{Name: "crm", URL: srv.URL, Secret: "k"}}, nil, nil, c.Now, srv.Client())

	delivered, failed, err := s.Flush(t.Context())
	if err != nil || delivered != 1 || failed != 2 {
		t.Fatalf("Flush = %d, %d, %v; want 1 delivered, 2 failed", delivered, failed, err)
	}
	for _, id := range []string{"bad", "sms"} {
		if n := o.get(t, id); n.Status != tandem.NotifyFailed || n.Attempts != 1 || n.LastError == "" {
			t.Errorf("%s: status %s after %d attempts (%q); want failed at once: retrying cannot help", id, n.Status, n.Attempts, n.LastError)
		}
	}
	if n := o.get(t, "good"); n.Status != tandem.NotifyDelivered {
		t.Errorf("a bad notification held back the next one on its channel: %+v", n)
	}
	if hits.Load() != 1 {
		t.Errorf("receiver got %d requests, want 1 (the malformed payload must not be sent)", hits.Load())
	}
}

func TestUnconfiguredChannelIsRetried(t *testing.T) {
	c := newClock()
	o := newOutbox(notification(t, "n1", "webhook:gone", sampleEvent(), c.Now()),
		notification(t, "n2", "email:ann@example.com", sampleEvent(), c.Now()))
	s := New(o, nil, nil, nil, c.Now, nil)
	if _, failed, err := s.Flush(t.Context()); err != nil || failed != 2 {
		t.Fatalf("Flush: %d failed, %v; want 2 failed", failed, err)
	}
	for _, id := range []string{"n1", "n2"} {
		if n := o.get(t, id); n.Status != tandem.NotifyPending || n.Attempts != 1 {
			t.Errorf("%s: %s after %d attempts; want pending: a restart with the channel configured should deliver it", id, n.Status, n.Attempts)
		}
	}
}

func TestFlushInterrupted(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(hang))
	t.Cleanup(srv.Close)
	c := newClock()
	n := notification(t, "n1", "webhook:crm", sampleEvent(), c.Now())
	o := newOutbox(n)
	s := New(o, []Webhook{{Name: "crm", URL: srv.URL, Secret: "k", Timeout: time.Minute}}, nil, nil, c.Now, srv.Client())

	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	delivered, failed, err := s.Flush(ctx)
	if time.Since(start) > 10*time.Second {
		t.Fatalf("Flush ignored its context for %s", time.Since(start))
	}
	if delivered != 0 || failed != 0 || err != nil {
		t.Errorf("Flush = %d, %d, %v; want nothing counted", delivered, failed, err)
	}
	if got := o.get(t, "n1"); got.Attempts != 0 || got.Status != tandem.NotifyPending || o.marks != 0 {
		t.Errorf("an interrupted attempt was recorded: %+v (%d marks)", got, o.marks)
	}
}

func TestRun(t *testing.T) {
	srv, hits := okServer(t)
	o := newOutbox(notification(t, "n1", "webhook:crm", sampleEvent(), time.Now().Add(-time.Minute)))
	s := New(o, []Webhook{{Name: "crm", URL: srv.URL}}, nil, nil, nil, srv.Client())

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run(ctx, 10*time.Millisecond)
	}()
	deadline := time.Now().Add(5 * time.Second)
	for o.get(t, "n1").Status != tandem.NotifyDelivered {
		if time.Now().After(deadline) {
			t.Fatal("Run did not deliver within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}
	if hits.Load() != 1 {
		t.Errorf("receiver got %d requests, want 1", hits.Load())
	}
}

func TestMarkErrorsReported(t *testing.T) {
	srv, _ := okServer(t)
	c := newClock()
	s := New(failingOutbox{newOutbox(notification(t, "n1", "webhook:crm", sampleEvent(), c.Now()))},
		[]Webhook{{Name: "crm", URL: srv.URL}}, nil, nil, c.Now, srv.Client())
	_, _, err := s.Flush(t.Context())
	if err == nil || !strings.Contains(err.Error(), "n1") {
		t.Errorf("Flush err = %v, want the failed mark reported", err)
	}
}

type failingOutbox struct{ *memOutbox }

func (failingOutbox) MarkNotification(context.Context, tandem.Notification) error {
	return errors.New("disk full")
}
