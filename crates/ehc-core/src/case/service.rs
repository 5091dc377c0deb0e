//! The case use cases: create a case, see it, change it, invite people to it, and the work
//! trays. Each checks [`crate::role::authorize`] on the viewer's grants (with
//! [`crate::role::with_advocacy`]) inside the same unit of work that reads and writes, and each
//! change writes its timeline entry and audit entry in that unit of work.
//!
//! A case the person may not see is [`CaseServiceError::NotFound`], exactly as a case that does
//! not exist: the web layer answers 404 for both, never 403, so nobody learns that a case exists.

use std::net::IpAddr;
use time::{Date, OffsetDateTime};

use super::deadline::{Deadline, deadlines};
use super::timeline::{TimelineEntry, Visibility};
use super::tray::{DueFilter, PER_PAGE, TrayPage, TrayQuery, TrayScope, TraySort};
use super::{
    Case, CaseError, CaseId, CaseWriteError, Child, DeadlineException, EventKind, ExceptionKind,
    FamilyMember, LaReference, ReceivedBy, Stage, name_part,
};
use crate::account::{AccountId, EmailAddress};
use crate::alert::{AlertError, email_case_update, queue_case_alert};
use crate::audit::{AuditEvent, AuditKind};
use crate::invitation::{InvitationService, InviteError, InviteOutcome};
use crate::outbox::CaseUpdate;
use crate::ports::{RandomnessUnavailable, SecretSource, Store, StoreError, UnitOfWork};
use crate::role::{
    Action, CaseAccess, GrantId, Grantor, Role, RoleGrant, Urn, authorize, case_access,
    with_advocacy,
};
use crate::settings::SecuritySettings;

/// Most timeline entries a case page shows.
pub const TIMELINE_LIMIT: u32 = 200;

/// Why a case use case did nothing. Nothing is stored in any case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseServiceError {
    /// No such case, or the person may not see it (the same answer for both: HTTP 404).
    #[error("Page not found")]
    NotFound,
    /// The person may see the case (or none) but not do this (HTTP 403).
    #[error("You do not have permission to do this")]
    NotAllowed,
    /// The change breaks a rule of the case's dates or texts.
    #[error(transparent)]
    Invalid(#[from] CaseError),
    /// Another case has this LA reference.
    #[error("A case with this LA reference already exists")]
    ReferenceTaken,
    /// The chosen case officer does not hold the LA-officer role.
    #[error("Select an LA officer")]
    NotAnOfficer,
    /// The invitation could not be made.
    #[error(transparent)]
    Invite(#[from] InviteError),
    /// No randomness for an id.
    #[error(transparent)]
    Randomness(#[from] RandomnessUnavailable),
    /// A storage fault; [`StoreError::Conflict`] when someone else changed the case first.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A step of the consultation on a draft plan was refused (see [`super::plan`]).
    #[error(transparent)]
    Plan(#[from] super::plan::PlanError),
}

impl From<AlertError> for CaseServiceError {
    fn from(e: AlertError) -> Self {
        match e {
            AlertError::Randomness(e) => Self::Randomness(e),
            AlertError::Store(e) => Self::Store(e),
        }
    }
}

impl From<CaseWriteError> for CaseServiceError {
    fn from(e: CaseWriteError) -> Self {
        match e {
            CaseWriteError::ReferenceTaken => Self::ReferenceTaken,
            CaseWriteError::Store(s) => Self::Store(s),
        }
    }
}

/// What the LA's back office enters to create a case. Texts are checked by
/// [`CaseService::create`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCase {
    /// The LA's reference (see [`LaReference`]).
    pub la_reference: String,
    /// The child's first name.
    pub given_name: String,
    /// The child's last name.
    pub family_name: String,
    /// Date of birth.
    pub date_of_birth: Date,
    /// The day the request was received (every statutory clock starts then).
    pub received_on: Date,
    /// How it was received.
    pub received_by: ReceivedBy,
    /// Settings to link now.
    pub settings: Vec<Urn>,
}

/// Someone with access to a case, for the *People involved* list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    /// The grant (to revoke it).
    pub grant: GrantId,
    /// The person.
    pub account: AccountId,
    /// Their e-mail address (the hub's name for a person).
    pub email: String,
    /// Their role on the case, in words.
    pub role: String,
    /// When the access ends by itself, if it does.
    pub expires_at: Option<OffsetDateTime>,
    /// Whether removing the grant ends access to this case only (a parent/carer, young person
    /// or contributor grant); a SENDCo's or an advocate's grant reaches further.
    pub case_only: bool,
}

/// A case as one viewer may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseView {
    /// The case.
    pub case: Case,
    /// Its version, for the next change.
    pub version: i64,
    /// How far the viewer sees it.
    pub access: CaseAccess,
    /// The statutory dates: all of them for participants; a contributor only the dates of
    /// their own advice requests.
    pub deadlines: Vec<Deadline>,
    /// The timeline entries the viewer may see, newest first.
    pub timeline: Vec<TimelineEntry>,
    /// The people involved (participants only see this; empty for a contributor).
    pub people: Vec<Participant>,
    /// The case officer's e-mail address, if one is assigned.
    pub officer_email: Option<String>,
}

