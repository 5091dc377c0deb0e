-- EHC Hub, SQLite schema 1: accounts, invitations, role grants, second factors, lockouts, the
-- outbox and the audit log (issue 3). Applied by `SqliteStore::migrate` (sqlx's migrator, which
-- records it in `_sqlx_migrations` and never applies it twice).
--
-- Conventions (the same schema as the PostgreSQL adapter's, in SQLite's types):
-- - STRICT tables, so a wrong type is an error rather than a silent conversion.
-- - Ids are 16-byte BLOBs (UUIDs); instants are INTEGER microseconds since the Unix epoch, UTC
--   (they compare correctly as numbers, unlike text timestamps with varying precision); JSON is
--   TEXT in the core's serde form.
-- - Every constraint has an explicit name. SQLite reports a broken UNIQUE or PRIMARY KEY
--   constraint by its columns ("UNIQUE constraint failed: accounts.email_canonical"), not by
--   name; the adapter maps those columns to domain errors (src/error.rs).
-- - Secrets are never stored in clear (tokens and texted codes as SHA-256 hashes, made by the
--   core). The pragmas (WAL, foreign keys, busy timeout) are set on every connection by the
--   adapter, not here.

-- A person. Unique on the canonical (lower-case) address that the core computes, so
-- `Jo.Bloggs@Example.GOV.UK` and `jo.bloggs@example.gov.uk` can never be two accounts.
CREATE TABLE accounts (
    id              BLOB    NOT NULL,
    email_entered   TEXT    NOT NULL,
    email_canonical TEXT    NOT NULL,
    password_hash   TEXT    NOT NULL, -- argon2id PHC string
    created_at      INTEGER NOT NULL,
    CONSTRAINT accounts_pkey PRIMARY KEY (id),
    CONSTRAINT accounts_email_canonical_key UNIQUE (email_canonical)
) STRICT;

