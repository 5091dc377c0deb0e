//! `SecondFactorRepository`: enrolments, TOTP steps once, texted codes once, the send limit.

use crate::support::{insert_account, race};
use ehc_core::account::AccountId;
use ehc_core::ports::StoreError;
use ehc_core::second_factor::{
    EnrolError, Enrolment, PhoneNumber, SmsCodeHash, SmsSendDecision, SmsSendLimit, StoredSmsCode,
    TotpSecret,
};
use ehc_store_contract::{Backend, T0, account};
use time::{Duration, OffsetDateTime};

fn app() -> Enrolment {
    Enrolment::App {
        secret: TotpSecret::from_bytes(*b"12345678901234567890"),
    }
}

fn text() -> Enrolment {
    Enrolment::Text {
        phone: PhoneNumber::from_stored("+447700900123", "07700 900123"),
    }
}

fn code(n: u8, sent_at: OffsetDateTime) -> StoredSmsCode {
    StoredSmsCode {
        hash: SmsCodeHash([n; 32]),
        sent_at,
        expires_at: sent_at + Duration::minutes(10),
    }
}

const LIMIT: SmsSendLimit = SmsSendLimit {
    max_sends: 5,
    window: Duration::HOUR,
};

async fn enrolled<S: Backend>(
    store: &S,
    n: u128,
    enrolment: Option<(Enrolment, Option<u64>)>,
) -> AccountId {
    let person = account(n, &format!("person{n}@example.org"));
    insert_account(store, &person).await;
    if let Some((enrolment, step)) = enrolment {
        let mut tx = store.begin().await.unwrap();
        tx.second_factors()
            .enrol(person.id, &enrolment, step, T0)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }
    person.id
}

pub async fn an_app_enrolment_round_trips_and_its_set_up_step_never_works_again<S: Backend>(
    store: &S,
) {
    let jo = enrolled(store, 1, Some((app(), Some(100)))).await;

    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.second_factors().enrolment(jo).await.unwrap(),
        Some(app())
    );
    assert!(!tx.second_factors().accept_totp_step(jo, 100).await.unwrap());
    assert!(tx.second_factors().accept_totp_step(jo, 101).await.unwrap());
}

pub async fn a_text_enrolment_round_trips_and_a_second_enrolment_is_refused<S: Backend>(store: &S) {
    let jo = enrolled(store, 1, Some((text(), None))).await;
    let sam = enrolled(store, 2, None).await;

    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.second_factors().enrolment(jo).await.unwrap(),
        Some(text())
    );
    assert_eq!(tx.second_factors().enrolment(sam).await.unwrap(), None);
    assert_eq!(
        tx.second_factors().enrol(jo, &app(), Some(5), T0).await,
        Err(EnrolError::AlreadyEnrolled)
    );
    // The unit of work goes on after the refusal, and the text enrolment stands.
    assert!(!tx.second_factors().accept_totp_step(jo, 6).await.unwrap());
    tx.second_factors()
        .enrol(sam, &app(), None, T0)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.second_factors().enrolment(jo).await.unwrap(),
        Some(text())
    );
    assert_eq!(
        tx.second_factors().enrolment(sam).await.unwrap(),
        Some(app())
    );
}

pub async fn a_totp_step_is_accepted_only_when_newer_than_the_last<S: Backend>(store: &S) {
    let jo = enrolled(store, 1, Some((app(), None))).await;
    let nobody = enrolled(store, 2, None).await;
    let step = 59_033_340; // 2026-02-12, a realistic step (unix seconds / 30)

    let mut tx = store.begin().await.unwrap();
    let factors = tx.second_factors();
    assert!(factors.accept_totp_step(jo, step).await.unwrap());
    assert!(!factors.accept_totp_step(jo, step).await.unwrap());
    assert!(!factors.accept_totp_step(jo, step - 1).await.unwrap());
    assert!(factors.accept_totp_step(jo, step + 1).await.unwrap());
    assert!(!factors.accept_totp_step(nobody, step).await.unwrap());
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    assert!(
        !tx.second_factors()
            .accept_totp_step(jo, step + 1)
            .await
            .unwrap()
    );
}

pub async fn eight_concurrent_checks_of_one_totp_step_have_exactly_one_winner<S: Backend>(
    store: &S,
) {
    let jo = enrolled(store, 1, Some((app(), Some(100)))).await;
    let outcomes = race(store, 8, move |store: S, _| async move {
        let mut tx = store.begin().await?;
        let accepted = tx.second_factors().accept_totp_step(jo, 101).await?;
        tx.commit().await?;
        Ok::<bool, StoreError>(accepted)
    })
    .await;
    let winners = outcomes.iter().filter(|o| matches!(o, Ok(true))).count();
    let losers = outcomes.iter().filter(|o| matches!(o, Ok(false))).count();
    assert_eq!((winners, losers), (1, 7), "{outcomes:?}");
}

