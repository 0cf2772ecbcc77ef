package service

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/feedback"
	"github.com/tandemhq/tandem/internal/mailparse"
	"go.yaml.in/yaml/v3"
)

// ---- Accounts by name and domain ----

// accountIndex finds an account by the names and mail domains other
// systems know it by. Names are matched by tandem.NormalizeName against
// the account's name and its attr.aliases (";" or "," separated); domains
// against attr.domain and the host of attr.website ("www." dropped). A mail
// sender at a subdomain (mail.acme.com) matches the account of acme.com. A
// name or domain two accounts share matches neither: a guess would file
// feedback under the wrong customer.
type accountIndex struct {
	byName   map[string]string // normalized name → account id ("" when ambiguous)
	byDomain map[string]string // domain → account id ("" when ambiguous)
}

// feedbackAccounts reads the account index.
func (s *Service) feedbackAccounts(ctx context.Context) (*accountIndex, error) {
	ix := &accountIndex{byName: map[string]string{}, byDomain: map[string]string{}}
	put := func(m map[string]string, k, id string) {
		if k == "" {
			return
		}
		if old, ok := m[k]; ok && old != id {
			m[k] = ""
			return
		}
		m[k] = id
	}
	ae, err := s.cat.Entity("accounts")
	if err != nil {
		return nil, err
	}
	err = s.store.Scan(ctx, "accounts", func(r tandem.Record) error {
		id := r.ID()
		put(ix.byName, tandem.NormalizeName(text(ae, r, "name")), id)
		for _, a := range strings.FieldsFunc(r.Attrs["aliases"], func(c rune) bool { return c == ';' || c == ',' }) {
			put(ix.byName, tandem.NormalizeName(a), id)
		}
		put(ix.byDomain, normDomain(r.Attrs["domain"]), id)
		put(ix.byDomain, normDomain(r.Attrs["website"]), id)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read accounts for feedback matching: %w", err)
	}
	return ix, nil
}

// normDomain reduces a domain or a website URL to a lower-case host
// without "www.".
func normDomain(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return ""
	}
	if strings.Contains(s, "://") {
		if u, err := url.Parse(s); err == nil {
			s = u.Hostname()
		}
	} else if i := strings.IndexAny(s, "/:"); i >= 0 {
		s = s[:i]
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "www."), ".")
	if !strings.Contains(s, ".") {
		return ""
	}
	return s
}

// byMailDomain returns the account of an e-mail address's domain, trying
// the domain and then each parent domain with at least two labels.
func (ix *accountIndex) byMailDomain(addr string) string {
	_, d, ok := strings.Cut(strings.ToLower(strings.TrimSpace(addr)), "@")
	if !ok {
		return ""
	}
	return ix.domain(d)
}

// domain returns the account of a domain or one of its parents.
func (ix *accountIndex) domain(d string) string {
	d = normDomain(d)
	for d != "" && strings.Contains(d, ".") {
		if id, ok := ix.byDomain[d]; ok {
			return id
		}
		_, d, _ = strings.Cut(d, ".")
	}
	return ""
}

// name returns the account so named, or "".
func (ix *accountIndex) name(n string) string { return ix.byName[tandem.NormalizeName(n)] }

// ---- Mail ----

// MailImportResult says what a mail import did.
type MailImportResult struct {
	Name string `json:"name"`
	// Format is "eml" for a single message, "mbox" for an archive.
	Format   string `json:"format"`
	Messages int    `json:"messages"` // messages in the file
	Created  int    `json:"created"`
	// Duplicates are messages skipped: a Message-ID seen earlier in the
	// file or already stored by an earlier import.
	Duplicates  int      `json:"duplicates"`
	Threads     int      `json:"threads"` // threads among the messages read
	Attachments int      `json:"attachments"`
	Accounts    int      `json:"accounts_matched"` // created items whose sender's domain named an account
	CreatedIDs  []string `json:"created_ids"`
	// Notes are what parsing tolerated, per message ("message 2
	// <id>: the Date header … is not a date").
	Notes []string `json:"notes"`
}

// MailProblem is one message of a file that cannot be imported.
type MailProblem struct {
	Position  int    `json:"position"` // 1 for the first message
	Line      int    `json:"line"`     // line of its "From " separator (1 for a single .eml)
	MessageID string `json:"message_id,omitempty"`
	Code      string `json:"code"` // invalid or too_large
	Problem   string `json:"problem"`
}

