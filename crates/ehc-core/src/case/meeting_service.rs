//! The review-meeting use cases of [`CaseService`]: arrange a meeting and invite people, see
//! it, reply to the invitation, give views before it, record the advice circulated, the meeting
//! held and its report, and send its timed alerts. Each runs in one unit of work: the case
//! (with its meetings), the timeline entry, the audit entry and the e-mail alerts are written
//! together or not at all.
//!
//! Who may do what: the LA's officers and the SENDCos of the case's settings arrange meetings
//! (reg 20(1), 21(1)); the organiser and the LA's officers record what happened; only invitees
//! reply and give views, without a version from the form (each reads and updates the case in
//! its unit of work). A person who may not see the case — or a contributor not invited to the
//! meeting — gets [`CaseServiceError::NotFound`], like a meeting that does not exist; a person
//! who sees the meeting but may not do this gets [`CaseServiceError::NotAllowed`].

use std::net::IpAddr;
use time::{Date, OffsetDateTime};

use super::deadline::long_date;
use super::meeting::{
    MeetingAlert, MeetingNumber, NewMeeting, Organiser, ReviewMeeting, clock_time,
};
use super::service::{audit, effective_grants, involved};
use super::timeline::Visibility;
use super::{Case, CaseError, CaseEvent, CaseId, CaseService, CaseServiceError, StoredCase};
use crate::account::AccountId;
use crate::alert::queue_case_alert;
use crate::audit::AuditKind;
use crate::outbox::CaseUpdate;
use crate::ports::{SecretSource, Store, UnitOfWork};
use crate::role::{Action, CaseAccess, Role, RoleGrant, authorize, case_access};

/// What the invitation e-mail asks of each invitee (by the meeting's day).
pub const REPLY_ACTION: &str = "Reply to the review meeting invitation";
/// What the e-mail sent when the advice is circulated asks (by the meeting's day).
pub const READ_ADVICE_ACTION: &str = "Read the advice and information for the review meeting";
/// What the report-overdue alert asks of the case officer (by the day the report was due).
pub const SEND_REPORT_ACTION: &str = "Send the review meeting report";
/// The kind of document the report is, in the alert sent when it is recorded.
pub const REPORT_DOCUMENT: &str = "Review meeting report";

/// Who sees the replies to an invitation on the timeline: the LA and the settings' SENDCos (who
/// may organise the meeting).
const ORGANISERS: Visibility = Visibility {
    la: true,
    setting: true,
    family: false,
    contributor: None,
};

/// A person who may be invited to a case's review meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingCandidate {
    /// Their account.
    pub account: AccountId,
    /// Their e-mail address.
    pub email: String,
    /// Their part in the case, in words ("Parent or carer", "Case officer").
    pub part: String,
}

/// A review meeting as one viewer may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingView {
    /// The case (for its reference, name and events: the viewer may see the meeting).
    pub case: Case,
    /// The case's version, for the LA's forms.
    pub version: i64,
    /// How far the viewer sees the case.
    pub access: CaseAccess,
    /// The meeting; its views only those the viewer may read (all for the LA, the settings and
    /// the family; their own for a contributor).
    pub meeting: ReviewMeeting,
    /// The e-mail address of each account the meeting names (organiser, invitees, views).
    pub emails: Vec<(AccountId, String)>,
    /// Whether the viewer may record the advice circulated, the meeting held and its report
    /// (an LA officer or the organiser).
    pub manage: bool,
    /// Whether the viewer may record the LA's decision (an LA officer).
    pub decide: bool,
    /// The LA's decision after the meeting, once recorded.
    pub decision: Option<CaseEvent>,
}

impl MeetingView {
    /// The e-mail address of `account` ("" when unknown).
    pub fn email_of(&self, account: AccountId) -> &str {
        self.emails
            .iter()
            .find(|(a, _)| *a == account)
            .map_or("", |(_, e)| e.as_str())
    }
}

