package cli

import (
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
)

func TestNotifierFlags(t *testing.T) {
	env := map[string]string{"TANDEM_WEBHOOK_SECRET_OPS_1": "k", "TANDEM_SMTP_PASSWORD": "pw"}
	a := &app{getenv: func(k string) string { return env[k] }}
	for _, tc := range []struct {
		name string
		o    serveOptions
		want string // error fragment; "" for a sender, "none" for no sender
	}{
		{"nothing configured", serveOptions{}, "none"},
		{"signed json hook", serveOptions{webhooks: []string{"ops-1,https://hooks.example/x"}}, ""},
		{"slack without secret", serveOptions{webhooks: []string{"chat,https://hooks.slack.com/services/T/B/X,slack"}}, ""},
		{"json hook without secret", serveOptions{webhooks: []string{"audit,https://hooks.example/y"}}, "set $TANDEM_WEBHOOK_SECRET_AUDIT"},
		{"malformed", serveOptions{webhooks: []string{"just-a-name"}}, "want NAME,URL"},
		{"bad url", serveOptions{webhooks: []string{"ops-1,ftp://x"}}, "--webhook ops-1"},
		{"smtp", serveOptions{smtpAddr: "localhost:25", smtpFrom: "desk@example.com"}, ""},
		{"smtp without from", serveOptions{smtpAddr: "localhost:25"}, "--smtp-addr/--smtp-from"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := a.notifier(nil, tc.o)
			switch tc.want {
			case "":
				if err != nil || s == nil {
					t.Fatalf("sender %v, err %v", s, err)
				}
			case "none":
				if err != nil || s != nil {
					t.Fatalf("sender %v, err %v", s, err)
				}
			default:
				if err == nil || !strings.Contains(err.Error(), tc.want) || tandem.ErrorCode(err) != tandem.EINVALID {
					t.Fatalf("err %v, want %q", err, tc.want)
				}
				if strings.Contains(err.Error(), "pw") && tc.o.smtpAddr != "" {
					t.Errorf("the SMTP password is in the error: %v", err)
				}
			}
		})
	}
	if got := webhookSecretEnv("ops-1.eu"); got != "TANDEM_WEBHOOK_SECRET_OPS_1_EU" {
		t.Errorf("webhookSecretEnv = %s", got)
	}
}
