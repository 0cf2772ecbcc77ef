package cli_test

// The harness of the end-to-end browser tests (browser_flows_test.go): the
// server started in-process through cli.Main, one headless Chromium shared by
// every flow, tabs that fail the test on any console error, uncaught
// exception or Content-Security-Policy violation, keyboard and layout probes,
// and screenshots.

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/tandemhq/tandem/internal/cli"
)

// screenshotsDir is where README's screenshots are refreshed:
//
//	go test ./internal/cli -run Browser -screenshots ../../docs/screenshots
//
// (go test runs in the package directory, so the path is relative to it).
var screenshotsDir = flag.String("screenshots", "", "also write the browser tests' screenshots (PNG, from the SQLite run) into this directory")

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServer runs `tandem serve` on the store in-process, on a free port,
// until the test ends, and returns its URL (with a trailing slash).
func startServer(t *testing.T, dsn string) string {
	t.Helper()
	url, _ := serveStore(t, dsn)
	return url
}

// serveStore is startServer that also returns the server's log (warnings
// and errors). Uploads are staged in the test's temporary directory.
func serveStore(t *testing.T, dsn string) (string, *syncBuffer) {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	out, logs := &syncBuffer{}, &syncBuffer{}
	done := make(chan int)
	args := []string{"--db", dsn, "--log-level", "warn", "serve", "--addr", "127.0.0.1:0", "--upload-dir", t.TempDir()}
	go func() {
		done <- cli.Main(ctx, args, out, logs, func(string) string { return "" }, cli.Version{Version: "test"})
	}()
	t.Cleanup(func() {
		stop()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d: %s", code, logs.String())
		}
	})
	urlRe := regexp.MustCompile(`http://127\.0\.0\.1:\d+/`)
	var url string
	for deadline := time.Now().Add(10 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		url = urlRe.FindString(out.String())
	}
	if url == "" {
		t.Fatalf("serve printed no URL: %q %q", out.String(), logs.String())
	}
	return url, logs
}

// checkServerLog fails the test when the server logged an error.
func checkServerLog(t *testing.T, logs *syncBuffer) {
	t.Helper()
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "level=ERROR") {
			t.Errorf("server logged an error: %s", line)
		}
	}
}

// chromium returns the browser's path, skipping the test when there is none
// unless the test script demands a browser.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("TANDEM_REQUIRE_BROWSER") == "1" {
		t.Fatal("no Chromium found and TANDEM_REQUIRE_BROWSER=1")
	}
	t.Skip("no Chromium found")
	return ""
}

// Viewports of the layout checks and screenshots.
const (
	desktopW, desktopH = 1280, 800
	phoneW, phoneH     = 375, 812
)

// browser is one headless Chromium shared by every flow of a test; each
// tab runs in its own browser context, so sessions never mix.
type browser struct {
	ctx   context.Context
	shots *shots
}

// newBrowser starts Chromium with the flags the project's tests use and
// stops it when the test ends.
func newBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true),
		chromedp.Flag("hide-scrollbars", true), chromedp.Flag("font-render-hinting", "none"),
		chromedp.WindowSize(desktopW, desktopH), chromedp.UserDataDir(t.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	t.Cleanup(cancelBrowser)
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return &browser{ctx: bctx, shots: newShots(t)}
}

// cspProbe runs before every document's own scripts (CDP-injected scripts
// are exempt from the page's CSP) and turns every CSP violation into a
// console error, in addition to the browser's own security log entry.
const cspProbe = `document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber);
});`

// tab is one browser tab (its own cookie jar) on a server.
type tab struct {
	t     *testing.T
	ctx   context.Context
	base  string // server URL without the trailing slash
	width int    // of the viewport

	mu       sync.Mutex
	problems []string
	// expected are URLs whose error status is what the test asked for, so
	// the browser's "failed to load resource" entry for them is no problem.
	expected map[string]bool
}

// newTab opens a tab in a fresh browser context with a 1280×800 viewport.
func (b *browser) newTab(t *testing.T, serverURL string) *tab {
	t.Helper()
	tb := &tab{t: t, base: strings.TrimSuffix(serverURL, "/"), width: desktopW, expected: map[string]bool{}}
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext(), chromedp.WithListener(tb.event))
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(cancelTimeout)
	tb.ctx = ctx
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(desktopW, desktopH),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			if _, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspProbe}); err != nil {
				return err
			}
			// Focus behaves as in a foreground tab (:focus, activeElement).
			_, err := cdp.Call(ctx, tg, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true})
			return err
		}),
	); err != nil {
		t.Fatalf("open tab: %v", err)
	}
	return tb
}

