//! The EHC plan over HTTP: the LA publishes a draft, the family comments during their 15 days
//! (reg 13(1)) and the LA sees it, the final plan waits for the last day, two versions compare
//! section by section; bad input and other people change nothing — on SQLite and PostgreSQL.
//!
//! The hub's clock starts at `T0` (09:00 on 30 November 2026, GMT): a draft published then is
//! open for comments until the end of 14 December 2026.

use ehc_store_contract::Backend;
use reqwest::StatusCode;

use crate::cases::{
    CONTRIBUTOR, OFFICER, PARENT, Request, SENDCO_A, SENDCO_B, SETTING_A, SETTING_B, changes,
    created, error_summary, heading, input, invited_to_case, officer, owned, pairs, plain,
    recorded, says, sendco,
};
use crate::support::{Browser, Hub, PASSWORD, Page};

/// Signs `browser` in again as `email` (after the clock moved past the session's end): the
/// password, then the texted code.
async fn sign_in_again<B: Backend>(hub: &Hub<B>, browser: &Browser, email: &str) {
    browser.password(email, PASSWORD).await;
    let code = hub.texts().await.pop().unwrap();
    assert_eq!(
        browser.code(&code).await.location.as_deref(),
        Some("/cases"),
        "{email} signs in again"
    );
}

/// A case being assessed (decided on 9 October 2026), linked to setting A, with a parent
/// signed in: (the LA officer, the parent, the case id).
pub(crate) async fn assessed_case<B: Backend>(hub: &Hub<B>) -> (Browser, Browser, String) {
    hub.settings_exist(&[SETTING_A, SETTING_B]).await;
    let officer = officer(hub).await;
    let mut request = Request::new("EHC-2026-0042", "Amara", "Okafor");
    request.settings = SETTING_A.into();
    let id = created(&officer, &request).await;
    recorded(
        &officer,
        &id,
        "decision-to-assess",
        "9 10 2026",
        &[("assess", "yes")],
    )
    .await;
    let parent = invited_to_case(hub, &officer, &id, PARENT, "parent-carer").await;
    (officer, parent, id)
}

/// Posts the publish form of `kind` with the version and token its page gives.
pub(crate) async fn publish(
    browser: &Browser,
    id: &str,
    kind: &str,
    sections: &[(&str, &str)],
) -> Page {
    let path = format!("/cases/{id}/plan/new/{kind}");
    let form = browser.get(&path).await;
    assert_eq!(form.status, StatusCode::OK, "{path}");
    let mut fields = owned(&[
        ("csrf_token", &form.csrf()),
        ("version", &input(&form.body, "version")),
    ]);
    fields.extend(owned(sections));
    browser.post(&path, &pairs(&fields)).await
}

