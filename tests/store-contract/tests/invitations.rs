//! `InvitationRepository` (supersede, find, consume once) and `RoleGrantRepository`.

use crate::support::{insert_account, race};
use ehc_core::account::AccountId;
use ehc_core::invitation::{InvitationError, InvitationService, InvitationStatus, InviteOutcome};
use ehc_core::registration::{RegistrationError, RegistrationService};
use ehc_core::role::{CaseId, GrantId, Grantor, Role, RoleGrant, Urn};
use ehc_core::settings::SecuritySettings;
use ehc_core::test_support::{FastHasher, SeededSecretSource};
use ehc_store_contract::{Backend, T0, account, email, invitation, unknown_token_hash};
use std::sync::Arc;
use time::Duration;
use uuid::Uuid;

pub async fn reinviting_an_address_supersedes_its_pending_invitation<S: Backend>(store: &S) {
    let (first, first_token) = invitation(1, "Jo@Example.org", T0);
    let (other, other_token) = invitation(2, "sam@example.org", T0);
    let later = T0 + Duration::hours(1);
    let (mut second, second_token) = invitation(3, "jo@example.ORG", later);
    second.roles = vec![
        Role::Sendco {
            setting: Urn::parse("100001").unwrap(),
        },
        Role::ParentCarer {
            case: CaseId(Uuid::from_u128(5)),
        },
    ];
    second.invited_by = Grantor::Account(AccountId(Uuid::from_u128(77)));

    let mut tx = store.begin().await.unwrap();
    tx.invitations().insert_superseding(&first).await.unwrap();
    tx.invitations().insert_superseding(&other).await.unwrap();
    tx.invitations().insert_superseding(&second).await.unwrap();
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    let stored_first = tx
        .invitations()
        .find_by_token(&first_token.hash())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored_first.status, InvitationStatus::Superseded(later));
    assert_eq!(
        tx.invitations()
            .find_by_token(&second_token.hash())
            .await
            .unwrap(),
        Some(second)
    );
    assert_eq!(
        tx.invitations()
            .find_by_token(&other_token.hash())
            .await
            .unwrap(),
        Some(other)
    );
    assert_eq!(
        tx.invitations()
            .find_by_token(&unknown_token_hash())
            .await
            .unwrap(),
        None
    );
}

pub async fn a_link_is_consumed_once_and_every_unusable_link_says_why<S: Backend>(store: &S) {
    let (live, live_token) = invitation(1, "jo@example.org", T0);
    let (old, old_token) = invitation(2, "sam@example.org", T0);
    let (replaced, replaced_token) = invitation(3, "kim@example.org", T0);
    let (newer, _) = invitation(4, "kim@example.org", T0 + Duration::minutes(1));
    let mut tx = store.begin().await.unwrap();
    for i in [&live, &old, &replaced, &newer] {
        tx.invitations().insert_superseding(i).await.unwrap();
    }
    tx.commit().await.unwrap();
    let now = T0 + Duration::days(1);

    let mut tx = store.begin().await.unwrap();
    let used = tx
        .invitations()
        .consume(&live_token.hash(), now)
        .await
        .unwrap();
    assert_eq!(used.id, live.id);
    assert_eq!(used.status, InvitationStatus::Used(now));
    assert_eq!(
        tx.invitations().consume(&live_token.hash(), now).await,
        Err(InvitationError::Used)
    );
    assert_eq!(
        tx.invitations().consume(&unknown_token_hash(), now).await,
        Err(InvitationError::Unknown)
    );
    assert_eq!(
        tx.invitations()
            .consume(&old_token.hash(), old.expires_at)
            .await,
        Err(InvitationError::Expired)
    );
    assert_eq!(
        tx.invitations().consume(&replaced_token.hash(), now).await,
        Err(InvitationError::Superseded)
    );
    tx.commit().await.unwrap();

    // Refusals changed nothing: the expired link is still pending, the used one still used.
    let mut tx = store.begin().await.unwrap();
    let old_now = tx
        .invitations()
        .find_by_token(&old_token.hash())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(old_now.status, InvitationStatus::Pending);
    let live_now = tx
        .invitations()
        .find_by_token(&live_token.hash())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(live_now.status, InvitationStatus::Used(now));
}

