package web

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/httpapi"
	"github.com/tandemhq/tandem/internal/service"
	"github.com/tandemhq/tandem/internal/winloss"
	"go.yaml.in/yaml/v3"
)

// winlossPages are the win/loss and post-mortem pages of issue 8: the
// reasons report with the gap and the roadmap check, the taxonomy, buyer
// interviews and post-mortems.
func (s *Site) winlossPages(page pageFunc) []httpapi.Route {
	return []httpapi.Route{
		page("GET", "/winloss", auth.PermPipelineRead, "win/loss reasons by period, segment, competitor or product; rep-versus-buyer gap; roadmap check", s.handleWinLoss),
		page("POST", "/winloss/reasons", auth.PermFeedbackWrite, "record a reason a deal was won or lost", s.handleReasonSave),
		page("GET", "/winloss/taxonomy", auth.PermPipelineRead, "the reason taxonomy and its value map", s.handleTaxonomy),
		page("POST", "/winloss/taxonomy", auth.PermFeedbackAdmin, "save the reason taxonomy (YAML or JSON); refused whole with every problem", s.handleTaxonomySave),
		page("GET", "/winloss/interviews", auth.PermPipelineRead, "buyer interviews and the form to record one", s.handleInterviews),
		page("POST", "/winloss/interviews", auth.PermFeedbackWrite, "record a buyer interview", s.handleInterviewSave),
		page("GET", "/postmortems", auth.PermPipelineRead, "post-mortems, the ones missing, and root causes over time", s.handlePostmortems),
		page("POST", "/postmortems", auth.PermFeedbackAdmin, "write a post-mortem", s.handlePostmortemCreate),
		page("GET", "/postmortems/{id}", auth.PermPipelineRead, "one post-mortem, and its edit form", s.handlePostmortem),
		page("POST", "/postmortems/{id}", auth.PermFeedbackAdmin, "save a new version of a post-mortem", s.handlePostmortemSave),
	}
}

// shareText is a proportion estimate as text, with its interval and n.
func shareText(e tandem.Estimate) string { return analytics.FormatEstimate("proportion", e) }

// defsOf turns a definitions map into sorted pairs for the "defs" part.
func defsOf(m map[string]string) [][2]string {
	out := make([][2]string, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, [2]string{k, m[k]})
	}
	return out
}

// ---- /winloss ----

// winlossForm is the report's parameters as typed.
type winlossForm struct {
	By, Outcome, Source, From, To, MinN, Date string
}

// reasonRow is one reason of one group.
type reasonRow struct {
	Label, Code, Share string
	Deals              int
	Insufficient       bool
}

// reasonGroupView is one group of the report.
type reasonGroupView struct {
	Key          string
	N            int
	Insufficient bool
	Rows         []reasonRow
}

// gapRowView is one row of the gap table.
type gapRowView struct {
	Label, Rep, Buyer, Diff  string
	Both, RepOnly, BuyerOnly int
}

// reasonForm is the form that records a reason for a deal, as typed.
type reasonForm struct {
	Deal, Code, Source, Confidence, Note string
}

// winlossView is the /winloss page.
type winlossView struct {
	Form       winlossForm
	Reason     reasonForm
	Codes      [][2]string
	Sources    []string
	Confidence []string
	CanWrite   bool
	Bys        [][2]string
	Report     *winloss.ReasonsReport
	Groups     []reasonGroupView
	Gap        *winloss.GapReport
	GapRows    []gapRowView
	Check      *checkView
	Defs       [][2]string
	Notes      []string
	CanAdmin   bool
}

// checkView is the roadmap check as the panel shows it.
type checkView struct {
	Report *winloss.RoadmapReport
	Badge  string
	Rows   []checkRow
}

// checkRow is one of the top reasons.
type checkRow struct {
	Rank                       int
	Label, Share, Revenue, Why string
	Deals, WithAmount          int
	Addressed                  bool
	Features                   string
}

