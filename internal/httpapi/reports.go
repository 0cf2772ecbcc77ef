package httpapi

import (
	"net/http"
	"net/url"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
)

// reportsResponse lists the reports and the parameters they accept.
type reportsResponse struct {
	Reports    []tandem.ReportInfo `json:"reports"`
	Parameters []string            `json:"parameters"`
}

// handleReports answers GET /api/v1/reports.
func (s *Server) handleReports(w http.ResponseWriter, r *http.Request) error {
	if s.reporter == nil {
		return tandem.Errorf(tandem.ENOTFOUND, "this server has no reports")
	}
	return s.respondJSON(w, http.StatusOK, reportsResponse{Reports: s.reporter.Reports(), Parameters: analytics.ParamNames})
}

// handleReport answers GET /api/v1/reports/{name}: the report with the query
// parameters the CLI takes as flags (by, where, from, to, as-of, min-n, ...),
// parsed by the same function, so both give the same numbers.
func (s *Server) handleReport(w http.ResponseWriter, r *http.Request) error {
	if s.reporter == nil {
		return tandem.Errorf(tandem.ENOTFOUND, "this server has no reports")
	}
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return tandem.Errorf(tandem.EINVALID, "malformed query string: %v", err)
	}
	p, err := analytics.ParseParams(q)
	if err != nil {
		return err
	}
	rep, err := s.reporter.Run(r.Context(), r.PathValue("name"), p)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, rep)
}
