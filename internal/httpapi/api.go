package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/service"
)

// apiRoutes is the JSON API's route table. Order does not matter: ServeMux
// picks the most specific pattern.
func (s *Server) apiRoutes() []Route {
	const (
		get, post, put, patch, del = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete
	)
	return []Route{
		{Method: get, Path: "/healthz", Perm: auth.PermPublic, Summary: "Health check: 200 when the store answers", Handler: s.handleHealth},
		{Method: get, Path: "/api/v1/openapi.json", Perm: auth.PermSignedIn, Summary: "This API's OpenAPI 3 document", Handler: s.handleOpenAPI},
		{Method: post, Path: "/api/v1/session", Perm: auth.PermPublic, Summary: "Sign in: sets the session cookie and returns the CSRF token", Handler: s.handleSignIn},
		{Method: del, Path: "/api/v1/session", Perm: auth.PermSignedIn, Summary: "Sign out", Handler: s.handleSignOut},
		{Method: get, Path: "/api/v1/me", Perm: auth.PermSignedIn, Summary: "The signed-in user and their permissions", Handler: s.handleMe},
		{Method: get, Path: "/api/v1/overview", Perm: auth.PermSignedIn, Summary: "Headline figures, win-rate trend and counts", Handler: s.handleOverview},
		{Method: get, Path: "/api/v1/entities", Perm: auth.PermSignedIn, Summary: "The entity catalog with row counts", Handler: s.handleEntities},
		{Method: get, Path: "/api/v1/reports", Perm: auth.PermReportsRead, Summary: "The reports and their parameters", Handler: s.handleReports},
		{Method: get, Path: "/api/v1/reports/{name}", Perm: auth.PermReportsRead, Summary: "Run a report", Handler: s.handleReport},
		{Method: get, Path: "/api/v1/deals/{id}/detail", Perm: auth.PermPipelineRead, Summary: "A deal with its stage timeline, line items, products, features, loss reasons and competitors", Handler: s.handleDealDetail},
		{Method: get, Path: "/api/v1/accounts/{id}/detail", Perm: auth.PermPipelineRead, Summary: "An account with its deals and, for roles reading customer data, subscriptions and adoptions", Handler: s.handleAccountDetail},
		{Method: get, Path: "/api/v1/features/{id}/halo", Perm: auth.PermReportsRead, Summary: "A feature's halo: the halo report for this feature", Handler: s.handleFeatureHalo},
		{Method: post, Path: "/api/v1/glossary", Perm: auth.PermGlossaryWrite, Summary: "Create a glossary term", Handler: s.handleTermCreate},
		{Method: put, Path: "/api/v1/glossary/{id}", Perm: auth.PermGlossaryWrite, Summary: "Replace a glossary term", Handler: s.handleTermPut},
		{Method: get, Path: "/api/v1/users", Perm: auth.PermUsersAdmin, Summary: "List users", Handler: s.handleUsers},
		{Method: post, Path: "/api/v1/users", Perm: auth.PermUsersAdmin, Summary: "Create a user", Handler: s.handleUserCreate},
		{Method: patch, Path: "/api/v1/users/{id}", Perm: auth.PermUsersAdmin, Summary: "Change a user's name, role, password or disabled flag", Handler: s.handleUserPatch},
		{Method: get, Path: "/api/v1/tokens", Perm: auth.PermTokensOwn, Summary: "List API tokens (one's own; admins see all)", Handler: s.handleTokens},
		{Method: post, Path: "/api/v1/tokens", Perm: auth.PermTokensOwn, Summary: "Create an API token; the secret is in this response only", Handler: s.handleTokenCreate},
		{Method: del, Path: "/api/v1/tokens/{id}", Perm: auth.PermTokensOwn, Summary: "Revoke an API token", Handler: s.handleTokenRevoke},
		{Method: get, Path: "/api/v1/audit", Perm: auth.PermAuditRead, Summary: "Read the audit log, newest first", Handler: s.handleAudit},
		{Method: post, Path: "/api/v1/uploads", Perm: auth.PermImport, Upload: true, Summary: "Stage a CSV file for import", Handler: s.handleUpload},
		{Method: get, Path: "/api/v1/uploads/{id}", Perm: auth.PermImport, Summary: "A staged upload: header, sample rows, suggested entity", Handler: s.handleStaged},
		{Method: post, Path: "/api/v1/uploads/{id}/preview", Perm: auth.PermImport, Summary: "Dry-run the import of a staged upload", Handler: s.handlePreview},
		{Method: post, Path: "/api/v1/uploads/{id}/import", Perm: auth.PermImport, Summary: "Import a staged upload, all or nothing", Handler: s.handleImport},
		{Method: get, Path: "/api/v1/{entity}", Perm: auth.PermPipelineRead, Summary: "List an entity's records", Handler: s.handleList},
		{Method: get, Path: "/api/v1/{entity}/{id}", Perm: auth.PermPipelineRead, Summary: "One record", Handler: s.handleGet},
	}
}

