//! The audit log search (issue 8): each filter, the order and the keyset pages (no repeat and
//! no gap while entries are appended), each filter served by its index, a case found by its
//! reference, and a port that can only append and search.

use async_trait::async_trait;
use ehc_core::account::AccountId;
use ehc_core::audit::{
    AuditEntry, AuditEvent, AuditFilter, AuditKey, AuditKind, AuditLog, PagePosition,
};
use ehc_core::case::{Case, CaseId, Child, LaReference, ReceivedBy};
use ehc_core::ports::{Store, StoreError};
use ehc_store_contract::{Backend, T0, account};
use time::Duration;
use time::macros::date;
use uuid::Uuid;

use crate::support::insert_account;

const CASE: CaseId = CaseId(Uuid::from_u128(900));

fn event(n: i64, kind: AuditKind) -> AuditEvent {
    AuditEvent {
        // Two entries at each instant, so the sequence number must break ties.
        at: T0 + Duration::seconds(n / 2),
        actor: None,
        subject: None,
        kind,
        origin: Some("192.0.2.1".parse().unwrap()),
        case: None,
        detail: format!("entry {n}"),
    }
}

async fn append<S: Store>(store: &S, events: &[AuditEvent]) {
    let mut tx = store.begin().await.unwrap();
    for e in events {
        tx.audit().append(e).await.unwrap();
    }
    tx.commit().await.unwrap();
}

async fn search<S: Store>(
    store: &S,
    filter: &AuditFilter,
    position: PagePosition,
    limit: u32,
) -> Vec<AuditEntry> {
    let mut tx = store.begin().await.unwrap();
    let found = tx.audit().search(filter, position, limit).await.unwrap();
    tx.commit().await.unwrap();
    found
}

fn details(entries: &[AuditEntry]) -> Vec<String> {
    entries.iter().map(|e| e.event.detail.clone()).collect()
}

/// Jo and Sam, the case `EHC/900`, and eight entries: 0–1 by Jo, 2–3 about Jo (by Sam), 4–5 on
/// the case, 6–7 nobody's; even ones signed-in, odd ones case-viewed.
async fn seed<S: Store>(store: &S) -> (AccountId, AccountId) {
    let jo = account(1, "Jo@Example.org");
    let sam = account(2, "sam@example.org");
    insert_account(store, &jo).await;
    insert_account(store, &sam).await;
    let mut tx = store.begin().await.unwrap();
    tx.cases()
        .insert(&Case::received(
            CASE,
            LaReference::parse("ehc/900").unwrap(),
            Child {
                given_name: "Ava".into(),
                family_name: "Thornbury".into(),
                date_of_birth: date!(2015 - 03 - 14),
            },
            date!(2026 - 01 - 05),
            ReceivedBy::Email,
            T0,
        ))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let events: Vec<AuditEvent> = (0..8)
        .map(|n| {
            let mut e = event(
                n * 2,
                if n % 2 == 0 {
                    AuditKind::SignedIn
                } else {
                    AuditKind::CaseViewed
                },
            );
            match n {
                0 | 1 => e.actor = Some(jo.id),
                2 | 3 => {
                    e.actor = Some(sam.id);
                    e.subject = Some(jo.id);
                }
                4 | 5 => e.case = Some(CASE),
                _ => {}
            }
            e.detail = format!("entry {n}");
            e
        })
        .collect();
    append(store, &events).await;
    (jo.id, sam.id)
}

pub async fn an_audit_search_selects_by_person_case_kind_and_instants_newest_first<S: Backend>(
    store: &S,
) {
    let (jo, sam) = seed(store).await;
    let all = AuditFilter::default();
    let newest = |filter: AuditFilter| async move {
        details(&search(store, &filter, PagePosition::Newest, 100).await)
    };
    let entries = |ns: &[u8]| -> Vec<String> { ns.iter().map(|n| format!("entry {n}")).collect() };

    assert_eq!(
        newest(all.clone()).await,
        entries(&[7, 6, 5, 4, 3, 2, 1, 0])
    );
    // A person as actor or as subject.
    let by_jo = AuditFilter {
        person: Some(jo),
        ..all.clone()
    };
    assert_eq!(newest(by_jo.clone()).await, entries(&[3, 2, 1, 0]));
    let by_sam = AuditFilter {
        person: Some(sam),
        ..all.clone()
    };
    assert_eq!(newest(by_sam).await, entries(&[3, 2]));
    let on_case = AuditFilter {
        case: Some(CASE),
        ..all.clone()
    };
    assert_eq!(newest(on_case).await, entries(&[5, 4]));
    let viewed = AuditFilter {
        kind: Some(AuditKind::CaseViewed),
        ..all.clone()
    };
    assert_eq!(newest(viewed).await, entries(&[7, 5, 3, 1]));
    // From inclusive, until exclusive (entry n is at T0 + n seconds).
    let range = AuditFilter {
        from: Some(T0 + Duration::seconds(2)),
        until: Some(T0 + Duration::seconds(6)),
        ..all.clone()
    };
    assert_eq!(newest(range.clone()).await, entries(&[5, 4, 3, 2]));
    // All at once: and.
    let together = AuditFilter {
        person: Some(jo),
        kind: Some(AuditKind::CaseViewed),
        ..range
    };
    assert_eq!(newest(together).await, entries(&[3]));

    // Each entry comes back whole, with the addresses and the case's reference.
    let found = search(store, &all, PagePosition::Newest, 100).await;
    let about_jo = &found[4];
    assert_eq!(about_jo.event.actor, Some(sam));
    assert_eq!(about_jo.event.subject, Some(jo));
    assert_eq!(about_jo.event.at, T0 + Duration::seconds(3));
    assert_eq!(about_jo.event.origin, Some("192.0.2.1".parse().unwrap()));
    assert_eq!(about_jo.actor_email.as_deref(), Some("sam@example.org"));
    assert_eq!(about_jo.subject_email.as_deref(), Some("Jo@Example.org"));
    assert_eq!(found[2].event.case, Some(CASE));
    assert_eq!(found[2].case_reference.as_deref(), Some("EHC/900"));
    assert_eq!(found[0].actor_email, None);
    assert!(found.windows(2).all(|w| w[0].key > w[1].key));
    assert_eq!(store.audit().await.len(), 8);

    // The case is found by its reference, in any case; an unknown one is not.
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.cases()
            .find_by_reference(&LaReference::parse("Ehc/900").unwrap())
            .await
            .unwrap(),
        Some(CASE)
    );
    assert_eq!(
        tx.cases()
            .find_by_reference(&LaReference::parse("EHC/901").unwrap())
            .await
            .unwrap(),
        None
    );
}

