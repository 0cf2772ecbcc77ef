package feedback

import (
	"slices"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

func TestRoute(t *testing.T) {
	rules := []tandem.RoutingRule{
		{Name: "sso", Keywords: []string{"SSO", "single sign-on"}, Owner: "ida@x"},
		{Name: "ent-analytics", Product: "P2", Segment: "Enterprise", Owner: "bo@x"},
		{Name: "analytics", Product: "P2", Owner: "cy@x"},
		{Name: "exports", Feature: "F9", Owner: "di@x"},
	}
	tests := []struct {
		name      string
		s         Subject
		owner, by string
	}{
		{"keyword", Subject{Text: "We need SSO before renewal"}, "ida@x", "sso"},
		{"phrase", Subject{Text: "no Single Sign-On, no deal"}, "ida@x", "sso"},
		{"part of a word is not a keyword", Subject{Text: "ssoftware"}, "pm@x", "default"},
		{"first match wins", Subject{Product: "p2", Segment: "enterprise"}, "bo@x", "ent-analytics"},
		{"all conditions must hold", Subject{Product: "P2", Segment: "SMB"}, "cy@x", "analytics"},
		{"feature", Subject{Feature: "F9"}, "di@x", "exports"},
		{"none", Subject{Text: "hello"}, "pm@x", "default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			owner, by := Route(rules, tt.s, "pm@x")
			if owner != tt.owner || by != tt.by {
				t.Errorf("Route = %s by %s, want %s by %s", owner, by, tt.owner, tt.by)
			}
		})
	}
}

func TestAckDue(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		received string
		days     int
		want     string
	}{
		{"2026-11-23T10:00:00Z", 2, "2026-11-25T10:00:00Z"}, // Monday → Wednesday
		{"2026-11-26T10:00:00Z", 2, "2026-11-30T10:00:00Z"}, // Thursday → Monday
		{"2026-11-27T17:30:00Z", 2, "2026-12-01T17:30:00Z"}, // Friday → Tuesday
		{"2026-11-28T09:00:00Z", 1, "2026-11-30T09:00:00Z"}, // Saturday → Monday
		{"2026-11-29T09:00:00Z", 2, "2026-12-01T09:00:00Z"}, // Sunday → Tuesday
		{"2026-11-23T10:00:00Z", 0, "2026-11-23T10:00:00Z"},
		{"2026-11-23T10:00:00Z", 5, "2026-11-30T10:00:00Z"}, // a week
	}
	for _, tt := range tests {
		if got := AckDue(at(tt.received), tt.days); !got.Equal(at(tt.want)) {
			t.Errorf("AckDue(%s, %d) = %s, want %s", tt.received, tt.days, got.Format(time.RFC3339), tt.want)
		}
	}
}

func TestMentions(t *testing.T) {
	comps := []tandem.Competitor{
		{ID: "acme", Name: "Acme", Aliases: []string{"Acme Corp", "ACME.io"}},
		{ID: "zen", Name: "Zen Desk", Aliases: []string{"zendesk"}},
		{ID: "go", Name: "Go"},
	}
	tests := []struct {
		text string
		want []string
	}{
		{"They are also looking at ACME", []string{"acme"}},
		{"acme.io pricing is lower", []string{"acme"}},
		{"Switching from Zendesk; zen desk is slow", []string{"zen"}},
		{"the zen of desks", nil},
		{"acmeish", nil},
		{"Let's go with Acme", []string{"acme", "go"}},
		{"", nil},
	}
	for _, tt := range tests {
		if got := Mentions(tt.text, comps); !slices.Equal(got, tt.want) {
			t.Errorf("Mentions(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
}
