package importer_test

import (
	"strings"
	"testing"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/importer"
)

func TestDetectQuoteFormats(t *testing.T) {
	cat := tandem.NewCatalog()
	tests := []struct {
		entity, header, want string
	}{
		{"quotes", "id,deal_id,term_months,billing,payment_terms_days,nonstandard_terms,currency,promises,created", importer.FormatTandem},
		{"quote_lines", "id,quote_id,product_id,quantity,list_price,discount,net_price", importer.FormatTandem},
		{"quotes", "Id,Name,SBQQ__Opportunity2__c,SBQQ__SubscriptionTerm__c,SBQQ__BillingFrequency__c,SBQQ__PaymentTerms__c,CurrencyIsoCode,CreatedDate", importer.FormatSalesforce},
		{"quotes", "ID,SBQQ__OPPORTUNITY2__C,SBQQ__STATUS__C", importer.FormatSalesforce},
		{"quote_lines", "Id,SBQQ__Quote__c,SBQQ__Product__c", importer.FormatSalesforce},
		{"quote_lines", "ID,NAME,SBQQ__QUOTE__C,SBQQ__PRODUCT__C,SBQQ__QUANTITY__C,SBQQ__LISTPRICE__C,SBQQ__DISCOUNT__C,SBQQ__NETPRICE__C", importer.FormatSalesforce},
		{"quotes", "Record ID,Quote Name,Associated Deal IDs,Create Date,Currency", importer.FormatHubSpot},
		{"quotes", "hs_object_id,hs_title,hs_quote_amount,hs_expiration_date,hs_currency", importer.FormatHubSpot},
		{"quote_lines", "Record ID,Name,Product ID,Quantity,Unit price,Net price,Associated Quote IDs", importer.FormatHubSpot},
		{"quote_lines", "hs_object_id,hs_product_id,quantity,price,hs_discount_percentage,amount", importer.FormatHubSpot},
		{"quote_lines", "line,quote,sku,qty", importer.FormatCSV},
	}
	for _, tt := range tests {
		e, err := cat.Entity(tt.entity)
		if err != nil {
			t.Fatal(err)
		}
		if got := importer.DetectFormat(e, strings.Split(tt.header, ",")); got != tt.want {
			t.Errorf("%s %q: format %s, want %s", tt.entity, tt.header, got, tt.want)
		}
	}
}

// loadSalesforceDeals loads the Salesforce accounts, users and
// opportunities of testdata, and the CPQ products.
func loadSalesforceDeals(f *fixture) {
	for _, step := range []struct{ entity, file string }{
		{"accounts", "sf_account.csv"}, {"reps", "sf_user.csv"}, {"deals", "sf_opportunity.csv"},
	} {
		f.mustLoad(step.entity, "@testdata/"+step.file, importer.Options{})
	}
	f.mustLoad("products", "id,name,price\n01t5g00000Pr001AAA,Platform,500\n01t5g00000Pr002AAA,Insights Add-on,100\n", importer.Options{})
}

// columnsOf renders a summary's column map as "canonical←source" pairs.
func columnsOf(s *importer.Summary) string {
	var parts []string
	for _, m := range s.Columns {
		parts = append(parts, m.Canonical+"←"+m.Source)
	}
	return strings.Join(parts, ",")
}

