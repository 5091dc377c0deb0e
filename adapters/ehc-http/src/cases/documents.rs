//! Documents on a case: the *Documents* section of the case page, the upload page, the upload
//! itself and the download.
//!
//! An upload is received as [`super::upload`] says (streamed, sniffed, size-limited, scanned),
//! then recorded on the case with its receipt on the timeline. A refused upload is discarded —
//! nothing is stored — and the form says why, GOV.UK-style.
//!
//! A download is audited, then streamed from the store; images and PDFs are shown in the
//! browser, everything else is sent as an attachment.

use askama::Template;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tokio_util::compat::FuturesAsyncReadCompatExt;
use tokio_util::io::ReaderStream;

use ehc_core::account::AccountId;
use ehc_core::case::CaseId;
use ehc_core::document::{
    Document, DocumentError, DocumentId, DocumentKind, SizeLimits, size_in_words,
};

use super::upload::{ACCEPT, field_error, store_fault};
use crate::AppState;
use crate::client::Origin;
use crate::pages::{FieldError, Layout, PageError, PageResult, messages_for, see_other};
use crate::session::HubSession;
use crate::times::{london, london_today};
use ehc_core::case::Attachment;
use ehc_core::case::views::ViewSpace;
use ehc_core::role::CaseAccess;

/// The upload page and the download.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/cases/{id}/documents/new", get(upload_page))
        .route("/cases/{id}/documents/{document}", get(download))
}

/// The upload itself: merged outside the hub's small body limit, with its own.
pub(crate) fn upload_routes(limits: &SizeLimits) -> Router<AppState> {
    Router::new()
        .route("/cases/{id}/documents", post(upload))
        .layer(super::upload::body_limit(limits))
}

impl AppState {
    pub(super) fn documents(
        &self,
    ) -> &ehc_core::document::DocumentService<crate::DynStore, crate::DynSecrets> {
        &self.inner.documents
    }
}

// ---- the section of the case page ----------------------------------------------------------

/// One document of the case page's *Documents* section (or of a list of attached documents).
#[derive(Clone)]
pub(crate) struct DocumentRow {
    pub(super) id: String,
    pub(super) href: String,
    pub(super) title: String,
    pub(super) kind: &'static str,
    pub(super) about: String,
    pub(super) uploaded: String,
}

/// The documents `viewer` may see on the case, newest first, for the case page.
pub(crate) async fn section(
    app: &AppState,
    viewer: AccountId,
    case: CaseId,
) -> Result<Vec<DocumentRow>, PageError> {
    Ok(visible(app, viewer, case)
        .await?
        .iter()
        .map(|d| row(case, d))
        .collect())
}

/// Those of `ids` (attached to something on the case) that `viewer` may see, in the order of
/// `ids`.
pub(crate) async fn attached(
    app: &AppState,
    viewer: AccountId,
    case: CaseId,
    ids: &[DocumentId],
) -> Result<Vec<DocumentRow>, PageError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let documents = visible(app, viewer, case).await?;
    Ok(ids
        .iter()
        .filter_map(|id| documents.iter().find(|d| d.id == *id))
        .map(|d| row(case, d))
        .collect())
}

async fn visible(
    app: &AppState,
    viewer: AccountId,
    case: CaseId,
) -> Result<Vec<Document>, PageError> {
    match app.documents().list(viewer, case, app.now()).await {
        Ok(documents) => Ok(documents),
        Err(DocumentError::NotFound) => Ok(Vec::new()),
        Err(e) => Err(fault(e)),
    }
}

fn row(case: CaseId, d: &Document) -> DocumentRow {
    DocumentRow {
        id: d.id.to_string(),
        href: format!("/cases/{case}/documents/{}", d.id),
        title: d.title.clone(),
        kind: d.kind.describe(),
        about: format!(
            "{}, {} ({})",
            d.content_type.describe(),
            size_in_words(d.size_bytes),
            d.file_name
        ),
        uploaded: london(d.uploaded_at),
    }
}

/// A refusal that is not a form error: a missing case is the 404 page, faults the plain pages.
fn fault(e: DocumentError) -> PageError {
    match e {
        DocumentError::Store(s) => s.into(),
        other => PageError::Internal(other.to_string()),
    }
}

