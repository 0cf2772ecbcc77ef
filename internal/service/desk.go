package service

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/desk"
	"github.com/tandemhq/tandem/internal/desk/rules"
)

// deskTTL is how long the desk's precomputed state is trusted before the
// service looks for changes made by another process (a rule set applied
// from the CLI while the server runs). Changes made through this service
// show at once.
const deskTTL = 5 * time.Second

// defaultSLA applies to approvals of a rule set that no longer parses.
const defaultSLA = rules.DefaultSLA

// deskCache holds the desk's precomputed state: rebuilt when its
// fingerprint (data version, rule set, archetypes, settings, users, reps)
// changes, checked at most every deskTTL, and at once after a local write.
type deskCache struct {
	mu      sync.Mutex
	st      *deskState
	checked time.Time
	stale   bool
	parsed  map[int]*rules.RuleSet // rule sets by stored version
	// refreshing is true while a background refresh runs; build
	// serializes rebuilds.
	refreshing bool
	build      sync.Mutex
}

// deskState is everything a deal check needs, immutable once built.
type deskState struct {
	fingerprint  string
	modelKey     string
	model        *desk.Model
	people       *desk.People
	rules        *rules.RuleSet // nil: no rule set applied
	rulesVersion int
	settings     desk.Settings
	products     map[string]product // by id and by folded name and alias
	features     map[string]feature
	// deals caches what checks read of deals, valid for the data version
	// the state was built at (a new version builds a new cache); bounded
	// by maxDealCache. States with the same model key share it.
	deals *dealCache
}

// dealCache maps a deal id to its dealFacts.
type dealCache struct {
	m   sync.Map
	len atomic.Int64
}

// maxDealCache bounds the deal facts a desk state keeps.
const maxDealCache = 200_000

type product struct {
	id, name, class string
	price           float64
}

type feature struct {
	id, name, status string
}

// invalidateDesk makes the next desk call rebuild its state.
func (s *Service) invalidateDesk() {
	s.desk.mu.Lock()
	s.desk.stale = true
	s.desk.mu.Unlock()
}

// deskState returns the current desk state. After a write through this
// service it rebuilds before answering (read your writes); when only the
// TTL has run out, it answers from the current state and refreshes in the
// background, so no check waits on the reload.
func (s *Service) deskState(ctx context.Context) (*deskState, error) {
	c := &s.desk
	c.mu.Lock()
	now := s.now()
	st := c.st
	switch {
	case st != nil && !c.stale && now.Sub(c.checked) < deskTTL:
		c.mu.Unlock()
		return st, nil
	case st != nil && !c.stale:
		if !c.refreshing {
			c.refreshing = true
			c.checked = now
			go func() {
				// Detached from the request: the refresh outlives it.
				_, _ = s.refreshDesk(context.WithoutCancel(ctx))
			}()
		}
		c.mu.Unlock()
		return st, nil
	}
	c.mu.Unlock()
	// The build outlives a caller that gives up (a timed-out request): it
	// is shared work, and at the benchmark scale takes minutes.
	return s.refreshDesk(context.WithoutCancel(ctx))
}

// WarmDesk builds the desk's state now, so the first deal check after a
// start does not wait for it; `tandem serve` calls it in the background.
// Unlike a check, it stops when ctx ends, so a server shutting down does
// not wait for the build.
func (s *Service) WarmDesk(ctx context.Context) error {
	_, err := s.refreshDesk(ctx)
	return err
}

// refreshDesk reloads the desk's inputs and rebuilds the state when they
// changed. Rebuilds are serialized.
func (s *Service) refreshDesk(ctx context.Context) (*deskState, error) {
	c := &s.desk
	c.build.Lock()
	defer c.build.Unlock()
	c.mu.Lock()
	stale, cur := c.stale, c.st
	c.stale = false
	c.mu.Unlock()
	finish := func(st *deskState, err error) (*deskState, error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.refreshing = false
		if err != nil {
			if stale {
				c.stale = true
			}
			return nil, err
		}
		c.st, c.checked = st, s.now()
		return st, nil
	}
	if cur != nil {
		stamp, _, _, err := s.deskStamp(ctx)
		if err != nil {
			return finish(nil, err)
		}
		if stamp == cur.fingerprint {
			return finish(cur, nil)
		}
	}
	in, err := s.deskInputs(ctx)
	if err != nil {
		return finish(nil, err)
	}
	return finish(s.buildDesk(ctx, in, cur))
}

// deskInputs are the stored documents and people the state is built from.
type deskInputs struct {
	fingerprint string
	modelKey    string // the part of the fingerprint the model depends on
	rules       *tandem.Doc
	archetypes  []desk.Archetype
	settings    desk.Settings
	users       []tandem.User
	reps        []desk.Rep
}

// deskStamp is the cheap fingerprint of the desk's inputs: the data
// version, the document stamps of rules, settings and archetypes, and the
// users (few, and read whole). Reps are data, so the data version covers
// them.
func (s *Service) deskStamp(ctx context.Context) (full, model string, users []tandem.User, err error) {
	dv, err := s.store.DataVersion(ctx)
	if err != nil {
		return "", "", nil, err
	}
	stamp := func(kind string) (int64, error) { return s.store.DocsStamp(ctx, kind) }
	settings, err := stamp(tandem.DocSettings)
	if err != nil {
		return "", "", nil, err
	}
	archetypes, err := stamp(tandem.DocArchetype)
	if err != nil {
		return "", "", nil, err
	}
	rulesStamp, err := stamp(tandem.DocRules)
	if err != nil {
		return "", "", nil, err
	}
	// The model depends on the data, the settings and the archetypes only:
	// a new rule set or user keeps it.
	model = fmt.Sprintf("data %d|settings %d|archetypes %d", dv, settings, archetypes)
	fp := &strings.Builder{}
	fmt.Fprintf(fp, "%s|rules %d|", model, rulesStamp)
	if users, err = s.store.Users(ctx); err != nil {
		return "", "", nil, err
	}
	for _, u := range users {
		fmt.Fprintf(fp, "u %s %s %s %t %s|", u.ID, u.Email, u.Role, u.Disabled, u.Name)
	}
	return fp.String(), model, users, nil
}

// deskInputs reads everything the state is built from. The stamp is read
// first, so a write racing the read makes the next refresh rebuild.
func (s *Service) deskInputs(ctx context.Context) (*deskInputs, error) {
	in := &deskInputs{settings: desk.DefaultSettings()}
	var err error
	if in.fingerprint, in.modelKey, in.users, err = s.deskStamp(ctx); err != nil {
		return nil, err
	}
	if d, err := s.store.Doc(ctx, tandem.DocRules, "active", 0); err == nil {
		in.rules = &d
	} else if tandem.ErrorCode(err) != tandem.ENOTFOUND {
		return nil, err
	}
	if d, err := s.store.Doc(ctx, tandem.DocSettings, "settings", 0); err == nil {
		if err := json.Unmarshal(d.Body, &in.settings); err != nil {
			return nil, fmt.Errorf("desk settings version %d: %w", d.Version, err)
		}
	} else if tandem.ErrorCode(err) != tandem.ENOTFOUND {
		return nil, err
	}
	docs, err := s.store.Docs(ctx, tandem.DocArchetype, "")
	if err != nil {
		return nil, err
	}
	for _, d := range docs {
		a, err := archetypeOf(d)
		if err != nil {
			return nil, err
		}
		in.archetypes = append(in.archetypes, a)
	}
	if in.reps, err = s.reps(ctx); err != nil {
		return nil, err
	}
	return in, nil
}

