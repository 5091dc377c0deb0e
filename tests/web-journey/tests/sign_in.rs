//! Sign-in and sessions: cases 10–13 of auth-journey.md.

use ehc_store_contract::Backend;
use reqwest::StatusCode;
use reqwest::redirect::Policy;

use crate::support::{Hub, JO, PASSWORD};

/// 10.
pub async fn an_unknown_address_and_a_wrong_password_get_the_same_message_and_status<B: Backend>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    hub.registered(JO).await;
    let unknown = hub
        .browser()
        .password("nobody@example.gov.uk", PASSWORD)
        .await;
    let wrong = hub.browser().password(JO, "Harbour!Lights8").await;
    assert_eq!(unknown.status, wrong.status);
    let message = "Enter a correct email address and password";
    assert!(unknown.has(message) && wrong.has(message));
    assert!(
        wrong.has("value=\"jo.bloggs@example.gov.uk\""),
        "the address is kept"
    );
}

/// 11.
pub async fn after_the_password_and_before_the_code_the_work_tray_sends_to_the_second_factor<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let browser = hub.registered(JO).await;
    browser.password(JO, PASSWORD).await;
    let tray = browser.get("/cases").await;
    assert_eq!(tray.status, StatusCode::SEE_OTHER);
    assert_eq!(tray.location.as_deref(), Some("/sign-in/method"));
    browser.choose("text").await;
    browser.mobile("07911 123456").await;
    assert_eq!(
        browser.get("/cases").await.location.as_deref(),
        Some("/sign-in/code")
    );
}

async fn with_cookie(hub_base: &str, cookie: &str, path: &str) -> reqwest::Response {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
        .get(format!("{hub_base}{path}"))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
}

/// 12.
pub async fn the_session_cookie_changes_after_the_password_and_after_the_code_and_the_first_reaches_nothing<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let browser = hub.registered(JO).await;
    let first = browser
        .get("/sign-in")
        .await
        .session_cookie
        .expect("a session for the form");
    let after_password = browser
        .password(JO, PASSWORD)
        .await
        .session_cookie
        .expect("a new id");
    assert_ne!(first, after_password);
    browser.choose("text").await;
    browser.mobile("07911 123456").await;
    let code = hub.texts().await.pop().unwrap();
    let signed_in = browser.code(&code).await;
    assert_eq!(signed_in.location.as_deref(), Some("/cases"));
    let after_code = signed_in.session_cookie.expect("a new id after the code");
    browser.save_recovery_codes().await;
    assert_ne!(after_code, after_password);
    for old in [&first, &after_password] {
        let r = with_cookie(&hub.base, old, "/cases").await;
        assert_eq!(
            r.headers()["location"],
            "/sign-in",
            "{old} still reaches something"
        );
    }
    assert_eq!(
        with_cookie(&hub.base, &after_code, "/cases").await.status(),
        StatusCode::OK
    );
}

/// 13.
pub async fn after_sign_out_the_old_session_cookie_reaches_nothing<B: Backend>(store: &B) {
    let hub = Hub::start(store.clone()).await;
    let browser = hub.registered(JO).await;
    browser.password(JO, PASSWORD).await;
    browser.choose("text").await;
    browser.mobile("07911 123456").await;
    let code = hub.texts().await.pop().unwrap();
    let cookie = browser.code(&code).await.session_cookie.unwrap();
    browser.save_recovery_codes().await;
    assert!(browser.sign_out().await.has("You have signed out"));
    let r = with_cookie(&hub.base, &cookie, "/cases").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/sign-in");
}

/// Review finding: a password step from a half-signed-in session (someone else's, planted)
/// issues a new id, so whoever knew the old one reaches nothing of the new sign-in.
pub async fn a_password_step_from_a_half_signed_in_session_issues_a_new_id<B: Backend>(store: &B) {
    let hub = Hub::start(store.clone()).await;
    hub.registered("eve@example.gov.uk").await;
    hub.registered(JO).await;
    let shared = hub.browser();
    let planted = shared
        .password("eve@example.gov.uk", PASSWORD)
        .await
        .session_cookie
        .unwrap();
    let jo = shared.password(JO, PASSWORD).await;
    let jo_cookie = jo.session_cookie.expect("a new id for Jo's password step");
    assert_ne!(planted, jo_cookie);
    let r = with_cookie(&hub.base, &planted, "/sign-in/method").await;
    assert_eq!(
        r.headers()["location"],
        "/sign-in",
        "the planted id reaches nothing"
    );
    assert_eq!(
        with_cookie(&hub.base, &jo_cookie, "/sign-in/method")
            .await
            .status(),
        StatusCode::OK
    );
}
