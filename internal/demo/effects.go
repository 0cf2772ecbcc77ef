package demo

import (
	"fmt"
	"math"
)

// Names of the features and the product that carry planted effects. Analytics
// tests look them up by these names; everything else in the catalog has no
// effect on any outcome.
const (
	// FeatureAdvancedAnalytics raises the win rate of new and expansion
	// deals tagged with it: +0.41 on the log-odds scale, about +10
	// percentage points in the default dataset.
	FeatureAdvancedAnalytics = "Advanced Analytics"
	// FeatureSalesforceIntegration raises the win rate of tagged new and
	// expansion deals: +0.25 log-odds, about +6 percentage points.
	FeatureSalesforceIntegration = "Salesforce Integration"
	// FeatureCustomDashboards is the control: tagged on a quarter of all
	// deals, like the effective features, with no effect on any outcome.
	FeatureCustomDashboards = "Custom Dashboards"
	// FeatureOfflineMode lowers the win rate of tagged new and expansion
	// deals: -0.33 log-odds, about -8 percentage points, and its lost deals
	// cite "missing feature" and "onboarding concerns" more often.
	FeatureOfflineMode = "Offline Mode"
	// FeatureSSO only looks good: it is tagged on 60% of enterprise deals,
	// 12% of mid-market and 4% of SMB deals, and enterprise deals win more
	// anyway. Within a segment it has no effect on the win rate.
	FeatureSSO = "SSO"
	// FeatureWorkflowAutomation, adopted within 30 days of a subscription's
	// start, multiplies the probability of renewing at every term end by
	// 1.30. Adopting it later does nothing.
	FeatureWorkflowAutomation = "Workflow Automation"
	// ProductInsightsAddon multiplies the amount of new and expansion deals
	// that include it by 1.12; it does not change the win rate.
	ProductInsightsAddon = "Insights Add-on"
)

// Indices of the planted features in the generated feature list (ids f-001
// to f-006), in the order of featureSpecs.
const (
	featAdvancedAnalytics = iota
	featSalesforce
	featCustomDashboards
	featOfflineMode
	featSSO
	featWorkflow
	plantedFeatures
)

// The parameters of the planted effects, in one place so that the code, the
// doc comments, Effects and EFFECTS.md cannot drift apart (a test checks the
// last two).
const (
	logitAdvancedAnalytics = 0.41
	logitSalesforce        = 0.25
	logitOfflineMode       = -0.33
	logitEnterprise        = 0.70 // background: enterprise deals win more

	// The raw differences in win rate (percentage points, tagged minus
	// untagged, closed new and expansion deals) these produce in the default
	// dataset: smaller than a single-base conversion of the log-odds would
	// say, because base rates vary by deal type, segment, source and rep.
	ppAdvancedAnalytics = 10
	ppSalesforce        = 6
	ppOfflineMode       = -8
	ppSSORaw            = 10

	baseRenewal       = 0.60 // renewal probability per term without either effect
	workflowLift      = 1.30 // relative, Workflow Automation within workflowWindow days
	workflowWindow    = 30
	depthLift         = 1.18 // relative renewal lift for depthMin+ features
	depthExpansion    = 1.25 // relative lift of the expansion-deal rate
	depthMin          = 3
	depthWindow       = 90
	addonAmountLift   = 1.12
	workflowEarlyRate = 0.35 // share of subscriptions adopting Workflow Automation early
)

// Tag rates of the planted features on deals: the share of deals of any type
// carrying the tag, independent of everything else except SSO's segment.
const (
	tagRateAdvancedAnalytics = 0.25
	tagRateSalesforce        = 0.30
	tagRateCustomDashboards  = 0.25
	tagRateOfflineMode       = 0.20
	addonRate                = 0.25 // share of new and expansion deals including the add-on
)

// ssoTagRate is SSO's tag rate by segment (SMB, mid-market, enterprise).
func ssoTagRate() [3]float64 { return [3]float64{0.04, 0.12, 0.60} }

