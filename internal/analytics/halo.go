package analytics

import (
	"context"
	"fmt"
	"math"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/stats"
)

// HaloResamples is the number of Poisson-bootstrap replicates of the halo
// report's deal-size ratios unless --resamples says otherwise: every
// feature needs its own, so the halo uses fewer than the single-group
// reports.
const HaloResamples = 200

// defaultAdjust are the strata of adjusted win-rate differences: the
// account's segment and size band (fixed before the deal, so they cannot be
// consequences of the outcome) and the quarter the deal was created.
var defaultAdjust = []string{"account.segment", "account.size_band", "quarter"}

// haloInput is the columnar form of everything the halo computes on, read
// from the store once. Deal arrays are indexed by position in the sales
// deal population; subscription arrays by position in the subscription set.
type haloInput struct {
	items []string // item names, sorted
	// deals
	closed, won []bool
	stratum     []int32
	strata      int
	dur         []int32 // cycle days; -1 when unknown
	event       []bool  // closed (event) or open (censored)
	maxDur      int
	wonRow      []int32   // index into logAmt for won deals with an amount; -1 otherwise
	logAmt      []float64 // log amounts of won deals with amount > 0
	itemDeals   [][]int32 // per item: positions of deals tagged with it
	// subscriptions (features only)
	subs         int
	churned      []bool
	renewWon     []int32 // won renewal deals of the subscription's account (first subscription of each account only)
	renewClosed  []int32
	expEligible  []bool
	expCount     []int32
	subStratum   []int32 // account segment
	subStrata    int
	itemSubs     [][]int32 // per item: subscriptions that adopted it within the window
	retentionSet bool
	notes        []string
}

// haloResult is one item's figures.
type haloResult struct {
	row tandem.Group
	// raw and adjusted win-rate p-values, for Benjamini–Hochberg
	pRaw, pAdj, pChurn, pRenew float64
	apart                      bool
}

func halo(ctx context.Context, r *run) (*tandem.Report, error) {
	in, err := r.haloInput(ctx)
	if err != nil {
		return nil, err
	}
	return r.haloCompute(in), nil
}

// salesDeal says whether a deal is in the halo's deal population: new,
// expansion and untyped deals. Renewal deals record renewal decisions, which
// the renewal figures measure by subscription, so they stay out unless
// --where names the type.
func (r *run) salesDeal(ds *dealSet, row int) bool {
	if slices.ContainsFunc(r.p.Where, func(c tandem.Condition) bool { return c.Field == "type" }) {
		return true
	}
	return ds.str(row, ds.typ) != "renewal"
}

// haloInput reads the store into the halo's columnar input.
func (r *run) haloInput(ctx context.Context) (*haloInput, error) {
	ds, err := r.dealSet(ctx)
	if err != nil {
		return nil, err
	}
	itemCol := ds.features
	itemEntity := "features"
	if r.p.Items == "products" {
		itemCol, itemEntity = ds.products, "products"
	}
	it, err := r.table(ctx, itemEntity)
	if err != nil {
		return nil, err
	}
	in := &haloInput{}
	nameCol := it.ci("name")
	order := allRows(len(it.recs))
	slices.SortFunc(order, func(a, b int) int { return strings.Compare(it.str(a, nameCol), it.str(b, nameCol)) })
	itemPos := make(map[string]int32, len(order))
	for pos, row := range order {
		in.items = append(in.items, it.str(row, nameCol))
		itemPos[it.str(row, 0)] = int32(pos)
	}
	in.itemDeals = make([][]int32, len(in.items))

	adjust := r.p.Adjust
	if len(adjust) == 0 {
		adjust = defaultAdjust
	}
	r.p.Adjust = adjust
	var rows []int
	for _, row := range ds.rows {
		if r.salesDeal(ds, row) && r.dealInPeriod(ds, row, ds.outcomeAt(row, r.asOf)) {
			rows = append(rows, row)
		}
	}
	strata, err := r.group(ctx, ds.table, rows, adjust)
	if err != nil {
		return nil, err
	}
	stratumOf := make(map[int]int32, len(rows))
	for s, members := range strata.rows {
		for _, row := range members {
			stratumOf[row] = int32(s)
		}
	}
	in.strata = len(strata.keys)
	n := len(rows)
	in.closed, in.won, in.event = make([]bool, n), make([]bool, n), make([]bool, n)
	in.stratum, in.dur, in.wonRow = make([]int32, n), make([]int32, n), make([]int32, n)
	for pos, row := range rows {
		o := ds.outcomeAt(row, r.asOf)
		in.closed[pos], in.won[pos] = o != outOpen, o == outWon
		in.stratum[pos] = stratumOf[row]
		in.dur[pos] = -1
		if d, ev, ok := r.duration(ds, row, o); ok {
			in.dur[pos], in.event[pos] = int32(d), ev
			in.maxDur = max(in.maxDur, int(d))
		}
		in.wonRow[pos] = -1
		if a := ds.num(row, ds.amount); o == outWon && a > 0 {
			in.wonRow[pos] = int32(len(in.logAmt))
			in.logAmt = append(in.logAmt, math.Log(a))
		}
		for _, id := range ds.list(row, itemCol) {
			if j, ok := itemPos[id]; ok {
				if l := in.itemDeals[j]; len(l) == 0 || l[len(l)-1] != int32(pos) {
					in.itemDeals[j] = append(l, int32(pos))
				}
			}
		}
	}
	if r.p.Items == "features" {
		if err := r.haloRetention(ctx, in, itemPos); err != nil {
			return nil, err
		}
	} else {
		in.notes = append(in.notes, "renewal, churn and expansion are measured by feature adoption, so products show deal figures only")
	}
	return in, nil
}

