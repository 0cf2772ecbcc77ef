package httpapi

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
	"github.com/tandemhq/tandem/internal/intel"
	"github.com/tandemhq/tandem/internal/service"
)

// TestIntelAPI walks competitive intelligence through HTTP, on every
// dialect: the catalog imported from deals, an entry added and edited
// (with a conflict and a duplicate name), a battlecard saved twice with a
// stale save refused, its versions, a deal's battlecards and the intel
// quota, with the permission refusals along the way. Every request and
// response is checked against the OpenAPI document, and every intel
// operation is exercised.
func TestIntelAPI(t *testing.T) { forEachDialect(t, testIntelAPI) }

func testIntelAPI(t *testing.T, dialect string) {
	f := newDeskFixture(t, dialect)
	const get, post, put = http.MethodGet, http.MethodPost, http.MethodPut

	// Import: a dry run stores nothing; a sales user may not import.
	var dry service.CompetitorImport
	decodeStrict(t, f.send(t, deskCall{as: "admin", method: post, path: "/api/v1/competitors/import-from-deals", body: `{}`, want: 200}).body, &dry)
	if len(dry.Proposals) < 2 || dry.Applied || len(dry.Created) != 0 {
		t.Fatalf("dry run: %+v", dry)
	}
	f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/competitors/import-from-deals", body: `{"apply":true}`, want: 403})
	f.send(t, deskCall{as: "admin", method: post, path: "/api/v1/competitors/import-from-deals", body: `{"apply":"yes"}`, want: 400, badRequest: true})

	// One entry by hand, then the rest from deals.
	first := dry.Proposals[0].Name
	var nw service.CompetitorEntry
	decodeStrict(t, f.send(t, deskCall{as: "product", method: post, path: "/api/v1/competitors",
		body: competitorRequest{Name: first, Aliases: []string{"NWX"}}, want: 201}).body, &nw)
	if nw.Version != 1 || nw.ID == "" || nw.UpdatedBy != "pm@x.io" {
		t.Fatalf("added: %+v", nw)
	}
	f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/competitors", body: competitorRequest{Name: "Acme"}, want: 403})
	checkError(t, f.send(t, deskCall{as: "admin", method: post, path: "/api/v1/competitors", body: competitorRequest{Name: "Other", Aliases: []string{"nwx"}}, want: 409}),
		409, tandem.ECONFLICT, `"nwx" is already an alias ("NWX") of competitor `+nw.ID)
	f.send(t, deskCall{as: "admin", method: post, path: "/api/v1/competitors", body: `{"aliases":["x"]}`, want: 400, badRequest: true})
	var imp service.CompetitorImport
	decodeStrict(t, f.send(t, deskCall{as: "admin", method: post, path: "/api/v1/competitors/import-from-deals", body: `{"apply":true}`, want: 200}).body, &imp)
	if !imp.Applied || len(imp.Created) != len(dry.Proposals)-1 {
		t.Fatalf("import: %+v", imp)
	}
	other := imp.Created[0]

	// Edit with optimistic locking.
	edit := competitorRequest{Name: nw.Name, Aliases: nw.Aliases, Website: "https://nw.example", Version: 2}
	path := "/api/v1/competitors/" + url.PathEscape(nw.ID)
	checkError(t, f.send(t, deskCall{as: "admin", method: put, path: path, body: edit, want: 409}), 409, tandem.ECONFLICT, "is at version 1")
	edit.Version = 1
	decodeStrict(t, f.send(t, deskCall{as: "admin", method: put, path: path, body: edit, want: 200}).body, &nw)
	if nw.Version != 2 || nw.Website != "https://nw.example" {
		t.Errorf("edited: %+v", nw)
	}
	f.send(t, deskCall{as: "admin", method: put, path: "/api/v1/competitors/nobody", body: competitorRequest{Name: "Nobody", Version: 1}, want: 404})
	f.send(t, deskCall{as: "admin", method: put, path: path, body: competitorRequest{ID: "else", Name: "X", Version: 2}, want: 400})

	// An intel item on the rep's deal names the other competitor.
	svc := service.New(f.store, f.cat, analytics.New(f.store, f.cat, nil), t.TempDir(), func() time.Time { return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) })
	if _, err := svc.SubmitFeedback(t.Context(), service.Actor{Name: "ae@x.io"}, tandem.Feedback{Source: tandem.SourceWeb, Kind: tandem.KindIntel,
		Author: "ae@x.io", DealID: f.deal, Text: "Their champion prefers " + other.Name + "."}, nil); err != nil {
		t.Fatal(err)
	}

	// Figures.
	var cat service.CompetitorCatalog
	f.get(t, "rep", "/api/v1/competitors", &cat)
	if len(cat.Competitors) != len(dry.Proposals) || cat.Overall.N == 0 || !strings.Contains(cat.Definition, "open deals are not losses") {
		t.Fatalf("catalog: %+v", cat)
	}
	f.get(t, "rep", "/api/v1/competitors?min_n=100000", &cat)
	for _, c := range cat.Competitors {
		if !c.WinRate.Insufficient {
			t.Errorf("%s: %+v sufficient under min_n=100000", c.ID, c.WinRate)
		}
	}
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/competitors?min_n=0", want: 400, badRequest: true})
	var det service.CompetitorDetail
	f.get(t, "other", "/api/v1/competitors/"+url.PathEscape(other.ID)+"?min_n=5", &det)
	if det.Mentions.Feedback != 1 || det.Mentions.Deal == 0 || len(det.Rates.Trend) == 0 || det.Battlecard != nil || det.Options.MinSample != 5 {
		t.Errorf("detail: mentions %+v, trend %d, battlecard %v", det.Mentions, len(det.Rates.Trend), det.Battlecard)
	}
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/competitors/nobody", want: 404})

	// Battlecards.
	bpath := "/api/v1/competitors/" + url.PathEscape(other.ID) + "/battlecard"
	f.send(t, deskCall{as: "rep", method: get, path: bpath, want: 404})
	var versions battlecardVersionsResponse
	f.get(t, "rep", bpath+"/versions", &versions)
	if versions.Versions == nil || len(versions.Versions) != 0 {
		t.Errorf("versions of no card: %+v", versions)
	}
	card := battlecardRequest{Battlecard: tandem.Battlecard{Summary: "Cheaper, thinner", Strengths: []string{"price"},
		Objections: []tandem.Objection{{Objection: "They are cheaper", Response: "Count onboarding"}}, Landmines: []string{"Ask about SSO"}}, Note: "first cut"}
	f.send(t, deskCall{as: "rep", method: put, path: bpath, body: card, want: 403})
	var v service.BattlecardVersion
	decodeStrict(t, f.send(t, deskCall{as: "product", method: put, path: bpath, body: card, want: 200}).body, &v)
	if v.Version != 1 || v.Battlecard.Competitor != other.ID || v.Author != "pm@x.io" {
		t.Fatalf("v1: %+v", v)
	}
	card.ProofPoints, card.Note = []string{"Acme cut onboarding to 3 weeks"}, ""
	checkError(t, f.send(t, deskCall{as: "admin", method: put, path: bpath, body: card, want: 409}), 409, tandem.ECONFLICT, "is at version 1")
	card.Version = 1
	decodeStrict(t, f.send(t, deskCall{as: "admin", method: put, path: bpath, body: card, want: 200}).body, &v)
	if v.Version != 2 || len(v.Changes) != 1 || v.Changes[0].Field != "proof_points" {
		t.Fatalf("v2: %+v", v)
	}
	f.send(t, deskCall{as: "admin", method: put, path: bpath, body: battlecardRequest{Version: 2, Battlecard: tandem.Battlecard{Competitor: "else"}}, want: 400})
	f.send(t, deskCall{as: "admin", method: put, path: bpath, body: `{"version":2,"objections":[{"objection":"x"}]}`, want: 400, badRequest: true})
	f.send(t, deskCall{as: "admin", method: put, path: "/api/v1/competitors/nobody/battlecard", body: card, want: 404})
	var v1, latest service.BattlecardVersion
	f.get(t, "rep", bpath+"?version=1", &v1)
	if v1.Version != 1 || len(v1.Battlecard.ProofPoints) != 0 || len(v1.Changes) != 4 {
		t.Errorf("version 1: %+v", v1)
	}
	f.get(t, "rep", bpath, &latest)
	if latest.Version != 2 {
		t.Errorf("latest: %+v", latest)
	}
	f.send(t, deskCall{as: "rep", method: get, path: bpath + "?version=3", want: 404})
	f.send(t, deskCall{as: "rep", method: get, path: bpath + "?version=x", want: 400, badRequest: true})
	f.get(t, "rep", bpath+"/versions", &versions)
	if len(versions.Versions) != 2 || versions.Versions[0].Version != 2 || versions.Versions[1].Note != "first cut" {
		t.Errorf("versions: %+v", versions)
	}
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/competitors/nobody/battlecard/versions", want: 404})

	// The deal's battlecards: the other competitor is on it by feedback.
	var dc dealBattlecardsResponse
	f.get(t, "rep", "/api/v1/deals/"+url.PathEscape(f.deal)+"/battlecards", &dc)
	i := slices.IndexFunc(dc.Battlecards, func(b service.DealBattlecard) bool { return b.Competitor.ID == other.ID })
	if dc.DealID != f.deal || i < 0 || dc.Battlecards[i].Battlecard == nil || dc.Battlecards[i].Battlecard.Version != 2 ||
		!slices.ContainsFunc(dc.Battlecards[i].Via, func(s string) bool { return strings.HasPrefix(s, "feedback:") }) {
		t.Errorf("deal battlecards: %+v", dc)
	}
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/deals/no-such-deal/battlecards", want: 404})

	// Quota: product people do not read per-rep figures.
	var q intel.QuotaReport
	f.get(t, "rep", "/api/v1/intel/quota?month=2026-03", &q)
	if q.Month != "2026-03" || q.Items != 1 || len(q.Leaderboard) != 1 || len(q.Below) != q.Reps-1 {
		t.Errorf("quota: %+v", q)
	}
	f.get(t, "admin", "/api/v1/intel/quota", &q)
	f.send(t, deskCall{as: "product", method: get, path: "/api/v1/intel/quota", want: 403})
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/intel/quota?month=2026-3", want: 400, badRequest: true})

	f.checkIntelCovered(t)
}

// checkIntelCovered fails the test for every intel operation of the
// document that no request exercised.
func (f *deskFixture) checkIntelCovered(t *testing.T) {
	t.Helper()
	if t.Failed() {
		return
	}
	doc := loadOpenAPI(t)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if slices.Contains(op.Tags, "intel") && !f.covered[method+" "+path] {
				t.Errorf("no request exercised %s %s", method, path)
			}
		}
	}
}
