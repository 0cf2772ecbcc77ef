package desk

import (
	"encoding/json"
	"sync"
	"testing"

	"github.com/tandemhq/tandem"
)

// FuzzCheck feeds arbitrary JSON quotes to Check on the fixture model:
// whatever the quote, the check must not panic and must be well formed
// (see checkResult), and checking twice must give the same answer.
func FuzzCheck(f *testing.F) {
	for _, seed := range []string{
		`{}`,
		`null`,
		`{"lines":[]}`,
		`{"lines":[{"id":"l1","product":"a","quantity":1,"list_price":1000,"discount":30,"net_price":700}]}`,
		`{"lines":[{"product":"ALPHA"},{"product":"alpha"},{"product":""},{"product":"Gizmo","quantity":-3,"net_price":1e308}]}`,
		`{"payment_terms_days":-5,"nonstandard":true,"lines":[{"product":"b","discount":-40,"list_price":-1}]}`,
		`{"promises":[{"feature":"f2","date":"2025-08-01T00:00:00Z"},{"feature":"","date":"0001-01-01T00:00:00Z","beta":true,"unreleased":true}]}`,
		`{"lines":[{"product":"c","quantity":1e308,"net_price":1e308},{"product":"a","quantity":1e308,"net_price":1e308,"list_price":1e308}]}`,
		`{"promises":[{"feature":"Old API","date":"9999-12-31T23:59:59Z"},{"feature":"Live Sync","date":"1900-01-01T00:00:00Z"}]}`,
	} {
		f.Add([]byte(seed), "SMB", 900.0)
	}
	m := fixtureModel(f, nil, nil)
	now := fixtureAsOf()
	f.Fuzz(func(t *testing.T, data []byte, segment string, amount float64) {
		var q *tandem.Quote
		if err := json.Unmarshal(data, &q); err != nil {
			return
		}
		deal := DealInfo{ID: "d", Segment: segment, Amount: amount}
		c := m.Check(q, deal, now)
		checkResult(t, q, c)
		a, _ := json.Marshal(c)
		b, _ := json.Marshal(m.Check(q, deal, now))
		if string(a) != string(b) {
			t.Errorf("two checks differ:\n%s\n%s", a, b)
		}
	})
}

// TestCheckConcurrent runs checks from several goroutines on one model;
// with -race it proves Check writes nothing shared.
func TestCheckConcurrent(t *testing.T) {
	m := fixtureModel(t, nil, nil)
	q := &tandem.Quote{PaymentDays: 90, Lines: []tandem.QuoteLine{line("l1", "a", 1, 1000, 30), line("l2", "b", 1, 500, 0)},
		Promises: []tandem.Promise{{Feature: "f2", Date: day0("2026-01-01")}}}
	want, _ := json.Marshal(m.Check(q, DealInfo{Segment: "SMB"}, fixtureAsOf()))
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				c := m.Check(q, DealInfo{Segment: "SMB"}, fixtureAsOf())
				c.Flags[0].Evidence = append(c.Flags[0].Evidence, Figure{}) // callers may change what they get
				if len(c.Flags[0].Evidence) > 0 {
					c.Flags[0].Evidence[0].Value = -1
				}
				for i := range c.Flags {
					c.Flags[i].Acknowledged = append(c.Flags[i].Acknowledged, Ack{By: "x"})
				}
			}
		})
	}
	wg.Wait()
	got, _ := json.Marshal(m.Check(q, DealInfo{Segment: "SMB"}, fixtureAsOf()))
	if string(got) != string(want) {
		t.Errorf("a check changed the model:\n%s\n%s", want, got)
	}
}
