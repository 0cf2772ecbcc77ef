package mailparse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
)

func parseFile(t *testing.T, name string, opt Options) (*Message, error) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return ParseMessage(bytes.NewReader(b), opt)
}

func TestParseMessage(t *testing.T) {
	type att struct {
		name, ctype string
		size        int
		prefix      string
	}
	tests := []struct {
		file      string
		id        string
		from      string // address
		fromName  string
		to        int
		subject   string
		text      string // Text must contain this
		notText   string // and must not contain this
		html      string // HTML must contain this ("" = HTML empty)
		atts      []att
		noteHas   string
		inReplyTo string
	}{
		{file: "plain.eml", id: "CAF1plain.001@mail.northwind.example", from: "maria.lopez@northwind.example", fromName: "María López", to: 1,
			subject: "Export to CSV is missing the “owner” column", text: "owner column is empty"},
		{file: "alternative.eml", id: "alt-7731@acme.example", from: "sam.chen@acme.example", fromName: "Sam Chen", to: 2,
			subject: "Dashboard loads slowly", text: "20 seconds to load", notText: "<b>", html: "<b>20 seconds</b>"},
		{file: "mixed-attachment.eml", id: "mixed-42@globex.example", from: "priya@globex.example", to: 1,
			subject: "Quote PDF renders wrong discount", text: "10 % instead of 15 %. \nSee page 1.", html: "<p>The discount",
			atts: []att{{name: "quote-Q-1042.pdf", ctype: "application/pdf", size: 45, prefix: "%PDF-1.4"}}},
		{file: "qp-latin1.eml", id: "qp-latin1-9@initech.example", from: "rene@initech.example", fromName: "René Dupré", to: 1,
			subject: "Problème de facturation", text: "facture de février affiche un montant erroné pour l'article « Café crème »."},
		{file: "html-only-cp1252.eml", id: "html-only-3@umbrella.example", from: "ada@umbrella.example", to: 1,
			subject: "Love the new “Deals” view", text: "The new “Deals” view is great – thanks!\n\n- Filters & sorting\n- Export",
			notText: "alert", html: "<script>alert(1)</script>", noteHas: "derived from the HTML"},
		{file: "enmime-mime-alternative.eml", id: "5081A889.3020108@jamehi03lx.noa.com", from: "jamehi03@jamehi03lx.noa.com", fromName: "James Hillyerd", to: 1,
			subject: "Multipart Mixed", text: "Section one\n\nSection two"},
		{file: "enmime-attachment.eml", id: "07B7061D-2676-487E-942E-C341CE4D13DC@makita.skynet", from: "james@makita.skynet", to: 1,
			subject: "Attachment", text: "A text section",
			atts: []att{{name: "test.html", ctype: "text/html", size: 7, prefix: "<html>\n"}}},
		{file: "enmime-html-only-inline.eml", id: "4E2E5A48-1A2C-4450-8663-D41B451DA93E@makita.skynet", from: "james@makita.skynet", to: 1,
			subject: "MIME test 1", text: "Test of HTML section", html: "Comic Sans MS",
			atts: []att{{name: "favicon.png", ctype: "image/png", size: 687, prefix: "\x89PNG"}}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			m, err := parseFile(t, tt.file, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if m.MessageID != tt.id {
				t.Errorf("MessageID = %q, want %q", m.MessageID, tt.id)
			}
			if m.From.Address != tt.from || (tt.fromName != "" && m.From.Name != tt.fromName) {
				t.Errorf("From = %+v, want %q <%s>", m.From, tt.fromName, tt.from)
			}
			if len(m.To) != tt.to {
				t.Errorf("To = %v, want %d addresses", m.To, tt.to)
			}
			if m.Subject != tt.subject {
				t.Errorf("Subject = %q, want %q", m.Subject, tt.subject)
			}
			if m.Date.IsZero() {
				t.Error("Date is zero")
			}
			if !strings.Contains(m.Text, tt.text) {
				t.Errorf("Text = %q, want it to contain %q", m.Text, tt.text)
			}
			if tt.notText != "" && strings.Contains(m.Text, tt.notText) {
				t.Errorf("Text = %q, must not contain %q", m.Text, tt.notText)
			}
			if tt.html == "" && m.HTML != "" || !strings.Contains(m.HTML, tt.html) {
				t.Errorf("HTML = %q, want %q", m.HTML, tt.html)
			}
			if len(m.Attachments) != len(tt.atts) {
				t.Fatalf("got %d attachments, want %d: %+v", len(m.Attachments), len(tt.atts), m.Attachments)
			}
			for i, a := range tt.atts {
				got := m.Attachments[i]
				if got.Name != a.name || got.ContentType != a.ctype || got.Size != a.size || len(got.Data) != got.Size || !bytes.HasPrefix(got.Data, []byte(a.prefix)) {
					t.Errorf("attachment %d = %q %q size %d data %q, want %+v", i, got.Name, got.ContentType, got.Size, got.Data[:min(8, len(got.Data))], a)
				}
			}
			if tt.noteHas != "" && !strings.Contains(strings.Join(m.Notes, "\n"), tt.noteHas) {
				t.Errorf("Notes = %q, want one containing %q", m.Notes, tt.noteHas)
			}
		})
	}
}

func TestParseMessageErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		code string
		msg  string // the error text must contain this
	}{
		{"never closed", "", tandem.EINVALID, "parse message <broken-1@hooli.example>: part 1: the mail ends inside this part"}, // from the file
		{"no boundary", "Message-ID: <a@b>\nContent-Type: multipart/mixed\n\nx\n", tandem.EINVALID, "without a boundary"},
		{"bad content type", "Message-ID: <a@b>\nContent-Type: text/\n\nx\n", tandem.EINVALID, "malformed Content-Type"},
		{"bad base64", "Message-ID: <a@b>\nContent-Type: application/pdf\nContent-Transfer-Encoding: base64\n\nQUJD=QUJD\n", tandem.EINVALID, "cannot decode base64"},
		{"no header", "this is not a mail", tandem.EINVALID, "unreadable header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var err error
			if tt.in == "" {
				_, err = parseFile(t, "malformed.eml", Options{})
			} else {
				_, err = ParseMessage(strings.NewReader(tt.in), Options{})
			}
			if err == nil {
				t.Fatal("no error")
			}
			if c := tandem.ErrorCode(err); c != tt.code {
				t.Errorf("code = %q, want %q (%v)", c, tt.code, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q does not contain %q", err, tt.msg)
			}
		})
	}
}