// Effect is one planted effect: what a correct analysis of the generated data
// must find.
type Effect struct {
	// Subject is the feature or product name.
	Subject string `json:"subject"`
	// Metric is the outcome it changes and the population it is measured on.
	Metric string `json:"metric"`
	// Size is the planted size on the scale the generator uses.
	Size string `json:"size"`
	// Mechanism says how the generator produces it, so an analysis can be
	// checked against it.
	Mechanism string `json:"mechanism"`
}

// Effects lists the planted effects. The same table is in EFFECTS.md and the
// package documentation; a test checks that EFFECTS.md matches.
func Effects() []Effect {
	pp := func(pp int) string { return fmt.Sprintf("%+d pp", pp) }
	ssoRates := ssoTagRate()
	return []Effect{
		{FeatureAdvancedAnalytics, "win rate of new and expansion deals",
			fmt.Sprintf("%+.2f log-odds (≈ %s)", logitAdvancedAnalytics, pp(ppAdvancedAnalytics)),
			fmt.Sprintf("tagged on %.0f%% of deals at random; the tag adds %.2f to the deal's win log-odds", 100*tagRateAdvancedAnalytics, logitAdvancedAnalytics)},
		{FeatureSalesforceIntegration, "win rate of new and expansion deals",
			fmt.Sprintf("%+.2f log-odds (≈ %s)", logitSalesforce, pp(ppSalesforce)),
			fmt.Sprintf("tagged on %.0f%% of deals at random; the tag adds %.2f to the win log-odds", 100*tagRateSalesforce, logitSalesforce)},
		{FeatureCustomDashboards, "none (control)", "0",
			fmt.Sprintf("tagged on %.0f%% of deals at random; outcome, amount and cycle independent of the tag", 100*tagRateCustomDashboards)},
		{FeatureOfflineMode, "win rate of new and expansion deals",
			fmt.Sprintf("%+.2f log-odds (≈ %s)", logitOfflineMode, pp(ppOfflineMode)),
			fmt.Sprintf("tagged on %.0f%% of deals at random; the tag adds %.2f to the win log-odds; its lost deals cite missing feature and onboarding concerns more", 100*tagRateOfflineMode, logitOfflineMode)},
		{FeatureSSO, "win rate: confounded by segment", fmt.Sprintf("0 within segment; raw difference ≈ %s", pp(ppSSORaw)),
			fmt.Sprintf("tagged on %.0f%% of enterprise, %.0f%% of mid-market and %.0f%% of SMB deals; enterprise adds %.2f to the win log-odds whatever the tags", 100*ssoRates[2], 100*ssoRates[1], 100*ssoRates[0], logitEnterprise)},
		{FeatureWorkflowAutomation, "renewal probability per term",
			fmt.Sprintf("×%.2f relative (base %.0f%% → %.0f%%)", workflowLift, 100*baseRenewal, 100*baseRenewal*workflowLift),
			fmt.Sprintf("%.0f%% of subscriptions, chosen independently of everything else, adopt it within %d days of start; adopting it later has no effect", 100*workflowEarlyRate, workflowWindow)},
		{fmt.Sprintf("%d+ features adopted", depthMin), "renewal probability per term",
			fmt.Sprintf("×%.2f relative (base %.0f%% → %.1f%%; with both %.1f%%)", depthLift, 100*baseRenewal, 100*baseRenewal*depthLift, 100*baseRenewal*depthLift*workflowLift),
			fmt.Sprintf("features adopted within %d days of start: 1–5 (P 20/30/25/15/10%%) drawn independently of the Workflow Automation choice, so the two effects multiply", depthWindow)},
		{fmt.Sprintf("%d+ features adopted", depthMin), "expansion deals per subscription",
			fmt.Sprintf("×%.2f relative", depthExpansion),
			"the Poisson rate of expansion deals in every term is multiplied; their win rate is unchanged, so won expansions in the first 12 months rise by the same factor"},
		{ProductInsightsAddon, "amount (average selling price) of new and expansion deals",
			fmt.Sprintf("×%.2f (+%.0f%%)", addonAmountLift, 100*(addonAmountLift-1)),
			fmt.Sprintf("included in %.0f%% of new and expansion deals at random; their amount is multiplied by %.2f; no effect on win rate", 100*addonRate, addonAmountLift)},
	}
}

func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
