//! *Request an EHC needs assessment* online: [`CaseService::send_request`] turns a checked
//! request ([`super::request`]) and the files sent with it into a case in one unit of work.

use std::net::IpAddr;
use time::{Date, OffsetDateTime};

use super::request::{
    AssessmentRequest, MAX_REQUEST_DOCUMENTS, RequestAnswers, RequestFieldError, Requester,
};
use super::service::effective_grants;
use super::timeline::{TimelineEntry, Visibility};
use super::{
    Case, CaseId, CaseRole, CaseService, CaseWriteError, FamilyMember, LaReference, ReceivedBy,
};
use crate::account::AccountId;
use crate::alert::queue_case_alert;
use crate::audit::{AuditEvent, AuditKind};
use crate::document::{DocumentError, NewDocument, SizeLimits, Upload, record};
use crate::invitation::{InviteError, InviteOutcome};
use crate::outbox::CaseUpdate;
use crate::ports::{RandomnessUnavailable, SecretSource, Store, StoreError, UnitOfWork};
use crate::role::{GrantId, Grantor, Role, RoleGrant};

/// How many references [`CaseService::send_request`] tries before giving up (each clash has a
/// chance of about one in a billion with the year's requests so far).
const REFERENCE_ATTEMPTS: usize = 5;

/// The files sent with a request: committed to the document store by the signed-in requester
/// (the adapter has sniffed, limited and scanned each), recorded on the new case as its first
/// documents.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestDocuments {
    /// The files, in the order they were added; at most [`MAX_REQUEST_DOCUMENTS`].
    pub files: Vec<NewDocument>,
    /// The LA's size limits, checked again as each is recorded.
    pub limits: SizeLimits,
}

/// What a sent request led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentRequest {
    /// The new case.
    pub case: CaseId,
    /// Its LA reference, for the confirmation page (`REQ-2026-7F3K9Q`).
    pub reference: LaReference,
    /// The day by which the LA must decide whether to assess (received + 6 weeks, reg 4/5(1)).
    pub decision_due: Option<Date>,
    /// How the requester was given access: `Some` for a requester who was not signed in (the
    /// registration e-mail, or an *access granted* e-mail when the address has an account);
    /// `None` for a signed-in requester (the role at once) or a SENDCo (through their setting).
    pub invitation: Option<InviteOutcome>,
}

