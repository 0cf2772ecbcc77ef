package web

// The theme pages (issue 8, items 3, 4 and 8): the themes of near-duplicate
// feedback, one theme with its items, votes and the forms that correct it
// (title and links, merge, split), and the ranking by revenue at stake
// with its CSV export. Every figure is printed with its count; stage win
// rates with their n and 95% interval, or "insufficient data".

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/httpapi"
	"github.com/tandemhq/tandem/internal/service"
)

// themePages are the theme pages of issue 8.
func (s *Site) themePages(page pageFunc) []httpapi.Route {
	return []httpapi.Route{
		page("GET", "/themes", auth.PermPipelineRead, "themes of near-duplicate feedback with their counts; search", s.handleThemes),
		page("GET", "/themes/ranking", auth.PermPipelineRead, "themes ranked by revenue at stake (?sort=, ?format=csv to download)", s.handleThemeRanking),
		page("GET", "/themes/{id}", auth.PermPipelineRead, "one theme: items, votes, title and links, merge and split", s.handleTheme),
		page("POST", "/themes/{id}", auth.PermFeedbackAdmin, "save a theme's title and links as a new version", s.handleThemeSave),
		page("POST", "/themes/{id}/merge", auth.PermFeedbackAdmin, "merge another theme into this one", s.handleThemeMerge),
		page("POST", "/themes/{id}/split", auth.PermFeedbackAdmin, "split an item out of this theme into a theme of its own", s.handleThemeSplit),
		page("POST", "/themes/{id}/votes", auth.PermFeedbackWrite, "record that an account wants this theme, with importance", s.handleThemeVote),
	}
}

// themeFlashes are the confirmations a theme redirect may ask for.
var themeFlashes = map[string]string{
	"theme-saved":  "The title and links are saved as a new version.",
	"theme-merged": "The themes are merged. The other theme's id now opens this one, and its votes count here.",
	"theme-split":  "The item is split off into a theme of its own. New items like it will join that theme.",
	"vote-saved":   "The vote is recorded.",
}

func themeFlash(r *http.Request) string {
	if m, ok := themeFlashes[r.URL.Query().Get("done")]; ok {
		return m
	}
	return flash(r)
}

func themeHref(id string) string    { return "/themes/" + url.PathEscape(id) }
func feedbackHref(id string) string { return "/feedback/" + url.PathEscape(id) }

// ---- /themes ----

// themesPage is the theme list.
type themesPage struct {
	Q, MinItems string
	List        *service.ThemeList
	Rows        []themeRow
	Pager       pagerView
}

// themeRow is one theme of the list.
type themeRow struct {
	ID, Href, Title, Features string
	Named                     bool
	Items, Accounts, Votes    int
	Latest                    string
}

// pagerView is what the "pager" template shows.
type pagerView struct {
	From, To, Total int
	Prev, Next      string
}

func themeRowOf(t service.ThemeSummary) themeRow {
	return themeRow{ID: t.ID, Href: themeHref(t.ID), Title: t.Title, Named: t.Named, Features: strings.Join(t.Features, ", "),
		Items: t.Items, Accounts: t.Accounts, Votes: t.Votes, Latest: dateText(t.LatestAt)}
}

func (s *Site) handleThemes(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	q.Del("limit") // the page shows 50 a page
	tq, err := httpapi.ThemeQueryOf(q)
	if err != nil {
		return err
	}
	limit := tq.Limit
	d := themesPage{Q: q.Get("q"), MinItems: q.Get("min_items")}
	if d.List, err = s.svc.Themes(r.Context(), tq); err != nil {
		return err
	}
	for _, t := range d.List.Themes {
		d.Rows = append(d.Rows, themeRowOf(t))
	}
	d.Pager = pagerView{Total: d.List.Total, From: tq.Offset + 1, To: tq.Offset + len(d.Rows)}
	page := func(off int) string {
		v := url.Values{}
		for k, x := range map[string]string{"q": d.Q, "min_items": d.MinItems} {
			if x != "" {
				v.Set(k, x)
			}
		}
		v.Set("offset", strconv.Itoa(off))
		return "/themes?" + v.Encode()
	}
	if tq.Offset > 0 {
		d.Pager.Prev = page(max(0, tq.Offset-limit))
	}
	if tq.Offset+limit < d.List.Total {
		d.Pager.Next = page(tq.Offset + limit)
	}
	v := s.newView(r, "Themes", "feedback")
	v.Flash, v.Data = themeFlash(r), d
	return s.render(w, http.StatusOK, "themes", v)
}

