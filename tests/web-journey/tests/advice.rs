//! Advice over HTTP, on SQLite and PostgreSQL: the LA requests advice by e-mail, the person is
//! invited as contributor, drafts (privately) and submits, and the family reads the advice;
//! bad forms change nothing; a contributor of another case gets 404; overdue advice shows on
//! the case officer's tray after the timed alerts run.
//!
//! The hub's clock starts at 09:00 on Monday 30 November 2026, so advice requested then is due
//! on Monday 11 January 2027.

use ehc_store_contract::Backend;
use reqwest::StatusCode;
use std::sync::Arc;

use ehc_core::case::CaseService;
use ehc_core::system::OsSecretSource;

use crate::cases::{
    CONTRIBUTOR, OFFICER, PARENT, Request, case_form, changes, created, error_summary, input,
    invited_to_case, officer, owned, pairs, plain, recorded, says, tray_names,
};
use crate::support::{Browser, Hub, PASSWORD, Page};

/// A case being assessed (decision recorded on 9 October 2026), with the officer assigned:
/// its id.
pub(crate) async fn assessing<B: Backend>(
    hub: &Hub<B>,
    officer: &Browser,
    reference: &str,
) -> String {
    let id = created(officer, &Request::new(reference, "Amara", "Okafor")).await;
    recorded(
        officer,
        &id,
        "decision-to-assess",
        "9 10 2026",
        &[("assess", "yes")],
    )
    .await;
    let me = hub.account_of(OFFICER).await.to_string();
    let page = case_form(officer, &id, "officer", &[("officer", &me)]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    id
}

/// Posts *Request advice* on case `id`.
pub(crate) async fn request(officer: &Browser, id: &str, fields: &[(&str, &str)]) -> Page {
    let path = format!("/cases/{id}/advice/new");
    let form = officer.get(&path).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let mut all = owned(&[
        ("csrf_token", &form.csrf()),
        ("version", &input(&form.body, "version")),
    ]);
    all.extend(owned(fields));
    officer.post(&path, &pairs(&all)).await
}

/// Posts the advice page's form (`action`: `draft` or `submit`).
pub(crate) async fn advise(browser: &Browser, path: &str, action: &str, text: &str) -> Page {
    let page = browser.get(path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    browser
        .post(
            path,
            &[
                ("csrf_token", &page.csrf()),
                ("action", action),
                ("advice", text),
            ],
        )
        .await
}

/// The address of the first advice link on a case page.
pub(crate) fn advice_link(page: &Page, id: &str) -> String {
    let marker = format!("href=\"/cases/{id}/advice/");
    let at = page.body.find(&marker).expect("an advice link") + 6;
    let rest = &page.body[at..];
    rest[..rest.find('"').unwrap()].to_owned()
}

/// The text of the case page's *Advice* section.
fn advice_section(page: &Page) -> String {
    let start = page.body.find("id=\"advice\"").expect("the Advice section");
    let rest = &page.body[start..];
    plain(&rest[..rest.find("</table>").unwrap_or(rest.len())])
}

pub async fn the_la_requests_advice_the_contributor_drafts_then_submits_and_the_family_reads_it<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let officer = officer(&hub).await;
    let id = assessing(&hub, &officer, "EHC-2026-0101").await;
    let parent = invited_to_case(&hub, &officer, &id, PARENT, "parent-carer").await;

    let page = request(
        &officer,
        &id,
        &[
            ("from", "Educational psychologist, Anytown EP service"),
            ("email", CONTRIBUTOR),
            ("asked", "Cognition and learning: needs and provision"),
        ],
    )
    .await;
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "{}",
        error_summary(&page)
    );
    assert_eq!(
        page.location.as_deref(),
        Some(&*format!("/cases/{id}#advice"))
    );

    // The family sees who was asked and that nothing is submitted yet.
    let family_view = parent.get(&format!("/cases/{id}")).await;
    let section = advice_section(&family_view);
    assert!(
        section.contains("Educational psychologist, Anytown EP service")
            && section.contains("11 January 2027")
            && section.contains("Not submitted yet"),
        "{section}"
    );

    // The person had no account: the e-mail invites them as contributor on this case.
    let link = hub.invitation_link_to(CONTRIBUTOR).await;
    let ep = hub.join(&link, CONTRIBUTOR).await;
    let tray = ep.get("/cases").await;
    assert_eq!(tray_names(&tray), ["Amara Okafor"]);
    let own = ep.get(&format!("/cases/{id}")).await;
    assert!(says(&own, "Give your advice"), "{}", plain(&own.body));
    let path = advice_link(&own, &id);
    let page = ep.get(&path).await;
    assert!(says(&page, "Cognition and learning: needs and provision"));
    assert!(page.has("src=\"/static/advice.js\""), "autosave script");
    let script = ep.get("/static/advice.js").await;
    assert_eq!(script.status, StatusCode::OK);

    // A draft: only the contributor sees it.
    let saved = advise(&ep, &path, "draft", "Amara reads at age level.").await;
    assert_eq!(
        saved.status,
        StatusCode::SEE_OTHER,
        "{}",
        error_summary(&saved)
    );
    let page = ep.get(&path).await;
    assert!(page.has("Amara reads at age level.</textarea>"));
    assert!(says(&page, "Draft saved at"));
    for other in [&officer, &parent] {
        let case = other.get(&format!("/cases/{id}")).await;
        assert!(
            !case.has("Amara reads at age level."),
            "nobody else sees the draft"
        );
        assert!(says(&case, "Not submitted yet"));
        assert!(!other.get(&path).await.has("Amara reads at age level."));
    }

    // Submitted: the LA and the family read it; the contributor sees the confirmation.
    let done = advise(
        &ep,
        &path,
        "submit",
        "Amara reads at age level.\nShe needs help with number work.",
    )
    .await;
    assert_eq!(
        done.status,
        StatusCode::SEE_OTHER,
        "{}",
        error_summary(&done)
    );
    let confirmed = ep.get(&path).await;
    assert!(says(&confirmed, "Advice submitted"));
    assert!(!confirmed.has("<textarea"), "no more changes");
    let section = advice_section(&parent.get(&format!("/cases/{id}")).await);
    assert!(
        section.contains("Submitted on 30 November 2026"),
        "{section}"
    );
    let read = parent.get(&path).await;
    assert_eq!(read.status, StatusCode::OK);
    assert!(says(
        &read,
        "Amara reads at age level. She needs help with number work."
    ));
    assert!(says(
        &officer.get(&path).await,
        "She needs help with number work."
    ));
    let tracker = plain(&officer.get(&format!("/cases/{id}")).await.body);
    assert!(
        tracker.contains("Advice received from Educational psychologist"),
        "{tracker}"
    );

    // A second submission is refused with a message.
    let again = ep
        .post(
            &path,
            &[
                ("csrf_token", &confirmed.csrf()),
                ("action", "submit"),
                ("advice", "Changed my mind"),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_summary(&again).contains("already been submitted"));
}

pub async fn bad_advice_forms_show_their_errors_and_change_nothing<B: Backend>(store: &B) {
    let hub = Hub::start(store.clone()).await;
    let officer = officer(&hub).await;
    let not_yet = created(&officer, &Request::new("EHC-2026-0102", "Ben", "Adeyemi")).await;
    let page = request(
        &officer,
        &not_yet,
        &[
            ("from", "Speech therapist"),
            ("email", CONTRIBUTOR),
            ("asked", "Speech"),
        ],
    )
    .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error_summary(&page)
            .contains("Record the decision to carry out an EHC needs assessment first"),
        "{}",
        error_summary(&page)
    );

    let id = assessing(&hub, &officer, "EHC-2026-0103").await;
    let before = changes(&hub).await;
    let _ = hub.invitation_links().await;
    let long = "x".repeat(2_001);
    for (fields, field, message) in [
        (
            [("from", ""), ("email", CONTRIBUTOR), ("asked", "Speech")],
            "from",
            "Enter who the advice is from",
        ),
        (
            [
                ("from", "Speech therapist"),
                ("email", "not an address"),
                ("asked", "Speech"),
            ],
            "email",
            "email address",
        ),
        (
            [
                ("from", "Speech therapist"),
                ("email", CONTRIBUTOR),
                ("asked", " "),
            ],
            "asked",
            "Enter what advice is asked for",
        ),
        (
            [
                ("from", "Speech therapist"),
                ("email", CONTRIBUTOR),
                ("asked", &long),
            ],
            "asked",
            "2000 characters or fewer",
        ),
    ] {
        let page = request(&officer, &id, &fields).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        assert!(
            error_summary(&page).contains(message),
            "{}",
            error_summary(&page)
        );
        assert!(
            page.has(&format!("href=\"#{field}\"")),
            "the summary links to {field}"
        );
        assert!(page.has("govuk-form-group--error"));
    }
    assert_eq!(changes(&hub).await, before, "nothing changed");
    assert!(hub.invitation_links().await.is_empty(), "nobody invited");

    // The contributor's empty or too long advice.
    let page = request(
        &officer,
        &id,
        &[
            ("from", "Speech therapist"),
            ("email", CONTRIBUTOR),
            ("asked", "Speech"),
        ],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let ep = hub
        .join(&hub.invitation_link_to(CONTRIBUTOR).await, CONTRIBUTOR)
        .await;
    let path = advice_link(&ep.get(&format!("/cases/{id}")).await, &id);
    // Opening the request once links the new account to it (a change of its own).
    assert_eq!(ep.get(&path).await.status, StatusCode::OK);
    let version = input(&officer.get(&format!("/cases/{id}")).await.body, "version");
    let before = changes(&hub).await;
    let too_long = "y".repeat(15_001);
    for (text, message) in [
        ("   ", "Enter your advice"),
        (too_long.as_str(), "15000 characters or fewer"),
    ] {
        let page = advise(&ep, &path, "submit", text).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            error_summary(&page).contains(message),
            "{}",
            error_summary(&page)
        );
        assert!(page.has("href=\"#advice\""));
    }
    let page = advise(&ep, &path, "draft", &too_long).await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(changes(&hub).await, before, "nothing changed");
    assert_eq!(
        input(&officer.get(&format!("/cases/{id}")).await.body, "version"),
        version
    );
}

