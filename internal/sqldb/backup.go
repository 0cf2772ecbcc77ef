package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/tandemhq/tandem"
)

// Backup writes a consistent copy of the store to path, a new SQLite file,
// while other connections keep reading and writing. It refuses to replace
// an existing file.
func (db *DB) Backup(ctx context.Context, path string) error {
	if path == "" {
		return tandem.Errorf(tandem.EINVALID, "backup: the path is empty")
	}
	if _, err := os.Lstat(path); err == nil {
		return tandem.Errorf(tandem.EINVALID, "backup: %s already exists; choose a new file", path)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("backup to %s: %w", path, err)
	}
	var err error
	if db.dialect == dialectSQLite {
		err = db.vacuumInto(ctx, path)
	} else {
		err = db.copyToSQLite(ctx, path)
	}
	if err != nil {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			os.Remove(path + suffix)
		}
		return fmt.Errorf("backup %s to %s: %w", db.where, path, err)
	}
	return nil
}

// vacuumInto copies a SQLite store with VACUUM INTO, which reads one
// snapshot and writes a compact copy while readers and the writer carry on.
// It needs a connection that may write (to the new file), which the
// query_only readers are not and the writer, busy with loads, should not
// be: it gets one of its own.
func (db *DB) vacuumInto(ctx context.Context, path string) error {
	conn, err := sql.Open("sqlite", db.sqliteURI)
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, "VACUUM INTO ?", path)
	return err
}

// copyToSQLite copies every entity into a new SQLite store at path,
// reading from one REPEATABLE READ snapshot so the copy is consistent.
func (db *DB) copyToSQLite(ctx context.Context, path string) error {
	tx, err := db.readTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	dst, err := Open(ctx, path, db.cat)
	if err != nil {
		return err
	}
	defer dst.Close()
	load, err := dst.Begin(ctx)
	if err != nil {
		return err
	}
	defer load.Rollback()
	for _, e := range db.cat.Entities() {
		err := db.scanTable(ctx, tx, db.tables[e.Name], func(r tandem.Record) error {
			return load.Put(ctx, e, r)
		})
		if err != nil {
			return err
		}
	}
	if _, err := load.Commit(ctx); err != nil {
		return err
	}
	if err := db.copyAccounts(ctx, tx, dst); err != nil {
		return fmt.Errorf("copy users, tokens and audit log: %w", err)
	}
	if err := db.copyDesk(ctx, tx, dst); err != nil {
		return fmt.Errorf("copy deal desk documents, approvals and outbox: %w", err)
	}
	if err := db.copyBlobs(ctx, tx, dst); err != nil {
		return fmt.Errorf("copy stored files: %w", err)
	}
	return dst.Close()
}

