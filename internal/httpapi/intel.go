package httpapi

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/intel"
	"github.com/tandemhq/tandem/internal/service"
)

// intelRoutes are the competitive-intelligence routes (issue 8): the
// competitor catalog with win rates and mentions, battlecards with their
// versions, the battlecards of a deal, and the intel quota.
func (s *Server) intelRoutes() []Route {
	const get, post, put = http.MethodGet, http.MethodPost, http.MethodPut
	return []Route{
		{Method: get, Path: "/api/v1/competitors", Perm: auth.PermPipelineRead, Summary: "The competitor catalog with each competitor's win rate and mentions", Handler: s.handleCompetitors},
		{Method: post, Path: "/api/v1/competitors", Perm: auth.PermFeedbackAdmin, Summary: "Add a competitor to the catalog", Handler: s.handleCompetitorAdd},
		{Method: post, Path: "/api/v1/competitors/import-from-deals", Perm: auth.PermFeedbackAdmin, Summary: "Propose (or, with apply, add) catalog entries from the deals' competitor names", Handler: s.handleCompetitorImport},
		{Method: get, Path: "/api/v1/competitors/{id}", Perm: auth.PermPipelineRead, Summary: "A competitor with its win rate, quarterly trend, mentions and battlecard", Handler: s.handleCompetitor},
		{Method: put, Path: "/api/v1/competitors/{id}", Perm: auth.PermFeedbackAdmin, Summary: "Change a competitor (version is the version the edit started from)", Handler: s.handleCompetitorSave},
		{Method: get, Path: "/api/v1/competitors/{id}/battlecard", Perm: auth.PermPipelineRead, Summary: "A competitor's battlecard (?version=N, default latest) with its changes from the version before", Handler: s.handleBattlecard},
		{Method: put, Path: "/api/v1/competitors/{id}/battlecard", Perm: auth.PermFeedbackAdmin, Summary: "Save a battlecard as a new version (version is the version the edit started from)", Handler: s.handleBattlecardSave},
		{Method: get, Path: "/api/v1/competitors/{id}/battlecard/versions", Perm: auth.PermPipelineRead, Summary: "Every version of a battlecard, newest first, each with its changes", Handler: s.handleBattlecardVersions},
		{Method: get, Path: "/api/v1/deals/{id}/battlecards", Perm: auth.PermPipelineRead, Summary: "The competitors on a deal with their battlecards", Handler: s.handleDealBattlecards},
		{Method: get, Path: "/api/v1/intel/quota", Perm: auth.PermPeopleRead, Summary: "Intel items per rep in a month against the quota (?month=YYYY-MM, default this month)", Handler: s.handleIntelQuota},
	}
}

// IntelOptions reads ?min_n= (the minimum sample of a win rate) as the
// competitive-intelligence routes and pages read it.
func IntelOptions(q url.Values) (intel.Options, error) {
	n, err := minNParam(q)
	o := intel.Options{MinSample: n}.WithDefaults()
	return o, err
}

func (s *Server) handleCompetitors(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r)
	if err != nil {
		return err
	}
	o, err := IntelOptions(q)
	if err != nil {
		return err
	}
	c, err := s.svc.CompetitorCatalogView(r.Context(), o)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, c)
}

// competitorRequest is the body of POST /api/v1/competitors and PUT
// /api/v1/competitors/{id}.
type competitorRequest struct {
	ID      string   `json:"id,omitempty"`
	Name    string   `json:"name"`
	Aliases []string `json:"aliases,omitempty"`
	Website string   `json:"website,omitempty"`
	Notes   string   `json:"notes,omitempty"`
	// Version is the version the edit started from (PUT only).
	Version int `json:"version,omitempty"`
}

func (c competitorRequest) competitor() tandem.Competitor {
	return tandem.Competitor{ID: c.ID, Name: c.Name, Aliases: c.Aliases, Website: c.Website, Notes: c.Notes}
}

