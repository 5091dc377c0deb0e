//! Throughput of the notification dispatcher: messages per second through
//! [`Dispatcher::dispatch_due`] to a real SMTP server (aiosmtpd) and to the GOV.UK Notify
//! stand-in, both on loopback, with 1 and 4 dispatchers sharing one in-memory queue; and, as
//! the reference measured in the same run, the same adapters sending the same rendered
//! messages in a plain loop with as many concurrent senders (the gateway's own ceiling).
//!
//! Run with `cargo bench -p ehc-notification-tests --bench dispatch` (after
//! `scripts/test-deps`). Under `cargo test --all-targets` it only checks that it starts.
//! Environment: `EHC_BENCH_MESSAGES` (messages per run, default 1000), `EHC_BENCH_RUNS`
//! (runs per figure, default 3; the median is printed).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    reason = "a benchmark binary: a failed set-up stops it with its message"
)]

use ehc_core::account::EmailAddress;
use ehc_core::invitation::InvitationToken;
use ehc_core::notification::dispatcher::{Dispatcher, RetryPolicy};
use ehc_core::notification::templates::{MessageTemplates, Rendered};
use ehc_core::notification::{Email, Mailer, SmsSender, TextMessage};
use ehc_core::outbox::{MessageContent, MessageId, OutboxMessage, Recipient};
use ehc_core::role::Role;
use ehc_core::second_factor::{PhoneNumber, SmsCode};
use ehc_core::system::SystemClock;
use ehc_core::test_support::SeededSecretSource;
use ehc_email::{Sender, SmtpMailer, SmtpSecurity, SmtpSettings};
use ehc_notification_tests::{MemoryQueue, NotifyOptions, NotifyStub, SmtpOptions, SmtpSink};
use ehc_sms::{NotifyApiKey, NotifySettings, NotifySms};
use std::sync::{Arc, Mutex};
use std::time::Instant;
use time::macros::datetime;

