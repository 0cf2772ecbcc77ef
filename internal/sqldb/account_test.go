package sqldb

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

// tick returns n seconds into a fixed clock for account tests, which
// starts with a fraction of a second so that precision losses show.
func tick(n int) time.Time {
	return time.Date(2025, 3, 1, 9, 30, 15, 123456789, time.UTC).Add(time.Duration(n) * time.Second)
}

// stored is t as the store keeps it: UTC, microseconds.
func stored(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}

// entry is an audit entry of action on target at second n.
func entry(actor, action, target string, n int) tandem.AuditEntry {
	return tandem.AuditEntry{At: tick(n), Actor: actor, Action: action, Target: target,
		Before: tandem.AuditJSON(nil), After: tandem.AuditJSON(map[string]any{"target": target, "n": n}), Remote: "192.0.2.1"}
}

// newUser returns a user with the e-mail and role, created at second n.
func newUser(id, email string, role tandem.Role, n int) tandem.User {
	return tandem.User{ID: id, Email: email, Name: "User " + id, Role: role, PasswordHash: "$argon2id$fake$" + id,
		CreatedAt: tick(n), UpdatedAt: tick(n)}
}

// mustCreate creates a user, failing the test on error.
func mustCreate(t *testing.T, db *DB, u tandem.User) {
	t.Helper()
	if err := db.CreateUser(context.Background(), u, false, entry("cli:test", "user.create", "user:"+u.Email, 0)); err != nil {
		t.Fatalf("create user %s: %v", u.Email, err)
	}
}

// wantUser compares a user read back with the one stored.
func wantUser(t *testing.T, got, want tandem.User) {
	t.Helper()
	want.Email = normEmail(want.Email)
	want.CreatedAt, want.UpdatedAt, want.LastSignIn = stored(want.CreatedAt), stored(want.UpdatedAt), stored(want.LastSignIn)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("user:\n got %+v\nwant %+v", got, want)
	}
}

// auditAll returns every audit entry, newest first.
func auditAll(t *testing.T, db *DB) []tandem.AuditEntry {
	t.Helper()
	got, total, err := db.Audit(context.Background(), tandem.AuditQuery{Limit: maxAuditLimit})
	if err != nil {
		t.Fatal(err)
	}
	if total != len(got) {
		t.Fatalf("audit total %d, %d entries", total, len(got))
	}
	return got
}

