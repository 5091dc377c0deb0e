//! The audit log search, for both databases (`audit_log` of migrations
//! `0001_accounts_and_sign_in.sql` and `0012_audit_search.sql`).

use ehc_core::account::AccountId;
use ehc_core::audit::{AuditEntry, AuditEvent, AuditFilter, AuditKey, AuditKind, PagePosition};
use ehc_core::case::CaseId;
use sqlx::{ColumnIndex, Database, Decode, Encode, QueryBuilder, Row, Type};
use time::OffsetDateTime;
use uuid::Uuid;

/// The columns of an [`AuditEvent`] in `audit_log` (as [`audit_event`] reads them).
pub const AUDIT_COLUMNS: &str = "at, actor, subject, kind, origin, case_id, detail";

/// Writes into `qb` (which must be empty) the search for at most `limit` entries matching
/// `filter` from `position`, with each entry's `seq`, its actor's and subject's addresses
/// (`actor_email`, `subject_email`) and its case's `la_reference`. Newest first, except for
/// [`PagePosition::NewerThan`], which reads oldest first from the key: the caller reverses
/// those rows. `instant` turns an instant into the database's own value.
///
/// Each filter is one equality on the first column of its index (`audit_log_by_actor`, …),
/// which ends with `(at, seq)`; the instants and the page's key are a range on those; the
/// order is the index's, read backwards. A person is actor or subject: two index reads, ORed.
pub fn push_audit_search<DB, T>(
    qb: &mut QueryBuilder<DB>,
    filter: &AuditFilter,
    position: PagePosition,
    limit: u32,
    instant: impl Fn(OffsetDateTime) -> T,
) where
    DB: Database,
    for<'a> Uuid: Encode<'a, DB> + Type<DB>,
    for<'a> String: Encode<'a, DB> + Type<DB>,
    for<'a> i64: Encode<'a, DB> + Type<DB>,
    for<'a> T: Encode<'a, DB> + Type<DB> + 'a,
{
    qb.push("SELECT l.seq, l.at, l.actor, l.subject, l.kind, l.origin, l.case_id, l.detail, ")
        .push("a.email_entered AS actor_email, s.email_entered AS subject_email, c.la_reference ")
        .push("FROM audit_log l ")
        .push("LEFT JOIN accounts a ON a.id = l.actor ")
        .push("LEFT JOIN accounts s ON s.id = l.subject ")
        .push("LEFT JOIN cases c ON c.id = l.case_id ")
        .push("WHERE 1 = 1");
    if let Some(person) = filter.person {
        qb.push(" AND (l.actor = ")
            .push_bind(person.0)
            .push(" OR l.subject = ")
            .push_bind(person.0)
            .push(")");
    }
    if let Some(case) = filter.case {
        qb.push(" AND l.case_id = ").push_bind(case.0);
    }
    if let Some(kind) = filter.kind {
        qb.push(" AND l.kind = ")
            .push_bind(kind.as_str().to_owned());
    }
    if let Some(from) = filter.from {
        qb.push(" AND l.at >= ").push_bind(instant(from));
    }
    if let Some(until) = filter.until {
        qb.push(" AND l.at < ").push_bind(instant(until));
    }
    let (key, compare, order) = match position {
        PagePosition::Newest => (None, "", "DESC"),
        PagePosition::OlderThan(key) => (Some(key), "<", "DESC"),
        PagePosition::NewerThan(key) => (Some(key), ">", "ASC"),
    };
    if let Some(key) = key {
        qb.push(" AND (l.at, l.seq) ")
            .push(compare)
            .push(" (")
            .push_bind(instant(key.at))
            .push(", ")
            .push_bind(key.seq)
            .push(")");
    }
    qb.push(" ORDER BY l.at ")
        .push(order)
        .push(", l.seq ")
        .push(order)
        .push(" LIMIT ")
        .push_bind(i64::from(limit));
}

fn decode_error(what: &str, e: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::Decode(format!("audit {what}: {e}").into())
}

/// An [`AuditEvent`] from a row with the [`AUDIT_COLUMNS`]; `at` reads the database's instant.
///
/// # Errors
/// Those of the driver, and `Decode` for an unknown kind or an unreadable client address.
pub fn audit_event<R, T>(
    row: &R,
    at: impl Fn(T) -> OffsetDateTime,
) -> Result<AuditEvent, sqlx::Error>
where
    R: Row,
    for<'c> &'c str: ColumnIndex<R>,
    for<'r> T: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Uuid: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
{
    let kind: String = row.try_get("kind")?;
    let origin: Option<String> = row.try_get("origin")?;
    Ok(AuditEvent {
        at: at(row.try_get("at")?),
        actor: row.try_get::<Option<Uuid>, _>("actor")?.map(AccountId),
        subject: row.try_get::<Option<Uuid>, _>("subject")?.map(AccountId),
        kind: AuditKind::parse(&kind).ok_or_else(|| decode_error("kind", &kind))?,
        origin: origin
            .map(|o| o.parse().map_err(|e| decode_error("origin", e)))
            .transpose()?,
        case: row.try_get::<Option<Uuid>, _>("case_id")?.map(CaseId),
        detail: row.try_get("detail")?,
    })
}

/// An [`AuditEntry`] from a row of [`push_audit_search`]'s query.
///
/// # Errors
/// As [`audit_event`].
pub fn audit_entry<R, T>(
    row: &R,
    at: impl Fn(T) -> OffsetDateTime,
) -> Result<AuditEntry, sqlx::Error>
where
    R: Row,
    for<'c> &'c str: ColumnIndex<R>,
    for<'r> T: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> Uuid: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> String: Decode<'r, R::Database> + Type<R::Database>,
    for<'r> i64: Decode<'r, R::Database> + Type<R::Database>,
{
    let event = audit_event(row, at)?;
    Ok(AuditEntry {
        key: AuditKey {
            at: event.at,
            seq: row.try_get("seq")?,
        },
        event,
        actor_email: row.try_get("actor_email")?,
        subject_email: row.try_get("subject_email")?,
        case_reference: row.try_get("la_reference")?,
    })
}
