//! The dispatcher over the real adapters: every message arrives once; transient failures come
//! back later and later; permanent ones and too many attempts become dead letters; an outage of
//! both gateways loses nothing.

use ehc_core::notification::dispatcher::{Dispatcher, Outcome, RetryPolicy};
use ehc_core::outbox::{DeliveryState, OutboxQueue};
use ehc_core::system::SystemClock;
use ehc_core::test_support::SeededSecretSource;
use ehc_email::SmtpMailer;
use ehc_notification_tests::{
    MemoryQueue, NotifyOptions, NotifyStub, SmtpOptions, SmtpSink, free_port,
};
use ehc_sms::NotifySms;
use std::collections::HashMap;
use std::time::Duration as StdDuration;
use time::Duration;

use super::*;

type TestDispatcher =
    Dispatcher<MemoryQueue, SmtpMailer, NotifySms<SystemClock>, SeededSecretSource>;

fn dispatcher(
    queue: &MemoryQueue,
    smtp_port: u16,
    notify_url: String,
    policy: RetryPolicy,
) -> TestDispatcher {
    Dispatcher::new(
        queue.clone(),
        SmtpMailer::new(&smtp_settings(smtp_port)).unwrap(),
        NotifySms::new(&notify_settings(notify_url), SystemClock).unwrap(),
        SeededSecretSource::new(99),
        templates(),
        policy,
    )
}

fn counts<'a>(keys: impl Iterator<Item = String> + 'a) -> HashMap<String, usize> {
    let mut map = HashMap::new();
    for k in keys {
        *map.entry(k).or_default() += 1;
    }
    map
}

fn message_ids_received(sink: &SmtpSink) -> HashMap<String, usize> {
    counts(sink.raw_messages().iter().filter_map(|raw| {
        raw.lines()
            .find_map(|l| l.strip_prefix("Message-ID: <"))
            .and_then(|rest| rest.split('@').next())
            .map(str::to_owned)
    }))
}

