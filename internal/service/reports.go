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

// The view cache's bounds. Views are weighed by their rows (a report's
// groups, a list's records; a detail weighs 1), about a kilobyte each: the
// cache holds at most viewCacheWeight of them (some 50 MB), and a view
// heavier than maxViewWeight (a report by id, say) is computed but not
// kept, so no parameters can make the cache grow without bound.
const (
	viewCacheSize   = 512
	viewCacheWeight = 50_000
	maxViewWeight   = 5_000
)

// viewCache keeps computed views until the data changes. A report, a page
// of a list or a deal's detail is a pure function of its parameters, the
// date and the stored data, so the key holds the canonical query, today's
// date and the store's data version (which every committed load increases,
// in any process): a cached view is never stale, and pages and API calls
// for the same view cost one computation. Values are shared: callers must
// not modify them.
type viewCache struct {
	mu      sync.Mutex
	entries map[string]cachedView
	order   []string // insertion order, for eviction
	weight  int
}

// cachedView is a cache entry and its weight.
type cachedView struct {
	v      any
	weight int
}

func (c *viewCache) get(key string) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entries[key].v
}

func (c *viewCache) put(key string, v any, weight int) {
	if weight > maxViewWeight {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.entries == nil {
		c.entries = make(map[string]cachedView)
	}
	if _, ok := c.entries[key]; ok {
		return
	}
	for len(c.order) > 0 && (len(c.order) >= viewCacheSize || c.weight+weight > viewCacheWeight) {
		c.weight -= c.entries[c.order[0]].weight
		delete(c.entries, c.order[0])
		c.order = c.order[1:]
	}
	c.entries[key] = cachedView{v, weight}
	c.order = append(c.order, key)
	c.weight += weight
}

// viewWeight is a view's weight in the cache.
func viewWeight(v any) int {
	switch x := v.(type) {
	case *tandem.Report:
		n := len(x.Groups) + len(x.Apart)
		for _, sec := range x.Sections {
			n += len(sec.Groups)
		}
		return max(1, n)
	case *ListResult:
		return max(1, len(x.Page.Records))
	}
	return 1
}

// cached returns the view under key at the store's current data version,
// computing and keeping it on a miss.
func cached[T any](ctx context.Context, s *Service, key string, compute func() (T, error)) (T, error) {
	var zero T
	version, err := s.store.DataVersion(ctx)
	if err != nil {
		return zero, err
	}
	key += "|" + s.now().UTC().Format("2006-01-02") + "|" + strconv.FormatInt(version, 10)
	if v, ok := s.views.get(key).(T); ok {
		return v, nil
	}
	v, err := compute()
	if err != nil {
		return zero, err
	}
	s.views.put(key, v, viewWeight(v))
	return v, nil
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
	return cached(ctx, s, "report|"+name+"?"+params.Encode(), func() (*tandem.Report, error) {
		return s.reporter.Run(ctx, name, p)
	})
}

// Reports lists the reports.
func (s *Service) Reports() []tandem.ReportInfo {
	if s.reporter == nil {
		return nil
	}
	return s.reporter.Reports()
}
