package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/desk"
	"github.com/tandemhq/tandem/internal/httpapi"
	"github.com/tandemhq/tandem/internal/service"
)

// reviewBoard is the review board page: the next meeting's agenda, the
// outcomes of reviewed deals against similar unreviewed ones, and the
// triggers.
type reviewBoard struct {
	Date       string
	Agenda     *service.Agenda
	Items      []agendaRow
	Outcomes   []figView
	Notes      []string
	Triggers   triggersForm
	CanAdmin   bool
	Version    int
	ScanResult string
}

// agendaRow is one deal on the agenda.
type agendaRow struct {
	DealID, Href, Name, Amount, Triggers, Decision, Outcome string
	Open, Overdue                                           int
	Actions                                                 []actionRow
}

// actionRow is one action of a review.
type actionRow struct {
	Index                int
	Text, Owner, Due     string
	Done, Overdue, Blank bool
}

// triggersForm is the triggers as the form shows them.
type triggersForm struct {
	MinAmount, Verticals, Strategic, MeetingDays string
	ProductGap, Special                          bool
}

func triggersFormOf(t desk.Triggers) triggersForm {
	days := make([]string, len(t.MeetingDays))
	for i, d := range t.MeetingDays {
		days[i] = strconv.Itoa(d)
	}
	return triggersForm{MinAmount: strconv.FormatFloat(t.MinAmount, 'f', -1, 64), Verticals: strings.Join(t.Verticals, ", "),
		Strategic: strings.Join(t.Strategic, ", "), MeetingDays: strings.Join(days, ", "), ProductGap: t.ProductGap, Special: t.Special}
}

// splitList reads a comma-separated form field.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func (s *Site) handleReviews(w http.ResponseWriter, r *http.Request) error {
	return s.reviews(w, r, http.StatusOK, "", nil)
}

func (s *Site) reviews(w http.ResponseWriter, r *http.Request, status int, problem string, form *triggersForm) error {
	p, err := require(r, auth.PermDeskRead)
	if err != nil {
		return err
	}
	ctx := r.Context()
	date := s.sessions.Now().UTC()
	if v := r.URL.Query().Get("date"); v != "" {
		if date, err = time.Parse(time.DateOnly, v); err != nil {
			return tandem.Errorf(tandem.EINVALID, "date: %q is not a day (YYYY-MM-DD)", v)
		}
	}
	ag, err := s.svc.ReviewAgenda(ctx, httpapi.Actor(r), date)
	if err != nil {
		return err
	}
	t, version, err := s.svc.ReviewTriggers(ctx)
	if err != nil {
		return err
	}
	out, err := s.svc.ReviewReport(ctx, time.Time{}, time.Time{})
	if err != nil {
		return err
	}
	d := reviewBoard{Date: dateText(date), Agenda: ag, CanAdmin: p.Can(auth.PermDeskAdmin), Version: version,
		Triggers: triggersFormOf(t), Outcomes: figureViews([]desk.Figure{out.Reviewed, out.Unreviewed, out.Difference}), Notes: out.Notes}
	if form != nil {
		d.Triggers = *form
	}
	for _, it := range ag.Items {
		rv := it.Review
		row := agendaRow{DealID: rv.DealID, Href: "/desk/reviews/" + rv.DealID, Name: rv.Snapshot.Name,
			Amount: money(rv.Snapshot.Amount, ""), Triggers: strings.Join(rv.Triggers, "; "), Decision: rv.Decision,
			Outcome: rv.Outcome, Open: len(it.OpenActions), Overdue: it.Overdue}
		for i, a := range it.OpenActions {
			row.Actions = append(row.Actions, actionRow{Index: i, Text: a.Text, Owner: a.Owner, Due: dateText(a.Due), Overdue: a.Due.Before(ag.Meeting)})
		}
		d.Items = append(d.Items, row)
	}
	v := s.newView(r, "Deal reviews", "reviews")
	v.Flash, v.Problem, v.Data = deskFlash(r), problem, d
	return s.render(w, status, "desk_reviews", v)
}

func (s *Site) handleTriggersSave(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermDeskAdmin); err != nil {
		return err
	}
	f := triggersForm{MinAmount: strings.TrimSpace(r.PostFormValue("min_amount")), Verticals: r.PostFormValue("verticals"),
		Strategic: r.PostFormValue("strategic"), MeetingDays: r.PostFormValue("meeting_days"),
		ProductGap: r.PostFormValue("product_gap") != "", Special: r.PostFormValue("special_request") != ""}
	t := desk.Triggers{Verticals: splitList(f.Verticals), Strategic: splitList(f.Strategic), ProductGap: f.ProductGap, Special: f.Special}
	var problems []string
	if f.MinAmount != "" {
		v, err := strconv.ParseFloat(f.MinAmount, 64)
		if err != nil {
			problems = append(problems, fmt.Sprintf("minimum deal size: %q is not a number", f.MinAmount))
		}
		t.MinAmount = v
	}
	for _, d := range splitList(f.MeetingDays) {
		n, err := strconv.Atoi(d)
		if err != nil {
			problems = append(problems, fmt.Sprintf("meeting days: %q is not a day of the month", d))
		}
		t.MeetingDays = append(t.MeetingDays, n)
	}
	if len(problems) > 0 {
		return s.reviews(w, r, http.StatusBadRequest, strings.Join(problems, "; "), &f)
	}
	_, err := s.svc.PutReviewTriggers(r.Context(), httpapi.Actor(r), t)
	if userProblem(err) {
		return s.reviews(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), &f)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/desk/reviews?done=triggers-saved")
}

