//! # ehc-http: the EHC Hub's web adapter
//!
//! Server-rendered pages styled with GOV.UK Frontend (without the crown or the GOV.UK font: the
//! LA's name in the header, Arial), for the journey from the invitation e-mail to *My cases in
//! progress*. In the hexagon this is a driving adapter: each handler reads the clock once,
//! turns the form into a core input, calls a core service and renders the result. Nothing here
//! decides a rule of the journey; the core does.
//!
//! Every page works without JavaScript. Sessions are server-side (any `tower_sessions`
//! store: the database adapters provide one), get a new id after the password step and after
//! the second factor, and last 30 minutes idle and 12 hours at most. Every POST carries a CSRF
//! token.

mod alerts;
mod audit;
mod cases;
pub mod client;
mod csrf;
mod form;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
pub mod hasher;
mod pages;
mod session;
pub mod times;

use axum::Router;
use axum::http::{HeaderValue, header};
use std::path::PathBuf;
use std::sync::Arc;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_sessions::{Expiry, SessionManagerLayer, SessionStore};

use ehc_core::account_change::AccountChangeService;
use ehc_core::alert::DigestService;
use ehc_core::audit::AuditService;
use ehc_core::case::CaseService;
use ehc_core::case::guidance::StageGuidance;
use ehc_core::document::scan::VirusScanner;
use ehc_core::document::{DocumentService, DocumentStore, SizeLimits};
use ehc_core::invitation::InvitationService;
use ehc_core::password::PasswordHasher;
use ehc_core::ports::{Clock, SecretSource, Store};
use ehc_core::recovery::RecoveryService;
use ehc_core::registration::RegistrationService;
use ehc_core::role::RoleGrantService;
use ehc_core::settings::SecuritySettings;
use ehc_core::sign_in::SignInService;

/// The web adapter's own settings.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Contact details shown at the foot of every page and on the "link cannot be used" page.
    pub la_contact: String,
    /// Whether session cookies carry `Secure` (off only for a plain-HTTP localhost demo).
    pub secure_cookies: bool,
    /// Folder holding GOV.UK Frontend's `dist/govuk` files (from npm: `web/node_modules/…`).
    pub govuk_frontend_dir: PathBuf,
    /// Idle session timeout (default 30 minutes).
    pub idle_timeout: time::Duration,
    /// Absolute session lifetime (default 12 hours).
    pub absolute_timeout: time::Duration,
    /// Largest request body accepted, in bytes (default 64 KiB).
    pub max_body_bytes: usize,
    /// Reverse proxies whose `X-Forwarded-For` is believed (default: none).
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Per client address on the sign-in and code forms: this many posts at once…
    pub rate_limit_burst: u32,
    /// …then one more every this many seconds (defaults: 10, then one every 6 s).
    pub rate_limit_period_seconds: u64,
    /// Per client address, *Send request* of the online request for an EHC needs assessment
    /// (open to people without an account): this many at once…
    pub request_rate_limit_burst: u32,
    /// …then one more every this many seconds (defaults: 5, then one every 10 minutes).
    pub request_rate_limit_period_seconds: u64,
    /// The guidance shown with each stage on the case tracker (the LA's `[guidance]`).
    pub guidance: StageGuidance,
    /// The largest upload of each kind of document (the LA's `[documents]`; defaults 20 MB for
    /// documents and images, 50 MB for audio, 200 MB for videos). The upload route alone takes
    /// bodies beyond [`WebConfig::max_body_bytes`]: up to the largest of these plus 1 MB.
    pub document_limits: SizeLimits,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            la_contact: String::new(),
            secure_cookies: true,
            govuk_frontend_dir: PathBuf::from("web/node_modules/govuk-frontend/dist/govuk"),
            idle_timeout: time::Duration::minutes(30),
            absolute_timeout: time::Duration::hours(12),
            max_body_bytes: 64 * 1024,
            trusted_proxies: Vec::new(),
            rate_limit_burst: 10,
            rate_limit_period_seconds: 6,
            request_rate_limit_burst: 5,
            request_rate_limit_period_seconds: 600,
            guidance: StageGuidance::default(),
            document_limits: SizeLimits::default(),
        }
    }
}

type DynStore = Arc<dyn Store>;
type DynHasher = Arc<dyn PasswordHasher>;
type DynSecrets = Arc<dyn SecretSource>;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    web: WebConfig,
    client_address: client::ClientAddress,
    settings: SecuritySettings,
    clock: Arc<dyn Clock>,
    secrets: DynSecrets,
    store: DynStore,
    registration: RegistrationService<DynStore, DynHasher, DynSecrets>,
    recovery: RecoveryService<DynStore, DynHasher, DynSecrets>,
    changes: AccountChangeService<DynStore, DynHasher, DynSecrets>,
    invitations: InvitationService<DynStore, DynSecrets>,
    sign_in: SignInService<DynStore, DynHasher, DynSecrets>,
    cases: CaseService<DynStore, DynSecrets>,
    grants: RoleGrantService<DynStore, DynSecrets>,
    digests: DigestService<DynStore, DynSecrets>,
    documents: DocumentService<DynStore, DynSecrets>,
    audit: AuditService<DynStore>,
    document_store: Arc<dyn DocumentStore>,
    scanner: Arc<dyn VirusScanner>,
}

