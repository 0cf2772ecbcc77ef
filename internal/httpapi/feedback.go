package httpapi

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/feedback"
	"github.com/tandemhq/tandem/internal/service"
)

// feedbackRoutes are the feedback hub's routes (issue 8): intake, the
// inbox, triage, settings, the SLA report, imports, attachments, and
// Slack's slash command and events endpoints.
//
// Permissions: anyone may submit (feedback:write); reading needs
// pipeline:read; a triage change (PATCH) needs feedback:admin or being
// the item's owner, since owners acknowledge what is routed to them
// whatever their role; settings and file imports need feedback:admin
// (which every role holding import:write has). The Slack endpoints are
// public: Slack's request signature is their authentication, so they take
// no session and no CSRF token (Route.Signed).
func (s *Server) feedbackRoutes() []Route {
	const (
		get, post, put, patch = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch
	)
	return []Route{
		{Method: post, Path: "/api/v1/feedback", Perm: auth.PermFeedbackWrite, Summary: "Submit a feedback item; 201 with the item, or 200 with duplicate=true when its source_ref was seen before", Handler: s.handleFeedbackSubmit},
		{Method: get, Path: "/api/v1/feedback", Perm: auth.PermPipelineRead, Summary: "The feedback inbox, newest first, with filters", Handler: s.handleFeedbackInbox},
		{Method: get, Path: "/api/v1/feedback/settings", Perm: auth.PermFeedbackAdmin, Summary: "Feedback routing rules and acknowledgment SLA settings, with their version", Handler: s.handleFeedbackSettings},
		{Method: put, Path: "/api/v1/feedback/settings", Perm: auth.PermFeedbackAdmin, Summary: "Replace the feedback settings (version is the version edited); refused whole with every problem", Handler: s.handleFeedbackSettingsPut},
		{Method: get, Path: "/api/v1/feedback/sla", Perm: auth.PermPipelineRead, Summary: "Acknowledgment times per owner and the overdue list (?from=&to=)", Handler: s.handleFeedbackSLA},
		{Method: post, Path: "/api/v1/feedback/import", Perm: auth.PermFeedbackAdmin, Upload: true, Summary: "Import a CSV (Tandem, Productboard, Canny) or mail file (.eml, mbox), all or nothing", Handler: s.handleFeedbackImport},
		{Method: get, Path: "/api/v1/feedback/{id}", Perm: auth.PermPipelineRead, Summary: "A feedback item with its versions", Handler: s.handleFeedbackItem},
		{Method: patch, Path: "/api/v1/feedback/{id}", Perm: auth.PermFeedbackWrite, Summary: "Triage a feedback item: status with a note, owner, links (feedback:admin or the item's owner)", Handler: s.handleFeedbackChange},
		{Method: get, Path: "/api/v1/feedback/{id}/attachments/{sha}", Perm: auth.PermPipelineRead, Summary: "Download an attachment of a feedback item", Handler: s.handleFeedbackAttachment},
		{Method: post, Path: "/api/v1/slack/commands", Perm: auth.PermPublic, Signed: true, Summary: "Slack slash command: files the text as feedback and answers ephemerally", Handler: s.handleSlackCommand},
		{Method: post, Path: "/api/v1/slack/events", Perm: auth.PermPublic, Signed: true, Summary: "Slack Events API: URL verification, and messages filed as feedback", Handler: s.handleSlackEvent},
	}
}

// feedbackRequest is the body of POST /api/v1/feedback. Author defaults
// to the caller; an integration filing for someone else names them, and
// sets source_ref (its own id for the item) so a retry is recognized.
type feedbackRequest struct {
	Source     string    `json:"source,omitempty"` // api (default) or web
	SourceRef  string    `json:"source_ref,omitempty"`
	Kind       string    `json:"kind,omitempty"`
	Title      string    `json:"title,omitempty"`
	Text       string    `json:"text"`
	Author     string    `json:"author,omitempty"`
	AuthorName string    `json:"author_name,omitempty"`
	AccountID  string    `json:"account_id,omitempty"`
	DealID     string    `json:"deal_id,omitempty"`
	ProductID  string    `json:"product_id,omitempty"`
	FeatureID  string    `json:"feature_id,omitempty"`
	Importance string    `json:"importance,omitempty"`
	Tags       []string  `json:"tags,omitempty"`
	ReceivedAt time.Time `json:"received_at,omitzero"`
}