/// The filters of a work tray, as the person chose them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrayFilters {
    /// Only this stage.
    pub stage: Option<Stage>,
    /// Only overdue or due-soon cases.
    pub due: Option<DueFilter>,
    /// Only cases linked to this setting.
    pub setting: Option<Urn>,
    /// Only cases of this officer.
    pub officer: Option<AccountId>,
    /// Only the cases of the viewer's settings (*Setting cases*), even for an LA officer.
    pub settings_only: bool,
    /// Order.
    pub sort: TraySort,
    /// Page, from 1.
    pub page: u32,
}

/// An entry to withdraw as recorded by mistake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Withdrawal {
    /// The last event recorded.
    LastEvent,
    /// The exception at this position of [`Case::exceptions`].
    Exception(usize),
}

/// A role on one case that the LA can invite a person to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseRole {
    /// Parent or carer.
    ParentCarer,
    /// The young person.
    YoungPerson,
    /// Contributor of advice.
    Contributor,
}

impl CaseRole {
    /// Every role, in form order.
    pub const ALL: [Self; 3] = [Self::ParentCarer, Self::YoungPerson, Self::Contributor];

    /// Stable name for forms.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ParentCarer => "parent-carer",
            Self::YoungPerson => "young-person",
            Self::Contributor => "contributor",
        }
    }

    /// The inverse of [`CaseRole::as_str`].
    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == input)
    }

    /// The [`Role`] on `case`.
    pub fn on(self, case: CaseId) -> Role {
        match self {
            Self::ParentCarer => Role::ParentCarer { case },
            Self::YoungPerson => Role::YoungPerson { case },
            Self::Contributor => Role::Contributor { case },
        }
    }
}

/// The case use cases over a store.
#[derive(Debug, Clone)]
pub struct CaseService<S, R> {
    pub(super) store: S,
    pub(super) secrets: R,
    pub(super) invitations: InvitationService<(), R>,
}

/// The grants that count for `account`: their own and, through advocacy, those of the people
/// they act for.
pub(crate) async fn effective_grants(
    tx: &mut dyn UnitOfWork,
    account: AccountId,
    now: OffsetDateTime,
) -> Result<Vec<RoleGrant>, StoreError> {
    let own = tx.grants().for_account(account).await?;
    let mut principals = Vec::new();
    for g in own.iter().filter(|g| g.is_active(now)) {
        if let Role::Advocate { for_person } = g.role {
            principals.push((for_person, tx.grants().for_account(for_person).await?));
        }
    }
    Ok(with_advocacy(&own, &principals, now))
}

pub(crate) fn audit(
    actor: AccountId,
    kind: AuditKind,
    case: CaseId,
    detail: &str,
    now: OffsetDateTime,
    origin: Option<IpAddr>,
) -> AuditEvent {
    AuditEvent {
        at: now,
        actor: Some(actor),
        subject: None,
        kind,
        origin,
        case: Some(case),
        detail: if detail.is_empty() {
            format!("case {case}")
        } else {
            format!("case {case}: {detail}")
        },
    }
}

