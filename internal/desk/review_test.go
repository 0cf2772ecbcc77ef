package desk

import (
	"strings"
	"testing"
	"time"
)

func TestTriggers(t *testing.T) {
	tr := Triggers{MinAmount: 50000, Verticals: []string{"Healthcare"}, Strategic: []string{"A-7", "Globex"}, ProductGap: true, Special: true}
	if err := tr.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		d    ReviewDeal
		want string
	}{
		{ReviewDeal{Amount: 49999}, ""},
		{ReviewDeal{Amount: 1250000}, "deal size 1,250,000 is at least 50,000"},
		{ReviewDeal{Industry: " healthcare"}, "vertical  healthcare"},
		{ReviewDeal{AccountID: "A-7", AccountName: "Initech"}, "strategic account Initech"},
		{ReviewDeal{AccountName: "GLOBEX"}, "strategic account GLOBEX"},
		{ReviewDeal{ProductGap: " SSO ", Special: "custom export"}, "product gap: SSO|special request: custom export"},
	} {
		if got := strings.Join(tr.Fire(tc.d), "|"); got != tc.want {
			t.Errorf("Fire(%+v) = %q, want %q", tc.d, got, tc.want)
		}
	}
	bad := Triggers{MinAmount: -1, MeetingDays: []int{0, 31}}
	if err := bad.Validate(); err == nil || !strings.Contains(err.Error(), "min_amount") || !strings.Contains(err.Error(), "meeting_days[1]: 31") {
		t.Errorf("Validate = %v", err)
	}
}

func TestNextMeeting(t *testing.T) {
	tr := DefaultTriggers()
	day := func(s string) time.Time { d, _ := time.Parse(time.DateOnly, s); return d }
	for _, tc := range []struct{ from, want string }{
		{"2026-03-01", "2026-03-01"}, {"2026-03-02", "2026-03-15"}, {"2026-03-16", "2026-04-01"}, {"2026-12-20", "2027-01-01"},
	} {
		if got := tr.NextMeeting(day(tc.from)).Format(time.DateOnly); got != tc.want {
			t.Errorf("NextMeeting(%s) = %s, want %s", tc.from, got, tc.want)
		}
	}
}

func TestReviewValidate(t *testing.T) {
	r := Review{DealID: "D", Actions: []Action{{Text: " call ", Owner: "ann"}, {}}}
	err := r.Validate()
	if err == nil || !strings.Contains(err.Error(), "actions[0].due") || !strings.Contains(err.Error(), "actions[1].text") {
		t.Errorf("Validate = %v", err)
	}
	if r.Actions[0].Text != "call" {
		t.Error("action text not trimmed")
	}
}
