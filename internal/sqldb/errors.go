package sqldb

import (
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tandemhq/tandem"
	"modernc.org/sqlite"
)

// constraintError turns a constraint violation reported by either database
// (a missing referenced row, a value outside an enum, a missing required
// value) into an EINVALID domain error with a sentence, since it is the
// data's fault, not Tandem's. Other errors are returned unchanged.
func constraintError(op string, err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == 19 { // SQLITE_CONSTRAINT
		msg := se.Error()
		switch se.Code() {
		case 787: // SQLITE_CONSTRAINT_FOREIGNKEY
			msg = "a row refers to an id that does not exist (foreign key check)"
		case 275: // SQLITE_CONSTRAINT_CHECK
			msg = "a value is outside what its column allows: " + sqliteDetail(msg)
		case 1299: // SQLITE_CONSTRAINT_NOTNULL
			msg = "a required value is missing: " + sqliteDetail(msg)
		default:
			msg = sqliteDetail(msg)
		}
		return &tandem.Error{Code: tandem.EINVALID, Op: op, Message: msg, Err: err}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && strings.HasPrefix(pe.Code, "23") { // integrity_constraint_violation
		msg := pe.Message
		switch pe.Code {
		case "23503":
			msg = "a row refers to an id that does not exist (foreign key check)"
		case "23514":
			msg = "a value is outside what its column allows: " + pe.ConstraintName
		case "23502":
			msg = "a required value is missing: " + pe.TableName + "." + pe.ColumnName
		}
		if pe.Detail != "" {
			msg += ": " + pe.Detail
		}
		return &tandem.Error{Code: tandem.EINVALID, Op: op, Message: msg, Err: err}
	}
	return err
}

// sqliteDetail strips modernc's "constraint failed: " prefix and the
// numeric code suffix from a message, leaving SQLite's own words, such as
// "CHECK constraint failed: outcome IN ('won', 'lost', 'open')".
func sqliteDetail(msg string) string {
	msg = strings.TrimPrefix(msg, "constraint failed: ")
	if i := strings.LastIndex(msg, " ("); i > 0 && strings.HasSuffix(msg, ")") {
		msg = msg[:i]
	}
	return msg
}
