package intel

import (
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

var catalog = []tandem.Competitor{
	{ID: "northwind-crm", Name: "Northwind CRM", Aliases: []string{"Northwind", "NW"}},
	{ID: "globex", Name: "Globex Revenue"},
}

func TestMatcher(t *testing.T) {
	m := NewMatcher(catalog)
	tests := []struct {
		name string
		want string
	}{
		{"Northwind CRM", "northwind-crm"},
		{"northwind-crm", "northwind-crm"},
		{" NorthwindCRM ", "northwind-crm"},
		{"nw", "northwind-crm"},
		{"globex revenue", "globex"},
		{"Globex", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, ok := m.Match(tt.name)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("Match(%q) = %q %v, want %q", tt.name, got, ok, tt.want)
		}
	}
	if got := m.MatchAll([]string{"NW", "Initech", "Globex Revenue", "Northwind"}); !slices.Equal(got, []string{"northwind-crm", "globex"}) {
		t.Errorf("MatchAll = %v", got)
	}
}

func TestValidateCompetitor(t *testing.T) {
	tests := []struct {
		name string
		c    tandem.Competitor
		code string
		msg  string
	}{
		{"new", tandem.Competitor{ID: "initech", Name: "Initech"}, "", ""},
		{"itself", tandem.Competitor{ID: "northwind-crm", Name: "Northwind CRM", Aliases: []string{"NW"}}, "", ""},
		{"no name", tandem.Competitor{ID: "x"}, tandem.EINVALID, "needs a name"},
		{"punctuation only", tandem.Competitor{ID: "", Name: "!!"}, tandem.EINVALID, "letters or digits"},
		{"bad website", tandem.Competitor{ID: "i", Name: "I", Website: "javascript:alert(1)"}, tandem.EINVALID, "https://"},
		{"name taken", tandem.Competitor{ID: "nw2", Name: "northwind crm"}, tandem.ECONFLICT, `"northwind crm" is already the name of competitor northwind-crm`},
		{"alias taken", tandem.Competitor{ID: "nw2", Name: "NW2", Aliases: []string{"n.w."}}, tandem.ECONFLICT, `an alias ("NW") of competitor northwind-crm`},
		{"name is another's alias", tandem.Competitor{ID: "northwind", Name: "Northwind"}, tandem.ECONFLICT, "alias"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ValidateCompetitor(NormalizeCompetitor(tt.c), catalog)
			if tandem.ErrorCode(err) != tt.code || (tt.msg != "" && !strings.Contains(tandem.ErrorMessage(err), tt.msg)) {
				t.Errorf("ValidateCompetitor = %v, want %s containing %q", err, tt.code, tt.msg)
			}
		})
	}
	c := NormalizeCompetitor(tandem.Competitor{ID: " a ", Name: " Acme ", Aliases: []string{"acme", " ", "ACME Inc", "acme-inc", "Roadrunner"}})
	if c.ID != "a" || c.Name != "Acme" || !slices.Equal(c.Aliases, []string{"ACME Inc", "Roadrunner"}) {
		t.Errorf("NormalizeCompetitor = %+v", c)
	}
}

