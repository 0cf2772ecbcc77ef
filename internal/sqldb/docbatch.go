package sqldb

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/tandemhq/tandem"
)

// checkBlob refuses a blob whose name is not the SHA-256 of its bytes: the
// name is the promise that two equal names hold equal files.
func checkBlob(b tandem.Blob) error {
	sum := sha256.Sum256(b.Data)
	if hex.EncodeToString(sum[:]) != b.SHA256 {
		return tandem.Errorf(tandem.EINVALID, "blob %q: the name is not the SHA-256 of its %d bytes", b.SHA256, len(b.Data))
	}
	return nil
}

// WriteDocs implements tandem.DocBatchStore.
func (db *DB) WriteDocs(ctx context.Context, w tandem.DocWrite) error {
	for _, d := range w.Docs {
		if err := checkDoc(d); err != nil {
			return fmt.Errorf("write documents: %w", err)
		}
	}
	for _, b := range w.Blobs {
		if err := checkBlob(b); err != nil {
			return fmt.Errorf("write documents: %w", err)
		}
	}
	// Documents go in kind order (stable, so versions of one document keep
	// theirs): each kind's stamp row is locked in the same order by every
	// batch, and two batches cannot deadlock on PostgreSQL.
	docs := slices.Clone(w.Docs)
	slices.SortStableFunc(docs, func(a, b tandem.Doc) int { return strings.Compare(a.Kind, b.Kind) })
	var at tandem.Doc
	err := db.inWriteTx(ctx, func(tx *sql.Tx) error {
		for _, b := range w.Blobs {
			if err := db.insertBlob(ctx, tx, b); err != nil {
				return err
			}
		}
		for _, d := range docs {
			at = d
			if err := db.insertDoc(ctx, tx, d); err != nil {
				return err
			}
		}
		at = tandem.Doc{}
		for _, a := range w.Audit {
			if err := db.insertAudit(ctx, tx, a); err != nil {
				return err
			}
		}
		for _, n := range w.Notify {
			if err := db.insertNotification(ctx, tx, n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if at.Kind != "" {
			return fmt.Errorf("write %s %q version %d: %w", at.Kind, at.ID, at.Version, deskConflict(err))
		}
		return fmt.Errorf("write documents: %w", deskConflict(err))
	}
	return nil
}

// insertBlob stores a blob unless one with its name is already there.
func (db *DB) insertBlob(ctx context.Context, tx *sql.Tx, b tandem.Blob) error {
	_, err := tx.ExecContext(ctx, db.dialect.bind("INSERT INTO blobs (sha256, content_type, size, data) VALUES (?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING"),
		b.SHA256, b.ContentType, int64(len(b.Data)), b.Data)
	if err != nil {
		return fmt.Errorf("insert blob %s: %w", b.SHA256, err)
	}
	return nil
}

// Blob implements tandem.DocBatchStore.
func (db *DB) Blob(ctx context.Context, sum string) (tandem.Blob, error) {
	b := tandem.Blob{SHA256: sum}
	err := db.reader.QueryRowContext(ctx, db.dialect.bind("SELECT content_type, data FROM blobs WHERE sha256 = ?"), sum).Scan(&b.ContentType, &b.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return b, tandem.Errorf(tandem.ENOTFOUND, "no stored file %q", sum)
	}
	if err != nil {
		return b, fmt.Errorf("read blob %s: %w", sum, err)
	}
	return b, nil
}

// copyBlobs copies every blob from the snapshot tx into dst, one at a time
// so that large files are not all held in memory at once.
func (db *DB) copyBlobs(ctx context.Context, tx *sql.Tx, dst *DB) error {
	rows, err := tx.QueryContext(ctx, "SELECT sha256 FROM blobs ORDER BY sha256")
	if err != nil {
		return fmt.Errorf("read blobs: %w", err)
	}
	var sums []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return fmt.Errorf("read blobs: %w", err)
		}
		sums = append(sums, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read blobs: %w", err)
	}
	for _, s := range sums {
		b := tandem.Blob{SHA256: s}
		if err := tx.QueryRowContext(ctx, db.dialect.bind("SELECT content_type, data FROM blobs WHERE sha256 = ?"), s).Scan(&b.ContentType, &b.Data); err != nil {
			return fmt.Errorf("read blob %s: %w", s, err)
		}
		if err := dst.inWriteTx(ctx, func(w *sql.Tx) error { return dst.insertBlob(ctx, w, b) }); err != nil {
			return err
		}
	}
	return nil
}
