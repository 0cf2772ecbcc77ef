// Package cli is Tandem's command line: one cobra command tree whose
// commands open the store, call the packages that do the work, and print
// text for people or JSON (--json) for scripts. Configuration comes from
// flags and the environment, never from package state.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/sqldb"
)

// Version is the release this binary reports; main sets it from build info.
type Version struct {
	Version string `json:"version"`
	Commit  string `json:"commit,omitempty"`
	Go      string `json:"go"`
}

// app holds what every command shares: streams, the catalog and the flags
// common to all commands.
type app struct {
	stdout, stderr io.Writer
	getenv         func(string) string
	version        Version
	catalog        *tandem.Catalog
	logger         *slog.Logger

	db       string
	logLevel string
	jsonOut  bool
	// started is set once a command's own code runs: errors before that
	// (unknown commands and flags, wrong arguments) are usage errors.
	started bool
}

// Main runs the command line with args (without the program name) and
// returns the process exit status. Errors are printed to stderr as one
// sentence; their code decides the status (tandem.ExitCode).
func Main(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string, v Version) int {
	a := &app{stdout: stdout, stderr: stderr, getenv: getenv, version: v, catalog: tandem.NewCatalog()}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := func() (err error) {
		defer func() {
			// No panic reaches a user as a stack trace: it becomes an
			// internal error with the value, and the status says so.
			if r := recover(); r != nil {
				err = &tandem.Error{Code: tandem.EINTERNAL, Message: fmt.Sprintf("unexpected failure: %v", r)}
			}
		}()
		return root.ExecuteContext(ctx)
	}()
	if err == nil {
		return 0
	}
	if errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "tandem: interrupted; nothing half-written was kept")
		return 130
	}
	var te *tandem.Error
	if !a.started && !errors.As(err, &te) {
		err = &tandem.Error{Code: tandem.EINVALID, Message: err.Error() + " (see tandem --help)"}
	}
	fmt.Fprintf(stderr, "tandem: %v\n", err)
	return tandem.ExitCode(err)
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "tandem",
		Short: "Tandem: the shared system of record for product, sales, RevOps, CS and finance",
		Long: `Tandem joins CRM deals, the feature catalog, product usage and billing in one
store, and measures each feature's revenue impact with honest statistics.

The store is a SQLite file by default (--db FILE, default tandem.db) or
PostgreSQL when --db or TANDEM_DB is a postgres:// URL.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			a.started = true
			var level slog.Level
			if err := level.UnmarshalText([]byte(a.logLevel)); err != nil {
				return tandem.Errorf(tandem.EINVALID, "--log-level %q: use debug, info, warn or error", a.logLevel)
			}
			a.logger = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
			return nil
		},
	}
	def := a.getenv("TANDEM_DB")
	if def == "" {
		def = "tandem.db"
	}
	pf := root.PersistentFlags()
	pf.StringVar(&a.db, "db", def, "store: a SQLite file path or a postgres:// URL (env TANDEM_DB)")
	pf.StringVar(&a.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	pf.BoolVar(&a.jsonOut, "json", false, "print machine-readable JSON")

	root.AddCommand(
		a.versionCommand(),
		a.migrateCommand(),
		a.importCommand(),
		a.exportCommand(),
		a.backupCommand(),
		a.serveCommand(),
		a.demoCommand(),
		a.benchCommand(),
		a.reportCommand(),
		a.userCommand(),
		a.tokenCommand(),
		a.auditCommand(),
		a.deskCommand(),
		a.archetypesCommand(),
		a.approvalsCommand(),
		a.reviewCommand(),
		a.feedbackCommand(),
		a.themesCommand(),
		a.winlossCommand(),
		a.postmortemCommand(),
		a.competitorCommand(),
		a.intelCommand(),
		a.specialsCommand(),
	)
	for _, e := range a.catalog.Entities() {
		root.AddCommand(a.entityCommand(e))
	}
	return root
}

// openStore opens the store named by --db (migrating it to the current
// schema).
func (a *app) openStore(ctx context.Context) (*sqldb.DB, error) {
	return sqldb.Open(ctx, a.db, a.catalog)
}

// printJSON writes v as indented JSON.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func (a *app) versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if a.jsonOut {
				return a.printJSON(a.version)
			}
			fmt.Fprintf(a.stdout, "tandem %s", a.version.Version)
			if a.version.Commit != "" {
				fmt.Fprintf(a.stdout, " (%s)", a.version.Commit)
			}
			fmt.Fprintf(a.stdout, " %s\n", a.version.Go)
			return nil
		},
	}
}

func (a *app) migrateCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "migrate", Short: "Schema migrations"}
	cmd.AddCommand(&cobra.Command{
		Use:   "status",
		Short: "List schema migrations and when each was applied (opening the store applies pending ones)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			ms, err := db.Migrations(cmd.Context())
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(map[string]any{"dialect": db.Dialect(), "migrations": ms})
			}
			tw := newTable(a.stdout)
			tw.row("VERSION", "NAME", "APPLIED")
			for _, m := range ms {
				applied := "pending"
				if !m.AppliedAt.IsZero() {
					applied = m.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
				}
				tw.row(fmt.Sprint(m.Version), m.Name, applied)
			}
			return tw.flush()
		},
	})
	return cmd
}

func (a *app) backupCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "backup FILE",
		Short: "Write a consistent copy of the store to a new SQLite file, also while the server runs",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			db, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.Backup(cmd.Context(), args[0]); err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(map[string]string{"backup": args[0]})
			}
			fmt.Fprintf(a.stdout, "backup written to %s\n", args[0])
			return nil
		},
	}
}

// parseFilters turns --where col=value flags into store filters.
func parseFilters(where []string) ([]tandem.Filter, error) {
	var out []tandem.Filter
	for _, w := range where {
		col, val, ok := strings.Cut(w, "=")
		if !ok || col == "" {
			return nil, tandem.Errorf(tandem.EINVALID, "--where %q: use COLUMN=VALUE", w)
		}
		out = append(out, tandem.Filter{Column: col, Value: val})
	}
	return out, nil
}

// isTerminal reports whether w is a terminal, for progress bars.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
