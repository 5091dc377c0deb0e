//! EHC plan versions and the family's consultation on a draft (CFA 2014 s.38, 39; reg 12, 13
//! and 22 of the SEN and Disability Regulations 2014).
//!
//! Every version of a case's plan is kept in [`Case::plans`], numbered from 1 and never
//! overwritten: drafts, the final plan, proposed amendments and amended plans. Publishing a
//! version records its event on the case ([`EventKind::DraftPlanServed`],
//! [`EventKind::FinalPlanIssued`], [`EventKind::AmendmentProposed`],
//! [`EventKind::AmendedPlanIssued`]) through [`Case::record_event`], so the date rules of the
//! case (a final plan only after the family's 15 days) stay in one place.
//!
//! A draft and proposed amendments open a [`Consultation`]: the family (parent or carer, young
//! person, their advocate) comments per section, asks for a school or other institution to be
//! named and asks for a meeting, from the day served to its last day inclusive. The timed
//! alerts of a consultation (a reminder to the family, an alert to the case officer when nobody
//! in the family opened the draft) are pure functions of the version and the day
//! ([`PlanVersion::due_alerts`], [`PlanVersion::next_alert_on`], [`PlanVersion::record_alerts`]):
//! a scheduler calls them, nothing here reads a clock.
//!
//! [`compare`] gives two versions section by section, word by word.
//!
//! Plans are text only for now; the plan document (a file) belongs beside the sections as a
//! document id once the document store lands.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use time::{Date, Duration, OffsetDateTime};

use super::deadline::long_date;
use super::{Case, CaseError, EventKind, EventNumber, clean_text, name_part};
use crate::account::AccountId;
use crate::document::{Document, DocumentId, MediaFamily};
use crate::role::Urn;

/// A section of an EHC plan (reg 12(1) of the SEN and Disability Regulations 2014).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Section {
    /// A: the views, interests and aspirations of the child and parent or young person.
    A,
    /// B: special educational needs.
    B,
    /// C: health needs related to the SEN.
    C,
    /// D: social care needs related to the SEN or disability.
    D,
    /// E: outcomes.
    E,
    /// F: special educational provision.
    F,
    /// G: health provision.
    G,
    /// H1: social care provision under section 2 of the Chronically Sick and Disabled Persons
    /// Act 1970.
    H1,
    /// H2: other social care provision.
    H2,
    /// I: placement (the school or other institution, or its type).
    I,
    /// J: personal budget.
    J,
    /// K: advice and information (the appendices).
    K,
}

impl Section {
    /// Every section, in the plan's order.
    pub const ALL: [Self; 12] = [
        Self::A,
        Self::B,
        Self::C,
        Self::D,
        Self::E,
        Self::F,
        Self::G,
        Self::H1,
        Self::H2,
        Self::I,
        Self::J,
        Self::K,
    ];

    /// Stable lower-case name for forms and storage: `a`, …, `h1`, `h2`, …, `k`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::A => "a",
            Self::B => "b",
            Self::C => "c",
            Self::D => "d",
            Self::E => "e",
            Self::F => "f",
            Self::G => "g",
            Self::H1 => "h1",
            Self::H2 => "h2",
            Self::I => "i",
            Self::J => "j",
            Self::K => "k",
        }
    }

    /// The inverse of [`Section::as_str`].
    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == input)
    }

    /// The letter as the plan prints it: `A`, …, `H1`, `H2`, …, `K`.
    pub fn letter(self) -> &'static str {
        match self {
            Self::A => "A",
            Self::B => "B",
            Self::C => "C",
            Self::D => "D",
            Self::E => "E",
            Self::F => "F",
            Self::G => "G",
            Self::H1 => "H1",
            Self::H2 => "H2",
            Self::I => "I",
            Self::J => "J",
            Self::K => "K",
        }
    }

    /// The section's name (docs/DOMAIN.md, after reg 12(1)).
    pub fn name(self) -> &'static str {
        match self {
            Self::A => "Views, interests and aspirations of the child and parent or young person",
            Self::B => "Special educational needs",
            Self::C => "Health needs",
            Self::D => "Social care needs",
            Self::E => "Outcomes",
            Self::F => "Special educational provision",
            Self::G => "Health provision",
            Self::H1 => {
                "Social care provision under section 2 of the Chronically Sick and Disabled Persons Act 1970"
            }
            Self::H2 => "Other social care provision",
            Self::I => "Placement",
            Self::J => "Personal budget",
            Self::K => "Advice and information",
        }
    }
}

