//! Education settings: the schools, colleges and early-years providers the hub knows, each by
//! its DfE URN, as listed in *Get Information about Schools* (GIAS).
//!
//! In the hexagon this area is a model ([`EducationSetting`], [`LaCode`], [`SettingStatus`]),
//! a port ([`SettingRepository`], one of the repositories of a
//! [`UnitOfWork`](crate::ports::UnitOfWork)), a pure parser of GIAS's establishment CSV
//! ([`gias`]) and the service that imports that file in one unit of work ([`import`]). The
//! parser reads from any [`std::io::Read`] it is given and opens nothing itself; the
//! operator's `ehc-hub import-settings FILE` opens the file.
//!
//! Settings are reference data: the LA imports GIAS's download again whenever it likes, and
//! each import inserts the settings it has not seen and overwrites the others, by URN
//! ([`SettingRepository::upsert`]). A SENDCo's role ([`crate::role::Role::Sendco`]) names a
//! setting by its URN.

pub mod gias;
pub mod import;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::fmt;

use crate::ports::StoreError;
pub use crate::role::Urn;

/// An English local authority's three-digit code, as GIAS's `LA (code)` column gives it
/// (e.g. `201` for the City of London, `999` for the invented *Anytown* of the tests): exactly
/// 3 ASCII digits, leading zeros kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LaCode(u16);

/// The input is not an LA code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Enter an LA code of 3 digits, like 201")]
pub struct LaCodeError;

impl LaCode {
    /// Parses exactly 3 ASCII digits (surrounding white space ignored): `"999"`, `"001"`.
    ///
    /// # Errors
    /// [`LaCodeError`] for anything else (`"99"`, `"1000"`, `"9a9"`, `""`).
    pub fn parse(input: &str) -> Result<Self, LaCodeError> {
        let s = input.trim();
        if s.len() != 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(LaCodeError);
        }
        s.parse().map(Self).map_err(|_| LaCodeError)
    }

    /// The code as a number, 0–999 (`"001"` is 1).
    pub fn get(self) -> u16 {
        self.0
    }
}

impl fmt::Display for LaCode {
    /// The three digits, leading zeros kept: `001`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:03}", self.0)
    }
}
impl TryFrom<String> for LaCode {
    type Error = LaCodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}
impl From<LaCode> for String {
    fn from(value: LaCode) -> Self {
        value.to_string()
    }
}

/// Whether a setting is open, as GIAS's `EstablishmentStatus (name)` column says (codes 1–4 of
/// its `EstablishmentStatus (code)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SettingStatus {
    /// GIAS `Open` (code 1).
    Open,
    /// GIAS `Closed` (code 2).
    Closed,
    /// GIAS `Open, but proposed to close` (code 3).
    OpenButProposedToClose,
    /// GIAS `Proposed to open` (code 4).
    ProposedToOpen,
}

impl SettingStatus {
    /// Every status, in GIAS's code order.
    pub const ALL: [Self; 4] = [
        Self::Open,
        Self::Closed,
        Self::OpenButProposedToClose,
        Self::ProposedToOpen,
    ];

    /// Stable storage name (the serde name): `open`, `closed`, `open-but-proposed-to-close`,
    /// `proposed-to-open`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Closed => "closed",
            Self::OpenButProposedToClose => "open-but-proposed-to-close",
            Self::ProposedToOpen => "proposed-to-open",
        }
    }

    /// The status whose storage name ([`SettingStatus::as_str`]) is `name`, if any.
    pub fn from_storage(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// GIAS's words for the status, as its `EstablishmentStatus (name)` column has them; also
    /// the words for pages.
    pub fn gias_name(self) -> &'static str {
        match self {
            Self::Open => "Open",
            Self::Closed => "Closed",
            Self::OpenButProposedToClose => "Open, but proposed to close",
            Self::ProposedToOpen => "Proposed to open",
        }
    }

    /// Reads GIAS's `EstablishmentStatus (name)`: one of [`SettingStatus::gias_name`]'s texts,
    /// ignoring letter case, surrounding white space and the comma of
    /// `Open, but proposed to close`. `None` for anything else.
    pub fn from_gias(text: &str) -> Option<Self> {
        let wanted = comparable(text);
        Self::ALL
            .into_iter()
            .find(|s| comparable(s.gias_name()) == wanted)
    }
}

