//! The advice use cases ([`super::advice`]): the LA requests advice from a person by e-mail
//! (inviting them as contributor on the case if they have no account), the contributor saves a
//! private draft and submits, and the hub sends the timed alerts of every case
//! ([`super::alerts`]). Each change is one unit of work: the case (guarded by its version), its
//! timeline entry, its audit entry and its e-mails.
//!
//! The LA's request keeps the version check of the other back-office forms; the contributor's
//! draft and submission read and update the case inside one unit of work without a version
//! from the form (a concurrent change makes the write fail with a conflict, nothing saved).

use std::net::IpAddr;
use time::{Date, OffsetDateTime};

use super::advice::{AdviceRequest, AdviceShown, NewAdviceRequest, advice_words};
use super::alerts::AlertTo;
use super::service::{audit, effective_grants, email_update_to};
use super::timeline::{TimelineEntry, Visibility};
use super::{Case, CaseError, CaseId, CaseService, CaseServiceError, EventNumber, StoredCase};
use crate::account::{AccountId, EmailAddress};
use crate::audit::{AuditEvent, AuditKind};
use crate::document::DocumentId;
use crate::invitation::InviteError;
use crate::outbox::CaseUpdate;
use crate::ports::{SecretSource, Store, StoreError, UnitOfWork};
use crate::role::{CaseAccess, Grantor, Role, case_access};

/// Cases read per batch by [`CaseService::send_timed_alerts`].
pub const ALERT_BATCH: u32 = 100;

/// One advice request as a viewer may see it: the draft only for its contributor, the advice
/// only for those who may read it ([`AdviceShown`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdviceItem {
    /// The request, with what the viewer may not see removed.
    pub request: AdviceRequest,
    /// How much the viewer sees.
    pub shown: AdviceShown,
    /// The due date that applies (after any exception).
    pub due_on: Date,
    /// Whether advice was received (on the hub, or recorded by the LA).
    pub answered: bool,
}

/// The advice requests of `case` that a viewer with `access` (account and address `viewer`)
/// may see, in the order asked. Pure.
pub fn advice_for(
    case: &Case,
    access: &CaseAccess,
    viewer: Option<(AccountId, &EmailAddress)>,
) -> Vec<AdviceItem> {
    case.advice_requests()
        .filter_map(|r| {
            let shown = r.shown_to(access, viewer);
            if shown == AdviceShown::Nothing {
                return None;
            }
            let mut request = r.clone();
            if shown != AdviceShown::Own {
                request.draft = None;
            }
            if !shown.shows_advice() {
                request.submitted = None;
            }
            // Attached documents come with the advice: to the contributor always, to the
            // others once it is submitted.
            if shown != AdviceShown::Own && request.submitted.is_none() {
                request.documents.clear();
            }
            Some(AdviceItem {
                due_on: case.advice_due_on(r.number).unwrap_or(r.due_on),
                answered: case.advice_answered(r.number),
                request,
                shown,
            })
        })
        .collect()
}

/// What [`CaseService::send_timed_alerts`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimedAlertReport {
    /// Cases read with an alert due.
    pub cases: u32,
    /// Alerts sent (recorded on their case, with their e-mail queued when there was someone
    /// to send it to).
    pub sent: u32,
    /// Cases left for the next run: changed meanwhile (by a person, or another hub process
    /// sending the same alerts), or a fault.
    pub deferred: u32,
}

/// A contributor's advice page: the case's LA reference and the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvicePage {
    /// The case's LA reference.
    pub la_reference: String,
    /// The request as the viewer sees it.
    pub item: AdviceItem,
}

