package cli_test

import (
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/service"
	"github.com/tandemhq/tandem/internal/testdb"
)

func TestThemesCommands(t *testing.T) {
	for _, dialect := range testdb.Dialects(t) {
		t.Run(dialect, func(t *testing.T) { testThemesCommands(t, dialect) })
	}
}

// testThemesCommands walks themes through the command line: list, show,
// title and links (a stale version refused), votes, a merge and a split,
// and the ranking as a table, CSV and JSON, with the refusals' exit
// statuses.
func testThemesCommands(t *testing.T, dialect string) {
	dsn, db, p := deskStore(t, dialect, 600)
	ctx := t.Context()
	tc := cliRun{t, dsn}
	tandemOK, tandemJSON, tandemFails := tc.ok, tc.json, tc.fails

	cat := tandem.NewCatalog()
	svc := service.New(db, cat, nil, t.TempDir(), nil)
	base := time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)
	var ids []string
	for i, text := range []string{
		"Need single sign-on with Okta for our whole team",
		"Single sign-on with Okta for the whole team is needed",
		"We need single sign-on with Okta for our team",
		"Export of reports to CSV files is missing",
		"Export reports to CSV files, it is missing",
	} {
		deal := ""
		if i == 0 {
			deal = p.deal
		}
		res, err := svc.SubmitFeedback(ctx, service.Actor{Name: "test"}, tandem.Feedback{Text: text, DealID: deal, ReceivedAt: base.Add(time.Duration(i) * time.Minute)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, res.Item.ID)
	}
	sso, csvTheme := service.ThemeIDPrefix+ids[0], service.ThemeIDPrefix+ids[3]
	accounts, err := db.List(ctx, "accounts", tandem.Query{Limit: 1})
	if err != nil || len(accounts.Records) == 0 {
		t.Fatalf("accounts: %v", err)
	}
	acct := accounts.Records[0].ID()
	features, err := db.List(ctx, "features", tandem.Query{Limit: 1})
	if err != nil || len(features.Records) == 0 {
		t.Fatalf("features: %v", err)
	}
	feature := features.Records[0].ID()

	out := tandemOK("themes", "list")
	for _, want := range []string{"2 themes over 5 items", sso, csvTheme, "THEME"} {
		if !strings.Contains(out, want) {
			t.Errorf("themes list lacks %q:\n%s", want, out)
		}
	}
	var list service.ThemeList
	tandemJSON(&list, "themes", "list", "--search", "okta")
	if list.Total != 1 || list.Themes[0].ID != sso {
		t.Errorf("search: %+v", list)
	}

	var saved struct {
		Info    tandem.ThemeInfo `json:"info"`
		Version int              `json:"version"`
	}
	tandemJSON(&saved, "themes", "title", sso, "Okta SSO")
	if saved.Version != 1 || saved.Info.Title != "Okta SSO" {
		t.Errorf("title: %+v", saved)
	}
	tandemJSON(&saved, "themes", "link", sso, "--feature", feature, "--special", "SP-9")
	if saved.Version != 2 || len(saved.Info.Features) != 1 || saved.Info.Title != "Okta SSO" {
		t.Errorf("link: %+v", saved)
	}
	tandemFails(4, "version 2", "themes", "title", sso, "Stale", "--version", "1")
	tandemFails(2, "no feature", "themes", "link", sso, "--feature", "no-such-feature")
	tandemFails(2, "--feature, --special or --unlink", "themes", "link", sso)
	tandemFails(3, "no theme", "themes", "show", "th-nope")

	var vote tandem.Vote
	tandemJSON(&vote, "themes", "vote", sso, "--account", acct, "--importance", "critical", "--note", "renewal blocker")
	if vote.Theme != sso || vote.Importance != tandem.ImportanceCritical || vote.By != "cli:tester" {
		t.Errorf("vote: %+v", vote)
	}
	tandemFails(2, "importance", "themes", "vote", sso, "--account", acct, "--importance", "urgent")
	tandemFails(2, "--account is required", "themes", "vote", sso)

	out = tandemOK("themes", "show", sso)
	for _, want := range []string{"Okta SSO", "3 item(s)", "1 critical", "anchor", "renewal blocker", "specials: SP-9"} {
		if !strings.Contains(out, want) {
			t.Errorf("themes show lacks %q:\n%s", want, out)
		}
	}

	var sum service.ThemeSummary
	tandemJSON(&sum, "themes", "merge", sso, csvTheme)
	if sum.ID != sso || sum.Items != 5 {
		t.Errorf("merge: %+v", sum)
	}
	tandemFails(2, "already the same theme", "themes", "merge", sso, csvTheme)
	out = tandemOK("themes", "split", ids[4])
	if !strings.Contains(out, service.ThemeIDPrefix+ids[4]) {
		t.Errorf("split: %s", out)
	}
	tandemFails(2, "alone in its theme", "themes", "split", ids[4])
	var det service.ThemeDetail
	tandemJSON(&det, "themes", "show", csvTheme)
	if det.Theme.ID != sso || det.Theme.Items != 4 || len(det.Merged) != 1 {
		t.Errorf("old id after merge: %+v", det.Theme)
	}

	// The ranking.
	out = tandemOK("themes", "ranking")
	for _, want := range []string{"2 themes ranked by total", sso, "stage probabilities", "definitions:", "PIPELINE"} {
		if !strings.Contains(out, want) {
			t.Errorf("themes ranking lacks %q:\n%s", want, out)
		}
	}
	var rk service.Ranking
	tandemJSON(&rk, "themes", "ranking", "--sort", "votes", "--limit", "1")
	if rk.Total != 2 || len(rk.Rows) != 1 || rk.Rows[0].Theme != sso || rk.Rows[0].ARR == nil || rk.Rows[0].Votes.Critical != 1 {
		t.Errorf("ranking json: %+v", rk)
	}
	recs, err := csv.NewReader(strings.NewReader(tandemOK("themes", "ranking", "--format", "csv"))).ReadAll()
	if err != nil || len(recs) != 3 || recs[0][0] != "rank" || recs[0][9] != "arr" {
		t.Errorf("ranking csv: %q, %v", recs, err)
	}
	tandemFails(2, "sort", "themes", "ranking", "--sort", "revenue")
	tandemFails(2, "--format", "themes", "ranking", "--format", "xml")

	// Every change is in the audit log.
	out = tandemOK("audit", "--json")
	for _, action := range []string{"theme.save", "vote.save", "theme.merge", "theme.split"} {
		if !strings.Contains(out, `"`+action+`"`) {
			t.Errorf("audit lacks %s", action)
		}
	}
}
