//! Documents over HTTP: an upload streamed into the hub's document store, downloaded by the
//! people allowed to see it (404 for everyone else), its receipt on the timeline, its audit
//! entries and alerts; and every refusal — too big, a type not allowed, a virus, the scanner
//! down, a missing file or title, a missing CSRF token — with its GOV.UK message and nothing
//! stored: no row, no file. On SQLite and on PostgreSQL.

use ehc_store_contract::Backend;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use std::sync::Arc;
use time::macros::date;

use ehc_core::case::{CaseId, CaseService, NewCase, ReceivedBy};
use ehc_core::document::Document;
use ehc_core::outbox::{CaseUpdate, MessageContent, Recipient};
use ehc_core::role::{Role, Urn};
use ehc_core::system::OsSecretSource;

use crate::support::{Browser, EICAR, Hub, Page};

const OFFICER: &str = "casey.officer@anytown.gov.uk";
const PARENT: &str = "pat.parent@example.com";
const SENDCO_A: &str = "sam.sendco@anytown-primary.sch.uk";
const SENDCO_B: &str = "bo.sendco@anytown-academy.sch.uk";
const CONTRIBUTOR: &str = "eli.ep@anytown-ep.example.org";
const MB: usize = 1024 * 1024;

/// A small PDF (its content only has to start as a PDF does).
pub(crate) fn pdf(len: usize) -> Vec<u8> {
    let mut bytes = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n".to_vec();
    bytes.resize(len, b'x');
    bytes
}

/// A ZIP whose entries are stored as given: a Word document when, as Word writes it, the
/// third and fourth are under `word/`.
pub fn stored_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut zip = Vec::new();
    for (name, data) in entries {
        let len = u32::try_from(data.len()).unwrap().to_le_bytes();
        zip.extend_from_slice(b"PK\x03\x04\x14\x00\x00\x00\x00\x00\x00\x00\x00\x00");
        zip.extend_from_slice(&[0; 4]); // CRC-32: not checked by a sniffer
        zip.extend_from_slice(&len);
        zip.extend_from_slice(&len);
        zip.extend_from_slice(&u16::try_from(name.len()).unwrap().to_le_bytes());
        zip.extend_from_slice(&[0, 0]);
        zip.extend_from_slice(name.as_bytes());
        zip.extend_from_slice(data);
    }
    zip
}

fn docx() -> Vec<u8> {
    stored_zip(&[
        ("[Content_Types].xml", b"<?xml version=\"1.0\"?><Types/>"),
        ("_rels/.rels", b"<?xml version=\"1.0\"?><Relationships/>"),
        (
            "word/_rels/document.xml.rels",
            b"<?xml version=\"1.0\"?><Relationships/>",
        ),
        ("word/document.xml", b"<?xml version=\"1.0\"?><w:document/>"),
    ])
}

/// The case of the tests: created by the officer (through the core), linked to 100001, with
/// a parent, the SENDCo of 100001, a SENDCo of another setting and a contributor.
struct Case<B: Backend> {
    hub: Hub<B>,
    id: String,
    officer: Browser,
    parent: Browser,
    sendco_a: Browser,
    sendco_b: Browser,
    contributor: Browser,
}

async fn case<B: Backend>(store: &B) -> Case<B> {
    let hub = Hub::start(store.clone()).await;
    hub.settings_exist(&["100001", "100002"]).await;
    let officer = hub.person(OFFICER, vec![Role::LaOfficer]).await;
    let cases = CaseService::new(
        hub.store.clone(),
        Arc::new(OsSecretSource),
        hub.settings.clone(),
    );
    let id = cases
        .create(
            hub.account_of(OFFICER).await,
            NewCase {
                la_reference: "EHC-2026-0042".into(),
                given_name: "Amara".into(),
                family_name: "Okafor".into(),
                date_of_birth: date!(2015 - 03 - 27),
                received_on: date!(2026 - 10 - 05),
                received_by: ReceivedBy::Post,
                settings: vec![Urn::parse("100001").unwrap()],
            },
            hub.now(),
            hub.now().date(),
            None,
        )
        .await
        .unwrap();
    let sendco = |urn: &str| {
        vec![Role::Sendco {
            setting: Urn::parse(urn).unwrap(),
        }]
    };
    let parent = hub
        .person(PARENT, vec![Role::ParentCarer { case: id }])
        .await;
    let sendco_a = hub.person(SENDCO_A, sendco("100001")).await;
    let sendco_b = hub.person(SENDCO_B, sendco("100002")).await;
    let contributor = hub
        .person(CONTRIBUTOR, vec![Role::Contributor { case: id }])
        .await;
    Case {
        hub,
        id: id.to_string(),
        officer,
        parent,
        sendco_a,
        sendco_b,
        contributor,
    }
}

