package winloss

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
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

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func testMapper() *Mapper {
	t := DefaultTaxonomy([]tandem.Competitor{{ID: "northwind", Name: "Northwind CRM"}})
	t.Reasons = append(t.Reasons, tandem.ReasonDef{Code: "missing-feature:sso", Label: "Missing SSO", Category: tandem.ReasonFeature, Feature: "sso"})
	return NewMapper(t)
}

func TestDefaultTaxonomyValid(t *testing.T) {
	tax := DefaultTaxonomy([]tandem.Competitor{{ID: "northwind", Name: "Northwind CRM"}, {ID: "globex"}})
	if err := Validate(tax, Known{Competitors: map[string]bool{"northwind": true, "globex": true}}); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, r := range tax.Reasons {
		got[r.Category] = true
	}
	for _, c := range Categories() {
		if !got[c] {
			t.Errorf("no default reason of category %s", c)
		}
	}
}

func TestValidateListsEveryProblem(t *testing.T) {
	tax := tandem.Taxonomy{
		Reasons: []tandem.ReasonDef{
			{Code: "price", Label: "Price", Category: tandem.ReasonPrice},
			{Code: "price", Label: "Price again", Category: tandem.ReasonPrice},                      // duplicate
			{Code: "no decision", Label: "x", Category: tandem.ReasonNoDecision},                     // bad character
			{Code: "late", Label: "", Category: "weather"},                                           // no label, unknown category
			{Code: "gap", Label: "Gap", Category: tandem.ReasonFeature, Feature: "nope"},             // unknown feature
			{Code: "Price", Label: "Upper", Category: tandem.ReasonPrice},                            // same after Normalize
			{Code: "fix", Label: "Fix", Category: tandem.ReasonOther, AddressedBy: []string{"gone"}}, // unknown feature
		},
		ValueMap: map[string]string{"too expensive": "pricey", "  ": "price", "Too_Expensive": "price"},
	}
	err := Validate(tax, Known{Features: map[string]bool{"sso": true}})
	if tandem.ErrorCode(err) != tandem.EINVALID {
		t.Fatalf("code %q, err %v", tandem.ErrorCode(err), err)
	}
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("%T is not a ValidationError", err)
	}
	want := []string{
		`reasons[1] (price): code "price" is already used by reasons[0]`,
		`reasons[2] (no decision): code "no decision" may hold only letters, digits and - : . _`,
		`reasons[3] (late): label is missing`,
		`reasons[3] (late): category "weather" is not one of`,
		`reasons[4] (gap): feature "nope" is not in the feature catalog`,
		`reasons[5] (Price): code "Price" reads the same as "price"`,
		`reasons[6] (fix): addressed_by feature "gone" is not in the feature catalog`,
		`value_map: an empty key (mapped to "price")`,
		`value_map "too expensive": reads the same as "Too_Expensive"`,
		`value_map "too expensive": target "pricey" is not a reason code`,
	}
	if len(ve.Problems) != len(want) {
		t.Errorf("%d problems, want %d:\n%s", len(ve.Problems), len(want), strings.Join(ve.Problems, "\n"))
	}
	for _, w := range want {
		if !slices.ContainsFunc(ve.Problems, func(p string) bool { return strings.HasPrefix(p, w) }) {
			t.Errorf("missing problem %q in:\n%s", w, strings.Join(ve.Problems, "\n"))
		}
	}
	if err := Validate(tandem.Taxonomy{}, Known{}); err == nil || !strings.Contains(err.Error(), "no reasons") {
		t.Errorf("empty taxonomy: %v", err)
	}
}

