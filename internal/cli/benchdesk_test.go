package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
)

// TestBenchDesk runs `tandem bench desk` and `tandem bench http` at a tiny
// scale with the server in process: every phase runs, answers, and reports
// latencies in order, with no errors.
func TestBenchDesk(t *testing.T) {
	run := func(args ...string) []byte {
		var out, errOut bytes.Buffer
		if code := Main(context.Background(), append(args, "--json"), &out, &errOut, func(string) string { return "" }, Version{Version: "test"}); code != 0 {
			t.Fatalf("%v: exit %d: %s", args, code, errOut.String())
		}
		return out.Bytes()
	}
	var desk DeskBenchResult
	if err := json.Unmarshal(run("bench", "desk", "--deals", "2000", "--dir", t.TempDir(), "--duration", "400ms", "--rate", "100", "--concurrency", "2", "--in-process"), &desk); err != nil {
		t.Fatal(err)
	}
	if desk.Archetypes == 0 || desk.Quotes == 0 || len(desk.Phases) != 4 {
		t.Fatalf("desk bench: %d archetypes, %d quotes, %d phases", desk.Archetypes, desk.Quotes, len(desk.Phases))
	}
	for _, p := range desk.Phases {
		if p.Checks == 0 || p.Errors != 0 || p.P50ms > p.P99ms || p.P99ms > p.MaxMs {
			t.Errorf("phase %s: %+v", p.Name, p)
		}
	}
	if open := desk.Phases[3]; open.Target != 100 || open.Checks+open.Dropped < 30 {
		t.Errorf("open loop at 100/s for 0.4 s: %+v", open)
	}
	var hb HTTPBenchResult
	if err := json.Unmarshal(run("bench", "http", "--deals", "2000", "--dir", t.TempDir(), "--duration", "300ms", "--concurrency", "2", "--in-process"), &hb); err != nil {
		t.Fatal(err)
	}
	if hb.Baseline.Requests == 0 || hb.Baseline.Errors != 0 || len(hb.Endpoints) != 3 || hb.Mixed.Requests == 0 {
		t.Errorf("http bench: %+v", hb)
	}
	for _, e := range hb.Endpoints {
		if e.Requests == 0 || e.Errors != 0 || e.Ratio <= 0 {
			t.Errorf("endpoint %s: %+v", e.Name, e)
		}
	}
}