// ---- /themes/{id} ----

// themePage is one theme.
type themePage struct {
	Detail    *service.ThemeDetail
	Items     []themeItemRow
	Votes     []voteRow
	Features  []featureLink
	Form      themeForm
	Vote      voteForm
	MergeFrom string
	CanAdmin  bool
	CanVote   bool
	CanSplit  bool
	// Importances are the choices of the vote form, weakest first.
	Importances []string
}

// themeItemRow is one member of the theme.
type themeItemRow struct {
	ID, Href, Title, Excerpt, Source, Account, AccountHref, Deal, DealHref, Status, Received string
	Anchor, Pinned                                                                           bool
}

// voteRow is one vote.
type voteRow struct {
	Account, AccountHref, Importance, Badge, Note, By, At string
}

// featureLink is a linked feature.
type featureLink struct{ Name, Href string }

// themeForm is the title-and-links form.
type themeForm struct {
	Version                   int
	Title, Features, Specials string
}

// voteForm is the vote form as last submitted.
type voteForm struct {
	Account, Importance, Note string
}

func importanceBadge(s string) string {
	switch s {
	case tandem.ImportanceCritical:
		return "badge badge-bad"
	case tandem.ImportanceImportant:
		return "badge badge-warn"
	}
	return "badge"
}

func (s *Site) handleTheme(w http.ResponseWriter, r *http.Request) error {
	return s.theme(w, r, http.StatusOK, "", nil, nil, "")
}

// theme renders a theme; a form that failed is shown again as submitted.
func (s *Site) theme(w http.ResponseWriter, r *http.Request, status int, problem string, form *themeForm, vote *voteForm, mergeFrom string) error {
	p, err := require(r, auth.PermPipelineRead)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	det, err := s.svc.Theme(r.Context(), id)
	if err != nil {
		return err
	}
	if det.Theme.ID != id && r.Method == http.MethodGet {
		// An old id (merged away): show the theme under its current id.
		return redirect(w, r, themeHref(det.Theme.ID))
	}
	d := themePage{Detail: det, CanAdmin: p.Can(auth.PermFeedbackAdmin), CanVote: p.Can(auth.PermFeedbackWrite), MergeFrom: mergeFrom,
		Form:        themeForm{Version: det.Version, Title: det.Info.Title, Features: strings.Join(det.Info.Features, ", "), Specials: strings.Join(det.Info.Specials, ", ")},
		Vote:        voteForm{Importance: tandem.ImportanceImportant},
		Importances: []string{tandem.ImportanceNice, tandem.ImportanceImportant, tandem.ImportanceCritical}}
	d.CanSplit = d.CanAdmin && len(det.Items) > 1
	if form != nil {
		d.Form = *form
	}
	if vote != nil {
		d.Vote = *vote
	}
	for _, it := range det.Items {
		row := themeItemRow{ID: it.ID, Href: feedbackHref(it.ID), Title: it.Title, Excerpt: it.Excerpt, Source: it.Source,
			Account: it.AccountID, Deal: it.DealID, Status: string(it.Status), Received: dateText(it.ReceivedAt), Anchor: it.Anchor, Pinned: it.Pinned}
		if it.AccountID != "" {
			row.AccountHref = "/accounts/" + url.PathEscape(it.AccountID)
		}
		if it.DealID != "" {
			row.DealHref = dealHref(it.DealID)
		}
		d.Items = append(d.Items, row)
	}
	for _, v := range det.Votes {
		d.Votes = append(d.Votes, voteRow{Account: v.AccountID, AccountHref: "/accounts/" + url.PathEscape(v.AccountID), Importance: v.Importance,
			Badge: importanceBadge(v.Importance), Note: v.Note, By: v.By, At: dateText(v.At)})
	}
	for _, f := range det.Features {
		d.Features = append(d.Features, featureLink{Name: f.Name, Href: "/features/" + url.PathEscape(f.ID)})
	}
	v := s.newView(r, "Theme: "+det.Theme.Title, "feedback")
	v.Flash, v.Problem, v.Data = themeFlash(r), problem, d
	return s.render(w, status, "theme", v)
}

