package web

import (
	"errors"
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

// feedbackPages are the feedback hub's pages (issue 8): the inbox with
// its filters and the form filing new feedback, an item with its
// attachments, history and triage form, the acknowledgment SLA report,
// the settings editor and file imports. Feedback text is shown escaped,
// so HTML someone put in it renders as text.
func (s *Site) feedbackPages(page pageFunc) []httpapi.Route {
	upload := page("POST", "/feedback/import", auth.PermFeedbackAdmin, "import a feedback CSV or mail file; shows the result or every problem", s.handleFeedbackImport)
	upload.Upload = true
	return []httpapi.Route{
		page("GET", "/feedback", auth.PermPipelineRead, "the feedback inbox: filters, status, owner, deadline; a form to file feedback", s.handleFeedbackInbox),
		page("POST", "/feedback", auth.PermFeedbackWrite, "file feedback from the web form", s.handleFeedbackFile),
		page("GET", "/feedback/sla", auth.PermPipelineRead, "acknowledgment times per owner and the overdue list", s.handleFeedbackSLA),
		page("GET", "/feedback/settings", auth.PermFeedbackAdmin, "routing rules and acknowledgment SLA settings", s.handleFeedbackSettings),
		page("POST", "/feedback/settings", auth.PermFeedbackAdmin, "apply feedback settings; refused whole with every problem", s.handleFeedbackSettingsApply),
		page("GET", "/feedback/import", auth.PermFeedbackAdmin, "upload a feedback CSV or mail file", s.handleFeedbackImportForm),
		upload,
		page("GET", "/feedback/{id}", auth.PermPipelineRead, "one feedback item: text, attachments, history, triage", s.handleFeedbackItem),
		page("POST", "/feedback/{id}", auth.PermFeedbackWrite, "triage a feedback item: status with a note, owner, links (feedback:admin or its owner)", s.handleFeedbackTriage),
	}
}

// fbFlashes are the confirmations of the feedback pages, by ?done=.
var fbFlashes = map[string]string{
	"filed":    "Feedback filed. Its owner has been given the acknowledgment deadline shown below.",
	"triaged":  "Saved as a new version.",
	"settings": "Feedback settings applied as a new version.",
}

// fbFlash returns the confirmation named by ?done=.
func fbFlash(r *http.Request) string {
	if m, ok := fbFlashes[r.URL.Query().Get("done")]; ok {
		return m
	}
	return flash(r)
}

// fbHref is the page of an item.
func fbHref(id string) string { return "/feedback/" + url.PathEscape(id) }

// fbRow is an item in the inbox table.
type fbRow struct {
	ID, Href, Title, Status, StatusBadge, Owner, Due, Source, Account, AccountHref, Received, Kind string
	Overdue                                                                                        bool
}

// fbRowOf is the row of an item.
func (s *Site) fbRowOf(f tandem.Feedback) fbRow {
	row := fbRow{ID: f.ID, Href: fbHref(f.ID), Title: fbTitleText(f), Status: string(f.Status),
		StatusBadge: fbBadge(f.Status), Owner: f.Owner, Source: f.Source, Account: f.AccountID,
		Received: dateTimeText(f.ReceivedAt), Kind: f.Kind, Overdue: s.svc.FeedbackOverdue(f)}
	if f.AccountID != "" {
		row.AccountHref = "/accounts/" + url.PathEscape(f.AccountID)
	}
	switch {
	case f.Status != tandem.FeedbackNew && !f.AckAt.IsZero():
		row.Due = "acknowledged " + dateTimeText(f.AckAt)
	case !f.AckDue.IsZero():
		row.Due = dateTimeText(f.AckDue)
	}
	return row
}

// fbTitleText is an item's title, or the start of its text.
func fbTitleText(f tandem.Feedback) string {
	t := f.Title
	if t == "" {
		t = strings.Join(strings.Fields(f.Text), " ")
	}
	if r := []rune(t); len(r) > 90 {
		t = string(r[:87]) + "..."
	}
	return t
}

// fbBadge is the badge class of a status.
func fbBadge(st tandem.FeedbackStatus) string {
	switch st {
	case tandem.FeedbackNew:
		return "badge badge-warn"
	case tandem.FeedbackAcknowledged, tandem.FeedbackPlanned:
		return "badge badge-info"
	case tandem.FeedbackShipped:
		return "badge badge-good"
	case tandem.FeedbackDeclined:
		return "badge badge-bad"
	}
	return "badge"
}

// fbForm is the new-feedback form's values, kept when refused.
type fbForm struct {
	Title, Text, Deal, Account, Kind, Importance string
}

// fbInboxPage is the data of the inbox.
type fbInboxPage struct {
	Rows     []fbRow
	Total    int
	Shown    string // "1–50 of 120"
	Prev     string
	Next     string
	Filter   fbInboxFilter
	Statuses []string
	Sources  []string
	CanWrite bool
	CanAdmin bool
	Form     fbForm
}

// fbInboxFilter is the filter form's values.
type fbInboxFilter struct {
	Status, Owner, Source, Kind, Account, Deal, Q string
	Overdue                                       bool
}

// handleFeedbackInbox lists the inbox with the filters of the query.
func (s *Site) handleFeedbackInbox(w http.ResponseWriter, r *http.Request) error {
	return s.feedbackInbox(w, r, http.StatusOK, "", fbForm{Kind: tandem.KindFeedback})
}

// feedbackInbox renders the inbox; form holds a refused submission.
func (s *Site) feedbackInbox(w http.ResponseWriter, r *http.Request, status int, problem string, form fbForm) error {
	p, err := require(r, auth.PermPipelineRead)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	fq, err := httpapi.FeedbackQuery(q)
	if err != nil {
		return err
	}
	if fq.Limit == 0 {
		fq.Limit = 50
	}
	res, err := s.svc.FeedbackInbox(r.Context(), fq)
	if err != nil {
		return err
	}
	d := fbInboxPage{Total: res.Total, CanWrite: p.Can(auth.PermFeedbackWrite), CanAdmin: p.Can(auth.PermFeedbackAdmin), Form: form,
		Sources: []string{tandem.SourceAPI, tandem.SourceWeb, tandem.SourceCSV, tandem.SourceProductboard, tandem.SourceCanny, tandem.SourceEmail, tandem.SourceSlack},
		Filter: fbInboxFilter{Status: q.Get("status"), Owner: q.Get("owner"), Source: q.Get("source"), Kind: q.Get("kind"),
			Account: q.Get("account"), Deal: q.Get("deal"), Q: q.Get("q"), Overdue: fq.Overdue}}
	for _, st := range tandem.FeedbackStatuses() {
		d.Statuses = append(d.Statuses, string(st))
	}
	for _, f := range res.Items {
		d.Rows = append(d.Rows, s.fbRowOf(f))
	}
	if len(res.Items) > 0 {
		d.Shown = fmt.Sprintf("%d–%d of %d", fq.Offset+1, fq.Offset+len(res.Items), res.Total)
	}
	page := func(off int) string {
		v := url.Values{}
		for k, vs := range q {
			v[k] = vs
		}
		v.Del("done") // a confirmation is shown once, not on every page
		v.Set("offset", strconv.Itoa(off))
		return "/feedback?" + v.Encode()
	}
	if fq.Offset > 0 {
		d.Prev = page(max(0, fq.Offset-fq.Limit))
	}
	if fq.Offset+len(res.Items) < res.Total {
		d.Next = page(fq.Offset + fq.Limit)
	}
	v := s.newView(r, "Feedback", "feedback")
	v.Flash, v.Problem, v.Data = fbFlash(r), problem, d
	return s.render(w, status, "feedback_inbox", v)
}

// handleFeedbackFile files the web form's feedback and shows the item.
func (s *Site) handleFeedbackFile(w http.ResponseWriter, r *http.Request) error {
	p, err := require(r, auth.PermFeedbackWrite)
	if err != nil {
		return err
	}
	form := fbForm{Title: r.PostFormValue("title"), Text: r.PostFormValue("text"), Deal: strings.TrimSpace(r.PostFormValue("deal")),
		Account: strings.TrimSpace(r.PostFormValue("account")), Kind: r.PostFormValue("kind"), Importance: r.PostFormValue("importance")}
	f := tandem.Feedback{Source: tandem.SourceWeb, Title: form.Title, Text: strings.ReplaceAll(form.Text, "\r\n", "\n"), DealID: form.Deal,
		AccountID: form.Account, Kind: form.Kind, Importance: form.Importance, Author: p.User.Email, AuthorName: p.User.Name}
	res, err := s.svc.SubmitFeedback(r.Context(), httpapi.Actor(r), f, nil)
	if userProblem(err) {
		return s.feedbackInbox(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), form)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, fbHref(res.Item.ID)+"?done=filed")
}

