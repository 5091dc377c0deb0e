//! What every page must do besides the journey: headers, plain error pages, rate limits, the
//! client's address in the audit log, the timeout notice.

use ehc_store_contract::Backend;
use reqwest::StatusCode;

use crate::support::{Hub, JO, Options, PASSWORD};

pub async fn pages_carry_security_headers_and_an_unknown_path_gets_a_plain_404<B: Backend>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let browser = hub.browser();
    let response = browser
        .client
        .get(format!("{}/sign-in", hub.base))
        .send()
        .await
        .unwrap();
    let headers = response.headers();
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    let cookie = headers["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let page = browser.get("/no/such/page").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.has("Page not found"));
}

pub async fn too_many_posts_from_one_address_get_a_429_page_and_the_audit_log_has_the_address<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::with(
        store.clone(),
        Options {
            rate_limit_burst: 5,
            ..Options::default()
        },
    )
    .await;
    let browser = hub.registered(JO).await;
    let mut last = StatusCode::OK;
    for _ in 0..8 {
        let page = browser
            .password("nobody@example.gov.uk", "Wrong!Pass1")
            .await;
        last = page.status;
        if last == StatusCode::TOO_MANY_REQUESTS {
            assert!(page.has("Too many attempts"));
            break;
        }
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    let audit = hub.store.audit().await;
    let rejected = audit
        .iter()
        .find(|e| e.kind.as_str() == "password-rejected")
        .unwrap();
    assert_eq!(rejected.origin, Some("127.0.0.1".parse().unwrap()));
}

pub async fn signed_in_pages_say_when_the_session_times_out_and_offer_to_stay_signed_in<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let browser = hub.registered(JO).await;
    browser.password(JO, PASSWORD).await;
    browser.choose("text").await;
    browser.mobile("07911 123456").await;
    browser.code(&hub.texts().await.pop().unwrap()).await;
    browser.save_recovery_codes().await;
    let tray = browser.get("/cases").await;
    assert!(tray.has("we will sign you out if you do nothing for 30 minutes"));
    assert!(tray.has("Stay signed in"));
    let stay = browser.submit("/cases", "/session/keep-alive", &[]).await;
    assert_eq!(stay.location.as_deref(), Some("/cases"));
    assert!(
        browser.get("/sign-in?timeout=1").await.location.is_some(),
        "a signed-in person goes to the tray"
    );
    assert!(
        hub.browser()
            .get("/sign-in?timeout=1")
            .await
            .has("You have been signed out because you did nothing")
    );
}