impl<S: Store, R: SecretSource + Clone> CaseService<S, R> {
    /// The LA (`actor`) asks the person at `email` — `from`, in the LA's words — for advice on
    /// case `id` (at `version`), asking `asked`, on `today`: due 6 weeks later (reg 8(1)). A
    /// person with no account is invited as contributor on the case; one with an account gets
    /// the contributor role if they lack it. They get an e-mail alert with the due date.
    ///
    /// # Errors
    /// [`CaseServiceError::Invite`] (a bad address), [`CaseServiceError::Invalid`] (who or
    /// what is asked, or no decision to assess yet), and as [`CaseService::record_event`].
    #[allow(clippy::too_many_arguments)] // the case, the request and its instant
    pub async fn request_advice(
        &self,
        actor: AccountId,
        id: CaseId,
        version: i64,
        (from, email, asked): (&str, &str, &str),
        now: OffsetDateTime,
        today: Date,
        origin: Option<IpAddr>,
    ) -> Result<EventNumber, CaseServiceError> {
        let email = EmailAddress::parse(email).map_err(InviteError::from)?;
        let mut tx = self.store.begin().await?;
        let (mut case, _) = Self::for_change(&mut *tx, actor, id, Some(version), now).await?;
        let contributor = tx.accounts().find_by_email(&email).await?.map(|a| a.id);
        let new = NewAdviceRequest {
            from: from.to_owned(),
            email: email.clone(),
            contributor,
            asked: asked.to_owned(),
        };
        let number = case.request_advice(new, today, now, Some(actor))?;
        self.invitations
            .invite_in(
                &mut *tx,
                Grantor::Account(actor),
                &email,
                vec![Role::Contributor { case: id }],
                now,
                origin,
            )
            .await?;
        let request = case
            .advice_request(number)
            .cloned()
            .ok_or(CaseError::NoSuchAdviceRequest)?;
        let asked = CaseUpdate::ActionRequested {
            action: format!(
                "give your advice ({})",
                advice_words(&request, request.due_on)
            ),
            by: request.due_on,
        };
        email_update_to(&mut *tx, &self.secrets, &case, &email, asked, now).await?;
        let what = format!(
            "Advice requested from {} ({email}): due on {}",
            request.from,
            super::deadline::long_date(request.due_on)
        );
        self.save(
            tx,
            actor,
            &case,
            version,
            what,
            Visibility::participants_and(contributor),
            now,
            origin,
        )
        .await?;
        Ok(number)
    }

    /// Reads case `id` for `viewer` inside `tx`: the stored case, the viewer's access and
    /// address. [`CaseServiceError::NotFound`] when they may not see it.
    async fn advice_case(
        tx: &mut dyn UnitOfWork,
        viewer: AccountId,
        id: CaseId,
        now: OffsetDateTime,
    ) -> Result<(StoredCase, CaseAccess, EmailAddress), CaseServiceError> {
        let grants = effective_grants(tx, viewer, now).await?;
        let stored = tx
            .cases()
            .get(id)
            .await?
            .ok_or(CaseServiceError::NotFound)?;
        let access = case_access(&grants, id, &stored.case.settings, now);
        if !access.any() {
            return Err(CaseServiceError::NotFound);
        }
        let email = tx
            .accounts()
            .get(viewer)
            .await?
            .ok_or(CaseServiceError::NotFound)?
            .email;
        Ok((stored, access, email))
    }

    /// The advice requests of case `id` that `viewer` may see ([`advice_for`]).
    ///
    /// # Errors
    /// [`CaseServiceError::NotFound`] when the viewer may not see the case; faults.
    pub async fn case_advice(
        &self,
        viewer: AccountId,
        id: CaseId,
        now: OffsetDateTime,
    ) -> Result<Vec<AdviceItem>, CaseServiceError> {
        let mut tx = self.store.begin().await?;
        let (stored, access, email) = Self::advice_case(&mut *tx, viewer, id, now).await?;
        tx.commit().await?;
        Ok(advice_for(&stored.case, &access, Some((viewer, &email))))
    }