/// A file as a browser sends it: its name, the type the browser claims, its bytes.
pub(crate) type File<'a> = (&'a str, &'a str, Vec<u8>);

/// Posts the upload form as a browser does: the page's CSRF token first, then the fields.
async fn upload(
    browser: &Browser,
    id: &str,
    title: &str,
    kind: &str,
    file: Option<File<'_>>,
) -> Page {
    upload_for(browser, id, None, title, kind, file).await
}

/// Posts the upload form reached with `?for={attach}` (an attachment: `about-me`,
/// `advice-3`, …), or the plain one, as a browser does.
pub(crate) async fn upload_for(
    browser: &Browser,
    id: &str,
    attach: Option<&str>,
    title: &str,
    kind: &str,
    file: Option<File<'_>>,
) -> Page {
    let query = attach.map_or_else(String::new, |a| format!("?for={a}"));
    let form_page = browser
        .get(&format!("/cases/{id}/documents/new{query}"))
        .await;
    assert_eq!(form_page.status, StatusCode::OK, "{}", form_page.body);
    let action = format!("/cases/{id}/documents{query}");
    assert!(
        form_page.has(&format!("action=\"{action}\"")),
        "{}",
        form_page.body
    );
    let mut form = Form::new()
        .text("csrf_token", form_page.csrf())
        .text("title", title.to_owned())
        .text("kind", kind.to_owned());
    form = match file {
        Some((name, mime, bytes)) => form.part(
            "file",
            Part::bytes(bytes)
                .file_name(name.to_owned())
                .mime_str(mime)
                .unwrap(),
        ),
        // A browser sends an empty part when no file was chosen.
        None => form.part(
            "file",
            Part::bytes(Vec::new())
                .file_name(String::new())
                .mime_str("application/octet-stream")
                .unwrap(),
        ),
    };
    post_multipart_to(browser, &action, form).await
}

pub(crate) async fn post_multipart(browser: &Browser, id: &str, form: Form) -> Page {
    post_multipart_to(browser, &format!("/cases/{id}/documents"), form).await
}

/// Posts a multipart form to `path`.
pub(crate) async fn post_multipart_to(browser: &Browser, path: &str, form: Form) -> Page {
    Browser::read(
        browser
            .client
            .post(format!("{}{path}", browser.base))
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// Uploads a file that must be accepted.
pub(crate) async fn uploaded(browser: &Browser, id: &str, title: &str, kind: &str, file: File<'_>) {
    let page = upload(browser, id, title, kind, Some(file)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    assert_eq!(
        page.location.as_deref(),
        Some(format!("/cases/{id}#documents").as_str())
    );
}

/// The documents stored for the case (the rows themselves, read through the store).
pub(crate) async fn rows<B: Backend>(hub: &Hub<B>, id: &str) -> Vec<Document> {
    let mut tx = hub.store.begin().await.unwrap();
    let documents = tx
        .documents()
        .for_case(CaseId::parse(id).unwrap())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    documents
}

/// Every file in the document store's folder (staged uploads included).
pub(crate) fn files_in(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files_in(&path));
        } else {
            found.push(path);
        }
    }
    found
}

pub(crate) async fn audited<B: Backend>(hub: &Hub<B>, kind: &str) -> Vec<String> {
    hub.store
        .audit()
        .await
        .into_iter()
        .filter(|e| e.kind.as_str() == kind)
        .map(|e| e.detail)
        .collect()
}

/// The *Documents* section's links on a page: (address, title).
fn document_links(page: &Page) -> Vec<(String, String)> {
    let Some(start) = page.body.find("id=\"documents\"") else {
        return Vec::new();
    };
    let section = &page.body[start..page.body[start..].find("id=\"timeline\"").unwrap() + start];
    section
        .split("<a class=\"govuk-link\" href=\"")
        .skip(1)
        .map(|s| {
            let href = s[..s.find('"').unwrap()].to_owned();
            let text = s[s.find('>').unwrap() + 1..s.find("</a>").unwrap()].to_owned();
            (href, text)
        })
        .filter(|(href, _)| !href.ends_with("/documents/new"))
        .collect()
}

