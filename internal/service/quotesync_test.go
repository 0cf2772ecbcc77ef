package service

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/desk"
	"github.com/tandemhq/tandem/internal/importer"
	"github.com/tandemhq/tandem/internal/testdb"
)

// TestSyncImportedQuotes imports a quotes file and a quote_lines file
// through the importer, as tandem import does, and syncs them into the
// desk after each: quotes first (no lines yet), then lines (quotes
// created), the same files again (nothing new), a lowered discount (one
// new version whose diff shows it, the manager's approval standing), and
// a desk edit that a re-import of unchanged files leaves alone.
func TestSyncImportedQuotes(t *testing.T) {
	for _, d := range testdb.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			f := newDeskFixture(t, d)
			s, ctx := f.s, t.Context()
			if _, err := s.ApplyRules(ctx, Actor{Name: f.admin.Email}, "rules.yaml", []byte(deskRules), ""); err != nil {
				t.Fatal(err)
			}
			products, err := s.store.List(ctx, "products", tandem.Query{Limit: 2})
			if err != nil || len(products.Records) < 2 {
				t.Fatalf("products: %v", err)
			}
			features, err := s.store.List(ctx, "features", tandem.Query{Limit: 1})
			if err != nil || len(features.Records) < 1 {
				t.Fatalf("features: %v", err)
			}
			fe, _ := s.cat.Entity("features")
			p1, p2 := products.Records[0].ID(), products.Records[1].ID()
			feature, featureName := features.Records[0].ID(), text(fe, features.Records[0], "name")

			dir := t.TempDir()
			write := func(name, content string) string {
				path := filepath.Join(dir, name)
				if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
				return path
			}
			quotes := write("quotes.csv", "id,deal_id,term_months,billing,payment_terms_days,currency,promises\n"+
				fmt.Sprintf("IQ-1,%s,24,Quarterly,Net 45,USD,%s@2026-09-30\n", f.deal, featureName)+
				fmt.Sprintf("IQ-2,%s,12,annual,30,USD,\n", f.deal))
			linesCSV := func(discount string) string {
				return "id,quote_id,product_id,quantity,list_price,discount,net_price\n" +
					fmt.Sprintf("IL-1,IQ-1,%s,10,1000,%s,\n", p1, discount) +
					fmt.Sprintf("IL-2,IQ-1,%s,5,200,,200\n", p2)
			}
			lines := write("quote_lines.csv", linesCSV("15"))
			sync := func(entity, path string) SyncResult {
				t.Helper()
				if _, err := s.imp.ImportFile(ctx, entity, path, importer.Options{}); err != nil {
					t.Fatalf("import %s: %v", entity, err)
				}
				res, err := s.SyncImportedQuotes(ctx, f.actor(f.rep))
				if err != nil {
					t.Fatalf("sync after %s: %v", entity, err)
				}
				return res
			}

			// Quotes before their lines: nothing to sync yet, and said so.
			res := sync("quotes", quotes)
			if res.Created+res.Versioned+res.Unchanged != 0 || len(res.Problems) != 2 || !strings.Contains(res.Problems[0], "IQ-1: no lines yet") {
				t.Fatalf("quotes without lines: %+v", res)
			}
			res = sync("quote_lines", lines)
			if res.Created != 1 || res.Versioned != 0 || len(res.Problems) != 1 || !strings.Contains(res.Problems[0], "IQ-2: no lines yet") {
				t.Fatalf("lines imported: %+v", res)
			}
			v1, err := s.Quote(ctx, "IQ-1", 0)
			if err != nil {
				t.Fatal(err)
			}
			q := v1.Quote
			if v1.Latest != 1 || q.DealID != f.deal || q.TermMonths != 24 || q.Billing != "quarterly" || q.PaymentDays != 45 || q.Currency != "USD" || q.Author != f.rep.Email {
				t.Fatalf("quote v1: %+v", q)
			}
			if len(q.Lines) != 2 || q.Lines[0].ID != "IL-1" || q.Lines[0].NetPrice != 850 || q.Lines[1].ID != "IL-2" || q.Lines[1].Discount != 0 {
				t.Fatalf("lines: %+v", q.Lines)
			}
			if len(q.Promises) != 1 || q.Promises[0].Feature != feature || !q.Promises[0].Date.Equal(time.Date(2026, 9, 30, 0, 0, 0, 0, time.UTC)) {
				t.Fatalf("promises: %+v", q.Promises)
			}
			var step tandem.Approval
			for _, a := range v1.Approvals {
				if a.Rule == "discount-over-10" {
					step = a
				}
			}
			if step.Status != tandem.ApprovalPending || step.Approver != f.mgr.Email {
				t.Fatalf("a 15%% line asked no manager's approval: %+v", v1.Approvals)
			}
			if _, err := s.Decide(ctx, f.actor(f.mgr), f.mgr, step.ID, desk.Approve, "ok"); err != nil {
				t.Fatal(err)
			}

			// The same files again: no new version.
			f.clk.t = f.clk.t.Add(time.Hour)
			sync("quotes", quotes)
			res = sync("quote_lines", lines)
			if res.Created != 0 || res.Versioned != 0 || res.Unchanged != 1 {
				t.Fatalf("re-import: %+v", res)
			}
			if v, err := s.Quote(ctx, "IQ-1", 0); err != nil || v.Latest != 1 {
				t.Fatalf("re-import made a version: %v", err)
			}

			// A lower discount in the source: one new version, its diff,
			// and the manager's approval standing on the matched line.
			lines = write("quote_lines.csv", linesCSV("12"))
			res = sync("quote_lines", lines)
			if res.Versioned != 1 || res.Created != 0 || res.Unchanged != 0 {
				t.Fatalf("changed discount: %+v", res)
			}
			v2, err := s.Quote(ctx, "IQ-1", 0)
			if err != nil {
				t.Fatal(err)
			}
			changed := map[string]string{}
			for _, c := range v2.Changes {
				changed[c.Field] = c.From + "→" + c.To
			}
			if v2.Latest != 2 || changed["lines[IL-1].discount"] != "15→12" || changed["lines[IL-1].net_price"] != "850→880" || len(changed) != 2 {
				t.Fatalf("v2: latest %d, changes %v", v2.Latest, v2.Changes)
			}
			for _, a := range v2.Approvals {
				if a.Rule == "discount-over-10" && (a.Status != tandem.ApprovalApproved || a.CarriedFrom == "") {
					t.Errorf("the manager's approval did not stand a lower discount: %+v", a)
				}
			}
			if res = sync("quote_lines", lines); res.Versioned != 0 || res.Unchanged != 1 {
				t.Fatalf("second import of the changed file: %+v", res)
			}

			// An edit in the desk stands while the source does not change.
			edit := v2.Quote
			edit.PaymentDays, edit.Note = 60, "customer asked for net 60"
			if _, err := s.SaveQuote(ctx, f.actor(f.rep), edit); err != nil {
				t.Fatal(err)
			}
			sync("quotes", quotes)
			v3, err := s.Quote(ctx, "IQ-1", 0)
			if err != nil {
				t.Fatal(err)
			}
			if v3.Latest != 3 || v3.Quote.PaymentDays != 60 {
				t.Fatalf("re-import after a desk edit: version %d at net %d, want the edit (version 3, net 60) to stand", v3.Latest, v3.Quote.PaymentDays)
			}
		})
	}
}