func TestSalesforceCPQ(t *testing.T) {
	forEachDialect(t, func(t *testing.T, f *fixture) {
		loadSalesforceDeals(f)
		qs := f.mustLoad("quotes", "@testdata/sf_cpq_quote.csv", importer.Options{})
		if qs.Format != importer.FormatSalesforce {
			t.Fatalf("quotes detected as %s", qs.Format)
		}
		wantCols := "id←Id,deal_id←SBQQ__Opportunity2__c,term_months←SBQQ__SubscriptionTerm__c,billing←SBQQ__BillingFrequency__c," +
			"payment_terms_days←SBQQ__PaymentTerms__c,currency←CurrencyIsoCode,created←CreatedDate"
		if got := columnsOf(qs); got != wantCols {
			t.Errorf("quote columns:\n got %s\nwant %s", got, wantCols)
		}
		ls := f.mustLoad("quote_lines", "@testdata/sf_cpq_quoteline.csv", importer.Options{})
		if ls.Format != importer.FormatSalesforce {
			t.Fatalf("quote lines detected as %s", ls.Format)
		}
		wantCols = "id←ID,quote_id←SBQQ__QUOTE__C,product_id←SBQQ__PRODUCT__C,quantity←SBQQ__QUANTITY__C," +
			"list_price←SBQQ__LISTPRICE__C,discount←SBQQ__DISCOUNT__C,net_price←SBQQ__NETPRICE__C"
		if got := columnsOf(ls); got != wantCols {
			t.Errorf("line columns:\n got %s\nwant %s", got, wantCols)
		}
		for id, want := range map[string]map[string]string{
			"a0q5g00000Qt001AAA": {"deal_id": "0065g00000AbCd1AAF", "term_months": "12", "billing": "annual", "payment_terms_days": "30", "currency": "USD", "created": "2024-02-20T16:45:10Z"},
			"a0q5g00000Qt002AAA": {"term_months": "24", "billing": "quarterly", "payment_terms_days": "45", "currency": "EUR"},
			"a0q5g00000Qt003AAA": {"billing": "monthly", "payment_terms_days": "0"},
		} {
			q := f.get("quotes", id)
			for col, w := range want {
				if got := f.value("quotes", q, col); got != w {
					t.Errorf("quote %s %s = %q, want %q", id, col, got, w)
				}
			}
		}
		if q := f.get("quotes", "a0q5g00000Qt001AAA"); q.Attrs["SBQQ__Status__c"] != "Approved" || q.Attrs["Name"] != "Q-00101" {
			t.Errorf("unmapped CPQ fields not kept: %v", q.Attrs)
		}
		norm := map[string]bool{}
		for _, n := range qs.Normalized {
			norm[n.Column+":"+n.From+"→"+n.To] = true
		}
		for _, w := range []string{"payment_terms_days:Net 30→30", "payment_terms_days:Due on Receipt→0"} {
			if !norm[w] {
				t.Errorf("normalizations %v lack %s", qs.Normalized, w)
			}
		}
		l := f.get("quote_lines", "a0r5g00000QL001AAA")
		for col, w := range map[string]string{"quote_id": "a0q5g00000Qt001AAA", "product_id": "01t5g00000Pr001AAA",
			"quantity": "200", "list_price": "500", "discount": "10", "net_price": "450"} {
			if got := f.value("quote_lines", l, col); got != w {
				t.Errorf("line %s = %q, want %q", col, got, w)
			}
		}
		if l.Attrs["SBQQ__NETTOTAL__C"] != "90000.00" {
			t.Errorf("line attrs = %v", l.Attrs)
		}
	})
}

// loadHubSpotDeals loads the HubSpot deals of testdata and the products
// their line items name.
func loadHubSpotDeals(f *fixture) {
	f.mustLoad("accounts", "id,name\nC1,Acme Corp\nC2,Globex\n", importer.Options{})
	f.mustLoad("reps", "id,name\nO1,Dana Reyes\nO2,Lee Park\n", importer.Options{})
	f.mustLoad("deals", "@testdata/hubspot_deals.csv", importer.Options{})
	f.mustLoad("products", "id,name,price\nP-PLAT,Platform,500\nP-INS,Insights Add-on,100\nP-ANL,Analytics,600\n", importer.Options{})
}

