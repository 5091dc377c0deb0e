//! Cases over HTTP: the LA's back office creates cases and records what happened, the trays
//! list them, and each person sees a case only as far as their grants allow — on SQLite and on
//! PostgreSQL.
//!
//! The hub's clock starts at `T0` (09:00 on 30 November 2026, GMT), so "today" is 30 November
//! 2026 unless a test says otherwise.

use ehc_store_contract::Backend;
use reqwest::StatusCode;
use time::macros::datetime;

use ehc_core::role::{Role, Urn};

use crate::support::{Browser, Hub, Options, Page};

pub(crate) const OFFICER: &str = "casey.officer@anytown.gov.uk";
pub(crate) const SENDCO_A: &str = "sam.sendco@anytown-primary.sch.uk";
pub(crate) const SENDCO_B: &str = "bo.sendco@anytown-academy.sch.uk";
pub(crate) const PARENT: &str = "pat.parent@example.com";
pub(crate) const CONTRIBUTOR: &str = "eli.ep@anytown-ep.example.org";
const ADVOCATE: &str = "ade.advocate@sendiass.example.org";
pub(crate) const SETTING_A: &str = "100001";
pub(crate) const SETTING_B: &str = "100002";

// ---- reading pages ---------------------------------------------------------------------------

/// The text of `html` as a person reads it: tags dropped, entities decoded, white space
/// collapsed.
pub(crate) fn plain(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' if in_tag => in_tag = false,
            _ if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&#34;", "\"")
        .replace("&quot;", "\"")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&#38;", "&")
        .replace("&amp;", "&");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The text of each table row of the page (`<tr>` … `</tr>`), head rows included.
pub(crate) fn rows(html: &str) -> Vec<String> {
    html.split("<tr")
        .skip(1)
        .map(|r| plain(&format!("<tr{}", &r[..r.find("</tr>").unwrap_or(r.len())])))
        .collect()
}

/// The text of the first table row holding `text`.
pub(crate) fn row_with(html: &str, text: &str) -> Option<String> {
    rows(html).into_iter().find(|r| r.contains(text))
}

/// The raw HTML of the first table row holding `text`.
fn raw_row_with<'a>(html: &'a str, text: &str) -> &'a str {
    let at = html
        .find(text)
        .unwrap_or_else(|| panic!("{text} on the page"));
    let start = html[..at].rfind("<tr").expect("a table row");
    let end = at + html[at..].find("</tr>").expect("the row's end");
    &html[start..end]
}

/// The text of the GOV.UK error summary's list ("" when the page has none).
pub(crate) fn error_summary(page: &Page) -> String {
    let Some(start) = page.body.find("govuk-error-summary__list") else {
        return String::new();
    };
    let rest = &page.body[start..];
    plain(&format!(
        "<ul class=\"{}",
        &rest[..rest.find("</ul>").unwrap()]
    ))
}

/// The value of the first input named `name`.
pub(crate) fn input(html: &str, name: &str) -> String {
    let at = html
        .find(&format!("name=\"{name}\""))
        .unwrap_or_else(|| panic!("an input {name}"));
    let tag = &html[at..at + html[at..].find('>').unwrap()];
    let start = tag.find("value=\"").expect("a value") + 7;
    tag[start..start + tag[start..].find('"').unwrap()].to_owned()
}

/// The text of the page's `<h1>`.
pub(crate) fn heading(page: &Page) -> String {
    let start = page.body.find("<h1").expect("a heading");
    let rest = &page.body[start..];
    plain(&rest[..rest.find("</h1>").unwrap()])
}

/// The children's names in a tray's table, in order.
pub(crate) fn tray_names(page: &Page) -> Vec<String> {
    let marker = "<td class=\"govuk-table__cell\"><a class=\"govuk-link\" href=\"/cases/";
    page.body
        .split(marker)
        .skip(1)
        .map(|r| {
            let start = r.find('>').unwrap() + 1;
            plain(&r[start..start + r[start..].find("</a>").unwrap()])
        })
        .collect()
}

/// The address of the pagination's *Next* link.
fn next_page(page: &Page) -> Option<String> {
    let at = page.body.find("rel=\"next\"")?;
    let tag = &page.body[page.body[..at].rfind("<a ")?..at];
    let start = tag.find("href=\"")? + 6;
    Some(
        tag[start..start + tag[start..].find('"')?]
            .replace("&#38;", "&")
            .replace("&amp;", "&"),
    )
}

/// The text of the *What has happened* list of a case page.
fn happened(page: &Page) -> Vec<String> {
    let Some(at) = page.body.find("What has happened") else {
        return Vec::new();
    };
    let list = &page.body[at..];
    let list = &list[..list.find("</ul>").unwrap()];
    list.split("<li>").skip(1).map(plain).collect()
}

pub(crate) fn says(page: &Page, words: &str) -> bool {
    plain(&page.body).contains(words)
}

/// Form fields as written in a test.
type Fields<'a> = Vec<(&'a str, &'a str)>;
/// Form fields as built.
type Owned = Vec<(String, String)>;

// ---- filling in forms --------------------------------------------------------------------------

pub(crate) fn owned(fields: &[(&str, &str)]) -> Vec<(String, String)> {
    fields
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

pub(crate) fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// The three fields of a GOV.UK date input `name`, from "day month year".
pub(crate) fn date(name: &str, dmy: &str) -> Vec<(String, String)> {
    let parts: Vec<&str> = dmy.split(' ').collect();
    ["day", "month", "year"]
        .iter()
        .enumerate()
        .map(|(i, part)| {
            (
                format!("{name}-{part}"),
                (*parts.get(i).unwrap_or(&"")).to_owned(),
            )
        })
        .collect()
}

/// What the back office's *Create a case* form is filled in with.
#[derive(Clone)]
pub(crate) struct Request {
    reference: String,
    given: String,
    family: String,
    dob: String,
    received: String,
    by: String,
    pub(crate) settings: String,
}

impl Request {
    pub(crate) fn new(reference: &str, given: &str, family: &str) -> Self {
        Self {
            reference: reference.into(),
            given: given.into(),
            family: family.into(),
            dob: "27 3 2015".into(),
            received: "5 10 2026".into(),
            by: "post".into(),
            settings: String::new(),
        }
    }

    pub(crate) fn fields(&self) -> Vec<(String, String)> {
        let mut fields = owned(&[
            ("la_reference", &self.reference),
            ("given_name", &self.given),
            ("family_name", &self.family),
            ("received_by", &self.by),
            ("settings", &self.settings),
        ]);
        fields.extend(date("dob", &self.dob));
        fields.extend(date("received", &self.received));
        fields
    }
}

/// Posts the *Create a case* form, with the token of the form's page.
async fn create(officer: &Browser, request: &Request) -> Page {
    let form = officer.get("/cases/new").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let mut fields = owned(&[("csrf_token", &form.csrf())]);
    fields.extend(request.fields());
    officer.post("/cases/new", &pairs(&fields)).await
}

/// Creates a case; its id.
pub(crate) async fn created(officer: &Browser, request: &Request) -> String {
    let page = create(officer, request).await;
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "{}",
        error_summary(&page)
    );
    page.location
        .as_deref()
        .and_then(|l| l.strip_prefix("/cases/"))
        .expect("the case page")
        .to_owned()
}

/// Posts a record form of the case (with the version and token its page gives).
async fn record(browser: &Browser, id: &str, kind: &str, on: &str, extra: &[(&str, &str)]) -> Page {
    let path = format!("/cases/{id}/record/{kind}");
    let form = browser.get(&path).await;
    assert_eq!(form.status, StatusCode::OK, "{path}");
    let mut fields = owned(&[
        ("csrf_token", &form.csrf()),
        ("version", &input(&form.body, "version")),
    ]);
    fields.extend(date("on", on));
    fields.extend(owned(extra));
    browser.post(&path, &pairs(&fields)).await
}

