//! A hub on port 0 over a store under test, and a cookie-keeping client that reads pages as a
//! person would.

use reqwest::StatusCode;
use reqwest::redirect::Policy;
use std::sync::Arc;
use time::OffsetDateTime;

use ehc_core::account::{AccountId, EmailAddress};
use ehc_core::invitation::{InvitationService, InviteOutcome};
use ehc_core::outbox::Recipient;
use ehc_core::ports::{Clock, RandomnessUnavailable, SecretSource};
use ehc_core::role::{Grantor, Role, RoleGrant, Urn};
use ehc_core::setting::{EducationSetting, LaCode, SettingStatus};
use ehc_core::settings::SecuritySettings;
use ehc_core::system::OsSecretSource;
use ehc_core::test_support::{FakeClock, FastHasher};
use ehc_http::{AppState, WebConfig, router};
use ehc_store_contract::{Backend, T0};

pub const PASSWORD: &str = "Harbour!Lights9";
pub const JO: &str = "jo.bloggs@example.gov.uk";

/// How a hub differs from the defaults in one test.
pub struct Options {
    pub la_name: &'static str,
    pub start: OffsetDateTime,
    pub half_signed_in_for: time::Duration,
    /// TOTP secrets are the RFC 6238 seed (the "fake secrets" of the test configuration).
    pub rfc_totp_seed: bool,
    /// Posts per client address allowed at once on the sign-in and code forms.
    pub rate_limit_burst: u32,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            la_name: "Anytown Council",
            start: T0,
            half_signed_in_for: time::Duration::minutes(10),
            rfc_totp_seed: false,
            rate_limit_burst: 1_000,
        }
    }
}

/// OS randomness, except that 20-byte requests (TOTP secrets) get the RFC 6238 seed.
struct RfcTotpSeed;

impl SecretSource for RfcTotpSeed {
    fn fill(&self, dest: &mut [u8]) -> Result<(), RandomnessUnavailable> {
        if dest.len() == 20 {
            dest.copy_from_slice(b"12345678901234567890");
            Ok(())
        } else {
            OsSecretSource.fill(dest)
        }
    }
}

pub struct Hub<B: Backend> {
    pub base: String,
    pub store: B,
    pub clock: Arc<FakeClock>,
    pub settings: SecuritySettings,
    /// The document store's folder (removed with the hub).
    pub documents: tempfile::TempDir,
    /// The hub's virus scanner: a real clamd (Debian's `clamav-daemon`) with the EICAR test
    /// signature, reached over its Unix socket; [`Hub::stop_clamd`] stops it.
    pub clamd: std::sync::Mutex<Option<ehc_clamav::test_support::TestClamd>>,
}

/// The EICAR anti-virus test file (68 bytes), which every scanner reports.
pub use ehc_clamav::test_support::EICAR;

impl<B: Backend> Hub<B> {
    pub async fn start(store: B) -> Self {
        Self::with(store, Options::default()).await
    }

    pub async fn with(store: B, options: Options) -> Self {
        let clock = Arc::new(FakeClock::at(options.start));
        let settings = SecuritySettings {
            la_name: options.la_name.into(),
            allow_drama_numbers: true,
            half_signed_in_for: options.half_signed_in_for,
            ..SecuritySettings::default()
        };
        let web = WebConfig {
            la_contact: "Call 01632 960000".into(),
            secure_cookies: false,
            rate_limit_burst: options.rate_limit_burst,
            ..WebConfig::default()
        };
        let secrets: Arc<dyn SecretSource> = if options.rfc_totp_seed {
            Arc::new(RfcTotpSeed)
        } else {
            Arc::new(OsSecretSource)
        };
        let documents = tempfile::tempdir().unwrap();
        let clamd = ehc_clamav::test_support::TestClamd::start();
        let scanner = Arc::new(ehc_clamav::Clamd::new(
            &ehc_clamav::test_support::TestClamd::settings(clamd.unix_address()),
        ));
        let state = AppState::new(
            web,
            settings.clone(),
            Arc::new(store.clone()),
            Arc::new(FastHasher::new()),
            secrets,
            clock.clone(),
            Arc::new(
                ehc_documents::DiskDocumentStore::open(documents.path())
                    .await
                    .unwrap(),
            ),
            scanner,
        );
        let app = router(state, store.sessions());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(ehc_http::serve(listener, app, std::future::pending()));
        Self {
            base: format!("http://{addr}"),
            store,
            clock,
            settings,
            documents,
            clamd: std::sync::Mutex::new(Some(clamd)),
        }
    }

