-- EHC Hub, PostgreSQL schema 1: accounts, invitations, role grants, second factors, lockouts,
-- the outbox and the audit log (issue 3). Applied by `PgStore::migrate` (sqlx's migrator, which
-- records it in `_sqlx_migrations` and never applies it twice).
--
-- Conventions: every constraint has an explicit name, because the adapter maps names to domain
-- errors (src/error.rs); instants are `timestamptz` (microsecond precision); secrets are never
-- stored in clear (tokens and texted codes as SHA-256 hashes, made by the core).

-- A person. The unique constraint is on the canonical (lower-case) address that the core
-- computes, so `Jo.Bloggs@Example.GOV.UK` and `jo.bloggs@example.gov.uk` can never be two
-- accounts; the address as typed is kept beside it for display and mail.
CREATE TABLE accounts (
    id              uuid        NOT NULL,
    email_entered   text        NOT NULL,
    email_canonical text        NOT NULL,
    password_hash   text        NOT NULL, -- argon2id PHC string
    created_at      timestamptz NOT NULL,
    CONSTRAINT accounts_pkey PRIMARY KEY (id),
    CONSTRAINT accounts_email_canonical_key UNIQUE (email_canonical)
);

-- An invitation and its single-use registration link. Only the SHA-256 of the link's token is
-- kept. `consume` is one UPDATE guarded by `status = 'pending' AND expires_at > now`, so two
-- concurrent registrations with one link give one account.
CREATE TABLE invitations (
    id              uuid        NOT NULL,
    email_entered   text        NOT NULL,
    email_canonical text        NOT NULL,
    roles           jsonb       NOT NULL, -- [Role] as the core serialises it
    invited_by      jsonb       NOT NULL, -- Grantor
    token_hash      bytea       NOT NULL,
    created_at      timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    status          text        NOT NULL,
    status_at       timestamptz,          -- when it was used or superseded
    CONSTRAINT invitations_pkey PRIMARY KEY (id),
    CONSTRAINT invitations_token_hash_key UNIQUE (token_hash),
    CONSTRAINT invitations_token_hash_length CHECK (octet_length(token_hash) = 32),
    CONSTRAINT invitations_status_known CHECK (status IN ('pending', 'used', 'superseded')),
    CONSTRAINT invitations_status_at_set CHECK ((status = 'pending') = (status_at IS NULL))
);
-- Re-inviting supersedes the pending invitations of one address.
CREATE INDEX invitations_pending_by_email ON invitations (email_canonical) WHERE status = 'pending';

-- Role grants; `seq` keeps the order they were made in ("oldest first").
CREATE TABLE role_grants (
    seq         bigint      GENERATED ALWAYS AS IDENTITY,
    id          uuid        NOT NULL,
    account_id  uuid        NOT NULL,
    role        jsonb       NOT NULL, -- Role
    granted_by  jsonb       NOT NULL, -- Grantor
    granted_at  timestamptz NOT NULL,
    expires_at  timestamptz,
    revoked_by  jsonb,                -- Grantor
    revoked_at  timestamptz,
    CONSTRAINT role_grants_pkey PRIMARY KEY (id),
    CONSTRAINT role_grants_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT role_grants_revoked_both CHECK ((revoked_by IS NULL) = (revoked_at IS NULL))
);
CREATE INDEX role_grants_by_account ON role_grants (account_id, seq);

-- At most one confirmed second factor per account (the primary key: a second enrolment is
-- refused as "already enrolled"). The TOTP secret is stored as the core gives it (base32):
-- encrypt it at rest in production (docs/storage.md). `last_totp_step` makes a TOTP step
-- usable once: one UPDATE accepts a step only if it is newer.
CREATE TABLE second_factors (
    account_id     uuid        NOT NULL,
    method         text        NOT NULL,
    totp_secret    text,
    phone_e164     text,
    phone_entered  text,
    last_totp_step bigint,
    enrolled_at    timestamptz NOT NULL,
    CONSTRAINT second_factors_pkey PRIMARY KEY (account_id),
    CONSTRAINT second_factors_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT second_factors_method_fields CHECK (
        (method = 'app' AND totp_secret IS NOT NULL AND phone_e164 IS NULL)
        OR (method = 'text' AND totp_secret IS NULL AND phone_e164 IS NOT NULL
            AND phone_entered IS NOT NULL AND last_totp_step IS NULL))
);

