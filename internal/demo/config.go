package demo

import (
	"math"
	"time"

	"github.com/tandemhq/tandem"
)

// Config sizes a generated dataset. The same Config (Seed included) always
// produces the same records in the same order.
type Config struct {
	// Seed selects the dataset; different seeds give different data with the
	// same planted effects.
	Seed uint64
	// Accounts is the number of companies; most become prospects with deals
	// and many become customers.
	Accounts int
	// Deals is the exact number of deals generated: new business, expansion
	// and renewal deals together.
	Deals int
	// Products is the size of the product catalog (at least 2: a core
	// product and the add-on; up to 64).
	Products int
	// Features is the size of the feature catalog (at least 10, so the six
	// planted features have company).
	Features int
	// Reps is the number of sales reps including managers and the VP (at
	// least 3: a VP, a manager and an account executive).
	Reps int
	// Start and End bound the period of activity (deals, subscriptions,
	// usage); dates are truncated to days in UTC. The default period is
	// three years. It must be at least a year so renewals happen.
	Start, End time.Time
	// UsageRows is the target number of usage rows; 0 means 10 per deal.
	// The generator writes weekly rollups (daily when the target allows
	// every day) and skips inactive periods to land near the target.
	UsageRows int
}

// DefaultConfig is the demo dataset: 2,000 accounts and 20,000 deals over the
// three years ending 2026-06-30, 12 products, 60 features, 60 reps in nine
// teams, and 200,000 usage rows: about 355,000 rows, generated in well
// under a second.
func DefaultConfig() Config {
	end := time.Date(2026, 6, 30, 0, 0, 0, 0, time.UTC)
	return Config{
		Seed:      1,
		Accounts:  2_000,
		Deals:     20_000,
		Products:  12,
		Features:  60,
		Reps:      60,
		Start:     end.AddDate(-3, 0, 0),
		End:       end,
		UsageRows: 200_000,
	}
}

// BenchConfig is the benchmark scale: 100,000 accounts, 1,000,000 deals
// (about 2.9 million feature tags), 300 features, 1,000 reps and 10 million
// weekly usage rollups, about 17.7 million rows in all. The usage count is
// what fits the five-minute budget on two cores: generating and writing the
// whole dataset to SQLite through internal/sqldb took 258 s on two shared
// cores, of which the generator needs 7–10 s (see EFFECTS.md).
func BenchConfig() Config {
	c := DefaultConfig()
	c.Accounts = 100_000
	c.Deals = 1_000_000
	c.Features = 300
	c.Reps = 1_000
	c.UsageRows = 10_000_000
	return c
}

// Scaled returns the configuration resized to the given number of deals,
// with accounts, reps and usage rows scaled in proportion, so the density of
// the data (deals per account, per rep) stays the same. Products and
// features keep their counts. A non-positive count returns c unchanged.
func (c Config) Scaled(deals int) Config {
	if deals <= 0 || c.Deals <= 0 || deals == c.Deals {
		return c
	}
	f := float64(deals) / float64(c.Deals)
	scale := func(n, least int) int { return max(least, int(math.Round(float64(n)*f))) }
	usage := c.UsageRows
	if usage == 0 {
		usage = 10 * c.Deals
	}
	c.Accounts = scale(c.Accounts, 1)
	c.Reps = scale(c.Reps, minReps)
	c.UsageRows = scale(usage, 1)
	c.Deals = deals
	return c
}

// Limits of a Config, checked by validate.
const (
	minProducts = 2
	maxProducts = 64
	minFeatures = 10
	maxFeatures = 60_000 // feature indices are stored in 16 bits
	minReps     = 3
	maxRows     = 1 << 30
)

// validate checks c and returns it with dates truncated to UTC days and the
// usage default applied.
func (c Config) validate() (Config, error) {
	bad := func(format string, args ...any) (Config, error) {
		return c, tandem.Errorf(tandem.EINVALID, "demo config: "+format, args...)
	}
	switch {
	case c.Accounts < 1 || c.Accounts > maxRows:
		return bad("accounts must be between 1 and %d, not %d", maxRows, c.Accounts)
	case c.Deals < 1 || c.Deals > maxRows:
		return bad("deals must be between 1 and %d, not %d", maxRows, c.Deals)
	case c.Products < minProducts || c.Products > maxProducts:
		return bad("products must be between %d and %d, not %d", minProducts, maxProducts, c.Products)
	case c.Features < minFeatures || c.Features > maxFeatures:
		return bad("features must be between %d and %d, not %d", minFeatures, maxFeatures, c.Features)
	case c.Reps < minReps || c.Reps > maxRows:
		return bad("reps must be between %d and %d, not %d", minReps, maxRows, c.Reps)
	case c.UsageRows < 0 || c.UsageRows > maxRows:
		return bad("usage rows must be between 0 and %d, not %d", maxRows, c.UsageRows)
	case c.Start.IsZero() || c.End.IsZero():
		return bad("start and end dates are required")
	}
	c.Start = truncDay(c.Start)
	c.End = truncDay(c.End)
	if c.End.Before(c.Start.AddDate(1, 0, 0)) {
		return bad("the period %s to %s is shorter than a year", c.Start.Format(time.DateOnly), c.End.Format(time.DateOnly))
	}
	if c.Start.Year() < 1980 || c.End.Year() > 2200 {
		return bad("the period %s to %s is out of range (1980 to 2200)", c.Start.Format(time.DateOnly), c.End.Format(time.DateOnly))
	}
	if c.UsageRows == 0 {
		c.UsageRows = min(maxRows, 10*c.Deals)
	}
	return c, nil
}

func truncDay(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}