// decodeJSON reads a JSON request body into v, rejecting other content
// types, unknown fields and trailing data.
func decodeJSON(r *http.Request, v any) error {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/json" {
		return tandem.Errorf(tandem.EINVALID, "send a JSON body with Content-Type: application/json")
	}
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return BodyError(err)
		}
		return tandem.Errorf(tandem.EINVALID, "malformed JSON body: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return tandem.Errorf(tandem.EINVALID, "malformed JSON body: data after the JSON value")
	}
	return nil
}

// Actor is who a request acts for, for the audit log: the signed-in user
// and the client's address. Pages use it too.
func Actor(r *http.Request) service.Actor {
	return service.ActorOf(auth.FromContext(r.Context()), auth.ClientAddr(r))
}

// principal is the request's signed-in principal (routes other than public
// ones always have one).
func principal(r *http.Request) *auth.Principal { return auth.FromContext(r.Context()) }

// query parses the request's query string.
func query(r *http.Request) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, tandem.Errorf(tandem.EINVALID, "malformed query string: %v", err)
	}
	return q, nil
}

// signInRequest is the body of POST /api/v1/session.
type signInRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// meResponse is the body of GET /api/v1/me and of a sign-in.
type meResponse struct {
	User        tandem.User `json:"user"`
	Permissions []auth.Perm `json:"permissions"`
	// CSRF is the token to send as X-CSRF-Token with state-changing
	// requests made with the session cookie.
	CSRF string `json:"csrf,omitempty"`
}

func me(p *auth.Principal) meResponse {
	m := meResponse{User: p.User, Permissions: []auth.Perm{}, CSRF: p.CSRF()}
	for _, pi := range auth.Policy() {
		if p.Can(pi.Perm) {
			m.Permissions = append(m.Permissions, pi.Perm)
		}
	}
	return m
}

func (s *Server) handleSignIn(w http.ResponseWriter, r *http.Request) error {
	var req signInRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	p, err := s.sessions.SignInSession(r.Context(), w, r, req.Email, req.Password)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, me(p))
}

func (s *Server) handleSignOut(w http.ResponseWriter, r *http.Request) error {
	if err := s.sessions.SignOut(r.Context(), w, r); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) error {
	return s.respondJSON(w, http.StatusOK, me(principal(r)))
}

func (s *Server) handleOverview(w http.ResponseWriter, r *http.Request) error {
	ov, err := s.svc.Overview(r.Context(), principal(r).Can)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, ov)
}

// reportsResponse lists the reports and the parameters they accept.
type reportsResponse struct {
	Reports    []tandem.ReportInfo `json:"reports"`
	Parameters []string            `json:"parameters"`
}

