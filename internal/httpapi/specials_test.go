package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"slices"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/service"
	"github.com/tandemhq/tandem/internal/specials"
)

// isSpecialPath selects the operations of openapi_specials.json.
func isSpecialPath(path string) bool { return strings.HasPrefix(path, "/api/v1/specials") }

// specialPart is one part of a multipart filing.
type specialPart struct {
	field, name, contentType string
	data                     []byte
}

// specialForm returns a multipart body (with formBoundary) of parts.
func specialForm(t *testing.T, parts ...specialPart) string {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	if err := w.SetBoundary(formBoundary); err != nil {
		t.Fatal(err)
	}
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		disp := `form-data; name="` + p.field + `"`
		if p.name != "" {
			disp += `; filename="` + p.name + `"`
		}
		h.Set("Content-Disposition", disp)
		if p.contentType != "" {
			h.Set("Content-Type", p.contentType)
		}
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pw.Write(p.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestSpecialsAPI walks specials through HTTP alone, on every dialect: a
// special filed with evidence files, scored, estimated, linked and taken
// through the six steps to productized (an advance with its sign-off, a
// skip with its reason, an acceptance by a leader with what it displaces,
// the build and the measure); a second special accepted over the
// budget's warning line after capacity is lowered through the settings,
// which needs a confirmation; a third withdrawn by its filer; and the
// refusals along the way (an illegal move, a stale version, a sales user
// accepting, a file over the limit or of a type not accepted). The
// matrix, capacity and outcome views are read. Every request and response
// is checked against the OpenAPI document, and every specials operation
// is exercised.
func TestSpecialsAPI(t *testing.T) { forEachDialect(t, testSpecialsAPI) }

func testSpecialsAPI(t *testing.T, dialect string) {
	f := newDeskFixture(t, dialect)
	ctx := t.Context()
	const get, post, put = http.MethodGet, http.MethodPost, http.MethodPut
	features, err := f.store.IDs(ctx, "features")
	if err != nil || len(features) == 0 {
		t.Fatalf("features: %v", err)
	}
	feature := slices.Sorted(maps.Keys(features))[0]
	multi := "multipart/form-data; boundary=" + formBoundary
	view := func(r response) service.SpecialView {
		t.Helper()
		var v service.SpecialView
		decodeStrict(t, r.body, &v)
		return v
	}
	call := func(as, path string, body any, want int) service.SpecialView {
		t.Helper()
		r := f.send(t, deskCall{as: as, method: post, path: path, body: body, want: want})
		if want != http.StatusOK && want != http.StatusCreated {
			return service.SpecialView{}
		}
		return view(r)
	}

	// Intake: a multipart filing with a note, a link and two files, one
	// typed by its extension.
	req := map[string]any{"deal_id": f.deal, "title": "SAML single sign-on with Okta", "ask": "Log in through their Okta tenant",
		"problem": "Their security policy forbids passwords", "asked_by": "CISO", "deadline": "2026-04-01T00:00:00Z", "others_asked": true,
		"evidence": []map[string]string{{"kind": "note", "text": "Call on 2026-02-20: blocker for signature"}, {"kind": "link", "url": "https://crm.example.com/notes/1"}}}
	special, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	pdf := []byte("%PDF-1.4 security questionnaire")
	body := specialForm(t, specialPart{field: "special", data: special},
		specialPart{field: "file", name: "questionnaire.pdf", contentType: "application/pdf", data: pdf},
		specialPart{field: "file", name: "call-notes.txt", contentType: "application/octet-stream", data: []byte("notes of the call")})
	a := view(f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/specials", body: body, contentType: multi, want: http.StatusCreated}))
	if !strings.HasPrefix(a.ID, "sp-") || a.Version != 1 || a.Step != tandem.StepTalkToRep || a.FiledBy != "ae@x.io" || len(a.Evidence) != 4 || a.Amount <= 0 {
		t.Fatalf("filed: %+v", a)
	}
	if ev := a.Evidence[3]; ev.Kind != "file" || ev.ContentType != "text/plain" || ev.Name != "call-notes.txt" {
		t.Errorf("file typed by its extension: %+v", ev)
	}
	if !slices.Equal(a.Allowed, []specials.Action{specials.Advance, specials.Skip, specials.Decline, specials.Withdraw}) {
		t.Errorf("allowed at talk-to-rep: %v", a.Allowed)
	}

	// Refused filings: nothing stored.
	f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/specials", want: http.StatusBadRequest, badRequest: true,
		body: map[string]any{"deal_id": f.deal, "title": "x"}})
	r := f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/specials", want: http.StatusBadRequest,
		body: map[string]any{"deal_id": "no-such-deal", "title": "x", "ask": "y", "problem": "z"}})
	if !strings.Contains(string(r.body), "no deal") {
		t.Errorf("unknown deal: %s", r.body)
	}
	r = f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/specials", contentType: multi, want: http.StatusBadRequest,
		body: specialForm(t, specialPart{field: "special", data: special}, specialPart{field: "file", name: "setup.exe", contentType: "application/x-msdownload", data: []byte("MZ")})})
	if !strings.Contains(string(r.body), "not accepted") {
		t.Errorf("disallowed type: %s", r.body)
	}
	r = f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/specials", contentType: multi, want: http.StatusRequestEntityTooLarge,
		body: specialForm(t, specialPart{field: "special", data: special}, specialPart{field: "file", name: "big.pdf", contentType: "application/pdf", data: make([]byte, service.MaxSpecialFile+1)})})
	if !strings.Contains(string(r.body), "big.pdf") {
		t.Errorf("file over the limit: %s", r.body)
	}
	f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/specials", contentType: multi, want: http.StatusBadRequest, badRequest: true,
		body: specialForm(t, specialPart{field: "file", name: "a.pdf", contentType: "application/pdf", data: pdf})})
	many := []specialPart{{field: "special", data: special}}
	for i := range MaxSpecialFiles + 1 {
		many = append(many, specialPart{field: "file", name: fmt.Sprintf("n%d.txt", i), contentType: "text/plain", data: []byte("x")})
	}
	r = f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/specials", contentType: multi, want: http.StatusBadRequest, body: specialForm(t, many...)})
	if !strings.Contains(string(r.body), "at most 20") {
		t.Errorf("too many files: %s", r.body)
	}
	r = f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/specials", contentType: multi, want: http.StatusRequestEntityTooLarge,
		body: specialForm(t, specialPart{field: "special", data: append([]byte(`{"title":"`), bytes.Repeat([]byte("x"), maxSpecialPart)...)})})
	if !strings.Contains(string(r.body), "special") {
		t.Errorf("request part over its limit: %s", r.body)
	}

	// Reading.
	var list specialList
	f.get(t, "other", "/api/v1/specials", &list)
	if len(list.Specials) != 1 || list.Specials[0].ID != a.ID {
		t.Fatalf("list: %+v", list)
	}
	f.get(t, "rep", "/api/v1/specials?open=1&step=talk-to-rep&deal="+f.deal, &list)
	if len(list.Specials) != 1 {
		t.Errorf("filtered list: %+v", list)
	}
	f.get(t, "rep", "/api/v1/specials?step=declined", &list)
	if len(list.Specials) != 0 {
		t.Errorf("declined: %+v", list)
	}
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/specials?step=somewhere", want: http.StatusBadRequest, badRequest: true})
	var got service.SpecialView
	f.get(t, "rep", "/api/v1/specials/"+a.ID, &got)
	if got.ID != a.ID || got.Version != 1 || got.Placement != nil {
		t.Errorf("special: %+v", got)
	}
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/specials/sp-nope", want: http.StatusNotFound})

	// Evidence: a download, never rendered.
	sum := sha256.Sum256(pdf)
	sha := hex.EncodeToString(sum[:])
	r = f.send(t, deskCall{as: "other", method: get, path: "/api/v1/specials/" + a.ID + "/evidence/" + sha, want: http.StatusOK})
	if string(r.body) != string(pdf) || r.header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment") ||
		r.header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(r.header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("evidence: %q %v", r.body, r.header)
	}
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/specials/" + a.ID + "/evidence/" + strings.Repeat("0", 64), want: http.StatusNotFound})

	// Score, estimate, links: specials:admin, with the version.
	path := "/api/v1/specials/" + a.ID
	score := map[string]any{"version": 1, "icp_fit": 8, "strategy_fit": 7}
	call("rep", path+"/score", score, http.StatusForbidden)
	a = call("product", path+"/score", score, http.StatusOK)
	if a.Version != 2 || a.Alignment == nil || a.Alignment.ICPFit != 8 || len(a.Alignment.Inputs) == 0 {
		t.Fatalf("scored: %+v", a)
	}
	call("product", path+"/score", score, http.StatusConflict)
	f.send(t, deskCall{as: "product", method: post, path: path + "/score", want: http.StatusBadRequest,
		body: map[string]any{"version": 2, "icp_fit": 8, "strategy_fit": 7, "adjusted": 9}}) // no reason
	a = call("product", path+"/score", map[string]any{"version": 2, "icp_fit": 8, "strategy_fit": 7, "adjusted": 8, "reason": "reference customer"}, http.StatusOK)
	if a.Alignment.Value() != 8 || a.Alignment.Reason != "reference customer" {
		t.Errorf("adjusted: %+v", a.Alignment)
	}
	call("product", path+"/estimate", map[string]any{"version": 3, "weeks": -1}, http.StatusBadRequest)
	call("product", path+"/estimate", map[string]any{"version": 3, "weeks": 1000}, http.StatusBadRequest)
	a = call("product", path+"/estimate", map[string]any{"version": 3, "weeks": 3, "note": "SAML library exists"}, http.StatusOK)
	if a.Effort == nil || a.Effort.Weeks != 3 || a.Effort.Author != "pm@x.io" || a.Placement == nil || a.Placement.Quadrant != specials.LowEffortHighAlignment {
		t.Fatalf("estimated: %+v %+v", a.Effort, a.Placement)
	}
	call("product", path+"/links", map[string]any{"version": 4}, http.StatusBadRequest)
	call("product", path+"/links", map[string]any{"version": 4, "feature": "no-such-feature"}, http.StatusBadRequest)
	a = call("product", path+"/links", map[string]any{"version": 4, "feature": feature, "themes": []string{}}, http.StatusOK)
	if a.Feature != feature || a.Version != 5 {
		t.Errorf("linked: %+v", a)
	}

	// The steps: advance with a sign-off, skip with a reason, advance.
	move := func(as string, v int, body map[string]any, want int) service.SpecialView {
		t.Helper()
		body["version"] = v
		return call(as, path+"/moves", body, want)
	}
	move("product", 5, map[string]any{"action": "advance", "notes": "talked to the rep"}, http.StatusBadRequest) // no sign-off
	f.send(t, deskCall{as: "product", method: post, path: path + "/moves", body: map[string]any{"version": 5, "action": "fly", "notes": "x"},
		want: http.StatusBadRequest, badRequest: true})
	a = move("product", 5, map[string]any{"action": "advance", "notes": "talked to the rep", "signed_by": "pm@x.io"}, http.StatusOK)
	if a.Step != tandem.StepSpeakToProspect || len(a.History) != 1 || a.History[0].SignedBy != "pm@x.io" {
		t.Fatalf("advanced: %+v", a)
	}
	move("product", 6, map[string]any{"action": "skip"}, http.StatusBadRequest) // no reason
	a = move("product", 6, map[string]any{"action": "skip", "skip_reason": "the CISO's e-mail is in the evidence"}, http.StatusOK)
	a = move("product", 7, map[string]any{"action": "advance", "notes": "evidence holds", "signed_by": "admin@x.io"}, http.StatusOK)
	if a.Step != tandem.StepFindWorkarounds || !a.History[1].Skipped {
		t.Fatalf("at workarounds: %+v", a)
	}
	move("product", 8, map[string]any{"action": "productize", "notes": "too soon"}, http.StatusBadRequest) // illegal here
	move("product", 7, map[string]any{"action": "decline", "notes": "stale"}, http.StatusConflict)

	// Acceptance: not by a sales user; by a leader with what it displaces.
	accept := map[string]any{"action": "accept", "notes": "no partner offers SAML", "quarter": "2026-Q1",
		"displaces": []map[string]any{{"item": "audit log export", "weeks": 2}}}
	move("rep", 8, maps.Clone(accept), http.StatusForbidden)
	a = move("admin", 8, maps.Clone(accept), http.StatusOK)
	if a.Step != tandem.StepSimplestSlice || a.Accept == nil || a.Accept.Leader != "admin@x.io" || a.Accept.Quarter != "2026-Q1" || len(a.Accept.Displaces) != 1 {
		t.Fatalf("accepted: %+v", a)
	}

	// Build, measure, productize.
	a = move("product", 9, map[string]any{"action": "advance", "notes": "slice shipped", "signed_by": "pm@x.io"}, http.StatusOK)
	if a.Step != tandem.StepMeasure {
		t.Fatalf("built: %+v", a)
	}

	// A second special, accepted over the warning line once capacity is
	// lowered: only with a confirmation.
	b := call("rep", "/api/v1/specials", map[string]any{"deal_id": f.deal, "title": "Custom invoice layout", "ask": "Their logo on invoices",
		"problem": "Finance rejects invoices without it", "strategic": true, "strategic_why": "reference customer"}, http.StatusCreated)
	bp := "/api/v1/specials/" + b.ID
	b = call("product", bp+"/estimate", map[string]any{"version": 1, "weeks": 2}, http.StatusOK)
	for _, m := range []map[string]any{
		{"action": "skip", "skip_reason": "rep wrote it up"},
		{"action": "skip", "skip_reason": "prospect on record"},
		{"action": "advance", "notes": "reviewed", "signed_by": "pm@x.io"},
	} {
		m["version"] = b.Version
		b = call("product", bp+"/moves", m, http.StatusOK)
	}
	var set specialSettingsBody
	f.get(t, "rep", "/api/v1/specials/settings", &set)
	if set.Version != 0 || set.Settings.CapacityWeeks != 120 {
		t.Errorf("default settings: %+v", set)
	}
	set.Settings.CapacityWeeks = 20 // warning at 4 weeks; 3 are committed
	f.send(t, deskCall{as: "rep", method: put, path: "/api/v1/specials/settings", body: set, want: http.StatusForbidden})
	bad := set
	bad.Settings.BudgetShare = 0.5
	f.send(t, deskCall{as: "product", method: put, path: "/api/v1/specials/settings", body: bad, want: http.StatusBadRequest})
	decodeStrict(t, f.send(t, deskCall{as: "product", method: put, path: "/api/v1/specials/settings", body: set, want: http.StatusOK}).body, &set)
	if set.Version != 1 || set.Settings.CapacityWeeks != 20 {
		t.Errorf("saved settings: %+v", set)
	}
	f.send(t, deskCall{as: "product", method: put, path: "/api/v1/specials/settings", body: map[string]any{"version": 0, "settings": set.Settings}, want: http.StatusConflict})
	acceptB := map[string]any{"version": b.Version, "action": "accept", "notes": "nothing moves: fits in slack", "quarter": "2026-Q1"}
	r = f.send(t, deskCall{as: "product", method: post, path: bp + "/moves", body: acceptB, want: http.StatusBadRequest})
	if !strings.Contains(string(r.body), "confirmation") {
		t.Errorf("over the warning line without confirmation: %s", r.body)
	}
	acceptB["confirmation"] = "worth it: the reference closes two more deals"
	b = call("product", bp+"/moves", acceptB, http.StatusOK)
	if b.Accept == nil || !b.Accept.OverWarning || b.Accept.Confirmation == "" {
		t.Errorf("confirmed: %+v", b.Accept)
	}

	// A third special: withdrawn by its filer, not by another rep.
	c := call("rep", "/api/v1/specials", map[string]any{"deal_id": f.deal, "title": "Offline mode", "ask": "Work offline", "problem": "Field staff"}, http.StatusCreated)
	cp := "/api/v1/specials/" + c.ID + "/moves"
	call("other", cp, map[string]any{"version": 1, "action": "withdraw", "notes": "not mine"}, http.StatusForbidden)
	call("rep", cp, map[string]any{"version": 1, "action": "decline", "notes": "a rep cannot decline"}, http.StatusForbidden)
	c = call("rep", cp, map[string]any{"version": 1, "action": "withdraw", "notes": "the prospect dropped it"}, http.StatusOK)
	if c.Step != tandem.StepWithdrawn {
		t.Errorf("withdrawn: %+v", c)
	}

	// The views.
	var m service.SpecialMatrix
	f.get(t, "rep", "/api/v1/specials/matrix", &m)
	if len(m.Placed) != 1 || m.Placed[0].ID != a.ID || len(m.Unscored) != 1 || m.Unscored[0].ID != b.ID || m.Settings.CapacityWeeks != 20 {
		t.Errorf("matrix: %d placed, %d unscored", len(m.Placed), len(m.Unscored))
	}
	var budget specials.Budget
	f.get(t, "rep", "/api/v1/specials/capacity?quarter=2026-Q1", &budget)
	if budget.Committed != 5 || budget.InProgress != 2 || budget.Spent != 3 || len(budget.Specials) != 2 || len(budget.Displaced) != 1 {
		t.Errorf("capacity: %+v", budget)
	}
	f.get(t, "rep", "/api/v1/specials/capacity", &budget)
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/specials/capacity?quarter=Q5", want: http.StatusBadRequest})

	a = move("product", 10, map[string]any{"action": "productize", "notes": "three more accounts want it"}, http.StatusOK)
	if a.Step != tandem.StepProductized {
		t.Fatalf("productized: %+v", a)
	}
	var out specials.OutcomeReport
	f.get(t, "rep", "/api/v1/specials/outcomes", &out)
	if out.MinN != specials.DefaultMinN || len(out.Rows) == 0 || !out.Difference.Insufficient {
		t.Errorf("outcomes: %+v", out)
	}
	f.get(t, "rep", "/api/v1/specials/outcomes?min_n=1", &out)
	if out.MinN != 1 {
		t.Errorf("outcomes with min_n=1: %+v", out.MinN)
	}
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/specials/outcomes?min_n=0", want: http.StatusBadRequest, badRequest: true})

	// The timeline.
	var tl SpecialTimeline
	f.get(t, "rep", path+"/history", &tl)
	var changes []string
	for _, e := range tl.Versions {
		changes = append(changes, e.Change)
	}
	if want := []string{"filed", "scored", "scored", "estimated", "linked", "moved", "moved", "moved", "moved", "moved", "moved"}; !slices.Equal(changes, want) {
		t.Errorf("timeline changes %v, want %v", changes, want)
	}
	if len(tl.Versions) == 11 {
		if e := tl.Versions[8]; e.Accept == nil || e.Record == nil || e.Record.To != tandem.StepSimplestSlice || e.Author != "admin@x.io" {
			t.Errorf("acceptance on the timeline: %+v", e)
		}
		if e := tl.Versions[6]; e.Record == nil || !e.Record.Skipped || e.Record.SkipReason == "" {
			t.Errorf("skip on the timeline: %+v", e)
		}
	}
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/specials/sp-nope/history", want: http.StatusNotFound})

	// Text is stored as typed (the pages escape it) and a file's name
	// loses its directories and control characters.
	evil := specialForm(t, specialPart{field: "special", data: []byte(`{"deal_id":"` + f.deal + `","title":"<script>alert(1)</script>","ask":"<b>x</b>","problem":"<img src=x onerror=alert(1)>"}`)},
		specialPart{field: "file", name: `..\\secret\\re` + "\t" + `port.txt`, contentType: "", data: []byte("a report")})
	e := view(f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/specials", body: evil, contentType: multi, want: http.StatusCreated}))
	if e.Title != "<script>alert(1)</script>" || len(e.Evidence) != 1 || e.Evidence[0].Name != "report.txt" || e.Evidence[0].ContentType != "text/plain" {
		t.Errorf("filed as typed: %q %+v", e.Title, e.Evidence)
	}

	if t.Failed() {
		return
	}
	doc := loadOpenAPI(t)
	for _, p := range slices.Sorted(maps.Keys(doc.Paths.Map())) {
		if !isSpecialPath(p) {
			continue
		}
		for method := range doc.Paths.Value(p).Operations() {
			if !f.covered[method+" "+p] {
				t.Errorf("no request exercised %s %s", method, p)
			}
		}
	}
}

