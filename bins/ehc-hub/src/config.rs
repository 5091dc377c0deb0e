//! The hub's configuration: a TOML file (`--config`, default `ehc-hub.toml` if present) and
//! `EHC_*` environment variables (`EHC_DATABASE_URL`, `EHC_LA__NAME`, `EHC_SMS__API_KEY`, …:
//! `__` separates nested keys). Unknown keys are an error, so a typo never passes silently.

use anyhow::{Context, Result};
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use ehc_core::case::guidance::StageGuidance;
use ehc_core::document::{MB, SizeLimits};
use ehc_core::notification::dispatcher::RetryPolicy;
use ehc_core::notification::templates::MessageTemplates;
use ehc_core::settings::SecuritySettings;

/// Everything `ehc-hub serve` needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address to listen on (default `127.0.0.1:8080`; behind a reverse proxy keep it local).
    pub listen: SocketAddr,
    /// The address people use, e.g. `https://ehc.example.gov.uk`; links in e-mails use it.
    pub public_base_url: String,
    /// `sqlite://data/ehc-hub.db` (default; one file) or `postgres://user@host/db`.
    pub database_url: String,
    /// Folder for the SQLite file, the development mailbox and text log.
    pub data_dir: PathBuf,
    /// Development mode: no `Secure` cookies (plain-HTTP localhost), drama numbers allowed,
    /// invitation links printed, and the *Outbox* page at `/dev/outbox`. Never in production.
    pub development: bool,
    /// The local authority.
    pub la: LaConfig,
    /// Sign-in and registration rules (docs/security.md); `la_name` is filled from `[la]`.
    pub security: SecuritySettings,
    /// The web layer.
    pub web: WebSettings,
    /// Where e-mail goes.
    pub email: EmailConfig,
    /// Where texts go.
    pub sms: SmsConfig,
    /// Message wording; `la_name`, `base_url` and `contact` are filled from `[la]` and
    /// `public_base_url`.
    pub messages: MessageTemplates,
    /// Outbox retries.
    pub dispatch: RetryPolicy,
    /// The case tracker's guidance for each stage, in the LA's words (`[guidance]`, keys
    /// `request_received`, `assessment`, `draft_plan`, `plan_maintained`, `review`, `closed`).
    pub guidance: StageGuidance,
    /// ClamAV's clamd, which scans every upload (`[clamav] address = "unix:/run/clamav/clamd.ctl"`
    /// or `"tcp://host:3310"`, `connect_timeout_seconds`, `timeout_seconds`); none by default.
    pub clamav: Option<ehc_clamav::ClamdSettings>,
    /// Documents uploaded to cases: where they are kept and how large they may be
    /// (docs/documents.md).
    pub documents: DocumentsConfig,
}

/// Documents uploaded to cases (`[documents]`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DocumentsConfig {
    /// Folder of the local-disk document store (default: `documents` under `data_dir`). Several
    /// hub processes must share it (a network file system), or use an object-store adapter.
    pub folder: Option<PathBuf>,
    /// Largest PDF or Word document, in MB (1 MB = 1 048 576 bytes; default 20).
    pub document_mb: u64,
    /// Largest photo or scan (JPG, PNG, HEIC), in MB (default 20).
    pub image_mb: u64,
    /// Largest sound recording (MP3, M4A, WAV), in MB (default 50).
    pub audio_mb: u64,
    /// Largest video (MP4, MOV), in MB (default 200).
    pub video_mb: u64,
}

impl Default for DocumentsConfig {
    fn default() -> Self {
        let limits = SizeLimits::default();
        Self {
            folder: None,
            document_mb: limits.document_bytes / MB,
            image_mb: limits.image_bytes / MB,
            audio_mb: limits.audio_bytes / MB,
            video_mb: limits.video_bytes / MB,
        }
    }
}

impl DocumentsConfig {
    /// The limits in bytes.
    pub fn limits(&self) -> SizeLimits {
        SizeLimits {
            document_bytes: self.document_mb.saturating_mul(MB),
            image_bytes: self.image_mb.saturating_mul(MB),
            audio_bytes: self.audio_mb.saturating_mul(MB),
            video_bytes: self.video_mb.saturating_mul(MB),
        }
    }
}