    /// Stops the hub's clamd: uploads can no longer be checked for viruses.
    pub fn stop_clamd(&self) {
        drop(self.clamd.lock().unwrap().take());
    }

    pub fn now(&self) -> OffsetDateTime {
        self.clock.now()
    }

    /// The LA invites `email` as SENDCo for 100001; the registration link, as the e-mail has it.
    pub async fn invite(&self, email: &str) -> Option<String> {
        let invitations = InvitationService::new(
            self.store.clone(),
            Arc::new(OsSecretSource),
            self.settings.clone(),
        );
        let role = Role::Sendco {
            setting: Urn::parse("100001").unwrap(),
        };
        match invitations
            .invite(Grantor::System, email, vec![role], self.now(), None)
            .await
            .unwrap()
        {
            InviteOutcome::Invited { token, .. } => {
                Some(format!("{}/register/{}", self.base, token.to_link_param()))
            }
            InviteOutcome::GrantedToExistingAccount { .. } => None,
        }
    }

    pub fn browser(&self) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(Policy::none())
                .build()
                .unwrap(),
            base: self.base.clone(),
        }
    }

    /// Every texted code, oldest first (the person's phone).
    pub async fn texts(&self) -> Vec<String> {
        self.store.texted_codes().await
    }

    /// The registration links of the invitation e-mails queued since the last call, oldest
    /// first (the messages are claimed, as a dispatcher would).
    pub async fn invitation_links(&self) -> Vec<String> {
        let claimed = self
            .store
            .claim_due(
                1_000,
                self.now() + time::Duration::days(30),
                time::Duration::SECOND,
            )
            .await
            .unwrap();
        let mut links: Vec<(OffsetDateTime, String)> = claimed
            .iter()
            .filter_map(|c| match &c.message.content {
                ehc_core::outbox::MessageContent::Invitation { token, .. } => Some((
                    c.message.created_at,
                    format!("{}/register/{}", self.base, token.to_link_param()),
                )),
                _ => None,
            })
            .collect();
        links.sort();
        links.into_iter().map(|(_, l)| l).collect()
    }

    /// The e-mails queued since the last claim, oldest first, as (address, content): every
    /// queued message is claimed, as a dispatcher would.
    pub async fn emails(&self) -> Vec<(String, ehc_core::outbox::MessageContent)> {
        let mut claimed = self
            .store
            .claim_due(
                1_000,
                self.now() + time::Duration::days(30),
                time::Duration::days(3650),
            )
            .await
            .unwrap();
        claimed.sort_by_key(|c| c.message.created_at);
        claimed
            .into_iter()
            .filter_map(|c| match c.message.recipient {
                Recipient::Email(to) => Some((to.canonical().to_owned(), c.message.content)),
                Recipient::Sms(_) => None,
            })
            .collect()
    }

    /// The *Choose a new password* links of the reset e-mails queued since the last claim,
    /// oldest first.
    pub async fn reset_links(&self) -> Vec<String> {
        self.emails()
            .await
            .into_iter()
            .filter_map(|(_, content)| match content {
                ehc_core::outbox::MessageContent::PasswordResetLink { token, .. } => Some(format!(
                    "{}/reset-password/{}",
                    self.base,
                    token.to_link_param()
                )),
                _ => None,
            })
            .collect()
    }

    /// The numbers texts were sent to, in E.164.
    pub async fn text_recipients(&self) -> Vec<String> {
        let claimed = self
            .store
            .claim_due(
                1_000,
                self.now() + time::Duration::days(1),
                time::Duration::minutes(1),
            )
            .await
            .unwrap();
        claimed
            .iter()
            .filter_map(|c| match &c.message.recipient {
                Recipient::Sms(phone) => Some(phone.e164().to_owned()),
                Recipient::Email(_) => None,
            })
            .collect()
    }

    /// A registered person `email` (password [`PASSWORD`]) with no second factor yet.
    pub async fn registered(&self, email: &str) -> Browser {
        let browser = self.browser();
        let link = self.invite(email).await.unwrap();
        let done = browser.register(&link, PASSWORD, PASSWORD).await;
        assert!(
            done.body.contains("Your registration is complete"),
            "{}",
            done.body
        );
        browser
    }
}

impl<B: Backend> Hub<B> {
    /// Education settings with these URNs exist (as after an import from GIAS).
    pub async fn settings_exist(&self, urns: &[&str]) {
        let mut tx = self.store.begin().await.unwrap();
        for urn in urns {
            let setting = EducationSetting {
                urn: Urn::parse(urn).unwrap(),
                name: format!("Anytown School {urn}"),
                kind: "Community school".into(),
                phase: "Primary".into(),
                la_code: LaCode::parse("999").unwrap(),
                status: SettingStatus::Open,
            };
            tx.settings().upsert(&setting).await.unwrap();
        }
        tx.commit().await.unwrap();
    }

