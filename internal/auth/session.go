package auth

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
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

// maxHashing bounds the argon2id verifications running at once: each holds
// 64 MiB, so a burst of sign-ins cannot exhaust memory.
const maxHashing = 4

// Manager signs users in and out and authenticates requests by session
// cookie or bearer token.
type Manager struct {
	store  tandem.AccountStore
	now    func() time.Time
	secure bool
	byMail *Limiter
	byAddr *Limiter
	// hashing holds a token per argon2id verification in progress.
	hashing chan struct{}
	// ipHeader names the header a trusted proxy puts the client's address
	// in ("" trusts none).
	ipHeader string
	tokens   tokenCache
}

// tokenTTL is how long a verified API token is trusted without asking the
// store again. Scripts call the API thousands of times a second (the deal
// desk's checks), and the token lookup was the largest single cost of a
// request. A revocation or a user change made through this server clears
// the cache at once (ForgetTokens); one made by another process (the CLI)
// takes effect within tokenTTL.
const tokenTTL = time.Second

// maxCachedTokens bounds the cache; when full it starts again empty.
const maxCachedTokens = 10_000

// tokenCache maps a token digest to what the store said of it.
type tokenCache struct {
	mu      sync.Mutex
	entries map[string]cachedToken
}

type cachedToken struct {
	token tandem.APIToken
	user  tandem.User
	until time.Time
}

func (c *tokenCache) get(digest string, now time.Time) (cachedToken, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[digest]
	if !ok || !now.Before(e.until) {
		return cachedToken{}, false
	}
	return e, true
}

func (c *tokenCache) put(digest string, e cachedToken) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil || len(c.entries) >= maxCachedTokens {
		c.entries = make(map[string]cachedToken)
	}
	c.entries[digest] = e
}

// ForgetTokens empties the token cache, so a revocation, a disabled user or
// a role change applies to the very next request.
func (m *Manager) ForgetTokens() {
	m.tokens.mu.Lock()
	m.tokens.entries = nil
	m.tokens.mu.Unlock()
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
		byMail:  NewLimiter(failuresPerEmail, failureWindow, now),
		byAddr:  NewLimiter(failuresPerAddr, failureWindow, now),
		hashing: make(chan struct{}, maxHashing),
	}
}

// TrustClientIPHeader makes the manager take the client's address from the
// last value of header (such as X-Forwarded-For or X-Real-IP), which a
// reverse proxy in front of Tandem sets; without it, every client behind
// the proxy would share the proxy's address and its sign-in limit. Only
// set it when a proxy always sets the header, since clients can send it
// too.
func (m *Manager) TrustClientIPHeader(header string) { m.ipHeader = header }

// Now returns the manager's clock reading.
func (m *Manager) Now() time.Time { return m.now() }

// clientAddrKey is the context key of the request's client address.
type clientAddrKey struct{}

// WithClientAddr returns r with its client address, as the manager reads
// it, in its context, for ClientAddr.
func (m *Manager) WithClientAddr(r *http.Request) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), clientAddrKey{}, m.clientAddr(r)))
}

