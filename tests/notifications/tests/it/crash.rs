//! A dispatcher process killed (SIGKILL) in the middle of a batch loses no message: queue 200
//! in a SQLite hub database, kill the dispatcher while it sends, start it again; every message
//! arrives, and the duplicates (sent, but not yet recorded when it died) are counted.

use ehc_core::outbox::{DeliveryState, OutboxQueue};
use ehc_core::ports::{Clock, Store};
use ehc_core::system::SystemClock;
use ehc_core::test_support::SeededSecretSource;
use ehc_notification_tests::{NotifyOptions, NotifyStub, SmtpOptions, SmtpSink, wait_until};
use ehc_store_sqlite::{SqliteStore, SqliteStoreOptions};
use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::*;

fn delivered(sink: &SmtpSink, stub: &NotifyStub) -> HashMap<String, usize> {
    let mut map: HashMap<String, usize> = HashMap::new();
    for raw in sink.raw_messages() {
        if let Some(id) = raw
            .lines()
            .find_map(|l| l.strip_prefix("Message-ID: <"))
            .and_then(|rest| rest.split('@').next())
        {
            *map.entry(id.to_owned()).or_default() += 1;
        }
    }
    for r in stub.accepted() {
        *map.entry(r["body"]["reference"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    map
}

fn start_dispatcher(db: &std::path::Path, sink: &SmtpSink, stub: &NotifyStub) -> Child {
    Command::new(env!("CARGO_BIN_EXE_notify-dispatcher"))
        .arg(db)
        .arg(sink.port().to_string())
        .arg(stub.base_url())
        .args(["2", "0", "5"]) // lease 2 s, batches of 10 back to back, exit after 5 s idle
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start notify-dispatcher")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispatcher_killed_mid_batch_loses_nothing_once_restarted() {
    let dir = tempfile::tempdir().unwrap();
    // A slow relay (40 ms a message) so that the kill lands inside a batch, some time between
    // a message being kept and the relay's "250" reaching the dispatcher.
    let sink = SmtpSink::start(
        &dir.path().join("mail"),
        &SmtpOptions {
            delay_ms: 40,
            ..Default::default()
        },
    );
    let stub = NotifyStub::start(&dir.path().join("notify"), &NotifyOptions::default());
    let db = dir.path().join("hub.db");
    let store = SqliteStore::open_file(&db, SqliteStoreOptions::default())
        .await
        .unwrap();

    let secrets = SeededSecretSource::new(41);
    let now = SystemClock.now();
    let mut ids = Vec::new();
    let mut uow = store.begin().await.unwrap();
    for n in 0..100 {
        for (mut message, _) in [
            invitation(&secrets, &format!("p{n}@example.gov.uk")),
            sign_in_code(&secrets, "07700 900123"),
        ] {
            message.created_at = now;
            ids.push(message.id);
            uow.outbox().enqueue(&message).await.unwrap();
        }
    }
    uow.commit().await.unwrap();

    let mut first = start_dispatcher(&db, &sink, &stub);
    assert!(
        wait_until(Duration::from_secs(60), || delivered(&sink, &stub).len()
            >= 45),
        "the first dispatcher sent nothing"
    );
    first.kill().unwrap(); // SIGKILL
    first.wait().unwrap();
    let at_kill = delivered(&sink, &stub).len();
    assert!(
        at_kill < 200,
        "killed mid-way, not after the end ({at_kill} delivered)"
    );
    let mut in_flight = 0;
    for id in &ids {
        let entry = store.entry(*id).await.unwrap().unwrap();
        if entry.state == DeliveryState::Pending && entry.attempts > 0 {
            in_flight += 1;
        }
    }
    assert!(
        in_flight > 0,
        "killed inside a batch: claimed messages without an outcome"
    );

    let mut second = start_dispatcher(&db, &sink, &stub);
    assert!(
        wait_until(Duration::from_secs(90), || second
            .try_wait()
            .unwrap()
            .is_some()),
        "the second dispatcher did not finish"
    );
    let status = second.wait().unwrap();
    assert!(status.success(), "{status}");

    let got = delivered(&sink, &stub);
    let missing: Vec<_> = ids
        .iter()
        .filter(|id| !got.contains_key(&id.0.to_string()))
        .collect();
    assert!(missing.is_empty(), "lost: {missing:?}");
    let duplicates: usize = got.values().map(|n| n - 1).sum();
    eprintln!(
        "crash test: {at_kill} of 200 delivered when killed, {in_flight} claimed without an outcome; {duplicates} duplicate(s) after restart"
    );
    assert!(
        duplicates <= 10,
        "at most the killed batch is sent twice: {duplicates}"
    );
    for id in ids {
        let entry = store.entry(id).await.unwrap().unwrap();
        assert!(matches!(entry.state, DeliveryState::Sent(_)), "{entry:?}");
    }
}
