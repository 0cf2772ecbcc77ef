package service

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/desk"
)

// FeedbackDemo says what SeedFeedbackDemo wrote.
type FeedbackDemo struct {
	Items    int `json:"items"`
	Triaged  int `json:"triaged"`
	Overdue  int `json:"overdue"`
	Intel    int `json:"intel"`
	Accounts int `json:"accounts"`
	Votes    int `json:"votes"`
}

// demoCapabilities are what demo feedback asks a feature to do. Items that
// ask the same feature for the same capability read alike, so they group
// into one theme, as real requests about one gap do.
var demoCapabilities = []string{
	"export the full history to CSV every night",
	"support single sign-on through Okta and Azure AD",
	"handle invoices in several currencies",
	"run on a schedule without someone clicking",
	"show an audit trail of who changed what",
	"work offline on the mobile app",
	"sync custom fields both ways with Salesforce",
	"set permissions per team instead of per user",
}

// demoFeatureTemplates word a feature request; %[1]s is the account,
// %[2]s the feature, %[3]s the capability.
var demoFeatureTemplates = []string{
	"%[1]s needs %[2]s to %[3]s before they sign.",
	"Asked again on the call: can %[2]s %[3]s? %[1]s calls it a must-have.",
	"The admin at %[1]s wants %[2]s to %[3]s; today they work around it in spreadsheets.",
	"Renewal risk at %[1]s: %[2]s does not %[3]s and their team keeps asking.",
}

// demoIntelTemplates word competitive intelligence; %[1]s is the account,
// %[2]s the competitor, %[3]s a feature.
var demoIntelTemplates = []string{
	"%[2]s pitched %[1]s a steep discount on a three-year term.",
	"%[2]s demoed something like %[3]s to %[1]s and the buyer liked it.",
	"Lost the bake-off at %[1]s to %[2]s: their onboarding looked faster.",
	"%[1]s says %[2]s promised a roadmap item we already ship in %[3]s.",
}

// demoSources is the channel mix of demo feedback.
var demoSources = []string{tandem.SourceWeb, tandem.SourceWeb, tandem.SourceEmail, tandem.SourceSlack, tandem.SourceCSV, tandem.SourceAPI}

