package service

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/testdb"
)

func TestFeedbackIntakeAndTriage(t *testing.T) {
	for _, d := range testdb.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			f := newDeskFixture(t, d)
			s, ctx := f.s, t.Context()
			admin := Actor{Name: f.admin.Email}
			var sent [][]string
			s.SetNotifier(func(r []string) []string {
				sent = append(sent, r)
				out := []string{"webhook:slack"}
				for _, x := range r {
					out = append(out, "email:"+x)
				}
				return out
			})
			comp := tandem.Competitor{ID: "acme", Name: "Acme", Aliases: []string{"Acme Corp"}}
			if err := s.store.PutDoc(ctx, s.newDoc(admin, tandem.DocCompetitor, comp.ID, "", 1, comp, ""), nil); err != nil {
				t.Fatal(err)
			}

			// A rep files feedback on a deal: the account comes from the
			// deal, the rep from the user, the owner from the default.
			rep := Actor{Name: f.rep.Email}
			res, err := s.SubmitFeedback(ctx, rep, tandem.Feedback{Source: tandem.SourceWeb, Author: f.rep.Email, DealID: f.deal,
				Title: "Audit export", Text: "They compared us with ACME corp on <b>audit</b> exports."}, nil)
			if err != nil {
				t.Fatal(err)
			}
			it := res.Item
			if it.AccountID == "" || it.RepID != f.repID || it.Owner != f.admin.Email || it.RoutedBy != "default" || it.Status != tandem.FeedbackNew {
				t.Errorf("item = %+v", it)
			}
			if want := time.Date(2026, 3, 3, 9, 0, 0, 0, time.UTC); !it.AckDue.Equal(want) {
				t.Errorf("ack due %s, want %s (two business days after a Sunday)", it.AckDue, want)
			}
			if len(it.Competitors) != 1 || it.Competitors[0] != "acme" || it.ReplyTo != "email:"+f.rep.Email {
				t.Errorf("competitors %v, reply to %q", it.Competitors, it.ReplyTo)
			}
			if !strings.Contains(it.Text, "<b>audit</b>") {
				t.Error("the text was not kept as received")
			}

			// The same mail delivered twice is stored once.
			mail := tandem.Feedback{Source: tandem.SourceEmail, SourceRef: "<m1@example.com>", Author: "buyer@cust.example", Text: "Need SSO"}
			first, err := s.SubmitFeedback(ctx, admin, mail, nil)
			if err != nil || first.Duplicate {
				t.Fatalf("first delivery: %+v, %v", first, err)
			}
			again, err := s.SubmitFeedback(ctx, admin, mail, nil)
			if err != nil || !again.Duplicate || again.Item.ID != first.Item.ID {
				t.Fatalf("second delivery: %+v, %v", again, err)
			}
			if v, err := s.FeedbackHistory(ctx, first.Item.ID); err != nil || len(v) != 1 {
				t.Errorf("versions %d, %v", len(v), err)
			}

			// A batch with bad items stores nothing and names every problem.
			before, _ := s.FeedbackItems(ctx)
			_, err = s.ImportFeedback(ctx, admin, []tandem.Feedback{
				{Text: "fine"}, {Text: "  "}, {Text: "x", DealID: "no-such-deal", Kind: "rumour"},
			}, nil, "test.csv")
			var pe *FeedbackProblems
			if tandem.ErrorCode(err) != tandem.EINVALID || !errors.As(err, &pe) || len(pe.Items) != 2 {
				t.Fatalf("bad batch: %v", err)
			}
			for _, want := range []string{"item 2", "text: required", "item 3", `no deal "no-such-deal"`, `kind: "rumour"`} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error lacks %q: %v", want, err)
				}
			}
			if after, _ := s.FeedbackItems(ctx); len(after) != len(before) {
				t.Errorf("a refused batch stored %d items", len(after)-len(before))
			}

			// Routing rules: a keyword sends SSO feedback to the manager.
			_, v, err := s.PutFeedbackSettings(ctx, admin, tandem.FeedbackSettings{AckBusinessDays: 2, IntelQuota: 1,
				Routing: []tandem.RoutingRule{{Name: "identity", Keywords: []string{"sso"}, Owner: f.mgr.Email}}}, 0)
			if err != nil || v != 1 {
				t.Fatalf("settings: v%d, %v", v, err)
			}
			_, _, err = s.PutFeedbackSettings(ctx, admin, tandem.FeedbackSettings{AckBusinessDays: -1,
				Routing: []tandem.RoutingRule{{Name: "x", Owner: "nobody@x"}}}, 1)
			for _, want := range []string{"ack_business_days", `"nobody@x" is not an active user`, "has no condition"} {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("bad settings: %v lacks %q", err, want)
				}
			}
			if _, _, err := s.PutFeedbackSettings(ctx, admin, tandem.DefaultFeedbackSettings(), 0); tandem.ErrorCode(err) != tandem.ECONFLICT {
				t.Errorf("stale settings edit: %v", err)
			}
			sso, err := s.SubmitFeedback(ctx, rep, tandem.Feedback{Text: "Customer asks for SSO via Okta", Author: f.rep.Email}, nil)
			if err != nil || sso.Item.Owner != f.mgr.Email || sso.Item.RoutedBy != "identity" {
				t.Fatalf("routed: %+v, %v", sso.Item, err)
			}

			// Triage: acknowledge with a note; the submitter hears of it by
			// e-mail; a change to a stale version is refused.
			f.clk.t = f.clk.t.Add(30 * time.Hour)
			st := tandem.FeedbackAcknowledged
			note := "Thanks, on the Q3 list"
			got, v2, err := s.ChangeFeedback(ctx, Actor{Name: f.mgr.Email}, sso.Item.ID, FeedbackChange{Version: 1, Status: &st, Note: &note})
			if err != nil || v2 != 2 || got.AckAt.IsZero() || got.StatusNote != note {
				t.Fatalf("acknowledge: %+v v%d, %v", got, v2, err)
			}
			outbox, _ := s.Notifications(ctx, 0)
			if len(outbox) != 1 || outbox[0].Channel != "email:"+f.rep.Email || !strings.Contains(string(outbox[0].Payload), note) {
				t.Errorf("outbox %+v", outbox)
			}
			if _, _, err := s.ChangeFeedback(ctx, admin, sso.Item.ID, FeedbackChange{Version: 1, Status: &st}); tandem.ErrorCode(err) != tandem.ECONFLICT {
				t.Errorf("stale triage: %v", err)
			}
			bad := tandem.FeedbackStatus("done")
			if _, _, err := s.ChangeFeedback(ctx, admin, sso.Item.ID, FeedbackChange{Version: 2, Status: &bad}); tandem.ErrorCode(err) != tandem.EINVALID {
				t.Errorf("unknown status: %v", err)
			}

			// The SLA report: the manager acknowledged in time; the admin's
			// first items are overdue now (30 hours after a Sunday is
			// Monday, not yet due) — move past Tuesday.
			f.clk.t = f.clk.t.Add(48 * time.Hour)
			rep2, err := s.AckTimes(ctx, time.Time{}, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			byOwner := map[string]AckOwner{}
			for _, o := range rep2.Owners {
				byOwner[o.Owner] = o
			}
			if m := byOwner[f.mgr.Email]; m.Items != 1 || m.Acknowledged != 1 || m.OnTime.K != 1 || m.MedianHours != nil || !strings.Contains(m.Note, "insufficient data") {
				t.Errorf("manager's record %+v", m)
			}
			if a := byOwner[f.admin.Email]; a.Items != 2 || a.Overdue != 2 || a.MedianHours != nil || !strings.Contains(a.OnTime.Note, "insufficient data") {
				t.Errorf("admin's record %+v", a)
			}
			if len(rep2.OverdueList) != 2 {
				t.Errorf("overdue %d, want 2", len(rep2.OverdueList))
			}
			page, err := s.FeedbackInbox(ctx, FeedbackQuery{Overdue: true, Text: "sso"})
			if err != nil || page.Total != 1 || page.Items[0].ID != first.Item.ID {
				t.Errorf("inbox: %+v, %v", page, err)
			}
			audit, _, err := s.Audit(ctx, tandem.AuditQuery{})
			if err != nil {
				t.Fatal(err)
			}
			actions := map[string]bool{}
			for _, e := range audit {
				actions[e.Action] = true
			}
			for _, a := range []string{"feedback.submit", "feedback.settings", "feedback.status"} {
				if !actions[a] {
					t.Errorf("no %s audit entry", a)
				}
			}
		})
	}
}

