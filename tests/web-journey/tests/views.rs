//! *About Me* and *My Parent / Carer's Views* over HTTP: the parent adds, orders and takes out
//! items; the LA and a linked setting's SENDCo read without forms; a contributor gets the 404
//! page; bad posts show an error and change nothing.

use ehc_core::case::views::ViewSpace;
use ehc_core::case::{CaseId, CaseService, NewCase, ReceivedBy};
use ehc_core::role::{Role, Urn};
use ehc_core::system::OsSecretSource;
use ehc_store_contract::Backend;
use reqwest::StatusCode;
use std::sync::Arc;
use time::macros::date;

use crate::support::{Browser, Hub};

const SETTING: &str = "100001";

async fn case_with_people<B: Backend>(
    hub: &Hub<B>,
) -> (CaseId, Browser, Browser, Browser, Browser) {
    hub.settings_exist(&[SETTING]).await;
    let officer = hub
        .person("officer@anytown.gov.uk", vec![Role::LaOfficer])
        .await;
    let officer_id = hub.account_of("officer@anytown.gov.uk").await;
    let cases = CaseService::new(
        hub.store.clone(),
        Arc::new(OsSecretSource),
        hub.settings.clone(),
    );
    let case = cases
        .create(
            officer_id,
            NewCase {
                la_reference: "EHC-2026-0200".into(),
                given_name: "Ava".into(),
                family_name: "Thornbury".into(),
                date_of_birth: date!(2019 - 05 - 01),
                received_on: date!(2026 - 10 - 01),
                received_by: ReceivedBy::Email,
                settings: vec![Urn::parse(SETTING).unwrap()],
            },
            hub.now(),
            date!(2026 - 11 - 30),
            None,
        )
        .await
        .unwrap();
    let parent = hub
        .person("pat.parent@example.com", vec![Role::ParentCarer { case }])
        .await;
    let sendco = hub
        .person(
            "sam.sendco@school.example",
            vec![Role::Sendco {
                setting: Urn::parse(SETTING).unwrap(),
            }],
        )
        .await;
    let contributor = hub
        .person("eli.ep@example.org", vec![Role::Contributor { case }])
        .await;
    (case, officer, parent, sendco, contributor)
}

/// The texts of the page's items, in order.
fn items(body: &str) -> Vec<String> {
    body.split("hub-view-item__text\">")
        .skip(1)
        .map(|r| r[..r.find("</div>").unwrap()].to_owned())
        .collect()
}

