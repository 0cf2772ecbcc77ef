package service

// Themes and votes (issue 8, items 3 and 4): near-duplicate feedback items
// grouped into themes by internal/themes, corrected by hand (merge, split),
// titled and linked to features, voted for on customers' behalf, and
// ranked by the revenue at stake.
//
// # The theme index
//
// The index is built from every feedback item (title and text) in the
// order FeedbackItems gives (receipt time, then id), and kept in memory.
// It grows incrementally: a new item is added on its own, which costs one
// MinHash signature and a few candidate comparisons. It is rebuilt only
// when the manual theme operations change in a way it has not applied
// itself (another process wrote one), or when an item turns up that sorts
// before the last indexed item (an import of older feedback), because
// grouping is order-dependent and a rebuild must give what the live index
// gives.
//
// Manual operations (tandem.ThemeOp) are stored as DocThemeOp documents
// with ids "op-00000001", "op-00000002", … so the store's id order is the
// order they were made. Each remembers the item added last when it was
// made (After); a rebuild replays it right after adding that item, so
// items that arrived later are grouped exactly as they were live (a new
// item resembling a split-off item joins its new theme).
//
// # Theme ids
//
// A public theme id is "th-" + the id of the theme's anchor item: the
// item that started it. After a merge the surviving theme keeps its
// anchor; a split item anchors its new theme (and when the anchor itself
// is split off, its old theme is anchored by its earliest remaining
// member). An id always resolves through its anchor item's current theme,
// so the id of a theme merged away resolves to the theme it was merged
// into: votes and links made under the old id count there.

import (
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/themes"
	"github.com/tandemhq/tandem/internal/winloss"
)

// ThemeIDPrefix starts every public theme id; the rest is the anchor
// item's id.
const ThemeIDPrefix = "th-"

// RankingMinSample is the fewest closed deals that entered a stage for the
// stage's own win rate to weigh open deals in it; below it the overall win
// rate is used, and the ranking says so.
const RankingMinSample = 30

// Ranking sort keys. SortTotal (arr + pipeline + lost) is the default.
const (
	SortTotal    = "total"
	SortARR      = "arr"
	SortPipeline = "pipeline"
	SortLost     = "lost"
	SortVotes    = "votes"
	SortItems    = "items"
)

// RankingSorts lists the sort keys of the ranking.
func RankingSorts() []string {
	return []string{SortTotal, SortARR, SortPipeline, SortLost, SortVotes, SortItems}
}

// themeCache holds the live theme index. Its lock is held while the
// index is synced or changed, and while a snapshot of it is taken.
type themeCache struct {
	mu sync.Mutex
	st *themeState
}

// themeOpDoc is a stored manual operation with its document id.
type themeOpDoc struct {
	id string
	op tandem.ThemeOp
}

// themeState is one build of the index and what it was built from.
type themeState struct {
	ix     *themes.Index
	anchor map[string]string // index theme name → anchor item id
	lastAt time.Time         // receipt time and id of the item added last
	lastID string
	// fbStamp and opsStamp are the store's stamps of feedback and theme
	// op documents the state is known to reflect.
	fbStamp, opsStamp int64
	ops               []themeOpDoc // applied, in id order
	skipped           []string     // ops a rebuild could not replay, with why
	snap              *themeSnap   // memoized; reset by every change
}

func newThemeState() *themeState {
	return &themeState{ix: themes.New(themes.Options{}), anchor: map[string]string{}}
}

// themeText is what the index compares: the title and the text.
func themeText(f tandem.Feedback) string {
	if f.Title == "" {
		return f.Text
	}
	return f.Title + "\n" + f.Text
}

// after reports whether an item sorts after the item added last.
func (st *themeState) after(f tandem.Feedback) bool {
	c := f.ReceivedAt.Compare(st.lastAt)
	return st.lastID == "" || c > 0 || c == 0 && f.ID > st.lastID
}

// add files one item, which must sort after every indexed item.
func (st *themeState) add(f tandem.Feedback) {
	t, _ := st.ix.Add(f.ID, themeText(f))
	if _, ok := st.anchor[t]; !ok {
		st.anchor[t] = f.ID
	}
	st.lastAt, st.lastID = f.ReceivedAt, f.ID
	st.snap = nil
}

// apply applies one manual operation to the index.
func (st *themeState) apply(op tandem.ThemeOp) error {
	st.snap = nil
	switch op.Op {
	case "merge":
		into, from := st.ix.Theme(op.Into), st.ix.Theme(op.From)
		if into == "" || from == "" {
			return fmt.Errorf("merge %s into %s: an item is not indexed", op.From, op.Into)
		}
		if into == from {
			return nil
		}
		if err := st.ix.Merge(into, from); err != nil {
			return err
		}
		delete(st.anchor, from)
		return nil
	case "split":
		old := st.ix.Theme(op.From)
		if old == "" {
			return fmt.Errorf("split %s: the item is not indexed", op.From)
		}
		members := st.ix.Members(old)
		t, err := st.ix.Split(op.From)
		if err != nil {
			return err
		}
		st.anchor[t] = op.From
		if st.anchor[old] == op.From {
			delete(st.anchor, old)
			for _, m := range members {
				if m != op.From {
					st.anchor[old] = m
					break
				}
			}
		}
		return nil
	}
	return fmt.Errorf("unknown theme operation %q", op.Op)
}

// publicID is the public id of an index theme ("" when unknown).
func (st *themeState) publicID(t string) string {
	if a, ok := st.anchor[t]; ok {
		return ThemeIDPrefix + a
	}
	return ""
}

// resolve returns the index theme a public id resolves to: its anchor
// item's current theme.
func (st *themeState) resolve(id string) (string, error) {
	item, ok := strings.CutPrefix(id, ThemeIDPrefix)
	if ok {
		if t := st.ix.Theme(item); t != "" {
			return t, nil
		}
	}
	return "", tandem.Errorf(tandem.ENOTFOUND, "no theme %q", id)
}

// buildThemes indexes items in order and replays ops where they were made.
func buildThemes(items []tandem.Feedback, ops []themeOpDoc) *themeState {
	st := newThemeState()
	byAfter := map[string][]themeOpDoc{}
	known := make(map[string]bool, len(items))
	for _, f := range items {
		known[f.ID] = true
	}
	var late []themeOpDoc
	for _, o := range ops {
		if known[o.op.After] {
			byAfter[o.op.After] = append(byAfter[o.op.After], o)
		} else {
			late = append(late, o)
		}
	}
	replay := func(o themeOpDoc) {
		if err := st.apply(o.op); err != nil {
			st.skipped = append(st.skipped, fmt.Sprintf("%s: %v", o.id, err))
		}
		st.ops = append(st.ops, o)
	}
	for _, f := range items {
		st.add(f)
		for _, o := range byAfter[f.ID] {
			replay(o)
		}
	}
	for _, o := range late {
		replay(o)
	}
	// Keep the applied list in id order, the order the store lists them,
	// so later syncs can tell new ops from old.
	slices.SortFunc(st.ops, func(a, b themeOpDoc) int { return strings.Compare(a.id, b.id) })
	return st
}

