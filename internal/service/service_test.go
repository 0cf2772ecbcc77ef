package service

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/importer"
	"github.com/tandemhq/tandem/internal/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/internal/testdb"
)

// clock is a settable time source.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// newService returns a service over a fresh store of the dialect, with a
// clock the test moves.
func newService(t testing.TB, dialect string) (*Service, *clock) {
	t.Helper()
	cat := tandem.NewCatalog()
	store := sqldbtest.Open(t, dialect, cat)
	c := &clock{time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	return New(store, cat, analytics.New(store, cat, c.now), t.TempDir(), c.now), c
}

const pw = "correct horse battery"

func TestUsers(t *testing.T) {
	for _, d := range testdb.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			s, _ := newService(t, d)
			ctx := t.Context()
			a := Actor{Name: "test"}
			if _, err := s.CreateUser(ctx, a, NewUser{Email: "s@x.io", Name: "S", Role: tandem.RoleSales, Password: pw}, true); tandem.ErrorCode(err) != tandem.EINVALID {
				t.Errorf("a first user who is not an admin: %v, want EINVALID", err)
			}
			admin, err := s.CreateUser(ctx, a, NewUser{Email: " Ana@X.io ", Name: "Ana", Role: tandem.RoleAdmin, Password: pw}, true)
			if err != nil || admin.Email != "ana@x.io" {
				t.Fatalf("first admin: %+v %v", admin, err)
			}
			bad := []NewUser{
				{Email: "not an address", Name: "N", Role: tandem.RoleSales, Password: pw},
				{Email: "b@x.io", Name: "", Role: tandem.RoleSales, Password: pw},
				{Email: "b@x.io", Name: "B\x00", Role: tandem.RoleSales, Password: pw},
				{Email: "b@x.io", Name: "B", Role: "boss", Password: pw},
				{Email: "b@x.io", Name: "B", Role: tandem.RoleSales, Password: "short"},
			}
			for _, nu := range bad {
				if _, err := s.CreateUser(ctx, a, nu, false); tandem.ErrorCode(err) != tandem.EINVALID {
					t.Errorf("CreateUser(%+v) = %v, want EINVALID", nu, err)
				}
			}
			if _, err := s.CreateUser(ctx, a, NewUser{Email: "ana@x.io", Name: "Again", Role: tandem.RoleSales, Password: pw}, false); tandem.ErrorCode(err) != tandem.ECONFLICT {
				t.Errorf("duplicate e-mail: %v, want ECONFLICT", err)
			}
			if _, err := s.CreateUser(ctx, a, NewUser{Email: "z@x.io", Name: "Z", Role: tandem.RoleAdmin, Password: pw}, true); tandem.ErrorCode(err) != tandem.ECONFLICT {
				t.Errorf("a second first-run set-up: %v, want ECONFLICT", err)
			}
			// The last admin cannot be demoted or disabled.
			sales := tandem.RoleSales
			yes := true
			if _, err := s.UpdateUser(ctx, a, admin.ID, UserChange{Role: &sales}); tandem.ErrorCode(err) != tandem.ECONFLICT {
				t.Errorf("demoting the last admin: %v, want ECONFLICT", err)
			}
			if _, err := s.UpdateUser(ctx, a, admin.ID, UserChange{Disabled: &yes}); tandem.ErrorCode(err) != tandem.ECONFLICT {
				t.Errorf("disabling the last admin: %v, want ECONFLICT", err)
			}
			bob, err := s.CreateUser(ctx, a, NewUser{Email: "bob@x.io", Name: "Bob", Role: tandem.RoleAdmin, Password: pw}, false)
			if err != nil {
				t.Fatal(err)
			}
			if u, err := s.UpdateUser(ctx, a, admin.ID, UserChange{Role: &sales}); err != nil || u.Role != sales {
				t.Errorf("demoting an admin when another exists: %+v %v", u, err)
			}
			if _, err := s.UpdateUser(ctx, a, "nosuch", UserChange{Role: &sales}); tandem.ErrorCode(err) != tandem.ENOTFOUND {
				t.Errorf("unknown user: %v", err)
			}
			// The audit log has every change, never a hash or password.
			entries, total, err := s.Audit(ctx, tandem.AuditQuery{Action: "user."})
			if err != nil || total != 3 {
				t.Fatalf("audit: %d entries, %v; want 3", total, err)
			}
			for _, e := range entries {
				if strings.Contains(string(e.After), "argon2") || strings.Contains(string(e.After), pw) {
					t.Errorf("audit entry holds a secret: %s", e.After)
				}
			}
			if !strings.Contains(string(entries[0].Before), `"role":"admin"`) || !strings.Contains(string(entries[0].After), `"role":"sales"`) {
				t.Errorf("role change before/after: %s → %s", entries[0].Before, entries[0].After)
			}
			_ = bob
		})
	}
}

