//! Authenticator apps: TOTP (RFC 6238) with SHA-1, 6 digits, 30-second steps, accepting the
//! previous, current and next step. Code computation is the `totp-rs` crate's; replay
//! protection (a step once accepted is never accepted again) is ours, through
//! [`super::SecondFactorRepository::accept_totp_step`].

use serde::{Deserialize, Serialize};
use std::fmt;
use time::OffsetDateTime;
use totp_rs::{Algorithm, Builder, Secret, Totp};

use super::code::OtpCode;
use crate::account::EmailAddress;
use crate::ports::{RandomnessUnavailable, SecretSource};

/// Seconds per TOTP step (RFC 6238 default X = 30).
pub const STEP_SECONDS: u64 = 30;
/// Steps accepted either side of the current one.
pub const SKEW_STEPS: u16 = 1;
/// Secret length in bytes (160 bits, RFC 4226 §4 recommendation).
pub const SECRET_BYTES: usize = 20;

/// A TOTP shared secret: 20 random bytes. `Debug` hides it; it serialises as base32 (it is kept
/// in the server-side session during set-up and in storage once enrolled).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TotpSecret([u8; SECRET_BYTES]);

/// The stored text is not a 32-character base32 secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a base32 TOTP secret of 20 bytes")]
pub struct TotpSecretError;

/// A TOTP set-up failed in the `totp-rs` crate (cannot happen with a 20-byte secret and a
/// cleaned label; reported, never panicked on).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("TOTP set-up failed: {0}")]
pub struct TotpError(String);

