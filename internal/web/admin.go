package web

import (
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/httpapi"
	"github.com/tandemhq/tandem/internal/service"
)

// flashes are the confirmations a redirect may ask a page to show
// (?done=key). Only these fixed sentences are shown, so a link cannot put
// arbitrary text on a page.
var flashes = map[string]string{
	"term-saved":    "The term is saved.",
	"user-created":  "The user is created. Tell them their e-mail and password; they can sign in now.",
	"user-role":     "The role is changed; the user's sessions have ended.",
	"user-disabled": "The user is disabled and signed out everywhere.",
	"user-enabled":  "The user is enabled again.",
	"user-password": "The password is reset; the user's sessions have ended.",
	"token-revoked": "The token is revoked. Scripts using it now get 401.",
}

// flash returns the confirmation named by the request's ?done= parameter.
func flash(r *http.Request) string { return flashes[r.URL.Query().Get("done")] }

// userProblem reports whether err is one a form re-renders with (bad input
// or a conflict with stored state), rather than an error page.
func userProblem(err error) bool {
	switch tandem.ErrorCode(err) {
	case tandem.EINVALID, tandem.ECONFLICT:
		return true
	}
	return false
}

// ---- Glossary ----

// glossaryPage is the data of the glossary page.
type glossaryPage struct {
	Terms    []service.Term
	CanWrite bool
	// New holds the create form's values; EditID and Edit the values of
	// an edit that failed, shown again.
	New    service.Term
	EditID string
	Edit   service.Term
}

// handleGlossary lists every term, with edit and create forms for roles that
// may write.
func (s *Site) handleGlossary(w http.ResponseWriter, r *http.Request) error {
	return s.glossary(w, r, http.StatusOK, "", glossaryPage{})
}

// glossary renders the glossary page with status and an optional problem.
func (s *Site) glossary(w http.ResponseWriter, r *http.Request, status int, problem string, d glossaryPage) error {
	p, err := require(r, auth.PermPipelineRead)
	if err != nil {
		return err
	}
	terms, err := s.svc.Glossary(r.Context())
	if err != nil {
		return err
	}
	d.Terms, d.CanWrite = terms, p.Can(auth.PermGlossaryWrite)
	v := s.newView(r, "Glossary", "glossary")
	v.Flash, v.Problem, v.Data = flash(r), problem, d
	return s.render(w, status, "glossary", v)
}

// termForm reads a term from a posted form.
func termForm(r *http.Request) service.Term {
	return service.Term{
		Name:       strings.TrimSpace(r.PostFormValue("name")),
		Definition: strings.TrimSpace(r.PostFormValue("definition")),
		Formula:    strings.TrimSpace(r.PostFormValue("formula")),
		Owner:      strings.TrimSpace(r.PostFormValue("owner")),
	}
}

// handleTermCreate creates a term.
func (s *Site) handleTermCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermGlossaryWrite); err != nil {
		return err
	}
	t := termForm(r)
	saved, err := s.svc.PutTerm(r.Context(), httpapi.Actor(r), t)
	if userProblem(err) {
		return s.glossary(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), glossaryPage{New: t})
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/glossary?done=term-saved#"+anchorID("term-", saved.ID))
}

// handleTermUpdate replaces a term.
func (s *Site) handleTermUpdate(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermGlossaryWrite); err != nil {
		return err
	}
	t := termForm(r)
	t.ID = r.PathValue("id")
	saved, err := s.svc.PutTerm(r.Context(), httpapi.Actor(r), t)
	if userProblem(err) {
		return s.glossary(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), glossaryPage{EditID: t.ID, Edit: t})
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/glossary?done=term-saved#"+anchorID("term-", saved.ID))
}

// ---- Users ----

// usersPage is the data of the users page.
type usersPage struct {
	Users []tandem.User
	Roles []tandem.Role
	Self  string
	New   service.NewUser
	Perms []auth.PermInfo
}

// handleUsers lists users with forms to create and change them.
func (s *Site) handleUsers(w http.ResponseWriter, r *http.Request) error {
	return s.users(w, r, http.StatusOK, "", service.NewUser{Role: tandem.RoleSales})
}

// users renders the users page.
func (s *Site) users(w http.ResponseWriter, r *http.Request, status int, problem string, nu service.NewUser) error {
	p, err := require(r, auth.PermUsersAdmin)
	if err != nil {
		return err
	}
	us, err := s.svc.Users(r.Context())
	if err != nil {
		return err
	}
	nu.Password = ""
	v := s.newView(r, "Users", "users")
	v.Flash, v.Problem = flash(r), problem
	v.Data = usersPage{Users: us, Roles: tandem.Roles(), Self: p.User.ID, New: nu, Perms: auth.Policy()}
	return s.render(w, status, "users", v)
}

