//! EHC cases: the child or young person, the request for an EHC needs assessment and the day it
//! was received, the linked education settings, the case officer, the family, and the dated
//! events of the statutory process with the exceptions that affect its time limits
//! (docs/DOMAIN.md).
//!
//! The model ([`Case`], [`CaseEvent`], [`DeadlineException`]) checks every change against the
//! case's dates, so an impossible history (a final plan before the request, a review before the
//! plan) is refused with a message and never stored. The statutory dates are computed from it by
//! [`deadline`]; [`plan`] keeps every version of the EHC plan and the family's consultation
//! on a draft; [`timeline`] holds what people see of the case's history; [`tray`] describes
//! the work-tray queries; [`advice`] the requests for advice and the contributors' answers;
//! [`alerts`] the timed alerts (reminders, overdue alerts) of every feature;
//! [`CaseRepository`] is the storage port and [`CaseService`] the use cases, each checked with
//! [`crate::role::authorize`].

pub mod advice;
mod advice_service;
pub mod alerts;
pub mod attachment;
pub mod deadline;
mod download_service;
pub mod guidance;
pub mod meeting;
mod meeting_service;
pub mod plan;
mod plan_service;
mod repository;
pub mod request;
mod request_service;
mod service;
pub mod timeline;
pub mod tray;
pub mod views;
mod views_service;

pub use advice_service::{ALERT_BATCH, AdviceItem, AdvicePage, TimedAlertReport, advice_for};
pub use attachment::Attachment;
pub use download_service::DOWNLOAD_TIMELINE_LIMIT;
pub use meeting_service::{
    MeetingCandidate, MeetingView, READ_ADVICE_ACTION, REPLY_ACTION, REPORT_DOCUMENT,
    SEND_REPORT_ACTION,
};
pub use plan_service::PlanView;
#[cfg(any(test, feature = "mocks"))]
pub use repository::MockCaseRepository;
pub use repository::{CaseRepository, CaseWriteError, StoredCase};
pub use request_service::{RequestDocuments, SendRequestError, SentRequest};
pub use service::{
    CaseRole, CaseService, CaseServiceError, CaseView, NewCase, Participant, TIMELINE_LIMIT,
    TrayFilters, Withdrawal,
};
pub(crate) use service::{alert_each, audit, effective_grants};
pub use views_service::ViewChange;

use serde::{Deserialize, Serialize};
use std::fmt;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

use crate::account::{AccountId, random_uuid};
use crate::ports::{RandomnessUnavailable, SecretSource};
use crate::role::Urn;

/// A case's identifier (a random UUID).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct CaseId(pub Uuid);

impl CaseId {
    /// A new random id.
    ///
    /// # Errors
    /// [`RandomnessUnavailable`] from the source.
    pub fn generate(secrets: &dyn SecretSource) -> Result<Self, RandomnessUnavailable> {
        random_uuid(secrets).map(Self)
    }

    /// Parses the hyphenated form used in page addresses; `None` for anything else.
    pub fn parse(input: &str) -> Option<Self> {
        Uuid::try_parse(input).ok().map(Self)
    }
}

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// Why a change to a case was refused. Each message is fit to show next to the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseError {
    /// A required text was empty.
    #[error("Enter {0}")]
    Missing(&'static str),
    /// A text was longer than allowed.
    #[error("{what} must be {max} characters or fewer")]
    TooLong {
        /// The field, as in "The child's first name".
        what: &'static str,
        /// The limit, in characters.
        max: usize,
    },
    /// The LA reference had characters other than letters, digits, `/`, `-` and `.`.
    #[error(
        "The LA reference can only include letters, numbers, slashes (/), hyphens (-) and full stops (.)"
    )]
    BadReference,
    /// The date is after today.
    #[error("{0} must be today or in the past")]
    InFuture(&'static str),
    /// The date is earlier than a date it must follow.
    #[error("{what} must be on or after {after}")]
    TooEarly {
        /// The date's name.
        what: &'static str,
        /// The earlier event, with its date in words, e.g. "the date the request was received (5 January 2026)".
        after: String,
    },
    /// The event needs an earlier step that the case does not have.
    #[error("{0}")]
    OutOfOrder(&'static str),
    /// The date of birth makes the child 26 or older on the day the request was received (EHC
    /// plans are for 0 to 25 year olds, CFA 2014 s.83(2)).
    #[error("The child or young person must be under 26 on the date the request was received")]
    TooOld,
    /// The advice request referred to does not exist or was already answered.
    #[error("Select an advice request that has not been answered")]
    NoSuchAdviceRequest,
    /// An exception's period is shorter than the regulation's minimum.
    #[error("{0}")]
    ExceptionTooShort(&'static str),
    /// Something the person may not see, named in a request (answered like one that does not
    /// exist: 404 *Page not found*).
    #[error("Page not found")]
    NotShown,
}

/// The LA's own reference for the case: 1 to 32 characters of letters, digits, `/`, `-`, `.`
/// (surrounding white space ignored). Unique within the hub.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LaReference(String);

impl LaReference {
    /// Longest reference, in characters.
    pub const MAX: usize = 32;

    /// Parses user input.
    ///
    /// # Errors
    /// [`CaseError::Missing`], [`CaseError::TooLong`] or [`CaseError::BadReference`].
    pub fn parse(input: &str) -> Result<Self, CaseError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(CaseError::Missing("the LA reference"));
        }
        if s.chars().count() > Self::MAX {
            return Err(CaseError::TooLong {
                what: "The LA reference",
                max: Self::MAX,
            });
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '.'))
        {
            return Err(CaseError::BadReference);
        }
        Ok(Self(s.to_ascii_uppercase()))
    }

    /// The reference, trimmed and in capitals (so `ehc-1` and `EHC-1` are one reference).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LaReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl TryFrom<String> for LaReference {
    type Error = CaseError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}
