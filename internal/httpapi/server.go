// Package httpapi serves Tandem's read-only JSON API and a small HTML index
// page over net/http: entity listings with equality filters and pagination,
// single records by id, the entity catalog with row counts, and a health
// check. Handlers return errors; one function turns them into JSON error
// responses whose status comes from tandem.HTTPStatus.
package httpapi

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/tandemhq/tandem"
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

// Page sizes of list requests.
const (
	defaultLimit = 100
	maxLimit     = 10000
)

//go:embed templates/*.html
var templateFS embed.FS

// Server answers Tandem's HTTP API from a store. Create it with New; it is
// safe for concurrent use.
type Server struct {
	store    tandem.Store
	cat      *tandem.Catalog
	reporter tandem.Reporter
	logger   *slog.Logger
	version  string

	index          *template.Template
	handler        http.Handler
	requestTimeout time.Duration
}

// New returns a server that reads from store the entities of cat, answers
// report requests through reporter, logs to logger (nil discards logs) and
// reports version on its index page.
func New(store tandem.Store, cat *tandem.Catalog, reporter tandem.Reporter, logger *slog.Logger, version string) *Server {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		store:          store,
		cat:            cat,
		reporter:       reporter,
		logger:         logger,
		version:        version,
		index:          template.Must(template.ParseFS(templateFS, "templates/index.html")),
		requestTimeout: requestTimeout,
	}
	s.handler = s.routes()
	return s
}

// routes builds the handler: the route table wrapped in the middleware.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", s.handle(s.handleIndex))
	mux.Handle("GET /healthz", s.handle(s.handleHealth))
	mux.Handle("GET /api/v1/entities", s.handle(s.handleEntities))
	mux.Handle("GET /api/v1/reports", s.handle(s.handleReports))
	mux.Handle("GET /api/v1/reports/{name}", s.handle(s.handleReport))
	mux.Handle("GET /api/v1/{entity}", s.handle(s.handleList))
	mux.Handle("GET /api/v1/{entity}/{id}", s.handle(s.handleGet))
	mux.Handle("GET /api/", s.handle(s.handleNoRoute))
	return s.instrument(mux)
}

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
	go func() { errc <- srv.Serve(ln) }()

	url := listenURL(ln.Addr())
	s.logger.Info("listening", "url", url, "version", s.version, "dialect", s.store.Dialect())
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
func listenURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String() + "/"
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}
