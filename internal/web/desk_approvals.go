package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/desk"
	"github.com/tandemhq/tandem/internal/httpapi"
)

// inboxRow is one pending step in the approvals inbox.
type inboxRow struct {
	approvalRow
	ACV, Discount string
	// Mine is false for steps an admin sees in "every pending approval"
	// but may not decide.
	Mine bool
}

// awayForm is the "away" delegation form and the delegation in force.
type awayForm struct {
	To, From, Until, Note string
	Current               *desk.Away
	CurrentFrom           string
	CurrentUntil          string
	Active                bool
}

// inboxPage is the data of the approvals inbox.
type inboxPage struct {
	Rows     []inboxRow
	All      bool
	CanAll   bool
	Overdue  int
	Away     awayForm
	AllHref  string
	MineHref string
}

// handleInbox lists the pending approval steps the viewer can decide (every
// pending step for desk:admin holders with ?all=1), with forms to decide
// them and to set a delegate while away.
func (s *Site) handleInbox(w http.ResponseWriter, r *http.Request) error {
	return s.inbox(w, r, http.StatusOK, "", awayForm{})
}

// inbox renders the approvals inbox with status and an optional problem.
func (s *Site) inbox(w http.ResponseWriter, r *http.Request, status int, problem string, af awayForm) error {
	p, err := require(r, auth.PermDeskRead)
	if err != nil {
		return err
	}
	ctx := r.Context()
	d := inboxPage{CanAll: p.Can(auth.PermDeskAdmin), AllHref: "/desk/approvals?all=1", MineHref: "/desk/approvals", Away: af}
	all := r.URL.Query().Get("all") == "1" || r.PostFormValue("all") == "1"
	if all && !d.CanAll {
		return tandem.Errorf(tandem.EFORBIDDEN, "every pending approval needs %s", auth.PermDeskAdmin)
	}
	d.All = all
	list, err := s.svc.Inbox(ctx, p.User, all)
	if err != nil {
		return err
	}
	mine := map[string]bool{}
	if all {
		own, err := s.svc.Inbox(ctx, p.User, false)
		if err != nil {
			return err
		}
		for _, a := range own {
			mine[a.ID] = true
		}
	}
	now := s.sessions.Now()
	for _, a := range list {
		row := inboxRow{approvalRow: approvalRowOf(a.Approval, now), ACV: moneyText(a.ACV), Discount: percent(a.Discount), Mine: !all || mine[a.ID]}
		row.Overdue = a.Overdue
		row.CanDecide, row.As = row.Mine, a.As
		if row.Overdue {
			d.Overdue++
		}
		d.Rows = append(d.Rows, row)
	}
	if err := s.currentAway(r, &d.Away, now); err != nil {
		return err
	}
	v := s.newView(r, "Approvals", "approvals")
	v.Flash, v.Problem, v.Data = deskFlash(r), problem, d
	return s.render(w, status, "desk_approvals", v)
}

// currentAway fills the viewer's delegation in force, if any.
func (s *Site) currentAway(r *http.Request, af *awayForm, now time.Time) error {
	p := auth.FromContext(r.Context())
	a, ok, err := s.svc.Away(r.Context(), p.User.Email)
	if err != nil || !ok {
		return err
	}
	if a.To == "" || (!a.Until.IsZero() && !now.Before(a.Until)) {
		return nil
	}
	af.Current, af.Active = &a, a.Active(now)
	af.CurrentFrom, af.CurrentUntil = dateTimeText(a.From), dateTimeText(a.Until)
	return nil
}

// handleDecide approves or rejects a pending step, then returns to the
// page the form was on: the quote, or the inbox.
func (s *Site) handleDecide(d desk.Decision) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := require(r, auth.PermDeskRead)
		if err != nil {
			return err
		}
		quoteID := strings.TrimSpace(r.PostFormValue("quote"))
		fromQuote := r.PostFormValue("back") == "quote" && quoteID != ""
		_, err = s.svc.Decide(r.Context(), httpapi.Actor(r), p.User, r.PathValue("id"), d, r.PostFormValue("reason"))
		if deskProblem(err) || tandem.ErrorCode(err) == tandem.EFORBIDDEN {
			msg := tandem.ErrorMessage(err)
			if fromQuote {
				return s.quote(w, r, tandem.HTTPStatus(err), msg, quoteID)
			}
			return s.inbox(w, r, tandem.HTTPStatus(err), msg, awayForm{})
		}
		if err != nil {
			return err
		}
		done := "approved"
		if d == desk.Reject {
			done = "rejected"
		}
		if fromQuote {
			return redirect(w, r, quoteHref(quoteID)+"?done="+done+"#approvals")
		}
		return redirect(w, r, inboxHref(r)+"done="+done)
	}
}

// inboxHref is the inbox the form came from, ready for one more parameter.
func inboxHref(r *http.Request) string {
	if r.PostFormValue("all") == "1" {
		return "/desk/approvals?all=1&"
	}
	return "/desk/approvals?"
}

// handleDelegate hands a pending step to another user.
func (s *Site) handleDelegate(w http.ResponseWriter, r *http.Request) error {
	p, err := require(r, auth.PermDeskRead)
	if err != nil {
		return err
	}
	_, err = s.svc.Delegate(r.Context(), httpapi.Actor(r), p.User, r.PathValue("id"), r.PostFormValue("to"))
	if deskProblem(err) || tandem.ErrorCode(err) == tandem.EFORBIDDEN {
		return s.inbox(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), awayForm{})
	}
	if err != nil {
		return err
	}
	return redirect(w, r, inboxHref(r)+"done=delegated")
}

// handleAway sets (or, with no delegate, clears) who decides the viewer's
// approvals while they are away. Dates are days in UTC: away from the
// start of From (default now) until the start of Until (the day back).
func (s *Site) handleAway(w http.ResponseWriter, r *http.Request) error {
	p, err := require(r, auth.PermDeskRead)
	if err != nil {
		return err
	}
	af := awayForm{To: strings.TrimSpace(r.PostFormValue("to")), From: strings.TrimSpace(r.PostFormValue("from")),
		Until: strings.TrimSpace(r.PostFormValue("until")), Note: strings.TrimSpace(r.PostFormValue("note"))}
	var from, until time.Time
	for _, f := range []struct {
		name, v string
		t       *time.Time
	}{{"from", af.From, &from}, {"until", af.Until, &until}} {
		if f.v == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, f.v)
		if err != nil {
			return s.inbox(w, r, http.StatusBadRequest, f.name+": "+quoted(f.v)+" is not a date (YYYY-MM-DD)", af)
		}
		*f.t = t
	}
	_, err = s.svc.SetAway(r.Context(), httpapi.Actor(r), p.User, af.To, from, until, af.Note)
	if deskProblem(err) {
		return s.inbox(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), af)
	}
	if err != nil {
		return err
	}
	done := "away-set"
	if af.To == "" {
		done = "away-cleared"
	}
	return redirect(w, r, "/desk/approvals?done="+url.QueryEscape(done))
}

// quoted quotes a value typed into a form for a message.
func quoted(s string) string { return "\u201c" + s + "\u201d" }