// handleReports answers GET /api/v1/reports with the reports the role may
// run.
func (s *Server) handleReports(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	out := reportsResponse{Reports: []tandem.ReportInfo{}, Parameters: analytics.ParamNames}
	for _, ri := range s.svc.Reports() {
		if p.Can(auth.ReportPerm(ri.Name)) {
			out.Reports = append(out.Reports, ri)
		}
	}
	return s.respondJSON(w, http.StatusOK, out)
}

// handleReport answers GET /api/v1/reports/{name}: the report with the query
// parameters the CLI takes as flags (by, where, from, to, as-of, min-n, ...),
// parsed by the same function, so both give the same numbers.
func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	if err := Require(r, auth.ReportPerm(name)); err != nil {
		return err
	}
	q, err := query(r)
	if err != nil {
		return err
	}
	rep, err := s.svc.ReportAs(r.Context(), principal(r).Can, name, q)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, rep)
}

// dealDetail is the body of GET /api/v1/deals/{id}/detail.
type dealDetail struct {
	Deal RecordObject `json:"deal"`
	*service.DealDetail
}

func (s *Server) handleDealDetail(w http.ResponseWriter, r *http.Request) error {
	d, err := s.svc.Deal(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, dealDetail{Deal: RecordJSON(d.Entity, d.Deal), DealDetail: d})
}

// accountDetail is the body of GET /api/v1/accounts/{id}/detail.
type accountDetail struct {
	Account RecordObject   `json:"account"`
	Deals   []RecordObject `json:"deals"`
	// Subscriptions is absent for roles that may not read customer data,
	// and a list (maybe empty) for those that may.
	Subscriptions *[]RecordObject `json:"subscriptions,omitempty"`
	*service.AccountDetail
}

func (s *Server) handleAccountDetail(w http.ResponseWriter, r *http.Request) error {
	customers := principal(r).Can(auth.PermCustomersRead)
	a, err := s.svc.Account(r.Context(), r.PathValue("id"), customers)
	if err != nil {
		return err
	}
	cat := s.svc.Catalog()
	de, _ := cat.Entity("deals")
	se, _ := cat.Entity("subscriptions")
	out := accountDetail{Account: RecordJSON(a.Entity, a.Account), Deals: make([]RecordObject, len(a.Deals)), AccountDetail: a}
	for i, d := range a.Deals {
		out.Deals[i] = RecordJSON(de, d)
	}
	if customers {
		subs := make([]RecordObject, len(a.Subscriptions))
		for i, x := range a.Subscriptions {
			subs[i] = RecordJSON(se, x)
		}
		out.Subscriptions = &subs
	}
	return s.respondJSON(w, http.StatusOK, out)
}

// featureHalo is the body of GET /api/v1/features/{id}/halo.
type featureHalo struct {
	Feature RecordObject `json:"feature"`
	*service.FeatureDetail
}

func (s *Server) handleFeatureHalo(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r)
	if err != nil {
		return err
	}
	f, err := s.svc.Feature(r.Context(), principal(r).Can, r.PathValue("id"), q)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, featureHalo{Feature: RecordJSON(f.Entity, f.Feature), FeatureDetail: f})
}

// termBody is the body of glossary writes.
type termBody struct {
	Name       string `json:"name"`
	Definition string `json:"definition"`
	Formula    string `json:"formula"`
	Owner      string `json:"owner"`
}

func (s *Server) handleTermCreate(w http.ResponseWriter, r *http.Request) error {
	var b termBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	t, err := s.svc.PutTerm(r.Context(), Actor(r), service.Term{Name: b.Name, Definition: b.Definition, Formula: b.Formula, Owner: b.Owner})
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusCreated, t)
}

func (s *Server) handleTermPut(w http.ResponseWriter, r *http.Request) error {
	var b termBody
	if err := decodeJSON(r, &b); err != nil {
		return err
	}
	t, err := s.svc.PutTerm(r.Context(), Actor(r), service.Term{ID: r.PathValue("id"), Name: b.Name, Definition: b.Definition, Formula: b.Formula, Owner: b.Owner})
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, t)
}

