//! Form bodies (`application/x-www-form-urlencoded`) as every form post is read: any bytes give
//! fields, never a panic; a field's value is its first occurrence, percent-decoded.
#![no_main]

use libfuzzer_sys::fuzz_target;

const NAMES: &[&str] = &["csrf_token", "email", "password", "code", "mobile", "", "a"];

fuzz_target!(|body: &[u8]| {
    let values = ehc_http::fuzzing::form_fields(body, NAMES);
    assert_eq!(values.len(), NAMES.len());
    // Every value came out of the body: no decoding makes text longer than its encoding
    // (U+FFFD for one invalid byte is 3 bytes, so at most 3 times).
    for value in &values {
        assert!(value.len() <= 3 * body.len());
    }
});
