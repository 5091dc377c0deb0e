//! # ehc-core: the EHC Hub's domain, with no I/O
//!
//! The hub is where an English local authority (LA), education settings, professionals and
//! families work together on Education, Health and Care (EHC) needs assessments and EHC plans.
//! This crate is the inside of its hexagon: accounts, invitations, the password policy, role
//! grants and authorisation, the second factor and the sign-in state machine. It reads no
//! clock, no random source, no database and no network: time is an argument (`now`), and
//! everything else enters through ports ([`ports`], and one repository port per area).
//!
//! | area | model | port | service |
//! |---|---|---|---|
//! | [`account`] | [`account::EmailAddress`], [`account::Account`] | [`account::AccountRepository`] | — |
//! | [`invitation`] | [`invitation::InvitationToken`], [`invitation::Invitation`] | [`invitation::InvitationRepository`] | [`invitation::InvitationService`] |
//! | [`registration`] | — | — | [`registration::RegistrationService`] |
//! | [`password`] | [`password::PasswordPolicy`], [`password::Password`] | [`password::PasswordHasher`] | — |
//! | [`second_factor`] | TOTP, SMS codes, phone numbers | [`second_factor::SecondFactorRepository`] | — |
//! | [`lockout`] | [`lockout::Lockout`] | [`lockout::LockoutRepository`] | — |
//! | [`sign_in`] | [`sign_in::SignInState`] | — | [`sign_in::SignInService`] |
//! | [`account_change`] | [`account_change::Reauthentication`], [`account_change::NewSecondFactor`], [`account_change::EmailChange`] | [`account_change::EmailChangeRepository`] | [`account_change::AccountChangeService`] |
//! | [`role`] | [`role::Role`], [`role::RoleGrant`], [`role::authorize`] | [`role::RoleGrantRepository`] | — |
//! | [`setting`] | [`setting::EducationSetting`], [`setting::LaCode`], [`setting::SettingStatus`], the GIAS file ([`setting::gias::GiasReader`]) | [`setting::SettingRepository`] | [`setting::import::SettingImport`] |
//! | [`alert`] | [`alert::AlertPreference`], [`alert::ParkedAlert`] | [`alert::AlertRepository`] | [`alert::DigestService`] |
//! | [`document`] | [`document::Document`], [`document::ContentHash`], [`document::sniff`], [`document::SizeLimits`] | [`document::DocumentStore`], [`document::DocumentRepository`], [`document::scan::VirusScanner`] | [`document::DocumentService`] |
//! | [`outbox`], [`audit`] | messages, audit entries, [`audit::AuditFilter`], [`audit::AuditKey`] | [`outbox::Outbox`], [`outbox::OutboxQueue`], [`audit::AuditLog`] | [`audit::AuditService`] (the LA's audit log viewer) |
//! | [`notification`] | [`notification::templates::MessageTemplates`], [`notification::Email`], [`notification::TextMessage`] | [`notification::Mailer`], [`notification::SmsSender`] | [`notification::dispatcher::Dispatcher`] |
//!
//! A change, the messages it causes and its audit entries are written in one unit of work
//! ([`ports::Store::begin`]).
//!
//! ## Embedding the core
//!
//! An LA service can run the whole journey with its own adapters, or — as here — with the
//! in-memory adapters of the `test-support` feature: the LA invites a person, the person
//! registers from the link, sets up an authenticator app and signs in again.
//!
//! ```
//! use ehc_core::invitation::{InvitationService, InviteOutcome};
//! use ehc_core::registration::RegistrationService;
//! use ehc_core::role::{Grantor, Role};
//! use ehc_core::second_factor::Method;
//! use ehc_core::settings::SecuritySettings;
//! use ehc_core::sign_in::{SignInInput, SignInService, SignInState};
//! use ehc_core::test_support::{FastHasher, InMemoryStore, SeededSecretSource};
//! use std::sync::Arc;
//! use time::macros::datetime;
//!
//! # pollster::block_on(async {
//! let store = InMemoryStore::new();
//! let secrets = Arc::new(SeededSecretSource::new(7));
//! let hasher = Arc::new(FastHasher::new());
//! let settings = SecuritySettings { la_name: "Anytown Council".into(), ..Default::default() };
//! let now = datetime!(2026-11-30 09:00 UTC);
//!
//! // The LA invites a SENDCo; the invitation e-mail is queued in the outbox.
//! let invitations = InvitationService::new(store.clone(), secrets.clone(), settings.clone());
//! let sendco = Role::Sendco { setting: ehc_core::role::Urn::parse("100001").unwrap() };
//! let InviteOutcome::Invited { token, .. } = invitations
//!     .invite(Grantor::System, "jo.bloggs@example.gov.uk", vec![sendco], now, None)
//!     .await.unwrap() else { unreachable!() };
//!
//! // The person opens *Complete your registration* and chooses a password.
//! let registration = RegistrationService::new(store.clone(), hasher.clone(), secrets.clone(), settings.clone());
//! let link = token.to_link_param();
//! registration.register(&link, "Harbour!Lights9", "Harbour!Lights9", now, None).await.unwrap();
//!
//! // First sign-in: password, then the app is set up with its first code.
//! let sign_in = SignInService::new(store.clone(), hasher.clone(), secrets.clone(), settings);
//! let password = SignInInput::Password {
//!     email: "Jo.Bloggs@Example.GOV.UK".into(),
//!     password: "Harbour!Lights9".into(),
//! };
//! let state = sign_in.handle(&SignInState::Anonymous, password.clone(), now, None).await.unwrap().state;
//! let state = sign_in.handle(&state, SignInInput::ChooseMethod(Method::App), now, None).await.unwrap().state;
//! let SignInState::AppSetUp { secret, .. } = &state else { unreachable!() };
//! let secret = secret.clone(); // what the authenticator app holds after scanning the QR code
//! let unix = |t: time::OffsetDateTime| t.unix_timestamp() as u64;
//! let code = secret.code_at(unix(now));
//! let state = sign_in.handle(&state, SignInInput::Code(code), now, None).await.unwrap().state;
//! assert!(state.signed_in_account().is_some());
//!
//! // A later sign-in goes straight to the app's code.
//! let later = now + time::Duration::hours(2);
//! let state = sign_in.handle(&SignInState::Anonymous, password, later, None).await.unwrap().state;
//! assert_eq!(state.name(), "app-challenge");
//! let state = sign_in.handle(&state, SignInInput::Code(secret.code_at(unix(later))), later, None)
//!     .await.unwrap().state;
//! assert!(state.signed_in_account().is_some());
//! # });
//! ```

pub mod account;
pub mod account_change;
pub mod alert;
pub mod audit;
pub mod case;
pub mod document;
pub mod invitation;
pub mod lockout;
pub mod notification;
pub mod outbox;
pub mod password;
pub mod ports;
pub mod recovery;
pub mod registration;
pub mod role;
pub mod second_factor;
pub mod setting;
pub mod settings;
pub mod sign_in;
pub mod system;
#[cfg(feature = "test-support")]
pub mod test_support;
