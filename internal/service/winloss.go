package service

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/intel"
	"github.com/tandemhq/tandem/internal/winloss"
)

// taxonomyID is the one taxonomy document.
const taxonomyID = "active"

// TaxonomyView is the reason taxonomy with its version (0: the default,
// never saved) and who saved it.
type TaxonomyView struct {
	Taxonomy  tandem.Taxonomy `json:"taxonomy"`
	Version   int             `json:"version"`
	Default   bool            `json:"default"`
	UpdatedBy string          `json:"updated_by,omitempty"`
	UpdatedAt time.Time       `json:"updated_at,omitzero"`
	Note      string          `json:"note,omitempty"`
}

// Taxonomy returns the active reason taxonomy: the saved one, or the
// default (built from the competitor catalog) when none was saved.
func (s *Service) Taxonomy(ctx context.Context) (TaxonomyView, error) {
	d, err := s.store.Doc(ctx, tandem.DocTaxonomy, taxonomyID, 0)
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		comps, err := s.Competitors(ctx)
		if err != nil {
			return TaxonomyView{}, err
		}
		return TaxonomyView{Taxonomy: winloss.DefaultTaxonomy(comps), Default: true}, nil
	}
	if err != nil {
		return TaxonomyView{}, err
	}
	v := TaxonomyView{Version: d.Version, UpdatedBy: d.Author, UpdatedAt: d.CreatedAt, Note: d.Note}
	if err := json.Unmarshal(d.Body, &v.Taxonomy); err != nil {
		return v, fmt.Errorf("taxonomy version %d: %w", d.Version, err)
	}
	return v, nil
}

// taxonomyKnown is what a taxonomy may refer to: the feature and
// competitor catalogs.
func (s *Service) taxonomyKnown(ctx context.Context) (winloss.Known, error) {
	k := winloss.Known{Features: map[string]bool{}, Competitors: map[string]bool{}}
	if err := s.store.Scan(ctx, "features", func(r tandem.Record) error {
		k.Features[r.ID()] = true
		return nil
	}); err != nil {
		return k, fmt.Errorf("read features: %w", err)
	}
	comps, err := s.Competitors(ctx)
	if err != nil {
		return k, err
	}
	for _, c := range comps {
		k.Competitors[c.ID] = true
	}
	return k, nil
}

// PutTaxonomy saves a taxonomy as the next version after expect (the
// version the editor started from; 0 when editing the default; a
// negative expect skips the check). It is refused whole, with every
// problem, when invalid.
func (s *Service) PutTaxonomy(ctx context.Context, a Actor, t tandem.Taxonomy, expect int, note string) (TaxonomyView, error) {
	k, err := s.taxonomyKnown(ctx)
	if err != nil {
		return TaxonomyView{}, err
	}
	if err := winloss.Validate(t, k); err != nil {
		return TaxonomyView{}, err
	}
	old, err := s.Taxonomy(ctx)
	if err != nil {
		return TaxonomyView{}, err
	}
	if expect >= 0 && expect != old.Version {
		return old, tandem.Errorf(tandem.ECONFLICT, "the taxonomy is at version %d; you edited version %d: reload and apply your change again", old.Version, expect)
	}
	d := s.newDoc(a, tandem.DocTaxonomy, taxonomyID, "", old.Version+1, t, note)
	audit := s.entry(a, "winloss.taxonomy", taxonomyID, old.Taxonomy, t)
	if err := s.store.PutDoc(ctx, d, &audit); err != nil {
		return TaxonomyView{}, err
	}
	return TaxonomyView{Taxonomy: t, Version: d.Version, UpdatedBy: a.Name, UpdatedAt: d.CreatedAt, Note: note}, nil
}

// ApplyTaxonomy reads a taxonomy file (YAML or JSON) and saves it as
// PutTaxonomy does.
func (s *Service) ApplyTaxonomy(ctx context.Context, a Actor, name string, data []byte, expect int, note string) (TaxonomyView, error) {
	var t tandem.Taxonomy
	if err := winloss.Decode(name, data, &t); err != nil {
		return TaxonomyView{}, err
	}
	return s.PutTaxonomy(ctx, a, t, expect, note)
}

