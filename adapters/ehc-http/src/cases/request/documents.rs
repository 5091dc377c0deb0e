//! The request's *Upload reports and evidence (optional)* step, before *Check your answers*:
//! GOV.UK's "add another" pattern — the files added so far (title, what it is, type and size,
//! *Remove*), a form to add one more, and *Continue*.
//!
//! Only a signed-in requester adds files (documents belong to an account; a person without one
//! uploads on the case once they have registered from the e-mail's link). Each file is received
//! as every upload is ([`super::super::upload`]: streamed, sniffed, size-limited, scanned) and
//! committed to the document store, then waits in the session's draft as a [`PendingDocument`]
//! — at most [`MAX_REQUEST_DOCUMENTS`] — until *Send request* records them on the new case in
//! the same unit of work as the case itself. Removing one only forgets it: content committed
//! and never recorded is removed by the daily sweep (`DocumentService::sweep_orphans`).

use askama::Template;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::routing::post;
use serde::{Deserialize, Serialize};

use ehc_core::case::request::MAX_REQUEST_DOCUMENTS;
use ehc_core::document::{
    ContentHash, ContentType, DocumentKind, NewDocument, StoredBlob, size_in_words,
};

use super::{DRAFT, Draft, draft};
use crate::AppState;
use crate::client::Origin;
use crate::form::CheckedForm;
use crate::pages::{FieldError, Layout, PageError, PageResult, messages_for, see_other};
use crate::session::HubSession;

use super::super::upload::{self, ACCEPT, field_error, store_fault};

/// The step's address.
pub(super) const PAGE: &str = "/request/documents";
/// The page's heading.
const HEADING: &str = "Upload reports and evidence (optional)";

/// A file committed to the document store and not yet recorded: what *Send request* records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct PendingDocument {
    /// Its number in this draft (for *Remove*; never reused).
    number: u32,
    hash: ContentHash,
    /// Its length, in bytes.
    size_bytes: u64,
    content_type: ContentType,
    file_name: String,
    title: String,
    kind: DocumentKind,
}

impl PendingDocument {
    /// The person's title.
    pub(super) fn title(&self) -> &str {
        &self.title
    }

    /// What *Send request* hands to the core.
    pub(super) fn new_document(&self) -> NewDocument {
        NewDocument {
            blob: StoredBlob {
                hash: self.hash,
                size_bytes: self.size_bytes,
            },
            content_type: self.content_type,
            file_name: self.file_name.clone(),
            title: self.title.clone(),
            kind: self.kind,
        }
    }

    /// What it is, its type and size, and its file name: `Report, PDF, 3 KB (report.pdf)`.
    pub(super) fn about(&self) -> String {
        format!(
            "{}, {}, {} ({})",
            self.kind.describe(),
            self.content_type.describe(),
            size_in_words(self.size_bytes),
            self.file_name
        )
    }
}

/// The step's upload: merged outside the hub's small body limit, with its own (as the case's
/// upload, [`super::super::upload::body_limit`]).
pub(crate) fn upload_routes(limits: &ehc_core::document::SizeLimits) -> Router<AppState> {
    Router::new()
        .route(PAGE, post(add))
        .layer(upload::body_limit(limits))
}

/// Uploads with a request from one client address: this many at once (a request's files)…
pub(crate) const UPLOAD_BURST: u32 = MAX_REQUEST_DOCUMENTS as u32;
/// …then one more every this many seconds (each file is audited; files never sent are swept
/// after a day).
pub(crate) const UPLOAD_PERIOD_SECONDS: u64 = 60;

/// What a file sent with a request may be.
const REQUEST_KINDS: [DocumentKind; 6] = [
    DocumentKind::Report,
    DocumentKind::Evidence,
    DocumentKind::Advice,
    DocumentKind::ScannedDocument,
    DocumentKind::Photo,
    DocumentKind::Other,
];

/// The step's page and *Remove* (small forms, within the hub's body limit).
pub(super) fn routes() -> Router<AppState> {
    Router::new()
        .route(PAGE, axum::routing::get(page))
        .route("/request/documents/remove", post(remove))
}

#[derive(Template)]
#[template(path = "request_documents.html")]
struct DocumentsPage {
    layout: Layout,
    errors: Vec<FieldError>,
    heading: &'static str,
    signed_in: bool,
    /// (number, title, about) of each file added, in the order added.
    added: Vec<(u32, String, String)>,
    most: usize,
    full: bool,
    title: String,
    kind: String,
    kinds: Vec<(&'static str, &'static str)>,
    limits: String,
    accept: &'static str,
}

impl DocumentsPage {
    fn error_for(&self, field: &str) -> Option<Vec<String>> {
        messages_for(&self.errors, field)
    }
}