func (s *Site) handleThemeSave(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermFeedbackAdmin); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return tandem.Errorf(tandem.EINVALID, "malformed form: %v", err)
	}
	f := themeForm{Title: r.PostFormValue("title"), Features: r.PostFormValue("features"), Specials: r.PostFormValue("specials")}
	version, err := strconv.Atoi(r.PostFormValue("version"))
	if err != nil {
		return tandem.Errorf(tandem.EINVALID, "version: %q is not a version", r.PostFormValue("version"))
	}
	f.Version = version
	id := r.PathValue("id")
	_, _, err = s.svc.PutThemeInfo(r.Context(), httpapi.Actor(r), id,
		tandem.ThemeInfo{Title: f.Title, Features: splitList(f.Features), Specials: splitList(f.Specials)}, version)
	if userProblem(err) {
		return s.theme(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), &f, nil, "")
	}
	if err != nil {
		return err
	}
	return redirect(w, r, themeHref(id)+"?done=theme-saved")
}

func (s *Site) handleThemeMerge(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermFeedbackAdmin); err != nil {
		return err
	}
	from := strings.TrimSpace(r.PostFormValue("from"))
	if from == "" {
		return s.theme(w, r, http.StatusBadRequest, "merge: give the id of the theme to merge in (th-…)", nil, nil, from)
	}
	sum, err := s.svc.MergeThemes(r.Context(), httpapi.Actor(r), r.PathValue("id"), from)
	if deskProblem(err) {
		return s.theme(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), nil, nil, from)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, themeHref(sum.ID)+"?done=theme-merged")
}

func (s *Site) handleThemeSplit(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermFeedbackAdmin); err != nil {
		return err
	}
	item := strings.TrimSpace(r.PostFormValue("item"))
	theme, err := s.svc.ThemeOf(r.Context(), item)
	if err == nil {
		var cur *service.ThemeDetail
		if cur, err = s.svc.Theme(r.Context(), r.PathValue("id")); err == nil && cur.Theme.ID != theme {
			err = tandem.Errorf(tandem.EINVALID, "item %s is not in this theme", item)
		}
	}
	var sum service.ThemeSummary
	if err == nil {
		sum, err = s.svc.SplitItem(r.Context(), httpapi.Actor(r), item)
	}
	if deskProblem(err) {
		return s.theme(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), nil, nil, "")
	}
	if err != nil {
		return err
	}
	return redirect(w, r, themeHref(sum.ID)+"?done=theme-split")
}

func (s *Site) handleThemeVote(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermFeedbackWrite); err != nil {
		return err
	}
	vf := voteForm{Account: strings.TrimSpace(r.PostFormValue("account_id")), Importance: r.PostFormValue("importance"), Note: r.PostFormValue("note")}
	id := r.PathValue("id")
	v, err := s.svc.SaveVote(r.Context(), httpapi.Actor(r), tandem.Vote{Theme: id, AccountID: vf.Account, Importance: vf.Importance, Note: vf.Note})
	if userProblem(err) {
		return s.theme(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), nil, &vf, "")
	}
	if err != nil {
		return err
	}
	return redirect(w, r, themeHref(v.Theme)+"?done=vote-saved#votes")
}

// ---- /themes/ranking ----

// rankingPage is the ranking.
type rankingPage struct {
	Ranking *service.Ranking
	Sort    string
	Sorts   []sortLink
	CSVHref string
	WithARR bool
	Rows    []rankRow
	Stages  []stageRow
	Overall string
	Defs    [][2]string
	Notes   []string
}

// sortLink is one column the ranking can be sorted by.
type sortLink struct {
	Key, Label, Href string
	Current          bool
}

// rankRow is one theme of the ranking, formatted.
type rankRow struct {
	Rank                                    int
	Theme, Href, Title                      string
	Items, Accounts                         int
	Votes, VotesDetail                      string
	ARR, ARRAccounts                        string
	Pipeline, PipelineDeals, PipelineAmount string
	Lost, LostDeals                         string
	Total                                   string
}