func TestMap(t *testing.T) {
	m := testMapper()
	for _, c := range []struct {
		text, code string
		ok         bool
	}{
		{"price", "price", true},
		{"  PRICE ", "price", true},
		{"No_Decision", "no-decision", true},
		{"no decision", "no-decision", true},
		{"onboarding concerns", "onboarding-risk", true}, // value map
		{"Onboarding   Concerns", "onboarding-risk", true},
		{"Onboarding risk", "onboarding-risk", true}, // label
		{"Lost to Northwind CRM", "competitor:northwind", true},
		{"competitor:northwind", "competitor:northwind", true},
		{"Missing SSO", "missing-feature:sso", true},
		{"missing feature", "missing-feature", true},
		{"the moon  was wrong", "unmapped: the moon was wrong", false},
		{"", "unmapped: ", false},
	} {
		code, ok := m.Map(c.text)
		if code != c.code || ok != c.ok {
			t.Errorf("Map(%q) = %q, %v; want %q, %v", c.text, code, ok, c.code, c.ok)
		}
	}
	// The value map wins over labels and codes.
	tax := tandem.Taxonomy{Reasons: []tandem.ReasonDef{{Code: "a", Label: "B", Category: "other"}, {Code: "b", Label: "A", Category: "other"}},
		ValueMap: map[string]string{"a": "b"}}
	if code, _ := NewMapper(tax).Map("A"); code != "b" {
		t.Errorf("value map did not win: %q", code)
	}
	if code, _ := NewMapper(tandem.Taxonomy{Reasons: tax.Reasons}).Map("A"); code != "a" {
		t.Errorf("code did not win over label: %q", code)
	}
}

func TestPairedDiff(t *testing.T) {
	// Expected limits computed by hand from the formula (Wilson limits,
	// corrected φ) and agreeing with Fagerland, Lydersen and Laake's
	// examples (Bentur 2009, Cavo 2012) to the four decimals they print.
	for _, c := range []struct {
		a, b, c, d int
		lo, hi     float64
	}{
		{1, 1, 7, 12, -0.5069202267, -0.0255591242},   // Bentur et al.
		{59, 6, 16, 80, -0.1186211956, -0.0046251139}, // Cavo et al.
		{3, 1, 0, 6, -0.1535261696, 0.3356710671},
		{12, 9, 2, 21, 0.0112425036, 0.2953717806},
		{0, 0, 0, 5, -0.4344824648, 0.4344824648},
		{2, 1, 1, 0, -0.5522170553, 0.5522170553},
		{0, 0, 1, 3, -0.6993581574, 0.2808272785},
	} {
		ci := PairedDiff(c.a, c.b, c.c, c.d, 0.95)
		if math.Abs(ci.Lo-c.lo) > 1e-9 || math.Abs(ci.Hi-c.hi) > 1e-9 {
			t.Errorf("PairedDiff(%d,%d,%d,%d) = [%.10f, %.10f], want [%.10f, %.10f]", c.a, c.b, c.c, c.d, ci.Lo, ci.Hi, c.lo, c.hi)
		}
		d := float64(c.b-c.c) / float64(c.a+c.b+c.c+c.d)
		if ci.Lo > d || ci.Hi < d || ci.Lo < -1 || ci.Hi > 1 {
			t.Errorf("PairedDiff(%d,%d,%d,%d) = %v does not hold %v within [-1, 1]", c.a, c.b, c.c, c.d, ci, d)
		}
	}
	for _, bad := range [][4]int{{0, 0, 0, 0}, {-1, 2, 2, 2}} {
		if ci := PairedDiff(bad[0], bad[1], bad[2], bad[3], 0.95); !math.IsNaN(ci.Lo) || !math.IsNaN(ci.Hi) {
			t.Errorf("PairedDiff(%v) = %v, want NaN", bad, ci)
		}
	}
}

