package service

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/intel"
)

// latestMentions is how many mentions a competitor's page lists.
const latestMentions = 25

// CompetitorEntry is a catalog entry with its version, the version an
// edit must name to be saved.
type CompetitorEntry struct {
	tandem.Competitor
	Version   int       `json:"version"`
	UpdatedBy string    `json:"updated_by,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// competitorEntry decodes a stored catalog entry.
func competitorEntry(d tandem.Doc) (CompetitorEntry, error) {
	var c tandem.Competitor
	if err := json.Unmarshal(d.Body, &c); err != nil {
		return CompetitorEntry{}, fmt.Errorf("competitor %q version %d: %w", d.ID, d.Version, err)
	}
	return CompetitorEntry{Competitor: c, Version: d.Version, UpdatedBy: d.Author, UpdatedAt: d.CreatedAt}, nil
}

// competitorEntries returns the catalog with versions, in id order.
func (s *Service) competitorEntries(ctx context.Context) ([]CompetitorEntry, error) {
	docs, err := s.store.Docs(ctx, tandem.DocCompetitor, "")
	if err != nil {
		return nil, err
	}
	out := make([]CompetitorEntry, len(docs))
	for i, d := range docs {
		if out[i], err = competitorEntry(d); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Competitor returns a catalog entry, or ENOTFOUND.
func (s *Service) Competitor(ctx context.Context, id string) (CompetitorEntry, error) {
	d, err := s.store.Doc(ctx, tandem.DocCompetitor, id, 0)
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		return CompetitorEntry{}, tandem.Errorf(tandem.ENOTFOUND, "no competitor %q in the catalog", id)
	}
	if err != nil {
		return CompetitorEntry{}, err
	}
	return competitorEntry(d)
}

// SaveCompetitor adds an entry to the catalog (expect 0; its id is the
// slug of its id or name) or stores a new version of one (expect is the
// version the edit started from: a save over someone else's newer edit
// fails with ECONFLICT). Names and aliases must be unique across the
// catalog.
func (s *Service) SaveCompetitor(ctx context.Context, a Actor, c tandem.Competitor, expect int) (CompetitorEntry, error) {
	c = intel.NormalizeCompetitor(c)
	if expect < 0 {
		return CompetitorEntry{}, tandem.Errorf(tandem.EINVALID, "version: %d is not a version", expect)
	}
	if expect == 0 {
		c.ID = slug(c.ID)
		if c.ID == "" {
			c.ID = slug(c.Name)
		}
	}
	entries, err := s.competitorEntries(ctx)
	if err != nil {
		return CompetitorEntry{}, err
	}
	var before *CompetitorEntry
	catalog := make([]tandem.Competitor, len(entries))
	for i, e := range entries {
		catalog[i] = e.Competitor
		if e.ID == c.ID {
			before = &entries[i]
		}
	}
	switch {
	case expect == 0 && before != nil:
		return *before, tandem.Errorf(tandem.ECONFLICT, "competitor %s already exists (version %d): edit it instead", c.ID, before.Version)
	case expect > 0 && before == nil:
		return CompetitorEntry{}, tandem.Errorf(tandem.ENOTFOUND, "no competitor %q in the catalog", c.ID)
	case expect > 0 && before.Version != expect:
		return *before, tandem.Errorf(tandem.ECONFLICT, "competitor %s is at version %d; the edit started from version %d: reload and apply your change again", c.ID, before.Version, expect)
	}
	if err := intel.ValidateCompetitor(c, catalog); err != nil {
		return CompetitorEntry{}, err
	}
	var old any
	if before != nil {
		old = before.Competitor
	}
	d := s.newDoc(a, tandem.DocCompetitor, c.ID, "", expect+1, c, "")
	audit := s.entry(a, "competitor.save", c.ID, old, c)
	if err := s.store.PutDoc(ctx, d, &audit); err != nil {
		return CompetitorEntry{}, fmt.Errorf("save competitor %s: %w", c.ID, err)
	}
	return CompetitorEntry{Competitor: c, Version: d.Version, UpdatedBy: d.Author, UpdatedAt: d.CreatedAt}, nil
}

// CompetitorImport is what importing competitors from deals proposed and,
// when applied, created.
type CompetitorImport struct {
	// Proposals are the distinct competitor names of deals, grouped by
	// normalized name, most deals first; Existing is set on those the
	// catalog already matches.
	Proposals []intel.Proposal  `json:"proposals"`
	Created   []CompetitorEntry `json:"created"`
	// Skipped says why a new name was not added (its id is taken).
	Skipped []string `json:"skipped"`
	Applied bool     `json:"applied"`
}

// ImportCompetitorsFromDeals proposes catalog entries from the distinct
// values of the deals' competitors column that no entry matches (by name
// or alias, tandem.NormalizeName), and with apply adds them all in one
// transaction.
func (s *Service) ImportCompetitorsFromDeals(ctx context.Context, a Actor, apply bool) (CompetitorImport, error) {
	res := CompetitorImport{Created: []CompetitorEntry{}, Skipped: []string{}, Applied: apply}
	deals, err := s.intelDeals(ctx)
	if err != nil {
		return res, err
	}
	names := map[string]int{}
	for _, d := range deals {
		seen := map[string]bool{}
		for _, n := range d.Competitors {
			if n = strings.TrimSpace(n); n != "" && !seen[n] {
				seen[n] = true
				names[n]++
			}
		}
	}
	catalog, err := s.Competitors(ctx)
	if err != nil {
		return res, err
	}
	res.Proposals = intel.Propose(catalog, names)
	if !apply {
		return res, nil
	}
	var w tandem.DocWrite
	for _, p := range res.Proposals {
		if p.Existing != "" {
			continue
		}
		c := intel.NormalizeCompetitor(tandem.Competitor{ID: slug(p.Name), Name: p.Name, Notes: fmt.Sprintf("Imported from the competitors column of %d deal(s).", p.Deals)})
		if slices.ContainsFunc(catalog, func(o tandem.Competitor) bool { return o.ID == c.ID }) {
			res.Skipped = append(res.Skipped, fmt.Sprintf("%q: the id %s is taken by another entry; add it by hand with another name", p.Name, c.ID))
			continue
		}
		if err := intel.ValidateCompetitor(c, catalog); err != nil {
			res.Skipped = append(res.Skipped, fmt.Sprintf("%q: %s", p.Name, tandem.ErrorMessage(err)))
			continue
		}
		catalog = append(catalog, c)
		d := s.newDoc(a, tandem.DocCompetitor, c.ID, "", 1, c, "imported from deals")
		w.Docs = append(w.Docs, d)
		w.Audit = append(w.Audit, s.entry(a, "competitor.save", c.ID, nil, c))
		res.Created = append(res.Created, CompetitorEntry{Competitor: c, Version: 1, UpdatedBy: d.Author, UpdatedAt: d.CreatedAt})
	}
	if len(w.Docs) == 0 {
		return res, nil
	}
	if err := s.store.WriteDocs(ctx, w); err != nil {
		return res, fmt.Errorf("import competitors from deals: %w", err)
	}
	return res, nil
}

// dealRow is a deal with the columns the win/loss reports and competitive
// intelligence read, so both read deals one way.
type dealRow struct {
	ID, Name, Outcome, Rep, Account string
	Amount                          float64
	Created, Closed                 time.Time
	// Products, Competitors and LossReasons are the list columns as
	// typed in the CRM.
	Products, Competitors, LossReasons []string
}

// dealRows reads every deal.
func (s *Service) dealRows(ctx context.Context) ([]dealRow, error) {
	de, err := s.cat.Entity("deals")
	if err != nil {
		return nil, err
	}
	var out []dealRow
	err = s.store.Scan(ctx, "deals", func(r tandem.Record) error {
		d := dealRow{ID: r.ID(), Name: text(de, r, "name"), Outcome: text(de, r, "outcome"), Rep: text(de, r, "rep_id"), Account: text(de, r, "account_id")}
		if n := number(de, r, "amount"); n != nil {
			d.Amount = *n
		}
		d.Created, _ = Value(de, r, "created").(time.Time)
		d.Closed, _ = Value(de, r, "closed").(time.Time)
		d.Products, _ = Value(de, r, "products").([]string)
		d.Competitors, _ = Value(de, r, "competitors").([]string)
		d.LossReasons, _ = Value(de, r, "loss_reasons").([]string)
		out = append(out, d)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read deals: %w", err)
	}
	return out, nil
}

// intelDeals reads every deal with what competitive intelligence looks
// at: outcome, dates, rep and the free-text competitor names.
func (s *Service) intelDeals(ctx context.Context) ([]intel.Deal, error) {
	rows, err := s.dealRows(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]intel.Deal, len(rows))
	for i, r := range rows {
		out[i] = intel.Deal{ID: r.ID, Name: r.Name, Outcome: r.Outcome, Rep: r.Rep, Created: r.Created, Closed: r.Closed, Competitors: r.Competitors}
	}
	return out, nil
}

// intelData is what every competitive figure is drawn from.
type intelData struct {
	entries []CompetitorEntry
	catalog []tandem.Competitor
	deals   []intel.Deal
	items   []tandem.Feedback
}

// readIntel reads the catalog, the deals and the feedback items.
func (s *Service) readIntel(ctx context.Context) (*intelData, error) {
	entries, err := s.competitorEntries(ctx)
	if err != nil {
		return nil, err
	}
	d := &intelData{entries: entries, catalog: make([]tandem.Competitor, len(entries))}
	for i, e := range entries {
		d.catalog[i] = e.Competitor
	}
	if d.deals, err = s.intelDeals(ctx); err != nil {
		return nil, err
	}
	if d.items, err = s.FeedbackItems(ctx); err != nil {
		return nil, fmt.Errorf("read feedback: %w", err)
	}
	return d, nil
}

// CompetitorSummary is one row of the catalog page: the entry, its win
// rate, its mentions and whether it has a battlecard.
type CompetitorSummary struct {
	CompetitorEntry
	WinRate           intel.Rate          `json:"win_rate"`
	Mentions          intel.MentionCounts `json:"mentions"`
	BattlecardVersion int                 `json:"battlecard_version"` // 0: none yet
}

// CompetitorCatalog is the catalog with its figures.
type CompetitorCatalog struct {
	Competitors []CompetitorSummary `json:"competitors"`
	Overall     intel.Rate          `json:"overall"` // every closed deal
	Options     intel.Options       `json:"options"`
	Definition  string              `json:"definition"`
}

// CompetitorCatalogView lists the catalog with each competitor's win rate
// (closed deals where it competed) and mentions, in id order.
func (s *Service) CompetitorCatalogView(ctx context.Context, o intel.Options) (*CompetitorCatalog, error) {
	o = o.WithDefaults()
	d, err := s.readIntel(ctx)
	if err != nil {
		return nil, err
	}
	rates := intel.WinRates(d.catalog, d.deals, o)
	counts := intel.CountMentions(intel.Mentions(d.catalog, d.deals, d.items))
	cards, err := s.store.Docs(ctx, tandem.DocBattlecard, "")
	if err != nil {
		return nil, err
	}
	cardVersion := map[string]int{}
	for _, c := range cards {
		cardVersion[c.ID] = c.Version
	}
	out := &CompetitorCatalog{Competitors: []CompetitorSummary{}, Overall: intel.Overall(d.deals, o), Options: o, Definition: intel.WinRateDefinition}
	for _, e := range d.entries {
		r := rates[e.ID]
		out.Competitors = append(out.Competitors, CompetitorSummary{CompetitorEntry: e, WinRate: r.Against, Mentions: counts[e.ID], BattlecardVersion: cardVersion[e.ID]})
	}
	return out, nil
}

// CompetitorDetail is a competitor's page: the entry, win rates against it
// with the quarterly trend and the comparison with deals without it,
// mentions by source and the latest of them, and the battlecard.
type CompetitorDetail struct {
	CompetitorEntry
	Rates          intel.CompetitorRates `json:"win_rate"`
	DifferenceText string                `json:"difference_text"`
	Definition     string                `json:"definition"`
	Options        intel.Options         `json:"options"`
	Mentions       intel.MentionCounts   `json:"mentions"`
	Latest         []intel.Mention       `json:"latest_mentions"`
	// Battlecard is the latest version, nil until one is written.
	Battlecard *BattlecardVersion `json:"battlecard,omitempty"`
}

// CompetitorView returns a competitor's figures, or ENOTFOUND.
func (s *Service) CompetitorView(ctx context.Context, id string, o intel.Options) (*CompetitorDetail, error) {
	o = o.WithDefaults()
	d, err := s.readIntel(ctx)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(d.entries, func(e CompetitorEntry) bool { return e.ID == id })
	if i < 0 {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "no competitor %q in the catalog", id)
	}
	e := d.entries[i]
	ms := intel.Mentions(d.catalog, d.deals, d.items)
	out := &CompetitorDetail{CompetitorEntry: e, Rates: intel.WinRates(d.catalog, d.deals, o)[id], Definition: intel.WinRateDefinition, Options: o,
		Mentions: intel.CountMentions(ms)[id], Latest: intel.Latest(ms, id, latestMentions)}
	reps, err := s.entityNames(ctx, "reps")
	if err != nil {
		return nil, err
	}
	for i := range out.Latest {
		out.Latest[i].RepName = cmp.Or(reps[out.Latest[i].Rep], out.Latest[i].Rep)
	}
	out.DifferenceText = out.Rates.Difference.Text(e.Name)
	bc, err := s.Battlecard(ctx, id, 0)
	switch {
	case err == nil:
		out.Battlecard = &bc
	case tandem.ErrorCode(err) != tandem.ENOTFOUND:
		return nil, err
	}
	return out, nil
}

// BattlecardVersion is one version of a battlecard with who saved it and
// what changed from the version before (for version 1, from an empty
// card).
type BattlecardVersion struct {
	Battlecard tandem.Battlecard `json:"battlecard"`
	Version    int               `json:"version"`
	Author     string            `json:"author"`
	Note       string            `json:"note,omitempty"`
	At         time.Time         `json:"at"`
	Changes    []intel.Change    `json:"changes"`
}

// battlecardOf decodes a stored battlecard version.
func battlecardOf(d tandem.Doc) (BattlecardVersion, error) {
	var b tandem.Battlecard
	if err := json.Unmarshal(d.Body, &b); err != nil {
		return BattlecardVersion{}, fmt.Errorf("battlecard %q version %d: %w", d.ID, d.Version, err)
	}
	return BattlecardVersion{Battlecard: b, Version: d.Version, Author: d.Author, Note: d.Note, At: d.CreatedAt, Changes: []intel.Change{}}, nil
}

// Battlecard returns version v of a competitor's battlecard (0: the
// latest), with its changes from the version before, or ENOTFOUND.
func (s *Service) Battlecard(ctx context.Context, id string, v int) (BattlecardVersion, error) {
	if v < 0 {
		return BattlecardVersion{}, tandem.Errorf(tandem.EINVALID, "version: %d is not a version", v)
	}
	d, err := s.store.Doc(ctx, tandem.DocBattlecard, id, v)
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		if v > 0 {
			return BattlecardVersion{}, tandem.Errorf(tandem.ENOTFOUND, "the battlecard of %q has no version %d", id, v)
		}
		return BattlecardVersion{}, tandem.Errorf(tandem.ENOTFOUND, "no battlecard for %q yet", id)
	}
	if err != nil {
		return BattlecardVersion{}, err
	}
	bv, err := battlecardOf(d)
	if err != nil {
		return bv, err
	}
	var prev tandem.Battlecard
	if bv.Version > 1 {
		p, err := s.store.Doc(ctx, tandem.DocBattlecard, id, bv.Version-1)
		if err != nil {
			return bv, err
		}
		pv, err := battlecardOf(p)
		if err != nil {
			return bv, err
		}
		prev = pv.Battlecard
	}
	bv.Changes = intel.DiffBattlecards(prev, bv.Battlecard)
	return bv, nil
}

// BattlecardHistory returns every version of a battlecard, newest first,
// each with its changes from the one before; ENOTFOUND when there is none.
func (s *Service) BattlecardHistory(ctx context.Context, id string) ([]BattlecardVersion, error) {
	docs, err := s.store.DocVersions(ctx, tandem.DocBattlecard, id)
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "no battlecard for %q yet", id)
	}
	if err != nil {
		return nil, err
	}
	out := make([]BattlecardVersion, len(docs))
	var prev tandem.Battlecard
	for i, d := range docs {
		if out[i], err = battlecardOf(d); err != nil {
			return nil, err
		}
		out[i].Changes = intel.DiffBattlecards(prev, out[i].Battlecard)
		prev = out[i].Battlecard
	}
	slices.Reverse(out)
	return out, nil
}

// SaveBattlecard stores a competitor's battlecard as a new version. expect
// is the version the edit started from (0 for the first), so two people
// editing at once cannot overwrite each other: the second save fails with
// ECONFLICT. A save that changes nothing writes nothing and returns the
// latest version.
func (s *Service) SaveBattlecard(ctx context.Context, a Actor, id string, b tandem.Battlecard, expect int, note string) (BattlecardVersion, error) {
	if expect < 0 {
		return BattlecardVersion{}, tandem.Errorf(tandem.EINVALID, "version: %d is not a version (0 writes the first)", expect)
	}
	if _, err := s.Competitor(ctx, id); err != nil {
		return BattlecardVersion{}, err
	}
	b = intel.NormalizeBattlecard(b)
	if b.Competitor != "" && b.Competitor != id {
		return BattlecardVersion{}, tandem.Errorf(tandem.EINVALID, "battlecard: competitor %q does not match %q", b.Competitor, id)
	}
	b.Competitor = id
	if err := intel.ValidateBattlecard(b); err != nil {
		return BattlecardVersion{}, err
	}
	note = strings.TrimSpace(note)
	if len(note) > 1000 {
		return BattlecardVersion{}, tandem.Errorf(tandem.EINVALID, "note: at most 1000 characters")
	}
	cur, err := s.Battlecard(ctx, id, 0)
	switch {
	case tandem.ErrorCode(err) == tandem.ENOTFOUND:
		cur = BattlecardVersion{}
	case err != nil:
		return BattlecardVersion{}, err
	}
	if expect != cur.Version {
		return cur, tandem.Errorf(tandem.ECONFLICT, "the battlecard of %s is at version %d (saved by %s); your edit started from version %d: reload and apply your change again",
			id, cur.Version, cur.Author, expect)
	}
	changes := intel.DiffBattlecards(cur.Battlecard, b)
	if cur.Version > 0 && len(changes) == 0 {
		return cur, nil
	}
	var before any
	if cur.Version > 0 {
		before = cur.Battlecard
	}
	d := s.newDoc(a, tandem.DocBattlecard, id, "", cur.Version+1, b, note)
	audit := s.entry(a, "battlecard.save", id, before, b)
	if err := s.store.PutDoc(ctx, d, &audit); err != nil {
		return BattlecardVersion{}, fmt.Errorf("save battlecard %s: %w", id, err)
	}
	return BattlecardVersion{Battlecard: b, Version: d.Version, Author: d.Author, Note: d.Note, At: d.CreatedAt, Changes: changes}, nil
}

// DealBattlecard is a competitor on a deal with its battlecard.
type DealBattlecard struct {
	Competitor tandem.Competitor `json:"competitor"`
	// Via says how the competitor is on the deal: "deal" (its
	// competitors column) or "feedback:<item id>" (an item linked to the
	// deal mentions it).
	Via []string `json:"via"`
	// Battlecard is the latest version, nil while none is written.
	Battlecard *BattlecardVersion `json:"battlecard,omitempty"`
}

// DealBattlecards returns the competitors on a deal, in catalog order,
// each with its battlecard; ENOTFOUND when there is no such deal.
func (s *Service) DealBattlecards(ctx context.Context, dealID string) ([]DealBattlecard, error) {
	de, r, err := s.Get(ctx, "deals", dealID)
	if err != nil {
		return nil, err
	}
	catalog, err := s.Competitors(ctx)
	if err != nil {
		return nil, err
	}
	out := []DealBattlecard{}
	if len(catalog) == 0 {
		return out, nil
	}
	via := map[string][]string{}
	names, _ := Value(de, r, "competitors").([]string)
	for _, id := range intel.NewMatcher(catalog).MatchAll(names) {
		via[id] = append(via[id], intel.SourceDeal)
	}
	items, err := s.FeedbackItems(ctx)
	if err != nil {
		return nil, err
	}
	for _, f := range items {
		if f.DealID != dealID {
			continue
		}
		for _, id := range intel.FeedbackCompetitors(f, catalog) {
			via[id] = append(via[id], "feedback:"+f.ID)
		}
	}
	for _, c := range catalog {
		if len(via[c.ID]) == 0 {
			continue
		}
		row := DealBattlecard{Competitor: c, Via: via[c.ID]}
		bc, err := s.Battlecard(ctx, c.ID, 0)
		switch {
		case err == nil:
			row.Battlecard = &bc
		case tandem.ErrorCode(err) != tandem.ENOTFOUND:
			return nil, err
		}
		out = append(out, row)
	}
	return out, nil
}

// IntelQuota counts each rep's intel items in the calendar month of month
// (zero: this month) against the quota of the feedback settings: the
// leaderboard and every rep below quota, reps with no item included.
func (s *Service) IntelQuota(ctx context.Context, month time.Time) (intel.QuotaReport, error) {
	if month.IsZero() {
		month = s.now()
	}
	set, _, err := s.FeedbackSettings(ctx)
	if err != nil {
		return intel.QuotaReport{}, err
	}
	re, err := s.cat.Entity("reps")
	if err != nil {
		return intel.QuotaReport{}, err
	}
	var reps []intel.Rep
	if err := s.store.Scan(ctx, "reps", func(r tandem.Record) error {
		reps = append(reps, intel.Rep{ID: r.ID(), Name: text(re, r, "name")})
		return nil
	}); err != nil {
		return intel.QuotaReport{}, fmt.Errorf("read reps: %w", err)
	}
	items, err := s.FeedbackItems(ctx)
	if err != nil {
		return intel.QuotaReport{}, err
	}
	catalog, err := s.Competitors(ctx)
	if err != nil {
		return intel.QuotaReport{}, err
	}
	return intel.Quota(month, set.IntelQuota, reps, items, catalog), nil
}
