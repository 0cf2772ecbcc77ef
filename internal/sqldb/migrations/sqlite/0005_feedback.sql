-- Files that came with feedback (mail attachments) and, later, specials'
-- evidence: addressed by the SHA-256 of their bytes, so a file attached
-- twice is stored once. Rows are never changed.
CREATE TABLE blobs (
	sha256        TEXT NOT NULL CHECK (length(sha256) = 64),
	content_type  TEXT NOT NULL,
	size          INTEGER NOT NULL CHECK (size >= 0),
	data          BLOB NOT NULL,
	PRIMARY KEY (sha256)
) STRICT;
