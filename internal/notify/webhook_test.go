package notify

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

func TestVerify(t *testing.T) {
	const secret, ts, body = "s3cret", "1772443800", `{"event":"quote.approved"}`
	good := sign(secret, ts, []byte(body))
	tests := []struct {
		name                        string
		secret, ts, body, signature string
		want                        bool
	}{
		{"valid", secret, ts, body, good, true},
		{"tampered body", secret, ts, `{"event":"quote.rejected"}`, good, false},
		{"body with trailing newline", secret, ts, body + "\n", good, false},
		{"replayed under a new timestamp", secret, "1772443900", body, good, false},
		{"wrong secret", "other", ts, body, good, false},
		{"empty secret", "", ts, body, sign("", ts, []byte(body)), false},
		{"missing scheme", secret, ts, body, strings.TrimPrefix(good, "sha256="), false},
		{"other scheme", secret, ts, body, "sha1=" + strings.TrimPrefix(good, "sha256="), false},
		{"not hex", secret, ts, body, "sha256=zz", false},
		{"truncated", secret, ts, body, good[:len(good)-2], false},
		{"empty", secret, ts, body, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Verify(tt.secret, tt.ts, tt.body, tt.signature); got != tt.want {
				t.Errorf("Verify = %v, want %v", got, tt.want)
			}
		})
	}
}

func FuzzVerify(f *testing.F) {
	f.Add("k", "1772443800", `{"a":1}`, "sha256=00")
	f.Add("", "", "", "")
	f.Fuzz(func(t *testing.T, secret, ts, body, signature string) {
		Verify(secret, ts, body, signature) // must not panic on any header
		good := sign(secret, ts, []byte(body))
		if got := Verify(secret, ts, body, good); got != (secret != "") {
			t.Fatalf("Verify of our own signature = %v with secret %q", got, secret)
		}
		if Verify(secret, ts, body+"x", good) {
			t.Fatal("a tampered body verified")
		}
	})
}

// request is what a test receiver saw.
type request struct {
	header http.Header
	body   string
}

// recorder is a receiver that answers with the statuses given, in turn
// (the last one repeating), and keeps every request.
type recorder struct {
	mu       sync.Mutex
	statuses []int
	reqs     []request
}

func (rc *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	rc.reqs = append(rc.reqs, request{r.Header.Clone(), string(body)})
	status := rc.statuses[min(len(rc.reqs), len(rc.statuses))-1]
	rc.mu.Unlock()
	w.WriteHeader(status)
	fmt.Fprint(w, http.StatusText(status))
}

func (rc *recorder) requests() []request {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]request(nil), rc.reqs...)
}