// MailProblems refuses a mail file: every bad message, so one pass fixes
// the archive. Nothing of the file was stored.
type MailProblems struct {
	Name  string        `json:"name"`
	Items []MailProblem `json:"problems"`
}

// Error lists the bad messages, one a line, as "name:line: message N: …".
func (p *MailProblems) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %d message(s) cannot be imported; nothing was stored:", p.Name, len(p.Items))
	for _, it := range p.Items {
		fmt.Fprintf(&b, "\n  %s:%d: message %d", p.Name, it.Line, it.Position)
		if it.MessageID != "" {
			fmt.Fprintf(&b, " <%s>", it.MessageID)
		}
		b.WriteString(": " + it.Problem)
	}
	return b.String()
}

// IsMbox reports whether a file's first bytes look like an mbox archive
// (a "From " separator line, after any blank lines) rather than a single
// message, whose first header would be "From:" or another field.
func IsMbox(head []byte) bool {
	head = bytes.TrimLeft(head, "\r\n")
	return bytes.HasPrefix(head, []byte("From "))
}

// parsedMail is a message with where it was in the file.
type parsedMail struct {
	m         *mailparse.Message
	pos, line int
}

// ImportMail imports a .eml message or an mbox archive as feedback, in one
// transaction: all its messages or none.
//
//   - Every message is parsed first, outside any transaction; a malformed
//     message or one over the parser's limits refuses the whole file with
//     a *MailProblems listing every bad message by position and line.
//   - Messages are de-duplicated by Message-ID within the file, and
//     against stored items (the Message-ID is the item's source ref), so
//     re-importing an archive, or one that overlaps an earlier one,
//     creates nothing twice.
//   - Replies are threaded by Message-ID, In-Reply-To and References;
//     Thread is the first message's id, or the thread of a stored message
//     the reply answers.
//   - The sender is matched to a rep (a user's or rep's e-mail, else a rep
//     of that name) and to an account by the sender's mail domain, when an
//     account has that domain in attr.domain or attr.website.
//   - The plain text is the item's text; HTML-only mail is reduced to text
//     (the HTML itself is kept as an attachment, never rendered); text
//     over MaxFeedbackText characters is cut there and kept whole as an
//     attachment; every attachment is stored as a blob by its SHA-256.
//
// The write itself is one short batch, so intake through the API keeps
// working while a big archive is parsed.
func (s *Service) ImportMail(ctx context.Context, a Actor, r io.Reader, name string) (MailImportResult, error) {
	res := MailImportResult{Name: name, Notes: []string{}, CreatedIDs: []string{}}
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(512)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return res, fmt.Errorf("read %s: %w", name, err)
	}
	if len(bytes.TrimSpace(head)) == 0 {
		return res, tandem.Errorf(tandem.EINVALID, "%s: the file is empty; expected an .eml message or an mbox archive", name)
	}
	var msgs []parsedMail
	var bad []MailProblem
	problem := func(pos, line int, err error) {
		code := tandem.ErrorCode(err)
		if code != tandem.ETOOLARGE {
			code = tandem.EINVALID
		}
		var id string
		var te *tandem.Error
		if errors.As(err, &te) {
			// The innermost tandem.Error names the message by its id.
			for inner := te; inner != nil; {
				if rest, ok := strings.CutPrefix(inner.Op, "parse message <"); ok {
					id = strings.TrimSuffix(rest, ">")
				}
				var next *tandem.Error
				if inner.Err == nil || !errors.As(inner.Err, &next) {
					break
				}
				inner = next
			}
		}
		msg := tandem.ErrorMessage(err)
		msg = strings.TrimPrefix(msg, fmt.Sprintf("mbox message %d (line %d): ", pos, line))
		bad = append(bad, MailProblem{Position: pos, Line: line, MessageID: id, Code: code, Problem: msg})
	}
	// The parser's default limits (64 MiB a message, 16 MiB decoded a
	// part, 100 parts, 8 levels) bound zip-bomb style nesting and
	// oversized attachments.
	if IsMbox(head) {
		res.Format = "mbox"
		err := mailparse.ParseMbox(br, mailparse.Options{}, func(pos, line int, m *mailparse.Message, err error) error {
			if cerr := ctx.Err(); cerr != nil {
				return cerr
			}
			res.Messages++
			if err != nil {
				problem(pos, line, err)
				return nil
			}
			msgs = append(msgs, parsedMail{m: m, pos: pos, line: line})
			return nil
		})
		if err != nil {
			if ctx.Err() != nil {
				return res, fmt.Errorf("import %s: %w", name, ctx.Err())
			}
			return res, fmt.Errorf("%s: %w", name, err)
		}
	} else {
		res.Format = "eml"
		res.Messages = 1
		m, err := mailparse.ParseMessage(br, mailparse.Options{})
		if err != nil {
			problem(1, 1, err)
		} else {
			msgs = append(msgs, parsedMail{m: m, pos: 1, line: 1})
		}
	}
	if len(bad) > 0 {
		code := tandem.ETOOLARGE
		for _, b := range bad {
			if b.Code != tandem.ETOOLARGE {
				code = tandem.EINVALID
			}
		}
		p := &MailProblems{Name: name, Items: bad}
		return MailImportResult{}, &tandem.Error{Code: code, Message: p.Error(), Err: p}
	}
	if len(msgs) == 0 {
		return res, tandem.Errorf(tandem.EINVALID, "%s: no messages found", name)
	}

	items, blobs, positions, err := s.mailItems(ctx, msgs, &res)
	if err != nil {
		return res, err
	}
	if len(items) == 0 {
		return res, nil
	}
	ir, err := s.ImportFeedback(ctx, a, items, blobs, "mail:"+name)
	if err != nil {
		var pe *FeedbackProblems
		if asProblems(err, &pe) {
			mp := &MailProblems{Name: name}
			for _, it := range pe.Items {
				pm := positions[it.Index]
				mp.Items = append(mp.Items, MailProblem{Position: pm.pos, Line: pm.line, MessageID: pm.m.MessageID,
					Code: tandem.EINVALID, Problem: strings.Join(it.Problems, "; ")})
			}
			return MailImportResult{}, &tandem.Error{Code: tandem.EINVALID, Message: mp.Error(), Err: mp}
		}
		return MailImportResult{}, fmt.Errorf("import %s: %w", name, err)
	}
	res.Created = len(ir.Created)
	res.Duplicates += len(ir.DuplicateIDs)
	for _, f := range ir.Created {
		res.CreatedIDs = append(res.CreatedIDs, f.ID)
		res.Attachments += len(f.Attachments)
		if f.AccountID != "" {
			res.Accounts++
		}
	}
	return res, nil
}