fn references_accepted(stub: &NotifyStub) -> HashMap<String, usize> {
    counts(stub.accepted().iter().map(|r| {
        r["body"]["reference"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }))
}

#[tokio::test]
async fn every_due_message_is_sent_once_by_its_own_channel_and_its_secret_erased() {
    let (mail_dir, notify_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let sink = SmtpSink::start(mail_dir.path(), &SmtpOptions::default());
    let stub = NotifyStub::start(notify_dir.path(), &NotifyOptions::default());
    let queue = MemoryQueue::new();
    let secrets = SeededSecretSource::new(31);
    let mut ids = Vec::new();
    for n in 0..5 {
        let (m, _) = invitation(&secrets, &format!("person{n}@example.gov.uk"));
        ids.push(m.id);
        queue.enqueue(m);
        let (t, _) = sign_in_code(&secrets, "07700 900123");
        ids.push(t.id);
        queue.enqueue(t);
    }
    let d = dispatcher(&queue, sink.port(), stub.base_url(), RetryPolicy::default());

    let report = d.dispatch_due(NOW).await.unwrap();
    assert_eq!((report.claimed(), report.sent()), (10, 10), "{report:?}");
    assert_eq!(
        d.dispatch_due(NOW).await.unwrap().claimed(),
        0,
        "nothing is due twice"
    );

    let mails = message_ids_received(&sink);
    let texts = references_accepted(&stub);
    assert_eq!((mails.len(), texts.len()), (5, 5));
    for id in ids {
        let id = id.0.to_string();
        assert_eq!(
            mails.get(&id).or(texts.get(&id)),
            Some(&1),
            "{id} exactly once"
        );
        let entry = queue
            .entry(ehc_core::outbox::MessageId(id.parse().unwrap()))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(entry.state, DeliveryState::Sent(NOW));
        assert_eq!(entry.content, None, "the link or code is erased once sent");
    }
}

#[tokio::test]
async fn transient_failures_come_back_later_each_time_until_notify_accepts() {
    let dir = tempfile::tempdir().unwrap();
    let stub = NotifyStub::start(
        dir.path(),
        &NotifyOptions {
            answers: vec![429, 500, 503],
            ..Default::default()
        },
    );
    let queue = MemoryQueue::new();
    let secrets = SeededSecretSource::new(32);
    let (message, _) = sign_in_code(&secrets, "07700 900123");
    let id = message.id;
    queue.enqueue(message);
    let policy = RetryPolicy::default();
    let d = dispatcher(&queue, free_port(), stub.base_url(), policy.clone());

    let mut now = NOW;
    let mut waits = Vec::new();
    for attempt in 1..=3u32 {
        let report = d.dispatch_due(now).await.unwrap();
        let m = &report.messages[0];
        assert_eq!(m.attempts, attempt);
        let Outcome::Retry { at, error } = &m.outcome else {
            panic!("attempt {attempt}: {:?}", m.outcome)
        };
        assert!(error.starts_with("Notify answered"), "{error}");
        let entry = queue.entry(id).await.unwrap().unwrap();
        assert_eq!((entry.attempts, entry.next_attempt_at), (attempt, *at));
        let wait = *at - now;
        let base = policy.base_delay(attempt);
        assert!(
            wait >= base / 2 && wait <= base,
            "attempt {attempt}: {wait} within [{}, {base}]",
            base / 2
        );
        waits.push(wait);
        // Not due a moment before its time.
        assert_eq!(
            d.dispatch_due(*at - Duration::milliseconds(1))
                .await
                .unwrap()
                .claimed(),
            0
        );
        now = *at;
    }
    assert!(
        waits.windows(2).all(|w| w[0] <= w[1]),
        "later and later: {waits:?}"
    );

    let report = d.dispatch_due(now).await.unwrap();
    assert_eq!(report.messages[0].attempts, 4);
    assert_eq!(report.messages[0].outcome, Outcome::Sent);
    let requests = stub.requests();
    let answered: Vec<_> = requests
        .iter()
        .map(|r| r["answered"].as_u64().unwrap())
        .collect();
    assert_eq!(answered, [429, 500, 503, 201]);
    assert!(
        requests
            .iter()
            .all(|r| r["body"]["reference"] == id.0.to_string()),
        "one reference for every attempt"
    );
}

#[tokio::test]
async fn permanent_failures_become_dead_letters_at_once_and_the_rest_of_the_batch_is_sent() {
    let (mail_dir, notify_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let sink = SmtpSink::start(
        mail_dir.path(),
        &SmtpOptions {
            reject_rcpt: Some("nobody".into()),
            ..Default::default()
        },
    );
    let stub = NotifyStub::start(
        notify_dir.path(),
        &NotifyOptions {
            invalid_number: Some("+447700900400".into()),
            ..Default::default()
        },
    );
    let queue = MemoryQueue::new();
    let secrets = SeededSecretSource::new(33);
    let (rejected, _) = invitation(&secrets, "nobody@example.gov.uk");
    let (invalid, _) = sign_in_code(&secrets, "07700 900400");
    let (good_mail, _) = invitation(&secrets, "jo@example.gov.uk");
    let (good_text, _) = sign_in_code(&secrets, "07700 900123");
    let dead = [rejected.id, invalid.id];
    for m in [rejected, invalid, good_mail, good_text] {
        queue.enqueue(m);
    }
    let d = dispatcher(&queue, sink.port(), stub.base_url(), RetryPolicy::default());

    let report = d.dispatch_due(NOW).await.unwrap();
    assert_eq!(
        (report.sent(), report.dead_lettered(), report.retried()),
        (2, 2, 0)
    );
    let letters = queue.dead_letters(10).await.unwrap();
    assert_eq!(letters.iter().map(|e| e.id).collect::<Vec<_>>(), dead);
    assert!(letters[0].last_error.as_deref().unwrap().contains("550"));
    assert_eq!(
        letters[1].last_error.as_deref(),
        Some("Notify answered 400: ValidationError: phone_number Not a UK mobile number")
    );
    assert!(letters.iter().all(|e| e.attempts == 1));
    assert_eq!(
        d.dispatch_due(NOW + Duration::days(1))
            .await
            .unwrap()
            .claimed(),
        0,
        "never claimed again"
    );
}

#[tokio::test]
async fn too_many_transient_failures_make_a_dead_letter_which_an_operator_can_retry() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let queue = MemoryQueue::new();
    let secrets = SeededSecretSource::new(34);
    let (message, link) = invitation(&secrets, "jo@example.gov.uk");
    let id = message.id;
    queue.enqueue(message);
    let policy = RetryPolicy {
        max_attempts: 3,
        ..RetryPolicy::default()
    };
    let d = dispatcher(&queue, port, "http://127.0.0.1:9".into(), policy);

    let mut now = NOW;
    for _ in 0..2 {
        let report = d.dispatch_due(now).await.unwrap();
        let Outcome::Retry { at, .. } = report.messages[0].outcome else {
            panic!("{report:?}")
        };
        now = at;
    }
    let report = d.dispatch_due(now).await.unwrap();
    let Outcome::DeadLetter { error } = &report.messages[0].outcome else {
        panic!("{report:?}")
    };
    assert!(
        error.starts_with("gave up after 3 attempts: the SMTP relay could not take the email"),
        "{error}"
    );
    assert!(!error.contains(&link));
    assert!(matches!(
        queue.entry(id).await.unwrap().unwrap().state,
        DeliveryState::DeadLetter(_)
    ));

    // The relay is back; the operator puts the dead letter back in the queue.
    let sink = SmtpSink::start(
        dir.path(),
        &SmtpOptions {
            port: Some(port),
            ..Default::default()
        },
    );
    assert!(queue.retry_dead_letter(id, now).await.unwrap());
    let report = d.dispatch_due(now).await.unwrap();
    assert_eq!((report.sent(), report.messages[0].attempts), (1, 1));
    assert_eq!(sink.raw_messages().len(), 1);
}

#[tokio::test]
async fn an_outage_of_both_gateways_loses_nothing() {
    let (mail_dir, notify_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (smtp_port, notify_port) = (free_port(), free_port());
    let queue = MemoryQueue::new();
    let secrets = SeededSecretSource::new(35);
    for n in 0..15 {
        queue.enqueue(invitation(&secrets, &format!("p{n}@example.gov.uk")).0);
        queue.enqueue(sign_in_code(&secrets, "07700 900123").0);
    }
    let d = dispatcher(
        &queue,
        smtp_port,
        format!("http://127.0.0.1:{notify_port}"),
        RetryPolicy {
            batch_size: 50,
            ..RetryPolicy::default()
        },
    );

    // Both gateways refuse connections: every attempt fails and is retried.
    let mut now = NOW;
    for _ in 0..3 {
        let report = d.dispatch_due(now).await.unwrap();
        assert_eq!(report.sent(), 0);
        assert_eq!(report.dead_lettered(), 0);
        now += Duration::hours(1);
    }
    assert_eq!(queue.pending(), 30);

    // They come back on the same ports.
    let sink = SmtpSink::start(
        mail_dir.path(),
        &SmtpOptions {
            port: Some(smtp_port),
            ..Default::default()
        },
    );
    let stub = NotifyStub::start(
        notify_dir.path(),
        &NotifyOptions {
            port: Some(notify_port),
            ..Default::default()
        },
    );
    while queue.pending() > 0 {
        d.dispatch_due(now).await.unwrap();
        now += Duration::minutes(5);
        assert!(
            now < NOW + Duration::days(1),
            "still pending: {}",
            queue.pending()
        );
    }
    assert!(sink.wait_for(15, StdDuration::from_secs(5)) >= 15);
    let mails = message_ids_received(&sink);
    let texts = references_accepted(&stub);
    assert_eq!((mails.len(), texts.len()), (15, 15));
    assert!(
        mails.values().chain(texts.values()).all(|&n| n == 1),
        "no duplicates"
    );
    assert!(
        queue
            .entries()
            .iter()
            .all(|e| matches!(e.state, DeliveryState::Sent(_)) && e.attempts == 4)
    );
}
