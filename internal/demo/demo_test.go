package demo

import (
	"context"
	"errors"
	"flag"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

var update = flag.Bool("update", false, "rewrite the effect table in EFFECTS.md from Effects()")

func TestDeterministic(t *testing.T) {
	a := generate(t, DefaultConfig()).fingerprint()
	b := generate(t, DefaultConfig()).fingerprint()
	if a != b {
		i := 0
		for i < len(a) && i < len(b) && a[i] == b[i] {
			i++
		}
		t.Fatalf("two runs with the same seed differ at byte %d: %q vs %q", i, excerpt(a, i), excerpt(b, i))
	}
	other := DefaultConfig()
	other.Seed = 2
	c := generate(t, other).fingerprint()
	if a == c {
		t.Fatal("seeds 1 and 2 generated the same data")
	}
	// Every entity with random content differs, not just one of them.
	la, lc := strings.Split(a, "\n"), strings.Split(c, "\n")
	same := map[string]int{}
	total := map[string]int{}
	for i := 0; i < len(la) && i < len(lc); i++ {
		name, _, _ := strings.Cut(la[i], ",")
		total[name]++
		if la[i] == lc[i] {
			same[name]++
		}
	}
	for _, name := range []string{"accounts", "leads", "deals", "deal_stages", "subscriptions", "usage"} {
		if total[name] > 0 && same[name]*2 > total[name] {
			t.Errorf("%s: %d of %d rows identical across seeds", name, same[name], total[name])
		}
	}
}

func excerpt(s string, i int) string {
	lo, hi := max(0, i-40), min(len(s), i+40)
	return s[lo:hi]
}

// edgeConfigs are small and unusual configurations that must still produce
// consistent data.
func edgeConfigs() map[string]Config {
	tiny := DefaultConfig()
	tiny.Accounts, tiny.Deals, tiny.Products, tiny.Features, tiny.Reps, tiny.UsageRows = 30, 200, 2, 10, 3, 500
	short := DefaultConfig().Scaled(3000)
	short.Start = time.Date(2025, 3, 15, 13, 45, 0, 0, time.FixedZone("CET", 3600))
	short.End = time.Date(2026, 4, 20, 0, 0, 0, 0, time.UTC)
	dense := DefaultConfig()
	dense.Accounts, dense.Deals, dense.Features, dense.Products, dense.UsageRows = 40, 4000, 120, 20, 0
	sparse := DefaultConfig()
	sparse.Accounts, sparse.Deals, sparse.Reps = 3000, 500, 200
	return map[string]Config{"default": DefaultConfig(), "tiny": tiny, "short period": short, "dense": dense, "sparse": sparse}
}

func TestIntegrity(t *testing.T) {
	for name, cfg := range edgeConfigs() {
		t.Run(name, func(t *testing.T) {
			ds := generate(t, cfg)
			checkRecords(t, ds)
			checkDeals(t, ds)
			checkStages(t, ds)
			checkReps(t, ds)
			checkCustomers(t, ds)
			checkUsage(t, ds)
			checkLineItems(t, ds)
			if n := len(ds.m.rows["deals"]); n != cfg.Deals {
				t.Errorf("%d deals, want exactly %d", n, cfg.Deals)
			}
		})
	}
}

// checkRecords applies the catalog's contract to every record: entity order,
// value types by kind, required columns, enums, non-negative numbers, unique
// ids, and references to rows written earlier.
func checkRecords(t *testing.T, ds *dataset) {
	// The demo generates no imported quotes (a CPQ's export): deal-desk
	// quotes are made in the desk.
	notGenerated := []string{"quotes", "quote_lines"}
	want := slices.DeleteFunc(ds.cat.Names(), func(n string) bool { return slices.Contains(notGenerated, n) })
	if !slices.Equal(ds.m.order, want) {
		t.Errorf("entities written in order %v, want %v", ds.m.order, want)
	}
	ids := map[string]map[string]bool{}
	for _, e := range ds.cat.Entities() {
		rows := ds.m.rows[e.Name]
		if len(rows) == 0 && !slices.Contains(notGenerated, e.Name) {
			t.Errorf("%s: no rows", e.Name)
		}
		if ds.stats.Rows[e.Name] != len(rows) {
			t.Errorf("%s: Stats says %d rows, %d put", e.Name, ds.stats.Rows[e.Name], len(rows))
		}
		ids[e.Name] = map[string]bool{}
		errs := 0
		bad := func(r tandem.Record, format string, args ...any) {
			if errs++; errs <= 5 {
				t.Errorf("%s %s: "+format, append([]any{e.Name, r.ID()}, args...)...)
			}
		}
		for _, r := range rows {
			if len(r.Values) != len(e.Columns) {
				bad(r, "%d values for %d columns", len(r.Values), len(e.Columns))
				continue
			}
			id := r.ID()
			if id == "" || ids[e.Name][id] {
				bad(r, "empty or duplicate id")
			}
			for i, c := range e.Columns {
				v := r.Values[i]
				if v == nil {
					if c.Required {
						bad(r, "required column %s is empty", c.Name)
					}
					continue
				}
				if !kindOK(c.Kind, v) {
					bad(r, "column %s holds %T, not a %s", c.Name, v, c.Kind)
					continue
				}
				if c.Kind == tandem.KindEnum && !slices.Contains(c.Enum, v.(string)) {
					bad(r, "column %s: %q is not one of %v", c.Name, v, c.Enum)
				}
				if c.NonNegative && toFloat(v) < 0 {
					bad(r, "column %s is negative: %v", c.Name, v)
				}
				if tm, ok := v.(time.Time); ok && (tm.Location() != time.UTC || !tm.Equal(truncDay(tm))) {
					bad(r, "column %s: %v is not a UTC day", c.Name, tm)
				}
				if c.Ref == "" {
					continue
				}
				refs := []string{}
				switch x := v.(type) {
				case string:
					refs = append(refs, x)
				case []string:
					refs = x
				}
				for _, ref := range refs {
					if !ids[c.Ref][ref] {
						bad(r, "column %s refers to %s %q, not written before", c.Name, c.Ref, ref)
					}
				}
			}
			ids[e.Name][id] = true
		}
	}
}

func kindOK(k tandem.Kind, v any) bool {
	switch v.(type) {
	case string:
		return k == tandem.KindText || k == tandem.KindEnum
	case int64:
		return k == tandem.KindInt
	case float64:
		return k == tandem.KindFloat
	case time.Time:
		return k == tandem.KindDate
	case bool:
		return k == tandem.KindBool
	case []string:
		return k == tandem.KindList
	}
	return false
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	}
	return 0
}

