//! Documents on a case: the *Documents* section of the case page, the upload page, the upload
//! itself and the download.
//!
//! An upload (`multipart/form-data`) is streamed: the CSRF token must be the form's first field
//! and is checked before any of the file is read; the file's chunks go to the document store as
//! they arrive (never the whole file in memory), its type is sniffed from its first bytes (never
//! the name or the browser's `Content-Type`), its size is held to the limit of that type while
//! it streams, then the virus scanner reads the staged file. Only then is it committed under its
//! hash and recorded on the case (with its receipt on the timeline). A refused upload is
//! discarded — nothing is stored — and the form says why, GOV.UK-style. The request body limit
//! of the other routes (64 KiB) does not apply here: this route takes up to the largest
//! configured limit plus 1 MB, and refuses a larger declared length before reading it.
//!
//! A download is audited, then streamed from the store; images and PDFs are shown in the
//! browser, everything else is sent as an attachment.

use askama::Template;
use axum::Router;
use axum::body::Body;
use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tokio_util::compat::FuturesAsyncReadCompatExt;
use tokio_util::io::ReaderStream;

use ehc_core::account::AccountId;
use ehc_core::case::CaseId;
use ehc_core::document::scan::ScanVerdict;
use ehc_core::document::{
    ContentType, Document, DocumentError, DocumentId, DocumentKind, MB, NewDocument, SNIFF_BYTES,
    SizeLimits, StagedUpload, clean_file_name, clean_title, size_in_words, sniff,
};

use crate::AppState;
use crate::client::Origin;
use crate::pages::{FieldError, Layout, PageError, PageResult, messages_for, see_other};
use crate::session::HubSession;
use crate::times::london;
use ehc_core::case::ViewChange;
use ehc_core::case::views::ViewSpace;

/// Room for the form's other fields and the multipart framing, beyond the largest file.
const FORM_ALLOWANCE: u64 = MB;
/// The file input's hint to the browser's file chooser (the server sniffs the content anyway).
const ACCEPT: &str = ".pdf,.doc,.docx,.jpg,.jpeg,.png,.heic,.heif,.mp4,.mov,.mp3,.m4a,.wav";
/// Longest text field read from the upload form, in bytes.
const MAX_TEXT_FIELD: usize = 4 * 1024;

/// The upload page and the download.
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/cases/{id}/documents/new", get(upload_page))
        .route("/cases/{id}/documents/{document}", get(download))
}

/// The upload itself: merged outside the hub's small body limit, with its own.
pub(crate) fn upload_routes(limits: &SizeLimits) -> Router<AppState> {
    let most = usize::try_from(limits.largest() + FORM_ALLOWANCE).unwrap_or(usize::MAX);
    Router::new()
        .route("/cases/{id}/documents", post(upload))
        .layer(DefaultBodyLimit::max(most))
}

impl AppState {
    pub(super) fn documents(
        &self,
    ) -> &ehc_core::document::DocumentService<crate::DynStore, crate::DynSecrets> {
        &self.inner.documents
    }
}

// ---- the section of the case page ----------------------------------------------------------

/// One document of the case page's *Documents* section.
pub(crate) struct DocumentRow {
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
    let documents = match app.documents().list(viewer, case, app.now()).await {
        Ok(documents) => documents,
        Err(DocumentError::NotFound) => Vec::new(),
        Err(e) => return Err(fault(e)),
    };
    Ok(documents
        .iter()
        .map(|d| DocumentRow {
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
        })
        .collect())
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
    case_link: String,
    title: String,
    kind: String,
    kinds: Vec<(&'static str, &'static str)>,
    limits: String,
    accept: &'static str,
    /// The family's space the upload goes into (`about-me`, …), or "" for the case's
    /// documents only.
    for_space: &'static str,
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
    for_space: Option<ViewSpace>,
) -> PageResult {
    let limits = app.documents().limits();
    let page = UploadPage {
        layout: app.layout(session, "Upload a document", true).await?,
        errors,
        case_link: format!("/cases/{case}"),
        title,
        kind,
        kinds: DocumentKind::ALL
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
        for_space: for_space.map_or("", ViewSpace::as_str),
    };
    super::form_response(&page, !page.errors.is_empty())
}

/// `?for=about-me` (or `parent-carer-views`): the upload goes into that family space too.
#[derive(serde::Deserialize)]
pub(crate) struct UploadFor {
    #[serde(rename = "for")]
    space: Option<String>,
}

pub(crate) async fn upload_page(
    State(app): State<AppState>,
    session: tower_sessions::Session,
    Path(raw): Path<String>,
    axum::extract::Query(upload_for): axum::extract::Query<UploadFor>,
) -> PageResult {
    let for_space = upload_for.space.as_deref().and_then(ViewSpace::parse);
    let session = HubSession(session);
    let account = match super::signed_in(&app, &session).await? {
        Ok(a) => a,
        Err(redirect) => return Ok(redirect),
    };
    let Some(id) = super::case_id(&raw) else {
        return crate::pages::not_found(State(app)).await;
    };
    match app.documents().may_upload(account, id, app.now()).await {
        Ok(()) => {
            upload_form(
                &app,
                &session,
                id,
                Default::default(),
                Vec::new(),
                for_space,
            )
            .await
        }
        Err(DocumentError::NotFound) => crate::pages::not_found(State(app)).await,
        Err(e) => Err(fault(e)),
    }
}

