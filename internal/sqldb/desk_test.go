package sqldb

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

// The desk tests reuse the account tests' clock (tick), precision (stored)
// and audit helpers (entry, auditAll).

// doc is version v of a document, created at second v, whose body names
// its id and version (with a non-ASCII character and odd spacing, which
// the store must keep byte for byte).
func doc(kind, id string, v int, ref string) tandem.Doc {
	return tandem.Doc{Kind: kind, ID: id, Version: v, Ref: ref, Author: "ann@example.com", Note: fmt.Sprintf("v%d", v), CreatedAt: tick(v),
		Body: json.RawMessage(fmt.Sprintf(`{"id": %q,  "version":%d, "note": "Zürich \u00e9", "lines": [1, 2.50, {"x": null}]}`, id, v))}
}

// approval is an open step of a rule on quote q version v.
func approval(id, q string, v int, rule string, level, step int, status tandem.ApprovalStatus) tandem.Approval {
	return tandem.Approval{ID: id, QuoteID: q, QuoteVersion: v, DealID: "deal-" + q, Rule: rule, Level: level, Mode: "sequential", Step: step,
		Approver: "mgr@example.com", Via: "manager of rep Ann", Status: status, Basis: "discount above 20%",
		Evidence: []string{"discount 25%", `band "p75" 18%`, "Zürich"}, RequestedAt: tick(step)}
}

// notice is a pending notification created at second n.
func notice(id string, n int) tandem.Notification {
	return tandem.Notification{ID: id, Channel: "webhook:slack", Event: "approval.requested", Status: tandem.NotifyPending,
		Payload: json.RawMessage(fmt.Sprintf(`{"id":%q, "n": %d}`, id, n)), NextAt: tick(n), CreatedAt: tick(n)}
}

// storedDoc, storedApproval and storedNote are what the store gives back
// for a value written: times in UTC at microseconds, evidence never nil,
// an empty outbox status pending and a zero NextAt the creation time.
func storedDoc(d tandem.Doc) tandem.Doc {
	d.CreatedAt = stored(d.CreatedAt)
	return d
}

func storedApproval(a tandem.Approval) tandem.Approval {
	a.RequestedAt, a.DueAt, a.ActedAt = stored(a.RequestedAt), stored(a.DueAt), stored(a.ActedAt)
	if a.Evidence == nil {
		a.Evidence = []string{}
	}
	return a
}

func storedNote(n tandem.Notification) tandem.Notification {
	if n.Status == "" {
		n.Status = tandem.NotifyPending
	}
	if n.NextAt.IsZero() {
		n.NextAt = n.CreatedAt
	}
	n.NextAt, n.CreatedAt = stored(n.NextAt), stored(n.CreatedAt)
	return n
}

// wantDocs compares documents read back with those written, body bytes
// included.
func wantDocs(t *testing.T, what string, got []tandem.Doc, want ...tandem.Doc) {
	t.Helper()
	for i := range want {
		want[i] = storedDoc(want[i])
	}
	if len(got) != len(want) {
		t.Errorf("%s: got %d documents %s, want %d %s", what, len(got), docKeys(got), len(want), docKeys(want))
		return
	}
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Errorf("%s[%d]:\n got %+v\nwant %+v\n got body %s\nwant body %s", what, i, got[i], want[i], got[i].Body, want[i].Body)
		}
	}
}

func docKeys(ds []tandem.Doc) string {
	var s []string
	for _, d := range ds {
		s = append(s, fmt.Sprintf("%s/%s@%d", d.Kind, d.ID, d.Version))
	}
	return "[" + strings.Join(s, " ") + "]"
}

// approvalsOf returns the approvals matching q, failing the test on error.
func approvalsOf(t *testing.T, db *DB, q tandem.ApprovalQuery) []tandem.Approval {
	t.Helper()
	got, err := db.Approvals(context.Background(), q)
	if err != nil {
		t.Fatalf("Approvals(%+v): %v", q, err)
	}
	return got
}

// statuses maps each approval id to its status.
func statuses(as []tandem.Approval) map[string]tandem.ApprovalStatus {
	m := map[string]tandem.ApprovalStatus{}
	for _, a := range as {
		m[a.ID] = a.Status
	}
	return m
}

func ids[T any](xs []T, id func(T) string) string {
	var s []string
	for _, x := range xs {
		s = append(s, id(x))
	}
	return strings.Join(s, " ")
}

func approvalID(a tandem.Approval) string { return a.ID }
func noteID(n tandem.Notification) string { return n.ID }
func outbox(t *testing.T, db *DB) string  { return ids(notifications(t, db, 0), noteID) }

// notifications lists the outbox, failing the test on error.
func notifications(t *testing.T, db *DB, limit int) []tandem.Notification {
	t.Helper()
	got, err := db.Notifications(context.Background(), limit)
	if err != nil {
		t.Fatalf("Notifications(%d): %v", limit, err)
	}
	return got
}