func checkDeals(t *testing.T, ds *dataset) {
	end := ds.cfg.End
	leadUsed := map[string]bool{}
	leads := map[string]tandem.Record{}
	for _, r := range ds.m.rows["leads"] {
		leads[r.ID()] = r
		if q := ds.date("leads", r, "qualified_at"); !q.IsZero() && q.Before(ds.date("leads", r, "created")) {
			t.Errorf("lead %s qualified before it was created", r.ID())
		}
	}
	reasons := lossReasonNames()
	pipeline := stageNames()[:4]
	for _, r := range ds.m.rows["deals"] {
		id, stage, outcome, typ := r.ID(), ds.str("deals", r, "stage"), ds.str("deals", r, "outcome"), ds.str("deals", r, "type")
		created, closed := ds.date("deals", r, "created"), ds.date("deals", r, "closed")
		var want bool
		switch outcome {
		case "won":
			want = stage == "Closed Won" && !closed.After(end)
		case "lost":
			want = stage == "Closed Lost" && !closed.After(end)
		case "open":
			want = slices.Contains(pipeline, stage) && closed.After(end)
		}
		if !want {
			t.Errorf("deal %s: outcome %s, stage %s, closed %s (period ends %s)", id, outcome, stage, closed.Format(time.DateOnly), end.Format(time.DateOnly))
		}
		if closed.Before(created) || created.After(end) || created.Before(truncDay(ds.cfg.Start)) {
			t.Errorf("deal %s: created %s, closed %s", id, created.Format(time.DateOnly), closed.Format(time.DateOnly))
		}
		if ds.num("deals", r, "amount") <= 0 || ds.str("deals", r, "currency") != "USD" {
			t.Errorf("deal %s: amount %v %s", id, ds.col("deals", r, "amount"), ds.str("deals", r, "currency"))
		}
		loss := ds.list("deals", r, "loss_reasons")
		if (outcome == "lost") != (len(loss) > 0) {
			t.Errorf("deal %s: outcome %s with loss reasons %v", id, outcome, loss)
		}
		for _, l := range loss {
			if !slices.Contains(reasons, l) {
				t.Errorf("deal %s: loss reason %q not in the fixed list", id, l)
			}
		}
		if len(ds.list("deals", r, "products")) == 0 {
			t.Errorf("deal %s has no products", id)
		}
		lead := ds.str("deals", r, "lead_id")
		if (typ == "new") != (lead != "") || (typ == "new") != (ds.str("deals", r, "source") != "") {
			t.Errorf("deal %s: type %s with lead %q and source %q", id, typ, lead, ds.str("deals", r, "source"))
		}
		if lead != "" {
			l := leads[lead]
			if leadUsed[lead] {
				t.Errorf("lead %s converted twice", lead)
			}
			leadUsed[lead] = true
			if ds.str("leads", l, "status") != "converted" || ds.date("leads", l, "created").After(created) ||
				ds.date("leads", l, "qualified_at").After(created) || ds.str("leads", l, "account_id") != ds.str("deals", r, "account_id") {
				t.Errorf("deal %s: lead %s does not lead to it", id, lead)
			}
		}
	}
	for id, l := range leads {
		if ds.str("leads", l, "status") == "converted" && !leadUsed[id] {
			t.Errorf("lead %s is converted but no deal names it", id)
		}
	}
}

