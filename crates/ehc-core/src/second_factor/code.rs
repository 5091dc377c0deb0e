//! Codes typed by the person: [`OtpCode`].

use std::fmt;

/// A second-factor code as typed: after removing spaces and hyphens, exactly 6 ASCII digits
/// (docs/SECURITY.md: `81804` never matches `081804`). `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct OtpCode(String);

/// Why input is not a code. Messages are fit for the page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OtpCodeError {
    /// Nothing typed.
    #[error("Enter the security code")]
    Empty,
    /// Not 6 digits.
    #[error("The security code must be 6 digits")]
    NotSixDigits,
}

impl OtpCode {
    /// Parses input: white space and hyphens are removed, then exactly 6 ASCII digits remain.
    ///
    /// # Errors
    /// [`OtpCodeError::Empty`] or [`OtpCodeError::NotSixDigits`].
    pub fn parse(input: &str) -> Result<Self, OtpCodeError> {
        if input.len() > 64 {
            return Err(OtpCodeError::NotSixDigits);
        }
        let digits: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if digits.is_empty() {
            return Err(OtpCodeError::Empty);
        }
        if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(OtpCodeError::NotSixDigits);
        }
        Ok(Self(digits))
    }

    /// The 6 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for OtpCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OtpCode(<hidden>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn spaces_and_hyphens_are_removed_and_six_digits_remain() {
        assert_eq!(OtpCode::parse(" 081 804 ").unwrap().as_str(), "081804");
        assert_eq!(OtpCode::parse("081-804").unwrap().as_str(), "081804");
        assert_eq!(OtpCode::parse("81804"), Err(OtpCodeError::NotSixDigits));
        assert_eq!(OtpCode::parse("0818045"), Err(OtpCodeError::NotSixDigits));
        assert_eq!(OtpCode::parse("08180a"), Err(OtpCodeError::NotSixDigits));
        assert_eq!(OtpCode::parse("٠٨١٨٠٤"), Err(OtpCodeError::NotSixDigits)); // Arabic-Indic digits
        assert_eq!(OtpCode::parse(" - "), Err(OtpCodeError::Empty));
        assert!(!format!("{:?}", OtpCode::parse("081804").unwrap()).contains("081804"));
    }

    proptest! {
        #[test]
        fn parse_never_panics(input in any::<String>()) {
            let _ = OtpCode::parse(&input);
        }

        #[test]
        fn every_parsed_code_is_six_ascii_digits(input in "[0-9 -]{0,12}") {
            if let Ok(code) = OtpCode::parse(&input) {
                prop_assert_eq!(code.as_str().len(), 6);
                prop_assert!(code.as_str().bytes().all(|b| b.is_ascii_digit()));
            }
        }
    }
}
