package cli_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/tandemhq/tandem/internal/cli"
	"github.com/tandemhq/tandem/internal/testdb"
)

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
// until the test ends, and returns its URL.
func startServer(t *testing.T, dsn string) string {
	t.Helper()
	ctx, stop := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan int)
	go func() {
		done <- cli.Main(ctx, []string{"--db", dsn, "--log-level", "warn", "serve", "--addr", "127.0.0.1:0"}, out, &syncBuffer{}, func(string) string { return "" }, cli.Version{Version: "test"})
	}()
	t.Cleanup(func() {
		stop()
		if code := <-done; code != 0 {
			t.Errorf("serve exited %d", code)
		}
	})
	urlRe := regexp.MustCompile(`http://127\.0\.0\.1:\d+/`)
	var url string
	for deadline := time.Now().Add(10 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		url = urlRe.FindString(out.String())
	}
	if url == "" {
		t.Fatalf("serve printed no URL: %q", out.String())
	}
	return url
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

// TestServedPageInBrowser generates demo data, serves it with `tandem serve`
// and opens the home page in headless Chromium: the page must render the
// entity table with real counts, link to the API, and log no console errors.
func TestServedPageInBrowser(t *testing.T) {
	browser := chromium(t)
	dsn := testdb.DSN(t, "sqlite")
	if code, _, errOut := run(t, "--db", dsn, "demo", "--no-serve", "--deals", "500"); code != 0 {
		t.Fatalf("demo: %s", errOut)
	}
	url := startServer(t, dsn)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.UserDataDir(t.TempDir()))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	bctx, cancelTimeout := context.WithTimeout(bctx, 60*time.Second)
	defer cancelTimeout()

	var consoleErrors []string
	var mu sync.Mutex
	if err := chromedp.Listen(bctx, func(ev any) {
		switch e := ev.(type) {
		case *runtime.EventExceptionThrown:
			mu.Lock()
			consoleErrors = append(consoleErrors, e.ExceptionDetails.Text)
			mu.Unlock()
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				mu.Lock()
				consoleErrors = append(consoleErrors, "console.error")
				mu.Unlock()
			}
		}
	}); err != nil {
		t.Fatalf("listen: %v", err)
	}
	if err := chromedp.Do(bctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("body"))); err != nil {
		t.Fatalf("browser: %v", err)
	}
	title, err := chromedp.Run(bctx, chromedp.Title())
	if err != nil {
		t.Fatalf("title: %v", err)
	}
	body, err := chromedp.Run(bctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		t.Fatalf("text: %v", err)
	}
	if !strings.Contains(title, "Tandem") {
		t.Errorf("title = %q", title)
	}
	for _, want := range []string{"deals", "accounts", "features", "500"} {
		if !strings.Contains(body, want) {
			t.Errorf("page text lacks %q:\n%s", want, body)
		}
	}
	link, err := chromedp.Run(bctx, chromedp.AttributeValue(chromedp.CSS(`a[href*="/api/v1/deals"]`), "href"))
	if err != nil || !link.Exists {
		t.Errorf("no link to the deals API: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(consoleErrors) > 0 {
		t.Errorf("console errors: %v", consoleErrors)
	}
}
