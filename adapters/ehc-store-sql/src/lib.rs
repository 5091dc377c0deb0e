//! # ehc-store-sql: the SQL both storage adapters share
//!
//! The work-tray query ([`ehc_core::case::tray::TrayQuery`]) is the same in PostgreSQL and
//! SQLite: both take `IN (…)` lists, `NULLS LAST` and `LIMIT … OFFSET …`, and sqlx's
//! [`QueryBuilder`] writes each dialect's placeholders. [`push_tray`] writes it once for any
//! database whose driver binds `uuid::Uuid`, `time::Date`, `i32` and `i64`; the adapters run it
//! and read its rows with [`tray_row`] (`cases` columns of their migrations `0004_cases.sql`
//! and `0008_new_requests.sql`).
//!
//! The audit log search ([`ehc_core::audit::AuditLog::search`]) is shared the same way:
//! [`push_audit_search`] writes it, [`audit_entry`] and [`audit_event`] read its rows.

mod audit;

pub use audit::{AUDIT_COLUMNS, audit_entry, audit_event, push_audit_search};

use ehc_core::account::AccountId;
use ehc_core::case::tray::{CaseSummary, DueFilter, TrayQuery, TraySort};
use ehc_core::case::{CaseId, LaReference, Stage};
use sqlx::{ColumnIndex, Database, Decode, Encode, QueryBuilder, Row, Type};
use time::Date;
use uuid::Uuid;

/// The columns of a tray row, in `cases`, before `next_due`, `next_step` and `advice_due`
/// (which [`push_tray`] selects itself, hidden for the scope's partial cases; `advice_due` is
/// migration `0006_case_alerts.sql`'s).
pub const TRAY_COLUMNS: &str =
    "id, la_reference, child_name, child_sort, stage, officer_id, received_on, new_request";

/// What to select.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Select {
    /// The page's rows ([`TRAY_COLUMNS`]), ordered, limited and offset.
    Rows,
    /// `count(*)` of every matching case.
    Count,
}

/// Pushes `column`, or — when the scope has partial cases — `NULL` for them
/// (`CASE WHEN id IN (…) THEN NULL ELSE column END`).
fn push_hidden<DB>(qb: &mut QueryBuilder<DB>, query: &TrayQuery, column: &str)
where
    DB: Database,
    for<'a> Uuid: Encode<'a, DB> + Type<DB>,
{
    if query.scope.partial.is_empty() {
        qb.push(column);
        return;
    }
    qb.push("(CASE WHEN id IN (");
    let mut list = qb.separated(", ");
    for case in &query.scope.partial {
        list.push_bind(case.0);
    }
    qb.push(") THEN NULL ELSE ").push(column).push(" END)");
}

