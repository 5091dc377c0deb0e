//! The audit log: who did what, when, from where, with what outcome. Append-only: the port has
//! no way to change or remove an entry (it appends and searches, nothing else). Never holds a
//! secret (password, code, token, key).
//!
//! LA officers search it, page through it and export it with [`AuditService`]; each search and
//! each export is itself an entry ([`AuditKind::AuditSearched`], [`AuditKind::AuditExported`]).

mod service;

pub use service::{
    AuditExport, AuditPage, AuditSearch, AuditService, AuditServiceError, EXPORT_CHUNK,
    FilterError, FilterField, PAGE_SIZE,
};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use time::OffsetDateTime;

use crate::account::AccountId;
use crate::case::CaseId;
use crate::ports::StoreError;

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AuditKind {
    /// An invitation was sent (subject: none yet; detail: the canonical address).
    Invited,
    /// Roles were granted to an existing account instead of inviting it.
    RoleGranted,
    /// A grant was revoked.
    RoleRevoked,
    /// A registration link was used to create an account.
    Registered,
    /// A registration link could not be used.
    RegistrationRefused,
    /// The password step succeeded.
    PasswordAccepted,
    /// The password step failed (unknown address or wrong password).
    PasswordRejected,
    /// The password step was refused because the account is locked.
    PasswordLocked,
    /// A second factor was confirmed at set-up.
    SecondFactorEnrolled,
    /// A sign-in code was texted.
    CodeSent,
    /// A text was refused by the send limit.
    CodeSendLimited,
    /// A second-factor code was accepted: signed in.
    SignedIn,
    /// A second-factor code was refused.
    CodeRejected,
    /// A code was refused because the second-factor step is locked.
    CodeLocked,
    /// The person signed out.
    SignedOut,
    /// An LA officer created a case (detail: the case id and LA reference).
    CaseCreated,
    /// Someone opened a case page (detail: the case id).
    CaseViewed,
    /// Someone downloaded all of a case's information they may see (detail: the case id).
    CaseDownloaded,
    /// A case was changed: an event, an exception, a linked setting, the officer, a person
    /// invited (detail: the case id and what changed).
    CaseChanged,
    /// A document was uploaded to a case (detail: the case id, the document id, its type,
    /// length and SHA-256; never its title or name).
    DocumentUploaded,
    /// Someone downloaded a document of a case (detail: the case id and the document id).
    DocumentDownloaded,
    /// An upload was refused because the virus scanner found something; nothing was stored
    /// (detail: the case id, what was found and the length).
    DocumentInfected,
    /// An LA officer searched the audit log (detail: the filters — account and case ids, the
    /// kind, the instants — and the page; never an address).
    AuditSearched,
    /// An LA officer exported the audit log as CSV (detail: the filters, as for a search).
    AuditExported,
}

impl AuditKind {
    /// Stable storage name (kebab-case).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Invited => "invited",
            Self::RoleGranted => "role-granted",
            Self::RoleRevoked => "role-revoked",
            Self::Registered => "registered",
            Self::RegistrationRefused => "registration-refused",
            Self::PasswordAccepted => "password-accepted",
            Self::PasswordRejected => "password-rejected",
            Self::PasswordLocked => "password-locked",
            Self::SecondFactorEnrolled => "second-factor-enrolled",
            Self::CodeSent => "code-sent",
            Self::CodeSendLimited => "code-send-limited",
            Self::SignedIn => "signed-in",
            Self::CodeRejected => "code-rejected",
            Self::CodeLocked => "code-locked",
            Self::SignedOut => "signed-out",
            Self::CaseCreated => "case-created",
            Self::CaseViewed => "case-viewed",
            Self::CaseDownloaded => "case-downloaded",
            Self::CaseChanged => "case-changed",
            Self::DocumentUploaded => "document-uploaded",
            Self::DocumentDownloaded => "document-downloaded",
            Self::DocumentInfected => "document-infected",
            Self::AuditSearched => "audit-searched",
            Self::AuditExported => "audit-exported",
        }
    }

    /// Every kind, in the order of this enum (the audit page's list of kinds).
    pub const ALL: [Self; 24] = [
        Self::Invited,
        Self::RoleGranted,
        Self::RoleRevoked,
        Self::Registered,
        Self::RegistrationRefused,
        Self::PasswordAccepted,
        Self::PasswordRejected,
        Self::PasswordLocked,
        Self::SecondFactorEnrolled,
        Self::CodeSent,
        Self::CodeSendLimited,
        Self::SignedIn,
        Self::CodeRejected,
        Self::CodeLocked,
        Self::SignedOut,
        Self::CaseCreated,
        Self::CaseViewed,
        Self::CaseDownloaded,
        Self::CaseChanged,
        Self::DocumentUploaded,
        Self::DocumentDownloaded,
        Self::DocumentInfected,
        Self::AuditSearched,
        Self::AuditExported,
    ];

    /// The kind of a storage name ([`AuditKind::as_str`]); `None` for anything else.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// Words for pages: the storage name with spaces and a capital ("Signed in").
    pub fn describe(self) -> String {
        let words = self.as_str().replace('-', " ");
        let mut chars = words.chars();
        chars
            .next()
            .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
            .unwrap_or_default()
    }
}

