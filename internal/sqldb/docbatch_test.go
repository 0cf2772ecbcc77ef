package sqldb

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
)

// blob is a stored file with the given bytes.
func blob(data string) tandem.Blob {
	sum := sha256.Sum256([]byte(data))
	return tandem.Blob{SHA256: hex.EncodeToString(sum[:]), ContentType: "text/plain", Data: []byte(data)}
}

func TestWriteDocs(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		b1, b2 := blob("first file"), blob("second file")
		w := tandem.DocWrite{
			Docs:   []tandem.Doc{doc("feedback", "fb-1", 1, "A-1"), doc("feedback", "fb-2", 1, "A-2")},
			Blobs:  []tandem.Blob{b1},
			Audit:  []tandem.AuditEntry{entry("ann@example.com", "feedback.import", "x.csv", 1)},
			Notify: []tandem.Notification{notice("n1", 1)},
		}
		if err := db.WriteDocs(ctx, w); err != nil {
			t.Fatal(err)
		}
		wantDocs(t, "feedback", mustDocs(t, db, "feedback"), storedDoc(w.Docs[0]), storedDoc(w.Docs[1]))

		// A batch with one version out of order writes nothing: not the
		// new document before it, not its blob, audit entry or notice.
		bad := tandem.DocWrite{
			Docs:   []tandem.Doc{doc("feedback", "fb-3", 1, ""), doc("feedback", "fb-1", 1, "A-1")},
			Blobs:  []tandem.Blob{b2},
			Audit:  []tandem.AuditEntry{entry("ann@example.com", "feedback.import", "y.csv", 2)},
			Notify: []tandem.Notification{notice("n2", 2)},
		}
		err := db.WriteDocs(ctx, bad)
		if tandem.ErrorCode(err) != tandem.ECONFLICT || !strings.Contains(err.Error(), `feedback "fb-1" version 1`) {
			t.Fatalf("conflicting batch: %v", err)
		}
		wantDocs(t, "after the refused batch", mustDocs(t, db, "feedback"), storedDoc(w.Docs[0]), storedDoc(w.Docs[1]))
		if _, err := db.Blob(ctx, b2.SHA256); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("blob of the refused batch: %v", err)
		}
		if n, _ := db.Notifications(ctx, 0); len(n) != 1 {
			t.Errorf("outbox has %d notifications, want 1", len(n))
		}
		if a := auditAll(t, db); len(a) != 1 {
			t.Errorf("audit has %d entries, want 1", len(a))
		}

		// A blob attached again is stored once; one whose name is not its
		// hash is refused.
		if err := db.WriteDocs(ctx, tandem.DocWrite{Docs: []tandem.Doc{doc("feedback", "fb-1", 2, "A-1")}, Blobs: []tandem.Blob{b1, b2}}); err != nil {
			t.Fatal(err)
		}
		got, err := db.Blob(ctx, b1.SHA256)
		if err != nil || !bytes.Equal(got.Data, b1.Data) || got.ContentType != "text/plain" {
			t.Errorf("blob: %+v, %v", got, err)
		}
		forged := b1
		forged.Data = []byte("other bytes")
		if err := db.WriteDocs(ctx, tandem.DocWrite{Blobs: []tandem.Blob{forged}}); tandem.ErrorCode(err) != tandem.EINVALID {
			t.Errorf("forged blob: %v", err)
		}

		// A backup keeps the files.
		path := t.TempDir() + "/backup.db"
		if err := db.Backup(ctx, path); err != nil {
			t.Fatal(err)
		}
		restored, err := Open(ctx, path, tandem.NewCatalog())
		if err != nil {
			t.Fatal(err)
		}
		defer restored.Close()
		for _, b := range []tandem.Blob{b1, b2} {
			if got, err := restored.Blob(ctx, b.SHA256); err != nil || !bytes.Equal(got.Data, b.Data) {
				t.Errorf("restored blob %s: %v", b.SHA256[:8], err)
			}
		}
	})
}

// mustDocs is every latest document of a kind.
func mustDocs(t *testing.T, db *DB, kind string) []tandem.Doc {
	t.Helper()
	ds, err := db.Docs(context.Background(), kind, "")
	if err != nil {
		t.Fatal(err)
	}
	return ds
}