/// The grants of [`crate::role::RoleGrantRepository::for_case`] that give access to `case` at
/// `now`: active ones, and an advocate's only while the family member they act for still has
/// active access to the case.
pub(super) fn involved(
    grants: Vec<RoleGrant>,
    case: CaseId,
    now: OffsetDateTime,
) -> Vec<RoleGrant> {
    let family: Vec<AccountId> = grants
        .iter()
        .filter(|g| g.is_active(now))
        .filter(|g| {
            matches!(g.role, Role::ParentCarer { case: c } | Role::YoungPerson { case: c } if c == case)
        })
        .map(|g| g.account)
        .collect();
    grants
        .into_iter()
        .filter(|g| g.is_active(now))
        .filter(|g| match g.role {
            Role::Advocate { for_person } => family.contains(&for_person),
            _ => true,
        })
        .collect()
}

/// Queues a case alert (the LA reference only, [`queue_case_alert`]) to each person with
/// access to the case — LA officers have none of their own — for whom `update_for` their role
/// gives an update: one alert per person, by their first role that gives one, and none to
/// `except` (the person who acted).
///
/// # Errors
/// Storage faults and missing randomness.
pub(crate) async fn alert_each(
    tx: &mut dyn UnitOfWork,
    secrets: &dyn SecretSource,
    case: &Case,
    except: Option<AccountId>,
    now: OffsetDateTime,
    update_for: impl Fn(&Role) -> Option<CaseUpdate>,
) -> Result<(), CaseServiceError> {
    let mut sent: Vec<AccountId> = except.into_iter().collect();
    let grants = tx.grants().for_case(case.id, &case.settings).await?;
    for g in involved(grants, case.id, now) {
        if sent.contains(&g.account) {
            continue;
        }
        let Some(update) = update_for(&g.role) else {
            continue;
        };
        sent.push(g.account);
        email_update(tx, secrets, case, g.account, update, now).await?;
    }
    Ok(())
}

/// Queues one case alert to `account` (nothing when it has no account any more).
///
/// # Errors
/// Storage faults and missing randomness.
pub(crate) async fn email_update(
    tx: &mut dyn UnitOfWork,
    secrets: &dyn SecretSource,
    case: &Case,
    account: AccountId,
    update: CaseUpdate,
    now: OffsetDateTime,
) -> Result<(), CaseServiceError> {
    if let Some(account) = tx.accounts().get(account).await? {
        let reference = case.la_reference.to_string();
        queue_case_alert(tx, secrets, &account, &reference, update, now).await?;
    }
    Ok(())
}

/// Queues one case alert to the person at `email`: as they prefer
/// ([`queue_case_alert`]) when the address has an account, otherwise straight away (a
/// contributor invited by e-mail who has not registered yet has no preference to honour).
///
/// # Errors
/// Storage faults and missing randomness.
pub(crate) async fn email_update_to(
    tx: &mut dyn UnitOfWork,
    secrets: &dyn SecretSource,
    case: &Case,
    email: &EmailAddress,
    update: CaseUpdate,
    now: OffsetDateTime,
) -> Result<(), CaseServiceError> {
    let reference = case.la_reference.to_string();
    match tx.accounts().find_by_email(email).await? {
        Some(account) => queue_case_alert(tx, secrets, &account, &reference, update, now).await?,
        None => email_case_update(tx, secrets, email, &reference, update, now).await?,
    }
    Ok(())
}

/// The statutory dates a viewer with `access` may see: all of them for a participant; for a
/// contributor, only those of their own advice requests.
fn own_deadlines(case: &Case, access: &CaseAccess) -> Vec<Deadline> {
    let all = deadlines(case);
    if access.is_participant() {
        return all;
    }
    let mine: Vec<_> = case
        .events
        .iter()
        .filter(|e| {
            matches!(e.kind, EventKind::AdviceRequested { contributor, .. }
                if contributor.is_some() && contributor == access.contributor)
        })
        .map(|e| e.number)
        .collect();
    all.into_iter()
        .filter(|d| d.about.is_some_and(|n| mine.contains(&n)))
        .collect()
}

impl<S: Store, R: SecretSource + Clone> CaseService<S, R> {
    /// A service over these ports; `settings` gives the invitation rules.
    pub fn new(store: S, secrets: R, settings: SecuritySettings) -> Self {
        Self {
            store,
            invitations: InvitationService::new((), secrets.clone(), settings),
            secrets,
        }
    }

