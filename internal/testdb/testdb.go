// Package testdb gives tests fresh, real store addresses: a SQLite file in
// the test's temporary directory and, when TANDEM_TEST_POSTGRES names a
// server, a new PostgreSQL database that is dropped when the test ends.
// There are no fakes: every test that uses it runs against the real engines.
// It does not open stores itself, so the store's own tests can use it;
// internal/sqldb/sqldbtest opens them for everyone else.
package testdb

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the database/sql driver "pgx", for CREATE DATABASE
)

// Dialects lists the backends a test should run on: sqlite always, and
// postgres when TANDEM_TEST_POSTGRES is set. With TANDEM_REQUIRE_POSTGRES=1
// (set by the test script) a missing server fails the test instead of
// skipping it, so CI cannot pass on SQLite alone.
func Dialects(t testing.TB) []string {
	t.Helper()
	if os.Getenv("TANDEM_TEST_POSTGRES") != "" {
		return []string{"sqlite", "postgres"}
	}
	if os.Getenv("TANDEM_REQUIRE_POSTGRES") == "1" {
		t.Fatal("TANDEM_REQUIRE_POSTGRES=1 but TANDEM_TEST_POSTGRES is not set")
	}
	return []string{"sqlite"}
}

// DSN returns the address of a fresh, empty store of the dialect, removed
// when the test ends.
func DSN(t testing.TB, dialect string) string {
	t.Helper()
	if dialect == "sqlite" {
		return filepath.Join(t.TempDir(), "tandem.db")
	}
	base := os.Getenv("TANDEM_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("TANDEM_REQUIRE_POSTGRES") == "1" {
			t.Fatal("TANDEM_REQUIRE_POSTGRES=1 but TANDEM_TEST_POSTGRES is not set: run the tests through scripts/pgtest.sh run -- go test ...")
		}
		t.Skip("TANDEM_TEST_POSTGRES is not set; run through scripts/pgtest.sh to test PostgreSQL")
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open postgres: %v", err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "tandem_test_" + hex.EncodeToString(b[:])
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		admin.Close()
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Errorf("drop test database %s: %v", name, err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse TANDEM_TEST_POSTGRES: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}
