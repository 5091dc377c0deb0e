//! The routes and their pages. Each POST handler: check the CSRF token, read the form, call the
//! core, then redirect to the page of the new state (post/redirect/get) or show the same page
//! with the GOV.UK error summary.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use ehc_core::invitation::InviteError;
use ehc_core::ports::{RandomnessUnavailable, StoreError};
use ehc_core::registration::RegistrationError;
use ehc_core::second_factor::{Method, RecoveryCode};
use ehc_core::sign_in::{Notice, SignInError, SignInInput, SignInState};

use crate::AppState;
use crate::client::Origin;
use crate::form::CheckedForm;
use crate::session::HubSession;
use crate::times::london;

/// A fault behind a page: the person sees a plain page; the cause is logged.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// The database (or the session store) is unavailable: "service unavailable" (503).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a plain 500 page.
    #[error("internal: {0}")]
    Internal(String),
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable { reason } => Self::Unavailable(reason),
            other => Self::Internal(other.to_string()),
        }
    }
}
impl From<tower_sessions::session::Error> for PageError {
    fn from(e: tower_sessions::session::Error) -> Self {
        Self::Unavailable(format!("session store: {e}"))
    }
}
impl From<RandomnessUnavailable> for PageError {
    fn from(e: RandomnessUnavailable) -> Self {
        Self::Internal(e.to_string())
    }
}
impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        Self::Internal(format!("template: {e}"))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        tracing::error!(error = %self, "page failed");
        let (status, title, text) = match self {
            Self::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Sorry, the service is unavailable",
                "You will be able to use the service later. Nothing you entered on the last page was saved.",
            ),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sorry, there is a problem with the service",
                "Try again later. Nothing you entered on the last page was saved.",
            ),
        };
        let page = MessagePage {
            layout: Layout::plain(title),
            errors: Vec::new(),
            paragraphs: vec![text.to_owned()],
            link: None,
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, title).into_response(),
        }
    }
}

pub(crate) type PageResult = Result<Response, PageError>;

/// What the base layout shows.
pub struct Layout {
    pub(crate) title: String,
    pub(crate) idle_minutes: i64,
    pub(crate) la_name: String,
    pub(crate) la_contact: String,
    pub(crate) csrf: String,
    pub(crate) signed_in: bool,
    /// Whether the page takes the full width (a wide table) instead of two thirds.
    pub(crate) wide: bool,
}

impl Layout {
    fn plain(title: &str) -> Self {
        Self {
            title: title.to_owned(),
            idle_minutes: 30,
            la_name: String::new(),
            la_contact: String::new(),
            csrf: String::new(),
            signed_in: false,
            wide: false,
        }
    }
}

/// One entry of the error summary: the field it links to and the message.
pub struct FieldError {
    pub(crate) field: &'static str,
    pub(crate) message: String,
}

pub(crate) fn messages_for(errors: &[FieldError], field: &str) -> Option<Vec<String>> {
    let found: Vec<String> = errors
        .iter()
        .filter(|e| e.field == field)
        .map(|e| e.message.clone())
        .collect();
    (!found.is_empty()).then_some(found)
}

macro_rules! field_errors {
    ($t:ty) => {
        impl $t {
            fn error_for(&self, field: &str) -> Option<Vec<String>> {
                messages_for(&self.errors, field)
            }
        }
    };
}

/// A page where a person chooses a password under the policy: *Complete your registration*
/// and *Choose a new password* (a reset link).
#[derive(Template)]
#[template(path = "register.html")]
struct PasswordPage {
    layout: Layout,
    errors: Vec<FieldError>,
    /// "You are registering as" / "You are choosing a new password for".
    lead: &'static str,
    email: String,
    password_label: &'static str,
    button: &'static str,
    min_chars: usize,
    /// The context words no password may contain, quoted and joined (“ehc” or “anytown”).
    context_words: String,
}
field_errors!(PasswordPage);

