package web

// The pages of custom requests ("specials", issue 9): the board of the six
// steps, the intake form with evidence files, one special with its
// evidence, links, demand, alignment and effort, matrix placement,
// timeline and the forms that move it, the alignment × effort matrix, the
// quarter's capacity budget, the outcome report and the settings. Text
// typed by people is shown escaped; every proportion is printed with its n
// and 95% interval, or "insufficient data".

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/httpapi"
	"github.com/tandemhq/tandem/internal/service"
	"github.com/tandemhq/tandem/internal/specials"
)

// specialPages are the pages of custom requests (issue 9).
func (s *Site) specialPages(page pageFunc) []httpapi.Route {
	file := page("POST", "/specials", auth.PermSpecialsFile, "file a special from a deal with its evidence files, notes and links", s.handleSpecialFile)
	file.Upload = true
	return []httpapi.Route{
		page("GET", "/specials", auth.PermPipelineRead, "the specials board: a column per step, ended ones collapsed; filters", s.handleSpecialsBoard),
		page("GET", "/specials/new", auth.PermSpecialsFile, "the form filing a special (?deal=ID prefilled)", s.handleSpecialNew),
		file,
		page("GET", "/specials/matrix", auth.PermPipelineRead, "the alignment × effort matrix of open specials with each quadrant's recommended action", s.handleSpecialsMatrix),
		page("GET", "/specials/capacity", auth.PermPipelineRead, "a quarter's capacity budget (?quarter=): committed, in progress, spent, displaced work", s.handleSpecialsCapacity),
		page("GET", "/specials/outcomes", auth.PermPipelineRead, "what built specials did: win rates with and without, reuse, capacity share, one-offs", s.handleSpecialsOutcomes),
		page("GET", "/specials/settings", auth.PermSpecialsAdmin, "matrix thresholds and the capacity budget", s.handleSpecialSettings),
		page("POST", "/specials/settings", auth.PermSpecialsAdmin, "apply specials settings; refused whole with every problem", s.handleSpecialSettingsApply),
		page("GET", "/specials/{id}", auth.PermPipelineRead, "one special: ask, evidence, links, demand, scores, placement, timeline and forms", s.handleSpecial),
		page("POST", "/specials/{id}/score", auth.PermSpecialsAdmin, "score a special's alignment (optionally adjusted, with a reason)", s.handleSpecialScore),
		page("POST", "/specials/{id}/estimate", auth.PermSpecialsAdmin, "record a special's effort estimate in engineering weeks", s.handleSpecialEstimate),
		page("POST", "/specials/{id}/links", auth.PermSpecialsAdmin, "change a special's links to themes, specials and a feature", s.handleSpecialLinks),
		page("POST", "/specials/{id}/moves", auth.PermSpecialsFile, "move a special one step (specials:admin; its filer may withdraw it)", s.handleSpecialMove),
	}
}

// spFlashes are the confirmations of the specials pages, by ?done=.
var spFlashes = map[string]string{
	"filed":    "Special filed. Product will talk to you first: it is at step 1, talk to the rep.",
	"score":    "Alignment scored as a new version.",
	"estimate": "Effort estimate saved as a new version.",
	"links":    "Links saved as a new version.",
	"moved":    "The special moved; the timeline below records the step.",
	"settings": "Specials settings applied as a new version.",
}

func spFlash(r *http.Request) string {
	if m, ok := spFlashes[r.URL.Query().Get("done")]; ok {
		return m
	}
	return flash(r)
}

func specialHref(id string) string { return "/specials/" + url.PathEscape(id) }

// stepLabels are the steps and ends as people read them.
var stepLabels = map[tandem.SpecialStep]string{
	tandem.StepTalkToRep:       "1. Talk to the rep",
	tandem.StepSpeakToProspect: "2. Speak to the prospect",
	tandem.StepReviewEvidence:  "3. Review the evidence",
	tandem.StepFindWorkarounds: "4. Find workarounds",
	tandem.StepSimplestSlice:   "5. Ship the simplest slice",
	tandem.StepMeasure:         "6. Measure and productize",
	tandem.StepProductized:     "productized",
	tandem.StepOneOff:          "one-off",
	tandem.StepDeclined:        "declined",
	tandem.StepWithdrawn:       "withdrawn",
}

func stepLabel(st tandem.SpecialStep) string { return cmp.Or(stepLabels[st], string(st)) }

// stepBadge is the badge class of a step.
func stepBadge(st tandem.SpecialStep) string {
	switch {
	case st == tandem.StepProductized:
		return "badge badge-good"
	case st == tandem.StepDeclined || st == tandem.StepWithdrawn:
		return "badge badge-bad"
	case st == tandem.StepOneOff:
		return "badge badge-warn"
	case specials.Building(st):
		return "badge badge-info"
	}
	return "badge"
}

// quadrantBadge is the badge class of a quadrant.
func quadrantBadge(q specials.Quadrant) string {
	switch q {
	case specials.LowEffortHighAlignment:
		return "badge badge-good"
	case specials.HighEffortHighAlignment:
		return "badge badge-info"
	case specials.LowEffortLowAlignment:
		return "badge badge-warn"
	case specials.HighEffortLowAlignment:
		return "badge badge-bad"
	}
	return "badge"
}

// quadrantLabels name the quadrants for people.
var quadrantLabels = map[specials.Quadrant]string{
	specials.LowEffortHighAlignment:  "low effort, high alignment",
	specials.HighEffortHighAlignment: "high effort, high alignment",
	specials.LowEffortLowAlignment:   "low effort, low alignment",
	specials.HighEffortLowAlignment:  "high effort, low alignment",
}

// weeksText prints weeks without trailing zeros.
func weeksText(w float64) string { return strconv.FormatFloat(math.Round(w*100)/100, 'f', -1, 64) }

// ---- The board ----

// spCard is a special on the board or in a list.
type spCard struct {
	ID, Href, Title, Deal, DealHref, Amount, Filed, FiledBy string
	Step, StepText, StepBadge                               string
	Quadrant, QuadrantBadge, Action                         string
	Scored                                                  bool
	// Needs says what an unplaced special lacks (the matrix page).
	Needs string
}

func spCardOf(v service.SpecialView) spCard {
	c := spCard{ID: v.ID, Href: specialHref(v.ID), Title: v.Title, Deal: v.DealID, DealHref: dealHref(v.DealID),
		Amount: moneyText(v.Amount), Filed: dateText(v.FiledAt), FiledBy: v.FiledBy,
		Step: string(v.Step), StepText: stepLabel(v.Step), StepBadge: stepBadge(v.Step)}
	if p := v.Placement; p != nil {
		c.Scored, c.Quadrant, c.QuadrantBadge, c.Action = true, quadrantLabels[p.Quadrant], quadrantBadge(p.Quadrant), p.Action
	}
	return c
}