func TestHubSpotQuotes(t *testing.T) {
	forEachDialect(t, func(t *testing.T, f *fixture) {
		loadHubSpotDeals(f)
		qs := f.mustLoad("quotes", "@testdata/hubspot_quotes.csv", importer.Options{})
		if qs.Format != importer.FormatHubSpot {
			t.Fatalf("quotes detected as %s", qs.Format)
		}
		q := f.get("quotes", "5501")
		for col, w := range map[string]string{"deal_id": "9001", "payment_terms_days": "60", "billing": "annual", "currency": "USD", "created": "2024-04-02T10:15:00Z"} {
			if got := f.value("quotes", q, col); got != w {
				t.Errorf("quote %s = %q, want %q", col, got, w)
			}
		}
		if q.Attrs["Quote status"] != "APPROVED" {
			t.Errorf("quote attrs = %v", q.Attrs)
		}
		ls := f.mustLoad("quote_lines", "@testdata/hubspot_line_items.csv", importer.Options{})
		if ls.Format != importer.FormatHubSpot {
			t.Fatalf("line items detected as %s", ls.Format)
		}
		want := "id←Record ID,quote_id←Associated Quote IDs,product_id←Product ID,quantity←Quantity,list_price←Unit price,discount←Discount percentage"
		if got := columnsOf(ls); got != want {
			t.Errorf("line columns:\n got %s\nwant %s", got, want)
		}
		for id, want := range map[string]map[string]string{
			// A percentage: the desk computes the net price from it.
			"7701": {"quote_id": "5501", "product_id": "P-PLAT", "quantity": "50", "list_price": "500", "discount": "10", "net_price": ""},
			// An amount off: the net price is the total over the quantity.
			"7702": {"list_price": "100", "discount": "", "net_price": "87.5"},
		} {
			l := f.get("quote_lines", id)
			for col, w := range want {
				if got := f.value("quote_lines", l, col); got != w {
					t.Errorf("line %s %s = %q, want %q", id, col, got, w)
				}
			}
		}
		if l := f.get("quote_lines", "7702"); l.Attrs["Discount"] != "12.5" || l.Attrs["Name"] != "Insights Add-on" {
			t.Errorf("HubSpot's amount off and name not kept as attributes: %v", l.Attrs)
		}
	})
}

func TestCanonicalQuotes(t *testing.T) {
	forEachDialect(t, func(t *testing.T, f *fixture) {
		f.mustLoad("deals", "id,stage\nD1,Proposal\nD2,Negotiation\n", importer.Options{})
		f.mustLoad("products", "id,name\nPlatform,Platform\nInsights,Insights\n", importer.Options{})
		f.mustLoad("features", "id,name,status\nF-SSO,SSO,beta\nF-AUD,Audit Log,planned\n", importer.Options{})
		qs := f.mustLoad("quotes", "@testdata/quotes.csv", importer.Options{})
		if qs.Format != importer.FormatTandem {
			t.Fatalf("format %s", qs.Format)
		}
		if got := f.value("quotes", f.get("quotes", "Q2"), "promises"); got != "F-SSO@2024-09-30;F-AUD@2024-12-31" {
			t.Errorf("promises = %q, want feature ids", got)
		}
		if got := f.value("quotes", f.get("quotes", "Q2"), "billing"); got != "quarterly" {
			t.Errorf("billing = %q", got)
		}
		f.mustLoad("quote_lines", "@testdata/quote_lines.csv", importer.Options{})
		before := f.dump()
		again := f.mustLoad("quotes", "@testdata/quotes.csv", importer.Options{})
		f.mustLoad("quote_lines", "@testdata/quote_lines.csv", importer.Options{})
		if f.dump() != before {
			t.Error("re-importing quotes changed the store")
		}
		for _, c := range again.Loaded {
			if c.Entity == "quotes" && c.Unchanged != 2 {
				t.Errorf("re-import counts %+v", c)
			}
		}
	})
}