impl AppState {
    /// [`SecuritySettings::context_words`](ehc_core::settings::SecuritySettings::context_words)
    /// for the password pages: `“ehc” or “anytown”`.
    fn context_words_text(&self) -> String {
        let quoted: Vec<String> = self
            .inner
            .settings
            .context_words()
            .iter()
            .map(|w| format!("“{w}”"))
            .collect();
        match quoted.split_last() {
            Some((last, [])) => last.clone(),
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
    }

    /// *Complete your registration* for `email`, with `errors`.
    async fn registration_page(
        &self,
        session: &HubSession,
        email: String,
        errors: Vec<FieldError>,
    ) -> PageResult {
        html(&PasswordPage {
            layout: self
                .layout(session, "Complete your registration", false)
                .await?,
            errors,
            lead: "You are registering as",
            email,
            password_label: "Choose your password",
            button: "Complete registration",
            min_chars: self.inner.settings.password.min_chars,
            context_words: self.context_words_text(),
        })
    }
}

/// One error per broken password rule, at the field it concerns.
fn password_errors(violations: &ehc_core::password::PasswordViolations) -> Vec<FieldError> {
    violations
        .rules()
        .iter()
        .map(|rule| FieldError {
            field: if rule.code() == "mismatch" {
                "confirm"
            } else {
                "password"
            },
            message: rule.to_string(),
        })
        .collect()
}

mod account;
mod recovery;

#[derive(Template)]
#[template(path = "link_unusable.html")]
struct LinkUnusablePage {
    layout: Layout,
    errors: Vec<FieldError>,
    email: String,
}
field_errors!(LinkUnusablePage);

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    layout: Layout,
    errors: Vec<FieldError>,
    email: String,
    timed_out: bool,
}
field_errors!(SignInPage);

#[derive(Template)]
#[template(path = "method.html")]
struct MethodPage {
    layout: Layout,
    /// The back link, if the page has one.
    back: Option<&'static str>,
    /// Where the journey's forms post: `/sign-in`, or `/account/security-codes` for a
    /// signed-in person's new second factor.
    base: &'static str,
    errors: Vec<FieldError>,
}
field_errors!(MethodPage);

#[derive(Template)]
#[template(path = "app_set_up.html")]
struct AppSetUpPage {
    layout: Layout,
    /// Where the journey's forms post: `/sign-in`, or `/account/security-codes` for a
    /// signed-in person's new second factor.
    base: &'static str,
    errors: Vec<FieldError>,
    key: String,
    show_qr: bool,
    qr_svg: String,
}
field_errors!(AppSetUpPage);

#[derive(Template)]
#[template(path = "text_set_up.html")]
struct TextSetUpPage {
    layout: Layout,
    /// Where the journey's forms post: `/sign-in`, or `/account/security-codes` for a
    /// signed-in person's new second factor.
    base: &'static str,
    errors: Vec<FieldError>,
    mobile: String,
}
field_errors!(TextSetUpPage);

#[derive(Template)]
#[template(path = "code.html")]
struct CodePage {
    /// The submit button's words (*Log in*, *Continue*).
    button: &'static str,
    /// The resend button's words (*Resend log in code*, *Resend code*).
    resend: &'static str,
    layout: Layout,
    /// Where the journey's forms post: `/sign-in`, or `/account/security-codes` for a
    /// signed-in person's new second factor.
    base: &'static str,
    errors: Vec<FieldError>,
    notice: Option<String>,
    heading: String,
    lead: String,
    texting: bool,
    /// The latest code texted is late (the mail of texts, GOV.UK Notify, is down or slow).
    sending_delayed: bool,
    can_start_again: bool,
    /// *Use a recovery code instead* (at a challenge, not at set-up).
    can_use_recovery_code: bool,
}
field_errors!(CodePage);

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage {
    layout: Layout,
    errors: Vec<FieldError>,
    paragraphs: Vec<String>,
    link: Option<(String, String)>,
}

pub(crate) fn html(page: &impl Template) -> PageResult {
    Ok(Html(page.render()?).into_response())
}

/// The posts that check a password or a code or send a text: rate-limited per client address.
pub fn limited_routes() -> Router<AppState> {
    Router::new()
        .route(
            "/register/{token}",
            get(register_page).post(register_submit),
        )
        .route("/register/new-link", post(new_link_submit))
        .route("/sign-in", get(sign_in_page).post(sign_in_submit))
        .route("/sign-in/text", get(text_page).post(text_submit))
        .route("/sign-in/code", get(code_page).post(code_submit))
        .route("/sign-in/resend", post(resend_submit))
        .route(
            "/sign-in/recovery-code",
            get(recovery_code_page).post(recovery_code_submit),
        )
        .merge(recovery::routes())
        .merge(account::limited_routes())
}