impl From<LaReference> for String {
    fn from(value: LaReference) -> Self {
        value.0
    }
}

/// Longest name accepted, in characters.
pub const MAX_NAME: usize = 100;

/// Text as stored: trimmed, without control characters (keeping new lines and tabs when
/// `multi_line`) and without invisible formatting characters (Unicode category Cf, such as
/// U+200B or the bidirectional overrides), which could hide or reorder what people read in a
/// page, an e-mail or a log.
pub fn clean_text(input: &str, multi_line: bool) -> String {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    input
        .chars()
        .filter(|c| {
            (!c.is_control() || (multi_line && matches!(c, '\n' | '\t')))
                && c.general_category() != GeneralCategory::Format
        })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// A person's name part (or a short label such as who advice is from): [`clean_text`] on one
/// line, 1 to [`MAX_NAME`] characters with at least one letter or digit.
///
/// # Errors
/// [`CaseError::Missing`] (no letter or digit) or [`CaseError::TooLong`].
pub fn name_part(
    input: &str,
    what: &'static str,
    field: &'static str,
) -> Result<String, CaseError> {
    let s = clean_text(input, false);
    if !s.chars().any(char::is_alphanumeric) {
        return Err(CaseError::Missing(field));
    }
    if s.chars().count() > MAX_NAME {
        return Err(CaseError::TooLong {
            what,
            max: MAX_NAME,
        });
    }
    Ok(s)
}

/// The child or young person the case is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Child {
    /// First name.
    pub given_name: String,
    /// Last name.
    pub family_name: String,
    /// Date of birth (a calendar date).
    pub date_of_birth: Date,
}

impl Child {
    /// "First Last".
    pub fn full_name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
    }

    /// Age in whole years on `day`.
    pub fn age_on(&self, day: Date) -> i32 {
        let years = day.year() - self.date_of_birth.year();
        if (day.month() as u8, day.day())
            < (self.date_of_birth.month() as u8, self.date_of_birth.day())
        {
            years - 1
        } else {
            years
        }
    }
}

/// How the request for an EHC needs assessment reached the LA.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReceivedBy {
    /// By post.
    Post,
    /// By telephone.
    Phone,
    /// By e-mail.
    Email,
    /// Through the hub's online request.
    Online,
}

impl ReceivedBy {
    /// Every way, in the order the form lists them.
    pub const ALL: [Self; 4] = [Self::Post, Self::Phone, Self::Email, Self::Online];

    /// Stable name used in forms and storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Post => "post",
            Self::Phone => "phone",
            Self::Email => "email",
            Self::Online => "online",
        }
    }

    /// Words for pages.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Post => "By post",
            Self::Phone => "By phone",
            Self::Email => "By email",
            Self::Online => "Online",
        }
    }

    /// The inverse of [`ReceivedBy::as_str`].
    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|w| w.as_str() == input)
    }
}

/// A member of the child's family, as the LA recorded them (whether or not they have an account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FamilyMember {
    /// Full name.
    pub name: String,
    /// Relationship to the child, in the LA's words ("Mother", "Foster carer", "Grandparent").
    pub relationship: String,
}

/// The number of an event within its case: 1 for the first recorded, then 2, 3, …
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EventNumber(pub u32);

/// What a review's decision was (reg 20(10), 21(9)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReviewOutcome {
    /// Keep the plan as it is.
    Maintain,
    /// Amend the plan (proposals follow, reg 22).
    Amend,
    /// Cease to maintain the plan.
    Cease,
}

impl ReviewOutcome {
    /// Every outcome.
    pub const ALL: [Self; 3] = [Self::Maintain, Self::Amend, Self::Cease];

    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Maintain => "maintain",
            Self::Amend => "amend",
            Self::Cease => "cease",
        }
    }

    /// Words for pages.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Maintain => "maintain the plan",
            Self::Amend => "amend the plan",
            Self::Cease => "cease to maintain the plan",
        }
    }

    /// The inverse of [`ReviewOutcome::as_str`].
    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == input)
    }
}

/// Which phase transfer a plan must be reviewed and amended for (reg 18).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum PhaseTransfer {
    /// Into or between school phases (early years to primary, primary to secondary, …): by
    /// 15 February of the year of transfer (reg 18(1)(a)).
    School {
        /// The calendar year in which the child moves (e.g. 2027 for September 2027).
        year: i32,
    },
    /// From secondary school to a post-16 institution: by 31 March of the year of transfer
    /// (reg 18(1)(b)).
    SecondaryToPost16 {
        /// The calendar year in which the young person moves.
        year: i32,
    },
    /// Between post-16 institutions: at least 5 months before the move (reg 18(1)(c)).
    Post16ToPost16 {
        /// The day the young person moves.
        moves_on: Date,
    },
}

