package service

import (
	"bytes"
	"encoding/csv"
	"maps"
	"math"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
	"github.com/tandemhq/tandem/internal/testdb"
)

// themeFixture is the desk fixture with a handful of feedback items in
// three groups: SSO requests (three near-duplicates), CSV export
// requests (two) and one unrelated item.
type themeFixture struct {
	*deskFixture
	admin              Actor
	sso, csvIDs, other []string
	lostDeal, openDeal string
	lostAccount        string
	feature            string
}

// dealWith returns a deal of the demo data with the outcome.
func dealWith(t *testing.T, f *deskFixture, outcome string) (id, account string) {
	t.Helper()
	p, err := f.s.store.List(t.Context(), "deals", tandem.Query{Filters: []tandem.Filter{{Column: "outcome", Value: outcome}}, Limit: 50})
	if err != nil || len(p.Records) == 0 {
		t.Fatalf("no %s deal: %v", outcome, err)
	}
	e, _ := f.s.cat.Entity("deals")
	for _, r := range p.Records {
		if a := text(e, r, "account_id"); a != "" && number(e, r, "amount") != nil {
			return r.ID(), a
		}
	}
	t.Fatalf("no %s deal with an account and an amount", outcome)
	return "", ""
}

func newThemeFixture(t *testing.T, dialect string) *themeFixture {
	t.Helper()
	f := &themeFixture{deskFixture: newDeskFixture(t, dialect)}
	f.admin = Actor{Name: f.deskFixture.admin.Email}
	s, ctx := f.s, t.Context()
	f.openDeal = f.deal
	f.lostDeal, f.lostAccount = dealWith(t, f.deskFixture, "lost")
	features, err := s.store.IDs(ctx, "features")
	if err != nil || len(features) == 0 {
		t.Fatalf("features: %v", err)
	}
	f.feature = slices.Sorted(maps.Keys(features))[0]

	submit := func(text, deal string) string {
		t.Helper()
		f.clk.t = f.clk.t.Add(time.Minute)
		res, err := s.SubmitFeedback(ctx, f.admin, tandem.Feedback{Source: tandem.SourceAPI, Author: "pm@x.io", Text: text, DealID: deal}, nil)
		if err != nil {
			t.Fatalf("submit %q: %v", text, err)
		}
		return res.Item.ID
	}
	f.sso = []string{
		submit("Need single sign-on with Okta for our whole team", f.openDeal),
		submit("Single sign-on with Okta for the whole team is needed", ""),
		submit("We need single sign-on with Okta for our team", f.lostDeal),
	}
	f.csvIDs = []string{
		submit("Export of reports to CSV files is missing", ""),
		submit("Export reports to CSV files, it is missing", ""),
	}
	f.other = []string{submit("The mobile app crashes when the phone is offline", "")}
	return f
}

// themeOf returns an item's theme or fails.
func (f *themeFixture) themeOf(t *testing.T, s *Service, item string) string {
	t.Helper()
	th, err := s.ThemeOf(t.Context(), item)
	if err != nil {
		t.Fatalf("theme of %s: %v", item, err)
	}
	return th
}

