package cli

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/httpapi"
	"github.com/tandemhq/tandem/internal/notify"
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
	baseURL        string
	webhooks       []string
	smtpAddr       string
	smtpFrom       string
	smtpUser       string
	escalateEvery  time.Duration
	reviewEvery    time.Duration
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
	f.StringVar(&o.baseURL, "base-url", "", "the address people reach Tandem at, for links in notifications (default: the listen address)")
	f.StringArrayVar(&o.webhooks, "webhook", nil, "send deal-desk events to NAME,URL[,slack] (repeatable); the HMAC secret comes from $TANDEM_WEBHOOK_SECRET_<NAME>")
	f.StringVar(&o.smtpAddr, "smtp-addr", "", "send approval e-mails through this SMTP server, host:port (password in $TANDEM_SMTP_PASSWORD)")
	f.StringVar(&o.smtpFrom, "smtp-from", "", "the From address of approval e-mails")
	f.StringVar(&o.smtpUser, "smtp-user", "", "SMTP user name (PLAIN auth, only over TLS or to localhost)")
	f.DurationVar(&o.escalateEvery, "escalate-every", time.Minute, "how often approvals pending past their SLA escalate (0: never; run tandem approvals escalate instead)")
	f.DurationVar(&o.reviewEvery, "review-scan-every", time.Hour, "how often deals the review triggers fire on get a review, and closed deals' reviews their outcome (0: never; run tandem review scan instead)")
}

// notifier builds the deal desk's notification sender from the flags and
// the environment, or nil when no channel is configured. Secrets come only
// from the environment, so they are not in the process list or shell
// history, and never reach a log: the webhook and SMTP values redact them.
func (a *app) notifier(db tandem.Store, o serveOptions) (*notify.Sender, error) {
	var hooks []notify.Webhook
	for _, spec := range o.webhooks {
		parts := strings.Split(spec, ",")
		if len(parts) < 2 || len(parts) > 3 {
			return nil, tandem.Errorf(tandem.EINVALID, "--webhook %q: want NAME,URL or NAME,URL,slack", spec)
		}
		h := notify.Webhook{Name: strings.TrimSpace(parts[0]), URL: strings.TrimSpace(parts[1]), Format: notify.FormatJSON}
		if len(parts) == 3 {
			h.Format = strings.TrimSpace(parts[2])
		}
		h.Secret = a.getenv(webhookSecretEnv(h.Name))
		if h.Secret == "" && h.Format != notify.FormatSlack {
			return nil, tandem.Errorf(tandem.EINVALID, "--webhook %s: set $%s to the secret that signs its deliveries", h.Name, webhookSecretEnv(h.Name))
		}
		if err := h.Validate(); err != nil {
			return nil, fmt.Errorf("--webhook %s: %w", h.Name, err)
		}
		hooks = append(hooks, h)
	}
	var mail *notify.SMTP
	if o.smtpAddr != "" || o.smtpFrom != "" {
		mail = &notify.SMTP{Addr: o.smtpAddr, From: o.smtpFrom, Username: o.smtpUser}
		if o.smtpUser != "" {
			mail.Password = a.getenv("TANDEM_SMTP_PASSWORD")
		}
		if err := mail.Validate(); err != nil {
			return nil, fmt.Errorf("--smtp-addr/--smtp-from: %w", err)
		}
	}
	if len(hooks) == 0 && mail == nil {
		return nil, nil
	}
	return notify.New(db, hooks, mail, a.logger, time.Now, &http.Client{}), nil
}

// webhookSecretEnv names the environment variable holding a webhook's
// secret: TANDEM_WEBHOOK_SECRET_ and the name in upper case, every other
// character an underscore.
func webhookSecretEnv(name string) string {
	return "TANDEM_WEBHOOK_SECRET_" + strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
			return r
		}
		return '_'
	}, name)
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

// serve runs the HTTP server on db until the command's context ends, with
// the deal desk's background work: delivering notifications and
// escalating approvals past their SLA.
func (a *app) serve(cmd *cobra.Command, db *sqldb.DB, o serveOptions) error {
	srv, svc, err := a.newServerService(db, o)
	if err != nil {
		return err
	}
	sender, err := a.notifier(db, o)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(cmd.Context())
	var bg sync.WaitGroup
	defer bg.Wait()
	defer cancel()
	if sender != nil {
		svc.SetNotifier(sender.Channels)
		bg.Go(func() { sender.Run(ctx, 15*time.Second) })
	}
	bg.Go(func() {
		start := time.Now()
		if err := svc.WarmDesk(ctx); err != nil && ctx.Err() == nil {
			a.logger.Error("build the deal desk's model", "error", err.Error())
		} else if err == nil {
			a.logger.Info("deal desk ready", "seconds", time.Since(start).Seconds())
		}
	})
	if o.escalateEvery > 0 {
		bg.Go(func() {
			a.every(ctx, o.escalateEvery, "escalate approvals past their SLA", func(ctx context.Context) (int, error) {
				return svc.EscalateDue(ctx, service.Actor{Name: "system:escalation"})
			})
		})
	}
	if o.reviewEvery > 0 {
		bg.Go(func() {
			a.every(ctx, o.reviewEvery, "scan deals for reviews", func(ctx context.Context) (int, error) {
				opened, closed, err := svc.ScanReviews(ctx, service.Actor{Name: "system:review"})
				return opened + closed, err
			})
		})
	}
	return srv.Serve(ctx, o.addr, func(url string) {
		if o.baseURL == "" {
			svc.SetBaseURL(url)
		}
		fmt.Fprintf(a.stdout, "Tandem is serving %s on %s (store: %s)\n", url, o.addr, db.Dialect())
		fmt.Fprintf(a.stdout, "  web: %s   API: %sapi/v1/openapi.json   health: %shealthz   stop: Ctrl-C\n", url, url, url)
	})
}

// every runs job every interval until ctx ends, logging what it did. A
// failed round is logged and the next one tries again.
func (a *app) every(ctx context.Context, interval time.Duration, what string, job func(context.Context) (int, error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			n, err := job(ctx)
			if err != nil && ctx.Err() == nil {
				a.logger.Error(what, "error", err.Error())
			} else if n > 0 {
				a.logger.Info(what, "count", n)
			}
		}
	}
}

// newServer wires the web app and API over db: the service, the session
// manager, the pages and the HTTP server.
func (a *app) newServer(db tandem.Store, o serveOptions) (*httpapi.Server, error) {
	srv, _, err := a.newServerService(db, o)
	return srv, err
}

// newServerService is newServer, also returning the service for the
// server's background work.
func (a *app) newServerService(db tandem.Store, o serveOptions) (*httpapi.Server, *service.Service, error) {
	if (o.certFile == "") != (o.keyFile == "") {
		return nil, nil, tandem.Errorf(tandem.EINVALID, "--tls-cert and --tls-key go together")
	}
	if o.uploadLimitMB < 1 || o.bodyLimitKB < 1 {
		return nil, nil, tandem.Errorf(tandem.EINVALID, "--upload-limit and --body-limit must be at least 1")
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
	if o.baseURL != "" {
		svc.SetBaseURL(o.baseURL)
	}
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
		// Slack's signing secret comes from the environment only, as
		// every secret does, and is never logged.
		SlackSigningSecret: a.slackSigningSecret(),
	})
	return srv, svc, nil
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
