//! Review meetings of an EHC plan (reg 20 for a child or young person at a school or other
//! institution, reg 21 otherwise; SEN and Disability Regulations 2014): who arranged a meeting,
//! for when and where, who is invited and what each replied, the views given before it, the day
//! the advice and information were circulated, its report, and the LA's decision after it.
//!
//! Inside the hexagon: the meetings are part of the [`Case`] aggregate ([`Case::meetings`],
//! stored with the case and guarded by its version). Arranging a meeting records the case's
//! [`EventKind::ReviewMeetingScheduled`] and recording it held records
//! [`EventKind::ReviewMeetingHeld`], so the tracker's dates ([`super::deadline`]: notice and
//! advice 2 weeks before, report 2 weeks after, decision 4 weeks after) count from them; the
//! decision is the case's [`EventKind::ReviewDecision`] recorded after the meeting was held
//! ([`Case::meeting_decision`]).
//!
//! Timed alerts are pure: [`ReviewMeeting::due_alerts`] says which alerts are due on a day and
//! [`ReviewMeeting::next_alert_on`] the first day one may be; each alert is sent once,
//! recorded with [`ReviewMeeting::record_alert_sent`].
//!
//! ```text
//!  arranged ──record held──▶ held ──report──▶ report sent ──ReviewDecision──▶ decided
//!     │  invitees reply (accept / decline) and give views until the meeting's day
//!     └─ its ReviewMeetingScheduled event withdrawn as a mistake ──▶ withdrawn (read only)
//! ```

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime, Time};

use super::deadline::{days_after, weeks_after};
use super::{Case, CaseError, CaseEvent, EventKind, EventNumber, clean_text};
use crate::account::AccountId;
use crate::document::DocumentId;
use crate::role::Urn;

/// The number of a review meeting within its case: 1 for the first arranged, then 2, 3, …
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MeetingNumber(pub u32);

/// Longest place or joining instructions, in characters.
pub const MAX_PLACE: usize = 500;
/// Longest views, in characters.
pub const MAX_VIEWS: usize = 5000;
/// Longest report text, in characters.
pub const MAX_REPORT: usize = 20_000;
/// Days of notice reg 20(3) and 21 require before the meeting (and reg 20(4) for circulating the
/// advice): at least two weeks.
pub const NOTICE_DAYS: i64 = 14;
/// Days before the meeting on which invitees who have not replied are reminded.
pub const REMINDER_DAYS_BEFORE: i64 = 7;

/// Who arranged a meeting, and as what.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "as", rename_all = "kebab-case")]
pub enum Organiser {
    /// An LA officer (the LA must ensure the meeting is held, reg 20(1), 21(1)).
    La {
        /// The officer.
        account: AccountId,
    },
    /// The SENDCo of a setting linked to the case (the LA can require the head teacher or
    /// principal to arrange and hold it, reg 20(1)).
    Setting {
        /// The SENDCo.
        account: AccountId,
        /// Their setting.
        urn: Urn,
    },
}

impl Organiser {
    /// The person who arranged the meeting.
    pub fn account(self) -> AccountId {
        match self {
            Self::La { account } | Self::Setting { account, .. } => account,
        }
    }
}

/// An invitee's answer to the invitation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reply", rename_all = "kebab-case")]
pub enum Reply {
    /// No answer yet.
    Awaiting,
    /// Will attend; when they said so.
    Accepted {
        /// When.
        at: OffsetDateTime,
    },
    /// Will not attend; when they said so.
    Declined {
        /// When.
        at: OffsetDateTime,
    },
}

impl Reply {
    /// Words for pages: "Awaiting a reply", "Accepted", "Declined".
    pub fn describe(self) -> &'static str {
        match self {
            Self::Awaiting => "Awaiting a reply",
            Self::Accepted { .. } => "Accepted",
            Self::Declined { .. } => "Declined",
        }
    }

    /// When the person answered, if they have.
    pub fn at(self) -> Option<OffsetDateTime> {
        match self {
            Self::Awaiting => None,
            Self::Accepted { at } | Self::Declined { at } => Some(at),
        }
    }
}