// haloRetention adds the subscription side: churn, renewal and expansion of
// subscriptions whose account adopted each feature within the window.
// --where applies to deals only; these figures cover every subscription.
func (r *run) haloRetention(ctx context.Context, in *haloInput, itemPos map[string]int32) error {
	all := *r // shares the data read so far
	all.p.Where = nil
	s, err := all.subSet(ctx)
	if err != nil {
		return err
	}
	if len(s.rows) == 0 {
		in.notes = append(in.notes, "no subscriptions: renewal, churn and expansion figures are empty")
		return nil
	}
	in.retentionSet = true
	a, err := r.adoptions(ctx, s)
	if err != nil {
		return err
	}
	in.notes = append(in.notes, r.windowNote(a)...)
	rn, err := r.renewals(ctx)
	if err != nil {
		return err
	}
	ex, err := r.expansions(ctx, s)
	if err != nil {
		return err
	}
	seg, err := r.resolve(ctx, s.table, "account.segment")
	if err != nil {
		return err
	}
	segIndex := map[string]int32{}
	in.subs = len(s.rows)
	in.churned, in.expEligible = make([]bool, in.subs), make([]bool, in.subs)
	in.renewWon, in.renewClosed, in.expCount, in.subStratum = make([]int32, in.subs), make([]int32, in.subs), make([]int32, in.subs), make([]int32, in.subs)
	in.itemSubs = make([][]int32, len(in.items))
	seenAccount := map[string]bool{}
	for pos, row := range s.rows {
		in.churned[pos] = s.churned(row, r.asOf)
		acct := s.str(row, s.account)
		if !seenAccount[acct] {
			seenAccount[acct] = true
			in.renewWon[pos], in.renewClosed[pos] = int32(rn.won[acct]), int32(rn.closed[acct])
		}
		in.expEligible[pos], in.expCount[pos] = ex.eligible[row], int32(ex.count[row])
		k := seg.one(row)
		si, ok := segIndex[k]
		if !ok {
			si = int32(len(segIndex))
			segIndex[k] = si
		}
		in.subStratum[pos] = si
		for _, f := range a.bySub[row] {
			if j, ok := itemPos[a.features.str(f, 0)]; ok {
				in.itemSubs[j] = append(in.itemSubs[j], int32(pos))
			}
		}
	}
	in.subStrata = len(segIndex)
	return nil
}

// haloCompute computes every item's figures from the input, in parallel
// over items, then the Benjamini–Hochberg q-values across items.
func (r *run) haloCompute(in *haloInput) *tandem.Report {
	if r.p.Resamples == 0 || r.p.Resamples == DefaultResamples {
		r.p.Resamples = HaloResamples
	}
	tot := r.haloTotals(in)
	results := make([]haloResult, len(in.items))
	var wg sync.WaitGroup
	next := make(chan int)
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			w := newHaloWorker(in, tot)
			for j := range next {
				results[j] = r.haloItem(in, tot, w, j)
			}
		})
	}
	for j := range in.items {
		next <- j
	}
	close(next)
	wg.Wait()

	r.haloQValues(results)
	rep := &tandem.Report{Title: "Feature halo", Value: "win-rate difference, adjusted", Unit: "difference", KeyFields: []string{strings.TrimSuffix(r.p.Items, "s")},
		Metrics: haloMetrics, Definitions: r.haloDefinitions(), Notes: in.notes}
	for _, res := range results {
		if res.apart {
			rep.Apart = append(rep.Apart, res.row)
		} else {
			rep.Groups = append(rep.Groups, res.row)
		}
	}
	// Strongest association first; the order is by estimate, not a ranking
	// of causes.
	slices.SortStableFunc(rep.Groups, func(a, b tandem.Group) int {
		va, vb := a.Value, b.Value
		switch {
		case math.IsNaN(va) && !math.IsNaN(vb):
			return 1
		case !math.IsNaN(va) && math.IsNaN(vb):
			return -1
		case va > vb:
			return -1
		case va < vb:
			return 1
		}
		return 0
	})
	return rep
}

