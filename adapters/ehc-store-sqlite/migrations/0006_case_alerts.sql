-- Timed alerts and overdue advice (issue 7): the PostgreSQL migration of the same number in
-- SQLite's types (date → TEXT 'YYYY-MM-DD', which sorts as dates do). Beside each case like
-- the tray's summary columns, rewritten on every insert and update of the case:
--   next_alert_on: the first day a timed alert of the case not yet sent falls due
--     (ehc_core Case::next_timed_alert_on); the alert sender reads `next_alert_on <= today`.
--   advice_due: the earliest due date of the advice still awaited (Case::advice_awaited_due);
--     before today, the tray shows "Advice overdue" (and filters on it).
-- Cases stored before this migration have NULL in both until their next change (none had an
-- advice request made on the hub, so none has an alert due).

ALTER TABLE cases ADD COLUMN next_alert_on TEXT;
ALTER TABLE cases ADD COLUMN advice_due TEXT;
CREATE INDEX cases_by_next_alert ON cases (next_alert_on, id) WHERE next_alert_on IS NOT NULL;
CREATE INDEX cases_by_advice_due ON cases (advice_due) WHERE advice_due IS NOT NULL;