// TestSyncImportedQuotesProblems: a quote the desk refuses is listed and
// skipped, the others sync, and no quotes at all is no work.
func TestSyncImportedQuotesProblems(t *testing.T) {
	s, _ := newService(t, "sqlite")
	ctx := t.Context()
	res, err := s.SyncImportedQuotes(ctx, Actor{Name: "test"})
	if err != nil || res.Created+res.Versioned+res.Unchanged+len(res.Problems) != 0 {
		t.Fatalf("empty store: %+v, %v", res, err)
	}
	dir := t.TempDir()
	for _, step := range []struct{ entity, content string }{
		{"deals", "id,stage,amount\nD1,Proposal,1000\n"},
		{"products", "id,name\nP1,Widget\n"},
		{"quotes", "id,deal_id\nQ1,D1\nQ2,D1\n"},
		// Q1's line has a discount but neither it nor the catalog has a
		// list price: the desk refuses it.
		{"quote_lines", "id,quote_id,product_id,quantity,discount\nL1,Q1,P1,1,10\nL2,Q2,P1,1,\n"},
	} {
		path := filepath.Join(dir, step.entity+".csv")
		if err := os.WriteFile(path, []byte(step.content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := s.imp.ImportFile(ctx, step.entity, path, importer.Options{}); err != nil {
			t.Fatalf("import %s: %v", step.entity, err)
		}
	}
	res, err = s.SyncImportedQuotes(ctx, Actor{Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Created != 1 || len(res.Problems) != 1 || !strings.Contains(res.Problems[0], "quote Q1") || !strings.Contains(res.Problems[0], "list price") {
		t.Fatalf("sync: %+v", res)
	}
}

// TestStagedImportSyncsQuotes: an import of a staged upload of quotes or
// quote_lines syncs the desk, and its summary says how; a preview does not.
func TestStagedImportSyncsQuotes(t *testing.T) {
	s, _ := newService(t, "sqlite")
	ctx := t.Context()
	a := Actor{Name: "ana@x.io"}
	for _, step := range []struct{ entity, content string }{
		{"deals", "id,stage,amount\nD1,Proposal,1000\n"},
		{"products", "id,name,price\nP1,Widget,100\n"},
	} {
		path := filepath.Join(t.TempDir(), step.entity+".csv")
		if err := os.WriteFile(path, []byte(step.content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := s.imp.ImportFile(ctx, step.entity, path, importer.Options{}); err != nil {
			t.Fatalf("import %s: %v", step.entity, err)
		}
	}
	stage := func(entity, content string) *importer.Summary {
		t.Helper()
		u, err := s.Stage(ctx, "u1", entity+".csv", strings.NewReader(content), 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		if prev, err := s.Preview(ctx, "u1", u.ID, ImportRequest{Entity: entity}); err != nil || prev.Quotes != nil {
			t.Fatalf("preview of %s: %+v, %v", entity, prev, err)
		}
		sum, err := s.Import(ctx, a, "u1", u.ID, ImportRequest{Entity: entity})
		if err != nil {
			t.Fatalf("import %s: %v", entity, err)
		}
		return sum
	}
	if sum := stage("quotes", "id,deal_id\nQ1,D1\n"); sum.Quotes == nil || len(sum.Quotes.Problems) != 1 {
		t.Fatalf("quotes: %+v", sum.Quotes)
	}
	if sum := stage("quote_lines", "id,quote_id,product_id,quantity\nL1,Q1,P1,3\n"); sum.Quotes == nil || sum.Quotes.Created != 1 || len(sum.Quotes.Problems) != 0 {
		t.Fatalf("quote lines: %+v", sum.Quotes)
	}
	v, err := s.Quote(ctx, "Q1", 0)
	if err != nil || v.Quote.Author != a.Name || v.Quote.Lines[0].ListPrice != 100 {
		t.Fatalf("synced quote: %+v, %v", v, err)
	}
	if sum := stage("products", "id,name,price\nP2,Gadget,5\n"); sum.Quotes != nil {
		t.Errorf("an import of products synced quotes: %+v", sum.Quotes)
	}
}
