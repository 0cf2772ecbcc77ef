package demo

import (
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// rng is a PCG generator that can be re-seeded for a stream and an index, so
// that every account (and every other unit of generation) draws from its own
// reproducible sequence: results do not depend on the order units are
// processed in, or on how many units a calibration pass looks at.
type rng struct {
	src  rand.PCG
	r    *rand.Rand
	seed uint64
}

// Streams: one per kind of unit, so two kinds never share a sequence.
const (
	streamAccountAttrs uint64 = iota + 1
	streamAccountSim
	streamReps
	streamFeatures
	streamAdjust
	streamLeads
	streamTickets
	streamUsage
	streamUsageKeep
	streamChurn
)

func newRNG(seed uint64) *rng {
	g := &rng{seed: seed}
	g.r = rand.New(&g.src)
	return g
}

// mix is the splitmix64 finalizer: a bijection that spreads nearby inputs.
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// reset positions the generator at the start of the sequence of (stream, index).
func (g *rng) reset(stream uint64, index int) {
	g.src.Seed(mix(g.seed^mix(stream)), mix(stream<<40^uint64(index)))
}

func (g *rng) float() float64 { return g.r.Float64() }

func (g *rng) intn(n int) int {
	if n <= 1 {
		return 0
	}
	return g.r.IntN(n)
}

func (g *rng) bern(p float64) bool { return g.r.Float64() < p }

func (g *rng) norm() float64 { return g.r.NormFloat64() }

// expDays draws an exponential waiting time with the given mean, in days.
func (g *rng) expDays(mean float64) day {
	v := g.r.ExpFloat64() * mean
	if v > 1e6 {
		v = 1e6
	}
	return day(v)
}

// poisson draws a Poisson count (normal approximation above 30).
func (g *rng) poisson(lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	if lambda > 30 {
		return max(0, int(math.Round(lambda+math.Sqrt(lambda)*g.norm())))
	}
	limit, p, k := math.Exp(-lambda), 1.0, 0
	for {
		p *= g.float()
		if p <= limit {
			return k
		}
		k++
	}
}

// pick draws an index with probability proportional to its weight, given the
// cumulative weights.
func (g *rng) pick(cum []float64) int {
	u := g.float() * cum[len(cum)-1]
	lo, hi := 0, len(cum)-1
	for lo < hi {
		m := (lo + hi) / 2
		if cum[m] > u {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// cumulative turns weights into the running sums pick expects.
func cumulative(w []float64) []float64 {
	out := make([]float64, len(w))
	s := 0.0
	for i, x := range w {
		s += x
		out[i] = s
	}
	return out
}

// day counts days since 1970-01-01 UTC; the generator works in whole days.
type day = int32

func toDay(t time.Time) day {
	s := t.Unix()
	d := s / 86400
	if s < 0 && s%86400 != 0 {
		d--
	}
	return day(d)
}

func dayTime(d day) time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// addYears moves d by whole calendar years, the length of a subscription term.
func addYears(d day, years int) day { return toDay(dayTime(d).AddDate(years, 0, 0)) }

// calendar boxes each day's time.Time once, so the millions of rows that
// share a date share one interface value instead of allocating their own.
type calendar struct {
	base  day
	boxed []any
	text  []string
}

func newCalendar(from, to day) *calendar {
	return &calendar{base: from, boxed: make([]any, to-from+1), text: make([]string, to-from+1)}
}

func (c *calendar) at(d day) any {
	i := int(d - c.base)
	if i < 0 || i >= len(c.boxed) {
		return dayTime(d)
	}
	if c.boxed[i] == nil {
		c.boxed[i] = dayTime(d)
	}
	return c.boxed[i]
}

// format is the day as tandem.FormatValue writes it (YYYY-MM-DD).
func (c *calendar) format(d day) string {
	i := int(d - c.base)
	if i < 0 || i >= len(c.text) {
		return dayTime(d).Format(time.DateOnly)
	}
	if c.text[i] == "" {
		c.text[i] = dayTime(d).Format(time.DateOnly)
	}
	return c.text[i]
}

// ident formats prefix followed by n zero-padded to width digits.
func ident(prefix string, n, width int) string {
	var buf [40]byte
	return string(appendIdent(buf[:0], prefix, n, width))
}

// appendIdent appends ident(prefix, n, width) to b without allocating.
func appendIdent(b []byte, prefix string, n, width int) []byte {
	b = append(b, prefix...)
	var digits [20]byte
	s := strconv.AppendInt(digits[:0], int64(n), 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// idList returns the ids prefix+1 ... prefix+n, zero-padded to width. They
// are carved from shared block strings (slicing a string does not
// allocate), one allocation per 4,096 ids.
func idList(prefix string, n, width int) []string {
	out := make([]string, n)
	l := len(prefix) + width
	for lo := 0; lo < n; lo += 4096 {
		hi := min(n, lo+4096)
		buf := make([]byte, 0, (hi-lo)*l)
		for i := lo; i < hi; i++ {
			buf = appendIdent(buf, prefix, i+1, width)
		}
		block := string(buf)
		for i := lo; i < hi; i++ {
			out[i] = block[(i-lo)*l : (i-lo+1)*l]
		}
	}
	return out
}

// boxAll converts strings to interface values once, so records that share a
// value (a stage name, a segment) share one allocation.
func boxAll(s []string) []any {
	out := make([]any, len(s))
	for i, x := range s {
		out[i] = x
	}
	return out
}

// sortByDay reorders items stably by a day key: a counting sort, linear in
// the number of items, since the keys span a few thousand days. Items equal
// in key keep their order, so the result is deterministic.
func sortByDay[T any](items []T, key func(*T) day) []T {
	if len(items) == 0 {
		return items
	}
	lo, hi := key(&items[0]), key(&items[0])
	for i := range items {
		k := key(&items[i])
		lo, hi = min(lo, k), max(hi, k)
	}
	next := make([]int, int(hi-lo)+2)
	for i := range items {
		next[key(&items[i])-lo+1]++
	}
	for i := 1; i < len(next); i++ {
		next[i] += next[i-1]
	}
	out := make([]T, len(items))
	for i := range items {
		k := key(&items[i]) - lo
		out[next[k]] = items[i]
		next[k]++
	}
	return out
}

// lognormalTable holds exp(sigma*z) at 1,024 evenly spaced quantiles of the
// standard normal: drawing an index is a cheap stand-in for exp(sigma*N(0,1))
// in the usage rows' inner loop.
func lognormalTable(sigma float64) []float64 {
	out := make([]float64, 1024)
	for i := range out {
		q := (float64(i) + 0.5) / float64(len(out))
		out[i] = math.Exp(sigma * math.Sqrt2 * math.Erfinv(2*q-1))
	}
	return out
}

// width is the number of digits of n, so ids of one entity sort in order.
func width(n int) int { return max(1, len(strconv.Itoa(n))) }

func round2(x float64) float64 { return math.Round(x*100) / 100 }
