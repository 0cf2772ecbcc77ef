package web

// Competitive intelligence pages (issue 8): the competitor catalog with
// win rates and mentions, a competitor's page with its quarterly trend,
// mentions and versioned battlecard (edited in place), the intel quota,
// and the battlecards section of the deal page. Every win rate is printed
// with its n and 95% interval, or as "insufficient data".

import (
	"cmp"
	"html/template"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/chart"
	"github.com/tandemhq/tandem/internal/httpapi"
	"github.com/tandemhq/tandem/internal/intel"
	"github.com/tandemhq/tandem/internal/service"
)

// intelPages are the competitive-intelligence pages.
func (s *Site) intelPages(page pageFunc) []httpapi.Route {
	return []httpapi.Route{
		page("GET", "/competitors", auth.PermPipelineRead, "the competitor catalog with win rates and mentions", s.handleCompetitors),
		page("POST", "/competitors", auth.PermFeedbackAdmin, "add a competitor to the catalog", s.handleCompetitorAdd),
		page("POST", "/competitors/import", auth.PermFeedbackAdmin, "add the deals' competitor names the catalog does not know", s.handleCompetitorImport),
		page("GET", "/competitors/{id}", auth.PermPipelineRead, "a competitor: win rate and trend, mentions, battlecard and its versions", s.handleCompetitor),
		page("POST", "/competitors/{id}", auth.PermFeedbackAdmin, "change a competitor's name, aliases, website or notes", s.handleCompetitorSave),
		page("POST", "/competitors/{id}/battlecard", auth.PermFeedbackAdmin, "save a competitor's battlecard as a new version", s.handleBattlecardSave),
		page("GET", "/intel/quota", auth.PermPeopleRead, "intel items per rep in a month: leaderboard and reps below quota", s.handleIntelQuota),
	}
}

// intelFlashes are the confirmations an intel redirect may ask for.
var intelFlashes = map[string]string{
	"competitor-saved":     "The competitor is saved as a new version.",
	"competitors-imported": "The competitor names of deals that the catalog did not know are added to it.",
	"battlecard-saved":     "The battlecard is saved as a new version.",
}

// intelFlash returns the confirmation named by ?done=.
func intelFlash(r *http.Request) string {
	if m, ok := intelFlashes[r.URL.Query().Get("done")]; ok {
		return m
	}
	return flash(r)
}

// competitorHref is a competitor's page.
func competitorHref(id string) string { return "/competitors/" + url.PathEscape(id) }

// intelRate prints a win rate: value, interval and n, or insufficient data.
func intelRate(r intel.Rate) string { return r.Text() }

// intelInterval prints a rate's interval alone ("–" when insufficient).
func intelInterval(r intel.Rate) string {
	if r.Insufficient {
		return "–"
	}
	return percent(100*r.CILow) + " – " + percent(100*r.CIHigh)
}

// competitorForm is a competitor as its form shows it.
type competitorForm struct {
	Name, Aliases, Website, Notes string
	Version                       int
}

func competitorFormOf(c tandem.Competitor, version int) competitorForm {
	return competitorForm{Name: c.Name, Aliases: strings.Join(c.Aliases, ", "), Website: c.Website, Notes: c.Notes, Version: version}
}

// competitorFormFrom reads a posted competitor form.
func competitorFormFrom(r *http.Request) (competitorForm, error) {
	f := competitorForm{Name: r.PostFormValue("name"), Aliases: r.PostFormValue("aliases"), Website: r.PostFormValue("website"), Notes: r.PostFormValue("notes")}
	if v := strings.TrimSpace(r.PostFormValue("version")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return f, tandem.Errorf(tandem.EINVALID, "version: %q is not a version number", v)
		}
		f.Version = n
	}
	return f, nil
}

func (f competitorForm) competitor(id string) tandem.Competitor {
	return tandem.Competitor{ID: id, Name: f.Name, Aliases: splitList(f.Aliases), Website: f.Website, Notes: f.Notes}
}

// ---- GET /competitors ----

// competitorsPage is the catalog page.
type competitorsPage struct {
	Rows       []competitorRow
	Overall    string
	Definition string
	MinN       int
	CanAdmin   bool
	CanQuota   bool // the intel quota groups by rep: people:read
	Form       competitorForm
}

