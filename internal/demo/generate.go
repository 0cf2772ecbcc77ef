package demo

import (
	"context"
	"fmt"
	"math"

	"github.com/tandemhq/tandem"
)

// Stats says what Generate wrote.
type Stats struct {
	// Rows is the number of records put, per entity name.
	Rows map[string]int `json:"rows"`
	// UsagePeriodDays is the length of a usage rollup: 1 (daily) or 7
	// (weekly, each row dated the Monday that starts its week).
	UsagePeriodDays int `json:"usage_period_days"`
}

// Generate writes a deterministic demo dataset through l, one entity at a
// time in the catalog's (dependency) order, and reports progress per entity
// (done rows out of total, at the start, every 16,384 rows and at the end).
// The caller commits or rolls back l. Generate stops within about a thousand
// rows when ctx is cancelled and returns the context's error; the Stats
// returned with an error count what was put before it.
//
// Records follow the catalog's column order: values are placed by column
// name, columns the generator does not know are left nil, and entities it
// does not know are skipped. Dates are midnight UTC. Ids are deterministic:
// "acc-0001", "deal-00001", ...; deal stages and adoptions use the ids the
// importer would derive from their key columns; usage rows are "u-<n>".
// Values of different records never share a slice, but records do share
// immutable boxed values (ids, dates) to keep allocation low.
func Generate(ctx context.Context, cat *tandem.Catalog, l tandem.Loader, cfg Config, progress func(entity string, done, total int)) (Stats, error) {
	stats := Stats{Rows: map[string]int{}}
	cfg, err := cfg.validate()
	if err != nil {
		return stats, err
	}
	if progress == nil {
		progress = func(string, int, int) {}
	}
	p, err := plan(ctx, cfg)
	if err != nil {
		return stats, err
	}
	p.box()
	w := &writer{ctx: ctx, l: l, progress: progress, rows: stats.Rows}
	for _, e := range cat.Entities() {
		w.begin(e)
		switch e.Name {
		case "accounts":
			err = p.writeAccounts(w)
		case "reps":
			err = p.writeReps(w)
		case "leads":
			err = p.writeLeads(w)
		case "products":
			err = p.writeProducts(w)
		case "features":
			err = p.writeFeatures(w)
		case "deals":
			err = p.writeDeals(w)
		case "deal_stages":
			err = p.writeDealStages(w)
		case "line_items":
			err = p.writeLineItems(w)
		case "subscriptions":
			err = p.writeSubscriptions(w)
		case "usage":
			stats.UsagePeriodDays, err = p.writeUsage(w)
		case "adoptions":
			err = p.writeAdoptions(w)
		case "tickets":
			err = p.writeTickets(w)
		case "churn_events":
			err = p.writeChurnEvents(w)
		case "glossary":
			err = p.writeGlossary(w)
		default:
			continue
		}
		if err != nil {
			stats.Rows[e.Name] = w.done
			return stats, err
		}
		w.finish()
	}
	return stats, nil
}

// writer puts records and keeps the per-entity bookkeeping: progress, the
// cancellation check and the row count.
type writer struct {
	ctx      context.Context
	l        tandem.Loader
	progress func(string, int, int)
	rows     map[string]int
	e        *tandem.Entity
	done     int
	total    int
	// arena and lists hand out Values slices and list values carved from
	// larger blocks: one allocation per thousand records instead of one per
	// record. Slices never overlap, are never reused and have their capacity
	// cut to their length, so a Loader may keep them or append to them.
	arena []any
	lists []string
}

func (w *writer) begin(e *tandem.Entity) { w.e, w.done, w.total = e, 0, 0 }

// start announces the entity's row count once it is known.
func (w *writer) start(total int) {
	w.total = total
	w.progress(w.e.Name, 0, total)
}

func (w *writer) finish() {
	w.progress(w.e.Name, w.done, w.total)
	w.rows[w.e.Name] = w.done
}

func (w *writer) values() []any {
	n := len(w.e.Columns)
	if len(w.arena) < n {
		w.arena = make([]any, n*1024)
	}
	v := w.arena[:n:n]
	w.arena = w.arena[n:]
	return v
}

