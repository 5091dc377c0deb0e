//! Passwords: the LA's rules plus the safeguards of docs/SECURITY.md, and the hashing port.
//!
//! [`PasswordPolicy::check`] returns **every** broken rule at once, so the page can list them
//! all. Hashing sits behind the [`PasswordHasher`] port ([`hasher`]) with an argon2id
//! implementation; tests use the fast hasher of `test-support`.

pub mod hasher;

pub use hasher::{Argon2idHasher, Argon2idParams, HashError, PasswordHash, PasswordHasher};

use std::fmt;
use unicode_normalization::UnicodeNormalization;

use crate::account::EmailAddress;

/// A password as the person typed it, normalised to Unicode NFC (so `é` typed as one code point
/// or as `e` + combining accent is the same password). Its `Debug` never shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Normalises `input` to NFC and refuses anything longer than `max_chars` code points
    /// before it is ever hashed (docs/SECURITY.md: the same limit at registration and sign-in).
    ///
    /// # Errors
    /// [`PasswordRule::TooLong`] when longer than `max_chars`.
    pub fn new(input: &str, max_chars: usize) -> Result<Self, PasswordRule> {
        // Count on the raw input first: NFC never makes a string longer than four times, and a
        // huge paste must not be normalised at all.
        if input.chars().count() > max_chars.saturating_mul(4) {
            return Err(PasswordRule::TooLong { max: max_chars });
        }
        let normalised: String = input.nfc().collect();
        if normalised.chars().count() > max_chars {
            return Err(PasswordRule::TooLong { max: max_chars });
        }
        Ok(Self(normalised))
    }

    /// The NFC text, for the hasher only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<hidden>)")
    }
}

/// One broken password rule. `Display` is the message shown to the person (GOV.UK style);
/// [`PasswordRule::code`] is a stable machine name (the names used by
/// shared/acceptance/passwords.tsv).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRule {
    /// Fewer than `min` code points after NFC.
    #[error("Password must be {min} characters or more")]
    TooShort {
        /// The LA's minimum length, in Unicode code points.
        min: usize,
    },
    /// No character that is neither a letter, a digit nor white space.
    #[error("Password must contain at least one symbol, such as ? ! £ %")]
    NoSymbol,
    /// No Unicode upper-case letter.
    #[error("Password must contain at least one capital letter")]
    NoCapital,
    /// More than `max` code points (refused before hashing).
    #[error("Password must be {max} characters or fewer")]
    TooLong {
        /// The limit, in Unicode code points.
        max: usize,
    },
    /// On the list of common passwords.
    #[error(
        "Password is too easy to guess because many people use it. Choose a different password"
    )]
    TooCommon,
    /// Contains the person's own e-mail address (or the part before the `@`).
    #[error("Password must not contain your email address")]
    ContainsEmail,
    /// Contains `word`, a word of the service's context: its name (`ehc`) or a distinctive
    /// word of the LA's name (ASVS 5.0 6.1.2, 6.2.11;
    /// [`crate::settings::SecuritySettings::context_words`]).
    #[error(
        "Password must not contain “{word}”, which is part of the name of this service or of the local authority"
    )]
    ContainsServiceName {
        /// The word found (lower case).
        word: String,
    },
    /// The confirmation differs from the password.
    #[error("Passwords do not match. Enter the same password in both fields")]
    Mismatch,
}

impl PasswordRule {
    /// Stable machine name: `too_short`, `no_symbol`, `no_capital`, `too_long`, `too_common`,
    /// `contains_email`, `contains_service_name` or `mismatch`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooShort { .. } => "too_short",
            Self::NoSymbol => "no_symbol",
            Self::NoCapital => "no_capital",
            Self::TooLong { .. } => "too_long",
            Self::TooCommon => "too_common",
            Self::ContainsEmail => "contains_email",
            Self::ContainsServiceName { .. } => "contains_service_name",
            Self::Mismatch => "mismatch",
        }
    }
}

/// Every rule a password broke, in a fixed order (length, symbol, capital, safeguards,
/// confirmation). Never empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the password breaks {} rule(s)", .0.len())]
pub struct PasswordViolations(pub Vec<PasswordRule>);

impl PasswordViolations {
    /// The broken rules.
    pub fn rules(&self) -> &[PasswordRule] {
        &self.0
    }
}

/// The LA's password rules (configurable; defaults from docs/SECURITY.md).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PasswordPolicy {
    /// Minimum length in Unicode code points after NFC (default 8).
    pub min_chars: usize,
    /// Maximum length in code points, the same at registration and sign-in (default 256).
    pub max_chars: usize,
    /// At least one symbol: a character that is neither letter, digit nor white space (default on).
    pub require_symbol: bool,
    /// At least one Unicode upper-case letter (default on).
    pub require_capital: bool,
}

impl Default for PasswordPolicy {
    fn default() -> Self {
        Self {
            min_chars: 8,
            max_chars: 256,
            require_symbol: true,
            require_capital: true,
        }
    }
}

