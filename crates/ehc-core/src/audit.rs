//! The audit log: who did what, when, from where, with what outcome. Append-only: the port has
//! no way to change or remove an entry. Never holds a secret (password, code, token, key).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use time::OffsetDateTime;

use crate::account::AccountId;
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
    /// *Reset your password* was asked for (subject: the account, if the address has one;
    /// detail: whether a link was sent, never the link).
    PasswordResetRequested,
    /// A password was changed through a reset link; every session of the account ended.
    PasswordReset,
    /// A reset link could not be used (unknown, used, superseded or expired).
    PasswordResetRefused,
    /// An LA officer removed a person's second factor (actor: the officer; subject: the
    /// person); every session of the person ended.
    SecondFactorReset,
    /// A new set of recovery codes was issued (detail: why; never a code).
    RecoveryCodesIssued,
    /// A recovery code was used instead of an app or texted code (detail: how many are left).
    RecoveryCodeUsed,
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
            Self::PasswordResetRequested => "password-reset-requested",
            Self::PasswordReset => "password-reset",
            Self::PasswordResetRefused => "password-reset-refused",
            Self::SecondFactorReset => "second-factor-reset",
            Self::RecoveryCodesIssued => "recovery-codes-issued",
            Self::RecoveryCodeUsed => "recovery-code-used",
        }
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
    /// Free text with no secret and no child's details (e.g. a method, an address invited).
    pub detail: String,
}

/// Appends to the audit log.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AuditLog: Send {
    /// Appends `event` in the current unit of work.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn append(&mut self, event: &AuditEvent) -> Result<(), StoreError>;
}
