//! Server-side web sessions for the HTTP layer: tower-sessions' [`SessionStore`] (0.15) on the
//! `sessions` table, kept in the database file so they survive a restart.
//!
//! The cookie carries only the session's id (128 random bits); the data (the sign-in state, the
//! CSRF token) stays here as JSON. An expired row is never loaded, whatever its data;
//! [`ExpiredDeletion::delete_expired`] removes them (run it periodically, e.g. with
//! tower-sessions' `continuously_delete_expired`). Expiry is compared with the system clock.

use async_trait::async_trait;
use sqlx::Row;
use sqlx::sqlite::SqlitePool;
use sqlx::types::Json;
use std::collections::HashMap;
use std::time::Duration;
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::session_store::{self, ExpiredDeletion, SessionStore};

use crate::SqliteStore;
use crate::error::timed;
use crate::time::Ts;

/// The session store of a [`SqliteStore`] (see the module's documentation). Clone it freely.
#[derive(Debug, Clone)]
pub struct SqliteSessionStore {
    pool: SqlitePool,
    limit: Duration,
}

impl SqliteStore {
    /// The web sessions' store, sharing this store's pool and timeouts.
    pub fn session_store(&self) -> SqliteSessionStore {
        SqliteSessionStore {
            pool: self.pool.clone(),
            limit: self.options.statement_timeout,
        }
    }
}

/// The current instant: the edge of the hexagon, where the clock may be read (SQLite has no
/// `now()` of the precision the expiry column needs).
#[allow(clippy::disallowed_methods)]
fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc()
}

fn backend(error: ehc_core::ports::StoreError) -> session_store::Error {
    session_store::Error::Backend(error.to_string())
}

#[async_trait]
impl SessionStore for SqliteSessionStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        // A new id that is already taken (2^-128 odds, or a forged one) gets a fresh id.
        loop {
            let done = timed(
                self.limit,
                sqlx::query(
                    "INSERT INTO sessions (id, data, expiry_date) VALUES (?1, ?2, ?3)
                     ON CONFLICT (id) DO NOTHING",
                )
                .bind(record.id.to_string())
                .bind(Json(&record.data))
                .bind(Ts(record.expiry_date))
                .execute(&self.pool),
            )
            .await
            .map_err(backend)?;
            if done.rows_affected() == 1 {
                return Ok(());
            }
            record.id = Id::default();
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        timed(
            self.limit,
            sqlx::query(
                // Update only: a session deleted meanwhile (signed out, cycled) is never written back
                // by a request that loaded it earlier. New sessions go through `create`.
                "UPDATE sessions SET data = ?2, expiry_date = ?3 WHERE id = ?1",
            )
            .bind(record.id.to_string())
            .bind(Json(&record.data))
            .bind(Ts(record.expiry_date))
            .execute(&self.pool),
        )
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, session_id: &Id) -> session_store::Result<Option<Record>> {
        let row = timed(
            self.limit,
            sqlx::query(
                "SELECT data, expiry_date FROM sessions WHERE id = ?1 AND expiry_date > ?2",
            )
            .bind(session_id.to_string())
            .bind(Ts(now()))
            .fetch_optional(&self.pool),
        )
        .await
        .map_err(backend)?;
        let Some(row) = row else { return Ok(None) };
        let data: Json<HashMap<String, serde_json::Value>> = row
            .try_get("data")
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        let expiry_date: Ts = row
            .try_get("expiry_date")
            .map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *session_id,
            data: data.0,
            expiry_date: expiry_date.0,
        }))
    }

    async fn delete(&self, session_id: &Id) -> session_store::Result<()> {
        timed(
            self.limit,
            sqlx::query("DELETE FROM sessions WHERE id = ?1")
                .bind(session_id.to_string())
                .execute(&self.pool),
        )
        .await
        .map_err(backend)?;
        Ok(())
    }
}

#[async_trait]
impl ExpiredDeletion for SqliteSessionStore {
    async fn delete_expired(&self) -> session_store::Result<()> {
        timed(
            self.limit,
            sqlx::query("DELETE FROM sessions WHERE expiry_date <= ?1")
                .bind(Ts(now()))
                .execute(&self.pool),
        )
        .await
        .map_err(backend)?;
        Ok(())
    }
}
