//! *My cases in progress* (the landing page after sign-in) and *Setting cases*: one page of the
//! person's work tray, ranked by the nearest statutory date, with filters, order and pages in
//! the address (so a filtered tray can be bookmarked and the back button works).

use askama::Template;
use axum::extract::{Query, State};
use serde::Deserialize;

use ehc_core::account::AccountId;
use ehc_core::case::deadline::long_date;
use ehc_core::case::tray::{DueFilter, PER_PAGE, TraySort};
use ehc_core::case::{Stage, TrayFilters};
use ehc_core::role::Urn;

use crate::AppState;
use crate::pages::{FieldError, Layout, PageResult, html, messages_for};
use crate::session::HubSession;
use crate::times::london_today;

/// The tray's address parameters, read leniently: an unknown value is ignored.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TrayParams {
    stage: Option<String>,
    due: Option<String>,
    setting: Option<String>,
    officer: Option<String>,
    sort: Option<String>,
    page: Option<String>,
}

/// One row of the table.
pub(crate) struct Row {
    link: String,
    child_name: String,
    la_reference: String,
    stage: &'static str,
    next_step: String,
    key_date: String,
    status: String,
    status_class: &'static str,
    /// Tagged *New request* (LA officers only): sent online, no case officer yet.
    new_request: bool,
    advice_overdue: bool,
}

/// A link of the pagination component.
pub(crate) struct PageLink {
    number: u32,
    href: String,
    current: bool,
}

#[derive(Template)]
#[template(path = "tray.html")]
pub(crate) struct TrayPage {
    layout: Layout,
    errors: Vec<FieldError>,
    heading: &'static str,
    action: &'static str,
    rows: Vec<Row>,
    total: u64,
    first_shown: u64,
    last_shown: u64,
    stage: String,
    due: String,
    setting: String,
    officer: String,
    sort: String,
    stages: Vec<(&'static str, &'static str)>,
    officers: Vec<(String, String)>,
    pages: Vec<PageLink>,
    previous: Option<String>,
    next: Option<String>,
    is_officer: bool,
    has_settings: bool,
    /// A one-time notice, e.g. few recovery codes left.
    notice: Option<String>,
}

impl TrayPage {
    fn error_for(&self, field: &str) -> Option<Vec<String>> {
        messages_for(&self.errors, field)
    }
}

fn address(action: &str, params: &[(&str, &str)], page: u32) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params.iter().filter(|(_, v)| !v.is_empty()) {
        query.append_pair(k, v);
    }
    if page > 1 {
        query.append_pair("page", &page.to_string());
    }
    let query = query.finish();
    if query.is_empty() {
        action.to_owned()
    } else {
        format!("{action}?{query}")
    }
}

pub(crate) async fn my_cases(
    State(app): State<AppState>,
    session: tower_sessions::Session,
    Query(params): Query<TrayParams>,
) -> PageResult {
    show(app, HubSession(session), params, false).await
}

pub(crate) async fn setting_cases(
    State(app): State<AppState>,
    session: tower_sessions::Session,
    Query(params): Query<TrayParams>,
) -> PageResult {
    show(app, HubSession(session), params, true).await
}

