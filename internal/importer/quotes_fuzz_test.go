package importer

import (
	"bytes"
	"context"
	"strconv"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/sqldb/sqldbtest"
)

// FuzzQuoteImport feeds arbitrary bytes to dry-run imports of quotes and
// quote lines, in every format, on a real SQLite store holding a deal, a
// product and a feature: an import must never panic, must fail only with
// an invalid-input error that lists its problems, and must never write.
func FuzzQuoteImport(f *testing.F) {
	for _, s := range []struct {
		lines bool
		data  string
	}{
		{false, "id,deal_id,term_months,billing,payment_terms_days,promises\nQ1,D1,12,annual,Net 30,SSO@2024-09-30\n"},
		{false, "id,deal_id,promises\nQ1,D1,SSO@;@2024-01-01;x@y@2024-01-01\n"},
		{false, "Id,SBQQ__Opportunity2__c,SBQQ__SubscriptionTerm__c,SBQQ__BillingFrequency__c,SBQQ__PaymentTerms__c\nQ1,D1,36,Semiannual,Due on Receipt\n"},
		{false, "Record ID,Associated Deal IDs,Create Date,Payment terms,Billing frequency\n5501,D1,2024-04-02 10:15,Net 60,annually\n"},
		{true, "id,quote_id,product_id,quantity,list_price,discount,net_price\nL1,Q1,Platform,1,100,10,90\nL2,Q1,Platform,0,100,101,\n"},
		{true, "ID,SBQQ__QUOTE__C,SBQQ__PRODUCT__C,SBQQ__QUANTITY__C,SBQQ__LISTPRICE__C,SBQQ__DISCOUNT__C,SBQQ__NETPRICE__C\nL1,Q1,Platform,2,500.00,10,450.00\n"},
		{true, "Record ID,Associated Quote IDs,Product ID,Quantity,Unit price,Discount percentage,Net price\n7701,Q1,Platform,0,100,,1e400\n"},
	} {
		f.Add(s.lines, []byte(s.data))
	}
	cat := tandem.NewCatalog()
	db := sqldbtest.Open(f, "sqlite", cat)
	im := &Importer{Store: db, Catalog: cat}
	ctx := context.Background()
	l, err := db.Begin(ctx)
	if err != nil {
		f.Fatal(err)
	}
	for _, r := range []struct{ entity, id, name string }{{"deals", "D1", "New"}, {"products", "Platform", "Platform"}, {"features", "F-SSO", "SSO"}, {"quotes", "Q1", ""}} {
		e, _ := cat.Entity(r.entity)
		vals := make([]any, len(e.Columns))
		for i := range vals {
			vals[i] = tandem.Absent{}
		}
		vals[0] = r.id
		switch r.entity {
		case "quotes":
			vals[1] = "D1"
		default:
			vals[1] = r.name
		}
		if err := l.Put(ctx, e, tandem.Record{Values: vals}); err != nil {
			f.Fatal(err)
		}
	}
	if _, err := l.Commit(ctx); err != nil {
		f.Fatal(err)
	}
	quotes, _ := cat.Entity("quotes")
	lines, _ := cat.Entity("quote_lines")
	f.Fuzz(func(t *testing.T, isLines bool, data []byte) {
		e := quotes
		if isLines {
			e = lines
		}
		sum, err := im.run(ctx, e, bytes.NewReader(data), int64(len(data)), "fuzz.csv", Options{DryRun: true})
		if err != nil {
			if tandem.ErrorCode(err) != tandem.EINVALID {
				t.Fatalf("error code %s: %v", tandem.ErrorCode(err), err)
			}
			if sum == nil || len(sum.Errors) == 0 {
				t.Fatalf("error without listed problems: %v", err)
			}
		}
		for entity, want := range map[string]int{"quotes": 1, "quote_lines": 0, "products": 1} {
			if n, _ := db.Count(ctx, entity); n != want {
				t.Fatalf("dry run left %d %s, want %d", n, entity, want)
			}
		}
	})
}

// FuzzCanonicalValue: the CRM spellings of billing and payment terms map
// only onto values the columns read.
func FuzzCanonicalValue(f *testing.F) {
	for _, s := range []string{"Net 30", "NET-45", "net 30 days", "Due on Receipt", "30 days", "Net +5", "Net 99999999999999999999", "Annually", "per_six_months", "Up front", ""} {
		f.Add(s)
	}
	quotes, _ := tandem.NewCatalog().Entity("quotes")
	billing, _ := quotes.Column("billing")
	f.Fuzz(func(t *testing.T, s string) {
		if v, ok := canonicalValue("quotes", "payment_terms_days", s); ok {
			if n, err := strconv.Atoi(v); err != nil || n < 0 || strconv.Itoa(n) != v {
				t.Fatalf("payment terms %q -> %q", s, v)
			}
		}
		if v, ok := canonicalValue("quotes", "billing", s); ok {
			if _, err := convert(billing, v, nil); err != nil {
				t.Fatalf("billing %q -> %q: %v", s, v, err)
			}
		}
	})
}