impl AppState {
    /// Wires the core's services to these ports; documents' bytes go to `document_store`,
    /// each upload through `scanner` first.
    #[allow(clippy::too_many_arguments)] // one argument per port
    pub fn new(
        web: WebConfig,
        settings: SecuritySettings,
        store: DynStore,
        hasher: DynHasher,
        secrets: DynSecrets,
        clock: Arc<dyn Clock>,
        document_store: Arc<dyn DocumentStore>,
        scanner: Arc<dyn VirusScanner>,
    ) -> Self {
        let registration = RegistrationService::new(
            store.clone(),
            hasher.clone(),
            secrets.clone(),
            settings.clone(),
        );
        let recovery = RecoveryService::new(
            store.clone(),
            hasher.clone(),
            secrets.clone(),
            settings.clone(),
        );
        let changes = AccountChangeService::new(
            store.clone(),
            hasher.clone(),
            secrets.clone(),
            settings.clone(),
        );
        let sign_in = SignInService::new(store.clone(), hasher, secrets.clone(), settings.clone());
        let invitations = InvitationService::new(store.clone(), secrets.clone(), settings.clone());
        let cases = CaseService::new(store.clone(), secrets.clone(), settings.clone());
        let grants = RoleGrantService::new(store.clone(), secrets.clone());
        let digests = DigestService::new(store.clone(), secrets.clone());
        let documents = DocumentService::new(store.clone(), secrets.clone(), web.document_limits);
        let audit = AuditService::new(store.clone());
        Self {
            inner: Arc::new(Inner {
                client_address: client::ClientAddress::new(web.trusted_proxies.clone()),
                web,
                settings,
                clock,
                secrets,
                store,
                registration,
                recovery,
                changes,
                invitations,
                sign_in,
                cases,
                grants,
                digests,
                documents,
                audit,
                document_store,
                scanner,
            }),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, with each request's peer address
/// available to the rate limits and the audit log.
///
/// # Errors
/// Those of the listener.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

/// `routes` with a limit on their POSTs per client address: `burst` at once, then one more
/// every `period_seconds`; beyond it the hub's *Too many attempts* page (429).
fn per_address_limit(
    routes: Router<AppState>,
    address: &client::ClientAddress,
    burst: u32,
    period_seconds: u64,
) -> Router<AppState> {
    match tower_governor::governor::GovernorConfigBuilder::default()
        .key_extractor(address.clone())
        .per_second(period_seconds.max(1))
        .burst_size(burst.max(1))
        .methods(vec![axum::http::Method::POST])
        .finish()
    {
        Some(limits) => routes.layer(
            tower_governor::GovernorLayer::new(Arc::new(limits))
                .error_handler(pages::too_many_requests),
        ),
        None => routes,
    }
}

/// The hub's routes, with sessions kept in `sessions` (cookie `ehc_session`, HttpOnly,
/// SameSite=Lax, Secure unless [`WebConfig::secure_cookies`] is off), security headers and a
/// request body limit.
pub fn router<S: SessionStore + Clone>(state: AppState, sessions: S) -> Router {
    let web = &state.inner.web;
    let idle = time::Duration::seconds(web.idle_timeout.whole_seconds());
    let session_layer = SessionManagerLayer::new(sessions)
        .with_name("ehc_session")
        .with_http_only(true)
        .with_same_site(tower_sessions::cookie::SameSite::Lax)
        .with_secure(web.secure_cookies)
        .with_expiry(Expiry::OnInactivity(idle))
        // Save on every response, so the idle timeout counts from the last request.
        .with_always_save(true);
    let assets = ServeDir::new(&web.govuk_frontend_dir);
    let csp = HeaderValue::from_static(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; \
         object-src 'none'",
    );
    let address = &state.inner.client_address;
    let limited = per_address_limit(
        pages::limited_routes(),
        address,
        web.rate_limit_burst,
        web.rate_limit_period_seconds,
    );
    let requests = per_address_limit(
        cases::request_send_routes(),
        address,
        web.request_rate_limit_burst,
        web.request_rate_limit_period_seconds,
    );
    let mut app = pages::open_routes()
        .merge(cases::routes())
        .merge(alerts::routes())
        .merge(audit::routes())
        .merge(limited)
        .merge(requests)
        .nest_service("/assets", assets)
        .layer(tower_http::limit::RequestBodyLimitLayer::new(
            web.max_body_bytes,
        ))
        // Merged after the body limit, so it alone takes uploads (it limits them itself).
        .merge(cases::upload_routes(&web.document_limits))
        .merge(per_address_limit(
            cases::request_upload_routes(&web.document_limits),
            address,
            cases::REQUEST_UPLOAD_BURST,
            cases::REQUEST_UPLOAD_PERIOD_SECONDS,
        ))
        .layer(session_layer)
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            csp,
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ));
    if web.secure_cookies {
        app = app.layer(SetResponseHeaderLayer::overriding(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        ));
    }
    app.with_state(state)
}
