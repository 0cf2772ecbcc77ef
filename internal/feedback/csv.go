package feedback

import (
	"bufio"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
)

// CSV formats ReadCSV recognizes, named in CSVResult.Format.
//
// What was verified about the export formats, and from where:
//
//   - Productboard: the notes export (Insights › export, served at
//     /api/notes/export?export_type=with_features) has snake_case columns
//     feature_name, feature_id, parent_feature_id, id, created_at,
//     note_title, note_text, state, creator_name, creator_email, owner_name,
//     owner_email, user_name, user_email, company_name, company_domain,
//     source_id, source_url, tags, uuid, last_updated_at, company_uuid. This
//     list comes from a public repository that documents the export it
//     downloads (a second-hand source, not Productboard's own help page),
//     and matches the note fields of Productboard's public API (title,
//     content, user email, company, tags, source). The "with_features"
//     export repeats a note once per linked feature, so repeated note ids
//     are merged. Title-case variants ("Note text", "Customer email",
//     "Company name") are accepted too, since headers are matched ignoring
//     case, spaces and punctuation.
//   - Canny: the column names of Canny's CSV exports could not be confirmed
//     from a primary source. The names accepted follow the field names of
//     Canny's public API (post: id, title, details, author name/email,
//     board, category, tags, score, status, created; vote: post, voter
//     name/email, created) in their usual CSV spellings ("Author Email",
//     "author_email", "authorEmail" all match).
const (
	FormatTandem       = "tandem"       // Tandem's canonical columns
	FormatProductboard = "productboard" // a Productboard notes export
	FormatCannyPosts   = "canny-posts"  // a Canny posts export
	FormatCannyVotes   = "canny-votes"  // a Canny votes export
)

// Limits of a CSV import. MaxTextLen bounds one item's text (in
// characters) so one pasted log cannot swamp the theme index; maxRowErrors
// bounds the error report so a file of garbage costs little memory.
const (
	DefaultCSVMaxRows = 1_000_000
	MaxTextLen        = 100_000
	maxRowErrors      = 1000
)

// CSVOptions tune ReadCSV.
type CSVOptions struct {
	// MaxRows is the most data rows accepted (header excluded); a bigger
	// file is refused whole. Zero means DefaultCSVMaxRows.
	MaxRows int
}

// CSVItem is one feedback item read from a file, with what the service
// must resolve before storing it: the company as the export named it
// (Productboard and Canny know accounts by name and domain, not by
// Tandem's ids) and the line it came from, for messages.
type CSVItem struct {
	Feedback      tandem.Feedback
	Company       string
	CompanyDomain string
	Line          int
}

// CSVVote is one vote of a Canny votes export: who wanted which post.
// ItemRef is the post id, the SourceRef of the item imported from the
// posts export.
type CSVVote struct {
	ItemRef    string
	ItemTitle  string
	Voter      string
	VoterEmail string
	Company    string
	At         time.Time
	Line       int
}

// CSVResult is what a file held: its format, the items or votes, and the
// header columns that were not used (so the caller can tell the user what
// was dropped rather than drop it silently).
type CSVResult struct {
	Format  string
	Items   []CSVItem
	Votes   []CSVVote
	Ignored []string
}

// RowError is one bad cell or row. Line is the file's line number (1 is
// the header); Column names the header column, or is empty when the whole
// row is at fault.
type RowError struct {
	Line   int
	Column string
	Reason string
}

// RowErrors are all the bad rows of a file. ReadCSV is all-or-nothing
// and reports every problem at once, so a user fixes the file in one pass
// instead of one error per upload.
type RowErrors struct {
	Name   string // the file name, as given to ReadCSV
	Errors []RowError
	// Truncated is set when more errors were found than are listed.
	Truncated bool
}

// Error lists each problem on a line of its own as "name:line: column:
// reason", the form editors and terminals turn into links.
func (e *RowErrors) Error() string {
	var b strings.Builder
	for i, re := range e.Errors {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%s:%d: ", e.Name, re.Line)
		if re.Column != "" {
			b.WriteString(re.Column + ": ")
		}
		b.WriteString(re.Reason)
	}
	if e.Truncated {
		fmt.Fprintf(&b, "\n%s: more errors not shown", e.Name)
	}
	return b.String()
}

