package service

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/feedback"
	"github.com/tandemhq/tandem/internal/testdb"
)

// mailTestdata is the public mail sample corpus of the parser.
const mailTestdata = "../mailparse/testdata"

// readMail reads a file of the mail corpus.
func readMail(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(mailTestdata, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// mboxMessages splits an mbox into its messages, "From " line included.
func mboxMessages(b []byte) [][]byte {
	var out [][]byte
	lines := bytes.SplitAfter(b, []byte("\n"))
	prevBlank := true
	for _, l := range lines {
		if prevBlank && bytes.HasPrefix(l, []byte("From ")) {
			out = append(out, nil)
		}
		if len(out) > 0 {
			out[len(out)-1] = append(out[len(out)-1], l...)
		}
		prevBlank = len(bytes.TrimSpace(l)) == 0
	}
	return out
}

// goodMbox is feedback.mbox without its malformed third message.
func goodMbox(t testing.TB) []byte {
	msgs := mboxMessages(readMail(t, "feedback.mbox"))
	if len(msgs) != 6 {
		t.Fatalf("feedback.mbox has %d messages, want 6", len(msgs))
	}
	return bytes.Join([][]byte{msgs[0], msgs[1], msgs[3], msgs[4], msgs[5]}, nil)
}

// putAccount stores an account with attributes.
func putAccount(t testing.TB, s *Service, id, name string, attrs map[string]string) {
	t.Helper()
	ctx := t.Context()
	e, err := s.cat.Entity("accounts")
	if err != nil {
		t.Fatal(err)
	}
	rec := tandem.Record{Values: make([]any, len(e.Columns)), Attrs: attrs}
	for i, c := range e.Columns {
		switch c.Name {
		case "id":
			rec.Values[i] = id
		case "name":
			rec.Values[i] = name
		default:
			rec.Values[i] = tandem.Absent{}
		}
	}
	l, err := s.store.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Put(ctx, e, rec); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestFeedbackImportMail(t *testing.T) {
	for _, d := range testdb.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			f := newDeskFixture(t, d)
			s, ctx := f.s, t.Context()
			admin := Actor{Name: f.admin.Email}
			putAccount(t, s, "acc-acme-mail", "Acme Mail Test", map[string]string{"domain": "acme.example"})
			putAccount(t, s, "acc-globex-mail", "Globex Mail Test", map[string]string{"website": "https://www.globex.example/"})

			// The corpus archive holds a malformed message: the whole file
			// is refused, naming it by position, line and Message-ID.
			before, _ := s.FeedbackItems(ctx)
			_, err := s.ImportMail(ctx, admin, bytes.NewReader(readMail(t, "feedback.mbox")), "feedback.mbox")
			var mp *MailProblems
			if tandem.ErrorCode(err) != tandem.EINVALID || !errors.As(err, &mp) || len(mp.Items) != 1 {
				t.Fatalf("malformed archive: %v", err)
			}
			if p := mp.Items[0]; p.Position != 3 || p.Line != 29 || p.MessageID != "broken-1@hooli.example" {
				t.Errorf("problem = %+v", p)
			}
			if !strings.Contains(err.Error(), "feedback.mbox:29: message 3 <broken-1@hooli.example>") {
				t.Errorf("message: %v", err)
			}
			if after, _ := s.FeedbackItems(ctx); len(after) != len(before) {
				t.Fatalf("a refused archive stored %d items", len(after)-len(before))
			}

			// Without it: a thread of three (one delivered twice) and one
			// more message.
			res, err := s.ImportMail(ctx, admin, bytes.NewReader(goodMbox(t)), "good.mbox")
			if err != nil {
				t.Fatal(err)
			}
			if res.Format != "mbox" || res.Messages != 5 || res.Created != 4 || res.Duplicates != 1 || res.Threads != 2 || res.Accounts != 2 {
				t.Errorf("result = %+v", res)
			}
			byRef := map[string]tandem.Feedback{}
			items, _ := s.FeedbackItems(ctx)
			for _, it := range items {
				if it.Source == tandem.SourceEmail {
					byRef[it.SourceRef] = it
				}
			}
			third := byRef["thread-3@acme.example"]
			if third.Thread != "thread-1@acme.example" || third.InReplyTo != "thread-2@tandem.example" || third.AccountID != "acc-acme-mail" ||
				third.Author != "sam.chen@acme.example" || third.AuthorName != "Sam Chen" || third.ReplyTo != "email:sam.chen@acme.example" {
				t.Errorf("reply = %+v", third)
			}
			plain := byRef["CAF1plain.001@mail.northwind.example"]
			if plain.AuthorName != "María López" || !strings.Contains(plain.Title, "“owner”") || plain.ReceivedAt.IsZero() || plain.AccountID != "" {
				t.Errorf("plain = %+v", plain)
			}

			// Re-running the import changes nothing.
			again, err := s.ImportMail(ctx, admin, bytes.NewReader(goodMbox(t)), "good.mbox")
			if err != nil || again.Created != 0 || again.Duplicates != 5 {
				t.Fatalf("re-import: %+v, %v", again, err)
			}

			// A reply to a stored message joins its thread.
			reply := "Message-ID: <late-reply@acme.example>\r\nIn-Reply-To: <thread-3@acme.example>\r\nFrom: Sam Chen <sam.chen@acme.example>\r\n" +
				"Subject: Re: Reports time out\r\nDate: Tue, 11 Mar 2025 09:00:00 +0000\r\n\r\nStill slow today.\r\n"
			if _, err := s.ImportMail(ctx, admin, strings.NewReader(reply), "reply.eml"); err != nil {
				t.Fatal(err)
			}
			got, _, err := s.FeedbackItem(ctx, feedbackID(tandem.SourceEmail, "late-reply@acme.example"))
			if err != nil || got.Thread != "thread-1@acme.example" {
				t.Errorf("late reply: thread %q, %v", got.Thread, err)
			}

			// Single messages of the corpus: attachments stored as blobs,
			// HTML-only mail reduced to text with the HTML kept aside.
			for _, tc := range []struct {
				file        string
				attachments int
				account     string
			}{
				{"mixed-attachment.eml", 1, "acc-globex-mail"},
				{"enmime-attachment.eml", 1, ""},
				{"html-only-cp1252.eml", 1, ""},
				{"qp-latin1.eml", 0, ""},
				{"alternative.eml", 0, "acc-acme-mail"},
				{"enmime-html-only-inline.eml", -1, ""},
				{"enmime-mime-alternative.eml", 0, ""},
			} {
				r, err := s.ImportMail(ctx, admin, bytes.NewReader(readMail(t, tc.file)), tc.file)
				if err != nil || r.Format != "eml" || r.Created != 1 {
					t.Errorf("%s: %+v, %v", tc.file, r, err)
					continue
				}
				it, _, _ := s.FeedbackItem(ctx, r.CreatedIDs[0])
				if tc.attachments >= 0 && len(it.Attachments) != tc.attachments {
					t.Errorf("%s: %d attachments %+v, want %d", tc.file, len(it.Attachments), it.Attachments, tc.attachments)
				}
				if it.AccountID != tc.account {
					t.Errorf("%s: account %q, want %q", tc.file, it.AccountID, tc.account)
				}
				if strings.Contains(it.Text, "<html") || strings.Contains(it.Text, "<div") || strings.TrimSpace(it.Text) == "" {
					t.Errorf("%s: text %q", tc.file, it.Text)
				}
				for _, at := range it.Attachments {
					meta, blob, err := s.FeedbackAttachment(ctx, it.ID, at.SHA256)
					if err != nil || int64(len(blob.Data)) != at.Size || meta.Name == "" {
						t.Errorf("%s: attachment %+v: %d bytes, %v", tc.file, at, len(blob.Data), err)
					}
				}
			}
			if _, _, err := s.FeedbackAttachment(ctx, third.ID, strings.Repeat("ab", 32)); tandem.ErrorCode(err) != tandem.ENOTFOUND {
				t.Errorf("unknown attachment: %v", err)
			}

			// Every bad message of an archive is listed: a malformed one and
			// one with too many parts.
			var many strings.Builder
			many.WriteString("From x@y Mon Mar 10 09:00:00 2025\nMessage-ID: <parts@bomb.example>\nFrom: x@bomb.example\nContent-Type: multipart/mixed; boundary=b\n\n")
			for i := range 120 {
				fmt.Fprintf(&many, "--b\nContent-Type: text/plain\n\npart %d\n", i)
			}
			many.WriteString("--b--\n\n")
			msgs := mboxMessages(readMail(t, "feedback.mbox"))
			archive := string(msgs[0]) + string(msgs[2]) + many.String()
			_, err = s.ImportMail(ctx, admin, strings.NewReader(archive), "bad.mbox")
			if !errors.As(err, &mp) || len(mp.Items) != 2 || mp.Items[1].Code != tandem.ETOOLARGE || !strings.Contains(mp.Items[1].Problem, "MIME parts") {
				t.Fatalf("two bad messages: %v", err)
			}
			if _, err := s.ImportMail(ctx, admin, strings.NewReader("\n\n"), "empty.eml"); tandem.ErrorCode(err) != tandem.EINVALID {
				t.Errorf("empty file: %v", err)
			}
		})
	}
}

