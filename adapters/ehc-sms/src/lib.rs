//! # ehc-sms: the hub's text messages, an adapter of [`ehc_core::notification::SmsSender`]
//!
//! - [`NotifySms`] sends through GOV.UK Notify's API: `POST {base_url}/v2/notifications/sms`
//!   with `phone_number`, `template_id`, `personalisation` and `reference` (the outbox message
//!   id), authorised by `Authorization: Bearer <JWT>`, an HS256 token with the claims `iss`
//!   (the service id) and `iat` (now, in seconds) signed with the API key's secret. The hub's
//!   wording goes in one personalisation field, `body`: the Notify template holds `((body))`
//!   and nothing else. Notify's answers map to the port's errors: 201 accepted; 400 and 403
//!   (and other 4xx) permanent; 429, 5xx, timeouts and connection errors transient.
//! - [`TextLog`] is the development text log: each text is appended to a file, and a log line
//!   says where (without the code).
//!
//! No log line of this crate holds a text's body or the API key.

use async_trait::async_trait;
use ehc_core::notification::{SendError, SmsSender, TextMessage};
use ehc_core::ports::Clock;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use uuid::Uuid;

/// GOV.UK Notify's production API.
pub const NOTIFY_BASE_URL: &str = "https://api.notifications.service.gov.uk";

/// A Notify API key: `{key_name}-{service_id}-{secret_key}`, both ids UUIDs. The last 36
/// characters are the secret; the 36 before them, after a dash, the service id. `Debug` hides
/// the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct NotifyApiKey {
    service_id: String,
    secret: String,
}

/// The API key is not of Notify's form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "a GOV.UK Notify API key is {{key name}}-{{service id}}-{{secret key}}, both ids UUIDs (36 characters)"
)]
pub struct ApiKeyError;

impl NotifyApiKey {
    /// Reads a key as Notify shows it.
    ///
    /// # Errors
    /// [`ApiKeyError`] unless it ends in `-{uuid}-{uuid}`.
    pub fn parse(key: &str) -> Result<Self, ApiKeyError> {
        let key = key.trim();
        let n = key.len();
        if n < 73 || !key.is_char_boundary(n - 36) || !key.is_char_boundary(n - 73) {
            return Err(ApiKeyError);
        }
        let secret = &key[n - 36..];
        let service_id = &key[n - 73..n - 37];
        let dash = &key[n - 37..n - 36];
        let before = if n > 73 {
            key.get(n - 74..n - 73).unwrap_or_default()
        } else {
            "-"
        };
        if dash != "-" || before != "-" {
            return Err(ApiKeyError);
        }
        Uuid::parse_str(secret).map_err(|_| ApiKeyError)?;
        Uuid::parse_str(service_id).map_err(|_| ApiKeyError)?;
        Ok(Self {
            service_id: service_id.to_owned(),
            secret: secret.to_owned(),
        })
    }

    /// The service id (the JWT's `iss`).
    pub fn service_id(&self) -> &str {
        &self.service_id
    }

    /// The JWT for a request made at `unix_seconds`: HS256, claims `iss` and `iat`.
    ///
    /// # Errors
    /// [`SendError::Permanent`] if signing fails (no crypto provider: a build fault).
    pub fn token_at(&self, unix_seconds: i64) -> Result<String, SendError> {
        #[derive(Serialize)]
        struct Claims<'a> {
            iss: &'a str,
            iat: i64,
        }
        let fault = |e: jsonwebtoken::errors::Error| {
            SendError::permanent(format!("the Notify token cannot be signed: {e}"))
        };
        let key = jsonwebtoken::EncodingKey::from_secret(self.secret.as_bytes()).map_err(fault)?;
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
            &Claims {
                iss: &self.service_id,
                iat: unix_seconds,
            },
            &key,
        )
        .map_err(fault)
    }
}

impl fmt::Debug for NotifyApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "NotifyApiKey(service {}, secret <hidden>)",
            self.service_id
        )
    }
}

