//! The local-disk document store: an upload is written in chunks and read back whole under the
//! SHA-256 of its content, identical content is stored once, and a discarded or dropped upload
//! leaves nothing behind; the development scanner finds nothing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ehc_core::document::scan::{ScanVerdict, VirusScanner};
use ehc_core::document::{ContentHash, DocumentStore};
use ehc_documents::{DevelopmentScanner, DiskDocumentStore};
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
