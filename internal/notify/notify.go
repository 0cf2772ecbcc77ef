// Package notify delivers the deal desk's outbox: approval notifications
// queued as tandem.Notification records, in the same transaction as the
// change they announce, and sent later by a Sender to outbound webhooks and
// e-mail. Delivery is at least once: a notification stays pending until a
// receiver accepts it, failed attempts are retried with exponential backoff,
// and only after MaxAttempts does it become failed. Receivers de-duplicate
// by the delivery id (the notification id), which every retry reuses.
//
// # Webhooks
//
// A webhook receives a POST with Content-Type application/json and these
// headers:
//
//	X-Tandem-Event:     the event, e.g. approval.requested
//	X-Tandem-Delivery:  the notification id; the same on every retry
//	X-Tandem-Timestamp: when this attempt was signed, in unix seconds
//	X-Tandem-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<body>">
//
// The signature is keyed with the webhook's shared secret and covers the
// timestamp as well as the raw body, so a captured request cannot be
// replayed later under a fresh timestamp. A receiver recomputes it over the
// body bytes exactly as received (see Verify), rejects timestamps more than
// a few minutes away from its own clock, and answers 2xx once it has stored
// the event. Anything else, a redirect included, is retried.
//
// A "json" webhook's body is the Event as queued; a "slack" webhook's body is
// a Slack incoming-webhook message ({"text": ..., "blocks": [...]}).
//
// # E-mail
//
// An "email:<address>" notification is sent as a plain-text message through
// the configured SMTP relay, upgraded with STARTTLS when the server offers
// it.
package notify

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
)

// Delivery limits.
const (
	// DefaultMaxAttempts gives a receiver about two hours of backoff
	// (30s, 1m, 2m ... capped at 1h) to come back before a notification
	// is given up.
	DefaultMaxAttempts = 8

	batchSize    = 100
	maxLanes     = 16 // channels delivered to at once
	firstBackoff = 30 * time.Second
	maxBackoff   = time.Hour
	markTimeout  = 10 * time.Second
	maxErrorLen  = 300
)

// Outbox is the part of tandem.DeskStore a Sender needs; any DeskStore
// satisfies it.
type Outbox interface {
	// DueNotifications returns up to limit pending notifications whose
	// NextAt is not after now, oldest first.
	DueNotifications(ctx context.Context, now time.Time, limit int) ([]tandem.Notification, error)
	// MarkNotification records a delivery attempt.
	MarkNotification(ctx context.Context, n tandem.Notification) error
}

// Sender delivers due notifications from an outbox to webhooks and e-mail.
// It is safe for concurrent use; concurrent Flush calls take turns so one
// process never sends the same notification twice at once.
type Sender struct {
	// MaxAttempts is how many failed attempts make a notification failed;
	// zero means DefaultMaxAttempts. Set it before the first Flush.
	MaxAttempts int

	outbox Outbox
	hooks  []Webhook
	byName map[string]Webhook
	smtp   *SMTP
	logger *slog.Logger
	now    func() time.Time
	client *http.Client
	flush  sync.Mutex
}

// New returns a sender over outbox. hooks are the configured webhooks (a
// repeated name keeps its first definition); smtp, when not nil, enables
// e-mail. logger may be nil (discard), now nil (time.Now), client nil (a
// plain http.Client); the client's redirect policy is replaced, since a
// redirect could carry a signed event to a host nobody configured.
func New(outbox Outbox, hooks []Webhook, smtp *SMTP, logger *slog.Logger, now func() time.Time, client *http.Client) *Sender {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	c := &http.Client{}
	if client != nil {
		cp := *client
		c = &cp
	}
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	s := &Sender{outbox: outbox, byName: make(map[string]Webhook, len(hooks)), logger: logger, now: now, client: c}
	for _, h := range hooks {
		if _, dup := s.byName[h.Name]; dup {
			logger.Warn("notify: webhook defined twice; keeping the first", "webhook", h.Name)
			continue
		}
		s.byName[h.Name] = h
		s.hooks = append(s.hooks, h)
		logger.Debug("notify: webhook configured", "webhook", h)
	}
	if smtp != nil {
		m := *smtp
		s.smtp = &m
		logger.Debug("notify: e-mail configured", "smtp", m)
	}
	return s
}

