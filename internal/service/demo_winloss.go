package service

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/tandemhq/tandem"
)

// WinLossDemo says what SeedWinLossDemo wrote.
type WinLossDemo struct {
	Competitors int `json:"competitors"`
	Battlecards int `json:"battlecards"`
	Interviews  int `json:"interviews"`
	Postmortems int `json:"postmortems"`
}

// demoBuyerReasons are what buyers name in demo interviews when they
// disagree with the rep: the reasons reps are known to under-report.
var demoBuyerReasons = []string{"missing-feature", "onboarding-risk", "overpromising"}

// demoQuestions are the structured questions of a demo interview.
var demoQuestions = []string{
	"What problem were you trying to solve?",
	"Which vendors did you evaluate, and why those?",
	"What decided it in the end?",
	"What could we have done differently?",
}

// SeedWinLossDemo fills competitive intelligence and win/loss for `tandem
// demo` from the stored deals: the competitor catalog from the deals'
// competitors column, battlecards for the three most frequent competitors,
// the default reason taxonomy with its missing-feature reason addressed
// by the first planned feature (so the roadmap check has a green and, for
// the other reasons, red rows), buyer interviews on about one lost deal in
// twelve (buyers agree with the rep's first reason six times in ten, else
// name a reason reps under-report), and post-mortems for about half of
// the lost deals above the post-mortem threshold. The same seed gives the
// same records.
func (s *Service) SeedWinLossDemo(ctx context.Context, a Actor, seed uint64) (WinLossDemo, error) {
	var out WinLossDemo
	imp, err := s.ImportCompetitorsFromDeals(ctx, a, true)
	if err != nil {
		return out, fmt.Errorf("competitors: %w", err)
	}
	out.Competitors = len(imp.Created)
	for i, c := range imp.Created {
		if i == 3 {
			break
		}
		b := tandem.Battlecard{
			Competitor: c.ID,
			Summary:    c.Name + " sells on price and a quick start; we win on depth and on customers who stay.",
			Strengths:  []string{"Lower list price for small teams", "Fast self-serve setup"},
			Weaknesses: []string{"No audit trail or SSO below their top tier", "Thin reporting; exports are manual"},
			Objections: []tandem.Objection{
				{Objection: c.Name + " is cheaper.", Response: "Compare three-year cost with the admin time their manual exports take; bring the ROI sheet."},
				{Objection: c.Name + " is faster to set up.", Response: "Offer the two-week onboarding plan with a named CSM and a success milestone."},
			},
			Landmines:   []string{"Ask how they handle SSO for contractors", "Ask for a reference customer with more than 500 seats"},
			ProofPoints: []string{"Customers on three or more of our features renew more often (see the halo report)"},
		}
		if _, err := s.SaveBattlecard(ctx, a, c.ID, b, 0, "demo"); err != nil {
			return out, fmt.Errorf("battlecard %s: %w", c.ID, err)
		}
		out.Battlecards++
	}

	tax, err := s.Taxonomy(ctx)
	if err != nil {
		return out, err
	}
	fe, _ := s.cat.Entity("features")
	var planned string
	if err := s.store.Scan(ctx, "features", func(r tandem.Record) error {
		if st := text(fe, r, "status"); planned == "" && (st == "planned" || st == "beta") {
			planned = r.ID()
		}
		return nil
	}); err != nil {
		return out, err
	}
	if planned != "" {
		t := tax.Taxonomy
		t.Reasons = slices.Clone(t.Reasons)
		for i := range t.Reasons {
			if t.Reasons[i].Code == "missing-feature" {
				t.Reasons[i].AddressedBy = []string{planned}
			}
		}
		if _, err := s.PutTaxonomy(ctx, a, t, tax.Version, "demo: the missing-feature reason is addressed by a planned feature"); err != nil {
			return out, fmt.Errorf("taxonomy: %w", err)
		}
	}

	set, _, err := s.FeedbackSettings(ctx)
	if err != nil {
		return out, err
	}
	type lost struct {
		id     string
		amount float64
		closed time.Time
	}
	var losts []lost
	de, _ := s.cat.Entity("deals")
	if err := s.store.Scan(ctx, "deals", func(r tandem.Record) error {
		if text(de, r, "outcome") == "lost" {
			l := lost{id: r.ID()}
			if n := number(de, r, "amount"); n != nil {
				l.amount = *n
			}
			l.closed, _ = Value(de, r, "closed").(time.Time)
			losts = append(losts, l)
		}
		return nil
	}); err != nil {
		return out, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x77696e6c6f7373))
	for _, l := range losts {
		if rng.IntN(12) != 0 || out.Interviews >= 400 {
			continue
		}
		view, err := s.DealReasons(ctx, l.id)
		if err != nil {
			return out, err
		}
		code := demoBuyerReasons[rng.IntN(len(demoBuyerReasons))]
		if len(view.Reasons) > 0 && view.Reasons[0].Mapped && rng.IntN(10) < 6 {
			code = view.Reasons[0].Code
		}
		iv := tandem.Interview{DealID: l.id, Kind: tandem.ReasonByInterview, Interviewee: "Buyer at the account", Role: "Head of Operations",
			Interviewer: "product@demo.example", Date: l.closed.AddDate(0, 0, 10+rng.IntN(20)),
			Reasons: []tandem.DealReason{{Code: code, Source: tandem.ReasonByInterview, Confidence: tandem.ConfidenceMedium}}}
		for _, q := range demoQuestions {
			score := 1 + rng.IntN(5)
			iv.Answers = append(iv.Answers, tandem.Answer{Question: q, Answer: "(demo answer)", Score: &score})
		}
		if _, err := s.CreateInterview(ctx, a, iv); err != nil {
			return out, fmt.Errorf("interview on %s: %w", l.id, err)
		}
		out.Interviews++
	}
	for _, l := range losts {
		if l.amount <= set.PostmortemMinAmount || rng.IntN(2) == 0 || out.Postmortems >= 60 {
			continue
		}
		causes := []string{tandem.RootCauses[rng.IntN(len(tandem.RootCauses))]}
		if c := tandem.RootCauses[rng.IntN(len(tandem.RootCauses))]; rng.IntN(3) == 0 && c != causes[0] {
			causes = append(causes, c)
		}
		p := tandem.Postmortem{Subject: "deal", SubjectID: l.id, Causes: causes, Date: l.closed.AddDate(0, 0, 14),
			Summary:  "Demo post-mortem: what the team agreed went wrong.",
			Evidence: []string{"/deals/" + l.id},
			Actions:  []tandem.PostmortemStep{{What: "Share the lesson in the next sales call review", Owner: "revops@demo.example", Due: l.closed.AddDate(0, 1, 0)}}}
		if _, err := s.SavePostmortem(ctx, a, p, 0); err != nil {
			return out, fmt.Errorf("post-mortem on %s: %w", l.id, err)
		}
		out.Postmortems++
	}
	return out, nil
}
