package service

import (
	"math"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/specials"
	"github.com/tandemhq/tandem/internal/testdb"
)

func TestSpecialsProcess(t *testing.T) {
	for _, d := range testdb.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			f := newDeskFixture(t, d)
			s, ctx := f.s, t.Context()
			rep, admin := Actor{Name: f.rep.Email}, Actor{Name: f.admin.Email}
			pdf := SpecialFile{Name: "C:\\notes\\call-notes.pdf", ContentType: "application/pdf", Data: []byte("%PDF-1.4 call notes")}

			// Bad intake is refused whole, every problem named, nothing stored.
			_, err := s.FileSpecial(ctx, rep, tandem.Special{DealID: "no-such-deal", Title: "", Ask: "x", Problem: "y",
				Evidence: []tandem.SpecialEvidence{{Kind: "link", URL: "javascript:alert(1)"}}},
				[]SpecialFile{{Name: "run.exe", ContentType: "application/x-msdownload", Data: []byte("MZ")}, {Name: "big.pdf", ContentType: "application/pdf", Data: make([]byte, MaxSpecialFile+1)}})
			for _, want := range []string{`no deal "no-such-deal"`, "title: required", "is not an http(s) link", `type "application/x-msdownload" is not accepted`, "at most 10485760"} {
				if tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(err.Error(), want) {
					t.Errorf("bad intake: %v lacks %q", err, want)
				}
			}
			many := make([]SpecialFile, MaxSpecialFiles+1)
			for i := range many {
				many[i] = pdf
			}
			if _, err := s.FileSpecial(ctx, rep, tandem.Special{DealID: f.deal, Title: "t", Ask: "a", Problem: "p"}, many); tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(err.Error(), "at most 20") {
				t.Errorf("21 files: %v", err)
			}
			if list, _ := s.Specials(ctx, SpecialQuery{}); len(list) != 0 {
				t.Fatalf("a refused special was stored: %d", len(list))
			}

			// A rep files a special with a note and a file.
			sp, err := s.FileSpecial(ctx, rep, tandem.Special{DealID: f.deal, Title: "SAML SSO with Okta", Ask: "Single sign-on through Okta for 400 seats",
				Problem: "Their security policy forbids passwords", AskedBy: "CISO", OthersAsked: true,
				Evidence: []tandem.SpecialEvidence{{Kind: "note", Text: "Said twice on the call"}}}, []SpecialFile{pdf})
			if err != nil {
				t.Fatal(err)
			}
			if sp.Step != tandem.StepTalkToRep || sp.Version != 1 || sp.Amount <= 0 || len(sp.Evidence) != 2 || sp.Evidence[1].SHA256 == "" || sp.Evidence[1].Name != "call-notes.pdf" || sp.FiledBy != f.rep.Email {
				t.Fatalf("filed: %+v", sp)
			}
			if b, err := s.store.Blob(ctx, sp.Evidence[1].SHA256); err != nil || string(b.Data) != string(pdf.Data) {
				t.Errorf("evidence file: %v", err)
			}

			// Scores: product's inputs and the data; effort must be sane.
			v, err := s.ScoreSpecial(ctx, admin, sp.ID, ScoreInput{Version: 1, ICPFit: 8, StrategyFit: 7})
			if err != nil || v.Alignment == nil || v.Alignment.Score < 0 || v.Alignment.Score > 10 || len(v.Alignment.Inputs) == 0 || v.Placement != nil {
				t.Fatalf("score: %+v, %v", v.Alignment, err)
			}
			if _, err := s.ScoreSpecial(ctx, admin, sp.ID, ScoreInput{Version: 2, ICPFit: 11, StrategyFit: 7}); tandem.ErrorCode(err) != tandem.EINVALID {
				t.Errorf("ICP fit 11: %v", err)
			}
			for _, weeks := range []float64{-1, 0, 10000} {
				if _, err := s.EstimateSpecial(ctx, admin, sp.ID, 2, weeks, ""); tandem.ErrorCode(err) != tandem.EINVALID {
					t.Errorf("effort %v weeks: %v", weeks, err)
				}
			}
			v, err = s.EstimateSpecial(ctx, admin, sp.ID, 2, 6, "two engineers, three weeks")
			if err != nil || v.Placement == nil || v.Version != 3 {
				t.Fatalf("estimate: %+v, %v", v.Placement, err)
			}

			// The process: a step needs its sign-off; a skip needs a reason.
			if _, err := s.MoveSpecial(ctx, rep, sp.ID, MoveInput{Version: 3, Action: specials.Advance, Notes: "gating item"}); tandem.ErrorCode(err) != tandem.EINVALID {
				t.Errorf("advance without sign-off: %v", err)
			}
			v, err = s.MoveSpecial(ctx, rep, sp.ID, MoveInput{Version: 3, Action: specials.Advance, Notes: "gating item", SignedBy: f.mgr.Email})
			if err != nil || v.Step != tandem.StepSpeakToProspect {
				t.Fatalf("advance: %+v, %v", v.Step, err)
			}
			if _, err := s.MoveSpecial(ctx, rep, sp.ID, MoveInput{Version: 4, Action: specials.Skip}); tandem.ErrorCode(err) != tandem.EINVALID {
				t.Errorf("skip without a reason: %v", err)
			}
			if v, err = s.MoveSpecial(ctx, rep, sp.ID, MoveInput{Version: 4, Action: specials.Skip, SkipReason: "the CISO spoke on the first call"}); err != nil {
				t.Fatal(err)
			}
			// Two people advancing the same step at once: one wins, the
			// other is told the special moved meanwhile.
			var mu sync.Mutex
			var wg0 sync.WaitGroup
			moved, conflicts := 0, 0
			for _, who := range []Actor{admin, {Name: f.mgr.Email}} {
				wg0.Add(1)
				go func() {
					defer wg0.Done()
					nv, err := s.MoveSpecial(ctx, who, sp.ID, MoveInput{Version: 5, Action: specials.Advance, Notes: "3 other accounts asked", SignedBy: f.admin.Email})
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err == nil:
						moved++
						v = nv
					case tandem.ErrorCode(err) == tandem.ECONFLICT:
						conflicts++
					default:
						t.Errorf("racing advance: %v", err)
					}
				}()
			}
			wg0.Wait()
			if moved != 1 || conflicts != 1 || v.Step != tandem.StepFindWorkarounds || v.Version != 6 {
				t.Fatalf("racing advances: %d moved, %d conflicts, at %s v%d", moved, conflicts, v.Step, v.Version)
			}

			// Two people moving the same version at once: one wins.
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, who := range []Actor{rep, admin} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					_, errs[i] = s.LinkSpecial(ctx, who, sp.ID, LinkInput{Version: 6, Specials: &[]string{}})
				}()
			}
			wg.Wait()
			if (errs[0] == nil) == (errs[1] == nil) || (tandem.ErrorCode(errs[0]) != tandem.ECONFLICT && tandem.ErrorCode(errs[1]) != tandem.ECONFLICT) {
				t.Fatalf("racing changes: %v, %v", errs[0], errs[1])
			}

			// Accepting needs a leader, and past the warning line a
			// confirmation; it records what moves.
			move := MoveInput{Version: 7, Action: specials.Accept, Notes: "slice: SSO for admins only", SignedBy: f.admin.Email, Quarter: "2026-Q2",
				Displaces: []tandem.RoadmapImpact{{Item: "usage-based billing", Weeks: 2}}}
			if _, err := s.MoveSpecial(ctx, rep, sp.ID, move); tandem.ErrorCode(err) != tandem.EFORBIDDEN {
				t.Errorf("accept by a rep: %v", err)
			}
			set := tandem.DefaultSpecialSettings()
			set.CapacityWeeks = 20 // 6 weeks is 30% of it, past the 20% warning
			if _, _, err := s.PutSpecialSettings(ctx, admin, set, 0); err != nil {
				t.Fatal(err)
			}
			if _, err := s.MoveSpecial(ctx, admin, sp.ID, move); tandem.ErrorCode(err) != tandem.EINVALID || !strings.Contains(err.Error(), "confirmation") {
				t.Errorf("accept past the warning without confirmation: %v", err)
			}
			move.Confirmation = "the reference customer is worth it"
			v, err = s.MoveSpecial(ctx, admin, sp.ID, move)
			if err != nil || v.Step != tandem.StepSimplestSlice || v.Accept == nil || !v.Accept.OverWarning || v.Accept.Confirmation == "" || len(v.Accept.Displaces) != 1 {
				t.Fatalf("accept: %+v, %v", v.Accept, err)
			}
			b, err := s.SpecialCapacity(ctx, "2026-Q2")
			if err != nil || len(b.Specials) != 1 || b.CapacityWeeks != 20 || len(b.Displaced) != 1 {
				t.Errorf("capacity: %+v, %v", b, err)
			}

			// Build, measure, productize; then nothing more is allowed.
			feature := ""
			if fs, _ := s.store.IDs(ctx, "features"); len(fs) > 0 {
				for id := range fs {
					feature = id
					break
				}
			}
			if v, err = s.LinkSpecial(ctx, admin, sp.ID, LinkInput{Version: 8, Feature: &feature}); err != nil {
				t.Fatal(err)
			}
			if v, err = s.MoveSpecial(ctx, admin, sp.ID, MoveInput{Version: 9, Action: specials.Advance, Notes: "shipped to the customer", SignedBy: f.admin.Email}); err != nil || v.Step != tandem.StepMeasure {
				t.Fatalf("to measure: %v, %v", v.Step, err)
			}
			if v, err = s.MoveSpecial(ctx, admin, sp.ID, MoveInput{Version: 10, Action: specials.Productize, Notes: "two more accounts use it"}); err != nil || v.Step != tandem.StepProductized || len(v.Allowed) != 0 {
				t.Fatalf("productize: %v %v, %v", v.Step, v.Allowed, err)
			}
			if _, err := s.MoveSpecial(ctx, admin, sp.ID, MoveInput{Version: 11, Action: specials.Decline, Notes: "too late"}); tandem.ErrorCode(err) != tandem.EINVALID {
				t.Errorf("decline after the end: %v", err)
			}
			if h, err := s.SpecialHistory(ctx, sp.ID); err != nil || len(h) != 11 {
				t.Errorf("timeline: %d versions, %v", len(h), err)
			}
			rep2, err := s.SpecialOutcomes(ctx, 0)
			if err != nil || len(rep2.Rows) != 1 || rep2.Rows[0].ID != sp.ID {
				t.Errorf("outcomes: %+v, %v", rep2.Rows, err)
			}
			m, err := s.Matrix(ctx)
			if err != nil || len(m.Placed)+len(m.Unscored) != 0 {
				t.Errorf("matrix of open specials: %+v, %v", m, err)
			}
			audit, _, err := s.Audit(ctx, tandem.AuditQuery{})
			if err != nil {
				t.Fatal(err)
			}
			actions := map[string]bool{}
			for _, e := range audit {
				actions[e.Action] = true
			}
			for _, a := range []string{"special.file", "special.score", "special.estimate", "special.advance", "special.skip", "special.accept", "special.productize", "special.settings"} {
				if !actions[a] {
					t.Errorf("no %s audit entry", a)
				}
			}
		})
	}
}

