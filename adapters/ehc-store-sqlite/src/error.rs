//! Maps sqlx's errors to the core's [`StoreError`], and broken constraints to domain errors.
//!
//! SQLite names a broken UNIQUE or PRIMARY KEY constraint by its columns
//! (`UNIQUE constraint failed: accounts.email_canonical`), not by the constraint's name, so the
//! adapter recognises the columns of the named constraints of the migration. A database that
//! stays locked past the busy timeout (`SQLITE_BUSY`), a file that cannot be opened or read, and
//! a call slower than the statement timeout are [`StoreError::Unavailable`]; everything else is
//! [`StoreError::Unexpected`].

use ehc_core::ports::StoreError;
use std::future::Future;
use std::time::Duration;

/// `accounts_email_canonical_key`, as SQLite reports it.
pub(crate) const ACCOUNTS_EMAIL_UNIQUE: &str = "accounts.email_canonical";
/// `second_factors_pkey`, as SQLite reports it.
pub(crate) const SECOND_FACTORS_PKEY: &str = "second_factors.account_id";

/// The store's view of one sqlx error.
pub(crate) fn from_sqlx(error: sqlx::Error) -> StoreError {
    use sqlx::Error as E;
    match &error {
        E::Io(_) | E::PoolTimedOut | E::PoolClosed | E::WorkerCrashed | E::BeginFailed => {
            StoreError::Unavailable {
                reason: error.to_string(),
            }
        }
        E::Database(db) => {
            let code: i64 = db.code().and_then(|c| c.parse().ok()).unwrap_or(-1);
            let reason = format!("{} (SQLite code {code})", db.message());
            // The primary result code is the low byte of the extended code.
            match code & 0xff {
                // SQLITE_BUSY, SQLITE_LOCKED: still locked after the busy timeout.
                5 | 6 => StoreError::Unavailable { reason },
                // SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB
                10 | 11 | 13 | 14 | 26 => StoreError::Unavailable { reason },
                _ => StoreError::Unexpected { reason },
            }
        }
        _ => StoreError::Unexpected {
            reason: error.to_string(),
        },
    }
}

/// The `table.column` list of the UNIQUE or PRIMARY KEY constraint a database error broke.
pub(crate) fn constraint(error: &sqlx::Error) -> Option<&str> {
    match error {
        sqlx::Error::Database(db) => db.message().strip_prefix("UNIQUE constraint failed: "),
        _ => None,
    }
}

/// Runs one database call, giving up after `limit`: [`StoreError::Unavailable`] then.
pub(crate) async fn timed<T>(
    limit: Duration,
    call: impl Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, StoreError> {
    match tokio::time::timeout(limit, call).await {
        Ok(result) => result.map_err(from_sqlx),
        Err(_) => Err(StoreError::Unavailable {
            reason: format!("no answer from SQLite within {} ms", limit.as_millis()),
        }),
    }
}

/// A stored value the adapter cannot read back.
pub(crate) fn unreadable(what: &str, why: impl std::fmt::Display) -> StoreError {
    StoreError::Unexpected {
        reason: format!("stored {what} cannot be read: {why}"),
    }
}