func TestSeedFeedbackDemo(t *testing.T) {
	f := newDeskFixture(t, "sqlite")
	s, ctx := f.s, t.Context()
	got, err := s.SeedFeedbackDemo(ctx, Actor{Name: "cli:demo"}, 1, 300)
	if err != nil {
		t.Fatal(err)
	}
	if got.Items != 300 || got.Triaged == 0 || got.Intel == 0 || got.Overdue == 0 || got.Votes == 0 {
		t.Errorf("seeded %+v", got)
	}
	items, _ := s.FeedbackItems(ctx)
	if len(items) != 300 {
		t.Fatalf("%d items stored", len(items))
	}
	rep, err := s.AckTimes(ctx, time.Time{}, time.Time{})
	if err != nil || len(rep.Owners) == 0 || len(rep.OverdueList) != got.Overdue {
		t.Errorf("SLA report: %d owners, %d overdue (seeded %d), %v", len(rep.Owners), len(rep.OverdueList), got.Overdue, err)
	}
	// The demo's owner has hundreds of items, most acknowledged within a
	// day or two: a median with an interval around it, and an on-time
	// share with its interval.
	o := rep.Owners[0]
	if m := o.MedianHours; m == nil || m.CILow == nil || *m.CILow > m.Value || (m.CIHigh != nil && *m.CIHigh < m.Value) || m.Value <= 0 || m.Value > 24*14 {
		t.Errorf("median hours %+v for %d items", m, o.Items)
	}
	if p := o.OnTime; p.N == 0 || p.Note != "" || p.CILow > p.Value || p.CIHigh < p.Value {
		t.Errorf("on-time share %+v", p)
	}
	if _, err := s.SeedFeedbackDemo(ctx, Actor{Name: "cli:demo"}, 1, 10); tandem.ErrorCode(err) != tandem.ECONFLICT {
		t.Errorf("second seeding: %v", err)
	}
}

func TestSeedWinLossDemo(t *testing.T) {
	f := newDeskFixture(t, "sqlite")
	s, ctx := f.s, t.Context()
	got, err := s.SeedWinLossDemo(ctx, Actor{Name: "cli:demo"}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got.Competitors == 0 || got.Battlecards == 0 || got.Interviews == 0 || got.Postmortems == 0 {
		t.Errorf("seeded %+v", got)
	}
	ivs, err := s.Interviews(ctx, "")
	if err != nil || len(ivs) != got.Interviews {
		t.Errorf("%d interviews stored (seeded %d), %v", len(ivs), got.Interviews, err)
	}
	pms, err := s.Postmortems(ctx)
	if err != nil || len(pms) != got.Postmortems {
		t.Errorf("%d post-mortems stored (seeded %d), %v", len(pms), got.Postmortems, err)
	}
}
