//! Storage benchmarks (issue 3), on SQLite and PostgreSQL alike: looking an account up by
//! e-mail, consuming an invitation, the TOTP step compare-and-set, and claiming 1 000 outbox
//! messages with 4 concurrent claimers. Each operation runs in its own unit of work (begin,
//! the call, commit), as a request would. Figures and how they were measured:
//! docs/performance.md, "Storage (issue 3)".
//!
//! Run: `EHC_TEST_DATABASE_URL=$(scripts/postgres-for-tests) cargo bench -p ehc-store-contract
//! --bench storage -- --measurement-time 3`. Benchmarks, never timed tests: nothing is
//! asserted about speed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::Criterion;
use ehc_core::invitation::InvitationToken;
use ehc_core::outbox::OutboxQueue;
use ehc_core::ports::Store;
use ehc_core::second_factor::{Enrolment, TotpSecret};
use ehc_store_contract::{
    Backend, Fixture, PgFixture, SqliteFixture, T0, account, email, invitation, message,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

const ACCOUNTS: u128 = 1_000;
const CLAIMED: u128 = 1_000;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

async fn prepare<S: Backend>(store: &S) {
    let mut tx = store.begin().await.unwrap();
    for n in 0..ACCOUNTS {
        tx.accounts()
            .insert(&account(n, &format!("person{n}@example.org")))
            .await
            .unwrap();
    }
    tx.second_factors()
        .enrol(
            account(0, "person0@example.org").id,
            &Enrolment::App {
                secret: TotpSecret::from_bytes([7; 20]),
            },
            None,
            T0,
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

fn bench_store<F: Fixture>(c: &mut Criterion, rt: &Runtime, name: &str) {
    let fixture = rt.block_on(F::new());
    let store = fixture.store().clone();
    rt.block_on(prepare(&store));
    let mut group = c.benchmark_group(name);

    let lookups = AtomicU64::new(0);
    group.bench_function("account lookup by e-mail", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let started = Instant::now();
                for _ in 0..iters {
                    let n = lookups.fetch_add(1, Ordering::Relaxed) % ACCOUNTS as u64;
                    let address = email(&format!("Person{n}@Example.org"));
                    let mut tx = store.begin().await.unwrap();
                    let found = tx.accounts().find_by_email(&address).await.unwrap();
                    tx.commit().await.unwrap();
                    assert!(found.is_some());
                }
                started.elapsed()
            })
        });
    });

    let next_invitation = AtomicU64::new(1_000_000);
    group.bench_function("invitation consume", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                // Untimed: one pending invitation per iteration.
                let first = next_invitation.fetch_add(iters, Ordering::Relaxed);
                let mut tokens: Vec<InvitationToken> = Vec::with_capacity(iters as usize);
                let mut tx = store.begin().await.unwrap();
                for n in first..first + iters {
                    let (inv, token) =
                        invitation(u128::from(n), &format!("invitee{n}@example.org"), T0);
                    tx.invitations().insert_superseding(&inv).await.unwrap();
                    tokens.push(token);
                }
                tx.commit().await.unwrap();
                let started = Instant::now();
                for token in &tokens {
                    let mut tx = store.begin().await.unwrap();
                    tx.invitations()
                        .consume(&token.hash(), T0 + time::Duration::HOUR)
                        .await
                        .unwrap();
                    tx.commit().await.unwrap();
                }
                started.elapsed()
            })
        });
    });

    let step = AtomicU64::new(59_000_000);
    let jo = account(0, "person0@example.org").id;
    group.bench_function("TOTP step compare-and-set", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let started = Instant::now();
                for _ in 0..iters {
                    let s = step.fetch_add(1, Ordering::Relaxed);
                    let mut tx = store.begin().await.unwrap();
                    let accepted = tx.second_factors().accept_totp_step(jo, s).await.unwrap();
                    tx.commit().await.unwrap();
                    assert!(accepted);
                }
                started.elapsed()
            })
        });
    });

    let next_message = AtomicU64::new(0);
    group.sample_size(10);
    group.bench_function("outbox claim of 1000 messages, 4 claimers", |b| {
        b.iter_custom(|iters| {
            rt.block_on(async {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    // Untimed: 1 000 due messages.
                    let first = u128::from(next_message.fetch_add(1, Ordering::Relaxed)) * CLAIMED;
                    let mut tx = store.begin().await.unwrap();
                    for n in first..first + CLAIMED {
                        tx.outbox()
                            .enqueue(&message(n, n % 2 == 0, T0))
                            .await
                            .unwrap();
                    }
                    tx.commit().await.unwrap();
                    let claimed = Arc::new(AtomicU64::new(0));
                    let started = Instant::now();
                    let claimers: Vec<_> = (0..4)
                        .map(|_| {
                            let (store, claimed) = (store.clone(), claimed.clone());
                            tokio::spawn(async move {
                                loop {
                                    let batch = store
                                        .claim_due(50, T0, time::Duration::MINUTE)
                                        .await
                                        .unwrap();
                                    if batch.is_empty() {
                                        break;
                                    }
                                    claimed.fetch_add(batch.len() as u64, Ordering::Relaxed);
                                }
                            })
                        })
                        .collect();
                    for claimer in claimers {
                        claimer.await.unwrap();
                    }
                    total += started.elapsed();
                    assert_eq!(claimed.load(Ordering::Relaxed), CLAIMED as u64);
                }
                total
            })
        });
    });
    group.finish();
    rt.block_on(fixture.finish());
}

fn storage(c: &mut Criterion) {
    let rt = runtime();
    bench_store::<SqliteFixture>(c, &rt, "sqlite");
    bench_store::<PgFixture>(c, &rt, "postgres");
}

// What `criterion_group!`/`criterion_main!` expand to, written out: the macro's `pub fn` would
// need a doc comment it cannot carry.
fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    storage(&mut c);
    c.final_summary();
}
