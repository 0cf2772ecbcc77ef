package demo

// The vocabularies the generator draws from. They are functions returning
// fresh slices rather than package variables, so nothing global can be
// changed by a caller or a test.

// productSpec is one curated product. The first entries are the ones every
// configuration needs (a core product and the add-on), so Config.Products
// may cut the list short.
type productSpec struct {
	name, class, series string
	price               float64
	aliases             []string
}

func productSpecs() []productSpec {
	return []productSpec{
		{"Revenue Cloud", "core", "Tandem Platform", 36000, []string{"RevCloud", "RC"}},
		{ProductInsightsAddon, "new", "Insights", 6000, []string{"Insights", "Insights Addon"}},
		{"Pipeline Manager", "core", "Tandem Platform", 24000, []string{"Pipeline"}},
		{"AI Forecasting", "new", "Insights", 18000, []string{"AI Forecast"}},
		{"Customer Hub", "core", "Tandem Platform", 20000, []string{"CustHub"}},
		{"Legacy Reports", "maintenance", "Classic", 4000, []string{"Reports Classic"}},
		{"Billing Connect", "core", "Tandem Platform", 15000, []string{"Billing"}},
		{"Partner Portal", "new", "Ecosystem", 12000, []string{"PRM"}},
		{"On-Prem Connector", "maintenance", "Classic", 8000, []string{"OPC", "On Premise Connector"}},
		{"Usage Metering", "new", "Ecosystem", 10000, []string{"Metering"}},
		{"Classic Dashboards", "maintenance", "Classic", 3000, []string{"Dashboards Classic"}},
		{"Premium Support", "maintenance", "Services", 9000, []string{"Support Plus"}},
	}
}

// featureSpec is one curated feature; the planted ones come first, in the
// order of the feature* index constants.
type featureSpec struct {
	name    string
	aliases []string
}

func featureSpecs() []featureSpec {
	planted := []featureSpec{
		{FeatureAdvancedAnalytics, []string{"Adv Analytics"}},
		{FeatureSalesforceIntegration, []string{"SFDC Integration", "Salesforce Sync"}},
		{FeatureCustomDashboards, []string{"Dashboard Builder"}},
		{FeatureOfflineMode, []string{"Offline"}},
		{FeatureSSO, []string{"Single Sign-On", "SAML SSO"}},
		{FeatureWorkflowAutomation, []string{"Workflows", "Automation Rules"}},
	}
	others := []string{
		"Audit Log", "Role-Based Access", "Data Export API", "Slack Integration", "Email Sequences",
		"Lead Scoring", "Territory Management", "Quote Builder", "Contract Management", "Revenue Forecasting",
		"Mobile App", "Custom Objects", "Approval Workflows", "Usage Alerts", "Health Scores",
		"Churn Prediction", "HubSpot Sync", "Zapier Connector", "Webhooks", "Data Warehouse Sync",
		"Multi-Currency", "Tax Engine", "Invoice Templates", "Payment Reminders", "Commission Tracking",
		"Partner Deal Registration", "Product Catalog", "Bundles and Pricing", "Discount Guardrails", "Forecast Categories",
		"Pipeline Inspection", "Conversation Intelligence", "Meeting Scheduler", "E-Signature", "Customer Portal",
		"Knowledge Base", "In-App Guides", "NPS Surveys", "Sandbox Environments", "Field-Level Security",
		"SCIM Provisioning", "EU Data Residency", "Audit Trail Export", "Scheduled Reports", "Goal Tracking",
		"Cohort Analysis", "Attribution Reports", "Account Hierarchies", "Duplicate Detection", "Data Enrichment",
		"AI Deal Summaries", "Natural Language Search", "Custom Roles", "Two-Factor Authentication",
	}
	out := planted
	for _, n := range others {
		out = append(out, featureSpec{name: n})
	}
	return out
}

// featureAreas and featureKinds combine into names for features beyond the
// curated list (BenchConfig has 300).
func featureAreas() []string {
	return []string{"Forecast", "Pipeline", "Quote", "Contract", "Invoice", "Usage", "Territory", "Commission",
		"Renewal", "Health", "Onboarding", "Partner", "Lead", "Account", "Deal", "Catalog", "Approval", "Survey",
		"Email", "Mobile", "API", "Data", "Audit", "Role", "Report", "Ticket", "Playbook", "Cadence", "Billing", "Seat"}
}

func featureKinds() []string {
	return []string{"Alerts", "Templates", "Insights", "Scoring", "Sync", "Export", "Builder", "Rules",
		"Timeline", "Workspace", "Connector", "Digest", "Assistant", "Limits", "History"}
}

func segmentNames() []string { return []string{"SMB", "mid-market", "enterprise"} }

func regionNames() []string { return []string{"North America", "EMEA", "APAC"} }

func regionShort() []string { return []string{"NA", "EMEA", "APAC"} }

// industry names and words used to build company names in that industry.
func industries() []string {
	return []string{"Software", "Financial Services", "Healthcare", "Manufacturing", "Retail", "Education",
		"Logistics", "Media", "Energy", "Professional Services", "Telecommunications", "Public Sector"}
}