func checkViewOf(rc *winloss.RoadmapReport) *checkView {
	cv := &checkView{Report: rc, Badge: "badge"}
	switch rc.Status {
	case winloss.StatusGreen:
		cv.Badge = "badge badge-good"
	case winloss.StatusRed:
		cv.Badge = "badge badge-bad"
	}
	for _, r := range rc.Reasons {
		var fs []string
		for _, f := range r.Features {
			fs = append(fs, fmt.Sprintf("%s (%s)", f.Name, f.Status))
		}
		cv.Rows = append(cv.Rows, checkRow{Rank: r.Rank, Label: r.Label, Share: shareText(r.Share), Revenue: analytics.FormatNumber("money", r.LostRevenue),
			Why: r.Why, Deals: r.Deals, WithAmount: r.WithAmount, Addressed: r.Addressed, Features: strings.Join(fs, ", ")})
	}
	return cv
}

func (s *Site) handleWinLoss(w http.ResponseWriter, r *http.Request) error {
	return s.winloss(w, r, http.StatusOK, "", nil)
}

// winloss renders /winloss, with the reason form as typed and its
// problem when a recorded reason was refused.
func (s *Site) winloss(w http.ResponseWriter, r *http.Request, status int, problem string, reason *reasonForm) error {
	p, err := require(r, auth.PermPipelineRead)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := winlossForm{By: q.Get("by"), Outcome: cmp.Or(q.Get("outcome"), "lost"), Source: q.Get("source"), From: q.Get("from"), To: q.Get("to"), MinN: q.Get("min_n"), Date: q.Get("date")}
	from, to, o, err := httpapi.WinLossParams(q)
	if err != nil {
		return err
	}
	ctx := r.Context()
	rq := winloss.ReasonsQuery{By: f.By, Outcome: f.Outcome, Source: f.Source, From: from, To: to}
	rep, err := s.svc.WinLossReasons(ctx, rq, o)
	if err != nil {
		return err
	}
	gap, err := s.svc.WinLossGap(ctx, winloss.GapQuery{Outcome: f.Outcome, From: from, To: to}, o)
	if err != nil {
		return err
	}
	date, err := httpapi.RoadmapDate(q)
	if err != nil {
		return err
	}
	rc, err := s.svc.RoadmapCheck(ctx, date, o)
	if err != nil {
		return err
	}
	tv, err := s.svc.Taxonomy(ctx)
	if err != nil {
		return err
	}
	d := winlossView{Form: f, Report: rep, Gap: gap, Check: checkViewOf(rc), Defs: defsOf(rep.Definitions), Notes: append(slices.Clone(rep.Notes), gap.Notes...),
		CanAdmin: p.Can(auth.PermFeedbackAdmin), CanWrite: p.Can(auth.PermFeedbackWrite), Codes: reasonCodes(tv.Taxonomy),
		Reason:     reasonForm{Source: tandem.ReasonByRep, Confidence: tandem.ConfidenceMedium},
		Sources:    []string{tandem.ReasonByRep, tandem.ReasonByInterview, tandem.ReasonBySurvey},
		Confidence: confidences(),
		Bys:        [][2]string{{"", "all deals"}, {"quarter", "quarter"}, {"segment", "segment"}, {"competitor", "competitor"}, {"product", "product"}}}
	for _, g := range rep.Groups {
		gv := reasonGroupView{Key: g.Key, N: g.N, Insufficient: g.Insufficient}
		for _, x := range g.Reasons {
			gv.Rows = append(gv.Rows, reasonRow{Label: x.Label, Code: x.Code, Share: shareText(x.Estimate), Deals: x.Deals, Insufficient: x.Estimate.Insufficient})
		}
		d.Groups = append(d.Groups, gv)
	}
	for _, g := range gap.Rows {
		d.GapRows = append(d.GapRows, gapRowView{Label: g.Label, Rep: shareText(g.Rep), Buyer: shareText(g.Buyer), Diff: analytics.FormatEstimate("difference", g.Diff),
			Both: g.Both, RepOnly: g.RepOnly, BuyerOnly: g.BuyerOnly})
	}
	if reason != nil {
		d.Reason = *reason
	}
	v := s.newView(r, "Win/loss", "winloss")
	v.Flash, v.Problem, v.Data = flash(r), problem, d
	if r.URL.Query().Get("done") == "reason-saved" {
		v.Flash = "Reason recorded."
	}
	return s.render(w, status, "winloss_report", v)
}

