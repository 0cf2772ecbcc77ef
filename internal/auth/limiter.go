package auth

import (
	"sync"
	"time"
)

// Limiter allows at most Max failures per key within Window: sign-in
// attempts are limited per e-mail and per client address, so guessing is
// slow for one account and for one attacker. It forgets keys once their
// window has passed, so memory stays bounded by recent traffic.
type Limiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu   sync.Mutex
	hits map[string][]time.Time
}

// NewLimiter returns a limiter of max failures per window.
func NewLimiter(max int, window time.Duration, now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{max: max, window: window, now: now, hits: make(map[string][]time.Time)}
}

// Reserve records an attempt for key, as a failure until Release says it
// succeeded, when key has fewer than max failures in the window; else it
// records nothing and says how long until key may try again. Counting the
// attempt before it is checked keeps parallel attempts from all passing a
// check that none of them has failed yet.
func (l *Limiter) Reserve(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	h := l.prune(key, now)
	if len(h) >= l.max {
		return false, h[0].Add(l.window).Sub(now)
	}
	l.hits[key] = append(h, now)
	if len(l.hits) > 10000 {
		for k := range l.hits {
			l.prune(k, now)
		}
	}
	return true, 0
}

// Release takes back one attempt of key that turned out not to be a
// failure.
func (l *Limiter) Release(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if h := l.hits[key]; len(h) > 0 {
		h = h[:len(h)-1]
		if len(h) == 0 {
			delete(l.hits, key)
		} else {
			l.hits[key] = h
		}
	}
}

// Reset forgets key's failures (after a successful sign-in).
func (l *Limiter) Reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.hits, key)
}

// prune drops key's failures older than the window; l.mu is held.
func (l *Limiter) prune(key string, now time.Time) []time.Time {
	h := l.hits[key]
	i := 0
	for i < len(h) && now.Sub(h[i]) >= l.window {
		i++
	}
	h = h[i:]
	if len(h) == 0 {
		delete(l.hits, key)
		return nil
	}
	l.hits[key] = h
	return h
}
