//! Documents attached where they belong, over HTTP on SQLite and PostgreSQL: a contributor's
//! reports with their advice (seen by the family only once the advice is submitted), views for
//! a review meeting given as a file, the files of a meeting's report, and the plan as a
//! document. Each refusal — the wrong person, the wrong moment, the wrong document — answers
//! with its reason and stores nothing.
//!
//! The hub's clock starts at 09:00 on Monday 30 November 2026.

use ehc_store_contract::Backend;
use reqwest::StatusCode;

use crate::advice::{advice_link, advise, assessing, request};
use crate::cases::{
    CONTRIBUTOR, PARENT, SENDCO_A, SENDCO_B, SETTING_A, error_summary, invited_to_case, officer,
    plain, says, sendco,
};
use crate::documents::{File, pdf, rows, upload_for, uploaded};
use crate::meetings::{case_updates, case_with_a_plan, meeting_form, scheduled};
use crate::plan::{assessed_case, publish, versions};
use crate::support::{Browser, Hub, Page};

/// A small PNG (its content only has to start as a PNG does).
fn png(len: usize) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    bytes.resize(len, 7);
    bytes
}

fn a_pdf(name: &str) -> File<'_> {
    (name, "application/pdf", pdf(3_000))
}

/// The id of the document titled `title` among a page's links to the case's documents.
fn document_id(page: &Page, case: &str, title: &str) -> String {
    let marker = format!("href=\"/cases/{case}/documents/");
    page.body
        .match_indices(&marker)
        .map(|(at, _)| &page.body[at + marker.len()..])
        .find(|rest| {
            let text = &rest[rest.find('>').unwrap() + 1..rest.find("</a>").unwrap()];
            plain(text) == title
        })
        .map(|rest| rest[..rest.find('"').unwrap()].to_owned())
        .unwrap_or_else(|| panic!("a link to {title:?} in {}", page.body))
}

/// The status of a download of document `document` of `case` by `browser`.
async fn download(browser: &Browser, case: &str, document: &str) -> StatusCode {
    browser
        .get(&format!("/cases/{case}/documents/{document}"))
        .await
        .status
}

/// The upload page reached with `?for={attach}` must refuse `browser` with `reason`, and so
/// must a post to it, storing nothing.
async fn attaching_refused<B: Backend>(
    hub: &Hub<B>,
    browser: &Browser,
    case: &str,
    attach: &str,
    reason: &str,
) {
    let page = browser
        .get(&format!("/cases/{case}/documents/new?for={attach}"))
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN, "{}", page.body);
    assert!(says(&page, reason), "{}", plain(&page.body));
    let token = browser.get("/cases").await.csrf();
    let before = rows(hub, case).await.len();
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", token)
        .text("title", "Not wanted")
        .text("kind", "report")
        .part(
            "file",
            reqwest::multipart::Part::bytes(pdf(2_000))
                .file_name("x.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    let sent = crate::documents::post_multipart_to(
        browser,
        &format!("/cases/{case}/documents?for={attach}"),
        form,
    )
    .await;
    assert_eq!(sent.status, StatusCode::FORBIDDEN, "{}", sent.body);
    assert_eq!(rows(hub, case).await.len(), before, "nothing stored");
}

