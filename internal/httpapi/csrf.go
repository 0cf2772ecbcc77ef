package httpapi

import (
	"context"
	"net/http"
)

// CSRFField is the form field (and CSRFHeader the header) that carries the
// CSRF token on every state-changing request made with a session cookie.
const (
	CSRFField  = "csrf"
	CSRFHeader = "X-CSRF-Token"
	// preCSRFCookie holds the double-submit token of forms shown before
	// sign-in (sign-in and first-run set-up), which have no session yet.
	preCSRFCookie = "tandem_csrf"
)

// csrfKey is the context key of the request's CSRF token.
type csrfKey struct{}

// withCSRF returns ctx carrying the token forms in the response must carry.
func withCSRF(ctx context.Context, token string) context.Context {
	return context.WithValue(ctx, csrfKey{}, token)
}

// CSRFToken returns the token that forms rendered for this request must
// carry in the CSRFField field: the session's token when signed in, else the
// pre-session double-submit token that the middleware set as a cookie.
func CSRFToken(r *http.Request) string {
	t, _ := r.Context().Value(csrfKey{}).(string)
	return t
}