impl TotpSecret {
    /// A new secret of 20 random bytes.
    ///
    /// # Errors
    /// [`RandomnessUnavailable`] from the source.
    pub fn generate(secrets: &dyn SecretSource) -> Result<Self, RandomnessUnavailable> {
        let mut bytes = [0u8; SECRET_BYTES];
        secrets.fill(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// A secret from raw bytes (tests, RFC vectors).
    pub fn from_bytes(bytes: [u8; SECRET_BYTES]) -> Self {
        Self(bytes)
    }

    /// Reads the base32 form back (padding and case ignored).
    ///
    /// # Errors
    /// [`TotpSecretError`] unless it decodes to exactly 20 bytes.
    pub fn from_base32(text: &str) -> Result<Self, TotpSecretError> {
        let cleaned: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '=')
            .collect::<String>()
            .to_uppercase();
        let bytes = Secret::try_from_base32(&cleaned).map_err(|_| TotpSecretError)?;
        let array: [u8; SECRET_BYTES] = bytes.as_ref().try_into().map_err(|_| TotpSecretError)?;
        Ok(Self(array))
    }

    /// The key as 32 base32 characters (RFC 4648 alphabet, no padding).
    pub fn base32(&self) -> String {
        Secret::from(self.0.to_vec()).to_base32()
    }

    /// The key as the set-up page shows it: 8 groups of 4 characters separated by spaces.
    pub fn base32_in_groups(&self) -> String {
        let key = self.base32();
        key.as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn totp(&self, issuer: Option<String>, account: String) -> Result<Totp, TotpError> {
        Builder::new()
            .with_algorithm(Algorithm::SHA1)
            .with_digits(6)
            .with_skew(SKEW_STEPS)
            .with_step_duration(STEP_SECONDS)
            .with_secret(self.0.to_vec())
            .with_issuer(issuer)
            .with_account_name(account)
            .build()
            .map_err(|e| TotpError(e.to_string()))
    }

    /// The otpauth URI for the QR code (Google Authenticator *Key Uri Format*):
    /// `otpauth://totp/ISSUER:EMAIL?secret=KEY&issuer=ISSUER`, no base32 padding, spaces as
    /// `%20`, no `algorithm` (SHA-1 is the default), and no `:` inside issuer or account name:
    /// an LA name with a colon is cleaned ([`clean_label`]), not refused.
    ///
    /// # Errors
    /// [`TotpError`] if `totp-rs` refuses the label (not expected after cleaning).
    pub fn otpauth_uri(&self, issuer: &str, account: &EmailAddress) -> Result<String, TotpError> {
        let issuer = clean_label(issuer);
        let issuer = if issuer.is_empty() {
            "EHC Hub".to_owned()
        } else {
            issuer
        };
        self.totp(Some(issuer), clean_label(account.as_entered()))?
            .to_url()
            .map_err(|e| TotpError(e.to_string()))
    }

    /// The step (Unix time / 30) whose code equals `code`, trying the previous, current and
    /// next step at `now`, oldest first. `None` when none matches or `now` is before 1970.
    pub fn matching_step(&self, code: &OtpCode, now: OffsetDateTime) -> Option<u64> {
        let unix = u64::try_from(now.unix_timestamp()).ok()?;
        let totp = self.totp(None, String::new()).ok()?;
        let origin = unix / STEP_SECONDS;
        (origin.saturating_sub(u64::from(SKEW_STEPS))
            ..=origin.saturating_add(u64::from(SKEW_STEPS)))
            .find(|&step| {
                let expected = totp.generate(step.saturating_mul(STEP_SECONDS)).to_string();
                constant_time_eq(expected.as_bytes(), code.as_str().as_bytes())
            })
    }

    /// The 6-digit code of Unix time `unix_seconds`, as an authenticator app shows it (tests,
    /// and the `test-support` authenticator).
    pub fn code_at(&self, unix_seconds: u64) -> String {
        match self.totp(None, String::new()) {
            Ok(totp) => totp.generate(unix_seconds).to_string(),
            Err(_) => String::new(),
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Makes a label part safe for an otpauth URI: each `:` becomes a space, then runs of white
/// space become one space and the ends are trimmed. `Borough of Anytown: SEND Service` →
/// `Borough of Anytown SEND Service`.
pub fn clean_label(label: &str) -> String {
    label
        .replace(':', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

impl fmt::Debug for TotpSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TotpSecret(<hidden>)")
    }
}
impl TryFrom<String> for TotpSecret {
    type Error = TotpSecretError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::from_base32(&value)
    }
}
impl From<TotpSecret> for String {
    fn from(value: TotpSecret) -> Self {
        value.base32()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn rfc_secret() -> TotpSecret {
        TotpSecret::from_bytes(*b"12345678901234567890")
    }

    #[test]
    fn the_key_is_32_base32_characters_in_groups_of_four() {
        let s = rfc_secret();
        assert_eq!(s.base32(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(
            s.base32_in_groups(),
            "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ"
        );
        assert_eq!(
            TotpSecret::from_base32("gezd gnbv gy3t qojq gezd gnbv gy3t qojq").unwrap(),
            s
        );
        assert!(TotpSecret::from_base32("GEZDGNBV").is_err());
        assert!(!format!("{s:?}").contains("GEZD"));
    }

    #[test]
    fn a_colon_in_the_la_name_is_cleaned_from_the_issuer() {
        let email = EmailAddress::parse("jo.bloggs@example.gov.uk").unwrap();
        let uri = rfc_secret()
            .otpauth_uri("Borough of Anytown: SEND Service", &email)
            .unwrap();
        assert_eq!(
            uri,
            "otpauth://totp/Borough%20of%20Anytown%20SEND%20Service:jo.bloggs%40example.gov.uk\
             ?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Borough%20of%20Anytown%20SEND%20Service"
        );
    }

    #[test]
    fn the_previous_current_and_next_steps_match_and_no_others() {
        let s = rfc_secret();
        let now = datetime!(2026-11-29 09:00:10 UTC);
        let t = u64::try_from(now.unix_timestamp()).unwrap();
        let step = t / 30;
        for delta in [-1i64, 0, 1] {
            let at = (step as i64 + delta) as u64 * 30;
            let code = OtpCode::parse(&s.code_at(at)).unwrap();
            assert_eq!(
                s.matching_step(&code, now),
                Some((step as i64 + delta) as u64)
            );
        }
        for delta in [-3i64, -2, 2, 3] {
            let at = (step as i64 + delta) as u64 * 30;
            let code = OtpCode::parse(&s.code_at(at)).unwrap();
            // a code of a step outside the window matches only by coincidence of digits
            if let Some(m) = s.matching_step(&code, now) {
                assert!(m.abs_diff(step) <= 1);
            }
        }
    }

    #[test]
    fn times_near_the_epoch_do_not_overflow() {
        let s = rfc_secret();
        let code = OtpCode::parse(&s.code_at(0)).unwrap();
        assert_eq!(s.matching_step(&code, OffsetDateTime::UNIX_EPOCH), Some(0));
        assert_eq!(
            s.matching_step(&code, OffsetDateTime::UNIX_EPOCH - time::Duration::DAY),
            None
        );
    }
}
