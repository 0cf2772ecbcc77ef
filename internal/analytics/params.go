package analytics

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// ParamNames lists the parameters ParseParams reads, as CLI flags (--name)
// and API query parameters (?name=). Repeatable ones may also hold
// comma-separated lists, except where.
var ParamNames = []string{"by", "where", "from", "to", "as-of", "min-n", "window", "anchor", "features", "items", "adjust", "resamples", "seed"}

// ParseParams reads report parameters from query-style values: the API
// passes its URL query, the CLI its flags, so both accept exactly the same
// input and give the same numbers.
func ParseParams(v url.Values) (tandem.ReportParams, error) {
	var p tandem.ReportParams
	for k := range v {
		if !slices.Contains(ParamNames, k) {
			return p, tandem.Errorf(tandem.EINVALID, "unknown report parameter %q (one of: %s)", k, strings.Join(ParamNames, ", "))
		}
	}
	p.By = commaList(v["by"])
	for _, w := range v["where"] {
		c, err := ParseCondition(w)
		if err != nil {
			return p, err
		}
		p.Where = append(p.Where, c)
	}
	var err error
	for _, d := range []struct {
		name string
		dst  *time.Time
	}{{"from", &p.From}, {"to", &p.To}, {"as-of", &p.AsOf}} {
		if s := v.Get(d.name); s != "" {
			if *d.dst, err = time.Parse(time.DateOnly, s); err != nil {
				return p, tandem.Errorf(tandem.EINVALID, "--%s %q: want a date as YYYY-MM-DD", d.name, s)
			}
		}
	}
	for _, n := range []struct {
		name string
		dst  *int
	}{{"min-n", &p.MinN}, {"resamples", &p.Resamples}} {
		if s := v.Get(n.name); s != "" {
			if *n.dst, err = strconv.Atoi(s); err != nil || *n.dst < 1 {
				return p, tandem.Errorf(tandem.EINVALID, "--%s %q: want a positive whole number", n.name, s)
			}
		}
	}
	if s := v.Get("seed"); s != "" {
		if p.Seed, err = strconv.ParseUint(s, 10, 64); err != nil || p.Seed == 0 {
			return p, tandem.Errorf(tandem.EINVALID, "--seed %q: want a positive whole number", s)
		}
	}
	if s := v.Get("window"); s != "" {
		if p.WindowDays, err = ParseWindow(s); err != nil {
			return p, err
		}
	}
	p.Anchor = v.Get("anchor")
	p.Items = v.Get("items")
	p.Features = commaList(v["features"])
	p.Adjust = commaList(v["adjust"])
	return p, nil
}

// ParseCondition reads FIELD=VALUE or FIELD!=VALUE.
func ParseCondition(s string) (tandem.Condition, error) {
	if f, val, ok := strings.Cut(s, "!="); ok && f != "" {
		return tandem.Condition{Field: strings.TrimSpace(f), Op: "!=", Value: val}, nil
	}
	if f, val, ok := strings.Cut(s, "="); ok && f != "" {
		return tandem.Condition{Field: strings.TrimSpace(f), Op: "=", Value: val}, nil
	}
	return tandem.Condition{}, tandem.Errorf(tandem.EINVALID, "--where %q: want FIELD=VALUE or FIELD!=VALUE", s)
}

// ParseWindow reads an adoption window: "30d", "30" (days) or "all" (no
// window, returned as -1).
func ParseWindow(s string) (int, error) {
	if s == "all" {
		return -1, nil
	}
	n, err := strconv.Atoi(strings.TrimSuffix(s, "d"))
	if err != nil || n < 1 {
		return 0, tandem.Errorf(tandem.EINVALID, "--window %q: want a number of days such as 30d, or all", s)
	}
	return n, nil
}

func commaList(vals []string) []string {
	var out []string
	for _, v := range vals {
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
	}
	return out
}
