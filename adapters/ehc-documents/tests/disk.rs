//! The local-disk document store: an upload is written in chunks and read back whole under the
//! SHA-256 of its content, identical content is stored once, and a discarded or dropped upload
//! leaves nothing behind; the development scanner finds nothing. The sweep's part: content is
//! listed by when it was last written (a commit of stored content and a refresh count), and
//! removed only if not written since; with the document service, content committed more than a
//! day ago that no document uses is removed and the rest kept.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ehc_core::document::scan::{ScanVerdict, VirusScanner};
use ehc_core::document::{ContentHash, DocumentStore};
use ehc_documents::{DevelopmentScanner, DiskDocumentStore};
use time::OffsetDateTime;
use tokio::io::AsyncReadExt;
use tokio_util::compat::FuturesAsyncReadCompatExt;

/// Every file under `dir`, recursively.
fn files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            found.extend(files(&path));
        } else {
            found.push(path);
        }
    }
    found.sort();
    found
}

async fn read_all(store: &DiskDocumentStore, hash: &ContentHash) -> Vec<u8> {
    let (length, stream) = store.open(hash).await.unwrap().expect("stored");
    let mut bytes = Vec::new();
    stream.compat().read_to_end(&mut bytes).await.unwrap();
    assert_eq!(length, bytes.len() as u64);
    bytes
}

/// 3 MiB of varied bytes, in chunks of 64 KiB and a few odd sizes.
fn content() -> Vec<u8> {
    (0..3 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect()
}

#[tokio::test]
async fn an_upload_written_in_chunks_is_stored_under_its_sha256_and_read_back_whole() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskDocumentStore::open(dir.path()).await.unwrap();
    let bytes = content();
    let mut staged = store.stage().await.unwrap();
    for chunk in bytes.chunks(65_536 + 7) {
        staged.write(chunk).await.unwrap();
    }
    assert_eq!(staged.size_bytes(), bytes.len() as u64);
    let blob = staged.commit().await.unwrap();

    // `sha256sum` of the same bytes, computed independently of the adapter.
    use sha2::Digest;
    let expected = ContentHash::from_digest(sha2::Sha256::digest(&bytes).into());
    assert_eq!(blob.hash, expected);
    assert_eq!(blob.size_bytes, bytes.len() as u64);
    let hex = expected.to_hex();
    let path = dir.path().join(&hex[..2]).join(&hex[2..4]).join(&hex);
    assert_eq!(
        files(dir.path()),
        vec![path],
        "one file, at ab/cd/<hash>, nothing staged"
    );
    assert_eq!(read_all(&store, &expected).await, bytes);
}

#[tokio::test]
async fn the_sha256_of_abc_is_the_fips_180_example() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskDocumentStore::open(dir.path()).await.unwrap();
    let mut staged = store.stage().await.unwrap();
    staged.write(b"a").await.unwrap();
    staged.write(b"bc").await.unwrap();
    let blob = staged.commit().await.unwrap();
    assert_eq!(
        blob.hash.to_hex(),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}

#[tokio::test]
async fn identical_content_uploaded_twice_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskDocumentStore::open(dir.path()).await.unwrap();
    let mut hashes = Vec::new();
    for _ in 0..2 {
        let mut staged = store.stage().await.unwrap();
        staged.write(b"the same report").await.unwrap();
        hashes.push(staged.commit().await.unwrap().hash);
    }
    assert_eq!(hashes[0], hashes[1]);
    assert_eq!(files(dir.path()).len(), 1);
    assert_eq!(read_all(&store, &hashes[0]).await, b"the same report");
}

#[tokio::test]
async fn a_discarded_or_dropped_upload_leaves_nothing_and_is_never_found() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskDocumentStore::open(dir.path()).await.unwrap();
    let mut discarded = store.stage().await.unwrap();
    discarded.write(b"an infected file").await.unwrap();
    let mut scanned = Vec::new();
    discarded
        .reader()
        .await
        .unwrap()
        .compat()
        .read_to_end(&mut scanned)
        .await
        .unwrap();
    assert_eq!(
        scanned, b"an infected file",
        "the scanner reads the staged bytes"
    );
    assert_eq!(files(dir.path()).len(), 1, "staged while it is scanned");
    discarded.discard().await.unwrap();

    let mut dropped = store.stage().await.unwrap();
    dropped.write(b"a request that broke off").await.unwrap();
    drop(dropped);

    assert!(files(dir.path()).is_empty(), "{:?}", files(dir.path()));
    use sha2::Digest;
    let never = ContentHash::from_digest(sha2::Sha256::digest(b"an infected file").into());
    assert!(store.open(&never).await.unwrap().is_none());
}

