package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/feedback"
	"github.com/tandemhq/tandem/internal/service"
)

// slackSecret signs the Slack requests of the API tests.
const slackSecret = "test-signing-secret-0123456789abcdef"

// feedbackFixture is the desk fixture's data, users and tokens behind a
// server configured for Slack, with a clock for Slack's timestamps.
type feedbackFixture struct {
	*deskFixture
	srv      *Server
	bare     string // a server without a Slack secret
	clockMu  sync.Mutex
	clockNow time.Time
}

func newFeedbackFixture(t *testing.T, dialect string) *feedbackFixture {
	// The validator decodes only the media types it knows; the import
	// takes mail as message/rfc822 and application/mbox.
	openapi3filter.RegisterBodyDecoder("message/rfc822", openapi3filter.FileBodyDecoder)
	openapi3filter.RegisterBodyDecoder("application/mbox", openapi3filter.FileBodyDecoder)
	f := &feedbackFixture{deskFixture: newDeskFixture(t, dialect), clockNow: time.Now()}
	f.bare = f.http.URL
	now := func() time.Time { return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) }
	svc := service.New(f.store, f.cat, analytics.New(f.store, f.cat, now), t.TempDir(), now)
	f.srv = New(Config{Service: svc, Sessions: auth.NewManager(f.store, false, nil), SlackSigningSecret: slackSecret})
	f.srv.slack.now = func() time.Time {
		f.clockMu.Lock()
		defer f.clockMu.Unlock()
		return f.clockNow
	}
	f.http = httptest.NewServer(f.srv.Handler())
	t.Cleanup(f.http.Close)
	return f
}

// setClock sets the time Slack requests are checked against.
func (f *feedbackFixture) setClock(at time.Time) {
	f.clockMu.Lock()
	f.clockNow = at
	f.clockMu.Unlock()
}

// raw sends a request with exactly the headers given (no token) and
// checks it and its answer against openapi.json, as check does.
func (f *feedbackFixture) raw(t *testing.T, base, method, path string, h http.Header, body []byte, want int) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = h.Clone()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	r := response{status: resp.StatusCode, header: resp.Header, body: data}
	what := fmt.Sprintf("%s %s → %d", method, path, r.status)
	if r.status != want {
		t.Fatalf("%s, want %d; body %.1000s", what, want, r.body)
	}
	vreq := httptest.NewRequestWithContext(t.Context(), method, path, bytes.NewReader(body))
	vreq.Header = h.Clone()
	route, params, err := f.router.FindRoute(vreq)
	if err != nil {
		t.Fatalf("%s: no operation in openapi.json: %v", what, err)
	}
	f.covered[route.Method+" "+route.Path] = true
	in := &openapi3filter.RequestValidationInput{Request: vreq, PathParams: params, Route: route,
		Options: &openapi3filter.Options{MultiError: true, AuthenticationFunc: hasCredential}}
	if err := openapi3filter.ValidateRequest(t.Context(), in); err != nil {
		t.Errorf("%s: request does not match openapi.json: %s", what, validationError(err))
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: r.status, Header: r.header,
		Options: &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true}}
	out.SetBodyBytes(r.body)
	if err := openapi3filter.ValidateResponse(t.Context(), out); err != nil {
		t.Errorf("%s: response does not match openapi.json: %s\nbody: %.2000s", what, validationError(err), r.body)
	}
	return r
}

// slack signs body at ts with the test secret.
func slackHeaders(ts int64, body []byte, ctype string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", ctype)
	stamp := strconv.FormatInt(ts, 10)
	h.Set(feedback.SlackTimestampHeader, stamp)
	h.Set(feedback.SlackSignatureHeader, feedback.SlackSignature([]byte(slackSecret), stamp, body))
	return h
}