// reps reads the reps for the people directory. The rep's e-mail comes
// from an imported "email" column, kept as attr.email; a rep sells when
// they own a deal (read once per data version).
func (s *Service) reps(ctx context.Context) ([]desk.Rep, error) {
	sellers, err := cached(ctx, s, "desk-sellers", func() (map[string]bool, error) {
		de, err := s.cat.Entity("deals")
		if err != nil {
			return nil, err
		}
		_, col := de.Column("rep_id")
		out := map[string]bool{}
		err = s.store.Scan(ctx, "deals", func(r tandem.Record) error {
			if id, ok := r.Values[col].(string); ok && id != "" {
				out[id] = true
			}
			return nil
		})
		return out, err
	})
	if err != nil {
		return nil, err
	}
	e, err := s.cat.Entity("reps")
	if err != nil {
		return nil, err
	}
	var out []desk.Rep
	err = s.store.Scan(ctx, "reps", func(r tandem.Record) error {
		out = append(out, desk.Rep{ID: r.ID(), Name: text(e, r, "name"), Manager: text(e, r, "manager"),
			Email: r.Attrs["email"], Sells: sellers[r.ID()]})
		return nil
	})
	return out, err
}

func archetypeOf(d tandem.Doc) (desk.Archetype, error) {
	var a desk.Archetype
	if err := json.Unmarshal(d.Body, &a); err != nil {
		return a, fmt.Errorf("archetype %s version %d: %w", d.ID, d.Version, err)
	}
	a.ID, a.Version = d.ID, d.Version
	a.Normalize()
	return a, nil
}

// buildDesk builds the state from its inputs. When only the rule set or the
// users changed since cur, the model, catalog maps and deal cache are
// kept: rebuilding the model reads every closed deal, minutes at a million.
func (s *Service) buildDesk(ctx context.Context, in *deskInputs, cur *deskState) (*deskState, error) {
	st := &deskState{fingerprint: in.fingerprint, modelKey: in.modelKey, settings: in.settings,
		people: desk.NewPeople(in.reps, in.users), products: map[string]product{}, features: map[string]feature{}, deals: &dealCache{}}
	if in.rules != nil {
		rs, err := s.ruleSet(*in.rules)
		if err != nil {
			return nil, err
		}
		st.rules, st.rulesVersion = rs, in.rules.Version
	}
	if cur != nil && cur.modelKey == in.modelKey {
		st.model, st.products, st.features, st.deals = cur.model, cur.products, cur.features, cur.deals
		return st, nil
	}
	err := scanNamed(ctx, s, "products", func(e *tandem.Entity, r tandem.Record) product {
		p := product{id: r.ID(), name: text(e, r, "name"), class: text(e, r, "class")}
		if n := number(e, r, "price"); n != nil {
			p.price = *n
		}
		return p
	}, st.products)
	if err != nil {
		return nil, err
	}
	err = scanNamed(ctx, s, "features", func(e *tandem.Entity, r tandem.Record) feature {
		return feature{id: r.ID(), name: text(e, r, "name"), status: text(e, r, "status")}
	}, st.features)
	if err != nil {
		return nil, err
	}
	var accepted []desk.Archetype
	for _, a := range in.archetypes {
		if a.Status == "accepted" {
			accepted = append(accepted, a)
		}
	}
	if st.model, err = desk.NewModel(ctx, s.store, s.cat, s.reporter, accepted, in.settings, s.now()); err != nil {
		return nil, fmt.Errorf("desk model: %w", err)
	}
	return st, nil
}

// scanNamed reads a named catalog entity into m, keyed by id and by the
// normalized form of its name and aliases (tandem.NormalizeName, the
// matching imports use), so a quote names products as an import would.
func scanNamed[T any](ctx context.Context, s *Service, entity string, of func(*tandem.Entity, tandem.Record) T, m map[string]T) error {
	e, err := s.cat.Entity(entity)
	if err != nil {
		return err
	}
	return s.store.Scan(ctx, entity, func(r tandem.Record) error {
		v := of(e, r)
		m[r.ID()] = v
		names, _ := Value(e, r, "aliases").([]string)
		for _, n := range append([]string{text(e, r, "name")}, names...) {
			if k := tandem.NormalizeName(n); k != "" {
				m[k] = v
			}
		}
		return nil
	})
}

// ruleSet parses a stored rule set, once per version.
func (s *Service) ruleSet(d tandem.Doc) (*rules.RuleSet, error) {
	c := &s.desk
	c.mu.Lock()
	rs, ok := c.parsed[d.Version]
	c.mu.Unlock()
	if ok {
		return rs, nil
	}
	var body ruleDoc
	if err := json.Unmarshal(d.Body, &body); err != nil {
		return nil, fmt.Errorf("rule set version %d: %w", d.Version, err)
	}
	rs, err := rules.Parse(body.Name, []byte(body.Source))
	if err != nil {
		return nil, fmt.Errorf("rule set version %d: %w", d.Version, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.parsed == nil {
		c.parsed = map[int]*rules.RuleSet{}
	}
	c.parsed[d.Version] = rs
	return rs, nil
}

// ruleSetAt returns the rule set stored as version v, parsed.
func (s *Service) ruleSetAt(ctx context.Context, v int) (*rules.RuleSet, error) {
	s.desk.mu.Lock()
	rs, ok := s.desk.parsed[v]
	s.desk.mu.Unlock()
	if ok {
		return rs, nil
	}
	d, err := s.store.Doc(ctx, tandem.DocRules, "active", v)
	if err != nil {
		return nil, err
	}
	return s.ruleSet(d)
}

// ---- Rules ----

// ruleDoc is a stored rule set: the file as written, so history shows
// exactly what was applied.
type ruleDoc struct {
	Name   string `json:"name"`
	Source string `json:"source"`
}

// RuleSetView is one version of the rule set.
type RuleSetView struct {
	Version   int           `json:"version"`
	Author    string        `json:"author"`
	Note      string        `json:"note,omitempty"`
	CreatedAt time.Time     `json:"created_at"`
	Name      string        `json:"name"`
	Source    string        `json:"source"`
	SLA       string        `json:"sla"`
	Rules     []RuleSummary `json:"rules"`
}

// RuleSummary is one rule as people read it.
type RuleSummary struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	Level       int    `json:"level"`
	Chain       string `json:"chain,omitempty"`
	When        string `json:"when"`
	Approvers   string `json:"approvers"`
	SLA         string `json:"sla"`
}

func ruleSetView(d tandem.Doc, rs *rules.RuleSet, body ruleDoc) *RuleSetView {
	v := &RuleSetView{Version: d.Version, Author: d.Author, Note: d.Note, CreatedAt: d.CreatedAt,
		Name: body.Name, Source: body.Source, SLA: formatSLA(rs.SLA), Rules: []RuleSummary{}}
	for _, r := range rs.Rules {
		v.Rules = append(v.Rules, RuleSummary{Name: r.Name, Description: r.Description, Level: r.Level, Chain: r.Chain,
			When: r.When.String(), Approvers: r.Approvers.String(), SLA: formatSLA(r.SLA)})
	}
	return v
}

// formatSLA writes a duration as a rule file would: "2d", "24h", "90m".
func formatSLA(d time.Duration) string {
	switch {
	case d > 0 && d%(24*time.Hour) == 0 && d >= 48*time.Hour:
		return strconv.FormatInt(int64(d/(24*time.Hour)), 10) + "d"
	case d > 0 && d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d > 0 && d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	}
	return d.String()
}

// ApplyRules validates a rule file (its syntax, then its approvers against
// the reps and users) and makes it the active rule set, as a new version.
// A file with any problem changes nothing. Quotes saved from now on are
// routed under it; approvals already requested keep their routing.
func (s *Service) ApplyRules(ctx context.Context, a Actor, name string, data []byte, note string) (*RuleSetView, error) {
	rs, err := rules.Parse(name, data)
	if err != nil {
		return nil, err
	}
	in, err := s.deskInputs(ctx)
	if err != nil {
		return nil, err
	}
	if err := rs.CheckApprovers(desk.NewPeople(in.reps, in.users)); err != nil {
		return nil, err
	}
	version := 1
	var before any
	if in.rules != nil {
		version = in.rules.Version + 1
		before = map[string]int{"version": in.rules.Version}
	}
	body := ruleDoc{Name: name, Source: string(data)}
	d := tandem.Doc{Kind: tandem.DocRules, ID: "active", Version: version, Body: tandem.AuditJSON(body),
		Author: a.Name, Note: note, CreatedAt: s.now().UTC()}
	audit := s.entry(a, "desk.rules.apply", "rules", before, map[string]any{"version": version, "name": name, "rules": len(rs.Rules)})
	if err := s.store.PutDoc(ctx, d, &audit); err != nil {
		return nil, err
	}
	s.invalidateDesk()
	return ruleSetView(d, rs, body), nil
}

// Rules returns one version of the rule set (0: the active one), or
// ENOTFOUND when none was applied.
func (s *Service) Rules(ctx context.Context, version int) (*RuleSetView, error) {
	d, err := s.store.Doc(ctx, tandem.DocRules, "active", version)
	if err != nil {
		if tandem.ErrorCode(err) != tandem.ENOTFOUND {
			return nil, err
		}
		if version > 0 {
			if latest, err := s.store.Doc(ctx, tandem.DocRules, "active", 0); err == nil {
				return nil, tandem.Errorf(tandem.ENOTFOUND, "the rule set has versions 1 to %d, not %d", latest.Version, version)
			}
		}
		return nil, tandem.Errorf(tandem.ENOTFOUND, "no rule set has been applied (tandem desk rules apply FILE)")
	}
	rs, err := s.ruleSetAt(ctx, d.Version)
	if err != nil {
		return nil, err
	}
	var body ruleDoc
	_ = json.Unmarshal(d.Body, &body)
	return ruleSetView(d, rs, body), nil
}

// RulesHistory lists every applied version of the rule set, newest first,
// without their sources.
func (s *Service) RulesHistory(ctx context.Context) ([]tandem.Doc, error) {
	docs, err := s.store.DocVersions(ctx, tandem.DocRules, "active")
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		return []tandem.Doc{}, nil
	}
	if err != nil {
		return nil, err
	}
	slices.Reverse(docs)
	for i := range docs {
		docs[i].Body = nil
	}
	return docs, nil
}

