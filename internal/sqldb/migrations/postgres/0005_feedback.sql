-- Files that came with feedback: the same table as
-- migrations/sqlite/0005_blobs.sql.
CREATE TABLE blobs (
	sha256        text COLLATE "C" NOT NULL CHECK (length(sha256) = 64),
	content_type  text COLLATE "C" NOT NULL,
	size          bigint NOT NULL CHECK (size >= 0),
	data          bytea NOT NULL,
	PRIMARY KEY (sha256)
);
