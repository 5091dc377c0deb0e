//! Invitation and registration: cases 1–9 of auth-journey.md.

use ehc_core::account::EmailAddress;
use ehc_store_contract::Backend;
use reqwest::StatusCode;
use time::Duration;

use crate::support::{Hub, JO, PASSWORD};

async fn account_exists<B: Backend>(store: &B, email: &str) -> bool {
    let mut tx = store.begin().await.unwrap();
    tx.accounts()
        .find_by_email(&EmailAddress::parse(email).unwrap())
        .await
        .unwrap()
        .is_some()
}

/// 1, 2.
pub async fn an_invited_person_registers_then_signs_in_in_any_case_and_a_second_invitation_makes_no_second_account<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let browser = hub.registered(JO).await;
    let page = browser.password("Jo.Bloggs@Example.GOV.UK", PASSWORD).await;
    assert_eq!(page.location.as_deref(), Some("/sign-in/method"));
    assert_eq!(
        hub.invite("JO.BLOGGS@example.gov.uk").await,
        None,
        "no new invitation"
    );
    let again = hub.browser().password(JO, PASSWORD).await;
    assert_eq!(again.location.as_deref(), Some("/sign-in/method"));
}

/// 3.
pub async fn a_used_link_shows_the_cannot_be_used_page_and_cannot_set_the_password_again<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let browser = hub.browser();
    let link = hub.invite(JO).await.unwrap();
    assert!(
        browser
            .register(&link, PASSWORD, PASSWORD)
            .await
            .has("Your registration is complete")
    );
    let page = browser.get(&link).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.has("This link cannot be used"));
    let token = browser.get("/sign-in").await.csrf();
    let again = browser
        .post(
            &link,
            &[
                ("csrf_token", &token),
                ("password", "Other!Pass99"),
                ("confirm", "Other!Pass99"),
            ],
        )
        .await;
    assert!(again.has("This link cannot be used"));
    assert!(
        hub.browser()
            .password(JO, "Other!Pass99")
            .await
            .has("Enter a correct email address and password")
    );
}

/// 4.
pub async fn a_link_works_for_six_days_twenty_three_hours_and_not_seven_days_and_a_minute<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let old = hub.invite("old@example.gov.uk").await.unwrap();
    let young = hub.invite(JO).await.unwrap();
    hub.clock.advance(Duration::days(6) + Duration::hours(23));
    assert!(
        hub.browser()
            .register(&young, PASSWORD, PASSWORD)
            .await
            .has("Your registration is complete")
    );
    hub.clock.advance(Duration::hours(1) + Duration::minutes(1));
    let page = hub.browser().get(&old).await;
    assert!(page.has("This link cannot be used"));
    assert!(!account_exists(store, "old@example.gov.uk").await);
}

/// 5.
pub async fn a_reinvitation_voids_the_older_link_and_the_newer_one_works<B: Backend>(store: &B) {
    let hub = Hub::start(store.clone()).await;
    let older = hub.invite(JO).await.unwrap();
    let newer = hub.invite(JO).await.unwrap();
    assert!(
        hub.browser()
            .get(&older)
            .await
            .has("This link cannot be used")
    );
    assert!(
        hub.browser()
            .register(&newer, PASSWORD, PASSWORD)
            .await
            .has("Your registration is complete")
    );
}

/// 6.
pub async fn a_password_without_a_capital_is_refused_with_the_address_kept_and_nothing_stored<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let link = hub.invite(JO).await.unwrap();
    let page = hub
        .browser()
        .register(&link, "harbour!lights9", "harbour!lights9")
        .await;
    assert!(page.has("There is a problem"));
    assert!(page.has("Password must contain at least one capital letter"));
    assert!(
        page.has("href=\"#password\""),
        "the summary links to the field"
    );
    assert!(page.has(JO));
    assert!(!page.has("harbour!lights9"));
    assert!(!account_exists(store, JO).await);
}

/// 7.
pub async fn different_password_and_confirmation_ask_for_the_same_password_in_both_fields<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let link = hub.invite(JO).await.unwrap();
    let page = hub
        .browser()
        .register(&link, PASSWORD, "Harbour!Lights8")
        .await;
    assert!(page.has("Enter the same password in both fields"));
    assert!(page.has("href=\"#confirm\""));
    assert!(!account_exists(store, JO).await);
}

/// 8.
pub async fn a_300_character_password_is_refused_at_registration_and_at_sign_in<B: Backend>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let link = hub.invite(JO).await.unwrap();
    let long = format!("A!{}", "b".repeat(298));
    let page = hub.browser().register(&link, &long, &long).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.has("Password must be 256 characters or fewer"));
    assert!(!account_exists(store, JO).await);
    hub.browser().register(&link, PASSWORD, PASSWORD).await;
    let sign_in = hub.browser().password(JO, &long).await;
    assert_eq!(sign_in.status, StatusCode::OK);
    assert!(sign_in.has("256 characters or fewer"));
}

/// 9.
pub async fn a_registration_posted_without_its_csrf_token_is_refused_and_stores_nothing<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let browser = hub.browser();
    let link = hub.invite(JO).await.unwrap();
    browser.get(&link).await;
    let page = browser
        .post(&link, &[("password", PASSWORD), ("confirm", PASSWORD)])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    let forged = browser
        .post(
            &link,
            &[
                ("csrf_token", "forged"),
                ("password", PASSWORD),
                ("confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(!account_exists(store, JO).await);
}

/// Beyond the cases: a person with an expired link asks for a new one.
pub async fn an_expired_link_offers_a_new_one_sent_only_to_an_invited_address_with_the_same_answer<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let browser = hub.browser();
    let old = hub.invite(JO).await.unwrap();
    hub.clock.advance(Duration::days(8));
    let page = browser.get(&old).await;
    assert!(page.has("Send me a new link"));
    let invited = browser
        .submit(
            &old,
            "/register/new-link",
            &[("email", "Jo.Bloggs@example.gov.uk")],
        )
        .await;
    let stranger = browser
        .submit(
            &old,
            "/register/new-link",
            &[("email", "nobody@example.gov.uk")],
        )
        .await;
    assert_eq!(invited.status, stranger.status);
    assert_eq!(
        invited.body, stranger.body,
        "the same page whether or not the address was invited"
    );
    let bad = browser
        .submit(&old, "/register/new-link", &[("email", "not an address")])
        .await;
    assert!(bad.has("Enter an email address in the correct format"));
    let links = hub.invitation_links().await;
    assert_eq!(
        links.len(),
        2,
        "the first invitation and one new link: {links:?}"
    );
    // Asking again at once sends nothing more.
    browser
        .submit(&old, "/register/new-link", &[("email", JO)])
        .await;
    assert!(
        hub.invitation_links().await.is_empty(),
        "a second new link within 10 minutes"
    );
    let new = links.last().unwrap();
    assert!(
        browser
            .register(new, PASSWORD, PASSWORD)
            .await
            .has("Your registration is complete")
    );
}
