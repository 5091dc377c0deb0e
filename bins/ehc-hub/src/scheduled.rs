//! Work the hub does on a timer rather than on a request: the daily e-mail alert digests.
//! `serve` runs [`scheduled_loop`]; `ehc-hub send-digests` runs one pass (for cron, or to send
//! them now).

use anyhow::Result;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

use ehc_core::alert::{DigestReport, DigestService};
use ehc_core::ports::{Clock, SecretSource, Store};
use ehc_core::system::{OsSecretSource, SystemClock};
use ehc_http::times::digest_cutoff;

use crate::config::Config;
use crate::hub::Backend;

/// How often `serve` looks for scheduled work.
const PERIOD: Duration = Duration::from_secs(5 * 60);

/// One pass: queues the digest of everything parked before the latest 7am (Europe/London).
async fn run_once(
    store: Arc<dyn Store>,
    secrets: Arc<dyn SecretSource>,
    clock: &dyn Clock,
) -> Result<DigestReport> {
    let now = clock.now();
    Ok(DigestService::new(store, secrets)
        .send_digests(digest_cutoff(now), now)
        .await?)
}

/// Runs a pass at start and every 5 minutes until `stop`. Every pass is safe to run at the same
/// time in several hub processes (each alert leaves the park in the transaction that queues its
/// digest).
pub(crate) async fn scheduled_loop(
    store: Arc<dyn Store>,
    secrets: Arc<dyn SecretSource>,
    clock: Arc<dyn Clock>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        match run_once(store.clone(), secrets.clone(), &*clock).await {
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

/// `ehc-hub send-digests`: one pass now, with what it did printed.
pub async fn send_digests(config: Config) -> Result<()> {
    let backend = Backend::connect(&config).await?;
    let report = run_once(backend.store(), Arc::new(OsSecretSource), &SystemClock).await?;
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
