//! The document use cases: who may upload to and download from a case, the record of an
//! upload with its receipt on the case timeline, its audit entry and its alerts (one unit of
//! work), the audited download, the audited refusal of an infected upload, and the sweep of
//! content that no document uses.
//!
//! Access follows the case ([`crate::role::case_access`]): everyone who may see a case may
//! upload to it — the LA, the SENDCos of its settings, the family and their advocates, and a
//! contributor (whose documents are seen by the LA and by that contributor only, until they
//! submit the advice they are attached to). A document is seen by its audiences
//! ([`Case::document_audiences`]): those of its [`Visibility`], exactly as a timeline entry's,
//! widened by what it is attached to. A
//! case or a document the person may not see is [`DocumentError::NotFound`], the same answer as
//! one that does not exist.

use std::net::IpAddr;
use time::{Date, OffsetDateTime};

use super::{
    ContentHash, ContentType, Document, DocumentId, DocumentKind, DocumentStore,
    DocumentStoreError, MAX_TITLE, SizeLimits, StoredBlob, clean_file_name, size_in_words,
};
use crate::account::AccountId;
use crate::audit::{AuditEvent, AuditKind};
use crate::case::timeline::{TimelineEntry, Visibility};
use crate::case::{
    Attachment, Case, CaseError, CaseId, CaseServiceError, CaseWriteError, StoredCase, alert_each,
    audit, clean_text, effective_grants,
};
use crate::outbox::CaseUpdate;
use crate::ports::{RandomnessUnavailable, SecretSource, Store, StoreError, UnitOfWork};
use crate::role::{CaseAccess, Role, case_access};

/// Why a document use case did nothing. Nothing is stored in any case; each message is fit to
/// show next to the form's field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DocumentError {
    /// No such case or document, or the person may not see it (HTTP 404 for both).
    #[error("Page not found")]
    NotFound,
    /// No title was given.
    #[error("Enter a title for the document")]
    MissingTitle,
    /// The title is longer than [`MAX_TITLE`] characters.
    #[error("The title must be {MAX_TITLE} characters or fewer")]
    TitleTooLong,
    /// No file was chosen (or its name was empty).
    #[error("Select a file")]
    NoFile,
    /// The file has no bytes.
    #[error("The selected file is empty")]
    Empty,
    /// The content is none of the accepted types ([`ContentType`]).
    #[error(
        "The selected file must be a PDF, Word document, JPG, PNG, HEIC, MP4, MOV, MP3, M4A or WAV"
    )]
    TypeNotAllowed,
    /// The file is longer than the limit of its type ([`SizeLimits`]), in bytes.
    #[error("The selected file must be smaller than {}", size_in_words(*limit))]
    TooBig {
        /// The limit, in bytes.
        limit: u64,
    },
    /// The virus scanner found something: the file was not stored.
    #[error("The selected file contains a virus")]
    Infected,
    /// The upload broke off before the whole form arrived: nothing was stored.
    #[error("The selected file could not be uploaded – try again")]
    Interrupted,
    /// The upload cannot be attached where the form says (the reason, fit to show): nothing
    /// was stored.
    #[error("{0}")]
    NotAttachable(String),
    /// The virus scanner could not check the file: nothing was stored.
    #[error("The selected file could not be checked for viruses – try again later")]
    ScannerUnavailable,
    /// No randomness for an id or a message.
    #[error(transparent)]
    Randomness(#[from] RandomnessUnavailable),
    /// A storage fault.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<CaseError> for DocumentError {
    fn from(e: CaseError) -> Self {
        match e {
            CaseError::NoSuchAdviceRequest | CaseError::NotShown => Self::NotFound,
            other => Self::NotAttachable(other.to_string()),
        }
    }
}