    /// The hub itself (as the operator's `ehc-hub invite`) invites `email` with `roles`: the
    /// registration link, or `None` when the person has an account (and now the roles).
    pub async fn invite_as(&self, email: &str, roles: Vec<Role>) -> Option<String> {
        let invitations = InvitationService::new(
            self.store.clone(),
            Arc::new(OsSecretSource),
            self.settings.clone(),
        );
        match invitations
            .invite(Grantor::System, email, roles, self.now(), None)
            .await
            .unwrap()
        {
            InviteOutcome::Invited { token, .. } => {
                Some(format!("{}/register/{}", self.base, token.to_link_param()))
            }
            InviteOutcome::GrantedToExistingAccount { .. } => None,
        }
    }

    /// Registers `email` through `link` (password [`PASSWORD`]), then signs in with a texted
    /// code: the browser is signed in, on the work tray.
    pub async fn join(&self, link: &str, email: &str) -> Browser {
        let browser = self.browser();
        let done = browser.register(link, PASSWORD, PASSWORD).await;
        assert!(
            done.body.contains("Your registration is complete"),
            "{}",
            done.body
        );
        browser.password(email, PASSWORD).await;
        browser.choose("text").await;
        browser.mobile("07911 123456").await;
        let code = self.texts().await.pop().unwrap();
        assert_eq!(
            browser.code(&code).await.location.as_deref(),
            Some("/cases"),
            "{email} signs in"
        );
        assert_eq!(browser.save_recovery_codes().await.len(), 10);
        browser
    }

    /// A person invited by the hub with `roles`, registered and signed in.
    pub async fn person(&self, email: &str, roles: Vec<Role>) -> Browser {
        let link = self.invite_as(email, roles).await.expect("a new person");
        self.join(&link, email).await
    }

    /// The registration link of the newest invitation e-mail to `email` (every queued message
    /// is claimed, as a dispatcher would).
    pub async fn invitation_link_to(&self, email: &str) -> String {
        let wanted = EmailAddress::parse(email).unwrap();
        let claimed = self
            .store
            .claim_due(
                1_000,
                self.now() + time::Duration::days(30),
                time::Duration::SECOND,
            )
            .await
            .unwrap();
        claimed
            .iter()
            .filter(|c| c.message.recipient == Recipient::Email(wanted.clone()))
            .filter_map(|c| match &c.message.content {
                ehc_core::outbox::MessageContent::Invitation { token, .. } => Some((
                    c.message.created_at,
                    format!("{}/register/{}", self.base, token.to_link_param()),
                )),
                _ => None,
            })
            .max()
            .map(|(_, link)| link)
            .unwrap_or_else(|| panic!("an invitation e-mail to {email}"))
    }

    /// The account registered with `email`.
    pub async fn account_of(&self, email: &str) -> AccountId {
        let mut tx = self.store.begin().await.unwrap();
        let account = tx
            .accounts()
            .find_by_email(&EmailAddress::parse(email).unwrap())
            .await
            .unwrap()
            .expect("a registered person")
            .id;
        tx.commit().await.unwrap();
        account
    }

    /// Every grant of the person registered with `email`, active or not.
    pub async fn grants_of(&self, email: &str) -> Vec<RoleGrant> {
        let account = self.account_of(email).await;
        let mut tx = self.store.begin().await.unwrap();
        let grants = tx.grants().for_account(account).await.unwrap();
        tx.commit().await.unwrap();
        grants
    }
}

pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub session_cookie: Option<String>,
    pub body: String,
}