// checkStages checks the stage history against the deals: pipeline order,
// dates that never go back, the first stage on the created date, the last one
// the deal's current stage, on its close date when closed.
func checkStages(t *testing.T, ds *dataset) {
	order := map[string]int{}
	for i, s := range stageNames() {
		order[s] = i
	}
	history := map[string][]tandem.Record{}
	for _, r := range ds.m.rows["deal_stages"] {
		d := ds.str("deal_stages", r, "deal_id")
		history[d] = append(history[d], r)
		want := d + "|" + ds.str("deal_stages", r, "stage") + "|" + tandem.FormatValue(ds.col("deal_stages", r, "entered_at"))
		if r.ID() != want {
			t.Errorf("stage id %q, want the derived %q", r.ID(), want)
		}
	}
	errs := 0
	for _, r := range ds.m.rows["deals"] {
		h := history[r.ID()]
		fail := func(format string, args ...any) {
			if errs++; errs <= 5 {
				t.Errorf("deal %s: "+format, append([]any{r.ID()}, args...)...)
			}
		}
		if len(h) == 0 {
			fail("no stage history")
			continue
		}
		first, last := h[0], h[len(h)-1]
		if ds.str("deal_stages", first, "stage") != "Prospecting" || !ds.date("deal_stages", first, "entered_at").Equal(ds.date("deals", r, "created")) {
			fail("history starts with %s on %v", ds.str("deal_stages", first, "stage"), ds.date("deal_stages", first, "entered_at"))
		}
		if ds.str("deal_stages", last, "stage") != ds.str("deals", r, "stage") {
			fail("history ends in %s, deal is in %s", ds.str("deal_stages", last, "stage"), ds.str("deals", r, "stage"))
		}
		if ds.str("deals", r, "outcome") != "open" && !ds.date("deal_stages", last, "entered_at").Equal(ds.date("deals", r, "closed")) {
			fail("closing stage entered %v, deal closed %v", ds.date("deal_stages", last, "entered_at"), ds.date("deals", r, "closed"))
		}
		for i := 1; i < len(h); i++ {
			a, b := h[i-1], h[i]
			if order[ds.str("deal_stages", b, "stage")] <= order[ds.str("deal_stages", a, "stage")] ||
				ds.date("deal_stages", b, "entered_at").Before(ds.date("deal_stages", a, "entered_at")) ||
				ds.date("deal_stages", b, "entered_at").After(ds.cfg.End) {
				fail("stage %s (%v) after %s (%v)", ds.str("deal_stages", b, "stage"), ds.date("deal_stages", b, "entered_at"),
					ds.str("deal_stages", a, "stage"), ds.date("deal_stages", a, "entered_at"))
			}
		}
		if ds.str("deals", r, "outcome") == "won" && len(h) != 5 {
			fail("won after %d stages, want all four then Closed Won", len(h))
		}
	}
}