// mapper returns the active taxonomy's mapper.
func (s *Service) mapper(ctx context.Context) (*winloss.Mapper, error) {
	t, err := s.Taxonomy(ctx)
	if err != nil {
		return nil, err
	}
	return winloss.NewMapper(t.Taxonomy), nil
}

// ---- Reasons of a deal ----

// ReasonEntry is one reason of a deal with where it was read: "crm" (the
// deal's loss_reasons, through the value map; Text is the CRM's words),
// "recorded" (added in Tandem) or "interview:<id>".
type ReasonEntry struct {
	tandem.DealReason
	Label  string `json:"label"`
	Origin string `json:"origin"`
	Text   string `json:"text,omitempty"`
	Mapped bool   `json:"mapped"`
}

// DealReasonsView is every reason known for a deal.
type DealReasonsView struct {
	DealID  string        `json:"deal_id"`
	Outcome string        `json:"outcome"`
	Version int           `json:"version"` // of the recorded reasons (0: none recorded)
	Reasons []ReasonEntry `json:"reasons"`
	// Unmapped lists CRM texts the value map does not read.
	Unmapped []string `json:"unmapped"`
}

// dealFacts reads the few columns of one deal the win/loss code needs.
func (s *Service) dealFacts(ctx context.Context, id string) (outcome string, crm []string, err error) {
	de, r, err := s.Get(ctx, "deals", id)
	if err != nil {
		return "", nil, err
	}
	crm, _ = Value(de, r, "loss_reasons").([]string)
	return text(de, r, "outcome"), crm, nil
}

// DealReasons returns a deal's reasons from the CRM, from Tandem and from
// interviews, each with its source.
func (s *Service) DealReasons(ctx context.Context, dealID string) (DealReasonsView, error) {
	outcome, crm, err := s.dealFacts(ctx, dealID)
	if err != nil {
		return DealReasonsView{}, err
	}
	m, err := s.mapper(ctx)
	if err != nil {
		return DealReasonsView{}, err
	}
	v := DealReasonsView{DealID: dealID, Outcome: outcome, Reasons: []ReasonEntry{}, Unmapped: []string{}}
	for _, t := range crm {
		if strings.TrimSpace(t) == "" {
			continue // as the reports read the column
		}
		code, ok := m.Map(t)
		v.Reasons = append(v.Reasons, ReasonEntry{DealReason: tandem.DealReason{Code: code, Source: tandem.ReasonByRep, Confidence: tandem.ConfidenceMedium},
			Label: m.Label(code), Origin: "crm", Text: t, Mapped: ok})
		if !ok {
			v.Unmapped = append(v.Unmapped, t)
		}
	}
	wl, version, err := docOf[tandem.WinLoss](ctx, s, tandem.DocWinLoss, dealID, 0)
	if err != nil && tandem.ErrorCode(err) != tandem.ENOTFOUND {
		return v, err
	}
	v.Version = version
	for _, r := range wl.Reasons {
		v.Reasons = append(v.Reasons, ReasonEntry{DealReason: r, Label: m.Label(r.Code), Origin: "recorded", Mapped: true})
	}
	ivs, err := s.Interviews(ctx, dealID)
	if err != nil {
		return v, err
	}
	for _, iv := range ivs {
		for _, r := range iv.Reasons {
			v.Reasons = append(v.Reasons, ReasonEntry{DealReason: r, Label: m.Label(r.Code), Origin: "interview:" + iv.ID, Mapped: true})
		}
	}
	return v, nil
}

// Limits on what one request may record, so a bad client cannot bloat
// every report that reads reasons and interviews.
const (
	maxReasons = 50   // reasons in one request or interview
	maxAnswers = 100  // answers of one interview
	maxNote    = 2000 // a reason's note
	maxAnswer  = 5000 // a question or an answer, in characters
)