// copyAccounts copies users, API tokens and the audit log (oldest entry
// first, so the order survives) from the snapshot tx into dst. Sessions
// are left behind: a restored store starts signed out.
func (db *DB) copyAccounts(ctx context.Context, tx *sql.Tx, dst *DB) error {
	users, err := queryAll(ctx, tx, "read users", "SELECT "+userColumns+" FROM users AS u ORDER BY u.id", nil, userDest)
	if err != nil {
		return err
	}
	tokens, err := queryAll(ctx, tx, "read tokens", "SELECT "+tokenColumns+" FROM api_tokens AS t ORDER BY t.id", nil, tokenDest)
	if err != nil {
		return err
	}
	type entry struct {
		a             tandem.AuditEntry
		before, after string
	}
	entries, err := queryAll(ctx, tx, "read audit log", "SELECT at, actor, action, target, before_json, after_json, remote FROM audit_log ORDER BY id", nil,
		func(e *entry) []any {
			return []any{timeScan{&e.a.At}, &e.a.Actor, &e.a.Action, &e.a.Target, &e.before, &e.after, &e.a.Remote}
		})
	if err != nil {
		return err
	}
	d := dst.dialect
	return dst.inWriteTx(ctx, func(w *sql.Tx) error {
		for _, u := range users {
			if _, err := w.ExecContext(ctx, d.bind("INSERT INTO users (id, email, name, role, disabled, password_hash, created_at, updated_at, last_sign_in) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
				u.ID, u.Email, u.Name, string(u.Role), d.boolArg(u.Disabled), u.PasswordHash, d.timeArg(u.CreatedAt), d.timeArg(u.UpdatedAt), d.timeArg(u.LastSignIn)); err != nil {
				return err
			}
		}
		for _, t := range tokens {
			if _, err := w.ExecContext(ctx, d.bind("INSERT INTO api_tokens (id, user_id, name, prefix, hash, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
				t.ID, t.UserID, t.Name, t.Prefix, t.Hash, d.timeArg(t.CreatedAt), d.timeArg(t.ExpiresAt), d.timeArg(t.RevokedAt)); err != nil {
				return err
			}
		}
		for _, e := range entries {
			e.a.Before, e.a.After = json.RawMessage(e.before), json.RawMessage(e.after)
			if err := dst.insertAudit(ctx, w, e.a); err != nil {
				return err
			}
		}
		return nil
	})
}

// copyDesk copies the deal desk's documents (every version), approvals and
// outbox from the snapshot tx into dst, the outbox oldest first so that
// its order survives. Rows are copied as they are: the version rule and the
// checks of new rows were applied when they were first written.
func (db *DB) copyDesk(ctx context.Context, tx *sql.Tx, dst *DB) error {
	docs, err := queryAll(ctx, tx, "read desk documents", "SELECT "+docColumns+" FROM desk_docs AS d ORDER BY d.kind, d.id, d.version", nil, docDest)
	if err != nil {
		return err
	}
	approvals, err := queryAll(ctx, tx, "read approvals", "SELECT "+approvalColumns+" FROM desk_approvals AS a ORDER BY a.id", nil, approvalDest)
	if err != nil {
		return err
	}
	outbox, err := queryAll(ctx, tx, "read outbox", "SELECT "+notificationColumns+" FROM desk_outbox AS n ORDER BY "+db.dialect.outboxOrder(false), nil, notificationDest)
	if err != nil {
		return err
	}
	return dst.inWriteTx(ctx, func(w *sql.Tx) error {
		for _, d := range docs {
			if err := dst.writeDoc(ctx, w, d); err != nil {
				return err
			}
		}
		for _, a := range approvals {
			if err := dst.insertApproval(ctx, w, a); err != nil {
				return err
			}
		}
		for _, n := range outbox {
			if err := dst.insertNotification(ctx, w, n); err != nil {
				return err
			}
		}
		return nil
	})
}

// Dump renders every entity and link table as text: one section per table
// in catalog order, one line per row in key order, values tab-separated and
// formatted by tandem.FormatValue, NULL as \N, attrs as JSON with sorted
// keys. Two stores with the same data dump the same bytes whatever their
// dialect, which is what tests compare.
func (db *DB) Dump(ctx context.Context) (string, error) {
	tx, err := db.readTx(ctx)
	if err != nil {
		return "", fmt.Errorf("dump: %w", err)
	}
	defer tx.Rollback()
	var b strings.Builder
	for _, e := range db.cat.Entities() {
		t := db.tables[e.Name]
		header := []string{"id"}
		if t.dup {
			header = append(header, "dup")
		}
		for i, c := range e.Columns[1:] {
			if t.inline(i + 1) {
				header = append(header, c.Name)
			}
		}
		header = append(header, "attrs")
		fmt.Fprintf(&b, "## %s\n%s\n", e.Name, strings.Join(header, "\t"))
		err := db.scanTable(ctx, tx, t, func(r tandem.Record) error {
			b.WriteString(dumpValue(r.Values[0]))
			if t.dup {
				fmt.Fprintf(&b, "\t%d", r.Dup)
			}
			for i := 1; i < len(r.Values); i++ {
				if t.inline(i) {
					b.WriteString("\t" + dumpValue(r.Values[i]))
				}
			}
			attrs := "{}"
			if len(r.Attrs) > 0 {
				j, err := json.Marshal(r.Attrs)
				if err != nil {
					return err
				}
				attrs = string(j)
			}
			b.WriteString("\t" + dumpValue(attrs) + "\n")
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("dump: %w", err)
		}
		for _, i := range t.linkCols {
			l := t.links[i]
			fmt.Fprintf(&b, "## %s\ndeal_id\tposition\t%s\n", l.table, l.value)
			rows, err := tx.QueryContext(ctx, "SELECT deal_id, position, "+quote(l.value)+" FROM "+quote(l.table)+" ORDER BY deal_id, position")
			if err != nil {
				return "", fmt.Errorf("dump %s: %w", l.table, err)
			}
			for rows.Next() {
				var id, v string
				var pos int64
				if err := rows.Scan(&id, &pos, &v); err != nil {
					rows.Close()
					return "", fmt.Errorf("dump %s: %w", l.table, err)
				}
				fmt.Fprintf(&b, "%s\t%d\t%s\n", dumpValue(id), pos, dumpValue(v))
			}
			if err := errors.Join(rows.Err(), rows.Close()); err != nil {
				return "", fmt.Errorf("dump %s: %w", l.table, err)
			}
		}
	}
	return b.String(), nil
}

// dumpValue formats one value for Dump: canonical text with backslash,
// tab and newlines escaped, and \N for NULL, so every row is one line and
// an empty string differs from NULL.
func dumpValue(v any) string {
	if v == nil {
		return `\N`
	}
	s := tandem.FormatValue(v)
	if strings.ContainsAny(s, "\\\t\n\r") {
		s = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`).Replace(s)
	}
	return s
}
