package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/tandemhq/tandem"
)

// Webhook formats.
const (
	FormatJSON  = "json"  // the Event as queued
	FormatSlack = "slack" // a Slack incoming-webhook message
)

// Webhook request headers; see the package documentation.
const (
	HeaderEvent     = "X-Tandem-Event"
	HeaderDelivery  = "X-Tandem-Delivery"
	HeaderTimestamp = "X-Tandem-Timestamp"
	HeaderSignature = "X-Tandem-Signature"
)

const (
	defaultWebhookTimeout = 10 * time.Second
	// maxResponse bounds what is read of a receiver's answer: enough to
	// reuse the connection and quote an error, not enough for a hostile
	// receiver to fill memory.
	maxResponse = 64 << 10
	redacted    = "[redacted]"
)

// Webhook is an outbound webhook, addressed by notifications with channel
// "webhook:<Name>". Its Secret keys the request signature; String and
// LogValue leave it out, and so do delivery errors, so the value can be
// printed and logged freely. Its URL is shown as scheme and host only,
// because some receivers (Slack's among them) carry their token in the
// path or query.
type Webhook struct {
	Name    string
	URL     string
	Secret  string        // HMAC-SHA256 key shared with the receiver
	Format  string        // FormatJSON (default) or FormatSlack
	Timeout time.Duration // per attempt; zero means 10s
}

// Validate reports a webhook that could never deliver, so a bad
// configuration fails at start-up rather than after hours of retries.
func (h Webhook) Validate() error {
	if h.Name == "" || strings.ContainsFunc(h.Name, unicode.IsControl) {
		return tandem.Errorf(tandem.EINVALID, "webhook %q: a name without control characters is required", h.Name)
	}
	u, err := url.Parse(h.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return tandem.Errorf(tandem.EINVALID, "webhook %q: URL %s is not an absolute http(s) URL", h.Name, redactURL(h.URL))
	}
	if h.Format != "" && h.Format != FormatJSON && h.Format != FormatSlack {
		return tandem.Errorf(tandem.EINVALID, "webhook %q: format %q is not %q or %q", h.Name, h.Format, FormatJSON, FormatSlack)
	}
	if h.Timeout < 0 {
		return tandem.Errorf(tandem.EINVALID, "webhook %q: negative timeout", h.Name)
	}
	return nil
}

// String describes the webhook without its secret.
func (h Webhook) String() string {
	signed := "unsigned"
	if h.Secret != "" {
		signed = "secret " + redacted
	}
	return fmt.Sprintf("webhook %s -> %s (%s, %s, timeout %s)", h.Name, redactURL(h.URL), h.format(), signed, h.timeout())
}

// GoString keeps %#v, which would otherwise print every field, from
// revealing the secret.
func (h Webhook) GoString() string { return "notify.Webhook{" + h.String() + "}" }

// LogValue logs the webhook without its secret.
func (h Webhook) LogValue() slog.Value {
	secret := ""
	if h.Secret != "" {
		secret = redacted
	}
	return slog.GroupValue(
		slog.String("name", h.Name),
		slog.String("url", redactURL(h.URL)),
		slog.String("format", h.format()),
		slog.Duration("timeout", h.timeout()),
		slog.String("secret", secret),
	)
}

func (h Webhook) format() string {
	if h.Format == "" {
		return FormatJSON
	}
	return h.Format
}

func (h Webhook) timeout() time.Duration {
	if h.Timeout <= 0 {
		return defaultWebhookTimeout
	}
	return h.Timeout
}

