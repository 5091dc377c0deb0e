-- The audit log viewer (issue 8): the case each entry concerns, in a column of its own, and an
-- index for each filter of the search, so that each filter (and a range of instants) is one
-- index range read newest first, however long the log.
ALTER TABLE audit_log ADD COLUMN case_id uuid; -- AuditEvent::case (no foreign key: entries outlive anything)

-- Entries written before this migration name their case only in their detail ("case <id>…",
-- "… on case <id>, …"): copy it into case_id. The append-only trigger is disabled for this one
-- UPDATE and enabled again at once, in the migration's transaction.
ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;
UPDATE audit_log
   SET case_id = substring(detail from 'case ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})')::uuid
 WHERE detail ~ 'case [0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only;

-- Newest first is (at, seq) descending; every index ends with it, so a filtered page is read
-- straight off one index from the page's key (keyset pagination), without sorting.
CREATE INDEX audit_log_by_time ON audit_log (at, seq);
CREATE INDEX audit_log_by_actor ON audit_log (actor, at, seq) WHERE actor IS NOT NULL;
CREATE INDEX audit_log_by_subject ON audit_log (subject, at, seq) WHERE subject IS NOT NULL;
CREATE INDEX audit_log_by_case ON audit_log (case_id, at, seq) WHERE case_id IS NOT NULL;
CREATE INDEX audit_log_by_kind ON audit_log (kind, at, seq);