func TestTokens(t *testing.T) {
	s, c := newService(t, "sqlite")
	ctx := t.Context()
	a := Actor{Name: "test"}
	admin, _ := s.CreateUser(ctx, a, NewUser{Email: "a@x.io", Name: "A", Role: tandem.RoleAdmin, Password: pw}, true)
	sales, _ := s.CreateUser(ctx, a, NewUser{Email: "s@x.io", Name: "S", Role: tandem.RoleSales, Password: pw}, false)
	cs, _ := s.CreateUser(ctx, a, NewUser{Email: "c@x.io", Name: "C", Role: tandem.RoleCS, Password: pw}, false)
	tok, secret, err := s.CreateToken(ctx, a, sales, "laptop", 24*time.Hour)
	if err != nil || !auth.IsAPIToken(secret) || tok.Hash != auth.Digest(secret) {
		t.Fatalf("create: %+v %v", tok, err)
	}
	if _, _, err := s.CreateToken(ctx, a, sales, "", 0); tandem.ErrorCode(err) != tandem.EINVALID {
		t.Errorf("unnamed token: %v", err)
	}
	if _, _, err := s.store.TokenByHash(ctx, auth.Digest(secret), c.now()); err != nil {
		t.Errorf("fresh token not found: %v", err)
	}
	if _, _, err := s.store.TokenByHash(ctx, auth.Digest(secret), c.now().Add(25*time.Hour)); tandem.ErrorCode(err) != tandem.ENOTFOUND {
		t.Errorf("expired token: %v, want ENOTFOUND", err)
	}
	// Another non-admin cannot revoke it (and cannot tell it exists).
	other := &auth.Principal{User: cs}
	if err := s.RevokeToken(ctx, a, other, tok.ID); tandem.ErrorCode(err) != tandem.ENOTFOUND {
		t.Errorf("revoke by another user: %v, want ENOTFOUND", err)
	}
	if err := s.RevokeToken(ctx, a, &auth.Principal{User: admin}, tok.ID); err != nil {
		t.Errorf("revoke by an admin: %v", err)
	}
	if _, _, err := s.store.TokenByHash(ctx, auth.Digest(secret), c.now()); tandem.ErrorCode(err) != tandem.ENOTFOUND {
		t.Errorf("revoked token still found: %v", err)
	}
}

