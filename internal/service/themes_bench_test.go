package service

import (
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/analytics"
)

// benchTexts returns n feedback texts generated deterministically from the
// labelled snippets of internal/themes/testdata: each text is a snippet
// picked at random, with each of its words replaced, with probability
// 0.15, by a word of a vocabulary (every word of the sample plus 5,000
// made-up product words "pw0".."pw4999"), and 0 to 3 vocabulary words
// appended. So texts form many near-duplicate families of varied size
// (about 200 snippets × substitutions), some drifting far enough apart to
// start themes of their own, like real feedback.
func benchTexts(tb testing.TB, n int) []string {
	tb.Helper()
	f, err := os.Open("../themes/testdata/labelled.csv")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		tb.Fatal(err)
	}
	var snippets [][]string
	vocab := map[string]bool{}
	for _, r := range rows[1:] {
		words := strings.Fields(r[2])
		snippets = append(snippets, words)
		for _, w := range words {
			vocab[strings.ToLower(strings.Trim(w, ".,!?;:\"'()"))] = true
		}
	}
	for i := range 5000 {
		vocab[fmt.Sprintf("pw%d", i)] = true
	}
	words := slices.Sorted(func(yield func(string) bool) {
		for w := range vocab {
			if w != "" && !yield(w) {
				return
			}
		}
	})
	rng := rand.New(rand.NewPCG(8, 100_000))
	out := make([]string, n)
	for i := range out {
		src := snippets[rng.IntN(len(snippets))]
		text := make([]string, 0, len(src)+3)
		for _, w := range src {
			if rng.Float64() < 0.15 {
				w = words[rng.IntN(len(words))]
			}
			text = append(text, w)
		}
		for range rng.IntN(4) {
			text = append(text, words[rng.IntN(len(words))])
		}
		out[i] = strings.Join(text, " ")
	}
	return out
}

// BenchmarkThemes100k stores 100,000 generated feedback items (see
// benchTexts) through ImportFeedback in batches of 10,000 on SQLite, then
// measures (a) building the theme index from scratch over them, as a new
// process does on its first theme request: "s/build" is the whole sync
// (reading the items from the store, then indexing), "s/index" the
// indexing alone; and (b) the incremental path: 20 new items each
// submitted with SubmitFeedback ("ms/submit", the intake's cost, not the
// index's) and its theme assigned with ThemeOf ("ms/assign" median,
// "ms/assign-max"). Baselines measured in the same run:
// "s/read-baseline", reading the 100,000 items without indexing them,
// and "ms/put-baseline", a bare write of one document. Goals: the build
// under 30 s on 2 cores, each assignment under 10 ms. Run with:
//
//	go test ./internal/service -run '^$' -bench BenchmarkThemes100k -benchtime=1x
func BenchmarkThemes100k(b *testing.B) {
	const n, batch = 100_000, 10_000
	s, clk := newService(b, "sqlite")
	ctx := b.Context()
	texts := benchTexts(b, n)
	a := Actor{Name: "bench"}
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for lo := 0; lo < n; lo += batch {
		items := make([]tandem.Feedback, 0, batch)
		for i := lo; i < min(n, lo+batch); i++ {
			items = append(items, tandem.Feedback{Source: tandem.SourceCSV, SourceRef: fmt.Sprintf("bench-%06d", i),
				Author: "bench@x.io", Text: texts[i], ReceivedAt: base.Add(time.Duration(i) * time.Minute)})
		}
		if _, err := s.ImportFeedback(ctx, a, items, nil, fmt.Sprintf("bench batch %d", lo/batch)); err != nil {
			b.Fatal(err)
		}
	}
	extra := benchTexts(b, n+20)[n:]
	clk.t = base.Add(time.Duration(n+1) * time.Minute)

	b.ResetTimer()
	for range b.N {
		// (a) A new service over the same store: nothing cached.
		fresh := New(s.store, s.cat, analytics.New(s.store, s.cat, clk.now), b.TempDir(), clk.now)
		start := time.Now()
		list, err := fresh.Themes(ctx, ThemeQuery{Limit: 1})
		if err != nil {
			b.Fatal(err)
		}
		build := time.Since(start)
		items, err := fresh.FeedbackItems(ctx)
		if err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		st := buildThemes(items, nil)
		index := time.Since(start)
		if st.ix.Len() != n || list.Items != n {
			b.Fatalf("indexed %d and %d items, want %d", st.ix.Len(), list.Items, n)
		}

		// (b) New items, one at a time.
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		var submit, assign []time.Duration
		for i, text := range extra {
			clk.t = clk.t.Add(time.Minute)
			t0 := time.Now()
			res, err := fresh.SubmitFeedback(ctx, a, tandem.Feedback{Source: tandem.SourceAPI, Author: "bench@x.io", Text: text}, nil)
			if err != nil {
				b.Fatal(err)
			}
			t1 := time.Now()
			if _, err := fresh.ThemeOf(ctx, res.Item.ID); err != nil {
				b.Fatal(err)
			}
			submit, assign = append(submit, t1.Sub(t0)), append(assign, time.Since(t1))
			if i == 0 && fresh.themes.st.ix.Len() != n+1 {
				b.Fatalf("index has %d items after one new one", fresh.themes.st.ix.Len())
			}
		}
		// Baselines in the same run: reading the items alone (what any
		// report over them costs) and a bare document write of one item
		// (what filing costs without intake, routing and the cache).
		start = time.Now()
		if _, err := New(s.store, s.cat, nil, b.TempDir(), clk.now).FeedbackItems(ctx); err != nil {
			b.Fatal(err)
		}
		read := time.Since(start)
		var put []time.Duration
		for i := range extra {
			d := tandem.Doc{Kind: "bench-baseline", ID: fmt.Sprintf("b-%d", i), Version: 1, Body: tandem.AuditJSON(items[i]), Author: "bench", CreatedAt: clk.t}
			t0 := time.Now()
			if err := s.store.PutDoc(ctx, d, nil); err != nil {
				b.Fatal(err)
			}
			put = append(put, time.Since(t0))
		}
		slices.Sort(put)
		b.ReportMetric(read.Seconds(), "s/read-baseline")
		b.ReportMetric(ms(put[len(put)/2]), "ms/put-baseline")
		slices.Sort(submit)
		slices.Sort(assign)
		b.ReportMetric(build.Seconds(), "s/build")
		b.ReportMetric(index.Seconds(), "s/index")
		b.ReportMetric(float64(list.Total), "themes")
		b.ReportMetric(ms(submit[len(submit)/2]), "ms/submit")
		b.ReportMetric(ms(assign[len(assign)/2]), "ms/assign")
		b.ReportMetric(ms(assign[len(assign)-1]), "ms/assign-max")
	}
}