func TestThemesGroupMergeSplitVote(t *testing.T) {
	for _, d := range testdb.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			f := newThemeFixture(t, d)
			s, ctx := f.s, t.Context()

			// Automatic grouping: the anchor is the earliest member.
			ssoID := ThemeIDPrefix + f.sso[0]
			csvID := ThemeIDPrefix + f.csvIDs[0]
			for _, id := range f.sso {
				if got := f.themeOf(t, s, id); got != ssoID {
					t.Errorf("theme of SSO item %s = %s, want %s", id, got, ssoID)
				}
			}
			for _, id := range f.csvIDs {
				if got := f.themeOf(t, s, id); got != csvID {
					t.Errorf("theme of CSV item %s = %s, want %s", id, got, csvID)
				}
			}
			if got := f.themeOf(t, s, f.other[0]); got != ThemeIDPrefix+f.other[0] {
				t.Errorf("unrelated item in %s", got)
			}
			if _, err := s.ThemeOf(ctx, "fb-nope"); tandem.ErrorCode(err) != tandem.ENOTFOUND {
				t.Errorf("unknown item: %v", err)
			}
			list, err := s.Themes(ctx, ThemeQuery{})
			if err != nil || list.Total != 3 || list.Items != 6 || list.Themes[0].ID != ssoID || list.Themes[0].Items != 3 {
				t.Fatalf("list = %+v, %v", list, err)
			}
			if l, err := s.Themes(ctx, ThemeQuery{Text: "okta TEAM"}); err != nil || l.Total != 1 || l.Themes[0].ID != ssoID {
				t.Errorf("search: %+v, %v", l, err)
			}
			if l, err := s.Themes(ctx, ThemeQuery{MinItems: 2}); err != nil || l.Total != 2 {
				t.Errorf("min items 2: %+v, %v", l, err)
			}

			// Votes: one per account and theme; a second vote is a new version.
			_, accA := dealWith(t, f.deskFixture, "open")
			accB := f.lostAccount
			if err := s.RecordVote(ctx, f.admin, tandem.Vote{Theme: ssoID, AccountID: accA, Importance: tandem.ImportanceImportant}); err != nil {
				t.Fatal(err)
			}
			if err := s.RecordVote(ctx, f.admin, tandem.Vote{Theme: ssoID, AccountID: accA, Importance: tandem.ImportanceCritical, Note: "renewal blocker"}); err != nil {
				t.Fatal(err)
			}
			if err := s.RecordVote(ctx, Actor{Name: f.rep.Email}, tandem.Vote{Theme: csvID, AccountID: accB}); err != nil {
				t.Fatal(err)
			}
			for _, bad := range []tandem.Vote{
				{Theme: ssoID, AccountID: "no-such-account"},
				{Theme: ssoID, AccountID: accA, Importance: "urgent"},
				{Theme: ssoID},
			} {
				if err := s.RecordVote(ctx, f.admin, bad); tandem.ErrorCode(err) != tandem.EINVALID {
					t.Errorf("vote %+v: %v, want EINVALID", bad, err)
				}
			}
			if err := s.RecordVote(ctx, f.admin, tandem.Vote{Theme: "th-nope", AccountID: accA}); tandem.ErrorCode(err) != tandem.ENOTFOUND {
				t.Errorf("vote on unknown theme: %v", err)
			}
			det, err := s.Theme(ctx, ssoID)
			if err != nil || len(det.Votes) != 1 || det.Votes[0].Importance != tandem.ImportanceCritical || det.Counts.Critical != 1 || len(det.Items) != 3 || !det.Items[0].Anchor {
				t.Fatalf("SSO theme = %+v, %v", det, err)
			}

			// Title and links, with optimistic locking.
			info := tandem.ThemeInfo{Title: "  Okta  SSO ", Features: []string{f.feature, f.feature}, Specials: []string{"SP-1"}}
			saved, v, err := s.PutThemeInfo(ctx, f.admin, ssoID, info, 0)
			if err != nil || v != 1 || saved.Title != "Okta SSO" || len(saved.Features) != 1 {
				t.Fatalf("save info: %+v v%d %v", saved, v, err)
			}
			if _, _, err := s.PutThemeInfo(ctx, f.admin, ssoID, info, 0); tandem.ErrorCode(err) != tandem.ECONFLICT {
				t.Errorf("stale edit: %v, want ECONFLICT", err)
			}
			if _, _, err := s.PutThemeInfo(ctx, f.admin, ssoID, tandem.ThemeInfo{Features: []string{"no-such-feature"}}, 1); tandem.ErrorCode(err) != tandem.EINVALID {
				t.Errorf("unknown feature: %v, want EINVALID", err)
			}

			// Merge CSV into SSO: the CSV id resolves to SSO, and its vote
			// counts there.
			if _, err := s.MergeThemes(ctx, f.admin, ssoID, ssoID); tandem.ErrorCode(err) != tandem.EINVALID {
				t.Errorf("merge into itself: %v", err)
			}
			sum, err := s.MergeThemes(ctx, f.admin, ssoID, csvID)
			if err != nil || sum.ID != ssoID || sum.Items != 5 || sum.Votes != 2 || sum.Title != "Okta SSO" {
				t.Fatalf("merge: %+v, %v", sum, err)
			}
			if got := f.themeOf(t, s, f.csvIDs[1]); got != ssoID {
				t.Errorf("CSV item after merge in %s", got)
			}
			det, err = s.Theme(ctx, csvID)
			if err != nil || det.Theme.ID != ssoID || !slices.Equal(det.Merged, []string{csvID}) {
				t.Fatalf("old id after merge: %+v, %v", det, err)
			}
			if _, _, err := s.PutThemeInfo(ctx, f.admin, csvID, info, 0); tandem.ErrorCode(err) != tandem.EINVALID {
				t.Errorf("edit of a merged-away theme: %v", err)
			}

			// Split the third SSO item off; a new item like it joins it.
			split := f.sso[2]
			if sum, err = s.SplitItem(ctx, f.admin, split); err != nil || sum.ID != ThemeIDPrefix+split || sum.Items != 1 {
				t.Fatalf("split: %+v, %v", sum, err)
			}
			if _, err := s.SplitItem(ctx, f.admin, split); tandem.ErrorCode(err) != tandem.EINVALID {
				t.Errorf("split of an item alone: %v", err)
			}
			f.clk.t = f.clk.t.Add(time.Hour)
			res, err := s.SubmitFeedback(ctx, f.admin, tandem.Feedback{Text: "We need single sign-on with Okta for our team now"}, nil)
			if err != nil {
				t.Fatal(err)
			}
			before := s.themes.st
			if got := f.themeOf(t, s, res.Item.ID); got != ThemeIDPrefix+split {
				t.Errorf("item like the split one in %s, want %s", got, ThemeIDPrefix+split)
			}
			if s.themes.st != before {
				t.Error("one new item rebuilt the index")
			}

			// Splitting the anchor re-anchors the old theme on its earliest
			// remaining member.
			if sum, err = s.SplitItem(ctx, f.admin, f.sso[0]); err != nil || sum.ID != ssoID || sum.Items != 1 {
				t.Fatalf("split anchor: %+v, %v", sum, err)
			}
			rest := ThemeIDPrefix + f.sso[1]
			if got := f.themeOf(t, s, f.csvIDs[0]); got != rest {
				t.Errorf("after the anchor split, CSV item in %s, want %s", got, rest)
			}

			// Everything survives a new service over the same store.
			want := map[string]string{}
			all, _ := s.FeedbackItems(ctx)
			for _, it := range all {
				want[it.ID] = f.themeOf(t, s, it.ID)
			}
			s2 := New(s.store, s.cat, analytics.New(s.store, s.cat, f.clk.now), t.TempDir(), f.clk.now)
			for id, th := range want {
				if got := f.themeOf(t, s2, id); got != th {
					t.Errorf("after a rebuild, %s is in %s, live it was in %s", id, got, th)
				}
			}
			d1, err := s.Theme(ctx, rest)
			if err != nil {
				t.Fatal(err)
			}
			d2, err := s2.Theme(ctx, rest)
			if err != nil || !sameSummary(d1.Theme, d2.Theme) || len(d2.Votes) != len(d1.Votes) {
				t.Errorf("theme after rebuild: %+v / live %+v (%v)", d2.Theme, d1.Theme, err)
			}
			// The vote on the SSO id followed its anchor item.
			if d, err := s2.Theme(ctx, ssoID); err != nil || len(d.Votes) != 1 || d.Votes[0].AccountID != accA || d.Info.Title != "Okta SSO" {
				t.Errorf("SSO theme after rebuild: %+v, %v", d, err)
			}

			// An import of older feedback breaks the order: the index is
			// rebuilt, and the manual operations still hold.
			st := s.themes.st
			imp, err := s.ImportFeedback(ctx, f.admin, []tandem.Feedback{{Text: "Okta single sign-on for the whole team please",
				ReceivedAt: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Source: tandem.SourceCSV, SourceRef: "old-1"}}, nil, "old.csv")
			if err != nil || len(imp.Created) != 1 {
				t.Fatalf("import: %+v, %v", imp, err)
			}
			if got := f.themeOf(t, s, imp.Created[0].ID); got != ThemeIDPrefix+imp.Created[0].ID {
				t.Errorf("the oldest item now anchors its theme, but is in %s", got)
			}
			if got := f.themeOf(t, s, f.sso[2]); got != ThemeIDPrefix+split {
				t.Errorf("after an out-of-order import, split item in %s", got)
			}
			if s.themes.st == st {
				t.Error("an out-of-order item did not rebuild the index")
			}

			// Every change is in the audit log.
			for _, action := range []string{"theme.merge", "theme.split", "theme.save", "vote.save"} {
				es, _, err := s.Audit(ctx, tandem.AuditQuery{Action: action})
				if err != nil || len(es) == 0 {
					t.Errorf("no %s audit entry: %v", action, err)
				}
			}
		})
	}
}