// ---- the upload ------------------------------------------------------------------------------

/// A file staged in the document store, with what its first bytes say it is.
struct Received {
    staged: Box<dyn StagedUpload>,
    content_type: ContentType,
    file_name: String,
}

/// Reads a text field, keeping at most [`MAX_TEXT_FIELD`] bytes of it (the rest is skipped).
async fn text(mut field: Field<'_>) -> Result<String, MultipartError> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await? {
        let room = MAX_TEXT_FIELD.saturating_sub(bytes.len());
        bytes.extend_from_slice(&chunk[..chunk.len().min(room)]);
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// What a broken multipart body means for the person: too long for the route, or cut off.
fn broken(e: &MultipartError, limits: &SizeLimits) -> DocumentError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        DocumentError::TooBig {
            limit: limits.largest(),
        }
    } else {
        DocumentError::Interrupted
    }
}

/// Streams the file field into a staged upload: the first [`SNIFF_BYTES`] are held to sniff
/// the type, then every chunk is written as it arrives, the size held to the type's limit.
/// A refused file is discarded before this returns.
async fn receive(
    app: &AppState,
    mut field: Field<'_>,
) -> Result<Result<Received, DocumentError>, PageError> {
    let limits = *app.documents().limits();
    let file_name = field.file_name().unwrap_or_default().to_owned();
    let mut head: Vec<u8> = Vec::new();
    let mut staged: Option<(Box<dyn StagedUpload>, ContentType, u64)> = None;
    loop {
        let chunk = match field.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => break,
            Err(e) => return Ok(Err(broken(&e, &limits))),
        };
        match staged.as_mut() {
            Some((upload, _, limit)) => {
                if upload.size_bytes() + chunk.len() as u64 > *limit {
                    return Ok(Err(DocumentError::TooBig { limit: *limit }));
                }
                upload.write(&chunk).await.map_err(store_fault)?;
            }
            None => {
                head.extend_from_slice(&chunk);
                if head.len() >= SNIFF_BYTES {
                    match start(app, &head, &limits).await? {
                        Ok(s) => staged = Some(s),
                        Err(e) => return Ok(Err(e)),
                    }
                }
            }
        }
    }
    let (staged, content_type) = match staged {
        Some((upload, content_type, _)) => (upload, content_type),
        None if head.is_empty() && clean_file_name(&file_name).is_none() => {
            return Ok(Err(DocumentError::NoFile));
        }
        None if head.is_empty() => return Ok(Err(DocumentError::Empty)),
        None => match start(app, &head, &limits).await? {
            Ok((upload, content_type, _)) => (upload, content_type),
            Err(e) => return Ok(Err(e)),
        },
    };
    Ok(Ok(Received {
        staged,
        content_type,
        file_name,
    }))
}

/// Sniffs `head` and, for an accepted type within its limit, stages it.
async fn start(
    app: &AppState,
    head: &[u8],
    limits: &SizeLimits,
) -> Result<Result<(Box<dyn StagedUpload>, ContentType, u64), DocumentError>, PageError> {
    let Some(content_type) = sniff(head) else {
        return Ok(Err(DocumentError::TypeNotAllowed));
    };
    let limit = limits.for_type(content_type);
    if head.len() as u64 > limit {
        return Ok(Err(DocumentError::TooBig { limit }));
    }
    let mut upload = app
        .inner
        .document_store
        .stage()
        .await
        .map_err(store_fault)?;
    upload.write(head).await.map_err(store_fault)?;
    Ok(Ok((upload, content_type, limit)))
}

fn store_fault(e: ehc_core::document::DocumentStoreError) -> PageError {
    PageError::Internal(e.to_string())
}

/// Reads what is left of the request (bounded by the route's limit), so the browser gets the
/// page that says what was wrong instead of a broken connection.
async fn drain(multipart: &mut Multipart) {
    while let Ok(Some(mut field)) = multipart.next_field().await {
        while let Ok(Some(_)) = field.chunk().await {}
    }
}

