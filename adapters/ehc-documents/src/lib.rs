//! # ehc-documents: where documents' bytes live, and a development virus scanner
//!
//! Driven adapters of the core's document ports (`ehc_core::document`):
//!
//! - [`DiskDocumentStore`] implements [`DocumentStore`] on a local folder (or any mounted file
//!   system). Files are content-addressed: the bytes with SHA-256 `abcd…` are kept at
//!   `{root}/ab/cd/abcd…`, so identical content is stored once. An upload is written as it
//!   arrives to a temporary file in `{root}/staging/` — inside the same folder, so on the same
//!   file system — hashing as it goes (never the whole file in memory), then renamed into place
//!   at commit (an atomic step: a half-written file is never visible under a hash). A discarded
//!   or abandoned upload is removed; staged files older than a day, left by a crash, are removed
//!   by [`DiskDocumentStore::remove_abandoned`] (the hub calls it at start-up).
//! - [`DevelopmentScanner`] implements [`VirusScanner`] for the demo and development only: it
//!   reads the file and **finds nothing, ever**. Production uses ClamAV's adapter.
//!
//! Another store (S3 or any object store) implements the same two traits: docs/documents.md.

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use tokio::fs::{File, OpenOptions};
use tokio::io::{AsyncWriteExt, BufWriter};
use tokio_util::compat::{FuturesAsyncReadCompatExt, TokioAsyncReadCompatExt};

use ehc_core::document::scan::{ScanError, ScanVerdict, VirusScanner};
use ehc_core::document::store::ByteStream;
use ehc_core::document::{
    ContentHash, DocumentStore, DocumentStoreError, StagedUpload, StoredBlob,
};

/// The folder, under the root, of uploads being staged.
const STAGING: &str = "staging";
/// Staged files older than this are left-overs of a crash.
const STALE_AFTER: Duration = Duration::from_secs(24 * 60 * 60);
/// Bytes gathered before each write to the staged file.
const WRITE_BUFFER: usize = 256 * 1024;

fn fault(what: &str, e: &std::io::Error) -> DocumentStoreError {
    DocumentStoreError {
        reason: format!("{what}: {e}"),
    }
}

/// The content-addressed document store on a local folder.
#[derive(Debug, Clone)]
pub struct DiskDocumentStore {
    root: PathBuf,
}

impl DiskDocumentStore {
    /// Opens the store at `root`, creating the folder (and its `staging/`) if missing.
    ///
    /// # Errors
    /// The folder cannot be created.
    pub async fn open(root: impl Into<PathBuf>) -> std::io::Result<Self> {
        let root = root.into();
        tokio::fs::create_dir_all(root.join(STAGING)).await?;
        Ok(Self { root })
    }

