//! *Your account*: a signed-in person sees their address, second factor and recovery codes, and
//! changes them — *Change your password*, *Change how you get security codes*, *Change your
//! email address* — each behind *Enter your password to continue* (valid 10 minutes), and
//! *Sign out of every other device*. [`ehc_core::account_change::AccountChangeService`] decides
//! every rule; the posts that check a password or a code, or send a text or an e-mail, are
//! rate-limited per client address with the sign-in's.

use askama::Template;
use axum::Router;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use ehc_core::account_change::{AccountChangeError, Reauthentication};
use ehc_core::second_factor::{Enrolment, NewSecondFactor};
use ehc_core::sign_in::SignInState;

use super::{
    CodePage, FieldError, Layout, MethodPage, PageError, PageResult, PasswordPage, TextSetUpPage,
    app_set_up_page, code_locked, html, messages_for, page_for, password_errors, password_locked,
    see_other, send_limited, texted_code_is_late,
};
use crate::AppState;
use crate::cases::form_response;
use crate::client::Origin;
use crate::form::CheckedForm;
use crate::session::HubSession;

/// Where a new second factor's forms post.
const NEW_FACTOR: &str = "/account/security-codes";

/// The pages a confirmed password leads back to (`?then=`); anything else leads to `/account`.
const THEN: [&str; 3] = [
    "/account/password",
    "/account/email",
    "/account/security-codes/method",
];

/// The routes that check nothing secret and send nothing.
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route("/account", get(account_page))
        .route("/account/password", get(password_page))
        .route("/account/email", get(email_page))
        .route(
            "/account/sign-out-elsewhere",
            get(sign_out_elsewhere_page).post(sign_out_elsewhere_submit),
        )
        .route(
            "/account/security-codes/method",
            get(method_page).post(method_submit),
        )
        .route("/account/security-codes/app", get(app_page))
        .route("/account/security-codes/text", get(text_page))
        .route("/account/security-codes/code", get(code_page))
        .route("/account/security-codes/start-again", post(start_again))
}

/// The posts that check a password or a code, or send a text or an e-mail.
pub(super) fn limited_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/account/confirm-password",
            get(confirm_page).post(confirm_submit),
        )
        .route("/account/password", post(password_submit))
        .route("/account/email", post(email_submit))
        .route(
            "/account/email/confirm/{token}",
            get(email_confirm_page).post(email_confirm_submit),
        )
        .route("/account/security-codes/text", post(text_submit))
        .route("/account/security-codes/code", post(code_submit))
        .route("/account/security-codes/resend", post(resend_submit))
}

/// The person's words for a refusal.
fn describe(e: &AccountChangeError) -> String {
    match e {
        AccountChangeError::PasswordLocked { until } => password_locked(*until),
        AccountChangeError::CodeLocked { until } => code_locked(*until),
        AccountChangeError::SendLimitReached { retry_at } => send_limited(*retry_at),
        AccountChangeError::TooSoon { .. } => {
            "We sent you a link less than a minute ago. Wait a minute, then ask again.".to_owned()
        }
        other => other.to_string(),
    }
}

/// A refusal the page shows (`Ok`), a redirect (signed out, or the password is due again), or
/// a fault.
fn refusal(
    e: AccountChangeError,
    then: &str,
) -> Result<Result<Response, AccountChangeError>, PageError> {
    match e {
        AccountChangeError::Store(e) => Err(e.into()),
        e @ (AccountChangeError::Hash(_) | AccountChangeError::Randomness(_)) => {
            Err(PageError::Internal(e.to_string()))
        }
        AccountChangeError::NotSignedIn => Ok(Ok(see_other("/sign-in"))),
        AccountChangeError::ReauthenticationNeeded => Ok(Ok(see_other(&confirm_path(then)))),
        other => Ok(Err(other)),
    }
}

fn confirm_path(then: &str) -> String {
    format!("/account/confirm-password?then={then}")
}

/// The signed-in state, or where to go instead: the sign-in, the recovery codes waiting to be
/// saved.
async fn signed_in_state(
    app: &AppState,
    session: &HubSession,
) -> Result<Result<SignInState, Response>, PageError> {
    let state = app.current(session).await?;
    if state.signed_in_account().is_none() {
        return Ok(Err(see_other(page_for(&state))));
    }
    if session.recovery_codes().await?.is_some() {
        return Ok(Err(see_other("/sign-in/recovery-codes")));
    }
    Ok(Ok(state))
}

