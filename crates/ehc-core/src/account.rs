//! Accounts: a person known by their e-mail address (the user name), with a password hash.
//!
//! Model ([`EmailAddress`], [`AccountId`], [`Account`]), errors ([`EmailError`],
//! [`AccountError`]) and the [`AccountRepository`] port. Creating accounts is the registration
//! service's job ([`crate::registration`]).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::fmt;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::password::PasswordHash;
use crate::ports::{RandomnessUnavailable, SecretSource, StoreError};

/// Longest address accepted, in bytes (RFC 5321 §4.5.3.1.3 path limit less the angle brackets).
pub const MAX_EMAIL_LEN: usize = 254;

/// A syntactically valid e-mail address, trimmed of surrounding white space.
///
/// Identity is case-insensitive: `Jo.Bloggs@Example.GOV.UK` and `jo.bloggs@example.gov.uk` are
/// the same person (docs/SECURITY.md), so equality, hashing and [`EmailAddress::canonical`] use
/// the lower-case form, while [`EmailAddress::as_entered`] keeps what the person typed.
#[derive(Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress {
    entered: String,
    canonical: String,
}

/// Why a string is not an e-mail address. Each message is fit to show next to the field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EmailError {
    /// Nothing but white space was given.
    #[error("Enter an email address")]
    Empty,
    /// Longer than [`MAX_EMAIL_LEN`] bytes.
    #[error("Email address must be 254 characters or fewer")]
    TooLong,
    /// Not of the form `name@example.com`.
    #[error("Enter an email address in the correct format, like name@example.com")]
    Invalid,
}

impl EmailAddress {
    /// Parses user input: trims white space, then checks RFC 5322 address syntax (the
    /// `email_address` crate) and requires a domain with at least one dot.
    ///
    /// # Errors
    /// [`EmailError::Empty`], [`EmailError::TooLong`] or [`EmailError::Invalid`].
    pub fn parse(input: &str) -> Result<Self, EmailError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(EmailError::Empty);
        }
        if trimmed.len() > MAX_EMAIL_LEN {
            return Err(EmailError::TooLong);
        }
        let parsed = email_address::EmailAddress::parse_with_options(
            trimmed,
            email_address::Options::default().without_display_text(),
        )
        .map_err(|_| EmailError::Invalid)?;
        let domain = parsed.domain();
        if !domain.contains('.') || domain.starts_with('[') || domain.ends_with('.') {
            return Err(EmailError::Invalid);
        }
        Ok(Self {
            entered: trimmed.to_owned(),
            canonical: canonical_form(trimmed, domain)?,
        })
    }

    /// The address as the person typed it (trimmed), for display and for sending mail.
    pub fn as_entered(&self) -> &str {
        &self.entered
    }

    /// The lower-case form that identifies the account; storage keys uniqueness on it.
    pub fn canonical(&self) -> &str {
        &self.canonical
    }
}

/// The identity of an address: the local part normalised to NFC and case-folded (Unicode
/// default case folding: `ΑΣ` and `ας` are one, `José` typed either way is one), `@`, and the
/// domain in its IDNA ASCII form, lower case (`exämple.gov.uk` is `xn--exmple-cua.gov.uk`).
fn canonical_form(address: &str, domain: &str) -> Result<String, EmailError> {
    use unicode_normalization::UnicodeNormalization;
    let local = &address[..address.len() - domain.len() - 1];
    let nfc: String = local.nfc().collect();
    let folded: String = caseless::default_case_fold_str(&nfc).nfc().collect();
    let domain = idna::domain_to_ascii(domain).map_err(|_| EmailError::Invalid)?;
    Ok(format!("{folded}@{}", domain.to_lowercase()))
}

impl PartialEq for EmailAddress {
    fn eq(&self, other: &Self) -> bool {
        self.canonical == other.canonical
    }
}
impl Eq for EmailAddress {}
impl std::hash::Hash for EmailAddress {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.canonical.hash(state);
    }
}
impl fmt::Debug for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmailAddress({})", self.entered)
    }
}
impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.entered)
    }
}
impl TryFrom<String> for EmailAddress {
    type Error = EmailError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}
impl From<EmailAddress> for String {
    fn from(value: EmailAddress) -> Self {
        value.entered
    }
}

/// An account's identifier: a random (version 4) UUID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AccountId(pub Uuid);

impl AccountId {
    /// A new random id from `secrets`.
    ///
    /// # Errors
    /// [`RandomnessUnavailable`] from the source.
    pub fn generate(secrets: &dyn SecretSource) -> Result<Self, RandomnessUnavailable> {
        random_uuid(secrets).map(Self)
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A version 4 UUID made from 16 bytes of `secrets`.
///
/// # Errors
/// [`RandomnessUnavailable`] from the source.
pub fn random_uuid(secrets: &dyn SecretSource) -> Result<Uuid, RandomnessUnavailable> {
    let mut bytes = [0u8; 16];
    secrets.fill(&mut bytes)?;
    Ok(uuid::Builder::from_random_bytes(bytes).into_uuid())
}

/// A registered person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// Stable identifier.
    pub id: AccountId,
    /// The user name; unique, compared case-insensitively.
    pub email: EmailAddress,
    /// The argon2id PHC string of the password (see [`crate::password`]).
    pub password_hash: PasswordHash,
    /// When registration completed.
    pub created_at: OffsetDateTime,
}

/// Why an account could not be stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccountError {
    /// Another account already has this address (compared case-insensitively); the adapter maps
    /// its unique constraint on the canonical address to this.
    #[error("an account with this email address already exists")]
    EmailTaken,
    /// A storage fault.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Storage of accounts.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AccountRepository: Send {
    /// Stores a new account.
    ///
    /// # Errors
    /// [`AccountError::EmailTaken`] when the canonical address is already used (never two
    /// accounts for one address, even under concurrent registrations);
    /// [`AccountError::Store`] on a fault.
    async fn insert(&mut self, account: &Account) -> Result<(), AccountError>;

