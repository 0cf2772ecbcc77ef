package cli

import (
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/httpapi"
	"github.com/tandemhq/tandem/internal/service"
	"github.com/tandemhq/tandem/internal/sqldb"
	"github.com/tandemhq/tandem/internal/web"
)

// serveOptions are the flags of `tandem serve` (and of the demo's server).
type serveOptions struct {
	addr           string
	certFile       string
	keyFile        string
	behindTLS      bool
	clientIPHeader string
	uploadDir      string
	uploadLimitMB  int64
	bodyLimitKB    int64
}

// addServeFlags registers the server flags on cmd.
func (o *serveOptions) addServeFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "listen address (port 0 picks a free port)")
	f.StringVar(&o.certFile, "tls-cert", "", "serve HTTPS with this certificate file (PEM)")
	f.StringVar(&o.keyFile, "tls-key", "", "the certificate's private key file (PEM)")
	f.BoolVar(&o.behindTLS, "behind-tls-proxy", false, "clients reach Tandem over HTTPS through a proxy: mark cookies Secure and send HSTS")
	f.StringVar(&o.clientIPHeader, "client-ip-header", "", "trust this header (X-Forwarded-For, X-Real-IP) for the client's address; only behind a proxy that always sets it")
	f.StringVar(&o.uploadDir, "upload-dir", "", "where CSV uploads wait for their import (default: tandem/uploads in the user's cache directory)")
	f.Int64Var(&o.uploadLimitMB, "upload-limit", httpapi.DefaultUploadLimit>>20, "largest CSV upload, in MB")
	f.Int64Var(&o.bodyLimitKB, "body-limit", httpapi.DefaultBodyLimit>>10, "largest JSON or form body, in KB")
}

func (a *app) serveCommand() *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the web app, the JSON API (/api/v1) and /healthz until interrupted",
		Long: `Serve the web app, the JSON API under /api/v1 and /healthz.

On a store without users the first visit asks for the first admin (or run
tandem user add --role admin first). Everything but /healthz needs a
session (sign in) or an API token ("Authorization: Bearer tdm_...").`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, err := a.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer db.Close()
			return a.serve(cmd, db, o)
		},
	}
	o.addServeFlags(cmd)
	return cmd
}

// serve runs the HTTP server on db until the command's context ends.
func (a *app) serve(cmd *cobra.Command, db *sqldb.DB, o serveOptions) error {
	srv, err := a.newServer(db, o)
	if err != nil {
		return err
	}
	return srv.Serve(cmd.Context(), o.addr, func(url string) {
		fmt.Fprintf(a.stdout, "Tandem is serving %s on %s (store: %s)\n", url, o.addr, db.Dialect())
		fmt.Fprintf(a.stdout, "  web: %s   API: %sapi/v1/openapi.json   health: %shealthz   stop: Ctrl-C\n", url, url, url)
	})
}

// newServer wires the web app and API over db: the service, the session
// manager, the pages and the HTTP server.
func (a *app) newServer(db tandem.Store, o serveOptions) (*httpapi.Server, error) {
	if (o.certFile == "") != (o.keyFile == "") {
		return nil, tandem.Errorf(tandem.EINVALID, "--tls-cert and --tls-key go together")
	}
	if o.uploadLimitMB < 1 || o.bodyLimitKB < 1 {
		return nil, tandem.Errorf(tandem.EINVALID, "--upload-limit and --body-limit must be at least 1")
	}
	dir := o.uploadDir
	if dir == "" {
		// A directory of this user's, not a fixed name in the shared temp
		// directory that another local user could create first.
		base, err := os.UserCacheDir()
		if err != nil {
			base = filepath.Join(os.TempDir(), fmt.Sprintf("tandem-%d", os.Getuid()))
		}
		dir = filepath.Join(base, "tandem", "uploads")
	}
	tls := o.behindTLS || o.certFile != ""
	svc := service.New(db, a.catalog, analytics.New(db, a.catalog, time.Now), dir, time.Now)
	sessions := auth.NewManager(db, tls, time.Now)
	sessions.TrustClientIPHeader(o.clientIPHeader)
	svc.OnAccountsChange(sessions.ForgetTokens)
	srv := httpapi.New(httpapi.Config{
		Service:     svc,
		Sessions:    sessions,
		Pages:       web.New(svc, sessions, a.version.Version, a.logger).WithUploadLimit(o.uploadLimitMB << 20),
		Logger:      a.logger,
		Version:     a.version.Version,
		TLS:         tls,
		CertFile:    o.certFile,
		KeyFile:     o.keyFile,
		BodyLimit:   o.bodyLimitKB << 10,
		UploadLimit: o.uploadLimitMB << 20,
	})
	return srv, nil
}

// NewHandler returns the HTTP handler `tandem serve` would serve over store,
// with default options and a discarded log, and the route table: for tests
// that drive the whole stack.
func NewHandler(store tandem.Store, uploadDir string, v Version) (http.Handler, []httpapi.Route, error) {
	a := &app{catalog: tandem.NewCatalog(), logger: slog.New(slog.DiscardHandler), version: v}
	o := serveOptions{uploadDir: uploadDir, uploadLimitMB: httpapi.DefaultUploadLimit >> 20, bodyLimitKB: httpapi.DefaultBodyLimit >> 10}
	srv, err := a.newServer(store, o)
	if err != nil {
		return nil, nil, err
	}
	return srv.Handler(), srv.Routes(), nil
}