// reasonDeals are the deals of the reasons tests: four lost (three in
// 2025-Q4, one in 2026-Q1), one won, one open.
func reasonDeals() []Deal {
	return []Deal{
		{ID: "d1", Outcome: "lost", Amount: 100, Closed: day("2025-11-10"), Segment: "SMB", Products: []string{"P1"}, Competitors: []string{"Northwind"}, Rep: []string{"price"}, Buyer: []string{"price"}},
		{ID: "d2", Outcome: "lost", Amount: 200, Closed: day("2025-12-01"), Segment: "SMB", Products: []string{"P1", "P2"}, Competitors: []string{"Northwind", "Globex"}, Rep: []string{"price", "timing"}, Buyer: []string{"competitor"}},
		{ID: "d3", Outcome: "lost", Amount: 300, Closed: day("2025-10-05"), Segment: "Enterprise", Products: []string{"P2"}, Rep: []string{"missing-feature"}},
		{ID: "d4", Outcome: "lost", Closed: day("2026-01-15"), Segment: "SMB", Products: []string{"P1"}, Competitors: []string{"Globex"}},
		{ID: "d5", Outcome: "won", Closed: day("2025-11-01"), Segment: "SMB", Rep: []string{"price", "price"}},
		{ID: "d6", Outcome: "open", Rep: []string{"price"}},
	}
}

func TestReasons(t *testing.T) {
	type group struct {
		n            int
		insufficient bool
		counts       map[string]int
	}
	for _, c := range []struct {
		name string
		q    ReasonsQuery
		want map[string]group
		keys []string // group order
	}{
		{"all lost", ReasonsQuery{}, map[string]group{
			"all": {4, false, map[string]int{"price": 2, "timing": 1, "competitor": 1, "missing-feature": 1, NoReason: 1}}}, []string{"all"}},
		{"by quarter", ReasonsQuery{By: ByQuarter}, map[string]group{
			"2025-Q4": {3, false, map[string]int{"price": 2, "timing": 1, "competitor": 1, "missing-feature": 1}},
			"2026-Q1": {1, true, map[string]int{NoReason: 1}}}, []string{"2025-Q4", "2026-Q1"}},
		{"by segment", ReasonsQuery{By: BySegment}, map[string]group{
			"SMB":        {3, false, map[string]int{"price": 2, "timing": 1, "competitor": 1, NoReason: 1}},
			"Enterprise": {1, true, map[string]int{"missing-feature": 1}}}, []string{"SMB", "Enterprise"}},
		{"by competitor", ReasonsQuery{By: ByCompetitor}, map[string]group{
			"Northwind":       {2, true, map[string]int{"price": 2, "timing": 1, "competitor": 1}},
			"Globex":          {2, true, map[string]int{"price": 1, "timing": 1, "competitor": 1, NoReason: 1}},
			"(no competitor)": {1, true, map[string]int{"missing-feature": 1}}}, []string{"Globex", "Northwind", "(no competitor)"}},
		{"by product, rep only", ReasonsQuery{By: ByProduct, Source: SourceRep}, map[string]group{
			"P1": {3, false, map[string]int{"price": 2, "timing": 1, NoReason: 1}},
			"P2": {2, true, map[string]int{"price": 1, "timing": 1, "missing-feature": 1}}}, []string{"P1", "P2"}},
		{"buyer only, from", ReasonsQuery{Source: SourceBuyer, From: day("2025-11-10")}, map[string]group{
			"all": {3, false, map[string]int{"price": 1, "competitor": 1, NoReason: 1}}}, []string{"all"}},
		{"to is included", ReasonsQuery{To: day("2025-11-10")}, map[string]group{
			"all": {2, true, map[string]int{"price": 1, "missing-feature": 1}}}, []string{"all"}},
		{"won", ReasonsQuery{Outcome: "won"}, map[string]group{
			"all": {1, true, map[string]int{"price": 1}}}, []string{"all"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			rep, err := Reasons(reasonDeals(), testMapper(), c.q, Options{MinN: 3})
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, g := range rep.Groups {
				keys = append(keys, g.Key)
				w, ok := c.want[g.Key]
				if !ok {
					t.Errorf("unexpected group %q", g.Key)
					continue
				}
				if g.N != w.n || g.Insufficient != w.insufficient {
					t.Errorf("%s: n=%d insufficient=%v, want %d %v", g.Key, g.N, g.Insufficient, w.n, w.insufficient)
				}
				got := map[string]int{}
				for _, r := range g.Reasons {
					got[r.Code] = r.Deals
					if r.Estimate.N != g.N || !near(r.Estimate.Value, float64(r.Deals)/float64(g.N)) || r.Estimate.Insufficient != w.insufficient {
						t.Errorf("%s %s: estimate %+v for %d of %d", g.Key, r.Code, r.Estimate, r.Deals, g.N)
					}
				}
				if fmt.Sprint(got) != fmt.Sprint(w.counts) {
					t.Errorf("%s: counts %v, want %v", g.Key, got, w.counts)
				}
			}
			if !slices.Equal(keys, c.keys) {
				t.Errorf("groups %v, want %v", keys, c.keys)
			}
		})
	}
	// One figure checked against its hand-computed Wilson interval: 2 of 4.
	rep, _ := Reasons(reasonDeals(), testMapper(), ReasonsQuery{}, Options{MinN: 3})
	top := rep.Groups[0].Reasons[0]
	if top.Code != "price" || top.Label != "Price" || !near(top.Estimate.CILow, 0.15003898915214947) || !near(top.Estimate.CIHigh, 0.8499610108478506) {
		t.Errorf("top reason %+v", top)
	}
	if last := rep.Groups[0].Reasons[len(rep.Groups[0].Reasons)-1]; last.Code != NoReason {
		t.Errorf("the no-reason row is not last: %+v", last)
	}
	for _, q := range []ReasonsQuery{{By: "rep"}, {Outcome: "open"}, {Source: "crm"}, {From: day("2025-02-02"), To: day("2025-01-01")}} {
		if _, err := Reasons(nil, testMapper(), q, Options{}); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("%+v: %v, want EINVALID", q, err)
		}
	}
}