/// The signed-in state and a fresh re-authentication, or where to go instead (*Enter your
/// password to continue*, returning to `then`).
async fn changing(
    app: &AppState,
    session: &HubSession,
    then: &str,
) -> Result<Result<(SignInState, Reauthentication), Response>, PageError> {
    let state = match signed_in_state(app, session).await? {
        Ok(state) => state,
        Err(redirect) => return Ok(Err(redirect)),
    };
    let proof = session.reauthentication().await?;
    match (
        app.inner
            .changes
            .reauthenticated(&state, proof.as_ref(), app.now()),
        proof,
    ) {
        (Ok(_), Some(proof)) => Ok(Ok((state, proof))),
        _ => Ok(Err(see_other(&confirm_path(then)))),
    }
}

impl AppState {
    /// The signed-in person's address now, for the change pages' words and the app's label.
    async fn account_email(
        &self,
        state: &SignInState,
    ) -> Result<ehc_core::account::EmailAddress, PageError> {
        match self.inner.changes.overview(state).await {
            Ok(overview) => Ok(overview.email),
            Err(AccountChangeError::Store(e)) => Err(e.into()),
            Err(other) => Err(PageError::Internal(other.to_string())),
        }
    }
}

// ---- Your account ---------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    layout: Layout,
    errors: Vec<FieldError>,
    notice: Option<String>,
    email: String,
    second_factor: String,
    recovery_codes_left: u32,
}

async fn account_page(State(app): State<AppState>, session: tower_sessions::Session) -> PageResult {
    let session = HubSession(session);
    let state = match signed_in_state(&app, &session).await? {
        Ok(state) => state,
        Err(redirect) => return Ok(redirect),
    };
    let overview = match app.inner.changes.overview(&state).await {
        Ok(overview) => overview,
        Err(e) => match refusal(e, "/account")? {
            Ok(redirect) => return Ok(redirect),
            Err(other) => return Err(PageError::Internal(other.to_string())),
        },
    };
    html(&AccountPage {
        layout: app.layout(&session, "Your account", true).await?,
        errors: Vec::new(),
        notice: session.take_notice().await?,
        email: overview.email.to_string(),
        second_factor: match overview.second_factor {
            Some(Enrolment::App { .. }) => "Authenticator app".to_owned(),
            Some(Enrolment::Text { phone }) => {
                format!("Text message to the number ending {}", phone.last_digits())
            }
            None => "Not set up".to_owned(),
        },
        recovery_codes_left: overview.recovery_codes_left,
    })
}

// ---- Enter your password to continue --------------------------------------------------------

#[derive(Template)]
#[template(path = "confirm_password.html")]
struct ConfirmPage {
    layout: Layout,
    errors: Vec<FieldError>,
    then: String,
    minutes: i64,
}
field_errors!(ConfirmPage);

#[derive(Deserialize)]
struct ThenQuery {
    then: Option<String>,
}

/// `then` if it is one of [`THEN`], else `/account`.
fn then_or_account(then: Option<&str>) -> &'static str {
    THEN.into_iter()
        .find(|t| Some(*t) == then)
        .unwrap_or("/account")
}

impl AppState {
    async fn confirm_form(
        &self,
        session: &HubSession,
        then: &str,
        errors: Vec<FieldError>,
    ) -> PageResult {
        let page = ConfirmPage {
            layout: self
                .layout(session, "Enter your password to continue", true)
                .await?,
            errors,
            then: then.to_owned(),
            minutes: self
                .inner
                .settings
                .reauthentication_valid_for
                .whole_minutes(),
        };
        form_response(&page, !page.errors.is_empty())
    }
}

async fn confirm_page(
    State(app): State<AppState>,
    session: tower_sessions::Session,
    query: Result<Query<ThenQuery>, QueryRejection>,
) -> PageResult {
    let session = HubSession(session);
    if let Err(redirect) = signed_in_state(&app, &session).await? {
        return Ok(redirect);
    }
    // A query the form cannot read (`?then=a&then=b`) is as if there were none.
    let then = then_or_account(query.ok().and_then(|Query(q)| q.then).as_deref());
    app.confirm_form(&session, then, Vec::new()).await
}

