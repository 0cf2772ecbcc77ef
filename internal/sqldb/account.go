package sqldb

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tandemhq/tandem"
	"modernc.org/sqlite"
)

// This file is the tandem.AccountStore of a DB: users, sessions, API
// tokens, the append-only audit log, and the data version loads bump.
//
// Writes run in a transaction on the writer pool; on SQLite that is the
// single writer connection a Loader holds for its whole load, so an account
// write made while another request imports waits for that load to commit or
// roll back (database/sql queues it for the connection; the context bounds
// the wait). It never deadlocks, unless the goroutine holding the Loader
// itself makes the write: code that loads records its audit entry with
// Loader.Audit, which writes it in the load's own transaction.

// Page sizes of Audit: the default, and the most one page may hold.
const (
	defaultAuditLimit = 100
	maxAuditLimit     = 10000
)

// accountTimeLayout is how SQLite stores account and audit times: RFC 3339
// in UTC with six fractional digits always, so that text order is time
// order (see migrations/sqlite/0002_accounts.sql).
const accountTimeLayout = "2006-01-02T15:04:05.000000Z"

// bind rewrites the '?' placeholders of q as the dialect spells them, so
// each account query is written once. The queries of this file have no '?'
// anywhere else.
func (d dialect) bind(q string) string {
	if d != dialectPostgres {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString(d.param(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// timeArg converts a time to what the dialect stores: NULL for the zero
// time, microseconds (PostgreSQL's precision) in UTC otherwise.
func (d dialect) timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	t = t.UTC().Truncate(time.Microsecond)
	if d == dialectPostgres {
		return t
	}
	return t.Format(accountTimeLayout)
}

// boolArg converts a bool to what the dialect stores.
func (d dialect) boolArg(b bool) any {
	if d == dialectPostgres {
		return b
	}
	if b {
		return int64(1)
	}
	return int64(0)
}

// timeScan reads a stored time (timestamptz, or text on SQLite) into t;
// NULL is the zero time.
type timeScan struct{ t *time.Time }

// Scan implements sql.Scanner.
func (s timeScan) Scan(src any) error {
	switch x := src.(type) {
	case nil:
		*s.t = time.Time{}
	case time.Time:
		*s.t = x.UTC()
	case string:
		t, err := parseStoredDate(x)
		if err != nil {
			return err
		}
		*s.t = t
	case []byte:
		return s.Scan(string(x))
	default:
		return fmt.Errorf("stored %T is not a time", src)
	}
	return nil
}

// userColumns are the columns scanUser reads, of the table aliased u.
const userColumns = "u.id, u.email, u.name, u.role, u.disabled, u.password_hash, u.created_at, u.updated_at, u.last_sign_in"

// userDest returns the scan destinations of userColumns into u.
func userDest(u *tandem.User) []any {
	return []any{&u.ID, &u.Email, &u.Name, (*string)(&u.Role), &u.Disabled, &u.PasswordHash,
		timeScan{&u.CreatedAt}, timeScan{&u.UpdatedAt}, timeScan{&u.LastSignIn}}
}

// sessionColumns and tokenColumns are the same for sessions (s) and tokens (t).
const (
	sessionColumns = "s.id_hash, s.user_id, s.csrf, s.created_at, s.expires_at"
	tokenColumns   = "t.id, t.user_id, t.name, t.prefix, t.hash, t.created_at, t.expires_at, t.revoked_at"
)

func sessionDest(s *tandem.Session) []any {
	return []any{&s.IDHash, &s.UserID, &s.CSRF, timeScan{&s.CreatedAt}, timeScan{&s.ExpiresAt}}
}

func tokenDest(t *tandem.APIToken) []any {
	return []any{&t.ID, &t.UserID, &t.Name, &t.Prefix, &t.Hash, timeScan{&t.CreatedAt}, timeScan{&t.ExpiresAt}, timeScan{&t.RevokedAt}}
}

// normEmail is an e-mail address as the store keeps and compares it.
func normEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// inWriteTx runs fn in a transaction on the writer and commits it.
func (db *DB) inWriteTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// violation classifies a constraint error of either database: "unique"
// (with the text naming the constraint or column) or "foreign key"; "" for
// other errors.
func violation(err error) (kind, detail string) {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case 2067, 1555: // SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY
			return "unique", se.Error()
		case 787: // SQLITE_CONSTRAINT_FOREIGNKEY
			return "foreign key", se.Error()
		}
		return "", ""
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			return "unique", pe.ConstraintName
		case "23503":
			return "foreign key", pe.ConstraintName
		}
	}
	return "", ""
}

