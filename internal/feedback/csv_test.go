package feedback

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// readFile runs ReadCSV on a testdata file.
func readFile(t *testing.T, name string) (CSVResult, error) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return ReadCSV(f, name, CSVOptions{})
}

// golden compares v, as indented JSON, with testdata/<name>.golden.json.
func golden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name+".golden.json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file; got:\n%s", name, got)
	}
}

func TestReadCSVFormats(t *testing.T) {
	day := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		file    string
		format  string
		items   int
		votes   int
		ignored []string
		check   func(t *testing.T, r CSVResult)
	}{
		{"tandem.csv", FormatTandem, 3, 0, []string{"region"}, func(t *testing.T, r CSVResult) {
			a, b, c := r.Items[0].Feedback, r.Items[1].Feedback, r.Items[2].Feedback
			if a.Source != tandem.SourceCSV || a.ID != "FB-1001" || a.SourceRef != "FB-1001" || a.Importance != "critical" ||
				a.AccountID != "ACC-17" || a.DealID != "DEAL-204" || a.FeatureID != "F-SSO" || !a.ReceivedAt.Equal(day("2026-03-02T09:15:00Z")) {
				t.Errorf("row 2 = %+v", a)
			}
			if !slices.Equal(a.Tags, []string{"sso", "security", "renewal"}) {
				t.Errorf("tags = %q", a.Tags)
			}
			// No id: a derived, stable ref; tags trimmed, blanks dropped.
			want := derivedRef("", b.Text, "bo@tandem.example")
			if b.SourceRef != want || !strings.HasPrefix(want, "sha256:") || len(want) != len("sha256:")+16 {
				t.Errorf("derived ref = %q, want %q", b.SourceRef, want)
			}
			if b.Kind != tandem.KindIntel || !slices.Equal(b.Tags, []string{"competitor", "export"}) || !b.ReceivedAt.Equal(day("2026-03-03T00:00:00Z")) {
				t.Errorf("row 3 = %+v", b)
			}
			if !strings.Contains(b.Text, "<b>bulk export</b>") {
				t.Errorf("text not kept as received: %q", b.Text)
			}
			// Multi-line text; source_ref wins over id; kind defaults.
			if c.SourceRef != "ZD-88121" || c.Kind != tandem.KindFeedback || !strings.Contains(c.Text, "\nThey asked") || r.Items[2].Line != 4 {
				t.Errorf("row 4 = %+v line %d", c, r.Items[2].Line)
			}
		}},
		{"productboard_notes.csv", FormatProductboard, 3, 0,
			[]string{"feature_name", "feature_id", "parent_feature_id", "state", "creator_name", "creator_email", "owner_name", "owner_email", "source_id", "source_url", "uuid", "last_updated_at", "company_uuid"},
			func(t *testing.T, r CSVResult) {
				a := r.Items[0]
				if a.Feedback.Source != tandem.SourceProductboard || a.Feedback.SourceRef != "48211" || a.Feedback.Author != "marcus.lee@acme.example" ||
					a.Feedback.AuthorName != "Marcus Lee" || a.Company != "Acme Corp" || a.CompanyDomain != "acme.example" ||
					!slices.Equal(a.Feedback.Tags, []string{"sso", "enterprise"}) || a.Line != 2 {
					t.Errorf("note 48211 = %+v", a)
				}
				// A note without a user: no author; quotes unescaped.
				b := r.Items[1].Feedback
				if b.Author != "" || !strings.Contains(b.Text, `"the PDF is useless to us"`) {
					t.Errorf("note 48302 = %+v", b)
				}
				// Title only: the title is the text; US-style date.
				c := r.Items[2].Feedback
				if c.Text != "Mobile approvals" || !c.ReceivedAt.Equal(day("2026-03-05T09:12:00Z")) {
					t.Errorf("note 48417 = %+v", c)
				}
			}},
		{"productboard_titlecase.csv", FormatProductboard, 1, 0, []string{"Owner", "Source"}, func(t *testing.T, r CSVResult) {
			a := r.Items[0]
			if a.Feedback.SourceRef != "n-901" || a.Feedback.Title != "Renewal risk" || a.Feedback.Author != "ops@umbrella.example" ||
				!a.Feedback.ReceivedAt.Equal(day("2026-01-20T11:00:00Z")) || a.Feedback.ReceivedAt.Location() != time.UTC ||
				!slices.Equal(a.Feedback.Tags, []string{"deal-desk", "approvals"}) {
				t.Errorf("item = %+v", a)
			}
		}},
		{"canny_posts.csv", FormatCannyPosts, 2, 0, []string{"Board", "Status", "Score", "Category"}, func(t *testing.T, r CSVResult) {
			a, b := r.Items[0], r.Items[1]
			if a.Feedback.Source != tandem.SourceCanny || a.Feedback.SourceRef != "64f1a2b3c4d5e6f708192a3b" || a.Feedback.Author != "ana@hooli.example" ||
				a.Feedback.AuthorName != "Ana Silva" || a.Company != "Hooli" || !slices.Equal(a.Feedback.Tags, []string{"crm", "salesforce"}) {
				t.Errorf("post 1 = %+v", a)
			}
			// No e-mail: the author is the name; no details: the title.
			if b.Feedback.Author != "Tom Berg" || b.Feedback.Text != "Dark mode" {
				t.Errorf("post 2 = %+v", b)
			}
		}},
		{"canny_votes.csv", FormatCannyVotes, 0, 3, nil, func(t *testing.T, r CSVResult) {
			v := r.Votes[1]
			if v.ItemRef != "64f1a2b3c4d5e6f708192a3b" || v.Voter != "Raj Patel" || v.VoterEmail != "raj@initech.example" || v.Company != "Initech" ||
				!v.At.Equal(day("2025-11-09T10:01:00Z")) || v.Line != 3 {
				t.Errorf("vote 2 = %+v", v)
			}
			if !r.Votes[2].At.Equal(day("2025-12-02T08:30:00Z")) {
				t.Errorf("vote 3 at %v", r.Votes[2].At)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			r, err := readFile(t, tt.file)
			if err != nil {
				t.Fatal(err)
			}
			if r.Format != tt.format || len(r.Items) != tt.items || len(r.Votes) != tt.votes {
				t.Fatalf("format %s, %d items, %d votes; want %s, %d, %d", r.Format, len(r.Items), len(r.Votes), tt.format, tt.items, tt.votes)
			}
			if !slices.Equal(r.Ignored, tt.ignored) {
				t.Errorf("ignored = %q, want %q", r.Ignored, tt.ignored)
			}
			tt.check(t, r)
			golden(t, strings.TrimSuffix(tt.file, ".csv"), r)
		})
	}
}

