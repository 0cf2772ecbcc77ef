package service

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"path"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/feedback"
	"github.com/tandemhq/tandem/internal/notify"
	"github.com/tandemhq/tandem/internal/specials"
	"github.com/tandemhq/tandem/internal/stats"
	"github.com/tandemhq/tandem/internal/themes"
)

// specialSettingsID is the one settings document of specials.
const specialSettingsID = "settings"

// MaxSpecialFile is the largest evidence file accepted, in bytes;
// MaxSpecialFiles bounds the files of one filing and MaxSpecialUpload
// their bytes together, so a filing cannot hold the server's upload limit
// in memory.
const (
	MaxSpecialFile   = 10 << 20
	MaxSpecialFiles  = 20
	MaxSpecialUpload = 50 << 20
)

// maxEvidenceName bounds an evidence file's name, in characters.
const maxEvidenceName = 200

// CheckSpecialFiles refuses a filing with more than MaxSpecialFiles
// files or more than MaxSpecialUpload bytes in all, naming the limit.
func CheckSpecialFiles(count int, total int64) error {
	switch {
	case count > MaxSpecialFiles:
		return tandem.Errorf(tandem.EINVALID, "files: %d files; at most %d can be filed at once, nothing was stored", count, MaxSpecialFiles)
	case total > MaxSpecialUpload:
		return tandem.Errorf(tandem.ETOOLARGE, "files: %d bytes in all; at most %d (50 MiB) can be filed at once, nothing was stored", total, MaxSpecialUpload)
	}
	return nil
}

// CleanFileName is an uploaded file's name as Tandem keeps it: without
// directories or control characters, at most 200 characters, and
// "file-N" (N = i+1) when nothing is left.
func CleanFileName(i int, name string) string {
	name = path.Base(strings.ReplaceAll(strings.TrimSpace(name), "\\", "/"))
	name = strings.TrimSpace(strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == utf8.RuneError {
			return -1
		}
		return r
	}, name))
	if r := []rune(name); len(r) > maxEvidenceName {
		name = string(r[:maxEvidenceName])
	}
	if name == "." || name == "/" || name == "" {
		name = fmt.Sprintf("file-%d", i+1)
	}
	return name
}

// specialFileTypes are the evidence file types accepted: documents,
// images, text and mail; executables and archives are not evidence.
var specialFileTypes = map[string]bool{
	"application/pdf": true, "image/png": true, "image/jpeg": true, "image/gif": true,
	"text/plain": true, "text/csv": true, "message/rfc822": true,
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   true,
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         true,
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": true,
}

// SpecialSettings returns the matrix thresholds and capacity budget, and
// their version (0: the defaults, never saved).
func (s *Service) SpecialSettings(ctx context.Context) (tandem.SpecialSettings, int, error) {
	set, v, err := docOf[tandem.SpecialSettings](ctx, s, tandem.DocSpecialSettings, specialSettingsID, 0)
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		return tandem.DefaultSpecialSettings(), 0, nil
	}
	return set, v, err
}

// PutSpecialSettings stores settings as the version after expect.
func (s *Service) PutSpecialSettings(ctx context.Context, a Actor, set tandem.SpecialSettings, expect int) (tandem.SpecialSettings, int, error) {
	if err := specials.CheckSettings(set); err != nil {
		return set, 0, err
	}
	users, err := s.store.Users(ctx)
	if err != nil {
		return set, 0, err
	}
	for _, l := range set.Leaders {
		if !slices.ContainsFunc(users, func(u tandem.User) bool { return strings.EqualFold(u.Email, l) && !u.Disabled }) {
			return set, 0, tandem.Errorf(tandem.EINVALID, "leaders: %q is not an active user", l)
		}
	}
	old, v, err := s.SpecialSettings(ctx)
	if err != nil {
		return set, 0, err
	}
	if expect != v {
		return set, v, tandem.Errorf(tandem.ECONFLICT, "specials settings are at version %d; you edited version %d: reload and apply your change again", v, expect)
	}
	audit := s.entry(a, "special.settings", specialSettingsID, old, set)
	if err := s.store.PutDoc(ctx, s.newDoc(a, tandem.DocSpecialSettings, specialSettingsID, "", v+1, set, ""), &audit); err != nil {
		return set, v, err
	}
	return set, v + 1, nil
}

// SpecialFile is an evidence file filed with a special.
type SpecialFile struct {
	Name        string
	ContentType string
	Data        []byte
}

// Demand is the recurring demand behind a special: other accounts that
// asked for the same (through linked themes and specials), how many
// specials, and the revenue behind them (customers' ARR and open pipeline
// of those accounts).
type Demand struct {
	Accounts int      `json:"accounts"`
	Specials int      `json:"specials"`
	Revenue  float64  `json:"revenue"`
	IDs      []string `json:"account_ids"`
}

