//! *Reset your password*: the form on the sign-in page's *Forgotten your password?* link, the
//! one answer it always gives, and *Choose a new password* behind the e-mailed link
//! ([`ehc_core::recovery::RecoveryService`] decides every rule). The posts are rate-limited per
//! client address with the other sign-in posts.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;

use ehc_core::notification::templates::describe_minutes;
use ehc_core::recovery::RecoveryError;

use super::{FieldError, Layout, PageError, PageResult, PasswordPage, html, messages_for};
use crate::AppState;
use crate::client::Origin;
use crate::form::CheckedForm;
use crate::session::HubSession;

/// The routes of this module (their posts go under the sign-in's rate limit).
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/reset-password", get(request_page).post(request_submit))
        .route(
            "/reset-password/{token}",
            get(new_password_page).post(new_password_submit),
        )
}

#[derive(Template)]
#[template(path = "reset_password.html")]
struct RequestPage {
    layout: Layout,
    errors: Vec<FieldError>,
    email: String,
}
field_errors!(RequestPage);

async fn request_page(State(app): State<AppState>, session: tower_sessions::Session) -> PageResult {
    let session = HubSession(session);
    html(&RequestPage {
        layout: app.layout(&session, "Reset your password", false).await?,
        errors: Vec::new(),
        email: String::new(),
    })
}

/// The same page whether or not the address has an account (the service does the same work).
async fn request_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let email = form.get("email");
    match app
        .inner
        .recovery
        .request_reset(email, app.now(), origin)
        .await
    {
        Ok(()) => {
            let lasts =
                describe_minutes(app.inner.settings.password_reset_valid_for.whole_minutes());
            app.message(
                StatusCode::OK,
                "Check your email",
                &[
                    "If an account exists for this email address, we have sent a link to reset its password.",
                    &format!("The link works once, for {lasts}. If you ask again, only the newest link works."),
                    "If nothing arrives within a few minutes, check your spam folder, then contact the local authority.",
                ],
                Some(("/sign-in", "Back to sign in")),
            )
            .await
        }
        Err(RecoveryError::Email(e)) => {
            let page = RequestPage {
                layout: app.layout(&session, "Reset your password", false).await?,
                errors: vec![FieldError {
                    field: "email",
                    message: e.to_string(),
                }],
                email: email.to_owned(),
            };
            crate::cases::form_response(&page, true)
        }
        Err(RecoveryError::Store(e)) => Err(e.into()),
        Err(other) => Err(PageError::Internal(other.to_string())),
    }
}

impl AppState {
    /// *Choose a new password* for `email`, with `errors`.
    async fn new_password_form(
        &self,
        session: &HubSession,
        email: String,
        errors: Vec<FieldError>,
    ) -> PageResult {
        let page = PasswordPage {
            layout: self.layout(session, "Choose a new password", false).await?,
            lead: "You are choosing a new password for",
            email,
            password_label: "New password",
            button: "Change password",
            min_chars: self.inner.settings.password.min_chars,
            context_words: self.context_words_text(),
            errors,
        };
        crate::cases::form_response(&page, !page.errors.is_empty())
    }

    /// The one page for an unknown, used, superseded or expired reset link (404).
    async fn reset_link_unusable(&self) -> PageResult {
        self.message(
            StatusCode::NOT_FOUND,
            "This link cannot be used",
            &[
                "The link may have expired, it may have been used already, or you may have asked for a newer one since.",
                "You can ask for a new link. Only the newest link works.",
            ],
            Some(("/reset-password", "Ask for a new link")),
        )
        .await
    }
}

async fn new_password_page(
    State(app): State<AppState>,
    session: tower_sessions::Session,
    Path(token): Path<String>,
) -> PageResult {
    let session = HubSession(session);
    match app.inner.recovery.open_reset(&token, app.now()).await {
        Ok(email) => {
            app.new_password_form(&session, email.to_string(), Vec::new())
                .await
        }
        Err(RecoveryError::Store(e)) => Err(e.into()),
        Err(_) => app.reset_link_unusable().await,
    }
}

async fn new_password_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    Path(token): Path<String>,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let now = app.now();
    let result = app
        .inner
        .recovery
        .reset_password(
            &token,
            form.get("password"),
            form.get("confirm"),
            now,
            origin,
        )
        .await;
    match result {
        Ok(_) => {
            // Every session of the account is over, this one too if it was the person's.
            let _ = app.current(&session).await?;
            app.message(
                StatusCode::OK,
                "Your password has been changed",
                &[
                    "You have been signed out everywhere. Sign in with your new password and your security code.",
                    "We have sent an email to say your password was changed.",
                ],
                Some(("/sign-in", "Sign in")),
            )
            .await
        }
        Err(RecoveryError::Password(violations)) => {
            match app.inner.recovery.open_reset(&token, now).await {
                Ok(email) => {
                    app.new_password_form(
                        &session,
                        email.to_string(),
                        super::password_errors(&violations),
                    )
                    .await
                }
                Err(RecoveryError::Store(e)) => Err(e.into()),
                Err(_) => app.reset_link_unusable().await,
            }
        }
        Err(RecoveryError::Link(_)) => app.reset_link_unusable().await,
        Err(RecoveryError::Store(e)) => Err(e.into()),
        Err(other) => Err(PageError::Internal(other.to_string())),
    }
}