func (w *writer) list(n int) []string {
	if len(w.lists) < n {
		w.lists = make([]string, max(n, 4096))
	}
	l := w.lists[:n:n]
	w.lists = w.lists[n:]
	return l
}

func (w *writer) put(vals []any, attrs map[string]string) error {
	r := tandem.Record{Values: vals, Attrs: attrs}
	if err := w.l.Put(w.ctx, w.e, r); err != nil {
		return fmt.Errorf("demo: write %s %q: %w", w.e.Name, r.ID(), err)
	}
	w.done++
	if w.done&1023 == 0 {
		if err := w.ctx.Err(); err != nil {
			return fmt.Errorf("demo: write %s: %w", w.e.Name, err)
		}
		if w.done&16383 == 0 {
			w.progress(w.e.Name, w.done, w.total)
		}
	}
	return nil
}

// cols maps the generator's column list to the entity's column positions
// (-1 when the catalog lacks the column, which is then skipped).
type cols []int

func columns(e *tandem.Entity, names ...string) cols {
	c := make(cols, len(names))
	for i, n := range names {
		_, c[i] = e.Column(n)
	}
	return c
}

func (c cols) set(vals []any, i int, v any) {
	if c[i] >= 0 {
		vals[c[i]] = v
	}
}

// Boxed values shared by many records.
type boxes struct {
	cal        *calendar
	accountIDs []any
	repIDs     []any
	leadIDs    []string
	productIDs []string
	featureIDs []string
	featureAny []any
	subIDs     []any
	dealIDs    []string
	dealAny    []any
	counts     []any // 0..4095 as float64
	noise      []float64
	// Enumerations, boxed once.
	stages, sources, segments, regions, industries, outcomes, types, leadStatus []any
}

func (p *planner) box() {
	b := &p.boxes
	b.cal = newCalendar(p.start-12*365, p.end+6*365)
	b.accountIDs = boxAll(idList("acc-", len(p.accounts), max(4, width(len(p.accounts)))))
	b.repIDs = boxAll(idList("rep-", len(p.reps), max(3, width(len(p.reps)))))
	b.leadIDs = idList("lead-", len(p.leads), max(5, width(len(p.leads))))
	for _, pr := range p.products {
		b.productIDs = append(b.productIDs, pr.id)
	}
	for _, f := range p.features {
		b.featureIDs = append(b.featureIDs, f.id)
	}
	b.featureAny = boxAll(b.featureIDs)
	b.subIDs = boxAll(idList("sub-", len(p.subs), max(4, width(len(p.subs)))))
	b.dealIDs = idList("deal-", len(p.deals), max(5, width(len(p.deals))))
	b.dealAny = boxAll(b.dealIDs)
	b.counts = make([]any, 4096)
	for i := range b.counts {
		b.counts[i] = float64(i)
	}
	b.noise = lognormalTable(0.3)
	b.stages, b.sources, b.segments = boxAll(stageNames()), boxAll(leadSources()), boxAll(segmentNames())
	b.regions, b.industries = boxAll(regionNames()), boxAll(industries())
	b.outcomes, b.types, b.leadStatus = boxAll(outcomeNames()), boxAll(dealTypeNames()), boxAll(leadStatusNames())
}

func (p *planner) date(d day) any { return p.boxes.cal.at(d) }

func (p *planner) writeAccounts(w *writer) error {
	const (
		cID = iota
		cName
		cIndustry
		cSegment
		cEmployees
		cRevenue
		cRegion
		cParent
		cCreated
	)
	c := columns(w.e, "id", "name", "industry", "segment", "employees", "revenue", "region", "parent_id", "created")
	b := &p.boxes
	w.start(len(p.accounts))
	for i, a := range p.accounts {
		v := w.values()
		c.set(v, cID, p.boxes.accountIDs[i])
		c.set(v, cName, a.name)
		c.set(v, cIndustry, b.industries[a.industry])
		c.set(v, cSegment, b.segments[a.seg])
		c.set(v, cEmployees, a.employees)
		c.set(v, cRevenue, a.revenue)
		c.set(v, cRegion, b.regions[a.region])
		if a.parent >= 0 {
			c.set(v, cParent, p.boxes.accountIDs[a.parent])
		}
		c.set(v, cCreated, p.date(a.created))
		if err := w.put(v, sourceAttrs(a.salesforce)); err != nil {
			return err
		}
	}
	return nil
}

