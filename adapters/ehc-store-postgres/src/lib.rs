//! # ehc-store-postgres: every storage port of `ehc-core` on PostgreSQL
//!
//! The production adapter of the hexagon's storage side: several hub processes share one
//! PostgreSQL database (ARCHITECTURE.md, *How it scales*). [`PgStore`] implements
//! [`ehc_core::ports::Store`] (each unit of work is one database transaction, rolled back when
//! dropped uncommitted) and [`ehc_core::outbox::OutboxQueue`] (dispatchers claim messages with
//! `FOR UPDATE SKIP LOCKED`, so each due message goes to exactly one of them).
//!
//! The atomic rules of the core's ports are single statements or locks inside the transaction,
//! never a read then a write in Rust:
//!
//! | rule | how |
//! |---|---|
//! | one account per address | unique constraint `accounts_email_canonical_key` on the lower-case address; `INSERT … ON CONFLICT … DO NOTHING` inserting nothing → `AccountError::EmailTaken` (the unit of work stays usable, as the in-memory store's does) |
//! | one second factor per account | primary key `second_factors_pkey`, the same way → `EnrolError::AlreadyEnrolled` |
//! | a changed address keeps one account per address | the same constraint on `UPDATE accounts`, inside a savepoint: a unique violation rolls back to it → `AccountError::EmailTaken`, the unit of work stays usable |
//! | a newer password-reset or e-mail change link, or `void_pending`, leaves none of the account's older links pending | the account's row locked `FOR UPDATE`, then one `UPDATE … SET status = 'superseded' WHERE account_id = … AND status = 'pending'` (a link asked for at the same moment is voided too or made after) |
//! | a registration, password-reset or e-mail change link works once | `UPDATE … WHERE status = 'pending' AND expires_at > now` |
//! | a TOTP step works once | `UPDATE … WHERE last_totp_step < step` |
//! | a texted code works once | `UPDATE … WHERE used_at IS NULL` |
//! | at most N texts an hour | the account's row locked `FOR NO KEY UPDATE`, then count and insert |
//! | lockout counters | `INSERT … ON CONFLICT DO UPDATE … RETURNING` reproducing `Lockout::after_failure` |
//!
//! Faults: an unreachable database, a call slower than [`PgStoreOptions::statement_timeout`] or
//! no free connection within [`PgStoreOptions::acquire_timeout`] give
//! [`StoreError::Unavailable`]; the pool reconnects by itself once the database is back.
//!
//! Web sessions: [`PgSessionStore`] implements tower-sessions' `SessionStore` (0.15) on the same
//! database (`session_store()`).
//!
//! Schema, URLs, options, backups: docs/storage.md.
//!
//! Secrets: tokens and texted codes are stored as the core's SHA-256 hashes; the TOTP secret is
//! stored as the core gives it (base32) — encrypt it at rest in production (docs/storage.md).

mod alerts;
mod audit;
mod cases;
mod documents;
mod error;
mod links;
mod outbox_queue;
mod sessions;
mod settings;

pub use sessions::PgSessionStore;
mod unit_of_work;

use ehc_core::audit::AuditEvent;
use ehc_core::ports::{Store, StoreError, UnitOfWork};
use ehc_store_sql::{AUDIT_COLUMNS, audit_event};
use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::borrow::Cow;
use std::str::FromStr;
use std::time::Duration;

use crate::error::timed;
use crate::unit_of_work::PgUnitOfWork;

/// The schema, oldest first: (version, description, SQL). Embedded in the binary, so `migrate`
/// needs no files at run time.
const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "accounts and sign-in",
        include_str!("../migrations/0001_accounts_and_sign_in.sql"),
    ),
    (
        2,
        "sessions",
        include_str!("../migrations/0002_sessions.sql"),
    ),
    (
        3,
        "education settings",
        include_str!("../migrations/0003_education_settings.sql"),
    ),
    (4, "cases", include_str!("../migrations/0004_cases.sql")),
    (
        5,
        "documents",
        include_str!("../migrations/0005_documents.sql"),
    ),
    (
        6,
        "case alerts",
        include_str!("../migrations/0006_case_alerts.sql"),
    ),
    (7, "alerts", include_str!("../migrations/0007_alerts.sql")),
    (
        8,
        "new requests",
        include_str!("../migrations/0008_new_requests.sql"),
    ),
    (
        11,
        "account recovery",
        include_str!("../migrations/0011_account_recovery.sql"),
    ),
    (
        12,
        "audit search",
        include_str!("../migrations/0012_audit_search.sql"),
    ),
    (
        13,
        "email changes",
        include_str!("../migrations/0013_email_changes.sql"),
    ),
];

