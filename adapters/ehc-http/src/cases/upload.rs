//! Receiving an uploaded file (`multipart/form-data`), for every form that takes one: the case's
//! upload page and the request pathway's documents.
//!
//! The CSRF token must be the form's first field and is checked before any of the file is read;
//! the file's chunks go to the document store as they arrive (never the whole file in memory),
//! its type is sniffed from its first bytes (never the name or the browser's `Content-Type`), its
//! size is held to the limit of that type while it streams, then the virus scanner reads the
//! staged file. Only a clean file is committed under its hash; a refused one is discarded —
//! nothing is stored — and the caller's form says why, GOV.UK-style. The body limit of the
//! other routes (64 KiB) does not apply to an upload route: it takes up to the largest
//! configured limit plus [`FORM_ALLOWANCE`], and a larger declared length is refused before it
//! is read.

use axum::extract::multipart::{Field, MultipartError};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request};
use axum::http::{StatusCode, header};
use axum::response::Response;

use ehc_core::document::scan::ScanVerdict;
use ehc_core::document::{
    ContentType, DocumentError, DocumentKind, MB, NewDocument, SNIFF_BYTES, SizeLimits,
    StagedUpload, clean_file_name, clean_title, sniff,
};

use crate::AppState;
use crate::form::Fields;
use crate::pages::{FieldError, PageError};
use crate::session::HubSession;

/// Room for the form's other fields and the multipart framing, beyond the largest file.
const FORM_ALLOWANCE: u64 = MB;
/// The file input's hint to the browser's file chooser (the server sniffs the content anyway).
pub(super) const ACCEPT: &str =
    ".pdf,.doc,.docx,.jpg,.jpeg,.png,.heic,.heif,.mp4,.mov,.mp3,.m4a,.wav";
/// Longest text field read from an upload form, in bytes.
const MAX_TEXT_FIELD: usize = 4 * 1024;
/// The name of the file field of every upload form.
const FILE_FIELD: &str = "file";

/// The body limit of an upload route: the largest file `limits` allow, plus
/// [`FORM_ALLOWANCE`]. Each upload route is merged outside the hub's small body limit with
/// this layer.
pub(super) fn body_limit(limits: &SizeLimits) -> DefaultBodyLimit {
    DefaultBodyLimit::max(usize::try_from(limits.largest() + FORM_ALLOWANCE).unwrap_or(usize::MAX))
}

/// The session of an upload request (read from the request before its body is taken).
///
/// # Errors
/// [`PageError::Internal`] when the session layer is missing.
pub(super) fn session_of(request: &Request) -> Result<HubSession, PageError> {
    request
        .extensions()
        .get::<tower_sessions::Session>()
        .cloned()
        .map(HubSession)
        .ok_or_else(|| PageError::Internal("no session layer".to_owned()))
}

/// An upload form as read: its text fields (each cut to [`MAX_TEXT_FIELD`] bytes) and its file,
/// staged in the document store, or why there is none.
pub(super) struct UploadForm {
    /// The text fields (the CSRF token already checked).
    pub(super) fields: Fields,
    /// The file, staged; dropping it discards it.
    pub(super) file: Result<Received, DocumentError>,
    /// Whether the text fields were read: `false` when the declared length was over the
    /// route's limit, so only the file's refusal applies.
    pub(super) complete: bool,
}

/// A file staged in the document store, with what its first bytes say it is.
pub(super) struct Received {
    staged: Box<dyn StagedUpload>,
    content_type: ContentType,
    file_name: String,
}

/// Why a received file was not kept: the form's message, and for an infected file what the
/// scanner found and the file's length in bytes (for the audit log).
pub(super) struct Refused {
    pub(super) error: DocumentError,
    pub(super) infected: Option<(String, u64)>,
}

/// Reads the upload form of `request` whose sender's session is `session`: the CSRF token
/// first (`Err`: the "could not accept that form" page), then every field, streaming the file
/// into the document store. A declared length over the route's limit is not read at all (the
/// file is [`DocumentError::TooBig`]).
///
/// # Errors
/// The document store's faults.
pub(super) async fn read(
    app: &AppState,
    session: &HubSession,
    request: Request,
) -> Result<Result<UploadForm, Response>, PageError> {
    let limits = *app.documents().limits();
    let too_long = declared_length(&request).is_some_and(|n| n > limits.largest() + FORM_ALLOWANCE);
    // Not multipart at all: there is no token to check either.
    let Ok(mut multipart) = Multipart::from_request(request, app).await else {
        return app.csrf_refused().await.map(Err);
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
        return app.csrf_refused().await.map(Err);
    }
    let mut fields = Fields::default();
    if too_long {
        let limit = limits.largest();
        let file = Err(DocumentError::TooBig { limit });
        return Ok(Ok(UploadForm {
            fields,
            file,
            complete: false,
        }));
    }
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
        let read = match field.name().map(str::to_owned) {
            Some(name) if name == FILE_FIELD && file.is_none() => {
                let received = receive(app, field).await?;
                let refused = received.is_err();
                file = Some(received);
                if refused {
                    drain(&mut multipart).await;
                    break;
                }
                Ok(())
            }
            Some(name) => text(field).await.map(|value| fields.add(name, value)),
            None => text(field).await.map(|_| ()),
        };
        if let Err(e) = read {
            file = Some(Err(broken(&e, &limits)));
            break;
        }
    }
    let file = file.unwrap_or(Err(DocumentError::NoFile));
    Ok(Ok(UploadForm {
        fields,
        file,
        complete: true,
    }))
}

