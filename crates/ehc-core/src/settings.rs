//! The security settings of one LA's hub: every number of docs/SECURITY.md, with its default.
//! The bin crate reads them from the configuration file; services take them by value.

use serde::{Deserialize, Serialize};
use time::Duration;

use crate::account::EmailAddress;
use crate::lockout::LockoutPolicy;
use crate::password::{Password, PasswordPolicy, PasswordViolations};
use crate::second_factor::SmsSendLimit;

/// All sign-in and registration rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecuritySettings {
    /// The LA's name: the TOTP issuer shown in authenticator apps and the sender of texts.
    pub la_name: String,
    /// Password rules.
    pub password: PasswordPolicy,
    /// How long a registration link works (default 7 days).
    #[serde(with = "duration_seconds")]
    pub invitation_valid_for: Duration,
    /// *Send me a new link*: at most one new registration link per address within this time
    /// (default 10 minutes).
    #[serde(with = "duration_seconds")]
    pub new_link_interval: Duration,
    /// How long a *Reset your password* link works (default 1 hour).
    #[serde(with = "duration_seconds")]
    pub password_reset_valid_for: Duration,
    /// At most one reset e-mail per account within this time (default 1 minute): a quick second
    /// request sends nothing more, so the form cannot flood a mailbox.
    #[serde(with = "duration_seconds")]
    pub password_reset_interval: Duration,
    /// How long a confirmed password opens the account changes (default 10 minutes).
    #[serde(with = "duration_seconds")]
    pub reauthentication_valid_for: Duration,
    /// How long a *Change your email address* link works (default 1 hour).
    #[serde(with = "duration_seconds")]
    pub email_change_valid_for: Duration,
    /// At most one *Change your email address* e-mail per account within this time (default
    /// 1 minute): a quick second request sends nothing, so the form cannot flood a mailbox.
    #[serde(with = "duration_seconds")]
    pub email_change_interval: Duration,
    /// How long the half-signed-in state (password right, second factor not yet) lasts
    /// (default 10 minutes).
    #[serde(with = "duration_seconds")]
    pub half_signed_in_for: Duration,
    /// Wrong passwords (default 6 → 15 minutes).
    pub password_lockout: LockoutPolicy,
    /// Wrong codes (default 5 → 15 minutes).
    pub code_lockout: LockoutPolicy,
    /// How long a texted code works (default 10 minutes).
    #[serde(with = "duration_seconds")]
    pub sms_code_valid_for: Duration,
    /// Texts per account per window (default 5 an hour).
    pub sms_send_limit: SmsSendLimit,
    /// Accept Ofcom's drama numbers (07700 900000–900999) as mobiles: demo and tests only.
    pub allow_drama_numbers: bool,
}

impl Default for SecuritySettings {
    fn default() -> Self {
        Self {
            la_name: "Local Authority".to_owned(),
            password: PasswordPolicy::default(),
            invitation_valid_for: Duration::days(7),
            new_link_interval: Duration::minutes(10),
            password_reset_valid_for: Duration::hours(1),
            password_reset_interval: Duration::minutes(1),
            reauthentication_valid_for: Duration::minutes(10),
            email_change_valid_for: Duration::hours(1),
            email_change_interval: Duration::minutes(1),
            half_signed_in_for: Duration::minutes(10),
            password_lockout: LockoutPolicy {
                max_failures: 6,
                lock_for: Duration::minutes(15),
            },
            code_lockout: LockoutPolicy {
                max_failures: 5,
                lock_for: Duration::minutes(15),
            },
            sms_code_valid_for: Duration::minutes(10),
            sms_send_limit: SmsSendLimit {
                max_sends: 5,
                window: Duration::hours(1),
            },
            allow_drama_numbers: false,
        }
    }
}

/// Words of LA names that say what kind of authority it is or where, not which one: left out
/// of [`SecuritySettings::context_words`] (refusing `east` would refuse `Feast!2026`).
pub const GENERIC_LA_WORDS: &[&str] = &[
    "authority",
    "borough",
    "city",
    "combined",
    "council",
    "county",
    "district",
    "greater",
    "local",
    "metropolitan",
    "royal",
    "unitary",
    "upon",
    "north",
    "south",
    "east",
    "west",
    "northern",
    "southern",
    "eastern",
    "western",
    "central",
    "mid",
];

impl SecuritySettings {
    /// The words no password may contain (ASVS 5.0 6.1.2): `ehc`, the service's name, and each
    /// distinctive word of at least 4 letters of the LA's name, in lower case — the words every
    /// council name shares ([`GENERIC_LA_WORDS`]: council, borough, north, …) are left out, as
    /// they are parts of everyday words (`Anytown Borough Council` → `ehc`, `anytown`).
    pub fn context_words(&self) -> Vec<String> {
        let mut words = vec!["ehc".to_owned()];
        for word in self.la_name.split(|c: char| !c.is_alphabetic()) {
            let word = word.to_lowercase();
            if word.chars().count() >= 4
                && !GENERIC_LA_WORDS.contains(&word.as_str())
                && !words.contains(&word)
            {
                words.push(word);
            }
        }
        words
    }

    /// Checks a new password (registration, reset, change) under [`SecuritySettings::password`]
    /// with [`SecuritySettings::context_words`].
    ///
    /// # Errors
    /// [`PasswordViolations`] listing every broken rule.
    pub fn check_new_password(
        &self,
        password: &str,
        confirmation: &str,
        email: &EmailAddress,
    ) -> Result<Password, PasswordViolations> {
        self.password
            .check_in_context(password, confirmation, email, &self.context_words())
    }
}

/// Serde for [`Duration`] as whole seconds (configuration files write `900`, not a struct).
pub mod duration_seconds {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::Duration;

    /// Writes whole seconds.
    ///
    /// # Errors
    /// Those of the serializer.
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(d.whole_seconds())
    }

    /// Reads whole seconds; negative values are refused.
    ///
    /// # Errors
    /// A negative number, or those of the deserializer.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let secs = i64::deserialize(d)?;
        if secs < 0 {
            return Err(serde::de::Error::custom("a duration cannot be negative"));
        }
        Ok(Duration::seconds(secs))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_context_words_are_the_service_and_the_distinctive_words_of_the_la_name() {
        let settings = |la_name: &str| SecuritySettings {
            la_name: la_name.to_owned(),
            ..SecuritySettings::default()
        };
        assert_eq!(
            settings("Anytown Borough Council of St. Ives").context_words(),
            ["ehc", "anytown", "ives"]
        );
        assert_eq!(
            settings("Bath and North East Somerset Council").context_words(),
            ["ehc", "bath", "somerset"]
        );
        assert_eq!(settings("Local Authority").context_words(), ["ehc"]);
        let anytown = settings("Anytown Council");
        let email = EmailAddress::parse("jo@example.org").unwrap();
        let refused = anytown
            .check_new_password("Anytown!2026", "Anytown!2026", &email)
            .unwrap_err();
        assert_eq!(
            refused.rules(),
            [crate::password::PasswordRule::ContainsServiceName {
                word: "anytown".to_owned()
            }]
        );
        assert!(
            anytown
                .check_new_password("Council!Feast26", "Council!Feast26", &email)
                .is_ok()
        );
    }
}