/// What happened on a case. Each kind is recorded with the day it happened ([`CaseEvent::on`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum EventKind {
    /// The LA decided whether to carry out an EHC needs assessment (reg 4, 5).
    DecisionToAssess {
        /// `true`: the LA will assess; `false`: it will not (the case closes; appeal rights).
        assess: bool,
    },
    /// The LA asked someone for advice and information (reg 6(1), 8).
    AdviceRequested {
        /// Who was asked, in the LA's words ("Educational psychologist, Anytown EP service").
        from: String,
        /// Their account, when they are a contributor on the hub.
        contributor: Option<AccountId>,
    },
    /// The advice asked for by an earlier request arrived.
    AdviceReceived {
        /// The [`EventKind::AdviceRequested`] event it answers.
        request: EventNumber,
    },
    /// The draft EHC plan was served on the parent or young person (reg 13(1)).
    DraftPlanServed,
    /// The final EHC plan was issued (reg 13(2), 14).
    FinalPlanIssued,
    /// The LA decided not to issue a plan after assessing (reg 10(1)).
    DecisionNotToIssue,
    /// A review meeting was arranged (reg 20, 21).
    ReviewMeetingScheduled {
        /// The day of the meeting.
        meeting_on: Date,
    },
    /// A review meeting took place (its day is the event's day).
    ReviewMeetingHeld,
    /// The LA decided, after a review, to maintain, amend or cease the plan.
    ReviewDecision {
        /// The decision.
        outcome: ReviewOutcome,
    },
    /// Proposals to amend the plan were sent to the family (reg 22(2)).
    AmendmentProposed,
    /// The amended final plan was issued (reg 22(4)).
    AmendedPlanIssued,
    /// A phase transfer is coming (reg 18).
    PhaseTransferDue {
        /// Which transfer and when.
        transfer: PhaseTransfer,
    },
    /// The child moved in from another LA with an EHC plan; the event's day is the day this
    /// LA knew of the move (reg 15).
    TransferIn {
        /// The LA the child came from.
        from_la: String,
    },
    /// A mediation certificate was issued about an appealable decision (reg 33, 34).
    MediationCertificate,
}

impl EventKind {
    /// What happened, in words for the tracker and the timeline (no child's details).
    pub fn describe(&self) -> String {
        match self {
            Self::DecisionToAssess { assess: true } => {
                "Decided to carry out an EHC needs assessment".into()
            }
            Self::DecisionToAssess { assess: false } => {
                "Decided not to carry out an EHC needs assessment".into()
            }
            Self::AdviceRequested { from, .. } => format!("Advice requested from {from}"),
            Self::AdviceReceived { request } => format!("Advice received (request {})", request.0),
            Self::DraftPlanServed => "Draft EHC plan sent to the family".into(),
            Self::FinalPlanIssued => "Final EHC plan issued".into(),
            Self::DecisionNotToIssue => "Decided not to issue an EHC plan".into(),
            Self::ReviewMeetingScheduled { meeting_on } => {
                format!(
                    "Review meeting arranged for {}",
                    crate::case::deadline::long_date(*meeting_on)
                )
            }
            Self::ReviewMeetingHeld => "Review meeting held".into(),
            Self::ReviewDecision { outcome } => format!("Review decision: {}", outcome.describe()),
            Self::AmendmentProposed => "Proposed amendments sent to the family".into(),
            Self::AmendedPlanIssued => "Amended EHC plan issued".into(),
            Self::PhaseTransferDue { .. } => "Phase transfer recorded".into(),
            Self::TransferIn { from_la } => format!("Transferred in from {from_la}"),
            Self::MediationCertificate => "Mediation certificate issued".into(),
        }
    }
}

/// One dated event of a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseEvent {
    /// Its number within the case.
    pub number: EventNumber,
    /// The day it happened (LA's calendar date), which may be before the day it was recorded.
    pub on: Date,
    /// What happened.
    pub kind: EventKind,
    /// When it was recorded, and by whom.
    pub recorded_at: OffsetDateTime,
    /// The LA officer who recorded it.
    pub recorded_by: Option<AccountId>,
}

/// The exceptions to the time limits of reg 5(4), 8(2) and 10(4) (and so 13(3)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExceptionKind {
    /// reg 10(4)(a)/(b): a school or early-years setting closed for at least 4 weeks; the
    /// exception runs from one week before the closure to one week before it reopens. The
    /// recorded dates are the closure's first and last days (it reopens the day after).
    SettingClosure,
    /// reg 10(4)(c): exceptional personal circumstances of the child or the family.
    PersonalCircumstances,
    /// reg 10(4)(d): the child or family absent from the LA's area for at least 4 weeks.
    AbsentFromArea,
}