/// A person invited to a meeting: an account with a part in the case (the family, a SENDCo, a
/// contributor, an LA officer).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitee {
    /// Their account.
    pub account: AccountId,
    /// Their part in the case, in words ("Parent or carer", "LA officer"), as when invited.
    pub part: String,
    /// Their reply.
    pub reply: Reply,
}

/// Views given before the meeting by an invitee: written, or as a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingViews {
    /// Who gave them.
    pub by: AccountId,
    /// What they said ([`clean_text`], 1 to [`MAX_VIEWS`] characters), or "" for views given
    /// as a file.
    pub text: String,
    /// The file of views given as a document of the case
    /// ([`super::attachment::Attachment::MeetingViews`]).
    #[serde(default)]
    pub document: Option<DocumentId>,
    /// When.
    pub given_at: OffsetDateTime,
}

/// The written report on the meeting (reg 20(7), 21(7) (?)); files of the report are
/// [`ReviewMeeting::report_documents`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingReport {
    /// The day it was sent to the LA and the people invited.
    pub sent_on: Date,
    /// Its text ([`clean_text`], 1 to [`MAX_REPORT`] characters).
    pub text: String,
    /// When it was recorded, and by whom.
    pub recorded_at: OffsetDateTime,
    /// Who recorded it.
    pub recorded_by: AccountId,
}

/// A timed alert about a meeting (see [`ReviewMeeting::due_alerts`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "alert", rename_all = "kebab-case")]
pub enum MeetingAlert {
    /// Remind an invitee who has not replied, [`REMINDER_DAYS_BEFORE`] days before the meeting.
    ReplyReminder {
        /// The invitee.
        invitee: AccountId,
    },
    /// Tell the case officer (or, with none, the organiser) that the report is overdue: more
    /// than 2 weeks since the meeting was held (reg 20(7), 21(7) (?)).
    ReportOverdue,
}

/// An alert sent (or lapsed), so that it is never sent twice nor looked at again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SentAlert {
    /// Which alert.
    pub alert: MeetingAlert,
    /// The day it was sent, or found lapsed.
    pub on: Date,
    /// `true` when it was never sent: its time passed ([`ReviewMeeting::lapse_reminders`]).
    #[serde(default)]
    pub lapsed: bool,
}

/// One review meeting of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewMeeting {
    /// Its number within the case.
    pub number: MeetingNumber,
    /// The day of the meeting (the LA's calendar).
    pub on: Date,
    /// Its start, local time (Europe/London).
    pub starts_at: Time,
    /// Where it is held, or how to join it ([`clean_text`], new lines kept, 1 to [`MAX_PLACE`]
    /// characters).
    pub place: String,
    /// Who arranged it.
    pub organiser: Organiser,
    /// The day it was arranged and the invitations were sent.
    pub invited_on: Date,
    /// The case's [`EventKind::ReviewMeetingScheduled`] event for it.
    pub scheduled_event: EventNumber,
    /// Who is invited, with their replies.
    pub invitees: Vec<Invitee>,
    /// Views given before the meeting, oldest first.
    pub views: Vec<MeetingViews>,
    /// The day the advice and information were circulated to the invitees (reg 20(4): at
    /// least 2 weeks before the meeting).
    pub advice_circulated_on: Option<Date>,
    /// The case's [`EventKind::ReviewMeetingHeld`] event and its day, once recorded.
    pub held: Option<(EventNumber, Date)>,
    /// The report, once sent.
    pub report: Option<MeetingReport>,
    /// Files of the report (or its appendices), documents of the case added once the meeting
    /// was held ([`super::attachment::Attachment::MeetingReport`]), in the order added.
    #[serde(default)]
    pub report_documents: Vec<DocumentId>,
    /// Whether its arrangement was withdrawn as recorded by mistake (its
    /// [`EventKind::ReviewMeetingScheduled`] event was withdrawn): kept, read only.
    pub withdrawn: bool,
    /// The timed alerts sent.
    pub alerts_sent: Vec<SentAlert>,
}