// ---- Settings ----

// DeskSettings returns the desk's settings and their version (0: defaults).
func (s *Service) DeskSettings(ctx context.Context) (desk.Settings, int, error) {
	set := desk.DefaultSettings()
	d, err := s.store.Doc(ctx, tandem.DocSettings, "settings", 0)
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		return set, 0, nil
	}
	if err != nil {
		return set, 0, err
	}
	return set, d.Version, json.Unmarshal(d.Body, &set)
}

// PutDeskSettings stores new settings as a new version.
func (s *Service) PutDeskSettings(ctx context.Context, a Actor, set desk.Settings) (desk.Settings, error) {
	var problems []string
	if set.DisclosureMonths < 1 || set.DisclosureMonths > 60 {
		problems = append(problems, fmt.Sprintf("disclosure_months: %d is outside 1 to 60", set.DisclosureMonths))
	}
	if set.MinN < 5 || set.MinN > 10000 {
		problems = append(problems, fmt.Sprintf("min_n: %d is outside 5 to 10000", set.MinN))
	}
	if set.MaxDistance <= 0 || set.MaxDistance > 1 {
		problems = append(problems, fmt.Sprintf("max_distance: %v is outside (0, 1]", set.MaxDistance))
	}
	if set.DefaultMaxPaymentDays < 0 || set.DefaultMaxPaymentDays > 365 {
		problems = append(problems, fmt.Sprintf("default_max_payment_days: %d is outside 0 to 365", set.DefaultMaxPaymentDays))
	}
	if len(problems) > 0 {
		return set, tandem.Errorf(tandem.EINVALID, "desk settings: %s", strings.Join(problems, "; "))
	}
	old, v, err := s.DeskSettings(ctx)
	if err != nil {
		return set, err
	}
	d := tandem.Doc{Kind: tandem.DocSettings, ID: "settings", Version: v + 1, Body: tandem.AuditJSON(set), Author: a.Name, CreatedAt: s.now().UTC()}
	audit := s.entry(a, "desk.settings", "settings", old, set)
	if err := s.store.PutDoc(ctx, d, &audit); err != nil {
		return set, err
	}
	s.invalidateDesk()
	return set, nil
}

// ---- Archetypes ----

// DeriveArchetypes proposes archetypes from the closed deals; nothing is
// stored until they are saved.
func (s *Service) DeriveArchetypes(ctx context.Context, opts desk.DeriveOptions) ([]desk.Archetype, error) {
	return desk.Derive(ctx, s.store, s.cat, opts)
}