var haloMetrics = []tandem.MetricInfo{
	{Name: "win_with", Label: "win rate with", Unit: "proportion"},
	{Name: "win_without", Label: "win rate without", Unit: "proportion"},
	{Name: "win_diff", Label: "win-rate difference, raw", Unit: "difference"},
	{Name: "win_odds_adj", Label: "win odds ratio, adjusted", Unit: "ratio"},
	{Name: "cycle_with", Label: "median days to close with", Unit: "days"},
	{Name: "cycle_without", Label: "median days to close without", Unit: "days"},
	{Name: "size_ratio", Label: "won deal size ratio (geometric means)", Unit: "ratio"},
	{Name: "size_ratio_adj", Label: "won deal size ratio, adjusted", Unit: "ratio"},
	{Name: "renewal_with", Label: "renewal rate with", Unit: "proportion"},
	{Name: "renewal_without", Label: "renewal rate without", Unit: "proportion"},
	{Name: "renewal_diff", Label: "renewal-rate difference", Unit: "difference"},
	{Name: "renewal_ratio", Label: "renewal-rate ratio", Unit: "ratio"},
	{Name: "churn_with", Label: "churn rate with", Unit: "proportion"},
	{Name: "churn_without", Label: "churn rate without", Unit: "proportion"},
	{Name: "churn_diff", Label: "churn-rate difference", Unit: "difference"},
	{Name: "expansion_ratio", Label: "expansion rate ratio, raw", Unit: "ratio"},
	{Name: "expansion_ratio_adj", Label: "expansion rate ratio, segment-adjusted", Unit: "ratio"},
}

func (r *run) haloDefinitions() map[string]string {
	return map[string]string{
		"reading":        "every figure compares deals or customers with the item against those without; a difference is an association, not proof that the item causes it",
		"deals":          "new, expansion and untyped deals in the period (renewal deals are measured as renewals); --where applies to deals",
		"win rate":       defWinRate,
		"win_diff":       "with minus without, Newcombe (1998) hybrid score interval; p from the pooled two-proportion z-test",
		"adjusted":       fmt.Sprintf("stratified by %s (Mantel–Haenszel, not regression): the headline is the MH risk difference with Sato's variance; win_odds_adj the MH odds ratio with the Robins–Breslow–Greenland variance", strings.Join(r.p.Adjust, " × ")),
		"q":              "Benjamini–Hochberg q-values across all items with sufficient data; a finding survives when q < 0.05",
		"cycle":          defCycle,
		"size_ratio":     fmt.Sprintf("ratio of geometric mean won amounts (log scale), Poisson bootstrap with %d replicates, seed %d; adjusted: within-stratum differences of mean log amount averaged with weights n1·n0/(n1+n0)", r.p.Resamples, r.p.Seed),
		"renewal":        defRenewal + "; accounts count once, with their first subscription",
		"churn":          defChurn,
		"expansion":      defExpansion + "; rate ratio with a log-normal interval, adjusted by Mantel–Haenszel over account segment",
		"adoption":       defAdopted,
		"minimum sample": fmt.Sprintf("items with fewer than %d closed deals on either side are listed apart", r.p.MinN),
	}
}

// haloTotals are the population totals that each item's "without" side is
// derived from (total minus with), so an item costs only its own deals.
type haloTotals struct {
	won, closed             []int32 // per stratum
	allWon, allClosed       int
	ev, cens                []int32   // per cycle day
	bootW                   []uint8   // Poisson(1) weights, len(logAmt) × B
	bootN, bootS            []float64 // per replicate: weighted count and sum of log amounts
	sizeN                   []int     // per stratum: won deals with an amount
	sizeS                   []float64 // per stratum: sum of their log amounts
	bootSN, bootSS          []float64 // per stratum × replicate
	renewWon, renewClosed   int
	churned                 int
	expCount, expEligible   []float64 // per segment stratum
	allExpCount, allExpElig float64
}

