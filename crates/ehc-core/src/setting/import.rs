//! [`SettingImport`]: loads a GIAS establishment file into the store, all or nothing.
//!
//! One unit of work holds the whole import: the rows are upserted as they stream from the
//! [`GiasReader`], and the unit of work is committed only when every row was good and there was
//! at least one. A bad header, any bad row, an empty file or a storage fault drops it
//! uncommitted, so the settings stay exactly as they were. After the first bad row nothing more
//! is written, but the rest of the file is still read so that every bad row can be reported
//! (the first [`MAX_REPORTED_ROWS`] of them, and how many more).

use std::fmt;
use std::io::Read;

use super::UpsertOutcome;
use super::gias::{GiasHeaderError, GiasReader, GiasRowError};
use crate::ports::{Store, StoreError};

/// The most row errors an [`ImportError::Rows`] lists; the others are only counted.
pub const MAX_REPORTED_ROWS: usize = 100;

/// What a successful import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ImportReport {
    /// Settings whose URN was new.
    pub inserted: u64,
    /// Settings whose URN was already known: their fields were overwritten.
    pub updated: u64,
}

impl ImportReport {
    /// Every setting of the file: `inserted + updated`.
    pub fn total(&self) -> u64 {
        self.inserted + self.updated
    }
}

/// The bad rows of a file: the first [`MAX_REPORTED_ROWS`] in file order, and how many more.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RowErrors {
    /// The first bad rows, in file order (at most [`MAX_REPORTED_ROWS`]).
    pub listed: Vec<GiasRowError>,
    /// How many bad rows came after those listed.
    pub more: u64,
}

impl RowErrors {
    /// Every bad row, listed or not.
    pub fn total(&self) -> u64 {
        self.listed.len() as u64 + self.more
    }

    fn push(&mut self, error: GiasRowError) {
        if self.listed.len() < MAX_REPORTED_ROWS {
            self.listed.push(error);
        } else {
            self.more += 1;
        }
    }

    fn is_empty(&self) -> bool {
        self.listed.is_empty()
    }
}

impl fmt::Display for RowErrors {
    /// One bad row: `Line 7: …`. Several: `3 lines of the file are wrong:` then one `Line N: …`
    /// per line, then `…and N more lines are wrong.` when some were not listed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let [only] = self.listed.as_slice()
            && self.more == 0
        {
            return write!(f, "{only}");
        }
        write!(f, "{} lines of the file are wrong:", self.total())?;
        for error in &self.listed {
            write!(f, "\n{error}")?;
        }
        if self.more > 0 {
            write!(f, "\n…and {} more lines are wrong.", self.more)?;
        }
        Ok(())
    }
}

