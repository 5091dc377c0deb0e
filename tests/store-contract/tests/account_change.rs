//! A signed-in person's account changes: `EmailChangeRepository` (supersede per account, find,
//! the newest per account, consume once, void an account's pending links) and
//! `AccountRepository::set_email` (the case-insensitive unique address decides, also under
//! concurrent changes).

use crate::support::{insert_account, race};
use ehc_core::account::{Account, AccountError, AccountId};
use ehc_core::account_change::EmailChange;
use ehc_core::invitation::{InvitationError, InvitationStatus, InvitationToken};
use ehc_core::ports::StoreError;
use ehc_core::test_support::SeededSecretSource;
use ehc_store_contract::{Backend, T0, account, email, unknown_token_hash};
use time::Duration;
use uuid::Uuid;

/// A pending link made at `at` (valid 1 hour) for `of` to change to `to`, with its token.
fn change(
    n: u64,
    of: &Account,
    to: &str,
    at: time::OffsetDateTime,
) -> (EmailChange, InvitationToken) {
    let token = InvitationToken::generate(&SeededSecretSource::new(n)).unwrap();
    let change = EmailChange {
        account: of.id,
        new_email: email(to),
        token_hash: token.hash(),
        created_at: at,
        expires_at: at + Duration::hours(1),
        status: InvitationStatus::Pending,
    };
    (change, token)
}

pub async fn a_newer_email_change_link_voids_the_older_and_a_link_is_consumed_once<S: Backend>(
    store: &S,
) {
    let jo = account(1, "jo@example.org");
    let sam = account(2, "sam@example.org");
    insert_account(store, &jo).await;
    insert_account(store, &sam).await;
    let later = T0 + Duration::minutes(5);
    let (first, first_token) = change(1, &jo, "jo.first@example.org", T0);
    let (other, other_token) = change(2, &sam, "sam.new@example.org", T0);
    let (second, second_token) = change(3, &jo, "Jo.Second@Example.ORG", later);
    let mut tx = store.begin().await.unwrap();
    for c in [&first, &other, &second] {
        tx.email_changes().insert_superseding(c).await.unwrap();
    }
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    let stored_first = tx
        .email_changes()
        .find_by_token(&first_token.hash())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored_first.status, InvitationStatus::Superseded(later));
    // Another account's link is not voided by jo's newer one.
    assert_eq!(
        tx.email_changes()
            .find_by_token(&other_token.hash())
            .await
            .unwrap(),
        Some(other.clone())
    );
    // The new address comes back as typed, compared case-insensitively.
    let stored_second = tx
        .email_changes()
        .find_by_token(&second_token.hash())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored_second, second);
    assert_eq!(
        stored_second.new_email.as_entered(),
        "Jo.Second@Example.ORG"
    );
    assert_eq!(
        tx.email_changes()
            .find_by_token(&unknown_token_hash())
            .await
            .unwrap(),
        None
    );

    assert_eq!(
        tx.email_changes().consume(&first_token.hash(), later).await,
        Err(InvitationError::Superseded)
    );
    assert_eq!(
        tx.email_changes()
            .consume(&other_token.hash(), T0 + Duration::hours(1))
            .await,
        Err(InvitationError::Expired)
    );
    assert_eq!(
        tx.email_changes()
            .consume(&unknown_token_hash(), later)
            .await,
        Err(InvitationError::Unknown)
    );
    // A refused link is left as it was.
    assert_eq!(
        tx.email_changes()
            .find_by_token(&other_token.hash())
            .await
            .unwrap(),
        Some(other)
    );
    let used = tx
        .email_changes()
        .consume(&second_token.hash(), later)
        .await
        .unwrap();
    assert_eq!(
        used,
        EmailChange {
            status: InvitationStatus::Used(later),
            ..second
        }
    );
    assert_eq!(used.new_email.as_entered(), "Jo.Second@Example.ORG");
    assert_eq!(
        tx.email_changes()
            .consume(&second_token.hash(), later)
            .await,
        Err(InvitationError::Used)
    );
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.email_changes()
            .find_by_token(&second_token.hash())
            .await
            .unwrap()
            .unwrap()
            .status,
        InvitationStatus::Used(later)
    );
    // Using a link does not change the account: the service does that with `set_email`.
    assert_eq!(tx.accounts().get(jo.id).await.unwrap(), Some(jo));
}