func (r *run) haloTotals(in *haloInput) *haloTotals {
	t := &haloTotals{won: make([]int32, in.strata), closed: make([]int32, in.strata),
		ev: make([]int32, in.maxDur+1), cens: make([]int32, in.maxDur+1)}
	for i := range in.closed {
		if in.closed[i] {
			t.closed[in.stratum[i]]++
			t.allClosed++
			if in.won[i] {
				t.won[in.stratum[i]]++
				t.allWon++
			}
		}
		if d := in.dur[i]; d >= 0 {
			if in.event[i] {
				t.ev[d]++
			} else {
				t.cens[d]++
			}
		}
	}
	b := r.p.Resamples
	t.bootW = poissonWeights(len(in.logAmt)*b, r.p.Seed)
	t.bootN, t.bootS = make([]float64, b), make([]float64, b)
	t.sizeN, t.sizeS = make([]int, in.strata), make([]float64, in.strata)
	t.bootSN, t.bootSS = make([]float64, in.strata*b), make([]float64, in.strata*b)
	for i, k := range in.wonRow {
		if k >= 0 {
			s := in.stratum[i]
			t.sizeN[s]++
			t.sizeS[s] += in.logAmt[k]
		}
	}
	// The replicates' sums, split by replicate across goroutines: every sum
	// still adds the same deals in the same order.
	parallelRanges(b, func(lo, hi int) {
		bootN, bootS := t.bootN[lo:hi], t.bootS[lo:hi]
		for i, k := range in.wonRow {
			if k < 0 {
				continue
			}
			x, s := in.logAmt[k], int(in.stratum[i])
			w := t.bootW[int(k)*b+lo : int(k)*b+hi]
			sn, ss := t.bootSN[s*b+lo:s*b+hi], t.bootSS[s*b+lo:s*b+hi]
			sn, ss, bootN, bootS = sn[:len(w)], ss[:len(w)], bootN[:len(w)], bootS[:len(w)]
			for q, wk := range w {
				c := float64(wk)
				bootN[q] += c
				bootS[q] += c * x
				sn[q] += c
				ss[q] += c * x
			}
		}
	})
	t.expCount, t.expEligible = make([]float64, in.subStrata), make([]float64, in.subStrata)
	for i := 0; i < in.subs; i++ {
		t.renewWon += int(in.renewWon[i])
		t.renewClosed += int(in.renewClosed[i])
		if in.churned[i] {
			t.churned++
		}
		if in.expEligible[i] {
			t.expEligible[in.subStratum[i]]++
			t.expCount[in.subStratum[i]] += float64(in.expCount[i])
			t.allExpElig++
			t.allExpCount += float64(in.expCount[i])
		}
	}
	return t
}

// parallelRanges splits 0..n-1 into one contiguous range per GOMAXPROCS
// and runs fn on each in its own goroutine.
func parallelRanges(n int, fn func(lo, hi int)) {
	parts := min(runtime.GOMAXPROCS(0), n)
	if parts <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	for p := range parts {
		wg.Go(func() { fn(p*n/parts, (p+1)*n/parts) })
	}
	wg.Wait()
}

// poissonSeed2 is the second seed of the bootstrap weights' PCG.
const poissonSeed2 = 0x9e3779b97f4a7c15

// poissonWeights draws n Poisson(1) counts, capped at 255, reproducibly:
// the i-th count is drawn from the i-th output of PCG(seed, poissonSeed2).
// Ranges are drawn in parallel, each from a generator jumped ahead to its
// start, so the counts are those of one sequential stream.
func poissonWeights(n int, seed uint64) []uint8 {
	// Cumulative Poisson(1) probabilities for 0..9; the rest is ≥ 10.
	var cdf [10]float64
	p, c := math.Exp(-1), 0.0
	for k := range cdf {
		c += p
		cdf[k] = c
		p /= float64(k + 1)
	}
	// count is the draw for u = x/2⁵³, as rand.Rand.Float64 makes u from
	// the stream's 53 low bits x.
	count := func(x uint64) uint8 {
		u := float64(x) / (1 << 53)
		k := 0
		for k < len(cdf) && u > cdf[k] {
			k++
		}
		return uint8(k)
	}
	// The top 12 bits of x decide the count except in the few buckets a
	// cumulative probability falls in (ambiguous, 255), which take the
	// comparisons: a table lookup instead of unpredictable branches.
	const bucketShift = 53 - 12
	var table [1 << 12]uint8
	for j := range table {
		lo, hi := count(uint64(j)<<bucketShift), count(uint64(j+1)<<bucketShift-1)
		table[j] = lo
		if lo != hi {
			table[j] = 255
		}
	}
	w := make([]uint8, n)
	const minRange = 1 << 16
	parts := max(1, min(runtime.GOMAXPROCS(0), n/minRange))
	var wg sync.WaitGroup
	for part := range parts {
		lo, hi := part*n/parts, (part+1)*n/parts
		wg.Go(func() {
			rng := pcgAt(seed, poissonSeed2, uint64(lo))
			out := w[lo:hi]
			for i := range out {
				x := rng.Uint64() << 11 >> 11
				k := table[x>>bucketShift]
				if k == 255 {
					k = count(x)
				}
				out[i] = k
			}
		})
	}
	wg.Wait()
	return w
}