func TestDeskDocs(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		moved := doc(tandem.DocQuote, "Q-3", 2, "D-2") // Q-3 moves from deal D-1 to D-2
		badBody := doc(tandem.DocQuote, "Q-9", 1, "")
		badBody.Body = json.RawMessage(`{"a":`)
		notUTF8 := doc(tandem.DocQuote, "Q-9", 1, "")
		notUTF8.Body = json.RawMessage("\"\xff\"")
		noTime := doc(tandem.DocQuote, "Q-9", 1, "")
		noTime.CreatedAt = time.Time{}
		// Applied in order: each write sees the ones before it.
		for _, c := range []struct {
			name string
			d    tandem.Doc
			code string // "" for success
			msg  string // a part of the error message
		}{
			{"first version", doc(tandem.DocQuote, "Q-1", 1, "D-1"), "", ""},
			{"same version again", doc(tandem.DocQuote, "Q-1", 1, "D-1"), tandem.ECONFLICT, "Q-1 is at version 1; version 1 was submitted"},
			{"a version skipped", doc(tandem.DocQuote, "Q-1", 3, "D-1"), tandem.ECONFLICT, "Q-1 is at version 1; version 3 was submitted"},
			{"second version", doc(tandem.DocQuote, "Q-1", 2, "D-1"), "", ""},
			{"new document not at 1", doc(tandem.DocQuote, "Q-2", 2, "D-1"), tandem.ECONFLICT, "no version yet; version 2"},
			{"another document", doc(tandem.DocQuote, "Q-2", 1, "D-1"), "", ""},
			{"same id, another kind", doc(tandem.DocReview, "Q-1", 1, "D-1"), "", ""},
			{"moving document v1", doc(tandem.DocQuote, "Q-3", 1, "D-1"), "", ""},
			{"moving document v2", moved, "", ""},
			{"version 0", doc(tandem.DocQuote, "Q-9", 0, ""), tandem.EINVALID, "versions count from 1"},
			{"no kind", doc("", "Q-9", 1, ""), tandem.EINVALID, "kind"},
			{"no id", doc(tandem.DocQuote, "", 1, ""), tandem.EINVALID, "id"},
			{"body not JSON", badBody, tandem.EINVALID, "not JSON"},
			{"body not UTF-8", notUTF8, tandem.EINVALID, "not JSON"},
			{"no creation time", noTime, tandem.EINVALID, "creation time"},
		} {
			err := db.PutDoc(ctx, c.d, nil)
			if c.code == "" {
				if err != nil {
					t.Errorf("%s: %v", c.name, err)
				}
				continue
			}
			wantCode(t, err, c.code)
			if !strings.Contains(err.Error(), c.msg) {
				t.Errorf("%s: error %q does not say %q", c.name, err, c.msg)
			}
		}

		got, err := db.Doc(ctx, tandem.DocQuote, "Q-1", 0)
		if err != nil {
			t.Fatal(err)
		}
		wantDocs(t, "latest Q-1", []tandem.Doc{got}, doc(tandem.DocQuote, "Q-1", 2, "D-1"))
		if !bytes.Equal(got.Body, doc(tandem.DocQuote, "Q-1", 2, "").Body) {
			t.Errorf("body changed in the store:\n got %s\nwant %s", got.Body, doc(tandem.DocQuote, "Q-1", 2, "").Body)
		}
		got, err = db.Doc(ctx, tandem.DocQuote, "Q-1", 1)
		if err != nil {
			t.Fatal(err)
		}
		wantDocs(t, "Q-1 version 1", []tandem.Doc{got}, doc(tandem.DocQuote, "Q-1", 1, "D-1"))
		for _, c := range []struct {
			kind, id string
			version  int
			code     string
		}{
			{tandem.DocQuote, "Q-1", 3, tandem.ENOTFOUND},
			{tandem.DocQuote, "nope", 0, tandem.ENOTFOUND},
			{tandem.DocQuote, "nope", 1, tandem.ENOTFOUND},
			{tandem.DocRules, "Q-1", 0, tandem.ENOTFOUND},
			{tandem.DocQuote, "Q-1", -1, tandem.EINVALID},
		} {
			_, err := db.Doc(ctx, c.kind, c.id, c.version)
			wantCode(t, err, c.code)
		}

		vs, err := db.DocVersions(ctx, tandem.DocQuote, "Q-1")
		if err != nil {
			t.Fatal(err)
		}
		wantDocs(t, "versions of Q-1", vs, doc(tandem.DocQuote, "Q-1", 1, "D-1"), doc(tandem.DocQuote, "Q-1", 2, "D-1"))
		_, err = db.DocVersions(ctx, tandem.DocQuote, "nope")
		wantCode(t, err, tandem.ENOTFOUND)

		for _, c := range []struct {
			kind, ref string
			want      []tandem.Doc
		}{
			{tandem.DocQuote, "", []tandem.Doc{doc(tandem.DocQuote, "Q-1", 2, "D-1"), doc(tandem.DocQuote, "Q-2", 1, "D-1"), moved}},
			{tandem.DocQuote, "D-1", []tandem.Doc{doc(tandem.DocQuote, "Q-1", 2, "D-1"), doc(tandem.DocQuote, "Q-2", 1, "D-1")}},
			{tandem.DocQuote, "D-2", []tandem.Doc{moved}},
			{tandem.DocQuote, "D-3", nil},
			{tandem.DocReview, "", []tandem.Doc{doc(tandem.DocReview, "Q-1", 1, "D-1")}},
			{tandem.DocRules, "", nil},
		} {
			got, err := db.Docs(ctx, c.kind, c.ref)
			if err != nil {
				t.Fatal(err)
			}
			if got == nil {
				t.Errorf("Docs(%s, %q) = nil, want an empty list", c.kind, c.ref)
			}
			wantDocs(t, fmt.Sprintf("Docs(%s, %q)", c.kind, c.ref), got, c.want...)
		}

		// The audit entry lands with the version, and not without it.
		before := len(auditAll(t, db))
		a := entry("ann@example.com", "desk.rules.put", "rules:active", 1)
		if err := db.PutDoc(ctx, doc(tandem.DocRules, "active", 1, ""), &a); err != nil {
			t.Fatal(err)
		}
		wantCode(t, db.PutDoc(ctx, doc(tandem.DocRules, "active", 1, ""), &a), tandem.ECONFLICT)
		bad := entry("ann@example.com", "", "rules:active", 2) // no action: refused
		wantCode(t, db.PutDoc(ctx, doc(tandem.DocRules, "active", 2, ""), &bad), tandem.EINVALID)
		if _, err := db.Doc(ctx, tandem.DocRules, "active", 2); tandem.ErrorCode(err) != tandem.ENOTFOUND {
			t.Errorf("a version whose audit entry failed was kept (err %v)", err)
		}
		if got := auditAll(t, db); len(got) != before+1 || got[0].Action != "desk.rules.put" || got[0].Target != "rules:active" {
			t.Errorf("audit after PutDoc: %d entries (want %d), newest %+v", len(got), before+1, got[0])
		}
	})
}

