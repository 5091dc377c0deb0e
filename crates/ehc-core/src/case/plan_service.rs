//! The EHC plan use cases (see [`super::plan`]): the LA publishes a draft, the final plan,
//! proposed amendments and the amended plan (with the case's version, like every LA form);
//! the case's participants read the versions; the family (parent or carer, young person, their
//! advocate) opens a draft, comments per section, asks for a school or other institution to be
//! named and asks for a meeting, during the consultation only; a scheduler sends the
//! consultation's timed alerts.
//!
//! Each change is checked, written with its timeline entry and audit entry, and its e-mail
//! alerts (the LA reference only, never the child's details) are queued, in one unit of work.
//! A case the person may not see, and the plan of a case seen only as a contributor, is
//! [`CaseServiceError::NotFound`].

use std::net::IpAddr;
use time::{Date, OffsetDateTime};

use super::deadline::long_date;
use super::plan::{FamilyResponse, PlanAlert, PlanKind, PlanVersion, Section};
use super::service::{alert_each, audit, effective_grants, email_update};
use super::timeline::{TimelineEntry, Visibility};
use super::{Case, CaseError, CaseId, CaseService, CaseServiceError};
use crate::account::AccountId;
use crate::audit::{AuditEvent, AuditKind};
use crate::document::DocumentId;
use crate::outbox::CaseUpdate;
use crate::ports::{SecretSource, Store, UnitOfWork};
use crate::role::{CaseAccess, Role, case_access};

/// A case's plan as one participant may see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanView {
    /// The case, with every plan version ([`Case::plans`]).
    pub case: Case,
    /// Its version, for the LA's next change.
    pub version: i64,
    /// How far the viewer sees it: the family's comments and requests are for the LA and the
    /// family ([`CaseAccess::la`], [`CaseAccess::family`]); a setting sees the versions only.
    pub access: CaseAccess,
}

/// What the family is asked to do while `version` is open for comments.
fn comment_action(version: &PlanVersion) -> Option<CaseUpdate> {
    let c = version.consultation.as_ref()?;
    Some(CaseUpdate::ActionRequested {
        action: match version.kind {
            PlanKind::AmendmentProposal => "Comment on the proposed amendments to the EHC plan",
            _ => "Comment on the draft EHC plan",
        }
        .to_owned(),
        by: c.last_day,
    })
}

fn is_family(role: &Role) -> bool {
    matches!(
        role,
        Role::ParentCarer { .. } | Role::YoungPerson { .. } | Role::Advocate { .. }
    )
}

impl<S: Store, R: SecretSource + Clone> CaseService<S, R> {
    /// Reads the case for a participant (LA, linked setting, family): the case, its version
    /// and the viewer's access.
    async fn for_participant(
        tx: &mut dyn UnitOfWork,
        viewer: AccountId,
        id: CaseId,
        now: OffsetDateTime,
    ) -> Result<(Case, i64, CaseAccess), CaseServiceError> {
        let grants = effective_grants(tx, viewer, now).await?;
        let stored = tx
            .cases()
            .get(id)
            .await?
            .ok_or(CaseServiceError::NotFound)?;
        let access = case_access(&grants, id, &stored.case.settings, now);
        if !access.is_participant() {
            return Err(CaseServiceError::NotFound);
        }
        Ok((stored.case, stored.version, access))
    }

