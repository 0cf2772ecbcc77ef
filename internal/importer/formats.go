package importer

import (
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
		}
	}
	return nil
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
			"associatedcompany", "pipeline", "createdate", "dealowner", "hubspotownerid", "companyname"}
	}
	return nil
}

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
		if score > bestScore {
			best, bestScore = f, score
		}
	}
	if best == FormatCSV && canonical {
		return FormatTandem
	}
	return best
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
