//! The audit log viewer on the in-memory store: only LA officers search and export, the filter
//! rules (every unusable filter reported at once, nothing read or appended), what each filter
//! selects, keyset pages newest first, and each search and export appended with ids only.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ehc_core::account::{Account, AccountId, EmailAddress};
use ehc_core::audit::{
    AuditEvent, AuditKey, AuditKind, AuditSearch, AuditService, AuditServiceError, FilterError,
    FilterField, PAGE_SIZE, PagePosition,
};
use ehc_core::case::CaseId;
use ehc_core::password::PasswordHash;
use ehc_core::ports::Store;
use ehc_core::role::{GrantId, Grantor, Role, RoleGrant};
use ehc_core::test_support::InMemoryStore;
use ehc_core::test_support::cases::blank_case;
use time::macros::{date, datetime};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

const NOW: OffsetDateTime = datetime!(2026-11-30 12:00 UTC);
const OFFICER: AccountId = AccountId(Uuid::from_u128(1));
const JO: AccountId = AccountId(Uuid::from_u128(2));
const PARENT: AccountId = AccountId(Uuid::from_u128(3));
const CASE: CaseId = CaseId(Uuid::from_u128(77));

struct World {
    store: InMemoryStore,
    audit: AuditService<InMemoryStore>,
}