func TestBadQuoteRows(t *testing.T) {
	tests := []struct {
		name, entity, content string
		opt                   importer.Options
		// want lists "line N: column C: reason" fragments that must all
		// appear; line 2 of a file with several rows is good.
		want []string
	}{
		{"quotes", "quotes", "id,deal_id,term_months,billing,payment_terms_days,promises\n" +
			"Q1,D1,12,annual,30,SSO@2024-09-30\n" +
			"Q2,D1,150,Semiannual,Net soon,SSO\n" +
			"Q3,D404,12,annual,400,SSO@31/12/2024;Nope@2024-01-01\n" +
			"Q4,D1,12,annual,30,SSO@2024-01-01;sso@2024-02-01\n",
			importer.Options{}, []string{
				"line 3: column term_months: term_months 150 is more than 120",
				`line 3: column billing: unknown billing "Semiannual"`,
				`line 3: column payment_terms_days: cannot read "Net soon" as a number`,
				`line 3: column promises: promise "SSO" is not FEATURE@YYYY-MM-DD`,
				`line 4: column deal_id: unknown deal "D404"`,
				"line 4: column payment_terms_days: payment_terms_days 400 is more than 365",
				`line 4: column promises: promise "SSO@31/12/2024"`,
				`line 4: column promises: promise "Nope@2024-01-01": unknown feature "Nope"`,
				`line 5: column promises: feature "F-SSO" is promised twice`,
			}},
		{"cpq billing", "quotes", "Id,SBQQ__Opportunity2__c,SBQQ__BillingFrequency__c\nQ9,D1,Semiannual\n",
			importer.Options{}, []string{`line 2: column SBQQ__BillingFrequency__c: unknown billing "Semiannual"`, "--value billing:Semiannual="}},
		{"lines", "quote_lines", "id,quote_id,product_id,quantity,list_price,discount,net_price\n" +
			"L1,Q1,Platform,1,100,10,90\n" +
			"L2,Q1,Platform,0,100,,\n" +
			"L3,Q1,Platform,1,100,120,\n" +
			"L4,Q1,Platform,1,100,,120\n" +
			"L5,Q1,Platform,1,100,10,80\n" +
			"L6,Q404,Platform,1,100,,\n",
			importer.Options{NoCreate: true}, []string{
				"line 3: column quantity: a quote line needs a quantity above 0",
				"line 4: column discount: discount 120% is more than 100%",
				"line 5: column net_price: net price 120 is above the list price 100",
				"line 6: column net_price: net price 80 does not match list price 100 less 10% (90)",
				`line 7: column quote_id: unknown quote "Q404"`,
			}},
		{"hubspot amount", "quote_lines", "Record ID,Associated Quote IDs,Product ID,Quantity,Unit price,Net price\n7701,Q1,Platform,2,100,lots\n",
			importer.Options{}, []string{`line 2: column Net price: cannot read "lots" as a number`}},
	}
	forEachDialect(t, func(t *testing.T, f *fixture) {
		f.mustLoad("deals", "id,stage\nD1,Proposal\n", importer.Options{})
		f.mustLoad("products", "id,name\nPlatform,Platform\n", importer.Options{})
		f.mustLoad("features", "id,name\nF-SSO,SSO\n", importer.Options{})
		f.mustLoad("quotes", "id,deal_id\nQ1,D1\n", importer.Options{})
		before := f.dump()
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				sum, err := f.load(tt.entity, tt.content, tt.opt)
				if tandem.ErrorCode(err) != tandem.EINVALID {
					t.Fatalf("err = %v, want invalid", err)
				}
				var lines []string
				for _, e := range sum.Errors {
					lines = append(lines, e.String())
				}
				all := strings.Join(lines, "\n")
				for _, w := range tt.want {
					if !strings.Contains(all, w) {
						t.Errorf("errors do not mention %q:\n%s", w, all)
					}
				}
				if strings.Count(tt.content, "\n") > 2 && strings.Contains(all, "line 2:") {
					t.Errorf("the good first row was reported:\n%s", all)
				}
				if f.dump() != before {
					t.Error("a failed import changed the store")
				}
			})
		}
	})
}