// competitorRow is one competitor of the catalog.
type competitorRow struct {
	Href, Name, Aliases, WinRate, Interval string
	N                                      int
	Insufficient                           bool
	Mentions                               intel.MentionCounts
	Battlecard                             int
}

func (s *Site) handleCompetitors(w http.ResponseWriter, r *http.Request) error {
	return s.competitors(w, r, http.StatusOK, "", nil)
}

func (s *Site) competitors(w http.ResponseWriter, r *http.Request, status int, problem string, form *competitorForm) error {
	p, err := require(r, auth.PermPipelineRead)
	if err != nil {
		return err
	}
	o, err := httpapi.IntelOptions(r.URL.Query())
	if err != nil {
		return err
	}
	cat, err := s.svc.CompetitorCatalogView(r.Context(), o)
	if err != nil {
		return err
	}
	d := competitorsPage{Overall: intelRate(cat.Overall), Definition: cat.Definition, MinN: cat.Options.MinSample, CanAdmin: p.Can(auth.PermFeedbackAdmin),
		CanQuota: p.Can(auth.PermPeopleRead)}
	if form != nil {
		d.Form = *form
	}
	for _, c := range cat.Competitors {
		d.Rows = append(d.Rows, competitorRow{Href: competitorHref(c.ID), Name: c.Name, Aliases: strings.Join(c.Aliases, ", "),
			WinRate: intelRate(c.WinRate), Interval: intelInterval(c.WinRate), N: c.WinRate.N, Insufficient: c.WinRate.Insufficient,
			Mentions: c.Mentions, Battlecard: c.BattlecardVersion})
	}
	v := s.newView(r, "Competitors", "competitors")
	v.Flash, v.Problem, v.Data = intelFlash(r), problem, d
	return s.render(w, status, "competitors", v)
}

func (s *Site) handleCompetitorAdd(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermFeedbackAdmin); err != nil {
		return err
	}
	f, err := competitorFormFrom(r)
	if err == nil {
		var e service.CompetitorEntry
		if e, err = s.svc.SaveCompetitor(r.Context(), httpapi.Actor(r), f.competitor(""), 0); err == nil {
			return redirect(w, r, competitorHref(e.ID)+"?done=competitor-saved")
		}
	}
	if userProblem(err) {
		return s.competitors(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), &f)
	}
	return err
}

func (s *Site) handleCompetitorImport(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermFeedbackAdmin); err != nil {
		return err
	}
	if _, err := s.svc.ImportCompetitorsFromDeals(r.Context(), httpapi.Actor(r), true); err != nil {
		return err
	}
	return redirect(w, r, "/competitors?done=competitors-imported")
}

// ---- GET /competitors/{id} ----

// competitorPage is a competitor's page.
type competitorPage struct {
	ID, Href, Name, Aliases, Website, Notes string
	Version                                 int
	MinN                                    int
	Figures                                 []figView
	Difference, Definition                  string
	Trend                                   []quarterRow
	Chart                                   template.HTML
	Mentions                                intel.MentionCounts
	Latest                                  []mentionRow
	// Card is the battlecard version shown (the latest, or ?version=N);
	// nil when none is written.
	Card          *cardView
	LatestVersion int
	History       []cardVersionRow
	CanAdmin      bool
	Form          competitorForm
	CardForm      cardForm
}

// quarterRow is one quarter of the trend table.
type quarterRow struct {
	Quarter, Text string
	N             int
	Insufficient  bool
}

// mentionRow is one mention as the page lists it.
type mentionRow struct {
	Source, Href, Ref, Title, Date, Rep string
}

// cardView is a battlecard as pages show it.
type cardView struct {
	Name, Href                                    string
	Version                                       int
	At, Author, Note                              string
	Old                                           bool // an older version than the latest
	Summary                                       string
	Strengths, Weaknesses, Landmines, ProofPoints []string
	Objections                                    []tandem.Objection
	Empty                                         bool
}