/// Records an event that must be accepted.
pub(crate) async fn recorded(
    browser: &Browser,
    id: &str,
    kind: &str,
    on: &str,
    extra: &[(&str, &str)],
) {
    let page = record(browser, id, kind, on, extra).await;
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "{kind} on {on}: {}",
        error_summary(&page)
    );
}

/// Posts one of the case page's forms (`/cases/{id}/{action}`) with the page's version and token.
pub(crate) async fn case_form(
    browser: &Browser,
    id: &str,
    action: &str,
    extra: &[(&str, &str)],
) -> Page {
    let page = browser.get(&format!("/cases/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    let mut fields = owned(&[
        ("csrf_token", &page.csrf()),
        ("version", &input(&page.body, "version")),
    ]);
    fields.extend(owned(extra));
    browser
        .post(&format!("/cases/{id}/{action}"), &pairs(&fields))
        .await
}

/// The LA officer invites `email` to the case with `role`; the person registers from the
/// e-mail's link and signs in.
pub(crate) async fn invited_to_case<B: Backend>(
    hub: &Hub<B>,
    officer: &Browser,
    id: &str,
    email: &str,
    role: &str,
) -> Browser {
    let page = case_form(officer, id, "people", &[("email", email), ("role", role)]).await;
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "{}",
        error_summary(&page)
    );
    let link = hub.invitation_link_to(email).await;
    hub.join(&link, email).await
}

pub(crate) async fn officer<B: Backend>(hub: &Hub<B>) -> Browser {
    hub.person(OFFICER, vec![Role::LaOfficer]).await
}

pub(crate) fn sendco(urn: &str) -> Vec<Role> {
    vec![Role::Sendco {
        setting: Urn::parse(urn).unwrap(),
    }]
}

/// The audit entries of `kind` about the case `id`.
pub(crate) async fn audited<B: Backend>(hub: &Hub<B>, kind: &str, id: &str) -> usize {
    hub.store
        .audit()
        .await
        .iter()
        .filter(|e| e.kind.as_str() == kind && e.detail.contains(id))
        .count()
}

/// How many audit entries record a change to cases or to people's access.
pub(crate) async fn changes<B: Backend>(hub: &Hub<B>) -> usize {
    hub.store
        .audit()
        .await
        .iter()
        .filter(|e| {
            matches!(
                e.kind.as_str(),
                "case-created" | "case-changed" | "invited" | "role-granted" | "role-revoked"
            )
        })
        .count()
}

// ---- 1 -------------------------------------------------------------------------------------------