// ---- the upload page -------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "document_upload.html")]
pub(crate) struct UploadPage {
    layout: Layout,
    errors: Vec<FieldError>,
    title: String,
    kind: String,
    kinds: Vec<(&'static str, &'static str)>,
    limits: String,
    accept: &'static str,
    /// The form's address (with `?for=` when the upload is attached somewhere).
    action: String,
    /// Where *Back* goes, and its words.
    back: (String, &'static str),
    heading: &'static str,
    /// Who will see the upload, in words.
    audience: &'static str,
}

impl UploadPage {
    fn error_for(&self, field: &str) -> Option<Vec<String>> {
        messages_for(&self.errors, field)
    }
}

async fn upload_form(
    app: &AppState,
    session: &HubSession,
    case: CaseId,
    (title, kind): (String, String),
    errors: Vec<FieldError>,
    (attach, access): (Option<Attachment>, CaseAccess),
) -> PageResult {
    let limits = app.documents().limits();
    let heading = heading(attach);
    let page = UploadPage {
        layout: app.layout(session, heading, true).await?,
        errors,
        title,
        kind,
        kinds: kinds(attach)
            .iter()
            .map(|k| (k.as_str(), k.describe()))
            .collect(),
        limits: format!(
            "PDF and Word documents up to {}, photos and scans (JPG, PNG or HEIC) up to {}, sound recordings (MP3, M4A or WAV) up to {}, videos (MP4 or MOV) up to {}.",
            size_in_words(limits.document_bytes),
            size_in_words(limits.image_bytes),
            size_in_words(limits.audio_bytes),
            size_in_words(limits.video_bytes)
        ),
        accept: ACCEPT,
        action: match attach {
            Some(a) => format!("/cases/{case}/documents?for={}", a.as_field()),
            None => format!("/cases/{case}/documents"),
        },
        back: match attach {
            None => (format!("/cases/{case}#documents"), "Back to the case"),
            Some(a) => (return_to(case, a), "Back"),
        },
        heading,
        audience: audience(attach, &access),
    };
    super::form_response(&page, !page.errors.is_empty())
}

/// The kinds of document the form offers.
fn kinds(attach: Option<Attachment>) -> &'static [DocumentKind] {
    attach.map_or(&DocumentKind::ALL, Attachment::kinds)
}

/// The upload page's heading.
fn heading(attach: Option<Attachment>) -> &'static str {
    match attach {
        None => "Upload a document",
        Some(Attachment::Space(ViewSpace::AboutMe)) => {
            "Add a photo, video, recording or scan to About Me"
        }
        Some(Attachment::Space(ViewSpace::ParentCarer)) => {
            "Add a photo, video, recording or scan to your views"
        }
        Some(Attachment::Advice(_)) => "Attach a document to your advice",
        Some(Attachment::MeetingViews(_)) => "Give your views for the meeting as a file",
        Some(Attachment::MeetingReport(_)) => "Add a file of the meeting's report",
    }
}

/// Who will see the upload, in words, for the person uploading.
fn audience(attach: Option<Attachment>, access: &CaseAccess) -> &'static str {
    match attach {
        Some(Attachment::Advice(_)) => {
            "The local authority can see what you attach straight away. The family will see it with your advice once you submit it. The upload is shown on the case timeline as your receipt."
        }
        Some(Attachment::MeetingViews(_)) => {
            "The local authority, the family and the education settings on the case can see your views with the meeting's other views. The upload is shown on the case timeline as your receipt."
        }
        Some(Attachment::MeetingReport(_)) => {
            "The local authority, the family, the education settings on the case and the professionals invited to the meeting can see the report's files. The upload is shown on the case timeline as your receipt."
        }
        _ if !access.is_participant() => {
            "Only the local authority can see what you upload here. The upload is shown on the case timeline as your receipt."
        }
        _ => {
            "Everyone who can see the case can see what you upload, and the local authority can see who uploaded it and when. The upload is shown on the case timeline as your receipt."
        }
    }
}

/// The page an attached upload returns to.
fn return_to(case: CaseId, attach: Attachment) -> String {
    match attach {
        Attachment::Space(space) => format!("/cases/{case}/views/{}", space.as_str()),
        Attachment::Advice(number) => format!("/cases/{case}/advice/{}", number.0),
        Attachment::MeetingViews(number) | Attachment::MeetingReport(number) => {
            format!("/cases/{case}/meetings/{}", number.0)
        }
    }
}

