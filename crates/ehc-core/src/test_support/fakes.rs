//! A settable clock, a repeatable secret source and a fast password hasher for tests.

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use subtle::ConstantTimeEq;
use time::{Duration, OffsetDateTime};

use crate::password::{HashError, Password, PasswordHash, PasswordHasher};
use crate::ports::{Clock, RandomnessUnavailable, SecretSource};

/// A clock that stays where it is put.
#[derive(Debug)]
pub struct FakeClock(Mutex<OffsetDateTime>);

impl FakeClock {
    /// A clock showing `at`.
    pub fn at(at: OffsetDateTime) -> Self {
        Self(Mutex::new(at))
    }

    /// Moves the clock by `by` (may be negative).
    pub fn advance(&self, by: Duration) {
        if let Ok(mut t) = self.0.lock() {
            *t += by;
        }
    }

    /// Puts the clock at `at`.
    pub fn set(&self, at: OffsetDateTime) {
        if let Ok(mut t) = self.0.lock() {
            *t = at;
        }
    }
}

impl Clock for FakeClock {
    fn now(&self) -> OffsetDateTime {
        self.0
            .lock()
            .map(|t| *t)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

/// Repeatable "random" bytes: SHA-256 of a seed and a counter. For tests only: anyone who knows
/// the seed knows every secret.
#[derive(Debug)]
pub struct SeededSecretSource {
    seed: u64,
    counter: AtomicU64,
}

impl SeededSecretSource {
    /// A source whose output is fixed by `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            counter: AtomicU64::new(0),
        }
    }
}

impl SecretSource for SeededSecretSource {
    fn fill(&self, dest: &mut [u8]) -> Result<(), RandomnessUnavailable> {
        for chunk in dest.chunks_mut(32) {
            let n = self.counter.fetch_add(1, Ordering::Relaxed);
            let block = Sha256::new()
                .chain_update(self.seed.to_le_bytes())
                .chain_update(n.to_le_bytes())
                .finalize();
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
        Ok(())
    }
}

/// A password hasher for tests: one salted SHA-256, as `$fast-sha256$SALT$HASH` (hex). Never
/// for production (no work factor); `needs_rehash` is false for its own hashes.
#[derive(Debug, Default)]
pub struct FastHasher {
    salt_counter: AtomicU64,
}

impl FastHasher {
    /// A new hasher.
    pub fn new() -> Self {
        Self::default()
    }

    fn digest(salt: &str, password: &Password) -> String {
        let d = Sha256::new()
            .chain_update(salt.as_bytes())
            .chain_update(password.expose().as_bytes())
            .finalize();
        d.iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[async_trait]
impl PasswordHasher for FastHasher {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError> {
        let salt = format!("{:016x}", self.salt_counter.fetch_add(1, Ordering::Relaxed));
        let hash = Self::digest(&salt, password);
        Ok(PasswordHash::from_phc(format!(
            "$fast-sha256${salt}${hash}"
        )))
    }
    async fn verify(&self, password: &Password, hash: &PasswordHash) -> Result<bool, HashError> {
        let mut parts = hash.as_phc().split('$').skip(1);
        let (Some("fast-sha256"), Some(salt), Some(expected), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(HashError::Malformed("not a fast-sha256 hash".to_owned()));
        };
        let actual = Self::digest(salt, password);
        Ok(bool::from(actual.as_bytes().ct_eq(expected.as_bytes())))
    }
    async fn verify_nothing(&self, password: &Password) -> Result<(), HashError> {
        let _ = Self::digest("nothing", password);
        Ok(())
    }
    fn needs_rehash(&self, hash: &PasswordHash) -> bool {
        !hash.as_phc().starts_with("$fast-sha256$")
    }
}
