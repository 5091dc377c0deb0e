//! A dispatcher process for the crash test: delivers the outbox of one SQLite hub database to
//! an SMTP server and a Notify stand-in, one batch after another, until it is killed or nothing
//! has been due for a while.
//!
//! `notify-dispatcher DB SMTP_PORT NOTIFY_URL LEASE_SECS PAUSE_MS IDLE_EXIT_SECS`

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test tool: a failed set-up stops it with its message"
)]

use ehc_core::notification::dispatcher::{Dispatcher, RetryPolicy};
use ehc_core::notification::templates::MessageTemplates;
use ehc_core::ports::Clock;
use ehc_core::system::{OsSecretSource, SystemClock};
use ehc_email::{Sender, SmtpMailer, SmtpSecurity, SmtpSettings};
use ehc_sms::{NotifyApiKey, NotifySettings, NotifySms};
use ehc_store_sqlite::{SqliteStore, SqliteStoreOptions};
use std::time::{Duration, Instant};

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, db, smtp_port, notify_url, lease, pause, idle_exit] = args.as_slice() else {
        panic!(
            "usage: notify-dispatcher DB SMTP_PORT NOTIFY_URL LEASE_SECS PAUSE_MS IDLE_EXIT_SECS"
        )
    };
    let store = SqliteStore::open_file(db, SqliteStoreOptions::default())
        .await
        .unwrap();
    let dispatcher = Dispatcher::new(
        store,
        SmtpMailer::new(&SmtpSettings {
            host: "127.0.0.1".into(),
            port: Some(smtp_port.parse().unwrap()),
            security: SmtpSecurity::None,
            username: None,
            password: None,
            timeout_seconds: 5,
            from: Sender {
                address: "ehc-hub@example.gov.uk".into(),
                name: "Anytown Council".into(),
                message_id_domain: None,
            },
        })
        .unwrap(),
        NotifySms::new(
            &NotifySettings {
                base_url: notify_url.clone(),
                api_key: NotifyApiKey::parse(&ehc_notification_tests::api_key()).unwrap(),
                template_id: ehc_notification_tests::TEMPLATE_ID.parse().unwrap(),
                timeout_seconds: 5,
            },
            SystemClock,
        )
        .unwrap(),
        OsSecretSource,
        MessageTemplates {
            la_name: "Anytown Council".into(),
            base_url: "https://ehc.example.gov.uk".into(),
            ..Default::default()
        },
        RetryPolicy {
            lease: time::Duration::seconds(lease.parse().unwrap()),
            batch_size: 10,
            first_retry_after: time::Duration::seconds(1),
            ..RetryPolicy::default()
        },
    );
    let pause = Duration::from_millis(pause.parse().unwrap());
    let idle_exit = Duration::from_secs(idle_exit.parse().unwrap());
    let mut last_work = Instant::now();
    loop {
        let report = dispatcher.dispatch_due(SystemClock.now()).await.unwrap();
        if report.claimed() > 0 {
            last_work = Instant::now();
            println!(
                "claimed {} sent {} retried {}",
                report.claimed(),
                report.sent(),
                report.retried()
            );
        } else if last_work.elapsed() > idle_exit {
            return;
        }
        tokio::time::sleep(pause).await;
    }
}
