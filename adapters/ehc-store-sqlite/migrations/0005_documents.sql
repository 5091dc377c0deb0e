-- Documents kept on cases (issue 7): the PostgreSQL schema in SQLite's types (uuid → BLOB,
-- instants → INTEGER microseconds, json → TEXT). The bytes are in the document store under the
-- SHA-256 of their content; each upload keeps its own row, title and audience.
--
-- Rows are written once and never changed.

CREATE TABLE documents (
    id           BLOB    NOT NULL,
    case_id      BLOB    NOT NULL,
    content_hash TEXT    NOT NULL,
    file_name    TEXT    NOT NULL,
    content_type TEXT    NOT NULL,
    size_bytes   INTEGER NOT NULL,
    title        TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    uploaded_by  BLOB    NOT NULL,
    uploaded_at  INTEGER NOT NULL,
    visible_to   TEXT    NOT NULL,
    CONSTRAINT documents_pkey PRIMARY KEY (id),
    CONSTRAINT documents_case_fkey FOREIGN KEY (case_id) REFERENCES cases (id),
    CONSTRAINT documents_uploaded_by_fkey FOREIGN KEY (uploaded_by) REFERENCES accounts (id),
    CONSTRAINT documents_content_hash_hex
        CHECK (length(content_hash) = 64 AND content_hash NOT GLOB '*[^0-9a-f]*'),
    CONSTRAINT documents_size_not_negative CHECK (size_bytes >= 0)
) STRICT;
CREATE INDEX documents_by_case ON documents (case_id, uploaded_at DESC, id DESC);
CREATE INDEX documents_by_content_hash ON documents (content_hash);
