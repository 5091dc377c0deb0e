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

/// Declares [`AuditKind`] with its storage names once: the enum, [`AuditKind::as_str`] and
/// [`AuditKind::ALL`] cannot disagree, so a new kind is always readable back and searchable.
macro_rules! audit_kinds {
    ($($(#[$doc:meta])* $kind:ident = $name:literal,)*) => {
        /// What happened.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "kebab-case")]
        pub enum AuditKind {
            $($(#[$doc])* $kind,)*
        }

        impl AuditKind {
            /// Stable storage name (kebab-case, as serde writes it).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Self::$kind => $name,)*
                }
            }

            /// Every kind, in the order of declaration (the audit page's list of kinds).
            pub const ALL: &'static [Self] = &[$(Self::$kind,)*];
        }
    };
}

audit_kinds! {
    /// An invitation was sent (subject: none yet; detail: the canonical address).
    Invited = "invited",
    /// Roles were granted to an existing account instead of inviting it.
    RoleGranted = "role-granted",
    /// A grant was revoked.
    RoleRevoked = "role-revoked",
    /// A registration link was used to create an account.
    Registered = "registered",
    /// A registration link could not be used.
    RegistrationRefused = "registration-refused",
    /// The password step succeeded.
    PasswordAccepted = "password-accepted",
    /// The password step failed (unknown address or wrong password).
    PasswordRejected = "password-rejected",
    /// The password step was refused because the account is locked.
    PasswordLocked = "password-locked",
    /// A second factor was confirmed at set-up.
    SecondFactorEnrolled = "second-factor-enrolled",
    /// A sign-in code was texted.
    CodeSent = "code-sent",
    /// A text was refused by the send limit.
    CodeSendLimited = "code-send-limited",
    /// A second-factor code was accepted: signed in.
    SignedIn = "signed-in",
    /// A second-factor code was refused.
    CodeRejected = "code-rejected",
    /// A code was refused because the second-factor step is locked.
    CodeLocked = "code-locked",
    /// The person signed out.
    SignedOut = "signed-out",
    /// An LA officer created a case (detail: the case id and LA reference).
    CaseCreated = "case-created",
    /// Someone opened a case page (detail: the case id).
    CaseViewed = "case-viewed",
    /// Someone downloaded all of a case's information they may see (detail: the case id).
    CaseDownloaded = "case-downloaded",
    /// A case was changed: an event, an exception, a linked setting, the officer, a person
    /// invited (detail: the case id and what changed).
    CaseChanged = "case-changed",
    /// A document was uploaded to a case (detail: the case id, the document id, its type,
    /// length and SHA-256; never its title or name).
    DocumentUploaded = "document-uploaded",
    /// Someone downloaded a document of a case (detail: the case id and the document id).
    DocumentDownloaded = "document-downloaded",
    /// An upload was refused because the virus scanner found something; nothing was stored
    /// (detail: the case id, what was found and the length).
    DocumentInfected = "document-infected",
    /// An LA officer searched the audit log (detail: the filters — account and case ids, the
    /// kind, the instants — and the page; never an address).
    AuditSearched = "audit-searched",
    /// An LA officer exported the audit log as CSV (detail: the filters, as for a search).
    AuditExported = "audit-exported",
    /// *Reset your password* was asked for (subject: the account, if the address has one;
    /// detail: whether a link was sent, never the link).
    PasswordResetRequested = "password-reset-requested",
    /// A password was changed through a reset link; every session of the account ended.
    PasswordReset = "password-reset",
    /// A reset link could not be used (unknown, used, superseded or expired).
    PasswordResetRefused = "password-reset-refused",
    /// An LA officer removed a person's second factor (actor: the officer; subject: the
    /// person); every session of the person ended.
    SecondFactorReset = "second-factor-reset",
    /// A new set of recovery codes was issued (detail: why; never a code).
    RecoveryCodesIssued = "recovery-codes-issued",
    /// A recovery code was used instead of an app or texted code (detail: how many are left).
    RecoveryCodeUsed = "recovery-code-used",
    /// A signed-in person typed their password again to change their account.
    Reauthenticated = "reauthenticated",
    /// A signed-in person typed a wrong password to change their account (detail: whether it
    /// locked password sign-in).
    ReauthenticationRefused = "reauthentication-refused",
    /// A signed-in person changed their password.
    PasswordChanged = "password-changed",
    /// A signed-in person set up a new way to get security codes (detail: the method; a new set
    /// of recovery codes follows).
    SecondFactorChanged = "second-factor-changed",
    /// A signed-in person asked to change their address (detail: the new address, canonical;
    /// never the link).
    EmailChangeRequested = "email-change-requested",
    /// An address was changed through the link sent to it (detail: from and to, canonical).
    EmailChanged = "email-changed",
    /// An e-mail change link could not be used (unknown, used, superseded, expired, or the
    /// address was taken meanwhile).
    EmailChangeRefused = "email-change-refused",
    /// A signed-in person signed out every other session of their account.
    OtherSessionsEnded = "other-sessions-ended",
}

impl AuditKind {
    /// The kind of a storage name ([`AuditKind::as_str`]); `None` for anything else.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|k| k.as_str() == name)
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
