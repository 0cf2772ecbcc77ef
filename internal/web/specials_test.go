package web

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
)

// specialPagePerms lists the specials pages and the permission each needs.
var specialPagePerms = map[string]auth.Perm{
	"GET /specials":                auth.PermPipelineRead,
	"GET /specials/new":            auth.PermSpecialsFile,
	"POST /specials":               auth.PermSpecialsFile,
	"GET /specials/matrix":         auth.PermPipelineRead,
	"GET /specials/capacity":       auth.PermPipelineRead,
	"GET /specials/outcomes":       auth.PermPipelineRead,
	"GET /specials/settings":       auth.PermSpecialsAdmin,
	"POST /specials/settings":      auth.PermSpecialsAdmin,
	"GET /specials/{id}":           auth.PermPipelineRead,
	"POST /specials/{id}/score":    auth.PermSpecialsAdmin,
	"POST /specials/{id}/estimate": auth.PermSpecialsAdmin,
	"POST /specials/{id}/links":    auth.PermSpecialsAdmin,
	"POST /specials/{id}/moves":    auth.PermSpecialsFile,
}

// spFile is an evidence file of the intake form.
type spFile struct{ name, ctype, data string }

// specialForm is the intake form as a browser sends it: multipart, with
// the CSRF field and files under "files" with their content types.
func specialForm(t *testing.T, fields url.Values, files ...spFile) reqBody {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, vs := range fields {
		for _, v := range vs {
			_ = w.WriteField(k, v)
		}
	}
	_ = w.WriteField("csrf", "csrf-token")
	for _, f := range files {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="files"; filename="`+f.name+`"`)
		h.Set("Content-Type", f.ctype)
		pw, err := w.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = pw.Write([]byte(f.data))
	}
	_ = w.Close()
	return reqBody{raw: b.Bytes(), ctype: w.FormDataContentType()}
}

// fileSpecial posts the intake form and returns the response.
func (f *fixture) fileSpecial(t *testing.T, p *auth.Principal, fields url.Values, status int, files ...spFile) (string, string) {
	t.Helper()
	w := f.do(t, p, "POST", "/specials", specialForm(t, fields, files...))
	if w.Code != status {
		t.Fatalf("file special: status %d, want %d:\n%.3000s", w.Code, status, w.Body.String())
	}
	if status == http.StatusSeeOther {
		return w.Header().Get("Location"), ""
	}
	checkPage(t, w.Body.String())
	return "", w.Body.String()
}

// TestSpecialsPages takes a special through its pages: filed by a rep
// from a deal with a file (injected text shown inert) and refused when
// incomplete, scored, estimated and moved by product through every step
// (refusals: a missing sign-off, a stale version, a rep's move, a role
// without the permission), then the board, matrix, capacity, outcomes and
// settings pages and the deal page's section.
func TestSpecialsPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true, true)
	sales, product, cs := f.users[tandem.RoleSales], f.users[tandem.RoleProduct], f.users[tandem.RoleCS]

	// The deal page offers filing; the form is prefilled from it.
	f.page(t, sales, "GET", "/deals/dab", nil, 200, `id="deal-specials"`, `href="/specials/new?deal=dab"`, "No special filed for this deal.")
	if b := f.page(t, cs, "GET", "/deals/dab", nil, 200); strings.Contains(b, "deal-specials") {
		t.Error("a role that cannot file is offered the specials section of a deal without specials")
	}
	f.page(t, sales, "GET", "/specials/new?deal=dab", nil, 200, `value="dab"`, "Deal dab", `enctype="multipart/form-data"`, `name="csrf" value="csrf-token"`)
	f.page(t, cs, "GET", "/specials/new", nil, 403)

	// Refused: no title, a bad link and a disallowed file type; the form keeps what was typed.
	fields := url.Values{"deal": {"dab"}, "title": {" "}, "ask": {"Ask " + xss}, "problem": {"Problem"}, "links": {"ftp://x.example"}}
	_, body := f.fileSpecial(t, sales, fields, 400, spFile{"tool.exe", "application/x-msdownload", "MZ"})
	for _, want := range []string{"title: required", "is not an http(s) link", "tool.exe", "Ask &lt;script&gt;", "Choose again: tool.exe"} {
		if !strings.Contains(body, want) {
			t.Errorf("refused form lacks %q:\n%.3000s", want, body)
		}
	}
	many := make([]spFile, 21)
	for i := range many {
		many[i] = spFile{fmt.Sprintf("n%d.txt", i), "text/plain", "x"}
	}
	_, body = f.fileSpecial(t, sales, url.Values{"deal": {"dab"}, "title": {"T"}, "ask": {"A"}, "problem": {"P"}}, 400, many...)
	if !strings.Contains(body, "at most 20") {
		t.Errorf("too many files are not refused:\n%.2000s", body)
	}
	_, body = f.fileSpecial(t, sales, url.Values{"deal": {"nope"}, "title": {"T"}, "ask": {"A"}, "problem": {"P"}, "deadline": {"soon"}}, 400)
	if !strings.Contains(body, "deadline") {
		t.Errorf("a bad deadline is not named:\n%.2000s", body)
	}
	_, body = f.fileSpecial(t, sales, url.Values{"deal": {"nope"}, "title": {"T"}, "ask": {"A"}, "problem": {"P"}}, 400)
	if !strings.Contains(body, `no deal &#34;nope&#34;`) {
		t.Errorf("an unknown deal is not named:\n%.2000s", body)
	}

	// Filed, with a note, a link and a file.
	fields = url.Values{"deal": {"dab"}, "title": {"Audit export " + xss}, "ask": {"Export the audit log\nnightly " + sqt}, "problem": {"Compliance"},
		"asked_by": {"CISO"}, "notes": {"Call notes " + xss}, "links": {"https://example.com/thread"}, "others_asked": {"yes"}}
	loc, _ := f.fileSpecial(t, sales, fields, 303, spFile{"call.txt", "text/plain", "notes from the call"})
	if !strings.HasPrefix(loc, "/specials/sp-") || !strings.HasSuffix(loc, "?done=filed") {
		t.Fatalf("filed: redirected to %q", loc)
	}
	id := strings.TrimSuffix(strings.TrimPrefix(loc, "/specials/"), "?done=filed")
	body = f.page(t, sales, "GET", loc, nil, 200, "Special filed", "Audit export &lt;script&gt;alert(1)&lt;/script&gt;", "nightly &#39; OR 1=1 --",
		"Call notes &lt;script&gt;", `href="https://example.com/thread"`, `href="/api/v1/specials/`+id+`/evidence/`, "call.txt", "1. Talk to the rep",
		"Not scored yet.", `action="/specials/`+id+`/moves"`, `<option value="withdraw">`, "no step completed yet")
	if strings.Contains(body, `id="special-score"`) || strings.Contains(body, `value="advance"`) {
		t.Error("the filer without specials:admin is offered scoring or advancing")
	}
	if b := f.page(t, cs, "GET", loc, nil, 200); strings.Contains(b, `id="special-move"`) {
		t.Error("cs is offered the move form")
	}
	f.page(t, sales, "GET", "/specials/sp-nope", nil, 404)

	// Permission refusals: a rep may not advance, cs may not move, sales may not score.
	f.page(t, sales, "POST", "/specials/"+id+"/moves", url.Values{"version": {"1"}, "action": {"advance"}, "notes": {"n"}, "signed_by": {"product@example.com"}}, 403)
	f.page(t, cs, "POST", "/specials/"+id+"/moves", url.Values{"version": {"1"}, "action": {"withdraw"}, "notes": {"n"}}, 403)
	f.page(t, sales, "POST", "/specials/"+id+"/score", url.Values{"version": {"1"}, "icp_fit": {"8"}, "strategy_fit": {"7"}}, 403)

	// Product scores and estimates; bad input and a stale version are refused with the form kept.
	f.page(t, product, "GET", loc, nil, 200, `id="special-score"`, `id="special-estimate"`, `<option value="advance">`, `<option value="skip">`, `<datalist id="mv-users">`)
	f.page(t, product, "POST", "/specials/"+id+"/score", url.Values{"version": {"1"}, "icp_fit": {"11"}, "strategy_fit": {"7"}}, 400, "icp_fit must be between 0 and 10", `value="11"`)
	f.page(t, product, "POST", "/specials/"+id+"/score", url.Values{"version": {"1"}, "icp_fit": {"10"}, "strategy_fit": {"10"}}, 303)
	f.page(t, product, "POST", "/specials/"+id+"/estimate", url.Values{"version": {"1"}, "weeks": {"2"}}, 409, "is at version 2", `value="2"`)
	f.page(t, product, "POST", "/specials/"+id+"/estimate", url.Values{"version": {"2"}, "weeks": {"-1"}}, 400, "cannot be negative")
	f.page(t, product, "POST", "/specials/"+id+"/estimate", url.Values{"version": {"2"}, "weeks": {"2"}, "note": {"two sprints " + xss}}, 303)
	f.page(t, product, "GET", loc, nil, 200, "Recurring demand", "Score", "= mean of the four", "two sprints &lt;script&gt;", "Recommended:", "low effort, high alignment")
	f.page(t, product, "POST", "/specials/"+id+"/links", url.Values{"version": {"3"}, "feature": {"nope"}}, 400, `no feature &#34;nope&#34;`)
	f.page(t, product, "POST", "/specials/"+id+"/links", url.Values{"version": {"3"}, "feature": {"f1"}}, 303)

	// Moves through every step.
	mv := func(v, action string, extra url.Values, status int, has ...string) {
		t.Helper()
		form := url.Values{"version": {v}, "action": {action}}
		for k, x := range extra {
			form[k] = x
		}
		f.page(t, product, "POST", "/specials/"+id+"/moves", form, status, has...)
	}
	mv("4", "advance", url.Values{"notes": {"talked"}}, 400, "needs notes and a sign-off")
	mv("4", "accept", nil, 400, "cannot accept")
	mv("4", "advance", url.Values{"notes": {"Talked to the rep " + xss}, "signed_by": {"product@example.com"}}, 303)
	mv("5", "skip", url.Values{"skip_reason": {""}}, 400, "needs a recorded reason")
	mv("5", "skip", url.Values{"skip_reason": {"prospect unavailable"}}, 303)
	mv("6", "advance", url.Values{"notes": {"evidence holds"}, "signed_by": {"admin@example.com"}}, 303)
	body = f.page(t, product, "GET", loc, nil, 200, `id="mv-accept"`, `name="displace_item"`, "within the budget", `<option value="accept">`)
	if strings.Contains(body, `<option value="advance">`) {
		t.Error("find-workarounds offers advance")
	}
	mv("7", "accept", url.Values{"displace_item": {"Reporting revamp", ""}, "displace_weeks": {"x", ""}}, 400, "is not a number", `value="Reporting revamp"`)
	mv("7", "accept", url.Values{"notes": {"build the slice"}, "quarter": {"2026-Q2"}, "displace_item": {"Reporting revamp " + xss}, "displace_weeks": {"2"}}, 303)
	mv("8", "advance", url.Values{"notes": {"slice shipped"}, "signed_by": {"product@example.com"}}, 303)
	mv("9", "productize", url.Values{"notes": {"others want it"}}, 303)
	body = f.page(t, sales, "GET", loc, nil, 200, "productized", "Talked to the rep &lt;script&gt;", "skipped: prospect unavailable", "Accepted by product@example.com",
		"Reporting revamp &lt;script&gt;", "version 10", "6. Measure and productize")
	if n := strings.Count(body[strings.Index(body, `id="special-timeline"`):], "<tr><th scope=\"row\">"); n != 6 {
		t.Errorf("timeline has %d records, want 6", n)
	}
	if strings.Contains(body, `id="special-move"`) {
		t.Error("an ended special offers moves")
	}

	// A second special, open and placed on the matrix; the filer withdraws a third.
	loc2, _ := f.fileSpecial(t, product, url.Values{"deal": {"dac"}, "title": {"Bulk API"}, "ask": {"A bulk endpoint"}, "problem": {"Slow sync"}}, 303)
	id2 := strings.TrimSuffix(strings.TrimPrefix(loc2, "/specials/"), "?done=filed")
	f.page(t, product, "POST", "/specials/"+id2+"/score", url.Values{"version": {"1"}, "icp_fit": {"2"}, "strategy_fit": {"2"}, "adjusted": {"3"}, "reason": {"niche"}}, 303)
	f.page(t, product, "POST", "/specials/"+id2+"/estimate", url.Values{"version": {"2"}, "weeks": {"12"}}, 303)
	loc3, _ := f.fileSpecial(t, sales, url.Values{"deal": {"dad"}, "title": {"Never mind"}, "ask": {"x"}, "problem": {"y"}}, 303)
	id3 := strings.TrimSuffix(strings.TrimPrefix(loc3, "/specials/"), "?done=filed")
	f.page(t, sales, "POST", "/specials/"+id3+"/moves", url.Values{"version": {"1"}, "action": {"withdraw"}, "notes": {"deal lost interest"}}, 303)

	// The board, its filters, the matrix, capacity and outcomes.
	f.page(t, sales, "GET", "/specials", nil, 200, "1. Talk to the rep", "6. Measure and productize", "Ended", "Bulk API", "Audit export &lt;script&gt;", "withdrawn", "high effort, low alignment")
	if b := f.page(t, sales, "GET", "/specials?quadrant=high-effort-low-alignment", nil, 200, "Bulk API"); strings.Contains(b, "Never mind") {
		t.Error("the quadrant filter keeps an unscored special")
	}
	f.page(t, sales, "GET", "/specials?deal=dab&q="+url.QueryEscape("zz"+xss), nil, 200, "0 special(s) match", "&lt;script&gt;")
	f.page(t, sales, "GET", "/specials?quadrant=bogus", nil, 400)
	f.page(t, sales, "GET", "/specials/matrix", nil, 200, "<svg", `id="mx-effort-line"`, `href="/specials/`+id2+`"`, "Bulk API", "decline", "high effort, low alignment", "Every open special is placed.")
	// Matrix dots carry the title escaped in their SVG <title>; a special
	// missing only its estimate says so.
	loc4, _ := f.fileSpecial(t, product, url.Values{"deal": {"dac"}, "title": {"Dots " + xss}, "ask": {"a"}, "problem": {"p"}}, 303)
	id4 := strings.TrimSuffix(strings.TrimPrefix(loc4, "/specials/"), "?done=filed")
	f.page(t, product, "POST", "/specials/"+id4+"/score", url.Values{"version": {"1"}, "icp_fit": {"5"}, "strategy_fit": {"5"}}, 303)
	if b := f.page(t, sales, "GET", "/specials/matrix", nil, 200, "needs an effort estimate"); strings.Contains(b, "needs an alignment score") {
		t.Error("the matrix says a scored special needs a score")
	}
	f.page(t, product, "POST", "/specials/"+id4+"/estimate", url.Values{"version": {"2"}, "weeks": {"1"}}, 303)
	if b := f.page(t, sales, "GET", "/specials/matrix", nil, 200, "<title>Dots &lt;script&gt;"); strings.Contains(b, "<script>") {
		t.Error("the matrix shows a title unescaped")
	}
	f.page(t, sales, "GET", "/specials/capacity?quarter=2026-Q2", nil, 200, "Capacity budget, 2026-Q2", "Audit export &lt;script&gt;", "Reporting revamp &lt;script&gt;", "120", "18", "24")
	f.page(t, sales, "GET", "/specials/capacity?quarter=Q9", nil, 400, "YYYY-Qn")
	f.page(t, sales, "GET", "/specials/capacity", nil, 200, "Capacity budget, 2026-Q2")
	f.page(t, sales, "GET", "/specials/outcomes", nil, 200, "insufficient data", "n=", "Definitions", "associated with", "Audit export &lt;script&gt;")
	f.page(t, sales, "GET", "/specials/outcomes?min_n=1", nil, 200, "Comparable deals without")
	f.page(t, sales, "GET", "/specials/outcomes?min_n=x", nil, 400, "min_n")
	f.page(t, sales, "GET", "/deals/dab", nil, 200, `id="deal-specials"`, `href="/specials/`+id+`"`, "Audit export &lt;script&gt;")

	// Settings: refused whole with every problem, then applied.
	f.page(t, sales, "GET", "/specials/settings", nil, 403)
	f.page(t, product, "GET", "/specials/settings", nil, 200, `value="0.15"`, "defaults")
	f.page(t, product, "POST", "/specials/settings", url.Values{"version": {"0"}, "alignment_high": {"11"}, "effort_high_weeks": {"x"}, "capacity_weeks": {"120"},
		"budget_share": {"0.3"}, "warn_share": {"0.2"}, "quarters": {"2026-Q9 = 10\nbad line"}}, 400,
		"alignment_high must be more than 0", "effort_high_weeks: &#34;x&#34; is not a number", "budget_share (0.3) must not be above warn_share", "2026-Q9", "bad line", `value="11"`)
	f.page(t, product, "POST", "/specials/settings", url.Values{"version": {"0"}, "alignment_high": {"6"}, "effort_high_weeks": {"4"}, "capacity_weeks": {"100"},
		"budget_share": {"0.1"}, "warn_share": {"0.2"}, "leaders": {"nobody@example.com"}}, 400, "is not an active user")
	loc = f.page(t, product, "POST", "/specials/settings", url.Values{"version": {"0"}, "alignment_high": {"6"}, "effort_high_weeks": {"4"}, "capacity_weeks": {"100"},
		"budget_share": {"0.1"}, "warn_share": {"0.2"}, "quarters": {"2026-Q3 = 80"}}, 303)
	f.page(t, product, "GET", loc, nil, 200, "applied", "version 1", "2026-Q3 = 80")
	f.page(t, product, "POST", "/specials/settings", url.Values{"version": {"0"}, "alignment_high": {"6"}, "effort_high_weeks": {"4"}, "capacity_weeks": {"100"},
		"budget_share": {"0.1"}, "warn_share": {"0.2"}}, 409, "version 1")
}

// TestSpecialsLeader checks who the move form offers accepting to: the
// named leaders, or admins and product users when none are named.
func TestSpecialsLeader(t *testing.T) {
	p := func(email string, role tandem.Role) *auth.Principal {
		return &auth.Principal{User: tandem.User{Email: email, Role: role}}
	}
	named := tandem.SpecialSettings{Leaders: []string{"cpo@example.com"}}
	for _, c := range []struct {
		p    *auth.Principal
		set  tandem.SpecialSettings
		want bool
	}{
		{nil, tandem.SpecialSettings{}, false},
		{p("pm@example.com", tandem.RoleProduct), tandem.SpecialSettings{}, true},
		{p("admin@example.com", tandem.RoleAdmin), tandem.SpecialSettings{}, true},
		{p("ae@example.com", tandem.RoleSales), tandem.SpecialSettings{}, false},
		{p("pm@example.com", tandem.RoleProduct), named, false},
		{p("CPO@example.com", tandem.RoleSales), named, true},
	} {
		if got := specialLeader(c.p, c.set); got != c.want {
			t.Errorf("specialLeader(%v, %v) = %v", c.p, c.set.Leaders, got)
		}
	}
}