/// Why a request was not sent. Nothing is stored in any case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendRequestError {
    /// Answers with problems, every one of them.
    #[error("the request has {} problems", .0.len())]
    Invalid(Vec<RequestFieldError>),
    /// The school route without an active SENDCo grant for that setting, or files sent by a
    /// requester who is not signed in (documents belong to an account).
    #[error("You do not have permission to do this")]
    NotAllowed,
    /// More files than [`MAX_REQUEST_DOCUMENTS`].
    #[error("You can send up to {MAX_REQUEST_DOCUMENTS} files with a request")]
    TooManyDocuments,
    /// A file was refused as it was recorded (its title, size or length); nothing was sent.
    #[error("{0}")]
    Document(DocumentError),
    /// The invitation could not be made.
    #[error(transparent)]
    Invite(#[from] InviteError),
    /// No randomness for an id or the reference.
    #[error(transparent)]
    Randomness(#[from] RandomnessUnavailable),
    /// A storage fault (also when every reference tried was taken).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<crate::alert::AlertError> for SendRequestError {
    fn from(e: crate::alert::AlertError) -> Self {
        match e {
            crate::alert::AlertError::Randomness(e) => Self::Randomness(e),
            crate::alert::AlertError::Store(e) => Self::Store(e),
        }
    }
}

impl From<DocumentError> for SendRequestError {
    fn from(e: DocumentError) -> Self {
        match e {
            DocumentError::Randomness(e) => Self::Randomness(e),
            DocumentError::Store(e) => Self::Store(e),
            other => Self::Document(other),
        }
    }
}

impl<S: Store, R: SecretSource + Clone> CaseService<S, R> {
    /// Sends a request for an EHC needs assessment received online today, by `by` (signed in)
    /// or by a person without an account (`None`). `today` is the LA's calendar date
    /// (Europe/London): the request is received that day, which starts every statutory clock
    /// (CFA 2014 s.36(1); reg 4, 5, 10, 13).
    ///
    /// In one unit of work: the case (stage *request received*, received online, with a new
    /// `REQ-{year}-XXXXXX` reference — another is tried on the rare clash), the request on it,
    /// its timeline entries and audit entries, and the requester's access:
    /// - a parent or carer or the young person who is signed in gets the role on the case at
    ///   once;
    /// - one who is not signed in gets the registration e-mail through
    ///   [`crate::invitation::InvitationService::invite_in`] (no account exists until they
    ///   register from its link). An address that already has an account gets **no** access
    ///   from a request sent signed out — anyone could name any address — only an e-mail
    ///   ([`CaseUpdate::RequestReceived`]) saying the LA gives access once it has checked the
    ///   request, and the LA sees that on the case's timeline;
    /// - a SENDCo must be signed in with an active SENDCo grant for the setting; the case is
    ///   linked to it, so the setting's SENDCos see it.
    ///
    /// The `documents` (only from a signed-in requester) are recorded on the case in the same
    /// unit of work, each as [`crate::document::DocumentService::record_upload`] records an
    /// upload (the row, its receipt on the timeline, the audit entry, the alerts), uploaded by
    /// the requester and seen by the case's participants: the case appears with its documents,
    /// or not at all. The adapter checks first that each file is still in the document store.
    ///
    /// # Errors
    /// [`SendRequestError::Invalid`] with every problem of the answers;
    /// [`SendRequestError::NotAllowed`] for the school route without the grant, or files from
    /// a requester who is not signed in; [`SendRequestError::TooManyDocuments`];
    /// [`SendRequestError::Document`] for a file refused as it is recorded; faults.
    pub async fn send_request(
        &self,
        by: Option<AccountId>,
        answers: &RequestAnswers,
        documents: RequestDocuments,
        now: OffsetDateTime,
        today: Date,
        origin: Option<IpAddr>,
    ) -> Result<SentRequest, SendRequestError> {
        let (request, child) =
            AssessmentRequest::from_answers(answers, today).map_err(SendRequestError::Invalid)?;
        if documents.files.len() > MAX_REQUEST_DOCUMENTS {
            return Err(SendRequestError::TooManyDocuments);
        }
        if by.is_none() && !documents.files.is_empty() {
            return Err(SendRequestError::NotAllowed);
        }
        let mut tx = self.store.begin().await?;
        if let Requester::Sendco { setting } = request.requester {
            let Some(actor) = by else {
                return Err(SendRequestError::NotAllowed);
            };
            let grants = effective_grants(&mut *tx, actor, now).await?;
            if !grants
                .iter()
                .any(|g| g.is_active(now) && g.role == Role::Sendco { setting })
            {
                return Err(SendRequestError::NotAllowed);
            }
        }
        let mut case = Case {
            settings: match request.requester {
                Requester::Sendco { setting } => vec![setting],
                Requester::ParentCarer | Requester::YoungPerson => Vec::new(),
            },
            family: match request.requester {
                Requester::ParentCarer => vec![FamilyMember {
                    name: request.requester_name.clone(),
                    relationship: request.relationship.clone(),
                }],
                Requester::YoungPerson | Requester::Sendco { .. } => Vec::new(),
            },
            request: Some(request.clone()),
            ..Case::received(
                CaseId::generate(&self.secrets)?,
                super::request::new_request_reference(&self.secrets, today)?,
                child,
                today,
                ReceivedBy::Online,
                now,
            )
        };
        let mut attempts = 1;
        loop {
            // A refused insert leaves the unit of work usable (the adapters' contract), so
            // the next reference is tried in the same one.
            match tx.cases().insert(&case).await {
                Ok(()) => break,
                Err(CaseWriteError::ReferenceTaken) if attempts < REFERENCE_ATTEMPTS => {
                    attempts += 1;
                    case.la_reference =
                        super::request::new_request_reference(&self.secrets, today)?;
                }
                Err(CaseWriteError::ReferenceTaken) => {
                    return Err(StoreError::Conflict {
                        reason: format!(
                            "{REFERENCE_ATTEMPTS} request references in a row were taken"
                        ),
                    }
                    .into());
                }
                Err(CaseWriteError::Store(e)) => return Err(e.into()),
            }
        }
        let invitation = self
            .record_request(&mut *tx, by, &case, &request, now, origin)
            .await?;
        for new in documents.files {
            let upload = Upload {
                actor: by.ok_or(SendRequestError::NotAllowed)?,
                new,
                visible_to: Visibility::PARTICIPANTS,
            };
            record(
                &mut *tx,
                &self.secrets,
                &documents.limits,
                &case,
                upload,
                now,
                origin,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(SentRequest {
            case: case.id,
            reference: case.la_reference.clone(),
            decision_due: super::deadline::next_key_date(&case).map(|d| d.due),
            invitation,
        })
    }

    /// The timeline, audit and access of a new request's case, in `tx`.
    async fn record_request(
        &self,
        tx: &mut dyn UnitOfWork,
        by: Option<AccountId>,
        case: &Case,
        request: &AssessmentRequest,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<Option<InviteOutcome>, SendRequestError> {
        let entry = |what: String, visible_to| TimelineEntry {
            case: case.id,
            at: now,
            actor: by,
            what,
            visible_to,
        };
        tx.cases()
            .append_timeline(&entry(
                format!(
                    "Request for an EHC needs assessment received online on {} from {}",
                    super::deadline::long_date(case.received_on),
                    request.requester.describe()
                ),
                Visibility::PARTICIPANTS,
            ))
            .await?;
        tx.audit()
            .append(&AuditEvent {
                at: now,
                actor: by,
                subject: None,
                kind: AuditKind::CaseCreated,
                origin,
                case: Some(case.id),
                detail: format!(
                    "case {}: {}, sent online by {}",
                    case.id,
                    case.la_reference,
                    request.requester.describe()
                ),
            })
            .await?;
        let role = match request.requester {
            Requester::ParentCarer => CaseRole::ParentCarer.on(case.id),
            Requester::YoungPerson => CaseRole::YoungPerson.on(case.id),
            Requester::Sendco { .. } => return Ok(None),
        };
        let (what, invitation) = if let Some(account) = by {
            let grant = RoleGrant {
                id: GrantId::generate(&self.secrets)?,
                account,
                role: role.clone(),
                granted_by: Grantor::System,
                granted_at: now,
                expires_at: None,
                revoked: None,
            };
            tx.grants().insert(&grant).await?;
            tx.audit()
                .append(&AuditEvent {
                    at: now,
                    actor: by,
                    subject: Some(account),
                    kind: AuditKind::RoleGranted,
                    origin,
                    case: Some(case.id),
                    detail: format!("{} on case {}, as its requester", role.describe(), case.id),
                })
                .await?;
            (
                format!(
                    "The requester was given access as {}",
                    role.describe().to_lowercase()
                ),
                None,
            )
        } else if let Some(account) = tx.accounts().find_by_email(&request.email).await? {
            // Anyone can send a request naming any address: an existing account gets no access
            // from it until the LA has checked the request, only an e-mail saying so.
            queue_case_alert(
                tx,
                &self.secrets,
                &account,
                case.la_reference.as_str(),
                CaseUpdate::RequestReceived,
                now,
            )
            .await?;
            tx.cases()
                .append_timeline(&entry(
                    format!(
                        "{} already has an account on the hub: give it access on this page once the request is checked",
                        request.email.as_entered()
                    ),
                    Visibility::LA_ONLY,
                ))
                .await?;
            return Ok(None);
        } else {
            let outcome = self
                .invitations
                .invite_in(
                    tx,
                    Grantor::System,
                    &request.email,
                    vec![role.clone()],
                    now,
                    origin,
                )
                .await?;
            (
                format!(
                    "{} invited to follow the case as {}",
                    request.email.as_entered(),
                    role.describe().to_lowercase()
                ),
                Some(outcome),
            )
        };
        tx.cases()
            .append_timeline(&entry(what, Visibility::LA_AND_FAMILY))
            .await?;
        Ok(invitation)
    }
}
