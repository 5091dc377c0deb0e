//! A request for an EHC needs assessment sent online (CFA 2014 s.36(1); reg 3–5, SEN
//! Regulations 2014): who asks, the child or young person, the requester's contact details, the
//! child's and family's views, past SEN support and health information, and consent.
//!
//! [`RequestAnswers`] is what the person typed (kept between the question pages);
//! [`AssessmentRequest::from_answers`] checks it and returns every problem at once, each tied to
//! its [`RequestField`] so each question page shows its own. Few answers are mandatory: who asks,
//! the child's names and date of birth, the requester's name and e-mail address (and
//! relationship, for a parent or carer), and consent. Every text has a length limit and is
//! stored without control or invisible formatting characters ([`super::clean_text`]).
//!
//! The service side, which turns a checked request into a case, is
//! [`super::CaseService::send_request`] (`request_service.rs`).

use serde::{Deserialize, Serialize};
use time::Date;

use super::{CaseError, Child, LaReference, MAX_NAME, clean_text, name_part};
use crate::account::EmailAddress;
use crate::ports::{RandomnessUnavailable, SecretSource};
use crate::role::Urn;

/// Longest answer to a question with a text box (views, SEN support, health), in characters.
pub const MAX_ANSWER: usize = 4000;
/// Longest phone number, in characters.
pub const MAX_PHONE: usize = 20;
/// Most files a signed-in requester may send with one request (reports, the setting's SEN
/// support evidence); more can be uploaded on the case afterwards.
pub const MAX_REQUEST_DOCUMENTS: usize = 10;

/// Who asks for the assessment (CFA 2014 s.36(1): the child's parent, the young person, or a
/// person acting on behalf of a school or post-16 institution).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "kebab-case")]
pub enum Requester {
    /// A parent or carer of the child.
    ParentCarer,
    /// The young person (16 to 25 on the day the request is sent).
    YoungPerson,
    /// A SENDCo (or other staff holding the SENDCo role) for an education setting; the case is
    /// linked to that setting.
    Sendco {
        /// The setting's URN.
        setting: Urn,
    },
}

impl Requester {
    /// Words for pages and the timeline: "a parent or carer", "the young person", "a SENDCo
    /// for education setting 100001".
    pub fn describe(self) -> String {
        match self {
            Self::ParentCarer => "a parent or carer".to_owned(),
            Self::YoungPerson => "the young person".to_owned(),
            Self::Sendco { setting } => format!("a SENDCo for education setting {setting}"),
        }
    }
}

/// A question of the request, to tie an error to its field (and so to its page).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestField {
    /// Who is asking.
    Requester,
    /// The child's first name.
    ChildGivenName,
    /// The child's last name.
    ChildFamilyName,
    /// The child's date of birth.
    ChildDateOfBirth,
    /// The requester's full name.
    RequesterName,
    /// The requester's relationship to the child.
    Relationship,
    /// The requester's e-mail address.
    Email,
    /// The requester's phone number.
    Phone,
    /// What is working well.
    WorkingWell,
    /// What is not working well.
    NotWorking,
    /// What might help.
    MightHelp,
    /// SEN support given so far.
    SenSupport,
    /// Health information.
    Health,
    /// Consent.
    Consent,
}

/// One problem with the answers: the question and a message fit to show next to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFieldError {
    /// The question.
    pub field: RequestField,
    /// What is wrong, in GOV.UK words ("Enter the child's first name").
    pub message: String,
}

/// The answers as typed, before any check. Texts are raw; the date of birth is already a
/// calendar date (the web layer reads the three date fields), `None` when not given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestAnswers {
    /// Who is asking; `None` when not chosen.
    pub requester: Option<Requester>,
    /// The child's first name.
    pub child_given_name: String,
    /// The child's last name.
    pub child_family_name: String,
    /// The child's date of birth.
    pub child_date_of_birth: Option<Date>,
    /// The requester's full name.
    pub requester_name: String,
    /// The requester's relationship to the child ("Mother", "Foster carer"); needed from a
    /// parent or carer only.
    pub relationship: String,
    /// The requester's e-mail address (the registration e-mail goes there).
    pub email: String,
    /// The requester's phone number (optional).
    pub phone: String,
    /// The child's and family's views: what is working well.
    pub working_well: String,
    /// What is not working well.
    pub not_working: String,
    /// What might help.
    pub might_help: String,
    /// The SEN support given so far (by the setting, or others).
    pub sen_support: String,
    /// Health information (diagnoses, professionals involved).
    pub health: String,
    /// Whether the requester agrees to the LA sharing the request with the professionals it
    /// asks for advice (reg 6(1)).
    pub consent: bool,
}