/// As whom `actor` (with `grants`) may arrange a meeting of `case`: an LA officer, else the
/// SENDCo of a setting linked to it; `None` for anyone else.
fn organiser_for(
    grants: &[RoleGrant],
    case: &Case,
    actor: AccountId,
    now: OffsetDateTime,
) -> Option<Organiser> {
    if authorize(grants, &Action::ManageCase(case.id), now) {
        return Some(Organiser::La { account: actor });
    }
    grants
        .iter()
        .filter(|g| g.is_active(now))
        .find_map(|g| match g.role {
            Role::Sendco { setting } if case.settings.contains(&setting) => {
                Some(Organiser::Setting {
                    account: actor,
                    urn: setting,
                })
            }
            _ => None,
        })
}

/// Whether `actor` may record what happened at `meeting`: an LA officer, or its organiser
/// while they may still arrange meetings of the case.
fn may_manage(
    grants: &[RoleGrant],
    case: &Case,
    meeting: &ReviewMeeting,
    actor: AccountId,
    now: OffsetDateTime,
) -> bool {
    match organiser_for(grants, case, actor, now) {
        Some(Organiser::La { .. }) => true,
        Some(Organiser::Setting { .. }) => meeting.organiser.account() == actor,
        None => false,
    }
}

/// The case, the viewer's grants and access, for a use case about meeting `number`:
/// [`CaseServiceError::NotFound`] when the case or the meeting does not exist, the viewer may
/// not see the case, or sees only their advice requests and is not invited.
async fn load(
    tx: &mut dyn UnitOfWork,
    actor: AccountId,
    id: CaseId,
    number: MeetingNumber,
    now: OffsetDateTime,
) -> Result<(StoredCase, Vec<RoleGrant>, CaseAccess), CaseServiceError> {
    let grants = effective_grants(tx, actor, now).await?;
    let stored = tx
        .cases()
        .get(id)
        .await?
        .ok_or(CaseServiceError::NotFound)?;
    let access = case_access(&grants, id, &stored.case.settings, now);
    let meeting = stored
        .case
        .meeting(number)
        .ok_or(CaseServiceError::NotFound)?;
    let invited = access.any() && meeting.invitee(actor).is_some();
    if !access.is_participant() && !invited {
        return Err(CaseServiceError::NotFound);
    }
    Ok((stored, grants, access))
}

impl<S: Store, R: SecretSource + Clone> CaseService<S, R> {
    /// The people `actor` may invite to a review meeting of case `id`: the case officer (every
    /// LA officer while none is assigned), every account with access to the case (the family and their advocates, the settings' SENDCos,
    /// contributors), and `actor` themself; each once, by e-mail address.
    ///
    /// # Errors
    /// [`CaseServiceError::NotFound`] (no case, or not visible), [`CaseServiceError::NotAllowed`]
    /// (not an LA officer nor a linked setting's SENDCo), faults.
    pub async fn meeting_candidates(
        &self,
        actor: AccountId,
        id: CaseId,
        now: OffsetDateTime,
    ) -> Result<Vec<MeetingCandidate>, CaseServiceError> {
        let mut tx = self.store.begin().await?;
        let (case, _) = self.organising(&mut *tx, actor, id, now).await?;
        let candidates = Self::candidates(&mut *tx, &case, actor, now).await?;
        tx.commit().await?;
        Ok(candidates)
    }

    /// The case for `actor` to arrange a meeting of, with their [`Organiser`] part.
    async fn organising(
        &self,
        tx: &mut dyn UnitOfWork,
        actor: AccountId,
        id: CaseId,
        now: OffsetDateTime,
    ) -> Result<(StoredCase, Organiser), CaseServiceError> {
        let grants = effective_grants(tx, actor, now).await?;
        let stored = tx
            .cases()
            .get(id)
            .await?
            .ok_or(CaseServiceError::NotFound)?;
        if !case_access(&grants, id, &stored.case.settings, now).any() {
            return Err(CaseServiceError::NotFound);
        }
        let organiser =
            organiser_for(&grants, &stored.case, actor, now).ok_or(CaseServiceError::NotAllowed)?;
        Ok((stored, organiser))
    }