func (s *Site) handleReviewScan(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermDeskAdmin); err != nil {
		return err
	}
	if _, _, err := s.svc.ScanReviews(r.Context(), httpapi.Actor(r)); err != nil {
		return err
	}
	return redirect(w, r, "/desk/reviews?done=reviews-scanned")
}

// reviewPage is one review record.
type reviewPage struct {
	Review   desk.Review
	DealHref string
	Amount   string
	Opened   string
	Evidence []figView
	Actions  []actionRow
	History  []versionRow
}

func (s *Site) handleReview(w http.ResponseWriter, r *http.Request) error {
	return s.review(w, r, http.StatusOK, "", nil)
}

func (s *Site) review(w http.ResponseWriter, r *http.Request, status int, problem string, edited *desk.Review) error {
	if _, err := require(r, auth.PermDeskRead); err != nil {
		return err
	}
	rv, hist, err := s.svc.Review(r.Context(), r.PathValue("deal"))
	if err != nil {
		return err
	}
	if edited != nil {
		rv.ProductResponse, rv.Decision, rv.Actions = edited.ProductResponse, edited.Decision, edited.Actions
	}
	d := reviewPage{Review: rv, DealHref: "/deals/" + rv.DealID, Amount: money(rv.Snapshot.Amount, ""),
		Opened: dateText(rv.OpenedAt), Evidence: figureViews(rv.Evidence.Figures)}
	now := s.sessions.Now()
	for i, a := range rv.Actions {
		d.Actions = append(d.Actions, actionRow{Index: i, Text: a.Text, Owner: a.Owner, Due: dateText(a.Due), Done: a.Done,
			Overdue: !a.Done && a.Due.Before(now)})
	}
	for i := range 2 {
		d.Actions = append(d.Actions, actionRow{Index: len(rv.Actions) + i, Blank: true})
	}
	for i := len(hist) - 1; i >= 0; i-- {
		h := hist[i]
		d.History = append(d.History, versionRow{Version: h.Version, At: dateTimeText(h.CreatedAt), Author: h.Author, Note: h.Note})
	}
	v := s.newView(r, "Review of "+rv.DealID, "reviews")
	v.Flash, v.Problem, v.Data = deskFlash(r), problem, d
	return s.render(w, status, "desk_review", v)
}

func (s *Site) handleReviewSave(w http.ResponseWriter, r *http.Request) error {
	if _, err := require(r, auth.PermDeskRead); err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return tandem.Errorf(tandem.EINVALID, "malformed form: %v", err)
	}
	version, err := strconv.Atoi(r.PostFormValue("version"))
	if err != nil {
		return tandem.Errorf(tandem.EINVALID, "version: %q is not a version", r.PostFormValue("version"))
	}
	u := service.ReviewUpdate{Version: version, ProductResponse: r.PostFormValue("product_response"), Decision: r.PostFormValue("decision"), Actions: []desk.Action{}}
	texts, owners, dues := r.PostForm["action_text"], r.PostForm["action_owner"], r.PostForm["action_due"]
	done := map[string]bool{}
	for _, d := range r.PostForm["action_done"] {
		done[d] = true
	}
	var problems []string
	for i := range texts {
		text, owner, due := strings.TrimSpace(texts[i]), at(owners, i), at(dues, i)
		if text == "" && owner == "" && due == "" {
			continue // an empty row
		}
		a := desk.Action{Text: text, Owner: owner, Done: done[strconv.Itoa(i)]}
		if due != "" {
			if a.Due, err = time.Parse(time.DateOnly, due); err != nil {
				problems = append(problems, fmt.Sprintf("action %d: due %q is not a day", i+1, due))
			}
		}
		u.Actions = append(u.Actions, a)
	}
	edited := &desk.Review{ProductResponse: u.ProductResponse, Decision: u.Decision, Actions: u.Actions}
	if len(problems) > 0 {
		return s.review(w, r, http.StatusBadRequest, strings.Join(problems, "; "), edited)
	}
	_, err = s.svc.UpdateReview(r.Context(), httpapi.Actor(r), r.PathValue("deal"), u)
	if userProblem(err) {
		return s.review(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), edited)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/desk/reviews/"+r.PathValue("deal")+"?done=review-saved")
}

// at returns l[i], trimmed, or "".
func at(l []string, i int) string {
	if i < len(l) {
		return strings.TrimSpace(l[i])
	}
	return ""
}