func TestWebhookRequest(t *testing.T) {
	rc := &recorder{statuses: []int{http.StatusNoContent}}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	c := newClock()
	n := notification(t, "01HZX", "webhook:crm", sampleEvent(), c.Now())
	o := newOutbox(n)
	s := New(o, []Webhook{{Name: "crm", URL: srv.URL + "/hook", Secret: "k3y"}}, nil, nil, c.Now, srv.Client())

	if d, f, err := s.Flush(t.Context()); d != 1 || f != 0 || err != nil {
		t.Fatalf("Flush = %d, %d, %v; want 1 delivered", d, f, err)
	}
	reqs := rc.requests()
	if len(reqs) != 1 {
		t.Fatalf("receiver got %d requests, want 1", len(reqs))
	}
	r := reqs[0]
	ts := strconv.FormatInt(c.Now().Unix(), 10)
	for h, want := range map[string]string{
		"Content-Type": "application/json", HeaderEvent: EventApprovalRequested,
		HeaderDelivery: "01HZX", HeaderTimestamp: ts,
	} {
		if got := r.header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if r.body != string(n.Payload) {
		t.Errorf("body = %s, want the payload unchanged: %s", r.body, n.Payload)
	}
	if !Verify("k3y", ts, r.body, r.header.Get(HeaderSignature)) {
		t.Errorf("signature %q does not verify", r.header.Get(HeaderSignature))
	}
	if got := o.get(t, "01HZX"); got.Status != tandem.NotifyDelivered || got.Attempts != 1 || got.LastError != "" {
		t.Errorf("recorded %+v, want delivered after 1 attempt", got)
	}
}

func TestWebhookRetriedUntilDelivered(t *testing.T) {
	rc := &recorder{statuses: []int{500, 500, 200}}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	c := newClock()
	o := newOutbox(notification(t, "n1", "webhook:crm", sampleEvent(), c.Now()))
	s := New(o, []Webhook{{Name: "crm", URL: srv.URL, Secret: "k"}}, nil, nil, c.Now, srv.Client())

	for attempt := 1; attempt <= 3; attempt++ {
		d, f, err := s.Flush(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		n := o.get(t, "n1")
		if n.Attempts != attempt {
			t.Fatalf("attempt %d: Attempts = %d", attempt, n.Attempts)
		}
		if attempt < 3 {
			if d != 0 || f != 1 || n.Status != tandem.NotifyPending || !strings.Contains(n.LastError, "HTTP 500") {
				t.Fatalf("attempt %d: Flush = %d, %d; recorded %+v; want a pending retry after HTTP 500", attempt, d, f, n)
			}
			if want := c.Now().Add(backoff("n1", attempt)); !n.NextAt.Equal(want) {
				t.Fatalf("attempt %d: NextAt = %s, want %s", attempt, n.NextAt, want)
			}
			if d, f, _ := s.Flush(t.Context()); d+f != 0 {
				t.Fatalf("attempt %d: retried before its backoff was over", attempt)
			}
			c.Set(n.NextAt)
			continue
		}
		if d != 1 || f != 0 || n.Status != tandem.NotifyDelivered || n.LastError != "" {
			t.Fatalf("attempt 3: Flush = %d, %d; recorded %+v; want delivered", d, f, n)
		}
	}

	reqs := rc.requests()
	if len(reqs) != 3 {
		t.Fatalf("receiver got %d requests, want 3", len(reqs))
	}
	for i, r := range reqs {
		if got := r.header.Get(HeaderDelivery); got != "n1" {
			t.Errorf("request %d: delivery id %q, want n1 on every retry", i, got)
		}
		if !Verify("k", r.header.Get(HeaderTimestamp), r.body, r.header.Get(HeaderSignature)) {
			t.Errorf("request %d: signature does not verify", i)
		}
	}
	if reqs[0].header.Get(HeaderTimestamp) == reqs[2].header.Get(HeaderTimestamp) {
		t.Error("a retry reused the first attempt's timestamp; each attempt is signed when sent")
	}
}

// hangingServer holds every request until the client gives up, unless it
// has been told to answer.
func hangingServer(t *testing.T) (srv *httptest.Server, answer *atomic.Bool) {
	t.Helper()
	answer = new(atomic.Bool)
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !answer.Load() {
			hang(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, answer
}

func TestWebhookTimeoutRetried(t *testing.T) {
	srv, answer := hangingServer(t)
	c := newClock()
	o := newOutbox(notification(t, "n1", "webhook:crm", sampleEvent(), c.Now()))
	s := New(o, []Webhook{{Name: "crm", URL: srv.URL, Timeout: 100 * time.Millisecond}}, nil, nil, c.Now, srv.Client())

	if d, f, err := s.Flush(t.Context()); d != 0 || f != 1 || err != nil {
		t.Fatalf("Flush = %d, %d, %v; want 1 failed attempt", d, f, err)
	}
	n := o.get(t, "n1")
	if n.Status != tandem.NotifyPending || n.Attempts != 1 || !strings.Contains(n.LastError, "no response within 100ms") {
		t.Fatalf("after a timeout: %+v; want pending with the timeout noted", n)
	}
	answer.Store(true)
	c.Set(n.NextAt)
	if d, _, err := s.Flush(t.Context()); d != 1 || err != nil {
		t.Fatalf("retry: %d delivered, %v; want the timed-out notification delivered", d, err)
	}
}

func TestSlowReceiverDoesNotBlockOthers(t *testing.T) {
	const timeout = 500 * time.Millisecond
	slow, _ := hangingServer(t)
	start := time.Now()
	var mu sync.Mutex
	var fastAt []time.Duration
	fast := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		fastAt = append(fastAt, time.Since(start))
		mu.Unlock()
	}))
	t.Cleanup(fast.Close)

	c := newClock()
	var ns []tandem.Notification
	for i := range 3 {
		at := c.Now().Add(time.Duration(i-3) * time.Second)
		ns = append(ns, notification(t, fmt.Sprintf("slow%d", i), "webhook:slow", sampleEvent(), at),
			notification(t, fmt.Sprintf("fast%d", i), "webhook:fast", sampleEvent(), at))
	}
	o := newOutbox(ns...)
	s := New(o, []Webhook{{Name: "slow", URL: slow.URL, Timeout: timeout}, {Name: "fast", URL: fast.URL, Timeout: timeout}},
		nil, nil, c.Now, nil)

	start = time.Now()
	d, f, err := s.Flush(t.Context())
	elapsed := time.Since(start)
	if d != 3 || f != 1 || err != nil {
		t.Fatalf("Flush = %d, %d, %v; want 3 delivered, 1 failed", d, f, err)
	}
	if elapsed > 2*timeout {
		t.Errorf("Flush took %s with a %s timeout; the hanging receiver held up the rest", elapsed, timeout)
	}
	mu.Lock()
	for i, at := range fastAt {
		if at >= timeout {
			t.Errorf("fast request %d arrived after %s, behind the hanging receiver", i, at)
		}
	}
	mu.Unlock()

	head := o.get(t, "slow0")
	if head.Attempts != 1 || head.Status != tandem.NotifyPending {
		t.Errorf("slow0: %+v, want one failed attempt, pending", head)
	}
	for _, id := range []string{"slow1", "slow2"} {
		n := o.get(t, id)
		if n.Attempts != 0 || n.Status != tandem.NotifyPending || !n.NextAt.Equal(head.NextAt) || !strings.Contains(n.LastError, "slow0") {
			t.Errorf("%s: %+v; want postponed with slow0 (NextAt %s), no attempt spent", id, n, head.NextAt)
		}
	}
}

func TestMaxAttempts(t *testing.T) {
	tests := []struct {
		name        string
		maxAttempts int
		want        int
	}{
		{"default", 0, DefaultMaxAttempts},
		{"one", 1, 1},
		{"three", 3, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rc := &recorder{statuses: []int{http.StatusServiceUnavailable}}
			srv := httptest.NewServer(rc)
			t.Cleanup(srv.Close)
			c := newClock()
			o := newOutbox(notification(t, "n1", "webhook:crm", sampleEvent(), c.Now()))
			s := New(o, []Webhook{{Name: "crm", URL: srv.URL}}, nil, nil, c.Now, srv.Client())
			s.MaxAttempts = tt.maxAttempts

			for i := 1; i <= tt.want; i++ {
				if d, f, err := s.Flush(t.Context()); d != 0 || f != 1 || err != nil {
					t.Fatalf("Flush %d = %d, %d, %v; want 1 failed", i, d, f, err)
				}
				n := o.get(t, "n1")
				wantStatus := tandem.NotifyPending
				if i == tt.want {
					wantStatus = tandem.NotifyFailed
				}
				if n.Status != wantStatus || n.Attempts != i {
					t.Fatalf("after attempt %d: %s with %d attempts, want %s", i, n.Status, n.Attempts, wantStatus)
				}
				c.Advance(2 * time.Hour)
			}
			if d, f, _ := s.Flush(t.Context()); d+f != 0 {
				t.Errorf("a failed notification was attempted again")
			}
			if got := len(rc.requests()); got != tt.want {
				t.Errorf("receiver got %d requests, want %d", got, tt.want)
			}
		})
	}
}

