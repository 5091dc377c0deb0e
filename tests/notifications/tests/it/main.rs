//! The notification tests against real parts: lettre against an aiosmtpd server on loopback,
//! the Notify adapter against a stand-in whose token check is Notify's own Python client, and
//! the dispatcher over both (retries, dead letters, an outage). One test binary; each test
//! starts the servers it needs.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    missing_docs,
    reason = "integration tests: a failed step stops the test with its message"
)]

mod crash;
mod dispatch;
mod logs;
mod notify;
mod smtp;

use ehc_core::account::EmailAddress;
use ehc_core::invitation::InvitationToken;
use ehc_core::notification::templates::MessageTemplates;
use ehc_core::outbox::{MessageContent, MessageId, OutboxMessage, Recipient};
use ehc_core::ports::SecretSource;
use ehc_core::role::{CaseId, Role, Urn};
use ehc_core::second_factor::{PhoneNumber, SmsCode};
use ehc_email::{Sender, SmtpSecurity, SmtpSettings};
use ehc_sms::{NotifyApiKey, NotifySettings};
use time::OffsetDateTime;
use time::macros::datetime;

pub const NOW: OffsetDateTime = datetime!(2026-11-30 09:00 UTC);
pub const LA_NAME: &str = "Cyngor Sir Ynys Môn";
pub const HUB: &str = "https://ehc.ynysmon.example.gov.uk";
pub const CONTACT: &str = "SEND team, Council Offices, Llangefni\n01248 000000";

pub fn templates() -> MessageTemplates {
    MessageTemplates {
        la_name: LA_NAME.into(),
        base_url: HUB.into(),
        contact: CONTACT.into(),
        ..Default::default()
    }
}

pub fn sender() -> Sender {
    Sender {
        address: "ehc-hub@ynysmon.example.gov.uk".into(),
        name: LA_NAME.into(),
        message_id_domain: None,
    }
}

pub fn smtp_settings(port: u16) -> SmtpSettings {
    SmtpSettings {
        host: "127.0.0.1".into(),
        port: Some(port),
        security: SmtpSecurity::None,
        username: None,
        password: None,
        timeout_seconds: 5,
        from: sender(),
    }
}

pub fn notify_settings(base_url: String) -> NotifySettings {
    NotifySettings {
        base_url,
        api_key: NotifyApiKey::parse(&ehc_notification_tests::api_key()).unwrap(),
        template_id: ehc_notification_tests::TEMPLATE_ID.parse().unwrap(),
        timeout_seconds: 5,
    }
}

/// A case id that must never appear in a message (a child's detail).
pub fn case() -> CaseId {
    CaseId(uuid::Uuid::from_bytes([0xca; 16]))
}

/// An invitation to `to` as a parent of [`case`], and its link.
pub fn invitation(secrets: &dyn SecretSource, to: &str) -> (OutboxMessage, String) {
    let token = InvitationToken::generate(secrets).unwrap();
    let link = format!("{HUB}/register/{}", token.to_link_param());
    let message = OutboxMessage {
        id: MessageId::generate(secrets).unwrap(),
        recipient: Recipient::Email(EmailAddress::parse(to).unwrap()),
        content: MessageContent::Invitation {
            token,
            roles: vec![
                Role::ParentCarer { case: case() },
                Role::Sendco {
                    setting: Urn::parse("100001").unwrap(),
                },
            ],
        },
        created_at: NOW,
    };
    (message, link)
}

/// A sign-in code texted to `number` (UK form), and the code.
pub fn sign_in_code(secrets: &dyn SecretSource, number: &str) -> (OutboxMessage, String) {
    let code = SmsCode::generate(secrets).unwrap();
    let digits = code.expose().to_owned();
    let message = OutboxMessage {
        id: MessageId::generate(secrets).unwrap(),
        recipient: Recipient::Sms(PhoneNumber::parse(number, true).unwrap()),
        content: MessageContent::SignInCode { code },
        created_at: NOW,
    };
    (message, digits)
}
