-- Deal-desk quotes imported from a CPQ or CRM (Salesforce CPQ, HubSpot, or
-- Tandem CSV): the catalog entities quotes and quote_lines, after deals and
-- line_items in tandem.NewCatalog. The conventions of 0001_init.sql hold:
-- STRICT, only the key NOT NULL, deferred and indexed foreign keys, enum
-- CHECKs. quotes are referenced by their lines, so their ids are unique;
-- quote_lines, like line_items, are keyed by (id, dup).
--
-- These tables hold what was imported; the deal desk's versioned quotes
-- (desk_docs, 0003_desk.sql) are drawn from them after each import.

CREATE TABLE quotes (
	id                  TEXT NOT NULL,
	deal_id             TEXT REFERENCES deals (id) DEFERRABLE INITIALLY DEFERRED,
	term_months         INTEGER CHECK (term_months >= 0),
	billing             TEXT CHECK (billing IN ('monthly', 'quarterly', 'annual', 'upfront')),
	payment_terms_days  INTEGER CHECK (payment_terms_days >= 0),
	nonstandard_terms   TEXT,
	currency            TEXT,
	promises            TEXT, -- ';'-joined FEATURE@YYYY-MM-DD
	created             TEXT,
	attrs               TEXT NOT NULL DEFAULT '{}',
	PRIMARY KEY (id)
) STRICT;
CREATE INDEX quotes_deal_id_idx ON quotes (deal_id) WHERE deal_id IS NOT NULL;

CREATE TABLE quote_lines (
	id          TEXT NOT NULL,
	dup         INTEGER NOT NULL DEFAULT 0,
	quote_id    TEXT REFERENCES quotes (id) DEFERRABLE INITIALLY DEFERRED,
	product_id  TEXT REFERENCES products (id) DEFERRABLE INITIALLY DEFERRED,
	quantity    REAL CHECK (quantity >= 0),
	list_price  REAL CHECK (list_price >= 0),
	discount    REAL CHECK (discount >= 0 AND discount <= 100),
	net_price   REAL CHECK (net_price >= 0),
	attrs       TEXT NOT NULL DEFAULT '{}',
	PRIMARY KEY (id, dup)
) STRICT;
CREATE INDEX quote_lines_quote_id_idx ON quote_lines (quote_id) WHERE quote_id IS NOT NULL;
CREATE INDEX quote_lines_product_id_idx ON quote_lines (product_id) WHERE product_id IS NOT NULL;