    /// The case's plan versions as `viewer` may see them; the view is audited. With `opened`
    /// (the version the viewer opens), a family member's first opening of the current
    /// consultation is recorded on it and on the timeline (the LA and the family see it).
    ///
    /// # Errors
    /// [`CaseServiceError::NotFound`] (no such case or version, or the viewer is not a
    /// participant: a contributor sees no plan); faults.
    pub async fn plan(
        &self,
        viewer: AccountId,
        id: CaseId,
        opened: Option<u32>,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<PlanView, CaseServiceError> {
        let mut tx = self.store.begin().await?;
        let (mut case, mut version, access) =
            Self::for_participant(&mut *tx, viewer, id, now).await?;
        if opened.is_some_and(|n| case.plan_version(n).is_none()) {
            return Err(CaseServiceError::NotFound);
        }
        let seen = opened.map_or_else(|| "plan".to_owned(), |n| format!("plan version {n}"));
        tx.audit()
            .append(&audit(
                viewer,
                AuditKind::CaseViewed,
                id,
                &seen,
                now,
                origin,
            ))
            .await?;
        if let Some(number) = opened
            && access.family
            && !access.la
            && case.record_plan_opened(number, viewer, now)
        {
            tx.cases().update(&case, version).await?;
            version += 1; // a store adds one to the version on each update
            let what = format!("The family opened the plan on the hub (version {number})");
            tx.cases()
                .append_timeline(&TimelineEntry {
                    case: id,
                    at: now,
                    actor: Some(viewer),
                    what: what.clone(),
                    visible_to: Visibility::LA_AND_FAMILY,
                })
                .await?;
            tx.audit()
                .append(&audit(
                    viewer,
                    AuditKind::CaseChanged,
                    id,
                    &what,
                    now,
                    origin,
                ))
                .await?;
        }
        tx.commit().await?;
        Ok(PlanView {
            case,
            version,
            access,
        })
    }

    /// Publishes a new plan version, by an LA officer, if the case is still at `version`: a
    /// draft or proposed amendments (served today; the family has until
    /// [`super::plan::consultation_last_day`] to comment and is asked to by e-mail), or the
    /// final or amended plan (issued today): the sections' text, and optionally the plan as a
    /// document of the case ([`Case::plan_document_allowed`]). The version's event goes on the
    /// case, so the tracker follows; when the stage changes, the settings (and for a final
    /// plan the family) are told. Returns the version's number.
    ///
    /// # Errors
    /// [`CaseServiceError::NotFound`], [`CaseServiceError::NotAllowed`] (not an LA officer),
    /// [`CaseServiceError::Invalid`] (texts, a document that cannot be the plan's, or the
    /// case's date rules: e.g. a final plan before the family's 15 days have ended, reg
    /// 13(1)), [`crate::ports::StoreError::Conflict`] when
    /// the case changed since `version`; faults.
    #[allow(clippy::too_many_arguments)] // the case, the version and its instant
    pub async fn publish_plan(
        &self,
        actor: AccountId,
        id: CaseId,
        version: i64,
        kind: PlanKind,
        (sections, document): (Vec<(Section, String)>, Option<DocumentId>),
        now: OffsetDateTime,
        today: Date,
        origin: Option<IpAddr>,
    ) -> Result<u32, CaseServiceError> {
        let mut tx = self.store.begin().await?;
        let (mut case, _) = Self::for_change(&mut *tx, actor, id, Some(version), now).await?;
        let stage_before = case.stage();
        let document = match document {
            Some(d) => Some(
                tx.documents()
                    .get(d)
                    .await?
                    .ok_or(CaseError::OutOfOrder(super::plan::NOT_A_PLAN_DOCUMENT))?,
            ),
            None => None,
        };
        if let Some(document) = &document {
            case.plan_document_allowed(document)?;
        }
        let number = case.publish_plan(kind, sections, today, now, Some(actor))?;
        if let Some(document) = &document {
            case.set_plan_document(number, document)?;
        }
        let published = case
            .plan_version(number)
            .cloned()
            .ok_or(CaseServiceError::NotFound)?;
        let ask = comment_action(&published);
        let stage = (case.stage() != stage_before).then(|| CaseUpdate::StageReached {
            stage: case.stage().describe().to_owned(),
        });
        alert_each(&mut *tx, &self.secrets, &case, None, now, |role| {
            if is_family(role) {
                ask.clone().or_else(|| stage.clone())
            } else if matches!(role, Role::Sendco { .. }) {
                stage.clone()
            } else {
                None
            }
        })
        .await?;
        let what = match &published.consultation {
            Some(c) => format!(
                "{} published (version {number}): comments by {}",
                kind.describe(),
                long_date(c.last_day)
            ),
            None => format!("{} issued (version {number})", kind.describe()),
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
        .await?;
        Ok(number)
    }

    /// Records a family member's response to version `number` — a comment on a section, a
    /// school or other institution to be named, a meeting asked for — during its consultation
    /// (`today` from the day served to the last day inclusive). For the parent or carer, the
    /// young person and their advocate only; no version from the form is needed (the case is
    /// read and written in one unit of work). The LA and the family see it on the timeline.
    ///
    /// # Errors
    /// [`CaseServiceError::NotFound`] (not a participant), [`CaseServiceError::NotAllowed`]
    /// (not the family), [`CaseServiceError::Plan`] (not open, or after the last day: a
    /// [`super::plan::PlanError::Closed`] saying which day it was; a missing or too long
    /// text); faults.
    #[allow(clippy::too_many_arguments)] // the case, the response and its instant
    pub async fn respond_to_plan(
        &self,
        actor: AccountId,
        id: CaseId,
        number: u32,
        response: FamilyResponse,
        now: OffsetDateTime,
        today: Date,
        origin: Option<IpAddr>,
    ) -> Result<(), CaseServiceError> {
        let mut tx = self.store.begin().await?;
        let (mut case, version, access) = Self::for_participant(&mut *tx, actor, id, now).await?;
        if !access.family {
            return Err(CaseServiceError::NotAllowed);
        }
        let what = match &response {
            FamilyResponse::Comment { section, .. } => format!(
                "Comment on section {} of the plan (version {number})",
                section.letter()
            ),
            FamilyResponse::Placement { .. } => format!(
                "Request for a school or other institution to be named in the plan (version {number})"
            ),
            FamilyResponse::Meeting { .. } => {
                format!("Request for a meeting about the plan (version {number})")
            }
        };
        case.respond_to_plan(number, response, actor, now, today)?;
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

    /// Sends the timed alerts of the case's current consultation that are due on `today`
    /// ([`Case::plan_alerts_due`]) and records each as handled, so it is never sent twice: the
    /// family's reminder (an *action requested* e-mail by the last day) and the case officer's
    /// alert when nobody in the family has opened the draft (nothing is e-mailed when no
    /// officer is assigned; the timeline says so either way). For the hub's scheduler, which
    /// asks [`Case::next_plan_alert_on`] when to call; it is not a job itself. Returns the
    /// alerts sent.
    ///
    /// # Errors
    /// [`CaseServiceError::NotFound`] (no such case); faults (nothing is recorded, so the next
    /// call sends them).
    pub async fn send_plan_alerts(
        &self,
        id: CaseId,
        now: OffsetDateTime,
        today: Date,
    ) -> Result<Vec<PlanAlert>, CaseServiceError> {
        let mut tx = self.store.begin().await?;
        let stored = tx
            .cases()
            .get(id)
            .await?
            .ok_or(CaseServiceError::NotFound)?;
        let mut case = stored.case.clone();
        let Some((number, sent)) = case.record_plan_alerts(today) else {
            return Ok(Vec::new());
        };
        if case == stored.case {
            return Ok(Vec::new());
        }
        let version = case
            .plan_version(number)
            .cloned()
            .ok_or(CaseServiceError::NotFound)?;
        let mut entries = Vec::new();
        for alert in &sent {
            match alert {
                PlanAlert::CommentReminder => {
                    let ask = comment_action(&version);
                    alert_each(&mut *tx, &self.secrets, &case, None, now, |role| {
                        is_family(role).then(|| ask.clone()).flatten()
                    })
                    .await?;
                    entries.push((
                        format!(
                            "Reminder sent to the family: comments on the plan (version {number}) close on {}",
                            version
                                .consultation
                                .as_ref()
                                .map(|c| long_date(c.last_day))
                                .unwrap_or_default()
                        ),
                        Visibility::LA_AND_FAMILY,
                    ));
                }
                PlanAlert::NotOpened => {
                    if let (Some(officer), Some(c)) = (case.officer, &version.consultation) {
                        let update = CaseUpdate::ActionRequested {
                            action: "Contact the family: they have not opened the draft EHC plan"
                                .to_owned(),
                            by: c.last_day,
                        };
                        email_update(&mut *tx, &self.secrets, &case, officer, update, now).await?;
                    }
                    entries.push((
                        format!(
                            "Nobody in the family has opened the plan (version {number}) in {} days: {}",
                            super::plan::NOT_OPENED_AFTER_DAYS,
                            if case.officer.is_some() {
                                "the case officer was alerted"
                            } else {
                                "no case officer is assigned to alert"
                            }
                        ),
                        Visibility::LA_ONLY,
                    ));
                }
            }
        }
        // Handled alerts that lapsed change the case too: store them even when none was sent.
        tx.cases().update(&case, stored.version).await?;
        for (what, visible_to) in entries {
            tx.cases()
                .append_timeline(&TimelineEntry {
                    case: id,
                    at: now,
                    actor: None,
                    what: what.clone(),
                    visible_to,
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
                    detail: format!("case {id}: {what}"),
                })
                .await?;
        }
        tx.commit().await?;
        Ok(sent)
    }
}
