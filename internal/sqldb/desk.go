package sqldb

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/tandemhq/tandem"
	"modernc.org/sqlite"
)

// This file is the tandem.DeskStore of a DB: the deal desk's versioned
// documents, its approval steps and the notification outbox (tables of
// migrations/*/0003_desk.sql).
//
// Writes run in a transaction on the writer pool, like account writes (see
// account.go), and do not bump the data version: the desk's records are not
// the analytics' data, so a quote or an approval must not invalidate cached
// reports.
//
// Two writers acting on the same rows at once are resolved by the rows
// themselves, not by reading first and deciding in Go: a document's next
// version is guarded by its primary key, an approval's change by a WHERE on
// its expected status. On SQLite the single writer connection already
// orders the transactions; on PostgreSQL (READ COMMITTED) the second
// writer waits for the first's row lock and then finds the row changed.

// docColumns are the columns docDest reads, of desk_docs aliased d.
const docColumns = "d.kind, d.id, d.version, d.ref, d.body, d.author, d.note, d.created_at"

func docDest(d *tandem.Doc) []any {
	return []any{&d.Kind, &d.ID, &d.Version, &d.Ref, jsonScan{&d.Body}, &d.Author, &d.Note, timeScan{&d.CreatedAt}}
}

// approvalColumns are the columns approvalDest reads, of desk_approvals
// aliased a.
const approvalColumns = "a.id, a.quote_id, a.quote_version, a.deal_id, a.rule, a.level, a.chain, a.mode, a.step, a.approver, a.via, a.status, " +
	"a.basis, a.carried_from, a.evidence, a.reason, a.acted_by, a.requested_at, a.due_at, a.acted_at"

func approvalDest(a *tandem.Approval) []any {
	return []any{&a.ID, &a.QuoteID, &a.QuoteVersion, &a.DealID, &a.Rule, &a.Level, &a.Chain, &a.Mode, &a.Step, &a.Approver, &a.Via, (*string)(&a.Status),
		&a.Basis, &a.CarriedFrom, evidenceScan{&a.Evidence}, &a.Reason, &a.ActedBy, timeScan{&a.RequestedAt}, timeScan{&a.DueAt}, timeScan{&a.ActedAt}}
}

// notificationColumns are the columns notificationDest reads, of
// desk_outbox aliased n.
const notificationColumns = "n.id, n.channel, n.event, n.payload, n.status, n.attempts, n.next_at, n.last_error, n.created_at"

func notificationDest(n *tandem.Notification) []any {
	return []any{&n.ID, &n.Channel, &n.Event, jsonScan{&n.Payload}, (*string)(&n.Status), &n.Attempts, timeScan{&n.NextAt}, &n.LastError, timeScan{&n.CreatedAt}}
}

// outboxOrder is the creation order of desk_outbox rows aliased n: the
// creation time, then the row's insertion sequence for notifications
// queued within one clock tick.
func (d dialect) outboxOrder(desc bool) string {
	seq := "n.rowid"
	if d == dialectPostgres {
		seq = "n.seq"
	}
	if desc {
		return "n.created_at DESC, " + seq + " DESC"
	}
	return "n.created_at, " + seq
}

// jsonScan reads a stored JSON text into a json.RawMessage, copying it:
// the driver may reuse the bytes it hands to Scan.
type jsonScan struct{ m *json.RawMessage }

// Scan implements sql.Scanner.
func (s jsonScan) Scan(src any) error {
	switch x := src.(type) {
	case string:
		*s.m = json.RawMessage(x)
	case []byte:
		*s.m = json.RawMessage(bytes.Clone(x))
	default:
		return fmt.Errorf("stored %T is not JSON text", src)
	}
	return nil
}

// evidenceScan reads the stored JSON array of an approval's evidence. It
// always yields a non-nil slice, so an approval without evidence encodes
// as [] rather than null.
type evidenceScan struct{ e *[]string }

