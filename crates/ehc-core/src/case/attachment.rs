//! What an upload is for, besides the case's *Documents*: a photo or a scan in one of the
//! family's spaces, a report with a contributor's advice, a file of views for a review meeting,
//! or the report of a meeting. The upload page carries it in its `for` field
//! ([`Attachment::as_field`]), and [`crate::document::DocumentService::record_upload`] records
//! the document and attaches it in one unit of work — both or neither.
//!
//! Who may attach what ([`Attachment::check`]):
//!
//! | attachment | who | when | who sees the document |
//! |---|---|---|---|
//! | [`Attachment::Space`] | the family (and their advocates) | any time | the participants |
//! | [`Attachment::Advice`] | the contributor asked | until they submit | the LA and the contributor; once submitted, the family too, as the advice ([`Case::document_audiences`]) |
//! | [`Attachment::MeetingViews`] | an invitee | while the meeting is open | the participants, and a contributor their own |
//! | [`Attachment::MeetingReport`] | an LA officer or the meeting's organiser | once the meeting is held | the participants, and the contributors invited to the meeting ([`Case::document_shown`]) |

use time::{Date, OffsetDateTime};

use super::meeting::MeetingNumber;
use super::timeline::Visibility;
use super::views::ViewSpace;
use super::{Case, CaseError, EventNumber};
use crate::account::AccountId;
use crate::document::{Document, DocumentKind};
use crate::role::CaseAccess;

/// The part of a case an upload is attached to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attachment {
    /// An item at the end of one of the family's spaces (*About Me*, *My Parent / Carer's
    /// Views*).
    Space(ViewSpace),
    /// The uploader's own advice request (numbered by its [`super::EventKind::AdviceRequested`]
    /// event), until they submit.
    Advice(EventNumber),
    /// Views given as a file before review meeting `number` by an invitee.
    MeetingViews(MeetingNumber),
    /// The report of review meeting `number` (or a part of it), once it was held.
    MeetingReport(MeetingNumber),
}

impl Attachment {
    /// As the upload form's `for` field: `about-me`, `parent-carer-views`, `advice-{event}`,
    /// `meeting-{n}-views` or `meeting-{n}-report`.
    pub fn as_field(self) -> String {
        match self {
            Self::Space(space) => space.as_str().to_owned(),
            Self::Advice(number) => format!("advice-{}", number.0),
            Self::MeetingViews(number) => format!("meeting-{}-views", number.0),
            Self::MeetingReport(number) => format!("meeting-{}-report", number.0),
        }
    }

    /// Reads a `for` field written by [`Attachment::as_field`]; `None` for anything else
    /// (including "", an upload to *Documents* only).
    pub fn parse(field: &str) -> Option<Self> {
        if let Some(space) = ViewSpace::parse(field) {
            return Some(Self::Space(space));
        }
        if let Some(number) = field.strip_prefix("advice-") {
            return number_of(number).map(|n| Self::Advice(EventNumber(n)));
        }
        let rest = field.strip_prefix("meeting-")?;
        if let Some(number) = rest.strip_suffix("-views") {
            return number_of(number).map(|n| Self::MeetingViews(MeetingNumber(n)));
        }
        let number = rest.strip_suffix("-report")?;
        number_of(number).map(|n| Self::MeetingReport(MeetingNumber(n)))
    }