/// Every other route of the journey.
pub fn open_routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/sign-in/method", get(method_page).post(method_submit))
        .route("/sign-in/app", get(app_page))
        .route("/sign-in/start-again", post(start_again_submit))
        .route(
            "/sign-in/recovery-codes",
            get(recovery_codes_page).post(recovery_codes_submit),
        )
        .merge(account::routes())
        .route("/sign-out", post(sign_out_submit))
        .route("/session/keep-alive", post(keep_alive_submit))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/static/hub.css", get(hub_css))
        .route("/static/hub.js", get(hub_js))
        .route("/static/js-enabled.js", get(js_enabled))
        .fallback(not_found)
}

/// The page for a client over its rate limit.
pub fn too_many_requests(_: tower_governor::GovernorError) -> Response {
    let page = MessagePage {
        layout: Layout::plain("Too many attempts"),
        errors: Vec::new(),
        paragraphs: vec![
            "You have tried too many times in a short time. Wait a minute, then try again."
                .to_owned(),
        ],
        link: None,
    };
    let body = page
        .render()
        .unwrap_or_else(|_| "Too many attempts".to_owned());
    (StatusCode::TOO_MANY_REQUESTS, Html(body)).into_response()
}

/// Liveness: the process answers.
async fn healthz() -> &'static str {
    "ok"
}

/// Readiness: the database answers (a load balancer stops sending requests while it does not).
async fn readyz(State(app): State<AppState>) -> Response {
    let ready = match app.inner.store.begin().await {
        Ok(tx) => tx.commit().await.is_ok(),
        Err(_) => false,
    };
    if ready {
        (StatusCode::OK, "ready").into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
    }
}

async fn hub_css() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../static/hub.css"),
    )
}
async fn hub_js() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../static/hub.js"),
    )
}
async fn js_enabled() -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../static/js-enabled.js"),
    )
}

impl AppState {
    pub(crate) async fn layout(
        &self,
        session: &HubSession,
        title: &str,
        signed_in: bool,
    ) -> Result<Layout, PageError> {
        let web = &self.inner.web;
        Ok(Layout {
            title: title.to_owned(),
            idle_minutes: web.idle_timeout.whole_minutes(),
            la_name: self.inner.settings.la_name.clone(),
            la_contact: web.la_contact.clone(),
            csrf: session.csrf_token(&*self.inner.secrets).await?,
            signed_in,
            wide: false,
        })
    }

    /// The layout of a page with no form (no CSRF token is made, the session is not touched).
    fn layout_without_forms(&self, title: &str) -> Layout {
        Layout {
            title: title.to_owned(),
            idle_minutes: self.inner.web.idle_timeout.whole_minutes(),
            la_name: self.inner.settings.la_name.clone(),
            la_contact: self.inner.web.la_contact.clone(),
            csrf: String::new(),
            signed_in: false,
            wide: false,
        }
    }

    pub(crate) fn now(&self) -> time::OffsetDateTime {
        self.inner.clock.now()
    }

    /// The session's sign-in state now: signed out once the absolute timeout passed or the
    /// account's sessions were ended (a password reset, an officer's second-factor reset);
    /// the session is then cleared.
    pub(crate) async fn current(&self, session: &HubSession) -> Result<SignInState, PageError> {
        let now = self.now();
        let state = session.state(now, self.inner.web.absolute_timeout).await?;
        let checked = match self.inner.sign_in.check_session(state.clone()).await {
            Ok(checked) => checked,
            Err(SignInError::Store(e)) => return Err(e.into()),
            Err(other) => return Err(PageError::Internal(other.to_string())),
        };
        if checked != state {
            session.0.flush().await?;
        }
        Ok(checked)
    }

    pub(crate) async fn message(
        &self,
        status: StatusCode,
        title: &str,
        paragraphs: &[&str],
        link: Option<(&str, &str)>,
    ) -> PageResult {
        let page = MessagePage {
            layout: self.layout_without_forms(title),
            errors: Vec::new(),
            paragraphs: paragraphs.iter().map(|p| (*p).to_owned()).collect(),
            link: link.map(|(h, t)| (h.to_owned(), t.to_owned())),
        };
        Ok((status, Html(page.render()?)).into_response())
    }

    /// The page for a request whose form lacked this session's CSRF token: nothing is done.
    pub(crate) async fn csrf_refused(&self) -> PageResult {
        self.message(
            StatusCode::FORBIDDEN,
            "Sorry, we could not accept that form",
            &["The page had expired or was sent from somewhere else. Nothing was saved. Go back, reload the page and try again."],
            None,
        )
        .await
    }
}

