package httpapi

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/desk"
	"github.com/tandemhq/tandem/internal/service"
)

// deskRoutes are the deal desk's routes (issue 7): checks, quotes,
// approvals, rules, archetypes and settings.
func (s *Server) deskRoutes() []Route {
	const (
		get, post, put = http.MethodGet, http.MethodPost, http.MethodPut
	)
	return []Route{
		{Method: post, Path: "/api/v1/desk/check", Perm: auth.PermDeskRead, Summary: "Check a quote (not saved) or a deal: archetype, bands, flags with evidence, approvals needed", Handler: s.handleDeskCheck},
		{Method: get, Path: "/api/v1/desk/flags", Perm: auth.PermDeskRead, Summary: "The guardrail flags and their definitions", Handler: s.handleFlagDocs},
		{Method: get, Path: "/api/v1/desk/deals/{id}/check", Perm: auth.PermDeskRead, Summary: "Check a deal: its latest quote, or a draft from its line items", Handler: s.handleDealCheck},
		{Method: get, Path: "/api/v1/desk/deals/{id}/quotes", Perm: auth.PermDeskRead, Summary: "A deal's quotes, latest version of each", Handler: s.handleDealQuotes},
		{Method: get, Path: "/api/v1/desk/deals/{id}/draft", Perm: auth.PermDeskRead, Summary: "A draft quote for a deal from its line items or products", Handler: s.handleDraftQuote},
		{Method: post, Path: "/api/v1/desk/quotes", Perm: auth.PermDeskQuote, Summary: "Save a quote: a new quote, or a new version of one (version is the version the edit started from)", Handler: s.handleQuoteSave},
		{Method: get, Path: "/api/v1/desk/quotes/{id}", Perm: auth.PermDeskRead, Summary: "A quote version (?version=N, default latest) with its diff, check and approvals", Handler: s.handleQuote},
		{Method: post, Path: "/api/v1/desk/quotes/{id}/acks", Perm: auth.PermDeskQuote, Summary: "Acknowledge a flag on a quote's latest version", Handler: s.handleAck},
		{Method: get, Path: "/api/v1/desk/approvals", Perm: auth.PermDeskRead, Summary: "The approvals inbox: pending steps the caller can decide (?all=1: every pending step, desk:admin)", Handler: s.handleInbox},
		{Method: post, Path: "/api/v1/desk/approvals/{id}/approve", Perm: auth.PermDeskRead, Summary: "Approve a pending step (its approver, a holder of its role, or their delegate)", Handler: s.handleDecide(desk.Approve)},
		{Method: post, Path: "/api/v1/desk/approvals/{id}/reject", Perm: auth.PermDeskRead, Summary: "Reject a pending step, with a reason", Handler: s.handleDecide(desk.Reject)},
		{Method: post, Path: "/api/v1/desk/approvals/{id}/delegate", Perm: auth.PermDeskRead, Summary: "Hand a pending step to another user", Handler: s.handleDelegate},
		{Method: put, Path: "/api/v1/desk/away", Perm: auth.PermDeskRead, Summary: "Set (or clear, with an empty to) who approves for the caller while away", Handler: s.handleAway},
		{Method: post, Path: "/api/v1/desk/escalate", Perm: auth.PermDeskAdmin, Summary: "Escalate approvals pending past their SLA now", Handler: s.handleEscalate},
		{Method: get, Path: "/api/v1/desk/rules", Perm: auth.PermDeskRead, Summary: "The active approval rule set (?version=N for an older one)", Handler: s.handleRules},
		{Method: put, Path: "/api/v1/desk/rules", Perm: auth.PermDeskAdmin, Summary: "Apply a rule set (YAML or JSON source); refused with every problem when invalid", Handler: s.handleRulesApply},
		{Method: get, Path: "/api/v1/desk/rules/history", Perm: auth.PermDeskRead, Summary: "Every applied version of the rule set, newest first", Handler: s.handleRulesHistory},
		{Method: get, Path: "/api/v1/desk/archetypes", Perm: auth.PermDeskRead, Summary: "Stored archetypes, proposed and accepted", Handler: s.handleArchetypes},
		{Method: post, Path: "/api/v1/desk/archetypes/derive", Perm: auth.PermDeskAdmin, Summary: "Propose archetypes from closed deals (nothing is stored)", Handler: s.handleDerive},
		{Method: get, Path: "/api/v1/desk/archetypes/{id}", Perm: auth.PermDeskRead, Summary: "Every version of an archetype", Handler: s.handleArchetype},
		{Method: put, Path: "/api/v1/desk/archetypes/{id}", Perm: auth.PermDeskAdmin, Summary: "Save an archetype as a new version (version is the version the edit started from)", Handler: s.handleArchetypeSave},
		{Method: get, Path: "/api/v1/desk/settings", Perm: auth.PermDeskRead, Summary: "Desk settings", Handler: s.handleDeskSettings},
		{Method: put, Path: "/api/v1/desk/settings", Perm: auth.PermDeskAdmin, Summary: "Change desk settings", Handler: s.handleDeskSettingsPut},
		{Method: get, Path: "/api/v1/desk/notifications", Perm: auth.PermDeskAdmin, Summary: "The notification outbox, newest first", Handler: s.handleNotifications},
		{Method: get, Path: "/api/v1/desk/reviews/triggers", Perm: auth.PermDeskRead, Summary: "The deal-review triggers and their version", Handler: s.handleReviewTriggers},
		{Method: put, Path: "/api/v1/desk/reviews/triggers", Perm: auth.PermDeskAdmin, Summary: "Change the deal-review triggers", Handler: s.handleReviewTriggersPut},
		{Method: post, Path: "/api/v1/desk/reviews/scan", Perm: auth.PermDeskAdmin, Summary: "Open reviews for the open deals the triggers fire on, and record the outcome of closed ones", Handler: s.handleReviewScan},
		{Method: get, Path: "/api/v1/desk/reviews/agenda", Perm: auth.PermDeskRead, Summary: "The agenda of the next review meeting (?date=YYYY-MM-DD, default today)", Handler: s.handleReviewAgenda},
		{Method: get, Path: "/api/v1/desk/reviews/report", Perm: auth.PermDeskRead, Summary: "Win rates of reviewed deals and of similar deals not reviewed (?from=&to=)", Handler: s.handleReviewReport},
		{Method: get, Path: "/api/v1/desk/deals/{id}/review", Perm: auth.PermDeskRead, Summary: "A deal's review and its versions", Handler: s.handleDealReview},
		// Product people hold desk:read but not desk:quote, and they write
		// the product response: updating a review needs desk:read only.
		{Method: put, Path: "/api/v1/desk/deals/{id}/review", Perm: auth.PermDeskRead, Summary: "Record a review's product response, decision and actions (version is the version the edit started from)", Handler: s.handleDealReviewPut},
	}
}

