//! The cases of shared/acceptance/auth-journey.md that the core decides, run against the real
//! services with the in-memory store. (The same cases run over HTTP once the web adapter lands.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at a broken expectation

use ehc_core::invitation::{InvitationError, InvitationService, InviteOutcome};
use ehc_core::outbox::{MessageContent, Recipient};
use ehc_core::registration::{RegistrationError, RegistrationService};
use ehc_core::role::{Grantor, Role, Urn};
use ehc_core::second_factor::{Method, TotpSecret};
use ehc_core::settings::SecuritySettings;
use ehc_core::sign_in::{SignInError, SignInInput, SignInService, SignInState};
use ehc_core::test_support::{
    FastHasher, InMemoryStore, SeededSecretSource, invitation_tokens, texted_codes,
};
use std::sync::Arc;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const T0: OffsetDateTime = datetime!(2026-11-30 09:00 UTC);
const PASSWORD: &str = "Harbour!Lights9";

type Secrets = Arc<SeededSecretSource>;
type Hasher = Arc<FastHasher>;

struct Hub {
    store: InMemoryStore,
    invitations: InvitationService<InMemoryStore, Secrets>,
    registration: RegistrationService<InMemoryStore, Hasher, Secrets>,
    sign_in: SignInService<InMemoryStore, Hasher, Secrets>,
}

fn hub() -> Hub {
    hub_with(SecuritySettings {
        la_name: "Borough of Anytown: SEND Service".into(),
        allow_drama_numbers: true,
        ..SecuritySettings::default()
    })
}

fn hub_with(settings: SecuritySettings) -> Hub {
    let store = InMemoryStore::new();
    let secrets = Arc::new(SeededSecretSource::new(42));
    let hasher = Arc::new(FastHasher::new());
    Hub {
        invitations: InvitationService::new(store.clone(), secrets.clone(), settings.clone()),
        registration: RegistrationService::new(
            store.clone(),
            hasher.clone(),
            secrets.clone(),
            settings.clone(),
        ),
        sign_in: SignInService::new(store.clone(), hasher, secrets, settings),
        store,
    }
}

fn sendco() -> Role {
    Role::Sendco {
        setting: Urn::parse("100001").unwrap(),
    }
}

impl Hub {
    async fn invite(&self, email: &str, at: OffsetDateTime) -> String {
        match self
            .invitations
            .invite(Grantor::System, email, vec![sendco()], at, None)
            .await
            .unwrap()
        {
            InviteOutcome::Invited { token, .. } => token.to_link_param(),
            other => panic!("expected a new invitation, got {other:?}"),
        }
    }

    async fn registered(&self, email: &str) {
        let link = self.invite(email, T0).await;
        self.registration
            .register(&link, PASSWORD, PASSWORD, T0, None)
            .await
            .unwrap();
    }

    async fn step(
        &self,
        state: &SignInState,
        input: SignInInput,
        at: OffsetDateTime,
    ) -> Result<SignInState, SignInError> {
        self.sign_in
            .handle(state, input, at, None)
            .await
            .map(|t| t.state)
    }

    async fn password(
        &self,
        email: &str,
        password: &str,
        at: OffsetDateTime,
    ) -> Result<SignInState, SignInError> {
        let input = SignInInput::Password {
            email: email.into(),
            password: password.into(),
        };
        self.step(&SignInState::Anonymous, input, at).await
    }

    async fn texts(&self) -> Vec<String> {
        texted_codes(&self.store.outbox_messages().await)
    }

    /// Password, then text set-up to `mobile`; returns the state waiting for the code.
    async fn text_set_up(&self, email: &str, mobile: &str, at: OffsetDateTime) -> SignInState {
        let s = self.password(email, PASSWORD, at).await.unwrap();
        let s = self
            .step(&s, SignInInput::ChooseMethod(Method::Text), at)
            .await
            .unwrap();
        self.step(&s, SignInInput::MobileNumber(mobile.into()), at)
            .await
            .unwrap()
    }
}

fn unix(t: OffsetDateTime) -> u64 {
    u64::try_from(t.unix_timestamp()).unwrap()
}

