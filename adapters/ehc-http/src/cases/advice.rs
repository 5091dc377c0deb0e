//! Advice pages: the *Advice* section of the case page (who was asked, the due date, whether
//! each has submitted), the LA's *Request advice* form, and the advice page — the contributor
//! writes there (*Save draft*, *Submit advice*), the LA and the family read the advice once
//! submitted. Draft autosave is a progressive enhancement (`/static/advice.js`, allowed by
//! `script-src 'self'`): without JavaScript, *Save draft* does the same.
//!
//! The contributor attaches documents to their advice (*Attach a document* saves the draft,
//! then opens the upload page with `?for=advice-{n}`) and takes them off again (*Remove*, which
//! saves the draft too, so no typing is lost); the LA and the family see them with the
//! submitted advice.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use ehc_core::account::AccountId;
use ehc_core::case::advice::{self, AdviceShown};
use ehc_core::case::deadline::{DeadlineStatus, Party, long_date};
use ehc_core::case::{AdviceItem, Attachment, CaseError, CaseId, CaseServiceError, EventNumber};
use ehc_core::document::DocumentId;
use ehc_core::invitation::InviteError;

use crate::AppState;
use crate::client::Origin;
use crate::form::{CheckedForm, Fields};
use crate::pages::{FieldError, Layout, PageResult, messages_for, see_other};
use crate::session::HubSession;
use crate::times::{london, london_today};

/// The routes of the advice pages.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/cases/{id}/advice/new",
            get(request_page).post(request_submit),
        )
        .route(
            "/cases/{id}/advice/{number}",
            get(advice_page).post(advice_submit),
        )
        .route("/static/advice.js", get(advice_js))
}

async fn advice_js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../static/advice.js"),
    )
}

fn error(field: &'static str, message: impl Into<String>) -> Vec<FieldError> {
    vec![FieldError {
        field,
        message: message.into(),
    }]
}

// ---- the case page's section -------------------------------------------------------------------

