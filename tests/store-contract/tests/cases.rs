#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `CaseRepository` (insert, get, optimistic update, trays, the append-only timeline) and the
//! case lookups of `RoleGrantRepository` (`for_case`, `la_officers`).
//!
//! The statutory dates come from the core's deadline engine; these tests rely only on the
//! decision whether to assess (due 6 weeks after the request was received, met by the decision)
//! and otherwise compute what a tray must hold from `CaseSummary::of`, as the adapters do.

use crate::support::insert_account;
use async_trait::async_trait;
use ehc_core::account::{Account, AccountId};
use ehc_core::case::timeline::{TimelineEntry, Visibility};
use ehc_core::case::tray::{CaseSummary, DueFilter, TrayQuery, TrayScope, TraySort};
use ehc_core::case::{
    Case, CaseId, CaseService, CaseWriteError, Child, DeadlineException, EventKind, ExceptionKind,
    FamilyMember, LaReference, ReceivedBy, Stage, TrayFilters,
};
use ehc_core::ports::{Store, StoreError};
use ehc_core::role::{GrantId, Grantor, Role, RoleGrant, Urn};
use ehc_core::settings::SecuritySettings;
use ehc_core::test_support::SeededSecretSource;
use ehc_store_contract::{Backend, T0, account};
use ehc_store_postgres::PgStore;
use ehc_store_sqlite::SqliteStore;
use std::sync::Arc;
use time::macros::date;
use time::{Date, Duration};
use uuid::Uuid;

/// The LA's calendar date at [`T0`].
const TODAY: Date = date!(2026 - 11 - 30);

fn urn(n: u32) -> Urn {
    Urn::parse(&n.to_string()).unwrap()
}

fn case_id(n: u128) -> CaseId {
    CaseId(Uuid::from_u128(n))
}

/// A case with no events, id `n`, received on `received_on`.
fn new_case(
    n: u128,
    reference: &str,
    (given, family): (&str, &str),
    received_on: Date,
    settings: &[u32],
    officer: Option<AccountId>,
) -> Case {
    Case {
        settings: settings.iter().map(|u| urn(*u)).collect(),
        officer,
        ..Case::received(
            case_id(n),
            LaReference::parse(reference).unwrap(),
            Child {
                given_name: given.into(),
                family_name: family.into(),
                date_of_birth: date!(2015 - 03 - 14),
            },
            received_on,
            ReceivedBy::Email,
            T0,
        )
    }
}

/// Records `kind` on day `on` (the history must be valid).
fn record(case: &mut Case, kind: EventKind, on: Date, by: Option<AccountId>) {
    case.record_event(kind, on, TODAY, T0, by).unwrap();
}

async fn insert_cases<S: Store>(store: &S, cases: &[&Case]) {
    let mut tx = store.begin().await.unwrap();
    for case in cases {
        tx.cases().insert(case).await.unwrap();
    }
    tx.commit().await.unwrap();
}

async fn get<S: Store>(store: &S, id: CaseId) -> Option<(Case, i64)> {
    let mut tx = store.begin().await.unwrap();
    tx.cases()
        .get(id)
        .await
        .unwrap()
        .map(|s| (s.case, s.version))
}

fn query(scope: TrayScope) -> TrayQuery {
    TrayQuery {
        scope,
        stage: None,
        due: None,
        setting: None,
        officer: None,
        sort: TraySort::NextDate,
        page: 1,
        per_page: 50,
        today: TODAY,
    }
}

fn all() -> TrayScope {
    TrayScope {
        all: true,
        ..TrayScope::default()
    }
}

/// The ids of the tray's page, and its total.
async fn tray<S: Store>(store: &S, q: &TrayQuery) -> (Vec<CaseId>, u64) {
    let mut tx = store.begin().await.unwrap();
    let page = tx.cases().tray(q).await.unwrap();
    (page.rows.iter().map(|r| r.id).collect(), page.total)
}

