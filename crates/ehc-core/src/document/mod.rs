//! Documents and media on a case: reports, evidence, advice, photos, short videos, audio.
//!
//! The bytes of a document never enter the core: adapters stream them to a document store and
//! through a virus scanner, and the core decides what may be kept and who may see it.
//!
//! In the hexagon:
//!
//! | piece | what | where |
//! |---|---|---|
//! | model | [`Document`] (the metadata of one upload), [`ContentHash`], [`ContentType`], [`DocumentKind`], [`SizeLimits`] | here |
//! | sniffing | [`sniff`]: the type from the first bytes, never from the file name or the browser | [`sniff`] |
//! | ports | [`DocumentStore`] (the bytes, content-addressed), [`DocumentRepository`] (the metadata, in the unit of work), [`scan::VirusScanner`] | [`store`], [`repository`], [`scan`] |
//! | use cases | who may upload and download, the receipt on the case timeline, the audit entries, the alert | [`DocumentService`] |
//!
//! An upload goes: the web adapter asks [`DocumentService::may_upload`], stages the bytes as
//! they arrive ([`DocumentStore::stage`]) while it checks the size against [`SizeLimits`] and
//! the type with [`sniff`], has the staged file scanned, commits it under its hash, then
//! records it with [`DocumentService::record_upload`]. A refused upload is discarded: nothing
//! is stored. Files sent with an online request are committed the same way, wait in the
//! person's session, and are recorded with the new case by
//! [`crate::case::CaseService::send_request`]. Content committed and never recorded is removed
//! a day later by [`DocumentService::sweep_orphans`].

pub mod repository;
pub mod scan;
mod service;
pub mod sniff;
pub mod store;

pub use repository::DocumentRepository;
pub use service::{
    DocumentError, DocumentService, NewDocument, ORPHAN_AFTER, SWEEP_GUARD_FILES, SweepError,
    SweepOptions, SweepReport, clean_title,
};
pub(crate) use service::{Upload, record};
pub use sniff::{SNIFF_BYTES, sniff};
pub use store::{DocumentStore, DocumentStoreError, StagedUpload, StoredBlob};

use serde::{Deserialize, Serialize};
use std::fmt;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::account::{AccountId, random_uuid};
use crate::case::CaseId;
use crate::case::timeline::Visibility;
use crate::ports::{RandomnessUnavailable, SecretSource};

/// A document's identifier (a random UUID).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DocumentId(pub Uuid);

impl DocumentId {
    /// A new random id.
    ///
    /// # Errors
    /// [`RandomnessUnavailable`] from the source.
    pub fn generate(secrets: &dyn SecretSource) -> Result<Self, RandomnessUnavailable> {
        random_uuid(secrets).map(Self)
    }

    /// Parses the hyphenated form used in page addresses; `None` for anything else.
    pub fn parse(input: &str) -> Option<Self> {
        Uuid::try_parse(input).ok().map(Self)
    }
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.hyphenated().fmt(f)
    }
}

/// The SHA-256 digest (FIPS 180-4) of a document's bytes: its address in the document store,
/// so identical content is stored once. Written as 64 lower-case hexadecimal digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ContentHash([u8; 32]);

/// The text is not 64 hexadecimal digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a content hash is 64 lower-case hexadecimal digits")]
pub struct ContentHashError;

impl ContentHash {
    /// The hash of these 32 digest bytes (as the adapter's SHA-256 gives them).
    pub fn from_digest(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Parses 64 lower-case hexadecimal digits.
    ///
    /// # Errors
    /// [`ContentHashError`] for anything else (upper case too: one hash has one spelling).
    pub fn parse(hex: &str) -> Result<Self, ContentHashError> {
        let digits = hex.as_bytes();
        if digits.len() != 64 {
            return Err(ContentHashError);
        }
        let value = |d: u8| match d {
            b'0'..=b'9' => Ok(d - b'0'),
            b'a'..=b'f' => Ok(d - b'a' + 10),
            _ => Err(ContentHashError),
        };
        let mut bytes = [0u8; 32];
        for (byte, pair) in bytes.iter_mut().zip(digits.chunks_exact(2)) {
            *byte = (value(pair[0])? << 4) | value(pair[1])?;
        }
        Ok(Self(bytes))
    }

    /// The digest's bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The 64 lower-case hexadecimal digits.
    pub fn to_hex(&self) -> String {
        use fmt::Write as _;
        self.0.iter().fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }
}

impl fmt::Display for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}
impl fmt::Debug for ContentHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ContentHash({})", self.to_hex())
    }
}
impl TryFrom<String> for ContentHash {
    type Error = ContentHashError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}
impl From<ContentHash> for String {
    fn from(value: ContentHash) -> Self {
        value.to_hex()
    }
}