func TestSlackFormat(t *testing.T) {
	rc := &recorder{statuses: []int{200}}
	srv := httptest.NewServer(rc)
	t.Cleanup(srv.Close)
	c := newClock()
	e := sampleEvent()
	e.Rule = "Discount > 20% <!channel>"
	o := newOutbox(notification(t, "n1", "webhook:chat", e, c.Now()))
	s := New(o, []Webhook{{Name: "chat", URL: srv.URL, Format: FormatSlack, Secret: "k"}}, nil, nil, c.Now, srv.Client())
	if d, _, err := s.Flush(t.Context()); d != 1 || err != nil {
		t.Fatalf("Flush: %d delivered, %v", d, err)
	}

	var msg struct {
		Text   string `json:"text"`
		Blocks []struct {
			Type string `json:"type"`
			Text struct {
				Type string `json:"type"`
				Text string `json:"text"`
			} `json:"text"`
			Elements []struct {
				Type string `json:"type"`
				URL  string `json:"url"`
			} `json:"elements"`
		} `json:"blocks"`
	}
	r := rc.requests()[0]
	if err := json.Unmarshal([]byte(r.body), &msg); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, r.body)
	}
	if !Verify("k", r.header.Get(HeaderTimestamp), r.body, r.header.Get(HeaderSignature)) {
		t.Error("slack body is not what was signed")
	}
	if msg.Text != "Approval needed: quote Q-17 v3 (deal D-9)" {
		t.Errorf("text = %q", msg.Text)
	}
	var types []string
	for _, b := range msg.Blocks {
		types = append(types, b.Type)
	}
	if strings.Join(types, ",") != "header,section,actions" {
		t.Fatalf("blocks = %v, want header, section, actions\n%s", types, r.body)
	}
	if h := msg.Blocks[0].Text; h.Type != "plain_text" || h.Text != msg.Text {
		t.Errorf("header = %+v", h)
	}
	sec := msg.Blocks[1].Text
	if sec.Type != "mrkdwn" || !strings.Contains(sec.Text, "Rule: Discount &gt; 20% &lt;!channel&gt; (level 2)") {
		t.Errorf("section = %+v; want the rule with mrkdwn escaped", sec)
	}
	if el := msg.Blocks[2].Elements; len(el) != 1 || el[0].Type != "button" || el[0].URL != e.URL {
		t.Errorf("actions = %+v, want one button to %s", el, e.URL)
	}
}

