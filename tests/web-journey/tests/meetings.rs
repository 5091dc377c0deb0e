//! Review meetings over HTTP, on SQLite and on PostgreSQL: scheduling (with the warning about
//! less than 2 weeks' notice), the invitations queued without the child's details, replies and
//! views from invitees only, and the meeting held, its report and the LA's decision on the
//! tracker — and bad input refused with the error summary, changing nothing.
//!
//! The hub's clock starts at `T0` (09:00 on 30 November 2026, GMT): "today" is 30 November 2026.

use ehc_store_contract::Backend;
use reqwest::StatusCode;

use ehc_core::outbox::{CaseUpdate, MessageContent, Recipient};

use crate::cases::{
    CONTRIBUTOR, OFFICER, PARENT, Request, SENDCO_A, SENDCO_B, SETTING_A, SETTING_B, changes,
    created, date, error_summary, input, invited_to_case, officer, owned, pairs, plain, recorded,
    row_with, says, sendco,
};
use crate::support::{Browser, Hub, Page};

const SECOND_CONTRIBUTOR: &str = "sal.salt@anytown-nhs.example.org";

/// A case of Amara Okafor linked to setting 100001, with an EHC plan issued on 30 October 2026;
/// its id.
pub(crate) async fn case_with_a_plan<B: Backend>(hub: &Hub<B>, officer: &Browser) -> String {
    hub.settings_exist(&[SETTING_A, SETTING_B]).await;
    let mut request = Request::new("EHC-2026-0042", "Amara", "Okafor");
    request.settings = SETTING_A.into();
    let id = created(officer, &request).await;
    recorded(
        officer,
        &id,
        "decision-to-assess",
        "9 10 2026",
        &[("assess", "yes")],
    )
    .await;
    recorded(officer, &id, "draft-plan-served", "12 10 2026", &[]).await;
    recorded(officer, &id, "final-plan-issued", "30 10 2026", &[]).await;
    id
}

/// The schedule form's checkbox field for `email` (from the form's page).
fn invitee_field(form: &Page, email: &str) -> String {
    let at = form
        .body
        .find(&format!("{email} ("))
        .unwrap_or_else(|| panic!("{email} among the people to invite"));
    let before = &form.body[..at];
    let name = before.rfind("name=\"invitee-").expect("a checkbox") + 6;
    before[name..name + before[name..].find('"').unwrap()].to_owned()
}

/// Posts the schedule form for a meeting on `dmy` at 10:00, inviting `who`, with `extra` fields.
async fn schedule(
    browser: &Browser,
    id: &str,
    dmy: &str,
    who: &[&str],
    extra: &[(&str, &str)],
) -> Page {
    let path = format!("/cases/{id}/meetings/new");
    let form = browser.get(&path).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let mut fields = owned(&[
        ("csrf_token", &form.csrf()),
        ("version", &input(&form.body, "version")),
        ("time", "10:00"),
        ("place", "Anytown Primary School, room 4"),
    ]);
    fields.extend(date("meeting", dmy));
    for email in who {
        fields.push((invitee_field(&form, email), "yes".into()));
    }
    fields.extend(owned(extra));
    browser.post(&path, &pairs(&fields)).await
}

/// Schedules a meeting that must be accepted (confirming a short notice); its page's address.
pub(crate) async fn scheduled(browser: &Browser, id: &str, dmy: &str, who: &[&str]) -> String {
    let page = schedule(browser, id, dmy, who, &[("confirm", "yes")]).await;
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "{}",
        error_summary(&page)
    );
    page.location.expect("the meeting's page")
}

/// Posts one of the meeting page's forms (with its version and token).
pub(crate) async fn meeting_form(
    browser: &Browser,
    meeting: &str,
    action: &str,
    extra: &[(&str, &str)],
) -> Page {
    let page = browser.get(meeting).await;
    assert_eq!(page.status, StatusCode::OK, "{meeting}");
    let version = if page.body.contains("name=\"version\"") {
        input(&page.body, "version")
    } else {
        String::new()
    };
    let mut fields = owned(&[("csrf_token", &page.csrf()), ("version", &version)]);
    fields.extend(owned(extra));
    browser
        .post(&format!("{meeting}/{action}"), &pairs(&fields))
        .await
}

