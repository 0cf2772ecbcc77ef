package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/service"
	"github.com/tandemhq/tandem/internal/winloss"
)

// winlossRoutes are the win/loss and post-mortem routes of issue 8:
// the reason taxonomy, reasons of a deal, buyer interviews, the reasons,
// gap and roadmap-check reports, and post-mortems.
func (s *Server) winlossRoutes() []Route {
	const get, post, put = http.MethodGet, http.MethodPost, http.MethodPut
	return []Route{
		{Method: get, Path: "/api/v1/winloss/taxonomy", Perm: auth.PermPipelineRead, Summary: "The win/loss reason taxonomy and its value map (the default until one is saved)", Handler: s.handleTaxonomy},
		{Method: put, Path: "/api/v1/winloss/taxonomy", Perm: auth.PermFeedbackAdmin, Summary: "Save the reason taxonomy (JSON, or a YAML/JSON source); refused whole with every problem", Handler: s.handleTaxonomyPut},
		{Method: get, Path: "/api/v1/deals/{id}/reasons", Perm: auth.PermPipelineRead, Summary: "A deal's win/loss reasons: from the CRM, recorded in Tandem and from interviews", Handler: s.handleDealReasons},
		{Method: post, Path: "/api/v1/deals/{id}/reasons", Perm: auth.PermFeedbackWrite, Summary: "Record reasons a deal was won or lost", Handler: s.handleDealReasonsAdd},
		{Method: get, Path: "/api/v1/winloss/interviews", Perm: auth.PermPipelineRead, Summary: "Buyer interviews and surveys (?deal= for one deal's), latest first", Handler: s.handleInterviews},
		{Method: post, Path: "/api/v1/winloss/interviews", Perm: auth.PermFeedbackWrite, Summary: "Record a buyer interview or survey response about a closed deal", Handler: s.handleInterviewCreate},
		{Method: get, Path: "/api/v1/winloss/interviews/{id}", Perm: auth.PermPipelineRead, Summary: "One buyer interview", Handler: s.handleInterview},
		{Method: get, Path: "/api/v1/winloss/report", Perm: auth.PermPipelineRead, Summary: "Win/loss reasons by quarter, segment, competitor or product, with intervals", Handler: s.handleWinLossReport},
		{Method: get, Path: "/api/v1/winloss/gap", Perm: auth.PermPipelineRead, Summary: "What reps say against what buyers say, on the deals where both said something", Handler: s.handleWinLossGap},
		{Method: get, Path: "/api/v1/winloss/roadmap-check", Perm: auth.PermPipelineRead, Summary: "The roadmap check: the top three closed-lost reasons of the last full quarter and whether a planned feature addresses each", Handler: s.handleRoadmapCheck},
		{Method: get, Path: "/api/v1/postmortems", Perm: auth.PermPipelineRead, Summary: "Post-mortems of lost deals and churned accounts, latest first", Handler: s.handlePostmortems},
		{Method: post, Path: "/api/v1/postmortems", Perm: auth.PermFeedbackAdmin, Summary: "Write a post-mortem of a lost deal or a churned account", Handler: s.handlePostmortemCreate},
		{Method: get, Path: "/api/v1/postmortems/report", Perm: auth.PermPipelineRead, Summary: "Post-mortem root causes over time, and the lost deals and churned accounts still without one", Handler: s.handlePostmortemReport},
		{Method: get, Path: "/api/v1/postmortems/{id}", Perm: auth.PermPipelineRead, Summary: "One post-mortem", Handler: s.handlePostmortem},
		{Method: put, Path: "/api/v1/postmortems/{id}", Perm: auth.PermFeedbackAdmin, Summary: "Save a new version of a post-mortem (version is the version the edit started from)", Handler: s.handlePostmortemPut},
	}
}

func (s *Server) handleTaxonomy(w http.ResponseWriter, r *http.Request) error {
	t, err := s.svc.Taxonomy(r.Context())
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, t)
}

