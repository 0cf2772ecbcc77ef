// Package service is what Tandem's pages and JSON API do, written once: the
// overview figures, deal, account and feature views, the glossary, users,
// API tokens, the audit log and staged CSV imports. Handlers in
// internal/httpapi (JSON) and internal/web (HTML) check permissions, decode
// the request and render the result; everything between lives here, so a
// page and its API route cannot drift apart. Every write records who did it
// in the audit log, in the same transaction as the change.
package service

import (
	"context"
	"errors"
	"io"
	"net/url"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/importer"
)

// errTODO marks what is not written yet.
var errTODO = errors.New("not implemented")

// Service carries the store and the engines the views are drawn from. It is
// safe for concurrent use.
type Service struct {
	store    tandem.Store
	cat      *tandem.Catalog
	reporter tandem.Reporter
	now      func() time.Time
	uploads  string
	imp      *importer.Importer
}

// New returns a service over store. uploadDir holds staged uploads (created
// when missing); now is the clock (nil: time.Now).
func New(store tandem.Store, cat *tandem.Catalog, reporter tandem.Reporter, uploadDir string, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{store: store, cat: cat, reporter: reporter, now: now, uploads: uploadDir,
		imp: &importer.Importer{Store: store, Catalog: cat}}
}

// Catalog returns the entity catalog.
func (s *Service) Catalog() *tandem.Catalog { return s.cat }

// Store returns the store, for reads the service has no view for.
func (s *Service) Store() tandem.Store { return s.store }

// Actor is who makes a change, for the audit log: a user's e-mail (or
// "cli:<name>") and the client address.
type Actor struct {
	Name   string
	Remote string
}

// ActorOf returns the actor of a signed-in principal at a client address.
func ActorOf(p *auth.Principal, remote string) Actor {
	if p == nil {
		return Actor{Name: "anonymous", Remote: remote}
	}
	return Actor{Name: p.User.Email, Remote: remote}
}

// entry starts an audit entry by a at the service's clock.
func (s *Service) entry(a Actor, action, target string, before, after any) tandem.AuditEntry {
	return tandem.AuditEntry{At: s.now().UTC(), Actor: a.Name, Action: action, Target: target,
		Before: tandem.AuditJSON(before), After: tandem.AuditJSON(after), Remote: a.Remote}
}

// ---- Lists ----

// ListResult is one page of an entity's records.
type ListResult struct {
	Entity *tandem.Entity
	Query  tandem.Query
	Page   tandem.Page
}

// List returns a page of an entity's records from query parameters: limit,
// offset, sort (a column, "-column" for descending) and equality filters on
// columns or attr.<name>. Unknown parameters are EINVALID and name the valid
// ones. ignore lists parameters the caller handles itself (such as a page's
// "view").
func (s *Service) List(ctx context.Context, entity string, params url.Values, ignore ...string) (*ListResult, error) {
	return nil, errTODO
}

// ---- Reports ----

// Report runs a report with the query parameters the CLI takes as flags.
func (s *Service) Report(ctx context.Context, name string, params url.Values) (*tandem.Report, error) {
	return nil, errTODO
}

// Reports lists the reports.
func (s *Service) Reports() []tandem.ReportInfo { return s.reporter.Reports() }

// ---- Overview ----

// Figure is one headline number of the overview.
type Figure struct {
	Name     string          `json:"name"`
	Report   string          `json:"report"`
	Unit     string          `json:"unit"`
	Estimate tandem.Estimate `json:"estimate"`
	// Text is the figure as the CLI prints it, with n and interval, or
	// "insufficient data".
	Text       string `json:"text"`
	Definition string `json:"definition"`
}

// Overview is the home page: headline figures with their n and interval,
// the win-rate trend by quarter, and row counts.
type Overview struct {
	Figures []Figure       `json:"figures"`
	Trend   *tandem.Report `json:"trend,omitempty"`
	Counts  map[string]int `json:"counts"`
}

// Overview computes the overview; can filters out what the viewer's role
// may not read (nil allows everything).
func (s *Service) Overview(ctx context.Context, can func(auth.Perm) bool) (*Overview, error) {
	return nil, errTODO
}

// ---- Deals, accounts, features ----

// Ref names a referenced record.
type Ref struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// StageEntry is one step of a deal's stage timeline.
type StageEntry struct {
	Stage     string    `json:"stage"`
	EnteredAt time.Time `json:"entered_at"`
	// Days in the stage until the next entry, the close date or now.
	Days   float64  `json:"days"`
	Amount *float64 `json:"amount,omitempty"`
}

// LineItem is a product line of a deal.
type LineItem struct {
	Product   Ref      `json:"product"`
	Quantity  *float64 `json:"quantity,omitempty"`
	UnitPrice *float64 `json:"unit_price,omitempty"`
	Amount    *float64 `json:"amount,omitempty"`
}

// DealDetail is a deal with what the deal page shows around it.
type DealDetail struct {
	Entity      *tandem.Entity `json:"-"`
	Deal        tandem.Record  `json:"-"`
	Account     *Ref           `json:"account,omitempty"`
	Rep         *Ref           `json:"rep,omitempty"`
	Stages      []StageEntry   `json:"stages"`
	LineItems   []LineItem     `json:"line_items"`
	Products    []Ref          `json:"products"`
	Features    []Ref          `json:"features"`
	LossReasons []string       `json:"loss_reasons"`
	Competitors []string       `json:"competitors"`
}

// Deal returns a deal's detail, or ENOTFOUND.
func (s *Service) Deal(ctx context.Context, id string) (*DealDetail, error) {
	return nil, errTODO
}