    /// The kinds of document that fit here, in the upload form's order.
    pub fn kinds(self) -> &'static [DocumentKind] {
        use DocumentKind::{Advice, Audio, Evidence, Other, Photo, Report, ScannedDocument, Video};
        match self {
            Self::Space(_) => &[Photo, Video, Audio, ScannedDocument, Other],
            Self::Advice(_) => &[Advice, Report, Evidence, Other],
            Self::MeetingViews(_) => &[
                Report,
                Evidence,
                Photo,
                Video,
                Audio,
                ScannedDocument,
                Other,
            ],
            Self::MeetingReport(_) => &[Report, Other],
        }
    }

    /// The audiences of a document `uploader` attaches here, who would otherwise give it
    /// `default` (the participants, or the LA and a contributor for a contributor's upload).
    /// A document with advice is seen by the LA and its contributor only, whoever they are (a
    /// SENDCo asked for advice too), until the advice is submitted
    /// ([`Case::document_audiences`]); a contributor's views for a meeting are seen by the
    /// participants, as their written views are.
    pub fn visible_to(self, default: Visibility, uploader: AccountId) -> Visibility {
        match self {
            Self::Advice(_) => Visibility {
                contributor: Some(uploader),
                ..Visibility::LA_ONLY
            },
            Self::MeetingViews(_) => Visibility::participants_and(default.contributor),
            Self::Space(_) | Self::MeetingReport(_) => default,
        }
    }

    /// Whether `actor`, who has `access` to `case`, may attach a document here on `today` (the
    /// LA's calendar date). Asked before a byte of the file is read, and again when it is
    /// attached.
    ///
    /// # Errors
    /// [`CaseError::OutOfOrder`] with the reason fit to show (not family; not their open
    /// advice request; not invited or the meeting closed; not the organiser or not held yet);
    /// [`CaseError::NoSuchAdviceRequest`]; [`CaseError::NotShown`] for a meeting a contributor
    /// is not invited to.
    pub fn check(
        self,
        case: &Case,
        access: &CaseAccess,
        actor: AccountId,
        today: Date,
    ) -> Result<(), CaseError> {
        match self {
            Self::Space(_) => {
                if !access.family {
                    return Err(CaseError::OutOfOrder(
                        "Only the family can add to About Me and the parent or carer's views",
                    ));
                }
                Ok(())
            }
            Self::Advice(number) => case.check_advice_attachment(number, actor),
            // A contributor sees only the meetings they are invited to: any other is not there.
            Self::MeetingViews(number) | Self::MeetingReport(number)
                if !access.is_participant()
                    && case
                        .meeting(number)
                        .is_none_or(|m| m.invitee(actor).is_none()) =>
            {
                Err(CaseError::NotShown)
            }
            Self::MeetingViews(number) => case.check_meeting_views(number, actor, today),
            Self::MeetingReport(number) => {
                let organiser = access.setting
                    && case
                        .meeting(number)
                        .is_some_and(|m| m.organiser.account() == actor);
                if !(access.la || organiser) {
                    return Err(CaseError::OutOfOrder(
                        "Only the local authority or the meeting's organiser can add its report",
                    ));
                }
                case.check_meeting_report_document(number)
            }
        }
    }

    /// Attaches `document` (just uploaded to `case` by `actor`) here, after
    /// [`Attachment::check`]. Returns what happened, for the timeline ("Photo added to About
    /// Me").
    ///
    /// # Errors
    /// Those of [`Attachment::check`]; the case is unchanged on error.
    pub fn attach(
        self,
        case: &mut Case,
        access: &CaseAccess,
        document: &Document,
        today: Date,
    ) -> Result<String, CaseError> {
        let actor = document.uploaded_by;
        self.check(case, access, actor, today)?;
        let kind = document.kind.describe();
        let at: OffsetDateTime = document.uploaded_at;
        Ok(match self {
            Self::Space(space) => {
                case.views
                    .add_document(space, document.id, &document.title, actor, at);
                format!("{kind} added to {}", space.title())
            }
            Self::Advice(number) => {
                case.attach_advice_document(number, actor, document.id)?;
                format!("{kind} added to the advice requested from {}", {
                    case.advice_request(number)
                        .map_or_else(String::new, |r| r.from.clone())
                })
            }
            Self::MeetingViews(number) => {
                case.give_meeting_views_document(number, actor, document.id, at, today)?;
                format!("{kind} given as views for review meeting {}", number.0)
            }
            Self::MeetingReport(number) => {
                case.attach_meeting_report(number, document.id)?;
                format!("{kind} added to the report of review meeting {}", number.0)
            }
        })
    }
}

impl Case {
    /// Whether a viewer with `access` may see `document` of this case: its audiences
    /// ([`Case::document_audiences`]), and for a contributor also the files of the report of
    /// a meeting they are invited to (they read its report).
    pub fn document_shown(&self, document: &Document, access: &CaseAccess) -> bool {
        self.document_audiences(document).shows_to(access)
            || access.contributor.is_some_and(|viewer| {
                self.meetings.iter().any(|m| {
                    !m.withdrawn
                        && m.report_documents.contains(&document.id)
                        && m.invitee(viewer).is_some()
                })
            })
    }

    /// Who sees `document` of this case: the audiences it was uploaded with
    /// ([`Document::visible_to`], never changed), widened by what it is attached to — a
    /// document with advice that has been submitted is seen by the family too, as the advice
    /// is ([`super::advice::AdviceShown::Advice`]).
    pub fn document_audiences(&self, document: &Document) -> Visibility {
        let with_submitted_advice = self
            .advice_requests()
            .any(|r| r.submitted.is_some() && r.documents.contains(&document.id));
        Visibility {
            family: document.visible_to.family || with_submitted_advice,
            ..document.visible_to
        }
    }
}

/// A positive number of at most 9 digits, written plainly (no sign, no leading zero).
fn number_of(digits: &str) -> Option<u32> {
    if digits.is_empty()
        || digits.len() > 9
        || digits.starts_with('0')
        || !digits.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_attachment_reads_back_from_its_field() {
        for attachment in [
            Attachment::Space(ViewSpace::AboutMe),
            Attachment::Space(ViewSpace::ParentCarer),
            Attachment::Advice(EventNumber(3)),
            Attachment::MeetingViews(MeetingNumber(2)),
            Attachment::MeetingReport(MeetingNumber(12)),
        ] {
            assert_eq!(Attachment::parse(&attachment.as_field()), Some(attachment));
        }
    }

    #[test]
    fn anything_else_is_no_attachment() {
        for field in [
            "",
            "advice-",
            "advice-0",
            "advice-01",
            "advice--1",
            "advice-+1",
            "advice-1x",
            "advice-99999999999",
            "meeting-1",
            "meeting-1-view",
            "meeting--report",
            "Meeting-1-report",
            "about me",
        ] {
            assert_eq!(Attachment::parse(field), None, "{field:?}");
        }
    }
}