/// The declared length of the request body, if any.
fn declared_length(request: &Request) -> Option<u64> {
    request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

pub(crate) async fn upload(
    State(app): State<AppState>,
    Origin(origin): Origin,
    Path(raw): Path<String>,
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
    let Some(id) = super::case_id(&raw) else {
        return crate::pages::not_found(State(app)).await;
    };
    match app.documents().may_upload(account, id, app.now()).await {
        Ok(()) => {}
        Err(DocumentError::NotFound) => return crate::pages::not_found(State(app)).await,
        Err(e) => return Err(fault(e)),
    }
    let limits = *app.documents().limits();
    let too_long = declared_length(&request).is_some_and(|n| n > limits.largest() + FORM_ALLOWANCE);
    // Not multipart at all: there is no token to check either.
    let Ok(mut multipart) = Multipart::from_request(request, &app).await else {
        return app.csrf_refused().await;
    };
    // The token comes first (the form puts it first), so nothing is read before it is checked.
    let token = match multipart.next_field().await {
        Ok(Some(field)) if field.name() == Some(crate::csrf::FIELD) => text(field).await.ok(),
        _ => None,
    };
    if !session
        .csrf_ok(token.as_deref().unwrap_or_default())
        .await?
    {
        return app.csrf_refused().await;
    }
    if too_long {
        let error = DocumentError::TooBig {
            limit: limits.largest(),
        };
        let errors = vec![field_error(&error)];
        return upload_form(&app, &session, id, Default::default(), errors, None).await;
    }

    let (mut title, mut kind, mut for_field) = (String::new(), String::new(), String::new());
    let mut file: Option<Result<Received, DocumentError>> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) => {
                file = Some(Err(broken(&e, &limits)));
                break;
            }
        };
        let read = match field.name() {
            Some("title") => text(field).await.map(|t| title = t),
            Some("kind") => text(field).await.map(|k| kind = k),
            Some("for") => text(field).await.map(|f| for_field = f),
            Some("file") if file.is_none() => {
                let received = receive(&app, field).await?;
                let refused = received.is_err();
                file = Some(received);
                if refused {
                    drain(&mut multipart).await;
                    break;
                }
                Ok(())
            }
            _ => text(field).await.map(|_| ()),
        };
        if let Err(e) = read {
            file = Some(Err(broken(&e, &limits)));
            break;
        }
    }

    let for_space = ViewSpace::parse(&for_field);
    let mut errors = Vec::new();
    let title_checked = clean_title(&title);
    if let Err(e) = &title_checked {
        errors.push(field_error(e));
    }
    let kind_chosen = DocumentKind::parse(&kind);
    if kind_chosen.is_none() {
        errors.push(FieldError {
            field: "kind",
            message: "Select what the document is".to_owned(),
        });
    }
    let received = match file.unwrap_or(Err(DocumentError::NoFile)) {
        Ok(received) => Some(received),
        Err(e) => {
            errors.push(field_error(&e));
            None
        }
    };
    let (Some(received), Ok(_), Some(kind_chosen), true) =
        (received, &title_checked, kind_chosen, errors.is_empty())
    else {
        // Dropping the staged upload (if any) discards it.
        return upload_form(&app, &session, id, (title, kind), errors, for_space).await;
    };

    let Received {
        mut staged,
        content_type,
        file_name,
    } = received;
    let size_bytes = staged.size_bytes();
    let verdict = match staged.reader().await {
        Ok(mut reader) => app.inner.scanner.scan(&mut reader).await,
        Err(e) => return Err(store_fault(e)),
    };
    let refusal = match verdict {
        Ok(ScanVerdict::Clean) => None,
        Ok(ScanVerdict::Infected { signature }) => {
            tracing::warn!(case = %id, %signature, "an infected upload was refused");
            Some((DocumentError::Infected, Some(signature)))
        }
        Err(e) => {
            tracing::error!(case = %id, error = %e, "the virus scanner could not check an upload");
            Some((DocumentError::ScannerUnavailable, None))
        }
    };
    if let Some((error, signature)) = refusal {
        staged.discard().await.map_err(store_fault)?;
        if let Some(signature) = signature {
            app.documents()
                .refuse_infected(account, id, &signature, size_bytes, app.now(), origin)
                .await
                .map_err(fault)?;
        }
        let errors = vec![field_error(&error)];
        return upload_form(&app, &session, id, (title, kind), errors, for_space).await;
    }
    let blob = staged.commit().await.map_err(store_fault)?;
    let new = NewDocument {
        blob,
        content_type,
        file_name,
        title,
        kind: kind_chosen,
    };
    match app
        .documents()
        .record_upload(account, id, new, app.now(), origin)
        .await
    {
        Ok(document) => match for_space {
            // Into the family's space too: the document is kept on the case whatever happens,
            // and only its author may place it (anyone else's upload stays in *Documents*).
            Some(space) => {
                let placed = app
                    .cases()
                    .change_views(
                        account,
                        id,
                        space,
                        ViewChange::AddDocument(document.id),
                        app.now(),
                        origin,
                    )
                    .await;
                match placed {
                    Ok(()) => Ok(see_other(&format!("/cases/{id}/views/{}", space.as_str()))),
                    Err(_) => Ok(see_other(&format!("/cases/{id}#documents"))),
                }
            }
            None => Ok(see_other(&format!("/cases/{id}#documents"))),
        },
        Err(DocumentError::NotFound) => crate::pages::not_found(State(app)).await,
        Err(e @ (DocumentError::Store(_) | DocumentError::Randomness(_))) => Err(fault(e)),
        Err(e) => {
            let errors = vec![field_error(&e)];
            upload_form(&app, &session, id, Default::default(), errors, for_space).await
        }
    }
}

/// The form field a refusal belongs to, with its message.
fn field_error(e: &DocumentError) -> FieldError {
    let field = match e {
        DocumentError::MissingTitle | DocumentError::TitleTooLong => "title",
        _ => "file",
    };
    FieldError {
        field,
        message: e.to_string(),
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