func checkReps(t *testing.T, ds *dataset) {
	reps := map[string]tandem.Record{}
	for _, r := range ds.m.rows["reps"] {
		reps[r.ID()] = r
	}
	vps := 0
	for _, r := range ds.m.rows["reps"] {
		role, mgr := ds.str("reps", r, "role"), ds.str("reps", r, "manager")
		switch role {
		case "VP Sales":
			vps++
			if mgr != "" {
				t.Errorf("VP %s has manager %s", r.ID(), mgr)
			}
		case "Sales Manager":
			if ds.str("reps", reps[mgr], "role") != "VP Sales" {
				t.Errorf("manager %s reports to %q", r.ID(), mgr)
			}
		default:
			m, ok := reps[mgr]
			if !ok || ds.str("reps", m, "role") != "Sales Manager" || ds.str("reps", m, "team") != ds.str("reps", r, "team") {
				t.Errorf("rep %s (%s) reports to %q, not the manager of the team", r.ID(), ds.str("reps", r, "team"), mgr)
			}
		}
	}
	if vps != 1 {
		t.Errorf("%d VPs, want 1", vps)
	}
	for _, r := range ds.m.rows["deals"] {
		if role := ds.str("reps", reps[ds.str("deals", r, "rep_id")], "role"); role != "Account Executive" {
			t.Fatalf("deal %s owned by a %s", r.ID(), role)
		}
	}
}