/// Writes the tray query for `query` into `qb` (which must be empty).
pub fn push_tray<DB>(qb: &mut QueryBuilder<DB>, query: &TrayQuery, select: Select)
where
    DB: Database,
    for<'a> Uuid: Encode<'a, DB> + Type<DB>,
    for<'a> Date: Encode<'a, DB> + Type<DB>,
    for<'a> String: Encode<'a, DB> + Type<DB>,
    for<'a> i32: Encode<'a, DB> + Type<DB>,
    for<'a> i64: Encode<'a, DB> + Type<DB>,
{
    match select {
        Select::Rows => {
            qb.push("SELECT ").push(TRAY_COLUMNS).push(", ");
            push_hidden(qb, query, "next_due");
            qb.push(" AS next_due, ");
            push_hidden(qb, query, "next_step");
            qb.push(" AS next_step, ");
            push_hidden(qb, query, "advice_due");
            qb.push(" AS advice_due")
        }
        Select::Count => qb.push("SELECT count(*)"),
    };
    qb.push(" FROM cases WHERE 1 = 1");
    let scope = &query.scope;
    // The scope is a single `id IN (…)`, never an OR of them: under an OR, PostgreSQL keeps the
    // sub-select as a filter and SQLite tests each row against the list, so both scanned every
    // case in date order to find a SENDCo's few (bench/cases, 100 000 cases: a SENDCo's page 5
    // took 65 ms on PostgreSQL, 40 ms on SQLite). As one IN, both start from the scope's ids (a
    // semi-join; an IN-list search) and sort only those.
    if !scope.all {
        if scope.cases.is_empty() && scope.settings.is_empty() {
            qb.push(" AND 1 = 0");
        } else if scope.settings.is_empty() {
            qb.push(" AND id IN (");
            let mut list = qb.separated(", ");
            for case in &scope.cases {
                list.push_bind(case.0);
            }
            qb.push(")");
        } else {
            qb.push(" AND id IN (SELECT case_id FROM case_settings WHERE urn IN (");
            let mut list = qb.separated(", ");
            for urn in &scope.settings {
                list.push_bind(urn_value(urn.get()));
            }
            qb.push(")");
            if !scope.cases.is_empty() {
                qb.push(" UNION ALL SELECT id FROM cases WHERE id IN (");
                let mut list = qb.separated(", ");
                for case in &scope.cases {
                    list.push_bind(case.0);
                }
                qb.push(")");
            }
            qb.push(")");
        }
    }
    if let Some(stage) = query.stage {
        qb.push(" AND stage = ")
            .push_bind(stage.as_str().to_owned());
    }
    if let Some(urn) = query.setting {
        qb.push(" AND id IN (SELECT case_id FROM case_settings WHERE urn = ")
            .push_bind(urn_value(urn.get()))
            .push(")");
        // A contributor does not see a case's settings: filtering by one must not reveal them.
        if !query.scope.partial.is_empty() {
            qb.push(" AND id NOT IN (");
            let mut list = qb.separated(", ");
            for case in &query.scope.partial {
                list.push_bind(case.0);
            }
            qb.push(")");
        }
    }
    if let Some(officer) = query.officer {
        qb.push(" AND officer_id = ").push_bind(officer.0);
    }
    match query.due {
        None => {}
        Some(DueFilter::Overdue) => {
            qb.push(" AND ");
            push_hidden(qb, query, "next_due");
            qb.push(" < ").push_bind(query.today);
        }
        Some(DueFilter::DueSoon) => {
            qb.push(" AND ");
            push_hidden(qb, query, "next_due");
            qb.push(" >= ").push_bind(query.today).push(" AND ");
            push_hidden(qb, query, "next_due");
            qb.push(" <= ").push_bind(query.due_soon_until());
        }
        Some(DueFilter::AdviceOverdue) => {
            qb.push(" AND ");
            push_hidden(qb, query, "advice_due");
            qb.push(" < ").push_bind(query.today);
        }
    }
    if select == Select::Rows {
        match query.sort {
            TraySort::NextDate => {
                qb.push(" ORDER BY ");
                if query.new_requests_first() {
                    qb.push("new_request DESC, ");
                }
                push_hidden(qb, query, "next_due");
                qb.push(" ASC NULLS LAST, child_sort, id")
            }
            TraySort::ChildName => qb.push(" ORDER BY child_sort, id"),
            TraySort::Received => qb.push(" ORDER BY received_on DESC, child_sort, id"),
        };
        qb.push(" LIMIT ")
            .push_bind(i64::from(query.per_page))
            .push(" OFFSET ")
            .push_bind(i64::try_from(query.offset()).unwrap_or(i64::MAX));
    }
}

/// A URN as both schemas store it (`integer`): URNs are 6 digits, so they always fit.
pub fn urn_value(urn: u32) -> i32 {
    i32::try_from(urn).unwrap_or(i32::MAX)
}

/// A row of the tray query (or any row with the [`TRAY_COLUMNS`] and `next_due`, `next_step`,
/// `advice_due`)
/// read back into the core's summary. A stored value the core refuses (a stage or reference it
/// does not know) is `sqlx::Error::Decode`, so each adapter maps it as any unreadable value.
///
/// # Errors
/// Those of the driver, and `Decode` for an unknown stage or a bad reference.
pub fn tray_row<R>(row: &R) -> Result<CaseSummary, sqlx::Error>
where
    R: Row,
    for<'c> &'c str: ColumnIndex<R>,
    for<'r> Uuid: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Date: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> bool: Decode<'r, R::Database> + Type<R::Database>,
{
    let stage: String = row.try_get("stage")?;
    let reference: String = row.try_get("la_reference")?;
    Ok(CaseSummary {
        id: CaseId(row.try_get("id")?),
        la_reference: LaReference::parse(&reference)
            .map_err(|e| sqlx::Error::Decode(format!("LA reference {reference:?}: {e}").into()))?,
        child_name: row.try_get("child_name")?,
        child_sort: row.try_get("child_sort")?,
        stage: Stage::parse(&stage)
            .ok_or_else(|| sqlx::Error::Decode(format!("unknown stage {stage:?}").into()))?,
        next_due: row.try_get("next_due")?,
        next_step: row.try_get("next_step")?,
        officer: row.try_get::<Option<Uuid>, _>("officer_id")?.map(AccountId),
        received_on: row.try_get("received_on")?,
        new_request: row.try_get("new_request")?,
        advice_due: row.try_get("advice_due")?,
    })
}
