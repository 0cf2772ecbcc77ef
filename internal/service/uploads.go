package service

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/importer"
)

// uploadTTL is how long a staged upload waits for its import.
const uploadTTL = time.Hour

// sampleRows is how many data rows an upload shows in its preview.
const sampleRows = 5

// validUploadID reports whether id has the form of the ids Stage hands out
// (auth.NewID: 16 hex digits), so a crafted id cannot name a path outside
// the staging directory.
func validUploadID(id string) bool {
	if len(id) != 16 {
		return false
	}
	for _, c := range id {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Upload is a CSV file staged for import: saved on the server until it is
// imported or an hour passes, so the user can preview it, fix the column
// map and confirm without uploading again.
type Upload struct {
	ID      string    `json:"id"`
	Owner   string    `json:"owner"`
	Name    string    `json:"name"`
	Size    int64     `json:"size"`
	Created time.Time `json:"created"`
	// Header is the file's header row; Sample its first rows (up to 5).
	Header []string   `json:"header"`
	Sample [][]string `json:"sample"`
	// Entity is the entity the header looks most like (the user may
	// choose another).
	Entity string `json:"entity"`
}

// ImportRequest is how to read a staged upload.
type ImportRequest struct {
	Entity      string             `json:"entity"`
	Format      string             `json:"format,omitempty"`
	Map         []importer.Mapping `json:"map,omitempty"`
	DateFormat  string             `json:"date_format,omitempty"`
	OnDuplicate string             `json:"on_duplicate,omitempty"`
}

// paths returns the staged file and its metadata file.
func (s *Service) paths(id string) (data, meta string) {
	return filepath.Join(s.uploads, id+".csv"), filepath.Join(s.uploads, id+".json")
}

// Stage saves an uploaded CSV file (at most limit bytes) for owner and
// returns what it found in its first rows. Staged uploads older than an
// hour are removed on the way.
func (s *Service) Stage(ctx context.Context, owner, name string, body io.Reader, limit int64) (*Upload, error) {
	if err := os.MkdirAll(s.uploads, 0o700); err != nil {
		return nil, fmt.Errorf("stage upload: %w", err)
	}
	// The lock covers the bookkeeping, not the copy, so one slow upload
	// does not hold up the others.
	s.staging.Lock()
	staged := s.sweep(owner)
	s.staging.Unlock()
	if staged >= maxStagedPerUser {
		return nil, tandem.Errorf(tandem.ECONFLICT, "you have %d uploads waiting for import; import them or wait an hour for them to expire", staged)
	}
	u := &Upload{ID: auth.NewID(), Owner: owner, Name: filepath.Base(strings.ReplaceAll(name, `\`, "/")), Created: s.now().UTC()}
	if u.Name == "." || u.Name == "/" || u.Name == "" {
		u.Name = "upload.csv"
	}
	data, meta := s.paths(u.ID)
	f, err := os.OpenFile(data, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("stage upload: %w", err)
	}
	n, err := io.Copy(f, io.LimitReader(body, limit+1))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	fail := func(err error) (*Upload, error) {
		os.Remove(data)
		return nil, err
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return fail(tandem.Errorf(tandem.ETOOLARGE, "%s is larger than the upload limit of %d MB", u.Name, limit>>20))
	case err != nil:
		return fail(fmt.Errorf("stage upload %s: %w", u.Name, err))
	case n > limit:
		return fail(tandem.Errorf(tandem.ETOOLARGE, "%s is larger than the upload limit of %d MB", u.Name, limit>>20))
	case n == 0:
		return fail(tandem.Errorf(tandem.EINVALID, "%s is empty: choose a CSV file with a header row", u.Name))
	}
	u.Size = n
	if err := s.peek(u, data); err != nil {
		return fail(err)
	}
	b, _ := json.Marshal(u)
	if err := os.WriteFile(meta, b, 0o600); err != nil {
		return fail(fmt.Errorf("stage upload: %w", err))
	}
	return u, nil
}

// peek reads the header and sample rows of a staged file and guesses its
// entity.
func (s *Service) peek(u *Upload, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("read upload: %w", err)
	}
	defer f.Close()
	cr := csv.NewReader(f)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return tandem.Errorf(tandem.EINVALID, "%s: line 1: not a CSV header row: %v", u.Name, err)
	}
	if len(header) > 0 {
		header[0] = strings.TrimPrefix(header[0], "\ufeff")
	}
	u.Header = header
	u.Sample = [][]string{}
	for len(u.Sample) < sampleRows {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return tandem.Errorf(tandem.EINVALID, "%s: %v", u.Name, err)
		}
		u.Sample = append(u.Sample, rec)
	}
	best := 0
	for _, e := range s.cat.Entities() {
		if sc := importer.MatchScore(e, header); sc > best {
			best, u.Entity = sc, e.Name
		}
	}
	return nil
}

// maxStagedPerUser bounds one user's uploads waiting for import, so the
// staging directory cannot be filled by one account.
const maxStagedPerUser = 10

// sweep removes staged uploads older than uploadTTL and returns how many
// of owner's are still waiting; s.staging is held.
func (s *Service) sweep(owner string) int {
	entries, err := os.ReadDir(s.uploads)
	if err != nil {
		return 0
	}
	cutoff := s.now().Add(-uploadTTL)
	n := 0
	for _, e := range entries {
		path := filepath.Join(s.uploads, e.Name())
		if info, err := e.Info(); err == nil && info.ModTime().Before(cutoff) {
			os.Remove(path)
			continue
		}
		if strings.HasSuffix(e.Name(), ".json") {
			var u Upload
			if b, err := os.ReadFile(path); err == nil && json.Unmarshal(b, &u) == nil && u.Owner == owner {
				n++
			}
		}
	}
	return n
}

// Staged returns owner's staged upload, or ENOTFOUND (also for another
// user's upload, or an expired one).
func (s *Service) Staged(ctx context.Context, owner, id string) (*Upload, error) {
	notFound := tandem.Errorf(tandem.ENOTFOUND, "no staged upload %q: uploads are kept for an hour; upload the file again", id)
	if !validUploadID(id) {
		return nil, notFound
	}
	_, meta := s.paths(id)
	b, err := os.ReadFile(meta)
	if err != nil {
		return nil, notFound
	}
	var u Upload
	if err := json.Unmarshal(b, &u); err != nil || u.Owner != owner || s.now().Sub(u.Created) > uploadTTL {
		return nil, notFound
	}
	return &u, nil
}

// options turns a request into importer options.
func (s *Service) options(u *Upload, req ImportRequest) (string, importer.Options, error) {
	entity := req.Entity
	if entity == "" {
		entity = u.Entity
	}
	if entity == "" {
		return "", importer.Options{}, tandem.Errorf(tandem.EINVALID, "choose the entity the file holds")
	}
	if _, err := s.cat.Entity(entity); err != nil {
		return "", importer.Options{}, err
	}
	return entity, importer.Options{Name: u.Name, Format: req.Format, Map: req.Map, DateFormat: req.DateFormat, OnDuplicate: req.OnDuplicate}, nil
}

// Preview runs the import as a dry run: the detected format, the column
// map, and every row error, with nothing written. Row problems are in the
// summary, not the error.
func (s *Service) Preview(ctx context.Context, owner, id string, req ImportRequest) (*importer.Summary, error) {
	u, err := s.Staged(ctx, owner, id)
	if err != nil {
		return nil, err
	}
	entity, opt, err := s.options(u, req)
	if err != nil {
		return nil, err
	}
	opt.DryRun = true
	data, _ := s.paths(id)
	sum, err := s.imp.ImportFile(ctx, entity, data, opt)
	if sum != nil {
		sum.File = u.Name
	}
	if sum != nil && tandem.ErrorCode(err) == tandem.EINVALID {
		return sum, nil
	}
	return sum, err
}

// Import imports a staged upload (all or nothing), records it in the audit
// log in the same transaction, and removes the staged file on success. A
// file with bad rows is EINVALID with the summary listing every problem.
// After a committed import of quotes or quote_lines the imported quotes
// are synced into the deal desk (SyncImportedQuotes), and the summary's
// Quotes says how that went.
func (s *Service) Import(ctx context.Context, a Actor, owner, id string, req ImportRequest) (*importer.Summary, error) {
	u, err := s.Staged(ctx, owner, id)
	if err != nil {
		return nil, err
	}
	entity, opt, err := s.options(u, req)
	if err != nil {
		return nil, err
	}
	entry := s.entry(a, "import", "entity:"+entity, nil, nil)
	opt.Audit = &entry
	data, meta := s.paths(id)
	sum, err := s.imp.ImportFile(ctx, entity, data, opt)
	if sum != nil {
		sum.File = u.Name
	}
	if err != nil {
		return sum, err
	}
	os.Remove(data)
	os.Remove(meta)
	if sum.Committed && (entity == "quotes" || entity == "quote_lines") {
		sum.Quotes = s.syncAfterImport(ctx, a)
	}
	return sum, nil
}

// syncAfterImport syncs imported quotes into the desk after a committed
// import. The import stands whatever happens here, so a failure is
// reported with the sync's problems rather than as the import's error:
// importing the file again retries.
func (s *Service) syncAfterImport(ctx context.Context, a Actor) *importer.QuoteSync {
	res, err := s.SyncImportedQuotes(ctx, a)
	if err != nil {
		res.Problems = append(res.Problems, "the deal desk sync stopped ("+tandem.ErrorMessage(err)+"); the rows were imported: import the file again to retry")
	}
	return &res
}