/// One request in the case page's *Advice* section.
pub(crate) struct AdviceRow {
    pub(super) from: String,
    pub(super) requested_on: String,
    pub(super) due_on: String,
    pub(super) status: String,
    pub(super) status_class: &'static str,
    pub(super) link: Option<(String, &'static str)>,
}

/// The *Advice* section of the case page.
pub(crate) struct AdviceSection {
    pub(super) rows: Vec<AdviceRow>,
    pub(super) request_link: Option<String>,
}

/// The status of a request in words, with its tag colour: submitted (or received by the LA),
/// a draft saved, or the due date's status ("Due in 5 days", "Overdue by 3 days").
fn status(item: &AdviceItem, today: time::Date) -> (String, &'static str) {
    if let Some(s) = &item.request.submitted {
        return (
            format!("Submitted on {}", long_date(london_today(s.submitted_at))),
            "govuk-tag--green",
        );
    }
    if item.answered {
        return ("Received".to_owned(), "govuk-tag--green");
    }
    let open = DeadlineStatus::of_open(item.due_on, Party::La, today);
    let words = match (&item.request.draft, open) {
        (Some(_), DeadlineStatus::NotDueYet { .. } | DeadlineStatus::DueSoon { .. }) => {
            format!("Draft saved, not submitted: {}", open.describe())
        }
        (_, DeadlineStatus::Overdue { .. }) => format!("Not submitted: {}", open.describe()),
        _ => format!("Not submitted yet: {}", open.describe()),
    };
    (words, super::status_tag(open.key()))
}

/// The section for `viewer` on case `id`; `la` adds the *Request advice* link.
pub(crate) async fn section(
    app: &AppState,
    viewer: AccountId,
    id: CaseId,
    la: bool,
) -> Result<AdviceSection, CaseServiceError> {
    let now = app.now();
    let today = london_today(now);
    let items = app.cases().case_advice(viewer, id, now).await?;
    let rows = items
        .iter()
        .map(|item| {
            let (status, status_class) = status(item, today);
            let href = format!("/cases/{id}/advice/{}", item.request.number.0);
            let link = match item.shown {
                AdviceShown::Own if item.request.submitted.is_some() => {
                    Some((href, "View your advice"))
                }
                AdviceShown::Own if !item.answered => Some((href, "Give your advice")),
                AdviceShown::Advice if item.request.submitted.is_some() => {
                    Some((href, "Read the advice"))
                }
                _ => None,
            };
            AdviceRow {
                from: item.request.from.clone(),
                requested_on: long_date(item.request.requested_on),
                due_on: long_date(item.due_on),
                status,
                status_class,
                link,
            }
        })
        .collect();
    Ok(AdviceSection {
        rows,
        request_link: la.then(|| format!("/cases/{id}/advice/new")),
    })
}

// ---- Request advice (the LA) ---------------------------------------------------------------------

#[derive(Template)]
#[template(path = "advice_request.html")]
pub(crate) struct RequestPage {
    layout: Layout,
    errors: Vec<FieldError>,
    case_link: String,
    la_reference: String,
    version: i64,
    from: String,
    email: String,
    asked: String,
    due_if_today: String,
}

impl RequestPage {
    fn error_for(&self, field: &str) -> Option<Vec<String>> {
        messages_for(&self.errors, field)
    }
}

async fn request_form(
    app: &AppState,
    session: &HubSession,
    account: AccountId,
    id: CaseId,
    form: Option<&Fields>,
    errors: Vec<FieldError>,
) -> PageResult {
    let view = match app.cases().view(account, id, app.now(), None).await {
        Ok(v) if v.access.la => v,
        Ok(_) => return super::refused(app, CaseServiceError::NotAllowed).await,
        Err(e) => return super::refused(app, e).await,
    };
    let get = |name: &str| form.map(|f| f.get(name).to_owned()).unwrap_or_default();
    let page = RequestPage {
        layout: app.layout(session, "Request advice", true).await?,
        errors,
        case_link: format!("/cases/{id}"),
        la_reference: view.case.la_reference.to_string(),
        version: form
            .and_then(|f| f.get("version").parse().ok())
            .unwrap_or(view.version),
        from: get("from"),
        email: get("email"),
        asked: get("asked"),
        due_if_today: long_date(ehc_core::case::deadline::weeks_after(
            london_today(app.now()),
            ehc_core::case::advice::ADVICE_WEEKS,
        )),
    };
    super::form_response(&page, !page.errors.is_empty())
}

/// The signed-in account and the case of an advice address, or the response to give.
async fn open(
    app: &AppState,
    session: &HubSession,
    raw_id: &str,
) -> Result<Result<(AccountId, CaseId), axum::response::Response>, crate::pages::PageError> {
    let account = match super::signed_in(app, session).await? {
        Ok(a) => a,
        Err(redirect) => return Ok(Err(redirect)),
    };
    match super::case_id(raw_id) {
        Some(id) => Ok(Ok((account, id))),
        None => crate::pages::not_found(State(app.clone())).await.map(Err),
    }
}

pub(crate) async fn request_page(
    State(app): State<AppState>,
    session: tower_sessions::Session,
    Path(raw_id): Path<String>,
) -> PageResult {
    let session = HubSession(session);
    let (account, id) = match open(&app, &session, &raw_id).await? {
        Ok(t) => t,
        Err(r) => return Ok(r),
    };
    request_form(&app, &session, account, id, None, Vec::new()).await
}

/// The field of the *Request advice* form a refusal belongs to, or `None` for a refusal that
/// is not a form error.
fn request_error(e: &CaseServiceError) -> Option<&'static str> {
    match e {
        CaseServiceError::Invite(InviteError::Email(_)) => Some("email"),
        CaseServiceError::Invalid(
            CaseError::Missing("what advice is asked for")
            | CaseError::TooLong {
                what: "What advice is asked for",
                ..
            },
        ) => Some("asked"),
        CaseServiceError::Invalid(_) => Some("from"),
        _ => None,
    }
}

pub(crate) async fn request_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    Path(raw_id): Path<String>,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let (account, id) = match open(&app, &session, &raw_id).await? {
        Ok(t) => t,
        Err(r) => return Ok(r),
    };
    let version = form.get("version").parse::<i64>().unwrap_or(0);
    let now = app.now();
    let result = app
        .cases()
        .request_advice(
            account,
            id,
            version,
            (form.get("from"), form.get("email"), form.get("asked")),
            now,
            london_today(now),
            origin,
        )
        .await;
    match result {
        Ok(_) => Ok(see_other(&format!("/cases/{id}#advice"))),
        Err(e) => match request_error(&e) {
            Some(field) => {
                request_form(
                    &app,
                    &session,
                    account,
                    id,
                    Some(&form),
                    error(field, e.to_string()),
                )
                .await
            }
            None => super::refused(&app, e).await,
        },
    }
}

// ---- the advice page (the contributor writes; the LA and the family read) -----------------------

#[derive(Template)]
#[template(path = "advice.html")]
pub(crate) struct AdvicePageView {
    layout: Layout,
    errors: Vec<FieldError>,
    case_link: String,
    action: String,
    la_reference: String,
    from: String,
    asked: Vec<String>,
    requested_on: String,
    due_on: String,
    status: String,
    status_class: &'static str,
    own: bool,
    can_write: bool,
    text: String,
    saved_at: Option<String>,
    submitted: Option<(String, Vec<String>)>,
    max: usize,
    /// The documents attached to the advice that the viewer may see.
    documents: Vec<super::documents::DocumentRow>,
}

impl AdvicePageView {
    fn error_for(&self, field: &str) -> Option<Vec<String>> {
        messages_for(&self.errors, field)
    }
}

