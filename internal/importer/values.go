package importer

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
)

// defaultDateLayouts are the date forms accepted without --date-format. Only
// unambiguous forms: day/month order is never guessed, because a wrong guess
// silently shifts every date of a file.
func defaultDateLayouts() []string {
	return []string{
		time.DateOnly,
		time.RFC3339Nano,
		"2006-01-02T15:04:05.000Z0700", // Salesforce Data Loader: 2024-01-15T10:00:00.000+0000
		"2006-01-02T15:04:05Z0700",
		"2006-01-02T15:04:05",
		"2006-01-02 15:04:05",
		"2006-01-02 15:04",
		"2006-01-02T15:04",
	}
}

// DateParser parses dates with a user layout or the default unambiguous ones.
type DateParser struct {
	layouts []string
}

// NewDateParser accepts a Go layout ("02/01/2006") or a pattern made of the
// tokens YYYY, YY, MM, M, DD, D, HH, hh, mm, ss (e.g. "DD/MM/YYYY"); empty
// means the default ISO forms.
func NewDateParser(format string) (*DateParser, error) {
	if format == "" {
		return &DateParser{layouts: defaultDateLayouts()}, nil
	}
	layout := format
	if !strings.Contains(format, "2006") {
		layout = tokensToLayout(format)
		if !strings.Contains(layout, "2006") && !strings.Contains(layout, "06") {
			return nil, tandem.Errorf(tandem.EINVALID, "--date-format %q has no year: use tokens YYYY MM DD HH mm ss or a Go layout such as 02/01/2006", format)
		}
	}
	// An ISO date is never ambiguous, so it stays accepted beside the layout.
	return &DateParser{layouts: append([]string{layout}, defaultDateLayouts()...)}, nil
}

// tokensToLayout turns a pattern such as "DD/MM/YYYY HH:mm" into a Go layout.
func tokensToLayout(p string) string {
	repl := strings.NewReplacer(
		"YYYY", "2006", "YY", "06",
		"MM", "01", "DD", "02",
		"HH", "15", "hh", "03", "mm", "04", "ss", "05",
		"M", "1", "D", "2",
	)
	return repl.Replace(p)
}

// Parse returns the time in UTC (dates without a zone are taken as UTC).
func (p *DateParser) Parse(s string) (time.Time, error) {
	var firstErr error
	for _, l := range p.layouts {
		t, err := time.Parse(l, s)
		if err == nil {
			return t.UTC(), nil
		}
		var pe *time.ParseError
		// A range error (day 31 in a 30-day month) on a layout that
		// otherwise fits is the most useful message to show.
		if errors.As(err, &pe) && strings.Contains(pe.Message, "out of range") && firstErr == nil {
			firstErr = fmt.Errorf("impossible date %q: %s", s, strings.TrimPrefix(pe.Message, ": "))
		}
	}
	if firstErr != nil {
		return time.Time{}, firstErr
	}
	if strings.ContainsAny(s, "/.") {
		return time.Time{}, fmt.Errorf("date %q is not ISO 8601; pass --date-format (e.g. MM/DD/YYYY or DD/MM/YYYY) so day and month are not guessed", s)
	}
	return time.Time{}, fmt.Errorf("cannot read %q as a date (expected YYYY-MM-DD or an ISO 8601 timestamp)", s)
}

