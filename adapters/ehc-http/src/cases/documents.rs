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
use axum::extract::{Path, Request, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tokio_util::compat::FuturesAsyncReadCompatExt;
use tokio_util::io::ReaderStream;

use ehc_core::account::AccountId;
use ehc_core::case::CaseId;
use ehc_core::document::{
    Document, DocumentError, DocumentId, DocumentKind, SizeLimits, clean_title, size_in_words,
};

use super::upload::{ACCEPT, field_error, store_fault};
use crate::AppState;
use crate::client::Origin;
use crate::pages::{FieldError, Layout, PageError, PageResult, messages_for, see_other};
use crate::session::HubSession;
use crate::times::london;
use ehc_core::case::ViewChange;
use ehc_core::case::views::ViewSpace;

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
    let form = match super::upload::read(&app, &session, request).await? {
        Ok(form) => form,
        Err(refused) => return Ok(refused),
    };
    let (title, kind, for_field) = (
        form.fields.get("title").to_owned(),
        form.fields.get("kind").to_owned(),
        form.fields.get("for"),
    );
    let for_space = ViewSpace::parse(for_field);
    if !form.complete {
        let errors = form.file.err().iter().map(field_error).collect();
        return upload_form(&app, &session, id, Default::default(), errors, None).await;
    }
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
    let received = match form.file {
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

    let new = match received
        .scan_and_commit(&app, title.clone(), kind_chosen)
        .await?
    {
        Ok(new) => new,
        Err(refused) => {
            if let Some((signature, size_bytes)) = &refused.infected {
                app.documents()
                    .refuse_infected(account, id, signature, *size_bytes, app.now(), origin)
                    .await
                    .map_err(fault)?;
            }
            let errors = vec![field_error(&refused.error)];
            return upload_form(&app, &session, id, (title, kind), errors, for_space).await;
        }
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
