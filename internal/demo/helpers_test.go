package demo

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

// memLoader is a test sink: it keeps every record put, per entity, in order.
type memLoader struct {
	order []string
	rows  map[string][]tandem.Record
	puts  int
	// cancelAfter, when > 0, calls cancel after that many puts.
	cancelAfter int
	cancel      func()
}

func newMemLoader() *memLoader { return &memLoader{rows: map[string][]tandem.Record{}} }

func (m *memLoader) Put(_ context.Context, e *tandem.Entity, r tandem.Record) error {
	if _, ok := m.rows[e.Name]; !ok {
		m.order = append(m.order, e.Name)
	}
	m.rows[e.Name] = append(m.rows[e.Name], r)
	m.puts++
	if m.cancelAfter > 0 && m.puts == m.cancelAfter {
		m.cancel()
	}
	return nil
}

func (m *memLoader) Commit(context.Context) ([]tandem.LoadCount, error) {
	var out []tandem.LoadCount
	for _, n := range m.order {
		out = append(out, tandem.LoadCount{Entity: n, Rows: len(m.rows[n]), Inserted: len(m.rows[n])})
	}
	return out, nil
}

func (m *memLoader) Rollback() error { return nil }

// Audit drops the entry.
func (m *memLoader) Audit(tandem.AuditEntry) {}

// discardLoader drops every record: the benchmark measures generation only.
type discardLoader struct{ n int }

func (d *discardLoader) Put(context.Context, *tandem.Entity, tandem.Record) error {
	d.n++
	return nil
}
func (d *discardLoader) Commit(context.Context) ([]tandem.LoadCount, error) { return nil, nil }

// Audit drops the entry.
func (d *discardLoader) Audit(tandem.AuditEntry) {}
func (d *discardLoader) Rollback() error         { return nil }

// dataset is a generated dataset with typed accessors for the checks.
type dataset struct {
	cfg   Config
	cat   *tandem.Catalog
	m     *memLoader
	stats Stats
}

func generate(t testing.TB, cfg Config) *dataset {
	t.Helper()
	cat := tandem.NewCatalog()
	m := newMemLoader()
	stats, err := Generate(context.Background(), cat, m, cfg, nil)
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return &dataset{cfg: cfg, cat: cat, m: m, stats: stats}
}

// col returns the value of the named column of r.
func (ds *dataset) col(entity string, r tandem.Record, name string) any {
	e, err := ds.cat.Entity(entity)
	if err != nil {
		panic(err)
	}
	_, i := e.Column(name)
	if i < 0 {
		panic("no column " + entity + "." + name)
	}
	return r.Values[i]
}

func (ds *dataset) str(entity string, r tandem.Record, name string) string {
	s, _ := ds.col(entity, r, name).(string)
	return s
}

func (ds *dataset) date(entity string, r tandem.Record, name string) time.Time {
	t, _ := ds.col(entity, r, name).(time.Time)
	return t
}

func (ds *dataset) num(entity string, r tandem.Record, name string) float64 {
	f, _ := ds.col(entity, r, name).(float64)
	return f
}

func (ds *dataset) list(entity string, r tandem.Record, name string) []string {
	l, _ := ds.col(entity, r, name).([]string)
	return l
}

// featureID returns the id of the named feature.
func (ds *dataset) featureID(t testing.TB, name string) string {
	t.Helper()
	for _, r := range ds.m.rows["features"] {
		if ds.str("features", r, "name") == name {
			return r.ID()
		}
	}
	t.Fatalf("no feature %q", name)
	return ""
}

func (ds *dataset) productID(t testing.TB, name string) string {
	t.Helper()
	for _, r := range ds.m.rows["products"] {
		if ds.str("products", r, "name") == name {
			return r.ID()
		}
	}
	t.Fatalf("no product %q", name)
	return ""
}

// dealView is what the effect checks need of a deal.
type dealView struct {
	id, account, outcome, typ, segment string
	amount                             float64
	created, closed                    time.Time
	features, products                 map[string]bool
}

func (ds *dataset) deals() []dealView {
	seg := map[string]string{}
	for _, r := range ds.m.rows["accounts"] {
		seg[r.ID()] = ds.str("accounts", r, "segment")
	}
	var out []dealView
	for _, r := range ds.m.rows["deals"] {
		d := dealView{id: r.ID(), account: ds.str("deals", r, "account_id"), outcome: ds.str("deals", r, "outcome"),
			typ: ds.str("deals", r, "type"), amount: ds.num("deals", r, "amount"),
			created: ds.date("deals", r, "created"), closed: ds.date("deals", r, "closed"),
			features: map[string]bool{}, products: map[string]bool{}}
		d.segment = seg[d.account]
		for _, f := range ds.list("deals", r, "features") {
			d.features[f] = true
		}
		for _, p := range ds.list("deals", r, "products") {
			d.products[p] = true
		}
		out = append(out, d)
	}
	return out
}

