//! `AccountRepository`: lookups, the case-insensitive unique address, password re-hash.

use crate::support::{insert_account, race};
use ehc_core::account::{AccountError, AccountId};
use ehc_core::password::PasswordHash;
use ehc_core::ports::StoreError;
use ehc_store_contract::{Backend, account, email};
use uuid::Uuid;

pub async fn an_account_is_found_by_its_address_in_any_case_and_by_its_id<S: Backend>(store: &S) {
    let jo = account(1, "Jo.Bloggs@Example.GOV.UK");
    insert_account(store, &jo).await;

    let mut tx = store.begin().await.unwrap();
    let found = tx
        .accounts()
        .find_by_email(&email("jo.bloggs@example.gov.uk"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, jo);
    assert_eq!(found.email.as_entered(), "Jo.Bloggs@Example.GOV.UK");
    assert_eq!(found.password_hash, jo.password_hash);
    assert_eq!(found.created_at, jo.created_at);
    assert_eq!(tx.accounts().get(jo.id).await.unwrap(), Some(jo.clone()));
    assert_eq!(
        tx.accounts()
            .get(AccountId(Uuid::from_u128(99)))
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
}

pub async fn one_address_holds_one_account_whatever_its_case<S: Backend>(store: &S) {
    insert_account(store, &account(1, "jo.bloggs@example.gov.uk")).await;

    let mut tx = store.begin().await.unwrap();
    let again = tx
        .accounts()
        .insert(&account(2, "  JO.Bloggs@EXAMPLE.gov.uk "))
        .await;
    assert_eq!(again, Err(AccountError::EmailTaken));
    drop(tx);

    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.accounts()
            .get(AccountId(Uuid::from_u128(2)))
            .await
            .unwrap(),
        None
    );
}

pub async fn a_refused_account_leaves_the_unit_of_work_usable<S: Backend>(store: &S) {
    insert_account(store, &account(1, "jo@example.org")).await;

    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.accounts().insert(&account(2, "JO@example.org")).await,
        Err(AccountError::EmailTaken)
    );
    tx.accounts()
        .insert(&account(3, "sam@example.org"))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    assert!(
        tx.accounts()
            .find_by_email(&email("sam@example.org"))
            .await
            .unwrap()
            .is_some()
    );
}

pub async fn a_new_password_hash_replaces_the_old_and_an_unknown_id_changes_nothing<S: Backend>(
    store: &S,
) {
    let jo = account(1, "jo@example.org");
    insert_account(store, &jo).await;
    let newer = PasswordHash::from_phc("$argon2id$v=19$m=19456,t=3,p=1$newer");

    let mut tx = store.begin().await.unwrap();
    tx.accounts()
        .set_password_hash(jo.id, &newer)
        .await
        .unwrap();
    tx.accounts()
        .set_password_hash(AccountId(Uuid::from_u128(42)), &newer)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    let stored = tx.accounts().get(jo.id).await.unwrap().unwrap();
    assert_eq!(stored.password_hash, newer);
    assert_eq!(
        tx.accounts()
            .get(AccountId(Uuid::from_u128(42)))
            .await
            .unwrap(),
        None
    );
}

pub async fn eight_concurrent_registrations_of_one_address_make_one_account<S: Backend>(store: &S) {
    let outcomes = race(store, 8, |store: S, i| async move {
        let mut tx = store.begin().await?;
        // Every task spells the address differently.
        let address = if i % 2 == 0 {
            "Jo@Example.org"
        } else {
            "jo@EXAMPLE.ORG"
        };
        match tx
            .accounts()
            .insert(&account(100 + i as u128, address))
            .await
        {
            Ok(()) => {
                tx.commit().await?;
                Ok::<bool, StoreError>(true)
            }
            Err(AccountError::EmailTaken) => Ok(false),
            Err(AccountError::Store(e)) => Err(e),
        }
    })
    .await;
    let winners = outcomes.iter().filter(|o| matches!(o, Ok(true))).count();
    let refused = outcomes.iter().filter(|o| matches!(o, Ok(false))).count();
    assert_eq!((winners, refused), (1, 7), "{outcomes:?}");
}

pub async fn many_accounts_are_read_at_once_and_unknown_ids_are_skipped<S: Backend>(store: &S) {
    let jo = account(1, "jo@example.org");
    let sam = account(2, "sam@example.org");
    insert_account(store, &jo).await;
    insert_account(store, &sam).await;
    let mut tx = store.begin().await.unwrap();
    let mut found = tx
        .accounts()
        .get_many(&[sam.id, AccountId(Uuid::from_u128(99)), jo.id])
        .await
        .unwrap();
    found.sort_by_key(|a| a.id.0);
    assert_eq!(found, [jo, sam]);
    assert!(tx.accounts().get_many(&[]).await.unwrap().is_empty());
}