-- Texted sign-in codes, as hashes (salted with the account id by the core). Counted against
-- the send limit under a lock on the account's row; consumed once by one UPDATE.
CREATE TABLE sms_codes (
    id         bigint      GENERATED ALWAYS AS IDENTITY,
    account_id uuid        NOT NULL,
    code_hash  bytea       NOT NULL,
    sent_at    timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    CONSTRAINT sms_codes_pkey PRIMARY KEY (id),
    CONSTRAINT sms_codes_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT sms_codes_hash_length CHECK (octet_length(code_hash) = 32)
);
CREATE INDEX sms_codes_by_account ON sms_codes (account_id, sent_at);

-- Consecutive failures per account and kind; one INSERT … ON CONFLICT DO UPDATE applies
-- `Lockout::after_failure`, so concurrent failures are never lost.
CREATE TABLE lockouts (
    account_id   uuid        NOT NULL,
    kind         text        NOT NULL,
    failures     bigint      NOT NULL,
    locked_until timestamptz,
    CONSTRAINT lockouts_pkey PRIMARY KEY (account_id, kind),
    CONSTRAINT lockouts_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT lockouts_kind_known CHECK (kind IN ('password', 'code')),
    CONSTRAINT lockouts_failures_not_negative CHECK (failures >= 0)
);

-- The outbox: written in the unit of work of the change that causes the message, delivered by
-- dispatchers that claim due rows with FOR UPDATE SKIP LOCKED. `content` is the core's
-- MessageContent as JSON; for messages that carry a secret (a registration link's token, a
-- texted code) it is set to NULL once sent.
CREATE TABLE outbox (
    seq             bigint      GENERATED ALWAYS AS IDENTITY,
    id              uuid        NOT NULL,
    recipient       jsonb       NOT NULL, -- Recipient
    kind            text        NOT NULL, -- MessageContent's tag, kept after the content is erased
    content         jsonb,
    carries_secret  boolean     NOT NULL,
    created_at      timestamptz NOT NULL,
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    last_error      text,
    sent_at         timestamptz,
    dead_at         timestamptz,
    CONSTRAINT outbox_pkey PRIMARY KEY (id),
    CONSTRAINT outbox_sent_or_dead CHECK (sent_at IS NULL OR dead_at IS NULL),
    CONSTRAINT outbox_content_until_sent CHECK (content IS NOT NULL OR sent_at IS NOT NULL),
    CONSTRAINT outbox_secret_erased CHECK (NOT (carries_secret AND sent_at IS NOT NULL AND content IS NOT NULL))
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, seq) WHERE sent_at IS NULL AND dead_at IS NULL;
CREATE INDEX outbox_dead ON outbox (dead_at, seq) WHERE dead_at IS NOT NULL;

-- The audit log: append-only. The adapter has no UPDATE or DELETE for it, and these triggers
-- refuse any that someone types by hand (the owner can still drop the triggers: restrict the
-- hub's database role to INSERT and SELECT on this table in production).
CREATE TABLE audit_log (
    seq     bigint      GENERATED ALWAYS AS IDENTITY,
    at      timestamptz NOT NULL,
    actor   uuid,
    subject uuid,
    kind    text        NOT NULL, -- AuditKind::as_str
    origin  text,                 -- client IP address, when known
    detail  text        NOT NULL,
    CONSTRAINT audit_log_pkey PRIMARY KEY (seq)
);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
