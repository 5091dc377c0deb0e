//! The outbox: every e-mail and text the hub must send, written in the same unit of work as the
//! change that causes it and delivered later by a dispatcher with retries (issue: notifications),
//! so a gateway outage or a crash loses nothing.
//!
//! Messages carry what happened, never how to word it: wording lives in the LA's templates.
//! Four kinds carry a secret (the registration, password-reset and e-mail change links' tokens,
//! a texted code); storage must erase
//! it once the message is sent.
//!
//! Two ports: [`Outbox`] queues a message inside a unit of work (the service's side);
//! [`OutboxQueue`] is the dispatcher's side — it claims due messages for a lease, records each
//! attempt's outcome, and keeps undeliverable messages as dead letters for an operator to retry.
//!
//! ```text
//!  enqueue ──▶ pending ──claim_due──▶ claimed (lease) ──mark_sent──▶ sent (secret erased)
//!                ▲  ▲                    │      │
//!                │  └──── mark_failed ───┘      └──dead_letter──▶ dead letter
//!                │        (next_attempt_at)                          │
//!                └──────────────── retry_dead_letter ────────────────┘
//!  a claim whose lease runs out without an outcome is due again (the dispatcher crashed)
//! ```

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::account::{EmailAddress, random_uuid};
use crate::invitation::InvitationToken;
use crate::ports::{RandomnessUnavailable, SecretSource, StoreError};
use crate::role::Role;
use crate::second_factor::{Method, PhoneNumber, SmsCode};

/// A message's identifier; also its idempotency key at the gateway (Notify's `reference`, the
/// e-mail's Message-ID).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MessageId(pub Uuid);

impl MessageId {
    /// A new random id.
    ///
    /// # Errors
    /// [`RandomnessUnavailable`] from the source.
    pub fn generate(secrets: &dyn SecretSource) -> Result<Self, RandomnessUnavailable> {
        random_uuid(secrets).map(Self)
    }
}

/// Where a message goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "channel", content = "to", rename_all = "kebab-case")]
pub enum Recipient {
    /// An e-mail address.
    Email(EmailAddress),
    /// A mobile number (text message).
    Sms(PhoneNumber),
}

/// What a message says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum MessageContent {
    /// The invitation e-mail with the *Complete your registration* link.
    Invitation {
        /// The link's token (secret).
        token: InvitationToken,
        /// The roles granted on registration.
        roles: Vec<Role>,
    },
    /// An existing account was given new roles.
    AccessGranted {
        /// The roles.
        roles: Vec<Role>,
    },
    /// A sign-in security code by text.
    SignInCode {
        /// The code (secret).
        code: SmsCode,
    },
    /// The *Reset your password* e-mail with its single-use link.
    PasswordResetLink {
        /// The link's token (secret).
        token: InvitationToken,
        /// How long the link works, in minutes.
        valid_for_minutes: i64,
    },
    /// The person's password was changed through a reset link (no secret: it tells them, so a
    /// reset they did not make is noticed).
    PasswordChanged,
    /// A recovery code was used to sign in (no secret: it tells the person, so a use they did
    /// not make is noticed).
    RecoveryCodeUsed {
        /// Unused recovery codes left after it (0: a new set was issued at that sign-in).
        left: u32,
    },
    /// An LA officer removed the person's second factor: the next sign-in sets up a new one.
    SecondFactorReset,
    /// The *Change your email address* e-mail, sent to the new address, with its single-use
    /// link ([`crate::account_change`]).
    EmailChangeLink {
        /// The link's token (secret).
        token: InvitationToken,
        /// How long the link works, in minutes.
        valid_for_minutes: i64,
    },
    /// The signed-in person changed their account (no secret: it tells them, so a change they
    /// did not make is noticed).
    AccountChanged {
        /// What changed.
        change: AccountChange,
    },
    /// Something happened on a case that the person takes part in. It names the case only by
    /// the LA's reference: there is no field for the child's name or any other personal detail,
    /// so no alert can carry one.
    CaseUpdate {
        /// The LA's case reference, e.g. `EHC-2026-0042`.
        case_reference: String,
        /// What happened.
        update: CaseUpdate,
    },
    /// A person's daily digest of case alerts ([`crate::alert`]): like
    /// [`MessageContent::CaseUpdate`], each entry names its case only by the LA's reference.
    CaseDigest {
        /// The alerts, oldest first.
        entries: Vec<DigestEntry>,
    },
}

/// What a signed-in person changed on their account ([`MessageContent::AccountChanged`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "kebab-case")]
pub enum AccountChange {
    /// A new password.
    Password,
    /// A new way to get security codes.
    SecondFactor {
        /// The new method.
        method: Method,
    },
    /// A change of address to `to` was asked for (told to the old address; nothing changes
    /// until the link sent to `to` is used).
    EmailChangeRequested {
        /// The new address, as typed.
        to: String,
    },
    /// The address was changed to `to` (told to the old address).
    EmailChanged {
        /// The new address, as typed.
        to: String,
    },
}