impl From<CaseServiceError> for DocumentError {
    fn from(e: CaseServiceError) -> Self {
        match e {
            CaseServiceError::Randomness(r) => Self::Randomness(r),
            CaseServiceError::Store(s) => Self::Store(s),
            // `alert_each` gives only faults; any other refusal means the case is not there.
            _ => Self::NotFound,
        }
    }
}

/// A document's title as stored: [`clean_text`] on one line, 1 to [`MAX_TITLE`] characters.
///
/// # Errors
/// [`DocumentError::MissingTitle`] or [`DocumentError::TitleTooLong`].
pub fn clean_title(input: &str) -> Result<String, DocumentError> {
    let title = clean_text(input, false);
    if !title.chars().any(char::is_alphanumeric) {
        return Err(DocumentError::MissingTitle);
    }
    if title.chars().count() > MAX_TITLE {
        return Err(DocumentError::TitleTooLong);
    }
    Ok(title)
}

/// An upload whose bytes are committed to the [`super::DocumentStore`], to record on a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDocument {
    /// What the store kept: the hash and the length.
    pub blob: StoredBlob,
    /// The type sniffed from its first bytes ([`super::sniff`]).
    pub content_type: ContentType,
    /// The file name the browser gave (cleaned here).
    pub file_name: String,
    /// The person's title (checked here with [`clean_title`]).
    pub title: String,
    /// What it is.
    pub kind: DocumentKind,
}

/// How long committed content may wait to be recorded on a case before
/// [`DocumentService::sweep_orphans`] removes it (a request's files wait in the session
/// until it is sent).
pub const ORPHAN_AFTER: time::Duration = time::Duration::DAY;

/// How many hashes [`DocumentService::sweep_orphans`] checks in one unit of work.
const SWEEP_BATCH: usize = 500;

/// What [`DocumentService::sweep_orphans`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// Content last written before the cutoff that no document uses: removed.
    pub removed: usize,
    /// Content last written before the cutoff that a document uses (or that was written again
    /// during the sweep): kept.
    pub kept: usize,
}

/// Why a sweep stopped; what it removed before stays removed (each removal stands alone).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SweepError {
    /// The database could not say which content is used.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The document store could not be listed or a file removed.
    #[error(transparent)]
    Blobs(#[from] DocumentStoreError),
    /// More than half of the stored files older than a day (and more than
    /// [`SWEEP_GUARD_FILES`]) are used by no document: most likely the hub is connected to
    /// another (or an empty) database. Nothing was removed.
    #[error(
        "{unused} of the {old} stored files older than a day are used by no document: is the hub connected to its own database? Nothing was removed; if this is right, sweep with --force"
    )]
    Implausible {
        /// Old files no document uses.
        unused: usize,
        /// Old files in all.
        old: usize,
    },
}

/// Below this many unused old files, a sweep never suspects the database
/// ([`SweepError::Implausible`]).
pub const SWEEP_GUARD_FILES: usize = 10;

/// How a sweep removes ([`DocumentService::sweep_orphans`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepOptions {
    /// Only count what would be removed.
    pub dry_run: bool,
    /// Remove even when most old files look unused ([`SweepError::Implausible`]).
    pub force: bool,
}

/// The audit detail of an infected upload: what the scanner found and the length in bytes,
/// never the file's name or content.
fn infected_detail(signature: &str, size_bytes: u64) -> String {
    format!(
        "upload refused, virus found: {} ({size_bytes} bytes)",
        clean_text(signature, false)
    )
}

/// The document use cases over a store.
#[derive(Debug, Clone)]
pub struct DocumentService<S, R> {
    store: S,
    secrets: R,
    limits: SizeLimits,
}

/// The case (with its version) and how far `person` may see it, or
/// [`DocumentError::NotFound`].
async fn access_to(
    tx: &mut dyn UnitOfWork,
    person: AccountId,
    id: CaseId,
    now: OffsetDateTime,
) -> Result<(StoredCase, CaseAccess), DocumentError> {
    let grants = effective_grants(tx, person, now).await?;
    let stored = tx.cases().get(id).await?.ok_or(DocumentError::NotFound)?;
    let access = case_access(&grants, id, &stored.case.settings, now);
    if !access.any() {
        return Err(DocumentError::NotFound);
    }
    Ok((stored, access))
}

