package notify

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

// smtpServer is just enough of an SMTP server to receive a message:
// greeting, EHLO/HELO, AUTH PLAIN (when offerAuth), MAIL, RCPT, DATA, RSET,
// NOOP and QUIT, on a loopback listener.
type smtpServer struct {
	addr      string
	offerAuth bool
	authReply string // the answer to AUTH; "235 ..." accepts

	mu     sync.Mutex
	mails  []smtpMail
	logins []string // decoded AUTH PLAIN responses
}

type smtpMail struct {
	from string
	to   []string
	data []byte
}

func startSMTP(t *testing.T, offerAuth bool, authReply string) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{addr: ln.Addr().String(), offerAuth: offerAuth, authReply: authReply}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { s.serve(conn) })
		}
	})
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	return s
}

func (s *smtpServer) serve(conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	tp := textproto.NewConn(conn)
	reply := func(lines ...string) {
		for _, l := range lines {
			tp.PrintfLine("%s", l)
		}
	}
	reply("220 localhost ESMTP test")
	var cur smtpMail
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			if s.offerAuth {
				reply("250-localhost", "250-AUTH PLAIN", "250 8BITMIME")
			} else {
				reply("250-localhost", "250 8BITMIME")
			}
		case "HELO", "NOOP":
			reply("250 ok")
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			dec, err := base64.StdEncoding.DecodeString(resp)
			if mech != "PLAIN" || err != nil {
				reply("504 unsupported")
				continue
			}
			s.mu.Lock()
			s.logins = append(s.logins, string(dec))
			s.mu.Unlock()
			reply(s.authReply)
		case "MAIL":
			cur = smtpMail{from: angle(arg)}
			reply("250 ok")
		case "RCPT":
			cur.to = append(cur.to, angle(arg))
			reply("250 ok")
		case "DATA":
			reply("354 go ahead")
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			cur.data = data
			s.mu.Lock()
			s.mails = append(s.mails, cur)
			s.mu.Unlock()
			reply("250 queued")
		case "RSET":
			cur = smtpMail{}
			reply("250 ok")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 5.5.1 unrecognized command")
		}
	}
}

// angle returns the address between < and > in "FROM:<a@b> BODY=8BITMIME".
func angle(arg string) string {
	_, rest, _ := strings.Cut(arg, "<")
	addr, _, _ := strings.Cut(rest, ">")
	return addr
}

func (s *smtpServer) received() ([]smtpMail, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]smtpMail(nil), s.mails...), append([]string(nil), s.logins...)
}

func TestSMTPDelivery(t *testing.T) {
	tests := []struct {
		name      string
		username  string
		password  string
		wantLogin string
	}{
		{"without auth", "", "", ""},
		{"with PLAIN auth on loopback", "desk", "pw-9", "\x00desk\x00pw-9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startSMTP(t, tt.username != "", "235 accepted")
			c := newClock()
			e := sampleEvent()
			e.DealID = "D-Zürich"
			n := notification(t, "n1", "email:ann@example.com", e, c.Now())
			o := newOutbox(n)
			s := New(o, nil, &SMTP{Addr: srv.addr, From: "Tandem Desk <desk@tandem.example>",
				Username: tt.username, Password: tt.password}, nil, c.Now, nil)

			if d, f, err := s.Flush(t.Context()); d != 1 || f != 0 || err != nil {
				t.Fatalf("Flush = %d, %d, %v (%q); want 1 delivered", d, f, err, o.get(t, "n1").LastError)
			}
			mails, logins := srv.received()
			if len(mails) != 1 {
				t.Fatalf("server received %d messages, want 1", len(mails))
			}
			if tt.wantLogin == "" && len(logins) != 0 || tt.wantLogin != "" && (len(logins) != 1 || logins[0] != tt.wantLogin) {
				t.Errorf("logins = %q, want %q", logins, tt.wantLogin)
			}
			m := mails[0]
			if m.from != "desk@tandem.example" || strings.Join(m.to, ",") != "ann@example.com" {
				t.Errorf("envelope from %q to %q", m.from, m.to)
			}

			msg, err := mail.ReadMessage(bytes.NewReader(m.data))
			if err != nil {
				t.Fatalf("message does not parse: %v\n%s", err, m.data)
			}
			wantSubject, wantText := s.Render(n)
			subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
			if err != nil || subject != wantSubject {
				t.Errorf("Subject = %q (%v), want %q", subject, err, wantSubject)
			}
			date, err := msg.Header.Date()
			if err != nil || !date.Equal(c.Now()) {
				t.Errorf("Date = %v (%v), want %v", date, err, c.Now())
			}
			for h, want := range map[string]string{
				"From":                      `"Tandem Desk" <desk@tandem.example>`,
				"To":                        "<ann@example.com>",
				"Message-Id":                "<tandem.n1@tandem.example>",
				"Mime-Version":              "1.0",
				"Content-Type":              "text/plain; charset=utf-8",
				"Content-Transfer-Encoding": "quoted-printable",
			} {
				if got := msg.Header.Get(h); got != want {
					t.Errorf("%s = %q, want %q", h, got, want)
				}
			}
			body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.ReplaceAll(string(body), "\r\n", "\n"); got != wantText {
				t.Errorf("body = %q, want %q", got, wantText)
			}
			if got := o.get(t, "n1"); got.Status != tandem.NotifyDelivered {
				t.Errorf("recorded %+v, want delivered", got)
			}
		})
	}
}

