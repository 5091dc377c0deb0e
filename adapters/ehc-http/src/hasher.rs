//! argon2id off the async workers: [`BlockingHasher`] runs each hash on tokio's blocking pool
//! with at most one hash per core in flight, so a sign-in storm queues instead of taking
//! 19 MiB per request at once (memory stays bounded) and never stalls other requests.

use async_trait::async_trait;
use std::sync::Arc;
use tokio::sync::Semaphore;

use ehc_core::password::{Argon2idHasher, HashError, Password, PasswordHash, PasswordHasher};

/// [`Argon2idHasher`] behind a semaphore of `permits` (default: the number of cores).
#[derive(Debug, Clone)]
pub struct BlockingHasher {
    inner: Arc<Argon2idHasher>,
    permits: Arc<Semaphore>,
}

impl BlockingHasher {
    /// Wraps `inner`, allowing `permits` hashes at once (at least one).
    pub fn new(inner: Argon2idHasher, permits: usize) -> Self {
        Self {
            inner: Arc::new(inner),
            permits: Arc::new(Semaphore::new(permits.max(1))),
        }
    }

    /// One permit per core, as `std::thread::available_parallelism` reports.
    pub fn per_core(inner: Argon2idHasher) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self::new(inner, cores)
    }

    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&Argon2idHasher) -> Result<T, HashError> + Send + 'static,
    ) -> Result<T, HashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| HashError::Unavailable(e.to_string()))?;
        let inner = self.inner.clone();
        tokio::task::spawn_blocking(move || job(&inner))
            .await
            .map_err(|e| HashError::Unavailable(e.to_string()))?
    }
}

#[async_trait]
impl PasswordHasher for BlockingHasher {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError> {
        let password = password.clone();
        self.run(move |h| h.hash_blocking(&password)).await
    }
    async fn verify(&self, password: &Password, hash: &PasswordHash) -> Result<bool, HashError> {
        let (password, hash) = (password.clone(), hash.clone());
        self.run(move |h| h.verify_blocking(&password, &hash)).await
    }
    async fn verify_nothing(&self, password: &Password) -> Result<(), HashError> {
        let password = password.clone();
        self.run(move |h| h.verify_nothing_blocking(&password))
            .await
    }
    fn needs_rehash(&self, hash: &PasswordHash) -> bool {
        self.inner.needs_rehash(hash)
    }
}