/// `?for=about-me`, `?for=advice-3`, … ([`Attachment::as_field`]): where the upload is
/// attached besides the case's documents. Read from the address, so it is known before the
/// file is: `Ok(None)` for none, `Err(())` for a `for` that names nothing (the 404 page). A
/// repeated `for` counts by its first value, as form fields do.
fn attachment(query: Option<&str>) -> Result<Option<Attachment>, ()> {
    let field = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(name, _)| name == "for")
        .map(|(_, value)| value);
    match field.as_deref() {
        None | Some("") => Ok(None),
        Some(field) => Attachment::parse(field).map(Some).ok_or(()),
    }
}

/// The answer to a person who may not upload there: the 404 page for a case they may not see,
/// the reason for an attachment they may not make, the plain pages for faults.
async fn refused(
    app: AppState,
    case: CaseId,
    attach: Option<Attachment>,
    e: DocumentError,
) -> PageResult {
    match e {
        DocumentError::NotFound => crate::pages::not_found(State(app)).await,
        DocumentError::NotAttachable(reason) => {
            let back = attach.map_or_else(|| format!("/cases/{case}"), |a| return_to(case, a));
            app.message(
                StatusCode::FORBIDDEN,
                "You cannot add a file here",
                &[reason.as_str(), "Nothing was uploaded."],
                Some((back.as_str(), "Go back")),
            )
            .await
        }
        other => Err(fault(other)),
    }
}

pub(crate) async fn upload_page(
    State(app): State<AppState>,
    session: tower_sessions::Session,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
) -> PageResult {
    let session = HubSession(session);
    let account = match super::signed_in(&app, &session).await? {
        Ok(a) => a,
        Err(redirect) => return Ok(redirect),
    };
    let (Some(id), Ok(attach)) = (super::case_id(&raw), attachment(query.as_deref())) else {
        return crate::pages::not_found(State(app)).await;
    };
    let now = app.now();
    match app
        .documents()
        .may_upload(account, id, attach, now, london_today(now))
        .await
    {
        Ok(access) => {
            let to = (attach, access);
            upload_form(&app, &session, id, Default::default(), Vec::new(), to).await
        }
        Err(e) => refused(app, id, attach, e).await,
    }
}

// ---- the upload ------------------------------------------------------------------------------

pub(crate) async fn upload(
    State(app): State<AppState>,
    Origin(origin): Origin,
    Path(raw): Path<String>,
    RawQuery(query): RawQuery,
    request: Request,
) -> PageResult {
    let Some(session) = request
        .extensions()
        .get::<tower_sessions::Session>()
        .cloned()
    else {
        return Err(PageError::Internal("no session layer".to_owned()));
    };
    let session = HubSession(session);
    let account = match super::signed_in(&app, &session).await? {
        Ok(a) => a,
        Err(redirect) => return Ok(redirect),
    };
    let (Some(id), Ok(attach)) = (super::case_id(&raw), attachment(query.as_deref())) else {
        super::upload::drain_body(&app, request).await;
        return crate::pages::not_found(State(app)).await;
    };
    let today = london_today(app.now());
    let access = match app
        .documents()
        .may_upload(account, id, attach, app.now(), today)
        .await
    {
        Ok(access) => access,
        Err(e) => {
            // Read (and drop) what the browser is sending, so it shows the answer instead of
            // a broken connection.
            super::upload::drain_body(&app, request).await;
            return refused(app, id, attach, e).await;
        }
    };
    let to = (attach, access);
    let form = match super::upload::read(&app, &session, request).await? {
        Ok(form) => form,
        Err(refused) => return Ok(refused),
    };
    if !form.complete {
        let errors = form.file.err().iter().map(field_error).collect();
        return upload_form(&app, &session, id, Default::default(), errors, to).await;
    }
    let entered = (
        form.fields.get("title").to_owned(),
        form.fields.get("kind").to_owned(),
    );
    let (title, kind, received) = match form.checked(kinds(attach)) {
        Ok(checked) => checked,
        // Dropping the staged upload (if any) discards it.
        Err(errors) => return upload_form(&app, &session, id, entered, errors, to).await,
    };
    let new = match received.scan_and_commit(&app, title, kind).await? {
        Ok(new) => new,
        Err(refused) => {
            if let Some((signature, size_bytes)) = &refused.infected {
                app.documents()
                    .refuse_infected(account, id, signature, *size_bytes, app.now(), origin)
                    .await
                    .map_err(fault)?;
            }
            let errors = vec![field_error(&refused.error)];
            return upload_form(&app, &session, id, entered, errors, to).await;
        }
    };
    // Recorded and attached together, or not at all.
    match app
        .documents()
        .record_upload(account, id, new, attach, app.now(), today, origin)
        .await
    {
        Ok(_) => Ok(see_other(&match attach {
            Some(a) => return_to(id, a),
            None => format!("/cases/{id}#documents"),
        })),
        Err(e @ (DocumentError::NotFound | DocumentError::NotAttachable(_))) => {
            refused(app, id, attach, e).await
        }
        Err(e @ (DocumentError::Store(_) | DocumentError::Randomness(_))) => Err(fault(e)),
        Err(e) => {
            let errors = vec![field_error(&e)];
            upload_form(&app, &session, id, entered, errors, to).await
        }
    }
}

