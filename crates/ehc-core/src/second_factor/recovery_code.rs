//! Recovery codes: 10 single-use codes shown once when a second factor is set up, each usable
//! instead of an app or texted code (a lost phone).
//!
//! A code is 24 characters of Crockford's base32 (120 random bits), shown as six groups of four
//! (`7kq2-m9xd-4hvt-0cwe-r3pa-6njy`). Typing is forgiving: any case, spaces and hyphens
//! anywhere, `i`/`l` for `1` and `o` for `0`. Storage keeps only [`RecoveryCodeHash`], a SHA-256
//! bound to the account: a secret of 112 bits or more may be stored with a standard hash (OWASP
//! ASVS 5.0 6.5.2) — it cannot be guessed offline even at a fast hash's speed — and the fast hash
//! lets storage find and consume a code in one atomic statement.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;

use crate::account::AccountId;
use crate::ports::{RandomnessUnavailable, SecretSource};

/// How many codes a person gets at a time.
pub const RECOVERY_CODES: usize = 10;
/// At or below this many unused codes, the person is told after signing in.
pub const FEW_RECOVERY_CODES: u32 = 3;

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
const LENGTH: usize = 24;

/// One recovery code (its 24 characters, lower case, no hyphens). `Debug` hides it; it is kept
/// in clear only in the session that shows it once.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryCode(String);

/// A typed recovery code is not 24 characters of the code alphabet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "Enter the recovery code as it was shown to you, for example 7kq2-m9xd-4hvt-0cwe-r3pa-6njy"
)]
pub struct RecoveryCodeError;

impl RecoveryCode {
    /// [`RECOVERY_CODES`] new random codes (each character 5 uniform bits).
    ///
    /// # Errors
    /// [`RandomnessUnavailable`] from the source.
    pub fn generate_set(secrets: &dyn SecretSource) -> Result<Vec<Self>, RandomnessUnavailable> {
        (0..RECOVERY_CODES)
            .map(|_| {
                let mut bytes = [0u8; LENGTH];
                secrets.fill(&mut bytes)?;
                Ok(Self(
                    bytes
                        .iter()
                        .map(|b| char::from(ALPHABET[usize::from(b & 31)]))
                        .collect(),
                ))
            })
            .collect()
    }

    /// Reads a typed code (see the module's documentation for what is forgiven).
    ///
    /// # Errors
    /// [`RecoveryCodeError`] unless 24 characters of the alphabet remain.
    pub fn parse(typed: &str) -> Result<Self, RecoveryCodeError> {
        let mut code = String::with_capacity(LENGTH);
        for c in typed.chars().filter(|c| !c.is_whitespace() && *c != '-') {
            let c = match c.to_ascii_lowercase() {
                'i' | 'l' => '1',
                'o' => '0',
                c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c,
                _ => return Err(RecoveryCodeError),
            };
            code.push(c);
            if code.len() > LENGTH {
                return Err(RecoveryCodeError);
            }
        }
        if code.len() == LENGTH {
            Ok(Self(code))
        } else {
            Err(RecoveryCodeError)
        }
    }

    /// The code as shown: six groups of four joined by hyphens.
    pub fn display(&self) -> String {
        self.0
            .as_bytes()
            .chunks(4)
            .map(|g| String::from_utf8_lossy(g).into_owned())
            .collect::<Vec<_>>()
            .join("-")
    }

    /// What storage keeps for `account`'s code.
    pub fn hash_for(&self, account: AccountId) -> RecoveryCodeHash {
        let mut h = Sha256::new();
        h.update(b"ehc-hub recovery code v1\0");
        h.update(account.0.as_bytes());
        h.update(self.0.as_bytes());
        RecoveryCodeHash(h.finalize().into())
    }
}

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode(<hidden>)")
    }
}

/// SHA-256 of a domain label, the account id and the code: all that storage keeps.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RecoveryCodeHash(pub [u8; 32]);

impl fmt::Debug for RecoveryCodeHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCodeHash(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::SeededSecretSource;
    use proptest::prelude::*;

    #[test]
    fn ten_distinct_codes_are_shown_in_groups_and_read_back_however_typed() {
        let codes = RecoveryCode::generate_set(&SeededSecretSource::new(1)).unwrap();
        assert_eq!(codes.len(), 10);
        let mut distinct = codes.clone();
        distinct.dedup();
        assert_eq!(distinct.len(), 10);
        for code in &codes {
            let shown = code.display();
            assert_eq!(shown.len(), 29);
            assert_eq!(RecoveryCode::parse(&shown).as_ref(), Ok(code));
            let typed = format!(" {} ", shown.to_uppercase().replace('-', " "));
            assert_eq!(RecoveryCode::parse(&typed).as_ref(), Ok(code));
            assert!(!format!("{code:?}").contains(&code.0));
        }
        assert_eq!(
            RecoveryCode::parse("I0Lo-0000-0000-0000-0000-0000"),
            RecoveryCode::parse("1010-0000-0000-0000-0000-0000")
        );
        assert_eq!(RecoveryCode::parse("123456"), Err(RecoveryCodeError));
        assert_eq!(
            RecoveryCode::parse("7kq2-m9xd-4hvt-0cwe-r3pa-6njy-1"),
            Err(RecoveryCodeError)
        );
        assert_eq!(
            RecoveryCode::parse("7kq2-m9xd-4hvt-0cwe-r3pa-6nju"),
            Err(RecoveryCodeError)
        );
    }

    #[test]
    fn one_code_hashes_differently_for_two_accounts() {
        let code = RecoveryCode::parse("7kq2-m9xd-4hvt-0cwe-r3pa-6njy").unwrap();
        let a = AccountId(uuid::Uuid::from_u128(1));
        let b = AccountId(uuid::Uuid::from_u128(2));
        assert_ne!(code.hash_for(a), code.hash_for(b));
        assert_eq!(code.hash_for(a), code.hash_for(a));
    }

    proptest! {
        #[test]
        fn parsing_any_text_never_panics_and_what_parses_shows_the_same(text in any::<String>()) {
            if let Ok(code) = RecoveryCode::parse(&text) {
                prop_assert_eq!(RecoveryCode::parse(&code.display()), Ok(code));
            }
        }
    }
}
