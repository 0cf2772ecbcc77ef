package httpapi

import (
	"encoding/csv"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
	"github.com/tandemhq/tandem/internal/service"
)

// isThemePath reports whether an openapi.json path is a theme route.
func isThemePath(path string) bool {
	return strings.HasPrefix(path, "/api/v1/themes") || path == "/api/v1/feedback/{id}/split"
}

// TestThemesAPI walks themes through HTTP on every dialect: the list and
// a theme, a title and links saved with a stale edit refused, votes, a
// merge and a split by a product manager (refused for a rep), and the
// ranking as JSON and CSV, with and without customer data. Every request
// and response is checked against openapi.json, and every theme
// operation is exercised.
func TestThemesAPI(t *testing.T) { forEachDialect(t, testThemesAPI) }

func testThemesAPI(t *testing.T, dialect string) {
	f := newDeskFixture(t, dialect)
	ctx := t.Context()
	const get, post, put = http.MethodGet, http.MethodPost, http.MethodPut

	// Feedback lands through a second service over the same store, as
	// another process would file it.
	now := func() time.Time { return time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC) }
	intake := service.New(f.store, f.cat, analytics.New(f.store, f.cat, now), t.TempDir(), now)
	var ids []string
	for i, text := range []string{
		"Need single sign-on with Okta for our whole team",
		"Single sign-on with Okta for the whole team is needed",
		"We need single sign-on with Okta for our team",
		"Export of reports to CSV files is missing",
		"Export reports to CSV files, it is missing",
		"The mobile app crashes when the phone is offline",
	} {
		deal := ""
		if i == 0 {
			deal = f.deal
		}
		res, err := intake.SubmitFeedback(ctx, service.Actor{Name: "test"}, tandem.Feedback{Text: text, DealID: deal,
			ReceivedAt: now().Add(time.Duration(i-10) * time.Minute)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.Item.ID)
	}
	sso, csvTheme := service.ThemeIDPrefix+ids[0], service.ThemeIDPrefix+ids[3]
	features, err := f.store.IDs(ctx, "features")
	if err != nil || len(features) == 0 {
		t.Fatalf("features: %v", err)
	}
	feature := slices.Sorted(maps.Keys(features))[0]
	accounts, err := f.store.List(ctx, "accounts", tandem.Query{Limit: 2})
	if err != nil || len(accounts.Records) < 2 {
		t.Fatalf("accounts: %v", err)
	}
	acct := accounts.Records[0].ID()

	var list service.ThemeList
	f.get(t, "rep", "/api/v1/themes", &list)
	if list.Total != 3 || list.Items != 6 || list.Themes[0].ID != sso || list.Themes[0].Items != 3 {
		t.Fatalf("themes = %+v", list)
	}
	f.get(t, "rep", "/api/v1/themes?q=okta&min_items=2&limit=10&offset=0", &list)
	if list.Total != 1 {
		t.Errorf("search: %+v", list)
	}
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/themes?limit=0", want: http.StatusBadRequest, badRequest: true})

	var det service.ThemeDetail
	f.get(t, "rep", "/api/v1/themes/"+sso, &det)
	if det.Theme.ID != sso || len(det.Items) != 3 || !det.Items[0].Anchor || det.Version != 0 {
		t.Fatalf("theme = %+v", det)
	}
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/themes/th-nope", want: http.StatusNotFound})

	// Title and links: feedback:admin, with the version the edit started
	// from.
	save := map[string]any{"version": 0, "title": "Okta SSO", "features": []string{feature}, "specials": []string{"SP-7"}}
	f.send(t, deskCall{as: "rep", method: put, path: "/api/v1/themes/" + sso, body: save, want: http.StatusForbidden})
	f.send(t, deskCall{as: "product", method: put, path: "/api/v1/themes/" + sso, body: save, want: http.StatusOK})
	f.send(t, deskCall{as: "product", method: put, path: "/api/v1/themes/" + sso, body: save, want: http.StatusConflict})
	f.send(t, deskCall{as: "product", method: put, path: "/api/v1/themes/" + sso,
		body: map[string]any{"version": 1, "features": []string{"no-such-feature"}}, want: http.StatusBadRequest})

	// Votes: feedback:write, which sales holds.
	f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/themes/" + sso + "/votes",
		body: map[string]any{"account_id": acct, "importance": "critical", "note": "blocks the renewal"}, want: http.StatusOK})
	f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/themes/" + csvTheme + "/votes",
		body: map[string]any{"account_id": accounts.Records[1].ID()}, want: http.StatusOK})
	f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/themes/" + sso + "/votes",
		body: map[string]any{"account_id": acct, "importance": "urgent"}, want: http.StatusBadRequest, badRequest: true})
	f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/themes/" + sso + "/votes",
		body: map[string]any{"account_id": "no-such-account"}, want: http.StatusBadRequest})

	// Merge and split: feedback:admin.
	merge := map[string]any{"from": csvTheme}
	f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/themes/" + sso + "/merge", body: merge, want: http.StatusForbidden})
	var sum service.ThemeSummary
	decodeStrict(t, f.send(t, deskCall{as: "product", method: post, path: "/api/v1/themes/" + sso + "/merge", body: merge, want: http.StatusOK}).body, &sum)
	if sum.ID != sso || sum.Items != 5 || sum.Votes != 2 || sum.Title != "Okta SSO" {
		t.Errorf("merged = %+v", sum)
	}
	f.send(t, deskCall{as: "product", method: post, path: "/api/v1/themes/" + sso + "/merge", body: merge, want: http.StatusBadRequest})
	f.get(t, "rep", "/api/v1/themes/"+csvTheme, &det)
	if det.Theme.ID != sso || len(det.Merged) != 1 || det.Counts.Total != 2 {
		t.Errorf("old id after merge: %+v", det)
	}
	split := "/api/v1/feedback/" + ids[2] + "/split"
	f.send(t, deskCall{as: "rep", method: post, path: split, want: http.StatusForbidden})
	decodeStrict(t, f.send(t, deskCall{as: "product", method: post, path: split, want: http.StatusOK}).body, &sum)
	if sum.ID != service.ThemeIDPrefix+ids[2] || sum.Items != 1 {
		t.Errorf("split = %+v", sum)
	}
	f.send(t, deskCall{as: "product", method: post, path: split, want: http.StatusBadRequest})
	f.send(t, deskCall{as: "product", method: post, path: "/api/v1/feedback/fb-nope/split", want: http.StatusNotFound})

	// The ranking: with ARR for roles reading customer data, without for
	// sales.
	var rk service.Ranking
	f.get(t, "admin", "/api/v1/themes/ranking", &rk)
	if rk.Total != 3 || len(rk.Rows) != 3 || rk.Rows[0].ARR == nil || rk.Definitions["arr"] == "" {
		t.Fatalf("ranking = %+v", rk)
	}
	rk = service.Ranking{} // a fresh value: decoding into old rows would keep their ARR
	f.get(t, "rep", "/api/v1/themes/ranking?sort=pipeline&limit=2&min_n=10", &rk)
	if len(rk.Rows) != 2 || rk.Sort != "pipeline" || rk.MinN != 10 {
		t.Errorf("ranking for sales = %+v", rk)
	}
	for _, r := range rk.Rows {
		if r.ARR != nil {
			t.Errorf("sales sees ARR of %s", r.Theme)
		}
	}
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/themes/ranking?sort=arr", want: http.StatusForbidden})
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/themes/ranking?sort=revenue", want: http.StatusBadRequest, badRequest: true})
	r := f.send(t, deskCall{as: "product", method: get, path: "/api/v1/themes/ranking?format=csv&sort=votes", want: http.StatusOK})
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("csv content type %q", ct)
	}
	recs, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
	if err != nil || len(recs) != 4 || !slices.Contains(recs[0], "arr") || recs[1][1] != sso {
		t.Errorf("csv = %q, %v", recs, err)
	}
	r = f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/themes/ranking?" + url.Values{"format": {"csv"}}.Encode(), want: http.StatusOK})
	if strings.Contains(strings.SplitN(string(r.body), "\n", 2)[0], "arr") {
		t.Errorf("sales' csv has ARR: %.200s", r.body)
	}

	if t.Failed() {
		return
	}
	doc := loadOpenAPI(t)
	for _, path := range slices.Sorted(maps.Keys(doc.Paths.Map())) {
		if !isThemePath(path) {
			continue
		}
		for method := range doc.Paths.Value(path).Operations() {
			if !f.covered[method+" "+path] {
				t.Errorf("no request exercised %s %s", method, path)
			}
		}
	}
}