pub async fn an_la_officer_creates_a_case_received_by_post_and_its_decision_date_counts_from_the_day_received<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    hub.settings_exist(&[SETTING_A]).await;
    let officer = officer(&hub).await;
    let form = officer.get("/cases/new").await;
    assert!(form.has("Create a case"));
    let mut request = Request::new("EHC-2026-0042", "Amara", "Okafor");
    request.settings = SETTING_A.into();
    let id = created(&officer, &request).await;

    let page = officer.get(&format!("/cases/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(heading(&page), "Amara Okafor");
    assert!(says(&page, "EHC-2026-0042"));
    assert!(says(&page, "Date of birth 27 March 2015"), "{}", page.body);
    assert!(says(&page, "Request received 5 October 2026 (by post)"));
    assert!(says(&page, "Education settings 100001"));
    // Reg 5(1): 6 weeks from the day the request was received (5 October), not from today
    // (30 November, which would give 11 January 2027).
    let decision = row_with(&page.body, "Decide whether to assess").expect("the tracker row");
    assert!(
        decision.contains("counted from 5 October 2026") && decision.contains("16 November 2026"),
        "{decision}"
    );
    assert!(decision.contains("Overdue by 14 days"), "{decision}");
    assert!(!says(&page, "11 January 2027"));
    let final_plan = row_with(&page.body, "Issue the final EHC plan").expect("the tracker row");
    assert!(final_plan.contains("22 February 2027"), "{final_plan}");
    // The timeline has the creation.
    let timeline = &page.body[page.body.find("id=\"timeline\"").unwrap()..];
    assert!(
        plain(timeline)
            .contains("Request for an EHC needs assessment received by post on 5 October 2026"),
        "{}",
        plain(timeline)
    );

    let tray = officer.get("/cases").await;
    assert_eq!(tray_names(&tray), ["Amara Okafor"]);
    let row = row_with(&tray.body, "Amara Okafor").unwrap();
    for words in [
        "EHC-2026-0042",
        "Request received",
        "Decide whether to assess",
        "16 November 2026",
        "Overdue by 14 days",
    ] {
        assert!(row.contains(words), "{words} in {row}");
    }

    let officer_id = hub.account_of(OFFICER).await;
    let audit = hub.store.audit().await;
    let created = audit
        .iter()
        .find(|e| e.kind.as_str() == "case-created")
        .expect("a case-created entry");
    assert!(created.detail.contains(&id), "{}", created.detail);
    assert_eq!(created.actor, Some(officer_id));
    assert!(
        !created.detail.contains("Amara") && !created.detail.contains("Okafor"),
        "no child's details in the audit log: {}",
        created.detail
    );
    let viewed = audit
        .iter()
        .find(|e| e.kind.as_str() == "case-viewed")
        .expect("a case-viewed entry");
    assert!(viewed.detail.contains(&id), "{}", viewed.detail);
    assert_eq!(viewed.actor, Some(officer_id));
}

// ---- 2 -------------------------------------------------------------------------------------------

pub async fn bad_case_details_and_impossible_events_are_refused_with_the_error_summary_and_change_nothing<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    hub.settings_exist(&[SETTING_A]).await;
    let officer = officer(&hub).await;
    let id = created(&officer, &Request::new("EHC-2026-0042", "Amara", "Okafor")).await;

    let good = Request::new("EHC-2026-0043", "Ben", "Adeyemi");
    let with = |change: &dyn Fn(&mut Request)| {
        let mut r = good.clone();
        change(&mut r);
        r
    };
    let bad: Vec<(&str, Request, &str)> = vec![
        (
            "no first name",
            with(&|r| r.given = "  ".into()),
            "Enter the child's first name",
        ),
        (
            "no last name",
            with(&|r| r.family = String::new()),
            "Enter the child's last name",
        ),
        (
            "no reference",
            with(&|r| r.reference = String::new()),
            "Enter the LA reference",
        ),
        (
            "an impossible date",
            with(&|r| r.received = "31 2 2026".into()),
            "The date the request was received must be a real date",
        ),
        (
            "a received date tomorrow",
            with(&|r| r.received = "1 12 2026".into()),
            "The date the request was received must be today or in the past",
        ),
        (
            "received before birth",
            with(&|r| r.received = "26 3 2015".into()),
            "The date the request was received must be on or after the date of birth (27 March 2015)",
        ),
        (
            "a date of birth in the future",
            with(&|r| r.dob = "1 1 2027".into()),
            "The date of birth must be today or in the past",
        ),
        (
            "no way received",
            with(&|r| r.by = String::new()),
            "Select how the request was received",
        ),
        (
            "a reference already used",
            with(&|r| r.reference = " EHC-2026-0042 ".into()),
            "A case with this LA reference already exists",
        ),
        (
            "an unknown URN",
            with(&|r| r.settings = "100001, 999999".into()),
            "No education setting has the URN 999999",
        ),
        (
            "a bad URN",
            with(&|r| r.settings = "12345".into()),
            "Enter a URN of 6 digits, like 100000",
        ),
    ];
    for (what, request, message) in bad {
        let page = create(&officer, &request).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{what}");
        assert!(page.has("There is a problem"), "{what}");
        let summary = error_summary(&page);
        assert!(summary.contains(message), "{what}: {summary}");
        assert!(page.has("Create a case"), "{what}: the form again");
        assert_eq!(
            input(&page.body, "family_name"),
            request.family,
            "{what}: as entered"
        );
    }
    // An empty form lists every missing field at once.
    let empty = Request {
        reference: String::new(),
        given: String::new(),
        family: String::new(),
        dob: String::new(),
        received: String::new(),
        by: String::new(),
        settings: String::new(),
    };
    let summary = error_summary(&create(&officer, &empty).await);
    for message in [
        "Enter the LA reference",
        "Enter the child's first name",
        "Enter the child's last name",
        "Enter the date of birth",
        "Enter the date the request was received",
        "Select how the request was received",
    ] {
        assert!(summary.contains(message), "{message}: {summary}");
    }

    let tray = officer.get("/cases").await;
    assert_eq!(tray_names(&tray), ["Amara Okafor"], "no case was created");
    assert!(says(&tray, "Showing 1 to 1 of 1 cases"));
    assert_eq!(audited(&hub, "case-created", "").await, 1);

    // Impossible events on the case received on 5 October 2026.
    let version = input(&officer.get(&format!("/cases/{id}")).await.body, "version");
    let impossible: Vec<(&str, &str, &str, Fields, &str)> = vec![
        (
            "a final plan without a draft",
            "final-plan-issued",
            "20 11 2026",
            vec![],
            "Record the draft plan being sent to the family first",
        ),
        (
            "a final plan before the request",
            "final-plan-issued",
            "1 10 2026",
            vec![],
            "The date must be on or after the date the request was received (5 October 2026)",
        ),
        (
            "a review meeting before any plan",
            "review-meeting-held",
            "20 11 2026",
            vec![],
            "A review meeting can be held only once the case has an EHC plan",
        ),
        (
            "a review meeting arranged before any plan",
            "review-meeting-scheduled",
            "20 11 2026",
            vec![
                ("meeting-day", "10"),
                ("meeting-month", "12"),
                ("meeting-year", "2026"),
            ],
            "A review meeting can be arranged only once the case has an EHC plan",
        ),
        (
            "advice received with no request chosen",
            "advice-received",
            "20 11 2026",
            vec![],
            "Select the advice request that was answered",
        ),
        (
            "advice received for a request never made",
            "advice-received",
            "20 11 2026",
            vec![("request", "1")],
            "Select an advice request that has not been answered",
        ),
        (
            "a decision dated tomorrow",
            "decision-to-assess",
            "1 12 2026",
            vec![("assess", "yes")],
            "The date must be today or in the past",
        ),
        (
            "a decision on an impossible date",
            "decision-to-assess",
            "31 2 2026",
            vec![("assess", "yes")],
            "The date must be a real date",
        ),
    ];
    for (what, kind, on, extra, message) in &impossible {
        let page = record(&officer, &id, kind, on, extra).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{what}");
        let summary = error_summary(&page);
        assert!(summary.contains(message), "{what}: {summary}");
    }
    let page = officer.get(&format!("/cases/{id}")).await;
    assert_eq!(
        input(&page.body, "version"),
        version,
        "nothing was recorded"
    );
    assert!(happened(&page).is_empty());
    assert_eq!(audited(&hub, "case-changed", &id).await, 0);

    // With a plan issued on 16 November, a review meeting before it is refused too.
    recorded(
        &officer,
        &id,
        "decision-to-assess",
        "12 10 2026",
        &[("assess", "yes")],
    )
    .await;
    recorded(&officer, &id, "draft-plan-served", "1 11 2026", &[]).await;
    // The family's 15 days to comment run 1 to 15 November: no final plan before 16 November.
    let early = record(&officer, &id, "final-plan-issued", "15 11 2026", &[]).await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error_summary(&early)
            .contains("15 days to comment on the draft end (reg 13(1)) (16 November 2026)")
    );
    recorded(&officer, &id, "final-plan-issued", "16 11 2026", &[]).await;
    let version = input(&officer.get(&format!("/cases/{id}")).await.body, "version");
    let refused: [(&str, &str, Fields, &str); 3] = [
        (
            "review-meeting-held",
            "10 11 2026",
            vec![],
            "The date must be on or after the day the plan was issued (16 November 2026)",
        ),
        (
            "review-meeting-scheduled",
            "17 11 2026",
            vec![
                ("meeting-day", "10"),
                ("meeting-month", "11"),
                ("meeting-year", "2026"),
            ],
            "The meeting date must be on or after the day the plan was issued (16 November 2026)",
        ),
        (
            "final-plan-issued",
            "20 11 2026",
            vec![],
            "The final plan has already been issued",
        ),
    ];
    for (kind, on, extra, message) in &refused {
        let page = record(&officer, &id, kind, on, extra).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{kind}");
        let summary = error_summary(&page);
        assert!(summary.contains(message), "{kind}: {summary}");
    }
    let page = officer.get(&format!("/cases/{id}")).await;
    assert_eq!(
        input(&page.body, "version"),
        version,
        "nothing was recorded"
    );
    assert_eq!(
        happened(&page),
        [
            "12 October 2026: Decided to carry out an EHC needs assessment",
            "1 November 2026: Draft EHC plan sent to the family",
            "16 November 2026: Final EHC plan issued",
        ]
    );
    assert_eq!(audited(&hub, "case-changed", &id).await, 3);
}

// ---- 3 -------------------------------------------------------------------------------------------

pub async fn a_sendco_never_sees_another_settings_case_which_answers_the_same_404_as_no_case<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    hub.settings_exist(&[SETTING_A, SETTING_B]).await;
    let officer = officer(&hub).await;
    let mut at_a = Request::new("EHC-A-1", "Amara", "Okafor");
    at_a.settings = SETTING_A.into();
    let a = created(&officer, &at_a).await;
    let mut at_b = Request::new("EHC-B-1", "Ben", "Adeyemi");
    at_b.settings = SETTING_B.into();
    let b = created(&officer, &at_b).await;

    let sendco = hub.person(SENDCO_A, sendco(SETTING_A)).await;
    for tray in ["/cases", "/setting-cases"] {
        let page = sendco.get(tray).await;
        assert_eq!(page.status, StatusCode::OK, "{tray}");
        assert_eq!(tray_names(&page), ["Amara Okafor"], "{tray}");
        assert!(!page.has("Ben Adeyemi") && !page.has("EHC-B-1"), "{tray}");
        let filtered = sendco.get(&format!("{tray}?setting={SETTING_B}")).await;
        assert_eq!(filtered.status, StatusCode::OK, "{tray}");
        assert!(tray_names(&filtered).is_empty(), "{tray}?setting=B");
        assert!(
            !filtered.has("Ben Adeyemi") && !filtered.has("EHC-B-1"),
            "{tray}"
        );
        let own = sendco.get(&format!("{tray}?setting={SETTING_A}")).await;
        assert_eq!(tray_names(&own), ["Amara Okafor"], "{tray}?setting=A");
    }
    let seen = sendco.get(&format!("/cases/{a}")).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert_eq!(heading(&seen), "Amara Okafor");

    let hidden = sendco.get(&format!("/cases/{b}")).await;
    let nothing = sendco
        .get("/cases/0b6c3e0a-56a4-4bb6-9b1e-0b1b9d6e2f11")
        .await;
    assert_eq!(hidden.status, StatusCode::NOT_FOUND);
    assert_eq!(nothing.status, StatusCode::NOT_FOUND);
    assert_eq!(heading(&hidden), heading(&nothing));
    assert_eq!(heading(&hidden), "Page not found");
    assert_eq!(hidden.body, nothing.body, "the same page");
    assert!(!hidden.has("Ben") && !hidden.has("EHC-B-1"));
    let record_form = sendco
        .get(&format!("/cases/{b}/record/decision-to-assess"))
        .await;
    assert_eq!(record_form.status, StatusCode::NOT_FOUND);
    assert_eq!(
        audited(&hub, "case-viewed", &b).await,
        0,
        "no view of B was logged"
    );
}

