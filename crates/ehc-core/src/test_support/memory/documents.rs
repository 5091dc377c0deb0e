//! The in-memory [`DocumentRepository`]: rows in upload order, read back newest first, with the
//! database adapters' foreign keys (a document names a stored case and account).

use async_trait::async_trait;

use super::MemoryUnitOfWork;
use crate::case::CaseId;
use crate::document::{ContentHash, Document, DocumentId, DocumentRepository};
use crate::ports::StoreError;

#[async_trait]
impl DocumentRepository for MemoryUnitOfWork {
    async fn insert(&mut self, document: &Document) -> Result<(), StoreError> {
        let known_case = self
            .working
            .cases
            .iter()
            .any(|c| c.case.id == document.case);
        let known_account = self
            .working
            .accounts
            .iter()
            .any(|a| a.id == document.uploaded_by);
        let taken = self.working.documents.iter().any(|d| d.id == document.id);
        if !known_case || !known_account || taken {
            return Err(StoreError::Unexpected {
                reason: "documents: unknown case or account, or a repeated id".into(),
            });
        }
        self.working.documents.push(document.clone());
        Ok(())
    }

    async fn get(&mut self, id: DocumentId) -> Result<Option<Document>, StoreError> {
        Ok(self.working.documents.iter().find(|d| d.id == id).cloned())
    }

    async fn for_case(&mut self, case: CaseId) -> Result<Vec<Document>, StoreError> {
        let mut found: Vec<Document> = self
            .working
            .documents
            .iter()
            .filter(|d| d.case == case)
            .cloned()
            .collect();
        found.sort_by(|a, b| b.uploaded_at.cmp(&a.uploaded_at).then(b.id.cmp(&a.id)));
        Ok(found)
    }

    async fn uses_content(&mut self, hash: &ContentHash) -> Result<bool, StoreError> {
        Ok(self.working.documents.iter().any(|d| d.hash == *hash))
    }
}