// field is a piece of an item a column can fill.
type field int

const (
	fID field = iota
	fTitle
	fText
	fAuthor // Tandem's author: an e-mail or a name, as given
	fAuthorEmail
	fAuthorName
	fAccount
	fDeal
	fProduct
	fFeature
	fKind
	fImportance
	fTags
	fReceived
	fSourceRef
	fCompany
	fCompanyDomain
	fVoter
	fVoterEmail
	fPostID
	fPostTitle
	nFields
)

// String is the field's name in messages, used when the file lacks the
// column.
func (f field) String() string {
	switch f {
	case fID:
		return "id"
	case fTitle:
		return "title"
	case fText:
		return "text"
	case fAuthor:
		return "author"
	case fAuthorEmail:
		return "author email"
	case fAuthorName:
		return "author name"
	case fAccount:
		return "account_id"
	case fDeal:
		return "deal_id"
	case fProduct:
		return "product_id"
	case fFeature:
		return "feature_id"
	case fKind:
		return "kind"
	case fImportance:
		return "importance"
	case fTags:
		return "tags"
	case fReceived:
		return "received_at"
	case fSourceRef:
		return "source_ref"
	case fCompany:
		return "company"
	case fCompanyDomain:
		return "company domain"
	case fVoter:
		return "voter"
	case fVoterEmail:
		return "voter email"
	case fPostID:
		return "post id"
	case fPostTitle:
		return "post title"
	}
	return fmt.Sprintf("field(%d)", int(f))
}

// alias maps a field to the normalized header names that fill it, best
// first: when a file has two of them, the first listed wins and the
// other is reported as ignored.
type alias struct {
	f     field
	names []string
}

// csvFormat describes one recognized layout.
type csvFormat struct {
	name    string
	source  string
	columns []alias
	// expect is the sentence naming the columns, for the error shown
	// when a header matches no format.
	expect string
}

// formats returns the known layouts. It is a function, not a package
// variable, so nothing global can be changed by a caller.
func formats() []csvFormat {
	return []csvFormat{
		{
			name: FormatTandem, source: tandem.SourceCSV,
			expect: "Tandem columns: text (required), id, title, author, account_id, deal_id, product_id, feature_id, kind, importance, tags, received_at, source_ref",
			columns: []alias{
				{fID, []string{"id"}},
				{fTitle, []string{"title"}},
				{fText, []string{"text"}},
				{fAuthor, []string{"author"}},
				{fAuthorEmail, []string{"authoremail"}},
				{fAuthorName, []string{"authorname"}},
				{fAccount, []string{"accountid"}},
				{fDeal, []string{"dealid"}},
				{fProduct, []string{"productid"}},
				{fFeature, []string{"featureid"}},
				{fKind, []string{"kind"}},
				{fImportance, []string{"importance"}},
				{fTags, []string{"tags"}},
				{fReceived, []string{"receivedat"}},
				{fSourceRef, []string{"sourceref"}},
			},
		},
		{
			name: FormatProductboard, source: tandem.SourceProductboard,
			expect: "a Productboard notes export: id, note_title, note_text, user_email, user_name, company_name, company_domain, tags, created_at",
			columns: []alias{
				{fID, []string{"noteid", "id", "uuid"}},
				{fTitle, []string{"notetitle", "title"}},
				{fText, []string{"notetext", "content", "notecontent"}},
				{fAuthorEmail, []string{"useremail", "customeremail"}},
				{fAuthorName, []string{"username", "customername"}},
				{fCompany, []string{"companyname", "company"}},
				{fCompanyDomain, []string{"companydomain"}},
				{fTags, []string{"tags"}},
				{fReceived, []string{"createdat", "created"}},
			},
		},
		{
			name: FormatCannyPosts, source: tandem.SourceCanny,
			expect: "a Canny posts export: id, title, details, author name, author email, company, tags, created",
			columns: []alias{
				{fID, []string{"id", "postid"}},
				{fTitle, []string{"title", "posttitle"}},
				{fText, []string{"details", "postdetails", "description"}},
				{fAuthorEmail, []string{"authoremail", "email"}},
				{fAuthorName, []string{"authorname", "author", "name"}},
				{fCompany, []string{"company", "companyname", "companies", "authorcompany"}},
				{fTags, []string{"tags"}},
				{fReceived, []string{"created", "createdat", "date"}},
			},
		},
		{
			name: FormatCannyVotes, source: tandem.SourceCanny,
			expect: "a Canny votes export: post id, post title, voter name, voter email, company, created",
			columns: []alias{
				{fPostID, []string{"postid"}},
				{fPostTitle, []string{"posttitle", "post", "title"}},
				{fVoter, []string{"votername", "voter", "name"}},
				{fVoterEmail, []string{"voteremail", "email"}},
				{fCompany, []string{"company", "companyname", "votercompany"}},
				{fReceived, []string{"created", "createdat", "votedat", "date"}},
			},
		},
	}
}