impl TryFrom<String> for NotifyApiKey {
    type Error = ApiKeyError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

/// GOV.UK Notify's settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifySettings {
    /// The API's address (default [`NOTIFY_BASE_URL`]).
    #[serde(default = "default_base_url")]
    pub base_url: String,
    /// The API key (a secret; read it from the environment or a secrets file).
    #[serde(skip_serializing, deserialize_with = "deserialize_key")]
    pub api_key: NotifyApiKey,
    /// The id of the text message template whose content is `((body))`.
    pub template_id: Uuid,
    /// Seconds to wait for Notify before the attempt counts as a transient failure
    /// (default 15).
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
}

fn default_base_url() -> String {
    NOTIFY_BASE_URL.to_owned()
}

fn default_timeout() -> u64 {
    15
}

fn deserialize_key<'de, D: serde::Deserializer<'de>>(d: D) -> Result<NotifyApiKey, D::Error> {
    let text = String::deserialize(d)?;
    NotifyApiKey::parse(&text).map_err(serde::de::Error::custom)
}

/// Notify cannot be used as configured.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The HTTP client could not be built (TLS set-up).
    #[error("the HTTP client cannot be built: {0}")]
    Client(String),
    /// No crypto provider for the JWT (a build fault: jsonwebtoken got both or neither of its
    /// crypto features).
    #[error("no JWT crypto provider is available in this build")]
    NoJwtCrypto,
    /// The base URL is not `http(s)://…`.
    #[error("the Notify base URL must start with https:// (or http:// for a local stand-in)")]
    BadBaseUrl,
    /// The text log's folder cannot be created.
    #[error("the text log's folder {path} cannot be created: {source}")]
    Folder {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Sends texts through GOV.UK Notify. Cheap to share behind an `Arc` (one connection pool).
#[derive(Debug)]
pub struct NotifySms<C> {
    client: reqwest::Client,
    url: String,
    key: NotifyApiKey,
    template_id: Uuid,
    clock: C,
}

impl<C: Clock> NotifySms<C> {
    /// A sender for `settings`; `clock` gives each token's `iat`.
    ///
    /// # Errors
    /// [`ConfigError`] when the client cannot be built or the base URL is not HTTP(S).
    pub fn new(settings: &NotifySettings, clock: C) -> Result<Self, ConfigError> {
        if jsonwebtoken::crypto::CryptoProvider::try_get_default().is_none() {
            return Err(ConfigError::NoJwtCrypto);
        }
        let base = settings.base_url.trim_end_matches('/');
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(ConfigError::BadBaseUrl);
        }
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(settings.timeout_seconds))
            .connect_timeout(Duration::from_secs(settings.timeout_seconds.min(10)))
            .user_agent(concat!("ehc-hub/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConfigError::Client(e.to_string()))?;
        Ok(Self {
            client,
            url: format!("{base}/v2/notifications/sms"),
            key: settings.api_key.clone(),
            template_id: settings.template_id,
            clock,
        })
    }
}

/// The request body of `POST /v2/notifications/sms`.
#[derive(Serialize)]
struct SendSms<'a> {
    phone_number: &'a str,
    template_id: Uuid,
    personalisation: Personalisation<'a>,
    reference: String,
}

#[derive(Serialize)]
struct Personalisation<'a> {
    body: &'a str,
}

/// Notify's error body: `{"status_code": 400, "errors": [{"error": "…", "message": "…"}]}`.
#[derive(Deserialize)]
struct NotifyErrors {
    #[serde(default)]
    errors: Vec<NotifyError>,
}

#[derive(Deserialize)]
struct NotifyError {
    #[serde(default)]
    error: String,
    #[serde(default)]
    message: String,
}

/// Longest gateway text kept as a message's last error.
const MAX_REASON: usize = 300;

