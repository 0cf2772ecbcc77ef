package desk

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/desk/rules"
)

const routeRules = `version: 1
sla: 24h
rules:
  - name: discount-over-10
    level: 1
    chain: discount
    when: {field: line.discount, op: ">", value: 10}
    approvers: {mode: sequential, steps: [{relation: manager}]}
  - name: discount-over-25
    level: 2
    chain: discount
    when: {field: line.discount, op: ">", value: 25}
    approvers: {mode: sequential, steps: [{relation: manager}, {relation: managers-manager}]}
  - name: beta
    level: 1
    when: {field: quote.features_beta, op: "=", value: true}
    approvers: {mode: parallel-any, steps: [{role: product}, {user: cto@x.io}]}
`

func testPeople() *People {
	reps := []Rep{
		{ID: "r1", Name: "Ann Rep", Manager: "Mia Manager"},
		{ID: "r2", Name: "Mia Manager", Manager: "v1"},
		{ID: "v1", Name: "Vic VP"},
		{ID: "r3", Name: "Lone Rep"},
	}
	users := []tandem.User{
		{Email: "ann@x.io", Name: "Ann Rep", Role: tandem.RoleSales},
		{Email: "mia@x.io", Name: "mia  manager", Role: tandem.RoleSales},
		{Email: "vic@x.io", Name: "Vic VP", Role: tandem.RoleSales},
		{Email: "pm@x.io", Name: "Pat", Role: tandem.RoleProduct},
		{Email: "cto@x.io", Name: "Cy", Role: tandem.RoleAdmin},
		{Email: "gone@x.io", Name: "Lone Rep", Role: tandem.RoleSales, Disabled: true},
	}
	return NewPeople(reps, users)
}