// reasonCodes lists a taxonomy's reasons as (code, label) pairs for the
// forms' selects and checkboxes.
func reasonCodes(t tandem.Taxonomy) [][2]string {
	out := make([][2]string, 0, len(t.Reasons))
	for _, rd := range t.Reasons {
		out = append(out, [2]string{rd.Code, rd.Label})
	}
	return out
}

// confidences are the confidence levels a reason may have.
func confidences() []string {
	return []string{tandem.ConfidenceLow, tandem.ConfidenceMedium, tandem.ConfidenceHigh}
}

// handleReasonSave records one reason for a deal from the form on
// /winloss; a refused reason shows the page again with the problem and
// the form as typed.
func (s *Site) handleReasonSave(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermFeedbackWrite); err != nil {
		return err
	}
	f := reasonForm{Deal: strings.TrimSpace(r.PostFormValue("deal")), Code: r.PostFormValue("code"), Source: r.PostFormValue("source"),
		Confidence: r.PostFormValue("confidence"), Note: strings.TrimSpace(r.PostFormValue("note"))}
	var err error
	if f.Deal == "" {
		err = tandem.Errorf(tandem.EINVALID, "deal: give the id of a won or lost deal")
	} else {
		_, err = s.svc.AddDealReasons(r.Context(), httpapi.Actor(r), f.Deal,
			[]tandem.DealReason{{Code: f.Code, Source: f.Source, Confidence: f.Confidence, Note: f.Note}})
	}
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		err = tandem.Errorf(tandem.EINVALID, "deal: no deal %q", f.Deal)
	}
	if userProblem(err) {
		return s.winloss(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), &f)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/winloss?done=reason-saved#record-reason")
}

// ---- /winloss/taxonomy ----

// taxonomyPage is the taxonomy page.
type taxonomyPage struct {
	View     service.TaxonomyView
	ValueMap [][2]string
	Source   string
	Note     string
	Version  int
	Problems []string
	CanAdmin bool
}

// taxonomyYAML writes a taxonomy as YAML with its JSON field names.
func taxonomyYAML(t tandem.Taxonomy) string {
	b, err := json.Marshal(t)
	if err != nil {
		return ""
	}
	var generic any
	if err := json.Unmarshal(b, &generic); err != nil {
		return ""
	}
	y, err := yaml.Marshal(generic)
	if err != nil {
		return string(b)
	}
	return string(y)
}

func (s *Site) handleTaxonomy(w http.ResponseWriter, r *http.Request) error {
	return s.taxonomy(w, r, http.StatusOK, "", nil, nil)
}

func (s *Site) taxonomy(w http.ResponseWriter, r *http.Request, status int, problem string, form *taxonomyPage, problems []string) error {
	p, err := require(r, auth.PermPipelineRead)
	if err != nil {
		return err
	}
	tv, err := s.svc.Taxonomy(r.Context())
	if err != nil {
		return err
	}
	d := taxonomyPage{View: tv, Source: taxonomyYAML(tv.Taxonomy), Version: tv.Version, CanAdmin: p.Can(auth.PermFeedbackAdmin), Problems: problems}
	for _, k := range slices.Sorted(maps.Keys(tv.Taxonomy.ValueMap)) {
		d.ValueMap = append(d.ValueMap, [2]string{k, tv.Taxonomy.ValueMap[k]})
	}
	if form != nil {
		d.Source, d.Note, d.Version = form.Source, form.Note, form.Version
	}
	v := s.newView(r, "Win/loss taxonomy", "winloss")
	v.Flash, v.Problem, v.Data = flash(r), problem, d
	if r.URL.Query().Get("done") == "taxonomy-saved" {
		v.Flash = "Taxonomy saved as a new version."
	}
	return s.render(w, status, "winloss_taxonomy", v)
}