impl ExceptionKind {
    /// Every kind.
    pub const ALL: [Self; 3] = [
        Self::SettingClosure,
        Self::PersonalCircumstances,
        Self::AbsentFromArea,
    ];

    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SettingClosure => "setting-closure",
            Self::PersonalCircumstances => "personal-circumstances",
            Self::AbsentFromArea => "absent-from-area",
        }
    }

    /// The inverse of [`ExceptionKind::as_str`].
    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == input)
    }

    /// Words for pages, with the regulation.
    pub fn describe(self) -> &'static str {
        match self {
            Self::SettingClosure => {
                "School or setting closed for 4 weeks or more (reg 10(4)(a) and (b))"
            }
            Self::PersonalCircumstances => "Exceptional personal circumstances (reg 10(4)(c))",
            Self::AbsentFromArea => {
                "Child or family away from the area for 4 weeks or more (reg 10(4)(d))"
            }
        }
    }
}

/// Longest reason for an exception, in characters.
pub const MAX_REASON: usize = 2000;

/// An exception the LA recorded against the case's time limits, with its dates and reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeadlineException {
    /// Which exception.
    pub kind: ExceptionKind,
    /// First day of the circumstance (of the closure, for [`ExceptionKind::SettingClosure`]).
    pub from: Date,
    /// Last day of the circumstance.
    pub to: Date,
    /// Why, in the LA's words (no more than [`MAX_REASON`] characters).
    pub reason: String,
    /// When it was recorded, and by whom.
    pub recorded_at: OffsetDateTime,
    /// The LA officer who recorded it.
    pub recorded_by: Option<AccountId>,
}

impl DeadlineException {
    /// The days during which the exception applies, first and last inclusive: the recorded
    /// dates, except for a setting closure, which applies from one week before the closure to
    /// one week before the setting reopens (reg 10(4)(a)/(b)).
    pub fn window(&self) -> (Date, Date) {
        match self.kind {
            ExceptionKind::SettingClosure => (
                self.from.saturating_sub(time::Duration::weeks(1)),
                // the setting reopens the day after its last closed day
                self.to.saturating_sub(time::Duration::days(6)),
            ),
            ExceptionKind::PersonalCircumstances | ExceptionKind::AbsentFromArea => {
                (self.from, self.to)
            }
        }
    }
}

/// Where a case is in the statutory process, derived from its events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// A request was received; the LA has not yet decided whether to assess.
    RequestReceived,
    /// The EHC needs assessment is under way (advice being gathered).
    Assessment,
    /// A draft plan was served; the family is commenting.
    DraftPlan,
    /// A final plan is in place.
    PlanMaintained,
    /// A review meeting is arranged or was held and its decision is awaited.
    Review,
    /// Closed: not assessed, no plan issued, or the plan ceased.
    Closed,
}

impl Stage {
    /// Every stage, in process order.
    pub const ALL: [Self; 6] = [
        Self::RequestReceived,
        Self::Assessment,
        Self::DraftPlan,
        Self::PlanMaintained,
        Self::Review,
        Self::Closed,
    ];

    /// Stable name used in filters and storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RequestReceived => "request-received",
            Self::Assessment => "assessment",
            Self::DraftPlan => "draft-plan",
            Self::PlanMaintained => "plan-maintained",
            Self::Review => "review",
            Self::Closed => "closed",
        }
    }

    /// The inverse of [`Stage::as_str`].
    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == input)
    }

    /// Words for pages.
    pub fn describe(self) -> &'static str {
        match self {
            Self::RequestReceived => "Request received",
            Self::Assessment => "EHC needs assessment",
            Self::DraftPlan => "Draft plan",
            Self::PlanMaintained => "EHC plan in place",
            Self::Review => "Annual review",
            Self::Closed => "Closed",
        }
    }
}

/// An EHC case: everything the LA records about one child or young person's assessment and plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Case {
    /// Identifier.
    pub id: CaseId,
    /// The LA's reference (unique).
    pub la_reference: LaReference,
    /// The child or young person.
    pub child: Child,
    /// The day the request for an EHC needs assessment was received: every statutory clock of
    /// the assessment starts then (CFA s.36(1); reg 4, 5, 10, 13), not on the day it was typed in.
    pub received_on: Date,
    /// How it was received.
    pub received_by: ReceivedBy,
    /// Education settings linked to the case (their SENDCos see it).
    pub settings: Vec<Urn>,
    /// The LA's case officer, once assigned.
    pub officer: Option<AccountId>,
    /// Family members as recorded by the LA.
    pub family: Vec<FamilyMember>,
    /// Dated events, in the order recorded.
    pub events: Vec<CaseEvent>,
    /// Exceptions to the time limits.
    pub exceptions: Vec<DeadlineException>,
    /// Events and exceptions withdrawn as recorded by mistake, with why, by whom and when:
    /// kept so that nothing recorded is ever lost (older stored cases have none).
    #[serde(default)]
    pub withdrawn: Vec<Withdrawn>,
    /// The family's *About Me* and *My Parent / Carer's Views* spaces (older stored cases have
    /// none).
    #[serde(default)]
    pub views: views::FamilyViews,
    /// The request as sent online ([`request::AssessmentRequest`]: who asked, their contact
    /// details, the child's and family's views, SEN support, health, consent); `None` for a
    /// request the LA entered itself (and for cases stored before online requests).
    #[serde(default)]
    pub request: Option<request::AssessmentRequest>,
    /// Every version of the EHC plan, oldest first, never overwritten: drafts, the final plan,
    /// proposed amendments and amended plans, with the family's consultation on each draft
    /// ([`plan`]; older stored cases have none).
    #[serde(default)]
    pub plans: Vec<plan::PlanVersion>,
    /// Review meetings arranged on the hub ([`meeting`]), in the order arranged (older stored
    /// cases have none).
    #[serde(default)]
    pub meetings: Vec<meeting::ReviewMeeting>,
    /// Requests for advice made on the hub, with the contributors' drafts and advice
    /// ([`advice`]; older stored cases have none).
    #[serde(default)]
    pub advice: Vec<advice::AdviceRequest>,
    /// When the case was created on the hub.
    pub created_at: OffsetDateTime,
}

