// Package httpapi serves Tandem over HTTP: the JSON API under /api/v1, the
// HTML pages of internal/web, and /healthz, behind one middleware chain that
// every route passes: security headers, body limits, authentication by
// session cookie or bearer token, the first-run redirect, the route's
// permission and CSRF checks. Routes are declared in one table (Route), so
// tests can walk every route with every role. Handlers return errors; one
// function turns them into responses whose status comes from
// tandem.HTTPStatus.
package httpapi

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sync/atomic"
	"time"

	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/service"
)

// Limits of the HTTP server. Requests get requestTimeout to finish their work
// (the store sees it as a context deadline); Serve gives in-flight requests
// shutdownTimeout to complete once its context is cancelled.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 90 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
	requestTimeout    = 60 * time.Second
	shutdownTimeout   = 10 * time.Second
)

// Default body limits: JSON and form bodies, and CSV uploads.
const (
	DefaultBodyLimit   = 1 << 20
	DefaultUploadLimit = 256 << 20
)

// Config is what a server is built from.
type Config struct {
	Service  *service.Service
	Sessions *auth.Manager
	// Pages is the HTML site; nil serves the API alone.
	Pages   Pages
	Logger  *slog.Logger // nil discards logs
	Version string
	// TLS says clients reach the server over HTTPS (directly, with
	// CertFile and KeyFile, or through a proxy): the server then sends HSTS
	// and marks its CSRF cookie Secure. Session cookies are marked Secure
	// by the session manager, which must be told the same.
	TLS bool
	// CertFile and KeyFile, when set, make Serve speak HTTPS itself.
	CertFile, KeyFile string
	// BodyLimit and UploadLimit bound request bodies (0: the defaults).
	BodyLimit, UploadLimit int64
	// SlackSigningSecret is the Slack app's signing secret; empty leaves
	// the Slack endpoints unconfigured (they answer 404 saying so).
	SlackSigningSecret string
}

// Server answers Tandem's HTTP API and pages from a store. Create it with
// New; it is safe for concurrent use.
type Server struct {
	svc      *service.Service
	sessions *auth.Manager
	pages    Pages
	logger   *slog.Logger
	version  string
	tls      bool
	certFile string
	keyFile  string

	bodyLimit, uploadLimit int64
	routes                 []Route
	openAPI                []byte // the merged OpenAPI document
	openAPIErr             error  // why merging failed (a test keeps it nil)
	handler                http.Handler
	requestTimeout         time.Duration
	slack                  *slackIntake // Slack endpoints' secret, replay guard and clock
	// hasUsers is set once the store has a user; users are never deleted,
	// so it never goes back, and the first-run check costs nothing after.
	hasUsers atomic.Bool
}

// New returns a server for cfg.
func New(cfg Config) *Server {
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		svc:            cfg.Service,
		sessions:       cfg.Sessions,
		pages:          cfg.Pages,
		logger:         logger,
		version:        cfg.Version,
		tls:            cfg.TLS || cfg.CertFile != "",
		certFile:       cfg.CertFile,
		keyFile:        cfg.KeyFile,
		bodyLimit:      cmp.Or(cfg.BodyLimit, DefaultBodyLimit),
		uploadLimit:    cmp.Or(cfg.UploadLimit, DefaultUploadLimit),
		requestTimeout: requestTimeout,
		slack:          newSlackIntake(cfg),
	}
	s.openAPI, s.openAPIErr = openAPIDocument()
	s.routes = slices.Concat(s.apiRoutes(), s.deskRoutes(), s.feedbackRoutes(), s.themeRoutes(), s.winlossRoutes(), s.intelRoutes(), s.specialRoutes())
	if s.pages != nil {
		s.routes = append(s.routes, s.pages.Routes()...)
	}
	mux := http.NewServeMux()
	for _, rt := range s.routes {
		mux.Handle(rt.Method+" "+rt.Path, s.guard(rt))
	}
	s.handler = s.instrument(s.dispatch(mux))
	return s
}

// Routes returns every route the server answers, API and pages: what the
// permission tests and the OpenAPI check walk.
func (s *Server) Routes() []Route { return slices.Clone(s.routes) }

// Handler returns the server's HTTP handler, for Serve or for tests.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve listens on addr (such as "127.0.0.1:8080"; port 0 picks a free
// port), calls ready with the URL of the index page, such as
// "http://127.0.0.1:8080/" (ending in a slash, so paths like
// "api/v1/entities" can be appended), once it accepts connections, and
// serves until ctx is cancelled. It then stops accepting connections and
// waits up to 10 seconds for in-flight requests before closing them; a clean
// shutdown returns nil.
func (s *Server) Serve(ctx context.Context, addr string, ready func(url string)) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelWarn),
		// Requests keep ctx's values but not its cancellation, so that
		// cancelling ctx lets in-flight requests finish.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	errc := make(chan error, 1)
	go func() {
		if s.certFile != "" {
			errc <- srv.ServeTLS(ln, s.certFile, s.keyFile)
			return
		}
		errc <- srv.Serve(ln)
	}()

	url := listenURL(ln.Addr(), s.certFile != "")
	s.logger.Info("listening", "url", url, "version", s.version, "dialect", s.svc.Store().Dialect())
	if ready != nil {
		ready(url)
	}

	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", addr, err)
	case <-ctx.Done():
	}
	s.logger.Info("shutting down", "timeout", shutdownTimeout)
	shCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shCtx); err != nil {
		_ = srv.Close()
		<-errc
		return fmt.Errorf("shut down: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve %s: %w", addr, err)
	}
	return nil
}

// listenURL returns the URL of the index page for a listener's address, with
// "localhost" in place of an unspecified address such as 0.0.0.0 or [::].
func listenURL(addr net.Addr, https bool) string {
	scheme := "http://"
	if https {
		scheme = "https://"
	}
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return scheme + addr.String() + "/"
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return scheme + net.JoinHostPort(host, port) + "/"
}
