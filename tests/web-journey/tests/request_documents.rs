//! Reports and evidence sent with a request, over HTTP, on SQLite and on PostgreSQL: a signed-in
//! parent adds files (each received as every upload is: sniffed, limited, scanned), removes one,
//! and the new case has exactly the others with their receipts; a refused file is not added;
//! a person who is not signed in is told how to send files later and cannot post one; the files
//! stay with the request while the person goes back and forth; a file swept before the request
//! is sent stops the send with a message.

use ehc_core::case::CaseId;
use ehc_core::role::Role;
use ehc_store_contract::Backend;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

use crate::cases::{error_summary, plain};
use crate::documents::{File, audited, files_in, pdf, stored_zip};
use crate::request::{PARENT, answer, parent_answers, send};
use crate::support::{Browser, EICAR, Hub, Page};

const MB: usize = 1024 * 1024;

/// A parent who sent a request signed out and registered from its e-mail: signed in, with
/// that first case.
async fn signed_in_parent<B: Backend>(hub: &Hub<B>) -> (Browser, Vec<CaseId>) {
    let family = hub.browser();
    answer(&family, &parent_answers("parent-carer", PARENT)).await;
    send(&family).await;
    let link = hub.invitation_link_to(PARENT).await;
    let parent = hub.join(&link, PARENT).await;
    let cases = parent_cases(hub).await;
    assert_eq!(cases.len(), 1);
    (parent, cases)
}

/// The cases on which the parent has their role.
async fn parent_cases<B: Backend>(hub: &Hub<B>) -> Vec<CaseId> {
    hub.grants_of(PARENT)
        .await
        .into_iter()
        .filter_map(|g| match g.role {
            Role::ParentCarer { case } => Some(case),
            _ => None,
        })
        .collect()
}