impl<S: Store, R: SecretSource> DocumentService<S, R> {
    /// A service over these ports, with the LA's size limits.
    pub fn new(store: S, secrets: R, limits: SizeLimits) -> Self {
        Self {
            store,
            secrets,
            limits,
        }
    }

    /// The size limits in force.
    pub fn limits(&self) -> &SizeLimits {
        &self.limits
    }

    /// Whether `actor` may upload to the case, and attach the upload to `attach` on `today`
    /// (the LA's calendar date): asked before a single byte of the file is read. Returns how
    /// far they see the case (for the page to say who will see the upload).
    ///
    /// # Errors
    /// [`DocumentError::NotFound`] when the case does not exist or the person may not see it;
    /// [`DocumentError::NotAttachable`] with [`Attachment::check`]'s reason; faults.
    pub async fn may_upload(
        &self,
        actor: AccountId,
        case: CaseId,
        attach: Option<Attachment>,
        now: OffsetDateTime,
        today: Date,
    ) -> Result<CaseAccess, DocumentError> {
        let mut tx = self.store.begin().await?;
        let (stored, access) = access_to(&mut *tx, actor, case, now).await?;
        tx.commit().await?;
        if let Some(attach) = attach {
            attach.check(&stored.case, &access, actor, today)?;
        }
        Ok(access)
    }

    /// Records an upload on the case, in one unit of work: the document, its receipt on the
    /// case timeline (what, when, by whom) for the same audiences as the document, an audit
    /// entry (`document-uploaded`, with the hash and size, never the title), a `DocumentAdded`
    /// alert (the kind only) to the family and the SENDCos except the uploader, and, when
    /// `attach` is given, the document attached there on `today` (the LA's calendar date), with
    /// its own timeline and audit entries — all of it, or nothing.
    ///
    /// # Errors
    /// [`DocumentError::NotFound`] (no access any more), [`DocumentError::NotAttachable`]
    /// ([`Attachment::check`]'s reason), [`DocumentError::MissingTitle`],
    /// [`DocumentError::TitleTooLong`], [`DocumentError::Empty`], [`DocumentError::TooBig`]
    /// (the adapter enforces the limit while streaming; this is the rule's own check), a
    /// [`StoreError::Conflict`] when the case kept changing meanwhile (tried 3 times), faults.
    #[allow(clippy::too_many_arguments)] // what is uploaded, where it goes, and the instant
    pub async fn record_upload(
        &self,
        actor: AccountId,
        case_id: CaseId,
        new: NewDocument,
        attach: Option<Attachment>,
        now: OffsetDateTime,
        today: Date,
        origin: Option<IpAddr>,
    ) -> Result<Document, DocumentError> {
        // The case changed between the read and the write (an alert job, another upload): its
        // bytes are stored already, so read it again and attach again, a few times.
        let mut attempt = 1;
        loop {
            let result = self
                .record_once(actor, case_id, new.clone(), attach, now, today, origin)
                .await;
            match result {
                Err(DocumentError::Store(StoreError::Conflict { .. })) if attempt < 3 => {
                    attempt += 1;
                }
                result => return result,
            }
        }
    }