// checkRequest is the body of POST /api/v1/desk/check: a quote, or a deal.
type checkRequest struct {
	Quote  *tandem.Quote `json:"quote,omitempty"`
	DealID string        `json:"deal_id,omitempty"`
}

func (s *Server) handleDeskCheck(w http.ResponseWriter, r *http.Request) error {
	var req checkRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	var c *desk.Check
	var err error
	switch {
	case req.Quote != nil && req.DealID != "":
		return tandem.Errorf(tandem.EINVALID, "send a quote or a deal_id, not both")
	case req.Quote != nil:
		c, err = s.svc.CheckQuote(r.Context(), *req.Quote)
	case req.DealID != "":
		c, err = s.svc.CheckDeal(r.Context(), req.DealID)
	default:
		return tandem.Errorf(tandem.EINVALID, "send a quote or a deal_id")
	}
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, c)
}

// flagDocsResponse is the body of GET /api/v1/desk/flags.
type flagDocsResponse struct {
	Flags []desk.FlagDoc `json:"flags"`
}

func (s *Server) handleFlagDocs(w http.ResponseWriter, r *http.Request) error {
	return s.respondJSON(w, http.StatusOK, flagDocsResponse{desk.FlagDocs()})
}

func (s *Server) handleDealCheck(w http.ResponseWriter, r *http.Request) error {
	c, err := s.svc.CheckDeal(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, c)
}

// quotesResponse is the body of GET /api/v1/desk/deals/{id}/quotes.
type quotesResponse struct {
	Quotes []service.QuoteSummary `json:"quotes"`
}

