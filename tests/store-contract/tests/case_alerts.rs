//! The timed alerts' column (`next_alert_on`, migration `0006_case_alerts.sql`): written with
//! every insert and update of a case from `Case::next_timed_alert_on`, and read by
//! `CaseRepository::alerts_due` in id order after a cursor; and the tray's *Advice overdue*
//! filter on `advice_due`.

use ehc_core::account::EmailAddress;
use ehc_core::case::advice::{AdviceAlert, NewAdviceRequest};
use ehc_core::case::alerts::AlertKey;
use ehc_core::case::tray::{DueFilter, TrayQuery, TrayScope, TraySort};
use ehc_core::case::{Case, CaseId, Child, EventKind, EventNumber, LaReference, ReceivedBy};
use ehc_core::ports::Store;
use ehc_store_contract::{Backend, T0};
use time::Date;
use time::macros::date;
use uuid::Uuid;

const TODAY: Date = date!(2026 - 11 - 30);

/// A case `n` being assessed, with advice requested on `asked_on` when given.
fn case(n: u128, asked_on: Option<Date>) -> Case {
    let mut case = Case::received(
        CaseId(Uuid::from_u128(n)),
        LaReference::parse(&format!("EHC-ALERT-{n}")).unwrap(),
        Child {
            given_name: "Ava".into(),
            family_name: format!("Case{n}"),
            date_of_birth: date!(2016 - 04 - 02),
        },
        date!(2026 - 09 - 01),
        ReceivedBy::Post,
        T0,
    );
    case.record_event(
        EventKind::DecisionToAssess { assess: true },
        date!(2026 - 09 - 20),
        TODAY,
        T0,
        None,
    )
    .unwrap();
    if let Some(on) = asked_on {
        case.request_advice(
            NewAdviceRequest {
                from: "Educational psychologist".into(),
                email: EmailAddress::parse("eli.ep@example.org").unwrap(),
                contributor: None,
                asked: "Cognition and learning".into(),
            },
            on,
            T0,
            None,
        )
        .unwrap();
    }
    case
}

async fn due<S: Store>(store: &S, today: Date, after: Option<CaseId>, limit: u32) -> Vec<CaseId> {
    let mut tx = store.begin().await.unwrap();
    let ids = tx.cases().alerts_due(today, after, limit).await.unwrap();
    tx.commit().await.unwrap();
    ids
}

pub async fn next_alert_on_follows_each_write_and_due_cases_come_in_id_order_after_the_cursor<
    S: Backend,
>(
    store: &S,
) {
    // Advice asked on 1 October: reminders due 22 October; asked 20 November: 11 December.
    let early = case(3, Some(date!(2026 - 10 - 01)));
    let late = case(1, Some(date!(2026 - 11 - 20)));
    let none = case(2, None);
    assert_eq!(early.next_timed_alert_on(), Some(date!(2026 - 10 - 22)));
    let mut tx = store.begin().await.unwrap();
    for c in [&early, &late, &none] {
        tx.cases().insert(c).await.unwrap();
    }
    tx.commit().await.unwrap();

    assert_eq!(due(store, TODAY, None, 10).await, vec![early.id]);
    assert!(due(store, date!(2026 - 10 - 21), None, 10).await.is_empty());
    let both = due(store, date!(2026 - 12 - 11), None, 10).await;
    assert_eq!(both, vec![late.id, early.id], "in id order");
    assert_eq!(
        due(store, date!(2026 - 12 - 11), None, 1).await,
        vec![late.id]
    );
    assert_eq!(
        due(store, date!(2026 - 12 - 11), Some(late.id), 10).await,
        vec![early.id],
        "after the cursor"
    );

    // Every alert of the early case sent: an update clears its column.
    let mut sent = early.clone();
    sent.record_alert_sent(
        AlertKey::Advice {
            request: EventNumber(2),
            alert: AdviceAlert::Overdue,
        },
        T0,
    );
    assert_eq!(sent.next_timed_alert_on(), None);
    let mut tx = store.begin().await.unwrap();
    tx.cases().update(&sent, 1).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        due(store, date!(2027 - 06 - 01), None, 10).await,
        vec![late.id]
    );
}

pub async fn the_advice_overdue_filter_finds_cases_whose_awaited_advice_is_past_due<S: Backend>(
    store: &S,
) {
    // Asked 1 October: due 12 November (overdue on 30 November); 20 November: due 1 January.
    let overdue = case(1, Some(date!(2026 - 10 - 01)));
    let awaited = case(2, Some(date!(2026 - 11 - 20)));
    let none = case(3, None);
    let mut tx = store.begin().await.unwrap();
    for c in [&overdue, &awaited, &none] {
        tx.cases().insert(c).await.unwrap();
    }
    tx.commit().await.unwrap();
    let mut query = TrayQuery {
        scope: TrayScope {
            all: true,
            ..TrayScope::default()
        },
        stage: None,
        due: Some(DueFilter::AdviceOverdue),
        setting: None,
        officer: None,
        sort: TraySort::NextDate,
        page: 1,
        per_page: 50,
        today: TODAY,
    };
    let mut tx = store.begin().await.unwrap();
    let page = tx.cases().tray(&query).await.unwrap();
    assert_eq!(
        page.rows.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![overdue.id]
    );
    assert_eq!(page.total, 1);
    assert_eq!(page.rows[0].advice_due, Some(date!(2026 - 11 - 12)));
    assert!(page.rows[0].advice_overdue(TODAY));

    // A contributor's partial view hides the date, so the filter does not reveal it.
    query.scope = TrayScope {
        cases: vec![overdue.id],
        partial: vec![overdue.id],
        ..TrayScope::default()
    };
    assert!(tx.cases().tray(&query).await.unwrap().rows.is_empty());
    query.due = None;
    let page = tx.cases().tray(&query).await.unwrap();
    assert_eq!(page.rows[0].advice_due, None);
    tx.commit().await.unwrap();
}
