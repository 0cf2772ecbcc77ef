package demo

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
)

// The generator first plans the whole dataset in compact structs (deals need
// their leads, leads are written before deals, so nothing can stream), then
// writes it entity by entity. Planned values are indices and day numbers;
// strings and records are only made when writing.

type product struct {
	id, name, class, series string
	price                   float64
	aliases                 []string
}

type feature struct {
	id, name    string
	product     int
	status      string // idea, planned, beta, ga, deprecated
	horizon     string
	released    day
	hasReleased bool
	planned     day
	hasPlanned  bool
	aliases     []string
	popularity  float64 // relative usage intensity
}

// taggable says whether reps can tag the shipped feature on a deal created on t.
func (f *feature) taggable(t day) bool { return f.hasReleased && f.released <= t }

// adoptable says whether a customer can adopt the feature on t.
func (f *feature) adoptable(t day) bool { return f.status == "ga" && f.released <= t }

type account struct {
	name                  string
	seg, region, industry uint8
	salesforce            bool // source system: Salesforce (with line items) or HubSpot
	employees             int64
	revenue               float64
	created               day
	parent                int32 // account index or -1
	owner                 int32 // rep index of the account executive
	sub                   int32 // subscription index or -1
}

type team struct {
	name        string
	seg, region int
	manager     int
}

type rep struct {
	name    string
	team    int // -1 for the VP
	manager int // rep index or -1
	role    string
	region  string
	skill   float64 // added to the win log-odds of the rep's deals
}

// Deal types, outcomes and pipeline stages.
const (
	dealNew uint8 = iota
	dealExpansion
	dealRenewal
)

const (
	outcomeWon uint8 = iota
	outcomeLost
	outcomeOpen
)

const noSource = 255

func dealTypeNames() []string { return []string{"new", "expansion", "renewal"} }

func outcomeNames() []string { return []string{"won", "lost", "open"} }

// stageNames is the pipeline: the four open stages, then the two closed ones.
func stageNames() []string {
	return []string{"Prospecting", "Qualification", "Proposal", "Negotiation", "Closed Won", "Closed Lost"}
}

const (
	stageClosedWon  = 4
	stageClosedLost = 5
)

// Indices into lossReasonNames.
const (
	lossPrice = iota
	lossMissingFeature
	lossCompetitor
	lossTiming
	lossNoDecision
	lossOnboarding
)

type deal struct {
	ord      int32 // order of generation, the tie-break when sorting
	account  int32
	rep      int32
	lead     int32 // lead index or -1
	created  day
	closed   day // actual close, or expected close for open deals
	amount   float64
	disc     float32  // discount given up between the first stage and close
	stageOff [3]int16 // days from created to Qualification, Proposal, Negotiation
	tagOff   int32
	prodOff  int32
	tagN     uint8
	prodN    uint8
	typ      uint8
	outcome  uint8
	reached  uint8 // last open stage reached (3 for won deals)
	source   uint8
	comp     uint8 // competitor bit set
	loss     uint8 // loss reason bit set
	addon    bool
}

type subscription struct {
	account   int32
	start     day
	end       day
	churned   day
	isChurned bool
	workflow  bool  // Workflow Automation adopted within workflowWindow days
	depth     uint8 // features adopted within depthWindow days
	plan      uint8
	reason    uint8 // churn reason index
	mrr       float64
	prodOff   int32
	prodN     uint8
}

type adoption struct {
	account int32
	sub     int32
	feature uint16
	at      day
}

type lead struct {
	ord       int32
	created   day
	qualified day
	hasQual   bool
	account   int32 // -1 when the lead names no known account
	rep       int32 // -1 when unassigned
	source    uint8
	seg       uint8
	status    uint8
}

func leadStatusNames() []string {
	return []string{"new", "disqualified", "qualified", "nurture", "converted"}
}

const (
	leadNew = iota
	leadDisqualified
	leadQualified
	leadNurture
	leadConverted
)

type ticket struct {
	account  int32
	opened   day
	closed   day
	isClosed bool
	priority uint8
	subject  uint8
	sat      float64
}

// Background structure of the model (documented in EFFECTS.md as such).
// Indices are by segment (SMB, mid-market, enterprise) or by deal type.
func segmentShare() []float64 { return []float64{0.55, 0.30, 0.15} }

func segmentLogit() [3]float64 { return [3]float64{0, 0.15, logitEnterprise} }

func typeLogit() [2]float64 { return [2]float64{-0.55, -0.35} } // new, expansion

// leadShare is each source's share of leads, leadConversion the share of its
// leads that become deals, sourceLogit its effect on a new deal's win odds.
func leadShare() []float64      { return []float64{0.30, 0.12, 0.11, 0.12, 0.15, 0.20} }
func leadConversion() []float64 { return []float64{0.20, 0.50, 0.40, 0.25, 0.15, 0.12} }
func sourceLogit() []float64    { return []float64{0, 0.45, 0.25, 0, -0.20, -0.30} }