/// The local authority running the hub.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LaConfig {
    /// Its name, e.g. `Anytown Council` (header, texts, authenticator apps).
    pub name: String,
    /// Contact details at the foot of pages and e-mails.
    pub contact: String,
}

/// The web layer's settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebSettings {
    /// Folder of GOV.UK Frontend's `dist/govuk` (installed by npm into `web/node_modules`).
    pub govuk_frontend_dir: PathBuf,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
    /// Idle session timeout in minutes (default 30).
    pub idle_minutes: i64,
    /// Absolute session lifetime in hours (default 12).
    pub absolute_hours: i64,
    /// Posts per client address allowed at once on the sign-in and code forms (default 10)…
    pub rate_limit_burst: u32,
    /// …then one more every this many seconds (default 6).
    pub rate_limit_period_seconds: u64,
    /// Requests for an EHC needs assessment sent per client address at once (default 5)…
    pub request_rate_limit_burst: u32,
    /// …then one more every this many seconds (default 600).
    pub request_rate_limit_period_seconds: u64,
}

impl Default for WebSettings {
    fn default() -> Self {
        Self {
            govuk_frontend_dir: PathBuf::from("web/node_modules/govuk-frontend/dist/govuk"),
            trusted_proxies: Vec::new(),
            idle_minutes: 30,
            absolute_hours: 12,
            rate_limit_burst: 10,
            rate_limit_period_seconds: 6,
            request_rate_limit_burst: 5,
            request_rate_limit_period_seconds: 600,
        }
    }
}

/// E-mail: the LA's SMTP relay, or the development mailbox (`.eml` files under the data folder).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "kebab-case", deny_unknown_fields)]
pub enum EmailConfig {
    /// Files under `{data_dir}/mailbox`.
    Mailbox {
        /// The sender.
        from: ehc_email::Sender,
    },
    /// The LA's relay.
    Smtp(ehc_email::SmtpSettings),
}

/// Texts: GOV.UK Notify, or the development text log (`{data_dir}/texts.log`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "kebab-case", deny_unknown_fields)]
pub enum SmsConfig {
    /// The development text log.
    Log,
    /// GOV.UK Notify.
    Notify(ehc_sms::NotifySettings),
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_base_url: "http://127.0.0.1:8080".to_owned(),
            database_url: "sqlite://data/ehc-hub.db".to_owned(),
            data_dir: PathBuf::from("data"),
            development: false,
            la: LaConfig {
                name: "Local Authority".to_owned(),
                contact: String::new(),
            },
            security: SecuritySettings::default(),
            web: WebSettings::default(),
            email: EmailConfig::Mailbox {
                from: ehc_email::Sender {
                    address: "ehc-hub@localhost.localdomain".to_owned(),
                    name: "EHC Hub".to_owned(),
                    message_id_domain: None,
                },
            },
            sms: SmsConfig::Log,
            messages: MessageTemplates::default(),
            guidance: StageGuidance::default(),
            dispatch: RetryPolicy::default(),
            clamav: None,
            documents: DocumentsConfig::default(),
        }
    }
}

/// Environment variables of ours that are not configuration.
const NOT_CONFIG: &[&str] = &["test_database_url", "test_python", "acceptance_dir"];

impl Config {
    /// Defaults, then `file` (if given, it must exist; otherwise `ehc-hub.toml` if present),
    /// then `EHC_*` variables.
    ///
    /// # Errors
    /// An unreadable file, an unknown key, or a value of the wrong type, named.
    pub fn load(file: Option<&Path>) -> Result<Self> {
        let mut figment = Figment::from(Serialized::defaults(Self::default()));
        match file {
            Some(path) => {
                anyhow::ensure!(
                    path.exists(),
                    "configuration file {} not found",
                    path.display()
                );
                figment = figment.merge(Toml::file_exact(path));
            }
            None => figment = figment.merge(Toml::file_exact("ehc-hub.toml").nested()),
        }
        let env = Env::prefixed("EHC_").split("__").ignore(NOT_CONFIG);
        let mut config: Self = figment
            .merge(env)
            .extract()
            .context("invalid configuration")?;
        config.fill_shared();
        Ok(config)
    }

