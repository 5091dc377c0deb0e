//! *Request an EHC needs assessment* over HTTP, on SQLite and on PostgreSQL: a person without an
//! account sends a request through the question pages, the LA sees it first in its tray as a
//! *New request*, and the registration e-mail's link gives the parent the case; each page's
//! errors change nothing; a SENDCo's request is linked to their setting; sending too often
//! from one address is refused with the hub's 429 page.
//!
//! The hub's clock starts at `T0` (09:00 on 30 November 2026, GMT) unless a test says otherwise.

use ehc_core::account::EmailAddress;
use ehc_core::role::{Role, Urn};
use ehc_store_contract::Backend;
use reqwest::StatusCode;
use time::macros::datetime;

use crate::cases::{changes, error_summary, plain, tray_names};
use crate::support::{Browser, Hub, Options, Page};

const OFFICER: &str = "casey.officer@anytown.gov.uk";
pub(crate) const PARENT: &str = "pat.parent@example.com";
const SENDCO: &str = "sam.sendco@anytown-primary.sch.uk";
const SETTING: &str = "100001";

/// A page's posted fields and the error summary they must get: (page, fields, messages).
type Refusal<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a [&'a str]);

/// A question page's answers: (page, fields).
pub(crate) type Answers = Vec<(&'static str, Vec<(&'static str, String)>)>;