pub async fn an_uncommitted_email_change_link_leaves_no_trace<S: Backend>(store: &S) {
    let jo = account(1, "jo@example.org");
    insert_account(store, &jo).await;
    let (first, first_token) = change(1, &jo, "jo.first@example.org", T0);
    let mut tx = store.begin().await.unwrap();
    tx.email_changes().insert_superseding(&first).await.unwrap();
    tx.commit().await.unwrap();

    let (second, second_token) = change(2, &jo, "jo.second@example.org", T0);
    let mut tx = store.begin().await.unwrap();
    tx.email_changes()
        .insert_superseding(&second)
        .await
        .unwrap();
    drop(tx);

    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.email_changes()
            .find_by_token(&second_token.hash())
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        tx.email_changes()
            .find_by_token(&first_token.hash())
            .await
            .unwrap(),
        Some(first),
        "the older link is still pending"
    );
}

pub async fn eight_concurrent_uses_of_one_email_change_link_have_exactly_one_winner<S: Backend>(
    store: &S,
) {
    let jo = account(1, "jo@example.org");
    insert_account(store, &jo).await;
    let (c, token) = change(1, &jo, "jo.new@example.org", T0);
    let mut tx = store.begin().await.unwrap();
    tx.email_changes().insert_superseding(&c).await.unwrap();
    tx.commit().await.unwrap();
    let hash = token.hash();
    let outcomes = race(store, 8, move |store, _| async move {
        let mut tx = store.begin().await.unwrap();
        let outcome = tx.email_changes().consume(&hash, T0).await;
        tx.commit().await.unwrap();
        outcome.map(|used| used.status)
    })
    .await;
    let winners: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
    assert_eq!(winners, [&InvitationStatus::Used(T0)], "{outcomes:?}");
    assert!(
        outcomes
            .iter()
            .filter(|o| o.is_err())
            .all(|o| o == &Err(InvitationError::Used)),
        "{outcomes:?}"
    );
}