    async fn candidates(
        tx: &mut dyn UnitOfWork,
        stored: &StoredCase,
        actor: AccountId,
        now: OffsetDateTime,
    ) -> Result<Vec<MeetingCandidate>, CaseServiceError> {
        let case = &stored.case;
        let mut parts: Vec<(AccountId, String)> = Vec::new();
        // An LA officer must be invited (reg 20(2)(c)): the case officer, or with none
        // assigned yet, any LA officer.
        if let Some(officer) = case.officer {
            parts.push((officer, "Case officer".to_owned()));
        } else {
            for g in tx.grants().la_officers().await? {
                if g.is_active(now) {
                    parts.push((g.account, g.role.describe()));
                }
            }
        }
        for g in involved(
            tx.grants().for_case(case.id, &case.settings).await?,
            case.id,
            now,
        ) {
            parts.push((g.account, g.role.describe()));
        }
        if parts.iter().all(|(a, _)| *a != actor) {
            let own = tx.grants().for_account(actor).await?;
            let part = own
                .iter()
                .filter(|g| g.is_active(now))
                .find(|g| matches!(g.role, Role::LaOfficer | Role::Sendco { .. }))
                .map_or_else(|| "Organiser".to_owned(), |g| g.role.describe());
            parts.push((actor, part));
        }
        let mut ids: Vec<AccountId> = parts.iter().map(|(a, _)| *a).collect();
        ids.sort_unstable_by_key(|a| a.0);
        ids.dedup();
        let accounts = tx.accounts().get_many(&ids).await?;
        let mut out: Vec<MeetingCandidate> = Vec::new();
        for (account, part) in parts {
            if out.iter().any(|c| c.account == account) {
                continue;
            }
            if let Some(a) = accounts.iter().find(|a| a.id == account) {
                out.push(MeetingCandidate {
                    account,
                    email: a.email.to_string(),
                    part,
                });
            }
        }
        out.sort_by(|a, b| a.email.cmp(&b.email));
        Ok(out)
    }

    /// Sends one case alert ([`queue_case_alert`]: at once or in the person's daily digest, as
    /// they prefer; the LA reference only, never the child's details) to each of `to` but
    /// `except`.
    async fn notify(
        &self,
        tx: &mut dyn UnitOfWork,
        case: &Case,
        to: &[AccountId],
        except: Option<AccountId>,
        update: &CaseUpdate,
        now: OffsetDateTime,
    ) -> Result<(), CaseServiceError> {
        for account in to.iter().filter(|a| Some(**a) != except) {
            if let Some(account) = tx.accounts().get(*account).await? {
                queue_case_alert(
                    tx,
                    &self.secrets,
                    &account,
                    case.la_reference.as_str(),
                    update.clone(),
                    now,
                )
                .await?;
            }
        }
        Ok(())
    }

