package importer

import (
	"strconv"
	"strings"

	"github.com/tandemhq/tandem"
)

// Formats the importer understands. FormatCSV is any other spreadsheet: its
// headers are matched to canonical names loosely and --map does the rest.
const (
	FormatTandem     = "tandem"
	FormatSalesforce = "salesforce"
	FormatHubSpot    = "hubspot"
	FormatCSV        = "csv"
)

// headerKey folds a header for matching: "Opportunity ID", "OPPORTUNITYID"
// and "opportunity_id" all become "opportunityid". Data Loader writes
// upper-case API names, report exports write labels, so both must match.
func headerKey(h string) string { return tandem.NormalizeName(h) }

// sourceNames returns, for a format and entity, the header keys (as headerKey
// folds them) that fill each canonical column, in order of preference.
// Unlisted canonical columns of the tandem and csv formats match their own
// name.
func sourceNames(format, entity string) map[string][]string {
	switch format {
	case FormatSalesforce:
		switch entity {
		case "deals":
			return map[string][]string{
				"id": {"id", "opportunityid"}, "account_id": {"accountid", "accountname"},
				"name": {"name", "opportunityname"}, "stage": {"stagename", "stage"},
				"amount": {"amount"}, "closed": {"closedate"}, "created": {"createddate"},
				"rep_id": {"ownerid", "opportunityowner"}, "type": {"type"}, "source": {"leadsource"},
				"currency": {"currencyisocode", "opportunitycurrency"},
			}
		case "line_items":
			return map[string][]string{
				"id": {"id", "lineitemid"}, "deal_id": {"opportunityid"},
				"product_id": {"product2id", "productname", "productcode", "product"},
				"quantity":   {"quantity"}, "unit_price": {"unitprice", "salesprice"}, "amount": {"totalprice"},
			}
		case "deal_stages":
			return map[string][]string{
				"id": {"id"}, "deal_id": {"opportunityid"}, "stage": {"stagename", "tostage", "stage"},
				"entered_at": {"createddate", "lastmodified"}, "amount": {"amount"},
			}
		case "accounts":
			return map[string][]string{
				"id": {"id", "accountid"}, "name": {"name", "accountname"}, "industry": {"industry"},
				"employees": {"numberofemployees", "employees"}, "revenue": {"annualrevenue"},
				"region": {"billingcountry", "billingstate"}, "parent_id": {"parentid"}, "created": {"createddate"},
			}
		case "reps":
			return map[string][]string{
				"id": {"id", "userid"}, "name": {"name", "fullname"}, "manager": {"managerid", "manager"},
				"team": {"department", "userrolename"}, "role": {"title"}, "region": {"division"},
			}
		case "leads":
			return map[string][]string{
				"id": {"id", "leadid"}, "created": {"createddate"}, "source": {"leadsource"},
				"status": {"status", "leadstatus"}, "account_id": {"convertedaccountid"}, "rep_id": {"ownerid", "leadowner"},
			}
		case "quotes": // Salesforce CPQ: SBQQ__Quote__c
			return map[string][]string{
				"id": {"id", "quoteid"}, "deal_id": {"sbqqopportunity2c", "sbqqopportunityc", "opportunityid"},
				"term_months": {"sbqqsubscriptiontermc"}, "billing": {"sbqqbillingfrequencyc"},
				"payment_terms_days": {"sbqqpaymenttermsc"}, "created": {"createddate"}, "currency": {"currencyisocode"},
			}
		case "quote_lines": // Salesforce CPQ: SBQQ__QuoteLine__c
			return map[string][]string{
				"id": {"id", "quotelineid"}, "quote_id": {"sbqqquotec", "quoteid"},
				"product_id": {"sbqqproductc", "sbqqproductcodec", "sbqqproductnamec"},
				"quantity":   {"sbqqquantityc"}, "list_price": {"sbqqlistpricec"},
				"discount": {"sbqqdiscountc"}, "net_price": {"sbqqnetpricec"},
			}
		}
	case FormatHubSpot:
		switch entity {
		case "deals":
			return map[string][]string{
				"id": {"recordid", "hsobjectid", "dealid"}, "name": {"dealname"}, "stage": {"dealstage"},
				"amount": {"amount"}, "closed": {"closedate"}, "created": {"createdate"},
				"loss_reasons": {"closedlostreason"}, "account_id": {"associatedcompany", "associatedcompanyids", "associatedcompanyid"},
				"rep_id": {"dealowner", "hubspotownerid"}, "type": {"dealtype"},
				"currency": {"currencycode", "dealcurrencycode"}, "source": {"originalsource", "hsanalyticssource"},
			}
		case "accounts":
			return map[string][]string{
				"id": {"recordid", "hsobjectid", "companyid"}, "name": {"companyname", "name"}, "industry": {"industry"},
				"employees": {"numberofemployees"}, "revenue": {"annualrevenue"}, "region": {"countryregion", "country"},
				"created": {"createdate"},
			}
		case "quotes":
			// A quote export carries its deal as an association; HubSpot
			// quotes have no term, billing or payment terms of their own,
			// so those fill from portal-defined properties when present.
			return map[string][]string{
				"id":      {"recordid", "hsobjectid", "quoteid"},
				"deal_id": {"associateddealids", "associateddealid", "dealid", "hsdealid", "associateddeal"},
				"created": {"createdate", "hscreatedate"}, "currency": {"hscurrency", "currency", "currencycode"},
				"term_months":        {"termmonths", "contractterm", "contracttermmonths"},
				"billing":            {"billingfrequency", "recurringbillingfrequency"},
				"payment_terms_days": {"paymentterms", "hspaymentterms"},
			}
		case "quote_lines":
			// HubSpot line items: price is the list price per unit and
			// hs_discount_percentage the discount. amount (labelled "Net
			// price") is the line's total, so the plan derives the net
			// price per unit from it (see claimLineAmount); it and the
			// fixed "discount" amount never fill a column by their names.
			return map[string][]string{
				"id":         {"recordid", "hsobjectid", "lineitemid"},
				"quote_id":   {"associatedquoteids", "associatedquoteid", "hsquoteid", "quoteid", "associatedquote"},
				"product_id": {"hsproductid", "productid", "name"},
				"quantity":   {"quantity"}, "list_price": {"price", "unitprice"},
				"discount": {"hsdiscountpercentage", "discountpercentage"},
			}
		}
	}
	return nil
}