/// Where a person in `state` belongs.
pub(crate) fn page_for(state: &SignInState) -> &'static str {
    match state {
        SignInState::Anonymous => "/sign-in",
        SignInState::ChoosingMethod { .. } => "/sign-in/method",
        SignInState::AppSetUp { .. } => "/sign-in/app",
        SignInState::TextSetUp { .. } => "/sign-in/text",
        SignInState::TextSetUpCodeSent { .. }
        | SignInState::AppChallenge { .. }
        | SignInState::TextChallenge { .. } => "/sign-in/code",
        SignInState::SignedIn { .. } => "/cases",
    }
}

pub(crate) fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

pub(crate) async fn not_found(State(app): State<AppState>) -> PageResult {
    app.message(
        StatusCode::NOT_FOUND,
        "Page not found",
        &[
            "If you typed the web address, check it is correct.",
            "If you pasted the web address, check you copied the entire address.",
        ],
        Some(("/", "Go to the start")),
    )
    .await
}

async fn home(State(app): State<AppState>, session: tower_sessions::Session) -> PageResult {
    let session = HubSession(session);
    let state = app.current(&session).await?;
    Ok(see_other(page_for(&state)))
}

// ---- Complete your registration -------------------------------------------------------------

async fn register_page(
    State(app): State<AppState>,
    session: tower_sessions::Session,
    Path(token): Path<String>,
) -> PageResult {
    let session = HubSession(session);
    match app.inner.registration.open(&token, app.now()).await {
        Ok(email) => {
            app.registration_page(&session, email.to_string(), Vec::new())
                .await
        }
        Err(RegistrationError::Store(e)) => Err(e.into()),
        Err(_) => link_unusable(&app, &session).await,
    }
}

async fn link_unusable(app: &AppState, session: &HubSession) -> PageResult {
    let page = LinkUnusablePage {
        layout: app
            .layout(session, "This link cannot be used", false)
            .await?,
        errors: Vec::new(),
        email: String::new(),
    };
    Ok((StatusCode::NOT_FOUND, Html(page.render()?)).into_response())
}

async fn register_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    Path(token): Path<String>,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let now = app.now();
    let result = app
        .inner
        .registration
        .register(
            &token,
            form.get("password"),
            form.get("confirm"),
            now,
            origin,
        )
        .await;
    match result {
        Ok(_) => {
            app.message(
            StatusCode::OK,
                "Your registration is complete",
                &["Next, sign in with your email address and the password you chose. You will then set up how you get security codes."],
                Some(("/sign-in", "Sign in")),
            )
            .await
        }
        Err(RegistrationError::Password(violations)) => {
            // The link may have been used meanwhile (another tab): then say so.
            let email = match app.inner.registration.open(&token, now).await {
                Ok(email) => email,
                Err(RegistrationError::Store(s)) => return Err(s.into()),
                Err(_) => return link_unusable(&app, &session).await,
            };
            app.registration_page(&session, email.to_string(), password_errors(&violations))
                .await
        }
        Err(RegistrationError::AlreadyRegistered) => {
            app.message(
            StatusCode::OK,
                "You already have an account",
                &["An account with this email address already exists."],
                Some(("/sign-in", "Sign in")),
            )
            .await
        }
        Err(RegistrationError::Link(_)) => link_unusable(&app, &session).await,
        Err(RegistrationError::Store(e)) => Err(e.into()),
        Err(other @ (RegistrationError::Hash(_) | RegistrationError::Randomness(_))) => {
            Err(PageError::Internal(other.to_string()))
        }
    }
}

/// *Send me a new link*: the same answer whether or not the address was invited.
async fn new_link_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    match app
        .inner
        .invitations
        .send_new_link(form.get("email"), app.now(), origin)
        .await
    {
        Ok(()) => {
            app.message(
            StatusCode::OK,
                "Check your email",
                &[
                    "If the local authority invited this email address and it has not registered yet, we have sent a new registration link to it. The link works for 7 days.",
                    "If nothing arrives within a few minutes, check your spam folder, then contact the local authority.",
                ],
                None,
            )
            .await
        }
        Err(InviteError::Email(e)) => {
            let page = LinkUnusablePage {
                layout: app.layout(&session, "This link cannot be used", false).await?,
                errors: vec![FieldError {
                    field: "email",
                    message: e.to_string(),
                }],
                email: form.get("email").to_owned(),
            };
            html(&page)
        }
        Err(InviteError::Store(e)) => Err(e.into()),
        Err(other) => Err(PageError::Internal(other.to_string())),
    }
}

/// Where the sign-in journey's forms post.
const SIGN_IN: &str = "/sign-in";

