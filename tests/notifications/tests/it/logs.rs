//! No log line of the adapters holds a secret: neither the registration link (its token) nor a
//! texted code, on the success paths nor on the failure paths.

use ehc_core::notification::dispatcher::{Dispatcher, RetryPolicy};
use ehc_core::notification::templates::Rendered;
use ehc_core::notification::{Email, Mailer, SmsSender, TextMessage};
use ehc_core::outbox::Recipient;
use ehc_core::system::SystemClock;
use ehc_core::test_support::SeededSecretSource;
use ehc_email::{MailboxDir, SmtpMailer};
use ehc_notification_tests::{MemoryQueue, NotifyOptions, NotifyStub, SmtpOptions, SmtpSink};
use ehc_sms::{NotifySms, TextLog};
use std::io::Write;
use std::sync::{Arc, Mutex};
use time::Duration;

use super::*;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn no_log_line_holds_the_link_or_the_code() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let (mail_dir, notify_dir, dev_dir) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let sink = SmtpSink::start(
        mail_dir.path(),
        &SmtpOptions {
            tempfail: 1,
            ..Default::default()
        },
    );
    let stub = NotifyStub::start(
        notify_dir.path(),
        &NotifyOptions {
            answers: vec![500],
            ..Default::default()
        },
    );
    let secrets = SeededSecretSource::new(51);
    let (mail, link) = invitation(&secrets, "jo@example.gov.uk");
    let (text, code) = sign_in_code(&secrets, "07700 900123");
    let token = link.rsplit('/').next().unwrap().to_owned();

    // Through the dispatcher: a failure then a success on each channel.
    let queue = MemoryQueue::new();
    queue.enqueue(mail.clone());
    queue.enqueue(text.clone());
    let d = Dispatcher::new(
        queue.clone(),
        SmtpMailer::new(&smtp_settings(sink.port())).unwrap(),
        NotifySms::new(&notify_settings(stub.base_url()), SystemClock).unwrap(),
        SeededSecretSource::new(52),
        templates(),
        RetryPolicy::default(),
    );
    assert_eq!(d.dispatch_due(NOW).await.unwrap().retried(), 2);
    assert_eq!(
        d.dispatch_due(NOW + Duration::hours(1))
            .await
            .unwrap()
            .sent(),
        2
    );

    // The development mailbox and text log.
    let (Recipient::Email(to), Rendered::Email(e)) =
        (&mail.recipient, templates().render(&mail.content).unwrap())
    else {
        panic!("an e-mail")
    };
    MailboxDir::new(dev_dir.path().join("mailbox"), &sender())
        .unwrap()
        .send(&Email {
            id: mail.id,
            to: to.clone(),
            subject: e.subject,
            text: e.text,
            html: e.html,
        })
        .await
        .unwrap();
    let (Recipient::Sms(number), Rendered::Text(t)) =
        (&text.recipient, templates().render(&text.content).unwrap())
    else {
        panic!("a text")
    };
    TextLog::new(dev_dir.path().join("texts.log"))
        .unwrap()
        .send(&TextMessage {
            id: text.id,
            to: number.clone(),
            body: t.body,
        })
        .await
        .unwrap();

    let logged = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    for id in [mail.id, text.id] {
        assert!(logged.contains(&id.0.to_string()), "{logged}");
    }
    assert!(
        logged.contains("451") && logged.contains("Notify answered 500"),
        "{logged}"
    );
    assert!(logged.contains("development mailbox") && logged.contains("development text log"));
    assert!(
        !logged.contains(&token),
        "the registration token is in a log line"
    );
    assert!(
        !logged.contains(&code),
        "the code is in a log line:\n{logged}"
    );
    assert!(
        !logged.contains("+447700900123"),
        "the full number is in a log line"
    );
}
