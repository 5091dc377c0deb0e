//! The core's [`AlertRepository`] on SQLite: the `alert_preferences` and `parked_alerts` tables
//! of migration 7.

use async_trait::async_trait;
use ehc_core::account::AccountId;
use ehc_core::alert::{AlertPreference, AlertRepository, ParkedAlert};
use ehc_core::outbox::{CaseUpdate, MessageId};
use ehc_core::ports::StoreError;
use sqlx::Row;
use sqlx::types::Json;
use time::OffsetDateTime;

use crate::error::{from_sqlx, timed, unreadable};
use crate::time::Ts;
use crate::unit_of_work::SqliteUnitOfWork;

#[async_trait]
impl AlertRepository for SqliteUnitOfWork {
    async fn preference(&mut self, account: AccountId) -> Result<AlertPreference, StoreError> {
        let stored: Option<String> = timed(
            self.limit,
            sqlx::query_scalar("SELECT preference FROM alert_preferences WHERE account_id = ?1")
                .bind(account.0)
                .fetch_optional(&mut *self.tx),
        )
        .await?;
        stored.map_or(Ok(AlertPreference::default()), |name| {
            AlertPreference::parse(&name).ok_or_else(|| unreadable("alert preference", &name))
        })
    }

    async fn set_preference(
        &mut self,
        account: AccountId,
        preference: AlertPreference,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        timed(
            self.limit,
            sqlx::query(
                "INSERT INTO alert_preferences (account_id, preference, updated_at)
                 VALUES (?1, ?2, ?3)
                 ON CONFLICT (account_id) DO UPDATE SET
                   preference = excluded.preference, updated_at = excluded.updated_at",
            )
            .bind(account.0)
            .bind(preference.as_str())
            .bind(Ts(now))
            .execute(&mut *self.tx),
        )
        .await?;
        Ok(())
    }

    async fn park(&mut self, alert: &ParkedAlert) -> Result<(), StoreError> {
        timed(
            self.limit,
            sqlx::query(
                "INSERT INTO parked_alerts (id, account_id, case_reference, \"update\", created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .bind(alert.id.0)
            .bind(alert.account.0)
            .bind(&alert.case_reference)
            .bind(Json(&alert.update))
            .bind(Ts(alert.created_at))
            .execute(&mut *self.tx),
        )
        .await?;
        Ok(())
    }

    async fn take_parked(
        &mut self,
        before: OffsetDateTime,
        accounts: u32,
    ) -> Result<Vec<ParkedAlert>, StoreError> {
        let rows = timed(
            self.limit,
            sqlx::query(
                "DELETE FROM parked_alerts
                 WHERE created_at < ?1 AND account_id IN (
                   SELECT DISTINCT account_id FROM parked_alerts WHERE created_at < ?1 LIMIT ?2)
                 RETURNING id, account_id, case_reference, \"update\", created_at, seq",
            )
            .bind(Ts(before))
            .bind(i64::from(accounts))
            .fetch_all(&mut *self.tx),
        )
        .await?;
        let mut taken = rows
            .iter()
            .map(|r| {
                let seq: i64 = r.try_get("seq").map_err(from_sqlx)?;
                let alert = ParkedAlert {
                    id: MessageId(r.try_get("id").map_err(from_sqlx)?),
                    account: AccountId(r.try_get("account_id").map_err(from_sqlx)?),
                    case_reference: r.try_get("case_reference").map_err(from_sqlx)?,
                    update: r
                        .try_get::<Json<CaseUpdate>, _>("update")
                        .map_err(|e| unreadable("parked alert", e))?
                        .0,
                    created_at: r.try_get::<Ts, _>("created_at").map_err(from_sqlx)?.0,
                };
                Ok((seq, alert))
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        taken.sort_by_key(|(seq, a)| (a.account, a.created_at, *seq));
        Ok(taken.into_iter().map(|(_, a)| a).collect())
    }
}
