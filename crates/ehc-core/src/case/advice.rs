//! Advice requests: the LA asks a person (a contributor, reg 6(1) SEN Regulations 2014) for
//! advice and information on a case, and they answer on the hub within 6 weeks (reg 8(1)).
//!
//! Part of the [`Case`] aggregate ([`Case::advice`]), stored in the case's JSON and guarded by
//! its version. Each request is tied to the case's [`EventKind::AdviceRequested`] event (same
//! [`EventNumber`]) and its submission records [`EventKind::AdviceReceived`], so the tracker and
//! the deadline engine ([`super::deadline`]) keep counting as for a request recorded by hand.
//! A request whose event was withdrawn as recorded by mistake is no longer live: it is not
//! shown, answered or reminded about.
//!
//! Who sees what ([`AdviceRequest::shown_to`]): the contributor their own requests, with their
//! private draft; the LA and the family every request (who was asked, the due date, whether
//! each has submitted) with the submitted advice; the settings' SENDCos who was asked and
//! whether they have submitted, without the advice. Nobody but the contributor sees a draft.
//!
//! Timed alerts ([`super::alerts`]): reminder e-mails to the contributor 3 and 5 weeks after
//! the request, and on the day after the due date (overdue) an alert to the case officer; each
//! sent once, recorded in [`AdviceRequest::alerts`].

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use super::deadline::{DeadlineKind, long_date, weeks_after};
use super::{Case, CaseError, EventKind, EventNumber, clean_text, name_part};
use crate::account::{AccountId, EmailAddress};
use crate::document::DocumentId;
use crate::role::CaseAccess;

/// Longest "what is asked", in characters.
pub const MAX_ASKED: usize = 2_000;
/// Longest advice (draft or submitted), in characters: about 2,500 words. Longer advice comes
/// as a document.
pub const MAX_ADVICE: usize = 15_000;
/// Why a document cannot be taken off advice: it is not attached to it.
pub const NOT_ATTACHED: &str = "That document is not attached to this advice";
/// Most documents attached to one piece of advice.
pub const MAX_ADVICE_DOCUMENTS: usize = 20;
/// Weeks from the request to the due date (reg 8(1)).
pub const ADVICE_WEEKS: i64 = 6;

/// The contributor's draft: only they see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdviceDraft {
    /// The text as last saved (cleaned by [`clean_text`], at most [`MAX_ADVICE`] characters;
    /// may be empty).
    pub text: String,
    /// When it was saved.
    pub saved_at: OffsetDateTime,
}

/// The advice as submitted: final, seen by the LA and the family.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmittedAdvice {
    /// The advice (1 to [`MAX_ADVICE`] characters).
    pub text: String,
    /// When it was submitted.
    pub submitted_at: OffsetDateTime,
    /// Who submitted it (the contributor's account).
    pub by: AccountId,
}

/// One timed alert of an advice request, in the order they fall due.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AdviceAlert {
    /// Reminder e-mail to the contributor, 3 weeks after the request.
    Week3Reminder,
    /// Reminder e-mail to the contributor, 5 weeks after the request.
    Week5Reminder,
    /// The day after the due date: the request is overdue; the case officer is alerted.
    Overdue,
}

impl AdviceAlert {
    /// Every alert, in the order they fall due.
    pub const ALL: [Self; 3] = [Self::Week3Reminder, Self::Week5Reminder, Self::Overdue];
}

/// When each timed alert of a request was sent (`None`: not sent). A later alert supersedes
/// earlier ones not yet sent (after an outage only the latest due is sent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdviceAlerts {
    /// The week-3 reminder.
    pub week_3: Option<OffsetDateTime>,
    /// The week-5 reminder.
    pub week_5: Option<OffsetDateTime>,
    /// The escalation to the case officer (overdue).
    pub overdue: Option<OffsetDateTime>,
}

impl AdviceAlerts {
    /// When `alert` was sent.
    pub fn sent(&self, alert: AdviceAlert) -> Option<OffsetDateTime> {
        match alert {
            AdviceAlert::Week3Reminder => self.week_3,
            AdviceAlert::Week5Reminder => self.week_5,
            AdviceAlert::Overdue => self.overdue,
        }
    }

