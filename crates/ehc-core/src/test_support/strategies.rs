//! proptest strategies for values of the core: e-mail addresses, passwords that pass the
//! default policy, and any text.

use proptest::prelude::*;

/// Valid e-mail addresses in mixed case, like `Jo.Bloggs7@Example-3.gov.uk`.
pub fn email_address() -> impl Strategy<Value = String> {
    (
        "[A-Za-z][A-Za-z0-9]{0,8}(\\.[A-Za-z0-9]{1,8})?",
        "[A-Za-z][A-Za-z0-9-]{0,10}[A-Za-z0-9]",
        prop::sample::select(vec!["gov.uk", "org", "sch.uk", "nhs.net", "example.com"]),
    )
        .prop_map(|(local, domain, tld)| format!("{local}@{domain}.{tld}"))
}

/// Passwords that meet the default policy: 8–40 characters with a capital and a symbol, drawn
/// so that they are not on the common list.
pub fn valid_password() -> impl Strategy<Value = String> {
    ("[A-ZÉÖ]", "[a-zäé0-9 ]{5,36}", "[!?£%#€-]", "[0-9]{1,2}")
        .prop_map(|(capital, middle, symbol, digits)| format!("{capital}{middle}{symbol}{digits}"))
}

/// Any password-like text, valid or not, including very long and non-ASCII input.
pub fn any_password() -> impl Strategy<Value = String> {
    prop_oneof![
        valid_password(),
        "\\PC{0,20}",
        "[a-z]{1,12}",
        "\\PC{250,300}",
    ]
}
