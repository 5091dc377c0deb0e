//! Black-box tests of the web journey: a real server on port 0 and a cookie-keeping client.
//! (Storage here is the core's in-memory store; the database adapters run the same pages in
//! the bin crate's tests.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at a broken expectation

use reqwest::StatusCode;
use reqwest::redirect::Policy;
use std::sync::Arc;
use time::OffsetDateTime;
use time::macros::datetime;

use ehc_core::invitation::{InvitationService, InviteOutcome};
use ehc_core::role::{Grantor, Role, Urn};
use ehc_core::settings::SecuritySettings;
use ehc_core::test_support::{
    FakeClock, FastHasher, InMemoryStore, SeededSecretSource, texted_codes,
};
use ehc_http::{AppState, WebConfig, router};

const T0: OffsetDateTime = datetime!(2026-11-30 09:00 UTC);
const PASSWORD: &str = "Harbour!Lights9";

struct Hub {
    base: String,
    store: InMemoryStore,
    clock: Arc<FakeClock>,
    settings: SecuritySettings,
}

impl Hub {
    async fn start() -> Self {
        let store = InMemoryStore::new();
        let clock = Arc::new(FakeClock::at(T0));
        let settings = SecuritySettings {
            la_name: "Anytown Council".into(),
            allow_drama_numbers: true,
            ..SecuritySettings::default()
        };
        let web = WebConfig {
            la_contact: "Call 01632 960000".into(),
            secure_cookies: false,
            rate_limit_burst: 40,
            ..WebConfig::default()
        };
        let state = AppState::new(
            web,
            settings.clone(),
            Arc::new(store.clone()),
            Arc::new(FastHasher::new()),
            Arc::new(SeededSecretSource::new(5)),
            clock.clone(),
        );
        let app = router(state, tower_sessions::MemoryStore::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(ehc_http::serve(listener, app, std::future::pending()));
        Self {
            base: format!("http://{addr}"),
            store,
            clock,
            settings,
        }
    }

    async fn invite(&self, email: &str) -> String {
        let invitations = InvitationService::new(
            self.store.clone(),
            Arc::new(SeededSecretSource::new(77)),
            self.settings.clone(),
        );
        let role = Role::Sendco {
            setting: Urn::parse("100001").unwrap(),
        };
        match invitations
            .invite(Grantor::System, email, vec![role], self.clock_now(), None)
            .await
            .unwrap()
        {
            InviteOutcome::Invited { token, .. } => {
                format!("{}/register/{}", self.base, token.to_link_param())
            }
            other => panic!("{other:?}"),
        }
    }

    fn clock_now(&self) -> OffsetDateTime {
        use ehc_core::ports::Clock;
        self.clock.now()
    }

    fn browser(&self) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .build()
                .unwrap(),
            base: self.base.clone(),
        }
    }
}

struct Browser {
    client: reqwest::Client,
    base: String,
}

struct Page {
    status: StatusCode,
    location: Option<String>,
    cookie: Option<String>,
    body: String,
}

impl Page {
    fn csrf(&self) -> String {
        let marker = "name=\"csrf_token\" value=\"";
        let start = self.body.find(marker).expect("a form with a CSRF token") + marker.len();
        let rest = &self.body[start..];
        rest[..rest.find('"').unwrap()].to_owned()
    }
}

impl Browser {
    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    async fn read(response: reqwest::Response) -> Page {
        let status = response.status();
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let cookie = response
            .headers()
            .get("set-cookie")
            .map(|v| v.to_str().unwrap().to_owned());
        Page {
            status,
            location,
            cookie,
            body: response.text().await.unwrap(),
        }
    }

    async fn get(&self, path: &str) -> Page {
        Self::read(self.client.get(self.url(path)).send().await.unwrap()).await
    }