async fn confirm_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let state = match signed_in_state(&app, &session).await? {
        Ok(state) => state,
        Err(redirect) => return Ok(redirect),
    };
    let then = then_or_account(Some(form.get("then")));
    match app
        .inner
        .changes
        .confirm_password(&state, form.get("password"), app.now(), origin)
        .await
    {
        Ok(proof) => {
            session.set_reauthentication(&proof).await?;
            Ok(see_other(then))
        }
        Err(e) => match refusal(e, then)? {
            Ok(redirect) => Ok(redirect),
            Err(shown) => {
                let errors = vec![FieldError {
                    field: "password",
                    message: describe(&shown),
                }];
                app.confirm_form(&session, then, errors).await
            }
        },
    }
}

// ---- Change your password -------------------------------------------------------------------

impl AppState {
    async fn password_form(
        &self,
        session: &HubSession,
        state: &SignInState,
        errors: Vec<FieldError>,
    ) -> PageResult {
        let email = self.account_email(state).await?.to_string();
        let page = PasswordPage {
            layout: self.layout(session, "Change your password", true).await?,
            lead: "You are changing the password for",
            email,
            password_label: "New password",
            button: "Change password",
            min_chars: self.inner.settings.password.min_chars,
            context_words: self.context_words_text(),
            errors,
        };
        form_response(&page, !page.errors.is_empty())
    }
}

async fn password_page(
    State(app): State<AppState>,
    session: tower_sessions::Session,
) -> PageResult {
    let session = HubSession(session);
    match changing(&app, &session, "/account/password").await? {
        Ok((state, _)) => app.password_form(&session, &state, Vec::new()).await,
        Err(redirect) => Ok(redirect),
    }
}

async fn password_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let (state, proof) = match changing(&app, &session, "/account/password").await? {
        Ok(ok) => ok,
        Err(redirect) => return Ok(redirect),
    };
    let result = app
        .inner
        .changes
        .change_password(
            &state,
            Some(&proof),
            form.get("password"),
            form.get("confirm"),
            app.now(),
            origin,
        )
        .await;
    match result {
        Ok(()) => {
            session.set_just_changed("password").await?;
            Ok(see_other("/account/sign-out-elsewhere"))
        }
        Err(e) => match refusal(e, "/account/password")? {
            Ok(redirect) => Ok(redirect),
            Err(AccountChangeError::Password(violations)) => {
                app.password_form(&session, &state, password_errors(&violations))
                    .await
            }
            Err(other) => Err(PageError::Internal(other.to_string())),
        },
    }
}

// ---- Sign out of every other device ---------------------------------------------------------

#[derive(Template)]
#[template(path = "sign_out_elsewhere.html")]
struct SignOutElsewherePage {
    layout: Layout,
    errors: Vec<FieldError>,
    /// The success banner's words after a change, if one was just made.
    changed: Option<&'static str>,
}
field_errors!(SignOutElsewherePage);

/// The banner for the change just made (`password`, `security-codes`), kept once in the
/// session by the change itself: a link cannot make the page claim a change.
fn changed_banner(changed: Option<&str>) -> Option<&'static str> {
    match changed {
        Some("password") => Some("Your password has been changed"),
        Some("security-codes") => Some("You have a new way to get security codes"),
        _ => None,
    }
}

async fn sign_out_elsewhere_form(
    app: &AppState,
    session: &HubSession,
    changed: Option<&str>,
    errors: Vec<FieldError>,
) -> PageResult {
    let page = SignOutElsewherePage {
        layout: app
            .layout(
                session,
                "Do you want to sign out of every other device?",
                true,
            )
            .await?,
        errors,
        changed: changed_banner(changed),
    };
    form_response(&page, !page.errors.is_empty())
}

async fn sign_out_elsewhere_page(
    State(app): State<AppState>,
    session: tower_sessions::Session,
) -> PageResult {
    let session = HubSession(session);
    if let Err(redirect) = signed_in_state(&app, &session).await? {
        return Ok(redirect);
    }
    let changed = session.just_changed().await?;
    sign_out_elsewhere_form(&app, &session, changed.as_deref(), Vec::new()).await
}