    /// Copies the LA's name, contact and the public address into the sections that use them.
    pub fn fill_shared(&mut self) {
        self.security.la_name = self.la.name.clone();
        self.messages.la_name = self.la.name.clone();
        self.messages.contact = self.la.contact.clone();
        self.messages.base_url = self.public_base_url.clone();
        if self.development {
            self.security.allow_drama_numbers = true;
        }
    }

    /// The folder of the local-disk document store.
    pub fn documents_folder(&self) -> PathBuf {
        self.documents
            .folder
            .clone()
            .unwrap_or_else(|| self.data_dir.join("documents"))
    }

    /// The web adapter's settings.
    pub fn web_config(&self) -> ehc_http::WebConfig {
        ehc_http::WebConfig {
            la_contact: self.la.contact.clone(),
            secure_cookies: !self.development,
            govuk_frontend_dir: self.web.govuk_frontend_dir.clone(),
            idle_timeout: time::Duration::minutes(self.web.idle_minutes),
            absolute_timeout: time::Duration::hours(self.web.absolute_hours),
            trusted_proxies: self.web.trusted_proxies.clone(),
            rate_limit_burst: self.web.rate_limit_burst,
            rate_limit_period_seconds: self.web.rate_limit_period_seconds,
            request_rate_limit_burst: self.web.request_rate_limit_burst,
            request_rate_limit_period_seconds: self.web.request_rate_limit_period_seconds,
            guidance: self.guidance.clone(),
            document_limits: self.documents.limits(),
            ..ehc_http::WebConfig::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_key_is_an_error_that_names_it() {
        let dir = std::env::temp_dir().join(format!("ehc-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("hub.toml");
        std::fs::write(
            &file,
            "listen = \"127.0.0.1:9000\"\ndatabse_url = \"sqlite://x.db\"\n",
        )
        .unwrap();
        let err = format!("{:#}", Config::load(Some(&file)).unwrap_err());
        assert!(err.contains("databse_url"), "{err}");
        std::fs::write(&file, "listen = \"127.0.0.1:9000\"\n[la]\nname = \"Cyngor Sir Ynys Môn\"\ncontact = \"Ffoniwch 01248 750057\"\n").unwrap();
        let config = Config::load(Some(&file)).unwrap();
        assert_eq!(config.listen.port(), 9000);
        assert_eq!(config.security.la_name, "Cyngor Sir Ynys Môn");
        assert_eq!(config.messages.contact, "Ffoniwch 01248 750057");
        assert!(Config::load(Some(&dir.join("missing.toml"))).is_err());
    }

    /// The example of docs/operator-guide.md is a valid configuration (with the secrets the
    /// guide says come from the environment filled in).
    #[test]
    fn the_operator_guide_s_example_configuration_loads() {
        let guide = include_str!("../../../docs/operator-guide.md");
        let start = guide.find("```toml\n").unwrap() + "```toml\n".len();
        let example = &guide[start..start + guide[start..].find("```").unwrap()];
        let key = format!("ehc_test-{}-{}", uuid_text(1), uuid_text(2));
        let example = example.replace(
            "template_id = \"…\"",
            &format!("template_id = \"{}\"\napi_key = \"{key}\"", uuid_text(3)),
        );
        let dir = std::env::temp_dir().join(format!("ehc-guide-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("hub.toml");
        std::fs::write(&file, example).unwrap();
        let config = Config::load(Some(&file)).unwrap();
        assert_eq!(config.security.la_name, "Anytown Council");
        assert!(matches!(config.sms, SmsConfig::Notify(_)));
        assert!(matches!(config.email, EmailConfig::Smtp(_)));
        assert_eq!(
            config.clamav.map(|c| c.address.to_string()),
            Some("unix:/run/clamav/clamd.ctl".to_owned())
        );
        assert_eq!(
            config.security,
            SecuritySettings {
                la_name: "Anytown Council".into(),
                ..SecuritySettings::default()
            }
        );
    }

    fn uuid_text(n: u8) -> String {
        format!("00000000-0000-4000-8000-0000000000{n:02}")
    }
}
