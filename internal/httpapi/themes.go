package httpapi

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/service"
)

// themeRoutes are the theme routes of issue 8: themes of near-duplicate
// feedback, merges and splits by hand, votes on customers' behalf, and
// the ranking by revenue at stake.
func (s *Server) themeRoutes() []Route {
	const (
		get, post, put = http.MethodGet, http.MethodPost, http.MethodPut
	)
	return []Route{
		{Method: get, Path: "/api/v1/themes", Perm: auth.PermPipelineRead, Summary: "Themes of near-duplicate feedback with their counts, the largest first", Handler: s.handleThemes},
		{Method: get, Path: "/api/v1/themes/ranking", Perm: auth.PermPipelineRead, Summary: "Themes ranked by revenue at stake: customers' ARR, stage-weighted open pipeline and lost revenue, each with counts (?format=csv to export)", Handler: s.handleThemeRanking},
		{Method: get, Path: "/api/v1/themes/{id}", Perm: auth.PermPipelineRead, Summary: "A theme with its items, votes, title and links", Handler: s.handleTheme},
		{Method: put, Path: "/api/v1/themes/{id}", Perm: auth.PermFeedbackAdmin, Summary: "Save a theme's title and links to features and specials (version is the version the edit started from)", Handler: s.handleThemePut},
		{Method: post, Path: "/api/v1/themes/{id}/merge", Perm: auth.PermFeedbackAdmin, Summary: "Merge another theme into this one", Handler: s.handleThemeMerge},
		{Method: post, Path: "/api/v1/themes/{id}/votes", Perm: auth.PermFeedbackWrite, Summary: "Record that an account wants a theme, with importance", Handler: s.handleThemeVote},
		{Method: post, Path: "/api/v1/feedback/{id}/split", Perm: auth.PermFeedbackAdmin, Summary: "Split a feedback item out of its theme into a theme of its own", Handler: s.handleThemeSplit},
	}
}

// themeIntParam reads a whole-number query parameter within [lo, hi]; def
// when absent.
func themeIntParam(q url.Values, name string, def, lo, hi int) (int, error) {
	v := strings.TrimSpace(q.Get(name))
	if v == "" {
		return def, nil
	}
	return intParam(name, v, lo, hi)
}

// ThemeQueryOf reads the theme list's parameters (q, min_items, limit,
// offset), shared by the API and the themes page.
func ThemeQueryOf(q url.Values) (service.ThemeQuery, error) {
	tq := service.ThemeQuery{Text: q.Get("q")}
	var err error
	if tq.MinItems, err = themeIntParam(q, "min_items", 1, 1, 1_000_000); err != nil {
		return tq, err
	}
	if tq.Limit, err = themeIntParam(q, "limit", 50, 1, service.MaxLimit); err != nil {
		return tq, err
	}
	if tq.Offset, err = themeIntParam(q, "offset", 0, 0, 1<<30); err != nil {
		return tq, err
	}
	return tq, nil
}

func (s *Server) handleThemes(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r)
	if err != nil {
		return err
	}
	tq, err := ThemeQueryOf(q)
	if err != nil {
		return err
	}
	list, err := s.svc.Themes(r.Context(), tq)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, list)
}

func (s *Server) handleThemeRanking(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r)
	if err != nil {
		return err
	}
	format := q.Get("format")
	if format != "" && format != "json" && format != "csv" {
		return tandem.Errorf(tandem.EINVALID, "format: %q is not json or csv", format)
	}
	rq := service.RankingQuery{Sort: q.Get("sort"), CustomerData: principal(r).Can(auth.PermCustomersRead)}
	defLimit := 100
	if format == "csv" {
		defLimit = 0 // an export is every theme unless asked otherwise
	}
	if rq.Limit, err = themeIntParam(q, "limit", defLimit, 1, 1_000_000); err != nil {
		return err
	}
	if rq.Offset, err = themeIntParam(q, "offset", 0, 0, 1<<30); err != nil {
		return err
	}
	if rq.MinN, err = themeIntParam(q, "min_n", service.RankingMinSample, 1, 100_000); err != nil {
		return err
	}
	rk, err := s.svc.ThemeRanking(r.Context(), rq)
	if err != nil {
		return err
	}
	if format != "csv" {
		return s.respondJSON(w, http.StatusOK, rk)
	}
	var buf bytes.Buffer
	if err := rk.WriteCSV(&buf); err != nil {
		return err
	}
	w.Header().Set("Content-Disposition", `attachment; filename="theme-ranking.csv"`)
	s.write(w, http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
	return nil
}

func (s *Server) handleTheme(w http.ResponseWriter, r *http.Request) error {
	d, err := s.svc.Theme(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, d)
}

// themeSaveRequest is the body of PUT /api/v1/themes/{id}.
type themeSaveRequest struct {
	Version  int      `json:"version"`
	Title    string   `json:"title"`
	Features []string `json:"features"`
	Specials []string `json:"specials"`
}

// themeSaved is the answer to a save: the info as stored and its version.
type themeSaved struct {
	Info    tandem.ThemeInfo `json:"info"`
	Version int              `json:"version"`
}

func (s *Server) handleThemePut(w http.ResponseWriter, r *http.Request) error {
	var req themeSaveRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	info, v, err := s.svc.PutThemeInfo(r.Context(), Actor(r), r.PathValue("id"),
		tandem.ThemeInfo{Title: req.Title, Features: req.Features, Specials: req.Specials}, req.Version)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, themeSaved{Info: info, Version: v})
}

// themeMergeRequest is the body of POST /api/v1/themes/{id}/merge.
type themeMergeRequest struct {
	From string `json:"from"`
}

func (s *Server) handleThemeMerge(w http.ResponseWriter, r *http.Request) error {
	var req themeMergeRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.From == "" {
		return tandem.Errorf(tandem.EINVALID, "from: the id of the theme to merge in is required")
	}
	sum, err := s.svc.MergeThemes(r.Context(), Actor(r), r.PathValue("id"), req.From)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, sum)
}

func (s *Server) handleThemeSplit(w http.ResponseWriter, r *http.Request) error {
	sum, err := s.svc.SplitItem(r.Context(), Actor(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, sum)
}

// themeVoteRequest is the body of POST /api/v1/themes/{id}/votes.
type themeVoteRequest struct {
	AccountID  string `json:"account_id"`
	Importance string `json:"importance"`
	Note       string `json:"note"`
}

func (s *Server) handleThemeVote(w http.ResponseWriter, r *http.Request) error {
	var req themeVoteRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	v, err := s.svc.SaveVote(r.Context(), Actor(r), tandem.Vote{Theme: r.PathValue("id"), AccountID: req.AccountID, Importance: req.Importance, Note: req.Note})
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, v)
}