// Scan implements sql.Scanner.
func (s evidenceScan) Scan(src any) error {
	var raw json.RawMessage
	if err := (jsonScan{&raw}).Scan(src); err != nil {
		return err
	}
	out := []string{}
	if err := json.Unmarshal(raw, &out); err != nil {
		return fmt.Errorf("stored evidence: %w", err)
	}
	if out == nil { // the text was null
		out = []string{}
	}
	*s.e = out
	return nil
}

// validJSON reports whether b is JSON that both databases accept: Go's
// json.Valid lets invalid UTF-8 through, which PostgreSQL refuses, so the
// check is the same on both dialects only with utf8.Valid too.
func validJSON(b []byte) bool { return json.Valid(b) && utf8.Valid(b) }

// deskConflict turns the errors of two writers colliding into ECONFLICT,
// so that callers (and users) see "try again" rather than an internal
// error: a PostgreSQL deadlock or serialization failure, or SQLite still
// busy after busy_timeout (another process holding the write lock). Other
// errors are returned unchanged.
func deskConflict(err error) error {
	if err == nil {
		return nil
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001" || pe.Code == "55P03") {
		return &tandem.Error{Code: tandem.ECONFLICT, Message: "another change to the same records got in the way; try again", Err: err}
	}
	var se *sqlite.Error
	if errors.As(err, &se) && (se.Code()&0xff == 5 || se.Code()&0xff == 6) { // SQLITE_BUSY, SQLITE_LOCKED
		return &tandem.Error{Code: tandem.ECONFLICT, Message: "the store is busy with another write; try again", Err: err}
	}
	return err
}

// checkDoc refuses a document the store could not keep as asked.
func checkDoc(d tandem.Doc) error {
	switch {
	case d.Kind == "" || d.ID == "":
		return tandem.Errorf(tandem.EINVALID, "a document needs a kind and an id")
	case d.Version < 1:
		return tandem.Errorf(tandem.EINVALID, "%s %s: version %d; versions count from 1", d.Kind, d.ID, d.Version)
	case !validJSON(d.Body):
		return tandem.Errorf(tandem.EINVALID, "%s %s version %d: the body is not JSON", d.Kind, d.ID, d.Version)
	case d.CreatedAt.IsZero():
		// The caller owns the clock (and records the same instant in the
		// document's audit entry): a missing time is a bug, not "now".
		return tandem.Errorf(tandem.EINVALID, "%s %s version %d has no creation time", d.Kind, d.ID, d.Version)
	}
	return nil
}

