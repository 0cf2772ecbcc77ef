package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"github.com/tandemhq/tandem"
)

// auditCommand is "tandem audit": the audit log, newest first.
func (a *app) auditCommand() *cobra.Command {
	var q tandem.AuditQuery
	var from, to string
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Show the audit log, newest first: who changed what, when",
		Long: `Show the audit log: every change to users, tokens, definitions and data
(imports), and sign-ins, newest first. Each line shows when, who (an e-mail, or
cli:<user> for the command line), the action, its target, and what changed.

--from and --to take a day (2024-03-01, the whole day) or an RFC 3339 time,
in UTC; both ends are included.`,
		Example: `  tandem audit --action user.
  tandem audit --actor ann@example.com --from 2024-03-01 --to 2024-03-31
  tandem audit --target entity:deals --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if q.From, err = parseAuditTime("--from", from, false); err != nil {
				return err
			}
			if q.To, err = parseAuditTime("--to", to, true); err != nil {
				return err
			}
			if q.Limit <= 0 {
				return tandem.Errorf(tandem.EINVALID, "--limit must be positive")
			}
			ctx := cmd.Context()
			svc, db, err := a.openService(ctx)
			if err != nil {
				return err
			}
			defer db.Close()
			entries, total, err := svc.Audit(ctx, q)
			if err != nil {
				return err
			}
			if a.jsonOut {
				if entries == nil {
					entries = []tandem.AuditEntry{}
				}
				return a.printJSON(map[string]any{"total": total, "entries": entries})
			}
			return printAudit(a.stdout, entries, total, q.Offset)
		},
	}
	f := cmd.Flags()
	f.StringVar(&q.Actor, "actor", "", "only entries by this actor (exact)")
	f.StringVar(&q.Action, "action", "", "only actions starting with this (user. matches user.create and user.update)")
	f.StringVar(&q.Target, "target", "", "only entries on this target (exact), such as user:ann@example.com")
	f.StringVar(&from, "from", "", "only entries at or after this day or time")
	f.StringVar(&to, "to", "", "only entries at or before this day (all of it) or time")
	f.IntVar(&q.Limit, "limit", 100, "at most this many entries (up to 10000)")
	f.IntVar(&q.Offset, "offset", 0, "skip this many of the newest entries")
	return cmd
}

// parseAuditTime reads --from or --to: a day, or an RFC 3339 time. A day
// as the end of a range stands for its last microsecond (the store's
// precision), so that --to includes the whole day.
func parseAuditTime(flag, s string, end bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	if d, err := time.Parse(time.DateOnly, s); err == nil {
		if end {
			return d.AddDate(0, 0, 1).Add(-time.Microsecond), nil
		}
		return d, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, tandem.Errorf(tandem.EINVALID, "%s %q: use a day (2024-03-01) or a time (2024-03-01T09:30:00Z)", flag, s)
	}
	return t.UTC(), nil
}

// printAudit writes entries as aligned columns, the change last and not
// cut short, since it is what a reader of the log came for.
func printAudit(w io.Writer, entries []tandem.AuditEntry, total, offset int) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	flat := strings.NewReplacer("\t", " ", "\n", " ", "\r", " ")
	fmt.Fprintln(tw, "TIME\tACTOR\tACTION\tTARGET\tCHANGE")
	for _, e := range entries {
		cells := []string{e.At.UTC().Format(cliTime), e.Actor, e.Action, e.Target, auditChange(e.Before, e.After)}
		for i, c := range cells {
			cells[i] = flat.Replace(c)
		}
		fmt.Fprintln(tw, strings.Join(cells, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	switch {
	case len(entries) == 0 && total == 0:
		_, err := fmt.Fprintln(w, "no entries")
		return err
	case len(entries) < total:
		_, err := fmt.Fprintf(w, "entries %d-%d of %d (use --limit and --offset for more)\n", offset+1, offset+len(entries), total)
		return err
	}
	return nil
}

// auditChange renders before and after compactly: for two objects only
// the keys that differ ("role: sales→admin"), otherwise "before→after" in
// compact JSON, leaving out a null side.
func auditChange(before, after json.RawMessage) string {
	bs, as := compactJSON(before), compactJSON(after)
	if isNull(bs) || isNull(as) || bs[0] != '{' || as[0] != '{' {
		switch {
		case isNull(bs) && isNull(as):
			return ""
		case isNull(bs):
			return "→" + as
		case isNull(as):
			return bs + "→"
		}
		return bs + "→" + as
	}
	var parts []string
	for _, c := range tandem.AuditDiff(before, after) {
		if c.Changed {
			parts = append(parts, c.Key+": "+orNone(c.Before)+"→"+orNone(c.After))
		}
	}
	if len(parts) == 0 {
		return "(no change)"
	}
	return strings.Join(parts, ", ")
}

// compactJSON removes insignificant space from JSON (raw text when it is
// not JSON).
func compactJSON(raw json.RawMessage) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return string(raw)
	}
	return buf.String()
}

func isNull(s string) bool { return s == "" || s == "null" }

func orNone(s string) string {
	if s == "" {
		return "∅"
	}
	return s
}