// themeOps reads every stored manual operation in id order.
func (s *Service) themeOps(ctx context.Context) ([]themeOpDoc, error) {
	docs, err := s.store.Docs(ctx, tandem.DocThemeOp, "")
	if err != nil {
		return nil, err
	}
	ops, err := decodeDocs[tandem.ThemeOp](docs)
	if err != nil {
		return nil, err
	}
	out := make([]themeOpDoc, len(ops))
	for i := range ops {
		out[i] = themeOpDoc{id: docs[i].ID, op: ops[i]}
	}
	return out, nil
}

// decodeDocs decodes document bodies into T, in order.
func decodeDocs[T any](docs []tandem.Doc) ([]T, error) {
	out := make([]T, len(docs))
	for i, d := range docs {
		if err := json.Unmarshal(d.Body, &out[i]); err != nil {
			return nil, fmt.Errorf("%s %q version %d: %w", d.Kind, d.ID, d.Version, err)
		}
	}
	return out, nil
}

// syncThemes brings the index up to date with the store; the cache lock
// must be held.
func (s *Service) syncThemes(ctx context.Context) (*themeState, error) {
	c := &s.themes
	fbStamp, err := s.store.DocsStamp(ctx, tandem.DocFeedback)
	if err != nil {
		return nil, err
	}
	opsStamp, err := s.store.DocsStamp(ctx, tandem.DocThemeOp)
	if err != nil {
		return nil, err
	}
	st := c.st
	if st != nil && st.fbStamp == fbStamp && st.opsStamp == opsStamp {
		return st, nil
	}
	items, _, err := s.feedbackSnapshot(ctx)
	if err != nil {
		return nil, err
	}
	var ops []themeOpDoc
	if st == nil || st.opsStamp != opsStamp {
		if ops, err = s.themeOps(ctx); err != nil {
			return nil, err
		}
	}
	if st != nil && !st.inOrder(items) {
		st = nil
	}
	if st != nil && ops != nil && !st.extends(ops) {
		st = nil
	}
	if st == nil {
		if ops == nil {
			if ops, err = s.themeOps(ctx); err != nil {
				return nil, err
			}
		}
		st = buildThemes(items, ops)
	} else {
		for _, f := range items[st.ix.Len():] {
			st.add(f)
		}
		if ops != nil {
			for _, o := range ops[len(st.ops):] {
				if err := st.apply(o.op); err != nil {
					st.skipped = append(st.skipped, fmt.Sprintf("%s: %v", o.id, err))
				}
				st.ops = append(st.ops, o)
			}
		}
	}
	st.fbStamp, st.opsStamp = fbStamp, opsStamp
	c.st = st
	return st, nil
}

// inOrder reports whether the indexed items are exactly the first items
// of the list, so the rest can be added without a rebuild.
func (st *themeState) inOrder(items []tandem.Feedback) bool {
	n := st.ix.Len()
	switch {
	case n == 0:
		return true
	case n > len(items):
		return false
	}
	return items[n-1].ID == st.lastID
}

// extends reports whether ops are the applied ops followed by new ones
// made after the last indexed item (so applying them now is what a
// rebuild would do).
func (st *themeState) extends(ops []themeOpDoc) bool {
	if len(ops) < len(st.ops) {
		return false
	}
	for i, o := range st.ops {
		if ops[i].id != o.id {
			return false
		}
	}
	for _, o := range ops[len(st.ops):] {
		if o.op.After != st.lastID {
			return false
		}
	}
	return true
}

// withThemes runs fn on the synced index with the cache lock held.
func (s *Service) withThemes(ctx context.Context, fn func(st *themeState) error) error {
	c := &s.themes
	c.mu.Lock()
	defer c.mu.Unlock()
	st, err := s.syncThemes(ctx)
	if err != nil {
		return err
	}
	return fn(st)
}

// ThemeOf returns the public id of an item's theme, adding the item to
// the index first when it is new. A new item received after every indexed
// one (the usual case right after a submission) is added without
// reloading the others.
func (s *Service) ThemeOf(ctx context.Context, itemID string) (string, error) {
	c := &s.themes
	c.mu.Lock()
	defer c.mu.Unlock()
	if st := c.st; st != nil {
		opsStamp, err := s.store.DocsStamp(ctx, tandem.DocThemeOp)
		if err != nil {
			return "", err
		}
		if opsStamp == st.opsStamp {
			if t := st.ix.Theme(itemID); t != "" {
				return st.publicID(t), nil
			}
			// A new item that sorts after every indexed one is added
			// on its own: one document read, one Add. Other new items
			// are found by the next full sync; one of them sorting
			// before this item would cost a rebuild then, which keeps
			// the grouping what a rebuild gives. (Counting feedback
			// versions to rule that out costs more than the Add at
			// 100,000 items.)
			f, v, err := s.FeedbackItem(ctx, itemID)
			if err != nil {
				return "", err
			}
			if v == 1 && st.after(f) {
				st.add(f)
				return st.publicID(st.ix.Theme(itemID)), nil
			}
		}
	}
	st, err := s.syncThemes(ctx)
	if err != nil {
		return "", err
	}
	t := st.ix.Theme(itemID)
	if t == "" {
		return "", tandem.Errorf(tandem.ENOTFOUND, "no feedback item %q", itemID)
	}
	return st.publicID(t), nil
}

// ---- Snapshots ----

// themeSnap is a read-only picture of the grouping, taken under the
// cache lock and read without it.
type themeSnap struct {
	items   []tandem.Feedback
	byID    map[string]int
	themes  []themeGroup
	byTheme map[string]int    // public id → index into themes
	themeOf map[string]string // item id → public theme id
	pinned  map[string]bool
	merged  map[string][]string // public id → ids of themes merged into it
	skipped []string
}

// themeGroup is one theme's members as indexes into themeSnap.items, in
// the order they were added.
type themeGroup struct {
	id      string
	members []int
}

// themeSnapshot returns the current grouping.
func (s *Service) themeSnapshot(ctx context.Context) (*themeSnap, error) {
	var snap *themeSnap
	err := s.withThemes(ctx, func(st *themeState) error {
		if st.snap != nil {
			snap = st.snap
			return nil
		}
		items, byID, err := s.feedbackSnapshot(ctx)
		if err != nil {
			return err
		}
		sn := &themeSnap{items: items, byID: byID, byTheme: map[string]int{}, themeOf: make(map[string]string, len(items)),
			pinned: map[string]bool{}, merged: map[string][]string{}, skipped: slices.Clone(st.skipped)}
		for t, ids := range st.ix.Themes() {
			g := themeGroup{id: st.publicID(t), members: make([]int, 0, len(ids))}
			for _, id := range ids {
				if i, ok := byID[id]; ok {
					g.members = append(g.members, i)
					sn.themeOf[id] = g.id
				}
			}
			sn.themes = append(sn.themes, g)
		}
		slices.SortFunc(sn.themes, func(a, b themeGroup) int { return strings.Compare(a.id, b.id) })
		for i, g := range sn.themes {
			sn.byTheme[g.id] = i
		}
		for _, o := range st.ops {
			switch o.op.Op {
			case "split":
				sn.pinned[o.op.From] = st.ix.Pinned(o.op.From)
			case "merge":
				if into := sn.themeOf[o.op.Into]; into != "" && ThemeIDPrefix+o.op.From != into {
					sn.merged[into] = append(sn.merged[into], ThemeIDPrefix+o.op.From)
				}
			}
		}
		st.snap, snap = sn, sn
		return nil
	})
	return snap, err
}