func (s *Server) handleDealQuotes(w http.ResponseWriter, r *http.Request) error {
	if _, _, err := s.svc.Get(r.Context(), "deals", r.PathValue("id")); err != nil {
		return err
	}
	qs, err := s.svc.DealQuotes(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, quotesResponse{qs})
}

func (s *Server) handleDraftQuote(w http.ResponseWriter, r *http.Request) error {
	q, err := s.svc.DraftQuote(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, q)
}

func (s *Server) handleQuoteSave(w http.ResponseWriter, r *http.Request) error {
	var q tandem.Quote
	if err := decodeJSON(r, &q); err != nil {
		return err
	}
	v, err := s.svc.SaveQuote(r.Context(), Actor(r), q)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, v)
}

func (s *Server) handleQuote(w http.ResponseWriter, r *http.Request) error {
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
	v, err := s.svc.Quote(r.Context(), r.PathValue("id"), version)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, v)
}

// ackRequest is the body of POST /api/v1/desk/quotes/{id}/acks.
type ackRequest struct {
	Code string `json:"code"`
	Note string `json:"note"`
}

func (s *Server) handleAck(w http.ResponseWriter, r *http.Request) error {
	var req ackRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	v, err := s.svc.AckFlag(r.Context(), Actor(r), r.PathValue("id"), req.Code, req.Note)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, v)
}

// inboxResponse is the body of GET /api/v1/desk/approvals.
type inboxResponse struct {
	Approvals []service.ApprovalView `json:"approvals"`
}

func (s *Server) handleInbox(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r)
	if err != nil {
		return err
	}
	p := principal(r)
	all := q.Get("all") == "1" || q.Get("all") == "true"
	if all && !p.Can(auth.PermDeskAdmin) {
		return tandem.Errorf(tandem.EFORBIDDEN, "every pending approval needs %s", auth.PermDeskAdmin)
	}
	list, err := s.svc.Inbox(r.Context(), p.User, all)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, inboxResponse{list})
}

// decisionRequest is the body of an approve or reject.
type decisionRequest struct {
	Reason string `json:"reason"`
}

func (s *Server) handleDecide(d desk.Decision) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		var req decisionRequest
		if err := decodeJSON(r, &req); err != nil {
			return err
		}
		v, err := s.svc.Decide(r.Context(), Actor(r), principal(r).User, r.PathValue("id"), d, req.Reason)
		if err != nil {
			return err
		}
		return s.respondJSON(w, http.StatusOK, v)
	}
}

// delegateRequest is the body of POST /api/v1/desk/approvals/{id}/delegate.
type delegateRequest struct {
	To string `json:"to"`
}

func (s *Server) handleDelegate(w http.ResponseWriter, r *http.Request) error {
	var req delegateRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	a, err := s.svc.Delegate(r.Context(), Actor(r), principal(r).User, r.PathValue("id"), req.To)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, a)
}

// awayRequest is the body of PUT /api/v1/desk/away.
type awayRequest struct {
	To    string    `json:"to"`
	From  time.Time `json:"from,omitzero"`
	Until time.Time `json:"until,omitzero"`
	Note  string    `json:"note"`
}

func (s *Server) handleAway(w http.ResponseWriter, r *http.Request) error {
	var req awayRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	a, err := s.svc.SetAway(r.Context(), Actor(r), principal(r).User, req.To, req.From, req.Until, req.Note)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, a)
}

// escalateResponse is the body of POST /api/v1/desk/escalate.
type escalateResponse struct {
	Escalated int `json:"escalated"`
}

func (s *Server) handleEscalate(w http.ResponseWriter, r *http.Request) error {
	n, err := s.svc.EscalateDue(r.Context(), Actor(r))
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, escalateResponse{n})
}

func (s *Server) handleRules(w http.ResponseWriter, r *http.Request) error {
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
	v, err := s.svc.Rules(r.Context(), version)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, v)
}

// rulesRequest is the body of PUT /api/v1/desk/rules.
type rulesRequest struct {
	Name   string `json:"name"`
	Source string `json:"source"`
	Note   string `json:"note"`
}

func (s *Server) handleRulesApply(w http.ResponseWriter, r *http.Request) error {
	var req rulesRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Name == "" {
		req.Name = "rules.yaml"
	}
	v, err := s.svc.ApplyRules(r.Context(), Actor(r), req.Name, []byte(req.Source), req.Note)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, v)
}

