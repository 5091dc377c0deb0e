//! Units of work (nothing visible before commit), the append-only audit log, migrations.

use crate::support::insert_account;
use ehc_core::account::AccountId;
use ehc_core::audit::{AuditEvent, AuditKind};
use ehc_core::invitation::InvitationStatus;
use ehc_core::lockout::{LockoutKind, LockoutPolicy};
use ehc_core::second_factor::Enrolment;
use ehc_store_contract::{Backend, T0, account, email, invitation, message};
use time::Duration;
use uuid::Uuid;

pub async fn an_uncommitted_unit_of_work_leaves_no_trace<S: Backend>(store: &S) {
    let jo = account(1, "jo@example.org");
    insert_account(store, &jo).await;
    let sam = account(2, "sam@example.org");
    let (inv, token) = invitation(3, "kim@example.org", T0);
    let (pending, pending_token) = invitation(4, "lee@example.org", T0);
    {
        let mut tx = store.begin().await.unwrap();
        tx.invitations().insert_superseding(&pending).await.unwrap();
        tx.commit().await.unwrap();
    }

    {
        let mut tx = store.begin().await.unwrap();
        tx.accounts().insert(&sam).await.unwrap();
        tx.invitations().insert_superseding(&inv).await.unwrap();
        tx.invitations()
            .consume(&pending_token.hash(), T0)
            .await
            .unwrap();
        tx.second_factors()
            .enrol(
                jo.id,
                &Enrolment::App {
                    secret: ehc_core::second_factor::TotpSecret::from_bytes([7; 20]),
                },
                None,
                T0,
            )
            .await
            .unwrap();
        tx.lockouts()
            .record_failure(
                jo.id,
                LockoutKind::Password,
                T0,
                LockoutPolicy {
                    max_failures: 6,
                    lock_for: Duration::minutes(15),
                },
            )
            .await
            .unwrap();
        tx.outbox().enqueue(&message(5, true, T0)).await.unwrap();
        tx.audit()
            .append(&AuditEvent {
                at: T0,
                actor: None,
                subject: Some(sam.id),
                kind: AuditKind::Registered,
                origin: None,
                case: None,
                detail: String::new(),
            })
            .await
            .unwrap();
        // Dropped without commit.
    }

    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.accounts()
            .find_by_email(&email("sam@example.org"))
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        tx.invitations().find_by_token(&token.hash()).await.unwrap(),
        None
    );
    let still = tx
        .invitations()
        .find_by_token(&pending_token.hash())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(still.status, InvitationStatus::Pending);
    assert_eq!(tx.second_factors().enrolment(jo.id).await.unwrap(), None);
    assert_eq!(
        tx.lockouts()
            .get(jo.id, LockoutKind::Password)
            .await
            .unwrap()
            .failures,
        0
    );
    drop(tx);
    assert!(
        store
            .claim_due(10, T0 + Duration::days(1), Duration::MINUTE)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.audit().await.is_empty());
}

pub async fn audit_entries_come_back_in_order_and_cannot_be_changed_or_deleted<S: Backend>(
    store: &S,
) {
    let jo = AccountId(Uuid::from_u128(1));
    let events = vec![
        AuditEvent {
            at: T0,
            actor: None,
            subject: None,
            kind: AuditKind::Invited,
            origin: Some("192.0.2.10".parse().unwrap()),
            case: None,
            detail: "jo@example.org as LA officer".into(),
        },
        AuditEvent {
            at: T0 + Duration::minutes(1),
            actor: Some(jo),
            subject: Some(AccountId(Uuid::from_u128(2))),
            kind: AuditKind::SignedIn,
            origin: Some("2001:db8::1".parse().unwrap()),
            case: None,
            detail: "app".into(),
        },
        AuditEvent {
            at: T0 + Duration::minutes(1),
            actor: Some(jo),
            subject: None,
            kind: AuditKind::CodeSendLimited,
            origin: None,
            // Any case id: the log keeps it whatever becomes of the case.
            case: Some(ehc_core::case::CaseId(Uuid::from_u128(9))),
            detail: String::new(),
        },
    ];
    let mut tx = store.begin().await.unwrap();
    for e in &events {
        tx.audit().append(e).await.unwrap();
    }
    tx.commit().await.unwrap();
    assert_eq!(store.audit().await, events);

    let (update, delete) = store.tamper_with_audit().await;
    let update = update.unwrap_err();
    let delete = delete.unwrap_err();
    assert!(update.contains("append-only"), "{update}");
    assert!(delete.contains("append-only"), "{delete}");
    assert_eq!(store.audit().await, events);
}

pub async fn migrating_twice_changes_nothing<S: Backend>(store: &S) {
    let jo = account(1, "jo@example.org");
    insert_account(store, &jo).await;
    let before = store.schema_fingerprint().await;
    // Every migration file of the adapters is applied (both adapters have the same numbers).
    let files = std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../adapters/ehc-store-sqlite/migrations"
    ))
    .unwrap()
    .count();
    assert!(
        before.starts_with(&format!("{files} migrations;")),
        "{files} files: {before}"
    );

    store.migrate_again().await.unwrap();
    store.migrate_again().await.unwrap();

    assert_eq!(store.schema_fingerprint().await, before);
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.accounts().get(jo.id).await.unwrap(), Some(jo));
}