/// What is needed to arrange a meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMeeting {
    /// The day of the meeting.
    pub on: Date,
    /// Its start, local time.
    pub starts_at: Time,
    /// Where, or how to join.
    pub place: String,
    /// Who is invited: accounts with their part in the case, in words.
    pub invitees: Vec<(AccountId, String)>,
}

/// Whether a meeting on `on`, arranged on `today`, gives less than the 2 weeks' notice of
/// reg 20(3) (and reg 21): allowed, but the organiser is warned first.
pub fn short_notice(on: Date, today: Date) -> bool {
    (on - today).whole_days() < NOTICE_DAYS
}

impl ReviewMeeting {
    /// Whether invitees may still reply and give views on `today`: the meeting is not
    /// withdrawn, not recorded as held, and its day has not passed.
    pub fn is_open(&self, today: Date) -> bool {
        !self.withdrawn && self.held.is_none() && today <= self.on
    }

    /// The invitee entry of `account`, if they are invited.
    pub fn invitee(&self, account: AccountId) -> Option<&Invitee> {
        self.invitees.iter().find(|i| i.account == account)
    }

    /// The day the report is due: 2 weeks after the meeting was held (reg 20(7), 21(7) (?)).
    pub fn report_due(&self) -> Option<Date> {
        self.held.map(|(_, on)| weeks_after(on, 2))
    }

    /// The day the LA's decision is due: 4 weeks after the meeting was held
    /// (reg 20(10), 21(9) (?)).
    pub fn decision_due(&self) -> Option<Date> {
        self.held.map(|(_, on)| weeks_after(on, 4))
    }

    /// The day the invitations and the advice were due: 2 weeks before the meeting
    /// (reg 20(3), (4); reg 21).
    pub fn notice_due(&self) -> Date {
        days_after(self.on, -NOTICE_DAYS)
    }

    /// The day invitees who have not replied are reminded, when they were invited before it
    /// (an invitation sent less than a week before the meeting is its own reminder).
    fn reminder_on(&self) -> Option<Date> {
        let on = days_after(self.on, -REMINDER_DAYS_BEFORE);
        (self.invited_on < on).then_some(on)
    }

    fn sent(&self, alert: MeetingAlert) -> bool {
        self.alerts_sent.iter().any(|s| s.alert == alert)
    }

    /// Every alert not yet sent with the first day it is due, whether or not that day has come.
    fn pending(&self) -> Vec<(MeetingAlert, Date)> {
        let mut out = Vec::new();
        if self.withdrawn {
            return out;
        }
        if self.held.is_none()
            && let Some(on) = self.reminder_on()
        {
            for i in &self.invitees {
                let alert = MeetingAlert::ReplyReminder { invitee: i.account };
                if i.reply == Reply::Awaiting
                    && i.account != self.organiser.account()
                    && !self.sent(alert)
                {
                    out.push((alert, on));
                }
            }
        }
        if self.report.is_none()
            && let Some(due) = self.report_due()
            && !self.sent(MeetingAlert::ReportOverdue)
        {
            out.push((MeetingAlert::ReportOverdue, days_after(due, 1)));
        }
        out
    }