// spColumn is one step's column of the board.
type spColumn struct {
	Step, Label, Anchor string
	Cards               []spCard
}

// spBoardPage is the board.
type spBoardPage struct {
	Columns []spColumn
	Ended   []spCard
	Filter  spBoardFilter
	Total   int
	CanFile bool
	CanAdm  bool
	// Quadrants are the filter's choices.
	Quadrants [][2]string
}

// spBoardFilter is the board's filter form.
type spBoardFilter struct{ Deal, Q, Quadrant, FiledBy string }

func (s *Site) handleSpecialsBoard(w http.ResponseWriter, r *http.Request) error {
	p, err := require(r, auth.PermPipelineRead)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	f := spBoardFilter{Deal: strings.TrimSpace(q.Get("deal")), Q: strings.TrimSpace(q.Get("q")), Quadrant: q.Get("quadrant"), FiledBy: strings.TrimSpace(q.Get("filed_by"))}
	d := spBoardPage{Filter: f, CanFile: p.Can(auth.PermSpecialsFile), CanAdm: p.Can(auth.PermSpecialsAdmin)}
	for _, qd := range httpapi.MatrixQuadrants() {
		d.Quadrants = append(d.Quadrants, [2]string{string(qd), quadrantLabels[qd]})
	}
	if f.Quadrant != "" && f.Quadrant != "unscored" && quadrantLabels[specials.Quadrant(f.Quadrant)] == "" {
		return tandem.Errorf(tandem.EINVALID, "quadrant: %q is not a quadrant (or unscored)", f.Quadrant)
	}
	list, err := s.svc.Specials(r.Context(), service.SpecialQuery{DealID: f.Deal})
	if err != nil {
		return err
	}
	cols := map[tandem.SpecialStep]*spColumn{}
	for _, st := range tandem.SpecialSteps() {
		d.Columns = append(d.Columns, spColumn{Step: string(st), Label: stepLabel(st), Anchor: "col-" + string(st)})
	}
	for i := range d.Columns {
		cols[tandem.SpecialStep(d.Columns[i].Step)] = &d.Columns[i]
	}
	words := strings.ToLower(f.Q)
	for _, v := range list {
		if words != "" && !strings.Contains(strings.ToLower(v.Title+" "+v.Ask+" "+v.Problem+" "+v.ID), words) {
			continue
		}
		if f.FiledBy != "" && !strings.EqualFold(v.FiledBy, f.FiledBy) {
			continue
		}
		switch {
		case f.Quadrant == "unscored" && v.Placement != nil,
			f.Quadrant != "" && f.Quadrant != "unscored" && (v.Placement == nil || string(v.Placement.Quadrant) != f.Quadrant):
			continue
		}
		d.Total++
		if c, ok := cols[v.Step]; ok {
			c.Cards = append(c.Cards, spCardOf(v))
		} else {
			d.Ended = append(d.Ended, spCardOf(v))
		}
	}
	v := s.newView(r, "Specials", "specials")
	v.Flash, v.Data = spFlash(r), d
	return s.render(w, http.StatusOK, "specials_board", v)
}

// ---- Filing ----

// spNewForm is the intake form's values, kept when refused.
type spNewForm struct {
	Deal, DealName, DealHref, Title, Ask, Problem, AskedBy, Deadline, Notes, Links, StrategicWhy string
	OthersAsked, Strategic                                                                       bool
	// Files names the files of a refused submission: they must be chosen
	// again, browsers do not keep them.
	Files []string
}

// spNewPage is the intake page.
type spNewPage struct {
	Form    spNewForm
	MaxFile string
	// Problems are the lines of a refusal that lists several.
	Problems []string
}

func (s *Site) handleSpecialNew(w http.ResponseWriter, r *http.Request) error {
	form := spNewForm{Deal: strings.TrimSpace(r.URL.Query().Get("deal"))}
	return s.specialNew(w, r, http.StatusOK, "", form)
}

// specialNew renders the intake form, naming the deal when it exists.
func (s *Site) specialNew(w http.ResponseWriter, r *http.Request, status int, problem string, form spNewForm) error {
	if form.Deal != "" {
		if e, rec0, err := s.svc.Get(r.Context(), "deals", form.Deal); err == nil {
			form.DealName, form.DealHref = (rec{e: e, r: rec0}).Title(), dealHref(form.Deal)
		} else if tandem.ErrorCode(err) != tandem.ENOTFOUND {
			return err
		}
	}
	d := spNewPage{Form: form, MaxFile: fbByteSize(service.MaxSpecialFile)}
	head, rest, _ := strings.Cut(problem, "\n")
	for _, l := range strings.Split(rest, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			d.Problems = append(d.Problems, l)
		}
	}
	v := s.newView(r, "File a special", "specials")
	v.Problem, v.Data = head, d
	return s.render(w, status, "specials_new", v)
}