pub async fn a_contributor_attaches_reports_to_their_advice_and_the_family_sees_them_once_it_is_submitted<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let officer = officer(&hub).await;
    let id = assessing(&hub, &officer, "EHC-2026-0101").await;
    let parent = invited_to_case(&hub, &officer, &id, PARENT, "parent-carer").await;
    let asked = request(
        &officer,
        &id,
        &[
            ("from", "Educational psychologist"),
            ("email", CONTRIBUTOR),
            ("asked", "Cognition and learning"),
        ],
    )
    .await;
    assert_eq!(asked.status, StatusCode::SEE_OTHER);
    let link = hub.invitation_link_to(CONTRIBUTOR).await;
    let ep = hub.join(&link, CONTRIBUTOR).await;
    let path = advice_link(&ep.get(&format!("/cases/{id}")).await, &id);
    let number = path.rsplit('/').next().unwrap().to_owned();
    let attach = format!("advice-{number}");

    // *Attach a document* keeps what was typed, then opens the upload page for the advice.
    let page = ep.get(&path).await;
    assert!(page.has("value=\"attach\""), "{}", page.body);
    let to_upload = advise(&ep, &path, "attach", "Amara reads at age level.").await;
    assert_eq!(to_upload.status, StatusCode::SEE_OTHER);
    assert_eq!(
        to_upload.location.as_deref(),
        Some(format!("/cases/{id}/documents/new?for={attach}").as_str())
    );
    let form = ep
        .get(&format!("/cases/{id}/documents/new?for={attach}"))
        .await;
    assert!(says(&form, "Attach a document to your advice"));
    assert!(says(
        &form,
        "The family will see it with your advice once you submit it"
    ));
    for (title, name) in [("EP report", "report.pdf"), ("Old notes", "notes.pdf")] {
        let sent = upload_for(&ep, &id, Some(&attach), title, "report", Some(a_pdf(name))).await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
        assert_eq!(sent.location.as_deref(), Some(path.as_str()));
    }
    let page = ep.get(&path).await;
    assert!(
        page.has("Amara reads at age level.</textarea>"),
        "draft kept"
    );
    let report = document_id(&page, &id, "EP report");
    let notes = document_id(&page, &id, "Old notes");

    // Before it is submitted: the LA sees them, the family does not.
    assert_eq!(download(&officer, &id, &report).await, StatusCode::OK);
    assert_eq!(download(&parent, &id, &report).await, StatusCode::NOT_FOUND);
    assert!(!parent.get(&path).await.has("EP report"));

    // *Remove* takes one off the advice; it stays on the case for the LA.
    let removed = advise(
        &ep,
        &path,
        &format!("remove:{notes}"),
        "Amara reads at age level.",
    )
    .await;
    assert_eq!(removed.status, StatusCode::SEE_OTHER, "{}", removed.body);
    assert!(!ep.get(&path).await.has("Old notes"));
    assert_eq!(download(&officer, &id, &notes).await, StatusCode::OK);
    let not_attached = advise(&ep, &path, &format!("remove:{notes}"), "").await;
    assert_eq!(not_attached.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_summary(&not_attached),
        "That document is not attached to this advice"
    );

    // Submitted: the family reads the advice with its report, not the note taken off.
    let done = advise(&ep, &path, "submit", "Amara reads at age level.").await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let read = parent.get(&path).await;
    assert!(says(&read, "Documents with the advice"), "{}", read.body);
    assert_eq!(document_id(&read, &id, "EP report"), report);
    assert!(!read.has("Old notes"));
    assert_eq!(download(&parent, &id, &report).await, StatusCode::OK);
    assert_eq!(download(&parent, &id, &notes).await, StatusCode::NOT_FOUND);
    let case_page = parent.get(&format!("/cases/{id}")).await;
    assert_eq!(document_id(&case_page, &id, "EP report"), report);

    // Submitted advice takes no more documents.
    attaching_refused(
        &hub,
        &ep,
        &id,
        &attach,
        "This advice has already been submitted",
    )
    .await;
    // Nor can anyone else attach to it (it is not theirs: 404), nor to a request that does
    // not exist.
    let not_theirs = officer
        .get(&format!("/cases/{id}/documents/new?for={attach}"))
        .await;
    assert_eq!(not_theirs.status, StatusCode::NOT_FOUND);
    let nobody = parent
        .get(&format!("/cases/{id}/documents/new?for=advice-99"))
        .await;
    assert_eq!(nobody.status, StatusCode::NOT_FOUND);
    let nonsense = ep
        .get(&format!("/cases/{id}/documents/new?for=advice-x"))
        .await;
    assert_eq!(nonsense.status, StatusCode::NOT_FOUND);
}

