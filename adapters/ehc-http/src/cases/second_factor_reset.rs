//! *Reset second factor* on the LA's people page: a confirmation page, then
//! [`ehc_core::recovery::RecoveryService::reset_second_factor`] (LA officers only, never their
//! own; audited, the person e-mailed, their sessions ended, their next sign-in sets up a new
//! second factor).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use ehc_core::account::AccountId;
use ehc_core::case::CaseServiceError;
use ehc_core::recovery::RecoveryError;
use ehc_core::role::Action;

use crate::AppState;
use crate::client::Origin;
use crate::form::CheckedForm;
use crate::pages::{FieldError, Layout, PageError, PageResult, html};
use crate::session::HubSession;

#[derive(Template)]
#[template(path = "second_factor_reset.html")]
struct ConfirmPage {
    layout: Layout,
    errors: Vec<FieldError>,
    account: String,
    email: String,
}

/// The officer signed in and the person of the address, or the page that refuses: not signed
/// in (to their step), not an LA officer (403), an unknown person (404), themselves (403).
async fn officer_and_person(
    app: &AppState,
    session: &HubSession,
    raw_id: &str,
) -> Result<Result<(AccountId, AccountId, String), Response>, PageError> {
    let officer = match super::signed_in(app, session).await? {
        Ok(a) => a,
        Err(redirect) => return Ok(Err(redirect)),
    };
    if !app.may(officer, &Action::ResetSecondFactor).await? {
        return super::refused(app, CaseServiceError::NotAllowed)
            .await
            .map(Err);
    }
    let Some(person) = uuid::Uuid::try_parse(raw_id).ok().map(AccountId) else {
        return crate::pages::not_found(State(app.clone())).await.map(Err);
    };
    if person == officer {
        return own_second_factor(app).await.map(Err);
    }
    let mut tx = app.inner.store.begin().await?;
    let email = tx
        .accounts()
        .get(person)
        .await?
        .map(|a| a.email.to_string());
    tx.commit().await?;
    match email {
        Some(email) => Ok(Ok((officer, person, email))),
        None => crate::pages::not_found(State(app.clone())).await.map(Err),
    }
}

async fn own_second_factor(app: &AppState) -> PageResult {
    app.message(
        StatusCode::FORBIDDEN,
        "You cannot reset your own second factor",
        &["Ask another local authority officer to reset it. Nothing was changed."],
        Some(("/people", "Go to people and their roles")),
    )
    .await
}

pub(crate) async fn confirm_page(
    State(app): State<AppState>,
    session: tower_sessions::Session,
    Path(raw_id): Path<String>,
) -> PageResult {
    let session = HubSession(session);
    let (_, person, email) = match officer_and_person(&app, &session, &raw_id).await? {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    html(&ConfirmPage {
        layout: app
            .layout(&session, "Reset this person's second factor?", true)
            .await?,
        errors: Vec::new(),
        account: person.to_string(),
        email,
    })
}

pub(crate) async fn reset_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    Path(raw_id): Path<String>,
    CheckedForm { session, .. }: CheckedForm,
) -> PageResult {
    let (officer, person, email) = match officer_and_person(&app, &session, &raw_id).await? {
        Ok(found) => found,
        Err(page) => return Ok(page),
    };
    match app
        .inner
        .recovery
        .reset_second_factor(officer, person, app.now(), origin)
        .await
    {
        Ok(()) => {
            let back = format!(
                "/people?{}",
                form_urlencoded::Serializer::new(String::new())
                    .append_pair("email", &email)
                    .finish()
            );
            let done = format!(
                "{email} has been signed out everywhere. The next time they sign in, they will set up a new authenticator app or phone number. We have emailed them to say so."
            );
            app.message(
                StatusCode::OK,
                "Second factor reset",
                &[&done],
                Some((&back, "Back to this person's roles")),
            )
            .await
        }
        Err(RecoveryError::NotAllowed) => super::refused(&app, CaseServiceError::NotAllowed).await,
        Err(RecoveryError::OwnSecondFactor) => own_second_factor(&app).await,
        Err(RecoveryError::UnknownPerson) => crate::pages::not_found(State(app)).await,
        Err(RecoveryError::Store(e)) => Err(e.into()),
        Err(other) => Err(PageError::Internal(other.to_string())),
    }
}
