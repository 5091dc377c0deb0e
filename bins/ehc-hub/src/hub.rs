//! Wiring: the configured store, mail and text adapters, the dispatcher task and the web server.

use anyhow::{Context, Result, bail};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

use ehc_core::document::DocumentStore;
use ehc_core::document::scan::VirusScanner;
use ehc_core::invitation::{InvitationService, InviteOutcome};
use ehc_core::notification::dispatcher::Dispatcher;
use ehc_core::notification::{Mailer, SmsSender};
use ehc_core::outbox::OutboxQueue;
use ehc_core::password::{Argon2idHasher, Argon2idParams};
use ehc_core::ports::{Clock, SecretSource, Store};
use ehc_core::role::{Grantor, Role, Urn};
use ehc_core::system::{OsSecretSource, SystemClock};
use ehc_http::hasher::BlockingHasher;
use ehc_store_postgres::{PgStore, PgStoreOptions};
use ehc_store_sqlite::{SqliteStore, SqliteStoreOptions};

use crate::config::{Config, EmailConfig, SmsConfig};
use crate::dev_outbox;

/// The configured database.
#[derive(Clone)]
pub(crate) enum Backend {
    Sqlite(SqliteStore),
    Postgres(PgStore),
}

impl Backend {
    /// Connects to `config.database_url` (creating the SQLite file's folder) and migrates.
    pub(crate) async fn connect(config: &Config) -> Result<Self> {
        let url = config.database_url.as_str();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let store = PgStore::connect(url, PgStoreOptions::default())
                .await
                .with_context(|| {
                    format!("cannot open the PostgreSQL database at {}", redact(url))
                })?;
            return Ok(Self::Postgres(store));
        }
        if let Some(path) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            let path = Path::new(path.split('?').next().unwrap_or(path));
            if let Some(folder) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(folder)
                    .with_context(|| format!("cannot create {}", folder.display()))?;
            }
            let store = SqliteStore::open_file(path, SqliteStoreOptions::default())
                .await
                .with_context(|| format!("cannot open the SQLite database {}", path.display()))?;
            return Ok(Self::Sqlite(store));
        }
        bail!(
            "database_url must start with sqlite:// or postgres://, not {}",
            redact(url)
        )
    }

    pub(crate) fn store(&self) -> Arc<dyn Store> {
        match self {
            Self::Sqlite(s) => Arc::new(s.clone()),
            Self::Postgres(s) => Arc::new(s.clone()),
        }
    }

    /// Starts the dispatcher over this database's outbox.
    fn start_dispatcher(
        &self,
        config: &Config,
        secrets: Arc<dyn SecretSource>,
        clock: Arc<dyn Clock>,
        stop: watch::Receiver<bool>,
    ) -> Result<tokio::task::JoinHandle<()>> {
        let (mailer, sms) = (mailer(config)?, sms(config)?);
        let (templates, policy) = (config.messages.clone(), config.dispatch.clone());
        Ok(match self {
            Self::Sqlite(s) => tokio::spawn(dispatch_loop(
                Dispatcher::new(s.clone(), mailer, sms, secrets, templates, policy),
                clock,
                stop,
            )),
            Self::Postgres(s) => tokio::spawn(dispatch_loop(
                Dispatcher::new(s.clone(), mailer, sms, secrets, templates, policy),
                clock,
                stop,
            )),
        })
    }

    fn router(&self, state: ehc_http::AppState) -> axum::Router {
        match self {
            Self::Sqlite(s) => ehc_http::router(state, s.session_store()),
            Self::Postgres(s) => ehc_http::router(state, s.session_store()),
        }
    }
}

/// A database URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://…{}", &url[..scheme], &url[at..]),
        _ => url.to_owned(),
    }
}

fn mailer(config: &Config) -> Result<Arc<dyn Mailer>> {
    Ok(match &config.email {
        EmailConfig::Mailbox { from } => Arc::new(ehc_email::MailboxDir::new(
            config.data_dir.join("mailbox"),
            from,
        )?),
        EmailConfig::Smtp(settings) => Arc::new(ehc_email::SmtpMailer::new(settings)?),
    })
}