/// What a plan version is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlanKind {
    /// A draft EHC plan served on the family for comment (reg 13(1)).
    Draft,
    /// The final EHC plan (reg 13(2), 14).
    Final,
    /// The plan with proposed amendments, sent to the family for comment (reg 22(2)).
    AmendmentProposal,
    /// The amended final plan (reg 22(4)).
    AmendedFinal,
}

impl PlanKind {
    /// Every kind, in the order of the process.
    pub const ALL: [Self; 4] = [
        Self::Draft,
        Self::Final,
        Self::AmendmentProposal,
        Self::AmendedFinal,
    ];

    /// Stable name for page addresses: `draft`, `final`, `amendment`, `amended`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Final => "final",
            Self::AmendmentProposal => "amendment",
            Self::AmendedFinal => "amended",
        }
    }

    /// The inverse of [`PlanKind::as_str`].
    pub fn parse(input: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == input)
    }

    /// Words for pages: "Draft EHC plan", …
    pub fn describe(self) -> &'static str {
        match self {
            Self::Draft => "Draft EHC plan",
            Self::Final => "Final EHC plan",
            Self::AmendmentProposal => "Proposed amendments to the EHC plan",
            Self::AmendedFinal => "Amended EHC plan",
        }
    }

    /// The case event that publishing this kind records.
    pub fn event(self) -> EventKind {
        match self {
            Self::Draft => EventKind::DraftPlanServed,
            Self::Final => EventKind::FinalPlanIssued,
            Self::AmendmentProposal => EventKind::AmendmentProposed,
            Self::AmendedFinal => EventKind::AmendedPlanIssued,
        }
    }

    /// Whether the family is consulted on it (a draft, reg 13(1); proposed amendments,
    /// reg 22(2)).
    pub fn is_consultation(self) -> bool {
        matches!(self, Self::Draft | Self::AmendmentProposal)
    }

    /// The regulation that gives the family their time to comment, or that the issue follows.
    pub fn source(self) -> &'static str {
        match self {
            Self::Draft => "reg 13(1), SEN Regulations 2014",
            Self::Final => "reg 13(2) and 14, SEN Regulations 2014",
            Self::AmendmentProposal => "reg 22(2), SEN Regulations 2014",
            Self::AmendedFinal => "reg 22(4), SEN Regulations 2014",
        }
    }
}

/// Longest text of one section, in characters (a longer plan goes in the plan document): 12
/// sections this long still fit the hub's 64 KiB limit on a form's body, typed in English.
pub const MAX_SECTION: usize = 4000;
/// Longest comment, reasons or note of the family, in characters.
pub const MAX_COMMENT: usize = 2000;
/// Days before the last day of a consultation on which the family is reminded.
pub const REMIND_DAYS_BEFORE: i64 = 5;
/// Days from the day served after which, if nobody in the family opened the draft, the case
/// officer is alerted: on the day served plus this many days.
pub const NOT_OPENED_AFTER_DAYS: i64 = 5;

/// The last day the family may comment on a draft served (or amendments sent) on `served_on`:
/// the 15th day of a period of at least 15 days *beginning with* that day, so `served_on` + 14
/// days (reg 13(1)(a); reg 22(2) for amendments). Calendar days: weekends and bank holidays
/// count, month and year ends roll over (served 20 December 2026: last day 3 January 2027).
pub fn consultation_last_day(served_on: Date) -> Date {
    served_on.saturating_add(Duration::days(14))
}

