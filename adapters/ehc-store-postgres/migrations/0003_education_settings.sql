-- EHC Hub, PostgreSQL schema 3: education settings (schools, colleges, early-years providers),
-- imported from GIAS's establishment file by `ehc-hub import-settings` (the core's
-- `SettingImport`) and implemented by `PgUnitOfWork` as the core's `SettingRepository`.
--
-- One row per DfE URN. An import upserts every row of the file in one statement each:
-- `INSERT … ON CONFLICT (urn) DO UPDATE … RETURNING (xmax = 0)` — a row version that was just
-- inserted has no deleting or locking transaction (xmax 0); the version an ON CONFLICT update
-- writes carries the updating transaction's id.
--
-- Case-insensitive search by name is a substring match (`name_key LIKE '%…%'`), which a
-- B-tree cannot serve; pg_trgm's trigram GIN index can. pg_trgm ships with PostgreSQL (the
-- contrib modules; Debian's postgresql package has it) and is a trusted extension since
-- PostgreSQL 13: the database's owner may create it without being a superuser.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE education_settings (
    urn        integer NOT NULL, -- 100000–999999 (GIAS `URN`)
    name       text    NOT NULL, -- GIAS `EstablishmentName`, trimmed
    -- The name in the core's search form (`ehc_core::setting::search_key`: Unicode lower case),
    -- computed in Rust rather than with lower(), so that every store (and every database
    -- collation) finds the same settings for the same query.
    name_key   text    NOT NULL,
    kind       text    NOT NULL, -- GIAS `TypeOfEstablishment (name)`
    phase      text    NOT NULL, -- GIAS `PhaseOfEducation (name)`
    la_code    text    NOT NULL, -- GIAS `LA (code)`, 3 digits with leading zeros
    status     text    NOT NULL, -- `SettingStatus::as_str`
    CONSTRAINT education_settings_pkey PRIMARY KEY (urn),
    CONSTRAINT education_settings_urn_range CHECK (urn BETWEEN 100000 AND 999999),
    CONSTRAINT education_settings_name_present CHECK (name <> ''),
    CONSTRAINT education_settings_la_code_digits CHECK (la_code ~ '^[0-9]{3}$'),
    CONSTRAINT education_settings_status_known CHECK (
        status IN ('open', 'closed', 'open-but-proposed-to-close', 'proposed-to-open'))
);
-- `name_key LIKE '%query%'` (the search) uses this index.
CREATE INDEX education_settings_name_key_trgm ON education_settings
    USING gin (name_key gin_trgm_ops);
