package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

const defaultSMTPTimeout = 30 * time.Second

// SMTP is the relay e-mail notifications go through. The connection is
// upgraded with STARTTLS whenever the server offers it; credentials, when
// Username is set, are sent with PLAIN authentication, which net/smtp
// allows only over TLS or to localhost. String and LogValue leave the
// password out, and so do delivery errors.
type SMTP struct {
	Addr     string // host:port
	From     string // sender address, e.g. "Tandem <desk@example.com>"
	Username string
	Password string
	Timeout  time.Duration // per message, connection included; zero means 30s
}

// Validate reports a relay configuration that could never deliver.
func (m SMTP) Validate() error {
	if _, _, err := net.SplitHostPort(m.Addr); err != nil {
		return tandem.Errorf(tandem.EINVALID, "smtp: address %q is not host:port", m.Addr)
	}
	if _, err := parseAddress(m.From); err != nil {
		return tandem.Errorf(tandem.EINVALID, "smtp: from: %v", err)
	}
	if m.Password != "" && m.Username == "" {
		return tandem.Errorf(tandem.EINVALID, "smtp: a password without a username")
	}
	if m.Timeout < 0 {
		return tandem.Errorf(tandem.EINVALID, "smtp: negative timeout")
	}
	return nil
}

// String describes the relay without its password.
func (m SMTP) String() string {
	auth := "no auth"
	if m.Username != "" {
		auth = "user " + m.Username + ", password " + redacted
	}
	return fmt.Sprintf("smtp %s from %s (%s)", m.Addr, m.From, auth)
}

// GoString keeps %#v from revealing the password.
func (m SMTP) GoString() string { return "notify.SMTP{" + m.String() + "}" }

// LogValue logs the relay without its password.
func (m SMTP) LogValue() slog.Value {
	password := ""
	if m.Password != "" {
		password = redacted
	}
	return slog.GroupValue(
		slog.String("addr", m.Addr),
		slog.String("from", m.From),
		slog.String("username", m.Username),
		slog.String("password", password),
	)
}

func (m SMTP) timeout() time.Duration {
	if m.Timeout <= 0 {
		return defaultSMTPTimeout
	}
	return m.Timeout
}

func (m SMTP) redactor() *strings.Replacer {
	if m.Password == "" {
		return nil
	}
	return strings.NewReplacer(m.Password, redacted)
}

// parseAddress parses one address, refusing line breaks and other control
// characters outright: they are how a header gets injected, and a parser
// that tolerates folding whitespace should not be the only guard.
func parseAddress(s string) (*mail.Address, error) {
	if strings.ContainsAny(s, "\r\n") || strings.ContainsFunc(s, isControl) {
		return nil, errors.New("address contains a line break or control character")
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("address %q: %w", s, err)
	}
	return a, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// message builds an RFC 5322 message. Every header value is either
// checked to be free of line breaks or produced by an encoder that cannot
// emit one, so no field can start a header of its own.
func message(from, to *mail.Address, subject, text, id string, date time.Time) ([]byte, error) {
	if strings.ContainsFunc(subject, isControl) {
		return nil, errors.New("subject contains a line break or control character")
	}
	var b bytes.Buffer
	header := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	header("From", from.String())
	header("To", to.String())
	header("Subject", mime.QEncoding.Encode("utf-8", subject))
	header("Date", date.Format(time.RFC1123Z))
	header("Message-ID", messageID(id, from.Address))
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	// RFC 3834: keeps vacation responders from answering a robot.
	header("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	w := quotedprintable.NewWriter(&b)
	if _, err := w.Write([]byte(text)); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// messageID derives the Message-ID from the notification id, so a retry of
// a message the relay did accept is recognisable as the same message.
func messageID(id, from string) string {
	domain := "tandem.invalid"
	if _, d, ok := strings.Cut(from, "@"); ok && d != "" {
		domain = d
	}
	local := id
	if local == "" || strings.ContainsFunc(local, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_')
	}) {
		sum := sha256.Sum256([]byte(id))
		local = hex.EncodeToString(sum[:12])
	}
	return "<tandem." + local + "@" + domain + ">"
}

// sendMail makes one delivery attempt to the address in an "email:"
// channel.
func (s *Sender) sendMail(ctx context.Context, m SMTP, to string, n tandem.Notification) error {
	red := m.redactor()
	from, err := parseAddress(m.From)
	if err != nil {
		// Retried: the configuration, not the notification, is at fault.
		return fmt.Errorf("from: %s", sanitize(err.Error(), red))
	}
	rcpt, err := parseAddress(to)
	if err != nil {
		return permanent(fmt.Errorf("to: %s", sanitize(err.Error(), red)))
	}
	subject, text := s.Render(n)
	msg, err := message(from, rcpt, subject, text, n.ID, s.now())
	if err != nil {
		return permanent(err)
	}
	if err := m.send(ctx, from.Address, rcpt.Address, msg); err != nil {
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("smtp %s: no answer within %s", m.Addr, m.timeout())
		}
		return errors.New(sanitize("smtp "+m.Addr+": "+err.Error(), red))
	}
	return nil
}

// send runs one SMTP transaction. net/smtp.SendMail would do, but it has no
// timeout: a relay that accepts the connection and says nothing would hang
// the lane forever.
func (m SMTP) send(ctx context.Context, from, to string, msg []byte) error {
	host, _, err := net.SplitHostPort(m.Addr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, m.timeout())
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.Addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	if deadline, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(deadline); err != nil {
			return err
		}
	}
	// Errors after this point come from a connection ctx may have closed;
	// report the cancellation, not "use of closed network connection".
	fail := func(err error) error {
		if err != nil && ctx.Err() != nil {
			return ctx.Err()
		}
		return err
	}

	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return fail(err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}); err != nil {
			return fail(err)
		}
	}
	if m.Username != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return errors.New("server does not offer AUTH")
		}
		if err := c.Auth(smtp.PlainAuth("", m.Username, m.Password, host)); err != nil {
			return fail(err)
		}
	}
	if err := c.Mail(from); err != nil {
		return fail(err)
	}
	if err := c.Rcpt(to); err != nil {
		return fail(err)
	}
	w, err := c.Data()
	if err != nil {
		return fail(err)
	}
	if _, err := w.Write(msg); err != nil {
		return fail(err)
	}
	if err := w.Close(); err != nil {
		return fail(err)
	}
	// The relay has taken the message; a failed goodbye changes nothing.
	_ = c.Quit()
	return nil
}