// rowsAffected returns how many rows a statement changed.
func rowsAffected(res sql.Result) (int64, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("rows affected: %w", err)
	}
	return n, nil
}

// UserCount returns the number of users.
func (db *DB) UserCount(ctx context.Context) (int, error) {
	var n int
	if err := db.reader.QueryRowContext(ctx, "SELECT count(*) FROM users").Scan(&n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// Users lists every user by e-mail.
func (db *DB) Users(ctx context.Context) ([]tandem.User, error) {
	return queryAll(ctx, db.reader, "list users", "SELECT "+userColumns+" FROM users AS u ORDER BY u.email", nil, userDest)
}

// updateOne runs a statement that must change a row, returning notFound
// when it changed none.
func updateOne(ctx context.Context, tx *sql.Tx, notFound error, query string, args ...any) error {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	n, err := rowsAffected(res)
	if err != nil {
		return err
	}
	if n == 0 {
		return notFound
	}
	return nil
}

// queryAll runs a query and scans every row into a T through dest, which
// returns the scan destinations of a T's fields.
func queryAll[T any](ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, what, query string, args []any, dest func(*T) []any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(dest(&v)...); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return out, nil
}

// User returns the user with the id, or ENOTFOUND.
func (db *DB) User(ctx context.Context, id string) (tandem.User, error) {
	var u tandem.User
	err := db.reader.QueryRowContext(ctx, db.dialect.bind("SELECT "+userColumns+" FROM users AS u WHERE u.id = ?"), id).Scan(userDest(&u)...)
	if errors.Is(err, sql.ErrNoRows) {
		return tandem.User{}, tandem.Errorf(tandem.ENOTFOUND, "no user with id %q", id)
	}
	if err != nil {
		return tandem.User{}, fmt.Errorf("read user %q: %w", id, err)
	}
	return u, nil
}

// UserByEmail returns the user with the e-mail, in any case, or ENOTFOUND.
func (db *DB) UserByEmail(ctx context.Context, email string) (tandem.User, error) {
	email = normEmail(email)
	var u tandem.User
	err := db.reader.QueryRowContext(ctx, db.dialect.bind("SELECT "+userColumns+" FROM users AS u WHERE u.email = ?"), email).Scan(userDest(&u)...)
	if errors.Is(err, sql.ErrNoRows) {
		return tandem.User{}, tandem.Errorf(tandem.ENOTFOUND, "no user with e-mail %q", email)
	}
	if err != nil {
		return tandem.User{}, fmt.Errorf("read user %q: %w", email, err)
	}
	return u, nil
}

// CreateUser stores a new user (e-mail lower-cased) and its audit entry.
// A zero CreatedAt is now, a zero UpdatedAt is CreatedAt. With onlyIfNone
// the insert itself checks that the table is empty, and on PostgreSQL it
// first locks the table against other writers, since under READ COMMITTED
// two set-ups could otherwise both see no users and both insert.
func (db *DB) CreateUser(ctx context.Context, u tandem.User, onlyIfNone bool, a tandem.AuditEntry) error {
	u.Email = normEmail(u.Email)
	if u.ID == "" || u.Email == "" {
		return tandem.Errorf(tandem.EINVALID, "create user: a user needs an id and an e-mail")
	}
	if u.CreatedAt.IsZero() {
		u.CreatedAt = time.Now()
	}
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = u.CreatedAt
	}
	d := db.dialect
	err := db.inWriteTx(ctx, func(tx *sql.Tx) error {
		if onlyIfNone && d == dialectPostgres {
			if _, err := tx.ExecContext(ctx, "LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE"); err != nil {
				return err
			}
		}
		q := "INSERT INTO users (id, email, name, role, disabled, password_hash, created_at, updated_at, last_sign_in) " +
			"SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?"
		if onlyIfNone {
			q += " WHERE NOT EXISTS (SELECT 1 FROM users)"
		}
		res, err := tx.ExecContext(ctx, d.bind(q), u.ID, u.Email, u.Name, string(u.Role), d.boolArg(u.Disabled), u.PasswordHash,
			d.timeArg(u.CreatedAt), d.timeArg(u.UpdatedAt), d.timeArg(u.LastSignIn))
		if err != nil {
			if kind, detail := violation(err); kind == "unique" {
				if strings.Contains(detail, "email") {
					return tandem.Errorf(tandem.ECONFLICT, "a user with e-mail %s exists", u.Email)
				}
				return tandem.Errorf(tandem.ECONFLICT, "a user with id %q exists", u.ID)
			}
			return err
		}
		n, err := rowsAffected(res)
		if err != nil {
			return err
		}
		if n == 0 {
			return tandem.Errorf(tandem.ECONFLICT, "users exist already: only the first user is created this way")
		}
		return db.insertAudit(ctx, tx, a)
	})
	if err != nil {
		return fmt.Errorf("create user %s: %w", u.Email, err)
	}
	return nil
}

// UpdateUser replaces the stored user with u's id: e-mail (lower-cased),
// name, role, disabled, password hash and UpdatedAt (now when zero). The
// creation time never changes, and the last sign-in is set only by a sign-in (CreateSession), so
// that an update made from a copy read earlier cannot roll it back.
func (db *DB) UpdateUser(ctx context.Context, u tandem.User, a tandem.AuditEntry) error {
	u.Email = normEmail(u.Email)
	if u.Email == "" {
		return tandem.Errorf(tandem.EINVALID, "update user %q: the e-mail is empty", u.ID)
	}
	if u.UpdatedAt.IsZero() {
		u.UpdatedAt = time.Now()
	}
	d := db.dialect
	err := db.inWriteTx(ctx, func(tx *sql.Tx) error {
		if d == dialectPostgres {
			if _, err := tx.ExecContext(ctx, "LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE"); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, d.bind("UPDATE users SET email = ?, name = ?, role = ?, disabled = ?, password_hash = ?, updated_at = ? WHERE id = ?"),
			u.Email, u.Name, string(u.Role), d.boolArg(u.Disabled), u.PasswordHash, d.timeArg(u.UpdatedAt), u.ID)
		if err != nil {
			if kind, _ := violation(err); kind == "unique" {
				return tandem.Errorf(tandem.ECONFLICT, "a user with e-mail %s exists", u.Email)
			}
			return err
		}
		n, err := rowsAffected(res)
		if err != nil {
			return err
		}
		if n == 0 {
			return tandem.Errorf(tandem.ENOTFOUND, "no user with id %q", u.ID)
		}
		// The store must keep an enabled admin. Counting after the update,
		// inside its transaction, makes two concurrent demotions unable to
		// both pass: SQLite has one writer, and PostgreSQL's table lock
		// (taken before the update) orders them.
		var admins int
		if err := tx.QueryRowContext(ctx, d.bind("SELECT count(*) FROM users WHERE role = ? AND disabled = ?"), string(tandem.RoleAdmin), d.boolArg(false)).Scan(&admins); err != nil {
			return err
		}
		if admins == 0 {
			return tandem.Errorf(tandem.ECONFLICT, "%s is the last enabled admin; make another user admin first", u.Email)
		}
		return db.insertAudit(ctx, tx, a)
	})
	if err != nil {
		return fmt.Errorf("update user %q: %w", u.ID, err)
	}
	return nil
}

// CreateSession stores a session; a zero CreatedAt is now. Its user must
// exist (ENOTFOUND) and it must expire (EINVALID).
func (db *DB) CreateSession(ctx context.Context, s tandem.Session, signIn *tandem.AuditEntry) error {
	if s.IDHash == "" || s.ExpiresAt.IsZero() {
		return tandem.Errorf(tandem.EINVALID, "create session: a session needs an id hash and an expiry")
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = time.Now()
	}
	d := db.dialect
	err := db.inWriteTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, d.bind("INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at) VALUES (?, ?, ?, ?, ?)"),
			s.IDHash, s.UserID, s.CSRF, d.timeArg(s.CreatedAt), d.timeArg(s.ExpiresAt))
		switch kind, _ := violation(err); kind {
		case "unique":
			return tandem.Errorf(tandem.ECONFLICT, "the session exists already")
		case "foreign key":
			return tandem.Errorf(tandem.ENOTFOUND, "no user with id %q", s.UserID)
		}
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, d.bind("DELETE FROM sessions WHERE expires_at <= ?"), d.timeArg(s.CreatedAt)); err != nil {
			return err
		}
		if signIn == nil {
			return nil
		}
		if err := updateOne(ctx, tx, tandem.Errorf(tandem.ENOTFOUND, "no user with id %q", s.UserID),
			d.bind("UPDATE users SET last_sign_in = ? WHERE id = ?"), d.timeArg(s.CreatedAt), s.UserID); err != nil {
			return err
		}
		return db.insertAudit(ctx, tx, *signIn)
	})
	if err != nil {
		// The id hash stays out of the message: it names a live session.
		return fmt.Errorf("create session for user %q: %w", s.UserID, err)
	}
	return nil
}