/// Posts the step's add form as a browser does (the CSRF token of `token_from` first).
async fn add(browser: &Browser, token_from: &str, title: &str, kind: &str, file: File<'_>) -> Page {
    let page = browser.get(token_from).await;
    let (name, mime, bytes) = file;
    let form = Form::new()
        .text("csrf_token", page.csrf())
        .text("title", title.to_owned())
        .text("kind", kind.to_owned())
        .part(
            "file",
            Part::bytes(bytes)
                .file_name(name.to_owned())
                .mime_str(mime)
                .unwrap(),
        );
    Browser::read(
        browser
            .client
            .post(format!("{}/request/documents", browser.base))
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// Adds a file that must be accepted: back to the step's page.
async fn added(browser: &Browser, title: &str, file: File<'_>) {
    let page = add(browser, "/request/documents", title, "report", file).await;
    assert_eq!(
        page.status,
        StatusCode::SEE_OTHER,
        "{}",
        error_summary(&page)
    );
    assert_eq!(page.location.as_deref(), Some("/request/documents"));
}

/// The titles in the step's list of files added.
fn listed(page: &Page) -> Vec<String> {
    page.body
        .split("<dt class=\"govuk-summary-list__key\">")
        .skip(1)
        .map(|s| s[..s.find("</dt>").unwrap()].trim().to_owned())
        .collect()
}

/// The hidden `number` of the *Remove* form of the file listed with `title`.
fn remove_number(page: &Page, title: &str) -> String {
    let row = &page.body[page.body.find(&format!(">{title}</dt>")).unwrap()..];
    let marker = "name=\"number\" value=\"";
    let start = row.find(marker).unwrap() + marker.len();
    row[start..start + row[start..].find('"').unwrap()].to_owned()
}

pub async fn a_signed_in_parent_adds_two_files_removes_one_and_the_new_case_has_exactly_the_other_with_its_receipt<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let (parent, first) = signed_in_parent(&hub).await;
    // A request for a brother, with reports.
    let mut brother = parent_answers("parent-carer", PARENT);
    brother[1].1[0].1 = "Tobi".to_owned();
    answer(&parent, &brother).await;
    let step = parent.visit("/request/documents").await;
    assert_eq!(step.status, StatusCode::OK);
    assert!(step.has("Upload reports and evidence (optional)"));
    assert!(step.has("enctype=\"multipart/form-data\""), "the add form");
    assert!(listed(&step).is_empty());

    added(
        &parent,
        "Speech and language report",
        ("slt.pdf", "application/pdf", pdf(3 * 1024)),
    )
    .await;
    added(
        &parent,
        "Old school report",
        ("old.pdf", "application/pdf", pdf(2 * 1024)),
    )
    .await;
    let step = parent.visit("/request/documents").await;
    assert_eq!(
        listed(&step),
        ["Speech and language report", "Old school report"]
    );
    assert!(plain(&step.body).contains("Report, PDF, 3 KB (slt.pdf)"));
    let removed = parent
        .submit(
            "/request/documents",
            "/request/documents/remove",
            &[("number", &remove_number(&step, "Old school report"))],
        )
        .await;
    assert_eq!(removed.location.as_deref(), Some("/request/documents"));
    assert_eq!(
        listed(&parent.visit("/request/documents").await),
        ["Speech and language report"]
    );

    let check = parent.visit("/request/check").await;
    let summary = plain(&check.body);
    assert!(
        summary.contains(
            "Reports and evidence Speech and language report Report, PDF, 3 KB (slt.pdf)"
        ),
        "{summary}"
    );
    assert!(!summary.contains("Old school report"));
    assert!(check.has("href=\"/request/documents\""), "a Change link");
    send(&parent).await;

    let new: Vec<CaseId> = parent_cases(&hub)
        .await
        .into_iter()
        .filter(|c| !first.contains(c))
        .collect();
    assert_eq!(new.len(), 1, "the new case, the parent's at once");
    let mut tx = hub.store.begin().await.unwrap();
    let documents = tx.documents().for_case(new[0]).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(documents.len(), 1);
    assert_eq!(documents[0].title, "Speech and language report");
    assert_eq!(documents[0].uploaded_by, hub.account_of(PARENT).await);
    let case = parent.visit(&format!("/cases/{}", new[0])).await;
    assert!(
        case.has("Document uploaded by pat.parent@example.com: Speech and language report (Report, PDF, 3 KB, file slt.pdf)"),
        "the receipt on the timeline: {}",
        plain(&case.body)
    );
    // Each file was on record when it was kept for the request, and the one sent when it was
    // recorded on the case.
    let uploaded = audited(&hub, "document-uploaded").await;
    let held = uploaded
        .iter()
        .filter(|d| {
            d.starts_with("request for an assessment: a file held until the request is sent")
        })
        .count();
    assert_eq!((held, uploaded.len()), (2, 3), "{uploaded:?}");
    // The removed file's content stays in the store until the daily sweep.
    assert_eq!(files_in(hub.documents.path()).len(), 2);
    // The draft is gone with the request.
    assert!(listed(&parent.visit("/request/documents").await).is_empty());
}

pub async fn a_refused_file_shows_its_message_and_is_not_added_to_the_request<B: Backend>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let (parent, _) = signed_in_parent(&hub).await;
    answer(&parent, &parent_answers("parent-carer", PARENT)).await;
    let mut infected = pdf(2000);
    infected.extend_from_slice(EICAR);
    let refusals: Vec<(File, &str)> = vec![
        (
            (
                "notes.zip",
                "application/zip",
                stored_zip(&[("notes.txt", b"hello")]),
            ),
            "The selected file must be a PDF, Word document, JPG, PNG, HEIC, MP4, MOV, MP3, M4A or WAV",
        ),
        (
            ("letters.pdf", "application/pdf", pdf(20 * MB + 1)),
            "The selected file must be smaller than 20 MB",
        ),
        (
            ("report.pdf", "application/pdf", infected),
            "The selected file contains a virus",
        ),
    ];
    for (file, message) in refusals {
        let page = add(&parent, "/request/documents", "Report", "report", file).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY, "{message}");
        assert_eq!(error_summary(&page), message);
        assert!(page.has("value=\"Report\""), "the title is kept");
        assert!(listed(&page).is_empty(), "{message}: not added");
    }
    // A title and what it is are asked for, as on the case's upload.
    let page = add(
        &parent,
        "/request/documents",
        "",
        "",
        ("report.pdf", "application/pdf", pdf(2000)),
    )
    .await;
    assert_eq!(
        error_summary(&page),
        "Enter a title for the document Select what the document is"
    );
    assert!(files_in(hub.documents.path()).is_empty(), "nothing stored");
    assert!(plain(&parent.visit("/request/check").await.body).contains("Files None added"));
    // The virus is audited, with the parent and no case.
    let infected = hub
        .store
        .audit()
        .await
        .into_iter()
        .filter(|e| e.kind.as_str() == "document-infected")
        .collect::<Vec<_>>();
    assert_eq!(infected.len(), 1);
    assert_eq!(infected[0].actor, Some(hub.account_of(PARENT).await));
    assert!(
        infected[0]
            .detail
            .starts_with("request for an assessment: upload refused, virus found")
            && infected[0]
                .detail
                .contains(ehc_clamav::test_support::EICAR_SIGNATURE),
        "{}",
        infected[0].detail
    );
}

