package desk

import (
	"strings"
	"testing"
	"time"

	"github.com/tandemhq/tandem"
)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		name string
		q    tandem.Quote
		want string // error substring; "" for none
		net  float64
		disc float64
	}{
		{"net from discount", tandem.Quote{DealID: "d", Lines: []tandem.QuoteLine{{Product: "p", Quantity: 2, ListPrice: 1000, Discount: 15}}}, "", 850, 15},
		{"discount from net", tandem.Quote{DealID: "d", Lines: []tandem.QuoteLine{{Product: "p", Quantity: 1, ListPrice: 200, NetPrice: 150}}}, "", 150, 25},
		{"both agree", tandem.Quote{DealID: "d", Lines: []tandem.QuoteLine{{Product: "p", Quantity: 1, ListPrice: 200, NetPrice: 150, Discount: 25}}}, "", 150, 25},
		{"both disagree", tandem.Quote{DealID: "d", Lines: []tandem.QuoteLine{{Product: "p", Quantity: 1, ListPrice: 200, NetPrice: 150, Discount: 20}}}, "lines[0].net_price: 150 does not match", 0, 0},
		{"no deal, no lines", tandem.Quote{}, "deal_id: a quote belongs to a deal; lines: a quote needs at least one line", 0, 0},
		{"bad fields", tandem.Quote{DealID: "d", Billing: "weekly", TermMonths: -1, Lines: []tandem.QuoteLine{{Quantity: 0, Discount: 120, ListPrice: 10}},
			Promises: []tandem.Promise{{}}}, "term_months: -1 is outside 1 to 120; billing: \"weekly\" is not one of", 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := Normalize(&tc.q)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) || tandem.ErrorCode(err) != tandem.EINVALID {
					t.Fatalf("err = %v; want %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			l := tc.q.Lines[0]
			if l.NetPrice != tc.net || l.Discount != tc.disc || l.ID != "L1" || tc.q.TermMonths != 12 || tc.q.PaymentDays != 30 || tc.q.Billing != "annual" {
				t.Errorf("normalized %+v %+v", tc.q, l)
			}
		})
	}
	q := tandem.Quote{DealID: "d", Lines: []tandem.QuoteLine{{ID: "L4", Product: "a", Quantity: 1}, {Product: "b", Quantity: 1}}}
	if err := Normalize(&q); err != nil || q.Lines[1].ID != "L5" {
		t.Errorf("new line id after L4: %v %+v", err, q.Lines)
	}
}

func TestDiff(t *testing.T) {
	d := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	prev := &tandem.Quote{TermMonths: 12, Billing: "annual", PaymentDays: 30,
		Lines:    []tandem.QuoteLine{{ID: "L1", Product: "core", Quantity: 10, ListPrice: 100, Discount: 10, NetPrice: 90}, {ID: "L2", Product: "sso", Quantity: 1, ListPrice: 50, NetPrice: 50}},
		Promises: []tandem.Promise{{Feature: "SSO", Date: d}}}
	next := &tandem.Quote{TermMonths: 24, Billing: "annual", PaymentDays: 30,
		Lines:    []tandem.QuoteLine{{ID: "L1", Product: "core", Quantity: 10, ListPrice: 100, Discount: 20, NetPrice: 80}, {ID: "L3", Product: "api", Quantity: 1, ListPrice: 10, NetPrice: 10}},
		Promises: []tandem.Promise{{Feature: "sso", Date: d, Beta: true}}}
	var got []string
	for _, c := range Diff(prev, next) {
		got = append(got, c.Field+": "+c.From+" → "+c.To)
	}
	want := []string{
		"term_months: 12 → 24",
		"lines[L1].discount: 10 → 20",
		"lines[L1].net_price: 90 → 80",
		"lines[L3]:  → 1 × api at 10 less 0% = 10",
		"lines[L2]: 1 × sso at 50 less 0% = 50 → ",
		"promises[sso]: 2026-05-01 → 2026-05-01 (beta)",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diff\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(Diff(next, next)) != 0 {
		t.Error("a quote differs from itself")
	}
}