/// One alert in a daily digest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DigestEntry {
    /// The LA's case reference.
    pub case_reference: String,
    /// What happened.
    pub update: CaseUpdate,
    /// When it happened.
    pub at: OffsetDateTime,
}

/// What happened on a case, in the words of the case tracker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "update", rename_all = "kebab-case")]
pub enum CaseUpdate {
    /// The case reached a stage, e.g. `Draft EHC plan issued`.
    StageReached {
        /// The stage's name.
        stage: String,
    },
    /// A document was added, e.g. `Educational psychology advice`.
    DocumentAdded {
        /// The kind of document.
        kind: String,
    },
    /// A request for an EHC needs assessment was sent online, without signing in, with the
    /// address of an existing account: no access is given until the LA has checked it.
    RequestReceived,
    /// Something is asked of the person, by a date.
    ActionRequested {
        /// What, e.g. `Give your views on the draft plan`.
        action: String,
        /// The last day (a local date in the LA's time zone).
        by: time::Date,
    },
    /// Something the person looks after is overdue, e.g. `advice from Educational
    /// psychologist` (a timed alert to the case officer, [`crate::case::alerts`]).
    Overdue {
        /// What is overdue.
        what: String,
        /// The day it was due (a local date in the LA's time zone).
        due: time::Date,
    },
}

impl MessageContent {
    /// Whether the content holds a secret that storage must erase once sent: a link's token
    /// (registration, password reset, e-mail change) or a texted code. Every kind is named, so
    /// a new kind cannot be added without deciding.
    pub fn carries_secret(&self) -> bool {
        match self {
            Self::Invitation { .. }
            | Self::SignInCode { .. }
            | Self::PasswordResetLink { .. }
            | Self::EmailChangeLink { .. } => true,
            Self::AccessGranted { .. }
            | Self::PasswordChanged
            | Self::RecoveryCodeUsed { .. }
            | Self::SecondFactorReset
            | Self::AccountChanged { .. }
            | Self::CaseUpdate { .. }
            | Self::CaseDigest { .. } => false,
        }
    }
}

/// One message to send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    /// Identifier and idempotency key.
    pub id: MessageId,
    /// Where it goes.
    pub recipient: Recipient,
    /// What it says.
    pub content: MessageContent,
    /// When it was queued.
    pub created_at: OffsetDateTime,
}

/// Queues messages.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Outbox: Send {
    /// Queues `message` in the current unit of work: it is sent only if the unit commits.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn enqueue(&mut self, message: &OutboxMessage) -> Result<(), StoreError>;

    /// Where the message with this id stands, whatever its state (as
    /// [`OutboxQueue::entry`], read in the current unit of work): e.g. whether a texted code
    /// is late ([`OutboxEntry::is_delayed`]).
    ///
    /// # Errors
    /// [`StoreError`] on a fault; an unknown id is `Ok(None)`.
    async fn entry(&mut self, id: MessageId) -> Result<Option<OutboxEntry>, StoreError>;
}

/// A message handed to one dispatcher by [`OutboxQueue::claim_due`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedMessage {
    /// The message, with its secret (it is about to be sent).
    pub message: OutboxMessage,
    /// Delivery attempts so far, this one included (1 on the first claim).
    pub attempts: u32,
}

/// Where a queued message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Waiting for its next attempt (or claimed by a dispatcher whose lease has not run out).
    Pending,
    /// Delivered to the gateway at this instant.
    Sent(OffsetDateTime),
    /// Given up at this instant; kept until an operator retries it.
    DeadLetter(OffsetDateTime),
}

/// A queued message as the dispatcher's storage keeps it (what an operator sees).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    /// Identifier and idempotency key.
    pub id: MessageId,
    /// Where it goes.
    pub recipient: Recipient,
    /// What it says; `None` once a message that carried a secret was sent (the secret is erased
    /// then, see [`MessageContent::carries_secret`]).
    pub content: Option<MessageContent>,
    /// When it was queued.
    pub created_at: OffsetDateTime,
    /// Delivery attempts so far (claims; reset to 0 by [`OutboxQueue::retry_dead_letter`]).
    pub attempts: u32,
    /// When it is next due (while pending; the end of the lease while claimed).
    pub next_attempt_at: OffsetDateTime,
    /// The last failure's description, if any (never a secret: gateways' error text only).
    pub last_error: Option<String>,
    /// Pending, sent or dead letter.
    pub state: DeliveryState,
}

/// How long a message may wait unsent before the person is told that sending is delayed
/// ([`OutboxEntry::is_delayed`]): 30 seconds. The dispatcher looks for due messages every
/// second, so a message older than this is waiting for a mail server or GOV.UK Notify.
pub const SENDING_DELAYED_AFTER: Duration = Duration::seconds(30);