func segmentAmount() [3]float64    { return [3]float64{15_000, 60_000, 220_000} }
func newCycleDays() [3]float64     { return [3]float64{45, 80, 140} }
func expCycleDays() [3]float64     { return [3]float64{25, 40, 60} }
func newGapDays() [3]float64       { return [3]float64{420, 460, 500} }  // mean days between new-business attempts at m = 1
func expansionPerTerm() [3]float64 { return [3]float64{0.35, 0.5, 0.7} } // expansion deals per term at m = 1
func ticketsPerYear() [3]float64   { return [3]float64{1.5, 3, 6} }

// depthCum is the distribution of features adopted within depthWindow days:
// 1 to 5 with probabilities 20, 30, 25, 15, 10%.
func depthCum() []float64 { return cumulative([]float64{0.20, 0.30, 0.25, 0.15, 0.10}) }

// Other tag rates: a Poisson number of non-planted features per deal, and
// the share of new deals that carry a promise of an unreleased feature.
const (
	otherTagMean = 1.8
	promiseRate  = 0.04
	lateAdoption = 0.4 // share of subscriptions adopting one more feature after the depth window
)

type planner struct {
	cfg        Config
	g          *rng
	start, end day
	m          float64 // activity multiplier, calibrated so the deal count lands on cfg.Deals

	products []product
	addon    int
	core     []int
	extra    []int // products that may join a deal as its second product
	features []feature
	tagCum   []float64 // random tags: cumulative popularity over tagIdx
	tagIdx   []int
	adoptCum []float64
	adoptIdx []int
	srcCum   []float64

	accounts []account
	teams    []team
	reps     []rep
	aes      [3][3][]int32 // account executives by segment and region

	deals     []deal
	tags      []uint16
	prods     []uint16
	subs      []subscription
	adoptions []adoption
	leads     []lead
	tickets   []ticket

	boxes boxes
}

// plan builds the whole dataset in memory.
func plan(ctx context.Context, cfg Config) (*planner, error) {
	p := &planner{cfg: cfg, g: newRNG(cfg.Seed), start: toDay(cfg.Start), end: toDay(cfg.End), m: 1}
	p.planProducts()
	p.planFeatures()
	p.planReps()
	if err := p.planAccounts(ctx); err != nil {
		return nil, err
	}
	ls, lc := leadShare(), leadConversion()
	w := make([]float64, len(ls))
	for i := range ls {
		w[i] = ls[i] * lc[i]
	}
	p.srcCum = cumulative(w)
	if err := p.calibrate(ctx); err != nil {
		return nil, err
	}
	if err := p.simulate(ctx, nil); err != nil {
		return nil, err
	}
	// The remaining phases each take well under a second at bench scale;
	// checking between them keeps cancellation prompt.
	for _, phase := range []func(){p.adjust, p.sortDeals, p.planLeads, p.sortSubscriptions, p.planTickets} {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("demo: plan: %w", err)
		}
		phase()
	}
	return p, nil
}

func (p *planner) planProducts() {
	specs := productSpecs()
	p.products = make([]product, p.cfg.Products)
	for i := range p.products {
		var s productSpec
		if i < len(specs) {
			s = specs[i]
		} else {
			s = productSpec{name: "Platform Module " + strconv.Itoa(i+1), class: "core", series: "Modules", price: float64(5000 + 1000*(i%10))}
		}
		p.products[i] = product{id: ident("p-", i+1, 2), name: s.name, class: s.class, series: s.series, price: s.price, aliases: s.aliases}
		switch {
		case s.name == ProductInsightsAddon:
			p.addon = i
		case s.class == "core":
			p.core = append(p.core, i)
			p.extra = append(p.extra, i)
		default:
			p.extra = append(p.extra, i)
		}
	}
}