// Feedback is the item a request files for the signed-in user p.
func (req feedbackRequest) Feedback(p *auth.Principal) (tandem.Feedback, error) {
	switch req.Source {
	case "", tandem.SourceAPI, tandem.SourceWeb:
	default:
		return tandem.Feedback{}, tandem.Errorf(tandem.EINVALID, "source: %q; the API files api or web items (imports and Slack have their own endpoints)", req.Source)
	}
	f := tandem.Feedback{Source: req.Source, SourceRef: strings.TrimSpace(req.SourceRef), Kind: req.Kind, Title: req.Title, Text: req.Text,
		Author: strings.TrimSpace(req.Author), AuthorName: strings.TrimSpace(req.AuthorName), AccountID: strings.TrimSpace(req.AccountID),
		DealID: strings.TrimSpace(req.DealID), ProductID: strings.TrimSpace(req.ProductID), FeatureID: strings.TrimSpace(req.FeatureID),
		Importance: req.Importance, Tags: req.Tags, ReceivedAt: req.ReceivedAt}
	if f.Author == "" && p != nil {
		f.Author, f.AuthorName = p.User.Email, p.User.Name
	}
	return f, nil
}

func (s *Server) handleFeedbackSubmit(w http.ResponseWriter, r *http.Request) error {
	var req feedbackRequest
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	f, err := req.Feedback(principal(r))
	if err != nil {
		return err
	}
	res, err := s.svc.SubmitFeedback(r.Context(), Actor(r), f, nil)
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if res.Duplicate {
		status = http.StatusOK
	}
	return s.respondJSON(w, status, res)
}

// FeedbackQuery reads the inbox filters of a query string (shared with the
// inbox page): status (repeatable or comma-separated), owner, source,
// kind, account, deal, rep, competitor, overdue, q, limit, offset.
func FeedbackQuery(q map[string][]string) (service.FeedbackQuery, error) {
	var fq service.FeedbackQuery
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return strings.TrimSpace(v[len(v)-1])
		}
		return ""
	}
	for _, v := range q["status"] {
		for _, st := range strings.Split(v, ",") {
			st = strings.TrimSpace(st)
			if st == "" {
				continue
			}
			s := tandem.FeedbackStatus(st)
			ok := false
			for _, known := range tandem.FeedbackStatuses() {
				ok = ok || known == s
			}
			if !ok {
				return fq, tandem.Errorf(tandem.EINVALID, "status: %q is not one of new, acknowledged, planned, declined, shipped", st)
			}
			fq.Status = append(fq.Status, s)
		}
	}
	fq.Owner, fq.Source, fq.Kind = get("owner"), get("source"), get("kind")
	fq.AccountID, fq.DealID, fq.RepID, fq.Competitor, fq.Text = get("account"), get("deal"), get("rep"), get("competitor"), get("q")
	switch get("overdue") {
	case "", "0", "false", "no":
	case "1", "true", "yes", "on":
		fq.Overdue = true
	default:
		return fq, tandem.Errorf(tandem.EINVALID, "overdue: %q is not true or false", get("overdue"))
	}
	var err error
	if fq.Limit, err = intParam("limit", get("limit"), 0, 1000); err != nil {
		return fq, err
	}
	if fq.Offset, err = intParam("offset", get("offset"), 0, 1<<30); err != nil {
		return fq, err
	}
	return fq, nil
}

// intParam reads an optional integer parameter within [lo, hi].
func intParam(name, v string, lo, hi int) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, tandem.Errorf(tandem.EINVALID, "%s: %q is not a whole number from %d to %d", name, v, lo, hi)
	}
	return n, nil
}

func (s *Server) handleFeedbackInbox(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r)
	if err != nil {
		return err
	}
	fq, err := FeedbackQuery(q)
	if err != nil {
		return err
	}
	page, err := s.svc.FeedbackInbox(r.Context(), fq)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, page)
}

// feedbackItemResponse is the body of GET /api/v1/feedback/{id}.
type feedbackItemResponse struct {
	Item     tandem.Feedback           `json:"item"`
	Version  int                       `json:"version"`
	Overdue  bool                      `json:"overdue"`
	Versions []service.FeedbackVersion `json:"versions"`
}

func (s *Server) handleFeedbackItem(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	f, v, err := s.svc.FeedbackItem(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	vs, err := s.svc.FeedbackVersions(ctx, f.ID)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, feedbackItemResponse{Item: f, Version: v, Versions: vs,
		Overdue: s.svc.FeedbackOverdue(f)})
}