pub async fn audit_pages_neither_repeat_nor_skip_an_entry_while_entries_are_appended<S: Backend>(
    store: &S,
) {
    let before: Vec<AuditEvent> = (0..230).map(|n| event(n, AuditKind::CodeSent)).collect();
    append(store, &before).await;
    let expected: Vec<String> = before.iter().rev().map(|e| e.detail.clone()).collect();
    let filter = AuditFilter {
        kind: Some(AuditKind::CodeSent),
        ..AuditFilter::default()
    };

    // A writer appends entries of the same kind (newer, and some at instants inside the range
    // already paged) all the while.
    let writer = {
        let store = store.clone();
        tokio::spawn(async move {
            for n in 0..40 {
                let mut late = event(1_000 + n, AuditKind::CodeSent);
                if n % 2 == 0 {
                    late.at = T0 + Duration::seconds(50);
                }
                late.detail = format!("late {n}");
                append(&store, &[late]).await;
                tokio::task::yield_now().await;
            }
        })
    };
    let mut seen = Vec::new();
    let mut position = PagePosition::Newest;
    let mut first_page = Vec::new();
    loop {
        let page = search(store, &filter, position, 50).await;
        let Some(last) = page.last() else { break };
        if first_page.is_empty() {
            first_page = page.clone();
        }
        position = PagePosition::OlderThan(last.key);
        seen.extend(
            page.iter()
                .map(|e| e.event.detail.clone())
                .filter(|d| d.starts_with("entry")),
        );
        tokio::task::yield_now().await;
    }
    writer.await.unwrap();
    assert_eq!(seen, expected);

    // The way back: the entries newer than a key, nearest first, given newest first.
    let second = search(
        store,
        &filter,
        PagePosition::OlderThan(first_page.last().unwrap().key),
        50,
    )
    .await;
    let back = search(
        store,
        &filter,
        PagePosition::NewerThan(second.first().unwrap().key),
        50,
    )
    .await;
    assert_eq!(back.len(), 50);
    assert!(back.windows(2).all(|w| w[0].key > w[1].key));
    assert!(back.last().unwrap().key > second.first().unwrap().key);
    let later_than_back: Vec<AuditEntry> = search(store, &filter, PagePosition::Newest, 1_000)
        .await
        .into_iter()
        .filter(|e| e.key > second.first().unwrap().key)
        .collect();
    assert_eq!(back, later_than_back[later_than_back.len() - 50..]);
}

pub async fn each_audit_filter_is_served_by_its_index<S: Backend>(store: &S) {
    seed(store).await;
    let someone = AccountId(Uuid::from_u128(1));
    let range = (Some(T0), Some(T0 + Duration::days(1)));
    for (filter, indexes) in [
        (AuditFilter::default(), &["audit_log_by_time"][..]),
        (
            AuditFilter {
                person: Some(someone),
                ..AuditFilter::default()
            },
            &["audit_log_by_actor", "audit_log_by_subject"][..],
        ),
        (
            AuditFilter {
                case: Some(CASE),
                ..AuditFilter::default()
            },
            &["audit_log_by_case"][..],
        ),
        (
            AuditFilter {
                kind: Some(AuditKind::SignedIn),
                ..AuditFilter::default()
            },
            &["audit_log_by_kind"][..],
        ),
        (
            AuditFilter {
                from: range.0,
                until: range.1,
                ..AuditFilter::default()
            },
            &["audit_log_by_time"][..],
        ),
    ] {
        let plan = store.audit_search_plan(&filter).await;
        for index in indexes {
            assert!(
                plan.contains(index),
                "{filter:?} should use {index}:\n{plan}"
            );
        }
        // The log itself is never read whole.
        assert!(
            !plan.contains("SCAN l\n") && !plan.ends_with("SCAN l") && !plan.contains("Seq Scan"),
            "{filter:?}:\n{plan}"
        );
    }
}