/// What the tray must answer for `q` over `cases`: the rules of `TrayQuery`, on the cases'
/// summaries.
fn expected(cases: &[Case], q: &TrayQuery) -> (Vec<CaseId>, u64) {
    let mut rows: Vec<CaseSummary> = cases
        .iter()
        .filter(|c| {
            q.scope.all
                || q.scope.cases.contains(&c.id)
                || c.settings.iter().any(|s| q.scope.settings.contains(s))
        })
        .filter(|c| q.setting.is_none_or(|s| c.settings.contains(&s)))
        .map(CaseSummary::of)
        .filter(|s| q.stage.is_none_or(|stage| s.stage == stage))
        .filter(|s| q.officer.is_none_or(|o| s.officer == Some(o)))
        .filter(|s| match q.due {
            None => true,
            Some(DueFilter::Overdue) => s.next_due.is_some_and(|d| d < q.today),
            Some(DueFilter::DueSoon) => s
                .next_due
                .is_some_and(|d| d >= q.today && d <= q.due_soon_until()),
            Some(DueFilter::AdviceOverdue) => s.advice_overdue(q.today),
        })
        .collect();
    match q.sort {
        TraySort::NextDate => rows.sort_by(|a, b| {
            (a.next_due.is_none(), a.next_due, &a.child_sort, a.id).cmp(&(
                b.next_due.is_none(),
                b.next_due,
                &b.child_sort,
                b.id,
            ))
        }),
        TraySort::ChildName => {
            rows.sort_by(|a, b| (&a.child_sort, a.id).cmp(&(&b.child_sort, b.id)))
        }
        TraySort::Received => rows.sort_by(|a, b| {
            (b.received_on, &a.child_sort, a.id).cmp(&(a.received_on, &b.child_sort, b.id))
        }),
    }
    let total = rows.len() as u64;
    let ids = rows
        .iter()
        .skip(usize::try_from(q.offset()).unwrap())
        .take(q.per_page as usize)
        .map(|s| s.id)
        .collect();
    (ids, total)
}

// ---------------------------------------------------------------------------------------------
// Insert, get, update

pub async fn a_case_round_trips_whole_with_version_one<S: Backend>(store: &S) {
    let officer = account(1, "officer@example.org");
    let contributor = account(2, "ep@example.org");
    insert_account(store, &officer).await;
    insert_account(store, &contributor).await;
    let mut case = new_case(
        10,
        "EHC/2026/0001",
        ("Amy", "O'Brien-Łukasz"),
        date!(2026 - 08 - 03),
        &[100002, 100001],
        Some(officer.id),
    );
    case.family.push(FamilyMember {
        name: "Jo O'Brien".into(),
        relationship: "Mother".into(),
    });
    case.received_by = ReceivedBy::Online;
    record(
        &mut case,
        EventKind::DecisionToAssess { assess: true },
        date!(2026 - 09 - 01),
        Some(officer.id),
    );
    let asked = case
        .record_event(
            EventKind::AdviceRequested {
                from: "Educational psychologist, Anytown EP service".into(),
                contributor: Some(contributor.id),
            },
            date!(2026 - 09 - 02),
            TODAY,
            T0 + Duration::nanoseconds(123_456_789),
            Some(officer.id),
        )
        .unwrap();
    record(
        &mut case,
        EventKind::AdviceReceived { request: asked },
        date!(2026 - 10 - 01),
        None,
    );
    case.record_exception(
        DeadlineException {
            kind: ExceptionKind::PersonalCircumstances,
            from: date!(2026 - 09 - 10),
            to: date!(2026 - 09 - 20),
            reason: "Family bereavement".into(),
            recorded_at: T0,
            recorded_by: Some(officer.id),
        },
        TODAY,
    )
    .unwrap();
    let other = new_case(
        11,
        "EHC/2026/0002",
        ("Ben", "Baker"),
        date!(2026 - 11 - 02),
        &[],
        None,
    );
    insert_cases(store, &[&case, &other]).await;

    assert_eq!(get(store, case.id).await, Some((case.clone(), 1)));
    assert_eq!(get(store, other.id).await, Some((other, 1)));
    assert_eq!(get(store, case_id(99)).await, None);
    // The summary columns agree with the stored case.
    let (rows, total) = tray(store, &query(all())).await;
    assert_eq!(total, 2);
    assert!(rows.contains(&case.id));
    let mut tx = store.begin().await.unwrap();
    let page = tx.cases().tray(&query(all())).await.unwrap();
    let row = page.rows.iter().find(|r| r.id == case.id).unwrap();
    assert_eq!(row, &CaseSummary::of(&case));
}

pub async fn a_second_case_with_the_same_reference_is_refused_and_the_unit_of_work_stays_usable<
    S: Backend,
>(
    store: &S,
) {
    let first = new_case(1, "EHC/1", ("Amy", "Adams"), TODAY, &[100001], None);
    insert_cases(store, &[&first]).await;
    let same = new_case(2, "EHC/1", ("Ben", "Baker"), TODAY, &[100002], None);
    let next = new_case(3, "EHC/3", ("Cy", "Carter"), TODAY, &[100002], None);

    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.cases().insert(&same).await,
        Err(CaseWriteError::ReferenceTaken)
    );
    // The refusal left the unit of work usable: it reads, writes and commits.
    assert_eq!(tx.cases().get(first.id).await.unwrap().unwrap().case, first);
    tx.cases().insert(&next).await.unwrap();
    // Renaming a case to a reference in use is refused the same way.
    let mut renamed = next.clone();
    renamed.la_reference = LaReference::parse("EHC/1").unwrap();
    assert_eq!(
        tx.cases().update(&renamed, 1).await,
        Err(CaseWriteError::ReferenceTaken)
    );
    tx.commit().await.unwrap();

    assert_eq!(get(store, first.id).await, Some((first, 1)));
    assert_eq!(get(store, same.id).await, None);
    assert_eq!(get(store, next.id).await, Some((next, 1)));
    // The refused case left no linked setting behind.
    let by_setting = query(TrayScope {
        settings: vec![urn(100002)],
        ..TrayScope::default()
    });
    assert_eq!(tray(store, &by_setting).await, (vec![case_id(3)], 1));
}

