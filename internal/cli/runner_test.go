package cli_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// cliRun runs tandem commands on one store for a test, failing the test
// with the command line and its output when a command does not do what
// the test expects.
type cliRun struct {
	t   *testing.T
	dsn string
}

// run runs tandem with args on the store; it returns the exit status,
// standard output and standard error.
func (c cliRun) run(args ...string) (int, string, string) {
	c.t.Helper()
	return runStdin(c.t, "", append([]string{"--db", c.dsn}, args...)...)
}

// ok runs a command that must succeed and returns its output.
func (c cliRun) ok(args ...string) string {
	c.t.Helper()
	code, out, errOut := c.run(args...)
	if code != 0 {
		c.t.Fatalf("tandem %s: exit %d\n%s", strings.Join(args, " "), code, errOut)
	}
	return out
}

// json runs a command with --json and decodes its output into v, refusing
// fields v does not have: a renamed field breaks scripts.
func (c cliRun) json(v any, args ...string) {
	c.t.Helper()
	out := c.ok(append(args, "--json")...)
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		c.t.Fatalf("tandem %s --json: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// fails runs a command that must exit with wantCode and say wantErr on
// standard error, which it returns.
func (c cliRun) fails(wantCode int, wantErr string, args ...string) string {
	c.t.Helper()
	code, out, errOut := c.run(args...)
	if code != wantCode || !strings.Contains(errOut, wantErr) {
		c.t.Errorf("tandem %s: exit %d, stderr %q; want exit %d and %q (stdout %q)", strings.Join(args, " "), code, errOut, wantCode, wantErr, out)
	}
	return errOut
}