// clientAddr reads the client's address: the trusted header's last value
// when one is set and present, else the connection's remote host.
func (m *Manager) clientAddr(r *http.Request) string {
	if m.ipHeader != "" {
		if v := r.Header.Values(m.ipHeader); len(v) > 0 {
			parts := strings.Split(v[len(v)-1], ",")
			if ip := net.ParseIP(strings.TrimSpace(parts[len(parts)-1])); ip != nil {
				return ip.String()
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// ClientAddr is the client's address: the audit log's "remote" and the key
// of per-client limits. It is the connection's remote host unless the
// manager trusts a proxy header (see TrustClientIPHeader and
// WithClientAddr).
func ClientAddr(r *http.Request) string {
	if a, ok := r.Context().Value(clientAddrKey{}).(string); ok {
		return a
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limitKey is the per-client limit's key of an address: IPv6 clients by
// their /64 network, since one host commonly holds a whole /64.
func limitKey(addr string) string {
	ip := net.ParseIP(addr)
	if ip == nil || ip.To4() != nil {
		return addr
	}
	return ip.Mask(net.CIDRMask(64, 128)).String() + "/64"
}

// auditedEmail is what the audit log records of an e-mail typed into the
// sign-in form: the address when it looks like one, else a placeholder, so
// a password typed into the wrong field does not land in the log.
func auditedEmail(email string) string {
	if len(email) > 254 || !strings.Contains(email, "@") || strings.ContainsAny(email, " \t\r\n") {
		return "(not an e-mail address)"
	}
	return email
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
	if ok, wait := m.byAddr.Reserve(limitKey(addr)); !ok {
		return fail(tandem.Errorf(tandem.ERATELIMITED, "too many failed sign-ins from this address; try again in %s", wait.Round(time.Second)))
	}
	if ok, wait := m.byMail.Reserve(email); !ok {
		m.byAddr.Release(limitKey(addr))
		return fail(tandem.Errorf(tandem.ERATELIMITED, "too many failed sign-ins for this account; try again in %s", wait.Round(time.Second)))
	}
	// From here the attempt counts as a failure for both limits until it
	// succeeds.
	u, err := m.store.UserByEmail(ctx, email)
	switch {
	case err == nil:
	case tandem.ErrorCode(err) == tandem.ENOTFOUND:
		u = tandem.User{PasswordHash: dummyHash}
	default:
		return fail(fmt.Errorf("sign in: %w", err))
	}
	select {
	case m.hashing <- struct{}{}:
	case <-ctx.Done():
		return fail(fmt.Errorf("sign in: %w", ctx.Err()))
	}
	match := VerifyPassword(u.PasswordHash, password)
	<-m.hashing
	if !match || u.ID == "" || u.Disabled {
		reason := "wrong password"
		switch {
		case u.ID == "":
			reason = "unknown e-mail"
		case u.Disabled:
			reason = "account disabled"
		}
		who := auditedEmail(email)
		audit := tandem.AuditEntry{At: m.now(), Actor: who, Action: "signin.fail", Target: "user:" + who,
			Before: tandem.AuditJSON(nil), After: tandem.AuditJSON(map[string]string{"reason": reason}), Remote: addr}
		if err := m.store.AppendAudit(ctx, audit); err != nil {
			return fail(fmt.Errorf("sign in: record failure: %w", err))
		}
		return fail(tandem.Errorf(tandem.EUNAUTHORIZED, "wrong e-mail or password"))
	}
	m.byAddr.Release(limitKey(addr))
	m.byMail.Reset(email)
	if c, err := r.Cookie(CookieName); err == nil && c.Value != "" {
		if err := m.store.DeleteSession(ctx, Digest(c.Value)); err != nil {
			return fail(fmt.Errorf("sign in: drop old session: %w", err))
		}
	}
	audit := tandem.AuditEntry{At: m.now(), Actor: u.Email, Action: "signin", Target: "user:" + u.Email,
		Before: tandem.AuditJSON(nil), After: tandem.AuditJSON(nil), Remote: addr}
	sess, err := m.startSession(ctx, w, u, &audit)
	if err != nil {
		return fail(err)
	}
	u.LastSignIn = sess.CreatedAt
	return &Principal{User: u, Session: sess}, nil
}

// StartSession creates a new session for u (the first-run set-up signs
// its new admin in this way), sets its cookie and returns the session.
func (m *Manager) StartSession(ctx context.Context, w http.ResponseWriter, u tandem.User) (*tandem.Session, error) {
	return m.startSession(ctx, w, u, nil)
}

// startSession creates a session and sets its cookie; signIn, when set, is
// the sign-in's audit entry, stored with the session in one transaction.
func (m *Manager) startSession(ctx context.Context, w http.ResponseWriter, u tandem.User, signIn *tandem.AuditEntry) (*tandem.Session, error) {
	secret := NewSecret()
	now := m.now()
	s := tandem.Session{IDHash: Digest(secret), UserID: u.ID, CSRF: NewSecret(), CreatedAt: now, ExpiresAt: now.Add(sessionTTL)}
	if err := m.store.CreateSession(ctx, s, signIn); err != nil {
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
		digest := Digest(strings.TrimSpace(secret))
		if e, ok := m.tokens.get(digest, now); ok {
			return &Principal{User: e.user, Token: &e.token}, nil
		}
		t, u, err := m.store.TokenByHash(ctx, digest, now)
		if err != nil {
			if tandem.ErrorCode(err) == tandem.ENOTFOUND {
				return nil, tandem.Errorf(tandem.EUNAUTHORIZED, "API token is unknown, revoked or expired")
			}
			return nil, fmt.Errorf("authenticate token: %w", err)
		}
		if u.Disabled {
			return nil, tandem.Errorf(tandem.EUNAUTHORIZED, "the token's user is disabled")
		}
		until := now.Add(tokenTTL)
		if !t.ExpiresAt.IsZero() && t.ExpiresAt.Before(until) {
			until = t.ExpiresAt
		}
		m.tokens.put(digest, cachedToken{token: t, user: u, until: until})
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