func TestSeedSpecialsDemo(t *testing.T) {
	f := newDeskFixture(t, "sqlite")
	s, ctx := f.s, t.Context()
	if _, err := s.SeedSpecialsDemo(ctx, 1); tandem.ErrorCode(err) != tandem.EINVALID {
		t.Errorf("without a product user: %v", err)
	}
	if _, err := s.CreateUser(ctx, Actor{Name: "test"}, NewUser{Email: "pm@x.io", Name: "Pat PM", Role: tandem.RoleProduct, Password: pw}, false); err != nil {
		t.Fatal(err)
	}
	got, err := s.SeedSpecialsDemo(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got.Filed != 12 || got.Built != 6 || got.Open != 3 || got.Declined != 3 {
		t.Errorf("seeded %+v", got)
	}
	rep, err := s.SpecialOutcomes(ctx, 0)
	if err != nil || len(rep.Rows) != 6 || rep.WithSpecial.N == 0 {
		t.Errorf("outcomes: %d rows, with-special n=%d, %v", len(rep.Rows), rep.WithSpecial.N, err)
	}
	m, err := s.Matrix(ctx)
	if err != nil || len(m.Placed) != 3 {
		t.Errorf("matrix: %d placed, %v", len(m.Placed), err)
	}
}

// TestSpecialDemand files a special worded like existing feedback: it is
// linked to that feedback's theme, and its demand counts the theme's other
// accounts with their revenue, recomputed here by scanning the store.
func TestSpecialDemand(t *testing.T) {
	f := newDeskFixture(t, "sqlite")
	s, ctx := f.s, t.Context()
	if _, err := s.SeedFeedbackDemo(ctx, Actor{Name: "cli:demo"}, 1, 300); err != nil {
		t.Fatal(err)
	}
	items, _ := s.FeedbackItems(ctx)
	var src tandem.Feedback
	for _, it := range items {
		if it.Kind == tandem.KindFeedback {
			src = it
			break
		}
	}
	v, err := s.FileSpecial(ctx, Actor{Name: f.rep.Email}, tandem.Special{DealID: f.deal, Title: "From the field", Ask: src.Text, Problem: src.Text}, nil)
	if err != nil {
		t.Fatal(err)
	}
	theme, err := s.ThemeOf(ctx, src.ID)
	if err != nil || !slices.Contains(v.Themes, theme) {
		t.Fatalf("themes %v, want %s among them (%v)", v.Themes, theme, err)
	}
	own, err := s.specialDealOf(ctx, f.deal)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	for _, id := range v.Themes {
		td, err := s.Theme(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range td.Items {
			want[it.AccountID] = true
		}
		for _, vt := range td.Votes {
			want[vt.AccountID] = true
		}
	}
	delete(want, own.account)
	delete(want, "")
	var revenue float64
	se, _ := s.cat.Entity("subscriptions")
	if err := s.store.Scan(ctx, "subscriptions", func(r tandem.Record) error {
		if want[text(se, r, "account_id")] && text(se, r, "status") == "active" {
			if m := number(se, r, "mrr"); m != nil {
				revenue += 12 * *m
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	de, _ := s.cat.Entity("deals")
	if err := s.store.Scan(ctx, "deals", func(r tandem.Record) error {
		if want[text(de, r, "account_id")] && text(de, r, "outcome") == "open" {
			if m := number(de, r, "amount"); m != nil {
				revenue += *m
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if v.Demand.Accounts != len(want) || v.Demand.Accounts == 0 || math.Abs(v.Demand.Revenue-revenue) > 1e-6*max(1, revenue) {
		t.Errorf("demand %d accounts, %.2f revenue; want %d, %.2f", v.Demand.Accounts, v.Demand.Revenue, len(want), revenue)
	}
}