func cardViewOf(name, id string, b service.BattlecardVersion, latest int) *cardView {
	c := b.Battlecard
	return &cardView{Name: name, Href: competitorHref(id), Version: b.Version, At: dateText(b.At), Author: b.Author, Note: b.Note, Old: b.Version != latest,
		Summary: c.Summary, Strengths: c.Strengths, Weaknesses: c.Weaknesses, Landmines: c.Landmines, ProofPoints: c.ProofPoints, Objections: c.Objections,
		Empty: c.Summary == "" && len(c.Strengths)+len(c.Weaknesses)+len(c.Landmines)+len(c.ProofPoints)+len(c.Objections) == 0}
}

// cardVersionRow is one version of the battlecard's history.
type cardVersionRow struct {
	Version                int
	Href, At, Author, Note string
	Changes                []string
}

// cardForm is the battlecard editor: lists one entry per line, objections
// as rows (the stored ones and two blank).
type cardForm struct {
	Version                                                int
	Summary, Strengths, Weaknesses, Landmines, ProofPoints string
	Objections                                             []objectionRow
	Note                                                   string
}

// objectionRow is one objection of the editor.
type objectionRow struct {
	Index               int
	Objection, Response string
}

func cardFormOf(b tandem.Battlecard, version int) cardForm {
	f := cardForm{Version: version, Summary: b.Summary, Strengths: strings.Join(b.Strengths, "\n"), Weaknesses: strings.Join(b.Weaknesses, "\n"),
		Landmines: strings.Join(b.Landmines, "\n"), ProofPoints: strings.Join(b.ProofPoints, "\n")}
	for i, o := range b.Objections {
		f.Objections = append(f.Objections, objectionRow{Index: i, Objection: o.Objection, Response: o.Response})
	}
	return f.withBlanks()
}

// withBlanks adds two empty objection rows.
func (f cardForm) withBlanks() cardForm {
	n := len(f.Objections)
	f.Objections = append(f.Objections, objectionRow{Index: n}, objectionRow{Index: n + 1})
	return f
}

// cardLines splits a textarea into its non-empty lines.
func cardLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// cardFormFrom reads a posted battlecard form.
func cardFormFrom(r *http.Request) (cardForm, tandem.Battlecard, error) {
	if err := r.ParseForm(); err != nil {
		return cardForm{}, tandem.Battlecard{}, tandem.Errorf(tandem.EINVALID, "malformed form: %v", err)
	}
	f := cardForm{Summary: r.PostFormValue("summary"), Strengths: r.PostFormValue("strengths"), Weaknesses: r.PostFormValue("weaknesses"),
		Landmines: r.PostFormValue("landmines"), ProofPoints: r.PostFormValue("proof_points"), Note: r.PostFormValue("note")}
	b := tandem.Battlecard{Summary: f.Summary, Strengths: cardLines(f.Strengths), Weaknesses: cardLines(f.Weaknesses), Landmines: cardLines(f.Landmines), ProofPoints: cardLines(f.ProofPoints)}
	objs, resps := r.PostForm["objection"], r.PostForm["response"]
	for i := range max(len(objs), len(resps)) {
		var o tandem.Objection
		if i < len(objs) {
			o.Objection = objs[i]
		}
		if i < len(resps) {
			o.Response = resps[i]
		}
		if strings.TrimSpace(o.Objection) == "" && strings.TrimSpace(o.Response) == "" {
			continue
		}
		f.Objections = append(f.Objections, objectionRow{Index: len(f.Objections), Objection: o.Objection, Response: o.Response})
		b.Objections = append(b.Objections, o)
	}
	f = f.withBlanks()
	v := strings.TrimSpace(r.PostFormValue("version"))
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return f, b, tandem.Errorf(tandem.EINVALID, "version: %q is not a version number", v)
	}
	f.Version = n
	return f, b, nil
}

// changeTexts renders a version's changes as sentences.
func changeTexts(cs []intel.Change) []string {
	var out []string
	for _, c := range cs {
		field := strings.ReplaceAll(c.Field, "_", " ")
		if c.Field == "summary" {
			switch {
			case c.Before == "":
				out = append(out, "summary written")
			case c.After == "":
				out = append(out, "summary removed")
			default:
				out = append(out, "summary rewritten")
			}
			continue
		}
		for _, a := range c.Added {
			out = append(out, field+" + "+a)
		}
		for _, x := range c.Removed {
			out = append(out, field+" − "+x)
		}
	}
	return out
}

