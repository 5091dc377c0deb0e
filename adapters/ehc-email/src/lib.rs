//! # ehc-email: the hub's e-mail, an adapter of [`ehc_core::notification::Mailer`]
//!
//! Two mailers, one message format:
//! - [`SmtpMailer`] hands each e-mail to the LA's own SMTP relay (lettre over tokio, rustls):
//!   STARTTLS (port 587), implicit TLS (465) or, for a relay on loopback only, plain (25),
//!   with optional authentication.
//! - [`MailboxDir`] is the development mailbox: each e-mail is written as an `.eml` file
//!   (RFC 5322, the same bytes SMTP would carry) into a folder, named by its message id, so a
//!   developer or a demo opens it with any mail reader.
//!
//! Every e-mail is `multipart/alternative` (text, then HTML), its `From` carries the LA's name
//! (non-ASCII names such as *Cyngor Sir Ynys Môn* are encoded by RFC 2047), and its
//! `Message-ID` is `<{outbox message id}@{domain}>`: the outbox's idempotency key, so a
//! message sent twice after a crash can be recognised.
//!
//! Neither mailer logs a message's subject or bodies (an invitation holds the registration
//! link); log lines carry the message id only.

use async_trait::async_trait;
use ehc_core::notification::{Email, Mailer, SendError};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How the connection to the relay is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS, which must succeed (default port 587).
    Starttls,
    /// TLS from the first byte, "SMTPS" (default port 465).
    Tls,
    /// No encryption (default port 25): only for a relay on the same machine or in tests.
    None,
}

impl SmtpSecurity {
    /// The usual port for this kind of connection.
    pub fn default_port(self) -> u16 {
        match self {
            Self::Starttls => 587,
            Self::Tls => 465,
            Self::None => 25,
        }
    }
}

/// Who the hub's e-mails come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sender {
    /// The address, e.g. `ehc-hub@example.gov.uk`.
    pub address: String,
    /// The display name, e.g. `Cyngor Sir Ynys Môn` (any Unicode).
    pub name: String,
    /// The domain of `Message-ID`s; default: the domain of `address`.
    #[serde(default)]
    pub message_id_domain: Option<String>,
}

/// The LA's SMTP relay.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    /// Host name of the relay (checked against its TLS certificate).
    pub host: String,
    /// Port; default by `security`.
    #[serde(default)]
    pub port: Option<u16>,
    /// STARTTLS, TLS or none.
    pub security: SmtpSecurity,
    /// User name for SMTP AUTH, if the relay needs it.
    #[serde(default)]
    pub username: Option<String>,
    /// Password for SMTP AUTH (a secret: `Debug` hides it).
    #[serde(default)]
    pub password: Option<String>,
    /// Seconds to wait for the relay before the attempt counts as a transient failure
    /// (default 30).
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
    /// The sender.
    pub from: Sender,
}

fn default_timeout() -> u64 {
    30
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<hidden>"))
            .field("timeout_seconds", &self.timeout_seconds)
            .field("from", &self.from)
            .finish()
    }
}

/// The mail settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The sender's address is not an e-mail address.
    #[error("the sender address {0:?} is not a valid email address")]
    BadSender(String),
    /// The relay's host name or TLS set-up was refused.
    #[error("the SMTP relay cannot be used: {0}")]
    Relay(String),
    /// [`SmtpMailer::new`] was called outside a Tokio runtime.
    #[error("the SMTP mailer must be made inside a Tokio runtime")]
    NoRuntime,
    /// The mailbox folder cannot be created.
    #[error("the mailbox folder {path} cannot be created: {source}")]
    Folder {
        /// The folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// Builds the RFC 5322 message both mailers send.
#[derive(Debug, Clone)]
struct MessageBuilder {
    from: Mailbox,
    message_id_domain: String,
}

impl MessageBuilder {
    fn new(sender: &Sender) -> Result<Self, ConfigError> {
        let address: lettre::Address = sender
            .address
            .parse()
            .map_err(|_| ConfigError::BadSender(sender.address.clone()))?;
        let message_id_domain = sender
            .message_id_domain
            .clone()
            .unwrap_or_else(|| address.domain().to_owned());
        let name = sender.name.trim();
        let name = (!name.is_empty()).then(|| name.to_owned());
        Ok(Self {
            from: Mailbox::new(name, address),
            message_id_domain,
        })
    }

    /// The message, or a permanent failure when the recipient's address is one lettre cannot
    /// write (the core accepted it, so this is rare).
    fn build(&self, email: &Email) -> Result<Message, SendError> {
        let to: lettre::Address = email.to.as_entered().parse().map_err(|_| {
            SendError::permanent("the recipient's address cannot be written in an email header")
        })?;
        Message::builder()
            .from(self.from.clone())
            .to(Mailbox::new(None, to))
            .subject(email.subject.clone())
            .message_id(Some(self.message_id(email)))
            .multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                email.html.clone(),
            ))
            .map_err(|e| SendError::permanent(format!("the email could not be built: {e}")))
    }

    fn message_id(&self, email: &Email) -> String {
        format!("<{}@{}>", email.id.0, self.message_id_domain)
    }
}