fn sms(config: &Config) -> Result<Arc<dyn SmsSender>> {
    Ok(match &config.sms {
        SmsConfig::Log => Arc::new(ehc_sms::TextLog::new(config.data_dir.join("texts.log"))?),
        SmsConfig::Notify(settings) => Arc::new(ehc_sms::NotifySms::new(settings, SystemClock)?),
    })
}

/// `ehc-hub migrate`.
pub async fn migrate(config: Config) -> Result<()> {
    let backend = Backend::connect(&config).await?;
    match &backend {
        Backend::Sqlite(s) => s.migrate().await?,
        Backend::Postgres(s) => s.migrate().await?,
    }
    println!("The database is up to date.");
    Ok(())
}

/// Options of `ehc-hub invite`.
#[derive(clap::Args)]
pub struct InviteArgs {
    /// The person's e-mail address.
    #[arg(long)]
    email: String,
    /// A role to grant on registration: `la-officer` or `sendco` (repeatable).
    #[arg(long = "role", required = true)]
    roles: Vec<String>,
    /// The education setting's URN, for `sendco`.
    #[arg(long)]
    setting: Option<String>,
}

fn parse_roles(args: &InviteArgs) -> Result<Vec<Role>> {
    args.roles
        .iter()
        .map(|r| match r.as_str() {
            "la-officer" => Ok(Role::LaOfficer),
            "sendco" => {
                let urn = args
                    .setting
                    .as_deref()
                    .context("--role sendco needs --setting URN")?;
                Ok(Role::Sendco {
                    setting: Urn::parse(urn)
                        .map_err(|e| anyhow::anyhow!("--setting {urn}: {e}"))?,
                })
            }
            other => bail!("unknown role {other:?}: use la-officer or sendco"),
        })
        .collect()
}

/// `ehc-hub invite`: queues the invitation e-mail (the dispatcher of a running `serve` sends
/// it). Prints nothing secret, except the link in development mode.
pub async fn invite(config: Config, args: &InviteArgs) -> Result<()> {
    let roles = parse_roles(args)?;
    let backend = Backend::connect(&config).await?;
    let invitations = InvitationService::new(
        backend.store(),
        Arc::new(OsSecretSource) as Arc<dyn SecretSource>,
        config.security.clone(),
    );
    let outcome = invitations
        .invite(Grantor::System, &args.email, roles, SystemClock.now(), None)
        .await?;
    match outcome {
        InviteOutcome::Invited { token, .. } => {
            println!("Invitation queued for {}.", args.email.trim());
            if config.development {
                println!(
                    "Registration link: {}",
                    config.messages.registration_link(&token)
                );
            }
        }
        InviteOutcome::GrantedToExistingAccount { .. } => {
            println!(
                "{} already has an account: the roles were added.",
                args.email.trim()
            );
        }
    }
    Ok(())
}

/// Options of `ehc-hub dead-letters`.
#[derive(clap::Args)]
pub struct DeadLetterArgs {
    /// Put the dead letter with this id back in the queue (its attempts start again).
    #[arg(long)]
    retry: Option<String>,
}

/// `ehc-hub dead-letters`: the messages the dispatcher gave up on (permanent failures, or too
/// many attempts), with their last error; `--retry ID` queues one again. No secret is shown.
pub async fn dead_letters(config: Config, args: &DeadLetterArgs) -> Result<()> {
    let backend = Backend::connect(&config).await?;
    let queue: &dyn OutboxQueue = match &backend {
        Backend::Sqlite(s) => s,
        Backend::Postgres(s) => s,
    };
    if let Some(id) = &args.retry {
        let id = uuid::Uuid::parse_str(id.trim())
            .map(ehc_core::outbox::MessageId)
            .map_err(|_| anyhow::anyhow!("{id:?} is not a message id (a UUID)"))?;
        if queue.retry_dead_letter(id, SystemClock.now()).await? {
            println!("Message {} is queued again.", id.0);
            return Ok(());
        }
        bail!("no dead letter has the id {}", id.0);
    }
    let letters = queue.dead_letters(1_000).await?;
    if letters.is_empty() {
        println!("No dead letters.");
    }
    for letter in letters {
        let to = match &letter.recipient {
            ehc_core::outbox::Recipient::Email(address) => address.to_string(),
            ehc_core::outbox::Recipient::Sms(phone) => {
                format!("text to the number ending {}", phone.last_digits())
            }
        };
        println!(
            "{}  queued {}  to {to}  attempts {}  last error: {}",
            letter.id.0,
            letter.created_at,
            letter.attempts,
            letter.last_error.as_deref().unwrap_or("-")
        );
    }
    Ok(())
}