/// A person's first opening of a draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opened {
    /// When.
    pub at: OffsetDateTime,
    /// The family member (or their advocate) who opened it.
    pub by: AccountId,
}

/// A family member's comment on one section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SectionComment {
    /// The section.
    pub section: Section,
    /// The comment (1 to [`MAX_COMMENT`] characters).
    pub text: String,
    /// Who commented.
    pub by: AccountId,
    /// When.
    pub at: OffsetDateTime,
}

/// A request that a particular school or other institution be named in the plan (CFA 2014
/// s.38(2)(b)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlacementRequest {
    /// The school or institution's name, as the family wrote it.
    pub institution: String,
    /// Its DfE URN, when given.
    pub urn: Option<Urn>,
    /// Why (1 to [`MAX_COMMENT`] characters).
    pub reasons: String,
    /// Who asked.
    pub by: AccountId,
    /// When.
    pub at: OffsetDateTime,
}

/// A request for a meeting with an LA officer to discuss the draft (CFA 2014 s.38(2)(a)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeetingRequest {
    /// What the family wants to discuss (may be empty).
    pub about: String,
    /// Who asked.
    pub by: AccountId,
    /// When.
    pub at: OffsetDateTime,
}

/// A timed alert of a consultation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlanAlert {
    /// To the family: comments close on the last day. Due [`REMIND_DAYS_BEFORE`] days before
    /// it.
    CommentReminder,
    /// To the case officer: nobody in the family opened the draft in the
    /// [`NOT_OPENED_AFTER_DAYS`] days beginning with the day it was served. Due the day after.
    NotOpened,
}

/// A timed alert handled once: sent, or lapsed (its time passed before a scheduler ran, e.g. a
/// reminder whose consultation had already closed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertRecord {
    /// Which alert.
    pub alert: PlanAlert,
    /// The day it was handled.
    pub on: Date,
    /// `true`: sent; `false`: lapsed without being sent.
    pub sent: bool,
}

/// The consultation on a draft or on proposed amendments, and what the family said in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consultation {
    /// The last day for comments and requests ([`consultation_last_day`]).
    pub last_day: Date,
    /// When a family member first opened the version on the hub.
    pub first_opened: Option<Opened>,
    /// Comments per section, in the order made.
    pub comments: Vec<SectionComment>,
    /// Requests for a school or other institution to be named.
    pub placement_requests: Vec<PlacementRequest>,
    /// Requests for a meeting.
    pub meeting_requests: Vec<MeetingRequest>,
    /// Timed alerts already handled (each at most once).
    pub alerts: Vec<AlertRecord>,
}

/// Why a document cannot be a plan version's: not of the case, or not uploaded for the family
/// and the settings to see.
pub const NOT_A_PLAN_DOCUMENT: &str =
    "Select a document of this case that the family and the settings can see";
/// Why a document cannot be a plan version's: not a PDF or Word document.
pub const NOT_A_PDF_OR_WORD: &str = "The plan's document must be a PDF or Word document";

/// One version of a case's EHC plan. Never changed once published, except for its
/// consultation's record of what the family did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanVersion {
    /// 1 for the first version of the case, then 2, 3, …
    pub number: u32,
    /// What it is.
    pub kind: PlanKind,
    /// The text of each section; a section left empty is absent.
    pub sections: BTreeMap<Section, String>,
    /// The day it was served on the family (a draft, amendments) or issued (a final plan).
    pub served_on: Date,
    /// When it was published on the hub.
    pub published_at: OffsetDateTime,
    /// The LA officer who published it.
    pub published_by: Option<AccountId>,
    /// The case event its publication recorded.
    pub event: EventNumber,
    /// The family's consultation, for a draft or proposed amendments.
    pub consultation: Option<Consultation>,
    /// The plan as a document (PDF or Word), a document of the case the family can see
    /// ([`Case::plan_document_allowed`]), beside the sections' text.
    #[serde(default)]
    pub document: Option<DocumentId>,
}