    /// The account whose canonical address equals `email`'s.
    ///
    /// # Errors
    /// [`StoreError`] on a fault; a missing account is `Ok(None)`.
    async fn find_by_email(&mut self, email: &EmailAddress) -> Result<Option<Account>, StoreError>;

    /// The account with this id.
    ///
    /// # Errors
    /// [`StoreError`] on a fault; a missing account is `Ok(None)`.
    async fn get(&mut self, id: AccountId) -> Result<Option<Account>, StoreError>;

    /// The accounts with these ids, in any order; unknown ids are skipped (one query, for
    /// lists of people).
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn get_many(&mut self, ids: &[AccountId]) -> Result<Vec<Account>, StoreError>;

    /// Replaces the stored password hash (re-hash on sign-in with new parameters).
    ///
    /// # Errors
    /// [`StoreError`] on a fault; an unknown id changes nothing and is not an error.
    async fn set_password_hash(
        &mut self,
        id: AccountId,
        hash: &PasswordHash,
    ) -> Result<(), StoreError>;

    /// Replaces the account's address (a confirmed *Change your email address*).
    ///
    /// # Errors
    /// [`AccountError::EmailTaken`] when another account has the canonical address (the
    /// unique constraint decides, also under concurrent changes and registrations);
    /// [`AccountError::Store`] on a fault. An unknown id changes nothing and is not an error.
    async fn set_email(&mut self, id: AccountId, email: &EmailAddress) -> Result<(), AccountError>;

    /// Ends every session of the account begun before `at`: from then on a sign-in state of
    /// the account whose instant is earlier than `at` counts as signed out
    /// ([`crate::sign_in::SignInService::check_session`]). A later call replaces the instant.
    ///
    /// # Errors
    /// [`StoreError`] on a fault; an unknown id changes nothing and is not an error.
    async fn end_sessions(&mut self, id: AccountId, at: OffsetDateTime) -> Result<(), StoreError>;

    /// When the account's sessions were last ended by [`AccountRepository::end_sessions`], if
    /// ever.
    ///
    /// # Errors
    /// [`StoreError`] on a fault; an unknown id is `Ok(None)`.
    async fn sessions_ended_at(
        &mut self,
        id: AccountId,
    ) -> Result<Option<OffsetDateTime>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn an_address_is_trimmed_and_matched_case_insensitively() {
        let a = EmailAddress::parse("  Jo.Bloggs@Example.GOV.UK ").unwrap();
        let b = EmailAddress::parse("jo.bloggs@example.gov.uk").unwrap();
        assert_eq!(a, b);
        assert_eq!(a.as_entered(), "Jo.Bloggs@Example.GOV.UK");
        assert_eq!(a.canonical(), "jo.bloggs@example.gov.uk");
    }

    #[test]
    fn one_address_is_one_identity_across_case_folding_normal_forms_and_idna() {
        let same = |a: &str, b: &str| {
            assert_eq!(
                EmailAddress::parse(a).unwrap(),
                EmailAddress::parse(b).unwrap(),
                "{a} / {b}"
            );
        };
        same(
            "\u{3b1}\u{3c3}@example.gov.uk",
            "\u{391}\u{3a3}@example.gov.uk",
        );
        same("jos\u{e9}@example.gov.uk", "jose\u{301}@example.gov.uk");
        same("Jo@ex\u{e4}mple.gov.uk", "jo@xn--exmple-cua.gov.uk");
        same("STRASSE@example.org", "stra\u{df}e@example.org");
        assert_ne!(
            EmailAddress::parse("jo@example.org").unwrap(),
            EmailAddress::parse("j.o@example.org").unwrap()
        );
    }

    #[test]
    fn invalid_addresses_get_a_message_for_the_user() {
        assert_eq!(EmailAddress::parse("   "), Err(EmailError::Empty));
        assert_eq!(EmailAddress::parse("jo.bloggs"), Err(EmailError::Invalid));
        assert_eq!(
            EmailAddress::parse("jo@localhost"),
            Err(EmailError::Invalid)
        );
        assert_eq!(
            EmailAddress::parse("jo@@example.org"),
            Err(EmailError::Invalid)
        );
        assert_eq!(
            EmailAddress::parse("Jo Bloggs <jo@example.org>"),
            Err(EmailError::Invalid)
        );
        let long = format!("{}@example.org", "a".repeat(250));
        assert_eq!(EmailAddress::parse(&long), Err(EmailError::TooLong));
        assert!(
            EmailError::Invalid
                .to_string()
                .contains("like name@example.com")
        );
    }

    proptest! {
        #[test]
        fn parse_never_panics(input in any::<String>()) {
            let _ = EmailAddress::parse(&input);
        }

        #[test]
        fn a_parsed_address_reparses_to_itself(input in "[a-zA-Z0-9._%+-]{1,20}@[a-zA-Z0-9-]{1,20}\\.[a-zA-Z]{2,6}") {
            if let Ok(a) = EmailAddress::parse(&input) {
                let again = EmailAddress::parse(a.as_entered()).unwrap();
                prop_assert_eq!(again.canonical(), a.canonical());
            }
        }
    }
}
