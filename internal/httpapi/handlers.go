package httpapi

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/service"
)

// pingTimeout bounds the store check of /healthz.
const pingTimeout = 2 * time.Second

// health is the body of GET /healthz.
type health struct {
	Status  string `json:"status"`
	Dialect string `json:"dialect"`
}

// handleHealth answers GET /healthz: 200 when the store answers a query,
// 503 otherwise (the cause goes to the log).
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := context.WithTimeout(r.Context(), pingTimeout)
	defer cancel()
	h := health{Status: "ok", Dialect: s.svc.Store().Dialect()}
	status := http.StatusOK
	if err := s.ping(ctx); err != nil {
		s.logger.Error("health check failed", "error", err.Error())
		h.Status, status = "unavailable", http.StatusServiceUnavailable
	}
	return s.respondJSON(w, status, h)
}

// ping checks that the store answers by counting the rows of a small entity:
// the glossary when the catalog has one, else the first entity.
func (s *Server) ping(ctx context.Context) error {
	ents := s.svc.Catalog().Entities()
	if len(ents) == 0 {
		return nil
	}
	name := ents[0].Name
	if _, err := s.svc.Catalog().Entity("glossary"); err == nil {
		name = "glossary"
	}
	_, err := s.svc.Store().Count(ctx, name)
	return err
}

// columnInfo describes a column in GET /api/v1/entities.
type columnInfo struct {
	Name     string   `json:"name"`
	Kind     string   `json:"kind"`
	Required bool     `json:"required"`
	Ref      string   `json:"ref,omitempty"`
	Enum     []string `json:"enum,omitempty"`
	Doc      string   `json:"doc"`
}

// entityInfo describes an entity in GET /api/v1/entities.
type entityInfo struct {
	Name    string       `json:"name"`
	Doc     string       `json:"doc"`
	Count   int          `json:"count"`
	URL     string       `json:"url"`
	Columns []columnInfo `json:"columns"`
}

// entityInfos describes every entity of the catalog that the principal may
// read, with its row count.
func (s *Server) entityInfos(ctx context.Context, p *auth.Principal) ([]entityInfo, error) {
	ents := s.svc.Catalog().Entities()
	out := make([]entityInfo, 0, len(ents))
	for _, e := range ents {
		if !p.Can(auth.EntityPerm(e.Name)) {
			continue
		}
		n, err := s.svc.Store().Count(ctx, e.Name)
		if err != nil {
			return nil, fmt.Errorf("count %s: %w", e.Name, err)
		}
		info := entityInfo{Name: e.Name, Doc: e.Doc, Count: n, URL: entityPath(e.Name), Columns: make([]columnInfo, len(e.Columns))}
		for i, c := range e.Columns {
			info.Columns[i] = columnInfo{Name: c.Name, Kind: c.Kind.String(), Required: c.Required, Ref: c.Ref, Enum: c.Enum, Doc: c.Doc}
		}
		out = append(out, info)
	}
	return out, nil
}

// handleEntities answers GET /api/v1/entities with the catalog and counts.
func (s *Server) handleEntities(w http.ResponseWriter, r *http.Request) error {
	infos, err := s.entityInfos(r.Context(), auth.FromContext(r.Context()))
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, struct {
		Entities []entityInfo `json:"entities"`
	}{infos})
}

// entityPath is the API path of an entity's list.
func entityPath(name string) string { return "/api/v1/" + url.PathEscape(name) }

// listHead is the body of GET /api/v1/{entity} but its records, which
// follow as "records": [...].
type listHead struct {
	Entity string `json:"entity"`
	Total  int    `json:"total"`
	Limit  int    `json:"limit"`
	Offset int    `json:"offset"`
	Next   string `json:"next"`
}

// handleList answers GET /api/v1/{entity}: a page of records matching the
// query's equality filters, sorted when asked, with a link to the next
// page when there is one.
func (s *Server) handleList(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("entity")
	if err := Require(r, auth.EntityPerm(name)); err != nil {
		return err
	}
	params, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return tandem.Errorf(tandem.EINVALID, "malformed query string: %v", err)
	}
	res, err := s.svc.List(r.Context(), name, params)
	if err != nil {
		return err
	}
	body := res.Rendered(func(res *service.ListResult) []byte {
		b, err := listJSON(res, r.URL.Path, params)
		if err != nil {
			return nil
		}
		return b
	})
	if body == nil {
		return fmt.Errorf("list %s: encode failed", res.Entity.Name)
	}
	s.write(w, http.StatusOK, "application/json", body)
	return nil
}

// listJSON renders a list page. The records are appended by hand rather
// than through encoding/json, which would re-validate every record's JSON.
// The next link keeps the request's parameters; a cached page is shared
// only by requests whose parameters mean the same query, so the link is
// an equivalent one.
func listJSON(res *service.ListResult, path string, params url.Values) ([]byte, error) {
	q := res.Query
	head := listHead{Entity: res.Entity.Name, Total: res.Page.Total, Limit: q.Limit, Offset: q.Offset}
	if n := len(res.Page.Records); n > 0 && q.Offset+n < res.Page.Total {
		next := maps.Clone(params) // Set replaces the slice; params stays intact
		next.Set("offset", strconv.Itoa(q.Offset+n))
		head.Next = path + "?" + next.Encode()
	}
	body, err := encodeJSON(head)
	if err != nil {
		return nil, err
	}
	body = append(body[:len(body)-2], `,"records":[`...) // drop "}\n"
	for i, rec := range res.Page.Records {
		if i > 0 {
			body = append(body, ',')
		}
		body = RecordJSON(res.Entity, rec).AppendJSON(body)
	}
	return append(body, "]}\n"...), nil
}

// handleGet answers GET /api/v1/{entity}/{id} with one record.
func (s *Server) handleGet(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("entity")
	if err := Require(r, auth.EntityPerm(name)); err != nil {
		return err
	}
	e, rec, err := s.svc.Get(r.Context(), name, r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, RecordJSON(e, rec))
}

// statusCapture records the status a handler writes and drops its body.
type statusCapture struct {
	header http.Header
	status int
}

func (c *statusCapture) Header() http.Header         { return c.header }
func (c *statusCapture) Write(b []byte) (int, error) { return len(b), nil }
func (c *statusCapture) WriteHeader(status int)      { c.status = status }

// dispatch routes a request through mux, answering requests that match no
// route in the API's error shape (JSON for /api/, the site's error page
// otherwise): 404 for an unknown path, 405 with Allow for a known path
// and another method. ServeMux's own redirects (to a cleaned path) pass
// through.
func (s *Server) dispatch(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		c := &statusCapture{header: http.Header{}}
		h.ServeHTTP(c, r)
		var err error
		switch c.status {
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", c.header.Get("Allow"))
			err = tandem.Errorf(tandem.EMETHOD, "%s is not allowed on %s (allowed: %s)", r.Method, r.URL.Path, c.header.Get("Allow"))
		case http.StatusNotFound, 0:
			if isAPI(r.URL.Path) {
				err = tandem.Errorf(tandem.ENOTFOUND, "no API route for %s %s; see /api/v1/openapi.json", r.Method, r.URL.Path)
			} else {
				err = tandem.Errorf(tandem.ENOTFOUND, "no page at %s", r.URL.Path)
			}
		default:
			mux.ServeHTTP(w, r)
			return
		}
		if isAPI(r.URL.Path) || s.pages == nil {
			s.writeError(w, r, err)
			return
		}
		s.pages.Error(w, r, err)
	})
}
