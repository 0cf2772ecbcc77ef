package web

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
)

// feedbackPagePerms lists the feedback pages and the permission each needs.
var feedbackPagePerms = map[string]auth.Perm{
	"GET /feedback":           auth.PermPipelineRead,
	"POST /feedback":          auth.PermFeedbackWrite,
	"GET /feedback/sla":       auth.PermPipelineRead,
	"GET /feedback/settings":  auth.PermFeedbackAdmin,
	"POST /feedback/settings": auth.PermFeedbackAdmin,
	"GET /feedback/import":    auth.PermFeedbackAdmin,
	"POST /feedback/import":   auth.PermFeedbackAdmin,
	"GET /feedback/{id}":      auth.PermPipelineRead,
	"POST /feedback/{id}":     auth.PermFeedbackWrite,
}

// uploadBody is a multipart form with a file and the CSRF field.
func uploadBody(t *testing.T, name string, data []byte, fields map[string]string) reqBody {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		_ = w.WriteField(k, v)
	}
	_ = w.WriteField("csrf", "csrf-token")
	fw, err := w.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	w.Close()
	return reqBody{raw: b.Bytes(), ctype: w.FormDataContentType()}
}

// TestFeedbackPages files feedback through the web form (HTML in it shown
// inert), finds it in the inbox with its owner and deadline, triages it as
// its owner (and is refused as someone else, and on a stale version), and
// uses the SLA, settings and import pages.
func TestFeedbackPages(t *testing.T) {
	f := newFixture(t, true, true)
	sales, admin, product := f.users[tandem.RoleSales], f.users[tandem.RoleAdmin], f.users[tandem.RoleProduct]

	// Refused: no text; the form keeps what was typed.
	f.page(t, sales, "POST", "/feedback", url.Values{"title": {"Kept title"}, "text": {" "}}, http.StatusBadRequest, "text: required", `value="Kept title"`)

	// Filed by a rep, with HTML in it.
	loc := f.page(t, sales, "POST", "/feedback", url.Values{"title": {"SSO " + xss}, "text": {"Needs SAML " + xss + "\nsoon"}, "account": {"a1"}, "importance": {"critical"}}, http.StatusSeeOther)
	if !strings.HasPrefix(loc, "/feedback/fb-") || !strings.HasSuffix(loc, "?done=filed") {
		t.Fatalf("filed: redirected to %q", loc)
	}
	id := strings.TrimSuffix(strings.TrimPrefix(loc, "/feedback/"), "?done=filed")
	body := f.page(t, sales, "GET", loc, nil, http.StatusOK, "Feedback filed", "Needs SAML &lt;script&gt;alert(1)&lt;/script&gt;", "admin@example.com", "routed by default", "History")
	if strings.Contains(body, `id="feedback-triage"`) {
		t.Error("a sales user who is not the owner sees the triage form")
	}
	inbox := f.page(t, sales, "GET", "/feedback", nil, http.StatusOK, id, "admin@example.com", `<span class="badge badge-warn">new</span>`, "New feedback",
		`<a href="/themes">`, `<a href="/themes/ranking">`)
	// The item shows its theme with a link; the theme links back to it.
	theme, err := f.svc.ThemeOf(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	f.page(t, sales, "GET", "/feedback/"+id, nil, http.StatusOK, `id="feedback-theme"><a href="/themes/`+theme+`">SSO &lt;script&gt;`)
	f.page(t, sales, "GET", "/themes/"+theme, nil, http.StatusOK, `href="/feedback/`+id+`"`)
	filed, _, err := f.svc.FeedbackItem(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if due := dateTimeText(filed.AckDue); due == "" || !strings.Contains(inbox, due) {
		t.Errorf("inbox lacks the deadline %q:\n%.3000s", due, inbox)
	}
	f.page(t, sales, "GET", "/feedback?status=acknowledged", nil, http.StatusOK, "No feedback matches these filters.")
	f.page(t, sales, "GET", "/feedback?status=bogus", nil, http.StatusBadRequest, "bogus")
	f.page(t, f.users[tandem.RoleFinance], "GET", "/feedback", nil, http.StatusOK)

	// Triage: refused to a non-owner without feedback:admin; done by the
	// owner; a stale version is refused with the form kept.
	f.page(t, sales, "POST", "/feedback/"+id, url.Values{"status": {"acknowledged"}, "version": {"1"}, "owner": {"admin@example.com"}}, http.StatusForbidden)
	loc = f.page(t, admin, "POST", "/feedback/"+id, url.Values{"status": {"acknowledged"}, "note": {"On the list " + xss}, "version": {"1"},
		"owner": {"admin@example.com"}, "account": {"a1"}}, http.StatusSeeOther)
	f.page(t, sales, "GET", loc, nil, http.StatusOK, `id="feedback-status">acknowledged`, "On the list &lt;script&gt;", "status new → acknowledged", "version 2")
	f.page(t, admin, "GET", loc, nil, http.StatusOK, `list="tr-owners"`, `<datalist id="tr-owners">`, `<option value="product@example.com">`)
	f.page(t, product, "POST", "/feedback/"+id, url.Values{"status": {"planned"}, "version": {"1"}, "owner": {"admin@example.com"}, "account": {"a1"}},
		http.StatusConflict, "is at version 2", `<option value="planned" selected>`)
	f.page(t, product, "POST", "/feedback/"+id, url.Values{"status": {"planned"}, "version": {"2"}, "owner": {"nobody@example.com"}, "account": {"a1"}},
		http.StatusBadRequest, `&#34;nobody@example.com&#34; is not an active user`)
	f.page(t, product, "GET", "/feedback/fb-nope", nil, http.StatusNotFound)

	// The SLA report.
	f.page(t, sales, "GET", "/feedback/sla", nil, http.StatusOK, "admin@example.com", "insufficient data", "Kaplan–Meier", "Nothing is overdue",
		"How to read these figures", "fewer than 10 judged items")
	f.page(t, sales, "GET", "/feedback/sla?from=March", nil, http.StatusBadRequest)

	// Settings: refused whole with every problem, then applied.
	f.page(t, sales, "GET", "/feedback/settings", nil, http.StatusForbidden)
	f.page(t, product, "GET", "/feedback/settings", nil, http.StatusOK, "ack_business_days: 2", "defaults")
	f.page(t, product, "POST", "/feedback/settings", url.Values{"version": {"0"}, "source": {"ack_business_days: two\r\nrouting:\r\n  - name: x\r\n    keywrods: [sso]\r\n    owner: admin@example.com\r\n"}},
		http.StatusBadRequest, "settings:1: ack_business_days: wrong type", "settings:4: routing[0].keywrods: unknown key", "keywrods: [sso]")
	f.page(t, product, "POST", "/feedback/settings", url.Values{"version": {"0"}, "source": {"routing:\n  - name: x\n    owner: nobody@example.com\n"}},
		http.StatusBadRequest, `routing[0].owner: &#34;nobody@example.com&#34; is not an active user`, "has no condition")
	loc = f.page(t, product, "POST", "/feedback/settings", url.Values{"version": {"0"}, "source": {"ack_business_days: 3\nrouting:\n  - name: identity\n    keywords: [okta]\n    owner: product@example.com\n"}}, http.StatusSeeOther)
	f.page(t, product, "GET", loc, nil, http.StatusOK, "applied", "version 1", "- name: identity")

	// Import: the sample archive is refused naming its bad message; an
	// .eml with an attachment is imported and offered as a download.
	f.page(t, sales, "GET", "/feedback/import", nil, http.StatusForbidden)
	f.page(t, admin, "GET", "/feedback/import", nil, http.StatusOK, "Upload a file")
	mbox, err := os.ReadFile(filepath.Join("..", "mailparse", "testdata", "feedback.mbox"))
	if err != nil {
		t.Fatal(err)
	}
	w := f.do(t, admin, "POST", "/feedback/import", uploadBody(t, "feedback.mbox", mbox, nil))
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "feedback.mbox:29: message 3 &lt;broken-1@hooli.example&gt;") {
		t.Errorf("bad archive: %d\n%.3000s", w.Code, w.Body.String())
	}
	checkPage(t, w.Body.String())
	eml, err := os.ReadFile(filepath.Join("..", "mailparse", "testdata", "mixed-attachment.eml"))
	if err != nil {
		t.Fatal(err)
	}
	w = f.do(t, admin, "POST", "/feedback/import", uploadBody(t, "mixed-attachment.eml", eml, map[string]string{"format": "mail"}))
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "1 created") {
		t.Fatalf("eml: %d\n%.3000s", w.Code, w.Body.String())
	}
	checkPage(t, w.Body.String())
	items, _ := f.svc.FeedbackItems(t.Context())
	var mailID string
	for _, it := range items {
		if it.Source == tandem.SourceEmail {
			mailID = it.ID
		}
	}
	f.page(t, sales, "GET", "/feedback/"+mailID, nil, http.StatusOK, "Attachments", "/api/v1/feedback/"+mailID+"/attachments/", "download")
	w = f.do(t, admin, "POST", "/feedback/import", uploadBody(t, "bad.csv", []byte("text,kind\nfine,feedback\n,intel\n"), nil))
	if w.Code != http.StatusBadRequest || !strings.Contains(w.Body.String(), "bad.csv:3: text") {
		t.Errorf("bad csv: %d\n%.2000s", w.Code, w.Body.String())
	}
}