// pcgAt returns rand.NewPCG(seed1, seed2) advanced by n outputs, in
// O(log n) steps: PCG's state is a 128-bit linear congruential generator,
// state·mul + inc, and n steps compose into state·A + C (Brown, "Random
// number generation with arbitrary strides", 1994). TestPCGAt checks it
// against the sequential stream.
func pcgAt(seed1, seed2, n uint64) *rand.PCG {
	// The multiplier and increment of math/rand/v2's PCG.
	mul := u128{2549297995355413924, 4865540595714422341}
	inc := u128{6364136223846793005, 1442695040888963407}
	accMul, accInc := u128{0, 1}, u128{}
	for ; n > 0; n >>= 1 {
		if n&1 == 1 {
			accMul = accMul.mul(mul)
			accInc = accInc.mul(mul).add(inc)
		}
		inc = mul.add(u128{0, 1}).mul(inc)
		mul = mul.mul(mul)
	}
	st := u128{seed1, seed2}.mul(accMul).add(accInc)
	return rand.NewPCG(st.hi, st.lo)
}

// u128 is an unsigned 128-bit integer; arithmetic wraps.
type u128 struct{ hi, lo uint64 }

func (a u128) mul(b u128) u128 {
	hi, lo := bits.Mul64(a.lo, b.lo)
	return u128{hi + a.hi*b.lo + a.lo*b.hi, lo}
}

func (a u128) add(b u128) u128 {
	lo, c := bits.Add64(a.lo, b.lo, 0)
	hi, _ := bits.Add64(a.hi, b.hi, c)
	return u128{hi, lo}
}

// haloWorker holds one goroutine's scratch space.
type haloWorker struct {
	won, closed []int32
	ev, cens    []int32
	bootN       []float64
	bootS       []float64
	ratios      []float64
	adjRatios   []float64
	sizeN       []int
	sizeS       []float64
	bootSN      []float64
	bootSS      []float64
	touched     []int
	expC, expE  []float64
}

func newHaloWorker(in *haloInput, t *haloTotals) *haloWorker {
	b := len(t.bootN)
	return &haloWorker{won: make([]int32, in.strata), closed: make([]int32, in.strata),
		ev: make([]int32, in.maxDur+1), cens: make([]int32, in.maxDur+1),
		bootN: make([]float64, b), bootS: make([]float64, b), ratios: make([]float64, b), adjRatios: make([]float64, b),
		sizeN: make([]int, in.strata), sizeS: make([]float64, in.strata), bootSN: make([]float64, in.strata*b), bootSS: make([]float64, in.strata*b),
		expC: make([]float64, in.subStrata), expE: make([]float64, in.subStrata)}
}