/// The GOV.UK error summary's messages.
fn error_summary(page: &Page) -> Vec<String> {
    let Some(start) = page.body.find("govuk-error-summary__list") else {
        return Vec::new();
    };
    let list = &page.body[start..start + page.body[start..].find("</ul>").unwrap()];
    list.split("<li><a href=\"#")
        .skip(1)
        .map(|s| {
            let field = &s[..s.find('"').unwrap()];
            let message = &s[s.find('>').unwrap() + 1..s.find("</a>").unwrap()];
            format!("{field}: {message}")
        })
        .collect()
}

pub async fn a_parents_upload_is_downloaded_by_the_people_on_the_case_and_is_404_for_everyone_else<
    B: Backend,
>(
    store: &B,
) {
    let c = case(store).await;
    let report = pdf(3 * 1024);
    uploaded(
        &c.parent,
        &c.id,
        "Paediatric report, March 2026",
        "report",
        ("Report (final).pdf", "application/pdf", report.clone()),
    )
    .await;

    // One row, one file at ab/cd/<sha256>.
    let stored = rows(&c.hub, &c.id).await;
    assert_eq!(stored.len(), 1);
    let document = &stored[0];
    assert_eq!(document.title, "Paediatric report, March 2026");
    assert_eq!(document.file_name, "Report (final).pdf");
    assert_eq!(document.size_bytes, report.len() as u64);
    assert_eq!(document.uploaded_by, c.hub.account_of(PARENT).await);
    let hex = document.hash.to_hex();
    assert_eq!(
        files_in(c.hub.documents.path()),
        vec![
            c.hub
                .documents
                .path()
                .join(&hex[..2])
                .join(&hex[2..4])
                .join(&hex)
        ]
    );

    // The Documents section and the receipt on the timeline, for the officer.
    let page = c.officer.get(&format!("/cases/{}", c.id)).await;
    let links = document_links(&page);
    assert_eq!(
        links,
        vec![(
            format!("/cases/{}/documents/{}", c.id, document.id),
            "Paediatric report, March 2026".to_owned()
        )]
    );
    assert!(
        page.has("Document uploaded by pat.parent@example.com: Paediatric report, March 2026 (Report, PDF, 3 KB, file Report (final).pdf)"),
        "{}",
        page.body
    );

    // The officer, the parent and the setting's SENDCo download it.
    let href = &links[0].0;
    for browser in [&c.officer, &c.parent, &c.sendco_a] {
        let response = browser
            .client
            .get(format!("{}{href}", browser.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let headers = response.headers().clone();
        assert_eq!(headers["content-type"], "application/pdf");
        assert_eq!(
            headers["content-disposition"],
            "inline; filename=\"Report _final_.pdf\""
        );
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["content-length"], report.len().to_string().as_str());
        assert_eq!(response.bytes().await.unwrap().as_ref(), report.as_slice());
    }

    // Everyone else: the same 404 as a document that does not exist.
    let missing = format!("/cases/{}/documents/{}", c.id, uuid_like(7));
    for (who, browser, path) in [
        ("a SENDCo of another setting", &c.sendco_b, href.as_str()),
        ("a contributor", &c.contributor, href.as_str()),
        (
            "the officer, no such document",
            &c.officer,
            missing.as_str(),
        ),
        (
            "the officer, not a document id",
            &c.officer,
            "/cases/x/documents/y",
        ),
    ] {
        let page = browser.get(path).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{who}");
        assert!(page.has("Page not found"), "{who}");
    }
    assert!(document_links(&c.sendco_b.get(&format!("/cases/{}", c.id)).await).is_empty());
    let upload_page = c
        .sendco_b
        .get(&format!("/cases/{}/documents/new", c.id))
        .await;
    assert_eq!(upload_page.status, StatusCode::NOT_FOUND);
    let anonymous = c.hub.browser().get(href).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER, "to sign in");

    // Audited: the upload once (hash and size, never the title), each download.
    let uploads = audited(&c.hub, "document-uploaded").await;
    assert_eq!(uploads.len(), 1);
    assert!(uploads[0].contains(&hex) && uploads[0].contains(&c.id));
    assert!(!uploads[0].contains("Paediatric"));
    assert_eq!(audited(&c.hub, "document-downloaded").await.len(), 3);

    // The alert: the document's kind and the LA reference, to the SENDCo (not the uploader).
    let claimed = c
        .hub
        .store
        .claim_due(
            100,
            c.hub.now() + time::Duration::days(1),
            time::Duration::minutes(1),
        )
        .await
        .unwrap();
    let alerts: Vec<String> = claimed
        .iter()
        .filter_map(|m| match (&m.message.recipient, &m.message.content) {
            (
                Recipient::Email(to),
                MessageContent::CaseUpdate {
                    case_reference,
                    update: CaseUpdate::DocumentAdded { kind },
                },
            ) => Some(format!("{to} {case_reference} {kind}")),
            _ => None,
        })
        .collect();
    assert_eq!(alerts, vec![format!("{SENDCO_A} EHC-2026-0042 Report")]);
}