// SeedFeedbackDemo writes demo feedback drawn from the stored deals:
// feature requests and competitive intel filed by the deals' reps (or, for
// mail, by the buyer), spread over the last 180 days before now, about one
// item per five deals (at most n, 0: 2,500). Items older than two weeks
// are mostly triaged, a few on time and some late, so the SLA report and
// the overdue list have something to show. The same seed gives the same
// items. It is for `tandem demo`, on an empty feedback store.
func (s *Service) SeedFeedbackDemo(ctx context.Context, a Actor, seed uint64, n int) (FeedbackDemo, error) {
	var out FeedbackDemo
	if existing, err := s.FeedbackItems(ctx); err != nil {
		return out, err
	} else if len(existing) > 0 {
		return out, tandem.Errorf(tandem.ECONFLICT, "the store already has %d feedback items; the demo seeds an empty one", len(existing))
	}
	type deal struct{ id, account, rep, outcome string }
	var deals []deal
	var competitors []string
	seen := map[string]bool{}
	de, _ := s.cat.Entity("deals")
	if err := s.store.Scan(ctx, "deals", func(r tandem.Record) error {
		if acct := text(de, r, "account_id"); acct != "" {
			deals = append(deals, deal{r.ID(), acct, text(de, r, "rep_id"), text(de, r, "outcome")})
		}
		cs, _ := Value(de, r, "competitors").([]string)
		for _, c := range cs {
			if c = strings.TrimSpace(c); c != "" && !seen[c] {
				seen[c] = true
				competitors = append(competitors, c)
			}
		}
		return nil
	}); err != nil {
		return out, err
	}
	names := map[string]string{}
	for _, ent := range []string{"accounts", "features"} {
		rows, err := s.store.Names(ctx, ent)
		if err != nil {
			return out, err
		}
		for _, r := range rows {
			names[ent+"/"+r.ID] = r.Name
		}
	}
	var features []string
	for k := range names {
		if id, ok := strings.CutPrefix(k, "features/"); ok {
			features = append(features, id)
		}
	}
	slices.Sort(features)
	slices.Sort(competitors)
	if len(competitors) == 0 {
		competitors = []string{"a competitor"}
	}
	if len(deals) == 0 || len(features) == 0 {
		return out, tandem.Errorf(tandem.EINVALID, "demo feedback needs deals with accounts and a feature catalog")
	}
	users, err := s.store.Users(ctx)
	if err != nil {
		return out, err
	}
	reps, err := s.reps(ctx)
	if err != nil {
		return out, err
	}
	people := desk.NewPeople(reps, users)
	if err := s.demoRouting(ctx, a, users); err != nil {
		return out, err
	}
	userOf := map[string]string{}
	for _, u := range users {
		if id, ok := people.RepOfUser(strings.ToLower(u.Email)); ok {
			userOf[id] = u.Email
		}
	}

	rng := rand.New(rand.NewPCG(seed, 0x6665_6564_6261_636b))
	total := min(cmp.Or(n, 2500), max(1, len(deals)/5))
	now := s.now().UTC()
	items := make([]tandem.Feedback, 0, total)
	accounts := map[string]bool{}
	for i := range total {
		d := deals[rng.IntN(len(deals))]
		acct := cmp.Or(names["accounts/"+d.account], d.account)
		feat := features[rng.IntN(min(len(features), 12))] // requests cluster on a dozen features
		f := tandem.Feedback{
			Source:     demoSources[rng.IntN(len(demoSources))],
			AccountID:  d.account,
			DealID:     d.id,
			FeatureID:  feat,
			ReceivedAt: now.Add(-time.Duration(rng.Float64() * 180 * 24 * float64(time.Hour))).Truncate(time.Minute),
			Author:     cmp.Or(userOf[d.rep], "sales@"+demoDomainOf(acct)),
		}
		if rng.IntN(5) == 0 {
			f.Kind = tandem.KindIntel
			f.FeatureID = ""
			f.Text = fmt.Sprintf(demoIntelTemplates[rng.IntN(len(demoIntelTemplates))], acct, competitors[rng.IntN(len(competitors))], names["features/"+feat])
			out.Intel++
		} else {
			cap := demoCapabilities[(rng.IntN(3)+slices.Index(features, feat))%len(demoCapabilities)]
			f.Text = fmt.Sprintf(demoFeatureTemplates[rng.IntN(len(demoFeatureTemplates))], acct, names["features/"+feat], cap)
			f.Importance = []string{tandem.ImportanceNice, tandem.ImportanceImportant, tandem.ImportanceCritical}[rng.IntN(3)]
		}
		switch f.Source {
		case tandem.SourceEmail:
			f.Author = "buyer@" + demoDomainOf(acct)
			f.SourceRef = fmt.Sprintf("demo-%d-%d@demo.example", seed, i)
			f.Title = "Re: " + cmp.Or(names["features/"+f.FeatureID], "your offer")
		case tandem.SourceSlack:
			f.SourceRef = fmt.Sprintf("Ev%d%06d", seed, i)
		case tandem.SourceCSV:
			f.SourceRef = fmt.Sprintf("demo-note-%d", i)
		}
		accounts[d.account] = true
		items = append(items, f)
	}
	res, err := s.ImportFeedback(ctx, a, items, nil, "demo")
	if err != nil {
		return out, err
	}
	out.Items, out.Accounts = len(res.Created), len(accounts)

	// Triage: most items older than two weeks were acknowledged, a
	// business day or so after receipt (some late); some moved on.
	var w tandem.DocWrite
	later := []tandem.FeedbackStatus{tandem.FeedbackAcknowledged, tandem.FeedbackAcknowledged, tandem.FeedbackPlanned, tandem.FeedbackDeclined, tandem.FeedbackShipped}
	for _, f := range res.Created {
		age := now.Sub(f.ReceivedAt)
		if age < 14*24*time.Hour || rng.IntN(100) < 12 {
			if now.After(f.AckDue) {
				out.Overdue++
			}
			continue
		}
		f.AckAt = f.ReceivedAt.Add(time.Duration(min(rng.ExpFloat64()*30, 24*14) * float64(time.Hour))).Truncate(time.Minute)
		f.Status = later[rng.IntN(len(later))]
		f.StatusNote = "triaged in the demo"
		w.Docs = append(w.Docs, tandem.Doc{Kind: tandem.DocFeedback, ID: f.ID, Version: 2, Ref: f.AccountID,
			Body: tandem.AuditJSON(f), Author: f.Owner, Note: "demo triage", CreatedAt: f.AckAt})
		out.Triaged++
	}
	if len(w.Docs) > 0 {
		w.Audit = []tandem.AuditEntry{s.entry(a, "feedback.import", "demo triage", nil, map[string]int{"triaged": out.Triaged})}
		if err := s.store.WriteDocs(ctx, w); err != nil {
			return out, err
		}
	}
	// Votes: product managers record, for about one item in twenty, that
	// another account of the same deal's rep wants the same thing.
	importance := []string{tandem.ImportanceNice, tandem.ImportanceImportant, tandem.ImportanceCritical}
	for _, f := range res.Created {
		if rng.IntN(20) != 0 {
			continue
		}
		theme, err := s.ThemeOf(ctx, f.ID)
		if err != nil {
			return out, err
		}
		d := deals[rng.IntN(len(deals))]
		v := tandem.Vote{Theme: theme, AccountID: d.account, Importance: importance[rng.IntN(len(importance))], At: f.ReceivedAt.Add(48 * time.Hour)}
		if err := s.RecordVote(ctx, a, v); err != nil {
			return out, fmt.Errorf("demo vote: %w", err)
		}
		out.Votes++
	}
	return out, nil
}

// demoDomainOf is a made-up mail domain for an account name.
func demoDomainOf(account string) string {
	return cmp.Or(slug(account), "customer") + ".example"
}

// demoRouting saves routing rules for the demo when its users exist: a
// product manager owns feedback by default, RevOps owns enterprise
// accounts' feedback and anything about single sign-on or Salesforce, so
// the SLA report has more than one owner to compare.
func (s *Service) demoRouting(ctx context.Context, a Actor, users []tandem.User) error {
	first := func(r tandem.Role) string {
		for _, u := range users {
			if u.Role == r && !u.Disabled {
				return u.Email
			}
		}
		return ""
	}
	pm, ops := first(tandem.RoleProduct), first(tandem.RoleRevOps)
	if pm == "" || ops == "" {
		return nil
	}
	_, v, err := s.FeedbackSettings(ctx)
	if err != nil {
		return err
	}
	set := tandem.DefaultFeedbackSettings()
	set.DefaultOwner = pm
	set.Routing = []tandem.RoutingRule{
		{Name: "identity and CRM", Keywords: []string{"sso", "single sign-on", "okta", "salesforce"}, Owner: ops},
		{Name: "enterprise accounts", Segment: "enterprise", Owner: ops},
	}
	_, _, err = s.PutFeedbackSettings(ctx, a, set, v)
	return err
}
