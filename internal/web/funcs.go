package web

import (
	"fmt"
	"html/template"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
	"github.com/tandemhq/tandem/internal/auth"
)

// funcs are the template functions every page may use.
func (s *Site) funcs() template.FuncMap {
	return template.FuncMap{
		"static":   s.staticURL,
		"est":      analytics.FormatEstimate,
		"num":      analytics.FormatNumber,
		"ci":       ciText,
		"qtext":    qText,
		"count":    countText,
		"date":     dateText,
		"datetime": dateTimeText,
		"badge":    badgeClass,
		"join":     strings.Join,
		"add":      func(a, b int) int { return a + b },
		"anchor":   anchorID,
		"dict":     dict,
		"pathesc":  url.PathEscape,
		"plain":    func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) },
		"hasRole":  slices.Contains[[]tandem.Role],
		"minpw":    func() int { return auth.MinPasswordLen },
	}
}

// ciText is an estimate's 95% interval as "[low, high]", or "–" without one.
func ciText(unit string, e tandem.Estimate) string {
	if math.IsNaN(e.CILow) && math.IsNaN(e.CIHigh) {
		return "–"
	}
	return "[" + analytics.FormatNumber(unit, e.CILow) + ", " + analytics.FormatNumber(unit, e.CIHigh) + "]"
}

// qText is an estimate's Benjamini–Hochberg q-value, or "–".
func qText(e tandem.Estimate) string {
	if math.IsNaN(e.Q) {
		return "–"
	}
	return strconv.FormatFloat(e.Q, 'g', 3, 64)
}

// countText writes a whole number with thousands separators.
func countText(n int) string { return analytics.FormatNumber("money", float64(n)) }

// dateText is a date as YYYY-MM-DD, or "" for the zero time.
func dateText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// dateTimeText is a time as "2006-01-02 15:04 UTC", or "" for the zero time.
func dateTimeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04") + " UTC"
}

// badgeClass is the CSS class of a badge for an outcome, a lifecycle status
// or a subscription status.
func badgeClass(v string) string {
	switch v {
	case "won", "ga", "active", "yes":
		return "badge badge-good"
	case "lost", "deprecated", "churned", "disabled", "revoked", "expired":
		return "badge badge-bad"
	case "beta":
		return "badge badge-warn"
	case "planned", "open":
		return "badge badge-info"
	}
	return "badge"
}

// anchorID turns any text into a safe fragment identifier.
func anchorID(prefix, s string) string {
	var b strings.Builder
	b.WriteString(prefix)
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			b.WriteByte('-')
		}
	}
	return b.String()
}

// dict builds a map from alternating keys and values, to pass several
// values to a sub-template.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, fmt.Errorf("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, fmt.Errorf("dict: key %v is not a string", kv[i])
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// rec is a record with its entity, read by column name in templates.
type rec struct {
	e *tandem.Entity
	r tandem.Record
}

// ID is the record's id.
func (x rec) ID() string { return x.r.ID() }

// Get returns the value of a column, nil when empty or unknown.
func (x rec) Get(col string) any {
	if strings.HasPrefix(col, "attr.") {
		if v, ok := x.r.Attrs[strings.TrimPrefix(col, "attr.")]; ok {
			return v
		}
		return nil
	}
	_, i := x.e.Column(col)
	if i < 0 || i >= len(x.r.Values) {
		return nil
	}
	if _, absent := x.r.Values[i].(tandem.Absent); absent {
		return nil
	}
	return x.r.Values[i]
}

// Text renders a column's value for people: dates as YYYY-MM-DD, numbers
// as written, lists joined with ", ".
func (x rec) Text(col string) string {
	switch v := x.Get(col).(type) {
	case nil:
		return ""
	case time.Time:
		if v.Hour() == 0 && v.Minute() == 0 && v.Second() == 0 {
			return dateText(v)
		}
		return dateTimeText(v)
	case []string:
		return strings.Join(v, ", ")
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return ""
		}
		c, _ := x.e.Column(col)
		if c != nil && c.NonNegative && c.Name != "quantity" && c.Name != "count" {
			return analytics.FormatNumber("money", v)
		}
		return tandem.FormatValue(v)
	case int64:
		return analytics.FormatNumber("money", float64(v))
	default:
		return tandem.FormatValue(v)
	}
}

// Money renders an amount column with the record's currency, if any.
func (x rec) Money(col string) string {
	t := x.Text(col)
	if t == "" {
		return ""
	}
	if cur, _ := x.Get("currency").(string); cur != "" {
		return t + " " + cur
	}
	return t
}

// List returns a list column's items.
func (x rec) List(col string) []string {
	v, _ := x.Get(col).([]string)
	return v
}

// Attrs returns the record's custom attributes.
func (x rec) Attrs() map[string]string { return x.r.Attrs }

// Title is the record's name, or its id when it has none.
func (x rec) Title() string {
	if n, _ := x.Get("name").(string); n != "" {
		return n
	}
	return x.r.ID()
}