pub async fn a_sendco_asked_for_advice_attaches_a_report_that_nobody_else_sees_until_it_is_submitted<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let (officer, parent, id) = assessed_case(&hub).await;
    let school = hub.person(SENDCO_A, sendco(SETTING_A)).await;
    let asked = request(
        &officer,
        &id,
        &[
            ("from", "Anytown Primary School"),
            ("email", SENDCO_A),
            ("asked", "Progress and SEN support"),
        ],
    )
    .await;
    assert_eq!(
        asked.status,
        StatusCode::SEE_OTHER,
        "{}",
        error_summary(&asked)
    );
    let path = advice_link(&school.get(&format!("/cases/{id}")).await, &id);
    let attach = format!("advice-{}", path.rsplit('/').next().unwrap());
    let _ = case_updates(&hub).await;

    // The kinds offered fit advice; a photo does not.
    let form = school
        .get(&format!("/cases/{id}/documents/new?for={attach}"))
        .await;
    assert!(form.has("value=\"evidence\""));
    assert!(!form.has("value=\"photo\""));
    let photo = upload_for(
        &school,
        &id,
        Some(&attach),
        "Class photo",
        "photo",
        Some(a_pdf("class.pdf")),
    )
    .await;
    assert_eq!(photo.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(error_summary(&photo), "Select what the document is");

    let sent = upload_for(
        &school,
        &id,
        Some(&attach),
        "SEN support plan",
        "evidence",
        Some(a_pdf("support.pdf")),
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let evidence = document_id(&school.get(&path).await, &id, "SEN support plan");
    assert_eq!(download(&officer, &id, &evidence).await, StatusCode::OK);
    assert_eq!(
        download(&parent, &id, &evidence).await,
        StatusCode::NOT_FOUND
    );
    assert!(
        case_updates(&hub)
            .await
            .iter()
            .all(|(to, _, _)| to != PARENT),
        "nobody is told of what they cannot open"
    );
    let another_school = hub.person(SENDCO_B, sendco(SETTING_A)).await;
    assert_eq!(
        download(&another_school, &id, &evidence).await,
        StatusCode::NOT_FOUND
    );

    let done = advise(&school, &path, "submit", "Amara is on SEN support.").await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(download(&parent, &id, &evidence).await, StatusCode::OK);
    assert_eq!(
        download(&another_school, &id, &evidence).await,
        StatusCode::NOT_FOUND,
        "the settings see who was asked, not the advice"
    );
}

pub async fn invitees_give_views_as_files_and_the_report_gets_its_files_once_the_meeting_is_held<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let officer = officer(&hub).await;
    let id = case_with_a_plan(&hub, &officer).await;
    let parent = invited_to_case(&hub, &officer, &id, PARENT, "parent-carer").await;
    let contributor = invited_to_case(&hub, &officer, &id, CONTRIBUTOR, "contributor").await;
    let not_invited = invited_to_case(
        &hub,
        &officer,
        &id,
        "sal.salt@anytown-nhs.example.org",
        "contributor",
    )
    .await;
    let meeting = scheduled(&officer, &id, "30 11 2026", &[PARENT, CONTRIBUTOR]).await;
    let number = meeting.rsplit('/').next().unwrap().to_owned();
    let views = format!("meeting-{number}-views");
    let report = format!("meeting-{number}-report");

    let page = parent.get(&meeting).await;
    assert!(
        page.has(&format!("/cases/{id}/documents/new?for={views}")),
        "{}",
        page.body
    );
    // A contributor not invited finds no such meeting, as on its page.
    for attach in [&views, &report] {
        let page = not_invited
            .get(&format!("/cases/{id}/documents/new?for={attach}"))
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{attach}");
    }
    let drawing = upload_for(
        &parent,
        &id,
        Some(&views),
        "Drawing by Amara",
        "photo",
        Some(("drawing.png", "image/png", png(4_000))),
    )
    .await;
    assert_eq!(drawing.status, StatusCode::SEE_OTHER, "{}", drawing.body);
    assert_eq!(drawing.location.as_deref(), Some(meeting.as_str()));
    let letter = upload_for(
        &contributor,
        &id,
        Some(&views),
        "Speech and language letter",
        "other",
        Some(a_pdf("letter.pdf")),
    )
    .await;
    assert_eq!(letter.status, StatusCode::SEE_OTHER, "{}", letter.body);

    // Views as files are read with the others: the contributor's by the participants too.
    let page = officer.get(&meeting).await;
    assert!(
        says(&page, "Views as a file: Drawing by Amara"),
        "{}",
        plain(&page.body)
    );
    let letter_id = document_id(&page, &id, "Speech and language letter");
    assert_eq!(download(&parent, &id, &letter_id).await, StatusCode::OK);
    let drawing_id = document_id(&parent.get(&meeting).await, &id, "Drawing by Amara");
    assert_eq!(
        download(&contributor, &id, &drawing_id).await,
        StatusCode::NOT_FOUND,
        "a professional sees only their own views"
    );

    // The report's files wait for the meeting to be held, and are for the LA or the organiser.
    attaching_refused(
        &hub,
        &officer,
        &id,
        &report,
        "once the meeting is recorded as held",
    )
    .await;
    let held = meeting_form(
        &officer,
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
    attaching_refused(
        &hub,
        &parent,
        &id,
        &report,
        "Only the local authority or the meeting's organiser can add its report",
    )
    .await;
    attaching_refused(&hub, &parent, &id, &views, "views can no longer be given").await;
    assert!(officer.get(&meeting).await.has("Add a file of the report"));
    let sent = upload_for(
        &officer,
        &id,
        Some(&report),
        "Annual review report",
        "report",
        Some(a_pdf("review.pdf")),
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    let page = parent.get(&meeting).await;
    let report_id = document_id(&page, &id, "Annual review report");
    assert!(
        page.body[page.body.find("id=\"report-files\"").unwrap()..].contains(&report_id),
        "listed with the report"
    );
    assert_eq!(download(&parent, &id, &report_id).await, StatusCode::OK);
    // The professionals invited read the report, files included; others do not.
    let page = contributor.get(&meeting).await;
    assert_eq!(document_id(&page, &id, "Annual review report"), report_id);
    assert_eq!(
        download(&contributor, &id, &report_id).await,
        StatusCode::OK
    );
    assert_eq!(
        download(&not_invited, &id, &report_id).await,
        StatusCode::NOT_FOUND
    );
}

const NOT_SEEN: &str = "Select a document of this case that the family and the settings can see";

pub async fn a_draft_plan_carries_its_document_and_any_other_document_is_refused<B: Backend>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let (officer, parent, id) = assessed_case(&hub).await;
    let contributor = invited_to_case(&hub, &officer, &id, CONTRIBUTOR, "contributor").await;
    uploaded(&officer, &id, "Draft EHC plan", "plan", a_pdf("plan.pdf")).await;
    uploaded(
        &officer,
        &id,
        "Photo of the classroom",
        "photo",
        ("room.png", "image/png", png(4_000)),
    )
    .await;
    uploaded(&contributor, &id, "EP notes", "report", a_pdf("ep.pdf")).await;
    let case_page = officer.get(&format!("/cases/{id}")).await;
    let plan_doc = document_id(&case_page, &id, "Draft EHC plan");
    let photo = document_id(&case_page, &id, "Photo of the classroom");
    let notes = document_id(&case_page, &id, "EP notes");

    // The form offers the PDF everyone sees, not the photo nor the contributor's notes.
    let form = officer.get(&format!("/cases/{id}/plan/new/draft")).await;
    assert!(form.has(&format!("value=\"{plan_doc}\"")), "{}", form.body);
    assert!(!form.has(&format!("value=\"{photo}\"")));
    assert!(!form.has(&format!("value=\"{notes}\"")));

    // Any other choice is refused with its reason; no version is published.
    for (choice, message) in [
        (
            photo.as_str(),
            "The plan's document must be a PDF or Word document",
        ),
        (notes.as_str(), NOT_SEEN),
        ("not-an-id", NOT_SEEN),
        ("00000000-0000-4000-8000-000000000000", NOT_SEEN),
    ] {
        let refused = publish(
            &officer,
            &id,
            "draft",
            &[("section-a", "Amara likes drawing."), ("document", choice)],
        )
        .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{choice}");
        assert_eq!(error_summary(&refused), message);
        assert!(refused.has("Amara likes drawing."), "the text is kept");
    }
    assert_eq!(versions(&officer, &id).await, 0);

    let published = publish(
        &officer,
        &id,
        "draft",
        &[
            ("section-a", "Amara likes drawing."),
            ("document", &plan_doc),
        ],
    )
    .await;
    assert_eq!(
        published.status,
        StatusCode::SEE_OTHER,
        "{}",
        error_summary(&published)
    );
    let version = parent
        .get(published.location.as_deref().expect("the version's page"))
        .await;
    assert!(version.has("id=\"plan-document\""), "{}", version.body);
    assert_eq!(document_id(&version, &id, "Draft EHC plan"), plan_doc);
    assert_eq!(download(&parent, &id, &plan_doc).await, StatusCode::OK);
}
