package desk

import "testing"

func TestSimulate(t *testing.T) {
	rs := mustRules(t)
	var quotes []PastQuote
	// 40 quotes at 30% (levels 1 superseded by 2), half won; 40 at 5%,
	// three quarters won; 20 with a beta feature at 5%, all lost.
	for i := range 40 {
		quotes = append(quotes, PastQuote{Facts: facts(30, false), Won: i%2 == 0})
		quotes = append(quotes, PastQuote{Facts: facts(5, false), Won: i%4 != 0, Stored: true})
	}
	for range 20 {
		quotes = append(quotes, PastQuote{Facts: facts(5, true)})
	}
	sim := Simulate(rs, quotes, []float64{1, 2, 3}, 30)
	if sim.Quotes != 100 || sim.Stored != 40 || sim.LineItems != 60 {
		t.Errorf("counts %+v", sim)
	}
	if len(sim.Levels) != 2 || sim.Levels[0].Level != 1 || sim.Levels[0].Quotes.Value != 0.2 || sim.Levels[1].Quotes.Value != 0.4 || sim.Levels[1].Approvals != 80 {
		t.Errorf("levels %+v", sim.Levels)
	}
	if sim.Needed.Deals != 60 || sim.NotNeeded.Deals != 40 || sim.NotNeeded.WinRate.Value != 0.75 || sim.Needed.WinRate.Value != 20.0/60 {
		t.Errorf("sides %+v / %+v", sim.Needed, sim.NotNeeded)
	}
	if !sim.Wait.Insufficient || sim.Wait.N != 3 || sim.Wait.Value != 2 {
		t.Errorf("wait %+v", sim.Wait)
	}
	if d := sim.Difference; d.Insufficient || d.CILow > d.Value || d.Value > d.CIHigh || d.Value >= 0 {
		t.Errorf("difference %+v", d)
	}
	if empty := Simulate(rs, nil, nil, 30); empty.Quotes != 0 || !empty.Needed.WinRate.Insufficient || empty.Levels == nil {
		t.Errorf("empty %+v", empty)
	}
}
