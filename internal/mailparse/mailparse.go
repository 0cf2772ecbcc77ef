// Package mailparse turns raw e-mail (single .eml files and mbox archives)
// into Messages that feedback intake can store: sender, threading headers,
// plain text, the HTML kept raw, and attachments. It is pure: no I/O beyond
// the readers it is given, standard library only, and every size it reads is
// bounded by Options so that a hostile archive cannot exhaust memory.
//
// Matching the sender to a rep or contact, and storing anything, is the
// caller's job.
package mailparse

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
)

// Default limits, used for any Options field left at zero. They are generous
// for feedback mail (a few screenshots or a PDF) and small enough that one
// message cannot take a meaningful share of a server's memory.
const (
	DefaultMaxRawBytes     = 64 << 20 // 64 MiB of encoded input per message
	DefaultMaxMessageBytes = 32 << 20 // 32 MiB decoded across all parts
	DefaultMaxPartBytes    = 16 << 20 // 16 MiB decoded in one part
	DefaultMaxParts        = 100      // MIME parts, containers included
	DefaultMaxDepth        = 8        // multipart nesting levels
)

// Options bounds what parsing may read. A zero field takes its Default
// constant, so Options{} is a safe choice.
type Options struct {
	// MaxRawBytes caps the encoded size of one message, headers included.
	MaxRawBytes int64
	// MaxMessageBytes caps the decoded size of all parts of one message.
	MaxMessageBytes int64
	// MaxPartBytes caps the decoded size of any one part.
	MaxPartBytes int64
	// MaxParts caps the number of MIME parts, multipart containers included.
	MaxParts int
	// MaxDepth caps how deeply multiparts may nest; the top level is depth 0.
	MaxDepth int
}

