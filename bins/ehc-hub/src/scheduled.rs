//! Work the hub does on a timer rather than on a request: the timed alerts of every case
//! (advice reminders at 3 and 5 weeks, overdue advice, the draft plan's reminders, review
//! meeting reminders and overdue reports), the daily e-mail alert digests, and once a day the
//! sweep of document files that no document uses. `serve` runs [`scheduled_loop`];
//! `ehc-hub send-reminders`, `ehc-hub send-digests` and `ehc-hub sweep-documents` run one pass
//! of each (for cron, or to do it now).

use anyhow::{Context, Result};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

use ehc_core::alert::{DigestReport, DigestService};
use ehc_core::case::{CaseService, TimedAlertReport};
use ehc_core::document::{DocumentService, DocumentStore, SizeLimits, SweepOptions, SweepReport};
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

/// Removes the document files committed more than a day ago that no document uses
/// ([`DocumentService::sweep_orphans`]).
async fn sweep_documents_now(
    store: Arc<dyn Store>,
    secrets: Arc<dyn SecretSource>,
    blobs: &dyn DocumentStore,
    clock: &dyn Clock,
    options: SweepOptions,
) -> Result<SweepReport> {
    // The limits play no part in a sweep.
    Ok(DocumentService::new(store, secrets, SizeLimits::default())
        .sweep_orphans(blobs, clock.now(), options)
        .await?)
}

/// The first sweep comes this long after `serve` starts (not at once: a hub started against
/// the wrong database during a restore should be noticed first), then once a day.
const FIRST_SWEEP_AFTER: time::Duration = time::Duration::HOUR;

/// The ports the scheduled work runs on.
pub(crate) struct Scheduled {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) secrets: Arc<dyn SecretSource>,
    pub(crate) settings: SecuritySettings,
    pub(crate) clock: Arc<dyn Clock>,
    /// Where documents' bytes live, for the daily sweep.
    pub(crate) blobs: Arc<dyn DocumentStore>,
}

/// Runs a pass of the alerts and the digests at start and every 5 minutes, and the sweep of
/// document files an hour after start and then once a day (on its own task, so a large folder
/// never holds up the alerts), until `stop`.
pub(crate) async fn scheduled_loop(ports: Scheduled, mut stop: watch::Receiver<bool>) {
    let Scheduled {
        store,
        secrets,
        settings,
        clock,
        blobs,
    } = ports;
    let mut next_sweep = clock.now() + FIRST_SWEEP_AFTER;
    loop {
        if clock.now() >= next_sweep {
            next_sweep = clock.now() + time::Duration::DAY;
            let (store, secrets, blobs, clock) =
                (store.clone(), secrets.clone(), blobs.clone(), clock.clone());
            tokio::spawn(async move {
                let options = SweepOptions::default();
                match sweep_documents_now(store, secrets, &*blobs, &*clock, options).await {
                    Ok(r) => tracing::info!(
                        removed = r.removed,
                        kept = r.kept,
                        "document files no document uses swept"
                    ),
                    Err(e) => {
                        tracing::error!(error = %e, "the document files were not swept; trying again tomorrow")
                    }
                }
            });
        }
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

/// `ehc-hub sweep-documents` options.
#[derive(clap::Args)]
pub struct SweepArgs {
    /// Only say how many files would be removed.
    #[arg(long)]
    dry_run: bool,
    /// Remove even when most old files look unused (after checking the database is the hub's).
    #[arg(long)]
    force: bool,
}

/// `ehc-hub sweep-documents`: removes now the document files committed more than a day ago
/// that no document uses, with what it did printed.
pub async fn sweep_documents(config: Config, args: &SweepArgs) -> Result<()> {
    let backend = Backend::connect(&config).await?;
    let folder = config.documents_folder();
    let blobs = ehc_documents::DiskDocumentStore::open(&folder)
        .await
        .with_context(|| format!("cannot open the document folder {}", folder.display()))?;
    let options = SweepOptions {
        dry_run: args.dry_run,
        force: args.force,
    };
    let report = sweep_documents_now(
        backend.store(),
        Arc::new(OsSecretSource),
        &blobs,
        &SystemClock,
        options,
    )
    .await?;
    println!(
        "Document files no document uses, {}: {}. Older files in use, kept: {}.",
        if args.dry_run {
            "to remove (dry run, nothing removed)"
        } else {
            "removed"
        },
        report.removed,
        report.kept
    );
    Ok(())
}
