//! # ehc-store-sqlite: every storage port of `ehc-core` in one SQLite file
//!
//! The embedded adapter of the hexagon's storage side: one hub process, one file, nothing to
//! install — a small authority's hub or a demonstration (ARCHITECTURE.md). [`SqliteStore`]
//! implements [`ehc_core::ports::Store`] (each unit of work is one `BEGIN IMMEDIATE`
//! transaction, rolled back when dropped uncommitted) and [`ehc_core::outbox::OutboxQueue`].
//!
//! The file is opened in WAL mode (readers never wait for the writer) with `synchronous = FULL`
//! (a commit survives a power cut), foreign keys on and a busy timeout, so concurrent units of work queue for the write lock instead of failing with
//! `SQLITE_BUSY`. Every unit of work takes the write lock at `BEGIN` (sign-in writes anyway), so
//! units of work are serialised: the atomic rules of the core's ports hold because no two
//! writers ever interleave, and each rule is still one statement where it can be:
//!
//! | rule | how |
//! |---|---|
//! | one account per address | unique constraint `accounts_email_canonical_key` on the lower-case address; `INSERT … ON CONFLICT … DO NOTHING` inserting nothing → `AccountError::EmailTaken` (the unit of work stays usable, as the in-memory store's does) |
//! | one second factor per account | primary key `second_factors_pkey`, the same way → `EnrolError::AlreadyEnrolled` |
//! | a changed address keeps one account per address | the same constraint on `UPDATE accounts`: SQLite undoes only the refused statement (its default `ABORT`) → `AccountError::EmailTaken`, the unit of work stays usable |
//! | a newer password-reset or e-mail change link, or `void_pending`, leaves none of the account's older links pending | one `UPDATE … SET status = 'superseded' WHERE account_id = … AND status = 'pending'` inside the write lock |
//! | a registration, password-reset or e-mail change link works once | `UPDATE … WHERE status = 'pending' AND expires_at > now` |
//! | a TOTP step works once | `UPDATE … WHERE last_totp_step < step` |
//! | a texted code works once | `UPDATE … WHERE used_at IS NULL` |
//! | at most N texts an hour | count and insert inside the write lock |
//! | lockout counters | `INSERT … ON CONFLICT DO UPDATE … RETURNING` reproducing `Lockout::after_failure` |
//!
//! Faults: a file that stays locked past [`SqliteStoreOptions::busy_timeout`], a call slower
//! than [`SqliteStoreOptions::statement_timeout`] or no free connection within
//! [`SqliteStoreOptions::acquire_timeout`] give [`StoreError::Unavailable`].
//!
//! Web sessions: [`SqliteSessionStore`] implements tower-sessions' `SessionStore` (0.15) on the same
//! database (`session_store()`).
//!
//! Schema, URLs, options, backups: docs/storage.md.
//!
//! Secrets: tokens and texted codes are stored as the core's SHA-256 hashes; the TOTP secret is
//! stored as the core gives it (base32) — put the file on an encrypted file system in
//! production (docs/storage.md).

mod alerts;
mod audit;
mod cases;
mod documents;
mod error;
mod links;
mod outbox_queue;
mod sessions;
mod settings;

pub use sessions::SqliteSessionStore;
mod time;
mod unit_of_work;

use ehc_core::audit::AuditEvent;
use ehc_core::ports::{Store, StoreError, UnitOfWork};
use ehc_store_sql::{AUDIT_COLUMNS, audit_event};
use sqlx::SqlSafeStr;
use sqlx::migrate::{Migration, MigrationType, Migrator};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::borrow::Cow;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use crate::error::timed;
use crate::unit_of_work::SqliteUnitOfWork;

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
pub struct SqliteStoreOptions {
    /// Most connections the pool opens (default 4). Only one writes at a time; more serve
    /// concurrent readers outside units of work (the outbox's `entry`, the audit page).
    pub max_connections: u32,
    /// Longest wait for a free connection (default 5 s).
    pub acquire_timeout: Duration,
    /// Longest wait for SQLite's write lock (`PRAGMA busy_timeout`, default 5 s).
    pub busy_timeout: Duration,
    /// Longest wait for one statement, the adapter's own limit (default 10 s; longer than the
    /// busy timeout so SQLite's own wait ends first).
    pub statement_timeout: Duration,
}

impl Default for SqliteStoreOptions {
    fn default() -> Self {
        Self {
            max_connections: 4,
            acquire_timeout: Duration::from_secs(5),
            busy_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(10),
        }
    }
}

/// The SQLite store. Clone it freely: clones share one connection pool.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    options: SqliteStoreOptions,
}

impl SqliteStore {
    /// Opens (creating it if missing) the database at `url` and applies any migration not yet
    /// applied. `url` is `sqlite:///absolute/path/hub.db`, `sqlite://relative/path/hub.db` or
    /// `sqlite:hub.db` (see docs/storage.md).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the file cannot be opened or created;
    /// [`StoreError::Unexpected`] for a malformed URL or a failed migration.
    pub async fn connect(url: &str, options: SqliteStoreOptions) -> Result<Self, StoreError> {
        let connect = SqliteConnectOptions::from_str(url).map_err(|e| StoreError::Unexpected {
            reason: format!("invalid SQLite URL: {e}"),
        })?;
        Self::open(connect, options).await
    }

    /// Opens (creating it if missing) the database file at `path`, then migrates it.
    ///
    /// # Errors
    /// As [`SqliteStore::connect`].
    pub async fn open_file(
        path: impl AsRef<Path>,
        options: SqliteStoreOptions,
    ) -> Result<Self, StoreError> {
        Self::open(SqliteConnectOptions::new().filename(path), options).await
    }

    async fn open(
        connect: SqliteConnectOptions,
        options: SqliteStoreOptions,
    ) -> Result<Self, StoreError> {
        let connect = connect
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a commit survives a power cut too (a consumed link or TOTP step must stay
            // consumed); NORMAL would be faster in WAL mode but may lose the last commits.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(options.busy_timeout);
        let pool = SqlitePoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .acquire_timeout(options.acquire_timeout)
            .connect_lazy_with(connect);
        let store = Self { pool, options };
        // Open the file now, not at the first request.
        timed(
            options.acquire_timeout + options.statement_timeout,
            sqlx::query("SELECT 1").execute(&store.pool),
        )
        .await?;
        store.migrate().await?;
        Ok(store)
    }

    /// Applies every migration not yet applied (recorded in `_sqlx_migrations`). Applying twice changes nothing.
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
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The options the store was opened with.
    pub fn options(&self) -> SqliteStoreOptions {
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
                     SELECT * FROM audit_log ORDER BY seq DESC LIMIT ?1) newest
                 ORDER BY seq"
            )))
            .bind(i64::from(limit))
            .fetch_all(&self.pool),
        )
        .await?;
        rows.iter()
            .map(|row| audit_event(row, |t: time::Ts| t.0).map_err(error::from_sqlx))
            .collect()
    }

    /// Closes every connection (at shutdown).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[async_trait::async_trait]
impl Store for SqliteStore {
    async fn begin(&self) -> Result<Box<dyn UnitOfWork + '_>, StoreError> {
        let tx = timed(
            self.options.acquire_timeout + self.options.statement_timeout,
            self.pool.begin_with("BEGIN IMMEDIATE"),
        )
        .await?;
        Ok(Box::new(SqliteUnitOfWork::new(
            tx,
            self.options.statement_timeout,
        )))
    }
}