// Session returns the session with the hash, unexpired at now, and its
// user, or ENOTFOUND.
func (db *DB) Session(ctx context.Context, idHash string, now time.Time) (tandem.Session, tandem.User, error) {
	var s tandem.Session
	var u tandem.User
	err := db.hot.session.QueryRowContext(ctx, idHash, db.dialect.timeArg(now)).Scan(append(sessionDest(&s), userDest(&u)...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return tandem.Session{}, tandem.User{}, tandem.Errorf(tandem.ENOTFOUND, "no such session, or it expired")
	}
	if err != nil {
		return tandem.Session{}, tandem.User{}, fmt.Errorf("read session: %w", err)
	}
	return s, u, nil
}

// DeleteSession removes one session; a session already gone is no error.
func (db *DB) DeleteSession(ctx context.Context, idHash string) error {
	err := db.inWriteTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.dialect.bind("DELETE FROM sessions WHERE id_hash = ?"), idHash)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions removes every session of the user, and the sessions
// of everyone that expired by now, which is when the table is swept.
func (db *DB) DeleteUserSessions(ctx context.Context, userID string, now time.Time) error {
	err := db.inWriteTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.dialect.bind("DELETE FROM sessions WHERE user_id = ? OR expires_at <= ?"), userID, db.dialect.timeArg(now))
		return err
	})
	if err != nil {
		return fmt.Errorf("delete sessions of user %q: %w", userID, err)
	}
	return nil
}