pub async fn the_parent_writes_and_orders_their_views_and_the_la_and_setting_read_them<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let (case, officer, parent, sendco, contributor) = case_with_people(&hub).await;
    let path = format!("/cases/{case}/views/{}", ViewSpace::ParentCarer.as_str());

    let case_page = parent.visit(&format!("/cases/{case}")).await;
    assert!(
        case_page.has(&format!("href=\"{path}\"")),
        "{}",
        case_page.body
    );
    let page = parent.visit(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.has("My Parent / Carer&#39;s Views") || page.has("My Parent / Carer&#x27;s Views")
    );
    assert!(page.has("Nothing has been added yet."));

    for text in [
        "She loves swimming",
        "Crowds upset her",
        "We hope she can go to Elm Primary",
    ] {
        let added = parent
            .submit(&path, &path, &[("action", "add"), ("text", text)])
            .await;
        assert_eq!(added.status, StatusCode::SEE_OTHER);
    }
    let page = parent.visit(&path).await;
    assert_eq!(
        items(&page.body),
        [
            "She loves swimming",
            "Crowds upset her",
            "We hope she can go to Elm Primary"
        ]
    );
    // Move the last one up, then take out the first.
    let store_views = || async {
        let mut tx = hub.store.begin().await.unwrap();
        let v = tx.cases().get(case).await.unwrap().unwrap().case.views;
        tx.commit().await.unwrap();
        v
    };
    let ids: Vec<u32> = store_views()
        .await
        .parent_carer
        .iter()
        .map(|i| i.id)
        .collect();
    parent
        .submit(&path, &path, &[("action", &format!("up-{}", ids[2]))])
        .await;
    parent
        .submit(&path, &path, &[("action", &format!("remove-{}", ids[0]))])
        .await;
    let page = parent.visit(&path).await;
    assert_eq!(
        items(&page.body),
        ["We hope she can go to Elm Primary", "Crowds upset her"]
    );
    assert_eq!(
        store_views().await.parent_carer.len(),
        3,
        "taken out, but kept"
    );

    // The LA and the setting read the same, with no forms.
    for reader in [&officer, &sendco] {
        let page = reader.visit(&path).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(
            items(&page.body),
            ["We hope she can go to Elm Primary", "Crowds upset her"]
        );
        assert!(!page.has("name=\"action\""));
    }
    // The LA may not write; a contributor does not see the spaces at all.
    let before = store_views().await;
    let refused = officer
        .submit(
            &path,
            &path,
            &[("action", "add"), ("text", "The LA's words")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(contributor.visit(&path).await.status, StatusCode::NOT_FOUND);
    // Nor through a refused post, whose page would show the items again.
    let token = contributor.visit("/cases").await.csrf();
    for action in ["", "up-x", "remove-99"] {
        let page = contributor
            .post(&path, &[("csrf_token", &token), ("action", action)])
            .await;
        assert!(
            !page.has("Crowds upset her") && !page.has("name=\"text\""),
            "a contributor's post ({action:?}) shows nothing of the space: {}",
            page.status
        );
    }
    let csrf_less = parent
        .post(&path, &[("action", "add"), ("text", "No token")])
        .await;
    assert_eq!(csrf_less.status, StatusCode::FORBIDDEN);
    assert_eq!(store_views().await, before);
    // An unknown space is a 404.
    assert_eq!(
        parent
            .visit(&format!("/cases/{case}/views/diary"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

pub async fn empty_text_or_an_item_already_taken_out_shows_an_error_and_changes_nothing<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let (case, _, parent, _, _) = case_with_people(&hub).await;
    let path = format!("/cases/{case}/views/{}", ViewSpace::AboutMe.as_str());
    let empty = parent
        .submit(&path, &path, &[("action", "add"), ("text", "  ")])
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.has("Enter what you want to say"));
    assert!(empty.has("href=\"#text\""));
    let long = "x".repeat(10_001);
    let too_long = parent
        .submit(&path, &path, &[("action", "add"), ("text", &long)])
        .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(too_long.has("The text must be 10000 characters or fewer"));
    assert!(too_long.has(&long), "what was typed is kept");
    let gone = parent
        .submit(&path, &path, &[("action", "remove-99")])
        .await;
    assert_eq!(gone.status, StatusCode::UNPROCESSABLE_ENTITY);
    let nonsense = parent.submit(&path, &path, &[("action", "explode")]).await;
    assert_eq!(nonsense.status, StatusCode::UNPROCESSABLE_ENTITY);
    let mut tx = hub.store.begin().await.unwrap();
    let case = tx.cases().get(case).await.unwrap().unwrap();
    assert!(case.case.views.about_me.is_empty());
    assert_eq!(case.version, 1);
}

pub async fn a_photo_uploaded_from_about_me_is_placed_in_it_and_opens_for_the_la<B: Backend>(
    store: &B,
) {
    use reqwest::multipart::{Form, Part};
    let hub = Hub::start(store.clone()).await;
    let (case, officer, parent, _, _) = case_with_people(&hub).await;
    let path = format!("/cases/{case}/views/{}", ViewSpace::AboutMe.as_str());
    parent
        .submit(
            &path,
            &path,
            &[("action", "add"), ("text", "This is me at the beach")],
        )
        .await;
    let page = parent.visit(&path).await;
    let upload = format!("/cases/{case}/documents/new?for=about-me");
    assert!(
        page.has(&format!("href=\"{}\"", upload.replace('&', "&amp;"))),
        "{}",
        page.body
    );
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.resize(5_000, 7);
    let sent = crate::documents::upload_for(
        &parent,
        &case.to_string(),
        Some("about-me"),
        "Me at the beach",
        "photo",
        Some(("beach.png", "image/png", png.clone())),
    )
    .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    assert_eq!(sent.location.as_deref(), Some(path.as_str()));

    // In the space, after the text, as a link; the LA opens it.
    let page = officer.visit(&path).await;
    assert_eq!(items(&page.body), ["This is me at the beach"]);
    let link_start = page
        .body
        .find("hub-view-item__document")
        .expect("the photo is an item of the space");
    let rest = &page.body[link_start..];
    let href_at = rest.find("href=\"").unwrap() + 6;
    let href = &rest[href_at..href_at + rest[href_at..].find('"').unwrap()];
    assert!(rest.contains("Me at the beach"));
    assert!(
        page.body.find("This is me at the beach").unwrap() < link_start,
        "in the order added"
    );
    let photo = officer
        .client
        .get(format!("{}{href}", officer.base))
        .send()
        .await
        .unwrap();
    assert_eq!(photo.status(), StatusCode::OK);
    assert_eq!(photo.bytes().await.unwrap().as_ref(), png.as_slice());

    // The LA cannot place a document in the family's space: the page says so, and a post
    // stores nothing (no row, no receipt).
    let refused = officer.get(&upload).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
    assert!(refused.has("Only the family can add to About Me"));
    let form_page = officer.visit(&format!("/cases/{case}/documents/new")).await;
    let mut other = png.clone();
    other[20] = 1;
    let form = Form::new()
        .text("csrf_token", form_page.csrf())
        .text("title", "LA letter")
        .text("kind", "photo")
        .part(
            "file",
            Part::bytes(other)
                .file_name("letter.png")
                .mime_str("image/png")
                .unwrap(),
        );
    let before = crate::documents::rows(&hub, &case.to_string()).await.len();
    let sent = crate::documents::post_multipart_to(
        &officer,
        &format!("/cases/{case}/documents?for=about-me"),
        form,
    )
    .await;
    assert_eq!(sent.status, StatusCode::FORBIDDEN, "{}", sent.body);
    assert_eq!(
        crate::documents::rows(&hub, &case.to_string()).await.len(),
        before,
        "nothing stored"
    );
    let page = parent.visit(&path).await;
    assert_eq!(page.body.matches("hub-view-item__document").count(), 1);
}