/// Posts a family response form (`comment`, `placement`, `meeting`) of version `number`.
async fn respond(
    browser: &Browser,
    id: &str,
    number: u32,
    what: &str,
    fields: &[(&str, &str)],
) -> Page {
    let page = browser
        .get(&format!("/cases/{id}/plan/versions/{number}"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let mut all = owned(&[("csrf_token", &page.csrf())]);
    all.extend(owned(fields));
    browser
        .post(
            &format!("/cases/{id}/plan/versions/{number}/{what}"),
            &pairs(&all),
        )
        .await
}

fn redirected_to(page: &Page, to: &str) {
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "{}",
        error_summary(page)
    );
    assert!(
        page.location.as_deref().is_some_and(|l| l.starts_with(to)),
        "{:?}",
        page.location
    );
}

/// The number of versions in the versions list.
pub(crate) async fn versions(browser: &Browser, id: &str) -> usize {
    let page = browser.get(&format!("/cases/{id}/plan")).await;
    assert_eq!(page.status, StatusCode::OK);
    page.body
        .matches(&format!("href=\"/cases/{id}/plan/versions/"))
        .count()
        .saturating_sub(usize::from(page.has("Read the plan and comment on it")))
}

pub async fn a_draft_is_published_the_family_comments_the_la_sees_it_and_the_final_plan_waits_for_the_last_day<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let (officer, parent, id) = assessed_case(&hub).await;
    let case_page = officer.get(&format!("/cases/{id}")).await;
    assert!(case_page.has(&format!("href=\"/cases/{id}/plan\"")));

    let published = publish(
        &officer,
        &id,
        "draft",
        &[
            (
                "section-a",
                "Amara loves drawing.\nShe wants to be an artist.",
            ),
            ("section-b", "Amara needs help with reading."),
        ],
    )
    .await;
    redirected_to(&published, &format!("/cases/{id}/plan/versions/1"));

    // The family's page has the last day at the top, before the heading.
    let page = parent.get(&format!("/cases/{id}/plan/versions/1")).await;
    assert_eq!(page.status, StatusCode::OK);
    let banner = page.body.find("id=\"last-day\"").expect("the last day");
    assert!(banner < page.body.find("<h1").unwrap(), "at the top");
    assert!(
        says(
            &page,
            "Comments on the draft ehc plan (version 1) close at the end of 14 December 2026"
        ),
        "{}",
        plain(&page.body)
    );
    assert!(says(&page, "She wants to be an artist."));
    assert!(page.has("Your comment on section B"));
    let list = parent.get(&format!("/cases/{id}/plan")).await;
    assert!(list.body.find("id=\"last-day\"").unwrap() < list.body.find("<h1").unwrap());

    redirected_to(
        &respond(
            &parent,
            &id,
            1,
            "comment",
            &[("section", "b"), ("comment", "She also finds maths hard.")],
        )
        .await,
        &format!("/cases/{id}/plan/versions/1#comment-b"),
    );
    redirected_to(
        &respond(
            &parent,
            &id,
            1,
            "placement",
            &[
                ("institution", "Anytown School 100002"),
                ("urn", SETTING_B),
                ("reasons", "Her brother goes there."),
            ],
        )
        .await,
        &format!("/cases/{id}/plan/versions/1#placement"),
    );
    redirected_to(
        &respond(&parent, &id, 1, "meeting", &[("about", "Speech therapy")]).await,
        &format!("/cases/{id}/plan/versions/1#meeting"),
    );

    // The LA sees everything the family said, and when they first opened the draft.
    let seen = officer.get(&format!("/cases/{id}/plan/versions/1")).await;
    for words in [
        "The family's comments on section B",
        "She also finds maths hard.",
        "Anytown School 100002 (URN 100002): Her brother goes there.",
        "A meeting was asked for: Speech therapy",
        "First opened by the family on",
    ] {
        assert!(says(&seen, words), "{words}: {}", plain(&seen.body));
    }
    assert!(
        !seen.has("Your comment on section B"),
        "the LA does not comment"
    );
    let list = officer.get(&format!("/cases/{id}/plan")).await;
    assert!(
        says(&list, "Version 1 Draft EHC plan 30 November 2026 3"),
        "{}",
        plain(&list.body)
    );
    let timeline = officer.get(&format!("/cases/{id}")).await;
    assert!(says(
        &timeline,
        "Comment on section B of the plan (version 1)"
    ));
    assert!(says(
        &timeline,
        "The family opened the plan on the hub (version 1)"
    ));

    // The final plan during the family's 15 days: refused, nothing kept.
    let early = publish(&officer, &id, "final", &[("section-a", "Final text")]).await;
    assert_eq!(early.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error_summary(&early)
            .contains("15 days to comment on the draft end (reg 13(1)) (15 December 2026)"),
        "{}",
        error_summary(&early)
    );
    assert!(early.has("Final text"), "what was entered is shown again");
    assert_eq!(versions(&officer, &id).await, 1);

    // On the last day the family can still comment; the day after, no more, and the LA can
    // issue the final plan.
    hub.clock.advance(time::Duration::days(14));
    sign_in_again(&hub, &parent, PARENT).await;
    redirected_to(
        &respond(
            &parent,
            &id,
            1,
            "comment",
            &[("section", "a"), ("comment", "Last-day comment")],
        )
        .await,
        &format!("/cases/{id}/plan/versions/1"),
    );
    hub.clock.advance(time::Duration::days(1));
    sign_in_again(&hub, &parent, PARENT).await;
    sign_in_again(&hub, &officer, OFFICER).await;
    let late = respond(
        &parent,
        &id,
        1,
        "comment",
        &[("section", "a"), ("comment", "Too late")],
    )
    .await;
    assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error_summary(&late).contains("The time to comment on this plan ended on 14 December 2026"),
        "{}",
        error_summary(&late)
    );
    let after = parent.get(&format!("/cases/{id}/plan/versions/1")).await;
    assert!(!after.has("Too late"));
    assert!(
        !after.has("Your comment on section A"),
        "no form after the last day"
    );
    assert!(says(
        &after,
        "The time to comment on the draft ehc plan (version 1) ended on 14 December 2026"
    ));

    let issued = publish(
        &officer,
        &id,
        "final",
        &[
            (
                "section-a",
                "Amara loves drawing.\nShe wants to be an artist.",
            ),
            ("section-b", "Amara needs help with reading and maths."),
            ("section-i", "Anytown School 100002"),
        ],
    )
    .await;
    redirected_to(&issued, &format!("/cases/{id}/plan/versions/2"));
    assert_eq!(versions(&officer, &id).await, 2, "the draft is kept");
    let draft = parent.get(&format!("/cases/{id}/plan/versions/1")).await;
    assert!(says(&draft, "Amara needs help with reading."), "unchanged");
    assert!(
        !draft.has("id=\"last-day\""),
        "no banner once the final plan is issued"
    );
    let stage = officer.get(&format!("/cases/{id}")).await;
    assert!(says(&stage, "Stage EHC plan in place"));
}