// PutDoc implements tandem.DeskStore. A document must have a kind, an id,
// a version from 1, a creation time and a JSON body (EINVALID otherwise).
func (db *DB) PutDoc(ctx context.Context, d tandem.Doc, audit *tandem.AuditEntry) error {
	err := checkDoc(d)
	if err == nil {
		err = db.inWriteTx(ctx, func(tx *sql.Tx) error {
			if err := db.insertDoc(ctx, tx, d); err != nil {
				return err
			}
			if audit != nil {
				return db.insertAudit(ctx, tx, *audit)
			}
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("put %s %q version %d: %w", d.Kind, d.ID, d.Version, deskConflict(err))
	}
	return nil
}

// insertDoc writes the next version of a checked document through tx,
// refusing any other version with ECONFLICT. Reading the latest version
// first gives the message its numbers; the primary key, not the read, is
// what refuses a version another writer added since.
func (db *DB) insertDoc(ctx context.Context, tx *sql.Tx, d tandem.Doc) error {
	dl := db.dialect
	var latest int
	if err := tx.QueryRowContext(ctx, dl.bind("SELECT COALESCE(max(version), 0) FROM desk_docs WHERE kind = ? AND id = ?"), d.Kind, d.ID).Scan(&latest); err != nil {
		return fmt.Errorf("read latest version: %w", err)
	}
	if d.Version != latest+1 {
		if latest == 0 {
			return tandem.Errorf(tandem.ECONFLICT, "%s %s has no version yet; version %d was submitted, the first must be 1", d.Kind, d.ID, d.Version)
		}
		return tandem.Errorf(tandem.ECONFLICT, "%s %s is at version %d; version %d was submitted", d.Kind, d.ID, latest, d.Version)
	}
	return db.writeDoc(ctx, tx, d)
}

// writeDoc inserts a document row as it is, without the version rule:
// insertDoc applies the rule, and a backup copies versions verbatim.
func (db *DB) writeDoc(ctx context.Context, tx *sql.Tx, d tandem.Doc) error {
	dl := db.dialect
	_, err := tx.ExecContext(ctx, dl.bind("INSERT INTO desk_docs (kind, id, version, ref, body, author, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"),
		d.Kind, d.ID, int64(d.Version), d.Ref, string(d.Body), d.Author, d.Note, dl.timeArg(d.CreatedAt))
	if kind, _ := violation(err); kind == "unique" {
		return &tandem.Error{Code: tandem.ECONFLICT, Message: fmt.Sprintf("%s %s version %d was written by someone else meanwhile", d.Kind, d.ID, d.Version), Err: err}
	}
	if err != nil {
		return fmt.Errorf("insert version: %w", constraintError("", err))
	}
	// The stamp row of the kind is written in the same transaction, so a
	// cache that sees the new count also sees the version.
	if _, err := tx.ExecContext(ctx, dl.bind("INSERT INTO desk_doc_stamps (kind, versions) VALUES (?, 1) ON CONFLICT (kind) DO UPDATE SET versions = desk_doc_stamps.versions + 1"), d.Kind); err != nil {
		return fmt.Errorf("count version: %w", err)
	}
	return nil
}

// Doc implements tandem.DeskStore.
func (db *DB) Doc(ctx context.Context, kind, id string, version int) (tandem.Doc, error) {
	if version < 0 {
		return tandem.Doc{}, tandem.Errorf(tandem.EINVALID, "read %s %q: version %d; versions count from 1 (0 is the latest)", kind, id, version)
	}
	q := "SELECT " + docColumns + " FROM desk_docs AS d WHERE d.kind = ? AND d.id = ?"
	args := []any{kind, id}
	if version == 0 {
		q += " ORDER BY d.version DESC LIMIT 1"
	} else {
		q += " AND d.version = ?"
		args = append(args, int64(version))
	}
	var d tandem.Doc
	err := db.reader.QueryRowContext(ctx, db.dialect.bind(q), args...).Scan(docDest(&d)...)
	if errors.Is(err, sql.ErrNoRows) {
		if version == 0 {
			return tandem.Doc{}, tandem.Errorf(tandem.ENOTFOUND, "no %s %q", kind, id)
		}
		return tandem.Doc{}, tandem.Errorf(tandem.ENOTFOUND, "no %s %q version %d", kind, id, version)
	}
	if err != nil {
		return tandem.Doc{}, fmt.Errorf("read %s %q version %d: %w", kind, id, version, err)
	}
	return d, nil
}

// DocVersions implements tandem.DeskStore.
func (db *DB) DocVersions(ctx context.Context, kind, id string) ([]tandem.Doc, error) {
	out, err := queryAll(ctx, db.reader, fmt.Sprintf("list versions of %s %q", kind, id),
		db.dialect.bind("SELECT "+docColumns+" FROM desk_docs AS d WHERE d.kind = ? AND d.id = ? ORDER BY d.version"), []any{kind, id}, docDest)
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "no %s %q", kind, id)
	}
	return out, nil
}

// Docs implements tandem.DeskStore. The ref filter applies to each
// document's latest version: a document whose latest version moved to
// another ref is listed under that ref only. No documents is an empty
// list, not an error.
func (db *DB) Docs(ctx context.Context, kind, ref string) ([]tandem.Doc, error) {
	q := "SELECT " + docColumns + " FROM desk_docs AS d WHERE d.kind = ?"
	args := []any{kind}
	if ref != "" {
		q += " AND d.ref = ?"
		args = append(args, ref)
	}
	q += " AND d.version = (SELECT max(l.version) FROM desk_docs AS l WHERE l.kind = d.kind AND l.id = d.id) ORDER BY d.id"
	out, err := queryAll(ctx, db.reader, fmt.Sprintf("list %s documents", kind), db.dialect.bind(q), args, docDest)
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []tandem.Doc{}
	}
	return out, nil
}

