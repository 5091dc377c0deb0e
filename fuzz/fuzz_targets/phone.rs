//! Mobile numbers as typed at text-message set-up (any UK or international form): any text gives
//! a number or an error, never a panic; an accepted number is E.164 and reads back to itself.
#![no_main]

use ehc_core::second_factor::PhoneNumber;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (bool, &str)| {
    let (allow_drama_numbers, text) = input;
    let Ok(number) = PhoneNumber::parse(text, allow_drama_numbers) else {
        return;
    };
    let e164 = number.e164();
    let digits = e164.strip_prefix('+').expect("E.164 starts with +");
    assert!((1..=15).contains(&digits.len()), "{e164}");
    assert!(digits.bytes().all(|b| b.is_ascii_digit()), "{e164}");
    assert!(e164.ends_with(number.last_digits()));
    let again = PhoneNumber::parse(e164, allow_drama_numbers).expect("E.164 reads back");
    assert_eq!(again.e164(), e164);
});
