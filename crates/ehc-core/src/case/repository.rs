//! The storage port for cases, their timelines and trays.

use async_trait::async_trait;
use time::Date;

use super::timeline::TimelineEntry;
use super::tray::{TrayPage, TrayQuery};
use super::{Case, CaseId, LaReference};
use crate::ports::StoreError;

/// A case as stored, with the version its next update must name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCase {
    /// The case.
    pub case: Case,
    /// Incremented by every update; starts at 1.
    pub version: i64,
}

/// Why a case could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CaseWriteError {
    /// Another case has this LA reference (the adapter's unique constraint
    /// `cases_la_reference_key`).
    #[error("A case with this LA reference already exists")]
    ReferenceTaken,
    /// A storage fault, or (`StoreError::Conflict`) the case changed since it was read.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Stores cases. Implementations keep the [`super::tray::CaseSummary`] of each case, its
/// linked settings and its next timed alert's day ([`Case::next_timed_alert_on`]) beside it,
/// so trays and the timed alerts are answered by indexed queries.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait CaseRepository: Send {
    /// Stores a new case (version 1).
    ///
    /// # Errors
    /// [`CaseWriteError::ReferenceTaken`], after which the unit of work stays usable (a caller
    /// may try another reference); [`CaseWriteError::Store`] on a fault.
    async fn insert(&mut self, case: &Case) -> Result<(), CaseWriteError>;

    /// The case, if it exists.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn get(&mut self, id: CaseId) -> Result<Option<StoredCase>, StoreError>;

    /// The id of the case with this LA reference, if there is one (references are unique).
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn find_by_reference(
        &mut self,
        reference: &LaReference,
    ) -> Result<Option<CaseId>, StoreError>;

    /// Replaces the case if its stored version is still `version`, then increments it.
    ///
    /// # Errors
    /// [`CaseWriteError::Store`] with [`StoreError::Conflict`] if the version moved on (someone
    /// else changed the case) or the case does not exist; [`CaseWriteError::ReferenceTaken`].
    async fn update(&mut self, case: &Case, version: i64) -> Result<(), CaseWriteError>;

    /// Up to `limit` cases with a timed alert due on or before `today` (their stored
    /// [`Case::next_timed_alert_on`], kept by [`CaseRepository::insert`] and
    /// [`CaseRepository::update`]), in id order, after the case `after` when given (so a caller
    /// reads every due case once, in batches, even when some stay due).
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn alerts_due(
        &mut self,
        today: Date,
        after: Option<CaseId>,
        limit: u32,
    ) -> Result<Vec<CaseId>, StoreError>;

    /// One page of a tray.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn tray(&mut self, query: &TrayQuery) -> Result<TrayPage, StoreError>;

    /// Appends to the case's timeline.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn append_timeline(&mut self, entry: &TimelineEntry) -> Result<(), StoreError>;

    /// The case's timeline, newest first, at most `limit` entries.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn timeline(
        &mut self,
        case: CaseId,
        limit: u32,
    ) -> Result<Vec<TimelineEntry>, StoreError>;
}
