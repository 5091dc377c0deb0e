//! A signed-in person changes their own account (issue 8): *Change your password*, *Change how
//! you get security codes* (a new app or mobile number) and *Change your email address*, and
//! *Sign out of every other device*.
//!
//! Each change needs the current password again: [`AccountChangeService::confirm_password`]
//! gives a [`Reauthentication`] that opens the changes for `settings.reauthentication_valid_for`
//! (10 minutes by default; ASVS 5.0 6.2.3, 7.5.1). A wrong password there counts toward the
//! sign-in's password lockout, so a stolen session cannot guess it. Every change is audited and
//! e-mailed to the person ([`crate::outbox::MessageContent::AccountChanged`]).
//!
//! - **Password:** the registration's policy; the person stays signed in here and is offered
//!   to sign out every other session.
//! - **Second factor:** the new app or number is stored only once a code from it is accepted
//!   (the code lockout counts wrong ones); it replaces the old factor and its recovery codes in
//!   one unit of work, a new set of recovery codes is handed out, and the person is offered to
//!   sign out every other session.
//! - **E-mail address:** the new address gets a single-use link (the invitation's token rules,
//!   valid `settings.email_change_valid_for`, 1 hour by default; a newer request voids the
//!   older link; at most one a minute); the old address is told at once. The address changes
//!   only when the link is used in a signed-in session of the account, and the old address is
//!   told again. Asking gives the same answer whether or not another account has the new
//!   address (no enumeration); the link then says it is taken. A new password (changed or
//!   reset), a new or reset second factor and *Sign out of every other device* void pending
//!   links; a confirmed address voids the reset links sent to the old one.
//!
//! ```text
//!  signed in ──confirm_password──▶ reauthenticated (10 min) ──change──▶ signed in
//!                                         │ new factor: app key / number ──code──┘
//!  email: request ──▶ pending ──consume (link)──▶ used;  newer request ──▶ superseded
//! ```

mod service;

pub use service::AccountChangeService;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::account::{AccountId, EmailAddress, EmailError};
use crate::invitation::{InvitationError, InvitationStatus, TokenHash};
use crate::password::{HashError, PasswordViolations};
use crate::ports::{RandomnessUnavailable, StoreError};
use crate::second_factor::{Enrolment, OtpCodeError, PhoneError};

/// Proof that the person typed their current password in this session at `at`: it opens the
/// account changes until `at + settings.reauthentication_valid_for`. Kept server-side in the
/// session, made only by [`AccountChangeService::confirm_password`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reauthentication {
    /// The account whose password was typed.
    pub account: AccountId,
    /// When it was accepted.
    pub at: OffsetDateTime,
}

impl Reauthentication {
    /// Whether this proof opens changes to `account` at `now`: the same account, and `now` is
    /// from `at` up to (not including) `at + valid_for`.
    pub fn opens(
        &self,
        account: AccountId,
        now: OffsetDateTime,
        valid_for: time::Duration,
    ) -> bool {
        self.account == account && self.at <= now && now < self.at + valid_for
    }
}

/// What *Your account* shows ([`AccountChangeService::overview`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountOverview {
    /// The sign-in address.
    pub email: EmailAddress,
    /// The second factor (pages show only a number's last digits); `None` only between an LA
    /// officer's reset and the next sign-in.
    pub second_factor: Option<Enrolment>,
    /// Unused recovery codes.
    pub recovery_codes_left: u32,
}

/// One *Change your email address* link: the account, the new address, and the invitation's
/// token rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailChange {
    /// The account whose address changes.
    pub account: AccountId,
    /// The address it changes to (the link was sent there).
    pub new_email: EmailAddress,
    /// SHA-256 of the link's token.
    pub token_hash: TokenHash,
    /// When it was asked for.
    pub created_at: OffsetDateTime,
    /// The link stops working at this instant (created + 1 hour by default).
    pub expires_at: OffsetDateTime,
    /// Pending, used or superseded.
    pub status: InvitationStatus,
}

impl EmailChange {
    /// Why this link cannot be used at `now`, if it cannot.
    ///
    /// # Errors
    /// [`InvitationError::Used`], [`InvitationError::Superseded`] or
    /// [`InvitationError::Expired`].
    pub fn usable_at(&self, now: OffsetDateTime) -> Result<(), InvitationError> {
        self.status.usable_at(self.expires_at, now)
    }
}

/// Storage of *Change your email address* links.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait EmailChangeRepository: Send {
    /// Marks every pending link of the same account superseded at `change.created_at`, then
    /// stores `change`.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn insert_superseding(&mut self, change: &EmailChange) -> Result<(), StoreError>;

    /// The link whose token has this hash, whatever its status.
    ///
    /// # Errors
    /// [`StoreError`] on a fault; none is `Ok(None)`.
    async fn find_by_token(&mut self, hash: &TokenHash) -> Result<Option<EmailChange>, StoreError>;

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
    ) -> Result<Option<EmailChange>, StoreError>;

    /// Marks every pending link of the account superseded at `at` (the person changed their
    /// password or second factor, reset their password, or signed out everywhere else: a link
    /// asked for before must not outlive that).
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn void_pending(
        &mut self,
        account: AccountId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError>;

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
    ) -> Result<EmailChange, InvitationError>;
}