/// Sends through the LA's SMTP relay. Connections are pooled and reused; cheap to share behind
/// an `Arc`.
#[derive(Clone)]
pub struct SmtpMailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    builder: MessageBuilder,
}

impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("from", &self.builder.from)
            .finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// A mailer for `settings`. Nothing is connected yet, but the connection pool starts its
    /// housekeeping task: call this inside a Tokio runtime.
    ///
    /// # Errors
    /// [`ConfigError`] for a bad sender address, a host name TLS cannot use, or no Tokio
    /// runtime.
    pub fn new(settings: &SmtpSettings) -> Result<Self, ConfigError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(ConfigError::NoRuntime);
        }
        let relay_error = |e: lettre::transport::smtp::Error| ConfigError::Relay(e.to_string());
        let builder = match settings.security {
            SmtpSecurity::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&settings.host)
                    .map_err(relay_error)?
            }
            SmtpSecurity::Tls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(&settings.host).map_err(relay_error)?
            }
            SmtpSecurity::None => {
                AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            }
        };
        let mut builder = builder
            .port(
                settings
                    .port
                    .unwrap_or_else(|| settings.security.default_port()),
            )
            .timeout(Some(Duration::from_secs(settings.timeout_seconds)));
        if let Some(username) = &settings.username {
            builder = builder.credentials(Credentials::new(
                username.clone(),
                settings.password.clone().unwrap_or_default(),
            ));
        }
        Ok(Self {
            transport: builder.build(),
            builder: MessageBuilder::new(&settings.from)?,
        })
    }
}

#[async_trait]
impl Mailer for SmtpMailer {
    async fn send(&self, email: &Email) -> Result<(), SendError> {
        let message = self.builder.build(email)?;
        match self.transport.send(message).await {
            Ok(_) => {
                tracing::debug!(message_id = %email.id.0, "email accepted by the SMTP relay");
                Ok(())
            }
            Err(e) => {
                let error = classify(&e);
                tracing::warn!(message_id = %email.id.0, error = %error, "email not accepted by the SMTP relay");
                Err(error)
            }
        }
    }
}

/// SMTP 5xx is permanent; everything else (connection refused, timeouts, 4xx, TLS trouble
/// that may be the relay's passing fault) is worth another try.
fn classify(e: &lettre::transport::smtp::Error) -> SendError {
    if e.is_permanent() {
        SendError::permanent(format!("the SMTP relay refused the email: {e}"))
    } else {
        SendError::transient(format!("the SMTP relay could not take the email: {e}"))
    }
}

/// The development mailbox: each e-mail becomes `{folder}/{message id}.eml`. Sending the same
/// message again overwrites its file (the message id is the idempotency key).
#[derive(Debug, Clone)]
pub struct MailboxDir {
    folder: PathBuf,
    builder: MessageBuilder,
}

