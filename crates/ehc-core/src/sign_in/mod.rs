//! The sign-in journey as an explicit state machine.
//!
//! ```text
//!                    password right            choose app
//!   Anonymous ───────────────────────▶ ChoosingMethod ───────────▶ AppSetUp ──code──▶ SignedIn
//!      │  ▲          (no 2nd factor)      │   ▲   ▲ start again       │ start again      ▲
//!      │  │                              text │   └──────────────────────┘                 │
//!      │  │                                 ▼   │ start again                            │
//!      │  │                              TextSetUp ──mobile──▶ TextSetUpCodeSent ──code────┤
//!      │  │                                                      │ ▲ resend              │
//!      │  │  sign out (from any state)                           └─┘                     │
//!      │  └──────────────────────────────────────────────────────────────────────────────┤
//!      │ password right, app enrolled                                                    │
//!      ├──────────────────────────────▶ AppChallenge ────────────code─────────────────────┤
//!      │ password right, text enrolled (the password step texts a code)                  │
//!      └──────────────────────────────▶ TextChallenge ───────────code─────────────────────┘
//!                                          │ ▲ resend
//!                                          └─┘
//! ```
//!
//! A code accepted in any of the code states (or, in `AppChallenge` and `TextChallenge`, one of
//! the person's recovery codes instead) signs in; when the account has no unused recovery code
//! left (at set-up, or because it set up its second factor before recovery codes existed, or
//! used them all), a new set is handed to the page once ([`Notice`]) and stored when the person
//! says they saved it ([`SignInService::keep_recovery_codes`]).
//!
//! Every state between the password and the code ("half signed in") carries the instant the
//! password was accepted and lasts 10 minutes by default; it opens nothing else. Transitions are
//! one `match` on (state, input) in [`SignInService::handle`]; every pair not listed there is
//! refused with [`SignInError::NotAllowed`]. Failures are counted per account by
//! [`crate::lockout`], so restarting the journey does not reset them.

mod service;

pub use service::SignInService;
pub(crate) use service::queue_code;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::account::{AccountId, EmailAddress};
use crate::outbox::MessageId;
use crate::password::HashError;
use crate::ports::{RandomnessUnavailable, StoreError};
use crate::second_factor::{
    Method, OtpCodeError, PhoneError, PhoneNumber, RecoveryCode, RecoveryCodeError, TotpSecret,
};

/// Where one browser session stands in the journey. Kept server-side in the session store
/// (it holds the TOTP secret during app set-up).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum SignInState {
    /// Not signed in.
    #[default]
    Anonymous,
    /// Password right; the account has no second factor yet: *Smartphone or tablet app* or
    /// *Text message*.
    ChoosingMethod {
        /// The account.
        account: AccountId,
        /// Its address (for the otpauth label).
        email: EmailAddress,
        /// When the password was accepted.
        password_at: OffsetDateTime,
    },
    /// App chosen: the key is shown, a first code is awaited.
    AppSetUp {
        /// The account.
        account: AccountId,
        /// Its address (for the otpauth label).
        email: EmailAddress,
        /// When the password was accepted.
        password_at: OffsetDateTime,
        /// The new secret, stored only once a code proves the app has it.
        secret: TotpSecret,
    },
    /// Text chosen: a mobile number is awaited.
    TextSetUp {
        /// The account.
        account: AccountId,
        /// Its address.
        email: EmailAddress,
        /// When the password was accepted.
        password_at: OffsetDateTime,
    },
    /// A code was texted to the number being set up.
    TextSetUpCodeSent {
        /// The account.
        account: AccountId,
        /// Its address.
        email: EmailAddress,
        /// When the password was accepted.
        password_at: OffsetDateTime,
        /// The number, stored once a code proves the person has it.
        phone: PhoneNumber,
    },
    /// App enrolled: a code is awaited.
    AppChallenge {
        /// The account.
        account: AccountId,
        /// When the password was accepted.
        password_at: OffsetDateTime,
    },
    /// Text enrolled: a code was (or could not be) sent by the password step.
    TextChallenge {
        /// The account.
        account: AccountId,
        /// When the password was accepted.
        password_at: OffsetDateTime,
        /// The enrolled number (pages show only its last digits).
        phone: PhoneNumber,
    },
    /// Both factors passed.
    SignedIn {
        /// The account.
        account: AccountId,
        /// When the second factor was accepted.
        at: OffsetDateTime,
    },
}

impl SignInState {
    /// The account, in every state but `Anonymous`.
    pub fn account(&self) -> Option<AccountId> {
        match self {
            Self::Anonymous => None,
            Self::ChoosingMethod { account, .. }
            | Self::AppSetUp { account, .. }
            | Self::TextSetUp { account, .. }
            | Self::TextSetUpCodeSent { account, .. }
            | Self::AppChallenge { account, .. }
            | Self::TextChallenge { account, .. }
            | Self::SignedIn { account, .. } => Some(*account),
        }
    }

    /// The account, only when fully signed in: the one test every protected page makes.
    pub fn signed_in_account(&self) -> Option<AccountId> {
        match self {
            Self::SignedIn { account, .. } => Some(*account),
            _ => None,
        }
    }

    /// When the password was accepted, in the half-signed-in states.
    pub fn password_at(&self) -> Option<OffsetDateTime> {
        match self {
            Self::ChoosingMethod { password_at, .. }
            | Self::AppSetUp { password_at, .. }
            | Self::TextSetUp { password_at, .. }
            | Self::TextSetUpCodeSent { password_at, .. }
            | Self::AppChallenge { password_at, .. }
            | Self::TextChallenge { password_at, .. } => Some(*password_at),
            Self::Anonymous | Self::SignedIn { .. } => None,
        }
    }

