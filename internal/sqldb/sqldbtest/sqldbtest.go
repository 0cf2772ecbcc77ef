// Package sqldbtest opens fresh, real stores for the tests of packages that
// use the store: SQLite always, PostgreSQL when the test script provides a
// server (see internal/testdb).
package sqldbtest

import (
	"context"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/sqldb"
	"github.com/tandemhq/tandem/internal/testdb"
)

// Open opens a fresh store of the dialect, closed when the test ends.
func Open(t testing.TB, dialect string, cat *tandem.Catalog) *sqldb.DB {
	t.Helper()
	db, err := sqldb.Open(context.Background(), testdb.DSN(t, dialect), cat)
	if err != nil {
		t.Fatalf("open %s store: %v", dialect, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