    /// The alerts to send on `today` (the LA's calendar date), each once: a reminder to every
    /// invitee (but the organiser) who has not replied, from [`REMINDER_DAYS_BEFORE`] days
    /// before the meeting to its day, while it is not held (none when they were invited less
    /// than a week before it); and [`MeetingAlert::ReportOverdue`] from the day after the
    /// report was due (2 weeks after the meeting was held) until a report is recorded. None for
    /// a withdrawn meeting. Alerts already recorded with [`Self::record_alert_sent`] are never
    /// due again.
    pub fn due_alerts(&self, today: Date) -> Vec<MeetingAlert> {
        self.pending()
            .into_iter()
            .filter(|(alert, from)| {
                *from <= today
                    && match alert {
                        MeetingAlert::ReplyReminder { .. } => today <= self.on,
                        MeetingAlert::ReportOverdue => true,
                    }
            })
            .map(|(alert, _)| alert)
            .collect()
    }

    /// The first day on which [`Self::due_alerts`] may return an alert not yet sent, or `None`
    /// when none can be due any more (a scheduler's next look at the case). A day in the past
    /// means an alert is due now — or, for a reminder, that the meeting's day passed without the
    /// meeting being recorded as held: nothing is sent then, and the scheduler's next pass
    /// records it lapsed ([`Self::lapse_reminders`]).
    pub fn next_alert_on(&self) -> Option<Date> {
        self.pending().into_iter().map(|(_, on)| on).min()
    }

    /// Records that `alert` was sent on `on`, so it is never due again. Recording one twice
    /// keeps the first.
    pub fn record_alert_sent(&mut self, alert: MeetingAlert, on: Date) {
        if !self.sent(alert) {
            self.alerts_sent.push(SentAlert {
                alert,
                on,
                lapsed: false,
            });
        }
    }

    /// Records as lapsed, on `today`, the reply reminders never sent whose time has passed
    /// (the meeting's day went by without it being recorded as held), so that
    /// [`Self::next_alert_on`] no longer points at them and the scheduler stops reading the
    /// case for them. Returns whether any was recorded.
    pub fn lapse_reminders(&mut self, today: Date) -> bool {
        if today <= self.on {
            return false;
        }
        let lapsed: Vec<MeetingAlert> = self
            .pending()
            .into_iter()
            .filter_map(|(alert, _)| {
                matches!(alert, MeetingAlert::ReplyReminder { .. }).then_some(alert)
            })
            .collect();
        for alert in &lapsed {
            self.alerts_sent.push(SentAlert {
                alert: *alert,
                on: today,
                lapsed: true,
            });
        }
        !lapsed.is_empty()
    }
}

/// A time of day as GOV.UK writes it: "10am", "2:30pm", "midday", "midnight".
pub fn clock_time(t: time::Time) -> String {
    let (h, m) = (t.hour(), t.minute());
    match (h, m) {
        (0, 0) => "midnight".to_owned(),
        (12, 0) => "midday".to_owned(),
        _ => {
            let (h12, suffix) = match h {
                0 => (12, "am"),
                1..=11 => (h, "am"),
                12 => (12, "pm"),
                _ => (h - 12, "pm"),
            };
            if m == 0 {
                format!("{h12}{suffix}")
            } else {
                format!("{h12}:{m:02}{suffix}")
            }
        }
    }
}

/// A text as stored: [`clean_text`] (new lines kept), required, at most `max` characters.
fn required_text(
    input: &str,
    max: usize,
    what: &'static str,
    field: &'static str,
) -> Result<String, CaseError> {
    let text = clean_text(input, true);
    if text.is_empty() {
        return Err(CaseError::Missing(field));
    }
    if text.chars().count() > max {
        return Err(CaseError::TooLong { what, max });
    }
    Ok(text)
}

impl Case {
    /// The meeting numbered `number`, if the case has it.
    pub fn meeting(&self, number: MeetingNumber) -> Option<&ReviewMeeting> {
        self.meetings.iter().find(|m| m.number == number)
    }

    fn meeting_mut(&mut self, number: MeetingNumber) -> Result<&mut ReviewMeeting, CaseError> {
        self.meetings
            .iter_mut()
            .find(|m| m.number == number)
            .ok_or(CaseError::OutOfOrder("There is no such review meeting"))
    }