func TestGlossary(t *testing.T) {
	for _, d := range testdb.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			s, _ := newService(t, d)
			ctx := t.Context()
			a := Actor{Name: "ana@x.io"}
			term, err := s.PutTerm(ctx, a, Term{Name: "Win rate", Definition: "won / (won + lost)", Owner: "RevOps"})
			if err != nil || term.ID != "win-rate" {
				t.Fatalf("create: %+v %v", term, err)
			}
			if _, err := s.PutTerm(ctx, a, Term{Name: "win-rate"}); tandem.ErrorCode(err) != tandem.ECONFLICT {
				t.Errorf("a second term with the same name: %v, want ECONFLICT", err)
			}
			if _, err := s.PutTerm(ctx, a, Term{ID: "nosuch", Name: "X"}); tandem.ErrorCode(err) != tandem.ENOTFOUND {
				t.Errorf("update of a missing term: %v, want ENOTFOUND", err)
			}
			if _, err := s.PutTerm(ctx, a, Term{Name: " "}); tandem.ErrorCode(err) != tandem.EINVALID {
				t.Errorf("no name: %v, want EINVALID", err)
			}
			term.Definition = "won / (won + lost), open deals apart"
			if _, err := s.PutTerm(ctx, a, term); err != nil {
				t.Fatal(err)
			}
			got, err := s.Terms(ctx, "win rate", "cycle")
			if err != nil || len(got) != 1 || got["win rate"].Definition != term.Definition {
				t.Errorf("Terms = %+v %v", got, err)
			}
			entries, total, err := s.Audit(ctx, tandem.AuditQuery{Target: "glossary:win-rate"})
			if err != nil || total != 2 || !strings.Contains(string(entries[0].Before), "won / (won + lost)\"") || !strings.Contains(string(entries[0].After), "open deals apart") {
				t.Errorf("audit: %d %v %+v", total, err, entries)
			}
		})
	}
}

func TestUploads(t *testing.T) {
	for _, d := range testdb.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			s, c := newService(t, d)
			ctx := t.Context()
			csv := "account,sector\nAcme,retail\nGlobex,software\n"
			if _, err := s.Stage(ctx, "u1", "big.csv", strings.NewReader(csv), 10); tandem.ErrorCode(err) != tandem.ETOOLARGE {
				t.Errorf("over the limit: %v, want ETOOLARGE", err)
			}
			if _, err := s.Stage(ctx, "u1", "empty.csv", strings.NewReader(""), 100); tandem.ErrorCode(err) != tandem.EINVALID {
				t.Errorf("empty: %v, want EINVALID", err)
			}
			u, err := s.Stage(ctx, "u1", "../../etc/accounts.csv", strings.NewReader(csv), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			if u.Name != "accounts.csv" || len(u.Sample) != 2 || u.Header[0] != "account" {
				t.Errorf("staged: %+v", u)
			}
			for _, id := range []string{"../" + u.ID, u.ID + "/..", "zzzzzzzzzzzzzzzz", ""} {
				if _, err := s.Staged(ctx, "u1", id); tandem.ErrorCode(err) != tandem.ENOTFOUND {
					t.Errorf("Staged(%q) = %v, want ENOTFOUND", id, err)
				}
			}
			if _, err := s.Staged(ctx, "u2", u.ID); tandem.ErrorCode(err) != tandem.ENOTFOUND {
				t.Errorf("another user's upload: %v, want ENOTFOUND", err)
			}
			req := ImportRequest{Entity: "accounts"}
			sum, err := s.Preview(ctx, "u1", u.ID, req)
			if err != nil || len(sum.Errors) == 0 {
				t.Fatalf("preview without a map should list the missing id and name: %+v %v", sum, err)
			}
			req.Map = []importer.Mapping{{Canonical: "id", Source: "account"}, {Canonical: "name", Source: "account"}, {Canonical: "industry", Source: "sector"}}
			if sum, err = s.Preview(ctx, "u1", u.ID, req); err != nil || len(sum.Errors) != 0 || sum.Committed {
				t.Fatalf("preview with the map: %+v %v", sum, err)
			}
			if n, _ := s.store.Count(ctx, "accounts"); n != 0 {
				t.Errorf("preview wrote %d accounts", n)
			}
			sum, err = s.Import(ctx, Actor{Name: "ana@x.io"}, "u1", u.ID, req)
			if err != nil || !sum.Committed {
				t.Fatalf("import: %+v %v", sum, err)
			}
			if n, _ := s.store.Count(ctx, "accounts"); n != 2 {
				t.Errorf("imported %d accounts, want 2", n)
			}
			entries, _, err := s.Audit(ctx, tandem.AuditQuery{Action: "import"})
			if err != nil || len(entries) != 1 || entries[0].Actor != "ana@x.io" || !strings.Contains(string(entries[0].After), `"rows":2`) || !strings.Contains(string(entries[0].After), `"file":"accounts.csv"`) {
				t.Errorf("import audit: %+v %v", entries, err)
			}
			if _, err := s.Staged(ctx, "u1", u.ID); tandem.ErrorCode(err) != tandem.ENOTFOUND {
				t.Errorf("an imported upload is still staged: %v", err)
			}
			// Uploads expire after an hour.
			u2, err := s.Stage(ctx, "u1", "a.csv", strings.NewReader(csv), 1<<20)
			if err != nil {
				t.Fatal(err)
			}
			c.t = c.t.Add(61 * time.Minute)
			if _, err := s.Staged(ctx, "u1", u2.ID); tandem.ErrorCode(err) != tandem.ENOTFOUND {
				t.Errorf("an expired upload: %v, want ENOTFOUND", err)
			}
		})
	}
}

