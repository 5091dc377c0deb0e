//! *Download all case information*: the case as the person may see it, for the web layer to
//! write into a ZIP with a printable summary (and, with the documents feature, the documents
//! the person may see). Exactly what the case page shows that person ([`CaseService::view`]),
//! with more of the timeline; every download is written to the audit log as
//! [`AuditKind::CaseDownloaded`] (docs/SECURITY.md: every view or download of a child's case).

use std::net::IpAddr;
use time::OffsetDateTime;

use super::{CaseId, CaseService, CaseServiceError, CaseView};
use crate::account::AccountId;
use crate::audit::AuditKind;
use crate::ports::{SecretSource, Store};

/// Most timeline entries a download holds (the case page shows the latest
/// [`super::TIMELINE_LIMIT`]).
pub const DOWNLOAD_TIMELINE_LIMIT: u32 = 10_000;

impl<S: Store, R: SecretSource + Clone> CaseService<S, R> {
    /// The case as `downloader` may see it, with up to [`DOWNLOAD_TIMELINE_LIMIT`] timeline
    /// entries (newest first); the download is written to the audit log in the same unit of
    /// work that reads the case.
    ///
    /// # Errors
    /// [`CaseServiceError::NotFound`] when the case does not exist or the person may not see it
    /// (nothing is written then); faults.
    pub async fn download(
        &self,
        downloader: AccountId,
        id: CaseId,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<CaseView, CaseServiceError> {
        self.view_as(
            downloader,
            id,
            now,
            origin,
            AuditKind::CaseDownloaded,
            DOWNLOAD_TIMELINE_LIMIT,
        )
        .await
    }
}
