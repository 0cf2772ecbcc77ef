package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/service"
)

// settingsDoc describes a module's versioned settings document, so that
// one pair of "settings show|apply" commands serves every module: they
// differ only in the document's type, their help text, how a file is read
// and what the apply reports.
type settingsDoc[T any] struct {
	module       string // the command the settings hang under ("feedback", "specials")
	short        string // the settings command's short help
	showExample  string
	applyLong    string
	applyExample string
	// get returns the current settings and their version.
	get func(*service.Service, context.Context) (T, int, error)
	// put saves the next version over the expected one.
	put func(*service.Service, context.Context, service.Actor, T, int) (T, int, error)
	// parse reads a settings file (YAML or JSON) named name.
	parse func(name string, src []byte) (T, error)
	// yaml renders the settings as the file apply reads.
	yaml func(T) (string, error)
	// applied summarises applied settings after "applied FILE as version N: ".
	applied func(T) string
}

// settingsOut is the --json output of settings show and apply.
type settingsOut[T any] struct {
	Settings T   `json:"settings"`
	Version  int `json:"version"`
}

// settingsCommand is "tandem <module> settings" with its show and apply
// subcommands. A method cannot take a type parameter, hence the app
// argument.
func settingsCommand[T any](a *app, d settingsDoc[T]) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "settings",
		Short: d.short,
	}
	show := &cobra.Command{
		Use:     "show",
		Short:   "Print the settings as YAML (the file apply reads), with their version",
		Example: d.showExample,
		Args:    cobra.NoArgs,
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, _ []string, svc *service.Service) error {
			set, v, err := d.get(svc, ctx)
			if err != nil {
				return err
			}
			if a.jsonOut {
				return a.printJSON(settingsOut[T]{set, v})
			}
			y, err := d.yaml(set)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "# %s settings, version %d (apply with: tandem %s settings apply FILE --version %d)\n%s", d.module, v, d.module, v, y)
			return nil
		}),
	}
	var version int
	var as string
	apply := &cobra.Command{
		Use:     "apply FILE [--version N]",
		Short:   "Apply a settings file (YAML or JSON); refused whole with every problem",
		Long:    d.applyLong,
		Example: d.applyExample,
		Args:    cobra.ExactArgs(1),
		RunE: a.withDesk(func(ctx context.Context, cmd *cobra.Command, args []string, svc *service.Service) error {
			actor, err := a.deskActor(ctx, svc, as)
			if err != nil {
				return err
			}
			src, err := os.ReadFile(args[0])
			if err != nil {
				return tandem.Errorf(tandem.EINVALID, "read %s: %v", args[0], err)
			}
			set, err := d.parse(filepath.Base(args[0]), src)
			if err != nil {
				return err
			}
			if !cmd.Flags().Changed("version") {
				if _, version, err = d.get(svc, ctx); err != nil {
					return err
				}
			}
			set, v, err := d.put(svc, ctx, actor, set, version)
			if err != nil {
				return fmt.Errorf("%s: %w", args[0], err)
			}
			if a.jsonOut {
				return a.printJSON(settingsOut[T]{set, v})
			}
			fmt.Fprintf(a.stdout, "applied %s as version %d: %s\n", args[0], v, d.applied(set))
			return nil
		}),
	}
	apply.Flags().IntVar(&version, "version", 0, "the version the file was edited from (default: the current one)")
	apply.Flags().StringVar(&as, "as", "", "record the change as this user (e-mail)")
	cmd.AddCommand(show, apply)
	return cmd
}
