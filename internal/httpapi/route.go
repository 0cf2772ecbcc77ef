package httpapi

import (
	"net/http"

	"github.com/tandemhq/tandem/internal/auth"
)

// HandlerFunc is a handler that reports failure by returning an error, which
// the server turns into the response: JSON {code, message} for API routes,
// the site's error page for pages. A handler that returns an error must not
// have written anything.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Route is one entry of the route table. Every page and API route is
// declared this way, so the middleware can enforce Perm on all of them, and
// tests can walk the table (the RBAC matrix, the OpenAPI check).
type Route struct {
	// Method and Path form the net/http ServeMux pattern ("GET",
	// "/api/v1/users/{id}").
	Method string
	Path   string
	// Perm is what the signed-in user's role must hold. PermPublic routes
	// need no sign-in; PermSignedIn any role. Handlers check finer
	// permissions themselves where they depend on the path (an entity's
	// records, a report).
	Perm auth.Perm
	// Page marks HTML pages: an anonymous request is redirected to the
	// sign-in page instead of getting a 401, and errors are rendered by
	// Pages.Error.
	Page bool
	// Upload gives the route the upload body limit instead of the default.
	Upload bool
	// Signed marks a public route whose handler authenticates each
	// request by a signature over its body (Slack's): it takes no CSRF
	// token, since no browser credential is involved.
	Signed bool
	// Summary is a one-line description (the OpenAPI summary for API
	// routes).
	Summary string
	Handler HandlerFunc
}

// Pages is the HTML site served next to the API (internal/web).
type Pages interface {
	// Routes returns the site's routes, all with Page set.
	Routes() []Route
	// Error renders err as an HTML page with the status of
	// tandem.HTTPStatus(err).
	Error(w http.ResponseWriter, r *http.Request, err error)
}
