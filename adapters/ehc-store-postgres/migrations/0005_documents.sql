-- Documents kept on cases (issue 7): the metadata of each upload. The bytes are not here: they
-- are in the document store (local disk by default), under the SHA-256 of their content, so one
-- content uploaded twice is stored once while each upload keeps its own row, title and audience.
--
-- Rows are written once and never changed.

CREATE TABLE documents (
    id           uuid        NOT NULL,
    case_id      uuid        NOT NULL,
    content_hash text        NOT NULL, -- SHA-256, 64 lower-case hex digits: the store's address
    file_name    text        NOT NULL, -- as the browser gave it, cleaned; only shown, never trusted
    content_type text        NOT NULL, -- ehc_core::document::ContentType::as_str, sniffed from the bytes
    size_bytes   bigint      NOT NULL,
    title        text        NOT NULL,
    kind         text        NOT NULL, -- ehc_core::document::DocumentKind::as_str
    uploaded_by  uuid        NOT NULL,
    uploaded_at  timestamptz NOT NULL,
    visible_to   jsonb       NOT NULL, -- ehc_core::case::timeline::Visibility
    CONSTRAINT documents_pkey PRIMARY KEY (id),
    CONSTRAINT documents_case_fkey FOREIGN KEY (case_id) REFERENCES cases (id),
    CONSTRAINT documents_uploaded_by_fkey FOREIGN KEY (uploaded_by) REFERENCES accounts (id),
    CONSTRAINT documents_content_hash_hex CHECK (content_hash ~ '^[0-9a-f]{64}$'),
    CONSTRAINT documents_size_not_negative CHECK (size_bytes >= 0)
);
-- The Documents section of a case page, newest first.
CREATE INDEX documents_by_case ON documents (case_id, uploaded_at DESC, id DESC);
-- Whether any row still names some content (for a clean-up of the store).
CREATE INDEX documents_by_content_hash ON documents (content_hash);
