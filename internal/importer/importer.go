// Package importer loads CSV files (canonical Tandem CSV, Salesforce and
// HubSpot exports, or any spreadsheet with a column map) into the store, one
// transaction per file: every row lands or none does, and every bad row is
// reported with its line, column and reason.
package importer

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/tandemhq/tandem"
)

// Duplicate-id policies for --on-duplicate.
const (
	DupError   = "error"
	DupFirst   = "first"
	DupLast    = "last"
	DupKeepAll = "keep-all"
)

// Mapping fills canonical column Canonical from the file's Source column.
type Mapping struct {
	Canonical string `json:"canonical"`
	Source    string `json:"source"`
}

// ValueMap replaces the cell value From with To in canonical column Field
// before it is read (--value stage:Won=won).
type ValueMap struct {
	Field string `json:"field"`
	From  string `json:"from"`
	To    string `json:"to"`
}

// Options controls one import. The zero value imports a file whose format
// is detected, with duplicate ids as errors.
type Options struct {
	Format         string
	Map            []Mapping
	Values         []ValueMap
	DateFormat     string
	OnDuplicate    string
	FeatureColumns []string
	// Truthy lists the cell values that mean "adopted" in FeatureColumns;
	// matched case-insensitively. Default: yes, true, y, 1.
	Truthy []string
	// WonStages and LostStages add stage names that mean won or lost when
	// outcome is derived from the stage (defaults: Won, Closed Won, Lost,
	// Closed Lost, in any case and spacing).
	WonStages, LostStages []string
	// Stages, when set, is the only set of deal stages accepted.
	Stages []string
	// NoCreate makes unknown product and feature names errors instead of
	// new catalog entries.
	NoCreate bool
	DryRun   bool
	// Name is the file's name in messages and the audit log (default: the
	// path's base name), for files staged under another name.
	Name string
	// Audit, when set, is recorded in the import's transaction when it
	// commits, with its After filled in with what was imported (file,
	// entity, format, rows, skipped duplicates, catalog entries created).
	Audit *tandem.AuditEntry
	// Progress, when set, is called with bytes read and the file size.
	Progress func(done, total int64)
}

// Summary is what an import did, or would have done, to the store.
type Summary struct {
	File       string             `json:"file"`
	Entity     string             `json:"entity"`
	Format     string             `json:"format"`
	DryRun     bool               `json:"dry_run"`
	Committed  bool               `json:"committed"`
	Rows       int                `json:"rows"`
	Skipped    int                `json:"skipped_duplicates"`
	Loaded     []tandem.LoadCount `json:"loaded"`
	Columns    []Mapping          `json:"columns"`
	Attributes []string           `json:"attributes"`
	Normalized []Normalization    `json:"normalized"`
	Created    []Created          `json:"created"`
	Duplicates []Duplicate        `json:"duplicates"`
	Errors     []RowError         `json:"errors"`
	// Quotes is what the deal desk made of the imported quotes after a
	// committed import of quotes or quote_lines; nil for other imports,
	// dry runs and failed imports. The importer leaves it to the caller,
	// which runs the sync after the commit.
	Quotes *QuoteSync `json:"quotes,omitempty"`
}

// QuoteSync counts what syncing imported quotes into the deal desk did:
// desk quotes created, quotes given a new version, quotes already up to
// date, and the quotes that could not be synced, one sentence each.
type QuoteSync struct {
	Created   int      `json:"created"`
	Versioned int      `json:"versioned"`
	Unchanged int      `json:"unchanged"`
	Problems  []string `json:"problems"`
}

// Normalization is a value the import had to reinterpret: a name matched to
// a catalog entry under another spelling, or a CRM value mapped to a
// canonical one.
type Normalization struct {
	Column    string `json:"column"`
	From      string `json:"from"`
	To        string `json:"to"`
	Rows      int    `json:"rows"`
	FirstLine int    `json:"first_line"`
}

// Created is a catalog entry the import added because a row named a product
// or feature the catalog did not have.
type Created struct {
	Entity    string `json:"entity"`
	ID        string `json:"id"`
	Rows      int    `json:"rows"`
	FirstLine int    `json:"first_line"`
}

// Duplicate is an id that occurs on more than one line.
type Duplicate struct {
	ID    string `json:"id"`
	Lines []int  `json:"lines"`
}

