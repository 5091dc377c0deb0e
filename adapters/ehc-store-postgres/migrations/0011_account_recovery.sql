-- Account recovery (issue 8, `ehc_core::recovery`).
--
-- `accounts.sessions_ended_at`: a password reset or an LA officer's second-factor reset ends
-- every session of the account begun before this instant; the web layer compares each
-- request's sign-in state with it.
--
-- `password_resets`: *Reset your password* links, with the invitation's token rules: only the
-- token's SHA-256 is kept, `consume` is one UPDATE guarded by `status = 'pending' AND
-- expires_at > now`, a newer request supersedes the account's pending links (the account's row
-- is locked first, so two requests at once leave one pending link).
ALTER TABLE accounts ADD COLUMN sessions_ended_at timestamptz;

CREATE TABLE password_resets (
    seq        bigint      GENERATED ALWAYS AS IDENTITY,
    account_id uuid        NOT NULL,
    token_hash bytea       NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    status     text        NOT NULL,
    status_at  timestamptz,          -- when it was used or superseded
    CONSTRAINT password_resets_pkey PRIMARY KEY (seq),
    CONSTRAINT password_resets_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT password_resets_token_hash_key UNIQUE (token_hash),
    CONSTRAINT password_resets_token_hash_length CHECK (octet_length(token_hash) = 32),
    CONSTRAINT password_resets_status_known CHECK (status IN ('pending', 'used', 'superseded')),
    CONSTRAINT password_resets_status_at_set CHECK ((status = 'pending') = (status_at IS NULL))
);
CREATE INDEX password_resets_by_account ON password_resets (account_id, created_at);

-- Recovery codes (10 at a time, shown once), as SHA-256 hashes bound to the account. A new set
-- replaces the old one; `consume_recovery_code` is one UPDATE guarded by `used_at IS NULL`.
CREATE TABLE recovery_codes (
    seq        bigint      GENERATED ALWAYS AS IDENTITY,
    account_id uuid        NOT NULL,
    code_hash  bytea       NOT NULL,
    issued_at  timestamptz NOT NULL,
    used_at    timestamptz,
    CONSTRAINT recovery_codes_pkey PRIMARY KEY (seq),
    CONSTRAINT recovery_codes_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT recovery_codes_hash_length CHECK (octet_length(code_hash) = 32),
    CONSTRAINT recovery_codes_account_hash_key UNIQUE (account_id, code_hash)
);