#[tokio::test]
async fn the_development_scanner_reads_everything_and_finds_nothing() {
    let eicar = br"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
    let mut content = futures_io_cursor(eicar);
    assert_eq!(
        DevelopmentScanner.scan(&mut content).await.unwrap(),
        ScanVerdict::Clean
    );
}

/// A futures-io reader over bytes (through tokio's compat layer, as the store's streams are).
fn futures_io_cursor(bytes: &'static [u8]) -> impl futures_io::AsyncRead + Send + Unpin {
    use tokio_util::compat::TokioAsyncReadCompatExt;
    std::io::Cursor::new(bytes).compat()
}

#[tokio::test]
async fn a_staged_file_left_for_more_than_a_day_is_removed_and_a_fresh_one_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskDocumentStore::open(dir.path()).await.unwrap();
    let left = store.staging_dir().join("upload-left-by-a-crash.part");
    std::fs::write(&left, b"half an upload").unwrap();
    let written = std::fs::metadata(&left).unwrap().modified().unwrap();
    let hours = |h: u64| std::time::Duration::from_secs(h * 3600);

    assert_eq!(
        store.remove_abandoned(written + hours(23)).await.unwrap(),
        0
    );
    assert!(
        left.exists(),
        "less than a day old: perhaps still being written"
    );
    assert_eq!(
        store.remove_abandoned(written + hours(25)).await.unwrap(),
        1
    );
    assert!(!left.exists());
}

/// Commits `bytes`: their hash.
async fn commit(store: &DiskDocumentStore, bytes: &[u8]) -> ContentHash {
    let mut staged = store.stage().await.unwrap();
    staged.write(bytes).await.unwrap();
    staged.commit().await.unwrap().hash
}

/// When the file under `hash` was last written.
fn written(store: &DiskDocumentStore, hash: &ContentHash) -> OffsetDateTime {
    std::fs::metadata(store.path_of(hash))
        .unwrap()
        .modified()
        .unwrap()
        .into()
}

