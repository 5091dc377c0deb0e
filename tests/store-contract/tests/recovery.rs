//! Account recovery's storage: `PasswordResetRepository` (supersede per account, find, consume
//! once, void an account's pending links), `AccountRepository::end_sessions` and
//! `SecondFactorRepository::remove`.

use crate::support::{insert_account, race};
use ehc_core::invitation::{InvitationError, InvitationStatus, InvitationToken};
use ehc_core::recovery::PasswordReset;
use ehc_core::second_factor::{Enrolment, TotpSecret};
use ehc_core::test_support::SeededSecretSource;
use ehc_store_contract::{Backend, T0, account, unknown_token_hash};
use time::Duration;

fn reset(
    n: u64,
    of: &ehc_core::account::Account,
    at: time::OffsetDateTime,
) -> (PasswordReset, InvitationToken) {
    let token = InvitationToken::generate(&SeededSecretSource::new(n)).unwrap();
    let reset = PasswordReset {
        account: of.id,
        token_hash: token.hash(),
        created_at: at,
        expires_at: at + Duration::hours(1),
        status: InvitationStatus::Pending,
    };
    (reset, token)
}

pub async fn a_newer_reset_link_voids_the_older_and_a_link_is_consumed_once<S: Backend>(store: &S) {
    let jo = account(1, "jo@example.org");
    let sam = account(2, "sam@example.org");
    insert_account(store, &jo).await;
    insert_account(store, &sam).await;
    let later = T0 + Duration::minutes(5);
    let (first, first_token) = reset(1, &jo, T0);
    let (other, other_token) = reset(2, &sam, T0);
    let (second, second_token) = reset(3, &jo, later);
    let mut tx = store.begin().await.unwrap();
    for r in [&first, &other, &second] {
        tx.password_resets().insert_superseding(r).await.unwrap();
    }
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    let stored_first = tx
        .password_resets()
        .find_by_token(&first_token.hash())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored_first.status, InvitationStatus::Superseded(later));
    assert_eq!(
        tx.password_resets()
            .latest_for_account(jo.id)
            .await
            .unwrap(),
        Some(second.clone())
    );
    assert_eq!(
        tx.password_resets()
            .find_by_token(&unknown_token_hash())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        tx.password_resets()
            .consume(&first_token.hash(), later)
            .await,
        Err(InvitationError::Superseded)
    );
    assert_eq!(
        tx.password_resets()
            .consume(&other_token.hash(), T0 + Duration::hours(1))
            .await,
        Err(InvitationError::Expired)
    );
    assert_eq!(
        tx.password_resets()
            .consume(&unknown_token_hash(), later)
            .await,
        Err(InvitationError::Unknown)
    );
    let used = tx
        .password_resets()
        .consume(&second_token.hash(), later)
        .await
        .unwrap();
    assert_eq!(used.status, InvitationStatus::Used(later));
    assert_eq!(
        tx.password_resets()
            .consume(&second_token.hash(), later)
            .await,
        Err(InvitationError::Used)
    );
    tx.commit().await.unwrap();
}

pub async fn voiding_an_accounts_pending_reset_links_leaves_used_and_others_links_alone<
    S: Backend,
>(
    store: &S,
) {
    let jo = account(1, "jo@example.org");
    let sam = account(2, "sam@example.org");
    let kim = account(3, "kim@example.org");
    for a in [&jo, &sam, &kim] {
        insert_account(store, a).await;
    }
    let (used, used_token) = reset(1, &jo, T0);
    let (pending, pending_token) = reset(2, &jo, T0 + Duration::minutes(2));
    let (other, other_token) = reset(3, &sam, T0);
    let mut tx = store.begin().await.unwrap();
    tx.password_resets()
        .insert_superseding(&used)
        .await
        .unwrap();
    tx.password_resets()
        .consume(&used_token.hash(), T0 + Duration::minutes(1))
        .await
        .unwrap();
    tx.password_resets()
        .insert_superseding(&pending)
        .await
        .unwrap();
    tx.password_resets()
        .insert_superseding(&other)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let at = T0 + Duration::minutes(10);
    let mut tx = store.begin().await.unwrap();
    tx.password_resets().void_pending(jo.id, at).await.unwrap();
    // An account with no link, and one whose links are all voided already: nothing to do.
    tx.password_resets().void_pending(kim.id, at).await.unwrap();
    tx.password_resets()
        .void_pending(jo.id, at + Duration::hours(1))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    // Voided when first voided: a second call does not move the time on.
    assert_eq!(
        tx.password_resets()
            .find_by_token(&pending_token.hash())
            .await
            .unwrap(),
        Some(PasswordReset {
            status: InvitationStatus::Superseded(at),
            ..pending.clone()
        })
    );
    assert_eq!(
        tx.password_resets()
            .find_by_token(&used_token.hash())
            .await
            .unwrap()
            .unwrap()
            .status,
        InvitationStatus::Used(T0 + Duration::minutes(1)),
        "a used link stays used"
    );
    assert_eq!(
        tx.password_resets()
            .find_by_token(&other_token.hash())
            .await
            .unwrap(),
        Some(other.clone()),
        "another account's pending link is untouched"
    );
    assert_eq!(
        tx.password_resets()
            .latest_for_account(kim.id)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        tx.password_resets()
            .consume(&pending_token.hash(), at)
            .await,
        Err(InvitationError::Superseded)
    );
    // Another account's link still works.
    assert_eq!(
        tx.password_resets()
            .consume(&other_token.hash(), at)
            .await
            .unwrap()
            .status,
        InvitationStatus::Used(at)
    );
    tx.commit().await.unwrap();
}

