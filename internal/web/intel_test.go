package web

import (
	"net/url"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/service"
)

// intelPagePerms lists the intel pages and the permission each needs.
var intelPagePerms = map[string]auth.Perm{
	"GET /competitors":                  auth.PermPipelineRead,
	"POST /competitors":                 auth.PermFeedbackAdmin,
	"POST /competitors/import":          auth.PermFeedbackAdmin,
	"GET /competitors/{id}":             auth.PermPipelineRead,
	"POST /competitors/{id}":            auth.PermFeedbackAdmin,
	"POST /competitors/{id}/battlecard": auth.PermFeedbackAdmin,
	"GET /intel/quota":                  auth.PermPeopleRead,
}

// TestIntelPages walks competitive intelligence through its pages: the
// catalog filled from deals (an injected name stays inert), an entry
// added and refused as a duplicate, a battlecard written, refused when
// stale and revised, an old version shown, the deal page showing the
// card, and the intel quota.
func TestIntelPages(t *testing.T) {
	t.Parallel()
	f := newFixture(t, true, true)
	admin, sales, product := f.users[tandem.RoleAdmin], f.users[tandem.RoleSales], f.users[tandem.RoleProduct]

	f.page(t, admin, "GET", "/competitors", nil, 200, "The catalog is empty", "Add a competitor", `action="/competitors/import"`)
	if b := f.page(t, sales, "GET", "/competitors", nil, 200, "The catalog is empty"); strings.Contains(b, "Add a competitor") {
		t.Error("sales is offered the add form")
	}
	f.page(t, sales, "POST", "/competitors", url.Values{"name": {"Initech"}}, 403)
	f.page(t, admin, "POST", "/competitors/import", url.Values{}, 303)
	f.page(t, sales, "GET", "/competitors", nil, 200, "&lt;script&gt;alert(1)&lt;/script&gt;", "insufficient data (n=", "open deals are not losses", "Our overall win rate")
	f.page(t, sales, "GET", "/competitors?min_n=x", nil, 400, "min_n")

	loc := f.page(t, product, "POST", "/competitors", url.Values{"name": {"Initech"}, "aliases": {"IT Corp, Inity"}}, 303)
	if loc != "/competitors/initech?done=competitor-saved" {
		t.Fatalf("add went to %s", loc)
	}
	f.page(t, admin, "POST", "/competitors", url.Values{"name": {"initech"}, "website": {"https://x.example"}}, 409, "already exists", `value="https://x.example"`)
	f.page(t, admin, "POST", "/competitors", url.Values{"name": {"Other"}, "aliases": {"inity"}}, 409, "alias")
	f.page(t, sales, "GET", loc, nil, 200, "The competitor is saved", "Initech", "IT Corp, Inity", "No battlecard yet", "insufficient data (n=0)")
	f.page(t, admin, "GET", "/competitors/initech", nil, 200, "Edit the battlecard", "Save as version 1")
	f.page(t, admin, "GET", "/competitors/nope", nil, 404)
	f.page(t, admin, "GET", "/competitors/initech?version=2", nil, 404)

	card := url.Values{"version": {"0"}, "summary": {"Cheaper, thinner " + xss}, "strengths": {"price\n\nbrand "},
		"objection": {"They are cheaper", ""}, "response": {"Count onboarding", ""}, "landmines": {"Ask about SSO"}, "note": {"first cut"}}
	f.page(t, sales, "POST", "/competitors/initech/battlecard", card, 403)
	f.page(t, admin, "POST", "/competitors/initech/battlecard", card, 303)
	f.page(t, admin, "POST", "/competitors/initech/battlecard", card, 409, "at version 1", "Count onboarding")
	half := url.Values{"version": {"1"}, "objection": {"Only an objection"}, "response": {""}}
	f.page(t, admin, "POST", "/competitors/initech/battlecard", half, 400, "needs both the objection and the response", `value="Only an objection"`)
	card.Set("version", "1")
	card.Set("proof_points", "Acme went live in 3 weeks")
	card.Set("note", "")
	if loc := f.page(t, admin, "POST", "/competitors/initech/battlecard", card, 303); !strings.HasSuffix(loc, "#battlecard") {
		t.Errorf("save went to %s", loc)
	}
	f.page(t, sales, "GET", "/competitors/initech", nil, 200, "version 2", "Cheaper, thinner &lt;script&gt;", "Count onboarding", "Battlecard versions",
		"proof points &#43; Acme went live in 3 weeks", "“first cut”", "summary written")
	f.page(t, sales, "GET", "/competitors/initech?version=1", nil, 200, "not the latest")

	f.page(t, admin, "POST", "/competitors/initech", url.Values{"version": {"1"}, "name": {"Initech"}, "website": {"javascript:alert(1)"}}, 400, "https://")
	f.page(t, admin, "POST", "/competitors/initech", url.Values{"version": {"2"}, "name": {"Initech"}}, 409, "at version 1")
	f.page(t, admin, "POST", "/competitors/initech", url.Values{"version": {"1"}, "name": {"Initech"}, "aliases": {"IT Corp"}, "website": {"https://initech.example"}}, 303)

	// A rep's intel on a deal brings the card onto the deal page.
	if _, err := f.svc.SubmitFeedback(t.Context(), service.Actor{Name: "sales@example.com"}, tandem.Feedback{Source: tandem.SourceWeb, Kind: tandem.KindIntel,
		Author: "sales@example.com", RepID: "r1", DealID: "dab", Text: "The buyer met Initech last week."}, nil); err != nil {
		t.Fatal(err)
	}
	f.page(t, sales, "GET", "/deals/dab", nil, 200, `id="battlecards"`, "Initech", "mentioned in 1 feedback item", "Count onboarding", "Acme went live in 3 weeks",
		"No battlecard yet for &lt;script&gt;")
	// The mention lists the rep by name, not by id.
	if b := f.page(t, sales, "GET", "/competitors/initech", nil, 200, "<td>Rita &lt;script&gt;"); strings.Contains(b, "<td>r1</td>") {
		t.Error("the mention shows the rep id")
	}
	if b := f.page(t, sales, "GET", "/deals/daa", nil, 200); strings.Contains(b, `id="battlecards"`) {
		t.Error("a won deal with no competitor shows battlecards")
	}

	f.page(t, sales, "GET", "/intel/quota?month=2026-06", nil, 200, "Intel quota, 2026-06", "Leaderboard", "Below quota")
	f.page(t, admin, "GET", "/intel/quota", nil, 200, "Intel quota, 2026-06")
	f.page(t, sales, "GET", "/intel/quota?month=June", nil, 400, "YYYY-MM")
	f.page(t, product, "GET", "/intel/quota", nil, 403)
	if b := f.page(t, product, "GET", "/competitors", nil, 200); strings.Contains(b, `href="/intel/quota"`) {
		t.Error("product, who may not read the quota, is offered its link")
	}
	f.page(t, sales, "GET", "/competitors", nil, 200, `href="/intel/quota"`)
}
