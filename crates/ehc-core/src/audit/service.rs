//! The audit log viewer: LA officers search the log by person, case, kind and time, page
//! through it newest first and export it. Each search and each export is appended to the log in
//! the unit of work that reads it.

use std::net::IpAddr;
use time::OffsetDateTime;

use super::{AuditEntry, AuditEvent, AuditFilter, AuditKey, AuditKind, PagePosition};
use crate::account::{AccountId, EmailAddress};
use crate::case::LaReference;
use crate::ports::{Store, StoreError, UnitOfWork};
use crate::role::{Action, authorize};

/// Entries on one page of the audit page.
pub const PAGE_SIZE: u32 = 50;

/// Entries read at a time by an export ([`AuditService::export_chunk`]).
pub const EXPORT_CHUNK: u32 = 500;

/// A search as the officer entered it: the text fields as typed, the dates already turned into
/// instants by the caller (the web layer reads Europe/London calendar days).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditSearch {
    /// The person's e-mail address (`""`: anyone).
    pub person: String,
    /// The case's LA reference (`""`: any case or none).
    pub case: String,
    /// An [`AuditKind::as_str`] name (`""`: every kind).
    pub kind: String,
    /// Entries at or after this instant.
    pub from: Option<OffsetDateTime>,
    /// Entries before this instant (exclusive).
    pub until: Option<OffsetDateTime>,
}

/// The field a [`FilterError`] belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterField {
    /// [`AuditSearch::person`].
    Person,
    /// [`AuditSearch::case`].
    Case,
    /// [`AuditSearch::kind`].
    Kind,
    /// [`AuditSearch::until`] (the end of the range).
    Until,
}

/// A filter the search cannot use. Each message is fit to show next to its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// The person's address is not an e-mail address (the message says why).
    #[error("{0}")]
    BadAddress(String),
    /// No account has the person's address.
    #[error("There is no one with this email address on the hub")]
    UnknownPerson,
    /// The LA reference is not a reference (the message says why).
    #[error("{0}")]
    BadReference(String),
    /// No case has the LA reference.
    #[error("There is no case with this LA reference")]
    UnknownCase,
    /// The kind is not one of [`AuditKind::ALL`].
    #[error("Select a kind of entry from the list")]
    UnknownKind,
    /// The range ends before it starts.
    #[error("The last day must be the same as or after the first day")]
    EndsBeforeStart,
}

impl FilterError {
    /// The field the error belongs to.
    pub fn field(&self) -> FilterField {
        match self {
            Self::BadAddress(_) | Self::UnknownPerson => FilterField::Person,
            Self::BadReference(_) | Self::UnknownCase => FilterField::Case,
            Self::UnknownKind => FilterField::Kind,
            Self::EndsBeforeStart => FilterField::Until,
        }
    }
}

/// Why a search or export was not made. Nothing is read or appended in any case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditServiceError {
    /// The person is not an LA officer.
    #[error("only the local authority's officers may see the audit log")]
    NotAllowed,
    /// One or more filters cannot be used (every one found, in field order).
    #[error("the filters cannot be used")]
    Invalid(Vec<FilterError>),
    /// A storage fault.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One page of a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditPage {
    /// Up to [`PAGE_SIZE`] entries, newest first.
    pub entries: Vec<AuditEntry>,
    /// The key to ask for newer entries with ([`PagePosition::NewerThan`]), when there are
    /// some (*Previous page*).
    pub newer: Option<AuditKey>,
    /// The key to ask for older entries with ([`PagePosition::OlderThan`]), when there are
    /// some (*Next page*).
    pub older: Option<AuditKey>,
}

/// An export an LA officer was allowed to make and which is already in the log: read it with
/// [`AuditService::export_chunk`] until a chunk comes back empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditExport {
    filter: AuditFilter,
}

/// The audit log viewer's use cases over a store.
#[derive(Debug, Clone)]
pub struct AuditService<S> {
    store: S,
}

impl<S: Store> AuditService<S> {
    /// A service over this store.
    pub fn new(store: S) -> Self {
        Self { store }
    }

    /// Checks `search` for `viewer` without searching or appending anything (a caller whose own
    /// fields are already wrong still lists every error at once).
    ///
    /// # Errors
    /// As [`AuditService::search`].
    pub async fn check(
        &self,
        viewer: AccountId,
        search: &AuditSearch,
        now: OffsetDateTime,
    ) -> Result<(), AuditServiceError> {
        let mut tx = self.store.begin().await?;
        checked_filter(&mut *tx, viewer, search, now).await?;
        Ok(())
    }

