package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
	"github.com/tandemhq/tandem/internal/desk"
	"github.com/tandemhq/tandem/internal/desk/example"
	"github.com/tandemhq/tandem/internal/service"
	"github.com/tandemhq/tandem/internal/sqldb"
)

// DeskBenchPhase is one measured phase of `tandem bench desk`.
type DeskBenchPhase struct {
	Name string `json:"name"`
	// Target is the offered rate of an open-loop phase (checks per
	// second); 0 for a closed-loop phase, which runs as fast as it can.
	Target   float64 `json:"target_per_second,omitempty"`
	Checks   int     `json:"checks"`
	Errors   int     `json:"errors"`
	Dropped  int     `json:"dropped,omitempty"` // arrivals refused at the in-flight bound
	PerSec   float64 `json:"per_second"`
	P50ms    float64 `json:"p50_ms"`
	P90ms    float64 `json:"p90_ms"`
	P99ms    float64 `json:"p99_ms"`
	MaxMs    float64 `json:"max_ms"`
	Baseline string  `json:"baseline,omitempty"`
	// Ratio is this phase's rate over its baseline's, measured in the same
	// run (closed-loop phases only).
	Ratio float64 `json:"ratio_to_baseline,omitempty"`
}

// DeskBenchResult is what `tandem bench desk` measured.
type DeskBenchResult struct {
	Store      string  `json:"store"`
	Deals      int     `json:"deals"`
	Archetypes int     `json:"archetypes"`
	Quotes     int     `json:"quotes"`
	SetupSec   float64 `json:"setup_seconds"` // derive archetypes, build the desk model
	// ColdSec is the server's first check, which builds its desk model.
	ColdSec float64          `json:"first_check_seconds"`
	Phases  []DeskBenchPhase `json:"phases"`
}

// deskBenchOptions are the flags of `tandem bench desk`.
type deskBenchOptions struct {
	deals       int
	store       string
	keep        string
	duration    time.Duration
	rate        float64
	concurrency int
	inFlight    int
	inProcess   bool
	cpuProfile  string
}