pub async fn signed_out_the_documents_step_explains_how_to_send_files_later_and_takes_none<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let family = hub.browser();
    let start = plain(&family.visit("/request").await.body);
    assert!(
        start.contains("upload them on the case once you have registered"),
        "the guidance says so: {start}"
    );
    answer(&family, &parent_answers("parent-carer", PARENT)).await;
    // The consent page leads to the step.
    let consent = family
        .submit(
            "/request/consent",
            "/request/consent",
            &[("consent", "yes")],
        )
        .await;
    assert_eq!(consent.location.as_deref(), Some("/request/documents"));
    let step = family.visit("/request/documents").await;
    assert_eq!(step.status, StatusCode::OK);
    let words = plain(&step.body);
    assert!(
        words.contains("You can send your request now without them")
            && words.contains(
                "once you have registered, you can upload reports and evidence on the case"
            ),
        "{words}"
    );
    assert!(!step.has("multipart/form-data"), "no upload form");
    assert!(step.has("href=\"/request/check\""), "Continue");

    let refused = add(
        &family,
        "/request/who",
        "Report",
        "report",
        ("report.pdf", "application/pdf", pdf(2000)),
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.has("Sign in to upload files with your request"));
    assert!(files_in(hub.documents.path()).is_empty(), "nothing stored");
    let check = plain(&family.visit("/request/check").await.body);
    assert!(check.contains("Files None added"), "{check}");
    send(&family).await;
}

pub async fn the_files_added_stay_with_the_request_while_the_person_goes_back_and_forth<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let (parent, _) = signed_in_parent(&hub).await;
    answer(&parent, &parent_answers("parent-carer", PARENT)).await;
    added(
        &parent,
        "SEN support plan",
        ("plan.pdf", "application/pdf", pdf(1024)),
    )
    .await;
    // Back through the questions, changing an answer, and forward again.
    let back = parent.visit("/request/documents").await;
    assert!(back.has("href=\"/request/consent\""), "Back");
    let changed = parent
        .submit(
            "/request/views",
            "/request/views",
            &[
                ("working_well", "Drawing and music."),
                ("not_working", "Reading."),
                ("might_help", ""),
            ],
        )
        .await;
    assert_eq!(changed.location.as_deref(), Some("/request/support"));
    for step in ["who", "child", "you", "support", "consent"] {
        assert_eq!(
            parent.visit(&format!("/request/{step}")).await.status,
            StatusCode::OK
        );
    }
    assert_eq!(
        listed(&parent.visit("/request/documents").await),
        ["SEN support plan"]
    );
    let check = plain(&parent.visit("/request/check").await.body);
    assert!(
        check.contains("What is working well Drawing and music.")
            && check.contains("Reports and evidence SEN support plan"),
        "{check}"
    );
}

pub async fn a_file_swept_before_the_request_is_sent_stops_the_send_with_a_message<B: Backend>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let (parent, first) = signed_in_parent(&hub).await;
    answer(&parent, &parent_answers("parent-carer", PARENT)).await;
    added(
        &parent,
        "Speech and language report",
        ("slt.pdf", "application/pdf", pdf(1024)),
    )
    .await;
    // The daily sweep took it (the request waited more than a day).
    for file in files_in(hub.documents.path()) {
        std::fs::remove_file(file).unwrap();
    }
    let check = parent.visit("/request/check").await;
    let refused = parent
        .post("/request/send", &[("csrf_token", &check.csrf())])
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    let words = plain(&refused.body);
    assert!(
        words.contains("Some files you added are no longer kept")
            && words.contains("Speech and language report")
            && words.contains("Nothing was sent"),
        "{words}"
    );
    assert_eq!(parent_cases(&hub).await, first, "no new case");
    assert!(listed(&parent.visit("/request/documents").await).is_empty());
    // Sent without it.
    send(&parent).await;
    assert_eq!(parent_cases(&hub).await.len(), 2);
}