func (o Options) withDefaults() Options {
	if o.MaxRawBytes <= 0 {
		o.MaxRawBytes = DefaultMaxRawBytes
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if o.MaxPartBytes <= 0 {
		o.MaxPartBytes = DefaultMaxPartBytes
	}
	if o.MaxParts <= 0 {
		o.MaxParts = DefaultMaxParts
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	return o
}

// Message is one parsed e-mail.
type Message struct {
	// MessageID, InReplyTo and References hold message ids without the
	// angle brackets, as used by Threads and Dedupe.
	MessageID  string
	InReplyTo  string
	References []string

	From    mail.Address
	To      []mail.Address
	Cc      []mail.Address
	Subject string
	Date    time.Time // zero when the Date header is missing or unreadable

	// Text is the plain-text body, decoded to UTF-8 where the charset is
	// known. When the mail has only HTML, Text is derived from it.
	Text string
	// HTML is the HTML body as sent (decoded to UTF-8). It is kept for
	// reference and must never be rendered as trusted markup.
	HTML string

	Attachments []Attachment

	// Notes records what parsing tolerated or could not do (an unknown
	// charset, an unreadable date), in sentences meant for people.
	Notes []string
}

// Attachment is a decoded non-body part.
type Attachment struct {
	Name        string // file name without any directory part; may be empty
	ContentType string // media type without parameters, e.g. "image/png"
	ContentID   string // Content-ID without angle brackets, for inline images
	Inline      bool   // Content-Disposition was inline
	Size        int    // len(Data)
	Data        []byte
}

// ParseMessage reads one RFC 5322 message from r. Errors have code
// tandem.EINVALID for malformed mail and tandem.ETOOLARGE for a limit
// exceeded; either way the message is rejected as a whole, because a
// half-read message would silently lose feedback.
func ParseMessage(r io.Reader, opt Options) (*Message, error) {
	opt = opt.withDefaults()
	// One byte over the limit lets us tell "exactly at" from "over".
	lr := &io.LimitedReader{R: r, N: opt.MaxRawBytes + 1}
	m, err := parse(lr, opt)
	if err != nil {
		return nil, err
	}
	return m, nil
}

// parser carries the per-message state while the MIME tree is walked.
type parser struct {
	opt     Options
	raw     *io.LimitedReader
	m       *Message
	parts   int
	decoded int64
	dec     *mime.WordDecoder
}

func parse(lr *io.LimitedReader, opt Options) (*Message, error) {
	p := &parser{opt: opt, raw: lr, m: &Message{}, dec: &mime.WordDecoder{CharsetReader: charsetReader}}
	msg, err := mail.ReadMessage(bufio.NewReader(lr))
	if err != nil {
		if p.overRaw() {
			return nil, p.tooLarge()
		}
		return nil, p.fail(tandem.EINVALID, err, "unreadable header")
	}
	p.headers(msg.Header)

	h := textproto.MIMEHeader(msg.Header)
	if err := p.walk(h, msg.Body, 0, ""); err != nil {
		return nil, err
	}
	// Reading the body to its end may have hit the raw limit even if every
	// part was small, e.g. a huge preamble or epilogue.
	if _, err := io.Copy(io.Discard, msg.Body); err != nil {
		return nil, p.fail(tandem.EINVALID, err, "read body")
	}
	if p.overRaw() {
		return nil, p.tooLarge()
	}
	if strings.TrimSpace(p.m.Text) == "" && p.m.HTML != "" {
		p.m.Text = HTMLToText(p.m.HTML)
		p.note("the plain text was derived from the HTML body")
	}
	return p.m, nil
}

func (p *parser) overRaw() bool { return p.raw.N <= 0 }

func (p *parser) tooLarge() error {
	return p.fail(tandem.ETOOLARGE, nil, fmt.Sprintf("the message is over %d bytes", p.opt.MaxRawBytes))
}

func (p *parser) note(format string, args ...any) {
	p.m.Notes = append(p.m.Notes, fmt.Sprintf(format, args...))
}

// fail builds the error for this message, naming it by Message-ID when the
// header was read, so that a log line leads back to the mail.
func (p *parser) fail(code string, cause error, msg string) error {
	op := "parse message"
	if p.m.MessageID != "" {
		op += " <" + p.m.MessageID + ">"
	}
	return &tandem.Error{Code: code, Op: op, Message: msg, Err: cause}
}

func (p *parser) headers(h mail.Header) {
	m := p.m
	ids := messageIDs(h.Get("Message-Id"))
	if len(ids) > 0 {
		m.MessageID = ids[0]
	}
	if ids := messageIDs(h.Get("In-Reply-To")); len(ids) > 0 {
		m.InReplyTo = ids[0]
	}
	m.References = messageIDs(h.Get("References"))

	ap := mail.AddressParser{WordDecoder: p.dec}
	if v := h.Get("From"); v == "" {
		p.note("the From header is missing")
	} else if list, err := ap.ParseList(v); err != nil || len(list) == 0 {
		// Keep what was there: a person can still read it and the caller
		// can still try to match it.
		m.From = mail.Address{Name: p.decodeWord(v)}
		p.note("the From header %q is not an address", v)
	} else {
		m.From = *list[0]
	}
	m.To = p.addresses(ap, h, "To")
	m.Cc = p.addresses(ap, h, "Cc")
	m.Subject = p.decodeWord(h.Get("Subject"))
	if h.Get("Date") != "" {
		d, err := h.Date()
		if err != nil {
			p.note("the Date header %q is not a date", h.Get("Date"))
		} else {
			m.Date = d
		}
	}
}

func (p *parser) addresses(ap mail.AddressParser, h mail.Header, key string) []mail.Address {
	v := h.Get(key)
	if v == "" {
		return nil
	}
	list, err := ap.ParseList(v)
	if err != nil {
		p.note("the %s header %q is not a list of addresses", key, v)
		return nil
	}
	out := make([]mail.Address, len(list))
	for i, a := range list {
		out[i] = *a
	}
	return out
}

// decodeWord decodes RFC 2047 encoded words, keeping the raw text when they
// are broken: a garbled subject is better than none.
func (p *parser) decodeWord(s string) string {
	d, err := p.dec.DecodeHeader(s)
	if err != nil {
		return s
	}
	return d
}

// messageIDs extracts the ids in a Message-ID, In-Reply-To or References
// header. Ids are taken from between angle brackets; a header without any
// (some mailers omit them) counts as whitespace-separated ids.
func messageIDs(v string) []string {
	var ids []string
	rest := v
	for {
		i := strings.IndexByte(rest, '<')
		if i < 0 {
			break
		}
		j := strings.IndexByte(rest[i:], '>')
		if j < 0 {
			break
		}
		if id := strings.TrimSpace(rest[i+1 : i+j]); id != "" {
			ids = append(ids, id)
		}
		rest = rest[i+j+1:]
	}
	if ids == nil {
		for f := range strings.FieldsSeq(v) {
			ids = append(ids, strings.Trim(f, "<>"))
		}
	}
	return ids
}

// walk handles one MIME entity: containers recurse, leaves are decoded into
// the body or an attachment. path names the part ("1.2") in errors.
func (p *parser) walk(h textproto.MIMEHeader, body io.Reader, depth int, path string) error {
	where := "body"
	if path != "" {
		where = "part " + path
	}
	p.parts++
	if p.parts > p.opt.MaxParts {
		return p.fail(tandem.ETOOLARGE, nil, fmt.Sprintf("%s: more than %d MIME parts", where, p.opt.MaxParts))
	}
	ctype, params := "text/plain", map[string]string{}
	if v := h.Get("Content-Type"); v != "" {
		t, ps, err := mime.ParseMediaType(v)
		switch {
		case err == nil || errors.Is(err, mime.ErrInvalidMediaParameter):
			ctype, params = t, ps
		case depth > 0 && h.Get("Content-Disposition") != "":
			// A broken type on an attachment loses only the type.
			ctype = "application/octet-stream"
			p.note("%s: Content-Type %q is malformed; treated as application/octet-stream", where, v)
		default:
			return p.fail(tandem.EINVALID, err, fmt.Sprintf("%s: malformed Content-Type %q", where, v))
		}
	}

	if strings.HasPrefix(ctype, "multipart/") {
		if depth >= p.opt.MaxDepth {
			return p.fail(tandem.ETOOLARGE, nil, fmt.Sprintf("%s: multiparts nested deeper than %d levels", where, p.opt.MaxDepth))
		}
		boundary := params["boundary"]
		if boundary == "" {
			return p.fail(tandem.EINVALID, nil, fmt.Sprintf("%s: %s without a boundary", where, ctype))
		}
		mr := multipart.NewReader(body, boundary)
		for i := 1; ; i++ {
			// NextRawPart leaves Content-Transfer-Encoding to us, so that
			// the size limits apply to what we decode.
			part, err := mr.NextRawPart()
			if err == io.EOF {
				if i == 1 {
					p.note("%s: %s has no parts", where, ctype)
				}
				return nil
			}
			if err != nil {
				if p.overRaw() {
					return p.tooLarge()
				}
				return p.fail(tandem.EINVALID, err, fmt.Sprintf("%s: broken %s (boundary %q)", where, ctype, boundary))
			}
			sub := fmt.Sprint(i)
			if path != "" {
				sub = path + "." + sub
			}
			if err := p.walk(part.Header, part, depth+1, sub); err != nil {
				return err
			}
		}
	}

	data, err := p.decode(h, body, where)
	if err != nil {
		return err
	}
	disp, dparams, _ := mime.ParseMediaType(h.Get("Content-Disposition"))
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	name = baseName(p.decodeWord(name))
	isBody := disp != "attachment" && name == "" && (ctype == "text/plain" || ctype == "text/html")
	if !isBody {
		p.m.Attachments = append(p.m.Attachments, Attachment{
			Name:        name,
			ContentType: ctype,
			ContentID:   strings.Trim(strings.TrimSpace(h.Get("Content-Id")), "<>"),
			Inline:      disp == "inline",
			Size:        len(data),
			Data:        data,
		})
		return nil
	}
	text := p.toUTF8(data, params["charset"], where)
	if ctype == "text/html" {
		p.m.HTML = join(p.m.HTML, text)
	} else {
		p.m.Text = join(p.m.Text, text)
	}
	return nil
}

// join appends a further body part; several inline text parts in a
// multipart/mixed are one body split by attachments.
func join(a, b string) string {
	if a == "" {
		return b
	}
	return strings.TrimRight(a, "\r\n") + "\n\n" + b
}

// baseName drops any directory from an attachment name: senders control it,
// and a caller writing it to disk must not be steered by "../".
func baseName(s string) string {
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	s = strings.TrimSpace(s)
	if s == "." || s == ".." {
		return ""
	}
	return s
}

// decode undoes the transfer encoding, reading at most one byte past the
// smaller of the part and the remaining message limits. That byte is how an
// oversize part is detected without reading the rest of it, which is what
// makes a "bomb" cheap to refuse.
func (p *parser) decode(h textproto.MIMEHeader, body io.Reader, where string) ([]byte, error) {
	var r io.Reader
	enc := strings.ToLower(strings.TrimSpace(h.Get("Content-Transfer-Encoding")))
	switch enc {
	case "", "7bit", "8bit", "binary":
		r = body
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, &base64Cleaner{r: body})
	default:
		p.note("%s: unknown Content-Transfer-Encoding %q; kept as is", where, enc)
		r = body
	}
	limit := min(p.opt.MaxPartBytes, p.opt.MaxMessageBytes-p.decoded)
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if int64(len(data)) > limit {
		if limit < p.opt.MaxPartBytes {
			return nil, p.fail(tandem.ETOOLARGE, nil, fmt.Sprintf("%s: the decoded message is over %d bytes", where, p.opt.MaxMessageBytes))
		}
		return nil, p.fail(tandem.ETOOLARGE, nil, fmt.Sprintf("%s: the decoded part is over %d bytes", where, p.opt.MaxPartBytes))
	}
	if err != nil {
		if p.overRaw() {
			return nil, p.tooLarge()
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, p.fail(tandem.EINVALID, err, where+": the mail ends inside this part (a multipart without its closing boundary, or truncated)")
		}
		return nil, p.fail(tandem.EINVALID, err, fmt.Sprintf("%s: cannot decode %s content", where, enc))
	}
	p.decoded += int64(len(data))
	return data, nil
}

// base64Cleaner drops bytes outside the base64 alphabet (spaces, tabs,
// stray line noise) that mailers leave in encoded bodies; encoding/base64
// only skips CR and LF and would otherwise reject mail every client shows.
type base64Cleaner struct{ r io.Reader }

func (c *base64Cleaner) Read(b []byte) (int, error) {
	for {
		n, err := c.r.Read(b)
		w := 0
		for _, ch := range b[:n] {
			if ch >= 'A' && ch <= 'Z' || ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '+' || ch == '/' || ch == '=' {
				b[w] = ch
				w++
			}
		}
		if w > 0 || err != nil {
			return w, err
		}
	}
}

// toUTF8 decodes a text body. Only the charsets feedback mail actually uses
// are decoded by hand (keeping the package free of dependencies); others are
// kept as is with a note so that nothing is silently mangled.
func (p *parser) toUTF8(b []byte, charset, where string) string {
	switch cs := strings.ToLower(strings.TrimSpace(charset)); cs {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		if !utf8.Valid(b) {
			p.note("%s: invalid UTF-8 replaced", where)
			return strings.ToValidUTF8(string(b), "\uFFFD")
		}
		return string(b)
	case "iso-8859-1", "iso8859-1", "latin1", "latin-1", "l1":
		return latin1(b)
	case "windows-1252", "cp1252", "x-cp1252":
		return windows1252(b)
	default:
		p.note("%s: charset %q not decoded; kept as is", where, charset)
		return string(b)
	}
}

func latin1(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for _, c := range b {
		sb.WriteRune(rune(c))
	}
	return sb.String()
}

// cp1252 maps bytes 0x80–0x9F, where Windows-1252 differs from ISO-8859-1.
// Unassigned bytes map to U+FFFD.
var cp1252 = [32]rune{
	'€', '\uFFFD', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\uFFFD', 'Ž', '\uFFFD',
	'\uFFFD', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\uFFFD', 'ž', 'Ÿ',
}

func windows1252(b []byte) string {
	var sb strings.Builder
	sb.Grow(len(b))
	for _, c := range b {
		if c >= 0x80 && c <= 0x9F {
			sb.WriteRune(cp1252[c-0x80])
		} else {
			sb.WriteRune(rune(c))
		}
	}
	return sb.String()
}

// charsetReader lets mime.WordDecoder read Windows-1252 encoded words
// (Outlook's favourite); it handles UTF-8 and ISO-8859-1 itself.
func charsetReader(charset string, r io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "windows-1252", "cp1252":
		b, err := io.ReadAll(io.LimitReader(r, 1<<16))
		if err != nil {
			return nil, err
		}
		return strings.NewReader(windows1252(b)), nil
	case "iso-8859-1", "latin1":
		b, err := io.ReadAll(io.LimitReader(r, 1<<16))
		if err != nil {
			return nil, err
		}
		return bytes.NewReader([]byte(latin1(b))), nil
	}
	return nil, fmt.Errorf("unhandled charset %q", charset)
}
