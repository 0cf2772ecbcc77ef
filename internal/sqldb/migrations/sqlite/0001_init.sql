-- Tandem schema, SQLite dialect. One table per canonical entity (DESIGN §4.1,
-- tandem.NewCatalog), one column per canonical column, in catalog order.
--
-- Conventions (the PostgreSQL file follows the same ones):
--   * STRICT tables, so a value of the wrong type is an error, not a surprise.
--   * text: TEXT; integer: INTEGER; number: REAL (money is float64 in Go: a
--     deliberate trade of exact cents for simple arithmetic in analytics);
--     boolean: INTEGER 0/1; enum: TEXT with a CHECK on the canonical values.
--   * dates are TEXT in canonical form (tandem.FormatValue): "YYYY-MM-DD" at
--     midnight UTC, RFC 3339 in UTC otherwise, at microsecond precision (that
--     of PostgreSQL). Canonical text sorts like the instant it names, so range
--     filters compare strings.
--   * attrs holds the custom attributes as a JSON object with sorted keys;
--     '{}' when there are none, never NULL.
--   * Entities nobody refers to may keep repeated ids (--on-duplicate
--     keep-all): their key is (id, dup). Referenced entities have unique ids.
--   * Every reference is a foreign key, DEFERRABLE INITIALLY DEFERRED so the
--     rows of one import may refer to each other in any order; the check runs
--     at COMMIT. Every foreign key column is indexed, by a partial index
--     that leaves out NULLs: references are often empty (deals without a
--     lead), no query looks NULLs up by index, and both the foreign key
--     checks and "col = ?" filters can use a partial index. deals.closed,
--     empty for open deals, is indexed the same way.
--   * The list columns of deals live in link tables that keep the order of
--     the list (position). Lists without a table (aliases) are ';'-joined.
--   * Only key columns are NOT NULL. Required columns are the importer's to
--     check: an upsert whose file lacks a column (tandem.Absent) must keep
--     the stored value, and both databases check NOT NULL on the proposed
--     row before they find the conflict, so NOT NULL would refuse it.
--   * Ordinary rowid tables: on bulk loads they measured faster than
--     WITHOUT ROWID, whose secondary index entries carry the text key
--     instead of a small rowid.

