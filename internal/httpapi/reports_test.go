package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
)

func TestReports(t *testing.T) { forEachDialect(t, testReports) }

// testReports checks that the API serves every report with the numbers the
// engine computes for the same parameters, and refuses bad parameters with
// the JSON error shape.
func testReports(t *testing.T, dialect string) {
	f := newFixture(t, dialect, nil)
	r := f.get(t, "/api/v1/reports")
	if r.status != http.StatusOK {
		t.Fatalf("GET /api/v1/reports: %d %s", r.status, r.body)
	}
	var list reportsResponse
	decodeStrict(t, r.body, &list)
	engine := analytics.New(f.store, f.cat, nil)
	if len(list.Reports) != len(engine.Reports()) {
		t.Errorf("listed %d reports, the engine has %d", len(list.Reports), len(engine.Reports()))
	}
	for _, info := range list.Reports {
		for _, q := range []url.Values{{"as-of": {"2025-01-01"}}, {"as-of": {"2025-01-01"}, "by": {"quarter"}, "min-n": {"1"}}} {
			path := "/api/v1/reports/" + info.Name + "?" + q.Encode()
			r := f.get(t, path)
			if r.status != http.StatusOK {
				t.Fatalf("GET %s: %d %s", path, r.status, r.body)
			}
			p, err := analytics.ParseParams(q)
			if err != nil {
				t.Fatal(err)
			}
			rep, err := engine.Run(t.Context(), info.Name, p)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := json.Marshal(rep)
			var got tandem.Report
			if err := json.Unmarshal(r.body, &got); err != nil {
				t.Fatalf("GET %s: %v", path, err)
			}
			again, _ := json.Marshal(&got)
			if !bytes.Equal(again, want) {
				t.Errorf("GET %s differs from the engine's report:\napi:    %.300s\nengine: %.300s", path, again, want)
			}
		}
	}
	checkError(t, f.get(t, "/api/v1/reports/nosuch"), http.StatusNotFound, tandem.ENOTFOUND, "no report")
	checkError(t, f.get(t, "/api/v1/reports/winrate?by=nosuch"), http.StatusBadRequest, tandem.EINVALID, "unknown field")
	checkError(t, f.get(t, "/api/v1/reports/winrate?from=yesterday"), http.StatusBadRequest, tandem.EINVALID, "YYYY-MM-DD")
	checkError(t, f.get(t, "/api/v1/reports/winrate?limit=3"), http.StatusBadRequest, tandem.EINVALID, "unknown report parameter")
}