// ---- the sign-in journey --------------------------------------------------------------------

/// Applies `input` to the session's state: the new state is stored (with a new session id where
/// [`HubSession::set_state`] says), faults become [`PageError`]s, refusals are returned.
async fn apply(
    app: &AppState,
    session: &HubSession,
    origin: Option<std::net::IpAddr>,
    state: &SignInState,
    input: SignInInput,
) -> Result<Result<SignInState, SignInError>, PageError> {
    let now = app.now();
    let password_step = matches!(input, SignInInput::Password { .. });
    match app.inner.sign_in.handle(state, input, now, origin).await {
        Ok(t) => {
            session
                .set_state(state, &t.state, now, password_step)
                .await?;
            match &t.notice {
                Some(Notice::CodeSent { message }) => session.set_texted(*message).await?,
                Some(Notice::RecoveryCodesIssued(codes)) => {
                    let shown: Vec<String> = codes.iter().map(|c| c.display()).collect();
                    session.set_recovery_codes(&shown).await?;
                }
                Some(Notice::FewRecoveryCodesLeft { left }) => {
                    session
                        .set_notice(&format!(
                            "You have {left} recovery code{} left. When you have none left, you will get a new set the next time you sign in.",
                            if *left == 1 { "" } else { "s" }
                        ))
                        .await?;
                }
                Some(Notice::SendLimitReached { retry_at }) => {
                    session
                        .set_notice(&format!(
                            "We have not sent a new code because you asked for too many. You can ask for another code after {}.",
                            london(*retry_at)
                        ))
                        .await?;
                }
                None => {}
            }
            Ok(Ok(t.state))
        }
        Err(SignInError::Store(e)) => Err(e.into()),
        Err(e @ (SignInError::Hash(_) | SignInError::Randomness(_))) => {
            Err(PageError::Internal(e.to_string()))
        }
        Err(SignInError::Expired) => {
            session
                .set_state(state, &SignInState::Anonymous, now, false)
                .await?;
            Ok(Err(SignInError::Expired))
        }
        Err(e) => Ok(Err(e)),
    }
}

/// The message a person reads for a refused input.
fn explain(e: &SignInError) -> String {
    match e {
        SignInError::PasswordLocked { until } => password_locked(*until),
        SignInError::CodeLocked { until } => code_locked(*until),
        SignInError::SendLimitReached { retry_at } => send_limited(*retry_at),
        other => other.to_string(),
    }
}

/// Too many wrong passwords (at sign-in or when confirming one), until `until`.
fn password_locked(until: time::OffsetDateTime) -> String {
    format!(
        "You have entered the wrong password too many times. You can try again after {}.",
        london(until)
    )
}

/// Too many wrong security codes, until `until`.
fn code_locked(until: time::OffsetDateTime) -> String {
    format!(
        "You have entered the wrong security code too many times. You can try again after {}.",
        london(until)
    )
}

/// No more texts until `retry_at`.
fn send_limited(retry_at: time::OffsetDateTime) -> String {
    format!(
        "You have asked for too many codes. We have not sent another one. You can ask again after {}.",
        london(retry_at)
    )
}

#[derive(Deserialize)]
struct TimeoutQuery {
    timeout: Option<String>,
}

async fn sign_in_page(
    State(app): State<AppState>,
    session: tower_sessions::Session,
    Query(query): Query<TimeoutQuery>,
) -> PageResult {
    let session = HubSession(session);
    let state = app.current(&session).await?;
    if state.signed_in_account().is_some() {
        return Ok(see_other("/cases"));
    }
    html(&SignInPage {
        layout: app.layout(&session, "Sign in", false).await?,
        errors: Vec::new(),
        email: String::new(),
        timed_out: query.timeout.is_some(),
    })
}

async fn sign_in_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let state = app.current(&session).await?;
    let input = SignInInput::Password {
        email: form.get("email").to_owned(),
        password: form.get("password").to_owned(),
    };
    match apply(&app, &session, origin, &state, input).await? {
        Ok(next) => Ok(see_other(page_for(&next))),
        Err(SignInError::NotAllowed { .. }) => Ok(see_other(page_for(&state))),
        Err(e) => html(&SignInPage {
            layout: app.layout(&session, "Sign in", false).await?,
            errors: vec![FieldError {
                field: "email",
                message: explain(&e),
            }],
            email: form.get("email").to_owned(),
            timed_out: false,
        }),
    }
}