fn too_early(what: &'static str, event: &str, day: Date) -> CaseError {
    CaseError::TooEarly {
        what,
        after: format!("{event} ({})", deadline::long_date(day)),
    }
}

impl Case {
    /// A case as the request arrives: no linked settings, officer, family, events, exceptions,
    /// views, plans or meetings yet (set those fields after, with struct update syntax).
    pub fn received(
        id: CaseId,
        la_reference: LaReference,
        child: Child,
        received_on: Date,
        received_by: ReceivedBy,
        created_at: OffsetDateTime,
    ) -> Self {
        Self {
            id,
            la_reference,
            child,
            received_on,
            received_by,
            settings: Vec::new(),
            officer: None,
            family: Vec::new(),
            events: Vec::new(),
            exceptions: Vec::new(),
            withdrawn: Vec::new(),
            views: views::FamilyViews::default(),
            request: None,
            plans: Vec::new(),
            meetings: Vec::new(),
            advice: Vec::new(),
            created_at,
        }
    }

    /// Checks a new case's dates: the request cannot be received in the future (`today` in the
    /// LA's time zone), nor before the child was born; the child must be under 26 that day.
    ///
    /// # Errors
    /// [`CaseError::InFuture`], [`CaseError::TooEarly`] or [`CaseError::TooOld`].
    pub fn check_new(child: &Child, received_on: Date, today: Date) -> Result<(), CaseError> {
        if child.date_of_birth > today {
            return Err(CaseError::InFuture("The date of birth"));
        }
        if received_on > today {
            return Err(CaseError::InFuture("The date the request was received"));
        }
        if received_on < child.date_of_birth {
            return Err(too_early(
                "The date the request was received",
                "the date of birth",
                child.date_of_birth,
            ));
        }
        if child.age_on(received_on) >= 26 {
            return Err(CaseError::TooOld);
        }
        Ok(())
    }

    /// The first event of a kind matching `pick`, if any.
    pub fn first(&self, pick: impl Fn(&EventKind) -> bool) -> Option<&CaseEvent> {
        self.events.iter().find(|e| pick(&e.kind))
    }

    /// The last event of a kind matching `pick`, if any.
    pub fn last(&self, pick: impl Fn(&EventKind) -> bool) -> Option<&CaseEvent> {
        self.events.iter().rev().find(|e| pick(&e.kind))
    }

    /// The day the final plan was issued, if it was.
    pub fn plan_issued_on(&self) -> Option<Date> {
        self.first(|k| matches!(k, EventKind::FinalPlanIssued))
            .map(|e| e.on)
    }

    /// Where the case is now.
    pub fn stage(&self) -> Stage {
        let mut stage = Stage::RequestReceived;
        for event in &self.events {
            stage = match (&event.kind, stage) {
                (_, Stage::Closed) => Stage::Closed,
                (EventKind::DecisionToAssess { assess: true }, _) => Stage::Assessment,
                (EventKind::DecisionToAssess { assess: false }, _)
                | (EventKind::DecisionNotToIssue, _)
                | (
                    EventKind::ReviewDecision {
                        outcome: ReviewOutcome::Cease,
                    },
                    _,
                ) => Stage::Closed,
                (EventKind::DraftPlanServed, _) => Stage::DraftPlan,
                (
                    EventKind::FinalPlanIssued
                    | EventKind::AmendedPlanIssued
                    | EventKind::TransferIn { .. }
                    | EventKind::ReviewDecision { .. },
                    _,
                ) => Stage::PlanMaintained,
                (EventKind::ReviewMeetingScheduled { .. } | EventKind::ReviewMeetingHeld, _) => {
                    Stage::Review
                }
                (
                    EventKind::AdviceRequested { .. }
                    | EventKind::AdviceReceived { .. }
                    | EventKind::AmendmentProposed
                    | EventKind::PhaseTransferDue { .. }
                    | EventKind::MediationCertificate,
                    s,
                ) => s,
            };
        }
        stage
    }

    /// Whether the case has a plan in force (issued, or transferred in) and not ceased.
    fn has_plan(&self) -> bool {
        self.events.iter().any(|e| {
            matches!(
                e.kind,
                EventKind::FinalPlanIssued | EventKind::TransferIn { .. }
            )
        }) && self.stage() != Stage::Closed
    }

    /// The day the plan came into force here: issued, or transferred in.
    fn plan_since(&self) -> Option<Date> {
        self.first(|k| matches!(k, EventKind::FinalPlanIssued | EventKind::TransferIn { .. }))
            .map(|e| e.on)
    }

