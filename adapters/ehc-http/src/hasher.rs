//! argon2id off the async workers: [`BlockingHasher`] runs every hash on a small pool of
//! dedicated threads, one per core by default, so a sign-in storm queues instead of stalling
//! other requests, and memory stays bounded: at most one 19 MiB argon2 block per pool thread
//! is ever in use, and since hashes always run on the same few threads the allocator keeps at
//! most that many blocks around (on tokio's growing blocking pool each new thread would keep
//! its own).

use async_trait::async_trait;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

use ehc_core::password::{Argon2idHasher, HashError, Password, PasswordHash, PasswordHasher};

type Job = Box<dyn FnOnce(&Argon2idHasher) + Send>;

/// [`Argon2idHasher`] on `threads` dedicated threads.
#[derive(Debug, Clone)]
pub struct BlockingHasher {
    inner: Arc<Argon2idHasher>,
    jobs: mpsc::Sender<Job>,
}

impl BlockingHasher {
    /// Starts `threads` hashing threads (at least one) for `inner`. They end when the last
    /// clone of this hasher is dropped.
    ///
    /// # Errors
    /// [`HashError::Unavailable`] when a thread cannot be started.
    pub fn new(inner: Argon2idHasher, threads: usize) -> Result<Self, HashError> {
        let inner = Arc::new(inner);
        let (jobs, queue) = mpsc::channel::<Job>();
        let queue = Arc::new(Mutex::new(queue));
        for n in 0..threads.max(1) {
            let (queue, hasher) = (queue.clone(), inner.clone());
            std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || {
                    loop {
                        let job = match queue.lock() {
                            Ok(q) => q.recv(),
                            Err(_) => return,
                        };
                        match job {
                            Ok(job) => job(&hasher),
                            Err(_) => return, // every sender dropped
                        }
                    }
                })
                .map_err(|e| HashError::Unavailable(e.to_string()))?;
        }
        Ok(Self { inner, jobs })
    }

    /// One thread per core, as `std::thread::available_parallelism` reports.
    ///
    /// # Errors
    /// As [`BlockingHasher::new`].
    pub fn per_core(inner: Argon2idHasher) -> Result<Self, HashError> {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self::new(inner, cores)
    }

    async fn run<T: Send + 'static>(
        &self,
        job: impl FnOnce(&Argon2idHasher) -> Result<T, HashError> + Send + 'static,
    ) -> Result<T, HashError> {
        let (done, result) = oneshot::channel();
        self.jobs
            .send(Box::new(move |hasher| {
                let _ = done.send(job(hasher));
            }))
            .map_err(|_| HashError::Unavailable("the hashing threads have stopped".to_owned()))?;
        result
            .await
            .map_err(|_| HashError::Unavailable("a hashing thread stopped".to_owned()))?
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

#[cfg(test)]
mod tests {
    use super::*;
    use ehc_core::password::Argon2idParams;
    use ehc_core::system::OsSecretSource;

    #[tokio::test]
    async fn hashes_made_on_the_pool_verify_and_many_at_once_all_complete() {
        let params = Argon2idParams {
            memory_kib: 1024,
            iterations: 1,
            parallelism: 1,
        };
        let pool = BlockingHasher::new(
            Argon2idHasher::new(params, Arc::new(OsSecretSource)).unwrap(),
            2,
        )
        .unwrap();
        let password = Password::new("Harbour!Lights9", 256).unwrap();
        let jobs: Vec<_> = (0..8)
            .map(|_| {
                let (pool, password) = (pool.clone(), password.clone());
                tokio::spawn(async move { pool.hash(&password).await })
            })
            .collect();
        for job in jobs {
            let hash = job.await.unwrap().unwrap();
            assert!(pool.verify(&password, &hash).await.unwrap());
        }
    }
}
