// Package sqldb is Tandem's system of record on SQLite (the default, a single
// file) or PostgreSQL, behind the tandem.Store interface. Both dialects share
// one schema, written by hand per dialect in migrations/ and embedded in the
// binary, and the same test suite runs against both.
//
// SQLite runs with one writer connection (SQLite serializes writers anyway;
// one connection avoids SQLITE_BUSY between our own goroutines) and a pool of
// read-only connections that keep answering while a load runs, thanks to WAL.
package sqldb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/tandemhq/tandem"
	_ "modernc.org/sqlite" // the database/sql driver "sqlite"
)

// Store check: *DB is what the rest of Tandem is written against.
var _ tandem.Store = (*DB)(nil)

// DB is a Tandem store. It is safe for concurrent use; loads are serialized
// (one Loader at a time).
type DB struct {
	dialect dialect
	cat     *tandem.Catalog
	tables  map[string]*table
	// reader serves every query; writer runs migrations and loads. They are
	// the same pool on PostgreSQL, two pools on SQLite.
	reader, writer *sql.DB
	// loadSlot holds a token while a Loader is open, so Begin waits for the
	// previous load instead of interleaving with it.
	loadSlot chan struct{}
	// where names the store in errors, with any password redacted.
	where string
	// sqliteURI is the SQLite file URI with the common pragmas.
	sqliteURI string
	// hot holds the statements every request runs (credential lookups, the
	// data version), prepared once: parsing them on each request cost more
	// than running them.
	hot hotStatements
}

// hotStatements are the prepared per-request queries.
type hotStatements struct {
	token, session, version *sql.Stmt
}

// prepareHot prepares the per-request queries on the reader pool.
func (db *DB) prepareHot(ctx context.Context) error {
	for _, p := range []struct {
		dst **sql.Stmt
		q   string
	}{
		{&db.hot.token, "SELECT " + tokenColumns + ", " + userColumns + " FROM api_tokens AS t JOIN users AS u ON u.id = t.user_id" +
			" WHERE t.hash = ? AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)"},
		{&db.hot.session, "SELECT " + sessionColumns + ", " + userColumns + " FROM sessions AS s JOIN users AS u ON u.id = s.user_id WHERE s.id_hash = ? AND s.expires_at > ?"},
		{&db.hot.version, "SELECT version FROM data_version WHERE id = 1"},
	} {
		st, err := db.reader.PrepareContext(ctx, db.dialect.bind(p.q))
		if err != nil {
			return fmt.Errorf("prepare: %w", err)
		}
		*p.dst = st
	}
	return nil
}

// IsPostgres reports whether dsn names a PostgreSQL server rather than a
// SQLite file.
func IsPostgres(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://")
}

// Open opens the store at dsn (a postgres:// URL or a SQLite file path,
// created when missing) and applies pending migrations, so a store that Open
// returns always has the current schema.
func Open(ctx context.Context, dsn string, cat *tandem.Catalog) (*DB, error) {
	if cat == nil {
		return nil, errors.New("sqldb: open: nil catalog")
	}
	db := &DB{cat: cat, tables: buildTables(cat), loadSlot: make(chan struct{}, 1)}
	var err error
	if IsPostgres(dsn) {
		db.dialect = dialectPostgres
		db.where = redactDSN(dsn)
		err = db.openPostgres(ctx, dsn)
	} else {
		db.dialect = dialectSQLite
		db.where = dsn
		err = db.openSQLite(ctx, dsn)
	}
	if err == nil {
		err = db.migrate(ctx)
	}
	if err == nil {
		err = db.prepareHot(ctx)
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", db.where, err)
	}
	return db, nil
}

// openSQLite opens the writer and reader pools on the file at path.
func (db *DB) openSQLite(ctx context.Context, path string) error {
	if path == "" {
		return tandem.Errorf(tandem.EINVALID, "the store path is empty")
	}
	// A file: URI with the path escaped, so names with '?' or '%' stay names.
	// Pragmas go in the DSN so that every connection the pools open gets
	// them, not just the first.
	u := "file:" + (&url.URL{Path: path}).EscapedPath() + "?" +
		"_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(ON)&_pragma=synchronous(NORMAL)"
	db.sqliteURI = u
	var err error
	// The writer takes the write lock at BEGIN (IMMEDIATE), so a load never
	// fails halfway with SQLITE_BUSY upgrading a read lock. Its page cache is
	// large because a bulk load touches every index page; pages are only
	// allocated as used.
	db.writer, err = sql.Open("sqlite", u+"&_txlock=immediate&_pragma=cache_size(-262144)&_pragma=temp_store(MEMORY)")
	if err != nil {
		return err
	}
	db.writer.SetMaxOpenConns(1)
	// Create the file and switch it to WAL before readers connect.
	if err := db.writer.PingContext(ctx); err != nil {
		return err
	}
	db.reader, err = sql.Open("sqlite", u+"&_pragma=query_only(1)")
	if err != nil {
		return err
	}
	n := max(4, runtime.NumCPU())
	db.reader.SetMaxOpenConns(n)
	db.reader.SetMaxIdleConns(n)
	return db.reader.PingContext(ctx)
}

// openPostgres opens one pool for reads and loads: PostgreSQL has no
// single-writer limit to work around.
func (db *DB) openPostgres(ctx context.Context, dsn string) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's message may quote the DSN; keep only that it did not parse.
		return tandem.Errorf(tandem.EINVALID, "not a valid PostgreSQL URL")
	}
	db.reader = stdlib.OpenDB(*cfg)
	db.reader.SetMaxOpenConns(max(8, 2*runtime.NumCPU()))
	db.reader.SetMaxIdleConns(max(8, 2*runtime.NumCPU()))
	db.reader.SetConnMaxIdleTime(5 * time.Minute)
	db.writer = db.reader
	return db.reader.PingContext(ctx)
}

// redactDSN hides the password of a PostgreSQL URL, whether in the user
// info or in a password query parameter.
func redactDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	// Any parameter that carries a password (password, sslpassword, ...)
	// is hidden, not only the one named "password".
	q := u.Query()
	hidden := false
	for k := range q {
		if strings.Contains(strings.ToLower(k), "password") {
			q.Set(k, "xxxxx")
			hidden = true
		}
	}
	if hidden {
		u.RawQuery = q.Encode()
	}
	return u.Redacted()
}

// Dialect names the backend: "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.dialect.String() }

// Close closes the connection pools. Close after a failed Open is safe.
func (db *DB) Close() error {
	var errs []error
	for _, st := range []*sql.Stmt{db.hot.token, db.hot.session, db.hot.version} {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	if db.writer != nil && db.writer != db.reader {
		errs = append(errs, db.writer.Close())
	}
	if db.reader != nil {
		errs = append(errs, db.reader.Close())
	}
	return errors.Join(errs...)
}

// String names the store (password redacted), for logs.
func (db *DB) String() string { return db.dialect.String() + " store " + db.where }
