//! `LockoutRepository`: the lockout rule, per account and kind, without lost updates.

use crate::support::{insert_account, race};
use ehc_core::lockout::{Lockout, LockoutKind, LockoutPolicy};
use ehc_core::ports::StoreError;
use ehc_store_contract::{Backend, T0, account};
use time::Duration;

const PASSWORDS: LockoutPolicy = LockoutPolicy {
    max_failures: 6,
    lock_for: Duration::minutes(15),
};

pub async fn lockout_counters_follow_the_lockout_rule_per_account_and_kind<S: Backend>(store: &S) {
    let jo = account(1, "jo@example.org");
    let sam = account(2, "sam@example.org");
    insert_account(store, &jo).await;
    insert_account(store, &sam).await;

    // Failures spread over time, through the lock and past its end, each compared with the
    // core's rule applied in memory.
    let mut expected = Lockout::default();
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.lockouts()
            .get(jo.id, LockoutKind::Password)
            .await
            .unwrap(),
        Lockout::default()
    );
    for minute in [0, 1, 2, 3, 4, 5, 6, 10, 19, 20, 21, 22] {
        let now = T0 + Duration::minutes(minute);
        expected = expected.after_failure(now, PASSWORDS);
        let stored = tx
            .lockouts()
            .record_failure(jo.id, LockoutKind::Password, now, PASSWORDS)
            .await
            .unwrap();
        assert_eq!(stored, expected, "after the failure at minute {minute}");
    }
    // The sixth failure (minute 5) locked until minute 20; the failures at 6, 10 and 19
    // changed nothing; counting started again at 20.
    assert_eq!(
        expected,
        Lockout {
            failures: 3,
            locked_until: Some(T0 + Duration::minutes(20)),
        }
    );
    // The other kind and the other account are untouched.
    assert_eq!(
        tx.lockouts().get(jo.id, LockoutKind::Code).await.unwrap(),
        Lockout::default()
    );
    assert_eq!(
        tx.lockouts()
            .get(sam.id, LockoutKind::Password)
            .await
            .unwrap(),
        Lockout::default()
    );
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.lockouts()
            .get(jo.id, LockoutKind::Password)
            .await
            .unwrap(),
        expected
    );
    tx.lockouts()
        .clear(jo.id, LockoutKind::Password)
        .await
        .unwrap();
    assert_eq!(
        tx.lockouts()
            .get(jo.id, LockoutKind::Password)
            .await
            .unwrap(),
        Lockout::default()
    );
    // A policy of one failure locks at once.
    let strict = LockoutPolicy {
        max_failures: 1,
        lock_for: Duration::minutes(15),
    };
    assert_eq!(
        tx.lockouts()
            .record_failure(sam.id, LockoutKind::Code, T0, strict)
            .await
            .unwrap(),
        Lockout::default().after_failure(T0, strict)
    );
}

pub async fn concurrent_failures_are_all_counted<S: Backend>(store: &S) {
    let jo = account(1, "jo@example.org");
    insert_account(store, &jo).await;
    let generous = LockoutPolicy {
        max_failures: 1_000,
        lock_for: Duration::minutes(15),
    };
    let id = jo.id;
    let outcomes = race(store, 8, move |store: S, _| async move {
        for _ in 0..5 {
            let mut tx = store.begin().await?;
            tx.lockouts()
                .record_failure(id, LockoutKind::Code, T0, generous)
                .await?;
            tx.commit().await?;
        }
        Ok::<(), StoreError>(())
    })
    .await;
    assert!(outcomes.iter().all(Result::is_ok), "{outcomes:?}");
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.lockouts()
            .get(jo.id, LockoutKind::Code)
            .await
            .unwrap()
            .failures,
        40
    );
}
