//! *Audit log* (`/audit`): an LA officer searches the audit log by person (e-mail address), case
//! (LA reference), kind of entry and a range of Europe/London calendar days, pages through it
//! newest first (keyset pages of [`ehc_core::audit::PAGE_SIZE`]) and exports it as CSV
//! (`/audit.csv`, same filters, streamed chunk by chunk). [`ehc_core::audit::AuditService`]
//! decides who may, checks the filters and appends each search and export to the log.
//!
//! Anyone else gets the back office's refusal (403, *You do not have permission to do this*),
//! and sees no entry. Unusable filters get the GOV.UK error summary and no search.

use askama::Template;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use ehc_core::account::AccountId;
use ehc_core::audit::{
    AuditEntry, AuditExport, AuditKey, AuditKind, AuditSearch, AuditServiceError, EXPORT_CHUNK,
    FilterField, PagePosition,
};
use ehc_core::case::CaseServiceError;

use crate::AppState;
use crate::cases::{DateFields, form_response, refused, signed_in};
use crate::client::Origin;
use crate::form::Fields;
use crate::pages::{FieldError, Layout, PageError, PageResult, messages_for};
use crate::session::HubSession;
use crate::times::{london, london_at, london_midnight_after};

/// The routes of this module.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/audit", get(audit_page))
        .route("/audit.csv", get(audit_csv))
}

/// The filters as entered (shown again in the form, carried by the page and export links).
#[derive(Default)]
struct Filters {
    person: String,
    case: String,
    kind: String,
    from: DateFields,
    to: DateFields,
}

impl Filters {
    fn read(query: &Fields) -> Self {
        Self {
            person: query.get("person").trim().to_owned(),
            case: query.get("case").trim().to_owned(),
            kind: query.get("kind").trim().to_owned(),
            from: DateFields::read(query, "from"),
            to: DateFields::read(query, "to"),
        }
    }

    /// The filters as query parameters, plus `extra` (a page's key).
    fn query(&self, extra: Option<(&str, String)>) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("person", &self.person),
            ("case", &self.case),
            ("kind", &self.kind),
            ("from-day", &self.from.day),
            ("from-month", &self.from.month),
            ("from-year", &self.from.year),
            ("to-day", &self.to.day),
            ("to-month", &self.to.month),
            ("to-year", &self.to.year),
        ] {
            if !value.is_empty() {
                query.append_pair(name, value);
            }
        }
        if let Some((name, value)) = extra {
            query.append_pair(name, &value);
        }
        query.finish()
    }

    /// The search, with the days read as Europe/London instants (from the start of the first
    /// day to the end of the last), or the date fields' own errors.
    fn search(&self) -> (AuditSearch, Vec<FieldError>) {
        let mut errors = Vec::new();
        let mut day = |fields: &DateFields, label: &str, field: &'static str| {
            if fields.day.is_empty() && fields.month.is_empty() && fields.year.is_empty() {
                return None;
            }
            fields
                .date(label)
                .map_err(|message| errors.push(FieldError { field, message }))
                .ok()
        };
        let from = day(&self.from, "the first day", "from-day");
        let to = day(&self.to, "the last day", "to-day");
        let search = AuditSearch {
            person: self.person.clone(),
            case: self.case.clone(),
            kind: self.kind.clone(),
            from: from.map(|d| london_at(d, 0)),
            until: to.map(london_midnight_after),
        };
        (search, errors)
    }
}

/// The page's field of a filter error of the core.
fn field_of(field: FilterField) -> &'static str {
    match field {
        FilterField::Person => "person",
        FilterField::Case => "case",
        FilterField::Kind => "kind",
        FilterField::Until => "to-day",
    }
}

/// Errors in the order of the form's fields.
fn in_form_order(mut errors: Vec<FieldError>) -> Vec<FieldError> {
    let order = ["person", "case", "kind", "from-day", "to-day"];
    errors.sort_by_key(|e| order.iter().position(|f| *f == e.field));
    errors
}

struct Row {
    when: String,
    who: String,
    about: String,
    kind: String,
    case_reference: String,
    detail: String,
    origin: String,
}