func industryWords() [][]string {
	return [][]string{
		{"Software", "Labs", "Cloud"},
		{"Capital", "Bank", "Insurance"},
		{"Health", "Clinics", "Biotech"},
		{"Industries", "Manufacturing", "Works"},
		{"Retail", "Stores", "Outfitters"},
		{"Learning", "Academy", "Education"},
		{"Logistics", "Freight", "Shipping"},
		{"Media", "Studios", "Publishing"},
		{"Energy", "Power", "Utilities"},
		{"Consulting", "Advisors", "Partners"},
		{"Telecom", "Networks", "Communications"},
		{"Agency", "Services", "Authority"},
	}
}

func namePrefixes() []string {
	return []string{"North", "Blue", "Silver", "Bright", "Iron", "Oak", "Red", "Green", "Stone", "River",
		"Summit", "Clear", "Pine", "Golden", "East", "West", "High", "Deep", "Swift", "Bold",
		"Cedar", "Maple", "Star", "Sun", "Moon", "Storm", "Frost", "Harbor", "Lake", "Eagle",
		"Falcon", "Wolf", "Fox", "Bear", "Lion", "Crown", "Royal", "Prime", "True", "Grand"}
}

func nameRoots() []string {
	return []string{"field", "stone", "wave", "bridge", "path", "point", "gate", "line", "peak", "forge",
		"well", "brook", "wood", "ridge", "vale", "port", "crest", "mark", "light", "side",
		"view", "way", "haven", "ford", "moor", "dale", "shore", "spring", "rock", "star",
		"wind", "fire", "leaf", "works", "grove", "hill", "land", "bay", "cliff", "mont"}
}

func legalSuffixes() []string {
	return []string{"Inc", "LLC", "Ltd", "GmbH", "Group", "Co", "SA", "BV"}
}

func firstNames() []string {
	return []string{"Alex", "Maria", "James", "Priya", "Chen", "Fatima", "Lucas", "Sofia", "Daniel", "Aisha",
		"Noah", "Emma", "Liam", "Olivia", "Mateo", "Yuki", "Omar", "Hannah", "Ethan", "Zara",
		"Leo", "Mia", "Ravi", "Elena", "Tom", "Grace", "Samuel", "Chloe", "Diego", "Ingrid",
		"Kwame", "Nina", "Hugo", "Lena", "Arjun", "Sara", "Felix", "Amara", "Jonas", "Ines"}
}

func lastNames() []string {
	return []string{"Smith", "Garcia", "Chen", "Patel", "Müller", "Rossi", "Kim", "Nguyen", "Okafor", "Silva",
		"Johnson", "Brown", "Martin", "Lopez", "Wilson", "Tanaka", "Dubois", "Novak", "Khan", "Ivanova",
		"Andersen", "Costa", "Murphy", "Schmidt", "Haddad", "Moreau", "Kowalski", "Reyes", "Larsen", "Singh",
		"Cohen", "Ali", "Becker", "Fischer", "Nakamura", "Owusu", "Park", "Santos", "Walsh", "Young"}
}

func leadSources() []string {
	return []string{"web", "referral", "partner", "event", "outbound", "paid"}
}

func competitorNames() []string {
	return []string{"Northwind CRM", "Globex Revenue", "Initech Suite", "Umbrella Insights", "Hooli Sales Cloud"}
}

// lossReasonNames is the fixed list of closed-lost reasons (DESIGN §6).
func lossReasonNames() []string {
	return []string{"price", "missing feature", "competitor", "timing", "no decision", "onboarding concerns"}
}

// churnReasonNames are the reason codes of churn events; churnLossReason maps
// each to the loss reason recorded on the lost renewal deal.
func churnReasonNames() []string {
	return []string{"price", "low_adoption", "missing_feature", "competitor", "budget_cuts", "poor_onboarding", "acquired"}
}

func churnLossReason() []int {
	return []int{lossPrice, lossOnboarding, lossMissingFeature, lossCompetitor, lossTiming, lossOnboarding, lossNoDecision}
}

func churnFeedback() [][]string {
	return [][]string{
		{"The renewal quote was well above what we budgeted.", "We found a cheaper tool that covers what we use."},
		{"Only two people on the team ever logged in.", "We never got past the pilot; the team kept using spreadsheets."},
		{"We needed offline access for the field team and it never shipped.", "The reporting we were promised is still on the roadmap."},
		{"We consolidated on our CRM vendor's bundled product.", "A competitor offered a three-year deal at half the price."},
		{"Budget for tooling was cut across the company this year.", "Finance froze every new software renewal."},
		{"Onboarding took four months and we lost our champion.", "Implementation dragged and nobody owned it on our side."},
		{"We were acquired and moved to the parent's systems.", "The new owners standardized on another platform."},
	}
}

func ticketSubjects() []string {
	return []string{"Cannot log in with SSO", "Report totals do not match export", "Salesforce sync stopped",
		"Request to add seats", "Dashboard loads slowly", "Invoice shows wrong currency", "Workflow did not trigger",
		"How do I bulk import accounts?", "API rate limit errors", "Offline changes lost after sync"}
}

func planNames() []string { return []string{"Starter Annual", "Growth Annual", "Enterprise Annual"} }