async fn sign_out_elsewhere_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let state = match signed_in_state(&app, &session).await? {
        Ok(state) => state,
        Err(redirect) => return Ok(redirect),
    };
    let answer = form.get("sign-out");
    if matches!(answer, "yes" | "no") {
        session.take_just_changed().await?;
    }
    match answer {
        "yes" => {
            let now = app.now();
            match app
                .inner
                .changes
                .end_other_sessions(&state, now, origin)
                .await
            {
                Ok(kept) => {
                    session.set_state(&state, &kept, now, false).await?;
                    session
                        .set_notice("You have been signed out of every other device. You are still signed in here.")
                        .await?;
                    Ok(see_other("/account"))
                }
                Err(e) => match refusal(e, "/account")? {
                    Ok(redirect) => Ok(redirect),
                    Err(other) => Err(PageError::Internal(other.to_string())),
                },
            }
        }
        "no" => Ok(see_other("/account")),
        _ => {
            let errors = vec![FieldError {
                field: "sign-out",
                message: "Select yes if you want to sign out of every other device".to_owned(),
            }];
            let changed = session.just_changed().await?;
            sign_out_elsewhere_form(&app, &session, changed.as_deref(), errors).await
        }
    }
}

// ---- Change your email address --------------------------------------------------------------

#[derive(Template)]
#[template(path = "change_email.html")]
struct ChangeEmailPage {
    layout: Layout,
    errors: Vec<FieldError>,
    current: String,
    email: String,
    /// How long the link works, in words (`1 hour`).
    valid_for: String,
}
field_errors!(ChangeEmailPage);

impl AppState {
    async fn email_form(
        &self,
        session: &HubSession,
        state: &SignInState,
        typed: &str,
        errors: Vec<FieldError>,
    ) -> PageResult {
        let current = self.account_email(state).await?.to_string();
        let page = ChangeEmailPage {
            layout: self
                .layout(session, "Change your email address", true)
                .await?,
            errors,
            current,
            email: typed.to_owned(),
            valid_for: ehc_core::notification::templates::describe_minutes(
                self.inner.settings.email_change_valid_for.whole_minutes(),
            ),
        };
        form_response(&page, !page.errors.is_empty())
    }
}

async fn email_page(State(app): State<AppState>, session: tower_sessions::Session) -> PageResult {
    let session = HubSession(session);
    match changing(&app, &session, "/account/email").await? {
        Ok((state, _)) => app.email_form(&session, &state, "", Vec::new()).await,
        Err(redirect) => Ok(redirect),
    }
}

async fn email_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let (state, proof) = match changing(&app, &session, "/account/email").await? {
        Ok(ok) => ok,
        Err(redirect) => return Ok(redirect),
    };
    let typed = form.get("email");
    let result = app
        .inner
        .changes
        .request_email_change(&state, Some(&proof), typed, app.now(), origin)
        .await;
    match result {
        Ok(new) => {
            let lasts = ehc_core::notification::templates::describe_minutes(
                app.inner.settings.email_change_valid_for.whole_minutes(),
            );
            app.message(
                StatusCode::OK,
                "Check your email",
                &[
                    &format!("We have sent a link to {new}. Use it within {lasts} to confirm your new email address."),
                    "Your address changes only when you use the link: until then, sign in with the address you use now. We have also emailed that address to tell you about this change.",
                    "If nothing arrives within a few minutes, check your spam folder, or ask again: only the newest link works.",
                ],
                Some(("/account", "Back to your account")),
            )
            .await
        }
        Err(e) => match refusal(e, "/account/email")? {
            Ok(redirect) => Ok(redirect),
            Err(
                shown @ (AccountChangeError::Email(_)
                | AccountChangeError::SameEmail
                | AccountChangeError::TooSoon { .. }),
            ) => {
                let errors = vec![FieldError {
                    field: "email",
                    message: describe(&shown),
                }];
                app.email_form(&session, &state, typed, errors).await
            }
            Err(other) => Err(PageError::Internal(other.to_string())),
        },
    }
}

#[derive(Template)]
#[template(path = "confirm_email.html")]
struct ConfirmEmailPage {
    layout: Layout,
    errors: Vec<FieldError>,
    old: String,
    new: String,
}