func TestPropose(t *testing.T) {
	names := map[string]int{"Northwind CRM": 10, "Initech Suite": 3, "initech-suite": 5, "InitechSuite": 1, "  ": 4, "Hooli": 2}
	got := Propose(catalog, names)
	want := []Proposal{
		{Name: "Northwind CRM", Deals: 10, Existing: "northwind-crm"},
		{Name: "initech-suite", Variants: []string{"Initech Suite", "InitechSuite"}, Deals: 9},
		{Name: "Hooli", Deals: 2},
	}
	if len(got) != len(want) {
		t.Fatalf("Propose = %+v", got)
	}
	for i := range want {
		if got[i].Name != want[i].Name || got[i].Deals != want[i].Deals || got[i].Existing != want[i].Existing || !slices.Equal(got[i].Variants, want[i].Variants) {
			t.Errorf("proposal %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

func TestMentions(t *testing.T) {
	deals := []Deal{
		{ID: "D1", Name: "Big", Outcome: "won", Rep: "R1", Created: day("2025-01-10"), Closed: day("2025-03-01"), Competitors: []string{"Northwind", "NW", "Unknown"}},
		{ID: "D2", Outcome: "open", Rep: "R2", Created: day("2025-04-01"), Competitors: []string{"Globex Revenue"}},
	}
	items := []tandem.Feedback{
		// Detected at intake, but its text does not say it (an alias since removed): kept.
		{ID: "F1", Source: tandem.SourceAPI, Text: "they compared us", Competitors: []string{"globex"}, ReceivedAt: day("2025-02-01"), RepID: "R1"},
		// Not detected at intake; the current catalog finds it.
		{ID: "F2", Source: tandem.SourceEmail, Title: "Lost to NW?", Text: "pricing", ReceivedAt: day("2025-05-01")},
		{ID: "F3", Source: tandem.SourceSlack, Text: "northwind crm is cheaper and Globex Revenue too", ReceivedAt: day("2025-05-02")},
		// A competitor since deleted from the catalog is not a mention.
		{ID: "F4", Source: tandem.SourceWeb, Text: "hello", Competitors: []string{"gone"}, ReceivedAt: day("2025-05-03")},
	}
	ms := Mentions(catalog, deals, items)
	var got []string
	for _, m := range ms {
		got = append(got, m.Competitor+"@"+m.Source+":"+m.Ref+":"+m.Date.Format(time.DateOnly))
	}
	want := []string{
		"globex@slack:F3:2025-05-02", "northwind-crm@slack:F3:2025-05-02",
		"northwind-crm@email:F2:2025-05-01",
		"globex@deal:D2:2025-04-01",
		"northwind-crm@deal:D1:2025-03-01",
		"globex@feedback:F1:2025-02-01",
	}
	if !slices.Equal(got, want) {
		t.Errorf("Mentions =\n%v\nwant\n%v", got, want)
	}
	counts := CountMentions(ms)
	if c := counts["northwind-crm"]; c != (MentionCounts{Deal: 1, Email: 1, Slack: 1, Total: 3}) {
		t.Errorf("northwind counts = %+v", c)
	}
	if c := counts["globex"]; c != (MentionCounts{Deal: 1, Feedback: 1, Slack: 1, Total: 3}) {
		t.Errorf("globex counts = %+v", c)
	}
	if l := Latest(ms, "northwind-crm", 2); len(l) != 2 || l[0].Ref != "F3" || l[1].Ref != "F2" {
		t.Errorf("Latest = %+v", l)
	}
	if l := Latest(ms, "nobody", 5); l == nil || len(l) != 0 {
		t.Errorf("Latest of none = %#v, want empty non-nil", l)
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestWinRate(t *testing.T) {
	tests := []struct {
		name         string
		won, lost    int
		min          int
		value, lo    float64
		hi           float64
		insufficient bool
		text         string
	}{
		{"typical", 12, 28, 30, 0.3, 0.18074845229746528, 0.4543001881814493, false, "30.0% [18.1%, 45.4%] n=40 (12 won, 28 lost)"},
		{"under the minimum", 12, 28, 41, 0.3, 0.18074845229746528, 0.4543001881814493, true, "insufficient data (n=40)"},
		{"default minimum", 5, 5, 0, 0.5, 0, 0, true, "insufficient data (n=10)"},
		{"none", 0, 0, 30, 0, 0, 0, true, "insufficient data (n=0)"},
		{"all won", 30, 0, 30, 1, 0.8864866068260313, 1, false, "100.0% [88.6%, 100.0%] n=30 (30 won, 0 lost)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := WinRate(tt.won, tt.lost, Options{MinSample: tt.min})
			if r.N != tt.won+tt.lost || r.Insufficient != tt.insufficient || !near(r.Value, tt.value) {
				t.Errorf("WinRate = %+v", r)
			}
			if tt.lo != 0 && (math.Abs(r.CILow-tt.lo) > 1e-6 || math.Abs(r.CIHigh-tt.hi) > 1e-6) {
				t.Errorf("interval = [%v, %v], want [%v, %v]", r.CILow, r.CIHigh, tt.lo, tt.hi)
			}
			if r.Text() != tt.text {
				t.Errorf("Text = %q, want %q", r.Text(), tt.text)
			}
		})
	}
}

func TestDiff(t *testing.T) {
	o := DefaultOptions()
	d := Diff(WinRate(12, 28, o), WinRate(30, 30, o), o)
	if !near(d.Value, -0.2) || math.Abs(d.CILow+0.37106693036636973) > 1e-9 || math.Abs(d.CIHigh+0.002892133316924339) > 1e-9 || d.Insufficient {
		t.Errorf("Diff = %+v", d)
	}
	txt := d.Text("Northwind")
	for _, want := range []string{"associated with", "20.0 pp lower", "-37.1 to -0.3 pp", "n=40 with, n=60 without", "excludes no difference"} {
		if !strings.Contains(txt, want) {
			t.Errorf("Text %q lacks %q", txt, want)
		}
	}
	small := Diff(WinRate(2, 3, o), WinRate(30, 30, o), o)
	if !small.Insufficient || !strings.Contains(small.Text("X"), "insufficient data") || !strings.Contains(small.Text("X"), "n=5 with") {
		t.Errorf("small Diff = %+v %q", small, small.Text("X"))
	}
	if none := Diff(WinRate(0, 0, o), WinRate(3, 3, o), o); !none.Insufficient || none.Value != 0 {
		t.Errorf("empty Diff = %+v", none)
	}
}

func TestWinRates(t *testing.T) {
	var deals []Deal
	add := func(n int, outcome, closed string, comps ...string) {
		for range n {
			deals = append(deals, Deal{ID: "D", Outcome: outcome, Closed: day(closed), Competitors: comps})
		}
	}
	add(10, "won", "2025-01-15", "Northwind")
	add(20, "lost", "2025-02-15", "northwind crm", "Globex Revenue")
	// 2025-Q2 has none: the trend keeps the quarter with n=0.
	add(5, "won", "2025-07-01", "NW")
	add(40, "won", "2025-08-01")
	add(25, "lost", "2025-08-01")
	add(7, "open", "2025-08-01", "Northwind") // open deals are not losses
	rs := WinRates(catalog, deals, Options{MinSample: 30})
	nw := rs["northwind-crm"]
	if nw.Against.Won != 15 || nw.Against.Lost != 20 || nw.Against.Insufficient {
		t.Errorf("against = %+v", nw.Against)
	}
	if nw.Without.Won != 40 || nw.Without.Lost != 25 || nw.Overall.N != 100 || nw.Overall.Won != 55 {
		t.Errorf("without %+v overall %+v", nw.Without, nw.Overall)
	}
	if !near(nw.Difference.Value, 15.0/35-40.0/65) || nw.Difference.Insufficient {
		t.Errorf("difference = %+v", nw.Difference)
	}
	var qs []string
	for _, q := range nw.Trend {
		qs = append(qs, q.Quarter+"="+q.Text())
	}
	want := []string{"2025-Q1=33.3% [19.2%, 51.2%] n=30 (10 won, 20 lost)", "2025-Q2=insufficient data (n=0)", "2025-Q3=insufficient data (n=5)"}
	if !slices.Equal(qs, want) {
		t.Errorf("trend = %v, want %v", qs, want)
	}
	if q := WinRates(catalog, deals, Options{MinSample: 31})["northwind-crm"].Trend[0]; !q.Insufficient || q.Won != 10 || q.Lost != 20 {
		t.Errorf("Q1 with min 31 = %+v", q)
	}
	gl := rs["globex"]
	if gl.Against.N != 20 || gl.Against.Won != 0 || !gl.Against.Insufficient || len(gl.Trend) != 1 || !gl.Difference.Insufficient {
		t.Errorf("globex = %+v", gl)
	}
	if rs := WinRates(catalog, nil, Options{}); rs["globex"].Trend == nil || rs["globex"].Overall.N != 0 {
		t.Errorf("no deals: %+v", rs["globex"])
	}
	// A stray close date decades off does not make thousands of quarters.
	stray := append(slices.Clone(deals), Deal{ID: "old", Outcome: "won", Closed: time.Date(1901, 2, 1, 0, 0, 0, 0, time.UTC), Competitors: []string{"Northwind CRM"}})
	if tr := WinRates(catalog, stray, Options{})["northwind-crm"].Trend; len(tr) != MaxTrend || tr[len(tr)-1].Quarter != "2025-Q3" {
		t.Errorf("trend with a stray date: %d quarters, last %+v", len(tr), tr[len(tr)-1])
	}
	// Quarters are UTC: 23:30 on 31 March in New York is in Q2.
	ny := time.FixedZone("EDT", -4*3600)
	one := []Deal{{ID: "x", Outcome: "won", Closed: time.Date(2025, 3, 31, 23, 30, 0, 0, ny), Competitors: []string{"Globex Revenue"}}}
	if tr := WinRates(catalog, one, Options{})["globex"].Trend; len(tr) != 1 || tr[0].Quarter != "2025-Q2" {
		t.Errorf("UTC quarter: %+v", tr)
	}
}

func TestBattlecards(t *testing.T) {
	a := tandem.Battlecard{Competitor: "nw", Summary: "old", Strengths: []string{"cheap", "fast"},
		Objections: []tandem.Objection{{Objection: "too pricey", Response: "TCO"}}}
	b := tandem.Battlecard{Competitor: "nw", Summary: "new", Strengths: []string{"cheap", "brand"},
		Objections: []tandem.Objection{{Objection: "too pricey", Response: "TCO over 3 years"}}, ProofPoints: []string{"Acme"}}
	got := DiffBattlecards(a, b)
	want := []Change{
		{Field: "summary", Before: "old", After: "new"},
		{Field: "strengths", Added: []string{"brand"}, Removed: []string{"fast"}},
		{Field: "objections", Added: []string{"too pricey → TCO over 3 years"}, Removed: []string{"too pricey → TCO"}},
		{Field: "proof_points", Added: []string{"Acme"}},
	}
	if len(got) != len(want) {
		t.Fatalf("DiffBattlecards = %+v", got)
	}
	for i := range want {
		if got[i].Field != want[i].Field || got[i].Before != want[i].Before || got[i].After != want[i].After ||
			!slices.Equal(got[i].Added, want[i].Added) || !slices.Equal(got[i].Removed, want[i].Removed) {
			t.Errorf("change %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if d := DiffBattlecards(a, a); d == nil || len(d) != 0 {
		t.Errorf("no change: %#v", d)
	}

	n := NormalizeBattlecard(tandem.Battlecard{Competitor: " nw ", Strengths: []string{" a ", ""}, Objections: []tandem.Objection{{}, {Objection: "x "}}})
	if n.Competitor != "nw" || !slices.Equal(n.Strengths, []string{"a"}) || len(n.Objections) != 1 {
		t.Errorf("Normalize = %+v", n)
	}
	err := ValidateBattlecard(n)
	if tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(err.Error(), "objections[0]: needs both") {
		t.Errorf("Validate = %v", err)
	}
	if err := ValidateBattlecard(tandem.Battlecard{}); !strings.Contains(fmtErr(err), "names its competitor") {
		t.Errorf("Validate empty = %v", err)
	}
	if err := ValidateBattlecard(b); err != nil {
		t.Errorf("Validate good = %v", err)
	}
}

func fmtErr(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestParseBattlecard(t *testing.T) {
	tests := []struct {
		name, file, data string
		ok               bool
		msg              string
	}{
		{"yaml", "nw.yaml", "summary: Cheaper, thinner\nstrengths: [price]\nobjections:\n  - objection: They are cheaper\n    response: Count onboarding\nproof_points: [Acme]\n", true, ""},
		{"json", "nw.JSON", `{"summary":"s","landmines":["ask about SSO"]}`, true, ""},
		{"unknown field", "nw.yaml", "sumary: x\n", false, `unknown field "sumary"`},
		{"unknown json field", "nw.json", `{"strenghts":[]}`, false, "unknown field"},
		{"wrong type", "nw.yaml", "strengths: 3\n", false, "cannot unmarshal"},
		{"not yaml", "nw.yml", "a: [b\n", false, "nw.yml"},
		{"empty", "nw.yaml", "", false, "empty"},
		{"two documents", "nw.yaml", "summary: a\n---\nsummary: b\n", false, "more than one"},
		{"repeated key", "nw.json", `{"summary":"a","summary":"b"}`, false, "appears twice"},
		{"alias", "nw.yaml", "strengths: &a [x]\nweaknesses: *a\n", false, "aliases"},
		{"non-string keys", "nw.yaml", "1: x\n", false, `unknown field "1"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := ParseBattlecard(tt.file, []byte(tt.data))
			if tt.ok != (err == nil) || (!tt.ok && (tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(err.Error(), tt.msg))) {
				t.Fatalf("ParseBattlecard = %+v, %v", b, err)
			}
			if tt.name == "yaml" && (b.Summary != "Cheaper, thinner" || len(b.Objections) != 1 || b.Objections[0].Response != "Count onboarding" || b.ProofPoints[0] != "Acme") {
				t.Errorf("yaml = %+v", b)
			}
		})
	}
}

func FuzzParseBattlecard(f *testing.F) {
	f.Add("b.yaml", []byte("summary: s\nstrengths: [a, b]\n"))
	f.Add("b.json", []byte(`{"objections":[{"objection":"o","response":"r"}]}`))
	f.Add("b.yaml", []byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, name string, data []byte) {
		b, err := ParseBattlecard(name, data)
		if err != nil {
			if tandem.ErrorCode(err) != tandem.EINVALID {
				t.Fatalf("error %v is not EINVALID", err)
			}
			return
		}
		if n := NormalizeBattlecard(b); len(DiffBattlecards(n, b)) != 0 {
			t.Fatalf("ParseBattlecard result is not normalized: %+v", b)
		}
	})
}

func TestParseMonth(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"2026-02", "2026-02-01"},
		{" 2026-12 ", "2026-12-01"},
		{"2026-13", ""},
		{"2026-2", ""},
		{"2026-02-01", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := ParseMonth(tt.in)
		if tt.want == "" {
			if tandem.ErrorCode(err) != tandem.EINVALID {
				t.Errorf("ParseMonth(%q) = %v, %v; want EINVALID", tt.in, got, err)
			}
			continue
		}
		if err != nil || got.Format(time.DateOnly) != tt.want {
			t.Errorf("ParseMonth(%q) = %v, %v", tt.in, got, err)
		}
	}
}

func FuzzParseMonth(f *testing.F) {
	for _, s := range []string{"2026-02", "0000-01", "2026-00", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseMonth(s)
		if err != nil {
			return
		}
		if m.Day() != 1 || m.Format("2006-01") != strings.TrimSpace(s) {
			t.Fatalf("ParseMonth(%q) = %v", s, m)
		}
	})
}

func TestQuota(t *testing.T) {
	reps := []Rep{{ID: "R1", Name: "Ada"}, {ID: "R2", Name: "Bo"}, {ID: "R3", Name: "Cy"}}
	at := func(s string) time.Time { return day(s).Add(10 * time.Hour) }
	items := []tandem.Feedback{
		{ID: "1", Kind: tandem.KindIntel, RepID: "R1", Text: "x", ReceivedAt: at("2026-02-01")},
		{ID: "2", Kind: tandem.KindIntel, RepID: "R1", Text: "x", ReceivedAt: at("2026-02-28")},
		{ID: "3", Kind: tandem.KindFeedback, RepID: "R2", Text: "Northwind is cheaper", ReceivedAt: at("2026-02-10")}, // mentions a competitor
		{ID: "4", Kind: tandem.KindFeedback, RepID: "R3", Text: "exports please", ReceivedAt: at("2026-02-10")},       // not intel
		{ID: "5", Kind: tandem.KindIntel, RepID: "R3", Text: "x", ReceivedAt: at("2026-03-01")},                       // next month
		{ID: "6", Kind: tandem.KindIntel, Text: "x", ReceivedAt: at("2026-02-03")},                                    // no rep
		{ID: "7", Kind: tandem.KindIntel, RepID: "R9", Text: "x", ReceivedAt: at("2026-02-03")},                       // not in reps
	}
	month, _ := ParseMonth("2026-02")
	q := Quota(month, 2, reps, items, catalog)
	row := func(rs []QuotaRow) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.RepID+"="+strings.Repeat("|", r.Items)+"-"+strings.Repeat("|", r.Missing))
		}
		return out
	}
	if got := row(q.Leaderboard); !slices.Equal(got, []string{"R1=||-", "R2=|-|", "R9=|-|"}) {
		t.Errorf("leaderboard = %v", got)
	}
	if got := row(q.Below); !slices.Equal(got, []string{"R3=-||", "R2=|-|", "R9=|-|"}) {
		t.Errorf("below = %v", got)
	}
	if q.Month != "2026-02" || q.Items != 5 || q.Unattributed != 1 || q.Reps != 4 || q.Quota != 2 {
		t.Errorf("report = %+v", q)
	}
	if e := Quota(month, 1, nil, nil, nil); e.Leaderboard == nil || e.Below == nil {
		t.Errorf("empty report has nil lists: %+v", e)
	}
}
