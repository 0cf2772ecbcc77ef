-- Files that came with feedback: the same table as
-- migrations/sqlite/0005_blobs.sql.
CREATE TABLE blobs (
	sha256        text COLLATE "C" NOT NULL CHECK (length(sha256) = 64),
	content_type  text COLLATE "C" NOT NULL,
	size          bigint NOT NULL CHECK (size >= 0),
	data          bytea NOT NULL,
	PRIMARY KEY (sha256)
);

-- Versions stored per kind of document, as in the SQLite migration.
CREATE TABLE desk_doc_stamps (
	kind      text COLLATE "C" NOT NULL,
	versions  bigint NOT NULL CHECK (versions >= 0),
	PRIMARY KEY (kind)
);
INSERT INTO desk_doc_stamps (kind, versions) SELECT kind, count(*) FROM desk_docs GROUP BY kind;