    /// Checks that `kind` may be recorded as happening on `on`, given the case's history and
    /// `today` (the LA's calendar date). Nothing is changed.
    ///
    /// # Errors
    /// [`CaseError::InFuture`] (the event's day is after today), [`CaseError::TooEarly`] (before
    /// the request was received or before the step it follows), [`CaseError::OutOfOrder`] (a
    /// step the case has not reached, or one already taken), [`CaseError::NoSuchAdviceRequest`],
    /// [`CaseError::Missing`] / [`CaseError::TooLong`] for texts.
    pub fn check_event(&self, kind: &EventKind, on: Date, today: Date) -> Result<(), CaseError> {
        if on > today {
            return Err(CaseError::InFuture("The date"));
        }
        if on < self.received_on {
            return Err(too_early(
                "The date",
                "the date the request was received",
                self.received_on,
            ));
        }
        let closed = self.stage() == Stage::Closed;
        if closed && !matches!(kind, EventKind::MediationCertificate) {
            return Err(CaseError::OutOfOrder(
                "The case is closed: only a mediation certificate can be recorded",
            ));
        }
        let decided = self.first(|k| matches!(k, EventKind::DecisionToAssess { .. }));
        let assessing = self.first(|k| matches!(k, EventKind::DecisionToAssess { assess: true }));
        let after = |event: Option<&CaseEvent>, what: &'static str| match event {
            Some(e) if on < e.on => Err(too_early("The date", what, e.on)),
            _ => Ok(()),
        };
        match kind {
            EventKind::DecisionToAssess { .. } => {
                if decided.is_some() {
                    return Err(CaseError::OutOfOrder(
                        "The decision whether to assess has already been recorded",
                    ));
                }
                if self.has_plan() {
                    return Err(CaseError::OutOfOrder("The case already has an EHC plan"));
                }
            }
            EventKind::AdviceRequested { from, .. } => {
                name_part(from, "Who the advice is from", "who the advice is from")?;
                if assessing.is_none() && !self.has_plan() {
                    return Err(CaseError::OutOfOrder(
                        "Record the decision to carry out an EHC needs assessment first",
                    ));
                }
                after(assessing, "the decision to assess")?;
            }
            EventKind::AdviceReceived { request } => {
                let asked = self
                    .events
                    .iter()
                    .find(|e| {
                        e.number == *request && matches!(e.kind, EventKind::AdviceRequested { .. })
                    })
                    .ok_or(CaseError::NoSuchAdviceRequest)?;
                let answered = self.events.iter().any(
                    |e| matches!(e.kind, EventKind::AdviceReceived { request: r } if r == *request),
                );
                if answered {
                    return Err(CaseError::NoSuchAdviceRequest);
                }
                after(Some(asked), "the day the advice was requested")?;
            }
            EventKind::DraftPlanServed => {
                if assessing.is_none() {
                    return Err(CaseError::OutOfOrder(
                        "Record the decision to carry out an EHC needs assessment first",
                    ));
                }
                if self.plan_since().is_some() {
                    return Err(CaseError::OutOfOrder(
                        "The final plan has been issued: propose amendments instead",
                    ));
                }
                after(assessing, "the decision to assess")?;
            }
            EventKind::FinalPlanIssued => {
                let draft = self.last(|k| matches!(k, EventKind::DraftPlanServed));
                if draft.is_none() {
                    return Err(CaseError::OutOfOrder(
                        "Record the draft plan being sent to the family first",
                    ));
                }
                if self.plan_since().is_some() {
                    return Err(CaseError::OutOfOrder(
                        "The final plan has already been issued",
                    ));
                }
                after(draft, "the day the draft plan was sent")?;
                if let Some(d) = draft {
                    let open_until = d.on.saturating_add(time::Duration::days(14));
                    if on <= open_until {
                        return Err(too_early(
                            "The date",
                            "the day after the family's 15 days to comment on the draft end (reg 13(1))",
                            open_until.saturating_add(time::Duration::days(1)),
                        ));
                    }
                }
            }
            EventKind::DecisionNotToIssue => {
                if assessing.is_none() {
                    return Err(CaseError::OutOfOrder(
                        "Record the decision to carry out an EHC needs assessment first",
                    ));
                }
                if self.plan_since().is_some() {
                    return Err(CaseError::OutOfOrder(
                        "The final plan has already been issued",
                    ));
                }
                after(assessing, "the decision to assess")?;
            }
            EventKind::ReviewMeetingScheduled { meeting_on } => {
                let Some(plan) = self.plan_since() else {
                    return Err(CaseError::OutOfOrder(
                        "A review meeting can be arranged only once the case has an EHC plan",
                    ));
                };
                if *meeting_on < plan {
                    return Err(too_early(
                        "The meeting date",
                        "the day the plan was issued",
                        plan,
                    ));
                }
                if *meeting_on < on {
                    return Err(too_early("The meeting date", "the day it was arranged", on));
                }
                if *meeting_on > today.saturating_add(time::Duration::days(548)) {
                    return Err(CaseError::OutOfOrder(
                        "The meeting date must be within 18 months from today",
                    ));
                }
            }
            EventKind::ReviewMeetingHeld => {
                let Some(plan) = self.plan_since() else {
                    return Err(CaseError::OutOfOrder(
                        "A review meeting can be held only once the case has an EHC plan",
                    ));
                };
                if on < plan {
                    return Err(too_early("The date", "the day the plan was issued", plan));
                }
                let previous = self.last(|k| matches!(k, EventKind::ReviewMeetingHeld));
                after(previous, "the last review meeting held")?;
            }
            EventKind::ReviewDecision { .. } => {
                let held = self.last(|k| matches!(k, EventKind::ReviewMeetingHeld));
                let decided = self.last(|k| matches!(k, EventKind::ReviewDecision { .. }));
                match (held, decided) {
                    (None, _) => {
                        return Err(CaseError::OutOfOrder("Record the review meeting first"));
                    }
                    (Some(h), Some(d)) if d.number > h.number => {
                        return Err(CaseError::OutOfOrder(
                            "The decision after the last review meeting has already been recorded",
                        ));
                    }
                    _ => {}
                }
                after(held, "the review meeting")?;
            }
            EventKind::AmendmentProposed => {
                let Some(plan) = self.plan_since() else {
                    return Err(CaseError::OutOfOrder(
                        "Amendments can be proposed only once the case has an EHC plan",
                    ));
                };
                if on < plan {
                    return Err(too_early("The date", "the day the plan was issued", plan));
                }
            }
            EventKind::AmendedPlanIssued => {
                let proposed = self.last(|k| matches!(k, EventKind::AmendmentProposed));
                let issued = self.last(|k| matches!(k, EventKind::AmendedPlanIssued));
                match (proposed, issued) {
                    (None, _) => {
                        return Err(CaseError::OutOfOrder(
                            "Record the proposed amendments first",
                        ));
                    }
                    (Some(p), Some(i)) if i.number > p.number => {
                        return Err(CaseError::OutOfOrder(
                            "The amended plan for the last proposals has already been issued",
                        ));
                    }
                    _ => {}
                }
                after(proposed, "the day the amendments were proposed")?;
                if let Some(p) = proposed {
                    let open_until = p.on.saturating_add(time::Duration::days(14));
                    if on <= open_until {
                        return Err(too_early(
                            "The date",
                            "the day after the family's 15 days to comment on the amendments end (reg 22(2))",
                            open_until.saturating_add(time::Duration::days(1)),
                        ));
                    }
                }
            }
            EventKind::PhaseTransferDue { transfer } => {
                if self.plan_since().is_none() {
                    return Err(CaseError::OutOfOrder(
                        "A phase transfer can be recorded only once the case has an EHC plan",
                    ));
                }
                let year = match transfer {
                    PhaseTransfer::School { year } | PhaseTransfer::SecondaryToPost16 { year } => {
                        *year
                    }
                    PhaseTransfer::Post16ToPost16 { moves_on } => moves_on.year(),
                };
                if year < on.year() || year > on.year() + 20 {
                    return Err(CaseError::OutOfOrder(
                        "The year of transfer must be this year or a later one",
                    ));
                }
            }
            EventKind::TransferIn { from_la } => {
                name_part(
                    from_la,
                    "The previous local authority",
                    "the previous local authority",
                )?;
                if self.plan_since().is_some() || decided.is_some() {
                    return Err(CaseError::OutOfOrder(
                        "A transfer in can be recorded only on a case that has no decision or plan here yet",
                    ));
                }
            }
            EventKind::MediationCertificate => {
                let decision = self.last(|k| {
                    matches!(
                        k,
                        EventKind::DecisionToAssess { assess: false }
                            | EventKind::DecisionNotToIssue
                            | EventKind::FinalPlanIssued
                            | EventKind::AmendedPlanIssued
                            | EventKind::ReviewDecision { .. }
                    )
                });
                if decision.is_none() {
                    return Err(CaseError::OutOfOrder(
                        "A mediation certificate follows a decision that can be appealed",
                    ));
                }
                after(decision, "the decision")?;
            }
        }
        Ok(())
    }

    /// Checks then appends an event, numbering it.
    ///
    /// # Errors
    /// As [`Case::check_event`]; the case is unchanged on error.
    pub fn record_event(
        &mut self,
        kind: EventKind,
        on: Date,
        today: Date,
        recorded_at: OffsetDateTime,
        recorded_by: Option<AccountId>,
    ) -> Result<EventNumber, CaseError> {
        let kind = match kind {
            EventKind::AdviceRequested { from, contributor } => EventKind::AdviceRequested {
                from: clean_text(&from, false),
                contributor,
            },
            EventKind::TransferIn { from_la } => EventKind::TransferIn {
                from_la: clean_text(&from_la, false),
            },
            other => other,
        };
        self.check_event(&kind, on, today)?;
        let withdrawn_events = self
            .withdrawn
            .iter()
            .filter(|w| matches!(w.entry, WithdrawnEntry::Event(_)))
            .count();
        let number = EventNumber(
            u32::try_from(self.events.len() + withdrawn_events)
                .unwrap_or(u32::MAX)
                .saturating_add(1),
        );
        self.events.push(CaseEvent {
            number,
            on,
            kind,
            recorded_at,
            recorded_by,
        });
        Ok(number)
    }

    /// Checks then records an exception to the time limits.
    ///
    /// # Errors
    /// [`CaseError::Missing`] / [`CaseError::TooLong`] (reason), [`CaseError::TooEarly`]
    /// (`to` before `from`, or `from` before the request was received),
    /// [`CaseError::ExceptionTooShort`] (a closure or an absence of less than 4 weeks,
    /// reg 10(4)(a), (b), (d)), [`CaseError::InFuture`] (`from` after today).
    pub fn record_exception(
        &mut self,
        exception: DeadlineException,
        today: Date,
    ) -> Result<(), CaseError> {
        let reason = clean_text(&exception.reason, true);
        let reason = reason.as_str();
        if reason.is_empty() {
            return Err(CaseError::Missing("the reason"));
        }
        if reason.chars().count() > MAX_REASON {
            return Err(CaseError::TooLong {
                what: "The reason",
                max: MAX_REASON,
            });
        }
        if exception.from > today {
            return Err(CaseError::InFuture("The start date"));
        }
        if exception.to > today.saturating_add(time::Duration::days(366)) {
            return Err(CaseError::OutOfOrder(
                "The last day must be within a year from today: record a new exception later if the circumstances last longer",
            ));
        }
        if exception.to < exception.from {
            return Err(too_early("The end date", "the start date", exception.from));
        }
        if exception.to < self.received_on {
            return Err(too_early(
                "The end date",
                "the date the request was received",
                self.received_on,
            ));
        }
        let days = (exception.to - exception.from).whole_days() + 1;
        match exception.kind {
            ExceptionKind::SettingClosure if days < 28 => {
                return Err(CaseError::ExceptionTooShort(
                    "A closure must last at least 4 weeks to be an exception (reg 10(4)(a) and (b))",
                ));
            }
            ExceptionKind::AbsentFromArea if days < 28 => {
                return Err(CaseError::ExceptionTooShort(
                    "An absence must last at least 4 weeks to be an exception (reg 10(4)(d))",
                ));
            }
            _ => {}
        }
        self.exceptions.push(DeadlineException {
            reason: reason.to_owned(),
            ..exception
        });
        Ok(())
    }
}