/// What a family member sends during a consultation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FamilyResponse {
    /// A comment on one section.
    Comment {
        /// The section.
        section: Section,
        /// The comment.
        text: String,
    },
    /// A school or other institution to be named (CFA 2014 s.38(2)(b)).
    Placement {
        /// Its name.
        institution: String,
        /// Its URN, if known.
        urn: Option<Urn>,
        /// Why.
        reasons: String,
    },
    /// A meeting to discuss the draft (CFA 2014 s.38(2)(a)).
    Meeting {
        /// What about (optional).
        about: String,
    },
}

/// Why a consultation step was refused. Nothing is changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// The version is not open for comments: it is not the latest, not a draft or proposed
    /// amendments, or its publication was withdrawn.
    #[error("This version of the plan is not open for comments")]
    NoConsultation,
    /// The last day for comments has passed.
    #[error(
        "The time to comment on this plan ended on {}. Contact your case officer if you still want to say something",
        long_date(*last_day)
    )]
    Closed {
        /// The last day that was allowed.
        last_day: Date,
    },
    /// A text is missing or too long.
    #[error(transparent)]
    Text(#[from] CaseError),
}

fn text(
    input: &str,
    what: &'static str,
    field: &'static str,
    max: usize,
) -> Result<String, CaseError> {
    let s = clean_text(input, true);
    if s.is_empty() {
        return Err(CaseError::Missing(field));
    }
    if s.chars().count() > max {
        return Err(CaseError::TooLong { what, max });
    }
    Ok(s)
}

/// The sections as stored: each text cleaned ([`clean_text`], new lines kept), empty ones left
/// out.
///
/// # Errors
/// [`CaseError::TooLong`] for a section over [`MAX_SECTION`] characters;
/// [`CaseError::Missing`] when every section is empty.
pub fn plan_sections(
    input: impl IntoIterator<Item = (Section, String)>,
) -> Result<BTreeMap<Section, String>, CaseError> {
    let mut sections = BTreeMap::new();
    for (section, raw) in input {
        let s = clean_text(&raw, true);
        if s.chars().count() > MAX_SECTION {
            return Err(CaseError::TooLong {
                what: section_what(section),
                max: MAX_SECTION,
            });
        }
        if !s.is_empty() {
            sections.insert(section, s);
        }
    }
    if sections.is_empty() {
        return Err(CaseError::Missing("the text of at least one section"));
    }
    Ok(sections)
}

/// "Section B" as a field's name in a message.
pub fn section_what(section: Section) -> &'static str {
    match section {
        Section::A => "Section A",
        Section::B => "Section B",
        Section::C => "Section C",
        Section::D => "Section D",
        Section::E => "Section E",
        Section::F => "Section F",
        Section::G => "Section G",
        Section::H1 => "Section H1",
        Section::H2 => "Section H2",
        Section::I => "Section I",
        Section::J => "Section J",
        Section::K => "Section K",
    }
}

impl PlanVersion {
    /// The text of `section` ("" when left empty).
    pub fn text(&self, section: Section) -> &str {
        self.sections.get(&section).map_or("", String::as_str)
    }

    /// The day the case officer is alerted if nobody in the family has opened the version:
    /// served on + [`NOT_OPENED_AFTER_DAYS`].
    pub fn not_opened_alert_on(&self) -> Date {
        self.served_on
            .saturating_add(Duration::days(NOT_OPENED_AFTER_DAYS))
    }

    /// The day of the family's reminder: [`REMIND_DAYS_BEFORE`] days before the last day
    /// (`None` without a consultation).
    pub fn reminder_on(&self) -> Option<Date> {
        self.consultation.as_ref().map(|c| {
            c.last_day
                .saturating_sub(Duration::days(REMIND_DAYS_BEFORE))
        })
    }