func TestSaveQuote(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		dv, err := db.DataVersion(ctx)
		if err != nil {
			t.Fatal(err)
		}
		// Version 1 of Q-1: an approved step, a pending one and a waiting
		// one behind it; Q-2, another quote, has a pending step too.
		a1 := approval("a1", "Q-1", 1, "discount", 1, 0, tandem.ApprovalApproved)
		a1.ActedBy, a1.ActedAt, a1.Reason = "mgr@example.com", tick(3), "fine"
		a2 := approval("a2", "Q-1", 1, "big-deal", 2, 0, tandem.ApprovalPending)
		a2.DueAt = tick(100)
		a3 := approval("a3", "Q-1", 1, "big-deal", 2, 1, tandem.ApprovalWaiting)
		a3.Evidence = nil
		a3.Chain, a3.Mode, a3.CarriedFrom = "cfo", "parallel-any", "a0"
		q2 := approval("q2", "Q-2", 1, "discount", 1, 0, tandem.ApprovalPending)
		audit := entry("rep@example.com", "desk.quote.save", "quote:Q-1", 1)
		w := tandem.QuoteWrite{Doc: doc(tandem.DocQuote, "Q-1", 1, "D-1"), Approvals: []tandem.Approval{a3, a2, a1},
			Notify: []tandem.Notification{notice("n1", 1)}}
		if err := db.SaveQuote(ctx, w, &audit); err != nil {
			t.Fatal(err)
		}
		if err := db.SaveQuote(ctx, tandem.QuoteWrite{Doc: doc(tandem.DocQuote, "Q-2", 1, "D-2"), Approvals: []tandem.Approval{q2}}, nil); err != nil {
			t.Fatal(err)
		}
		got := approvalsOf(t, db, tandem.ApprovalQuery{QuoteID: "Q-1"})
		// Ordered by level, then rule, then step; evidence round-trips,
		// and none is an empty list.
		want := []tandem.Approval{storedApproval(a1), storedApproval(a2), storedApproval(a3)}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("approvals of Q-1:\n got %+v\nwant %+v", got, want)
		}
		if got, err := db.Doc(ctx, tandem.DocQuote, "Q-1", 0); err != nil || got.Version != 1 {
			t.Errorf("quote after SaveQuote: %+v, %v", got, err)
		}
		if a := auditAll(t, db); len(a) != 1 || a[0].Action != "desk.quote.save" {
			t.Errorf("audit after SaveQuote: %+v", a)
		}
		if got := outbox(t, db); got != "n1" {
			t.Errorf("outbox after SaveQuote: %s, want n1", got)
		}

		// Failed writes leave nothing behind: not the quote version, not
		// the superseding, not the approvals, the notifications or the
		// audit entry.
		b1 := approval("b1", "Q-1", 2, "discount", 1, 0, tandem.ApprovalPending)
		v2 := func(as ...tandem.Approval) tandem.QuoteWrite {
			return tandem.QuoteWrite{Doc: doc(tandem.DocQuote, "Q-1", 2, "D-1"), Approvals: as, Notify: []tandem.Notification{notice("n2", 2)}}
		}
		wrongVersion := approval("b9", "Q-1", 1, "discount", 1, 0, tandem.ApprovalPending)
		badStatus := approval("b9", "Q-1", 2, "discount", 1, 0, "maybe")
		badMode := approval("b9", "Q-1", 2, "discount", 1, 0, tandem.ApprovalPending)
		badMode.Mode = "whenever"
		noTime := approval("b9", "Q-1", 2, "discount", 1, 0, tandem.ApprovalPending)
		noTime.RequestedAt = time.Time{}
		rules := v2(b1)
		rules.Doc.Kind = tandem.DocRules
		dupNotice := v2(b1)
		dupNotice.Notify = append(dupNotice.Notify, notice("n1", 3))
		for _, c := range []struct {
			name string
			w    tandem.QuoteWrite
			code string
		}{
			{"duplicate approval id in the write", v2(b1, b1), tandem.ECONFLICT},
			{"approval id already stored", v2(b1, approval("a2", "Q-1", 2, "terms", 1, 0, tandem.ApprovalPending)), tandem.ECONFLICT},
			{"notification id already stored", dupNotice, tandem.ECONFLICT},
			{"version already stored", tandem.QuoteWrite{Doc: doc(tandem.DocQuote, "Q-1", 1, "D-1")}, tandem.ECONFLICT},
			{"version skipped", tandem.QuoteWrite{Doc: doc(tandem.DocQuote, "Q-1", 3, "D-1")}, tandem.ECONFLICT},
			{"approval of another version", v2(b1, wrongVersion), tandem.EINVALID},
			{"unknown approval status", v2(b1, badStatus), tandem.EINVALID},
			{"unknown mode", v2(b1, badMode), tandem.EINVALID},
			{"approval without request time", v2(b1, noTime), tandem.EINVALID},
			{"not a quote", rules, tandem.EINVALID},
		} {
			a := entry("rep@example.com", "desk.quote.save", "quote:Q-1", 2)
			err := db.SaveQuote(ctx, c.w, &a)
			if tandem.ErrorCode(err) != c.code {
				t.Errorf("%s: got %v (code %s), want code %s", c.name, err, tandem.ErrorCode(err), c.code)
			}
		}
		if got, err := db.Doc(ctx, tandem.DocQuote, "Q-1", 0); err != nil || got.Version != 1 {
			t.Errorf("after failed saves the latest quote is %+v, %v; want version 1", got, err)
		}
		if got, want := statuses(approvalsOf(t, db, tandem.ApprovalQuery{})), map[string]tandem.ApprovalStatus{"a1": "approved", "a2": "pending", "a3": "waiting", "q2": "pending"}; !reflect.DeepEqual(got, want) {
			t.Errorf("after failed saves approvals are %v, want %v", got, want)
		}
		if got := outbox(t, db); got != "n1" {
			t.Errorf("after failed saves the outbox is %s, want n1", got)
		}
		if got := len(auditAll(t, db)); got != 1 {
			t.Errorf("after failed saves %d audit entries, want 1", got)
		}

		// Version 2 supersedes the open steps of version 1 only: the
		// approved one stands, and Q-2 is not touched.
		if err := db.SaveQuote(ctx, v2(b1), &audit); err != nil {
			t.Fatal(err)
		}
		if got, want := statuses(approvalsOf(t, db, tandem.ApprovalQuery{})), map[string]tandem.ApprovalStatus{
			"a1": "approved", "a2": "superseded", "a3": "superseded", "b1": "pending", "q2": "pending"}; !reflect.DeepEqual(got, want) {
			t.Errorf("after version 2 approvals are %v, want %v", got, want)
		}
		if got := outbox(t, db); got != "n2 n1" {
			t.Errorf("outbox after version 2: %s, want n2 n1", got)
		}
		// Desk writes are not analytics data.
		if v, err := db.DataVersion(ctx); err != nil || v != dv {
			t.Errorf("data version %d after desk writes, want %d (%v)", v, dv, err)
		}
	})
}