// feedbackChangeResponse is the body answering a triage change.
type feedbackChangeResponse struct {
	Item    tandem.Feedback `json:"item"`
	Version int             `json:"version"`
}

// CanTriage reports whether p may change item f: feedback:admin, or the
// item's owner.
func CanTriage(p *auth.Principal, f tandem.Feedback) bool {
	return p != nil && (p.Can(auth.PermFeedbackAdmin) || (f.Owner != "" && strings.EqualFold(p.User.Email, f.Owner)))
}

// TriageTarget returns the item p asks to triage, or ENOTFOUND, or
// EFORBIDDEN when p may not (see CanTriage). The API and the pages share
// it.
func TriageTarget(ctx context.Context, svc *service.Service, p *auth.Principal, id string) (tandem.Feedback, error) {
	f, _, err := svc.FeedbackItem(ctx, id)
	if err != nil {
		return f, err
	}
	if !CanTriage(p, f) {
		return f, tandem.Errorf(tandem.EFORBIDDEN, "feedback %s is owned by %s: triage needs %s or being its owner", f.ID, f.Owner, auth.PermFeedbackAdmin)
	}
	return f, nil
}

func (s *Server) handleFeedbackChange(w http.ResponseWriter, r *http.Request) error {
	var c service.FeedbackChange
	if err := decodeJSON(r, &c); err != nil {
		return err
	}
	ctx := r.Context()
	f, err := TriageTarget(ctx, s.svc, principal(r), r.PathValue("id"))
	if err != nil {
		return err
	}
	got, v, err := s.svc.ChangeFeedback(ctx, Actor(r), f.ID, c)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, feedbackChangeResponse{Item: got, Version: v})
}

// feedbackSettingsBody is the body of GET and PUT /api/v1/feedback/settings.
type feedbackSettingsBody struct {
	Settings tandem.FeedbackSettings `json:"settings"`
	Version  int                     `json:"version"`
}

func (s *Server) handleFeedbackSettings(w http.ResponseWriter, r *http.Request) error {
	set, v, err := s.svc.FeedbackSettings(r.Context())
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, feedbackSettingsBody{set, v})
}

func (s *Server) handleFeedbackSettingsPut(w http.ResponseWriter, r *http.Request) error {
	var req feedbackSettingsBody
	if err := decodeJSON(r, &req); err != nil {
		return err
	}
	set, v, err := s.svc.PutFeedbackSettings(r.Context(), Actor(r), req.Settings, req.Version)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, feedbackSettingsBody{set, v})
}

// DateParam reads an optional YYYY-MM-DD or RFC 3339 parameter (shared
// with the pages); "" is the zero time.
func DateParam(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, tandem.Errorf(tandem.EINVALID, "%s: %q is not a date (YYYY-MM-DD)", name, v)
	}
	return t, nil
}

func (s *Server) handleFeedbackSLA(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r)
	if err != nil {
		return err
	}
	from, err := DateParam("from", q.Get("from"))
	if err != nil {
		return err
	}
	to, err := DateParam("to", q.Get("to"))
	if err != nil {
		return err
	}
	rep, err := s.svc.AckTimes(r.Context(), from, to)
	if err != nil {
		return err
	}
	return s.respondJSON(w, http.StatusOK, rep)
}

// FeedbackImport is what an import of a file did: a CSV or a mail file.
type FeedbackImport struct {
	Kind string                    `json:"kind"` // csv or mail
	CSV  *service.CSVImportResult  `json:"csv,omitempty"`
	Mail *service.MailImportResult `json:"mail,omitempty"`
}

// ImportFeedbackFile imports a feedback file by format ("csv", "mail", or
// "" to tell by the name's extension and, failing that, by the content).
// Pages and the API share it.
func ImportFeedbackFile(ctx context.Context, svc *service.Service, a service.Actor, format, name string, body io.Reader) (FeedbackImport, error) {
	if format == "" {
		switch strings.ToLower(path.Ext(name)) {
		case ".csv", ".tsv", ".txt":
			format = "csv"
		case ".eml", ".mbox", ".mbx", ".msg", ".mail":
			format = "mail"
		default:
			head := make([]byte, 512)
			n, err := io.ReadFull(body, head)
			if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
				return FeedbackImport{}, BodyError(err)
			}
			head = head[:n]
			body = io.MultiReader(strings.NewReader(string(head)), body)
			format = "csv"
			if service.IsMbox(head) || looksLikeMail(head) {
				format = "mail"
			}
		}
	}
	switch format {
	case "csv":
		res, err := svc.ImportFeedbackCSV(ctx, a, body, name)
		return FeedbackImport{Kind: "csv", CSV: &res}, bodyErr(err)
	case "mail":
		res, err := svc.ImportMail(ctx, a, body, name)
		return FeedbackImport{Kind: "mail", Mail: &res}, bodyErr(err)
	}
	return FeedbackImport{}, tandem.Errorf(tandem.EINVALID, "format: %q is not csv or mail", format)
}