// Archetypes lists the stored archetypes (proposed and accepted), latest
// version of each.
func (s *Service) Archetypes(ctx context.Context) ([]desk.Archetype, error) {
	docs, err := s.store.Docs(ctx, tandem.DocArchetype, "")
	if err != nil {
		return nil, err
	}
	out := make([]desk.Archetype, 0, len(docs))
	for _, d := range docs {
		a, err := archetypeOf(d)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// ArchetypeHistory returns every version of an archetype, oldest first.
func (s *Service) ArchetypeHistory(ctx context.Context, id string) ([]desk.Archetype, []tandem.Doc, error) {
	docs, err := s.store.DocVersions(ctx, tandem.DocArchetype, id)
	if err != nil {
		return nil, nil, err
	}
	out := make([]desk.Archetype, len(docs))
	for i, d := range docs {
		if out[i], err = archetypeOf(d); err != nil {
			return nil, nil, err
		}
		docs[i].Body = nil
	}
	return out, docs, nil
}

// SaveArchetype stores an archetype as a new version: a proposal being
// accepted, renamed or edited. a.Version is the version the edit started
// from (0 for a new archetype); if the archetype changed since, the save
// fails with ECONFLICT rather than overwrite someone else's edit.
func (s *Service) SaveArchetype(ctx context.Context, a Actor, arch desk.Archetype, note string) (desk.Archetype, error) {
	arch.ID, arch.Name = strings.TrimSpace(arch.ID), strings.TrimSpace(arch.Name)
	arch.Normalize()
	var problems []string
	if arch.ID == "" || len(arch.ID) > 200 {
		problems = append(problems, "id: an archetype needs an id of at most 200 characters")
	}
	if arch.Name == "" {
		problems = append(problems, "name: an archetype needs a name")
	}
	if arch.Status == "" {
		arch.Status = "proposed"
	}
	if arch.Status != "proposed" && arch.Status != "accepted" && arch.Status != "retired" {
		problems = append(problems, fmt.Sprintf("status: %q is not proposed, accepted or retired", arch.Status))
	}
	if arch.ACVMax != 0 && arch.ACVMax <= arch.ACVMin {
		problems = append(problems, "acv_max: must be above acv_min (or 0 for no upper bound)")
	}
	pb := arch.Playbook
	if pb.MaxPaymentDays < 0 || pb.MinMarginPct < 0 || pb.MinMarginPct > 100 || pb.TimeToValueDays < 0 || pb.RampMonths < 0 {
		problems = append(problems, "playbook: guardrails must be non-negative and margins at most 100%")
	}
	if len(problems) > 0 {
		return arch, tandem.Errorf(tandem.EINVALID, "archetype %s: %s", arch.ID, strings.Join(problems, "; "))
	}
	latest := 0
	var before any
	if d, err := s.store.Doc(ctx, tandem.DocArchetype, arch.ID, 0); err == nil {
		latest = d.Version
		before, _ = archetypeOf(d)
	} else if tandem.ErrorCode(err) != tandem.ENOTFOUND {
		return arch, err
	}
	if arch.Version != latest {
		return arch, tandem.Errorf(tandem.ECONFLICT, "archetype %s is at version %d; the edit started from version %d", arch.ID, latest, arch.Version)
	}
	arch.Version = latest + 1
	d := tandem.Doc{Kind: tandem.DocArchetype, ID: arch.ID, Version: arch.Version, Body: tandem.AuditJSON(arch), Author: a.Name, Note: note, CreatedAt: s.now().UTC()}
	audit := s.entry(a, "desk.archetype.save", arch.ID, before, arch)
	if err := s.store.PutDoc(ctx, d, &audit); err != nil {
		return arch, err
	}
	s.invalidateDesk()
	return arch, nil
}

// ---- Quotes ----

// storedQuote is the body of a quote document: the quote, and what the desk
// made of it when it was saved, so the record shows the flags, archetype
// and facts the approvals were routed on, even after the data moves on.
type storedQuote struct {
	Quote        tandem.Quote `json:"quote"`
	Check        desk.Check   `json:"check"`
	Facts        rules.Facts  `json:"facts"`
	RulesVersion int          `json:"rules_version"` // 0: no rule set
}

// QuoteView is one version of a quote with its history, the desk's check
// and its approvals.
type QuoteView struct {
	Quote     tandem.Quote      `json:"quote"`
	Deal      Ref               `json:"deal"`
	Latest    int               `json:"latest_version"`
	Versions  []tandem.Doc      `json:"versions"`
	Changes   []desk.Change     `json:"changes"`
	Check     desk.Check        `json:"check"`
	Approvals []tandem.Approval `json:"approvals"`
	// Status sums up the approvals: none, pending, approved or rejected.
	Status       string `json:"status"`
	RulesVersion int    `json:"rules_version"`
}

// QuoteSummary is a quote in a deal's list.
type QuoteSummary struct {
	ID        string    `json:"id"`
	Version   int       `json:"version"`
	Author    string    `json:"author"`
	CreatedAt time.Time `json:"created_at"`
	ACV       float64   `json:"acv"`
	Discount  float64   `json:"discount"`
	Flags     int       `json:"flags"`
	Status    string    `json:"status"`
}

// resolveQuote maps a quote's products and features to the catalog,
// fills list prices from the catalog where the quote has none, and marks
// promised features that are in beta or not yet released. Unknown names
// are errors listed together.
func (st *deskState) resolveQuote(q *tandem.Quote) error {
	var problems []string
	for i := range q.Lines {
		l := &q.Lines[i]
		p, ok := lookupName(st.products, l.Product)
		if !ok {
			if strings.TrimSpace(l.Product) != "" {
				problems = append(problems, fmt.Sprintf("lines[%d].product: no product %q in the catalog", i, l.Product))
			}
			continue
		}
		l.Product = p.id
		if l.ListPrice == 0 && p.price > 0 {
			l.ListPrice = p.price
		}
	}
	for i := range q.Promises {
		pr := &q.Promises[i]
		f, ok := lookupName(st.features, pr.Feature)
		if !ok {
			if strings.TrimSpace(pr.Feature) != "" {
				problems = append(problems, fmt.Sprintf("promises[%d].feature: no feature %q in the catalog", i, pr.Feature))
			}
			continue
		}
		pr.Feature = f.id
		switch f.status {
		case "beta":
			pr.Beta = true
		case "idea", "planned":
			pr.Unreleased = true
		}
	}
	if len(problems) > 0 {
		return tandem.Errorf(tandem.EINVALID, "%s: %s", desk.QuoteName(q), strings.Join(problems, "; "))
	}
	return nil
}

// lookupName finds a catalog entry by id, then by folded name or alias.
func lookupName[T any](m map[string]T, name string) (T, bool) {
	if v, ok := m[strings.TrimSpace(name)]; ok {
		return v, true
	}
	v, ok := m[tandem.NormalizeName(name)]
	return v, ok
}

// dealFacts is what the desk needs of a deal.
type dealFacts struct {
	desk.DealInfo
	Rep, Name string
}

// dealInfoCached is dealInfo through the state's cache: a deal check reads
// the deal and its account once per data version, not once per check.
func (s *Service) dealInfoCached(ctx context.Context, st *deskState, id string) (dealFacts, error) {
	if v, ok := st.deals.m.Load(id); ok {
		return v.(dealFacts), nil
	}
	di, err := s.dealInfo(ctx, id)
	if err == nil && st.deals.len.Load() < maxDealCache {
		if _, loaded := st.deals.m.LoadOrStore(id, di); !loaded {
			st.deals.len.Add(1)
		}
	}
	return di, err
}

// dealInfo reads what the desk needs of a deal, or ENOTFOUND.
func (s *Service) dealInfo(ctx context.Context, id string) (dealFacts, error) {
	e, r, err := s.Get(ctx, "deals", id)
	if err != nil {
		return dealFacts{}, err
	}
	di := dealFacts{DealInfo: desk.DealInfo{ID: id}, Rep: text(e, r, "rep_id"), Name: text(e, r, "name")}
	if n := number(e, r, "amount"); n != nil {
		di.Amount = *n
	}
	if acct := text(e, r, "account_id"); acct != "" {
		ae, ar, err := s.Get(ctx, "accounts", acct)
		if err == nil {
			di.Segment = text(ae, ar, "segment")
		} else if tandem.ErrorCode(err) != tandem.ENOTFOUND {
			return di, err
		}
	}
	return di, nil
}

// assess checks a normalized quote and routes its approvals (without
// storing anything): the shared core of saving and of a what-if check.
func (s *Service) assess(ctx context.Context, st *deskState, q *tandem.Quote, di dealFacts, prev *desk.Previous, newID func() string) (desk.Check, rules.Facts, []tandem.Approval) {
	now := s.now().UTC()
	c := st.model.Check(q, di.DealInfo, now)
	c.QuoteID, c.QuoteVersion, c.DealID = q.ID, q.Version, q.DealID
	classOf := func(p string) string { return st.products[p].class }
	f := desk.Facts(q, di.Segment, di.Amount, &c, classOf, now)
	var approvals []tandem.Approval
	if st.rules != nil {
		approvals = desk.Route(st.rules, st.people, desk.RouteInput{QuoteID: q.ID, Version: q.Version, DealID: q.DealID,
			RepID: di.Rep, Facts: f, Prev: prev, Now: now, NewID: newID})
	}
	if approvals == nil {
		approvals = []tandem.Approval{}
	}
	c.Approvals = approvals
	return c, f, approvals
}

// CheckQuote runs the deal check on a quote without saving it: the matched
// archetype, each line in its band, the flags with their evidence, and the
// approvals the quote would need.
func (s *Service) CheckQuote(ctx context.Context, q tandem.Quote) (*desk.Check, error) {
	st, err := s.deskState(ctx)
	if err != nil {
		return nil, err
	}
	if err := st.resolveQuote(&q); err != nil {
		return nil, err
	}
	if err := desk.Normalize(&q); err != nil {
		return nil, err
	}
	di, err := s.dealInfoCached(ctx, st, q.DealID)
	if err != nil {
		return nil, err
	}
	c, _, _ := s.assess(ctx, st, &q, di, nil, func() string { return "" })
	return &c, nil
}

// CheckDeal checks a deal: its latest quote when it has one, otherwise a
// quote drawn from its line items (or its products at list price when it
// has none), so that any imported deal can be checked.
func (s *Service) CheckDeal(ctx context.Context, dealID string) (*desk.Check, error) {
	quotes, err := s.store.Docs(ctx, tandem.DocQuote, dealID)
	if err != nil {
		return nil, err
	}
	if len(quotes) > 0 {
		v, err := s.Quote(ctx, latestDoc(quotes).ID, 0)
		if err != nil {
			return nil, err
		}
		return &v.Check, nil
	}
	q, err := s.DraftQuote(ctx, dealID)
	if err != nil {
		return nil, err
	}
	return s.CheckQuote(ctx, *q)
}

// latestDoc returns the most recently created of docs.
func latestDoc(docs []tandem.Doc) tandem.Doc {
	best := docs[0]
	for _, d := range docs[1:] {
		if d.CreatedAt.After(best.CreatedAt) {
			best = d
		}
	}
	return best
}

// DraftQuote proposes a first quote for a deal from what was imported: its
// line items with the catalog's list prices, or its products with the
// deal's amount spread over them.
func (s *Service) DraftQuote(ctx context.Context, dealID string) (*tandem.Quote, error) {
	d, err := s.Deal(ctx, dealID)
	if err != nil {
		return nil, err
	}
	st, err := s.deskState(ctx)
	if err != nil {
		return nil, err
	}
	q := &tandem.Quote{DealID: dealID, TermMonths: 12, Billing: "annual", PaymentDays: 30}
	for _, it := range d.LineItems {
		l := tandem.QuoteLine{Product: it.Product.ID, Quantity: 1}
		if it.Quantity != nil && *it.Quantity > 0 {
			l.Quantity = *it.Quantity
		}
		l.ListPrice = st.products[it.Product.ID].price
		if it.UnitPrice != nil {
			l.NetPrice = *it.UnitPrice
			if l.ListPrice == 0 || l.NetPrice > l.ListPrice {
				l.ListPrice = l.NetPrice
			}
		}
		q.Lines = append(q.Lines, l)
	}
	if len(q.Lines) == 0 {
		amount := 0.0
		if n := number(d.Entity, d.Deal, "amount"); n != nil {
			amount = *n
		}
		for _, p := range d.Products {
			l := tandem.QuoteLine{Product: p.ID, Quantity: 1, ListPrice: st.products[p.ID].price}
			if amount > 0 && len(d.Products) > 0 {
				l.NetPrice = amount / float64(len(d.Products))
				if l.ListPrice < l.NetPrice {
					l.ListPrice = l.NetPrice
				}
			}
			q.Lines = append(q.Lines, l)
		}
	}
	for _, f := range d.Features {
		if ft, ok := st.features[f.ID]; ok && (ft.status == "beta" || ft.status == "idea" || ft.status == "planned") {
			q.Promises = append(q.Promises, tandem.Promise{Feature: f.ID, Date: s.now().UTC().AddDate(0, 3, 0)})
		}
	}
	if len(q.Lines) == 0 {
		return nil, tandem.Errorf(tandem.EINVALID, "deal %s has no line items or products to draft a quote from; add lines", dealID)
	}
	for i := range q.Lines {
		q.Lines[i].ID = "L" + strconv.Itoa(i+1)
	}
	return q, nil
}

// SaveQuote stores a quote as a new version and requests the approvals it
// needs. A new quote (empty ID) gets an id from its deal. For an existing
// quote, q.Version is the version the edit started from: when the quote
// moved on since, the save fails with ECONFLICT. Saving a quote identical
// to its latest version stores nothing and returns that version.
//
// Approvals given on the previous version stand when rules.Reapprove says
// so (smart re-approval); the others are requested again, each with the
// reason. Every open approval of an older version is superseded in the
// same transaction.
func (s *Service) SaveQuote(ctx context.Context, a Actor, q tandem.Quote) (*QuoteView, error) {
	st, err := s.deskState(ctx)
	if err != nil {
		return nil, err
	}
	if err := st.resolveQuote(&q); err != nil {
		return nil, err
	}
	if err := desk.Normalize(&q); err != nil {
		return nil, err
	}
	di, err := s.dealInfo(ctx, q.DealID)
	if err != nil {
		return nil, err
	}
	var prev *storedQuote
	var prevDoc tandem.Doc
	if q.ID == "" {
		existing, err := s.store.Docs(ctx, tandem.DocQuote, q.DealID)
		if err != nil {
			return nil, err
		}
		q.ID = fmt.Sprintf("%s-Q%d", q.DealID, len(existing)+1)
		if q.Version != 0 {
			return nil, tandem.Errorf(tandem.EINVALID, "a new quote has no version to start from (version %d given)", q.Version)
		}
	} else {
		prevDoc, err = s.store.Doc(ctx, tandem.DocQuote, q.ID, 0)
		switch {
		case tandem.ErrorCode(err) == tandem.ENOTFOUND:
			if q.Version != 0 {
				return nil, tandem.Errorf(tandem.ENOTFOUND, "no quote %s", q.ID)
			}
		case err != nil:
			return nil, err
		default:
			prev = &storedQuote{}
			if err := json.Unmarshal(prevDoc.Body, prev); err != nil {
				return nil, fmt.Errorf("quote %s version %d: %w", q.ID, prevDoc.Version, err)
			}
			if prev.Quote.DealID != q.DealID {
				return nil, tandem.Errorf(tandem.EINVALID, "quote %s belongs to deal %s, not %s", q.ID, prev.Quote.DealID, q.DealID)
			}
			if q.Version != prevDoc.Version {
				return nil, tandem.Errorf(tandem.ECONFLICT, "quote %s is at version %d; the edit started from version %d: reload and edit again", q.ID, prevDoc.Version, q.Version)
			}
		}
	}
	author, note := a.Name, q.Note
	q.Author, q.CreatedAt, q.Note = "", time.Time{}, ""
	if prev != nil {
		same := prev.Quote
		same.Author, same.CreatedAt, same.Note, same.Version = "", time.Time{}, "", 0
		q.Version = 0
		if len(desk.Diff(&same, &q)) == 0 {
			return s.Quote(ctx, q.ID, prevDoc.Version)
		}
	}
	q.Version = prevDoc.Version + 1
	q.Author, q.CreatedAt, q.Note = author, s.now().UTC(), note

	var previous *desk.Previous
	if prev != nil && st.rules != nil {
		previous = &desk.Previous{Version: prevDoc.Version, Facts: prev.Facts}
		if prev.RulesVersion > 0 {
			rs, err := s.ruleSetAt(ctx, prev.RulesVersion)
			if err != nil {
				return nil, err
			}
			previous.Matches = rs.Evaluate(prev.Facts)
		}
		if previous.Approvals, err = s.store.Approvals(ctx, tandem.ApprovalQuery{QuoteID: q.ID, QuoteVersion: prevDoc.Version}); err != nil {
			return nil, err
		}
	}
	c, f, approvals := s.assess(ctx, st, &q, di, previous, func() string { return "ap_" + auth.NewID()[:16] })
	body := storedQuote{Quote: q, Check: c, Facts: f, RulesVersion: st.rulesVersion}
	body.Check.Approvals = nil
	doc := tandem.Doc{Kind: tandem.DocQuote, ID: q.ID, Version: q.Version, Ref: q.DealID, Body: tandem.AuditJSON(body),
		Author: author, Note: note, CreatedAt: q.CreatedAt}
	var before any
	if prev != nil {
		before = prev.Quote
	}
	audit := s.entry(a, "desk.quote.save", fmt.Sprintf("%s v%d", q.ID, q.Version), before, q)
	var notes []tandem.Notification
	for _, ap := range approvals {
		if ap.Status == tandem.ApprovalPending && ap.CarriedFrom == "" {
			notes = append(notes, s.notifications(st, "approval.requested", ap, s.recipients(st, ap.Approver))...)
		}
	}
	if err := s.store.SaveQuote(ctx, tandem.QuoteWrite{Doc: doc, Approvals: approvals, Notify: notes}, &audit); err != nil {
		return nil, err
	}
	if err := s.reviewOnQuote(ctx, a, q.DealID); err != nil && tandem.ErrorCode(err) != tandem.ECONFLICT {
		return nil, fmt.Errorf("quote %s saved as version %d, but opening its deal review failed: %w", q.ID, q.Version, err)
	}
	return s.Quote(ctx, q.ID, q.Version)
}

// Quote returns one version of a quote (0: the latest) with its history,
// the check recorded when it was saved (with acknowledgments), and its
// approvals.
func (s *Service) Quote(ctx context.Context, id string, version int) (*QuoteView, error) {
	docs, err := s.store.DocVersions(ctx, tandem.DocQuote, id)
	if err != nil {
		if tandem.ErrorCode(err) == tandem.ENOTFOUND {
			return nil, tandem.Errorf(tandem.ENOTFOUND, "no quote %s", id)
		}
		return nil, err
	}
	if version == 0 {
		version = len(docs)
	}
	if version < 1 || version > len(docs) {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "quote %s has versions 1 to %d, not %d", id, len(docs), version)
	}
	var body storedQuote
	if err := json.Unmarshal(docs[version-1].Body, &body); err != nil {
		return nil, fmt.Errorf("quote %s version %d: %w", id, version, err)
	}
	v := &QuoteView{Quote: body.Quote, Latest: len(docs), Check: body.Check, RulesVersion: body.RulesVersion, Changes: []desk.Change{}}
	if version > 1 {
		var pb storedQuote
		if err := json.Unmarshal(docs[version-2].Body, &pb); err != nil {
			return nil, fmt.Errorf("quote %s version %d: %w", id, version-1, err)
		}
		v.Changes = desk.Diff(&pb.Quote, &body.Quote)
	}
	for _, d := range docs {
		d.Body = nil
		v.Versions = append(v.Versions, d)
	}
	if v.Approvals, err = s.store.Approvals(ctx, tandem.ApprovalQuery{QuoteID: id, QuoteVersion: version}); err != nil {
		return nil, err
	}
	if v.Approvals == nil {
		v.Approvals = []tandem.Approval{}
	}
	v.Check.Approvals = v.Approvals
	v.Status = desk.QuoteStatus(v.Approvals)
	// Acknowledgments belong to the version that was latest when they
	// were made: from its creation to the next version's.
	var until time.Time
	if version < len(docs) {
		until = docs[version].CreatedAt
	}
	for i := range v.Check.Flags {
		f := &v.Check.Flags[i]
		hist, err := s.store.DocVersions(ctx, tandem.DocAck, id+"/"+f.Code)
		if tandem.ErrorCode(err) == tandem.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, err
		}
		for _, d := range hist {
			if d.CreatedAt.Before(docs[version-1].CreatedAt) || (!until.IsZero() && !d.CreatedAt.Before(until)) {
				continue
			}
			var ack desk.Ack
			if err := json.Unmarshal(d.Body, &ack); err != nil {
				return nil, fmt.Errorf("acknowledgment %s: %w", d.ID, err)
			}
			f.Acknowledged = append(f.Acknowledged, ack)
		}
	}
	v.Deal = Ref{ID: body.Quote.DealID}
	if di, err := s.dealInfo(ctx, body.Quote.DealID); err == nil {
		v.Deal.Name = di.Name
	}
	return v, nil
}

