package httpapi

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/service"
	"github.com/tandemhq/tandem/internal/winloss"
)

// isWinLossPath selects the operations of openapi_winloss.json.
func isWinLossPath(path string) bool {
	return strings.HasPrefix(path, "/api/v1/winloss/") || strings.HasPrefix(path, "/api/v1/postmortems") || strings.HasSuffix(path, "/reasons")
}

// TestWinLossAPI walks win/loss and post-mortems through HTTP alone, on
// every dialect: the taxonomy (default, refused, saved, a stale edit),
// reasons of a deal, an interview, the reports, and a post-mortem created
// and edited, with the refusals along the way. Every request and response
// is checked against the OpenAPI document, and every operation is
// exercised.
func TestWinLossAPI(t *testing.T) { forEachDialect(t, testWinLossAPI) }

func testWinLossAPI(t *testing.T, dialect string) {
	f := newDeskFixture(t, dialect)
	ctx := t.Context()
	const (
		get, post, put = http.MethodGet, http.MethodPost, http.MethodPut
	)
	first := func(outcome string) string {
		t.Helper()
		page, err := f.store.List(ctx, "deals", tandem.Query{Filters: []tandem.Filter{{Column: "outcome", Value: outcome}}, Limit: 1})
		if err != nil || len(page.Records) == 0 {
			t.Fatalf("a %s deal: %v", outcome, err)
		}
		return page.Records[0].ID()
	}
	lost, won := first("lost"), first("won")

	// The taxonomy.
	var tax service.TaxonomyView
	f.get(t, "rep", "/api/v1/winloss/taxonomy", &tax)
	if !tax.Default || tax.Version != 0 {
		t.Errorf("default taxonomy: %+v", tax)
	}
	valid := tandem.Taxonomy{Reasons: tax.Taxonomy.Reasons, ValueMap: map[string]string{"onboarding concerns": "onboarding-risk", "too pricey": "price"}}
	f.send(t, deskCall{as: "rep", method: put, path: "/api/v1/winloss/taxonomy", body: map[string]any{"version": 0, "taxonomy": valid}, want: http.StatusForbidden})
	r := f.send(t, deskCall{as: "product", method: put, path: "/api/v1/winloss/taxonomy", want: http.StatusBadRequest,
		body: map[string]any{"version": 0, "source": "reasons:\n  - {code: price, label: Price, category: cost}\n  - {code: price, label: P, category: price}\n"}})
	if !strings.Contains(string(r.body), "2 problems") {
		t.Errorf("refused taxonomy: %s", r.body)
	}
	f.send(t, deskCall{as: "product", method: put, path: "/api/v1/winloss/taxonomy", body: map[string]any{"version": 0}, want: http.StatusBadRequest})
	decodeStrict(t, f.send(t, deskCall{as: "product", method: put, path: "/api/v1/winloss/taxonomy", body: map[string]any{"version": 0, "taxonomy": valid, "note": "map CRM texts"}, want: http.StatusOK}).body, &tax)
	if tax.Version != 1 || tax.Default {
		t.Errorf("saved taxonomy: %+v", tax)
	}
	f.send(t, deskCall{as: "product", method: put, path: "/api/v1/winloss/taxonomy", body: map[string]any{"version": 0, "taxonomy": valid}, want: http.StatusConflict})

	// Reasons of a deal.
	var reasons service.DealReasonsView
	f.get(t, "rep", "/api/v1/deals/"+lost+"/reasons", &reasons)
	crm := len(reasons.Reasons)
	f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/deals/" + lost + "/reasons", want: http.StatusBadRequest,
		body: map[string]any{"reasons": []map[string]string{{"code": "weather", "source": "rep", "confidence": "high"}}}})
	f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/deals/no-such-deal/reasons", want: http.StatusNotFound,
		body: map[string]any{"reasons": []map[string]string{{"code": "price", "source": "rep", "confidence": "high"}}}})
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/deals/no-such-deal/reasons", want: http.StatusNotFound})
	f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/deals/" + f.deal + "/reasons", want: http.StatusBadRequest, // an open deal
		body: map[string]any{"reasons": []map[string]string{{"code": "price", "source": "rep", "confidence": "high"}}}})
	decodeStrict(t, f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/deals/" + lost + "/reasons", want: http.StatusOK,
		body: map[string]any{"reasons": []map[string]string{{"code": "timing", "source": "rep", "confidence": "medium", "note": "budget moved"}}}}).body, &reasons)
	if len(reasons.Reasons) != crm+1 || reasons.Version != 1 || reasons.Reasons[crm].By != "ae@x.io" {
		t.Errorf("after adding: %+v", reasons)
	}

	// An interview.
	f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/winloss/interviews", want: http.StatusBadRequest,
		body: map[string]any{"deal_id": f.deal, "interviewee": "CFO"}}) // an open deal
	var iv service.InterviewView
	decodeStrict(t, f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/winloss/interviews", want: http.StatusCreated,
		body: map[string]any{"deal_id": lost, "interviewee": "CFO", "date": "2026-02-10T00:00:00Z",
			"answers": []map[string]any{{"question": "What decided it?", "answer": "The price", "score": 2}},
			"reasons": []map[string]any{{"code": "price", "source": "interview", "confidence": "high"}}}}).body, &iv)
	if !strings.HasPrefix(iv.ID, "iv-") || iv.Version != 1 {
		t.Errorf("interview: %+v", iv)
	}
	var ivs interviewsResponse
	f.get(t, "other", "/api/v1/winloss/interviews?deal="+lost, &ivs)
	if len(ivs.Interviews) != 1 {
		t.Errorf("interviews of %s: %+v", lost, ivs)
	}
	f.get(t, "rep", "/api/v1/winloss/interviews", &ivs)
	var one service.InterviewView
	f.get(t, "rep", "/api/v1/winloss/interviews/"+iv.ID, &one)
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/winloss/interviews/iv-none", want: http.StatusNotFound})

	// Reports.
	for _, by := range []string{"quarter", "segment", "competitor", "product", ""} {
		var rep winloss.ReasonsReport
		f.get(t, "rep", "/api/v1/winloss/report?by="+by+"&from=2024-01-01&min_n=5", &rep)
		if rep.Deals == 0 || len(rep.Groups) == 0 {
			t.Errorf("report by %q: %d deals, %d groups", by, rep.Deals, len(rep.Groups))
		}
	}
	var wonRep winloss.ReasonsReport
	f.get(t, "rep", "/api/v1/winloss/report?outcome=won&source=rep", &wonRep)
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/winloss/report?by=rep", want: http.StatusBadRequest, badRequest: true})
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/winloss/report?from=yesterday", want: http.StatusBadRequest, badRequest: true})
	var gap winloss.GapReport
	f.get(t, "rep", "/api/v1/winloss/gap", &gap)
	if gap.Paired != 1 || len(gap.Rows) == 0 {
		t.Errorf("gap: %d paired, %d rows", gap.Paired, len(gap.Rows))
	}
	var check winloss.RoadmapReport
	f.get(t, "rep", "/api/v1/winloss/roadmap-check?date=2026-03-01", &check)
	if check.Quarter != "2025-Q4" || check.Status == "" {
		t.Errorf("roadmap check: %+v", check)
	}
	f.get(t, "rep", "/api/v1/winloss/roadmap-check", &check)
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/winloss/roadmap-check?date=soon", want: http.StatusBadRequest, badRequest: true})
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/winloss/gap?min_n=0", want: http.StatusBadRequest, badRequest: true})
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/winloss/gap?min_n=100001", want: http.StatusBadRequest, badRequest: true})
	f.get(t, "rep", "/api/v1/winloss/roadmap-check?date=2026-03-01&min_n=1", &check)
	if check.Insufficient {
		t.Errorf("roadmap check with a minimum of 1: %+v", check)
	}

	// Post-mortems.
	pm := map[string]any{"subject": "deal", "subject_id": lost, "causes": []string{"price", "differentiation"}, "summary": "priced out",
		"evidence": []string{"/deals/" + lost}, "actions": []map[string]any{{"what": "bundle offer", "owner": "pm@x.io", "due": "2026-04-01T00:00:00Z"}}}
	f.send(t, deskCall{as: "rep", method: post, path: "/api/v1/postmortems", body: pm, want: http.StatusForbidden})
	f.send(t, deskCall{as: "product", method: post, path: "/api/v1/postmortems", want: http.StatusBadRequest,
		body: map[string]any{"subject": "deal", "subject_id": won, "causes": []string{"price"}}})
	var saved service.PostmortemView
	decodeStrict(t, f.send(t, deskCall{as: "product", method: post, path: "/api/v1/postmortems", body: pm, want: http.StatusCreated}).body, &saved)
	f.send(t, deskCall{as: "product", method: post, path: "/api/v1/postmortems", body: pm, want: http.StatusConflict})
	var list postmortemsResponse
	f.get(t, "rep", "/api/v1/postmortems", &list)
	if len(list.Postmortems) != 1 || list.Postmortems[0].ID != saved.ID {
		t.Errorf("list: %+v", list)
	}
	var got service.PostmortemView
	f.get(t, "rep", "/api/v1/postmortems/"+saved.ID, &got)
	f.send(t, deskCall{as: "rep", method: get, path: "/api/v1/postmortems/pm-none", want: http.StatusNotFound})
	edit := saved.Postmortem
	edit.Actions[0].Done = true
	decodeStrict(t, f.send(t, deskCall{as: "admin", method: put, path: "/api/v1/postmortems/" + saved.ID, body: postmortemPut{Version: 1, Postmortem: edit}, want: http.StatusOK}).body, &got)
	if got.Version != 2 || !got.Actions[0].Done {
		t.Errorf("edited: %+v", got)
	}
	f.send(t, deskCall{as: "admin", method: put, path: "/api/v1/postmortems/" + saved.ID, body: postmortemPut{Version: 1, Postmortem: edit}, want: http.StatusConflict})
	f.send(t, deskCall{as: "admin", method: put, path: "/api/v1/postmortems/pm-none", body: postmortemPut{Version: 1, Postmortem: edit}, want: http.StatusNotFound})
	var report service.PostmortemReport
	f.get(t, "product", "/api/v1/postmortems/report", &report)
	if report.RootCauses.Total.N != 1 || report.MinAmount != 50000 {
		t.Errorf("report: %+v", report)
	}
	var salesReport service.PostmortemReport
	f.get(t, "rep", "/api/v1/postmortems/report?from=2020-01-01", &salesReport)
	for _, m := range salesReport.Missing {
		if m.Subject == winloss.SubjectAccount {
			t.Errorf("a churned account shown to a role without customers:read: %+v", m)
			break
		}
	}

	// Every win/loss operation was exercised.
	if t.Failed() {
		return
	}
	doc := loadOpenAPI(t)
	for _, path := range slices.Sorted(maps.Keys(doc.Paths.Map())) {
		if !isWinLossPath(path) {
			continue
		}
		for method := range doc.Paths.Value(path).Operations() {
			if !f.covered[method+" "+path] {
				t.Errorf("no request exercised %s %s", method, path)
			}
		}
	}
}
