//! [`CaseRepository`] on SQLite: the case as JSON beside its summary columns, its linked
//! settings in `case_settings`, its timeline in `case_timeline` (migration `0004_cases.sql`).

use async_trait::async_trait;
use ehc_core::account::AccountId;
use ehc_core::case::timeline::{TimelineEntry, Visibility};
use ehc_core::case::tray::{CaseSummary, TrayPage, TrayQuery};
use ehc_core::case::{Case, CaseId, CaseRepository, CaseWriteError, LaReference, StoredCase};
use ehc_core::ports::StoreError;
use ehc_store_sql::{Select, push_tray, tray_row, urn_value};
use sqlx::types::Json;
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::error::{constraint, from_sqlx, timed, unreadable};
use crate::time::Ts;
use crate::unit_of_work::SqliteUnitOfWork;

fn write_error(e: StoreError, raw: Option<&str>) -> CaseWriteError {
    if raw == Some("cases.la_reference") {
        CaseWriteError::ReferenceTaken
    } else {
        CaseWriteError::Store(e)
    }
}

impl SqliteUnitOfWork {
    async fn write_settings(&mut self, case: &Case) -> Result<(), StoreError> {
        timed(
            self.limit,
            sqlx::query("DELETE FROM case_settings WHERE case_id = ?1")
                .bind(case.id.0)
                .execute(&mut *self.tx),
        )
        .await?;
        for urn in &case.settings {
            timed(
                self.limit,
                sqlx::query("INSERT INTO case_settings (case_id, urn) VALUES (?1, ?2)")
                    .bind(case.id.0)
                    .bind(urn_value(urn.get()))
                    .execute(&mut *self.tx),
            )
            .await?;
        }
        Ok(())
    }
}