// checkReasons checks recorded reasons against the taxonomy, listing
// every problem; source, when set, is the only source allowed.
func checkReasons(m *winloss.Mapper, rs []tandem.DealReason, source string) []string {
	var p []string
	if len(rs) > maxReasons {
		p = append(p, fmt.Sprintf("reasons: %d given, at most %d", len(rs), maxReasons))
	}
	for i, r := range rs {
		at := fmt.Sprintf("reasons[%d]", i)
		if !m.Known(r.Code) {
			p = append(p, fmt.Sprintf("%s: code %q is not in the taxonomy", at, r.Code))
		}
		switch {
		case source != "" && r.Source != source:
			p = append(p, fmt.Sprintf("%s: source %q, but this is a %s", at, r.Source, source))
		case r.Source != tandem.ReasonByRep && r.Source != tandem.ReasonByInterview && r.Source != tandem.ReasonBySurvey:
			p = append(p, fmt.Sprintf("%s: source %q is not rep, interview or survey", at, r.Source))
		}
		if r.Confidence != tandem.ConfidenceLow && r.Confidence != tandem.ConfidenceMedium && r.Confidence != tandem.ConfidenceHigh {
			p = append(p, fmt.Sprintf("%s: confidence %q is not low, medium or high", at, r.Confidence))
		}
		if utf8.RuneCountInString(r.Note) > maxNote {
			p = append(p, fmt.Sprintf("%s: note is longer than %d characters", at, maxNote))
		}
	}
	return p
}

// problems is an EINVALID error listing every problem.
func problems(what string, p []string) error {
	if len(p) == 1 {
		return tandem.Errorf(tandem.EINVALID, "%s: %s", what, p[0])
	}
	return tandem.Errorf(tandem.EINVALID, "%s (%d problems):\n%s", what, len(p), strings.Join(p, "\n"))
}

// AddDealReasons appends reasons to what was recorded for a won or lost
// deal (the reports never count open deals, so a reason recorded on one
// would silently count nowhere). Codes must be in the taxonomy; each
// reason is stamped with its author and the time. Appends commute, so a
// concurrent append is retried.
func (s *Service) AddDealReasons(ctx context.Context, a Actor, dealID string, rs []tandem.DealReason) (DealReasonsView, error) {
	if len(rs) == 0 {
		return DealReasonsView{}, tandem.Errorf(tandem.EINVALID, "reasons: send at least one reason")
	}
	outcome, _, err := s.dealFacts(ctx, dealID)
	if err != nil {
		return DealReasonsView{}, err
	}
	if outcome != "won" && outcome != "lost" {
		return DealReasonsView{}, tandem.Errorf(tandem.EINVALID, "deal %s is not closed (outcome %q): reasons are recorded for won and lost deals", dealID, outcome)
	}
	m, err := s.mapper(ctx)
	if err != nil {
		return DealReasonsView{}, err
	}
	if p := checkReasons(m, rs, ""); len(p) > 0 {
		return DealReasonsView{}, problems("reasons of deal "+dealID, p)
	}
	now := s.now().UTC()
	rs = slices.Clone(rs)
	for i := range rs {
		rs[i].By, rs[i].At = a.Name, now
	}
	for attempt := 0; ; attempt++ {
		wl, version, err := docOf[tandem.WinLoss](ctx, s, tandem.DocWinLoss, dealID, 0)
		if err != nil && tandem.ErrorCode(err) != tandem.ENOTFOUND {
			return DealReasonsView{}, err
		}
		before := wl
		wl.DealID = dealID
		wl.Reasons = append(slices.Clone(wl.Reasons), rs...)
		d := s.newDoc(a, tandem.DocWinLoss, dealID, dealID, version+1, wl, "")
		audit := s.entry(a, "winloss.reasons", dealID, before.Reasons, rs)
		err = s.store.PutDoc(ctx, d, &audit)
		if tandem.ErrorCode(err) == tandem.ECONFLICT && attempt < 3 {
			continue
		}
		if err != nil {
			return DealReasonsView{}, err
		}
		break
	}
	return s.DealReasons(ctx, dealID)
}

// ---- Interviews ----

