package service

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/auth"
	"github.com/tandemhq/tandem/internal/desk"
	"github.com/tandemhq/tandem/internal/feedback"
	"github.com/tandemhq/tandem/internal/notify"
	"github.com/tandemhq/tandem/internal/stats"
)

// feedbackSettingsID is the one settings document of the feedback hub.
const feedbackSettingsID = "settings"

// MaxFeedbackText is the longest feedback text accepted, in characters: a
// long e-mail fits, a pasted log file does not.
const MaxFeedbackText = 100_000

// FeedbackSettings returns the feedback hub's settings and their version
// (0: the defaults, never saved).
func (s *Service) FeedbackSettings(ctx context.Context) (tandem.FeedbackSettings, int, error) {
	set, v, err := docOf[tandem.FeedbackSettings](ctx, s, tandem.DocFeedbackSettings, feedbackSettingsID, 0)
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		return tandem.DefaultFeedbackSettings(), 0, nil
	}
	return set, v, err
}

// PutFeedbackSettings stores new settings as the next version after
// expect (the version the editor started from; 0 for the defaults), so two
// editors cannot overwrite each other unnoticed.
func (s *Service) PutFeedbackSettings(ctx context.Context, a Actor, set tandem.FeedbackSettings, expect int) (tandem.FeedbackSettings, int, error) {
	if err := s.checkFeedbackSettings(ctx, set); err != nil {
		return set, 0, err
	}
	old, v, err := s.FeedbackSettings(ctx)
	if err != nil {
		return set, 0, err
	}
	if expect != v {
		return set, v, tandem.Errorf(tandem.ECONFLICT, "feedback settings are at version %d; you edited version %d: reload and apply your change again", v, expect)
	}
	d := s.newDoc(a, tandem.DocFeedbackSettings, feedbackSettingsID, "", v+1, set, "")
	audit := s.entry(a, "feedback.settings", feedbackSettingsID, old, set)
	if err := s.store.PutDoc(ctx, d, &audit); err != nil {
		return set, v, err
	}
	return set, v + 1, nil
}

// checkFeedbackSettings lists every problem of a settings document: owners
// must be users, conditions must name stored products and features.
func (s *Service) checkFeedbackSettings(ctx context.Context, set tandem.FeedbackSettings) error {
	var probs []string
	if set.AckBusinessDays < 0 || set.AckBusinessDays > 60 {
		probs = append(probs, fmt.Sprintf("ack_business_days: %d is outside 0 to 60", set.AckBusinessDays))
	}
	if set.IntelQuota < 0 || set.IntelQuota > 1000 {
		probs = append(probs, fmt.Sprintf("intel_quota: %d is outside 0 to 1000", set.IntelQuota))
	}
	if set.PostmortemMinAmount < 0 || math.IsNaN(set.PostmortemMinAmount) || math.IsInf(set.PostmortemMinAmount, 0) {
		probs = append(probs, "postmortem_min_amount: must be a non-negative number")
	}
	users, err := s.store.Users(ctx)
	if err != nil {
		return err
	}
	isUser := map[string]bool{}
	for _, u := range users {
		if !u.Disabled {
			isUser[strings.ToLower(u.Email)] = true
		}
	}
	if set.DefaultOwner != "" && !isUser[strings.ToLower(set.DefaultOwner)] {
		probs = append(probs, fmt.Sprintf("default_owner: %q is not an active user", set.DefaultOwner))
	}
	products, err := s.store.IDs(ctx, "products")
	if err != nil {
		return err
	}
	features, err := s.store.IDs(ctx, "features")
	if err != nil {
		return err
	}
	names := map[string]bool{}
	for i, r := range set.Routing {
		at := fmt.Sprintf("routing[%d]", i)
		if r.Name == "" {
			probs = append(probs, at+".name: required")
		} else if names[r.Name] {
			probs = append(probs, fmt.Sprintf("%s.name: %q is used twice", at, r.Name))
		}
		names[r.Name] = true
		if !isUser[strings.ToLower(r.Owner)] {
			probs = append(probs, fmt.Sprintf("%s.owner: %q is not an active user", at, r.Owner))
		}
		if _, ok := products[r.Product]; r.Product != "" && !ok {
			probs = append(probs, fmt.Sprintf("%s.product: no product %q", at, r.Product))
		}
		if _, ok := features[r.Feature]; r.Feature != "" && !ok {
			probs = append(probs, fmt.Sprintf("%s.feature: no feature %q", at, r.Feature))
		}
		if r.Product == "" && r.Feature == "" && r.Segment == "" && len(r.Keywords) == 0 {
			probs = append(probs, at+": has no condition; use default_owner for a catch-all")
		}
	}
	if len(probs) > 0 {
		return tandem.Errorf(tandem.EINVALID, "feedback settings refused:\n  %s", strings.Join(probs, "\n  "))
	}
	return nil
}

