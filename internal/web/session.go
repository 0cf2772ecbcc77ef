package web

import (
	"bytes"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/service"
)

// handleStatic serves an embedded asset by its exact file name; any other
// name (including anything with a slash or dots that climb) is a 404. A
// request carrying the asset's current fingerprint (?v=…, as the pages link
// it) may be cached for a year.
func (s *Site) handleStatic(w http.ResponseWriter, r *http.Request) error {
	f, ok := s.static[r.PathValue("file")]
	if !ok {
		return tandem.Errorf(tandem.ENOTFOUND, "no such file")
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("ETag", `"`+f.version+`"`)
	if r.URL.Query().Get("v") == f.version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "public, max-age=300")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(f.body))
	return nil
}

// staticURL is the fingerprinted URL of an asset, for templates.
func (s *Site) staticURL(name string) string {
	f, ok := s.static[name]
	if !ok {
		return "/static/" + url.PathEscape(name)
	}
	return "/static/" + url.PathEscape(name) + "?v=" + f.version
}

// safeNext returns next when it is a path on this site, else "/". It
// refuses anything a browser could read as another host: "//…", any
// backslash (browsers treat "\" as "/"), control characters, and paths
// that http.Redirect's cleaning would turn into "//…" ("/./\host",
// "/.//host").
func safeNext(next string) string {
	if next == "" || next[0] != '/' || strings.ContainsAny(next, "\\\r\n\t\x00") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	// Links this site makes never hold empty, "." or ".." segments or a
	// (decoded) backslash, so any of them is refused outright.
	p := u.Path
	if strings.ContainsAny(p, "\\\x00") || strings.Contains(p, "//") || strings.Contains(p+"/", "/./") || strings.Contains(p+"/", "/../") || path.Clean(p) != strings.TrimSuffix(p, "/") && p != "/" {
		return "/"
	}
	return next
}

// signInData is what the sign-in page shows.
type signInData struct {
	Email string
	Next  string
}

// handleSignInForm shows the sign-in form; a signed-in visitor goes on to
// next.
func (s *Site) handleSignInForm(w http.ResponseWriter, r *http.Request) error {
	next := safeNext(r.URL.Query().Get("next"))
	if p := auth.FromContext(r.Context()); p != nil && p.Session != nil {
		return redirect(w, r, next)
	}
	v := s.newView(r, "Sign in", "")
	v.Data = signInData{Next: next}
	return s.render(w, http.StatusOK, "signin", v)
}

// handleSignIn checks the credentials: success goes on to next (303), a
// wrong e-mail or password re-renders the form with 401, too many failures
// with 429.
func (s *Site) handleSignIn(w http.ResponseWriter, r *http.Request) error {
	email := strings.TrimSpace(r.PostFormValue("email"))
	next := safeNext(r.PostFormValue("next"))
	_, err := s.sessions.SignIn(r.Context(), w, r, email, r.PostFormValue("password"))
	if err != nil {
		switch tandem.ErrorCode(err) {
		case tandem.EUNAUTHORIZED, tandem.ERATELIMITED, tandem.EINVALID:
			v := s.newView(r, "Sign in", "")
			v.Problem = tandem.ErrorMessage(err)
			v.Data = signInData{Email: email, Next: next}
			return s.render(w, tandem.HTTPStatus(err), "signin", v)
		}
		return err
	}
	return redirect(w, r, next)
}

// handleSignOut ends the session and goes to the sign-in page.
func (s *Site) handleSignOut(w http.ResponseWriter, r *http.Request) error {
	if err := s.sessions.SignOut(r.Context(), w, r); err != nil {
		return err
	}
	return redirect(w, r, "/signin")
}

// setupData is what the first-run page shows.
type setupData struct {
	Email, Name string
}

// handleSetupForm shows the first-run form while the store has no users;
// afterwards it sends visitors to the sign-in page.
func (s *Site) handleSetupForm(w http.ResponseWriter, r *http.Request) error {
	need, err := s.svc.NeedsSetup(r.Context())
	if err != nil {
		return err
	}
	if !need {
		return redirect(w, r, "/signin")
	}
	v := s.newView(r, "Set up Tandem", "")
	v.Data = setupData{}
	return s.render(w, http.StatusOK, "setup", v)
}

// handleSetup creates the first admin and signs them in.
func (s *Site) handleSetup(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	need, err := s.svc.NeedsSetup(ctx)
	if err != nil {
		return err
	}
	if !need {
		return redirect(w, r, "/signin")
	}
	d := setupData{Email: strings.TrimSpace(r.PostFormValue("email")), Name: strings.TrimSpace(r.PostFormValue("name"))}
	pw, pw2 := r.PostFormValue("password"), r.PostFormValue("password2")
	fail := func(status int, msg string) error {
		v := s.newView(r, "Set up Tandem", "")
		v.Problem = msg
		v.Data = d
		return s.render(w, status, "setup", v)
	}
	if pw != pw2 {
		return fail(http.StatusBadRequest, "the two passwords differ; type the same password twice")
	}
	u, err := s.svc.CreateUser(ctx, service.Actor{Name: d.Email, Remote: auth.ClientAddr(r)},
		service.NewUser{Email: d.Email, Name: d.Name, Role: tandem.RoleAdmin, Password: pw}, true)
	switch tandem.ErrorCode(err) {
	case "":
	case tandem.EINVALID:
		return fail(http.StatusBadRequest, tandem.ErrorMessage(err))
	case tandem.ECONFLICT:
		// Someone finished the set-up first.
		return redirect(w, r, "/signin")
	default:
		return err
	}
	if _, err := s.sessions.StartSession(ctx, w, u); err != nil {
		return err
	}
	return redirect(w, r, "/")
}
