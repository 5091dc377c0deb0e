//! *Download all case information* over HTTP, on SQLite and PostgreSQL: the ZIP opens, holds a
//! self-contained `summary.html` with the case's LA reference and tracker, and only what that
//! person may see; every download is audited; a person who may not see the case gets the same
//! 404 as for a case that does not exist.

use ehc_store_contract::Backend;
use reqwest::StatusCode;
use std::io::Read;

use crate::cases::{
    CONTRIBUTOR, PARENT, Request, SENDCO_A, SENDCO_B, SETTING_A, SETTING_B, audited, created,
    invited_to_case, officer, plain, recorded, sendco,
};
use crate::support::{Browser, Hub};

/// What the download answered.
struct Download {
    status: StatusCode,
    content_type: String,
    disposition: String,
    /// Each file of the ZIP: its name and its text (bytes that are not UTF-8 replaced).
    files: Vec<(String, String)>,
}

impl Download {
    /// The text of `summary.html` as a person reads it (tags dropped).
    fn summary(&self) -> String {
        plain(&self.summary_html())
    }

    fn summary_html(&self) -> String {
        self.files
            .iter()
            .find(|(name, _)| name == "summary.html")
            .map(|(_, text)| text.clone())
            .expect("summary.html in the ZIP")
    }
}

async fn download(browser: &Browser, id: &str) -> Download {
    let response = browser
        .client
        .get(format!("{}/cases/{id}/download", browser.base))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    let (content_type, disposition) = (header("content-type"), header("content-disposition"));
    let bytes = response.bytes().await.unwrap();
    let files = if content_type == "application/zip" {
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        (0..archive.len())
            .map(|i| {
                let mut file = archive.by_index(i).unwrap();
                let mut bytes = Vec::new();
                file.read_to_end(&mut bytes).unwrap();
                let text = String::from_utf8_lossy(&bytes).into_owned();
                (file.name().unwrap().into_owned(), text)
            })
            .collect()
    } else {
        Vec::new()
    };
    Download {
        status,
        content_type,
        disposition,
        files,
    }
}

pub async fn everyone_who_sees_a_case_downloads_a_printable_summary_of_what_they_may_see_and_it_is_audited<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    hub.settings_exist(&[SETTING_A]).await;
    let officer = officer(&hub).await;
    let mut request = Request::new("EHC/DL/1", "Amara", "Okafor");
    request.settings = SETTING_A.into();
    let id = created(&officer, &request).await;
    recorded(
        &officer,
        &id,
        "decision-to-assess",
        "12 10 2026",
        &[("assess", "yes")],
    )
    .await;
    let parent = invited_to_case(&hub, &officer, &id, PARENT, "parent-carer").await;
    let contributor = invited_to_case(&hub, &officer, &id, CONTRIBUTOR, "contributor").await;
    let sendco = hub.person(SENDCO_A, sendco(SETTING_A)).await;

    let page = sendco.get(&format!("/cases/{id}")).await;
    assert!(page.has(&format!("href=\"/cases/{id}/download\"")));
    assert!(page.has("Print this page"));

    // The LA officer: everything, including who was given access (LA and family only).
    let la = download(&officer, &id).await;
    assert_eq!(la.status, StatusCode::OK);
    assert_eq!(la.content_type, "application/zip");
    assert_eq!(la.disposition, "attachment; filename=\"case-EHC-DL-1.zip\"");
    assert_eq!(
        la.files.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["summary.html"]
    );
    let html = la.summary_html();
    assert!(html.contains("<style>"), "its own CSS");
    for outside in ["<script", "<link", "src=", "/assets/", "/static/"] {
        assert!(
            !html.contains(outside),
            "summary.html loads nothing: {outside}"
        );
    }
    let text = la.summary();
    for words in [
        "EHC/DL/1",
        "Amara Okafor",
        "Date of birth 27 March 2015",
        "Case tracker",
        "Decide whether to assess",
        "Issue the final EHC plan",
        "22 February 2027",
        "Request for an EHC needs assessment received by post on 5 October 2026",
        "pat.parent@example.com given access as parent or carer",
    ] {
        assert!(
            text.contains(words),
            "the LA's summary has {words:?}: {text}"
        );
    }

    // The SENDCo: the case and its tracker, but not who the LA gave access to.
    let setting = download(&sendco, &id).await;
    assert_eq!(setting.status, StatusCode::OK);
    let text = setting.summary();
    for words in [
        "EHC/DL/1",
        "Date of birth 27 March 2015",
        "Decide whether to assess",
    ] {
        assert!(
            text.contains(words),
            "the SENDCo's summary has {words:?}: {text}"
        );
    }
    assert!(!text.contains("given access as"), "{text}");

    // The family sees who was given access.
    let family = download(&parent, &id).await;
    assert!(
        family
            .summary()
            .contains("pat.parent@example.com given access as parent or carer")
    );

    // A contributor: the case's reference, not the child's date of birth nor the tracker.
    let advice = download(&contributor, &id).await;
    assert_eq!(advice.status, StatusCode::OK);
    let text = advice.summary();
    assert!(text.contains("EHC/DL/1"), "{text}");
    for hidden in [
        "27 March 2015",
        "Decide whether to assess",
        "given access as",
        "People involved",
    ] {
        assert!(
            !text.contains(hidden),
            "a contributor sees {hidden:?}: {text}"
        );
    }

    assert_eq!(audited(&hub, "case-downloaded", &id).await, 4);
}