// historyResponse is the body of GET /api/v1/desk/rules/history.
type historyResponse struct {
	Versions []tandem.Doc `json:"versions"`
}

func (s *Server) handleRulesHistory(w http.ResponseWriter, r *http.Request) error {
	h, err := s.svc.RulesHistory(r.Context())
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, historyResponse{h})
}

// archetypesResponse is the body of the archetype list and derive routes.
type archetypesResponse struct {
	Archetypes []desk.Archetype `json:"archetypes"`
}

func (s *Server) handleArchetypes(w http.ResponseWriter, r *http.Request) error {
	as, err := s.svc.Archetypes(r.Context())
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, archetypesResponse{as})
}

// deriveRequest is the body of POST /api/v1/desk/archetypes/derive.
type deriveRequest struct {
	MinN int    `json:"min_n"`
	From string `json:"from"`
	To   string `json:"to"`
}

func (s *Server) handleDerive(w http.ResponseWriter, r *http.Request) error {
	var req deriveRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	opts, err := service.DeriveOptions(req.MinN, req.From, req.To)
	if err != nil {
		return err
	}
	as, err := s.svc.DeriveArchetypes(r.Context(), opts)
	if err != nil {
		return err
	}
	if as == nil {
		as = []desk.Archetype{}
	}
	return s.respondJSON(w, http.StatusOK, archetypesResponse{as})
}

// archetypeHistory is the body of GET /api/v1/desk/archetypes/{id}.
type archetypeHistory struct {
	Versions []desk.Archetype `json:"versions"`
}

func (s *Server) handleArchetype(w http.ResponseWriter, r *http.Request) error {
	as, _, err := s.svc.ArchetypeHistory(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, archetypeHistory{as})
}

// archetypeRequest is the body of PUT /api/v1/desk/archetypes/{id}.
type archetypeRequest struct {
	Archetype desk.Archetype `json:"archetype"`
	Note      string         `json:"note"`
}

func (s *Server) handleArchetypeSave(w http.ResponseWriter, r *http.Request) error {
	var req archetypeRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	if req.Archetype.ID == "" {
		req.Archetype.ID = r.PathValue("id")
	}
	if req.Archetype.ID != r.PathValue("id") {
		return tandem.Errorf(tandem.EINVALID, "archetype id %q does not match the path %q", req.Archetype.ID, r.PathValue("id"))
	}
	a, err := s.svc.SaveArchetype(r.Context(), Actor(r), req.Archetype, req.Note)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, a)
}

// settingsResponse is the body of the desk settings routes.
type settingsResponse struct {
	Settings desk.Settings `json:"settings"`
	Version  int           `json:"version"`
}

func (s *Server) handleDeskSettings(w http.ResponseWriter, r *http.Request) error {
	set, v, err := s.svc.DeskSettings(r.Context())
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, settingsResponse{set, v})
}

func (s *Server) handleDeskSettingsPut(w http.ResponseWriter, r *http.Request) error {
	var set desk.Settings
	if err := decodeJSON(r, &set); err != nil {
		return err
	}
	if _, err := s.svc.PutDeskSettings(r.Context(), Actor(r), set); err != nil {
		return err
	}
	return s.handleDeskSettings(w, r)
}

// notificationsResponse is the body of GET /api/v1/desk/notifications.
type notificationsResponse struct {
	Notifications []tandem.Notification `json:"notifications"`
}

func (s *Server) handleNotifications(w http.ResponseWriter, r *http.Request) error {
	ns, err := s.svc.Notifications(r.Context(), 200)
	if err != nil {
		return err
	}
	if ns == nil {
		ns = []tandem.Notification{}
	}
	return s.respondJSON(w, http.StatusOK, notificationsResponse{ns})
}

// reviewTriggersResponse is the body of the review triggers routes.
type reviewTriggersResponse struct {
	Triggers desk.Triggers `json:"triggers"`
	Version  int           `json:"version"`
}

func (s *Server) handleReviewTriggers(w http.ResponseWriter, r *http.Request) error {
	t, v, err := s.svc.ReviewTriggers(r.Context())
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, reviewTriggersResponse{t, v})
}