/// A parent's complete answers.
pub(crate) fn parent_answers(requester: &str, email: &str) -> Answers {
    let f = |pairs: &[(&'static str, &str)]| -> Vec<(&'static str, String)> {
        pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
    };
    vec![
        ("who", f(&[("requester", requester)])),
        (
            "child",
            f(&[
                ("given_name", "Amara"),
                ("family_name", "Okafor"),
                ("dob-day", "27"),
                ("dob-month", "3"),
                ("dob-year", "2015"),
            ]),
        ),
        (
            "you",
            f(&[
                ("name", "Pat Okafor"),
                ("relationship", "Mother"),
                ("email", email),
                ("phone", "01632 960 001"),
            ]),
        ),
        (
            "views",
            f(&[
                ("working_well", "Amara loves drawing."),
                ("not_working", "Reading and writing;\nshe is often anxious."),
                ("might_help", "Small groups."),
            ]),
        ),
        (
            "support",
            f(&[("sen_support", "SEN support since Year 2."), ("health", "")]),
        ),
        ("consent", f(&[("consent", "yes")])),
    ]
}

/// Answers every question page in turn (each redirects to the next): the check page.
pub(crate) async fn answer(browser: &Browser, answers: &Answers) -> Page {
    for (step, fields) in answers {
        let path = format!("/request/{step}");
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = browser.submit(&path, &path, &fields).await;
        assert_eq!(
            page.status,
            StatusCode::SEE_OTHER,
            "{path}: {}",
            error_summary(&page)
        );
    }
    let check = browser.visit("/request/check").await;
    assert!(
        check.has("Check your answers before sending your request"),
        "{}",
        check.body
    );
    check
}

/// Sends the answers from the check page: the confirmation page.
pub(crate) async fn send(browser: &Browser) -> Page {
    let sent = browser.submit("/request/check", "/request/send", &[]).await;
    assert_eq!(sent.location.as_deref(), Some("/request/sent"));
    browser.visit("/request/sent").await
}

async fn has_account<B: Backend>(hub: &Hub<B>, email: &str) -> bool {
    let mut tx = hub.store.begin().await.unwrap();
    let found = tx
        .accounts()
        .find_by_email(&EmailAddress::parse(email).unwrap())
        .await
        .unwrap()
        .is_some();
    tx.commit().await.unwrap();
    found
}

/// The case id of the first row of a tray.
fn first_case(tray: &Page) -> String {
    let marker = "<td class=\"govuk-table__cell\"><a class=\"govuk-link\" href=\"/cases/";
    let start = tray.body.find(marker).unwrap() + marker.len();
    let rest = &tray.body[start..];
    rest[..rest.find('"').unwrap()].to_owned()
}

pub async fn an_anonymous_request_comes_first_in_the_las_tray_and_its_e_mailed_link_gives_the_parent_the_case<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let officer = hub.person(OFFICER, vec![Role::LaOfficer]).await;
    // A case received by post in October: its decision is due long before the new request's.
    let new_case = officer.visit("/cases/new").await;
    let created = officer
        .post(
            "/cases/new",
            &[
                ("csrf_token", &new_case.csrf()),
                ("la_reference", "EHC-2026-0042"),
                ("given_name", "Ben"),
                ("family_name", "Adeyemi"),
                ("dob-day", "1"),
                ("dob-month", "9"),
                ("dob-year", "2016"),
                ("received-day", "5"),
                ("received-month", "10"),
                ("received-year", "2026"),
                ("received_by", "post"),
                ("settings", ""),
            ],
        )
        .await;
    let other = created.location.unwrap().replace("/cases/", "");
    let _ = hub.invitation_links().await;

    let family = hub.browser();
    let sign_in = family.visit("/sign-in").await;
    assert!(
        sign_in.has("href=\"/request\""),
        "linked from the sign-in page"
    );
    let start = family.visit("/request").await;
    assert_eq!(start.status, StatusCode::OK);
    let guidance = plain(&start.body);
    assert!(guidance.contains("within 6 weeks"), "{guidance}");
    assert!(guidance.contains("SENDIASS"));
    let check = answer(&family, &parent_answers("parent-carer", PARENT)).await;
    let summary = plain(&check.body);
    for shown in [
        "Who is asking I am the child's parent or carer",
        "Date of birth 27 March 2015",
        "Relationship to the child Mother",
        "What is not working well Reading and writing; she is often anxious.",
        "Health information Not given",
    ] {
        assert!(summary.contains(shown), "{shown}: {summary}");
    }
    assert!(check.has("href=\"/request/views\""), "a Change link");
    assert!(
        hub.invitation_links().await.is_empty(),
        "nothing is sent before Send request"
    );

    let sent = send(&family).await;
    let confirmation = plain(&sent.body);
    let reference = sent.text_of("reference");
    assert!(reference.starts_with("REQ-2026-"), "{reference}");
    assert!(
        confirmation.contains("by 11 January 2027"),
        "6 weeks from the day received, today: {confirmation}"
    );
    assert!(confirmation.contains(PARENT));
    assert!(
        !has_account(&hub, PARENT).await,
        "no account until the parent registers"
    );

    // The LA's tray: the new request first, tagged, although its date is later.
    let tray = officer.visit("/cases").await;
    assert_eq!(tray_names(&tray), ["Amara Okafor", "Ben Adeyemi"]);
    let id = first_case(&tray);
    let first_row =
        &tray.body[tray.body.find("Amara Okafor").unwrap()..tray.body.find("Ben Adeyemi").unwrap()];
    assert!(first_row.contains("New request") && first_row.contains(&reference));
    assert_eq!(tray.body.matches("New request").count(), 1);
    let case = officer.visit(&format!("/cases/{id}")).await;
    assert!(plain(&case.body).contains("Request received 30 November 2026 (online)"));
    let as_sent = officer.visit(&format!("/cases/{id}/request")).await;
    assert!(plain(&as_sent.body).contains("Sent by a parent or carer"));
    assert!(as_sent.has("she is often anxious."));
    assert!(!as_sent.has("Send request"), "read only");

    // The registration e-mail: registering from its link gives the parent that case.
    let link = hub.invitation_link_to(PARENT).await;
    let parent = hub.join(&link, PARENT).await;
    let own = parent.visit(&format!("/cases/{id}")).await;
    assert_eq!(own.status, StatusCode::OK);
    assert!(own.has("Amara Okafor") && own.has(&reference));
    assert_eq!(tray_names(&parent.visit("/cases").await), ["Amara Okafor"]);
    assert!(
        parent
            .visit(&format!("/cases/{id}/request"))
            .await
            .has("Small groups.")
    );
    // Not the other case.
    assert_eq!(
        parent.get(&format!("/cases/{other}")).await.status,
        StatusCode::NOT_FOUND
    );
}