pub async fn two_versions_compare_section_by_section_with_words_added_and_removed_marked_for_everyone<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let (officer, parent, id) = assessed_case(&hub).await;
    let only_one = publish(
        &officer,
        &id,
        "draft",
        &[("section-b", "Needs help with reading")],
    )
    .await;
    redirected_to(&only_one, &format!("/cases/{id}/plan/versions/1"));
    let one = parent.get(&format!("/cases/{id}/plan/compare")).await;
    assert!(says(
        &one,
        "The plan needs at least two versions to compare"
    ));
    redirected_to(
        &publish(
            &officer,
            &id,
            "draft",
            &[
                ("section-b", "Needs daily help with writing"),
                ("section-i", "Anytown School 100001"),
            ],
        )
        .await,
        &format!("/cases/{id}/plan/versions/2"),
    );
    let page = parent.get(&format!("/cases/{id}/plan/compare")).await;
    assert_eq!(page.status, StatusCode::OK);
    let text = plain(&page.body);
    assert!(
        text.contains("Section B: Special educational needs Changed"),
        "{text}"
    );
    assert!(text.contains("Section A: Views, interests and aspirations of the child and parent or young person Unchanged"));
    assert!(
        text.contains("help with [removed: reading ] [added: writing ]"),
        "{text}"
    );
    assert!(text.contains("Needs [added: daily ] help"), "{text}");
    assert!(text.contains("[added: Anytown School 100001 ]"), "{text}");
    assert!(page.has("<ins class=\"hub-added\">"));
    assert!(page.has("<del class=\"hub-removed\">"));
    // Reversed: what was added is now removed.
    let reversed = parent
        .get(&format!("/cases/{id}/plan/compare?from=2&to=1"))
        .await;
    assert!(plain(&reversed.body).contains("[removed: Anytown School 100001 ]"));
    // A version that does not exist: the error summary, no comparison.
    let bad = parent
        .get(&format!("/cases/{id}/plan/compare?from=9&to=x"))
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_summary(&bad).contains("Select a version of this case's plan to compare from"));
    assert!(error_summary(&bad).contains("Select a version of this case's plan to compare with"));
    assert!(!bad.has("Changed</strong>"));
}