    /// Arranges a review meeting of case `id` (still at `version`) on `today`, by an LA officer
    /// or a linked setting's SENDCo: records [`super::EventKind::ReviewMeetingScheduled`] and the
    /// meeting, and queues an invitation e-mail ([`REPLY_ACTION`], by the meeting's day) to each
    /// invitee but the organiser. Every invitee must be one of
    /// [`CaseService::meeting_candidates`]. Less than 2 weeks' notice is allowed
    /// ([`super::meeting::short_notice`]: the page warns first).
    ///
    /// # Errors
    /// [`CaseServiceError::NotFound`], [`CaseServiceError::NotAllowed`],
    /// [`CaseServiceError::Invalid`] (the place, nobody or someone not on the case invited, the
    /// date: see [`Case::schedule_meeting`]), a [`crate::ports::StoreError::Conflict`] when the
    /// case changed since `version`; faults.
    #[allow(clippy::too_many_arguments)] // the case, the meeting and its instant
    pub async fn schedule_meeting(
        &self,
        actor: AccountId,
        id: CaseId,
        version: i64,
        invitees: &[AccountId],
        meeting: (Date, time::Time, &str),
        now: OffsetDateTime,
        today: Date,
        origin: Option<IpAddr>,
    ) -> Result<MeetingNumber, CaseServiceError> {
        let mut tx = self.store.begin().await?;
        let (mut stored, organiser) = self.organising(&mut *tx, actor, id, now).await?;
        if stored.version != version {
            return Err(CaseServiceError::Store(
                crate::ports::StoreError::Conflict {
                    reason: "the case changed since the form was shown".into(),
                },
            ));
        }
        let candidates = Self::candidates(&mut *tx, &stored, actor, now).await?;
        let mut chosen = Vec::new();
        for account in invitees {
            let candidate =
                candidates
                    .iter()
                    .find(|c| c.account == *account)
                    .ok_or(CaseError::OutOfOrder(
                        "Select people from the list: each must be on the case",
                    ))?;
            chosen.push((candidate.account, candidate.part.clone()));
        }
        let (on, starts_at, place) = meeting;
        let number = stored.case.schedule_meeting(
            NewMeeting {
                on,
                starts_at,
                place: place.to_owned(),
                invitees: chosen,
            },
            today,
            now,
            organiser,
        )?;
        let Some(m) = stored.case.meeting(number) else {
            return Err(CaseServiceError::NotFound);
        };
        let to: Vec<AccountId> = m.invitees.iter().map(|i| i.account).collect();
        let what = format!(
            "Review meeting arranged for {} at {}: {} invited",
            long_date(m.on),
            clock_time(m.starts_at),
            plural(to.len(), "person", "people")
        );
        let update = CaseUpdate::ActionRequested {
            action: REPLY_ACTION.to_owned(),
            by: on,
        };
        self.notify(&mut *tx, &stored.case, &to, Some(actor), &update, now)
            .await?;
        self.save(
            tx,
            actor,
            &stored.case,
            stored.version,
            what,
            Visibility::PARTICIPANTS,
            now,
            origin,
        )
        .await?;
        Ok(number)
    }