func (p *planner) planFeatures() {
	g := p.g
	g.reset(streamFeatures, 0)
	specs := featureSpecs()
	areas, kinds := featureAreas(), featureKinds()
	used := map[string]bool{}
	for _, s := range specs {
		used[s.name] = true
	}
	w := width(p.cfg.Features)
	p.features = make([]feature, p.cfg.Features)
	combo := 0
	for i := range p.features {
		f := &p.features[i]
		f.id = ident("f-", i+1, max(3, w))
		if i < len(specs) {
			f.name, f.aliases = specs[i].name, specs[i].aliases
		} else {
			for {
				n := areas[combo%len(areas)] + " " + kinds[(combo/len(areas))%len(kinds)]
				if r := combo / (len(areas) * len(kinds)); r > 0 {
					n += " " + strconv.Itoa(r+1)
				}
				combo++
				if !used[n] {
					used[n] = true
					f.name = n
					break
				}
			}
		}
		f.product = i % len(p.products)
		if i == featAdvancedAnalytics {
			f.product = 0 // Revenue Cloud: not the add-on, so the two effects stay apart
		}
		f.popularity = math.Exp(0.6 * g.norm())
		status := "ga"
		if i >= plantedFeatures {
			status = []string{"ga", "beta", "planned", "idea", "deprecated"}[g.pick(cumulative([]float64{0.60, 0.12, 0.12, 0.08, 0.08}))]
		}
		f.status = status
		span := int(p.end - p.start)
		switch status {
		case "ga":
			// planted features ship a year or more before the period starts,
			// so their tags cover it evenly; others ship any time up to
			// a month before its end.
			if i < plantedFeatures {
				f.released = p.start - 365 - day(g.intn(540))
			} else {
				f.released = p.start - 3*365 + day(g.intn(3*365+span-30))
			}
			f.hasReleased = true
			f.planned, f.hasPlanned = f.released-day(g.intn(120)), true
			f.horizon = "H1"
		case "deprecated":
			f.released, f.hasReleased = p.start-6*365+day(g.intn(3*365)), true
			f.planned, f.hasPlanned = f.released-day(g.intn(90)), true
			f.horizon = "H1"
		case "beta":
			f.planned, f.hasPlanned = p.end+30+day(g.intn(240)), true
			f.horizon = "H1"
		case "planned":
			f.planned, f.hasPlanned = p.end+60+day(g.intn(700)), true
			f.horizon = "H1"
			if f.planned > p.end+365 {
				f.horizon = "H2"
			}
		case "idea":
			f.horizon = []string{"H2", "H3"}[g.intn(2)]
			if g.bern(0.5) {
				f.planned, f.hasPlanned = p.end+400+day(g.intn(900)), true
			}
		}
	}
	// Random tags: every feature but the five planted win-rate features,
	// whose rates are fixed; weights follow a Zipf-like popularity.
	var tw, aw []float64
	for i := range p.features {
		z := 1 / math.Pow(float64(1+(i*7919)%len(p.features)), 0.8)
		if i != featWorkflow && i < plantedFeatures {
			continue
		}
		if p.features[i].status == "deprecated" {
			z *= 0.3
		}
		p.tagIdx = append(p.tagIdx, i)
		tw = append(tw, z)
		if i != featWorkflow && p.features[i].status == "ga" {
			p.adoptIdx = append(p.adoptIdx, i)
			aw = append(aw, z)
		}
	}
	// The planted features are adoptable too (with no effect on renewal).
	for i := range featWorkflow {
		p.adoptIdx = append(p.adoptIdx, i)
		aw = append(aw, 0.5)
	}
	p.tagCum, p.adoptCum = cumulative(tw), cumulative(aw)
}

func (p *planner) planReps() {
	g := p.g
	g.reset(streamReps, 0)
	// Teams of a manager and about five account executives; at least one
	// of each.
	nTeams := max(1, min((p.cfg.Reps-1)/6, (p.cfg.Reps-1)/2))
	first, last := firstNames(), lastNames()
	combos := len(first) * len(last)
	name := func(i int) string {
		j := (i * 577) % combos // 577 is prime and coprime with 1600: a permutation
		n := first[j%len(first)] + " " + last[j/len(first)]
		if i >= combos {
			n += " " + strconv.Itoa(i/combos+1)
		}
		return n
	}
	order := [][2]int{{0, 0}, {1, 0}, {2, 0}, {0, 1}, {1, 1}, {2, 1}, {0, 2}, {1, 2}, {2, 2}}
	teamSeg := []string{"SMB", "Mid-Market", "Enterprise"}
	p.reps = make([]rep, p.cfg.Reps)
	p.reps[0] = rep{name: name(0), team: -1, manager: -1, role: "VP Sales", region: "Global"}
	p.teams = make([]team, nTeams)
	for t := range p.teams {
		o := order[t%len(order)]
		n := teamSeg[o[0]] + " " + regionShort()[o[1]]
		if t >= len(order) {
			n += " " + strconv.Itoa(t/len(order)+1)
		}
		p.teams[t] = team{name: n, seg: o[0], region: o[1], manager: 1 + t}
	}
	for r := 1; r < len(p.reps); r++ {
		if r <= nTeams {
			t := r - 1
			p.reps[r] = rep{name: name(r), team: t, manager: 0, role: "Sales Manager", region: regionNames()[p.teams[t].region]}
			continue
		}
		t := (r - 1 - nTeams) % nTeams
		tm := p.teams[t]
		p.reps[r] = rep{name: name(r), team: t, manager: tm.manager, role: "Account Executive",
			region: regionNames()[tm.region], skill: 0.25 * g.norm()}
		p.aes[tm.seg][tm.region] = append(p.aes[tm.seg][tm.region], int32(r))
	}
}