// readTestdata reads a file of another package's testdata.
func readTestdata(t *testing.T, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", dir, "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestFeedbackAPI files, lists, triages and imports feedback through HTTP
// alone, on every dialect, and drives the Slack endpoints with Slack's
// documented signed example and freshly signed requests. Every request and
// response is checked against openapi.json, and every feedback operation
// is exercised.
func TestFeedbackAPI(t *testing.T) { forEachDialect(t, testFeedbackAPI) }

func testFeedbackAPI(t *testing.T, dialect string) {
	f := newFeedbackFixture(t, dialect)
	const (
		get, post, put, patch = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch
	)
	type submitResult struct {
		Item      tandem.Feedback `json:"item"`
		Duplicate bool            `json:"duplicate"`
	}

	// A rep files feedback on a deal: HTML in the text is kept as sent.
	var sub submitResult
	decodeStrict(t, f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/feedback",
		body: feedbackRequest{Title: "Audit export", Text: "Needs <script>alert(1)</script> audit export", DealID: f.deal, Importance: "critical"}, want: 201}).body, &sub)
	it := sub.Item
	if it.ID == "" || it.Author != "ae@x.io" || it.AccountID == "" || it.Owner != "admin@x.io" || it.Status != tandem.FeedbackNew ||
		it.AckDue.IsZero() || !strings.Contains(it.Text, "<script>") || sub.Duplicate {
		t.Fatalf("filed: %+v", sub)
	}
	// An integration retrying with the same source_ref gets the stored item.
	first := f.send(t, deskCall{as: "admin", method: post, path: "/api/v1/feedback", body: feedbackRequest{SourceRef: "crm-77", Text: "SSO please", Author: "buyer@cust.example"}, want: 201})
	var dup submitResult
	decodeStrict(t, f.send(t, deskCall{as: "admin", method: post, path: "/api/v1/feedback", body: feedbackRequest{SourceRef: "crm-77", Text: "SSO please", Author: "buyer@cust.example"}, want: 200}).body, &dup)
	if !dup.Duplicate || !strings.Contains(string(first.body), dup.Item.ID) {
		t.Errorf("retry: %+v", dup)
	}
	r := f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/feedback", body: feedbackRequest{Text: "  ", DealID: "no-such-deal"}, want: 400})
	checkError(t, r, 400, tandem.EINVALID, "text: required", `no deal "no-such-deal"`)
	f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/feedback", body: `{"text":"x","owner":"me"}`, want: 400, badRequest: true})
	f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/feedback", body: feedbackRequest{Text: "x", Source: "slack"}, want: 400, badRequest: true})

	// The inbox.
	var page service.FeedbackPage
	f.get(t, "other", "/api/v1/feedback?status=new&owner=admin@x.io&source=api&limit=10", &page)
	// Both were received at the fixture's fixed time: the order between
	// them is by id, so only membership is checked.
	if page.Total != 2 || len(page.Items) != 2 || !slices.ContainsFunc(page.Items, func(x tandem.Feedback) bool { return x.ID == dup.Item.ID }) {
		t.Errorf("inbox: %d items, total %d", len(page.Items), page.Total)
	}
	f.get(t, "other", "/api/v1/feedback?deal="+url.QueryEscape(f.deal)+"&q=audit+EXPORT&status=new,acknowledged", &page)
	if page.Total != 1 || page.Items[0].ID != it.ID {
		t.Errorf("inbox by deal and words: %+v", page)
	}
	r = f.send(t, deskCall{as: "other", method: get, path: "/api/v1/feedback?status=bogus", want: 400})
	checkError(t, r, 400, tandem.EINVALID, `status: "bogus"`)
	f.send(t, deskCall{as: "other", method: get, path: "/api/v1/feedback?limit=many", want: 400, badRequest: true})
	f.send(t, deskCall{as: "other", method: get, path: "/api/v1/feedback?overdue=maybe", want: 400, badRequest: true})

	// Triage: another sales user may not; a product manager
	// (feedback:admin) hands the item to the rep's manager, who, as its
	// owner, acknowledges it with a note.
	path := "/api/v1/feedback/" + it.ID
	ack, note := tandem.FeedbackAcknowledged, "On the Q3 list"
	r = f.send(t, deskCall{as: "other", method: patch, path: path, body: service.FeedbackChange{Version: 1, Status: &ack, Note: &note}, want: 403})
	checkError(t, r, 403, tandem.EFORBIDDEN, "is owned by admin@x.io")
	owner := "mgr@x.io"
	var ch feedbackChangeResponse
	decodeStrict(t, f.send(t, deskCall{as: "product", method: patch, path: path, body: service.FeedbackChange{Version: 1, Owner: &owner}, want: 200}).body, &ch)
	if ch.Version != 2 || ch.Item.Owner != owner || ch.Item.RoutedBy != "assigned by pm@x.io" {
		t.Errorf("assigned: %+v", ch)
	}
	decodeStrict(t, f.send(t, deskCall{as: "mgr", method: patch, path: path, body: service.FeedbackChange{Version: 2, Status: &ack, Note: &note}, want: 200}).body, &ch)
	if ch.Version != 3 || ch.Item.Status != ack || ch.Item.StatusNote != note || ch.Item.AckAt.IsZero() {
		t.Errorf("acknowledged: %+v", ch)
	}
	r = f.send(t, deskCall{as: "mgr", method: patch, path: path, body: service.FeedbackChange{Version: 2, Status: &ack}, want: 409})
	checkError(t, r, 409, tandem.ECONFLICT, "is at version 3")
	f.send(t, deskCall{as: "mgr", method: patch, path: path, body: service.FeedbackChange{Version: 3, Note: &note}, want: 400})
	f.send(t, deskCall{as: "mgr", method: patch, path: path, body: `{"version":3,"status":"done"}`, want: 400, badRequest: true})
	f.send(t, deskCall{as: "admin", method: patch, path: "/api/v1/feedback/fb-nope", body: service.FeedbackChange{Version: 1, Status: &ack}, want: 404})
	var detail feedbackItemResponse
	f.get(t, "rep", path, &detail)
	if detail.Version != 3 || len(detail.Versions) != 3 || detail.Versions[2].Author != "mgr@x.io" || detail.Versions[0].Item.Status != tandem.FeedbackNew || detail.Overdue {
		t.Errorf("detail: v%d, %d versions", detail.Version, len(detail.Versions))
	}
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/feedback/fb-nope", want: 404})

	// Settings.
	var set feedbackSettingsBody
	f.get(t, "product", "/api/v1/feedback/settings", &set)
	if set.Version != 0 || set.Settings.AckBusinessDays != 2 {
		t.Errorf("default settings: %+v", set)
	}
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/feedback/settings", want: 403})
	bad := feedbackSettingsBody{Settings: tandem.FeedbackSettings{AckBusinessDays: 99, Routing: []tandem.RoutingRule{{Name: "x", Owner: "nobody@x.io"}}}}
	r = f.send(t, deskCall{as: "product", method: put, path: "/api/v1/feedback/settings", body: bad, want: 400, badRequest: true})
	checkError(t, r, 400, tandem.EINVALID, "ack_business_days", `"nobody@x.io" is not an active user`, "has no condition")
	good := feedbackSettingsBody{Settings: tandem.FeedbackSettings{AckBusinessDays: 3, IntelQuota: 1,
		Routing: []tandem.RoutingRule{{Name: "identity", Keywords: []string{"sso"}, Owner: "pm@x.io"}}}}
	decodeStrict(t, f.send(t, deskCall{as: "product", method: put, path: "/api/v1/feedback/settings", body: good, want: 200}).body, &set)
	if set.Version != 1 {
		t.Errorf("saved settings: %+v", set)
	}
	f.send(t, deskCall{as: "admin", method: put, path: "/api/v1/feedback/settings", body: good, want: 409})
	f.send(t, deskCall{as: "rep", method: put, path: "/api/v1/feedback/settings", body: good, want: 403})

	// The SLA report.
	var sla service.AckReport
	f.get(t, "rep", "/api/v1/feedback/sla?from=2026-01-01&to=2026-12-31", &sla)
	if len(sla.Owners) == 0 || sla.SLADays != 3 {
		t.Errorf("sla: %+v", sla)
	}
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/feedback/sla?from=March", want: 400})

	// Mail import: the corpus archive is refused whole (its third message
	// is malformed); without that message it imports, and again changes
	// nothing.
	mbox := readTestdata(t, "mailparse", "feedback.mbox")
	r = f.send(t, deskCall{as: "admin", method: post, path: "/api/v1/feedback/import?name=feedback.mbox", body: string(mbox), contentType: "application/mbox", want: 400})
	var ie importErrorBody
	decodeStrict(t, r.body, &ie)
	if len(ie.Problems) != 1 || !strings.HasPrefix(ie.Problems[0], "feedback.mbox:29: message 3 <broken-1@hooli.example>") {
		t.Errorf("refused archive: %+v", ie)
	}
	good_ := dropMboxMessage(mbox, 2)
	var imp FeedbackImport
	decodeStrict(t, f.send(t, deskCall{as: "admin", method: post, path: "/api/v1/feedback/import?name=good.mbox&format=mail", body: string(good_), contentType: "application/octet-stream", want: 200}).body, &imp)
	if imp.Kind != "mail" || imp.Mail == nil || imp.Mail.Created != 4 || imp.Mail.Duplicates != 1 || imp.Mail.Threads != 2 {
		t.Errorf("mail import: %+v", imp.Mail)
	}
	decodeStrict(t, f.send(t, deskCall{as: "product", method: post, path: "/api/v1/feedback/import?name=good.mbox", body: string(good_), contentType: "application/mbox", want: 200}).body, &imp)
	if imp.Mail.Created != 0 || imp.Mail.Duplicates != 5 {
		t.Errorf("re-import: %+v", imp.Mail)
	}
	f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/feedback/import?name=good.mbox", body: string(good_), contentType: "application/mbox", want: 403})

	// CSV as a multipart upload; a bad one lists its rows.
	body, ctype := multipartFile(t, "productboard_notes.csv", readTestdata(t, "feedback", "productboard_notes.csv"))
	decodeStrict(t, f.send(t, deskCall{as: "admin", method: post, path: "/api/v1/feedback/import", body: body, contentType: ctype, want: 200}).body, &imp)
	if imp.Kind != "csv" || imp.CSV == nil || imp.CSV.Format != "productboard" || imp.CSV.Created == 0 || len(imp.CSV.UnknownCompanies) == 0 {
		t.Errorf("csv import: %+v", imp.CSV)
	}
	r = f.send(t, deskCall{as: "admin", method: post, path: "/api/v1/feedback/import?name=bad.csv", body: "text,kind\nfine,feedback\n,intel\nx,rumour\n", contentType: "text/csv", want: 400})
	decodeStrict(t, r.body, &ie)
	if len(ie.Problems) != 2 || !strings.HasPrefix(ie.Problems[1], "bad.csv:4: kind") {
		t.Errorf("bad csv: %+v", ie)
	}

	// An attachment is served as a download, never inline.
	decodeStrict(t, f.send(t, deskCall{as: "admin", method: post, path: "/api/v1/feedback/import?name=mixed-attachment.eml",
		body: string(readTestdata(t, "mailparse", "mixed-attachment.eml")), contentType: "message/rfc822", want: 200}).body, &imp)
	var withFile feedbackItemResponse
	f.get(t, "rep", "/api/v1/feedback/"+imp.Mail.CreatedIDs[0], &withFile)
	if len(withFile.Item.Attachments) != 1 {
		t.Fatalf("attachments: %+v", withFile.Item.Attachments)
	}
	at := withFile.Item.Attachments[0]
	r, err := f.do(t.Context(), deskCall{as: "rep", method: get, path: "/api/v1/feedback/" + withFile.Item.ID + "/attachments/" + at.SHA256})
	if err != nil || r.status != 200 || int64(len(r.body)) != at.Size || r.header.Get("Content-Type") != at.ContentType ||
		!strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment;") || r.header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("attachment: %d %v %d bytes, headers %v", r.status, err, len(r.body), r.header)
	}
	f.covered["GET /api/v1/feedback/{id}/attachments/{sha}"] = true
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/feedback/" + withFile.Item.ID + "/attachments/" + strings.Repeat("0", 64), want: 404})

	testSlackAPI(t, f)

	// Every operation of feedbackRoutes was exercised.
	if !t.Failed() {
		for _, rt := range f.srv.feedbackRoutes() {
			if !f.covered[rt.Method+" "+rt.Path] {
				t.Errorf("no request exercised %s %s", rt.Method, rt.Path)
			}
		}
	}
}