// mailItems turns parsed messages into feedback items and blobs, with
// the message each item came from. Duplicates within the file are counted
// into res and dropped.
func (s *Service) mailItems(ctx context.Context, msgs []parsedMail, res *MailImportResult) ([]tandem.Feedback, []tandem.Blob, []parsedMail, error) {
	accounts, err := s.feedbackAccounts(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	stored, byID, err := s.feedbackSnapshot(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	// Dedupe keeps the first of each Message-ID; keep the positions with it.
	where := map[*mailparse.Message]parsedMail{}
	list := make([]*mailparse.Message, len(msgs))
	for i, pm := range msgs {
		list[i] = pm.m
		where[pm.m] = pm
	}
	kept, dups := mailparse.Dedupe(list)
	res.Duplicates += dups
	threads := mailparse.Threads(kept)
	res.Threads = len(threads)

	// storedThread is the thread of a stored mail item a message answers.
	storedThread := func(id string) string {
		if id == "" {
			return ""
		}
		i, ok := byID[feedbackID(tandem.SourceEmail, id)]
		if !ok {
			return ""
		}
		return cmp.Or(stored[i].Thread, stored[i].SourceRef)
	}
	var items []tandem.Feedback
	var blobs []tandem.Blob
	var from []parsedMail
	haveBlob := map[string]bool{}
	for _, t := range threads {
		root := ""
		for _, m := range t {
			if root = storedThread(m.InReplyTo); root != "" {
				break
			}
			for _, ref := range m.References {
				if root = storedThread(ref); root != "" {
					break
				}
			}
			if root != "" {
				break
			}
		}
		if root == "" {
			root = t[0].MessageID
		}
		for _, m := range t {
			pm := where[m]
			f, bs, notes := mailFeedback(m, root)
			for _, n := range notes {
				res.Notes = append(res.Notes, fmt.Sprintf("message %d%s: %s", pm.pos, angle(m.MessageID), n))
			}
			f.AccountID = accounts.byMailDomain(f.Author)
			for _, b := range bs {
				if !haveBlob[b.SHA256] {
					haveBlob[b.SHA256] = true
					blobs = append(blobs, b)
				}
			}
			items = append(items, f)
			from = append(from, pm)
		}
	}
	return items, blobs, from, nil
}

// angle formats a Message-ID for a note: " <id>", or "" without one.
func angle(id string) string {
	if id == "" {
		return ""
	}
	return " <" + id + ">"
}

// mailFeedback maps one message to an item in thread root, with its blobs
// and what was noted on the way.
func mailFeedback(m *mailparse.Message, root string) (tandem.Feedback, []tandem.Blob, []string) {
	notes := slices.Clone(m.Notes)
	f := tandem.Feedback{
		Source:     tandem.SourceEmail,
		SourceRef:  m.MessageID,
		Kind:       tandem.KindFeedback,
		Author:     strings.ToLower(strings.TrimSpace(m.From.Address)),
		AuthorName: strings.TrimSpace(m.From.Name),
		Title:      strings.TrimSpace(m.Subject),
		Text:       strings.TrimSpace(m.Text),
		ReceivedAt: m.Date,
		InReplyTo:  m.InReplyTo,
	}
	if f.Author == "" {
		f.Author = f.AuthorName
	}
	if m.MessageID != "" {
		f.Thread = root
	} else {
		sum := sha256.Sum256([]byte(f.Author + "\x00" + m.Date.UTC().Format(time.RFC3339) + "\x00" + f.Title + "\x00" + f.Text))
		f.SourceRef = "sha256:" + hex.EncodeToString(sum[:8])
		notes = append(notes, "no Message-ID: re-imports are recognized by sender, date, subject and text")
	}
	f.Title = clipRunes(f.Title, 300)
	var blobs []tandem.Blob
	attach := func(name, ctype string, data []byte) {
		sum := sha256.Sum256(data)
		sha := hex.EncodeToString(sum[:])
		blobs = append(blobs, tandem.Blob{SHA256: sha, ContentType: ctype, Data: data})
		f.Attachments = append(f.Attachments, tandem.FeedbackAttachment{Name: name, ContentType: ctype, Size: int64(len(data)), SHA256: sha})
	}
	if strings.TrimSpace(m.Text) != "" && m.HTML != "" && slices.Contains(m.Notes, "the plain text was derived from the HTML body") {
		attach("message.html", "text/html", []byte(m.HTML))
	}
	if n := utf8.RuneCountInString(f.Text); n > MaxFeedbackText {
		attach("message.txt", "text/plain; charset=utf-8", []byte(f.Text))
		f.Text = string([]rune(f.Text)[:MaxFeedbackText-40]) + "\n\n[cut here; the whole text is attached]"
		notes = append(notes, fmt.Sprintf("the text has %d characters; the first %d are the item's text and the whole text is attached as message.txt", n, MaxFeedbackText-40))
	}
	if f.Text == "" {
		switch {
		case f.Title != "":
			f.Text = f.Title
			notes = append(notes, "no body text: the subject is the item's text")
		default:
			f.Text = "(no text)"
			notes = append(notes, "no body text and no subject")
		}
	}
	for i, at := range m.Attachments {
		name := at.Name
		if name == "" {
			name = "attachment-" + strconv.Itoa(i+1)
		}
		attach(name, cmp.Or(at.ContentType, "application/octet-stream"), at.Data)
	}
	return f, blobs, notes
}

// ---- CSV ----

// UnknownCompany is a company a CSV row named that matches no account:
// its items are imported without an account.
type UnknownCompany struct {
	Name   string `json:"name"`
	Domain string `json:"domain,omitempty"`
	Lines  []int  `json:"lines"`
}

// CSVImportResult says what a CSV import of feedback did.
type CSVImportResult struct {
	Name       string   `json:"name"`
	Format     string   `json:"format"` // tandem, productboard, canny-posts, canny-votes
	Rows       int      `json:"rows"`   // items read (repeated Productboard notes counted once)
	Created    int      `json:"created"`
	Duplicates int      `json:"duplicates"` // already stored: left alone
	CreatedIDs []string `json:"created_ids"`
	// Matched counts items whose company was found among the accounts.
	Matched int `json:"accounts_matched"`
	// UnknownCompanies are companies no account matched, by name (or
	// alias) or domain; their items were imported without an account.
	UnknownCompanies []UnknownCompany `json:"unknown_companies"`
	Ignored          []string         `json:"ignored_columns"`
	Votes            int              `json:"votes"`
	VotesImported    int              `json:"votes_imported"`
	Notes            []string         `json:"notes"`
}

// CSVItemProblem is a row the service refused after the file was read
// (an account, deal, product or feature id that does not exist).
type CSVItemProblems struct {
	Name     string
	Problems []feedback.RowError
}

// Error lists the rows as "name:line: problem".
func (p *CSVItemProblems) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s has %d bad rows; nothing was imported:", p.Name, len(p.Problems))
	for _, re := range p.Problems {
		fmt.Fprintf(&b, "\n%s:%d: %s", p.Name, re.Line, re.Reason)
	}
	return b.String()
}

// ImportFeedbackCSV imports a CSV of feedback (Tandem's columns, a
// Productboard notes export, a Canny posts or votes export) in one
// transaction. Every bad row is reported at once with its line
// (*feedback.RowErrors from reading, *CSVItemProblems for ids that do not
// exist), and nothing is stored then. Companies are matched to accounts by
// domain (attr.domain, attr.website) first, then by name or attr.aliases
// (tandem.NormalizeName); a company that matches none keeps its items,
// without an account, and is listed in the result so someone can add the
// account or alias and fix the links. Re-importing the same file creates
// nothing (items are keyed by source and source ref).
//
// A Canny votes export becomes votes on behalf of the voters' companies,
// on the themes of the posts voted for (see importCannyVotes).
func (s *Service) ImportFeedbackCSV(ctx context.Context, a Actor, r io.Reader, name string) (CSVImportResult, error) {
	res := CSVImportResult{Name: name, CreatedIDs: []string{}, UnknownCompanies: []UnknownCompany{}, Notes: []string{}}
	cr, err := feedback.ReadCSV(r, name, feedback.CSVOptions{})
	if err != nil {
		return res, err
	}
	res.Format, res.Ignored, res.Rows, res.Votes = cr.Format, cr.Ignored, len(cr.Items), len(cr.Votes)
	if res.Ignored == nil {
		res.Ignored = []string{}
	}
	if len(cr.Votes) > 0 {
		return s.importCannyVotes(ctx, a, cr.Votes, res)
	}
	if len(cr.Items) == 0 {
		return res, nil
	}
	accounts, err := s.feedbackAccounts(ctx)
	if err != nil {
		return res, err
	}
	unknown := map[string]*UnknownCompany{}
	var order []string
	items := make([]tandem.Feedback, len(cr.Items))
	for i, it := range cr.Items {
		f := it.Feedback
		if f.AccountID == "" && (it.Company != "" || it.CompanyDomain != "") {
			id := accounts.domain(it.CompanyDomain)
			if id == "" && it.Company != "" {
				id = accounts.name(it.Company)
			}
			if id != "" {
				f.AccountID = id
				res.Matched++
			} else {
				k := tandem.NormalizeName(it.Company) + "\x00" + normDomain(it.CompanyDomain)
				u := unknown[k]
				if u == nil {
					u = &UnknownCompany{Name: it.Company, Domain: it.CompanyDomain}
					unknown[k] = u
					order = append(order, k)
				}
				u.Lines = append(u.Lines, it.Line)
			}
		}
		items[i] = f
	}
	for _, k := range order {
		res.UnknownCompanies = append(res.UnknownCompanies, *unknown[k])
	}
	if len(order) > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("%d compan(ies) match no account: their items were imported without an account; add the account or an alias (attr.aliases) or domain (attr.domain) and link the items", len(order)))
	}
	ir, err := s.ImportFeedback(ctx, a, items, nil, "csv:"+name)
	if err != nil {
		var pe *FeedbackProblems
		if asProblems(err, &pe) {
			p := &CSVItemProblems{Name: name}
			for _, it := range pe.Items {
				p.Problems = append(p.Problems, feedback.RowError{Line: cr.Items[it.Index].Line, Reason: strings.Join(it.Problems, "; ")})
			}
			return CSVImportResult{}, &tandem.Error{Code: tandem.EINVALID, Message: p.Error(), Err: p}
		}
		return CSVImportResult{}, fmt.Errorf("import %s: %w", name, err)
	}
	res.Created, res.Duplicates = len(ir.Created), len(ir.DuplicateIDs)
	for _, f := range ir.Created {
		res.CreatedIDs = append(res.CreatedIDs, f.ID)
	}
	return res, nil
}

