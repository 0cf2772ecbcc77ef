package auth

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// CookieName is the session cookie. The __Host- prefix (only when Secure)
// would pin it to the host, but browsers refuse it over plain HTTP, which
// is how most self-hosted installs start; so the name is plain.
const CookieName = "tandem_session"

// Sign-in limits: 10 failures per e-mail and 30 per client address in 15
// minutes, then ERATELIMITED until the oldest failure ages out.
const (
	failuresPerEmail = 10
	failuresPerAddr  = 30
	failureWindow    = 15 * time.Minute
	sessionTTL       = 12 * time.Hour
)

// Principal is who a request acts for: a user, through a session (browser)
// or an API token (scripts).
type Principal struct {
	User    tandem.User
	Session *tandem.Session
	Token   *tandem.APIToken
}

// Can reports whether the principal's role holds perm.
func (p *Principal) Can(perm Perm) bool { return p != nil && Can(p.User.Role, perm) }

// CSRF is the token state-changing forms of this session must carry ("" for
// token requests, which carry no ambient credentials and need none).
func (p *Principal) CSRF() string {
	if p == nil || p.Session == nil {
		return ""
	}
	return p.Session.CSRF
}

// CheckCSRF reports whether token is this session's CSRF token.
func (p *Principal) CheckCSRF(token string) bool {
	want := p.CSRF()
	return want != "" && subtle.ConstantTimeCompare([]byte(token), []byte(want)) == 1
}

// principalKey is the context key of the request's principal.
type principalKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FromContext returns the request's principal, or nil when nobody signed in.
func FromContext(ctx context.Context) *Principal {
	p, _ := ctx.Value(principalKey{}).(*Principal)
	return p
}

// Manager signs users in and out and authenticates requests by session
// cookie or bearer token.
type Manager struct {
	store  tandem.AccountStore
	now    func() time.Time
	secure bool
	byMail *Limiter
	byAddr *Limiter
}

// NewManager returns a manager over store. secure marks cookies Secure (set
// it when serving TLS or behind a TLS proxy); now is the clock (nil:
// time.Now).
func NewManager(store tandem.AccountStore, secure bool, now func() time.Time) *Manager {
	if now == nil {
		now = time.Now
	}
	return &Manager{
		store: store, now: now, secure: secure,
		byMail: NewLimiter(failuresPerEmail, failureWindow, now),
		byAddr: NewLimiter(failuresPerAddr, failureWindow, now),
	}
}

// Now returns the manager's clock reading.
func (m *Manager) Now() time.Time { return m.now() }

// ClientAddr is the host part of the request's remote address: the key of
// per-client limits and the audit log's "remote". Proxy headers are not
// trusted, since anyone can send them.
func ClientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// SignIn checks e-mail and password and, when they match an enabled user,
// replaces any session the request had with a new one (rotation, against
// session fixation) and sets its cookie. Failures are recorded in the audit
// log and count towards the rate limits; the error says only "wrong e-mail or
// password", whichever was wrong.
func (m *Manager) SignIn(ctx context.Context, w http.ResponseWriter, r *http.Request, email, password string) (tandem.User, error) {
	p, err := m.SignInSession(ctx, w, r, email, password)
	if err != nil {
		return tandem.User{}, err
	}
	return p.User, nil
}

// SignInSession is SignIn returning the new session's principal, whose CSRF
// token API clients need.
func (m *Manager) SignInSession(ctx context.Context, w http.ResponseWriter, r *http.Request, email, password string) (*Principal, error) {
	fail := func(err error) (*Principal, error) { return nil, err }
	email = strings.ToLower(strings.TrimSpace(email))
	addr := ClientAddr(r)
	if ok, wait := m.byAddr.Allow(addr); !ok {
		return fail(tandem.Errorf(tandem.ERATELIMITED, "too many failed sign-ins from this address; try again in %s", wait.Round(time.Second)))
	}
	if ok, wait := m.byMail.Allow(email); !ok {
		return fail(tandem.Errorf(tandem.ERATELIMITED, "too many failed sign-ins for this account; try again in %s", wait.Round(time.Second)))
	}
	u, err := m.store.UserByEmail(ctx, email)
	switch {
	case err == nil:
	case tandem.ErrorCode(err) == tandem.ENOTFOUND:
		u = tandem.User{PasswordHash: dummyHash}
	default:
		return fail(fmt.Errorf("sign in: %w", err))
	}
	if !VerifyPassword(u.PasswordHash, password) || u.ID == "" || u.Disabled {
		m.byAddr.Fail(addr)
		m.byMail.Fail(email)
		reason := "wrong password"
		switch {
		case u.ID == "":
			reason = "unknown e-mail"
		case u.Disabled:
			reason = "account disabled"
		}
		audit := tandem.AuditEntry{At: m.now(), Actor: email, Action: "signin.fail", Target: "user:" + email,
			Before: tandem.AuditJSON(nil), After: tandem.AuditJSON(map[string]string{"reason": reason}), Remote: addr}
		if err := m.store.AppendAudit(ctx, audit); err != nil {
			return fail(fmt.Errorf("sign in: record failure: %w", err))
		}
		return fail(tandem.Errorf(tandem.EUNAUTHORIZED, "wrong e-mail or password"))
	}
	m.byMail.Reset(email)
	if c, err := r.Cookie(CookieName); err == nil && c.Value != "" {
		if err := m.store.DeleteSession(ctx, Digest(c.Value)); err != nil {
			return fail(fmt.Errorf("sign in: drop old session: %w", err))
		}
	}
	sess, err := m.StartSession(ctx, w, u)
	if err != nil {
		return fail(err)
	}
	now := m.now()
	if err := m.store.TouchSignIn(ctx, u.ID, now); err != nil {
		return fail(fmt.Errorf("sign in: %w", err))
	}
	audit := tandem.AuditEntry{At: now, Actor: u.Email, Action: "signin", Target: "user:" + u.Email,
		Before: tandem.AuditJSON(nil), After: tandem.AuditJSON(nil), Remote: addr}
	if err := m.store.AppendAudit(ctx, audit); err != nil {
		return fail(fmt.Errorf("sign in: %w", err))
	}
	u.LastSignIn = now
	return &Principal{User: u, Session: sess}, nil
}