// mentionHref links a mention to its deal or feedback item.
func mentionHref(m intel.Mention) string {
	if m.Source == intel.SourceDeal {
		return dealHref(m.Ref)
	}
	return "/feedback/" + url.PathEscape(m.Ref)
}

func (s *Site) handleCompetitor(w http.ResponseWriter, r *http.Request) error {
	return s.competitor(w, r, http.StatusOK, "", nil, nil)
}

func (s *Site) competitor(w http.ResponseWriter, r *http.Request, status int, problem string, form *competitorForm, card *cardForm) error {
	p, err := require(r, auth.PermPipelineRead)
	if err != nil {
		return err
	}
	o, err := httpapi.IntelOptions(r.URL.Query())
	if err != nil {
		return err
	}
	version, err := versionParam(r)
	if err != nil {
		return err
	}
	ctx := r.Context()
	c, err := s.svc.CompetitorView(ctx, r.PathValue("id"), o)
	if err != nil {
		return err
	}
	rt := c.Rates
	d := competitorPage{ID: c.ID, Href: competitorHref(c.ID), Name: c.Name, Aliases: strings.Join(c.Aliases, ", "), Website: c.Website, Notes: c.Notes,
		Version: c.Version, MinN: c.Options.MinSample, Difference: c.DifferenceText, Definition: c.Definition, Mentions: c.Mentions,
		CanAdmin: p.Can(auth.PermFeedbackAdmin), Form: competitorFormOf(c.Competitor, c.Version),
		Figures: []figView{
			{Label: "Win rate against " + c.Name, Text: intelRate(rt.Against), Insufficient: rt.Against.Insufficient, Note: "closed deals where it competed"},
			{Label: "Win rate without it", Text: intelRate(rt.Without), Insufficient: rt.Without.Insufficient, Note: "the other closed deals"},
			{Label: "Our overall win rate", Text: intelRate(rt.Overall), Insufficient: rt.Overall.Insufficient, Note: "every closed deal"},
		}}
	if strings.HasPrefix(c.Website, "https://") || strings.HasPrefix(c.Website, "http://") {
		d.Website = c.Website
	}
	var pts []chart.Point
	for _, q := range rt.Trend {
		d.Trend = append(d.Trend, quarterRow{Quarter: q.Quarter, Text: intelRate(q.Rate), N: q.N, Insufficient: q.Insufficient})
		pt := chart.Point{Label: q.Quarter, Value: q.Value, Low: q.CILow, High: q.CIHigh, N: q.N, Insufficient: q.Insufficient, Text: intelRate(q.Rate)}
		if q.N == 0 {
			pt.Value, pt.Low, pt.High = math.NaN(), math.NaN(), math.NaN()
		}
		pts = append(pts, pt)
	}
	if len(pts) > 0 {
		d.Chart = chart.Trend([]chart.Series{{Name: "Win rate against " + c.Name, Points: pts}},
			chart.Options{Title: "Win rate against " + c.Name + " by quarter, 95% intervals", Unit: "proportion"})
	}
	for _, m := range c.Latest {
		d.Latest = append(d.Latest, mentionRow{Source: m.Source, Href: mentionHref(m), Ref: m.Ref, Title: m.Title, Date: dateText(m.Date), Rep: cmp.Or(m.RepName, m.Rep)})
	}
	if c.Battlecard != nil {
		d.LatestVersion = c.Battlecard.Version
		shown := *c.Battlecard
		if version != 0 && version != shown.Version {
			if shown, err = s.svc.Battlecard(ctx, c.ID, version); err != nil {
				return err
			}
		}
		d.Card = cardViewOf(c.Name, c.ID, shown, d.LatestVersion)
		d.CardForm = cardFormOf(c.Battlecard.Battlecard, c.Battlecard.Version)
		hist, err := s.svc.BattlecardHistory(ctx, c.ID)
		if err != nil {
			return err
		}
		for _, h := range hist {
			d.History = append(d.History, cardVersionRow{Version: h.Version, Href: d.Href + "?version=" + strconv.Itoa(h.Version) + "#battlecard",
				At: h.At.UTC().Format(time.DateTime), Author: h.Author, Note: h.Note, Changes: changeTexts(h.Changes)})
		}
	} else {
		if version != 0 {
			return tandem.Errorf(tandem.ENOTFOUND, "no battlecard for %q yet", c.ID)
		}
		d.CardForm = cardFormOf(tandem.Battlecard{}, 0)
	}
	if form != nil {
		d.Form = *form
	}
	if card != nil {
		d.CardForm = *card
	}
	v := s.newView(r, c.Name, "competitors")
	v.Flash, v.Problem, v.Data = intelFlash(r), problem, d
	return s.render(w, status, "competitor", v)
}