// ---- 4 -------------------------------------------------------------------------------------------

pub async fn a_contributor_sees_only_their_advice_request_on_their_case_and_cannot_change_anything<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    hub.settings_exist(&[SETTING_A]).await;
    let officer = officer(&hub).await;
    let mut request = Request::new("EHC-X-1", "Amara", "Okafor");
    request.settings = SETTING_A.into();
    let x = created(&officer, &request).await;
    let y = created(&officer, &Request::new("EHC-Y-1", "Ben", "Adeyemi")).await;
    hub.person(SENDCO_A, sendco(SETTING_A)).await;
    let contributor = invited_to_case(&hub, &officer, &x, CONTRIBUTOR, "contributor").await;
    recorded(
        &officer,
        &x,
        "decision-to-assess",
        "9 10 2026",
        &[("assess", "yes")],
    )
    .await;
    recorded(
        &officer,
        &x,
        "advice-requested",
        "12 10 2026",
        &[("from", "Speech and language therapist")],
    )
    .await;
    recorded(
        &officer,
        &x,
        "advice-requested",
        "13 10 2026",
        &[
            ("from", "Educational psychologist"),
            ("contributor", CONTRIBUTOR),
        ],
    )
    .await;

    let tray = contributor.get("/cases").await;
    assert_eq!(tray_names(&tray), ["Amara Okafor"]);
    assert!(says(&tray, "Showing 1 to 1 of 1 cases"));
    assert!(!tray.has("Create a case"), "no back office link");

    let page = contributor.get(&format!("/cases/{x}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(says(
        &page,
        "Advice requested from Educational psychologist"
    ));
    let own = row_with(&page.body, "Advice due").expect("their advice's tracker row");
    assert!(
        own.contains("counted from 13 October 2026") && own.contains("24 November 2026"),
        "{own}"
    );
    for hidden in [
        "Speech and language therapist",
        "23 November 2026",
        "Decide whether to assess",
        "Tell the family if no EHC plan will be issued",
        "Issue the final EHC plan",
        "People involved",
        SENDCO_A,
        OFFICER,
        "Date of birth",
        "27 March 2015",
        "Manage the case",
    ] {
        assert!(!says(&page, hidden), "a contributor does not see {hidden}");
    }
    assert_eq!(
        rows(&page.body)
            .iter()
            .filter(|r| r.contains("SEN Regulations"))
            .count(),
        1,
        "one tracker row: their own"
    );
    assert_eq!(
        contributor.get(&format!("/cases/{y}")).await.status,
        StatusCode::NOT_FOUND
    );

    // No back-office form works for them.
    let officer_page = officer.get(&format!("/cases/{x}")).await;
    let version = input(&officer_page.body, "version");
    let sendco_grant = hub.grants_of(SENDCO_A).await.remove(0);
    let sendco_account = sendco_grant.account.to_string();
    let officer_account = hub.account_of(OFFICER).await.to_string();
    let before = changes(&hub).await;
    let token = contributor.get("/cases").await.csrf();
    let mut new_case = owned(&[("csrf_token", &token)]);
    new_case.extend(Request::new("EHC-Z-1", "Cara", "Zed").fields());
    let mut advocate = owned(&[
        ("csrf_token", &token),
        ("role", "advocate"),
        ("email", CONTRIBUTOR),
        ("for_person", SENDCO_A),
    ]);
    advocate.extend(date("until", "31 12 2026"));
    let mut answered = owned(&[
        ("csrf_token", &token),
        ("version", &version),
        ("request", "3"),
    ]);
    answered.extend(date("on", "30 11 2026"));
    let mut no_plan = owned(&[("csrf_token", &token), ("version", &version)]);
    no_plan.extend(date("on", "30 11 2026"));
    let posts: Vec<(String, Vec<(String, String)>)> = vec![
        (format!("/cases/{x}/record/advice-received"), answered),
        (format!("/cases/{x}/record/decision-not-to-issue"), no_plan),
        (
            format!("/cases/{x}/settings"),
            owned(&[
                ("csrf_token", &token),
                ("version", &version),
                ("urn", SETTING_A),
                ("action", "unlink"),
            ]),
        ),
        (
            format!("/cases/{x}/officer"),
            owned(&[
                ("csrf_token", &token),
                ("version", &version),
                ("officer", &officer_account),
            ]),
        ),
        (
            format!("/cases/{x}/people"),
            owned(&[
                ("csrf_token", &token),
                ("email", "friend@example.com"),
                ("role", "parent-carer"),
            ]),
        ),
        (
            format!("/cases/{x}/family"),
            owned(&[
                ("csrf_token", &token),
                ("version", &version),
                ("name", "Chidi Okafor"),
                ("relationship", "Father"),
            ]),
        ),
        ("/cases/new".to_owned(), new_case),
        (
            "/people".to_owned(),
            owned(&[
                ("csrf_token", &token),
                ("role", "sendco"),
                ("email", CONTRIBUTOR),
                ("urn", SETTING_A),
            ]),
        ),
        ("/people".to_owned(), advocate),
        (
            format!("/grants/{}/revoke", sendco_grant.id.0),
            owned(&[
                ("csrf_token", &token),
                ("account", &sendco_account),
                ("back", "/cases"),
            ]),
        ),
    ];
    for (path, fields) in &posts {
        let page = contributor.post(path, &pairs(fields)).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}: {}", page.body);
        assert!(page.has("You do not have permission to do this"), "{path}");
    }
    for path in [
        "/cases/new".to_owned(),
        "/people".to_owned(),
        format!("/cases/{x}/record/decision-not-to-issue"),
    ] {
        assert_eq!(
            contributor.get(&path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    assert_eq!(changes(&hub).await, before, "nothing changed");
    let after = officer.get(&format!("/cases/{x}")).await;
    assert_eq!(input(&after.body, "version"), version);
    assert!(!after.has("Chidi Okafor"));
    assert!(after.has(SENDCO_A), "the SENDCo keeps access");
    assert_eq!(tray_names(&officer.get("/cases").await).len(), 2);
    assert!(hub.grants_of(SENDCO_A).await[0].revoked.is_none());
}

/// A contributor's tray row must not tell them a statutory date their case page hides (the
/// LA's next step on the whole case, or another adviser's due date).
pub async fn a_contributors_tray_shows_no_statutory_date_that_is_not_theirs<B: Backend>(store: &B) {
    let hub = Hub::start(store.clone()).await;
    hub.settings_exist(&[SETTING_A]).await;
    let officer = officer(&hub).await;
    let mut linked = Request::new("EHC-X-1", "Amara", "Okafor");
    linked.settings = SETTING_A.to_string();
    let x = created(&officer, &linked).await;
    let contributor = invited_to_case(&hub, &officer, &x, CONTRIBUTOR, "contributor").await;
    let mut leaks = Vec::new();
    // The case page hides its settings from a contributor, so a setting filter cannot tell.
    for urn in [SETTING_A.to_string(), "100009".to_string()] {
        let filtered = contributor.get(&format!("/cases?setting={urn}")).await;
        if row_with(&filtered.body, "Amara Okafor").is_some() {
            leaks.push(format!("the setting filter {urn} keeps the case"));
        }
    }
    // Before any advice request, their page has no statutory date at all…
    let page = contributor.get(&format!("/cases/{x}")).await;
    assert!(page.has("There are no statutory dates for you on this case"));
    assert!(!says(&page, "16 November 2026"));
    // …so neither may their tray.
    let tray = contributor.get("/cases").await;
    let row = row_with(&tray.body, "Amara Okafor").unwrap();
    if row.contains("Decide whether to assess") || row.contains("16 November 2026") {
        leaks.push(format!("before any advice request: {row}"));
    }
    // Another adviser's request falls due first (23 November); theirs on 24 November.
    recorded(
        &officer,
        &x,
        "decision-to-assess",
        "9 10 2026",
        &[("assess", "yes")],
    )
    .await;
    recorded(
        &officer,
        &x,
        "advice-requested",
        "12 10 2026",
        &[("from", "Speech and language therapist")],
    )
    .await;
    recorded(
        &officer,
        &x,
        "advice-requested",
        "13 10 2026",
        &[
            ("from", "Educational psychologist"),
            ("contributor", CONTRIBUTOR),
        ],
    )
    .await;
    let page = contributor.get(&format!("/cases/{x}")).await;
    assert!(says(&page, "24 November 2026") && !says(&page, "23 November 2026"));
    let tray = contributor.get("/cases").await;
    let row = row_with(&tray.body, "Amara Okafor").unwrap();
    if row.contains("23 November 2026") {
        leaks.push(format!("another adviser's due date: {row}"));
    }
    assert!(
        leaks.is_empty(),
        "the contributor's tray shows statutory dates their case page hides: {leaks:#?}"
    );
}

/// The back office's forms answer a person who is not LA staff with the 403 page before they
/// read any field: no form comes back with errors, and nobody's roles are shown.
pub async fn back_office_forms_refuse_a_person_who_is_not_la_staff_before_reading_the_fields<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    hub.settings_exist(&[SETTING_A]).await;
    let officer = officer(&hub).await;
    let id = created(&officer, &Request::new("EHC-2026-0042", "Amara", "Okafor")).await;
    hub.person(SENDCO_A, sendco(SETTING_A)).await;
    let parent = invited_to_case(&hub, &officer, &id, PARENT, "parent-carer").await;
    let token = parent.get("/cases").await.csrf();
    let posts: Vec<(&str, &str, Owned)> = vec![
        (
            "advocate access with no family member",
            "/people",
            owned(&[
                ("csrf_token", &token),
                ("role", "advocate"),
                ("email", SENDCO_A),
                ("for_person", ""),
            ]),
        ),
        (
            "a SENDCo role with a bad URN",
            "/people",
            owned(&[
                ("csrf_token", &token),
                ("role", "sendco"),
                ("email", SENDCO_A),
                ("urn", "not a urn"),
            ]),
        ),
        (
            "an empty case",
            "/cases/new",
            owned(&[("csrf_token", &token)]),
        ),
    ];
    let mut wrong = Vec::new();
    for (what, path, fields) in &posts {
        let page = parent.post(path, &pairs(fields)).await;
        if page.status != StatusCode::FORBIDDEN {
            wrong.push(format!(
                "{path}, {what}: {} {:?}{}",
                page.status,
                heading(&page),
                if page.has("SENDCo for education setting 100001") {
                    format!(", showing {SENDCO_A}'s roles")
                } else {
                    String::new()
                }
            ));
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

// ---- 5 -------------------------------------------------------------------------------------------

pub async fn a_revoked_parent_gets_404_at_the_very_next_request_and_an_empty_tray<B: Backend>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let officer = officer(&hub).await;
    let id = created(&officer, &Request::new("EHC-2026-0042", "Amara", "Okafor")).await;
    let parent = invited_to_case(&hub, &officer, &id, PARENT, "parent-carer").await;
    let seen = parent.get(&format!("/cases/{id}")).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert_eq!(heading(&seen), "Amara Okafor");
    assert_eq!(tray_names(&parent.get("/cases").await), ["Amara Okafor"]);

    let page = officer.get(&format!("/cases/{id}")).await;
    let row = raw_row_with(&page.body, PARENT);
    assert!(plain(row).contains("Remove access"), "{row}");
    let action = {
        let start = row.find("action=\"").unwrap() + 8;
        row[start..start + row[start..].find('"').unwrap()].to_owned()
    };
    assert!(action.starts_with("/grants/") && action.ends_with("/revoke"));
    let removed = officer
        .post(
            &action,
            &[
                ("csrf_token", &page.csrf()),
                ("account", &input(row, "account")),
                ("back", &input(row, "back")),
            ],
        )
        .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER);
    assert_eq!(
        removed.location.as_deref(),
        Some(format!("/cases/{id}").as_str())
    );

    let next = parent.get(&format!("/cases/{id}")).await;
    assert_eq!(next.status, StatusCode::NOT_FOUND);
    assert_eq!(heading(&next), "Page not found");
    let tray = parent.get("/cases").await;
    assert!(tray_names(&tray).is_empty());
    assert!(tray.has("There are no cases for you yet"));
    let after = officer.get(&format!("/cases/{id}")).await;
    assert!(
        row_with(&after.body, PARENT).is_none(),
        "the parent is no longer among the people involved"
    );
    assert_eq!(
        hub.store
            .audit()
            .await
            .iter()
            .filter(|e| e.kind.as_str() == "role-revoked")
            .count(),
        1
    );
}

// ---- 6 -------------------------------------------------------------------------------------------

pub async fn an_advocates_access_ends_at_midnight_london_after_the_last_day<B: Backend>(store: &B) {
    // 4pm on 2 July 2026 in London (BST, UTC+1).
    let options = Options {
        start: datetime!(2026-07-02 15:00 UTC),
        ..Options::default()
    };
    let hub = Hub::with(store.clone(), options).await;
    hub.settings_exist(&["100009"]).await;
    let officer = officer(&hub).await;
    let mut request = Request::new("EHC-2026-0042", "Amara", "Okafor");
    request.received = "1 6 2026".into();
    let id = created(&officer, &request).await;
    invited_to_case(&hub, &officer, &id, PARENT, "parent-carer").await;
    // The LA gives advocate access only to a person with an account: this advocate is also the
    // SENDCo of a setting that has no case.
    let advocate = hub.person(ADVOCATE, sendco("100009")).await;
    assert!(tray_names(&advocate.get("/cases").await).is_empty());

    let people = officer.get(&format!("/people?email={ADVOCATE}")).await;
    assert_eq!(people.status, StatusCode::OK);
    let mut fields = owned(&[
        ("csrf_token", &people.csrf()),
        ("role", "advocate"),
        ("email", ADVOCATE),
        ("for_person", PARENT),
    ]);
    // The last day of access is today, 2 July 2026.
    fields.extend(date("until", "2 7 2026"));
    let given = officer.post("/people", &pairs(&fields)).await;
    assert_eq!(
        given.status,
        StatusCode::SEE_OTHER,
        "{}",
        error_summary(&given)
    );
    let people = officer.get(&format!("/people?email={ADVOCATE}")).await;
    let row = row_with(&people.body, "Advocate").expect("the advocate role");
    assert!(row.contains("Until 12:00am on 3 July 2026"), "{row}");

    let seen = advocate.get(&format!("/cases/{id}")).await;
    assert_eq!(seen.status, StatusCode::OK);
    assert_eq!(heading(&seen), "Amara Okafor");
    assert_eq!(tray_names(&advocate.get("/cases").await), ["Amara Okafor"]);

    // 11:59:59pm London.
    hub.clock.set(datetime!(2026-07-02 22:59:59 UTC));
    assert_eq!(
        advocate.get(&format!("/cases/{id}")).await.status,
        StatusCode::OK
    );
    // Midnight in London is 11pm UTC: the access has ended.
    hub.clock.set(datetime!(2026-07-02 23:00 UTC));
    let ended = advocate.get(&format!("/cases/{id}")).await;
    assert_eq!(ended.status, StatusCode::NOT_FOUND);
    assert_eq!(heading(&ended), "Page not found");
    let tray = advocate.get("/cases").await;
    assert!(tray_names(&tray).is_empty(), "{:?}", tray_names(&tray));
    assert!(tray.has("There are no cases for you yet"));
}

// ---- 7 -------------------------------------------------------------------------------------------

/// The `i`th of the sixty cases: received `i` days before 30 November 2026.
fn nth(i: i64) -> (Request, String) {
    let family = format!("Surname{:02}", (i * 7) % 60);
    let mut r = Request::new(&format!("EHC-T-{i:02}"), "Child", &family);
    let received = datetime!(2026-11-30 12:00 UTC).date() - time::Duration::days(i);
    r.received = format!(
        "{} {} {}",
        received.day(),
        u8::from(received.month()),
        received.year()
    );
    (r, format!("Child {family}"))
}

pub async fn the_tray_filters_sorts_and_pages_sixty_cases_and_says_the_status_in_words<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let officer = officer(&hub).await;
    let mut ids = Vec::new();
    let mut names = Vec::new();
    for i in 0..60 {
        let (request, name) = nth(i);
        ids.push(created(&officer, &request).await);
        names.push(name);
    }
    // Cases 1 and 2 are being assessed: their next date is 16 weeks from the request.
    for i in [1, 2] {
        recorded(
            &officer,
            &ids[i],
            "decision-to-assess",
            "30 11 2026",
            &[("assess", "yes")],
        )
        .await;
    }
    let name = |i: usize| names[i].clone();
    // Decide whether to assess by received + 6 weeks = 42 - i days from today: overdue for
    // i ≥ 43, due within 14 days for 28 ≤ i ≤ 42.
    let by_next_date: Vec<String> = (3..60).rev().chain([0, 2, 1]).map(name).collect();

    let page1 = officer.get("/cases").await;
    assert!(says(&page1, "Showing 1 to 50 of 60 cases"));
    assert_eq!(tray_names(&page1), by_next_date[..50]);
    let page2 = officer.get("/cases?page=2").await;
    assert!(says(&page2, "Showing 51 to 60 of 60 cases"));
    assert_eq!(tray_names(&page2), by_next_date[50..]);
    assert_eq!(next_page(&page1).as_deref(), Some("/cases?page=2"));

    // The status in words beside its colour.
    for (i, words) in [
        (45, "Overdue by 3 days"),
        (43, "Overdue by 1 day"),
        (42, "Due today"),
        (28, "Due in 14 days"),
        (27, "Due in 15 days"),
    ] {
        let row = row_with(&page1.body, &name(i)).unwrap();
        assert!(row.contains(words), "{words} in {row}");
    }
    let overdue_row = raw_row_with(&page1.body, &name(45));
    assert!(overdue_row.contains("govuk-tag--red"));

    let overdue = officer.get("/cases?due=overdue").await;
    assert!(says(&overdue, "Showing 1 to 17 of 17 cases"));
    assert_eq!(
        tray_names(&overdue),
        (43..60).rev().map(name).collect::<Vec<_>>()
    );
    let soon = officer.get("/cases?due=due-soon").await;
    assert!(says(&soon, "Showing 1 to 15 of 15 cases"));
    assert_eq!(
        tray_names(&soon),
        (28..43).rev().map(name).collect::<Vec<_>>()
    );
    let assessing = officer.get("/cases?stage=assessment").await;
    assert_eq!(tray_names(&assessing), [name(2), name(1)]);
    let row = row_with(&assessing.body, &name(1)).unwrap();
    assert!(row.contains("EHC needs assessment"), "{row}");
    let received = officer
        .get("/cases?stage=request-received&due=overdue")
        .await;
    assert!(says(&received, "of 17 cases"));
    let none = officer.get("/cases?stage=assessment&due=overdue").await;
    assert!(tray_names(&none).is_empty());
    assert!(none.has("No cases match these filters"));

    let mut by_name: Vec<String> = names.clone();
    by_name.sort();
    let sorted1 = officer.get("/cases?sort=name").await;
    assert_eq!(tray_names(&sorted1), by_name[..50]);
    assert_eq!(
        next_page(&sorted1).as_deref(),
        Some("/cases?sort=name&page=2"),
        "page 2 keeps the order"
    );
    let sorted2 = officer.get("/cases?sort=name&page=2").await;
    assert!(says(&sorted2, "Showing 51 to 60 of 60 cases"));
    assert_eq!(tray_names(&sorted2), by_name[50..]);
    let newest = officer.get("/cases?sort=received").await;
    assert_eq!(tray_names(&newest), (0..50).map(name).collect::<Vec<_>>());
    let overdue_by_name = officer.get("/cases?due=overdue&sort=name").await;
    let mut expected: Vec<String> = (43..60).map(name).collect();
    expected.sort();
    assert_eq!(tray_names(&overdue_by_name), expected);
}

// ---- 8 -------------------------------------------------------------------------------------------

pub async fn the_family_sees_everyone_who_has_access_to_the_case<B: Backend>(store: &B) {
    let hub = Hub::start(store.clone()).await;
    hub.settings_exist(&[SETTING_A, SETTING_B]).await;
    let officer = officer(&hub).await;
    let mut request = Request::new("EHC-2026-0042", "Amara", "Okafor");
    request.settings = SETTING_A.into();
    let id = created(&officer, &request).await;
    hub.person(SENDCO_A, sendco(SETTING_A)).await;
    hub.person(SENDCO_B, sendco(SETTING_B)).await;
    invited_to_case(&hub, &officer, &id, CONTRIBUTOR, "contributor").await;
    let parent = invited_to_case(&hub, &officer, &id, PARENT, "parent-carer").await;

    let page = parent.get(&format!("/cases/{id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.has("People involved"));
    for (email, role) in [
        (SENDCO_A, "SENDCo for education setting 100001"),
        (CONTRIBUTOR, "Contributor of advice"),
        (PARENT, "Parent or carer"),
    ] {
        let row = row_with(&page.body, email).unwrap_or_else(|| panic!("{email} listed"));
        assert!(row.contains(role), "{row}");
        assert!(
            !row.contains("Remove access"),
            "the family cannot remove access"
        );
    }
    assert!(
        !page.has(SENDCO_B),
        "the SENDCo of an unlinked setting has no access"
    );
    assert!(!page.has("Manage the case"));
    // The LA sees the same people: a case's own roles with *Remove access*; a SENDCo's role,
    // which reaches every case of the setting, only through *People and their roles*.
    let la = officer.get(&format!("/cases/{id}")).await;
    for email in [CONTRIBUTOR, PARENT] {
        let row = row_with(&la.body, email).unwrap();
        assert!(row.contains("Remove access"), "{row}");
    }
    let sendco_row = row_with(&la.body, SENDCO_A).unwrap();
    assert!(!sendco_row.contains("Remove access"), "{sendco_row}");
    assert!(
        sendco_row.contains("Change on People and their roles"),
        "{sendco_row}"
    );
}

// ---- 9 -------------------------------------------------------------------------------------------

pub async fn every_case_form_without_its_csrf_token_is_refused_and_changes_nothing<B: Backend>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    hub.settings_exist(&[SETTING_A, SETTING_B]).await;
    let officer = officer(&hub).await;
    let mut request = Request::new("EHC-2026-0042", "Amara", "Okafor");
    request.settings = SETTING_A.into();
    let id = created(&officer, &request).await;
    let parent = invited_to_case(&hub, &officer, &id, PARENT, "parent-carer").await;
    hub.person(ADVOCATE, sendco(SETTING_B)).await;
    recorded(
        &officer,
        &id,
        "decision-to-assess",
        "9 10 2026",
        &[("assess", "yes")],
    )
    .await;
    recorded(
        &officer,
        &id,
        "advice-requested",
        "12 10 2026",
        &[("from", "Educational psychologist")],
    )
    .await;

    let page = officer.get(&format!("/cases/{id}")).await;
    let version = input(&page.body, "version");
    let officer_account = hub.account_of(OFFICER).await.to_string();
    let parent_grant = hub.grants_of(PARENT).await.remove(0);
    let parent_account = parent_grant.account.to_string();
    let before = changes(&hub).await;
    let _ = hub.invitation_links().await;

    let on = |dmy: &str| date("on", dmy);
    let mut posts: Vec<(String, Vec<(String, String)>)> = Vec::new();
    posts.push((
        "/cases/new".into(),
        Request::new("EHC-2026-0043", "Ben", "Adeyemi").fields(),
    ));
    let record_fields: [(&str, Vec<(&str, &str)>); 15] = [
        ("decision-to-assess", vec![("assess", "yes")]),
        (
            "advice-requested",
            vec![("from", "Speech and language therapist")],
        ),
        ("advice-received", vec![("request", "2")]),
        ("draft-plan-served", vec![]),
        ("final-plan-issued", vec![]),
        ("decision-not-to-issue", vec![]),
        (
            "review-meeting-scheduled",
            vec![
                ("meeting-day", "10"),
                ("meeting-month", "12"),
                ("meeting-year", "2026"),
            ],
        ),
        ("review-meeting-held", vec![]),
        ("review-decision", vec![("outcome", "maintain")]),
        ("amendment-proposed", vec![]),
        ("amended-plan-issued", vec![]),
        (
            "phase-transfer",
            vec![("transfer", "school"), ("year", "2027")],
        ),
        ("transfer-in", vec![("from_la", "Othertown Council")]),
        ("mediation-certificate", vec![]),
        (
            "exception",
            vec![
                ("exception", "personal-circumstances"),
                ("from-day", "1"),
                ("from-month", "11"),
                ("from-year", "2026"),
                ("to-day", "20"),
                ("to-month", "11"),
                ("to-year", "2026"),
                ("reason", "In hospital"),
            ],
        ),
    ];
    for (kind, extra) in &record_fields {
        let mut fields = owned(&[("version", &version)]);
        fields.extend(on("30 11 2026"));
        fields.extend(owned(extra));
        posts.push((format!("/cases/{id}/record/{kind}"), fields));
    }
    posts.push((
        format!("/cases/{id}/settings"),
        owned(&[
            ("version", &version),
            ("urn", SETTING_B),
            ("action", "link"),
        ]),
    ));
    posts.push((
        format!("/cases/{id}/settings"),
        owned(&[
            ("version", &version),
            ("urn", SETTING_A),
            ("action", "unlink"),
        ]),
    ));
    posts.push((
        format!("/cases/{id}/officer"),
        owned(&[("version", &version), ("officer", &officer_account)]),
    ));
    posts.push((
        format!("/cases/{id}/people"),
        owned(&[("email", "newcomer@example.com"), ("role", "young-person")]),
    ));
    posts.push((
        format!("/cases/{id}/family"),
        owned(&[
            ("version", &version),
            ("name", "Chidi Okafor"),
            ("relationship", "Father"),
        ]),
    ));
    posts.push((
        format!("/cases/{id}/documents"),
        owned(&[("title", "A report"), ("kind", "report")]),
    ));
    posts.push((
        format!("/cases/{id}/withdraw"),
        owned(&[
            ("version", &version),
            ("entry", "last-event"),
            ("withdraw_reason", "A mistake"),
        ]),
    ));
    // Review meetings (meetings.rs): the token is checked before the meeting is looked up.
    let mut meeting = owned(&[
        ("version", &version),
        ("time", "10:00"),
        ("place", "Room 4"),
        (&format!("invitee-{parent_account}"), "yes"),
    ]);
    meeting.extend(date("meeting", "14 12 2026"));
    posts.push((format!("/cases/{id}/meetings/new"), meeting));
    for (action, fields) in [
        ("reply", vec![("reply", "accept")]),
        ("views", vec![("views", "My views")]),
        (
            "advice",
            vec![
                ("advice-day", "30"),
                ("advice-month", "11"),
                ("advice-year", "2026"),
            ],
        ),
        (
            "held",
            vec![
                ("held-day", "30"),
                ("held-month", "11"),
                ("held-year", "2026"),
            ],
        ),
        (
            "report",
            vec![
                ("sent-day", "30"),
                ("sent-month", "11"),
                ("sent-year", "2026"),
                ("report", "Report"),
            ],
        ),
        (
            "decision",
            vec![
                ("outcome", "maintain"),
                ("decided-day", "30"),
                ("decided-month", "11"),
                ("decided-year", "2026"),
            ],
        ),
    ] {
        let mut fields = owned(&fields);
        fields.extend(owned(&[("version", &version)]));
        posts.push((format!("/cases/{id}/meetings/1/{action}"), fields));
    }
    posts.push((
        format!("/cases/{id}/advice/new"),
        owned(&[
            ("version", &version),
            ("from", "Educational psychologist"),
            ("email", "newcomer.ep@example.com"),
            ("asked", "Cognition and learning"),
        ]),
    ));
    posts.push((
        format!("/cases/{id}/advice/2"),
        owned(&[("action", "submit"), ("advice", "Advice")]),
    ));
    posts.push((
        "/people".into(),
        owned(&[
            ("role", "sendco"),
            ("email", "newsendco@example.com"),
            ("urn", SETTING_A),
        ]),
    ));
    let mut advocate = owned(&[
        ("role", "advocate"),
        ("email", ADVOCATE),
        ("for_person", PARENT),
    ]);
    advocate.extend(date("until", "31 12 2026"));
    posts.push(("/people".into(), advocate));
    // The online request for an EHC needs assessment (open to people without an account).
    posts.push((
        "/request/who".into(),
        owned(&[("requester", "parent-carer")]),
    ));
    posts.push(("/request/send".into(), Vec::new()));
    posts.push((
        format!("/grants/{}/revoke", parent_grant.id.0),
        owned(&[
            ("account", &parent_account),
            ("back", &format!("/cases/{id}")),
        ]),
    ));

    for (path, fields) in &posts {
        let without = officer.post(path, &pairs(fields)).await;
        assert_eq!(
            without.status,
            StatusCode::FORBIDDEN,
            "{path} without a token"
        );
        assert!(
            without.has("Sorry, we could not accept that form"),
            "{path}: {}",
            without.body
        );
        let mut forged = owned(&[("csrf_token", "forged-token")]);
        forged.extend(fields.iter().cloned());
        let page = officer.post(path, &pairs(&forged)).await;
        assert_eq!(
            page.status,
            StatusCode::FORBIDDEN,
            "{path} with a forged token"
        );
        let mut empty = owned(&[("csrf_token", "")]);
        empty.extend(fields.iter().cloned());
        let page = officer.post(path, &pairs(&empty)).await;
        assert_eq!(
            page.status,
            StatusCode::FORBIDDEN,
            "{path} with an empty token"
        );
    }

    assert_eq!(changes(&hub).await, before, "nothing was changed");
    assert!(
        hub.invitation_links().await.is_empty(),
        "nobody was invited"
    );
    let after = officer.get(&format!("/cases/{id}")).await;
    assert_eq!(input(&after.body, "version"), version);
    assert!(!after.has("Chidi Okafor"));
    assert!(says(
        &after,
        "Education settings 100001 Anytown School 100001 Family"
    ));
    assert!(!says(&after, "100002"));
    assert!(says(&after, "Case officer Not assigned yet"));
    assert_eq!(tray_names(&officer.get("/cases").await), ["Amara Okafor"]);
    assert_eq!(
        parent.get(&format!("/cases/{id}")).await.status,
        StatusCode::OK,
        "the parent keeps access"
    );
    assert!(
        hub.grants_of(ADVOCATE).await.len() == 1,
        "no advocate grant"
    );
}

// ---- more ------------------------------------------------------------------------------------------

pub async fn linking_and_unlinking_a_setting_gives_and_ends_its_sendcos_access_at_the_next_request<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    hub.settings_exist(&[SETTING_A, SETTING_B]).await;
    let officer = officer(&hub).await;
    let mut request = Request::new("EHC-2026-0042", "Amara", "Okafor");
    request.settings = SETTING_A.into();
    let id = created(&officer, &request).await;
    let sendco_a = hub.person(SENDCO_A, sendco(SETTING_A)).await;
    let sendco_b = hub.person(SENDCO_B, sendco(SETTING_B)).await;
    let case = format!("/cases/{id}");
    assert_eq!(sendco_b.get(&case).await.status, StatusCode::NOT_FOUND);
    assert!(tray_names(&sendco_b.get("/setting-cases").await).is_empty());

    let linked = case_form(
        &officer,
        &id,
        "settings",
        &[("urn", SETTING_B), ("action", "link")],
    )
    .await;
    assert_eq!(linked.status, StatusCode::SEE_OTHER);
    assert_eq!(sendco_b.get(&case).await.status, StatusCode::OK);
    assert_eq!(
        tray_names(&sendco_b.get("/setting-cases").await),
        ["Amara Okafor"]
    );

    let unlinked = case_form(
        &officer,
        &id,
        "settings",
        &[("urn", SETTING_A), ("action", "unlink")],
    )
    .await;
    assert_eq!(unlinked.status, StatusCode::SEE_OTHER);
    assert_eq!(sendco_a.get(&case).await.status, StatusCode::NOT_FOUND);
    for tray in ["/cases", "/setting-cases"] {
        assert!(tray_names(&sendco_a.get(tray).await).is_empty(), "{tray}");
    }
    let page = officer.get(&case).await;
    assert!(says(
        &page,
        "Education settings 100002 Anytown School 100002 Family"
    ));
    assert!(
        row_with(&page.body, SENDCO_A).is_none(),
        "no longer involved"
    );
    assert!(row_with(&page.body, SENDCO_B).is_some());
}

pub async fn a_change_from_a_stale_page_is_refused_with_409_and_saves_nothing<B: Backend>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let first = officer(&hub).await;
    let second = hub
        .person("robin.officer@anytown.gov.uk", vec![Role::LaOfficer])
        .await;
    let id = created(&first, &Request::new("EHC-2026-0042", "Amara", "Okafor")).await;
    let stale = second.get(&format!("/cases/{id}")).await;
    recorded(
        &first,
        &id,
        "decision-to-assess",
        "9 10 2026",
        &[("assess", "yes")],
    )
    .await;
    let page = second
        .post(
            &format!("/cases/{id}/family"),
            &[
                ("csrf_token", &stale.csrf()),
                ("version", &input(&stale.body, "version")),
                ("name", "Chidi Okafor"),
                ("relationship", "Father"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::CONFLICT);
    assert!(page.has("Someone else changed this case"));
    let now = first.get(&format!("/cases/{id}")).await;
    assert!(!now.has("Chidi Okafor"));
    assert_eq!(
        happened(&now),
        ["9 October 2026: Decided to carry out an EHC needs assessment"]
    );
    assert_eq!(audited(&hub, "case-changed", &id).await, 1);
}

pub async fn a_request_received_today_in_london_is_accepted_just_after_midnight_bst<B: Backend>(
    store: &B,
) {
    // 00:30 on 2 July 2026 in London; still 1 July in UTC.
    let options = Options {
        start: datetime!(2026-07-01 23:30 UTC),
        ..Options::default()
    };
    let hub = Hub::with(store.clone(), options).await;
    let officer = officer(&hub).await;
    let mut tomorrow = Request::new("EHC-2026-0042", "Amara", "Okafor");
    tomorrow.received = "3 7 2026".into();
    let refused = create(&officer, &tomorrow).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut today = tomorrow.clone();
    today.received = "2 7 2026".into();
    today.by = "email".into();
    let id = created(&officer, &today).await;
    let page = officer.get(&format!("/cases/{id}")).await;
    assert!(says(&page, "Request received 2 July 2026 (by email)"));
    let decision = row_with(&page.body, "Decide whether to assess").unwrap();
    assert!(
        decision.contains("13 August 2026") && decision.contains("Due in 42 days"),
        "{decision}"
    );
    recorded(
        &officer,
        &id,
        "decision-to-assess",
        "2 7 2026",
        &[("assess", "yes")],
    )
    .await;
}

// ---- withdrawing an entry recorded by mistake -------------------------------------------------

pub async fn an_event_recorded_by_mistake_is_withdrawn_with_a_reason_and_stays_visible_as_withdrawn<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let officer = officer(&hub).await;
    let id = created(&officer, &Request::new("EHC-2026-0042", "Amara", "Okafor")).await;
    recorded(
        &officer,
        &id,
        "decision-to-assess",
        "12 10 2026",
        &[("assess", "no")],
    )
    .await;
    let page = officer.get(&format!("/cases/{id}")).await;
    assert!(says(&page, "Stage Closed"));
    let withdraw = |reason: &'static str, token: String, version: String| {
        let officer = &officer;
        let id = id.clone();
        async move {
            officer
                .post(
                    &format!("/cases/{id}/withdraw"),
                    &[
                        ("csrf_token", token.as_str()),
                        ("version", version.as_str()),
                        ("entry", "last-event"),
                        ("withdraw_reason", reason),
                    ],
                )
                .await
        }
    };
    // Without a reason: the case page again with the message, nothing changed.
    let refused = withdraw("", page.csrf(), input(&page.body, "version")).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_summary(&refused).contains("Enter why it is withdrawn"));
    let page = officer.get(&format!("/cases/{id}")).await;
    assert!(says(&page, "Stage Closed"));
    // With one: the decision is gone from the history, the clock is open again, and the entry
    // is kept as withdrawn, on the timeline and in the audit log.
    let done = withdraw(
        "Recorded on the wrong case",
        page.csrf(),
        input(&page.body, "version"),
    )
    .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let page = officer.get(&format!("/cases/{id}")).await;
    assert!(says(&page, "Stage Request received"));
    assert!(happened(&page).is_empty());
    assert!(says(
        &page,
        "Decided not to carry out an EHC needs assessment on 12 October 2026 (withdrawn: Recorded on the wrong case)"
    ));
    assert!(says(
        &page,
        "Withdrawn as recorded by mistake: Decided not to carry out"
    ));
    assert_eq!(audited(&hub, "case-changed", &id).await, 2);
    // The family sees it too; they cannot withdraw anything.
    let parent = invited_to_case(&hub, &officer, &id, PARENT, "parent-carer").await;
    let family = parent.get(&format!("/cases/{id}")).await;
    assert!(says(&family, "(withdrawn: Recorded on the wrong case)"));
    let tried = parent
        .post(
            &format!("/cases/{id}/withdraw"),
            &[
                ("csrf_token", family.csrf().as_str()),
                ("version", "3"),
                ("entry", "last-event"),
                ("withdraw_reason", "x"),
            ],
        )
        .await;
    assert_eq!(tried.status, StatusCode::FORBIDDEN);
}