fn uuid_like(n: u8) -> String {
    format!("00000000-0000-4000-8000-0000000000{n:02}")
}

pub async fn a_contributors_word_document_is_seen_by_them_and_the_la_only_and_downloads_as_an_attachment<
    B: Backend,
>(
    store: &B,
) {
    let c = case(store).await;
    uploaded(
        &c.parent,
        &c.id,
        "Our views",
        "other",
        ("views.pdf", "application/pdf", pdf(1000)),
    )
    .await;
    c.hub.clock.advance(time::Duration::minutes(5));
    // The browser's name and type are not believed: the content is a Word document.
    uploaded(
        &c.contributor,
        &c.id,
        "Educational psychology advice",
        "advice",
        ("EP advice.bin", "application/octet-stream", docx()),
    )
    .await;

    let mine = document_links(&c.contributor.get(&format!("/cases/{}", c.id)).await);
    assert_eq!(
        mine.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>(),
        ["Educational psychology advice"],
        "a contributor sees their own documents only"
    );
    // Before it is given to the family with the advice, a contributor's document is the LA's
    // and theirs only.
    let family = document_links(&c.parent.get(&format!("/cases/{}", c.id)).await);
    assert_eq!(
        family.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>(),
        ["Our views"]
    );
    assert_eq!(c.parent.get(&mine[0].0).await.status, StatusCode::NOT_FOUND);
    let la = document_links(&c.officer.get(&format!("/cases/{}", c.id)).await);
    assert_eq!(
        la.iter().map(|(_, t)| t.as_str()).collect::<Vec<_>>(),
        ["Educational psychology advice", "Our views"],
        "newest first"
    );
    let response = c
        .officer
        .client
        .get(format!("{}{}", c.officer.base, la[0].0))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    );
    assert_eq!(
        response.headers()["content-disposition"],
        "attachment; filename=\"EP advice.docx\""
    );
    assert_eq!(response.bytes().await.unwrap().as_ref(), docx().as_slice());
    let parents_own = c.contributor.get(&family[0].0).await;
    assert_eq!(parents_own.status, StatusCode::NOT_FOUND);
}

pub async fn an_upload_over_20_mb_is_refused_with_the_limit_and_nothing_is_stored<B: Backend>(
    store: &B,
) {
    let c = case(store).await;
    let page = upload(
        &c.parent,
        &c.id,
        "Scanned letters",
        "scanned-document",
        Some(("letters.pdf", "application/pdf", pdf(20 * MB + 1))),
    )
    .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        error_summary(&page),
        ["file: The selected file must be smaller than 20 MB"]
    );
    assert!(page.has("value=\"Scanned letters\""), "the title is kept");
    // Exactly the limit is accepted.
    uploaded(
        &c.parent,
        &c.id,
        "Scanned letters",
        "scanned-document",
        ("letters.pdf", "application/pdf", pdf(20 * MB)),
    )
    .await;
    let stored = rows(&c.hub, &c.id).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].size_bytes, 20 * MB as u64);
    assert_eq!(
        files_in(c.hub.documents.path()).len(),
        1,
        "only the accepted file"
    );
    assert_eq!(audited(&c.hub, "document-uploaded").await.len(), 1);
}

pub async fn a_renamed_executable_a_missing_file_or_title_and_a_virus_are_refused_and_nothing_is_stored<
    B: Backend,