func TestUsers(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		if n, err := db.UserCount(ctx); err != nil || n != 0 {
			t.Fatalf("UserCount on a new store = %d, %v", n, err)
		}
		if us, err := db.Users(ctx); err != nil || len(us) != 0 {
			t.Fatalf("Users on a new store = %v, %v", us, err)
		}
		ann := newUser("u1", "Ann@Example.com", tandem.RoleAdmin, 0)
		bob := newUser("u2", "bob@example.com", tandem.RoleSales, 1)
		bob.Disabled = true
		bob.LastSignIn = tick(5)
		mustCreate(t, db, bob)
		mustCreate(t, db, ann)

		got, err := db.User(ctx, "u1")
		if err != nil {
			t.Fatal(err)
		}
		wantUser(t, got, ann)
		if got.Email != "ann@example.com" {
			t.Errorf("e-mail stored as %q, want lower case", got.Email)
		}
		got, err = db.UserByEmail(ctx, "  BOB@example.COM ")
		if err != nil {
			t.Fatal(err)
		}
		wantUser(t, got, bob)
		us, err := db.Users(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(us) != 2 || us[0].ID != "u1" || us[1].ID != "u2" {
			t.Errorf("Users = %+v, want ann then bob (by e-mail)", us)
		}
		if n, err := db.UserCount(ctx); err != nil || n != 2 {
			t.Errorf("UserCount = %d, %v", n, err)
		}

		for _, c := range []struct {
			name string
			err  error
			code string
		}{
			{"duplicate e-mail in another case", db.CreateUser(ctx, newUser("u3", "ANN@example.com", tandem.RoleCS, 2), false, entry("x", "user.create", "", 0)), tandem.ECONFLICT},
			{"duplicate id", db.CreateUser(ctx, newUser("u1", "carl@example.com", tandem.RoleCS, 2), false, entry("x", "user.create", "", 0)), tandem.ECONFLICT},
			{"only if none", db.CreateUser(ctx, newUser("u4", "dora@example.com", tandem.RoleAdmin, 2), true, entry("x", "user.create", "", 0)), tandem.ECONFLICT},
			{"no e-mail", db.CreateUser(ctx, newUser("u5", " ", tandem.RoleCS, 2), false, entry("x", "user.create", "", 0)), tandem.EINVALID},
			{"audit entry without action", db.CreateUser(ctx, newUser("u6", "eve@example.com", tandem.RoleCS, 2), false, tandem.AuditEntry{Actor: "x"}), tandem.EINVALID},
			{"missing id", func() error { _, err := db.User(ctx, "nope"); return err }(), tandem.ENOTFOUND},
			{"missing e-mail", func() error { _, err := db.UserByEmail(ctx, "nope@example.com"); return err }(), tandem.ENOTFOUND},
			{"update missing", db.UpdateUser(ctx, newUser("nope", "nope@example.com", tandem.RoleCS, 2), entry("x", "user.update", "", 0)), tandem.ENOTFOUND},
		} {
			t.Run(c.name, func(t *testing.T) { wantCode(t, c.err, c.code) })
		}
		if msg := tandem.ErrorMessage(db.CreateUser(ctx, newUser("u7", "ann@example.com", tandem.RoleCS, 2), false, entry("x", "user.create", "", 0))); !strings.Contains(msg, "a user with e-mail ann@example.com exists") {
			t.Errorf("duplicate e-mail message %q", msg)
		}
		// Failed creations wrote neither a user nor an audit entry.
		if n, _ := db.UserCount(ctx); n != 2 {
			t.Errorf("after failed creations UserCount = %d, want 2", n)
		}
		if n := len(auditAll(t, db)); n != 2 {
			t.Errorf("after failed creations %d audit entries, want 2", n)
		}

		// Update replaces the fields but keeps the creation time and the
		// last sign-in.
		upd := bob
		upd.Email, upd.Name, upd.Role, upd.Disabled, upd.PasswordHash = "Robert@example.com", "Robert", tandem.RoleFinance, false, "$argon2id$new"
		upd.CreatedAt, upd.UpdatedAt, upd.LastSignIn = tick(100), tick(50), time.Time{}
		if err := db.UpdateUser(ctx, upd, entry("cli:test", "user.update", "user:robert@example.com", 50)); err != nil {
			t.Fatal(err)
		}
		got, err = db.User(ctx, "u2")
		if err != nil {
			t.Fatal(err)
		}
		want := upd
		want.CreatedAt, want.LastSignIn = bob.CreatedAt, bob.LastSignIn
		wantUser(t, got, want)
		if _, err := db.UserByEmail(ctx, "bob@example.com"); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("old e-mail still found: %v", err)
		}
		upd.Email = "ann@example.com"
		wantCode(t, db.UpdateUser(ctx, upd, entry("x", "user.update", "", 0)), tandem.ECONFLICT)

		signIn := entry("ann@example.com", "signin", "user:ann@example.com", 60)
		if err := db.CreateSession(ctx, tandem.Session{IDHash: "s60", UserID: "u1", CSRF: "c", CreatedAt: tick(60), ExpiresAt: tick(600)}, &signIn); err != nil {
			t.Fatal(err)
		}
		got, _ = db.User(ctx, "u1")
		if !got.LastSignIn.Equal(stored(tick(60))) {
			t.Errorf("LastSignIn = %v, want %v", got.LastSignIn, tick(60))
		}

		entries := auditAll(t, db)
		if len(entries) != 4 || entries[0].Action != "signin" || entries[1].Action != "user.update" || entries[3].Target != "user:bob@example.com" {
			t.Errorf("audit = %+v", entries)
		}
	})
}