/// An implementation of the port with only what it asks for: if the port ever gained a way to
/// change or remove an entry, this would not compile.
struct OnlyAppendAndSearch;

#[async_trait]
impl AuditLog for OnlyAppendAndSearch {
    async fn append(&mut self, _: &AuditEvent) -> Result<(), StoreError> {
        Ok(())
    }
    async fn search(
        &mut self,
        _: &AuditFilter,
        _: PagePosition,
        _: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        Ok(Vec::new())
    }
}

pub async fn the_audit_port_only_appends_and_searches_and_the_database_refuses_changes<
    S: Backend,
>(
    store: &S,
) {
    let mut only = OnlyAppendAndSearch;
    let port: &mut dyn AuditLog = &mut only;
    port.append(&event(0, AuditKind::SignedIn)).await.unwrap();
    assert!(
        port.search(&AuditFilter::default(), PagePosition::Newest, 1)
            .await
            .unwrap()
            .is_empty()
    );

    seed(store).await;
    let before = store.audit().await;
    let (update, delete) = store.tamper_with_audit().await;
    assert!(update.unwrap_err().contains("append-only"));
    assert!(delete.unwrap_err().contains("append-only"));
    assert_eq!(store.audit().await, before);
    // Nor does a page key let anyone reach past the log: a key older than everything is empty.
    let oldest = AuditKey {
        at: T0 - Duration::days(1),
        seq: 0,
    };
    assert!(
        search(
            store,
            &AuditFilter::default(),
            PagePosition::OlderThan(oldest),
            10
        )
        .await
        .is_empty()
    );
}

/// What migration 0012 makes of entries written before it: the case named in their detail, in
/// either of the two forms the core wrote, becomes their case; other entries have none. The
/// store is opened on a database with the older migrations and these rows, and migrates it.
pub mod migration_12 {
    use super::*;
    use ehc_store_contract::{Fixture, PgFixture, older_migrations};
    use ehc_store_postgres::PgStoreOptions;
    use ehc_store_sqlite::{SqliteStore, SqliteStoreOptions};

    const A: &str = "0b7a7c4e-0d6c-4d34-9c55-7d0f8f3b2a11";
    const B: &str = "5f0e1d2c-3b4a-4958-8776-a5b4c3d2e1f0";

    fn details() -> [(String, Option<CaseId>); 5] {
        let case = |id: &str| Some(CaseId::parse(id).unwrap());
        [
            (format!("case {A}"), case(A)),
            (format!("case {A}: recorded a decision"), case(A)),
            (
                format!("Parent or carer on case {B}, as its requester"),
                case(B),
            ),
            ("jo@example.org as LA officer".to_owned(), None),
            ("case created: not an id".to_owned(), None),
        ]
    }

    async fn check<S: Backend>(store: &S) {
        let stored = store.audit().await;
        let expected = details();
        assert_eq!(stored.len(), expected.len());
        for (event, (detail, case)) in stored.iter().zip(expected) {
            assert_eq!(event.detail, detail);
            assert_eq!(event.case, case, "{detail}");
        }
        // The trigger is back: the entries cannot be changed.
        let (update, _) = store.tamper_with_audit().await;
        assert!(update.unwrap_err().contains("append-only"));
    }

    #[tokio::test]
    async fn older_entries_get_the_case_of_their_detail_on_sqlite() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hub.db");
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        older_migrations("sqlite", 12).run(&pool).await.unwrap();
        for (detail, _) in details() {
            sqlx::query(
                "INSERT INTO audit_log (at, kind, detail) VALUES (1796029200000000, 'case-viewed', ?1)",
            )
            .bind(detail)
            .execute(&pool)
            .await
            .unwrap();
        }
        pool.close().await;
        let store = SqliteStore::open_file(&path, SqliteStoreOptions::default())
            .await
            .unwrap();
        check(&store).await;
        store.close().await;
    }

    #[tokio::test]
    async fn older_entries_get_the_case_of_their_detail_on_postgres() {
        let database = PgFixture::create_database().await;
        let pool = sqlx::PgPool::connect_with(database.1.clone())
            .await
            .unwrap();
        older_migrations("postgres", 12).run(&pool).await.unwrap();
        for (detail, _) in details() {
            sqlx::query(
                "INSERT INTO audit_log (at, kind, detail) VALUES (now(), 'case-viewed', $1)",
            )
            .bind(detail)
            .execute(&pool)
            .await
            .unwrap();
        }
        pool.close().await;
        let fixture = PgFixture::on_database(database, PgStoreOptions::default()).await;
        check(fixture.store()).await;
        fixture.finish().await;
    }
}