/// Whether `password` (NFC) is on the common-passwords list of the `passwords` crate (about
/// 100 000 passwords from public breach corpora). Matched case-insensitively: the password as
/// typed and its lower-case form are both looked up.
pub fn is_common(password: &str) -> bool {
    passwords::analyzer::is_common_password(password)
        || passwords::analyzer::is_common_password(password.to_lowercase())
}

impl PasswordPolicy {
    /// Checks a new password and its confirmation for `email`'s account, with no context words
    /// (the hub itself uses [`PasswordPolicy::check_in_context`] through
    /// [`crate::settings::SecuritySettings::check_new_password`]).
    ///
    /// Returns the NFC [`Password`] to hash, or every rule it breaks.
    ///
    /// # Errors
    /// [`PasswordViolations`] listing each broken [`PasswordRule`].
    pub fn check(
        &self,
        password: &str,
        confirmation: &str,
        email: &EmailAddress,
    ) -> Result<Password, PasswordViolations> {
        self.check_in_context(password, confirmation, email, &[])
    }

    /// As [`PasswordPolicy::check`], and refuses a password containing any of `context_words`
    /// (lower case; compared with the password in lower case) with
    /// [`PasswordRule::ContainsServiceName`].
    ///
    /// # Errors
    /// [`PasswordViolations`] listing each broken [`PasswordRule`].
    pub fn check_in_context(
        &self,
        password: &str,
        confirmation: &str,
        email: &EmailAddress,
        context_words: &[String],
    ) -> Result<Password, PasswordViolations> {
        let nfc = self.bounded_nfc(password);
        let length = nfc.chars().count();
        let mut broken = Vec::new();
        if length < self.min_chars {
            broken.push(PasswordRule::TooShort {
                min: self.min_chars,
            });
        }
        if self.require_symbol && !nfc.chars().any(is_symbol) {
            broken.push(PasswordRule::NoSymbol);
        }
        if self.require_capital && !nfc.chars().any(is_capital) {
            broken.push(PasswordRule::NoCapital);
        }
        if length > self.max_chars {
            broken.push(PasswordRule::TooLong {
                max: self.max_chars,
            });
        } else {
            if is_common(&nfc) {
                broken.push(PasswordRule::TooCommon);
            }
            if contains_email(&nfc, email) {
                broken.push(PasswordRule::ContainsEmail);
            }
            let lower = nfc.to_lowercase();
            if let Some(word) = context_words.iter().find(|w| lower.contains(w.as_str())) {
                broken.push(PasswordRule::ContainsServiceName { word: word.clone() });
            }
        }
        if nfc != self.bounded_nfc(confirmation) {
            broken.push(PasswordRule::Mismatch);
        }
        if broken.is_empty() {
            Ok(Password(nfc))
        } else {
            Err(PasswordViolations(broken))
        }
    }
}

/// A capital: a Unicode upper-case or title-case letter (general category Lu or Lt; `É` counts,
/// the circled letter `Ⓐ` and the Roman numeral `Ⅻ` do not).
fn is_capital(c: char) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    matches!(
        c.general_category(),
        GeneralCategory::UppercaseLetter | GeneralCategory::TitlecaseLetter
    )
}

/// A symbol: neither a letter (general category L*), a decimal digit (Nd) nor white space. So
/// `£ ? ! % € #` count, and so do `²` and `½` (numbers, but not digits).
fn is_symbol(c: char) -> bool {
    use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};
    !(c.general_category_group() == GeneralCategoryGroup::Letter
        || c.general_category() == unicode_properties::GeneralCategory::DecimalNumber
        || c.is_whitespace())
}

impl PasswordPolicy {
    /// NFC of `input`, except that a paste longer than four times the limit is cut just past the
    /// limit instead of normalised (it fails on length whatever its normal form).
    fn bounded_nfc(&self, input: &str) -> String {
        let limit = self.max_chars.saturating_add(1);
        if input.chars().count() > self.max_chars.saturating_mul(4) {
            input.chars().take(limit).collect()
        } else {
            input.nfc().collect()
        }
    }
}