    /// Each alert of the consultation not yet handled, with the first day it is due.
    fn pending_alerts(&self) -> Vec<(PlanAlert, Date)> {
        let Some(c) = &self.consultation else {
            return Vec::new();
        };
        let handled = |a: PlanAlert| c.alerts.iter().any(|r| r.alert == a);
        let mut pending = Vec::new();
        if c.first_opened.is_none() && !handled(PlanAlert::NotOpened) {
            pending.push((PlanAlert::NotOpened, self.not_opened_alert_on()));
        }
        if !handled(PlanAlert::CommentReminder) {
            pending.push((
                PlanAlert::CommentReminder,
                c.last_day
                    .saturating_sub(Duration::days(REMIND_DAYS_BEFORE)),
            ));
        }
        pending
    }

    /// The alerts to send on `today`, each only until it is recorded by
    /// [`PlanVersion::record_alerts`]: the family's reminder from [`PlanVersion::reminder_on`]
    /// to the last day inclusive; the case officer's alert from
    /// [`PlanVersion::not_opened_alert_on`] while nobody in the family has opened the version.
    /// Only a consultation has alerts; the caller asks only the current one
    /// ([`Case::plan_alerts_due`]).
    pub fn due_alerts(&self, today: Date) -> Vec<PlanAlert> {
        let Some(c) = &self.consultation else {
            return Vec::new();
        };
        self.pending_alerts()
            .into_iter()
            .filter(|(alert, from)| {
                *from <= today && (*alert != PlanAlert::CommentReminder || today <= c.last_day)
            })
            .map(|(alert, _)| alert)
            .collect()
    }

    /// The first day on which an alert not yet handled falls due (it may be in the past when a
    /// scheduler has not run since); `None` when none remains. After
    /// [`PlanVersion::record_alerts`] on a day, it is `None` or later than that day.
    pub fn next_alert_on(&self) -> Option<Date> {
        self.pending_alerts().into_iter().map(|(_, on)| on).min()
    }

    /// Records every alert whose day has come on `today` as handled, so each is handled once:
    /// those of [`PlanVersion::due_alerts`] as sent (returned: the caller sends them in the
    /// same unit of work), a reminder whose consultation closed before it could be sent as
    /// lapsed.
    pub fn record_alerts(&mut self, today: Date) -> Vec<PlanAlert> {
        let due = self.due_alerts(today);
        let ripe: Vec<PlanAlert> = self
            .pending_alerts()
            .into_iter()
            .filter(|(_, from)| *from <= today)
            .map(|(alert, _)| alert)
            .collect();
        if let Some(c) = &mut self.consultation {
            for alert in ripe {
                c.alerts.push(AlertRecord {
                    alert,
                    on: today,
                    sent: due.contains(&alert),
                });
            }
        }
        due
    }
}

impl Case {
    /// The version numbered `number`, if any.
    pub fn plan_version(&self, number: u32) -> Option<&PlanVersion> {
        self.plans.iter().find(|p| p.number == number)
    }

    /// The consultation the family can take part in now: the latest version, when it is a draft
    /// or proposed amendments whose publication event is still on the case (not withdrawn).
    pub fn current_consultation(&self) -> Option<&PlanVersion> {
        self.plans
            .last()
            .filter(|p| p.consultation.is_some() && self.events.iter().any(|e| e.number == p.event))
    }

    /// The timed alerts due on `today` for the current consultation.
    pub fn plan_alerts_due(&self, today: Date) -> Vec<PlanAlert> {
        self.current_consultation()
            .map(|p| p.due_alerts(today))
            .unwrap_or_default()
    }

    /// The first day an alert of the current consultation falls due, if any: what a scheduler
    /// keeps per case.
    pub fn next_plan_alert_on(&self) -> Option<Date> {
        self.current_consultation()
            .and_then(PlanVersion::next_alert_on)
    }

    /// Records the alerts of the current consultation on `today` ([`PlanVersion::record_alerts`])
    /// and returns those to send, with the version.
    pub fn record_plan_alerts(&mut self, today: Date) -> Option<(u32, Vec<PlanAlert>)> {
        let number = self.current_consultation()?.number;
        let version = self.plans.iter_mut().find(|p| p.number == number)?;
        Some((number, version.record_alerts(today)))
    }

