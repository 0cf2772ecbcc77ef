package tandem

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Kind is the type of a canonical column's values.
type Kind int

// Column kinds and the Go type a Record holds for each (nil means empty):
// KindText and KindEnum hold string, KindInt int64, KindFloat float64,
// KindDate time.Time (UTC), KindBool bool, KindList []string.
const (
	KindText Kind = iota
	KindInt
	KindFloat
	KindDate
	KindBool
	KindList
	KindEnum
)

// String names the kind as it appears in docs and errors.
func (k Kind) String() string {
	return [...]string{"text", "integer", "number", "date", "boolean", "list", "enum"}[k]
}

// Column describes one canonical column of an entity (DESIGN §4.1).
type Column struct {
	Name     string
	Kind     Kind
	Required bool
	// Enum lists the allowed values of a KindEnum column in canonical
	// spelling; input matches them case-insensitively.
	Enum []string
	// Ref names the entity whose id this column (or, for lists, each item)
	// refers to. Refs to entities with names (accounts, reps, products,
	// features) also resolve by name or alias; the others by id only.
	Ref string
	// NonNegative rejects negative numbers (amounts, prices, counts).
	NonNegative bool
	// Doc says what the column means, for --help and the README.
	Doc string
}

// Entity describes one canonical entity: its columns in canonical order and
// how rows are identified.
type Entity struct {
	Name    string
	Columns []Column
	// IDFrom lists the columns whose values, joined by "|", form the id when
	// a row has no id of its own (stage history, usage, adoptions).
	IDFrom []string
	// Referenced is true when other entities refer to this one by id. Such
	// entities need unique ids, so duplicates can only be resolved by
	// keeping the first or last row, never by keeping all.
	Referenced bool
	// Named is true when rows have a name (and maybe aliases) that
	// references may use instead of the id.
	Named bool
	Doc   string
}

// Column returns the named column and its index, or -1.
func (e *Entity) Column(name string) (*Column, int) {
	for i := range e.Columns {
		if e.Columns[i].Name == name {
			return &e.Columns[i], i
		}
	}
	return nil, -1
}

// ColumnNames lists the canonical column names in order.
func (e *Entity) ColumnNames() []string {
	out := make([]string, len(e.Columns))
	for i, c := range e.Columns {
		out[i] = c.Name
	}
	return out
}

// Absent marks a Record value whose column was not in the imported file, so
// an upsert leaves the stored value alone. It is distinct from nil, which
// means "present but empty" and clears the stored value.
type Absent struct{}

// Record is one row of an entity: Values in the order of Entity.Columns, and
// the custom attributes (columns outside the contract, "attr.<name>").
// Dup numbers repeated ids kept with --on-duplicate keep-all (0 for the first
// occurrence); it is part of the stored key of entities that are not
// referenced. For KindList values a nil slice on a present column clears the
// list.
type Record struct {
	Values []any
	Attrs  map[string]string
	Dup    int
}

// ID returns the record's id value (the "id" column, always first).
func (r Record) ID() string {
	if len(r.Values) == 0 {
		return ""
	}
	s, _ := r.Values[0].(string)
	return s
}

// Catalog is the set of canonical entities, in an order where every entity
// comes after the entities it refers to, which is also a safe import order.
type Catalog struct {
	entities []*Entity
}

// Entities returns the entities in dependency order.
func (c *Catalog) Entities() []*Entity { return c.entities }

// Entity returns the named entity or an EINVALID error listing the names.
func (c *Catalog) Entity(name string) (*Entity, error) {
	for _, e := range c.entities {
		if e.Name == name {
			return e, nil
		}
	}
	return nil, Errorf(EINVALID, "unknown entity %q (one of: %s)", name, strings.Join(c.Names(), ", "))
}

// Names lists the entity names in dependency order.
func (c *Catalog) Names() []string {
	out := make([]string, len(c.entities))
	for i, e := range c.entities {
		out[i] = e.Name
	}
	return out
}