pub async fn each_question_page_shows_its_own_errors_and_nothing_is_written<B: Backend>(store: &B) {
    let hub = Hub::start(store.clone()).await;
    let officer = hub.person(OFFICER, vec![Role::LaOfficer]).await;
    let _ = hub.invitation_links().await;
    let before = changes(&hub).await;
    let family = hub.browser();
    let long = "x".repeat(4001);
    let cases: [Refusal; 8] = [
        ("who", vec![], &["Select who is asking for the assessment"]),
        (
            "who",
            vec![("requester", "sendco-100001")],
            &["Select who is asking for the assessment"],
        ),
        (
            "child",
            vec![("dob-day", "31"), ("dob-month", "2"), ("dob-year", "2015")],
            &[
                "Enter the child's first name",
                "Enter the child's last name",
                "The child's date of birth must be a real date",
            ],
        ),
        (
            "child",
            vec![
                ("given_name", "Amara"),
                ("family_name", "Okafor"),
                ("dob-day", "1"),
                ("dob-month", "1"),
                ("dob-year", "2027"),
            ],
            &["The date of birth must be today or in the past"],
        ),
        (
            "you",
            vec![("email", "not an address"), ("phone", "12")],
            &[
                "Enter your full name",
                "Enter an email address in the correct format, like name@example.com",
                "Enter a phone number, like 01632 960 001 or 07700 900 982",
            ],
        ),
        (
            "views",
            vec![("working_well", long.as_str())],
            &["What is working well must be 4000 characters or fewer"],
        ),
        (
            "support",
            vec![("health", long.as_str())],
            &["The health information must be 4000 characters or fewer"],
        ),
        (
            "consent",
            vec![],
            &["Confirm that you agree to the local authority sharing this request"],
        ),
    ];
    for (step, fields, messages) in cases {
        let path = format!("/request/{step}");
        let page = family.submit(&path, &path, &fields).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{path}");
        assert_eq!(
            error_summary(&page),
            messages.join(" "),
            "{path}: only this page's errors, every one of them"
        );
        assert!(page.body.contains("govuk-form-group--error"));
    }
    // A parent must say how they are related; a young person must be 16 or over.
    family
        .submit(
            "/request/who",
            "/request/who",
            &[("requester", "parent-carer")],
        )
        .await;
    let page = family
        .submit(
            "/request/you",
            "/request/you",
            &[("name", "Pat Okafor"), ("email", PARENT)],
        )
        .await;
    assert_eq!(
        error_summary(&page),
        "Enter your relationship to the child, like mother or foster carer"
    );
    family
        .submit(
            "/request/who",
            "/request/who",
            &[("requester", "young-person")],
        )
        .await;
    let page = family
        .submit(
            "/request/child",
            "/request/child",
            &[
                ("given_name", "Amara"),
                ("family_name", "Okafor"),
                ("dob-day", "27"),
                ("dob-month", "3"),
                ("dob-year", "2015"),
            ],
        )
        .await;
    assert!(
        error_summary(&page).starts_with("A young person asking for themselves must be 16 or over"),
        "{}",
        error_summary(&page)
    );

    // The check page sends an unfinished request back to its first unanswered page, and
    // *Send request* sends nothing.
    assert_eq!(
        family.get("/request/check").await.location.as_deref(),
        Some("/request/child")
    );
    let refused = family
        .submit("/request/consent", "/request/send", &[])
        .await;
    assert_eq!(refused.location.as_deref(), Some("/request/check"));

    assert_eq!(changes(&hub).await, before, "nothing was written");
    assert!(hub.invitation_links().await.is_empty(), "no e-mail");
    assert!(!has_account(&hub, PARENT).await);
    assert!(tray_names(&officer.visit("/cases").await).is_empty());
}

