//! Form bodies read leniently: any bytes become fields (invalid UTF-8 is replaced, a repeated
//! field keeps its first value, a missing field is empty), so bad input always reaches a page
//! that says what is wrong instead of an extractor's bare 4xx.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;

use crate::AppState;
use crate::session::HubSession;

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

    /// Adds a field read another way (a multipart form's text field); a repeated field keeps
    /// its first value, as [`Fields::parse`] does.
    pub(crate) fn add(&mut self, name: String, value: String) {
        self.0.entry(name).or_insert(value);
    }

    /// The field's value, or "" when absent.
    pub fn get(&self, name: &str) -> &str {
        self.0.get(name).map_or("", String::as_str)
    }
}

/// A form post whose CSRF token matches its session's: handlers that change anything take this
/// as their last argument, so no such handler can forget the check. A missing or wrong token
/// answers the "could not accept that form" page (403) and the handler never runs.
pub struct CheckedForm {
    /// The request's session.
    pub session: HubSession,
    /// The form's fields.
    pub form: Fields,
}

impl FromRequest<AppState> for CheckedForm {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let Some(session) = req.extensions().get::<tower_sessions::Session>().cloned() else {
            return Err(
                crate::pages::PageError::Internal("no session layer".to_owned()).into_response(),
            );
        };
        let body = Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let session = HubSession(session);
        let form = Fields::parse(&body);
        match session.csrf_ok(form.get(crate::csrf::FIELD)).await {
            Ok(true) => Ok(Self { session, form }),
            Ok(false) => Err(state.csrf_refused().await.into_response()),
            Err(e) => Err(e.into_response()),
        }
    }
}