    /// Follows redirects from `path` and returns the final page and its path.
    async fn visit(&self, path: &str) -> (String, Page) {
        let mut at = path.to_owned();
        for _ in 0..10 {
            let page = self.get(&at).await;
            match page.location.clone() {
                Some(next) if page.status.is_redirection() => at = next,
                _ => return (at, page),
            }
        }
        panic!("too many redirects from {path}");
    }

    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
        Self::read(
            self.client
                .post(self.url(path))
                .form(fields)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    /// Loads `page_path`, then posts its form (with its CSRF token) to `action`.
    async fn submit(&self, page_path: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let page = self.get(page_path).await;
        let token = page.csrf();
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }
}

fn unix(t: OffsetDateTime) -> u64 {
    u64::try_from(t.unix_timestamp()).unwrap()
}

fn key_from(body: &str) -> String {
    let start = body.find("id=\"key\">").expect("the key") + "id=\"key\">".len();
    let rest = &body[start..];
    rest[..rest.find('<').unwrap()].trim().to_owned()
}

async fn registered(hub: &Hub, browser: &Browser, email: &str) {
    let link = hub.invite(email).await;
    let done = browser
        .submit(
            &link,
            &link,
            &[("password", PASSWORD), ("confirm", PASSWORD)],
        )
        .await;
    assert!(
        done.body.contains("Your registration is complete"),
        "{}",
        done.body
    );
}

async fn password(browser: &Browser, email: &str, pw: &str) -> Page {
    browser
        .submit(
            "/sign-in",
            "/sign-in",
            &[("email", email), ("password", pw)],
        )
        .await
}

#[tokio::test]
async fn a_person_goes_from_the_invitation_link_to_my_cases_with_an_authenticator_app() {
    let hub = Hub::start().await;
    let browser = hub.browser();
    let link = hub.invite("jo.bloggs@example.gov.uk").await;
    let page = browser.get(&link).await;
    assert_eq!(page.status, StatusCode::OK);
    for words in [
        "Complete your registration",
        "Choose your password",
        "Confirm your password",
        "? ! £ %",
    ] {
        assert!(page.body.contains(words), "{words}");
    }
    registered_with(&browser, &link).await;

    let after_password = password(&browser, "Jo.Bloggs@Example.GOV.UK", PASSWORD).await;
    assert_eq!(after_password.location.as_deref(), Some("/sign-in/method"));
    assert!(
        after_password.cookie.is_some(),
        "a new session id after the password step"
    );
    let (_, cases_too_early) = browser.visit("/cases").await;
    assert!(
        cases_too_early
            .body
            .contains("How do you want to get security codes?")
    );

    let chosen = browser
        .submit("/sign-in/method", "/sign-in/method", &[("method", "app")])
        .await;
    assert_eq!(chosen.location.as_deref(), Some("/sign-in/app"));
    let set_up = browser.get("/sign-in/app").await;
    let key = key_from(&set_up.body);
    assert_eq!(key.len(), 39, "{key}");
    let qr = browser.get("/sign-in/app?qr=1").await;
    assert!(qr.body.contains("<svg"), "an inline SVG QR code");

    let secret = ehc_core::second_factor::TotpSecret::from_base32(&key).unwrap();
    let code = secret.code_at(unix(T0));
    let signed_in = browser
        .submit("/sign-in/app", "/sign-in/code", &[("code", &code)])
        .await;
    assert_eq!(signed_in.location.as_deref(), Some("/cases"));
    assert!(
        signed_in.cookie.is_some(),
        "a new session id after the second factor"
    );
    let cases = browser.get("/cases").await;
    assert_eq!(cases.status, StatusCode::OK);
    for words in [
        "My cases in progress",
        "jo.bloggs@example.gov.uk",
        "SENDCo for education setting 100001",
        "Sign out",
    ] {
        assert!(cases.body.contains(words), "{words}");
    }
}

async fn registered_with(browser: &Browser, link: &str) {
    let done = browser
        .submit(link, link, &[("password", PASSWORD), ("confirm", PASSWORD)])
        .await;
    assert!(
        done.body.contains("Your registration is complete"),
        "{}",
        done.body
    );
}

#[tokio::test]
async fn broken_password_rules_are_all_listed_and_nothing_is_stored() {
    let hub = Hub::start().await;
    let browser = hub.browser();
    let link = hub.invite("jo.bloggs@example.gov.uk").await;
    let page = browser
        .submit(
            &link,
            &link,
            &[
                ("password", "harbour!lights9"),
                ("confirm", "harbour!lights9"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("There is a problem"));
    assert!(
        page.body
            .contains("Password must contain at least one capital letter")
    );
    assert!(
        page.body.contains("jo.bloggs@example.gov.uk"),
        "the address is kept"
    );
    assert!(
        !page.body.contains("harbour!lights9"),
        "the password is never echoed"
    );
    let mismatch = browser
        .submit(
            &link,
            &link,
            &[("password", PASSWORD), ("confirm", "Harbour!Lights8")],
        )
        .await;
    assert!(
        mismatch
            .body
            .contains("Enter the same password in both fields")
    );
    assert!(hub.store.accounts().await.is_empty());
}

#[tokio::test]
async fn a_form_without_its_csrf_token_is_refused_and_changes_nothing() {
    let hub = Hub::start().await;
    let browser = hub.browser();
    let link = hub.invite("jo.bloggs@example.gov.uk").await;
    let _ = browser.get(&link).await;
    let page = browser
        .post(&link, &[("password", PASSWORD), ("confirm", PASSWORD)])
        .await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(hub.store.accounts().await.is_empty());
    registered_with(&browser, &link).await;
}

#[tokio::test]
async fn a_used_or_unknown_link_gets_one_plain_page() {
    let hub = Hub::start().await;
    let browser = hub.browser();
    let link = hub.invite("jo.bloggs@example.gov.uk").await;
    registered_with(&browser, &link).await;
    let used = browser.get(&link).await;
    let unknown = browser.get("/register/nonsense").await;
    for page in [&used, &unknown] {
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        assert!(page.body.contains("This link cannot be used"));
        assert!(!page.body.contains("Choose your password"));
    }
}

#[tokio::test]
async fn unknown_addresses_and_wrong_passwords_get_the_same_page() {
    let hub = Hub::start().await;
    let browser = hub.browser();
    registered(&hub, &browser, "jo.bloggs@example.gov.uk").await;
    let unknown = password(&browser, "nobody@example.gov.uk", PASSWORD).await;
    let wrong = password(&browser, "jo.bloggs@example.gov.uk", "Harbour!Lights8").await;
    assert_eq!(unknown.status, wrong.status);
    assert!(
        unknown
            .body
            .contains("Enter a correct email address and password")
    );
    assert!(
        wrong
            .body
            .contains("Enter a correct email address and password")
    );
    let long = "A!".repeat(150);
    let too_long = password(&browser, "jo.bloggs@example.gov.uk", &long).await;
    assert_eq!(too_long.status, StatusCode::OK);
    assert!(too_long.body.contains("256 characters or fewer"));
}

#[tokio::test]
async fn texts_work_through_the_pages_and_the_number_is_masked_later() {
    let hub = Hub::start().await;
    let browser = hub.browser();
    registered(&hub, &browser, "jo.bloggs@example.gov.uk").await;
    password(&browser, "jo.bloggs@example.gov.uk", PASSWORD).await;
    browser
        .submit("/sign-in/method", "/sign-in/method", &[("method", "text")])
        .await;
    let sent = browser
        .submit(
            "/sign-in/text",
            "/sign-in/text",
            &[("mobile", "+44 (0)7700 900982")],
        )
        .await;
    assert_eq!(sent.location.as_deref(), Some("/sign-in/code"));
    // Loading the page again never sends a text.
    browser.get("/sign-in/code").await;
    browser.get("/sign-in/code").await;
    let codes = texted_codes(&hub.store.outbox_messages().await);
    assert_eq!(codes.len(), 1);
    let signed_in = browser
        .submit("/sign-in/code", "/sign-in/code", &[("code", &codes[0])])
        .await;
    assert_eq!(signed_in.location.as_deref(), Some("/cases"));
    let cases = browser.get("/cases").await;
    let out = browser
        .post("/sign-out", &[("csrf_token", &cases.csrf())])
        .await;
    assert!(out.body.contains("You have signed out"));

    let later = hub.browser();
    hub.clock.advance(time::Duration::minutes(1));
    password(&later, "jo.bloggs@example.gov.uk", PASSWORD).await;
    let page = later.get("/sign-in/code").await;
    assert!(page.body.contains("ending in 0982"));
    assert!(!page.body.contains("900982"));
    assert_eq!(texted_codes(&hub.store.outbox_messages().await).len(), 2);
}

#[tokio::test]
async fn after_sign_out_the_old_session_cookie_reaches_nothing() {
    let hub = Hub::start().await;
    let browser = hub.browser();
    registered(&hub, &browser, "jo.bloggs@example.gov.uk").await;
    password(&browser, "jo.bloggs@example.gov.uk", PASSWORD).await;
    browser
        .submit("/sign-in/method", "/sign-in/method", &[("method", "text")])
        .await;
    browser
        .submit(
            "/sign-in/text",
            "/sign-in/text",
            &[("mobile", "07700 900982")],
        )
        .await;
    let code = texted_codes(&hub.store.outbox_messages().await)
        .pop()
        .unwrap();
    let signed_in = browser
        .submit("/sign-in/code", "/sign-in/code", &[("code", &code)])
        .await;
    let cookie = signed_in.cookie.unwrap();
    let value = cookie.split(';').next().unwrap().to_owned();
    let cases = browser.get("/cases").await;
    browser
        .post("/sign-out", &[("csrf_token", &cases.csrf())])
        .await;
    let replay = reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap();
    let response = replay
        .get(format!("{}/cases", hub.base))
        .header("cookie", value)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/sign-in");
}

#[tokio::test]
async fn pages_carry_security_headers_and_unknown_paths_get_a_plain_404() {
    let hub = Hub::start().await;
    let browser = hub.browser();
    let response = browser
        .client
        .get(format!("{}/sign-in", hub.base))
        .send()
        .await
        .unwrap();
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"));
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert!(response.headers().contains_key("referrer-policy"));
    let page = browser.get("/no/such/page").await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("Page not found"));
}

#[tokio::test]
async fn too_many_sign_in_posts_from_one_address_get_a_429_page_and_the_audit_log_knows_the_address()
 {
    let hub = Hub::start().await;
    let browser = hub.browser();
    registered(&hub, &browser, "jo.bloggs@example.gov.uk").await;
    let mut statuses = Vec::new();
    for _ in 0..45 {
        let page = password(&browser, "nobody@example.gov.uk", "Wrong!Pass1").await;
        statuses.push(page.status);
        if page.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(page.body.contains("Too many attempts"));
            break;
        }
    }
    assert_eq!(
        statuses.last(),
        Some(&StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    let events = hub.store.audit_events().await;
    let rejected = events
        .iter()
        .find(|e| e.kind.as_str() == "password-rejected")
        .unwrap();
    assert_eq!(rejected.origin, Some("127.0.0.1".parse().unwrap()));
}
