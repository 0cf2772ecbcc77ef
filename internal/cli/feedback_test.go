package cli_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/service"
	"github.com/tandemhq/tandem/internal/testdb"
)

// mailSample reads a file of the mail parser's public sample corpus.
func mailSample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "mailparse", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withoutMessage returns an mbox without its i-th message (from 0).
func withoutMessage(mbox []byte, i int) []byte {
	var msgs [][]byte
	prevBlank := true
	for _, l := range bytes.SplitAfter(mbox, []byte("\n")) {
		if prevBlank && bytes.HasPrefix(l, []byte("From ")) {
			msgs = append(msgs, nil)
		}
		if len(msgs) > 0 {
			msgs[len(msgs)-1] = append(msgs[len(msgs)-1], l...)
		}
		prevBlank = len(bytes.TrimSpace(l)) == 0
	}
	var out []byte
	for j, m := range msgs {
		if j != i {
			out = append(out, m...)
		}
	}
	return out
}

func TestFeedbackCommands(t *testing.T) {
	for _, dialect := range testdb.Dialects(t) {
		t.Run(dialect, func(t *testing.T) { testFeedbackCommands(t, dialect) })
	}
}

func testFeedbackCommands(t *testing.T, dialect string) {
	dsn, _, p := deskStore(t, dialect, 600)
	tc := cliRun{t, dsn}
	run, ok, asJSON := tc.run, tc.ok, tc.json
	fails := func(code int, inErr []string, args ...string) {
		t.Helper()
		got, _, errOut := run(args...)
		if got != code {
			t.Errorf("tandem %s: exit %d, want %d\n%s", strings.Join(args, " "), got, code, errOut)
		}
		for _, s := range inErr {
			if !strings.Contains(errOut, s) {
				t.Errorf("tandem %s: stderr lacks %q:\n%s", strings.Join(args, " "), s, errOut)
			}
		}
	}
	admin := p.roles[tandem.RoleAdmin]
	product := p.roles[tandem.RoleProduct]

	// File, list, show.
	var sub service.SubmitResult
	asJSON(&sub, "feedback", "add", "--text", "Needs SAML SSO <b>now</b>", "--title", "SSO", "--deal", p.deal, "--importance", "critical", "--author", p.rep)
	it := sub.Item
	if it.ID == "" || it.Owner != admin || it.AccountID == "" || it.RepID == "" || it.Author != p.rep {
		t.Fatalf("added: %+v", it)
	}
	if out := ok("feedback", "add", "--text", "Initech offered 40% off", "--kind", "intel"); !strings.Contains(out, "filed fb-") || !strings.Contains(out, "owner "+admin) {
		t.Errorf("add: %s", out)
	}
	fails(2, []string{`importance: "urgent"`}, "feedback", "add", "--text", "x", "--importance", "urgent")
	fails(2, []string{`no deal "nope"`}, "feedback", "add", "--text", "x", "--deal", "nope")
	var page service.FeedbackPage
	asJSON(&page, "feedback", "list", "--status", "new", "--deal", p.deal)
	if page.Total != 1 || page.Items[0].ID != it.ID {
		t.Errorf("list: %+v", page)
	}
	if out := ok("feedback", "list", "--q", "saml"); !strings.Contains(out, it.ID) || !strings.Contains(out, "1 of 1 item(s)") {
		t.Errorf("list text:\n%s", out)
	}
	fails(2, []string{`--status "open"`}, "feedback", "list", "--status", "open")

	// Triage with optimistic locking.
	out := ok("feedback", "status", it.ID, "acknowledged", "--note", "On the Q3 list", "--as", product)
	if !strings.Contains(out, "version 2: acknowledged") {
		t.Errorf("status: %s", out)
	}
	fails(4, []string{"is at version 2"}, "feedback", "status", it.ID, "planned", "--version", "1")
	fails(2, []string{`status "done"`}, "feedback", "status", it.ID, "done")
	fails(3, nil, "feedback", "status", "fb-nope", "planned")
	if out := ok("feedback", "assign", it.ID, p.mgr); !strings.Contains(out, "owner "+p.mgr) {
		t.Errorf("assign: %s", out)
	}
	show := ok("feedback", "show", it.ID)
	for _, want := range []string{"(version 3)", "Needs SAML SSO <b>now</b>", "history:", "v2", `"On the Q3 list"`, "assigned by cli:"} {
		if !strings.Contains(show, want) {
			t.Errorf("show lacks %q:\n%s", want, show)
		}
	}

	// Imports: a CSV export, a bad CSV, the mail archive with its
	// malformed message refused, then without it.
	pb := filepath.Join("..", "feedback", "testdata", "productboard_notes.csv")
	var csvRes service.CSVImportResult
	asJSON(&csvRes, "feedback", "import", pb)
	if csvRes.Format != "productboard" || csvRes.Created == 0 || len(csvRes.UnknownCompanies) == 0 {
		t.Errorf("csv import: %+v", csvRes)
	}
	if out := ok("feedback", "import", pb); !strings.Contains(out, "0 created") || !strings.Contains(out, "no account for company") {
		t.Errorf("csv re-import:\n%s", out)
	}
	bad := writeFile(t, "bad.csv", "text,kind\nfine,feedback\n,intel\nx,rumour\n")
	fails(2, []string{"bad.csv:3: text", "bad.csv:4: kind"}, "feedback", "import", bad)
	mbox := writeFile(t, "feedback.mbox", string(mailSample(t, "feedback.mbox")))
	fails(2, []string{"feedback.mbox:29: message 3 <broken-1@hooli.example>", "nothing was stored"}, "feedback", "import-mail", mbox)
	good := writeFile(t, "good.mbox", string(withoutMessage(mailSample(t, "feedback.mbox"), 2)))
	var mailRes service.MailImportResult
	asJSON(&mailRes, "feedback", "import-mail", good)
	if mailRes.Created != 4 || mailRes.Duplicates != 1 || mailRes.Threads != 2 {
		t.Errorf("mail import: %+v", mailRes)
	}
	if out := ok("feedback", "import-mail", good); !strings.Contains(out, "0 created, 5 duplicate(s) skipped") {
		t.Errorf("mail re-import: %s", out)
	}
	eml := writeFile(t, "mixed-attachment.eml", string(mailSample(t, "mixed-attachment.eml")))
	if out := ok("feedback", "import-mail", eml); !strings.Contains(out, "1 created") || !strings.Contains(out, "1 attachment(s)") {
		t.Errorf("eml import: %s", out)
	}
	fails(2, []string{"open"}, "feedback", "import-mail", filepath.Join(t.TempDir(), "missing.mbox"))

	// SLA report.
	var sla service.AckReport
	asJSON(&sla, "feedback", "sla", "--from", "2000-01-01")
	if len(sla.Owners) == 0 {
		t.Errorf("sla: %+v", sla)
	}
	if out := ok("feedback", "sla"); !strings.Contains(out, "ON TIME (95% CI)") || !strings.Contains(out, "insufficient data") {
		t.Errorf("sla text:\n%s", out)
	}
	fails(2, []string{`--from "March"`}, "feedback", "sla", "--from", "March")

	// Settings: a file with problems is refused whole, naming lines; a
	// good one applies; a stale version is refused.
	shown := ok("feedback", "settings", "show")
	if !strings.Contains(shown, "version 0") || !strings.Contains(shown, "ack_business_days: 2") {
		t.Errorf("settings show:\n%s", shown)
	}
	badSet := writeFile(t, "bad.yaml", "ack_business_days: two\nrouting:\n  - name: identity\n    keywrods: [sso]\n    owner: nobody@example.com\n")
	fails(2, []string{"bad.yaml:1: ack_business_days: wrong type", "bad.yaml:4: routing[0].keywrods: unknown key"}, "feedback", "settings", "apply", badSet)
	badOwner := writeFile(t, "owner.yaml", "routing:\n  - name: identity\n    keywords: [sso]\n    owner: nobody@example.com\n")
	fails(2, []string{`routing[0].owner: "nobody@example.com" is not an active user`}, "feedback", "settings", "apply", badOwner)
	goodSet := writeFile(t, "good.yaml", "ack_business_days: 3\nrouting:\n  - name: identity\n    keywords: [sso, okta]\n    owner: "+product+"\n")
	if out := ok("feedback", "settings", "apply", goodSet); !strings.Contains(out, "version 1: 1 routing rule(s)") {
		t.Errorf("apply: %s", out)
	}
	fails(4, []string{"version 1"}, "feedback", "settings", "apply", goodSet, "--version", "0")
	asJSON(&sub, "feedback", "add", "--text", "Okta login loops")
	if sub.Item.Owner != product || sub.Item.RoutedBy != "identity" {
		t.Errorf("routed: %+v", sub.Item)
	}
	if shown := ok("feedback", "settings", "show"); !strings.Contains(shown, "- name: identity") || !strings.Contains(shown, "version 1") {
		t.Errorf("settings show after apply:\n%s", shown)
	}
}