func TestRedirectNotFollowed(t *testing.T) {
	other, hits := okServer(t)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+"/elsewhere", http.StatusTemporaryRedirect)
	}))
	t.Cleanup(redirector.Close)
	c := newClock()
	o := newOutbox(notification(t, "n1", "webhook:crm", sampleEvent(), c.Now()))
	// The caller's client would follow redirects; New must override it.
	s := New(o, []Webhook{{Name: "crm", URL: redirector.URL}}, nil, nil, c.Now, &http.Client{})

	if d, f, err := s.Flush(t.Context()); d != 0 || f != 1 || err != nil {
		t.Fatalf("Flush = %d, %d, %v; want the redirect to count as a failure", d, f, err)
	}
	if hits.Load() != 0 {
		t.Error("the redirect was followed to another host")
	}
	if n := o.get(t, "n1"); !strings.Contains(n.LastError, "HTTP 307") {
		t.Errorf("LastError = %q, want the redirect status", n.LastError)
	}
}

func TestSecretsNeverLeak(t *testing.T) {
	const (
		hmacSecret  = "HMACSECRET-4f9a"
		querySecret = "QUERYSECRET-77c1"
		pathSecret  = "PATHSECRET-b2d0"
	)
	secrets := []string{hmacSecret, querySecret, pathSecret}
	const rest = "/services/T000/" + pathSecret + "?token=" + querySecret

	echo := func(w http.ResponseWriter, r *http.Request) {
		// A careless receiver quoting the request back in its error.
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprintf(w, "bad token %s for %s (%s)", r.URL.Query().Get("token"), r.URL.Path, r.URL.String())
	}
	tests := []struct {
		name    string
		handler http.HandlerFunc // nil: nothing listens
	}{
		{"receiver echoes the request", echo},
		{"receiver hangs", hang},
		{"redirect quoting the URL", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.String()+"&again="+querySecret, http.StatusFound)
		}},
		{"connection refused", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var base string
			if tt.handler != nil {
				srv := httptest.NewServer(tt.handler)
				t.Cleanup(srv.Close)
				base = srv.URL
			} else {
				srv := httptest.NewServer(http.NotFoundHandler())
				base = srv.URL
				srv.Close()
			}
			logger, logs := newLogger()
			c := newClock()
			o := newOutbox(notification(t, "n1", "webhook:crm", sampleEvent(), c.Now()))
			hook := Webhook{Name: "crm", URL: base + rest, Secret: hmacSecret, Timeout: 200 * time.Millisecond}
			s := New(o, []Webhook{hook}, nil, logger, c.Now, nil)
			logger.Info("configured", "webhook", hook)

			if _, f, err := s.Flush(t.Context()); f != 1 || err != nil {
				t.Fatalf("Flush: %d failed, %v; want 1 failed", f, err)
			}
			lastError := o.get(t, "n1").LastError
			if lastError == "" {
				t.Fatal("no LastError recorded")
			}
			if strings.Contains(lastError, "token=") {
				t.Errorf("LastError quotes the URL's query: %q", lastError)
			}
			for _, secret := range secrets {
				if strings.Contains(lastError, secret) {
					t.Errorf("LastError reveals %s: %q", secret, lastError)
				}
				if strings.Contains(logs.String(), secret) {
					t.Errorf("log reveals %s:\n%s", secret, logs)
				}
			}
			if !strings.Contains(logs.String(), "delivery failed") {
				t.Errorf("the failure was not logged, so the check above proves nothing:\n%s", logs)
			}
		})
	}
}