pub async fn eight_concurrent_registrations_with_one_link_make_exactly_one_account<S: Backend>(
    store: &S,
) {
    let settings = SecuritySettings {
        la_name: "Anytown Council".into(),
        ..Default::default()
    };
    let invitations = InvitationService::new(
        store.clone(),
        Arc::new(SeededSecretSource::new(1)),
        settings.clone(),
    );
    let InviteOutcome::Invited { token, .. } = invitations
        .invite(
            Grantor::System,
            "jo@example.org",
            vec![Role::LaOfficer],
            T0,
            None,
        )
        .await
        .unwrap()
    else {
        panic!("a new address is invited");
    };
    let link = token.to_link_param();

    let outcomes = race(store, 8, move |store: S, i| {
        let (link, settings) = (link.clone(), settings.clone());
        async move {
            // Each tab has its own randomness, so the losers would make different ids.
            let registration = RegistrationService::new(
                store,
                Arc::new(FastHasher::new()),
                Arc::new(SeededSecretSource::new(100 + i as u64)),
                settings,
            );
            registration
                .register(&link, "Harbour!Lights9", "Harbour!Lights9", T0, None)
                .await
        }
    })
    .await;

    let winners = outcomes.iter().filter(|o| o.is_ok()).count();
    let used = outcomes
        .iter()
        .filter(|o| matches!(o, Err(RegistrationError::Link(InvitationError::Used))))
        .count();
    assert_eq!((winners, used), (1, 7), "{outcomes:?}");
    let mut tx = store.begin().await.unwrap();
    let jo = tx
        .accounts()
        .find_by_email(&email("jo@example.org"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(Some(&Ok(jo.id)), outcomes.iter().find(|o| o.is_ok()));
    let grants = tx.grants().for_account(jo.id).await.unwrap();
    assert_eq!(grants.len(), 1);
}

pub async fn grants_come_back_oldest_first_and_a_revoked_grant_cannot_be_revoked_again<
    S: Backend,
>(
    store: &S,
) {
    let jo = account(1, "jo@example.org");
    let sam = account(2, "sam@example.org");
    insert_account(store, &jo).await;
    insert_account(store, &sam).await;
    let officer = Grantor::Account(sam.id);
    let grant = |n: u128, role: Role, minutes: i64| RoleGrant {
        id: GrantId(Uuid::from_u128(n)),
        account: jo.id,
        role,
        granted_by: officer,
        granted_at: T0 + Duration::minutes(minutes),
        expires_at: None,
        revoked: None,
    };
    let first = grant(
        10,
        Role::Sendco {
            setting: Urn::parse("100001").unwrap(),
        },
        0,
    );
    let second = RoleGrant {
        expires_at: Some(T0 + Duration::days(30)),
        ..grant(11, Role::Advocate { for_person: sam.id }, 1)
    };
    let third = grant(
        12,
        Role::YoungPerson {
            case: CaseId(Uuid::from_u128(3)),
        },
        2,
    );
    let sams = RoleGrant {
        account: sam.id,
        ..grant(13, Role::LaOfficer, 0)
    };

    let mut tx = store.begin().await.unwrap();
    for g in [&first, &second, &third, &sams] {
        tx.grants().insert(g).await.unwrap();
    }
    tx.commit().await.unwrap();

    let at = T0 + Duration::hours(1);
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.grants().for_account(jo.id).await.unwrap(),
        vec![first.clone(), second.clone(), third.clone()]
    );
    assert!(tx.grants().revoke(second.id, officer, at).await.unwrap());
    assert!(!tx.grants().revoke(second.id, officer, at).await.unwrap());
    assert!(
        !tx.grants()
            .revoke(GrantId(Uuid::from_u128(99)), officer, at)
            .await
            .unwrap()
    );
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    let after = tx.grants().for_account(jo.id).await.unwrap();
    assert_eq!(after[1].revoked, Some((officer, at)));
    assert!(!after[1].is_active(at));
    assert_eq!((&after[0], &after[2]), (&first, &third));
    assert_eq!(tx.grants().for_account(sam.id).await.unwrap(), vec![sams]);
}

pub async fn the_latest_invitation_of_an_address_is_found_in_any_case<S: Backend>(store: &S) {
    let (first, _) = invitation(1, "Jo@Example.org", T0);
    let (second, second_token) = invitation(2, "jo@example.ORG", T0 + Duration::hours(1));
    let (other, _) = invitation(3, "sam@example.org", T0 + Duration::hours(2));
    let mut tx = store.begin().await.unwrap();
    for i in [&first, &second, &other] {
        tx.invitations().insert_superseding(i).await.unwrap();
    }
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    let latest = tx
        .invitations()
        .latest_for_email(&email("JO@example.org"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(latest.token_hash, second_token.hash());
    assert_eq!(latest.status, InvitationStatus::Pending);
    assert!(
        tx.invitations()
            .latest_for_email(&email("nobody@example.org"))
            .await
            .unwrap()
            .is_none()
    );
}