func (a *app) benchDeskCommand() *cobra.Command {
	var o deskBenchOptions
	cmd := &cobra.Command{
		Use:   "desk",
		Short: "Deal checks per second and latency percentiles, in process and over HTTP on loopback",
		Long: `Generate the demo store (--deals, default 1,000,000: the benchmark scale; or
reuse --store), set up the deal desk as 'tandem demo' does (users for the
reps, archetypes derived and accepted, the example rule set), draft a quote
for each of 1,000 open deals, then measure deal checks:

  in process   svc.CheckQuote, closed loop on --concurrency goroutines
  HTTP max     POST /api/v1/desk/check, closed loop, next to GET /healthz
               on the same server (the baseline: HTTP with no store work)
  HTTP rate    POST /api/v1/desk/check at --rate checks/s, open loop:
               arrivals on a fixed schedule, latency measured from the
               scheduled time (so a stall is not hidden), at most
               --in-flight requests outstanding; arrivals over the bound
               are dropped and counted

Each phase runs for --duration. The server is 'tandem serve' in a child
process on 127.0.0.1, authenticated with an API token.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := a.benchDesk(cmd.Context(), o)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(res)
			}
			a.printDeskBench(res)
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.deals, "deals", 1_000_000, "deals in the generated demo store")
	f.StringVar(&o.store, "store", "", "use this existing demo store (a SQLite file) instead of generating one; it is modified (users, archetypes, rules)")
	f.StringVar(&o.keep, "dir", "", "work directory to keep (default: a temporary directory, removed)")
	f.DurationVar(&o.duration, "duration", 10*time.Second, "how long each phase runs")
	f.Float64Var(&o.rate, "rate", 2000, "offered rate of the open-loop phase, checks per second")
	f.IntVar(&o.concurrency, "concurrency", 8, "workers of the closed-loop phases")
	f.IntVar(&o.inFlight, "in-flight", 64, "most outstanding requests of the open-loop phase")
	f.BoolVar(&o.inProcess, "in-process", false, "serve from this process instead of a child process (for tests)")
	f.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the HTTP phases to this file (with --in-process it covers the server too)")
	return cmd
}

// benchDesk runs the deal-desk benchmark.
func (a *app) benchDesk(ctx context.Context, o deskBenchOptions) (*DeskBenchResult, error) {
	if o.concurrency < 1 || o.duration <= 0 || o.deals < 1 || o.rate <= 0 || o.inFlight < 1 {
		return nil, tandem.Errorf(tandem.EINVALID, "--concurrency, --duration, --deals, --rate and --in-flight must be positive")
	}
	dir, cleanup, err := benchDir(o.keep, "tandem-bench-desk-")
	if err != nil {
		return nil, err
	}
	defer cleanup()
	res := &DeskBenchResult{Store: o.store, Deals: o.deals}
	if res.Store == "" {
		res.Store = filepath.Join(dir, "bench.db")
		a.progress("generating the demo store at %d deals into %s", o.deals, res.Store)
		if code := Main(ctx, []string{"demo", "--deals", strconv.Itoa(o.deals), "--no-serve", "--db", res.Store}, io.Discard, a.stderr, a.getenv, a.version); code != 0 {
			return nil, fmt.Errorf("bench: generating the demo store failed (status %d)", code)
		}
	}
	token, quotes, err := a.benchDeskSetup(ctx, res, o)
	if err != nil {
		return nil, err
	}
	res.Quotes = len(quotes)
	bodies := make([][]byte, len(quotes))
	for i, q := range quotes {
		if bodies[i], err = json.Marshal(map[string]any{"quote": q}); err != nil {
			return nil, err
		}
	}

	base, stop, err := a.benchServer(ctx, res.Store, dir, o.inProcess)
	if err != nil {
		return nil, err
	}
	defer stop()
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: o.inFlight, MaxConnsPerHost: o.inFlight}}
	defer client.CloseIdleConnections()
	post := func(ctx context.Context, i int) (time.Duration, bool) {
		return benchDo(ctx, client, http.MethodPost, base+"api/v1/desk/check", token, bodies[i%len(bodies)])
	}
	health := func(ctx context.Context, _ int) (time.Duration, bool) {
		return benchDo(ctx, client, http.MethodGet, base+"healthz", token, nil)
	}
	// The server's first check builds its desk model from the whole store:
	// minutes at the benchmark scale, so it gets its own patient client,
	// and its time is reported apart.
	// The server builds it in the background from its start; a request
	// waiting longer than the server's write timeout is cut off, so the
	// bench asks again until the model is ready.
	cold := &http.Client{Timeout: 5 * time.Minute}
	start := time.Now()
	for {
		if _, ok := benchDo(ctx, cold, http.MethodPost, base+"api/v1/desk/check", token, bodies[0]); ok {
			break
		}
		if time.Since(start) > 30*time.Minute || ctx.Err() != nil {
			return nil, fmt.Errorf("bench: no answer to POST /api/v1/desk/check after %s", time.Since(start).Round(time.Second))
		}
		time.Sleep(time.Second)
	}
	res.ColdSec = time.Since(start).Seconds()
	for i := range bodies { // warm the connections
		post(ctx, i)
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, fmt.Errorf("bench: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	a.progress("HTTP baseline: GET /healthz, closed loop, %d workers, %s", o.concurrency, o.duration)
	hz := closedLoop(ctx, "HTTP GET /healthz (baseline)", o.concurrency, o.duration, health)
	a.progress("HTTP: POST /api/v1/desk/check, closed loop")
	hmax := closedLoop(ctx, "HTTP POST /api/v1/desk/check, closed loop", o.concurrency, o.duration, post)
	hmax.Baseline, hmax.Ratio = hz.Name, hmax.PerSec/hz.PerSec
	a.progress("HTTP: POST /api/v1/desk/check at %.0f/s, open loop", o.rate)
	hrate := openLoop(ctx, fmt.Sprintf("HTTP POST /api/v1/desk/check at %.0f/s, open loop", o.rate), o.rate, o.inFlight, o.duration, post)
	res.Phases = append(res.Phases, hz, hmax, hrate)
	return res, ctx.Err()
}

// benchDeskSetup readies the desk in the store as the demo does, drafts
// quotes for open deals, measures in-process checks, and returns an API
// token of a bench admin.
func (a *app) benchDeskSetup(ctx context.Context, res *DeskBenchResult, o deskBenchOptions) (string, []tandem.Quote, error) {
	db, err := sqldb.Open(ctx, res.Store, a.catalog)
	if err != nil {
		return "", nil, err
	}
	defer db.Close()
	svc := service.New(db, a.catalog, analytics.New(db, a.catalog, time.Now), "", time.Now)
	actor := service.Actor{Name: "cli:bench"}
	pw := "bench password " + strconv.FormatInt(time.Now().UnixNano(), 36)
	u, err := svc.CreateUser(ctx, actor, service.NewUser{Email: "bench-desk@bench.example", Name: "Bench", Role: tandem.RoleAdmin, Password: pw}, false)
	if err != nil && tandem.ErrorCode(err) == tandem.ECONFLICT {
		u, err = svc.UserByEmail(ctx, "bench-desk@bench.example")
	}
	if err != nil {
		return "", nil, fmt.Errorf("bench user: %w", err)
	}
	_, token, err := svc.CreateToken(ctx, actor, u, "bench desk", 0)
	if err != nil {
		return "", nil, fmt.Errorf("bench token: %w", err)
	}
	start := time.Now()
	a.progress("setting up the desk: users for reps, archetypes, example rules")
	if _, err := svc.CreateRepUsers(ctx, actor, "bench.example", pw); err != nil {
		return "", nil, err
	}
	// The example rules name these roles; a store without them refuses
	// the rule set, as it should.
	for _, role := range []tandem.Role{tandem.RoleFinance, tandem.RoleProduct, tandem.RoleRevOps} {
		email := string(role) + "-desk@bench.example"
		if _, err := svc.UserByEmail(ctx, email); err == nil {
			continue
		}
		if _, err := svc.CreateUser(ctx, actor, service.NewUser{Email: email, Name: "Bench " + string(role), Role: role, Password: pw}, false); err != nil {
			return "", nil, fmt.Errorf("bench user: %w", err)
		}
	}
	props, err := svc.DeriveArchetypes(ctx, desk.DeriveOptions{})
	if err != nil {
		return "", nil, err
	}
	if _, err := svc.AcceptDerived(ctx, actor, props, "bench"); err != nil {
		return "", nil, err
	}
	res.Archetypes = len(props)
	if _, err := svc.ApplyRules(ctx, actor, "example-rules.yaml", example.Rules(), "bench"); err != nil {
		return "", nil, err
	}
	open, err := db.List(ctx, "deals", tandem.Query{Filters: []tandem.Filter{{Column: "outcome", Value: "open"}}, Limit: 1000})
	if err != nil {
		return "", nil, err
	}
	var quotes []tandem.Quote
	rng := rand.New(rand.NewPCG(1, 2))
	for _, r := range open.Records {
		q, err := svc.DraftQuote(ctx, r.ID())
		if err != nil {
			continue
		}
		for i := range q.Lines {
			// Vary discounts so checks take every path: in band, above it,
			// and past each approval level.
			q.Lines[i].NetPrice, q.Lines[i].Discount = 0, float64(rng.IntN(45))
		}
		q.PaymentDays = []int{30, 45, 60, 90}[rng.IntN(4)]
		quotes = append(quotes, *q)
	}
	// Keep the quotes the desk takes: a draft whose product has no list
	// price cannot carry the random discount, and would count as an error
	// on every turn of the rotation.
	valid := quotes[:0]
	for _, q := range quotes {
		if _, err := svc.CheckQuote(ctx, q); err == nil {
			valid = append(valid, q)
		} else if tandem.ErrorCode(err) != tandem.EINVALID {
			return "", nil, fmt.Errorf("bench: check: %w", err)
		}
	}
	quotes = valid
	if len(quotes) == 0 {
		return "", nil, fmt.Errorf("bench: no open deal to draft a valid quote for")
	}
	res.SetupSec = time.Since(start).Seconds()
	a.progress("in process: svc.CheckQuote, closed loop, %d workers, %s", o.concurrency, o.duration)
	in := closedLoop(ctx, "in process (svc.CheckQuote), closed loop", o.concurrency, o.duration, func(ctx context.Context, i int) (time.Duration, bool) {
		t := time.Now()
		_, err := svc.CheckQuote(ctx, quotes[i%len(quotes)])
		return time.Since(t), err == nil
	})
	res.Phases = append(res.Phases, in)
	return token, quotes, nil
}

// benchDo sends one request with the token (and a JSON body when not
// nil) and reports its duration and whether it succeeded.
func benchDo(ctx context.Context, c *http.Client, method, url, token string, body []byte) (time.Duration, bool) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return 0, false
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := c.Do(req)
	if err != nil {
		return time.Since(start), false
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return time.Since(start), err == nil && resp.StatusCode/100 == 2
}

// closedLoop runs fn from workers goroutines, each starting its next call
// when the last returns, for d.
func closedLoop(ctx context.Context, name string, workers int, d time.Duration, fn func(context.Context, int) (time.Duration, bool)) DeskBenchPhase {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	var lat []time.Duration
	errs := 0
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Go(func() {
			var mine []time.Duration
			bad := 0
			for i := w; ctx.Err() == nil; i += workers {
				t, ok := fn(ctx, i)
				if ctx.Err() != nil {
					break
				}
				mine = append(mine, t)
				if !ok {
					bad++
				}
			}
			mu.Lock()
			lat, errs = append(lat, mine...), errs+bad
			mu.Unlock()
		})
	}
	wg.Wait()
	return phaseOf(name, lat, errs, time.Since(start))
}

// openLoop offers fn at rate calls per second on a fixed schedule for d,
// with at most inFlight calls outstanding; an arrival finding the bound
// reached is dropped. Latency counts from the scheduled arrival, so time
// spent queued behind a slow call is not hidden (no coordinated
// omission).
func openLoop(ctx context.Context, name string, rate float64, inFlight int, d time.Duration, fn func(context.Context, int) (time.Duration, bool)) DeskBenchPhase {
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	slots := make(chan struct{}, inFlight)
	var mu sync.Mutex
	var lat []time.Duration
	errs, dropped := 0, 0
	var wg sync.WaitGroup
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	end := start.Add(d)
	for i := 0; ; i++ {
		due := start.Add(time.Duration(i) * interval)
		if !due.Before(end) || ctx.Err() != nil {
			break
		}
		if wait := time.Until(due); wait > 0 {
			time.Sleep(wait)
		}
		select {
		case slots <- struct{}{}:
		default:
			dropped++
			continue
		}
		wg.Go(func() {
			defer func() { <-slots }()
			_, ok := fn(ctx, i)
			took := time.Since(due)
			mu.Lock()
			lat = append(lat, took)
			if !ok {
				errs++
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	p := phaseOf(name, lat, errs, d)
	p.Target, p.Dropped = rate, dropped
	return p
}

// phaseOf summarizes latencies.
func phaseOf(name string, lat []time.Duration, errs int, elapsed time.Duration) DeskBenchPhase {
	slices.Sort(lat)
	pct := func(q float64) float64 {
		if len(lat) == 0 {
			return 0
		}
		return float64(lat[min(len(lat)-1, int(q*float64(len(lat))))].Microseconds()) / 1000
	}
	p := DeskBenchPhase{Name: name, Checks: len(lat), Errors: errs, PerSec: float64(len(lat)) / elapsed.Seconds(),
		P50ms: pct(0.5), P90ms: pct(0.9), P99ms: pct(0.99)}
	if len(lat) > 0 {
		p.MaxMs = float64(lat[len(lat)-1].Microseconds()) / 1000
	}
	return p
}

// printDeskBench prints the result as a table.
func (a *app) printDeskBench(r *DeskBenchResult) {
	fmt.Fprintf(a.stdout, "Deal checks: %d deals, %d accepted archetypes, %d quotes in rotation; desk set-up %.1f s; the server's first check (building its model) %.1f s\n\n", r.Deals, r.Archetypes, r.Quotes, r.SetupSec, r.ColdSec)
	fmt.Fprintf(a.stdout, "%-52s %8s %9s %8s %8s %8s %8s %7s %8s %s\n", "phase", "checks", "per s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors", "dropped", "vs baseline")
	for _, p := range r.Phases {
		ratio := ""
		if p.Ratio > 0 {
			ratio = fmt.Sprintf("%.2f×", p.Ratio)
		}
		fmt.Fprintf(a.stdout, "%-52s %8d %9.0f %8.2f %8.2f %8.2f %8.2f %7d %8d %s\n", p.Name, p.Checks, p.PerSec, p.P50ms, p.P90ms, p.P99ms, p.MaxMs, p.Errors, p.Dropped, ratio)
	}
}
