//! The SMTP adapter against a real SMTP server (aiosmtpd) on loopback.

use ehc_core::notification::templates::Rendered;
use ehc_core::notification::{Email, Mailer};
use ehc_core::outbox::Recipient;
use ehc_core::test_support::SeededSecretSource;
use ehc_email::{MailboxDir, SmtpMailer};
use ehc_notification_tests::{SmtpOptions, SmtpSink, free_port};

use super::*;

fn rendered_email(message: &OutboxMessage) -> Email {
    let Recipient::Email(to) = &message.recipient else {
        panic!("an e-mail")
    };
    let Rendered::Email(e) = templates().render(&message.content).unwrap() else {
        panic!("an e-mail")
    };
    Email {
        id: message.id,
        to: to.clone(),
        subject: e.subject,
        text: e.text,
        html: e.html,
    }
}

#[tokio::test]
async fn an_invitation_reaches_the_relay_with_the_la_name_encoded_the_link_and_its_message_id() {
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(dir.path(), &SmtpOptions::default());
    let mailer = SmtpMailer::new(&smtp_settings(sink.port())).unwrap();
    let secrets = SeededSecretSource::new(11);
    let (message, link) = invitation(&secrets, "Jo.Bloggs@Example.GOV.UK");

    mailer.send(&rendered_email(&message)).await.unwrap();

    let mails = sink.parsed();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    let p = &mail.parsed;
    assert_eq!(mail.rcpt_tos, ["Jo.Bloggs@Example.GOV.UK"]);
    assert_eq!(mail.mail_from, "ehc-hub@ynysmon.example.gov.uk");
    assert_eq!(p["from_name"], LA_NAME, "decoded by Python's email parser");
    assert_eq!(p["from_addr"], "ehc-hub@ynysmon.example.gov.uk");
    let from_raw = p["from_raw"].as_str().unwrap();
    assert!(
        from_raw.starts_with("=?utf-8?") && !from_raw.contains('ô'),
        "the non-ASCII name is RFC 2047-encoded on the wire: {from_raw}"
    );
    assert_eq!(
        p["subject"],
        format!("Complete your registration for the {LA_NAME} EHC Hub")
    );
    assert_eq!(
        p["message_id"],
        format!("<{}@ynysmon.example.gov.uk>", message.id.0)
    );
    assert_eq!(p["content_type"], "multipart/alternative");
    let parts = p["parts"].as_array().unwrap();
    assert_eq!(parts[0]["content_type"], "text/plain");
    assert_eq!(parts[1]["content_type"], "text/html");
    // Python keeps the wire's CRLF line ends in decoded parts.
    let text = &parts[0]["text"].as_str().unwrap().replace("\r\n", "\n");
    let html = &parts[1]["text"].as_str().unwrap().replace("\r\n", "\n");
    assert!(
        text.contains(&format!("Complete your registration:\n{link}\n")),
        "{text}"
    );
    assert!(html.contains(&format!("<a href=\"{link}\"")), "{html}");
    assert!(
        text.trim_end().ends_with(CONTACT),
        "contact details at the bottom: {text}"
    );
    assert!(html.contains("SEND team, Council Offices, Llangefni<br>"));
    assert!(
        text.contains("* Parent or carer")
            && text.contains("* SENDCo for education setting 100001")
    );

    // Nothing else secret and nothing about the child: the case id appears nowhere.
    let case_id = case().0.to_string();
    for form in [case_id.clone(), case_id.replace('-', "")] {
        assert!(!mail.raw.contains(&form) && !text.contains(&form) && !html.contains(&form));
    }
    assert_eq!(
        mail.raw.matches("/register/").count(),
        2,
        "the link once per part"
    );
}