const NOW: time::OffsetDateTime = datetime!(2026-11-30 09:00 UTC);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Channel {
    Email,
    Text,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Way {
    /// Through the dispatcher (claim, render, send, mark sent).
    Dispatcher,
    /// The adapter alone, messages rendered beforehand: the reference.
    AdapterOnly,
}

fn messages(channel: Channel, n: usize) -> Vec<OutboxMessage> {
    let secrets = SeededSecretSource::new(n as u64);
    (0..n)
        .map(|i| {
            let (recipient, content) = match channel {
                Channel::Email => (
                    Recipient::Email(
                        EmailAddress::parse(&format!("person{i}@example.gov.uk")).unwrap(),
                    ),
                    MessageContent::Invitation {
                        token: InvitationToken::generate(&secrets).unwrap(),
                        roles: vec![Role::LaOfficer],
                    },
                ),
                Channel::Text => (
                    Recipient::Sms(PhoneNumber::parse("07700 900123", true).unwrap()),
                    MessageContent::SignInCode {
                        code: SmsCode::generate(&secrets).unwrap(),
                    },
                ),
            };
            OutboxMessage {
                id: MessageId::generate(&secrets).unwrap(),
                recipient,
                content,
                created_at: NOW,
            }
        })
        .collect()
}

fn templates() -> MessageTemplates {
    MessageTemplates {
        la_name: "Anytown Council".into(),
        base_url: "https://ehc.example.gov.uk".into(),
        ..Default::default()
    }
}

fn mailer(smtp_port: u16) -> SmtpMailer {
    SmtpMailer::new(&SmtpSettings {
        host: "127.0.0.1".into(),
        port: Some(smtp_port),
        security: SmtpSecurity::None,
        username: None,
        password: None,
        timeout_seconds: 30,
        from: Sender {
            address: "ehc-hub@example.gov.uk".into(),
            name: "Anytown Council".into(),
            message_id_domain: None,
        },
    })
    .unwrap()
}

fn notify(notify_url: &str) -> NotifySms<SystemClock> {
    NotifySms::new(
        &NotifySettings {
            base_url: notify_url.to_owned(),
            api_key: NotifyApiKey::parse(&ehc_notification_tests::api_key()).unwrap(),
            template_id: ehc_notification_tests::TEMPLATE_ID.parse().unwrap(),
            timeout_seconds: 30,
        },
        SystemClock,
    )
    .unwrap()
}

/// Messages per second through `workers` dispatchers sharing one queue of `n` messages.
async fn through_dispatchers(
    channel: Channel,
    workers: usize,
    n: usize,
    smtp_port: u16,
    notify_url: &str,
) -> f64 {
    let queue = MemoryQueue::new();
    for m in messages(channel, n) {
        queue.enqueue(m);
    }
    let start = Instant::now();
    let mut tasks = Vec::new();
    for k in 0..workers {
        let d = Dispatcher::new(
            queue.clone(),
            mailer(smtp_port),
            notify(notify_url),
            SeededSecretSource::new(k as u64),
            templates(),
            RetryPolicy::default(),
        );
        tasks.push(tokio::spawn(async move {
            let mut sent = 0;
            loop {
                let report = d.dispatch_due(NOW).await.unwrap();
                if report.claimed() == 0 {
                    return sent;
                }
                assert_eq!(report.sent(), report.claimed(), "{report:?}");
                sent += report.sent();
            }
        }));
    }
    let mut sent = 0;
    for t in tasks {
        sent += t.await.unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(sent, n);
    n as f64 / secs
}

enum Item {
    Email(Email),
    Text(TextMessage),
}

/// Messages per second through `workers` senders calling the adapter directly.
async fn adapter_only(
    channel: Channel,
    workers: usize,
    n: usize,
    smtp_port: u16,
    notify_url: &str,
) -> f64 {
    let t = templates();
    let items: Vec<Item> = messages(channel, n)
        .into_iter()
        .map(|m| match (m.recipient, t.render(&m.content).unwrap()) {
            (Recipient::Email(to), Rendered::Email(e)) => Item::Email(Email {
                id: m.id,
                to,
                subject: e.subject,
                text: e.text,
                html: e.html,
            }),
            (Recipient::Sms(to), Rendered::Text(x)) => Item::Text(TextMessage {
                id: m.id,
                to,
                body: x.body,
            }),
            _ => unreachable!(),
        })
        .collect();
    let items = Arc::new(Mutex::new(items));
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let items = items.clone();
        let (m, s) = (mailer(smtp_port), notify(notify_url));
        tasks.push(tokio::spawn(async move {
            let mut sent = 0;
            loop {
                let next = items.lock().unwrap().pop();
                match next {
                    None => return sent,
                    Some(Item::Email(e)) => m.send(&e).await.unwrap(),
                    Some(Item::Text(x)) => s.send(&x).await.unwrap(),
                }
                sent += 1;
            }
        }));
    }
    let mut sent = 0;
    for t in tasks {
        sent += t.await.unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(sent, n);
    n as f64 / secs
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        println!(
            "dispatch benchmark: run it with `cargo bench -p ehc-notification-tests --bench dispatch`"
        );
        return;
    }
    let env = |k: &str, d: usize| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let n = env("EHC_BENCH_MESSAGES", 1000);
    let runs = env("EHC_BENCH_RUNS", 3);
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores)
        .enable_all()
        .build()
        .unwrap();
    println!(
        "cores: {cores}; {n} messages per run; median of {runs} runs; batch size 20; queue in memory"
    );
    println!("channel\tworkers\tdispatcher msg/s\tadapter-only msg/s\tratio");
    for channel in [Channel::Email, Channel::Text] {
        for workers in [1, 4] {
            let mut rates = [Vec::new(), Vec::new()];
            for _ in 0..runs {
                for (slot, way) in [Way::Dispatcher, Way::AdapterOnly].into_iter().enumerate() {
                    // Fresh servers for each run, so earlier runs' files do not slow later ones.
                    let mail_dir = tempfile::tempdir().unwrap();
                    let notify_dir = tempfile::tempdir().unwrap();
                    let sink = SmtpSink::start(mail_dir.path(), &SmtpOptions::default());
                    let stub = NotifyStub::start(notify_dir.path(), &NotifyOptions::default());
                    let url = stub.base_url();
                    let rate = runtime.block_on(async {
                        match way {
                            Way::Dispatcher => {
                                through_dispatchers(channel, workers, n, sink.port(), &url).await
                            }
                            Way::AdapterOnly => {
                                adapter_only(channel, workers, n, sink.port(), &url).await
                            }
                        }
                    });
                    let received = match channel {
                        Channel::Email => sink.wait_for(n, std::time::Duration::from_secs(30)),
                        Channel::Text => stub.accepted().len(),
                    };
                    assert_eq!(received, n, "every message arrived");
                    rates[slot].push(rate);
                }
            }
            let [d, a] = rates;
            let (d, a) = (median(d), median(a));
            println!("{channel:?}\t{workers}\t{d:.0}\t{a:.0}\t{:.2}", d / a);
        }
    }
}
