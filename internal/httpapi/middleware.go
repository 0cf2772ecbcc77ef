package httpapi

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime/debug"
	"strings"
	"time"
)

// responseRecorder remembers what a handler wrote, for the access log and
// for panic recovery.
type responseRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

// WriteHeader records the status.
func (w *responseRecorder) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

// Write records the body size (and the implicit 200).
func (w *responseRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *responseRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// instrument wraps every request: a deadline on its context, recovery from
// panics (answered with a 500 that does not reveal the panic) and one
// structured access-log line.
func (s *Server) instrument(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ctx, cancel := context.WithTimeout(r.Context(), s.requestTimeout)
		defer cancel()
		r = r.WithContext(ctx)
		rec := &responseRecorder{ResponseWriter: w}
		s.securityHeaders(rec.Header())
		// Pages and API answers hold business data: no shared or disk
		// caches. Static assets override this.
		rec.Header().Set("Cache-Control", "no-store")

		defer func() {
			v := recover()
			abort := false
			switch {
			case v == nil:
			case v == http.ErrAbortHandler:
				abort = true
			case rec.status == 0:
				s.writeError(rec, r, fmt.Errorf("panic: %v\n%s", v, debug.Stack()))
			default:
				// Too late for an error response: log, and cut the
				// connection so the client cannot mistake the partial
				// response for a complete one.
				s.logger.Error("panic after response started", "method", r.Method, "path", r.URL.Path,
					"error", fmt.Sprintf("panic: %v\n%s", v, debug.Stack()))
				abort = true
			}
			s.logAccess(rec, r, start)
			if abort {
				panic(http.ErrAbortHandler)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

// logAccess writes the access-log line of a finished request. It never logs
// headers, and query values whose names look like credentials are redacted.
func (s *Server) logAccess(rec *responseRecorder, r *http.Request, start time.Time) {
	status := rec.status
	if status == 0 {
		status = http.StatusOK // nothing written: net/http sends an empty 200
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
	}
	if q := redactQuery(r.URL.RawQuery); q != "" {
		attrs = append(attrs, slog.String("query", q))
	}
	attrs = append(attrs,
		slog.Int("status", status),
		slog.Int64("bytes", rec.bytes),
		slog.Duration("duration", time.Since(start)),
		slog.String("remote", r.RemoteAddr),
	)
	s.logger.LogAttrs(r.Context(), slog.LevelInfo, "http request", attrs...)
}

// redactQuery re-encodes a raw query with the values of credential-like
// parameters replaced. An unparsable query is dropped whole, since it cannot
// be redacted reliably.
func redactQuery(raw string) string {
	if raw == "" {
		return ""
	}
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return "(unparsable)"
	}
	for name, vs := range vals {
		if sensitiveParam(name) {
			for i := range vs {
				vs[i] = "REDACTED"
			}
		}
	}
	return vals.Encode()
}

// sensitiveParam reports whether a query parameter's name looks like it holds
// a credential.
func sensitiveParam(name string) bool {
	name = strings.ToLower(name)
	for _, frag := range [...]string{"token", "password", "passwd", "secret", "apikey", "api_key", "auth", "credential", "signature", "session"} {
		if strings.Contains(name, frag) {
			return true
		}
	}
	return false
}
