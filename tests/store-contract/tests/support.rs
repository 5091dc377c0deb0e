//! Helpers shared by the contract's modules.

use ehc_core::account::Account;
use ehc_core::ports::Store;
use std::future::Future;
use std::sync::Arc;

/// Stores `account` in its own unit of work.
pub async fn insert_account<S: Store>(store: &S, account: &Account) {
    let mut tx = store.begin().await.unwrap();
    tx.accounts().insert(account).await.unwrap();
    tx.commit().await.unwrap();
}

/// Runs `n` copies of `task` on their own tokio tasks, released together by a barrier, and
/// returns their outcomes in task order.
pub async fn race<S, F, Fut, T>(store: &S, n: usize, task: F) -> Vec<T>
where
    S: Clone + Send + 'static,
    F: Fn(S, usize) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let (store, barrier, task) = (store.clone(), barrier.clone(), task.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                task(store, i).await
            })
        })
        .collect();
    let mut outcomes = Vec::with_capacity(n);
    for handle in handles {
        outcomes.push(handle.await.unwrap());
    }
    outcomes
}