pub async fn eight_concurrent_uses_of_one_reset_link_have_exactly_one_winner<S: Backend>(
    store: &S,
) {
    let jo = account(1, "jo@example.org");
    insert_account(store, &jo).await;
    let (r, token) = reset(1, &jo, T0);
    let mut tx = store.begin().await.unwrap();
    tx.password_resets().insert_superseding(&r).await.unwrap();
    tx.commit().await.unwrap();
    let hash = token.hash();
    let outcomes = race(store, 8, move |store, _| async move {
        let mut tx = store.begin().await.unwrap();
        let won = tx.password_resets().consume(&hash, T0).await.is_ok();
        tx.commit().await.unwrap();
        won
    })
    .await;
    assert_eq!(
        outcomes.iter().filter(|won| **won).count(),
        1,
        "{outcomes:?}"
    );
}

pub async fn ending_sessions_is_kept_per_account_and_a_second_factor_can_be_removed<S: Backend>(
    store: &S,
) {
    let jo = account(1, "jo@example.org");
    let sam = account(2, "sam@example.org");
    insert_account(store, &jo).await;
    insert_account(store, &sam).await;
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.accounts().sessions_ended_at(jo.id).await.unwrap(), None);
    tx.accounts().end_sessions(jo.id, T0).await.unwrap();
    tx.accounts()
        .end_sessions(jo.id, T0 + Duration::hours(1))
        .await
        .unwrap();
    let secret = TotpSecret::from_bytes([7; 20]);
    tx.second_factors()
        .enrol(jo.id, &Enrolment::App { secret }, Some(5), T0)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.accounts().sessions_ended_at(jo.id).await.unwrap(),
        Some(T0 + Duration::hours(1))
    );
    assert_eq!(tx.accounts().sessions_ended_at(sam.id).await.unwrap(), None);
    assert!(tx.second_factors().remove(jo.id).await.unwrap());
    assert!(!tx.second_factors().remove(jo.id).await.unwrap());
    assert!(!tx.second_factors().remove(sam.id).await.unwrap());
    assert_eq!(tx.second_factors().enrolment(jo.id).await.unwrap(), None);
    // A new enrolment after the removal starts afresh: its set-up step is the last accepted.
    let secret = TotpSecret::from_bytes([8; 20]);
    tx.second_factors()
        .enrol(jo.id, &Enrolment::App { secret }, Some(3), T0)
        .await
        .unwrap();
    assert!(
        tx.second_factors()
            .accept_totp_step(jo.id, 4)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();
}

pub async fn a_recovery_code_is_consumed_once_and_a_new_set_replaces_the_old<S: Backend>(
    store: &S,
) {
    use ehc_core::second_factor::RecoveryCodeHash;
    let jo = account(1, "jo@example.org");
    let sam = account(2, "sam@example.org");
    insert_account(store, &jo).await;
    insert_account(store, &sam).await;
    let old: Vec<RecoveryCodeHash> = (0..10).map(|i| RecoveryCodeHash([i; 32])).collect();
    let new: Vec<RecoveryCodeHash> = (10..20).map(|i| RecoveryCodeHash([i; 32])).collect();
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.second_factors()
            .recovery_codes_left(jo.id)
            .await
            .unwrap(),
        0
    );
    tx.second_factors()
        .replace_recovery_codes(jo.id, &old, T0)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let hash = old[0];
    let outcomes = race(store, 8, move |store, _| async move {
        let mut tx = store.begin().await.unwrap();
        let left = tx
            .second_factors()
            .consume_recovery_code(jo.id, &hash, T0)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        left
    })
    .await;
    let winners: Vec<_> = outcomes.iter().flatten().collect();
    assert_eq!(winners, vec![&9], "{outcomes:?}");

    let mut tx = store.begin().await.unwrap();
    // Another account's codes are not this one's.
    assert_eq!(
        tx.second_factors()
            .consume_recovery_code(sam.id, &old[1], T0)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        tx.second_factors()
            .consume_recovery_code(jo.id, &old[1], T0)
            .await
            .unwrap(),
        Some(8)
    );
    tx.second_factors()
        .replace_recovery_codes(jo.id, &new, T0)
        .await
        .unwrap();
    assert_eq!(
        tx.second_factors()
            .recovery_codes_left(jo.id)
            .await
            .unwrap(),
        10
    );
    assert_eq!(
        tx.second_factors()
            .consume_recovery_code(jo.id, &old[2], T0)
            .await
            .unwrap(),
        None,
        "the old set is void"
    );
    tx.commit().await.unwrap();
}
