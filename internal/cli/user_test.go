package cli_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/cli"
	"github.com/tandemhq/tandem/internal/sqldb"
	"github.com/tandemhq/tandem/internal/testdb"
)

// runStdin executes the CLI in-process as $USER "tester" with stdin read
// from a file holding input. Main reads stdin through os.Stdin, so it is
// swapped for the call (the package's tests do not run in parallel).
func runStdin(t *testing.T, input string, args ...string) (int, string, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "stdin")
	if err := os.WriteFile(path, []byte(input), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	saved := os.Stdin
	os.Stdin = f
	defer func() { os.Stdin = saved }()
	env := map[string]string{"USER": "tester"}
	var out, errOut bytes.Buffer
	code := cli.Main(context.Background(), args, &out, &errOut, func(k string) string { return env[k] }, cli.Version{Version: "test"})
	return code, out.String(), errOut.String()
}

func TestUserTokenAuditCommands(t *testing.T) {
	const annPW, bobPW = "correct horse battery staple", "another long passphrase"
	for _, dialect := range testdb.Dialects(t) {
		t.Run(dialect, func(t *testing.T) {
			dsn := testdb.DSN(t, dialect)
			ctx := context.Background()
			// tandem runs the command and checks its exit status.
			tandemOK := func(input string, args ...string) (string, string) {
				t.Helper()
				code, out, errOut := runStdin(t, input, append([]string{"--db", dsn}, args...)...)
				if code != 0 {
					t.Fatalf("tandem %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
				}
				return out, errOut
			}
			tandemFails := func(wantCode int, wantErr, input string, args ...string) {
				t.Helper()
				code, out, errOut := runStdin(t, input, append([]string{"--db", dsn}, args...)...)
				if code != wantCode || !strings.Contains(errOut, wantErr) {
					t.Errorf("tandem %s: exit %d, stderr %q; want exit %d and %q (stdout %q)", strings.Join(args, " "), code, errOut, wantCode, wantErr, out)
				}
			}

			// The first user must be an admin; nothing is asked or stored.
			tandemFails(2, "the first user must be an admin", annPW+"\n", "user", "add", "--email", "ann@example.com", "--name", "Ann", "--role", "sales")
			tandemFails(2, "--email is required", annPW+"\n", "user", "add", "--name", "Ann", "--role", "admin")
			tandemFails(2, "unknown role", annPW+"\n", "user", "add", "--email", "ann@example.com", "--name", "Ann", "--role", "boss")
			tandemFails(2, "no password on standard input", "", "user", "add", "--email", "ann@example.com", "--name", "Ann", "--role", "admin")
			tandemFails(2, "at least 12 characters", "short\n", "user", "add", "--email", "ann@example.com", "--name", "Ann", "--role", "admin")

			out, _ := tandemOK(annPW+"\n", "user", "add", "--email", "Ann@Example.com", "--name", "Ann Lee", "--role", "admin")
			if !strings.Contains(out, "created user ann@example.com (Ann Lee, admin)") {
				t.Errorf("user add printed %q", out)
			}
			tandemFails(4, "exists", bobPW+"\n", "user", "add", "--email", "ANN@example.com", "--name", "Other Ann", "--role", "sales")
			out, _ = tandemOK(bobPW+"\r\n", "user", "add", "--email", "bob@example.com", "--name", "Bob", "--role", "sales", "--password-stdin", "--json")
			var bob tandem.User
			if err := json.Unmarshal([]byte(out), &bob); err != nil || bob.Email != "bob@example.com" || bob.Role != tandem.RoleSales || bob.ID == "" {
				t.Fatalf("user add --json: %v\n%s", err, out)
			}

			// The passwords read from stdin are what the store verifies.
			db, err := sqldb.Open(ctx, dsn, tandem.NewCatalog())
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			for email, pw := range map[string]string{"ann@example.com": annPW, "bob@example.com": bobPW} {
				u, err := db.UserByEmail(ctx, email)
				if err != nil {
					t.Fatal(err)
				}
				if !auth.VerifyPassword(u.PasswordHash, pw) {
					t.Errorf("%s: the stored hash does not verify the password given on stdin", email)
				}
			}

			out, _ = tandemOK("", "user", "list", "--json")
			var users []map[string]any
			if err := json.Unmarshal([]byte(out), &users); err != nil {
				t.Fatalf("user list --json: %v\n%s", err, out)
			}
			if len(users) != 2 || users[0]["email"] != "ann@example.com" || users[1]["email"] != "bob@example.com" || users[1]["role"] != "sales" {
				t.Errorf("user list --json = %v", users)
			}
			if strings.Contains(out, "argon2") || strings.Contains(out, "password") {
				t.Errorf("user list shows password material: %s", out)
			}

			tandemOK("", "user", "set", "bob@example.com", "--role", "revops", "--name", "Robert")
			out, _ = tandemOK("", "user", "list")
			if !regexp.MustCompile(`bob@example\.com\s+Robert\s+revops\s+no\s+never`).MatchString(out) {
				t.Errorf("user list after set:\n%s", out)
			}
			tandemFails(3, "nobody@example.com", "", "user", "set", "nobody@example.com", "--role", "cs")
			tandemFails(4, "last enabled admin", "", "user", "set", "ann@example.com", "--role", "sales")
			tandemFails(2, "nothing to change", "", "user", "set", "bob@example.com")
			tandemFails(2, "contradict", "", "user", "set", "bob@example.com", "--disable", "--enable")
			const newPW = "a brand new passphrase"
			tandemOK(newPW+"\n", "user", "set", "bob@example.com", "--password-stdin", "--disable")
			if u, err := db.UserByEmail(ctx, "bob@example.com"); err != nil || !u.Disabled || !auth.VerifyPassword(u.PasswordHash, newPW) {
				t.Errorf("after set --password-stdin --disable: %+v, %v", u, err)
			}

			// Tokens: the secret is printed once, with a warning.
			tandemFails(2, "--expires", "", "token", "create", "--user", "bob@example.com", "--name", "ci", "--expires", "soon")
			tandemFails(3, "nobody@example.com", "", "token", "create", "--user", "nobody@example.com", "--name", "ci")
			out, errOut := tandemOK("", "token", "create", "--user", "bob@example.com", "--name", "ci", "--expires", "30d")
			secret := regexp.MustCompile(`tdm_[A-Za-z0-9_-]{43}`).FindString(out)
			if secret == "" || !strings.Contains(errOut, "only time the secret is shown") {
				t.Fatalf("token create printed %q, %q", out, errOut)
			}
			tk, u, err := db.TokenByHash(ctx, auth.Digest(secret), time.Now())
			if err != nil || u.Email != "bob@example.com" || tk.Name != "ci" {
				t.Fatalf("the printed secret does not authenticate: %+v %v", tk, err)
			}
			if d := time.Until(tk.ExpiresAt); d < 29*24*time.Hour || d > 31*24*time.Hour {
				t.Errorf("token expires at %v, want in 30 days", tk.ExpiresAt)
			}
			out, _ = tandemOK("", "token", "create", "--user", "ann@example.com", "--name", "laptop", "--expires", "0", "--json")
			var created struct {
				Token  tandem.APIToken `json:"token"`
				Secret string          `json:"secret"`
			}
			if err := json.Unmarshal([]byte(out), &created); err != nil || !created.Token.ExpiresAt.IsZero() || !auth.IsAPIToken(created.Secret) {
				t.Errorf("token create --json: %v\n%s", err, out)
			}

			out, _ = tandemOK("", "token", "list", "--json")
			var tokens []tandem.APIToken
			if err := json.Unmarshal([]byte(out), &tokens); err != nil || len(tokens) != 2 || tokens[0].Name != "laptop" || tokens[1].ID != tk.ID {
				t.Errorf("token list --json = %+v, %v", tokens, err)
			}
			if strings.Contains(out, secret[len(auth.TokenPrefix)+8:]) || strings.Contains(out, tk.Hash) {
				t.Errorf("token list shows a secret or hash: %s", out)
			}
			out, _ = tandemOK("", "token", "list", "--user", "bob@example.com")
			if !strings.Contains(out, tk.ID) || strings.Contains(out, "laptop") || !strings.Contains(out, "active") {
				t.Errorf("token list --user bob:\n%s", out)
			}

			tandemOK("", "token", "revoke", tk.ID)
			if _, _, err := db.TokenByHash(ctx, auth.Digest(secret), time.Now()); tandem.ErrorCode(err) != tandem.ENOTFOUND {
				t.Errorf("a revoked token still authenticates: %v", err)
			}
			out, _ = tandemOK("", "token", "list", "--user", "bob@example.com")
			if !strings.Contains(out, "revoked") {
				t.Errorf("token list after revoke:\n%s", out)
			}
			tandemFails(3, "nope", "", "token", "revoke", "nope")

			// An import from the command line is audited too.
			csv := filepath.Join(t.TempDir(), "accounts.csv")
			if err := os.WriteFile(csv, []byte("id,name\nA1,Acme\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			tandemOK("", "import", "accounts", csv)

			// The audit log, newest first, every write by cli:tester.
			out, _ = tandemOK("", "audit", "--json")
			var log struct {
				Total   int                 `json:"total"`
				Entries []tandem.AuditEntry `json:"entries"`
			}
			if err := json.Unmarshal([]byte(out), &log); err != nil {
				t.Fatalf("audit --json: %v\n%s", err, out)
			}
			var actions []string
			for _, e := range log.Entries {
				actions = append(actions, e.Action+" "+e.Target)
				if e.Actor != "cli:tester" {
					t.Errorf("entry %s %s by %q, want cli:tester", e.Action, e.Target, e.Actor)
				}
			}
			want := []string{
				"import entity:accounts",
				"token.revoke token:" + tk.ID,
				"token.create token:" + created.Token.ID,
				"token.create token:" + tk.ID,
				"user.update user:bob@example.com",
				"user.update user:bob@example.com",
				"user.create user:bob@example.com",
				"user.create user:ann@example.com",
			}
			if strings.Join(actions, "\n") != strings.Join(want, "\n") || log.Total != len(want) {
				t.Errorf("audit (total %d):\n%s\nwant:\n%s", log.Total, strings.Join(actions, "\n"), strings.Join(want, "\n"))
			}

			out, _ = tandemOK("", "audit", "--action", "user.create", "--target", "user:ann@example.com")
			if !regexp.MustCompile(`(?m)^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+cli:tester\s+user\.create\s+user:ann@example\.com\s+→\{.*"email":"ann@example\.com"`).MatchString(out) {
				t.Errorf("audit --action user.create:\n%s", out)
			}
			out, _ = tandemOK("", "audit", "--action", "user.update", "--limit", "1")
			if !strings.Contains(out, "disabled: false→true") || !strings.Contains(out, "entries 1-1 of 2") {
				t.Errorf("audit --action user.update --limit 1:\n%s", out)
			}
			today := time.Now().UTC().Format(time.DateOnly)
			out, _ = tandemOK("", "audit", "--from", today, "--to", today, "--json")
			if err := json.Unmarshal([]byte(out), &log); err != nil || log.Total != len(want) {
				t.Errorf("audit today: total %d, %v", log.Total, err)
			}
			out, _ = tandemOK("", "audit", "--to", "2000-01-01")
			if !strings.Contains(out, "no entries") {
				t.Errorf("audit before 2000:\n%s", out)
			}
			tandemFails(2, "--from", "", "audit", "--from", "yesterday")
		})
	}
}