// TestCreateFirstUser races eight first-run set-ups, several times over:
// exactly one may create its admin each time.
func TestCreateFirstUser(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		const n, rounds = 8, 10
		for round := range rounds {
			// Users may be deleted, unlike audit entries; a round starts
			// on an empty table.
			if _, err := db.writer.ExecContext(ctx, "DELETE FROM users"); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			start := make(chan struct{})
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() {
					u := newUser(fmt.Sprintf("r%d-%d", round, i), fmt.Sprintf("admin%d-%d@example.com", round, i), tandem.RoleAdmin, i)
					<-start
					errs[i] = db.CreateUser(ctx, u, true, entry(u.Email, "user.create", "user:"+u.Email, i))
				})
			}
			close(start)
			wg.Wait()
			created := 0
			for i, err := range errs {
				switch tandem.ErrorCode(err) {
				case "":
					created++
				case tandem.ECONFLICT:
				default:
					t.Errorf("round %d, set-up %d: %v", round, i, err)
				}
			}
			if created != 1 {
				t.Errorf("round %d: %d concurrent first-user set-ups succeeded, want exactly 1", round, created)
			}
			if c, err := db.UserCount(ctx); err != nil || c != 1 {
				t.Errorf("round %d: UserCount = %d, %v; want 1", round, c, err)
			}
		}
		if got := auditAll(t, db); len(got) != rounds {
			t.Errorf("%d audit entries, want one per round (%d)", len(got), rounds)
		}
	})
}

func TestSessions(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ann, bob := newUser("u1", "ann@example.com", tandem.RoleAdmin, 0), newUser("u2", "bob@example.com", tandem.RoleSales, 0)
		mustCreate(t, db, ann)
		mustCreate(t, db, bob)
		sessions := []tandem.Session{
			{IDHash: "h1", UserID: "u1", CSRF: "c1", CreatedAt: tick(0), ExpiresAt: tick(100)},
			{IDHash: "h2", UserID: "u1", CSRF: "c2", CreatedAt: tick(0), ExpiresAt: tick(200)},
			{IDHash: "h3", UserID: "u2", CSRF: "c3", CreatedAt: tick(0), ExpiresAt: tick(10)},
			{IDHash: "h4", UserID: "u2", CSRF: "c4", CreatedAt: tick(0), ExpiresAt: tick(300)},
		}
		for _, s := range sessions {
			if err := db.CreateSession(ctx, s, nil); err != nil {
				t.Fatal(err)
			}
		}
		wantCode(t, db.CreateSession(ctx, sessions[0], nil), tandem.ECONFLICT)
		wantCode(t, db.CreateSession(ctx, tandem.Session{IDHash: "h9", UserID: "nope", ExpiresAt: tick(100)}, nil), tandem.ENOTFOUND)
		wantCode(t, db.CreateSession(ctx, tandem.Session{IDHash: "h9", UserID: "u1"}, nil), tandem.EINVALID)

		s, u, err := db.Session(ctx, "h1", tick(50))
		if err != nil {
			t.Fatal(err)
		}
		want := sessions[0]
		want.CreatedAt, want.ExpiresAt = stored(want.CreatedAt), stored(want.ExpiresAt)
		if !reflect.DeepEqual(s, want) {
			t.Errorf("session = %+v, want %+v", s, want)
		}
		wantUser(t, u, ann)
		for _, c := range []struct {
			hash string
			now  time.Time
		}{
			{"h1", tick(100)}, // expires exactly now
			{"h3", tick(11)},
			{"nope", tick(0)},
		} {
			_, _, err := db.Session(ctx, c.hash, c.now)
			wantCode(t, err, tandem.ENOTFOUND)
		}
		// Sub-second precision: expired a microsecond after the expiry.
		if _, _, err := db.Session(ctx, "h1", tick(100).Add(-time.Microsecond)); err != nil {
			t.Errorf("a microsecond before expiry: %v", err)
		}

		if err := db.DeleteSession(ctx, "h2"); err != nil {
			t.Fatal(err)
		}
		if err := db.DeleteSession(ctx, "h2"); err != nil {
			t.Errorf("deleting a deleted session: %v", err)
		}
		if _, _, err := db.Session(ctx, "h2", tick(0)); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("deleted session: %v", err)
		}

		// Ending ann's sessions at 20s also sweeps bob's expired h3.
		if err := db.DeleteUserSessions(ctx, "u1", tick(20)); err != nil {
			t.Fatal(err)
		}
		var left []string
		rows, err := db.reader.QueryContext(ctx, "SELECT id_hash FROM sessions ORDER BY id_hash")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var h string
			rows.Scan(&h)
			left = append(left, h)
		}
		rows.Close()
		if !reflect.DeepEqual(left, []string{"h4"}) {
			t.Errorf("sessions left = %v, want [h4]", left)
		}
		if _, _, err := db.Session(ctx, "h4", tick(20)); err != nil {
			t.Errorf("bob's live session: %v", err)
		}
	})
}