pub async fn bad_plan_input_is_refused_with_the_error_summary_and_changes_nothing<B: Backend>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let (officer, parent, id) = assessed_case(&hub).await;
    let before = changes(&hub).await;
    let empty = publish(&officer, &id, "draft", &[("section-a", "  ")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_summary(&empty),
        "Enter the text of at least one section"
    );
    let long = "x".repeat(4001);
    let too_long = publish(
        &officer,
        &id,
        "draft",
        &[("section-b", "ok"), ("section-f", &long)],
    )
    .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_summary(&too_long),
        "Section F must be 4000 characters or fewer"
    );
    assert!(too_long.has("href=\"#section-f\""));
    let amended = publish(&officer, &id, "amended", &[("section-a", "text")]).await;
    assert_eq!(amended.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(error_summary(&amended).contains("Record the proposed amendments first"));
    // A stale form: 409, nothing saved.
    let path = format!("/cases/{id}/plan/new/draft");
    let form = officer.get(&path).await;
    let stale = officer
        .post(
            &path,
            &[
                ("csrf_token", &form.csrf()),
                ("version", "1"),
                ("section-a", "Stale"),
            ],
        )
        .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(changes(&hub).await, before, "nothing was changed");
    assert_eq!(versions(&officer, &id).await, 0);

    redirected_to(
        &publish(&officer, &id, "draft", &[("section-b", "Reading")]).await,
        &format!("/cases/{id}/plan/versions/1"),
    );
    // The parent's first opening is a change of its own; what follows changes nothing.
    parent.get(&format!("/cases/{id}/plan/versions/1")).await;
    let before = changes(&hub).await;
    let blank = respond(
        &parent,
        &id,
        1,
        "comment",
        &[("section", "b"), ("comment", " ")],
    )
    .await;
    assert_eq!(blank.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_summary(&blank), "Enter your comment");
    assert!(blank.has("href=\"#comment-b\""));
    let no_section = respond(
        &parent,
        &id,
        1,
        "comment",
        &[("section", "z"), ("comment", "Hi")],
    )
    .await;
    assert_eq!(error_summary(&no_section), "Select a section to comment on");
    let bad_urn = respond(
        &parent,
        &id,
        1,
        "placement",
        &[
            ("institution", "Anytown Academy"),
            ("urn", "12345"),
            ("reasons", "Close to home"),
        ],
    )
    .await;
    assert_eq!(bad_urn.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_summary(&bad_urn),
        "Enter a URN of 6 digits, like 100000"
    );
    assert_eq!(
        input(&bad_urn.body, "institution"),
        "Anytown Academy",
        "kept"
    );
    let no_reasons = respond(
        &parent,
        &id,
        1,
        "placement",
        &[("institution", "Anytown Academy"), ("reasons", "")],
    )
    .await;
    assert_eq!(error_summary(&no_reasons), "Enter why you want it named");
    let long_note = "y".repeat(2001);
    let meeting = respond(&parent, &id, 1, "meeting", &[("about", &long_note)]).await;
    assert_eq!(
        error_summary(&meeting),
        "What you want to discuss must be 2000 characters or fewer"
    );
    let unknown = post_with_tray_token(
        &parent,
        &format!("/cases/{id}/plan/versions/1/anything"),
        &[("about", "x")],
    )
    .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let old = post_with_tray_token(
        &parent,
        &format!("/cases/{id}/plan/versions/2/comment"),
        &[("section", "b"), ("comment", "x")],
    )
    .await;
    assert_eq!(old.status, StatusCode::NOT_FOUND, "no version 2");
    // The officer, who is not the family, cannot comment.
    let la = respond(
        &officer,
        &id,
        1,
        "comment",
        &[("section", "b"), ("comment", "x")],
    )
    .await;
    assert_eq!(la.status, StatusCode::FORBIDDEN);
    assert_eq!(changes(&hub).await, before, "nothing was changed");
    let seen = officer.get(&format!("/cases/{id}/plan/versions/1")).await;
    assert!(!seen.has("The family's comments"));
    assert!(!seen.has("Requests from the family"));

    // Every section at its longest still fits the hub's limit on a form's body.
    let full = "Word and ".repeat(444) + "Word";
    assert_eq!(full.chars().count(), 4000);
    let fields: Vec<(String, String)> =
        ["a", "b", "c", "d", "e", "f", "g", "h1", "h2", "i", "j", "k"]
            .iter()
            .map(|s| (format!("section-{s}"), full.clone()))
            .collect();
    let fields: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    redirected_to(
        &publish(&officer, &id, "draft", &fields).await,
        &format!("/cases/{id}/plan/versions/2"),
    );
}