func TestWebhookPrintsWithoutSecrets(t *testing.T) {
	hook := Webhook{Name: "crm", URL: "https://user:PASSWORD-1@hooks.example/T0/PATHSECRET-2?token=QUERYSECRET-3", Secret: "HMACSECRET-4"}
	var text, js strings.Builder
	slog.New(slog.NewTextHandler(&text, nil)).Info("hook", "webhook", hook, "ptr", &hook)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("hook", "webhook", hook)
	outputs := map[string]string{
		"String": hook.String(), "%v": fmt.Sprintf("%v", hook), "%+v": fmt.Sprintf("%+v", hook),
		"%#v": fmt.Sprintf("%#v", hook), "%v of pointer": fmt.Sprintf("%v", &hook),
		"%v of slice": fmt.Sprintf("%v", []Webhook{hook}), "text log": text.String(), "JSON log": js.String(),
		"Validate": fmt.Sprint(Webhook{Name: "x", URL: "ftp://h/PATHSECRET-2", Secret: "HMACSECRET-4"}.Validate()),
	}
	for name, out := range outputs {
		for _, secret := range []string{"PASSWORD-1", "PATHSECRET-2", "QUERYSECRET-3", "HMACSECRET-4"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s reveals %s: %s", name, secret, out)
			}
		}
		if !strings.Contains(out, "hooks.example") && name != "Validate" {
			t.Errorf("%s does not say which receiver it is: %s", name, out)
		}
	}
}

func TestWebhookValidate(t *testing.T) {
	tests := []struct {
		name string
		hook Webhook
		ok   bool
	}{
		{"json", Webhook{Name: "crm", URL: "https://h.example/x"}, true},
		{"slack", Webhook{Name: "chat", URL: "https://hooks.slack.com/services/x", Format: FormatSlack}, true},
		{"no name", Webhook{URL: "https://h.example"}, false},
		{"relative URL", Webhook{Name: "crm", URL: "/hook"}, false},
		{"other scheme", Webhook{Name: "crm", URL: "ftp://h.example"}, false},
		{"unknown format", Webhook{Name: "crm", URL: "https://h.example", Format: "xml"}, false},
		{"negative timeout", Webhook{Name: "crm", URL: "https://h.example", Timeout: -1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.hook.Validate()
			if (err == nil) != tt.ok {
				t.Errorf("Validate = %v, want ok %v", err, tt.ok)
			}
			if err != nil && tandem.ErrorCode(err) != tandem.EINVALID {
				t.Errorf("code %s, want %s", tandem.ErrorCode(err), tandem.EINVALID)
			}
		})
	}
}