/// The case-update e-mails queued since the last call: (to, what happened, the whole message as
/// text), claimed as a dispatcher would.
pub(crate) async fn case_updates<B: Backend>(hub: &Hub<B>) -> Vec<(String, String, String)> {
    let claimed = hub
        .store
        .claim_due(
            1_000,
            hub.now() + time::Duration::days(30),
            time::Duration::SECOND,
        )
        .await
        .unwrap();
    claimed
        .into_iter()
        .filter_map(|c| {
            let Recipient::Email(to) = &c.message.recipient else {
                return None;
            };
            let what = match &c.message.content {
                MessageContent::CaseUpdate {
                    update: CaseUpdate::ActionRequested { action, .. },
                    ..
                } => action.clone(),
                MessageContent::CaseUpdate {
                    update: CaseUpdate::DocumentAdded { kind },
                    ..
                } => kind.clone(),
                _ => return None,
            };
            Some((to.to_string(), what, format!("{:?}", c.message)))
        })
        .collect()
}

// ---- 1 -------------------------------------------------------------------------------------------

pub async fn a_meeting_less_than_two_weeks_ahead_is_warned_about_then_invitations_go_out_without_the_childs_name<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let officer = officer(&hub).await;
    let id = case_with_a_plan(&hub, &officer).await;
    let _parent = invited_to_case(&hub, &officer, &id, PARENT, "parent-carer").await;
    let _contributor = invited_to_case(&hub, &officer, &id, CONTRIBUTOR, "contributor").await;
    hub.person(SENDCO_A, sendco(SETTING_A)).await;
    let _ = case_updates(&hub).await;
    let before = changes(&hub).await;

    let warned = schedule(
        &officer,
        &id,
        "7 12 2026",
        &[PARENT, SENDCO_A, CONTRIBUTOR, OFFICER],
        &[],
    )
    .await;
    assert_eq!(warned.status, StatusCode::OK);
    assert!(
        says(&warned, "The meeting is 7 days away"),
        "{}",
        plain(&warned.body)
    );
    assert!(says(&warned, "reg 20(3) and (4)"));
    assert!(warned.has("Schedule anyway"));
    assert!(warned.has("name=\"confirm\" value=\"yes\""));
    assert_eq!(
        input(&warned.body, "meeting-day"),
        "7",
        "what was entered is kept"
    );
    assert_eq!(
        changes(&hub).await,
        before,
        "nothing saved before the confirmation"
    );
    assert!(case_updates(&hub).await.is_empty());

    let meeting = scheduled(
        &officer,
        &id,
        "7 12 2026",
        &[PARENT, SENDCO_A, CONTRIBUTOR, OFFICER],
    )
    .await;
    assert_eq!(meeting, format!("/cases/{id}/meetings/1"));
    let page = officer.get(&meeting).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.text_of("when"), "7 December 2026 at 10am");
    assert!(says(
        &page,
        "Less than 2 weeks' notice: invitations were due by 23 November 2026"
    ));
    for email in [PARENT, SENDCO_A, CONTRIBUTOR] {
        let row = row_with(&page.body, email).expect("an invitee row");
        assert!(row.contains("Awaiting a reply"), "{row}");
    }

    let mut sent = case_updates(&hub).await;
    sent.sort();
    let to: Vec<&str> = sent.iter().map(|(t, _, _)| t.as_str()).collect();
    assert_eq!(to, [CONTRIBUTOR, PARENT, SENDCO_A], "not the organiser");
    for (_, what, whole) in &sent {
        assert_eq!(what, "Reply to the review meeting invitation");
        assert!(whole.contains("EHC-2026-0042"), "{whole}");
        assert!(
            !whole.contains("Amara") && !whole.contains("Okafor"),
            "{whole}"
        );
    }

    let case = officer.get(&format!("/cases/{id}")).await;
    assert!(
        says(
            &case,
            "Review meetings Review meeting on 7 December 2026 at 10am Arranged"
        ),
        "{}",
        plain(&case.body)
    );
    assert!(says(
        &case,
        "Review meeting arranged for 7 December 2026 at 10am: 4 people invited"
    ));
    let notice = row_with(&case.body, "Send review meeting invitations and advice")
        .expect("the tracker row");
    assert!(notice.contains("23 November 2026"), "{notice}");
}