// owner picks the account executive for an account: one from a team of the
// account's segment and region, else of its segment, else any.
func (p *planner) owner(g *rng, seg, region int) int32 {
	if c := p.aes[seg][region]; len(c) > 0 {
		return c[g.intn(len(c))]
	}
	var pool []int32
	for r := range 3 {
		pool = append(pool, p.aes[seg][r]...)
	}
	if len(pool) == 0 {
		for s := range 3 {
			for r := range 3 {
				pool = append(pool, p.aes[s][r]...)
			}
		}
	}
	return pool[g.intn(len(pool))]
}

func (p *planner) planAccounts(ctx context.Context) error {
	g := p.g
	segCum := cumulative(segmentShare())
	regionCum := cumulative([]float64{0.5, 0.3, 0.2})
	prefixes, roots, legal := namePrefixes(), nameRoots(), legalSuffixes()
	words := industryWords()
	perIndustry := make([]int, len(words))
	combos := len(prefixes) * len(roots) * len(words[0]) * len(legal)
	var enterprises []int32
	p.accounts = make([]account, p.cfg.Accounts)
	for i := range p.accounts {
		if i&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("demo: plan accounts: %w", err)
			}
		}
		g.reset(streamAccountAttrs, i)
		a := &p.accounts[i]
		seg := g.pick(segCum)
		a.seg, a.region, a.industry = uint8(seg), uint8(g.pick(regionCum)), uint8(g.intn(len(words)))
		a.salesforce = g.bern(0.55)
		// A permutation of the name space per industry keeps names unique.
		j := perIndustry[a.industry]
		perIndustry[a.industry]++
		k := (j * 7877) % combos // 7877 is prime and coprime with combos
		iw := words[a.industry]
		a.name = prefixes[k%len(prefixes)] + roots[(k/len(prefixes))%len(roots)] + " " +
			iw[(k/(len(prefixes)*len(roots)))%len(iw)] + " " + legal[k/(len(prefixes)*len(roots)*len(iw))]
		if j >= combos {
			a.name += " " + strconv.Itoa(j/combos+1)
		}
		lo, hi := [3]float64{10, 250, 2500}, [3]float64{250, 2500, 60000}
		emp := math.Exp(math.Log(lo[seg]) + g.float()*(math.Log(hi[seg])-math.Log(lo[seg])))
		a.employees = int64(emp)
		a.revenue = math.Round(emp*(80_000+220_000*g.float())/1000) * 1000
		if g.bern(0.65) {
			a.created = p.start - day(g.intn(6*365))
		} else {
			a.created = p.start + day(g.intn(max(1, int(p.end-p.start)-120)))
		}
		a.parent, a.sub = -1, -1
		if seg == 2 {
			if len(enterprises) > 0 && g.bern(0.05) {
				a.parent = enterprises[g.intn(len(enterprises))]
			} else {
				enterprises = append(enterprises, int32(i))
			}
		}
		a.owner = p.owner(g, seg, int(a.region))
	}
	return nil
}

// calibrate finds the activity multiplier that makes the simulated deal count
// match cfg.Deals, on a sample of at most 4,000 accounts.
func (p *planner) calibrate(ctx context.Context) error {
	stride := max(1, len(p.accounts)/4000)
	var sample []int
	for i := 0; i < len(p.accounts); i += stride {
		sample = append(sample, i)
	}
	want := float64(p.cfg.Deals) * float64(len(sample)) / float64(len(p.accounts))
	for range 5 {
		if err := p.simulate(ctx, sample); err != nil {
			return err
		}
		got := float64(len(p.deals))
		if got == 0 {
			p.m *= 4
			continue
		}
		r := want / got
		p.m *= r
		if math.Abs(r-1) < 0.005 {
			break
		}
	}
	p.m = min(max(p.m, 1e-3), 1e4)
	return nil
}

// simulate runs every account's history (or those in only) from scratch.
func (p *planner) simulate(ctx context.Context, only []int) error {
	p.deals, p.tags, p.prods, p.subs, p.adoptions = p.deals[:0], p.tags[:0], p.prods[:0], p.subs[:0], p.adoptions[:0]
	run := func(i int) error {
		if i&1023 == 0 {
			if err := ctx.Err(); err != nil {
				return fmt.Errorf("demo: plan deals: %w", err)
			}
		}
		p.accounts[i].sub = -1
		p.simulateAccount(i)
		return nil
	}
	if only != nil {
		for _, i := range only {
			if err := run(i); err != nil {
				return err
			}
		}
		return nil
	}
	for i := range p.accounts {
		if err := run(i); err != nil {
			return err
		}
	}
	return nil
}