// current returns the public id a (possibly old) theme id resolves to now,
// or "".
func (sn *themeSnap) current(id string) string {
	item, ok := strings.CutPrefix(id, ThemeIDPrefix)
	if !ok {
		return ""
	}
	return sn.themeOf[item]
}

// ---- Reads ----

// ThemeSummary is a theme with its counts.
type ThemeSummary struct {
	ID string `json:"id"`
	// Title is the title people gave it, or the anchor item's title or
	// the start of its text; Named says which.
	Title    string    `json:"title"`
	Named    bool      `json:"named"`
	Items    int       `json:"items"`
	Accounts int       `json:"accounts"` // distinct accounts of its items and votes
	Votes    int       `json:"votes"`    // accounts that voted for it
	Features []string  `json:"features"` // linked feature ids
	LatestAt time.Time `json:"latest_at"`
}

// ThemeQuery selects themes of the list; zero fields do not filter.
type ThemeQuery struct {
	Text     string // words all found in the title or in a member's title or text
	MinItems int    // at least this many items (0: 1)
	Limit    int    // 0: 50
	Offset   int
}

// ThemeList is one page of themes, the largest first.
type ThemeList struct {
	Themes []ThemeSummary `json:"themes"`
	Total  int            `json:"total"` // themes matching, all pages
	// Items is the number of items indexed; Method and Threshold say
	// how they are grouped.
	Items     int     `json:"items"`
	Method    string  `json:"method"`
	Threshold float64 `json:"threshold"`
}

// ThemeMethod describes the grouping for pages and the API.
const ThemeMethod = "MinHash/LSH over word unigrams and bigrams; an item joins the theme of its most similar earlier item when their Jaccard similarity is at least the threshold"

// themeExtras are the stored documents a theme view reads besides the
// grouping: titles and links, and votes resolved to current themes.
type themeExtras struct {
	info     map[string]tandem.ThemeInfo
	versions map[string]int
	votes    map[string][]tandem.Vote // current theme id → one vote per account
	orphans  int                      // votes whose theme no longer resolves
}

// themeExtras reads titles, links and votes.
func (s *Service) themeExtras(ctx context.Context, sn *themeSnap) (*themeExtras, error) {
	x := &themeExtras{info: map[string]tandem.ThemeInfo{}, versions: map[string]int{}, votes: map[string][]tandem.Vote{}}
	docs, err := s.store.Docs(ctx, tandem.DocTheme, "")
	if err != nil {
		return nil, err
	}
	infos, err := decodeDocs[tandem.ThemeInfo](docs)
	if err != nil {
		return nil, err
	}
	// A theme shows the info stored under its own id; failing that, the
	// info of a theme id that now resolves to it (a theme merged into it,
	// or its old id when a rebuild gave it an earlier anchor). Versions
	// are those of its own document, the one an edit writes.
	for i, d := range docs {
		if d.ID == sn.current(d.ID) {
			x.info[d.ID], x.versions[d.ID] = infos[i], d.Version
		}
	}
	for i, d := range docs {
		if cur := sn.current(d.ID); cur != "" && cur != d.ID {
			if _, own := x.versions[cur]; !own && x.info[cur].ID == "" {
				info := infos[i]
				info.ID = cur
				x.info[cur] = info
			}
		}
	}
	votes, err := docsOf[tandem.Vote](ctx, s, tandem.DocVote, "")
	if err != nil {
		return nil, err
	}
	// One vote per account and current theme: when themes an account
	// voted for were merged, the strongest importance counts, with the
	// latest note.
	type key struct{ theme, account string }
	best := map[key]tandem.Vote{}
	var order []key
	for _, v := range votes {
		cur := sn.current(v.Theme)
		if cur == "" {
			x.orphans++
			continue
		}
		k := key{cur, v.AccountID}
		old, seen := best[k]
		if !seen {
			order = append(order, k)
			best[k] = v
			continue
		}
		if importanceRank(v.Importance) > importanceRank(old.Importance) || importanceRank(v.Importance) == importanceRank(old.Importance) && v.At.After(old.At) {
			best[k] = v
		}
	}
	for _, k := range order {
		x.votes[k.theme] = append(x.votes[k.theme], best[k])
	}
	return x, nil
}

// importanceRank orders importance levels, weakest first.
func importanceRank(s string) int {
	switch s {
	case tandem.ImportanceNice:
		return 1
	case tandem.ImportanceImportant:
		return 2
	case tandem.ImportanceCritical:
		return 3
	}
	return 0
}

// summary builds a theme's summary.
func (sn *themeSnap) summary(g themeGroup, x *themeExtras) ThemeSummary {
	ts := ThemeSummary{ID: g.id, Items: len(g.members), Features: []string{}}
	accounts := map[string]bool{}
	for _, i := range g.members {
		f := sn.items[i]
		if f.AccountID != "" {
			accounts[f.AccountID] = true
		}
		if f.ReceivedAt.After(ts.LatestAt) {
			ts.LatestAt = f.ReceivedAt
		}
	}
	for _, v := range x.votes[g.id] {
		accounts[v.AccountID] = true
	}
	ts.Accounts, ts.Votes = len(accounts), len(x.votes[g.id])
	info := x.info[g.id]
	if info.Title != "" {
		ts.Title, ts.Named = info.Title, true
	} else if i, ok := sn.byID[strings.TrimPrefix(g.id, ThemeIDPrefix)]; ok {
		ts.Title = feedbackTitle(sn.items[i])
	}
	if info.Features != nil {
		ts.Features = info.Features
	}
	return ts
}

// Themes lists themes matching q, the largest first (then most voted,
// then by id).
func (s *Service) Themes(ctx context.Context, q ThemeQuery) (*ThemeList, error) {
	sn, err := s.themeSnapshot(ctx)
	if err != nil {
		return nil, err
	}
	x, err := s.themeExtras(ctx, sn)
	if err != nil {
		return nil, err
	}
	words := strings.Fields(strings.ToLower(q.Text))
	minItems := max(q.MinItems, 1)
	var all []ThemeSummary
	for _, g := range sn.themes {
		if len(g.members) < minItems {
			continue
		}
		ts := sn.summary(g, x)
		if len(words) > 0 && !sn.themeMatches(g, ts.Title, words) {
			continue
		}
		all = append(all, ts)
	}
	slices.SortFunc(all, func(a, b ThemeSummary) int {
		return cmp.Or(cmp.Compare(b.Items, a.Items), cmp.Compare(b.Votes, a.Votes), strings.Compare(a.ID, b.ID))
	})
	out := &ThemeList{Total: len(all), Items: len(sn.items), Method: ThemeMethod, Threshold: themes.DefaultThreshold, Themes: []ThemeSummary{}}
	limit := cmp.Or(q.Limit, 50)
	if q.Offset < len(all) {
		out.Themes = all[q.Offset:min(len(all), q.Offset+limit)]
	}
	return out, nil
}