func sameSummary(a, b ThemeSummary) bool {
	return a.ID == b.ID && a.Items == b.Items && a.Votes == b.Votes && a.Accounts == b.Accounts && a.Title == b.Title
}

func TestThemeRanking(t *testing.T) {
	for _, d := range testdb.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			f := newThemeFixture(t, d)
			s, ctx := f.s, t.Context()
			ssoID := ThemeIDPrefix + f.sso[0]
			if _, _, err := s.PutThemeInfo(ctx, f.admin, ssoID, tandem.ThemeInfo{Title: "SSO", Features: []string{f.feature}}, 0); err != nil {
				t.Fatal(err)
			}
			// A second lost deal cites the linked feature in its win/loss
			// record.
			cited := ""
			de, _ := s.cat.Entity("deals")
			p, err := s.store.List(ctx, "deals", tandem.Query{Filters: []tandem.Filter{{Column: "outcome", Value: "lost"}}, Limit: 50})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range p.Records {
				if r.ID() != f.lostDeal && number(de, r, "amount") != nil {
					cited = r.ID()
					break
				}
			}
			wl := tandem.WinLoss{DealID: cited, Reasons: []tandem.DealReason{{Code: "missing-feature:" + f.feature, Source: tandem.ReasonByRep, Confidence: tandem.ConfidenceHigh}}}
			if err := s.store.PutDoc(ctx, s.newDoc(f.admin, tandem.DocWinLoss, cited, cited, 1, wl, ""), nil); err != nil {
				t.Fatal(err)
			}
			_, voter := dealWith(t, f.deskFixture, "open")
			if err := s.RecordVote(ctx, f.admin, tandem.Vote{Theme: ssoID, AccountID: voter, Importance: tandem.ImportanceCritical}); err != nil {
				t.Fatal(err)
			}

			rk, err := s.ThemeRanking(ctx, RankingQuery{CustomerData: true})
			if err != nil {
				t.Fatal(err)
			}
			if rk.Total != 3 || rk.Sort != SortTotal || rk.MinN != RankingMinSample {
				t.Fatalf("ranking %+v", rk)
			}
			var row RankRow
			for _, r := range rk.Rows {
				if r.Theme == ssoID {
					row = r
				}
			}
			if row.Rank != 1 || row.Items != 3 || row.Votes.Critical != 1 || row.ARR == nil {
				t.Fatalf("SSO row %+v", row)
			}

			// The figures, recomputed here the plain way.
			deals := map[string]rankDeal{}
			if err := s.store.Scan(ctx, "deals", func(r tandem.Record) error {
				rd := rankDeal{account: text(de, r, "account_id"), outcome: text(de, r, "outcome"), stage: text(de, r, "stage")}
				if n := number(de, r, "amount"); n != nil {
					rd.amount = *n
				}
				deals[r.ID()] = rd
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			accounts := map[string]bool{deals[f.openDeal].account: true, deals[f.lostDeal].account: true, voter: true}
			if row.Accounts != len(accounts) {
				t.Errorf("accounts %d, want %d", row.Accounts, len(accounts))
			}
			se, _ := s.cat.Entity("subscriptions")
			var arr float64
			arrAccounts := map[string]bool{}
			if err := s.store.Scan(ctx, "subscriptions", func(r tandem.Record) error {
				if a := text(se, r, "account_id"); accounts[a] && text(se, r, "status") == "active" {
					if m := number(se, r, "mrr"); m != nil {
						arr += 12 * *m
						arrAccounts[a] = true
					}
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if math.Abs(row.ARR.Value-arr) > 0.01 || row.ARR.Accounts != len(arrAccounts) {
				t.Errorf("ARR %+v, want %.2f over %d accounts", row.ARR, arr, len(arrAccounts))
			}
			prob := map[string]float64{}
			for _, st := range rk.Stages {
				prob[st.Stage] = st.Used
				if st.Rate.N < RankingMinSample != st.Fallback || st.Fallback && st.Used != rk.OverallWin.Value {
					t.Errorf("stage %+v (overall %v)", st, rk.OverallWin.Value)
				}
				if !st.Fallback && (st.Rate.CILow > st.Used || st.Rate.CIHigh < st.Used) {
					t.Errorf("stage %s: interval %v–%v misses %v", st.Stage, st.Rate.CILow, st.Rate.CIHigh, st.Used)
				}
			}
			var pipe float64
			var open int
			for _, rd := range deals {
				if rd.outcome == "open" && accounts[rd.account] {
					pipe += rd.amount * prob[rd.stage]
					open++
				}
			}
			if math.Abs(row.Pipeline.Value-pipe) > 0.01 || row.Pipeline.Deals != open || open == 0 {
				t.Errorf("pipeline %+v, want %.2f over %d deals", row.Pipeline, pipe, open)
			}
			lost := deals[f.lostDeal].amount + deals[cited].amount
			if math.Abs(row.Lost.Value-lost) > 0.01 || row.Lost.Deals != 2 || row.Lost.Linked != 1 || row.Lost.Cited != 1 {
				t.Errorf("lost %+v, want %.2f over 2 deals", row.Lost, lost)
			}
			if math.Abs(row.Sum-(row.ARR.Value+row.Pipeline.Value+row.Lost.Value)) > 0.01 {
				t.Errorf("total %v", row.Sum)
			}

			// A lost deal both linked by an item and citing the linked
			// feature, through two win/loss sources, counts once.
			twice := tandem.WinLoss{DealID: f.lostDeal, Reasons: []tandem.DealReason{
				{Code: "missing-feature:" + f.feature, Source: tandem.ReasonByRep, Confidence: tandem.ConfidenceHigh},
				{Code: "missing-feature:" + f.feature, Source: tandem.ReasonByRep, Confidence: tandem.ConfidenceLow}}}
			if err := s.store.PutDoc(ctx, s.newDoc(f.admin, tandem.DocWinLoss, f.lostDeal, f.lostDeal, 1, twice, ""), nil); err != nil {
				t.Fatal(err)
			}
			again, err := s.ThemeRanking(ctx, RankingQuery{CustomerData: true})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range again.Rows {
				if r.Theme == ssoID && (r.Lost.Deals != 2 || math.Abs(r.Lost.Value-lost) > 0.01) {
					t.Errorf("lost deal cited twice and linked: %+v, want 2 deals, %.2f", r.Lost, lost)
				}
			}

			// Sorts, and a role without customer data.
			for _, sort := range RankingSorts() {
				r, err := s.ThemeRanking(ctx, RankingQuery{Sort: sort, CustomerData: true, Limit: 2})
				if err != nil || len(r.Rows) != 2 || r.Total != 3 {
					t.Fatalf("sort %s: %+v, %v", sort, r, err)
				}
			}
			if _, err := s.ThemeRanking(ctx, RankingQuery{Sort: "revenue"}); tandem.ErrorCode(err) != tandem.EINVALID {
				t.Errorf("unknown sort: %v", err)
			}
			if _, err := s.ThemeRanking(ctx, RankingQuery{Sort: SortARR}); tandem.ErrorCode(err) != tandem.EFORBIDDEN {
				t.Errorf("sort by ARR without customer data: %v", err)
			}
			noARR, err := s.ThemeRanking(ctx, RankingQuery{})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range noARR.Rows {
				if r.ARR != nil {
					t.Errorf("row %s has ARR for a role without customer data", r.Theme)
				}
			}
			if !strings.Contains(strings.Join(noARR.Notes, " "), "customers:read") || noARR.Definitions["arr"] != "" {
				t.Errorf("notes %q", noARR.Notes)
			}

			// CSV export, with and without ARR.
			for _, r := range []*Ranking{rk, noARR} {
				var buf bytes.Buffer
				if err := r.WriteCSV(&buf); err != nil {
					t.Fatal(err)
				}
				recs, err := csv.NewReader(&buf).ReadAll()
				if err != nil || len(recs) != 4 {
					t.Fatalf("csv: %d rows, %v", len(recs), err)
				}
				if has := slices.Contains(recs[0], "arr"); has != (r == rk) {
					t.Errorf("csv header %v", recs[0])
				}
				if recs[1][1] != r.Rows[0].Theme || recs[1][0] != "1" {
					t.Errorf("csv first row %v", recs[1])
				}
				total, _ := strconv.ParseFloat(recs[1][len(recs[1])-1], 64)
				if math.Abs(total-r.Rows[0].Sum) > 0.01 {
					t.Errorf("csv total %v, want %v", total, r.Rows[0].Sum)
				}
			}
		})
	}
}

func TestThemeCSVSafe(t *testing.T) {
	for in, want := range map[string]string{"=SUM(A1)": "'=SUM(A1)", "+1": "'+1", "ok": "ok", "": "", "-2+3": "'-2+3",
		"@cmd": "'@cmd", "  =1+1": "'  =1+1", "\t=1": "'\t=1", "a=b": "a=b", "th-f-1": "th-f-1"} {
		if got := csvSafe(in); got != want {
			t.Errorf("csvSafe(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestThemeGroupingQualityPrinted runs internal/themes' precision and recall
// test and checks it still prints its figures (and passes).
func TestThemeGroupingQualityPrinted(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test in a subprocess")
	}
	out, err := exec.CommandContext(t.Context(), "go", "test", "-count=1", "-v", "-run", "^TestGroupingQuality$", "../themes").CombinedOutput()
	if err != nil {
		t.Fatalf("go test ../themes: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`default threshold [0-9.]+: pairwise precision ([0-9.]+) recall ([0-9.]+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no precision/recall line in:\n%s", out)
	}
	p, _ := strconv.ParseFloat(string(m[1]), 64)
	r, _ := strconv.ParseFloat(string(m[2]), 64)
	if p < 0.9 || r < 0.5 {
		t.Errorf("precision %.3f recall %.3f", p, r)
	}
	t.Logf("%s", m[0])
}