func TestGap(t *testing.T) {
	deals := []Deal{
		{ID: "p1", Outcome: "lost", Rep: []string{"price"}, Buyer: []string{"price"}},
		{ID: "p2", Outcome: "lost", Rep: []string{"price"}, Buyer: []string{"competitor"}},
		{ID: "p3", Outcome: "lost", Rep: []string{"price"}, Buyer: []string{"price"}},
		{ID: "p4", Outcome: "lost", Rep: []string{"timing"}, Buyer: []string{"price"}},
		{ID: "p5", Outcome: "lost", Rep: []string{"price"}}, // no buyer reason: left out
		{ID: "p6", Outcome: "won", Rep: []string{"price"}, Buyer: []string{"price"}},
	}
	rep, err := Gap(deals, testMapper(), GapQuery{}, Options{MinN: 4})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Deals != 5 || rep.Paired != 4 || rep.Insufficient {
		t.Errorf("deals %d paired %d insufficient %v", rep.Deals, rep.Paired, rep.Insufficient)
	}
	want := []struct {
		code                       string
		both, rep, buyer, neither  int
		repShare, buyerShare, diff float64
		lo, hi                     float64
	}{
		{"competitor", 0, 0, 1, 3, 0, 0.25, -0.25, -0.6993581574175981, 0.2808272784865774},
		{"timing", 0, 1, 0, 3, 0.25, 0, 0.25, -0.2808272784865774, 0.6993581574175981},
		{"price", 2, 1, 1, 0, 0.75, 0.75, 0, -0.5522170552761341, 0.5522170552761341},
	}
	if len(rep.Rows) != len(want) {
		t.Fatalf("%d rows: %+v", len(rep.Rows), rep.Rows)
	}
	for i, w := range want {
		r := rep.Rows[i]
		if r.Code != w.code || r.Both != w.both || r.RepOnly != w.rep || r.BuyerOnly != w.buyer || r.Neither != w.neither {
			t.Errorf("row %d: %+v, want %+v", i, r, w)
		}
		if r.Rep.N != 4 || r.Buyer.N != 4 || r.Diff.N != 4 || !near(r.Rep.Value, w.repShare) || !near(r.Buyer.Value, w.buyerShare) ||
			!near(r.Diff.Value, w.diff) || !near(r.Diff.CILow, w.lo) || !near(r.Diff.CIHigh, w.hi) {
			t.Errorf("row %s: rep %+v buyer %+v diff %+v", r.Code, r.Rep, r.Buyer, r.Diff)
		}
	}
	small, _ := Gap(deals, testMapper(), GapQuery{}, Options{MinN: 30})
	if !small.Insufficient || !small.Rows[0].Diff.Insufficient {
		t.Errorf("4 pairs under a minimum of 30 are not marked insufficient")
	}
}