// handleSpecialFile files the intake form: notes and links become
// evidence, uploaded files are stored by their hash.
func (s *Site) handleSpecialFile(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermSpecialsFile); err != nil {
		return err
	}
	// The route takes the upload limit; a filing needs no more than its
	// files' limits and the form's fields.
	r.Body = http.MaxBytesReader(w, r.Body, httpapi.MaxSpecialUpload+2<<20)
	if err := r.ParseMultipartForm(8 << 20); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		return httpapi.BodyError(err)
	}
	val := func(k string) string { return strings.ReplaceAll(r.PostFormValue(k), "\r\n", "\n") }
	form := spNewForm{Deal: strings.TrimSpace(val("deal")), Title: val("title"), Ask: val("ask"), Problem: val("problem"),
		AskedBy: strings.TrimSpace(val("asked_by")), Deadline: strings.TrimSpace(val("deadline")), Notes: val("notes"),
		Links: val("links"), OthersAsked: val("others_asked") != "", Strategic: val("strategic") != "", StrategicWhy: val("strategic_why")}
	sp := tandem.Special{DealID: form.Deal, Title: form.Title, Ask: form.Ask, Problem: form.Problem, AskedBy: form.AskedBy,
		OthersAsked: form.OthersAsked, Strategic: form.Strategic, StrategicWhy: strings.TrimSpace(form.StrategicWhy)}
	var probs []string
	if form.Deadline != "" {
		t, err := time.Parse(time.DateOnly, form.Deadline)
		if err != nil {
			probs = append(probs, fmt.Sprintf("deadline: %q is not a date (YYYY-MM-DD)", form.Deadline))
		}
		sp.Deadline = t
	}
	if n := strings.TrimSpace(form.Notes); n != "" {
		sp.Evidence = append(sp.Evidence, tandem.SpecialEvidence{Kind: "note", Text: n})
	}
	for _, l := range strings.Fields(form.Links) {
		sp.Evidence = append(sp.Evidence, tandem.SpecialEvidence{Kind: "link", URL: l})
	}
	var files []service.SpecialFile
	var uploads []*multipart.FileHeader
	var total int64
	if r.MultipartForm != nil {
		for _, fh := range r.MultipartForm.File["files"] {
			if fh.Filename != "" || fh.Size > 0 {
				uploads = append(uploads, fh)
				total += fh.Size
			}
		}
	}
	if err := httpapi.CheckSpecialFiles(len(uploads), total); err != nil {
		probs = append(probs, tandem.ErrorMessage(err))
		uploads = nil
	}
	for i, fh := range uploads {
		form.Files = append(form.Files, fh.Filename)
		if fh.Size > service.MaxSpecialFile {
			probs = append(probs, fmt.Sprintf("file %q: %s; at most %s are accepted", fh.Filename, fbByteSize(fh.Size), fbByteSize(service.MaxSpecialFile)))
			continue
		}
		f, err := fh.Open()
		if err != nil {
			return fmt.Errorf("open uploaded file %q: %w", fh.Filename, err)
		}
		data, err := io.ReadAll(io.LimitReader(f, service.MaxSpecialFile+1))
		_ = f.Close()
		if err != nil {
			return fmt.Errorf("read uploaded file %q: %w", fh.Filename, err)
		}
		files = append(files, httpapi.EvidenceFile(i, fh.Filename, fh.Header.Get("Content-Type"), data))
	}
	if len(probs) > 0 {
		return s.specialNew(w, r, http.StatusBadRequest, "The special is refused and nothing was stored: "+strings.Join(probs, "; "), form)
	}
	view, err := s.svc.FileSpecial(r.Context(), httpapi.Actor(r), sp, files)
	if userProblem(err) {
		msg := tandem.ErrorMessage(err)
		if len(form.Files) > 0 {
			msg += "\nChoose the files again: browsers do not keep them."
		}
		return s.specialNew(w, r, tandem.HTTPStatus(err), msg, form)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, specialHref(view.ID)+"?done=filed")
}

// ---- One special ----

// spPage is one special's page.
type spPage struct {
	V        service.SpecialView
	Card     spCard
	DealName string
	Deadline string
	// AskLines and ProblemLines are the texts' lines, shown escaped with
	// line breaks.
	AskLines, ProblemLines []string
	Notes                  []spEvidenceRow
	Links                  []spEvidenceRow
	Files                  []spEvidenceRow
	Themes, Specials       []featureLink
	Feature                *featureLink
	Revenue                string // demand revenue, "" for roles without customers:read
	Alignment              *spAlignment
	Effort                 *spEffort
	Placement              *specials.Placement
	QuadrantText           string
	QuadrantBadge          string
	Timeline               []spStepRow
	Accept                 *spAcceptView
	Outcome                *tandem.SpecialBuilt
	Versions               []spVersionRow
	Ended                  bool

	CanAdmin  bool
	Actions   []spActionOption // exactly the moves this user may make now
	HasSkip   bool
	HasAccept bool
	Users     []fbOwnerOption
	Budget    *spBudgetCheck
	Forms     spForms
}

// spEvidenceRow is one piece of evidence.
type spEvidenceRow struct {
	Text, Href, Name, Type, Size, By, At string
	Lines                                []string
}

// spAlignment is the alignment score as shown.
type spAlignment struct {
	Score, ICPFit, StrategyFit, RecurringDemand, RevenueAtStake, Value string
	Adjusted, Reason, AdjustedBy, AdjustedAt                           string
	Inputs                                                             []string
	By, At                                                             string
}

// spEffort is the effort estimate as shown.
type spEffort struct{ Weeks, Author, Note, At string }

// spStepRow is one record of the timeline.
type spStepRow struct {
	Step, StepText, To, ToText, ToBadge, By, At, Notes, SignedBy, SkipReason string
	Skipped                                                                  bool
}

// spAcceptView is the leader's sign-off.
type spAcceptView struct {
	Leader, At, Quarter, Confirmation, Action string
	OverWarning                               bool
	Displaces                                 [][2]string
}

// spVersionRow is one stored version.
type spVersionRow struct {
	Version     int
	At, Author  string
	Step, Badge string
}

// spActionOption is one move the form offers.
type spActionOption struct{ Value, Label string }

// spBudgetCheck is what accepting would do to this quarter's budget.
type spBudgetCheck struct {
	Quarter, Message string
	OverWarning      bool
}

// spForms holds the forms' values: the special's own, or as submitted
// when refused.
type spForms struct {
	Version                               int
	ICPFit, StrategyFit, Adjusted, Reason string
	Weeks, EstimateNote                   string
	Themes, Specials, Feature             string
	Action, Notes, SignedBy, SkipReason   string
	Quarter, Confirmation                 string
	Displaced                             [][2]string
	Failed                                string // which form was refused: score, estimate, links, move
}

var actionLabels = map[specials.Action]string{
	specials.Advance:    "advance: complete this step (notes and sign-off)",
	specials.Skip:       "skip this step (with the reason)",
	specials.Accept:     "accept: build it (a leader's sign-off on what it displaces)",
	specials.Decline:    "decline (notes say why)",
	specials.Withdraw:   "withdraw (notes say why)",
	specials.Productize: "productize: it becomes part of the product",
	specials.OneOff:     "one-off: it stays for this customer",
}

func (s *Site) handleSpecial(w http.ResponseWriter, r *http.Request) error {
	return s.special(w, r, http.StatusOK, "", nil)
}