CREATE TABLE accounts (
	id         TEXT NOT NULL,
	name       TEXT,
	industry   TEXT,
	segment    TEXT,
	employees  INTEGER CHECK (employees >= 0),
	revenue    REAL CHECK (revenue >= 0),
	region     TEXT,
	parent_id  TEXT REFERENCES accounts (id) DEFERRABLE INITIALLY DEFERRED,
	created    TEXT,
	attrs      TEXT NOT NULL DEFAULT '{}',
	PRIMARY KEY (id)
) STRICT;
CREATE INDEX accounts_parent_id_idx ON accounts (parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE reps (
	id       TEXT NOT NULL,
	name     TEXT,
	team     TEXT,
	manager  TEXT,
	region   TEXT,
	role     TEXT,
	attrs    TEXT NOT NULL DEFAULT '{}',
	PRIMARY KEY (id)
) STRICT;

CREATE TABLE leads (
	id            TEXT NOT NULL,
	created       TEXT,
	source        TEXT,
	segment       TEXT,
	account_id    TEXT REFERENCES accounts (id) DEFERRABLE INITIALLY DEFERRED,
	qualified_at  TEXT,
	status        TEXT,
	rep_id        TEXT REFERENCES reps (id) DEFERRABLE INITIALLY DEFERRED,
	attrs         TEXT NOT NULL DEFAULT '{}',
	PRIMARY KEY (id)
) STRICT;
CREATE INDEX leads_account_id_idx ON leads (account_id) WHERE account_id IS NOT NULL;
CREATE INDEX leads_rep_id_idx ON leads (rep_id) WHERE rep_id IS NOT NULL;

CREATE TABLE products (
	id       TEXT NOT NULL,
	name     TEXT,
	class    TEXT CHECK (class IN ('new', 'core', 'maintenance')),
	price    REAL CHECK (price >= 0),
	series   TEXT,
	aliases  TEXT, -- ';'-separated
	attrs    TEXT NOT NULL DEFAULT '{}',
	PRIMARY KEY (id)
) STRICT;

CREATE TABLE features (
	id           TEXT NOT NULL,
	name         TEXT,
	product_id   TEXT REFERENCES products (id) DEFERRABLE INITIALLY DEFERRED,
	status       TEXT CHECK (status IN ('idea', 'planned', 'beta', 'ga', 'deprecated')),
	horizon      TEXT CHECK (horizon IN ('H1', 'H2', 'H3')),
	released_at  TEXT,
	planned_at   TEXT,
	aliases      TEXT, -- ';'-separated
	attrs        TEXT NOT NULL DEFAULT '{}',
	PRIMARY KEY (id)
) STRICT;
CREATE INDEX features_product_id_idx ON features (product_id) WHERE product_id IS NOT NULL;

-- deals.products, features, loss_reasons and competitors are in the deal_*
-- link tables below.
CREATE TABLE deals (
	id          TEXT NOT NULL,
	stage       TEXT,
	account_id  TEXT REFERENCES accounts (id) DEFERRABLE INITIALLY DEFERRED,
	lead_id     TEXT REFERENCES leads (id) DEFERRABLE INITIALLY DEFERRED,
	rep_id      TEXT REFERENCES reps (id) DEFERRABLE INITIALLY DEFERRED,
	name        TEXT,
	source      TEXT,
	amount      REAL CHECK (amount >= 0),
	currency    TEXT,
	created     TEXT,
	closed      TEXT,
	outcome     TEXT CHECK (outcome IN ('won', 'lost', 'open')),
	type        TEXT CHECK (type IN ('new', 'expansion', 'renewal')),
	attrs       TEXT NOT NULL DEFAULT '{}',
	PRIMARY KEY (id)
) STRICT;
CREATE INDEX deals_account_id_idx ON deals (account_id) WHERE account_id IS NOT NULL;
CREATE INDEX deals_lead_id_idx ON deals (lead_id) WHERE lead_id IS NOT NULL;
CREATE INDEX deals_rep_id_idx ON deals (rep_id) WHERE rep_id IS NOT NULL;
CREATE INDEX deals_stage_idx ON deals (stage);
CREATE INDEX deals_outcome_idx ON deals (outcome);
CREATE INDEX deals_closed_idx ON deals (closed) WHERE closed IS NOT NULL;
CREATE INDEX deals_created_idx ON deals (created);

-- The link tables' primary key (deal_id, position) also serves as the index
-- on deal_id.
CREATE TABLE deal_products (
	deal_id     TEXT NOT NULL REFERENCES deals (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
	position    INTEGER NOT NULL,
	product_id  TEXT NOT NULL REFERENCES products (id) DEFERRABLE INITIALLY DEFERRED,
	PRIMARY KEY (deal_id, position)
) STRICT;
CREATE INDEX deal_products_product_id_idx ON deal_products (product_id);

CREATE TABLE deal_features (
	deal_id     TEXT NOT NULL REFERENCES deals (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
	position    INTEGER NOT NULL,
	feature_id  TEXT NOT NULL REFERENCES features (id) DEFERRABLE INITIALLY DEFERRED,
	PRIMARY KEY (deal_id, position)
) STRICT;
CREATE INDEX deal_features_feature_id_idx ON deal_features (feature_id);

CREATE TABLE deal_loss_reasons (
	deal_id   TEXT NOT NULL REFERENCES deals (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
	position  INTEGER NOT NULL,
	reason    TEXT NOT NULL,
	PRIMARY KEY (deal_id, position)
) STRICT;

CREATE TABLE deal_competitors (
	deal_id     TEXT NOT NULL REFERENCES deals (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
	position    INTEGER NOT NULL,
	competitor  TEXT NOT NULL,
	PRIMARY KEY (deal_id, position)
) STRICT;

CREATE TABLE deal_stages (
	id          TEXT NOT NULL,
	dup         INTEGER NOT NULL DEFAULT 0,
	deal_id     TEXT REFERENCES deals (id) DEFERRABLE INITIALLY DEFERRED,
	stage       TEXT,
	entered_at  TEXT,
	amount      REAL CHECK (amount >= 0),
	attrs       TEXT NOT NULL DEFAULT '{}',
	PRIMARY KEY (id, dup)
) STRICT;
CREATE INDEX deal_stages_deal_id_idx ON deal_stages (deal_id) WHERE deal_id IS NOT NULL;

CREATE TABLE line_items (
	id          TEXT NOT NULL,
	dup         INTEGER NOT NULL DEFAULT 0,
	deal_id     TEXT REFERENCES deals (id) DEFERRABLE INITIALLY DEFERRED,
	product_id  TEXT REFERENCES products (id) DEFERRABLE INITIALLY DEFERRED,
	quantity    REAL CHECK (quantity >= 0),
	unit_price  REAL CHECK (unit_price >= 0),
	amount      REAL CHECK (amount >= 0),
	attrs       TEXT NOT NULL DEFAULT '{}',
	PRIMARY KEY (id, dup)
) STRICT;
CREATE INDEX line_items_deal_id_idx ON line_items (deal_id) WHERE deal_id IS NOT NULL;
CREATE INDEX line_items_product_id_idx ON line_items (product_id) WHERE product_id IS NOT NULL;

CREATE TABLE subscriptions (
	id             TEXT NOT NULL,
	account_id     TEXT REFERENCES accounts (id) DEFERRABLE INITIALLY DEFERRED,
	start          TEXT,
	"end"          TEXT,
	mrr            REAL CHECK (mrr >= 0),
	status         TEXT CHECK (status IN ('active', 'churned')),
	churned_at     TEXT,
	plan           TEXT,
	tenure_months  INTEGER CHECK (tenure_months >= 0),
	attrs          TEXT NOT NULL DEFAULT '{}',
	PRIMARY KEY (id)
) STRICT;
CREATE INDEX subscriptions_account_id_idx ON subscriptions (account_id) WHERE account_id IS NOT NULL;
CREATE INDEX subscriptions_status_idx ON subscriptions (status);

CREATE TABLE usage (
	id               TEXT NOT NULL,
	dup              INTEGER NOT NULL DEFAULT 0,
	account_id       TEXT REFERENCES accounts (id) DEFERRABLE INITIALLY DEFERRED,
	feature_id       TEXT REFERENCES features (id) DEFERRABLE INITIALLY DEFERRED,
	at               TEXT,
	user_id          TEXT,
	count            REAL CHECK (count >= 0),
	subscription_id  TEXT REFERENCES subscriptions (id) DEFERRABLE INITIALLY DEFERRED,
	attrs            TEXT NOT NULL DEFAULT '{}',
	PRIMARY KEY (id, dup)
) STRICT;
CREATE INDEX usage_account_id_idx ON usage (account_id) WHERE account_id IS NOT NULL;
CREATE INDEX usage_feature_id_idx ON usage (feature_id) WHERE feature_id IS NOT NULL;
CREATE INDEX usage_subscription_id_idx ON usage (subscription_id) WHERE subscription_id IS NOT NULL;
CREATE INDEX usage_at_idx ON usage (at);

CREATE TABLE adoptions (
	id          TEXT NOT NULL,
	dup         INTEGER NOT NULL DEFAULT 0,
	account_id  TEXT REFERENCES accounts (id) DEFERRABLE INITIALLY DEFERRED,
	feature_id  TEXT REFERENCES features (id) DEFERRABLE INITIALLY DEFERRED,
	adopted_at  TEXT,
	source      TEXT,
	attrs       TEXT NOT NULL DEFAULT '{}',
	PRIMARY KEY (id, dup)
) STRICT;
CREATE INDEX adoptions_account_id_idx ON adoptions (account_id) WHERE account_id IS NOT NULL;
CREATE INDEX adoptions_feature_id_idx ON adoptions (feature_id) WHERE feature_id IS NOT NULL;

CREATE TABLE tickets (
	id            TEXT NOT NULL,
	dup           INTEGER NOT NULL DEFAULT 0,
	account_id    TEXT REFERENCES accounts (id) DEFERRABLE INITIALLY DEFERRED,
	opened        TEXT,
	closed        TEXT,
	priority      TEXT,
	status        TEXT,
	satisfaction  REAL,
	subject       TEXT,
	attrs         TEXT NOT NULL DEFAULT '{}',
	PRIMARY KEY (id, dup)
) STRICT;
CREATE INDEX tickets_account_id_idx ON tickets (account_id) WHERE account_id IS NOT NULL;

CREATE TABLE churn_events (
	id               TEXT NOT NULL,
	dup              INTEGER NOT NULL DEFAULT 0,
	account_id       TEXT REFERENCES accounts (id) DEFERRABLE INITIALLY DEFERRED,
	at               TEXT,
	reason           TEXT,
	refund           REAL CHECK (refund >= 0),
	feedback         TEXT,
	subscription_id  TEXT REFERENCES subscriptions (id) DEFERRABLE INITIALLY DEFERRED,
	attrs            TEXT NOT NULL DEFAULT '{}',
	PRIMARY KEY (id, dup)
) STRICT;
CREATE INDEX churn_events_account_id_idx ON churn_events (account_id) WHERE account_id IS NOT NULL;
CREATE INDEX churn_events_subscription_id_idx ON churn_events (subscription_id) WHERE subscription_id IS NOT NULL;

CREATE TABLE glossary (
	id          TEXT NOT NULL,
	name        TEXT,
	definition  TEXT,
	formula     TEXT,
	owner       TEXT,
	attrs       TEXT NOT NULL DEFAULT '{}',
	PRIMARY KEY (id)
) STRICT;