#[tokio::test]
async fn content_is_listed_by_when_it_was_last_written_and_a_commit_of_stored_content_writes_it_again()
 {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskDocumentStore::open(dir.path()).await.unwrap();
    let report = commit(&store, b"a report").await;
    let committed = written(&store, &report);
    let day = time::Duration::DAY;
    // Written a week ago, as far as the store can tell.
    assert!(store.refresh(&report, committed - 7 * day).await.unwrap());
    assert_eq!(
        store.written_before(committed - day).await.unwrap(),
        vec![report]
    );
    assert!(
        store
            .written_before(committed - 8 * day)
            .await
            .unwrap()
            .is_empty()
    );
    // The same content committed again counts as written now.
    assert_eq!(commit(&store, b"a report").await, report);
    assert!(written(&store, &report) >= committed);
    assert!(
        store
            .written_before(committed - day)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(files(dir.path()).len(), 1, "still stored once");
    // Nothing under a hash never committed: not refreshed.
    let never = ContentHash::from_digest([9; 32]);
    assert!(!store.refresh(&never, committed).await.unwrap());
}

#[tokio::test]
async fn content_is_removed_only_if_not_written_since_the_cutoff() {
    let dir = tempfile::tempdir().unwrap();
    let store = DiskDocumentStore::open(dir.path()).await.unwrap();
    let old = commit(&store, b"an old report").await;
    let fresh = commit(&store, b"a fresh report").await;
    let now = written(&store, &fresh);
    let cutoff = now - time::Duration::DAY;
    assert!(
        store
            .refresh(&old, cutoff - time::Duration::HOUR)
            .await
            .unwrap()
    );
    assert_eq!(store.written_before(cutoff).await.unwrap(), vec![old]);
    // Written again after it was listed (a commit of the same content): kept, in place.
    assert!(!store.remove_written_before(&fresh, cutoff).await.unwrap());
    assert_eq!(read_all(&store, &fresh).await, b"a fresh report");
    assert!(store.remove_written_before(&old, cutoff).await.unwrap());
    assert!(store.open(&old).await.unwrap().is_none());
    assert!(
        !store.remove_written_before(&old, cutoff).await.unwrap(),
        "gone"
    );
    assert!(
        !store.refresh(&old, now).await.unwrap(),
        "gone: not refreshed"
    );
    assert_eq!(
        files(dir.path()),
        vec![store.path_of(&fresh)],
        "nothing left aside in staging"
    );
}

#[tokio::test]
async fn the_sweep_removes_content_no_document_uses_committed_more_than_a_day_ago() {
    use ehc_core::account::{Account, AccountId, EmailAddress};
    use ehc_core::case::timeline::Visibility;
    use ehc_core::case::{Case, CaseId, Child, LaReference, ReceivedBy};
    use ehc_core::document::{
        ContentType, Document, DocumentId, DocumentKind, DocumentService, SizeLimits, SweepOptions,
        SweepReport,
    };
    use ehc_core::password::PasswordHash;
    use ehc_core::ports::Store;
    use ehc_core::system::OsSecretSource;
    use ehc_core::test_support::InMemoryStore;
    use uuid::Uuid;

    let dir = tempfile::tempdir().unwrap();
    let blobs = DiskDocumentStore::open(dir.path()).await.unwrap();
    let recorded = commit(&blobs, b"a recorded report").await;
    let orphan = commit(&blobs, b"a request never sent").await;
    let waiting = commit(&blobs, b"a request being filled in").await;
    let now = written(&blobs, &waiting) + time::Duration::hours(25);
    // Added to a request an hour ago, and not yet sent.
    assert!(
        blobs
            .refresh(&waiting, now - time::Duration::HOUR)
            .await
            .unwrap()
    );

    let store = InMemoryStore::new();
    let account = Account {
        id: AccountId(Uuid::from_u128(1)),
        email: EmailAddress::parse("pat@example.com").unwrap(),
        password_hash: PasswordHash::from_phc("$argon2id$unused"),
        created_at: now,
    };
    let case = Case::received(
        CaseId(Uuid::from_u128(2)),
        LaReference::parse("EHC-1").unwrap(),
        Child {
            given_name: "Amara".into(),
            family_name: "Okafor".into(),
            date_of_birth: time::macros::date!(2015 - 03 - 27),
        },
        time::macros::date!(2026 - 10 - 05),
        ReceivedBy::Post,
        now,
    );
    let mut tx = store.begin().await.unwrap();
    tx.accounts().insert(&account).await.unwrap();
    tx.cases().insert(&case).await.unwrap();
    tx.documents()
        .insert(&Document {
            id: DocumentId(Uuid::from_u128(3)),
            case: case.id,
            hash: recorded,
            file_name: "report.pdf".into(),
            content_type: ContentType::Pdf,
            size_bytes: 17,
            title: "Report".into(),
            kind: DocumentKind::Report,
            uploaded_by: account.id,
            uploaded_at: now,
            visible_to: Visibility::PARTICIPANTS,
        })
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let documents = DocumentService::new(store, OsSecretSource, SizeLimits::default());
    assert_eq!(
        documents
            .sweep_orphans(&blobs, now, SweepOptions::default())
            .await
            .unwrap(),
        SweepReport {
            removed: 1,
            kept: 1
        }
    );
    assert!(blobs.open(&orphan).await.unwrap().is_none(), "removed");
    assert_eq!(read_all(&blobs, &recorded).await, b"a recorded report");
    assert_eq!(
        read_all(&blobs, &waiting).await,
        b"a request being filled in"
    );
    // A second sweep finds nothing more to do.
    assert_eq!(
        documents
            .sweep_orphans(&blobs, now, SweepOptions::default())
            .await
            .unwrap(),
        SweepReport {
            removed: 0,
            kept: 1
        }
    );
}

#[tokio::test]
async fn a_sweep_that_would_remove_most_old_files_removes_nothing_unless_forced() {
    use ehc_core::document::{
        DocumentService, SWEEP_GUARD_FILES, SizeLimits, SweepError, SweepOptions, SweepReport,
    };
    use ehc_core::system::OsSecretSource;
    use ehc_core::test_support::InMemoryStore;

    // Every file of a folder whose database is empty (or another hub's) looks unused.
    let dir = tempfile::tempdir().unwrap();
    let blobs = DiskDocumentStore::open(dir.path()).await.unwrap();
    let mut hashes = Vec::new();
    for n in 0..=SWEEP_GUARD_FILES {
        hashes.push(commit(&blobs, format!("document {n}").as_bytes()).await);
    }
    let now = hashes.iter().map(|h| written(&blobs, h)).max().unwrap() + time::Duration::days(2);
    let documents =
        DocumentService::new(InMemoryStore::new(), OsSecretSource, SizeLimits::default());
    let old = SWEEP_GUARD_FILES + 1;
    assert_eq!(
        documents
            .sweep_orphans(&blobs, now, SweepOptions::default())
            .await,
        Err(SweepError::Implausible { unused: old, old })
    );
    let dry_run = SweepOptions {
        dry_run: true,
        force: true,
    };
    assert_eq!(
        documents.sweep_orphans(&blobs, now, dry_run).await,
        Ok(SweepReport {
            removed: old,
            kept: 0
        })
    );
    for hash in &hashes {
        assert!(blobs.open(hash).await.unwrap().is_some(), "nothing removed");
    }
    let force = SweepOptions {
        dry_run: false,
        force: true,
    };
    assert_eq!(
        documents.sweep_orphans(&blobs, now, force).await,
        Ok(SweepReport {
            removed: old,
            kept: 0
        })
    );
    assert!(blobs.open(&hashes[0]).await.unwrap().is_none());
}
