package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem/internal/analytics"
	"github.com/tandemhq/tandem/internal/httpapi"
	"github.com/tandemhq/tandem/internal/sqldb"
)

func (a *app) serveCommand() *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the JSON API (/api/v1) and /healthz until interrupted",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			return a.serve(cmd, db, addr)
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:8080", "listen address (port 0 picks a free port)")
	return cmd
}

// serve runs the HTTP server on db until the command's context ends.
func (a *app) serve(cmd *cobra.Command, db *sqldb.DB, addr string) error {
	srv := httpapi.New(db, a.catalog, analytics.New(db, a.catalog, time.Now), a.logger, a.version.Version)
	return srv.Serve(cmd.Context(), addr, func(url string) {
		fmt.Fprintf(a.stdout, "Tandem is serving %s on %s (store: %s)\n", url, addr, db.Dialect())
		fmt.Fprintf(a.stdout, "  API: %sapi/v1/entities   health: %shealthz   stop: Ctrl-C\n", url, url)
	})
}
