//! CSRF tokens: one random token per session (32 bytes, URL-safe base64), put in a hidden field
//! of every form and compared in constant time on every POST.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

use ehc_core::ports::{RandomnessUnavailable, SecretSource};

/// The form field that carries the token.
pub const FIELD: &str = "csrf_token";

/// A new token.
pub fn new_token(secrets: &dyn SecretSource) -> Result<String, RandomnessUnavailable> {
    let mut bytes = [0u8; 32];
    secrets.fill(&mut bytes)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// Whether `presented` equals the session's `expected` token (never true for an empty one).
pub fn matches(expected: &str, presented: &str) -> bool {
    !expected.is_empty()
        && expected.len() == presented.len()
        && bool::from(expected.as_bytes().ct_eq(presented.as_bytes()))
}