impl AppState {
    /// The one page for an unknown, used, superseded or expired e-mail change link (404).
    async fn email_link_unusable(&self) -> PageResult {
        self.message(
            StatusCode::NOT_FOUND,
            "This link cannot be used",
            &[
                "The link may have expired, it may have been used already, or a newer link may have been sent since, or you may have changed your password or how you get security codes since asking.",
                "Your account shows your email address now. To change it, ask for a new link there. Only the newest link works.",
            ],
            Some(("/account", "Go to your account")),
        )
        .await
    }
}

impl AppState {
    /// The page for an e-mail change link opened without a signed-in session of its account
    /// (403): sign in, then open the link again.
    async fn email_link_needs_sign_in(&self, message: Option<String>) -> PageResult {
        let first = message.unwrap_or_else(|| {
            "For your security, this link works only when you are signed in to the account whose email address is changing.".to_owned()
        });
        self.message(
            StatusCode::FORBIDDEN,
            "Sign in to confirm your new email address",
            &[
                &first,
                "Sign in with the email address you use now, then open the link in the email again. Your email address has not changed yet.",
            ],
            Some(("/sign-in", "Sign in")),
        )
        .await
    }

    /// The page for a refused e-mail change link: faults become [`PageError`]s.
    async fn email_link_refused(&self, e: AccountChangeError) -> PageResult {
        match e {
            AccountChangeError::NotSignedIn => self.email_link_needs_sign_in(None).await,
            e @ AccountChangeError::LinkForAnotherAccount => {
                self.message(
                    StatusCode::FORBIDDEN,
                    "This link is for another account",
                    &[&format!("{e}."), "Nothing has changed on your account."],
                    Some(("/account", "Go to your account")),
                )
                .await
            }
            e @ AccountChangeError::EmailTaken => {
                self.message(
                    StatusCode::CONFLICT,
                    "This email address cannot be used",
                    &[
                        &format!("{e}."),
                        "Contact the local authority if you need help.",
                    ],
                    Some(("/account", "Go to your account")),
                )
                .await
            }
            AccountChangeError::Store(e) => Err(e.into()),
            AccountChangeError::Link(_) => self.email_link_unusable().await,
            other => Err(PageError::Internal(other.to_string())),
        }
    }
}

/// The link went to the new address; it works in a signed-in session of its account.
async fn email_confirm_page(
    State(app): State<AppState>,
    session: tower_sessions::Session,
    token: Result<Path<String>, PathRejection>,
) -> PageResult {
    let session = HubSession(session);
    // An address that is not even text (`%00%ff`) is an unusable link like any other.
    let Ok(Path(token)) = token else {
        return app.email_link_unusable().await;
    };
    let state = app.current(&session).await?;
    match app
        .inner
        .changes
        .open_email_change(&state, &token, app.now())
        .await
    {
        Ok((old, new)) => html(&ConfirmEmailPage {
            layout: app
                .layout(&session, "Confirm your new email address", true)
                .await?,
            errors: Vec::new(),
            old: old.to_string(),
            new: new.to_string(),
        }),
        Err(e) => app.email_link_refused(e).await,
    }
}

async fn email_confirm_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    token: Result<Path<String>, PathRejection>,
    CheckedForm { session, .. }: CheckedForm,
) -> PageResult {
    let Ok(Path(token)) = token else {
        return app.email_link_unusable().await;
    };
    let state = app.current(&session).await?;
    match app
        .inner
        .changes
        .confirm_email_change(&state, &token, app.now(), origin)
        .await
    {
        Ok((old, new)) => {
            app.message(
                StatusCode::OK,
                "Your email address has been changed",
                &[
                    &format!("You now sign in with {new}, and we will send your emails there."),
                    &format!("We have emailed {old} to tell you about this change."),
                ],
                Some(("/account", "Go to your account")),
            )
            .await
        }
        Err(e) => app.email_link_refused(e).await,
    }
}

// ---- Change how you get security codes ------------------------------------------------------

const METHOD_THEN: &str = "/account/security-codes/method";