// special renders a special; forms, when set, are a refused submission.
func (s *Site) special(w http.ResponseWriter, r *http.Request, status int, problem string, forms *spForms) error {
	p, err := require(r, auth.PermPipelineRead)
	if err != nil {
		return err
	}
	ctx := r.Context()
	sv, err := s.svc.Special(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	docs, err := s.svc.SpecialHistory(ctx, sv.ID)
	if err != nil {
		return err
	}
	d := spPage{V: sv, Card: spCardOf(sv), Deadline: dateText(sv.Deadline), AskLines: strings.Split(sv.Ask, "\n"),
		ProblemLines: strings.Split(sv.Problem, "\n"), Placement: sv.Placement, Outcome: sv.Outcome, Ended: specials.Ended(sv.Step),
		CanAdmin: p.Can(auth.PermSpecialsAdmin)}
	if e, rr, err := s.svc.Get(ctx, "deals", sv.DealID); err == nil {
		d.DealName = rec{e: e, r: rr}.Title()
	} else if tandem.ErrorCode(err) != tandem.ENOTFOUND {
		return err
	}
	for _, e := range sv.Evidence {
		row := spEvidenceRow{By: e.By, At: dateTimeText(e.At)}
		switch e.Kind {
		case "note":
			row.Lines = strings.Split(e.Text, "\n")
			d.Notes = append(d.Notes, row)
		case "link":
			row.Text, row.Href = e.URL, e.URL
			d.Links = append(d.Links, row)
		case "file":
			row.Name, row.Type, row.Size = e.Name, e.ContentType, fbByteSize(e.Size)
			row.Href = "/api/v1/specials/" + url.PathEscape(sv.ID) + "/evidence/" + url.PathEscape(e.SHA256)
			d.Files = append(d.Files, row)
		}
	}
	for _, t := range sv.Themes {
		d.Themes = append(d.Themes, featureLink{Name: t, Href: themeHref(t)})
	}
	for _, o := range sv.Specials {
		d.Specials = append(d.Specials, featureLink{Name: o, Href: specialHref(o)})
	}
	if sv.Feature != "" {
		d.Feature = &featureLink{Name: sv.Feature, Href: "/features/" + url.PathEscape(sv.Feature)}
	}
	if p.Can(auth.PermCustomersRead) {
		d.Revenue = moneyText(sv.Demand.Revenue)
	}
	if a := sv.Alignment; a != nil {
		al := &spAlignment{Score: weeksText(a.Score), ICPFit: weeksText(a.ICPFit), StrategyFit: weeksText(a.StrategyFit),
			RecurringDemand: weeksText(a.RecurringDemand), RevenueAtStake: weeksText(a.RevenueAtStake), Value: weeksText(a.Value()),
			Reason: a.Reason, AdjustedBy: a.AdjustedBy, AdjustedAt: dateTimeText(a.AdjustedAt), Inputs: a.Inputs, By: a.By, At: dateTimeText(a.At)}
		if a.Adjusted != nil {
			al.Adjusted = weeksText(*a.Adjusted)
		}
		d.Alignment = al
	}
	if e := sv.Effort; e != nil {
		d.Effort = &spEffort{Weeks: weeksText(e.Weeks), Author: e.Author, Note: e.Note, At: dateTimeText(e.At)}
	}
	if pl := sv.Placement; pl != nil {
		d.QuadrantText, d.QuadrantBadge = quadrantLabels[pl.Quadrant], quadrantBadge(pl.Quadrant)
	}
	for _, h := range sv.History {
		d.Timeline = append(d.Timeline, spStepRow{Step: string(h.Step), StepText: stepLabel(h.Step), To: string(h.To), ToText: stepLabel(h.To),
			ToBadge: stepBadge(h.To), By: h.By, At: dateTimeText(h.At), Notes: h.Notes, SignedBy: h.SignedBy, Skipped: h.Skipped, SkipReason: h.SkipReason})
	}
	if a := sv.Accept; a != nil {
		av := &spAcceptView{Leader: a.Leader, At: dateTimeText(a.At), Quarter: a.Quarter, Confirmation: a.Confirmation, Action: a.Action, OverWarning: a.OverWarning}
		for _, x := range a.Displaces {
			av.Displaces = append(av.Displaces, [2]string{x.Item, weeksText(x.Weeks)})
		}
		d.Accept = av
	}
	for i := len(docs) - 1; i >= 0; i-- {
		var body tandem.Special
		_ = json.Unmarshal(docs[i].Body, &body) // a body that does not decode shows no step
		d.Versions = append(d.Versions, spVersionRow{Version: docs[i].Version, At: dateTimeText(docs[i].CreatedAt), Author: docs[i].Author,
			Step: stepLabel(body.Step), Badge: stepBadge(body.Step)})
	}
	set, _, err := s.svc.SpecialSettings(ctx)
	if err != nil {
		return err
	}
	// The form offers the moves the step allows that this user may make:
	// specials:admin every one but accepting, which needs a leader too;
	// the filer withdrawing their own.
	for _, a := range sv.Allowed {
		if httpapi.CanMoveSpecial(p, sv.Special, a) != nil || (a == specials.Accept && !specialLeader(p, set)) {
			continue
		}
		d.Actions = append(d.Actions, spActionOption{Value: string(a), Label: cmp.Or(actionLabels[a], string(a))})
		d.HasSkip = d.HasSkip || a == specials.Skip || a == specials.Accept
		d.HasAccept = d.HasAccept || a == specials.Accept
	}
	if d.CanAdmin && len(d.Actions) > 0 { // the sign-off's choices
		users, err := s.svc.Users(ctx)
		if err != nil {
			return err
		}
		for _, u := range users {
			if !u.Disabled && u.Email != "" {
				d.Users = append(d.Users, fbOwnerOption{Email: u.Email, Name: u.Name})
			}
		}
	}
	if d.HasAccept {
		b, err := s.svc.SpecialCapacity(ctx, "")
		if err != nil {
			return err
		}
		chk := &spBudgetCheck{Quarter: b.Quarter}
		if sv.Effort != nil {
			c := specials.CheckAccept(b, sv.Effort.Weeks, set)
			chk.Message, chk.OverWarning = c.Message, c.OverWarning
		} else {
			chk.Message = "No effort estimate yet: estimate the special before accepting it, the budget needs its weeks."
		}
		d.Budget = chk
	}
	if forms != nil {
		d.Forms = *forms
	} else {
		d.Forms = spForms{Version: sv.Version}
		if a := sv.Alignment; a != nil {
			d.Forms.ICPFit, d.Forms.StrategyFit = weeksText(a.ICPFit), weeksText(a.StrategyFit)
			if a.Adjusted != nil {
				d.Forms.Adjusted, d.Forms.Reason = weeksText(*a.Adjusted), a.Reason
			}
		}
		if e := sv.Effort; e != nil {
			d.Forms.Weeks, d.Forms.EstimateNote = weeksText(e.Weeks), e.Note
		}
		d.Forms.Themes, d.Forms.Specials, d.Forms.Feature = strings.Join(sv.Themes, ", "), strings.Join(sv.Specials, ", "), sv.Feature
		if d.Budget != nil {
			d.Forms.Quarter = d.Budget.Quarter
		}
	}
	for len(d.Forms.Displaced) < 3 {
		d.Forms.Displaced = append(d.Forms.Displaced, [2]string{})
	}
	v := s.newView(r, "Special: "+sv.Title, "specials")
	v.Flash, v.Problem, v.Data = spFlash(r), problem, d
	return s.render(w, status, "special", v)
}

// specialLeader reports whether p may accept a special: one of the
// settings' leaders, or, when none are named, an active admin or product
// user (the service's rule, which has the last word).
func specialLeader(p *auth.Principal, set tandem.SpecialSettings) bool {
	if p == nil || p.User.Disabled {
		return false
	}
	return specials.IsLeader(set, p.User.Email, p.User.Role)
}

// spFormsOf reads the submitted forms' values, to show a refused form as
// typed.
func spFormsOf(r *http.Request, failed string) (spForms, error) {
	val := func(k string) string { return strings.ReplaceAll(r.PostFormValue(k), "\r\n", "\n") }
	f := spForms{Failed: failed, ICPFit: val("icp_fit"), StrategyFit: val("strategy_fit"), Adjusted: strings.TrimSpace(val("adjusted")), Reason: val("reason"),
		Weeks: strings.TrimSpace(val("weeks")), EstimateNote: val("note"), Themes: val("themes"), Specials: val("specials"), Feature: strings.TrimSpace(val("feature")),
		Action: val("action"), Notes: val("notes"), SignedBy: strings.TrimSpace(val("signed_by")), SkipReason: val("skip_reason"),
		Quarter: strings.TrimSpace(val("quarter")), Confirmation: val("confirmation")}
	items, weeks := r.PostForm["displace_item"], r.PostForm["displace_weeks"]
	for i := range max(len(items), len(weeks)) {
		var it, wk string
		if i < len(items) {
			it = strings.TrimSpace(items[i])
		}
		if i < len(weeks) {
			wk = strings.TrimSpace(weeks[i])
		}
		if it != "" || wk != "" {
			f.Displaced = append(f.Displaced, [2]string{it, wk})
		}
	}
	v, err := strconv.Atoi(strings.TrimSpace(val("version")))
	if err != nil {
		return f, tandem.Errorf(tandem.EINVALID, "version: %q is not a version number; reload the page", val("version"))
	}
	f.Version = v
	return f, nil
}

// floatField parses a number field; "" is nil.
func floatField(name, v string) (*float64, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	n, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(n) || math.IsInf(n, 0) {
		return nil, tandem.Errorf(tandem.EINVALID, "%s: %q is not a number", name, v)
	}
	return &n, nil
}

// specialChange runs one form's change and redirects to the special, or
// re-renders it with the problem and the form as typed.
func (s *Site) specialChange(w http.ResponseWriter, r *http.Request, form string, change func(f spForms) error) error {
	if err := r.ParseForm(); err != nil {
		return httpapi.BodyError(err)
	}
	f, err := spFormsOf(r, form)
	if err == nil {
		err = change(f)
	}
	if userProblem(err) || tandem.ErrorCode(err) == tandem.EFORBIDDEN {
		return s.special(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), &f)
	}
	if err != nil {
		return err
	}
	done := form
	if form == "move" {
		done = "moved"
	}
	return redirect(w, r, specialHref(r.PathValue("id"))+"?done="+done+"#h-"+form)
}

