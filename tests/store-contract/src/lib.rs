//! # ehc-store-contract: one contract for every storage adapter
//!
//! The core's storage ports ([`ehc_core::ports::Store`] and the repositories of a unit of work,
//! [`ehc_core::outbox::OutboxQueue`]) say what an adapter must do; the in-memory store of
//! `ehc-core`'s `test-support` feature is the reference. This crate holds what the contract
//! tests (`tests/`) and the benchmarks (`benches/`) share:
//!
//! - [`Backend`]: a store under test plus the few things only a test needs from it (the audit
//!   entries, a raw attempt to change them, the schema's fingerprint);
//! - [`Fixture`]: a fresh, empty, migrated store per test — a temporary SQLite file
//!   ([`SqliteFixture`]) or a new PostgreSQL database created on the server named by
//!   `EHC_TEST_DATABASE_URL` and dropped afterwards ([`PgFixture`]);
//! - [`Proxy`]: a TCP proxy that a test can cut and restore, to put faults between a pool and
//!   PostgreSQL;
//! - builders of domain values ([`account`], [`invitation`], …).
//!
//! This is test code: it panics with a message when its set-up fails.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use async_trait::async_trait;
use ehc_core::account::{Account, AccountId, EmailAddress};
use ehc_core::audit::{AuditEvent, AuditFilter, PagePosition};
use ehc_core::invitation::{
    Invitation, InvitationId, InvitationStatus, InvitationToken, TokenHash,
};
use ehc_core::outbox::{MessageContent, MessageId, OutboxMessage, OutboxQueue, Recipient};
use ehc_core::password::PasswordHash;
use ehc_core::ports::{Store, StoreError};
use ehc_core::role::{Grantor, Role};
use ehc_core::second_factor::SmsCode;
use ehc_store_postgres::{PgStore, PgStoreOptions};
use ehc_store_sql::push_audit_search;
use ehc_store_sqlite::{SqliteStore, SqliteStoreOptions};
use sqlx::ConnectOptions;
use sqlx::Connection;
use sqlx::SqlSafeStr;
use sqlx::postgres::PgConnectOptions;
use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;
use tower_sessions_core::session_store::ExpiredDeletion;
use uuid::Uuid;

/// The migrations of an adapter (`"sqlite"` or `"postgres"`) older than `version`, read from
/// its `migrations` folder: a database as an older hub left it, for testing what a newer
/// migration does to existing rows.
pub fn older_migrations(adapter: &str, version: i64) -> sqlx::migrate::Migrator {
    let dir = format!(
        "{}/../../adapters/ehc-store-{adapter}/migrations",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("the migrations folder")
        .map(|f| f.expect("a migration file").path())
        .collect();
    files.sort();
    let migrations = files
        .iter()
        .filter_map(|path| {
            let name = path.file_stem()?.to_str()?.to_owned();
            let number: i64 = name.split('_').next()?.parse().ok()?;
            (number < version).then(|| {
                sqlx::migrate::Migration::new(
                    number,
                    name.into(),
                    sqlx::migrate::MigrationType::Simple,
                    sqlx::AssertSqlSafe(std::fs::read_to_string(path).expect("a migration"))
                        .into_sql_str(),
                    false,
                )
            })
        })
        .collect();
    sqlx::migrate::Migrator::with_migrations(migrations)
}

/// The environment variable naming the PostgreSQL server the tests may use
/// (`scripts/postgres-for-tests` prints a usable value).
pub const DATABASE_URL_VAR: &str = "EHC_TEST_DATABASE_URL";

/// A store under test, with what only tests need from it.
#[async_trait]
pub trait Backend: Store + OutboxQueue + Clone + Send + Sync + 'static {
    /// Every audit entry, oldest first.
    async fn audit(&self) -> Vec<AuditEvent>;
    /// Tries to change, then to delete, every audit entry with raw SQL, outside the adapter;
    /// returns what each attempt gave (rows changed, or the database's refusal).
    async fn tamper_with_audit(&self) -> (Result<u64, String>, Result<u64, String>);
    /// Applies the migrations again.
    async fn migrate_again(&self) -> Result<(), StoreError>;
    /// The tables and applied migrations, as one line of text.
    async fn schema_fingerprint(&self) -> String;
    /// The raw stored text of every column of the `outbox` row with this id (to prove a secret
    /// is gone from storage, not only from the adapter's answers).
    async fn raw_outbox_row(&self, id: MessageId) -> String;
    /// The web sessions' store of this store.
    type Sessions: ExpiredDeletion + Clone;
    /// The web sessions' store.
    fn sessions(&self) -> Self::Sessions;
    /// How many rows the `sessions` table holds, expired ones included.
    async fn raw_session_count(&self) -> i64;
    /// Every texted sign-in code queued in the outbox, oldest first (the person's phone).
    async fn texted_codes(&self) -> Vec<String>;
    /// The database's plan of the audit search for `filter` (newest page), one line per step:
    /// SQLite's `EXPLAIN QUERY PLAN`; PostgreSQL's `EXPLAIN` with sequential scans discouraged
    /// (on a near-empty table the planner would rightly prefer one; the test asks which index
    /// can serve the filter).
    async fn audit_search_plan(&self, filter: &AuditFilter) -> String;
}