async fn method_form(app: &AppState, session: &HubSession, errors: Vec<FieldError>) -> PageResult {
    let page = MethodPage {
        layout: app
            .layout(session, "How do you want to get security codes?", true)
            .await?,
        base: NEW_FACTOR,
        back: Some("/account"),
        errors,
    };
    form_response(&page, !page.errors.is_empty())
}

async fn method_page(State(app): State<AppState>, session: tower_sessions::Session) -> PageResult {
    let session = HubSession(session);
    match changing(&app, &session, METHOD_THEN).await? {
        Ok(_) => method_form(&app, &session, Vec::new()).await,
        Err(redirect) => Ok(redirect),
    }
}

async fn method_submit(
    State(app): State<AppState>,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let (state, proof) = match changing(&app, &session, METHOD_THEN).await? {
        Ok(ok) => ok,
        Err(redirect) => return Ok(redirect),
    };
    match form.get("method") {
        "app" => match app.inner.changes.new_app(&state, Some(&proof), app.now()) {
            Ok(new) => {
                session.set_new_factor(Some(&new)).await?;
                Ok(see_other("/account/security-codes/app"))
            }
            Err(e) => match refusal(e, METHOD_THEN)? {
                Ok(redirect) => Ok(redirect),
                Err(other) => Err(PageError::Internal(other.to_string())),
            },
        },
        "text" => {
            session.set_new_factor(None).await?;
            Ok(see_other("/account/security-codes/text"))
        }
        _ => {
            let errors = vec![FieldError {
                field: "method",
                message: "Select how you want to get security codes".to_owned(),
            }];
            method_form(&app, &session, errors).await
        }
    }
}

#[derive(Deserialize)]
struct QrQuery {
    qr: Option<String>,
}

async fn new_app_page(
    app: &AppState,
    session: &HubSession,
    state: &SignInState,
    show_qr: bool,
    errors: Vec<FieldError>,
) -> PageResult {
    let Some(NewSecondFactor::App { secret }) = session.new_factor().await? else {
        return Ok(see_other(METHOD_THEN));
    };
    let email = app.account_email(state).await?;
    let layout = app
        .layout(session, "Set up your authenticator app", true)
        .await?;
    let errors_shown = !errors.is_empty();
    let mut response = app_set_up_page(app, layout, NEW_FACTOR, &secret, &email, show_qr, errors)?;
    if errors_shown {
        *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(response)
}

async fn app_page(
    State(app): State<AppState>,
    session: tower_sessions::Session,
    query: Result<Query<QrQuery>, QueryRejection>,
) -> PageResult {
    let session = HubSession(session);
    match changing(&app, &session, METHOD_THEN).await? {
        Ok((state, _)) => {
            let show_qr = query.is_ok_and(|Query(q)| q.qr.is_some());
            new_app_page(&app, &session, &state, show_qr, Vec::new()).await
        }
        Err(redirect) => Ok(redirect),
    }
}

async fn text_form(
    app: &AppState,
    session: &HubSession,
    mobile: &str,
    errors: Vec<FieldError>,
) -> PageResult {
    let page = TextSetUpPage {
        layout: app
            .layout(session, "Enter your mobile phone number", true)
            .await?,
        base: NEW_FACTOR,
        errors,
        mobile: mobile.to_owned(),
    };
    form_response(&page, !page.errors.is_empty())
}

async fn text_page(State(app): State<AppState>, session: tower_sessions::Session) -> PageResult {
    let session = HubSession(session);
    match changing(&app, &session, METHOD_THEN).await? {
        Ok(_) => text_form(&app, &session, "", Vec::new()).await,
        Err(redirect) => Ok(redirect),
    }
}

async fn text_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let (state, proof) = match changing(&app, &session, METHOD_THEN).await? {
        Ok(ok) => ok,
        Err(redirect) => return Ok(redirect),
    };
    let mobile = form.get("mobile");
    match app
        .inner
        .changes
        .text_new_number(&state, Some(&proof), mobile, app.now(), origin)
        .await
    {
        Ok((new, message)) => {
            session.set_new_factor(Some(&new)).await?;
            session.set_texted(message).await?;
            Ok(see_other("/account/security-codes/code"))
        }
        Err(e) => match refusal(e, METHOD_THEN)? {
            Ok(redirect) => Ok(redirect),
            Err(shown) => {
                let errors = vec![FieldError {
                    field: "mobile",
                    message: describe(&shown),
                }];
                text_form(&app, &session, mobile, errors).await
            }
        },
    }
}