pub async fn an_update_needs_the_current_version_and_a_stale_one_changes_nothing<S: Backend>(
    store: &S,
) {
    let officer = account(1, "officer@example.org");
    insert_account(store, &officer).await;
    let case = new_case(
        1,
        "EHC/1",
        ("Amy", "Adams"),
        date!(2026 - 10 - 01),
        &[100001],
        None,
    );
    insert_cases(store, &[&case]).await;

    let mut changed = case.clone();
    record(
        &mut changed,
        EventKind::DecisionToAssess { assess: true },
        date!(2026 - 10 - 20),
        Some(officer.id),
    );
    changed.officer = Some(officer.id);
    changed.settings = vec![urn(100003)];
    let mut tx = store.begin().await.unwrap();
    tx.cases().update(&changed, 1).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(get(store, case.id).await, Some((changed.clone(), 2)));

    // A writer that read version 1 loses, and changes nothing.
    let mut stale = case.clone();
    stale.child.given_name = "Changed".into();
    let mut tx = store.begin().await.unwrap();
    assert!(matches!(
        tx.cases().update(&stale, 1).await,
        Err(CaseWriteError::Store(StoreError::Conflict { .. }))
    ));
    // So does an update of a case that does not exist.
    let ghost = new_case(9, "EHC/9", ("Zed", "Zane"), TODAY, &[], None);
    assert!(matches!(
        tx.cases().update(&ghost, 1).await,
        Err(CaseWriteError::Store(StoreError::Conflict { .. }))
    ));
    tx.commit().await.unwrap();
    assert_eq!(get(store, case.id).await, Some((changed.clone(), 2)));
    assert_eq!(get(store, ghost.id).await, None);

    // The summary columns follow the update.
    let mut tx = store.begin().await.unwrap();
    let page = tx.cases().tray(&query(all())).await.unwrap();
    assert_eq!(page.rows, vec![CaseSummary::of(&changed)]);
    assert_eq!(page.rows[0].stage, Stage::Assessment);

    // The next update names version 2.
    let mut again = changed.clone();
    again.family.push(FamilyMember {
        name: "Jo Adams".into(),
        relationship: "Father".into(),
    });
    tx.cases().update(&again, 2).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(get(store, case.id).await, Some((again, 3)));
}