func (s *Site) handleSpecialScore(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermSpecialsAdmin); err != nil {
		return err
	}
	return s.specialChange(w, r, "score", func(f spForms) error {
		icp, err := floatField("icp_fit", f.ICPFit)
		if err != nil {
			return err
		}
		strat, err := floatField("strategy_fit", f.StrategyFit)
		if err != nil {
			return err
		}
		if icp == nil || strat == nil {
			return tandem.Errorf(tandem.EINVALID, "icp_fit and strategy_fit are required (0 to 10)")
		}
		adj, err := floatField("adjusted", f.Adjusted)
		if err != nil {
			return err
		}
		_, err = s.svc.ScoreSpecial(r.Context(), httpapi.Actor(r), r.PathValue("id"),
			service.ScoreInput{Version: f.Version, ICPFit: *icp, StrategyFit: *strat, Adjusted: adj, Reason: strings.TrimSpace(f.Reason)})
		return err
	})
}

func (s *Site) handleSpecialEstimate(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermSpecialsAdmin); err != nil {
		return err
	}
	return s.specialChange(w, r, "estimate", func(f spForms) error {
		wk, err := floatField("weeks", f.Weeks)
		if err != nil {
			return err
		}
		if wk == nil {
			return tandem.Errorf(tandem.EINVALID, "weeks: the estimate in engineering weeks is required")
		}
		_, err = s.svc.EstimateSpecial(r.Context(), httpapi.Actor(r), r.PathValue("id"), f.Version, *wk, f.EstimateNote)
		return err
	})
}

func (s *Site) handleSpecialLinks(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermSpecialsAdmin); err != nil {
		return err
	}
	return s.specialChange(w, r, "links", func(f spForms) error {
		themes, others, feature := splitList(f.Themes), splitList(f.Specials), f.Feature
		if themes == nil {
			themes = []string{}
		}
		if others == nil {
			others = []string{}
		}
		_, err := s.svc.LinkSpecial(r.Context(), httpapi.Actor(r), r.PathValue("id"),
			service.LinkInput{Version: f.Version, Themes: &themes, Specials: &others, Feature: &feature})
		return err
	})
}

// handleSpecialMove moves a special one step. specials:admin may make
// every allowed move; the filer, with specials:file only, may withdraw.
func (s *Site) handleSpecialMove(w http.ResponseWriter, r *http.Request) error {
	p, err := require(r, auth.PermSpecialsFile)
	if err != nil {
		return err
	}
	return s.specialChange(w, r, "move", func(f spForms) error {
		act, err := httpapi.MoveAction("action", f.Action)
		if err != nil {
			return err
		}
		sv, err := s.svc.Special(r.Context(), r.PathValue("id"))
		if err != nil {
			return err
		}
		if err := httpapi.CanMoveSpecial(p, sv.Special, act); err != nil {
			return err
		}
		in := service.MoveInput{Version: f.Version, Action: act, Notes: f.Notes, SignedBy: f.SignedBy, SkipReason: f.SkipReason}
		if act == specials.Accept {
			in.Quarter, in.Confirmation = f.Quarter, f.Confirmation
			for i, x := range f.Displaced {
				wk, err := floatField(fmt.Sprintf("displaced item %d: weeks", i+1), x[1])
				if err != nil {
					return err
				}
				if wk == nil {
					return tandem.Errorf(tandem.EINVALID, "displaced item %d (%q): give the weeks it moves", i+1, x[0])
				}
				in.Displaces = append(in.Displaces, tandem.RoadmapImpact{Item: x[0], Weeks: *wk})
			}
		}
		_, err = s.svc.MoveSpecial(r.Context(), httpapi.Actor(r), r.PathValue("id"), in)
		return err
	})
}

// ---- The matrix ----

// spMatrixPage is the matrix.
type spMatrixPage struct {
	Plot      spPlot
	Quadrants []spQuadrant
	Unscored  []spCard
	Settings  tandem.SpecialSettings
	AHigh     string
	EHigh     string
}

// spQuadrant is one quadrant's table.
type spQuadrant struct {
	Key, Label, Badge, Action, Anchor string
	Rows                              []spMatrixRow
}

// spMatrixRow is one placed special.
type spMatrixRow struct {
	Num                            int // the dot's number on the plot
	Card                           spCard
	Alignment, Effort, Action, Why string
}