// selfMatch reports whether a canonical column is filled from a header of
// its own name when the format's source names do not match. HubSpot line
// items are the exception: their "Discount" is an amount off, not a
// percentage, and their "Net price" a line total, not a price per unit.
func selfMatch(format, entity, column string) bool {
	if format == FormatHubSpot && entity == "quote_lines" {
		return column != "discount" && column != "net_price"
	}
	return true
}

// Markers: header keys that identify an export's origin.
func formatMarkers(format string) []string {
	switch format {
	case FormatSalesforce:
		return []string{"stagename", "accountid", "iswon", "isclosed", "opportunityid", "product2id",
			"pricebookentryid", "createddate", "ownerid", "leadsource", "opportunityname", "opportunityowner",
			"numberofemployees", "annualrevenue", "managerid", "isdeleted", "systemmodstamp", "forecastcategory",
			"isactive", "userroleid", "profileid", "username", "convertedaccountid", "isconverted"}
	case FormatHubSpot:
		return []string{"recordid", "hsobjectid", "dealstage", "dealname", "closedlostreason",
			"associatedcompany", "pipeline", "createdate", "dealowner", "hubspotownerid", "companyname",
			"hstitle", "hsquoteamount", "hsexpirationdate", "hsquotenumber", "hscreatedate", "hscurrency",
			"associateddeal", "associateddealids", "associatedquote", "associatedquoteids",
			"hsproductid", "hsdiscountpercentage", "hslineitemcurrencycode", "hsrecurringbillingperiod", "recurringbillingfrequency"}
	}
	return nil
}

// cpqPrefix starts the header key of every Salesforce CPQ field
// (SBQQ__Quote__c folds to "sbqqquotec"): each such header counts as a
// Salesforce marker, so CPQ exports are recognized by their fields
// whichever of them were exported.
const cpqPrefix = "sbqq"

// hubspotStage returns the stage a HubSpot stage-entry header names: API
// names ("hs_date_entered_closedwon") or UI labels ("Date entered "Closed Won
// (Sales Pipeline)"", the pipeline in brackets dropped).
func hubspotStage(header string) (string, bool) {
	h := strings.TrimSpace(header)
	if rest, ok := strings.CutPrefix(h, "hs_date_entered_"); ok && rest != "" {
		return rest, true
	}
	rest, ok := strings.CutPrefix(h, `Date entered "`)
	if !ok || !strings.HasSuffix(rest, `"`) {
		return "", false
	}
	rest = strings.TrimSuffix(rest, `"`)
	if i := strings.LastIndex(rest, " ("); i > 0 && strings.HasSuffix(rest, ")") {
		rest = rest[:i]
	}
	return rest, rest != ""
}