func (s *Site) handleCompetitorSave(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermFeedbackAdmin); err != nil {
		return err
	}
	id := r.PathValue("id")
	f, err := competitorFormFrom(r)
	if err == nil {
		if f.Version < 1 {
			err = tandem.Errorf(tandem.EINVALID, "version: the form lost the version it edits; reload the page")
		} else if _, err = s.svc.SaveCompetitor(r.Context(), httpapi.Actor(r), f.competitor(id), f.Version); err == nil {
			return redirect(w, r, competitorHref(id)+"?done=competitor-saved")
		}
	}
	if userProblem(err) {
		return s.competitor(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), &f, nil)
	}
	return err
}

func (s *Site) handleBattlecardSave(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermFeedbackAdmin); err != nil {
		return err
	}
	id := r.PathValue("id")
	f, b, err := cardFormFrom(r)
	if err == nil {
		if _, err = s.svc.SaveBattlecard(r.Context(), httpapi.Actor(r), id, b, f.Version, f.Note); err == nil {
			return redirect(w, r, competitorHref(id)+"?done=battlecard-saved#battlecard")
		}
	}
	if userProblem(err) {
		return s.competitor(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), nil, &f)
	}
	return err
}

// ---- GET /intel/quota ----

// quotaPage is the intel quota page.
type quotaPage struct {
	Month, Prev, Next string
	Report            intel.QuotaReport
}

func (s *Site) handleIntelQuota(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermPeopleRead); err != nil {
		return err
	}
	var month time.Time
	if v := strings.TrimSpace(r.URL.Query().Get("month")); v != "" {
		var err error
		if month, err = intel.ParseMonth(v); err != nil {
			return err
		}
	}
	rep, err := s.svc.IntelQuota(r.Context(), month)
	if err != nil {
		return err
	}
	m, _ := intel.ParseMonth(rep.Month)
	d := quotaPage{Month: rep.Month, Prev: m.AddDate(0, -1, 0).Format("2006-01"), Next: m.AddDate(0, 1, 0).Format("2006-01"), Report: rep}
	v := s.newView(r, "Intel quota "+rep.Month, "competitors")
	v.Data = d
	return s.render(w, http.StatusOK, "intel_quota", v)
}

// ---- the deal page's battlecards ----

// dealBattlecardsOf is the battlecards section of a deal's page: the
// catalog competitors on the deal, each with its latest battlecard.
func (s *Site) dealBattlecardsOf(r *http.Request, dealID string) ([]dealCard, error) {
	cards, err := s.svc.DealBattlecards(r.Context(), dealID)
	if err != nil {
		return nil, err
	}
	out := make([]dealCard, 0, len(cards))
	for _, c := range cards {
		dc := dealCard{Name: c.Competitor.Name, Href: competitorHref(c.Competitor.ID), Via: viaText(c.Via)}
		if c.Battlecard != nil {
			dc.Card = cardViewOf(c.Competitor.Name, c.Competitor.ID, *c.Battlecard, c.Battlecard.Version)
		}
		out = append(out, dc)
	}
	return out, nil
}

// dealCard is one competitor on a deal with its battlecard (nil while
// none is written).
type dealCard struct {
	Name, Href, Via string
	Card            *cardView
}

// viaText says how a competitor is on a deal.
func viaText(via []string) string {
	deal, items := false, 0
	for _, v := range via {
		if v == intel.SourceDeal {
			deal = true
		} else {
			items++
		}
	}
	var parts []string
	if deal {
		parts = append(parts, "named on the deal")
	}
	switch items {
	case 0:
	case 1:
		parts = append(parts, "mentioned in 1 feedback item")
	default:
		parts = append(parts, "mentioned in "+strconv.Itoa(items)+" feedback items")
	}
	return strings.Join(parts, "; ")
}