// DealQuotes lists a deal's quotes, latest version of each.
func (s *Service) DealQuotes(ctx context.Context, dealID string) ([]QuoteSummary, error) {
	docs, err := s.store.Docs(ctx, tandem.DocQuote, dealID)
	if err != nil {
		return nil, err
	}
	out := []QuoteSummary{}
	for _, d := range docs {
		var body storedQuote
		if err := json.Unmarshal(d.Body, &body); err != nil {
			return nil, fmt.Errorf("quote %s: %w", d.ID, err)
		}
		steps, err := s.store.Approvals(ctx, tandem.ApprovalQuery{QuoteID: d.ID, QuoteVersion: d.Version})
		if err != nil {
			return nil, err
		}
		out = append(out, QuoteSummary{ID: d.ID, Version: d.Version, Author: d.Author, CreatedAt: d.CreatedAt,
			ACV: body.Quote.ACV(), Discount: body.Quote.Discount(), Flags: len(body.Check.Flags), Status: desk.QuoteStatus(steps)})
	}
	return out, nil
}

// AckFlag records that the actor saw a flag on the latest version of a
// quote. Flags never block; the acknowledgment is the record that the rep
// knew.
func (s *Service) AckFlag(ctx context.Context, a Actor, quoteID, code, note string) (*QuoteView, error) {
	v, err := s.Quote(ctx, quoteID, 0)
	if err != nil {
		return nil, err
	}
	if !slices.ContainsFunc(v.Check.Flags, func(f desk.Flag) bool { return f.Code == code }) {
		return nil, tandem.Errorf(tandem.EINVALID, "quote %s version %d has no flag %q", quoteID, v.Quote.Version, code)
	}
	if len(note) > 2000 {
		return nil, tandem.Errorf(tandem.EINVALID, "note: at most 2000 characters")
	}
	id := quoteID + "/" + code
	version := 1
	if d, err := s.store.Doc(ctx, tandem.DocAck, id, 0); err == nil {
		version = d.Version + 1
	} else if tandem.ErrorCode(err) != tandem.ENOTFOUND {
		return nil, err
	}
	ack := desk.Ack{By: a.Name, Note: strings.TrimSpace(note), At: s.now().UTC()}
	d := tandem.Doc{Kind: tandem.DocAck, ID: id, Version: version, Ref: quoteID, Body: tandem.AuditJSON(ack), Author: a.Name, CreatedAt: ack.At}
	audit := s.entry(a, "desk.flag.ack", fmt.Sprintf("%s v%d %s", quoteID, v.Quote.Version, code), nil, ack)
	if err := s.store.PutDoc(ctx, d, &audit); err != nil {
		return nil, err
	}
	return s.Quote(ctx, quoteID, 0)
}