impl Page {
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf_token\" value=\"";
        let start = self.body.find(marker).expect("a form with a CSRF token") + marker.len();
        let rest = &self.body[start..];
        rest[..rest.find('"').unwrap()].to_owned()
    }

    pub fn has(&self, words: &str) -> bool {
        self.body.contains(words)
    }

    /// The text of the element with this id.
    pub fn text_of(&self, id: &str) -> String {
        let marker = format!("id=\"{id}\">");
        let start = self.body.find(&marker).expect("the element") + marker.len();
        let rest = &self.body[start..];
        rest[..rest.find('<').unwrap()].trim().to_owned()
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

    pub async fn read(response: reqwest::Response) -> Page {
        let status = response.status();
        assert!(!status.is_server_error(), "a {status} page");
        let location = response
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        let session_cookie = response
            .headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with("ehc_session="))
            .map(|v| v.split(';').next().unwrap().to_owned());
        Page {
            status,
            location,
            session_cookie,
            body: response.text().await.unwrap(),
        }
    }

    pub async fn get(&self, path: &str) -> Page {
        Self::read(self.client.get(self.url(path)).send().await.unwrap()).await
    }

    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Page {
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

    /// Loads `path`, following redirects as a browser would.
    pub async fn visit(&self, path: &str) -> Page {
        let mut at = path.to_owned();
        for _ in 0..5 {
            let page = self.get(&at).await;
            match &page.location {
                Some(next) if page.status.is_redirection() => at = next.clone(),
                _ => return page,
            }
        }
        panic!("too many redirects from {path}");
    }

    /// Loads `page_path` (following redirects), then posts its form (with its CSRF token) to
    /// `action`.
    pub async fn submit(&self, page_path: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let page = self.visit(page_path).await;
        let token = page.csrf();
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    pub async fn register(&self, link: &str, password: &str, confirm: &str) -> Page {
        self.submit(link, link, &[("password", password), ("confirm", confirm)])
            .await
    }

    pub async fn password(&self, email: &str, password: &str) -> Page {
        self.submit(
            "/sign-in",
            "/sign-in",
            &[("email", email), ("password", password)],
        )
        .await
    }

    pub async fn choose(&self, method: &str) -> Page {
        self.submit("/sign-in/method", "/sign-in/method", &[("method", method)])
            .await
    }

    pub async fn mobile(&self, number: &str) -> Page {
        self.submit("/sign-in/text", "/sign-in/text", &[("mobile", number)])
            .await
    }

    pub async fn code(&self, code: &str) -> Page {
        self.submit("/sign-in/code", "/sign-in/code", &[("code", code)])
            .await
    }

    /// After setting up a second factor: reads the recovery codes shown once, ticks *I have
    /// saved my recovery codes* and continues to the work tray. Returns the codes as shown.
    pub async fn save_recovery_codes(&self) -> Vec<String> {
        let page = self.get("/sign-in/recovery-codes").await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let codes: Vec<String> = page
            .body
            .split("<li><code>")
            .skip(1)
            .map(|rest| rest[..rest.find('<').unwrap()].to_owned())
            .collect();
        let done = self
            .post(
                "/sign-in/recovery-codes",
                &[("csrf_token", &page.csrf()), ("saved", "yes")],
            )
            .await;
        assert_eq!(done.location.as_deref(), Some("/cases"));
        codes
    }

    /// Signs out from the work tray.
    pub async fn sign_out(&self) -> Page {
        let cases = self.get("/cases").await;
        self.post("/sign-out", &[("csrf_token", &cases.csrf())])
            .await
    }
}

/// Decodes the inline SVG QR code of a page (the squares of `qrcode`'s SVG path) with `rqrr`.
pub fn decode_qr(body: &str) -> String {
    let svg = &body[body.find("<svg").expect("an inline SVG")..];
    let number = |attr: &str| -> usize {
        let start = svg.find(&format!("{attr}=\"")).unwrap() + attr.len() + 2;
        svg[start..start + svg[start..].find('"').unwrap()]
            .parse()
            .unwrap()
    };
    let (width, height) = (number("width"), number("height"));
    let path_start = svg.find(" d=\"").unwrap() + 4;
    let path = &svg[path_start..path_start + svg[path_start..].find('"').unwrap()];
    let mut dark = vec![false; width * height];
    for rect in path.split('M').filter(|r| !r.is_empty()) {
        // "{left} {top}h{w}v{h}H{left}V{top}"
        let (left, rest) = rect.split_once(' ').unwrap();
        let (top, rest) = rest.split_once('h').unwrap();
        let (w, rest) = rest.split_once('v').unwrap();
        let h = rest.split_once('H').unwrap().0;
        let [left, top, w, h]: [usize; 4] = [left, top, w, h].map(|n| n.parse().unwrap());
        for y in top..top + h {
            for x in left..left + w {
                dark[y * width + x] = true;
            }
        }
    }
    let mut image =
        rqrr::PreparedImage::prepare_from_bitmap(width, height, |x, y| dark[y * width + x]);
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code");
    grids[0].decode().expect("a readable QR code").1
}

/// The code `oathtool` (RFC 6238 reference tool, Debian package) gives for `key` at `at`.
pub fn oathtool(key: &str, at: OffsetDateTime) -> String {
    let output = std::process::Command::new("oathtool")
        .args(["--totp", "-b", &key.replace(' ', ""), "-N"])
        .arg(format!("@{}", at.unix_timestamp()))
        .output()
        .expect("oathtool runs (scripts/test-deps installs it)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}