// handleUserCreate creates a user.
func (s *Site) handleUserCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermUsersAdmin); err != nil {
		return err
	}
	nu := service.NewUser{Email: strings.TrimSpace(r.PostFormValue("email")), Name: strings.TrimSpace(r.PostFormValue("name")),
		Password: r.PostFormValue("password")}
	role, err := tandem.ParseRole(r.PostFormValue("role"))
	if err != nil {
		return s.users(w, r, http.StatusBadRequest, tandem.ErrorMessage(err), nu)
	}
	nu.Role = role
	_, err = s.svc.CreateUser(r.Context(), httpapi.Actor(r), nu, false)
	if userProblem(err) {
		return s.users(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), nu)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/users?done=user-created")
}

// handleUserUpdate changes a user's role, status or password, as the
// form's action field says.
func (s *Site) handleUserUpdate(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermUsersAdmin); err != nil {
		return err
	}
	var ch service.UserChange
	var done string
	switch r.PostFormValue("action") {
	case "role":
		role, err := tandem.ParseRole(r.PostFormValue("role"))
		if err != nil {
			return s.users(w, r, http.StatusBadRequest, tandem.ErrorMessage(err), service.NewUser{Role: tandem.RoleSales})
		}
		ch.Role, done = &role, "user-role"
	case "disable":
		t := true
		ch.Disabled, done = &t, "user-disabled"
	case "enable":
		f := false
		ch.Disabled, done = &f, "user-enabled"
	case "password":
		pw := r.PostFormValue("password")
		ch.Password, done = &pw, "user-password"
	default:
		return tandem.Errorf(tandem.EINVALID, "unknown action %q (use role, disable, enable or password)", r.PostFormValue("action"))
	}
	_, err := s.svc.UpdateUser(r.Context(), httpapi.Actor(r), r.PathValue("id"), ch)
	if userProblem(err) {
		return s.users(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), service.NewUser{Role: tandem.RoleSales})
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/users?done="+done)
}

// ---- API tokens ----

// tokenRow is a token in the list.
type tokenRow struct {
	T      tandem.APIToken
	Owner  string
	Status string
}

// tokensPage is the data of the API tokens page.
type tokensPage struct {
	Tokens []tokenRow
	All    bool
	// Secret is set once, right after creation, with the token it belongs to.
	Secret  string
	Created tandem.APIToken
	Name    string
	Days    string
}

// handleTokens lists the viewer's tokens (everyone's for admins).
func (s *Site) handleTokens(w http.ResponseWriter, r *http.Request) error {
	return s.tokens(w, r, http.StatusOK, "", tokensPage{Days: "90"})
}

// tokens renders the tokens page.
func (s *Site) tokens(w http.ResponseWriter, r *http.Request, status int, problem string, d tokensPage) error {
	p, err := require(r, auth.PermTokensOwn)
	if err != nil {
		return err
	}
	ctx := r.Context()
	owner := p.User.ID
	d.All = p.Can(auth.PermUsersAdmin)
	if d.All {
		owner = ""
	}
	ts, err := s.svc.Tokens(ctx, owner)
	if err != nil {
		return err
	}
	emails := map[string]string{p.User.ID: p.User.Email}
	if d.All {
		us, err := s.svc.Users(ctx)
		if err != nil {
			return err
		}
		for _, u := range us {
			emails[u.ID] = u.Email
		}
	}
	now := s.sessions.Now()
	for _, t := range ts {
		row := tokenRow{T: t, Owner: emails[t.UserID], Status: "active"}
		switch {
		case !t.RevokedAt.IsZero():
			row.Status = "revoked"
		case !t.ExpiresAt.IsZero() && !t.ExpiresAt.After(now):
			row.Status = "expired"
		}
		if row.Owner == "" {
			row.Owner = t.UserID
		}
		d.Tokens = append(d.Tokens, row)
	}
	v := s.newView(r, "API tokens", "tokens")
	v.Flash, v.Problem, v.Data = flash(r), problem, d
	return s.render(w, status, "tokens", v)
}