// Channels returns the channels a new event goes to: every webhook, and
// "email:<r>" for each recipient when e-mail is configured (empty and
// repeated recipients dropped). The service queues one notification per
// channel, so each is retried on its own.
func (s *Sender) Channels(recipients []string) []string {
	var out []string
	for _, h := range s.hooks {
		out = append(out, "webhook:"+h.Name)
	}
	if s.smtp == nil {
		return out
	}
	seen := make(map[string]bool, len(recipients))
	for _, r := range recipients {
		r = strings.TrimSpace(r)
		if r == "" || seen[strings.ToLower(r)] {
			continue
		}
		seen[strings.ToLower(r)] = true
		out = append(out, "email:"+r)
	}
	return out
}

// Run flushes the outbox now and then every interval (zero or less: 30s)
// until ctx is done. Errors are logged, not returned: an outbox that is
// briefly unavailable should not stop delivery for the life of the server.
func (s *Sender) Run(ctx context.Context, every time.Duration) {
	if every <= 0 {
		every = 30 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		delivered, failed, err := s.Flush(ctx)
		if err != nil && ctx.Err() == nil {
			s.logger.Error("notify: flush", "err", err)
		}
		if delivered+failed > 0 {
			s.logger.Info("notify: flushed", "delivered", delivered, "failed", failed)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Flush delivers up to 100 due notifications and records each result:
// delivered; or pending again after a backoff, with the sanitized error; or
// failed once MaxAttempts are spent or when retrying cannot help (a
// malformed address or payload). delivered and failed count this call's
// attempts by outcome; a failed attempt that will be retried counts as
// failed.
//
// Channels are delivered to concurrently and each channel in order, so a
// receiver that hangs delays only its own channel, by at most its timeout:
// after an attempt on a channel fails, that channel's later notifications
// in the batch are not attempted but postponed to the same retry time,
// keeping their attempts and their order.
//
// When ctx is cancelled mid-flight, interrupted attempts are left pending
// as they were, not counted against the receiver.
func (s *Sender) Flush(ctx context.Context) (delivered, failed int, err error) {
	s.flush.Lock()
	defer s.flush.Unlock()

	due, err := s.outbox.DueNotifications(ctx, s.now(), batchSize)
	if err != nil {
		return 0, 0, fmt.Errorf("notify: due notifications: %w", err)
	}
	var lanes [][]tandem.Notification
	index := map[string]int{}
	for _, n := range due {
		i, ok := index[n.Channel]
		if !ok {
			i = len(lanes)
			index[n.Channel] = i
			lanes = append(lanes, nil)
		}
		lanes[i] = append(lanes[i], n)
	}

	var t tally
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxLanes)
	for _, lane := range lanes {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			s.flushLane(ctx, lane, &t)
		})
	}
	wg.Wait()
	return t.delivered, t.failed, errors.Join(t.errs...)
}

// tally collects a flush's outcomes from its lanes.
type tally struct {
	mu        sync.Mutex
	delivered int
	failed    int
	errs      []error
}

func (t *tally) add(delivered bool, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if delivered {
		t.delivered++
	} else {
		t.failed++
	}
	if err != nil {
		t.errs = append(t.errs, err)
	}
}

func (t *tally) fail(err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.errs = append(t.errs, err)
}

