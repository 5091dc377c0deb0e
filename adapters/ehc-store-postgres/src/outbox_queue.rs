//! The dispatcher's side of the outbox ([`OutboxQueue`]): each method is one statement in its
//! own transaction. Claims use `FOR UPDATE SKIP LOCKED`, so many dispatchers (in many hub
//! processes) each get different messages and never wait for one another.

use async_trait::async_trait;
use ehc_core::outbox::{
    ClaimedMessage, DeliveryState, MessageContent, MessageId, OutboxEntry, OutboxMessage,
    OutboxQueue, Recipient,
};
use ehc_core::ports::StoreError;
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use time::{Duration, OffsetDateTime};

use crate::PgStore;
use crate::error::{from_sqlx, timed, unreadable};

fn attempts(row: &PgRow) -> Result<u32, StoreError> {
    let n: i32 = row.try_get("attempts").map_err(from_sqlx)?;
    u32::try_from(n).map_err(|e| unreadable("attempt count", e))
}

pub(crate) fn entry_from(row: &PgRow) -> Result<OutboxEntry, StoreError> {
    let content: Option<Json<MessageContent>> = row.try_get("content").map_err(from_sqlx)?;
    let sent_at: Option<OffsetDateTime> = row.try_get("sent_at").map_err(from_sqlx)?;
    let dead_at: Option<OffsetDateTime> = row.try_get("dead_at").map_err(from_sqlx)?;
    let state = match (sent_at, dead_at) {
        (Some(at), _) => DeliveryState::Sent(at),
        (None, Some(at)) => DeliveryState::DeadLetter(at),
        (None, None) => DeliveryState::Pending,
    };
    Ok(OutboxEntry {
        id: MessageId(row.try_get("id").map_err(from_sqlx)?),
        recipient: row
            .try_get::<Json<Recipient>, _>("recipient")
            .map_err(from_sqlx)?
            .0,
        content: content.map(|c| c.0),
        created_at: row.try_get("created_at").map_err(from_sqlx)?,
        attempts: attempts(row)?,
        next_attempt_at: row.try_get("next_attempt_at").map_err(from_sqlx)?,
        last_error: row.try_get("last_error").map_err(from_sqlx)?,
        state,
    })
}

pub(crate) const ENTRY_COLUMNS: &str = "id, recipient, content, created_at, attempts, next_attempt_at, \
                             last_error, sent_at, dead_at";

#[async_trait]
impl OutboxQueue for PgStore {
    async fn claim_due(
        &self,
        limit: u32,
        now: OffsetDateTime,
        lease: Duration,
    ) -> Result<Vec<ClaimedMessage>, StoreError> {
        let rows = timed(
            self.options.statement_timeout,
            sqlx::query(
                "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $3
                 WHERE id IN (
                     SELECT id FROM outbox
                     WHERE sent_at IS NULL AND dead_at IS NULL AND next_attempt_at <= $1
                     ORDER BY next_attempt_at, seq
                     LIMIT $2
                     FOR UPDATE SKIP LOCKED)
                 RETURNING seq, id, recipient, content, created_at, attempts",
            )
            .bind(now)
            .bind(i64::from(limit))
            .bind(now + lease)
            .fetch_all(&self.pool),
        )
        .await?;
        let mut claimed = rows
            .iter()
            .map(|row| {
                let seq: i64 = row.try_get("seq").map_err(from_sqlx)?;
                let content: Option<Json<MessageContent>> =
                    row.try_get("content").map_err(from_sqlx)?;
                let content = content.ok_or_else(|| unreadable("outbox content", "erased"))?;
                let message = OutboxMessage {
                    id: MessageId(row.try_get("id").map_err(from_sqlx)?),
                    recipient: row
                        .try_get::<Json<Recipient>, _>("recipient")
                        .map_err(from_sqlx)?
                        .0,
                    content: content.0,
                    created_at: row.try_get("created_at").map_err(from_sqlx)?,
                };
                Ok((
                    seq,
                    ClaimedMessage {
                        message,
                        attempts: attempts(row)?,
                    },
                ))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        claimed.sort_by_key(|(seq, _)| *seq);
        Ok(claimed.into_iter().map(|(_, c)| c).collect())
    }

    async fn mark_sent(&self, id: MessageId, now: OffsetDateTime) -> Result<bool, StoreError> {
        let done = timed(
            self.options.statement_timeout,
            sqlx::query(
                "UPDATE outbox
                 SET sent_at = $2, content = CASE WHEN carries_secret THEN NULL ELSE content END
                 WHERE id = $1 AND sent_at IS NULL AND dead_at IS NULL",
            )
            .bind(id.0)
            .bind(now)
            .execute(&self.pool),
        )
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn mark_failed(
        &self,
        id: MessageId,
        error: &str,
        next_attempt_at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let done = timed(
            self.options.statement_timeout,
            sqlx::query(
                "UPDATE outbox SET last_error = $2, next_attempt_at = $3
                 WHERE id = $1 AND sent_at IS NULL AND dead_at IS NULL",
            )
            .bind(id.0)
            .bind(error)
            .bind(next_attempt_at)
            .execute(&self.pool),
        )
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn dead_letter(
        &self,
        id: MessageId,
        error: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let done = timed(
            self.options.statement_timeout,
            sqlx::query(
                "UPDATE outbox SET last_error = $2, dead_at = $3
                 WHERE id = $1 AND sent_at IS NULL AND dead_at IS NULL",
            )
            .bind(id.0)
            .bind(error)
            .bind(now)
            .execute(&self.pool),
        )
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn dead_letters(&self, limit: u32) -> Result<Vec<OutboxEntry>, StoreError> {
        let rows = timed(
            self.options.statement_timeout,
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {ENTRY_COLUMNS} FROM outbox WHERE dead_at IS NOT NULL
                 ORDER BY dead_at, seq LIMIT $1"
            )))
            .bind(i64::from(limit))
            .fetch_all(&self.pool),
        )
        .await?;
        rows.iter().map(entry_from).collect()
    }

    async fn retry_dead_letter(
        &self,
        id: MessageId,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let done = timed(
            self.options.statement_timeout,
            sqlx::query(
                "UPDATE outbox SET dead_at = NULL, attempts = 0, next_attempt_at = $2
                 WHERE id = $1 AND dead_at IS NOT NULL",
            )
            .bind(id.0)
            .bind(now)
            .execute(&self.pool),
        )
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn entry(&self, id: MessageId) -> Result<Option<OutboxEntry>, StoreError> {
        let row = timed(
            self.options.statement_timeout,
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {ENTRY_COLUMNS} FROM outbox WHERE id = $1"
            )))
            .bind(id.0)
            .fetch_optional(&self.pool),
        )
        .await?;
        row.as_ref().map(entry_from).transpose()
    }
}
