package sqldb

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
)

// migrationFiles holds the schema, per dialect: migrations/<dialect>/
// NNNN_name.sql, applied in version order, each in its own transaction.
// (A package variable because go:embed requires one; it is never written.)
//
//go:embed migrations
var migrationFiles embed.FS

// migrationLock is the PostgreSQL advisory lock key that serializes
// migrations between processes opening the same database at once.
const migrationLock = 7_461_636_100 // "tandem" in spirit; any constant will do

// migration is one embedded schema change.
type migration struct {
	version int
	name    string
	sql     string
}

// migrations lists the dialect's embedded migrations in version order.
func (d dialect) migrations() ([]migration, error) {
	dir := path.Join("migrations", d.String())
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		base, ok := strings.CutSuffix(e.Name(), ".sql")
		num, name, ok2 := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || !ok2 || err != nil || v <= 0 {
			return nil, fmt.Errorf("migration file %s: want NNNN_name.sql", e.Name())
		}
		text, err := fs.ReadFile(migrationFiles, path.Join(dir, e.Name()))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: name, sql: string(text)})
	}
	slices.SortFunc(out, func(a, b migration) int { return a.version - b.version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("two migrations numbered %d", out[i].version)
		}
	}
	return out, nil
}

// schemaMigrations records which migrations a store has, and when they
// were applied.
func (d dialect) schemaMigrationsDDL() string {
	if d == dialectPostgres {
		return `CREATE TABLE IF NOT EXISTS schema_migrations (
	version     integer PRIMARY KEY,
	name        text NOT NULL,
	applied_at  timestamptz NOT NULL
)`
	}
	return `CREATE TABLE IF NOT EXISTS schema_migrations (
	version     INTEGER PRIMARY KEY,
	name        TEXT NOT NULL,
	applied_at  TEXT NOT NULL
) STRICT`
}

// migrate applies the pending migrations. Each runs in its own transaction
// and re-checks that it is still pending once it holds the write lock (the
// SQLite write lock, a PostgreSQL advisory lock), so two processes opening
// a new store at once apply each migration once.
func (db *DB) migrate(ctx context.Context) error {
	ms, err := db.dialect.migrations()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := db.inMigrationTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, db.dialect.schemaMigrationsDDL())
		return err
	}); err != nil {
		return fmt.Errorf("migrate: create schema_migrations: %w", err)
	}
	applied, err := db.applied(ctx, db.writer)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if len(applied) > 0 && len(ms) > 0 {
		newest := slices.Max(slices.Collect(maps.Keys(applied)))
		if newest > ms[len(ms)-1].version {
			return tandem.Errorf(tandem.ECONFLICT, "the store's schema is at version %d, newer than this tandem knows (%d): use a newer tandem", newest, ms[len(ms)-1].version)
		}
	}
	for _, m := range ms {
		if _, ok := applied[m.version]; ok {
			continue
		}
		err := db.inMigrationTx(ctx, func(tx *sql.Tx) error {
			var n int
			if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM schema_migrations WHERE version = "+db.dialect.param(1), m.version).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return nil // another process got there first
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			at, _ := db.dialect.value(&tandem.Column{Kind: tandem.KindDate}, time.Now())
			_, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES ("+db.dialect.params(1, 3)+")", m.version, m.name, at)
			return err
		})
		if err != nil {
			return fmt.Errorf("migrate: apply %04d_%s: %w", m.version, m.name, err)
		}
	}
	return nil
}

// inMigrationTx runs fn in a transaction on the writer that holds the
// migration lock.
func (db *DB) inMigrationTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if db.dialect == dialectPostgres {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock($1)", int64(migrationLock)); err != nil {
			return err
		}
	}
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// applied maps each applied migration version to when it was applied.
func (db *DB) applied(ctx context.Context, q querier) (map[int]time.Time, error) {
	rows, err := q.QueryContext(ctx, "SELECT version, applied_at FROM schema_migrations")
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	out := map[int]time.Time{}
	for rows.Next() {
		var v int
		var at any
		if err := rows.Scan(&v, &at); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		switch x := at.(type) {
		case time.Time:
			out[v] = x.UTC()
		case string:
			t, err := parseStoredDate(x)
			if err != nil {
				return nil, fmt.Errorf("read schema_migrations: version %d: %w", v, err)
			}
			out[v] = t
		default:
			return nil, fmt.Errorf("read schema_migrations: version %d: applied_at is %T", v, at)
		}
	}
	return out, rows.Err()
}

// Migrations lists every migration this build knows, in order, with when
// it was applied to the store (zero when pending).
func (db *DB) Migrations(ctx context.Context) ([]tandem.Migration, error) {
	ms, err := db.dialect.migrations()
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	applied, err := db.applied(ctx, db.reader)
	if err != nil {
		return nil, fmt.Errorf("migrations: %w", err)
	}
	out := make([]tandem.Migration, len(ms))
	for i, m := range ms {
		out[i] = tandem.Migration{Version: m.version, Name: m.name, AppliedAt: applied[m.version]}
	}
	return out, nil
}
