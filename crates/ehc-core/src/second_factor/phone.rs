//! Mobile numbers for text-message codes, parsed with libphonenumber's metadata (the
//! `phonenumber` crate).

use serde::{Deserialize, Serialize};
use std::fmt;

/// A number that can receive texts: stored as E.164 (`+447911123456`), shown back in the form
/// the person typed it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneNumber {
    e164: String,
    entered: String,
}

/// Why input is not a usable mobile number. Messages are fit for the page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Nothing typed.
    #[error("Enter a mobile phone number")]
    Empty,
    /// Not a phone number (wrong length, letters, unknown country code).
    #[error(
        "Enter a mobile phone number in the correct format, like 07700 900 982 or +44 7700 900 982"
    )]
    Invalid,
    /// A valid number that cannot receive texts (a landline, freephone, premium rate…).
    #[error("Enter a mobile phone number that can receive text messages")]
    NotMobile,
    /// One of Ofcom's numbers reserved for drama (07700 900000–900999), refused outside demo
    /// and test configurations.
    #[error(
        "Enter a real mobile phone number. Numbers from 07700 900000 to 07700 900999 are reserved for TV and radio"
    )]
    DramaNumber,
}

/// The E.164 prefix of Ofcom's drama mobile range 07700 900000–900999.
const DRAMA_PREFIX: &str = "+447700900";

impl PhoneNumber {
    /// Parses any common UK form (`07911 123456`, `+44 7911 123456`, `+44 (0)7911 123456`,
    /// `0044 7911 123456`; default region GB) or an international number with its country code.
    /// Only digits, spaces and `+ ( ) - .` are accepted (no letters: libphonenumber would read
    /// them as keypad digits). The number must be a mobile (or, where the numbering plan cannot
    /// tell, a fixed-line-or-mobile number).
    ///
    /// # Errors
    /// [`PhoneError::Empty`], [`PhoneError::Invalid`], [`PhoneError::NotMobile`], or
    /// [`PhoneError::DramaNumber`] unless `allow_drama_numbers`.
    pub fn parse(input: &str, allow_drama_numbers: bool) -> Result<Self, PhoneError> {
        let entered = input.trim();
        if entered.is_empty() {
            return Err(PhoneError::Empty);
        }
        if entered.len() > 32
            || !entered
                .chars()
                .all(|c| c.is_ascii_digit() || c == ' ' || "+()-.".contains(c))
        {
            return Err(PhoneError::Invalid);
        }
        // "0044 …" is the UK's international prefix: read it as "+44 …".
        let normalised = match entered.strip_prefix("00") {
            Some(rest) => format!("+{rest}"),
            None => entered.to_owned(),
        };
        let number = phonenumber::parse(Some(phonenumber::country::Id::GB), &normalised)
            .map_err(|_| PhoneError::Invalid)?;
        let e164 = number.format().mode(phonenumber::Mode::E164).to_string();
        // libphonenumber's metadata marks the drama range invalid; decide on it first.
        if e164.len() == 13 && e164.starts_with(DRAMA_PREFIX) {
            if !allow_drama_numbers {
                return Err(PhoneError::DramaNumber);
            }
        } else {
            if !number.is_valid() {
                return Err(PhoneError::Invalid);
            }
            match number.number_type(&phonenumber::metadata::DATABASE) {
                phonenumber::Type::Mobile | phonenumber::Type::FixedLineOrMobile => {}
                _ => return Err(PhoneError::NotMobile),
            }
        }
        Ok(Self {
            e164,
            entered: entered.to_owned(),
        })
    }

    /// Rebuilds a stored number (already validated when it was enrolled).
    pub fn from_stored(e164: impl Into<String>, entered: impl Into<String>) -> Self {
        Self {
            e164: e164.into(),
            entered: entered.into(),
        }
    }

    /// E.164 form: `+` and up to 15 digits. What texts are sent to.
    pub fn e164(&self) -> &str {
        &self.e164
    }

    /// The number as the person typed it, for showing back at set-up.
    pub fn as_entered(&self) -> &str {
        &self.entered
    }

    /// The last 4 digits, for "the mobile number ending in 3456" at later sign-ins: the full
    /// number is never shown then.
    pub fn last_digits(&self) -> &str {
        let start = self.e164.len().saturating_sub(4);
        self.e164.get(start..).unwrap_or_default()
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber(…{})", self.last_digits())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn common_uk_forms_become_e164() {
        for input in [
            "07911 123456",
            "+44 7911 123456",
            "+44 (0)7911 123456",
            "0044 7911 123456",
            "07911-123-456",
        ] {
            assert_eq!(
                PhoneNumber::parse(input, false).unwrap().e164(),
                "+447911123456",
                "{input}"
            );
        }
        let n = PhoneNumber::parse("+44 (0)7911 123456", false).unwrap();
        assert_eq!(n.as_entered(), "+44 (0)7911 123456");
        assert_eq!(n.last_digits(), "3456");
        assert!(!format!("{n:?}").contains("7911"));
    }

    #[test]
    fn landlines_and_drama_numbers_are_refused_with_their_reason() {
        assert_eq!(
            PhoneNumber::parse("020 7946 0000", false),
            Err(PhoneError::NotMobile)
        );
        assert_eq!(
            PhoneNumber::parse("0800 123 4567", false),
            Err(PhoneError::NotMobile)
        );
        assert_eq!(
            PhoneNumber::parse("07700 900123", false),
            Err(PhoneError::DramaNumber)
        );
        assert_eq!(
            PhoneNumber::parse("07700 900123", true).unwrap().e164(),
            "+447700900123"
        );
        assert_eq!(
            PhoneNumber::parse("07911 12345X", false),
            Err(PhoneError::Invalid)
        );
        assert_eq!(PhoneNumber::parse("  ", false), Err(PhoneError::Empty));
    }

    proptest! {
        #[test]
        fn parse_never_panics(input in any::<String>(), drama in any::<bool>()) {
            let _ = PhoneNumber::parse(&input, drama);
        }

        #[test]
        fn parse_never_panics_on_phone_like_input(input in "[0-9 +()\\-.]{0,40}") {
            if let Ok(n) = PhoneNumber::parse(&input, true) {
                prop_assert!(n.e164().starts_with('+'));
            }
        }
    }
}