/// A checked request, as stored on its case ([`super::Case::request`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssessmentRequest {
    /// Who asked.
    pub requester: Requester,
    /// The requester's full name.
    pub requester_name: String,
    /// Their relationship to the child ("" when not given).
    pub relationship: String,
    /// Their e-mail address.
    pub email: EmailAddress,
    /// Their phone number, as typed ("" when not given).
    pub phone: String,
    /// What is working well ("" when not given).
    pub working_well: String,
    /// What is not working well.
    pub not_working: String,
    /// What might help.
    pub might_help: String,
    /// SEN support so far.
    pub sen_support: String,
    /// Health information.
    pub health: String,
    /// Consent given (always `true` on a sent request).
    pub consent: bool,
}

fn optional_text(
    input: &str,
    field: RequestField,
    what: &'static str,
    errors: &mut Vec<RequestFieldError>,
) -> String {
    let text = clean_text(input, true);
    if text.chars().count() > MAX_ANSWER {
        errors.push(RequestFieldError {
            field,
            message: CaseError::TooLong {
                what,
                max: MAX_ANSWER,
            }
            .to_string(),
        });
    }
    text
}

fn phone(input: &str) -> Result<String, String> {
    let text = clean_text(input, false);
    if text.chars().count() > MAX_PHONE {
        return Err(format!(
            "The phone number must be {MAX_PHONE} characters or fewer"
        ));
    }
    let digits = text.chars().filter(char::is_ascii_digit).count();
    let allowed = text
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '(' | ')' | '-'));
    if !text.is_empty() && (!allowed || digits < 7) {
        return Err("Enter a phone number, like 01632 960 001 or 07700 900 982".to_owned());
    }
    Ok(text)
}