// normHeader folds a header for matching: lower case, letters and digits
// only, so "Note text", "note_text" and "noteText" are one name.
func normHeader(h string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(h) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// detect picks the format from the normalized header. Order matters:
// a votes export names a voter and a post id; Productboard's columns say
// "note" (or, in its API's words, "content" beside a user or company);
// Canny calls a post's body "details"; Tandem's is "text".
func detect(has map[string]bool) (csvFormat, bool) {
	fs := formats()
	hasAny := func(names ...string) bool {
		for _, n := range names {
			if has[n] {
				return true
			}
		}
		return false
	}
	switch {
	case hasAny("voteremail", "votername", "voter") && has["postid"]:
		return fs[3], true
	case hasAny("notetext", "notetitle", "noteid"),
		has["content"] && hasAny("useremail", "customeremail", "companyname", "companydomain"):
		return fs[1], true
	case hasAny("details", "postdetails") && has["title"]:
		return fs[2], true
	case has["text"]:
		return fs[0], true
	}
	return csvFormat{}, false
}

// ReadCSV reads feedback from a CSV file: Tandem's canonical columns, a
// Productboard notes export or a Canny posts or votes export, told apart
// by the header. name is the file's name, used in messages only.
//
// It is all-or-nothing: every bad row is collected into one *RowErrors
// (wrapped in a tandem.Error with code EINVALID, so errors.As finds
// either), and no items are returned with it. A file of more than
// opt.MaxRows rows is refused with ETOOLARGE. Items without an id get
// SourceRef "sha256:" and 16 hex digits of their title, text and author,
// so importing the same file twice yields the same refs.
func ReadCSV(r io.Reader, name string, opt CSVOptions) (CSVResult, error) {
	maxRows := opt.MaxRows
	if maxRows <= 0 {
		maxRows = DefaultCSVMaxRows
	}
	br := bufio.NewReader(r)
	if head, _ := br.Peek(3); len(head) == 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.LazyQuotes = false
	cr.ReuseRecord = true

	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return CSVResult{}, tandem.Errorf(tandem.EINVALID, "%s: the file is empty; expected a header row", name)
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return CSVResult{}, tandem.Errorf(tandem.EINVALID, "%s:%d: header: %v", name, pe.StartLine, pe.Err)
	}
	if err != nil {
		return CSVResult{}, fmt.Errorf("read %s header: %w", name, err)
	}
	header = append([]string(nil), header...) // ReuseRecord: keep our own copy
	cr.FieldsPerRecord = len(header)

	fm, cols, ignored, err := mapHeader(header, name)
	if err != nil {
		return CSVResult{}, err
	}

	res := CSVResult{Format: fm.name, Ignored: ignored}
	errs := &RowErrors{Name: name}
	seen := map[string]int{} // SourceRef → line first seen
	rows := 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		rows++
		if rows > maxRows {
			return CSVResult{}, tandem.Errorf(tandem.ETOOLARGE, "%s: more than %d rows; split the file", name, maxRows)
		}
		if err != nil {
			if !errors.As(err, &pe) {
				return CSVResult{}, fmt.Errorf("read %s: %w", name, err)
			}
			if errors.Is(pe.Err, csv.ErrFieldCount) {
				errs.add(pe.StartLine, "", fmt.Sprintf("%d columns, the header has %d", len(rec), len(header)))
			} else {
				errs.add(pe.StartLine, "", pe.Err.Error())
			}
			if errs.Truncated {
				break
			}
			continue
		}
		line, _ := cr.FieldPos(0)
		if fm.name == FormatCannyVotes {
			if v, ok := readVote(rec, header, cols, line, errs); ok {
				res.Votes = append(res.Votes, v)
			}
		} else if it, ok := readItem(fm, rec, header, cols, line, errs); ok {
			ref := it.Feedback.SourceRef
			if first, dup := seen[ref]; dup {
				// Productboard repeats a note once per linked feature, and
				// a derived ref means the same title, text and author: both
				// are the same item again. A repeated explicit id in the
				// other formats is a mistake worth telling.
				if fm.name != FormatProductboard && !strings.HasPrefix(ref, "sha256:") {
					errs.add(line, fID.String(), fmt.Sprintf("duplicate id %q (first on line %d)", ref, first))
				}
			} else {
				seen[ref] = line
				res.Items = append(res.Items, it)
			}
		}
		if errs.Truncated {
			break
		}
	}
	if len(errs.Errors) > 0 {
		return CSVResult{}, &tandem.Error{
			Code:    tandem.EINVALID,
			Message: badRowsMessage(name, errs),
			Err:     errs,
		}
	}
	return res, nil
}