func (s *Site) handleTaxonomySave(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermFeedbackAdmin); err != nil {
		return err
	}
	f := taxonomyPage{Source: strings.ReplaceAll(r.PostFormValue("source"), "\r\n", "\n"), Note: strings.TrimSpace(r.PostFormValue("note"))}
	version, err := strconv.Atoi(r.PostFormValue("version"))
	if err != nil || version < 0 {
		return tandem.Errorf(tandem.EINVALID, "version: %q is not a version", r.PostFormValue("version"))
	}
	f.Version = version
	_, err = s.svc.ApplyTaxonomy(r.Context(), httpapi.Actor(r), "taxonomy", []byte(f.Source), version, f.Note)
	if userProblem(err) {
		var ve *winloss.ValidationError
		if errors.As(err, &ve) {
			return s.taxonomy(w, r, tandem.HTTPStatus(err), "the taxonomy is refused and nothing changed: fix every problem listed below and save again.", &f, ve.Problems)
		}
		return s.taxonomy(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), &f, nil)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/winloss/taxonomy?done=taxonomy-saved")
}

// ---- /winloss/interviews ----

// interviewRow is an interview in the list.
type interviewRow struct {
	ID, DealID, DealHref, Kind, Interviewee, Role, Date, Reasons string
	Answers                                                      []tandem.Answer
}

// interviewForm is the interview form as typed. More asks for three
// more answer rows (the "more rows" button) instead of saving.
type interviewForm struct {
	Deal, Kind, Interviewee, Role, Date string
	Questions, Answers, Scores          []string
	Codes                               []string
	Confidence                          string
	More                                bool
}

// maxRows is the most answer rows the interview form offers.
const maxRows = 30

// interviewsPage is the interviews page.
type interviewsPage struct {
	Rows        []interviewRow
	Form        interviewForm
	Codes       [][2]string
	Confidences []string
	CanWrite    bool
	MoreRows    bool // the form may grow by three rows
	Deal        string
}

func (s *Site) handleInterviews(w http.ResponseWriter, r *http.Request) error {
	return s.interviews(w, r, http.StatusOK, "", nil)
}

func (s *Site) interviews(w http.ResponseWriter, r *http.Request, status int, problem string, form *interviewForm) error {
	p, err := require(r, auth.PermPipelineRead)
	if err != nil {
		return err
	}
	ctx := r.Context()
	deal := r.URL.Query().Get("deal")
	list, err := s.svc.InterviewList(ctx, deal)
	if err != nil {
		return err
	}
	tv, err := s.svc.Taxonomy(ctx)
	if err != nil {
		return err
	}
	m := winloss.NewMapper(tv.Taxonomy)
	d := interviewsPage{CanWrite: p.Can(auth.PermFeedbackWrite), Deal: deal,
		Form: interviewForm{Deal: deal, Kind: tandem.ReasonByInterview, Confidence: tandem.ConfidenceMedium, Questions: make([]string, 3), Answers: make([]string, 3), Scores: make([]string, 3)}}
	if form != nil {
		d.Form = *form
	}
	d.Confidences = confidences()
	// The form shows questions, answers and scores side by side: make
	// the three lists as long as the longest (at least three rows, and
	// three more each time "more rows" is pressed, up to maxRows).
	rows := max(3, len(d.Form.Questions), len(d.Form.Answers), len(d.Form.Scores))
	if d.Form.More && rows < maxRows {
		rows = min(rows+3, maxRows)
	}
	d.Form.More = false
	pad := func(xs []string) []string { return append(slices.Clone(xs), make([]string, rows-len(xs))...) }
	d.Form.Questions, d.Form.Answers, d.Form.Scores = pad(d.Form.Questions), pad(d.Form.Answers), pad(d.Form.Scores)
	d.MoreRows = rows < maxRows
	d.Codes = reasonCodes(tv.Taxonomy)
	for _, iv := range list {
		var rs []string
		for _, x := range iv.Reasons {
			rs = append(rs, fmt.Sprintf("%s (%s)", m.Label(x.Code), x.Confidence))
		}
		d.Rows = append(d.Rows, interviewRow{ID: iv.ID, DealID: iv.DealID, DealHref: "/deals/" + url.PathEscape(iv.DealID), Kind: iv.Kind,
			Interviewee: iv.Interviewee, Role: iv.Role, Date: dateText(iv.Date), Reasons: strings.Join(rs, "; "), Answers: iv.Answers})
	}
	v := s.newView(r, "Buyer interviews", "winloss")
	v.Flash, v.Problem, v.Data = flash(r), problem, d
	if r.URL.Query().Get("done") == "interview-saved" {
		v.Flash = "Interview recorded."
	}
	return s.render(w, status, "winloss_interviews", v)
}