// TestFeedbackIntakeDuringImport submits feedback while a big archive is
// imported: parsing happens outside the write, and the write is one short
// batch, so the submission is served.
func TestFeedbackIntakeDuringImport(t *testing.T) {
	for _, d := range testdb.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			f := newDeskFixture(t, d)
			s, ctx := f.s, t.Context()
			admin := Actor{Name: f.admin.Email}
			var mbox bytes.Buffer
			const n = 3000
			for i := range n {
				fmt.Fprintf(&mbox, "From c%d@big.example Mon Mar 10 09:00:00 2025\nMessage-ID: <big-%d@big.example>\nFrom: C%d <c%d@big.example>\n"+
					"Subject: Request %d\nDate: Mon, 10 Mar 2025 09:00:00 +0000\n\nPlease add export number %d, with some words to parse and store.\n\n", i, i, i, i, i, i)
			}
			var res MailImportResult
			var ierr error
			done := make(chan struct{})
			go func() {
				defer close(done)
				res, ierr = s.ImportMail(ctx, admin, bytes.NewReader(mbox.Bytes()), "big.mbox")
			}()
			running := func() bool {
				select {
				case <-done:
					return false
				default:
					return true
				}
			}
			submitted, during := 0, 0
			for i := 0; i == 0 || running(); i++ {
				began := running()
				r, err := s.SubmitFeedback(ctx, Actor{Name: f.rep.Email}, tandem.Feedback{Source: tandem.SourceAPI, SourceRef: fmt.Sprintf("during-%d", i),
					Author: f.rep.Email, Text: "Filed while an import runs"}, nil)
				if err != nil {
					t.Fatalf("submission %d during the import: %v", i, err)
				}
				if !r.Duplicate {
					submitted++
				}
				if began {
					during++
				}
			}
			<-done
			if during == 0 {
				t.Error("no submission began while the import ran; make the archive bigger")
			}
			if ierr != nil || res.Created != n {
				t.Fatalf("import: %d created, %v", res.Created, ierr)
			}
			items, _ := s.FeedbackItems(ctx)
			count := 0
			for _, it := range items {
				if it.Source == tandem.SourceAPI && strings.HasPrefix(it.SourceRef, "during-") {
					count++
				}
			}
			if submitted == 0 || count != submitted {
				t.Errorf("%d submitted during the import, %d stored", submitted, count)
			}
			t.Logf("%s: %d submissions served, %d begun while %d messages were imported", d, submitted, during, n)
		})
	}
}