// spPlot is the scatter as coordinates in a fixed viewBox. internal/chart
// draws interval charts, bars and trends but no scatter, so the matrix is
// drawn by its template: every number here is computed in Go and every
// text (titles, labels) goes through html/template's escaping, so the
// inline SVG carries nothing the CSP forbids.
type spPlot struct {
	W, H                  float64
	Left, Right, Top, Bot float64
	ThreshX, ThreshY      float64
	XTicks, YTicks        []spTick
	Points                []spPoint
	Desc                  string
	QuadLabels            []spTick
}

// spTick is a tick (or a label) at a position.
type spTick struct {
	X, Y          float64
	Label, Anchor string
}

// spPoint is one special on the plot.
type spPoint struct {
	X, Y        float64
	Href, Title string
	Label       string
	Class       string
}

func (s *Site) handleSpecialsMatrix(w http.ResponseWriter, r *http.Request) error {
	m, err := s.svc.Matrix(r.Context())
	if err != nil {
		return err
	}
	set := m.Settings
	d := spMatrixPage{Settings: set, AHigh: weeksText(set.AlignmentHigh), EHigh: weeksText(set.EffortHighWeeks)}
	quads := httpapi.MatrixQuadrants()
	actions := map[specials.Quadrant]string{
		specials.LowEffortHighAlignment:  "accept, or sequence it if it is already on the roadmap",
		specials.HighEffortHighAlignment: "descope or sequence: deliver the value in slices, or through services or partners",
		specials.LowEffortLowAlignment:   "usually decline, unless there is a strategic non-monetary benefit (say why)",
		specials.HighEffortLowAlignment:  "decline, and defend it with the data and the cost estimate",
	}
	idx := map[specials.Quadrant]int{}
	for i, q := range quads {
		idx[q] = i
		d.Quadrants = append(d.Quadrants, spQuadrant{Key: string(q), Label: quadrantLabels[q], Badge: quadrantBadge(q), Action: actions[q], Anchor: "q-" + string(q)})
	}
	for i, v := range m.Placed {
		pl := v.Placement
		q := &d.Quadrants[idx[pl.Quadrant]]
		q.Rows = append(q.Rows, spMatrixRow{Num: i + 1, Card: spCardOf(v), Alignment: weeksText(pl.Alignment), Effort: weeksText(pl.EffortWeeks), Action: pl.Action, Why: pl.Why})
	}
	for _, v := range m.Unscored {
		c := spCardOf(v)
		var needs []string
		if v.Alignment == nil {
			needs = append(needs, "an alignment score")
		}
		if v.Effort == nil {
			needs = append(needs, "an effort estimate")
		}
		c.Needs = strings.Join(needs, " and ")
		d.Unscored = append(d.Unscored, c)
	}
	d.Plot = matrixPlot(m.Placed, set)
	v := s.newView(r, "Specials matrix", "specials")
	v.Data = d
	return s.render(w, http.StatusOK, "specials_matrix", v)
}

// matrixPlot lays the placed specials out: effort in weeks on x (from 0
// to a round number past the largest estimate and twice the threshold),
// alignment 0–10 on y, with the two threshold lines.
func matrixPlot(placed []service.SpecialView, set tandem.SpecialSettings) spPlot {
	p := spPlot{W: 720, H: 420, Left: 56, Right: 700, Top: 20, Bot: 370}
	maxX := 2 * set.EffortHighWeeks
	for _, v := range placed {
		if wk := v.Placement.EffortWeeks; !math.IsNaN(wk) && !math.IsInf(wk, 0) {
			maxX = max(maxX, wk*1.1)
		}
	}
	if !(maxX > 0) || math.IsInf(maxX, 0) {
		maxX = 10
	}
	step := niceStep(maxX / 5)
	maxX = math.Ceil(maxX/step) * step
	// Values are clamped into the plot (a NaN to its origin), so no
	// stored figure draws a dot outside the axes.
	clamp := func(v, hi float64) float64 {
		if math.IsNaN(v) {
			return 0
		}
		return math.Max(0, math.Min(v, hi))
	}
	x := func(wk float64) float64 { return round1(p.Left + (p.Right-p.Left)*clamp(wk, maxX)/maxX) }
	y := func(a float64) float64 { return round1(p.Bot - (p.Bot-p.Top)*clamp(a, 10)/10) }
	for t := 0.0; t <= maxX+1e-9; t += step {
		p.XTicks = append(p.XTicks, spTick{X: x(t), Y: p.Bot, Label: weeksText(t)})
	}
	for a := 0.0; a <= 10; a += 2 {
		p.YTicks = append(p.YTicks, spTick{X: p.Left, Y: y(a), Label: weeksText(a)})
	}
	p.ThreshX, p.ThreshY = x(set.EffortHighWeeks), y(set.AlignmentHigh)
	p.QuadLabels = []spTick{
		{X: p.Left + 6, Y: p.Top + 14, Label: "accept or sequence", Anchor: "start"},
		{X: p.Right - 6, Y: p.Top + 14, Label: "descope or sequence", Anchor: "end"},
		{X: p.Left + 6, Y: p.Bot - 8, Label: "decline unless strategic", Anchor: "start"},
		{X: p.Right - 6, Y: p.Bot - 8, Label: "decline", Anchor: "end"},
	}
	for i, v := range placed {
		pl := v.Placement
		p.Points = append(p.Points, spPoint{X: x(pl.EffortWeeks), Y: y(pl.Alignment), Href: specialHref(v.ID),
			Title: fmt.Sprintf("%s: alignment %s, effort %s weeks, %s", v.Title, weeksText(pl.Alignment), weeksText(pl.EffortWeeks), pl.Action),
			Label: strconv.Itoa(i + 1), Class: "sp-dot sp-" + string(pl.Quadrant)})
	}
	p.Desc = fmt.Sprintf("%d specials placed by alignment (0 to 10, high at %s or above) and effort in engineering weeks (high at %s or above); the tables below list them.",
		len(placed), weeksText(set.AlignmentHigh), weeksText(set.EffortHighWeeks))
	return p
}

// niceStep rounds a raw tick step up to 1, 2 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	if raw <= 0 || math.IsNaN(raw) || math.IsInf(raw, 0) {
		return 1
	}
	pow := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if raw <= m*pow {
			return m * pow
		}
	}
	return 10 * pow
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// ---- Capacity ----

// spCapacityPage is a quarter's budget.
type spCapacityPage struct {
	B                                                           specials.Budget
	Quarter                                                     string
	Capacity, Budget, Warn, Committed, InProgress, Spent, Share string
	BudgetShare, WarnShare                                      string
	Over                                                        string // "", "budget", "warning"
	Lines                                                       []spBudgetRow
	Displaced                                                   [][2]string
	Bar                                                         spBar
}

