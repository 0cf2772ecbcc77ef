package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/service"
	"github.com/tandemhq/tandem/internal/sqldb"
)

// HTTPBenchEndpoint is the load result of one endpoint.
type HTTPBenchEndpoint struct {
	Name     string  `json:"name"`
	Path     string  `json:"path"`
	Requests int     `json:"requests"`
	Errors   int     `json:"errors"`
	PerSec   float64 `json:"requests_per_second"`
	P50ms    float64 `json:"p50_ms"`
	P90ms    float64 `json:"p90_ms"`
	P99ms    float64 `json:"p99_ms"`
	MaxMs    float64 `json:"max_ms"`
	// Ratio is this endpoint's throughput over the baseline's (GET
	// /healthz on the same server, measured in the same run).
	Ratio float64 `json:"ratio_to_baseline,omitempty"`
}

// HTTPBenchResult is what `tandem bench http` measured.
type HTTPBenchResult struct {
	Store       string              `json:"store"`
	Deals       int                 `json:"deals"`
	Concurrency int                 `json:"concurrency"`
	Seconds     float64             `json:"seconds_per_phase"`
	Baseline    HTTPBenchEndpoint   `json:"baseline"`
	Mixed       HTTPBenchEndpoint   `json:"mixed"`
	Endpoints   []HTTPBenchEndpoint `json:"endpoints"`
}

// httpBenchOptions are the flags of `tandem bench http`.
type httpBenchOptions struct {
	deals       int
	keep        string
	duration    time.Duration
	concurrency int
	inProcess   bool
}