// taxonomyRequest is the body of PUT /api/v1/winloss/taxonomy: the
// taxonomy as JSON, or Source (YAML or JSON text) named Name. Version is
// the version the edit started from (0 for the default).
type taxonomyRequest struct {
	Version  int              `json:"version"`
	Taxonomy *tandem.Taxonomy `json:"taxonomy,omitempty"`
	Source   string           `json:"source,omitempty"`
	Name     string           `json:"name,omitempty"`
	Note     string           `json:"note,omitempty"`
}

func (s *Server) handleTaxonomyPut(w http.ResponseWriter, r *http.Request) error {
	var req taxonomyRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Version < 0 {
		return tandem.Errorf(tandem.EINVALID, "version: %d is not a version (0 edits the default)", req.Version)
	}
	var v service.TaxonomyView
	var err error
	switch {
	case req.Taxonomy != nil && req.Source != "":
		return tandem.Errorf(tandem.EINVALID, "send a taxonomy or a source, not both")
	case req.Taxonomy != nil:
		v, err = s.svc.PutTaxonomy(r.Context(), Actor(r), *req.Taxonomy, req.Version, req.Note)
	case req.Source != "":
		v, err = s.svc.ApplyTaxonomy(r.Context(), Actor(r), cmpOr(req.Name, "taxonomy.yaml"), []byte(req.Source), req.Version, req.Note)
	default:
		return tandem.Errorf(tandem.EINVALID, "send a taxonomy or a source")
	}
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, v)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (s *Server) handleDealReasons(w http.ResponseWriter, r *http.Request) error {
	v, err := s.svc.DealReasons(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, v)
}

// reasonsRequest is the body of POST /api/v1/deals/{id}/reasons.
type reasonsRequest struct {
	Reasons []tandem.DealReason `json:"reasons"`
}

func (s *Server) handleDealReasonsAdd(w http.ResponseWriter, r *http.Request) error {
	var req reasonsRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	v, err := s.svc.AddDealReasons(r.Context(), Actor(r), r.PathValue("id"), req.Reasons)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, v)
}

// interviewsResponse is the body of GET /api/v1/winloss/interviews.
type interviewsResponse struct {
	Interviews []service.InterviewView `json:"interviews"`
}

func (s *Server) handleInterviews(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r)
	if err != nil {
		return err
	}
	list, err := s.svc.InterviewList(r.Context(), q.Get("deal"))
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, interviewsResponse{list})
}

func (s *Server) handleInterviewCreate(w http.ResponseWriter, r *http.Request) error {
	var iv tandem.Interview
	if err := decodeJSON(r, &iv); err != nil {
		return err
	}
	v, err := s.svc.CreateInterview(r.Context(), Actor(r), iv)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusCreated, v)
}

func (s *Server) handleInterview(w http.ResponseWriter, r *http.Request) error {
	v, err := s.svc.Interview(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, v)
}

// WinLossParams reads the parameters the win/loss reports share: from and
// to (days), min_n; the web pages read the same.
func WinLossParams(q url.Values) (from, to time.Time, o winloss.Options, err error) {
	day := func(name string) (time.Time, error) {
		v := q.Get(name)
		if v == "" {
			return time.Time{}, nil
		}
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return t, tandem.Errorf(tandem.EINVALID, "%s: %q is not a day (YYYY-MM-DD)", name, v)
		}
		return t, nil
	}
	if from, err = day("from"); err != nil {
		return
	}
	if to, err = day("to"); err != nil {
		return
	}
	o.MinN, err = minNParam(q)
	return
}

// minNParam reads ?min_n=, the minimum sample of every win/loss and
// competitive figure (0 when absent: the default).
func minNParam(q url.Values) (int, error) {
	v := strings.TrimSpace(q.Get("min_n"))
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 100000 {
		return 0, tandem.Errorf(tandem.EINVALID, "min_n: %q is not a whole number from 1 to 100000", v)
	}
	return n, nil
}

