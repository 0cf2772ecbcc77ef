-- Accounts: users, browser sessions, API tokens, the audit log, and the
-- data version that cached analytics compare. The conventions of
-- 0001_init.sql hold, with one difference for times: every time here is
-- TEXT in RFC 3339 UTC with exactly six fractional digits
-- ("2024-03-01T09:30:00.000000Z"), the same precision as PostgreSQL but
-- fixed-width, so that comparing strings (expiry checks, audit ranges)
-- compares instants even within one second.

CREATE TABLE users (
	id             TEXT NOT NULL,
	email          TEXT NOT NULL, -- lower case, as the store writes it
	name           TEXT NOT NULL,
	role           TEXT NOT NULL CHECK (role IN ('admin', 'revops', 'product', 'sales', 'cs', 'finance')),
	disabled       INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
	password_hash  TEXT NOT NULL,
	created_at     TEXT NOT NULL,
	updated_at     TEXT NOT NULL,
	last_sign_in   TEXT,
	PRIMARY KEY (id),
	UNIQUE (email)
) STRICT;

-- Only the SHA-256 of the cookie value is kept (see tandem.Session).
CREATE TABLE sessions (
	id_hash     TEXT NOT NULL,
	user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	csrf        TEXT NOT NULL,
	created_at  TEXT NOT NULL,
	expires_at  TEXT NOT NULL,
	PRIMARY KEY (id_hash)
) STRICT;
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

-- A rowid table: rowid is the creation order, for tokens created within
-- one clock tick (PostgreSQL has a seq column).
CREATE TABLE api_tokens (
	id          TEXT NOT NULL,
	user_id     TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name        TEXT NOT NULL,
	prefix      TEXT NOT NULL,
	hash        TEXT NOT NULL,
	created_at  TEXT NOT NULL,
	expires_at  TEXT, -- NULL: never
	revoked_at  TEXT, -- NULL: in force
	PRIMARY KEY (id),
	UNIQUE (hash)
) STRICT;
CREATE INDEX api_tokens_user_id_idx ON api_tokens (user_id);

-- The audit log is append-only: the triggers below refuse every UPDATE and
-- DELETE, so not even a bug (or a hand-typed statement) can rewrite
-- history. AUTOINCREMENT keeps ids growing forever: newest first is id
-- order.
CREATE TABLE audit_log (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	at           TEXT NOT NULL,
	actor        TEXT NOT NULL,
	action       TEXT NOT NULL,
	target       TEXT NOT NULL DEFAULT '',
	before_json  TEXT NOT NULL DEFAULT 'null' CHECK (json_valid(before_json)),
	after_json   TEXT NOT NULL DEFAULT 'null' CHECK (json_valid(after_json)),
	remote       TEXT NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_actor_idx ON audit_log (actor);
CREATE INDEX audit_log_action_idx ON audit_log (action);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
	SELECT RAISE(ABORT, 'audit log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
	SELECT RAISE(ABORT, 'audit log is append-only');
END;

-- One row: a counter every committed load increments, in the load's
-- transaction, so every process sharing the store sees new data.
CREATE TABLE data_version (
	id       INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
	version  INTEGER NOT NULL
) STRICT;
INSERT INTO data_version (id, version) VALUES (1, 0);