func (s *Site) handleInterviewSave(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermFeedbackWrite); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return tandem.Errorf(tandem.EINVALID, "malformed form: %v", err)
	}
	pf := r.PostForm
	f := interviewForm{Deal: strings.TrimSpace(pf.Get("deal")), Kind: pf.Get("kind"), Interviewee: strings.TrimSpace(pf.Get("interviewee")),
		Role: strings.TrimSpace(pf.Get("role")), Date: strings.TrimSpace(pf.Get("date")), Questions: pf["question"], Answers: pf["answer"],
		Scores: pf["score"], Codes: pf["code"], Confidence: cmp.Or(pf.Get("confidence"), tandem.ConfidenceMedium), More: pf.Get("more") != ""}
	if f.More {
		// Nothing is saved: the form comes back as typed, three rows longer.
		return s.interviews(w, r, http.StatusOK, "", &f)
	}
	iv := tandem.Interview{DealID: f.Deal, Kind: f.Kind, Interviewee: f.Interviewee, Role: f.Role}
	problem := ""
	if f.Date != "" {
		t, err := time.Parse(time.DateOnly, f.Date)
		if err != nil {
			problem = fmt.Sprintf("date: %q is not a day (YYYY-MM-DD)", f.Date)
		}
		iv.Date = t
	}
	for i, q := range f.Questions {
		q = strings.TrimSpace(q)
		ans := ""
		if i < len(f.Answers) {
			ans = strings.TrimSpace(f.Answers[i])
		}
		if q == "" && ans == "" {
			continue
		}
		a := tandem.Answer{Question: q, Answer: ans}
		if i < len(f.Scores) && strings.TrimSpace(f.Scores[i]) != "" {
			n, err := strconv.Atoi(strings.TrimSpace(f.Scores[i]))
			if err != nil {
				problem = fmt.Sprintf("score %q is not a whole number from 1 to 5", f.Scores[i])
			}
			a.Score = &n
		}
		iv.Answers = append(iv.Answers, a)
	}
	for _, c := range f.Codes {
		iv.Reasons = append(iv.Reasons, tandem.DealReason{Code: c, Confidence: f.Confidence})
	}
	if problem != "" {
		return s.interviews(w, r, http.StatusBadRequest, problem, &f)
	}
	_, err := s.svc.CreateInterview(r.Context(), httpapi.Actor(r), iv)
	if userProblem(err) {
		return s.interviews(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), &f)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/winloss/interviews?done=interview-saved")
}

// ---- /postmortems ----

// postmortemRow is a post-mortem in the list.
type postmortemRow struct {
	ID, Href, Subject, SubjectID, SubjectName, SubjectHref, Causes, Date string
	Actions, Open                                                        int
}

// missingRow is a lost deal or churned account without a post-mortem.
type missingRow struct {
	Subject, SubjectID, Name, Href, Amount, Date, Why string
}