    /// The LA's decision after the meeting: the first [`EventKind::ReviewDecision`] recorded
    /// after its [`EventKind::ReviewMeetingHeld`] event (reg 20(10), 21(9) (?)).
    pub fn meeting_decision(&self, meeting: &ReviewMeeting) -> Option<&CaseEvent> {
        let (held, _) = meeting.held?;
        self.events
            .iter()
            .skip_while(|e| e.number != held)
            .find(|e| matches!(e.kind, EventKind::ReviewDecision { .. }))
    }

    /// Arranges a review meeting on `today`, invitations sent that day: records the
    /// [`EventKind::ReviewMeetingScheduled`] event (with its checks: the case has a plan, the
    /// meeting is not before today nor more than 18 months ahead) and the meeting. A date less
    /// than 2 weeks away is allowed ([`short_notice`] warns first). Invitees are deduplicated;
    /// the caller checks that each has a part in the case.
    ///
    /// # Errors
    /// [`CaseError::Missing`] / [`CaseError::TooLong`] (the place; nobody invited), and those of
    /// [`Case::check_event`]. The case is unchanged on error.
    pub fn schedule_meeting(
        &mut self,
        new: NewMeeting,
        today: Date,
        now: OffsetDateTime,
        by: Organiser,
    ) -> Result<MeetingNumber, CaseError> {
        let place = required_text(
            &new.place,
            MAX_PLACE,
            "The place",
            "where the meeting is held or how to join it",
        )?;
        if new.invitees.is_empty() {
            return Err(CaseError::Missing("who is invited"));
        }
        let mut invitees: Vec<Invitee> = Vec::new();
        for (account, part) in new.invitees {
            if invitees.iter().all(|i| i.account != account) {
                invitees.push(Invitee {
                    account,
                    part,
                    reply: Reply::Awaiting,
                });
            }
        }
        let scheduled_event = self.record_event(
            EventKind::ReviewMeetingScheduled { meeting_on: new.on },
            today,
            today,
            now,
            Some(by.account()),
        )?;
        let number = MeetingNumber(
            u32::try_from(self.meetings.len())
                .unwrap_or(u32::MAX)
                .saturating_add(1),
        );
        self.meetings.push(ReviewMeeting {
            number,
            on: new.on,
            starts_at: new.starts_at,
            place,
            organiser: by,
            invited_on: today,
            scheduled_event,
            invitees,
            views: Vec::new(),
            advice_circulated_on: None,
            held: None,
            report: None,
            report_documents: Vec::new(),
            withdrawn: false,
            alerts_sent: Vec::new(),
        });
        Ok(number)
    }

    /// Records `account`'s reply (`accept`) to the invitation to meeting `number`, at `now`;
    /// they may change it while the meeting is open ([`ReviewMeeting::is_open`] on `today`).
    ///
    /// # Errors
    /// [`CaseError::OutOfOrder`]: no such meeting, not invited, or the meeting is no longer
    /// open.
    pub fn reply_to_meeting(
        &mut self,
        number: MeetingNumber,
        account: AccountId,
        accept: bool,
        now: OffsetDateTime,
        today: Date,
    ) -> Result<(), CaseError> {
        let meeting = self.meeting_mut(number)?;
        if !meeting.is_open(today) {
            return Err(CaseError::OutOfOrder(
                "The meeting has taken place or was withdrawn: replies can no longer be given",
            ));
        }
        let invitee = meeting
            .invitees
            .iter_mut()
            .find(|i| i.account == account)
            .ok_or(CaseError::OutOfOrder("You are not invited to this meeting"))?;
        invitee.reply = if accept {
            Reply::Accepted { at: now }
        } else {
            Reply::Declined { at: now }
        };
        Ok(())
    }