func TestCharsets(t *testing.T) {
	tests := []struct {
		charset string
		body    string
		want    string
		note    string
	}{
		{"utf-8", "caf\xc3\xa9", "café", ""},
		{"", "caf\xe9", "caf\uFFFD", "invalid UTF-8"},
		{"ISO-8859-1", "caf\xe9 \x80", "café \u0080", ""},
		{"windows-1252", "\x93hi\x94 \x80 \x81", "“hi” € \uFFFD", ""},
		{"koi8-r", "\xf0\xd2", "\xf0\xd2", `charset "koi8-r" not decoded`},
	}
	for _, tt := range tests {
		t.Run(tt.charset, func(t *testing.T) {
			in := "Message-ID: <c@x>\nFrom: a@b.example\nContent-Type: text/plain; charset=" + tt.charset + "\n\n" + tt.body
			m, err := ParseMessage(strings.NewReader(in), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if m.Text != tt.want {
				t.Errorf("Text = %q, want %q", m.Text, tt.want)
			}
			notes := strings.Join(m.Notes, "\n")
			if tt.note == "" && notes != "" || !strings.Contains(notes, tt.note) {
				t.Errorf("Notes = %q, want %q", notes, tt.note)
			}
		})
	}
}

func TestLimits(t *testing.T) {
	part := func(ctype, body string) string {
		return "--b\nContent-Type: " + ctype + "\nContent-Transfer-Encoding: base64\n\n" + body + "\n"
	}
	twoParts := "Message-ID: <l@x>\nContent-Type: multipart/mixed; boundary=b\n\n" +
		part("application/octet-stream", "QUJDREVGR0g=") + part("application/octet-stream", "QUJDREVGR0g=") + "--b--\n" // 8 bytes each
	nested := "Message-ID: <n@x>\n"
	for i := range 5 {
		nested += fmt.Sprintf("Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i)
	}
	nested += "Content-Type: text/plain\n\nhi\n"
	for i := 4; i >= 0; i-- {
		nested += fmt.Sprintf("--b%d--\n", i)
	}

	tests := []struct {
		name string
		in   string
		opt  Options
		msg  string // "" = must succeed
	}{
		{"part at limit", twoParts, Options{MaxPartBytes: 8}, ""},
		{"part over limit", twoParts, Options{MaxPartBytes: 7}, "part 1: the decoded part is over 7 bytes"},
		{"message over limit", twoParts, Options{MaxMessageBytes: 15}, "part 2: the decoded message is over 15 bytes"},
		{"too many parts", twoParts, Options{MaxParts: 2}, "part 2: more than 2 MIME parts"},
		{"raw over limit", twoParts, Options{MaxRawBytes: 100}, "the message is over 100 bytes"},
		{"nested too deep", nested, Options{MaxDepth: 3}, "part 1.1.1: multiparts nested deeper than 3 levels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseMessage(strings.NewReader(tt.in), tt.opt)
			if tt.msg == "" {
				if err != nil {
					t.Fatal(err)
				}
				if len(m.Attachments) != 2 {
					t.Fatalf("attachments = %d, want 2", len(m.Attachments))
				}
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			if tandem.ErrorCode(err) != tandem.ETOOLARGE || !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error = %v (code %s), want ETOOLARGE containing %q", err, tandem.ErrorCode(err), tt.msg)
			}
		})
	}
}

// endless yields a header then base64 of zero bytes forever, counting what
// was read, to show that a bomb is refused after reading about the limit.
type endless struct {
	head []byte
	read int64
}

func (e *endless) Read(b []byte) (int, error) {
	n := 0
	if len(e.head) > 0 {
		n = copy(b, e.head)
		e.head = e.head[n:]
	}
	for ; n < len(b); n++ {
		if (e.read+int64(n))%77 == 76 {
			b[n] = '\n'
		} else {
			b[n] = 'A'
		}
	}
	e.read += int64(n)
	return n, nil
}

func TestBase64BombRefusedEarly(t *testing.T) {
	r := &endless{head: []byte("Message-ID: <bomb@x>\nContent-Type: application/zip\nContent-Transfer-Encoding: base64\n\n")}
	const limit = 1 << 20
	_, err := ParseMessage(r, Options{MaxPartBytes: limit})
	if tandem.ErrorCode(err) != tandem.ETOOLARGE {
		t.Fatalf("err = %v, want ETOOLARGE", err)
	}
	// 4/3 expansion plus line breaks plus read-ahead buffers; far below the
	// default raw limit of 64 MiB that would otherwise stop it.
	if r.read > 2*limit {
		t.Errorf("read %d bytes to refuse a %d-byte limit", r.read, limit)
	}
}

func TestParseMbox(t *testing.T) {
	f, err := os.Open("testdata/feedback.mbox")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type got struct {
		pos, line int
		id        string
		err       error
	}
	var gots []got
	var msgs []*Message
	err = ParseMbox(f, Options{}, func(pos, line int, m *Message, err error) error {
		g := got{pos: pos, line: line, err: err}
		if m != nil {
			g.id = m.MessageID
			msgs = append(msgs, m)
		}
		gots = append(gots, g)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []got{
		{1, 1, "thread-1@acme.example", nil},
		{2, 14, "thread-2@tandem.example", nil},
		{3, 29, "", errors.New("mbox message 3 (line 29): parse message <broken-1@hooli.example>: part 1: the mail ends inside this part")},
		{4, 42, "thread-3@acme.example", nil},
		{5, 55, "thread-2@tandem.example", nil},
		{6, 70, "CAF1plain.001@mail.northwind.example", nil},
	}
	if len(gots) != len(want) {
		t.Fatalf("got %d messages, want %d: %+v", len(gots), len(want), gots)
	}
	for i, w := range want {
		g := gots[i]
		if g.pos != w.pos || g.line != w.line || g.id != w.id || (g.err == nil) != (w.err == nil) {
			t.Errorf("message %d = %+v, want %+v", i+1, g, w)
		}
		if w.err != nil && (g.err == nil || !strings.HasPrefix(g.err.Error(), w.err.Error()) || tandem.ErrorCode(g.err) != tandem.EINVALID) {
			t.Errorf("message %d error = %v, want prefix %q", i+1, g.err, w.err)
		}
	}
	if !strings.Contains(msgs[0].Text, "\n>From the logs") || strings.Contains(msgs[0].Text, ">>From") {
		t.Errorf("mboxrd quoting not undone: %q", msgs[0].Text)
	}
	if strings.HasSuffix(msgs[0].Text, "\n\n") {
		t.Errorf("separator blank line kept in body: %q", msgs[0].Text)
	}

	kept, dups := Dedupe(msgs)
	if len(kept) != 4 || dups != 1 {
		t.Fatalf("Dedupe kept %d, dropped %d; want 4 and 1", len(kept), dups)
	}
	threads := Threads(kept)
	var shape []string
	for _, th := range threads {
		var ids []string
		for _, m := range th {
			ids = append(ids, m.MessageID)
		}
		shape = append(shape, strings.Join(ids, ","))
	}
	wantShape := []string{
		"thread-1@acme.example,thread-2@tandem.example,thread-3@acme.example",
		"CAF1plain.001@mail.northwind.example",
	}
	if strings.Join(shape, "|") != strings.Join(wantShape, "|") {
		t.Errorf("Threads = %q, want %q", shape, wantShape)
	}
}

func TestParseMboxStops(t *testing.T) {
	stop := errors.New("stop")
	f, err := os.Open("testdata/feedback.mbox")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	err = ParseMbox(f, Options{}, func(int, int, *Message, error) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("err = %v after %d calls, want stop after 1", err, n)
	}
	err = ParseMbox(strings.NewReader("Subject: not an mbox\n"), Options{}, func(int, int, *Message, error) error { return nil })
	if tandem.ErrorCode(err) != tandem.EINVALID {
		t.Errorf("non-mbox err = %v, want EINVALID", err)
	}
}

func TestMboxOversizeMessageSkipped(t *testing.T) {
	big := "From a@x Mon Mar 10 09:00:00 2025\nMessage-ID: <big@x>\n\n" + strings.Repeat("x", 5000) + "\n\n" +
		"From b@x Mon Mar 10 09:00:00 2025\nMessage-ID: <small@x>\n\nhi\n"
	var ids []string
	var errs []error
	err := ParseMbox(strings.NewReader(big), Options{MaxRawBytes: 1000}, func(_, _ int, m *Message, err error) error {
		if m != nil {
			ids = append(ids, m.MessageID)
		}
		if err != nil {
			errs = append(errs, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 || ids[0] != "small@x" || len(errs) != 1 || tandem.ErrorCode(errs[0]) != tandem.ETOOLARGE {
		t.Errorf("ids = %v, errs = %v; want small@x and one ETOOLARGE", ids, errs)
	}
}

func TestThreadsMissingParentAndUndated(t *testing.T) {
	a := &Message{MessageID: "a", References: []string{"root"}}
	b := &Message{MessageID: "b", InReplyTo: "root"}
	c := &Message{MessageID: "c"}
	d := &Message{} // no id: its own thread
	th := Threads([]*Message{a, c, b, d})
	if len(th) != 3 || len(th[0]) != 2 || th[0][1] != b || th[1][0] != c || th[2][0] != d {
		t.Errorf("Threads = %v", th)
	}
	kept, dups := Dedupe([]*Message{d, {}, a, a})
	if len(kept) != 3 || dups != 1 {
		t.Errorf("Dedupe kept %d dropped %d, want 3 and 1 (no-id messages kept)", len(kept), dups)
	}
}

func TestHTMLToText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"<p>a</p><p>b &lt;c&gt;</p>", "a\n\nb <c>"},
		{"x<br>y<br/>z", "x\ny\nz"},
		{"<style>p{}</style><!-- hidden -->vis<script>bad()</script>ible", "visible"},
		{"<table><tr><td>1</td><td>2</td></tr></table>", "1 2"},
		{"trailing <b", "trailing"},
	}
	for _, tt := range tests {
		if got := HTMLToText(tt.in); got != tt.want {
			t.Errorf("HTMLToText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzParseMessage(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.eml")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	opt := Options{MaxMessageBytes: 1 << 16, MaxPartBytes: 1 << 14, MaxParts: 20, MaxDepth: 4}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseMessage(bytes.NewReader(b), opt)
		if err != nil {
			if m != nil {
				t.Fatal("message and error both returned")
			}
			if c := tandem.ErrorCode(err); c != tandem.EINVALID && c != tandem.ETOOLARGE {
				t.Fatalf("error code %q: %v", c, err)
			}
			return
		}
		var total int
		for _, a := range m.Attachments {
			if a.Size != len(a.Data) || int64(a.Size) > opt.MaxPartBytes {
				t.Fatalf("attachment size %d, data %d", a.Size, len(a.Data))
			}
			total += a.Size
		}
		if len(m.Attachments) > opt.MaxParts || int64(total) > opt.MaxMessageBytes {
			t.Fatalf("%d attachments, %d bytes: limits not applied", len(m.Attachments), total)
		}
		_ = ParseMbox(io.MultiReader(strings.NewReader("From x\n"), bytes.NewReader(b)), opt, func(int, int, *Message, error) error { return nil })
	})
}