// SpecialView is a special with its version, matrix placement, the moves
// allowed from its step and its recurring demand.
type SpecialView struct {
	tandem.Special
	Version   int                 `json:"version"`
	Placement *specials.Placement `json:"placement,omitempty"`
	Allowed   []specials.Action   `json:"allowed"`
	Demand    Demand              `json:"demand"`
}

// specialDeal is what specials read of a deal.
type specialDeal struct {
	account, outcome, name string
	amount                 float64
}

// specialDealOf reads one deal, or ENOTFOUND naming it.
func (s *Service) specialDealOf(ctx context.Context, id string) (specialDeal, error) {
	de, r, err := s.Get(ctx, "deals", id)
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		return specialDeal{}, tandem.Errorf(tandem.EINVALID, "deal_id: no deal %q", id)
	}
	if err != nil {
		return specialDeal{}, err
	}
	d := specialDeal{account: text(de, r, "account_id"), outcome: text(de, r, "outcome"), name: text(de, r, "name")}
	if n := number(de, r, "amount"); n != nil {
		d.amount = *n
	}
	return d, nil
}

// checkSpecialText lists problems of the submitter's fields.
func checkSpecialText(sp tandem.Special) []string {
	var probs []string
	for _, f := range []struct {
		name, v string
		max     int
		need    bool
	}{{"title", sp.Title, 200, true}, {"ask", sp.Ask, 20000, true}, {"problem", sp.Problem, 20000, true}, {"asked_by", sp.AskedBy, 200, false}, {"strategic_why", sp.StrategicWhy, 2000, false}} {
		switch {
		case f.need && strings.TrimSpace(f.v) == "":
			probs = append(probs, f.name+": required")
		case !utf8.ValidString(f.v):
			probs = append(probs, f.name+": not valid UTF-8")
		case utf8.RuneCountInString(f.v) > f.max:
			probs = append(probs, fmt.Sprintf("%s: longer than %d characters", f.name, f.max))
		}
	}
	if sp.Strategic && strings.TrimSpace(sp.StrategicWhy) == "" {
		probs = append(probs, "strategic_why: say why the special is strategic")
	}
	return probs
}

// FileSpecial files a custom request from a deal with its evidence: notes
// and links in sp.Evidence, files stored by their SHA-256. Feedback
// themes and other specials that ask for the same are linked (word-shingle
// Jaccard similarity of at least themes.DefaultThreshold, the feedback
// grouping's rule), beside any links given.
func (s *Service) FileSpecial(ctx context.Context, a Actor, sp tandem.Special, files []SpecialFile) (SpecialView, error) {
	now := s.now().UTC()
	probs := checkSpecialText(sp)
	d, err := s.specialDealOf(ctx, sp.DealID)
	if tandem.ErrorCode(err) == tandem.EINVALID {
		probs = append(probs, tandem.ErrorMessage(err))
	} else if err != nil {
		return SpecialView{}, err
	}
	if !sp.Deadline.IsZero() && sp.Deadline.Before(now.AddDate(-1, 0, 0)) {
		probs = append(probs, "deadline: more than a year in the past")
	}
	if sp.Deadline.After(now.AddDate(10, 0, 0)) {
		probs = append(probs, "deadline: more than ten years ahead")
	}
	var blobs []tandem.Blob
	evidence := make([]tandem.SpecialEvidence, 0, len(sp.Evidence)+len(files))
	for i, e := range sp.Evidence {
		e.By, e.At = a.Name, now
		switch e.Kind {
		case "note":
			if strings.TrimSpace(e.Text) == "" || utf8.RuneCountInString(e.Text) > 20000 {
				probs = append(probs, fmt.Sprintf("evidence[%d]: a note needs text (at most 20,000 characters)", i))
			}
		case "link":
			if u, err := url.Parse(e.URL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				probs = append(probs, fmt.Sprintf("evidence[%d]: %q is not an http(s) link", i, e.URL))
			}
		default:
			probs = append(probs, fmt.Sprintf("evidence[%d]: kind %q is not note or link (files are uploaded)", i, e.Kind))
		}
		evidence = append(evidence, e)
	}
	var total int64
	for _, f := range files {
		total += int64(len(f.Data))
	}
	if err := CheckSpecialFiles(len(files), total); err != nil {
		return SpecialView{}, err
	}
	for i, f := range files {
		f.Name = CleanFileName(i, f.Name)
		ct, _, _ := strings.Cut(f.ContentType, ";")
		ct = strings.ToLower(strings.TrimSpace(ct))
		switch {
		case len(f.Data) > MaxSpecialFile:
			probs = append(probs, fmt.Sprintf("file %q: %d bytes; at most %d are accepted", f.Name, len(f.Data), MaxSpecialFile))
		case !specialFileTypes[ct]:
			probs = append(probs, fmt.Sprintf("file %q: type %q is not accepted (PDF, images, text, CSV, mail, Office documents)", f.Name, ct))
		default:
			sum := sha256.Sum256(f.Data)
			h := hex.EncodeToString(sum[:])
			blobs = append(blobs, tandem.Blob{SHA256: h, ContentType: ct, Data: f.Data})
			evidence = append(evidence, tandem.SpecialEvidence{Kind: "file", Name: f.Name, ContentType: ct, Size: int64(len(f.Data)), SHA256: h, By: a.Name, At: now})
		}
	}
	if len(probs) > 0 {
		return SpecialView{}, tandem.Errorf(tandem.EINVALID, "special refused, nothing was stored:\n  %s", strings.Join(probs, "\n  "))
	}
	sp.ID = "sp-" + auth.NewID()[:12]
	sp.Title, sp.Ask, sp.Problem = strings.TrimSpace(sp.Title), strings.TrimSpace(sp.Ask), strings.TrimSpace(sp.Problem)
	sp.FiledBy, sp.FiledAt, sp.Amount, sp.Evidence = a.Name, now, d.amount, evidence
	sp.Step, sp.History, sp.Accept, sp.Outcome, sp.Alignment, sp.Effort = tandem.StepTalkToRep, nil, nil, nil, nil, nil
	if sp.Deadline.IsZero() {
		sp.Deadline = time.Time{}
	}
	themesFound, similar, err := s.similarToSpecial(ctx, sp)
	if err != nil {
		return SpecialView{}, err
	}
	sp.Themes = mergeIDs(sp.Themes, themesFound)
	sp.Specials = mergeIDs(sp.Specials, similar)
	w := tandem.DocWrite{
		Docs:   []tandem.Doc{s.newDoc(a, tandem.DocSpecial, sp.ID, sp.DealID, 1, sp, "")},
		Blobs:  blobs,
		Audit:  []tandem.AuditEntry{s.entry(a, "special.file", sp.ID, nil, sp)},
		Notify: s.specialNotifications(ctx, sp, "filed", ""),
	}
	if err := s.store.WriteDocs(ctx, w); err != nil {
		return SpecialView{}, err
	}
	return s.Special(ctx, sp.ID)
}