// sourceAttrs names the system a record came from, as a custom attribute
// reports can group by. Each record gets its own map.
func sourceAttrs(salesforce bool) map[string]string {
	if salesforce {
		return map[string]string{"source_system": "salesforce"}
	}
	return map[string]string{"source_system": "hubspot"}
}

func (p *planner) writeReps(w *writer) error {
	const (
		cID = iota
		cName
		cTeam
		cManager
		cRegion
		cRole
	)
	c := columns(w.e, "id", "name", "team", "manager", "region", "role")
	w.start(len(p.reps))
	for i, r := range p.reps {
		v := w.values()
		c.set(v, cID, p.boxes.repIDs[i])
		c.set(v, cName, r.name)
		team := "Sales Leadership"
		if r.team >= 0 {
			team = p.teams[r.team].name
		}
		c.set(v, cTeam, team)
		if r.manager >= 0 {
			c.set(v, cManager, p.boxes.repIDs[r.manager])
		}
		c.set(v, cRegion, r.region)
		c.set(v, cRole, r.role)
		if err := w.put(v, nil); err != nil {
			return err
		}
	}
	return nil
}

func (p *planner) writeLeads(w *writer) error {
	const (
		cID = iota
		cCreated
		cSource
		cSegment
		cAccount
		cQualified
		cStatus
		cRep
	)
	c := columns(w.e, "id", "created", "source", "segment", "account_id", "qualified_at", "status", "rep_id")
	b := &p.boxes
	w.start(len(p.leads))
	for i, l := range p.leads {
		v := w.values()
		c.set(v, cID, b.leadIDs[i])
		c.set(v, cCreated, p.date(l.created))
		c.set(v, cSource, b.sources[l.source])
		c.set(v, cSegment, b.segments[l.seg])
		if l.account >= 0 {
			c.set(v, cAccount, p.boxes.accountIDs[l.account])
		}
		if l.hasQual {
			c.set(v, cQualified, p.date(l.qualified))
		}
		c.set(v, cStatus, b.leadStatus[l.status])
		if l.rep >= 0 {
			c.set(v, cRep, p.boxes.repIDs[l.rep])
		}
		if err := w.put(v, nil); err != nil {
			return err
		}
	}
	return nil
}

func (p *planner) writeProducts(w *writer) error {
	const (
		cID = iota
		cName
		cClass
		cPrice
		cSeries
		cAliases
	)
	c := columns(w.e, "id", "name", "class", "price", "series", "aliases")
	w.start(len(p.products))
	for _, pr := range p.products {
		v := w.values()
		c.set(v, cID, pr.id)
		c.set(v, cName, pr.name)
		c.set(v, cClass, pr.class)
		c.set(v, cPrice, pr.price)
		c.set(v, cSeries, pr.series)
		if len(pr.aliases) > 0 {
			c.set(v, cAliases, append([]string(nil), pr.aliases...))
		}
		if err := w.put(v, nil); err != nil {
			return err
		}
	}
	return nil
}

func (p *planner) writeFeatures(w *writer) error {
	const (
		cID = iota
		cName
		cProduct
		cStatus
		cHorizon
		cReleased
		cPlanned
		cAliases
	)
	c := columns(w.e, "id", "name", "product_id", "status", "horizon", "released_at", "planned_at", "aliases")
	w.start(len(p.features))
	for _, f := range p.features {
		v := w.values()
		c.set(v, cID, f.id)
		c.set(v, cName, f.name)
		c.set(v, cProduct, p.boxes.productIDs[f.product])
		c.set(v, cStatus, f.status)
		c.set(v, cHorizon, f.horizon)
		if f.hasReleased {
			c.set(v, cReleased, p.date(f.released))
		}
		if f.hasPlanned {
			c.set(v, cPlanned, p.date(f.planned))
		}
		if len(f.aliases) > 0 {
			c.set(v, cAliases, append([]string(nil), f.aliases...))
		}
		if err := w.put(v, nil); err != nil {
			return err
		}
	}
	return nil
}

