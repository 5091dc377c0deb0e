//! Account recovery (issue 8): *Reset your password* by an e-mailed link, and an LA officer's
//! reset of a person's second factor (a lost phone).
//!
//! A reset link follows the invitation's token rules ([`crate::invitation`]): 32 random bytes
//! ([`InvitationToken`]), stored only as SHA-256, single use (consumed atomically), a newer
//! request voids the older link, and it works for `settings.password_reset_valid_for` (1 hour by
//! default). Asking for one gives the same answer, after the same work, whether or not the
//! address has an account (ASVS 6.4.2 / 6.3.8: no enumeration). Choosing the new password
//! applies the registration's policy, ends every session of the account and signs nobody in:
//! the person then signs in with the new password *and* their second factor, which a reset never
//! bypasses (ASVS 6.4.3). The person is e-mailed after every reset (ASVS 6.3.7).
//!
//! ```text
//!  request ──▶ pending ──consume──▶ used
//!                │  └── newer request ──▶ superseded
//!                └── valid_for passes ──▶ expired (still pending, refused)
//! ```
//!
//! The officer's reset removes the person's second factor and ends their sessions in one unit
//! of work; their next sign-in (password) goes through second-factor set-up again. Nobody
//! resets their own (an officer who lost their phone asks another officer).

use async_trait::async_trait;
use std::net::IpAddr;
use time::OffsetDateTime;

use crate::account::{AccountId, EmailAddress, EmailError};
use crate::audit::{AuditEvent, AuditKind};
use crate::invitation::{InvitationError, InvitationStatus, InvitationToken, TokenHash};
use crate::lockout::LockoutKind;
use crate::outbox::{MessageContent, MessageId, OutboxMessage, Recipient};
use crate::password::{HashError, PasswordHasher, PasswordViolations};
use crate::ports::{RandomnessUnavailable, SecretSource, Store, StoreError, UnitOfWork};
use crate::role::{Action, authorize};
use crate::settings::SecuritySettings;

/// One *Reset your password* link of an account. Its status reuses the invitation's:
/// pending, used, or superseded by a newer request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordReset {
    /// The account whose password the link resets.
    pub account: AccountId,
    /// SHA-256 of the link's token.
    pub token_hash: TokenHash,
    /// When it was asked for.
    pub created_at: OffsetDateTime,
    /// The link stops working at this instant (created + 1 hour by default).
    pub expires_at: OffsetDateTime,
    /// Pending, used or superseded.
    pub status: InvitationStatus,
}

impl PasswordReset {
    /// Why this link cannot be used at `now`, if it cannot.
    ///
    /// # Errors
    /// [`InvitationError::Used`], [`InvitationError::Superseded`] or
    /// [`InvitationError::Expired`].
    pub fn usable_at(&self, now: OffsetDateTime) -> Result<(), InvitationError> {
        self.status.usable_at(self.expires_at, now)
    }
}