// respondReport answers a win/loss report route: it reads the shared
// parameters (WinLossParams) and writes what run returns.
func (s *Server) respondReport(w http.ResponseWriter, r *http.Request, run func(q url.Values, from, to time.Time, o winloss.Options) (any, error)) error {
	q, err := query(r)
	if err != nil {
		return err
	}
	from, to, o, err := WinLossParams(q)
	if err != nil {
		return err
	}
	rep, err := run(q, from, to, o)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, rep)
}

func (s *Server) handleWinLossReport(w http.ResponseWriter, r *http.Request) error {
	return s.respondReport(w, r, func(q url.Values, from, to time.Time, o winloss.Options) (any, error) {
		return s.svc.WinLossReasons(r.Context(), winloss.ReasonsQuery{By: q.Get("by"), Outcome: q.Get("outcome"), Source: q.Get("source"), From: from, To: to}, o)
	})
}

func (s *Server) handleWinLossGap(w http.ResponseWriter, r *http.Request) error {
	return s.respondReport(w, r, func(q url.Values, from, to time.Time, o winloss.Options) (any, error) {
		return s.svc.WinLossGap(r.Context(), winloss.GapQuery{Outcome: q.Get("outcome"), From: from, To: to}, o)
	})
}

// RoadmapDate reads ?date=, the day the roadmap check is for (zero when
// absent: today); the web page reads the same.
func RoadmapDate(q url.Values) (time.Time, error) {
	v := q.Get("date")
	if v == "" {
		return time.Time{}, nil
	}
	date, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, tandem.Errorf(tandem.EINVALID, "date: %q is not a day (YYYY-MM-DD)", v)
	}
	return date, nil
}

func (s *Server) handleRoadmapCheck(w http.ResponseWriter, r *http.Request) error {
	return s.respondReport(w, r, func(q url.Values, _, _ time.Time, o winloss.Options) (any, error) {
		date, err := RoadmapDate(q)
		if err != nil {
			return nil, err
		}
		return s.svc.RoadmapCheck(r.Context(), date, o)
	})
}

// postmortemsResponse is the body of GET /api/v1/postmortems.
type postmortemsResponse struct {
	Postmortems []service.PostmortemView `json:"postmortems"`
}

func (s *Server) handlePostmortems(w http.ResponseWriter, r *http.Request) error {
	list, err := s.svc.Postmortems(r.Context())
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, postmortemsResponse{list})
}

func (s *Server) handlePostmortemCreate(w http.ResponseWriter, r *http.Request) error {
	var p tandem.Postmortem
	if err := decodeJSON(r, &p); err != nil {
		return err
	}
	v, err := s.svc.SavePostmortem(r.Context(), Actor(r), p, 0)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusCreated, v)
}

func (s *Server) handlePostmortem(w http.ResponseWriter, r *http.Request) error {
	v, err := s.svc.Postmortem(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, v)
}

// postmortemPut is the body of PUT /api/v1/postmortems/{id}: the
// post-mortem and the version the edit started from.
type postmortemPut struct {
	Version    int               `json:"version"`
	Postmortem tandem.Postmortem `json:"postmortem"`
}

func (s *Server) handlePostmortemPut(w http.ResponseWriter, r *http.Request) error {
	var req postmortemPut
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Version < 1 {
		return tandem.Errorf(tandem.EINVALID, "version: send the version the edit started from (at least 1)")
	}
	id := r.PathValue("id")
	if _, err := s.svc.Postmortem(r.Context(), id); err != nil {
		return err
	}
	if req.Postmortem.ID != "" && req.Postmortem.ID != id {
		return tandem.Errorf(tandem.EINVALID, "id: the body names %q, the path %q", req.Postmortem.ID, id)
	}
	req.Postmortem.ID = id
	v, err := s.svc.SavePostmortem(r.Context(), Actor(r), req.Postmortem, req.Version)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, v)
}

func (s *Server) handlePostmortemReport(w http.ResponseWriter, r *http.Request) error {
	return s.respondReport(w, r, func(_ url.Values, from, to time.Time, o winloss.Options) (any, error) {
		return s.svc.PostmortemReport(r.Context(), from, to, o, principal(r).Can(auth.PermCustomersRead))
	})
}
