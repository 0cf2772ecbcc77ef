package cli

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/demo"
	"github.com/tandemhq/tandem/internal/desk"
	"github.com/tandemhq/tandem/internal/desk/example"
	"github.com/tandemhq/tandem/internal/service"
	"github.com/tandemhq/tandem/internal/sqldb"
)

// benchScale is the deal count from which `tandem demo` writes the
// benchmark-scale dataset and does not serve it.
const benchScale = 1_000_000

func (a *app) demoCommand() *cobra.Command {
	var (
		seed    uint64
		deals   int
		noServe bool
		so      serveOptions
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Generate a realistic demo dataset with planted effects into a fresh SQLite file, then serve it",
		Long: `Generate a deterministic demo dataset (same --seed, same data) into a fresh
SQLite file (--db, default tandem-demo.db, replaced if it exists) and serve it.

The default is about 2,000 accounts and 20,000 deals over three years, with
documented planted effects (see README: features that raise or lower win
rate, one with no effect, one confounded by segment, adoption effects on
renewal and expansion, an add-on that lifts selling price).
--deals 1000000 writes the benchmark scale and does not serve.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := a.db
			if !cmd.Flags().Changed("db") {
				path = "tandem-demo.db"
			}
			if sqldb.IsPostgres(path) {
				return tandem.Errorf(tandem.EINVALID, "demo writes a fresh SQLite file; --db must be a file path, not a PostgreSQL URL")
			}
			cfg := demo.DefaultConfig()
			if deals >= benchScale {
				cfg = demo.BenchConfig()
			}
			cfg.Seed = seed
			if deals > 0 {
				cfg = cfg.Scaled(deals)
			}
			for _, suffix := range []string{"", "-wal", "-shm"} {
				if err := os.Remove(path + suffix); err != nil && !os.IsNotExist(err) {
					return fmt.Errorf("demo: replace %s: %w", path, err)
				}
			}
			ctx := cmd.Context()
			db, err := sqldb.Open(ctx, path, a.catalog)
			if err != nil {
				return err
			}
			defer db.Close()
			start := time.Now()
			loader, err := db.Begin(ctx)
			if err != nil {
				return err
			}
			defer loader.Rollback()
			last := ""
			stats, err := demo.Generate(ctx, a.catalog, loader, cfg, func(entity string, done, total int) {
				if entity != last && !a.jsonOut {
					fmt.Fprintf(a.stderr, "generating %s (%d rows)\n", entity, total)
					last = entity
				}
			})
			if err != nil {
				return fmt.Errorf("demo: %w", err)
			}
			if !a.jsonOut {
				fmt.Fprintln(a.stderr, "writing the store...")
			}
			if _, err := loader.Commit(ctx); err != nil {
				return fmt.Errorf("demo: commit: %w", err)
			}
			elapsed := time.Since(start)
			if a.jsonOut {
				if err := a.printJSON(map[string]any{"db": path, "seed": seed, "rows": stats.Rows, "seconds": elapsed.Seconds()}); err != nil {
					return err
				}
			} else {
				total := 0
				for _, e := range a.catalog.Entities() {
					if n := stats.Rows[e.Name]; n > 0 {
						fmt.Fprintf(a.stdout, "  %-14s %10d\n", e.Name, n)
						total += n
					}
				}
				fmt.Fprintf(a.stdout, "demo data: %d rows in %s, seed %d, written in %.1f s\n", total, path, seed, elapsed.Seconds())
			}
			if noServe || deals >= benchScale {
				return nil
			}
			password, err := a.demoUsers(ctx, db)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "sign in as %s (or %s) with the password %s\n", demoEmail(tandem.RoleAdmin), demoOthers(), password)
			ready, err := a.demoDesk(ctx, db, password)
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, ready)
			fb, err := a.demoFeedback(ctx, db, seed)
			if err != nil {
				return err
			}
			fmt.Fprintln(a.stdout, fb)
			return a.serve(cmd, db, so)
		},
	}
	f := cmd.Flags()
	f.Uint64Var(&seed, "seed", 1, "random seed: the same seed gives the same data")
	f.IntVar(&deals, "deals", 0, "number of deals (default 20,000; 1,000,000 or more writes the benchmark scale without serving)")
	f.BoolVar(&noServe, "no-serve", false, "generate only, do not serve")
	so.addServeFlags(cmd)
	return cmd
}

// demoEmail is the demo user of a role.
func demoEmail(r tandem.Role) string { return string(r) + "@demo.example" }

// demoOthers names the demo users other than the admin, for the banner.
func demoOthers() string {
	var out []string
	for _, r := range tandem.Roles()[1:] {
		out = append(out, demoEmail(r))
	}
	return strings.Join(out, ", ")
}

// demoUsers creates one user per role in a fresh demo store, all with one
// random password, which the demo prints on its terminal (never the log) so
// the person who started it can sign in as any role.
func (a *app) demoUsers(ctx context.Context, db *sqldb.DB) (string, error) {
	password := auth.NewSecret()[:16]
	svc := service.New(db, a.catalog, nil, os.TempDir(), time.Now)
	actor := service.Actor{Name: "cli:demo"}
	for i, r := range tandem.Roles() {
		name := strings.ToUpper(string(r[:1])) + string(r[1:]) + " (demo)"
		if _, err := svc.CreateUser(ctx, actor, service.NewUser{Email: demoEmail(r), Name: name, Role: r, Password: password}, i == 0); err != nil {
			return "", fmt.Errorf("demo users: %w", err)
		}
	}
	return password, nil
}

// demoDomain is the e-mail domain of the demo's users.
const demoDomain = "demo.example"

// demoDesk makes the demo's deal desk usable at once: a user for every rep
// (with the demo's password, so approvals route to managers who can sign
// in), the derived archetypes accepted, and the example rule set applied.
// It returns the line that says so and whom to sign in as to approve; the
// password is never part of it.
func (a *app) demoDesk(ctx context.Context, db *sqldb.DB, password string) (string, error) {
	svc := service.New(db, a.catalog, analytics.New(db, a.catalog, time.Now), "", time.Now)
	actor := service.Actor{Name: "cli:demo"}
	reps, err := svc.CreateRepUsers(ctx, actor, demoDomain, password)
	if err != nil {
		return "", fmt.Errorf("demo desk: users for the reps: %w", err)
	}
	props, err := svc.DeriveArchetypes(ctx, desk.DeriveOptions{})
	if err != nil {
		return "", fmt.Errorf("demo desk: derive archetypes: %w", err)
	}
	accepted, err := svc.AcceptDerived(ctx, actor, props, "accepted by tandem demo")
	if err != nil {
		return "", fmt.Errorf("demo desk: %w", err)
	}
	const rulesName = "example-rules.yaml"
	rs, err := svc.ApplyRules(ctx, actor, rulesName, example.Rules(), "demo")
	if err != nil {
		return "", fmt.Errorf("demo desk: apply the example rules: %w", err)
	}
	line := fmt.Sprintf("deal desk ready: %d archetypes accepted, rule set %s (%d rules), a user for each of %d reps at @%s with the same password",
		len(accepted), rulesName, len(rs.Rules), len(reps), demoDomain)
	if mgr, rep, err := demoApprover(ctx, db, a.catalog, reps); err != nil {
		return "", fmt.Errorf("demo desk: %w", err)
	} else if mgr != "" {
		line += fmt.Sprintf("; quote as %s and approve as their manager %s", rep, mgr)
	}
	return line, nil
}

// demoFeedback fills the feedback hub and win/loss: competitors with
// battlecards, interviews and post-mortems, then feedback items from every
// channel drawn from the deals, most of the older ones triaged. It returns
// the line that says what was written.
func (a *app) demoFeedback(ctx context.Context, db *sqldb.DB, seed uint64) (string, error) {
	svc := service.New(db, a.catalog, analytics.New(db, a.catalog, time.Now), "", time.Now)
	actor := service.Actor{Name: "cli:demo"}
	// Competitors first: intake detects their names in feedback.
	wl, err := svc.SeedWinLossDemo(ctx, actor, seed)
	if err != nil {
		return "", fmt.Errorf("demo win/loss: %w", err)
	}
	fb, err := svc.SeedFeedbackDemo(ctx, actor, seed, 0)
	if err != nil {
		return "", fmt.Errorf("demo feedback: %w", err)
	}
	sp, err := svc.SeedSpecialsDemo(ctx, seed)
	if err != nil {
		return "", fmt.Errorf("demo specials: %w", err)
	}
	return fmt.Sprintf("feedback hub ready: %d items from %d accounts (%d competitive intel), %d triaged, %d overdue for acknowledgment, %d votes; "+
		"%d competitors (%d battlecards), %d buyer interviews, %d post-mortems\n"+
		"specials ready: %d filed (%d open, %d built, %d declined or withdrawn)",
		fb.Items, fb.Accounts, fb.Intel, fb.Triaged, fb.Overdue, fb.Votes, wl.Competitors, wl.Battlecards, wl.Interviews, wl.Postmortems,
		sp.Filed, sp.Open, sp.Built, sp.Declined), nil
}

// demoApprover picks a rep whose manager has a manager in turn (so every
// example rule, up to the manager's manager, routes to a person) and
// returns the e-mails of that manager and that rep, from the users made
// for the reps; "" when there is none.
func demoApprover(ctx context.Context, db *sqldb.DB, cat *tandem.Catalog, users []tandem.User) (mgr, rep string, err error) {
	e, err := cat.Entity("reps")
	if err != nil {
		return "", "", err
	}
	_, cName := e.Column("name")
	_, cManager := e.Column("manager")
	type person struct{ name, manager string }
	reps := map[string]person{}
	var ids []string
	err = db.Scan(ctx, "reps", func(r tandem.Record) error {
		name, _ := r.Values[cName].(string)
		manager, _ := r.Values[cManager].(string)
		reps[r.ID()] = person{name, manager}
		ids = append(ids, r.ID())
		return nil
	})
	if err != nil {
		return "", "", err
	}
	slices.Sort(ids)
	email := map[string]string{}
	for _, u := range users {
		email[strings.ToLower(u.Name)] = u.Email
	}
	for _, id := range ids {
		m, ok := reps[reps[id].manager]
		if !ok || reps[m.manager].name == "" {
			continue
		}
		mgr, rep = email[strings.ToLower(m.name)], email[strings.ToLower(reps[id].name)]
		if mgr != "" && rep != "" {
			return mgr, rep, nil
		}
	}
	return "", "", nil
}