/// Storage of reset links.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PasswordResetRepository: Send {
    /// Marks every pending link of the same account superseded at `reset.created_at`, then
    /// stores `reset`.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn insert_superseding(&mut self, reset: &PasswordReset) -> Result<(), StoreError>;

    /// The link whose token has this hash, whatever its status.
    ///
    /// # Errors
    /// [`StoreError`] on a fault; none is `Ok(None)`.
    async fn find_by_token(
        &mut self,
        hash: &TokenHash,
    ) -> Result<Option<PasswordReset>, StoreError>;

    /// The newest link of the account, whatever its status. Serialises the account's link
    /// requests: a concurrent unit of work that also asks waits until this one ends, so the
    /// interval between links holds (PostgreSQL locks the account's row; SQLite's write
    /// transactions run one at a time).
    ///
    /// # Errors
    /// [`StoreError`] on a fault; none is `Ok(None)`.
    async fn latest_for_account(
        &mut self,
        account: AccountId,
    ) -> Result<Option<PasswordReset>, StoreError>;

    /// Atomically marks the link used at `now` if it is pending and unexpired, and returns it.
    /// Two concurrent calls with one token: exactly one succeeds.
    ///
    /// # Errors
    /// [`InvitationError::Unknown`], [`InvitationError::Used`], [`InvitationError::Superseded`]
    /// or [`InvitationError::Expired`] when it cannot be consumed (nothing changes);
    /// [`InvitationError::Store`] on a fault.
    async fn consume(
        &mut self,
        hash: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<PasswordReset, InvitationError>;

    /// Marks every pending link of the account superseded at `at` (the password was changed
    /// by the signed-in person, or the address changed: a link sent before must not outlive
    /// that).
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn void_pending(
        &mut self,
        account: AccountId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;
}

/// Why a recovery step did not happen. Nothing is stored in any case (except the audit entry
/// of a refused link).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecoveryError {
    /// The text typed is not an e-mail address (said at the field).
    #[error(transparent)]
    Email(#[from] EmailError),
    /// The reset link is unknown, used, superseded or expired: one "link cannot be used" page.
    #[error(transparent)]
    Link(InvitationError),
    /// The new password breaks these rules (all of them are listed).
    #[error(transparent)]
    Password(PasswordViolations),
    /// The person may not reset second factors (not an LA officer).
    #[error("You do not have permission to reset a second factor")]
    NotAllowed,
    /// An officer tried to reset their own second factor.
    #[error("You cannot reset your own second factor. Ask another local authority officer")]
    OwnSecondFactor,
    /// No account has this id.
    #[error("There is no such person")]
    UnknownPerson,
    /// Hashing failed.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// No randomness for the token or the ids.
    #[error(transparent)]
    Randomness(#[from] RandomnessUnavailable),
    /// A storage fault.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for RecoveryError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl From<InvitationError> for RecoveryError {
    fn from(e: InvitationError) -> Self {
        match e {
            InvitationError::Store(s) => Self::Store(s),
            other => Self::Link(other),
        }
    }
}

/// Runs account recovery over the store, the password hasher and the secret source.
#[derive(Debug, Clone)]
pub struct RecoveryService<S, H, R> {
    store: S,
    hasher: H,
    secrets: R,
    settings: SecuritySettings,
}

impl<S: Store, H: PasswordHasher, R: SecretSource> RecoveryService<S, H, R> {
    /// A service over these ports.
    pub fn new(store: S, hasher: H, secrets: R, settings: SecuritySettings) -> Self {
        Self {
            store,
            hasher,
            secrets,
            settings,
        }
    }

    /// *Reset your password* with the address typed. When it belongs to an account (and no link
    /// was sent to it within `settings.password_reset_interval`), a new link is stored, older
    /// ones voided and the e-mail queued. The token is made and hashed and the unit of work run
    /// whatever the address, so the answer and its timing say nothing about it; the caller shows
    /// the same page in every case.
    ///
    /// # Errors
    /// [`RecoveryError::Email`] for text that is not an address; [`RecoveryError::Randomness`]
    /// or [`RecoveryError::Store`] on a fault.
    pub async fn request_reset(
        &self,
        email: &str,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<(), RecoveryError> {
        let email = EmailAddress::parse(email)?;
        let token = InvitationToken::generate(&self.secrets)?;
        let reset_hash = token.hash();
        let message_id = MessageId::generate(&self.secrets)?;
        let mut tx = self.store.begin().await?;
        let account = tx.accounts().find_by_email(&email).await?;
        let (subject, detail) = match &account {
            None => (None, "no account has this address: nothing sent"),
            Some(account) => {
                let latest = tx.password_resets().latest_for_account(account.id).await?;
                if latest
                    .is_some_and(|l| l.created_at + self.settings.password_reset_interval > now)
                {
                    (Some(account.id), "asked again too soon: nothing sent")
                } else {
                    let reset = PasswordReset {
                        account: account.id,
                        token_hash: reset_hash,
                        created_at: now,
                        expires_at: now + self.settings.password_reset_valid_for,
                        status: InvitationStatus::Pending,
                    };
                    tx.password_resets().insert_superseding(&reset).await?;
                    tx.outbox()
                        .enqueue(&OutboxMessage {
                            id: message_id,
                            recipient: Recipient::Email(account.email.clone()),
                            content: MessageContent::PasswordResetLink {
                                token,
                                valid_for_minutes: self
                                    .settings
                                    .password_reset_valid_for
                                    .whole_minutes(),
                            },
                            created_at: now,
                        })
                        .await?;
                    (Some(account.id), "link sent")
                }
            }
        };
        audit(
            &mut *tx,
            now,
            None,
            subject,
            AuditKind::PasswordResetRequested,
            origin,
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The address a reset link belongs to, if the link can still be used at `now` (for
    /// showing *Choose a new password*). Changes nothing.
    ///
    /// # Errors
    /// [`RecoveryError::Link`] when it cannot; [`RecoveryError::Store`] on a fault.
    pub async fn open_reset(
        &self,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<EmailAddress, RecoveryError> {
        let token = InvitationToken::parse(token)?;
        let mut tx = self.store.begin().await?;
        let reset = tx
            .password_resets()
            .find_by_token(&token.hash())
            .await?
            .ok_or(InvitationError::Unknown)?;
        reset.usable_at(now)?;
        let account = tx
            .accounts()
            .get(reset.account)
            .await?
            .ok_or(InvitationError::Unknown)?;
        Ok(account.email)
    }

    /// *Choose a new password* through the link's `token`: the registration's password policy
    /// (every broken rule reported, nothing stored); then, in one unit of work, the link is
    /// consumed, the password replaced, the password lockout cleared, every session of the
    /// account and every pending e-mail change link ended, the "your password was changed" e-mail queued and the reset audited.
    /// Nobody is signed in: the second factor is still asked for at the next sign-in.
    ///
    /// # Errors
    /// [`RecoveryError::Link`] (audited as refused), [`RecoveryError::Password`],
    /// [`RecoveryError::Hash`], [`RecoveryError::Randomness`] or [`RecoveryError::Store`];
    /// nothing changes then, and the link stays usable unless it was the link at fault.
    pub async fn reset_password(
        &self,
        token: &str,
        password: &str,
        confirmation: &str,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<AccountId, RecoveryError> {
        let email = match self.open_reset(token, now).await {
            Ok(email) => email,
            Err(RecoveryError::Link(reason)) => {
                return self.refuse_link(reason, now, origin).await;
            }
            Err(other) => return Err(other),
        };
        let password = self
            .settings
            .check_new_password(password, confirmation, &email)
            .map_err(RecoveryError::Password)?;
        let password_hash = self.hasher.hash(&password).await?;
        let token = InvitationToken::parse(token)?;
        let message_id = MessageId::generate(&self.secrets)?;

        let mut tx = self.store.begin().await?;
        let reset = match tx.password_resets().consume(&token.hash(), now).await {
            Ok(reset) => reset,
            Err(InvitationError::Store(e)) => return Err(e.into()),
            Err(reason) => {
                drop(tx);
                return self.refuse_link(reason, now, origin).await;
            }
        };
        let account = reset.account;
        tx.accounts()
            .set_password_hash(account, &password_hash)
            .await?;
        tx.accounts().end_sessions(account, now).await?;
        tx.lockouts().clear(account, LockoutKind::Password).await?;
        // An address change asked for before the reset (perhaps by whoever knew the old
        // password) must not outlive it.
        tx.email_changes().void_pending(account, now).await?;
        tx.outbox()
            .enqueue(&OutboxMessage {
                id: message_id,
                recipient: Recipient::Email(email),
                content: MessageContent::PasswordChanged,
                created_at: now,
            })
            .await?;
        audit(
            &mut *tx,
            now,
            Some(account),
            None,
            AuditKind::PasswordReset,
            origin,
            "every session ended",
        )
        .await?;
        tx.commit().await?;
        Ok(account)
    }

    async fn refuse_link(
        &self,
        reason: InvitationError,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<AccountId, RecoveryError> {
        let detail = match reason {
            InvitationError::Unknown => "unknown link",
            InvitationError::Used => "used link",
            InvitationError::Expired => "expired link",
            InvitationError::Superseded => "superseded link",
            InvitationError::Store(e) => return Err(e.into()),
        };
        let mut tx = self.store.begin().await?;
        audit(
            &mut *tx,
            now,
            None,
            None,
            AuditKind::PasswordResetRefused,
            origin,
            detail,
        )
        .await?;
        tx.commit().await?;
        Err(RecoveryError::Link(reason))
    }

    /// An LA officer (`by`) removes `person`'s second factor: in one unit of work the
    /// authorisation check, the removal, the end of every session and every pending e-mail
    /// change link of the person, the e-mail
    /// telling them and the audit entry. Their next sign-in sets up a second factor again.
    /// Resetting a person with no second factor still ends their sessions.
    ///
    /// # Errors
    /// [`RecoveryError::NotAllowed`] unless `by` may ([`Action::ResetSecondFactor`]);
    /// [`RecoveryError::OwnSecondFactor`] when `by` is `person`;
    /// [`RecoveryError::UnknownPerson`]; [`RecoveryError::Randomness`] or
    /// [`RecoveryError::Store`] on a fault. Nothing changes then.
    pub async fn reset_second_factor(
        &self,
        by: AccountId,
        person: AccountId,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<(), RecoveryError> {
        let message_id = MessageId::generate(&self.secrets)?;
        let mut tx = self.store.begin().await?;
        let grants = tx.grants().for_account(by).await?;
        if !authorize(&grants, &Action::ResetSecondFactor, now) {
            return Err(RecoveryError::NotAllowed);
        }
        if by == person {
            return Err(RecoveryError::OwnSecondFactor);
        }
        let account = tx
            .accounts()
            .get(person)
            .await?
            .ok_or(RecoveryError::UnknownPerson)?;
        let had_one = tx.second_factors().remove(person).await?;
        tx.accounts().end_sessions(person, now).await?;
        tx.email_changes().void_pending(person, now).await?;
        tx.outbox()
            .enqueue(&OutboxMessage {
                id: message_id,
                recipient: Recipient::Email(account.email),
                content: MessageContent::SecondFactorReset,
                created_at: now,
            })
            .await?;
        let detail = if had_one {
            "second factor removed; every session ended"
        } else {
            "no second factor was set up; every session ended"
        };
        audit(
            &mut *tx,
            now,
            Some(by),
            Some(person),
            AuditKind::SecondFactorReset,
            origin,
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

async fn audit(
    tx: &mut (dyn UnitOfWork + '_),
    at: OffsetDateTime,
    actor: Option<AccountId>,
    subject: Option<AccountId>,
    kind: AuditKind,
    origin: Option<IpAddr>,
    detail: &str,
) -> Result<(), StoreError> {
    tx.audit()
        .append(&AuditEvent {
            at,
            actor,
            subject,
            case: None,
            kind,
            origin,
            detail: detail.to_owned(),
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::Duration;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-11-29 09:00 UTC);

    fn reset(status: InvitationStatus) -> PasswordReset {
        PasswordReset {
            account: AccountId(uuid::Uuid::nil()),
            token_hash: TokenHash([0; 32]),
            created_at: T0,
            expires_at: T0 + Duration::hours(1),
            status,
        }
    }

    proptest! {
        /// A pending link works strictly before its expiry and never after; a used or
        /// superseded one never works, whenever.
        #[test]
        fn a_link_works_only_while_pending_and_before_its_expiry(offset in -7200i64..7200) {
            let now = T0 + Duration::seconds(offset);
            let pending = reset(InvitationStatus::Pending).usable_at(now);
            if now < T0 + Duration::hours(1) {
                prop_assert_eq!(pending, Ok(()));
            } else {
                prop_assert_eq!(pending, Err(InvitationError::Expired));
            }
            prop_assert_eq!(
                reset(InvitationStatus::Used(T0)).usable_at(now),
                Err(InvitationError::Used)
            );
            prop_assert_eq!(
                reset(InvitationStatus::Superseded(T0)).usable_at(now),
                Err(InvitationError::Superseded)
            );
        }
    }
}