/// The codes of texted sign-in-code contents (JSON, as stored), in order.
fn codes_of(contents: Vec<String>) -> Vec<String> {
    contents
        .iter()
        .filter_map(
            |json| match serde_json::from_str(json).expect("stored content") {
                MessageContent::SignInCode { code } => Some(code.expose().to_owned()),
                _ => None,
            },
        )
        .collect()
}

/// A fresh store for one test, cleaned up by [`Fixture::finish`] (or on drop).
#[async_trait]
pub trait Fixture: Sized + Send + Sync {
    /// The store's type.
    type Store: Backend;
    /// A new empty, migrated store.
    async fn new() -> Self;
    /// The store.
    fn store(&self) -> &Self::Store;
    /// Closes the store and removes its database.
    async fn finish(self);
}

// ---------------------------------------------------------------------------------------------
// SQLite

/// A migrated SQLite store in a temporary directory (deleted afterwards).
pub struct SqliteFixture {
    store: SqliteStore,
    /// The database file's path.
    pub path: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

#[async_trait]
impl Fixture for SqliteFixture {
    type Store = SqliteStore;
    async fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let path = dir.path().join("hub.db");
        let store = SqliteStore::open_file(&path, SqliteStoreOptions::default())
            .await
            .expect("the SQLite store opens");
        Self {
            store,
            path,
            _dir: dir,
        }
    }
    fn store(&self) -> &SqliteStore {
        &self.store
    }
    async fn finish(self) {
        self.store.close().await;
    }
}

fn row_text(result: Result<sqlx::sqlite::SqliteQueryResult, sqlx::Error>) -> Result<u64, String> {
    result.map(|r| r.rows_affected()).map_err(|e| e.to_string())
}

#[async_trait]
impl Backend for SqliteStore {
    async fn texted_codes(&self) -> Vec<String> {
        codes_of(
            sqlx::query_scalar("SELECT content FROM outbox WHERE kind = 'sign-in-code' AND content IS NOT NULL ORDER BY seq")
                .fetch_all(self.pool())
                .await
                .expect("texted codes"),
        )
    }
    type Sessions = ehc_store_sqlite::SqliteSessionStore;
    fn sessions(&self) -> Self::Sessions {
        self.session_store()
    }
    async fn raw_session_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM sessions")
            .fetch_one(self.pool())
            .await
            .expect("a count of sessions")
    }
    async fn audit(&self) -> Vec<AuditEvent> {
        self.audit_entries(u32::MAX).await.expect("audit entries")
    }
    async fn tamper_with_audit(&self) -> (Result<u64, String>, Result<u64, String>) {
        let update = sqlx::query("UPDATE audit_log SET detail = 'changed'")
            .execute(self.pool())
            .await;
        let delete = sqlx::query("DELETE FROM audit_log")
            .execute(self.pool())
            .await;
        (row_text(update), row_text(delete))
    }
    async fn audit_search_plan(&self, filter: &AuditFilter) -> String {
        let mut query = sqlx::QueryBuilder::<sqlx::Sqlite>::new("EXPLAIN QUERY PLAN ");
        // SQLite stores instants as microseconds since the epoch.
        push_audit_search(&mut query, filter, PagePosition::Newest, 50, |at| {
            i64::try_from(at.unix_timestamp_nanos() / 1_000).unwrap()
        });
        let rows = query.build().fetch_all(self.pool()).await.expect("a plan");
        rows.iter()
            .map(|r| sqlx::Row::get::<String, _>(r, "detail"))
            .collect::<Vec<_>>()
            .join("\n")
    }
    async fn migrate_again(&self) -> Result<(), StoreError> {
        self.migrate().await
    }
    async fn schema_fingerprint(&self) -> String {
        let objects: String = sqlx::query_scalar(
            "SELECT group_concat(type || ' ' || name, ', ') FROM
               (SELECT type, name FROM sqlite_master ORDER BY type, name)",
        )
        .fetch_one(self.pool())
        .await
        .expect("schema objects");
        let migrations: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
            .fetch_one(self.pool())
            .await
            .expect("applied migrations");
        format!("{migrations} migrations; {objects}")
    }
    async fn raw_outbox_row(&self, id: MessageId) -> String {
        sqlx::query_scalar(
            "SELECT coalesce(recipient, '') || '|' || kind || '|' || coalesce(content, '<null>')
             FROM outbox WHERE id = ?1",
        )
        .bind(id.0)
        .fetch_one(self.pool())
        .await
        .expect("the outbox row")
    }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/// The admin URL of the test server.
