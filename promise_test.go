package tandem

import (
	"testing"
	"time"
)

func TestParsePromise(t *testing.T) {
	tests := []struct {
		in, feature, date string
		ok                bool
	}{
		{"SSO@2024-09-30", "SSO", "2024-09-30", true},
		{" Audit Log @ 2024-12-31 ", "Audit Log", "2024-12-31", true},
		{"a@b@2024-01-01", "a@b", "2024-01-01", true},
		{"SSO", "", "", false},
		{"@2024-01-01", "", "", false},
		{"SSO@", "", "", false},
		{"SSO@2024-02-30", "", "", false},
		{"SSO@2024-01-01T10:00:00Z", "", "", false},
	}
	for _, tt := range tests {
		f, d, err := ParsePromise(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParsePromise(%q) error %v, want ok %v", tt.in, err, tt.ok)
			continue
		}
		if tt.ok && (f != tt.feature || d.Format(time.DateOnly) != tt.date) {
			t.Errorf("ParsePromise(%q) = %q, %v", tt.in, f, d)
		}
	}
}

// FuzzParsePromise: a parsed promise formats back to an item that parses
// to the same feature and date.
func FuzzParsePromise(f *testing.F) {
	for _, s := range []string{"SSO@2024-09-30", "a@b@2024-01-01", "@", "x@2024-13-01", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		feature, date, err := ParsePromise(s)
		if err != nil {
			return
		}
		f2, d2, err := ParsePromise(FormatPromise(feature, date))
		if err != nil || f2 != feature || !d2.Equal(date) {
			t.Fatalf("%q -> %q %v -> %q %v %v", s, feature, date, f2, d2, err)
		}
	})
}