// rate is a proportion with its denominator.
type rate struct{ k, n int }

func (r rate) p() float64 {
	if r.n == 0 {
		return math.NaN()
	}
	return float64(r.k) / float64(r.n)
}

func (r *rate) add(hit bool) {
	r.n++
	if hit {
		r.k++
	}
}

// winRates splits closed deals matching keep by whether they carry the tag.
func winRates(deals []dealView, tag string, keep func(dealView) bool) (with, without rate) {
	for _, d := range deals {
		if d.outcome == "open" || !keep(d) {
			continue
		}
		if d.features[tag] {
			with.add(d.outcome == "won")
		} else {
			without.add(d.outcome == "won")
		}
	}
	return with, without
}

func newOrExpansion(d dealView) bool { return d.typ == "new" || d.typ == "expansion" }

// stratifiedDiff is the Mantel–Haenszel weighted difference in win rate with
// and without the tag across segments.
func stratifiedDiff(deals []dealView, tag string) float64 {
	num, den := 0.0, 0.0
	for _, s := range segmentNames() {
		w, wo := winRates(deals, tag, func(d dealView) bool { return newOrExpansion(d) && d.segment == s })
		if w.n == 0 || wo.n == 0 {
			continue
		}
		weight := float64(w.n*wo.n) / float64(w.n+wo.n)
		num += weight * (w.p() - wo.p())
		den += weight
	}
	return num / den
}

// subView is what the renewal and expansion checks need of a subscription.
type subView struct {
	id, account    string
	start          time.Time
	workflow       bool // Workflow Automation adopted within 30 days
	depth          int  // features adopted within 90 days
	renewals       rate // renewal decisions: won / closed renewal deals
	firstYearWonEx int  // won expansion deals created in the first 12 months
}

func (ds *dataset) subscriptions(t testing.TB) []*subView {
	t.Helper()
	wa := ds.featureID(t, FeatureWorkflowAutomation)
	byAccount := map[string]*subView{}
	var out []*subView
	for _, r := range ds.m.rows["subscriptions"] {
		s := &subView{id: r.ID(), account: ds.str("subscriptions", r, "account_id"), start: ds.date("subscriptions", r, "start")}
		if byAccount[s.account] != nil {
			t.Fatalf("account %s has two subscriptions", s.account)
		}
		byAccount[s.account] = s
		out = append(out, s)
	}
	for _, r := range ds.m.rows["adoptions"] {
		s := byAccount[ds.str("adoptions", r, "account_id")]
		days := ds.date("adoptions", r, "adopted_at").Sub(s.start).Hours() / 24
		if days <= depthWindow {
			s.depth++
		}
		if ds.str("adoptions", r, "feature_id") == wa && days <= workflowWindow {
			s.workflow = true
		}
	}
	for _, d := range ds.deals() {
		s := byAccount[d.account]
		if s == nil {
			continue
		}
		switch {
		case d.typ == "renewal" && d.outcome != "open":
			s.renewals.add(d.outcome == "won")
		case d.typ == "expansion" && d.outcome == "won" && d.created.Before(s.start.AddDate(1, 0, 0)):
			s.firstYearWonEx++
		}
	}
	return out
}

// renewalRate pools the renewal decisions of the subscriptions matching keep.
func renewalRate(subs []*subView, keep func(*subView) bool) rate {
	var r rate
	for _, s := range subs {
		if keep(s) {
			r.k += s.renewals.k
			r.n += s.renewals.n
		}
	}
	return r
}

// fingerprint renders every record as text, for comparing runs.
func (ds *dataset) fingerprint() string {
	var b strings.Builder
	for _, name := range ds.m.order {
		for _, r := range ds.m.rows[name] {
			b.WriteString(name)
			for _, v := range r.Values {
				b.WriteByte(',')
				b.WriteString(tandem.FormatValue(v))
			}
			keys := make([]string, 0, len(r.Attrs))
			for k := range r.Attrs {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Fprintf(&b, ",%s=%s", k, r.Attrs[k])
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}
