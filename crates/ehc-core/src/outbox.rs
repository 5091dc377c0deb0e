//! The outbox: every e-mail and text the hub must send, written in the same unit of work as the
//! change that causes it and delivered later by a dispatcher with retries (issue: notifications),
//! so a gateway outage or a crash loses nothing.
//!
//! Messages carry what happened, never how to word it: wording lives in the LA's templates.
//! Two kinds carry a secret (the registration link's token, a texted code); storage must erase
//! it once the message is sent.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::account::{EmailAddress, random_uuid};
use crate::invitation::InvitationToken;
use crate::ports::{RandomnessUnavailable, SecretSource, StoreError};
use crate::role::Role;
use crate::second_factor::{PhoneNumber, SmsCode};

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
}

impl MessageContent {
    /// Whether the content holds a secret that storage must erase once sent.
    pub fn carries_secret(&self) -> bool {
        matches!(self, Self::Invitation { .. } | Self::SignInCode { .. })
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
}