// flushLane delivers one channel's notifications in order.
func (s *Sender) flushLane(ctx context.Context, lane []tandem.Notification, t *tally) {
	for i, n := range lane {
		if ctx.Err() != nil {
			return
		}
		derr := s.deliver(ctx, n)
		if derr != nil && ctx.Err() != nil {
			return
		}
		n.Attempts++
		now := s.now()
		if derr == nil {
			n.Status = tandem.NotifyDelivered
			n.LastError = ""
			s.logger.Debug("notify: delivered", "id", n.ID, "channel", n.Channel, "attempts", n.Attempts)
			t.add(true, s.mark(ctx, n))
			continue
		}

		var perm *permanentError
		permanent := errors.As(derr, &perm)
		retryAt := now.Add(backoff(n.ID, n.Attempts))
		n.LastError = derr.Error()
		if permanent || n.Attempts >= s.maxAttempts() {
			n.Status = tandem.NotifyFailed
		} else {
			n.NextAt = retryAt
		}
		s.logger.Warn("notify: delivery failed", "id", n.ID, "channel", n.Channel,
			"attempts", n.Attempts, "status", string(n.Status), "err", n.LastError)
		t.add(false, s.mark(ctx, n))
		if permanent {
			continue // the notification is at fault, not the channel
		}
		for _, r := range lane[i+1:] {
			r.NextAt = retryAt
			r.LastError = "postponed: an earlier notification to this channel (" + n.ID + ") failed"
			if err := s.mark(ctx, r); err != nil {
				t.fail(err)
			}
		}
		return
	}
}

// mark records n. It ignores ctx's cancellation: an attempt that happened
// must be recorded, or a delivered notification would be sent again.
func (s *Sender) mark(ctx context.Context, n tandem.Notification) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), markTimeout)
	defer cancel()
	if err := s.outbox.MarkNotification(ctx, n); err != nil {
		return fmt.Errorf("notify: mark %s: %w", n.ID, err)
	}
	return nil
}

func (s *Sender) maxAttempts() int {
	if s.MaxAttempts > 0 {
		return s.MaxAttempts
	}
	return DefaultMaxAttempts
}

// deliver sends n to its channel. The error it returns is safe to store and
// log: it names no secret and no full URL.
func (s *Sender) deliver(ctx context.Context, n tandem.Notification) error {
	kind, target, _ := strings.Cut(n.Channel, ":")
	switch kind {
	case "webhook":
		h, ok := s.byName[target]
		if !ok {
			// Retried rather than failed: a restart with the webhook
			// configured again should still deliver it.
			return fmt.Errorf("no webhook named %q is configured", sanitize(target, nil))
		}
		return s.postWebhook(ctx, h, n)
	case "email":
		if s.smtp == nil {
			return errors.New("e-mail is not configured")
		}
		return s.sendMail(ctx, *s.smtp, target, n)
	default:
		return permanent(fmt.Errorf("unknown channel %q", sanitize(n.Channel, nil)))
	}
}

// permanentError marks a failure that retrying cannot fix.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

func permanent(err error) error { return &permanentError{err} }

// backoff is the wait after the given number of failed attempts: 30s
// doubling, capped at an hour, less up to a fifth derived from id. The
// jitter spreads retries of a burst queued at once, so a receiver coming
// back is not hit by all of them in the same second, yet a given
// notification's schedule is reproducible.
func backoff(id string, attempts int) time.Duration {
	d := firstBackoff
	for i := 1; i < attempts && d < maxBackoff; i++ {
		d *= 2
	}
	d = min(d, maxBackoff)
	h := fnv.New64a()
	h.Write([]byte(id))
	return d - time.Duration(h.Sum64()%uint64(d/5+1))
}

// sanitize makes an error message safe to store and log: r (when not nil)
// rewrites secrets and URLs, control characters become spaces (so a
// receiver's response cannot forge log lines) and the text is cut short.
func sanitize(msg string, r *strings.Replacer) string {
	if r != nil {
		msg = r.Replace(msg)
	}
	msg = strings.Map(func(c rune) rune {
		if unicode.IsControl(c) {
			return ' '
		}
		return c
	}, msg)
	msg = strings.TrimSpace(msg)
	if len(msg) <= maxErrorLen {
		return msg
	}
	cut := maxErrorLen
	for cut > 0 && !utf8.RuneStart(msg[cut]) {
		cut--
	}
	return msg[:cut] + "…"
}