/// `ehc-hub serve`.
pub async fn serve(config: Config) -> Result<()> {
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", config.listen))?;
    run(config, listener, shutdown_signal()).await
}

/// Runs the hub on `listener` until `shutdown`: the web server, and the dispatcher, which
/// finishes its current batch before the process exits.
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<()> {
    config
        .messages
        .validate()
        .map_err(|e| anyhow::anyhow!("[messages] {e}"))?;
    let scanner: Arc<dyn VirusScanner> = match (&config.clamav, config.development) {
        (Some(clamav), _) => {
            let clamd = ehc_clamav::Clamd::new(clamav);
            tokio::spawn(check_clamd(clamd.clone()));
            Arc::new(clamd)
        }
        (None, true) => {
            tracing::warn!(
                "uploads are checked by the development virus scanner, which finds nothing: \
                 not for real cases (set [clamav] address)"
            );
            Arc::new(ehc_documents::DevelopmentScanner)
        }
        (None, false) => bail!(
            "[clamav] address is not set: every upload must be scanned by ClamAV's clamd \
             (e.g. address = \"unix:/run/clamav/clamd.ctl\"; see docs/operator-guide.md, \
             Virus scanning)"
        ),
    };
    let backend = Backend::connect(&config).await?;
    let secrets: Arc<dyn SecretSource> = Arc::new(OsSecretSource);
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let hasher = BlockingHasher::per_core(Argon2idHasher::new(
        Argon2idParams::default(),
        secrets.clone(),
    )?)?;
    let folder = config.documents_folder();
    let documents = ehc_documents::DiskDocumentStore::open(&folder)
        .await
        .with_context(|| format!("cannot open the document folder {}", folder.display()))?;
    documents
        .remove_abandoned(clock.now().into())
        .await
        .with_context(|| format!("cannot read the document folder {}", folder.display()))?;
    let documents: Arc<dyn DocumentStore> = Arc::new(documents);
    let state = ehc_http::AppState::new(
        config.web_config(),
        config.security.clone(),
        backend.store(),
        Arc::new(hasher),
        secrets.clone(),
        clock.clone(),
        documents.clone(),
        scanner,
    );
    let mut app = backend.router(state);
    if config.development {
        app = app.merge(dev_outbox::routes(config.data_dir.clone()));
    }

    let (stop_tx, stop_rx) = watch::channel(false);
    let scheduling = tokio::spawn(crate::scheduled::scheduled_loop(
        crate::scheduled::Scheduled {
            store: backend.store(),
            secrets: secrets.clone(),
            settings: config.security.clone(),
            clock: clock.clone(),
            blobs: documents,
        },
        stop_rx.clone(),
    ));
    let dispatching = backend.start_dispatcher(&config, secrets, clock, stop_rx)?;

    tracing::info!(address = %listener.local_addr()?, "EHC Hub listening");
    ehc_http::serve(listener, app, shutdown).await?;
    let _ = stop_tx.send(true);
    dispatching
        .await
        .context("the dispatcher stopped abnormally")?;
    scheduling
        .await
        .context("the scheduled work stopped abnormally")?;
    tracing::info!("EHC Hub stopped");
    Ok(())
}

/// Says in the log whether clamd answers, so a wrong `[clamav] address` shows at start rather
/// than at the first upload (which clamd being down refuses).
async fn check_clamd(clamd: ehc_clamav::Clamd) {
    match clamd.ping().await {
        Ok(()) => tracing::info!(address = %clamd.address(), "clamd answers"),
        Err(e) => tracing::warn!(error = %e, "clamd does not answer: uploads will be refused"),
    }
}

