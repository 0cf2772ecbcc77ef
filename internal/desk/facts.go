package desk

import (
	"math"
	"strings"
	"time"

	"github.com/tandemhq/tandem"
	"github.com/tandemhq/tandem/internal/desk/rules"
)

// daysPerMonth converts days to months for promise horizons.
const daysPerMonth = 365.25 / 12

// Facts returns what the approval rules see of a quote: its own fields, the
// deal's segment and amount, the archetype the check matched and the codes
// of the flags it raised. classOf gives a product's catalog class (new,
// core, maintenance) by the product as the line names it; now is when the
// quote is made, from which promise horizons count.
func Facts(q *tandem.Quote, segment string, dealAmount float64, c *Check, classOf func(product string) string, now time.Time) rules.Facts {
	f := rules.Facts{
		Quote: rules.QuoteFacts{
			Discount: math.Round(q.Discount()*100) / 100, TermMonths: q.TermMonths, PaymentTermsDays: q.PaymentDays,
			Billing: q.Billing, ACV: q.ACV(), Nonstandard: q.Nonstandard,
		},
		Deal: rules.DealFacts{Segment: segment, Amount: dealAmount},
	}
	for _, p := range q.Promises {
		f.Quote.FeaturesBeta = f.Quote.FeaturesBeta || p.Beta
		f.Quote.FeaturesUnreleased = f.Quote.FeaturesUnreleased || p.Unreleased
		if m := p.Date.Sub(now).Hours() / 24 / daysPerMonth; m > f.Quote.PromiseMonthsAhead {
			f.Quote.PromiseMonthsAhead = math.Round(m*10) / 10
		}
	}
	if c != nil {
		f.Deal.Archetype = c.Match.Archetype
		for _, fl := range c.Flags {
			f.Flags = append(f.Flags, fl.Code)
			switch fl.Code {
			case FlagBetaFeature:
				f.Quote.FeaturesBeta = true
			case FlagUnreleased:
				f.Quote.FeaturesUnreleased = true
			}
		}
	}
	for _, l := range q.Lines {
		lf := rules.LineFacts{ID: l.ID, Product: strings.ToLower(l.Product), Quantity: l.Quantity,
			ListPrice: l.ListPrice, Discount: l.Discount, NetPrice: l.NetPrice}
		if classOf != nil {
			lf.ProductClass = classOf(l.Product)
		}
		f.Lines = append(f.Lines, lf)
	}
	return f
}