/// The broad family of a content type, which sets its size limit ([`SizeLimits`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaFamily {
    /// PDF and Word documents.
    Document,
    /// Photos and scans (JPEG, PNG, HEIC).
    Image,
    /// Sound recordings (MP3, M4A, WAV).
    Audio,
    /// Short videos (MP4, MOV).
    Video,
}

/// A content type the hub accepts: the allow-list. Anything [`sniff`] cannot name is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ContentType {
    /// PDF (ISO 32000), `%PDF-` at the start.
    Pdf,
    /// Word 97–2003 (`.doc`), an OLE2 compound file.
    Doc,
    /// Word (`.docx`), Office Open XML (ISO/IEC 29500): a ZIP holding `word/`.
    Docx,
    /// JPEG image.
    Jpeg,
    /// PNG image.
    Png,
    /// HEIC/HEIF image (ISO/IEC 23008-12), as phones take photos.
    Heic,
    /// MP4 video (ISO/IEC 14496-14).
    Mp4,
    /// QuickTime video (`.mov`).
    QuickTime,
    /// MP3 audio.
    Mp3,
    /// M4A audio (AAC in an MP4 container).
    M4a,
    /// WAV audio (RIFF WAVE).
    Wav,
}

impl ContentType {
    /// Every accepted type.
    pub const ALL: [Self; 11] = [
        Self::Pdf,
        Self::Doc,
        Self::Docx,
        Self::Jpeg,
        Self::Png,
        Self::Heic,
        Self::Mp4,
        Self::QuickTime,
        Self::Mp3,
        Self::M4a,
        Self::Wav,
    ];

    /// The registered media type (RFC 6838), for `Content-Type` headers.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Pdf => "application/pdf",
            Self::Doc => "application/msword",
            Self::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Heic => "image/heic",
            Self::Mp4 => "video/mp4",
            Self::QuickTime => "video/quicktime",
            Self::Mp3 => "audio/mpeg",
            Self::M4a => "audio/mp4",
            Self::Wav => "audio/wav",
        }
    }

    /// The usual file extension, without the dot (a download's name ends with it).
    pub fn extension(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Doc => "doc",
            Self::Docx => "docx",
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Heic => "heic",
            Self::Mp4 => "mp4",
            Self::QuickTime => "mov",
            Self::Mp3 => "mp3",
            Self::M4a => "m4a",
            Self::Wav => "wav",
        }
    }

    /// Words for pages: "PDF", "Word document", "JPG image", …
    pub fn describe(self) -> &'static str {
        match self {
            Self::Pdf => "PDF",
            Self::Doc | Self::Docx => "Word document",
            Self::Jpeg => "JPG image",
            Self::Png => "PNG image",
            Self::Heic => "HEIC image",
            Self::Mp4 => "MP4 video",
            Self::QuickTime => "MOV video",
            Self::Mp3 => "MP3 audio",
            Self::M4a => "M4A audio",
            Self::Wav => "WAV audio",
        }
    }

    /// Stable storage name (kebab-case).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pdf => "pdf",
            Self::Doc => "doc",
            Self::Docx => "docx",
            Self::Jpeg => "jpeg",
            Self::Png => "png",
            Self::Heic => "heic",
            Self::Mp4 => "mp4",
            Self::QuickTime => "quick-time",
            Self::Mp3 => "mp3",
            Self::M4a => "m4a",
            Self::Wav => "wav",
        }
    }

    /// The inverse of [`ContentType::as_str`].
    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == input)
    }

    /// Its family, for the size limit.
    pub fn family(self) -> MediaFamily {
        match self {
            Self::Pdf | Self::Doc | Self::Docx => MediaFamily::Document,
            Self::Jpeg | Self::Png | Self::Heic => MediaFamily::Image,
            Self::Mp3 | Self::M4a | Self::Wav => MediaFamily::Audio,
            Self::Mp4 | Self::QuickTime => MediaFamily::Video,
        }
    }

    /// Whether a browser may show it in the page (`Content-Disposition: inline`): images and
    /// PDF. Everything else is downloaded as an attachment.
    pub fn shown_inline(self) -> bool {
        matches!(self, Self::Pdf | Self::Jpeg | Self::Png)
    }
}

/// What a document is, in the person's words (the upload form's choice).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DocumentKind {
    /// A report (e.g. a medical or an educational psychology report).
    Report,
    /// Evidence, such as a setting's SEN support records.
    Evidence,
    /// Advice for the EHC needs assessment (reg 6(1)).
    Advice,
    /// An EHC plan, draft or final, as a document (reg 12, 13).
    Plan,
    /// A photo.
    Photo,
    /// A short video.
    Video,
    /// A sound recording.
    Audio,
    /// A scanned paper document or letter.
    ScannedDocument,
    /// Anything else.
    Other,
}