    /// One page of the entries `search` selects, from `position`, for `viewer`; appends an
    /// [`AuditKind::AuditSearched`] entry saying which filters and page (after reading, so the
    /// page does not show its own entry).
    ///
    /// # Errors
    /// [`AuditServiceError::NotAllowed`] unless `viewer` is an LA officer at `now`;
    /// [`AuditServiceError::Invalid`] with every filter that cannot be used; storage faults.
    pub async fn search(
        &self,
        viewer: AccountId,
        search: &AuditSearch,
        position: PagePosition,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<AuditPage, AuditServiceError> {
        let mut tx = self.store.begin().await?;
        let filter = checked_filter(&mut *tx, viewer, search, now).await?;
        let mut entries = tx.audit().search(&filter, position, PAGE_SIZE + 1).await?;
        let more = entries.len() > PAGE_SIZE as usize;
        // One entry beyond the page says whether there are more in the direction read.
        let (newer, older) = match position {
            PagePosition::Newest | PagePosition::OlderThan(_) => {
                entries.truncate(PAGE_SIZE as usize);
                let newer = matches!(position, PagePosition::OlderThan(_))
                    .then(|| entries.first().map(|e| e.key))
                    .flatten();
                (newer, more.then(|| entries.last().map(|e| e.key)).flatten())
            }
            PagePosition::NewerThan(_) => {
                if more {
                    entries.remove(0);
                }
                (
                    more.then(|| entries.first().map(|e| e.key)).flatten(),
                    entries.last().map(|e| e.key),
                )
            }
        };
        let page = match position {
            PagePosition::Newest => "the newest".to_owned(),
            PagePosition::OlderThan(key) => format!("older than {}", key.to_param()),
            PagePosition::NewerThan(key) => format!("newer than {}", key.to_param()),
        };
        tx.audit()
            .append(&viewing(
                viewer,
                AuditKind::AuditSearched,
                &filter,
                &format!("; page: {page}"),
                now,
                origin,
            ))
            .await?;
        tx.commit().await?;
        Ok(AuditPage {
            entries,
            newer,
            older,
        })
    }

    /// Checks `search` for `viewer` and appends an [`AuditKind::AuditExported`] entry saying
    /// which filters; the entries themselves are read with [`AuditService::export_chunk`].
    ///
    /// # Errors
    /// As [`AuditService::search`].
    pub async fn export(
        &self,
        viewer: AccountId,
        search: &AuditSearch,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<AuditExport, AuditServiceError> {
        let mut tx = self.store.begin().await?;
        let filter = checked_filter(&mut *tx, viewer, search, now).await?;
        tx.audit()
            .append(&viewing(
                viewer,
                AuditKind::AuditExported,
                &filter,
                "",
                now,
                origin,
            ))
            .await?;
        tx.commit().await?;
        Ok(AuditExport { filter })
    }

    /// The next [`EXPORT_CHUNK`] entries of `export`, newest first: the newest when `after` is
    /// `None`, else those older than `after` (the last key of the previous chunk). Empty at the
    /// end.
    ///
    /// # Errors
    /// Storage faults.
    pub async fn export_chunk(
        &self,
        export: &AuditExport,
        after: Option<AuditKey>,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let position = after.map_or(PagePosition::Newest, PagePosition::OlderThan);
        let mut tx = self.store.begin().await?;
        let entries = tx
            .audit()
            .search(&export.filter, position, EXPORT_CHUNK)
            .await?;
        tx.commit().await?;
        Ok(entries)
    }
}

/// The filter of `search` once `viewer` is known to be an LA officer and every field is usable.
async fn checked_filter(
    tx: &mut (dyn UnitOfWork + '_),
    viewer: AccountId,
    search: &AuditSearch,
    now: OffsetDateTime,
) -> Result<AuditFilter, AuditServiceError> {
    let grants = tx.grants().for_account(viewer).await?;
    if !authorize(&grants, &Action::ViewAuditLog, now) {
        return Err(AuditServiceError::NotAllowed);
    }
    let mut errors = Vec::new();
    let mut filter = AuditFilter {
        from: search.from,
        until: search.until,
        ..AuditFilter::default()
    };
    if !search.person.trim().is_empty() {
        match EmailAddress::parse(&search.person) {
            Err(e) => errors.push(FilterError::BadAddress(e.to_string())),
            Ok(email) => match tx.accounts().find_by_email(&email).await? {
                Some(account) => filter.person = Some(account.id),
                None => errors.push(FilterError::UnknownPerson),
            },
        }
    }
    if !search.case.trim().is_empty() {
        match LaReference::parse(&search.case) {
            Err(e) => errors.push(FilterError::BadReference(e.to_string())),
            Ok(reference) => match tx.cases().find_by_reference(&reference).await? {
                Some(case) => filter.case = Some(case),
                None => errors.push(FilterError::UnknownCase),
            },
        }
    }
    if !search.kind.is_empty() {
        match AuditKind::parse(&search.kind) {
            Some(kind) => filter.kind = Some(kind),
            None => errors.push(FilterError::UnknownKind),
        }
    }
    if let (Some(from), Some(until)) = (search.from, search.until)
        && until <= from
    {
        errors.push(FilterError::EndsBeforeStart);
    }
    if errors.is_empty() {
        Ok(filter)
    } else {
        Err(AuditServiceError::Invalid(errors))
    }
}

/// The entry for a search or an export: the person and case as ids (also as its subject and
/// case, so searching for them finds who looked), never their address or reference.
fn viewing(
    viewer: AccountId,
    kind: AuditKind,
    filter: &AuditFilter,
    suffix: &str,
    now: OffsetDateTime,
    origin: Option<IpAddr>,
) -> AuditEvent {
    let mut filters = Vec::new();
    if let Some(person) = filter.person {
        filters.push(format!("person {}", person.0.hyphenated()));
    }
    if let Some(case) = filter.case {
        filters.push(format!("case {case}"));
    }
    if let Some(kind) = filter.kind {
        filters.push(format!("kind {}", kind.as_str()));
    }
    if let Some(from) = filter.from {
        filters.push(format!("from {}", utc_text(from)));
    }
    if let Some(until) = filter.until {
        filters.push(format!("until {}", utc_text(until)));
    }
    let filters = if filters.is_empty() {
        "none".to_owned()
    } else {
        filters.join(", ")
    };
    AuditEvent {
        at: now,
        actor: Some(viewer),
        subject: filter.person,
        kind,
        origin,
        case: filter.case,
        detail: format!("filters: {filters}{suffix}"),
    }
}

/// `at` in UTC as `2026-11-30T09:15:00Z` (to the second).
fn utc_text(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}
