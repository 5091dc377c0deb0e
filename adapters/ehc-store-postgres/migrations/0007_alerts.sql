-- EHC Hub, PostgreSQL schema 7: e-mail alert preferences and the alerts parked for a person's
-- daily digest (the core's `alert` module; `PgUnitOfWork` implements `AlertRepository`).
--
-- A person with no row gets each alert straight away. A digest run deletes a batch of people's
-- parked alerts with `DELETE … RETURNING` in the unit of work that queues their digests: two hub
-- processes running it at once block on the same rows, and the second then finds them gone, so
-- each alert is sent once.
CREATE TABLE alert_preferences (
    account_id uuid        NOT NULL,
    preference text        NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT alert_preferences_pkey PRIMARY KEY (account_id),
    CONSTRAINT alert_preferences_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT alert_preferences_known CHECK (preference IN ('immediately', 'daily-digest'))
);

CREATE TABLE parked_alerts (
    seq            bigint      GENERATED ALWAYS AS IDENTITY,
    id             uuid        NOT NULL,
    account_id     uuid        NOT NULL,
    case_reference text        NOT NULL,
    "update"       jsonb       NOT NULL, -- CaseUpdate
    created_at     timestamptz NOT NULL,
    CONSTRAINT parked_alerts_pkey PRIMARY KEY (seq),
    CONSTRAINT parked_alerts_id_key UNIQUE (id),
    CONSTRAINT parked_alerts_account_fkey FOREIGN KEY (account_id) REFERENCES accounts (id)
);

CREATE INDEX parked_alerts_created_at_idx ON parked_alerts (created_at, account_id);