///
/// # Panics
/// When `EHC_TEST_DATABASE_URL` is unset: the PostgreSQL contract tests must fail, never skip.
pub fn admin_url() -> String {
    match std::env::var(DATABASE_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "{DATABASE_URL_VAR} is not set: the PostgreSQL contract tests need a server. \
             Run `scripts/test-all`, or set {DATABASE_URL_VAR}=\"$(scripts/postgres-for-tests)\""
        ),
    }
}

/// A migrated PostgreSQL store in a new database of its own (`ehc_contract_<uuid>`), dropped
/// when the fixture finishes or is dropped (also when the test panicked).
pub struct PgFixture {
    store: PgStore,
    /// Options to connect to this test's database (for a second pool, or one through a proxy).
    pub connect: PgConnectOptions,
    name: String,
    admin: String,
}

impl PgFixture {
    /// A new empty database (not migrated) and the options to reach it.
    pub async fn create_database() -> (String, PgConnectOptions, String) {
        let admin = admin_url();
        let name = format!("ehc_contract_{}", Uuid::new_v4().simple());
        let admin_options = PgConnectOptions::from_str(&admin).expect("a PostgreSQL URL");
        let mut conn = admin_options
            .connect()
            .await
            .unwrap_or_else(|e| panic!("cannot connect to {DATABASE_URL_VAR} ({admin}): {e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut conn)
            .await
            .expect("CREATE DATABASE");
        conn.close().await.ok();
        let connect = admin_options.database(&name);
        (name, connect, admin)
    }

    /// A fixture whose store has these options.
    pub async fn with_options(options: PgStoreOptions) -> Self {
        Self::on_database(Self::create_database().await, options).await
    }

    /// A fixture on a database made by [`PgFixture::create_database`] (and perhaps prepared
    /// since, e.g. by [`older_migrations`]): its store connects and applies what is missing.
    pub async fn on_database(
        (name, connect, admin): (String, PgConnectOptions, String),
        options: PgStoreOptions,
    ) -> Self {
        let store = PgStore::connect_with(connect.clone(), options)
            .await
            .expect("the PostgreSQL store connects and migrates");
        Self {
            store,
            connect,
            name,
            admin,
        }
    }
}

/// Drops a test database, terminating its connections (runs on its own thread and runtime, so it
/// also works while a test unwinds).
fn drop_database(admin: String, name: String) {
    let dropper = std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async move {
            if let Ok(options) = PgConnectOptions::from_str(&admin)
                && let Ok(mut conn) = options.connect().await
            {
                let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                    "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                )))
                .execute(&mut conn)
                .await;
                let _ = conn.close().await;
            }
        });
    });
    let _ = dropper.join();
}

impl Drop for PgFixture {
    fn drop(&mut self) {
        if !self.name.is_empty() {
            drop_database(self.admin.clone(), std::mem::take(&mut self.name));
        }
    }
}