/// Lower case, commas dropped, runs of white space made one space.
fn comparable(text: &str) -> String {
    text.replace(',', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

impl fmt::Display for SettingStatus {
    /// GIAS's words ([`SettingStatus::gias_name`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.gias_name())
    }
}

/// A school, college or early-years provider, as GIAS lists it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct EducationSetting {
    /// Its DfE Unique Reference Number (GIAS `URN`), the key: one setting per URN.
    pub urn: Urn,
    /// Its name (GIAS `EstablishmentName`), trimmed, never empty.
    pub name: String,
    /// Its kind of establishment, in GIAS's words (GIAS `TypeOfEstablishment (name)`, e.g.
    /// `Community school`, `Academy converter`, `Further education`); may be empty.
    pub kind: String,
    /// Its phase of education, in GIAS's words (GIAS `PhaseOfEducation (name)`, e.g.
    /// `Primary`, `Secondary`, `16 plus`, `Not applicable`); may be empty.
    pub phase: String,
    /// The local authority it is in (GIAS `LA (code)`).
    pub la_code: LaCode,
    /// Whether it is open (GIAS `EstablishmentStatus (name)`).
    pub status: SettingStatus,
}

/// The form in which names are compared by [`SettingRepository::search`]: Unicode lower case
/// (`str::to_lowercase`). Adapters store it beside the name and compare it with the query in
/// the same form, so every store finds the same settings for the same query.
pub fn search_key(text: &str) -> String {
    text.to_lowercase()
}

/// What [`SettingRepository::upsert`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UpsertOutcome {
    /// No setting had this URN: it was added.
    Inserted,
    /// A setting had this URN: its fields were overwritten (even when none changed).
    Updated,
}

/// Storage of education settings, keyed by URN. Every method acts inside the unit of work that
/// handed the repository out.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait SettingRepository: Send {
    /// Adds `setting`, or overwrites every field of the setting with its URN, in one statement
    /// (no read-then-write), and says which.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn upsert(&mut self, setting: &EducationSetting) -> Result<UpsertOutcome, StoreError>;

    /// The setting with this URN, if any.
    ///
    /// # Errors
    /// [`StoreError`] on a fault or an unreadable stored setting.
    async fn get(&mut self, urn: Urn) -> Result<Option<EducationSetting>, StoreError>;

    /// The settings with these URNs, in ascending URN order, each once; URNs that no setting
    /// has are left out (so the result may be shorter than `urns`).
    ///
    /// # Errors
    /// [`StoreError`] on a fault or an unreadable stored setting.
    async fn get_many(&mut self, urns: &[Urn]) -> Result<Vec<EducationSetting>, StoreError>;

    /// At most `limit` settings matching `query`: the setting whose URN is `query` (when
    /// `query`, trimmed, is a URN), then those whose name contains `query` (trimmed) ignoring
    /// letter case (compared in [`search_key`]'s form), ordered by that form of the name, then
    /// URN. A blank query matches nothing.
    ///
    /// # Errors
    /// [`StoreError`] on a fault or an unreadable stored setting.
    async fn search(
        &mut self,
        query: &str,
        limit: u32,
    ) -> Result<Vec<EducationSetting>, StoreError>;

    /// How many settings are stored, whatever their status.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn count(&mut self) -> Result<u64, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn la_codes_are_three_digits_with_their_leading_zeros() {
        assert_eq!(LaCode::parse(" 999 ").unwrap().get(), 999);
        assert_eq!(LaCode::parse("001").unwrap().to_string(), "001");
        for bad in ["99", "1000", "9a9", "", "-99", "+99", "٩٩٩"] {
            assert_eq!(LaCode::parse(bad), Err(LaCodeError), "{bad:?}");
        }
    }

    #[test]
    fn gias_status_names_are_read_in_any_case_with_or_without_the_comma() {
        for status in SettingStatus::ALL {
            assert_eq!(SettingStatus::from_gias(status.gias_name()), Some(status));
            assert_eq!(SettingStatus::from_storage(status.as_str()), Some(status));
        }
        assert_eq!(
            SettingStatus::from_gias(" open but proposed to close "),
            Some(SettingStatus::OpenButProposedToClose)
        );
        assert_eq!(
            SettingStatus::from_gias("PROPOSED TO OPEN"),
            Some(SettingStatus::ProposedToOpen)
        );
        for bad in ["", "Opened", "Open, proposed", "closed!"] {
            assert_eq!(SettingStatus::from_gias(bad), None, "{bad:?}");
        }
    }
}
