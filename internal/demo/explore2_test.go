package demo

import (
	"fmt"
	"os"
	"testing"
)

func TestExplore2(t *testing.T) {
	if os.Getenv("EXPLORE2") == "" {
		t.Skip()
	}
	for seed := uint64(1); seed <= 5; seed++ {
		cfg := DefaultConfig()
		cfg.Seed = seed
		ds := generate(t, cfg)
		seg := map[string]string{}
		for _, r := range ds.m.rows["accounts"] {
			seg[r.ID()] = ds.str("accounts", r, "segment")
		}
		subs := ds.subscriptions(t)
		created := map[string]int{}
		for _, d := range ds.deals() {
			if d.typ == "expansion" {
				for _, s := range subs {
					if s.account == d.account && d.created.Before(s.start.AddDate(1, 0, 0)) {
						created[s.account]++
					}
				}
			}
		}
		cut := ds.cfg.End.AddDate(-1, 0, 0)
		type acc struct{ won, cr, n [2]float64 }
		by := map[string]*acc{}
		for _, s := range subs {
			if s.start.After(cut) {
				continue
			}
			k := 0
			if s.depth >= 3 {
				k = 1
			}
			sg := seg[s.account]
			if by[sg] == nil {
				by[sg] = &acc{}
			}
			by[sg].won[k] += float64(s.firstYearWonEx)
			by[sg].cr[k] += float64(created[s.account])
			by[sg].n[k]++
		}
		for _, sg := range segmentNames() {
			a := by[sg]
			fmt.Printf("seed %d %-10s n %4.0f/%4.0f won ratio %.3f created ratio %.3f mean created %.2f\n", seed, sg, a.n[1], a.n[0],
				(a.won[1]/a.n[1])/(a.won[0]/a.n[0]), (a.cr[1]/a.n[1])/(a.cr[0]/a.n[0]), a.cr[0]/a.n[0])
		}
	}
}