async fn show(
    app: AppState,
    session: HubSession,
    params: TrayParams,
    settings_only: bool,
) -> PageResult {
    let account = match super::signed_in(&app, &session).await? {
        Ok(a) => a,
        Err(redirect) => return Ok(redirect),
    };
    let now = app.now();
    let today = london_today(now);
    let mut errors = Vec::new();
    let setting_text = params.setting.clone().unwrap_or_default();
    let setting = if setting_text.trim().is_empty() {
        None
    } else {
        match Urn::parse(&setting_text) {
            Ok(urn) => Some(urn),
            Err(e) => {
                errors.push(FieldError {
                    field: "setting",
                    message: e.to_string(),
                });
                None
            }
        }
    };
    let stage = params.stage.as_deref().and_then(Stage::parse);
    let due = match params.due.as_deref() {
        Some("overdue") => Some(DueFilter::Overdue),
        Some("due-soon") => Some(DueFilter::DueSoon),
        Some("advice-overdue") => Some(DueFilter::AdviceOverdue),
        _ => None,
    };
    let (is_officer, officers) = match app.cases().la_officers(account, now).await {
        Ok(list) => (true, list),
        Err(ehc_core::case::CaseServiceError::NotAllowed) => (false, Vec::new()),
        Err(e) => return super::refused(&app, e).await,
    };
    let officer = params
        .officer
        .as_deref()
        .and_then(|o| uuid::Uuid::try_parse(o).ok())
        .map(AccountId)
        .filter(|_| is_officer);
    let sort = params
        .sort
        .as_deref()
        .and_then(TraySort::parse)
        .unwrap_or_default();
    let page_number = params
        .page
        .as_deref()
        .and_then(|p| p.parse::<u32>().ok())
        .filter(|p| (1..=100_000).contains(p))
        .unwrap_or(1);
    let filters = TrayFilters {
        stage,
        due,
        setting,
        officer,
        settings_only,
        sort,
        page: page_number,
    };
    let (page, scope) = match app.cases().tray(account, &filters, now, today).await {
        Ok(r) => r,
        Err(e) => return super::refused(&app, e).await,
    };
    let rows = page
        .rows
        .iter()
        .map(|s| {
            let status = s.status(today);
            Row {
                link: format!("/cases/{}", s.id),
                child_name: s.child_name.clone(),
                la_reference: s.la_reference.to_string(),
                stage: s.stage.describe(),
                next_step: s
                    .next_step
                    .clone()
                    .unwrap_or_else(|| "No statutory date".to_owned()),
                key_date: s.next_due.map(long_date).unwrap_or_default(),
                status: status.map(|st| st.describe()).unwrap_or_default(),
                status_class: status.map_or("", |st| super::status_tag(st.key())),
                new_request: is_officer && s.new_request,
                advice_overdue: s.advice_overdue(today),
            }
        })
        .collect();
    let action = if settings_only {
        "/setting-cases"
    } else {
        "/cases"
    };
    let stage_s = stage.map(Stage::as_str).unwrap_or_default().to_owned();
    let due_s = params
        .due
        .clone()
        .filter(|_| due.is_some())
        .unwrap_or_default();
    let officer_s = officer.map(|o| o.to_string()).unwrap_or_default();
    let setting_s = setting.map(|u| u.to_string()).unwrap_or_default();
    let sort_s = if sort == TraySort::default() {
        String::new()
    } else {
        sort.as_str().to_owned()
    };
    let kept: Vec<(&str, &str)> = vec![
        ("stage", &stage_s),
        ("due", &due_s),
        ("setting", &setting_s),
        ("officer", &officer_s),
        ("sort", &sort_s),
    ];
    let last_page = u32::try_from(page.total.div_ceil(u64::from(PER_PAGE)))
        .unwrap_or(u32::MAX)
        .max(1);
    let pages = (1..=last_page)
        .filter(|n| *n == 1 || *n == last_page || n.abs_diff(page_number) <= 2)
        .map(|n| PageLink {
            number: n,
            href: address(action, &kept, n),
            current: n == page_number,
        })
        .collect();
    let offset = u64::from(page_number - 1) * u64::from(PER_PAGE);
    let notice = session.take_notice().await?;
    let page_view = TrayPage {
        notice,
        layout: app
            .layout(
                &session,
                if settings_only {
                    "Setting cases"
                } else {
                    "My cases in progress"
                },
                true,
            )
            .await?,
        errors,
        heading: if settings_only {
            "Setting cases"
        } else {
            "My cases in progress"
        },
        action,
        first_shown: if page.rows.is_empty() { 0 } else { offset + 1 },
        last_shown: offset + page.rows.len() as u64,
        rows,
        total: page.total,
        stage: stage_s.clone(),
        due: due_s.clone(),
        setting: if setting.is_some() {
            setting_s.clone()
        } else {
            setting_text
        },
        officer: officer_s.clone(),
        sort: sort_s.clone(),
        stages: Stage::ALL
            .iter()
            .map(|s| (s.as_str(), s.describe()))
            .collect(),
        officers: officers
            .into_iter()
            .map(|(id, email)| (id.to_string(), email))
            .collect(),
        previous: (page_number > 1).then(|| address(action, &kept, page_number - 1)),
        next: (page_number < last_page).then(|| address(action, &kept, page_number + 1)),
        pages,
        is_officer,
        has_settings: !scope.settings.is_empty(),
    };
    html(&page_view)
}