    fn record(&mut self, alert: AdviceAlert, at: OffsetDateTime) {
        let slot = match alert {
            AdviceAlert::Week3Reminder => &mut self.week_3,
            AdviceAlert::Week5Reminder => &mut self.week_5,
            AdviceAlert::Overdue => &mut self.overdue,
        };
        slot.get_or_insert(at);
    }

    /// The latest alert sent, if any.
    fn last_sent(&self) -> Option<AdviceAlert> {
        AdviceAlert::ALL
            .into_iter()
            .rev()
            .find(|a| self.sent(*a).is_some())
    }
}

/// A request for advice on a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdviceRequest {
    /// The number of its [`EventKind::AdviceRequested`] event.
    pub number: EventNumber,
    /// Who was asked, in the LA's words ("Educational psychologist, Anytown EP service").
    pub from: String,
    /// The address the request went to (the contributor's user name).
    pub email: EmailAddress,
    /// The contributor's account: known when they already had one, otherwise set when they
    /// first open the request after registering ([`Case::link_advice_contributor`]).
    pub contributor: Option<AccountId>,
    /// What is asked, in the LA's words (1 to [`MAX_ASKED`] characters).
    pub asked: String,
    /// The day of the request (the LA's calendar date).
    pub requested_on: Date,
    /// [`ADVICE_WEEKS`] weeks after `requested_on` (reg 8(1)); an exception recorded on the
    /// case may move the date that applies (see [`Case::advice_due_on`]).
    pub due_on: Date,
    /// The LA officer who asked.
    pub requested_by: Option<AccountId>,
    /// The contributor's private draft, until they submit.
    pub draft: Option<AdviceDraft>,
    /// The advice, once submitted.
    pub submitted: Option<SubmittedAdvice>,
    /// Documents the contributor attached (reports, assessments), in the order added: seen by
    /// the LA and the contributor, and with the submitted advice by the family
    /// ([`super::attachment::Attachment::Advice`]). At most [`MAX_ADVICE_DOCUMENTS`].
    #[serde(default)]
    pub documents: Vec<DocumentId>,
    /// The timed alerts sent.
    #[serde(default)]
    pub alerts: AdviceAlerts,
}

/// How much of a request a viewer sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AdviceShown {
    /// Nothing (another contributor's request).
    Nothing,
    /// Who was asked, when, the due date and whether they have submitted (a SENDCo).
    Status,
    /// The status and the submitted advice (the LA and the family).
    Advice,
    /// Everything, the draft included (the contributor asked).
    Own,
}

impl AdviceShown {
    /// Whether the submitted advice is shown.
    pub fn shows_advice(self) -> bool {
        matches!(self, Self::Advice | Self::Own)
    }
}

impl AdviceRequest {
    /// Whether the request is for `account`, whose address is `email`: their account is on it,
    /// or no account is yet and the address is theirs (one address never holds two accounts).
    pub fn is_for(&self, account: AccountId, email: &EmailAddress) -> bool {
        match self.contributor {
            Some(c) => c == account,
            None => self.email == *email,
        }
    }

    /// How much of the request a viewer with `access` sees; `viewer` is their account and
    /// address (for a contributor's own request).
    pub fn shown_to(
        &self,
        access: &CaseAccess,
        viewer: Option<(AccountId, &EmailAddress)>,
    ) -> AdviceShown {
        let own = access.contributor.is_some()
            && viewer.is_some_and(|(account, email)| self.is_for(account, email));
        if own {
            AdviceShown::Own
        } else if access.la || access.family {
            AdviceShown::Advice
        } else if access.setting {
            AdviceShown::Status
        } else {
            AdviceShown::Nothing
        }
    }

    /// The day `alert` falls due, given the due date that applies (`due`): 3 or 5 weeks after
    /// the request, or the day after `due`.
    pub fn alert_day(&self, alert: AdviceAlert, due: Date) -> Date {
        match alert {
            AdviceAlert::Week3Reminder => weeks_after(self.requested_on, 3),
            AdviceAlert::Week5Reminder => weeks_after(self.requested_on, 5),
            AdviceAlert::Overdue => due.next_day().unwrap_or(due),
        }
    }