// add records a problem, up to maxRowErrors of them.
func (e *RowErrors) add(line int, column, reason string) {
	if len(e.Errors) >= maxRowErrors {
		e.Truncated = true
		return
	}
	e.Errors = append(e.Errors, RowError{Line: line, Column: column, Reason: reason})
}

// mapHeader detects the format and finds the column of each field; cols
// holds -1 for fields the file lacks.
func mapHeader(header []string, name string) (csvFormat, [nFields]int, []string, error) {
	var cols [nFields]int
	norm := make([]string, len(header))
	has := map[string]bool{}
	for i, h := range header {
		if !utf8.ValidString(h) {
			return csvFormat{}, cols, nil, tandem.Errorf(tandem.EINVALID, "%s:1: column %d: the header is not valid UTF-8; save the file as UTF-8", name, i+1)
		}
		norm[i] = normHeader(h)
		has[norm[i]] = true
	}
	fm, ok := detect(has)
	if !ok {
		return csvFormat{}, cols, nil, tandem.Errorf(tandem.EINVALID,
			"%s: unrecognized header (%s); expected %s; or %s; or %s; or %s",
			name, strings.Join(quoteAll(header), ", "), formats()[0].expect, formats()[1].expect, formats()[2].expect, formats()[3].expect)
	}
	used := make([]bool, len(header))
	for i := range cols {
		cols[i] = -1
	}
	for _, a := range fm.columns {
		for _, n := range a.names {
			idx := -1
			for i, h := range norm {
				if h == n && !used[i] {
					if idx >= 0 {
						return csvFormat{}, cols, nil, tandem.Errorf(tandem.EINVALID, "%s:1: column %q appears twice", name, header[i])
					}
					idx = i
				}
			}
			if idx >= 0 {
				cols[a.f] = idx
				used[idx] = true
				break
			}
		}
	}
	if cols[fText] < 0 && fm.name != FormatCannyVotes && cols[fTitle] < 0 {
		return csvFormat{}, cols, nil, tandem.Errorf(tandem.EINVALID, "%s: no text column; expected %s", name, fm.expect)
	}
	if fm.name == FormatTandem && cols[fText] < 0 {
		return csvFormat{}, cols, nil, tandem.Errorf(tandem.EINVALID, "%s: no text column; expected %s", name, fm.expect)
	}
	var ignored []string
	for i, h := range header {
		if !used[i] {
			ignored = append(ignored, h)
		}
	}
	return fm, cols, ignored, nil
}