// TestSpecialsUploadLimits checks the shared reading of evidence files:
// names cleaned, types from the extension, and the count and total
// limits.
func TestSpecialsUploadLimits(t *testing.T) {
	for _, c := range []struct{ name, ctype, wantName, wantType string }{
		{"a.pdf", "application/pdf", "a.pdf", "application/pdf"},
		{"C:\\Users\\me\\notes.TXT", "application/octet-stream", "notes.TXT", "text/plain"},
		{"../../etc/passwd", "", "passwd", ""},
		{"bad\nname\x00.csv", "", "badname.csv", "text/csv"},
		{"", "text/plain", "file-3", "text/plain"},
		{strings.Repeat("é", 300) + ".txt", "text/plain; charset=utf-8", strings.Repeat("é", 200), "text/plain"},
	} {
		got := EvidenceFile(2, c.name, c.ctype, nil)
		if got.Name != c.wantName || got.ContentType != c.wantType {
			t.Errorf("EvidenceFile(%q, %q) = %q %q, want %q %q", c.name, c.ctype, got.Name, got.ContentType, c.wantName, c.wantType)
		}
	}
	if err := CheckSpecialFiles(MaxSpecialFiles, MaxSpecialUpload); err != nil {
		t.Errorf("at the limits: %v", err)
	}
	if err := CheckSpecialFiles(MaxSpecialFiles+1, 0); tandem.ErrorCode(err) != tandem.EINVALID {
		t.Errorf("too many files: %v", err)
	}
	if err := CheckSpecialFiles(1, MaxSpecialUpload+1); tandem.ErrorCode(err) != tandem.ETOOLARGE {
		t.Errorf("too many bytes: %v", err)
	}
	if err := CheckQuarter("quarter", "2026-Q5"); err == nil || !strings.HasPrefix(tandem.ErrorMessage(err), "quarter:") {
		t.Errorf("bad quarter: %v", err)
	}
	if _, err := MoveAction("action", " "); err == nil || !strings.Contains(tandem.ErrorMessage(err), "one-off") {
		t.Errorf("no action: %v", err)
	}
}