pub async fn plan_pages_answer_404_to_people_who_may_not_see_the_case_and_403_to_changes_they_may_not_make<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let (officer, parent, id) = assessed_case(&hub).await;
    redirected_to(
        &publish(&officer, &id, "draft", &[("section-b", "Reading")]).await,
        &format!("/cases/{id}/plan/versions/1"),
    );
    let other_setting = hub.person(SENDCO_B, sendco(SETTING_B)).await;
    let contributor = invited_to_case(&hub, &officer, &id, CONTRIBUTOR, "contributor").await;
    let linked = hub.person(SENDCO_A, sendco(SETTING_A)).await;
    let nobody = "0b6c3e0a-56a4-4bb6-9b1e-0b1b9d6e2f11";
    let not_found = parent.get(&format!("/cases/{nobody}/plan")).await;
    assert_eq!(heading(&not_found), "Page not found");
    for who in [&other_setting, &contributor] {
        for path in [
            format!("/cases/{id}/plan"),
            format!("/cases/{id}/plan/versions/1"),
            format!("/cases/{id}/plan/compare"),
            format!("/cases/{id}/plan/new/draft"),
        ] {
            let page = who.get(&path).await;
            assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
            assert_eq!(
                page.body, not_found.body,
                "the same page as no case: {path}"
            );
        }
        let comment = post_with_tray_token(
            who,
            &format!("/cases/{id}/plan/versions/1/comment"),
            &[("section", "b"), ("comment", "x")],
        )
        .await;
        assert_eq!(comment.status, StatusCode::NOT_FOUND);
    }
    for path in [
        format!("/cases/{id}/plan/versions/9"),
        format!("/cases/{id}/plan/versions/one"),
        format!("/cases/{id}/plan/new/other"),
        format!("/cases/{nobody}/plan/versions/1"),
    ] {
        assert_eq!(
            officer.get(&path).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    // The linked setting's SENDCo reads the plan but neither comments nor publishes; the
    // parent does not publish.
    let read = linked.get(&format!("/cases/{id}/plan/versions/1")).await;
    assert_eq!(read.status, StatusCode::OK);
    assert!(says(&read, "Reading"));
    assert!(!read.has("Your comment on section"));
    let sendco_comment = respond(
        &linked,
        &id,
        1,
        "comment",
        &[("section", "b"), ("comment", "x")],
    )
    .await;
    assert_eq!(sendco_comment.status, StatusCode::FORBIDDEN);
    for who in [&linked, &parent] {
        let page = who.get(&format!("/cases/{id}/plan/new/final")).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
    }
    assert_eq!(versions(&officer, &id).await, 1);

    // A draft sent by mistake is withdrawn with its event: kept, marked, closed.
    let page = officer.get(&format!("/cases/{id}")).await;
    let withdrawn = officer
        .post(
            &format!("/cases/{id}/withdraw"),
            &[
                ("csrf_token", &page.csrf()),
                ("version", &input(&page.body, "version")),
                ("entry", "last-event"),
                ("withdraw_reason", "Sent to the wrong family"),
            ],
        )
        .await;
    assert_eq!(withdrawn.status, StatusCode::SEE_OTHER);
    let list = parent.get(&format!("/cases/{id}/plan")).await;
    assert!(says(
        &list,
        "Draft EHC plan Withdrawn as recorded by mistake"
    ));
    assert!(!list.has("id=\"last-day\""));
    let closed = respond(
        &parent,
        &id,
        1,
        "comment",
        &[("section", "b"), ("comment", "x")],
    )
    .await;
    assert_eq!(closed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_summary(&closed),
        "This version of the plan is not open for comments"
    );
}

/// Posts `fields` to `path` with the session's token taken from the work tray (for forms the
/// person cannot open).
async fn post_with_tray_token(who: &Browser, path: &str, fields: &[(&str, &str)]) -> Page {
    let token = who.get("/cases").await.csrf();
    let mut all = vec![("csrf_token", token.as_str())];
    all.extend_from_slice(fields);
    who.post(path, &all).await
}

pub async fn every_plan_form_without_its_csrf_token_is_refused_and_changes_nothing<B: Backend>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let (officer, parent, id) = assessed_case(&hub).await;
    redirected_to(
        &publish(&officer, &id, "draft", &[("section-b", "Reading")]).await,
        &format!("/cases/{id}/plan/versions/1"),
    );
    let version = input(
        &officer
            .get(&format!("/cases/{id}/plan/new/draft"))
            .await
            .body,
        "version",
    );
    let before = changes(&hub).await;
    let officer_posts: Vec<(String, Vec<(&str, &str)>)> =
        ["draft", "final", "amendment", "amended"]
            .iter()
            .map(|kind| {
                (
                    format!("/cases/{id}/plan/new/{kind}"),
                    vec![("version", version.as_str()), ("section-a", "Forged")],
                )
            })
            .collect();
    let parent_posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (
            format!("/cases/{id}/plan/versions/1/comment"),
            vec![("section", "b"), ("comment", "Forged")],
        ),
        (
            format!("/cases/{id}/plan/versions/1/placement"),
            vec![("institution", "Forged"), ("reasons", "Forged")],
        ),
        (
            format!("/cases/{id}/plan/versions/1/meeting"),
            vec![("about", "Forged")],
        ),
    ];
    for (browser, posts) in [(&officer, &officer_posts), (&parent, &parent_posts)] {
        for (path, fields) in posts {
            for token in [None, Some("forged-token"), Some("")] {
                let mut all: Vec<(&str, &str)> =
                    token.map(|t| ("csrf_token", t)).into_iter().collect();
                all.extend(fields.iter().copied());
                let page = browser.post(path, &all).await;
                assert_eq!(page.status, StatusCode::FORBIDDEN, "{path} with {token:?}");
                assert!(page.has("Sorry, we could not accept that form"), "{path}");
            }
        }
    }
    assert_eq!(changes(&hub).await, before, "nothing was changed");
    let page = officer.get(&format!("/cases/{id}/plan/versions/1")).await;
    assert!(!page.has("Forged"));
    assert_eq!(versions(&officer, &id).await, 1);
}