// testSlackAPI drives the Slack endpoints.
func testSlackAPI(t *testing.T, f *feedbackFixture) {
	const post = http.MethodPost
	form, jsonType := "application/x-www-form-urlencoded", "application/json"

	// Slack's documented example carries a real signature made with its
	// documented secret: a server with that secret accepts it at that
	// time (and answers the empty command with a usage hint), and refuses
	// it a second time, five minutes later, or altered.
	var ex struct {
		Secret    string `json:"signing_secret"`
		Timestamp string `json:"timestamp"`
		Body      string `json:"body"`
		Signature string `json:"signature"`
	}
	if err := json.Unmarshal(readTestdata(t, "feedback", "slack_signing_example.json"), &ex); err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) }
	svc := service.New(f.store, f.cat, analytics.New(f.store, f.cat, now), t.TempDir(), now)
	docSrv := New(Config{Service: svc, Sessions: auth.NewManager(f.store, false, nil), SlackSigningSecret: ex.Secret})
	ts, _ := strconv.ParseInt(ex.Timestamp, 10, 64)
	docSrv.slack.now = func() time.Time { return time.Unix(ts+30, 0) }
	doc := httptest.NewServer(docSrv.Handler())
	defer doc.Close()
	h := http.Header{}
	h.Set("Content-Type", form)
	h.Set(feedback.SlackTimestampHeader, ex.Timestamp)
	h.Set(feedback.SlackSignatureHeader, ex.Signature)
	r := f.raw(t, doc.URL, post, "/api/v1/slack/commands", h, []byte(ex.Body), 200)
	var reply slackReply
	decodeStrict(t, r.body, &reply)
	if reply.ResponseType != "ephemeral" || !strings.Contains(reply.Text, "Not filed") || !strings.Contains(reply.Text, "no text") {
		t.Errorf("documented example: %+v", reply)
	}
	r = f.raw(t, doc.URL, post, "/api/v1/slack/commands", h, []byte(ex.Body), 401)
	checkError(t, r, 401, tandem.EUNAUTHORIZED, "already received")
	r = f.raw(t, doc.URL, post, "/api/v1/slack/commands", h, []byte(strings.Replace(ex.Body, "text=", "text=x", 1)), 401)
	checkError(t, r, 401, tandem.EUNAUTHORIZED, "signature does not match")
	docSrv.slack.now = func() time.Time { return time.Unix(ts+6*60, 0) }
	r = f.raw(t, doc.URL, post, "/api/v1/slack/commands", h, []byte(ex.Body), 401)
	checkError(t, r, 401, tandem.EUNAUTHORIZED, "old")

	// Not configured: a clear 404.
	verify := []byte(`{"type":"url_verification","challenge":"x"}`)
	r = f.raw(t, f.bare, post, "/api/v1/slack/events", slackHeaders(time.Now().Unix(), verify, jsonType), verify, 404)
	checkError(t, r, 404, tandem.ENOTFOUND, "TANDEM_SLACK_SIGNING_SECRET")

	// A slash command end to end: filed, answered with the item's owner
	// and deadline; the item is in the inbox as a Slack item.
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	f.setClock(at)
	cmd := url.Values{"team_id": {"T1"}, "channel_id": {"C1"}, "user_id": {"U2CERLKJA"}, "user_name": {"roadrunner"}, "command": {"/tandem"},
		"text": {"Globex needs SSO before they renew"}, "trigger_id": {"398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"},
		"response_url": {"https://hooks.slack.com/commands/T1/1/x"}}.Encode()
	r = f.raw(t, f.http.URL, post, "/api/v1/slack/commands", slackHeaders(at.Unix(), []byte(cmd), form), []byte(cmd), 200)
	decodeStrict(t, r.body, &reply)
	if !strings.HasPrefix(reply.Text, "Thanks — filed as fb-") || !strings.Contains(reply.Text, "owner pm@x.io") || !strings.Contains(reply.Text, "acknowledgment due") {
		t.Errorf("command reply: %+v", reply)
	}
	var page service.FeedbackPage
	f.get(t, "rep", "/api/v1/feedback?source=slack", &page)
	if page.Total != 1 || page.Items[0].Author != "U2CERLKJA" || page.Items[0].ReplyTo != "slack:U2CERLKJA" || page.Items[0].Owner != "pm@x.io" {
		t.Errorf("slack items: %+v", page.Items)
	}
	// The same request again within the window is a replay.
	f.raw(t, f.http.URL, post, "/api/v1/slack/commands", slackHeaders(at.Unix(), []byte(cmd), form), []byte(cmd), 401)
	// A wrong secret, and a missing signature.
	wrong := slackHeaders(at.Unix(), []byte(cmd), form)
	wrong.Set(feedback.SlackSignatureHeader, feedback.SlackSignature([]byte("not the secret"), strconv.FormatInt(at.Unix()+1, 10), []byte(cmd)))
	wrong.Set(feedback.SlackTimestampHeader, strconv.FormatInt(at.Unix()+1, 10))
	f.raw(t, f.http.URL, post, "/api/v1/slack/commands", wrong, []byte(cmd), 401)
	unsigned := http.Header{"Content-Type": {form}}
	r = f.raw(t, f.http.URL, post, "/api/v1/slack/commands", unsigned, []byte(cmd), 401)
	checkError(t, r, 401, tandem.EUNAUTHORIZED, "not a signed Slack request")

	// Events: the URL verification challenge; Slack's documented message
	// event filed; a retry of it (new timestamp, same event_id) is a
	// duplicate; a bot's message is ignored.
	var ans slackEventAnswer
	send := func(file string, ts time.Time) slackEventAnswer {
		t.Helper()
		b := readTestdata(t, "feedback", file)
		var a slackEventAnswer
		decodeStrict(t, f.raw(t, f.http.URL, post, "/api/v1/slack/events", slackHeaders(ts.Unix(), b, jsonType), b, 200).body, &a)
		return a
	}
	if ans = send("slack_url_verification.json", at); ans.Challenge != "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" {
		t.Errorf("challenge: %+v", ans)
	}
	filed := send("slack_event_message.json", at)
	if filed.Status != "filed" || filed.ID == "" {
		t.Errorf("message event: %+v", filed)
	}
	if ans = send("slack_event_message.json", at.Add(time.Second)); ans.Status != "duplicate" || ans.ID != filed.ID {
		t.Errorf("retried event: %+v", ans)
	}
	if ans = send("slack_event_bot.json", at); ans.Status != "ignored" || ans.Reason == "" {
		t.Errorf("bot event: %+v", ans)
	}
	if ans = send("slack_event_app_mention.json", at); ans.Status != "filed" {
		t.Errorf("mention: %+v", ans)
	}
	var item feedbackItemResponse
	f.get(t, "rep", "/api/v1/feedback/"+filed.ID, &item)
	if item.Item.Text != "Live long and prospect." || item.Item.SourceRef != "Ev123ABC456" || item.Item.Source != tandem.SourceSlack {
		t.Errorf("event item: %+v", item.Item)
	}
	r = f.raw(t, f.http.URL, post, "/api/v1/slack/events", slackHeaders(at.Unix(), []byte(`{"type":""}`), jsonType), []byte(`{"type":""}`), 400)
	checkError(t, r, 400, tandem.EINVALID, "no type")

	// An authentic event whose text is over the limit is answered 200
	// as refused (a retry would fail alike); a body over the Slack limit
	// is refused before its signature is computed.
	long := []byte(`{"type":"event_callback","event_id":"EvLong","team_id":"T1","event":{"type":"message","user":"U1","text":"` + strings.Repeat("a", service.MaxFeedbackText+1) + `","channel":"C1","ts":"1.2"}}`)
	decodeStrict(t, f.raw(t, f.http.URL, post, "/api/v1/slack/events", slackHeaders(at.Unix(), long, jsonType), long, 200).body, &ans)
	if ans.Status != "refused" || ans.Reason == "" {
		t.Errorf("over-long event: %+v", ans)
	}
	huge := bytes.Replace(long, []byte(strings.Repeat("a", 100)), []byte(strings.Repeat("a", slackMaxBody)), 1)
	r = f.raw(t, f.http.URL, post, "/api/v1/slack/events", slackHeaders(at.Unix(), huge, jsonType), huge, 413)
	checkError(t, r, 413, tandem.ETOOLARGE, "at most")

	// A store slower than Slack's budget: the answer comes in time, and
	// the item is filed anyway.
	f.srv.slack.wait = 0
	slow := url.Values{"user_id": {"U9"}, "command": {"/tandem"}, "text": {"Answer fast please"}, "trigger_id": {"slow-1"}}.Encode()
	r = f.raw(t, f.http.URL, post, "/api/v1/slack/commands", slackHeaders(at.Unix(), []byte(slow), form), []byte(slow), 200)
	decodeStrict(t, r.body, &reply)
	f.srv.slack.wait = slackWait
	if !strings.Contains(reply.Text, "received, filing") && !strings.Contains(reply.Text, "filed as") {
		t.Errorf("slow reply: %+v", reply)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		f.get(t, "rep", "/api/v1/feedback?source=slack&q=fast", &page)
		if page.Total == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if page.Total != 1 {
		t.Error("the slow command's item was not filed")
	}
}

// dropMboxMessage returns an mbox without its i-th message (from 0).
func dropMboxMessage(mbox []byte, i int) []byte {
	var msgs [][]byte
	prevBlank := true
	for _, l := range bytes.SplitAfter(mbox, []byte("\n")) {
		if prevBlank && bytes.HasPrefix(l, []byte("From ")) {
			msgs = append(msgs, nil)
		}
		if len(msgs) > 0 {
			msgs[len(msgs)-1] = append(msgs[len(msgs)-1], l...)
		}
		prevBlank = len(bytes.TrimSpace(l)) == 0
	}
	return bytes.Join(slices.Delete(msgs, i, i+1), nil)
}

// multipartFile is a multipart form body with one "file" part.
func multipartFile(t *testing.T, name string, data []byte) (string, string) {
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	fw, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	w.Close()
	return b.String(), w.FormDataContentType()
}