    /// The alerts not yet sent and not superseded by one sent later, in order.
    pub fn pending_alerts(&self) -> Vec<AdviceAlert> {
        let last = self.alerts.last_sent();
        AdviceAlert::ALL
            .into_iter()
            .filter(|a| last.is_none_or(|l| *a > l))
            .collect()
    }
}

/// The request's "what is asked", cleaned.
fn asked_text(asked: &str) -> Result<String, CaseError> {
    let asked = clean_text(asked, true);
    if asked.is_empty() {
        return Err(CaseError::Missing("what advice is asked for"));
    }
    if asked.chars().count() > MAX_ASKED {
        return Err(CaseError::TooLong {
            what: "What advice is asked for",
            max: MAX_ASKED,
        });
    }
    Ok(asked)
}

/// Advice text, cleaned; empty is allowed only for a draft.
fn advice_text(text: &str, draft: bool) -> Result<String, CaseError> {
    let text = clean_text(text, true);
    if text.is_empty() && !draft {
        return Err(CaseError::Missing("your advice"));
    }
    if text.chars().count() > MAX_ADVICE {
        return Err(CaseError::TooLong {
            what: "Your advice",
            max: MAX_ADVICE,
        });
    }
    Ok(text)
}

/// What the LA enters to request advice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAdviceRequest {
    /// Who is asked, in the LA's words.
    pub from: String,
    /// Their e-mail address (parsed).
    pub email: EmailAddress,
    /// Their account, when they have one.
    pub contributor: Option<AccountId>,
    /// What is asked.
    pub asked: String,
}

impl NewAdviceRequest {
    /// Checks the texts without changing anything (so a form can be refused before anything
    /// else, such as an invitation, is done).
    ///
    /// # Errors
    /// [`CaseError::Missing`] / [`CaseError::TooLong`] for who is asked or what is asked.
    pub fn check(&self) -> Result<(), CaseError> {
        name_part(
            &self.from,
            "Who the advice is from",
            "who the advice is from",
        )?;
        asked_text(&self.asked)?;
        Ok(())
    }
}

impl Case {
    /// Whether the event numbered `number` is still on the case (not withdrawn).
    fn has_event(&self, number: EventNumber) -> bool {
        self.events.iter().any(|e| e.number == number)
    }

    /// Whether the request numbered `number` has been answered: submitted on the hub, or its
    /// [`EventKind::AdviceReceived`] recorded by the LA (advice that came by post).
    pub fn advice_answered(&self, number: EventNumber) -> bool {
        self.events
            .iter()
            .any(|e| matches!(e.kind, EventKind::AdviceReceived { request } if request == number))
    }

    /// The live advice requests (their event not withdrawn), in the order asked.
    pub fn advice_requests(&self) -> impl Iterator<Item = &AdviceRequest> {
        self.advice.iter().filter(|r| self.has_event(r.number))
    }

    /// The live request numbered `number`.
    pub fn advice_request(&self, number: EventNumber) -> Option<&AdviceRequest> {
        self.advice_requests().find(|r| r.number == number)
    }

    /// The due date that applies to request `number`: the deadline engine's
    /// [`DeadlineKind::AdviceReturned`] date (6 weeks, moved by any recorded exception,
    /// reg 8(2)), or the request's own date.
    pub fn advice_due_on(&self, number: EventNumber) -> Option<Date> {
        let request = self.advice_request(number)?;
        Some(
            super::deadline::deadlines(self)
                .into_iter()
                .find(|d| d.kind == DeadlineKind::AdviceReturned && d.about == Some(number))
                .map_or(request.due_on, |d| d.due),
        )
    }