func TestReportCache(t *testing.T) {
	s, _ := newService(t, "sqlite")
	ctx := t.Context()
	r1, err := s.Report(ctx, "winrate", nil)
	if err != nil {
		t.Fatal(err)
	}
	r2, _ := s.Report(ctx, "winrate", nil)
	if r1 != r2 {
		t.Error("the same report twice was computed twice")
	}
	// A committed load changes the data version: the next report is new.
	e, _ := s.cat.Entity("deals")
	l, err := s.store.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rec := tandem.Record{Values: make([]any, len(e.Columns))}
	for i, col := range e.Columns {
		switch col.Name {
		case "id":
			rec.Values[i] = "d1"
		case "stage":
			rec.Values[i] = "Won"
		case "outcome":
			rec.Values[i] = "won"
		case "closed":
			rec.Values[i] = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		}
	}
	if err := l.Put(ctx, e, rec); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	r3, err := s.Report(ctx, "winrate", nil)
	if err != nil {
		t.Fatal(err)
	}
	if r3 == r1 || len(r3.Groups) == 0 || r3.Groups[0].N != 1 {
		t.Errorf("after a load the cached report was served: %+v", r3.Groups)
	}
}

func TestViewCacheBounds(t *testing.T) {
	var c viewCache
	heavy := &tandem.Report{Groups: make([]tandem.Group, maxViewWeight+1)}
	c.put("heavy", heavy, viewWeight(heavy))
	if c.get("heavy") != nil {
		t.Error("a view over the weight limit was kept")
	}
	for i := range 100 {
		r := &tandem.Report{Groups: make([]tandem.Group, 1000)}
		c.put(strconv.Itoa(i), r, viewWeight(r))
		if c.weight > viewCacheWeight {
			t.Fatalf("after %d puts the cache weighs %d > %d", i+1, c.weight, viewCacheWeight)
		}
	}
	if c.get("99") == nil || c.get("0") != nil {
		t.Error("the newest view is gone or the oldest stayed")
	}
	if len(c.entries) != len(c.order) || len(c.entries) != viewCacheWeight/1000 {
		t.Errorf("%d entries, %d in order, want %d", len(c.entries), len(c.order), viewCacheWeight/1000)
	}
}

func TestUploadQuota(t *testing.T) {
	s, _ := newService(t, "sqlite")
	for i := range maxStagedPerUser {
		if _, err := s.Stage(t.Context(), "u1", "a.csv", strings.NewReader("id,name\n1,a\n"), 1<<20); err != nil {
			t.Fatalf("upload %d: %v", i+1, err)
		}
	}
	if _, err := s.Stage(t.Context(), "u1", "a.csv", strings.NewReader("id,name\n1,a\n"), 1<<20); tandem.ErrorCode(err) != tandem.ECONFLICT {
		t.Errorf("upload over the quota: %v, want ECONFLICT", err)
	}
	if _, err := s.Stage(t.Context(), "u2", "a.csv", strings.NewReader("id,name\n1,a\n"), 1<<20); err != nil {
		t.Errorf("another user's upload: %v", err)
	}
}