// DetectFormat guesses a file's format from its header: Salesforce and
// HubSpot by their field names, tandem when every header is a canonical
// column of the entity (or attr.*), csv otherwise.
func DetectFormat(e *tandem.Entity, header []string) string {
	keys := map[string]bool{}
	canonical := true
	for _, h := range header {
		k := headerKey(h)
		keys[k] = true
		if _, i := e.Column(h); i < 0 && !strings.HasPrefix(h, "attr.") {
			canonical = false
		}
		if _, ok := hubspotStage(h); ok {
			keys["hsdateentered"] = true
		}
	}
	cpq := 0
	for k := range keys {
		if strings.HasPrefix(k, cpqPrefix) {
			cpq++
		}
	}
	best, bestScore := FormatCSV, 1
	for _, f := range []string{FormatSalesforce, FormatHubSpot} {
		score := 0
		for _, m := range formatMarkers(f) {
			if keys[m] {
				score++
			}
		}
		if f == FormatHubSpot && keys["hsdateentered"] {
			score += 2
		}
		if f == FormatSalesforce {
			score += cpq
		}
		if score > bestScore {
			best, bestScore = f, score
		}
	}
	if best == FormatCSV && canonical {
		return FormatTandem
	}
	return best
}

// canonicalValue rewrites a CRM's spelling of a value into the one the
// column reads, after --value maps and before the value is converted: deal
// types, billing frequencies and payment terms. ok is false when it has
// nothing to say about the value.
func canonicalValue(entity, column, v string) (string, bool) {
	switch {
	case entity == "deals" && column == "type":
		return dealType(v)
	case entity == "quotes" && column == "billing":
		return billingFrequency(v)
	case entity == "quotes" && column == "payment_terms_days":
		return paymentTermsDays(v)
	}
	return "", false
}

// billingFrequency maps billing frequencies as Salesforce CPQ
// (SBQQ__BillingFrequency__c: Monthly, Quarterly, Annual) and HubSpot
// (recurringbillingfrequency: monthly, quarterly, annually) spell them onto
// the canonical four. Semiannual, biennial and invoice plans have no
// canonical equivalent: they stay as written, so the import reports them
// and --value billing:Semiannual=annual decides.
func billingFrequency(v string) (string, bool) {
	switch tandem.NormalizeName(v) {
	case "monthly", "month", "permonth":
		return "monthly", true
	case "quarterly", "quarter", "perquarter":
		return "quarterly", true
	case "annual", "annually", "yearly", "year", "peryear":
		return "annual", true
	case "upfront", "prepaid", "paidupfront", "paidinfull":
		return "upfront", true
	}
	return "", false
}

// paymentTermsDays reads payment terms as CPQ picklists write them ("Net
// 30", "Net 45", "Due on Receipt") or as "30 days": the number of days,
// receipt being 0.
func paymentTermsDays(v string) (string, bool) {
	k := tandem.NormalizeName(v)
	switch k {
	case "dueonreceipt", "dueuponreceipt", "uponreceipt", "onreceipt", "immediate", "immediately":
		return "0", true
	}
	rest, net := strings.CutPrefix(k, "net")
	rest, days := strings.CutSuffix(rest, "days")
	if !net && !days {
		return "", false
	}
	n, err := strconv.Atoi(rest)
	if err != nil || n < 0 || rest == "" || rest[0] == '+' {
		return "", false
	}
	return strconv.Itoa(n), true
}

// dealTypes maps the deal types CRMs ship with onto the canonical three.
// Downgrades and replacements are renewals of an existing contract, not new
// business; anything else needs --value type:X=Y.
func dealType(v string) (string, bool) {
	switch tandem.NormalizeName(v) {
	case "new", "newbusiness", "newcustomer", "newlogo":
		return "new", true
	case "expansion", "existingbusiness", "existingcustomerupgrade", "upsell", "upgrade", "crosssell", "addon":
		return "expansion", true
	case "renewal", "existingcustomerreplacement", "existingcustomerdowngrade", "downgrade":
		return "renewal", true
	}
	return "", false
}
