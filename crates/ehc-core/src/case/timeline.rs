//! The case timeline: an append-only list of what happened on a case (who, what, when), each
//! entry with the audiences that may see it. People see the entries meant for them only
//! ([`Visibility::shows_to`]); nothing is ever edited or removed.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::CaseId;
use crate::account::AccountId;
use crate::role::CaseAccess;

/// Who may see a timeline entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Visibility {
    /// The LA's staff (always `true` in practice: the LA controls the case).
    pub la: bool,
    /// SENDCos of the settings linked to the case.
    pub setting: bool,
    /// The family: parents and carers, the young person, and their advocates.
    pub family: bool,
    /// One contributor, for entries about their own advice request.
    pub contributor: Option<AccountId>,
}

impl Visibility {
    /// Everyone who takes part in the case except contributors: LA, settings, family.
    pub const PARTICIPANTS: Self = Self {
        la: true,
        setting: true,
        family: true,
        contributor: None,
    };
    /// The LA and the family (e.g. who was given access: the family can always see it).
    pub const LA_AND_FAMILY: Self = Self {
        la: true,
        setting: false,
        family: true,
        contributor: None,
    };

    /// The LA's staff only (e.g. an alert to the case officer, a note for the LA).
    pub const LA_ONLY: Self = Self {
        la: true,
        setting: false,
        family: false,
        contributor: None,
    };

    /// The participants plus one contributor.
    pub fn participants_and(contributor: Option<AccountId>) -> Self {
        Self {
            contributor,
            ..Self::PARTICIPANTS
        }
    }

    /// Whether a viewer with `access` sees the entry.
    pub fn shows_to(&self, access: &CaseAccess) -> bool {
        (self.la && access.la)
            || (self.setting && access.setting)
            || (self.family && access.family)
            || self
                .contributor
                .is_some_and(|c| access.contributor == Some(c))
    }
}

/// One entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    /// The case.
    pub case: CaseId,
    /// When it was written.
    pub at: OffsetDateTime,
    /// Who acted (`None`: the hub itself or an anonymous requester).
    pub actor: Option<AccountId>,
    /// What happened, in words (e.g. "Advice requested from Educational psychologist").
    pub what: String,
    /// Who may see it.
    pub visible_to: Visibility,
}
