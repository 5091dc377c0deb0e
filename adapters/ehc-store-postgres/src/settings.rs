//! The core's [`SettingRepository`] on PostgreSQL: the `education_settings` table of
//! migration 3.
//!
//! Upsert is one `INSERT … ON CONFLICT (urn) DO UPDATE … RETURNING (xmax = 0)`: true when the
//! row version was just inserted, false when an existing row was overwritten. Names are
//! searched in the core's [`search_key`] form, stored beside them in `name_key`, with a
//! `LIKE` that the trigram index of the migration serves; results are ordered by `name_key`
//! in byte order (`COLLATE "C"`), as the other stores order them, whatever the database's
//! collation.

use async_trait::async_trait;
use ehc_core::ports::StoreError;
use ehc_core::setting::{
    EducationSetting, LaCode, SettingRepository, SettingStatus, UpsertOutcome, Urn, search_key,
};
use sqlx::Row;
use sqlx::postgres::PgRow;

use crate::error::{from_sqlx, timed, unreadable};
use crate::unit_of_work::PgUnitOfWork;

const COLUMNS: &str = "urn, name, kind, phase, la_code, status";

fn setting_from(row: &PgRow) -> Result<EducationSetting, StoreError> {
    let get_text = |column: &str| row.try_get::<String, _>(column).map_err(from_sqlx);
    let urn: i32 = row.try_get("urn").map_err(from_sqlx)?;
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

/// A URN as PostgreSQL's `integer` (it is at most 999,999).
fn urn_to_db(urn: Urn) -> Result<i32, StoreError> {
    i32::try_from(urn.get()).map_err(|_| StoreError::Unexpected {
        reason: format!("URN {urn} is out of range"),
    })
}

/// `%text%` for `LIKE … ESCAPE '\'`, with `text`'s own `\`, `%` and `_` taken literally.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[async_trait]
impl SettingRepository for PgUnitOfWork {
    async fn upsert(&mut self, setting: &EducationSetting) -> Result<UpsertOutcome, StoreError> {
        let inserted: bool = timed(
            self.limit,
            sqlx::query_scalar(
                "INSERT INTO education_settings (urn, name, name_key, kind, phase, la_code, status)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (urn) DO UPDATE SET
                   name = excluded.name, name_key = excluded.name_key, kind = excluded.kind,
                   phase = excluded.phase, la_code = excluded.la_code, status = excluded.status
                 RETURNING (xmax = 0)",
            )
            .bind(urn_to_db(setting.urn)?)
            .bind(&setting.name)
            .bind(search_key(&setting.name))
            .bind(&setting.kind)
            .bind(&setting.phase)
            .bind(setting.la_code.to_string())
            .bind(setting.status.as_str())
            .fetch_one(&mut *self.tx),
        )
        .await?;
        Ok(if inserted {
            UpsertOutcome::Inserted
        } else {
            UpsertOutcome::Updated
        })
    }

    async fn get(&mut self, urn: Urn) -> Result<Option<EducationSetting>, StoreError> {
        let row = timed(
            self.limit,
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM education_settings WHERE urn = $1"
            )))
            .bind(urn_to_db(urn)?)
            .fetch_optional(&mut *self.tx),
        )
        .await?;
        row.as_ref().map(setting_from).transpose()
    }

    async fn get_many(&mut self, urns: &[Urn]) -> Result<Vec<EducationSetting>, StoreError> {
        let wanted = urns
            .iter()
            .map(|urn| urn_to_db(*urn))
            .collect::<Result<Vec<i32>, _>>()?;
        let rows = timed(
            self.limit,
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM education_settings WHERE urn = ANY($1) ORDER BY urn"
            )))
            .bind(wanted)
            .fetch_all(&mut *self.tx),
        )
        .await?;
        rows.iter().map(setting_from).collect()
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
        let exclude = match found.first() {
            Some(s) => urn_to_db(s.urn)?,
            None => 0,
        };
        let rest = i64::from(limit) - found.len() as i64;
        if rest > 0 {
            let rows = timed(
                self.limit,
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "SELECT {COLUMNS} FROM education_settings
                     WHERE name_key LIKE $1 ESCAPE '\\' AND urn <> $2
                     ORDER BY name_key COLLATE \"C\", urn LIMIT $3"
                )))
                .bind(contains_pattern(&search_key(query)))
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

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn like_wildcards_in_a_query_are_taken_literally() {
        assert_eq!(contains_pattern("st mary"), "%st mary%");
        assert_eq!(contains_pattern(r"100%_\"), r"%100\%\_\\%");
    }
}
