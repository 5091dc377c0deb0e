//! `ehc-hub`: the EHC Hub's command line. It reads the configuration, wires the core to its
//! adapters (SQLite or PostgreSQL, SMTP or the development mailbox, GOV.UK Notify or the
//! development text log, the web pages) and runs them.
//!
//! - `serve`: the web service and the outbox dispatcher, until SIGTERM or Ctrl-C.
//! - `migrate`: bring the database's schema up to date, then exit.
//! - `invite`: invite a person with roles (the first LA officer, typically).
//! - `send-reminders`: send the timed alerts due now (reminders, overdue alerts), for cron;
//!   `serve` also does it every 15 minutes.
//! - `sweep-documents`: remove the document files committed more than a day ago that no
//!   document uses (a request never sent); `serve` also does it once a day.
//! - `dead-letters`: the messages the dispatcher gave up on; `--retry ID` queues one again.
//! - `import-settings FILE`: load GIAS's establishment file into the education settings.
//! - `demo`: a development hub on 127.0.0.1:8080 with a demo LA, its mail and texts visible at
//!   `/dev/outbox`.
//! - `walk`: the whole sign-in journey in the terminal, in memory.

mod config;
mod demo_cases;
mod dev_outbox;
mod hub;
mod import_settings;
mod scheduled;
mod walk;

use anyhow::Result;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "ehc-hub", version, about = "The EHC Hub")]
struct Cli {
    /// Configuration file (TOML). Default: ehc-hub.toml in the current folder, if present.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web service and the outbox dispatcher.
    Serve,
    /// Apply the database migrations, then exit.
    Migrate,
    /// Invite a person to register, with roles.
    Invite(hub::InviteArgs),
    /// Send the timed alerts due now (advice reminders, overdue alerts to case officers), then
    /// exit; `serve` also does it every 15 minutes.
    SendReminders,
    /// Remove the document files committed more than a day ago that no document uses (files
    /// added to a request never sent), then exit; `serve` also does it once a day.
    SweepDocuments(scheduled::SweepArgs),
    /// List the messages the dispatcher gave up on, or queue one again (`--retry ID`).
    DeadLetters(hub::DeadLetterArgs),
    /// Queue the daily e-mail alert digests now (`serve` does it every morning at 7am,
    /// Europe/London): every alert parked before the latest 7am, one e-mail per person.
    SendDigests,
    /// Import education settings from GIAS's establishment CSV (all or nothing; re-run to
    /// update them by URN).
    ImportSettings(import_settings::ImportSettingsArgs),
    /// Run a development hub with a demo LA on 127.0.0.1:8080 (SQLite, mail and texts shown at
    /// /dev/outbox).
    Demo(hub::DemoArgs),
    /// Walk the invitation, registration and sign-in journey in the terminal (in memory).
    Walk(walk::WalkArgs),
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Walk(args) => walk::run(&args),
        command => {
            tracing_subscriber::fmt()
                .with_env_filter(
                    tracing_subscriber::EnvFilter::try_from_default_env()
                        .unwrap_or_else(|_| "info".into()),
                )
                .init();
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                match command {
                    Command::Serve => {
                        hub::serve(config::Config::load(cli.config.as_deref())?).await
                    }
                    Command::Migrate => {
                        hub::migrate(config::Config::load(cli.config.as_deref())?).await
                    }
                    Command::Invite(args) => {
                        hub::invite(config::Config::load(cli.config.as_deref())?, &args).await
                    }
                    Command::SendReminders => {
                        scheduled::send_reminders(config::Config::load(cli.config.as_deref())?)
                            .await
                    }
                    Command::SweepDocuments(args) => {
                        let config = config::Config::load(cli.config.as_deref())?;
                        scheduled::sweep_documents(config, &args).await
                    }
                    Command::DeadLetters(args) => {
                        hub::dead_letters(config::Config::load(cli.config.as_deref())?, &args).await
                    }
                    Command::SendDigests => {
                        scheduled::send_digests(config::Config::load(cli.config.as_deref())?).await
                    }
                    Command::ImportSettings(args) => {
                        import_settings::import_settings(
                            config::Config::load(cli.config.as_deref())?,
                            &args,
                        )
                        .await
                    }
                    Command::Demo(args) => hub::demo(cli.config.as_deref(), &args).await,
                    Command::Walk(_) => Ok(()),
                }
            })
        }
    }
}
