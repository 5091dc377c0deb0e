//! The core's [`SettingRepository`] on SQLite: the `education_settings` table of migration 3.
//!
//! Upsert is one `INSERT … ON CONFLICT (urn) DO UPDATE … RETURNING revision`: SQLite cannot say
//! in RETURNING whether the row was inserted, so the row's `revision` does (1 when inserted,
//! more when overwritten). Names are searched in the core's [`search_key`] form, stored beside
//! them in `name_key`.

use async_trait::async_trait;
use ehc_core::ports::StoreError;
use ehc_core::setting::{
    EducationSetting, LaCode, SettingRepository, SettingStatus, UpsertOutcome, Urn, search_key,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{QueryBuilder, Row, Sqlite};

use crate::error::{from_sqlx, timed, unreadable};
use crate::unit_of_work::SqliteUnitOfWork;

const COLUMNS: &str = "urn, name, kind, phase, la_code, status";

/// How many URNs one `get_many` statement binds (SQLite allows 32,766 parameters).
const URNS_PER_STATEMENT: usize = 500;

fn setting_from(row: &SqliteRow) -> Result<EducationSetting, StoreError> {
    let get_text = |column: &str| row.try_get::<String, _>(column).map_err(from_sqlx);
    let urn: i64 = row.try_get("urn").map_err(from_sqlx)?;
    let status = get_text("status")?;
    let la_code = get_text("la_code")?;
    Ok(EducationSetting {
        urn: Urn::parse(&urn.to_string()).map_err(|e| unreadable("URN", e))?,
        name: get_text("name")?,
        kind: get_text("kind")?,
        phase: get_text("phase")?,
        la_code: LaCode::parse(&la_code).map_err(|e| unreadable("LA code", e))?,
        status: SettingStatus::from_storage(&status)
            .ok_or_else(|| unreadable("setting status", &status))?,
    })
}

#[async_trait]
impl SettingRepository for SqliteUnitOfWork {
    async fn upsert(&mut self, setting: &EducationSetting) -> Result<UpsertOutcome, StoreError> {
        let revision: i64 = timed(
            self.limit,
            sqlx::query_scalar(
                "INSERT INTO education_settings (urn, name, name_key, kind, phase, la_code, status)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (urn) DO UPDATE SET
                   name = excluded.name, name_key = excluded.name_key, kind = excluded.kind,
                   phase = excluded.phase, la_code = excluded.la_code, status = excluded.status,
                   revision = education_settings.revision + 1
                 RETURNING revision",
            )
            .bind(i64::from(setting.urn.get()))
            .bind(&setting.name)
            .bind(search_key(&setting.name))
            .bind(&setting.kind)
            .bind(&setting.phase)
            .bind(setting.la_code.to_string())
            .bind(setting.status.as_str())
            .fetch_one(&mut *self.tx),
        )
        .await?;
        Ok(if revision == 1 {
            UpsertOutcome::Inserted
        } else {
            UpsertOutcome::Updated
        })
    }

    async fn get(&mut self, urn: Urn) -> Result<Option<EducationSetting>, StoreError> {
        let row = timed(
            self.limit,
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM education_settings WHERE urn = ?1"
            )))
            .bind(i64::from(urn.get()))
            .fetch_optional(&mut *self.tx),
        )
        .await?;
        row.as_ref().map(setting_from).transpose()
    }

    async fn get_many(&mut self, urns: &[Urn]) -> Result<Vec<EducationSetting>, StoreError> {
        let mut wanted = urns.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        let mut found = Vec::with_capacity(wanted.len());
        // Chunks in ascending order, each sorted by URN: the result is in URN order.
        for chunk in wanted.chunks(URNS_PER_STATEMENT) {
            let mut query = QueryBuilder::<Sqlite>::new(format!(
                "SELECT {COLUMNS} FROM education_settings WHERE urn IN ("
            ));
            let mut list = query.separated(", ");
            for urn in chunk {
                list.push_bind(i64::from(urn.get()));
            }
            query.push(") ORDER BY urn");
            let rows = timed(self.limit, query.build().fetch_all(&mut *self.tx)).await?;
            for row in &rows {
                found.push(setting_from(row)?);
            }
        }
        Ok(found)
    }

    async fn search(
        &mut self,
        query: &str,
        limit: u32,
    ) -> Result<Vec<EducationSetting>, StoreError> {
        let query = query.trim();
        if query.is_empty() || limit == 0 {
            return Ok(Vec::new());
        }
        let mut found = Vec::new();
        if let Ok(urn) = Urn::parse(query)
            && let Some(setting) = self.get(urn).await?
        {
            found.push(setting);
        }
        let exclude = found.first().map_or(0, |s| i64::from(s.urn.get()));
        let rest = i64::from(limit) - found.len() as i64;
        if rest > 0 {
            let rows = timed(
                self.limit,
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM education_settings INDEXED BY education_settings_by_name_key
                     WHERE instr(name_key, ?1) > 0 AND urn <> ?2
                     ORDER BY name_key, urn LIMIT ?3"
                )))
                .bind(search_key(query))
                .bind(exclude)
                .bind(rest)
                .fetch_all(&mut *self.tx),
            )
            .await?;
            for row in &rows {
                found.push(setting_from(row)?);
            }
        }
        Ok(found)
    }

    async fn count(&mut self) -> Result<u64, StoreError> {
        let n: i64 = timed(
            self.limit,
            sqlx::query_scalar("SELECT count(*) FROM education_settings").fetch_one(&mut *self.tx),
        )
        .await?;
        u64::try_from(n).map_err(|e| unreadable("setting count", e))
    }
}
