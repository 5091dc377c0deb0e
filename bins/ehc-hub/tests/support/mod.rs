//! Shared by the tests that run real `ehc-hub serve` processes: a hub process, its
//! configuration, and a cookie-keeping client that reads pages as a person would.

#![allow(dead_code)] // each test target uses its own part of this module

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus};
use std::time::{Duration, Instant};

pub use ehc_notification_tests::free_port;
use ehc_notification_tests::{NotifyStub, api_key, wait_until};

pub const PASSWORD: &str = "Harbour!Lights9";

/// A new empty folder for one test.
pub fn folder(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ehc-hub-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The configuration of a development hub (plain-HTTP cookies, the development virus scanner,
/// registration links printed by `invite`) on `database_url`, sending e-mail to an SMTP server
/// on `smtp_port` and texts to a GOV.UK Notify stand-in on `notify_port`, retrying a failed
/// message after a second or two (and never giving up within a test). `extra` is appended
/// (more sections).
pub fn config(
    dir: &Path,
    database_url: &str,
    public_base_url: &str,
    smtp_port: u16,
    notify_port: u16,
    extra: &str,
) -> String {
    format!(
        r#"public_base_url = "{public_base_url}"
database_url = "{database_url}"
data_dir = "{dir}"
development = true

[la]
name = "Anytown Council"
contact = "01632 960000"

[email]
mode = "smtp"
host = "127.0.0.1"
port = {smtp_port}
security = "none"
timeout_seconds = 5
from = {{ address = "ehc-hub@anytown.gov.uk", name = "Anytown Council" }}

[sms]
mode = "notify"
base_url = "http://127.0.0.1:{notify_port}"
api_key = "{api_key}"
template_id = "{template_id}"
timeout_seconds = 5

[dispatch]
max_attempts = 1000
first_retry_after = 1
max_retry_after = 2

{extra}
"#,
        dir = dir.display(),
        api_key = api_key(),
        template_id = ehc_notification_tests::TEMPLATE_ID,
    )
}

/// Writes `config` with `listen` on `port` to `{dir}/{name}.toml`.
pub fn config_file(dir: &Path, name: &str, port: u16, config: &str) -> PathBuf {
    let file = dir.join(format!("{name}.toml"));
    std::fs::write(&file, format!("listen = \"127.0.0.1:{port}\"\n{config}")).unwrap();
    file
}

/// `ehc-hub --config FILE ARGS…`, run to its end: what it printed (stdout then stderr).
pub fn hub_command(config: &Path, args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_ehc-hub"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("ehc-hub runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "ehc-hub {args:?}: {text}");
    text
}

/// `ehc-hub invite` of an LA officer: the registration link it prints (development mode).
pub fn invite(config: &Path, email: &str) -> String {
    let out = hub_command(
        config,
        &["invite", "--email", email, "--role", "la-officer"],
    );
    let start = out
        .find("Registration link: ")
        .expect("a registration link")
        + 19;
    out[start..].lines().next().unwrap().trim().to_owned()
}

/// A running `ehc-hub serve`; killed when dropped.
pub struct HubProcess {
    pub child: Child,
    pub port: u16,
}

impl HubProcess {
    /// Starts `serve` with `config` (which listens on `port`) and waits until `/healthz` answers.
    pub fn start(config: &Path, port: u16) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_ehc-hub"))
            .arg("--config")
            .arg(config)
            .arg("serve")
            .env("RUST_LOG", "warn")
            .spawn()
            .unwrap();
        let mut hub = Self { child, port };
        let mut exited = None;
        let answers = wait_until(Duration::from_secs(60), || {
            exited = hub.child.try_wait().unwrap();
            exited.is_some()
                || raw_get(port, "/healthz").is_some_and(|r| r.starts_with("HTTP/1.1 200"))
        });
        assert!(
            answers && exited.is_none(),
            "ehc-hub serve answers /healthz on port {port} (exited: {exited:?}; its error is above)"
        );
        hub
    }

    /// Sends SIGTERM.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits up to `within` for the process to exit: its status, or `None` if it still runs.
    pub fn wait_exit(&mut self, within: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Some(status);
            }
            if start.elapsed() > within {
                return None;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A plain `GET path` on 127.0.0.1:`port`: the whole response, or `None` if nothing answers.
pub fn raw_get(port: u16, path: &str) -> Option<String> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    s.read_to_string(&mut out).ok()?;
    Some(out)
}

/// A person's browser: keeps cookies, follows no redirect, gives up on a request after 30 s.
pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
}