    /// Whether invitee `account` may give views before meeting `number` on `today`.
    ///
    /// # Errors
    /// [`CaseError::OutOfOrder`]: no such meeting, not invited, or the meeting is no longer
    /// open.
    pub fn check_meeting_views(
        &self,
        number: MeetingNumber,
        account: AccountId,
        today: Date,
    ) -> Result<(), CaseError> {
        let meeting = self
            .meeting(number)
            .ok_or(CaseError::OutOfOrder("There is no such review meeting"))?;
        if meeting.invitee(account).is_none() {
            return Err(CaseError::OutOfOrder("You are not invited to this meeting"));
        }
        if !meeting.is_open(today) {
            return Err(CaseError::OutOfOrder(
                "The meeting has taken place or was withdrawn: views can no longer be given",
            ));
        }
        Ok(())
    }

    /// Adds the views of invitee `account` before meeting `number` (while it is open on `today`).
    ///
    /// # Errors
    /// [`CaseError::Missing`] / [`CaseError::TooLong`] (the text); those of
    /// [`Case::check_meeting_views`].
    pub fn give_meeting_views(
        &mut self,
        number: MeetingNumber,
        account: AccountId,
        text: &str,
        now: OffsetDateTime,
        today: Date,
    ) -> Result<(), CaseError> {
        let text = required_text(text, MAX_VIEWS, "Your views", "your views")?;
        self.check_meeting_views(number, account, today)?;
        self.meeting_mut(number)?.views.push(MeetingViews {
            by: account,
            text,
            document: None,
            given_at: now,
        });
        Ok(())
    }

    /// Adds views given as `document` (uploaded by invitee `account` at `now`) before meeting
    /// `number`, open on `today`.
    ///
    /// # Errors
    /// Those of [`Case::check_meeting_views`].
    pub fn give_meeting_views_document(
        &mut self,
        number: MeetingNumber,
        account: AccountId,
        document: DocumentId,
        now: OffsetDateTime,
        today: Date,
    ) -> Result<(), CaseError> {
        self.check_meeting_views(number, account, today)?;
        self.meeting_mut(number)?.views.push(MeetingViews {
            by: account,
            text: String::new(),
            document: Some(document),
            given_at: now,
        });
        Ok(())
    }

    /// Whether a file of the report may be added to meeting `number`: it was held and not
    /// withdrawn (who may add it is the caller's check).
    ///
    /// # Errors
    /// [`CaseError::OutOfOrder`]: no such meeting, withdrawn, or not held yet.
    pub fn check_meeting_report_document(&self, number: MeetingNumber) -> Result<(), CaseError> {
        let meeting = self
            .meeting(number)
            .ok_or(CaseError::OutOfOrder("There is no such review meeting"))?;
        if meeting.withdrawn || meeting.held.is_none() {
            return Err(CaseError::OutOfOrder(
                "A file of the report can be added once the meeting is recorded as held",
            ));
        }
        Ok(())
    }

    /// Adds `document` to the files of the report of meeting `number`.
    ///
    /// # Errors
    /// Those of [`Case::check_meeting_report_document`].
    pub fn attach_meeting_report(
        &mut self,
        number: MeetingNumber,
        document: DocumentId,
    ) -> Result<(), CaseError> {
        self.check_meeting_report_document(number)?;
        self.meeting_mut(number)?.report_documents.push(document);
        Ok(())
    }

    /// Records the day `on` the advice and information were circulated to the invitees of
    /// meeting `number` (reg 20(4)).
    ///
    /// # Errors
    /// [`CaseError::InFuture`] (after `today`), [`CaseError::TooEarly`] (before the request was
    /// received), [`CaseError::OutOfOrder`] (no such meeting, withdrawn, after the meeting's
    /// day).
    pub fn record_advice_circulated(
        &mut self,
        number: MeetingNumber,
        on: Date,
        today: Date,
    ) -> Result<(), CaseError> {
        if on > today {
            return Err(CaseError::InFuture("The date"));
        }
        if on < self.received_on {
            return Err(super::too_early(
                "The date",
                "the date the request was received",
                self.received_on,
            ));
        }
        let meeting = self.meeting_mut(number)?;
        if meeting.withdrawn {
            return Err(CaseError::OutOfOrder("This meeting was withdrawn"));
        }
        if on > meeting.on {
            return Err(CaseError::OutOfOrder(
                "The date must be on or before the day of the meeting",
            ));
        }
        meeting.advice_circulated_on = Some(on);
        Ok(())
    }