fn run(test: impl std::future::Future<Output = ()>) {
    pollster::block_on(test);
}

// 1, 2: one account per address, whatever its case.
#[test]
fn an_invited_person_registers_and_signs_in_with_any_capitalisation() {
    run(async {
        let hub = hub();
        hub.registered("jo.bloggs@example.gov.uk").await;
        let state = hub
            .password("Jo.Bloggs@Example.GOV.UK", PASSWORD, T0)
            .await
            .unwrap();
        assert_eq!(state.name(), "choosing-method");
        let again = hub
            .invitations
            .invite(
                Grantor::System,
                "JO.BLOGGS@example.gov.uk",
                vec![sendco()],
                T0,
                None,
            )
            .await
            .unwrap();
        assert!(matches!(
            again,
            InviteOutcome::GrantedToExistingAccount { .. }
        ));
        assert_eq!(hub.store.accounts().await.len(), 1);
    });
}

// 3: a used link cannot register again.
#[test]
fn a_used_registration_link_cannot_be_used_again() {
    run(async {
        let hub = hub();
        let link = hub.invite("jo.bloggs@example.gov.uk", T0).await;
        hub.registration
            .register(&link, PASSWORD, PASSWORD, T0, None)
            .await
            .unwrap();
        let second = hub
            .registration
            .register(&link, "Other!Pass9word", "Other!Pass9word", T0, None)
            .await;
        assert_eq!(second, Err(RegistrationError::Link(InvitationError::Used)));
        assert_eq!(
            hub.registration.open(&link, T0).await,
            Err(RegistrationError::Link(InvitationError::Used))
        );
        assert!(
            hub.password("jo.bloggs@example.gov.uk", "Other!Pass9word", T0)
                .await
                .is_err()
        );
    });
}

// 4: 7 days and 1 minute old: refused; 6 days 23 hours old: works.
#[test]
fn a_link_works_for_seven_days_and_not_a_minute_longer() {
    run(async {
        let hub = hub();
        let link = hub.invite("jo.bloggs@example.gov.uk", T0).await;
        let late = T0 + Duration::days(7) + Duration::minutes(1);
        assert_eq!(
            hub.registration
                .register(&link, PASSWORD, PASSWORD, late, None)
                .await,
            Err(RegistrationError::Link(InvitationError::Expired))
        );
        let in_time = T0 + Duration::days(6) + Duration::hours(23);
        hub.registration
            .register(&link, PASSWORD, PASSWORD, in_time, None)
            .await
            .unwrap();
    });
}

// 5: a re-invitation voids the older link.
#[test]
fn a_new_invitation_voids_the_older_link_and_the_newer_one_works() {
    run(async {
        let hub = hub();
        let old = hub.invite("jo.bloggs@example.gov.uk", T0).await;
        let new = hub
            .invite("Jo.Bloggs@example.gov.uk", T0 + Duration::hours(1))
            .await;
        assert_eq!(
            hub.registration
                .register(&old, PASSWORD, PASSWORD, T0 + Duration::hours(2), None)
                .await,
            Err(RegistrationError::Link(InvitationError::Superseded))
        );
        hub.registration
            .register(&new, PASSWORD, PASSWORD, T0 + Duration::hours(2), None)
            .await
            .unwrap();
        assert_eq!(
            invitation_tokens(&hub.store.outbox_messages().await),
            vec![old, new]
        );
    });
}

#[test]
fn unknown_and_mangled_links_cannot_be_used() {
    run(async {
        let hub = hub();
        for link in [
            "",
            "abc",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            "not/a/token!",
        ] {
            assert_eq!(
                hub.registration.open(link, T0).await,
                Err(RegistrationError::Link(InvitationError::Unknown)),
                "{link:?}"
            );
        }
    });
}