func TestTokens(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		ann, bob := newUser("u1", "ann@example.com", tandem.RoleAdmin, 0), newUser("u2", "bob@example.com", tandem.RoleSales, 0)
		mustCreate(t, db, ann)
		mustCreate(t, db, bob)
		tokens := []tandem.APIToken{
			{ID: "t1", UserID: "u1", Name: "ci", Prefix: "tdm_aaaa", Hash: "hash1", CreatedAt: tick(1)},
			{ID: "t2", UserID: "u2", Name: "script", Prefix: "tdm_bbbb", Hash: "hash2", CreatedAt: tick(2), ExpiresAt: tick(100)},
			{ID: "t3", UserID: "u1", Name: "laptop", Prefix: "tdm_cccc", Hash: "hash3", CreatedAt: tick(3)},
			// Created in the same tick as t3, after it: listed before it.
			{ID: "t0", UserID: "u1", Name: "phone", Prefix: "tdm_dddd", Hash: "hash0", CreatedAt: tick(3)},
		}
		for _, tk := range tokens {
			if err := db.CreateToken(ctx, tk, entry("ann@example.com", "token.create", "token:"+tk.ID, 1)); err != nil {
				t.Fatal(err)
			}
		}
		wantCode(t, db.CreateToken(ctx, tandem.APIToken{ID: "t9", UserID: "u1", Hash: "hash1"}, entry("x", "token.create", "", 0)), tandem.ECONFLICT)
		wantCode(t, db.CreateToken(ctx, tandem.APIToken{ID: "t9", UserID: "nope", Hash: "hash9"}, entry("x", "token.create", "", 0)), tandem.ENOTFOUND)

		ids := func(ts []tandem.APIToken) []string {
			var out []string
			for _, tk := range ts {
				out = append(out, tk.ID)
			}
			return out
		}
		all, err := db.Tokens(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(all); !reflect.DeepEqual(got, []string{"t0", "t3", "t2", "t1"}) {
			t.Errorf("Tokens(\"\") = %v, want newest first", got)
		}
		w := tokens[1]
		w.CreatedAt, w.ExpiresAt = stored(w.CreatedAt), stored(w.ExpiresAt)
		if !reflect.DeepEqual(all[2], w) {
			t.Errorf("token = %+v, want %+v", all[2], w)
		}
		mine, err := db.Tokens(ctx, "u1")
		if err != nil {
			t.Fatal(err)
		}
		if got := ids(mine); !reflect.DeepEqual(got, []string{"t0", "t3", "t1"}) {
			t.Errorf("Tokens(u1) = %v", got)
		}

		tk, u, err := db.TokenByHash(ctx, "hash2", tick(50))
		if err != nil {
			t.Fatal(err)
		}
		if tk.ID != "t2" || u.ID != "u2" {
			t.Errorf("TokenByHash = %+v, %+v", tk, u)
		}
		_, _, err = db.TokenByHash(ctx, "hash2", tick(100))
		wantCode(t, err, tandem.ENOTFOUND) // expired
		_, _, err = db.TokenByHash(ctx, "nope", tick(0))
		wantCode(t, err, tandem.ENOTFOUND)

		if err := db.RevokeToken(ctx, "t1", tick(30), entry("ann@example.com", "token.revoke", "token:t1", 30)); err != nil {
			t.Fatal(err)
		}
		_, _, err = db.TokenByHash(ctx, "hash1", tick(31))
		wantCode(t, err, tandem.ENOTFOUND) // revoked
		// Revoking again keeps the first time.
		if err := db.RevokeToken(ctx, "t1", tick(40), entry("ann@example.com", "token.revoke", "token:t1", 40)); err != nil {
			t.Fatal(err)
		}
		mine, _ = db.Tokens(ctx, "u1")
		if !mine[2].RevokedAt.Equal(stored(tick(30))) {
			t.Errorf("RevokedAt = %v, want %v", mine[2].RevokedAt, tick(30))
		}
		wantCode(t, db.RevokeToken(ctx, "nope", tick(30), entry("x", "token.revoke", "", 0)), tandem.ENOTFOUND)

		got, _, err := db.Audit(ctx, tandem.AuditQuery{Action: "token."})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 6 || got[0].Action != "token.revoke" || got[5].Target != "token:t1" {
			t.Errorf("token audit = %+v", got)
		}
	})
}