func TestReadCSVIdempotentRefs(t *testing.T) {
	in := "text,author\nNeed SSO,ida@x\nNeed SCIM,ida@x\n"
	a, err := ReadCSV(strings.NewReader(in), "a.csv", CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := ReadCSV(strings.NewReader(in), "b.csv", CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range a.Items {
		if a.Items[i].Feedback.SourceRef != b.Items[i].Feedback.SourceRef {
			t.Errorf("item %d: refs differ across imports", i)
		}
	}
	if a.Items[0].Feedback.SourceRef == a.Items[1].Feedback.SourceRef {
		t.Error("different texts share a ref")
	}
	// The documented recipe, computed independently.
	if got, want := a.Items[0].Feedback.SourceRef, "sha256:"+sha256Hex("\nNeed SSO\nida@x")[:16]; got != want {
		t.Errorf("ref = %s, want %s", got, want)
	}
}

func TestReadCSVBOMAndCRLF(t *testing.T) {
	r, err := ReadCSV(strings.NewReader("\xEF\xBB\xBFtext,Author\r\nhello,ida@x\r\n"), "bom.csv", CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Format != FormatTandem || len(r.Items) != 1 || r.Items[0].Feedback.Author != "ida@x" || r.Items[0].Feedback.Text != "hello" {
		t.Errorf("result = %+v", r)
	}
}

func TestReadCSVProductboardAPIWords(t *testing.T) {
	in := "id,title,content,user_email,company_name,tags,created_at\n" +
		"5f1e,Exports,\"<p>Needs <b>XLSX</b> export</p>\",kim@hooli.example,Hooli,\"export, xlsx\",2026-04-01T08:00:00.000Z\n"
	r, err := ReadCSV(strings.NewReader(in), "pb.csv", CSVOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Format != FormatProductboard || len(r.Items) != 1 {
		t.Fatalf("result = %+v", r)
	}
	fb := r.Items[0].Feedback
	if fb.Text != "<p>Needs <b>XLSX</b> export</p>" || fb.SourceRef != "5f1e" || fb.Author != "kim@hooli.example" || r.Items[0].Company != "Hooli" ||
		!slices.Equal(fb.Tags, []string{"export", "xlsx"}) {
		t.Errorf("item = %+v", r.Items[0])
	}
}

func TestReadCSVProductboardRepeatsMerge(t *testing.T) {
	r, err := readFile(t, "productboard_notes.csv")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, it := range r.Items {
		if it.Feedback.SourceRef == "48211" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("note 48211 read %d times, want once", n)
	}
}

func TestReadCSVRowErrors(t *testing.T) {
	long := strings.Repeat("é", MaxTextLen+1)
	tests := []struct {
		name string
		in   string
		want []RowError
	}{
		{"empty text", "text,title\n  ,x\n", []RowError{{2, "text", "empty text"}}},
		{"bad date", "text,received_at\nhi,03/02/2026\n", []RowError{{2, "received_at", `bad date "03/02/2026"; expected ISO 8601 (2026-03-01 or 2026-03-01T14:05:00Z)`}}},
		{"bad kind", "text,kind\nhi,rumor\n", []RowError{{2, "kind", `bad kind "rumor"; expected feedback or intel`}}},
		{"bad importance", "text,importance\nhi,urgent\n", []RowError{{2, "importance", `bad importance "urgent"; expected nice, important or critical`}}},
		{"too long", "text\n" + long + "\n", []RowError{{2, "text", "text is 100001 characters, over the limit of 100000"}}},
		{"invalid UTF-8", "text,author\nna\xefve,x\n", []RowError{{2, "text", "not valid UTF-8; save the file as UTF-8"}}},
		{"too few columns", "text,author\nhi\n", []RowError{{2, "", "1 columns, the header has 2"}}},
		{"too many columns", "text,author\nhi,a,b\n", []RowError{{2, "", "3 columns, the header has 2"}}},
		{"bare quote", "text,author\nsay \"hi\",a\n", []RowError{{2, "", `bare " in non-quoted-field`}}},
		{"duplicate id", "id,text\nA,x\nA,y\n", []RowError{{3, "id", `duplicate id "A" (first on line 2)`}}},
		{"every bad row", "text,kind,received_at\n,intel,\nok,spy,\nok,,yesterday\nfine,,\n", []RowError{
			{2, "text", "empty text"},
			{3, "kind", `bad kind "spy"; expected feedback or intel`},
			{4, "received_at", `bad date "yesterday"; expected ISO 8601 (2026-03-01 or 2026-03-01T14:05:00Z)`},
		}},
		{"canny: title and details empty", "id,title,details\n1,,\n", []RowError{{2, "details", "empty text"}}},
		{"canny votes: no post id", "post id,voter email,created\n,a@x,2025-01-01\n", []RowError{{2, "post id", "empty post id"}}},
		{"canny votes: bad date", "post id,voter email,created\np1,a@x,soon\n", []RowError{{2, "created", `bad date "soon"; expected ISO 8601 (2026-03-01T14:05:00Z) or M/D/YYYY H:MM`}}},
		{"canny votes: no voter", "post id,voter email,created\np1,,\n", []RowError{{2, "voter", "no voter: neither name, e-mail nor company"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ReadCSV(strings.NewReader(tt.in), "in.csv", CSVOptions{})
			if err == nil {
				t.Fatalf("no error; result %+v", r)
			}
			if len(r.Items) != 0 || len(r.Votes) != 0 {
				t.Error("items returned with an error")
			}
			if code := tandem.ErrorCode(err); code != tandem.EINVALID {
				t.Errorf("code = %s, want %s", code, tandem.EINVALID)
			}
			var re *RowErrors
			if !errors.As(err, &re) {
				t.Fatalf("%v is not a *RowErrors", err)
			}
			if !slices.Equal(re.Errors, tt.want) {
				t.Errorf("errors =\n%#v\nwant\n%#v", re.Errors, tt.want)
			}
			first := tt.want[0]
			line := "in.csv:" + strconv.Itoa(first.Line) + ": "
			if first.Column != "" {
				line += first.Column + ": "
			}
			if !strings.Contains(err.Error(), line+first.Reason) {
				t.Errorf("message %q lacks %q", err.Error(), line+first.Reason)
			}
		})
	}
}

func TestReadCSVRowErrorsTruncated(t *testing.T) {
	in := "text\n" + strings.Repeat("\" \"\n", maxRowErrors+50)
	_, err := ReadCSV(strings.NewReader(in), "junk.csv", CSVOptions{})
	var re *RowErrors
	if !errors.As(err, &re) || len(re.Errors) != maxRowErrors || !re.Truncated {
		t.Fatalf("err = %v", err)
	}
	if !strings.Contains(err.Error(), "more than 1000 bad rows") || !strings.HasSuffix(re.Error(), "junk.csv: more errors not shown") {
		t.Errorf("message does not say it is truncated")
	}
}

func TestReadCSVFileErrors(t *testing.T) {
	tests := []struct {
		name, in string
		opt      CSVOptions
		code     string
		msg      string
	}{
		{"empty", "", CSVOptions{}, tandem.EINVALID, "the file is empty"},
		{"BOM only", "\xEF\xBB\xBF", CSVOptions{}, tandem.EINVALID, "the file is empty"},
		{"no header", "We need SSO,ida@x,2026-01-01\n", CSVOptions{}, tandem.EINVALID, `unrecognized header ("We need SSO", "ida@x", "2026-01-01"); expected Tandem columns: text (required)`},
		{"unknown", "subject,body\nhi,there\n", CSVOptions{}, tandem.EINVALID, "a Productboard notes export: id, note_title, note_text"},
		{"names Canny", "subject,body\n", CSVOptions{}, tandem.EINVALID, "a Canny votes export: post id"},
		{"header not UTF-8", "te\xffxt\nhi\n", CSVOptions{}, tandem.EINVALID, "header is not valid UTF-8"},
		{"duplicate column", "text,Text\nhi,ho\n", CSVOptions{}, tandem.EINVALID, `column "Text" appears twice`},
		{"broken header", "\"text\n", CSVOptions{}, tandem.EINVALID, "in.csv:1: header:"},
		{"productboard without text", "note_id,user_email\n1,a@x\n", CSVOptions{}, tandem.EINVALID, "no text column"},
		{"too many rows", "text\na\nb\nc\n", CSVOptions{MaxRows: 2}, tandem.ETOOLARGE, "more than 2 rows"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadCSV(strings.NewReader(tt.in), "in.csv", tt.opt)
			if err == nil {
				t.Fatal("no error")
			}
			if code := tandem.ErrorCode(err); code != tt.code {
				t.Errorf("code = %s, want %s (%v)", code, tt.code, err)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("error %q lacks %q", err, tt.msg)
			}
		})
	}
	// The row limit counts data rows only.
	if _, err := ReadCSV(strings.NewReader("text\na\nb\n"), "in.csv", CSVOptions{MaxRows: 2}); err != nil {
		t.Errorf("2 rows with MaxRows 2: %v", err)
	}
}

func TestReadCSVReaderError(t *testing.T) {
	boom := errors.New("disk on fire")
	_, err := ReadCSV(&failReader{data: "text\nhello\n", err: boom}, "in.csv", CSVOptions{})
	if !errors.Is(err, boom) || tandem.ErrorCode(err) != tandem.EINTERNAL {
		t.Errorf("err = %v (code %s), want the reader's error as internal", err, tandem.ErrorCode(err))
	}
}

// failReader returns data, then err.
type failReader struct {
	data string
	err  error
}

func (r *failReader) Read(p []byte) (int, error) {
	if r.data == "" {
		return 0, r.err
	}
	n := copy(p, r.data)
	r.data = r.data[n:]
	return n, nil
}

func FuzzReadCSV(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.csv"))
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("\xEF\xBB\xBFtext,kind\r\n\"a\"\"b\",intel\r\n"))
	f.Add([]byte("post id,voter\np,\"v\n"))
	f.Add([]byte("text\n\"unterminated\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ReadCSV(bytes.NewReader(data), "fuzz.csv", CSVOptions{MaxRows: 500})
		if err != nil {
			if c := tandem.ErrorCode(err); c != tandem.EINVALID && c != tandem.ETOOLARGE {
				t.Fatalf("code %s for %v", c, err)
			}
			if len(r.Items)+len(r.Votes) != 0 {
				t.Fatal("items returned with an error")
			}
			return
		}
		for _, it := range r.Items {
			fb := it.Feedback
			if strings.TrimSpace(fb.Text) == "" || fb.SourceRef == "" || !utf8.ValidString(fb.Text) || utf8.RuneCountInString(fb.Text) > MaxTextLen {
				t.Fatalf("bad item %+v", fb)
			}
			if fb.Kind != tandem.KindFeedback && fb.Kind != tandem.KindIntel {
				t.Fatalf("bad kind %q", fb.Kind)
			}
		}
		for _, v := range r.Votes {
			if v.ItemRef == "" {
				t.Fatalf("vote without post: %+v", v)
			}
		}
	})
}

// sha256Hex is the hex SHA-256 of s.
func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}
