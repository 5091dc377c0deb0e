//! The documents phase of `ehc-load`: upload and download throughput through the hub (one at a
//! time, a big file, several at once) and the rate of the case's ZIP, on the signed-in session
//! of an LA officer (bench/web.sh with `WHO=officer`).
//!
//! Each upload is a generated MP4 (an `ftyp` box, so the hub's sniffing takes it as a video, then
//! pseudo-random bytes, different for every upload so the content-addressed store keeps each),
//! streamed to the hub from a generator: the harness never holds a whole file. Downloads are
//! streamed and counted, not kept.

use anyhow::{Context, Result, bail};
use futures_util::StreamExt;
use reqwest::multipart::{Form, Part};
use std::time::Instant;

use crate::between;

/// Bytes per generated chunk.
const CHUNK: usize = 256 * 1024;

/// A stream of `len` bytes of a fake MP4: the `ftyp` box, then bytes from a xorshift generator
/// seeded with `seed`.
fn fake_mp4(len: u64, seed: u64) -> impl futures_util::Stream<Item = std::io::Result<Vec<u8>>> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut sent = 0u64;
    futures_util::stream::poll_fn(move |_| {
        if sent >= len {
            return std::task::Poll::Ready(None);
        }
        let n = usize::try_from((len - sent).min(CHUNK as u64)).unwrap_or(CHUNK);
        let mut chunk = Vec::with_capacity(n);
        while chunk.len() < n {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            chunk.extend_from_slice(&state.to_le_bytes());
        }
        chunk.truncate(n);
        if sent == 0 {
            let head = b"\0\0\0\x18ftypisom\0\0\x02\0isomiso2";
            let k = head.len().min(chunk.len());
            chunk[..k].copy_from_slice(&head[..k]);
        }
        sent += n as u64;
        std::task::Poll::Ready(Some(Ok(chunk)))
    })
}

/// The first case on the signed-in person's tray.
pub(crate) async fn first_case(c: &reqwest::Client, base: &str) -> Result<String> {
    let tray = c.get(format!("{base}/cases")).send().await?.text().await?;
    tray.split("href=\"/cases/")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|id| id.len() == 36)
        .map(str::to_owned)
        .context("no case on the tray (sign in as the demo's LA officer: WHO=officer)")
}

/// Uploads one fake MP4 of `len` bytes to `case`; returns the seconds it took and the new
/// document's download address.
async fn upload(
    c: &reqwest::Client,
    base: &str,
    case: &str,
    len: u64,
    seed: u64,
) -> Result<(f64, String)> {
    let page = c
        .get(format!("{base}/cases/{case}/documents/new"))
        .send()
        .await?
        .text()
        .await?;
    let token = between(&page, "name=\"csrf_token\" value=\"", '"')
        .context("no upload form")?
        .to_owned();
    let before = c
        .get(format!("{base}/cases/{case}"))
        .send()
        .await?
        .text()
        .await?;
    let file = Part::stream_with_length(reqwest::Body::wrap_stream(fake_mp4(len, seed)), len)
        .file_name(format!("bench-{seed}.mp4"))
        .mime_str("video/mp4")?;
    let form = Form::new()
        .text("csrf_token", token)
        .text("title", format!("Benchmark video {seed}"))
        .text("kind", "video")
        .part("file", file);
    let started = Instant::now();
    let response = c
        .post(format!("{base}/cases/{case}/documents"))
        .multipart(form)
        .send()
        .await?;
    let took = started.elapsed().as_secs_f64();
    if !response.status().is_redirection() {
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        let summary = between(&body, "govuk-error-summary__list\">", '<').unwrap_or("");
        bail!("upload refused: {status} {summary}");
    }
    let after = c
        .get(format!("{base}/cases/{case}"))
        .send()
        .await?
        .text()
        .await?;
    let marker = format!("href=\"/cases/{case}/documents/");
    let link = after
        .match_indices(&marker)
        .map(|(i, _)| &after[i + 6..])
        .filter_map(|rest| rest.split('"').next())
        .find(|href| !before.contains(&format!("href=\"{href}\"")) && !href.ends_with("/new"))
        .context("the new document is not on the case page")?
        .to_owned();
    Ok((took, link))
}