impl Row {
    fn of(entry: &AuditEntry) -> Self {
        let e = &entry.event;
        Self {
            when: london(e.at),
            who: match (&entry.actor_email, e.actor) {
                (Some(email), _) => email.clone(),
                (None, Some(id)) => format!("Account {}", id.0),
                (None, None) => "No one signed in".to_owned(),
            },
            about: match (&entry.subject_email, e.subject) {
                (Some(email), _) => email.clone(),
                (None, Some(id)) => format!("Account {}", id.0),
                (None, None) => String::new(),
            },
            kind: e.kind.describe(),
            case_reference: entry.case_reference.clone().unwrap_or_default(),
            detail: e.detail.clone(),
            origin: e.origin.map(|o| o.to_string()).unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    layout: Layout,
    errors: Vec<FieldError>,
    person: String,
    case: String,
    kind: String,
    from: DateFields,
    to: DateFields,
    kinds: Vec<(&'static str, String)>,
    searched: bool,
    rows: Vec<Row>,
    previous: Option<String>,
    next: Option<String>,
    export: String,
}

impl AuditPage {
    fn error_for(&self, field: &str) -> Option<Vec<String>> {
        messages_for(&self.errors, field)
    }
}

/// The page: the form with `filters`, and either `errors` or the rows of a search.
async fn render(
    app: &AppState,
    session: &HubSession,
    filters: Filters,
    outcome: Result<ehc_core::audit::AuditPage, Vec<FieldError>>,
) -> PageResult {
    let (errors, rows, previous, next) = match outcome {
        Err(errors) => (in_form_order(errors), Vec::new(), None, None),
        Ok(page) => (
            Vec::new(),
            page.entries.iter().map(Row::of).collect(),
            page.newer
                .map(|k| format!("/audit?{}", filters.query(Some(("newer", k.to_param()))))),
            page.older
                .map(|k| format!("/audit?{}", filters.query(Some(("older", k.to_param()))))),
        ),
    };
    let mut layout = app.layout(session, "Audit log", true).await?;
    // Six columns of entries need the whole width.
    layout.wide = true;
    let page = AuditPage {
        layout,
        searched: errors.is_empty(),
        errors,
        export: format!("/audit.csv?{}", filters.query(None)),
        person: filters.person,
        case: filters.case,
        kind: filters.kind,
        from: filters.from,
        to: filters.to,
        kinds: AuditKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.describe()))
            .collect(),
        rows,
        previous,
        next,
    };
    form_response(&page, !page.errors.is_empty())
}

/// The refusal or the form's errors for a core error, or the fault.
enum Refusal {
    NotAllowed,
    Invalid(Vec<FieldError>),
}

fn refusal(e: AuditServiceError) -> Result<Refusal, PageError> {
    match e {
        AuditServiceError::NotAllowed => Ok(Refusal::NotAllowed),
        AuditServiceError::Invalid(errors) => Ok(Refusal::Invalid(
            errors
                .into_iter()
                .map(|e| FieldError {
                    field: field_of(e.field()),
                    message: e.to_string(),
                })
                .collect(),
        )),
        AuditServiceError::Store(s) => Err(s.into()),
    }
}

/// The filters of the request, and the search — or every error of the filters, found without
/// searching (the date fields', then the core's).
async fn checked(
    app: &AppState,
    account: AccountId,
    query: &Fields,
) -> Result<(Filters, Result<AuditSearch, Refusal>), PageError> {
    let filters = Filters::read(query);
    let (search, date_errors) = filters.search();
    if date_errors.is_empty() {
        return Ok((filters, Ok(search)));
    }
    // Bad dates: the other filters are still checked, so the summary lists every error.
    let without_dates = AuditSearch {
        from: None,
        until: None,
        ..search
    };
    let refusal = match app.audit().check(account, &without_dates, app.now()).await {
        Ok(()) => Refusal::Invalid(date_errors),
        Err(e) => match refusal(e)? {
            Refusal::NotAllowed => Refusal::NotAllowed,
            Refusal::Invalid(mut errors) => {
                errors.extend(date_errors);
                Refusal::Invalid(errors)
            }
        },
    };
    Ok((filters, Err(refusal)))
}

fn query_fields(query: Option<String>) -> Fields {
    Fields::parse(&Bytes::from(query.unwrap_or_default()))
}

async fn audit_page(
    State(app): State<AppState>,
    Origin(origin): Origin,
    session: tower_sessions::Session,
    RawQuery(query): RawQuery,
) -> PageResult {
    let session = HubSession(session);
    let account = match signed_in(&app, &session).await? {
        Ok(a) => a,
        Err(redirect) => return Ok(redirect),
    };
    let query = query_fields(query);
    let (filters, search) = checked(&app, account, &query).await?;
    let search = match search {
        Ok(search) => search,
        Err(Refusal::NotAllowed) => return refused(&app, CaseServiceError::NotAllowed).await,
        Err(Refusal::Invalid(errors)) => return render(&app, &session, filters, Err(errors)).await,
    };
    let key = |name: &str| AuditKey::parse_param(query.get(name));
    let position = match (key("older"), key("newer")) {
        (Some(k), _) => PagePosition::OlderThan(k),
        (None, Some(k)) => PagePosition::NewerThan(k),
        (None, None) => PagePosition::Newest,
    };
    match app
        .audit()
        .search(account, &search, position, app.now(), origin)
        .await
    {
        Ok(page) => render(&app, &session, filters, Ok(page)).await,
        Err(e) => match refusal(e)? {
            Refusal::NotAllowed => refused(&app, CaseServiceError::NotAllowed).await,
            Refusal::Invalid(errors) => render(&app, &session, filters, Err(errors)).await,
        },
    }
}

async fn audit_csv(
    State(app): State<AppState>,
    Origin(origin): Origin,
    session: tower_sessions::Session,
    RawQuery(query): RawQuery,
) -> PageResult {
    let session = HubSession(session);
    let account = match signed_in(&app, &session).await? {
        Ok(a) => a,
        Err(redirect) => return Ok(redirect),
    };
    let query = query_fields(query);
    let (filters, search) = checked(&app, account, &query).await?;
    let outcome = match search {
        Ok(search) => app
            .audit()
            .export(account, &search, app.now(), origin)
            .await
            .map_err(refusal),
        Err(refusal) => Err(Ok(refusal)),
    };
    let export = match outcome {
        Ok(export) => export,
        Err(refusal) => match refusal? {
            Refusal::NotAllowed => return refused(&app, CaseServiceError::NotAllowed).await,
            Refusal::Invalid(errors) => return render(&app, &session, filters, Err(errors)).await,
        },
    };
    let name = format!("audit-log-{}.csv", crate::times::london_today(app.now()));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        Body::from_stream(csv_stream(app, export)),
    )
        .into_response())
}