// feedbackCache holds every item's latest version, reloaded when the
// store's feedback stamp moves: the inbox, themes and reports all read the
// whole set, and decoding it per request would cost more than answering.
// Writes made through writeFeedback are applied to it in place of a
// reload, so filing one item among a hundred thousand stays cheap.
//
// The slice and map handed out are never changed afterwards: a new item
// is appended beyond every earlier reader's length (and the map is copied
// before it gains a key), and a changed item replaces its entry in a copy.
type feedbackCache struct {
	mu    sync.Mutex // guards the fields below
	stamp int64
	items []tandem.Feedback
	byID  map[string]int
	// write serializes this process's feedback writes, so each can tell
	// whether the store's stamp moved by exactly its own versions.
	write sync.Mutex
}

// FeedbackItems returns the latest version of every feedback item, ordered
// by receipt time, then id. The slice is shared: callers must not change it.
func (s *Service) FeedbackItems(ctx context.Context) ([]tandem.Feedback, error) {
	items, _, err := s.feedbackSnapshot(ctx)
	return items, err
}

// feedbackSnapshot returns the items and an index by id, both read-only.
func (s *Service) feedbackSnapshot(ctx context.Context) ([]tandem.Feedback, map[string]int, error) {
	c := &s.feedback
	c.mu.Lock()
	defer c.mu.Unlock()
	stamp, err := s.store.DocsStamp(ctx, tandem.DocFeedback)
	if err != nil {
		return nil, nil, err
	}
	if c.byID != nil && stamp == c.stamp {
		return c.items, c.byID, nil
	}
	items, err := docsOf[tandem.Feedback](ctx, s, tandem.DocFeedback, "")
	if err != nil {
		return nil, nil, err
	}
	slices.SortFunc(items, compareFeedback)
	byID := make(map[string]int, len(items))
	for i, f := range items {
		byID[f.ID] = i
	}
	c.stamp, c.items, c.byID = stamp, items, byID
	return items, byID, nil
}

// compareFeedback orders items by receipt time, then id.
func compareFeedback(a, b tandem.Feedback) int {
	return cmp.Or(a.ReceivedAt.Compare(b.ReceivedAt), strings.Compare(a.ID, b.ID))
}

// writeFeedback writes a batch whose feedback documents are the versions
// of items (in order), then applies items to the cache when the store's
// stamp moved by exactly those versions (else the next read reloads).
// filter, when not nil, runs first on the current snapshot, under the
// write lock, and returns the batch to write: a duplicate check that no
// other write of this process can slip past.
func (s *Service) writeFeedback(ctx context.Context, filter func(items []tandem.Feedback, byID map[string]int) (tandem.DocWrite, []tandem.Feedback, error)) error {
	c := &s.feedback
	c.write.Lock()
	defer c.write.Unlock()
	items, byID, err := s.feedbackSnapshot(ctx)
	if err != nil {
		return err
	}
	c.mu.Lock()
	before := c.stamp
	c.mu.Unlock()
	w, written, err := filter(items, byID)
	if err != nil || (len(w.Docs) == 0 && len(w.Audit) == 0) {
		return err
	}
	if err := s.store.WriteDocs(ctx, w); err != nil {
		return err
	}
	after, err := s.store.DocsStamp(ctx, tandem.DocFeedback)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err != nil || c.byID == nil || c.stamp != before || after != before+int64(len(written)) {
		c.byID = nil // someone else wrote too: reload on the next read
		return nil
	}
	list, index := c.items, c.byID
	copiedList, copiedIndex := false, false
	for _, f := range written {
		if i, ok := index[f.ID]; ok {
			if !copiedList {
				list, copiedList = slices.Clone(list), true
			}
			list[i] = f // triage keeps the receipt time, so the order holds
			continue
		}
		if n := len(list); n > 0 && compareFeedback(f, list[n-1]) < 0 {
			c.byID = nil // an older item arrived: re-sort on the next read
			return nil
		}
		if !copiedIndex {
			index, copiedIndex = maps.Clone(index), true
		}
		index[f.ID] = len(list)
		list = append(list, f)
	}
	c.stamp, c.items, c.byID = after, list, index
	return nil
}

// FeedbackItem returns the latest version of an item and its version.
func (s *Service) FeedbackItem(ctx context.Context, id string) (tandem.Feedback, int, error) {
	return docOf[tandem.Feedback](ctx, s, tandem.DocFeedback, id, 0)
}

// FeedbackHistory returns every version of an item, oldest first.
func (s *Service) FeedbackHistory(ctx context.Context, id string) ([]tandem.Doc, error) {
	return s.store.DocVersions(ctx, tandem.DocFeedback, id)
}