/// One entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// When.
    pub at: OffsetDateTime,
    /// Who acted (`None`: an anonymous visitor or the system).
    pub actor: Option<AccountId>,
    /// Whom it concerns, when not the actor.
    pub subject: Option<AccountId>,
    /// What.
    pub kind: AuditKind,
    /// The client's address, when known.
    pub origin: Option<IpAddr>,
    /// The case it concerns, if any (the detail names it too, as `case <id>`).
    #[serde(default)]
    pub case: Option<CaseId>,
    /// Free text with no secret and no child's details (e.g. a method, an address invited).
    pub detail: String,
}

/// Where an entry stands in the log's order: newest first by [`AuditKey::at`], entries of one
/// instant newest first by [`AuditKey::seq`]. Keys of stored entries are all different, so a
/// page that starts after a key (keyset pagination) neither repeats nor skips an entry, however
/// many entries are appended meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AuditKey {
    /// The entry's instant ([`AuditEvent::at`], as stored: whole microseconds).
    pub at: OffsetDateTime,
    /// The entry's sequence number in the log (given by the store, increasing as entries are
    /// appended).
    pub seq: i64,
}

impl AuditKey {
    /// The key as a page address parameter: microseconds since the Unix epoch, `.`, the
    /// sequence number (`1796029200000000.42`).
    pub fn to_param(self) -> String {
        format!("{}.{}", self.at.unix_timestamp_nanos() / 1_000, self.seq)
    }

    /// Reads [`AuditKey::to_param`]'s form back; `None` for anything else.
    pub fn parse_param(param: &str) -> Option<Self> {
        let (micros, seq) = param.split_once('.')?;
        let micros: i64 = micros.parse().ok()?;
        let at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000).ok()?;
        Some(Self {
            at,
            seq: seq.parse().ok()?,
        })
    }
}

/// Which page of a search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagePosition {
    /// The newest entries.
    Newest,
    /// The entries older than this key (*Next page*).
    OlderThan(AuditKey),
    /// The entries newer than this key (*Previous page*): the nearest to the key.
    NewerThan(AuditKey),
}

/// What a search selects: each filter given narrows it (all together: and).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Entries where this account acted or was the subject.
    pub person: Option<AccountId>,
    /// Entries about this case.
    pub case: Option<CaseId>,
    /// Entries of this kind.
    pub kind: Option<AuditKind>,
    /// Entries at or after this instant.
    pub from: Option<OffsetDateTime>,
    /// Entries before this instant (exclusive: the start of the day after the last day).
    pub until: Option<OffsetDateTime>,
}

/// One entry found, with what a reader needs to make sense of its ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Its place in the log.
    pub key: AuditKey,
    /// The entry itself.
    pub event: AuditEvent,
    /// The address of the account that acted, as entered (`None`: no actor, or no such account).
    pub actor_email: Option<String>,
    /// The address of the subject's account, as entered.
    pub subject_email: Option<String>,
    /// The LA reference of the case, when the entry names a stored case.
    pub case_reference: Option<String>,
}

/// Appends to the audit log and searches it. There is no way to change or remove an entry.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AuditLog: Send {
    /// Appends `event` in the current unit of work.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn append(&mut self, event: &AuditEvent) -> Result<(), StoreError>;

    /// At most `limit` entries matching `filter`, newest first ([`AuditKey`] order), starting
    /// at `position`: the newest, those older than a key, or the `limit` nearest newer than a
    /// key (still given newest first). A person matches as actor or subject.
    ///
    /// # Errors
    /// [`StoreError`] on a fault or an unreadable entry.
    async fn search(
        &mut self,
        filter: &AuditFilter,
        position: PagePosition,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError>;
}