// spBudgetRow is a special counted in the budget.
type spBudgetRow struct {
	ID, Href, Title, Step, StepBadge, Weeks string
}

// spBar is the budget drawn as one horizontal bar (viewBox 0–1000 wide):
// spent, then in progress, with the budget and warning lines.
type spBar struct {
	Spent, InProgress, BudgetX, WarnX float64
}

func spBudgetRowOf(l specials.BudgetLine) spBudgetRow {
	return spBudgetRow{ID: l.ID, Href: specialHref(l.ID), Title: l.Title, Step: stepLabel(l.Step), StepBadge: stepBadge(l.Step), Weeks: weeksText(l.Weeks)}
}

func (s *Site) handleSpecialsCapacity(w http.ResponseWriter, r *http.Request) error {
	q := strings.TrimSpace(r.URL.Query().Get("quarter"))
	if err := httpapi.CheckQuarter("quarter", q); err != nil {
		return err
	}
	b, err := s.svc.SpecialCapacity(r.Context(), q)
	if err != nil {
		return err
	}
	set, _, err := s.svc.SpecialSettings(r.Context())
	if err != nil {
		return err
	}
	d := spCapacityPage{B: b, Quarter: b.Quarter, Capacity: weeksText(b.CapacityWeeks), Budget: weeksText(b.BudgetWeeks), Warn: weeksText(b.WarnWeeks),
		Committed: weeksText(b.Committed), InProgress: weeksText(b.InProgress), Spent: weeksText(b.Spent), Share: percent(100 * b.Share),
		BudgetShare: percent(100 * set.BudgetShare), WarnShare: percent(100 * set.WarnShare)}
	switch {
	case b.Committed > b.WarnWeeks+1e-9:
		d.Over = "warning"
	case b.Committed > b.BudgetWeeks+1e-9:
		d.Over = "budget"
	}
	for _, l := range b.Specials {
		d.Lines = append(d.Lines, spBudgetRowOf(l))
	}
	for _, x := range b.Displaced {
		d.Displaced = append(d.Displaced, [2]string{x.Item, weeksText(x.Weeks)})
	}
	// The bar's scale is the larger of the warning line (with room) and
	// what is committed, so both lines and the whole bar stay in view.
	scale := max(b.WarnWeeks*1.5, b.Committed, 1)
	px := func(wk float64) float64 { return round1(1000 * wk / scale) }
	d.Bar = spBar{Spent: px(b.Spent), InProgress: px(b.InProgress), BudgetX: px(b.BudgetWeeks), WarnX: px(b.WarnWeeks)}
	v := s.newView(r, "Specials capacity, "+b.Quarter, "specials")
	v.Data = d
	return s.render(w, http.StatusOK, "specials_capacity", v)
}

// ---- Outcomes ----

// spOutcomesPage is the outcome report.
type spOutcomesPage struct {
	R                                   specials.OutcomeReport
	MinN                                int
	With, Comparable, Difference, Reuse string
	DiffInsufficient                    bool
	CapacityShare                       string
	OneOffs                             []spBudgetRow
	Rows                                []spOutcomeRow
	Defs                                [][2]string
}

// spOutcomeRow is one built special's outcome.
type spOutcomeRow struct {
	ID, Href, Title, Step, StepBadge, Deal, DealHref, DealOutcome, Revenue, Feature, FeatureHref, Weeks string
	OtherAccounts, Tickets                                                                              int
	Productized                                                                                         bool
}

// spProportion prints a proportion with its n and interval, or
// "insufficient data" with its n.
func spProportion(p specials.Proportion) string {
	switch {
	case p.N == 0:
		return "no data (n=0)"
	case p.Insufficient:
		return fmt.Sprintf("insufficient data (%d of %d, n=%d)", p.K, p.N, p.N)
	}
	return fmt.Sprintf("%s [%s, %s], %d of %d (n=%d)", percent(100*p.Value), percent(100*p.CILow), percent(100*p.CIHigh), p.K, p.N, p.N)
}

func (s *Site) handleSpecialsOutcomes(w http.ResponseWriter, r *http.Request) error {
	minN := specials.DefaultMinN
	if v := strings.TrimSpace(r.URL.Query().Get("min_n")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100000 {
			return tandem.Errorf(tandem.EINVALID, "min_n: %q is not a whole number from 1 to 100000", v)
		}
		minN = n
	}
	rep, err := s.svc.SpecialOutcomes(r.Context(), minN)
	if err != nil {
		return err
	}
	d := spOutcomesPage{R: rep, MinN: cmp.Or(rep.MinN, minN), With: spProportion(rep.WithSpecial), Comparable: spProportion(rep.Comparable),
		Reuse: spProportion(rep.Reuse), DiffInsufficient: rep.Difference.Insufficient}
	df := rep.Difference
	switch {
	case df.Insufficient || df.N1 == 0 || df.N0 == 0:
		d.Difference = cmp.Or(df.Note, fmt.Sprintf("insufficient data (n=%d with, n=%d without)", df.N1, df.N0))
		d.DiffInsufficient = true
	default:
		d.Difference = fmt.Sprintf("%+.1f points [%+.1f, %+.1f] (n=%d with, n=%d without)", 100*df.Value, 100*df.CILow, 100*df.CIHigh, df.N1, df.N0)
	}
	if rep.CapacityWeeks > 0 {
		d.CapacityShare = fmt.Sprintf("%s of %s weeks (%s)", weeksText(rep.SpecialWeeks), weeksText(rep.CapacityWeeks), percent(100*rep.CapacityShare))
	} else {
		d.CapacityShare = "no special accepted yet (0 weeks)"
	}
	for _, l := range rep.OneOffs {
		d.OneOffs = append(d.OneOffs, spBudgetRowOf(l))
	}
	for _, o := range rep.Rows {
		row := spOutcomeRow{ID: o.ID, Href: specialHref(o.ID), Title: o.Title, Step: stepLabel(o.Step), StepBadge: stepBadge(o.Step), Deal: o.DealID,
			DealHref: dealHref(o.DealID), DealOutcome: o.DealOutcome, Revenue: moneyText(o.Revenue), Feature: o.Feature, Weeks: weeksText(o.Weeks),
			OtherAccounts: o.OtherAccounts, Tickets: o.Tickets, Productized: o.Productized}
		if o.Feature != "" {
			row.FeatureHref = "/features/" + url.PathEscape(o.Feature)
		}
		d.Rows = append(d.Rows, row)
	}
	keys := make([]string, 0, len(rep.Definitions))
	for k := range rep.Definitions {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		d.Defs = append(d.Defs, [2]string{k, rep.Definitions[k]})
	}
	v := s.newView(r, "Specials outcomes", "specials")
	v.Data = d
	return s.render(w, http.StatusOK, "specials_outcomes", v)
}