// causeRow is one root cause across the periods.
type causeRow struct {
	Cause string
	Cells []string
}

// postmortemForm is a post-mortem as the form shows it.
type postmortemForm struct {
	ID, Subject, SubjectID, Summary, Evidence, Actions, Date string
	Causes                                                   []string
	Version                                                  int
}

// postmortemsPage is the post-mortems page.
type postmortemsPage struct {
	Rows      []postmortemRow
	Missing   []missingRow
	MinAmount string
	Periods   []string
	PeriodNs  []int
	Causes    []causeRow
	Defs      [][2]string
	Notes     []string
	Form      postmortemForm
	AllCauses []string
	CanAdmin  bool
}

func subjectHref(subject, id string) string {
	if subject == winloss.SubjectAccount {
		return "/accounts/" + url.PathEscape(id)
	}
	return "/deals/" + url.PathEscape(id)
}

func (s *Site) handlePostmortems(w http.ResponseWriter, r *http.Request) error {
	return s.postmortems(w, r, http.StatusOK, "", nil)
}

func (s *Site) postmortems(w http.ResponseWriter, r *http.Request, status int, problem string, form *postmortemForm) error {
	p, err := require(r, auth.PermPipelineRead)
	if err != nil {
		return err
	}
	ctx := r.Context()
	q := r.URL.Query()
	from, to, o, err := httpapi.WinLossParams(q)
	if err != nil {
		return err
	}
	list, err := s.svc.Postmortems(ctx)
	if err != nil {
		return err
	}
	rep, err := s.svc.PostmortemReport(ctx, from, to, o, p.Can(auth.PermCustomersRead))
	if err != nil {
		return err
	}
	d := postmortemsPage{MinAmount: analytics.FormatNumber("money", rep.MinAmount), Notes: append(slices.Clone(rep.Notes), rep.RootCauses.Notes...),
		Defs: defsOf(rep.RootCauses.Definitions), AllCauses: tandem.RootCauses, CanAdmin: p.Can(auth.PermFeedbackAdmin),
		Form: postmortemForm{Subject: q.Get("subject"), SubjectID: q.Get("subject_id")}}
	if d.Form.Subject == "" {
		d.Form.Subject = winloss.SubjectDeal
	}
	if form != nil {
		d.Form = *form
	}
	for _, pm := range list {
		open := 0
		for _, a := range pm.Actions {
			if !a.Done {
				open++
			}
		}
		d.Rows = append(d.Rows, postmortemRow{ID: pm.ID, Href: "/postmortems/" + url.PathEscape(pm.ID), Subject: pm.Subject, SubjectID: pm.SubjectID,
			SubjectName: pm.SubjectName, SubjectHref: subjectHref(pm.Subject, pm.SubjectID), Causes: strings.Join(pm.Causes, ", "), Date: dateText(pm.Date),
			Actions: len(pm.Actions), Open: open})
	}
	for _, m := range rep.Missing {
		amount := analytics.FormatNumber("money", m.Amount)
		if m.Subject == winloss.SubjectAccount {
			amount += " MRR"
		}
		d.Missing = append(d.Missing, missingRow{Subject: m.Subject, SubjectID: m.SubjectID, Name: m.Name, Href: subjectHref(m.Subject, m.SubjectID),
			Amount: amount, Date: dateText(m.Date), Why: m.Why})
	}
	periods := append(slices.Clone(rep.RootCauses.Periods), rep.RootCauses.Total)
	if rep.RootCauses.Total.N > 0 {
		for _, pr := range periods {
			d.Periods = append(d.Periods, pr.Quarter)
			d.PeriodNs = append(d.PeriodNs, pr.N)
		}
		for i, c := range tandem.RootCauses {
			row := causeRow{Cause: c}
			for _, pr := range periods {
				row.Cells = append(row.Cells, shareText(pr.Causes[i].Estimate))
			}
			d.Causes = append(d.Causes, row)
		}
	}
	v := s.newView(r, "Post-mortems", "winloss")
	v.Flash, v.Problem, v.Data = flash(r), problem, d
	return s.render(w, status, "postmortems", v)
}