// feedbackID is an item's id: derived from its source and source ref when
// it has one, so a second delivery of the same mail, Slack event or CSV row
// lands on the same id and is recognized; random otherwise.
func feedbackID(source, ref string) string {
	if ref == "" {
		return "fb-" + auth.NewID()[:16]
	}
	sum := sha256.Sum256([]byte(source + "\x00" + ref))
	return "fb-" + hex.EncodeToString(sum[:8])
}

// intake is what routing and matching need, read once per submission or
// import. Deals and accounts are looked up one by one for a few items and
// read whole for a large batch: a store of a million deals should not be
// scanned to file one piece of feedback.
type intake struct {
	s           *Service
	set         tandem.FeedbackSettings
	people      *desk.People
	reps        []desk.Rep
	competitors []tandem.Competitor
	products    map[string]struct{}
	features    map[string]struct{}
	defOwner    string
	// segment (account id → segment) and dealAccount (deal id → account
	// id) are nil until preload.
	segment     map[string]string
	dealAccount map[string]string
}

// intakePreload is the batch size from which intake reads every account
// and deal at once instead of looking them up.
const intakePreload = 200

// newIntake reads what intake of n items needs.
func (s *Service) newIntake(ctx context.Context, n int) (*intake, error) {
	in := &intake{s: s}
	var err error
	if in.set, _, err = s.FeedbackSettings(ctx); err != nil {
		return nil, err
	}
	if in.reps, err = s.reps(ctx); err != nil {
		return nil, err
	}
	users, err := s.store.Users(ctx)
	if err != nil {
		return nil, err
	}
	in.people = desk.NewPeople(in.reps, users)
	in.defOwner = in.set.DefaultOwner
	if in.defOwner == "" {
		for _, u := range users {
			if u.Role == tandem.RoleAdmin && !u.Disabled {
				in.defOwner = u.Email
				break
			}
		}
	}
	if in.competitors, err = s.Competitors(ctx); err != nil {
		return nil, err
	}
	if in.products, err = s.store.IDs(ctx, "products"); err != nil {
		return nil, err
	}
	if in.features, err = s.store.IDs(ctx, "features"); err != nil {
		return nil, err
	}
	if n < intakePreload {
		return in, nil
	}
	in.segment, in.dealAccount = map[string]string{}, map[string]string{}
	ae, _ := s.cat.Entity("accounts")
	if err := s.store.Scan(ctx, "accounts", func(r tandem.Record) error {
		in.segment[r.ID()] = text(ae, r, "segment")
		return nil
	}); err != nil {
		return nil, err
	}
	if in.dealAccount, err = s.store.Parents(ctx, "deals", "account_id"); err != nil {
		return nil, err
	}
	deals, err := s.store.IDs(ctx, "deals")
	if err != nil {
		return nil, err
	}
	for id := range deals {
		if _, ok := in.dealAccount[id]; !ok {
			in.dealAccount[id] = ""
		}
	}
	return in, nil
}

// deal returns a deal's account and whether the deal exists.
func (in *intake) deal(ctx context.Context, id string) (string, bool, error) {
	if in.dealAccount != nil {
		acct, ok := in.dealAccount[id]
		return acct, ok, nil
	}
	de, r, err := in.s.Get(ctx, "deals", id)
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return text(de, r, "account_id"), true, nil
}