// event records console errors, uncaught exceptions and error entries of
// the browser log (CSP violations, failed loads). It runs in the tab's
// event loop, so it only appends under the lock.
func (tb *tab) event(ev any) {
	var p string
	switch e := ev.(type) {
	case *runtime.EventExceptionThrown:
		d := e.ExceptionDetails
		p = "uncaught exception: " + d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			p += " " + d.Exception.Description
		}
		p += fmt.Sprintf(" (%s:%d)", d.URL, d.LineNumber+1)
	case *runtime.EventConsoleAPICalled:
		if e.Type != runtime.ConsoleAPICalledTypeError && e.Type != runtime.ConsoleAPICalledTypeAssert {
			return
		}
		var parts []string
		for _, a := range e.Args {
			switch {
			case len(a.Value) > 0:
				var s string
				if json.Unmarshal(a.Value, &s) == nil {
					parts = append(parts, s)
				} else {
					parts = append(parts, string(a.Value))
				}
			case a.Description != "":
				parts = append(parts, a.Description)
			}
		}
		p = "console." + string(e.Type) + ": " + strings.Join(parts, " ")
	case *cdplog.EventEntryAdded:
		en := e.Entry
		csp := strings.Contains(en.Text, "Content Security Policy")
		if en.Level != cdplog.EntryLevelError && !csp {
			return
		}
		tb.mu.Lock()
		defer tb.mu.Unlock()
		if !csp && en.Source == cdplog.EntrySourceNetwork && tb.expected[en.URL] {
			return
		}
		tb.problems = append(tb.problems, fmt.Sprintf("browser log (%s, %s): %s %s", en.Source, en.Level, en.Text, en.URL))
		return
	default:
		return
	}
	tb.mu.Lock()
	tb.problems = append(tb.problems, p)
	tb.mu.Unlock()
}

// check fails the test with every console problem since the last check,
// naming the page they came from.
func (tb *tab) check(where string) {
	tb.t.Helper()
	// A round trip: the events the browser sent before its answer have
	// been handled when it arrives.
	_, _ = chromedp.Run(tb.ctx, chromedp.Evaluate[int](`1`))
	tb.mu.Lock()
	probs := tb.problems
	tb.problems = nil
	tb.mu.Unlock()
	for _, p := range probs {
		tb.t.Errorf("%s: %s", where, p)
	}
}

// url is the absolute URL of a path on the tab's server.
func (tb *tab) url(path string) string { return tb.base + path }

// path is the path and query of the page the tab shows.
func (tb *tab) path() string {
	tb.t.Helper()
	loc, err := chromedp.Run(tb.ctx, chromedp.Location())
	if err != nil {
		tb.t.Fatalf("location: %v", err)
	}
	u, err := url.Parse(loc)
	if err != nil {
		tb.t.Fatalf("location %q: %v", loc, err)
	}
	return u.RequestURI()
}

// open navigates to path and requires the final document's status; the
// browser's error entry for an expected error status is no problem. Every
// page must be free of console problems and of sideways scrolling.
func (tb *tab) open(path string, wantStatus int) *network.Response {
	tb.t.Helper()
	if wantStatus >= 400 {
		tb.mu.Lock()
		tb.expected[tb.url(path)] = true
		tb.mu.Unlock()
	}
	resp, err := chromedp.Run(tb.ctx, chromedp.NavigateResponse(tb.url(path)))
	if err != nil {
		tb.t.Fatalf("open %s: %v", path, err)
	}
	if resp == nil {
		tb.t.Fatalf("open %s: no response", path)
	}
	if int(resp.Status) != wantStatus {
		tb.t.Errorf("open %s: status %d, want %d (at %s)", path, resp.Status, wantStatus, resp.URL)
	}
	tb.check(path)
	tb.checkLayout(path)
	return resp
}

// follow runs an action that navigates (a click on a link or a submit
// button) and returns the final document's response, requiring its status.
func (tb *tab) follow(what string, wantStatus int, steps ...chromedp.Action[chromedp.Void]) *network.Response {
	tb.t.Helper()
	resp, err := chromedp.RunResponse(tb.ctx, steps...)
	if err != nil {
		tb.t.Fatalf("%s: %v", what, err)
	}
	if resp == nil {
		tb.t.Fatalf("%s: no response", what)
	}
	if int(resp.Status) != wantStatus {
		tb.t.Errorf("%s: status %d, want %d (at %s): %.600s", what, resp.Status, wantStatus, resp.URL, tb.text("main"))
	}
	tb.check(what)
	tb.checkLayout(what)
	return resp
}