#[async_trait]
impl CaseRepository for SqliteUnitOfWork {
    async fn insert(&mut self, case: &Case) -> Result<(), CaseWriteError> {
        let s = CaseSummary::of(case);
        let result = tokio::time::timeout(
            self.limit,
            sqlx::query(
                "INSERT INTO cases (id, la_reference, child_name, child_sort, stage, next_due,
                     next_step, officer_id, received_on, body, version, created_at, new_request,
                     next_alert_on, advice_due)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 1, ?11, ?12, ?13, ?14)",
            )
            .bind(case.id.0)
            .bind(s.la_reference.as_str())
            .bind(&s.child_name)
            .bind(&s.child_sort)
            .bind(s.stage.as_str())
            .bind(s.next_due)
            .bind(&s.next_step)
            .bind(s.officer.map(|o| o.0))
            .bind(s.received_on)
            .bind(Json(case))
            .bind(Ts(case.created_at))
            .bind(s.new_request)
            .bind(case.next_timed_alert_on())
            .bind(s.advice_due)
            .execute(&mut *self.tx),
        )
        .await;
        match result {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => {
                let raw = constraint(&e).map(str::to_owned);
                return Err(write_error(from_sqlx(e), raw.as_deref()));
            }
            Err(_) => {
                return Err(CaseWriteError::Store(crate::unit_of_work::timed_out(
                    self.limit,
                )));
            }
        }
        self.write_settings(case).await?;
        Ok(())
    }

    async fn get(&mut self, id: CaseId) -> Result<Option<StoredCase>, StoreError> {
        let row = timed(
            self.limit,
            sqlx::query("SELECT body, version FROM cases WHERE id = ?1")
                .bind(id.0)
                .fetch_optional(&mut *self.tx),
        )
        .await?;
        row.map(|r| {
            Ok(StoredCase {
                case: r
                    .try_get::<Json<Case>, _>("body")
                    .map_err(|e| unreadable("case", e))?
                    .0,
                version: r.try_get("version").map_err(from_sqlx)?,
            })
        })
        .transpose()
    }

    async fn find_by_reference(
        &mut self,
        reference: &LaReference,
    ) -> Result<Option<CaseId>, StoreError> {
        let id = timed(
            self.limit,
            sqlx::query_scalar("SELECT id FROM cases WHERE la_reference = ?1")
                .bind(reference.as_str())
                .fetch_optional(&mut *self.tx),
        )
        .await?;
        Ok(id.map(CaseId))
    }

    async fn update(&mut self, case: &Case, version: i64) -> Result<(), CaseWriteError> {
        let s = CaseSummary::of(case);
        let result = tokio::time::timeout(
            self.limit,
            sqlx::query(
                "UPDATE cases SET la_reference = ?2, child_name = ?3, child_sort = ?4, stage = ?5,
                     next_due = ?6, next_step = ?7, officer_id = ?8, received_on = ?9, body = ?10,
                     new_request = ?12, next_alert_on = ?13, advice_due = ?14, version = version + 1
                 WHERE id = ?1 AND version = ?11",
            )
            .bind(case.id.0)
            .bind(s.la_reference.as_str())
            .bind(&s.child_name)
            .bind(&s.child_sort)
            .bind(s.stage.as_str())
            .bind(s.next_due)
            .bind(&s.next_step)
            .bind(s.officer.map(|o| o.0))
            .bind(s.received_on)
            .bind(Json(case))
            .bind(version)
            .bind(s.new_request)
            .bind(case.next_timed_alert_on())
            .bind(s.advice_due)
            .execute(&mut *self.tx),
        )
        .await;
        let done = match result {
            Ok(Ok(done)) => done,
            Ok(Err(e)) => {
                let raw = constraint(&e).map(str::to_owned);
                return Err(write_error(from_sqlx(e), raw.as_deref()));
            }
            Err(_) => {
                return Err(CaseWriteError::Store(crate::unit_of_work::timed_out(
                    self.limit,
                )));
            }
        };
        if done.rows_affected() != 1 {
            return Err(CaseWriteError::Store(StoreError::Conflict {
                reason: "the case changed since it was read".into(),
            }));
        }
        self.write_settings(case).await?;
        Ok(())
    }

    async fn alerts_due(
        &mut self,
        today: time::Date,
        after: Option<CaseId>,
        limit: u32,
    ) -> Result<Vec<CaseId>, StoreError> {
        let rows = timed(
            self.limit,
            sqlx::query(
                "SELECT id FROM cases
                 WHERE next_alert_on <= ?1 AND (?2 IS NULL OR id > ?2)
                 ORDER BY id LIMIT ?3",
            )
            .bind(today)
            .bind(after.map(|a| a.0))
            .bind(i64::from(limit))
            .fetch_all(&mut *self.tx),
        )
        .await?;
        rows.iter()
            .map(|r| {
                r.try_get::<uuid::Uuid, _>("id")
                    .map(CaseId)
                    .map_err(from_sqlx)
            })
            .collect()
    }

    async fn tray(&mut self, query: &TrayQuery) -> Result<TrayPage, StoreError> {
        let mut rows = QueryBuilder::<Sqlite>::new("");
        push_tray(&mut rows, query, Select::Rows);
        let rows = timed(self.limit, rows.build().fetch_all(&mut *self.tx)).await?;
        let mut count = QueryBuilder::<Sqlite>::new("");
        push_tray(&mut count, query, Select::Count);
        let total: i64 = timed(self.limit, count.build().fetch_one(&mut *self.tx))
            .await?
            .try_get(0)
            .map_err(from_sqlx)?;
        Ok(TrayPage {
            rows: rows
                .iter()
                .map(|r| tray_row(r).map_err(from_sqlx))
                .collect::<Result<_, _>>()?,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    async fn append_timeline(&mut self, entry: &TimelineEntry) -> Result<(), StoreError> {
        timed(
            self.limit,
            sqlx::query(
                "INSERT INTO case_timeline (case_id, at, actor, what, visible_to)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .bind(entry.case.0)
            .bind(Ts(entry.at))
            .bind(entry.actor.map(|a| a.0))
            .bind(&entry.what)
            .bind(Json(entry.visible_to))
            .execute(&mut *self.tx),
        )
        .await?;
        Ok(())
    }

    async fn timeline(
        &mut self,
        case: CaseId,
        limit: u32,
    ) -> Result<Vec<TimelineEntry>, StoreError> {
        let rows = timed(
            self.limit,
            sqlx::query(
                "SELECT at, actor, what, visible_to FROM case_timeline
                 WHERE case_id = ?1 ORDER BY seq DESC LIMIT ?2",
            )
            .bind(case.0)
            .bind(i64::from(limit))
            .fetch_all(&mut *self.tx),
        )
        .await?;
        rows.iter()
            .map(|r| {
                Ok(TimelineEntry {
                    case,
                    at: r.try_get::<Ts, _>("at").map_err(from_sqlx)?.0,
                    actor: r
                        .try_get::<Option<uuid::Uuid>, _>("actor")
                        .map_err(from_sqlx)?
                        .map(AccountId),
                    what: r.try_get("what").map_err(from_sqlx)?,
                    visible_to: r
                        .try_get::<Json<Visibility>, _>("visible_to")
                        .map_err(|e| unreadable("timeline visibility", e))?
                        .0,
                })
            })
            .collect()
    }
}