    /// Loads a case for a change by `actor`, who must be allowed to manage it; with `version`,
    /// a case that has changed since is a conflict before anything else is checked (a stale or
    /// repeated form says so rather than failing on the new state).
    pub(super) async fn for_change(
        tx: &mut dyn UnitOfWork,
        actor: AccountId,
        id: CaseId,
        version: Option<i64>,
        now: OffsetDateTime,
    ) -> Result<(Case, i64), CaseServiceError> {
        let grants = effective_grants(tx, actor, now).await?;
        let stored = tx
            .cases()
            .get(id)
            .await?
            .ok_or(CaseServiceError::NotFound)?;
        let access = case_access(&grants, id, &stored.case.settings, now);
        if !access.any() {
            return Err(CaseServiceError::NotFound);
        }
        if !authorize(&grants, &Action::ManageCase(id), now) {
            return Err(CaseServiceError::NotAllowed);
        }
        if version.is_some_and(|v| v != stored.version) {
            return Err(CaseServiceError::Store(StoreError::Conflict {
                reason: "the case changed since the form was shown".into(),
            }));
        }
        Ok((stored.case, stored.version))
    }

    /// Stores a changed case with its timeline entry and audit entry, then commits.
    #[allow(clippy::too_many_arguments)] // one write: the case, what to say, and to whom
    pub(super) async fn save(
        &self,
        mut tx: Box<dyn UnitOfWork + '_>,
        actor: AccountId,
        case: &Case,
        version: i64,
        what: String,
        visible_to: Visibility,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<(), CaseServiceError> {
        tx.cases().update(case, version).await?;
        tx.cases()
            .append_timeline(&TimelineEntry {
                case: case.id,
                at: now,
                actor: Some(actor),
                what: what.clone(),
                visible_to,
            })
            .await?;
        tx.audit()
            .append(&audit(
                actor,
                AuditKind::CaseChanged,
                case.id,
                &what,
                now,
                origin,
            ))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Creates a case from a request received on `new.received_on` (by post, phone, e-mail or
    /// online), by an LA officer. `today` is the LA's calendar date.
    ///
    /// # Errors
    /// [`CaseServiceError::NotAllowed`] (not an LA officer), [`CaseServiceError::Invalid`]
    /// (a text or date), [`CaseServiceError::ReferenceTaken`], faults.
    pub async fn create(
        &self,
        actor: AccountId,
        new: NewCase,
        now: OffsetDateTime,
        today: Date,
        origin: Option<IpAddr>,
    ) -> Result<CaseId, CaseServiceError> {
        let child = Child {
            given_name: name_part(&new.given_name, "The first name", "the child's first name")?,
            family_name: name_part(&new.family_name, "The last name", "the child's last name")?,
            date_of_birth: new.date_of_birth,
        };
        let la_reference = LaReference::parse(&new.la_reference)?;
        Case::check_new(&child, new.received_on, today)?;
        let mut tx = self.store.begin().await?;
        let grants = effective_grants(&mut *tx, actor, now).await?;
        if !authorize(&grants, &Action::CreateCase, now) {
            return Err(CaseServiceError::NotAllowed);
        }
        let mut settings = new.settings;
        settings.sort_unstable();
        settings.dedup();
        let case = Case {
            settings,
            ..Case::received(
                CaseId::generate(&self.secrets)?,
                la_reference,
                child,
                new.received_on,
                new.received_by,
                now,
            )
        };
        tx.cases().insert(&case).await?;
        let what = format!(
            "Request for an EHC needs assessment received {} on {}",
            case.received_by.describe().to_lowercase(),
            super::deadline::long_date(case.received_on)
        );
        tx.cases()
            .append_timeline(&TimelineEntry {
                case: case.id,
                at: now,
                actor: Some(actor),
                what,
                visible_to: Visibility::PARTICIPANTS,
            })
            .await?;
        tx.audit()
            .append(&audit(
                actor,
                AuditKind::CaseCreated,
                case.id,
                case.la_reference.as_str(),
                now,
                origin,
            ))
            .await?;
        tx.commit().await?;
        Ok(case.id)
    }

    /// The case as `viewer` may see it; the view is written to the audit log.
    ///
    /// # Errors
    /// [`CaseServiceError::NotFound`] when the case does not exist or the viewer may not see it;
    /// faults.
    pub async fn view(
        &self,
        viewer: AccountId,
        id: CaseId,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<CaseView, CaseServiceError> {
        self.view_as(
            viewer,
            id,
            now,
            origin,
            AuditKind::CaseViewed,
            TIMELINE_LIMIT,
        )
        .await
    }

    /// The case as `viewer` may see it, with at most `timeline_limit` timeline entries; the
    /// reading is written to the audit log as `kind`.
    pub(super) async fn view_as(
        &self,
        viewer: AccountId,
        id: CaseId,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
        kind: AuditKind,
        timeline_limit: u32,
    ) -> Result<CaseView, CaseServiceError> {
        let mut tx = self.store.begin().await?;
        let grants = effective_grants(&mut *tx, viewer, now).await?;
        let stored = tx
            .cases()
            .get(id)
            .await?
            .ok_or(CaseServiceError::NotFound)?;
        let case = stored.case;
        let access = case_access(&grants, id, &case.settings, now);
        if !access.any() {
            return Err(CaseServiceError::NotFound);
        }
        // A contributor sees few entries of a busy case: read further back for them.
        let read = if access.is_participant() {
            timeline_limit
        } else {
            timeline_limit.saturating_mul(10)
        };
        let timeline = tx
            .cases()
            .timeline(id, read)
            .await?
            .into_iter()
            .filter(|e| e.visible_to.shows_to(&access))
            .take(timeline_limit as usize)
            .collect();
        let deadlines = own_deadlines(&case, &access);
        let mut people = Vec::new();
        if access.is_participant() {
            let grants = involved(tx.grants().for_case(id, &case.settings).await?, id, now);
            let ids: Vec<AccountId> = grants.iter().map(|g| g.account).collect();
            let accounts = tx.accounts().get_many(&ids).await?;
            for g in grants {
                let email = accounts
                    .iter()
                    .find(|a| a.id == g.account)
                    .map(|a| a.email.to_string())
                    .unwrap_or_default();
                people.push(Participant {
                    grant: g.id,
                    account: g.account,
                    email,
                    role: g.role.describe(),
                    expires_at: g.expires_at,
                    case_only: matches!(
                        g.role,
                        Role::ParentCarer { .. }
                            | Role::YoungPerson { .. }
                            | Role::Contributor { .. }
                    ),
                });
            }
        }
        let officer_email = match case.officer {
            Some(o) => tx.accounts().get(o).await?.map(|a| a.email.to_string()),
            None => None,
        };
        tx.audit()
            .append(&audit(viewer, kind, id, "", now, origin))
            .await?;
        tx.commit().await?;
        Ok(CaseView {
            case,
            version: stored.version,
            access,
            deadlines,
            timeline,
            people,
            officer_email,
        })
    }

    /// Records what happened on the case on day `on`, by an LA officer, if the case is still at
    /// `version`. The people on the case get an e-mail alert (with the LA reference only).
    ///
    /// # Errors
    /// [`CaseServiceError::NotFound`], [`CaseServiceError::NotAllowed`],
    /// [`CaseServiceError::Invalid`] (an impossible date or order), [`StoreError::Conflict`]
    /// when the case changed since `version`; faults.
    #[allow(clippy::too_many_arguments)] // the case, the change and its instant
    pub async fn record_event(
        &self,
        actor: AccountId,
        id: CaseId,
        version: i64,
        kind: EventKind,
        on: Date,
        now: OffsetDateTime,
        today: Date,
        origin: Option<IpAddr>,
    ) -> Result<(), CaseServiceError> {
        let mut tx = self.store.begin().await?;
        let (mut case, _) = Self::for_change(&mut *tx, actor, id, Some(version), now).await?;
        let contributor = match &kind {
            EventKind::AdviceRequested { contributor, .. } => *contributor,
            _ => None,
        };
        let what = format!("{} on {}", kind.describe(), super::deadline::long_date(on));
        let stage_before = case.stage();
        case.record_event(kind, on, today, now, Some(actor))?;
        if case.stage() != stage_before {
            self.alert(&mut *tx, &case, case.stage().describe(), now)
                .await?;
        }
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
        .await
    }

    /// Queues a case-update e-mail to each family member and SENDCo with an account on the
    /// case: the LA reference and the stage reached, never the child's details.
    pub(super) async fn alert(
        &self,
        tx: &mut dyn UnitOfWork,
        case: &Case,
        stage: &str,
        now: OffsetDateTime,
    ) -> Result<(), CaseServiceError> {
        alert_each(tx, &self.secrets, case, None, now, |role| {
            (!matches!(role, Role::Contributor { .. })).then(|| CaseUpdate::StageReached {
                stage: stage.to_owned(),
            })
        })
        .await
    }

    /// Records an exception to the case's time limits (reg 5(4), 8(2), 10(4)).
    ///
    /// # Errors
    /// As [`CaseService::record_event`], with [`CaseError`]s of
    /// [`Case::record_exception`].
    #[allow(clippy::too_many_arguments)] // the case, the exception and its instant
    pub async fn record_exception(
        &self,
        actor: AccountId,
        id: CaseId,
        version: i64,
        kind: ExceptionKind,
        (from, to): (Date, Date),
        reason: &str,
        now: OffsetDateTime,
        today: Date,
        origin: Option<IpAddr>,
    ) -> Result<(), CaseServiceError> {
        let mut tx = self.store.begin().await?;
        let (mut case, _) = Self::for_change(&mut *tx, actor, id, Some(version), now).await?;
        case.record_exception(
            DeadlineException {
                kind,
                from,
                to,
                reason: reason.to_owned(),
                recorded_at: now,
                recorded_by: Some(actor),
            },
            today,
        )?;
        let what = format!(
            "Exception recorded: {}, {} to {}",
            kind.describe(),
            super::deadline::long_date(from),
            super::deadline::long_date(to)
        );
        self.save(
            tx,
            actor,
            &case,
            version,
            what,
            Visibility::PARTICIPANTS,
            now,
            origin,
        )
        .await
    }

    /// Withdraws an entry recorded by mistake — the last event, or one exception — with the
    /// reason; it stays on the case as withdrawn, on the timeline and in the audit log.
    ///
    /// # Errors
    /// As [`CaseService::record_event`], with the [`CaseError`]s of
    /// [`Case::withdraw_last_event`] and [`Case::withdraw_exception`].
    #[allow(clippy::too_many_arguments)] // the case, the entry, the reason and the instant
    pub async fn withdraw(
        &self,
        actor: AccountId,
        id: CaseId,
        version: i64,
        entry: Withdrawal,
        reason: &str,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<(), CaseServiceError> {
        let mut tx = self.store.begin().await?;
        let (mut case, _) = Self::for_change(&mut *tx, actor, id, Some(version), now).await?;
        let (what, contributor) = match entry {
            Withdrawal::LastEvent => {
                let event = case.withdraw_last_event(reason, now, Some(actor))?;
                let contributor = match &event.kind {
                    EventKind::AdviceRequested { contributor, .. } => *contributor,
                    _ => None,
                };
                (
                    format!(
                        "Withdrawn as recorded by mistake: {} on {}",
                        event.kind.describe(),
                        super::deadline::long_date(event.on)
                    ),
                    contributor,
                )
            }
            Withdrawal::Exception(index) => {
                let exception = case.withdraw_exception(index, reason, now, Some(actor))?;
                (
                    format!(
                        "Exception withdrawn as recorded by mistake: {}, {} to {}",
                        exception.kind.describe(),
                        super::deadline::long_date(exception.from),
                        super::deadline::long_date(exception.to)
                    ),
                    None,
                )
            }
        };
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
        .await
    }

    /// Links (`link == true`) or unlinks an education setting. Linking one already linked, or
    /// unlinking one not linked, changes nothing and succeeds.
    ///
    /// # Errors
    /// As [`CaseService::record_event`].
    #[allow(clippy::too_many_arguments)] // the case, the change and its instant
    pub async fn set_setting(
        &self,
        actor: AccountId,
        id: CaseId,
        version: i64,
        setting: Urn,
        link: bool,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<(), CaseServiceError> {
        let mut tx = self.store.begin().await?;
        let (mut case, _) = Self::for_change(&mut *tx, actor, id, Some(version), now).await?;
        if case.settings.contains(&setting) == link {
            return Ok(());
        }
        if link {
            case.settings.push(setting);
            case.settings.sort_unstable();
        } else {
            case.settings.retain(|s| *s != setting);
        }
        let what = if link {
            format!("Education setting {setting} linked to the case")
        } else {
            format!("Education setting {setting} no longer linked to the case")
        };
        self.save(
            tx,
            actor,
            &case,
            version,
            what,
            Visibility::PARTICIPANTS,
            now,
            origin,
        )
        .await
    }

    /// Records a family member's name and relationship.
    ///
    /// # Errors
    /// As [`CaseService::record_event`].
    #[allow(clippy::too_many_arguments)] // the case, the member and the instant
    pub async fn add_family_member(
        &self,
        actor: AccountId,
        id: CaseId,
        version: i64,
        name: &str,
        relationship: &str,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<(), CaseServiceError> {
        let member = FamilyMember {
            name: name_part(name, "The name", "the family member's name")?,
            relationship: name_part(
                relationship,
                "The relationship",
                "the relationship to the child",
            )?,
        };
        let mut tx = self.store.begin().await?;
        let (mut case, _) = Self::for_change(&mut *tx, actor, id, Some(version), now).await?;
        let what = format!("Family member added: {}", member.relationship);
        case.family.push(member);
        self.save(
            tx,
            actor,
            &case,
            version,
            what,
            Visibility::LA_AND_FAMILY,
            now,
            origin,
        )
        .await
    }

    /// Assigns the case officer, who must hold an active LA-officer grant.
    ///
    /// # Errors
    /// [`CaseServiceError::NotAnOfficer`], and as [`CaseService::record_event`].
    pub async fn assign_officer(
        &self,
        actor: AccountId,
        id: CaseId,
        version: i64,
        officer: AccountId,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<(), CaseServiceError> {
        let mut tx = self.store.begin().await?;
        let (mut case, _) = Self::for_change(&mut *tx, actor, id, Some(version), now).await?;
        let is_officer = tx
            .grants()
            .for_account(officer)
            .await?
            .iter()
            .any(|g| g.is_active(now) && g.role == Role::LaOfficer);
        if !is_officer {
            return Err(CaseServiceError::NotAnOfficer);
        }
        case.officer = Some(officer);
        let email = tx
            .accounts()
            .get(officer)
            .await?
            .map(|a| a.email.to_string())
            .unwrap_or_default();
        let what = format!("Case officer assigned: {email}");
        self.save(
            tx,
            actor,
            &case,
            version,
            what,
            Visibility::PARTICIPANTS,
            now,
            origin,
        )
        .await
    }

    /// Invites `email` to the case with `role`: a new person gets the registration e-mail, a
    /// person with an account gets the role and an *access granted* alert. The family sees who
    /// was given access on the timeline.
    ///
    /// # Errors
    /// [`CaseServiceError::Invite`] (a bad address), and as [`CaseService::record_event`].
    #[allow(clippy::too_many_arguments)] // the case, the person and the instant
    pub async fn invite(
        &self,
        actor: AccountId,
        id: CaseId,
        email: &str,
        role: CaseRole,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<InviteOutcome, CaseServiceError> {
        let email = EmailAddress::parse(email).map_err(InviteError::from)?;
        let mut tx = self.store.begin().await?;
        Self::for_change(&mut *tx, actor, id, None, now).await?;
        let role = role.on(id);
        let outcome = self
            .invitations
            .invite_in(
                &mut *tx,
                Grantor::Account(actor),
                &email,
                vec![role.clone()],
                now,
                origin,
            )
            .await?;
        let what = format!("{email} given access as {}", role.describe().to_lowercase());
        tx.cases()
            .append_timeline(&TimelineEntry {
                case: id,
                at: now,
                actor: Some(actor),
                what: what.clone(),
                visible_to: Visibility::LA_AND_FAMILY,
            })
            .await?;
        tx.audit()
            .append(&audit(
                actor,
                AuditKind::CaseChanged,
                id,
                &what,
                now,
                origin,
            ))
            .await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// The LA officers who can be case officers: (account, e-mail address), by address.
    ///
    /// # Errors
    /// [`CaseServiceError::NotAllowed`] unless `actor` may create cases; faults.
    pub async fn la_officers(
        &self,
        actor: AccountId,
        now: OffsetDateTime,
    ) -> Result<Vec<(AccountId, String)>, CaseServiceError> {
        let mut tx = self.store.begin().await?;
        let grants = effective_grants(&mut *tx, actor, now).await?;
        if !authorize(&grants, &Action::CreateCase, now) {
            return Err(CaseServiceError::NotAllowed);
        }
        let mut ids: Vec<AccountId> = tx
            .grants()
            .la_officers()
            .await?
            .into_iter()
            .filter(|g| g.is_active(now))
            .map(|g| g.account)
            .collect();
        ids.sort_unstable_by_key(|a| a.0);
        ids.dedup();
        let mut officers: Vec<(AccountId, String)> = tx
            .accounts()
            .get_many(&ids)
            .await?
            .into_iter()
            .map(|a| (a.id, a.email.to_string()))
            .collect();
        officers.sort_by(|a, b| a.1.cmp(&b.1));
        Ok(officers)
    }

    /// One page of `viewer`'s work tray: every case for an LA officer (unless
    /// `filters.settings_only`), the cases linked to their settings for a SENDCo, their own cases
    /// for a family member, a contributor or an advocate. `today` is the LA's calendar date.
    ///
    /// # Errors
    /// Faults only: a person with no grant has an empty tray.
    pub async fn tray(
        &self,
        viewer: AccountId,
        filters: &TrayFilters,
        now: OffsetDateTime,
        today: Date,
    ) -> Result<(TrayPage, TrayScope), CaseServiceError> {
        let mut tx = self.store.begin().await?;
        let grants = effective_grants(&mut *tx, viewer, now).await?;
        let mut scope = TrayScope::default();
        for g in grants.iter().filter(|g| g.is_active(now)) {
            match &g.role {
                Role::LaOfficer => scope.all = !filters.settings_only,
                Role::Sendco { setting } => scope.settings.push(*setting),
                Role::Contributor { case }
                | Role::ParentCarer { case }
                | Role::YoungPerson { case } => {
                    if !filters.settings_only {
                        scope.cases.push(*case);
                    }
                }
                Role::Advocate { .. } => {}
            }
        }
        let family: Vec<CaseId> = grants
            .iter()
            .filter(|g| g.is_active(now))
            .filter_map(|g| match g.role {
                Role::ParentCarer { case } | Role::YoungPerson { case } => Some(case),
                _ => None,
            })
            .collect();
        if !scope.all {
            scope.partial = scope
                .cases
                .iter()
                .copied()
                .filter(|c| !family.contains(c))
                .collect();
            scope.partial.sort_unstable();
            scope.partial.dedup();
        }
        scope.cases.sort_unstable();
        scope.cases.dedup();
        scope.settings.sort_unstable();
        scope.settings.dedup();
        if scope.is_empty() {
            return Ok((TrayPage::default(), scope));
        }
        let query = TrayQuery {
            scope: scope.clone(),
            stage: filters.stage,
            due: filters.due,
            setting: filters.setting,
            officer: filters.officer,
            sort: filters.sort,
            page: filters.page.max(1),
            per_page: PER_PAGE,
            today,
        };
        let mut page = tx.cases().tray(&query).await?;
        for row in page
            .rows
            .iter_mut()
            .filter(|r| scope.partial.contains(&r.id))
        {
            let Some(stored) = tx.cases().get(row.id).await? else {
                continue;
            };
            let access = case_access(&grants, row.id, &stored.case.settings, now);
            if let Some(own) = own_deadlines(&stored.case, &access)
                .into_iter()
                .filter(Deadline::is_open)
                .min_by_key(|d| d.due)
            {
                row.next_due = Some(own.due);
                row.next_step = Some(own.kind.describe().to_owned());
            }
        }
        tx.commit().await?;
        Ok((page, scope))
    }
}
