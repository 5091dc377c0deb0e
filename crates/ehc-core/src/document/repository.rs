//! The storage port for documents' metadata, in the unit of work
//! ([`crate::ports::UnitOfWork::documents`]), so a document's row, its receipt on the case
//! timeline, its audit entry and its alerts are written together or not at all.

use async_trait::async_trait;

use super::{ContentHash, Document, DocumentId};
use crate::case::CaseId;
use crate::ports::StoreError;

/// Stores [`Document`]s. Rows are never changed once written.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait DocumentRepository: Send {
    /// Stores a new document.
    ///
    /// # Errors
    /// [`StoreError`] on a fault (an unknown case or account is
    /// [`StoreError::Unexpected`]: the service checks both first).
    async fn insert(&mut self, document: &Document) -> Result<(), StoreError>;

    /// The document, if it exists.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn get(&mut self, id: DocumentId) -> Result<Option<Document>, StoreError>;

    /// Every document of the case, newest first (by upload time, then id).
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn for_case(&mut self, case: CaseId) -> Result<Vec<Document>, StoreError>;

    /// Whether any document, of any case, has the content `hash` (the document store's sweep
    /// keeps such content).
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn uses_content(&mut self, hash: &ContentHash) -> Result<bool, StoreError>;
}
