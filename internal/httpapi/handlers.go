package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
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
	h := health{Status: "ok", Dialect: s.store.Dialect()}
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
	ents := s.cat.Entities()
	if len(ents) == 0 {
		return nil
	}
	name := ents[0].Name
	if _, err := s.cat.Entity("glossary"); err == nil {
		name = "glossary"
	}
	_, err := s.store.Count(ctx, name)
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

// entityInfos describes every entity of the catalog with its row count.
func (s *Server) entityInfos(ctx context.Context) ([]entityInfo, error) {
	ents := s.cat.Entities()
	out := make([]entityInfo, 0, len(ents))
	for _, e := range ents {
		n, err := s.store.Count(ctx, e.Name)
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
	infos, err := s.entityInfos(r.Context())
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, struct {
		Entities []entityInfo `json:"entities"`
	}{infos})
}

// entity returns the entity named in the request path. An unknown name is a
// missing resource, so the catalog's EINVALID becomes ENOTFOUND, keeping the
// message that lists the valid names.
func (s *Server) entity(r *http.Request) (*tandem.Entity, error) {
	e, err := s.cat.Entity(r.PathValue("entity"))
	if err != nil {
		return nil, &tandem.Error{Code: tandem.ENOTFOUND, Message: tandem.ErrorMessage(err)}
	}
	return e, nil
}

// entityPath is the API path of an entity's list.
func entityPath(name string) string { return "/api/v1/" + url.PathEscape(name) }

// listResponse is the body of GET /api/v1/{entity}.
type listResponse struct {
	Entity  string         `json:"entity"`
	Total   int            `json:"total"`
	Limit   int            `json:"limit"`
	Offset  int            `json:"offset"`
	Next    string         `json:"next"`
	Records []RecordObject `json:"records"`
}

// handleList answers GET /api/v1/{entity}: a page of records matching the
// query's equality filters, with a link to the next page when there is one.
func (s *Server) handleList(w http.ResponseWriter, r *http.Request) error {
	e, err := s.entity(r)
	if err != nil {
		return err
	}
	params, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return tandem.Errorf(tandem.EINVALID, "malformed query string: %v", err)
	}
	q, err := parseListQuery(e, params)
	if err != nil {
		return err
	}
	page, err := s.store.List(r.Context(), e.Name, q)
	if err != nil {
		return fmt.Errorf("list %s: %w", e.Name, err)
	}
	resp := listResponse{
		Entity:  e.Name,
		Total:   page.Total,
		Limit:   q.Limit,
		Offset:  q.Offset,
		Records: make([]RecordObject, len(page.Records)),
	}
	for i, rec := range page.Records {
		resp.Records[i] = RecordJSON(e, rec)
	}
	if n := len(page.Records); n > 0 && q.Offset+n < page.Total {
		next := maps.Clone(params) // Set replaces the slice; params stays intact
		next.Set("offset", strconv.Itoa(q.Offset+n))
		resp.Next = r.URL.Path + "?" + next.Encode()
	}
	return s.respondJSON(w, http.StatusOK, resp)
}

// parseListQuery turns list parameters into a store query: limit, offset, and
// an equality filter for each canonical column or "attr.<name>". Unknown or
// repeated parameters are EINVALID.
func parseListQuery(e *tandem.Entity, params url.Values) (tandem.Query, error) {
	q := tandem.Query{Limit: defaultLimit}
	var unknown []string
	for _, name := range slices.Sorted(maps.Keys(params)) {
		vals := params[name]
		if len(vals) != 1 {
			return q, tandem.Errorf(tandem.EINVALID, "parameter %q is given %d times; give it once", name, len(vals))
		}
		v := vals[0]
		switch {
		case name == "limit":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > maxLimit {
				return q, tandem.Errorf(tandem.EINVALID, "limit must be a whole number from 1 to %d, not %q", maxLimit, v)
			}
			q.Limit = n
		case name == "offset":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return q, tandem.Errorf(tandem.EINVALID, "offset must be a whole number from 0, not %q", v)
			}
			q.Offset = n
		case isFilterColumn(e, name):
			q.Filters = append(q.Filters, tandem.Filter{Column: name, Value: v})
		default:
			unknown = append(unknown, strconv.Quote(name))
		}
	}
	if len(unknown) > 0 {
		noun := "parameter"
		if len(unknown) > 1 {
			noun = "parameters"
		}
		return q, tandem.Errorf(tandem.EINVALID, "unknown %s %s for %s (use limit, offset, attr.<name> or a column: %s)",
			noun, strings.Join(unknown, ", "), e.Name, strings.Join(e.ColumnNames(), ", "))
	}
	return q, nil
}

// isFilterColumn reports whether name is a canonical column of e or a custom
// attribute, "attr.<name>".
func isFilterColumn(e *tandem.Entity, name string) bool {
	if attr, ok := strings.CutPrefix(name, "attr."); ok {
		return attr != ""
	}
	c, _ := e.Column(name)
	return c != nil
}

// handleGet answers GET /api/v1/{entity}/{id} with one record.
func (s *Server) handleGet(w http.ResponseWriter, r *http.Request) error {
	e, err := s.entity(r)
	if err != nil {
		return err
	}
	rec, err := s.store.Get(r.Context(), e.Name, r.PathValue("id"))
	if err != nil {
		return fmt.Errorf("get %s: %w", e.Name, err)
	}
	return s.respondJSON(w, http.StatusOK, RecordJSON(e, rec))
}

// handleNoRoute answers API paths that match no route.
func (s *Server) handleNoRoute(w http.ResponseWriter, r *http.Request) error {
	return tandem.Errorf(tandem.ENOTFOUND, "no API route for %s; see /api/v1/entities", r.URL.Path)
}

// handleIndex renders the HTML index page: every entity with its row count
// and links to the API.
func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) error {
	infos, err := s.entityInfos(r.Context())
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	err = s.index.Execute(&buf, struct {
		Version  string
		Dialect  string
		Entities []entityInfo
	}{s.version, s.store.Dialect(), infos})
	if err != nil {
		return fmt.Errorf("render index: %w", err)
	}
	s.write(w, http.StatusOK, "text/html; charset=utf-8", buf.Bytes())
	return nil
}