>(
    store: &B,
) {
    let c = case(store).await;
    let mut exe = b"MZ\x90\x00\x03\x00\x00\x00".to_vec();
    exe.extend_from_slice(b"%PDF-1.7 this is not a PDF");
    exe.resize(4096, 0);
    let refusals: Vec<(&str, &str, Option<File>, Vec<&str>)> = vec![
        (
            "Report",
            "report",
            Some(("report.pdf", "application/pdf", exe)),
            vec![
                "file: The selected file must be a PDF, Word document, JPG, PNG, HEIC, MP4, MOV, MP3, M4A or WAV",
            ],
        ),
        (
            "Report",
            "report",
            Some((
                "archive.zip",
                "application/zip",
                stored_zip(&[("notes.txt", b"hello")]),
            )),
            vec![
                "file: The selected file must be a PDF, Word document, JPG, PNG, HEIC, MP4, MOV, MP3, M4A or WAV",
            ],
        ),
        (
            "",
            "",
            None,
            vec![
                "title: Enter a title for the document",
                "kind: Select what the document is",
                "file: Select a file",
            ],
        ),
        (
            "Report",
            "report",
            Some(("empty.pdf", "application/pdf", Vec::new())),
            vec!["file: The selected file is empty"],
        ),
        (
            "Report",
            "report",
            Some(("report.pdf", "application/pdf", {
                let mut infected = pdf(2000);
                infected.extend_from_slice(EICAR);
                infected
            })),
            vec!["file: The selected file contains a virus"],
        ),
    ];
    for (title, kind, file, expected) in refusals {
        let page = upload(&c.parent, &c.id, title, kind, file).await;
        assert_eq!(
            page.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{expected:?}"
        );
        assert_eq!(error_summary(&page), expected);
    }
    c.hub.stop_clamd();
    let page = upload(
        &c.parent,
        &c.id,
        "Report",
        "report",
        Some(("report.pdf", "application/pdf", pdf(2000))),
    )
    .await;
    assert_eq!(
        error_summary(&page),
        ["file: The selected file could not be checked for viruses – try again later"]
    );

    assert!(rows(&c.hub, &c.id).await.is_empty(), "no row");
    assert!(files_in(c.hub.documents.path()).is_empty(), "no file");
    assert!(audited(&c.hub, "document-uploaded").await.is_empty());
    let infected = audited(&c.hub, "document-infected").await;
    assert_eq!(infected.len(), 1);
    assert!(
        infected[0].contains(ehc_clamav::test_support::EICAR_SIGNATURE),
        "clamd names what it found: {infected:?}"
    );
    let page = c.officer.get(&format!("/cases/{}", c.id)).await;
    assert!(!page.has("Document uploaded"), "no receipt");
}

pub async fn an_upload_without_its_csrf_token_first_is_refused_and_stores_nothing<B: Backend>(
    store: &B,
) {
    let c = case(store).await;
    let token = c
        .parent
        .get(&format!("/cases/{}/documents/new", c.id))
        .await
        .csrf();
    let file = || {
        Part::bytes(pdf(1000))
            .file_name("r.pdf")
            .mime_str("application/pdf")
            .unwrap()
    };
    let forms = [
        (
            "no token",
            Form::new()
                .text("title", "R")
                .text("kind", "report")
                .part("file", file()),
        ),
        (
            "a forged token",
            Form::new()
                .text("csrf_token", "forged")
                .text("title", "R")
                .text("kind", "report")
                .part("file", file()),
        ),
        (
            "the token after the file",
            Form::new()
                .part("file", file())
                .text("csrf_token", token.clone())
                .text("title", "R")
                .text("kind", "report"),
        ),
    ];
    for (what, form) in forms {
        let page = post_multipart(&c.parent, &c.id, form).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{what}");
        assert!(page.has("Sorry, we could not accept that form"), "{what}");
    }
    let not_multipart = c
        .parent
        .post(
            &format!("/cases/{}/documents", c.id),
            &[("csrf_token", token.as_str()), ("title", "R")],
        )
        .await;
    assert_eq!(not_multipart.status, StatusCode::FORBIDDEN);
    assert!(rows(&c.hub, &c.id).await.is_empty());
    assert!(files_in(c.hub.documents.path()).is_empty());
}