pub async fn a_person_who_may_not_see_a_case_gets_404_for_its_download_and_nothing_is_audited<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    hub.settings_exist(&[SETTING_A, SETTING_B]).await;
    let officer = officer(&hub).await;
    let mut request = Request::new("EHC-DL-2", "Ben", "Adeyemi");
    request.settings = SETTING_A.into();
    let id = created(&officer, &request).await;

    let other_setting = hub.person(SENDCO_B, sendco(SETTING_B)).await;
    let hidden = download(&other_setting, &id).await;
    let missing = download(&other_setting, "0b6c3e0a-56a4-4bb6-9b1e-0b1b9d6e2f11").await;
    let nonsense = download(&other_setting, "not-a-case").await;
    for answer in [&hidden, &missing, &nonsense] {
        assert_eq!(answer.status, StatusCode::NOT_FOUND);
        assert!(answer.files.is_empty());
        assert!(!answer.content_type.contains("zip"));
    }

    // Not signed in: sent to sign in, no file.
    let stranger = hub.browser();
    let anonymous = download(&stranger, &id).await;
    assert!(anonymous.status.is_redirection(), "{}", anonymous.status);
    assert!(anonymous.files.is_empty());

    assert_eq!(audited(&hub, "case-downloaded", &id).await, 0);
}

pub async fn the_zip_holds_every_document_the_person_may_see_and_the_familys_words_each_document_audited<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    hub.settings_exist(&[SETTING_A]).await;
    let officer = officer(&hub).await;
    let mut request = Request::new("EHC/DL/3", "Amara", "Okafor");
    request.settings = SETTING_A.into();
    let id = created(&officer, &request).await;
    let parent = invited_to_case(&hub, &officer, &id, PARENT, "parent-carer").await;
    let contributor = invited_to_case(&hub, &officer, &id, CONTRIBUTOR, "contributor").await;
    let report = crate::documents::pdf(3000);
    crate::documents::uploaded(
        &parent,
        &id,
        "Hospital letter",
        "report",
        ("letter.pdf", "application/pdf", report.clone()),
    )
    .await;
    let about_me = format!("/cases/{id}/views/about-me");
    let added = parent
        .submit(
            &about_me,
            &about_me,
            &[("action", "add"), ("text", "I like drawing trains")],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);

    let before = audited(&hub, "document-downloaded", &id).await;
    let family = download(&parent, &id).await;
    let names: Vec<&str> = family.files.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["summary.html", "documents/01-letter.pdf"]);
    assert_eq!(
        family.files[1].1,
        String::from_utf8_lossy(&report),
        "the document itself"
    );
    let text = family.summary();
    assert!(text.contains("Documents in this download"), "{text}");
    assert!(text.contains("About Me I like drawing trains"), "{text}");
    assert_eq!(
        audited(&hub, "document-downloaded", &id).await,
        before + 1,
        "the document in the ZIP is audited as downloaded"
    );

    // A contributor sees neither the family's document nor their words.
    let advice = download(&contributor, &id).await;
    assert_eq!(
        advice
            .files
            .iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>(),
        ["summary.html"]
    );
    assert!(!advice.summary().contains("drawing trains"));
}