func (r *run) haloItem(in *haloInput, t *haloTotals, w *haloWorker, j int) haloResult {
	deals := in.itemDeals[j]
	clear(w.won)
	clear(w.closed)
	won, closed := 0, 0
	for _, i := range deals {
		if in.closed[i] {
			w.closed[in.stratum[i]]++
			closed++
			if in.won[i] {
				w.won[in.stratum[i]]++
				won++
			}
		}
	}
	res := haloResult{row: tandem.Group{Key: map[string]string{strings.TrimSuffix(r.p.Items, "s"): in.items[j]}, Metrics: map[string]tandem.Estimate{}}}
	m := res.row.Metrics
	won0, closed0 := t.allWon-won, t.allClosed-closed
	m["win_with"] = r.proportion(won, closed)
	m["win_without"] = r.proportion(won0, closed0)
	diff := r.difference(won, closed, won0, closed0)
	m["win_diff"] = diff
	res.pRaw = diff.P

	strata := make([]stats.Stratum, 0, in.strata)
	for s := range w.won {
		if w.closed[s] == 0 || w.closed[s] == t.closed[s] {
			continue
		}
		strata = append(strata, stats.Stratum{K1: int(w.won[s]), N1: int(w.closed[s]), K0: int(t.won[s] - w.won[s]), N0: int(t.closed[s] - w.closed[s])})
	}
	adj := tandem.NewEstimate(min(closed, closed0), math.NaN(), math.NaN(), math.NaN())
	if a, ok := stats.MHRiskDiff(strata, stats.Conf95); ok {
		adj.Value, adj.CILow, adj.CIHigh, adj.P = a.Estimate, a.CI.Lo, a.CI.Hi, a.P
		adj.Note = fmt.Sprintf("associated with; %d strata with both sides", a.Strata)
	} else {
		adj.Note = "no stratum has deals both with and without"
	}
	r.sufficient(&adj)
	res.row.Estimate = adj
	or := tandem.NewEstimate(min(closed, closed0), math.NaN(), math.NaN(), math.NaN())
	if a, ok := stats.MHOddsRatio(strata, stats.Conf95); ok {
		or.Value, or.CILow, or.CIHigh, or.P = a.Estimate, a.CI.Lo, a.CI.Hi, a.P
	}
	r.sufficient(&or)
	m["win_odds_adj"] = or
	res.pAdj = adj.P
	res.apart = closed < r.p.MinN || closed0 < r.p.MinN

	r.haloCycle(in, t, w, deals, m)
	r.haloSize(in, t, w, deals, m)
	if in.retentionSet {
		r.haloRetentionItem(in, t, w, j, m, &res)
	}
	return res
}

// haloCycle adds the Kaplan–Meier medians with and without, from day
// histograms: without = population minus with.
func (r *run) haloCycle(in *haloInput, t *haloTotals, w *haloWorker, deals []int32, m map[string]tandem.Estimate) {
	for _, i := range deals {
		if d := in.dur[i]; d >= 0 {
			if in.event[i] {
				w.ev[d]++
			} else {
				w.cens[d]++
			}
		}
	}
	var tw, t0 []float64
	var ewi, cwi, e0i, c0i []int
	for d := range w.ev {
		if w.ev[d] > 0 || w.cens[d] > 0 {
			tw = append(tw, float64(d))
			ewi, cwi = append(ewi, int(w.ev[d])), append(cwi, int(w.cens[d]))
		}
		if e, c := t.ev[d]-w.ev[d], t.cens[d]-w.cens[d]; e > 0 || c > 0 {
			t0 = append(t0, float64(d))
			e0i, c0i = append(e0i, int(e)), append(c0i, int(c))
		}
	}
	m["cycle_with"] = r.median(stats.KaplanMeierCounts(tw, ewi, cwi))
	m["cycle_without"] = r.median(stats.KaplanMeierCounts(t0, e0i, c0i))
	for _, i := range deals {
		if d := in.dur[i]; d >= 0 {
			w.ev[d], w.cens[d] = 0, 0
		}
	}
}