pub async fn a_draft_sent_after_the_case_changed_comes_back_with_its_text_and_goes_through_the_second_time<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let (officer, parent, id) = assessed_case(&hub).await;
    let path = format!("/cases/{id}/plan/new/draft");
    let form = officer.get(&path).await;
    let shown_with = input(&form.body, "version");
    // Meanwhile the family writes in About Me, which changes the case.
    let about_me = format!("/cases/{id}/views/about-me");
    let added = parent
        .submit(
            &about_me,
            &about_me,
            &[("action", "add"), ("text", "I like trains")],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);

    let sections = [("section-a", "Amara loves drawing.")];
    let mut fields = owned(&[("csrf_token", &form.csrf()), ("version", &shown_with)]);
    fields.extend(owned(&sections));
    let refused = officer.post(&path, &pairs(&fields)).await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.has("Someone changed the case while you were writing"));
    assert!(
        refused.has("Amara loves drawing."),
        "the text typed is kept"
    );
    assert_eq!(versions(&officer, &id).await, 0, "nothing published");
    let again = input(&refused.body, "version");
    assert_ne!(
        again, shown_with,
        "the form now carries the case's new version"
    );

    let mut fields = owned(&[("csrf_token", &refused.csrf()), ("version", &again)]);
    fields.extend(owned(&sections));
    let published = officer.post(&path, &pairs(&fields)).await;
    assert_eq!(published.status, StatusCode::SEE_OTHER);
    assert_eq!(versions(&officer, &id).await, 1);
}