// checkCustomers checks subscriptions against the won new deals, renewals,
// churn events and adoptions.
func checkCustomers(t *testing.T, ds *dataset) {
	end := ds.cfg.End
	wonNew := map[string]time.Time{}
	for _, r := range ds.m.rows["deals"] {
		if ds.str("deals", r, "type") == "new" && ds.str("deals", r, "outcome") == "won" {
			a := ds.str("deals", r, "account_id")
			if _, dup := wonNew[a]; dup {
				t.Errorf("account %s won two new deals", a)
			}
			wonNew[a] = ds.date("deals", r, "closed")
		}
	}
	subs := map[string]tandem.Record{}
	subByAccount := map[string]tandem.Record{}
	for _, r := range ds.m.rows["subscriptions"] {
		a := ds.str("subscriptions", r, "account_id")
		subs[r.ID()], subByAccount[a] = r, r
		start, stop := ds.date("subscriptions", r, "start"), ds.date("subscriptions", r, "end")
		if closed, ok := wonNew[a]; !ok || !closed.Equal(start) {
			t.Errorf("subscription %s starts %v, account's won new deal closed %v", r.ID(), start, closed)
		}
		if !stop.After(start) {
			t.Errorf("subscription %s ends %v before it starts %v", r.ID(), stop, start)
		}
		churned := ds.date("subscriptions", r, "churned_at")
		switch ds.str("subscriptions", r, "status") {
		case "churned":
			if churned.IsZero() || churned.After(end) || !churned.Equal(stop) {
				t.Errorf("churned subscription %s: churned_at %v, end %v", r.ID(), churned, stop)
			}
		case "active":
			if !churned.IsZero() || !stop.After(end) {
				t.Errorf("active subscription %s: churned_at %v, end %v", r.ID(), churned, stop)
			}
		}
	}
	if len(subs) != len(wonNew) {
		t.Errorf("%d subscriptions for %d won new deals", len(subs), len(wonNew))
	}
	for _, r := range ds.m.rows["deals"] {
		if ds.str("deals", r, "type") == "new" {
			continue
		}
		s, ok := subByAccount[ds.str("deals", r, "account_id")]
		if !ok || ds.date("deals", r, "created").Before(ds.date("subscriptions", s, "start")) {
			t.Errorf("%s deal %s without a subscription in force", ds.str("deals", r, "type"), r.ID())
		}
	}
	churnEvents := 0
	for _, r := range ds.m.rows["churn_events"] {
		churnEvents++
		s := subs[ds.str("churn_events", r, "subscription_id")]
		if ds.str("subscriptions", s, "status") != "churned" || !ds.date("subscriptions", s, "churned_at").Equal(ds.date("churn_events", r, "at")) ||
			ds.str("subscriptions", s, "account_id") != ds.str("churn_events", r, "account_id") || !slices.Contains(churnReasonNames(), ds.str("churn_events", r, "reason")) {
			t.Errorf("churn event %s does not match subscription %s", r.ID(), s.ID())
		}
	}
	churned := 0
	for _, s := range subs {
		if ds.str("subscriptions", s, "status") == "churned" {
			churned++
		}
	}
	if churnEvents != churned {
		t.Errorf("%d churn events for %d churned subscriptions", churnEvents, churned)
	}
	released := map[string]time.Time{}
	for _, r := range ds.m.rows["features"] {
		released[r.ID()] = ds.date("features", r, "released_at")
	}
	for _, r := range ds.m.rows["adoptions"] {
		s := subByAccount[ds.str("adoptions", r, "account_id")]
		at := ds.date("adoptions", r, "adopted_at")
		f := ds.str("adoptions", r, "feature_id")
		if at.Before(ds.date("subscriptions", s, "start")) || at.After(end) || released[f].IsZero() || released[f].After(at) {
			t.Errorf("adoption %s on %v (subscription from %v, feature released %v)", r.ID(), at, ds.date("subscriptions", s, "start"), released[f])
		}
		if want := ds.str("adoptions", r, "account_id") + "|" + f; r.ID() != want {
			t.Errorf("adoption id %q, want the derived %q", r.ID(), want)
		}
	}
	for _, r := range ds.m.rows["tickets"] {
		opened, closed := ds.date("tickets", r, "opened"), ds.date("tickets", r, "closed")
		if (ds.str("tickets", r, "status") == "closed") == closed.IsZero() || (!closed.IsZero() && closed.Before(opened)) || opened.After(end) {
			t.Errorf("ticket %s: %s, opened %v, closed %v", r.ID(), ds.str("tickets", r, "status"), opened, closed)
		}
	}
}

func checkUsage(t *testing.T, ds *dataset) {
	adopted := map[string]time.Time{}
	for _, r := range ds.m.rows["adoptions"] {
		adopted[r.ID()] = ds.date("adoptions", r, "adopted_at")
	}
	subs := map[string]tandem.Record{}
	for _, r := range ds.m.rows["subscriptions"] {
		subs[r.ID()] = r
	}
	period := ds.stats.UsagePeriodDays
	if period != 1 && period != 7 {
		t.Fatalf("usage period %d days", period)
	}
	errs := 0
	for _, r := range ds.m.rows["usage"] {
		a, f := ds.str("usage", r, "account_id"), ds.str("usage", r, "feature_id")
		at := ds.date("usage", r, "at")
		s := subs[ds.str("usage", r, "subscription_id")]
		adoptedAt, ok := adopted[a+"|"+f]
		churned := ds.date("subscriptions", s, "churned_at")
		if !ok || at.Before(adoptedAt) || at.After(ds.cfg.End) || ds.str("subscriptions", s, "account_id") != a ||
			(!churned.IsZero() && !at.Before(churned)) || ds.num("usage", r, "count") < 1 || (period == 7 && at.Weekday() != time.Monday) {
			if errs++; errs <= 5 {
				t.Errorf("usage %s: %s %s on %v (adopted %v, subscription %s churned %v)", r.ID(), a, f, at, adoptedAt, s.ID(), churned)
			}
		}
	}
	target := ds.cfg.UsageRows
	if target == 0 {
		target = 10 * ds.cfg.Deals
	}
	if n := len(ds.m.rows["usage"]); n > target+target/20+100 {
		t.Errorf("%d usage rows, target %d", n, target)
	}
}