/// The dispatcher over outbox `Q` with the configured senders.
type HubDispatcher<Q> = Dispatcher<Q, Arc<dyn Mailer>, Arc<dyn SmsSender>, Arc<dyn SecretSource>>;

/// Sends due messages; when none were due, waits a second (or until told to stop).
async fn dispatch_loop<Q: OutboxQueue>(
    dispatcher: HubDispatcher<Q>,
    clock: Arc<dyn Clock>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let idle = match dispatcher.dispatch_due(clock.now()).await {
            Ok(report) => report.claimed() == 0,
            Err(e) => {
                tracing::warn!(error = %e, "the outbox could not be read; retrying");
                true
            }
        };
        if *stop.borrow() {
            return;
        }
        if idle {
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = stop.changed() => return,
            }
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Options of `ehc-hub demo`.
#[derive(clap::Args)]
pub struct DemoArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: std::net::SocketAddr,
    /// Folder for the demo's database, mailbox and text log.
    #[arg(long, default_value = "data/demo")]
    data_dir: std::path::PathBuf,
    /// Another database for the demo (`postgres://…`, an empty database: for benchmarks);
    /// default: SQLite in the data folder.
    #[arg(long)]
    database_url: Option<String>,
}

/// `ehc-hub demo`: a development hub with a demo LA, an LA officer's and a SENDCo's
/// invitation, their registration links printed, and the *Outbox* page.
pub async fn demo(config_file: Option<&Path>, args: &DemoArgs) -> Result<()> {
    let mut config = match config_file {
        Some(_) => Config::load(config_file)?,
        None => Config::default(),
    };
    config.development = true;
    config.listen = args.listen;
    config.public_base_url = format!("http://{}", args.listen);
    config.data_dir = args.data_dir.clone();
    config.database_url = args
        .database_url
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", args.data_dir.join("ehc-hub.db").display()));
    if config_file.is_none() {
        config.la.name = "Anytown Council".to_owned();
        config.la.contact = "SEND team: send@anytown.example, 01632 960000".to_owned();
    }
    config.fill_shared();
    let listener = TcpListener::bind(config.listen).await.with_context(|| {
        format!(
            "cannot listen on {} (is a hub already running?)",
            config.listen
        )
    })?;

    let backend = Backend::connect(&config).await?;
    let invitations = InvitationService::new(
        backend.store(),
        Arc::new(OsSecretSource) as Arc<dyn SecretSource>,
        config.security.clone(),
    );
    let people = [
        ("officer@anytown.example", vec![Role::LaOfficer]),
        (
            "jo.bloggs@example.gov.uk",
            vec![Role::Sendco {
                setting: Urn::parse("100001").map_err(|e| anyhow::anyhow!("{e}"))?,
            }],
        ),
    ];
    println!(
        "EHC Hub demo for {} at {}",
        config.la.name, config.public_base_url
    );
    for (email, roles) in people {
        let what = roles
            .iter()
            .map(Role::describe)
            .collect::<Vec<_>>()
            .join(", ");
        match invitations
            .invite(Grantor::System, email, roles, SystemClock.now(), None)
            .await?
        {
            InviteOutcome::Invited { token, .. } => println!(
                "  {what}: {email}\n    Complete your registration: {}",
                config.messages.registration_link(&token)
            ),
            InviteOutcome::GrantedToExistingAccount { .. } => {
                println!("  {what}: {email} (already registered: sign in)");
            }
        }
    }
    crate::demo_cases::seed(backend.store(), &OsSecretSource, SystemClock.now()).await?;
    println!(
        "  Education settings 100001–100012 and four demonstration cases (three at 100001) are loaded."
    );
    println!("  E-mails and texts: {}/dev/outbox", config.public_base_url);
    println!("Press Ctrl-C to stop.");
    drop(backend);
    run(config, listener, shutdown_signal()).await
}
