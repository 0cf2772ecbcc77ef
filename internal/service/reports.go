package service

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
)

// reportCacheSize bounds the cached reports; each is a few kilobytes to a
// few hundred.
const reportCacheSize = 128

// reportCache keeps computed reports until the data changes. A report is a
// pure function of its parameters, the report date and the stored data, so
// the key is the canonical query, today's date and the store's data version
// (which every committed load increases, in any process): a cached report
// is never stale, and pages and API calls for the same view cost one
// computation.
type reportCache struct {
	mu      sync.Mutex
	entries map[string]*tandem.Report
	order   []string // insertion order, for eviction
}

func (c *reportCache) get(key string) *tandem.Report {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entries[key]
}

func (c *reportCache) put(key string, r *tandem.Report) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = make(map[string]*tandem.Report)
	}
	if _, ok := c.entries[key]; ok {
		return
	}
	if len(c.order) >= reportCacheSize {
		delete(c.entries, c.order[0])
		c.order = c.order[1:]
	}
	c.entries[key] = r
	c.order = append(c.order, key)
}

// Report runs a report with the query parameters the CLI takes as flags,
// parsed by the same function (analytics.ParseParams), so both give the
// same numbers. The result is shared between callers: do not modify it.
func (s *Service) Report(ctx context.Context, name string, params url.Values) (*tandem.Report, error) {
	if s.reporter == nil {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "this server has no reports")
	}
	if !slices.ContainsFunc(s.reporter.Reports(), func(ri tandem.ReportInfo) bool { return ri.Name == name }) {
		var names []string
		for _, ri := range s.reporter.Reports() {
			names = append(names, ri.Name)
		}
		return nil, tandem.Errorf(tandem.ENOTFOUND, "no report %q (one of: %s)", name, strings.Join(names, ", "))
	}
	p, err := analytics.ParseParams(params)
	if err != nil {
		return nil, err
	}
	version, err := s.store.DataVersion(ctx)
	if err != nil {
		return nil, err
	}
	key := name + "?" + params.Encode() + "|" + s.now().UTC().Format("2006-01-02") + "|" + itoa(version)
	if r := s.reports.get(key); r != nil {
		return r, nil
	}
	r, err := s.reporter.Run(ctx, name, p)
	if err != nil {
		return nil, err
	}
	s.reports.put(key, r)
	return r, nil
}

// itoa formats an int64.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Reports lists the reports.
func (s *Service) Reports() []tandem.ReportInfo {
	if s.reporter == nil {
		return nil
	}
	return s.reporter.Reports()
}