pub async fn a_texted_code_is_consumed_once_and_never_after_its_expiry<S: Backend>(store: &S) {
    let jo = enrolled(store, 1, Some((text(), None))).await;
    let sam = enrolled(store, 2, None).await;
    let first = code(1, T0);
    let second = code(2, T0 + Duration::minutes(1));

    let mut tx = store.begin().await.unwrap();
    for c in [&first, &second] {
        let decision = tx
            .second_factors()
            .record_sms_code(jo, c, LIMIT, c.sent_at)
            .await
            .unwrap();
        assert_eq!(decision, SmsSendDecision::Recorded);
    }
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    let f = tx.second_factors();
    let later = T0 + Duration::minutes(5);
    assert!(
        !f.consume_sms_code(jo, &SmsCodeHash([9; 32]), later)
            .await
            .unwrap()
    );
    assert!(!f.consume_sms_code(sam, &first.hash, later).await.unwrap());
    assert!(
        !f.consume_sms_code(jo, &first.hash, first.expires_at)
            .await
            .unwrap()
    );
    // An earlier code stays valid until its own expiry, after a newer one was sent.
    assert!(f.consume_sms_code(jo, &first.hash, later).await.unwrap());
    assert!(!f.consume_sms_code(jo, &first.hash, later).await.unwrap());
    assert!(f.consume_sms_code(jo, &second.hash, later).await.unwrap());
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    assert!(
        !tx.second_factors()
            .consume_sms_code(jo, &second.hash, later)
            .await
            .unwrap()
    );
}

pub async fn eight_concurrent_uses_of_one_texted_code_have_exactly_one_winner<S: Backend>(
    store: &S,
) {
    let jo = enrolled(store, 1, Some((text(), None))).await;
    let sent = code(1, T0);
    let mut tx = store.begin().await.unwrap();
    tx.second_factors()
        .record_sms_code(jo, &sent, LIMIT, T0)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let hash = sent.hash;
    let outcomes = race(store, 8, move |store: S, _| async move {
        let mut tx = store.begin().await?;
        let used = tx
            .second_factors()
            .consume_sms_code(jo, &hash, T0 + Duration::minutes(1))
            .await?;
        tx.commit().await?;
        Ok::<bool, StoreError>(used)
    })
    .await;
    let winners = outcomes.iter().filter(|o| matches!(o, Ok(true))).count();
    let losers = outcomes.iter().filter(|o| matches!(o, Ok(false))).count();
    assert_eq!((winners, losers), (1, 7), "{outcomes:?}");
}

pub async fn the_send_limit_refuses_the_sixth_text_within_an_hour_and_says_when_to_retry<
    S: Backend,
>(
    store: &S,
) {
    let jo = enrolled(store, 1, Some((text(), None))).await;
    let mut sent = Vec::new();
    for n in 0..5u8 {
        let at = T0 + Duration::minutes(i64::from(n));
        let mut tx = store.begin().await.unwrap();
        let decision = tx
            .second_factors()
            .record_sms_code(jo, &code(n, at), LIMIT, at)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert_eq!(decision, SmsSendDecision::Recorded);
        sent.push(at);
    }

    let now = T0 + Duration::minutes(10);
    let mut tx = store.begin().await.unwrap();
    let refused = tx
        .second_factors()
        .record_sms_code(jo, &code(6, now), LIMIT, now)
        .await
        .unwrap();
    let expected = LIMIT.check(&sent, now).unwrap_err();
    assert_eq!(expected, T0 + Duration::HOUR);
    assert_eq!(
        refused,
        SmsSendDecision::LimitReached { retry_at: expected }
    );
    // The refused code was not stored.
    assert!(
        !tx.second_factors()
            .consume_sms_code(jo, &SmsCodeHash([6; 32]), now)
            .await
            .unwrap()
    );
    drop(tx);

    // Once the oldest text leaves the window, one more may go.
    let later = T0 + Duration::HOUR + Duration::SECOND;
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.second_factors()
            .record_sms_code(jo, &code(7, later), LIMIT, later)
            .await
            .unwrap(),
        SmsSendDecision::Recorded
    );
}

pub async fn eight_concurrent_sends_never_exceed_the_send_limit<S: Backend>(store: &S) {
    let jo = enrolled(store, 1, Some((text(), None))).await;
    let outcomes = race(store, 8, move |store: S, i| async move {
        let mut tx = store.begin().await?;
        let decision = tx
            .second_factors()
            .record_sms_code(jo, &code(i as u8, T0), LIMIT, T0)
            .await?;
        tx.commit().await?;
        Ok::<SmsSendDecision, StoreError>(decision)
    })
    .await;
    let recorded = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(SmsSendDecision::Recorded)))
        .count();
    let refused = outcomes
        .iter()
        .filter(|o| matches!(o, Ok(SmsSendDecision::LimitReached { .. })))
        .count();
    assert_eq!((recorded, refused), (5, 3), "{outcomes:?}");
}