func TestFeedbackImportCSV(t *testing.T) {
	for _, d := range testdb.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			f := newDeskFixture(t, d)
			s, ctx := f.s, t.Context()
			admin := Actor{Name: f.admin.Email}
			putAccount(t, s, "acc-acme", "Acme Corporation", map[string]string{"domain": "acme.example"})
			putAccount(t, s, "acc-globex", "Globex Corporation", map[string]string{"aliases": "Globex; Globex Inc"})
			open := func(name string) *os.File {
				fh, err := os.Open(filepath.Join("../feedback/testdata", name))
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { fh.Close() })
				return fh
			}
			res, err := s.ImportFeedbackCSV(ctx, admin, open("productboard_notes.csv"), "productboard_notes.csv")
			if err != nil {
				t.Fatal(err)
			}
			if res.Format != feedback.FormatProductboard || res.Created != res.Rows || res.Matched != 2 || len(res.UnknownCompanies) != 1 ||
				res.UnknownCompanies[0].Name != "Initech" || len(res.UnknownCompanies[0].Lines) != 1 {
				t.Errorf("result = %+v", res)
			}
			for _, id := range res.CreatedIDs {
				it, _, _ := s.FeedbackItem(ctx, id)
				if it.Source != tandem.SourceProductboard {
					t.Errorf("%s: source %q", id, it.Source)
				}
			}
			again, err := s.ImportFeedbackCSV(ctx, admin, open("productboard_notes.csv"), "productboard_notes.csv")
			if err != nil || again.Created != 0 || again.Duplicates != res.Rows {
				t.Errorf("re-import: %+v, %v", again, err)
			}

			// Canny votes before their posts are reported, not recorded;
			// after the posts, each known company's vote lands on its
			// post's theme, once however often the file is imported.
			votes, err := s.ImportFeedbackCSV(ctx, admin, open("canny_votes.csv"), "canny_votes.csv")
			if err != nil || votes.Votes != 3 || votes.VotesImported != 0 || !strings.Contains(strings.Join(votes.Notes, "\n"), "posts not imported yet") {
				t.Errorf("votes before posts: %+v, %v", votes, err)
			}
			putAccount(t, s, "acc-hooli", "Hooli", map[string]string{"domain": "hooli.example"})
			putAccount(t, s, "acc-piper", "Pied Piper", nil)
			if _, err := s.ImportFeedbackCSV(ctx, admin, open("canny_posts.csv"), "canny_posts.csv"); err != nil {
				t.Fatal(err)
			}
			for range 2 {
				votes, err = s.ImportFeedbackCSV(ctx, admin, open("canny_votes.csv"), "canny_votes.csv")
				if err != nil || !strings.Contains(strings.Join(votes.Notes, "\n"), "lines 3 name no known company") {
					t.Errorf("votes: %+v, %v", votes, err)
				}
			}
			sync, err := s.ThemeOf(ctx, feedbackID(tandem.SourceCanny, "64f1a2b3c4d5e6f708192a3b"))
			if err != nil {
				t.Fatal(err)
			}
			vs, err := docsOf[tandem.Vote](ctx, s, tandem.DocVote, "")
			if err != nil || len(vs) != 2 {
				t.Fatalf("votes stored: %+v, %v", vs, err)
			}
			for _, v := range vs {
				if v.AccountID == "acc-hooli" && v.Theme != sync {
					t.Errorf("Hooli's vote is on %s, want the sync post's theme %s", v.Theme, sync)
				}
			}

			// The canonical sample names accounts and deals this store does
			// not have: every such row is refused by line, nothing stored.
			before, _ := s.FeedbackItems(ctx)
			_, err = s.ImportFeedbackCSV(ctx, admin, open("tandem.csv"), "tandem.csv")
			var ip *CSVItemProblems
			if tandem.ErrorCode(err) != tandem.EINVALID || !errors.As(err, &ip) || len(ip.Problems) < 2 {
				t.Fatalf("unknown ids: %v", err)
			}
			if !strings.Contains(err.Error(), "tandem.csv:2: ") || !strings.Contains(err.Error(), `no deal "DEAL-204"`) {
				t.Errorf("message: %v", err)
			}
			if after, _ := s.FeedbackItems(ctx); len(after) != len(before) {
				t.Error("a refused file stored items")
			}

			// A bad row is reported by line and column by the reader.
			_, err = s.ImportFeedbackCSV(ctx, admin, strings.NewReader("text,kind\nfine,feedback\n,intel\nx,rumour\n"), "bad.csv")
			var re *feedback.RowErrors
			if !errors.As(err, &re) || len(re.Errors) != 2 {
				t.Fatalf("bad rows: %v", err)
			}
			if !strings.Contains(err.Error(), "bad.csv:3:") || !strings.Contains(err.Error(), "bad.csv:4: kind") {
				t.Errorf("message: %v", err)
			}
		})
	}
}