func checkLineItems(t *testing.T, ds *dataset) {
	sum := map[string]float64{}
	for _, r := range ds.m.rows["line_items"] {
		q, u, a := ds.num("line_items", r, "quantity"), ds.num("line_items", r, "unit_price"), ds.num("line_items", r, "amount")
		if q < 1 || a <= 0 || abs(q*u-a) > q*0.005+0.01 {
			t.Errorf("line item %s: %v × %v = %v", r.ID(), q, u, a)
		}
		sum[ds.str("line_items", r, "deal_id")] += a
	}
	for _, r := range ds.m.rows["deals"] {
		s, ok := sum[r.ID()]
		if ok != (r.Attrs["source_system"] == "salesforce") {
			t.Errorf("deal %s from %s has line items: %v", r.ID(), r.Attrs["source_system"], ok)
		}
		if ok && abs(s-ds.num("deals", r, "amount")) > 0.005 {
			t.Errorf("deal %s: line items sum to %.2f, amount %.2f", r.ID(), s, ds.num("deals", r, "amount"))
		}
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func TestCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := newMemLoader()
	m.cancelAfter, m.cancel = 5000, cancel
	start := time.Now()
	stats, err := Generate(ctx, tandem.NewCatalog(), m, DefaultConfig(), nil)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Generate after cancel: %v, want context.Canceled", err)
	}
	if m.puts > 5000+1024 {
		t.Errorf("%d puts after cancelling at 5000", m.puts)
	}
	total := 0
	for _, n := range stats.Rows {
		total += n
	}
	if total > m.puts {
		t.Errorf("Stats count %d rows, %d put", total, m.puts)
	}
	// A context cancelled before the start stops during planning.
	done, cancel2 := context.WithCancel(context.Background())
	cancel2()
	m2 := newMemLoader()
	if _, err := Generate(done, tandem.NewCatalog(), m2, BenchConfig(), nil); !errors.Is(err, context.Canceled) || m2.puts != 0 {
		t.Fatalf("Generate with a cancelled context: %v after %d puts", err, m2.puts)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cancellation took %v", d)
	}
}

type failingLoader struct{ memLoader }

func (f *failingLoader) Put(ctx context.Context, e *tandem.Entity, r tandem.Record) error {
	if e.Name == "deals" {
		return tandem.Errorf(tandem.EINVALID, "bad deal")
	}
	return f.memLoader.Put(ctx, e, r)
}

func TestLoaderError(t *testing.T) {
	f := &failingLoader{memLoader: *newMemLoader()}
	_, err := Generate(context.Background(), tandem.NewCatalog(), f, DefaultConfig().Scaled(1000), nil)
	if tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(err.Error(), "deals") {
		t.Fatalf("Generate with a failing loader: %v, want the loader's EINVALID error naming deals", err)
	}
}

func TestProgress(t *testing.T) {
	type call struct {
		entity      string
		done, total int
	}
	var calls []call
	cfg := DefaultConfig().Scaled(2000)
	stats, err := Generate(context.Background(), tandem.NewCatalog(), newMemLoader(), cfg, func(e string, done, total int) {
		calls = append(calls, call{e, done, total})
	})
	if err != nil {
		t.Fatal(err)
	}
	last := map[string]call{}
	for _, c := range calls {
		if p, ok := last[c.entity]; ok && (c.done < p.done || c.total != p.total) {
			t.Errorf("%s: progress went from %d/%d to %d/%d", c.entity, p.done, p.total, c.done, c.total)
		}
		last[c.entity] = c
	}
	for e, c := range last {
		if c.done != c.total || c.done != stats.Rows[e] {
			t.Errorf("%s: progress ended at %d/%d, %d rows written", e, c.done, c.total, stats.Rows[e])
		}
	}
}