fn describe(status: reqwest::StatusCode, body: &str) -> String {
    let words = serde_json::from_str::<NotifyErrors>(body)
        .ok()
        .map(|e| {
            e.errors
                .iter()
                .map(|e| format!("{}: {}", e.error, e.message))
                .collect::<Vec<_>>()
                .join("; ")
        })
        .filter(|w| !w.is_empty())
        .unwrap_or_else(|| "no error details".to_owned());
    let mut reason = format!("Notify answered {}: {words}", status.as_u16());
    if reason.len() > MAX_REASON {
        let mut end = MAX_REASON;
        while !reason.is_char_boundary(end) {
            end -= 1;
        }
        reason.truncate(end);
        reason.push('…');
    }
    reason
}

/// 201 (any 2xx) accepted; 429 and 5xx transient; other 4xx permanent (400 bad request such as
/// an invalid number, 403 bad key or token); anything else transient.
fn classify(status: reqwest::StatusCode, body: &str) -> Result<(), SendError> {
    if status.is_success() {
        Ok(())
    } else if status == reqwest::StatusCode::TOO_MANY_REQUESTS || status.is_server_error() {
        Err(SendError::transient(describe(status, body)))
    } else if status.is_client_error() {
        Err(SendError::permanent(describe(status, body)))
    } else {
        Err(SendError::transient(describe(status, body)))
    }
}

#[async_trait]
impl<C: Clock> SmsSender for NotifySms<C> {
    async fn send(&self, text: &TextMessage) -> Result<(), SendError> {
        let token = self.key.token_at(self.clock.now().unix_timestamp())?;
        let request = SendSms {
            phone_number: text.to.e164(),
            template_id: self.template_id,
            personalisation: Personalisation { body: &text.body },
            reference: text.id.0.to_string(),
        };
        let response = self
            .client
            .post(&self.url)
            .bearer_auth(token)
            .json(&request)
            .send()
            .await
            .map_err(|e| {
                // reqwest's error names the URL (no secret in it) and the cause.
                let kind = if e.is_timeout() {
                    "timed out"
                } else if e.is_connect() {
                    "could not connect"
                } else {
                    "request failed"
                };
                SendError::transient(format!("Notify {kind}: {e}"))
            })?;
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        let result = classify(status, &body);
        match &result {
            Ok(()) => tracing::debug!(message_id = %text.id.0, "text accepted by GOV.UK Notify"),
            Err(error) => {
                tracing::warn!(message_id = %text.id.0, error = %error, "text not accepted by GOV.UK Notify");
            }
        }
        result
    }
}

/// The development text log: each text is appended to one file as
/// `--- {message id} to {number}` followed by the text, so `tail -f` shows texts as they are
/// sent. The log line names the file and the number's last digits, never the code.
#[derive(Debug)]
pub struct TextLog {
    path: PathBuf,
    lock: tokio::sync::Mutex<()>,
}

impl TextLog {
    /// A log appending to `path` (its folder is created if missing).
    ///
    /// # Errors
    /// [`ConfigError::Folder`] when the folder cannot be created.
    pub fn new(path: impl Into<PathBuf>) -> Result<Self, ConfigError> {
        let path = path.into();
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).map_err(|source| ConfigError::Folder {
                path: folder.to_owned(),
                source,
            })?;
        }
        Ok(Self {
            path,
            lock: tokio::sync::Mutex::new(()),
        })
    }

    /// The file texts are appended to.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[async_trait]