impl UploadForm {
    /// The form's title, what the file is (`kind`, one of `kinds`) and the file, each checked:
    /// every problem as the form's field error (the staged file, if any, is then dropped:
    /// discarded).
    pub(super) fn checked(
        self,
        kinds: &[DocumentKind],
    ) -> Result<(String, DocumentKind, Received), Vec<FieldError>> {
        let mut errors = Vec::new();
        let title = clean_title(self.fields.get("title")).map_err(|e| errors.push(field_error(&e)));
        let kind = DocumentKind::parse(self.fields.get("kind")).filter(|k| kinds.contains(k));
        if kind.is_none() {
            errors.push(FieldError {
                field: "kind",
                message: "Select what the document is".to_owned(),
            });
        }
        let file = self.file.map_err(|e| errors.push(field_error(&e)));
        match (title, kind, file) {
            (Ok(title), Some(kind), Ok(file)) => Ok((title, kind, file)),
            _ => Err(errors),
        }
    }
}

impl Received {
    /// Has the virus scanner read the staged file: a clean one is committed to the store and
    /// becomes a [`NewDocument`] with the person's `title` and `kind`; an infected one, or one
    /// the scanner could not check, is discarded.
    ///
    /// # Errors
    /// The document store's faults.
    pub(super) async fn scan_and_commit(
        self,
        app: &AppState,
        title: String,
        kind: DocumentKind,
    ) -> Result<Result<NewDocument, Refused>, PageError> {
        let Self {
            mut staged,
            content_type,
            file_name,
        } = self;
        let size_bytes = staged.size_bytes();
        let verdict = match staged.reader().await {
            Ok(mut reader) => app.inner.scanner.scan(&mut reader).await,
            Err(e) => return Err(store_fault(e)),
        };
        let refused = match verdict {
            Ok(ScanVerdict::Clean) => None,
            Ok(ScanVerdict::Infected { signature }) => {
                tracing::warn!(%signature, "an infected upload was refused");
                Some(Refused {
                    error: DocumentError::Infected,
                    infected: Some((signature, size_bytes)),
                })
            }
            Err(e) => {
                tracing::error!(error = %e, "the virus scanner could not check an upload");
                Some(Refused {
                    error: DocumentError::ScannerUnavailable,
                    infected: None,
                })
            }
        };
        if let Some(refused) = refused {
            staged.discard().await.map_err(store_fault)?;
            return Ok(Err(refused));
        }
        let blob = staged.commit().await.map_err(store_fault)?;
        Ok(Ok(NewDocument {
            blob,
            content_type,
            file_name,
            title,
            kind,
        }))
    }
}

// ---- reading the form --------------------------------------------------------------------------

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

pub(super) fn store_fault(e: ehc_core::document::DocumentStoreError) -> PageError {
    PageError::Internal(e.to_string())
}

/// Reads what is left of the request (bounded by the route's limit), so the browser gets the
/// page that says what was wrong instead of a broken connection.
async fn drain(multipart: &mut Multipart) {
    while let Ok(Some(mut field)) = multipart.next_field().await {
        while let Ok(Some(_)) = field.chunk().await {}
    }
}

/// Reads and drops the body of an upload that is refused before its form is read (bounded by
/// the route's limit), so the browser gets the page that says why instead of a broken
/// connection.
pub(super) async fn drain_body(app: &AppState, request: Request) {
    if let Ok(mut multipart) = Multipart::from_request(request, app).await {
        drain(&mut multipart).await;
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

/// The form field a refusal belongs to, with its message.
pub(super) fn field_error(e: &DocumentError) -> FieldError {
    let field = match e {
        DocumentError::MissingTitle | DocumentError::TitleTooLong => "title",
        _ => "file",
    };
    FieldError {
        field,
        message: e.to_string(),
    }
}