    /// The instant this state's sign-in began to count: when the password was accepted in the
    /// half-signed-in states, when the second factor was accepted once signed in. A session
    /// whose instant is earlier than the account's last
    /// [`crate::account::AccountRepository::end_sessions`] is over.
    pub fn since(&self) -> Option<OffsetDateTime> {
        match self {
            Self::SignedIn { at, .. } => Some(*at),
            other => other.password_at(),
        }
    }

    /// Whether a half-signed-in state has outlived `half_signed_in_for` at `now`.
    pub fn has_expired(&self, now: OffsetDateTime, half_signed_in_for: time::Duration) -> bool {
        self.password_at()
            .is_some_and(|at| now >= at + half_signed_in_for)
    }

    /// A stable name for logs and errors (`anonymous`, `app-set-up`, …).
    pub fn name(&self) -> &'static str {
        match self {
            Self::Anonymous => "anonymous",
            Self::ChoosingMethod { .. } => "choosing-method",
            Self::AppSetUp { .. } => "app-set-up",
            Self::TextSetUp { .. } => "text-set-up",
            Self::TextSetUpCodeSent { .. } => "text-set-up-code-sent",
            Self::AppChallenge { .. } => "app-challenge",
            Self::TextChallenge { .. } => "text-challenge",
            Self::SignedIn { .. } => "signed-in",
        }
    }
}

/// What the person did: one form post.
#[derive(Clone, PartialEq, Eq)]
pub enum SignInInput {
    /// *Sign in*: e-mail address and password, as typed.
    Password {
        /// The address typed.
        email: String,
        /// The password typed.
        password: String,
    },
    /// *Continue* on the method choice.
    ChooseMethod(Method),
    /// *Send code* with a mobile number, as typed.
    MobileNumber(String),
    /// *Submit* / *Log in* with a code, as typed.
    Code(String),
    /// *Use a recovery code instead*: one recovery code, as typed, in place of the app's or
    /// the texted code.
    RecoveryCode(String),
    /// *Resend log in code*.
    Resend,
    /// *start again*: back to the method choice.
    StartAgain,
    /// *Sign out*.
    SignOut,
}

impl SignInInput {
    /// A stable name for logs and errors.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Password { .. } => "password",
            Self::ChooseMethod(_) => "choose-method",
            Self::MobileNumber(_) => "mobile-number",
            Self::Code(_) => "code",
            Self::RecoveryCode(_) => "recovery-code",
            Self::Resend => "resend",
            Self::StartAgain => "start-again",
            Self::SignOut => "sign-out",
        }
    }
}

impl std::fmt::Debug for SignInInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print a password or code.
        write!(f, "SignInInput::{}", self.name())
    }
}

/// Something the page must tell the person besides the new state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// Signed in, and the account has no unused recovery code (a new second factor, one set up
    /// before recovery codes existed, or the last one used): show these once; they work from
    /// [`SignInService::keep_recovery_codes`] on (the person says they saved them).
    RecoveryCodesIssued(Vec<RecoveryCode>),
    /// Signed in with few unused recovery codes left (at most
    /// [`crate::second_factor::FEW_RECOVERY_CODES`]).
    FewRecoveryCodesLeft {
        /// Unused codes left.
        left: u32,
    },
    /// A code was texted: queued in the outbox as this message (whose delivery the code page
    /// follows, to say when sending is delayed).
    CodeSent {
        /// The text's outbox id.
        message: MessageId,
    },
    /// No text was sent: the send limit is reached until `retry_at`.
    SendLimitReached {
        /// When texts can be sent again.
        retry_at: OffsetDateTime,
    },
}

/// The result of one accepted input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// The new state (the web layer issues a new session id when it changes from anonymous or to
    /// signed in).
    pub state: SignInState,
    /// What to tell the person, if anything.
    pub notice: Option<Notice>,
}

/// Why an input was refused. Except for [`SignInError::Expired`] (back to `Anonymous`), the
/// state stays as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignInError {
    /// Unknown address or wrong password: one message for both (no enumeration).
    #[error("Enter a correct email address and password")]
    WrongCredentials,
    /// The password is longer than the limit; refused before hashing.
    #[error("Password must be {max} characters or fewer")]
    PasswordTooLong {
        /// The limit in characters.
        max: usize,
    },
    /// Too many wrong passwords.
    #[error("You have entered the wrong password too many times. Try again after {until}")]
    PasswordLocked {
        /// When password sign-in opens again.
        until: OffsetDateTime,
    },
    /// The code is not 6 digits.
    #[error(transparent)]
    InvalidCode(#[from] OtpCodeError),
    /// The recovery code typed is not in the code's form.
    #[error(transparent)]
    InvalidRecoveryCode(#[from] RecoveryCodeError),
    /// A wrong, used or expired code.
    #[error("The security code is not correct or has expired")]
    WrongCode,
    /// Too many wrong codes.
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
    /// A second factor was set up meanwhile (another tab): sign in again.
    #[error("Your second factor has already been set up. Sign in again")]
    AlreadyEnrolled,
    /// The half-signed-in state timed out: sign in again.
    #[error("You took too long. Sign in again")]
    Expired,
    /// The input makes no sense in this state (e.g. a code before the password).
    #[error("that step is not possible now ({state} × {input})")]
    NotAllowed {
        /// The state's name.
        state: &'static str,
        /// The input's name.
        input: &'static str,
    },
    /// Hashing failed.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// No randomness.
    #[error(transparent)]
    Randomness(#[from] RandomnessUnavailable),
    /// A storage fault.
    #[error(transparent)]
    Store(#[from] StoreError),
}