// ---- 2 -------------------------------------------------------------------------------------------

pub async fn invitees_reply_and_give_views_and_anyone_else_gets_403_or_404_with_nothing_changed<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let officer = officer(&hub).await;
    let id = case_with_a_plan(&hub, &officer).await;
    let parent = invited_to_case(&hub, &officer, &id, PARENT, "parent-carer").await;
    let contributor = invited_to_case(&hub, &officer, &id, CONTRIBUTOR, "contributor").await;
    let other_contributor =
        invited_to_case(&hub, &officer, &id, SECOND_CONTRIBUTOR, "contributor").await;
    let stranger = hub.person(SENDCO_B, sendco(SETTING_B)).await;
    let sendco = hub.person(SENDCO_A, sendco(SETTING_A)).await;
    let meeting = scheduled(&officer, &id, "14 12 2026", &[PARENT, CONTRIBUTOR]).await;

    // Bad input: the error summary, and nothing changed.
    let before = changes(&hub).await;
    let no_choice = meeting_form(&parent, &meeting, "reply", &[]).await;
    assert_eq!(no_choice.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_summary(&no_choice),
        "Select whether you will attend the meeting"
    );
    let empty = meeting_form(&parent, &meeting, "views", &[("views", " \u{200B} ")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_summary(&empty), "Enter your views");
    let long = "x".repeat(5001);
    let too_long = meeting_form(&parent, &meeting, "views", &[("views", &long)]).await;
    assert_eq!(
        error_summary(&too_long),
        "Your views must be 5000 characters or fewer"
    );
    assert!(too_long.has(&long), "what was typed is kept");
    let unknown = meeting_form(&parent, &meeting, "cancel", &[]).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    // Not invited: a participant gets 403, a contributor or another setting's SENDCo 404.
    let token = sendco.get("/cases").await.csrf();
    let refused = sendco
        .post(
            &format!("{meeting}/reply"),
            &[("csrf_token", &token), ("reply", "accept")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(says(
        &refused,
        "Only the people invited to a review meeting can reply"
    ));
    assert_eq!(
        sendco.get(&meeting).await.status,
        StatusCode::OK,
        "a participant sees it"
    );
    for (who, browser) in [("contributor", &other_contributor), ("stranger", &stranger)] {
        let token = browser.get("/cases").await.csrf();
        let page = browser
            .post(
                &format!("{meeting}/views"),
                &[("csrf_token", &token), ("views", "Mine")],
            )
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{who}");
        assert_eq!(
            browser.get(&meeting).await.status,
            StatusCode::NOT_FOUND,
            "{who}"
        );
    }
    let forged = parent
        .post(
            &format!("{meeting}/reply"),
            &[("csrf_token", "forged"), ("reply", "accept")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(changes(&hub).await, before, "nothing was changed");

    // The invitees.
    let accepted = meeting_form(&parent, &meeting, "reply", &[("reply", "accept")]).await;
    assert_eq!(
        accepted.status,
        StatusCode::SEE_OTHER,
        "{}",
        error_summary(&accepted)
    );
    let views = "Amara is happier since September.\nShe still needs help at lunchtime.";
    let given = meeting_form(&parent, &meeting, "views", &[("views", views)]).await;
    assert_eq!(
        given.status,
        StatusCode::SEE_OTHER,
        "{}",
        error_summary(&given)
    );
    let declined = meeting_form(&contributor, &meeting, "reply", &[("reply", "decline")]).await;
    assert_eq!(declined.status, StatusCode::SEE_OTHER);
    let advice = meeting_form(
        &contributor,
        &meeting,
        "views",
        &[("views", "Speech therapy: good progress.")],
    )
    .await;
    assert_eq!(advice.status, StatusCode::SEE_OTHER);

    let seen = parent.get(&meeting).await;
    assert!(
        seen.text_of("my-reply")
            .starts_with("Accepted at 9:00am on 30 November 2026")
    );
    assert!(seen.has(views), "the lines are kept");
    assert!(
        says(&seen, "Speech therapy: good progress."),
        "the family reads everyone's views"
    );
    assert!(
        !seen.has("Awaiting a reply"),
        "the replies are for the organiser"
    );

    let contributor_sees = contributor.get(&meeting).await;
    assert!(contributor_sees.text_of("my-reply").starts_with("Declined"));
    assert!(says(&contributor_sees, "Speech therapy: good progress."));
    assert!(
        !says(&contributor_sees, "happier since September"),
        "a contributor reads their own"
    );

    let organiser = officer.get(&meeting).await;
    let row = row_with(&organiser.body, PARENT).unwrap();
    assert!(row.contains("Accepted"), "{row}");
    let row = row_with(&organiser.body, CONTRIBUTOR).unwrap();
    assert!(row.contains("Declined"), "{row}");
    let case = officer.get(&format!("/cases/{id}")).await;
    assert!(says(
        &case,
        &format!("{PARENT} accepted the invitation to the review meeting on 14 December 2026")
    ));
    assert!(says(
        &case,
        &format!("{PARENT} gave their views for the review meeting on 14 December 2026")
    ));
}

// ---- 3 -------------------------------------------------------------------------------------------

pub async fn a_sendco_holds_the_meeting_and_sends_its_report_and_the_las_decision_is_tracked<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let officer = officer(&hub).await;
    let id = case_with_a_plan(&hub, &officer).await;
    let parent = invited_to_case(&hub, &officer, &id, PARENT, "parent-carer").await;
    let sendco = hub.person(SENDCO_A, sendco(SETTING_A)).await;
    let case_page = sendco.get(&format!("/cases/{id}")).await;
    assert!(
        case_page.has(&format!("/cases/{id}/meetings/new")),
        "a SENDCo of the setting may schedule"
    );
    assert!(
        !parent
            .get(&format!("/cases/{id}"))
            .await
            .has("Schedule a review meeting")
    );
    assert_eq!(
        parent
            .get(&format!("/cases/{id}/meetings/new"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // Today, as the meeting happens: the short notice is confirmed.
    let meeting = scheduled(&sendco, &id, "30 11 2026", &[PARENT, SENDCO_A, OFFICER]).await;
    let _ = case_updates(&hub).await;

    let before = changes(&hub).await;
    let early = meeting_form(
        &sendco,
        &meeting,
        "report",
        &[
            ("sent-day", "30"),
            ("sent-month", "11"),
            ("sent-year", "2026"),
            ("report", "Too early"),
        ],
    )
    .await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_summary(&early),
        "Record the meeting as held before its report"
    );
    let future = meeting_form(
        &sendco,
        &meeting,
        "held",
        &[
            ("held-day", "1"),
            ("held-month", "12"),
            ("held-year", "2026"),
        ],
    )
    .await;
    assert_eq!(
        error_summary(&future),
        "The date must be today or in the past"
    );
    let not_a_date = meeting_form(
        &sendco,
        &meeting,
        "advice",
        &[
            ("advice-day", "31"),
            ("advice-month", "11"),
            ("advice-year", "2026"),
        ],
    )
    .await;
    assert_eq!(
        error_summary(&not_a_date),
        "The date the advice was circulated must be a real date"
    );
    let parent_token = parent.get("/cases").await.csrf();
    let by_parent = parent
        .post(
            &format!("{meeting}/held"),
            &[
                ("csrf_token", &parent_token),
                ("held-day", "30"),
                ("held-month", "11"),
                ("held-year", "2026"),
            ],
        )
        .await;
    assert_eq!(by_parent.status, StatusCode::FORBIDDEN);
    assert_eq!(changes(&hub).await, before, "nothing was changed");

    let circulated = meeting_form(
        &sendco,
        &meeting,
        "advice",
        &[
            ("advice-day", "30"),
            ("advice-month", "11"),
            ("advice-year", "2026"),
        ],
    )
    .await;
    assert_eq!(
        circulated.status,
        StatusCode::SEE_OTHER,
        "{}",
        error_summary(&circulated)
    );
    let held = meeting_form(
        &sendco,
        &meeting,
        "held",
        &[
            ("held-day", "30"),
            ("held-month", "11"),
            ("held-year", "2026"),
        ],
    )
    .await;
    assert_eq!(
        held.status,
        StatusCode::SEE_OTHER,
        "{}",
        error_summary(&held)
    );
    let no_text = meeting_form(
        &sendco,
        &meeting,
        "report",
        &[
            ("sent-day", "30"),
            ("sent-month", "11"),
            ("sent-year", "2026"),
            ("report", "  "),
        ],
    )
    .await;
    assert_eq!(error_summary(&no_text), "Enter the report");
    let report = meeting_form(
        &sendco,
        &meeting,
        "report",
        &[
            ("sent-day", "30"),
            ("sent-month", "11"),
            ("sent-year", "2026"),
            ("report", "Outcomes reviewed. Placement to continue."),
        ],
    )
    .await;
    assert_eq!(
        report.status,
        StatusCode::SEE_OTHER,
        "{}",
        error_summary(&report)
    );
    let mut alerts = case_updates(&hub).await;
    alerts.sort();
    assert!(
        alerts
            .iter()
            .any(|(to, what, _)| to == PARENT && what == "Review meeting report"),
        "{alerts:?}"
    );
    assert!(alerts.iter().any(|(to, what, _)| to == PARENT
        && what == "Read the advice and information for the review meeting"));
    assert!(alerts.iter().all(|(_, _, whole)| !whole.contains("Okafor")));

    let decided_by_sendco = meeting_form(
        &sendco,
        &meeting,
        "decision",
        &[
            ("outcome", "maintain"),
            ("decided-day", "30"),
            ("decided-month", "11"),
            ("decided-year", "2026"),
        ],
    )
    .await;
    assert_eq!(
        decided_by_sendco.status,
        StatusCode::FORBIDDEN,
        "the decision is the LA's"
    );
    let page = officer.get(&meeting).await;
    assert!(
        says(&page, "Local authority's decision Due by 28 December 2026"),
        "{}",
        plain(&page.body)
    );
    let no_outcome = meeting_form(
        &officer,
        &meeting,
        "decision",
        &[
            ("decided-day", "30"),
            ("decided-month", "11"),
            ("decided-year", "2026"),
        ],
    )
    .await;
    assert_eq!(error_summary(&no_outcome), "Select the decision");
    let decided = meeting_form(
        &officer,
        &meeting,
        "decision",
        &[
            ("outcome", "maintain"),
            ("decided-day", "30"),
            ("decided-month", "11"),
            ("decided-year", "2026"),
        ],
    )
    .await;
    assert_eq!(
        decided.status,
        StatusCode::SEE_OTHER,
        "{}",
        error_summary(&decided)
    );

    let page = parent.get(&meeting).await;
    assert_eq!(page.text_of("status"), "Held on 30 November 2026");
    assert_eq!(page.text_of("report-status"), "Sent on 30 November 2026");
    assert_eq!(
        page.text_of("decision"),
        "Review decision: maintain the plan on 30 November 2026"
    );
    assert!(says(&page, "Outcomes reviewed. Placement to continue."));
    assert!(!page.has("name=\"reply\""), "no replies once held");

    let case = officer.get(&format!("/cases/{id}")).await;
    let report_row = row_with(&case.body, "Send the review report").expect("the tracker row");
    assert!(
        report_row.contains("Met on 30 November 2026"),
        "{report_row}"
    );
    let decision_row = row_with(
        &case.body,
        "Decide whether to maintain, amend or cease the plan",
    )
    .expect("the tracker row");
    assert!(
        decision_row.contains("Met on 30 November 2026"),
        "{decision_row}"
    );
}
