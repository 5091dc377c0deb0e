//! *Email alerts*: a signed-in person chooses straight away or a daily digest; a post without a
//! choice or without its CSRF token changes nothing.

use ehc_core::alert::AlertPreference;
use ehc_core::role::Role;
use ehc_store_contract::Backend;
use reqwest::StatusCode;

use crate::support::Hub;

const PARENT: &str = "parent@example.com";

async fn preference<B: Backend>(hub: &Hub<B>) -> AlertPreference {
    let account = hub.account_of(PARENT).await;
    let mut tx = hub.store.begin().await.unwrap();
    tx.alerts().preference(account).await.unwrap()
}

pub async fn a_person_chooses_a_daily_digest_and_a_post_without_a_choice_changes_nothing<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    // Signed out, the page sends to sign-in.
    let anonymous = hub.browser().get("/account/alerts").await;
    assert!(anonymous.status.is_redirection());
    assert_ne!(anonymous.location.as_deref(), Some("/account/alerts"));

    let parent = hub
        .person(
            PARENT,
            vec![Role::LaOfficer], // any role: every signed-in person has the page
        )
        .await;
    let page = parent.visit("/cases").await;
    assert!(
        page.body.contains("href=\"/account/alerts\""),
        "{}",
        page.body
    );
    let page = parent.visit("/account/alerts").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.has("How do you want to get email alerts?"));
    assert!(
        page.body
            .contains("value=\"immediately\" aria-describedby=\"alerts-immediately-hint\" checked")
    );

    let none = parent
        .submit("/account/alerts", "/account/alerts", &[])
        .await;
    assert_eq!(none.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(none.has("Select how you want to get email alerts"));
    let weekly = parent
        .submit(
            "/account/alerts",
            "/account/alerts",
            &[("alerts", "weekly")],
        )
        .await;
    assert_eq!(weekly.status, StatusCode::UNPROCESSABLE_ENTITY);
    let forged = parent
        .post("/account/alerts", &[("alerts", "daily-digest")])
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert_eq!(preference(&hub).await, AlertPreference::Immediately);

    let saved = parent
        .submit(
            "/account/alerts",
            "/account/alerts",
            &[("alerts", "daily-digest")],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    assert_eq!(preference(&hub).await, AlertPreference::DailyDigest);
    let page = parent.visit(saved.location.as_deref().unwrap()).await;
    assert!(page.has("Your email alert choice has been saved."));
    assert!(
        page.body
            .contains("value=\"daily-digest\" aria-describedby=\"alerts-daily-hint\" checked")
    );
}