// DocsStamp implements tandem.DeskStore: the number of stored versions of
// the kind, which the primary key index answers without reading bodies.
func (db *DB) DocsStamp(ctx context.Context, kind string) (int64, error) {
	var n int64
	err := db.reader.QueryRowContext(ctx, db.dialect.bind("SELECT versions FROM desk_doc_stamps WHERE kind = ?"), kind).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("count %s documents: %w", kind, err)
	}
	return n, nil
}

// approvalStatus reports whether the schema allows s, checked before
// writing so the caller gets a sentence rather than a CHECK failure.
func approvalStatus(s tandem.ApprovalStatus) bool {
	switch s {
	case tandem.ApprovalWaiting, tandem.ApprovalPending, tandem.ApprovalApproved,
		tandem.ApprovalRejected, tandem.ApprovalSkipped, tandem.ApprovalSuperseded:
		return true
	}
	return false
}

// notificationStatus is approvalStatus for the outbox.
func notificationStatus(s tandem.NotificationStatus) bool {
	switch s {
	case tandem.NotifyPending, tandem.NotifyDelivered, tandem.NotifyFailed:
		return true
	}
	return false
}

// SaveQuote implements tandem.DeskStore. The document must be a quote
// (Kind tandem.DocQuote), and every approval must belong to that quote
// version: approvals of another version written alongside it would be
// superseded, or never be, against the rule the write exists to apply.
func (db *DB) SaveQuote(ctx context.Context, w tandem.QuoteWrite, audit *tandem.AuditEntry) error {
	d := w.Doc
	err := checkDoc(d)
	if err == nil && d.Kind != tandem.DocQuote {
		err = tandem.Errorf(tandem.EINVALID, "the document is a %s, not a %s", d.Kind, tandem.DocQuote)
	}
	for i := 0; err == nil && i < len(w.Approvals); i++ {
		a := w.Approvals[i]
		if a.QuoteID != d.ID || a.QuoteVersion != d.Version {
			err = tandem.Errorf(tandem.EINVALID, "approval %s is for quote %s version %d, not the version written", a.ID, a.QuoteID, a.QuoteVersion)
		}
	}
	if err == nil {
		err = db.inWriteTx(ctx, func(tx *sql.Tx) error {
			if err := db.insertDoc(ctx, tx, d); err != nil {
				return err
			}
			if err := db.supersede(ctx, tx, d.ID, d.Version); err != nil {
				return err
			}
			for _, a := range w.Approvals {
				if err := db.insertApproval(ctx, tx, a); err != nil {
					return err
				}
			}
			for _, n := range w.Notify {
				if err := db.insertNotification(ctx, tx, n); err != nil {
					return err
				}
			}
			if audit != nil {
				return db.insertAudit(ctx, tx, *audit)
			}
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("save quote %q version %d: %w", d.ID, d.Version, deskConflict(err))
	}
	return nil
}

// supersede marks every open approval of the quote's versions before
// version superseded. On PostgreSQL it first locks those rows in id order,
// the order UpdateApprovals locks in, so that a quote saved while its
// approvals are acted on waits instead of deadlocking.
func (db *DB) supersede(ctx context.Context, tx *sql.Tx, quoteID string, version int) error {
	dl := db.dialect
	const where = " WHERE quote_id = ? AND status IN ('waiting', 'pending') AND quote_version < ?"
	if dl == dialectPostgres {
		rows, err := tx.QueryContext(ctx, dl.bind("SELECT id FROM desk_approvals"+where+" ORDER BY id FOR UPDATE"), quoteID, int64(version))
		if err != nil {
			return fmt.Errorf("lock open approvals: %w", err)
		}
		// Reading every row, not just closing, is what makes sure each
		// one was locked.
		for rows.Next() {
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("lock open approvals: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, dl.bind("UPDATE desk_approvals SET status = 'superseded'"+where), quoteID, int64(version)); err != nil {
		return fmt.Errorf("supersede open approvals: %w", err)
	}
	return nil
}

// insertApproval writes a new approval step through tx. RequestedAt is
// required for the same reason as a document's creation time.
func (db *DB) insertApproval(ctx context.Context, tx *sql.Tx, a tandem.Approval) error {
	switch {
	case a.ID == "" || a.QuoteID == "":
		return tandem.Errorf(tandem.EINVALID, "an approval needs an id and a quote")
	case !approvalStatus(a.Status):
		return tandem.Errorf(tandem.EINVALID, "approval %s: %q is not an approval status", a.ID, a.Status)
	case a.RequestedAt.IsZero():
		return tandem.Errorf(tandem.EINVALID, "approval %s has no request time", a.ID)
	}
	ev := a.Evidence
	if ev == nil {
		ev = []string{}
	}
	evidence, err := json.Marshal(ev)
	if err != nil {
		return fmt.Errorf("approval %s: encode evidence: %w", a.ID, err)
	}
	dl := db.dialect
	_, err = tx.ExecContext(ctx, dl.bind("INSERT INTO desk_approvals (id, quote_id, quote_version, deal_id, rule, level, chain, mode, step, approver, via, status, "+
		"basis, carried_from, evidence, reason, acted_by, requested_at, due_at, acted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
		a.ID, a.QuoteID, int64(a.QuoteVersion), a.DealID, a.Rule, int64(a.Level), a.Chain, a.Mode, int64(a.Step), a.Approver, a.Via, string(a.Status),
		a.Basis, a.CarriedFrom, string(evidence), a.Reason, a.ActedBy, dl.timeArg(a.RequestedAt), dl.timeArg(a.DueAt), dl.timeArg(a.ActedAt))
	if kind, _ := violation(err); kind == "unique" {
		return &tandem.Error{Code: tandem.ECONFLICT, Message: fmt.Sprintf("an approval with id %q exists", a.ID), Err: err}
	}
	if err != nil {
		return fmt.Errorf("insert approval %s: %w", a.ID, constraintError("", err))
	}
	return nil
}

// Approvals implements tandem.DeskStore. Several filters all apply; no
// match is an empty list.
func (db *DB) Approvals(ctx context.Context, q tandem.ApprovalQuery) ([]tandem.Approval, error) {
	dl := db.dialect
	var conds []string
	var args []any
	if q.ID != "" {
		conds = append(conds, "a.id = ?")
		args = append(args, q.ID)
	}
	if q.QuoteID != "" {
		conds = append(conds, "a.quote_id = ?")
		args = append(args, q.QuoteID)
	}
	if q.QuoteVersion != 0 {
		conds = append(conds, "a.quote_version = ?")
		args = append(args, int64(q.QuoteVersion))
	}
	if q.Approver != "" {
		conds = append(conds, "a.approver = ?")
		args = append(args, q.Approver)
	}
	if len(q.Status) > 0 {
		conds = append(conds, "a.status IN (?"+strings.Repeat(", ?", len(q.Status)-1)+")")
		for _, s := range q.Status {
			args = append(args, string(s))
		}
	}
	if !q.DueBefore.IsZero() {
		conds = append(conds, "a.status = ? AND a.due_at IS NOT NULL AND a.due_at < ?")
		args = append(args, string(tandem.ApprovalPending), dl.timeArg(q.DueBefore))
	}
	query := "SELECT " + approvalColumns + " FROM desk_approvals AS a"
	if len(conds) > 0 {
		query += " WHERE " + strings.Join(conds, " AND ")
	}
	query += " ORDER BY a.quote_id, a.quote_version, a.level, a.rule, a.step, a.id"
	out, err := queryAll(ctx, db.reader, "list approvals", dl.bind(query), args, approvalDest)
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []tandem.Approval{}
	}
	return out, nil
}

// UpdateApprovals implements tandem.DeskStore. Reason and ActedBy are
// written as given, even empty: unlike Approver, Via, ActedAt and DueAt,
// the contract gives them no "unchanged" value. The updates run in id
// order (an id's own updates keep their order), the order every desk
// write locks approvals in, so that two transactions on overlapping
// approvals wait for each other instead of deadlocking on PostgreSQL.
func (db *DB) UpdateApprovals(ctx context.Context, updates []tandem.ApprovalUpdate, audit []tandem.AuditEntry, notify []tandem.Notification) error {
	for _, u := range updates {
		if !approvalStatus(u.From) || !approvalStatus(u.Status) {
			return fmt.Errorf("update approvals: %w", tandem.Errorf(tandem.EINVALID, "approval %s: %q to %q is not a change between approval statuses", u.ID, u.From, u.Status))
		}
	}
	sorted := slices.Clone(updates)
	slices.SortStableFunc(sorted, func(a, b tandem.ApprovalUpdate) int { return strings.Compare(a.ID, b.ID) })
	err := db.inWriteTx(ctx, func(tx *sql.Tx) error {
		for _, u := range sorted {
			if err := db.updateApproval(ctx, tx, u); err != nil {
				return err
			}
		}
		for _, a := range audit {
			if err := db.insertAudit(ctx, tx, a); err != nil {
				return err
			}
		}
		for _, n := range notify {
			if err := db.insertNotification(ctx, tx, n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("update approvals: %w", deskConflict(err))
	}
	return nil
}

// updateApproval applies one update through tx, provided the approval
// still has status u.From.
func (db *DB) updateApproval(ctx context.Context, tx *sql.Tx, u tandem.ApprovalUpdate) error {
	dl := db.dialect
	set := []string{"status = ?", "reason = ?", "acted_by = ?"}
	args := []any{string(u.Status), u.Reason, u.ActedBy}
	if u.Approver != "" {
		set = append(set, "approver = ?")
		args = append(args, u.Approver)
	}
	if u.Via != "" {
		set = append(set, "via = ?")
		args = append(args, u.Via)
	}
	if !u.ActedAt.IsZero() {
		set = append(set, "acted_at = ?")
		args = append(args, dl.timeArg(u.ActedAt))
	}
	if !u.DueAt.IsZero() {
		set = append(set, "due_at = ?")
		args = append(args, dl.timeArg(u.DueAt))
	}
	args = append(args, u.ID, string(u.From))
	res, err := tx.ExecContext(ctx, dl.bind("UPDATE desk_approvals SET "+strings.Join(set, ", ")+" WHERE id = ? AND status = ?"), args...)
	if err != nil {
		return fmt.Errorf("update approval %s: %w", u.ID, err)
	}
	n, err := rowsAffected(res)
	if err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	// Nothing changed: say why. Under READ COMMITTED this read sees the
	// change of the writer that got there first.
	var cur string
	err = tx.QueryRowContext(ctx, dl.bind("SELECT status FROM desk_approvals WHERE id = ?"), u.ID).Scan(&cur)
	if errors.Is(err, sql.ErrNoRows) {
		return tandem.Errorf(tandem.ENOTFOUND, "no approval %q", u.ID)
	}
	if err != nil {
		return fmt.Errorf("read approval %s: %w", u.ID, err)
	}
	return tandem.Errorf(tandem.ECONFLICT, "approval %s is %s, not %s", u.ID, cur, u.From)
}

// insertNotification queues a notification through tx. Its creation time
// is required (see insertApproval); an empty status is pending and a zero
// NextAt is its creation time, so a new notification is due at once.
func (db *DB) insertNotification(ctx context.Context, tx *sql.Tx, n tandem.Notification) error {
	if n.Status == "" {
		n.Status = tandem.NotifyPending
	}
	if n.NextAt.IsZero() {
		n.NextAt = n.CreatedAt
	}
	switch {
	case n.ID == "" || n.Channel == "":
		return tandem.Errorf(tandem.EINVALID, "a notification needs an id and a channel")
	case !notificationStatus(n.Status):
		return tandem.Errorf(tandem.EINVALID, "notification %s: %q is not a notification status", n.ID, n.Status)
	case !validJSON(n.Payload):
		return tandem.Errorf(tandem.EINVALID, "notification %s: the payload is not JSON", n.ID)
	case n.CreatedAt.IsZero():
		return tandem.Errorf(tandem.EINVALID, "notification %s has no creation time", n.ID)
	case n.Attempts < 0:
		return tandem.Errorf(tandem.EINVALID, "notification %s: %d attempts", n.ID, n.Attempts)
	}
	dl := db.dialect
	_, err := tx.ExecContext(ctx, dl.bind("INSERT INTO desk_outbox (id, channel, event, payload, status, attempts, next_at, last_error, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"),
		n.ID, n.Channel, n.Event, string(n.Payload), string(n.Status), int64(n.Attempts), dl.timeArg(n.NextAt), n.LastError, dl.timeArg(n.CreatedAt))
	if kind, _ := violation(err); kind == "unique" {
		return &tandem.Error{Code: tandem.ECONFLICT, Message: fmt.Sprintf("a notification with id %q exists", n.ID), Err: err}
	}
	if err != nil {
		return fmt.Errorf("queue notification %s: %w", n.ID, constraintError("", err))
	}
	return nil
}

// limitClause is the LIMIT of a list of the outbox: none for 0, which is
// every row.
func limitClause(limit int) (string, error) {
	if limit < 0 {
		return "", tandem.Errorf(tandem.EINVALID, "limit %d: a limit cannot be negative", limit)
	}
	if limit == 0 {
		return "", nil
	}
	return fmt.Sprintf(" LIMIT %d", limit), nil
}

// DueNotifications implements tandem.DeskStore. Oldest is creation order;
// a limit of 0, as for Notifications, is every due notification.
func (db *DB) DueNotifications(ctx context.Context, now time.Time, limit int) ([]tandem.Notification, error) {
	lim, err := limitClause(limit)
	if err != nil {
		return nil, fmt.Errorf("due notifications: %w", err)
	}
	dl := db.dialect
	out, err := queryAll(ctx, db.reader, "due notifications",
		dl.bind("SELECT "+notificationColumns+" FROM desk_outbox AS n WHERE n.status = ? AND n.next_at <= ? ORDER BY "+dl.outboxOrder(false)+lim),
		[]any{string(tandem.NotifyPending), dl.timeArg(now)}, notificationDest)
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []tandem.Notification{}
	}
	return out, nil
}

// MarkNotification implements tandem.DeskStore. A zero NextAt keeps the
// stored one (a delivered notification has no next attempt).
func (db *DB) MarkNotification(ctx context.Context, n tandem.Notification) error {
	if !notificationStatus(n.Status) || n.Attempts < 0 {
		return tandem.Errorf(tandem.EINVALID, "mark notification %s: status %q with %d attempts", n.ID, n.Status, n.Attempts)
	}
	dl := db.dialect
	err := db.inWriteTx(ctx, func(tx *sql.Tx) error {
		return updateOne(ctx, tx, tandem.Errorf(tandem.ENOTFOUND, "no notification %q", n.ID),
			dl.bind("UPDATE desk_outbox SET status = ?, attempts = ?, next_at = COALESCE(?, next_at), last_error = ? WHERE id = ?"),
			string(n.Status), int64(n.Attempts), dl.timeArg(n.NextAt), n.LastError, n.ID)
	})
	if err != nil {
		return fmt.Errorf("mark notification %s: %w", n.ID, deskConflict(err))
	}
	return nil
}

// Notifications implements tandem.DeskStore. Newest is creation order.
func (db *DB) Notifications(ctx context.Context, limit int) ([]tandem.Notification, error) {
	lim, err := limitClause(limit)
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	dl := db.dialect
	out, err := queryAll(ctx, db.reader, "list notifications",
		dl.bind("SELECT "+notificationColumns+" FROM desk_outbox AS n ORDER BY "+dl.outboxOrder(true)+lim), nil, notificationDest)
	if err != nil {
		return nil, err
	}
	if out == nil {
		out = []tandem.Notification{}
	}
	return out, nil
}
