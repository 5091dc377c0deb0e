//! Maps sqlx's errors to the core's [`StoreError`], and constraint names to domain errors.
//!
//! Unreachable, closed, timed-out or cancelled connections become [`StoreError::Unavailable`]
//! (the web layer answers 503 and nothing was changed); serialisation failures and deadlocks
//! become [`StoreError::Conflict`]; everything else is [`StoreError::Unexpected`], described
//! without user data (PostgreSQL's message names the constraint, never the values).

use ehc_core::ports::StoreError;
use std::future::Future;
use std::time::Duration;

/// `accounts_email_canonical_key`: a second account for one (case-insensitive) address.
pub(crate) const ACCOUNTS_EMAIL_UNIQUE: &str = "accounts_email_canonical_key";
/// `second_factors_pkey`: a second enrolment of one account.
pub(crate) const SECOND_FACTORS_PKEY: &str = "second_factors_pkey";

/// The store's view of one sqlx error.
pub(crate) fn from_sqlx(error: sqlx::Error) -> StoreError {
    use sqlx::Error as E;
    match &error {
        E::Io(_) | E::Tls(_) | E::PoolTimedOut | E::PoolClosed | E::WorkerCrashed => {
            StoreError::Unavailable {
                reason: error.to_string(),
            }
        }
        // A connection cut half-way through a message shows up as a protocol error.
        E::Protocol(_) | E::BeginFailed => StoreError::Unavailable {
            reason: error.to_string(),
        },
        E::Database(db) => {
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            let reason = match db.constraint() {
                Some(name) => format!("{} (constraint {name}, SQLSTATE {code})", db.message()),
                None => format!("{} (SQLSTATE {code})", db.message()),
            };
            match code.as_str() {
                // connection exceptions; query_canceled (statement_timeout); the server shutting
                // down; too many connections
                c if c.starts_with("08") => StoreError::Unavailable { reason },
                "57014" | "57P01" | "57P02" | "57P03" | "53300" => {
                    StoreError::Unavailable { reason }
                }
                "40001" | "40P01" => StoreError::Conflict { reason },
                _ => StoreError::Unexpected { reason },
            }
        }
        _ => StoreError::Unexpected {
            reason: error.to_string(),
        },
    }
}

/// The name of the constraint a database error broke, if it is one.
pub(crate) fn constraint(error: &sqlx::Error) -> Option<&str> {
    match error {
        sqlx::Error::Database(db) => db.constraint(),
        _ => None,
    }
}

/// Runs one database call, giving up after `limit` (a cut network can leave a call waiting for a
/// TCP timeout of minutes): [`StoreError::Unavailable`] then.
pub(crate) async fn timed<T>(
    limit: Duration,
    call: impl Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, StoreError> {
    match tokio::time::timeout(limit, call).await {
        Ok(result) => result.map_err(from_sqlx),
        Err(_) => Err(StoreError::Unavailable {
            reason: format!("no answer from PostgreSQL within {} ms", limit.as_millis()),
        }),
    }
}

/// A stored value the adapter cannot read back.
pub(crate) fn unreadable(what: &str, why: impl std::fmt::Display) -> StoreError {
    StoreError::Unexpected {
        reason: format!("stored {what} cannot be read: {why}"),
    }
}