// StartSession creates a new session for u, sets its cookie and returns
// the session.
func (m *Manager) StartSession(ctx context.Context, w http.ResponseWriter, u tandem.User) (*tandem.Session, error) {
	secret := NewSecret()
	now := m.now()
	s := tandem.Session{IDHash: Digest(secret), UserID: u.ID, CSRF: NewSecret(), CreatedAt: now, ExpiresAt: now.Add(sessionTTL)}
	if err := m.store.CreateSession(ctx, s); err != nil {
		return nil, fmt.Errorf("start session: %w", err)
	}
	http.SetCookie(w, m.cookie(secret, sessionTTL))
	return &s, nil
}

// SignOut ends the request's session, if any, and clears the cookie.
func (m *Manager) SignOut(ctx context.Context, w http.ResponseWriter, r *http.Request) error {
	http.SetCookie(w, m.cookie("", -1))
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return nil
	}
	if err := m.store.DeleteSession(ctx, Digest(c.Value)); err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	return nil
}

// cookie builds the session cookie: HttpOnly (no script reads it),
// SameSite=Lax (not sent on cross-site POSTs; CSRF tokens cover the rest),
// Secure when serving TLS. maxAge < 0 deletes it.
func (m *Manager) cookie(value string, maxAge time.Duration) *http.Cookie {
	c := &http.Cookie{Name: CookieName, Value: value, Path: "/", HttpOnly: true, Secure: m.secure, SameSite: http.SameSiteLaxMode}
	if maxAge < 0 {
		c.MaxAge = -1
	} else {
		c.MaxAge = int(maxAge / time.Second)
	}
	return c
}

// Authenticate returns the principal of a request: from an
// "Authorization: Bearer tdm_..." header, else from the session cookie. It
// returns nil and no error when the request carries neither (or an expired
// session); a bearer token that is malformed, unknown, revoked or expired is
// EUNAUTHORIZED, since a script should hear that its credential is bad.
func (m *Manager) Authenticate(r *http.Request) (*Principal, error) {
	ctx := r.Context()
	now := m.now()
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, secret, _ := strings.Cut(h, " ")
		if !strings.EqualFold(scheme, "Bearer") || !IsAPIToken(strings.TrimSpace(secret)) {
			return nil, tandem.Errorf(tandem.EUNAUTHORIZED, "Authorization must be \"Bearer %s...\" with an API token", TokenPrefix)
		}
		t, u, err := m.store.TokenByHash(ctx, Digest(strings.TrimSpace(secret)), now)
		if err != nil {
			if tandem.ErrorCode(err) == tandem.ENOTFOUND {
				return nil, tandem.Errorf(tandem.EUNAUTHORIZED, "API token is unknown, revoked or expired")
			}
			return nil, fmt.Errorf("authenticate token: %w", err)
		}
		if u.Disabled {
			return nil, tandem.Errorf(tandem.EUNAUTHORIZED, "the token's user is disabled")
		}
		return &Principal{User: u, Token: &t}, nil
	}
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return nil, nil
	}
	s, u, err := m.store.Session(ctx, Digest(c.Value), now)
	if err != nil {
		if tandem.ErrorCode(err) == tandem.ENOTFOUND {
			return nil, nil
		}
		return nil, fmt.Errorf("authenticate session: %w", err)
	}
	if u.Disabled {
		return nil, nil
	}
	return &Principal{User: u, Session: &s}, nil
}