func (s *Server) handleCompetitorAdd(w http.ResponseWriter, r *http.Request) error {
	var req competitorRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Version != 0 {
		return tandem.Errorf(tandem.EINVALID, "version: a new competitor has no version; change one with PUT /api/v1/competitors/{id}")
	}
	e, err := s.svc.SaveCompetitor(r.Context(), Actor(r), req.competitor(), 0)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusCreated, e)
}

func (s *Server) handleCompetitorSave(w http.ResponseWriter, r *http.Request) error {
	var req competitorRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	id := r.PathValue("id")
	if req.ID != "" && req.ID != id {
		return tandem.Errorf(tandem.EINVALID, "id: the body names %q, the path %q", req.ID, id)
	}
	if req.Version < 1 {
		return tandem.Errorf(tandem.EINVALID, "version: give the version the edit started from (add a competitor with POST /api/v1/competitors)")
	}
	req.ID = id
	e, err := s.svc.SaveCompetitor(r.Context(), Actor(r), req.competitor(), req.Version)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, e)
}

// competitorImportRequest is the body of POST
// /api/v1/competitors/import-from-deals.
type competitorImportRequest struct {
	Apply bool `json:"apply"`
}

func (s *Server) handleCompetitorImport(w http.ResponseWriter, r *http.Request) error {
	var req competitorImportRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	res, err := s.svc.ImportCompetitorsFromDeals(r.Context(), Actor(r), req.Apply)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, res)
}

func (s *Server) handleCompetitor(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r)
	if err != nil {
		return err
	}
	o, err := IntelOptions(q)
	if err != nil {
		return err
	}
	c, err := s.svc.CompetitorView(r.Context(), r.PathValue("id"), o)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, c)
}

func (s *Server) handleBattlecard(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r)
	if err != nil {
		return err
	}
	version := 0
	if v := q.Get("version"); v != "" {
		if version, err = strconv.Atoi(v); err != nil || version < 1 {
			return tandem.Errorf(tandem.EINVALID, "version: %q is not a version number", v)
		}
	}
	id := r.PathValue("id")
	if _, err := s.svc.Competitor(r.Context(), id); err != nil {
		return err
	}
	b, err := s.svc.Battlecard(r.Context(), id, version)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, b)
}

// battlecardRequest is the body of PUT /api/v1/competitors/{id}/battlecard.
type battlecardRequest struct {
	tandem.Battlecard
	// Version is the version the edit started from (0 for the first).
	Version int    `json:"version"`
	Note    string `json:"note,omitempty"`
}

func (s *Server) handleBattlecardSave(w http.ResponseWriter, r *http.Request) error {
	var req battlecardRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	b, err := s.svc.SaveBattlecard(r.Context(), Actor(r), r.PathValue("id"), req.Battlecard, req.Version, req.Note)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, b)
}

// battlecardVersionsResponse is the body of GET
// /api/v1/competitors/{id}/battlecard/versions.
type battlecardVersionsResponse struct {
	Versions []service.BattlecardVersion `json:"versions"`
}

func (s *Server) handleBattlecardVersions(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if _, err := s.svc.Competitor(r.Context(), id); err != nil {
		return err
	}
	vs, err := s.svc.BattlecardHistory(r.Context(), id)
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		vs, err = []service.BattlecardVersion{}, nil
	}
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, battlecardVersionsResponse{vs})
}

// dealBattlecardsResponse is the body of GET /api/v1/deals/{id}/battlecards.
type dealBattlecardsResponse struct {
	DealID      string                   `json:"deal_id"`
	Battlecards []service.DealBattlecard `json:"battlecards"`
}

func (s *Server) handleDealBattlecards(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	cards, err := s.svc.DealBattlecards(r.Context(), id)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, dealBattlecardsResponse{id, cards})
}

func (s *Server) handleIntelQuota(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r)
	if err != nil {
		return err
	}
	var month time.Time
	if v := q.Get("month"); v != "" {
		if month, err = intel.ParseMonth(v); err != nil {
			return err
		}
	}
	rep, err := s.svc.IntelQuota(r.Context(), month)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, rep)
}
