// Package service is what Tandem's pages and JSON API do, written once: the
// overview figures, deal, account and feature views, the glossary, users,
// API tokens, the audit log and staged CSV imports. Handlers in
// internal/httpapi (JSON) and internal/web (HTML) check permissions, decode
// the request and render the result; everything between lives here, so a
// page and its API route cannot drift apart. Every write records who did it
// in the audit log, in the same transaction as the change.
package service

import (
	"sync"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/importer"
)

// Service carries the store and the engines the views are drawn from. It is
// safe for concurrent use.
type Service struct {
	store    tandem.Store
	cat      *tandem.Catalog
	reporter tandem.Reporter
	now      func() time.Time
	uploads  string
	imp      *importer.Importer
	views    viewCache
	staging  sync.Mutex // serializes staged-upload bookkeeping
	desk     deskCache
	feedback feedbackCache
	themes   themeCache
	notifier Notifier
	baseURL  string
	// onAccounts runs after a credential-affecting change (see
	// OnAccountsChange).
	onAccounts func()
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
