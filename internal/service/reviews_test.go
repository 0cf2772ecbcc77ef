package service

import (
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/desk"
	"github.com/tandemhq/tandem/internal/testdb"
)

func TestDealReviews(t *testing.T) {
	for _, d := range testdb.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			f := newDeskFixture(t, d)
			s, ctx := f.s, t.Context()
			ops := Actor{Name: f.admin.Email}
			if _, err := s.PutReviewTriggers(ctx, ops, desk.Triggers{MinAmount: -5}); tandem.ErrorCode(err) != tandem.EINVALID {
				t.Fatalf("bad triggers: %v", err)
			}
			// Review every deal of 50,000 or more.
			if _, err := s.PutReviewTriggers(ctx, ops, desk.Triggers{MinAmount: 50000}); err != nil {
				t.Fatal(err)
			}
			opened, closed, err := s.ScanReviews(ctx, ops)
			if err != nil || opened == 0 || closed != 0 {
				t.Fatalf("scan: opened %d closed %d, %v", opened, closed, err)
			}
			again, _, err := s.ScanReviews(ctx, ops)
			if err != nil || again != 0 {
				t.Fatalf("second scan opened %d more, %v", again, err)
			}
			ag, err := s.ReviewAgenda(ctx, ops, time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			if ag.Meeting.Format(time.DateOnly) != "2026-03-15" || len(ag.Items) != opened {
				t.Fatalf("agenda for %s: %d items, %d opened", ag.Meeting.Format(time.DateOnly), len(ag.Items), opened)
			}
			first := ag.Items[0].Review
			if first.Snapshot.Amount < 50000 || len(first.Triggers) == 0 || first.Version != 1 {
				t.Errorf("review: %+v", first)
			}
			for i := 1; i < len(ag.Items); i++ {
				if ag.Items[i].Review.Snapshot.Amount > ag.Items[i-1].Review.Snapshot.Amount {
					t.Fatal("agenda not largest first")
				}
			}
			due := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
			upd := ReviewUpdate{Version: 1, ProductResponse: "SSO ships in May", Decision: "go, with a services workaround",
				Actions: []desk.Action{{Text: "send the SSO timeline", Owner: f.rep.Email, Due: due}}}
			r, err := s.UpdateReview(ctx, Actor{Name: f.mgr.Email}, first.DealID, upd)
			if err != nil || r.Version != 2 || len(r.OpenActions()) != 1 {
				t.Fatalf("update: %+v %v", r, err)
			}
			if _, err := s.UpdateReview(ctx, ops, first.DealID, upd); tandem.ErrorCode(err) != tandem.ECONFLICT {
				t.Errorf("stale update: %v", err)
			}
			bad := upd
			bad.Version, bad.Actions = 2, []desk.Action{{Text: "x"}}
			if _, err := s.UpdateReview(ctx, ops, first.DealID, bad); tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(err.Error(), "actions[0].owner") {
				t.Errorf("action without owner: %v", err)
			}
			ag, err = s.ReviewAgenda(ctx, ops, time.Date(2026, 3, 12, 0, 0, 0, 0, time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range ag.Items {
				if it.Review.DealID == first.DealID && (len(it.OpenActions) != 1 || it.Overdue != 1) {
					t.Errorf("agenda item: %d open, %d overdue", len(it.OpenActions), it.Overdue)
				}
			}

			// The deal closes: the next scan fills the outcome.
			l, err := s.store.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			de, _ := s.cat.Entity("deals")
			_, rec, err := s.Get(ctx, "deals", first.DealID)
			if err != nil {
				t.Fatal(err)
			}
			_, oc := de.Column("outcome")
			_, cc := de.Column("closed")
			rec.Values[oc], rec.Values[cc] = "won", time.Date(2026, 3, 20, 0, 0, 0, 0, time.UTC)
			if err := l.Put(ctx, de, rec); err != nil {
				t.Fatal(err)
			}
			if _, err := l.Commit(ctx); err != nil {
				t.Fatal(err)
			}
			if _, closed, err := s.ScanReviews(ctx, ops); err != nil || closed != 1 {
				t.Fatalf("closing scan: %d, %v", closed, err)
			}
			r, hist, err := s.Review(ctx, first.DealID)
			if err != nil || r.Outcome != "won" || len(hist) != 3 || hist[2].Author != "system:review" {
				t.Fatalf("closed review: %+v, %d versions, %v", r, len(hist), err)
			}

			rep, err := s.ReviewReport(ctx, time.Time{}, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Reviewed.N != 1 || rep.Reviewed.Value != 1 || !rep.Reviewed.Insufficient || rep.Unreviewed.N == 0 {
				t.Errorf("report: reviewed %+v, unreviewed %+v", rep.Reviewed, rep.Unreviewed)
			}
		})
	}
}