// NewCatalog returns the canonical data contract of DESIGN §4.1, extended with
// line items, deal-desk quotes and their lines, adoptions, support tickets,
// churn events and the glossary.
func NewCatalog() *Catalog {
	id := Column{Name: "id", Kind: KindText, Required: true, Doc: "unique identifier"}
	optID := Column{Name: "id", Kind: KindText, Doc: "identifier; derived from the key columns when absent"}
	name := Column{Name: "name", Kind: KindText, Required: true, Doc: "display name"}
	date := func(n, doc string) Column { return Column{Name: n, Kind: KindDate, Doc: doc} }
	text := func(n, doc string) Column { return Column{Name: n, Kind: KindText, Doc: doc} }
	money := func(n, doc string) Column { return Column{Name: n, Kind: KindFloat, NonNegative: true, Doc: doc} }
	ref := func(n, entity string, required bool) Column {
		return Column{Name: n, Kind: KindText, Ref: entity, Required: required, Doc: "id (or name) of the " + strings.TrimSuffix(entity, "s")}
	}
	list := func(n, entity, doc string) Column { return Column{Name: n, Kind: KindList, Ref: entity, Doc: doc} }
	enum := func(n string, values ...string) Column {
		return Column{Name: n, Kind: KindEnum, Enum: values, Doc: "one of " + strings.Join(values, ", ")}
	}
	aliases := list("aliases", "", "other names, ';'-separated, matched case- and space-insensitively")

	return &Catalog{entities: []*Entity{
		{Name: "accounts", Referenced: true, Named: true, Doc: "customer and prospect companies", Columns: []Column{
			id, name, text("industry", "industry or sector"), text("segment", "market segment (SMB, mid-market, enterprise)"),
			{Name: "employees", Kind: KindInt, NonNegative: true, Doc: "number of employees"},
			money("revenue", "annual revenue"), text("region", "region or country"),
			ref("parent_id", "accounts", false), date("created", "when the account was created"),
		}},
		{Name: "reps", Referenced: true, Named: true, Doc: "sales reps, managers and their teams", Columns: []Column{
			id, name, text("team", "team name"), text("manager", "manager's name or id"), text("region", "region"), text("role", "role or title"),
		}},
		{Name: "leads", Referenced: true, Doc: "leads before they become deals", Columns: []Column{
			id, {Name: "created", Kind: KindDate, Required: true, Doc: "when the lead was created"},
			text("source", "lead source"), text("segment", "market segment"), ref("account_id", "accounts", false),
			date("qualified_at", "when the lead was qualified"), text("status", "lead status"), ref("rep_id", "reps", false),
		}},
		{Name: "products", Referenced: true, Named: true, Doc: "the product catalog", Columns: []Column{
			id, name, enum("class", "new", "core", "maintenance"), money("price", "list price"), text("series", "product series or family"), aliases,
		}},
		{Name: "features", Referenced: true, Named: true, Doc: "the feature catalog with lifecycle and horizon", Columns: []Column{
			id, name, ref("product_id", "products", false), enum("status", "idea", "planned", "beta", "ga", "deprecated"),
			enum("horizon", "H1", "H2", "H3"), date("released_at", "general availability date"), date("planned_at", "planned release date"), aliases,
		}},
		{Name: "deals", Referenced: true, Doc: "opportunities with their outcome, products and feature tags", Columns: []Column{
			id, {Name: "stage", Kind: KindText, Required: true, Doc: "pipeline stage as the CRM names it"},
			ref("account_id", "accounts", false), ref("lead_id", "leads", false), ref("rep_id", "reps", false),
			text("name", "deal name"), text("source", "lead source (web, referral, partner, ...)"), money("amount", "deal amount in its currency"), text("currency", "ISO currency code"),
			date("created", "when the deal was created"), date("closed", "when the deal closed (or is expected to)"),
			enum("outcome", "won", "lost", "open"), enum("type", "new", "expansion", "renewal"),
			list("products", "products", "products in the deal"), list("features", "features", "features tagged on the deal"),
			list("loss_reasons", "", "reasons the deal was lost"), list("competitors", "", "competitors in the deal"),
		}},
		{Name: "deal_stages", IDFrom: []string{"deal_id", "stage", "entered_at"}, Doc: "stage history: when each deal entered each stage", Columns: []Column{
			optID, ref("deal_id", "deals", true), {Name: "stage", Kind: KindText, Required: true, Doc: "stage entered"},
			{Name: "entered_at", Kind: KindDate, Required: true, Doc: "when the deal entered the stage"}, money("amount", "amount at that time"),
		}},
		{Name: "line_items", Doc: "products on a deal with quantity and price", Columns: []Column{
			id, ref("deal_id", "deals", true), ref("product_id", "products", true),
			{Name: "quantity", Kind: KindFloat, NonNegative: true, Doc: "quantity"}, money("unit_price", "price per unit"), money("amount", "line total"),
		}},
		{Name: "quotes", Referenced: true, Doc: "deal-desk quotes from a CPQ or CRM; each becomes a versioned desk quote with its lines", Columns: []Column{
			id, ref("deal_id", "deals", true),
			{Name: "term_months", Kind: KindInt, NonNegative: true, Doc: "contract term in months (1 to 120; empty: 12)"},
			enum("billing", "monthly", "quarterly", "annual", "upfront"),
			{Name: "payment_terms_days", Kind: KindInt, NonNegative: true, Doc: "net payment terms in days (0 to 365; \"Net 30\" and \"Due on receipt\" are read too)"},
			text("nonstandard_terms", "terms outside the standard contract, in words"), text("currency", "ISO currency code"),
			list("promises", "", "features promised to the customer, ';'-separated FEATURE@YYYY-MM-DD (feature id or name)"),
			date("created", "when the quote was created"),
		}},
		{Name: "quote_lines", Doc: "products on a quote: quantity, list price, discount and net price per unit per year", Columns: []Column{
			id, ref("quote_id", "quotes", true), ref("product_id", "products", true),
			{Name: "quantity", Kind: KindFloat, NonNegative: true, Doc: "quantity (above 0; empty: 1)"}, money("list_price", "list price per unit per year (empty: the product's price)"),
			{Name: "discount", Kind: KindFloat, NonNegative: true, Doc: "discount off the list price, in percent (0 to 100)"},
			money("net_price", "price per unit per year after the discount"),
		}},
		{Name: "subscriptions", Referenced: true, Doc: "subscriptions and renewals", Columns: []Column{
			id, ref("account_id", "accounts", true), date("start", "start date (required unless tenure_months is given)"), date("end", "end date"),
			money("mrr", "monthly recurring revenue"), enum("status", "active", "churned"), date("churned_at", "when it churned"),
			text("plan", "plan or contract"), {Name: "tenure_months", Kind: KindInt, NonNegative: true, Doc: "tenure in months, for sources without dates"},
		}},
		{Name: "usage", IDFrom: []string{"account_id", "feature_id", "at", "user_id"}, Doc: "product usage events or daily rollups", Columns: []Column{
			optID, ref("account_id", "accounts", true), ref("feature_id", "features", true),
			{Name: "at", Kind: KindDate, Required: true, Doc: "when (a day for rollups)"}, text("user_id", "user"),
			{Name: "count", Kind: KindFloat, NonNegative: true, Doc: "number of uses"}, ref("subscription_id", "subscriptions", false),
		}},
		{Name: "adoptions", IDFrom: []string{"account_id", "feature_id"}, Doc: "which account adopted which feature, and when", Columns: []Column{
			optID, ref("account_id", "accounts", true), ref("feature_id", "features", true),
			date("adopted_at", "when it was adopted"), text("source", "where the record came from"),
		}},
		{Name: "tickets", Doc: "support tickets", Columns: []Column{
			id, ref("account_id", "accounts", true), date("opened", "when it was opened"), date("closed", "when it was closed"),
			text("priority", "priority"), text("status", "status"), {Name: "satisfaction", Kind: KindFloat, Doc: "satisfaction score"}, text("subject", "subject"),
		}},
		{Name: "churn_events", Doc: "churn events with reason codes", Columns: []Column{
			id, ref("account_id", "accounts", true), {Name: "at", Kind: KindDate, Required: true, Doc: "when the account churned"},
			text("reason", "reason code"), money("refund", "refund paid"), text("feedback", "customer's words"), ref("subscription_id", "subscriptions", false),
		}},
		{Name: "glossary", Referenced: true, Named: true, Doc: "shared definitions shown next to every metric that uses them", Columns: []Column{
			id, name, text("definition", "what the term means"), text("formula", "how it is computed"), text("owner", "team that owns the definition"),
		}},
	}}
}