func TestApprovalsQuery(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		mk := func(id, q string, v int, rule string, level, step int, st tandem.ApprovalStatus, approver string, due int) tandem.Approval {
			a := approval(id, q, v, rule, level, step, st)
			a.Approver = approver
			if due > 0 {
				a.DueAt = tick(due)
			}
			return a
		}
		// Written out of order, so that the order read back is the store's.
		save := func(q string, v int, as ...tandem.Approval) {
			t.Helper()
			if err := db.SaveQuote(ctx, tandem.QuoteWrite{Doc: doc(tandem.DocQuote, q, v, "D"), Approvals: as}, nil); err != nil {
				t.Fatal(err)
			}
		}
		save("Q-B", 1,
			mk("b-step1", "Q-B", 1, "zeta", 1, 1, tandem.ApprovalWaiting, "cfo@example.com", 50),
			mk("b-step0", "Q-B", 1, "zeta", 1, 0, tandem.ApprovalPending, "mgr@example.com", 10),
			mk("b-alpha", "Q-B", 1, "alpha", 1, 0, tandem.ApprovalPending, "cfo@example.com", 0),
			mk("b-level0", "Q-B", 1, "zeta", 0, 0, tandem.ApprovalApproved, "mgr@example.com", 5))
		save("Q-A", 1, mk("a-v1", "Q-A", 1, "alpha", 1, 0, tandem.ApprovalPending, "mgr@example.com", 20))
		save("Q-A", 2, mk("a-v2", "Q-A", 2, "alpha", 1, 0, tandem.ApprovalPending, "mgr@example.com", 30))
		for _, c := range []struct {
			name string
			q    tandem.ApprovalQuery
			want string
		}{
			{"all, in order", tandem.ApprovalQuery{}, "a-v1 a-v2 b-level0 b-alpha b-step0 b-step1"},
			{"id", tandem.ApprovalQuery{ID: "b-step0"}, "b-step0"},
			{"id and a filter it fails", tandem.ApprovalQuery{ID: "b-step0", QuoteID: "Q-A"}, ""},
			{"quote", tandem.ApprovalQuery{QuoteID: "Q-A"}, "a-v1 a-v2"},
			{"quote version", tandem.ApprovalQuery{QuoteID: "Q-A", QuoteVersion: 2}, "a-v2"},
			{"approver", tandem.ApprovalQuery{Approver: "cfo@example.com"}, "b-alpha b-step1"},
			{"one status", tandem.ApprovalQuery{Status: []tandem.ApprovalStatus{tandem.ApprovalSuperseded}}, "a-v1"},
			{"any of statuses", tandem.ApprovalQuery{Status: []tandem.ApprovalStatus{tandem.ApprovalWaiting, tandem.ApprovalApproved}}, "b-level0 b-step1"},
			{"approver and status", tandem.ApprovalQuery{Approver: "mgr@example.com", Status: []tandem.ApprovalStatus{tandem.ApprovalPending}}, "a-v2 b-step0"},
			// Due before second 40: pending steps with a due date before
			// it; not the waiting one due at 50 (later anyway), the
			// approved one due at 5, the pending one without a due date,
			// nor the superseded one.
			{"due before", tandem.ApprovalQuery{DueBefore: tick(40)}, "a-v2 b-step0"},
			{"due before, strictly", tandem.ApprovalQuery{DueBefore: tick(30)}, "b-step0"},
			{"due before with approver", tandem.ApprovalQuery{DueBefore: tick(100), Approver: "cfo@example.com"}, ""},
			{"nothing", tandem.ApprovalQuery{QuoteID: "Q-C"}, ""},
		} {
			got := approvalsOf(t, db, c.q)
			if got == nil {
				t.Errorf("%s: nil, want an empty list", c.name)
			}
			if s := ids(got, approvalID); s != c.want {
				t.Errorf("%s: got %q, want %q", c.name, s, c.want)
			}
		}
	})
}

