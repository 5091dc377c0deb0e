//! The audit log viewer over HTTP (issue 8): an LA officer searches by person, case, kind and
//! days, pages through the log and exports it as CSV; everyone else is refused and sees no
//! entry; bad filters get the error summary and search nothing; each search and export is
//! itself in the log — on SQLite and on PostgreSQL.

use ehc_core::audit::{AuditEvent, AuditKind};
use ehc_store_contract::Backend;
use reqwest::StatusCode;
use time::Duration;

use crate::cases::{
    OFFICER, PARENT, Request, SENDCO_A, SETTING_A, created, error_summary, invited_to_case,
    officer, plain, rows, sendco,
};
use crate::support::{Browser, Hub, Page};

const REFERENCE: &str = "EHC-2026-0042";

/// Appends `events` to the hub's log directly (as other use cases would have).
async fn append<B: Backend>(hub: &Hub<B>, events: Vec<AuditEvent>) {
    let mut tx = hub.store.begin().await.unwrap();
    for e in &events {
        tx.audit().append(e).await.unwrap();
    }
    tx.commit().await.unwrap();
}

/// `n` entries of texts refused by the send limit (a kind the officer's own sign-in does not
/// make), a second apart, ending a minute before now.
fn texts_refused<B: Backend>(hub: &Hub<B>, n: i64, detail: &str) -> Vec<AuditEvent> {
    (0..n)
        .map(|i| AuditEvent {
            at: hub.now() - Duration::minutes(1) - Duration::seconds(n - i),
            actor: None,
            subject: None,
            kind: AuditKind::CodeSendLimited,
            origin: Some("192.0.2.44".parse().unwrap()),
            case: None,
            detail: format!("{detail} {i}"),
        })
        .collect()
}

/// The table's body rows (the head row dropped).
fn entries(page: &Page) -> Vec<String> {
    rows(&page.body).into_iter().skip(1).collect()
}

/// The `href` of the pagination link whose class names `which` (`prev`, `next`).
fn link(page: &Page, which: &str) -> Option<String> {
    let marker = format!(
        "govuk-pagination__{which}\"><a class=\"govuk-link govuk-pagination__link\" href=\""
    );
    let start = page.body.find(&marker)? + marker.len();
    let rest = &page.body[start..];
    Some(rest[..rest.find('"').unwrap()].replace("&amp;", "&"))
}

async fn kinds_in_log<B: Backend>(hub: &Hub<B>, kind: AuditKind) -> Vec<AuditEvent> {
    hub.store
        .audit()
        .await
        .into_iter()
        .filter(|e| e.kind == kind)
        .collect()
}

async fn officer_with_case<B: Backend>(hub: &Hub<B>) -> (Browser, String) {
    hub.settings_exist(&[SETTING_A]).await;
    let officer = officer(hub).await;
    let id = created(&officer, &Request::new(REFERENCE, "Amara", "Okafor")).await;
    assert_eq!(
        officer.get(&format!("/cases/{id}")).await.status,
        StatusCode::OK
    );
    (officer, id)
}

