//! Work the hub does on a timer rather than on a request: the timed alerts of every case
//! (advice reminders at 3 and 5 weeks, overdue advice, the draft plan's reminders, review
//! meeting reminders and overdue reports) and the daily e-mail alert digests. `serve` runs
//! [`scheduled_loop`]; `ehc-hub send-reminders` and `ehc-hub send-digests` run one pass of each
//! (for cron, or to send them now).

use anyhow::Result;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

use ehc_core::alert::{DigestReport, DigestService};
use ehc_core::case::{CaseService, TimedAlertReport};
use ehc_core::ports::{Clock, SecretSource, Store};
use ehc_core::settings::SecuritySettings;
use ehc_core::system::{OsSecretSource, SystemClock};
use ehc_http::times::{digest_cutoff, london_today};

use crate::config::Config;
use crate::hub::Backend;

/// How often `serve` looks for scheduled work.
const PERIOD: Duration = Duration::from_secs(5 * 60);

/// Sends the timed alerts due today (Europe/London) into the outbox. Each alert is recorded on
/// its case under the case's version, so it is sent once even with several hub processes.
async fn send_timed_alerts(
    store: Arc<dyn Store>,
    secrets: Arc<dyn SecretSource>,
    settings: SecuritySettings,
    clock: &dyn Clock,
) -> Result<TimedAlertReport> {
    let now = clock.now();
    CaseService::new(store, secrets, settings)
        .send_timed_alerts(london_today(now), now)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))
}

/// Queues the digest of everything parked before the latest 7am (Europe/London). Each alert
/// leaves the park in the transaction that queues its digest, so it is sent once.
async fn send_digests_now(
    store: Arc<dyn Store>,
    secrets: Arc<dyn SecretSource>,
    clock: &dyn Clock,
) -> Result<DigestReport> {
    let now = clock.now();
    Ok(DigestService::new(store, secrets)
        .send_digests(digest_cutoff(now), now)
        .await?)
}

/// Runs a pass of both at start and every 5 minutes until `stop`.
pub(crate) async fn scheduled_loop(
    store: Arc<dyn Store>,
    secrets: Arc<dyn SecretSource>,
    settings: SecuritySettings,
    clock: Arc<dyn Clock>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        match send_timed_alerts(store.clone(), secrets.clone(), settings.clone(), &*clock).await {
            Ok(r) if r.cases > 0 => tracing::info!(
                cases = r.cases,
                sent = r.sent,
                deferred = r.deferred,
                "timed alerts sent"
            ),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "timed alerts could not be sent; retrying later"),
        }
        match send_digests_now(store.clone(), secrets.clone(), &*clock).await {
            Ok(r) if r.digests > 0 => {
                tracing::info!(
                    digests = r.digests,
                    alerts = r.alerts,
                    "alert digests queued"
                );
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "the alert digests could not be queued; retrying later")
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(PERIOD) => {}
            _ = stop.changed() => return,
        }
    }
}

/// `ehc-hub send-reminders`: the timed alerts due now, once, with what was sent printed.
pub async fn send_reminders(config: Config) -> Result<()> {
    let backend = Backend::connect(&config).await?;
    let report = send_timed_alerts(
        backend.store(),
        Arc::new(OsSecretSource),
        config.security.clone(),
        &SystemClock,
    )
    .await?;
    println!(
        "Timed alerts: {} sent on {} cases ({} left for the next run).",
        report.sent, report.cases, report.deferred
    );
    Ok(())
}

/// `ehc-hub send-digests`: one digest pass now, with what it did printed.
pub async fn send_digests(config: Config) -> Result<()> {
    let backend = Backend::connect(&config).await?;
    let report = send_digests_now(backend.store(), Arc::new(OsSecretSource), &SystemClock).await?;
    println!(
        "Queued {} digest e-mails carrying {} alerts{}.",
        report.digests,
        report.alerts,
        if report.dropped > 0 {
            format!(" ({} alerts of removed accounts dropped)", report.dropped)
        } else {
            String::new()
        }
    );
    Ok(())
}