// NormalizeName folds a product or feature name for matching: lower case,
// with spaces, hyphens, underscores and dots removed, so "GTXPro", "GTX Pro"
// and "gtx-pro" are the same name.
func NormalizeName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		switch r {
		case ' ', '\t', '-', '_', '.':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// FormatValue renders a value as canonical CSV text: dates as YYYY-MM-DD at
// midnight UTC and RFC 3339 otherwise, numbers in their shortest exact form,
// lists joined with ";", empty for nil.
func FormatValue(v any) string {
	switch x := v.(type) {
	case nil, Absent:
		return ""
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case time.Time:
		x = x.UTC()
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Nanosecond() == 0 {
			return x.Format(time.DateOnly)
		}
		return x.Format(time.RFC3339Nano)
	case []string:
		return strings.Join(x, ";")
	default:
		return fmt.Sprint(x)
	}
}

// AttrKeys returns the sorted union of attribute names over records.
func AttrKeys(recs []Record) []string {
	seen := map[string]bool{}
	for _, r := range recs {
		for k := range r.Attrs {
			seen[k] = true
		}
	}
	out := make([]string, 0, len(seen))
	for k := range seen {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// ParseBool reads the yes/no spellings that CRMs, spreadsheets and people
// use (true/false, yes/no, y/n, t/f, 1/0, any case); ok is false otherwise.
func ParseBool(s string) (v, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "t", "yes", "y", "1":
		return true, true
	case "false", "f", "no", "n", "0":
		return false, true
	}
	return false, false
}

// ParsePromise reads one item of a quote's promises column,
// "FEATURE@YYYY-MM-DD": the feature's id or name, and the promised date.
// The last "@" separates them, so a feature name may contain one.
func ParsePromise(item string) (feature string, date time.Time, err error) {
	item = strings.TrimSpace(item)
	i := strings.LastIndex(item, "@")
	if i < 0 {
		return "", time.Time{}, fmt.Errorf("promise %q is not FEATURE@YYYY-MM-DD", item)
	}
	feature = strings.TrimSpace(item[:i])
	if feature == "" {
		return "", time.Time{}, fmt.Errorf("promise %q names no feature (FEATURE@YYYY-MM-DD)", item)
	}
	date, err = time.Parse(time.DateOnly, strings.TrimSpace(item[i+1:]))
	if err != nil {
		return "", time.Time{}, fmt.Errorf("promise %q: the date is not YYYY-MM-DD", item)
	}
	return feature, date, nil
}

// FormatPromise writes a promise item the way ParsePromise reads it.
func FormatPromise(feature string, date time.Time) string {
	return feature + "@" + date.UTC().Format(time.DateOnly)
}