    /// Request `number` of case `id` as `viewer` sees it. When the viewer is the contributor
    /// asked before they had an account, their account is linked to it now (once; the tracker,
    /// the tray and the timeline then know them).
    ///
    /// # Errors
    /// [`CaseServiceError::NotFound`] when there is no such live request or the viewer may not
    /// see it (a SENDCo, another contributor); faults.
    pub async fn advice_page(
        &self,
        viewer: AccountId,
        id: CaseId,
        number: EventNumber,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<AdvicePage, CaseServiceError> {
        let mut tx = self.store.begin().await?;
        let (stored, access, email) = Self::advice_case(&mut *tx, viewer, id, now).await?;
        let mut case = stored.case;
        let item = advice_for(&case, &access, Some((viewer, &email)))
            .into_iter()
            .find(|i| i.request.number == number && i.shown != AdviceShown::Status)
            .ok_or(CaseServiceError::NotFound)?;
        if item.shown == AdviceShown::Own
            && access.contributor == Some(viewer)
            && case.link_advice_contributor(viewer, &email)
        {
            let what = format!("{email} opened the request for advice");
            self.save(
                tx,
                viewer,
                &case,
                stored.version,
                what,
                Visibility::participants_and(Some(viewer)),
                now,
                origin,
            )
            .await?;
        } else {
            tx.audit()
                .append(&audit(
                    viewer,
                    AuditKind::CaseViewed,
                    id,
                    &format!("advice request {}", number.0),
                    now,
                    origin,
                ))
                .await?;
            tx.commit().await?;
        }
        Ok(AdvicePage {
            la_reference: case.la_reference.to_string(),
            item,
        })
    }

    /// The contributor's own, open request: the case read for a change by them.
    async fn for_contributor(
        tx: &mut dyn UnitOfWork,
        actor: AccountId,
        id: CaseId,
        number: EventNumber,
        now: OffsetDateTime,
    ) -> Result<StoredCase, CaseServiceError> {
        let (mut stored, access, email) = Self::advice_case(tx, actor, id, now).await?;
        if access.contributor != Some(actor) {
            return Err(CaseServiceError::NotFound);
        }
        stored.case.link_advice_contributor(actor, &email);
        if stored
            .case
            .advice_request(number)
            .is_none_or(|r| r.contributor != Some(actor))
        {
            return Err(CaseServiceError::NotFound);
        }
        Ok(stored)
    }

    /// Saves the contributor's draft of request `number` (only they see it). Saving the same
    /// text again changes nothing. The first draft goes on the contributor's timeline; every
    /// save is audited.
    ///
    /// # Errors
    /// [`CaseServiceError::NotFound`] (not their request: the same as no case),
    /// [`CaseServiceError::Invalid`] (too long, or already submitted), a conflict when the case
    /// changed meanwhile; faults.
    pub async fn save_advice_draft(
        &self,
        actor: AccountId,
        id: CaseId,
        number: EventNumber,
        text: &str,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<(), CaseServiceError> {
        let mut tx = self.store.begin().await?;
        let stored = Self::for_contributor(&mut *tx, actor, id, number, now).await?;
        let mut case = stored.case;
        let before = case.advice_request(number).and_then(|r| r.draft.clone());
        case.save_advice_draft(number, actor, text, now)
            .map_err(not_found_if_not_theirs)?;
        let after = case.advice_request(number).and_then(|r| r.draft.clone());
        if before.as_ref().map(|d| &d.text) == after.as_ref().map(|d| &d.text) {
            return Ok(());
        }
        tx.cases().update(&case, stored.version).await?;
        if before.is_none() {
            tx.cases()
                .append_timeline(&TimelineEntry {
                    case: id,
                    at: now,
                    actor: Some(actor),
                    what: "Draft advice started (only you can see it)".into(),
                    visible_to: Visibility {
                        la: false,
                        setting: false,
                        family: false,
                        contributor: Some(actor),
                    },
                })
                .await?;
        }
        tx.audit()
            .append(&audit(
                actor,
                AuditKind::CaseChanged,
                id,
                &format!("draft advice saved (request {})", number.0),
                now,
                origin,
            ))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Takes `document` off the contributor's open request `number` (it stays on the case, in
    /// *Documents*, seen by the LA and them); on the timeline for them and the LA.
    ///
    /// # Errors
    /// As [`CaseService::save_advice_draft`], and [`CaseServiceError::Invalid`] when the
    /// document is not attached.
    #[allow(clippy::too_many_arguments)] // the request, the document and the instant
    pub async fn detach_advice_document(
        &self,
        actor: AccountId,
        id: CaseId,
        number: EventNumber,
        document: DocumentId,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<(), CaseServiceError> {
        let mut tx = self.store.begin().await?;
        let stored = Self::for_contributor(&mut *tx, actor, id, number, now).await?;
        let mut case = stored.case;
        case.detach_advice_document(number, actor, document)
            .map_err(not_found_if_not_theirs)?;
        let title = tx
            .documents()
            .get(document)
            .await?
            .map_or_else(String::new, |d| format!(": {}", d.title));
        self.save(
            tx,
            actor,
            &case,
            stored.version,
            format!("Document taken off the draft advice{title}"),
            Visibility {
                contributor: Some(actor),
                ..Visibility::LA_ONLY
            },
            now,
            origin,
        )
        .await
    }

    /// Submits the contributor's advice for request `number` on `today`: recorded as advice
    /// received (meeting its deadline); then the LA and the family see it. The case officer
    /// gets an e-mail alert.
    ///
    /// # Errors
    /// As [`CaseService::save_advice_draft`], and [`CaseServiceError::Invalid`] for empty
    /// advice.
    #[allow(clippy::too_many_arguments)] // the case, the advice and its instant
    pub async fn submit_advice(
        &self,
        actor: AccountId,
        id: CaseId,
        number: EventNumber,
        text: &str,
        now: OffsetDateTime,
        today: Date,
        origin: Option<IpAddr>,
    ) -> Result<(), CaseServiceError> {
        let mut tx = self.store.begin().await?;
        let stored = Self::for_contributor(&mut *tx, actor, id, number, now).await?;
        let mut case = stored.case;
        case.submit_advice(number, actor, text, today, now)
            .map_err(not_found_if_not_theirs)?;
        let from = case
            .advice_request(number)
            .map(|r| r.from.clone())
            .unwrap_or_default();
        if let Some(email) = self.officer_email(&mut *tx, &case).await? {
            let update = CaseUpdate::DocumentAdded {
                kind: format!("advice from {from}"),
            };
            email_update_to(&mut *tx, &self.secrets, &case, &email, update, now).await?;
        }
        let what = format!("Advice received from {from}");
        self.save(
            tx,
            actor,
            &case,
            stored.version,
            what,
            Visibility::participants_and(Some(actor)),
            now,
            origin,
        )
        .await
    }

    /// The case officer's address, when one is assigned and has an account.
    async fn officer_email(
        &self,
        tx: &mut dyn UnitOfWork,
        case: &Case,
    ) -> Result<Option<EmailAddress>, StoreError> {
        Ok(match case.officer {
            Some(o) => tx.accounts().get(o).await?.map(|a| a.email),
            None => None,
        })
    }

    /// Sends every timed alert due on `today` (the LA's calendar date) of every case
    /// ([`Case::timed_alerts`]): reads the due cases in batches of [`ALERT_BATCH`], each case
    /// in its own unit of work that queues the e-mails, writes the timeline and audit entries
    /// and records the alerts on the case conditional on its version — so an alert is sent
    /// once even with two hub processes running this at the same time (the second one's write
    /// conflicts and is rolled back). Run it periodically (the hub: every 15 minutes, and at
    /// start; or `ehc-hub send-reminders` from cron).
    ///
    /// # Errors
    /// Faults reading the due cases; a fault or conflict on one case only defers it
    /// ([`TimedAlertReport::deferred`]).
    pub async fn send_timed_alerts(
        &self,
        today: Date,
        now: OffsetDateTime,
    ) -> Result<TimedAlertReport, CaseServiceError> {
        let mut report = TimedAlertReport::default();
        let mut after = None;
        loop {
            let mut tx = self.store.begin().await?;
            let due = tx.cases().alerts_due(today, after, ALERT_BATCH).await?;
            tx.commit().await?;
            for id in &due {
                report.cases += 1;
                // Each feature's alerts in its own unit of work: a conflict defers only that
                // feature's alerts to the next pass.
                let advice = self.send_case_alerts(*id, today, now).await;
                let plan = self.send_plan_alerts(*id, now, today).await;
                let meetings = self.send_meeting_alerts(*id, now, today).await;
                let counts = [
                    advice,
                    plan.map(|sent| u32::try_from(sent.len()).unwrap_or(u32::MAX)),
                    meetings.map(|sent| u32::try_from(sent).unwrap_or(u32::MAX)),
                ];
                let mut deferred = false;
                for count in counts {
                    match count {
                        Ok(n) => report.sent = report.sent.saturating_add(n),
                        Err(_) => deferred = true,
                    }
                }
                if deferred {
                    report.deferred += 1;
                }
            }
            match due.last() {
                Some(last) if due.len() == ALERT_BATCH as usize => after = Some(*last),
                _ => return Ok(report),
            }
        }
    }

    /// The alerts due on one case, in one unit of work; how many were sent.
    async fn send_case_alerts(
        &self,
        id: CaseId,
        today: Date,
        now: OffsetDateTime,
    ) -> Result<u32, CaseServiceError> {
        let mut tx = self.store.begin().await?;
        let Some(stored) = tx.cases().get(id).await? else {
            return Ok(0);
        };
        let mut case = stored.case;
        let alerts = case.timed_alerts(today);
        if alerts.is_empty() {
            return Ok(0);
        }
        let officer = self.officer_email(&mut *tx, &case).await?;
        let mut sent = 0;
        for alert in alerts {
            let to = match alert.to {
                AlertTo::Contributor {
                    account: Some(account),
                    email,
                } => Some(match tx.accounts().get(account).await? {
                    Some(person) => person.email,
                    None => email,
                }),
                AlertTo::Contributor {
                    account: None,
                    email,
                } => Some(email),
                AlertTo::CaseOfficer => officer.clone(),
            };
            if let Some(email) = to {
                email_update_to(&mut *tx, &self.secrets, &case, &email, alert.update, now).await?;
            }
            tx.cases()
                .append_timeline(&TimelineEntry {
                    case: id,
                    at: now,
                    actor: None,
                    what: alert.what.clone(),
                    visible_to: alert.visible_to,
                })
                .await?;
            tx.audit()
                .append(&AuditEvent {
                    at: now,
                    actor: None,
                    subject: None,
                    kind: AuditKind::CaseChanged,
                    origin: None,
                    case: Some(id),
                    detail: format!("case {id}: timed alert: {}", alert.what),
                })
                .await?;
            case.record_alert_sent(alert.key, now);
            sent += 1;
        }
        tx.cases().update(&case, stored.version).await?;
        tx.commit().await?;
        Ok(sent)
    }
}

/// A request that is not the person's (or not live) answers as a missing case.
fn not_found_if_not_theirs(e: CaseError) -> CaseServiceError {
    match e {
        CaseError::NoSuchAdviceRequest => CaseServiceError::NotFound,
        other => CaseServiceError::Invalid(other),
    }
}