    /// One attempt of [`Self::record_upload`].
    #[allow(clippy::too_many_arguments)] // as record_upload
    async fn record_once(
        &self,
        actor: AccountId,
        case_id: CaseId,
        new: NewDocument,
        attach: Option<Attachment>,
        now: OffsetDateTime,
        today: Date,
        origin: Option<IpAddr>,
    ) -> Result<Document, DocumentError> {
        let mut tx = self.store.begin().await?;
        let (stored, access) = access_to(&mut *tx, actor, case_id, now).await?;
        let mut case = stored.case;
        if let Some(attach) = attach {
            attach.check(&case, &access, actor, today)?;
        }
        // A contributor's upload is part of their advice, which only the LA (and they) see
        // before it is submitted: the SENDCos and the family do not see it.
        let default = if access.is_participant() {
            Visibility::PARTICIPANTS
        } else {
            Visibility {
                contributor: access.contributor,
                ..Visibility::LA_ONLY
            }
        };
        let visible_to = attach.map_or(default, |a| a.visible_to(default, actor));
        let document = record(
            &mut *tx,
            &self.secrets,
            &self.limits,
            &case,
            Upload {
                actor,
                new,
                visible_to,
            },
            now,
            origin,
        )
        .await?;
        if let Some(attach) = attach {
            let what = attach.attach(&mut case, &access, &document, today)?;
            tx.cases()
                .update(&case, stored.version)
                .await
                .map_err(|e| match e {
                    CaseWriteError::Store(e) => DocumentError::Store(e),
                    CaseWriteError::ReferenceTaken => {
                        DocumentError::Store(StoreError::Unexpected {
                            reason: "a case's reference clashed on an update".to_owned(),
                        })
                    }
                })?;
            tx.cases()
                .append_timeline(&TimelineEntry {
                    case: case_id,
                    at: now,
                    actor: Some(actor),
                    what: what.clone(),
                    visible_to,
                })
                .await?;
            tx.audit()
                .append(&audit(
                    actor,
                    AuditKind::CaseChanged,
                    case_id,
                    &what,
                    now,
                    origin,
                ))
                .await?;
        }
        tx.commit().await?;
        Ok(document)
    }

    /// The documents of the case that `viewer` may see, newest first.
    ///
    /// # Errors
    /// [`DocumentError::NotFound`] when the case does not exist or the viewer may not see it;
    /// faults.
    pub async fn list(
        &self,
        viewer: AccountId,
        case: CaseId,
        now: OffsetDateTime,
    ) -> Result<Vec<Document>, DocumentError> {
        let mut tx = self.store.begin().await?;
        let (stored, access) = access_to(&mut *tx, viewer, case, now).await?;
        let documents = tx.documents().for_case(case).await?;
        tx.commit().await?;
        Ok(documents
            .into_iter()
            .filter(|d| stored.case.document_shown(d, &access))
            .collect())
    }

