//! Form bodies read leniently: any bytes become fields (invalid UTF-8 is replaced, a repeated
//! field keeps its first value, a missing field is empty), so bad input always reaches a page
//! that says what is wrong instead of an extractor's bare 4xx.

use axum::body::Bytes;
use std::collections::HashMap;

/// The fields of an `application/x-www-form-urlencoded` body. No `Debug`: they hold passwords
/// and codes.
#[derive(Default)]
pub struct Fields(HashMap<String, String>);

impl Fields {
    /// Parses `body`.
    pub fn parse(body: &Bytes) -> Self {
        let mut map = HashMap::new();
        for (k, v) in form_urlencoded::parse(body) {
            map.entry(k.into_owned()).or_insert_with(|| v.into_owned());
        }
        Self(map)
    }

    /// The field's value, or "" when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0.get(name).map_or("", String::as_str)
    }
}