func TestUpdateApprovals(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		p1 := approval("p1", "Q-1", 1, "discount", 1, 0, tandem.ApprovalPending)
		p1.DueAt = tick(50)
		w1 := approval("w1", "Q-1", 1, "discount", 1, 1, tandem.ApprovalWaiting)
		p2 := approval("p2", "Q-1", 1, "terms", 2, 0, tandem.ApprovalPending)
		if err := db.SaveQuote(ctx, tandem.QuoteWrite{Doc: doc(tandem.DocQuote, "Q-1", 1, "D-1"), Approvals: []tandem.Approval{p1, w1, p2}}, nil); err != nil {
			t.Fatal(err)
		}
		one := func(id string) tandem.Approval {
			t.Helper()
			got := approvalsOf(t, db, tandem.ApprovalQuery{ID: id})
			if len(got) != 1 {
				t.Fatalf("approval %s: %+v", id, got)
			}
			return got[0]
		}

		// Each case is applied in order, with an audit entry and a
		// notification that must land exactly when the updates do.
		for i, c := range []struct {
			name    string
			updates []tandem.ApprovalUpdate
			code    string
			msg     string
			want    map[string]tandem.ApprovalStatus // statuses after the case
		}{
			{"approve", []tandem.ApprovalUpdate{{ID: "p1", From: "pending", Status: "approved", Reason: "within band", ActedBy: "mgr@example.com", ActedAt: tick(10)}},
				"", "", map[string]tandem.ApprovalStatus{"p1": "approved", "w1": "waiting", "p2": "pending"}},
			{"approve twice", []tandem.ApprovalUpdate{{ID: "p1", From: "pending", Status: "approved", ActedBy: "other@example.com", ActedAt: tick(11)}},
				tandem.ECONFLICT, "approval p1 is approved, not pending", nil},
			{"unknown approval", []tandem.ApprovalUpdate{{ID: "nope", From: "pending", Status: "approved"}},
				tandem.ENOTFOUND, `no approval "nope"`, nil},
			{"second update fails", []tandem.ApprovalUpdate{
				{ID: "w1", From: "waiting", Status: "pending", DueAt: tick(60)},
				{ID: "p2", From: "waiting", Status: "pending"}},
				tandem.ECONFLICT, "approval p2 is pending, not waiting", nil},
			{"second update unknown", []tandem.ApprovalUpdate{
				{ID: "w1", From: "waiting", Status: "pending"},
				{ID: "zz", From: "waiting", Status: "pending"}},
				tandem.ENOTFOUND, "zz", nil},
			{"unknown status", []tandem.ApprovalUpdate{{ID: "w1", From: "waiting", Status: "done"}}, tandem.EINVALID, "", nil},
			{"next step and escalation", []tandem.ApprovalUpdate{
				{ID: "w1", From: "waiting", Status: "pending", DueAt: tick(60)},
				{ID: "p2", From: "pending", Status: "pending", Approver: "vp@example.com", Via: "escalated from mgr@example.com", DueAt: tick(70)}},
				"", "", map[string]tandem.ApprovalStatus{"p1": "approved", "w1": "pending", "p2": "pending"}},
		} {
			before := statuses(approvalsOf(t, db, tandem.ApprovalQuery{}))
			nAudit, nOutbox := len(auditAll(t, db)), len(notifications(t, db, 0))
			a := entry("mgr@example.com", "desk.approval."+c.name, "quote:Q-1", i)
			n := notice(fmt.Sprintf("n%d", i), i)
			err := db.UpdateApprovals(ctx, c.updates, []tandem.AuditEntry{a}, []tandem.Notification{n})
			if c.code == "" {
				if err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				if got := statuses(approvalsOf(t, db, tandem.ApprovalQuery{})); !reflect.DeepEqual(got, c.want) {
					t.Errorf("%s: statuses %v, want %v", c.name, got, c.want)
				}
				if got := auditAll(t, db); len(got) != nAudit+1 || got[0].Action != a.Action {
					t.Errorf("%s: the audit entry was not written", c.name)
				}
				if got := notifications(t, db, 0); len(got) != nOutbox+1 || got[0].ID != n.ID {
					t.Errorf("%s: the notification was not queued", c.name)
				}
				continue
			}
			if tandem.ErrorCode(err) != c.code || !strings.Contains(fmt.Sprint(err), c.msg) {
				t.Errorf("%s: got %v (code %s), want code %s saying %q", c.name, err, tandem.ErrorCode(err), c.code, c.msg)
			}
			if got := statuses(approvalsOf(t, db, tandem.ApprovalQuery{})); !reflect.DeepEqual(got, before) {
				t.Errorf("%s failed but changed statuses to %v, from %v", c.name, got, before)
			}
			if len(auditAll(t, db)) != nAudit || len(notifications(t, db, 0)) != nOutbox {
				t.Errorf("%s failed but wrote its audit entry or notification", c.name)
			}
		}

		// The fields an update sets, and those it leaves alone.
		want := storedApproval(p1)
		want.Status, want.Reason, want.ActedBy, want.ActedAt = "approved", "within band", "mgr@example.com", stored(tick(10))
		if got := one("p1"); !reflect.DeepEqual(got, want) {
			t.Errorf("approved p1:\n got %+v\nwant %+v", got, want)
		}
		want = storedApproval(p2)
		want.Approver, want.Via, want.DueAt = "vp@example.com", "escalated from mgr@example.com", stored(tick(70))
		if got := one("p2"); !reflect.DeepEqual(got, want) {
			t.Errorf("escalated p2:\n got %+v\nwant %+v", got, want)
		}
		if got := one("w1"); got.DueAt != stored(tick(60)) || got.Approver != w1.Approver || !got.ActedAt.IsZero() {
			t.Errorf("w1 after it became pending: %+v", got)
		}

		// A newer quote version supersedes the open steps, after which a
		// decision on them is a conflict.
		if err := db.SaveQuote(ctx, tandem.QuoteWrite{Doc: doc(tandem.DocQuote, "Q-1", 2, "D-1")}, nil); err != nil {
			t.Fatal(err)
		}
		err := db.UpdateApprovals(ctx, []tandem.ApprovalUpdate{{ID: "w1", From: "pending", Status: "approved", ActedBy: "cfo@example.com", ActedAt: tick(80)}}, nil, nil)
		if tandem.ErrorCode(err) != tandem.ECONFLICT || !strings.Contains(err.Error(), "superseded") {
			t.Errorf("approving a superseded step: %v", err)
		}
		if err := db.UpdateApprovals(ctx, nil, nil, nil); err != nil {
			t.Errorf("no updates: %v", err)
		}
	})
}