// usersResponse is the body of GET /api/v1/users.
type usersResponse struct {
	Users []tandem.User `json:"users"`
}

func (s *Server) handleUsers(w http.ResponseWriter, r *http.Request) error {
	us, err := s.svc.Users(r.Context())
	if err != nil {
		return err
	}
	if us == nil {
		us = []tandem.User{}
	}
	return s.respondJSON(w, http.StatusOK, usersResponse{us})
}

func (s *Server) handleUserCreate(w http.ResponseWriter, r *http.Request) error {
	var nu service.NewUser
	if err := decodeJSON(r, &nu); err != nil {
		return err
	}
	u, err := s.svc.CreateUser(r.Context(), Actor(r), nu, false)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusCreated, u)
}

func (s *Server) handleUserPatch(w http.ResponseWriter, r *http.Request) error {
	var ch service.UserChange
	if err := decodeJSON(r, &ch); err != nil {
		return err
	}
	u, err := s.svc.UpdateUser(r.Context(), Actor(r), r.PathValue("id"), ch)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, u)
}

// tokensResponse is the body of GET /api/v1/tokens.
type tokensResponse struct {
	Tokens []tandem.APIToken `json:"tokens"`
}

func (s *Server) handleTokens(w http.ResponseWriter, r *http.Request) error {
	p := principal(r)
	owner := p.User.ID
	if p.Can(auth.PermUsersAdmin) {
		owner = ""
	}
	ts, err := s.svc.Tokens(r.Context(), owner)
	if err != nil {
		return err
	}
	if ts == nil {
		ts = []tandem.APIToken{}
	}
	return s.respondJSON(w, http.StatusOK, tokensResponse{ts})
}

// tokenRequest is the body of POST /api/v1/tokens.
type tokenRequest struct {
	Name string `json:"name"`
	// ExpiresInDays is the token's lifetime; 0 or absent: no expiry.
	ExpiresInDays int `json:"expires_in_days"`
}

// tokenCreated is the answer to POST /api/v1/tokens: the only time the
// secret is shown.
type tokenCreated struct {
	Token  tandem.APIToken `json:"token"`
	Secret string          `json:"secret"`
}

func (s *Server) handleTokenCreate(w http.ResponseWriter, r *http.Request) error {
	var req tokenRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.ExpiresInDays < 0 || req.ExpiresInDays > 5*365 {
		return tandem.Errorf(tandem.EINVALID, "expires_in_days must be from 0 (no expiry) to %d", 5*365)
	}
	t, secret, err := s.svc.CreateToken(r.Context(), Actor(r), principal(r).User, req.Name, time.Duration(req.ExpiresInDays)*24*time.Hour)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusCreated, tokenCreated{Token: t, Secret: secret})
}