// ---- the download ----------------------------------------------------------------------------

/// A file name safe in a `Content-Disposition` header: the stored name's stem in ASCII letters,
/// digits, spaces, `-`, `_` and `.` (anything else becomes `_`), with the extension of the
/// sniffed type — never the name's own.
fn download_name(document: &Document) -> String {
    let stem = document
        .file_name
        .rsplit_once('.')
        .map_or(document.file_name.as_str(), |(stem, _)| stem);
    let safe: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let safe = safe.trim_matches(|c| c == '.' || c == ' ');
    let safe = if safe.is_empty() { "document" } else { safe };
    format!("{safe}.{}", document.content_type.extension())
}

/// Every document of `case` that `viewer` may see, each downloaded as the single download is
/// (checked and audited), opened for reading on a blocking thread: the files of *Download all
/// case information*, named `NN title.ext` (numbered, so two documents never clash).
///
/// # Errors
/// The store's and the database's faults.
pub(super) async fn all_for_zip(
    app: &AppState,
    viewer: ehc_core::account::AccountId,
    case: ehc_core::case::CaseId,
    origin: Option<std::net::IpAddr>,
) -> Result<Vec<super::download::CaseFile>, PageError> {
    let now = app.now();
    let listed = match app.documents().list(viewer, case, now).await {
        Ok(listed) => listed,
        Err(DocumentError::NotFound) => return Ok(Vec::new()),
        Err(e) => return Err(fault(e)),
    };
    let mut files = Vec::with_capacity(listed.len());
    for (n, listed) in listed.into_iter().enumerate() {
        let document = match app
            .documents()
            .download(viewer, case, listed.id, now, origin)
            .await
        {
            Ok(document) => document,
            Err(DocumentError::NotFound) => continue,
            Err(e) => return Err(fault(e)),
        };
        let Some((_, stream)) = app
            .inner
            .document_store
            .open(&document.hash)
            .await
            .map_err(store_fault)?
        else {
            return Err(PageError::Internal(format!(
                "document {} has no content under {} in the store",
                document.id, document.hash
            )));
        };
        files.push(super::download::CaseFile {
            name: format!("{:02} {}", n + 1, download_name(&document)),
            content: Box::new(tokio_util::io::SyncIoBridge::new(stream.compat())),
        });
    }
    Ok(files)
}

pub(crate) async fn download(
    State(app): State<AppState>,
    Origin(origin): Origin,
    session: tower_sessions::Session,
    Path((raw_case, raw_document)): Path<(String, String)>,
) -> PageResult {
    let session = HubSession(session);
    let account = match super::signed_in(&app, &session).await? {
        Ok(a) => a,
        Err(redirect) => return Ok(redirect),
    };
    let (Some(case), Some(document)) =
        (super::case_id(&raw_case), DocumentId::parse(&raw_document))
    else {
        return crate::pages::not_found(State(app)).await;
    };
    let document = match app
        .documents()
        .download(account, case, document, app.now(), origin)
        .await
    {
        Ok(document) => document,
        Err(DocumentError::NotFound) => return crate::pages::not_found(State(app)).await,
        Err(e) => return Err(fault(e)),
    };
    let Some((length, stream)) = app
        .inner
        .document_store
        .open(&document.hash)
        .await
        .map_err(store_fault)?
    else {
        return Err(PageError::Internal(format!(
            "document {} has no content under {} in the store",
            document.id, document.hash
        )));
    };
    let name = download_name(&document);
    let disposition = format!(
        "{}; filename=\"{name}\"",
        if document.content_type.shown_inline() {
            "inline"
        } else {
            "attachment"
        }
    );
    Ok((
        [
            (
                header::CONTENT_TYPE,
                document.content_type.mime().to_owned(),
            ),
            (header::CONTENT_LENGTH, length.to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, no-store".to_owned()),
        ],
        Body::from_stream(ReaderStream::new(stream.compat())),
    )
        .into_response())
}
