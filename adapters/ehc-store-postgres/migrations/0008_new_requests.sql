-- New requests (issue 7, *Request an EHC needs assessment* online): the core's
-- `CaseSummary::new_request` — received online and no case officer assigned yet — beside the
-- other summary columns, so an LA officer's tray lists new requests first with one indexed
-- query (`ORDER BY new_request DESC, next_due ASC NULLS LAST, …`, which this index serves).

ALTER TABLE cases ADD COLUMN new_request boolean NOT NULL DEFAULT false;
-- Cases entered before this migration as received online, with no officer yet, are new too.
UPDATE cases SET new_request = true
    WHERE officer_id IS NULL AND body->>'received_by' = 'online';
CREATE INDEX cases_new_requests_first ON cases (new_request DESC, next_due, child_sort, id);