/// Where an export stands: the header row is next, or the chunk after a key, or the end.
enum Next {
    Header,
    After(Option<AuditKey>),
}

/// The CSV of `export`: the header row, then one chunk of [`EXPORT_CHUNK`] entries at a time,
/// each read when the client has taken the one before (never the whole log in memory). A fault
/// half-way ends the body with an error, so the client sees a broken download, not a short
/// file that looks whole.
fn csv_stream(
    app: AppState,
    export: AuditExport,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::unfold(Some(Next::Header), move |next| {
        let (app, export) = (app.clone(), export.clone());
        async move {
            let after = match next? {
                Next::Header => return Some((csv_bytes(&[HEADER]), Some(Next::After(None)))),
                Next::After(after) => after,
            };
            let entries = match app.audit().export_chunk(&export, after).await {
                Ok(entries) => entries,
                Err(e) => {
                    tracing::error!(error = %e, "the audit log export failed half-way");
                    return Some((Err(std::io::Error::other(e.to_string())), None));
                }
            };
            let more = entries.len() == EXPORT_CHUNK as usize;
            let last = entries.last().map(|e| e.key);
            let rows: Vec<[String; 8]> = entries.iter().map(csv_row).collect();
            let bytes = csv_bytes(&rows);
            Some((bytes, more.then_some(Next::After(last))))
        }
    })
}

const HEADER: [&str; 8] = [
    "When (UTC)",
    "When (London time)",
    "Who",
    "About",
    "Kind",
    "Case reference",
    "Detail",
    "Client address",
];

fn csv_row(entry: &AuditEntry) -> [String; 8] {
    let row = Row::of(entry);
    let at = entry.event.at;
    [
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute(),
            at.second(),
            at.microsecond()
        ),
        row.when,
        row.who,
        row.about,
        row.kind,
        row.case_reference,
        row.detail,
        row.origin,
    ]
}

/// A cell that a spreadsheet would read as a formula (it starts with `=`, `+`, `-`, `@`, a tab
/// or a carriage return) with a `'` before it (OWASP, CSV injection); others as they are.
fn safe_cell(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// The records as RFC 4180 CSV (quoted where needed, CRLF line ends), each cell made safe.
fn csv_bytes<R: AsRef<[C]>, C: AsRef<str>>(records: &[R]) -> Result<Bytes, std::io::Error> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    for record in records {
        writer.write_record(
            record
                .as_ref()
                .iter()
                .map(|c| safe_cell(c.as_ref()).into_owned()),
        )?;
    }
    writer
        .into_inner()
        .map(Bytes::from)
        .map_err(|e| std::io::Error::other(e.to_string()))
}

impl AppState {
    pub(crate) fn audit(&self) -> &ehc_core::audit::AuditService<crate::DynStore> {
        &self.inner.audit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_quoted_with_an_apostrophe_and_others_left_alone() {
        for (cell, safe) in [
            ("=1+1", "'=1+1"),
            ("+44 7700", "'+44 7700"),
            ("-2", "'-2"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("\rx", "'\rx"),
            ("jo@example.org", "jo@example.org"),
            ("a=b", "a=b"),
            ("", ""),
        ] {
            assert_eq!(safe_cell(cell), safe, "{cell:?}");
        }
        let bytes = csv_bytes(&[["a,b", "say \"hi\"", "=x"]]).unwrap();
        assert_eq!(&bytes[..], b"\"a,b\",\"say \"\"hi\"\"\",'=x\r\n");
    }
}