impl SmsSender for TextLog {
    async fn send(&self, text: &TextMessage) -> Result<(), SendError> {
        let entry = format!(
            "--- {} to {}\n{}\n",
            text.id.0,
            text.to.e164(),
            text.body.trim_end()
        );
        let io = |e: std::io::Error| {
            SendError::transient(format!("the development text log cannot be written: {e}"))
        };
        let _guard = self.lock.lock().await;
        let mut file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .await
            .map_err(io)?;
        file.write_all(entry.as_bytes()).await.map_err(io)?;
        file.flush().await.map_err(io)?;
        tracing::info!(
            message_id = %text.id.0,
            to = %format!("…{}", text.to.last_digits()),
            path = %self.path.display(),
            "text written to the development text log"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SERVICE: &str = "26785a09-ab16-4eb0-8407-a37497a57506";
    const SECRET: &str = "3d844edf-8d35-48ac-975b-e847b4f122b0";

    #[test]
    fn an_api_key_is_split_into_service_id_and_secret_from_the_end() {
        let key = NotifyApiKey::parse(&format!("my-test-key-{SERVICE}-{SECRET}")).unwrap();
        assert_eq!(key.service_id(), SERVICE);
        assert_eq!(key.secret, SECRET);
        let bare = NotifyApiKey::parse(&format!("{SERVICE}-{SECRET}")).unwrap();
        assert_eq!(bare.service_id(), SERVICE);
        assert!(!format!("{key:?}").contains(SECRET));
    }

    #[test]
    fn a_key_not_ending_in_two_uuids_is_refused() {
        for bad in [
            "",
            SECRET,
            &format!("name-{SERVICE}{SECRET}"),
            &format!("name-{SERVICE}-{}", &SECRET[..35]),
            &format!("name_{SERVICE}-{SECRET}x"),
            &format!("name-{SERVICE}-not-a-uuid-at-all-but-thirty-six-ch"),
        ] {
            assert_eq!(NotifyApiKey::parse(bad), Err(ApiKeyError), "{bad}");
        }
    }

    #[test]
    fn the_token_is_hs256_with_iss_and_iat() {
        let key = NotifyApiKey::parse(&format!("k-{SERVICE}-{SECRET}")).unwrap();
        let token = key.token_at(1_764_500_000).unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
        validation.validate_exp = false;
        validation.required_spec_claims.clear();
        let data = jsonwebtoken::decode::<serde_json::Value>(
            &token,
            &jsonwebtoken::DecodingKey::from_secret(SECRET.as_bytes()).unwrap(),
            &validation,
        )
        .unwrap();
        assert_eq!(data.claims["iss"], SERVICE);
        assert_eq!(data.claims["iat"], 1_764_500_000);
        assert_eq!(data.header.alg, jsonwebtoken::Algorithm::HS256);
    }

    #[test]
    fn notify_answers_map_to_sent_permanent_or_transient() {
        use reqwest::StatusCode as S;
        let bad = r#"{"status_code":400,"errors":[{"error":"ValidationError","message":"phone_number Not a UK mobile number"}]}"#;
        assert!(classify(S::CREATED, "{}").is_ok());
        let e = classify(S::BAD_REQUEST, bad).unwrap_err();
        assert!(!e.is_transient());
        assert_eq!(
            e.reason(),
            "Notify answered 400: ValidationError: phone_number Not a UK mobile number"
        );
        assert!(!classify(S::FORBIDDEN, "").unwrap_err().is_transient());
        assert!(
            classify(S::TOO_MANY_REQUESTS, "")
                .unwrap_err()
                .is_transient()
        );
        assert!(
            classify(S::INTERNAL_SERVER_ERROR, "")
                .unwrap_err()
                .is_transient()
        );
        assert!(
            classify(S::SERVICE_UNAVAILABLE, "<html>")
                .unwrap_err()
                .is_transient()
        );
    }

    #[tokio::test]
    async fn the_text_log_appends_each_text_with_its_reference() {
        use ehc_core::outbox::MessageId;
        use ehc_core::second_factor::PhoneNumber;
        let dir = tempfile::tempdir().unwrap();
        let log = TextLog::new(dir.path().join("data/texts.log")).unwrap();
        for n in 1..=2u8 {
            log.send(&TextMessage {
                id: MessageId(Uuid::from_bytes([n; 16])),
                to: PhoneNumber::from_stored("+447700900123", "07700 900123"),
                body: format!("12345{n} is your Anytown Council EHC Hub security code"),
            })
            .await
            .unwrap();
        }
        let text = std::fs::read_to_string(log.path()).unwrap();
        assert_eq!(text.matches("--- ").count(), 2);
        assert!(text.contains("to +447700900123\n123452 is your Anytown Council"));
    }
}