impl MailboxDir {
    /// A mailbox writing into `folder` (created if missing) as `sender`.
    ///
    /// # Errors
    /// [`ConfigError`] for a bad sender address or a folder that cannot be created.
    pub fn new(folder: impl Into<PathBuf>, sender: &Sender) -> Result<Self, ConfigError> {
        let folder = folder.into();
        std::fs::create_dir_all(&folder).map_err(|source| ConfigError::Folder {
            path: folder.clone(),
            source,
        })?;
        Ok(Self {
            folder,
            builder: MessageBuilder::new(sender)?,
        })
    }

    /// The folder the `.eml` files go to.
    pub fn folder(&self) -> &Path {
        &self.folder
    }
}

#[async_trait]
impl Mailer for MailboxDir {
    async fn send(&self, email: &Email) -> Result<(), SendError> {
        let message = self.builder.build(email)?;
        let path = self.folder.join(format!("{}.eml", email.id.0));
        let partial = self.folder.join(format!(".{}.eml.partial", email.id.0));
        let io = |e: std::io::Error| {
            SendError::transient(format!("the development mailbox cannot be written: {e}"))
        };
        tokio::fs::write(&partial, message.formatted())
            .await
            .map_err(io)?;
        tokio::fs::rename(&partial, &path).await.map_err(io)?;
        tracing::info!(
            message_id = %email.id.0,
            path = %path.display(),
            "email written to the development mailbox"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ehc_core::account::EmailAddress;
    use ehc_core::outbox::MessageId;

    fn sender() -> Sender {
        Sender {
            address: "ehc-hub@ynysmon.example.gov.uk".into(),
            name: "Cyngor Sir Ynys Môn".into(),
            message_id_domain: None,
        }
    }

    fn email() -> Email {
        Email {
            id: MessageId(uuid_from(7)),
            to: EmailAddress::parse("Jo.Bloggs@Example.GOV.UK").unwrap(),
            subject: "Complete your registration".into(),
            text: "Complete your registration:\nhttps://hub.example/register/abc\n".into(),
            html:
                "<p><a href=\"https://hub.example/register/abc\">Complete your registration</a></p>"
                    .into(),
        }
    }

    fn uuid_from(n: u8) -> uuid::Uuid {
        uuid::Uuid::from_bytes([n; 16])
    }

    #[tokio::test]
    async fn the_mailbox_writes_one_eml_file_named_by_the_message_id() {
        let dir = tempfile::tempdir().unwrap();
        let mailbox = MailboxDir::new(dir.path().join("mail"), &sender()).unwrap();
        let e = email();
        mailbox.send(&e).await.unwrap();
        mailbox.send(&e).await.unwrap();
        let files: Vec<_> = std::fs::read_dir(mailbox.folder()).unwrap().collect();
        assert_eq!(files.len(), 1, "a resend overwrites, it does not duplicate");
        let path = mailbox.folder().join(format!("{}.eml", e.id.0));
        let raw = std::fs::read_to_string(path).unwrap();
        assert!(raw.contains(&format!("Message-ID: <{}@ynysmon.example.gov.uk>", e.id.0)));
        assert!(raw.contains("From: =?utf-8?b?"), "{raw}");
        assert!(raw.contains("To: Jo.Bloggs@Example.GOV.UK"));
        assert!(raw.contains("multipart/alternative"));
    }

    #[test]
    fn a_bad_sender_address_is_refused_at_start_up() {
        let s = Sender {
            address: "not an address".into(),
            ..sender()
        };
        assert!(matches!(
            MailboxDir::new(std::env::temp_dir(), &s),
            Err(ConfigError::BadSender(_))
        ));
    }

    #[tokio::test]
    async fn smtp_settings_hide_the_password_in_debug_output() {
        let settings = SmtpSettings {
            host: "smtp.example.gov.uk".into(),
            port: None,
            security: SmtpSecurity::Starttls,
            username: Some("hub".into()),
            password: Some("hunter2".into()),
            timeout_seconds: 30,
            from: sender(),
        };
        assert!(!format!("{settings:?}").contains("hunter2"));
        SmtpMailer::new(&settings).unwrap();
        let outside = std::thread::spawn(move || SmtpMailer::new(&settings).err());
        assert!(matches!(
            outside.join().unwrap(),
            Some(ConfigError::NoRuntime)
        ));
    }
}