// ---- Reading items ----

// FeedbackOverdue reports whether an item still waits for acknowledgment
// past its deadline, now.
func (s *Service) FeedbackOverdue(f tandem.Feedback) bool { return overdue(f, s.now()) }

// FeedbackVersion is one stored version of an item.
type FeedbackVersion struct {
	Version int             `json:"version"`
	Author  string          `json:"author"`
	At      time.Time       `json:"at"`
	Note    string          `json:"note,omitempty"`
	Item    tandem.Feedback `json:"item"`
}

// FeedbackVersions returns every version of an item, oldest first, or
// ENOTFOUND.
func (s *Service) FeedbackVersions(ctx context.Context, id string) ([]FeedbackVersion, error) {
	docs, err := s.FeedbackHistory(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(docs) == 0 {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "no feedback item %q", id)
	}
	out := make([]FeedbackVersion, 0, len(docs))
	for _, d := range docs {
		v := FeedbackVersion{Version: d.Version, Author: d.Author, At: d.CreatedAt, Note: d.Note}
		if err := json.Unmarshal(d.Body, &v.Item); err != nil {
			return nil, fmt.Errorf("decode feedback %s version %d: %w", id, d.Version, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// FeedbackAttachment returns an item's attachment and its bytes: only a
// blob the item lists is served, so a blob's hash alone reveals nothing.
func (s *Service) FeedbackAttachment(ctx context.Context, id, sha string) (tandem.FeedbackAttachment, tandem.Blob, error) {
	f, _, err := s.FeedbackItem(ctx, id)
	if err != nil {
		return tandem.FeedbackAttachment{}, tandem.Blob{}, err
	}
	i := slices.IndexFunc(f.Attachments, func(a tandem.FeedbackAttachment) bool { return a.SHA256 == strings.ToLower(sha) })
	if i < 0 {
		return tandem.FeedbackAttachment{}, tandem.Blob{}, tandem.Errorf(tandem.ENOTFOUND, "feedback %s has no attachment %q", id, sha)
	}
	b, err := s.store.Blob(ctx, f.Attachments[i].SHA256)
	return f.Attachments[i], b, err
}

// ---- Slack ----

// SlackCommandFeedback is the item a slash command files: the text after
// the command, by the Slack user (Author is the user id, AuthorName the
// user name), answered in the channel it came from. The trigger id is the
// source ref: Slack sends each invocation once, so a replayed request
// (refused before this) would be the only way to file it twice.
func SlackCommandFeedback(c feedback.SlashCommand, now time.Time) tandem.Feedback {
	ref := c.TriggerID
	if ref == "" {
		ref = c.TeamID + "/" + c.ChannelID + "/" + c.UserID + "/" + strconv.FormatInt(now.UnixNano(), 10)
	}
	return tandem.Feedback{Source: tandem.SourceSlack, SourceRef: ref, Kind: tandem.KindFeedback,
		Author: c.UserID, AuthorName: c.UserName, Text: strings.TrimSpace(c.Text), ReceivedAt: now,
		ReplyTo: "slack:" + c.UserID}
}

// SlackEventFeedback is the item a message or app_mention event files.
// The event id is the source ref, so Slack's retries of the same event
// (same event_id) are recognized as duplicates.
func SlackEventFeedback(ev feedback.Event, now time.Time) tandem.Feedback {
	at := ev.EventTime
	if at.IsZero() {
		at = now
	}
	m := ev.Message
	f := tandem.Feedback{Source: tandem.SourceSlack, SourceRef: ev.EventID, Kind: tandem.KindFeedback,
		Author: m.User, Text: strings.TrimSpace(m.Text), ReceivedAt: at, ReplyTo: "slack:" + m.User}
	if m.ThreadTS != "" {
		f.Thread = m.Channel + "/" + m.ThreadTS
	}
	return f
}

// ---- Settings files ----

// feedbackSettingsKeys and routingRuleKeys are the keys a settings file
// may use, so a misspelt key is refused with its line instead of being
// dropped.
var (
	feedbackSettingsKeys = []string{"ack_business_days", "routing", "default_owner", "intel_quota", "postmortem_min_amount", "slack_webhook"}
	routingRuleKeys      = []string{"name", "product", "feature", "segment", "keywords", "owner"}
)

// ParseFeedbackSettings reads feedback settings written as YAML or JSON
// (JSON is YAML). Fields left out keep their defaults. Every unknown key
// and every value of the wrong type is reported with its line, as
// "name:line: path: problem", all at once; whether owners, products and
// features exist is checked when the settings are applied.
func ParseFeedbackSettings(name string, src []byte) (tandem.FeedbackSettings, error) {
	set := tandem.DefaultFeedbackSettings()
	var root yaml.Node
	if err := yaml.Unmarshal(src, &root); err != nil {
		return set, tandem.Errorf(tandem.EINVALID, "%s: %v", name, err)
	}
	if len(root.Content) == 0 {
		return set, tandem.Errorf(tandem.EINVALID, "%s: the file is empty", name)
	}
	doc := root.Content[0]
	var probs []string
	bad := func(n *yaml.Node, path, msg string) {
		probs = append(probs, fmt.Sprintf("%s:%d: %s: %s", name, n.Line, path, msg))
	}
	if doc.Kind != yaml.MappingNode {
		return set, tandem.Errorf(tandem.EINVALID, "%s:%d: expected a mapping of settings (ack_business_days, routing, ...)", name, doc.Line)
	}
	checkKeys := func(m *yaml.Node, path string, keys []string) {
		for i := 0; i+1 < len(m.Content); i += 2 {
			k := m.Content[i]
			if !slices.Contains(keys, k.Value) {
				bad(k, strings.TrimPrefix(path+"."+k.Value, "."), "unknown key (known: "+strings.Join(keys, ", ")+")")
			}
		}
	}
	checkKeys(doc, "", feedbackSettingsKeys)
	for i := 0; i+1 < len(doc.Content); i += 2 {
		k, v := doc.Content[i], doc.Content[i+1]
		var err error
		switch k.Value {
		case "ack_business_days":
			err = v.Decode(&set.AckBusinessDays)
		case "intel_quota":
			err = v.Decode(&set.IntelQuota)
		case "postmortem_min_amount":
			err = v.Decode(&set.PostmortemMinAmount)
		case "default_owner":
			err = v.Decode(&set.DefaultOwner)
		case "slack_webhook":
			err = v.Decode(&set.SlackWebhook)
		case "routing":
			if v.Kind != yaml.SequenceNode && v.Tag != "!!null" {
				bad(v, "routing", "expected a list of rules")
				continue
			}
			set.Routing = nil
			for j, rn := range v.Content {
				at := fmt.Sprintf("routing[%d]", j)
				if rn.Kind != yaml.MappingNode {
					bad(rn, at, "expected a rule (name, owner and conditions)")
					continue
				}
				checkKeys(rn, at, routingRuleKeys)
				var r tandem.RoutingRule
				for x := 0; x+1 < len(rn.Content); x += 2 {
					rk, rv := rn.Content[x], rn.Content[x+1]
					var err error
					switch rk.Value {
					case "name":
						err = rv.Decode(&r.Name)
					case "product":
						err = rv.Decode(&r.Product)
					case "feature":
						err = rv.Decode(&r.Feature)
					case "segment":
						err = rv.Decode(&r.Segment)
					case "owner":
						err = rv.Decode(&r.Owner)
					case "keywords":
						err = rv.Decode(&r.Keywords)
					}
					if err != nil {
						bad(rv, at+"."+rk.Value, "wrong type: "+yamlTypeError(err))
					}
				}
				set.Routing = append(set.Routing, r)
			}
		}
		if err != nil {
			bad(v, k.Value, "wrong type: "+yamlTypeError(err))
		}
	}
	if len(probs) > 0 {
		return set, tandem.Errorf(tandem.EINVALID, "%s refused (%d problem(s)):\n  %s", name, len(probs), strings.Join(probs, "\n  "))
	}
	return set, nil
}

// yamlTypeError shortens a yaml decoding error to its reason.
func yamlTypeError(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return msg
}

// FeedbackSettingsYAML renders settings as the YAML file ParseFeedbackSettings reads.
func FeedbackSettingsYAML(set tandem.FeedbackSettings) string {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(orderedSettings(set)); err != nil {
		return ""
	}
	return buf.String()
}

// orderedSettings is settings as a YAML node with keys in the document's
// order.
func orderedSettings(set tandem.FeedbackSettings) *yaml.Node {
	n := &yaml.Node{Kind: yaml.MappingNode}
	add := func(m *yaml.Node, k string, v any) {
		var vn yaml.Node
		if err := vn.Encode(v); err != nil {
			return
		}
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: k}, &vn)
	}
	add(n, "ack_business_days", set.AckBusinessDays)
	add(n, "default_owner", set.DefaultOwner)
	add(n, "intel_quota", set.IntelQuota)
	add(n, "postmortem_min_amount", set.PostmortemMinAmount)
	add(n, "slack_webhook", set.SlackWebhook)
	rules := &yaml.Node{Kind: yaml.SequenceNode}
	for _, r := range set.Routing {
		rn := &yaml.Node{Kind: yaml.MappingNode}
		add(rn, "name", r.Name)
		if r.Product != "" {
			add(rn, "product", r.Product)
		}
		if r.Feature != "" {
			add(rn, "feature", r.Feature)
		}
		if r.Segment != "" {
			add(rn, "segment", r.Segment)
		}
		if len(r.Keywords) > 0 {
			add(rn, "keywords", r.Keywords)
		}
		add(rn, "owner", r.Owner)
		rules.Content = append(rules.Content, rn)
	}
	n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: "routing"}, rules)
	return n
}