    /// Records a request for advice made on `today` (the LA's calendar date) by `by`: the
    /// [`EventKind::AdviceRequested`] event and the request, due [`ADVICE_WEEKS`] weeks later
    /// (reg 8(1)). Returns the request's number.
    ///
    /// # Errors
    /// [`NewAdviceRequest::check`]'s, and those of [`Case::record_event`] (an assessment must
    /// have been decided, or a plan be in force); the case is unchanged on error.
    pub fn request_advice(
        &mut self,
        new: NewAdviceRequest,
        today: Date,
        at: OffsetDateTime,
        by: Option<AccountId>,
    ) -> Result<EventNumber, CaseError> {
        new.check()?;
        let asked = asked_text(&new.asked)?;
        let number = self.record_event(
            EventKind::AdviceRequested {
                from: new.from,
                contributor: new.contributor,
            },
            today,
            today,
            at,
            by,
        )?;
        let from = match self.events.last().map(|e| &e.kind) {
            Some(EventKind::AdviceRequested { from, .. }) => from.clone(),
            _ => String::new(),
        };
        self.advice.push(AdviceRequest {
            number,
            from,
            email: new.email,
            contributor: new.contributor,
            asked,
            requested_on: today,
            due_on: weeks_after(today, ADVICE_WEEKS),
            requested_by: by,
            draft: None,
            submitted: None,
            documents: Vec::new(),
            alerts: AdviceAlerts::default(),
        });
        Ok(number)
    }

    /// Links `account` (whose address is `email`) to the live requests sent to that address
    /// before they had an account, on the request and on its event, so the tracker, the tray
    /// and the timeline know them. Returns whether anything changed.
    pub fn link_advice_contributor(&mut self, account: AccountId, email: &EmailAddress) -> bool {
        let numbers: Vec<EventNumber> = self
            .advice_requests()
            .filter(|r| r.contributor.is_none() && r.email == *email)
            .map(|r| r.number)
            .collect();
        for request in self.advice.iter_mut() {
            if numbers.contains(&request.number) {
                request.contributor = Some(account);
            }
        }
        for event in self.events.iter_mut() {
            if let EventKind::AdviceRequested { contributor, .. } = &mut event.kind
                && numbers.contains(&event.number)
                && contributor.is_none()
            {
                *contributor = Some(account);
            }
        }
        !numbers.is_empty()
    }

    /// The place in [`Case::advice`] of the live, unanswered request `number` of `account`.
    fn own_open_index(&self, number: EventNumber, account: AccountId) -> Result<usize, CaseError> {
        let live = self.has_event(number);
        let index = self
            .advice
            .iter()
            .position(|r| r.number == number && r.contributor == Some(account) && live)
            .ok_or(CaseError::NoSuchAdviceRequest)?;
        if self.advice_answered(number) || self.advice[index].submitted.is_some() {
            return Err(CaseError::OutOfOrder(
                "This advice has already been submitted: it cannot be changed",
            ));
        }
        Ok(index)
    }

    /// The live, unanswered request `number` of `account`, for a change by them.
    fn own_open_request(
        &mut self,
        number: EventNumber,
        account: AccountId,
    ) -> Result<&mut AdviceRequest, CaseError> {
        let index = self.own_open_index(number, account)?;
        Ok(&mut self.advice[index])
    }

    /// Saves the contributor's draft of request `number` (replacing the previous one). Only
    /// the contributor sees it. An empty draft is allowed.
    ///
    /// # Errors
    /// [`CaseError::NoSuchAdviceRequest`] (not theirs, or not live; the caller answers 404),
    /// [`CaseError::OutOfOrder`] (already answered), [`CaseError::TooLong`].
    pub fn save_advice_draft(
        &mut self,
        number: EventNumber,
        account: AccountId,
        text: &str,
        at: OffsetDateTime,
    ) -> Result<(), CaseError> {
        let text = advice_text(text, true)?;
        let request = self.own_open_request(number, account)?;
        request.draft = Some(AdviceDraft { text, saved_at: at });
        Ok(())
    }

