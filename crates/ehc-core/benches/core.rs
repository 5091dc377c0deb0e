//! Benchmarks of the core's costly steps: the password policy, argon2id with the production
//! parameters, TOTP verification and one whole sign-in through the state machine. Figures and
//! how they are read: docs/performance.md. Run with
//! `cargo bench -p ehc-core --bench core`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmark set-up: a failure should stop the run loudly"
)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use criterion::{BatchSize, Criterion};
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

use ehc_core::account::{Account, AccountId, EmailAddress};
use ehc_core::password::{
    Argon2idHasher, Argon2idParams, Password, PasswordHasher, PasswordPolicy,
};
use ehc_core::ports::Store;
use ehc_core::second_factor::{Enrolment, OtpCode, TotpSecret};
use ehc_core::settings::SecuritySettings;
use ehc_core::sign_in::{SignInInput, SignInService, SignInState};
use ehc_core::system::OsSecretSource;
use ehc_core::test_support::{FastHasher, InMemoryStore, SeededSecretSource};

const NOW: OffsetDateTime = datetime!(2026-11-30 09:15:10 UTC);
const PASSWORD: &str = "Harbour!Lights9";

fn unix(t: OffsetDateTime) -> u64 {
    u64::try_from(t.unix_timestamp()).unwrap()
}

fn password_policy(c: &mut Criterion) {
    let policy = PasswordPolicy::default();
    let email = EmailAddress::parse("jo.bloggs@example.gov.uk").unwrap();
    c.bench_function("password_policy/check_valid", |b| {
        b.iter(|| policy.check(black_box(PASSWORD), black_box(PASSWORD), &email))
    });
}

fn argon2id(c: &mut Criterion) {
    let hasher = Argon2idHasher::new(Argon2idParams::default(), Arc::new(OsSecretSource)).unwrap();
    let password = Password::new(PASSWORD, 256).unwrap();
    let hash = hasher.hash_blocking(&password).unwrap();
    let mut group = c.benchmark_group("argon2id_m19456_t2_p1");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("hash", |b| {
        b.iter(|| hasher.hash_blocking(black_box(&password)).unwrap())
    });
    group.bench_function("verify", |b| {
        b.iter(|| hasher.verify_blocking(black_box(&password), &hash).unwrap())
    });
    group.finish();
}

fn totp(c: &mut Criterion) {
    let secret = TotpSecret::from_bytes(*b"anytown-council-key!");
    let now = unix(NOW);
    // The current step's code: the second of the three steps tried (previous, current, next).
    let current = OtpCode::parse(&secret.code_at(now)).unwrap();
    // A code of no step in the window: all three are tried.
    let wrong = ["000000", "111111", "222222"]
        .into_iter()
        .map(|c| OtpCode::parse(c).unwrap())
        .find(|c| secret.matching_step(c, NOW).is_none())
        .unwrap();
    let mut group = c.benchmark_group("totp_verify");
    group.bench_function("current_step", |b| {
        b.iter(|| secret.matching_step(black_box(&current), NOW))
    });
    group.bench_function("wrong_code", |b| {
        b.iter(|| secret.matching_step(black_box(&wrong), NOW))
    });
    group.finish();
}

type Service = SignInService<InMemoryStore, FastHasher, SeededSecretSource>;

/// A fresh in-memory store holding one account with an authenticator app, and the service.
fn enrolled_app_account() -> (Service, TotpSecret) {
    let store = InMemoryStore::new();
    let hasher = FastHasher::new();
    let secret = TotpSecret::from_bytes(*b"anytown-council-key!");
    let id = AccountId(Uuid::from_u128(42));
    let account = Account {
        id,
        email: EmailAddress::parse("jo.bloggs@example.gov.uk").unwrap(),
        password_hash: pollster::block_on(hasher.hash(&Password::new(PASSWORD, 256).unwrap()))
            .unwrap(),
        created_at: datetime!(2026-09-01 08:30 UTC),
    };
    pollster::block_on(async {
        let mut tx = store.begin().await.unwrap();
        tx.accounts().insert(&account).await.unwrap();
        tx.second_factors()
            .enrol(
                id,
                &Enrolment::App {
                    secret: secret.clone(),
                },
                None,
                account.created_at,
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
    });
    let service = SignInService::new(
        store,
        hasher,
        SeededSecretSource::new(1),
        SecuritySettings::default(),
    );
    (service, secret)
}

fn sign_in(c: &mut Criterion) {
    let password = SignInInput::Password {
        email: "Jo.Bloggs@Example.GOV.UK".into(),
        password: PASSWORD.into(),
    };
    c.bench_function("sign_in/password_app_code_fast_hasher", |b| {
        b.iter_batched(
            enrolled_app_account,
            |(service, secret)| {
                pollster::block_on(async {
                    let challenge = service
                        .handle(&SignInState::Anonymous, password.clone(), NOW, None)
                        .await
                        .unwrap()
                        .state;
                    let code = SignInInput::Code(secret.code_at(unix(NOW)));
                    let signed_in = service.handle(&challenge, code, NOW, None).await.unwrap();
                    assert!(signed_in.state.signed_in_account().is_some());
                    signed_in
                })
            },
            BatchSize::SmallInput,
        )
    });
}

// What `criterion_group!`/`criterion_main!` expand to, written out: the macro's `pub fn` would
// need a doc comment it cannot carry.
fn main() {
    let mut c = Criterion::default().configure_from_args();
    password_policy(&mut c);
    argon2id(&mut c);
    totp(&mut c);
    sign_in(&mut c);
    c.final_summary();
}