pub async fn an_officer_searches_the_audit_log_by_person_case_kind_and_days_and_pages_through_it<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let (officer, id) = officer_with_case(&hub).await;
    append(&hub, texts_refused(&hub, 70, "texted")).await;

    // The officer's tray links to the log.
    assert!(officer.get("/cases").await.has("href=\"/audit\""));

    // Newest first, 50 to a page: the officer's own case entries, then the texts.
    let first = officer.get("/audit").await;
    assert_eq!(first.status, StatusCode::OK);
    let first_rows = entries(&first);
    assert_eq!(first_rows.len(), 50);
    assert!(first_rows[0].contains("Case viewed"), "{}", first_rows[0]);
    assert!(first_rows[0].contains(REFERENCE) && first_rows[0].contains(OFFICER));
    assert!(first_rows[1].contains("Case created"));
    assert!(
        first_rows
            .iter()
            .any(|r| r.contains("texted 69") && r.contains("192.0.2.44"))
    );
    assert_eq!(link(&first, "prev"), None);
    let next = link(&first, "next").expect("a next page");
    assert!(first.has("Next page"));

    let second = officer.get(&next).await;
    let second_rows = entries(&second);
    assert!(second_rows.last().unwrap().contains("texted 0"));
    assert!(
        second_rows.iter().all(|r| !first_rows.contains(r)),
        "no entry twice"
    );
    // Every texted entry is on one of the two pages, once.
    let mut texted: Vec<&String> = first_rows
        .iter()
        .chain(&second_rows)
        .filter(|r| r.contains("texted "))
        .collect();
    texted.dedup();
    assert_eq!(texted.len(), 70);
    let previous = link(&second, "prev").expect("a previous page");
    assert!(second.has("Previous page"));
    assert_eq!(entries(&officer.get(&previous).await), first_rows);

    // By kind, by case reference (in any case), by person, by days (London).
    let by_kind = officer.get("/audit?kind=case-created").await;
    assert_eq!(entries(&by_kind).len(), 1);
    assert!(entries(&by_kind)[0].contains(REFERENCE));
    let by_case = entries(
        &officer
            .get(&format!("/audit?case={}", REFERENCE.to_lowercase()))
            .await,
    );
    assert_eq!(by_case.len(), 2, "{by_case:?}");
    assert!(by_case[0].contains("Case viewed") && by_case[1].contains("Case created"));
    let by_person = entries(
        &officer
            .get(&format!("/audit?person={OFFICER}&kind=case-viewed"))
            .await,
    );
    assert_eq!(by_person.len(), 1);
    let today = "from-day=30&from-month=11&from-year=2026&to-day=30&to-month=11&to-year=2026";
    let on_the_day = officer
        .get(&format!("/audit?kind=case-created&{today}"))
        .await;
    assert_eq!(entries(&on_the_day).len(), 1);
    let tomorrow = officer
        .get("/audit?kind=case-created&from-day=1&from-month=12&from-year=2026")
        .await;
    assert!(entries(&tomorrow).is_empty());
    assert!(plain(&tomorrow.body).contains("No entries match these filters"));
    // The filters are kept in the form and in the export link.
    assert!(tomorrow.has("value=\"1\""));
    let unescaped = tomorrow.body.replace("&#38;", "&").replace("&amp;", "&");
    assert!(
        unescaped.contains(
            "href=\"/audit.csv?kind=case-created&from-day=1&from-month=12&from-year=2026\""
        )
    );

    // Each search is in the log, by the officer, with ids and never the address.
    let searches = kinds_in_log(&hub, AuditKind::AuditSearched).await;
    assert_eq!(searches.len(), 8);
    let officer_id = hub.account_of(OFFICER).await;
    assert!(searches.iter().all(|e| e.actor == Some(officer_id)));
    assert!(searches.iter().all(|e| !e.detail.contains(OFFICER)));
    assert!(
        searches
            .iter()
            .all(|e| e.origin == Some("127.0.0.1".parse().unwrap()))
    );
    let by_case_search = &searches[4];
    assert_eq!(by_case_search.case.map(|c| c.to_string()), Some(id.clone()));
    assert!(by_case_search.detail.contains(&format!("case {id}")));
    let by_person_search = &searches[5];
    assert_eq!(by_person_search.subject, Some(officer_id));
    // And the log shows them: who looked at the case's entries.
    let looked = entries(
        &officer
            .get(&format!("/audit?case={REFERENCE}&kind=audit-searched"))
            .await,
    );
    assert_eq!(looked.len(), 1, "{looked:?}");
}

pub async fn an_officer_exports_the_audit_log_as_csv_with_formulas_defused<B: Backend>(store: &B) {
    let hub = Hub::start(store.clone()).await;
    let (officer, _) = officer_with_case(&hub).await;
    // More entries than one chunk of the export, and some that a spreadsheet would run.
    append(&hub, texts_refused(&hub, 1_100, "texted")).await;
    let mut tricky = texts_refused(&hub, 5, "x");
    for (e, detail) in tricky.iter_mut().zip([
        "=HYPERLINK(\"http://evil.example\",\"click\")",
        "+1+2",
        "-2+3",
        "@SUM(A1:A2)",
        "a, \"quoted\"\nand a new line",
    ]) {
        e.detail = detail.to_owned();
        e.at += Duration::seconds(30);
    }
    append(&hub, tricky).await;

    let response = officer
        .client
        .get(format!("{}/audit.csv?kind=code-send-limited", hub.base))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/csv; charset=utf-8");
    let disposition = headers["content-disposition"].to_str().unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"audit-log-2026-11-30.csv\""),
        "{disposition}"
    );
    let body = response.bytes().await.unwrap();
    assert!(body.windows(2).any(|w| w == b"\r\n"), "RFC 4180 line ends");

    let mut reader = csv::Reader::from_reader(&body[..]);
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header,
        [
            "When (UTC)",
            "When (London time)",
            "Who",
            "About",
            "Kind",
            "Case reference",
            "Detail",
            "Client address"
        ]
    );
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 1_105);
    let details: Vec<&str> = records.iter().map(|r| &r[6]).collect();
    assert_eq!(
        details[..5],
        [
            "a, \"quoted\"\nand a new line",
            "'@SUM(A1:A2)",
            "'-2+3",
            "'+1+2",
            "'=HYPERLINK(\"http://evil.example\",\"click\")"
        ]
    );
    assert_eq!(details[5], "texted 1099");
    assert_eq!(details[1_104], "texted 0");
    assert!(
        records
            .iter()
            .all(|r| &r[4] == "Code send limited" && &r[7] == "192.0.2.44")
    );
    assert!(
        records[0][0].starts_with("2026-11-30T08:59:"),
        "{:?}",
        &records[0]
    );
    assert!(records[0][1].ends_with("on 30 November 2026"));

    // The export is in the log, with its filters; the page offered it.
    let exports = kinds_in_log(&hub, AuditKind::AuditExported).await;
    assert_eq!(exports.len(), 1);
    assert_eq!(exports[0].detail, "filters: kind code-send-limited");
    assert_eq!(exports[0].actor, Some(hub.account_of(OFFICER).await));
    assert!(
        officer
            .get("/audit?kind=code-send-limited")
            .await
            .has("href=\"/audit.csv?kind=code-send-limited\"")
    );
}

