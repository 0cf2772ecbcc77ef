-- Deal-desk quotes imported from a CPQ or CRM: the same tables, keys and
-- indexes as migrations/sqlite/0004_quotes.sql, in the types of
-- 0001_init.sql (text COLLATE "C", bigint, double precision, timestamptz,
-- jsonb).

CREATE TABLE quotes (
	id                  text COLLATE "C" NOT NULL,
	deal_id             text COLLATE "C" REFERENCES deals (id) DEFERRABLE INITIALLY DEFERRED,
	term_months         bigint CHECK (term_months >= 0),
	billing             text COLLATE "C" CHECK (billing IN ('monthly', 'quarterly', 'annual', 'upfront')),
	payment_terms_days  bigint CHECK (payment_terms_days >= 0),
	nonstandard_terms   text COLLATE "C",
	currency            text COLLATE "C",
	promises            text COLLATE "C", -- ';'-joined FEATURE@YYYY-MM-DD
	created             timestamptz,
	attrs               jsonb NOT NULL DEFAULT '{}',
	PRIMARY KEY (id)
);
CREATE INDEX quotes_deal_id_idx ON quotes (deal_id) WHERE deal_id IS NOT NULL;

CREATE TABLE quote_lines (
	id          text COLLATE "C" NOT NULL,
	dup         integer NOT NULL DEFAULT 0,
	quote_id    text COLLATE "C" REFERENCES quotes (id) DEFERRABLE INITIALLY DEFERRED,
	product_id  text COLLATE "C" REFERENCES products (id) DEFERRABLE INITIALLY DEFERRED,
	quantity    double precision CHECK (quantity >= 0),
	list_price  double precision CHECK (list_price >= 0),
	discount    double precision CHECK (discount >= 0 AND discount <= 100),
	net_price   double precision CHECK (net_price >= 0),
	attrs       jsonb NOT NULL DEFAULT '{}',
	PRIMARY KEY (id, dup)
);
CREATE INDEX quote_lines_quote_id_idx ON quote_lines (quote_id) WHERE quote_id IS NOT NULL;
CREATE INDEX quote_lines_product_id_idx ON quote_lines (product_id) WHERE product_id IS NOT NULL;