func TestAudit(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		// 30 entries: actors alternate, actions cycle, one per second.
		actions := []string{"user.create", "user.update", "import", "signin.fail", "User.create"}
		var written []tandem.AuditEntry
		for i := range 30 {
			a := entry([]string{"ann@example.com", "cli:root"}[i%2], actions[i%len(actions)], fmt.Sprintf("t%d", i%3), i)
			if err := db.AppendAudit(ctx, a); err != nil {
				t.Fatal(err)
			}
			written = append(written, a)
		}
		wantCode(t, db.AppendAudit(ctx, tandem.AuditEntry{Actor: "x"}), tandem.EINVALID)
		wantCode(t, db.AppendAudit(ctx, tandem.AuditEntry{Actor: "x", Action: "y", After: json.RawMessage("{not json")}), tandem.EINVALID)

		all := auditAll(t, db)
		if len(all) != 30 {
			t.Fatalf("%d entries, want 30", len(all))
		}
		for i, got := range all {
			w := written[29-i]
			w.ID, w.At = got.ID, stored(w.At)
			if !reflect.DeepEqual(got, w) {
				t.Errorf("entry %d:\n got %+v\nwant %+v", i, got, w)
			}
			if i > 0 && got.ID >= all[i-1].ID {
				t.Errorf("entry %d: id %d after id %d, want newest first", i, got.ID, all[i-1].ID)
			}
		}

		// match reports which written entries (indexes) a filter keeps,
		// newest first.
		match := func(keep func(i int, a tandem.AuditEntry) bool) []int {
			var out []int
			for i := 29; i >= 0; i-- {
				if keep(i, written[i]) {
					out = append(out, i)
				}
			}
			return out
		}
		for _, c := range []struct {
			name string
			q    tandem.AuditQuery
			want []int
		}{
			{"actor", tandem.AuditQuery{Actor: "cli:root"}, match(func(i int, _ tandem.AuditEntry) bool { return i%2 == 1 })},
			{"action prefix, case-sensitive", tandem.AuditQuery{Action: "user."}, match(func(_ int, a tandem.AuditEntry) bool { return a.Action[:5] == "user." })},
			{"whole action", tandem.AuditQuery{Action: "import"}, match(func(_ int, a tandem.AuditEntry) bool { return a.Action == "import" })},
			{"target", tandem.AuditQuery{Target: "t2"}, match(func(i int, _ tandem.AuditEntry) bool { return i%3 == 2 })},
			{"from, to inclusive", tandem.AuditQuery{From: tick(10), To: tick(12)}, []int{12, 11, 10}},
			{"sub-second bounds", tandem.AuditQuery{From: tick(10).Add(time.Microsecond), To: tick(12).Add(-time.Microsecond)}, []int{11}},
			{"combined", tandem.AuditQuery{Actor: "ann@example.com", Action: "user.", From: tick(5)}, match(func(i int, a tandem.AuditEntry) bool {
				return i%2 == 0 && a.Action[:5] == "user." && i >= 5
			})},
			{"nothing", tandem.AuditQuery{Actor: "nobody"}, nil},
		} {
			t.Run(c.name, func(t *testing.T) {
				got, total, err := db.Audit(ctx, c.q)
				if err != nil {
					t.Fatal(err)
				}
				var idx []int
				for _, a := range got {
					var after struct{ N int }
					json.Unmarshal(a.After, &after)
					idx = append(idx, after.N)
				}
				if !reflect.DeepEqual(idx, c.want) || total != len(c.want) {
					t.Errorf("got %v (total %d), want %v", idx, total, c.want)
				}
			})
		}

		// Pages: default limit, limit and offset, beyond the end.
		got, total, err := db.Audit(ctx, tandem.AuditQuery{Limit: 7, Offset: 21})
		if err != nil {
			t.Fatal(err)
		}
		if total != 30 || len(got) != 7 || got[0].ID != all[21].ID || got[6].ID != all[27].ID {
			t.Errorf("page 21+7: total %d, %d entries", total, len(got))
		}
		got, total, err = db.Audit(ctx, tandem.AuditQuery{Offset: 30})
		if err != nil || total != 30 || len(got) != 0 {
			t.Errorf("past the end: %d entries, total %d, %v", len(got), total, err)
		}
		for range 80 {
			if err := db.AppendAudit(ctx, entry("x", "bulk", "", 0)); err != nil {
				t.Fatal(err)
			}
		}
		got, total, err = db.Audit(ctx, tandem.AuditQuery{})
		if err != nil || total != 110 || len(got) != defaultAuditLimit {
			t.Errorf("default page: %d entries, total %d, %v", len(got), total, err)
		}
		_, _, err = db.Audit(ctx, tandem.AuditQuery{Limit: -1})
		wantCode(t, err, tandem.EINVALID)
	})
}