// 6, 7, 8: password rules at registration; nothing is stored.
#[test]
fn a_password_breaking_the_rules_stores_nothing_and_the_link_still_works() {
    run(async {
        let hub = hub();
        let link = hub.invite("jo.bloggs@example.gov.uk", T0).await;
        let no_capital = hub
            .registration
            .register(&link, "harbour!lights9", "harbour!lights9", T0, None)
            .await;
        let Err(RegistrationError::Password(v)) = no_capital else {
            panic!("{no_capital:?}")
        };
        assert_eq!(
            v.rules().iter().map(|r| r.code()).collect::<Vec<_>>(),
            ["no_capital"]
        );
        let mismatch = hub
            .registration
            .register(&link, PASSWORD, "Harbour!Lights8", T0, None)
            .await;
        let Err(RegistrationError::Password(v)) = mismatch else {
            panic!("{mismatch:?}")
        };
        assert_eq!(
            v.rules()[0].to_string(),
            "Passwords do not match. Enter the same password in both fields"
        );
        let long = format!("A!{}", "b".repeat(298));
        let too_long = hub
            .registration
            .register(&link, &long, &long, T0, None)
            .await;
        let Err(RegistrationError::Password(v)) = too_long else {
            panic!("{too_long:?}")
        };
        assert_eq!(
            v.rules().iter().map(|r| r.code()).collect::<Vec<_>>(),
            ["too_long"]
        );
        assert!(hub.store.accounts().await.is_empty());
        hub.registration
            .register(&link, PASSWORD, PASSWORD, T0, None)
            .await
            .unwrap();
    });
}

// 8 (sign-in) and 10: one message for unknown address and wrong password; long input refused.
#[test]
fn unknown_addresses_and_wrong_passwords_get_the_same_answer() {
    run(async {
        let hub = hub();
        hub.registered("jo.bloggs@example.gov.uk").await;
        let unknown = hub.password("nobody@example.gov.uk", PASSWORD, T0).await;
        let wrong = hub
            .password("jo.bloggs@example.gov.uk", "Harbour!Lights8", T0)
            .await;
        let not_an_address = hub.password("jo.bloggs", PASSWORD, T0).await;
        assert_eq!(unknown, Err(SignInError::WrongCredentials));
        assert_eq!(wrong, Err(SignInError::WrongCredentials));
        assert_eq!(not_an_address, Err(SignInError::WrongCredentials));
        let long = "A!".repeat(150);
        assert_eq!(
            hub.password("jo.bloggs@example.gov.uk", &long, T0).await,
            Err(SignInError::PasswordTooLong { max: 256 })
        );
    });
}

#[test]
fn six_wrong_passwords_lock_password_sign_in_for_fifteen_minutes() {
    run(async {
        let hub = hub();
        hub.registered("jo.bloggs@example.gov.uk").await;
        for _ in 0..5 {
            assert_eq!(
                hub.password("jo.bloggs@example.gov.uk", "Wrong!Pass1", T0)
                    .await,
                Err(SignInError::WrongCredentials)
            );
        }
        let until = T0 + Duration::minutes(15);
        assert_eq!(
            hub.password("jo.bloggs@example.gov.uk", "Wrong!Pass1", T0)
                .await,
            Err(SignInError::PasswordLocked { until })
        );
        let almost = until - Duration::SECOND;
        assert_eq!(
            hub.password("jo.bloggs@example.gov.uk", PASSWORD, almost)
                .await,
            Err(SignInError::PasswordLocked { until })
        );
        assert!(
            hub.password("jo.bloggs@example.gov.uk", PASSWORD, until)
                .await
                .is_ok()
        );
    });
}

// 11: the half-signed-in state opens nothing and expires after 10 minutes.
#[test]
fn the_half_signed_in_state_opens_nothing_and_expires_after_ten_minutes() {
    run(async {
        let hub = hub();
        hub.registered("jo.bloggs@example.gov.uk").await;
        let state = hub
            .password("jo.bloggs@example.gov.uk", PASSWORD, T0)
            .await
            .unwrap();
        assert_eq!(state.signed_in_account(), None);
        let later = T0 + Duration::minutes(10);
        assert_eq!(
            hub.step(&state, SignInInput::ChooseMethod(Method::App), later)
                .await,
            Err(SignInError::Expired)
        );
        assert!(
            hub.step(
                &state,
                SignInInput::ChooseMethod(Method::App),
                later - Duration::SECOND
            )
            .await
            .is_ok()
        );
    });
}