// simulateAccount plays one account's history: new-business attempts until a
// win, then a subscription with expansions and yearly renewals until it
// churns or the period ends.
func (p *planner) simulateAccount(acct int) {
	g := p.g
	g.reset(streamAccountSim, acct)
	a := &p.accounts[acct]
	gap := newGapDays()[a.seg] / p.m
	t := max(a.created, p.start) + g.expDays(gap)
	for t <= p.end {
		i := p.newDeal(g, acct, dealNew, t)
		d := &p.deals[i]
		switch d.outcome {
		case outcomeWon:
			p.subscribe(g, acct, i)
			return
		case outcomeOpen:
			return
		}
		t = d.closed + 30 + g.expDays(gap)
	}
}

// newDeal appends a new-business or expansion deal created on t, drawing its
// tags, products, amount, cycle and outcome, and returns its index.
func (p *planner) newDeal(g *rng, acct int, typ uint8, t day) int {
	a := &p.accounts[acct]
	seg := int(a.seg)
	d := deal{ord: int32(len(p.deals)), account: int32(acct), rep: a.owner, lead: -1, created: t, typ: typ, source: noSource}
	lo := typeLogit()[typ] + segmentLogit()[seg] + p.reps[a.owner].skill
	if typ == dealNew {
		d.source = uint8(g.pick(p.srcCum))
		lo += sourceLogit()[d.source]
	}
	lo += p.drawTags(g, &d, seg, t)
	p.drawProducts(g, &d, typ)
	amount := segmentAmount()[seg] * math.Exp(0.45*g.norm())
	if typ == dealExpansion {
		amount *= 0.35
	}
	if d.addon {
		amount *= addonAmountLift
	}
	d.amount = math.Max(100, math.Round(amount))
	var cycle float64
	if typ == dealNew {
		cycle = min(365, max(10, newCycleDays()[seg]*math.Exp(0.35*g.norm())))
	} else {
		cycle = min(120, max(7, expCycleDays()[seg]*math.Exp(0.3*g.norm())))
	}
	won := g.bern(sigmoid(lo))
	p.finishDeal(g, &d, won, day(cycle))
	p.drawCompetitors(g, &d)
	if d.outcome == outcomeLost {
		p.drawLossReasons(g, &d)
	}
	p.deals = append(p.deals, d)
	return len(p.deals) - 1
}

// finishDeal sets the close date, stage timing and outcome. The cycle length
// does not depend on the outcome, so recent closed deals are not biased
// towards losses (no right-censoring artefact in win rates by period).
func (p *planner) finishDeal(g *rng, d *deal, won bool, cycle day) {
	d.closed = d.created + cycle
	c := float64(cycle)
	d.stageOff = [3]int16{int16(c * (0.15 + 0.1*g.float())), int16(c * (0.40 + 0.1*g.float())), int16(c * (0.65 + 0.15*g.float()))}
	d.disc = float32(0.2 * g.float())
	switch {
	case won:
		d.reached, d.outcome = 3, outcomeWon
	case d.typ == dealRenewal:
		d.reached, d.outcome = uint8(2+g.intn(2)), outcomeLost
	default:
		d.reached, d.outcome = uint8(g.pick([]float64{0.30, 0.60, 0.85, 1})), outcomeLost
	}
	if d.closed > p.end {
		d.outcome = outcomeOpen
	}
}

// drawTags appends the deal's feature tags and returns their effect on the
// win log-odds.
func (p *planner) drawTags(g *rng, d *deal, seg int, t day) float64 {
	d.tagOff = int32(len(p.tags))
	lo := 0.0
	add := func(f int) {
		for _, x := range p.tags[d.tagOff:] {
			if int(x) == f {
				return
			}
		}
		p.tags = append(p.tags, uint16(f))
	}
	if g.bern(tagRateAdvancedAnalytics) {
		add(featAdvancedAnalytics)
		lo += logitAdvancedAnalytics
	}
	if g.bern(tagRateSalesforce) {
		add(featSalesforce)
		lo += logitSalesforce
	}
	if g.bern(tagRateCustomDashboards) {
		add(featCustomDashboards)
	}
	if g.bern(tagRateOfflineMode) {
		add(featOfflineMode)
		lo += logitOfflineMode
	}
	if g.bern(ssoTagRate()[seg]) {
		add(featSSO)
	}
	for n := g.poisson(otherTagMean); n > 0; n-- {
		for range 8 {
			f := p.tagIdx[g.pick(p.tagCum)]
			if p.features[f].taggable(t) {
				add(f)
				break
			}
		}
	}
	if d.typ == dealNew && g.bern(promiseRate) {
		// A roadmap promise: a feature not shipped when the deal was created.
		for range 8 {
			f := p.tagIdx[g.pick(p.tagCum)]
			if ff := &p.features[f]; !ff.taggable(t) && ff.status != "idea" && ff.status != "deprecated" {
				add(f)
				break
			}
		}
	}
	d.tagN = uint8(min(255, len(p.tags)-int(d.tagOff)))
	return lo
}