impl AssessmentRequest {
    /// Checks `answers` on `today` (the LA's calendar date, Europe/London): every problem at
    /// once. Returns the request and the child, whose names and date of birth go on the case.
    ///
    /// Rules: who asks is chosen; the child's names as [`name_part`]; the date of birth not in
    /// the future and the child under 26 on `today` (CFA 2014 s.83(2)); a young person asking
    /// for themselves is 16 to 25 on `today` (over compulsory school age, CFA 2014 s.83(2));
    /// the requester's name; the relationship for a parent or carer; a valid e-mail address; an
    /// optional phone number of 7 or more digits; every text within its limit ([`MAX_NAME`],
    /// [`MAX_ANSWER`], [`MAX_PHONE`]); consent given.
    ///
    /// # Errors
    /// Every [`RequestFieldError`] found, in the order of the questions.
    pub fn from_answers(
        answers: &RequestAnswers,
        today: Date,
    ) -> Result<(Self, Child), Vec<RequestFieldError>> {
        let mut errors = Vec::new();
        let mut push = |field, message: String| errors.push(RequestFieldError { field, message });
        if answers.requester.is_none() {
            push(
                RequestField::Requester,
                "Select who is asking for the assessment".to_owned(),
            );
        }
        let given = name_part(
            &answers.child_given_name,
            "The child's first name",
            "the child's first name",
        )
        .map_err(|e| push(RequestField::ChildGivenName, e.to_string()))
        .ok();
        let family = name_part(
            &answers.child_family_name,
            "The child's last name",
            "the child's last name",
        )
        .map_err(|e| push(RequestField::ChildFamilyName, e.to_string()))
        .ok();
        match answers.child_date_of_birth {
            None => push(
                RequestField::ChildDateOfBirth,
                "Enter the child's date of birth".to_owned(),
            ),
            Some(dob) => {
                let child = Child {
                    given_name: String::new(),
                    family_name: String::new(),
                    date_of_birth: dob,
                };
                if dob > today {
                    push(
                        RequestField::ChildDateOfBirth,
                        "The date of birth must be today or in the past".to_owned(),
                    );
                } else if child.age_on(today) >= 26 {
                    push(
                        RequestField::ChildDateOfBirth,
                        "EHC plans are for children and young people under 26: check the date of birth".to_owned(),
                    );
                } else if answers.requester == Some(Requester::YoungPerson)
                    && child.age_on(today) < 16
                {
                    push(
                        RequestField::ChildDateOfBirth,
                        "A young person asking for themselves must be 16 or over: check the date of birth, or ask a parent or carer to send the request".to_owned(),
                    );
                }
            }
        }
        let requester_name = name_part(&answers.requester_name, "Your name", "your full name")
            .map_err(|e| push(RequestField::RequesterName, e.to_string()))
            .ok();
        let relationship = clean_text(&answers.relationship, false);
        if relationship.chars().count() > MAX_NAME {
            push(
                RequestField::Relationship,
                CaseError::TooLong {
                    what: "Your relationship to the child",
                    max: MAX_NAME,
                }
                .to_string(),
            );
        } else if answers.requester == Some(Requester::ParentCarer)
            && !relationship.chars().any(char::is_alphanumeric)
        {
            push(
                RequestField::Relationship,
                "Enter your relationship to the child, like mother or foster carer".to_owned(),
            );
        }
        let email = EmailAddress::parse(&answers.email)
            .map_err(|e| push(RequestField::Email, e.to_string()))
            .ok();
        let phone = phone(&answers.phone)
            .map_err(|m| push(RequestField::Phone, m))
            .unwrap_or_default();
        let working_well = optional_text(
            &answers.working_well,
            RequestField::WorkingWell,
            "What is working well",
            &mut errors,
        );
        let not_working = optional_text(
            &answers.not_working,
            RequestField::NotWorking,
            "What is not working well",
            &mut errors,
        );
        let might_help = optional_text(
            &answers.might_help,
            RequestField::MightHelp,
            "What might help",
            &mut errors,
        );
        let sen_support = optional_text(
            &answers.sen_support,
            RequestField::SenSupport,
            "The SEN support so far",
            &mut errors,
        );
        let health = optional_text(
            &answers.health,
            RequestField::Health,
            "The health information",
            &mut errors,
        );
        if !answers.consent {
            errors.push(RequestFieldError {
                field: RequestField::Consent,
                message: "Confirm that you agree to the local authority sharing this request"
                    .to_owned(),
            });
        }
        let (
            Some(requester),
            Some(given_name),
            Some(family_name),
            Some(date_of_birth),
            Some(requester_name),
            Some(email),
            true,
        ) = (
            answers.requester,
            given,
            family,
            answers.child_date_of_birth,
            requester_name,
            email,
            errors.is_empty(),
        )
        else {
            return Err(errors);
        };
        Ok((
            Self {
                requester,
                requester_name,
                relationship,
                email,
                phone,
                working_well,
                not_working,
                might_help,
                sen_support,
                health,
                consent: true,
            },
            Child {
                given_name,
                family_name,
                date_of_birth,
            },
        ))
    }
}

/// The alphabet of generated references: Crockford's base 32 (digits and capitals without
/// I, L, O and U, so a reference read aloud or copied by hand is not misread). 32 symbols, so
/// each random byte maps to one without bias (`byte % 32`).
const REFERENCE_ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// A new LA reference for an online request: `REQ-{year}-` and 6 random symbols of Crockford's
/// base 32 (about a billion a year), e.g. `REQ-2026-7F3K9Q`. Unique only with the store's check:
/// the service retries on the rare clash.
///
/// # Errors
/// [`RandomnessUnavailable`] from the source.
pub fn new_request_reference(
    secrets: &dyn SecretSource,
    today: Date,
) -> Result<LaReference, RandomnessUnavailable> {
    let mut bytes = [0u8; 6];
    secrets.fill(&mut bytes)?;
    let code: String = bytes
        .iter()
        .map(|b| char::from(REFERENCE_ALPHABET[usize::from(b % 32)]))
        .collect();
    // Capitals, digits and hyphens of at most 15 characters: a valid reference as it stands.
    Ok(LaReference(format!("REQ-{}-{code}", today.year())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::SeededSecretSource;
    use time::macros::date;

    #[test]
    fn a_reference_is_req_the_year_and_six_crockford_symbols() {
        let reference =
            new_request_reference(&SeededSecretSource::new(1), date!(2026 - 03 - 02)).unwrap();
        let text = reference.as_str();
        assert_eq!(text.len(), "REQ-2026-7F3K9Q".len());
        assert!(text.starts_with("REQ-2026-"));
        assert!(
            text[9..]
                .bytes()
                .all(|b| REFERENCE_ALPHABET.contains(&b) && !b"ILOU".contains(&b))
        );
    }
}