func TestFeedbackSlackItems(t *testing.T) {
	now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	c := SlackCommandFeedback(feedback.SlashCommand{UserID: "U1", UserName: "ana", Command: "/tandem", Text: " SSO please ", TriggerID: "T9"}, now)
	if c.Source != tandem.SourceSlack || c.SourceRef != "T9" || c.Author != "U1" || c.Text != "SSO please" || c.ReplyTo != "slack:U1" {
		t.Errorf("command item %+v", c)
	}
	e := SlackEventFeedback(feedback.Event{EventID: "Ev1", Message: feedback.SlackMessage{User: "U2", Text: "hi", Channel: "C1", ThreadTS: "1.2"}}, now)
	if e.SourceRef != "Ev1" || !e.ReceivedAt.Equal(now) || e.Thread != "C1/1.2" {
		t.Errorf("event item %+v", e)
	}
}

func TestFeedbackNormDomain(t *testing.T) {
	for in, want := range map[string]string{
		"https://www.Acme.com/about": "acme.com", "acme.com": "acme.com", "www.acme.com/x": "acme.com", "localhost": "", "": "",
		"acme.com:8080": "acme.com",
	} {
		if got := normDomain(in); got != want {
			t.Errorf("normDomain(%q) = %q, want %q", in, got, want)
		}
	}
	ix := &accountIndex{byDomain: map[string]string{"acme.com": "a", "shared.com": ""}}
	for in, want := range map[string]string{"x@mail.acme.com": "a", "x@acme.com": "a", "x@shared.com": "", "x@other.com": "", "nobody": ""} {
		if got := ix.byMailDomain(in); got != want {
			t.Errorf("byMailDomain(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFeedbackParseSettings(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      []string // substrings of the error; none: valid
	}{
		{"yaml", "ack_business_days: 3\nrouting:\n  - name: sso\n    keywords: [sso, okta]\n    owner: a@x.io\n", nil},
		{"json", `{"ack_business_days": 1, "routing": [{"name": "ent", "segment": "enterprise", "owner": "a@x.io"}], "intel_quota": 2}`, nil},
		{"null routing", "routing:\n", nil},
		{"bad types and keys", "ack_business_days: two\nrouting:\n  - name: x\n    keywrods: [sso]\n    keywords: sso\nintel_quta: 1\n",
			[]string{"s.yaml:1: ack_business_days: wrong type", "s.yaml:4: routing[0].keywrods: unknown key", "s.yaml:5: routing[0].keywords: wrong type", "s.yaml:6: intel_quta: unknown key"}},
		{"not a mapping", "- a\n- b\n", []string{"s.yaml:1: expected a mapping"}},
		{"routing not a list", "routing: everyone\n", []string{"routing: expected a list"}},
		{"syntax", "routing: [\n", []string{"s.yaml: yaml:"}},
		{"empty", "", []string{"the file is empty"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			set, err := ParseFeedbackSettings("s.yaml", []byte(tc.src))
			if len(tc.want) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				again, err := ParseFeedbackSettings("again.yaml", []byte(FeedbackSettingsYAML(set)))
				if err != nil || fmt.Sprint(again) != fmt.Sprint(set) {
					t.Errorf("round trip: %+v, %v; want %+v", again, err, set)
				}
				return
			}
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v lacks %q", err, w)
				}
			}
		})
	}
}