// stageRow is one stage's win probability.
type stageRow struct {
	Stage, Rate, Used string
	Open              int
	Fallback          bool
}

// proportionText prints k of n with its interval, or "insufficient data".
func proportionText(p service.Proportion, minN int) string {
	if p.N < minN {
		return fmt.Sprintf("insufficient data (%d of %d)", p.K, p.N)
	}
	return fmt.Sprintf("%s (%d of %d; 95%% CI %s–%s)", percent(100*p.Value), p.K, p.N, percent(100*p.CILow), percent(100*p.CIHigh))
}

func (s *Site) handleThemeRanking(w http.ResponseWriter, r *http.Request) error {
	p, err := require(r, auth.PermPipelineRead)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	format := q.Get("format")
	if format != "" && format != "csv" && format != "html" {
		return tandem.Errorf(tandem.EINVALID, "format: %q is not html or csv", format)
	}
	rq := service.RankingQuery{Sort: q.Get("sort"), CustomerData: p.Can(auth.PermCustomersRead)}
	if format != "csv" {
		rq.Limit = 200
	}
	rk, err := s.svc.ThemeRanking(r.Context(), rq)
	if err != nil {
		return err
	}
	if format == "csv" {
		var buf bytes.Buffer
		if err := rk.WriteCSV(&buf); err != nil {
			return err
		}
		h := w.Header()
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="theme-ranking.csv"`)
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(buf.Bytes())
		return nil
	}
	d := rankingPage{Ranking: rk, Sort: rk.Sort, WithARR: rq.CustomerData, Notes: rk.Notes,
		CSVHref: "/themes/ranking?" + url.Values{"sort": {rk.Sort}, "format": {"csv"}}.Encode(),
		Overall: proportionText(rk.OverallWin, rk.MinN)}
	labels := map[string]string{service.SortTotal: "Total", service.SortARR: "ARR", service.SortPipeline: "Pipeline",
		service.SortLost: "Lost", service.SortVotes: "Votes", service.SortItems: "Items"}
	for _, k := range service.RankingSorts() {
		if k == service.SortARR && !d.WithARR {
			continue
		}
		d.Sorts = append(d.Sorts, sortLink{Key: k, Label: labels[k], Href: "/themes/ranking?sort=" + k, Current: k == rk.Sort})
	}
	for _, row := range rk.Rows {
		rr := rankRow{Rank: row.Rank, Theme: row.Theme, Href: themeHref(row.Theme), Title: row.Title, Items: row.Items, Accounts: row.Accounts,
			Votes:         countText(row.Votes.Total),
			VotesDetail:   fmt.Sprintf("%d critical, %d important, %d nice", row.Votes.Critical, row.Votes.Important, row.Votes.Nice),
			Pipeline:      moneyText(row.Pipeline.Value),
			PipelineDeals: fmt.Sprintf("%d open deal(s)", row.Pipeline.Deals), PipelineAmount: moneyText(row.Pipeline.Amount),
			Lost: moneyText(row.Lost.Value), LostDeals: fmt.Sprintf("%d lost deal(s)", row.Lost.Deals), Total: moneyText(row.Sum)}
		if row.Pipeline.Fallback > 0 {
			rr.PipelineDeals += fmt.Sprintf(", %d at the overall win rate", row.Pipeline.Fallback)
		}
		if row.ARR != nil {
			rr.ARR, rr.ARRAccounts = moneyText(row.ARR.Value), fmt.Sprintf("%d account(s)", row.ARR.Accounts)
		}
		d.Rows = append(d.Rows, rr)
	}
	for _, st := range rk.Stages {
		d.Stages = append(d.Stages, stageRow{Stage: st.Stage, Rate: proportionText(st.Rate, rk.MinN), Used: percent(100 * st.Used),
			Open: st.Open, Fallback: st.Fallback})
	}
	for _, k := range []string{"total", "arr", "pipeline", "lost", "votes", "items", "win_rate"} {
		if def, ok := rk.Definitions[k]; ok {
			d.Defs = append(d.Defs, [2]string{k, def})
		}
	}
	v := s.newView(r, "Themes by revenue at stake", "feedback")
	v.Data = d
	return s.render(w, http.StatusOK, "ranking", v)
}
