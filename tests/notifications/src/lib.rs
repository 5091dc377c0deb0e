//! Test support for the notification tests and benchmark: real servers on loopback, started by
//! the test itself, and an in-memory [`OutboxQueue`].
//!
//! - [`SmtpSink`]: an SMTP server (Python's `aiosmtpd`) that writes each accepted message to a
//!   folder; [`SmtpSink::parsed`] reads them back through Python's standard `email` parser, so
//!   headers such as an RFC 2047 `From` are checked by a reader independent of lettre.
//! - [`NotifyStub`]: a stand-in for GOV.UK Notify's `POST /v2/notifications/sms` whose token
//!   check is Notify's own `notifications_python_client.authentication.decode_jwt_token`.
//! - [`MemoryQueue`]: the dispatcher's side of the outbox in memory, with leases, as the
//!   storage adapters implement it.
//!
//! The Python tools come from `scripts/test-deps` (a venv in `target/py`) or from
//! `$EHC_TEST_PYTHON`. If neither is there the tests fail and say so: they never skip.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test support: a failed set-up stops the test with its message"
)]

use async_trait::async_trait;
use ehc_core::outbox::{
    ClaimedMessage, DeliveryState, MessageId, OutboxEntry, OutboxMessage, OutboxQueue,
};
use ehc_core::ports::StoreError;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration as StdDuration, Instant};
use time::{Duration, OffsetDateTime};

/// The workspace's root folder.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The Python interpreter with `aiosmtpd` and `notifications-python-client`.
///
/// # Panics
/// When there is none: run `scripts/test-deps` (as `scripts/test-all` does).
pub fn python() -> PathBuf {
    if let Some(p) = std::env::var_os("EHC_TEST_PYTHON") {
        return PathBuf::from(p);
    }
    let venv = workspace_root().join("target/py/bin/python");
    assert!(
        venv.exists(),
        "the notification tests need Python with aiosmtpd and notifications-python-client: \
         run scripts/test-deps (it makes {}), or set EHC_TEST_PYTHON",
        venv.display()
    );
    venv
}

fn support(script: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("support")
        .join(script)
}

/// A Python helper server; killed when dropped.
#[derive(Debug)]
struct PyServer {
    child: Child,
    port: u16,
}

impl PyServer {
    fn start(script: &str, args: &[String]) -> Self {
        let mut child = Command::new(python())
            .arg(support(script))
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {script} with {:?}: {e}", python()));
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read the helper's first line");
        let port = line
            .strip_prefix("READY ")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| {
                let _ = child.kill();
                panic!(
                    "{script} did not start (its error is above; run scripts/test-deps?): {line:?}"
                )
            });
        Self { child, port }
    }
}

impl Drop for PyServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A free TCP port on loopback (nothing listens on it once this returns).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// How an [`SmtpSink`] behaves.
#[derive(Debug, Clone, Default)]
pub struct SmtpOptions {
    /// Listen on this port (default: any free one).
    pub port: Option<u16>,
    /// Answer 550 to recipients containing this text.
    pub reject_rcpt: Option<String>,
    /// Answer 451 to the first this many messages.
    pub tempfail: u32,
    /// Require AUTH with this user and password.
    pub auth: Option<(String, String)>,
    /// Keep each message, then wait this many milliseconds before answering 250 (a slow relay).
    pub delay_ms: u32,
}

/// A real SMTP server (aiosmtpd) on loopback that keeps what it receives in a folder.
#[derive(Debug)]
pub struct SmtpSink {
    server: PyServer,
    dir: PathBuf,
}

/// One message as the SMTP server received it.
#[derive(Debug, Clone)]
pub struct ReceivedMail {
    /// The bytes received, as text.
    pub raw: String,
    /// `MAIL FROM`.
    pub mail_from: String,
    /// `RCPT TO`s.
    pub rcpt_tos: Vec<String>,
    /// What Python's `email` parser read (see `support/parse_mail.py`).
    pub parsed: serde_json::Value,
}

impl SmtpSink {
    /// Starts a sink writing into `dir`.
    pub fn start(dir: &Path, options: &SmtpOptions) -> Self {
        let mut args = vec![dir.display().to_string()];
        if let Some(port) = options.port {
            args.extend(["--port".into(), port.to_string()]);
        }
        if let Some(r) = &options.reject_rcpt {
            args.extend(["--reject-rcpt".into(), r.clone()]);
        }
        if options.tempfail > 0 {
            args.extend(["--tempfail".into(), options.tempfail.to_string()]);
        }
        if let Some((u, p)) = &options.auth {
            args.extend(["--auth".into(), format!("{u}:{p}")]);
        }
        if options.delay_ms > 0 {
            args.extend(["--delay-ms".into(), options.delay_ms.to_string()]);
        }
        Self {
            server: PyServer::start("smtp_sink.py", &args),
            dir: dir.to_owned(),
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.server.port
    }

    /// The raw messages received so far, oldest first, without parsing.
    pub fn raw_messages(&self) -> Vec<String> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
        files.sort();
        files
            .iter()
            .map(|p| std::fs::read_to_string(p).expect("read a received message"))
            .collect()
    }

