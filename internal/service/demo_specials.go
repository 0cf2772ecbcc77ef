package service

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/desk"
	"github.com/tandemhq/tandem/internal/specials"
)

// SpecialsDemo says what SeedSpecialsDemo wrote.
type SpecialsDemo struct {
	Filed    int `json:"filed"`
	Open     int `json:"open"`
	Built    int `json:"built"`
	Declined int `json:"declined"`
}

// demoSpecialAsks are what demo prospects ask for, one per special.
var demoSpecialAsks = []struct{ title, ask, problem string }{
	{"SAML SSO with Okta", "Single sign-on through Okta for every seat", "Their security policy forbids passwords for business tools"},
	{"EU data residency", "Keep all customer data in an EU region", "Their DPO will not sign without it"},
	{"Custom renewal report", "A renewal forecast export in their board's format", "The CFO rebuilds it by hand every month"},
	{"Salesforce two-way sync", "Write changes back to Salesforce opportunities", "Reps refuse to type the same thing twice"},
	{"Audit trail export", "Export who changed what, nightly, to their SIEM", "SOX auditors ask for it every quarter"},
	{"Offline mobile mode", "Work offline in the field app and sync later", "Their field teams have no signal on site"},
	{"Multi-currency invoices", "Invoice each subsidiary in its own currency", "Finance consolidates five entities by hand"},
	{"Custom approval step", "An extra legal approval for contracts over 1M", "Their legal team wants to see every large contract"},
	{"Usage alerts by team", "Alert a team lead when their team's usage drops", "Adoption dips go unnoticed for a quarter"},
	{"White-label portal", "Their logo and domain on the customer portal", "They resell to their own clients"},
	{"Bulk user import", "Import 3,000 users from a CSV with roles", "Onboarding a division takes a week of clicks"},
	{"Slack approvals", "Approve quotes from Slack", "Managers live in Slack, not in the CRM"},
}

