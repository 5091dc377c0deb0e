//! Text messages: cases 20–25 of auth-journey.md.

use ehc_core::outbox::Recipient;
use ehc_store_contract::Backend;
use time::Duration;

use crate::support::{Browser, Hub, JO, Options, PASSWORD};

async fn at_code_page<B: Backend>(hub: &Hub<B>, mobile: &str) -> Browser {
    let browser = hub.registered(JO).await;
    browser.password(JO, PASSWORD).await;
    browser.choose("text").await;
    assert_eq!(
        browser.mobile(mobile).await.location.as_deref(),
        Some("/sign-in/code")
    );
    browser
}

fn wrong_code(right: &str) -> &'static str {
    if right == "000000" {
        "111111"
    } else {
        "000000"
    }
}

/// 20.
pub async fn a_mobile_typed_with_plus_44_and_a_zero_gets_the_text_in_e164_and_its_code_signs_in<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let browser = at_code_page(&hub, "+44 (0)7911 123456").await;
    assert!(browser.get("/sign-in/code").await.has("+44 (0)7911 123456"));
    let code = hub.texts().await.pop().unwrap();
    assert_eq!(
        browser.code(&code).await.location.as_deref(),
        Some("/cases")
    );
    assert_eq!(hub.text_recipients().await, ["+447911123456"]);
}

/// 21.
pub async fn resend_sends_a_second_text_and_the_first_code_still_works<B: Backend>(store: &B) {
    let hub = Hub::start(store.clone()).await;
    let browser = at_code_page(&hub, "07911 123456").await;
    browser
        .submit("/sign-in/code", "/sign-in/resend", &[])
        .await;
    let codes = hub.texts().await;
    assert_eq!(codes.len(), 2);
    assert!(
        browser
            .get("/sign-in/code")
            .await
            .has("We have sent you a new code")
    );
    assert_eq!(
        browser.code(&codes[0]).await.location.as_deref(),
        Some("/cases")
    );
}

/// 22.
pub async fn a_code_used_once_is_refused_the_second_time<B: Backend>(store: &B) {
    let hub = Hub::start(store.clone()).await;
    let browser = at_code_page(&hub, "07911 123456").await;
    let code = hub.texts().await.pop().unwrap();
    assert_eq!(
        browser.code(&code).await.location.as_deref(),
        Some("/cases")
    );
    browser.save_recovery_codes().await;
    browser.sign_out().await;
    let again = hub.browser();
    again.password(JO, PASSWORD).await;
    assert!(
        again
            .code(&code)
            .await
            .has("The security code is not correct or has expired")
    );
}

/// 23.
pub async fn a_code_nine_minutes_fifty_nine_old_works_and_ten_minutes_one_second_old_does_not<
    B: Backend,
>(
    store: &B,
) {
    let options = Options {
        half_signed_in_for: Duration::minutes(30),
        ..Options::default()
    };
    let hub = Hub::with(store.clone(), options).await;
    let browser = at_code_page(&hub, "07911 123456").await;
    browser
        .submit("/sign-in/code", "/sign-in/resend", &[])
        .await;
    let codes = hub.texts().await;
    hub.clock
        .advance(Duration::minutes(9) + Duration::seconds(59));
    assert_eq!(
        browser.code(&codes[0]).await.location.as_deref(),
        Some("/cases")
    );
    browser.save_recovery_codes().await;
    browser.sign_out().await;
    let later = hub.browser();
    later.password(JO, PASSWORD).await;
    hub.clock.advance(Duration::seconds(2)); // codes[1] is now 10 min 1 s old
    assert!(
        later
            .code(&codes[1])
            .await
            .has("The security code is not correct or has expired")
    );
}

/// 24.
pub async fn five_wrong_codes_lock_so_the_right_code_is_refused_and_the_page_says_when<
    B: Backend,
>(
    store: &B,
) {
    let hub = Hub::start(store.clone()).await;
    let browser = at_code_page(&hub, "07911 123456").await;
    let code = hub.texts().await.pop().unwrap();
    for _ in 0..5 {
        browser.code(wrong_code(&code)).await;
    }
    let page = browser.code(&code).await;
    assert!(
        page.has("You have entered the wrong security code too many times"),
        "{}",
        page.body
    );
    assert!(
        page.has("You can try again after 9:15am on 30 November 2026"),
        "{}",
        page.body
    );
    assert_eq!(
        browser.get("/cases").await.location.as_deref(),
        Some("/sign-in/code")
    );
}

/// 25.
pub async fn the_sixth_send_within_the_hour_sends_nothing_and_says_why<B: Backend>(store: &B) {
    let hub = Hub::start(store.clone()).await;
    let browser = at_code_page(&hub, "07911 123456").await;
    for _ in 0..4 {
        browser
            .submit("/sign-in/code", "/sign-in/resend", &[])
            .await;
    }
    assert_eq!(hub.texts().await.len(), 5);
    browser
        .submit("/sign-in/code", "/sign-in/resend", &[])
        .await;
    assert_eq!(hub.texts().await.len(), 5, "the sixth sent nothing");
    let page = browser.get("/sign-in/code").await;
    assert!(
        page.has("You have asked for too many codes"),
        "{}",
        page.body
    );
    // Loading the page again (a GET) never sends a text either.
    browser.get("/sign-in/code").await;
    assert_eq!(hub.texts().await.len(), 5);
}

/// The code page says sending is delayed while the latest text waits in the outbox after a
/// failed attempt (GOV.UK Notify down) or for 30 seconds, and not once it is sent.
pub async fn the_code_page_says_sending_is_delayed_while_the_latest_text_waits<B: Backend>(
    store: &B,
) {
    const DELAYED: &str = "id=\"sending-delayed\"";
    let hub = Hub::start(store.clone()).await;
    let browser = at_code_page(&hub, "07911 123456").await;
    assert!(!browser.get("/sign-in/code").await.has(DELAYED));

    // A dispatcher claims the text (and the invitation e-mail) and Notify refuses the text.
    let claimed = hub
        .store
        .claim_due(10, hub.now(), Duration::minutes(1))
        .await
        .unwrap();
    let text = claimed
        .iter()
        .find(|c| matches!(c.message.recipient, Recipient::Sms(_)))
        .expect("the text");
    let failed = hub
        .store
        .mark_failed(
            text.message.id,
            "GOV.UK Notify answered 503",
            hub.now() + Duration::minutes(1),
        )
        .await
        .unwrap();
    assert!(failed);
    let page = browser.get("/sign-in/code").await;
    assert!(page.has(DELAYED), "{}", page.body);
    assert!(page.has("Sending text messages is delayed"));

    // A new code: the page follows the newest text, fresh until 30 seconds have passed.
    browser
        .submit("/sign-in/code", "/sign-in/resend", &[])
        .await;
    assert!(!browser.get("/sign-in/code").await.has(DELAYED));
    hub.clock.advance(Duration::seconds(30));
    assert!(browser.get("/sign-in/code").await.has(DELAYED));

    let claimed = hub
        .store
        .claim_due(10, hub.now(), Duration::minutes(1))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1, "the new text (the first waits a minute)");
    assert!(
        hub.store
            .mark_sent(claimed[0].message.id, hub.now())
            .await
            .unwrap()
    );
    assert!(!browser.get("/sign-in/code").await.has(DELAYED));
}