// do runs actions that do not navigate.
func (tb *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, steps...); err != nil {
		tb.t.Fatalf("%s: %v", what, err)
	}
}

// eval runs JavaScript in the page and decodes its JSON result into T.
func eval[T any](tb *tab, js string) T {
	tb.t.Helper()
	v, err := chromedp.Run(tb.ctx, chromedp.Evaluate[T](js))
	if err != nil {
		tb.t.Fatalf("evaluate %.80q: %v", js, err)
	}
	return v
}

// text is the visible text (innerText) of the first element matching a CSS
// selector, or "" when there is none; it never waits.
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	return eval[string](tb, fmt.Sprintf(`(function(){var e=document.querySelector(%s);return e?e.innerText:""})()`, jsString(sel)))
}

// textContent is the text of the first element matching a CSS selector as
// written in the page (before CSS transforms it), trimmed.
func (tb *tab) textContent(sel string) string {
	tb.t.Helper()
	return eval[string](tb, fmt.Sprintf(`(function(){var e=document.querySelector(%s);return e?e.textContent.trim():""})()`, jsString(sel)))
}

// texts is the visible text of every element matching a CSS selector.
func (tb *tab) texts(sel string) []string {
	tb.t.Helper()
	return eval[[]string](tb, fmt.Sprintf(`Array.from(document.querySelectorAll(%s), function(e){return e.innerText})`, jsString(sel)))
}