async fn new_code_page(
    app: &AppState,
    session: &HubSession,
    state: &SignInState,
    notice: Option<String>,
    errors: Vec<FieldError>,
) -> PageResult {
    let phone = match session.new_factor().await? {
        Some(NewSecondFactor::Text { phone }) => phone,
        Some(NewSecondFactor::App { .. }) => {
            return new_app_page(app, session, state, false, errors).await;
        }
        None => return Ok(see_other(METHOD_THEN)),
    };
    let page = CodePage {
        layout: app.layout(session, "Check your phone", true).await?,
        base: NEW_FACTOR,
        button: "Continue",
        resend: "Resend code",
        errors,
        notice,
        heading: "Check your phone".to_owned(),
        lead: format!(
            "We have sent a security code to {}. It works for {} minutes.",
            phone.as_entered(),
            app.inner.settings.sms_code_valid_for.whole_minutes()
        ),
        texting: true,
        sending_delayed: texted_code_is_late(app, session).await?,
        can_start_again: true,
        can_use_recovery_code: false,
    };
    form_response(&page, !page.errors.is_empty())
}

async fn code_page(State(app): State<AppState>, session: tower_sessions::Session) -> PageResult {
    let session = HubSession(session);
    match changing(&app, &session, METHOD_THEN).await? {
        Ok((state, _)) => {
            let notice = session.take_notice().await?;
            new_code_page(&app, &session, &state, notice, Vec::new()).await
        }
        Err(redirect) => Ok(redirect),
    }
}

async fn code_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let (state, proof) = match changing(&app, &session, METHOD_THEN).await? {
        Ok(ok) => ok,
        Err(redirect) => return Ok(redirect),
    };
    let Some(new) = session.new_factor().await? else {
        return Ok(see_other(METHOD_THEN));
    };
    match app
        .inner
        .changes
        .confirm_new_second_factor(
            &state,
            Some(&proof),
            new,
            form.get("code"),
            app.now(),
            origin,
        )
        .await
    {
        Ok(codes) => {
            session.set_new_factor(None).await?;
            let shown: Vec<String> = codes.iter().map(|c| c.display()).collect();
            session.set_recovery_codes(&shown).await?;
            session.set_just_changed("security-codes").await?;
            session
                .set_after_recovery_codes("/account/sign-out-elsewhere")
                .await?;
            Ok(see_other("/sign-in/recovery-codes"))
        }
        Err(e) => match refusal(e, METHOD_THEN)? {
            Ok(redirect) => Ok(redirect),
            Err(shown) => {
                let errors = vec![FieldError {
                    field: "code",
                    message: describe(&shown),
                }];
                new_code_page(&app, &session, &state, None, errors).await
            }
        },
    }
}

async fn resend_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    CheckedForm { session, .. }: CheckedForm,
) -> PageResult {
    let (state, proof) = match changing(&app, &session, METHOD_THEN).await? {
        Ok(ok) => ok,
        Err(redirect) => return Ok(redirect),
    };
    let Some(new) = session.new_factor().await? else {
        return Ok(see_other(METHOD_THEN));
    };
    match app
        .inner
        .changes
        .resend_code(&state, Some(&proof), &new, app.now(), origin)
        .await
    {
        Ok(Some(message)) => {
            session.set_texted(message).await?;
            session
                .set_notice(
                    "We have sent you a new code. Earlier codes still work until they expire.",
                )
                .await?;
        }
        Ok(None) => {}
        Err(e) => match refusal(e, METHOD_THEN)? {
            Ok(redirect) => return Ok(redirect),
            Err(shown) => session.set_notice(&describe(&shown)).await?,
        },
    }
    Ok(see_other("/account/security-codes/code"))
}

async fn start_again(
    State(app): State<AppState>,
    CheckedForm { session, .. }: CheckedForm,
) -> PageResult {
    if let Err(redirect) = signed_in_state(&app, &session).await? {
        return Ok(redirect);
    }
    session.set_new_factor(None).await?;
    Ok(see_other(METHOD_THEN))
}
