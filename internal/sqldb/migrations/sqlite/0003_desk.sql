-- The deal desk (tandem.DeskStore): versioned documents, approval steps,
-- and the outbox of notifications. Times follow 0002_accounts.sql: TEXT in
-- RFC 3339 UTC with exactly six fractional digits, so that text order is
-- time order (due dates, the outbox's next attempt). JSON is kept as the
-- text that was written, checked by json_valid.

-- A document's versions are never rewritten: a change is a new row. The
-- primary key is what stops two writers from both adding the same next
-- version.
CREATE TABLE desk_docs (
	kind        TEXT NOT NULL CHECK (kind <> ''),
	id          TEXT NOT NULL CHECK (id <> ''),
	version     INTEGER NOT NULL CHECK (version >= 1),
	ref         TEXT NOT NULL DEFAULT '',
	body        TEXT NOT NULL CHECK (json_valid(body)),
	author      TEXT NOT NULL,
	note        TEXT NOT NULL DEFAULT '',
	created_at  TEXT NOT NULL,
	PRIMARY KEY (kind, id, version)
) STRICT;
CREATE INDEX desk_docs_ref_idx ON desk_docs (kind, ref);

-- One approver's step of one rule on one quote version. due_at and
-- acted_at are NULL until set; evidence is a JSON array of strings.
CREATE TABLE desk_approvals (
	id             TEXT NOT NULL,
	quote_id       TEXT NOT NULL,
	quote_version  INTEGER NOT NULL CHECK (quote_version >= 1),
	deal_id        TEXT NOT NULL,
	rule           TEXT NOT NULL,
	level          INTEGER NOT NULL,
	chain          TEXT NOT NULL DEFAULT '',
	mode           TEXT NOT NULL CHECK (mode IN ('sequential', 'parallel-any', 'parallel-all')),
	step           INTEGER NOT NULL CHECK (step >= 0),
	approver       TEXT NOT NULL,
	via            TEXT NOT NULL DEFAULT '',
	status         TEXT NOT NULL CHECK (status IN ('waiting', 'pending', 'approved', 'rejected', 'skipped', 'superseded')),
	basis          TEXT NOT NULL DEFAULT '',
	carried_from   TEXT NOT NULL DEFAULT '',
	evidence       TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(evidence) AND json_type(evidence) = 'array'),
	reason         TEXT NOT NULL DEFAULT '',
	acted_by       TEXT NOT NULL DEFAULT '',
	requested_at   TEXT NOT NULL,
	due_at         TEXT,
	acted_at       TEXT,
	PRIMARY KEY (id)
) STRICT;
CREATE INDEX desk_approvals_quote_idx ON desk_approvals (quote_id, quote_version);
CREATE INDEX desk_approvals_approver_idx ON desk_approvals (approver, status);
CREATE INDEX desk_approvals_due_idx ON desk_approvals (status, due_at);

-- Notifications wait here until delivered: they are written in the
-- transaction of the change they announce. A rowid table: rowid is the
-- creation order, for notifications queued within one clock tick
-- (PostgreSQL has a seq column).
CREATE TABLE desk_outbox (
	id          TEXT NOT NULL,
	channel     TEXT NOT NULL,
	event       TEXT NOT NULL,
	payload     TEXT NOT NULL CHECK (json_valid(payload)),
	status      TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
	attempts    INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	next_at     TEXT NOT NULL,
	last_error  TEXT NOT NULL DEFAULT '',
	created_at  TEXT NOT NULL,
	PRIMARY KEY (id)
) STRICT;
CREATE INDEX desk_outbox_due_idx ON desk_outbox (status, next_at);
