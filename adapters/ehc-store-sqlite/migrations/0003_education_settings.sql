-- EHC Hub, SQLite schema 3: education settings (schools, colleges, early-years providers),
-- imported from GIAS's establishment file by `ehc-hub import-settings` (the core's
-- `SettingImport`) and implemented by `SqliteUnitOfWork` as the core's `SettingRepository`.
--
-- One row per DfE URN. An import upserts every row of the file in one statement each:
-- `INSERT … ON CONFLICT (urn) DO UPDATE … RETURNING revision`. SQLite cannot tell an inserted
-- row from an updated one in RETURNING, so `revision` does: 1 for a row just inserted, one more
-- at each overwrite (it counts the imports that have rewritten the row).
CREATE TABLE education_settings (
    urn        INTEGER NOT NULL, -- 100000–999999 (GIAS `URN`)
    name       TEXT    NOT NULL, -- GIAS `EstablishmentName`, trimmed
    -- The name in the core's search form (`ehc_core::setting::search_key`: Unicode lower case),
    -- computed in Rust: SQLite's own lower() folds ASCII letters only, and every store must
    -- find the same settings for the same query.
    name_key   TEXT    NOT NULL,
    kind       TEXT    NOT NULL, -- GIAS `TypeOfEstablishment (name)`
    phase      TEXT    NOT NULL, -- GIAS `PhaseOfEducation (name)`
    la_code    TEXT    NOT NULL, -- GIAS `LA (code)`, 3 digits with leading zeros
    status     TEXT    NOT NULL, -- `SettingStatus::as_str`
    revision   INTEGER NOT NULL DEFAULT 1,
    CONSTRAINT education_settings_pkey PRIMARY KEY (urn),
    CONSTRAINT education_settings_urn_range CHECK (urn BETWEEN 100000 AND 999999),
    CONSTRAINT education_settings_name_present CHECK (name <> ''),
    CONSTRAINT education_settings_la_code_digits CHECK (la_code GLOB '[0-9][0-9][0-9]'),
    CONSTRAINT education_settings_status_known CHECK (
        status IN ('open', 'closed', 'open-but-proposed-to-close', 'proposed-to-open')),
    CONSTRAINT education_settings_revision_positive CHECK (revision >= 1)
) STRICT;
-- Search by name ignoring case: the search walks this index in `name_key` order and stops at
-- its limit, so nothing is sorted. SQLite has no index for a substring test (`instr`), so it
-- tests each key on the way (a whole GIAS file is about 50,000 short keys: milliseconds).
CREATE INDEX education_settings_by_name_key ON education_settings (name_key, urn);