// InterviewView is an interview with its version.
type InterviewView struct {
	tandem.Interview
	Version   int       `json:"version"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
}

func interviewOf(d tandem.Doc) (InterviewView, error) {
	v := InterviewView{Version: d.Version, CreatedBy: d.Author, CreatedAt: d.CreatedAt}
	if err := json.Unmarshal(d.Body, &v.Interview); err != nil {
		return v, fmt.Errorf("interview %s version %d: %w", d.ID, d.Version, err)
	}
	return v, nil
}

// randomID is prefix and eight random hex digits.
func randomID(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return prefix + hex.EncodeToString(b)
}

// CreateInterview records a buyer interview or survey response about a
// closed deal. Its reasons take the interview's kind as their source
// (medium confidence unless said). ID is "iv-<random>" unless one is
// given (a slug: lower-case letters, digits and hyphens).
func (s *Service) CreateInterview(ctx context.Context, a Actor, iv tandem.Interview) (InterviewView, error) {
	var p []string
	if iv.Kind == "" {
		iv.Kind = tandem.ReasonByInterview
	}
	if iv.Kind != tandem.ReasonByInterview && iv.Kind != tandem.ReasonBySurvey {
		p = append(p, fmt.Sprintf("kind: %q is not interview or survey", iv.Kind))
	}
	if iv.ID == "" {
		iv.ID = randomID("iv-")
	} else if slug(iv.ID) != iv.ID || len(iv.ID) > 64 {
		p = append(p, fmt.Sprintf("id: %q is not a slug (lower-case letters, digits and single hyphens, at most 64)", iv.ID))
	}
	if iv.DealID == "" {
		p = append(p, "deal_id: missing")
	} else {
		outcome, _, err := s.dealFacts(ctx, iv.DealID)
		switch {
		case tandem.ErrorCode(err) == tandem.ENOTFOUND:
			p = append(p, fmt.Sprintf("deal_id: no deal %q", iv.DealID))
		case err != nil:
			return InterviewView{}, err
		case outcome != "won" && outcome != "lost":
			p = append(p, fmt.Sprintf("deal_id: deal %s is not closed (outcome %q); interviews are about decided deals", iv.DealID, outcome))
		}
	}
	if iv.Date.IsZero() {
		iv.Date = s.now().UTC()
	}
	if len(iv.Answers) > maxAnswers {
		p = append(p, fmt.Sprintf("answers: %d given, at most %d", len(iv.Answers), maxAnswers))
	}
	for _, f := range []struct{ name, v string }{{"interviewee", iv.Interviewee}, {"role", iv.Role}, {"interviewer", iv.Interviewer}} {
		if utf8.RuneCountInString(f.v) > 200 {
			p = append(p, fmt.Sprintf("%s: longer than 200 characters", f.name))
		}
	}
	for i, an := range iv.Answers {
		if strings.TrimSpace(an.Question) == "" {
			p = append(p, fmt.Sprintf("answers[%d]: question is missing", i))
		}
		if utf8.RuneCountInString(an.Question) > maxAnswer || utf8.RuneCountInString(an.Answer) > maxAnswer {
			p = append(p, fmt.Sprintf("answers[%d]: question and answer are at most %d characters each", i, maxAnswer))
		}
		if an.Score != nil && (*an.Score < 1 || *an.Score > 5) {
			p = append(p, fmt.Sprintf("answers[%d]: score %d is not between 1 and 5", i, *an.Score))
		}
	}
	m, err := s.mapper(ctx)
	if err != nil {
		return InterviewView{}, err
	}
	for i := range iv.Reasons {
		r := &iv.Reasons[i]
		r.Source = cmp.Or(r.Source, iv.Kind)
		r.Confidence = cmp.Or(r.Confidence, tandem.ConfidenceMedium)
		r.By, r.At = cmp.Or(r.By, a.Name), iv.Date
	}
	p = append(p, checkReasons(m, iv.Reasons, iv.Kind)...)
	if len(p) > 0 {
		return InterviewView{}, problems("interview", p)
	}
	d := s.newDoc(a, tandem.DocInterview, iv.ID, iv.DealID, 1, iv, "")
	audit := s.entry(a, "winloss.interview", iv.ID, nil, iv)
	if err := s.store.PutDoc(ctx, d, &audit); err != nil {
		if tandem.ErrorCode(err) == tandem.ECONFLICT {
			return InterviewView{}, tandem.Errorf(tandem.ECONFLICT, "interview %s already exists", iv.ID)
		}
		return InterviewView{}, err
	}
	return interviewOf(d)
}

// Interview returns one interview, or ENOTFOUND.
func (s *Service) Interview(ctx context.Context, id string) (InterviewView, error) {
	d, err := s.store.Doc(ctx, tandem.DocInterview, id, 0)
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		return InterviewView{}, tandem.Errorf(tandem.ENOTFOUND, "no interview %q", id)
	}
	if err != nil {
		return InterviewView{}, err
	}
	return interviewOf(d)
}

// InterviewList returns the interviews of a deal (every interview when
// dealID is empty), latest first.
func (s *Service) InterviewList(ctx context.Context, dealID string) ([]InterviewView, error) {
	docs, err := s.store.Docs(ctx, tandem.DocInterview, dealID)
	if err != nil {
		return nil, err
	}
	out := make([]InterviewView, 0, len(docs))
	for _, d := range docs {
		v, err := interviewOf(d)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	slices.SortStableFunc(out, func(a, b InterviewView) int { return cmp.Or(b.Date.Compare(a.Date), cmp.Compare(a.ID, b.ID)) })
	return out, nil
}

// Interviews returns the interviews of a deal (every one when dealID is
// empty).
func (s *Service) Interviews(ctx context.Context, dealID string) ([]tandem.Interview, error) {
	return docsOf[tandem.Interview](ctx, s, tandem.DocInterview, dealID)
}

// ---- Post-mortems ----

// PostmortemView is a post-mortem with its version and subject's name.
type PostmortemView struct {
	tandem.Postmortem
	Version     int       `json:"version"`
	SubjectName string    `json:"subject_name"`
	UpdatedBy   string    `json:"updated_by"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func postmortemOf(d tandem.Doc) (PostmortemView, error) {
	v := PostmortemView{Version: d.Version, UpdatedBy: d.Author, UpdatedAt: d.CreatedAt}
	if err := json.Unmarshal(d.Body, &v.Postmortem); err != nil {
		return v, fmt.Errorf("post-mortem %s version %d: %w", d.ID, d.Version, err)
	}
	if v.Causes == nil {
		v.Causes = []string{}
	}
	return v, nil
}

// subjectName checks a post-mortem's subject and returns its name: a
// lost deal, or an existing account.
func (s *Service) subjectName(ctx context.Context, p tandem.Postmortem) (string, error) {
	switch p.Subject {
	case winloss.SubjectDeal:
		de, r, err := s.Get(ctx, "deals", p.SubjectID)
		if tandem.ErrorCode(err) == tandem.ENOTFOUND {
			return "", tandem.Errorf(tandem.EINVALID, "subject_id: no deal %q", p.SubjectID)
		}
		if err != nil {
			return "", err
		}
		if o := text(de, r, "outcome"); o != "lost" {
			return "", tandem.Errorf(tandem.EINVALID, "subject_id: deal %s is not lost (outcome %q); post-mortems are for lost deals and churned accounts", p.SubjectID, o)
		}
		return cmp.Or(text(de, r, "name"), p.SubjectID), nil
	case winloss.SubjectAccount:
		ae, r, err := s.Get(ctx, "accounts", p.SubjectID)
		if tandem.ErrorCode(err) == tandem.ENOTFOUND {
			return "", tandem.Errorf(tandem.EINVALID, "subject_id: no account %q", p.SubjectID)
		}
		if err != nil {
			return "", err
		}
		return cmp.Or(text(ae, r, "name"), p.SubjectID), nil
	}
	return "", tandem.Errorf(tandem.EINVALID, "subject: %q is not deal or account", p.Subject)
}

// SavePostmortem creates a post-mortem (expect 0, no id: one per
// subject) or saves a new version of one (expect: the version the edit
// started from; the subject cannot change).
func (s *Service) SavePostmortem(ctx context.Context, a Actor, p tandem.Postmortem, expect int) (PostmortemView, error) {
	if p.Date.IsZero() {
		p.Date = s.now().UTC()
	}
	if p.Causes == nil {
		p.Causes = []string{}
	}
	if err := winloss.CheckPostmortem(p); err != nil {
		return PostmortemView{}, err
	}
	name, err := s.subjectName(ctx, p)
	if err != nil {
		return PostmortemView{}, err
	}
	var before any
	if expect < 0 {
		return PostmortemView{}, tandem.Errorf(tandem.EINVALID, "version: %d is not a version (0 writes a new post-mortem)", expect)
	}
	if expect == 0 {
		if p.ID != "" {
			return PostmortemView{}, tandem.Errorf(tandem.EINVALID, "id: a new post-mortem gets its id; send none (or the version you edited to change %s)", p.ID)
		}
		existing, err := s.store.Docs(ctx, tandem.DocPostmortem, p.SubjectID)
		if err != nil {
			return PostmortemView{}, err
		}
		for _, d := range existing {
			if pm, err := postmortemOf(d); err == nil && pm.Subject == p.Subject {
				return PostmortemView{}, tandem.Errorf(tandem.ECONFLICT, "the %s %s already has post-mortem %s: edit it", p.Subject, p.SubjectID, d.ID)
			}
		}
		// The id follows from the subject, so two people writing the
		// first post-mortem of one subject at once cannot both succeed:
		// the second write is version 1 of the same document again.
		sum := sha256.Sum256([]byte(p.Subject + "/" + p.SubjectID))
		p.ID = "pm-" + hex.EncodeToString(sum[:6])
	} else {
		if p.ID == "" {
			return PostmortemView{}, tandem.Errorf(tandem.EINVALID, "id: missing; name the post-mortem version %d belongs to", expect)
		}
		old, err := s.Postmortem(ctx, p.ID)
		if err != nil {
			return PostmortemView{}, err
		}
		if old.Version != expect {
			return old, tandem.Errorf(tandem.ECONFLICT, "post-mortem %s is at version %d; you edited version %d: reload and apply your change again", p.ID, old.Version, expect)
		}
		if old.Subject != p.Subject || old.SubjectID != p.SubjectID {
			return PostmortemView{}, tandem.Errorf(tandem.EINVALID, "subject: post-mortem %s is about %s %s; write a new one for another subject", p.ID, old.Subject, old.SubjectID)
		}
		before = old.Postmortem
	}
	d := s.newDoc(a, tandem.DocPostmortem, p.ID, p.SubjectID, expect+1, p, "")
	audit := s.entry(a, "postmortem.save", p.ID, before, p)
	if err := s.store.PutDoc(ctx, d, &audit); err != nil {
		if tandem.ErrorCode(err) == tandem.ECONFLICT {
			return PostmortemView{}, tandem.Errorf(tandem.ECONFLICT, "post-mortem %s was saved by someone else meanwhile: reload and apply your change again", p.ID)
		}
		return PostmortemView{}, err
	}
	v, err := postmortemOf(d)
	v.SubjectName = name
	return v, err
}

// Postmortem returns the latest version of a post-mortem, or ENOTFOUND.
func (s *Service) Postmortem(ctx context.Context, id string) (PostmortemView, error) {
	d, err := s.store.Doc(ctx, tandem.DocPostmortem, id, 0)
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		return PostmortemView{}, tandem.Errorf(tandem.ENOTFOUND, "no post-mortem %q", id)
	}
	if err != nil {
		return PostmortemView{}, err
	}
	v, err := postmortemOf(d)
	if err != nil {
		return v, err
	}
	if name, err := s.subjectName(ctx, v.Postmortem); err == nil {
		v.SubjectName = name
	} else {
		v.SubjectName = v.SubjectID
	}
	return v, nil
}