// TestApproveConcurrently has several approvers act on the same pending
// step at the same moment: exactly one wins, the others are told it
// changed, and nothing else (busy or locked errors, deadlocks) leaks out.
func TestApproveConcurrently(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		const n, rounds = 8, 5
		for round := range rounds {
			id := fmt.Sprintf("a%d", round)
			q := fmt.Sprintf("Q-%d", round)
			if err := db.SaveQuote(ctx, tandem.QuoteWrite{Doc: doc(tandem.DocQuote, q, 1, "D"),
				Approvals: []tandem.Approval{approval(id, q, 1, "discount", 1, 0, tandem.ApprovalPending)}}, nil); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			start := make(chan struct{})
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() {
					who := fmt.Sprintf("approver%d@example.com", i)
					u := tandem.ApprovalUpdate{ID: id, From: tandem.ApprovalPending, Status: tandem.ApprovalApproved, ActedBy: who, ActedAt: tick(i)}
					a := entry(who, "desk.approval.approve", "approval:"+id, i)
					note := notice(fmt.Sprintf("n%d-%d", round, i), i)
					<-start
					errs[i] = db.UpdateApprovals(ctx, []tandem.ApprovalUpdate{u}, []tandem.AuditEntry{a}, []tandem.Notification{note})
				})
			}
			close(start)
			wg.Wait()
			winner := -1
			for i, err := range errs {
				switch tandem.ErrorCode(err) {
				case "":
					if winner >= 0 {
						t.Errorf("round %d: approvers %d and %d both succeeded", round, winner, i)
					}
					winner = i
				case tandem.ECONFLICT:
					if !strings.Contains(err.Error(), "is approved, not pending") {
						t.Errorf("round %d, approver %d: conflict %v, want the step's new status", round, i, err)
					}
				default:
					t.Errorf("round %d, approver %d: %v", round, i, err)
				}
			}
			if winner < 0 {
				t.Fatalf("round %d: no approver succeeded", round)
			}
			got := approvalsOf(t, db, tandem.ApprovalQuery{QuoteID: q})
			if len(got) != 1 || got[0].ActedBy != fmt.Sprintf("approver%d@example.com", winner) || got[0].Status != tandem.ApprovalApproved {
				t.Errorf("round %d: approval %+v, want approved by the winner, approver %d", round, got, winner)
			}
		}
		if got := len(auditAll(t, db)); got != rounds {
			t.Errorf("%d audit entries, want one per round (%d)", got, rounds)
		}
		if got := len(notifications(t, db, 0)); got != rounds {
			t.Errorf("%d notifications, want one per round (%d)", got, rounds)
		}
	})
}