// TestAuditAppendOnly changes the log behind the store's back: the
// database itself must refuse.
func TestAuditAppendOnly(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		if err := db.AppendAudit(ctx, entry("ann@example.com", "signin.fail", "user:ann@example.com", 0)); err != nil {
			t.Fatal(err)
		}
		stmts := []string{
			"UPDATE audit_log SET actor = 'mallory'",
			"DELETE FROM audit_log",
			"DELETE FROM audit_log WHERE id = 1",
		}
		if db.dialect == dialectPostgres {
			stmts = append(stmts, "TRUNCATE audit_log")
		}
		for _, q := range stmts {
			_, err := db.writer.ExecContext(ctx, q)
			if err == nil || !strings.Contains(err.Error(), "audit log is append-only") {
				t.Errorf("%s: got %v, want the append-only error", q, err)
			}
		}
		got := auditAll(t, db)
		if len(got) != 1 || got[0].Actor != "ann@example.com" {
			t.Errorf("log after tampering = %+v", got)
		}
	})
}

func TestLoaderAuditAndDataVersion(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		version := func() int64 {
			t.Helper()
			v, err := db.DataVersion(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		if v := version(); v != 0 {
			t.Fatalf("new store at version %d", v)
		}
		acc := entity(t, db, "accounts")

		// A committed load writes its audit entries and bumps the version.
		l, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Put(ctx, acc, row(t, acc, "id", "A1", "name", "Acme")); err != nil {
			t.Fatal(err)
		}
		l.Audit(entry("cli:test", "import", "entity:accounts", 1))
		l.Audit(entry("cli:test", "import.note", "entity:accounts", 2))
		// Until the commit, neither is visible.
		if got := auditAll(t, db); len(got) != 0 {
			t.Errorf("audit before commit = %+v", got)
		}
		if _, err := l.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		got := auditAll(t, db)
		if len(got) != 2 || got[0].Action != "import.note" || got[1].Action != "import" {
			t.Errorf("audit after commit = %+v", got)
		}
		if v := version(); v != 1 {
			t.Errorf("version after a commit = %d, want 1", v)
		}

		// A rolled-back load writes neither.
		l, err = db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		l.Put(ctx, acc, row(t, acc, "id", "A2", "name", "B"))
		l.Audit(entry("cli:test", "import", "entity:accounts", 3))
		if err := l.Rollback(); err != nil {
			t.Fatal(err)
		}
		l.Audit(entry("cli:test", "late", "", 4)) // after the end: ignored
		if got := auditAll(t, db); len(got) != 2 {
			t.Errorf("audit after rollback has %d entries, want 2", len(got))
		}
		if v := version(); v != 1 {
			t.Errorf("version after a rollback = %d, want 1", v)
		}

		// A load whose audit entry is bad fails as a whole.
		l, err = db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		l.Put(ctx, acc, row(t, acc, "id", "A3", "name", "C"))
		l.Audit(tandem.AuditEntry{Actor: "cli:test"})
		if _, err := l.Commit(ctx); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("commit with a bad audit entry: %v", err)
		}
		if _, err := db.Get(ctx, "accounts", "A3"); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("the failed load's row is stored: %v", err)
		}

		// An empty load is a commit too.
		load(t, db)
		if v := version(); v != 2 {
			t.Errorf("version after an empty load = %d, want 2", v)
		}
	})
}

