//! *Download all case information*: `GET /cases/{id}/download` answers a ZIP file holding
//! `summary.html`, a printable, self-contained page (inline CSS, no script, no link to the
//! hub's assets) with what the case page shows THAT person — the child's details as far as they
//! may see them, the tracker with its statutory dates and statuses, what happened, the people
//! involved, the timeline — and, with the documents feature, the documents they may see
//! (`documents/…`, added through [`CaseFile`]).
//!
//! What is shown is decided once, by the case service ([`ehc_core::case::CaseService::download`])
//! and the case page's own content ([`super::case_page::page`]), so the download never shows
//! more than the page. Every download is audited (`case-downloaded`); a case the person may
//! not see is the same 404 as a case that does not exist.
//!
//! The ZIP is written to an anonymous temporary file (removed when closed) off the async
//! threads and streamed from it, so a big case is never held in memory.

use askama::Template;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use std::io::{Read, Seek, SeekFrom, Write};
use zip::write::SimpleFileOptions;

use crate::AppState;
use crate::client::Origin;
use crate::pages::{PageError, PageResult};
use crate::session::HubSession;
use crate::times::london;

use super::case_page::{CasePage, page};

/// The routes of this module.
pub(super) fn routes() -> Router<AppState> {
    Router::new().route("/cases/{id}/download", get(download))
}

/// One file of the download beside `summary.html`: its name inside the ZIP's `documents/`
/// folder and its content, read once while the ZIP is written (off the async threads). The
/// documents feature passes the documents the person may see; none until then.
pub(crate) struct CaseFile {
    /// The file's name in the ZIP, e.g. `advice-educational-psychologist.pdf` (no folders).
    pub(crate) name: String,
    /// Its bytes.
    pub(crate) content: Box<dyn Read + Send>,
}

/// `summary.html`: the case as the downloader may see it, printable on its own.
#[derive(Template)]
#[template(path = "case_summary.html")]
struct Summary {
    case: CasePage,
    la_name: String,
    downloaded: String,
    documents: Vec<String>,
    /// The family's spaces, for the case's participants: (title, the texts in order).
    views: Vec<(&'static str, Vec<String>)>,
    /// The family's comments on each version of the plan, for the participants: (version in
    /// words, "Section: comment" lines).
    comments: Vec<(String, Vec<String>)>,
}

/// The family's words for the summary: their spaces, then their comments on the plan.
type FamilyWords = (Vec<(&'static str, Vec<String>)>, Vec<(String, Vec<String>)>);

/// What the family said that the summary shows the case's participants: their spaces'
/// texts and their comments on the plan (nothing for a contributor).
fn family_words(case: &ehc_core::case::Case, participant: bool) -> FamilyWords {
    use ehc_core::case::views::{ViewContent, ViewSpace};
    if !participant {
        return (Vec::new(), Vec::new());
    }
    let views = ViewSpace::ALL
        .into_iter()
        .map(|space| {
            let texts = case
                .views
                .shown(space)
                .map(|i| match &i.content {
                    ViewContent::Text { text } => text.clone(),
                    ViewContent::Document { title, .. } => {
                        format!("{title} (a document of the case: in the documents folder)")
                    }
                })
                .collect();
            (space.title(), texts)
        })
        .collect();
    let comments =
        case.plans
            .iter()
            .filter_map(|v| {
                let c = v.consultation.as_ref()?;
                let lines: Vec<String> =
                    c.comments
                        .iter()
                        .map(|c| format!("{} {}: {}", c.section.letter(), c.section.name(), c.text))
                        .chain(c.placement_requests.iter().map(|p| {
                            format!("Asked for {} to be named: {}", p.institution, p.reasons)
                        }))
                        .collect();
                (!lines.is_empty()).then(|| {
                    (
                        format!("Version {} ({})", v.number, v.kind.describe()),
                        lines,
                    )
                })
            })
            .collect();
    (views, comments)
}

async fn download(
    State(app): State<AppState>,
    Origin(origin): Origin,
    session: tower_sessions::Session,
    Path(raw): Path<String>,
) -> PageResult {
    let session = HubSession(session);
    let account = match super::signed_in(&app, &session).await? {
        Ok(a) => a,
        Err(redirect) => return Ok(redirect),
    };
    let Some(id) = super::case_id(&raw) else {
        return crate::pages::not_found(State(app)).await;
    };
    let now = app.now();
    let view = match app.cases().download(account, id, now, origin).await {
        Ok(view) => view,
        Err(e) => return super::refused(&app, e).await,
    };
    let (views, comments) = family_words(&view.case, view.access.is_participant());
    let case = page(
        &app,
        &session,
        account,
        view,
        Vec::new(),
        String::new(),
        String::new(),
    )
    .await?;
    let file_name = format!("case-{}.zip", file_name_part(&case.la_reference));
    // Every document this person may see, each audited as a download.
    let files = super::documents::all_for_zip(&app, account, id, origin).await?;
    let summary = Summary {
        la_name: app.inner.settings.la_name.clone(),
        downloaded: london(now),
        documents: files.iter().map(|f| f.name.clone()).collect(),
        views,
        comments,
        case,
    }
    .render()
    .map_err(|e| PageError::Internal(format!("the case summary: {e}")))?;
    let zip = tokio::task::spawn_blocking(move || write_zip(&summary, files))
        .await
        .map_err(|e| PageError::Internal(format!("writing the ZIP: {e}")))?
        .map_err(|e| PageError::Internal(format!("writing the ZIP: {e}")))?;
    let length = zip
        .metadata()
        .map_err(|e| PageError::Internal(format!("the ZIP's size: {e}")))?
        .len();
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(
        tokio::fs::File::from_std(zip),
    ));
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/zip")
        .header(
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{file_name}\""),
        )
        .header(header::CONTENT_LENGTH, length)
        .body(body)
        .map_err(|e| PageError::Internal(format!("the download response: {e}")))
}

/// Writes the ZIP (`summary.html`, then each of `files` under `documents/`, deflated) to an
/// anonymous temporary file, returned rewound to its start.
///
/// # Errors
/// I/O and ZIP faults: the temporary folder is full or unwritable, a file cannot be read, two
/// files have the same name.
fn write_zip(summary: &str, files: Vec<CaseFile>) -> Result<std::fs::File, zip::result::ZipError> {
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    let mut zip = zip::ZipWriter::new(tempfile::tempfile()?);
    zip.start_file("summary.html", options)?;
    zip.write_all(summary.as_bytes())?;
    for mut file in files {
        zip.start_file(format!("documents/{}", file_name_part(&file.name)), options)?;
        std::io::copy(&mut file.content, &mut zip)?;
    }
    let mut out = zip.finish()?;
    out.seek(SeekFrom::Start(0))?;
    Ok(out)
}

/// `text` with every character other than ASCII letters, digits, `.`, `-` and `_` replaced by
/// `-`, so it is safe as a file name (in the ZIP and in `Content-Disposition`).
fn file_name_part(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '-'
            }
        })
        .collect::<String>()
        .trim_start_matches('.')
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_keep_only_safe_characters() {
        assert_eq!(file_name_part("EHC/2026/001"), "EHC-2026-001");
        assert_eq!(file_name_part("../../etc/passwd"), "-..-etc-passwd");
        assert_eq!(file_name_part("Advice \"final\".pdf"), "Advice--final-.pdf");
    }
}