// bodyErr turns a body that passed its limit mid-read into ETOOLARGE.
func bodyErr(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return BodyError(err)
	}
	return err
}

// looksLikeMail reports whether a file starts with a mail header field.
func looksLikeMail(head []byte) bool {
	line, _, _ := strings.Cut(string(head), "\n")
	k, _, ok := strings.Cut(line, ":")
	if !ok || strings.ContainsAny(k, " ,\t\"") {
		return false
	}
	switch strings.ToLower(k) {
	case "from", "received", "return-path", "message-id", "date", "delivered-to", "x-mozilla-status", "mime-version", "subject", "to":
		return true
	}
	return false
}

// importErrorBody is a refused import: the error and every problem, one
// a line ("file:line: ...").
type importErrorBody struct {
	errorBody
	Problems []string `json:"problems"`
}

// ImportProblems lists every problem of a refused feedback import, one a
// line ("file:line: column: reason"; for mail "file:line: message N <id>:
// reason"), or the error's message alone when it has no list.
func ImportProblems(err error) []string {
	var out []string
	var rows *feedback.RowErrors
	var items *service.CSVItemProblems
	var mail *service.MailProblems
	switch {
	case errors.As(err, &rows):
		for _, re := range rows.Errors {
			l := rows.Name + ":" + strconv.Itoa(re.Line) + ": "
			if re.Column != "" {
				l += re.Column + ": "
			}
			out = append(out, l+re.Reason)
		}
		if rows.Truncated {
			out = append(out, rows.Name+": more errors not shown")
		}
	case errors.As(err, &items):
		for _, re := range items.Problems {
			out = append(out, items.Name+":"+strconv.Itoa(re.Line)+": "+re.Reason)
		}
	case errors.As(err, &mail):
		for _, p := range mail.Items {
			l := mail.Name + ":" + strconv.Itoa(p.Line) + ": message " + strconv.Itoa(p.Position)
			if p.MessageID != "" {
				l += " <" + p.MessageID + ">"
			}
			out = append(out, l+": "+p.Problem)
		}
	default:
		out = append(out, tandem.ErrorMessage(err))
	}
	return out
}

func (s *Server) handleFeedbackImport(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r)
	if err != nil {
		return err
	}
	format, name := q.Get("format"), q.Get("name")
	var body io.Reader = r.Body
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		f, fh, err := r.FormFile("file")
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return BodyError(err)
			}
			return tandem.Errorf(tandem.EINVALID, "the form has no file part named \"file\"")
		}
		defer f.Close()
		body, name = f, fh.Filename
		if v := r.FormValue("format"); v != "" {
			format = v
		}
	} else if format == "" {
		switch ct {
		case "text/csv", "application/csv":
			format = "csv"
		case "message/rfc822", "application/mbox":
			format = "mail"
		}
	}
	name = path.Base(strings.ReplaceAll(strings.TrimSpace(name), "\\", "/"))
	if name == "." || name == "/" || name == "" {
		name = "upload"
	}
	res, err := ImportFeedbackFile(r.Context(), s.svc, Actor(r), format, name, body)
	if err != nil {
		if c := tandem.ErrorCode(err); c == tandem.EINVALID || c == tandem.ETOOLARGE {
			return s.respondJSON(w, tandem.HTTPStatus(err), importErrorBody{errorBody{Code: c, Message: tandem.ErrorMessage(err)}, ImportProblems(err)})
		}
		return err
	}
	return s.respondJSON(w, http.StatusOK, res)
}

func (s *Server) handleFeedbackAttachment(w http.ResponseWriter, r *http.Request) error {
	at, blob, err := s.svc.FeedbackAttachment(r.Context(), r.PathValue("id"), r.PathValue("sha"))
	if err != nil {
		return err
	}
	ctype := at.ContentType
	if _, _, err := mime.ParseMediaType(ctype); err != nil || ctype == "" {
		ctype = "application/octet-stream"
	}
	s.serveDownload(w, at.Name, ctype, blob.Data)
	return nil
}