func TestOutbox(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		// n1 and n2 share a creation instant: their order is the order
		// they were queued. n4 waits for a retry; n5 leaves its status
		// and next attempt to the store's defaults.
		n1, n2, n3 := notice("n1", 1), notice("n2", 1), notice("n3", 2)
		n3.Channel, n3.Event = "email:cfo@example.com", "quote.approved"
		n3.Payload = json.RawMessage(`{"quote": "Q-1",  "text": "Zürich \u00e9 \"ok\"", "nested": {"a": [1, 2.50, null]}}`)
		n4 := notice("n4", 3)
		n4.NextAt, n4.Attempts, n4.LastError = tick(20), 2, "502 Bad Gateway"
		n5 := notice("n5", 4)
		n5.Status, n5.NextAt = "", time.Time{}
		if err := db.SaveQuote(ctx, tandem.QuoteWrite{Doc: doc(tandem.DocQuote, "Q-1", 1, "D"), Notify: []tandem.Notification{n1, n2, n3}}, nil); err != nil {
			t.Fatal(err)
		}
		if err := db.UpdateApprovals(ctx, nil, nil, []tandem.Notification{n4, n5}); err != nil {
			t.Fatal(err)
		}
		all := notifications(t, db, 0)
		want := []tandem.Notification{storedNote(n5), storedNote(n4), storedNote(n3), storedNote(n2), storedNote(n1)}
		if !reflect.DeepEqual(all, want) {
			t.Errorf("outbox, newest first:\n got %+v\nwant %+v", all, want)
		}
		if !bytes.Equal(all[2].Payload, n3.Payload) {
			t.Errorf("payload changed in the store:\n got %s\nwant %s", all[2].Payload, n3.Payload)
		}

		due := func(now time.Time, limit int) string {
			t.Helper()
			got, err := db.DueNotifications(ctx, now, limit)
			if err != nil {
				t.Fatal(err)
			}
			if got == nil {
				t.Errorf("DueNotifications = nil, want an empty list")
			}
			return ids(got, noteID)
		}
		for _, c := range []struct {
			name  string
			now   time.Time
			limit int
			want  string
		}{
			{"nothing yet", tick(0), 0, ""},
			{"NextAt equal to now is due", tick(1), 0, "n1 n2"},
			{"oldest first", tick(10), 0, "n1 n2 n3 n5"},
			{"limit", tick(10), 2, "n1 n2"},
			{"retry due", tick(20), 0, "n1 n2 n3 n4 n5"},
		} {
			if got := due(c.now, c.limit); got != c.want {
				t.Errorf("%s: due %q, want %q", c.name, got, c.want)
			}
		}

		// Delivery attempts: n1 delivered, n2 failed for now and retried
		// later, n3 given up on.
		m1 := storedNote(n1)
		m1.Status, m1.Attempts, m1.NextAt = tandem.NotifyDelivered, 1, time.Time{}
		m2 := storedNote(n2)
		m2.Attempts, m2.NextAt, m2.LastError = 1, stored(tick(30)), "connection refused"
		m3 := storedNote(n3)
		m3.Status, m3.Attempts, m3.LastError = tandem.NotifyFailed, 5, "mailbox unavailable"
		for _, m := range []tandem.Notification{m1, m2, m3} {
			if err := db.MarkNotification(ctx, m); err != nil {
				t.Fatalf("mark %s: %v", m.ID, err)
			}
		}
		wantCode(t, db.MarkNotification(ctx, tandem.Notification{ID: "nope", Status: tandem.NotifyDelivered, Attempts: 1}), tandem.ENOTFOUND)
		wantCode(t, db.MarkNotification(ctx, tandem.Notification{ID: "n1", Status: "lost", Attempts: 1}), tandem.EINVALID)
		if got := due(tick(25), 0); got != "n4 n5" {
			t.Errorf("due after marking: %q, want n4 n5", got)
		}
		if got := due(tick(30), 0); got != "n2 n4 n5" {
			t.Errorf("due after the retry time: %q, want n2 n4 n5", got)
		}
		m1.NextAt = stored(n1.NextAt) // a zero NextAt kept the stored one
		all = notifications(t, db, 0)
		if !reflect.DeepEqual(all[4], m1) || !reflect.DeepEqual(all[3], m2) || !reflect.DeepEqual(all[2], m3) {
			t.Errorf("marked notifications:\n got %+v\n     %+v\n     %+v\nwant %+v\n     %+v\n     %+v", all[4], all[3], all[2], m1, m2, m3)
		}

		if got := ids(notifications(t, db, 2), noteID); got != "n5 n4" {
			t.Errorf("Notifications(2) = %q, want n5 n4", got)
		}
		_, err := db.Notifications(ctx, -1)
		wantCode(t, err, tandem.EINVALID)
		_, err = db.DueNotifications(ctx, tick(0), -1)
		wantCode(t, err, tandem.EINVALID)

		bad := notice("n9", 9)
		bad.Payload = json.RawMessage("not json")
		wantCode(t, db.UpdateApprovals(ctx, nil, nil, []tandem.Notification{bad}), tandem.EINVALID)
		bad = notice("n9", 9)
		bad.CreatedAt = time.Time{}
		wantCode(t, db.UpdateApprovals(ctx, nil, nil, []tandem.Notification{bad}), tandem.EINVALID)
		wantCode(t, db.UpdateApprovals(ctx, nil, nil, []tandem.Notification{notice("n1", 9)}), tandem.ECONFLICT)
	})
}

// TestDeskBackup checks that a backup keeps the desk: SQLite copies its
// file, PostgreSQL copies the desk tables row by row.
func TestDeskBackup(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a := approval("a1", "Q-1", 2, "discount", 1, 0, tandem.ApprovalPending)
		a.DueAt = tick(40)
		b := approval("b1", "Q-1", 1, "discount", 1, 0, tandem.ApprovalPending)
		b.Evidence = nil
		for _, w := range []tandem.QuoteWrite{
			{Doc: doc(tandem.DocQuote, "Q-1", 1, "D-1"), Approvals: []tandem.Approval{b}, Notify: []tandem.Notification{notice("n1", 1), notice("n2", 1)}},
			{Doc: doc(tandem.DocQuote, "Q-1", 2, "D-1"), Approvals: []tandem.Approval{a}, Notify: []tandem.Notification{notice("n3", 1)}},
		} {
			if err := db.SaveQuote(ctx, w, nil); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.PutDoc(ctx, doc(tandem.DocRules, "active", 1, ""), nil); err != nil {
			t.Fatal(err)
		}
		path := t.TempDir() + "/backup.db"
		if err := db.Backup(ctx, path); err != nil {
			t.Fatal(err)
		}
		restored, err := Open(ctx, path, tandem.NewCatalog())
		if err != nil {
			t.Fatal(err)
		}
		defer restored.Close()
		type snapshot struct {
			versions  []tandem.Doc
			rules     []tandem.Doc
			approvals []tandem.Approval
			outbox    []tandem.Notification
		}
		take := func(s *DB) snapshot {
			t.Helper()
			var sn snapshot
			var err error
			if sn.versions, err = s.DocVersions(ctx, tandem.DocQuote, "Q-1"); err != nil {
				t.Fatal(err)
			}
			if sn.rules, err = s.Docs(ctx, tandem.DocRules, ""); err != nil {
				t.Fatal(err)
			}
			sn.approvals = approvalsOf(t, s, tandem.ApprovalQuery{})
			sn.outbox = notifications(t, s, 0)
			return sn
		}
		want, got := take(db), take(restored)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("desk in the backup:\n got %+v\nwant %+v", got, want)
		}
		if len(want.versions) != 2 || len(want.approvals) != 2 || ids(want.outbox, noteID) != "n3 n2 n1" {
			t.Errorf("the desk written is not what the test meant: %+v", want)
		}
	})
}