#[async_trait]
impl Fixture for PgFixture {
    type Store = PgStore;
    async fn new() -> Self {
        Self::with_options(PgStoreOptions::default()).await
    }
    fn store(&self) -> &PgStore {
        &self.store
    }
    async fn finish(self) {
        self.store.close().await;
        // Drop removes the database.
    }
}

fn pg_rows(result: Result<sqlx::postgres::PgQueryResult, sqlx::Error>) -> Result<u64, String> {
    result.map(|r| r.rows_affected()).map_err(|e| e.to_string())
}

#[async_trait]
impl Backend for PgStore {
    async fn texted_codes(&self) -> Vec<String> {
        codes_of(
            sqlx::query_scalar("SELECT content::text FROM outbox WHERE kind = 'sign-in-code' AND content IS NOT NULL ORDER BY seq")
                .fetch_all(self.pool())
                .await
                .expect("texted codes"),
        )
    }
    type Sessions = ehc_store_postgres::PgSessionStore;
    fn sessions(&self) -> Self::Sessions {
        self.session_store()
    }
    async fn raw_session_count(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM sessions")
            .fetch_one(self.pool())
            .await
            .expect("a count of sessions")
    }
    async fn audit(&self) -> Vec<AuditEvent> {
        self.audit_entries(u32::MAX).await.expect("audit entries")
    }
    async fn tamper_with_audit(&self) -> (Result<u64, String>, Result<u64, String>) {
        let update = sqlx::query("UPDATE audit_log SET detail = 'changed'")
            .execute(self.pool())
            .await;
        let delete = sqlx::query("DELETE FROM audit_log")
            .execute(self.pool())
            .await;
        (pg_rows(update), pg_rows(delete))
    }
    async fn audit_search_plan(&self, filter: &AuditFilter) -> String {
        let mut tx = self.pool().begin().await.expect("a transaction");
        sqlx::query("SET LOCAL enable_seqscan = off")
            .execute(&mut *tx)
            .await
            .expect("planner settings");
        let mut query = sqlx::QueryBuilder::<sqlx::Postgres>::new("EXPLAIN ");
        push_audit_search(&mut query, filter, PagePosition::Newest, 50, |at| at);
        let rows = query.build().fetch_all(&mut *tx).await.expect("a plan");
        rows.iter()
            .map(|r| sqlx::Row::get::<String, _>(r, 0))
            .collect::<Vec<_>>()
            .join("\n")
    }
    async fn migrate_again(&self) -> Result<(), StoreError> {
        self.migrate().await
    }
    async fn schema_fingerprint(&self) -> String {
        let objects: String = sqlx::query_scalar(
            "SELECT string_agg(c.relkind::text || ' ' || c.relname, ', ' ORDER BY c.relkind, c.relname)
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public'",
        )
        .fetch_one(self.pool())
        .await
        .expect("schema objects");
        let migrations: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
            .fetch_one(self.pool())
            .await
            .expect("applied migrations");
        format!("{migrations} migrations; {objects}")
    }
    async fn raw_outbox_row(&self, id: MessageId) -> String {
        sqlx::query_scalar(
            "SELECT recipient::text || '|' || kind || '|' || coalesce(content::text, '<null>')
             FROM outbox WHERE id = $1",
        )
        .bind(id.0)
        .fetch_one(self.pool())
        .await
        .expect("the outbox row")
    }
}

// ---------------------------------------------------------------------------------------------
// A TCP proxy that can be cut

/// A TCP proxy on 127.0.0.1 in front of `upstream`, with two faults:
/// [`Proxy::cut`] closes every connection it carries and refuses new ones (closes them at once),
/// like a database that went down; [`Proxy::stall`] keeps every connection open but forwards
/// nothing (new ones are accepted and stall too), like a network that silently drops packets.
/// [`Proxy::restore`] forwards again.
pub struct Proxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    cut: Arc<AtomicBool>,
    stalled: Arc<AtomicBool>,
    links: Arc<Mutex<Vec<AbortHandle>>>,
    accept: AbortHandle,
}

/// Copies `from` to `to`, holding the bytes back while `stalled`.
async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    stalled: Arc<AtomicBool>,
) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        while stalled.load(Ordering::SeqCst) {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        if to.write_all(&buf[..n]).await.is_err() {
            return;
        }
    }
}