    /// Whether `account` may attach a document to request `number`: theirs, live, not yet
    /// answered, with room for one more.
    ///
    /// # Errors
    /// As [`Case::save_advice_draft`], and [`CaseError::OutOfOrder`] when
    /// [`MAX_ADVICE_DOCUMENTS`] are attached.
    pub fn check_advice_attachment(
        &self,
        number: EventNumber,
        account: AccountId,
    ) -> Result<(), CaseError> {
        let index = self.own_open_index(number, account)?;
        if self.advice[index].documents.len() >= MAX_ADVICE_DOCUMENTS {
            return Err(CaseError::OutOfOrder(
                "You have attached the most documents one piece of advice can have (20)",
            ));
        }
        Ok(())
    }

    /// Attaches `document` (uploaded by `account`) to their open request `number`.
    ///
    /// # Errors
    /// As [`Case::check_advice_attachment`].
    pub fn attach_advice_document(
        &mut self,
        number: EventNumber,
        account: AccountId,
        document: DocumentId,
    ) -> Result<(), CaseError> {
        self.check_advice_attachment(number, account)?;
        self.own_open_request(number, account)?
            .documents
            .push(document);
        Ok(())
    }

    /// Takes `document` off `account`'s open request `number` (it stays on the case, seen by
    /// the LA and them).
    ///
    /// # Errors
    /// As [`Case::save_advice_draft`], and [`CaseError::OutOfOrder`] when it is not attached.
    pub fn detach_advice_document(
        &mut self,
        number: EventNumber,
        account: AccountId,
        document: DocumentId,
    ) -> Result<(), CaseError> {
        let request = self.own_open_request(number, account)?;
        let before = request.documents.len();
        request.documents.retain(|d| *d != document);
        if request.documents.len() == before {
            return Err(CaseError::OutOfOrder(NOT_ATTACHED));
        }
        Ok(())
    }

    /// Submits the contributor's advice for request `number` on `today`: records
    /// [`EventKind::AdviceReceived`] (which meets the request's deadline) and keeps the text;
    /// the draft is dropped. Returns the new event's number.
    ///
    /// # Errors
    /// As [`Case::save_advice_draft`], and [`CaseError::Missing`] for empty advice.
    pub fn submit_advice(
        &mut self,
        number: EventNumber,
        account: AccountId,
        text: &str,
        today: Date,
        at: OffsetDateTime,
    ) -> Result<EventNumber, CaseError> {
        let text = advice_text(text, false)?;
        self.own_open_request(number, account)?;
        let received = self.record_event(
            EventKind::AdviceReceived { request: number },
            today,
            today,
            at,
            Some(account),
        )?;
        if let Some(request) = self.advice.iter_mut().find(|r| r.number == number) {
            request.draft = None;
            request.submitted = Some(SubmittedAdvice {
                text,
                submitted_at: at,
                by: account,
            });
        }
        Ok(received)
    }

    /// The earliest due date (after exceptions) among advice requests not yet answered, live
    /// or recorded by hand: when it is before today, the case's advice is overdue (the tray's
    /// *Advice overdue* tag).
    pub fn advice_awaited_due(&self) -> Option<Date> {
        super::deadline::deadlines(self)
            .into_iter()
            .filter(|d| d.kind == DeadlineKind::AdviceReturned && d.is_open())
            .map(|d| d.due)
            .min()
    }

    /// Records that `alert` of request `number` was sent at `at` (also marking earlier ones it
    /// supersedes as done). Unknown requests are ignored.
    pub(super) fn record_advice_alert(
        &mut self,
        number: EventNumber,
        alert: AdviceAlert,
        at: OffsetDateTime,
    ) {
        if let Some(request) = self.advice.iter_mut().find(|r| r.number == number) {
            request.alerts.record(alert, at);
        }
    }

    /// The live requests still awaiting advice, with the due date that applies to each.
    pub(super) fn awaited_advice(&self) -> Vec<(&AdviceRequest, Date)> {
        self.advice_requests()
            .filter(|r| r.submitted.is_none() && !self.advice_answered(r.number))
            .filter_map(|r| self.advice_due_on(r.number).map(|due| (r, due)))
            .collect()
    }
}

/// "Advice from X, due on 12 March 2026", for e-mails and the timeline (no child's details).
pub fn advice_words(request: &AdviceRequest, due: Date) -> String {
    format!("advice from {}, due on {}", request.from, long_date(due))
}