pub async fn a_contributor_of_another_case_or_request_gets_404<B: Backend>(store: &B) {
    let hub = Hub::start(store.clone()).await;
    let officer = officer(&hub).await;
    let first = assessing(&hub, &officer, "EHC-2026-0104").await;
    let second = assessing(&hub, &officer, "EHC-2026-0105").await;
    for (id, email) in [(&first, CONTRIBUTOR), (&second, "sam.salt@example.org")] {
        let page = request(
            &officer,
            id,
            &[
                ("from", "Adviser"),
                ("email", email),
                ("asked", "Everything"),
            ],
        )
        .await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
    }
    let page = request(
        &officer,
        &second,
        &[
            ("from", "Health visitor"),
            ("email", "hv@example.org"),
            ("asked", "Health"),
        ],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let sam = hub
        .join(
            &hub.invitation_link_to("sam.salt@example.org").await,
            "sam.salt@example.org",
        )
        .await;
    let own = advice_link(&sam.get(&format!("/cases/{second}")).await, &second);
    assert_eq!(sam.get(&own).await.status, StatusCode::OK);

    let token = sam.get("/cases").await.csrf();
    let other_case = own.replace(&second, &first);
    let others_request = format!("/cases/{second}/advice/4");
    for path in [
        other_case.as_str(),
        others_request.as_str(),
        "/cases/not-a-case/advice/2",
    ] {
        assert_eq!(sam.get(path).await.status, StatusCode::NOT_FOUND, "{path}");
        let post = sam
            .post(
                path,
                &[("csrf_token", &token), ("action", "draft"), ("advice", "x")],
            )
            .await;
        assert_eq!(post.status, StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(
        sam.get(&format!("/cases/{second}/advice/new")).await.status,
        StatusCode::FORBIDDEN,
        "only the LA requests advice"
    );
    // The other contributor's request is not on Sam's case page.
    let page = sam.get(&format!("/cases/{second}")).await;
    assert!(!says(&page, "Health visitor"));
}

pub async fn overdue_advice_is_tagged_and_filtered_on_the_officers_tray<B: Backend>(store: &B) {
    let hub = Hub::start(store.clone()).await;
    let officer = officer(&hub).await;
    let id = assessing(&hub, &officer, "EHC-2026-0106").await;
    assessing(&hub, &officer, "EHC-2026-0107").await;
    let page = request(
        &officer,
        &id,
        &[
            ("from", "Educational psychologist"),
            ("email", CONTRIBUTOR),
            ("asked", "Learning"),
        ],
    )
    .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    // Due 11 January 2027; overdue from the 12th. The hub's timed alerts run then.
    hub.clock.advance(time::Duration::days(43));
    let cases = CaseService::new(
        Arc::new(store.clone()) as Arc<dyn ehc_core::ports::Store>,
        Arc::new(OsSecretSource) as Arc<dyn ehc_core::ports::SecretSource>,
        hub.settings.clone(),
    );
    let now = hub.now();
    let report = cases
        .send_timed_alerts(ehc_http::times::london_today(now), now)
        .await
        .unwrap();
    assert_eq!((report.cases, report.sent), (1, 1), "the overdue alert");

    // Weeks later the officer signs in again (the old session has timed out).
    let officer = hub.browser();
    officer.password(OFFICER, PASSWORD).await;
    let code = hub.texts().await.pop().unwrap();
    assert_eq!(
        officer.code(&code).await.location.as_deref(),
        Some("/cases")
    );
    let tray = officer.get("/cases?due=advice-overdue").await;
    assert_eq!(tray_names(&tray), ["Amara Okafor"]);
    assert!(says(&tray, "Advice overdue"));
    assert!(tray.has("value=\"advice-overdue\" selected"));
    let all = officer.get("/cases").await;
    assert_eq!(
        plain(&all.body).matches("Advice overdue").count(),
        2,
        "the tag on one row (and the filter's option)"
    );
    let case = officer.get(&format!("/cases/{id}")).await;
    assert!(says(
        &case,
        "Overdue: advice from Educational psychologist, due on 11 January 2027"
    ));
    assert!(advice_section(&case).contains("Overdue by 1 day"));
}