/// Whether the password contains the whole address, or the part before the `@` when that part is
/// at least 4 characters long (shorter local parts such as `jo` are common letter pairs).
fn contains_email(password: &str, email: &EmailAddress) -> bool {
    let lower = password.to_lowercase();
    let canonical = email.canonical();
    let local = canonical.split('@').next().unwrap_or(canonical);
    lower.contains(canonical) || (local.chars().count() >= 4 && lower.contains(local))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn email() -> EmailAddress {
        EmailAddress::parse("jo.bloggs@example.gov.uk").unwrap()
    }

    fn codes(result: Result<Password, PasswordViolations>) -> Vec<&'static str> {
        match result {
            Ok(_) => vec![],
            Err(v) => v.rules().iter().map(PasswordRule::code).collect(),
        }
    }

    #[test]
    fn characters_are_code_points_after_nfc_not_bytes() {
        let policy = PasswordPolicy::default();
        // "Abcdef£" is 7 code points (8 bytes): too short.
        assert_eq!(
            codes(policy.check("Abcdef£", "Abcdef£", &email())),
            ["too_short"]
        );
        // 'É' as E + U+0301 is one character after NFC, and a capital.
        let decomposed = "E\u{301}toile-du-nord";
        let p = policy.check(decomposed, decomposed, &email()).unwrap();
        assert_eq!(p.expose(), "\u{c9}toile-du-nord");
    }

    #[test]
    fn every_broken_rule_is_reported_at_once() {
        let policy = PasswordPolicy::default();
        assert_eq!(
            codes(policy.check("hb1", "hb2", &email())),
            ["too_short", "no_symbol", "no_capital", "mismatch"]
        );
    }

    #[test]
    fn capitals_are_upper_case_letters_and_symbols_are_neither_letters_digits_nor_spaces() {
        let policy = PasswordPolicy::default();
        for (pw, expected) in [
            ("harbour!lights\u{1f88}", vec![]), // ᾈ is a title-case letter: a capital
            ("harbour!lights\u{24b6}", vec!["no_capital"]), // Ⓐ is a symbol, not a letter
            ("harbour!lights\u{216b}", vec!["no_capital"]), // Ⅻ is a number
            ("Harbourlights\u{b2}", vec![]),    // ² is not a decimal digit
            ("Harbourlights\u{bd}", vec![]),    // ½ neither
            ("Harbourlights\u{665}", vec!["no_symbol"]), // ٥ is a decimal digit
        ] {
            assert_eq!(codes(policy.check(pw, pw, &email())), expected, "{pw}");
        }
    }

    #[test]
    fn common_passwords_are_refused_whatever_their_case() {
        let policy = PasswordPolicy::default();
        assert_eq!(
            codes(policy.check("P@ssw0rd", "P@ssw0rd", &email())),
            ["too_common"]
        );
        assert!(is_common("PASSWORD"));
        assert!(!is_common("Harbour!Lights9"));
    }

    #[test]
    fn a_password_containing_the_address_is_refused() {
        let policy = PasswordPolicy::default();
        let pw = "Jo.Bloggs@Example.gov.uk!";
        assert_eq!(codes(policy.check(pw, pw, &email())), ["contains_email"]);
        let pw = "My-JO.BLOGGS-Pass";
        assert_eq!(codes(policy.check(pw, pw, &email())), ["contains_email"]);
    }

    #[test]
    fn too_long_input_is_refused_before_hashing() {
        let long = format!("A!{}", "a".repeat(298));
        assert_eq!(
            Password::new(&long, 256),
            Err(PasswordRule::TooLong { max: 256 })
        );
        let policy = PasswordPolicy::default();
        assert_eq!(codes(policy.check(&long, &long, &email())), ["too_long"]);
        assert!(Password::new(&"a".repeat(256), 256).is_ok());
    }

    #[test]
    fn debug_never_shows_the_password() {
        let p = Password::new("Harbour!Lights9", 256).unwrap();
        assert!(!format!("{p:?}").contains("Harbour"));
    }

    #[test]
    fn context_words_are_refused_whatever_their_case() {
        let policy = PasswordPolicy::default();
        let words = ["ehc".to_owned(), "anytown".to_owned()];
        for pw in ["MyEHC!plan9", "ANYTOWN#2026x", "x!anyTown99Q"] {
            assert_eq!(
                codes(policy.check_in_context(pw, pw, &email(), &words)),
                ["contains_service_name"],
                "{pw}"
            );
            assert_eq!(codes(policy.check(pw, pw, &email())), Vec::<&str>::new());
        }
        let fine = "Harbour!Lights9";
        assert!(
            policy
                .check_in_context(fine, fine, &email(), &words)
                .is_ok()
        );
    }

    proptest! {
        #[test]
        fn the_policy_never_panics(pw in any::<String>(), confirm in any::<String>()) {
            let _ = PasswordPolicy::default().check(&pw, &confirm, &email());
            let _ = Password::new(&pw, 256);
        }

        #[test]
        fn a_violation_list_is_never_empty_and_ok_means_no_rule_broken(pw in "\\PC{0,20}") {
            match PasswordPolicy::default().check(&pw, &pw, &email()) {
                Ok(p) => {
                    prop_assert!(p.expose().chars().count() >= 8);
                    // A capital is an upper-case or title-case letter: a letter that is not
                    // lower case and changes when lower-cased (`ᾈ`, title case, counts).
                    prop_assert!(p.expose().chars().any(|c| c.is_uppercase()
                        || (c.is_alphabetic()
                            && !c.is_lowercase()
                            && !c.to_lowercase().eq(std::iter::once(c)))));
                }
                Err(v) => prop_assert!(!v.rules().is_empty()),
            }
        }
    }
}
