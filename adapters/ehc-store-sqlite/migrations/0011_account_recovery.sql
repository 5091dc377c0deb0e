-- EHC Hub, SQLite schema 11: account recovery (issue 8, `ehc_core::recovery`).
--
-- `accounts.sessions_ended_at`: a password reset or an LA officer's second-factor reset ends
-- every session of the account begun before this instant (microseconds since the epoch, UTC);
-- the web layer compares each request's sign-in state with it.
--
-- `password_resets`: *Reset your password* links, with the invitation's token rules: only the
-- token's SHA-256 is kept, `consume` is one UPDATE guarded by `status = 'pending' AND
-- expires_at > now`, a newer request supersedes the account's pending links.
ALTER TABLE accounts ADD COLUMN sessions_ended_at INTEGER;

CREATE TABLE password_resets (
    seq        INTEGER PRIMARY KEY,
    account_id BLOB    NOT NULL,
    token_hash BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    status     TEXT    NOT NULL,
    status_at  INTEGER,          -- when it was used or superseded
    CONSTRAINT password_resets_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT password_resets_token_hash_key UNIQUE (token_hash),
    CONSTRAINT password_resets_token_hash_length CHECK (length(token_hash) = 32),
    CONSTRAINT password_resets_status_known CHECK (status IN ('pending', 'used', 'superseded')),
    CONSTRAINT password_resets_status_at_set CHECK ((status = 'pending') = (status_at IS NULL))
) STRICT;
CREATE INDEX password_resets_by_account ON password_resets (account_id, created_at);

-- Recovery codes (10 at a time, shown once), as SHA-256 hashes bound to the account. A new set
-- replaces the old one; `consume_recovery_code` is one UPDATE guarded by `used_at IS NULL`.
CREATE TABLE recovery_codes (
    seq        INTEGER PRIMARY KEY,
    account_id BLOB    NOT NULL,
    code_hash  BLOB    NOT NULL,
    issued_at  INTEGER NOT NULL,
    used_at    INTEGER,
    CONSTRAINT recovery_codes_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT recovery_codes_hash_length CHECK (length(code_hash) = 32),
    CONSTRAINT recovery_codes_account_hash_key UNIQUE (account_id, code_hash)
) STRICT;