/// What was withdrawn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "withdrawn", rename_all = "kebab-case")]
pub enum WithdrawnEntry {
    /// An event (always the last one recorded at the time).
    Event(CaseEvent),
    /// An exception to the time limits.
    Exception(DeadlineException),
}

/// An entry withdrawn as recorded by mistake.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawn {
    /// The entry as it was.
    pub entry: WithdrawnEntry,
    /// Why, in the LA's words.
    pub reason: String,
    /// When it was withdrawn.
    pub at: OffsetDateTime,
    /// The LA officer who withdrew it.
    pub by: Option<AccountId>,
}

impl Case {
    fn withdrawal_reason(reason: &str) -> Result<String, CaseError> {
        let reason = clean_text(reason, true);
        if reason.is_empty() {
            return Err(CaseError::Missing("why it is withdrawn"));
        }
        if reason.chars().count() > MAX_REASON {
            return Err(CaseError::TooLong {
                what: "The reason",
                max: MAX_REASON,
            });
        }
        Ok(reason)
    }

    /// Withdraws the last event recorded (a mistake: a wrong date or kind), keeping it in
    /// [`Case::withdrawn`] with `reason`. Only the last one, so the history left is always one
    /// [`Case::check_event`] accepted; an earlier mistake is undone one event at a time.
    ///
    /// # Errors
    /// [`CaseError::OutOfOrder`] when there is no event; [`CaseError::Missing`] /
    /// [`CaseError::TooLong`] for the reason.
    pub fn withdraw_last_event(
        &mut self,
        reason: &str,
        at: OffsetDateTime,
        by: Option<AccountId>,
    ) -> Result<CaseEvent, CaseError> {
        let reason = Self::withdrawal_reason(reason)?;
        let event = self
            .events
            .pop()
            .ok_or(CaseError::OutOfOrder("There is no event to withdraw"))?;
        self.forget_meeting_event(event.number);
        self.withdrawn.push(Withdrawn {
            entry: WithdrawnEntry::Event(event.clone()),
            reason,
            at,
            by,
        });
        Ok(event)
    }

    /// Withdraws the exception at `index` (its position in [`Case::exceptions`]), keeping it in
    /// [`Case::withdrawn`] with `reason`; the time limits it moved go back.
    ///
    /// # Errors
    /// [`CaseError::OutOfOrder`] for an index with no exception; [`CaseError::Missing`] /
    /// [`CaseError::TooLong`] for the reason.
    pub fn withdraw_exception(
        &mut self,
        index: usize,
        reason: &str,
        at: OffsetDateTime,
        by: Option<AccountId>,
    ) -> Result<DeadlineException, CaseError> {
        let reason = Self::withdrawal_reason(reason)?;
        if index >= self.exceptions.len() {
            return Err(CaseError::OutOfOrder("Select an exception to withdraw"));
        }
        let exception = self.exceptions.remove(index);
        self.withdrawn.push(Withdrawn {
            entry: WithdrawnEntry::Exception(exception.clone()),
            reason,
            at,
            by,
        });
        Ok(exception)
    }
}
