//! Work trays: *My cases in progress*, *Setting cases* and the LA officer's tray. A tray is a
//! [`TrayQuery`] — whose cases ([`TrayScope`], from the viewer's grants), filters, order and a
//! page — answered by [`super::CaseRepository::tray`] with a [`TrayPage`].
//!
//! The adapters store each case's [`CaseSummary`] (stage, next statutory date and step) beside
//! it, so a tray of 500 cases is one indexed query, ranked by the nearest statutory date.

use serde::{Deserialize, Serialize};
use time::Date;

use super::deadline::{DeadlineStatus, Party, next_key_date};
use super::{Case, CaseId, LaReference, ReceivedBy, Stage};
use crate::account::AccountId;
use crate::role::Urn;

/// Rows per page of a tray.
pub const PER_PAGE: u32 = 50;

/// Which cases a viewer's tray holds: every case (LA officers), the given cases (family,
/// contributors, advocates) and the cases linked to the given settings (SENDCos).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrayScope {
    /// Every case of the LA.
    pub all: bool,
    /// These cases.
    pub cases: Vec<CaseId>,
    /// The cases linked to any of these settings.
    pub settings: Vec<Urn>,
    /// Cases (among `cases`) the viewer sees only in part, as a contributor: their stored next
    /// date and step and their settings are not the viewer's to see, so the tray treats them as
    /// having no date (for the due filters and the order too) and leaves them out of a setting
    /// filter; the service shows the contributor's own date.
    pub partial: Vec<CaseId>,
}

impl TrayScope {
    /// Whether the scope holds no case at all.
    pub fn is_empty(&self) -> bool {
        !self.all && self.cases.is_empty() && self.settings.is_empty()
    }
}

/// A filter on the next statutory date, relative to [`TrayQuery::today`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueFilter {
    /// The next date is before today.
    Overdue,
    /// The next date is today or within the next 14 days.
    DueSoon,
    /// Advice asked for is overdue: [`CaseSummary::advice_due`] is before today.
    AdviceOverdue,
}

/// The order of a tray.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TraySort {
    /// Nearest next statutory date first (overdue cases first); cases with none last. On an LA
    /// officer's tray (a scope of every case), new requests ([`CaseSummary::new_request`])
    /// come before all others.
    #[default]
    NextDate,
    /// By the child's family name, then given name.
    ChildName,
    /// Most recently received request first.
    Received,
}

impl TraySort {
    /// Stable name for page addresses.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NextDate => "next-date",
            Self::ChildName => "name",
            Self::Received => "received",
        }
    }

    /// The inverse of [`TraySort::as_str`].
    pub fn parse(input: &str) -> Option<Self> {
        [Self::NextDate, Self::ChildName, Self::Received]
            .into_iter()
            .find(|s| s.as_str() == input)
    }
}

/// A page of a tray.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayQuery {
    /// Whose cases.
    pub scope: TrayScope,
    /// Only cases at this stage.
    pub stage: Option<Stage>,
    /// Only overdue, or due-soon, cases.
    pub due: Option<DueFilter>,
    /// Only cases linked to this setting.
    pub setting: Option<Urn>,
    /// Only cases of this case officer.
    pub officer: Option<AccountId>,
    /// Order.
    pub sort: TraySort,
    /// Page number, from 1.
    pub page: u32,
    /// Rows per page (at most [`PER_PAGE`] on pages).
    pub per_page: u32,
    /// The LA's calendar date, for [`DueFilter`].
    pub today: Date,
}

impl TrayQuery {
    /// Whether new requests come first: the default order on a tray of every case.
    pub fn new_requests_first(&self) -> bool {
        self.scope.all && self.sort == TraySort::NextDate
    }

    /// Rows to skip: `(page - 1) * per_page`.
    pub fn offset(&self) -> u64 {
        u64::from(self.page.max(1) - 1) * u64::from(self.per_page)
    }

    /// The last day counted as due soon: today + 14 days.
    pub fn due_soon_until(&self) -> Date {
        self.today.saturating_add(time::Duration::days(14))
    }
}

/// What a tray shows of a case, stored beside it by the adapters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseSummary {
    /// Identifier.
    pub id: CaseId,
    /// The LA's reference.
    pub la_reference: LaReference,
    /// "First Last".
    pub child_name: String,
    /// The child's family name then given name, lower case: the sort key.
    pub child_sort: String,
    /// Where the case is.
    pub stage: Stage,
    /// The next statutory date the LA must meet, if any ([`next_key_date`]).
    pub next_due: Option<Date>,
    /// What must happen by then, in words.
    pub next_step: Option<String>,
    /// The case officer.
    pub officer: Option<AccountId>,
    /// The day the request was received.
    pub received_on: Date,
    /// A new request: received online ([`ReceivedBy::Online`]) and not yet picked up by the
    /// LA — no case officer is assigned, the rule the hub uses for "no LA officer has looked
    /// at it yet". Shown first on an LA officer's tray (see [`TraySort::NextDate`]), tagged
    /// *New request*.
    pub new_request: bool,
    /// The earliest due date of the advice still awaited ([`Case::advice_awaited_due`]):
    /// before today, the row carries the tag *Advice overdue*.
    pub advice_due: Option<Date>,
}

impl CaseSummary {
    /// The summary of `case`.
    pub fn of(case: &Case) -> Self {
        let next = next_key_date(case);
        Self {
            id: case.id,
            la_reference: case.la_reference.clone(),
            child_name: case.child.full_name(),
            child_sort: format!("{} {}", case.child.family_name, case.child.given_name)
                .to_lowercase(),
            stage: case.stage(),
            next_due: next.as_ref().map(|d| d.due),
            next_step: next.map(|d| d.kind.describe().to_owned()),
            officer: case.officer,
            received_on: case.received_on,
            new_request: case.received_by == ReceivedBy::Online && case.officer.is_none(),
            advice_due: case.advice_awaited_due(),
        }
    }

    /// The summary with its next date and step and its advice date hidden (see
    /// [`TrayScope::partial`]).
    pub fn without_next_date(self) -> Self {
        Self {
            next_due: None,
            next_step: None,
            advice_due: None,
            ..self
        }
    }

    /// Whether advice asked for on the case is overdue on `today` (the tray's *Advice overdue*
    /// tag): an awaited request's due date has passed.
    pub fn advice_overdue(&self, today: Date) -> bool {
        self.advice_due.is_some_and(|d| d < today)
    }

    /// The next date's status on `today`, if there is one.
    pub fn status(&self, today: Date) -> Option<DeadlineStatus> {
        self.next_due
            .map(|due| DeadlineStatus::of_open(due, Party::La, today))
    }
}

/// One page of a tray, with the number of cases on all pages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TrayPage {
    /// The rows of this page, in the query's order.
    pub rows: Vec<CaseSummary>,
    /// How many cases match the query, on every page.
    pub total: u64,
}