/// A redirect to the page of the person's state, unless that page is `here`.
fn wrong_page(state: &SignInState, here: &str) -> Option<Response> {
    let right = page_for(state);
    (right != here).then(|| see_other(right))
}

async fn method_page(State(app): State<AppState>, session: tower_sessions::Session) -> PageResult {
    let session = HubSession(session);
    let state = app.current(&session).await?;
    if let Some(r) = wrong_page(&state, "/sign-in/method") {
        return Ok(r);
    }
    html(&MethodPage {
        base: SIGN_IN,
        back: None,
        layout: app
            .layout(&session, "How do you want to get security codes?", false)
            .await?,
        errors: Vec::new(),
    })
}

async fn method_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let state = app.current(&session).await?;
    let method = match form.get("method") {
        "app" => Method::App,
        "text" => Method::Text,
        _ => {
            if let Some(r) = wrong_page(&state, "/sign-in/method") {
                return Ok(r);
            }
            return html(&MethodPage {
                base: SIGN_IN,
                back: None,
                layout: app
                    .layout(&session, "How do you want to get security codes?", false)
                    .await?,
                errors: vec![FieldError {
                    field: "method",
                    message: "Select how you want to get security codes".to_owned(),
                }],
            });
        }
    };
    match apply(
        &app,
        &session,
        origin,
        &state,
        SignInInput::ChooseMethod(method),
    )
    .await?
    {
        Ok(next) => Ok(see_other(page_for(&next))),
        Err(_) => Ok(see_other(page_for(&app.current(&session).await?))),
    }
}

#[derive(Deserialize)]
struct QrQuery {
    qr: Option<String>,
}

async fn app_page(
    State(app): State<AppState>,
    session: tower_sessions::Session,
    Query(query): Query<QrQuery>,
) -> PageResult {
    let session = HubSession(session);
    let state = app.current(&session).await?;
    render_app_page(&app, &session, &state, query.qr.is_some(), Vec::new()).await
}

async fn render_app_page(
    app: &AppState,
    session: &HubSession,
    state: &SignInState,
    show_qr: bool,
    errors: Vec<FieldError>,
) -> PageResult {
    let SignInState::AppSetUp { secret, email, .. } = state else {
        return Ok(see_other(page_for(state)));
    };
    let layout = app
        .layout(session, "Set up your authenticator app", false)
        .await?;
    app_set_up_page(app, layout, SIGN_IN, secret, email, show_qr, errors)
}

/// *Set up your authenticator app* for `secret`, labelled with `email`, its forms posting
/// under `base`: the key as text, or with `show_qr` a QR code of the otpauth URI.
fn app_set_up_page(
    app: &AppState,
    layout: Layout,
    base: &'static str,
    secret: &ehc_core::second_factor::TotpSecret,
    email: &ehc_core::account::EmailAddress,
    show_qr: bool,
    errors: Vec<FieldError>,
) -> PageResult {
    let uri = secret
        .otpauth_uri(&app.inner.settings.la_name, email)
        .map_err(|e| PageError::Internal(e.to_string()))?;
    let qr_svg = if show_qr {
        qrcode::QrCode::new(uri.as_bytes())
            .map_err(|e| PageError::Internal(e.to_string()))?
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(200, 200)
            .build()
    } else {
        String::new()
    };
    let page = AppSetUpPage {
        layout,
        base,
        key: secret.base32_in_groups(),
        show_qr,
        qr_svg,
        errors,
    };
    html(&page)
}

async fn text_page(State(app): State<AppState>, session: tower_sessions::Session) -> PageResult {
    let session = HubSession(session);
    let state = app.current(&session).await?;
    if let Some(r) = wrong_page(&state, "/sign-in/text") {
        return Ok(r);
    }
    html(&TextSetUpPage {
        base: SIGN_IN,
        layout: app
            .layout(&session, "Enter your mobile phone number", false)
            .await?,
        errors: Vec::new(),
        mobile: String::new(),
    })
}

async fn text_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let state = app.current(&session).await?;
    let mobile = form.get("mobile").to_owned();
    match apply(
        &app,
        &session,
        origin,
        &state,
        SignInInput::MobileNumber(mobile.clone()),
    )
    .await?
    {
        Ok(next) => Ok(see_other(page_for(&next))),
        Err(SignInError::NotAllowed { .. } | SignInError::Expired) => {
            Ok(see_other(page_for(&app.current(&session).await?)))
        }
        Err(e) => html(&TextSetUpPage {
            base: SIGN_IN,
            layout: app
                .layout(&session, "Enter your mobile phone number", false)
                .await?,
            errors: vec![FieldError {
                field: "mobile",
                message: explain(&e),
            }],
            mobile,
        }),
    }
}