// parseNumber reads a decimal number. It accepts a leading currency symbol or
// ISO code ("$1,200.50", "USD 1200") and comma thousands separators in their
// proper places, which report exports from CRMs carry; anything else is an
// error rather than a guess.
func parseNumber(s string) (float64, error) {
	t, err := cleanNumber(s)
	if err != nil {
		return 0, err
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil || t == "" || strings.ContainsAny(t, "xXpPnN_") {
		return 0, fmt.Errorf("cannot read %q as a number", s)
	}
	return f, nil
}

// cleanNumber strips a currency prefix and thousands separators.
func cleanNumber(s string) (string, error) {
	t := strings.TrimSpace(s)
	for _, sym := range []string{"$", "€", "£", "¥"} {
		t = strings.TrimPrefix(t, sym)
	}
	if len(t) > 4 && t[3] == ' ' && isUpperASCII(t[:3]) {
		t = t[4:]
	}
	if strings.Contains(t, ",") {
		if !groupedThousands(t) {
			return "", fmt.Errorf("cannot read %q as a number (commas are accepted only as thousands separators)", s)
		}
		t = strings.ReplaceAll(t, ",", "")
	}
	return t, nil
}

// parseInt reads a whole number exactly: as an integer when written as one
// (a float64 would round past 2^53), else through the decimal form ("1e3",
// "12.0") when that is whole and in range.
func parseInt(s string) (int64, error) {
	t, err := cleanNumber(s)
	if err != nil {
		return 0, err
	}
	if n, err := strconv.ParseInt(t, 10, 64); err == nil {
		return n, nil
	}
	f, err := parseNumber(s)
	if err != nil {
		return 0, err
	}
	if f != math.Trunc(f) || f < math.MinInt64 || f >= math.MaxInt64 {
		return 0, fmt.Errorf("%q is not a whole number in range", s)
	}
	return int64(f), nil
}

func isUpperASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return true
}

// groupedThousands reports whether s is like -1,234,567.89.
func groupedThousands(s string) bool {
	s = strings.TrimPrefix(s, "-")
	intPart, _, _ := strings.Cut(s, ".")
	groups := strings.Split(intPart, ",")
	if len(groups[0]) < 1 || len(groups[0]) > 3 {
		return false
	}
	for _, g := range groups[1:] {
		if len(g) != 3 {
			return false
		}
	}
	return true
}

// parseBool reads a boolean cell, with an error users can act on.
func parseBool(s string) (bool, error) {
	if v, ok := tandem.ParseBool(s); ok {
		return v, nil
	}
	return false, fmt.Errorf("cannot read %q as true/false", s)
}

// splitList splits a ";"-separated list, trimming items and dropping empty ones.
func splitList(s string) []string {
	parts := strings.Split(s, ";")
	out := parts[:0]
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// convert turns one trimmed, non-empty cell into the Go value of the
// column's kind, or returns the reason it cannot.
func convert(c *tandem.Column, s string, dates *DateParser) (any, error) {
	switch c.Kind {
	case tandem.KindText:
		return s, nil
	case tandem.KindInt:
		n, err := parseInt(s)
		if err != nil {
			return nil, err
		}
		if c.NonNegative && n < 0 {
			return nil, fmt.Errorf("%s must not be negative (got %s)", c.Name, s)
		}
		return n, nil
	case tandem.KindFloat:
		f, err := parseNumber(s)
		if err != nil {
			return nil, err
		}
		if c.NonNegative && f < 0 {
			return nil, fmt.Errorf("%s must not be negative (got %s)", c.Name, s)
		}
		return f, nil
	case tandem.KindDate:
		return dates.Parse(s)
	case tandem.KindBool:
		return parseBool(s)
	case tandem.KindList:
		return splitList(s), nil
	case tandem.KindEnum:
		for _, v := range c.Enum {
			if strings.EqualFold(v, s) {
				return v, nil
			}
		}
		return nil, fmt.Errorf("unknown %s %q (one of %s; map other values with --value %s:%s=<one of them>)",
			c.Name, s, strings.Join(c.Enum, ", "), c.Name, s)
	}
	return nil, fmt.Errorf("column %s has unknown kind %d", c.Name, c.Kind)
}

// checkUTF8 returns an error naming the likely encoding when s is not UTF-8.
func checkUTF8(s string) error {
	if utf8.ValidString(s) {
		return nil
	}
	return errors.New("text is not valid UTF-8 (the file may be Latin-1 or Windows-1252: re-save it as UTF-8)")
}