// quoteAll quotes each header cell for the unknown-format message.
func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// cells reads a record's fields by field, checking every cell is valid
// UTF-8 (a Latin-1 file would otherwise turn names into mojibake).
type cells struct {
	rec    []string
	header []string
	cols   [nFields]int
	line   int
	errs   *RowErrors
	bad    bool
}

// raw is the cell of f as in the file ("" when the column is absent).
func (c *cells) raw(f field) string {
	i := c.cols[f]
	if i < 0 {
		return ""
	}
	return c.rec[i]
}

// get is the trimmed cell of f.
func (c *cells) get(f field) string { return strings.TrimSpace(c.raw(f)) }

// fail records a problem with f's column.
func (c *cells) fail(f field, format string, args ...any) {
	col := f.String()
	if i := c.cols[f]; i >= 0 {
		col = c.header[i]
	}
	c.errs.add(c.line, col, fmt.Sprintf(format, args...))
	c.bad = true
}

// checkUTF8 reports every used cell that is not valid UTF-8.
func (c *cells) checkUTF8() {
	for f := range nFields {
		if i := c.cols[f]; i >= 0 && !utf8.ValidString(c.rec[i]) {
			c.fail(f, "not valid UTF-8; save the file as UTF-8")
		}
	}
}

// time parses the cell of f as a date or time (zero when empty).
func (c *cells) time(f field, exportFormats bool) time.Time {
	s := c.get(f)
	if s == "" {
		return time.Time{}
	}
	t, ok := parseTime(s, exportFormats)
	if !ok {
		if exportFormats {
			c.fail(f, "bad date %q; expected ISO 8601 (2026-03-01T14:05:00Z) or M/D/YYYY H:MM", s)
		} else {
			c.fail(f, "bad date %q; expected ISO 8601 (2026-03-01 or 2026-03-01T14:05:00Z)", s)
		}
	}
	return t
}

// parseTime reads an ISO date or time (UTC when it names no zone), and
// with us also the spreadsheet-style M/D/Y forms exports are often
// re-saved with: both tools are American, so the month comes first.
func parseTime(s string, us bool) (time.Time, bool) {
	isoLayouts := [...]string{
		time.RFC3339Nano,
		"2006-01-02T15:04:05",
		"2006-01-02 15:04:05Z07:00",
		"2006-01-02 15:04:05",
		"2006-01-02 15:04",
		"2006-01-02",
	}
	usLayouts := [...]string{
		"1/2/2006 15:04:05",
		"1/2/2006 15:04",
		"1/2/2006 3:04 PM",
		"1/2/06 15:04",
		"1/2/06 3:04 PM",
		"1/2/2006",
		"1/2/06",
	}
	for _, l := range isoLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	if us {
		for _, l := range usLayouts {
			if t, err := time.Parse(l, s); err == nil {
				return t.UTC(), true
			}
		}
	}
	return time.Time{}, false
}

// splitTags splits a tags cell: by ";" in Tandem's columns, by "," or ";"
// in exports. Blanks and repeats are dropped.
func splitTags(s string, seps string) []string {
	var out []string
	seen := map[string]bool{}
	for _, t := range strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(seps, r) }) {
		t = strings.TrimSpace(t)
		if t == "" || seen[strings.ToLower(t)] {
			continue
		}
		seen[strings.ToLower(t)] = true
		out = append(out, t)
	}
	return out
}

// derivedRef is the SourceRef of an item without an id: stable across
// imports of the same content.
func derivedRef(title, text, author string) string {
	sum := sha256.Sum256([]byte(title + "\n" + text + "\n" + author))
	return "sha256:" + hex.EncodeToString(sum[:])[:16]
}

