//! Notifications: the ports through which the hub sends e-mail and texts, the LA's message
//! templates, and the dispatcher that delivers the [outbox](crate::outbox).
//!
//! In the hexagon, [`Mailer`] and [`SmsSender`] are outbound ports: `ehc-email` implements
//! [`Mailer`] over the LA's SMTP relay (and a development mailbox of `.eml` files), `ehc-sms`
//! implements [`SmsSender`] over GOV.UK Notify (and a development text log). The wording of every
//! message lives in one place, [`templates::MessageTemplates`], which the LA can override; the
//! [`dispatcher::Dispatcher`] claims due messages, renders them, sends them and records the
//! outcome, retrying transient failures with exponential backoff and jitter and keeping
//! permanent failures as dead letters.
//!
//! Every send carries the outbox [`MessageId`] as its idempotency key: the e-mail's
//! `Message-ID` and Notify's `reference`. A message may be sent twice (the dispatcher crashed
//! after sending, before recording it); the key lets the recipient's side recognise that.
//!
//! Messages never hold a child's personal details (docs/SECURITY.md): they say that something
//! happened and link to the hub.

pub mod dispatcher;
pub mod templates;

use async_trait::async_trait;
use std::fmt;
use std::sync::Arc;

use crate::account::EmailAddress;
use crate::outbox::MessageId;
use crate::second_factor::PhoneNumber;

/// Why a gateway did not take a message. Adapters decide which of the two a failure is; the
/// dispatcher retries only [`SendError::Transient`].
///
/// `reason` is stored as the message's last error and may be logged: it holds the gateway's
/// words only, never the message body, the link or the code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Trying again later may work: connection refused or reset, a timeout, SMTP 4xx, HTTP 429
    /// or 5xx.
    #[error("temporary failure: {reason}")]
    Transient {
        /// The gateway's description.
        reason: String,
    },
    /// Trying again will not help: SMTP 5xx (recipient rejected), HTTP 400 or 403 (invalid
    /// number, bad template, bad key).
    #[error("permanent failure: {reason}")]
    Permanent {
        /// The gateway's description.
        reason: String,
    },
}

impl SendError {
    /// A transient failure.
    pub fn transient(reason: impl Into<String>) -> Self {
        Self::Transient {
            reason: reason.into(),
        }
    }

    /// A permanent failure.
    pub fn permanent(reason: impl Into<String>) -> Self {
        Self::Permanent {
            reason: reason.into(),
        }
    }

    /// Whether trying again later may work.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Transient { .. })
    }

    /// The gateway's description.
    pub fn reason(&self) -> &str {
        match self {
            Self::Transient { reason } | Self::Permanent { reason } => reason,
        }
    }
}

/// One rendered e-mail, ready to send. `Debug` hides the subject and bodies (an invitation holds
/// the registration link).
#[derive(Clone, PartialEq, Eq)]
pub struct Email {
    /// The outbox message's id: the idempotency key, sent as the `Message-ID`
    /// (`<{uuid}@{domain}>`).
    pub id: MessageId,
    /// The recipient.
    pub to: EmailAddress,
    /// One line of plain text.
    pub subject: String,
    /// The `text/plain` part.
    pub text: String,
    /// The `text/html` part (a full document, already escaped).
    pub html: String,
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Email")
            .field("id", &self.id)
            .field("to", &self.to)
            .finish_non_exhaustive()
    }
}

/// One rendered text message, ready to send. `Debug` hides the body (it holds the code).
#[derive(Clone, PartialEq, Eq)]
pub struct TextMessage {
    /// The outbox message's id: the idempotency key, sent as Notify's `reference`.
    pub id: MessageId,
    /// The mobile number; gateways take [`PhoneNumber::e164`].
    pub to: PhoneNumber,
    /// The whole text.
    pub body: String,
}

impl fmt::Debug for TextMessage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TextMessage")
            .field("id", &self.id)
            .field("to", &self.to)
            .finish_non_exhaustive()
    }
}

/// Sends e-mail (the LA's SMTP relay; a development mailbox).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait Mailer: Send + Sync {
    /// Hands one e-mail to the relay. `Ok` means the relay accepted it for delivery.
    ///
    /// # Errors
    /// [`SendError::Transient`] when the relay could not be reached, timed out or answered 4xx;
    /// [`SendError::Permanent`] when it refused the message or recipient (5xx). The reason must
    /// not contain the message's subject or bodies.
    async fn send(&self, email: &Email) -> Result<(), SendError>;
}

/// Sends text messages (GOV.UK Notify; a development text log).
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SmsSender: Send + Sync {
    /// Hands one text to the gateway. `Ok` means the gateway accepted it (Notify: HTTP 201).
    ///
    /// # Errors
    /// [`SendError::Transient`] on connection errors, timeouts, HTTP 429 and 5xx;
    /// [`SendError::Permanent`] on HTTP 400 and 403 (invalid number, unknown template, bad
    /// key). The reason must not contain the message's body.
    async fn send(&self, text: &TextMessage) -> Result<(), SendError>;
}

#[async_trait]
impl<T: Mailer + ?Sized> Mailer for Arc<T> {
    async fn send(&self, email: &Email) -> Result<(), SendError> {
        (**self).send(email).await
    }
}

#[async_trait]
impl<T: SmsSender + ?Sized> SmsSender for Arc<T> {
    async fn send(&self, text: &TextMessage) -> Result<(), SendError> {
        (**self).send(text).await
    }
}
