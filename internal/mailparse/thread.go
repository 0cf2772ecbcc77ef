package mailparse

import (
	"cmp"
	"slices"
	"strconv"
)

// Dedupe drops repeated copies of the same e-mail, which arrive when an
// archive is imported twice or a message was sent to several watched
// mailboxes. Copies are recognised by Message-ID only; the first copy wins.
// Messages without a Message-ID are always kept: without it there is no
// identity to trust, and losing feedback is worse than a duplicate.
func Dedupe(msgs []*Message) (kept []*Message, dups int) {
	seen := make(map[string]bool, len(msgs))
	for _, m := range msgs {
		if m.MessageID != "" {
			if seen[m.MessageID] {
				dups++
				continue
			}
			seen[m.MessageID] = true
		}
		kept = append(kept, m)
	}
	return kept, dups
}

// Threads groups messages into conversations by Message-ID, In-Reply-To and
// References. Messages sharing any referenced id land in one thread even when
// the message they answer is missing. Subjects are not used: "Re: question"
// would join strangers. Each thread is ordered by Date (input order breaks
// ties; undated messages come last), and threads by their first message's
// position in msgs.
func Threads(msgs []*Message) [][]*Message {
	parent := map[string]string{}
	find := func(x string) string {
		for parent[x] != x {
			parent[x] = parent[parent[x]] // path halving keeps chains short
			x = parent[x]
		}
		return x
	}
	add := func(x string) {
		if _, ok := parent[x]; !ok {
			parent[x] = x
		}
	}
	union := func(a, b string) {
		add(a)
		add(b)
		if ra, rb := find(a), find(b); ra != rb {
			parent[rb] = ra
		}
	}
	keys := make([]string, len(msgs))
	for i, m := range msgs {
		// A message without an id still needs a node; "\x00" cannot occur
		// in a parsed id, so these keys never collide with real ones.
		k := m.MessageID
		if k == "" {
			k = "\x00" + strconv.Itoa(i)
		}
		keys[i] = k
		add(k)
		if m.InReplyTo != "" {
			union(k, m.InReplyTo)
		}
		for _, ref := range m.References {
			union(k, ref)
		}
	}
	index := map[string]int{}
	var threads [][]*Message
	for i, m := range msgs {
		root := find(keys[i])
		j, ok := index[root]
		if !ok {
			j = len(threads)
			index[root] = j
			threads = append(threads, nil)
		}
		threads[j] = append(threads[j], m)
	}
	for _, t := range threads {
		slices.SortStableFunc(t, func(a, b *Message) int {
			// Undated messages go last: placing them needs a date.
			if a.Date.IsZero() || b.Date.IsZero() {
				return cmp.Compare(btoi(a.Date.IsZero()), btoi(b.Date.IsZero()))
			}
			return a.Date.Compare(b.Date)
		})
	}
	return threads
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
