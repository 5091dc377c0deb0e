//! *About Me* and *My Parent / Carer's Views*: the family's own spaces on a case, which feed
//! section A of the EHC plan ("the views, interests and aspirations of the child and his or her
//! parents, or of the young person", reg 12(1)(a), SEN Regulations 2014).
//!
//! Each space is a list of items in the order its authors choose: pieces of text, and photos,
//! short videos, sound recordings and scanned documents (uploaded as documents of the case, so
//! checked, virus-scanned and audited like every upload). Only the family —
//! parents and carers, the young person, and their advocates — write in them; every participant
//! of the case (the LA, the SENDCos of linked settings, the family) reads them. Nothing is ever
//! deleted: an item taken out is kept, hidden, with who took it out and when.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{CaseError, clean_text};
use crate::account::AccountId;
use crate::document::DocumentId;

/// The longest piece of text in a space, in characters.
pub const MAX_VIEW_TEXT: usize = 10_000;

/// Which of the family's two spaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ViewSpace {
    /// *About Me*: the child's or young person's own words (written by them, or with them).
    AboutMe,
    /// *My Parent / Carer's Views*.
    ParentCarer,
}

impl ViewSpace {
    /// Both spaces, in page order.
    pub const ALL: [Self; 2] = [Self::AboutMe, Self::ParentCarer];

    /// Stable name for addresses: `about-me` or `parent-carer-views`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AboutMe => "about-me",
            Self::ParentCarer => "parent-carer-views",
        }
    }

    /// The inverse of [`Self::as_str`].
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// The space's title, as the LA's guide names it.
    pub fn title(self) -> &'static str {
        match self {
            Self::AboutMe => "About Me",
            Self::ParentCarer => "My Parent / Carer's Views",
        }
    }
}

/// What an item holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ViewContent {
    /// A piece of text (line breaks kept).
    Text {
        /// The words, cleaned of control characters, 1 to [`MAX_VIEW_TEXT`] characters.
        text: String,
    },
    /// A photo, short video, sound recording or scanned document, uploaded to the case's
    /// documents (checked, scanned and audited there) and placed in the space.
    Document {
        /// The document.
        document: DocumentId,
        /// Its title, as given at upload.
        title: String,
    },
}

/// One item of a space.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewItem {
    /// Number, unique on the case, never reused.
    pub id: u32,
    /// What it holds.
    pub content: ViewContent,
    /// Who added it.
    pub added_by: AccountId,
    /// When.
    pub added_at: OffsetDateTime,
    /// Taken out of the space (by whom, when): kept, but no longer shown or counted.
    pub removed: Option<(AccountId, OffsetDateTime)>,
}

/// Which way to move an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// One place earlier.
    Up,
    /// One place later.
    Down,
}

/// The family's two spaces on one case.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FamilyViews {
    /// *About Me*, in the authors' order (removed items stay where they were, hidden).
    pub about_me: Vec<ViewItem>,
    /// *My Parent / Carer's Views*, likewise.
    pub parent_carer: Vec<ViewItem>,
    /// The number the next item gets.
    pub next_id: u32,
}

impl FamilyViews {
    fn space_mut(&mut self, space: ViewSpace) -> &mut Vec<ViewItem> {
        match space {
            ViewSpace::AboutMe => &mut self.about_me,
            ViewSpace::ParentCarer => &mut self.parent_carer,
        }
    }

    /// The items of `space` that are shown, in order.
    pub fn shown(&self, space: ViewSpace) -> impl Iterator<Item = &ViewItem> {
        match space {
            ViewSpace::AboutMe => self.about_me.iter(),
            ViewSpace::ParentCarer => self.parent_carer.iter(),
        }
        .filter(|i| i.removed.is_none())
    }

    /// Adds a piece of text at the end of `space`; returns its number.
    ///
    /// # Errors
    /// [`CaseError::Missing`] when the text is empty (after cleaning);
    /// [`CaseError::TooLong`] over [`MAX_VIEW_TEXT`] characters.
    pub fn add_text(
        &mut self,
        space: ViewSpace,
        text: &str,
        by: AccountId,
        at: OffsetDateTime,
    ) -> Result<u32, CaseError> {
        let text = clean_text(text, true);
        if text.is_empty() {
            return Err(CaseError::Missing("what you want to say"));
        }
        if text.chars().count() > MAX_VIEW_TEXT {
            return Err(CaseError::TooLong {
                what: "The text",
                max: MAX_VIEW_TEXT,
            });
        }
        let id = self.next_id.max(1);
        self.next_id = id + 1;
        self.space_mut(space).push(ViewItem {
            id,
            content: ViewContent::Text { text },
            added_by: by,
            added_at: at,
            removed: None,
        });
        Ok(id)
    }

    /// Places an uploaded document at the end of `space`; returns the item's number.
    pub fn add_document(
        &mut self,
        space: ViewSpace,
        document: DocumentId,
        title: &str,
        by: AccountId,
        at: OffsetDateTime,
    ) -> u32 {
        let id = self.next_id.max(1);
        self.next_id = id + 1;
        self.space_mut(space).push(ViewItem {
            id,
            content: ViewContent::Document {
                document,
                title: title.to_owned(),
            },
            added_by: by,
            added_at: at,
            removed: None,
        });
        id
    }

    /// Moves a shown item one place up or down among the shown items of `space`. Moving the
    /// first up or the last down changes nothing.
    ///
    /// # Errors
    /// [`CaseError::OutOfOrder`] when no shown item of `space` has this number.
    pub fn move_item(
        &mut self,
        space: ViewSpace,
        id: u32,
        direction: Direction,
    ) -> Result<(), CaseError> {
        let items = self.space_mut(space);
        let shown: Vec<usize> = (0..items.len())
            .filter(|&i| items[i].removed.is_none())
            .collect();
        let at = shown
            .iter()
            .position(|&i| items[i].id == id)
            .ok_or(CaseError::OutOfOrder(NO_SUCH_ITEM))?;
        let other = match direction {
            Direction::Up => at.checked_sub(1),
            Direction::Down => Some(at + 1).filter(|&n| n < shown.len()),
        };
        if let Some(other) = other {
            items.swap(shown[at], shown[other]);
        }
        Ok(())
    }

    /// Takes a shown item out of `space` (it is kept, hidden, with who and when).
    ///
    /// # Errors
    /// [`CaseError::OutOfOrder`] when no shown item of `space` has this number.
    pub fn remove(
        &mut self,
        space: ViewSpace,
        id: u32,
        by: AccountId,
        at: OffsetDateTime,
    ) -> Result<(), CaseError> {
        let item = self
            .space_mut(space)
            .iter_mut()
            .find(|i| i.id == id && i.removed.is_none())
            .ok_or(CaseError::OutOfOrder(NO_SUCH_ITEM))?;
        item.removed = Some((by, at));
        Ok(())
    }
}

const NO_SUCH_ITEM: &str =
    "That item is no longer in this space: it may have been taken out already";