pub async fn a_signed_in_sendcos_request_is_linked_to_their_setting<B: Backend>(store: &B) {
    let hub = Hub::start(store.clone()).await;
    hub.settings_exist(&[SETTING, "100002"]).await;
    let officer = hub.person(OFFICER, vec![Role::LaOfficer]).await;
    let sendco = hub
        .person(
            SENDCO,
            vec![Role::Sendco {
                setting: Urn::parse(SETTING).unwrap(),
            }],
        )
        .await;
    assert!(sendco.visit("/cases").await.has("href=\"/request\""));
    let who = sendco.visit("/request/who").await;
    let words = plain(&who.body);
    assert!(
        words.contains("I am the SENDCo at 100001 Anytown School 100001"),
        "{words}"
    );
    assert!(
        who.body.contains("value=\"sendco-100001\" checked"),
        "the school route is chosen first"
    );
    assert!(!words.contains("100002"));
    let mut answers = parent_answers("sendco-100001", SENDCO);
    answers[2].1.retain(|(k, _)| *k != "relationship");
    let check = answer(&sendco, &answers).await;
    assert!(plain(&check.body).contains("Relationship to the child Not given"));
    let _ = hub.invitation_links().await;
    let sent = send(&sendco).await;
    assert!(sent.has("My cases in progress"));
    assert!(
        hub.invitation_links().await.is_empty(),
        "a SENDCo follows the case through their setting: no registration e-mail"
    );

    let tray = sendco.visit("/setting-cases").await;
    assert_eq!(tray_names(&tray), ["Amara Okafor"]);
    let id = first_case(&tray);
    let case = plain(&sendco.visit(&format!("/cases/{id}")).await.body);
    assert!(
        case.contains("Education settings 100001 Anytown School 100001"),
        "{case}"
    );
    let as_sent = officer.visit(&format!("/cases/{id}/request")).await;
    assert!(plain(&as_sent.body).contains("Sent by a SENDCo at 100001 Anytown School 100001"));

    // Another setting's SENDCo does not see it.
    let other = hub
        .person(
            "bo.sendco@anytown-academy.sch.uk",
            vec![Role::Sendco {
                setting: Urn::parse("100002").unwrap(),
            }],
        )
        .await;
    assert_eq!(
        other.get(&format!("/cases/{id}/request")).await.status,
        StatusCode::NOT_FOUND
    );
}

pub async fn a_request_sent_just_after_midnight_bst_is_received_that_london_day<B: Backend>(
    store: &B,
) {
    let hub = Hub::with(
        store.clone(),
        Options {
            // 00:30 on 1 June 2026 in London (BST), still 31 May in UTC.
            start: datetime!(2026-05-31 23:30 UTC),
            ..Options::default()
        },
    )
    .await;
    let family = hub.browser();
    answer(&family, &parent_answers("parent-carer", PARENT)).await;
    let sent = plain(&send(&family).await.body);
    assert!(
        sent.contains("by 13 July 2026"),
        "received 1 June, decision 6 weeks later: {sent}"
    );
}

pub async fn sending_requests_too_often_from_one_address_gets_the_429_page<B: Backend>(store: &B) {
    let hub = Hub::start(store.clone()).await;
    let officer = hub.person(OFFICER, vec![Role::LaOfficer]).await;
    let family = hub.browser();
    answer(&family, &parent_answers("parent-carer", PARENT)).await;
    let token = family.visit("/request/check").await.csrf();
    let mut statuses = Vec::new();
    for _ in 0..6 {
        let page = family
            .post("/request/send", &[("csrf_token", token.as_str())])
            .await;
        statuses.push(page.status);
        if page.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(page.has("Too many attempts"), "the hub's page");
        }
    }
    assert_eq!(
        statuses,
        [
            StatusCode::SEE_OTHER,
            StatusCode::SEE_OTHER,
            StatusCode::SEE_OTHER,
            StatusCode::SEE_OTHER,
            StatusCode::SEE_OTHER,
            StatusCode::TOO_MANY_REQUESTS
        ],
        "5 at once (the default), then no more"
    );
    assert_eq!(
        tray_names(&officer.visit("/cases").await),
        ["Amara Okafor"],
        "the first sent the request; the repeats had nothing left to send"
    );
}