    /// Publishes a new plan version served (or issued) on `today`: checks the texts, records the
    /// kind's event ([`PlanKind::event`]) with [`Case::record_event`], then keeps the version
    /// with a consultation whose last day is [`consultation_last_day`] for a draft or proposed
    /// amendments. Returns the version's number.
    ///
    /// # Errors
    /// As [`plan_sections`] and [`Case::check_event`] (e.g. a final plan before the family's 15
    /// days have ended, reg 13(1)); the case is unchanged on error.
    pub fn publish_plan(
        &mut self,
        kind: PlanKind,
        sections: impl IntoIterator<Item = (Section, String)>,
        today: Date,
        now: OffsetDateTime,
        by: Option<AccountId>,
    ) -> Result<u32, CaseError> {
        let sections = plan_sections(sections)?;
        let event = self.record_event(kind.event(), today, today, now, by)?;
        let number = self.plans.last().map_or(1, |p| p.number.saturating_add(1));
        self.plans.push(PlanVersion {
            number,
            kind,
            sections,
            served_on: today,
            published_at: now,
            published_by: by,
            event,
            consultation: kind.is_consultation().then(|| Consultation {
                last_day: consultation_last_day(today),
                first_opened: None,
                comments: Vec::new(),
                placement_requests: Vec::new(),
                meeting_requests: Vec::new(),
                alerts: Vec::new(),
            }),
            document: None,
        });
        Ok(number)
    }

    /// Whether `document` may be a plan version's document: a PDF or Word document of this
    /// case uploaded for the family and the settings to see (its own audiences, not widened by
    /// what it is attached to, so it never narrows again).
    ///
    /// # Errors
    /// [`CaseError::OutOfOrder`] saying why not.
    pub fn plan_document_allowed(&self, document: &Document) -> Result<(), CaseError> {
        if document.case != self.id || !(document.visible_to.family && document.visible_to.setting)
        {
            return Err(CaseError::OutOfOrder(NOT_A_PLAN_DOCUMENT));
        }
        if document.content_type.family() != MediaFamily::Document {
            return Err(CaseError::OutOfOrder(NOT_A_PDF_OR_WORD));
        }
        Ok(())
    }

    /// Gives plan version `number` its `document`, after [`Case::plan_document_allowed`].
    ///
    /// # Errors
    /// As [`Case::plan_document_allowed`], and [`CaseError::OutOfOrder`] for no such version.
    pub fn set_plan_document(&mut self, number: u32, document: &Document) -> Result<(), CaseError> {
        self.plan_document_allowed(document)?;
        let version =
            self.plans
                .iter_mut()
                .find(|p| p.number == number)
                .ok_or(CaseError::OutOfOrder(
                    "There is no such version of the plan",
                ))?;
        version.document = Some(document.id);
        Ok(())
    }

    /// Records that `by`, a family member, opened version `number`; `true` when it is the
    /// first opening of the current consultation (only that one is kept).
    pub fn record_plan_opened(&mut self, number: u32, by: AccountId, at: OffsetDateTime) -> bool {
        if self.current_consultation().map(|p| p.number) != Some(number) {
            return false;
        }
        let consultation = self
            .plans
            .iter_mut()
            .find(|p| p.number == number)
            .and_then(|p| p.consultation.as_mut());
        match consultation {
            Some(c) if c.first_opened.is_none() => {
                c.first_opened = Some(Opened { at, by });
                true
            }
            _ => false,
        }
    }