func TestMailHeaderInjectionRefused(t *testing.T) {
	injected := sampleEvent()
	injected.QuoteID = "Q-17\r\nBcc: eve@evil.example"
	lf := sampleEvent()
	lf.QuoteID = "Q-17\nBcc: eve@evil.example"
	tests := []struct {
		name    string
		channel string
		event   Event
		from    string
	}{
		{"CRLF in recipient", "email:ann@example.com\r\nBcc: eve@evil.example", sampleEvent(), "desk@tandem.example"},
		{"LF in recipient", "email:ann@example.com\nBcc: eve@evil.example", sampleEvent(), "desk@tandem.example"},
		{"CRLF in subject", "email:ann@example.com", injected, "desk@tandem.example"},
		{"LF in subject", "email:ann@example.com", lf, "desk@tandem.example"},
		{"CRLF in sender", "email:ann@example.com", sampleEvent(), "desk@tandem.example\r\nBcc: eve@evil.example"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startSMTP(t, false, "")
			c := newClock()
			o := newOutbox(notification(t, "n1", tt.channel, tt.event, c.Now()))
			s := New(o, nil, &SMTP{Addr: srv.addr, From: tt.from}, nil, c.Now, nil)

			if d, f, err := s.Flush(t.Context()); d != 0 || f != 1 || err != nil {
				t.Fatalf("Flush = %d, %d, %v; want the message refused", d, f, err)
			}
			if mails, _ := srv.received(); len(mails) != 0 {
				t.Fatalf("a message went out:\n%s", mails[0].data)
			}
			if n := o.get(t, "n1"); !strings.Contains(n.LastError, "line break") {
				t.Errorf("LastError = %q, want the line break named", n.LastError)
			}
		})
	}

	t.Run("Validate refuses a sender with a line break", func(t *testing.T) {
		err := SMTP{Addr: "mail:25", From: "desk@tandem.example\r\nBcc: eve@evil.example"}.Validate()
		if tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("Validate = %v, want %s", err, tandem.EINVALID)
		}
	})
}

func TestMessageHeaders(t *testing.T) {
	from, _ := mail.ParseAddress("desk@tandem.example")
	to, _ := mail.ParseAddress("ann@example.com")
	tests := []struct {
		subject string
		ok      bool
	}{
		{"Approval needed: quote Q-1", true},
		{"Genehmigung für Angebot Ü-1", true},
		{"a\rb", false},
		{"a\nBcc: x", false},
		{"a\x00b", false},
	}
	for _, tt := range tests {
		msg, err := message(from, to, tt.subject, "body\n", "n1", time.Unix(0, 0))
		if (err == nil) != tt.ok {
			t.Errorf("message(subject %q) error %v, want ok %v", tt.subject, err, tt.ok)
			continue
		}
		if err != nil {
			continue
		}
		head, _, _ := bytes.Cut(msg, []byte("\r\n\r\n"))
		for _, line := range strings.Split(string(head), "\r\n") {
			if strings.ContainsAny(line, "\r\n") || !strings.Contains(line, ": ") {
				t.Errorf("subject %q: malformed header line %q", tt.subject, line)
			}
			if line != strings.ToValidUTF8(line, "") || strings.ContainsFunc(line, func(r rune) bool { return r > 127 }) {
				t.Errorf("subject %q: header line not 7-bit: %q", tt.subject, line)
			}
		}
	}
}

func TestSMTPPasswordNeverLeaks(t *testing.T) {
	const password = "PWSECRET-81ae"
	// A server that quotes the credentials back in its refusal.
	srv := startSMTP(t, true, "535 authentication failed for desk/"+password)
	logger, logs := newLogger()
	c := newClock()
	o := newOutbox(notification(t, "n1", "email:ann@example.com", sampleEvent(), c.Now()))
	cfg := SMTP{Addr: srv.addr, From: "desk@tandem.example", Username: "desk", Password: password}
	s := New(o, nil, &cfg, logger, c.Now, nil)
	logger.Info("configured", "smtp", cfg)

	if _, f, err := s.Flush(t.Context()); f != 1 || err != nil {
		t.Fatalf("Flush: %d failed, %v; want the refused login to count as a failure", f, err)
	}
	n := o.get(t, "n1")
	if n.Status != tandem.NotifyPending || !strings.Contains(n.LastError, "535") {
		t.Errorf("recorded %+v; want a pending retry naming the 535", n)
	}
	outputs := map[string]string{
		"LastError": n.LastError, "log": logs.String(), "String": cfg.String(),
		"%#v": fmt.Sprintf("%#v", cfg), "%+v": fmt.Sprintf("%+v", cfg),
	}
	for name, out := range outputs {
		if strings.Contains(out, password) {
			t.Errorf("%s reveals the password: %s", name, out)
		}
	}
}