// TestAccountWritesDuringLoad signs in (and records audit entries) while
// another request's load is open: on SQLite the write waits for the
// load's commit, on PostgreSQL it goes ahead; either way it completes.
func TestAccountWritesDuringLoad(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		mustCreate(t, db, newUser("u1", "ann@example.com", tandem.RoleAdmin, 0))
		acc := entity(t, db, "accounts")
		l, err := db.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 2000 {
			if err := l.Put(ctx, acc, row(t, acc, "id", fmt.Sprint("A", i), "name", "Acme")); err != nil {
				t.Fatal(err)
			}
		}
		l.Audit(entry("cli:test", "import", "entity:accounts", 1))

		done := make(chan error, 1)
		go func() {
			wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			err := db.CreateSession(wctx, tandem.Session{IDHash: "h1", UserID: "u1", CSRF: "c", ExpiresAt: time.Now().Add(time.Hour)}, nil)
			if err == nil {
				err = db.AppendAudit(wctx, entry("ann@example.com", "signin", "user:ann@example.com", 2))
			}
			done <- err
		}()
		// Reads keep working meanwhile.
		if _, err := db.User(ctx, "u1"); err != nil {
			t.Errorf("read during a load: %v", err)
		}
		if db.dialect == dialectSQLite {
			select {
			case err := <-done:
				t.Fatalf("the account write finished during the load on the single writer: %v", err)
			case <-time.After(200 * time.Millisecond):
			}
		}
		if _, err := l.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("account write during a load: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("the account write is stuck after the load committed")
		}
		if _, _, err := db.Session(ctx, "h1", time.Now()); err != nil {
			t.Error(err)
		}
		if got := auditAll(t, db); len(got) != 3 {
			t.Errorf("%d audit entries, want 3", len(got))
		}
	})
}

// TestAccountTimes checks times round-trip at microsecond precision in
// UTC, whatever their zone, and that NULL times read as zero.
func TestAccountTimes(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		zone := time.FixedZone("UTC+5:30", 5*3600+1800)
		for i, ts := range []time.Time{
			time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), // midnight, no fraction
			time.Date(2024, 2, 29, 23, 59, 59, 999999999, zone),
			time.Date(1999, 12, 31, 12, 0, 0, 500000000, time.UTC),
		} {
			u := newUser(fmt.Sprint("u", i), fmt.Sprintf("u%d@example.com", i), tandem.RoleCS, 0)
			u.CreatedAt, u.UpdatedAt, u.LastSignIn = ts, ts.Add(time.Nanosecond), time.Time{}
			mustCreate(t, db, u)
			got, err := db.User(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !got.CreatedAt.Equal(stored(ts)) || got.CreatedAt.Location() != time.UTC || !got.LastSignIn.IsZero() {
				t.Errorf("%v: read back created %v, last sign-in %v", ts, got.CreatedAt, got.LastSignIn)
			}
		}
	})
}

// TestLastAdminConcurrent demotes the only two admins at once, in several
// rounds: exactly one demotion may succeed each time, so an enabled admin
// always remains.
func TestLastAdminConcurrent(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
		user := func(id string, role tandem.Role) tandem.User {
			return tandem.User{ID: id, Email: id + "@x.io", Name: id, Role: role, PasswordHash: "h", CreatedAt: at, UpdatedAt: at}
		}
		entry := func(action, id string) tandem.AuditEntry {
			return tandem.AuditEntry{Actor: "t", Action: action, Target: id}
		}
		for round := range 5 {
			pair := []string{fmt.Sprintf("a%d", round), fmt.Sprintf("b%d", round)}
			for _, id := range pair {
				if err := db.CreateUser(ctx, user(id, tandem.RoleAdmin), false, entry("user.create", id)); err != nil {
					t.Fatal(err)
				}
			}
			// Only the pair stays admin.
			users, err := db.Users(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range users {
				if u.Role == tandem.RoleAdmin && !slices.Contains(pair, u.ID) {
					if err := db.UpdateUser(ctx, user(u.ID, tandem.RoleSales), entry("user.update", u.ID)); err != nil {
						t.Fatal(err)
					}
				}
			}
			errs := make([]error, 2)
			var wg sync.WaitGroup
			for i, id := range pair {
				wg.Go(func() { errs[i] = db.UpdateUser(ctx, user(id, tandem.RoleSales), entry("user.update", id)) })
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case tandem.ErrorCode(err) != tandem.ECONFLICT:
					t.Fatalf("round %d: %v", round, err)
				}
			}
			if ok != 1 {
				t.Fatalf("round %d: %d of 2 concurrent demotions succeeded (%v), want 1", round, ok, errs)
			}
		}
	})
}