func TestConfig(t *testing.T) {
	base := DefaultConfig()
	tests := []struct {
		name   string
		change func(*Config)
		ok     bool
	}{
		{"default", func(*Config) {}, true},
		{"no accounts", func(c *Config) { c.Accounts = 0 }, false},
		{"no deals", func(c *Config) { c.Deals = 0 }, false},
		{"one product", func(c *Config) { c.Products = 1 }, false},
		{"too many products", func(c *Config) { c.Products = 65 }, false},
		{"few features", func(c *Config) { c.Features = 9 }, false},
		{"two reps", func(c *Config) { c.Reps = 2 }, false},
		{"negative usage", func(c *Config) { c.UsageRows = -1 }, false},
		{"no start", func(c *Config) { c.Start = time.Time{} }, false},
		{"end before start", func(c *Config) { c.Start, c.End = c.End, c.Start }, false},
		{"half a year", func(c *Config) { c.Start = c.End.AddDate(0, -6, 0) }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			tt.change(&c)
			_, err := c.validate()
			if (err == nil) != tt.ok {
				t.Fatalf("validate: %v, want ok %v", err, tt.ok)
			}
			if err != nil && tandem.ErrorCode(err) != tandem.EINVALID {
				t.Errorf("error code %s, want %s", tandem.ErrorCode(err), tandem.EINVALID)
			}
		})
	}
	if _, err := Generate(context.Background(), tandem.NewCatalog(), newMemLoader(), Config{}, nil); tandem.ErrorCode(err) != tandem.EINVALID {
		t.Errorf("Generate with a zero Config: %v", err)
	}
}

func TestScaled(t *testing.T) {
	tests := []struct {
		from                       Config
		deals                      int
		accounts, reps, usage, fts int
	}{
		{DefaultConfig(), 20_000, 2_000, 60, 200_000, 60},
		{DefaultConfig(), 5_000, 500, 15, 50_000, 60},
		{DefaultConfig(), 10, 1, 3, 100, 60},
		{BenchConfig(), 2_000_000, 200_000, 2_000, 20_000_000, 300},
		{DefaultConfig(), 0, 2_000, 60, 200_000, 60},
	}
	for _, tt := range tests {
		c := tt.from.Scaled(tt.deals)
		if tt.deals > 0 && c.Deals != tt.deals || c.Accounts != tt.accounts || c.Reps != tt.reps || c.UsageRows != tt.usage || c.Features != tt.fts {
			t.Errorf("Scaled(%d) = %+v", tt.deals, c)
		}
	}
}

// TestEffectsDoc keeps EFFECTS.md's table in step with Effects(); run with
// -update to rewrite it.
func TestEffectsDoc(t *testing.T) {
	const begin, end = "<!-- effects:begin -->\n", "<!-- effects:end -->"
	doc, err := os.ReadFile("EFFECTS.md")
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok1 := strings.Cut(string(doc), begin)
	_, after, ok2 := strings.Cut(rest, end)
	if !ok1 || !ok2 {
		t.Fatalf("EFFECTS.md lacks the %q and %q markers", begin, end)
	}
	var b strings.Builder
	b.WriteString("| feature or product | metric | size | mechanism |\n|---|---|---|---|\n")
	for _, e := range Effects() {
		b.WriteString("| " + e.Subject + " | " + e.Metric + " | " + e.Size + " | " + e.Mechanism + " |\n")
	}
	table := b.String()
	if *update {
		if err := os.WriteFile("EFFECTS.md", []byte(before+begin+table+end+after), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got := rest[:strings.Index(rest, end)]; got != table {
		t.Errorf("EFFECTS.md's table is out of date; run go test -run TestEffectsDoc -update\ngot:\n%s\nwant:\n%s", got, table)
	}
}
