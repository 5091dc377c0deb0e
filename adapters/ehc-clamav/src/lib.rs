//! # ehc-clamav: virus scanning with ClamAV, an adapter of [`VirusScanner`]
//!
//! [`Clamd`] sends each upload to ClamAV's scanning daemon, `clamd`, with its `INSTREAM`
//! command, over TCP (`tcp://host:port`) or a Unix socket (`unix:/path`). The protocol, as the
//! clamd man page (`man 8 clamd`, section *COMMANDS*) describes it:
//!
//! 1. The client sends `zINSTREAM\0` (the `z` prefix: the command and its reply end in a NUL
//!    byte).
//! 2. Then the file as chunks, each `<length><data>`, the length a 4-byte unsigned integer in
//!    network byte order (big-endian), and a zero-length chunk (`\0\0\0\0`) to end the stream.
//!    clamd refuses a stream longer than its `StreamMaxLength` (default 25 MB): it answers
//!    `INSTREAM size limit exceeded. ERROR` and closes the connection.
//! 3. clamd answers one line, ending in a NUL byte: `stream: OK`, `stream: <signature> FOUND`,
//!    or `<reason> ERROR`.
//!
//! The file is never held in memory: it is read from the caller's `futures_io::AsyncRead` (through
//! tokio-util's `compat`) one chunk of [`CHUNK_BYTES`] at a time and written to clamd before the
//! next is read. Every failure to get a verdict (clamd down, a timeout, a refusal, a reply this
//! crate does not know) is a [`ScanError`], so the caller refuses the upload and stores nothing.
//!
//! No log line or error of this crate holds file content.

use async_trait::async_trait;
use ehc_core::document::scan::{ScanError, ScanVerdict, VirusScanner};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_util::compat::FuturesAsyncReadCompatExt;

#[cfg(feature = "test-support")]
pub mod test_support;

/// The largest chunk sent to clamd, in bytes (64 KiB); also the most of a file this adapter
/// holds in memory at once.
pub const CHUNK_BYTES: usize = 64 * 1024;

/// The longest reply read from clamd, in bytes; a longer one is not clamd's.
const MAX_REPLY_BYTES: usize = 4096;

/// How long to look for clamd's reason after it stopped taking the file.
const REFUSAL_GRACE: Duration = Duration::from_secs(2);

/// Where clamd listens: `tcp://host:port` (its `TCPAddr`/`TCPSocket` settings) or
/// `unix:/absolute/path` (its `LocalSocket`; Debian's is `unix:/run/clamav/clamd.ctl`).
///
/// Read with [`str::parse`]; shown ([`fmt::Display`]) in the same form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum ClamdAddress {
    /// A TCP address: a host name or IP address (IPv6 in brackets in the text form) and a port.
    Tcp {
        /// Host name or IP address, without brackets.
        host: String,
        /// TCP port (clamd's usual one is 3310).
        port: u16,
    },
    /// The path of a Unix domain socket.
    Unix(PathBuf),
}

/// The text is not a clamd address.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a clamd address: write tcp://host:port (e.g. tcp://127.0.0.1:3310) or unix:/absolute/path (e.g. unix:/run/clamav/clamd.ctl)"
)]
pub struct AddressError(String);

impl FromStr for ClamdAddress {
    type Err = AddressError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || AddressError(text.to_owned());
        let text = text.trim();
        if let Some(path) = text.strip_prefix("unix:") {
            let path = PathBuf::from(path);
            return if path.is_absolute() {
                Ok(Self::Unix(path))
            } else {
                Err(bad())
            };
        }
        let rest = text.strip_prefix("tcp://").ok_or_else(bad)?;
        let (host, port) = rest.rsplit_once(':').ok_or_else(bad)?;
        let host = match host.strip_prefix('[') {
            Some(inner) => inner.strip_suffix(']').ok_or_else(bad)?,
            None if host.contains(':') => return Err(bad()),
            None => host,
        };
        let port: u16 = port.parse().map_err(|_| bad())?;
        if host.is_empty() || port == 0 || host.contains(['/', '[', ']', ' ']) {
            return Err(bad());
        }
        Ok(Self::Tcp {
            host: host.to_owned(),
            port,
        })
    }
}

