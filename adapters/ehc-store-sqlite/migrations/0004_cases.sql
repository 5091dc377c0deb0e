-- EHC cases, their linked education settings and their timelines (issue 6): the PostgreSQL
-- schema in SQLite's types (uuid → BLOB, date → TEXT 'YYYY-MM-DD', which sorts as dates do,
-- instants → INTEGER microseconds, json → TEXT).
--
-- The whole case is stored as the core serialises it (`body`); the columns beside it are the
-- core's `CaseSummary`, rewritten on every update, so work trays are indexed queries.

CREATE TABLE cases (
    id           BLOB    NOT NULL,
    la_reference TEXT    NOT NULL,
    child_name   TEXT    NOT NULL,
    child_sort   TEXT    NOT NULL,
    stage        TEXT    NOT NULL,
    next_due     TEXT,
    next_step    TEXT,
    officer_id   BLOB,
    received_on  TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    version      INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    CONSTRAINT cases_pkey PRIMARY KEY (id),
    CONSTRAINT cases_la_reference_key UNIQUE (la_reference),
    CONSTRAINT cases_officer_fkey FOREIGN KEY (officer_id) REFERENCES accounts (id),
    CONSTRAINT cases_version_positive CHECK (version >= 1)
) STRICT;
CREATE INDEX cases_by_next_due ON cases (next_due, child_sort, id);
CREATE INDEX cases_by_officer ON cases (officer_id, next_due, child_sort, id);
CREATE INDEX cases_by_child ON cases (child_sort, id);
CREATE INDEX cases_by_received ON cases (received_on DESC, child_sort, id);
CREATE INDEX cases_by_stage ON cases (stage, next_due);

CREATE TABLE case_settings (
    case_id BLOB    NOT NULL,
    urn     INTEGER NOT NULL,
    CONSTRAINT case_settings_pkey PRIMARY KEY (case_id, urn),
    CONSTRAINT case_settings_case_fkey FOREIGN KEY (case_id) REFERENCES cases (id)
) STRICT;
CREATE INDEX case_settings_by_urn ON case_settings (urn, case_id);

CREATE TABLE case_timeline (
    seq        INTEGER NOT NULL,
    case_id    BLOB    NOT NULL,
    at         INTEGER NOT NULL,
    actor      BLOB,
    what       TEXT    NOT NULL,
    visible_to TEXT    NOT NULL,
    CONSTRAINT case_timeline_pkey PRIMARY KEY (seq),
    CONSTRAINT case_timeline_case_fkey FOREIGN KEY (case_id) REFERENCES cases (id)
) STRICT;
CREATE INDEX case_timeline_by_case ON case_timeline (case_id, seq DESC);
CREATE TRIGGER case_timeline_no_update BEFORE UPDATE ON case_timeline
BEGIN
    SELECT RAISE(ABORT, 'case_timeline is append-only');
END;
CREATE TRIGGER case_timeline_no_delete BEFORE DELETE ON case_timeline
BEGIN
    SELECT RAISE(ABORT, 'case_timeline is append-only');
END;

CREATE INDEX role_grants_by_case ON role_grants (json_extract(role, '$.case'));
CREATE INDEX role_grants_by_principal ON role_grants (json_extract(role, '$.for_person'));
-- SENDCo grants by their setting: with the two above, every arm of `for_case`'s OR has an index,
-- so SQLite answers it as a multi-index OR instead of scanning every grant (bench/cases: 120 ms
-- → under 1 ms among 130 000 grants).
CREATE INDEX role_grants_by_setting ON role_grants (json_extract(role, '$.setting'));
-- Grants by role: the list of LA officers (the case officer choice, on every LA officer's tray)
-- without reading every grant.
CREATE INDEX role_grants_by_role ON role_grants (json_extract(role, '$.role'));
