-- New requests (issue 7, *Request an EHC needs assessment* online): the core's
-- `CaseSummary::new_request` — received online and no case officer assigned yet — beside the
-- other summary columns, so an LA officer's tray lists new requests first with one indexed
-- query (`ORDER BY new_request DESC, next_due …`).

ALTER TABLE cases ADD COLUMN new_request INTEGER NOT NULL DEFAULT 0
    CONSTRAINT cases_new_request_bool CHECK (new_request IN (0, 1));
-- Cases entered before this migration as received online, with no officer yet, are new too.
UPDATE cases SET new_request = 1
    WHERE officer_id IS NULL AND json_extract(body, '$.received_by') = 'online';
CREATE INDEX cases_new_requests_first ON cases (new_request DESC, next_due, child_sort, id);