func roadmapDeals() []Deal {
	return []Deal{
		{ID: "d1", Outcome: "lost", Amount: 100, Closed: day("2025-10-01"), Rep: []string{"price"}},
		{ID: "d2", Outcome: "lost", Amount: 200, Closed: day("2025-11-01"), Rep: []string{"price"}, Buyer: []string{"missing-feature:sso"}},
		{ID: "d3", Outcome: "lost", Amount: 50, Closed: day("2025-12-31").Add(23 * time.Hour), Rep: []string{"timing", "price"}},
		{ID: "d4", Outcome: "lost", Amount: 300, Closed: day("2025-12-01"), Rep: []string{"missing-feature:sso"}},
		{ID: "d5", Outcome: "lost", Closed: day("2025-12-02"), Rep: []string{"competitor"}},
		{ID: "d6", Outcome: "lost", Amount: 1000, Closed: day("2026-01-05"), Rep: []string{"timing"}}, // after the quarter
		{ID: "d7", Outcome: "lost", Amount: 1000, Closed: day("2025-09-30"), Rep: []string{"timing"}}, // before it
		{ID: "d8", Outcome: "won", Amount: 1000, Closed: day("2025-11-30"), Rep: []string{"timing"}},
	}
}

func TestRoadmapCheck(t *testing.T) {
	features := map[string]Feature{
		"sso":    {ID: "sso", Name: "SSO", Status: "planned"},
		"old":    {ID: "old", Name: "Old", Status: "ga", ReleasedAt: day("2025-06-01")},
		"new":    {ID: "new", Name: "New", Status: "ga", ReleasedAt: day("2025-10-15")},
		"beta":   {ID: "beta", Name: "Beta", Status: "beta"},
		"parked": {ID: "parked", Name: "Parked", Status: "idea"},
	}
	tax := func(priceBy, timingBy []string) *Mapper {
		t := DefaultTaxonomy(nil)
		for i := range t.Reasons {
			switch t.Reasons[i].Code {
			case "price":
				t.Reasons[i].AddressedBy = priceBy
			case "timing":
				t.Reasons[i].AddressedBy = timingBy
			}
		}
		t.Reasons = append(t.Reasons, tandem.ReasonDef{Code: "missing-feature:sso", Label: "Missing SSO", Category: tandem.ReasonFeature, Feature: "sso"})
		return NewMapper(t)
	}
	type want struct {
		code      string
		deals     int
		revenue   float64
		amounts   int
		addressed bool
	}
	for _, c := range []struct {
		name    string
		m       *Mapper
		date    time.Time
		status  string
		reasons []want
	}{
		{"red", tax(nil, []string{"old", "parked"}), day("2026-03-01"), StatusRed, []want{
			{"price", 3, 350, 3, false}, {"missing-feature:sso", 2, 500, 2, true}, {"timing", 1, 50, 1, false}}},
		{"green", tax([]string{"parked", "new"}, []string{"beta"}), day("2026-01-01"), StatusGreen, []want{
			{"price", 3, 350, 3, true}, {"missing-feature:sso", 2, 500, 2, true}, {"timing", 1, 50, 1, true}}},
		{"no lost deals", tax(nil, nil), day("2020-05-05"), StatusInsufficient, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			rep := RoadmapCheck(roadmapDeals(), c.m, features, c.date, Options{})
			if rep.Status != c.status {
				t.Errorf("status %q, want %q (%+v)", rep.Status, c.status, rep)
			}
			if c.status != StatusInsufficient && (rep.Quarter != "2025-Q4" || rep.From != "2025-10-01" || rep.To != "2025-12-31" || rep.LostDeals != 5) {
				t.Errorf("quarter %s %s..%s, %d lost deals", rep.Quarter, rep.From, rep.To, rep.LostDeals)
			}
			if !rep.Insufficient || !slices.ContainsFunc(rep.Notes, func(n string) bool { return strings.HasPrefix(n, "insufficient data") }) {
				t.Errorf("5 lost deals, under the minimum sample: insufficient %v, notes %q", rep.Insufficient, rep.Notes)
			}
			if len(rep.Reasons) != len(c.reasons) {
				t.Fatalf("%d reasons: %+v", len(rep.Reasons), rep.Reasons)
			}
			for i, w := range c.reasons {
				r := rep.Reasons[i]
				if r.Rank != i+1 || r.Code != w.code || r.Deals != w.deals || r.LostRevenue != w.revenue || r.WithAmount != w.amounts || r.Addressed != w.addressed {
					t.Errorf("reason %d: %+v, want %+v", i, r, w)
				}
				if r.Share.N != 5 || !near(r.Share.Value, float64(w.deals)/5) || r.Why == "" {
					t.Errorf("reason %s: share %+v, why %q", r.Code, r.Share, r.Why)
				}
			}
		})
	}
	if rep := RoadmapCheck(roadmapDeals(), tax(nil, nil), features, day("2026-03-01"), Options{MinN: 5}); rep.Insufficient {
		t.Errorf("5 lost deals with a minimum of 5: %+v", rep)
	}
	// Quarters are UTC: a deal closed at 20:00 on 31 December in New York
	// (1 January UTC) is not in Q4.
	ny := time.FixedZone("EST", -5*3600)
	late := []Deal{{ID: "x", Outcome: "lost", Closed: time.Date(2025, 12, 31, 20, 0, 0, 0, ny), Rep: []string{"price"}}}
	if rep := RoadmapCheck(late, tax(nil, nil), features, day("2026-03-01"), Options{}); rep.LostDeals != 0 || Quarter(late[0].Closed) != "2026-Q1" {
		t.Errorf("UTC quarter: %d lost deals, quarter %s", rep.LostDeals, Quarter(late[0].Closed))
	}
	rep := RoadmapCheck(roadmapDeals(), tax([]string{"parked", "new"}, nil), features, day("2026-03-01"), Options{})
	if got := rep.Reasons[0].Why; got != "addressed by New (ga)" {
		t.Errorf("why %q", got)
	}
	if got := rep.Reasons[2].Why; !strings.Contains(got, "no feature is named") {
		t.Errorf("why %q", got)
	}
	// Lost deals but no reasons at all.
	bare := []Deal{{ID: "x", Outcome: "lost", Closed: day("2025-11-11")}}
	if rep := RoadmapCheck(bare, tax(nil, nil), features, day("2026-02-01"), Options{}); rep.Status != StatusInsufficient || rep.LostDeals != 1 {
		t.Errorf("lost deals without reasons: %+v", rep)
	}
	// An unmapped text ranks, and is never addressed.
	odd := []Deal{{ID: "x", Outcome: "lost", Closed: day("2025-11-11"), Rep: []string{"unmapped: weather"}}}
	if rep := RoadmapCheck(odd, tax(nil, nil), features, day("2026-02-01"), Options{}); rep.Status != StatusRed || rep.Reasons[0].Label != "unmapped: weather" {
		t.Errorf("unmapped reason: %+v", rep)
	}
	if s, e := LastFullQuarter(day("2026-04-01")); !s.Equal(day("2026-01-01")) || !e.Equal(day("2026-04-01")) {
		t.Errorf("LastFullQuarter(2026-04-01) = %v, %v", s, e)
	}
}