func (a *app) benchHTTPCommand() *cobra.Command {
	var o httpBenchOptions
	cmd := &cobra.Command{
		Use:   "http",
		Short: "Load the web app and API on loopback: list deals, a report, a deal page; rate and latency percentiles",
		Long: `Generate the demo store (--deals, default 20,000, as 'tandem demo' does),
start 'tandem serve' on it as a separate process on 127.0.0.1, and load it
from this process over keep-alive connections (--concurrency, default 16):
first GET /healthz alone (the baseline: the HTTP stack with no store work),
then each endpoint alone, then the three together, each for --duration
(default 10s). Reads go through the same middleware as users' requests,
authenticated with an API token of a bench user. Prints requests per
second, latency percentiles (p50, p90, p99, max) and errors; any error
response counts as an error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			res, err := a.benchHTTP(cmd.Context(), o)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(res)
			}
			a.printHTTPBench(res)
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&o.deals, "deals", 20000, "deals in the generated demo store")
	f.StringVar(&o.keep, "dir", "", "work directory to keep (default: a temporary directory, removed)")
	f.DurationVar(&o.duration, "duration", 10*time.Second, "how long each phase loads the server")
	f.IntVar(&o.concurrency, "concurrency", 16, "concurrent connections")
	f.BoolVar(&o.inProcess, "in-process", false, "serve from this process instead of a child process (for tests)")
	return cmd
}

// benchHTTP runs the load benchmark.
func (a *app) benchHTTP(ctx context.Context, o httpBenchOptions) (*HTTPBenchResult, error) {
	if o.concurrency < 1 || o.duration <= 0 || o.deals < 1 {
		return nil, tandem.Errorf(tandem.EINVALID, "--concurrency, --duration and --deals must be positive")
	}
	dir, cleanup, err := benchDir(o.keep, "tandem-bench-http-")
	if err != nil {
		return nil, err
	}
	defer cleanup()
	res := &HTTPBenchResult{Store: filepath.Join(dir, "bench.db"), Deals: o.deals, Concurrency: o.concurrency, Seconds: o.duration.Seconds()}
	a.progress("generating the demo store at %d deals into %s", o.deals, res.Store)
	if code := Main(ctx, []string{"demo", "--deals", strconv.Itoa(o.deals), "--no-serve", "--db", res.Store}, io.Discard, a.stderr, a.getenv, a.version); code != 0 {
		return nil, fmt.Errorf("bench: generating the demo store failed (status %d)", code)
	}
	token, dealID, err := a.benchUser(ctx, res.Store)
	if err != nil {
		return nil, err
	}
	base, stop, err := a.benchServer(ctx, res.Store, dir, o.inProcess)
	if err != nil {
		return nil, err
	}
	defer stop()

	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: o.concurrency, MaxConnsPerHost: o.concurrency}}
	defer client.CloseIdleConnections()
	endpoints := []struct{ name, path string }{
		{"list deals", "api/v1/deals?limit=50&offset=1000"},
		{"report (win rate by segment)", "api/v1/reports/winrate?by=account.segment"},
		{"deal page (HTML)", "deals/" + dealID},
	}
	// One warm-up request each: the first report request computes it, the
	// rest read the cache, as in use.
	for _, e := range endpoints {
		if _, ok := benchDo(ctx, client, http.MethodGet, base+e.path, token, nil); !ok {
			return nil, fmt.Errorf("bench: warm-up GET /%s failed", e.path)
		}
	}
	a.progress("baseline: GET /healthz for %s at concurrency %d", o.duration, o.concurrency)
	res.Baseline = loadPhase(ctx, client, "baseline (/healthz)", []string{base + "healthz"}, token, o)
	for _, e := range endpoints {
		a.progress("GET /%s", e.path)
		r := loadPhase(ctx, client, e.name, []string{base + e.path}, token, o)
		r.Path = "/" + e.path
		res.Endpoints = append(res.Endpoints, r)
	}
	a.progress("the three together")
	var all []string
	for _, e := range endpoints {
		all = append(all, base+e.path)
	}
	res.Mixed = loadPhase(ctx, client, "mixed (the three in turn)", all, token, o)
	for i := range res.Endpoints {
		res.Endpoints[i].Ratio = res.Endpoints[i].PerSec / res.Baseline.PerSec
	}
	res.Mixed.Ratio = res.Mixed.PerSec / res.Baseline.PerSec
	return res, ctx.Err()
}

// benchUser creates the bench's admin user and token in the store and
// picks a deal for the deal page.
func (a *app) benchUser(ctx context.Context, path string) (token, dealID string, err error) {
	db, err := sqldb.Open(ctx, path, a.catalog)
	if err != nil {
		return "", "", err
	}
	defer db.Close()
	svc := service.New(db, a.catalog, nil, os.TempDir(), time.Now)
	actor := service.Actor{Name: "cli:bench"}
	u, err := svc.CreateUser(ctx, actor, service.NewUser{Email: "bench@bench.example", Name: "Bench", Role: tandem.RoleAdmin, Password: "bench password " + strconv.FormatInt(time.Now().UnixNano(), 36)}, false)
	if err != nil {
		return "", "", fmt.Errorf("bench user: %w", err)
	}
	if _, token, err = svc.CreateToken(ctx, actor, u, "bench", 0); err != nil {
		return "", "", fmt.Errorf("bench token: %w", err)
	}
	p, err := db.List(ctx, "deals", tandem.Query{Limit: 1, Offset: 100})
	if err != nil || len(p.Records) == 0 {
		return "", "", fmt.Errorf("bench: no deal to open: %v", err)
	}
	return token, tandem.FormatValue(p.Records[0].Values[0]), nil
}

// serveURL finds the URL that `tandem serve` prints.
var serveURL = regexp.MustCompile(`http://127\.0\.0\.1:\d+/`)

// benchServer starts `tandem serve` on the store, as a child process
// unless inProcess, and returns its URL and a function that stops it.
func (a *app) benchServer(ctx context.Context, store, dir string, inProcess bool) (string, func(), error) {
	args := []string{"--db", store, "--log-level", "error", "serve", "--addr", "127.0.0.1:0", "--upload-dir", filepath.Join(dir, "uploads")}
	if inProcess {
		sctx, cancel := context.WithCancel(ctx)
		pr, pw := io.Pipe()
		done := make(chan struct{})
		go func() {
			Main(sctx, args, pw, a.stderr, a.getenv, a.version)
			pw.Close()
			close(done)
		}()
		url, err := readURL(pr)
		go io.Copy(io.Discard, pr)
		return url, func() { cancel(); <-done }, err
	}
	exe, err := os.Executable()
	if err != nil {
		return "", nil, fmt.Errorf("bench: %w", err)
	}
	cmd := exec.CommandContext(ctx, exe, args...)
	cmd.Stderr = a.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, fmt.Errorf("bench: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("bench: start server: %w", err)
	}
	stop := func() {
		cmd.Process.Signal(os.Interrupt)
		cmd.Wait()
	}
	url, err := readURL(out)
	if err != nil {
		stop()
		return "", nil, err
	}
	go io.Copy(io.Discard, out)
	return url, stop, nil
}

// readURL reads a server's output until it prints its URL.
func readURL(r io.Reader) (string, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if u := serveURL.FindString(sc.Text()); u != "" {
			return u, nil
		}
	}
	return "", fmt.Errorf("bench: the server exited without printing its URL")
}

// loadPhase loads urls in turn from o.concurrency workers for o.duration,
// with the same closed loop and percentiles as the desk bench.
func loadPhase(ctx context.Context, c *http.Client, name string, urls []string, token string, o httpBenchOptions) HTTPBenchEndpoint {
	p := closedLoop(ctx, name, o.concurrency, o.duration, func(ctx context.Context, i int) (time.Duration, bool) {
		return benchDo(ctx, c, http.MethodGet, urls[i%len(urls)], token, nil)
	})
	return HTTPBenchEndpoint{Name: name, Requests: p.Checks, Errors: p.Errors, PerSec: p.PerSec,
		P50ms: p.P50ms, P90ms: p.P90ms, P99ms: p.P99ms, MaxMs: p.MaxMs}
}

// printHTTPBench prints the result as a table.
func (a *app) printHTTPBench(r *HTTPBenchResult) {
	fmt.Fprintf(a.stdout, "HTTP load on loopback: %d deals, %d connections, %.0f s per phase\n\n", r.Deals, r.Concurrency, r.Seconds)
	fmt.Fprintf(a.stdout, "%-30s %9s %8s %8s %8s %8s %8s %7s %s\n", "endpoint", "requests", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors", "vs baseline")
	row := func(e HTTPBenchEndpoint) {
		ratio := ""
		if e.Ratio > 0 {
			ratio = fmt.Sprintf("%.2f×", e.Ratio)
		}
		fmt.Fprintf(a.stdout, "%-30s %9d %8.0f %8.2f %8.2f %8.2f %8.2f %7d %s\n", e.Name, e.Requests, e.PerSec, e.P50ms, e.P90ms, e.P99ms, e.MaxMs, e.Errors, ratio)
	}
	row(r.Baseline)
	for _, e := range r.Endpoints {
		row(e)
	}
	row(r.Mixed)
}