// redactor rewrites, in text about this webhook, everything that may be a
// credential: the secret, the URL's query, user password and path, and
// the query's values as a receiver might echo them decoded.
func (h Webhook) redactor() *strings.Replacer {
	var pairs []string
	add := func(old, repl string) {
		if old != "" {
			pairs = append(pairs, old, repl)
		}
	}
	add(h.URL, redactURL(h.URL)) // first, so the whole URL wins over its parts
	add(h.Secret, redacted)
	if u, err := url.Parse(h.URL); err == nil {
		add(u.RawQuery, redacted)
		if u.User != nil {
			if p, ok := u.User.Password(); ok {
				add(p, redacted)
			}
		}
		if len(u.Path) >= 4 {
			add(u.EscapedPath(), "/"+redacted)
			add(u.Path, "/"+redacted)
		}
		for _, vs := range u.Query() {
			for _, v := range vs {
				if len(v) >= 4 {
					add(v, redacted)
				}
			}
		}
	}
	return strings.NewReplacer(pairs...)
}

// redactURL reduces a URL to scheme and host, which identify the receiver
// without any token it may carry.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(invalid URL)"
	}
	return u.Scheme + "://" + u.Host
}

// Verify reports whether signature, the X-Tandem-Signature header, is the
// HMAC-SHA256 with secret of timestamp (the X-Tandem-Timestamp header), a
// dot and body (the raw request body). It compares in constant time. It
// does not judge the timestamp's age: a receiver should also refuse
// timestamps too far from its clock. An empty secret verifies nothing.
func Verify(secret, timestamp, body, signature string) bool {
	if secret == "" {
		return false
	}
	h, ok := strings.CutPrefix(signature, "sha256=")
	if !ok {
		return false
	}
	got, err := hex.DecodeString(h)
	if err != nil {
		return false
	}
	return hmac.Equal(got, mac(secret, timestamp, []byte(body)))
}

func mac(secret, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}

func sign(secret, timestamp string, body []byte) string {
	return "sha256=" + hex.EncodeToString(mac(secret, timestamp, body))
}

// webhookBody renders n in the webhook's format.
func webhookBody(h Webhook, n tandem.Notification) ([]byte, error) {
	switch h.format() {
	case FormatJSON:
		if !json.Valid(n.Payload) {
			return nil, errors.New("payload is not valid JSON")
		}
		return n.Payload, nil
	case FormatSlack:
		if len(n.Payload) > 0 && !json.Valid(n.Payload) {
			return nil, errors.New("payload is not valid JSON")
		}
		return slackBody(n)
	default:
		return nil, fmt.Errorf("unknown webhook format %q", h.Format)
	}
}

// postWebhook makes one delivery attempt.
func (s *Sender) postWebhook(ctx context.Context, h Webhook, n tandem.Notification) error {
	red := h.redactor()
	body, err := webhookBody(h, n)
	if err != nil {
		return permanent(errors.New(sanitize(err.Error(), red)))
	}
	event := n.Event
	if event == "" {
		event = decodeEvent(n).Event
	}
	if strings.ContainsFunc(event+n.ID, unicode.IsControl) {
		return permanent(errors.New("event or id contains control characters"))
	}

	ctx, cancel := context.WithTimeout(ctx, h.timeout())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(body))
	if err != nil {
		return errors.New(sanitize("webhook URL: "+unwrapURLError(err).Error(), red))
	}
	ts := strconv.FormatInt(s.now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Tandem-Webhook/1")
	req.Header.Set(HeaderEvent, event)
	req.Header.Set(HeaderDelivery, n.ID)
	req.Header.Set(HeaderTimestamp, ts)
	if h.Secret != "" {
		req.Header.Set(HeaderSignature, sign(h.Secret, ts, body))
	}

	resp, err := s.client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("no response within %s", h.timeout())
		}
		return errors.New(sanitize(unwrapURLError(err).Error(), red))
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return nil // a body cut short does not undo the receiver's 2xx
	}
	msg := "HTTP " + strconv.Itoa(resp.StatusCode)
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		msg += " (redirects are not followed)"
	}
	if len(answer) > 0 {
		msg += ": " + string(answer)
	}
	return errors.New(sanitize(msg, red))
}

// unwrapURLError drops the *url.Error wrapper, whose message quotes the
// full URL, keeping the cause.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}