func TestRootCauses(t *testing.T) {
	pms := []tandem.Postmortem{
		{ID: "a", Causes: []string{"price", "timing"}, Date: day("2025-11-01")},
		{ID: "b", Causes: []string{"price"}, Date: day("2025-12-01")},
		{ID: "c", Causes: []string{"onboarding"}, Date: day("2026-01-10")},
		{ID: "d", Causes: []string{"price"}, Date: day("2024-01-10")}, // before from
	}
	rep := RootCauses(pms, day("2025-01-01"), time.Time{}, Options{MinN: 2})
	if len(rep.Periods) != 2 || rep.Periods[0].Quarter != "2025-Q4" || rep.Periods[1].Quarter != "2026-Q1" {
		t.Fatalf("periods %+v", rep.Periods)
	}
	count := func(p CausePeriod, cause string) CauseFigure {
		for _, c := range p.Causes {
			if c.Cause == cause {
				return c
			}
		}
		t.Fatalf("no cause %s in %+v", cause, p)
		return CauseFigure{}
	}
	q4, q1 := rep.Periods[0], rep.Periods[1]
	if q4.N != 2 || q4.Insufficient || count(q4, "price").Count != 2 || count(q4, "timing").Count != 1 || count(q4, "onboarding").Count != 0 {
		t.Errorf("2025-Q4: %+v", q4)
	}
	if p := count(q4, "price").Estimate; p.N != 2 || p.Value != 1 || !near(p.CILow, 0.3423802275066531) || p.CIHigh != 1 {
		t.Errorf("2025-Q4 price: %+v", p)
	}
	if q1.N != 1 || !q1.Insufficient || !count(q1, "onboarding").Estimate.Insufficient {
		t.Errorf("2026-Q1: %+v", q1)
	}
	if rep.Total.N != 3 || count(rep.Total, "price").Count != 2 || len(rep.Total.Causes) != len(tandem.RootCauses) {
		t.Errorf("total %+v", rep.Total)
	}
	if empty := RootCauses(nil, time.Time{}, time.Time{}, Options{}); len(empty.Periods) != 0 || empty.Total.N != 0 || len(empty.Total.Causes) != 0 || len(empty.Notes) == 0 {
		t.Errorf("no post-mortems: %+v", empty)
	}
}