impl DocumentKind {
    /// Every kind, in form order.
    pub const ALL: [Self; 9] = [
        Self::Report,
        Self::Evidence,
        Self::Advice,
        Self::Plan,
        Self::Photo,
        Self::Video,
        Self::Audio,
        Self::ScannedDocument,
        Self::Other,
    ];

    /// Stable name for forms and storage.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Report => "report",
            Self::Evidence => "evidence",
            Self::Advice => "advice",
            Self::Plan => "plan",
            Self::Photo => "photo",
            Self::Video => "video",
            Self::Audio => "audio",
            Self::ScannedDocument => "scanned-document",
            Self::Other => "other",
        }
    }

    /// Words for pages and e-mail alerts (never anything about the child).
    pub fn describe(self) -> &'static str {
        match self {
            Self::Report => "Report",
            Self::Evidence => "Evidence",
            Self::Advice => "Advice",
            Self::Plan => "EHC plan (draft or final)",
            Self::Photo => "Photo",
            Self::Video => "Video",
            Self::Audio => "Sound recording",
            Self::ScannedDocument => "Scanned document",
            Self::Other => "Other document",
        }
    }

    /// The inverse of [`DocumentKind::as_str`].
    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == input)
    }
}

/// Largest accepted upload of each [`MediaFamily`], in bytes (1 MB = 1 048 576 bytes, as
/// people's computers count). Configurable by the LA; the defaults are documents 20 MB,
/// images 20 MB, audio 50 MB, videos 200 MB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SizeLimits {
    /// PDF and Word documents.
    pub document_bytes: u64,
    /// Images.
    pub image_bytes: u64,
    /// Audio.
    pub audio_bytes: u64,
    /// Videos.
    pub video_bytes: u64,
}

/// One megabyte, as size limits count it.
pub const MB: u64 = 1024 * 1024;

impl Default for SizeLimits {
    fn default() -> Self {
        Self {
            document_bytes: 20 * MB,
            image_bytes: 20 * MB,
            audio_bytes: 50 * MB,
            video_bytes: 200 * MB,
        }
    }
}

impl SizeLimits {
    /// The limit for a type, in bytes.
    pub fn for_type(&self, content_type: ContentType) -> u64 {
        match content_type.family() {
            MediaFamily::Document => self.document_bytes,
            MediaFamily::Image => self.image_bytes,
            MediaFamily::Audio => self.audio_bytes,
            MediaFamily::Video => self.video_bytes,
        }
    }

    /// The largest of the limits: no upload of any type may be longer.
    pub fn largest(&self) -> u64 {
        self.document_bytes
            .max(self.image_bytes)
            .max(self.audio_bytes)
            .max(self.video_bytes)
    }
}

/// A size in words, as GOV.UK writes limits: "20 MB", "1.5 MB", "300 KB".
pub fn size_in_words(bytes: u64) -> String {
    if bytes >= MB {
        let tenths = bytes * 10 / MB;
        if tenths.is_multiple_of(10) {
            format!("{} MB", tenths / 10)
        } else {
            format!("{}.{} MB", tenths / 10, tenths % 10)
        }
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

/// Longest file name kept, in characters.
pub const MAX_FILE_NAME: usize = 120;

/// The file name as the person's computer gave it, made safe to keep and show: the last part
/// of any path (`C:\Users\…\report.pdf` → `report.pdf`), [`crate::case::clean_text`] on one
/// line, at most [`MAX_FILE_NAME`] characters; `None` when nothing is left. Only for showing:
/// the type is never read from it.
pub fn clean_file_name(given: &str) -> Option<String> {
    let last = given.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned = crate::case::clean_text(last, false);
    let cut: String = cleaned.chars().take(MAX_FILE_NAME).collect();
    let cut = cut.trim().to_owned();
    (!cut.is_empty()).then_some(cut)
}

/// Longest title, in characters.
pub const MAX_TITLE: usize = 200;

/// One document kept on a case: its metadata (the bytes are in the [`DocumentStore`] under
/// [`Document::hash`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Document {
    /// Identifier.
    pub id: DocumentId,
    /// The case it belongs to.
    pub case: CaseId,
    /// The SHA-256 of its bytes: where the store keeps them.
    pub hash: ContentHash,
    /// The file name as given, cleaned ([`clean_file_name`]).
    pub file_name: String,
    /// The type sniffed from the content.
    pub content_type: ContentType,
    /// Its length in bytes.
    pub size_bytes: u64,
    /// What the person called it (1 to [`MAX_TITLE`] characters).
    pub title: String,
    /// What it is.
    pub kind: DocumentKind,
    /// Who uploaded it.
    pub uploaded_by: AccountId,
    /// When it was recorded.
    pub uploaded_at: OffsetDateTime,
    /// Who may see and download it (the case's audiences, as for timeline entries).
    pub visible_to: Visibility,
}
