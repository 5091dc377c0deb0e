//! The document-store port: where the bytes of documents live, addressed by their SHA-256
//! ([`ContentHash`]), so identical content is kept once. Adapters: `ehc-documents`' local-disk
//! store (the default); an object store (S3 and the like) implements the same two traits
//! (docs/documents.md says how).
//!
//! An upload is staged as its bytes arrive (the adapter hashes them as it goes and never holds
//! the whole file in memory), read back for the virus scanner, then committed under its hash or
//! discarded. Nothing staged is visible to [`DocumentStore::open`] until committed.
//!
//! ```text
//!  stage ──▶ write, write, … ──▶ reader (scan) ──▶ commit ──▶ stored under its hash
//!                       │                   │
//!                       └──── discard ◀─────┘   (or dropped: the adapter removes it)
//! ```
//!
//! Content committed but never recorded on a case (a request never sent, a database write that
//! failed after the commit) is an orphan: [`super::DocumentService::sweep_orphans`] lists what
//! was last written more than a day ago ([`DocumentStore::written_before`]) and removes what no
//! document uses ([`DocumentStore::remove_written_before`]).

use async_trait::async_trait;
use time::OffsetDateTime;

use super::ContentHash;

/// The store could not do what was asked (a full disk, a missing folder, an unreachable
/// bucket). Nothing half-written is ever visible under a hash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the document store failed: {reason}")]
pub struct DocumentStoreError {
    /// The adapter's description (never file content).
    pub reason: String,
}

/// What [`StagedUpload::commit`] stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoredBlob {
    /// The SHA-256 of the bytes: their address.
    pub hash: ContentHash,
    /// Their length, in bytes.
    pub size_bytes: u64,
}

/// A byte stream read from the store.
pub type ByteStream = Box<dyn futures_io::AsyncRead + Send + Unpin>;

/// Keeps documents' bytes.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait DocumentStore: Send + Sync {
    /// Starts staging a new upload.
    ///
    /// # Errors
    /// [`DocumentStoreError`] when the store cannot take a new file.
    async fn stage(&self) -> Result<Box<dyn StagedUpload>, DocumentStoreError>;

    /// The committed bytes stored under `hash`, as a stream, with their length in bytes;
    /// `None` when nothing is stored under it.
    ///
    /// # Errors
    /// [`DocumentStoreError`] when the store cannot be read.
    async fn open(
        &self,
        hash: &ContentHash,
    ) -> Result<Option<(u64, ByteStream)>, DocumentStoreError>;

    /// Marks the content under `hash` as written at `now`, so a sweep with an earlier cutoff
    /// keeps it: `false` when nothing is stored under it (a request's file that waited too long
    /// and was swept). Called before content committed earlier is recorded on a case.
    ///
    /// # Errors
    /// [`DocumentStoreError`] when the store cannot be written.
    async fn refresh(
        &self,
        hash: &ContentHash,
        now: OffsetDateTime,
    ) -> Result<bool, DocumentStoreError>;

    /// The hashes of the committed content last written before `cutoff` (a commit of content
    /// already stored counts as a write: [`StagedUpload::commit`]), in no particular order.
    ///
    /// # Errors
    /// [`DocumentStoreError`] when the store cannot be listed.
    async fn written_before(
        &self,
        cutoff: OffsetDateTime,
    ) -> Result<Vec<ContentHash>, DocumentStoreError>;

    /// Removes the content under `hash` if it was last written before `cutoff`: `true` when it
    /// was removed, `false` when it was written since or is not stored. A commit of the same
    /// content at the same moment is never lost: either the sweep sees it written and keeps
    /// the content, or the commit stores it again.
    ///
    /// # Errors
    /// [`DocumentStoreError`] when the content could not be removed (it is then still stored).
    async fn remove_written_before(
        &self,
        hash: &ContentHash,
        cutoff: OffsetDateTime,
    ) -> Result<bool, DocumentStoreError>;
}

/// One upload being staged. Dropping it uncommitted discards it (the adapter removes what it
/// staged, as [`StagedUpload::discard`] does).
#[async_trait]
pub trait StagedUpload: Send {
    /// Appends `chunk` to the staged bytes.
    ///
    /// # Errors
    /// [`DocumentStoreError`] when it cannot be written (a full disk).
    async fn write(&mut self, chunk: &[u8]) -> Result<(), DocumentStoreError>;

    /// How many bytes are staged so far.
    fn size_bytes(&self) -> u64;

    /// The staged bytes from the start, as a stream (for the virus scanner); writing after
    /// reading is not supported.
    ///
    /// # Errors
    /// [`DocumentStoreError`] when the staged bytes cannot be read back.
    async fn reader(&mut self) -> Result<ByteStream, DocumentStoreError>;

    /// Stores the staged bytes under their hash; if that content is already stored, it is kept
    /// once and counts as written now (so [`DocumentStore::remove_written_before`] does not
    /// take content that is about to be recorded again).
    ///
    /// # Errors
    /// [`DocumentStoreError`]; nothing is then visible under the hash unless it was before.
    async fn commit(self: Box<Self>) -> Result<StoredBlob, DocumentStoreError>;

    /// Removes the staged bytes.
    ///
    /// # Errors
    /// [`DocumentStoreError`] when they could not be removed (the adapter's own clean-up
    /// then finds them).
    async fn discard(self: Box<Self>) -> Result<(), DocumentStoreError>;
}
