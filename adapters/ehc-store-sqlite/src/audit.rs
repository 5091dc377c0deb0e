//! The audit log: appended in the unit of work, searched with the shared query of
//! [`ehc_store_sql::push_audit_search`]. There is no UPDATE or DELETE of it here, and the
//! migrations' triggers refuse any typed by hand.

use crate::time::Ts;
use async_trait::async_trait;
use ehc_core::audit::{AuditEntry, AuditEvent, AuditFilter, AuditLog, PagePosition};
use ehc_core::ports::StoreError;
use ehc_store_sql::{audit_entry, push_audit_search};
use sqlx::{QueryBuilder, Sqlite};

use crate::error::{from_sqlx, timed};
use crate::unit_of_work::SqliteUnitOfWork;

#[async_trait]
impl AuditLog for SqliteUnitOfWork {
    async fn append(&mut self, event: &AuditEvent) -> Result<(), StoreError> {
        timed(
            self.limit,
            sqlx::query(
                "INSERT INTO audit_log (at, actor, subject, kind, origin, case_id, detail)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .bind(Ts(event.at))
            .bind(event.actor.map(|a| a.0))
            .bind(event.subject.map(|a| a.0))
            .bind(event.kind.as_str())
            .bind(event.origin.map(|ip| ip.to_string()))
            .bind(event.case.map(|c| c.0))
            .bind(&event.detail)
            .execute(&mut *self.tx),
        )
        .await?;
        Ok(())
    }

    async fn search(
        &mut self,
        filter: &AuditFilter,
        position: PagePosition,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut query = QueryBuilder::<Sqlite>::new("");
        push_audit_search(&mut query, filter, position, limit, Ts);
        let rows = timed(self.limit, query.build().fetch_all(&mut *self.tx)).await?;
        let mut entries = rows
            .iter()
            .map(|row| audit_entry(row, |t: Ts| t.0).map_err(from_sqlx))
            .collect::<Result<Vec<_>, _>>()?;
        if matches!(position, PagePosition::NewerThan(_)) {
            entries.reverse();
        }
        Ok(entries)
    }
}
