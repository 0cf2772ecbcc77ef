package service

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/desk"
	"github.com/tandemhq/tandem/internal/notify"
)

// TestDeskNotifications runs a quote's approvals with a webhook whose
// receiver fails twice: every event arrives signed, after retries, once
// per delivery id, and nothing is lost.
func TestDeskNotifications(t *testing.T) {
	f := newDeskFixture(t, "sqlite")
	s, ctx := f.s, t.Context()
	var mu sync.Mutex
	fails := 2
	got := map[string][]string{} // delivery id → events received
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !notify.Verify("s3cret", r.Header.Get(notify.HeaderTimestamp), string(body), r.Header.Get(notify.HeaderSignature)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if fails > 0 {
			fails--
			http.Error(w, "down", http.StatusInternalServerError)
			return
		}
		var ev notify.Event
		if err := json.Unmarshal(body, &ev); err != nil {
			t.Errorf("payload: %v", err)
		}
		got[r.Header.Get(notify.HeaderDelivery)] = append(got[r.Header.Get(notify.HeaderDelivery)], ev.Event+" "+ev.Approver)
	}))
	defer recv.Close()
	var logs strings.Builder
	sender := notify.New(s.store, []notify.Webhook{{Name: "ops", URL: recv.URL, Secret: "s3cret"}}, nil,
		slog.New(slog.NewTextHandler(&logs, nil)), f.clk.now, recv.Client())
	s.SetNotifier(sender.Channels)
	s.SetBaseURL("https://tandem.example")
	if _, err := s.ApplyRules(ctx, Actor{Name: f.admin.Email}, "rules.yaml", []byte(deskRules), ""); err != nil {
		t.Fatal(err)
	}
	q, err := s.DraftQuote(ctx, f.deal)
	if err != nil {
		t.Fatal(err)
	}
	for i := range q.Lines {
		q.Lines[i].ListPrice, q.Lines[i].NetPrice, q.Lines[i].Discount = 1000, 0, 15
	}
	q.Promises = nil
	v1, err := s.SaveQuote(ctx, f.actor(f.rep), *q)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range v1.Approvals {
		if a.Status == tandem.ApprovalPending {
			if _, err := s.Decide(ctx, Actor{Name: a.Approver}, f.mgr, a.ID, desk.Approve, "fine"); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Flush until the outbox is empty, moving the clock past each backoff.
	for range 10 {
		if _, _, err := sender.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		f.clk.t = f.clk.t.Add(2 * time.Hour)
	}
	mu.Lock()
	defer mu.Unlock()
	var events []string
	for id, evs := range got {
		if len(evs) != 1 {
			t.Errorf("delivery %s arrived %d times: %v", id, len(evs), evs)
		}
		events = append(events, evs...)
	}
	want := map[string]bool{"approval.requested mgr@x.io": true, "approval.approved mgr@x.io": true, "quote.approved mgr@x.io": true}
	for _, e := range events {
		delete(want, e)
	}
	if len(want) > 0 {
		t.Errorf("missing events %v; got %v", want, events)
	}
	outbox, err := s.Notifications(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range outbox {
		if n.Status != tandem.NotifyDelivered {
			t.Errorf("notification %s %s is %s (%s)", n.ID, n.Event, n.Status, n.LastError)
		}
	}
	if strings.Contains(logs.String(), "s3cret") {
		t.Error("the webhook secret reached the log")
	}
}
