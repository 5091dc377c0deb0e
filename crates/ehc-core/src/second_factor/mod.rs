//! The mandatory second factor: an authenticator app (TOTP) or a text message (SMS code).
//!
//! Model: [`Method`], [`Enrolment`], [`TotpSecret`], [`SmsCode`], [`PhoneNumber`],
//! [`OtpCode`]; the [`SecondFactorRepository`] port with its atomic rules (accept a TOTP step only
//! if newer than the last; consume a text code once; count texts against the limit). The
//! journey that uses them is [`crate::sign_in`].

pub mod code;
pub mod phone;
pub mod recovery_code;
pub mod sms;
pub mod totp;

pub use code::{OtpCode, OtpCodeError};
pub use phone::{PhoneError, PhoneNumber};
pub use recovery_code::{
    FEW_RECOVERY_CODES, RECOVERY_CODES, RecoveryCode, RecoveryCodeError, RecoveryCodeHash,
};
pub use sms::{SmsCode, SmsCodeHash, SmsSendDecision, SmsSendLimit, StoredSmsCode};
pub use totp::{TotpSecret, TotpSecretError};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::account::AccountId;
use crate::ports::StoreError;

/// The two second-factor methods, as the choice page names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// *Smartphone or tablet app* (TOTP).
    App,
    /// *Text message* (SMS code).
    Text,
}

/// A confirmed second factor of an account (at most one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum Enrolment {
    /// An authenticator app with this secret.
    App {
        /// The shared secret.
        secret: TotpSecret,
    },
    /// Text messages to this number.
    Text {
        /// The mobile number.
        phone: PhoneNumber,
    },
}

impl Enrolment {
    /// The method.
    pub fn method(&self) -> Method {
        match self {
            Self::App { .. } => Method::App,
            Self::Text { .. } => Method::Text,
        }
    }
}

/// A second factor being set up — at sign-in ([`crate::sign_in`]) or by a signed-in person
/// changing theirs ([`crate::account_change`]) — until a code from it is accepted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "kebab-case")]
pub enum NewSecondFactor {
    /// An authenticator app with this new secret (its key is shown; a first code is awaited).
    App {
        /// The new secret.
        secret: TotpSecret,
    },
    /// Text messages to this number (a code was texted to it).
    Text {
        /// The new number.
        phone: PhoneNumber,
    },
}

impl NewSecondFactor {
    /// The method it sets up.
    pub fn method(&self) -> Method {
        match self {
            Self::App { .. } => Method::App,
            Self::Text { .. } => Method::Text,
        }
    }

    /// Checks `code` against this new factor in `tx`: for an app, a TOTP code of its secret
    /// (±1 step of 30 s); for a number, an unexpired code texted to it, consumed. The enrolment
    /// to store and, for an app, the accepted TOTP step; `None` for a wrong code. Stores nothing
    /// else.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    pub(crate) async fn accept(
        self,
        tx: &mut (dyn crate::ports::UnitOfWork + '_),
        account: AccountId,
        code: &OtpCode,
        now: OffsetDateTime,
    ) -> Result<Option<(Enrolment, Option<u64>)>, StoreError> {
        Ok(match self {
            Self::App { secret } => secret
                .matching_step(code, now)
                .map(|step| (Enrolment::App { secret }, Some(step))),
            Self::Text { phone } => {
                let hash = SmsCodeHash::of_typed(account, &phone, code);
                tx.second_factors()
                    .consume_sms_code(account, &hash, now)
                    .await?
                    .then_some((Enrolment::Text { phone }, None))
            }
        })
    }
}

/// Why an enrolment was not stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnrolError {
    /// The account already has a second factor (e.g. set up meanwhile in another tab).
    #[error("a second factor is already set up for this account")]
    AlreadyEnrolled,
    /// A storage fault.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Storage of second factors and their one-time codes.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SecondFactorRepository: Send {
    /// The account's confirmed second factor, if any.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn enrolment(&mut self, account: AccountId) -> Result<Option<Enrolment>, StoreError>;

    /// Stores the account's second factor; for an app, `accepted_step` is the TOTP step of the
    /// set-up code, stored as the last accepted step so that code never works again.
    ///
    /// # Errors
    /// [`EnrolError::AlreadyEnrolled`] if one is stored already; [`EnrolError::Store`].
    async fn enrol(
        &mut self,
        account: AccountId,
        enrolment: &Enrolment,
        accepted_step: Option<u64>,
        at: OffsetDateTime,
    ) -> Result<(), EnrolError>;

    /// Atomically accepts TOTP `step` only if it is newer than the last accepted step of the
    /// account, and stores it as the last one. Two concurrent calls with one step: exactly one
    /// gets `true`.
    ///
    /// # Errors
    /// [`StoreError`] on a fault. No app enrolment is `Ok(false)`.
    async fn accept_totp_step(&mut self, account: AccountId, step: u64)
    -> Result<bool, StoreError>;

    /// Atomically counts the account's texts sent within `limit.window` before `now` and, if
    /// fewer than `limit.max_sends`, stores `code` ([`SmsSendLimit::check`] is the rule).
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn record_sms_code(
        &mut self,
        account: AccountId,
        code: &StoredSmsCode,
        limit: SmsSendLimit,
        now: OffsetDateTime,
    ) -> Result<SmsSendDecision, StoreError>;

    /// Removes the account's second factor (its last accepted TOTP step and its recovery codes
    /// too), so its next sign-in sets up a new one. `true` if there was one.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn remove(&mut self, account: AccountId) -> Result<bool, StoreError>;

    /// Replaces the account's recovery codes with these hashes, issued at `at`: every older
    /// code, used or not, stops working.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn replace_recovery_codes(
        &mut self,
        account: AccountId,
        hashes: &[RecoveryCodeHash],
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Atomically marks the account's unused recovery code with this hash used at `now`:
    /// `Some(unused codes left after it)` once, then `None`. Two concurrent calls with one
    /// code: exactly one gets `Some`.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn consume_recovery_code(
        &mut self,
        account: AccountId,
        hash: &RecoveryCodeHash,
        now: OffsetDateTime,
    ) -> Result<Option<u32>, StoreError>;

    /// How many unused recovery codes the account has (0 for a second factor set up before
    /// recovery codes existed).
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn recovery_codes_left(&mut self, account: AccountId) -> Result<u32, StoreError>;

    /// Atomically consumes the unexpired, unused code with this hash: `true` once, then `false`.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn consume_sms_code(
        &mut self,
        account: AccountId,
        hash: &SmsCodeHash,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError>;
}