func (s *Server) handleTokenRevoke(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.RevokeToken(r.Context(), Actor(r), principal(r), r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// auditResponse is the body of GET /api/v1/audit.
type auditResponse struct {
	Total   int                 `json:"total"`
	Limit   int                 `json:"limit"`
	Offset  int                 `json:"offset"`
	Entries []tandem.AuditEntry `json:"entries"`
}

// ParseAuditQuery reads audit filters from query parameters: actor, action
// (a prefix), target, from and to (dates or RFC 3339 times), limit and
// offset. Pages and the API share it.
func ParseAuditQuery(q url.Values) (tandem.AuditQuery, error) {
	aq := tandem.AuditQuery{Actor: q.Get("actor"), Action: q.Get("action"), Target: q.Get("target"), Limit: 100}
	for k := range q {
		switch k {
		case "actor", "action", "target", "from", "to", "limit", "offset":
		default:
			return aq, tandem.Errorf(tandem.EINVALID, "unknown audit parameter %q (use actor, action, target, from, to, limit, offset)", k)
		}
	}
	for _, d := range []struct {
		name string
		dst  *time.Time
		end  bool
	}{{"from", &aq.From, false}, {"to", &aq.To, true}} {
		v := q.Get(d.name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			day, err2 := time.Parse(time.DateOnly, v)
			if err2 != nil {
				return aq, tandem.Errorf(tandem.EINVALID, "%s %q: want a date (YYYY-MM-DD) or an RFC 3339 time", d.name, v)
			}
			t = day
			if d.end {
				t = day.Add(24*time.Hour - time.Nanosecond)
			}
		}
		*d.dst = t
	}
	for _, n := range []struct {
		name     string
		dst      *int
		min, max int
	}{{"limit", &aq.Limit, 1, 10000}, {"offset", &aq.Offset, 0, 1 << 30}} {
		if v := q.Get(n.name); v != "" {
			x, err := strconv.Atoi(v)
			if err != nil || x < n.min || x > n.max {
				return aq, tandem.Errorf(tandem.EINVALID, "%s must be a whole number from %d to %d, not %q", n.name, n.min, n.max, v)
			}
			*n.dst = x
		}
	}
	return aq, nil
}

func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r)
	if err != nil {
		return err
	}
	aq, err := ParseAuditQuery(q)
	if err != nil {
		return err
	}
	entries, total, err := s.svc.Audit(r.Context(), aq)
	if err != nil {
		return err
	}
	if entries == nil {
		entries = []tandem.AuditEntry{}
	}
	return s.respondJSON(w, http.StatusOK, auditResponse{Total: total, Limit: aq.Limit, Offset: aq.Offset, Entries: entries})
}

// handleUpload answers POST /api/v1/uploads: the body is the CSV file itself
// (Content-Type text/csv, the file name in ?name=) or a multipart form with
// a "file" part.
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) error {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	name := r.URL.Query().Get("name")
	var body io.Reader = r.Body
	switch ct {
	case "multipart/form-data":
		f, fh, err := r.FormFile("file")
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return BodyError(err)
			}
			return tandem.Errorf(tandem.EINVALID, "the form has no file part named \"file\"")
		}
		defer f.Close()
		body, name = f, fh.Filename
	case "text/csv", "application/csv", "text/plain", "application/octet-stream":
	default:
		return tandem.Errorf(tandem.EINVALID, "send the CSV file as the body (Content-Type: text/csv) or as a multipart form field \"file\", not %q", ct)
	}
	u, err := s.svc.Stage(r.Context(), principal(r).User.ID, name, body, s.uploadLimit)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusCreated, u)
}

func (s *Server) handleStaged(w http.ResponseWriter, r *http.Request) error {
	u, err := s.svc.Staged(r.Context(), principal(r).User.ID, r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, u)
}

func (s *Server) handlePreview(w http.ResponseWriter, r *http.Request) error {
	var req service.ImportRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	sum, err := s.svc.Preview(r.Context(), principal(r).User.ID, r.PathValue("id"), req)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, sum)
}

// handleImport answers POST /api/v1/uploads/{id}/import. A file with bad
// rows is a 400 whose body is the error ({code "invalid", message}) with
// the import summary, listing every row error, under "summary".
func (s *Server) handleImport(w http.ResponseWriter, r *http.Request) error {
	var req service.ImportRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	sum, err := s.svc.Import(r.Context(), Actor(r), principal(r).User.ID, r.PathValue("id"), req)
	if err != nil && sum != nil && tandem.ErrorCode(err) == tandem.EINVALID {
		body := struct {
			errorBody
			Summary any `json:"summary"`
		}{errorBody{Code: tandem.EINVALID, Message: tandem.ErrorMessage(err)}, sum}
		return s.respondJSON(w, http.StatusBadRequest, body)
	}
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, sum)
}

// handleOpenAPI serves the embedded OpenAPI document, merged from its
// files when the server was built.
func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) error {
	if s.openAPIErr != nil {
		return fmt.Errorf("openapi document: %w", s.openAPIErr)
	}
	s.write(w, http.StatusOK, "application/json", s.openAPI)
	return nil
}
