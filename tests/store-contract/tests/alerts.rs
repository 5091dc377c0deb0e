//! Alert preferences and parked alerts: a preference round-trips (the default when none was
//! chosen), parked alerts leave in whole people's batches before the cut-off, and two digest
//! runs at once never take the same alert.

use ehc_core::account::{Account, AccountId, EmailAddress};
use ehc_core::alert::{AlertPreference, ParkedAlert};
use ehc_core::outbox::{CaseUpdate, MessageId};
use ehc_core::password::PasswordHash;
use ehc_store_contract::Backend;
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

use crate::support::{insert_account, race};

const AT: OffsetDateTime = datetime!(2026-12-01 09:00 UTC);

async fn person<S: Backend>(store: &S, n: u128) -> AccountId {
    let account = Account {
        id: AccountId(Uuid::from_u128(n)),
        email: EmailAddress::parse(&format!("person{n}@example.com")).unwrap(),
        password_hash: PasswordHash::from_phc("$argon2id$unused"),
        created_at: AT,
    };
    insert_account(store, &account).await;
    account.id
}

fn parked(n: u128, account: AccountId, minutes: i64) -> ParkedAlert {
    ParkedAlert {
        id: MessageId(Uuid::from_u128(10_000 + n)),
        account,
        case_reference: format!("EHC-{n}"),
        update: CaseUpdate::ActionRequested {
            action: "Give your views".to_owned(),
            by: time::macros::date!(2026 - 12 - 15),
        },
        created_at: AT + time::Duration::minutes(minutes),
    }
}

pub async fn a_preference_round_trips_and_defaults_to_straight_away<S: Backend>(store: &S) {
    let a = person(store, 1).await;
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.alerts().preference(a).await.unwrap(),
        AlertPreference::Immediately
    );
    tx.alerts()
        .set_preference(a, AlertPreference::DailyDigest, AT)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.alerts().preference(a).await.unwrap(),
        AlertPreference::DailyDigest
    );
    tx.alerts()
        .set_preference(a, AlertPreference::Immediately, AT)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.alerts().preference(a).await.unwrap(),
        AlertPreference::Immediately
    );
}

pub async fn parked_alerts_leave_by_whole_people_before_the_cutoff_oldest_first<S: Backend>(
    store: &S,
) {
    let (a, b, c) = (
        person(store, 1).await,
        person(store, 2).await,
        person(store, 3).await,
    );
    let everyone = [a, b, c];
    let mut tx = store.begin().await.unwrap();
    for alert in [
        parked(1, a, 30),
        parked(2, b, 10),
        parked(3, a, 5),
        parked(4, c, 20),
        parked(5, a, 120), // after the cut-off: stays
    ] {
        tx.alerts().park(&alert).await.unwrap();
    }
    tx.commit().await.unwrap();
    let cutoff = AT + time::Duration::hours(1);

    // Two people at most: all of each one's alerts before the cut-off, grouped, oldest first.
    let mut tx = store.begin().await.unwrap();
    let first = tx.alerts().take_parked(cutoff, 2).await.unwrap();
    tx.commit().await.unwrap();
    let mut people: Vec<AccountId> = first.iter().map(|p| p.account).collect();
    people.dedup();
    assert_eq!(people.len(), 2, "{first:?}");
    assert!(people.iter().all(|p| everyone.contains(p)));
    for who in &people {
        let times: Vec<_> = first
            .iter()
            .filter(|p| p.account == *who)
            .map(|p| p.created_at)
            .collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    }
    if people.contains(&a) {
        let refs: Vec<_> = first
            .iter()
            .filter(|p| p.account == a)
            .map(|p| p.case_reference.as_str())
            .collect();
        assert_eq!(refs, ["EHC-3", "EHC-1"]);
    }

    // The rest before the cut-off, then nothing; the late alert stays parked.
    let mut tx = store.begin().await.unwrap();
    let second = tx.alerts().take_parked(cutoff, 2).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(first.len() + second.len(), 4);
    let mut tx = store.begin().await.unwrap();
    assert!(
        tx.alerts()
            .take_parked(cutoff, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let late = tx
        .alerts()
        .take_parked(cutoff + time::Duration::hours(2), 10)
        .await
        .unwrap();
    assert_eq!(late, vec![parked(5, a, 120)]);
}

pub async fn taken_alerts_come_back_if_the_unit_of_work_is_not_committed<S: Backend>(store: &S) {
    let a = person(store, 1).await;
    let mut tx = store.begin().await.unwrap();
    tx.alerts().park(&parked(1, a, 0)).await.unwrap();
    tx.commit().await.unwrap();
    let cutoff = AT + time::Duration::hours(1);
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.alerts().take_parked(cutoff, 10).await.unwrap().len(), 1);
    drop(tx);
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.alerts().take_parked(cutoff, 10).await.unwrap().len(), 1);
}

pub async fn two_digest_runs_at_once_never_take_the_same_alert<S: Backend>(store: &S) {
    let mut alerts = Vec::new();
    for n in 1..=20 {
        let who = person(store, n).await;
        alerts.push(parked(n, who, 0));
        alerts.push(parked(100 + n, who, 1));
    }
    let mut tx = store.begin().await.unwrap();
    for alert in &alerts {
        tx.alerts().park(alert).await.unwrap();
    }
    tx.commit().await.unwrap();
    let cutoff = AT + time::Duration::hours(1);
    let taken = race(store, 4, move |store: S, _| async move {
        let mut all = Vec::new();
        loop {
            let mut tx = store.begin().await.unwrap();
            let batch = tx.alerts().take_parked(cutoff, 3).await.unwrap();
            tx.commit().await.unwrap();
            if batch.is_empty() {
                return all;
            }
            all.extend(batch.into_iter().map(|p| p.id));
        }
    })
    .await;
    let mut ids: Vec<MessageId> = taken.into_iter().flatten().collect();
    let total = ids.len();
    ids.sort_by_key(|m| m.0);
    ids.dedup();
    assert_eq!(ids.len(), total, "an alert was taken twice");
    assert_eq!(total, alerts.len());
}