    /// The document `id` of the case, for `viewer` to download; the download is written to the
    /// audit log (`document-downloaded`) before the bytes are sent.
    ///
    /// # Errors
    /// [`DocumentError::NotFound`] when the case or the document does not exist, the document
    /// is not on that case, or the viewer may not see it; faults.
    pub async fn download(
        &self,
        viewer: AccountId,
        case: CaseId,
        id: DocumentId,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<Document, DocumentError> {
        let mut tx = self.store.begin().await?;
        let (stored, access) = access_to(&mut *tx, viewer, case, now).await?;
        let document = tx
            .documents()
            .get(id)
            .await?
            .filter(|d| d.case == case && stored.case.document_shown(d, &access))
            .ok_or(DocumentError::NotFound)?;
        tx.audit()
            .append(&audit(
                viewer,
                AuditKind::DocumentDownloaded,
                case,
                &format!("document {id} downloaded"),
                now,
                origin,
            ))
            .await?;
        tx.commit().await?;
        Ok(document)
    }

    /// Writes the refusal of an infected upload to the audit log (`document-infected`: what the
    /// scanner found and the length, never the file's name or content). Nothing else is stored.
    ///
    /// # Errors
    /// [`DocumentError::NotFound`] when the case does not exist or the person may not see it;
    /// faults.
    #[allow(clippy::too_many_arguments)] // the case, what was found and the instant
    pub async fn refuse_infected(
        &self,
        actor: AccountId,
        case: CaseId,
        signature: &str,
        size_bytes: u64,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<(), DocumentError> {
        let mut tx = self.store.begin().await?;
        access_to(&mut *tx, actor, case, now).await?;
        let detail = infected_detail(signature, size_bytes);
        tx.audit()
            .append(&audit(
                actor,
                AuditKind::DocumentInfected,
                case,
                &detail,
                now,
                origin,
            ))
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Writes the refusal of an infected file added to a request for an assessment, which has
    /// no case yet, to the audit log (`document-infected`, the actor and no case: what the
    /// scanner found and the length, never the file's name or content). Nothing else is
    /// stored.
    ///
    /// # Errors
    /// Faults.
    pub async fn refuse_infected_request(
        &self,
        actor: AccountId,
        signature: &str,
        size_bytes: u64,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<(), DocumentError> {
        let mut tx = self.store.begin().await?;
        tx.audit()
            .append(&AuditEvent {
                at: now,
                actor: Some(actor),
                subject: None,
                case: None,
                kind: AuditKind::DocumentInfected,
                origin,
                detail: format!(
                    "request for an assessment: {}",
                    infected_detail(signature, size_bytes)
                ),
            })
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Writes to the audit log (`document-uploaded`, without a case: the type, length and
    /// SHA-256, never the title or name) that `actor` stored `new` to send with a request for
    /// an assessment, so every file kept for a request is on record even if it is never sent.
    ///
    /// # Errors
    /// Faults.
    pub async fn hold_for_request(
        &self,
        actor: AccountId,
        new: &NewDocument,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<(), DocumentError> {
        let mut tx = self.store.begin().await?;
        tx.audit()
            .append(&AuditEvent {
                at: now,
                actor: Some(actor),
                subject: None,
                case: None,
                kind: AuditKind::DocumentUploaded,
                origin,
                detail: format!(
                    "request for an assessment: a file held until the request is sent ({}, {} bytes, sha256 {})",
                    new.content_type.as_str(),
                    new.blob.size_bytes,
                    new.blob.hash
                ),
            })
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes from `blobs` the content last written more than [`ORPHAN_AFTER`] before `now`
    /// that no document uses: files committed but never recorded (a request never sent, a
    /// database write that failed after the commit). Content written again since the listing
    /// (a commit of the same bytes) is kept. The hub runs it once a day, and
    /// `ehc-hub sweep-documents` runs it now. With `options.dry_run` it only counts (as
    /// `removed`) what it would remove.
    ///
    /// It first reads which old files are unused, and removes nothing when more than half of
    /// them (and more than [`SWEEP_GUARD_FILES`]) are — a hub connected to the wrong or an
    /// empty database would otherwise remove every document's bytes — unless `options.force`.
    ///
    /// # Errors
    /// [`SweepError::Implausible`]; [`SweepError`] faults of the database or the document
    /// store (what was removed before stays removed).
    pub async fn sweep_orphans(
        &self,
        blobs: &dyn DocumentStore,
        now: OffsetDateTime,
        options: SweepOptions,
    ) -> Result<SweepReport, SweepError> {
        let cutoff = now - ORPHAN_AFTER;
        let old = blobs.written_before(cutoff).await?;
        let mut unused: Vec<ContentHash> = Vec::new();
        for batch in old.chunks(SWEEP_BATCH) {
            let mut tx = self.store.begin().await?;
            for hash in batch {
                if !tx.documents().uses_content(hash).await? {
                    unused.push(*hash);
                }
            }
            tx.commit().await?;
        }
        if !options.force && unused.len() > SWEEP_GUARD_FILES && unused.len() * 2 > old.len() {
            return Err(SweepError::Implausible {
                unused: unused.len(),
                old: old.len(),
            });
        }
        let mut report = SweepReport {
            removed: 0,
            kept: old.len() - unused.len(),
        };
        if options.dry_run {
            report.removed = unused.len();
            return Ok(report);
        }
        for hash in &unused {
            if blobs.remove_written_before(hash, cutoff).await? {
                report.removed += 1;
            } else {
                report.kept += 1;
            }
        }
        Ok(report)
    }
}

/// Who uploaded what, and who may see it.
pub(crate) struct Upload {
    /// The uploader.
    pub(crate) actor: AccountId,
    /// The committed bytes and what the person said they are.
    pub(crate) new: NewDocument,
    /// The audiences of the document and of its receipt.
    pub(crate) visible_to: Visibility,
}

/// Records `upload` on `case` inside `tx` (the caller has checked the uploader's access and
/// commits): the document, its receipt on the case timeline (what, when, by whom) for the same
/// audiences as the document, an audit entry (`document-uploaded`, with the hash and size,
/// never the title), and a `DocumentAdded` alert (the kind only) to the family and the SENDCos
/// except the uploader.
///
/// # Errors
/// [`DocumentError::MissingTitle`], [`DocumentError::TitleTooLong`], [`DocumentError::Empty`],
/// [`DocumentError::TooBig`] (the adapter enforces the limit while streaming; this is the
/// rule's own check), faults.
pub(crate) async fn record<R: SecretSource>(
    tx: &mut dyn UnitOfWork,
    secrets: &R,
    limits: &SizeLimits,
    case: &Case,
    upload: Upload,
    now: OffsetDateTime,
    origin: Option<IpAddr>,
) -> Result<Document, DocumentError> {
    let Upload {
        actor,
        new,
        visible_to,
    } = upload;
    let title = clean_title(&new.title)?;
    if new.blob.size_bytes == 0 {
        return Err(DocumentError::Empty);
    }
    let limit = limits.for_type(new.content_type);
    if new.blob.size_bytes > limit {
        return Err(DocumentError::TooBig { limit });
    }
    let file_name = clean_file_name(&new.file_name)
        .unwrap_or_else(|| format!("document.{}", new.content_type.extension()));
    let case_id = case.id;
    let document = Document {
        id: DocumentId::generate(secrets)?,
        case: case_id,
        hash: new.blob.hash,
        file_name,
        content_type: new.content_type,
        size_bytes: new.blob.size_bytes,
        title,
        kind: new.kind,
        uploaded_by: actor,
        uploaded_at: now,
        visible_to,
    };
    tx.documents().insert(&document).await?;
    let by = tx
        .accounts()
        .get(actor)
        .await?
        .map_or_else(String::new, |a| format!(" by {}", a.email));
    tx.cases()
        .append_timeline(&TimelineEntry {
            case: case_id,
            at: now,
            actor: Some(actor),
            what: format!(
                "Document uploaded{by}: {} ({}, {}, {}, file {})",
                document.title,
                document.kind.describe(),
                document.content_type.describe(),
                size_in_words(document.size_bytes),
                document.file_name
            ),
            visible_to,
        })
        .await?;
    let detail = format!(
        "document {} uploaded ({}, {} bytes, sha256 {})",
        document.id,
        document.content_type.as_str(),
        document.size_bytes,
        document.hash
    );
    tx.audit()
        .append(&audit(
            actor,
            AuditKind::DocumentUploaded,
            case_id,
            &detail,
            now,
            origin,
        ))
        .await?;
    let update = CaseUpdate::DocumentAdded {
        kind: document.kind.describe().to_owned(),
    };
    // Only those who can open it are told of it.
    alert_each(tx, secrets, case, Some(actor), now, |role| {
        let sees = match role {
            Role::Sendco { .. } => visible_to.setting,
            Role::ParentCarer { .. } | Role::YoungPerson { .. } | Role::Advocate { .. } => {
                visible_to.family
            }
            _ => false,
        };
        sees.then(|| update.clone())
    })
    .await?;
    Ok(document)
}