// Postmortems returns every post-mortem, latest date first.
func (s *Service) Postmortems(ctx context.Context) ([]PostmortemView, error) {
	docs, err := s.store.Docs(ctx, tandem.DocPostmortem, "")
	if err != nil {
		return nil, err
	}
	names := map[string]map[string]string{}
	for subject, entity := range map[string]string{winloss.SubjectDeal: "deals", winloss.SubjectAccount: "accounts"} {
		if names[subject], err = s.entityNames(ctx, entity); err != nil {
			return nil, err
		}
	}
	out := make([]PostmortemView, 0, len(docs))
	for _, d := range docs {
		v, err := postmortemOf(d)
		if err != nil {
			return nil, err
		}
		v.SubjectName = cmp.Or(names[v.Subject][v.SubjectID], v.SubjectID)
		out = append(out, v)
	}
	slices.SortStableFunc(out, func(a, b PostmortemView) int { return cmp.Or(b.Date.Compare(a.Date), cmp.Compare(a.ID, b.ID)) })
	return out, nil
}

// entityNames maps the ids of an entity's records (deals, accounts, reps)
// to their names; records without a name are left out.
func (s *Service) entityNames(ctx context.Context, entity string) (map[string]string, error) {
	ent, err := s.cat.Entity(entity)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	if err := s.store.Scan(ctx, entity, func(r tandem.Record) error {
		if n := text(ent, r, "name"); n != "" {
			out[r.ID()] = n
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read %s: %w", entity, err)
	}
	return out, nil
}

// ---- Reports ----

// winlossData is what the reports read: deals with their reasons, the
// mapper, features and accounts.
type winlossData struct {
	m        *winloss.Mapper
	deals    []winloss.Deal
	features map[string]winloss.Feature
	accounts []winloss.Account
}

// readWinLoss reads deals (with CRM, recorded and interview reasons),
// features and, when customers, churned accounts.
func (s *Service) readWinLoss(ctx context.Context, customers bool) (*winlossData, error) {
	m, err := s.mapper(ctx)
	if err != nil {
		return nil, err
	}
	w := &winlossData{m: m, features: map[string]winloss.Feature{}}
	type acct struct{ name, segment string }
	accounts := map[string]acct{}
	ae, err := s.cat.Entity("accounts")
	if err != nil {
		return nil, err
	}
	if err := s.store.Scan(ctx, "accounts", func(r tandem.Record) error {
		accounts[r.ID()] = acct{text(ae, r, "name"), text(ae, r, "segment")}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read accounts: %w", err)
	}
	products := map[string]string{}
	pe, err := s.cat.Entity("products")
	if err != nil {
		return nil, err
	}
	if err := s.store.Scan(ctx, "products", func(r tandem.Record) error {
		products[r.ID()] = cmp.Or(text(pe, r, "name"), r.ID())
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read products: %w", err)
	}
	fe, err := s.cat.Entity("features")
	if err != nil {
		return nil, err
	}
	if err := s.store.Scan(ctx, "features", func(r tandem.Record) error {
		f := winloss.Feature{ID: r.ID(), Name: cmp.Or(text(fe, r, "name"), r.ID()), Status: text(fe, r, "status")}
		f.PlannedAt, _ = Value(fe, r, "planned_at").(time.Time)
		f.ReleasedAt, _ = Value(fe, r, "released_at").(time.Time)
		w.features[f.ID] = f
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read features: %w", err)
	}
	comps, err := s.Competitors(ctx)
	if err != nil {
		return nil, err
	}
	// Competitor names are read as the competitive-intelligence pages
	// read them (name or alias, tandem.NormalizeName), so a report by
	// competitor and the competitor's page count the same deals.
	matcher := intel.NewMatcher(comps)
	compName := map[string]string{}
	for _, c := range comps {
		compName[c.ID] = cmp.Or(c.Name, c.ID)
	}
	recorded, err := docsOf[tandem.WinLoss](ctx, s, tandem.DocWinLoss, "")
	if err != nil {
		return nil, err
	}
	byDeal := map[string][]tandem.DealReason{}
	for _, wl := range recorded {
		byDeal[wl.DealID] = append(byDeal[wl.DealID], wl.Reasons...)
	}
	ivs, err := s.Interviews(ctx, "")
	if err != nil {
		return nil, err
	}
	for _, iv := range ivs {
		byDeal[iv.DealID] = append(byDeal[iv.DealID], iv.Reasons...)
	}
	rows, err := s.dealRows(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		d := winloss.Deal{ID: r.ID, Name: r.Name, Outcome: r.Outcome, Amount: r.Amount, Closed: r.Closed}
		a := accounts[r.Account]
		d.Segment = a.segment
		if d.Name == "" {
			d.Name = a.name
		}
		for _, p := range r.Products {
			d.Products = append(d.Products, cmp.Or(products[p], p))
		}
		for _, c := range r.Competitors {
			if id, ok := matcher.Match(c); ok {
				d.Competitors = append(d.Competitors, compName[id])
			} else if n := strings.TrimSpace(c); n != "" {
				d.Competitors = append(d.Competitors, n)
			}
		}
		for _, t := range r.LossReasons {
			if strings.TrimSpace(t) == "" {
				continue
			}
			code, _ := m.Map(t)
			d.Rep = append(d.Rep, code)
		}
		for _, rs := range byDeal[d.ID] {
			if rs.Source == tandem.ReasonByRep {
				d.Rep = append(d.Rep, rs.Code)
			} else {
				d.Buyer = append(d.Buyer, rs.Code)
			}
		}
		w.deals = append(w.deals, d)
	}
	if !customers {
		return w, nil
	}
	type sub struct {
		active, churned bool
		at              time.Time
		mrr             float64
	}
	subs := map[string]*sub{}
	se, err := s.cat.Entity("subscriptions")
	if err != nil {
		return nil, err
	}
	if err := s.store.Scan(ctx, "subscriptions", func(r tandem.Record) error {
		id := text(se, r, "account_id")
		x := subs[id]
		if x == nil {
			x = &sub{}
			subs[id] = x
		}
		switch text(se, r, "status") {
		case "churned":
			x.churned = true
			if at, _ := Value(se, r, "churned_at").(time.Time); at.After(x.at) {
				x.at = at
			}
			if n := number(se, r, "mrr"); n != nil {
				x.mrr += *n
			}
		case "active":
			x.active = true
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("read subscriptions: %w", err)
	}
	for id, x := range subs {
		if x.churned && !x.active {
			w.accounts = append(w.accounts, winloss.Account{ID: id, Name: cmp.Or(accounts[id].name, id), Churned: true, ChurnedAt: x.at, MRR: x.mrr})
		}
	}
	slices.SortFunc(w.accounts, func(a, b winloss.Account) int { return cmp.Compare(a.ID, b.ID) })
	return w, nil
}

// WinLossReasons is the reasons report over the store's deals.
func (s *Service) WinLossReasons(ctx context.Context, q winloss.ReasonsQuery, o winloss.Options) (*winloss.ReasonsReport, error) {
	if err := q.Check(); err != nil {
		return nil, err
	}
	w, err := s.readWinLoss(ctx, false)
	if err != nil {
		return nil, err
	}
	return winloss.Reasons(w.deals, w.m, q, o)
}

// WinLossGap is the rep-versus-buyer gap over the store's deals.
func (s *Service) WinLossGap(ctx context.Context, q winloss.GapQuery, o winloss.Options) (*winloss.GapReport, error) {
	w, err := s.readWinLoss(ctx, false)
	if err != nil {
		return nil, err
	}
	return winloss.Gap(w.deals, w.m, q, o)
}

// RoadmapCheck is the roadmap check for the last full quarter before date
// (zero: the service's clock).
func (s *Service) RoadmapCheck(ctx context.Context, date time.Time, o winloss.Options) (*winloss.RoadmapReport, error) {
	if date.IsZero() {
		date = s.now().UTC()
	}
	w, err := s.readWinLoss(ctx, false)
	if err != nil {
		return nil, err
	}
	return winloss.RoadmapCheck(w.deals, w.m, w.features, date, o), nil
}

// PostmortemReport is root causes over time and the post-mortems still
// missing.
type PostmortemReport struct {
	RootCauses *winloss.RootCauseReport `json:"root_causes"`
	// MinAmount is the feedback setting above which a lost deal needs a
	// post-mortem.
	MinAmount float64           `json:"min_amount"`
	Missing   []winloss.Missing `json:"missing"`
	Notes     []string          `json:"notes"`
}

// PostmortemReport reports root causes (post-mortems dated from..to) and
// every lost deal above the minimum and churned account without a
// post-mortem. Churned accounts come from subscriptions, so they are left
// out unless customers (the viewer may read customer data).
func (s *Service) PostmortemReport(ctx context.Context, from, to time.Time, o winloss.Options, customers bool) (*PostmortemReport, error) {
	set, _, err := s.FeedbackSettings(ctx)
	if err != nil {
		return nil, err
	}
	pms, err := docsOf[tandem.Postmortem](ctx, s, tandem.DocPostmortem, "")
	if err != nil {
		return nil, err
	}
	w, err := s.readWinLoss(ctx, customers)
	if err != nil {
		return nil, err
	}
	rep := &PostmortemReport{RootCauses: winloss.RootCauses(pms, from, to, o), MinAmount: set.PostmortemMinAmount,
		Missing: winloss.MissingPostmortems(w.deals, w.accounts, set.PostmortemMinAmount, pms), Notes: []string{}}
	if !customers {
		rep.Notes = append(rep.Notes, "churned accounts are not listed: they need customers:read")
	}
	return rep, nil
}