impl TryFrom<String> for ClamdAddress {
    type Error = AddressError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<ClamdAddress> for String {
    fn from(address: ClamdAddress) -> Self {
        address.to_string()
    }
}

impl fmt::Display for ClamdAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tcp { host, port } if host.contains(':') => write!(f, "tcp://[{host}]:{port}"),
            Self::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
            Self::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

/// The `[clamav]` settings of the hub's configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClamdSettings {
    /// Where clamd listens, e.g. `unix:/run/clamav/clamd.ctl` or `tcp://127.0.0.1:3310`.
    pub address: ClamdAddress,
    /// Seconds to wait for the connection to clamd (default 5).
    #[serde(default = "default_connect_timeout")]
    pub connect_timeout_seconds: u64,
    /// Seconds to wait for clamd to take each chunk, and for its verdict once the whole file is
    /// sent (default 120, clamd's own `MaxScanTime`).
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
}

fn default_connect_timeout() -> u64 {
    5
}

fn default_timeout() -> u64 {
    120
}

impl ClamdSettings {
    /// Settings with the default timeouts.
    pub fn new(address: ClamdAddress) -> Self {
        Self {
            address,
            connect_timeout_seconds: default_connect_timeout(),
            timeout_seconds: default_timeout(),
        }
    }
}

/// ClamAV's clamd as the hub's [`VirusScanner`]: one connection per scan.
#[derive(Debug, Clone)]
pub struct Clamd {
    address: ClamdAddress,
    connect_timeout: Duration,
    timeout: Duration,
}

impl Clamd {
    /// A scanner talking to clamd as `settings` say.
    pub fn new(settings: &ClamdSettings) -> Self {
        Self {
            address: settings.address.clone(),
            connect_timeout: Duration::from_secs(settings.connect_timeout_seconds),
            timeout: Duration::from_secs(settings.timeout_seconds),
        }
    }

    /// Where this scanner connects.
    pub fn address(&self) -> &ClamdAddress {
        &self.address
    }

    /// Asks clamd whether it is there: `zPING\0`, answered `PONG` (man 8 clamd).
    ///
    /// # Errors
    /// [`ScanError`] when clamd cannot be reached in time or answers anything else.
    pub async fn ping(&self) -> Result<(), ScanError> {
        let reply = match &self.address {
            ClamdAddress::Tcp { host, port } => {
                let stream = self
                    .deadline(
                        "connecting",
                        self.connect_timeout,
                        tokio::net::TcpStream::connect((host.as_str(), *port)),
                    )
                    .await?;
                self.ping_over(stream).await?
            }
            ClamdAddress::Unix(path) => {
                let stream = self
                    .deadline(
                        "connecting",
                        self.connect_timeout,
                        tokio::net::UnixStream::connect(path),
                    )
                    .await?;
                self.ping_over(stream).await?
            }
        };
        if reply == "PONG" {
            Ok(())
        } else {
            Err(self.error(format!("clamd answered PING with {reply:?}")))
        }
    }

