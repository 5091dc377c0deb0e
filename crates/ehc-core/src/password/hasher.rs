//! The [`PasswordHasher`] port and its argon2id implementation.
//!
//! Parameters from docs/SECURITY.md (OWASP's argon2id minimum): m = 19456 KiB, t = 2, p = 1,
//! stored as a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`). Hashing is CPU- and
//! memory-bound (about 19 MiB and tens of milliseconds a hash): an async server must run it off
//! its async workers with at most one hash per core in flight (the web adapter wraps
//! [`Argon2idHasher`] so).

use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use async_trait::async_trait;
use std::fmt;
use std::sync::Arc;

use super::Password;
use crate::ports::{RandomnessUnavailable, SecretSource};

/// A stored password hash: a PHC string. `Debug` shows only its algorithm.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps a PHC string read back from storage (not checked until verified).
    pub fn from_phc(phc: impl Into<String>) -> Self {
        Self(phc.into())
    }

    /// The PHC string, for storage.
    pub fn as_phc(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let algorithm = self.0.split('$').nth(1).unwrap_or("?");
        write!(f, "PasswordHash(${algorithm}$…)")
    }
}

/// A hashing fault (not a wrong password: that is `Ok(false)`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// No randomness for the salt.
    #[error(transparent)]
    Randomness(#[from] RandomnessUnavailable),
    /// The stored hash is not a PHC string this hasher can read, or the parameters are invalid.
    #[error("password hash fault: {0}")]
    Malformed(String),
    /// The hashing pool is shutting down or refused the job.
    #[error("password hashing unavailable: {0}")]
    Unavailable(String),
}

/// Hashes and verifies passwords.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// Hashes `password` with a fresh random salt.
    ///
    /// # Errors
    /// [`HashError::Randomness`] when no salt can be drawn; [`HashError::Unavailable`] when the
    /// hashing pool is gone.
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError>;

    /// Whether `password` matches `hash` (constant-time comparison of the outputs).
    ///
    /// # Errors
    /// [`HashError::Malformed`] when `hash` cannot be read; a wrong password is `Ok(false)`.
    async fn verify(&self, password: &Password, hash: &PasswordHash) -> Result<bool, HashError>;

    /// Spends the same work as a [`PasswordHasher::verify`] and throws the result away, so an
    /// unknown e-mail address costs as much time as a known one (docs/SECURITY.md).
    ///
    /// # Errors
    /// As [`PasswordHasher::hash`].
    async fn verify_nothing(&self, password: &Password) -> Result<(), HashError>;

    /// Whether `hash` was made with other parameters (or algorithm) than this hasher's, so that
    /// sign-in should store a new hash of the password it just verified.
    fn needs_rehash(&self, hash: &PasswordHash) -> bool;
}

#[async_trait]
impl<T: PasswordHasher + ?Sized> PasswordHasher for Arc<T> {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError> {
        (**self).hash(password).await
    }
    async fn verify(&self, password: &Password, hash: &PasswordHash) -> Result<bool, HashError> {
        (**self).verify(password, hash).await
    }
    async fn verify_nothing(&self, password: &Password) -> Result<(), HashError> {
        (**self).verify_nothing(password).await
    }
    fn needs_rehash(&self, hash: &PasswordHash) -> bool {
        (**self).needs_rehash(hash)
    }
}

/// argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Argon2idParams {
    /// Memory, in KiB (default 19456 = 19 MiB).
    pub memory_kib: u32,
    /// Passes over memory (default 2).
    pub iterations: u32,
    /// Lanes (default 1).
    pub parallelism: u32,
}

impl Default for Argon2idParams {
    fn default() -> Self {
        Self {
            memory_kib: 19_456,
            iterations: 2,
            parallelism: 1,
        }
    }
}

/// argon2id (RFC 9106) via the RustCrypto `argon2` crate; salts (16 bytes) come from the
/// [`SecretSource`]. Its methods compute on the calling thread: see the module docs.
#[derive(Clone)]
pub struct Argon2idHasher {
    params: argon2::Params,
    secrets: Arc<dyn SecretSource>,
}

impl fmt::Debug for Argon2idHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Argon2idHasher")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

/// The fixed salt used by [`PasswordHasher::verify_nothing`]; its output is never compared.
const NOTHING_SALT: &[u8; 16] = b"ehc-hub-no-user!";