// postmortemOfForm reads the post-mortem form: causes as checkboxes,
// evidence one link a line, actions one a line as "what | owner | due".
func postmortemOfForm(r *http.Request) (tandem.Postmortem, postmortemForm, error) {
	if err := r.ParseForm(); err != nil {
		return tandem.Postmortem{}, postmortemForm{}, tandem.Errorf(tandem.EINVALID, "malformed form: %v", err)
	}
	pf := r.PostForm
	f := postmortemForm{Subject: pf.Get("subject"), SubjectID: strings.TrimSpace(pf.Get("subject_id")), Summary: strings.TrimSpace(pf.Get("summary")),
		Evidence: pf.Get("evidence"), Actions: pf.Get("actions"), Date: strings.TrimSpace(pf.Get("date")), Causes: pf["cause"]}
	f.Version, _ = strconv.Atoi(pf.Get("version"))
	p := tandem.Postmortem{Subject: f.Subject, SubjectID: f.SubjectID, Causes: f.Causes, Summary: f.Summary}
	if f.Date != "" {
		t, err := time.Parse(time.DateOnly, f.Date)
		if err != nil {
			return p, f, tandem.Errorf(tandem.EINVALID, "date: %q is not a day (YYYY-MM-DD)", f.Date)
		}
		p.Date = t
	}
	for _, l := range strings.Split(f.Evidence, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			p.Evidence = append(p.Evidence, l)
		}
	}
	for i, l := range strings.Split(f.Actions, "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		parts := strings.Split(l, "|")
		st := tandem.PostmortemStep{What: strings.TrimSpace(parts[0])}
		if len(parts) > 1 {
			st.Owner = strings.TrimSpace(parts[1])
		}
		if len(parts) > 2 {
			due := strings.TrimSpace(parts[2])
			if strings.HasSuffix(due, "done") {
				st.Done = true
				due = strings.TrimSpace(strings.TrimSuffix(due, "done"))
			}
			if due != "" {
				t, err := time.Parse(time.DateOnly, due)
				if err != nil {
					return p, f, tandem.Errorf(tandem.EINVALID, "actions line %d: due %q is not a day (YYYY-MM-DD)", i+1, due)
				}
				st.Due = t
			}
		}
		if len(parts) > 3 && strings.TrimSpace(parts[3]) == "done" {
			st.Done = true
		}
		p.Actions = append(p.Actions, st)
	}
	return p, f, nil
}

// formOfPostmortem is a stored post-mortem in the form's shape.
func formOfPostmortem(v service.PostmortemView) postmortemForm {
	var acts []string
	for _, a := range v.Actions {
		l := a.What + " | " + a.Owner + " | " + dateText(a.Due)
		if a.Done {
			l += " | done"
		}
		acts = append(acts, l)
	}
	return postmortemForm{ID: v.ID, Subject: v.Subject, SubjectID: v.SubjectID, Summary: v.Summary, Evidence: strings.Join(v.Evidence, "\n"),
		Actions: strings.Join(acts, "\n"), Date: dateText(v.Date), Causes: v.Causes, Version: v.Version}
}

func (s *Site) handlePostmortemCreate(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermFeedbackAdmin); err != nil {
		return err
	}
	p, f, err := postmortemOfForm(r)
	if err == nil {
		var v service.PostmortemView
		v, err = s.svc.SavePostmortem(r.Context(), httpapi.Actor(r), p, 0)
		if err == nil {
			return redirect(w, r, "/postmortems/"+url.PathEscape(v.ID)+"?done=postmortem-saved")
		}
	}
	if userProblem(err) {
		return s.postmortems(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), &f)
	}
	return err
}

// postmortemPage is one post-mortem.
type postmortemPage struct {
	View        service.PostmortemView
	SubjectHref string
	Form        postmortemForm
	AllCauses   []string
	CanAdmin    bool
}