// CreateToken stores a token (a zero CreatedAt is now) and its audit entry.
// Its user must exist (ENOTFOUND); a repeated id or hash is ECONFLICT.
func (db *DB) CreateToken(ctx context.Context, t tandem.APIToken, a tandem.AuditEntry) error {
	if t.ID == "" || t.Hash == "" {
		return tandem.Errorf(tandem.EINVALID, "create token: a token needs an id and a hash")
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = time.Now()
	}
	d := db.dialect
	err := db.inWriteTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, d.bind("INSERT INTO api_tokens (id, user_id, name, prefix, hash, created_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
			t.ID, t.UserID, t.Name, t.Prefix, t.Hash, d.timeArg(t.CreatedAt), d.timeArg(t.ExpiresAt), d.timeArg(t.RevokedAt))
		switch kind, _ := violation(err); kind {
		case "unique":
			return tandem.Errorf(tandem.ECONFLICT, "an API token with id %q or the same secret exists", t.ID)
		case "foreign key":
			return tandem.Errorf(tandem.ENOTFOUND, "no user with id %q", t.UserID)
		}
		if err != nil {
			return err
		}
		return db.insertAudit(ctx, tx, a)
	})
	if err != nil {
		return fmt.Errorf("create token %q: %w", t.ID, err)
	}
	return nil
}