/// Why nothing was imported. In every case the settings are as they were before.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// The header row was refused (missing columns are named); no row was read.
    #[error(transparent)]
    Header(#[from] GiasHeaderError),
    /// Some rows were refused: each with its line and reason.
    #[error("{0}")]
    Rows(RowErrors),
    /// The file has a good header row and no row under it.
    #[error("The file has GIAS's header row but no settings under it")]
    Empty,
    /// The store failed (an upsert, or the commit).
    #[error("The database failed: {0}")]
    Store(#[from] StoreError),
}

/// Imports GIAS establishment files into the settings of a [`Store`].
#[derive(Debug, Clone)]
pub struct SettingImport<S> {
    store: S,
}

impl<S: Store> SettingImport<S> {
    /// The service over this store.
    pub fn new(store: S) -> Self {
        Self { store }
    }

    /// Reads a GIAS establishment file from `reader` (see [`super::gias`] for the layout) and
    /// upserts each of its settings by URN, all in one unit of work. After each row, and once
    /// at the end, `progress` is told how many bytes of the file have been parsed so far (it
    /// ends at the file's size).
    ///
    /// `reader` is read synchronously, between the store's calls: give it a file or a buffer
    /// (in a server, run the import where blocking briefly is allowed). On SQLite the unit of
    /// work holds the database's write lock until it ends.
    ///
    /// # Errors
    /// Nothing is changed in any of these cases:
    /// - [`ImportError::Header`]: the header row was refused;
    /// - [`ImportError::Rows`]: some rows were refused (every bad row is reported);
    /// - [`ImportError::Empty`]: no row under the header;
    /// - [`ImportError::Store`]: the store failed.
    pub async fn import<R: Read>(
        &self,
        reader: R,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<ImportReport, ImportError> {
        let mut rows = GiasReader::new(reader)?;
        progress(rows.bytes_read());
        let mut tx = self.store.begin().await?;
        let mut report = ImportReport::default();
        let mut errors = RowErrors::default();
        let mut seen_a_row = false;
        while let Some(row) = rows.next() {
            seen_a_row = true;
            match row {
                Ok(setting) if errors.is_empty() => match tx.settings().upsert(&setting).await? {
                    UpsertOutcome::Inserted => report.inserted += 1,
                    UpsertOutcome::Updated => report.updated += 1,
                },
                // A bad row came before: write nothing more, only look for other bad rows.
                Ok(_) => {}
                Err(error) => errors.push(error),
            }
            progress(rows.bytes_read());
        }
        if !errors.is_empty() {
            return Err(ImportError::Rows(errors));
        }
        if !seen_a_row {
            return Err(ImportError::Empty);
        }
        tx.commit().await?;
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setting::{EducationSetting, SettingStatus, Urn};
    use crate::test_support::InMemoryStore;

    const SETTINGS: &[u8] = include_bytes!("../../../../tests/fixtures/gias/settings.csv");
    const UPDATED: &[u8] = include_bytes!("../../../../tests/fixtures/gias/updated.csv");
    const BAD_URN: &[u8] = include_bytes!("../../../../tests/fixtures/gias/bad-urn.csv");
    const NOT_UTF8: &[u8] = include_bytes!("../../../../tests/fixtures/gias/not-utf8.csv");
    const WRONG_COLUMNS: &[u8] =
        include_bytes!("../../../../tests/fixtures/gias/wrong-columns.csv");
    const HEADER_ONLY: &[u8] = include_bytes!("../../../../tests/fixtures/gias/header-only.csv");

    fn urn(n: u32) -> Urn {
        Urn::parse(&n.to_string()).unwrap()
    }

    async fn import(store: &InMemoryStore, file: &[u8]) -> Result<ImportReport, ImportError> {
        SettingImport::new(store.clone())
            .import(file, &mut |_| {})
            .await
    }

    async fn everything(store: &InMemoryStore) -> Vec<EducationSetting> {
        let urns: Vec<Urn> = (100_000..=100_099).map(urn).collect();
        let mut tx = store.begin().await.unwrap();
        tx.settings().get_many(&urns).await.unwrap()
    }

    #[test]
    fn a_good_file_is_imported_and_a_second_run_updates_by_urn() {
        pollster::block_on(async {
            let store = InMemoryStore::new();
            let mut seen = Vec::new();
            let report = SettingImport::new(store.clone())
                .import(SETTINGS, &mut |bytes| seen.push(bytes))
                .await
                .unwrap();
            assert_eq!(
                report,
                ImportReport {
                    inserted: 12,
                    updated: 0
                }
            );
            assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
            assert_eq!(seen.last(), Some(&(SETTINGS.len() as u64)));

            let report = import(&store, UPDATED).await.unwrap();
            assert_eq!(
                report,
                ImportReport {
                    inserted: 1,
                    updated: 12
                }
            );
            let mut tx = store.begin().await.unwrap();
            assert_eq!(tx.settings().count().await.unwrap(), 13);
            let renamed = tx.settings().get(urn(100_002)).await.unwrap().unwrap();
            assert_eq!(renamed.name, "Anytown Church of England Primary Academy");
            assert_eq!(renamed.kind, "Academy converter");
            let closed = tx.settings().get(urn(100_001)).await.unwrap().unwrap();
            assert_eq!(closed.status, SettingStatus::Closed);
        });
    }

    #[test]
    fn each_bad_file_changes_nothing_and_says_why() {
        pollster::block_on(async {
            let store = InMemoryStore::new();
            import(&store, SETTINGS).await.unwrap();
            let before = everything(&store).await;
            assert_eq!(before.len(), 12);

            let err = import(&store, BAD_URN).await.unwrap_err();
            let ImportError::Rows(rows) = &err else {
                panic!("{err:?}")
            };
            assert_eq!(rows.listed.len(), 1, "{err}");
            assert_eq!(rows.listed[0].line, 3);
            assert!(
                err.to_string().starts_with("Line 3: the URN \"10O003\""),
                "{err}"
            );

            let err = import(&store, NOT_UTF8).await.unwrap_err();
            assert!(
                err.to_string().contains("is not UTF-8 text")
                    && err.to_string().contains("iconv -f WINDOWS-1252 -t UTF-8"),
                "{err}"
            );

            let err = import(&store, WRONG_COLUMNS).await.unwrap_err();
            assert!(
                matches!(&err, ImportError::Header(GiasHeaderError::MissingColumns(c))
                    if c == &["URN".to_owned(), "EstablishmentStatus (name)".to_owned()]),
                "{err:?}"
            );

            assert_eq!(import(&store, HEADER_ONLY).await, Err(ImportError::Empty));
            assert_eq!(
                import(&store, b"").await,
                Err(GiasHeaderError::NoHeader.into())
            );

            assert_eq!(everything(&store).await, before);
        });
    }

    #[test]
    fn every_bad_row_is_counted_and_the_first_hundred_are_listed() {
        pollster::block_on(async {
            let store = InMemoryStore::new();
            let mut file = String::from(
                "URN,LA (code),EstablishmentName,TypeOfEstablishment (name),\
                 EstablishmentStatus (name),PhaseOfEducation (name)\n",
            );
            for i in 0..250 {
                // Every other row is good: good rows after a bad one must not be written.
                let urn = if i % 2 == 0 {
                    "bad".to_owned()
                } else {
                    format!("{}", 200_000 + i)
                };
                file.push_str(&format!(
                    "{urn},999,School {i},Community school,Open,Primary\n"
                ));
            }
            let err = import(&store, file.as_bytes()).await.unwrap_err();
            let ImportError::Rows(rows) = &err else {
                panic!("{err:?}")
            };
            assert_eq!(rows.listed.len(), MAX_REPORTED_ROWS);
            assert_eq!(rows.more, 25);
            assert_eq!(rows.total(), 125);
            assert_eq!(rows.listed[0].line, 2);
            assert_eq!(rows.listed[99].line, 200);
            let text = err.to_string();
            assert!(
                text.starts_with("125 lines of the file are wrong:\nLine 2: "),
                "{text}"
            );
            assert!(text.ends_with("\n…and 25 more lines are wrong."), "{text}");
            let mut tx = store.begin().await.unwrap();
            assert_eq!(tx.settings().count().await.unwrap(), 0);
        });
    }
}
