package tandem

import (
	"context"
	"time"
)

// Named is a row that references may name instead of giving its id.
type Named struct {
	ID      string
	Name    string
	Aliases []string
}

// Lookup answers what an import needs to know about rows already stored.
type Lookup interface {
	// IDs returns the set of stored ids of an entity.
	IDs(ctx context.Context, entity string) (map[string]struct{}, error)
	// Names returns id, name and aliases of every row of a Named entity.
	Names(ctx context.Context, entity string) ([]Named, error)
	// Parents maps each stored id of entity to its value in column, such as
	// subscription id to account_id; rows with an empty value are left out.
	Parents(ctx context.Context, entity, column string) (map[string]string, error)
}

// LoadCount says what a load did to one entity's rows.
type LoadCount struct {
	Entity    string `json:"entity"`
	Rows      int    `json:"rows"`      // rows put
	Inserted  int    `json:"inserted"`  // new rows
	Updated   int    `json:"updated"`   // existing rows whose values changed
	Unchanged int    `json:"unchanged"` // existing rows put with the same values
}

// Loader writes records inside one transaction: everything put lands at
// Commit or nothing does. Put upserts on the entity's key (id, and Dup for
// entities that are not referenced): columns holding Absent keep their stored
// value, list columns replace the stored list, and Attrs, when not nil,
// replace the stored attributes. Puts may be buffered; errors from the
// database surface at the latest from Commit. A Loader is used by one
// goroutine.
type Loader interface {
	Put(ctx context.Context, e *Entity, r Record) error
	Commit(ctx context.Context) ([]LoadCount, error)
	// Rollback discards everything put; it is safe to call after Commit.
	Rollback() error
	// Audit records an entry in the load's transaction, written at Commit,
	// so the change and its audit record land together.
	Audit(a AuditEntry)
}

// Filter is one condition of a list query: Column (a canonical column or
// "attr.<name>") equal to Value.
type Filter struct {
	Column string
	Value  string
}

// Query selects a page of an entity's rows, ordered by key, or by Sort
// first when set: a canonical, non-list column name, with a leading "-" for
// descending order (empty values last either way); ties go by key.
type Query struct {
	Filters []Filter
	Sort    string
	Limit   int // 0 means the store's default page size
	Offset  int
}

// Page is one page of a list query and the total matching rows.
type Page struct {
	Records []Record
	Total   int
}

// Migration is one schema migration and when it was applied (zero if pending).
type Migration struct {
	Version   int       `json:"version"`
	Name      string    `json:"name"`
	AppliedAt time.Time `json:"applied_at,omitzero"`
}

// Store is Tandem's system of record: SQLite or PostgreSQL behind one
// interface, so a distributed engine can be another adapter.
type Store interface {
	Lookup
	AccountStore
	DeskStore
	DocBatchStore
	// Begin starts a load transaction. Only one may be open at a time.
	Begin(ctx context.Context) (Loader, error)
	// Get returns the row with the id (first occurrence), or ENOTFOUND.
	Get(ctx context.Context, entity, id string) (Record, error)
	// List returns a page of rows matching the query.
	List(ctx context.Context, entity string, q Query) (Page, error)
	// Scan calls fn for every row in key order, for exports and analytics.
	Scan(ctx context.Context, entity string, fn func(Record) error) error
	// Count returns the number of rows of an entity.
	Count(ctx context.Context, entity string) (int, error)
	// DataVersion returns a number that grows whenever a load commits, in
	// this process or another, so cached analytics know when to recompute.
	DataVersion(ctx context.Context) (int64, error)
	// Migrations lists every known migration, applied or pending.
	Migrations(ctx context.Context) ([]Migration, error)
	// Backup writes a consistent copy of the store to path (a SQLite file),
	// while other connections keep working.
	Backup(ctx context.Context, path string) error
	// Dialect names the backend: "sqlite" or "postgres".
	Dialect() string
	Close() error
}