// ---- Approvals ----

// ApprovalView is an approval step in an inbox, with its quote's figures.
type ApprovalView struct {
	tandem.Approval
	ACV      float64 `json:"acv"`
	Discount float64 `json:"discount"`
	Overdue  bool    `json:"overdue"`
	// As says how the viewer may act: "" as the approver, or as a delegate.
	As string `json:"as,omitempty"`
}

// aways returns the standing delegations, by the away user's e-mail.
func (s *Service) aways(ctx context.Context) (map[string]desk.Away, error) {
	docs, err := s.store.Docs(ctx, tandem.DocAway, "")
	if err != nil {
		return nil, err
	}
	out := make(map[string]desk.Away, len(docs))
	for _, d := range docs {
		var a desk.Away
		if err := json.Unmarshal(d.Body, &a); err != nil {
			return nil, fmt.Errorf("delegation of %s: %w", d.ID, err)
		}
		out[d.ID] = a
	}
	return out, nil
}

// Away returns the user's standing delegation, and false when none was
// ever set.
func (s *Service) Away(ctx context.Context, email string) (desk.Away, bool, error) {
	d, err := s.store.Doc(ctx, tandem.DocAway, strings.ToLower(email), 0)
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		return desk.Away{}, false, nil
	}
	if err != nil {
		return desk.Away{}, false, err
	}
	var a desk.Away
	if err := json.Unmarshal(d.Body, &a); err != nil {
		return a, false, fmt.Errorf("delegation of %s: %w", email, err)
	}
	return a, true, nil
}

