//! A real clamd for tests (feature `test-support`), so the adapter and the upload journeys are
//! tested against ClamAV itself rather than a stand-in.
//!
//! [`TestClamd::start`] writes a temporary folder holding a signature database with one
//! signature, for the EICAR test file, and a `clamd.conf` (`Foreground`, a `LocalSocket` and the
//! `TemporaryDirectory` in the folder, a `TCPSocket` on a free loopback port, `DatabaseDirectory`
//! the folder's `db`), starts
//! Debian's `clamd` with it and waits until it answers `PING` with `PONG` (about 20 ms with this
//! one-signature database). Dropping it stops clamd and removes the folder. It runs the same as
//! root (CI) or as another user: clamd needs no other file and no network (no freshclam).
//!
//! clamd comes from `$EHC_TEST_CLAMD`, the `PATH` or `/usr/sbin/clamd` (Debian's
//! `clamav-daemon`, installed by `scripts/test-deps`). Without it the tests fail and say so:
//! they never skip.

#![allow(
    clippy::expect_used,
    clippy::panic,
    reason = "test support: a failed set-up stops the test with its message"
)]

use crate::{ClamdAddress, ClamdSettings};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The EICAR anti-virus test file: 68 printable ASCII characters that every scanner reports as
/// a virus although it is harmless. Source: EICAR, *Anti-Malware Testfile*
/// (<https://www.eicar.org/download-anti-malware-testfile/>), the industry's public standard
/// test file.
pub const EICAR: &[u8; 68] =
    b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

/// The name clamd reports for [`EICAR`] with the test database. clamd adds `.UNOFFICIAL` to the
/// names of signatures that are not from ClamAV's own signed databases.
pub const EICAR_SIGNATURE: &str = "Eicar-Test-Signature.UNOFFICIAL";

/// How long clamd may take to start before the test gives up (far more than it needs).
const START_LIMIT: Duration = Duration::from_secs(60);

/// A clamd started for a test; stopped (and its folder removed) when dropped.
#[derive(Debug)]
pub struct TestClamd {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

impl TestClamd {
    /// Starts clamd accepting streams of up to 250 MB.
    ///
    /// # Panics
    /// When clamd is missing or does not start (its log is in the message).
    pub fn start() -> Self {
        Self::with_stream_max_length("250M")
    }

    /// Starts clamd with `StreamMaxLength` set to `limit` (clamd's syntax: `1M`, `500K`, bytes).
    ///
    /// # Panics
    /// When clamd is missing or does not start (its log is in the message).
    pub fn with_stream_max_length(limit: &str) -> Self {
        // The free port is found by binding port 0 and letting go: another process may take it
        // in between, so a start that fails is tried again with a new port.
        let mut failures = Vec::new();
        for _ in 0..3 {
            match Self::try_start(limit) {
                Ok(clamd) => return clamd,
                Err(why) => failures.push(why),
            }
        }
        panic!("clamd did not start:\n{}", failures.join("\n---\n"))
    }

    fn try_start(limit: &str) -> Result<Self, String> {
        let dir = tempfile::Builder::new()
            .prefix("ehc-clamd-")
            .tempdir()
            .expect("a temporary folder for clamd");
        let db = dir.path().join("db");
        std::fs::create_dir(&db).expect("the database folder");
        let hex: String = EICAR.iter().map(|b| format!("{b:02x}")).collect();
        // An extended signature (.ndb: name, target type 0 = any file, offset * = anywhere,
        // hex body), so EICAR is found anywhere in a stream, also after 20 MB of other bytes.
        std::fs::write(
            db.join("eicar.ndb"),
            format!("Eicar-Test-Signature:0:*:{hex}\n"),
        )
        .expect("the signature database");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let conf = dir.path().join("clamd.conf");
        std::fs::write(
            &conf,
            format!(
                "Foreground yes\nLogFile {log}\nLocalSocket {sock}\nTCPAddr 127.0.0.1\n\
                 TCPSocket {port}\nDatabaseDirectory {db}\nStreamMaxLength {limit}\n\
                 TemporaryDirectory {tmp}\n",
                log = dir.path().join("clamd.log").display(),
                tmp = dir.path().display(),
                sock = dir.path().join("clamd.sock").display(),
                db = db.display(),
            ),
        )
        .expect("clamd.conf");
        let output = std::fs::File::create(dir.path().join("clamd.out")).expect("clamd.out");
        let child = Command::new(clamd_binary())
            .arg("--config-file")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(output.try_clone().expect("clamd.out"))
            .stderr(output)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", clamd_binary().display()))?;
        let mut clamd = Self { child, dir, port };
        clamd.wait_until_ready()?;
        Ok(clamd)
    }

    fn wait_until_ready(&mut self) -> Result<(), String> {
        let sock = self.dir.path().join("clamd.sock");
        let started = Instant::now();
        while started.elapsed() < START_LIMIT {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("clamd exited ({status}):\n{}", self.log()));
            }
            if ping(&sock) && tcp_ping(self.port) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Err(format!(
            "clamd did not answer PING within {START_LIMIT:?}:\n{}",
            self.log()
        ))
    }

    /// What clamd wrote to its log and its output so far.
    pub fn log(&self) -> String {
        ["clamd.out", "clamd.log"]
            .iter()
            .map(|f| std::fs::read_to_string(self.dir.path().join(f)).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Its TCP address, `tcp://127.0.0.1:<port>`.
    pub fn tcp_address(&self) -> ClamdAddress {
        ClamdAddress::Tcp {
            host: "127.0.0.1".to_owned(),
            port: self.port,
        }
    }

    /// Its Unix socket, `unix:<folder>/clamd.sock`.
    pub fn unix_address(&self) -> ClamdAddress {
        ClamdAddress::Unix(self.dir.path().join("clamd.sock"))
    }

    /// Settings for `address` with short timeouts (5 s to connect, 30 s for each step).
    pub fn settings(address: ClamdAddress) -> ClamdSettings {
        ClamdSettings {
            address,
            connect_timeout_seconds: 5,
            timeout_seconds: 30,
        }
    }
}

impl Drop for TestClamd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `$EHC_TEST_CLAMD`, else `clamd` on the `PATH`, else Debian's `/usr/sbin/clamd`.
fn clamd_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("EHC_TEST_CLAMD") {
        return PathBuf::from(path);
    }
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join("clamd"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| PathBuf::from("/usr/sbin/clamd"))
}

fn ping(sock: &Path) -> bool {
    std::os::unix::net::UnixStream::connect(sock)
        .is_ok_and(|mut s| pong(&mut s, |s, t| s.set_read_timeout(t)))
}

fn tcp_ping(port: u16) -> bool {
    std::net::TcpStream::connect(("127.0.0.1", port))
        .is_ok_and(|mut s| pong(&mut s, |s, t| s.set_read_timeout(t)))
}

fn pong<S: Read + Write>(
    stream: &mut S,
    set_timeout: impl Fn(&S, Option<Duration>) -> std::io::Result<()>,
) -> bool {
    let mut reply = Vec::new();
    set_timeout(stream, Some(Duration::from_secs(1))).is_ok()
        && stream.write_all(b"zPING\0").is_ok()
        && stream.read_to_end(&mut reply).is_ok()
        && reply == b"PONG\0"
}
