// Package web is Tandem's server-rendered web UI: the overview, deals,
// accounts, the feature catalog and feature halo pages, every report with
// its chart, the glossary, CSV import with preview, users, API tokens and
// the audit log. Pages are html/template files and static assets embedded
// in the binary; every figure is printed with analytics.FormatEstimate, so
// a page says exactly what the CLI says. Pages carry no inline script or
// style (the server's CSP forbids them) and work without JavaScript.
//
// The site plugs into internal/httpapi as its Pages: httpapi wraps every
// route with authentication, the route's permission, CSRF checks and body
// limits; handlers here check the finer permissions that depend on the path
// and render errors through Site.Error.
package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"slices"
	"strings"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/desk"
	"github.com/tandemhq/tandem/internal/httpapi"
	"github.com/tandemhq/tandem/internal/service"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/*
var staticFS embed.FS

// layoutFiles are parsed into every page; the other templates are pages.
var layoutFiles = []string{"layout.html", "parts.html"}

// Site is the web UI. Create it with New; it is safe for concurrent use.
type Site struct {
	svc      *service.Service
	sessions *auth.Manager
	version  string
	logger   *slog.Logger

	pages  map[string]*template.Template // by page file name without .html
	static map[string]staticFile         // by file name
	// uploadLimit is the largest CSV the import page stages; it matches
	// the server's upload body limit.
	uploadLimit int64
}

// WithUploadLimit sets the largest file the import page stages (the
// server's --upload-limit) and returns the site.
func (s *Site) WithUploadLimit(n int64) *Site {
	s.uploadLimit = n
	return s
}

// staticFile is an embedded asset with its cache-busting version.
type staticFile struct {
	body    []byte
	version string
	ctype   string
}

// New returns the site over svc, signing users in and out with sessions.
// version is shown in the footer; logger (nil discards) receives internal
// errors. It parses every template and reads every static asset once, and
// panics if one is broken, since that is a bug in the binary.
func New(svc *service.Service, sessions *auth.Manager, version string, logger *slog.Logger) *Site {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Site{svc: svc, sessions: sessions, version: version, logger: logger,
		pages: map[string]*template.Template{}, static: map[string]staticFile{}, uploadLimit: maxUploadBytes}
	if err := s.loadStatic(); err != nil {
		panic(err)
	}
	if err := s.parseTemplates(); err != nil {
		panic(err)
	}
	return s
}

// loadStatic reads the embedded assets and fingerprints them.
func (s *Site) loadStatic() error {
	entries, err := fs.ReadDir(staticFS, "static")
	if err != nil {
		return fmt.Errorf("web: read static: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := fs.ReadFile(staticFS, "static/"+e.Name())
		if err != nil {
			return fmt.Errorf("web: read static %s: %w", e.Name(), err)
		}
		sum := sha256.Sum256(b)
		s.static[e.Name()] = staticFile{body: b, version: hex.EncodeToString(sum[:6]), ctype: contentType(e.Name())}
	}
	return nil
}

// contentType is the Content-Type of a static file by its extension.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".css":
		return "text/css; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".svg":
		return "image/svg+xml"
	case ".png":
		return "image/png"
	case ".ico":
		return "image/x-icon"
	case ".woff2":
		return "font/woff2"
	}
	return "application/octet-stream"
}

// parseTemplates parses the layout once and every page on a clone of it.
func (s *Site) parseTemplates() error {
	base := template.New("base").Funcs(s.funcs())
	for _, f := range layoutFiles {
		b, err := fs.ReadFile(templateFS, "templates/"+f)
		if err != nil {
			return fmt.Errorf("web: read template %s: %w", f, err)
		}
		if _, err := base.New(f).Parse(string(b)); err != nil {
			return fmt.Errorf("web: parse template %s: %w", f, err)
		}
	}
	entries, err := fs.ReadDir(templateFS, "templates")
	if err != nil {
		return fmt.Errorf("web: read templates: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		if isLayout(name) || !strings.HasSuffix(name, ".html") {
			continue
		}
		b, err := fs.ReadFile(templateFS, "templates/"+name)
		if err != nil {
			return fmt.Errorf("web: read template %s: %w", name, err)
		}
		t, err := base.Clone()
		if err != nil {
			return fmt.Errorf("web: clone layout for %s: %w", name, err)
		}
		if _, err := t.New(name).Parse(string(b)); err != nil {
			return fmt.Errorf("web: parse template %s: %w", name, err)
		}
		if t.Lookup("content") == nil {
			return fmt.Errorf("web: template %s defines no \"content\"", name)
		}
		s.pages[strings.TrimSuffix(name, ".html")] = t
	}
	return nil
}

func isLayout(name string) bool {
	for _, f := range layoutFiles {
		if f == name {
			return true
		}
	}
	return false
}

// Routes returns every page of the site with the permission it needs.
func (s *Site) Routes() []httpapi.Route {
	page := func(method, path string, perm auth.Perm, summary string, h httpapi.HandlerFunc) httpapi.Route {
		return httpapi.Route{Method: method, Path: path, Perm: perm, Page: true, Summary: summary, Handler: h}
	}
	upload := page("POST", "/import", auth.PermImport, "upload a CSV file to stage it for import", s.handleImportUpload)
	upload.Upload = true
	return slices.Concat([]httpapi.Route{
		page("GET", "/static/{file}", auth.PermPublic, "embedded CSS, JavaScript and icons", s.handleStatic),
		page("GET", "/signin", auth.PermPublic, "sign-in form", s.handleSignInForm),
		page("POST", "/signin", auth.PermPublic, "sign in", s.handleSignIn),
		page("POST", "/signout", auth.PermSignedIn, "sign out", s.handleSignOut),
		page("GET", "/setup", auth.PermPublic, "first-run set-up form", s.handleSetupForm),
		page("POST", "/setup", auth.PermPublic, "create the first admin", s.handleSetup),
		page("GET", "/{$}", auth.PermSignedIn, "overview: key figures, win-rate trend, row counts", s.handleOverview),
		page("GET", "/deals", auth.PermPipelineRead, "deals: filter, sort, page", s.handleDeals),
		page("GET", "/deals/{id}", auth.PermPipelineRead, "one deal: stage timeline, products, features", s.handleDeal),
		page("GET", "/accounts", auth.PermPipelineRead, "accounts: filter, sort, page", s.handleAccounts),
		page("GET", "/accounts/{id}", auth.PermPipelineRead, "one account: deals, subscriptions, adoptions", s.handleAccount),
		page("GET", "/features", auth.PermPipelineRead, "the feature catalog", s.handleFeatures),
		page("GET", "/features/{id}", auth.PermReportsRead, "one feature's halo", s.handleFeature),
		page("GET", "/reports", auth.PermReportsRead, "the reports the role may run", s.handleReports),
		page("GET", "/reports/{name}", auth.PermReportsRead, "one report with its parameters, chart and table", s.handleReport),
		page("GET", "/glossary", auth.PermPipelineRead, "the shared definitions", s.handleGlossary),
		page("POST", "/glossary", auth.PermGlossaryWrite, "create a glossary term", s.handleTermCreate),
		page("POST", "/glossary/{id}", auth.PermGlossaryWrite, "edit a glossary term", s.handleTermUpdate),
		page("GET", "/import", auth.PermImport, "upload form", s.handleImportForm),
		upload,
		page("GET", "/import/{id}", auth.PermImport, "preview a staged upload", s.handleImportPreview),
		page("POST", "/import/{id}", auth.PermImport, "import a staged upload", s.handleImportConfirm),
		page("GET", "/users", auth.PermUsersAdmin, "users and roles", s.handleUsers),
		page("POST", "/users", auth.PermUsersAdmin, "create a user", s.handleUserCreate),
		page("POST", "/users/{id}", auth.PermUsersAdmin, "change a user's role, status or password", s.handleUserUpdate),
		page("GET", "/tokens", auth.PermTokensOwn, "API tokens", s.handleTokens),
		page("POST", "/tokens", auth.PermTokensOwn, "create an API token", s.handleTokenCreate),
		page("POST", "/tokens/{id}/revoke", auth.PermTokensOwn, "revoke an API token", s.handleTokenRevoke),
		page("GET", "/audit", auth.PermAuditRead, "the audit log", s.handleAudit),
		page("GET", "/desk", auth.PermDeskRead, "deal desk: check a deal (?deal=ID): archetype, bands, flags, approvals needed", s.handleDeskCheck),
		page("GET", "/desk/flags", auth.PermDeskRead, "the guardrail flags and their definitions", s.handleFlagDocs),
		page("GET", "/desk/quotes/new", auth.PermDeskQuote, "quote editor prefilled with a draft for a deal (?deal=ID)", s.handleQuoteNew),
		page("POST", "/desk/quotes", auth.PermDeskQuote, "save a quote: a new one, or a new version of one", s.handleQuoteSave),
		page("GET", "/desk/quotes/{id}", auth.PermDeskRead, "a quote version (?version=N) with its changes, check and approvals", s.handleQuote),
		page("GET", "/desk/quotes/{id}/edit", auth.PermDeskQuote, "quote editor prefilled with the quote's latest version", s.handleQuoteEdit),
		page("POST", "/desk/quotes/{id}/acks", auth.PermDeskQuote, "acknowledge a flag on a quote's latest version", s.handleAck),
		page("GET", "/desk/approvals", auth.PermDeskRead, "approvals inbox (?all=1: every pending step, desk:admin)", s.handleInbox),
		page("POST", "/desk/approvals/{id}/approve", auth.PermDeskRead, "approve a pending step (its approver or their delegate)", s.handleDecide(desk.Approve)),
		page("POST", "/desk/approvals/{id}/reject", auth.PermDeskRead, "reject a pending step, with a reason", s.handleDecide(desk.Reject)),
		page("POST", "/desk/approvals/{id}/delegate", auth.PermDeskRead, "hand a pending step to another user", s.handleDelegate),
		page("POST", "/desk/away", auth.PermDeskRead, "set or clear who approves for you while away", s.handleAway),
		page("GET", "/desk/archetypes", auth.PermDeskRead, "the deal archetype catalog", s.handleArchetypes),
		page("POST", "/desk/archetypes/derive", auth.PermDeskAdmin, "propose archetypes from closed deals (nothing is stored)", s.handleDerive),
		page("POST", "/desk/archetypes/accept", auth.PermDeskAdmin, "accept derived proposals", s.handleAcceptArchetypes),
		page("GET", "/desk/archetypes/{id}", auth.PermDeskRead, "one archetype (?version=N): figures, bands, history, editor", s.handleArchetype),
		page("POST", "/desk/archetypes/{id}", auth.PermDeskAdmin, "save an archetype's name, status or guardrails as a new version", s.handleArchetypeSave),
		page("GET", "/desk/reviews", auth.PermDeskRead, "deal reviews: the next meeting's agenda, outcomes of reviewed deals, triggers", s.handleReviews),
		page("POST", "/desk/reviews/triggers", auth.PermDeskAdmin, "change the review triggers", s.handleTriggersSave),
		page("POST", "/desk/reviews/scan", auth.PermDeskAdmin, "open reviews for deals the triggers fire on", s.handleReviewScan),
		page("GET", "/desk/reviews/{deal}", auth.PermDeskRead, "one deal's review record", s.handleReview),
		page("POST", "/desk/reviews/{deal}", auth.PermDeskRead, "record product's response, the decision and actions", s.handleReviewSave),
		page("GET", "/desk/rules", auth.PermDeskRead, "the approval rule set in force (?version=N) and its history", s.handleRules),
		page("POST", "/desk/rules", auth.PermDeskAdmin, "apply a rule file as the new version; refused whole with every problem", s.handleRulesApply),
	}, s.feedbackPages(page), s.themePages(page), s.winlossPages(page), s.intelPages(page), s.specialPages(page))
}

// pageFunc makes a page route; Routes hands it to each module's page list.
type pageFunc func(method, path string, perm auth.Perm, summary string, h httpapi.HandlerFunc) httpapi.Route

// errorData is what the error page shows.
type errorData struct {
	Status  int
	Heading string
	Message string
}

// Error renders err as an HTML page with the status tandem.HTTPStatus(err).
// Internal errors are logged and shown as a generic sentence; a forbidden
// page names the viewer's role.
func (s *Site) Error(w http.ResponseWriter, r *http.Request, err error) {
	status := tandem.HTTPStatus(err)
	d := errorData{Status: status, Message: tandem.ErrorMessage(err)}
	switch status {
	case http.StatusNotFound:
		d.Heading = "Page not found"
	case http.StatusForbidden:
		d.Heading = "Not allowed"
		role := "none"
		if p := auth.FromContext(r.Context()); p != nil {
			role = string(p.User.Role)
		}
		d.Message = fmt.Sprintf("your role (%s) cannot open this page; ask an admin", role)
	case http.StatusBadRequest:
		d.Heading = "Something in the request is not right"
	case http.StatusUnauthorized:
		d.Heading = "Please sign in"
	case http.StatusConflict:
		d.Heading = "That conflicts with what is stored"
	case http.StatusRequestEntityTooLarge:
		d.Heading = "Too large"
	case http.StatusTooManyRequests:
		d.Heading = "Too many attempts"
	default:
		d.Heading = "Something went wrong"
		d.Message = "An internal error stopped this page. It has been logged; try again, or tell your admin if it keeps happening."
		if r.Context().Err() != nil {
			// The client went away or the request timed out.
			s.logger.Warn("page ended early", "method", r.Method, "path", r.URL.Path, "error", err.Error())
		} else {
			s.logger.Error("page failed", "method", r.Method, "path", r.URL.Path, "error", err.Error())
		}
	}
	var buf bytes.Buffer
	v := s.newView(r, d.Heading, "")
	v.Data = d
	if xerr := s.pages["error"].ExecuteTemplate(&buf, "layout", v); xerr != nil {
		s.logger.Error("render error page", "error", xerr.Error(), "cause", err.Error())
		http.Error(w, d.Message, status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// navItem is one link of the main navigation.
type navItem struct {
	Key, Label, Href string
	Perm             auth.Perm
}

// navItems lists the main navigation in order; each is shown only to roles
// holding its Perm.
var navItems = []navItem{
	{"overview", "Overview", "/", auth.PermSignedIn},
	{"deals", "Deals", "/deals", auth.PermPipelineRead},
	{"accounts", "Accounts", "/accounts", auth.PermPipelineRead},
	{"features", "Features", "/features", auth.PermPipelineRead},
	{"reports", "Reports", "/reports", auth.PermReportsRead},
	{"desk", "Deal desk", "/desk", auth.PermDeskRead},
	{"approvals", "Approvals", "/desk/approvals", auth.PermDeskRead},
	{"reviews", "Reviews", "/desk/reviews", auth.PermDeskRead},
	{"feedback", "Feedback", "/feedback", auth.PermPipelineRead},
	{"winloss", "Win/loss", "/winloss", auth.PermPipelineRead},
	{"competitors", "Competitors", "/competitors", auth.PermPipelineRead},
	{"specials", "Specials", "/specials", auth.PermPipelineRead},
	{"glossary", "Glossary", "/glossary", auth.PermPipelineRead},
	{"import", "Import", "/import", auth.PermImport},
	{"users", "Users", "/users", auth.PermUsersAdmin},
	{"tokens", "API tokens", "/tokens", auth.PermTokensOwn},
	{"audit", "Audit log", "/audit", auth.PermAuditRead},
}

// view is what the layout renders around every page.
type view struct {
	Title     string
	Active    string
	Principal *auth.Principal
	Nav       []navItem
	CSRF      string
	Version   string
	// Flash is a confirmation and Problem an error message shown above the
	// page's content.
	Flash   string
	Problem string
	Data    any
}

// Can reports whether the viewer's role holds perm, for templates.
func (v *view) Can(perm string) bool { return v.Principal.Can(auth.Perm(perm)) }

// newView starts the view of a page titled title, with nav key active.
func (s *Site) newView(r *http.Request, title, active string) *view {
	v := &view{Title: title, Active: active, Version: s.version, CSRF: httpapi.CSRFToken(r)}
	if p := auth.FromContext(r.Context()); p != nil {
		if v.CSRF == "" {
			v.CSRF = p.CSRF()
		}
		v.Principal = p
		for _, n := range navItems {
			if p.Can(n.Perm) {
				v.Nav = append(v.Nav, n)
			}
		}
	}
	return v
}

// render executes page into a buffer and, when that succeeds, writes it
// with status; on failure it returns the error having written nothing.
func (s *Site) render(w http.ResponseWriter, status int, page string, v *view) error {
	t, ok := s.pages[page]
	if !ok {
		return fmt.Errorf("web: no template %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("web: render %s: %w", page, err)
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
	return nil
}

// principal returns the signed-in principal of a request, or EUNAUTHORIZED.
func principal(r *http.Request) (*auth.Principal, error) {
	p := auth.FromContext(r.Context())
	if p == nil {
		return nil, tandem.Errorf(tandem.EUNAUTHORIZED, "sign in to open this page")
	}
	return p, nil
}

// require returns the principal when it holds perm, else EFORBIDDEN.
func require(r *http.Request, perm auth.Perm) (*auth.Principal, error) {
	p, err := principal(r)
	if err != nil {
		return nil, err
	}
	if !p.Can(perm) {
		return nil, tandem.Errorf(tandem.EFORBIDDEN, "role %s lacks %s", p.User.Role, perm)
	}
	return p, nil
}

// redirect answers a form post with 303 See Other to target (POST-redirect-GET).
func redirect(w http.ResponseWriter, r *http.Request, target string) error {
	http.Redirect(w, r, target, http.StatusSeeOther)
	return nil
}
