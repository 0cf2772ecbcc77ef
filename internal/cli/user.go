package cli

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/service"
	"github.com/tandemhq/tandem/internal/sqldb"
	"golang.org/x/term"
)

// cliTime is how the account commands print times.
const cliTime = "2006-01-02 15:04:05Z"

// actorName is who the command line acts as in the audit log:
// "cli:<login name>", from $USER.
func (a *app) actorName() string {
	user := strings.TrimSpace(a.getenv("USER"))
	if user == "" {
		user = "unknown"
	}
	return "cli:" + user
}

// openService opens the store and the service over it, for the account
// commands. The caller closes the store.
func (a *app) openService(ctx context.Context) (*service.Service, *sqldb.DB, error) {
	db, err := a.openStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	// Account commands run no reports and stage no uploads.
	return service.New(db, a.catalog, nil, "", time.Now), db, nil
}

// readPassword reads a new password: prompted twice without echo when stdin
// is a terminal (unless fromStdin), otherwise the first line of stdin.
func (a *app) readPassword(cmd *cobra.Command, fromStdin bool) (string, error) {
	in := cmd.InOrStdin()
	if f, ok := in.(*os.File); ok && !fromStdin && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(a.stderr, "Password: ")
		pw, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(a.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		fmt.Fprint(a.stderr, "Repeat password: ")
		again, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(a.stderr)
		if err != nil {
			return "", fmt.Errorf("read password: %w", err)
		}
		if string(pw) != string(again) {
			return "", tandem.Errorf(tandem.EINVALID, "the two passwords differ")
		}
		return string(pw), nil
	}
	// A line, read with a bound: a password is at most MaxPasswordLen
	// bytes, and anything longer fails that check anyway.
	line, err := bufio.NewReader(io.LimitReader(in, 4*auth.MaxPasswordLen)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read password from standard input: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", tandem.Errorf(tandem.EINVALID, "no password on standard input: pipe it in (one line), or run on a terminal to be prompted")
	}
	return line, nil
}

// userCommand is "tandem user": add, list and change users.
func (a *app) userCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "user",
		Short: "Manage the users who sign in to tandem serve",
		Long: `Manage users. Passwords are read from standard input (one line), or
prompted for twice without echo when standard input is a terminal; they are
never taken as flags, so they stay out of shell history and process lists.

Changes are recorded in the audit log as cli:$USER.`,
	}
	cmd.AddCommand(a.userAddCommand(), a.userListCommand(), a.userSetCommand())
	return cmd
}

func (a *app) userAddCommand() *cobra.Command {
	var email, name, role string
	var fromStdin bool
	cmd := &cobra.Command{
		Use:   "add --email E --name N --role R",
		Short: "Create a user; the first user of a store must be an admin",
		Example: `  tandem user add --email ann@example.com --name "Ann Lee" --role admin
  printf '%s\n' "$PASSWORD" | tandem user add --email bob@example.com --name Bob --role sales`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, f := range []struct{ flag, v string }{{"--email", email}, {"--name", name}, {"--role", role}} {
				if strings.TrimSpace(f.v) == "" {
					return tandem.Errorf(tandem.EINVALID, "%s is required", f.flag)
				}
			}
			r, err := tandem.ParseRole(role)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			svc, db, err := a.openService(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			first, err := svc.NeedsSetup(ctx)
			if err != nil {
				return err
			}
			// Checked before asking for a password nobody would use (the
			// service checks again, atomically).
			if first && r != tandem.RoleAdmin {
				return tandem.Errorf(tandem.EINVALID, "the first user must be an admin")
			}
			if _, err := svc.UserByEmail(ctx, email); err == nil {
				return tandem.Errorf(tandem.ECONFLICT, "a user with e-mail %s exists", strings.ToLower(strings.TrimSpace(email)))
			} else if tandem.ErrorCode(err) != tandem.ENOTFOUND {
				return err
			}
			pw, err := a.readPassword(cmd, fromStdin)
			if err != nil {
				return err
			}
			u, err := svc.CreateUser(ctx, service.Actor{Name: a.actorName()}, service.NewUser{Email: email, Name: name, Role: r, Password: pw}, first)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(u)
			}
			fmt.Fprintf(a.stdout, "created user %s (%s, %s), id %s\n", u.Email, u.Name, u.Role, u.ID)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&email, "email", "", "e-mail address, used to sign in (required)")
	f.StringVar(&name, "name", "", "display name (required)")
	f.StringVar(&role, "role", "", "role: "+roleNames()+" (required)")
	f.BoolVar(&fromStdin, "password-stdin", false, "read the password as one line of standard input even on a terminal (the default when it is not one)")
	return cmd
}

