-- The deal desk: the same tables as migrations/sqlite/0003_desk.sql. Times
-- are timestamptz (microseconds); JSON is json, not jsonb, so a document
-- reads back as exactly the text that was written, as the audit log does.

-- A document's versions are never rewritten: a change is a new row. The
-- primary key is what stops two writers from both adding the same next
-- version.
CREATE TABLE desk_docs (
	kind        text COLLATE "C" NOT NULL CHECK (kind <> ''),
	id          text COLLATE "C" NOT NULL CHECK (id <> ''),
	version     integer NOT NULL CHECK (version >= 1),
	ref         text COLLATE "C" NOT NULL DEFAULT '',
	body        json NOT NULL,
	author      text COLLATE "C" NOT NULL,
	note        text COLLATE "C" NOT NULL DEFAULT '',
	created_at  timestamptz NOT NULL,
	PRIMARY KEY (kind, id, version)
);
CREATE INDEX desk_docs_ref_idx ON desk_docs (kind, ref);

-- One approver's step of one rule on one quote version. due_at and
-- acted_at are NULL until set; evidence is a JSON array of strings.
CREATE TABLE desk_approvals (
	id             text COLLATE "C" NOT NULL,
	quote_id       text COLLATE "C" NOT NULL,
	quote_version  integer NOT NULL CHECK (quote_version >= 1),
	deal_id        text COLLATE "C" NOT NULL,
	rule           text COLLATE "C" NOT NULL,
	level          integer NOT NULL,
	chain          text COLLATE "C" NOT NULL DEFAULT '',
	mode           text COLLATE "C" NOT NULL CHECK (mode IN ('sequential', 'parallel-any', 'parallel-all')),
	step           integer NOT NULL CHECK (step >= 0),
	approver       text COLLATE "C" NOT NULL,
	via            text COLLATE "C" NOT NULL DEFAULT '',
	status         text COLLATE "C" NOT NULL CHECK (status IN ('waiting', 'pending', 'approved', 'rejected', 'skipped', 'superseded')),
	basis          text COLLATE "C" NOT NULL DEFAULT '',
	carried_from   text COLLATE "C" NOT NULL DEFAULT '',
	evidence       json NOT NULL DEFAULT '[]' CHECK (json_typeof(evidence) = 'array'),
	reason         text COLLATE "C" NOT NULL DEFAULT '',
	acted_by       text COLLATE "C" NOT NULL DEFAULT '',
	requested_at   timestamptz NOT NULL,
	due_at         timestamptz,
	acted_at       timestamptz,
	PRIMARY KEY (id)
);
CREATE INDEX desk_approvals_quote_idx ON desk_approvals (quote_id, quote_version);
CREATE INDEX desk_approvals_approver_idx ON desk_approvals (approver, status);
CREATE INDEX desk_approvals_due_idx ON desk_approvals (status, due_at);

-- Notifications wait here until delivered: they are written in the
-- transaction of the change they announce.
CREATE TABLE desk_outbox (
	id          text COLLATE "C" NOT NULL,
	channel     text COLLATE "C" NOT NULL,
	event       text COLLATE "C" NOT NULL,
	payload     json NOT NULL,
	status      text COLLATE "C" NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
	attempts    integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
	next_at     timestamptz NOT NULL,
	last_error  text COLLATE "C" NOT NULL DEFAULT '',
	created_at  timestamptz NOT NULL,
	-- Creation order, for notifications queued within one clock tick
	-- (SQLite uses its rowid).
	seq         bigint GENERATED ALWAYS AS IDENTITY,
	PRIMARY KEY (id)
);
CREATE INDEX desk_outbox_due_idx ON desk_outbox (status, next_at);
