//! The case service's use cases for the family's spaces ([`super::views`]).

use std::net::IpAddr;
use time::OffsetDateTime;

use super::service::{CaseService, CaseServiceError, effective_grants};
use super::timeline::Visibility;
use super::views::{Direction, FamilyViews, ViewSpace};
use super::{Case, CaseId};
use crate::account::AccountId;
use crate::ports::{SecretSource, Store};
use crate::role::case_access;

/// A change to one of the family's spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViewChange {
    /// Add a piece of text at the end.
    AddText(String),
    /// Move an item one place.
    Move(u32, Direction),
    /// Take an item out (kept, hidden).
    Remove(u32),
}

impl<S: Store, R: SecretSource + Clone> CaseService<S, R> {
    /// Changes one of the family's spaces on case `id`, as `author`, who must be family on the
    /// case (a parent or carer, the young person, or an advocate acting for one of them). The
    /// case is read and written in one unit of work, so no version is needed from the form; the
    /// timeline says what kind of change was made (never the words) to every participant.
    ///
    /// # Errors
    /// [`CaseServiceError::NotFound`] when the case does not exist or `author` may not see it;
    /// [`CaseServiceError::NotAllowed`] when they see it but are not family (the LA, a SENDCo);
    /// [`CaseServiceError::Invalid`] for empty or too long text or an item no longer there;
    /// faults. Nothing is changed on any error.
    pub async fn change_views(
        &self,
        author: AccountId,
        id: CaseId,
        space: ViewSpace,
        change: ViewChange,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<(), CaseServiceError> {
        let mut tx = self.store.begin().await?;
        let grants = effective_grants(&mut *tx, author, now).await?;
        let stored = tx
            .cases()
            .get(id)
            .await?
            .ok_or(CaseServiceError::NotFound)?;
        let access = case_access(&grants, id, &stored.case.settings, now);
        if !access.is_participant() {
            return Err(CaseServiceError::NotFound);
        }
        if !access.family {
            return Err(CaseServiceError::NotAllowed);
        }
        let mut case: Case = stored.case;
        let views: &mut FamilyViews = &mut case.views;
        let what = match change {
            ViewChange::AddText(text) => {
                views.add_text(space, &text, author, now)?;
                format!("Text added to {}", space.title())
            }
            ViewChange::Move(item, direction) => {
                views.move_item(space, item, direction)?;
                format!("{} put in a new order", space.title())
            }
            ViewChange::Remove(item) => {
                views.remove(space, item, author, now)?;
                format!("An item taken out of {}", space.title())
            }
        };
        self.save(
            tx,
            author,
            &case,
            stored.version,
            what,
            Visibility::PARTICIPANTS,
            now,
            origin,
        )
        .await
    }
}