// currentStage is the deal's stage at the end of the period.
func (p *planner) currentStage(d *deal) int {
	switch d.outcome {
	case outcomeWon:
		return stageClosedWon
	case outcomeLost:
		return stageClosedLost
	}
	s := 0
	for j := 1; j <= int(d.reached); j++ {
		if d.created+day(d.stageOff[j-1]) <= p.end {
			s = j
		}
	}
	return s
}

func (p *planner) writeDeals(w *writer) error {
	const (
		cID = iota
		cStage
		cAccount
		cLead
		cRep
		cName
		cSource
		cAmount
		cCurrency
		cCreated
		cClosed
		cOutcome
		cType
		cProducts
		cFeatures
		cLoss
		cCompetitors
	)
	c := columns(w.e, "id", "stage", "account_id", "lead_id", "rep_id", "name", "source", "amount", "currency",
		"created", "closed", "outcome", "type", "products", "features", "loss_reasons", "competitors")
	b := &p.boxes
	comps, losses := competitorNames(), lossReasonNames()
	w.start(len(p.deals))
	var names []string
	var buf []byte
	for i := range p.deals {
		if i%1024 == 0 {
			names, buf = p.dealNames(names[:0], buf[:0], i, min(len(p.deals), i+1024))
		}
		d := &p.deals[i]
		a := &p.accounts[d.account]
		v := w.values()
		c.set(v, cID, b.dealAny[i])
		c.set(v, cStage, b.stages[p.currentStage(d)])
		c.set(v, cAccount, b.accountIDs[d.account])
		if d.lead >= 0 {
			c.set(v, cLead, b.leadIDs[d.lead])
		}
		c.set(v, cRep, b.repIDs[d.rep])
		prods := p.prods[d.prodOff : d.prodOff+int32(d.prodN)]
		c.set(v, cName, names[i%1024])
		if d.source != noSource {
			c.set(v, cSource, b.sources[d.source])
		}
		c.set(v, cAmount, d.amount)
		c.set(v, cCurrency, "USD")
		c.set(v, cCreated, p.date(d.created))
		c.set(v, cClosed, p.date(d.closed))
		c.set(v, cOutcome, b.outcomes[d.outcome])
		c.set(v, cType, b.types[d.typ])
		pl := w.list(len(prods))
		for j, x := range prods {
			pl[j] = b.productIDs[x]
		}
		c.set(v, cProducts, pl)
		if d.tagN > 0 {
			fl := w.list(int(d.tagN))
			for j, x := range p.tags[d.tagOff : d.tagOff+int32(d.tagN)] {
				fl[j] = b.featureIDs[x]
			}
			c.set(v, cFeatures, fl)
		}
		if d.loss != 0 {
			c.set(v, cLoss, bitNames(d.loss, losses))
		}
		if d.comp != 0 {
			c.set(v, cCompetitors, bitNames(d.comp, comps))
		}
		if err := w.put(v, sourceAttrs(a.salesforce)); err != nil {
			return err
		}
	}
	return nil
}

// dealNames appends the names of deals lo to hi-1 ("<account> - <first
// product> (<type>)"), carved from one string built in buf.
func (p *planner) dealNames(names []string, buf []byte, lo, hi int) ([]string, []byte) {
	typeWords := [...]string{"New business", "Expansion", "Renewal"}
	var ends [1024]int
	for i := lo; i < hi; i++ {
		d := &p.deals[i]
		buf = append(buf, p.accounts[d.account].name...)
		buf = append(buf, " - "...)
		buf = append(buf, p.products[p.prods[d.prodOff]].name...)
		buf = append(buf, " ("...)
		buf = append(buf, typeWords[d.typ]...)
		buf = append(buf, ')')
		ends[i-lo] = len(buf)
	}
	all, start := string(buf), 0
	for i := range hi - lo {
		names = append(names, all[start:ends[i]])
		start = ends[i]
	}
	return names, buf
}