    /// Records meeting `number` as held on `on`: the case's [`EventKind::ReviewMeetingHeld`]
    /// event (with its checks), from which the report and decision are counted.
    ///
    /// # Errors
    /// [`CaseError::OutOfOrder`] (no such meeting, withdrawn, already held), [`CaseError::TooEarly`]
    /// (before the day it was arranged), and those of [`Case::check_event`].
    pub fn record_meeting_held(
        &mut self,
        number: MeetingNumber,
        on: Date,
        today: Date,
        now: OffsetDateTime,
        by: AccountId,
    ) -> Result<(), CaseError> {
        let meeting = self
            .meeting(number)
            .ok_or(CaseError::OutOfOrder("There is no such review meeting"))?;
        if meeting.withdrawn {
            return Err(CaseError::OutOfOrder("This meeting was withdrawn"));
        }
        if meeting.held.is_some() {
            return Err(CaseError::OutOfOrder(
                "This meeting has already been recorded as held",
            ));
        }
        if on < meeting.invited_on {
            return Err(super::too_early(
                "The date",
                "the day the meeting was arranged",
                meeting.invited_on,
            ));
        }
        let event = self.record_event(EventKind::ReviewMeetingHeld, on, today, now, Some(by))?;
        self.meeting_mut(number)?.held = Some((event, on));
        Ok(())
    }

    /// Records the report of meeting `number`, sent on `sent_on`.
    ///
    /// # Errors
    /// [`CaseError::Missing`] / [`CaseError::TooLong`] (the text), [`CaseError::InFuture`],
    /// [`CaseError::TooEarly`] (before the meeting was held), [`CaseError::OutOfOrder`] (no such
    /// meeting, not held yet, a report already recorded).
    pub fn record_meeting_report(
        &mut self,
        number: MeetingNumber,
        sent_on: Date,
        text: &str,
        today: Date,
        now: OffsetDateTime,
        by: AccountId,
    ) -> Result<(), CaseError> {
        let text = required_text(text, MAX_REPORT, "The report", "the report")?;
        if sent_on > today {
            return Err(CaseError::InFuture("The date"));
        }
        let meeting = self.meeting_mut(number)?;
        let Some((_, held_on)) = meeting.held else {
            return Err(CaseError::OutOfOrder(
                "Record the meeting as held before its report",
            ));
        };
        if meeting.report.is_some() {
            return Err(CaseError::OutOfOrder(
                "The report of this meeting has already been recorded",
            ));
        }
        if sent_on < held_on {
            return Err(super::too_early(
                "The date",
                "the day the meeting was held",
                held_on,
            ));
        }
        meeting.report = Some(MeetingReport {
            sent_on,
            text,
            recorded_at: now,
            recorded_by: by,
        });
        Ok(())
    }

    /// Keeps the meetings in step with an event withdrawn as recorded by mistake: a withdrawn
    /// [`EventKind::ReviewMeetingScheduled`] withdraws its meeting (kept, read only); a
    /// withdrawn [`EventKind::ReviewMeetingHeld`] makes its meeting not held again.
    pub(super) fn forget_meeting_event(&mut self, event: EventNumber) {
        for m in &mut self.meetings {
            if m.scheduled_event == event {
                m.withdrawn = true;
            }
            if m.held.is_some_and(|(e, _)| e == event) {
                m.held = None;
            }
        }
    }
}