impl OutboxEntry {
    /// Whether the message is late at `now`: still pending and either an attempt failed (the
    /// mail server or GOV.UK Notify did not take it) or it was queued at least
    /// [`SENDING_DELAYED_AFTER`] ago. A sent message or a dead letter is not "delayed" (the
    /// second is an operator's matter: `ehc-hub dead-letters`).
    pub fn is_delayed(&self, now: OffsetDateTime) -> bool {
        self.state == DeliveryState::Pending
            && (self.last_error.is_some() || now - self.created_at >= SENDING_DELAYED_AFTER)
    }
}

/// The dispatcher's side of the outbox: claiming due messages and recording what happened to
/// them. Implemented by the store itself (not by a unit of work): each method is its own
/// transaction.
///
/// Claims are leases: a claimed message is hidden from other claimers until
/// `now + lease`; if its dispatcher records no outcome by then (it crashed), the message is due
/// again. With many dispatchers on one database each due message is claimed by exactly one of
/// them (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite serialises writers).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait OutboxQueue: Send + Sync {
    /// Claims up to `limit` pending messages due at `now` (next attempt at or before `now`),
    /// oldest due first: each gets one more attempt and is hidden from other claimers until
    /// `now + lease`.
    ///
    /// # Errors
    /// [`StoreError`] on a fault; nothing is claimed then.
    async fn claim_due(
        &self,
        limit: u32,
        now: OffsetDateTime,
        lease: Duration,
    ) -> Result<Vec<ClaimedMessage>, StoreError>;

    /// Records that the message was delivered at `now` and erases its secret (the invitation
    /// token, the texted code) from storage. `Ok(false)` when no pending message has this id.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn mark_sent(&self, id: MessageId, now: OffsetDateTime) -> Result<bool, StoreError>;

    /// Records a failed attempt: `error` (the gateway's words, no secret) and when to try again.
    /// `Ok(false)` when no pending message has this id.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn mark_failed(
        &self,
        id: MessageId,
        error: &str,
        next_attempt_at: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// Gives up on the message at `now` with `error`: it becomes a dead letter, never claimed
    /// again until retried. `Ok(false)` when no pending message has this id.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn dead_letter(
        &self,
        id: MessageId,
        error: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// Up to `limit` dead letters, oldest first.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn dead_letters(&self, limit: u32) -> Result<Vec<OutboxEntry>, StoreError>;

    /// Puts a dead letter back in the queue, due at `now`, with its attempts reset to 0 (the last
    /// error is kept). `Ok(false)` when no dead letter has this id.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn retry_dead_letter(
        &self,
        id: MessageId,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;

    /// The message with this id, whatever its state.
    ///
    /// # Errors
    /// [`StoreError`] on a fault; an unknown id is `Ok(None)`.
    async fn entry(&self, id: MessageId) -> Result<Option<OutboxEntry>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const QUEUED: OffsetDateTime = datetime!(2026-11-30 09:00 UTC);

    fn entry(state: DeliveryState, last_error: Option<&str>) -> OutboxEntry {
        OutboxEntry {
            id: MessageId(Uuid::nil()),
            recipient: Recipient::Email(EmailAddress::parse("jo@example.gov.uk").unwrap()),
            content: None,
            created_at: QUEUED,
            attempts: u32::from(last_error.is_some()),
            next_attempt_at: QUEUED,
            last_error: last_error.map(str::to_owned),
            state,
        }
    }

    #[test]
    fn a_pending_message_is_delayed_after_a_failed_attempt_or_thirty_seconds() {
        let fresh = entry(DeliveryState::Pending, None);
        assert!(!fresh.is_delayed(QUEUED + Duration::seconds(29)));
        assert!(fresh.is_delayed(QUEUED + SENDING_DELAYED_AFTER));
        let failed = entry(DeliveryState::Pending, Some("connection refused"));
        assert!(failed.is_delayed(QUEUED + Duration::seconds(1)));
    }

    #[test]
    fn a_sent_message_or_a_dead_letter_is_not_delayed() {
        let late = QUEUED + Duration::hours(1);
        assert!(!entry(DeliveryState::Sent(late), Some("451 try later")).is_delayed(late));
        assert!(!entry(DeliveryState::DeadLetter(late), Some("550 no such user")).is_delayed(late));
    }

    #[test]
    fn the_email_change_link_carries_a_secret_and_the_change_notice_does_not() {
        let token =
            InvitationToken::generate(&crate::test_support::SeededSecretSource::new(1)).unwrap();
        assert!(
            MessageContent::EmailChangeLink {
                token,
                valid_for_minutes: 60
            }
            .carries_secret()
        );
        assert!(
            !MessageContent::AccountChanged {
                change: AccountChange::EmailChanged {
                    to: "new@example.org".to_owned()
                }
            }
            .carries_secret()
        );
    }
}
