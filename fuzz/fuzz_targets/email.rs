//! E-mail addresses as typed at sign-in, registration and invitation: any text gives an address
//! or an error, never a panic; an accepted address reads back to itself.
#![no_main]

use ehc_core::account::{EmailAddress, MAX_EMAIL_LEN};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    let Ok(address) = EmailAddress::parse(input) else {
        return;
    };
    assert!(address.as_entered().len() <= MAX_EMAIL_LEN);
    assert!(address.as_entered().contains('@'));
    let again = EmailAddress::parse(address.as_entered()).expect("an accepted address reads back");
    assert_eq!(again.canonical(), address.canonical());
});