// Tokens lists the tokens of a user, or of everyone when userID is "",
// newest first.
func (db *DB) Tokens(ctx context.Context, userID string) ([]tandem.APIToken, error) {
	q := "SELECT " + tokenColumns + " FROM api_tokens AS t"
	var args []any
	if userID != "" {
		q += " WHERE t.user_id = ?"
		args = append(args, userID)
	}
	// Creation order breaks ties of created_at, which callers may round
	// to the second.
	if db.dialect == dialectPostgres {
		q += " ORDER BY t.created_at DESC, t.seq DESC"
	} else {
		q += " ORDER BY t.created_at DESC, t.rowid DESC"
	}
	return queryAll(ctx, db.reader, "list tokens", db.dialect.bind(q), args, tokenDest)
}

// TokenByHash returns the token with the hash that is neither revoked nor
// expired at now, and its user, or ENOTFOUND.
func (db *DB) TokenByHash(ctx context.Context, hash string, now time.Time) (tandem.APIToken, tandem.User, error) {
	var t tandem.APIToken
	var u tandem.User
	err := db.hot.token.QueryRowContext(ctx, hash, db.dialect.timeArg(now)).Scan(append(tokenDest(&t), userDest(&u)...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return tandem.APIToken{}, tandem.User{}, tandem.Errorf(tandem.ENOTFOUND, "no such API token, or it was revoked or expired")
	}
	if err != nil {
		return tandem.APIToken{}, tandem.User{}, fmt.Errorf("read token: %w", err)
	}
	return t, u, nil
}

// RevokeToken marks a token revoked at at, and records the audit entry. A
// token revoked before keeps its first revocation time.
func (db *DB) RevokeToken(ctx context.Context, id string, at time.Time, a tandem.AuditEntry) error {
	if at.IsZero() {
		at = time.Now()
	}
	d := db.dialect
	err := db.inWriteTx(ctx, func(tx *sql.Tx) error {
		if err := updateOne(ctx, tx, tandem.Errorf(tandem.ENOTFOUND, "no API token %q", id),
			d.bind("UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?"), d.timeArg(at), id); err != nil {
			return err
		}
		return db.insertAudit(ctx, tx, a)
	})
	if err != nil {
		return fmt.Errorf("revoke token %q: %w", id, err)
	}
	return nil
}

// AppendAudit records an entry on its own.
func (db *DB) AppendAudit(ctx context.Context, a tandem.AuditEntry) error {
	err := db.inWriteTx(ctx, func(tx *sql.Tx) error { return db.insertAudit(ctx, tx, a) })
	if err != nil {
		return fmt.Errorf("append audit entry %s: %w", a.Action, err)
	}
	return nil
}

// insertAudit writes an audit entry through tx. An entry must name its
// action (EINVALID: an entry nobody can search for is a bug); a zero At is
// now; empty Before or After are JSON null, and anything else must be JSON.
func (db *DB) insertAudit(ctx context.Context, tx *sql.Tx, a tandem.AuditEntry) error {
	if a.Action == "" {
		return tandem.Errorf(tandem.EINVALID, "audit entry by %q on %q has no action", a.Actor, a.Target)
	}
	if a.At.IsZero() {
		a.At = time.Now()
	}
	before, after := string(a.Before), string(a.After)
	for _, s := range []*string{&before, &after} {
		if *s == "" {
			*s = "null"
		}
		if !json.Valid([]byte(*s)) {
			return tandem.Errorf(tandem.EINVALID, "audit entry %s: before and after must be JSON", a.Action)
		}
	}
	_, err := tx.ExecContext(ctx, db.dialect.bind("INSERT INTO audit_log (at, actor, action, target, before_json, after_json, remote) VALUES (?, ?, ?, ?, ?, ?, ?)"),
		db.dialect.timeArg(a.At), a.Actor, a.Action, a.Target, before, after, a.Remote)
	if err != nil {
		return fmt.Errorf("write audit entry %s: %w", a.Action, err)
	}
	return nil
}

// Audit returns the entries matching q, newest (highest id) first, and how
// many match in all. Actor and Target match exactly, Action as a prefix
// (case-sensitive on both dialects), From and To bound At inclusively.
func (db *DB) Audit(ctx context.Context, q tandem.AuditQuery) ([]tandem.AuditEntry, int, error) {
	if q.Limit < 0 || q.Offset < 0 {
		return nil, 0, tandem.Errorf(tandem.EINVALID, "audit: limit and offset cannot be negative")
	}
	limit := q.Limit
	if limit == 0 {
		limit = defaultAuditLimit
	}
	limit = min(limit, maxAuditLimit)
	d := db.dialect
	var conds []string
	var args []any
	if q.Actor != "" {
		conds = append(conds, "actor = ?")
		args = append(args, q.Actor)
	}
	if q.Action != "" {
		// substr, not LIKE: SQLite's LIKE ignores case and both need
		// escaping; substr counts characters alike on both.
		conds = append(conds, "substr(action, 1, ?) = ?")
		args = append(args, int64(utf8.RuneCountInString(q.Action)), q.Action)
	}
	if q.Target != "" {
		conds = append(conds, "target = ?")
		args = append(args, q.Target)
	}
	if !q.From.IsZero() {
		conds = append(conds, "at >= ?")
		args = append(args, d.timeArg(q.From))
	}
	if !q.To.IsZero() {
		conds = append(conds, "at <= ?")
		args = append(args, d.timeArg(q.To))
	}
	where := ""
	if len(conds) > 0 {
		where = " WHERE " + strings.Join(conds, " AND ")
	}

	tx, err := db.readTx(ctx)
	if err != nil {
		return nil, 0, fmt.Errorf("audit: %w", err)
	}
	defer tx.Rollback()
	var total int
	if err := tx.QueryRowContext(ctx, d.bind("SELECT count(*) FROM audit_log"+where), args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("audit: count: %w", err)
	}
	if total <= q.Offset {
		return []tandem.AuditEntry{}, total, nil
	}
	rows, err := tx.QueryContext(ctx, d.bind("SELECT id, at, actor, action, target, before_json, after_json, remote FROM audit_log"+
		where+" ORDER BY id DESC LIMIT ? OFFSET ?"), append(args, int64(limit), int64(q.Offset))...)
	if err != nil {
		return nil, 0, fmt.Errorf("audit: %w", err)
	}
	defer rows.Close()
	out := []tandem.AuditEntry{}
	for rows.Next() {
		var a tandem.AuditEntry
		var before, after string
		if err := rows.Scan(&a.ID, timeScan{&a.At}, &a.Actor, &a.Action, &a.Target, &before, &after, &a.Remote); err != nil {
			return nil, 0, fmt.Errorf("audit: %w", err)
		}
		a.Before, a.After = json.RawMessage(before), json.RawMessage(after)
		out = append(out, a)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, fmt.Errorf("audit: %w", err)
	}
	return out, total, nil
}

// DataVersion returns the number of loads ever committed to the store.
func (db *DB) DataVersion(ctx context.Context) (int64, error) {
	var v int64
	if err := db.hot.version.QueryRowContext(ctx).Scan(&v); err != nil {
		return 0, fmt.Errorf("read data version: %w", err)
	}
	return v, nil
}

// Audit records an entry to write at Commit, in the load's transaction;
// Rollback discards it.
func (l *loader) Audit(a tandem.AuditEntry) {
	if l.done {
		return
	}
	l.audits = append(l.audits, a)
}

// finishLoad is the last step of a load's transaction: it writes the
// load's audit entries and bumps the data version, so that both land
// exactly when the load's rows do.
func (db *DB) finishLoad(ctx context.Context, tx *sql.Tx, audits []tandem.AuditEntry) error {
	for _, a := range audits {
		if err := db.insertAudit(ctx, tx, a); err != nil {
			return err
		}
	}
	if _, err := tx.ExecContext(ctx, "UPDATE data_version SET version = version + 1 WHERE id = 1"); err != nil {
		return fmt.Errorf("bump data version: %w", err)
	}
	return nil
}
