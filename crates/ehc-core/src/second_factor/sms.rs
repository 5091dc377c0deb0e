//! Text-message codes: 6 random digits, stored only as a hash, valid 10 minutes, single use, at
//! most 5 sent per account per hour (docs/SECURITY.md).

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use time::{Duration, OffsetDateTime};

use super::code::OtpCode;
use super::phone::PhoneNumber;
use crate::account::AccountId;
use crate::ports::{RandomnessUnavailable, SecretSource};

/// A code to text: 6 ASCII digits drawn uniformly from 000000–999999. `Debug` hides it; it is
/// serialised only into the outbox message that carries it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsCode(String);

impl SmsCode {
    /// A new uniformly random code (rejection sampling, no modulo bias).
    ///
    /// # Errors
    /// [`RandomnessUnavailable`] from the source.
    pub fn generate(secrets: &dyn SecretSource) -> Result<Self, RandomnessUnavailable> {
        // 4 294 000 000 is the largest multiple of 1 000 000 below 2^32.
        const LIMIT: u32 = 4_294_000_000;
        loop {
            let mut bytes = [0u8; 4];
            secrets.fill(&mut bytes)?;
            let n = u32::from_le_bytes(bytes);
            if n < LIMIT {
                return Ok(Self(format!("{:06}", n % 1_000_000)));
            }
        }
    }

    /// The 6 digits, for the text only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The hash to store for `account`'s code texted to `phone`.
    pub fn hash_for(&self, account: AccountId, phone: &PhoneNumber) -> SmsCodeHash {
        SmsCodeHash::of(account, phone, &self.0)
    }
}

impl fmt::Debug for SmsCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SmsCode(<hidden>)")
    }
}

/// SHA-256 of a domain label, the account id, the number the code was texted to, and the code:
/// what storage keeps instead of the code. Salting with the account id means equal codes of two
/// people hash differently; binding the number means a code proves only the number it went to
/// (a code texted to one number never confirms another at set-up).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SmsCodeHash(pub [u8; 32]);

impl SmsCodeHash {
    fn of(account: AccountId, phone: &PhoneNumber, digits: &str) -> Self {
        let mut h = Sha256::new();
        h.update(b"ehc-hub sms code v2\0");
        h.update(account.0.as_bytes());
        h.update(phone.e164().as_bytes());
        h.update(b"\0");
        h.update(digits.as_bytes());
        Self(h.finalize().into())
    }

    /// The hash of a code typed by `account` for a text to `phone`, to look up and consume.
    pub fn of_typed(account: AccountId, phone: &PhoneNumber, code: &OtpCode) -> Self {
        Self::of(account, phone, code.as_str())
    }
}

impl fmt::Debug for SmsCodeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SmsCodeHash(…)")
    }
}

/// A sent code as storage keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredSmsCode {
    /// The hash of the code.
    pub hash: SmsCodeHash,
    /// When it was sent (counts against the send limit).
    pub sent_at: OffsetDateTime,
    /// It stops working at this instant (sent + 10 minutes by default); earlier codes stay
    /// valid until their own expiry.
    pub expires_at: OffsetDateTime,
}

/// At most `max_sends` texts per account within any `window`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsSendLimit {
    /// Texts allowed per window (default 5).
    pub max_sends: u32,
    /// The sliding window (default 1 hour).
    #[serde(with = "crate::settings::duration_seconds")]
    pub window: Duration,
}

impl SmsSendLimit {
    /// Whether one more text may go at `now`, given the send times within the window: `Ok` or
    /// the instant the oldest of them leaves the window. Adapters apply this rule atomically.
    ///
    /// # Errors
    /// The instant sending is possible again.
    pub fn check(
        &self,
        sent_at: &[OffsetDateTime],
        now: OffsetDateTime,
    ) -> Result<(), OffsetDateTime> {
        let mut recent: Vec<OffsetDateTime> = sent_at
            .iter()
            .copied()
            .filter(|t| *t > now - self.window && *t <= now)
            .collect();
        if recent.len() < self.max_sends as usize {
            return Ok(());
        }
        recent.sort();
        let idx = recent.len() - self.max_sends as usize;
        Err(recent.get(idx).copied().unwrap_or(now) + self.window)
    }
}

/// What storage did with a code to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmsSendDecision {
    /// Stored; the text may be queued.
    Recorded,
    /// Not stored: the limit is reached until `retry_at`.
    LimitReached {
        /// When sending is possible again.
        retry_at: OffsetDateTime,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::OsSecretSource;
    use time::macros::datetime;
    use uuid::Uuid;

    #[test]
    fn codes_are_six_digits_and_hashes_depend_on_the_account() {
        let code = SmsCode::generate(&OsSecretSource).unwrap();
        assert_eq!(code.expose().len(), 6);
        assert!(code.expose().bytes().all(|b| b.is_ascii_digit()));
        let a = AccountId(Uuid::from_u128(1));
        let b = AccountId(Uuid::from_u128(2));
        let phone = PhoneNumber::parse("07911 123456", false).unwrap();
        let other = PhoneNumber::parse("07911 123457", false).unwrap();
        assert_ne!(code.hash_for(a, &phone), code.hash_for(b, &phone));
        assert_ne!(code.hash_for(a, &phone), code.hash_for(a, &other));
        let typed = OtpCode::parse(code.expose()).unwrap();
        assert_eq!(
            SmsCodeHash::of_typed(a, &phone, &typed),
            code.hash_for(a, &phone)
        );
    }

    #[test]
    fn the_sixth_text_within_an_hour_waits_for_the_first_to_leave_the_window() {
        let limit = SmsSendLimit {
            max_sends: 5,
            window: Duration::hours(1),
        };
        let t0 = datetime!(2026-11-29 09:00 UTC);
        let sent: Vec<_> = (0..5).map(|i| t0 + Duration::minutes(i)).collect();
        assert_eq!(limit.check(&sent[..4], t0 + Duration::minutes(5)), Ok(()));
        assert_eq!(
            limit.check(&sent, t0 + Duration::minutes(5)),
            Err(t0 + Duration::hours(1))
        );
        assert_eq!(limit.check(&sent, t0 + Duration::hours(1)), Ok(()));
    }
}