// AccountDetail is an account with its deals and, for roles that may read
// customer data, its subscriptions and adopted features.
type AccountDetail struct {
	Account       tandem.Record   `json:"-"`
	Deals         []tandem.Record `json:"-"`
	Subscriptions []tandem.Record `json:"-"`
	Adoptions     []Ref           `json:"adoptions"`
	// Won, Lost and Open count the account's deals by outcome.
	Won, Lost, Open int
	WonAmount       float64
}

// Account returns an account's detail, or ENOTFOUND; customers says whether
// to include subscriptions and adoptions.
func (s *Service) Account(ctx context.Context, id string, customers bool) (*AccountDetail, error) {
	return nil, errTODO
}

// FeatureDetail is a feature with its halo: the halo report restricted to
// this feature, with the same parameters the CLI takes.
type FeatureDetail struct {
	Feature tandem.Record  `json:"-"`
	Product *Ref           `json:"product,omitempty"`
	Halo    *tandem.Report `json:"halo"`
}

// Feature returns a feature's detail with its halo computed from params
// (the report parameters; "features" is set to this feature), or ENOTFOUND.
func (s *Service) Feature(ctx context.Context, id string, params url.Values) (*FeatureDetail, error) {
	return nil, errTODO
}

// ---- Glossary ----

// Term is a shared definition.
type Term struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Definition string `json:"definition"`
	Formula    string `json:"formula"`
	Owner      string `json:"owner"`
}

// Glossary lists every term by name.
func (s *Service) Glossary(ctx context.Context) ([]Term, error) { return nil, errTODO }

// Terms returns the glossary terms whose names match any of names
// (tandem.NormalizeName), keyed by the name asked for: what pages show
// beside a metric.
func (s *Service) Terms(ctx context.Context, names ...string) (map[string]Term, error) {
	return nil, errTODO
}

// PutTerm creates a term (t.ID empty: derived from the name) or replaces
// the term with t.ID, recording before and after in the audit log. Name is
// required; an ID that does not exist is ENOTFOUND.
func (s *Service) PutTerm(ctx context.Context, a Actor, t Term) (Term, error) { return Term{}, errTODO }

// ---- Users ----

// NewUser is what creating a user takes.
type NewUser struct {
	Email    string      `json:"email"`
	Name     string      `json:"name"`
	Role     tandem.Role `json:"role"`
	Password string      `json:"password"`
}

// CreateUser validates and stores a new user with an argon2id hash of the
// password. With first, it succeeds only on a store with no users (the
// first-run set-up), atomically.
func (s *Service) CreateUser(ctx context.Context, a Actor, nu NewUser, first bool) (tandem.User, error) {
	return tandem.User{}, errTODO
}

// UserChange lists the fields to change; nil fields stay.
type UserChange struct {
	Name     *string      `json:"name,omitempty"`
	Role     *tandem.Role `json:"role,omitempty"`
	Disabled *bool        `json:"disabled,omitempty"`
	Password *string      `json:"password,omitempty"`
}

// UpdateUser applies a change. Demoting or disabling the last enabled admin
// is ECONFLICT, so the store cannot lock itself out. Disabling a user or
// changing their password or role ends their sessions.
func (s *Service) UpdateUser(ctx context.Context, a Actor, id string, ch UserChange) (tandem.User, error) {
	return tandem.User{}, errTODO
}

// Users lists the users.
func (s *Service) Users(ctx context.Context) ([]tandem.User, error) { return s.store.Users(ctx) }

// NeedsSetup reports whether the store has no users yet.
func (s *Service) NeedsSetup(ctx context.Context) (bool, error) {
	n, err := s.store.UserCount(ctx)
	return n == 0, err
}

// ---- API tokens ----

// CreateToken makes an API token for user, named name, valid for ttl (0:
// no expiry). The secret is returned once and never stored.
func (s *Service) CreateToken(ctx context.Context, a Actor, user tandem.User, name string, ttl time.Duration) (tandem.APIToken, string, error) {
	return tandem.APIToken{}, "", errTODO
}

// Tokens lists a user's tokens, or everyone's when userID is "".
func (s *Service) Tokens(ctx context.Context, userID string) ([]tandem.APIToken, error) {
	return s.store.Tokens(ctx, userID)
}

// RevokeToken revokes a token. Only its owner or a user who may manage users
// may; anyone else gets ENOTFOUND, so token ids are not probeable.
func (s *Service) RevokeToken(ctx context.Context, a Actor, p *auth.Principal, id string) error {
	return errTODO
}

// ---- Audit ----

// Audit returns audit entries, newest first, and the total.
func (s *Service) Audit(ctx context.Context, q tandem.AuditQuery) ([]tandem.AuditEntry, int, error) {
	return s.store.Audit(ctx, q)
}

// ---- Imports ----

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

// Stage saves an uploaded CSV file (at most limit bytes) for owner and
// returns what it found in its first rows.
func (s *Service) Stage(ctx context.Context, owner, name string, body io.Reader, limit int64) (*Upload, error) {
	return nil, errTODO
}

// Staged returns owner's staged upload, or ENOTFOUND (also for another
// user's upload).
func (s *Service) Staged(ctx context.Context, owner, id string) (*Upload, error) {
	return nil, errTODO
}

// Preview runs the import as a dry run: the detected format, the column
// map, and every row error, with nothing written.
func (s *Service) Preview(ctx context.Context, owner, id string, req ImportRequest) (*importer.Summary, error) {
	return nil, errTODO
}

// Import imports a staged upload (all or nothing), records it in the audit
// log in the same transaction, and removes the staged file on success.
func (s *Service) Import(ctx context.Context, a Actor, owner, id string, req ImportRequest) (*importer.Summary, error) {
	return nil, errTODO
}