    /// Records a family member's response to version `number` on `today`, which must be within
    /// its consultation (from the day served to the last day inclusive).
    ///
    /// # Errors
    /// [`PlanError::NoConsultation`] (not the current consultation), [`PlanError::Closed`]
    /// (after the last day), [`PlanError::Text`] (a missing or too long text: the comment,
    /// the institution's name, the reasons, or the meeting note over [`MAX_COMMENT`]). The case
    /// is unchanged on error.
    pub fn respond_to_plan(
        &mut self,
        number: u32,
        response: FamilyResponse,
        by: AccountId,
        at: OffsetDateTime,
        today: Date,
    ) -> Result<(), PlanError> {
        let current = self
            .current_consultation()
            .filter(|p| p.number == number)
            .ok_or(PlanError::NoConsultation)?;
        let last_day = current
            .consultation
            .as_ref()
            .map(|c| c.last_day)
            .ok_or(PlanError::NoConsultation)?;
        if today > last_day {
            return Err(PlanError::Closed { last_day });
        }
        if today < current.served_on {
            return Err(PlanError::NoConsultation);
        }
        let consultation = self
            .plans
            .iter_mut()
            .find(|p| p.number == number)
            .and_then(|p| p.consultation.as_mut())
            .ok_or(PlanError::NoConsultation)?;
        match response {
            FamilyResponse::Comment { section, text: t } => {
                let text = text(&t, "The comment", "your comment", MAX_COMMENT)?;
                consultation.comments.push(SectionComment {
                    section,
                    text,
                    by,
                    at,
                });
            }
            FamilyResponse::Placement {
                institution,
                urn,
                reasons,
            } => {
                let institution = name_part(
                    &institution,
                    "The name of the school or institution",
                    "the name of the school or other institution",
                )?;
                let reasons = text(
                    &reasons,
                    "The reasons",
                    "why you want it named",
                    MAX_COMMENT,
                )?;
                consultation.placement_requests.push(PlacementRequest {
                    institution,
                    urn,
                    reasons,
                    by,
                    at,
                });
            }
            FamilyResponse::Meeting { about } => {
                let about = clean_text(&about, true);
                if about.chars().count() > MAX_COMMENT {
                    return Err(PlanError::Text(CaseError::TooLong {
                        what: "What you want to discuss",
                        max: MAX_COMMENT,
                    }));
                }
                consultation
                    .meeting_requests
                    .push(MeetingRequest { about, by, at });
            }
        }
        Ok(())
    }
}

/// One run of words in a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WordChange {
    /// In both versions.
    Same(String),
    /// Only in the newer version.
    Added(String),
    /// Only in the older version.
    Removed(String),
}

/// One section of two versions compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SectionComparison {
    /// The section.
    pub section: Section,
    /// Whether its text differs.
    pub changed: bool,
    /// The newer text as runs of unchanged, added and removed words (white space kept), in
    /// reading order; empty when both versions leave the section empty.
    pub words: Vec<WordChange>,
}

/// Compares `older` with `newer`, section by section in the plan's order (every section, also
/// those empty in both), word by word. Pure.
pub fn compare(older: &PlanVersion, newer: &PlanVersion) -> Vec<SectionComparison> {
    Section::ALL
        .iter()
        .map(|&section| {
            let (old, new) = (older.text(section), newer.text(section));
            let mut words: Vec<WordChange> = Vec::new();
            let diff = similar::TextDiff::from_words(old, new);
            for change in diff.iter_all_changes() {
                let value = change.value();
                match (change.tag(), words.last_mut()) {
                    (similar::ChangeTag::Equal, Some(WordChange::Same(run)))
                    | (similar::ChangeTag::Insert, Some(WordChange::Added(run)))
                    | (similar::ChangeTag::Delete, Some(WordChange::Removed(run))) => {
                        run.push_str(value);
                    }
                    (similar::ChangeTag::Equal, _) => words.push(WordChange::Same(value.into())),
                    (similar::ChangeTag::Insert, _) => words.push(WordChange::Added(value.into())),
                    (similar::ChangeTag::Delete, _) => {
                        words.push(WordChange::Removed(value.into()));
                    }
                }
            }
            SectionComparison {
                section,
                changed: old != new,
                words,
            }
        })
        .collect()
}