    /// Meeting `number` of case `id` as `viewer` may see it; the view is audited
    /// (`case-viewed`).
    ///
    /// # Errors
    /// [`CaseServiceError::NotFound`] (see [`self`]), faults.
    pub async fn view_meeting(
        &self,
        viewer: AccountId,
        id: CaseId,
        number: MeetingNumber,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<MeetingView, CaseServiceError> {
        let mut tx = self.store.begin().await?;
        let (stored, grants, access) = load(&mut *tx, viewer, id, number, now).await?;
        let Some(mut meeting) = stored.case.meeting(number).cloned() else {
            return Err(CaseServiceError::NotFound);
        };
        if !access.is_participant() {
            meeting.views.retain(|v| v.by == viewer);
        }
        let mut ids: Vec<AccountId> = meeting
            .invitees
            .iter()
            .map(|i| i.account)
            .chain(meeting.views.iter().map(|v| v.by))
            .chain([meeting.organiser.account()])
            .collect();
        ids.sort_unstable_by_key(|a| a.0);
        ids.dedup();
        let emails = tx
            .accounts()
            .get_many(&ids)
            .await?
            .into_iter()
            .map(|a| (a.id, a.email.to_string()))
            .collect();
        let manage = may_manage(&grants, &stored.case, &meeting, viewer, now);
        let decide = authorize(&grants, &Action::ManageCase(id), now);
        let decision = stored.case.meeting_decision(&meeting).cloned();
        tx.audit()
            .append(&audit(
                viewer,
                AuditKind::CaseViewed,
                id,
                &format!("review meeting {}", number.0),
                now,
                origin,
            ))
            .await?;
        tx.commit().await?;
        Ok(MeetingView {
            case: stored.case,
            version: stored.version,
            access,
            meeting,
            emails,
            manage,
            decide,
            decision,
        })
    }

    /// An invitee accepts (`accept`) or declines the invitation to meeting `number`; they may
    /// change their reply until the meeting's day. The LA and the settings see it on the
    /// timeline.
    ///
    /// # Errors
    /// [`CaseServiceError::NotFound`] (see [`self`]), [`CaseServiceError::NotAllowed`] (not
    /// invited), [`CaseServiceError::Invalid`] (the meeting was held, withdrawn or its day
    /// passed), a [`crate::ports::StoreError::Conflict`] when the case changed meanwhile; faults.
    #[allow(clippy::too_many_arguments)] // the meeting, the reply and its instant
    pub async fn reply_to_meeting(
        &self,
        actor: AccountId,
        id: CaseId,
        number: MeetingNumber,
        accept: bool,
        now: OffsetDateTime,
        today: Date,
        origin: Option<IpAddr>,
    ) -> Result<(), CaseServiceError> {
        let mut tx = self.store.begin().await?;
        let (mut stored, _, _) = load(&mut *tx, actor, id, number, now).await?;
        let meeting = stored
            .case
            .meeting(number)
            .ok_or(CaseServiceError::NotFound)?;
        if meeting.invitee(actor).is_none() {
            return Err(CaseServiceError::NotAllowed);
        }
        let on = meeting.on;
        stored
            .case
            .reply_to_meeting(number, actor, accept, now, today)?;
        let email = self.email(&mut *tx, actor).await?;
        let what = format!(
            "{email} {} the invitation to the review meeting on {}",
            if accept { "accepted" } else { "declined" },
            long_date(on)
        );
        self.save(
            tx,
            actor,
            &stored.case,
            stored.version,
            what,
            ORGANISERS,
            now,
            origin,
        )
        .await
    }

    /// An invitee gives their views before meeting `number` (text). Everyone taking part in the
    /// case sees them; a contributor their own.
    ///
    /// # Errors
    /// As [`CaseService::reply_to_meeting`], with [`CaseError::Missing`] /
    /// [`CaseError::TooLong`] for the text.
    #[allow(clippy::too_many_arguments)] // the meeting, the views and their instant
    pub async fn give_meeting_views(
        &self,
        actor: AccountId,
        id: CaseId,
        number: MeetingNumber,
        text: &str,
        now: OffsetDateTime,
        today: Date,
        origin: Option<IpAddr>,
    ) -> Result<(), CaseServiceError> {
        let mut tx = self.store.begin().await?;
        let (mut stored, _, access) = load(&mut *tx, actor, id, number, now).await?;
        let meeting = stored
            .case
            .meeting(number)
            .ok_or(CaseServiceError::NotFound)?;
        if meeting.invitee(actor).is_none() {
            return Err(CaseServiceError::NotAllowed);
        }
        let on = meeting.on;
        stored
            .case
            .give_meeting_views(number, actor, text, now, today)?;
        let email = self.email(&mut *tx, actor).await?;
        let what = format!(
            "{email} gave their views for the review meeting on {}",
            long_date(on)
        );
        let visible_to = Visibility::participants_and(access.contributor);
        self.save(
            tx,
            actor,
            &stored.case,
            stored.version,
            what,
            visible_to,
            now,
            origin,
        )
        .await
    }

    /// The organiser or an LA officer records the day the advice and information were
    /// circulated to the invitees of meeting `number` (reg 20(4)); each invitee but the actor
    /// gets an e-mail ([`READ_ADVICE_ACTION`], by the meeting's day).
    ///
    /// # Errors
    /// [`CaseServiceError::NotFound`], [`CaseServiceError::NotAllowed`] (neither the organiser
    /// nor an LA officer), [`CaseServiceError::Invalid`] (see
    /// [`Case::record_advice_circulated`]), a conflict when the case changed since `version`;
    /// faults.
    #[allow(clippy::too_many_arguments)] // the meeting, the date and its instant
    pub async fn record_advice_circulated(
        &self,
        actor: AccountId,
        id: CaseId,
        version: i64,
        number: MeetingNumber,
        on: Date,
        now: OffsetDateTime,
        today: Date,
        origin: Option<IpAddr>,
    ) -> Result<(), CaseServiceError> {
        let mut tx = self.store.begin().await?;
        let mut stored = self
            .managing(&mut *tx, actor, id, version, number, now)
            .await?;
        stored.case.record_advice_circulated(number, on, today)?;
        let Some(m) = stored.case.meeting(number) else {
            return Err(CaseServiceError::NotFound);
        };
        let to: Vec<AccountId> = m.invitees.iter().map(|i| i.account).collect();
        let update = CaseUpdate::ActionRequested {
            action: READ_ADVICE_ACTION.to_owned(),
            by: m.on,
        };
        let what = format!(
            "Advice and information for the review meeting on {} circulated on {}",
            long_date(m.on),
            long_date(on)
        );
        self.notify(&mut *tx, &stored.case, &to, Some(actor), &update, now)
            .await?;
        self.save(
            tx,
            actor,
            &stored.case,
            stored.version,
            what,
            Visibility::PARTICIPANTS,
            now,
            origin,
        )
        .await
    }

    /// The organiser or an LA officer records meeting `number` as held on `on`
    /// ([`super::EventKind::ReviewMeetingHeld`]): the report and the decision count from it.
    ///
    /// # Errors
    /// As [`CaseService::record_advice_circulated`], with [`Case::record_meeting_held`]'s.
    #[allow(clippy::too_many_arguments)] // the meeting, the date and its instant
    pub async fn record_meeting_held(
        &self,
        actor: AccountId,
        id: CaseId,
        version: i64,
        number: MeetingNumber,
        on: Date,
        now: OffsetDateTime,
        today: Date,
        origin: Option<IpAddr>,
    ) -> Result<(), CaseServiceError> {
        let mut tx = self.store.begin().await?;
        let mut stored = self
            .managing(&mut *tx, actor, id, version, number, now)
            .await?;
        stored
            .case
            .record_meeting_held(number, on, today, now, actor)?;
        let what = format!("Review meeting held on {}", long_date(on));
        self.save(
            tx,
            actor,
            &stored.case,
            stored.version,
            what,
            Visibility::PARTICIPANTS,
            now,
            origin,
        )
        .await
    }

    /// The organiser or an LA officer records the report of meeting `number` (text), sent on
    /// `sent_on`; each invitee but the actor gets an e-mail that a document was added
    /// ([`REPORT_DOCUMENT`]). It meets the tracker's *Send the review report*.
    ///
    /// # Errors
    /// As [`CaseService::record_advice_circulated`], with [`Case::record_meeting_report`]'s.
    #[allow(clippy::too_many_arguments)] // the meeting, the report and its instant
    pub async fn record_meeting_report(
        &self,
        actor: AccountId,
        id: CaseId,
        version: i64,
        number: MeetingNumber,
        (sent_on, text): (Date, &str),
        now: OffsetDateTime,
        today: Date,
        origin: Option<IpAddr>,
    ) -> Result<(), CaseServiceError> {
        let mut tx = self.store.begin().await?;
        let mut stored = self
            .managing(&mut *tx, actor, id, version, number, now)
            .await?;
        stored
            .case
            .record_meeting_report(number, sent_on, text, today, now, actor)?;
        let Some(m) = stored.case.meeting(number) else {
            return Err(CaseServiceError::NotFound);
        };
        let to: Vec<AccountId> = m.invitees.iter().map(|i| i.account).collect();
        let what = format!(
            "Report of the review meeting on {} sent on {}",
            long_date(m.on),
            long_date(sent_on)
        );
        let update = CaseUpdate::DocumentAdded {
            kind: REPORT_DOCUMENT.to_owned(),
        };
        self.notify(&mut *tx, &stored.case, &to, Some(actor), &update, now)
            .await?;
        self.save(
            tx,
            actor,
            &stored.case,
            stored.version,
            what,
            Visibility::PARTICIPANTS,
            now,
            origin,
        )
        .await
    }

    /// Queues the timed alerts of case `id`'s meetings due on `today`
    /// ([`ReviewMeeting::due_alerts`]) and records them sent, in one unit of work: a reminder
    /// ([`REPLY_ACTION`]) to each invitee who has not replied, and [`SEND_REPORT_ACTION`] to the
    /// case officer (the organiser when there is none) when a report is overdue. For the
    /// hub's scheduled-alert job; returns how many e-mails were queued (0 changes nothing).
    ///
    /// # Errors
    /// [`CaseServiceError::NotFound`] (no such case), a conflict when the case changed meanwhile
    /// (try again), faults.
    pub async fn send_meeting_alerts(
        &self,
        id: CaseId,
        now: OffsetDateTime,
        today: Date,
    ) -> Result<usize, CaseServiceError> {
        let mut tx = self.store.begin().await?;
        let mut stored = tx
            .cases()
            .get(id)
            .await?
            .ok_or(CaseServiceError::NotFound)?;
        let mut queued = 0;
        let officer = stored.case.officer;
        let mut due: Vec<(MeetingNumber, MeetingAlert, Date, AccountId)> = Vec::new();
        for m in &stored.case.meetings {
            for alert in m.due_alerts(today) {
                let (by, to) = match alert {
                    MeetingAlert::ReplyReminder { invitee } => (m.on, invitee),
                    MeetingAlert::ReportOverdue => (
                        m.report_due().unwrap_or(today),
                        officer.unwrap_or(m.organiser.account()),
                    ),
                };
                due.push((m.number, alert, by, to));
            }
        }
        // Reminders whose meeting day passed unsent are recorded lapsed, so the case is not read
        // for them again.
        let mut lapsed = false;
        for m in &mut stored.case.meetings {
            lapsed |= m.lapse_reminders(today);
        }
        if due.is_empty() && !lapsed {
            return Ok(0);
        }
        for (number, alert, by, to) in due {
            let action = match alert {
                MeetingAlert::ReplyReminder { .. } => REPLY_ACTION,
                MeetingAlert::ReportOverdue => SEND_REPORT_ACTION,
            };
            let update = CaseUpdate::ActionRequested {
                action: action.to_owned(),
                by,
            };
            self.notify(&mut *tx, &stored.case, &[to], None, &update, now)
                .await?;
            // Like every timed alert: on the timeline (LA only: it names no one's words) and in
            // the audit log, in the same unit of work.
            let what = match alert {
                MeetingAlert::ReplyReminder { .. } => {
                    format!(
                        "Review meeting {}: reminder sent to an invitee who has not replied",
                        number.0
                    )
                }
                MeetingAlert::ReportOverdue => {
                    format!(
                        "Review meeting {}: the report is overdue; the case officer was alerted",
                        number.0
                    )
                }
            };
            tx.cases()
                .append_timeline(&super::timeline::TimelineEntry {
                    case: id,
                    at: now,
                    actor: None,
                    what: what.clone(),
                    visible_to: Visibility::LA_ONLY,
                })
                .await?;
            tx.audit()
                .append(&crate::audit::AuditEvent {
                    at: now,
                    actor: None,
                    subject: Some(to),
                    kind: AuditKind::CaseChanged,
                    origin: None,
                    case: Some(id),
                    detail: format!("case {id}: timed alert: {what}"),
                })
                .await?;
            queued += 1;
            if let Some(m) = stored.case.meetings.iter_mut().find(|m| m.number == number) {
                m.record_alert_sent(alert, today);
            }
        }
        tx.cases().update(&stored.case, stored.version).await?;
        tx.commit().await?;
        Ok(queued)
    }

    /// The case for a change to meeting `number` by its organiser or an LA officer, if the case
    /// is still at `version`.
    async fn managing(
        &self,
        tx: &mut dyn UnitOfWork,
        actor: AccountId,
        id: CaseId,
        version: i64,
        number: MeetingNumber,
        now: OffsetDateTime,
    ) -> Result<StoredCase, CaseServiceError> {
        let (stored, grants, _) = load(tx, actor, id, number, now).await?;
        let meeting = stored
            .case
            .meeting(number)
            .ok_or(CaseServiceError::NotFound)?;
        if !may_manage(&grants, &stored.case, meeting, actor, now) {
            return Err(CaseServiceError::NotAllowed);
        }
        if stored.version != version {
            return Err(CaseServiceError::Store(
                crate::ports::StoreError::Conflict {
                    reason: "the case changed since the form was shown".into(),
                },
            ));
        }
        Ok(stored)
    }

    /// The e-mail address of `account` ("" when unknown), for the timeline.
    async fn email(
        &self,
        tx: &mut dyn UnitOfWork,
        account: AccountId,
    ) -> Result<String, CaseServiceError> {
        Ok(tx
            .accounts()
            .get(account)
            .await?
            .map(|a| a.email.to_string())
            .unwrap_or_default())
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}
