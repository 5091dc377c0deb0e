//! *Email alerts*: how a signed-in person wants the hub's case alerts — each one straight away,
//! or one e-mail a day ([`ehc_core::alert`]).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

use ehc_core::alert::AlertPreference;

use crate::AppState;
use crate::cases::{form_response, signed_in};
use crate::form::CheckedForm;
use crate::pages::{FieldError, Layout, PageResult, messages_for, see_other};
use crate::session::HubSession;

/// The routes of this module.
pub(crate) fn routes() -> Router<AppState> {
    Router::new().route("/account/alerts", get(alerts_page).post(alerts_submit))
}

#[derive(Template)]
#[template(path = "alerts.html")]
struct AlertsPage {
    layout: Layout,
    errors: Vec<FieldError>,
    chosen: &'static str,
    saved: bool,
}

impl AlertsPage {
    fn error_for(&self, field: &str) -> Option<Vec<String>> {
        messages_for(&self.errors, field)
    }
}

#[derive(serde::Deserialize)]
struct SavedParam {
    saved: Option<String>,
}

async fn alerts_page(
    State(app): State<AppState>,
    session: tower_sessions::Session,
    axum::extract::Query(params): axum::extract::Query<SavedParam>,
) -> PageResult {
    let session = HubSession(session);
    let account = match signed_in(&app, &session).await? {
        Ok(a) => a,
        Err(redirect) => return Ok(redirect),
    };
    let preference = app.digests().preference(account).await?;
    let page = AlertsPage {
        layout: app.layout(&session, "Email alerts", true).await?,
        errors: Vec::new(),
        chosen: preference.as_str(),
        saved: params.saved.is_some(),
    };
    form_response(&page, false)
}

async fn alerts_submit(
    State(app): State<AppState>,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let account = match signed_in(&app, &session).await? {
        Ok(a) => a,
        Err(redirect) => return Ok(redirect),
    };
    let Some(preference) = AlertPreference::parse(form.get("alerts")) else {
        let page = AlertsPage {
            layout: app.layout(&session, "Email alerts", true).await?,
            errors: vec![FieldError {
                field: "alerts",
                message: "Select how you want to get email alerts".to_owned(),
            }],
            chosen: "",
            saved: false,
        };
        return form_response(&page, true);
    };
    app.digests()
        .set_preference(account, preference, app.now())
        .await?;
    Ok(see_other("/account/alerts?saved=1"))
}
