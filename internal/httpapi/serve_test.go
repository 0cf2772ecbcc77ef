package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/service"
)

// blockingStore holds List calls until release is closed, to keep a request
// in flight.
type blockingStore struct {
	tandem.Store
	once    *sync.Once
	started chan struct{}
	release chan struct{}
}

func (s blockingStore) List(ctx context.Context, entity string, q tandem.Query) (tandem.Page, error) {
	s.once.Do(func() { close(s.started) })
	select {
	case <-s.release:
	case <-ctx.Done():
		return tandem.Page{}, ctx.Err()
	}
	return s.Store.List(ctx, entity, q)
}

// recv waits for a value from c, failing the test after d.
func recv[T any](t *testing.T, c <-chan T, d time.Duration, what string) T {
	t.Helper()
	select {
	case v := <-c:
		return v
	case <-time.After(d):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

func TestServeGracefulShutdown(t *testing.T) {
	bs := blockingStore{once: &sync.Once{}, started: make(chan struct{}), release: make(chan struct{})}
	f := newFixture(t, "sqlite", func(s tandem.Store) tandem.Store { bs.Store = s; return bs })

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	urls := make(chan string, 1)
	served := make(chan error, 1)
	go func() { served <- f.srv.Serve(ctx, "127.0.0.1:0", func(u string) { urls <- u }) }()
	base := recv(t, urls, 5*time.Second, "ready")
	if !strings.HasPrefix(base, "http://127.0.0.1:") || !strings.HasSuffix(base, "/") {
		t.Fatalf("ready URL = %q", base)
	}

	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	if resp, err := client.Get(base + "healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("healthz before shutdown: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}

	type result struct {
		status int
		body   string
		err    error
	}
	inFlight := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, base+"api/v1/accounts?limit=2", nil)
		req.Header.Set("Authorization", "Bearer "+f.token)
		resp, err := client.Do(req)
		if err != nil {
			inFlight <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		inFlight <- result{resp.StatusCode, string(b), err}
	}()
	recv(t, bs.started, 5*time.Second, "the request to reach the store")

	cancel()
	// Serve waits for the request in flight...
	select {
	case err := <-served:
		t.Fatalf("Serve returned %v with a request in flight", err)
	case <-time.After(200 * time.Millisecond):
	}
	// ...while refusing new connections.
	host := strings.TrimSuffix(strings.TrimPrefix(base, "http://"), "/")
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", host, time.Second)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("listener still accepts connections after cancel")
		}
		time.Sleep(10 * time.Millisecond)
	}

	close(bs.release)
	res := recv(t, inFlight, 5*time.Second, "the in-flight response")
	if res.err != nil || res.status != http.StatusOK {
		t.Fatalf("in-flight request: status %d err %v body %s", res.status, res.err, res.body)
	}
	var page listBody
	if err := json.Unmarshal([]byte(res.body), &page); err != nil || len(page.Records) != 2 {
		t.Errorf("in-flight body = %s (%v)", res.body, err)
	}
	if err := recv(t, served, 5*time.Second, "Serve to return"); err != nil {
		t.Errorf("Serve = %v, want nil", err)
	}
}

func TestServeListenError(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	cat := tandem.NewCatalog()
	store := openStore(t, "sqlite", cat)
	srv := New(Config{Service: service.New(store, cat, nil, t.TempDir(), nil), Sessions: auth.NewManager(store, false, nil), Version: "test"})
	tests := []struct{ name, addr string }{
		{"port in use", busy.Addr().String()},
		{"bad port", "127.0.0.1:-1"},
		{"bad host", "no-such-host.invalid:0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			called := false
			err := srv.Serve(t.Context(), tt.addr, func(string) { called = true })
			if err == nil {
				t.Fatal("Serve succeeded")
			}
			if called {
				t.Error("ready called although Serve could not listen")
			}
		})
	}
}

func TestListenURL(t *testing.T) {
	tests := []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, "http://127.0.0.1:8080/"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8080}, "http://localhost:8080/"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 80}, "http://localhost:80/"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 9000}, "http://[::1]:9000/"},
	}
	for _, tt := range tests {
		if got := listenURL(tt.addr, false); got != tt.want {
			t.Errorf("listenURL(%v) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}