pub async fn an_uncommitted_unit_of_work_leaves_no_case_setting_or_timeline<S: Backend>(store: &S) {
    let kept = new_case(1, "EHC/1", ("Amy", "Adams"), TODAY, &[100001], None);
    insert_cases(store, &[&kept]).await;
    {
        let mut tx = store.begin().await.unwrap();
        let dropped = new_case(2, "EHC/2", ("Ben", "Baker"), TODAY, &[100001], None);
        tx.cases().insert(&dropped).await.unwrap();
        let mut changed = kept.clone();
        changed.settings = vec![urn(100002)];
        tx.cases().update(&changed, 1).await.unwrap();
        for case in [kept.id, dropped.id] {
            tx.cases()
                .append_timeline(&TimelineEntry {
                    case,
                    at: T0,
                    actor: None,
                    what: "Request received".into(),
                    visible_to: Visibility::PARTICIPANTS,
                })
                .await
                .unwrap();
        }
        // Dropped without commit.
    }
    assert_eq!(get(store, kept.id).await, Some((kept.clone(), 1)));
    assert_eq!(get(store, case_id(2)).await, None);
    let by_setting = |u| {
        query(TrayScope {
            settings: vec![urn(u)],
            ..TrayScope::default()
        })
    };
    assert_eq!(tray(store, &by_setting(100001)).await, (vec![kept.id], 1));
    assert_eq!(tray(store, &by_setting(100002)).await, (vec![], 0));
    assert_eq!(tray(store, &query(all())).await, (vec![kept.id], 1));
    let mut tx = store.begin().await.unwrap();
    assert!(tx.cases().timeline(kept.id, 10).await.unwrap().is_empty());
    assert!(
        tx.cases()
            .timeline(case_id(2), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

// ---------------------------------------------------------------------------------------------
// Trays

/// Two officers (accounts 1 and 2) and eight cases:
///
/// | id | child | received | stage | settings | officer |
/// |---|---|---|---|---|---|
/// | 1 | Amy Adams | 1 Sep 2026 (decision overdue) | request | 100001 | 1 |
/// | 2 | Ben Baker | 19 Oct (decision due today) | request | 100002 | 2 |
/// | 3 | Cy Carter | 2 Nov (due in 14 days) | request | 100001, 100002 | 2 |
/// | 4 | Dee Davis | 3 Nov (due in 15 days) | request | — | — |
/// | 5 | Eve Evans | 1 Sep (as 1) | request | 100003 | 2 |
/// | 6 | Eve Evans | 20 Nov, not assessed | closed | 100001 | 1 |
/// | 7 | Fay Fox | 1 Jun, assessing | assessment | — | 2 |
/// | 8 | Amy Adams | 20 Nov | request | — | 1 |
async fn seed_tray<S: Backend>(store: &S) -> (Vec<Case>, AccountId, AccountId) {
    let o1 = account(1, "one@example.org");
    let o2 = account(2, "two@example.org");
    insert_account(store, &o1).await;
    insert_account(store, &o2).await;
    let (a, b) = (Some(o1.id), Some(o2.id));
    let mut cases = vec![
        new_case(
            1,
            "R1",
            ("Amy", "Adams"),
            date!(2026 - 09 - 01),
            &[100001],
            a,
        ),
        new_case(
            2,
            "R2",
            ("Ben", "Baker"),
            date!(2026 - 10 - 19),
            &[100002],
            b,
        ),
        new_case(
            3,
            "R3",
            ("Cy", "Carter"),
            date!(2026 - 11 - 02),
            &[100001, 100002],
            b,
        ),
        new_case(4, "R4", ("Dee", "Davis"), date!(2026 - 11 - 03), &[], None),
        new_case(
            5,
            "R5",
            ("Eve", "Evans"),
            date!(2026 - 09 - 01),
            &[100003],
            b,
        ),
        new_case(
            6,
            "R6",
            ("Eve", "Evans"),
            date!(2026 - 11 - 20),
            &[100001],
            a,
        ),
        new_case(7, "R7", ("Fay", "Fox"), date!(2026 - 06 - 01), &[], b),
        new_case(8, "R8", ("Amy", "Adams"), date!(2026 - 11 - 20), &[], a),
    ];
    record(
        &mut cases[5],
        EventKind::DecisionToAssess { assess: false },
        date!(2026 - 11 - 25),
        a,
    );
    record(
        &mut cases[6],
        EventKind::DecisionToAssess { assess: true },
        date!(2026 - 07 - 01),
        b,
    );
    // The tests below rely on these dates of the decision whether to assess.
    let due = |n: usize| CaseSummary::of(&cases[n - 1]).next_due;
    assert_eq!(due(1), Some(date!(2026 - 10 - 13)));
    assert_eq!(due(2), Some(TODAY));
    assert_eq!(due(3), Some(date!(2026 - 12 - 14)));
    assert_eq!(due(4), Some(date!(2026 - 12 - 15)));
    assert_eq!(
        due(6),
        None,
        "a case closed without assessment has no statutory date left"
    );
    insert_cases(store, &cases.iter().collect::<Vec<_>>()).await;
    (cases, o1.id, o2.id)
}

fn ids(ns: &[u128]) -> Vec<CaseId> {
    ns.iter().map(|n| case_id(*n)).collect()
}

fn sorted(mut v: Vec<CaseId>) -> Vec<CaseId> {
    v.sort();
    v
}

pub async fn a_tray_holds_every_case_the_given_cases_or_the_cases_of_the_given_settings<
    S: Backend,
>(
    store: &S,
) {
    let (cases, _, _) = seed_tray(store).await;
    let scopes = [
        (all(), vec![1, 2, 3, 4, 5, 6, 7, 8]),
        (
            TrayScope {
                cases: ids(&[2, 4]),
                ..TrayScope::default()
            },
            vec![2, 4],
        ),
        (
            TrayScope {
                settings: vec![urn(100002)],
                ..TrayScope::default()
            },
            vec![2, 3],
        ),
        (
            TrayScope {
                settings: vec![urn(100001), urn(100003)],
                ..TrayScope::default()
            },
            vec![1, 3, 5, 6],
        ),
        // Cases and settings together, each case once.
        (
            TrayScope {
                cases: ids(&[3, 4]),
                settings: vec![urn(100002), urn(100003)],
                ..TrayScope::default()
            },
            vec![2, 3, 4, 5],
        ),
        // Unknown cases and settings, and an empty scope: nothing.
        (
            TrayScope {
                cases: ids(&[99]),
                settings: vec![urn(999999)],
                ..TrayScope::default()
            },
            vec![],
        ),
        (TrayScope::default(), vec![]),
    ];
    for (scope, want) in scopes {
        let q = query(scope.clone());
        let got = tray(store, &q).await;
        assert_eq!(got, expected(&cases, &q), "{scope:?}");
        assert_eq!(
            (sorted(got.0), got.1),
            (ids(&want), want.len() as u64),
            "{scope:?}"
        );
    }
}

pub async fn a_case_unlinked_from_a_setting_leaves_that_sendcos_tray<S: Backend>(store: &S) {
    let officer = account(1, "officer@example.org");
    let sendco = account(2, "sendco@example.org");
    insert_account(store, &officer).await;
    insert_account(store, &sendco).await;
    let mut tx = store.begin().await.unwrap();
    for (n, who, role) in [
        (1, officer.id, Role::LaOfficer),
        (
            2,
            sendco.id,
            Role::Sendco {
                setting: urn(100001),
            },
        ),
    ] {
        tx.grants()
            .insert(&RoleGrant {
                id: GrantId(Uuid::from_u128(n)),
                account: who,
                role,
                granted_by: Grantor::System,
                granted_at: T0 - Duration::days(1),
                expires_at: None,
                revoked: None,
            })
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let case = new_case(
        1,
        "R1",
        ("Amy", "Adams"),
        date!(2026 - 11 - 02),
        &[100001, 100002],
        None,
    );
    let other = new_case(
        2,
        "R2",
        ("Ben", "Baker"),
        date!(2026 - 11 - 02),
        &[100001],
        None,
    );
    insert_cases(store, &[&case, &other]).await;
    let settings_scope = |u: u32| {
        query(TrayScope {
            settings: vec![urn(u)],
            ..TrayScope::default()
        })
    };
    assert_eq!(
        tray(store, &settings_scope(100001)).await,
        (ids(&[1, 2]), 2)
    );

    // Through the repository: the linked settings are rewritten with the case.
    let mut moved = case.clone();
    moved.settings = vec![urn(100002), urn(100003)];
    let mut tx = store.begin().await.unwrap();
    tx.cases().update(&moved, 1).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(tray(store, &settings_scope(100001)).await, (ids(&[2]), 1));
    assert_eq!(tray(store, &settings_scope(100002)).await, (ids(&[1]), 1));
    assert_eq!(tray(store, &settings_scope(100003)).await, (ids(&[1]), 1));
    let mut filtered = query(all());
    filtered.setting = Some(urn(100001));
    assert_eq!(tray(store, &filtered).await, (ids(&[2]), 1));

    // Through the service: the SENDCo of 100001 sees case 2 only, and loses it when unlinked.
    let service = CaseService::new(
        store.clone(),
        Arc::new(SeededSecretSource::new(1)),
        SecuritySettings::default(),
    );
    let sendcos_tray = async || {
        let (page, _) = service
            .tray(sendco.id, &TrayFilters::default(), T0, TODAY)
            .await
            .unwrap();
        page.rows.iter().map(|r| r.id).collect::<Vec<_>>()
    };
    assert_eq!(sendcos_tray().await, ids(&[2]));
    service
        .set_setting(officer.id, other.id, 1, urn(100001), false, T0, None)
        .await
        .unwrap();
    assert_eq!(sendcos_tray().await, ids(&[]));
    assert_eq!(get(store, other.id).await.unwrap().0.settings, vec![]);
    service
        .set_setting(officer.id, other.id, 2, urn(100001), true, T0, None)
        .await
        .unwrap();
    assert_eq!(sendcos_tray().await, ids(&[2]));
}

pub async fn tray_filters_select_by_stage_date_setting_and_officer<S: Backend>(store: &S) {
    let (cases, o1, o2) = seed_tray(store).await;
    let check = async |q: TrayQuery, must: Vec<u128>, must_not: Vec<u128>| {
        let got = tray(store, &q).await;
        assert_eq!(got, expected(&cases, &q), "{q:?}");
        for n in must {
            assert!(got.0.contains(&case_id(n)), "{n} missing from {q:?}");
        }
        for n in must_not {
            assert!(!got.0.contains(&case_id(n)), "{n} wrongly in {q:?}");
        }
        got
    };
    let with = |f: &dyn Fn(&mut TrayQuery)| {
        let mut q = query(all());
        f(&mut q);
        q
    };

    // Stages come from the events alone.
    let (got, _) = check(
        with(&|q| q.stage = Some(Stage::RequestReceived)),
        vec![1, 2, 3, 4, 5, 8],
        vec![6, 7],
    )
    .await;
    assert_eq!(got.len(), 6);
    let (got, _) = check(with(&|q| q.stage = Some(Stage::Closed)), vec![6], vec![]).await;
    assert_eq!(got, ids(&[6]));
    let (got, _) = check(
        with(&|q| q.stage = Some(Stage::Assessment)),
        vec![7],
        vec![],
    )
    .await;
    assert_eq!(got, ids(&[7]));
    check(
        with(&|q| q.stage = Some(Stage::Review)),
        vec![],
        vec![1, 6, 7],
    )
    .await;

    // Overdue: the date is before today; due soon: today to today + 14 days.
    check(
        with(&|q| q.due = Some(DueFilter::Overdue)),
        vec![1, 5],
        vec![2, 3, 4, 6, 8],
    )
    .await;
    check(
        with(&|q| q.due = Some(DueFilter::DueSoon)),
        vec![2, 3],
        vec![1, 4, 5, 6, 8],
    )
    .await;
    // Both follow `today`: on 10 October the decisions of cases 1 and 5 are due soon.
    check(
        with(&|q| {
            q.due = Some(DueFilter::DueSoon);
            q.today = date!(2026 - 10 - 10);
        }),
        vec![1, 5],
        vec![2, 3, 4, 6, 8],
    )
    .await;
    check(
        with(&|q| {
            q.due = Some(DueFilter::Overdue);
            q.today = date!(2026 - 10 - 10);
        }),
        vec![],
        vec![1, 2, 3, 4, 5, 6, 8],
    )
    .await;

    // A setting, an officer, and everything at once.
    let (got, _) = check(
        with(&|q| q.setting = Some(urn(100001))),
        vec![1, 3, 6],
        vec![],
    )
    .await;
    assert_eq!(sorted(got), ids(&[1, 3, 6]));
    let (got, _) = check(with(&|q| q.officer = Some(o1)), vec![1, 6, 8], vec![]).await;
    assert_eq!(sorted(got), ids(&[1, 6, 8]));
    let (got, _) = check(with(&|q| q.officer = Some(o2)), vec![2, 3, 5, 7], vec![]).await;
    assert_eq!(sorted(got), ids(&[2, 3, 5, 7]));
    let (got, total) = check(
        with(&|q| {
            q.stage = Some(Stage::RequestReceived);
            q.setting = Some(urn(100001));
            q.officer = Some(o1);
            q.due = Some(DueFilter::Overdue);
        }),
        vec![1],
        vec![],
    )
    .await;
    assert_eq!((got, total), (ids(&[1]), 1));
    // A filter narrows a SENDCo's scope too.
    let (got, _) = check(
        TrayQuery {
            officer: Some(o2),
            ..query(TrayScope {
                settings: vec![urn(100001)],
                ..TrayScope::default()
            })
        },
        vec![3],
        vec![1, 2, 6],
    )
    .await;
    assert_eq!(got, ids(&[3]));
}

pub async fn trays_sort_by_next_date_with_none_last_by_name_and_by_received_newest_first<
    S: Backend,
>(
    store: &S,
) {
    let (cases, _, _) = seed_tray(store).await;
    let sorted_by = |sort| TrayQuery {
        sort,
        ..query(all())
    };

    let (next, _) = tray(store, &sorted_by(TraySort::NextDate)).await;
    assert_eq!(next, expected(&cases, &sorted_by(TraySort::NextDate)).0);
    // Same date: by name (Adams before Evans); no date (the closed case 6): last.
    let at = |n: u128| next.iter().position(|c| *c == case_id(n)).unwrap();
    assert_eq!(at(5), at(1) + 1);
    assert!(at(1) < at(2) && at(2) < at(3) && at(3) < at(4));
    let dated = |id: &CaseId| {
        let case = cases.iter().find(|c| c.id == *id).unwrap();
        CaseSummary::of(case).next_due.is_some()
    };
    assert!(next[..at(6)].iter().all(dated));
    assert!(!next[at(6)..].iter().any(dated));

    let (by_name, _) = tray(store, &sorted_by(TraySort::ChildName)).await;
    assert_eq!(by_name, ids(&[1, 8, 2, 3, 4, 5, 6, 7]));
    assert_eq!(by_name, expected(&cases, &sorted_by(TraySort::ChildName)).0);

    let (received, _) = tray(store, &sorted_by(TraySort::Received)).await;
    assert_eq!(received, ids(&[8, 6, 4, 3, 2, 1, 5, 7]));
    assert_eq!(received, expected(&cases, &sorted_by(TraySort::Received)).0);
}

pub async fn tray_pages_continue_without_overlap_and_count_every_page<S: Backend>(store: &S) {
    let (cases, _, o2) = seed_tray(store).await;
    for sort in [TraySort::NextDate, TraySort::ChildName, TraySort::Received] {
        let whole = tray(
            store,
            &TrayQuery {
                sort,
                ..query(all())
            },
        )
        .await;
        assert_eq!(whole.1, 8);
        let mut joined = Vec::new();
        for page in 1..=4 {
            let q = TrayQuery {
                sort,
                page,
                per_page: 3,
                ..query(all())
            };
            let (rows, total) = tray(store, &q).await;
            assert_eq!(total, 8, "{sort:?} page {page}");
            assert_eq!(
                rows.len(),
                [3, 3, 2, 0][page as usize - 1],
                "{sort:?} page {page}"
            );
            assert_eq!((rows.clone(), total), expected(&cases, &q));
            joined.extend(rows);
        }
        assert_eq!(
            joined, whole.0,
            "{sort:?}: the pages, end to end, are the whole tray"
        );
    }
    // With a filter, the total counts the filtered cases on every page.
    let q = |page| TrayQuery {
        officer: Some(o2),
        page,
        per_page: 3,
        ..query(all())
    };
    let (first, total) = tray(store, &q(1)).await;
    let (second, total2) = tray(store, &q(2)).await;
    assert_eq!((first.len(), second.len(), total, total2), (3, 1, 4, 4));
    assert!(first.iter().all(|c| !second.contains(c)));
}

// ---------------------------------------------------------------------------------------------
// Timeline

fn entry(case: CaseId, minutes: i64, what: &str, visible_to: Visibility) -> TimelineEntry {
    TimelineEntry {
        case,
        at: T0 + Duration::minutes(minutes) + Duration::microseconds(250),
        actor: Some(AccountId(Uuid::from_u128(1))),
        what: what.into(),
        visible_to,
    }
}

async fn seed_timeline<S: Backend>(store: &S) -> (Vec<TimelineEntry>, TimelineEntry) {
    let officer = account(1, "officer@example.org");
    insert_account(store, &officer).await;
    let a = new_case(1, "R1", ("Amy", "Adams"), TODAY, &[], None);
    let b = new_case(2, "R2", ("Ben", "Baker"), TODAY, &[], None);
    insert_cases(store, &[&a, &b]).await;
    let contributor = AccountId(Uuid::from_u128(7));
    let entries = vec![
        TimelineEntry {
            actor: None,
            ..entry(a.id, 0, "Request received online", Visibility::PARTICIPANTS)
        },
        entry(
            a.id,
            1,
            "jo@example.org given access",
            Visibility::LA_AND_FAMILY,
        ),
        entry(
            a.id,
            2,
            "Advice requested from Educational psychologist",
            Visibility::participants_and(Some(contributor)),
        ),
        entry(
            a.id,
            2,
            "Note for the LA",
            Visibility {
                la: true,
                setting: false,
                family: false,
                contributor: None,
            },
        ),
    ];
    let of_b = entry(
        b.id,
        3,
        "Request received by post",
        Visibility::PARTICIPANTS,
    );
    let mut tx = store.begin().await.unwrap();
    tx.cases().append_timeline(&entries[0]).await.unwrap();
    tx.cases().append_timeline(&entries[1]).await.unwrap();
    tx.cases().append_timeline(&of_b).await.unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    tx.cases().append_timeline(&entries[2]).await.unwrap();
    tx.cases().append_timeline(&entries[3]).await.unwrap();
    tx.commit().await.unwrap();
    (entries, of_b)
}

pub async fn a_timeline_comes_back_newest_first_up_to_the_limit_with_its_audiences<S: Backend>(
    store: &S,
) {
    let (entries, of_b) = seed_timeline(store).await;
    let newest_first: Vec<_> = entries.iter().rev().cloned().collect();
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.cases().timeline(case_id(1), 200).await.unwrap(),
        newest_first
    );
    assert_eq!(
        tx.cases().timeline(case_id(1), 2).await.unwrap(),
        newest_first[..2].to_vec()
    );
    assert_eq!(
        tx.cases().timeline(case_id(2), 200).await.unwrap(),
        vec![of_b]
    );
    assert!(
        tx.cases()
            .timeline(case_id(99), 200)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(tx.cases().timeline(case_id(1), 0).await.unwrap().is_empty());
}

/// Raw SQL on a store's own pool, outside the adapter.
#[async_trait]
pub trait RawTimeline {
    /// Tries to change, then to delete, every timeline entry; what each attempt gave.
    async fn tamper_with_timeline(&self) -> (Result<u64, String>, Result<u64, String>);
}

#[async_trait]
impl RawTimeline for SqliteStore {
    async fn tamper_with_timeline(&self) -> (Result<u64, String>, Result<u64, String>) {
        let update = sqlx::query("UPDATE case_timeline SET what = 'changed'")
            .execute(self.pool())
            .await;
        let delete = sqlx::query("DELETE FROM case_timeline")
            .execute(self.pool())
            .await;
        (
            update.map(|r| r.rows_affected()).map_err(|e| e.to_string()),
            delete.map(|r| r.rows_affected()).map_err(|e| e.to_string()),
        )
    }
}

#[async_trait]
impl RawTimeline for PgStore {
    async fn tamper_with_timeline(&self) -> (Result<u64, String>, Result<u64, String>) {
        let update = sqlx::query("UPDATE case_timeline SET what = 'changed'")
            .execute(self.pool())
            .await;
        let delete = sqlx::query("DELETE FROM case_timeline")
            .execute(self.pool())
            .await;
        (
            update.map(|r| r.rows_affected()).map_err(|e| e.to_string()),
            delete.map(|r| r.rows_affected()).map_err(|e| e.to_string()),
        )
    }
}

pub async fn a_timeline_cannot_be_changed_or_deleted<S: Backend + RawTimeline>(store: &S) {
    let (entries, _) = seed_timeline(store).await;
    let (update, delete) = store.tamper_with_timeline().await;
    let update = update.unwrap_err();
    let delete = delete.unwrap_err();
    assert!(update.contains("append-only"), "{update}");
    assert!(delete.contains("append-only"), "{delete}");
    let mut tx = store.begin().await.unwrap();
    let newest_first: Vec<_> = entries.into_iter().rev().collect();
    assert_eq!(
        tx.cases().timeline(case_id(1), 200).await.unwrap(),
        newest_first
    );
}

// ---------------------------------------------------------------------------------------------
// Grants of a case

pub async fn the_grants_of_a_case_are_its_family_contributors_advocates_and_linked_sendcos<
    S: Backend,
>(
    store: &S,
) {
    let people: Vec<Account> = (1..=12)
        .map(|n| account(n, &format!("person{n}@example.org")))
        .collect();
    for p in &people {
        insert_account(store, p).await;
    }
    let id = |n: usize| people[n - 1].id;
    let (a, b) = (case_id(100), case_id(200));
    let mut n = 0u128;
    let mut grant = |who: usize, role: Role| {
        n += 1;
        RoleGrant {
            id: GrantId(Uuid::from_u128(n)),
            account: id(who),
            role,
            granted_by: Grantor::Account(id(1)),
            granted_at: T0 + Duration::minutes(i64::try_from(n).unwrap()),
            expires_at: None,
            revoked: None,
        }
    };
    let officer = grant(1, Role::LaOfficer);
    let sendco_a = grant(
        2,
        Role::Sendco {
            setting: urn(100001),
        },
    );
    let sendco_unlinked = grant(
        3,
        Role::Sendco {
            setting: urn(100009),
        },
    );
    // An advocate granted before the grant of the person they act for.
    let advocate_of_parent = RoleGrant {
        expires_at: Some(T0 + Duration::days(90)),
        ..grant(7, Role::Advocate { for_person: id(4) })
    };
    let parent = grant(4, Role::ParentCarer { case: a });
    let young = grant(5, Role::YoungPerson { case: a });
    let contributor = grant(6, Role::Contributor { case: a });
    let advocate_of_young = grant(8, Role::Advocate { for_person: id(5) });
    let advocate_of_contributor = grant(9, Role::Advocate { for_person: id(6) });
    let other_parent = grant(10, Role::ParentCarer { case: b });
    let advocate_of_other = grant(11, Role::Advocate { for_person: id(10) });
    let second_officer = RoleGrant {
        revoked: Some((Grantor::Account(id(1)), T0 + Duration::days(1))),
        ..grant(12, Role::LaOfficer)
    };
    let revoked_sendco = RoleGrant {
        revoked: Some((Grantor::Account(id(1)), T0 + Duration::days(1))),
        ..grant(
            12,
            Role::Sendco {
                setting: urn(100002),
            },
        )
    };
    let other_contributor = grant(6, Role::Contributor { case: b });
    let all_grants = [
        &officer,
        &sendco_a,
        &sendco_unlinked,
        &advocate_of_parent,
        &parent,
        &young,
        &contributor,
        &advocate_of_young,
        &advocate_of_contributor,
        &other_parent,
        &advocate_of_other,
        &second_officer,
        &revoked_sendco,
        &other_contributor,
    ];
    let mut tx = store.begin().await.unwrap();
    for g in all_grants {
        tx.grants().insert(g).await.unwrap();
    }
    tx.commit().await.unwrap();

    let mut tx = store.begin().await.unwrap();
    // Oldest first, active or not; not LA officers, not other cases' people or their advocates,
    // not the advocate of a contributor, not the SENDCo of a setting the case is not linked to.
    assert_eq!(
        tx.grants()
            .for_case(a, &[urn(100001), urn(100002)])
            .await
            .unwrap(),
        vec![
            sendco_a.clone(),
            advocate_of_parent.clone(),
            parent.clone(),
            young.clone(),
            contributor.clone(),
            advocate_of_young.clone(),
            revoked_sendco.clone(),
        ]
    );
    assert_eq!(
        tx.grants().for_case(a, &[]).await.unwrap(),
        vec![
            advocate_of_parent.clone(),
            parent.clone(),
            young.clone(),
            contributor.clone(),
            advocate_of_young.clone(),
        ]
    );
    assert_eq!(
        tx.grants().for_case(b, &[urn(100009)]).await.unwrap(),
        vec![
            sendco_unlinked.clone(),
            other_parent.clone(),
            advocate_of_other.clone(),
            other_contributor.clone(),
        ]
    );
    assert!(
        tx.grants()
            .for_case(case_id(300), &[urn(100003)])
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        tx.grants().la_officers().await.unwrap(),
        vec![officer, second_officer]
    );
}

pub async fn no_la_officers_is_an_empty_list<S: Backend>(store: &S) {
    let mut tx = store.begin().await.unwrap();
    assert!(tx.grants().la_officers().await.unwrap().is_empty());
}