#[tokio::test]
async fn the_relay_gets_credentials_when_they_are_configured() {
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(
        dir.path(),
        &SmtpOptions {
            auth: Some(("hub".into(), "Relay-Pass-1".into())),
            ..Default::default()
        },
    );
    let secrets = SeededSecretSource::new(12);
    let (message, _) = invitation(&secrets, "jo@example.gov.uk");

    let wrong = SmtpMailer::new(&ehc_email::SmtpSettings {
        username: Some("hub".into()),
        password: Some("wrong".into()),
        ..smtp_settings(sink.port())
    })
    .unwrap();
    let refused = wrong.send(&rendered_email(&message)).await.unwrap_err();
    assert!(!refused.is_transient(), "535 is permanent: {refused}");
    assert!(!refused.reason().contains("Relay-Pass-1") && !refused.reason().contains("wrong"));

    let right = SmtpMailer::new(&ehc_email::SmtpSettings {
        username: Some("hub".into()),
        password: Some("Relay-Pass-1".into()),
        ..smtp_settings(sink.port())
    })
    .unwrap();
    right.send(&rendered_email(&message)).await.unwrap();
    assert_eq!(sink.raw_messages().len(), 1);
}

#[tokio::test]
async fn a_rejected_recipient_is_permanent_and_a_busy_relay_is_transient() {
    let dir = tempfile::tempdir().unwrap();
    let sink = SmtpSink::start(
        dir.path(),
        &SmtpOptions {
            reject_rcpt: Some("nobody".into()),
            tempfail: 1,
            ..Default::default()
        },
    );
    let mailer = SmtpMailer::new(&smtp_settings(sink.port())).unwrap();
    let secrets = SeededSecretSource::new(13);

    let (to_nobody, link) = invitation(&secrets, "nobody@example.gov.uk");
    let e = mailer.send(&rendered_email(&to_nobody)).await.unwrap_err();
    assert!(!e.is_transient(), "550 is permanent: {e}");
    assert!(e.reason().contains("550"), "{e}");
    assert!(!e.reason().contains(&link));

    let (message, _) = invitation(&secrets, "jo@example.gov.uk");
    let e = mailer.send(&rendered_email(&message)).await.unwrap_err();
    assert!(e.is_transient(), "451 is transient: {e}");
    mailer.send(&rendered_email(&message)).await.unwrap();
    assert_eq!(sink.raw_messages().len(), 1);
}

#[tokio::test]
async fn a_relay_that_is_not_listening_is_a_transient_failure() {
    let mailer = SmtpMailer::new(&smtp_settings(free_port())).unwrap();
    let secrets = SeededSecretSource::new(14);
    let (message, _) = invitation(&secrets, "jo@example.gov.uk");
    let e = mailer.send(&rendered_email(&message)).await.unwrap_err();
    assert!(e.is_transient(), "{e}");
}

#[tokio::test]
async fn the_development_mailbox_writes_what_smtp_would_carry() {
    let dir = tempfile::tempdir().unwrap();
    let mailbox = MailboxDir::new(dir.path().join("data/mail"), &sender()).unwrap();
    let secrets = SeededSecretSource::new(15);
    let (message, link) = invitation(&secrets, "jo@example.gov.uk");
    mailbox.send(&rendered_email(&message)).await.unwrap();
    let path = dir.path().join(format!("data/mail/{}.eml", message.id.0));
    let raw = std::fs::read_to_string(&path).unwrap();
    assert!(raw.contains(&format!(
        "Message-ID: <{}@ynysmon.example.gov.uk>",
        message.id.0
    )));
    // The text part is quoted-printable or plain; the link is in it either way once decoded,
    // and always in the HTML part's href after decoding — check with Python's parser.
    let out = std::process::Command::new(ehc_notification_tests::python())
        .arg(
            ehc_notification_tests::workspace_root()
                .join("tests/notifications/support/parse_mail.py"),
        )
        .arg(&path)
        .output()
        .unwrap();
    let parsed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(parsed["from_name"], LA_NAME);
    assert!(parsed["parts"][0]["text"].as_str().unwrap().contains(&link));
}