func TestMissingPostmortems(t *testing.T) {
	deals := []Deal{
		{ID: "big", Name: "Big", Outcome: "lost", Amount: 60000, Closed: day("2025-11-01")},
		{ID: "bigger", Outcome: "lost", Amount: 90000},
		{ID: "done", Outcome: "lost", Amount: 70000},
		{ID: "edge", Outcome: "lost", Amount: 50000}, // not above the minimum
		{ID: "small", Outcome: "lost", Amount: 40000},
		{ID: "won", Outcome: "won", Amount: 90000},
	}
	accounts := []Account{
		{ID: "a1", Name: "Acme", Churned: true, ChurnedAt: day("2025-10-01"), MRR: 900},
		{ID: "a2", Churned: true},
		{ID: "a3", Churned: true, ChurnedAt: day("2025-12-01")},
		{ID: "a4"},
	}
	pms := []tandem.Postmortem{{Subject: SubjectDeal, SubjectID: "done"}, {Subject: SubjectAccount, SubjectID: "a2"}, {Subject: SubjectAccount, SubjectID: "big"}}
	got := MissingPostmortems(deals, accounts, 50000, pms)
	var ids []string
	for _, m := range got {
		ids = append(ids, m.Subject+"/"+m.SubjectID)
	}
	if want := []string{"deal/bigger", "deal/big", "account/a3", "account/a1"}; !slices.Equal(ids, want) {
		t.Errorf("missing %v, want %v", ids, want)
	}
	if got[1].Name != "Big" || got[1].Amount != 60000 || got[3].Why != "churned account" {
		t.Errorf("rows %+v", got)
	}
}