func mustRules(t *testing.T) *rules.RuleSet {
	t.Helper()
	rs, err := rules.Parse("rules.yaml", []byte(routeRules))
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func ids() func() string {
	n := 0
	return func() string { n++; return fmt.Sprintf("a%d", n) }
}

func facts(discount float64, beta bool) rules.Facts {
	return rules.Facts{
		Quote: rules.QuoteFacts{FeaturesBeta: beta, Discount: discount},
		Lines: []rules.LineFacts{{ID: "l1", Product: "core", Discount: discount, ListPrice: 100, NetPrice: 100 - discount, Quantity: 1}},
	}
}

func TestPeopleDirectory(t *testing.T) {
	p := testPeople()
	for _, tc := range []struct{ id, want string }{
		{"r1", "mia@x.io"}, {"ann@x.io", "mia@x.io"}, {"mia@x.io", "vic@x.io"}, {"r2", "vic@x.io"},
	} {
		if got, ok := p.ManagerOf(tc.id); !ok || got != tc.want {
			t.Errorf("ManagerOf(%s) = %q, %v; want %s", tc.id, got, ok, tc.want)
		}
	}
	if _, ok := p.ManagerOf("vic@x.io"); ok {
		t.Error("the VP has no manager")
	}
	if p.UserExists("gone@x.io") {
		t.Error("a disabled user cannot act")
	}
	if got := p.ident("r3"); got != "rep:r3" {
		t.Errorf("unlinked rep is %q", got)
	}
	rs := mustRules(t)
	if err := rs.CheckApprovers(p); err == nil || !strings.Contains(err.Error(), "rep r3 has no manager") {
		t.Errorf("CheckApprovers = %v; want the rep without a manager", err)
	}
}

func TestRouteAndAct(t *testing.T) {
	p, rs, now := testPeople(), mustRules(t), time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	newID := ids()
	v1 := Route(rs, p, RouteInput{QuoteID: "q", Version: 1, DealID: "d", RepID: "r1", Facts: facts(30, true), Now: now, NewID: newID})
	got := summary(v1)
	want := "beta/0 role:product pending; beta/1 cto@x.io pending; discount-over-10/0  skipped; discount-over-25/0 mia@x.io pending; discount-over-25/1 vic@x.io waiting"
	if got != want {
		t.Fatalf("v1 routes\n%s\nwant\n%s", got, want)
	}
	if QuoteStatus(v1) != "pending" {
		t.Errorf("status %s", QuoteStatus(v1))
	}
	user := func(e string) tandem.User { u, _ := p.User(e); return u }
	apply := func(steps []tandem.Approval, ups []tandem.ApprovalUpdate) []tandem.Approval {
		for _, u := range ups {
			for i := range steps {
				if steps[i].ID == u.ID {
					if steps[i].Status != u.From {
						t.Fatalf("guard %s: %s, not %s", u.ID, steps[i].Status, u.From)
					}
					steps[i].Status = u.Status
					if u.Approver != "" {
						steps[i].Approver = u.Approver
					}
				}
			}
		}
		return steps
	}
	// The VP cannot act before the manager: the step is waiting.
	if _, err := Act(v1, "a5", user("vic@x.io"), nil, Approve, "", time.Hour, now); tandem.ErrorCode(err) != tandem.ECONFLICT {
		t.Errorf("acting on a waiting step: %v", err)
	}
	if _, err := Act(v1, "a4", user("ann@x.io"), nil, Approve, "", time.Hour, now); tandem.ErrorCode(err) != tandem.EFORBIDDEN {
		t.Errorf("rep approving own quote: %v", err)
	}
	if _, err := Act(v1, "a4", user("mia@x.io"), nil, Reject, " ", time.Hour, now); tandem.ErrorCode(err) != tandem.EINVALID {
		t.Errorf("rejection without reason: %v", err)
	}
	ups, err := Act(v1, "a4", user("mia@x.io"), nil, Approve, "ok", time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	v1 = apply(v1, ups)
	ups, err = Act(v1, "a2", user("pm@x.io"), nil, Approve, "", time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	v1 = apply(v1, ups)
	if s := summary(v1); !strings.Contains(s, "beta/1 cto@x.io skipped") || !strings.Contains(s, "discount-over-25/1 vic@x.io pending") {
		t.Fatalf("after two approvals: %s", s)
	}
	// The VP is away; Cy acts for them.
	away := map[string]Away{"vic@x.io": {User: "vic@x.io", To: "cto@x.io", From: now.Add(-time.Hour)}}
	ups, err = Act(v1, "a5", user("cto@x.io"), away, Approve, "fine", time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ups[0].Reason, "as delegate of vic@x.io") {
		t.Errorf("delegate's reason: %q", ups[0].Reason)
	}
	v1 = apply(v1, ups)
	if QuoteStatus(v1) != "approved" {
		t.Fatalf("status %s: %s", QuoteStatus(v1), summary(v1))
	}

	// Version 2: the beta stays, the discount rises: the discount chain is
	// asked again, the beta approval stands.
	prev := &Previous{Version: 1, Facts: facts(30, true), Matches: rs.Evaluate(facts(30, true)), Approvals: v1}
	v2 := Route(rs, p, RouteInput{QuoteID: "q", Version: 2, DealID: "d", RepID: "r1", Facts: facts(32, true), Prev: prev, Now: now, NewID: newID})
	for _, a := range v2 {
		switch a.Rule {
		case "beta":
			if a.CarriedFrom == "" || !strings.Contains(a.Basis, "stands from version 1") {
				t.Errorf("beta step %d: carried %q basis %q", a.Step, a.CarriedFrom, a.Basis)
			}
		case "discount-over-25":
			if a.CarriedFrom != "" || !strings.Contains(a.Basis, "rose from 30") {
				t.Errorf("discount step %d: carried %q basis %q", a.Step, a.CarriedFrom, a.Basis)
			}
		}
	}
	// Version 3 from version 1's approvals: the discount falls to 20%:
	// level 1 is covered by level 2's approval; nothing is asked.
	v3 := Route(rs, p, RouteInput{QuoteID: "q", Version: 3, DealID: "d", RepID: "r1", Facts: facts(20, true), Prev: prev, Now: now, NewID: newID})
	if QuoteStatus(v3) != "approved" {
		t.Errorf("v3: %s", summary(v3))
	}
}

func TestRouteRejectedAskedAgain(t *testing.T) {
	p, rs, now := testPeople(), mustRules(t), time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	newID := ids()
	v1 := Route(rs, p, RouteInput{QuoteID: "q", Version: 1, RepID: "r1", Facts: facts(15, false), Now: now, NewID: newID})
	u, _ := p.User("mia@x.io")
	ups, err := Act(v1, v1[0].ID, u, nil, Reject, "too deep", time.Hour, now)
	if err != nil {
		t.Fatal(err)
	}
	v1[0].Status = ups[0].Status
	if QuoteStatus(v1) != "rejected" {
		t.Fatal(QuoteStatus(v1))
	}
	prev := &Previous{Version: 1, Facts: facts(15, false), Matches: rs.Evaluate(facts(15, false)), Approvals: v1}
	v2 := Route(rs, p, RouteInput{QuoteID: "q", Version: 2, RepID: "r1", Facts: facts(15, false), Prev: prev, Now: now, NewID: newID})
	if len(v2) != 1 || v2[0].Status != tandem.ApprovalPending || !strings.HasPrefix(v2[0].Basis, "rejected on version 1") {
		t.Errorf("v2: %+v", v2)
	}
}

func TestRouteFallbacksAndEscalation(t *testing.T) {
	p, rs, now := testPeople(), mustRules(t), time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	v1 := Route(rs, p, RouteInput{QuoteID: "q", Version: 1, RepID: "r3", Facts: facts(15, false), Now: now, NewID: ids()})
	if v1[0].Approver != "role:revops" || !strings.Contains(v1[0].Via, "no manager of Lone Rep") {
		t.Errorf("rep without manager: %+v", v1[0])
	}
	due := []tandem.Approval{
		{ID: "e1", Rule: "x", Status: tandem.ApprovalPending, Approver: "mia@x.io", DueAt: now.Add(-time.Minute)},
		{ID: "e2", Rule: "x", Status: tandem.ApprovalPending, Approver: "vic@x.io", DueAt: now.Add(-time.Minute)},
		{ID: "e3", Rule: "x", Status: tandem.ApprovalPending, Approver: "role:admin", DueAt: now.Add(-time.Minute)},
		{ID: "e4", Rule: "x", Status: tandem.ApprovalPending, Approver: "mia@x.io", DueAt: now.Add(time.Minute)},
	}
	ups, stuck := Escalate(due, p, func(string) time.Duration { return 24 * time.Hour }, now)
	var got []string
	for _, u := range ups {
		got = append(got, u.ID+"→"+u.Approver)
	}
	if strings.Join(got, " ") != "e1→vic@x.io e2→role:admin" || len(stuck) != 1 || stuck[0].ID != "e3" {
		t.Errorf("escalations %v, stuck %v", got, stuck)
	}
	cy, _ := p.User("cto@x.io")
	up, err := Reassign(due[0], cy, "PM@x.io", p, nil, now)
	if err != nil || up.Approver != "pm@x.io" {
		t.Errorf("admin reassign: %+v %v", up, err)
	}
	ann, _ := p.User("ann@x.io")
	if _, err := Reassign(due[0], ann, "pm@x.io", p, nil, now); tandem.ErrorCode(err) != tandem.EFORBIDDEN {
		t.Errorf("rep reassign: %v", err)
	}
}

func summary(steps []tandem.Approval) string {
	parts := make([]string, 0, len(steps))
	for _, s := range steps {
		parts = append(parts, fmt.Sprintf("%s/%d %s %s", s.Rule, s.Step, s.Approver, s.Status))
	}
	slices.Sort(parts)
	return strings.Join(parts, "; ")
}