// TestPutDocConcurrently has several writers submit the same next version
// at once: the primary key lets exactly one in.
func TestPutDocConcurrently(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		const n = 8
		for v := 1; v <= 3; v++ {
			var wg sync.WaitGroup
			start := make(chan struct{})
			errs := make([]error, n)
			for i := range n {
				wg.Go(func() {
					d := doc(tandem.DocArchetype, "smb-core", v, "")
					d.Author = fmt.Sprintf("writer%d", i)
					<-start
					errs[i] = db.PutDoc(ctx, d, nil)
				})
			}
			close(start)
			wg.Wait()
			ok := 0
			for i, err := range errs {
				switch tandem.ErrorCode(err) {
				case "":
					ok++
				case tandem.ECONFLICT:
				default:
					t.Errorf("version %d, writer %d: %v", v, i, err)
				}
			}
			if ok != 1 {
				t.Errorf("version %d: %d writers succeeded, want exactly 1", v, ok)
			}
		}
		if vs, err := db.DocVersions(ctx, tandem.DocArchetype, "smb-core"); err != nil || len(vs) != 3 {
			t.Errorf("versions: %s, %v; want 3", docKeys(vs), err)
		}
	})
}

// TestSaveQuoteWhileApproving races a new quote version against a
// decision on both open steps of the old one: either the decision lands
// first and stands, or the new version supersedes the steps and the
// decision is a conflict that says so. Never both, never half, and never
// a deadlock (the two lock the same rows).
func TestSaveQuoteWhileApproving(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		const rounds, steps = 20, 6
		wins := map[string]int{}
		for round := range rounds {
			q := fmt.Sprintf("Q-%d", round)
			// The steps are inserted in descending id order, which is the
			// order the supersede's index scan meets them in, and decided
			// in ascending order: without one lock order for both, the
			// two would deadlock.
			var as []tandem.Approval
			var us []tandem.ApprovalUpdate
			for i := range steps {
				id := fmt.Sprintf("%s-s%d", q, steps-1-i)
				as = append(as, approval(id, q, 1, "discount", 1, i, tandem.ApprovalPending))
				us = append([]tandem.ApprovalUpdate{{ID: id, From: tandem.ApprovalPending, Status: tandem.ApprovalApproved, ActedBy: "mgr@example.com", ActedAt: tick(5)}}, us...)
			}
			if err := db.SaveQuote(ctx, tandem.QuoteWrite{Doc: doc(tandem.DocQuote, q, 1, "D"), Approvals: as}, nil); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			start := make(chan struct{})
			var saveErr, approveErr error
			wg.Go(func() {
				<-start
				saveErr = db.SaveQuote(ctx, tandem.QuoteWrite{Doc: doc(tandem.DocQuote, q, 2, "D")}, nil)
			})
			wg.Go(func() {
				<-start
				approveErr = db.UpdateApprovals(ctx, us, nil, nil)
			})
			close(start)
			wg.Wait()
			if saveErr != nil {
				t.Fatalf("round %d: save: %v", round, saveErr)
			}
			got := statuses(approvalsOf(t, db, tandem.ApprovalQuery{QuoteID: q}))
			want := tandem.ApprovalApproved
			switch {
			case approveErr == nil:
				wins["approval"]++
			case tandem.ErrorCode(approveErr) == tandem.ECONFLICT && strings.Contains(approveErr.Error(), "is superseded, not pending"):
				wins["save"]++
				want = tandem.ApprovalSuperseded
			default:
				t.Errorf("round %d: approve: %v", round, approveErr)
			}
			for id, st := range got {
				if st != want {
					t.Errorf("round %d: %s is %s, want %s (steps %v)", round, id, st, want, got)
				}
			}
		}
		t.Logf("first to commit: %v", wins)
	})
}

func TestDocsStamp(t *testing.T) {
	eachDialect(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		stamp := func(kind string) int64 {
			n, err := db.DocsStamp(ctx, kind)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if stamp(tandem.DocArchetype) != 0 {
			t.Fatal("empty store has a stamp")
		}
		var last int64
		for i, d := range []tandem.Doc{doc(tandem.DocArchetype, "a", 1, ""), doc(tandem.DocArchetype, "a", 2, ""), doc(tandem.DocArchetype, "b", 1, "")} {
			if err := db.PutDoc(ctx, d, nil); err != nil {
				t.Fatal(err)
			}
			if s := stamp(tandem.DocArchetype); s == last {
				t.Errorf("write %d left the stamp at %d", i, s)
			} else {
				last = s
			}
		}
		if err := db.PutDoc(ctx, doc(tandem.DocQuote, "q", 1, ""), nil); err != nil {
			t.Fatal(err)
		}
		if stamp(tandem.DocArchetype) != last {
			t.Error("another kind's write moved the stamp")
		}
	})
}