func bitNames(bits uint8, names []string) []string {
	var out []string
	for i, n := range names {
		if bits&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// stageRows calls fn for each stage the deal entered by the period's end,
// with the day and the amount on the table then (the discount is given up
// by Negotiation).
func (p *planner) stageRows(d *deal, fn func(stage int, at day, amount float64) error) error {
	for j := 0; j <= int(d.reached); j++ {
		at := d.created
		if j > 0 {
			at += day(d.stageOff[j-1])
		}
		if at > p.end {
			break
		}
		amount := math.Round(d.amount * (1 + float64(d.disc)*float64(3-j)/3))
		if err := fn(j, at, amount); err != nil {
			return err
		}
	}
	switch d.outcome {
	case outcomeWon:
		return fn(stageClosedWon, d.closed, d.amount)
	case outcomeLost:
		return fn(stageClosedLost, d.closed, d.amount)
	}
	return nil
}

func (p *planner) writeDealStages(w *writer) error {
	const (
		cID = iota
		cDeal
		cStage
		cEntered
		cAmount
	)
	c := columns(w.e, "id", "deal_id", "stage", "entered_at", "amount")
	stages := stageNames()
	total := 0
	for i := range p.deals {
		_ = p.stageRows(&p.deals[i], func(int, day, float64) error { total++; return nil })
	}
	w.start(total)
	// A deal's stage ids are built in one buffer and sliced from one string.
	var buf []byte
	var ends [8]int
	for i := range p.deals {
		d := &p.deals[i]
		buf = buf[:0]
		k := 0
		_ = p.stageRows(d, func(stage int, at day, _ float64) error {
			buf = append(buf, p.boxes.dealIDs[i]...)
			buf = append(buf, '|')
			buf = append(buf, stages[stage]...)
			buf = append(buf, '|')
			buf = append(buf, p.boxes.cal.format(at)...)
			ends[k] = len(buf)
			k++
			return nil
		})
		ids := string(buf)
		k = 0
		err := p.stageRows(d, func(stage int, at day, amount float64) error {
			lo := 0
			if k > 0 {
				lo = ends[k-1]
			}
			v := w.values()
			c.set(v, cID, ids[lo:ends[k]])
			k++
			c.set(v, cDeal, p.boxes.dealAny[i])
			c.set(v, cStage, p.boxes.stages[stage])
			c.set(v, cEntered, p.date(at))
			c.set(v, cAmount, amount)
			return w.put(v, nil)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// writeLineItems writes one line per product for deals from Salesforce
// accounts (HubSpot deals carry only the products list). Lines split the
// amount by list price, the add-on's line being the share it added; the last
// line takes the rounding, so lines sum to the deal amount.
func (p *planner) writeLineItems(w *writer) error {
	const (
		cID = iota
		cDeal
		cProduct
		cQuantity
		cUnitPrice
		cAmount
	)
	c := columns(w.e, "id", "deal_id", "product_id", "quantity", "unit_price", "amount")
	total := 0
	for i := range p.deals {
		if d := &p.deals[i]; p.accounts[d.account].salesforce {
			total += int(d.prodN)
		}
	}
	ids := idList("li-", total, max(6, width(total)))
	w.start(total)
	n := 0
	for i := range p.deals {
		d := &p.deals[i]
		if !p.accounts[d.account].salesforce {
			continue
		}
		prods := p.prods[d.prodOff : d.prodOff+int32(d.prodN)]
		rest := d.amount
		base := d.amount
		if d.addon {
			base = d.amount / addonAmountLift
		}
		weight := 0.0
		for _, x := range prods {
			if int(x) != p.addon || !d.addon {
				weight += p.products[x].price
			}
		}
		for j, x := range prods {
			var line float64
			switch {
			case j == len(prods)-1:
				line = round2(rest)
			case int(x) == p.addon && d.addon:
				line = round2(d.amount - base)
			default:
				line = round2(base * p.products[x].price / weight)
			}
			rest -= line
			qty := max(1, math.Round(line/p.products[x].price))
			v := w.values()
			c.set(v, cID, ids[n])
			n++
			c.set(v, cDeal, p.boxes.dealAny[i])
			c.set(v, cProduct, p.boxes.productIDs[x])
			c.set(v, cQuantity, qty)
			c.set(v, cUnitPrice, round2(line/qty))
			c.set(v, cAmount, line)
			if err := w.put(v, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *planner) writeSubscriptions(w *writer) error {
	const (
		cID = iota
		cAccount
		cStart
		cEnd
		cMRR
		cStatus
		cChurned
		cPlan
	)
	c := columns(w.e, "id", "account_id", "start", "end", "mrr", "status", "churned_at", "plan")
	plans := planNames()
	w.start(len(p.subs))
	for i, s := range p.subs {
		v := w.values()
		c.set(v, cID, p.boxes.subIDs[i])
		c.set(v, cAccount, p.boxes.accountIDs[s.account])
		c.set(v, cStart, p.date(s.start))
		c.set(v, cEnd, p.date(s.end))
		c.set(v, cMRR, s.mrr)
		if s.isChurned && s.churned <= p.end {
			c.set(v, cStatus, "churned")
			c.set(v, cChurned, p.date(s.churned))
		} else {
			c.set(v, cStatus, "active")
		}
		c.set(v, cPlan, plans[s.plan])
		if err := w.put(v, nil); err != nil {
			return err
		}
	}
	return nil
}

func usePerDay() [3]float64 { return [3]float64{4, 15, 60} }

// usage walks every usage rollup: for each adoption, one row per period from
// the adoption (weekly rows start on the first Monday on or after it) to the
// subscription's churn or the period's end, each kept with probability keep.
// Counts ramp up over the first four weeks and fade over the last 90 days
// before a churn. emit is nil for the counting pass, which draws only the
// keep decisions (from their own stream, so both passes keep the same rows).
func (p *planner) usage(period int, keep float64, emit func(a *adoption, at day, count float64) error) (int, error) {
	g, kg := p.g, newRNG(p.cfg.Seed)
	noise := p.boxes.noise
	n := 0
	for i := range p.adoptions {
		a := &p.adoptions[i]
		s := &p.subs[a.sub]
		kg.reset(streamUsageKeep, i)
		last := p.usageEnd(s)
		first := a.at
		if period == 7 {
			first = nextMonday(a.at)
		}
		var level float64
		if emit != nil {
			g.reset(streamUsage, i)
			level = usePerDay()[p.accounts[a.account].seg] * p.features[a.feature].popularity * math.Exp(0.5*g.norm()) * float64(period)
		}
		for d := first; d <= last; d += day(period) {
			if keep < 1 && !kg.bern(keep) {
				continue
			}
			n++
			if emit == nil {
				continue
			}
			x := level * noise[g.r.Uint64()&1023]
			if d-a.at < 28 {
				x *= 0.6
			}
			if s.isChurned && s.churned-d < 90 {
				x *= 0.25 + 0.75*float64(s.churned-d)/90
			}
			if err := emit(a, d, max(1, math.Round(x))); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

func (p *planner) usageEnd(s *subscription) day {
	if s.isChurned && s.churned-1 < p.end {
		return s.churned - 1
	}
	return p.end
}

// nextMonday is the first Monday on or after d (1970-01-05, day 4, was one).
func nextMonday(d day) day { return d + ((4-d)%7+7)%7 }

// usagePlan chooses daily rollups when every adoption-day fits the target,
// else weekly ones, thinned to the target.
func (p *planner) usagePlan() (period int, keep float64) {
	var days, weeks float64
	for i := range p.adoptions {
		a := &p.adoptions[i]
		last := p.usageEnd(&p.subs[a.sub])
		if last >= a.at {
			days += float64(last-a.at) + 1
		}
		if m := nextMonday(a.at); last >= m {
			weeks += float64((last-m)/7) + 1
		}
	}
	target := float64(p.cfg.UsageRows)
	if days <= target {
		return 1, 1
	}
	if weeks <= target {
		return 7, 1
	}
	return 7, target / weeks
}

func (p *planner) writeUsage(w *writer) (int, error) {
	const (
		cID = iota
		cAccount
		cFeature
		cAt
		cCount
		cSub
	)
	c := columns(w.e, "id", "account_id", "feature_id", "at", "count", "subscription_id")
	period, keep := p.usagePlan()
	total, _ := p.usage(period, keep, nil)
	wu := max(6, width(total))
	w.start(total)
	// Ids are carved from one string per block of rows: slicing a string
	// does not allocate.
	var block string
	var pos int
	n := 0
	_, err := p.usage(period, keep, func(a *adoption, at day, count float64) error {
		if pos >= len(block) {
			buf := make([]byte, 0, 1024*(2+wu))
			for k := n + 1; k <= min(n+1024, total); k++ {
				buf = appendIdent(buf, "u-", k, wu)
			}
			block, pos = string(buf), 0
		}
		l := 2 + wu // every id is padded to the same width
		id := block[pos : pos+l]
		pos += l
		n++
		v := w.values()
		c.set(v, cID, id)
		c.set(v, cAccount, p.boxes.accountIDs[a.account])
		c.set(v, cFeature, p.boxes.featureAny[a.feature])
		c.set(v, cAt, p.date(at))
		if count < float64(len(p.boxes.counts)) {
			c.set(v, cCount, p.boxes.counts[int(count)])
		} else {
			c.set(v, cCount, count)
		}
		c.set(v, cSub, p.boxes.subIDs[a.sub])
		return w.put(v, nil)
	})
	return period, err
}

func (p *planner) writeAdoptions(w *writer) error {
	const (
		cID = iota
		cAccount
		cFeature
		cAdopted
		cSource
	)
	c := columns(w.e, "id", "account_id", "feature_id", "adopted_at", "source")
	w.start(len(p.adoptions))
	for _, a := range p.adoptions {
		v := w.values()
		acct := p.boxes.accountIDs[a.account]
		c.set(v, cID, acct.(string)+"|"+p.boxes.featureIDs[a.feature])
		c.set(v, cAccount, acct)
		c.set(v, cFeature, p.boxes.featureAny[a.feature])
		c.set(v, cAdopted, p.date(a.at))
		c.set(v, cSource, "demo")
		if err := w.put(v, nil); err != nil {
			return err
		}
	}
	return nil
}

func (p *planner) writeTickets(w *writer) error {
	const (
		cID = iota
		cAccount
		cOpened
		cClosed
		cPriority
		cStatus
		cSatisfaction
		cSubject
	)
	c := columns(w.e, "id", "account_id", "opened", "closed", "priority", "status", "satisfaction", "subject")
	prio, subjects := []string{"low", "normal", "high", "urgent"}, ticketSubjects()
	wt := max(5, width(len(p.tickets)))
	w.start(len(p.tickets))
	for i, t := range p.tickets {
		v := w.values()
		c.set(v, cID, ident("t-", i+1, wt))
		c.set(v, cAccount, p.boxes.accountIDs[t.account])
		c.set(v, cOpened, p.date(t.opened))
		c.set(v, cPriority, prio[t.priority])
		c.set(v, cSubject, subjects[t.subject])
		if t.isClosed {
			c.set(v, cClosed, p.date(t.closed))
			c.set(v, cStatus, "closed")
			c.set(v, cSatisfaction, t.sat)
		} else {
			c.set(v, cStatus, "open")
		}
		if err := w.put(v, nil); err != nil {
			return err
		}
	}
	return nil
}

func (p *planner) writeChurnEvents(w *writer) error {
	const (
		cID = iota
		cAccount
		cAt
		cReason
		cRefund
		cFeedback
		cSub
	)
	c := columns(w.e, "id", "account_id", "at", "reason", "refund", "feedback", "subscription_id")
	reasons, feedback := churnReasonNames(), churnFeedback()
	total := 0
	for _, s := range p.subs {
		if s.isChurned && s.churned <= p.end {
			total++
		}
	}
	wc := max(4, width(total))
	w.start(total)
	g := p.g
	n := 0
	for i, s := range p.subs {
		if !s.isChurned || s.churned > p.end {
			continue
		}
		g.reset(streamChurn, i)
		n++
		v := w.values()
		c.set(v, cID, ident("ch-", n, wc))
		c.set(v, cAccount, p.boxes.accountIDs[s.account])
		c.set(v, cAt, p.date(s.churned))
		c.set(v, cReason, reasons[s.reason])
		refund := 0.0
		if g.bern(0.15) {
			refund = round2(s.mrr * (0.5 + g.float()))
		}
		c.set(v, cRefund, refund)
		fb := feedback[s.reason]
		c.set(v, cFeedback, fb[g.intn(len(fb))])
		c.set(v, cSub, p.boxes.subIDs[i])
		if err := w.put(v, nil); err != nil {
			return err
		}
	}
	return nil
}

// glossaryTerm is one shared definition (DESIGN §2.1: stored as data and
// shown next to every metric that uses it).
type glossaryTerm struct{ id, name, definition, formula, owner string }

func glossaryTerms() []glossaryTerm {
	return []glossaryTerm{
		{"won", "Won", "A deal is won when the customer has signed: its stage is Closed Won and its outcome is won. It counts on its close date, at the amount signed.", "outcome = won", "RevOps"},
		{"lost", "Lost", "A deal is lost when the customer decided against buying or stopped answering: its stage is Closed Lost and it carries one or more loss reasons from a fixed list (price, missing feature, competitor, timing, no decision, onboarding concerns).", "outcome = lost", "RevOps"},
		{"win-rate", "Win rate", "The share of closed deals that were won. Open deals are not losses: they are left out until they close. Renewal deals record renewal decisions, so feature win rates are read on new and expansion deals.", "won / (won + lost)", "RevOps"},
		{"qualified-lead", "Qualified lead", "A lead that sales development checked against the ideal customer profile (right segment, a named buyer, budget and a timeline) and handed to an account executive. Its qualified_at date is the day of the hand-off.", "qualified_at is set", "Marketing"},
		{"active-user", "Active user", "A person who used the product in the last 28 days. Usage here arrives as weekly rollups per account and feature without user ids, so reports count active accounts (any usage in the window) in its place.", "usage count > 0 in the last 28 days", "Product"},
		{"churn", "Churn", "A subscription churns when it is not renewed at the end of its term; the churn date is the term's end. Logo churn counts subscriptions, revenue churn their monthly recurring revenue.", "churned / due for renewal", "Customer Success"},
		{"renewal", "Renewal", "The decision to extend a subscription for another annual term, recorded as a renewal deal that closes on the term's end. The renewal rate is the share of subscriptions due for renewal that renewed.", "renewed / (renewed + churned)", "Customer Success"},
		{"expansion", "Expansion", "Additional recurring revenue from an existing customer during a subscription (more seats, an add-on, another product), recorded as a deal of type expansion. A won expansion raises the subscription's MRR.", "won expansion deals per subscription in its first 12 months", "Finance"},
		{"asp", "Average selling price", "The mean amount of won new and expansion deals in a period, in the deal currency (USD). Renewals are excluded because their amount follows the subscription.", "sum(amount) / count, over won new and expansion deals", "Finance"},
		{"mrr", "Monthly recurring revenue", "The subscription's contract value per month: the new deal's amount over twelve, plus won expansions, times the price uplift of each renewal.", "annual contract value / 12", "Finance"},
		{"adoption", "Adoption", "An account adopted a feature on the first day of regular use. Adoption effects use fixed windows after the subscription's start (30 days for Workflow Automation, 90 days for the number of features) so that long-lived customers do not look better just for having had more time.", "adopted_at − subscription start ≤ window", "Product"},
		{"cycle-time", "Sales cycle", "Days from a deal's creation to its close. Open deals are censored at the report date, so cycle medians come from a Kaplan–Meier estimate.", "closed − created", "RevOps"},
	}
}

func (p *planner) writeGlossary(w *writer) error {
	const (
		cID = iota
		cName
		cDefinition
		cFormula
		cOwner
	)
	c := columns(w.e, "id", "name", "definition", "formula", "owner")
	terms := glossaryTerms()
	w.start(len(terms))
	for _, t := range terms {
		v := w.values()
		c.set(v, cID, t.id)
		c.set(v, cName, t.name)
		c.set(v, cDefinition, t.definition)
		c.set(v, cFormula, t.formula)
		c.set(v, cOwner, t.owner)
		if err := w.put(v, nil); err != nil {
			return err
		}
	}
	return nil
}
