//! The adapter's own readers of form input as plain functions, for the cargo-fuzz targets under
//! `fuzz/` (feature `fuzzing`; the hub is never built with it). Each takes what a client sends
//! and returns what a handler would see.

use axum::body::Bytes;

use crate::cases::DateFields;
use crate::form::Fields;

/// Reads `body` as an `application/x-www-form-urlencoded` form, as every form post is read:
/// the values of `names`, in order ("" for a missing field; a repeated field keeps its first
/// value; invalid UTF-8 replaced with U+FFFD).
pub fn form_fields(body: &[u8], names: &[&str]) -> Vec<String> {
    let fields = Fields::parse(&Bytes::copy_from_slice(body));
    names.iter().map(|n| fields.get(n).to_owned()).collect()
}

/// Reads the GOV.UK date input `name` of the form `body` (its `{name}-day`, `{name}-month` and
/// `{name}-year` fields, trimmed): the calendar date, or the message shown by the field.
///
/// # Errors
/// The field's message, as the page shows it ("Enter the date", "The date must be a real
/// date", …).
pub fn form_date(body: &[u8], name: &str) -> Result<time::Date, String> {
    let fields = Fields::parse(&Bytes::copy_from_slice(body));
    DateFields::read(&fields, name).date("the date")
}