// mergeIDs adds ids not yet in list, keeping order.
func mergeIDs(list, more []string) []string {
	out := slices.Clone(list)
	for _, id := range more {
		if id != "" && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	return out
}

// similarToSpecial finds the feedback themes and other specials whose
// text is like the special's (title, ask and problem). It compares with
// every item, so its cost grows with the feedback; at 100,000 items it is
// a few seconds, paid once at filing.
func (s *Service) similarToSpecial(ctx context.Context, sp tandem.Special) (themeIDs, specialIDs []string, err error) {
	text := sp.Title + "\n" + sp.Ask + "\n" + sp.Problem
	items, err := s.FeedbackItems(ctx)
	if err != nil {
		return nil, nil, err
	}
	for _, f := range items {
		if themes.Similarity(text, f.Title+"\n"+f.Text) < themes.DefaultThreshold {
			continue
		}
		t, err := s.ThemeOf(ctx, f.ID)
		if err != nil {
			return nil, nil, err
		}
		if t != "" && !slices.Contains(themeIDs, t) {
			themeIDs = append(themeIDs, t)
		}
	}
	others, err := docsOf[tandem.Special](ctx, s, tandem.DocSpecial, "")
	if err != nil {
		return nil, nil, err
	}
	for _, o := range others {
		if o.ID != sp.ID && themes.Similarity(text, o.Title+"\n"+o.Ask+"\n"+o.Problem) >= themes.DefaultThreshold {
			specialIDs = append(specialIDs, o.ID)
		}
	}
	return themeIDs, specialIDs, nil
}

// Special returns a special's latest version with its placement, allowed
// moves and demand.
func (s *Service) Special(ctx context.Context, id string) (SpecialView, error) {
	sp, v, err := docOf[tandem.Special](ctx, s, tandem.DocSpecial, id, 0)
	if err != nil {
		return SpecialView{}, err
	}
	set, _, err := s.SpecialSettings(ctx)
	if err != nil {
		return SpecialView{}, err
	}
	dem, err := s.specialDemand(ctx, sp)
	if err != nil {
		return SpecialView{}, err
	}
	return specialView(sp, v, set, dem), nil
}

// specialView puts a view together.
func specialView(sp tandem.Special, v int, set tandem.SpecialSettings, dem Demand) SpecialView {
	view := SpecialView{Special: sp, Version: v, Allowed: specials.Allowed(sp.Step), Demand: dem}
	if p, ok := specials.Place(sp, set); ok {
		view.Placement = &p
	}
	if view.Allowed == nil {
		view.Allowed = []specials.Action{}
	}
	return view
}

// SpecialHistory returns every version of a special, oldest first: its
// timeline.
func (s *Service) SpecialHistory(ctx context.Context, id string) ([]tandem.Doc, error) {
	return s.store.DocVersions(ctx, tandem.DocSpecial, id)
}

// SpecialQuery selects specials; zero fields do not filter.
type SpecialQuery struct {
	Step   tandem.SpecialStep
	DealID string
	Open   bool // before acceptance, or building
}

// Specials lists specials matching q, newest first. Demand is left out
// of the list (it is computed per special on its page).
func (s *Service) Specials(ctx context.Context, q SpecialQuery) ([]SpecialView, error) {
	all, err := s.allSpecials(ctx)
	if err != nil {
		return nil, err
	}
	set, _, err := s.SpecialSettings(ctx)
	if err != nil {
		return nil, err
	}
	out := []SpecialView{}
	for _, sv := range all {
		sp := sv.sp
		if (q.Step != "" && sp.Step != q.Step) || (q.DealID != "" && sp.DealID != q.DealID) || (q.Open && specials.Ended(sp.Step)) {
			continue
		}
		out = append(out, specialView(sp, sv.v, set, Demand{IDs: []string{}}))
	}
	slices.SortFunc(out, func(a, b SpecialView) int { return cmp.Or(b.FiledAt.Compare(a.FiledAt), strings.Compare(a.ID, b.ID)) })
	return out, nil
}

// versioned is a special with its version.
type versioned struct {
	sp tandem.Special
	v  int
}

// allSpecials reads every special's latest version.
func (s *Service) allSpecials(ctx context.Context) ([]versioned, error) {
	docs, err := s.store.Docs(ctx, tandem.DocSpecial, "")
	if err != nil {
		return nil, err
	}
	out := make([]versioned, 0, len(docs))
	for _, d := range docs {
		var sp tandem.Special
		if err := jsonBody(d, &sp); err != nil {
			return nil, err
		}
		out = append(out, versioned{sp, d.Version})
	}
	return out, nil
}

// specialDemand counts the other accounts behind a special's links: the
// accounts of its themes' items and votes and of its linked specials'
// deals, and their revenue (12 × MRR of active subscriptions, plus the
// amounts of their open deals).
func (s *Service) specialDemand(ctx context.Context, sp tandem.Special) (Demand, error) {
	dem := Demand{Specials: len(sp.Specials), IDs: []string{}}
	own, err := s.specialDealOf(ctx, sp.DealID)
	if err != nil && tandem.ErrorCode(err) != tandem.EINVALID {
		return dem, err
	}
	accounts := map[string]bool{}
	for _, t := range sp.Themes {
		tv, err := s.Theme(ctx, t)
		if tandem.ErrorCode(err) == tandem.ENOTFOUND {
			continue
		}
		if err != nil {
			return dem, err
		}
		for _, it := range tv.Items {
			accounts[it.AccountID] = true
		}
		for _, v := range tv.Votes {
			accounts[v.AccountID] = true
		}
	}
	for _, id := range sp.Specials {
		o, _, err := docOf[tandem.Special](ctx, s, tandem.DocSpecial, id, 0)
		if err != nil {
			continue // a link to a special that is gone counts nothing
		}
		if d, err := s.specialDealOf(ctx, o.DealID); err == nil && d.account != "" {
			accounts[d.account] = true
		}
	}
	delete(accounts, own.account)
	delete(accounts, "")
	if len(accounts) == 0 {
		return dem, nil
	}
	// Per account, through the stores' account_id filters: a special's
	// page should not scan every deal of a large store.
	se, _ := s.cat.Entity("subscriptions")
	de, _ := s.cat.Entity("deals")
	for acct := range accounts {
		subs, err := s.listAll(ctx, "subscriptions", tandem.Filter{Column: "account_id", Value: acct}, tandem.Filter{Column: "status", Value: "active"})
		if err != nil {
			return dem, err
		}
		for _, r := range subs {
			if m := number(se, r, "mrr"); m != nil {
				dem.Revenue += 12 * *m
			}
		}
		deals, err := s.listAll(ctx, "deals", tandem.Filter{Column: "account_id", Value: acct}, tandem.Filter{Column: "outcome", Value: "open"})
		if err != nil {
			return dem, err
		}
		for _, r := range deals {
			if m := number(de, r, "amount"); m != nil {
				dem.Revenue += *m
			}
		}
	}
	for id := range accounts {
		dem.IDs = append(dem.IDs, id)
	}
	slices.Sort(dem.IDs)
	dem.Accounts = len(dem.IDs)
	return dem, nil
}

// medianWonAmount is the median amount of closed-won deals, the
// yardstick of a special's revenue at stake.
func (s *Service) medianWonAmount(ctx context.Context) (float64, error) {
	var amounts []float64
	de, _ := s.cat.Entity("deals")
	err := s.store.Scan(ctx, "deals", func(r tandem.Record) error {
		if text(de, r, "outcome") == "won" {
			if m := number(de, r, "amount"); m != nil && *m > 0 {
				amounts = append(amounts, *m)
			}
		}
		return nil
	})
	if err != nil || len(amounts) == 0 {
		return 0, err
	}
	return stats.Median(amounts), nil
}

// changeSpecial writes the next version of a special after expect, with
// its audit entry and notifications; a stale expect is ECONFLICT.
func (s *Service) changeSpecial(ctx context.Context, a Actor, id string, expect int, action string, change func(*tandem.Special) error) (SpecialView, error) {
	old, v, err := docOf[tandem.Special](ctx, s, tandem.DocSpecial, id, 0)
	if err != nil {
		return SpecialView{}, err
	}
	if expect != v {
		return SpecialView{}, tandem.Errorf(tandem.ECONFLICT, "special %s is at version %d; your change was made to version %d: reload and apply it again", id, v, expect)
	}
	sp := old
	sp.History = slices.Clone(old.History)
	if err := change(&sp); err != nil {
		return SpecialView{}, err
	}
	w := tandem.DocWrite{
		Docs:   []tandem.Doc{s.newDoc(a, tandem.DocSpecial, id, sp.DealID, v+1, sp, "")},
		Audit:  []tandem.AuditEntry{s.entry(a, "special."+action, id, old, sp)},
		Notify: s.specialNotifications(ctx, sp, action, ""),
	}
	if err := s.store.WriteDocs(ctx, w); err != nil {
		return SpecialView{}, err
	}
	return s.Special(ctx, id)
}

// ScoreInput is product's part of the alignment score: ICP and strategy
// fit (0 to 10), and optionally an adjusted score with its reason.
type ScoreInput struct {
	Version     int      `json:"version"`
	ICPFit      float64  `json:"icp_fit"`
	StrategyFit float64  `json:"strategy_fit"`
	Adjusted    *float64 `json:"adjusted,omitempty"`
	Reason      string   `json:"reason,omitempty"`
}

// ScoreSpecial computes the special's alignment from product's inputs and
// the data (recurring demand, revenue at stake), as a new version.
func (s *Service) ScoreSpecial(ctx context.Context, a Actor, id string, in ScoreInput) (SpecialView, error) {
	cur, _, err := docOf[tandem.Special](ctx, s, tandem.DocSpecial, id, 0)
	if err != nil {
		return SpecialView{}, err
	}
	dem, err := s.specialDemand(ctx, cur)
	if err != nil {
		return SpecialView{}, err
	}
	median, err := s.medianWonAmount(ctx)
	if err != nil {
		return SpecialView{}, err
	}
	return s.changeSpecial(ctx, a, id, in.Version, "score", func(sp *tandem.Special) error {
		if specials.Ended(sp.Step) {
			return tandem.Errorf(tandem.EINVALID, "special %s has ended (%s); its score is kept as it was", id, sp.Step)
		}
		sc, err := specials.Score(specials.ScoreInputs{ICPFit: in.ICPFit, StrategyFit: in.StrategyFit, DemandAccounts: dem.Accounts,
			DemandSpecials: dem.Specials, DemandRevenue: dem.Revenue, DealAmount: sp.Amount, MedianDealAmount: median})
		if err != nil {
			return err
		}
		sc.By, sc.At = a.Name, s.now().UTC()
		if in.Adjusted != nil {
			if sc, err = specials.Adjust(sc, *in.Adjusted, in.Reason, a.Name, s.now().UTC()); err != nil {
				return err
			}
		}
		sp.Alignment = &sc
		return nil
	})
}

// EstimateSpecial records the effort estimate, as a new version.
func (s *Service) EstimateSpecial(ctx context.Context, a Actor, id string, version int, weeks float64, note string) (SpecialView, error) {
	e := tandem.EffortEstimate{Weeks: weeks, Author: a.Name, Note: strings.TrimSpace(note), At: s.now().UTC()}
	if err := specials.CheckEffort(e); err != nil {
		return SpecialView{}, err
	}
	return s.changeSpecial(ctx, a, id, version, "estimate", func(sp *tandem.Special) error {
		if specials.Ended(sp.Step) {
			return tandem.Errorf(tandem.EINVALID, "special %s has ended (%s)", id, sp.Step)
		}
		sp.Effort = &e
		return nil
	})
}

// LinkInput changes a special's links: themes, specials, the feature.
type LinkInput struct {
	Version  int       `json:"version"`
	Themes   *[]string `json:"themes,omitempty"`
	Specials *[]string `json:"specials,omitempty"`
	Feature  *string   `json:"feature,omitempty"`
}

// LinkSpecial replaces the links that are given, as a new version.
func (s *Service) LinkSpecial(ctx context.Context, a Actor, id string, in LinkInput) (SpecialView, error) {
	if in.Feature != nil && *in.Feature != "" {
		if _, err := s.store.Get(ctx, "features", *in.Feature); tandem.ErrorCode(err) == tandem.ENOTFOUND {
			return SpecialView{}, tandem.Errorf(tandem.EINVALID, "feature: no feature %q", *in.Feature)
		} else if err != nil {
			return SpecialView{}, err
		}
	}
	if in.Themes != nil {
		for _, t := range *in.Themes {
			if _, err := s.Theme(ctx, t); err != nil {
				return SpecialView{}, fmt.Errorf("themes: %w", err)
			}
		}
	}
	if in.Specials != nil {
		for _, o := range *in.Specials {
			if o == id {
				return SpecialView{}, tandem.Errorf(tandem.EINVALID, "specials: a special cannot link to itself")
			}
			if _, _, err := docOf[tandem.Special](ctx, s, tandem.DocSpecial, o, 0); err != nil {
				return SpecialView{}, fmt.Errorf("specials: %w", err)
			}
		}
	}
	return s.changeSpecial(ctx, a, id, in.Version, "link", func(sp *tandem.Special) error {
		if in.Themes != nil {
			sp.Themes = slices.Clone(*in.Themes)
		}
		if in.Specials != nil {
			sp.Specials = slices.Clone(*in.Specials)
		}
		if in.Feature != nil {
			sp.Feature = strings.TrimSpace(*in.Feature)
		}
		return nil
	})
}

// MoveInput is one step of the process as a caller gives it: the action,
// notes, who signed it off, why a step is skipped, and for acceptance
// the roadmap it displaces, the quarter whose capacity it uses, and, when
// it crosses the budget's warning line, the leader's confirmation.
type MoveInput struct {
	Version      int                    `json:"version"`
	Action       specials.Action        `json:"action"`
	Notes        string                 `json:"notes,omitempty"`
	SignedBy     string                 `json:"signed_by,omitempty"`
	SkipReason   string                 `json:"skip_reason,omitempty"`
	Quarter      string                 `json:"quarter,omitempty"`
	Displaces    []tandem.RoadmapImpact `json:"displaces,omitempty"`
	Confirmation string                 `json:"confirmation,omitempty"`
}

// MoveSpecial takes a special one step through the process, as a new
// version. Accepting needs the actor to be a leader (the settings'
// leaders, or an admin or product user when none are named), an effort
// estimate, a deal at least the minimum amount (unless strategic), and,
// when the quarter's specials would cross the warning share of capacity,
// a confirmation in the leader's words, recorded with the acceptance.
func (s *Service) MoveSpecial(ctx context.Context, a Actor, id string, in MoveInput) (SpecialView, error) {
	set, _, err := s.SpecialSettings(ctx)
	if err != nil {
		return SpecialView{}, err
	}
	all, err := s.allSpecials(ctx)
	if err != nil {
		return SpecialView{}, err
	}
	now := s.now().UTC()
	m := specials.Move{Action: in.Action, By: a.Name, At: now, Notes: strings.TrimSpace(in.Notes), SignedBy: strings.TrimSpace(in.SignedBy), SkipReason: strings.TrimSpace(in.SkipReason)}
	if m.SignedBy != "" {
		if ok, err := s.activeUser(ctx, m.SignedBy); err != nil {
			return SpecialView{}, err
		} else if !ok {
			return SpecialView{}, tandem.Errorf(tandem.EINVALID, "signed_by: %q is not an active user", m.SignedBy)
		}
	}
	return s.changeSpecial(ctx, a, id, in.Version, string(in.Action), func(sp *tandem.Special) error {
		if in.Action == specials.Accept {
			acc, err := s.acceptance(ctx, a, *sp, in, set, all, now)
			if err != nil {
				return err
			}
			m.Accept = acc
		}
		next, err := specials.Apply(*sp, m)
		if err != nil {
			return err
		}
		*sp = next
		return nil
	})
}

// activeUser reports whether email is an active user.
func (s *Service) activeUser(ctx context.Context, email string) (bool, error) {
	users, err := s.store.Users(ctx)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(users, func(u tandem.User) bool { return strings.EqualFold(u.Email, email) && !u.Disabled }), nil
}

// acceptance checks an acceptance and builds its record.
func (s *Service) acceptance(ctx context.Context, a Actor, sp tandem.Special, in MoveInput, set tandem.SpecialSettings, all []versioned, now time.Time) (*tandem.Acceptance, error) {
	leader, err := s.isLeader(ctx, a.Name, set)
	if err != nil {
		return nil, err
	}
	if !leader {
		return nil, tandem.Errorf(tandem.EFORBIDDEN, "accepting a special needs a leader's sign-off; %s is not one of the leaders (specials settings, or admins and product users when none are named)", a.Name)
	}
	if sp.Effort == nil {
		return nil, tandem.Errorf(tandem.EINVALID, "special %s has no effort estimate: estimate it before accepting, the budget needs the weeks", sp.ID)
	}
	if !sp.Strategic && sp.Amount < set.MinDealAmount {
		return nil, tandem.Errorf(tandem.EINVALID, "the deal's amount %.0f is under the minimum of %.0f for a special; mark it strategic (with why) to accept it anyway", sp.Amount, set.MinDealAmount)
	}
	q := cmp.Or(strings.TrimSpace(in.Quarter), specials.QuarterOf(now))
	if _, _, err := specials.ParseQuarter(q); err != nil {
		return nil, err
	}
	for i, d := range in.Displaces {
		if strings.TrimSpace(d.Item) == "" || d.Weeks <= 0 || math.IsNaN(d.Weeks) || d.Weeks > 260 {
			return nil, tandem.Errorf(tandem.EINVALID, "displaces[%d]: an item and the weeks it moves (above 0, at most 260) are required", i)
		}
	}
	others := make([]tandem.Special, 0, len(all))
	for _, o := range all {
		if o.sp.ID != sp.ID {
			others = append(others, o.sp)
		}
	}
	check := specials.CheckAccept(specials.Quarter(others, set, q), sp.Effort.Weeks, set)
	acc := &tandem.Acceptance{Leader: a.Name, At: now, Quarter: q, Displaces: append([]tandem.RoadmapImpact{}, in.Displaces...), OverWarning: check.OverWarning}
	if p, ok := specials.Place(sp, set); ok {
		acc.Action = p.Action
	}
	if check.OverWarning {
		if strings.TrimSpace(in.Confirmation) == "" {
			return nil, tandem.Errorf(tandem.EINVALID, "%s: accepting needs an explicit confirmation (say why it is worth it)", check.Message)
		}
		acc.Confirmation = strings.TrimSpace(in.Confirmation)
	}
	return acc, nil
}

// isLeader reports whether email is an active user who may sign off an
// acceptance (specials.IsLeader).
func (s *Service) isLeader(ctx context.Context, email string, set tandem.SpecialSettings) (bool, error) {
	users, err := s.store.Users(ctx)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(users, func(u tandem.User) bool {
		return strings.EqualFold(u.Email, email) && !u.Disabled && specials.IsLeader(set, u.Email, u.Role)
	}), nil
}

// specialNotifications tells the filer and the leaders of a special's
// move, through the desk's webhooks and e-mail.
func (s *Service) specialNotifications(ctx context.Context, sp tandem.Special, action, note string) []tandem.Notification {
	if s.notifier == nil {
		return nil
	}
	rcpt := []string{sp.FiledBy}
	if set, _, err := s.SpecialSettings(ctx); err == nil {
		rcpt = append(rcpt, set.Leaders...)
	}
	channels := s.notifier(rcpt)
	if len(channels) == 0 {
		return nil
	}
	e := notify.Event{Event: notify.EventSpecialStep, SpecialID: sp.ID, DealID: sp.DealID, Title: sp.Title, Status: string(sp.Step),
		Reason: cmp.Or(note, action), URL: s.baseURL + "/specials/" + sp.ID}
	now := s.now().UTC()
	out := make([]tandem.Notification, len(channels))
	for i, c := range channels {
		out[i] = tandem.Notification{ID: "nt_" + auth.NewID()[:16], Channel: c, Event: e.Event, Payload: tandem.AuditJSON(e),
			Status: tandem.NotifyPending, NextAt: now, CreatedAt: now}
	}
	return out
}

// SpecialMatrix places every open or building special on the matrix;
// those without both scores are listed apart.
type SpecialMatrix struct {
	Settings tandem.SpecialSettings `json:"settings"`
	Placed   []SpecialView          `json:"placed"`
	Unscored []SpecialView          `json:"unscored"`
}

// Matrix returns the matrix of open and building specials.
func (s *Service) Matrix(ctx context.Context) (SpecialMatrix, error) {
	set, _, err := s.SpecialSettings(ctx)
	if err != nil {
		return SpecialMatrix{}, err
	}
	list, err := s.Specials(ctx, SpecialQuery{Open: true})
	if err != nil {
		return SpecialMatrix{}, err
	}
	m := SpecialMatrix{Settings: set, Placed: []SpecialView{}, Unscored: []SpecialView{}}
	for _, v := range list {
		if v.Placement != nil {
			m.Placed = append(m.Placed, v)
		} else {
			m.Unscored = append(m.Unscored, v)
		}
	}
	return m, nil
}

// SpecialCapacity returns a quarter's capacity view ("" : this quarter).
func (s *Service) SpecialCapacity(ctx context.Context, quarter string) (specials.Budget, error) {
	q := cmp.Or(strings.TrimSpace(quarter), specials.QuarterOf(s.now()))
	if _, _, err := specials.ParseQuarter(q); err != nil {
		return specials.Budget{}, err
	}
	set, _, err := s.SpecialSettings(ctx)
	if err != nil {
		return specials.Budget{}, err
	}
	all, err := s.allSpecials(ctx)
	if err != nil {
		return specials.Budget{}, err
	}
	list := make([]tandem.Special, len(all))
	for i, v := range all {
		list[i] = v.sp
	}
	return specials.Quarter(list, set, q), nil
}

// SpecialOutcomes reports what built specials did: win rates of deals
// with an accepted special against comparable deals without, reuse by
// other accounts (adoptions and usage of the linked feature), support
// load (tickets whose subject names the feature), capacity spent and the
// one-offs.
func (s *Service) SpecialOutcomes(ctx context.Context, minN int) (specials.OutcomeReport, error) {
	set, _, err := s.SpecialSettings(ctx)
	if err != nil {
		return specials.OutcomeReport{}, err
	}
	all, err := s.allSpecials(ctx)
	if err != nil {
		return specials.OutcomeReport{}, err
	}
	list := make([]tandem.Special, len(all))
	features := map[string]bool{}
	for i, v := range all {
		list[i] = v.sp
		if v.sp.Feature != "" {
			features[v.sp.Feature] = true
		}
	}
	segment := map[string]string{}
	ae, _ := s.cat.Entity("accounts")
	if err := s.store.Scan(ctx, "accounts", func(r tandem.Record) error {
		segment[r.ID()] = text(ae, r, "segment")
		return nil
	}); err != nil {
		return specials.OutcomeReport{}, err
	}
	var deals []specials.Deal
	de, _ := s.cat.Entity("deals")
	if err := s.store.Scan(ctx, "deals", func(r tandem.Record) error {
		d := specials.Deal{ID: r.ID(), Account: text(de, r, "account_id"), Outcome: text(de, r, "outcome")}
		d.Segment = segment[d.Account]
		if m := number(de, r, "amount"); m != nil {
			d.Amount = *m
		}
		d.Closed, _ = Value(de, r, "closed").(time.Time)
		deals = append(deals, d)
		return nil
	}); err != nil {
		return specials.OutcomeReport{}, err
	}
	usage := map[string]map[string]bool{}
	use := func(feature, account string) {
		if features[feature] && account != "" {
			if usage[feature] == nil {
				usage[feature] = map[string]bool{}
			}
			usage[feature][account] = true
		}
	}
	for _, ent := range []string{"adoptions", "usage"} {
		e, _ := s.cat.Entity(ent)
		if err := s.store.Scan(ctx, ent, func(r tandem.Record) error {
			use(text(e, r, "feature_id"), text(e, r, "account_id"))
			return nil
		}); err != nil {
			return specials.OutcomeReport{}, err
		}
	}
	tickets := map[string]int{}
	if len(features) > 0 {
		named, err := s.store.Names(ctx, "features")
		if err != nil {
			return specials.OutcomeReport{}, err
		}
		var probes []tandem.Competitor // feedback.Mentions matches names as whole words
		for _, f := range named {
			if features[f.ID] {
				probes = append(probes, tandem.Competitor{ID: f.ID, Name: f.Name, Aliases: f.Aliases})
			}
		}
		te, _ := s.cat.Entity("tickets")
		if err := s.store.Scan(ctx, "tickets", func(r tandem.Record) error {
			for _, id := range feedback.Mentions(text(te, r, "subject"), probes) {
				tickets[id]++
			}
			return nil
		}); err != nil {
			return specials.OutcomeReport{}, err
		}
	}
	return specials.Outcomes(list, deals, usage, tickets, set, minN), nil
}

// jsonBody decodes a document's body.
func jsonBody(d tandem.Doc, v any) error {
	if err := json.Unmarshal(d.Body, v); err != nil {
		return fmt.Errorf("%s %q version %d: %w", d.Kind, d.ID, d.Version, err)
	}
	return nil
}

// listAll returns every row of an entity matching the filters, page by
// page.
func (s *Service) listAll(ctx context.Context, entity string, filters ...tandem.Filter) ([]tandem.Record, error) {
	var out []tandem.Record
	for {
		page, err := s.store.List(ctx, entity, tandem.Query{Filters: filters, Limit: 500, Offset: len(out)})
		if err != nil {
			return nil, err
		}
		out = append(out, page.Records...)
		if len(page.Records) == 0 || len(out) >= page.Total {
			return out, nil
		}
	}
}