func TestCheckPostmortem(t *testing.T) {
	ok := tandem.Postmortem{Subject: "deal", SubjectID: "d1", Causes: []string{"price"}, Date: day("2025-11-11"), Actions: []tandem.PostmortemStep{{What: "x", Owner: "a@x.io"}}}
	if err := CheckPostmortem(ok); err != nil {
		t.Fatal(err)
	}
	bad := tandem.Postmortem{Subject: "lead", Causes: []string{"weather", "price", "price"}, Actions: []tandem.PostmortemStep{{}}}
	err := CheckPostmortem(bad)
	var pe *PostmortemError
	if tandem.ErrorCode(err) != tandem.EINVALID || !errors.As(err, &pe) || len(pe.Problems) != 7 {
		t.Errorf("%v", err)
	}
}

// TestNoFigureWithoutN is a property: over random deals and post-mortems,
// every estimate in every report (as JSON, the way clients see it) has an
// n of at least one and an interval holding its value.
func TestNoFigureWithoutN(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 5))
	codes := []string{"price", "timing", "competitor", "unmapped: x", "missing-feature"}
	pick := func() []string {
		var out []string
		for _, c := range codes {
			if rng.IntN(3) == 0 {
				out = append(out, c)
			}
		}
		return out
	}
	m := testMapper()
	for range 50 {
		var deals []Deal
		var pms []tandem.Postmortem
		for i := range rng.IntN(60) {
			closed := day("2025-01-01").AddDate(0, 0, rng.IntN(500))
			deals = append(deals, Deal{ID: fmt.Sprint(i), Outcome: []string{"won", "lost", "open"}[rng.IntN(3)], Amount: float64(rng.IntN(3) * 1000),
				Closed: closed, Segment: []string{"", "SMB", "Ent"}[rng.IntN(3)], Products: pick(), Competitors: pick(), Rep: pick(), Buyer: pick()})
			if rng.IntN(4) == 0 {
				pms = append(pms, tandem.Postmortem{Causes: tandem.RootCauses[:rng.IntN(len(tandem.RootCauses))+1], Date: closed})
			}
		}
		var reports []any
		for _, by := range append(Groupings(), ByAll) {
			for _, out := range []string{"lost", "won"} {
				r, err := Reasons(deals, m, ReasonsQuery{By: by, Outcome: out}, Options{MinN: 5})
				if err != nil {
					t.Fatal(err)
				}
				reports = append(reports, r)
			}
		}
		g, err := Gap(deals, m, GapQuery{}, Options{MinN: 5})
		if err != nil {
			t.Fatal(err)
		}
		reports = append(reports, g, RoadmapCheck(deals, m, nil, day("2026-01-15"), Options{}), RootCauses(pms, time.Time{}, time.Time{}, Options{MinN: 2}))
		for _, r := range reports {
			b, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			var v any
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatal(err)
			}
			checkEstimates(t, v, "")
		}
	}
}

// checkEstimates walks decoded JSON and checks every object that has an
// interval.
func checkEstimates(t *testing.T, v any, path string) {
	t.Helper()
	switch x := v.(type) {
	case map[string]any:
		if _, ok := x["ci_low"]; ok {
			n, _ := x["n"].(float64)
			if n < 1 {
				t.Fatalf("%s: a figure without n: %v", path, x)
			}
			val, _ := x["value"].(float64)
			lo, _ := x["ci_low"].(float64)
			hi, _ := x["ci_high"].(float64)
			if x["value"] == nil || x["ci_low"] == nil || x["ci_high"] == nil || lo > val+1e-12 || hi < val-1e-12 {
				t.Fatalf("%s: interval does not hold the value: %v", path, x)
			}
		}
		for k, e := range x {
			checkEstimates(t, e, path+"."+k)
		}
	case []any:
		for i, e := range x {
			checkEstimates(t, e, fmt.Sprintf("%s[%d]", path, i))
		}
	}
}