// SeedSpecialsDemo files demo specials on the stored deals and takes them
// through the process as product would: some still open at each step,
// some declined or withdrawn, and some built (accepted with what they
// displace, linked to a feature, measured, then productized or left as a
// one-off). Built specials sit on won and lost deals, so the outcome
// report has both. The acting users are the demo's: the deal's rep files,
// the first product user scores, estimates and leads. It is for `tandem
// demo`; the same seed gives the same specials.
func (s *Service) SeedSpecialsDemo(ctx context.Context, seed uint64) (SpecialsDemo, error) {
	var out SpecialsDemo
	users, err := s.store.Users(ctx)
	if err != nil {
		return out, err
	}
	var pm string
	for _, u := range users {
		if u.Role == tandem.RoleProduct && !u.Disabled {
			pm = u.Email
			break
		}
	}
	if pm == "" {
		return out, tandem.Errorf(tandem.EINVALID, "the demo specials need a product user to score and lead them")
	}
	reps, err := s.reps(ctx)
	if err != nil {
		return out, err
	}
	people := desk.NewPeople(reps, users)
	userOf := map[string]string{}
	for _, u := range users {
		if id, ok := people.RepOfUser(strings.ToLower(u.Email)); ok {
			userOf[id] = u.Email
		}
	}
	type deal struct{ id, rep, outcome string }
	byOutcome := map[string][]deal{}
	de, _ := s.cat.Entity("deals")
	if err := s.store.Scan(ctx, "deals", func(r tandem.Record) error {
		d := deal{r.ID(), text(de, r, "rep_id"), text(de, r, "outcome")}
		if n := number(de, r, "amount"); n != nil && *n > 0 && userOf[d.rep] != "" {
			byOutcome[d.outcome] = append(byOutcome[d.outcome], d)
		}
		return nil
	}); err != nil {
		return out, err
	}
	features, err := s.store.IDs(ctx, "features")
	if err != nil {
		return out, err
	}
	featureIDs := slices.Sorted(maps.Keys(features))
	if len(featureIDs) == 0 || len(byOutcome["won"]) == 0 || len(byOutcome["lost"]) == 0 || len(byOutcome["open"]) == 0 {
		return out, tandem.Errorf(tandem.EINVALID, "the demo specials need won, lost and open deals with reps who are users, and a feature catalog")
	}
	rng := rand.New(rand.NewPCG(seed, 0x7370656369616c73))
	lead := Actor{Name: pm}
	// plan: what becomes of each special; built ones need closed deals.
	plan := []string{"built-won", "built-won", "built-won", "built-lost", "built-won-oneoff", "built-lost-oneoff",
		"declined", "declined", "withdrawn", "open-1", "open-3", "open-4"}
	for i, p := range plan {
		pool := byOutcome["open"]
		switch {
		case strings.Contains(p, "won"):
			pool = byOutcome["won"]
		case strings.Contains(p, "lost"), p == "declined":
			pool = byOutcome["lost"]
		}
		d := pool[rng.IntN(len(pool))]
		ask := demoSpecialAsks[i%len(demoSpecialAsks)]
		rep := Actor{Name: userOf[d.rep]}
		v, err := s.FileSpecial(ctx, rep, tandem.Special{DealID: d.id, Title: ask.title, Ask: ask.ask, Problem: ask.problem, AskedBy: "the buyer",
			OthersAsked: rng.IntN(2) == 0, Evidence: []tandem.SpecialEvidence{{Kind: "note", Text: "Raised on the discovery call and again in the proposal review."}}}, nil)
		if err != nil {
			return out, fmt.Errorf("demo special %q: %w", ask.title, err)
		}
		out.Filed++
		step := func(in MoveInput) error {
			in.Version = v.Version
			nv, err := s.MoveSpecial(ctx, lead, v.ID, in)
			if err != nil {
				return fmt.Errorf("demo special %q, %s: %w", ask.title, in.Action, err)
			}
			v = nv
			return nil
		}
		if v, err = s.ScoreSpecial(ctx, lead, v.ID, ScoreInput{Version: v.Version, ICPFit: float64(3 + rng.IntN(7)), StrategyFit: float64(2 + rng.IntN(8))}); err != nil {
			return out, err
		}
		if v, err = s.EstimateSpecial(ctx, lead, v.ID, v.Version, float64(1+rng.IntN(8)), "demo estimate"); err != nil {
			return out, err
		}
		steps := 0
		switch {
		case strings.HasPrefix(p, "open-"):
			steps = int(p[len(p)-1] - '1')
		case p == "declined", p == "withdrawn":
			steps = 1 + rng.IntN(2)
		default:
			steps = 3
		}
		for k := range steps {
			in := MoveInput{Action: specials.Advance, Notes: "done: see the notes of the call", SignedBy: pm}
			if k == 1 && rng.IntN(2) == 0 {
				in = MoveInput{Action: specials.Skip, SkipReason: "the buyer's needs were clear from the first call"}
			}
			if err := step(in); err != nil {
				return out, err
			}
		}
		switch {
		case strings.HasPrefix(p, "open-"):
			out.Open++
			continue
		case p == "declined":
			out.Declined++
			if err := step(MoveInput{Action: specials.Decline, Notes: "high effort, low alignment: a one-off for one prospect"}); err != nil {
				return out, err
			}
			continue
		case p == "withdrawn":
			out.Declined++
			if err := step(MoveInput{Action: specials.Withdraw, Notes: "the prospect found a partner integration"}); err != nil {
				return out, err
			}
			continue
		}
		if err := step(MoveInput{Action: specials.Accept, Notes: "ship the simplest slice first", SignedBy: pm,
			Displaces:    []tandem.RoadmapImpact{{Item: "usage-based billing", Weeks: float64(1 + rng.IntN(3))}},
			Confirmation: "demo: accepted past the warning line to show it"}); err != nil {
			return out, err
		}
		feature := featureIDs[rng.IntN(len(featureIDs))]
		if v, err = s.LinkSpecial(ctx, lead, v.ID, LinkInput{Version: v.Version, Feature: &feature}); err != nil {
			return out, err
		}
		if err := step(MoveInput{Action: specials.Advance, Notes: "shipped to the customer", SignedBy: pm}); err != nil {
			return out, err
		}
		end := MoveInput{Action: specials.Productize, Notes: "other customers use it: part of the product now"}
		if strings.HasSuffix(p, "oneoff") {
			end = MoveInput{Action: specials.OneOff, Notes: "nobody else asked for it"}
		}
		if err := step(end); err != nil {
			return out, err
		}
		out.Built++
	}
	return out, nil
}
