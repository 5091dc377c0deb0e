//! Two `ehc-hub serve` processes on one PostgreSQL database behind nginx (Debian's
//! `/usr/sbin/nginx`, round-robin, run by the test with its own configuration): a person
//! registers and signs in through both; wrong passwords and sent codes spread over both count
//! against one lockout and one send limit; the outbox sends each message once with both
//! dispatchers running.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at a broken expectation

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use ehc_notification_tests::{NotifyOptions, NotifyStub, SmtpOptions, SmtpSink, wait_until};
use ehc_store_contract::{Backend, Fixture, PgFixture, admin_url};
use support::{
    Browser, HubProcess, PASSWORD, config, config_file, folder, free_port, invite, newest_code,
};

const NGINX: &str = "/usr/sbin/nginx";

/// nginx in front of `upstreams`, round-robin, on a free loopback port; its access log names
/// the upstream of each request (`METHOD URI STATUS UPSTREAM`). Stopped when dropped.
struct Nginx {
    child: Child,
    port: u16,
    access_log: PathBuf,
}

impl Nginx {
    /// Starts nginx on `port`.
    fn start(dir: &Path, port: u16, upstreams: &[u16]) -> Self {
        assert!(
            Path::new(NGINX).exists(),
            "{NGINX} is missing: run scripts/test-deps (it installs Debian's nginx)"
        );
        let servers: String = upstreams
            .iter()
            .map(|p| format!("    server 127.0.0.1:{p};\n"))
            .collect();
        // As root, nginx's workers would switch to `nobody`: keep them as the current user.
        let user = if is_root() { "user root;" } else { "" };
        let d = dir.display();
        let conf = format!(
            r#"{user}
worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/nginx-error.log warn;
events {{ worker_connections 256; }}
http {{
  log_format upstream '$request_method $uri $status $upstream_addr';
  access_log {d}/nginx-access.log upstream;
  client_body_temp_path {d}/nginx-body;
  proxy_temp_path {d}/nginx-proxy;
  fastcgi_temp_path {d}/nginx-fastcgi;
  uwsgi_temp_path {d}/nginx-uwsgi;
  scgi_temp_path {d}/nginx-scgi;
  upstream hubs {{
{servers}  }}
  server {{
    listen 127.0.0.1:{port};
    client_max_body_size 1m;
    location / {{
      proxy_pass http://hubs;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }}
  }}
}}
"#
        );
        let file = dir.join("nginx.conf");
        std::fs::write(&file, conf).unwrap();
        let child = Command::new(NGINX)
            .arg("-p")
            .arg(dir)
            .arg("-e")
            .arg(dir.join("nginx-error.log"))
            .arg("-c")
            .arg(&file)
            .spawn()
            .unwrap();
        let nginx = Self {
            child,
            port,
            access_log: dir.join("nginx-access.log"),
        };
        assert!(
            wait_until(Duration::from_secs(20), || {
                support::raw_get(port, "/healthz").is_some_and(|r| r.starts_with("HTTP/1.1 200"))
            }),
            "nginx answers on {port}: {}",
            std::fs::read_to_string(dir.join("nginx-error.log")).unwrap_or_default()
        );
        nginx
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The access log's lines so far.
    fn log(&self) -> Vec<String> {
        std::fs::read_to_string(&self.access_log)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The upstream ports of the log's lines from `from` on whose request starts with
    /// `request` (`"POST "`, or `""` for all).
    fn upstreams_since(&self, from: usize, request: &str) -> Vec<u16> {
        self.log()[from..]
            .iter()
            .filter(|l| l.starts_with(request))
            .filter_map(|l| l.rsplit(':').next()?.parse().ok())
            .collect()
    }
}

impl Drop for Nginx {
    /// A fast shutdown (SIGTERM): the master stops its workers before exiting (SIGKILL would
    /// leave them running).
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hubs_behind_nginx_share_sessions_lockouts_send_limits_and_the_outbox() {
    let dir = folder("instances");
    let fixture = PgFixture::new().await;
    let admin = admin_url();
    let database = fixture.connect.get_database().unwrap();
    let database_url = format!("{}/{database}", &admin[..admin.rfind('/').unwrap()]);
    let smtp = SmtpSink::start(&dir.join("smtp"), &SmtpOptions::default());
    let notify = NotifyStub::start(&dir.join("notify"), &NotifyOptions::default());
    let (a, b) = (free_port(), free_port());
    let public = free_port();
    let shared = config(
        &dir,
        &database_url,
        &format!("http://127.0.0.1:{public}"),
        smtp.port(),
        notify.port(),
        r#"[web]
trusted_proxies = ["127.0.0.1"]
rate_limit_burst = 100

[security]
password_lockout = { max_failures = 4, lock_for = 900 }
sms_send_limit = { max_sends = 4, window = 3600 }
"#,
    );
    let hubs = [a, b].map(|port| {
        let file = config_file(&dir, &format!("hub-{port}"), port, &shared);
        (HubProcess::start(&file, port), file)
    });
    let nginx = Nginx::start(&dir, public, &[a, b]);
    let cli = &hubs[0].1;

    // Registration and sign-in with a texted code, each request through nginx.
    let jo = "jo.bloggs@anytown.gov.uk";
    let link = invite(cli, jo);
    assert!(link.starts_with(&nginx.base()), "{link}");
    let start = nginx.log().len();
    let browser = Browser::new(&nginx.base());
    browser.register(&link).await;
    let page = browser.password(jo, PASSWORD).await;
    assert_eq!(page.location.as_deref(), Some("/sign-in/method"));
    let page = browser
        .submit("/sign-in/method", "/sign-in/method", &[("method", "text")])
        .await;
    assert_eq!(page.location.as_deref(), Some("/sign-in/text"));
    let page = browser
        .submit(
            "/sign-in/text",
            "/sign-in/text",
            &[("mobile", "07700 900123")],
        )
        .await;
    assert_eq!(page.location.as_deref(), Some("/sign-in/code"));
    let number = "+447700900123";
    assert!(wait_until(Duration::from_secs(30), || newest_code(
        &notify, number
    )
    .is_some()));
    let code = newest_code(&notify, number).unwrap();
    let page = browser
        .submit("/sign-in/code", "/sign-in/code", &[("code", &code)])
        .await;
    assert_eq!(page.location.as_deref(), Some("/cases"));
    browser.save_recovery_codes().await;
    assert_eq!(browser.get("/cases").await.status, 200);
    assert_eq!(browser.get("/cases").await.status, 200);
    // Round-robin: each request went to the other hub than the one before, so every form
    // was posted to the hub that did not serve it (its session and CSRF token came from the
    // other process, through the database).
    let journey = nginx.upstreams_since(start, "");
    assert!(journey.len() >= 12, "{:?}", nginx.log());
    assert!(
        journey.windows(2).all(|w| w[0] != w[1]) && journey.contains(&a) && journey.contains(&b),
        "the journey alternated between the hubs: {:?}",
        nginx.log()
    );

    // Codes sent through both hubs count against one send limit (4 an hour): the code of
    // the set-up, the password step's, two resends, then a refusal.
    let phone = Browser::new(&nginx.base());
    let page = phone.password(jo, PASSWORD).await;
    assert_eq!(page.location.as_deref(), Some("/sign-in/code"));
    let start = nginx.log().len();
    for _ in 0..2 {
        let page = phone.submit("/sign-in/code", "/sign-in/resend", &[]).await;
        assert_eq!(page.location.as_deref(), Some("/sign-in/code"));
        assert!(
            phone
                .get("/sign-in/code")
                .await
                .has("We have sent you a new code")
        );
    }
    phone.submit("/sign-in/code", "/sign-in/resend", &[]).await;
    let page = phone.get("/sign-in/code").await;
    assert!(
        page.has("You have asked for too many codes"),
        "{}",
        page.body
    );
    let resends = nginx.upstreams_since(start, "POST ");
    assert!(
        resends.contains(&a) && resends.contains(&b),
        "resends reached both hubs: {resends:?}"
    );
    assert!(wait_until(Duration::from_secs(30), || notify
        .accepted()
        .len()
        >= 4));
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(notify.accepted().len(), 4, "four texts, each sent once");

    // Wrong passwords through both hubs count against one lockout (4 failures). Both hubs
    // trust nginx's X-Forwarded-For: the audit log has the address it forwarded for.
    let stranger = Browser::forwarding_for(&nginx.base(), "203.0.113.7");
    let form = stranger.get("/sign-in").await;
    let start = nginx.log().len();
    for failure in 1..=4 {
        let page = stranger
            .post(
                "/sign-in",
                &[
                    ("csrf_token", &form.csrf()),
                    ("email", jo),
                    ("password", "Wrong!Password1"),
                ],
            )
            .await;
        let says = if failure < 4 {
            "Enter a correct email address and password"
        } else {
            "You have entered the wrong password too many times"
        };
        assert!(page.has(says), "failure {failure}: {}", page.body);
    }
    let wrong = nginx.upstreams_since(start, "POST ");
    assert!(
        wrong.contains(&a) && wrong.contains(&b),
        "wrong passwords reached both hubs: {wrong:?}"
    );
    for _ in 0..2 {
        let page = stranger.password(jo, PASSWORD).await;
        assert!(
            page.has("You have entered the wrong password too many times"),
            "locked on whichever hub answers: {}",
            page.body
        );
    }

    let origins: Vec<String> = fixture
        .store()
        .audit()
        .await
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                ehc_core::audit::AuditKind::PasswordRejected
                    | ehc_core::audit::AuditKind::PasswordLocked
            )
        })
        .map(|e| e.origin.map(|o| o.to_string()).unwrap_or_default())
        .collect();
    assert!(origins.len() >= 4, "{origins:?}");
    assert!(origins.iter().all(|o| o == "203.0.113.7"), "{origins:?}");

    // With both dispatchers running, every queued e-mail is sent once.
    let invited: Vec<String> = (1..=12)
        .map(|n| format!("officer{n}@anytown.gov.uk"))
        .collect();
    for email in &invited {
        invite(cli, email);
    }
    let expected = 1 + invited.len();
    assert_eq!(smtp.wait_for(expected, Duration::from_secs(60)), expected);
    std::thread::sleep(Duration::from_secs(3));
    let received = smtp.parsed();
    assert_eq!(received.len(), expected, "each e-mail once");
    let recipients: BTreeSet<String> = received.iter().flat_map(|m| m.rcpt_tos.clone()).collect();
    assert_eq!(recipients.len(), expected, "{recipients:?}");

    drop(nginx);
    for (hub, _) in hubs {
        hub.terminate();
        let mut hub = hub;
        let status = hub.wait_exit(Duration::from_secs(30)).expect("exits");
        assert!(status.success(), "{status}");
    }
    fixture.finish().await;
}