// serveDownload sends a stored file people uploaded: always a download,
// never rendered by Tandem's origin. The disposition is attachment (plain
// "attachment" when the name cannot be carried in the header), nosniff is
// set on every response, and a sandbox CSP covers a browser that opens it
// anyway.
func (s *Server) serveDownload(w http.ResponseWriter, name, ctype string, data []byte) {
	disp := mime.FormatMediaType("attachment", map[string]string{"filename": name})
	if disp == "" {
		disp = "attachment"
	}
	h := w.Header()
	h.Set("Content-Disposition", disp)
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "private, no-store")
	s.write(w, http.StatusOK, ctype, data)
}

// ---- Slack ----

// slackWait is how long a Slack request waits for its item to be stored
// before answering: Slack gives up after 3 seconds, so the answer must be
// on its way by then. A write still running goes on in the background.
const slackWait = 2500 * time.Millisecond

// slackMaxBody bounds a Slack request's body, read before its signature
// is checked. Slack's payloads are a few KiB (a message's text is at
// most 40,000 characters), so this leaves a wide margin.
const slackMaxBody = 512 << 10

// slackIntake is the Slack endpoints' state: the signing secret (never
// logged), the guard against replayed signatures and the clock.
type slackIntake struct {
	secret []byte
	replay *feedback.ReplayGuard
	now    func() time.Time
	wait   time.Duration
}

// newSlackIntake is the Slack state of a server configured with cfg.
func newSlackIntake(cfg Config) *slackIntake {
	return &slackIntake{secret: []byte(cfg.SlackSigningSecret), replay: feedback.NewReplayGuard(feedback.SlackReplayWindow),
		now: time.Now, wait: slackWait}
}

// slackBody reads and authenticates a Slack request: configured, signed
// with the secret, recent, and not a replay of a signature seen within
// the window.
func (s *Server) slackBody(r *http.Request) ([]byte, error) {
	if s.slack == nil || len(s.slack.secret) == 0 {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "Slack intake is not configured on this server: start it with TANDEM_SLACK_SIGNING_SECRET set to the Slack app's signing secret")
	}
	// Bounded before the HMAC is computed: an unauthenticated caller
	// must not make the server read and hash the general body limit.
	body, err := io.ReadAll(io.LimitReader(r.Body, slackMaxBody+1))
	if err != nil {
		return nil, BodyError(err)
	}
	if len(body) > slackMaxBody {
		return nil, tandem.Errorf(tandem.ETOOLARGE, "a Slack request body is at most %d bytes; this one is larger", slackMaxBody)
	}
	now := s.slack.now()
	if err := feedback.VerifySlack(s.slack.secret, r.Header, body, now); err != nil {
		if tandem.ErrorCode(err) == tandem.EINTERNAL {
			return nil, err
		}
		s.logger.Warn("slack request refused", "path", r.URL.Path, "reason", tandem.ErrorMessage(err), "remote", r.RemoteAddr)
		return nil, err
	}
	if s.slack.replay.Seen(r.Header.Get(feedback.SlackSignatureHeader), now) {
		s.logger.Warn("slack request refused", "path", r.URL.Path, "reason", "replayed signature", "remote", r.RemoteAddr)
		return nil, tandem.Errorf(tandem.EUNAUTHORIZED, "this signed Slack request was already received: a replay is refused")
	}
	return body, nil
}

// slackFile files f, waiting at most the Slack budget. done is false when
// the write was still running then; it finishes in the background, on a
// context of its own, and its failure is logged.
func (s *Server) slackFile(ctx context.Context, f tandem.Feedback, who string) (res service.SubmitResult, done bool, err error) {
	type result struct {
		res service.SubmitResult
		err error
	}
	ch := make(chan result, 1)
	wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), requestTimeout)
	go func() {
		defer cancel()
		r, err := s.svc.SubmitFeedback(wctx, service.Actor{Name: who}, f, nil)
		if err != nil {
			s.logger.LogAttrs(wctx, slog.LevelWarn, "slack feedback not filed", slog.String("source_ref", f.SourceRef), slog.String("error", err.Error()))
		}
		ch <- result{r, err}
	}()
	t := time.NewTimer(s.slack.wait)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.res, true, r.err
	case <-t.C:
		return service.SubmitResult{}, false, nil
	}
}