impl World {
    /// An LA officer, Jo (no role), a parent of case `TEST/1`, and no audit entries.
    async fn new() -> Self {
        let store = InMemoryStore::new();
        let mut tx = store.begin().await.unwrap();
        for (id, email) in [
            (OFFICER, "officer@anytown.example"),
            (JO, "Jo@Example.org"),
            (PARENT, "parent@example.org"),
        ] {
            tx.accounts()
                .insert(&Account {
                    id,
                    email: EmailAddress::parse(email).unwrap(),
                    password_hash: PasswordHash::from_phc("$argon2id$unused"),
                    created_at: NOW,
                })
                .await
                .unwrap();
        }
        let mut case = blank_case(date!(2026 - 01 - 05), date!(2019 - 05 - 01));
        case.id = CASE;
        tx.cases().insert(&case).await.unwrap();
        for (n, account, role) in [
            (1, OFFICER, Role::LaOfficer),
            (2, PARENT, Role::ParentCarer { case: CASE }),
        ] {
            tx.grants()
                .insert(&RoleGrant {
                    id: GrantId(Uuid::from_u128(n)),
                    account,
                    role,
                    granted_by: Grantor::System,
                    granted_at: NOW - Duration::days(30),
                    expires_at: None,
                    revoked: None,
                })
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        Self {
            audit: AuditService::new(store.clone()),
            store,
        }
    }

    async fn append(&self, events: &[AuditEvent]) {
        let mut tx = self.store.begin().await.unwrap();
        for e in events {
            tx.audit().append(e).await.unwrap();
        }
        tx.commit().await.unwrap();
    }

    async fn page(&self, search: &AuditSearch, position: PagePosition) -> Vec<AuditEvent> {
        self.audit
            .search(OFFICER, search, position, NOW, None)
            .await
            .unwrap()
            .entries
            .into_iter()
            .map(|e| e.event)
            .collect()
    }
}

fn event(at: OffsetDateTime, kind: AuditKind, detail: &str) -> AuditEvent {
    AuditEvent {
        at,
        actor: None,
        subject: None,
        kind,
        origin: None,
        case: None,
        detail: detail.to_owned(),
    }
}

#[test]
fn only_la_officers_search_or_export_and_a_refusal_appends_nothing() {
    pollster::block_on(async {
        let world = World::new().await;
        let search = AuditSearch::default();
        for viewer in [JO, PARENT] {
            let page = world
                .audit
                .search(viewer, &search, PagePosition::Newest, NOW, None)
                .await;
            assert_eq!(page, Err(AuditServiceError::NotAllowed));
            let export = world.audit.export(viewer, &search, NOW, None).await;
            assert_eq!(export, Err(AuditServiceError::NotAllowed));
        }
        assert!(world.store.audit_events().await.is_empty());
        // After the officer's grant ends, the officer is refused too.
        let later = NOW + Duration::days(1);
        let mut tx = world.store.begin().await.unwrap();
        tx.grants()
            .revoke(GrantId(Uuid::from_u128(1)), Grantor::System, NOW)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let page = world
            .audit
            .search(OFFICER, &search, PagePosition::Newest, later, None)
            .await;
        assert_eq!(page, Err(AuditServiceError::NotAllowed));
    });
}

#[test]
fn every_unusable_filter_is_reported_at_once_and_nothing_is_read_or_appended() {
    pollster::block_on(async {
        let world = World::new().await;
        let bad = AuditSearch {
            person: "not an address".into(),
            case: "EHC 1".into(),
            kind: "deleted-everything".into(),
            from: Some(NOW),
            until: Some(NOW - Duration::days(1)),
        };
        let Err(AuditServiceError::Invalid(errors)) = world
            .audit
            .search(OFFICER, &bad, PagePosition::Newest, NOW, None)
            .await
        else {
            panic!("bad filters searched");
        };
        let fields: Vec<FilterField> = errors.iter().map(FilterError::field).collect();
        assert_eq!(
            fields,
            [
                FilterField::Person,
                FilterField::Case,
                FilterField::Kind,
                FilterField::Until
            ]
        );
        assert!(matches!(errors[0], FilterError::BadAddress(_)));
        assert!(matches!(errors[1], FilterError::BadReference(_)));
        assert_eq!(errors[2], FilterError::UnknownKind);
        assert_eq!(errors[3], FilterError::EndsBeforeStart);

        // Well-formed, but no one and nothing has them; a range of no time at all.
        let unknown = AuditSearch {
            person: "nobody@example.org".into(),
            case: "EHC/404".into(),
            kind: String::new(),
            from: Some(NOW),
            until: Some(NOW),
        };
        let Err(AuditServiceError::Invalid(errors)) =
            world.audit.export(OFFICER, &unknown, NOW, None).await
        else {
            panic!("unknown filters exported");
        };
        assert_eq!(
            errors,
            [
                FilterError::UnknownPerson,
                FilterError::UnknownCase,
                FilterError::EndsBeforeStart
            ]
        );
        assert!(world.store.audit_events().await.is_empty());
    });
}

#[test]
fn each_filter_selects_its_entries_and_together_they_all_apply() {
    pollster::block_on(async {
        let world = World::new().await;
        let t = datetime!(2026-11-01 09:00 UTC);
        let mut by_jo = event(t, AuditKind::SignedIn, "by jo");
        by_jo.actor = Some(JO);
        let mut about_jo = event(t + Duration::days(1), AuditKind::RoleGranted, "about jo");
        about_jo.actor = Some(OFFICER);
        about_jo.subject = Some(JO);
        let mut on_case = event(t + Duration::days(2), AuditKind::CaseViewed, "on the case");
        on_case.actor = Some(PARENT);
        on_case.case = Some(CASE);
        let other = event(t + Duration::days(3), AuditKind::SignedIn, "someone else");
        world
            .append(&[
                by_jo.clone(),
                about_jo.clone(),
                on_case.clone(),
                other.clone(),
            ])
            .await;
        let search = |person: &str, case: &str, kind: &str| AuditSearch {
            person: person.into(),
            case: case.into(),
            kind: kind.into(),
            from: None,
            until: None,
        };

        // A person as actor or subject, by their address in any case.
        assert_eq!(
            world
                .page(&search(" jo@EXAMPLE.org ", "", ""), PagePosition::Newest)
                .await,
            [about_jo.clone(), by_jo.clone()]
        );
        // A case by its reference in any case.
        assert_eq!(
            world
                .page(&search("", "test/1", ""), PagePosition::Newest)
                .await,
            [on_case.clone()]
        );
        assert_eq!(
            world
                .page(&search("", "", "signed-in"), PagePosition::Newest)
                .await,
            [other.clone(), by_jo.clone()]
        );
        assert_eq!(
            world
                .page(
                    &search("jo@example.org", "", "signed-in"),
                    PagePosition::Newest
                )
                .await,
            [by_jo.clone()]
        );
        // From is inclusive, until exclusive.
        let range = AuditSearch {
            from: Some(t + Duration::days(1)),
            until: Some(t + Duration::days(3)),
            ..AuditSearch::default()
        };
        assert_eq!(
            world.page(&range, PagePosition::Newest).await,
            [on_case.clone(), about_jo.clone()]
        );
        // The page shows the people's addresses and the case's reference.
        let page = world
            .audit
            .search(OFFICER, &range, PagePosition::Newest, NOW, None)
            .await
            .unwrap();
        assert_eq!(
            page.entries[0].actor_email.as_deref(),
            Some("parent@example.org")
        );
        assert_eq!(page.entries[0].case_reference.as_deref(), Some("TEST/1"));
        assert_eq!(
            page.entries[1].subject_email.as_deref(),
            Some("Jo@Example.org")
        );
    });
}

#[test]
fn pages_run_newest_first_without_gaps_or_repeats_in_both_directions() {
    pollster::block_on(async {
        let world = World::new().await;
        let t = datetime!(2026-11-01 09:00 UTC);
        // 120 entries, two at each instant (so the sequence number breaks ties).
        let events: Vec<AuditEvent> = (0..120)
            .map(|i| {
                event(
                    t + Duration::minutes(i / 2),
                    AuditKind::SignedIn,
                    &i.to_string(),
                )
            })
            .collect();
        world.append(&events).await;
        let only_sign_ins = AuditSearch {
            kind: "signed-in".into(),
            ..AuditSearch::default()
        };
        let newest_first: Vec<AuditEvent> = events.iter().rev().cloned().collect();

        let mut seen = Vec::new();
        let mut position = PagePosition::Newest;
        let mut pages = Vec::new();
        loop {
            let page = world
                .audit
                .search(OFFICER, &only_sign_ins, position, NOW, None)
                .await
                .unwrap();
            assert!(page.entries.len() <= PAGE_SIZE as usize);
            assert_eq!(page.newer.is_some(), !pages.is_empty());
            seen.extend(page.entries.iter().map(|e| e.event.clone()));
            pages.push(page.clone());
            // Entries appended while paging (the searches themselves) do not disturb it.
            world
                .append(&[event(NOW, AuditKind::SignedIn, "meanwhile")])
                .await;
            match page.older {
                Some(key) => position = PagePosition::OlderThan(key),
                None => break,
            }
        }
        assert_eq!(seen, newest_first);
        assert_eq!(
            pages.iter().map(|p| p.entries.len()).collect::<Vec<_>>(),
            [50, 50, 20]
        );

        // *Previous page* from the last page gives the middle page again, then the first.
        let back = world
            .audit
            .search(
                OFFICER,
                &only_sign_ins,
                PagePosition::NewerThan(pages[2].newer.unwrap()),
                NOW,
                None,
            )
            .await
            .unwrap();
        assert_eq!(back.entries, pages[1].entries);
        assert_eq!(back.older, pages[1].older);
        let first = world
            .audit
            .search(
                OFFICER,
                &only_sign_ins,
                PagePosition::NewerThan(back.newer.unwrap()),
                NOW,
                None,
            )
            .await
            .unwrap();
        assert_eq!(first.entries, pages[0].entries);
        // The entries appended meanwhile are newer than the first page: a page before it.
        assert!(first.newer.is_some());
    });
}

#[test]
fn each_search_and_export_is_appended_with_ids_never_an_address_or_reference() {
    pollster::block_on(async {
        let world = World::new().await;
        let search = AuditSearch {
            person: "jo@example.org".into(),
            case: "TEST/1".into(),
            kind: "case-viewed".into(),
            from: Some(datetime!(2026-11-01 0:00 UTC)),
            until: Some(datetime!(2026-11-02 0:00 UTC)),
        };
        let origin = Some("192.0.2.7".parse().unwrap());
        let page = world
            .audit
            .search(OFFICER, &search, PagePosition::Newest, NOW, origin)
            .await
            .unwrap();
        assert!(page.entries.is_empty());
        let export = world
            .audit
            .export(OFFICER, &search, NOW, origin)
            .await
            .unwrap();
        assert!(
            world
                .audit
                .export_chunk(&export, None)
                .await
                .unwrap()
                .is_empty()
        );

        let log = world.store.audit_events().await;
        assert_eq!(
            log.iter().map(|e| e.kind).collect::<Vec<_>>(),
            [AuditKind::AuditSearched, AuditKind::AuditExported]
        );
        let filters = format!(
            "filters: person {}, case {CASE}, kind case-viewed, from 2026-11-01T00:00:00Z, until 2026-11-02T00:00:00Z",
            JO.0
        );
        assert_eq!(log[0].detail, format!("{filters}; page: the newest"));
        assert_eq!(log[1].detail, filters);
        for e in &log {
            assert_eq!(e.actor, Some(OFFICER));
            assert_eq!(e.subject, Some(JO));
            assert_eq!(e.case, Some(CASE));
            assert_eq!(e.origin, origin);
            assert!(!e.detail.contains("example.org") && !e.detail.contains("TEST/1"));
        }
        // Who looked at a case's audit entries is found by that case.
        let by_case = world
            .page(
                &AuditSearch {
                    case: "TEST/1".into(),
                    ..AuditSearch::default()
                },
                PagePosition::Newest,
            )
            .await;
        assert_eq!(by_case.len(), 2);
    });
}

#[test]
fn an_export_reads_every_matching_entry_in_chunks_newest_first() {
    pollster::block_on(async {
        let world = World::new().await;
        let t = datetime!(2026-11-01 09:00 UTC);
        let events: Vec<AuditEvent> = (0..1_201)
            .map(|i| event(t + Duration::seconds(i), AuditKind::CodeSent, ""))
            .collect();
        world.append(&events).await;
        let export = world
            .audit
            .export(
                OFFICER,
                &AuditSearch {
                    kind: "code-sent".into(),
                    ..AuditSearch::default()
                },
                NOW,
                None,
            )
            .await
            .unwrap();
        let mut all = Vec::new();
        let mut after: Option<AuditKey> = None;
        loop {
            let chunk = world.audit.export_chunk(&export, after).await.unwrap();
            let Some(last) = chunk.last() else { break };
            assert!(chunk.len() <= 500);
            after = Some(last.key);
            all.extend(chunk.into_iter().map(|e| e.event));
        }
        assert_eq!(all, events.into_iter().rev().collect::<Vec<_>>());
    });
}

#[test]
fn kinds_have_stable_names_words_and_page_keys_round_trip() {
    for &kind in AuditKind::ALL {
        assert_eq!(AuditKind::parse(kind.as_str()), Some(kind));
    }
    assert_eq!(AuditKind::parse("Signed-In"), None);
    assert_eq!(AuditKind::SignedIn.describe(), "Signed in");
    assert_eq!(AuditKind::AuditExported.describe(), "Audit exported");
    let key = AuditKey {
        at: datetime!(2026-11-30 09:15:00.123456 UTC),
        seq: 42,
    };
    assert_eq!(AuditKey::parse_param(&key.to_param()), Some(key));
    for bad in ["", "42", "x.1", "1.x", "1.2.3"] {
        assert_eq!(AuditKey::parse_param(bad), None, "{bad:?}");
    }
}
