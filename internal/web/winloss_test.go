package web

import (
	"net/url"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
)

// winlossPagePerms lists the win/loss and post-mortem pages and the
// permission each needs.
var winlossPagePerms = map[string]auth.Perm{
	"GET /winloss":             auth.PermPipelineRead,
	"POST /winloss/reasons":    auth.PermFeedbackWrite,
	"GET /winloss/taxonomy":    auth.PermPipelineRead,
	"POST /winloss/taxonomy":   auth.PermFeedbackAdmin,
	"GET /winloss/interviews":  auth.PermPipelineRead,
	"POST /winloss/interviews": auth.PermFeedbackWrite,
	"GET /postmortems":         auth.PermPipelineRead,
	"POST /postmortems":        auth.PermFeedbackAdmin,
	"GET /postmortems/{id}":    auth.PermPipelineRead,
	"POST /postmortems/{id}":   auth.PermFeedbackAdmin,
}

// winlossTaxonomy maps the seed's injected loss reason to "other" and
// names a feature in beta (f2) as addressing price and other.
const winlossTaxonomy = `reasons:
  - {code: price, label: Price, category: price, addressed_by: [f2]}
  - {code: timing, label: Timing, category: timing}
  - {code: other, label: Other, category: other, addressed_by: [f2]}
value_map:
  "' OR 1=1 --": other
`

