-- EHC Hub, SQLite schema 7: e-mail alert preferences and the alerts parked for a person's daily
-- digest (the core's `alert` module; `SqliteUnitOfWork` implements `AlertRepository`).
--
-- A person with no row gets each alert straight away. Parked alerts are deleted in the unit of
-- work that queues their digest in the outbox (SQLite serialises writers, so no alert is taken
-- twice).
CREATE TABLE alert_preferences (
    account_id BLOB    NOT NULL,
    preference TEXT    NOT NULL,
    updated_at INTEGER NOT NULL,
    CONSTRAINT alert_preferences_pkey PRIMARY KEY (account_id),
    CONSTRAINT alert_preferences_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT alert_preferences_known CHECK (preference IN ('immediately', 'daily-digest'))
) STRICT;

CREATE TABLE parked_alerts (
    seq            INTEGER PRIMARY KEY,
    id             BLOB    NOT NULL,
    account_id     BLOB    NOT NULL,
    case_reference TEXT    NOT NULL,
    "update"       TEXT    NOT NULL, -- CaseUpdate as JSON
    created_at     INTEGER NOT NULL,
    CONSTRAINT parked_alerts_id_key UNIQUE (id),
    CONSTRAINT parked_alerts_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id)
) STRICT;

CREATE INDEX parked_alerts_created_at_idx ON parked_alerts (created_at, account_id);