func (p *planner) drawProducts(g *rng, d *deal, typ uint8) {
	d.prodOff = int32(len(p.prods))
	primary := p.core[g.intn(len(p.core))]
	p.prods = append(p.prods, uint16(primary))
	if g.bern(0.3) && len(p.extra) > 1 {
		if second := p.extra[g.intn(len(p.extra))]; second != primary {
			p.prods = append(p.prods, uint16(second))
		}
	}
	if typ != dealRenewal && g.bern(addonRate) {
		d.addon = true
		p.prods = append(p.prods, uint16(p.addon))
	}
	d.prodN = uint8(len(p.prods) - int(d.prodOff))
}

func (p *planner) drawCompetitors(g *rng, d *deal) {
	rate := [3]float64{0.55, 0.15, 0.25}[d.typ]
	if !g.bern(rate) {
		return
	}
	n := len(competitorNames())
	d.comp = 1 << g.intn(n)
	if g.bern(0.3) {
		d.comp |= 1 << g.intn(n)
	}
}

func (p *planner) drawLossReasons(g *rng, d *deal) {
	w := []float64{0.25, 0.15, 0, 0.15, 0.17, 0.05}
	if d.comp != 0 {
		w[lossCompetitor] = 0.35
	}
	for _, f := range p.tags[d.tagOff : d.tagOff+int32(d.tagN)] {
		if f == featOfflineMode {
			w[lossMissingFeature] *= 3
			w[lossOnboarding] *= 5
		}
	}
	cum := cumulative(w)
	d.loss = 1 << g.pick(cum)
	if g.bern(0.35) {
		d.loss |= 1 << g.pick(cum)
	}
}

// subscribe starts the subscription of a won new deal and plays its terms.
func (p *planner) subscribe(g *rng, acct, dealIdx int) {
	a := &p.accounts[acct]
	nd := p.deals[dealIdx]
	s := subscription{account: int32(acct), start: nd.closed, mrr: nd.amount / 12, plan: a.seg, prodOff: nd.prodOff, prodN: nd.prodN}
	si := int32(len(p.subs))
	p.planAdoptions(g, si, &s)
	renew := baseRenewal
	rate := expansionPerTerm()[a.seg] * p.m
	if s.workflow {
		renew *= workflowLift
	}
	if s.depth >= depthMin {
		renew *= depthLift
		rate *= depthExpansion
	}
	termStart := s.start
	for k := 1; ; k++ {
		termEnd := addYears(s.start, k)
		// Expansions are created 30 to ~215 days into the term and close at
		// most 120 days later, so before the term ends.
		window := max(1, int(termEnd-150-(termStart+30)))
		for n := g.poisson(rate); n > 0; n-- {
			c := termStart + 30 + day(g.intn(window+1))
			if c > p.end {
				continue
			}
			e := p.newDeal(g, acct, dealExpansion, c)
			if p.deals[e].outcome == outcomeWon {
				s.mrr += p.deals[e].amount / 12
			}
		}
		if termEnd-90 > p.end {
			s.end = termEnd
			break
		}
		renewed := g.bern(renew)
		uplift := 0.02 + 0.05*g.float()
		reason := -1
		if !renewed {
			reason = p.churnReason(g, &s)
		}
		p.renewalDeal(g, acct, &s, termEnd-90, termEnd, renewed, math.Round(s.mrr*12*(1+uplift)), reason)
		if termEnd > p.end {
			s.end = termEnd
			break
		}
		if renewed {
			s.mrr *= 1 + uplift
			termStart = termEnd
			continue
		}
		s.isChurned, s.churned, s.end, s.reason = true, termEnd, termEnd, uint8(reason)
		break
	}
	s.mrr = round2(s.mrr)
	p.subs = append(p.subs, s)
	a.sub = si
}

