package auth

import (
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

func TestPasswordHash(t *testing.T) {
	h, err := HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=3,p=2$") {
		t.Errorf("hash %q is not an argon2id PHC string with the documented parameters", h)
	}
	h2, _ := HashPassword("correct horse battery")
	if h == h2 {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	tests := []struct {
		hash, pw string
		want     bool
	}{
		{h, "correct horse battery", true},
		{h, "correct horse batterY", false},
		{h, "", false},
		{h2, "correct horse battery", true},
		{"", "correct horse battery", false},
		{"$argon2i$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA", "x", false},
		{"$argon2id$v=19$m=999999999,t=3,p=2$c2FsdA$aGFzaA", "x", false},
		{"$argon2id$v=19$m=65536,t=3,p=2$!!!$aGFzaA", "x", false},
		{dummyHash, "anything at all", false},
	}
	for _, tt := range tests {
		if got := VerifyPassword(tt.hash, tt.pw); got != tt.want {
			t.Errorf("VerifyPassword(%.30q, %q) = %v, want %v", tt.hash, tt.pw, got, tt.want)
		}
	}
	for _, pw := range []string{"short", strings.Repeat("x", MaxPasswordLen+1)} {
		if _, err := HashPassword(pw); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("HashPassword(%d chars) = %v, want EINVALID", len(pw), err)
		}
	}
}

func TestTokens(t *testing.T) {
	secret, prefix := NewAPIToken()
	if !IsAPIToken(secret) || !strings.HasPrefix(secret, prefix) || len(prefix) != len(TokenPrefix)+8 {
		t.Errorf("token %q prefix %q", secret, prefix)
	}
	other, _ := NewAPIToken()
	if other == secret || Digest(secret) == Digest(other) || len(Digest(secret)) != 64 {
		t.Error("tokens or digests collide")
	}
	if IsAPIToken("tdm_") || IsAPIToken("Bearer x") {
		t.Error("IsAPIToken accepts non-tokens")
	}
}

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewLimiter(3, time.Minute, func() time.Time { return now })
	for i := range 3 {
		if ok, _ := l.Reserve("a"); !ok {
			t.Fatalf("attempt %d refused", i+1)
		}
		now = now.Add(time.Second)
	}
	ok, wait := l.Reserve("a")
	if ok || wait != 57*time.Second {
		t.Errorf("after 3 failures: allow %v wait %v, want refused for 57s", ok, wait)
	}
	if ok, _ := l.Reserve("b"); !ok {
		t.Error("another key is limited")
	}
	now = now.Add(58 * time.Second)
	if ok, _ := l.Reserve("a"); !ok {
		t.Error("still limited after the window")
	}
	l.Reset("a")
	for range 3 {
		l.Reserve("a")
		l.Release("a") // successes do not count
	}
	if ok, _ := l.Reserve("a"); !ok {
		t.Error("released attempts counted as failures")
	}
}

// TestLimiterParallel checks that parallel attempts cannot all pass the
// limit before any is recorded.
func TestLimiterParallel(t *testing.T) {
	l := NewLimiter(10, time.Minute, nil)
	var passed atomic.Int32
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			if ok, _ := l.Reserve("k"); ok {
				passed.Add(1)
			}
		})
	}
	wg.Wait()
	if passed.Load() != 10 {
		t.Errorf("%d of 50 parallel attempts passed a limit of 10", passed.Load())
	}
}

func TestPolicy(t *testing.T) {
	tests := []struct {
		role tandem.Role
		perm Perm
		want bool
	}{
		{tandem.RoleSales, PermPipelineRead, true},
		{tandem.RoleSales, PermCustomersRead, false},
		{tandem.RoleSales, PermGlossaryWrite, false},
		{tandem.RoleSales, PermPeopleRead, true},
		{tandem.RoleFinance, PermCustomersRead, true},
		{tandem.RoleFinance, PermImport, false},
		{tandem.RoleFinance, PermAuditRead, true},
		{tandem.RoleRevOps, PermGlossaryWrite, true},
		{tandem.RoleRevOps, PermUsersAdmin, false},
		{tandem.RoleProduct, PermPeopleRead, false},
		{tandem.RoleCS, PermCustomersRead, true},
		{tandem.RoleAdmin, PermUsersAdmin, true},
		{tandem.Role("nobody"), PermPipelineRead, false},
		{tandem.RoleSales, Perm("made:up"), false},
		{tandem.RoleSales, PermSignedIn, true},
	}
	for _, tt := range tests {
		if got := Can(tt.role, tt.perm); got != tt.want {
			t.Errorf("Can(%s, %s) = %v, want %v", tt.role, tt.perm, got, tt.want)
		}
	}
	for _, pi := range Policy() {
		if !Can(tandem.RoleAdmin, pi.Perm) {
			t.Errorf("admin lacks %s", pi.Perm)
		}
	}
	if EntityPerm("invoices") != PermPipelineRead || EntityPerm("usage") != PermCustomersRead {
		t.Error("EntityPerm")
	}
	if ReportPerm("reps") != PermPeopleRead || ReportPerm("churn") != PermCustomersRead || ReportPerm("winrate") != PermReportsRead {
		t.Error("ReportPerm")
	}
}

// TestREADMEPermissionTable keeps README's permission table identical to
// the policy the server enforces.
func TestREADMEPermissionTable(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), PermissionTable()) {
		t.Errorf("README.md lacks the current permission table; paste this in its Roles section:\n%s", PermissionTable())
	}
}