// roleNames lists the roles for help texts.
func roleNames() string {
	var out []string
	for _, r := range tandem.Roles() {
		out = append(out, string(r))
	}
	return strings.Join(out, ", ")
}

func (a *app) userListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List users by e-mail",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			svc, db, err := a.openService(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			users, err := svc.Users(cmd.Context())
			if err != nil {
				return err
			}
			if a.jsonOut {
				if users == nil {
					users = []tandem.User{}
				}
				return a.printJSON(users)
			}
			tw := newTable(a.stdout)
			tw.row("EMAIL", "NAME", "ROLE", "DISABLED", "LAST SIGN-IN")
			for _, u := range users {
				disabled, last := "no", "never"
				if u.Disabled {
					disabled = "yes"
				}
				if !u.LastSignIn.IsZero() {
					last = u.LastSignIn.UTC().Format(cliTime)
				}
				tw.row(u.Email, u.Name, string(u.Role), disabled, last)
			}
			return tw.flush()
		},
	}
}

func (a *app) userSetCommand() *cobra.Command {
	var role, name string
	var disable, enable, password bool
	cmd := &cobra.Command{
		Use:   "set EMAIL [--role R] [--name N] [--disable|--enable] [--password-stdin]",
		Short: "Change a user's role, name, password or whether they may sign in",
		Long: `Change a user. Disabling a user, or changing their role or password, ends
their sessions. The last enabled admin cannot be demoted or disabled.`,
		Example: `  tandem user set bob@example.com --role revops
  printf '%s\n' "$NEW_PASSWORD" | tandem user set bob@example.com --password-stdin`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var ch service.UserChange
			f := cmd.Flags()
			if f.Changed("role") {
				r, err := tandem.ParseRole(role)
				if err != nil {
					return err
				}
				ch.Role = &r
			}
			if f.Changed("name") {
				ch.Name = &name
			}
			switch {
			case disable && enable:
				return tandem.Errorf(tandem.EINVALID, "--disable and --enable contradict each other")
			case disable || enable:
				ch.Disabled = &disable
			}
			if ch == (service.UserChange{}) && !password {
				return tandem.Errorf(tandem.EINVALID, "nothing to change: give --role, --name, --disable, --enable or --password-stdin")
			}
			ctx := cmd.Context()
			svc, db, err := a.openService(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			u, err := svc.UserByEmail(ctx, args[0])
			if err != nil {
				return err
			}
			if password {
				pw, err := a.readPassword(cmd, false)
				if err != nil {
					return err
				}
				ch.Password = &pw
			}
			u, err = svc.UpdateUser(ctx, service.Actor{Name: a.actorName()}, u.ID, ch)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(u)
			}
			state := "enabled"
			if u.Disabled {
				state = "disabled"
			}
			fmt.Fprintf(a.stdout, "updated user %s (%s, %s, %s)\n", u.Email, u.Name, u.Role, state)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&role, "role", "", "new role: "+roleNames())
	fl.StringVar(&name, "name", "", "new display name")
	fl.BoolVar(&disable, "disable", false, "stop the user from signing in (ends their sessions)")
	fl.BoolVar(&enable, "enable", false, "let a disabled user sign in again")
	fl.BoolVar(&password, "password-stdin", false, "set a new password, read from standard input (prompted twice on a terminal)")
	return cmd
}

// tokenCommand is "tandem token": API tokens for scripts.
func (a *app) tokenCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "token",
		Short: "Manage API tokens (bearer credentials for scripts)",
	}
	cmd.AddCommand(a.tokenCreateCommand(), a.tokenListCommand(), a.tokenRevokeCommand())
	return cmd
}

