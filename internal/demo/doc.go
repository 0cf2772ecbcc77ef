// Package demo generates a deterministic, realistic dataset for Tandem with
// planted effects. Deals carry feature tags, subscriptions renew or churn,
// and customers adopt features and use them. A few of these relationships
// are planted on purpose and everything else is noise, so the analytics
// engine can be checked against a known truth.
//
// Generate writes every entity of the catalog through a tandem.Loader in
// dependency order. The same Config (Seed included) gives the same records
// in the same order: all randomness comes from PCG streams seeded from
// Config.Seed, one per account or other unit. The output never depends on
// map iteration or the clock.
//
// # Planted effects
//
// EFFECTS.md has the full table, how to measure each effect, the figures
// measured in the default dataset and the background structure. In short:
//
//	feature / product        metric                               size
//	Advanced Analytics       win rate, new and expansion deals    +0.41 log-odds (≈ +10 pp)
//	Salesforce Integration   win rate, new and expansion deals    +0.25 log-odds (≈ +6 pp)
//	Custom Dashboards        none: the control                    0
//	Offline Mode             win rate, new and expansion deals    −0.33 log-odds (≈ −8 pp)
//	SSO                      win rate, confounded by segment      0 within segment, ≈ +10 pp raw
//	Workflow Automation      renewal, adopted ≤ 30 days from start ×1.30 (base 60%)
//	3+ features ≤ 90 days    renewal                              ×1.18
//	3+ features ≤ 90 days    expansion deals                      ×1.25
//	Insights Add-on          deal amount (ASP)                    ×1.12
//
// Effects returns the same table as data, and the Feature* and Product*
// constants name the subjects. TestPlantedEffects recovers every effect from
// the default dataset on two seeds.
//
// # Scale
//
// DefaultConfig is 2,000 accounts and 20,000 deals over three years, about
// 355,000 rows in all. BenchConfig is 1,000,000 deals, about 17.7 million
// rows, 10 million of them weekly usage rollups. That count is sized so that
// generating and writing to SQLite fit in five minutes on two cores (258 s
// measured). The generator alone makes 1.7 to 2.5 million rows/s
// (BenchmarkGenerate).
package demo
