package sqldb

import (
	"context"
	"time"

	"github.com/tandemhq/tandem"
)

var errDeskTODO = tandem.Errorf(tandem.EINTERNAL, "desk storage not implemented yet")

// PutDoc implements tandem.DeskStore.
func (db *DB) PutDoc(ctx context.Context, d tandem.Doc, audit *tandem.AuditEntry) error {
	return errDeskTODO
}

// Doc implements tandem.DeskStore.
func (db *DB) Doc(ctx context.Context, kind, id string, version int) (tandem.Doc, error) {
	return tandem.Doc{}, errDeskTODO
}

// DocVersions implements tandem.DeskStore.
func (db *DB) DocVersions(ctx context.Context, kind, id string) ([]tandem.Doc, error) {
	return nil, errDeskTODO
}

// Docs implements tandem.DeskStore.
func (db *DB) Docs(ctx context.Context, kind, ref string) ([]tandem.Doc, error) {
	return nil, errDeskTODO
}

// SaveQuote implements tandem.DeskStore.
func (db *DB) SaveQuote(ctx context.Context, w tandem.QuoteWrite, audit *tandem.AuditEntry) error {
	return errDeskTODO
}

// Approvals implements tandem.DeskStore.
func (db *DB) Approvals(ctx context.Context, q tandem.ApprovalQuery) ([]tandem.Approval, error) {
	return nil, errDeskTODO
}

// UpdateApprovals implements tandem.DeskStore.
func (db *DB) UpdateApprovals(ctx context.Context, updates []tandem.ApprovalUpdate, audit []tandem.AuditEntry, notify []tandem.Notification) error {
	return errDeskTODO
}

// DueNotifications implements tandem.DeskStore.
func (db *DB) DueNotifications(ctx context.Context, now time.Time, limit int) ([]tandem.Notification, error) {
	return nil, errDeskTODO
}

// MarkNotification implements tandem.DeskStore.
func (db *DB) MarkNotification(ctx context.Context, n tandem.Notification) error {
	return errDeskTODO
}

// Notifications implements tandem.DeskStore.
func (db *DB) Notifications(ctx context.Context, limit int) ([]tandem.Notification, error) {
	return nil, errDeskTODO
}