// planAdoptions draws the features the customer adopts: depth features
// within depthWindow days (Workflow Automation within workflowWindow days for
// a workflowEarlyRate share, decided independently of depth), and sometimes
// one more later. Adoptions after the period's end are not recorded.
func (p *planner) planAdoptions(g *rng, si int32, s *subscription) {
	depth := 1 + g.pick(depthCum())
	workflow := g.bern(workflowEarlyRate)
	var chosen [8]uint16
	k := 0
	add := func(f int, at day) {
		chosen[k] = uint16(f)
		k++
		if at <= p.end {
			p.adoptions = append(p.adoptions, adoption{account: s.account, sub: si, feature: uint16(f), at: at})
		}
	}
	has := func(f int) bool { return slices.Contains(chosen[:k], uint16(f)) }
	if workflow {
		add(featWorkflow, s.start+day(g.intn(workflowWindow+1)))
	}
	for tries := 0; k < depth && tries < 40; tries++ {
		f := p.adoptIdx[g.pick(p.adoptCum)]
		if p.features[f].adoptable(s.start) && !has(f) {
			add(f, s.start+day(g.intn(depthWindow)))
		}
	}
	s.workflow, s.depth = workflow, uint8(k)
	if g.bern(lateAdoption) {
		f := p.adoptIdx[g.pick(p.adoptCum)]
		if !workflow && g.bern(0.3) {
			f = featWorkflow // late adopters of Workflow Automation get no lift
		}
		if p.features[f].adoptable(s.start) && !has(f) {
			add(f, s.start+depthWindow+1+day(g.intn(240)))
		}
	}
}

func (p *planner) churnReason(g *rng, s *subscription) int {
	w := []float64{0.25, 0.10, 0.12, 0.12, 0.10, 0.08, 0.05}
	if s.depth < depthMin {
		w[1] = 0.35 // low adoption
	}
	return g.pick(cumulative(w))
}

// renewalDeal appends the deal that records a renewal decision. Its tags are
// drawn like any deal's but do not affect it: the decision was made by the
// subscription's renewal probability.
func (p *planner) renewalDeal(g *rng, acct int, s *subscription, created, closed day, renewed bool, amount float64, reason int) {
	a := &p.accounts[acct]
	d := deal{ord: int32(len(p.deals)), account: int32(acct), rep: a.owner, lead: -1, created: created, typ: dealRenewal,
		source: noSource, amount: amount, prodOff: s.prodOff, prodN: s.prodN}
	p.drawTags(g, &d, int(a.seg), created)
	p.finishDeal(g, &d, renewed, closed-created)
	p.drawCompetitors(g, &d)
	if d.outcome == outcomeLost {
		d.loss = 1 << churnLossReason()[reason]
	}
	p.deals = append(p.deals, d)
}

// adjust makes the deal count exact: the calibrated simulation lands within
// a fraction of a percent, and the difference is made up by removing open
// new and expansion deals or adding open new-business deals (expansions when
// every account is a customer), which changes no closed-deal statistic.
func (p *planner) adjust() {
	g := p.g
	g.reset(streamAdjust, 0)
	diff := p.cfg.Deals - len(p.deals)
	if diff < 0 {
		var open []int
		for i, d := range p.deals {
			if d.outcome == outcomeOpen && d.typ != dealRenewal {
				open = append(open, i)
			}
		}
		drop := make([]bool, len(p.deals))
		for k := 0; k < -diff && k < len(open); k++ {
			j := k + g.intn(len(open)-k)
			open[k], open[j] = open[j], open[k]
			drop[open[k]] = true
		}
		out := p.deals[:0]
		for i, d := range p.deals {
			if !drop[i] {
				out = append(out, d)
			}
		}
		p.deals = out
		return
	}
	var prospects []int
	for i, a := range p.accounts {
		if a.sub < 0 || p.subs[a.sub].isChurned {
			prospects = append(prospects, i)
		}
	}
	for range diff {
		typ := dealNew
		var acct int
		if len(prospects) > 0 {
			acct = prospects[g.intn(len(prospects))]
		} else {
			acct, typ = g.intn(len(p.accounts)), dealExpansion
		}
		t := max(p.end-day(g.intn(60)), p.accounts[acct].created)
		i := p.newDeal(g, acct, typ, t)
		d := &p.deals[i]
		if d.outcome != outcomeOpen {
			// Stretch the cycle past the period's end: still open.
			old := float64(d.closed - d.created)
			d.closed = p.end + 1 + day(g.intn(60))
			f := float64(d.closed-d.created) / max(1, old)
			for j := range d.stageOff {
				d.stageOff[j] = int16(float64(d.stageOff[j]) * f)
			}
			d.outcome, d.loss = outcomeOpen, 0
		}
	}
}

// sortDeals orders deals by creation date, so ids follow the calendar.
// Deals are in generation order, so a stable sort by day orders them by
// (created, ord).
func (p *planner) sortDeals() {
	p.deals = sortByDay(p.deals, func(d *deal) day { return d.created })
}