-- An invitation and its single-use registration link (only the token's SHA-256 is kept).
-- `consume` is one UPDATE guarded by `status = 'pending' AND expires_at > now`.
CREATE TABLE invitations (
    id              BLOB    NOT NULL,
    email_entered   TEXT    NOT NULL,
    email_canonical TEXT    NOT NULL,
    roles           TEXT    NOT NULL, -- [Role] as JSON
    invited_by      TEXT    NOT NULL, -- Grantor as JSON
    token_hash      BLOB    NOT NULL,
    created_at      INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL,
    status          TEXT    NOT NULL,
    status_at       INTEGER,          -- when it was used or superseded
    CONSTRAINT invitations_pkey PRIMARY KEY (id),
    CONSTRAINT invitations_token_hash_key UNIQUE (token_hash),
    CONSTRAINT invitations_token_hash_length CHECK (length(token_hash) = 32),
    CONSTRAINT invitations_status_known CHECK (status IN ('pending', 'used', 'superseded')),
    CONSTRAINT invitations_status_at_set CHECK ((status = 'pending') = (status_at IS NULL))
) STRICT;
CREATE INDEX invitations_pending_by_email ON invitations (email_canonical) WHERE status = 'pending';

-- Role grants, in the order they were made (rowid).
CREATE TABLE role_grants (
    seq         INTEGER PRIMARY KEY, -- the rowid: insertion order
    id          BLOB    NOT NULL,
    account_id  BLOB    NOT NULL,
    role        TEXT    NOT NULL, -- Role as JSON
    granted_by  TEXT    NOT NULL, -- Grantor as JSON
    granted_at  INTEGER NOT NULL,
    expires_at  INTEGER,
    revoked_by  TEXT,             -- Grantor as JSON
    revoked_at  INTEGER,
    CONSTRAINT role_grants_id_key UNIQUE (id),
    CONSTRAINT role_grants_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT role_grants_revoked_both CHECK ((revoked_by IS NULL) = (revoked_at IS NULL))
) STRICT;
CREATE INDEX role_grants_by_account ON role_grants (account_id, seq);

-- At most one confirmed second factor per account (primary key → "already enrolled"). The
-- TOTP secret is stored as the core gives it (base32): encrypt the file at rest in production
-- (docs/storage.md). `last_totp_step` makes a TOTP step usable once.
CREATE TABLE second_factors (
    account_id     BLOB    NOT NULL,
    method         TEXT    NOT NULL,
    totp_secret    TEXT,
    phone_e164     TEXT,
    phone_entered  TEXT,
    last_totp_step INTEGER,
    enrolled_at    INTEGER NOT NULL,
    CONSTRAINT second_factors_pkey PRIMARY KEY (account_id),
    CONSTRAINT second_factors_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT second_factors_method_fields CHECK (
        (method = 'app' AND totp_secret IS NOT NULL AND phone_e164 IS NULL)
        OR (method = 'text' AND totp_secret IS NULL AND phone_e164 IS NOT NULL
            AND phone_entered IS NOT NULL AND last_totp_step IS NULL))
) STRICT;

-- Texted sign-in codes, as hashes. Counted and recorded inside one write transaction
-- (BEGIN IMMEDIATE); consumed once by one UPDATE.
CREATE TABLE sms_codes (
    id         INTEGER PRIMARY KEY,
    account_id BLOB    NOT NULL,
    code_hash  BLOB    NOT NULL,
    sent_at    INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    CONSTRAINT sms_codes_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT sms_codes_hash_length CHECK (length(code_hash) = 32)
) STRICT;
CREATE INDEX sms_codes_by_account ON sms_codes (account_id, sent_at);

-- Consecutive failures per account and kind; one INSERT … ON CONFLICT DO UPDATE applies
-- `Lockout::after_failure`.
CREATE TABLE lockouts (
    account_id   BLOB    NOT NULL,
    kind         TEXT    NOT NULL,
    failures     INTEGER NOT NULL,
    locked_until INTEGER,
    CONSTRAINT lockouts_pkey PRIMARY KEY (account_id, kind),
    CONSTRAINT lockouts_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT lockouts_kind_known CHECK (kind IN ('password', 'code')),
    CONSTRAINT lockouts_failures_not_negative CHECK (failures >= 0)
) STRICT;

-- The outbox (see the PostgreSQL schema for the states). One claimer at a time: SQLite
-- serialises writers, so a claim is one UPDATE … RETURNING. `content` is erased (NULL) once a
-- message that carries a secret is sent.
CREATE TABLE outbox (
    seq             INTEGER PRIMARY KEY,
    id              BLOB    NOT NULL,
    recipient       TEXT    NOT NULL, -- Recipient as JSON
    kind            TEXT    NOT NULL, -- MessageContent's tag, kept after the content is erased
    content         TEXT,             -- MessageContent as JSON
    carries_secret  INTEGER NOT NULL, -- 0 or 1
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT,
    sent_at         INTEGER,
    dead_at         INTEGER,
    CONSTRAINT outbox_id_key UNIQUE (id),
    CONSTRAINT outbox_sent_or_dead CHECK (sent_at IS NULL OR dead_at IS NULL),
    CONSTRAINT outbox_content_until_sent CHECK (content IS NOT NULL OR sent_at IS NOT NULL),
    CONSTRAINT outbox_secret_erased CHECK (NOT (carries_secret AND sent_at IS NOT NULL AND content IS NOT NULL))
) STRICT;
CREATE INDEX outbox_due ON outbox (next_attempt_at, seq) WHERE sent_at IS NULL AND dead_at IS NULL;
CREATE INDEX outbox_dead ON outbox (dead_at, seq) WHERE dead_at IS NOT NULL;

-- The audit log: append-only. The adapter has no UPDATE or DELETE for it, and these triggers
-- refuse any typed by hand.
CREATE TABLE audit_log (
    seq     INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    actor   BLOB,
    subject BLOB,
    kind    TEXT    NOT NULL, -- AuditKind::as_str
    origin  TEXT,             -- client IP address, when known
    detail  TEXT    NOT NULL
) STRICT;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
