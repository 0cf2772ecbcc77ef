package themes

import (
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

type labelled struct{ id, label, text string }

func readLabelled(t testing.TB) []labelled {
	t.Helper()
	f, err := os.Open("testdata/labelled.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read labelled.csv: %v", err)
	}
	var out []labelled
	for _, r := range rows[1:] {
		out = append(out, labelled{r[0], r[1], r[2]})
	}
	return out
}

// pairScores returns pairwise precision and recall of predicted themes
// against labels: a pair counts as positive when both items share a theme.
func pairScores(items []labelled, theme func(id string) string) (precision, recall float64) {
	var tp, fp, fn int
	for i := range items {
		for j := i + 1; j < len(items); j++ {
			pred := theme(items[i].id) == theme(items[j].id)
			truth := items[i].label == items[j].label
			switch {
			case pred && truth:
				tp++
			case pred:
				fp++
			case truth:
				fn++
			}
		}
	}
	precision, recall = 1, 1
	if tp+fp > 0 {
		precision = float64(tp) / float64(tp+fp)
	}
	if tp+fn > 0 {
		recall = float64(tp) / float64(tp+fn)
	}
	return precision, recall
}

func groupLabelled(items []labelled, opt Options) *Index {
	ix := New(opt)
	for _, it := range items {
		ix.Add(it.id, it.text)
	}
	return ix
}

// TestGroupingQuality measures pairwise precision and recall on the
// hand-labelled sample. The asserted floors are what the default method
// reaches on this sample with margin; the sweep over thresholds is logged
// for information only and is not used to pick the default.
func TestGroupingQuality(t *testing.T) {
	items := readLabelled(t)
	for _, th := range []float64{0.2, 0.25, 0.3, 0.4, 0.5, 0.6} {
		ix := groupLabelled(items, Options{Threshold: th})
		p, r := pairScores(items, ix.Theme)
		t.Logf("threshold %.2f: %d items, %d themes, pairwise precision %.3f recall %.3f F1 %.3f",
			th, len(items), len(ix.Themes()), p, r, 2*p*r/(p+r))
	}
	ix := groupLabelled(items, Options{})
	p, r := pairScores(items, ix.Theme)
	t.Logf("default threshold %.2f: pairwise precision %.3f recall %.3f F1 %.3f", DefaultThreshold, p, r, 2*p*r/(p+r))
	if p < 0.9 {
		t.Errorf("pairwise precision %.3f, want >= 0.9", p)
	}
	if r < 0.5 {
		t.Errorf("pairwise recall %.3f, want >= 0.5", r)
	}
}

func TestDeterministic(t *testing.T) {
	items := readLabelled(t)
	a := groupLabelled(items, Options{}).Themes()
	b := groupLabelled(items, Options{}).Themes()
	if !reflect.DeepEqual(a, b) {
		t.Fatal("same input gave different themes")
	}
}

func TestAddGroupsNearDuplicates(t *testing.T) {
	ix := New(Options{})
	t1, s1 := ix.Add("a", "Export to CSV is missing")
	t2, s2 := ix.Add("b", "export to csv is MISSING!!")
	t3, _ := ix.Add("c", "Dark mode please")
	if t1 != t2 || s1 != 0 || s2 != 1 {
		t.Errorf("duplicates: got (%s,%v) (%s,%v), want same theme, similarity 0 then 1", t1, s1, t2, s2)
	}
	if t3 == t1 {
		t.Errorf("unrelated text joined theme %s", t1)
	}
	if got, sim := ix.Add("a", "something else"); got != t1 || sim != 1 {
		t.Errorf("re-add: got (%s,%v), want (%s,1)", got, sim, t1)
	}
	if ix.Len() != 3 {
		t.Errorf("Len = %d, want 3", ix.Len())
	}
	if ix.Theme("nope") != "" {
		t.Error("unknown id has a theme")
	}
}

func TestOddInputs(t *testing.T) {
	ix := New(Options{Threshold: 5, Bands: -1}) // invalid values mean defaults
	seen := map[string]bool{}
	for i, text := range []string{"", "   ", "the and of", "!!!", "\xff\xfe", "日本語 テキスト", "a"} {
		th, sim := ix.Add(fmt.Sprint(i), text)
		if th == "" {
			t.Errorf("Add(%q) gave empty theme", text)
		}
		if len(Shingles(text)) == 0 {
			if sim != 0 || seen[th] {
				t.Errorf("text %q without words: got (%s,%v), want a new theme", text, th, sim)
			}
		}
		seen[th] = true
	}
	if got := Normalize("Exporting EXPORTS exported, über-Größe 42"); !slices.Equal(got, []string{"export", "export", "export", "über", "größe", "42"}) {
		t.Errorf("Normalize = %q", got)
	}
}