// 14, 16, 19: the app's key, the QR code's URI, and no replay.
#[test]
fn an_app_code_works_once_and_the_set_up_code_never_again() {
    run(async {
        let hub = hub();
        hub.registered("jo.bloggs@example.gov.uk").await;
        let s = hub
            .password("jo.bloggs@example.gov.uk", PASSWORD, T0)
            .await
            .unwrap();
        let s = hub
            .step(&s, SignInInput::ChooseMethod(Method::App), T0)
            .await
            .unwrap();
        let SignInState::AppSetUp { secret, email, .. } = &s else {
            panic!("{s:?}")
        };
        let key = secret.base32_in_groups();
        assert_eq!(key.len(), 32 + 7);
        let uri = secret
            .otpauth_uri("Borough of Anytown: SEND Service", email)
            .unwrap();
        assert!(uri.starts_with("otpauth://totp/Borough%20of%20Anytown%20SEND%20Service:"));
        assert!(uri.contains(&format!("secret={}&", key.replace(' ', ""))));
        assert!(uri.ends_with("&issuer=Borough%20of%20Anytown%20SEND%20Service"));
        assert!(
            !uri.contains("algorithm"),
            "SHA-1 is the default and is not named: {uri}"
        );
        let secret_param = uri
            .split("secret=")
            .nth(1)
            .and_then(|r| r.split('&').next())
            .unwrap();
        assert!(
            !secret_param.contains('=') && !secret_param.contains("%3D"),
            "no padding: {uri}"
        );
        let code = secret.code_at(unix(T0));
        let signed_in = hub
            .step(&s, SignInInput::Code(code.clone()), T0)
            .await
            .unwrap();
        assert!(signed_in.signed_in_account().is_some());
        // The set-up code at the next sign-in, within the same 30 s: refused.
        let s = hub
            .password("jo.bloggs@example.gov.uk", PASSWORD, T0)
            .await
            .unwrap();
        assert_eq!(s.name(), "app-challenge");
        assert_eq!(
            hub.step(&s, SignInInput::Code(code), T0).await,
            Err(SignInError::WrongCode)
        );
        let next = T0 + Duration::seconds(30);
        let s = hub
            .password("jo.bloggs@example.gov.uk", PASSWORD, next)
            .await
            .unwrap();
        let fresh = secret.code_at(unix(next));
        assert!(
            hub.step(&s, SignInInput::Code(fresh), next)
                .await
                .unwrap()
                .signed_in_account()
                .is_some()
        );
    });
}

// 17: the RFC 6238 seed at Unix time 1111111109.
#[test]
fn at_the_rfc_time_081804_is_accepted_and_81804_is_refused() {
    let secret = TotpSecret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ").unwrap();
    let at = OffsetDateTime::from_unix_timestamp(1_111_111_109).unwrap();
    let code = ehc_core::second_factor::OtpCode::parse("081804").unwrap();
    assert_eq!(secret.matching_step(&code, at), Some(1_111_111_109 / 30));
    assert!(ehc_core::second_factor::OtpCode::parse("81804").is_err());
}

// 18: start again from the app set-up, then texts.
#[test]
fn start_again_from_the_app_leads_back_to_the_choice_and_texts_can_be_set_up() {
    run(async {
        let hub = hub();
        hub.registered("jo.bloggs@example.gov.uk").await;
        let s = hub
            .password("jo.bloggs@example.gov.uk", PASSWORD, T0)
            .await
            .unwrap();
        let s = hub
            .step(&s, SignInInput::ChooseMethod(Method::App), T0)
            .await
            .unwrap();
        let s = hub.step(&s, SignInInput::StartAgain, T0).await.unwrap();
        assert_eq!(s.name(), "choosing-method");
        let s = hub
            .step(&s, SignInInput::ChooseMethod(Method::Text), T0)
            .await
            .unwrap();
        let s = hub
            .step(&s, SignInInput::MobileNumber("07911 123456".into()), T0)
            .await
            .unwrap();
        let code = hub.texts().await.pop().unwrap();
        assert!(
            hub.step(&s, SignInInput::Code(code), T0)
                .await
                .unwrap()
                .signed_in_account()
                .is_some()
        );
    });
}