// themeMatches reports whether every word is in the title or in one
// member's title or text.
func (sn *themeSnap) themeMatches(g themeGroup, title string, words []string) bool {
	hay := []string{strings.ToLower(title)}
	for _, i := range g.members {
		hay = append(hay, strings.ToLower(sn.items[i].Title+"\n"+sn.items[i].Text))
	}
	for _, w := range words {
		found := false
		for _, h := range hay {
			if strings.Contains(h, w) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// ThemeItem is one member of a theme as a theme shows it.
type ThemeItem struct {
	ID         string                `json:"id"`
	Title      string                `json:"title"`
	Excerpt    string                `json:"excerpt"` // the text, shortened to 300 characters
	Source     string                `json:"source"`
	AccountID  string                `json:"account_id,omitempty"`
	DealID     string                `json:"deal_id,omitempty"`
	Status     tandem.FeedbackStatus `json:"status"`
	ReceivedAt time.Time             `json:"received_at"`
	Anchor     bool                  `json:"anchor"` // the item the theme's id names
	Pinned     bool                  `json:"pinned"` // split off by hand
}

// ThemeDetail is a theme with its items, votes, title and links.
type ThemeDetail struct {
	Theme ThemeSummary `json:"theme"`
	// Info is the title and links as stored, Version its version (0:
	// never saved), the version an edit must name.
	Info     tandem.ThemeInfo `json:"info"`
	Version  int              `json:"version"`
	Items    []ThemeItem      `json:"items"`
	Votes    []tandem.Vote    `json:"votes"`
	Counts   VoteCounts       `json:"vote_counts"`
	Features []Ref            `json:"features"`
	// Merged lists the ids of themes merged into this one; they resolve
	// here.
	Merged []string `json:"merged"`
}

// VoteCounts counts a theme's votes by importance.
type VoteCounts struct {
	Nice      int `json:"nice"`
	Important int `json:"important"`
	Critical  int `json:"critical"`
	Total     int `json:"total"`
}

func countVotes(vs []tandem.Vote) VoteCounts {
	var c VoteCounts
	for _, v := range vs {
		switch v.Importance {
		case tandem.ImportanceCritical:
			c.Critical++
		case tandem.ImportanceImportant:
			c.Important++
		default:
			c.Nice++
		}
	}
	c.Total = len(vs)
	return c
}

// Theme returns a theme by id. An id of a theme merged into another
// returns the surviving theme (its Theme.ID says which).
func (s *Service) Theme(ctx context.Context, id string) (*ThemeDetail, error) {
	sn, err := s.themeSnapshot(ctx)
	if err != nil {
		return nil, err
	}
	cur := sn.current(id)
	gi, ok := sn.byTheme[cur]
	if !ok {
		return nil, tandem.Errorf(tandem.ENOTFOUND, "no theme %q", id)
	}
	x, err := s.themeExtras(ctx, sn)
	if err != nil {
		return nil, err
	}
	g := sn.themes[gi]
	d := &ThemeDetail{Theme: sn.summary(g, x), Info: x.info[cur], Version: x.versions[cur], Items: []ThemeItem{},
		Votes: slices.Clone(x.votes[cur]), Merged: slices.Clone(sn.merged[cur])}
	if d.Info.ID == "" {
		d.Info.ID = cur
	}
	if d.Votes == nil {
		d.Votes = []tandem.Vote{}
	}
	if d.Merged == nil {
		d.Merged = []string{}
	}
	slices.SortFunc(d.Votes, func(a, b tandem.Vote) int {
		return cmp.Or(cmp.Compare(importanceRank(b.Importance), importanceRank(a.Importance)), strings.Compare(a.AccountID, b.AccountID))
	})
	d.Counts = countVotes(d.Votes)
	anchor := strings.TrimPrefix(cur, ThemeIDPrefix)
	for _, i := range g.members {
		f := sn.items[i]
		d.Items = append(d.Items, ThemeItem{ID: f.ID, Title: feedbackTitle(f), Excerpt: excerpt(f.Text, 300), Source: f.Source,
			AccountID: f.AccountID, DealID: f.DealID, Status: f.Status, ReceivedAt: f.ReceivedAt, Anchor: f.ID == anchor, Pinned: sn.pinned[f.ID]})
	}
	if d.Features, err = s.refs(ctx, "features", d.Info.Features); err != nil {
		return nil, err
	}
	return d, nil
}

// excerpt shortens text to n characters, on one line.
func excerpt(text string, n int) string {
	t := strings.Join(strings.Fields(text), " ")
	if utf8.RuneCountInString(t) > n {
		r := []rune(t)
		t = string(r[:n-3]) + "..."
	}
	return t
}

// ---- Writes ----

// nextThemeOpID is the id of the next manual operation.
func nextThemeOpID(st *themeState) string { return fmt.Sprintf("op-%08d", len(st.ops)+1) }

// writeThemeOp stores a manual operation and applies it to the live
// index; the cache lock must be held and st synced. The op is replayed
// after the item added last, which is what the live index does.
func (s *Service) writeThemeOp(ctx context.Context, st *themeState, a Actor, op tandem.ThemeOp, action, target string, before, after any) error {
	op.After, op.By, op.At = st.lastID, a.Name, s.now().UTC()
	id := nextThemeOpID(st)
	audit := s.entry(a, action, target, before, after)
	if err := s.store.PutDoc(ctx, s.newDoc(a, tandem.DocThemeOp, id, "", 1, op, ""), &audit); err != nil {
		if tandem.ErrorCode(err) == tandem.ECONFLICT {
			s.themes.st = nil // another process wrote an op: rebuild next time
			return tandem.Errorf(tandem.ECONFLICT, "someone changed themes at the same moment; reload and try again")
		}
		return err
	}
	if err := st.apply(op); err != nil {
		return fmt.Errorf("apply theme op %s: %w", id, err)
	}
	st.ops = append(st.ops, themeOpDoc{id: id, op: op})
	stamp, err := s.store.DocsStamp(ctx, tandem.DocThemeOp)
	if err != nil {
		return err
	}
	if stamp == st.opsStamp+1 {
		st.opsStamp = stamp
	} // else: someone else wrote too; the next sync decides whether to rebuild
	return nil
}

// MergeThemes folds theme from into theme into, which keeps its id,
// title and links; from's id resolves to into from now on, so its votes
// count there.
func (s *Service) MergeThemes(ctx context.Context, a Actor, into, from string) (ThemeSummary, error) {
	var id string
	err := s.withThemes(ctx, func(st *themeState) error {
		ti, err := st.resolve(into)
		if err != nil {
			return err
		}
		tf, err := st.resolve(from)
		if err != nil {
			return tandem.Errorf(tandem.EINVALID, "from: %s", tandem.ErrorMessage(err))
		}
		if ti == tf {
			return tandem.Errorf(tandem.EINVALID, "%s and %s are already the same theme", into, from)
		}
		id = st.publicID(ti)
		fromID := st.publicID(tf)
		op := tandem.ThemeOp{Op: "merge", Into: strings.TrimPrefix(id, ThemeIDPrefix), From: strings.TrimPrefix(fromID, ThemeIDPrefix)}
		return s.writeThemeOp(ctx, st, a, op, "theme.merge", id,
			map[string]any{"into": id, "into_items": len(st.ix.Members(ti)), "from": fromID, "from_items": len(st.ix.Members(tf))},
			map[string]any{"theme": id, "items": len(st.ix.Members(ti)) + len(st.ix.Members(tf))})
	})
	if err != nil {
		return ThemeSummary{}, err
	}
	return s.themeSummary(ctx, id)
}

// SplitItem moves one item out of its theme into a new theme that it
// anchors; the item is pinned there, and new items resembling it join it.
func (s *Service) SplitItem(ctx context.Context, a Actor, itemID string) (ThemeSummary, error) {
	err := s.withThemes(ctx, func(st *themeState) error {
		t := st.ix.Theme(itemID)
		if t == "" {
			return tandem.Errorf(tandem.ENOTFOUND, "no feedback item %q", itemID)
		}
		members := st.ix.Members(t)
		if len(members) == 1 {
			return tandem.Errorf(tandem.EINVALID, "item %s is alone in its theme %s already", itemID, st.publicID(t))
		}
		old := st.publicID(t)
		return s.writeThemeOp(ctx, st, a, tandem.ThemeOp{Op: "split", From: itemID}, "theme.split", ThemeIDPrefix+itemID,
			map[string]any{"item": itemID, "theme": old, "items": len(members)},
			map[string]any{"item": itemID, "theme": ThemeIDPrefix + itemID})
	})
	if err != nil {
		return ThemeSummary{}, err
	}
	return s.themeSummary(ctx, ThemeIDPrefix+itemID)
}

// themeSummary is one theme's summary.
func (s *Service) themeSummary(ctx context.Context, id string) (ThemeSummary, error) {
	sn, err := s.themeSnapshot(ctx)
	if err != nil {
		return ThemeSummary{}, err
	}
	gi, ok := sn.byTheme[sn.current(id)]
	if !ok {
		return ThemeSummary{}, tandem.Errorf(tandem.ENOTFOUND, "no theme %q", id)
	}
	x, err := s.themeExtras(ctx, sn)
	if err != nil {
		return ThemeSummary{}, err
	}
	return sn.summary(sn.themes[gi], x), nil
}

// canonicalTheme resolves id to the current public id of its theme.
func (s *Service) canonicalTheme(ctx context.Context, id string) (string, error) {
	var cur string
	err := s.withThemes(ctx, func(st *themeState) error {
		t, err := st.resolve(strings.TrimSpace(id))
		cur = st.publicID(t)
		return err
	})
	return cur, err
}

// PutThemeInfo stores a theme's title and links as the next version after
// expect (the version the editor started from; 0 when never saved), so
// two editors cannot overwrite each other unnoticed. Features must exist;
// specials are free text for now.
func (s *Service) PutThemeInfo(ctx context.Context, a Actor, id string, info tandem.ThemeInfo, expect int) (tandem.ThemeInfo, int, error) {
	cur, err := s.canonicalTheme(ctx, id)
	if err != nil {
		return info, 0, err
	}
	if cur != id {
		return info, 0, tandem.Errorf(tandem.EINVALID, "theme %s is now %s (merged into it, or re-anchored on an earlier item): edit %s", id, cur, cur)
	}
	info.ID = cur
	info.Title = strings.Join(strings.Fields(info.Title), " ")
	var probs []string
	if utf8.RuneCountInString(info.Title) > 200 {
		probs = append(probs, "title: longer than 200 characters")
	}
	if !utf8.ValidString(info.Title) {
		probs = append(probs, "title: not valid UTF-8")
	}
	info.Features = cleanList(info.Features)
	info.Specials = cleanList(info.Specials)
	if len(info.Features) > 0 {
		known, err := s.store.IDs(ctx, "features")
		if err != nil {
			return info, 0, err
		}
		for _, f := range info.Features {
			if _, ok := known[f]; !ok {
				probs = append(probs, fmt.Sprintf("features: no feature %q", f))
			}
		}
	}
	for _, sp := range info.Specials {
		if utf8.RuneCountInString(sp) > 200 {
			probs = append(probs, fmt.Sprintf("specials: %.40q… is longer than 200 characters", sp))
		}
	}
	if len(probs) > 0 {
		return info, 0, tandem.Errorf(tandem.EINVALID, "theme %s: %s", cur, strings.Join(probs, "; "))
	}
	old, v, err := docOf[tandem.ThemeInfo](ctx, s, tandem.DocTheme, cur, 0)
	if err != nil && tandem.ErrorCode(err) != tandem.ENOTFOUND {
		return info, 0, err
	}
	if expect != v {
		return info, v, tandem.Errorf(tandem.ECONFLICT, "theme %s is at version %d; you edited version %d: reload and apply your change again", cur, v, expect)
	}
	var before any
	if v > 0 {
		before = old
	}
	audit := s.entry(a, "theme.save", cur, before, info)
	if err := s.store.PutDoc(ctx, s.newDoc(a, tandem.DocTheme, cur, "", v+1, info, ""), &audit); err != nil {
		return info, v, err
	}
	return info, v + 1, nil
}

// cleanList trims entries, drops empty ones and duplicates, keeping order.
func cleanList(l []string) []string {
	var out []string
	for _, x := range l {
		if x = strings.TrimSpace(x); x != "" && !slices.Contains(out, x) {
			out = append(out, x)
		}
	}
	return out
}

// RecordVote records that an account wants a theme, with importance
// (nice, important or critical; empty means nice). The vote is stored
// under the theme's current id; a second vote of the same account for
// the same theme is a new version of the first. By and At default to the
// actor and now (an import may carry its own).
func (s *Service) RecordVote(ctx context.Context, a Actor, v tandem.Vote) error {
	_, err := s.SaveVote(ctx, a, v)
	return err
}

// SaveVote is RecordVote returning the vote as stored.
func (s *Service) SaveVote(ctx context.Context, a Actor, v tandem.Vote) (tandem.Vote, error) {
	cur, err := s.canonicalTheme(ctx, v.Theme)
	if err != nil {
		return v, err
	}
	v.Theme = cur
	v.AccountID = strings.TrimSpace(v.AccountID)
	v.Importance = cmp.Or(strings.TrimSpace(v.Importance), tandem.ImportanceNice)
	v.Note = strings.TrimSpace(v.Note)
	var probs []string
	if importanceRank(v.Importance) == 0 {
		probs = append(probs, fmt.Sprintf("importance: %q is not nice, important or critical", v.Importance))
	}
	if utf8.RuneCountInString(v.Note) > 2000 || !utf8.ValidString(v.Note) {
		probs = append(probs, "note: longer than 2000 characters or not valid UTF-8")
	}
	if v.AccountID == "" {
		probs = append(probs, "account_id: required")
	} else if _, err := s.store.Get(ctx, "accounts", v.AccountID); tandem.ErrorCode(err) == tandem.ENOTFOUND {
		probs = append(probs, fmt.Sprintf("account_id: no account %q", v.AccountID))
	} else if err != nil {
		return v, err
	}
	if len(probs) > 0 {
		return v, tandem.Errorf(tandem.EINVALID, "vote refused: %s", strings.Join(probs, "; "))
	}
	v.By = cmp.Or(strings.TrimSpace(v.By), a.Name)
	if v.At.IsZero() {
		v.At = s.now()
	}
	v.At = v.At.UTC()
	id := cur + "/" + v.AccountID
	old, ver, err := docOf[tandem.Vote](ctx, s, tandem.DocVote, id, 0)
	if err != nil && tandem.ErrorCode(err) != tandem.ENOTFOUND {
		return v, err
	}
	var before any
	if ver > 0 {
		before = old
	}
	audit := s.entry(a, "vote.save", id, before, v)
	if err := s.store.PutDoc(ctx, s.newDoc(a, tandem.DocVote, id, cur, ver+1, v, ""), &audit); err != nil {
		return v, err
	}
	return v, nil
}

// ---- Ranking ----

// RankingQuery asks for the ranking.
type RankingQuery struct {
	// Sort is one of RankingSorts (empty: total).
	Sort string
	// CustomerData includes ARR; roles without customers:read get the
	// ranking without it.
	CustomerData bool
	// MinN is the minimum sample for a stage's own win rate (0:
	// RankingMinSample).
	MinN   int
	Limit  int // 0: every theme
	Offset int
}

// Ranking ranks themes by the revenue at stake.
type Ranking struct {
	AsOf        time.Time         `json:"as_of"`
	Sort        string            `json:"sort"`
	Total       int               `json:"total"` // themes ranked, all pages
	Rows        []RankRow         `json:"rows"`
	Stages      []StageRate       `json:"stages"`
	OverallWin  Proportion        `json:"overall_win_rate"`
	MinN        int               `json:"min_n"`
	Definitions map[string]string `json:"definitions"`
	Notes       []string          `json:"notes"`
}

// RankRow is one theme's revenue at stake, each figure with its count.
type RankRow struct {
	Rank     int        `json:"rank"`
	Theme    string     `json:"theme"`
	Title    string     `json:"title"`
	Items    int        `json:"items"`
	Accounts int        `json:"accounts"`
	Votes    VoteCounts `json:"votes"`
	// ARR is absent for roles that do not read customer data.
	ARR      *ARRFigure     `json:"arr,omitempty"`
	Pipeline PipelineFigure `json:"pipeline"`
	Lost     LostFigure     `json:"lost"`
	// Sum is arr + pipeline + lost (pipeline + lost without ARR), the
	// default sort.
	Sum float64 `json:"total"`
}

// ARRFigure is customers' ARR with the accounts it counts.
type ARRFigure struct {
	Value    float64 `json:"value"`
	Accounts int     `json:"accounts"` // accounts with an active subscription
}

// PipelineFigure is the stage-weighted open pipeline with its deals.
type PipelineFigure struct {
	Value    float64 `json:"value"`    // Σ amount × stage probability
	Amount   float64 `json:"amount"`   // Σ amount, unweighted
	Deals    int     `json:"deals"`    // open deals counted
	Fallback int     `json:"fallback"` // of which weighted by the overall win rate (stage under the minimum sample)
}

// LostFigure is the revenue of lost deals that cited the theme.
type LostFigure struct {
	Value  float64 `json:"value"`
	Deals  int     `json:"deals"`
	Linked int     `json:"linked"` // named by an item of the theme
	Cited  int     `json:"cited"`  // whose reasons name a linked feature
}

// StageRate is the empirical win probability of deals that entered a
// stage: closed deals that entered it and were won, of closed deals that
// entered it, with the Wilson interval. Used is what open deals in the
// stage are weighted by: the stage's own rate, or the overall win rate
// when the stage has fewer than the minimum sample.
type StageRate struct {
	Stage    string     `json:"stage"`
	Rate     Proportion `json:"rate"`
	Used     float64    `json:"used"`
	Fallback bool       `json:"fallback"`
	Open     int        `json:"open"` // open deals now in the stage
}

// rankDeal is what the ranking needs of a deal.
type rankDeal struct {
	account, outcome, stage string
	amount                  float64
}

// rankData is the revenue data a ranking reads, once per ranking.
type rankData struct {
	arr       map[string]float64 // account → ARR
	deals     map[string]rankDeal
	byAccount map[string][]string // account → deal ids, sorted
	prob      map[string]float64  // stage → probability used
	fallback  map[string]bool
	stages    []StageRate
	overall   Proportion
	citing    map[string][]string // feature → lost deal ids whose reasons name it
}

// loadRankData reads subscriptions, deals, stage history and recorded
// reasons.
func (s *Service) loadRankData(ctx context.Context, withARR bool, minN int) (*rankData, error) {
	d := &rankData{arr: map[string]float64{}, deals: map[string]rankDeal{}, byAccount: map[string][]string{},
		prob: map[string]float64{}, fallback: map[string]bool{}, citing: map[string][]string{}}
	if withARR {
		se, err := s.cat.Entity("subscriptions")
		if err != nil {
			return nil, err
		}
		if err := s.store.Scan(ctx, "subscriptions", func(r tandem.Record) error {
			// Only subscriptions marked active count: a churned one, or
			// one whose status nobody recorded, is no revenue at stake.
			if !strings.EqualFold(strings.TrimSpace(text(se, r, "status")), "active") {
				return nil
			}
			if m := number(se, r, "mrr"); m != nil && !math.IsNaN(*m) && !math.IsInf(*m, 0) {
				d.arr[text(se, r, "account_id")] += 12 * *m
			}
			return nil
		}); err != nil {
			return nil, fmt.Errorf("ranking: read subscriptions: %w", err)
		}
	}
	de, err := s.cat.Entity("deals")
	if err != nil {
		return nil, err
	}
	var crmReasons = map[string][]string{} // lost deal → CRM loss reasons
	if err := s.store.Scan(ctx, "deals", func(r tandem.Record) error {
		rd := rankDeal{account: text(de, r, "account_id"), outcome: text(de, r, "outcome"), stage: text(de, r, "stage")}
		if n := number(de, r, "amount"); n != nil && !math.IsNaN(*n) {
			rd.amount = *n
		}
		d.deals[r.ID()] = rd
		if rd.account != "" {
			d.byAccount[rd.account] = append(d.byAccount[rd.account], r.ID())
		}
		if rd.outcome == "lost" {
			if l, _ := Value(de, r, "loss_reasons").([]string); len(l) > 0 {
				crmReasons[r.ID()] = l
			}
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("ranking: read deals: %w", err)
	}

	// Stage probabilities from the stage history of closed deals.
	ste, err := s.cat.Entity("deal_stages")
	if err != nil {
		return nil, err
	}
	entered := map[string]map[string]bool{}
	if err := s.store.Scan(ctx, "deal_stages", func(r tandem.Record) error {
		id, st := text(ste, r, "deal_id"), text(ste, r, "stage")
		if entered[id] == nil {
			entered[id] = map[string]bool{}
		}
		entered[id][st] = true
		return nil
	}); err != nil {
		return nil, fmt.Errorf("ranking: read stage history: %w", err)
	}
	k, n := map[string]int{}, map[string]int{}
	open := map[string]int{}
	won, closed := 0, 0
	for id, rd := range d.deals {
		switch rd.outcome {
		case "won", "lost":
			closed++
			if rd.outcome == "won" {
				won++
			}
			for st := range entered[id] {
				n[st]++
				if rd.outcome == "won" {
					k[st]++
				}
			}
		case "open":
			open[rd.stage]++
		}
	}
	d.overall = proportion(won, closed, minN)
	for _, st := range slices.Sorted(maps.Keys(merge(n, open))) {
		sr := StageRate{Stage: st, Rate: proportion(k[st], n[st], minN), Open: open[st]}
		if n[st] >= minN {
			sr.Used = sr.Rate.Value
		} else {
			sr.Used, sr.Fallback = d.overall.Value, true
			sr.Rate.Note = fmt.Sprintf("insufficient data (n=%d, under %d): the overall win rate is used", n[st], minN)
		}
		d.prob[st], d.fallback[st] = sr.Used, sr.Fallback
		d.stages = append(d.stages, sr)
	}
	for _, ids := range d.byAccount {
		slices.Sort(ids)
	}

	// Lost deals whose recorded reasons name a feature.
	var mapper *winloss.Mapper
	tax, _, err := docOf[tandem.Taxonomy](ctx, s, tandem.DocTaxonomy, "active", 0)
	switch {
	case err == nil:
		mapper = winloss.NewMapper(tax)
	case tandem.ErrorCode(err) != tandem.ENOTFOUND:
		return nil, err
	}
	codes := map[string][]string{} // lost deal → reason codes
	wls, err := docsOf[tandem.WinLoss](ctx, s, tandem.DocWinLoss, "")
	if err != nil {
		return nil, err
	}
	for _, wl := range wls {
		for _, r := range wl.Reasons {
			codes[wl.DealID] = append(codes[wl.DealID], r.Code)
		}
	}
	ivs, err := docsOf[tandem.Interview](ctx, s, tandem.DocInterview, "")
	if err != nil {
		return nil, err
	}
	for _, iv := range ivs {
		for _, r := range iv.Reasons {
			codes[iv.DealID] = append(codes[iv.DealID], r.Code)
		}
	}
	if mapper != nil {
		for id, texts := range crmReasons {
			for _, t := range texts {
				if c, ok := mapper.Map(t); ok {
					codes[id] = append(codes[id], c)
				}
			}
		}
	}
	for id, cs := range codes {
		if d.deals[id].outcome != "lost" {
			continue
		}
		features := map[string]bool{}
		for _, c := range cs {
			if f, ok := strings.CutPrefix(c, tandem.ReasonFeature+":"); ok && f != "" {
				features[f] = true
			}
			if mapper != nil {
				if def, ok := mapper.Def(c); ok && def.Feature != "" {
					features[def.Feature] = true
				}
			}
		}
		for f := range features {
			d.citing[f] = append(d.citing[f], id)
		}
	}
	return d, nil
}

// merge returns the union of two count maps' keys (values unused).
func merge(a, b map[string]int) map[string]int {
	out := maps.Clone(a)
	for k := range b {
		out[k] += 0
	}
	return out
}

// rankingDefinitions say what each figure of the ranking is.
func rankingDefinitions(minN int, withARR bool) map[string]string {
	d := map[string]string{
		"pipeline": fmt.Sprintf("open pipeline weighted by stage probability: open deals of the theme's accounts (accounts of its items and accounts that voted) and open deals its items name, each amount × the share of closed deals that entered the deal's current stage and were won; stages with fewer than %d such closed deals use the overall win rate (fallback counts those deals)", minN),
		"lost":     "lost revenue that cited the theme: lost deals an item of the theme names (linked), and lost deals whose recorded reasons (win/loss records, buyer interviews, CRM loss reasons read through the reason taxonomy) name a feature linked to the theme (cited); sum of their amounts, each deal once",
		"votes":    "accounts that voted for the theme, by importance; an account counts once per theme (its strongest vote when themes it voted for were merged)",
		"items":    "feedback items in the theme; accounts: distinct accounts of its items and of its votes",
		"win_rate": "won / (won + lost) over closed deals; open deals are not losses (Wilson 95% interval)",
	}
	if withARR {
		d["arr"] = "customers' ARR: 12 × MRR of the subscriptions with status active (churned ones and ones without a status are left out) of the theme's accounts (accounts of its items and accounts that voted); accounts: those with an active subscription"
		d["total"] = "arr + pipeline + lost: the default sort. ARR is recurring revenue of current customers, pipeline and lost are deal amounts; each is also shown on its own"
	} else {
		d["total"] = "pipeline + lost (ARR is left out for your role): the default sort"
	}
	return d
}

// ThemeRanking ranks every theme by the revenue at stake: customers'
// ARR, open pipeline weighted by stage probability, and lost revenue that
// cited it, each with its counts.
func (s *Service) ThemeRanking(ctx context.Context, q RankingQuery) (*Ranking, error) {
	q.Sort = cmp.Or(strings.TrimSpace(q.Sort), SortTotal)
	if !slices.Contains(RankingSorts(), q.Sort) {
		return nil, tandem.Errorf(tandem.EINVALID, "sort: %q is not one of %s", q.Sort, strings.Join(RankingSorts(), ", "))
	}
	if q.Sort == SortARR && !q.CustomerData {
		return nil, tandem.Errorf(tandem.EFORBIDDEN, "sorting by ARR needs customers:read, which your role does not have")
	}
	if q.Limit < 0 || q.Offset < 0 {
		return nil, tandem.Errorf(tandem.EINVALID, "limit and offset must not be negative")
	}
	minN := cmp.Or(q.MinN, RankingMinSample)
	sn, err := s.themeSnapshot(ctx)
	if err != nil {
		return nil, err
	}
	x, err := s.themeExtras(ctx, sn)
	if err != nil {
		return nil, err
	}
	data, err := s.loadRankData(ctx, q.CustomerData, minN)
	if err != nil {
		return nil, err
	}
	rk := &Ranking{AsOf: s.now().UTC(), Sort: q.Sort, Rows: []RankRow{}, Stages: data.stages, OverallWin: data.overall, MinN: minN,
		Definitions: rankingDefinitions(minN, q.CustomerData), Notes: []string{}}
	if rk.Stages == nil {
		rk.Stages = []StageRate{}
	}
	if !q.CustomerData {
		rk.Notes = append(rk.Notes, "customers' ARR is left out: your role does not read customer data (customers:read)")
	}
	var fallback int
	for _, g := range sn.themes {
		row := rankTheme(sn, x, data, g)
		if !q.CustomerData {
			row.ARR = nil
		}
		row.Sum = row.Pipeline.Value + row.Lost.Value
		if row.ARR != nil {
			row.Sum += row.ARR.Value
		}
		fallback += row.Pipeline.Fallback
		rk.Rows = append(rk.Rows, row)
	}
	if fallback > 0 {
		rk.Notes = append(rk.Notes, fmt.Sprintf("%d open deal(s) are in stages with fewer than %d closed deals and are weighted by the overall win rate (%s)", fallback, minN, pct(data.overall)))
	}
	if x.orphans > 0 {
		rk.Notes = append(rk.Notes, fmt.Sprintf("%d vote(s) name a theme that no longer resolves and are not counted", x.orphans))
	}
	key := func(r RankRow) float64 {
		switch q.Sort {
		case SortARR:
			return r.ARR.Value
		case SortPipeline:
			return r.Pipeline.Value
		case SortLost:
			return r.Lost.Value
		case SortVotes:
			return float64(r.Votes.Total)
		case SortItems:
			return float64(r.Items)
		}
		return r.Sum
	}
	slices.SortFunc(rk.Rows, func(a, b RankRow) int {
		return cmp.Or(cmp.Compare(key(b), key(a)), cmp.Compare(b.Sum, a.Sum), cmp.Compare(b.Items, a.Items), strings.Compare(a.Theme, b.Theme))
	})
	for i := range rk.Rows {
		rk.Rows[i].Rank = i + 1
	}
	rk.Total = len(rk.Rows)
	end := len(rk.Rows)
	if q.Limit > 0 {
		end = min(end, q.Offset+q.Limit)
	}
	if q.Offset >= len(rk.Rows) {
		rk.Rows = []RankRow{}
	} else {
		rk.Rows = rk.Rows[q.Offset:end]
	}
	return rk, nil
}

// pct prints a proportion as a percentage with its n.
func pct(p Proportion) string {
	return fmt.Sprintf("%.1f%%, n=%d", 100*p.Value, p.N)
}

// rankTheme computes one theme's figures.
func rankTheme(sn *themeSnap, x *themeExtras, d *rankData, g themeGroup) RankRow {
	row := RankRow{Theme: g.id, Title: sn.summary(g, x).Title, Items: len(g.members), ARR: &ARRFigure{}}
	accounts := map[string]bool{}
	itemDeals := map[string]bool{}
	for _, i := range g.members {
		f := sn.items[i]
		if f.AccountID != "" {
			accounts[f.AccountID] = true
		}
		if f.DealID != "" {
			itemDeals[f.DealID] = true
		}
	}
	votes := x.votes[g.id]
	for _, v := range votes {
		accounts[v.AccountID] = true
	}
	row.Votes = countVotes(votes)
	row.Accounts = len(accounts)
	openDeals := map[string]bool{}
	for a := range accounts {
		if v, ok := d.arr[a]; ok {
			row.ARR.Value += v
			row.ARR.Accounts++
		}
		for _, id := range d.byAccount[a] {
			if d.deals[id].outcome == "open" {
				openDeals[id] = true
			}
		}
	}
	lost := map[string]bool{}
	for id := range itemDeals {
		switch d.deals[id].outcome {
		case "open":
			openDeals[id] = true
		case "lost":
			lost[id] = true
			row.Lost.Linked++
		}
	}
	for id := range openDeals {
		rd := d.deals[id]
		p, ok := d.prob[rd.stage]
		if !ok || d.fallback[rd.stage] {
			p = d.overall.Value
			row.Pipeline.Fallback++
		}
		row.Pipeline.Value += rd.amount * p
		row.Pipeline.Amount += rd.amount
	}
	row.Pipeline.Deals = len(openDeals)
	for _, f := range x.info[g.id].Features {
		for _, id := range d.citing[f] {
			if !lost[id] {
				lost[id] = true
				row.Lost.Cited++
			}
		}
	}
	for id := range lost {
		row.Lost.Value += d.deals[id].amount
	}
	row.Lost.Deals = len(lost)
	return row
}

// WriteCSV writes the ranking as CSV, one row per theme, each figure with
// its count; the ARR columns are left out when the ranking has no ARR.
func (rk *Ranking) WriteCSV(w io.Writer) error {
	withARR := rk.Definitions["arr"] != ""
	cw := csv.NewWriter(w)
	head := []string{"rank", "theme", "title", "items", "accounts", "votes", "votes_nice", "votes_important", "votes_critical"}
	if withARR {
		head = append(head, "arr", "arr_accounts")
	}
	head = append(head, "pipeline_weighted", "pipeline_amount", "pipeline_deals", "pipeline_fallback_deals", "lost", "lost_deals", "total")
	if err := cw.Write(head); err != nil {
		return err
	}
	num := func(v float64) string { return strconv.FormatFloat(v, 'f', 2, 64) }
	itoa := strconv.Itoa
	for _, r := range rk.Rows {
		rec := []string{itoa(r.Rank), csvSafe(r.Theme), csvSafe(r.Title), itoa(r.Items), itoa(r.Accounts), itoa(r.Votes.Total),
			itoa(r.Votes.Nice), itoa(r.Votes.Important), itoa(r.Votes.Critical)}
		if withARR {
			var arr ARRFigure
			if r.ARR != nil {
				arr = *r.ARR
			}
			rec = append(rec, num(arr.Value), itoa(arr.Accounts))
		}
		rec = append(rec, num(r.Pipeline.Value), num(r.Pipeline.Amount), itoa(r.Pipeline.Deals), itoa(r.Pipeline.Fallback),
			num(r.Lost.Value), itoa(r.Lost.Deals), num(r.Sum))
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a spreadsheet from reading a text cell as a formula
// (CSV injection): a cell starting with = + - @, a tab or a carriage
// return, also after leading spaces, which spreadsheets skip, gets a
// leading apostrophe. Numbers the ranking writes itself are not passed
// through it.
func csvSafe(s string) string {
	if t := strings.TrimLeft(s, " "); t != "" && strings.ContainsRune("=+-@\t\r\n", rune(t[0])) {
		return "'" + s
	}
	return s
}
