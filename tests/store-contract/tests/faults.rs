//! Faults: a database that goes away answers `StoreError::Unavailable` within the configured
//! time, never a panic or a hang, and the same store works again once the database is back.

use ehc_core::account::AccountError;
use ehc_core::outbox::OutboxQueue;
use ehc_core::ports::{Store, StoreError};
use ehc_store_contract::{Fixture, PgFixture, Proxy, T0, account, email};
use ehc_store_postgres::{PgStore, PgStoreOptions};
use ehc_store_sqlite::{SqliteStore, SqliteStoreOptions};
use std::time::{Duration, Instant};

fn is_unavailable<T: std::fmt::Debug>(result: &Result<T, StoreError>) -> bool {
    matches!(result, Err(StoreError::Unavailable { .. }))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_behind_a_cut_connection_is_unavailable_within_the_timeout_and_the_same_pool_recovers()
 {
    let fixture = PgFixture::new().await;
    let upstream = format!(
        "{}:{}",
        fixture.connect.get_host(),
        fixture.connect.get_port()
    );
    let proxy = Proxy::start(upstream).await;
    let options = PgStoreOptions {
        max_connections: 2,
        acquire_timeout: Duration::from_secs(1),
        statement_timeout: Duration::from_secs(1),
    };
    let through_proxy = fixture
        .connect
        .clone()
        .host("127.0.0.1")
        .port(proxy.addr.port());
    let store = PgStore::connect_with(through_proxy, options).await.unwrap();
    let jo = account(1, "jo@example.org");
    let mut tx = store.begin().await.unwrap();
    tx.accounts().insert(&jo).await.unwrap();
    tx.commit().await.unwrap();
    let mut open_before_the_cut = store.begin().await.unwrap();

    proxy.cut();
    let limit = options.acquire_timeout + options.statement_timeout + Duration::from_secs(1);

    let started = Instant::now();
    let in_flight = open_before_the_cut.accounts().get(jo.id).await;
    assert!(is_unavailable(&in_flight), "{in_flight:?}");
    drop(open_before_the_cut);
    let begun = store.begin().await.map(|_| ());
    assert!(is_unavailable(&begun), "{begun:?}");
    let claimed = store
        .claim_due(10, T0, time::Duration::MINUTE)
        .await
        .map(|_| ());
    assert!(is_unavailable(&claimed), "{claimed:?}");
    assert!(
        started.elapsed() < 3 * limit,
        "three calls took {:?}",
        started.elapsed()
    );

    proxy.restore();
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.accounts().get(jo.id).await.unwrap(), Some(jo.clone()));
    assert_eq!(
        tx.accounts().insert(&account(2, "JO@example.org")).await,
        Err(AccountError::EmailTaken)
    );
    drop(tx);
    store.close().await;
    fixture.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_behind_a_stalled_network_is_unavailable_within_the_timeout_and_the_same_pool_recovers()
 {
    let fixture = PgFixture::new().await;
    let upstream = format!(
        "{}:{}",
        fixture.connect.get_host(),
        fixture.connect.get_port()
    );
    let proxy = Proxy::start(upstream).await;
    let options = PgStoreOptions {
        max_connections: 2,
        acquire_timeout: Duration::from_secs(1),
        statement_timeout: Duration::from_secs(1),
    };
    let through_proxy = fixture
        .connect
        .clone()
        .host("127.0.0.1")
        .port(proxy.addr.port());
    let store = PgStore::connect_with(through_proxy, options).await.unwrap();
    let jo = account(1, "jo@example.org");
    let mut tx = store.begin().await.unwrap();
    tx.accounts().insert(&jo).await.unwrap();
    tx.commit().await.unwrap();
    let mut open_before_the_stall = store.begin().await.unwrap();

    // Nothing answers any more, and nothing closes either: only the adapter's own timeouts
    // can end the wait.
    proxy.stall();
    let started = Instant::now();
    let in_flight = open_before_the_stall.accounts().get(jo.id).await;
    let waited = started.elapsed();
    assert!(is_unavailable(&in_flight), "{in_flight:?}");
    assert!(
        waited >= options.statement_timeout - Duration::from_millis(100)
            && waited < options.statement_timeout + Duration::from_secs(1),
        "answered after {waited:?}"
    );
    drop(open_before_the_stall);
    let started = Instant::now();
    let begun = store.begin().await.map(|_| ());
    assert!(is_unavailable(&begun), "{begun:?}");
    assert!(
        started.elapsed()
            < options.acquire_timeout + options.statement_timeout + Duration::from_secs(1),
        "begin answered after {:?}",
        started.elapsed()
    );

    proxy.restore();
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.accounts().get(jo.id).await.unwrap(), Some(jo.clone()));
    drop(tx);
    store.close().await;
    fixture.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_that_cannot_be_reached_at_start_is_unavailable_not_a_panic() {
    let options = PgStoreOptions {
        max_connections: 1,
        acquire_timeout: Duration::from_millis(500),
        statement_timeout: Duration::from_millis(500),
    };
    // Port 9 (discard) on loopback: nothing listens there.
    let started = Instant::now();
    let result = PgStore::connect("postgres://postgres@127.0.0.1:9/none", options)
        .await
        .map(|_| ());
    assert!(is_unavailable(&result), "{result:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sqlite_file_that_cannot_be_opened_is_unavailable_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no-such-folder").join("hub.db");
    let result = SqliteStore::open_file(&path, SqliteStoreOptions::default())
        .await
        .map(|_| ());
    assert!(is_unavailable(&result), "{result:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_second_sqlite_store_on_the_same_file_sees_the_first_ones_commits() {
    let fixture = ehc_store_contract::SqliteFixture::new().await;
    let jo = account(1, "jo@example.org");
    let mut tx = fixture.store().begin().await.unwrap();
    tx.accounts().insert(&jo).await.unwrap();
    tx.commit().await.unwrap();

    // Opening again migrates again: nothing changes and nothing is lost.
    let again = SqliteStore::open_file(&fixture.path, SqliteStoreOptions::default())
        .await
        .unwrap();
    let mut tx = again.begin().await.unwrap();
    assert_eq!(
        tx.accounts()
            .find_by_email(&email("JO@example.org"))
            .await
            .unwrap(),
        Some(jo)
    );
    drop(tx);
    again.close().await;
    fixture.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_sqlite_connection_uses_wal_foreign_keys_and_full_sync() {
    let fixture = ehc_store_contract::SqliteFixture::new().await;
    let pool = fixture.store().pool();
    let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(pool)
        .await
        .unwrap();
    let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(pool)
        .await
        .unwrap();
    let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
        .fetch_one(pool)
        .await
        .unwrap();
    let busy_ms: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(
        (journal.as_str(), foreign_keys, synchronous, busy_ms),
        ("wal", 1, 2, 5_000)
    );
    // Foreign keys are enforced: a grant for no account is refused (as a fault, not a panic).
    let mut tx = fixture.store().begin().await.unwrap();
    let orphan = tx
        .grants()
        .insert(&ehc_core::role::RoleGrant {
            id: ehc_core::role::GrantId(uuid::Uuid::from_u128(1)),
            account: account(9, "nobody@example.org").id,
            role: ehc_core::role::Role::LaOfficer,
            granted_by: ehc_core::role::Grantor::System,
            granted_at: T0,
            expires_at: None,
            revoked: None,
        })
        .await;
    assert!(
        matches!(orphan, Err(StoreError::Unexpected { .. })),
        "{orphan:?}"
    );
    drop(tx);
    fixture.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_postgres_connection_carries_the_statement_timeout() {
    let fixture = PgFixture::with_options(PgStoreOptions {
        statement_timeout: Duration::from_millis(1_500),
        ..PgStoreOptions::default()
    })
    .await;
    let timeout: String = sqlx::query_scalar("SHOW statement_timeout")
        .fetch_one(fixture.store().pool())
        .await
        .unwrap();
    assert_eq!(timeout, "1500ms");
    fixture.finish().await;
}