pub async fn a_new_address_replaces_the_old_and_an_unknown_id_changes_nothing<S: Backend>(
    store: &S,
) {
    let jo = account(1, "jo@example.org");
    let sam = account(2, "sam@example.org");
    insert_account(store, &jo).await;
    insert_account(store, &sam).await;

    let mut tx = store.begin().await.unwrap();
    tx.accounts()
        .set_email(jo.id, &email("Jo.New@Example.ORG"))
        .await
        .unwrap();
    tx.accounts()
        .set_email(AccountId(Uuid::from_u128(42)), &email("nobody@example.org"))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    let found = tx
        .accounts()
        .find_by_email(&email("jo.new@example.org"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, jo.id);
    assert_eq!(found.email.as_entered(), "Jo.New@Example.ORG");
    assert_eq!(found.password_hash, jo.password_hash);
    assert_eq!(found.created_at, jo.created_at);
    assert_eq!(tx.accounts().get(jo.id).await.unwrap(), Some(found));
    assert_eq!(
        tx.accounts()
            .find_by_email(&email("jo@example.org"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(tx.accounts().get(sam.id).await.unwrap(), Some(sam));
    assert_eq!(
        tx.accounts()
            .get(AccountId(Uuid::from_u128(42)))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        tx.accounts()
            .find_by_email(&email("nobody@example.org"))
            .await
            .unwrap(),
        None
    );
    // The old address is free for a new account.
    tx.accounts()
        .insert(&account(3, "JO@example.org"))
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

pub async fn a_new_address_held_by_another_account_in_any_case_is_refused_and_changes_nothing<
    S: Backend,
>(
    store: &S,
) {
    let jo = account(1, "jo@example.org");
    let sam = account(2, "Sam@Example.org");
    insert_account(store, &jo).await;
    insert_account(store, &sam).await;

    let mut tx = store.begin().await.unwrap();
    for taken in ["Sam@Example.org", "sam@example.org", "  SAM@EXAMPLE.ORG "] {
        assert_eq!(
            tx.accounts().set_email(jo.id, &email(taken)).await,
            Err(AccountError::EmailTaken),
            "{taken}"
        );
    }
    // Nothing changed, and the unit of work stays usable (as after a refused `insert`).
    assert_eq!(tx.accounts().get(jo.id).await.unwrap(), Some(jo.clone()));
    assert_eq!(tx.accounts().get(sam.id).await.unwrap(), Some(sam.clone()));
    tx.accounts()
        .end_sessions(jo.id, T0 + Duration::hours(1))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.accounts().get(jo.id).await.unwrap(), Some(jo.clone()));
    assert_eq!(
        tx.accounts().sessions_ended_at(jo.id).await.unwrap(),
        Some(T0 + Duration::hours(1))
    );
    let found = tx
        .accounts()
        .find_by_email(&email("sam@example.org"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.id, sam.id);
    assert_eq!(found.email.as_entered(), "Sam@Example.org");
    // Its own address in another case is not another account's: it is stored as typed.
    tx.accounts()
        .set_email(jo.id, &email("JO@example.org"))
        .await
        .unwrap();
    assert_eq!(
        tx.accounts()
            .get(jo.id)
            .await
            .unwrap()
            .unwrap()
            .email
            .as_entered(),
        "JO@example.org"
    );
}

pub async fn eight_concurrent_changes_to_one_address_leave_it_with_one_account<S: Backend>(
    store: &S,
) {
    let people: Vec<Account> = (0..8u128)
        .map(|i| account(100 + i, &format!("person{i}@example.org")))
        .collect();
    for person in &people {
        insert_account(store, person).await;
    }
    let ids: Vec<AccountId> = people.iter().map(|p| p.id).collect();
    let outcomes = race(store, 8, move |store: S, i| {
        let id = ids[i];
        async move {
            let mut tx = store.begin().await?;
            // Every task spells the address differently.
            let address = if i % 2 == 0 {
                "Shared@Example.org"
            } else {
                "shared@EXAMPLE.ORG"
            };
            match tx.accounts().set_email(id, &email(address)).await {
                Ok(()) => {
                    tx.commit().await?;
                    Ok::<bool, StoreError>(true)
                }
                Err(AccountError::EmailTaken) => Ok(false),
                Err(AccountError::Store(e)) => Err(e),
            }
        }
    })
    .await;
    let winners: Vec<usize> = (0..8)
        .filter(|i| matches!(outcomes[*i], Ok(true)))
        .collect();
    let refused = outcomes.iter().filter(|o| matches!(o, Ok(false))).count();
    assert_eq!((winners.len(), refused), (1, 7), "{outcomes:?}");

    let mut tx = store.begin().await.unwrap();
    let owner = tx
        .accounts()
        .find_by_email(&email("shared@example.org"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(owner.id, people[winners[0]].id);
    for (i, person) in people.iter().enumerate() {
        if i != winners[0] {
            assert_eq!(
                tx.accounts().get(person.id).await.unwrap().as_ref(),
                Some(person),
                "a refused change leaves the account as it was"
            );
        }
    }
}

pub async fn voiding_an_accounts_pending_email_change_links_leaves_used_and_others_links_alone<
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
    let (used, used_token) = change(1, &jo, "jo.used@example.org", T0);
    let (pending, pending_token) =
        change(2, &jo, "jo.pending@example.org", T0 + Duration::minutes(2));
    let (other, other_token) = change(3, &sam, "sam.new@example.org", T0);
    let mut tx = store.begin().await.unwrap();
    tx.email_changes().insert_superseding(&used).await.unwrap();
    tx.email_changes()
        .consume(&used_token.hash(), T0 + Duration::minutes(1))
        .await
        .unwrap();
    tx.email_changes()
        .insert_superseding(&pending)
        .await
        .unwrap();
    tx.email_changes().insert_superseding(&other).await.unwrap();
    tx.commit().await.unwrap();

    let at = T0 + Duration::minutes(10);
    let mut tx = store.begin().await.unwrap();
    tx.email_changes().void_pending(jo.id, at).await.unwrap();
    // An account with no link, and one whose links are all voided already: nothing to do.
    tx.email_changes().void_pending(kim.id, at).await.unwrap();
    tx.email_changes()
        .void_pending(jo.id, at + Duration::hours(1))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    // Voided when first voided: a second call does not move the time on.
    assert_eq!(
        tx.email_changes()
            .find_by_token(&pending_token.hash())
            .await
            .unwrap(),
        Some(EmailChange {
            status: InvitationStatus::Superseded(at),
            ..pending.clone()
        })
    );
    assert_eq!(
        tx.email_changes()
            .find_by_token(&used_token.hash())
            .await
            .unwrap()
            .unwrap()
            .status,
        InvitationStatus::Used(T0 + Duration::minutes(1)),
        "a used link stays used"
    );
    assert_eq!(
        tx.email_changes()
            .find_by_token(&other_token.hash())
            .await
            .unwrap(),
        Some(other.clone()),
        "another account's pending link is untouched"
    );
    assert_eq!(
        tx.email_changes().latest_for_account(kim.id).await.unwrap(),
        None
    );
    assert_eq!(
        tx.email_changes().consume(&pending_token.hash(), at).await,
        Err(InvitationError::Superseded)
    );
    // Another account's link still works.
    assert_eq!(
        tx.email_changes()
            .consume(&other_token.hash(), at)
            .await
            .unwrap()
            .status,
        InvitationStatus::Used(at)
    );
    tx.commit().await.unwrap();
}

pub async fn the_latest_email_change_link_is_the_newest_of_the_account_whatever_its_status<
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
    let later = T0 + Duration::minutes(5);
    let (newer, _) = change(1, &jo, "jo.newer@example.org", later);
    let (older, _) = change(2, &jo, "jo.older@example.org", T0);
    let (sams, _) = change(3, &sam, "sam.new@example.org", T0 + Duration::minutes(30));
    let mut tx = store.begin().await.unwrap();
    // Stored out of order: the newest by `created_at` is the latest, not the last stored.
    tx.email_changes().insert_superseding(&newer).await.unwrap();
    tx.email_changes().insert_superseding(&older).await.unwrap();
    tx.email_changes().insert_superseding(&sams).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    let latest = tx
        .email_changes()
        .latest_for_account(jo.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(latest.token_hash, newer.token_hash);
    assert_eq!(latest.created_at, later);
    assert_eq!(latest.new_email.as_entered(), "jo.newer@example.org");
    assert_eq!(
        tx.email_changes().latest_for_account(sam.id).await.unwrap(),
        Some(sams)
    );
    assert_eq!(
        tx.email_changes().latest_for_account(kim.id).await.unwrap(),
        None
    );

    // Two links at one instant: the one stored last is the latest (as the in-memory store's).
    let (same_instant, same_token) = change(4, &jo, "jo.same@example.org", later);
    tx.email_changes()
        .insert_superseding(&same_instant)
        .await
        .unwrap();
    assert_eq!(
        tx.email_changes().latest_for_account(jo.id).await.unwrap(),
        Some(same_instant.clone())
    );
    // A used link is still the latest.
    tx.email_changes()
        .consume(&same_token.hash(), later)
        .await
        .unwrap();
    assert_eq!(
        tx.email_changes().latest_for_account(jo.id).await.unwrap(),
        Some(EmailChange {
            status: InvitationStatus::Used(later),
            ..same_instant
        })
    );
    tx.commit().await.unwrap();
}

/// Eight units of work at once each ask for the account's newest link and store one only if
/// there is none yet (the service's one-a-minute rule): `latest_for_account` serialises them,
/// so exactly one link is stored.
pub async fn eight_concurrent_requests_checking_the_newest_link_store_exactly_one<S: Backend>(
    store: &S,
) {
    let jo = account(1, "jo@example.org");
    insert_account(store, &jo).await;
    let outcomes = race(store, 8, move |store, n| {
        let jo = jo.clone();
        async move {
            let mut tx = store.begin().await.unwrap();
            let latest = tx.email_changes().latest_for_account(jo.id).await.unwrap();
            // Time for the others to ask too, if nothing holds them back.
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            let stored = latest.is_none();
            if stored {
                let (c, _) = change(100 + n as u64, &jo, "jo.new@example.org", T0);
                tx.email_changes().insert_superseding(&c).await.unwrap();
            }
            tx.commit().await.unwrap();
            stored
        }
    })
    .await;
    assert_eq!(outcomes.iter().filter(|s| **s).count(), 1, "{outcomes:?}");
}