// account returns an account's segment and whether the account exists.
func (in *intake) account(ctx context.Context, id string) (string, bool, error) {
	if in.segment != nil {
		seg, ok := in.segment[id]
		return seg, ok, nil
	}
	ae, r, err := in.s.Get(ctx, "accounts", id)
	if tandem.ErrorCode(err) == tandem.ENOTFOUND {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return text(ae, r, "segment"), true, nil
}

// repOf matches an author (an e-mail or a name) to a rep: the rep a user
// acts for, a rep whose e-mail is the author's, or the only rep so named.
func (in *intake) repOf(author, name string) string {
	if id, ok := in.people.RepOfUser(strings.ToLower(author)); ok {
		return id
	}
	var byName []string
	for _, r := range in.reps {
		if r.Email != "" && strings.EqualFold(r.Email, author) {
			return r.ID
		}
		if n := cmp.Or(name, author); n != "" && strings.EqualFold(strings.TrimSpace(r.Name), strings.TrimSpace(n)) {
			byName = append(byName, r.ID)
		}
	}
	if len(byName) == 1 {
		return byName[0]
	}
	return ""
}

// prepare checks an item as submitted and fills in what Tandem adds:
// id, rep, account (from the deal), owner, deadline, mentions, reply
// channel. Problems are returned as "field: message" lines.
func (in *intake) prepare(ctx context.Context, f *tandem.Feedback, now time.Time) ([]string, error) {
	var probs []string
	f.Text = strings.TrimSpace(f.Text)
	f.Title = strings.TrimSpace(f.Title)
	switch {
	case f.Text == "":
		probs = append(probs, "text: required")
	case !utf8.ValidString(f.Text) || !utf8.ValidString(f.Title):
		probs = append(probs, "text: not valid UTF-8")
	case utf8.RuneCountInString(f.Text) > MaxFeedbackText:
		probs = append(probs, fmt.Sprintf("text: %d characters; at most %d are accepted", utf8.RuneCountInString(f.Text), MaxFeedbackText))
	}
	if len(f.Title) > 500 {
		probs = append(probs, "title: longer than 500 bytes")
	}
	f.Source = cmp.Or(f.Source, tandem.SourceAPI)
	switch f.Source {
	case tandem.SourceAPI, tandem.SourceWeb, tandem.SourceCSV, tandem.SourceProductboard, tandem.SourceCanny, tandem.SourceEmail, tandem.SourceSlack:
	default:
		probs = append(probs, fmt.Sprintf("source: %q is not one of api, web, csv, productboard, canny, email, slack", f.Source))
	}
	f.Kind = cmp.Or(f.Kind, tandem.KindFeedback)
	if f.Kind != tandem.KindFeedback && f.Kind != tandem.KindIntel {
		probs = append(probs, fmt.Sprintf("kind: %q is not feedback or intel", f.Kind))
	}
	switch f.Importance {
	case "", tandem.ImportanceNice, tandem.ImportanceImportant, tandem.ImportanceCritical:
	default:
		probs = append(probs, fmt.Sprintf("importance: %q is not nice, important or critical", f.Importance))
	}
	if f.DealID != "" {
		acct, ok, err := in.deal(ctx, f.DealID)
		if err != nil {
			return nil, err
		}
		switch {
		case !ok:
			probs = append(probs, fmt.Sprintf("deal_id: no deal %q", f.DealID))
		case f.AccountID == "":
			f.AccountID = acct
		case acct != "" && acct != f.AccountID:
			probs = append(probs, fmt.Sprintf("account_id: deal %s belongs to account %s, not %s", f.DealID, acct, f.AccountID))
		}
	}
	var segment string
	if f.AccountID != "" {
		seg, ok, err := in.account(ctx, f.AccountID)
		if err != nil {
			return nil, err
		}
		if !ok {
			probs = append(probs, fmt.Sprintf("account_id: no account %q", f.AccountID))
		}
		segment = seg
	}
	if _, ok := in.products[f.ProductID]; f.ProductID != "" && !ok {
		probs = append(probs, fmt.Sprintf("product_id: no product %q", f.ProductID))
	}
	if _, ok := in.features[f.FeatureID]; f.FeatureID != "" && !ok {
		probs = append(probs, fmt.Sprintf("feature_id: no feature %q", f.FeatureID))
	}
	if len(probs) > 0 {
		return probs, nil
	}
	if f.ReceivedAt.IsZero() {
		f.ReceivedAt = now
	}
	f.ReceivedAt = f.ReceivedAt.UTC()
	if f.ID == "" {
		f.ID = feedbackID(f.Source, f.SourceRef)
	}
	if f.RepID == "" {
		f.RepID = in.repOf(f.Author, f.AuthorName)
	}
	f.Competitors = feedback.Mentions(f.Title+"\n"+f.Text, in.competitors)
	f.Owner, f.RoutedBy = feedback.Route(in.set.Routing, feedback.Subject{Product: f.ProductID, Feature: f.FeatureID,
		Segment: segment, Title: f.Title, Text: f.Text}, in.defOwner)
	f.Status, f.StatusNote, f.AckAt = tandem.FeedbackNew, "", time.Time{}
	f.AckDue = feedback.AckDue(f.ReceivedAt, in.set.AckBusinessDays)
	if f.ReplyTo == "" {
		switch {
		case f.Source == tandem.SourceSlack && f.Author != "":
			f.ReplyTo = "slack:" + f.Author
		case strings.Contains(f.Author, "@"):
			f.ReplyTo = "email:" + f.Author
		}
	}
	return nil, nil
}

// SubmitResult says what a submission did.
type SubmitResult struct {
	Item      tandem.Feedback `json:"item"`
	Duplicate bool            `json:"duplicate"` // the same item (source and source_ref) was already stored; nothing changed
}

// SubmitFeedback files one item from any channel, with its attachments'
// bytes. An item whose source and source_ref were seen before is not
// stored again: the stored one is returned with Duplicate set.
func (s *Service) SubmitFeedback(ctx context.Context, a Actor, f tandem.Feedback, blobs []tandem.Blob) (SubmitResult, error) {
	res, err := s.ImportFeedback(ctx, a, []tandem.Feedback{f}, blobs, "")
	if err != nil {
		var pe *FeedbackProblems
		if asProblems(err, &pe) && len(pe.Items) == 1 {
			return SubmitResult{}, tandem.Errorf(tandem.EINVALID, "feedback refused: %s", strings.Join(pe.Items[0].Problems, "; "))
		}
		return SubmitResult{}, err
	}
	if len(res.Created) == 1 {
		return SubmitResult{Item: res.Created[0]}, nil
	}
	item, _, err := s.FeedbackItem(ctx, res.DuplicateIDs[0])
	return SubmitResult{Item: item, Duplicate: true}, err
}

// ImportResult says what an import of feedback did.
type ImportResult struct {
	Created      []tandem.Feedback `json:"created"`
	DuplicateIDs []string          `json:"duplicate_ids"` // already stored, or twice in the batch: left alone
}

// ItemProblems is everything wrong with one item of a batch.
type ItemProblems struct {
	Index    int      `json:"index"` // position in the batch, from 0
	Ref      string   `json:"ref,omitempty"`
	Problems []string `json:"problems"`
}

// FeedbackProblems refuses a batch: every bad item with every problem, so
// one pass fixes the file.
type FeedbackProblems struct{ Items []ItemProblems }

// Error lists the problems, one item per line.
func (p *FeedbackProblems) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d feedback item(s) refused, nothing was stored:", len(p.Items))
	for _, it := range p.Items {
		fmt.Fprintf(&b, "\n  item %d", it.Index+1)
		if it.Ref != "" {
			fmt.Fprintf(&b, " (%s)", it.Ref)
		}
		b.WriteString(": " + strings.Join(it.Problems, "; "))
	}
	return b.String()
}