    /// Removes staged files last written more than a day before `now` (left by a crash: a
    /// live upload writes continually); the hub calls it at start-up. Returns how many.
    ///
    /// # Errors
    /// The staging folder cannot be read.
    pub async fn remove_abandoned(&self, now: SystemTime) -> std::io::Result<usize> {
        let mut removed = 0;
        let mut entries = tokio::fs::read_dir(self.staging_dir()).await?;
        while let Some(entry) = entries.next_entry().await? {
            let modified = entry.metadata().await?.modified()?;
            let age = now.duration_since(modified).unwrap_or_default();
            if age > STALE_AFTER && tokio::fs::remove_file(entry.path()).await.is_ok() {
                tracing::info!(file = %entry.path().display(), "removed an abandoned staged upload");
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Where the bytes with `hash` are kept: `{root}/ab/cd/abcd…` (the first two pairs of hex
    /// digits as folders, so no folder holds more than 65 536 entries of the next level).
    pub fn path_of(&self, hash: &ContentHash) -> PathBuf {
        let hex = hash.to_hex();
        self.root.join(&hex[0..2]).join(&hex[2..4]).join(hex)
    }

    /// The folder of uploads being staged.
    pub fn staging_dir(&self) -> PathBuf {
        self.root.join(STAGING)
    }
}

#[async_trait]
impl DocumentStore for DiskDocumentStore {
    async fn stage(&self) -> Result<Box<dyn StagedUpload>, DocumentStoreError> {
        let path = self
            .staging_dir()
            .join(format!("upload-{}.part", uuid::Uuid::new_v4().simple()));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .await
            .map_err(|e| fault("cannot create a staged upload", &e))?;
        Ok(Box::new(DiskStagedUpload {
            file: Some(BufWriter::with_capacity(WRITE_BUFFER, file)),
            path,
            hasher: Sha256::new(),
            size_bytes: 0,
            store: self.clone(),
            finished: false,
        }))
    }

    async fn open(
        &self,
        hash: &ContentHash,
    ) -> Result<Option<(u64, ByteStream)>, DocumentStoreError> {
        let file = match File::open(self.path_of(hash)).await {
            Ok(file) => file,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(fault("cannot open a stored document", &e)),
        };
        let length = file
            .metadata()
            .await
            .map_err(|e| fault("cannot read a stored document's length", &e))?
            .len();
        Ok(Some((length, Box::new(file.compat()))))
    }
}

/// One upload being written to `{root}/staging/upload-….part`.
struct DiskStagedUpload {
    file: Option<BufWriter<File>>,
    path: PathBuf,
    hasher: Sha256,
    size_bytes: u64,
    store: DiskDocumentStore,
    /// Committed or discarded: nothing for `Drop` to remove.
    finished: bool,
}

impl DiskStagedUpload {
    /// Writes out what is buffered and makes it durable.
    async fn flush(&mut self) -> Result<(), DocumentStoreError> {
        if let Some(file) = self.file.as_mut() {
            file.flush()
                .await
                .map_err(|e| fault("cannot write a staged upload", &e))?;
            file.get_ref()
                .sync_all()
                .await
                .map_err(|e| fault("cannot write a staged upload", &e))?;
        }
        Ok(())
    }
}

/// Makes a rename into `dir` durable.
async fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir).await?.sync_all().await
}

#[async_trait]
impl StagedUpload for DiskStagedUpload {
    async fn write(&mut self, chunk: &[u8]) -> Result<(), DocumentStoreError> {
        let file = self.file.as_mut().ok_or_else(|| DocumentStoreError {
            reason: "a staged upload cannot be written after it was read".into(),
        })?;
        file.write_all(chunk)
            .await
            .map_err(|e| fault("cannot write a staged upload", &e))?;
        self.hasher.update(chunk);
        self.size_bytes += chunk.len() as u64;
        Ok(())
    }

    fn size_bytes(&self) -> u64 {
        self.size_bytes
    }

    async fn reader(&mut self) -> Result<ByteStream, DocumentStoreError> {
        self.flush().await?;
        self.file = None;
        let file = File::open(&self.path)
            .await
            .map_err(|e| fault("cannot read a staged upload back", &e))?;
        Ok(Box::new(file.compat()))
    }

    async fn commit(mut self: Box<Self>) -> Result<StoredBlob, DocumentStoreError> {
        self.flush().await?;
        self.file = None;
        let digest: [u8; 32] = std::mem::take(&mut self.hasher).finalize().into();
        let hash = ContentHash::from_digest(digest);
        let target = self.store.path_of(&hash);
        if tokio::fs::try_exists(&target)
            .await
            .map_err(|e| fault("cannot look for a stored document", &e))?
        {
            // Stored already: keep that copy, drop this one (`Drop` removes it).
            return Ok(StoredBlob {
                hash,
                size_bytes: self.size_bytes,
            });
        }
        let dir = target.parent().map(Path::to_path_buf).unwrap_or_default();
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| fault("cannot create a document folder", &e))?;
        tokio::fs::rename(&self.path, &target)
            .await
            .map_err(|e| fault("cannot move a staged upload into place", &e))?;
        self.finished = true;
        sync_dir(&dir)
            .await
            .map_err(|e| fault("cannot make a stored document durable", &e))?;
        Ok(StoredBlob {
            hash,
            size_bytes: self.size_bytes,
        })
    }

    async fn discard(mut self: Box<Self>) -> Result<(), DocumentStoreError> {
        self.file = None;
        self.finished = true;
        match tokio::fs::remove_file(&self.path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(fault("cannot remove a staged upload", &e)),
        }
    }
}

impl Drop for DiskStagedUpload {
    fn drop(&mut self) {
        if !self.finished {
            // A small unlink; the file handle (if any) closes with `self.file`.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// **For development and the demo only: finds nothing, ever.** Reads the file to its end, as a
/// scanner would, and answers [`ScanVerdict::Clean`]. The hub logs a warning at start-up when
/// it is in use; a real hub uses ClamAV (`[clamav]` in the configuration).
#[derive(Debug, Clone, Copy, Default)]
pub struct DevelopmentScanner;

#[async_trait]
impl VirusScanner for DevelopmentScanner {
    async fn scan(
        &self,
        content: &mut (dyn futures_io::AsyncRead + Send + Unpin),
    ) -> Result<ScanVerdict, ScanError> {
        let mut reader = content.compat();
        tokio::io::copy(&mut reader, &mut tokio::io::sink())
            .await
            .map_err(|e| ScanError {
                reason: format!("cannot read the file: {e}"),
            })?;
        Ok(ScanVerdict::Clean)
    }
}
