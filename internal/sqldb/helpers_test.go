package sqldb

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
)

// testDialects lists the dialects every store test runs on: SQLite always,
// PostgreSQL when TANDEM_TEST_POSTGRES names a server. Without one the
// PostgreSQL half is skipped, or fails when TANDEM_REQUIRE_POSTGRES=1 (as
// scripts/pgtest.sh sets), so CI cannot pass on SQLite alone.
func testDialects() []string { return []string{"sqlite", "postgres"} }

// testDSN returns the address of a fresh, empty store of the dialect that
// is removed when the test ends (skipped or failed without a server, as
// internal/testdb decides).
func testDSN(t testing.TB, dialect string) string { return testdb.DSN(t, dialect) }

// openTest opens a fresh store, closed when the test ends.
func openTest(t testing.TB, dialect string) *DB {
	t.Helper()
	db, err := Open(context.Background(), testDSN(t, dialect), tandem.NewCatalog())
	if err != nil {
		t.Fatalf("open %s store: %v", dialect, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// eachDialect runs fn as a subtest per dialect, on a fresh store.
func eachDialect(t *testing.T, fn func(t *testing.T, db *DB)) {
	t.Helper()
	for _, d := range testDialects() {
		t.Run(d, func(t *testing.T) {
			fn(t, openTest(t, d))
		})
	}
}

// row builds a record of entity e: the named columns get the values, every
// other column is nil (present and empty).
func row(t testing.TB, e *tandem.Entity, kv ...any) tandem.Record {
	t.Helper()
	return fill(t, e, nil, kv...)
}

// partial builds a record whose unnamed columns are Absent.
func partial(t testing.TB, e *tandem.Entity, kv ...any) tandem.Record {
	t.Helper()
	return fill(t, e, tandem.Absent{}, kv...)
}

func fill(t testing.TB, e *tandem.Entity, rest any, kv ...any) tandem.Record {
	t.Helper()
	r := tandem.Record{Values: make([]any, len(e.Columns))}
	for i := range r.Values {
		r.Values[i] = rest
	}
	for i := 0; i+1 < len(kv); i += 2 {
		name := kv[i].(string)
		_, ci := e.Column(name)
		if ci < 0 {
			t.Fatalf("%s has no column %q", e.Name, name)
		}
		r.Values[ci] = kv[i+1]
	}
	return r
}

// entity returns the catalog entity, failing the test if it is unknown.
func entity(t testing.TB, db *DB, name string) *tandem.Entity {
	t.Helper()
	e, err := db.cat.Entity(name)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// put is one record to load.
type put struct {
	entity string
	rec    tandem.Record
}

// load puts the records in one load and commits it.
func load(t testing.TB, db *DB, puts ...put) []tandem.LoadCount {
	t.Helper()
	counts, err := tryLoad(db, puts...)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return counts
}

func tryLoad(db *DB, puts ...put) ([]tandem.LoadCount, error) {
	ctx := context.Background()
	l, err := db.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer l.Rollback()
	for _, p := range puts {
		e, err := db.cat.Entity(p.entity)
		if err != nil {
			return nil, err
		}
		if err := l.Put(ctx, e, p.rec); err != nil {
			return nil, err
		}
	}
	return l.Commit(ctx)
}

// dump returns the store's dump, failing the test on error.
func dump(t testing.TB, db *DB) string {
	t.Helper()
	d, err := db.Dump(context.Background())
	if err != nil {
		t.Fatalf("dump: %v", err)
	}
	return d
}

// wantCode fails the test unless err carries the domain error code.
func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code)
	}
	var te *tandem.Error
	if !errors.As(err, &te) || te.Code != code {
		t.Fatalf("got %v (code %s), want code %s", err, tandem.ErrorCode(err), code)
	}
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func instant(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}