// readItem turns one record into an item, recording its problems.
func readItem(fm csvFormat, rec, header []string, cols [nFields]int, line int, errs *RowErrors) (CSVItem, bool) {
	c := &cells{rec: rec, header: header, cols: cols, line: line, errs: errs}
	c.checkUTF8()
	if c.bad {
		return CSVItem{}, false
	}
	export := fm.name != FormatTandem
	fb := tandem.Feedback{
		Source: fm.source,
		Kind:   tandem.KindFeedback,
		Title:  c.get(fTitle),
		Text:   c.raw(fText), // kept exactly as received
	}
	if strings.TrimSpace(fb.Text) == "" {
		if export && fb.Title != "" {
			// Productboard notes and Canny posts are often a title alone;
			// that title is the feedback.
			fb.Text = fb.Title
		} else {
			c.fail(fText, "empty text")
		}
	}
	if n := utf8.RuneCountInString(fb.Text); n > MaxTextLen {
		c.fail(fText, "text is %d characters, over the limit of %d", n, MaxTextLen)
	}

	email, nm := c.get(fAuthorEmail), c.get(fAuthorName)
	fb.Author, fb.AuthorName = email, nm
	if a := c.get(fAuthor); a != "" {
		fb.Author = a
	}
	if fb.Author == "" {
		fb.Author = nm
	}
	if !export {
		fb.AccountID = c.get(fAccount)
		fb.DealID = c.get(fDeal)
		fb.ProductID = c.get(fProduct)
		fb.FeatureID = c.get(fFeature)
		switch k := strings.ToLower(c.get(fKind)); k {
		case "":
		case tandem.KindFeedback, tandem.KindIntel:
			fb.Kind = k
		default:
			c.fail(fKind, "bad kind %q; expected feedback or intel", c.get(fKind))
		}
		switch im := strings.ToLower(c.get(fImportance)); im {
		case "":
		case tandem.ImportanceNice, tandem.ImportanceImportant, tandem.ImportanceCritical:
			fb.Importance = im
		default:
			c.fail(fImportance, "bad importance %q; expected nice, important or critical", c.get(fImportance))
		}
		fb.Tags = splitTags(c.raw(fTags), ";")
		fb.ID = c.get(fID)
	} else {
		fb.Tags = splitTags(c.raw(fTags), ",;")
	}
	fb.ReceivedAt = c.time(fReceived, export)

	switch {
	case c.get(fSourceRef) != "":
		fb.SourceRef = c.get(fSourceRef)
	case c.get(fID) != "":
		fb.SourceRef = c.get(fID)
	default:
		fb.SourceRef = derivedRef(fb.Title, fb.Text, fb.Author)
	}
	if c.bad {
		return CSVItem{}, false
	}
	return CSVItem{Feedback: fb, Company: c.get(fCompany), CompanyDomain: c.get(fCompanyDomain), Line: line}, true
}

// readVote turns one record of a votes export into a vote.
func readVote(rec, header []string, cols [nFields]int, line int, errs *RowErrors) (CSVVote, bool) {
	c := &cells{rec: rec, header: header, cols: cols, line: line, errs: errs}
	c.checkUTF8()
	if c.bad {
		return CSVVote{}, false
	}
	v := CSVVote{
		ItemRef:    c.get(fPostID),
		ItemTitle:  c.get(fPostTitle),
		Voter:      c.get(fVoter),
		VoterEmail: c.get(fVoterEmail),
		Company:    c.get(fCompany),
		Line:       line,
	}
	if v.ItemRef == "" {
		c.fail(fPostID, "empty post id")
	}
	if v.Voter == "" && v.VoterEmail == "" && v.Company == "" {
		c.fail(fVoter, "no voter: neither name, e-mail nor company")
	}
	v.At = c.time(fReceived, true)
	if c.bad {
		return CSVVote{}, false
	}
	return v, true
}

// badRowsMessage is the sentence above the list of bad rows.
func badRowsMessage(name string, errs *RowErrors) string {
	if errs.Truncated {
		return fmt.Sprintf("%s has more than %d bad rows; nothing was imported", name, len(errs.Errors))
	}
	return fmt.Sprintf("%s has %d bad rows; nothing was imported", name, len(errs.Errors))
}
