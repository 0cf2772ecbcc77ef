-- Accounts: users, browser sessions, API tokens, the audit log, and the
-- data version. The same tables as migrations/sqlite/0002_accounts.sql;
-- times are timestamptz (microseconds), the audit log's JSON is json (not
-- jsonb) so each entry keeps exactly the text that was written.

CREATE TABLE users (
	id             text COLLATE "C" NOT NULL,
	email          text COLLATE "C" NOT NULL, -- lower case, as the store writes it
	name           text COLLATE "C" NOT NULL,
	role           text COLLATE "C" NOT NULL CHECK (role IN ('admin', 'revops', 'product', 'sales', 'cs', 'finance')),
	disabled       boolean NOT NULL DEFAULT false,
	password_hash  text COLLATE "C" NOT NULL,
	created_at     timestamptz NOT NULL,
	updated_at     timestamptz NOT NULL,
	last_sign_in   timestamptz,
	PRIMARY KEY (id),
	CONSTRAINT users_email_key UNIQUE (email)
);

-- Only the SHA-256 of the cookie value is kept (see tandem.Session).
CREATE TABLE sessions (
	id_hash     text COLLATE "C" NOT NULL,
	user_id     text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	csrf        text COLLATE "C" NOT NULL,
	created_at  timestamptz NOT NULL,
	expires_at  timestamptz NOT NULL,
	PRIMARY KEY (id_hash)
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

CREATE TABLE api_tokens (
	id          text COLLATE "C" NOT NULL,
	user_id     text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name        text COLLATE "C" NOT NULL,
	prefix      text COLLATE "C" NOT NULL,
	hash        text COLLATE "C" NOT NULL,
	created_at  timestamptz NOT NULL,
	expires_at  timestamptz, -- NULL: never
	revoked_at  timestamptz, -- NULL: in force
	-- Creation order, for tokens created within one clock tick (SQLite
	-- uses its rowid).
	seq         bigint GENERATED ALWAYS AS IDENTITY,
	PRIMARY KEY (id),
	CONSTRAINT api_tokens_hash_key UNIQUE (hash)
);
CREATE INDEX api_tokens_user_id_idx ON api_tokens (user_id);

-- The audit log is append-only: the triggers below refuse every UPDATE,
-- DELETE and TRUNCATE, so not even a bug (or a hand-typed statement) can
-- rewrite history. Newest first is id order.
CREATE TABLE audit_log (
	id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	at           timestamptz NOT NULL,
	actor        text COLLATE "C" NOT NULL,
	action       text COLLATE "C" NOT NULL,
	target       text COLLATE "C" NOT NULL DEFAULT '',
	before_json  json NOT NULL DEFAULT 'null',
	after_json   json NOT NULL DEFAULT 'null',
	remote       text COLLATE "C" NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_actor_idx ON audit_log (actor);
CREATE INDEX audit_log_action_idx ON audit_log (action);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	RAISE EXCEPTION 'audit log is append-only';
END
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
	FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
	FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- One row: a counter every committed load increments, in the load's
-- transaction, so every process sharing the store sees new data.
CREATE TABLE data_version (
	id       integer NOT NULL PRIMARY KEY CHECK (id = 1),
	version  bigint NOT NULL
);
INSERT INTO data_version (id, version) VALUES (1, 0);