    /// The messages received so far, oldest first, each parsed by Python's `email` package.
    pub fn parsed(&self) -> Vec<ReceivedMail> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|e| e == "eml"));
        files.sort();
        files
            .iter()
            .map(|eml| {
                let envelope: serde_json::Value = serde_json::from_str(
                    &std::fs::read_to_string(eml.with_extension("json")).expect("envelope"),
                )
                .expect("envelope JSON");
                let out = Command::new(python())
                    .arg(support("parse_mail.py"))
                    .arg(eml)
                    .output()
                    .expect("run parse_mail.py");
                assert!(
                    out.status.success(),
                    "parse_mail.py failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                ReceivedMail {
                    raw: std::fs::read_to_string(eml).expect("read message"),
                    mail_from: envelope["mail_from"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                    rcpt_tos: envelope["rcpt_tos"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|v| v.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default(),
                    parsed: serde_json::from_slice(&out.stdout).expect("parse_mail.py JSON"),
                }
            })
            .collect()
    }

    /// Waits up to `within` until at least `n` messages arrived; returns how many did.
    pub fn wait_for(&self, n: usize, within: StdDuration) -> usize {
        wait_until(within, || self.raw_messages().len() >= n);
        self.raw_messages().len()
    }
}

/// Polls `done` every 20 ms until it holds or `within` has passed.
pub fn wait_until(within: StdDuration, mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    loop {
        if done() {
            return true;
        }
        if start.elapsed() > within {
            return false;
        }
        std::thread::sleep(StdDuration::from_millis(20));
    }
}

/// The Notify service id of the stand-in.
pub const SERVICE_ID: &str = "26785a09-ab16-4eb0-8407-a37497a57506";
/// The secret part of the stand-in's API key.
pub const SECRET: &str = "3d844edf-8d35-48ac-975b-e847b4f122b0";
/// The one template the stand-in knows.
pub const TEMPLATE_ID: &str = "f33517ff-2a88-4f6e-b855-c550268ce08a";

/// The API key of the stand-in, as Notify would show it.
pub fn api_key() -> String {
    format!("ehc_hub_test-{SERVICE_ID}-{SECRET}")
}

/// How a [`NotifyStub`] behaves.
#[derive(Debug, Clone, Default)]
pub struct NotifyOptions {
    /// Listen on this port (default: any free one).
    pub port: Option<u16>,
    /// Statuses to answer to the first requests (then 201).
    pub answers: Vec<u16>,
    /// Answer 400 to texts for this number.
    pub invalid_number: Option<String>,
}

/// A local stand-in for GOV.UK Notify's text API.
#[derive(Debug)]
pub struct NotifyStub {
    server: PyServer,
    dir: PathBuf,
}

impl NotifyStub {
    /// Starts a stand-in writing each request into `dir`.
    pub fn start(dir: &Path, options: &NotifyOptions) -> Self {
        let mut args = vec![
            dir.display().to_string(),
            "--service-id".into(),
            SERVICE_ID.into(),
            "--secret".into(),
            SECRET.into(),
            "--template-id".into(),
            TEMPLATE_ID.into(),
        ];
        if let Some(port) = options.port {
            args.extend(["--port".into(), port.to_string()]);
        }
        if !options.answers.is_empty() {
            let list: Vec<String> = options.answers.iter().map(u16::to_string).collect();
            args.extend(["--answers".into(), list.join(",")]);
        }
        if let Some(n) = &options.invalid_number {
            args.extend(["--invalid-number".into(), n.clone()]);
        }
        Self {
            server: PyServer::start("notify_stub.py", &args),
            dir: dir.to_owned(),
        }
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.server.port
    }

    /// Its base URL.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port())
    }

    /// Every request so far, oldest first: `{"n", "answered", "iss", "body", "content_type"}`.
    pub fn requests(&self) -> Vec<serde_json::Value> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.dir)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.retain(|p| p.extension().is_some_and(|e| e == "json"));
        files.sort();
        files
            .iter()
            .map(|p| {
                serde_json::from_str(&std::fs::read_to_string(p).expect("read a request"))
                    .expect("request JSON")
            })
            .collect()
    }

    /// The requests answered 201.
    pub fn accepted(&self) -> Vec<serde_json::Value> {
        self.requests()
            .into_iter()
            .filter(|r| r["answered"] == 201)
            .collect()
    }
}