impl Argon2idHasher {
    /// A hasher with `params`.
    ///
    /// # Errors
    /// [`HashError::Malformed`] when the parameters are out of argon2's range (e.g. memory below
    /// 8 KiB per lane).
    pub fn new(params: Argon2idParams, secrets: Arc<dyn SecretSource>) -> Result<Self, HashError> {
        let params = argon2::Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            None,
        )
        .map_err(|e| HashError::Malformed(e.to_string()))?;
        Ok(Self { params, secrets })
    }

    fn argon2(&self) -> argon2::Argon2<'static> {
        argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            self.params.clone(),
        )
    }

    /// [`PasswordHasher::hash`], computed on this thread.
    ///
    /// # Errors
    /// As the port method.
    pub fn hash_blocking(&self, password: &Password) -> Result<PasswordHash, HashError> {
        let mut salt = [0u8; 16];
        self.secrets.fill(&mut salt)?;
        let hash = self
            .argon2()
            .hash_password_with_salt(password.expose().as_bytes(), &salt)
            .map_err(|e| HashError::Malformed(e.to_string()))?;
        Ok(PasswordHash(hash.to_string()))
    }

    /// [`PasswordHasher::verify`], computed on this thread. The hash's own parameters are used,
    /// so hashes made with older parameters still verify.
    ///
    /// # Errors
    /// As the port method.
    pub fn verify_blocking(
        &self,
        password: &Password,
        hash: &PasswordHash,
    ) -> Result<bool, HashError> {
        let parsed = argon2::PasswordHash::new(hash.as_phc())
            .map_err(|e| HashError::Malformed(e.to_string()))?;
        match self
            .argon2()
            .verify_password(password.expose().as_bytes(), &parsed)
        {
            Ok(()) => Ok(true),
            Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
            Err(e) => Err(HashError::Malformed(e.to_string())),
        }
    }

    /// [`PasswordHasher::verify_nothing`], computed on this thread.
    ///
    /// # Errors
    /// As the port method.
    pub fn verify_nothing_blocking(&self, password: &Password) -> Result<(), HashError> {
        self.argon2()
            .hash_password_with_salt(password.expose().as_bytes(), NOTHING_SALT)
            .map(|_| ())
            .map_err(|e| HashError::Malformed(e.to_string()))
    }
}

#[async_trait]
impl PasswordHasher for Argon2idHasher {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError> {
        self.hash_blocking(password)
    }
    async fn verify(&self, password: &Password, hash: &PasswordHash) -> Result<bool, HashError> {
        self.verify_blocking(password, hash)
    }
    async fn verify_nothing(&self, password: &Password) -> Result<(), HashError> {
        self.verify_nothing_blocking(password)
    }
    fn needs_rehash(&self, hash: &PasswordHash) -> bool {
        let Ok(parsed) = argon2::PasswordHash::new(hash.as_phc()) else {
            return true;
        };
        if parsed.algorithm.as_str() != "argon2id" {
            return true;
        }
        match argon2::Params::try_from(&parsed) {
            Ok(p) => {
                p.m_cost() != self.params.m_cost()
                    || p.t_cost() != self.params.t_cost()
                    || p.p_cost() != self.params.p_cost()
            }
            Err(_) => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::OsSecretSource;

    fn hasher(params: Argon2idParams) -> Argon2idHasher {
        Argon2idHasher::new(params, Arc::new(OsSecretSource)).unwrap()
    }

    #[test]
    fn argon2id_hashes_are_phc_strings_with_the_configured_parameters() {
        let h = hasher(Argon2idParams::default());
        let pw = Password::new("Harbour!Lights9", 256).unwrap();
        let hash = h.hash_blocking(&pw).unwrap();
        assert!(hash.as_phc().starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(h.verify_blocking(&pw, &hash).unwrap());
        let wrong = Password::new("Harbour!Lights8", 256).unwrap();
        assert!(!h.verify_blocking(&wrong, &hash).unwrap());
        assert!(!h.needs_rehash(&hash));
        assert!(!format!("{hash:?}").contains("19456"));
    }

    #[test]
    fn a_hash_with_other_parameters_verifies_and_asks_for_a_rehash() {
        let old = hasher(Argon2idParams {
            memory_kib: 8192,
            iterations: 1,
            parallelism: 1,
        });
        let pw = Password::new("Harbour!Lights9", 256).unwrap();
        let hash = old.hash_blocking(&pw).unwrap();
        let current = hasher(Argon2idParams::default());
        assert!(current.verify_blocking(&pw, &hash).unwrap());
        assert!(current.needs_rehash(&hash));
        assert!(current.needs_rehash(&PasswordHash::from_phc("$fast$x$y")));
    }

    #[test]
    fn nfc_forms_of_one_password_verify_against_each_other() {
        let h = hasher(Argon2idParams::default());
        let composed = Password::new("Tr\u{e8}s-Bien-Merci", 256).unwrap();
        let decomposed = Password::new("Tre\u{300}s-Bien-Merci", 256).unwrap();
        let hash = h.hash_blocking(&composed).unwrap();
        assert!(h.verify_blocking(&decomposed, &hash).unwrap());
    }

    #[test]
    fn a_malformed_stored_hash_is_an_error_not_a_match() {
        let h = hasher(Argon2idParams::default());
        let pw = Password::new("Harbour!Lights9", 256).unwrap();
        assert!(matches!(
            h.verify_blocking(&pw, &PasswordHash::from_phc("not a phc string")),
            Err(HashError::Malformed(_))
        ));
    }
}