// RowError is one problem with one cell or row. Line 0 is the file as a whole.
type RowError struct {
	Line   int    `json:"line"`
	Column string `json:"column,omitempty"`
	Value  string `json:"value,omitempty"`
	Reason string `json:"reason"`
}

func (e RowError) String() string {
	var b strings.Builder
	if e.Line > 0 {
		fmt.Fprintf(&b, "line %d: ", e.Line)
	}
	if e.Column != "" {
		fmt.Fprintf(&b, "column %s: ", e.Column)
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Importer loads files into a store.
type Importer struct {
	Store   tandem.Store
	Catalog *tandem.Catalog
}

// ImportFile imports one file into entity. The returned error is EINVALID
// when the file or rows are bad (the summary lists why; nothing was
// written), and wraps the cause for store failures.
func (im *Importer) ImportFile(ctx context.Context, entity, path string, opt Options) (*Summary, error) {
	e, err := im.Catalog.Entity(entity)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, &tandem.Error{Code: tandem.EINVALID, Op: "import " + entity, Message: "cannot open file", Err: err}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("import %s: %w", path, err)
	}
	name := opt.Name
	if name == "" {
		name = filepath.Base(path)
	}
	sum, err := im.run(ctx, e, f, st.Size(), name, opt)
	if sum != nil {
		sum.File = path
		sum.emptyLists()
	}
	return sum, err
}

// emptyLists makes absent lists empty, so --json prints [] and scripts
// need not tell null from nothing.
func (s *Summary) emptyLists() {
	if s.Loaded == nil {
		s.Loaded = []tandem.LoadCount{}
	}
	if s.Columns == nil {
		s.Columns = []Mapping{}
	}
	if s.Attributes == nil {
		s.Attributes = []string{}
	}
	if s.Normalized == nil {
		s.Normalized = []Normalization{}
	}
	if s.Created == nil {
		s.Created = []Created{}
	}
	if s.Duplicates == nil {
		s.Duplicates = []Duplicate{}
	}
	if s.Errors == nil {
		s.Errors = []RowError{}
	}
}

// run does the import from an open, seekable file.
func (im *Importer) run(ctx context.Context, e *tandem.Entity, f io.ReadSeeker, size int64, name string, opt Options) (*Summary, error) {
	sum := &Summary{Entity: e.Name, DryRun: opt.DryRun}
	fail := func(format string, args ...any) (*Summary, error) {
		msg := fmt.Sprintf(format, args...)
		sum.Errors = append(sum.Errors, RowError{Reason: msg})
		return sum, &tandem.Error{Code: tandem.EINVALID, Op: "import " + e.Name + " " + name, Message: msg}
	}
	switch opt.OnDuplicate {
	case "":
		opt.OnDuplicate = DupError
	case DupError, DupFirst, DupLast:
	case DupKeepAll:
		if e.Referenced {
			return fail("--on-duplicate keep-all is not possible for %s: other entities refer to them by id, so ids must be unique; use first or last", e.Name)
		}
	default:
		return fail("--on-duplicate %q: use error, first, last or keep-all", opt.OnDuplicate)
	}
	dates, err := NewDateParser(opt.DateFormat)
	if err != nil {
		return sum, err
	}

	// open reads the file from its start, past a UTF-8 byte order mark (as
	// Excel writes), into a CSV reader that reports progress. The
	// --on-duplicate last pre-pass opens it a second time.
	counter := &countingReader{total: size, progress: opt.Progress}
	open := func() (*csv.Reader, []byte, error) {
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, nil, fmt.Errorf("rewind %s: %w", name, err)
		}
		br := bufio.NewReaderSize(f, 1<<16)
		head, _ := br.Peek(3)
		if bytes.HasPrefix(head, []byte{0xEF, 0xBB, 0xBF}) {
			br.Discard(3)
		}
		counter.r, counter.done, counter.last = br, 0, 0
		cr := csv.NewReader(counter)
		cr.ReuseRecord = true
		return cr, head, nil
	}
	cr, head, err := open()
	if err != nil {
		return sum, err
	}
	switch {
	case len(head) == 0:
		return fail("the file is empty: expected a header row")
	case bytes.HasPrefix(head, []byte{0xFF, 0xFE}), bytes.HasPrefix(head, []byte{0xFE, 0xFF}):
		return fail("the file is UTF-16 encoded: save it as UTF-8 CSV")
	}
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return fail("the file is empty: expected a header row")
	}
	if err != nil {
		return fail("cannot read the header row: %v", err)
	}
	header = append([]string(nil), header...)
	if err := checkHeader(header); err != nil {
		return fail("%v", err)
	}
	sum.Format = opt.Format
	if sum.Format == "" {
		sum.Format = DetectFormat(e, header)
	}
	switch sum.Format {
	case FormatTandem, FormatSalesforce, FormatHubSpot, FormatCSV:
	default:
		return fail("unknown --format %q: use tandem, salesforce, hubspot or csv", sum.Format)
	}

	p, err := newPlan(ctx, im, e, header, sum.Format, opt, dates)
	if err != nil {
		var de *tandem.Error
		if errors.As(err, &de) && de.Code == tandem.EINVALID {
			return fail("%s", de.Message)
		}
		return sum, err
	}
	sum.Columns = p.mappings()
	sum.Attributes = p.attrNames()

	if opt.OnDuplicate == DupLast {
		if err := p.findLast(cr); err != nil {
			return fail("%v", err)
		}
		if cr, _, err = open(); err != nil {
			return sum, err
		}
		if _, err := cr.Read(); err != nil {
			return sum, fmt.Errorf("reread header of %s: %w", name, err)
		}
	}

	loader, err := im.Store.Begin(ctx)
	if err != nil {
		return sum, fmt.Errorf("import %s: %w", name, err)
	}
	defer loader.Rollback()
	p.loader = loader

	width := len(header)
	for {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		sum.Rows++
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return sum, fmt.Errorf("read %s: %w", name, err)
			}
			if errors.Is(pe.Err, csv.ErrFieldCount) {
				p.errorf(pe.StartLine, "", "", "row has %d fields, the header has %d", len(rec), width)
			} else {
				p.errorf(pe.Line, "", "", "malformed CSV: %v", pe.Err)
			}
			continue
		}
		// FieldPos is valid only for a record that was read whole: a
		// parse error can leave no fields at all.
		line, _ := cr.FieldPos(0)
		if err := p.row(ctx, line, rec); err != nil {
			return sum, fmt.Errorf("import %s line %d: %w", name, line, err)
		}
	}
	if opt.Progress != nil {
		opt.Progress(size, size)
	}
	if err := p.finish(ctx); err != nil {
		return sum, fmt.Errorf("import %s: %w", name, err)
	}
	p.fill(sum)
	if len(sum.Errors) > 0 {
		return sum, &tandem.Error{Code: tandem.EINVALID, Op: "import " + e.Name + " " + name,
			Message: fmt.Sprintf("%d problem(s) in %d row(s); nothing was written", len(sum.Errors), p.badRows())}
	}
	if opt.DryRun {
		return sum, nil
	}
	if opt.Audit != nil {
		a := *opt.Audit
		if a.Action == "" {
			a.Action = "import"
		}
		if a.Target == "" {
			a.Target = "entity:" + e.Name
		}
		a.After = tandem.AuditJSON(map[string]any{"file": name, "entity": e.Name, "format": sum.Format,
			"rows": sum.Rows, "skipped_duplicates": sum.Skipped, "created": len(sum.Created)})
		if len(a.Before) == 0 {
			a.Before = tandem.AuditJSON(nil)
		}
		loader.Audit(a)
	}
	counts, err := loader.Commit(ctx)
	if err != nil {
		return sum, fmt.Errorf("import %s: commit: %w", name, err)
	}
	sum.Loaded = counts
	sum.Committed = true
	return sum, nil
}

// checkHeader rejects headers that cannot be mapped unambiguously.
func checkHeader(header []string) error {
	seen := map[string]int{}
	for i, h := range header {
		if err := checkUTF8(h); err != nil {
			return fmt.Errorf("header: %v", err)
		}
		h = strings.TrimSpace(h)
		if h == "" {
			return fmt.Errorf("header column %d has no name", i+1)
		}
		if j, ok := seen[h]; ok {
			return fmt.Errorf("header names column %q twice (columns %d and %d)", h, j+1, i+1)
		}
		seen[h] = i
	}
	return nil
}

// countingReader reports bytes read to a progress callback, at most every
// 256 KiB so it costs nothing on large files.
type countingReader struct {
	r        io.Reader
	done     int64
	last     int64
	total    int64
	progress func(done, total int64)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.done += int64(n)
	if c.progress != nil && c.done-c.last >= 256<<10 {
		c.last = c.done
		c.progress(c.done, c.total)
	}
	return n, err
}

// sortedKeys returns a map's keys in order, for deterministic summaries.
func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