// TestWinLossPages walks win/loss through its pages: the report with the
// roadmap check red (the seed's lost deals cite price, addressed by
// nothing, and an unmapped text), the taxonomy refused with its problems,
// saved and refused when stale, the check then green, an interview
// recorded, a post-mortem written, edited and refused when stale, and the
// overview's roadmap-check panel.
func TestWinLossPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true, true)
	admin, sales, product := f.users[tandem.RoleAdmin], f.users[tandem.RoleSales], f.users[tandem.RoleProduct]

	// The seed's lost deals of 2024-Q2 (four, closed in May) cite price
	// and the injected text.
	f.page(t, sales, "GET", "/winloss?date=2024-07-01", nil, 200, "Roadmap check: 2024-Q2", `<span class="badge badge-bad">red</span>`,
		"unmapped: &#39; OR 1=1 --", "insufficient data", "n = 15", "What reps say, what buyers say", "No deal has both")
	f.page(t, sales, "GET", "/winloss?by=competitor&outcome=lost&min_n=3", nil, 200, "&lt;script&gt;alert(1)&lt;/script&gt;", "Price")
	f.page(t, sales, "GET", "/winloss?by=quarter&outcome=won&from=2024-01-01&to=2024-12-31", nil, 200, "2024-Q1")
	f.page(t, sales, "GET", "/winloss?by=rep", nil, 400, "quarter, segment, competitor, product")
	f.page(t, sales, "GET", "/winloss?from=soon", nil, 400, "not a day")

	// The taxonomy.
	if b := f.page(t, sales, "GET", "/winloss/taxonomy", nil, 200, "Default taxonomy", "onboarding-risk"); strings.Contains(b, "Save as version") {
		t.Error("sales is offered the taxonomy editor")
	}
	f.page(t, admin, "GET", "/winloss/taxonomy", nil, 200, "Save as version 1", "value_map:")
	f.page(t, sales, "POST", "/winloss/taxonomy", url.Values{"version": {"0"}, "source": {winlossTaxonomy}}, 403)
	bad := "reasons:\n  - {code: price, label: Price, category: cost, addressed_by: [warp]}\nvalue_map: {x: nothing}\n"
	f.page(t, product, "POST", "/winloss/taxonomy", url.Values{"version": {"0"}, "source": {bad}}, 400,
		"3 problems", `category &#34;cost&#34;`, `&#34;warp&#34; is not in the feature catalog`, "target &#34;nothing&#34;", "addressed_by: [warp]")
	if loc := f.page(t, product, "POST", "/winloss/taxonomy", url.Values{"version": {"0"}, "source": {winlossTaxonomy}, "note": {"map the CRM"}}, 303); loc != "/winloss/taxonomy?done=taxonomy-saved" {
		t.Errorf("save went to %s", loc)
	}
	f.page(t, product, "POST", "/winloss/taxonomy", url.Values{"version": {"0"}, "source": {winlossTaxonomy}}, 409, "version 1")
	f.page(t, sales, "GET", "/winloss/taxonomy", nil, 200, "Version 1", "map the CRM", "&#39; OR 1=1 --")
	f.page(t, sales, "GET", "/winloss?date=2024-07-01", nil, 200, `<span class="badge badge-good">green</span>`, "addressed by Offline Mode (beta)")

	// An interview.
	f.page(t, sales, "GET", "/winloss/interviews", nil, 200, "No interviews recorded yet", "Record an interview")
	iv := url.Values{"deal": {"dac"}, "kind": {"interview"}, "date": {"2024-06-01"}, "code": {"price"}, "confidence": {"high"},
		"question": {"What decided it?", "", ""}, "answer": {"The price " + xss, "", ""}, "score": {"2", "", ""}}
	f.page(t, sales, "POST", "/winloss/interviews", iv, 400, "not closed", `value="The price &lt;script&gt;`)
	iv.Set("deal", "dab")
	f.page(t, sales, "POST", "/winloss/interviews", url.Values{"deal": {"dab"}, "question": {"Q"}, "score": {"9"}}, 400, "score 9")
	if loc := f.page(t, sales, "POST", "/winloss/interviews", iv, 303); loc != "/winloss/interviews?done=interview-saved" {
		t.Errorf("interview went to %s", loc)
	}
	f.page(t, sales, "GET", "/winloss/interviews?done=interview-saved", nil, 200, "Interview recorded", "What decided it?", "The price &lt;script&gt;", "Price (high)", "score 2/5")
	f.page(t, sales, "GET", "/winloss?outcome=lost", nil, 200, "Over the 1 of 15 lost deals")
	// "More rows" grows the form by three rows, keeps what was typed and
	// saves nothing.
	more := url.Values{"deal": {"dab"}, "question": {"Why us?", "", ""}, "answer": {"Support " + xss, "", ""}, "score": {"4", "", ""}, "more": {"1"}}
	if b := f.page(t, sales, "POST", "/winloss/interviews", more, 200, `id="iv-q5"`, `value="Why us?"`, `value="Support &lt;script&gt;`); strings.Contains(b, `id="iv-q6"`) || strings.Contains(b, "Interview recorded") {
		t.Error("more rows: not exactly six rows, or saved")
	}

	// A reason recorded from /winloss.
	f.page(t, sales, "GET", "/winloss", nil, 200, "Record a reason", `action="/winloss/reasons"`)
	reason := url.Values{"deal": {"dac"}, "code": {"timing"}, "source": {"rep"}, "confidence": {"high"}, "note": {"froze " + xss}}
	f.page(t, sales, "POST", "/winloss/reasons", reason, 400, "not closed", `value="dac"`, `value="froze &lt;script&gt;`)
	reason.Set("deal", "nope")
	f.page(t, sales, "POST", "/winloss/reasons", reason, 400, "no deal")
	reason.Set("deal", "dab")
	reason.Set("code", "weather")
	f.page(t, sales, "POST", "/winloss/reasons", reason, 400, "not in the taxonomy")
	reason.Set("code", "timing")
	if loc := f.page(t, sales, "POST", "/winloss/reasons", reason, 303); loc != "/winloss?done=reason-saved#record-reason" {
		t.Errorf("reason went to %s", loc)
	}
	f.page(t, sales, "GET", "/winloss?done=reason-saved", nil, 200, "Reason recorded.")

	// Post-mortems.
	f.page(t, product, "GET", "/postmortems", nil, 200, "None: every lost deal above 50,000", "No post-mortems yet", "Write a post-mortem")
	if b := f.page(t, sales, "GET", "/postmortems", nil, 200); strings.Contains(b, "Write a post-mortem") {
		t.Error("sales is offered the post-mortem form")
	}
	pm := url.Values{"subject": {"deal"}, "subject_id": {"dab"}, "cause": {"price", "differentiation"}, "summary": {"Lost on price " + xss},
		"evidence": {"/deals/dab\n"}, "actions": {"Bundle offer | pm@example.com | 2026-09-01\n"}, "date": {"2024-06-15"}}
	f.page(t, sales, "POST", "/postmortems", pm, 403)
	f.page(t, product, "POST", "/postmortems", url.Values{"subject": {"deal"}, "subject_id": {"daa"}, "cause": {"price"}}, 400, "not lost")
	f.page(t, product, "POST", "/postmortems", url.Values{"subject": {"deal"}, "subject_id": {"dab"}, "actions": {"x | | soon"}}, 400, "not a day")
	loc := f.page(t, product, "POST", "/postmortems", pm, 303)
	if !strings.HasPrefix(loc, "/postmortems/pm-") {
		t.Fatalf("post-mortem went to %s", loc)
	}
	f.page(t, product, "POST", "/postmortems", pm, 409, "already has post-mortem")
	f.page(t, product, "GET", loc, nil, 200, "Post-mortem saved", "Lost on price &lt;script&gt;", "Bundle offer", "differentiation", "Save as version 2",
		`name="version" value="1"`, `value="differentiation" checked`, "Bundle offer | pm@example.com | 2026-09-01</textarea>")
	vals := url.Values{"version": {"1"}, "cause": {"price"}, "summary": {"Lost on price"}, "date": {"2024-06-15"},
		"actions": {"Bundle offer | pm@example.com | 2026-09-01 | done"}}
	path := strings.TrimSuffix(loc, "?done=postmortem-saved")
	f.page(t, product, "POST", path, vals, 303)
	f.page(t, product, "POST", path, vals, 409, "at version 2")
	f.page(t, sales, "GET", path, nil, 200, `<span class="badge badge-good">done</span>`, "version 2")
	f.page(t, sales, "GET", "/postmortems", nil, 200, "2024-Q2", "n = 1", "0 of 1")
	f.page(t, sales, "GET", "/postmortems/pm-none", nil, 404)

	// The overview shows the roadmap check.
	f.page(t, sales, "GET", "/", nil, 200, "Roadmap check", `href="/winloss#roadmap-check"`)
}