// slackReply is an ephemeral slash-command answer, seen by the caller
// only.
type slackReply struct {
	ResponseType string `json:"response_type"`
	Text         string `json:"text"`
}

// handleSlackCommand files a slash command's text ("/tandem SSO blocks
// the Acme renewal") and answers within Slack's 3 seconds: the item's id,
// owner and acknowledgment deadline, or "received, filing…" when the
// store is slower than 2.5 s (the item is still filed). A command without
// text gets a usage hint, also as a 200, since Slack shows other statuses
// as a failure of the app.
func (s *Server) handleSlackCommand(w http.ResponseWriter, r *http.Request) error {
	body, err := s.slackBody(r)
	if err != nil {
		return err
	}
	c, err := feedback.ParseSlashCommand(body)
	if err != nil {
		if tandem.ErrorCode(err) == tandem.EINVALID {
			return s.respondJSON(w, http.StatusOK, slackReply{"ephemeral", "Not filed: " + tandem.ErrorMessage(err) + ". Usage: /tandem <your feedback>"})
		}
		return err
	}
	f := service.SlackCommandFeedback(c, s.slack.now().UTC())
	res, done, err := s.slackFile(r.Context(), f, "slack:"+c.UserID)
	switch {
	case !done:
		return s.respondJSON(w, http.StatusOK, slackReply{"ephemeral", "Thanks — received, filing… (it will be in the Tandem inbox in a moment)"})
	case err != nil && tandem.ErrorCode(err) == tandem.EINVALID:
		return s.respondJSON(w, http.StatusOK, slackReply{"ephemeral", "Not filed: " + tandem.ErrorMessage(err)})
	case err != nil:
		return err
	}
	it := res.Item
	text := "Thanks — filed as " + it.ID
	if res.Duplicate {
		text = "Already filed as " + it.ID
	}
	var parts []string
	if it.Owner != "" {
		parts = append(parts, "owner "+it.Owner)
	}
	if !it.AckDue.IsZero() {
		parts = append(parts, "acknowledgment due "+it.AckDue.Format("Mon 2 Jan 15:04 MST"))
	}
	if len(parts) > 0 {
		text += " (" + strings.Join(parts, ", ") + ")"
	}
	return s.respondJSON(w, http.StatusOK, slackReply{"ephemeral", text})
}

// slackEventAnswer is the body answering an event: the challenge for a URL
// verification; otherwise what was done.
type slackEventAnswer struct {
	Challenge string `json:"challenge,omitempty"`
	Status    string `json:"status,omitempty"` // filed, duplicate, filing, ignored, refused
	ID        string `json:"id,omitempty"`
	Reason    string `json:"reason,omitempty"`
}

// handleSlackEvent answers the Events API: the url_verification challenge,
// and message or app_mention events filed as feedback (by event id, so
// Slack's retries of one event file it once). Events carrying nothing to
// file (bots, edits) are answered 200 so Slack does not retry them.
func (s *Server) handleSlackEvent(w http.ResponseWriter, r *http.Request) error {
	body, err := s.slackBody(r)
	if err != nil {
		return err
	}
	ev, err := feedback.ParseEvent(body)
	if err != nil {
		return err
	}
	switch {
	case ev.Type == feedback.SlackURLVerification:
		return s.respondJSON(w, http.StatusOK, slackEventAnswer{Challenge: ev.Challenge})
	case ev.Ignore:
		return s.respondJSON(w, http.StatusOK, slackEventAnswer{Status: "ignored", Reason: ev.Reason})
	}
	f := service.SlackEventFeedback(ev, s.slack.now().UTC())
	res, done, err := s.slackFile(r.Context(), f, "slack:"+ev.Message.User)
	switch {
	case !done:
		return s.respondJSON(w, http.StatusOK, slackEventAnswer{Status: "filing"})
	case err != nil && tandem.ErrorCode(err) == tandem.EINVALID:
		// Authentic but not fileable (say, a text over the limit): a
		// retry would fail the same way, so answer 200 and say why
		// (the failure is logged by slackFile).
		return s.respondJSON(w, http.StatusOK, slackEventAnswer{Status: "refused", Reason: tandem.ErrorMessage(err)})
	case err != nil:
		return err
	case res.Duplicate:
		return s.respondJSON(w, http.StatusOK, slackEventAnswer{Status: "duplicate", ID: res.Item.ID})
	}
	return s.respondJSON(w, http.StatusOK, slackEventAnswer{Status: "filed", ID: res.Item.ID})
}
