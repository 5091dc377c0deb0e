//! Timed alerts: what the hub must send on a day without anyone acting — reminders before a
//! date, and alerts to the case officer when something is overdue. One mechanism for every
//! feature of a case: each adds its alerts to [`Case::timed_alerts`] and
//! [`Case::next_timed_alert_on`], a key to [`AlertKey`], and records them sent in
//! [`Case::record_alert_sent`].
//!
//! Pure: a function of the case and the day. The storage adapters keep
//! [`Case::next_timed_alert_on`] beside each case (`next_alert_on`, like the tray's summary
//! columns), so [`super::CaseService::send_timed_alerts`] reads only the cases with an alert
//! due, and sends each alert once: it records the alert on the case in the same unit of work as
//! the e-mail, conditional on the case's version.
//!
//! | feature | alert | day | to |
//! |---|---|---|---|
//! | advice ([`super::advice`]) | reminder | 3 and 5 weeks after the request | the contributor |
//! | advice | overdue | the day after the due date (reg 8(1): 6 weeks) | the case officer (and the officer's tray shows *Advice overdue*) |
//! | draft plan ([`super::plan`]) | reminder | 5 days before the last day for comments (reg 13(1)) | the family |
//! | draft plan | not opened | 5 days after the draft was served, if no family member opened it | the case officer |
//! | review meeting ([`super::meeting`]) | reminder | 7 days before the meeting, to invitees who have not replied | the invitees |
//! | review meeting | report overdue | the day after the report was due (2 weeks after the meeting) | the case officer |
//!
//! Advice alerts are made here; the plan's and the meetings' by their own modules
//! ([`super::CaseService::send_plan_alerts`], [`super::CaseService::send_meeting_alerts`]), which
//! [`super::CaseService::send_timed_alerts`] calls for each due case.

use time::{Date, OffsetDateTime};

use super::advice::{AdviceAlert, advice_words};
use super::timeline::Visibility;
use super::{Case, EventNumber};
use crate::account::{AccountId, EmailAddress};
use crate::outbox::CaseUpdate;

/// Which alert, to record it as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlertKey {
    /// An alert of the advice request with this number.
    Advice {
        /// The request.
        request: EventNumber,
        /// Which of its alerts.
        alert: AdviceAlert,
    },
}

/// Who an alert goes to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertTo {
    /// A contributor: their account's address once they have one (it may have changed since
    /// they were asked), else the address they were asked at.
    Contributor {
        /// The contributor's account, once known.
        account: Option<AccountId>,
        /// The address the request went to.
        email: EmailAddress,
    },
    /// The case's officer, if one is assigned (otherwise no e-mail: the tray shows it).
    CaseOfficer,
}

/// An alert due on a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedAlert {
    /// Which alert.
    pub key: AlertKey,
    /// The day it fell due (on or before the day asked about).
    pub due_on: Date,
    /// To whom.
    pub to: AlertTo,
    /// What the e-mail says (with the case's LA reference only, never the child's details).
    pub update: CaseUpdate,
    /// What the case timeline says.
    pub what: String,
    /// Who sees the timeline entry.
    pub visible_to: Visibility,
}

impl Case {
    /// The alerts due on `today` (the LA's calendar date) and not yet sent, in the order they
    /// fell due. After a pause (the hub stopped for a while) only the latest due alert of each
    /// request is given: a week-3 reminder is not sent once the week-5 one is due.
    pub fn timed_alerts(&self, today: Date) -> Vec<TimedAlert> {
        let mut out = self.advice_alerts(today);
        out.sort_by_key(|a| a.due_on);
        out
    }

    /// The first day on which an alert not yet sent falls due (possibly before today, if it is
    /// waiting to be sent); `None` when none will. Independent of today, so storage keeps it
    /// with the case.
    pub fn next_timed_alert_on(&self) -> Option<Date> {
        let advice = self
            .awaited_advice()
            .into_iter()
            .filter_map(|(r, due)| r.pending_alerts().first().map(|a| r.alert_day(*a, due)));
        let meetings = self
            .meetings
            .iter()
            .filter_map(super::meeting::ReviewMeeting::next_alert_on);
        advice
            .chain(meetings)
            .chain(self.next_plan_alert_on())
            .min()
    }

    /// Records `key` as sent at `at` (with any earlier alert it supersedes).
    pub fn record_alert_sent(&mut self, key: AlertKey, at: OffsetDateTime) {
        match key {
            AlertKey::Advice { request, alert } => self.record_advice_alert(request, alert, at),
        }
    }

    fn advice_alerts(&self, today: Date) -> Vec<TimedAlert> {
        let mut out = Vec::new();
        for (request, due) in self.awaited_advice() {
            let Some(alert) = request
                .pending_alerts()
                .into_iter()
                .rev()
                .find(|a| request.alert_day(*a, due) <= today)
            else {
                continue;
            };
            let words = advice_words(request, due);
            let contributor = Visibility {
                la: true,
                setting: false,
                family: false,
                contributor: request.contributor,
            };
            let (to, update, what, visible_to) = match alert {
                AdviceAlert::Week3Reminder | AdviceAlert::Week5Reminder => (
                    AlertTo::Contributor {
                        account: request.contributor,
                        email: request.email.clone(),
                    },
                    CaseUpdate::ActionRequested {
                        action: format!("give your advice (reminder: {words})"),
                        by: due,
                    },
                    format!("Reminder sent to {}: {words}", request.email),
                    contributor,
                ),
                AdviceAlert::Overdue => (
                    AlertTo::CaseOfficer,
                    CaseUpdate::Overdue {
                        what: format!("advice from {}", request.from),
                        due,
                    },
                    format!("Overdue: {words}. The case officer was alerted"),
                    Visibility {
                        family: true,
                        ..contributor
                    },
                ),
            };
            out.push(TimedAlert {
                key: AlertKey::Advice {
                    request: request.number,
                    alert,
                },
                due_on: request.alert_day(alert, due),
                to,
                update,
                what,
                visible_to,
            });
        }
        out
    }
}