// count is the number of elements matching a CSS selector.
func (tb *tab) count(sel string) int {
	tb.t.Helper()
	return eval[int](tb, fmt.Sprintf(`document.querySelectorAll(%s).length`, jsString(sel)))
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// signIn signs in through the sign-in form and lands on the overview.
func (tb *tab) signIn(email, password string) {
	tb.t.Helper()
	tb.open("/signin", 200)
	tb.do("fill the sign-in form",
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.SendKeys(chromedp.CSS("#password"), password))
	resp := tb.follow("sign in as "+email, 200, chromedp.Click(chromedp.CSS(`form[action="/signin"] button[type="submit"]`)))
	if u, _ := url.Parse(resp.URL); u == nil || u.Path != "/" {
		tb.t.Fatalf("sign in as %s landed on %s: %.300s", email, resp.URL, tb.text("main"))
	}
}

// navLinks are the hrefs of the main navigation.
func (tb *tab) navLinks() []string {
	tb.t.Helper()
	return eval[[]string](tb, `Array.from(document.querySelectorAll("nav.sidenav a"), function(a){return a.getAttribute("href")})`)
}

// focusStop is what has keyboard focus after a Tab press.
type focusStop struct {
	Desc   string `json:"desc"`
	Skip   bool   `json:"skip"`
	Nav    bool   `json:"nav"`
	Main   bool   `json:"main"`
	Target bool   `json:"target"` // the first focusable element of main
	Body   bool   `json:"body"`
	Seen   bool   `json:"seen"` // focused before in this walk
	Same   bool   `json:"same"` // focused by the previous press too (a date input's fields)
}

// keyboardJS marks the page's focusable elements and describes the focused
// one. __tandemFocus() returns a focusStop; __tandemMissed() lists the
// focusable elements that no Tab press reached.
const keyboardJS = `(function(){
  var sel = 'a[href], button, input:not([type="hidden"]), select, textarea, summary, [tabindex]';
  function focusable(e) {
    if (e.disabled || e.getAttribute("tabindex") === "-1") return false;
    if (e.closest("[inert]")) return false;
    var d = e.closest("details:not([open])");
    if (d && e.tagName !== "SUMMARY") return false;
    if (d && e.tagName === "SUMMARY" && e.parentElement !== d) return false;
    var r = e.getClientRects();
    if (!r.length) return false;
    var s = getComputedStyle(e);
    return s.visibility !== "hidden" && s.display !== "none";
  }
  var all = Array.from(document.querySelectorAll(sel)).filter(focusable);
  var main = document.querySelector("main");
  var first = all.filter(function(e){ return main && main.contains(e); })[0] || null;
  var seen = new Set(), last = null;
  function desc(e) {
    var s = e.tagName.toLowerCase();
    if (e.id) s += "#" + e.id;
    if (e.className && typeof e.className === "string") s += "." + e.className.trim().split(/\s+/).join(".");
    var h = e.getAttribute("href"); if (h) s += "[href=" + h + "]";
    var t = (e.innerText || e.value || "").trim().replace(/\s+/g, " ").slice(0, 40); if (t) s += " " + JSON.stringify(t);
    return s;
  }
  window.__tandemFocus = function() {
    var e = document.activeElement;
    if (!e || e === document.body || e === document.documentElement) return {desc: "body", body: true};
    var was = seen.has(e), same = e === last; seen.add(e); last = e;
    return {desc: desc(e), skip: e.classList.contains("skip-link"), nav: !!e.closest("nav.sidenav"),
      main: !!(main && main.contains(e)), target: e === first, seen: was && !same, same: same};
  };
  window.__tandemMissed = function() {
    return all.filter(function(e){ return !seen.has(e); }).map(desc);
  };
  return first ? desc(first) : "";
})()`

// checkKeyboard presses Tab from the top of the page until focus has gone
// round every focusable element: the first stop must be the skip link, the
// walk must pass the navigation (when the page has one) and reach main's
// first link or control, and no focusable element may be unreachable.
// Enter on the skip link must move focus to main.
func (tb *tab) checkKeyboard(where string) {
	tb.t.Helper()
	first := eval[string](tb, keyboardJS)
	hasNav := tb.count("nav.sidenav a") > 0
	var stops []focusStop
	sawNav, sawTarget := false, false
	for i := 0; i < 400; i++ {
		tb.do("press Tab", chromedp.KeyEvent(kb.Tab))
		f := eval[focusStop](tb, `__tandemFocus()`)
		if f.Seen || (f.Body && i > 0) {
			break
		}
		if f.Same {
			continue
		}
		stops = append(stops, f)
		sawNav = sawNav || f.Nav
		sawTarget = sawTarget || f.Target
	}
	describe := func() string {
		var s []string
		for i, f := range stops {
			if i == 12 {
				s = append(s, fmt.Sprintf("... (%d stops)", len(stops)))
				break
			}
			s = append(s, f.Desc)
		}
		return strings.Join(s, " → ")
	}
	switch {
	case len(stops) == 0:
		tb.t.Errorf("%s: Tab focuses nothing", where)
		return
	case !stops[0].Skip:
		tb.t.Errorf("%s: the first Tab focuses %s, not the skip link: %s", where, stops[0].Desc, describe())
	}
	if hasNav && !sawNav {
		tb.t.Errorf("%s: Tab never reaches the navigation: %s", where, describe())
	}
	if first != "" && !sawTarget {
		tb.t.Errorf("%s: Tab never reaches main's first control %s: %s", where, first, describe())
	}
	if missed := eval[[]string](tb, `__tandemMissed()`); len(missed) > 0 {
		if len(missed) > 8 {
			missed = append(missed[:8], fmt.Sprintf("... (%d in all)", len(missed)))
		}
		tb.t.Errorf("%s: focusable elements that Tab does not reach: %s", where, strings.Join(missed, ", "))
	}
	// The skip link takes focus to main.
	tb.do("focus the skip link", chromedp.Evaluate[chromedp.Void](`window.scrollTo(0,0); document.activeElement && document.activeElement.blur(); document.querySelector("a.skip-link").focus()`),
		chromedp.KeyEvent(kb.Enter))
	if id := eval[string](tb, `document.activeElement ? document.activeElement.id : ""`); id != "main" {
		tb.t.Errorf("%s: Enter on the skip link leaves focus on %q, not main", where, id)
	}
	tb.check(where + " (keyboard)")
}

// overflowJS lists the page's horizontal overflow: the document's scroll
// width against the viewport, and the widest elements that stick out of it
// and do not sit inside their own scrolling box.
const overflowJS = `(function(){
  var vw = window.innerWidth, sw = document.documentElement.scrollWidth;
  var out = [];
  if (sw > vw + 1) {
    Array.from(document.body.querySelectorAll("*")).forEach(function(e){
      var r = e.getBoundingClientRect();
      if (r.width === 0 || r.right <= vw + 1) return;
      for (var p = e.parentElement; p && p !== document.body; p = p.parentElement) {
        var ox = getComputedStyle(p).overflowX;
        if (ox === "auto" || ox === "scroll" || ox === "hidden" || ox === "clip") return;
      }
      var d = e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (typeof e.className === "string" && e.className ? "." + e.className.trim().split(/\s+/).join(".") : "");
      out.push(d + " right=" + Math.round(r.right));
    });
  }
  return {vw: vw, cw: document.documentElement.clientWidth, sw: sw, culprits: out.slice(0, 8)};
})()`

// overflow is what overflowJS reports.
type overflow struct {
	VW       int      `json:"vw"`
	CW       int      `json:"cw"`
	SW       int      `json:"sw"`
	Culprits []string `json:"culprits"`
}

// checkLayout requires the page to have no horizontal overflow at the
// tab's viewport width: wide tables scroll inside their own wrapper.
func (tb *tab) checkLayout(where string) {
	tb.t.Helper()
	r := eval[overflow](tb, overflowJS)
	if r.SW > r.VW+1 || r.SW > tb.width+1 {
		tb.t.Errorf("%s at %dpx wide: the page scrolls sideways (scrollWidth %d, innerWidth %d, clientWidth %d); sticking out: %s",
			where, tb.width, r.SW, r.VW, r.CW, strings.Join(r.Culprits, ", "))
	}
}

// viewport sets the tab's viewport; phone sizes emulate a mobile device.
func (tb *tab) viewport(w, h int64) {
	tb.t.Helper()
	var opts []chromedp.EmulateViewportOption
	if w < 600 {
		opts = append(opts, chromedp.EmulateMobile)
	}
	tb.do("set the viewport", chromedp.EmulateViewport(w, h, opts...))
	tb.width = int(w)
}

// shots writes screenshots to the artifacts directory ($TANDEM_ARTIFACTS,
// else a temporary directory) and, for the SQLite run, to -screenshots.
type shots struct {
	dir string
}

func newShots(t *testing.T) *shots {
	t.Helper()
	dir := os.Getenv("TANDEM_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	} else {
		dir = filepath.Join(dir, "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("screenshots: %v", err)
	}
	t.Logf("browser screenshots: %s", dir)
	if *screenshotsDir != "" {
		if err := os.MkdirAll(*screenshotsDir, 0o755); err != nil {
			t.Fatalf("-screenshots: %v", err)
		}
		abs, _ := filepath.Abs(*screenshotsDir)
		t.Logf("README screenshots: %s", abs)
	}
	return &shots{dir: dir}
}

// readmeShots are the screenshots README uses; -screenshots gets only these.
var readmeShots = []string{"signin", "overview", "overview-phone", "deals", "deal", "report-winrate",
	"feature-halo", "import-preview", "users", "audit", "feedback-inbox", "feedback-item", "competitor", "deal-battlecard",
	"specials-board", "special", "specials-matrix"}

// maxShotBytes is the size a README screenshot should stay under.
const maxShotBytes = 400 << 10

// maxShotHeight bounds full-page captures.
const maxShotHeight = 2400

// shot captures the tab as name.png: the viewport, or the whole page (up to
// maxShotHeight pixels) when full is set.
func (tb *tab) shot(b *browser, dialect, name string, full bool) {
	tb.t.Helper()
	// Let fonts and layout settle, and take focus rings off the picture.
	tb.do("prepare screenshot", chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur(); window.scrollTo(0,0)`))
	png, err := chromedp.Run(tb.ctx, func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
		p := page.CaptureScreenshotParams{Format: page.CaptureScreenshotFormatPng, FromSurface: new(true)}
		if full {
			m, err := cdp.Call(ctx, tg, page.GetLayoutMetrics, cdp.Empty{})
			if err != nil {
				return nil, err
			}
			w, h := m.CSSLayoutViewport.ClientWidth, m.CSSContentSize.Height
			h = min(h, maxShotHeight)
			p.Clip = &page.Viewport{X: 0, Y: 0, Width: float64(w), Height: h, Scale: 1}
			p.CaptureBeyondViewport = new(true)
		}
		r, err := cdp.Call(ctx, tg, page.CaptureScreenshot, p)
		return r.Data, err
	})
	if err != nil {
		tb.t.Errorf("screenshot %s: %v", name, err)
		return
	}
	dirs := []string{filepath.Join(b.shots.dir, dialect)}
	if *screenshotsDir != "" && dialect == "sqlite" && slices.Contains(readmeShots, name) {
		dirs = append(dirs, *screenshotsDir)
	}
	for _, dir := range dirs {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			tb.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			tb.t.Errorf("screenshot %s: %v", name, err)
		}
	}
	if len(png) > maxShotBytes {
		tb.t.Logf("screenshot %s.png has %d KB (more than %d KB)", name, len(png)>>10, maxShotBytes>>10)
	}
}
