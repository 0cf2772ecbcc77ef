package service

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/intel"
	"github.com/tandemhq/tandem/internal/testdb"
)

func TestCompetitiveIntel(t *testing.T) {
	for _, d := range testdb.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			f := newDeskFixture(t, d)
			s, ctx := f.s, t.Context()
			ops := Actor{Name: f.admin.Email}

			// Proposals from the deals' competitors column; nothing stored yet.
			dry, err := s.ImportCompetitorsFromDeals(ctx, ops, false)
			if err != nil || len(dry.Proposals) < 3 || len(dry.Created) != 0 {
				t.Fatalf("dry run: %+v, %v", dry, err)
			}
			if cat, _ := s.Competitors(ctx); len(cat) != 0 {
				t.Fatalf("a dry run stored %d competitors", len(cat))
			}
			// One entry by hand, under another spelling with an alias.
			first := dry.Proposals[0].Name
			nw, err := s.SaveCompetitor(ctx, ops, tandem.Competitor{Name: strings.ToUpper(first), Aliases: []string{"NWX"}}, 0)
			if err != nil || nw.Version != 1 || nw.ID != slug(first) {
				t.Fatalf("add: %+v, %v", nw, err)
			}
			imp, err := s.ImportCompetitorsFromDeals(ctx, ops, true)
			if err != nil || len(imp.Created) != len(dry.Proposals)-1 || imp.Proposals[0].Existing != nw.ID {
				t.Fatalf("import: %+v, %v", imp, err)
			}
			again, err := s.ImportCompetitorsFromDeals(ctx, ops, true)
			if err != nil || len(again.Created) != 0 {
				t.Fatalf("second import created %d, %v", len(again.Created), err)
			}
			other := imp.Created[0]

			// Uniqueness and optimistic locking.
			if _, err := s.SaveCompetitor(ctx, ops, tandem.Competitor{Name: first}, 0); tandem.ErrorCode(err) != tandem.ECONFLICT || !strings.Contains(err.Error(), "already exists") {
				t.Errorf("second add: %v", err)
			}
			if _, err := s.SaveCompetitor(ctx, ops, tandem.Competitor{Name: "Brand new", Aliases: []string{"nwx"}}, 0); tandem.ErrorCode(err) != tandem.ECONFLICT || !strings.Contains(err.Error(), "alias") {
				t.Errorf("alias taken: %v", err)
			}
			if _, err := s.SaveCompetitor(ctx, ops, tandem.Competitor{ID: other.ID, Name: other.Name, Aliases: []string{first}}, 1); tandem.ErrorCode(err) != tandem.ECONFLICT {
				t.Errorf("alias equal to another's name: %v", err)
			}
			upd := nw.Competitor
			upd.Website = "https://northwind.example"
			if _, err := s.SaveCompetitor(ctx, ops, upd, 2); tandem.ErrorCode(err) != tandem.ECONFLICT {
				t.Errorf("stale edit: %v", err)
			}
			if nw, err = s.SaveCompetitor(ctx, ops, upd, 1); err != nil || nw.Version != 2 || nw.Website == "" {
				t.Fatalf("edit: %+v, %v", nw, err)
			}
			if _, err := s.SaveCompetitor(ctx, ops, tandem.Competitor{ID: "nobody", Name: "Nobody"}, 1); tandem.ErrorCode(err) != tandem.ENOTFOUND {
				t.Errorf("edit of a missing entry: %v", err)
			}

			// Feedback: an intel item on the rep's deal naming the other
			// competitor by name, and a mail naming the first by its alias.
			rep := Actor{Name: f.rep.Email}
			fb, err := s.SubmitFeedback(ctx, rep, tandem.Feedback{Source: tandem.SourceWeb, Kind: tandem.KindIntel, Author: f.rep.Email, DealID: f.deal,
				Title: "Pricing", Text: "The buyer says " + other.Name + " quoted 20% less."}, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.SubmitFeedback(ctx, ops, tandem.Feedback{Source: tandem.SourceEmail, SourceRef: "<intel@x>", Author: "buyer@cust.example",
				Text: "We also looked at nwx."}, nil); err != nil {
				t.Fatal(err)
			}

			cat, err := s.CompetitorCatalogView(ctx, intel.Options{})
			if err != nil || len(cat.Competitors) != len(dry.Proposals) || cat.Overall.N == 0 || cat.Options.MinSample != 30 {
				t.Fatalf("catalog: %+v, %v", cat, err)
			}
			for _, c := range cat.Competitors {
				if c.WinRate.N == 0 || c.Mentions.Deal == 0 || c.Version == 0 {
					t.Errorf("%s: win rate %+v, mentions %+v", c.ID, c.WinRate, c.Mentions)
				}
			}
			det, err := s.CompetitorView(ctx, nw.ID, intel.Options{MinSample: 5})
			if err != nil {
				t.Fatal(err)
			}
			if det.Mentions.Email != 1 || det.Mentions.Deal == 0 || len(det.Latest) == 0 || len(det.Latest) > latestMentions {
				t.Errorf("mentions %+v, latest %d", det.Mentions, len(det.Latest))
			}
			// Mentions name their rep: the demo's deals have rep ids whose
			// names are in the reps entity.
			named := false
			for _, m := range det.Latest {
				if m.Rep != "" && m.RepName == "" {
					t.Errorf("mention %+v has a rep and no rep name", m)
				}
				named = named || (m.Rep != "" && m.RepName != m.Rep)
			}
			if !named {
				t.Errorf("no mention shows a rep's name: %+v", det.Latest)
			}
			for i := 1; i < len(det.Latest); i++ {
				if det.Latest[i].Date.After(det.Latest[i-1].Date) {
					t.Fatalf("latest mentions not newest first: %v", det.Latest)
				}
			}
			if len(det.Rates.Trend) == 0 || det.Rates.Against.N == 0 || det.Rates.Against.N+det.Rates.Without.N != det.Rates.Overall.N ||
				!strings.Contains(det.DifferenceText, "associated with") || det.Battlecard != nil {
				t.Errorf("detail: %+v", det)
			}
			if _, err := s.CompetitorView(ctx, "nobody", intel.Options{}); tandem.ErrorCode(err) != tandem.ENOTFOUND {
				t.Errorf("missing competitor: %v", err)
			}

			// Battlecards: versions, conflicts, history with diffs.
			card := tandem.Battlecard{Summary: "Cheaper, thinner", Strengths: []string{"price"}, Weaknesses: []string{"no SSO"},
				Objections: []tandem.Objection{{Objection: "They are cheaper", Response: "Count onboarding"}}}
			if _, err := s.SaveBattlecard(ctx, ops, other.ID, card, -1, ""); tandem.ErrorCode(err) != tandem.EINVALID {
				t.Errorf("negative version: %v", err)
			}
			if _, err := s.SaveBattlecard(ctx, ops, "nobody", card, 0, ""); tandem.ErrorCode(err) != tandem.ENOTFOUND {
				t.Errorf("card for a missing competitor: %v", err)
			}
			if _, err := s.SaveBattlecard(ctx, ops, other.ID, tandem.Battlecard{Objections: []tandem.Objection{{Objection: "x"}}}, 0, ""); tandem.ErrorCode(err) != tandem.EINVALID {
				t.Errorf("bad card: %v", err)
			}
			v1, err := s.SaveBattlecard(ctx, ops, other.ID, card, 0, "first")
			if err != nil || v1.Version != 1 || v1.Battlecard.Competitor != other.ID || len(v1.Changes) != 4 {
				t.Fatalf("v1: %+v, %v", v1, err)
			}
			card.Strengths = append(card.Strengths, "brand")
			if _, err := s.SaveBattlecard(ctx, rep, other.ID, card, 0, ""); tandem.ErrorCode(err) != tandem.ECONFLICT || !strings.Contains(err.Error(), "version 1") {
				t.Errorf("stale card: %v", err)
			}
			v2, err := s.SaveBattlecard(ctx, ops, other.ID, card, 1, "")
			if err != nil || v2.Version != 2 || len(v2.Changes) != 1 || v2.Changes[0].Field != "strengths" || !slices.Equal(v2.Changes[0].Added, []string{"brand"}) {
				t.Fatalf("v2: %+v, %v", v2, err)
			}
			if same, err := s.SaveBattlecard(ctx, ops, other.ID, card, 2, ""); err != nil || same.Version != 2 {
				t.Errorf("unchanged save: %+v, %v", same, err)
			}
			hist, err := s.BattlecardHistory(ctx, other.ID)
			if err != nil || len(hist) != 2 || hist[0].Version != 2 || hist[1].Note != "first" || len(hist[0].Changes) != 1 {
				t.Fatalf("history: %+v, %v", hist, err)
			}
			if old, err := s.Battlecard(ctx, other.ID, 1); err != nil || len(old.Battlecard.Strengths) != 1 {
				t.Errorf("version 1: %+v, %v", old, err)
			}
			if _, err := s.Battlecard(ctx, other.ID, 3); tandem.ErrorCode(err) != tandem.ENOTFOUND {
				t.Errorf("version 3: %v", err)
			}
			if _, err := s.BattlecardHistory(ctx, nw.ID); tandem.ErrorCode(err) != tandem.ENOTFOUND {
				t.Errorf("history of no card: %v", err)
			}

			// The deal carries the other competitor through the feedback item.
			cards, err := s.DealBattlecards(ctx, f.deal)
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(cards, func(c DealBattlecard) bool { return c.Competitor.ID == other.ID })
			if i < 0 || !slices.Contains(cards[i].Via, "feedback:"+fb.Item.ID) || cards[i].Battlecard == nil || cards[i].Battlecard.Version != 2 {
				t.Errorf("deal cards: %+v", cards)
			}
			if _, err := s.DealBattlecards(ctx, "no-such-deal"); tandem.ErrorCode(err) != tandem.ENOTFOUND {
				t.Errorf("missing deal: %v", err)
			}

			// Quota: the rep filed one intel item in March 2026.
			q, err := s.IntelQuota(ctx, time.Date(2026, 3, 15, 0, 0, 0, 0, time.UTC))
			if err != nil || q.Month != "2026-03" || q.Quota != 1 || q.Items != 2 || q.Unattributed != 1 {
				t.Fatalf("quota: %+v, %v", q, err)
			}
			if len(q.Leaderboard) != 1 || q.Leaderboard[0].RepID != f.repID || q.Leaderboard[0].Name == "" {
				t.Errorf("leaderboard: %+v", q.Leaderboard)
			}
			if len(q.Below) != q.Reps-1 || slices.ContainsFunc(q.Below, func(r intel.QuotaRow) bool { return r.RepID == f.repID }) {
				t.Errorf("below: %d of %d reps", len(q.Below), q.Reps)
			}

			for _, action := range []string{"competitor.save", "battlecard.save"} {
				entries, _, err := s.Audit(ctx, tandem.AuditQuery{Action: action, Limit: 100})
				if err != nil || len(entries) == 0 {
					t.Errorf("audit %s: %d, %v", action, len(entries), err)
				}
			}
		})
	}
}

// TestBattlecardRace saves two edits of the same version at once: one
// wins, the other gets ECONFLICT, and no version is lost.
func TestBattlecardRace(t *testing.T) {
	for _, d := range testdb.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			s, _ := newService(t, d)
			ctx := t.Context()
			a := Actor{Name: "pm@x.io"}
			if _, err := s.SaveCompetitor(ctx, a, tandem.Competitor{Name: "Initech"}, 0); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i := range errs {
				wg.Go(func() {
					_, errs[i] = s.SaveBattlecard(ctx, a, "initech", tandem.Battlecard{Summary: strings.Repeat("x", i+1)}, 0, "")
				})
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case tandem.ErrorCode(err) != tandem.ECONFLICT:
					t.Errorf("unexpected: %v", err)
				}
			}
			if h, err := s.BattlecardHistory(ctx, "initech"); ok != 1 || err != nil || len(h) != 1 {
				t.Errorf("%d saves succeeded, history %d, %v", ok, len(h), err)
			}
		})
	}
}
