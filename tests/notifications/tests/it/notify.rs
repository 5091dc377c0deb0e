//! The Notify adapter against a local stand-in whose token check is GOV.UK Notify's own Python
//! client (`notifications_python_client.authentication.decode_jwt_token`).

use ehc_core::notification::{SmsSender, TextMessage};
use ehc_core::outbox::Recipient;
use ehc_core::system::SystemClock;
use ehc_core::test_support::SeededSecretSource;
use ehc_notification_tests::{NotifyOptions, NotifyStub, SERVICE_ID, TEMPLATE_ID, free_port};
use ehc_sms::{NotifyApiKey, NotifySms, TextLog};

use super::*;

fn text_of(message: &OutboxMessage) -> TextMessage {
    let Recipient::Sms(to) = &message.recipient else {
        panic!("a text")
    };
    let ehc_core::notification::templates::Rendered::Text(t) =
        templates().render(&message.content).unwrap()
    else {
        panic!("a text")
    };
    TextMessage {
        id: message.id,
        to: to.clone(),
        body: t.body,
    }
}

#[tokio::test]
async fn a_text_reaches_notify_with_a_token_its_own_client_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let stub = NotifyStub::start(dir.path(), &NotifyOptions::default());
    let sms = NotifySms::new(&notify_settings(stub.base_url()), SystemClock).unwrap();
    let secrets = SeededSecretSource::new(21);
    let (message, code) = sign_in_code(&secrets, "07700 900123");

    sms.send(&text_of(&message)).await.unwrap();

    let requests = stub.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(r["answered"], 201);
    assert_eq!(r["iss"], SERVICE_ID);
    assert_eq!(r["content_type"], "application/json");
    assert_eq!(r["body"]["phone_number"], "+447700900123");
    assert_eq!(r["body"]["template_id"], TEMPLATE_ID);
    assert_eq!(r["body"]["reference"], message.id.0.to_string());
    assert_eq!(
        r["body"]["personalisation"]["body"],
        format!("{code} is your {LA_NAME} EHC Hub security code")
    );
}

#[tokio::test]
async fn notify_answers_map_to_permanent_and_transient_failures() {
    let dir = tempfile::tempdir().unwrap();
    let stub = NotifyStub::start(
        dir.path(),
        &NotifyOptions {
            answers: vec![429, 500, 503],
            invalid_number: Some("+447700900400".into()),
            ..Default::default()
        },
    );
    let sms = NotifySms::new(&notify_settings(stub.base_url()), SystemClock).unwrap();
    let secrets = SeededSecretSource::new(22);
    let (message, code) = sign_in_code(&secrets, "07700 900123");
    let text = text_of(&message);

    for status in ["429", "500", "503"] {
        let e = sms.send(&text).await.unwrap_err();
        assert!(e.is_transient(), "{status}: {e}");
        assert!(
            e.reason().starts_with(&format!("Notify answered {status}")),
            "{e}"
        );
        assert!(!e.reason().contains(&code));
    }
    sms.send(&text).await.unwrap();

    let (invalid, code) = sign_in_code(&secrets, "07700 900400");
    let e = sms.send(&text_of(&invalid)).await.unwrap_err();
    assert!(!e.is_transient(), "{e}");
    assert_eq!(
        e.reason(),
        "Notify answered 400: ValidationError: phone_number Not a UK mobile number"
    );
    assert!(!e.reason().contains(&code));
    assert_eq!(stub.accepted().len(), 1);
}

#[tokio::test]
async fn a_key_with_the_wrong_secret_is_refused_by_notify_as_permanent() {
    let dir = tempfile::tempdir().unwrap();
    let stub = NotifyStub::start(dir.path(), &NotifyOptions::default());
    let settings = ehc_sms::NotifySettings {
        api_key: NotifyApiKey::parse(&format!(
            "ehc_hub_test-{SERVICE_ID}-00000000-0000-4000-8000-000000000000"
        ))
        .unwrap(),
        ..notify_settings(stub.base_url())
    };
    let sms = NotifySms::new(&settings, SystemClock).unwrap();
    let secrets = SeededSecretSource::new(23);
    let (message, _) = sign_in_code(&secrets, "07700 900123");
    let e = sms.send(&text_of(&message)).await.unwrap_err();
    assert!(!e.is_transient(), "{e}");
    assert!(
        e.reason().starts_with("Notify answered 403: AuthError"),
        "{e}"
    );
}

#[tokio::test]
async fn notify_not_listening_is_a_transient_failure() {
    let sms = NotifySms::new(
        &notify_settings(format!("http://127.0.0.1:{}", free_port())),
        SystemClock,
    )
    .unwrap();
    let secrets = SeededSecretSource::new(24);
    let (message, code) = sign_in_code(&secrets, "07700 900123");
    let e = sms.send(&text_of(&message)).await.unwrap_err();
    assert!(e.is_transient(), "{e}");
    assert!(!e.reason().contains(&code));
}

#[tokio::test]
async fn the_development_text_log_shows_each_text() {
    let dir = tempfile::tempdir().unwrap();
    let log = TextLog::new(dir.path().join("data/texts.log")).unwrap();
    let secrets = SeededSecretSource::new(25);
    let (message, code) = sign_in_code(&secrets, "07700 900123");
    log.send(&text_of(&message)).await.unwrap();
    let written = std::fs::read_to_string(log.path()).unwrap();
    assert_eq!(
        written,
        format!(
            "--- {} to +447700900123\n{code} is your {LA_NAME} EHC Hub security code\n",
            message.id.0
        )
    );
}
