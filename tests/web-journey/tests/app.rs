//! The authenticator app: cases 14–19 of auth-journey.md.

use ehc_store_contract::Backend;
use time::{Duration, OffsetDateTime};

use crate::support::{Hub, JO, Options, PASSWORD, decode_qr, oathtool};

/// Registers, signs in and chooses the app; returns the browser on the set-up page and the key.
async fn at_app_set_up<B: Backend>(hub: &Hub<B>) -> (crate::support::Browser, String) {
    let browser = hub.registered(JO).await;
    browser.password(JO, PASSWORD).await;
    assert_eq!(
        browser.choose("app").await.location.as_deref(),
        Some("/sign-in/app")
    );
    let page = browser.get("/sign-in/app").await;
    (browser, page.text_of("key"))
}

/// 14.
pub async fn the_key_is_shown_in_groups_of_four_and_the_qr_code_holds_the_same_key<B: Backend>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let (browser, key) = at_app_set_up(&hub).await;
    let groups: Vec<&str> = key.split(' ').collect();
    assert_eq!(groups.len(), 8, "{key}");
    assert!(groups.iter().all(|g| {
        g.len() == 4
            && g.bytes()
                .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
    }));
    let qr_page = browser.get("/sign-in/app?qr=1").await;
    assert!(qr_page.has("Use a QR code instead") || qr_page.has("Enter a key instead"));
    let uri = decode_qr(&qr_page.body);
    assert!(
        uri.starts_with("otpauth://totp/Anytown%20Council:"),
        "{uri}"
    );
    assert!(
        uri.contains(&format!("secret={}", key.replace(' ', ""))),
        "{uri}"
    );
    assert!(uri.contains("issuer=Anytown%20Council"), "{uri}");
    let secret = uri
        .split("secret=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    assert!(
        !secret.contains('=') && !secret.contains("%3D"),
        "no padding: {uri}"
    );
    assert!(
        !uri.contains("algorithm=") || uri.contains("algorithm=SHA1"),
        "{uri}"
    );
}

/// 15, 16.
pub async fn the_code_oathtool_prints_signs_in_once_and_not_twice<B: Backend>(store: &B) {
    let hub = Hub::start(store.clone()).await;
    let (browser, key) = at_app_set_up(&hub).await;
    let code = oathtool(&key, hub.now());
    let page = browser.code(&code).await;
    assert_eq!(page.location.as_deref(), Some("/cases"));
    assert_eq!(
        browser.get("/cases").await.location.as_deref(),
        Some("/sign-in/recovery-codes"),
        "the new recovery codes come first"
    );
    browser.save_recovery_codes().await;
    assert!(browser.get("/cases").await.has("My cases in progress"));
    // A second sign-in in the same 30 s with the same code.
    let other = hub.browser();
    assert_eq!(
        other.password(JO, PASSWORD).await.location.as_deref(),
        Some("/sign-in/code")
    );
    let again = other.code(&code).await;
    assert!(again.has("The security code is not correct or has expired"));
    assert_eq!(
        other.get("/cases").await.location.as_deref(),
        Some("/sign-in/code")
    );
}

/// 17.
pub async fn at_the_rfc_time_081804_is_accepted_and_81804_is_refused<B: Backend>(store: &B) {
    let start = OffsetDateTime::from_unix_timestamp(1_111_111_109).unwrap();
    let options = Options {
        start,
        rfc_totp_seed: true,
        ..Options::default()
    };
    let hub = Hub::with(store.clone(), options).await;
    let (browser, key) = at_app_set_up(&hub).await;
    assert_eq!(key, "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ");
    let short = browser.code("81804").await;
    assert!(short.has("The security code must be 6 digits"));
    assert_eq!(
        browser.code("081804").await.location.as_deref(),
        Some("/cases")
    );
}

/// 18.
pub async fn start_again_from_the_app_returns_to_the_choice_and_texts_can_then_be_set_up<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let (browser, _) = at_app_set_up(&hub).await;
    let page = browser
        .submit("/sign-in/app", "/sign-in/start-again", &[])
        .await;
    assert_eq!(page.location.as_deref(), Some("/sign-in/method"));
    browser.choose("text").await;
    browser.mobile("07911 123456").await;
    let code = hub.texts().await.pop().unwrap();
    assert_eq!(
        browser.code(&code).await.location.as_deref(),
        Some("/cases")
    );
}

/// 19.
pub async fn an_la_name_with_a_colon_still_gives_a_readable_qr_code_whose_issuer_has_no_colon<
    B: Backend,
>(
    store: &B,
) {
    let options = Options {
        la_name: "Borough of Anytown: SEND Service",
        ..Options::default()
    };
    let hub = Hub::with(store.clone(), options).await;
    let (browser, key) = at_app_set_up(&hub).await;
    let uri = decode_qr(&browser.get("/sign-in/app?qr=1").await.body);
    let issuer = "Borough%20of%20Anytown%20SEND%20Service";
    assert!(
        uri.starts_with(&format!("otpauth://totp/{issuer}:")),
        "{uri}"
    );
    assert!(uri.ends_with(&format!("&issuer={issuer}")), "{uri}");
    // An authenticator reading that URI produces codes the hub accepts.
    let later = hub.now() + Duration::seconds(1);
    hub.clock.set(later);
    assert_eq!(
        browser
            .code(&oathtool(&key, later))
            .await
            .location
            .as_deref(),
        Some("/cases")
    );
}
