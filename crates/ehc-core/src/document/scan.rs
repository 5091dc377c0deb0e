//! The virus-scanner port: every upload is scanned before it is stored.

use async_trait::async_trait;

/// What a scanner found in one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanVerdict {
    /// Nothing found.
    Clean,
    /// A virus or a test signature was found; the file must not be stored.
    Infected {
        /// The scanner's name for what it found, e.g. `Eicar-Test-Signature`.
        signature: String,
    },
}

/// The scanner could not give a verdict (unreachable, timed out, refused the stream as too long).
/// The upload is refused with "try again later"; nothing is stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the virus scanner could not check the file: {reason}")]
pub struct ScanError {
    /// The adapter's description of the fault (never file content).
    pub reason: String,
}

/// Scans a file's content for viruses. Adapters: ClamAV's `clamd` (INSTREAM over TCP or a Unix
/// socket) for real use, and a development scanner that finds nothing.
#[async_trait]
pub trait VirusScanner: Send + Sync {
    /// Reads `content` to its end and says whether it is clean.
    ///
    /// # Errors
    /// [`ScanError`] when no verdict could be had: the caller refuses the upload.
    async fn scan(
        &self,
        content: &mut (dyn futures_io::AsyncRead + Send + Unpin),
    ) -> Result<ScanVerdict, ScanError>;
}