// 20: any UK form; the text goes to E.164; the code signs in.
#[test]
fn a_uk_mobile_in_any_form_receives_the_code_in_e164() {
    run(async {
        let hub = hub();
        hub.registered("jo.bloggs@example.gov.uk").await;
        let s = hub
            .text_set_up("jo.bloggs@example.gov.uk", "+44 (0)7911 123456", T0)
            .await;
        let messages = hub.store.outbox_messages().await;
        let Some(last) = messages.last() else {
            panic!("no text")
        };
        let Recipient::Sms(to) = &last.recipient else {
            panic!("{last:?}")
        };
        assert_eq!(to.e164(), "+447911123456");
        assert!(matches!(last.content, MessageContent::SignInCode { .. }));
        let code = hub.texts().await.pop().unwrap();
        assert!(
            hub.step(&s, SignInInput::Code(code), T0)
                .await
                .unwrap()
                .signed_in_account()
                .is_some()
        );
    });
}

// 21, 22, 23: resend keeps the first code valid; codes are single use; 10 minutes.
#[test]
fn texted_codes_work_once_within_ten_minutes_and_a_resend_keeps_the_first_one_valid() {
    run(async {
        let hub = hub();
        hub.registered("jo.bloggs@example.gov.uk").await;
        let s = hub
            .text_set_up("jo.bloggs@example.gov.uk", "07911 123456", T0)
            .await;
        let s = hub
            .step(&s, SignInInput::Resend, T0 + Duration::minutes(1))
            .await
            .unwrap();
        let codes = hub.texts().await;
        assert_eq!(codes.len(), 2);
        let first = codes[0].clone();
        let just_in_time = T0 + Duration::minutes(9) + Duration::seconds(59);
        assert!(
            hub.step(&s, SignInInput::Code(first.clone()), just_in_time)
                .await
                .unwrap()
                .signed_in_account()
                .is_some()
        );
        // Later sign-ins: the password step texts the code itself.
        let s = hub
            .password("jo.bloggs@example.gov.uk", PASSWORD, just_in_time)
            .await
            .unwrap();
        let SignInState::TextChallenge { phone, .. } = &s else {
            panic!("{s:?}")
        };
        assert_eq!(phone.last_digits(), "3456");
        assert_eq!(
            hub.step(&s, SignInInput::Code(first), just_in_time).await,
            Err(SignInError::WrongCode)
        );
        let third = hub.texts().await.pop().unwrap();
        let too_late = just_in_time + Duration::minutes(10) + Duration::seconds(1);
        assert_eq!(
            hub.step(&s, SignInInput::Code(third), too_late).await,
            Err(SignInError::Expired)
        );
    });
}

#[test]
fn a_code_ten_minutes_and_one_second_old_is_refused() {
    run(async {
        let settings = SecuritySettings {
            allow_drama_numbers: true,
            half_signed_in_for: Duration::minutes(30),
            ..SecuritySettings::default()
        };
        let hub = hub_with(settings);
        hub.registered("jo.bloggs@example.gov.uk").await;
        let s = hub
            .text_set_up("jo.bloggs@example.gov.uk", "07911 123456", T0)
            .await;
        let code = hub.texts().await.pop().unwrap();
        let late = T0 + Duration::minutes(10) + Duration::seconds(1);
        assert_eq!(
            hub.step(&s, SignInInput::Code(code), late).await,
            Err(SignInError::WrongCode)
        );
    });
}

