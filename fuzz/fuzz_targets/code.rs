//! Sign-in codes as typed (app or text): any text gives six digits or an error, never a panic.
#![no_main]

use ehc_core::second_factor::OtpCode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    if let Ok(code) = OtpCode::parse(input) {
        assert_eq!(code.as_str().len(), 6);
        assert!(code.as_str().bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(
            OtpCode::parse(code.as_str()).map(|c| c.as_str().to_owned()),
            Ok(code.as_str().to_owned())
        );
    }
});