// Decidable returns, for each pending step user may decide now, how: ""
// as its approver (or a holder of its role), or "as delegate of …".
func (s *Service) Decidable(ctx context.Context, user tandem.User, steps []tandem.Approval) (map[string]string, error) {
	away, err := s.aways(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := map[string]string{}
	for _, st := range steps {
		if st.Status != tandem.ApprovalPending {
			continue
		}
		if ok, as := desk.CanAct(st, user, away, now); ok {
			out[st.ID] = as
		}
	}
	return out, nil
}

// Inbox lists the pending approval steps user can act on (all pending
// steps when everyone is true, for admins and revops watching the queue).
func (s *Service) Inbox(ctx context.Context, user tandem.User, everyone bool) ([]ApprovalView, error) {
	pending, err := s.store.Approvals(ctx, tandem.ApprovalQuery{Status: []tandem.ApprovalStatus{tandem.ApprovalPending}})
	if err != nil {
		return nil, err
	}
	away, err := s.aways(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	out := []ApprovalView{}
	quotes := map[string]*tandem.Quote{}
	for _, p := range pending {
		ok, as := desk.CanAct(p, user, away, now)
		if !ok && !everyone {
			continue
		}
		key := p.QuoteID + "@" + strconv.Itoa(p.QuoteVersion)
		q, seen := quotes[key]
		if !seen {
			if d, err := s.store.Doc(ctx, tandem.DocQuote, p.QuoteID, p.QuoteVersion); err == nil {
				var body storedQuote
				if json.Unmarshal(d.Body, &body) == nil {
					q = &body.Quote
				}
			}
			quotes[key] = q
		}
		v := ApprovalView{Approval: p, As: as, Overdue: !p.DueAt.IsZero() && p.DueAt.Before(now)}
		if q != nil {
			v.ACV, v.Discount = q.ACV(), q.Discount()
		}
		out = append(out, v)
	}
	return out, nil
}

// QuoteApprovals lists every approval step of a quote, all versions.
func (s *Service) QuoteApprovals(ctx context.Context, quoteID string) ([]tandem.Approval, error) {
	return s.store.Approvals(ctx, tandem.ApprovalQuery{QuoteID: quoteID})
}

// approval returns one approval step, or ENOTFOUND.
func (s *Service) approval(ctx context.Context, id string) (tandem.Approval, error) {
	rows, err := s.store.Approvals(ctx, tandem.ApprovalQuery{ID: id})
	if err != nil {
		return tandem.Approval{}, err
	}
	if len(rows) == 0 {
		return tandem.Approval{}, tandem.Errorf(tandem.ENOTFOUND, "no approval %s", id)
	}
	return rows[0], nil
}

// slaOf returns a rule's SLA under the rule set a quote version was routed
// with.
func (s *Service) slaOf(ctx context.Context, quoteID string, version int, rule string) time.Duration {
	d, err := s.store.Doc(ctx, tandem.DocQuote, quoteID, version)
	if err != nil {
		return defaultSLA
	}
	var body storedQuote
	if json.Unmarshal(d.Body, &body) != nil || body.RulesVersion == 0 {
		return defaultSLA
	}
	rs, err := s.ruleSetAt(ctx, body.RulesVersion)
	if err != nil {
		return defaultSLA
	}
	if r, ok := rs.Rule(rule); ok {
		return r.SLA
	}
	return rs.SLA
}

// Decide records user's decision on an approval step. The step must still
// be pending on the quote's latest version: a decision on a superseded
// version, or a second decision racing the first, fails with ECONFLICT and
// changes nothing.
func (s *Service) Decide(ctx context.Context, a Actor, user tandem.User, id string, d desk.Decision, reason string) (*QuoteView, error) {
	step, err := s.approval(ctx, id)
	if err != nil {
		return nil, err
	}
	steps, err := s.store.Approvals(ctx, tandem.ApprovalQuery{QuoteID: step.QuoteID, QuoteVersion: step.QuoteVersion})
	if err != nil {
		return nil, err
	}
	away, err := s.aways(ctx)
	if err != nil {
		return nil, err
	}
	reason = strings.TrimSpace(reason)
	if len(reason) > 2000 {
		return nil, tandem.Errorf(tandem.EINVALID, "reason: at most 2000 characters")
	}
	now := s.now().UTC()
	ups, err := desk.Act(steps, id, user, away, d, reason, s.slaOf(ctx, step.QuoteID, step.QuoteVersion, step.Rule), now)
	if err != nil {
		return nil, err
	}
	st, err := s.deskState(ctx)
	if err != nil {
		return nil, err
	}
	audits := []tandem.AuditEntry{s.entry(a, "desk.approval."+string(d), id,
		map[string]any{"status": step.Status, "approver": step.Approver},
		map[string]any{"status": ups[0].Status, "reason": ups[0].Reason, "quote": step.QuoteID, "version": step.QuoteVersion, "rule": step.Rule})}
	after := slices.Clone(steps)
	for _, u := range ups {
		for i := range after {
			if after[i].ID == u.ID {
				after[i].Status = u.Status
			}
		}
	}
	decided := step
	decided.Status, decided.Reason, decided.ActedBy = ups[0].Status, ups[0].Reason, user.Email
	author := s.quoteAuthor(ctx, step.QuoteID, step.QuoteVersion)
	notes := s.notifications(st, "approval."+string(ups[0].Status), decided, []string{author})
	for _, u := range ups[1:] {
		if u.Status == tandem.ApprovalPending {
			for _, x := range steps {
				if x.ID == u.ID {
					x.Status = tandem.ApprovalPending
					notes = append(notes, s.notifications(st, "approval.requested", x, s.recipients(st, x.Approver))...)
				}
			}
		}
	}
	if desk.QuoteStatus(after) == "approved" && desk.QuoteStatus(steps) != "approved" {
		notes = append(notes, s.notifications(st, "quote.approved", decided, []string{author})...)
	}
	if err := s.store.UpdateApprovals(ctx, ups, audits, notes); err != nil {
		return nil, err
	}
	return s.Quote(ctx, step.QuoteID, step.QuoteVersion)
}

// quoteAuthor returns who saved a quote version.
func (s *Service) quoteAuthor(ctx context.Context, id string, version int) string {
	d, err := s.store.Doc(ctx, tandem.DocQuote, id, version)
	if err != nil {
		return ""
	}
	return d.Author
}

// Delegate hands one pending step to another user: its approver (or an
// admin) may.
func (s *Service) Delegate(ctx context.Context, a Actor, user tandem.User, id, to string) (tandem.Approval, error) {
	step, err := s.approval(ctx, id)
	if err != nil {
		return step, err
	}
	st, err := s.deskState(ctx)
	if err != nil {
		return step, err
	}
	away, err := s.aways(ctx)
	if err != nil {
		return step, err
	}
	up, err := desk.Reassign(step, user, to, st.people, away, s.now())
	if err != nil {
		return step, err
	}
	audit := s.entry(a, "desk.approval.delegate", id, map[string]string{"approver": step.Approver}, map[string]string{"approver": up.Approver})
	step.Approver, step.Via = up.Approver, up.Via
	notes := s.notifications(st, "approval.requested", step, s.recipients(st, step.Approver))
	if err := s.store.UpdateApprovals(ctx, []tandem.ApprovalUpdate{up}, []tandem.AuditEntry{audit}, notes); err != nil {
		return step, err
	}
	return s.approval(ctx, id)
}

// SetAway records that user is away and who acts for them from from to
// until (zero: until cleared); an empty to clears it.
func (s *Service) SetAway(ctx context.Context, a Actor, user tandem.User, to string, from, until time.Time, note string) (desk.Away, error) {
	email := strings.ToLower(user.Email)
	to = strings.ToLower(strings.TrimSpace(to))
	if from.IsZero() {
		from = s.now().UTC()
	}
	aw := desk.Away{User: email, To: to, From: from.UTC(), Note: strings.TrimSpace(note)}
	if !until.IsZero() {
		aw.Until = until.UTC()
		if !aw.Until.After(aw.From) {
			return aw, tandem.Errorf(tandem.EINVALID, "until: %s is not after from %s", aw.Until.Format(time.RFC3339), aw.From.Format(time.RFC3339))
		}
	}
	if to != "" {
		st, err := s.deskState(ctx)
		if err != nil {
			return aw, err
		}
		if !st.people.UserExists(to) {
			return aw, tandem.Errorf(tandem.EINVALID, "to: no enabled user %s", to)
		}
		if to == email {
			return aw, tandem.Errorf(tandem.EINVALID, "to: a delegate is someone else")
		}
	}
	version := 1
	var before any
	if d, err := s.store.Doc(ctx, tandem.DocAway, email, 0); err == nil {
		version = d.Version + 1
		before = d.Body
	} else if tandem.ErrorCode(err) != tandem.ENOTFOUND {
		return aw, err
	}
	d := tandem.Doc{Kind: tandem.DocAway, ID: email, Version: version, Body: tandem.AuditJSON(aw), Author: a.Name, CreatedAt: s.now().UTC()}
	audit := s.entry(a, "desk.away", email, before, aw)
	return aw, s.store.PutDoc(ctx, d, &audit)
}

// EscalateDue moves every approval pending past its SLA one level up (see
// desk.Escalate) and returns how many moved. Each step is updated on its
// own, so an approver acting at the same moment wins and the step is
// left alone.
func (s *Service) EscalateDue(ctx context.Context, a Actor) (int, error) {
	now := s.now().UTC()
	due, err := s.store.Approvals(ctx, tandem.ApprovalQuery{Status: []tandem.ApprovalStatus{tandem.ApprovalPending}, DueBefore: now})
	if err != nil || len(due) == 0 {
		return 0, err
	}
	st, err := s.deskState(ctx)
	if err != nil {
		return 0, err
	}
	byID := map[string]tandem.Approval{}
	for _, d := range due {
		byID[d.ID] = d
	}
	ups, _ := desk.Escalate(due, st.people, func(string) time.Duration { return 0 }, now)
	n := 0
	for _, u := range ups {
		step := byID[u.ID]
		u.DueAt = now.Add(s.slaOf(ctx, step.QuoteID, step.QuoteVersion, step.Rule))
		audit := s.entry(a, "desk.approval.escalate", u.ID, map[string]string{"approver": step.Approver}, map[string]string{"approver": u.Approver, "via": u.Via})
		step.Approver, step.Via = u.Approver, u.Via
		notes := s.notifications(st, "approval.escalated", step, s.recipients(st, step.Approver))
		err := s.store.UpdateApprovals(ctx, []tandem.ApprovalUpdate{u}, []tandem.AuditEntry{audit}, notes)
		switch {
		case err == nil:
			n++
		case tandem.ErrorCode(err) == tandem.ECONFLICT:
			// Decided (or superseded) since it was read: nothing to move.
		default:
			return n, err
		}
	}
	return n, nil
}

// ---- Notifications ----

// Notifier decides where desk events go: the channels for a set of
// recipients (every webhook, and e-mail to each recipient when SMTP is
// configured). Nil sends nothing.
type Notifier func(recipients []string) []string

// SetNotifier sets where desk events go; call before serving.
func (s *Service) SetNotifier(n Notifier) { s.notifier = n }

// SetBaseURL sets the address links in notifications point to.
func (s *Service) SetBaseURL(u string) { s.baseURL = strings.TrimRight(u, "/") }

// recipients expands an approver into e-mail addresses: the user, or
// everyone holding a role.
func (s *Service) recipients(st *deskState, approver string) []string {
	role, ok := strings.CutPrefix(approver, "role:")
	if !ok {
		return []string{approver}
	}
	var out []string
	for _, e := range st.people.Users() {
		if st.people.HasRole(e, tandem.Role(role)) {
			out = append(out, e)
		}
	}
	return out
}

// DeskEvent is the payload of a desk notification.
type DeskEvent struct {
	Event        string `json:"event"`
	QuoteID      string `json:"quote_id"`
	QuoteVersion int    `json:"quote_version"`
	DealID       string `json:"deal_id"`
	Rule         string `json:"rule"`
	Level        int    `json:"level"`
	Approver     string `json:"approver"`
	Status       string `json:"status"`
	Reason       string `json:"reason,omitempty"`
	URL          string `json:"url"`
}

// notifications builds the outbox entries of one event.
func (s *Service) notifications(st *deskState, event string, ap tandem.Approval, recipients []string) []tandem.Notification {
	if s.notifier == nil {
		return nil
	}
	var rcpt []string
	for _, r := range recipients {
		if r != "" && !strings.HasPrefix(r, "rep:") && !strings.HasPrefix(r, "cli:") {
			rcpt = append(rcpt, r)
		}
	}
	channels := s.notifier(rcpt)
	if len(channels) == 0 {
		return nil
	}
	payload := tandem.AuditJSON(DeskEvent{Event: event, QuoteID: ap.QuoteID, QuoteVersion: ap.QuoteVersion, DealID: ap.DealID,
		Rule: ap.Rule, Level: ap.Level, Approver: ap.Approver, Status: string(ap.Status), Reason: ap.Reason,
		URL: s.baseURL + "/desk/quotes/" + ap.QuoteID})
	now := s.now().UTC()
	out := make([]tandem.Notification, len(channels))
	for i, c := range channels {
		out[i] = tandem.Notification{ID: "nt_" + auth.NewID()[:16], Channel: c, Event: event, Payload: payload,
			Status: tandem.NotifyPending, NextAt: now, CreatedAt: now}
	}
	return out
}

// Notifications lists the outbox, newest first.
func (s *Service) Notifications(ctx context.Context, limit int) ([]tandem.Notification, error) {
	return s.store.Notifications(ctx, limit)
}

// DeriveOptions parses the options of an archetype derivation as the CLI,
// API and page take them: a minimum sample (0: the default) and an
// optional close-date window (ISO dates, inclusive).
func DeriveOptions(minN int, from, to string) (desk.DeriveOptions, error) {
	var opts desk.DeriveOptions
	if minN < 0 || minN > 100000 {
		return opts, tandem.Errorf(tandem.EINVALID, "min_n: %d is outside 0 to 100000", minN)
	}
	opts.MinN = minN
	for _, f := range []struct {
		name, v string
		t       *time.Time
	}{{"from", from, &opts.From}, {"to", to, &opts.To}} {
		if f.v == "" {
			continue
		}
		t, err := time.Parse("2006-01-02", f.v)
		if err != nil {
			return opts, tandem.Errorf(tandem.EINVALID, "%s: %q is not a date (YYYY-MM-DD)", f.name, f.v)
		}
		*f.t = t
	}
	if !opts.From.IsZero() && !opts.To.IsZero() && opts.To.Before(opts.From) {
		return opts, tandem.Errorf(tandem.EINVALID, "to %s is before from %s", to, from)
	}
	return opts, nil
}

// AcceptDerived saves derived proposals as accepted archetypes. Where an
// archetype exists, the new version keeps what people set (its name and
// playbook guardrails) and renews what the data says (figures and bands),
// so re-deriving never undoes an edit.
func (s *Service) AcceptDerived(ctx context.Context, a Actor, props []desk.Archetype, note string) ([]desk.Archetype, error) {
	stored, err := s.Archetypes(ctx)
	if err != nil {
		return nil, err
	}
	have := make(map[string]desk.Archetype, len(stored))
	for _, st := range stored {
		have[st.ID] = st
	}
	out := make([]desk.Archetype, 0, len(props))
	for _, p := range props {
		p.Status, p.Version = desk.StatusAccepted, 0
		if old, ok := have[p.ID]; ok {
			p.Version, p.Name = old.Version, old.Name
			bands := p.Playbook.Bands
			p.Playbook = old.Playbook
			p.Playbook.Bands = bands
		}
		saved, err := s.SaveArchetype(ctx, a, p, note)
		if err != nil {
			return out, fmt.Errorf("accept archetype %s: %w", p.ID, err)
		}
		out = append(out, saved)
	}
	return out, nil
}