/// Why an account change did not happen. Nothing is stored then, except the audit entry of a
/// refused password or link and the failure counters.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountChangeError {
    /// The session is not fully signed in.
    #[error("Sign in to change your account")]
    NotSignedIn,
    /// No password was confirmed in this session within the last 10 minutes (by default):
    /// ask for it, then carry on.
    #[error("Enter your password again to make this change")]
    ReauthenticationNeeded,
    /// No password was typed (not counted toward the lockout).
    #[error("Enter your password")]
    PasswordMissing,
    /// The current password typed is wrong (counted toward the password lockout).
    #[error("Your password is not correct")]
    WrongPassword,
    /// Too many wrong passwords (here or at sign-in).
    #[error("You have entered the wrong password too many times. Try again after {until}")]
    PasswordLocked {
        /// When passwords are accepted again.
        until: OffsetDateTime,
    },
    /// The new password breaks these rules (all of them are listed).
    #[error(transparent)]
    Password(PasswordViolations),
    /// The new address is not an e-mail address.
    #[error(transparent)]
    Email(#[from] EmailError),
    /// The new address is the account's address already.
    #[error("Enter a different email address from the one you use now")]
    SameEmail,
    /// Another account has the new address (said only to whoever holds the link sent there).
    #[error("Another account already uses this email address, so your address has not changed")]
    EmailTaken,
    /// The e-mail change link is unknown, used, superseded or expired.
    #[error(transparent)]
    Link(InvitationError),
    /// The e-mail change link belongs to another account than the one signed in.
    #[error(
        "This link is for another account. Sign out, then sign in to the account whose email address is changing"
    )]
    LinkForAnotherAccount,
    /// A link to a new address was sent less than `settings.email_change_interval` ago.
    #[error("We sent you a link a moment ago. You can ask for another one after {retry_at}")]
    TooSoon {
        /// When another link can be sent.
        retry_at: OffsetDateTime,
    },
    /// The security code typed is not 6 digits.
    #[error(transparent)]
    InvalidCode(#[from] OtpCodeError),
    /// A wrong, used or expired security code.
    #[error("The security code is not correct or has expired")]
    WrongCode,
    /// Too many wrong codes (here or at sign-in).
    #[error("You have entered the wrong security code too many times. Try again after {until}")]
    CodeLocked {
        /// When codes are accepted again.
        until: OffsetDateTime,
    },
    /// The mobile number is not usable.
    #[error(transparent)]
    InvalidPhone(#[from] PhoneError),
    /// No more texts for now.
    #[error("You have asked for too many codes. Try again after {retry_at}")]
    SendLimitReached {
        /// When a text can be sent again.
        retry_at: OffsetDateTime,
    },
    /// Hashing failed.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// No randomness.
    #[error(transparent)]
    Randomness(#[from] RandomnessUnavailable),
    /// A storage fault.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for AccountChangeError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl From<InvitationError> for AccountChangeError {
    fn from(e: InvitationError) -> Self {
        match e {
            InvitationError::Store(s) => Self::Store(s),
            other => Self::Link(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::Duration;
    use time::macros::datetime;

    const T0: OffsetDateTime = datetime!(2026-11-29 09:00 UTC);

    proptest! {
        /// A confirmed password opens changes to its own account for exactly `valid_for` from
        /// the instant it was confirmed, and never to another account.
        #[test]
        fn a_reauthentication_opens_its_own_account_for_its_window(offset in -1200i64..1200) {
            let mine = AccountId(uuid::Uuid::from_u128(1));
            let other = AccountId(uuid::Uuid::from_u128(2));
            let proof = Reauthentication { account: mine, at: T0 };
            let now = T0 + Duration::seconds(offset);
            let ten = Duration::minutes(10);
            prop_assert_eq!(proof.opens(mine, now, ten), (0..600).contains(&offset));
            prop_assert!(!proof.opens(other, now, ten));
        }
    }

    #[test]
    fn an_email_change_link_works_only_while_pending_and_unexpired() {
        let change = |status| EmailChange {
            account: AccountId(uuid::Uuid::nil()),
            new_email: EmailAddress::parse("new@example.org").unwrap(),
            token_hash: TokenHash([0; 32]),
            created_at: T0,
            expires_at: T0 + Duration::hours(1),
            status,
        };
        let pending = change(InvitationStatus::Pending);
        assert_eq!(pending.usable_at(T0 + Duration::minutes(59)), Ok(()));
        assert_eq!(
            pending.usable_at(T0 + Duration::hours(1)),
            Err(InvitationError::Expired)
        );
        assert_eq!(
            change(InvitationStatus::Used(T0)).usable_at(T0),
            Err(InvitationError::Used)
        );
        assert_eq!(
            change(InvitationStatus::Superseded(T0)).usable_at(T0),
            Err(InvitationError::Superseded)
        );
    }
}