/// Pool size and timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PgStoreOptions {
    /// Most connections the pool opens (default 10). PostgreSQL's own `max_connections`
    /// (default 100) is shared by every hub process.
    pub max_connections: u32,
    /// Longest wait for a free connection, including opening a new one (default 5 s).
    pub acquire_timeout: Duration,
    /// Longest wait for one statement's answer (default 10 s): enforced by the server
    /// (`statement_timeout`) and by the adapter itself, so a cut network cannot hang a request.
    pub statement_timeout: Duration,
}

impl Default for PgStoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(10),
        }
    }
}

/// The PostgreSQL store. Clone it freely: clones share one connection pool.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    options: PgStoreOptions,
}

impl PgStore {
    /// Connects to `url` (`postgres://user:password@host:port/database?sslmode=…`, see
    /// docs/storage.md) and applies any migration not yet applied.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database cannot be reached within
    /// `options.acquire_timeout`; [`StoreError::Unexpected`] for a malformed URL or a failed
    /// migration.
    pub async fn connect(url: &str, options: PgStoreOptions) -> Result<Self, StoreError> {
        Self::connect_with(parse_url(url)?, options).await
    }

    /// Connects with already-built connection options (host, port, database, TLS, …) and
    /// applies any migration not yet applied.
    ///
    /// # Errors
    /// As [`PgStore::connect`].
    pub async fn connect_with(
        connect: PgConnectOptions,
        options: PgStoreOptions,
    ) -> Result<Self, StoreError> {
        let store = Self::open(connect, options).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Connects to `url` without touching the schema (for a hub whose operator runs
    /// `ehc-hub migrate` separately).
    ///
    /// # Errors
    /// As [`PgStore::connect`].
    pub async fn connect_without_migrating(
        url: &str,
        options: PgStoreOptions,
    ) -> Result<Self, StoreError> {
        Self::open(parse_url(url)?, options).await
    }

    async fn open(connect: PgConnectOptions, options: PgStoreOptions) -> Result<Self, StoreError> {
        let timeout_ms = options.statement_timeout.as_millis().to_string();
        let connect = connect
            .application_name("ehc-hub")
            .options([("statement_timeout", timeout_ms.as_str())]);
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.acquire_timeout)
            .test_before_acquire(true)
            .connect_lazy_with(connect);
        let store = Self { pool, options };
        // Fail now, not at the first request, when the database is unreachable.
        timed(
            options.acquire_timeout + options.statement_timeout,
            sqlx::query("SELECT 1").execute(&store.pool),
        )
        .await?;
        Ok(store)
    }

    /// Applies every migration not yet applied (recorded in `_sqlx_migrations`; an advisory lock
    /// keeps two hub processes from migrating at once). Applying twice changes nothing.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database is unreachable; [`StoreError::Unexpected`]
    /// when a migration fails or an applied one was edited since (checksum mismatch).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        let migrator = Migrator::with_migrations(
            MIGRATIONS
                .iter()
                .map(|(version, description, sql)| {
                    Migration::new(
                        *version,
                        Cow::Borrowed(*description),
                        MigrationType::Simple,
                        sql.into_sql_str(),
                        false,
                    )
                })
                .collect(),
        );
        migrator.run(&self.pool).await.map_err(|e| match e {
            sqlx::migrate::MigrateError::Execute(inner) => error::from_sqlx(inner),
            other => StoreError::Unexpected {
                reason: format!("migration failed: {other}"),
            },
        })
    }

    /// The connection pool, for the hub's own queries (e.g. the sessions table) and for tests.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The options the store was opened with.
    pub fn options(&self) -> PgStoreOptions {
        self.options
    }

    /// The newest `limit` audit entries, oldest first (for the LA's audit page and for tests;
    /// the log itself can only be appended to).
    ///
    /// # Errors
    /// [`StoreError`] on a fault or an unreadable entry.
    pub async fn audit_entries(&self, limit: u32) -> Result<Vec<AuditEvent>, StoreError> {
        let rows = timed(
            self.options.statement_timeout,
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {AUDIT_COLUMNS} FROM (
                     SELECT * FROM audit_log ORDER BY seq DESC LIMIT $1) newest
                 ORDER BY seq"
            )))
            .bind(i64::from(limit))
            .fetch_all(&self.pool),
        )
        .await?;
        rows.iter()
            .map(|row| audit_event(row, |t: time::OffsetDateTime| t).map_err(error::from_sqlx))
            .collect()
    }

    /// Closes every connection (at shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[async_trait::async_trait]
impl Store for PgStore {
    async fn begin(&self) -> Result<Box<dyn UnitOfWork + '_>, StoreError> {
        let tx = timed(
            self.options.acquire_timeout + self.options.statement_timeout,
            self.pool.begin(),
        )
        .await?;
        Ok(Box::new(PgUnitOfWork::new(
            tx,
            self.options.statement_timeout,
        )))
    }
}

fn parse_url(url: &str) -> Result<PgConnectOptions, StoreError> {
    PgConnectOptions::from_str(url).map_err(|e| StoreError::Unexpected {
        reason: format!("invalid PostgreSQL URL: {e}"),
    })
}
