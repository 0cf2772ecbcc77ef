package httpapi

import (
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/sqldb/sqldbtest"
	"github.com/tandemhq/tandem/internal/testdb"
)

// dialects lists the store backends the tests run on (see testdb.Dialects).
func dialects(t *testing.T) []string { return testdb.Dialects(t) }

// openStore opens a fresh, real store of the dialect, closed when the test
// ends.
func openStore(t *testing.T, dialect string, cat *tandem.Catalog) tandem.Store {
	t.Helper()
	return sqldbtest.Open(t, dialect, cat)
}
