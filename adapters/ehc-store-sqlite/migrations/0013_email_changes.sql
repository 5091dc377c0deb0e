-- EHC Hub, SQLite schema 13: *Change your email address* links (issue 8,
-- `ehc_core::account_change`).
--
-- `email_changes`: one row per link, with the invitation's token rules: only the token's
-- SHA-256 is kept, `consume` is one UPDATE guarded by `status = 'pending' AND expires_at > now`,
-- a newer request supersedes the account's pending links. The new address is kept as typed
-- (`new_email_entered`, read back through the core's parser, as `accounts.email_entered` is)
-- beside its lower-case canonical form (`new_email_canonical`, as `accounts.email_canonical`).
-- The account's own address changes only when the link is used (`accounts` is not touched
-- here); another account taking the address meanwhile is caught then by
-- `accounts_email_canonical_key`.
CREATE TABLE email_changes (
    seq                 INTEGER PRIMARY KEY,
    account_id          BLOB    NOT NULL,
    new_email_entered   TEXT    NOT NULL,
    new_email_canonical TEXT    NOT NULL,
    token_hash          BLOB    NOT NULL,
    created_at          INTEGER NOT NULL,
    expires_at          INTEGER NOT NULL,
    status              TEXT    NOT NULL,
    status_at           INTEGER,          -- when it was used or superseded
    CONSTRAINT email_changes_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT email_changes_token_hash_key UNIQUE (token_hash),
    CONSTRAINT email_changes_token_hash_length CHECK (length(token_hash) = 32),
    CONSTRAINT email_changes_status_known CHECK (status IN ('pending', 'used', 'superseded')),
    CONSTRAINT email_changes_status_at_set CHECK ((status = 'pending') = (status_at IS NULL))
) STRICT;
CREATE INDEX email_changes_by_account ON email_changes (account_id, created_at);
