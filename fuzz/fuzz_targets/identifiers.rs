//! The small parsers of outside text: URN, LA code, LA reference, case and document ids from page
//! addresses, registration-link tokens, stored content hashes and TOTP secrets, the upload form's
//! `for` field, GIAS status words. Any text gives a value or an error, never a panic; a value
//! reads back from its own written form.
#![no_main]

use ehc_core::case::{Attachment, CaseId, LaReference};
use ehc_core::document::{ContentHash, DocumentId};
use ehc_core::invitation::InvitationToken;
use ehc_core::role::Urn;
use ehc_core::second_factor::TotpSecret;
use ehc_core::setting::{LaCode, SettingStatus, search_key};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    if let Ok(urn) = Urn::parse(input) {
        assert_eq!(Urn::parse(&urn.to_string()), Ok(urn));
        assert!((100_000..=999_999).contains(&urn.get()));
    }
    if let Ok(code) = LaCode::parse(input) {
        assert_eq!(LaCode::parse(&code.to_string()), Ok(code));
    }
    if let Ok(reference) = LaReference::parse(input) {
        assert_eq!(
            LaReference::parse(reference.as_str()),
            Ok(reference.clone())
        );
        assert!(reference.as_str().chars().count() <= LaReference::MAX);
    }
    if let Some(id) = CaseId::parse(input) {
        assert_eq!(CaseId::parse(&id.to_string()), Some(id));
    }
    if let Some(id) = DocumentId::parse(input) {
        assert_eq!(DocumentId::parse(&id.to_string()), Some(id));
    }
    if let Ok(token) = InvitationToken::parse(input) {
        let link = token.to_link_param();
        assert_eq!(link.len(), 43);
        assert_eq!(
            InvitationToken::parse(&link).map(|t| t.hash()),
            Ok(token.hash())
        );
    }
    if let Ok(hash) = ContentHash::parse(input) {
        assert_eq!(ContentHash::parse(&hash.to_hex()), Ok(hash));
    }
    if let Ok(secret) = TotpSecret::from_base32(input) {
        let key = secret.base32();
        assert_eq!(key.len(), 32);
        assert_eq!(
            TotpSecret::from_base32(&secret.base32_in_groups()).map(|s| s.base32()),
            Ok(key)
        );
    }
    if let Some(place) = Attachment::parse(input) {
        assert_eq!(Attachment::parse(&place.as_field()), Some(place));
    }
    if let Some(status) = SettingStatus::from_gias(input) {
        assert_eq!(SettingStatus::from_storage(status.as_str()), Some(status));
    }
    let key = search_key(input);
    assert_eq!(search_key(&key), key);
});