/// Downloads `path`, counting bytes; returns (seconds, bytes).
async fn download(c: &reqwest::Client, base: &str, path: &str) -> Result<(f64, u64)> {
    let started = Instant::now();
    let response = c.get(format!("{base}{path}")).send().await?;
    if !response.status().is_success() {
        bail!("download refused: {}", response.status());
    }
    let mut bytes = 0u64;
    let mut body = response.bytes_stream();
    while let Some(chunk) = body.next().await {
        bytes += chunk?.len() as u64;
    }
    Ok((started.elapsed().as_secs_f64(), bytes))
}

/// What the documents phase uploads.
pub struct Sizes {
    /// Files uploaded (and downloaded) one after the other.
    pub count: u32,
    /// Size of each, in MiB.
    pub mb: u64,
    /// Then one file of this many MiB (0: none).
    pub big_mb: u64,
    /// Then this many files of `mb` MiB uploaded at the same time (0: none).
    pub concurrent: u32,
}

/// Uploads and downloads `count` files of `mb` MiB, then one of `big_mb` MiB, then
/// `concurrent` files at once, then downloads the case's ZIP (*Download all case
/// information*, every document of the case); prints `document_upload`, `document_download`
/// (MiB/s, median of the files), the big file's rates, the concurrent uploads' total rate and
/// the ZIP's size and rate.
pub async fn run(c: &reqwest::Client, base: &str, sizes: Sizes) -> Result<()> {
    let Sizes {
        count,
        mb,
        big_mb,
        concurrent,
    } = sizes;
    let case = first_case(c, base).await?;
    let mut up = Vec::new();
    let mut down = Vec::new();
    let len = mb * 1024 * 1024;
    for seed in 0..u64::from(count) {
        let (t, link) = upload(c, base, &case, len, seed + 1).await?;
        up.push(mb as f64 / t);
        let (t, bytes) = download(c, base, &link).await?;
        if bytes != len {
            bail!("downloaded {bytes} bytes of {len}");
        }
        down.push(mb as f64 / t);
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    println!(
        "document_upload {:.1} MiB/s ({count} files of {mb} MiB, median)",
        median(&mut up)
    );
    println!(
        "document_download {:.1} MiB/s ({count} files of {mb} MiB, median)",
        median(&mut down)
    );
    if big_mb > 0 {
        println!("big_upload_start");
        let big = big_mb * 1024 * 1024;
        let (t, link) = upload(c, base, &case, big, 1_000_000).await?;
        println!("big_upload_done");
        println!(
            "document_upload_big {:.1} MiB/s ({big_mb} MiB)",
            big_mb as f64 / t
        );
        let (t, bytes) = download(c, base, &link).await?;
        if bytes != big {
            bail!("downloaded {bytes} bytes of {big}");
        }
        println!(
            "document_download_big {:.1} MiB/s ({big_mb} MiB)",
            big_mb as f64 / t
        );
    }
    if concurrent > 0 {
        let started = Instant::now();
        let uploads =
            (0..u64::from(concurrent)).map(|n| upload(c, base, &case, len, 2_000_000 + n));
        for result in futures_util::future::join_all(uploads).await {
            result?;
        }
        let took = started.elapsed().as_secs_f64();
        println!(
            "document_upload_concurrent {:.1} MiB/s in all ({concurrent} files of {mb} MiB at once, {took:.1} s)",
            f64::from(concurrent) * mb as f64 / took
        );
    }
    let (t, bytes) = download(c, base, &format!("/cases/{case}/download")).await?;
    let zip_mib = bytes as f64 / (1024.0 * 1024.0);
    println!(
        "case_zip {zip_mib:.0} MiB in {t:.1} s, {:.1} MiB/s (every document of the case)",
        zip_mib / t
    );
    Ok(())
}
