package sqldb

import (
	"context"
	"errors"
	"time"

	"github.com/tandemhq/tandem"
)

// errTODO marks account methods not yet implemented.
var errTODO = errors.New("not implemented")

func (db *DB) UserCount(ctx context.Context) (int, error)       { return 0, errTODO }
func (db *DB) Users(ctx context.Context) ([]tandem.User, error) { return nil, errTODO }
func (db *DB) User(ctx context.Context, id string) (tandem.User, error) {
	return tandem.User{}, errTODO
}
func (db *DB) UserByEmail(ctx context.Context, e string) (tandem.User, error) {
	return tandem.User{}, errTODO
}
func (db *DB) CreateUser(ctx context.Context, u tandem.User, onlyIfNone bool, a tandem.AuditEntry) error {
	return errTODO
}
func (db *DB) UpdateUser(ctx context.Context, u tandem.User, a tandem.AuditEntry) error {
	return errTODO
}
func (db *DB) TouchSignIn(ctx context.Context, userID string, at time.Time) error { return errTODO }
func (db *DB) CreateSession(ctx context.Context, s tandem.Session) error          { return errTODO }
func (db *DB) Session(ctx context.Context, h string, now time.Time) (tandem.Session, tandem.User, error) {
	return tandem.Session{}, tandem.User{}, errTODO
}
func (db *DB) DeleteSession(ctx context.Context, h string) error { return errTODO }
func (db *DB) DeleteUserSessions(ctx context.Context, userID string, now time.Time) error {
	return errTODO
}
func (db *DB) CreateToken(ctx context.Context, t tandem.APIToken, a tandem.AuditEntry) error {
	return errTODO
}
func (db *DB) Tokens(ctx context.Context, userID string) ([]tandem.APIToken, error) {
	return nil, errTODO
}
func (db *DB) TokenByHash(ctx context.Context, h string, now time.Time) (tandem.APIToken, tandem.User, error) {
	return tandem.APIToken{}, tandem.User{}, errTODO
}
func (db *DB) RevokeToken(ctx context.Context, id string, at time.Time, a tandem.AuditEntry) error {
	return errTODO
}
func (db *DB) AppendAudit(ctx context.Context, a tandem.AuditEntry) error { return errTODO }
func (db *DB) Audit(ctx context.Context, q tandem.AuditQuery) ([]tandem.AuditEntry, int, error) {
	return nil, 0, errTODO
}

// Audit records an entry to write at Commit.
func (l *loader) Audit(a tandem.AuditEntry) {}

func (db *DB) DataVersion(ctx context.Context) (int64, error) { return 0, errTODO }