// FuzzParseFeedbackSettings: any input is parsed or refused without a
// panic, and what parses survives a round trip through its YAML.
func FuzzParseFeedbackSettings(f *testing.F) {
	f.Add("ack_business_days: 3\nrouting:\n  - name: sso\n    keywords: [sso]\n    owner: a@x.io\n")
	f.Add(`{"routing": [{"name": "x", "segment": "smb", "owner": "o@x"}]}`)
	f.Add("routing: [1, 2]\n")
	f.Fuzz(func(t *testing.T, src string) {
		set, err := ParseFeedbackSettings("f.yaml", []byte(src))
		if err != nil {
			return
		}
		again, err := ParseFeedbackSettings("g.yaml", []byte(FeedbackSettingsYAML(set)))
		if err != nil {
			t.Fatalf("round trip of %+v: %v", set, err)
		}
		if fmt.Sprint(again) != fmt.Sprint(set) {
			t.Fatalf("round trip: %+v, want %+v", again, set)
		}
	})
}

func TestFeedbackIsMbox(t *testing.T) {
	for in, want := range map[string]bool{"From a@b Mon Jan 1 00:00:00 2024\n": true, "\n\nFrom x": true, "From: a@b\n": false, "Subject: x": false, "": false} {
		if IsMbox([]byte(in)) != want {
			t.Errorf("IsMbox(%q) = %v", in, !want)
		}
	}
}
