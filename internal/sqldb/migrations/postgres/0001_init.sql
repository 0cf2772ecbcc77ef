-- Tandem schema, PostgreSQL dialect. The same tables, columns, keys and
-- indexes as migrations/sqlite/0001_init.sql; read that file's header for the
-- conventions. What differs:
--   * text columns use COLLATE "C" so ids sort byte-wise, exactly as in
--     SQLite: key order, pages and dumps are the same on both stores, and the
--     primary key index serves ORDER BY id.
--   * integer: bigint; number: double precision; boolean: boolean; dates:
--     timestamptz (PostgreSQL keeps microseconds, so SQLite is written at that
--     precision too); attrs: jsonb.

CREATE TABLE accounts (
	id         text COLLATE "C" NOT NULL,
	name       text COLLATE "C",
	industry   text COLLATE "C",
	segment    text COLLATE "C",
	employees  bigint CHECK (employees >= 0),
	revenue    double precision CHECK (revenue >= 0),
	region     text COLLATE "C",
	parent_id  text COLLATE "C" REFERENCES accounts (id) DEFERRABLE INITIALLY DEFERRED,
	created    timestamptz,
	attrs      jsonb NOT NULL DEFAULT '{}',
	PRIMARY KEY (id)
);
CREATE INDEX accounts_parent_id_idx ON accounts (parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE reps (
	id       text COLLATE "C" NOT NULL,
	name     text COLLATE "C",
	team     text COLLATE "C",
	manager  text COLLATE "C",
	region   text COLLATE "C",
	role     text COLLATE "C",
	attrs    jsonb NOT NULL DEFAULT '{}',
	PRIMARY KEY (id)
);

CREATE TABLE leads (
	id            text COLLATE "C" NOT NULL,
	created       timestamptz,
	source        text COLLATE "C",
	segment       text COLLATE "C",
	account_id    text COLLATE "C" REFERENCES accounts (id) DEFERRABLE INITIALLY DEFERRED,
	qualified_at  timestamptz,
	status        text COLLATE "C",
	rep_id        text COLLATE "C" REFERENCES reps (id) DEFERRABLE INITIALLY DEFERRED,
	attrs         jsonb NOT NULL DEFAULT '{}',
	PRIMARY KEY (id)
);
CREATE INDEX leads_account_id_idx ON leads (account_id) WHERE account_id IS NOT NULL;
CREATE INDEX leads_rep_id_idx ON leads (rep_id) WHERE rep_id IS NOT NULL;

CREATE TABLE products (
	id       text COLLATE "C" NOT NULL,
	name     text COLLATE "C",
	class    text COLLATE "C" CHECK (class IN ('new', 'core', 'maintenance')),
	price    double precision CHECK (price >= 0),
	series   text COLLATE "C",
	aliases  text COLLATE "C", -- ';'-separated
	attrs    jsonb NOT NULL DEFAULT '{}',
	PRIMARY KEY (id)
);

CREATE TABLE features (
	id           text COLLATE "C" NOT NULL,
	name         text COLLATE "C",
	product_id   text COLLATE "C" REFERENCES products (id) DEFERRABLE INITIALLY DEFERRED,
	status       text COLLATE "C" CHECK (status IN ('idea', 'planned', 'beta', 'ga', 'deprecated')),
	horizon      text COLLATE "C" CHECK (horizon IN ('H1', 'H2', 'H3')),
	released_at  timestamptz,
	planned_at   timestamptz,
	aliases      text COLLATE "C", -- ';'-separated
	attrs        jsonb NOT NULL DEFAULT '{}',
	PRIMARY KEY (id)
);
CREATE INDEX features_product_id_idx ON features (product_id) WHERE product_id IS NOT NULL;

-- deals.products, features, loss_reasons and competitors are in the deal_*
-- link tables below.
CREATE TABLE deals (
	id          text COLLATE "C" NOT NULL,
	stage       text COLLATE "C",
	account_id  text COLLATE "C" REFERENCES accounts (id) DEFERRABLE INITIALLY DEFERRED,
	lead_id     text COLLATE "C" REFERENCES leads (id) DEFERRABLE INITIALLY DEFERRED,
	rep_id      text COLLATE "C" REFERENCES reps (id) DEFERRABLE INITIALLY DEFERRED,
	name        text COLLATE "C",
	source      text COLLATE "C",
	amount      double precision CHECK (amount >= 0),
	currency    text COLLATE "C",
	created     timestamptz,
	closed      timestamptz,
	outcome     text COLLATE "C" CHECK (outcome IN ('won', 'lost', 'open')),
	type        text COLLATE "C" CHECK (type IN ('new', 'expansion', 'renewal')),
	attrs       jsonb NOT NULL DEFAULT '{}',
	PRIMARY KEY (id)
);
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
	deal_id     text COLLATE "C" NOT NULL REFERENCES deals (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
	position    integer NOT NULL,
	product_id  text COLLATE "C" NOT NULL REFERENCES products (id) DEFERRABLE INITIALLY DEFERRED,
	PRIMARY KEY (deal_id, position)
);
CREATE INDEX deal_products_product_id_idx ON deal_products (product_id);

CREATE TABLE deal_features (
	deal_id     text COLLATE "C" NOT NULL REFERENCES deals (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
	position    integer NOT NULL,
	feature_id  text COLLATE "C" NOT NULL REFERENCES features (id) DEFERRABLE INITIALLY DEFERRED,
	PRIMARY KEY (deal_id, position)
);
CREATE INDEX deal_features_feature_id_idx ON deal_features (feature_id);

CREATE TABLE deal_loss_reasons (
	deal_id   text COLLATE "C" NOT NULL REFERENCES deals (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
	position  integer NOT NULL,
	reason    text COLLATE "C" NOT NULL,
	PRIMARY KEY (deal_id, position)
);

CREATE TABLE deal_competitors (
	deal_id     text COLLATE "C" NOT NULL REFERENCES deals (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
	position    integer NOT NULL,
	competitor  text COLLATE "C" NOT NULL,
	PRIMARY KEY (deal_id, position)
);

CREATE TABLE deal_stages (
	id          text COLLATE "C" NOT NULL,
	dup         integer NOT NULL DEFAULT 0,
	deal_id     text COLLATE "C" REFERENCES deals (id) DEFERRABLE INITIALLY DEFERRED,
	stage       text COLLATE "C",
	entered_at  timestamptz,
	amount      double precision CHECK (amount >= 0),
	attrs       jsonb NOT NULL DEFAULT '{}',
	PRIMARY KEY (id, dup)
);
CREATE INDEX deal_stages_deal_id_idx ON deal_stages (deal_id) WHERE deal_id IS NOT NULL;

CREATE TABLE line_items (
	id          text COLLATE "C" NOT NULL,
	dup         integer NOT NULL DEFAULT 0,
	deal_id     text COLLATE "C" REFERENCES deals (id) DEFERRABLE INITIALLY DEFERRED,
	product_id  text COLLATE "C" REFERENCES products (id) DEFERRABLE INITIALLY DEFERRED,
	quantity    double precision CHECK (quantity >= 0),
	unit_price  double precision CHECK (unit_price >= 0),
	amount      double precision CHECK (amount >= 0),
	attrs       jsonb NOT NULL DEFAULT '{}',
	PRIMARY KEY (id, dup)
);
CREATE INDEX line_items_deal_id_idx ON line_items (deal_id) WHERE deal_id IS NOT NULL;
CREATE INDEX line_items_product_id_idx ON line_items (product_id) WHERE product_id IS NOT NULL;

CREATE TABLE subscriptions (
	id             text COLLATE "C" NOT NULL,
	account_id     text COLLATE "C" REFERENCES accounts (id) DEFERRABLE INITIALLY DEFERRED,
	start          timestamptz,
	"end"          timestamptz,
	mrr            double precision CHECK (mrr >= 0),
	status         text COLLATE "C" CHECK (status IN ('active', 'churned')),
	churned_at     timestamptz,
	plan           text COLLATE "C",
	tenure_months  bigint CHECK (tenure_months >= 0),
	attrs          jsonb NOT NULL DEFAULT '{}',
	PRIMARY KEY (id)
);
CREATE INDEX subscriptions_account_id_idx ON subscriptions (account_id) WHERE account_id IS NOT NULL;
CREATE INDEX subscriptions_status_idx ON subscriptions (status);

CREATE TABLE usage (
	id               text COLLATE "C" NOT NULL,
	dup              integer NOT NULL DEFAULT 0,
	account_id       text COLLATE "C" REFERENCES accounts (id) DEFERRABLE INITIALLY DEFERRED,
	feature_id       text COLLATE "C" REFERENCES features (id) DEFERRABLE INITIALLY DEFERRED,
	at               timestamptz,
	user_id          text COLLATE "C",
	count            double precision CHECK (count >= 0),
	subscription_id  text COLLATE "C" REFERENCES subscriptions (id) DEFERRABLE INITIALLY DEFERRED,
	attrs            jsonb NOT NULL DEFAULT '{}',
	PRIMARY KEY (id, dup)
);
CREATE INDEX usage_account_id_idx ON usage (account_id) WHERE account_id IS NOT NULL;
CREATE INDEX usage_feature_id_idx ON usage (feature_id) WHERE feature_id IS NOT NULL;
CREATE INDEX usage_subscription_id_idx ON usage (subscription_id) WHERE subscription_id IS NOT NULL;
CREATE INDEX usage_at_idx ON usage (at);

CREATE TABLE adoptions (
	id          text COLLATE "C" NOT NULL,
	dup         integer NOT NULL DEFAULT 0,
	account_id  text COLLATE "C" REFERENCES accounts (id) DEFERRABLE INITIALLY DEFERRED,
	feature_id  text COLLATE "C" REFERENCES features (id) DEFERRABLE INITIALLY DEFERRED,
	adopted_at  timestamptz,
	source      text COLLATE "C",
	attrs       jsonb NOT NULL DEFAULT '{}',
	PRIMARY KEY (id, dup)
);
CREATE INDEX adoptions_account_id_idx ON adoptions (account_id) WHERE account_id IS NOT NULL;
CREATE INDEX adoptions_feature_id_idx ON adoptions (feature_id) WHERE feature_id IS NOT NULL;

CREATE TABLE tickets (
	id            text COLLATE "C" NOT NULL,
	dup           integer NOT NULL DEFAULT 0,
	account_id    text COLLATE "C" REFERENCES accounts (id) DEFERRABLE INITIALLY DEFERRED,
	opened        timestamptz,
	closed        timestamptz,
	priority      text COLLATE "C",
	status        text COLLATE "C",
	satisfaction  double precision,
	subject       text COLLATE "C",
	attrs         jsonb NOT NULL DEFAULT '{}',
	PRIMARY KEY (id, dup)
);
CREATE INDEX tickets_account_id_idx ON tickets (account_id) WHERE account_id IS NOT NULL;

CREATE TABLE churn_events (
	id               text COLLATE "C" NOT NULL,
	dup              integer NOT NULL DEFAULT 0,
	account_id       text COLLATE "C" REFERENCES accounts (id) DEFERRABLE INITIALLY DEFERRED,
	at               timestamptz,
	reason           text COLLATE "C",
	refund           double precision CHECK (refund >= 0),
	feedback         text COLLATE "C",
	subscription_id  text COLLATE "C" REFERENCES subscriptions (id) DEFERRABLE INITIALLY DEFERRED,
	attrs            jsonb NOT NULL DEFAULT '{}',
	PRIMARY KEY (id, dup)
);
CREATE INDEX churn_events_account_id_idx ON churn_events (account_id) WHERE account_id IS NOT NULL;
CREATE INDEX churn_events_subscription_id_idx ON churn_events (subscription_id) WHERE subscription_id IS NOT NULL;

CREATE TABLE glossary (
	id          text COLLATE "C" NOT NULL,
	name        text COLLATE "C",
	definition  text COLLATE "C",
	formula     text COLLATE "C",
	owner       text COLLATE "C",
	attrs       jsonb NOT NULL DEFAULT '{}',
	PRIMARY KEY (id)
);