/// The page for `draft`, with the add form's answers and errors.
async fn render(
    app: &AppState,
    session: &HubSession,
    draft: &Draft,
    (title, kind): (String, String),
    errors: Vec<FieldError>,
) -> PageResult {
    let signed_in = app.current(session).await?.signed_in_account().is_some();
    let limits = app.documents().limits();
    let page = DocumentsPage {
        layout: app.layout(session, HEADING, signed_in).await?,
        errors,
        heading: HEADING,
        signed_in,
        added: draft
            .documents
            .iter()
            .map(|d| (d.number, d.title.clone(), d.about()))
            .collect(),
        most: MAX_REQUEST_DOCUMENTS,
        full: draft.documents.len() >= MAX_REQUEST_DOCUMENTS,
        title,
        kind,
        kinds: REQUEST_KINDS
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
    };
    super::super::form_response(&page, !page.errors.is_empty())
}

async fn page(State(app): State<AppState>, session: tower_sessions::Session) -> PageResult {
    let session = HubSession(session);
    let draft = draft(&session).await?;
    render(&app, &session, &draft, Default::default(), Vec::new()).await
}

/// Adds a file: refused (403, nothing read) for a requester who is not signed in; otherwise
/// received, checked, scanned and committed, then kept in the draft.
async fn add(State(app): State<AppState>, Origin(origin): Origin, request: Request) -> PageResult {
    let session = upload::session_of(&request)?;
    let Some(account) = app.current(&session).await?.signed_in_account() else {
        // Read (and drop) what the browser is sending, so it shows the answer.
        upload::drain_body(&app, request).await;
        return app
            .message(
                StatusCode::FORBIDDEN,
                "Sign in to upload files with your request",
                &["Only a person signed in to the hub can upload files with a request. Nothing was uploaded. You can send the request without them and upload reports and evidence on the case once you have registered from the link in the email we send you."],
                Some((PAGE, "Back to reports and evidence")),
            )
            .await;
    };
    let mut draft = draft(&session).await?;
    if draft.documents.len() >= MAX_REQUEST_DOCUMENTS {
        // Full: nothing of the file is kept (a page opened in another tab before the last one).
        upload::drain_body(&app, request).await;
        let errors = vec![FieldError {
            field: "files-added",
            message: format!(
                "You can upload up to {MAX_REQUEST_DOCUMENTS} files with a request – remove one to add another"
            ),
        }];
        return render(&app, &session, &draft, Default::default(), errors).await;
    }
    let form = match upload::read(&app, &session, request).await? {
        Ok(form) => form,
        Err(refused) => return Ok(refused),
    };
    let answers = (
        form.fields.get("title").to_owned(),
        form.fields.get("kind").to_owned(),
    );
    if !form.complete {
        let errors = form.file.err().iter().map(field_error).collect();
        return render(&app, &session, &draft, Default::default(), errors).await;
    }
    let (title, kind, received) = match form.checked(&REQUEST_KINDS) {
        Ok(checked) => checked,
        Err(errors) => return render(&app, &session, &draft, answers, errors).await,
    };
    let new = match received.scan_and_commit(&app, title, kind).await? {
        Ok(new) => new,
        Err(refused) => {
            if let Some((signature, size_bytes)) = &refused.infected {
                app.documents()
                    .refuse_infected_request(account, signature, *size_bytes, app.now(), origin)
                    .await
                    .map_err(|e| PageError::Internal(e.to_string()))?;
            }
            let errors = vec![field_error(&refused.error)];
            return render(&app, &session, &draft, answers, errors).await;
        }
    };
    app.documents()
        .hold_for_request(account, &new, app.now(), origin)
        .await
        .map_err(|e| PageError::Internal(e.to_string()))?;
    draft.next_document += 1;
    draft.documents.push(PendingDocument {
        number: draft.next_document,
        hash: new.blob.hash,
        size_bytes: new.blob.size_bytes,
        content_type: new.content_type,
        file_name: new.file_name,
        title: new.title,
        kind: new.kind,
    });
    session.0.insert(DRAFT, &draft).await?;
    Ok(see_other(PAGE))
}

/// *Remove*: forgets the file (its content, if no document uses it, goes with the sweep).
async fn remove(CheckedForm { session, form }: CheckedForm) -> PageResult {
    let mut draft = draft(&session).await?;
    if let Ok(number) = form.get("number").parse::<u32>() {
        draft.documents.retain(|d| d.number != number);
        session.0.insert(DRAFT, &draft).await?;
    }
    Ok(see_other(PAGE))
}

/// Marks each pending file of `draft` as written now in the document store, so the sweep keeps
/// it until *Send request* records it, and takes out of `draft` those no longer stored (they
/// waited more than a day and were swept): their titles.
///
/// # Errors
/// The document store's faults.
pub(super) async fn take_missing(
    app: &AppState,
    draft: &mut Draft,
) -> Result<Vec<String>, PageError> {
    let mut missing = Vec::new();
    for pending in &draft.documents {
        if !app
            .inner
            .document_store
            .refresh(&pending.hash, app.now())
            .await
            .map_err(store_fault)?
        {
            missing.push(pending.number);
        }
    }
    let (gone, kept) = std::mem::take(&mut draft.documents)
        .into_iter()
        .partition(|d| missing.contains(&d.number));
    draft.documents = kept;
    Ok(gone.into_iter().map(|d: PendingDocument| d.title).collect())
}