func (s *Site) handlePostmortem(w http.ResponseWriter, r *http.Request) error {
	return s.postmortem(w, r, http.StatusOK, "", nil)
}

func (s *Site) postmortem(w http.ResponseWriter, r *http.Request, status int, problem string, form *postmortemForm) error {
	p, err := require(r, auth.PermPipelineRead)
	if err != nil {
		return err
	}
	v, err := s.svc.Postmortem(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	d := postmortemPage{View: v, SubjectHref: subjectHref(v.Subject, v.SubjectID), Form: formOfPostmortem(v), AllCauses: tandem.RootCauses, CanAdmin: p.Can(auth.PermFeedbackAdmin)}
	if form != nil {
		form.ID = v.ID
		d.Form = *form
	}
	view := s.newView(r, "Post-mortem of "+v.SubjectName, "winloss")
	view.Flash, view.Problem, view.Data = flash(r), problem, d
	if r.URL.Query().Get("done") == "postmortem-saved" {
		view.Flash = "Post-mortem saved."
	}
	return s.render(w, status, "postmortem", view)
}

func (s *Site) handlePostmortemSave(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermFeedbackAdmin); err != nil {
		return err
	}
	id := r.PathValue("id")
	old, err := s.svc.Postmortem(r.Context(), id)
	if err != nil {
		return err
	}
	p, f, err := postmortemOfForm(r)
	if err == nil {
		p.ID, p.Subject, p.SubjectID = id, old.Subject, old.SubjectID
		f.Subject, f.SubjectID = old.Subject, old.SubjectID
		if f.Version < 1 {
			err = tandem.Errorf(tandem.EINVALID, "version: missing; reload the page")
		} else {
			_, err = s.svc.SavePostmortem(r.Context(), httpapi.Actor(r), p, f.Version)
		}
		if err == nil {
			return redirect(w, r, "/postmortems/"+url.PathEscape(id)+"?done=postmortem-saved")
		}
	}
	if userProblem(err) {
		return s.postmortem(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), &f)
	}
	return err
}

// roadmapCard is the roadmap check as the overview shows it. It stands in
// for the scorecard's "red when a top reason is not addressed" until the
// scorecard module exists.
type roadmapCard struct {
	Status, Badge, Text string
}

// overviewRoadmap computes the roadmap check for the overview, or nil
// when the viewer may not read it or it fails (the overview still shows;
// the failure is logged).
func (s *Site) overviewRoadmap(r *http.Request, p *auth.Principal) *roadmapCard {
	if !p.Can(auth.PermPipelineRead) {
		return nil
	}
	rc, err := s.svc.RoadmapCheck(r.Context(), time.Time{}, winloss.Options{})
	if err != nil {
		s.logger.Warn("roadmap check failed", "page", "overview", "error", err.Error())
		return nil
	}
	cv := checkViewOf(rc)
	c := &roadmapCard{Status: rc.Status, Badge: cv.Badge}
	switch rc.Status {
	case winloss.StatusInsufficient:
		c.Text = fmt.Sprintf("%s: no lost deal with a reason (n = %d lost deals).", rc.Quarter, rc.LostDeals)
	default:
		var open []string
		for _, x := range rc.Reasons {
			if !x.Addressed {
				open = append(open, x.Label)
			}
		}
		c.Text = fmt.Sprintf("Top %d closed-lost reasons of %s (n = %d lost deals", len(rc.Reasons), rc.Quarter, rc.LostDeals)
		if rc.Insufficient {
			c.Text += fmt.Sprintf("; insufficient data, under %d: which reasons lead is uncertain", rc.MinN)
		}
		c.Text += "): "
		if len(open) == 0 {
			c.Text += "each is addressed by a planned feature."
		} else {
			c.Text += "not addressed by a planned feature: " + strings.Join(open, ", ") + "."
		}
	}
	return c
}