/// One answer.
pub struct Page {
    pub status: reqwest::StatusCode,
    pub location: Option<String>,
    pub body: String,
}

impl Page {
    /// The CSRF token of the page's form.
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf_token\" value=\"";
        let start = self.body.find(marker).expect("a form with a CSRF token") + marker.len();
        let rest = &self.body[start..];
        rest[..rest.find('"').unwrap()].to_owned()
    }

    pub fn has(&self, words: &str) -> bool {
        self.body.contains(words)
    }
}

impl Browser {
    pub fn new(base: &str) -> Self {
        Self::with_headers(base, reqwest::header::HeaderMap::new())
    }

    /// A browser behind a client-side proxy that says it forwards for `address` (nginx adds
    /// the browser's own address after it).
    pub fn forwarding_for(base: &str, address: &str) -> Self {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-forwarded-for", address.parse().unwrap());
        Self::with_headers(base, headers)
    }

    fn with_headers(base: &str, headers: reqwest::header::HeaderMap) -> Self {
        Self {
            client: reqwest::Client::builder()
                .default_headers(headers)
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .timeout(Duration::from_secs(30))
                .build()
                .unwrap(),
            base: base.to_owned(),
        }
    }

    fn url(&self, path: &str) -> String {
        if path.starts_with("http") {
            path.to_owned()
        } else {
            format!("{}{path}", self.base)
        }
    }

    async fn read(response: reqwest::Response) -> Page {
        Page {
            status: response.status(),
            location: response
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_owned()),
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

    /// Loads `page_path`, then posts its form (with its CSRF token) to `action`.
    pub async fn submit(&self, page_path: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let page = self.get(page_path).await;
        assert_eq!(
            page.status,
            reqwest::StatusCode::OK,
            "{page_path}: {}",
            page.body
        );
        let token = page.csrf();
        let mut all = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        self.post(action, &all).await
    }

    /// After setting up a second factor: ticks *I have saved my recovery codes* on the page
    /// that shows them once, and continues to the work tray.
    pub async fn save_recovery_codes(&self) {
        let done = self
            .submit(
                "/sign-in/recovery-codes",
                "/sign-in/recovery-codes",
                &[("saved", "yes")],
            )
            .await;
        assert_eq!(done.location.as_deref(), Some("/cases"), "{}", done.body);
    }

    /// Registers through the registration `link` with [`PASSWORD`].
    pub async fn register(&self, link: &str) {
        let done = self
            .submit(link, link, &[("password", PASSWORD), ("confirm", PASSWORD)])
            .await;
        assert!(done.has("Your registration is complete"), "{}", done.body);
    }

    pub async fn password(&self, email: &str, password: &str) -> Page {
        self.submit(
            "/sign-in",
            "/sign-in",
            &[("email", email), ("password", password)],
        )
        .await
    }
}

/// The security code in the newest text the Notify stand-in accepted for `number` (E.164).
pub fn newest_code(notify: &NotifyStub, number: &str) -> Option<String> {
    notify
        .accepted()
        .iter()
        .rev()
        .find(|r| r["body"]["phone_number"] == number)
        .and_then(|r| {
            let text = r["body"]["personalisation"]["body"].as_str()?.to_owned();
            let digits: Vec<char> = text.chars().collect();
            digits
                .windows(6)
                .find(|w| w.iter().all(char::is_ascii_digit))
                .map(|w| w.iter().collect())
        })
}
