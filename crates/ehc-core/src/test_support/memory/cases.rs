//! The in-memory [`CaseRepository`]: cases, their timelines and trays, with the same scope,
//! filters, order and pages as the database adapters' SQL (`ehc-store-sql`).

use async_trait::async_trait;

use super::MemoryUnitOfWork;
use crate::case::timeline::TimelineEntry;
use crate::case::tray::{CaseSummary, DueFilter, TrayPage, TrayQuery, TraySort};
use crate::case::{Case, CaseId, CaseRepository, CaseWriteError, LaReference, StoredCase};
use crate::ports::StoreError;

fn in_scope(query: &TrayQuery, case: &Case) -> bool {
    let scope = &query.scope;
    scope.all
        || scope.cases.contains(&case.id)
        || case.settings.iter().any(|s| scope.settings.contains(s))
}

fn matches_filters(query: &TrayQuery, summary: &CaseSummary, case: &Case) -> bool {
    query.stage.is_none_or(|s| summary.stage == s)
        && query
            .setting
            .is_none_or(|s| case.settings.contains(&s) && !query.scope.partial.contains(&case.id))
        && query.officer.is_none_or(|o| summary.officer == Some(o))
        && match query.due {
            None => true,
            Some(DueFilter::Overdue) => summary.next_due.is_some_and(|d| d < query.today),
            Some(DueFilter::DueSoon) => summary
                .next_due
                .is_some_and(|d| d >= query.today && d <= query.due_soon_until()),
            Some(DueFilter::AdviceOverdue) => summary.advice_overdue(query.today),
        }
}

#[async_trait]
impl CaseRepository for MemoryUnitOfWork {
    async fn insert(&mut self, case: &Case) -> Result<(), CaseWriteError> {
        if self
            .working
            .cases
            .iter()
            .any(|c| c.case.la_reference == case.la_reference)
        {
            return Err(CaseWriteError::ReferenceTaken);
        }
        self.working.cases.push(StoredCase {
            case: case.clone(),
            version: 1,
        });
        Ok(())
    }
    async fn get(&mut self, id: CaseId) -> Result<Option<StoredCase>, StoreError> {
        Ok(self.working.cases.iter().find(|c| c.case.id == id).cloned())
    }
    async fn find_by_reference(
        &mut self,
        reference: &LaReference,
    ) -> Result<Option<CaseId>, StoreError> {
        Ok(self
            .working
            .cases
            .iter()
            .find(|c| c.case.la_reference == *reference)
            .map(|c| c.case.id))
    }
    async fn update(&mut self, case: &Case, version: i64) -> Result<(), CaseWriteError> {
        if self
            .working
            .cases
            .iter()
            .any(|c| c.case.id != case.id && c.case.la_reference == case.la_reference)
        {
            return Err(CaseWriteError::ReferenceTaken);
        }
        match self
            .working
            .cases
            .iter_mut()
            .find(|c| c.case.id == case.id && c.version == version)
        {
            Some(stored) => {
                stored.case = case.clone();
                stored.version += 1;
                Ok(())
            }
            None => Err(CaseWriteError::Store(StoreError::Conflict {
                reason: "the case changed since it was read".into(),
            })),
        }
    }
    async fn alerts_due(
        &mut self,
        today: time::Date,
        after: Option<CaseId>,
        limit: u32,
    ) -> Result<Vec<CaseId>, StoreError> {
        let mut due: Vec<CaseId> = self
            .working
            .cases
            .iter()
            .filter(|c| c.case.next_timed_alert_on().is_some_and(|d| d <= today))
            .map(|c| c.case.id)
            .filter(|id| after.is_none_or(|a| *id > a))
            .collect();
        due.sort_unstable();
        due.truncate(limit as usize);
        Ok(due)
    }
    async fn tray(&mut self, query: &TrayQuery) -> Result<TrayPage, StoreError> {
        let mut rows: Vec<CaseSummary> = self
            .working
            .cases
            .iter()
            .filter(|c| in_scope(query, &c.case))
            .map(|c| {
                let summary = CaseSummary::of(&c.case);
                if query.scope.partial.contains(&c.case.id) {
                    (summary.without_next_date(), &c.case)
                } else {
                    (summary, &c.case)
                }
            })
            .filter(|(s, c)| matches_filters(query, s, c))
            .map(|(s, _)| s)
            .collect();
        match query.sort {
            TraySort::NextDate => {
                let first = query.new_requests_first();
                rows.sort_by(|a, b| {
                    (
                        !(first && a.new_request),
                        a.next_due.is_none(),
                        a.next_due,
                        &a.child_sort,
                        a.id,
                    )
                        .cmp(&(
                            !(first && b.new_request),
                            b.next_due.is_none(),
                            b.next_due,
                            &b.child_sort,
                            b.id,
                        ))
                });
            }
            TraySort::ChildName => {
                rows.sort_by(|a, b| (&a.child_sort, a.id).cmp(&(&b.child_sort, b.id)));
            }
            TraySort::Received => rows.sort_by(|a, b| {
                (b.received_on, &a.child_sort, a.id).cmp(&(a.received_on, &b.child_sort, b.id))
            }),
        }
        let total = rows.len() as u64;
        let rows = rows
            .into_iter()
            .skip(usize::try_from(query.offset()).unwrap_or(usize::MAX))
            .take(query.per_page as usize)
            .collect();
        Ok(TrayPage { rows, total })
    }
    async fn append_timeline(&mut self, entry: &TimelineEntry) -> Result<(), StoreError> {
        self.working.timeline.push(entry.clone());
        Ok(())
    }
    async fn timeline(
        &mut self,
        case: CaseId,
        limit: u32,
    ) -> Result<Vec<TimelineEntry>, StoreError> {
        Ok(self
            .working
            .timeline
            .iter()
            .rev()
            .filter(|e| e.case == case)
            .take(limit as usize)
            .cloned()
            .collect())
    }
}