// asProblems is errors.As for *FeedbackProblems through a tandem.Error.
func asProblems(err error, target **FeedbackProblems) bool {
	for err != nil {
		if p, ok := err.(*FeedbackProblems); ok {
			*target = p
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// ImportFeedback files a batch of items in one transaction: all of them,
// or (when any is bad) none, with every problem reported. Items already
// stored are skipped, so re-running an import changes nothing. what names
// the import for the audit log ("" for a single submission).
func (s *Service) ImportFeedback(ctx context.Context, a Actor, items []tandem.Feedback, blobs []tandem.Blob, what string) (ImportResult, error) {
	in, err := s.newIntake(ctx, len(items))
	if err != nil {
		return ImportResult{}, err
	}
	now := s.now().UTC()
	var bad []ItemProblems
	prepared := make([]tandem.Feedback, 0, len(items))
	for i := range items {
		f := items[i]
		probs, err := in.prepare(ctx, &f, now)
		if err != nil {
			return ImportResult{}, err
		}
		if len(probs) > 0 {
			bad = append(bad, ItemProblems{Index: i, Ref: f.SourceRef, Problems: probs})
			continue
		}
		prepared = append(prepared, f)
	}
	if len(bad) > 0 {
		return ImportResult{}, &tandem.Error{Code: tandem.EINVALID, Message: (&FeedbackProblems{Items: bad}).Error(), Err: &FeedbackProblems{Items: bad}}
	}
	var res ImportResult
	err = s.writeFeedback(ctx, func(_ []tandem.Feedback, byID map[string]int) (tandem.DocWrite, []tandem.Feedback, error) {
		res = ImportResult{}
		seen := map[string]bool{}
		var w tandem.DocWrite
		for _, f := range prepared {
			if _, stored := byID[f.ID]; stored || seen[f.ID] {
				res.DuplicateIDs = append(res.DuplicateIDs, f.ID)
				continue
			}
			seen[f.ID] = true
			res.Created = append(res.Created, f)
			w.Docs = append(w.Docs, s.newDoc(a, tandem.DocFeedback, f.ID, f.AccountID, 1, f, ""))
			if what == "" {
				w.Audit = append(w.Audit, s.entry(a, "feedback.submit", f.ID, nil, f))
			}
		}
		if len(w.Docs) == 0 {
			return tandem.DocWrite{}, nil, nil
		}
		if what != "" {
			ids := make([]string, len(res.Created))
			for i, f := range res.Created {
				ids[i] = f.ID
			}
			w.Audit = append(w.Audit, s.entry(a, "feedback.import", what, nil, map[string]any{"created": len(ids), "duplicates": len(res.DuplicateIDs), "ids": ids}))
		}
		w.Blobs = blobs
		return w, res.Created, nil
	})
	if err != nil {
		return ImportResult{}, err
	}
	return res, nil
}

// FeedbackChange is a triage change to one item: a new status (with a
// note to the submitter), a new owner, or corrected links. Version is the
// version the change was made from: a change to an older version is
// refused with ECONFLICT, so two people triaging at once do not overwrite
// each other.
type FeedbackChange struct {
	Version    int                    `json:"version"`
	Status     *tandem.FeedbackStatus `json:"status,omitempty"`
	Note       *string                `json:"note,omitempty"`
	Owner      *string                `json:"owner,omitempty"`
	AccountID  *string                `json:"account_id,omitempty"`
	DealID     *string                `json:"deal_id,omitempty"`
	ProductID  *string                `json:"product_id,omitempty"`
	FeatureID  *string                `json:"feature_id,omitempty"`
	Kind       *string                `json:"kind,omitempty"`
	Tags       *[]string              `json:"tags,omitempty"`
	Importance *string                `json:"importance,omitempty"`
}

// ChangeFeedback applies a triage change as a new version. A status change
// tells the submitter through the channel the item came from.
func (s *Service) ChangeFeedback(ctx context.Context, a Actor, id string, c FeedbackChange) (tandem.Feedback, int, error) {
	old, v, err := s.FeedbackItem(ctx, id)
	if err != nil {
		return old, 0, err
	}
	if c.Version != v {
		return old, v, tandem.Errorf(tandem.ECONFLICT, "feedback %s is at version %d; your change was made to version %d: reload and apply it again", id, v, c.Version)
	}
	in, err := s.newIntake(ctx, 1)
	if err != nil {
		return old, v, err
	}
	f := old
	f.Tags = slices.Clone(old.Tags)
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	set(&f.AccountID, c.AccountID)
	set(&f.DealID, c.DealID)
	set(&f.ProductID, c.ProductID)
	set(&f.FeatureID, c.FeatureID)
	set(&f.Kind, c.Kind)
	set(&f.Importance, c.Importance)
	set(&f.StatusNote, c.Note)
	if c.Tags != nil {
		f.Tags = *c.Tags
	}
	if c.DealID != nil && c.AccountID == nil && f.DealID != "" {
		f.AccountID = ""
	}
	// prepare re-checks the links; keep what triage set that prepare resets.
	check := f
	if probs, err := in.prepare(ctx, &check, f.ReceivedAt); err != nil {
		return old, v, err
	} else if len(probs) > 0 {
		return old, v, tandem.Errorf(tandem.EINVALID, "feedback %s: %s", id, strings.Join(probs, "; "))
	}
	f.AccountID = check.AccountID
	if c.Owner != nil {
		owner := strings.TrimSpace(*c.Owner)
		if !in.people.UserExists(owner) {
			return old, v, tandem.Errorf(tandem.EINVALID, "owner: %q is not an active user", owner)
		}
		f.Owner, f.RoutedBy = owner, "assigned by "+a.Name
	}
	if c.Status != nil {
		if !slices.Contains(tandem.FeedbackStatuses(), *c.Status) {
			return old, v, tandem.Errorf(tandem.EINVALID, "status: %q is not one of new, acknowledged, planned, declined, shipped", *c.Status)
		}
		f.Status = *c.Status
		if f.Status != tandem.FeedbackNew && f.AckAt.IsZero() {
			f.AckAt = s.now().UTC()
		}
	}
	if c.Status == nil && c.Note != nil {
		f.StatusNote = old.StatusNote
		return old, v, tandem.Errorf(tandem.EINVALID, "note: a note goes with a status change (it is what the submitter is told)")
	}
	w := tandem.DocWrite{Docs: []tandem.Doc{s.newDoc(a, tandem.DocFeedback, id, f.AccountID, v+1, f, "")}}
	action := "feedback.triage"
	if c.Status != nil && f.Status != old.Status {
		action = "feedback.status"
		w.Notify = s.replyNotifications(in.set, f)
	}
	w.Audit = []tandem.AuditEntry{s.entry(a, action, id, old, f)}
	err = s.writeFeedback(ctx, func([]tandem.Feedback, map[string]int) (tandem.DocWrite, []tandem.Feedback, error) {
		return w, []tandem.Feedback{f}, nil
	})
	if err != nil {
		return old, v, err
	}
	return f, v + 1, nil
}

// replyNotifications tells an item's submitter of its new status through
// the channel it came from: e-mail to the sender or user, or the Slack
// webhook named in the settings for Slack users. A channel Tandem cannot
// reach (no SMTP, no Slack webhook) sends nothing; the status is still
// visible in Tandem.
func (s *Service) replyNotifications(set tandem.FeedbackSettings, f tandem.Feedback) []tandem.Notification {
	if s.notifier == nil || f.ReplyTo == "" {
		return nil
	}
	kind, to, _ := strings.Cut(f.ReplyTo, ":")
	var want string
	switch kind {
	case "email":
		want = "email:" + to
	case "slack":
		if set.SlackWebhook == "" {
			return nil
		}
		want = "webhook:" + set.SlackWebhook
	default:
		return nil
	}
	if !slices.Contains(s.notifier([]string{to}), want) {
		return nil
	}
	e := notify.Event{Event: notify.EventFeedbackStatus, FeedbackID: f.ID, Title: feedbackTitle(f), Status: string(f.Status),
		Reason: f.StatusNote, URL: s.baseURL + "/feedback/" + f.ID}
	if kind == "slack" {
		e.Mention = to
	}
	now := s.now().UTC()
	return []tandem.Notification{{ID: "nt_" + auth.NewID()[:16], Channel: want, Event: e.Event, Payload: tandem.AuditJSON(e),
		Status: tandem.NotifyPending, NextAt: now, CreatedAt: now}}
}

// feedbackTitle is an item's title, or the start of its text.
func feedbackTitle(f tandem.Feedback) string {
	if f.Title != "" {
		return f.Title
	}
	t := strings.Join(strings.Fields(f.Text), " ")
	if utf8.RuneCountInString(t) > 80 {
		r := []rune(t)
		t = string(r[:77]) + "..."
	}
	return t
}

// FeedbackQuery selects items of the inbox; zero fields do not filter.
type FeedbackQuery struct {
	Status     []tandem.FeedbackStatus
	Owner      string
	Source     string
	Kind       string
	AccountID  string
	DealID     string
	RepID      string
	Competitor string
	Overdue    bool   // new and past the acknowledgment deadline
	Text       string // words all found in title or text, case-insensitive
	Limit      int    // 0: 50
	Offset     int
}

// FeedbackPage is one page of the inbox, newest first.
type FeedbackPage struct {
	Items []tandem.Feedback `json:"items"`
	Total int               `json:"total"`
}

// FeedbackInbox lists items matching q, newest first.
func (s *Service) FeedbackInbox(ctx context.Context, q FeedbackQuery) (FeedbackPage, error) {
	items, err := s.FeedbackItems(ctx)
	if err != nil {
		return FeedbackPage{}, err
	}
	now := s.now()
	words := strings.Fields(strings.ToLower(q.Text))
	var page FeedbackPage
	limit := cmp.Or(q.Limit, 50)
	for i := len(items) - 1; i >= 0; i-- {
		f := items[i]
		if !matchFeedback(f, q, words, now) {
			continue
		}
		if page.Total >= q.Offset && len(page.Items) < limit {
			page.Items = append(page.Items, f)
		}
		page.Total++
	}
	if page.Items == nil {
		page.Items = []tandem.Feedback{}
	}
	return page, nil
}

// matchFeedback reports whether f passes every filter of q.
func matchFeedback(f tandem.Feedback, q FeedbackQuery, words []string, now time.Time) bool {
	switch {
	case len(q.Status) > 0 && !slices.Contains(q.Status, f.Status),
		q.Owner != "" && !strings.EqualFold(q.Owner, f.Owner),
		q.Source != "" && q.Source != f.Source,
		q.Kind != "" && q.Kind != f.Kind,
		q.AccountID != "" && q.AccountID != f.AccountID,
		q.DealID != "" && q.DealID != f.DealID,
		q.RepID != "" && q.RepID != f.RepID,
		q.Competitor != "" && !slices.Contains(f.Competitors, q.Competitor),
		q.Overdue && !overdue(f, now):
		return false
	}
	if len(words) > 0 {
		hay := strings.ToLower(f.Title + "\n" + f.Text)
		for _, w := range words {
			if !strings.Contains(hay, w) {
				return false
			}
		}
	}
	return true
}

// overdue reports whether an item still waits for acknowledgment past its
// deadline.
func overdue(f tandem.Feedback, now time.Time) bool {
	return f.Status == tandem.FeedbackNew && !f.AckDue.IsZero() && now.After(f.AckDue)
}

// AckOwner is one owner's acknowledgment record.
type AckOwner struct {
	Owner        string `json:"owner"`
	Items        int    `json:"n"`            // items routed to the owner
	Acknowledged int    `json:"acknowledged"` // moved past new
	// OnTime is the share of items acknowledged by their deadline, among
	// items whose deadline has passed or that were acknowledged (the rest
	// cannot be judged yet), with its Wilson interval.
	OnTime  Proportion `json:"on_time"`
	Overdue int        `json:"overdue"`
	// MedianHours is the median time to acknowledgment (Kaplan–Meier:
	// items still new count as censored at their current age), with its
	// 95% interval; nil when fewer than half are acknowledged or the
	// owner has fewer than AckMinSample items (Note says which).
	MedianHours *Estimate `json:"median_hours"`
	Note        string    `json:"note,omitempty"`
}

// Proportion is k of n with a 95% Wilson interval; Note says
// "insufficient data" when n is under the minimum.
type Proportion struct {
	K      int     `json:"k"`
	N      int     `json:"n"`
	Value  float64 `json:"value"`
	CILow  float64 `json:"ci_low"`
	CIHigh float64 `json:"ci_high"`
	Note   string  `json:"note,omitempty"`
}

// Estimate is a point estimate with its 95% interval; a bound the data
// cannot give (a Kaplan–Meier band that never crosses) is nil, shown as
// unbounded.
type Estimate struct {
	Value  float64  `json:"value"`
	CILow  *float64 `json:"ci_low"`
	CIHigh *float64 `json:"ci_high"`
}

// finite returns &v, or nil when v is NaN or infinite.
func finite(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// AckMinSample is the fewest judged items an owner's on-time share is
// shown for; below it the share says "insufficient data".
const AckMinSample = 10

// proportion builds a Proportion with its interval and note.
func proportion(k, n, min int) Proportion {
	p := Proportion{K: k, N: n}
	if n > 0 {
		ci := stats.Wilson(k, n, 0.95)
		p.Value, p.CILow, p.CIHigh = float64(k)/float64(n), ci.Lo, ci.Hi
	}
	if n < min {
		p.Note = fmt.Sprintf("insufficient data (n=%d, under %d)", n, min)
	}
	return p
}

// AckReport is the acknowledgment SLA report.
type AckReport struct {
	AsOf        time.Time         `json:"as_of"`
	SLADays     int               `json:"sla_business_days"`
	Owners      []AckOwner        `json:"owners"`
	OverdueList []tandem.Feedback `json:"overdue"`
	Definitions map[string]string `json:"definitions"`
}

// AckTimes reports acknowledgment times per owner for items received in
// [from, to) (zero bounds: open) and every overdue item.
func (s *Service) AckTimes(ctx context.Context, from, to time.Time) (AckReport, error) {
	items, err := s.FeedbackItems(ctx)
	if err != nil {
		return AckReport{}, err
	}
	set, _, err := s.FeedbackSettings(ctx)
	if err != nil {
		return AckReport{}, err
	}
	now := s.now().UTC()
	rep := AckReport{AsOf: now, SLADays: set.AckBusinessDays, OverdueList: []tandem.Feedback{}, Owners: []AckOwner{},
		Definitions: map[string]string{
			"on_time":      "share of items acknowledged by their deadline, among items acknowledged or past their deadline (Wilson 95% interval)",
			"median_hours": "median hours from receipt to acknowledgment, Kaplan–Meier with items still new censored at their age (95% interval)",
			"overdue":      "items still new past their acknowledgment deadline",
		}}
	type acc struct {
		o      AckOwner
		judged int
		onTime int
		times  []float64
		events []bool
	}
	by := map[string]*acc{}
	for _, f := range items {
		if overdue(f, now) {
			rep.OverdueList = append(rep.OverdueList, f)
		}
		if (!from.IsZero() && f.ReceivedAt.Before(from)) || (!to.IsZero() && !f.ReceivedAt.Before(to)) {
			continue
		}
		a := by[f.Owner]
		if a == nil {
			a = &acc{o: AckOwner{Owner: f.Owner}}
			by[f.Owner] = a
		}
		a.o.Items++
		acked := !f.AckAt.IsZero()
		end := now
		if acked {
			a.o.Acknowledged++
			end = f.AckAt
		}
		if overdue(f, now) {
			a.o.Overdue++
		}
		if acked || (!f.AckDue.IsZero() && now.After(f.AckDue)) {
			a.judged++
			if acked && !f.AckAt.After(f.AckDue) {
				a.onTime++
			}
		}
		a.times = append(a.times, max(0, end.Sub(f.ReceivedAt).Hours()))
		a.events = append(a.events, acked)
	}
	for _, a := range by {
		a.o.OnTime = proportion(a.onTime, a.judged, AckMinSample)
		if a.o.Items < AckMinSample {
			a.o.Note = fmt.Sprintf("median: insufficient data (n=%d, under %d)", a.o.Items, AckMinSample)
			rep.Owners = append(rep.Owners, a.o)
			continue
		}
		if a.o.Acknowledged > 0 {
			m, ci := stats.KaplanMeier(a.times, a.events).Median(stats.Conf95)
			if !math.IsNaN(m) {
				a.o.MedianHours = &Estimate{Value: m, CILow: finite(ci.Lo), CIHigh: finite(ci.Hi)}
			}
		}
		if a.o.MedianHours == nil {
			a.o.Note = "median not reached: fewer than half acknowledged"
		}
		rep.Owners = append(rep.Owners, a.o)
	}
	slices.SortFunc(rep.Owners, func(a, b AckOwner) int { return strings.Compare(a.Owner, b.Owner) })
	slices.SortFunc(rep.OverdueList, func(a, b tandem.Feedback) int { return a.AckDue.Compare(b.AckDue) })
	return rep, nil
}