/// Paragraphs of a text as written (blank lines and line ends kept apart).
fn lines(text: &str) -> Vec<String> {
    text.lines().map(str::to_owned).collect()
}

#[allow(clippy::too_many_arguments)] // the request, and a form shown again with its text
async fn show_advice(
    app: &AppState,
    session: &HubSession,
    account: AccountId,
    id: CaseId,
    number: EventNumber,
    typed: Option<&str>,
    errors: Vec<FieldError>,
    origin: Option<std::net::IpAddr>,
) -> PageResult {
    let now = app.now();
    let page = match app
        .cases()
        .advice_page(account, id, number, now, origin)
        .await
    {
        Ok(p) => p,
        Err(e) => return super::refused(app, e).await,
    };
    let item = page.item;
    let documents = super::documents::attached(app, account, id, &item.request.documents).await?;
    let (status, status_class) = status(&item, london_today(now));
    let own = item.shown == AdviceShown::Own;
    let request = item.request;
    let view = AdvicePageView {
        layout: app
            .layout(
                session,
                if own { "Give your advice" } else { "Advice" },
                true,
            )
            .await?,
        errors,
        case_link: format!("/cases/{id}"),
        action: format!("/cases/{id}/advice/{}", number.0),
        la_reference: page.la_reference,
        from: request.from.clone(),
        asked: lines(&request.asked),
        requested_on: long_date(request.requested_on),
        due_on: long_date(item.due_on),
        status,
        status_class,
        own,
        can_write: own && !item.answered,
        text: typed.map_or_else(
            || {
                request
                    .draft
                    .as_ref()
                    .map(|d| d.text.clone())
                    .unwrap_or_default()
            },
            str::to_owned,
        ),
        saved_at: request.draft.as_ref().map(|d| london(d.saved_at)),
        submitted: request
            .submitted
            .as_ref()
            .map(|s| (london(s.submitted_at), lines(&s.text))),
        max: ehc_core::case::advice::MAX_ADVICE,
        documents,
    };
    super::form_response(&view, !view.errors.is_empty())
}

/// The request number of an advice address; `None` (404) for anything else.
fn number(raw: &str) -> Option<EventNumber> {
    raw.parse::<u32>().ok().map(EventNumber)
}

pub(crate) async fn advice_page(
    State(app): State<AppState>,
    Origin(origin): Origin,
    session: tower_sessions::Session,
    Path((raw_id, raw_number)): Path<(String, String)>,
) -> PageResult {
    let session = HubSession(session);
    let (account, id) = match open(&app, &session, &raw_id).await? {
        Ok(t) => t,
        Err(r) => return Ok(r),
    };
    let Some(number) = number(&raw_number) else {
        return crate::pages::not_found(State(app)).await;
    };
    show_advice(
        &app,
        &session,
        account,
        id,
        number,
        None,
        Vec::new(),
        origin,
    )
    .await
}

pub(crate) async fn advice_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    Path((raw_id, raw_number)): Path<(String, String)>,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let (account, id) = match open(&app, &session, &raw_id).await? {
        Ok(t) => t,
        Err(r) => return Ok(r),
    };
    let Some(number) = number(&raw_number) else {
        return crate::pages::not_found(State(app)).await;
    };
    let now = app.now();
    let text = form.get("advice");
    let page = format!("/cases/{id}/advice/{}", number.0);
    let result = match form.get("action") {
        "submit" => {
            app.cases()
                .submit_advice(account, id, number, text, now, london_today(now), origin)
                .await
        }
        // Attaching or removing a document saves the draft first: nothing typed is lost.
        action => {
            let saved = app
                .cases()
                .save_advice_draft(account, id, number, text, now, origin)
                .await;
            match (saved, action.strip_prefix("remove:")) {
                (Ok(()), Some(raw)) => match DocumentId::parse(raw) {
                    Some(document) => {
                        app.cases()
                            .detach_advice_document(account, id, number, document, now, origin)
                            .await
                    }
                    None => Err(CaseServiceError::Invalid(CaseError::OutOfOrder(
                        advice::NOT_ATTACHED,
                    ))),
                },
                (Ok(()), None) if action == "attach" => {
                    let attach = Attachment::Advice(number).as_field();
                    return Ok(see_other(&format!(
                        "/cases/{id}/documents/new?for={attach}"
                    )));
                }
                (saved, _) => saved,
            }
        }
    };
    match result {
        Ok(()) => Ok(see_other(&page)),
        Err(CaseServiceError::Invalid(e)) => {
            show_advice(
                &app,
                &session,
                account,
                id,
                number,
                Some(text),
                // A document that cannot be taken off is the documents' error, not the text's.
                error(
                    if matches!(e, CaseError::OutOfOrder(m) if m == advice::NOT_ATTACHED) {
                        "advice-documents"
                    } else {
                        "advice"
                    },
                    e.to_string(),
                ),
                origin,
            )
            .await
        }
        Err(e) => super::refused(&app, e).await,
    }
}