    async fn ping_over<S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        mut stream: S,
    ) -> Result<String, ScanError> {
        self.deadline("sending PING", self.timeout, stream.write_all(b"zPING\0"))
            .await?;
        self.deadline("reading the reply", self.timeout, read_reply(&mut stream))
            .await
    }

    /// Streams `content` to clamd over `stream` (INSTREAM) and reads the reply.
    async fn instream<S: AsyncRead + AsyncWrite + Unpin>(
        &self,
        mut stream: S,
        content: &mut (dyn futures_io::AsyncRead + Send + Unpin),
    ) -> Result<ScanVerdict, ScanError> {
        match self.send_stream(&mut stream, content).await {
            Ok(()) => {
                let reply = self
                    .deadline("reading the verdict", self.timeout, read_reply(&mut stream))
                    .await?;
                parse_reply(&reply).map_err(|reason| self.error(reason))
            }
            Err(SendError::Content(error)) => Err(error),
            // clamd may refuse the stream part-way (StreamMaxLength) and close the connection:
            // the reply it sent before closing explains the failed write.
            Err(SendError::Clamd(error)) => {
                let grace = REFUSAL_GRACE.min(self.timeout);
                match tokio::time::timeout(grace, read_reply(&mut stream)).await {
                    Ok(Ok(reply)) if !reply.is_empty() => match parse_reply(&reply) {
                        Err(reason) => Err(self.error(reason)),
                        Ok(_) => Err(error),
                    },
                    _ => Err(error),
                }
            }
        }
    }

    async fn send_stream<S: AsyncWrite + Unpin>(
        &self,
        stream: &mut S,
        content: &mut (dyn futures_io::AsyncRead + Send + Unpin),
    ) -> Result<(), SendError> {
        let mut content = content.compat();
        let mut buffer = vec![0_u8; 4 + CHUNK_BYTES];
        self.deadline(
            "sending INSTREAM",
            self.timeout,
            stream.write_all(b"zINSTREAM\0"),
        )
        .await
        .map_err(SendError::Clamd)?;
        loop {
            let Some(data) = buffer.get_mut(4..) else {
                return Err(SendError::Clamd(self.error("no chunk buffer".to_owned())));
            };
            let read = content.read(data).await.map_err(|e| {
                SendError::Content(self.error(format!("the file could not be read: {e}")))
            })?;
            let length = u32::try_from(read).unwrap_or(u32::MAX);
            buffer[..4].copy_from_slice(&length.to_be_bytes());
            let chunk = buffer.get(..4 + read).unwrap_or_default();
            self.deadline("sending the file", self.timeout, stream.write_all(chunk))
                .await
                .map_err(SendError::Clamd)?;
            if read == 0 {
                break;
            }
        }
        self.deadline("sending the file", self.timeout, stream.flush())
            .await
            .map_err(SendError::Clamd)
    }

    /// Runs `step` within `limit`; an I/O error or the time running out is a [`ScanError`]
    /// saying what was being done.
    async fn deadline<T>(
        &self,
        doing: &str,
        limit: Duration,
        step: impl Future<Output = std::io::Result<T>>,
    ) -> Result<T, ScanError> {
        match tokio::time::timeout(limit, step).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(e)) => Err(self.error(format!("{doing}: {e}"))),
            Err(_) => Err(self.error(format!("{doing}: no answer within {limit:?}"))),
        }
    }

    fn error(&self, reason: String) -> ScanError {
        ScanError {
            reason: format!("clamd at {}: {reason}", self.address),
        }
    }
}

/// Why streaming stopped: clamd's side (worth reading its reply) or the file's.
enum SendError {
    Clamd(ScanError),
    Content(ScanError),
}

#[async_trait]
impl VirusScanner for Clamd {
    /// Sends `content` to clamd with `INSTREAM`, one [`CHUNK_BYTES`] chunk at a time.
    ///
    /// # Errors
    /// [`ScanError`] when clamd cannot be reached within the connect timeout, does not take a
    /// chunk or give its verdict within the timeout, closes the connection, refuses the stream
    /// (`INSTREAM size limit exceeded. ERROR` past its `StreamMaxLength`, or any other
    /// `… ERROR`), or answers something that is not a verdict; also when `content` cannot be
    /// read.
    async fn scan(
        &self,
        content: &mut (dyn futures_io::AsyncRead + Send + Unpin),
    ) -> Result<ScanVerdict, ScanError> {
        let verdict = match &self.address {
            ClamdAddress::Tcp { host, port } => {
                let stream = self
                    .deadline(
                        "connecting",
                        self.connect_timeout,
                        tokio::net::TcpStream::connect((host.as_str(), *port)),
                    )
                    .await?;
                self.instream(stream, content).await
            }
            ClamdAddress::Unix(path) => {
                let stream = self
                    .deadline(
                        "connecting",
                        self.connect_timeout,
                        tokio::net::UnixStream::connect(path),
                    )
                    .await?;
                self.instream(stream, content).await
            }
        };
        match &verdict {
            Ok(ScanVerdict::Clean) => tracing::debug!("clamd: clean"),
            Ok(ScanVerdict::Infected { signature }) => {
                tracing::warn!(signature, "clamd found a virus; the upload is refused");
            }
            Err(e) => tracing::error!(error = %e, "no verdict from clamd; the upload is refused"),
        }
        verdict
    }
}