// fbItemPage is the data of an item's page.
type fbItemPage struct {
	Item tandem.Feedback
	// TextLines are the text's lines, shown escaped with line breaks
	// (not preformatted, so long lines wrap).
	TextLines   []string
	Row         fbRow
	Version     int
	Attachments []fbAttachmentRow
	History     []fbHistoryRow
	Links       []fbLinkRow
	Theme       *fbThemeLink
	Owners      []fbOwnerOption // the triage form's owner suggestions
	CanTriage   bool
	Statuses    []string
	Form        fbTriageForm
}

// fbAttachmentRow is an attachment with its download link.
type fbAttachmentRow struct {
	Name, Type, Size, Href string
}

// fbHistoryRow is one version of an item.
type fbHistoryRow struct {
	Version              int
	At, Author           string
	Status, Owner, Note  string
	StatusBadge, Changes string
}

// fbLinkRow is a link of an item (account, deal, product, feature).
type fbLinkRow struct {
	Label, Text, Href string
}

// fbThemeLink is the theme an item is grouped in.
type fbThemeLink struct {
	ID, Href, Title string
	Items           int
}

// fbOwnerOption is a user the triage form suggests as owner.
type fbOwnerOption struct{ Email, Name string }

// fbTriageForm is the triage form's values.
type fbTriageForm struct {
	Status, Note, Owner, Account, Deal string
	Version                            int
}

