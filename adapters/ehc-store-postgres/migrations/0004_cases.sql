-- EHC cases, their linked education settings and their timelines (issue 6).
--
-- The whole case (child, request, events, exceptions) is stored as the core serialises it
-- (`body`); the columns beside it are the core's `CaseSummary` of the case, rewritten on every
-- update, so that work trays are indexed queries ranked by the next statutory date.

CREATE TABLE cases (
    id           uuid        NOT NULL,
    la_reference text        NOT NULL,
    child_name   text        NOT NULL,
    child_sort   text        NOT NULL, -- family name then given name, lower case
    stage        text        NOT NULL, -- Stage::as_str
    next_due     date,                 -- the next statutory date the LA must meet
    next_step    text,
    officer_id   uuid,
    received_on  date        NOT NULL,
    body         jsonb       NOT NULL, -- ehc_core::case::Case
    version      bigint      NOT NULL, -- optimistic concurrency: each update names the version it read
    created_at   timestamptz NOT NULL,
    CONSTRAINT cases_pkey PRIMARY KEY (id),
    CONSTRAINT cases_la_reference_key UNIQUE (la_reference),
    CONSTRAINT cases_officer_fkey FOREIGN KEY (officer_id) REFERENCES accounts (id),
    CONSTRAINT cases_version_positive CHECK (version >= 1)
);
-- Trays: nearest date first (NULLS LAST is the default of an ascending index), by officer, by
-- name, by the day received.
CREATE INDEX cases_by_next_due ON cases (next_due, child_sort, id);
CREATE INDEX cases_by_officer ON cases (officer_id, next_due, child_sort, id);
CREATE INDEX cases_by_child ON cases (child_sort, id);
CREATE INDEX cases_by_received ON cases (received_on DESC, child_sort, id);
CREATE INDEX cases_by_stage ON cases (stage, next_due);

-- The settings linked to each case (a copy of `body`'s list, for the SENDCos' trays).
CREATE TABLE case_settings (
    case_id uuid    NOT NULL,
    urn     integer NOT NULL,
    CONSTRAINT case_settings_pkey PRIMARY KEY (case_id, urn),
    CONSTRAINT case_settings_case_fkey FOREIGN KEY (case_id) REFERENCES cases (id)
);
CREATE INDEX case_settings_by_urn ON case_settings (urn, case_id);

-- The case timeline: append-only, like the audit log.
CREATE TABLE case_timeline (
    seq        bigint      GENERATED ALWAYS AS IDENTITY,
    case_id    uuid        NOT NULL,
    at         timestamptz NOT NULL,
    actor      uuid,
    what       text        NOT NULL,
    visible_to jsonb       NOT NULL, -- ehc_core::case::timeline::Visibility
    CONSTRAINT case_timeline_pkey PRIMARY KEY (seq),
    CONSTRAINT case_timeline_case_fkey FOREIGN KEY (case_id) REFERENCES cases (id)
);
CREATE INDEX case_timeline_by_case ON case_timeline (case_id, seq DESC);
CREATE TRIGGER case_timeline_append_only BEFORE UPDATE OR DELETE ON case_timeline
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER case_timeline_no_truncate BEFORE TRUNCATE ON case_timeline
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- Grants by the case they name (contributors, parents and carers, young people) and by the
-- person an advocate acts for: the *People involved* list.
CREATE INDEX role_grants_by_case ON role_grants ((role->>'case')) WHERE role ? 'case';
CREATE INDEX role_grants_by_principal ON role_grants ((role->>'for_person')) WHERE role ? 'for_person';
-- SENDCo grants by their setting: the third arm of `for_case`. With the two above (and the
-- advocates' principals given as `= ANY (ARRAY(SELECT …))`, which an index can serve, not as
-- `IN (SELECT …)`), the whole OR is one BitmapOr instead of a scan of every grant (bench/cases:
-- 70 ms → 0.2 ms among 130 000 grants).
CREATE INDEX role_grants_by_setting ON role_grants ((role->>'setting')) WHERE role ? 'setting';
-- Grants by role: the list of LA officers (the case officer choice, on every LA officer's tray)
-- without reading every grant.
CREATE INDEX role_grants_by_role ON role_grants ((role->>'role'));