// 24: five wrong codes lock; the right code is refused; the page says when.
#[test]
fn five_wrong_codes_lock_the_code_step_even_for_the_right_code() {
    run(async {
        let hub = hub();
        hub.registered("jo.bloggs@example.gov.uk").await;
        let s = hub
            .text_set_up("jo.bloggs@example.gov.uk", "07911 123456", T0)
            .await;
        let code = hub.texts().await.pop().unwrap();
        let wrong = if code == "000000" { "111111" } else { "000000" };
        for _ in 0..4 {
            assert_eq!(
                hub.step(&s, SignInInput::Code(wrong.into()), T0).await,
                Err(SignInError::WrongCode)
            );
        }
        let until = T0 + Duration::minutes(15);
        assert_eq!(
            hub.step(&s, SignInInput::Code(wrong.into()), T0).await,
            Err(SignInError::CodeLocked { until })
        );
        let err = hub.step(&s, SignInInput::Code(code), T0).await.unwrap_err();
        assert_eq!(err, SignInError::CodeLocked { until });
        assert!(err.to_string().contains("Try again after"));
        // Starting again does not reset the count.
        let again = hub
            .password("jo.bloggs@example.gov.uk", PASSWORD, T0)
            .await
            .unwrap();
        assert_eq!(again.name(), "choosing-method");
    });
}

// 25: the sixth text within an hour sends nothing and says why.
#[test]
fn the_sixth_text_within_an_hour_is_not_sent_and_the_reason_is_given() {
    run(async {
        let hub = hub();
        hub.registered("jo.bloggs@example.gov.uk").await;
        let mut s = hub
            .text_set_up("jo.bloggs@example.gov.uk", "07911 123456", T0)
            .await;
        for i in 1..5 {
            s = hub
                .step(&s, SignInInput::Resend, T0 + Duration::minutes(i))
                .await
                .unwrap();
        }
        assert_eq!(hub.texts().await.len(), 5);
        let sixth = hub
            .step(&s, SignInInput::Resend, T0 + Duration::minutes(6))
            .await;
        assert_eq!(
            sixth,
            Err(SignInError::SendLimitReached {
                retry_at: T0 + Duration::hours(1)
            })
        );
        assert_eq!(hub.texts().await.len(), 5);
        // A GET never sends: only these inputs do, and a refused one sends nothing either.
        let t = hub
            .sign_in
            .handle(&s, SignInInput::StartAgain, T0 + Duration::minutes(7), None)
            .await
            .unwrap();
        assert_eq!(t.notice, None);
        assert_eq!(hub.texts().await.len(), 5);
    });
}

// 13: after sign-out the state is anonymous and reaches nothing.
#[test]
fn signing_out_ends_the_session_state_and_is_audited() {
    run(async {
        let hub = hub();
        hub.registered("jo.bloggs@example.gov.uk").await;
        let s = hub
            .text_set_up("jo.bloggs@example.gov.uk", "07911 123456", T0)
            .await;
        let code = hub.texts().await.pop().unwrap();
        let s = hub.step(&s, SignInInput::Code(code), T0).await.unwrap();
        let out = hub.step(&s, SignInInput::SignOut, T0).await.unwrap();
        assert_eq!(out, SignInState::Anonymous);
        let kinds: Vec<_> = hub
            .store
            .audit_events()
            .await
            .iter()
            .map(|e| e.kind.as_str())
            .collect();
        assert!(kinds.ends_with(&["signed-in", "signed-out"]), "{kinds:?}");
    });
}

// Things that never happen: no secret in the audit log.
#[test]
fn the_audit_log_never_holds_a_password_code_or_token() {
    run(async {
        let hub = hub();
        let link = hub.invite("jo.bloggs@example.gov.uk", T0).await;
        hub.registration
            .register(&link, PASSWORD, PASSWORD, T0, None)
            .await
            .unwrap();
        let _ = hub
            .password("jo.bloggs@example.gov.uk", "Wrong!Pass1", T0)
            .await;
        let s = hub
            .text_set_up("jo.bloggs@example.gov.uk", "07911 123456", T0)
            .await;
        let code = hub.texts().await.pop().unwrap();
        hub.step(&s, SignInInput::Code(code.clone()), T0)
            .await
            .unwrap();
        let log = format!("{:?}", hub.store.audit_events().await);
        for secret in [
            PASSWORD,
            "Wrong!Pass1",
            code.as_str(),
            link.as_str(),
            "7911 123456",
            "07911123456",
        ] {
            assert!(!log.contains(secret), "{secret} in the audit log: {log}");
        }
    });
}