#[derive(Debug, Clone)]
struct Row {
    message: OutboxMessage,
    attempts: u32,
    next_attempt_at: OffsetDateTime,
    last_error: Option<String>,
    state: DeliveryState,
}

/// The dispatcher's side of the outbox in memory: the same rules as the storage adapters
/// (leases, attempts, secrets erased once sent). Clones share one queue.
#[derive(Debug, Clone, Default)]
pub struct MemoryQueue {
    rows: Arc<Mutex<Vec<Row>>>,
}

impl MemoryQueue {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }

    /// Queues `message`, due at its `created_at`.
    pub fn enqueue(&self, message: OutboxMessage) {
        let row = Row {
            next_attempt_at: message.created_at,
            message,
            attempts: 0,
            last_error: None,
            state: DeliveryState::Pending,
        };
        self.rows.lock().unwrap().push(row);
    }

    /// Every entry, in queue order.
    pub fn entries(&self) -> Vec<OutboxEntry> {
        self.rows.lock().unwrap().iter().map(to_entry).collect()
    }

    /// Messages not yet sent or dead.
    pub fn pending(&self) -> usize {
        self.rows
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.state == DeliveryState::Pending)
            .count()
    }
}

fn to_entry(r: &Row) -> OutboxEntry {
    let erased = matches!(r.state, DeliveryState::Sent(_)) && r.message.content.carries_secret();
    OutboxEntry {
        id: r.message.id,
        recipient: r.message.recipient.clone(),
        content: (!erased).then(|| r.message.content.clone()),
        created_at: r.message.created_at,
        attempts: r.attempts,
        next_attempt_at: r.next_attempt_at,
        last_error: r.last_error.clone(),
        state: r.state,
    }
}

#[async_trait]
impl OutboxQueue for MemoryQueue {
    async fn claim_due(
        &self,
        limit: u32,
        now: OffsetDateTime,
        lease: Duration,
    ) -> Result<Vec<ClaimedMessage>, StoreError> {
        let mut rows = self.rows.lock().unwrap();
        let mut due: Vec<usize> = (0..rows.len())
            .filter(|&i| rows[i].state == DeliveryState::Pending && rows[i].next_attempt_at <= now)
            .collect();
        due.sort_by_key(|&i| rows[i].next_attempt_at);
        due.truncate(limit as usize);
        Ok(due
            .into_iter()
            .map(|i| {
                let row = &mut rows[i];
                row.attempts += 1;
                row.next_attempt_at = now + lease;
                ClaimedMessage {
                    message: row.message.clone(),
                    attempts: row.attempts,
                }
            })
            .collect())
    }

    async fn mark_sent(&self, id: MessageId, now: OffsetDateTime) -> Result<bool, StoreError> {
        Ok(self.update(id, DeliveryState::Pending, |r| {
            r.state = DeliveryState::Sent(now);
        }))
    }

    async fn mark_failed(
        &self,
        id: MessageId,
        error: &str,
        next_attempt_at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        Ok(self.update(id, DeliveryState::Pending, |r| {
            r.last_error = Some(error.to_owned());
            r.next_attempt_at = next_attempt_at;
        }))
    }

    async fn dead_letter(
        &self,
        id: MessageId,
        error: &str,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        Ok(self.update(id, DeliveryState::Pending, |r| {
            r.last_error = Some(error.to_owned());
            r.state = DeliveryState::DeadLetter(now);
        }))
    }

    async fn dead_letters(&self, limit: u32) -> Result<Vec<OutboxEntry>, StoreError> {
        Ok(self
            .rows
            .lock()
            .unwrap()
            .iter()
            .filter(|r| matches!(r.state, DeliveryState::DeadLetter(_)))
            .take(limit as usize)
            .map(to_entry)
            .collect())
    }

    async fn retry_dead_letter(
        &self,
        id: MessageId,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let mut rows = self.rows.lock().unwrap();
        let Some(row) = rows
            .iter_mut()
            .find(|r| r.message.id == id && matches!(r.state, DeliveryState::DeadLetter(_)))
        else {
            return Ok(false);
        };
        row.state = DeliveryState::Pending;
        row.attempts = 0;
        row.next_attempt_at = now;
        Ok(true)
    }

    async fn entry(&self, id: MessageId) -> Result<Option<OutboxEntry>, StoreError> {
        Ok(self
            .rows
            .lock()
            .unwrap()
            .iter()
            .find(|r| r.message.id == id)
            .map(to_entry))
    }
}

impl MemoryQueue {
    fn update(&self, id: MessageId, from: DeliveryState, change: impl FnOnce(&mut Row)) -> bool {
        let mut rows = self.rows.lock().unwrap();
        match rows
            .iter_mut()
            .find(|r| r.message.id == id && r.state == from)
        {
            Some(row) => {
                change(row);
                true
            }
            None => false,
        }
    }
}