impl Proxy {
    /// Starts a proxy to `upstream` (host:port).
    pub async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the proxy");
        let addr = listener.local_addr().expect("the proxy's address");
        let cut = Arc::new(AtomicBool::new(false));
        let stalled = Arc::new(AtomicBool::new(false));
        let links: Arc<Mutex<Vec<AbortHandle>>> = Arc::default();
        let (cut2, stalled2, links2) = (cut.clone(), stalled.clone(), links.clone());
        let accept = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    continue;
                };
                if cut2.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let (upstream, stalled) = (upstream.clone(), stalled2.clone());
                let link = tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(upstream).await {
                        let (client_read, client_write) = client.into_split();
                        let (server_read, server_write) = server.into_split();
                        tokio::join!(
                            pump(client_read, server_write, stalled.clone()),
                            pump(server_read, client_write, stalled),
                        );
                    }
                });
                links2.lock().expect("links").push(link.abort_handle());
            }
        })
        .abort_handle();
        Self {
            addr,
            cut,
            stalled,
            links,
            accept,
        }
    }

    /// Cuts every connection and refuses new ones.
    pub fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        for link in self.links.lock().expect("links").drain(..) {
            link.abort();
        }
    }

    /// Keeps every connection open but forwards nothing.
    pub fn stall(&self) {
        self.stalled.store(true, Ordering::SeqCst);
    }

    /// Forwards again (new connections after a cut; held bytes after a stall).
    pub fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
        self.stalled.store(false, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.accept.abort();
        self.cut();
    }
}

// ---------------------------------------------------------------------------------------------
// Domain values for tests

/// A fixed, realistic instant (whole seconds: both databases keep microseconds).
pub const T0: OffsetDateTime = datetime!(2026-11-30 09:00 UTC);

/// A valid address.
pub fn email(text: &str) -> EmailAddress {
    EmailAddress::parse(text).expect("a valid address")
}

/// An account with id `n` and this address.
pub fn account(n: u128, address: &str) -> Account {
    Account {
        id: AccountId(Uuid::from_u128(n)),
        email: email(address),
        password_hash: PasswordHash::from_phc(format!("$argon2id$v=19$m=19456,t=2,p=1$test{n}")),
        created_at: T0,
    }
}

/// A pending invitation of `address`, made at `at`, valid 7 days, with the token's hash.
pub fn invitation(n: u128, address: &str, at: OffsetDateTime) -> (Invitation, InvitationToken) {
    let token = InvitationToken::generate(&ehc_core::test_support::SeededSecretSource::new(
        u64::try_from(n).expect("a small n"),
    ))
    .expect("a token");
    let invitation = Invitation {
        id: InvitationId(Uuid::from_u128(n)),
        email: email(address),
        roles: vec![Role::LaOfficer],
        invited_by: Grantor::System,
        token_hash: token.hash(),
        created_at: at,
        expires_at: at + Duration::days(7),
        status: InvitationStatus::Pending,
    };
    (invitation, token)
}

/// A hash no invitation has.
pub fn unknown_token_hash() -> TokenHash {
    TokenHash([0xAB; 32])
}

/// An outbox message with id `n`: an invitation e-mail (carries a secret) when `secret`, an
/// access-granted e-mail otherwise.
pub fn message(n: u128, secret: bool, at: OffsetDateTime) -> OutboxMessage {
    let content = if secret {
        let (_, token) = invitation(n, "someone@example.org", at);
        MessageContent::Invitation {
            token,
            roles: vec![Role::LaOfficer],
        }
    } else {
        MessageContent::AccessGranted {
            roles: vec![Role::LaOfficer],
        }
    };
    OutboxMessage {
        id: MessageId(Uuid::from_u128(n)),
        recipient: Recipient::Email(email("someone@example.org")),
        content,
        created_at: at,
    }
}

/// A texted-code message with id `n` carrying `code`.
pub fn code_message(n: u128, code: SmsCode, at: OffsetDateTime) -> OutboxMessage {
    OutboxMessage {
        id: MessageId(Uuid::from_u128(n)),
        recipient: Recipient::Sms(ehc_core::second_factor::PhoneNumber::from_stored(
            "+447700900123",
            "07700 900123",
        )),
        content: MessageContent::SignInCode { code },
        created_at: at,
    }
}
