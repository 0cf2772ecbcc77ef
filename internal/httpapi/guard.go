package httpapi

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
)

// contentSecurityPolicy allows only the server's own scripts, styles and
// images (SVG charts are inline markup, not scripts), no framing, and forms
// that post only to this origin.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

// securityHeaders sets the headers every response carries.
func (s *Server) securityHeaders(h http.Header) {
	h.Set("Content-Security-Policy", contentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
	if s.tls {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
}

// uploadReadTimeout is how long an upload's body may take to arrive.
const uploadReadTimeout = 30 * time.Minute

// isAPI reports whether a path is answered in JSON rather than HTML.
func isAPI(path string) bool {
	return strings.HasPrefix(path, "/api/") || path == "/healthz"
}

// safeMethod reports whether a method changes nothing (and so needs no
// CSRF token).
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// guard wraps a route's handler in the checks every request passes, in
// order: body limit, authentication, first-run redirect, sign-in,
// permission, CSRF.
func (s *Server) guard(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api := isAPI(r.URL.Path) || !rt.Page
		fail := func(err error) {
			if api || s.pages == nil {
				s.writeError(w, r, err)
				return
			}
			s.pages.Error(w, r, err)
		}
		limit := s.bodyLimit
		if rt.Upload {
			limit = s.uploadLimit
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if rt.Upload {
			// An upload may take longer than the server's read timeout
			// on a slow link; its size limit still bounds it.
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(uploadReadTimeout))
		}
		r = s.sessions.WithClientAddr(r)
		if r.ContentLength > limit {
			fail(tandem.Errorf(tandem.ETOOLARGE, "the request body has %d bytes; the limit is %d", r.ContentLength, limit))
			return
		}

		p, err := s.sessions.Authenticate(r)
		switch {
		case err == nil:
		case rt.Perm == auth.PermPublic && tandem.ErrorCode(err) == tandem.EINTERNAL:
			// A public route (the health check above all) must answer
			// even when the store cannot look up credentials.
			s.logger.Warn("authenticate", "path", r.URL.Path, "error", err.Error())
			p = nil
		default:
			fail(err)
			return
		}
		ctx := r.Context()
		if p != nil {
			ctx = auth.WithPrincipal(ctx, p)
			ctx = withCSRF(ctx, p.CSRF())
		} else {
			ctx = withCSRF(ctx, s.preSessionToken(w, r))
		}
		r = r.WithContext(ctx)

		if rt.Perm != auth.PermPublic {
			if !s.hasUsers.Load() {
				need, err := s.svc.NeedsSetup(ctx)
				if err != nil {
					fail(err)
					return
				}
				if need {
					if !api {
						http.Redirect(w, r, "/setup", http.StatusSeeOther)
						return
					}
					fail(tandem.Errorf(tandem.EUNAUTHORIZED, "Tandem has no users yet: create the first admin at /setup or with `tandem user add --role admin`"))
					return
				}
				s.hasUsers.Store(true)
			}
			if p == nil {
				if !api && safeMethod(r.Method) {
					http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
					return
				}
				fail(tandem.Errorf(tandem.EUNAUTHORIZED, "sign in first, or send an API token as \"Authorization: Bearer tdm_...\""))
				return
			}
			if !p.Can(rt.Perm) {
				fail(forbidden(p, rt.Perm))
				return
			}
		}
		if !safeMethod(r.Method) && !(rt.Signed && rt.Perm == auth.PermPublic) {
			if err := s.checkCSRF(r, p, api); err != nil {
				fail(err)
				return
			}
		}
		if err := rt.Handler(w, r); err != nil {
			fail(err)
		}
	})
}

// forbidden is the error of a role lacking a permission.
func forbidden(p *auth.Principal, perm auth.Perm) error {
	return tandem.Errorf(tandem.EFORBIDDEN, "your role (%s) does not have %s; ask an admin", p.User.Role, perm)
}

// Require returns EFORBIDDEN unless the request's principal holds perm: for
// handlers whose permission depends on the path (an entity, a report).
func Require(r *http.Request, perm auth.Perm) error {
	p := auth.FromContext(r.Context())
	if p == nil {
		return tandem.Errorf(tandem.EUNAUTHORIZED, "sign in first")
	}
	if !p.Can(perm) {
		return forbidden(p, perm)
	}
	return nil
}

// preSessionToken returns the double-submit CSRF token of a request without
// a session, setting its cookie when the request has none.
func (s *Server) preSessionToken(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(preCSRFCookie); err == nil && len(c.Value) >= 32 {
		return c.Value
	}
	tok := auth.NewSecret()
	http.SetCookie(w, &http.Cookie{Name: preCSRFCookie, Value: tok, Path: "/", HttpOnly: true, Secure: s.tls, SameSite: http.SameSiteStrictMode})
	return tok
}

// checkCSRF refuses a state-changing request that could have been forged
// by another site:
//   - an Origin header naming another origin is refused outright;
//   - requests with an API token carry no ambient credential and pass;
//   - API requests with a session must send the session's token in the
//     X-CSRF-Token header;
//   - forms with a session must send it in the csrf field;
//   - requests without a session (sign-in, set-up) must echo the
//     pre-session cookie in the csrf field (double submit), or, for the
//     JSON API, send a JSON body, which a cross-site form cannot.
func (s *Server) checkCSRF(r *http.Request, p *auth.Principal, api bool) error {
	bad := tandem.Errorf(tandem.EFORBIDDEN, "the request's CSRF token is missing or wrong: reload the page and try again")
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return tandem.Errorf(tandem.EFORBIDDEN, "cross-origin request from %s refused", o)
		}
	}
	if p != nil && p.Token != nil {
		return nil
	}
	if p != nil {
		tok := r.Header.Get(CSRFHeader)
		if tok == "" && !api {
			v, err := formValue(r, CSRFField)
			if err != nil {
				return err
			}
			tok = v
		}
		if !p.CheckCSRF(tok) {
			return bad
		}
		return nil
	}
	if api {
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if ct != "application/json" {
			return tandem.Errorf(tandem.EINVALID, "send a JSON body with Content-Type: application/json")
		}
		return nil
	}
	v, err := formValue(r, CSRFField)
	if err != nil {
		return err
	}
	c, err := r.Cookie(preCSRFCookie)
	if err != nil || c.Value == "" || v != c.Value {
		return bad
	}
	return nil
}

// formValue reads a field of a urlencoded or multipart form body: "" when
// the body is not a form, ETOOLARGE over the body limit, EINVALID when the
// form cannot be parsed.
func formValue(r *http.Request, name string) (string, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	var err error
	switch ct {
	case "application/x-www-form-urlencoded":
		err = r.ParseForm()
	case "multipart/form-data":
		err = r.ParseMultipartForm(maxMemoryMultipart)
	default:
		return "", nil
	}
	if err != nil {
		return "", BodyError(err)
	}
	return r.PostFormValue(name), nil
}

// BodyError turns an error reading a request body into a domain error:
// ETOOLARGE when the body passed its limit, EINVALID otherwise.
func BodyError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return tandem.Errorf(tandem.ETOOLARGE, "the request body is over its limit of %d bytes", tooBig.Limit)
	}
	return tandem.Errorf(tandem.EINVALID, "malformed request body: %v", err)
}

// maxMemoryMultipart is how much of a multipart body is kept in memory;
// the rest of a file part spills to a temporary file.
const maxMemoryMultipart = 8 << 20
