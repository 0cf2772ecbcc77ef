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

-- How many versions of each kind of document are stored: the stamp caches
-- compare (tandem.DeskStore.DocsStamp) without counting a hundred thousand
-- feedback items on every read. Kept in the transaction that writes the
-- versions.
CREATE TABLE desk_doc_stamps (
	kind      TEXT NOT NULL,
	versions  INTEGER NOT NULL CHECK (versions >= 0),
	PRIMARY KEY (kind)
) STRICT;
INSERT INTO desk_doc_stamps (kind, versions) SELECT kind, count(*) FROM desk_docs GROUP BY kind;