// handleFeedbackItem shows one item.
func (s *Site) handleFeedbackItem(w http.ResponseWriter, r *http.Request) error {
	return s.feedbackItem(w, r, http.StatusOK, "", nil)
}

// feedbackItem renders an item; form holds a refused triage change.
func (s *Site) feedbackItem(w http.ResponseWriter, r *http.Request, status int, problem string, form *fbTriageForm) error {
	p, err := require(r, auth.PermPipelineRead)
	if err != nil {
		return err
	}
	ctx := r.Context()
	f, v, err := s.svc.FeedbackItem(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	vs, err := s.svc.FeedbackVersions(ctx, f.ID)
	if err != nil {
		return err
	}
	d := fbItemPage{Item: f, Row: s.fbRowOf(f), Version: v, CanTriage: httpapi.CanTriage(p, f), TextLines: strings.Split(f.Text, "\n")}
	for _, st := range tandem.FeedbackStatuses() {
		d.Statuses = append(d.Statuses, string(st))
	}
	for _, at := range f.Attachments {
		d.Attachments = append(d.Attachments, fbAttachmentRow{Name: at.Name, Type: at.ContentType, Size: fbByteSize(at.Size),
			Href: "/api/v1/feedback/" + url.PathEscape(f.ID) + "/attachments/" + url.PathEscape(at.SHA256)})
	}
	link := func(label, id, base string) {
		if id != "" {
			l := fbLinkRow{Label: label, Text: id}
			if base != "" {
				l.Href = base + url.PathEscape(id)
			}
			d.Links = append(d.Links, l)
		}
	}
	link("Account", f.AccountID, "/accounts/")
	link("Deal", f.DealID, "/deals/")
	link("Product", f.ProductID, "")
	link("Feature", f.FeatureID, "/features/")
	link("Rep", f.RepID, "")
	for i := len(vs) - 1; i >= 0; i-- {
		h := vs[i]
		row := fbHistoryRow{Version: h.Version, At: dateTimeText(h.At), Author: h.Author, Status: string(h.Item.Status),
			StatusBadge: fbBadge(h.Item.Status), Owner: h.Item.Owner, Note: h.Item.StatusNote}
		if i == 0 {
			row.Changes = "received from " + h.Item.Source + ", routed by " + h.Item.RoutedBy
		} else {
			row.Changes = fbChanges(vs[i-1].Item, h.Item)
		}
		d.History = append(d.History, row)
	}
	if d.Theme, err = s.fbTheme(r, f.ID); err != nil {
		return err
	}
	if d.CanTriage {
		users, err := s.svc.Users(ctx)
		if err != nil {
			return err
		}
		for _, u := range users {
			if !u.Disabled && u.Email != "" {
				d.Owners = append(d.Owners, fbOwnerOption{Email: u.Email, Name: u.Name})
			}
		}
	}
	if form != nil {
		d.Form = *form
	} else {
		d.Form = fbTriageForm{Status: string(f.Status), Owner: f.Owner, Account: f.AccountID, Deal: f.DealID, Version: v}
	}
	view := s.newView(r, fbTitleText(f), "feedback")
	view.Flash, view.Problem, view.Data = fbFlash(r), problem, d
	return s.render(w, status, "feedback_item", view)
}

// fbTheme is the theme item id is grouped in, with its title and size.
func (s *Site) fbTheme(r *http.Request, id string) (*fbThemeLink, error) {
	tid, err := s.svc.ThemeOf(r.Context(), id)
	if err != nil {
		return nil, err
	}
	det, err := s.svc.Theme(r.Context(), tid)
	if err != nil {
		return nil, err
	}
	return &fbThemeLink{ID: det.Theme.ID, Href: themeHref(det.Theme.ID), Title: det.Theme.Title, Items: det.Theme.Items}, nil
}

// fbChanges says what a version changed.
func fbChanges(a, b tandem.Feedback) string {
	var out []string
	if a.Status != b.Status {
		out = append(out, fmt.Sprintf("status %s → %s", a.Status, b.Status))
	}
	if a.Owner != b.Owner {
		out = append(out, fmt.Sprintf("owner %s → %s", a.Owner, b.Owner))
	}
	if a.AccountID != b.AccountID {
		out = append(out, fmt.Sprintf("account %q → %q", a.AccountID, b.AccountID))
	}
	if a.DealID != b.DealID {
		out = append(out, fmt.Sprintf("deal %q → %q", a.DealID, b.DealID))
	}
	if a.StatusNote != b.StatusNote && b.StatusNote != "" {
		out = append(out, "note")
	}
	if len(out) == 0 {
		return "links or tags"
	}
	return strings.Join(out, "; ")
}

// fbByteSize is a size for people.
func fbByteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// handleFeedbackTriage applies the triage form: only the fields that
// differ from the version the form was loaded from are changed, so a
// change made meanwhile by someone else is refused (version) rather than
// undone.
func (s *Site) handleFeedbackTriage(w http.ResponseWriter, r *http.Request) error {
	p, err := require(r, auth.PermFeedbackWrite)
	if err != nil {
		return err
	}
	ctx := r.Context()
	f, err := httpapi.TriageTarget(ctx, s.svc, p, r.PathValue("id"))
	if err != nil {
		return err
	}
	form := fbTriageForm{Status: r.PostFormValue("status"), Note: strings.TrimSpace(r.PostFormValue("note")), Owner: strings.TrimSpace(r.PostFormValue("owner")),
		Account: strings.TrimSpace(r.PostFormValue("account")), Deal: strings.TrimSpace(r.PostFormValue("deal"))}
	form.Version, err = strconv.Atoi(r.PostFormValue("version"))
	if err != nil {
		return tandem.Errorf(tandem.EINVALID, "version: %q is not a version number; reload the page", r.PostFormValue("version"))
	}
	vs, err := s.svc.FeedbackVersions(ctx, f.ID)
	if err != nil {
		return err
	}
	base := f
	if form.Version >= 1 && form.Version <= len(vs) {
		base = vs[form.Version-1].Item
	}
	c := service.FeedbackChange{Version: form.Version}
	if st := tandem.FeedbackStatus(form.Status); st != base.Status || form.Note != "" {
		c.Status = &st
		c.Note = &form.Note
	}
	if form.Owner != base.Owner {
		c.Owner = &form.Owner
	}
	if form.Account != base.AccountID {
		c.AccountID = &form.Account
	}
	if form.Deal != base.DealID {
		c.DealID = &form.Deal
	}
	_, _, err = s.svc.ChangeFeedback(ctx, httpapi.Actor(r), f.ID, c)
	if userProblem(err) {
		return s.feedbackItem(w, r, tandem.HTTPStatus(err), tandem.ErrorMessage(err), &form)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, fbHref(f.ID)+"?done=triaged")
}

// fbSLAPage is the data of the SLA report.
type fbSLAPage struct {
	From, To string
	// MinSample is the fewest judged items an on-time share is shown for.
	MinSample int
	Report    service.AckReport
	Owners    []fbSLARow
	Overdue   []fbRow
}

// fbSLARow is one owner's line of the SLA report.
type fbSLARow struct {
	Owner, Href                  string
	N, Acknowledged, OverdueN    int
	OnTime, Median, Note         string
	OnTimeInsufficient, NoMedian bool
}

// handleFeedbackSLA shows acknowledgment times per owner and the
// overdue list.
func (s *Site) handleFeedbackSLA(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	d := fbSLAPage{From: q.Get("from"), To: q.Get("to"), MinSample: service.AckMinSample}
	from, err := httpapi.DateParam("from", d.From)
	if err != nil {
		return err
	}
	to, err := httpapi.DateParam("to", d.To)
	if err != nil {
		return err
	}
	if d.Report, err = s.svc.AckTimes(r.Context(), from, to); err != nil {
		return err
	}
	for _, o := range d.Report.Owners {
		row := fbSLARow{Owner: o.Owner, Href: "/feedback?owner=" + url.QueryEscape(o.Owner), N: o.Items, Acknowledged: o.Acknowledged,
			OverdueN: o.Overdue, Note: o.Note, OnTimeInsufficient: o.OnTime.Note != "", NoMedian: o.MedianHours == nil}
		pr := o.OnTime
		switch {
		case pr.N == 0:
			row.OnTime = "no item judged yet (n=0)"
		case pr.Note != "":
			row.OnTime = fmt.Sprintf("%s; %d of %d on time", pr.Note, pr.K, pr.N)
		default:
			row.OnTime = fmt.Sprintf("%.0f%% [%.0f%%, %.0f%%], %d of %d", 100*pr.Value, 100*pr.CILow, 100*pr.CIHigh, pr.K, pr.N)
		}
		if m := o.MedianHours; o.Items < service.AckMinSample {
			row.Median, row.NoMedian = fmt.Sprintf("insufficient data (n=%d, under %d)", o.Items, service.AckMinSample), true
		} else if m != nil {
			b := func(v *float64) string {
				if v == nil {
					return "unbounded"
				}
				return strconv.FormatFloat(*v, 'f', 1, 64)
			}
			row.Median = fmt.Sprintf("%.1f h [%s, %s], n=%d", m.Value, b(m.CILow), b(m.CIHigh), o.Items)
		} else {
			row.Median = fmt.Sprintf("not reached (n=%d)", o.Items)
		}
		d.Owners = append(d.Owners, row)
	}
	for _, f := range d.Report.OverdueList {
		d.Overdue = append(d.Overdue, s.fbRowOf(f))
	}
	v := s.newView(r, "Feedback acknowledgment SLA", "feedback")
	v.Data = d
	return s.render(w, http.StatusOK, "feedback_sla", v)
}

// fbSettingsPage is the data of the settings editor.
type fbSettingsPage struct {
	Version  int
	Source   string
	Problems []string
}

// handleFeedbackSettings shows the settings as an editable YAML file.
func (s *Site) handleFeedbackSettings(w http.ResponseWriter, r *http.Request) error {
	set, v, err := s.svc.FeedbackSettings(r.Context())
	if err != nil {
		return err
	}
	return s.feedbackSettings(w, r, http.StatusOK, "", fbSettingsPage{Version: v, Source: service.FeedbackSettingsYAML(set)})
}

// feedbackSettings renders the settings editor.
func (s *Site) feedbackSettings(w http.ResponseWriter, r *http.Request, status int, problem string, d fbSettingsPage) error {
	v := s.newView(r, "Feedback settings", "feedback")
	v.Flash, v.Problem, v.Data = fbFlash(r), problem, d
	return s.render(w, status, "feedback_settings", v)
}

// handleFeedbackSettingsApply applies the edited settings, or shows every
// problem with the text as typed.
func (s *Site) handleFeedbackSettingsApply(w http.ResponseWriter, r *http.Request) error {
	d := fbSettingsPage{Source: strings.ReplaceAll(r.PostFormValue("source"), "\r\n", "\n")}
	var err error
	if d.Version, err = strconv.Atoi(r.PostFormValue("version")); err != nil {
		return tandem.Errorf(tandem.EINVALID, "version: %q is not a version number; reload the page", r.PostFormValue("version"))
	}
	set, err := service.ParseFeedbackSettings("settings", []byte(d.Source))
	if err == nil {
		_, _, err = s.svc.PutFeedbackSettings(r.Context(), httpapi.Actor(r), set, d.Version)
	}
	if userProblem(err) {
		msg := tandem.ErrorMessage(err)
		head, rest, _ := strings.Cut(msg, "\n")
		for _, l := range strings.Split(rest, "\n") {
			if l = strings.TrimSpace(l); l != "" {
				d.Problems = append(d.Problems, l)
			}
		}
		if len(d.Problems) > 0 {
			head = "The settings are refused and nothing changed: fix every problem listed below and apply again."
		}
		return s.feedbackSettings(w, r, tandem.HTTPStatus(err), head, d)
	}
	if err != nil {
		return err
	}
	return redirect(w, r, "/feedback/settings?done=settings")
}

// fbImportPage is the data of the feedback import page.
type fbImportPage struct {
	Format   string
	Result   *httpapi.FeedbackImport
	Problems []string
}

// handleFeedbackImportForm shows the upload form.
func (s *Site) handleFeedbackImportForm(w http.ResponseWriter, r *http.Request) error {
	v := s.newView(r, "Import feedback", "feedback")
	v.Data = fbImportPage{}
	return s.render(w, http.StatusOK, "feedback_import", v)
}

// handleFeedbackImport imports the uploaded file and shows what it did,
// or every problem that refused it.
func (s *Site) handleFeedbackImport(w http.ResponseWriter, r *http.Request) error {
	d := fbImportPage{Format: r.FormValue("format")}
	fh, hdr, err := r.FormFile("file")
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return httpapi.BodyError(err)
		}
		v := s.newView(r, "Import feedback", "feedback")
		v.Problem, v.Data = "Choose a file to upload.", d
		return s.render(w, http.StatusBadRequest, "feedback_import", v)
	}
	defer fh.Close()
	res, err := httpapi.ImportFeedbackFile(r.Context(), s.svc, httpapi.Actor(r), d.Format, hdr.Filename, fh)
	v := s.newView(r, "Import feedback", "feedback")
	if c := tandem.ErrorCode(err); err != nil && (c == tandem.EINVALID || c == tandem.ETOOLARGE) {
		d.Problems = httpapi.ImportProblems(err)
		v.Problem, v.Data = "The file is refused and nothing was stored: fix every problem listed below and upload it again.", d
		return s.render(w, tandem.HTTPStatus(err), "feedback_import", v)
	}
	if err != nil {
		return err
	}
	d.Result = &res
	v.Data = d
	return s.render(w, http.StatusOK, "feedback_import", v)
}