func (s *Server) handleReviewTriggersPut(w http.ResponseWriter, r *http.Request) error {
	var t desk.Triggers
	if err := decodeJSON(r, &t); err != nil {
		return err
	}
	if _, err := s.svc.PutReviewTriggers(r.Context(), Actor(r), t); err != nil {
		return err
	}
	return s.handleReviewTriggers(w, r)
}

// reviewScanResponse is the body of POST /api/v1/desk/reviews/scan.
type reviewScanResponse struct {
	Opened int `json:"opened"`
	Closed int `json:"closed"`
}

func (s *Server) handleReviewScan(w http.ResponseWriter, r *http.Request) error {
	opened, closed, err := s.svc.ScanReviews(r.Context(), Actor(r))
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, reviewScanResponse{opened, closed})
}

// reviewDates reads the named date parameters (YYYY-MM-DD) of a review
// route, refusing any other parameter; a missing one is the zero time. An
// end date is the end of its day, so that it includes the day.
func reviewDates(r *http.Request, names ...string) (map[string]time.Time, error) {
	q, err := query(r)
	if err != nil {
		return nil, err
	}
	for k := range q {
		if !slices.Contains(names, k) {
			return nil, tandem.Errorf(tandem.EINVALID, "unknown parameter %q (use %s)", k, strings.Join(names, ", "))
		}
	}
	out := map[string]time.Time{}
	for _, name := range names {
		v := q.Get(name)
		if v == "" {
			continue
		}
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return nil, tandem.Errorf(tandem.EINVALID, "%s: %q is not a date (YYYY-MM-DD)", name, v)
		}
		if name == "to" {
			d = d.Add(24*time.Hour - time.Nanosecond)
		}
		out[name] = d
	}
	return out, nil
}

func (s *Server) handleReviewAgenda(w http.ResponseWriter, r *http.Request) error {
	d, err := reviewDates(r, "date")
	if err != nil {
		return err
	}
	date, ok := d["date"]
	if !ok {
		y, m, day := time.Now().UTC().Date()
		date = time.Date(y, m, day, 0, 0, 0, 0, time.UTC)
	}
	ag, err := s.svc.ReviewAgenda(r.Context(), Actor(r), date)
	if err != nil {
		return err
	}
	for i := range ag.Items {
		ag.Items[i].Review = reviewOut(ag.Items[i].Review)
	}
	return s.respondJSON(w, http.StatusOK, ag)
}

func (s *Server) handleReviewReport(w http.ResponseWriter, r *http.Request) error {
	d, err := reviewDates(r, "from", "to")
	if err != nil {
		return err
	}
	from, to := d["from"], d["to"]
	if !from.IsZero() && !to.IsZero() && to.Before(from) {
		return tandem.Errorf(tandem.EINVALID, "to %s is before from %s", to.Format(time.DateOnly), from.Format(time.DateOnly))
	}
	out, err := s.svc.ReviewReport(r.Context(), from, to)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, out)
}

// reviewResponse is the body of GET /api/v1/desk/deals/{id}/review.
type reviewResponse struct {
	Review   desk.Review  `json:"review"`
	Versions []tandem.Doc `json:"versions"`
}

func (s *Server) handleDealReview(w http.ResponseWriter, r *http.Request) error {
	rv, versions, err := s.svc.Review(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, reviewResponse{reviewOut(rv), versions})
}

func (s *Server) handleDealReviewPut(w http.ResponseWriter, r *http.Request) error {
	var u service.ReviewUpdate
	if err := decodeJSON(r, &u); err != nil {
		return err
	}
	rv, err := s.svc.UpdateReview(r.Context(), Actor(r), r.PathValue("id"), u)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, reviewOut(rv))
}

// reviewOut is a review as the API answers it: lists are empty rather
// than null (a review opened without desk evidence has none).
func reviewOut(r desk.Review) desk.Review {
	if r.Triggers == nil {
		r.Triggers = []string{}
	}
	if r.Evidence.Figures == nil {
		r.Evidence.Figures = []desk.Figure{}
	}
	if r.Evidence.Flags == nil {
		r.Evidence.Flags = []string{}
	}
	if r.Actions == nil {
		r.Actions = []desk.Action{}
	}
	return r
}