pub async fn a_person_who_is_not_an_la_officer_is_refused_the_audit_log_and_sees_no_entry<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let (officer, id) = officer_with_case(&hub).await;
    append(&hub, texts_refused(&hub, 3, "secret-looking")).await;
    let sendco = hub.person(SENDCO_A, sendco(SETTING_A)).await;
    let parent = invited_to_case(&hub, &officer, &id, PARENT, "parent-carer").await;
    for (who, browser) in [("SENDCo", &sendco), ("parent", &parent)] {
        assert!(!browser.get("/cases").await.has("href=\"/audit\""), "{who}");
        for path in [
            "/audit",
            "/audit?kind=code-send-limited",
            "/audit.csv",
            "/audit.csv?person=x",
        ] {
            let page = browser.get(path).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{who} {path}");
            assert!(page.has("You do not have permission to do this"));
            assert!(
                !page.has("secret-looking") && !page.has("govuk-table"),
                "{who} {path}"
            );
        }
    }
    // Someone not signed in is sent to sign in.
    let anonymous = hub.browser();
    for path in ["/audit", "/audit.csv"] {
        let page = anonymous.get(path).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        assert_eq!(page.location.as_deref(), Some("/sign-in"));
    }
    assert!(
        kinds_in_log(&hub, AuditKind::AuditSearched)
            .await
            .is_empty()
    );
    assert!(
        kinds_in_log(&hub, AuditKind::AuditExported)
            .await
            .is_empty()
    );
}

pub async fn bad_audit_filters_show_the_error_summary_and_search_nothing<B: Backend>(store: &B) {
    let hub = Hub::start(store.clone()).await;
    let (officer, _) = officer_with_case(&hub).await;
    let bad = "person=nobody%40example.org&case=NOPE-1&kind=deleted-everything\
               &from-day=31&from-month=2&from-year=2026&to-day=1&to-month=1&to-year=26";
    for path in [format!("/audit?{bad}"), format!("/audit.csv?{bad}")] {
        let page = officer.get(&path).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert_eq!(
            error_summary(&page),
            "There is no one with this email address on the hub \
             There is no case with this LA reference \
             Select a kind of entry from the list \
             The first day must be a real date \
             Year must include 4 numbers",
            "{path}"
        );
        assert!(!page.has("govuk-table"), "{path}");
        // What was entered is shown again.
        assert!(page.has("value=\"nobody@example.org\"") && page.has("value=\"NOPE-1\""));
    }
    // A range ending before it starts; an address that is not one.
    let backwards = officer
        .get("/audit?person=not-an-address&from-day=2&from-month=11&from-year=2026&to-day=1&to-month=11&to-year=2026")
        .await;
    assert_eq!(backwards.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_summary(&backwards),
        "Enter an email address in the correct format, like name@example.com \
         The last day must be the same as or after the first day"
    );
    // The same day twice is a range of one day, not an error.
    let one_day = officer
        .get("/audit?from-day=30&from-month=11&from-year=2026&to-day=30&to-month=11&to-year=2026")
        .await;
    assert_eq!(one_day.status, StatusCode::OK);
    assert_eq!(kinds_in_log(&hub, AuditKind::AuditSearched).await.len(), 1);
    assert!(
        kinds_in_log(&hub, AuditKind::AuditExported)
            .await
            .is_empty()
    );
}
