//! The ClamAV adapter against a real clamd (Debian's `clamav-daemon`, started by
//! `ehc_clamav::test_support::TestClamd` with its own EICAR signature database), over TCP and
//! over a Unix socket.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ehc_clamav::test_support::{EICAR, EICAR_SIGNATURE, TestClamd};
use ehc_clamav::{CHUNK_BYTES, Clamd, ClamdAddress, ClamdSettings};
use ehc_core::document::scan::{ScanError, ScanVerdict, VirusScanner};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A file of `body` pseudo-random bytes followed by `tail`, made as it is read (never whole in
/// memory), remembering the largest read it was asked for.
struct Generated {
    body: u64,
    tail: Vec<u8>,
    seed: u64,
    largest_read: usize,
    fail_after: Option<u64>,
    read_so_far: u64,
}

impl Generated {
    fn new(body: u64, tail: &[u8]) -> Self {
        Self {
            body,
            tail: tail.to_vec(),
            seed: 0x9E37_79B9_7F4A_7C15,
            largest_read: 0,
            fail_after: None,
            read_so_far: 0,
        }
    }
}

impl futures_io::AsyncRead for Generated {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.largest_read = this.largest_read.max(buf.len());
        if this.fail_after.is_some_and(|n| this.read_so_far >= n) {
            return Poll::Ready(Err(io::Error::other("the upload was interrupted")));
        }
        let n = if this.body > 0 {
            let n = buf.len().min(usize::try_from(this.body).unwrap());
            for byte in &mut buf[..n] {
                this.seed ^= this.seed << 13;
                this.seed ^= this.seed >> 7;
                this.seed ^= this.seed << 17;
                *byte = this.seed.to_le_bytes()[0];
            }
            this.body -= n as u64;
            n
        } else {
            let n = buf.len().min(this.tail.len());
            buf[..n].copy_from_slice(&this.tail[..n]);
            this.tail.drain(..n);
            n
        };
        this.read_so_far += n as u64;
        Poll::Ready(Ok(n))
    }
}

fn both(clamd: &TestClamd) -> [Clamd; 2] {
    [clamd.tcp_address(), clamd.unix_address()].map(|a| Clamd::new(&TestClamd::settings(a)))
}

async fn scan_bytes(scanner: &Clamd, bytes: &[u8]) -> Result<ScanVerdict, ScanError> {
    scanner.scan(&mut &bytes[..]).await
}

#[tokio::test]
async fn the_eicar_test_file_is_infected_and_named() {
    let clamd = TestClamd::start();
    for scanner in both(&clamd) {
        assert_eq!(
            scan_bytes(&scanner, EICAR).await,
            Ok(ScanVerdict::Infected {
                signature: EICAR_SIGNATURE.to_owned()
            }),
            "over {}",
            scanner.address()
        );
    }
}

#[tokio::test]
async fn a_clean_file_is_clean() {
    let clamd = TestClamd::start();
    let letter = "Dear Ms Bloggs, please find attached the educational psychologist's advice.";
    for scanner in both(&clamd) {
        assert_eq!(
            scan_bytes(&scanner, letter.as_bytes()).await,
            Ok(ScanVerdict::Clean),
            "over {}",
            scanner.address()
        );
        assert_eq!(scan_bytes(&scanner, b"").await, Ok(ScanVerdict::Clean));
    }
}

#[tokio::test]
async fn a_20_mb_file_is_streamed_in_chunks_and_clamd_sees_all_of_it() {
    let clamd = TestClamd::start();
    for scanner in both(&clamd) {
        let mut clean = Generated::new(20 * 1024 * 1024, b"");
        assert_eq!(scanner.scan(&mut clean).await, Ok(ScanVerdict::Clean));
        assert!(
            clean.largest_read <= CHUNK_BYTES,
            "the file was read {} bytes at a time",
            clean.largest_read
        );

        // The same 20 MB with EICAR at its very end: found only if every byte reached clamd.
        let mut infected = Generated::new(20 * 1024 * 1024, EICAR);
        assert_eq!(
            scanner.scan(&mut infected).await,
            Ok(ScanVerdict::Infected {
                signature: EICAR_SIGNATURE.to_owned()
            }),
            "over {}",
            scanner.address()
        );
    }
}

#[tokio::test]
async fn a_stream_longer_than_stream_max_length_is_a_scan_error() {
    let clamd = TestClamd::with_stream_max_length("1M");
    for scanner in both(&clamd) {
        let mut too_long = Generated::new(3 * 1024 * 1024, b"");
        let error = scanner.scan(&mut too_long).await.unwrap_err();
        assert!(
            error.reason.contains("INSTREAM size limit exceeded"),
            "over {}: {error}",
            scanner.address()
        );
        // A file within the limit still passes on the same clamd.
        assert_eq!(scan_bytes(&scanner, b"short").await, Ok(ScanVerdict::Clean));
    }
}

#[tokio::test]
async fn clamd_down_is_a_scan_error_for_scan_and_ping() {
    let clamd = TestClamd::start();
    let scanners = both(&clamd);
    for scanner in &scanners {
        scanner.ping().await.unwrap();
    }
    drop(clamd);
    for scanner in &scanners {
        let error = scan_bytes(scanner, EICAR).await.unwrap_err();
        assert!(error.reason.contains("connecting"), "{error}");
        assert!(scanner.ping().await.is_err());
    }
    let nowhere = Clamd::new(&ClamdSettings::new(
        "unix:/nonexistent/clamd.ctl".parse().unwrap(),
    ));
    assert!(scan_bytes(&nowhere, b"text").await.is_err());
}

#[tokio::test]
async fn a_clamd_that_never_answers_is_a_scan_error_after_the_timeout() {
    // Accepts the connection and reads everything, but never replies.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut sink = Vec::new();
        let _ = tokio::io::AsyncReadExt::read_to_end(&mut socket, &mut sink).await;
    });
    let scanner = Clamd::new(&ClamdSettings {
        address: ClamdAddress::Tcp {
            host: "127.0.0.1".to_owned(),
            port,
        },
        connect_timeout_seconds: 1,
        timeout_seconds: 1,
    });
    let error = scan_bytes(&scanner, b"text").await.unwrap_err();
    assert!(error.reason.contains("no answer"), "{error}");
}

#[tokio::test]
async fn a_file_that_cannot_be_read_is_a_scan_error_not_a_verdict() {
    let clamd = TestClamd::start();
    for scanner in both(&clamd) {
        let mut broken = Generated::new(1024 * 1024, b"");
        broken.fail_after = Some(100_000);
        let error = scanner.scan(&mut broken).await.unwrap_err();
        assert!(error.reason.contains("could not be read"), "{error}");
    }
}