async fn code_page(State(app): State<AppState>, session: tower_sessions::Session) -> PageResult {
    let session = HubSession(session);
    let state = app.current(&session).await?;
    if let Some(r) = wrong_page(&state, "/sign-in/code") {
        return Ok(r);
    }
    let notice = session.take_notice().await?;
    render_code_page(&app, &session, &state, notice, Vec::new()).await
}

async fn render_code_page(
    app: &AppState,
    session: &HubSession,
    state: &SignInState,
    notice: Option<String>,
    errors: Vec<FieldError>,
) -> PageResult {
    let (heading, lead, texting, can_start_again) = match state {
        SignInState::TextSetUpCodeSent { phone, .. } => (
            "Check your phone",
            format!("We have sent a security code to {}. It works for 10 minutes.", phone.as_entered()),
            true,
            true,
        ),
        SignInState::TextChallenge { phone, .. } => (
            "Check your phone",
            format!(
                "Enter the security code we texted to your mobile phone number ending in {}. Each code works for 10 minutes.",
                phone.last_digits()
            ),
            true,
            false,
        ),
        SignInState::AppChallenge { .. } => (
            "Enter the code from your authenticator app",
            "Open the authenticator app on your phone or tablet and enter the 6-digit code it shows for this service.".to_owned(),
            false,
            false,
        ),
        SignInState::AppSetUp { .. } => {
            return render_app_page(app, session, state, false, errors).await;
        }
        other => return Ok(see_other(page_for(other))),
    };
    let sending_delayed = texting && texted_code_is_late(app, session).await?;
    html(&CodePage {
        base: SIGN_IN,
        button: "Log in",
        resend: "Resend log in code",
        layout: app.layout(session, heading, false).await?,
        errors,
        notice,
        heading: heading.to_owned(),
        lead,
        texting,
        sending_delayed,
        can_start_again,
        can_use_recovery_code: matches!(
            state,
            SignInState::AppChallenge { .. } | SignInState::TextChallenge { .. }
        ),
    })
}

/// Whether the latest code texted to this session's person is still in the outbox, late
/// ([`ehc_core::outbox::OutboxEntry::is_delayed`]).
async fn texted_code_is_late(app: &AppState, session: &HubSession) -> Result<bool, PageError> {
    let Some(message) = session.texted().await? else {
        return Ok(false);
    };
    let mut tx = app.inner.store.begin().await?;
    let entry = tx.outbox().entry(message).await?;
    drop(tx);
    Ok(entry.is_some_and(|e| e.is_delayed(app.now())))
}

async fn code_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let state = app.current(&session).await?;
    let input = SignInInput::Code(form.get("code").to_owned());
    match apply(&app, &session, origin, &state, input).await? {
        Ok(next) => Ok(see_other(page_for(&next))),
        Err(
            SignInError::NotAllowed { .. } | SignInError::Expired | SignInError::AlreadyEnrolled,
        ) => Ok(see_other(page_for(&app.current(&session).await?))),
        Err(e) => {
            let errors = vec![FieldError {
                field: "code",
                message: explain(&e),
            }];
            render_code_page(&app, &session, &state, None, errors).await
        }
    }
}

async fn resend_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    CheckedForm { session, .. }: CheckedForm,
) -> PageResult {
    let state = app.current(&session).await?;
    match apply(&app, &session, origin, &state, SignInInput::Resend).await? {
        Ok(next) => {
            session
                .set_notice(
                    "We have sent you a new code. Earlier codes still work until they expire.",
                )
                .await?;
            Ok(see_other(page_for(&next)))
        }
        Err(e @ SignInError::SendLimitReached { .. }) => {
            session.set_notice(&explain(&e)).await?;
            Ok(see_other(page_for(&state)))
        }
        Err(_) => Ok(see_other(page_for(&app.current(&session).await?))),
    }
}

async fn start_again_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    CheckedForm { session, .. }: CheckedForm,
) -> PageResult {
    let state = app.current(&session).await?;
    let _ = apply(&app, &session, origin, &state, SignInInput::StartAgain).await?;
    Ok(see_other(page_for(&app.current(&session).await?)))
}

async fn sign_out_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    CheckedForm { session, .. }: CheckedForm,
) -> PageResult {
    let state = app.current(&session).await?;
    let _ = apply(&app, &session, origin, &state, SignInInput::SignOut).await?;
    app.message(
        StatusCode::OK,
        "You have signed out",
        &[],
        Some(("/sign-in", "Sign in again")),
    )
    .await
}