// Grants: only an LA officer changes roles; revoking takes effect at once; all is audited.
#[test]
fn only_an_la_officer_grants_and_revokes_roles_and_each_change_is_audited() {
    use ehc_core::role::{Action, GrantError, RoleGrantService, authorize};
    run(async {
        let hub = hub();
        let secrets = Arc::new(SeededSecretSource::new(9));
        let grants = RoleGrantService::new(hub.store.clone(), secrets);
        let officer_link = hub.invite("officer@anytown.gov.uk", T0).await;
        hub.registration
            .register(&officer_link, PASSWORD, PASSWORD, T0, None)
            .await
            .unwrap();
        hub.registered("jo.bloggs@example.gov.uk").await;
        let accounts = hub.store.accounts().await;
        let officer = accounts
            .iter()
            .find(|a| a.email.canonical() == "officer@anytown.gov.uk")
            .unwrap()
            .id;
        let jo = accounts
            .iter()
            .find(|a| a.email.canonical() == "jo.bloggs@example.gov.uk")
            .unwrap()
            .id;
        // The officer was invited as a SENDCo only: not allowed yet.
        assert_eq!(
            grants
                .grant(
                    Grantor::Account(officer),
                    jo,
                    Role::LaOfficer,
                    None,
                    T0,
                    None
                )
                .await,
            Err(GrantError::NotAllowed)
        );
        grants
            .grant(Grantor::System, officer, Role::LaOfficer, None, T0, None)
            .await
            .unwrap();
        let setting = Urn::parse("100002").unwrap();
        let id = grants
            .grant(
                Grantor::Account(officer),
                jo,
                Role::Sendco { setting },
                None,
                T0,
                None,
            )
            .await
            .unwrap();
        let held = |store: InMemoryStore| async move {
            use ehc_core::ports::Store;
            let mut tx = store.begin().await.unwrap();
            tx.grants().for_account(jo).await.unwrap()
        };
        let tray = Action::ViewSettingCases(setting);
        assert!(authorize(&held(hub.store.clone()).await, &tray, T0));
        grants
            .revoke(
                Grantor::Account(officer),
                jo,
                id,
                T0 + Duration::hours(1),
                None,
            )
            .await
            .unwrap();
        assert!(!authorize(
            &held(hub.store.clone()).await,
            &tray,
            T0 + Duration::hours(1)
        ));
        assert_eq!(
            grants
                .revoke(
                    Grantor::Account(officer),
                    jo,
                    id,
                    T0 + Duration::hours(2),
                    None
                )
                .await,
            Err(GrantError::UnknownGrant)
        );
        assert_eq!(
            grants
                .grant(Grantor::System, jo, Role::LaOfficer, Some(T0), T0, None)
                .await,
            Err(GrantError::ExpiryNotInFuture)
        );
        let kinds: Vec<_> = hub
            .store
            .audit_events()
            .await
            .iter()
            .map(|e| e.kind.as_str())
            .collect();
        assert!(
            kinds.ends_with(&["role-granted", "role-granted", "role-revoked"]),
            "{kinds:?}"
        );
    });
}

// Review finding: a code proves only the number it was texted to.
#[test]
fn a_code_texted_to_one_number_never_confirms_another() {
    run(async {
        let hub = hub();
        hub.registered("jo.bloggs@example.gov.uk").await;
        let s = hub
            .text_set_up("jo.bloggs@example.gov.uk", "07911 123456", T0)
            .await;
        let first = hub.texts().await.pop().unwrap();
        let s = hub.step(&s, SignInInput::StartAgain, T0).await.unwrap();
        let s = hub
            .step(&s, SignInInput::ChooseMethod(Method::Text), T0)
            .await
            .unwrap();
        let s = hub
            .step(&s, SignInInput::MobileNumber("07700 900999".into()), T0)
            .await
            .unwrap();
        assert_eq!(
            hub.step(&s, SignInInput::Code(first), T0).await,
            Err(SignInError::WrongCode)
        );
        let second = hub.texts().await.pop().unwrap();
        assert!(
            hub.step(&s, SignInInput::Code(second), T0)
                .await
                .unwrap()
                .signed_in_account()
                .is_some()
        );
    });
}
