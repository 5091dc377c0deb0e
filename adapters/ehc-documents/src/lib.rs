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
//!   by [`DiskDocumentStore::remove_abandoned`] (the hub calls it at start-up). A file's
//!   modification time is when it was last written: a commit of content already stored
//!   renames the new copy over it, and [`DocumentStore::refresh`] sets it, so the sweep of
//!   content no document uses (`DocumentService::sweep_orphans`) keeps content about to be
//!   recorded. The sweep first renames a file out of its place, then looks at its time: a
//!   commit of the same content at that moment either refreshed it (the sweep puts it back) or
//!   finds it gone and stores its own copy.
//! - [`DevelopmentScanner`] implements [`VirusScanner`] for the demo and development only: it
//!   reads the file and **finds nothing, ever**. Production uses ClamAV's adapter.
//!
//! Another store (S3 or any object store) implements the same two traits: docs/documents.md.

use async_trait::async_trait;
use sha2::{Digest, Sha256};
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};
use time::OffsetDateTime;
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

/// The folders directly under `dir`, or its files (`folders: false`).
async fn entries(dir: &Path, folders: bool) -> std::io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut listing = tokio::fs::read_dir(dir).await?;
    while let Some(entry) = listing.next_entry().await? {
        if entry.file_type().await?.is_dir() == folders {
            found.push(entry.path());
        }
    }
    Ok(found)
}

/// When the file at `path` was last written.
async fn modified(path: &Path) -> std::io::Result<SystemTime> {
    tokio::fs::metadata(path).await?.modified()
}

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

    async fn refresh(
        &self,
        hash: &ContentHash,
        now: OffsetDateTime,
    ) -> Result<bool, DocumentStoreError> {
        let path = self.path_of(hash);
        let written = SystemTime::from(now);
        let refreshed = tokio::task::spawn_blocking(move || {
            let file = match std::fs::File::options().write(true).open(&path) {
                Ok(file) => file,
                Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
                Err(e) => return Err(e),
            };
            file.set_modified(written)?;
            // Still the file under the hash (not renamed away by a sweep meanwhile).
            match std::fs::metadata(&path) {
                Ok(now_there) => Ok(same_file(&file.metadata()?, &now_there)),
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
                Err(e) => Err(e),
            }
        })
        .await
        .map_err(|e| DocumentStoreError {
            reason: format!("cannot refresh a stored document: {e}"),
        })?;
        refreshed.map_err(|e| fault("cannot refresh a stored document", &e))
    }

    async fn written_before(
        &self,
        cutoff: OffsetDateTime,
    ) -> Result<Vec<ContentHash>, DocumentStoreError> {
        let cutoff = SystemTime::from(cutoff);
        let listing = |e| fault("cannot list the stored documents", &e);
        let mut found = Vec::new();
        for first in entries(&self.root, true).await.map_err(listing)? {
            for second in entries(&first, true).await.map_err(listing)? {
                for file in entries(&second, false).await.map_err(listing)? {
                    let Some(hash) = file
                        .file_name()
                        .and_then(|n| n.to_str())
                        .and_then(|n| ContentHash::parse(n).ok())
                        .filter(|h| self.path_of(h) == file)
                    else {
                        continue;
                    };
                    match modified(&file).await {
                        Ok(at) if at < cutoff => found.push(hash),
                        Ok(_) => {}
                        // Removed since the listing.
                        Err(e) if e.kind() == ErrorKind::NotFound => {}
                        Err(e) => return Err(listing(e)),
                    }
                }
            }
        }
        Ok(found)
    }

    async fn remove_written_before(
        &self,
        hash: &ContentHash,
        cutoff: OffsetDateTime,
    ) -> Result<bool, DocumentStoreError> {
        let path = self.path_of(hash);
        let aside = self
            .staging_dir()
            .join(format!("sweep-{}.old", uuid::Uuid::new_v4().simple()));
        match tokio::fs::rename(&path, &aside).await {
            Ok(()) => {}
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(fault("cannot move a stored document aside", &e)),
        }
        let written = modified(&aside)
            .await
            .map_err(|e| fault("cannot read a stored document's time", &e))?;
        if written >= SystemTime::from(cutoff) {
            // Written again just now: back in place (over any new copy, the same bytes).
            tokio::fs::rename(&aside, &path)
                .await
                .map_err(|e| fault("cannot put a stored document back", &e))?;
            return Ok(false);
        }
        tokio::fs::remove_file(&aside)
            .await
            .map_err(|e| fault("cannot remove a stored document", &e))?;
        tracing::info!(%hash, "removed a document file no document uses");
        Ok(true)
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

/// Whether two metadata are of the same file.
#[cfg(unix)]
fn same_file(a: &std::fs::Metadata, b: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    (a.dev(), a.ino()) == (b.dev(), b.ino())
}

/// Whether two metadata are of the same file (without inode numbers: assumed).
#[cfg(not(unix))]
fn same_file(_: &std::fs::Metadata, _: &std::fs::Metadata) -> bool {
    true
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
        // Content stored already is replaced by this identical copy: one file, written now.
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
