//! [`DocumentRepository`] on SQLite: one row per upload in `documents` (migration
//! `0005_documents.sql`); the bytes are in the document store.

use async_trait::async_trait;
use ehc_core::account::AccountId;
use ehc_core::case::CaseId;
use ehc_core::case::timeline::Visibility;
use ehc_core::document::{
    ContentHash, ContentType, Document, DocumentId, DocumentKind, DocumentRepository,
};
use ehc_core::ports::StoreError;
use sqlx::sqlite::SqliteRow;
use sqlx::types::Json;
use sqlx::{Row, Sqlite};

use crate::error::{from_sqlx, timed, unreadable};
use crate::time::Ts;
use crate::unit_of_work::SqliteUnitOfWork;

const COLUMNS: &str = "id, case_id, content_hash, file_name, content_type, size_bytes, title, \
                       kind, uploaded_by, uploaded_at, visible_to";

fn get<'r, T>(row: &'r SqliteRow, column: &str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, Sqlite> + sqlx::Type<Sqlite>,
{
    row.try_get(column).map_err(from_sqlx)
}

fn document_from(row: &SqliteRow) -> Result<Document, StoreError> {
    let hash: String = get(row, "content_hash")?;
    let content_type: String = get(row, "content_type")?;
    let kind: String = get(row, "kind")?;
    let size: i64 = get(row, "size_bytes")?;
    Ok(Document {
        id: DocumentId(get(row, "id")?),
        case: CaseId(get(row, "case_id")?),
        hash: ContentHash::parse(&hash).map_err(|e| unreadable("content hash", e))?,
        file_name: get(row, "file_name")?,
        content_type: ContentType::parse(&content_type)
            .ok_or_else(|| unreadable("content type", &content_type))?,
        size_bytes: u64::try_from(size).map_err(|e| unreadable("document size", e))?,
        title: get(row, "title")?,
        kind: DocumentKind::parse(&kind).ok_or_else(|| unreadable("document kind", &kind))?,
        uploaded_by: AccountId(get(row, "uploaded_by")?),
        uploaded_at: get::<Ts>(row, "uploaded_at")?.0,
        visible_to: row
            .try_get::<Json<Visibility>, _>("visible_to")
            .map_err(|e| unreadable("document visibility", e))?
            .0,
    })
}

#[async_trait]
impl DocumentRepository for SqliteUnitOfWork {
    async fn insert(&mut self, document: &Document) -> Result<(), StoreError> {
        let size = i64::try_from(document.size_bytes).map_err(|_| StoreError::Unexpected {
            reason: format!("document size {} is out of range", document.size_bytes),
        })?;
        timed(
            self.limit,
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "INSERT INTO documents ({COLUMNS})
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"
            )))
            .bind(document.id.0)
            .bind(document.case.0)
            .bind(document.hash.to_hex())
            .bind(&document.file_name)
            .bind(document.content_type.as_str())
            .bind(size)
            .bind(&document.title)
            .bind(document.kind.as_str())
            .bind(document.uploaded_by.0)
            .bind(Ts(document.uploaded_at))
            .bind(Json(document.visible_to))
            .execute(&mut *self.tx),
        )
        .await?;
        Ok(())
    }

    async fn get(&mut self, id: DocumentId) -> Result<Option<Document>, StoreError> {
        let row = timed(
            self.limit,
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM documents WHERE id = ?1"
            )))
            .bind(id.0)
            .fetch_optional(&mut *self.tx),
        )
        .await?;
        row.as_ref().map(document_from).transpose()
    }

    async fn for_case(&mut self, case: CaseId) -> Result<Vec<Document>, StoreError> {
        let rows = timed(
            self.limit,
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {COLUMNS} FROM documents WHERE case_id = ?1
                 ORDER BY uploaded_at DESC, id DESC"
            )))
            .bind(case.0)
            .fetch_all(&mut *self.tx),
        )
        .await?;
        rows.iter().map(document_from).collect()
    }

    async fn uses_content(&mut self, hash: &ContentHash) -> Result<bool, StoreError> {
        // `documents_by_content_hash` answers it.
        let used: bool = timed(
            self.limit,
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM documents WHERE content_hash = ?1)")
                .bind(hash.to_hex())
                .fetch_one(&mut *self.tx),
        )
        .await?;
        Ok(used)
    }
}