func TestMergeSplit(t *testing.T) {
	ix := New(Options{})
	ta, _ := ix.Add("a", "Need SSO with Okta")
	ix.Add("a2", "need SSO with Okta now")
	tb, _ := ix.Add("b", "Please support SAML single sign-on")
	if ta == tb {
		t.Fatalf("expected different themes before merge")
	}
	if err := ix.Merge(ta, tb); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{ta: {"a", "a2", "b"}}
	if got := ix.Themes(); !reflect.DeepEqual(got, want) {
		t.Errorf("after merge Themes = %v, want %v", got, want)
	}
	if err := ix.Merge(ta, tb); err == nil {
		t.Error("merging a vanished theme succeeded")
	}
	if err := ix.Merge("bogus", ta); err == nil {
		t.Error("merging an unknown theme succeeded")
	}
	if err := ix.Merge(ta, ta); err != nil {
		t.Errorf("self-merge: %v", err)
	}

	tn, err := ix.Split("a2")
	if err != nil {
		t.Fatal(err)
	}
	if tn == ta || ix.Theme("a2") != tn || !ix.Pinned("a2") || ix.Pinned("a") {
		t.Errorf("split: a2 in %s (pinned %v), want new theme, pinned", ix.Theme("a2"), ix.Pinned("a2"))
	}
	want = map[string][]string{ta: {"a", "b"}, tn: {"a2"}}
	if got := ix.Themes(); !reflect.DeepEqual(got, want) {
		t.Errorf("after split Themes = %v, want %v", got, want)
	}
	// A new near-duplicate of the split item joins the item's new theme.
	if got, _ := ix.Add("c", "need SSO with Okta now!"); got != tn {
		t.Errorf("near-duplicate of split item went to %s, want %s", got, tn)
	}
	if _, err := ix.Split("missing"); err == nil {
		t.Error("splitting an unknown item succeeded")
	}
	// Splitting a singleton removes the old theme name.
	ts, _ := ix.Split("c")
	ts2, _ := ix.Split("c")
	if _, ok := ix.Themes()[ts]; ok || ts == ts2 {
		t.Errorf("singleton split kept theme %s", ts)
	}
}

func FuzzAdd(f *testing.F) {
	for _, s := range []string{"", "Need SSO with Okta", "ß\x00\xff", "a a a a", strings.Repeat("x ", 300)} {
		f.Add(s, s+" again")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ix := New(Options{})
		ta, _ := ix.Add("a", a)
		tb, sim := ix.Add("b", b)
		if sim < 0 || sim > 1 {
			t.Fatalf("similarity %v out of range", sim)
		}
		if (ta == tb) != (sim >= DefaultThreshold) {
			t.Fatalf("themes %s/%s disagree with similarity %v", ta, tb, sim)
		}
		if s := Similarity(a, b); s != sim && ta == tb {
			t.Fatalf("Similarity %v != Add similarity %v", s, sim)
		}
	})
}

// synthetic returns n feedback texts built from templates, topics and
// noise words with a seeded generator.
func synthetic(n int) []string {
	rng := rand.New(rand.NewPCG(1, 2))
	templates := []string{
		"please add %s %s",
		"we need %s %s for our team",
		"%s %s is missing",
		"%s %s does not work %s",
		"would love %s %s in the next release %s",
		"%s %s keeps failing since %s",
		"can you support %s %s with %s",
	}
	nouns := make([]string, 3000)
	for i := range nouns {
		nouns[i] = fmt.Sprintf("w%dx", i)
	}
	out := make([]string, n)
	for i := range out {
		topic := rng.IntN(2000)
		tpl := templates[rng.IntN(len(templates))]
		args := []any{nouns[topic], nouns[(topic*7+1)%len(nouns)], nouns[rng.IntN(len(nouns))]}
		text := fmt.Sprintf(tpl, args[:strings.Count(tpl, "%s")]...)
		for range rng.IntN(4) {
			text += " " + nouns[rng.IntN(len(nouns))]
		}
		out[i] = text
	}
	return out
}

func BenchmarkAdd100k(b *testing.B) {
	const n = 100_000
	texts := synthetic(n)
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("s%06d", i)
	}
	durs := make([]time.Duration, n)
	var total time.Duration
	var themes int
	b.ResetTimer()
	for range b.N {
		ix := New(Options{})
		start := time.Now()
		for i, text := range texts {
			t0 := time.Now()
			ix.Add(ids[i], text)
			durs[i] = time.Since(t0)
		}
		total = time.Since(start)
		themes = len(ix.Themes())
	}
	b.StopTimer()
	slices.Sort(durs)
	b.ReportMetric(total.Seconds(), "s/100k")
	b.ReportMetric(float64(durs[n*99/100].Microseconds()), "p99-µs/add")
	b.ReportMetric(float64(durs[n-1].Microseconds()), "max-µs/add")
	b.ReportMetric(float64(themes), "themes")
}
