//! The core's outbound ports that every area shares: the clock, the secret source and the unit of
//! work that binds the repositories of one database transaction.
//!
//! In the hexagon these sit on the core's edge. Adapters (`ehc-store-sqlite`,
//! `ehc-store-postgres`, the in-memory store of `test-support`) implement them; services in this
//! crate only ever see the traits.

use async_trait::async_trait;
use std::sync::Arc;
use time::OffsetDateTime;

use crate::account::AccountRepository;
use crate::account_change::EmailChangeRepository;
use crate::alert::AlertRepository;
use crate::audit::AuditLog;
use crate::case::CaseRepository;
use crate::document::DocumentRepository;
use crate::invitation::InvitationRepository;
use crate::lockout::LockoutRepository;
use crate::outbox::Outbox;
use crate::recovery::PasswordResetRepository;
use crate::role::RoleGrantRepository;
use crate::second_factor::SecondFactorRepository;
use crate::setting::SettingRepository;

/// The current instant. Read once at the edge (the web handler, the CLI) and passed to the
/// core's functions as `now`; the core never reads the clock itself.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait Clock: Send + Sync {
    /// The current instant, in UTC.
    fn now(&self) -> OffsetDateTime;
}

/// The operating system's random source was unavailable (`getrandom` failed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no secure random numbers are available: {0}")]
pub struct RandomnessUnavailable(pub String);

/// Cryptographically secure random bytes: tokens, TOTP secrets, SMS codes, salts and ids all come
/// from here, so tests can make them repeatable.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
pub trait SecretSource: Send + Sync {
    /// Fills `dest` with random bytes.
    ///
    /// # Errors
    /// [`RandomnessUnavailable`] when the source cannot give secure randomness; callers refuse
    /// the operation rather than fall back to anything weaker.
    fn fill(&self, dest: &mut [u8]) -> Result<(), RandomnessUnavailable>;
}

impl<T: SecretSource + ?Sized> SecretSource for Arc<T> {
    fn fill(&self, dest: &mut [u8]) -> Result<(), RandomnessUnavailable> {
        (**self).fill(dest)
    }
}

impl<T: Clock + ?Sized> Clock for Arc<T> {
    fn now(&self) -> OffsetDateTime {
        (**self).now()
    }
}

/// A fault of the storage adapter, as opposed to a domain refusal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The database could not be reached or did not answer within the configured timeout. The
    /// web layer shows its "service unavailable" page (HTTP 503); nothing was changed.
    #[error("the database is unavailable: {reason}")]
    Unavailable {
        /// The adapter's description of the fault (never user data).
        reason: String,
    },
    /// Two writers touched the same rows and this one lost; retrying may succeed.
    #[error("the change conflicted with another change: {reason}")]
    Conflict {
        /// Which rule or table conflicted.
        reason: String,
    },
    /// Anything else the adapter did not expect (a stored value it cannot read back, a
    /// constraint it does not know). Logged with its cause and shown as a plain 500 page.
    #[error("unexpected storage fault: {reason}")]
    Unexpected {
        /// The adapter's description of the fault.
        reason: String,
    },
}

/// Opens units of work. One `Store` per process, shared by every request.
#[async_trait]
pub trait Store: Send + Sync {
    /// Begins a unit of work: the repositories it hands out all act in one database
    /// transaction, made visible by [`UnitOfWork::commit`] and undone when dropped uncommitted.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when no connection could be had within the configured time.
    async fn begin(&self) -> Result<Box<dyn UnitOfWork + '_>, StoreError>;
}

#[async_trait]
impl<T: Store + ?Sized> Store for Arc<T> {
    async fn begin(&self) -> Result<Box<dyn UnitOfWork + '_>, StoreError> {
        (**self).begin().await
    }
}

/// The repositories of one transaction (ARCHITECTURE.md: a change, the messages it causes and its
/// audit entries are written together or not at all).
#[async_trait]
pub trait UnitOfWork: Send {
    /// Accounts, looked up by id or case-insensitive e-mail address.
    fn accounts(&mut self) -> &mut dyn AccountRepository;
    /// Invitations and their single-use registration tokens.
    fn invitations(&mut self) -> &mut dyn InvitationRepository;
    /// *Reset your password* links and their single-use tokens.
    fn password_resets(&mut self) -> &mut dyn PasswordResetRepository;
    /// *Change your email address* links and their single-use tokens.
    fn email_changes(&mut self) -> &mut dyn EmailChangeRepository;
    /// Role grants.
    fn grants(&mut self) -> &mut dyn RoleGrantRepository;
    /// Education settings (schools, colleges, early-years providers), by URN.
    fn settings(&mut self) -> &mut dyn SettingRepository;
    /// Second-factor enrolments, TOTP steps and SMS codes.
    fn second_factors(&mut self) -> &mut dyn SecondFactorRepository;
    /// Password and code failure counters.
    fn lockouts(&mut self) -> &mut dyn LockoutRepository;
    /// Messages to send, delivered later by the dispatcher.
    fn outbox(&mut self) -> &mut dyn Outbox;
    /// The append-only audit log.
    fn audit(&mut self) -> &mut dyn AuditLog;
    /// EHC cases, their timelines and work trays.
    fn cases(&mut self) -> &mut dyn CaseRepository;
    /// Alert preferences and alerts parked for the daily digest.
    fn alerts(&mut self) -> &mut dyn AlertRepository;
    /// The metadata of documents kept on cases (the bytes are in a
    /// [`crate::document::DocumentStore`]).
    fn documents(&mut self) -> &mut dyn DocumentRepository;
    /// Makes every change of this unit of work visible at once.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] if the database went away (nothing was committed);
    /// [`StoreError::Conflict`] if a concurrent transaction won.
    async fn commit(self: Box<Self>) -> Result<(), StoreError>;
}