// haloSize adds the ratio of geometric mean won amounts, raw and
// stratified, with Poisson bootstrap intervals. Each replicate reweights
// every won deal by the same Poisson(1) draw for all items, so the "without"
// side of a replicate is the replicate's total minus its "with" side, per
// stratum. The stratified ratio averages the within-stratum differences of
// mean log amounts with weights n1·n0/(n1+n0), so a feature sold mostly to
// large customers is compared with deals of the same strata.
func (r *run) haloSize(in *haloInput, t *haloTotals, w *haloWorker, deals []int32, m map[string]tandem.Estimate) {
	b := len(t.bootN)
	w.touched = w.touched[:0]
	for _, i := range deals {
		k := in.wonRow[i]
		if k < 0 {
			continue
		}
		x, s := in.logAmt[k], int(in.stratum[i])
		if w.sizeN[s] == 0 {
			w.touched = append(w.touched, s)
		}
		w.sizeN[s]++
		w.sizeS[s] += x
		wk := t.bootW[int(k)*b : int(k+1)*b]
		sn, ss := w.bootSN[s*b:(s+1)*b], w.bootSS[s*b:(s+1)*b]
		sn, ss = sn[:len(wk)], ss[:len(wk)]
		// No branch on zero weights (a third of them, at random): adding
		// 0·x changes no sum, since x is finite and no sum is −0.
		for q, c := range wk {
			f := float64(c)
			sn[q] += f
			ss[q] += f * x
		}
	}
	n1, s1 := 0, 0.0
	for _, s := range w.touched {
		n1 += w.sizeN[s]
		s1 += w.sizeS[s]
	}
	n0 := len(in.logAmt) - n1
	raw := tandem.NewEstimate(min(n1, n0), math.NaN(), math.NaN(), math.NaN())
	adj := raw
	if n1 > 0 && n0 > 0 {
		s0 := -s1
		for _, x := range t.sizeS {
			s0 += x
		}
		raw.Value = math.Exp(s1/float64(n1) - s0/float64(n0))
		adj.Value = stratifiedLogRatio(w.touched, func(s int) (float64, float64, float64, float64) {
			return float64(w.sizeN[s]), w.sizeS[s], float64(t.sizeN[s] - w.sizeN[s]), t.sizeS[s] - w.sizeS[s]
		})
		w.ratios, w.adjRatios = w.ratios[:0], w.adjRatios[:0]
		for q := range b {
			nw, sw := 0.0, 0.0
			for _, s := range w.touched {
				nw += w.bootSN[s*b+q]
				sw += w.bootSS[s*b+q]
			}
			if nwo := t.bootN[q] - nw; nw > 0 && nwo > 0 {
				w.ratios = append(w.ratios, math.Exp(sw/nw-(t.bootS[q]-sw)/nwo))
			}
			if v := stratifiedLogRatio(w.touched, func(s int) (float64, float64, float64, float64) {
				i := s*b + q
				return w.bootSN[i], w.bootSS[i], t.bootSN[i] - w.bootSN[i], t.bootSS[i] - w.bootSS[i]
			}); !math.IsNaN(v) {
				w.adjRatios = append(w.adjRatios, v)
			}
		}
		raw.CILow, raw.CIHigh = stats.Percentiles(w.ratios, stats.Conf95)
		adj.CILow, adj.CIHigh = stats.Percentiles(w.adjRatios, stats.Conf95)
		raw.Note = fmt.Sprintf("n=%d won with, %d without", n1, n0)
		adj.Note = raw.Note
	}
	for _, s := range w.touched {
		w.sizeN[s], w.sizeS[s] = 0, 0
		clear(w.bootSN[s*b : (s+1)*b])
		clear(w.bootSS[s*b : (s+1)*b])
	}
	r.sufficient(&raw)
	r.sufficient(&adj)
	m["size_ratio"] = raw
	m["size_ratio_adj"] = adj
}

// stratifiedLogRatio is exp of the weighted mean over strata of the
// difference in mean log amount (with minus without), weights n1·n0/(n1+n0);
// NaN when no stratum has both sides. get returns n1, sum1, n0, sum0.
func stratifiedLogRatio(strata []int, get func(s int) (n1, s1, n0, s0 float64)) float64 {
	num, den := 0.0, 0.0
	for _, s := range strata {
		n1, s1, n0, s0 := get(s)
		if n1 <= 0 || n0 <= 0 {
			continue
		}
		wt := n1 * n0 / (n1 + n0)
		num += wt * (s1/n1 - s0/n0)
		den += wt
	}
	if den == 0 {
		return math.NaN()
	}
	return math.Exp(num / den)
}

// haloRetentionItem adds renewal, churn and expansion with vs without
// adoption of the feature.
func (r *run) haloRetentionItem(in *haloInput, t *haloTotals, w *haloWorker, j int, m map[string]tandem.Estimate, res *haloResult) {
	subs := in.itemSubs[j]
	rw, rc, ch := 0, 0, 0
	clear(w.expC)
	clear(w.expE)
	ec, ee := 0.0, 0.0
	for _, i := range subs {
		rw += int(in.renewWon[i])
		rc += int(in.renewClosed[i])
		if in.churned[i] {
			ch++
		}
		if in.expEligible[i] {
			w.expE[in.subStratum[i]]++
			w.expC[in.subStratum[i]] += float64(in.expCount[i])
			ee++
			ec += float64(in.expCount[i])
		}
	}
	rw0, rc0 := t.renewWon-rw, t.renewClosed-rc
	m["renewal_with"] = r.proportion(rw, rc)
	m["renewal_without"] = r.proportion(rw0, rc0)
	rd := r.difference(rw, rc, rw0, rc0)
	m["renewal_diff"] = rd
	res.pRenew = rd.P
	rr, riv := stats.RiskRatio(rw, rc, rw0, rc0, stats.Conf95)
	rre := tandem.NewEstimate(min(rc, rc0), rr, riv.Lo, riv.Hi)
	r.sufficient(&rre)
	m["renewal_ratio"] = rre

	n, n0 := len(subs), in.subs-len(subs)
	m["churn_with"] = r.proportion(ch, n)
	m["churn_without"] = r.proportion(t.churned-ch, n0)
	cd := r.difference(ch, n, t.churned-ch, n0)
	m["churn_diff"] = cd
	res.pChurn = cd.P

	ratio, iv, p := stats.RateRatio(ec, ee, t.allExpCount-ec, t.allExpElig-ee, stats.Conf95)
	er := tandem.NewEstimate(int(min(ee, t.allExpElig-ee)), ratio, iv.Lo, iv.Hi)
	er.P = p
	r.sufficient(&er)
	m["expansion_ratio"] = er
	var rs []stats.RateStratum
	for s := range w.expE {
		rs = append(rs, stats.RateStratum{E1: w.expC[s], T1: w.expE[s], E0: t.expCount[s] - w.expC[s], T0: t.expEligible[s] - w.expE[s]})
	}
	ea := tandem.NewEstimate(int(min(ee, t.allExpElig-ee)), math.NaN(), math.NaN(), math.NaN())
	if a, ok := stats.MHRateRatio(rs, stats.Conf95); ok {
		ea.Value, ea.CILow, ea.CIHigh, ea.P = a.Estimate, a.CI.Lo, a.CI.Hi, a.P
	}
	r.sufficient(&ea)
	m["expansion_ratio_adj"] = ea
}