// parseExpiry reads --expires: a number of days ("90d"), a Go duration
// ("36h"), or 0 for a token that never expires.
func parseExpiry(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n > 0 {
			return time.Duration(n) * 24 * time.Hour, nil
		}
	} else if d, err := time.ParseDuration(s); err == nil && d > 0 {
		return d, nil
	}
	return 0, tandem.Errorf(tandem.EINVALID, "--expires %q: use a number of days such as 90d, or 0 for never", s)
}

func (a *app) tokenCreateCommand() *cobra.Command {
	var email, name, expires string
	cmd := &cobra.Command{
		Use:     "create --user EMAIL --name N [--expires 90d|0]",
		Short:   "Create an API token; its secret is printed once",
		Example: `  tandem token create --user ann@example.com --name "nightly export" --expires 365d`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(email) == "" {
				return tandem.Errorf(tandem.EINVALID, "--user is required")
			}
			ttl, err := parseExpiry(expires)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			svc, db, err := a.openService(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			u, err := svc.UserByEmail(ctx, email)
			if err != nil {
				return err
			}
			tk, secret, err := svc.CreateToken(ctx, service.Actor{Name: a.actorName()}, u, name, ttl)
			if err != nil {
				return err
			}
			const warning = "this is the only time the secret is shown: store it now (tandem keeps only its hash)"
			if a.jsonOut {
				return a.printJSON(map[string]any{"token": tk, "secret": secret, "warning": warning})
			}
			exp := "never expires"
			if !tk.ExpiresAt.IsZero() {
				exp = "expires " + tk.ExpiresAt.UTC().Format(cliTime)
			}
			fmt.Fprintf(a.stdout, "created API token %q for %s (id %s, %s):\n\n    %s\n\n", tk.Name, u.Email, tk.ID, exp, secret)
			fmt.Fprintf(a.stderr, "warning: %s\n", warning)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&email, "user", "", "e-mail of the user the token acts as, with their role (required)")
	f.StringVar(&name, "name", "", "what the token is for (required)")
	f.StringVar(&expires, "expires", "90d", "lifetime: days (90d) or 0 for never")
	return cmd
}

// tokenStatus says whether a token works at now.
func tokenStatus(t tandem.APIToken, now time.Time) string {
	switch {
	case !t.RevokedAt.IsZero():
		return "revoked"
	case !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt):
		return "expired"
	}
	return "active"
}

func (a *app) tokenListCommand() *cobra.Command {
	var email string
	cmd := &cobra.Command{
		Use:   "list [--user EMAIL]",
		Short: "List API tokens, newest first (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			svc, db, err := a.openService(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			userID := ""
			if email != "" {
				u, err := svc.UserByEmail(ctx, email)
				if err != nil {
					return err
				}
				userID = u.ID
			}
			tokens, err := svc.Tokens(ctx, userID)
			if err != nil {
				return err
			}
			if a.jsonOut {
				if tokens == nil {
					tokens = []tandem.APIToken{}
				}
				return a.printJSON(tokens)
			}
			users, err := svc.Users(ctx)
			if err != nil {
				return err
			}
			emails := make(map[string]string, len(users))
			for _, u := range users {
				emails[u.ID] = u.Email
			}
			now := time.Now()
			tw := newTable(a.stdout)
			tw.row("ID", "NAME", "USER", "PREFIX", "CREATED", "EXPIRES", "STATUS")
			for _, t := range tokens {
				exp := "never"
				if !t.ExpiresAt.IsZero() {
					exp = t.ExpiresAt.UTC().Format(cliTime)
				}
				tw.row(t.ID, t.Name, emails[t.UserID], t.Prefix+"…", t.CreatedAt.UTC().Format(cliTime), exp, tokenStatus(t, now))
			}
			return tw.flush()
		},
	}
	cmd.Flags().StringVar(&email, "user", "", "only this user's tokens")
	return cmd
}

func (a *app) tokenRevokeCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an API token at once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			svc, db, err := a.openService(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			// No principal: the command line has the store itself, so it
			// may revoke anyone's token.
			if err := svc.RevokeToken(cmd.Context(), service.Actor{Name: a.actorName()}, nil, args[0]); err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(map[string]string{"revoked": args[0]})
			}
			fmt.Fprintf(a.stdout, "revoked API token %s\n", args[0])
			return nil
		},
	}
}