/// *Stay signed in*: any signed-in request extends the idle timeout; this one does nothing else.
/// Without JavaScript the form posts normally and returns to the work tray.
async fn keep_alive_submit(
    State(app): State<AppState>,
    CheckedForm { session, .. }: CheckedForm,
) -> PageResult {
    let state = app.current(&session).await?;
    Ok(see_other(page_for(&state)))
}

// ---- recovery codes ------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "recovery_code.html")]
struct RecoveryCodePage {
    layout: Layout,
    errors: Vec<FieldError>,
}
field_errors!(RecoveryCodePage);

/// *Use a recovery code instead*: only at a code challenge.
async fn recovery_code_page(
    State(app): State<AppState>,
    session: tower_sessions::Session,
) -> PageResult {
    let session = HubSession(session);
    let state = app.current(&session).await?;
    if !matches!(
        state,
        SignInState::AppChallenge { .. } | SignInState::TextChallenge { .. }
    ) {
        return Ok(see_other(page_for(&state)));
    }
    html(&RecoveryCodePage {
        layout: app.layout(&session, "Use a recovery code", false).await?,
        errors: Vec::new(),
    })
}

async fn recovery_code_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let state = app.current(&session).await?;
    let input = SignInInput::RecoveryCode(form.get("recovery-code").to_owned());
    match apply(&app, &session, origin, &state, input).await? {
        Ok(next) => Ok(see_other(page_for(&next))),
        Err(SignInError::NotAllowed { .. } | SignInError::Expired) => {
            Ok(see_other(page_for(&app.current(&session).await?)))
        }
        Err(e) => {
            let page = RecoveryCodePage {
                layout: app.layout(&session, "Use a recovery code", false).await?,
                errors: vec![FieldError {
                    field: "recovery-code",
                    message: match e {
                        SignInError::WrongCode => {
                            "The recovery code is not correct or has been used".to_owned()
                        }
                        other => explain(&other),
                    },
                }],
            };
            crate::cases::form_response(&page, true)
        }
    }
}

#[derive(Template)]
#[template(path = "recovery_codes.html")]
struct RecoveryCodesPage {
    layout: Layout,
    errors: Vec<FieldError>,
    codes: Vec<String>,
}
field_errors!(RecoveryCodesPage);

/// The new set of recovery codes, shown until the person says they saved them.
async fn recovery_codes_page(
    State(app): State<AppState>,
    session: tower_sessions::Session,
) -> PageResult {
    let session = HubSession(session);
    let state = app.current(&session).await?;
    let (Some(_), Some(codes)) = (state.signed_in_account(), session.recovery_codes().await?)
    else {
        return Ok(see_other(page_for(&state)));
    };
    html(&RecoveryCodesPage {
        layout: app
            .layout(&session, "Save your recovery codes", true)
            .await?,
        errors: Vec::new(),
        codes,
    })
}

/// *I have saved my recovery codes*: only now are they stored (hashed) and usable.
async fn recovery_codes_submit(
    State(app): State<AppState>,
    Origin(origin): Origin,
    CheckedForm { session, form }: CheckedForm,
) -> PageResult {
    let state = app.current(&session).await?;
    let (Some(_), Some(codes)) = (state.signed_in_account(), session.recovery_codes().await?)
    else {
        return Ok(see_other(page_for(&state)));
    };
    if form.get("saved") == "yes" {
        let kept: Vec<RecoveryCode> = codes
            .iter()
            .filter_map(|c| RecoveryCode::parse(c).ok())
            .collect();
        match app
            .inner
            .sign_in
            .keep_recovery_codes(&state, &kept, app.now(), origin)
            .await
        {
            Ok(()) => {}
            Err(SignInError::Store(e)) => return Err(e.into()),
            Err(other) => return Err(PageError::Internal(other.to_string())),
        }
        session.clear_recovery_codes().await?;
        let next = session.take_after_recovery_codes().await?;
        return Ok(see_other(next.as_deref().unwrap_or("/cases")));
    }
    let page = RecoveryCodesPage {
        layout: app
            .layout(&session, "Save your recovery codes", true)
            .await?,
        errors: vec![FieldError {
            field: "saved",
            message: "Confirm that you have saved your recovery codes".to_owned(),
        }],
        codes,
    };
    crate::cases::form_response(&page, true)
}