/// Reads clamd's reply up to its terminating NUL (or the end of the connection), at most
/// [`MAX_REPLY_BYTES`], as text without the NUL and surrounding white space.
async fn read_reply<S: AsyncRead + Unpin>(stream: &mut S) -> std::io::Result<String> {
    let mut reply = Vec::new();
    let mut buffer = [0_u8; 256];
    loop {
        let n = stream.read(&mut buffer).await?;
        let got = buffer.get(..n).unwrap_or_default();
        if let Some(end) = got.iter().position(|b| *b == 0) {
            reply.extend_from_slice(got.get(..end).unwrap_or_default());
            break;
        }
        reply.extend_from_slice(got);
        if n == 0 || reply.len() > MAX_REPLY_BYTES {
            break;
        }
    }
    reply.truncate(MAX_REPLY_BYTES);
    Ok(String::from_utf8_lossy(&reply).trim().to_owned())
}

/// Reads clamd's reply to `INSTREAM` (man 8 clamd): `stream: OK` is [`ScanVerdict::Clean`],
/// `stream: <signature> FOUND` is [`ScanVerdict::Infected`].
///
/// # Errors
/// The reason, for a reply ending in `ERROR` (e.g. `INSTREAM size limit exceeded. ERROR`), an
/// empty reply (clamd closed the connection) and any other reply.
pub fn parse_reply(reply: &str) -> Result<ScanVerdict, String> {
    let reply = reply.trim_end_matches('\0').trim();
    if let Some(error) = reply.strip_suffix(" ERROR") {
        let reason = error.strip_prefix("stream: ").unwrap_or(error);
        return Err(format!("clamd refused the file: {reason}"));
    }
    match reply.strip_prefix("stream: ") {
        Some("OK") => Ok(ScanVerdict::Clean),
        Some(found) => match found.strip_suffix(" FOUND") {
            Some(signature) if !signature.trim().is_empty() => Ok(ScanVerdict::Infected {
                signature: signature.trim().to_owned(),
            }),
            _ => Err(format!("unexpected reply {reply:?}")),
        },
        None if reply.is_empty() => Err("clamd closed the connection without a verdict".to_owned()),
        None => Err(format!("unexpected reply {reply:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_clamd_reply_becomes_a_verdict_or_an_error() {
        assert_eq!(parse_reply("stream: OK"), Ok(ScanVerdict::Clean));
        assert_eq!(parse_reply("stream: OK\0"), Ok(ScanVerdict::Clean));
        assert_eq!(
            parse_reply("stream: Win.Test.EICAR_HDB-1 FOUND"),
            Ok(ScanVerdict::Infected {
                signature: "Win.Test.EICAR_HDB-1".to_owned()
            })
        );
        let refused = parse_reply("INSTREAM size limit exceeded. ERROR").unwrap_err();
        assert!(
            refused.contains("INSTREAM size limit exceeded."),
            "{refused}"
        );
        let error = parse_reply("stream: Can't allocate memory ERROR").unwrap_err();
        assert!(error.contains("Can't allocate memory"), "{error}");
        assert!(parse_reply("").is_err());
        assert!(parse_reply("stream:  FOUND").is_err());
        assert!(parse_reply("UNKNOWN COMMAND").is_err());
        assert!(parse_reply("PONG").is_err());
        assert!(parse_reply("stream: OKAY").is_err());
    }

    #[test]
    fn addresses_are_tcp_urls_or_absolute_unix_paths() {
        assert_eq!(
            "tcp://127.0.0.1:3310".parse(),
            Ok(ClamdAddress::Tcp {
                host: "127.0.0.1".to_owned(),
                port: 3310
            })
        );
        assert_eq!(
            "tcp://[::1]:3310".parse(),
            Ok(ClamdAddress::Tcp {
                host: "::1".to_owned(),
                port: 3310
            })
        );
        assert_eq!(
            "unix:/run/clamav/clamd.ctl".parse(),
            Ok(ClamdAddress::Unix(PathBuf::from("/run/clamav/clamd.ctl")))
        );
        for bad in [
            "",
            "127.0.0.1:3310",
            "tcp://127.0.0.1",
            "tcp://:3310",
            "tcp://clamd:0",
            "tcp://clamd:99999",
            "tcp://::1:3310",
            "unix:run/clamd.ctl",
            "unix:",
            "http://clamd:3310",
        ] {
            assert!(bad.parse::<ClamdAddress>().is_err(), "{bad:?} was accepted");
        }
        for good in [
            "tcp://clamd.internal:3310",
            "tcp://[::1]:3310",
            "unix:/tmp/c.sock",
        ] {
            let address: ClamdAddress = good.parse().unwrap();
            assert_eq!(address.to_string(), good);
        }
    }
}