// handleTokenCreate creates a token and shows its secret once.
func (s *Site) handleTokenCreate(w http.ResponseWriter, r *http.Request) error {
	p, err := require(r, auth.PermTokensOwn)
	if err != nil {
		return err
	}
	d := tokensPage{Name: strings.TrimSpace(r.PostFormValue("name")), Days: strings.TrimSpace(r.PostFormValue("days"))}
	days := 0
	if d.Days != "" {
		days, err = strconv.Atoi(d.Days)
		if err != nil || days < 0 || days > 100000 {
			return s.tokens(w, r, http.StatusBadRequest, "expiry must be a whole number of days, or 0 for never", d)
		}
	}
	t, secret, err := s.svc.CreateToken(r.Context(), httpapi.Actor(r), p.User, d.Name, time.Duration(days)*24*time.Hour)
	if userProblem(err) {
		return s.tokens(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), d)
	}
	if err != nil {
		return err
	}
	return s.tokens(w, r, http.StatusCreated, "", tokensPage{Secret: secret, Created: t, Days: "90"})
}

// handleTokenRevoke revokes a token.
func (s *Site) handleTokenRevoke(w http.ResponseWriter, r *http.Request) error {
	p, err := require(r, auth.PermTokensOwn)
	if err != nil {
		return err
	}
	if err := s.svc.RevokeToken(r.Context(), httpapi.Actor(r), p, r.PathValue("id")); err != nil {
		return err
	}
	return redirect(w, r, "/tokens?done=token-revoked")
}

// ---- Audit ----

// diffRow is one key of an audit entry's before/after comparison.
type diffRow = tandem.AuditChange

// auditRow is one audit entry with its diff.
type auditRow struct {
	E         tandem.AuditEntry
	Changed   []diffRow
	Unchanged []diffRow
}

// auditPage is the data of the audit log page.
type auditPage struct {
	Actor, Action, Target, From, To string
	Rows                            []auditRow
	Pager                           pager
	Filtered                        bool
}

// auditPageSize is the number of entries per page of the audit log.
const auditPageSize = 50

// maxAuditPage is the most entries one page of the audit log shows.
const maxAuditPage = 1000

// handleAudit shows the audit log with filters and pages.
func (s *Site) handleAudit(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermAuditRead); err != nil {
		return err
	}
	in := r.URL.Query()
	d := auditPage{Actor: strings.TrimSpace(in.Get("actor")), Action: strings.TrimSpace(in.Get("action")),
		Target: strings.TrimSpace(in.Get("target")), From: strings.TrimSpace(in.Get("from")), To: strings.TrimSpace(in.Get("to"))}
	keep := url.Values{}
	for k, v := range map[string]string{"actor": d.Actor, "action": d.Action, "target": d.Target, "from": d.From, "to": d.To} {
		if v != "" {
			keep.Set(k, v)
			d.Filtered = true
		}
	}
	// The API's parser, on the trimmed filters, so the page and
	// GET /api/v1/audit read the same parameters the same way.
	params := url.Values{}
	maps.Copy(params, keep)
	for _, k := range []string{"limit", "offset"} {
		if v := in.Get(k); v != "" {
			params.Set(k, v)
		}
	}
	if v := in.Get("limit"); v != "" {
		keep.Set("limit", v)
	}
	q, err := httpapi.ParseAuditQuery(params)
	if err != nil {
		return err
	}
	switch {
	case in.Get("limit") == "":
		q.Limit = auditPageSize
	case q.Limit > maxAuditPage:
		return tandem.Errorf(tandem.EINVALID, "limit %d: want a whole number from 1 to %d", q.Limit, maxAuditPage)
	}
	entries, total, err := s.svc.Audit(r.Context(), q)
	if err != nil {
		return err
	}
	for _, e := range entries {
		row := auditRow{E: e}
		for _, dr := range auditDiff(e.Before, e.After) {
			if dr.Changed {
				row.Changed = append(row.Changed, dr)
			} else {
				row.Unchanged = append(row.Unchanged, dr)
			}
		}
		d.Rows = append(d.Rows, row)
	}
	d.Pager = pager{Total: total, Limit: q.Limit}
	if len(entries) > 0 {
		d.Pager.From, d.Pager.To = q.Offset+1, q.Offset+len(entries)
	}
	if q.Offset > 0 {
		d.Pager.Prev = link("/audit", keep, "offset", strconv.Itoa(max(q.Offset-q.Limit, 0)))
	}
	if q.Offset+q.Limit < total {
		d.Pager.Next = link("/audit", keep, "offset", strconv.Itoa(q.Offset+q.Limit))
	}
	v := s.newView(r, "Audit log", "audit")
	v.Data = d
	return s.render(w, http.StatusOK, "audit", v)
}

// auditDiff compares an entry's before and after states (see
// tandem.AuditDiff).
func auditDiff(before, after json.RawMessage) []diffRow { return tandem.AuditDiff(before, after) }