// ---- Settings ----

// spSettingsForm is the settings form's values, as typed.
type spSettingsForm struct {
	Version                                                               int
	AlignmentHigh, EffortHighWeeks, CapacityWeeks, BudgetShare, WarnShare string
	MinDealAmount, Leaders, Quarters                                      string
}

// spSettingsPage is the settings editor.
type spSettingsPage struct {
	Form     spSettingsForm
	Problems []string
}

func settingsFormOf(set tandem.SpecialSettings, v int) spSettingsForm {
	f := spSettingsForm{Version: v, AlignmentHigh: decimal(set.AlignmentHigh), EffortHighWeeks: decimal(set.EffortHighWeeks),
		CapacityWeeks: decimal(set.CapacityWeeks), BudgetShare: decimal(set.BudgetShare), WarnShare: decimal(set.WarnShare),
		MinDealAmount: decimal(set.MinDealAmount), Leaders: strings.Join(set.Leaders, ", ")}
	qs := make([]string, 0, len(set.Quarters))
	for q := range set.Quarters {
		qs = append(qs, q)
	}
	slices.Sort(qs)
	for i, q := range qs {
		qs[i] = q + " = " + decimal(set.Quarters[q])
	}
	f.Quarters = strings.Join(qs, "\n")
	return f
}

func (s *Site) handleSpecialSettings(w http.ResponseWriter, r *http.Request) error {
	set, v, err := s.svc.SpecialSettings(r.Context())
	if err != nil {
		return err
	}
	return s.specialSettings(w, r, http.StatusOK, "", spSettingsPage{Form: settingsFormOf(set, v)})
}

func (s *Site) specialSettings(w http.ResponseWriter, r *http.Request, status int, problem string, d spSettingsPage) error {
	v := s.newView(r, "Specials settings", "specials")
	v.Flash, v.Problem, v.Data = spFlash(r), problem, d
	return s.render(w, status, "specials_settings", v)
}

// handleSpecialSettingsApply applies the settings form, or shows every
// problem (the form's own and the settings' checks) with the values as
// typed; nothing is stored unless all are fixed.
func (s *Site) handleSpecialSettingsApply(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return httpapi.BodyError(err)
	}
	val := func(k string) string { return strings.TrimSpace(strings.ReplaceAll(r.PostFormValue(k), "\r\n", "\n")) }
	f := spSettingsForm{AlignmentHigh: val("alignment_high"), EffortHighWeeks: val("effort_high_weeks"), CapacityWeeks: val("capacity_weeks"),
		BudgetShare: val("budget_share"), WarnShare: val("warn_share"), MinDealAmount: val("min_deal_amount"), Leaders: val("leaders"), Quarters: val("quarters")}
	v, err := strconv.Atoi(val("version"))
	if err != nil {
		return tandem.Errorf(tandem.EINVALID, "version: %q is not a version number; reload the page", val("version"))
	}
	f.Version = v
	var probs []string
	num := func(name, s string) float64 {
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			probs = append(probs, fmt.Sprintf("%s: %q is not a number", name, s))
			return math.NaN()
		}
		return n
	}
	set := tandem.SpecialSettings{AlignmentHigh: num("alignment_high", f.AlignmentHigh), EffortHighWeeks: num("effort_high_weeks", f.EffortHighWeeks),
		CapacityWeeks: num("capacity_weeks", f.CapacityWeeks), BudgetShare: num("budget_share", f.BudgetShare), WarnShare: num("warn_share", f.WarnShare),
		Leaders: splitList(f.Leaders)}
	set.MinDealAmount = 0
	if f.MinDealAmount != "" {
		set.MinDealAmount = num("min_deal_amount", f.MinDealAmount)
	}
	for i, line := range strings.Split(f.Quarters, "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		q, wk, ok := strings.Cut(line, "=")
		if !ok {
			probs = append(probs, fmt.Sprintf("quarters line %d: %q is not QUARTER = WEEKS (2026-Q4 = 100)", i+1, line))
			continue
		}
		if set.Quarters == nil {
			set.Quarters = map[string]float64{}
		}
		set.Quarters[strings.TrimSpace(q)] = num(fmt.Sprintf("quarters line %d", i+1), strings.TrimSpace(wk))
	}
	// Problems of the form and of the settings are listed together, so
	// one round fixes them all; NaN from an unreadable number is left out
	// of the settings' check, which would name it a second time.
	check, def := set, tandem.DefaultSpecialSettings()
	for _, f := range []struct {
		v  *float64
		ok float64
	}{{&check.AlignmentHigh, def.AlignmentHigh}, {&check.EffortHighWeeks, def.EffortHighWeeks},
		{&check.CapacityWeeks, def.CapacityWeeks}, {&check.BudgetShare, 0}, {&check.WarnShare, 1}, {&check.MinDealAmount, 0}} {
		if math.IsNaN(*f.v) {
			*f.v = f.ok
		}
	}
	for q, wk := range check.Quarters {
		if math.IsNaN(wk) {
			check.Quarters[q] = 1
		}
	}
	if err := specials.CheckSettings(check); err != nil {
		msg := strings.TrimPrefix(tandem.ErrorMessage(err), "special settings: ")
		probs = append(probs, strings.Split(msg, "; ")...)
	}
	if len(probs) == 0 {
		_, _, err = s.svc.PutSpecialSettings(r.Context(), httpapi.Actor(r), set, f.Version)
		if userProblem(err) {
			return s.specialSettings(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), spSettingsPage{Form: f})
		}
		if err != nil {
			return err
		}
		return redirect(w, r, "/specials/settings?done=settings")
	}
	return s.specialSettings(w, r, http.StatusBadRequest, "The settings are refused and nothing changed: fix every problem listed below and apply again.",
		spSettingsPage{Form: f, Problems: probs})
}

// ---- The deal page's section ----

// dealSpecials is the Specials section of a deal's page.
type dealSpecials struct {
	Cards   []spCard
	NewHref string
	CanFile bool
}

// dealSpecialsOf returns the deal page's Specials section.
func (s *Site) dealSpecialsOf(r *http.Request, dealID string) (*dealSpecials, error) {
	p := auth.FromContext(r.Context())
	list, err := s.svc.Specials(r.Context(), service.SpecialQuery{DealID: dealID})
	if err != nil {
		return nil, err
	}
	d := &dealSpecials{NewHref: "/specials/new?deal=" + url.QueryEscape(dealID), CanFile: p.Can(auth.PermSpecialsFile)}
	for _, v := range list {
		d.Cards = append(d.Cards, spCardOf(v))
	}
	if len(d.Cards) == 0 && !d.CanFile {
		return nil, nil
	}
	return d, nil
}