// planLeads makes one converted lead per new deal and, per source, enough
// unconverted leads that the source's conversion rate is leadConversion.
func (p *planner) planLeads() {
	g := p.g
	g.reset(streamLeads, 0)
	conv := leadConversion()
	converted := make([]int, len(conv))
	for i := range p.deals {
		d := &p.deals[i]
		if d.typ != dealNew {
			continue
		}
		created := d.created - 3 - day(g.intn(38))
		q := created + 1 + day(g.intn(int(d.created-created)))
		d.lead = int32(len(p.leads))
		p.leads = append(p.leads, lead{ord: int32(len(p.leads)), created: created, qualified: q, hasQual: true,
			account: d.account, rep: d.rep, source: d.source, seg: p.accounts[d.account].seg, status: leadConverted})
		converted[d.source]++
	}
	span := int(p.end - p.start)
	segCum := cumulative(segmentShare())
	for src, n := range converted {
		extra := float64(n) * (1 - conv[src]) / conv[src]
		count := int(extra)
		if g.float() < extra-float64(count) {
			count++
		}
		for range count {
			l := lead{ord: int32(len(p.leads)), created: p.start + day(g.intn(span+1)), account: -1, rep: -1, source: uint8(src)}
			l.seg = uint8(g.pick(segCum))
			if g.bern(0.5) {
				if ai := g.intn(len(p.accounts)); p.accounts[ai].created <= l.created {
					l.account, l.seg = int32(ai), p.accounts[ai].seg
				}
			}
			switch {
			case g.bern(0.25):
				l.hasQual, l.qualified = true, min(p.end, l.created+1+day(g.intn(20)))
				l.status = leadNurture
				if l.qualified > p.end-60 {
					l.status = leadQualified
				}
				reg := g.intn(3)
				if l.account >= 0 {
					reg = int(p.accounts[l.account].region)
				}
				l.rep = p.owner(g, int(l.seg), reg)
			case l.created > p.end-30:
				l.status = leadNew
			default:
				l.status = leadDisqualified
			}
			p.leads = append(p.leads, l)
		}
	}
	p.leads = sortByDay(p.leads, func(l *lead) day { return l.created })
	pos := make([]int32, len(p.leads))
	for i, l := range p.leads {
		pos[l.ord] = int32(i)
	}
	for i := range p.deals {
		if d := &p.deals[i]; d.lead >= 0 {
			d.lead = pos[d.lead]
		}
	}
}

// sortSubscriptions orders subscriptions by start and adoptions by
// subscription and date, and points accounts and adoptions at the new order.
func (p *planner) sortSubscriptions() {
	idx := make([]int32, len(p.subs))
	for i := range idx {
		idx[i] = int32(i)
	}
	slices.SortFunc(idx, func(a, b int32) int {
		return cmp.Or(cmp.Compare(p.subs[a].start, p.subs[b].start), cmp.Compare(p.subs[a].account, p.subs[b].account))
	})
	pos := make([]int32, len(p.subs))
	sorted := make([]subscription, len(p.subs))
	for i, j := range idx {
		pos[j] = int32(i)
		sorted[i] = p.subs[j]
	}
	p.subs = sorted
	for i := range p.accounts {
		if s := p.accounts[i].sub; s >= 0 {
			p.accounts[i].sub = pos[s]
		}
	}
	for i := range p.adoptions {
		p.adoptions[i].sub = pos[p.adoptions[i].sub]
	}
	slices.SortFunc(p.adoptions, func(a, b adoption) int {
		return cmp.Or(cmp.Compare(a.sub, b.sub), cmp.Compare(a.at, b.at), cmp.Compare(a.feature, b.feature))
	})
}

// planTickets draws support tickets over each subscription's active life;
// accounts that churn open half again as many (a background signal for
// health scores, not a cause of churn).
func (p *planner) planTickets() {
	g := p.g
	subjects := len(ticketSubjects())
	prioCum := cumulative([]float64{0.30, 0.45, 0.20, 0.05})
	for si, s := range p.subs {
		g.reset(streamTickets, si)
		last := p.end
		if s.isChurned && s.churned < last {
			last = s.churned
		}
		if last <= s.start {
			continue
		}
		rate := ticketsPerYear()[p.accounts[s.account].seg] * float64(last-s.start) / 365
		if s.isChurned {
			rate *= 1.5
		}
		for n := g.poisson(rate); n > 0; n-- {
			t := ticket{account: s.account, opened: s.start + day(g.intn(int(last-s.start)+1)),
				priority: uint8(g.pick(prioCum)), subject: uint8(g.intn(subjects))}
			t.closed = t.opened + day(1+g.r.ExpFloat64()*4)
			if t.closed <= p.end {
				t.isClosed = true
				sat := 4.2 + 0.8*g.norm()
				if s.isChurned {
					sat -= 1
				}
				t.sat = math.Round(min(5, max(1, sat)))
			}
			p.tickets = append(p.tickets, t)
		}
	}
	p.tickets = sortByDay(p.tickets, func(t *ticket) day { return t.opened })
}