// importCannyVotes records a Canny votes export as votes: each vote lands
// on the theme of the post it is for (the post must have been imported
// from the posts export first) on behalf of the voter's company (matched
// as items' companies are, by the voter's mail domain or the company
// name). Votes whose post or company is unknown are listed in the notes
// by line and skipped; a company that already voted for the theme keeps
// its vote (a product manager's "critical" is not lowered to Canny's
// "nice"), and a company voting twice for one theme through the file
// counts once, so re-importing the file changes nothing. The votes are
// written in one batch: all of them or none.
func (s *Service) importCannyVotes(ctx context.Context, a Actor, votes []feedback.CSVVote, res CSVImportResult) (CSVImportResult, error) {
	accounts, err := s.feedbackAccounts(ctx)
	if err != nil {
		return res, err
	}
	_, byID, err := s.feedbackSnapshot(ctx)
	if err != nil {
		return res, err
	}
	var w tandem.DocWrite
	var noPost, noCompany []string
	queued := map[string]bool{}
	for _, cv := range votes {
		item := feedbackID(tandem.SourceCanny, cv.ItemRef)
		if _, ok := byID[item]; !ok || cv.ItemRef == "" {
			noPost = append(noPost, strconv.Itoa(cv.Line))
			continue
		}
		acct := ""
		if _, domain, ok := strings.Cut(cv.VoterEmail, "@"); ok {
			acct = accounts.domain(domain)
		}
		if acct == "" && cv.Company != "" {
			acct = accounts.name(cv.Company)
		}
		if acct == "" {
			noCompany = append(noCompany, strconv.Itoa(cv.Line))
			continue
		}
		theme, err := s.ThemeOf(ctx, item)
		if err != nil {
			return res, fmt.Errorf("line %d: %w", cv.Line, err)
		}
		id := theme + "/" + acct
		if queued[id] {
			continue // the company's vote for this theme is in the batch already
		}
		if _, _, err := docOf[tandem.Vote](ctx, s, tandem.DocVote, id, 0); err == nil {
			continue // this company already voted for the theme
		} else if tandem.ErrorCode(err) != tandem.ENOTFOUND {
			return res, fmt.Errorf("line %d: %w", cv.Line, err)
		}
		at := cv.At
		if at.IsZero() {
			at = s.now()
		}
		v := tandem.Vote{Theme: theme, AccountID: acct, Importance: tandem.ImportanceNice,
			Note: clipRunes("Canny vote by "+cmp.Or(cv.Voter, cv.VoterEmail, "an unnamed voter"), 2000), By: a.Name, At: at.UTC()}
		queued[id] = true
		w.Docs = append(w.Docs, s.newDoc(a, tandem.DocVote, id, theme, 1, v, "csv:"+res.Name))
		w.Audit = append(w.Audit, s.entry(a, "vote.save", id, nil, v))
	}
	if len(noPost) > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("votes on lines %s are for posts not imported yet: import the Canny posts export first", strings.Join(noPost, ", ")))
	}
	if len(noCompany) > 0 {
		res.Notes = append(res.Notes, fmt.Sprintf("votes on lines %s name no known company: add the account, an alias or attr.domain and import again", strings.Join(noCompany, ", ")))
	}
	if len(w.Docs) == 0 {
		return res, nil
	}
	if err := s.store.WriteDocs(ctx, w); err != nil {
		if tandem.ErrorCode(err) == tandem.ECONFLICT {
			return res, tandem.Errorf(tandem.ECONFLICT, "%s: someone recorded a vote for one of these themes meanwhile; nothing was stored, import the file again", res.Name)
		}
		return res, fmt.Errorf("import votes of %s: %w", res.Name, err)
	}
	res.VotesImported = len(w.Docs)
	return res, nil
}

// clipRunes shortens s to at most n characters.
func clipRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}