// haloQValues applies Benjamini–Hochberg across the items with sufficient
// data, separately for the adjusted and raw win-rate differences, churn and
// renewal differences.
func (r *run) haloQValues(results []haloResult) {
	var idx []int
	for i := range results {
		if !results[i].apart {
			idx = append(idx, i)
		}
	}
	apply := func(p func(*haloResult) float64, set func(*haloResult, float64)) {
		ps := make([]float64, len(idx))
		for k, i := range idx {
			ps[k] = p(&results[i])
		}
		for k, q := range stats.BenjaminiHochberg(ps) {
			set(&results[idx[k]], q)
		}
	}
	apply(func(h *haloResult) float64 { return h.pAdj }, func(h *haloResult, q float64) {
		h.row.Q = q
		if q < 0.05 {
			h.row.Note = "significant after Benjamini–Hochberg (q < 0.05); " + h.row.Note
		}
	})
	setMetricQ := func(name string) func(*haloResult, float64) {
		return func(h *haloResult, q float64) {
			if e, ok := h.row.Metrics[name]; ok {
				e.Q = q
				h.row.Metrics[name] = e
			}
		}
	}
	apply(func(h *haloResult) float64 { return h.pRaw }, setMetricQ("win_diff"))
	apply(func(h *haloResult) float64 { return h.pChurn }, setMetricQ("churn_diff"))
	apply(func(h *haloResult) float64 { return h.pRenew }, setMetricQ("renewal_diff"))
}

// PreparedHalo is the halo report's input read from the store, so that a
// benchmark can time the computation apart from reading.
type PreparedHalo struct {
	r  *run
	in *haloInput
}

// PrepareHalo reads what the halo report needs.
func (e *Engine) PrepareHalo(ctx context.Context, p tandem.ReportParams) (*PreparedHalo, error) {
	r, err := e.newRun(p)
	if err != nil {
		return nil, err
	}
	in, err := r.haloInput(ctx)
	if err != nil {
		return nil, err
	}
	// The computation reads only the columnar input: the rows it was built
	// from can go.
	r.data = newData(e.store, e.cat)
	return &PreparedHalo{r: r, in: in}, nil
}

// Compute runs the full halo computation on the prepared input: every item,
// every metric, intervals, bootstrap and q-values. It may run many times.
func (h *PreparedHalo) Compute() *tandem.Report {
	r := *h.r
	rep := r.haloCompute(h.in)
	rep.Report, rep.Params = "halo", r.p
	return rep
}

// FlatDeal is one deal of the halo population in the flat form the SQL
// baselines of the benchmark read.
type FlatDeal struct {
	Closed, Won bool
	Cycle       int32   // days to close or censoring; -1 unknown
	Event       bool    // closed (true) or open (censored)
	LogAmount   float64 // log won amount; NaN when not won or no amount
	Stratum     int32
}

// Flat returns the halo population: one FlatDeal per deal, the item names,
// and each item's deal positions.
func (h *PreparedHalo) Flat() (deals []FlatDeal, items []string, itemDeals [][]int32) {
	in := h.in
	deals = make([]FlatDeal, len(in.closed))
	for i := range deals {
		la := math.NaN()
		if k := in.wonRow[i]; k >= 0 {
			la = in.logAmt[k]
		}
		deals[i] = FlatDeal{Closed: in.closed[i], Won: in.won[i], Cycle: in.dur[i], Event: in.event[i], LogAmount: la, Stratum: in.stratum[i]}
	}
	return deals, in.items, in.itemDeals
}
