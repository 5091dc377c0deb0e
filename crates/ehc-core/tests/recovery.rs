//! Account recovery (issue 8) against the real services and the in-memory store: reset links
//! (single use, expiry, a newer one voids the older, the same work for unknown addresses), a
//! reset that ends every session and never bypasses the second factor, and the LA officer's
//! second-factor reset.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at a broken expectation

use ehc_core::invitation::{InvitationError, InvitationService, InviteOutcome};
use ehc_core::outbox::{MessageContent, Recipient};
use ehc_core::recovery::{RecoveryError, RecoveryService};
use ehc_core::registration::RegistrationService;
use ehc_core::role::{Grantor, Role};
use ehc_core::second_factor::Method;
use ehc_core::settings::SecuritySettings;
use ehc_core::sign_in::{Notice, SignInError, SignInInput, SignInService, SignInState};
use ehc_core::test_support::{
    FastHasher, InMemoryStore, SeededSecretSource, reset_tokens, texted_codes,
};
use proptest::prelude::*;
use std::sync::Arc;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const T0: OffsetDateTime = datetime!(2026-11-30 09:00 UTC);
const PASSWORD: &str = "Harbour!Lights9";
const NEW_PASSWORD: &str = "Lantern#Quay42";
const JO: &str = "jo.bloggs@example.gov.uk";

type Secrets = Arc<SeededSecretSource>;
type Hasher = Arc<FastHasher>;

struct Hub {
    store: InMemoryStore,
    invitations: InvitationService<InMemoryStore, Secrets>,
    registration: RegistrationService<InMemoryStore, Hasher, Secrets>,
    sign_in: SignInService<InMemoryStore, Hasher, Secrets>,
    recovery: RecoveryService<InMemoryStore, Hasher, Secrets>,
}

fn hub() -> Hub {
    let settings = SecuritySettings {
        allow_drama_numbers: true,
        ..SecuritySettings::default()
    };
    let store = InMemoryStore::new();
    let secrets = Arc::new(SeededSecretSource::new(7));
    let hasher = Arc::new(FastHasher::new());
    Hub {
        invitations: InvitationService::new(store.clone(), secrets.clone(), settings.clone()),
        registration: RegistrationService::new(
            store.clone(),
            hasher.clone(),
            secrets.clone(),
            settings.clone(),
        ),
        sign_in: SignInService::new(
            store.clone(),
            hasher.clone(),
            secrets.clone(),
            settings.clone(),
        ),
        recovery: RecoveryService::new(store.clone(), hasher, secrets, settings),
        store,
    }
}

fn run(test: impl std::future::Future<Output = ()>) {
    pollster::block_on(test);
}

impl Hub {
    async fn registered(&self, email: &str, role: Role) {
        let InviteOutcome::Invited { token, .. } = self
            .invitations
            .invite(Grantor::System, email, vec![role], T0, None)
            .await
            .unwrap()
        else {
            panic!("expected an invitation");
        };
        self.registration
            .register(&token.to_link_param(), PASSWORD, PASSWORD, T0, None)
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
        password: &str,
        at: OffsetDateTime,
    ) -> Result<SignInState, SignInError> {
        let input = SignInInput::Password {
            email: JO.into(),
            password: password.into(),
        };
        self.step(&SignInState::Anonymous, input, at).await
    }

    /// Jo registered with a text second factor and signed in at `at`.
    async fn jo_signed_in_by_text(&self, at: OffsetDateTime) -> SignInState {
        self.registered(
            JO,
            Role::ParentCarer {
                case: ehc_core::case::CaseId(uuid::Uuid::nil()),
            },
        )
        .await;
        let s = self.password(PASSWORD, at).await.unwrap();
        let s = self
            .step(&s, SignInInput::ChooseMethod(Method::Text), at)
            .await
            .unwrap();
        let s = self
            .step(&s, SignInInput::MobileNumber("07700 900123".into()), at)
            .await
            .unwrap();
        let code = self.texts().await.pop().unwrap();
        let s = self.step(&s, SignInInput::Code(code), at).await.unwrap();
        assert!(s.signed_in_account().is_some());
        s
    }

    async fn texts(&self) -> Vec<String> {
        texted_codes(&self.store.outbox_messages().await)
    }

    async fn links(&self) -> Vec<String> {
        reset_tokens(&self.store.outbox_messages().await)
    }

    async fn audit_kinds(&self) -> Vec<&'static str> {
        self.store
            .audit_events()
            .await
            .iter()
            .map(|e| e.kind.as_str())
            .collect()
    }
}

#[test]
fn a_reset_ends_every_session_keeps_the_second_factor_and_mails_the_person() {
    run(async {
        let hub = hub();
        let before = hub.jo_signed_in_by_text(T0).await;
        let at = T0 + Duration::minutes(5);
        hub.recovery.request_reset(JO, at, None).await.unwrap();
        let link = hub.links().await.pop().unwrap();
        assert_eq!(
            hub.recovery
                .open_reset(&link, at)
                .await
                .unwrap()
                .canonical(),
            JO
        );
        hub.recovery
            .reset_password(&link, NEW_PASSWORD, NEW_PASSWORD, at, None)
            .await
            .unwrap();
        // The session signed in before the reset opens nothing any more.
        assert_eq!(
            hub.sign_in.check_session(before).await.unwrap(),
            SignInState::Anonymous
        );
        // The old password is refused; the new one leads to the second factor, not further.
        let later = at + Duration::minutes(1);
        assert_eq!(
            hub.password(PASSWORD, later).await,
            Err(SignInError::WrongCredentials)
        );
        let s = hub.password(NEW_PASSWORD, later).await.unwrap();
        assert!(matches!(s, SignInState::TextChallenge { .. }), "{s:?}");
        assert_eq!(s.signed_in_account(), None);
        let code = hub.texts().await.pop().unwrap();
        let s = hub.step(&s, SignInInput::Code(code), later).await.unwrap();
        assert!(s.signed_in_account().is_some());
        assert_eq!(hub.sign_in.check_session(s.clone()).await.unwrap(), s);
        // The person is told, and that e-mail holds no token.
        let messages = hub.store.outbox_messages().await;
        let changed: Vec<_> = messages
            .iter()
            .filter(|m| m.content == MessageContent::PasswordChanged)
            .collect();
        assert_eq!(changed.len(), 1);
        assert!(matches!(&changed[0].recipient, Recipient::Email(e) if e.canonical() == JO));
        let kinds = hub.audit_kinds().await;
        assert!(kinds.contains(&"password-reset-requested"), "{kinds:?}");
        assert!(kinds.contains(&"password-reset"), "{kinds:?}");
        let log = format!("{:?}", hub.store.audit_events().await);
        assert!(!log.contains(&link) && !log.contains(NEW_PASSWORD));
    });
}

#[test]
fn a_link_works_once_and_a_newer_request_voids_the_older_link() {
    run(async {
        let hub = hub();
        hub.jo_signed_in_by_text(T0).await;
        hub.recovery.request_reset(JO, T0, None).await.unwrap();
        let first = hub.links().await.pop().unwrap();
        // Asked again within the interval: nothing more is sent, the first link still works.
        hub.recovery.request_reset(JO, T0, None).await.unwrap();
        assert_eq!(hub.links().await.len(), 1);
        let later = T0 + Duration::minutes(2);
        hub.recovery.request_reset(JO, later, None).await.unwrap();
        let second = hub.links().await.pop().unwrap();
        assert_ne!(first, second);
        assert_eq!(
            hub.recovery
                .reset_password(&first, NEW_PASSWORD, NEW_PASSWORD, later, None)
                .await,
            Err(RecoveryError::Link(InvitationError::Superseded))
        );
        hub.recovery
            .reset_password(&second, NEW_PASSWORD, NEW_PASSWORD, later, None)
            .await
            .unwrap();
        assert_eq!(
            hub.recovery
                .reset_password(&second, "Other!Words77", "Other!Words77", later, None)
                .await,
            Err(RecoveryError::Link(InvitationError::Used))
        );
        assert!(hub.password(NEW_PASSWORD, later).await.is_ok());
        assert!(hub.audit_kinds().await.contains(&"password-reset-refused"));
    });
}

#[test]
fn a_bad_new_password_changes_nothing_and_the_link_still_works() {
    run(async {
        let hub = hub();
        let before = hub.jo_signed_in_by_text(T0).await;
        hub.recovery.request_reset(JO, T0, None).await.unwrap();
        let link = hub.links().await.pop().unwrap();
        let refused = hub
            .recovery
            .reset_password(&link, "Lantern#Quay42", "Lantern#Quay43", T0, None)
            .await;
        assert!(
            matches!(refused, Err(RecoveryError::Password(_))),
            "{refused:?}"
        );
        assert_eq!(
            hub.sign_in.check_session(before.clone()).await.unwrap(),
            before
        );
        assert!(hub.password(PASSWORD, T0).await.is_ok());
        assert!(hub.recovery.open_reset(&link, T0).await.is_ok());
    });
}

#[test]
fn an_unknown_address_queues_nothing_yet_gets_the_same_answer() {
    run(async {
        let hub = hub();
        hub.jo_signed_in_by_text(T0).await;
        let queued = hub.store.outbox_messages().await.len();
        hub.recovery
            .request_reset("nobody@example.gov.uk", T0, None)
            .await
            .unwrap();
        assert_eq!(hub.store.outbox_messages().await.len(), queued);
        assert_eq!(
            hub.recovery
                .request_reset("not an address", T0, None)
                .await
                .map_err(|e| matches!(e, RecoveryError::Email(_))),
            Err(true)
        );
        assert!(
            hub.audit_kinds()
                .await
                .ends_with(&["password-reset-requested"])
        );
    });
}

#[test]
fn an_officer_resets_a_second_factor_and_the_next_sign_in_sets_one_up_again() {
    run(async {
        let hub = hub();
        let jo_session = hub.jo_signed_in_by_text(T0).await;
        hub.registered("officer@example.gov.uk", Role::LaOfficer)
            .await;
        let officer = hub.store.accounts().await[1].id;
        let jo = jo_session.account().unwrap();
        let at = T0 + Duration::minutes(1);
        // Jo may not reset anyone's; the officer may not reset their own.
        assert_eq!(
            hub.recovery
                .reset_second_factor(jo, officer, at, None)
                .await,
            Err(RecoveryError::NotAllowed)
        );
        assert_eq!(
            hub.recovery
                .reset_second_factor(officer, officer, at, None)
                .await,
            Err(RecoveryError::OwnSecondFactor)
        );
        assert!(!hub.audit_kinds().await.contains(&"second-factor-reset"));
        hub.recovery
            .reset_second_factor(officer, jo, at, None)
            .await
            .unwrap();
        assert_eq!(
            hub.sign_in.check_session(jo_session).await.unwrap(),
            SignInState::Anonymous
        );
        let s = hub
            .password(PASSWORD, at + Duration::minutes(1))
            .await
            .unwrap();
        assert!(matches!(s, SignInState::ChoosingMethod { .. }), "{s:?}");
        let last = hub.store.outbox_messages().await;
        assert!(
            last.iter()
                .any(|m| m.content == MessageContent::SecondFactorReset)
        );
        let event = hub.store.audit_events().await;
        let event = event
            .iter()
            .rfind(|e| e.kind.as_str() == "second-factor-reset")
            .unwrap();
        assert_eq!((event.actor, event.subject), (Some(officer), Some(jo)));
    });
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// A link works from its request until one hour later, not a moment after, and only once.
    #[test]
    fn a_link_works_for_an_hour_and_only_once(after in 0i64..7200) {
        run(async {
            let hub = hub();
            hub.jo_signed_in_by_text(T0).await;
            hub.recovery.request_reset(JO, T0, None).await.unwrap();
            let link = hub.links().await.pop().unwrap();
            let at = T0 + Duration::seconds(after);
            let first = hub.recovery.reset_password(&link, NEW_PASSWORD, NEW_PASSWORD, at, None).await;
            if after < 3600 {
                assert!(first.is_ok(), "{first:?}");
                assert_eq!(
                    hub.recovery.reset_password(&link, NEW_PASSWORD, NEW_PASSWORD, at, None).await,
                    Err(RecoveryError::Link(InvitationError::Used))
                );
            } else {
                assert_eq!(first, Err(RecoveryError::Link(InvitationError::Expired)));
                assert!(hub.password(PASSWORD, at).await.is_ok());
            }
        });
    }
}

/// The codes handed out with a sign-in, if any.
fn issued(t: &ehc_core::sign_in::Transition) -> Vec<String> {
    match &t.notice {
        Some(Notice::RecoveryCodesIssued(codes)) => codes.iter().map(|c| c.display()).collect(),
        _ => Vec::new(),
    }
}

#[test]
fn recovery_codes_come_with_set_up_work_once_instead_of_a_code_and_count_toward_the_lock() {
    run(async {
        let hub = hub();
        hub.registered(JO, Role::LaOfficer).await;
        let s = hub.password(PASSWORD, T0).await.unwrap();
        let s = hub
            .step(&s, SignInInput::ChooseMethod(Method::Text), T0)
            .await
            .unwrap();
        let s = hub
            .step(&s, SignInInput::MobileNumber("07700 900123".into()), T0)
            .await
            .unwrap();
        let code = hub.texts().await.pop().unwrap();
        let t = hub
            .sign_in
            .handle(&s, SignInInput::Code(code), T0, None)
            .await
            .unwrap();
        let codes = issued(&t);
        assert_eq!(codes.len(), 10);
        assert!(t.state.signed_in_account().is_some());
        // Not saved yet: no code works, and the next sign-in offers a new set.
        let at = T0 + Duration::seconds(30);
        let challenge = hub.password(PASSWORD, at).await.unwrap();
        assert_eq!(
            hub.step(&challenge, SignInInput::RecoveryCode(codes[0].clone()), at)
                .await,
            Err(SignInError::WrongCode)
        );
        let code = hub.texts().await.pop().unwrap();
        let again = hub
            .sign_in
            .handle(&challenge, SignInInput::Code(code), at, None)
            .await
            .unwrap();
        let codes = issued(&again);
        assert_eq!(codes.len(), 10);
        // Saved: now they work. Keeping needs a signed-in state and a whole set.
        let kept: Vec<_> = codes
            .iter()
            .map(|c| ehc_core::second_factor::RecoveryCode::parse(c).unwrap())
            .collect();
        assert!(matches!(
            hub.sign_in
                .keep_recovery_codes(&challenge, &kept, at, None)
                .await,
            Err(SignInError::NotAllowed { .. })
        ));
        assert!(matches!(
            hub.sign_in
                .keep_recovery_codes(&again.state, &kept[..9], at, None)
                .await,
            Err(SignInError::NotAllowed { .. })
        ));
        hub.sign_in
            .keep_recovery_codes(&again.state, &kept, at, None)
            .await
            .unwrap();

        // At the next sign-in, a recovery code instead of the texted code: once only.
        let at = T0 + Duration::minutes(1);
        let challenge = hub.password(PASSWORD, at).await.unwrap();
        let used = &codes[3];
        let t = hub
            .sign_in
            .handle(
                &challenge,
                SignInInput::RecoveryCode(used.to_uppercase()),
                at,
                None,
            )
            .await
            .unwrap();
        assert!(t.state.signed_in_account().is_some());
        assert_eq!(t.notice, None, "9 left is not few");
        let challenge = hub.password(PASSWORD, at).await.unwrap();
        assert_eq!(
            hub.step(&challenge, SignInInput::RecoveryCode(used.clone()), at)
                .await,
            Err(SignInError::WrongCode)
        );
        assert!(matches!(
            hub.step(&challenge, SignInInput::RecoveryCode("123456".into()), at)
                .await,
            Err(SignInError::InvalidRecoveryCode(_))
        ));
        // Not at set-up: only at a challenge.
        assert!(matches!(
            hub.step(
                &SignInState::Anonymous,
                SignInInput::RecoveryCode(codes[4].clone()),
                at
            )
            .await,
            Err(SignInError::NotAllowed { .. })
        ));
        // The e-mail and the audit entry say how many are left; no code is in either.
        let messages = hub.store.outbox_messages().await;
        assert!(
            messages
                .iter()
                .any(|m| m.content == MessageContent::RecoveryCodeUsed { left: 9 })
        );
        let log = format!("{:?}{messages:?}", hub.store.audit_events().await);
        for code in &codes {
            assert!(!log.contains(code.as_str()) && !log.contains(&code.replace('-', "")));
        }
        assert!(hub.audit_kinds().await.contains(&"recovery-code-used"));

        // Wrong recovery codes count toward the same lock as wrong codes: 1 above + 4 more.
        for _ in 0..4 {
            let _ = hub
                .step(
                    &challenge,
                    SignInInput::RecoveryCode("0000-0000-0000-0000-0000-0000".into()),
                    at,
                )
                .await;
        }
        assert!(matches!(
            hub.step(&challenge, SignInInput::RecoveryCode(codes[5].clone()), at)
                .await,
            Err(SignInError::CodeLocked { .. })
        ));
        let later = at + Duration::minutes(16);
        let challenge = hub.password(PASSWORD, later).await.unwrap();
        // Use all but the last three unused ones: then "few left" is said.
        let unused: Vec<&String> = codes.iter().filter(|c| *c != used).collect();
        for (i, code) in unused.iter().take(6).enumerate() {
            let t = hub
                .sign_in
                .handle(
                    &challenge,
                    SignInInput::RecoveryCode((*code).clone()),
                    later,
                    None,
                )
                .await
                .unwrap();
            let left = 8 - u32::try_from(i).unwrap();
            let expected = (left <= 3).then_some(Notice::FewRecoveryCodesLeft { left });
            assert_eq!(t.notice, expected);
        }
        // The last three; the very last one brings a new set.
        for code in &unused[6..8] {
            hub.step(
                &challenge,
                SignInInput::RecoveryCode((*code).clone()),
                later,
            )
            .await
            .unwrap();
        }
        let t = hub
            .sign_in
            .handle(
                &challenge,
                SignInInput::RecoveryCode(unused[8].clone()),
                later,
                None,
            )
            .await
            .unwrap();
        let fresh = issued(&t);
        assert_eq!(fresh.len(), 10);
        assert!(fresh.iter().all(|c| !codes.contains(c)));
    });
}

#[test]
fn a_person_with_no_recovery_codes_gets_a_set_at_the_next_sign_in_and_a_reset_removes_them() {
    run(async {
        let hub = hub();
        hub.jo_signed_in_by_text(T0).await;
        hub.registered("officer@example.gov.uk", Role::LaOfficer)
            .await;
        let jo = hub.store.accounts().await[0].id;
        let officer = hub.store.accounts().await[1].id;
        // As a second factor set up before recovery codes existed: none stored.
        let mut tx = ehc_core::ports::Store::begin(&hub.store).await.unwrap();
        tx.second_factors()
            .replace_recovery_codes(jo, &[], T0)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let at = T0 + Duration::minutes(1);
        let s = hub.password(PASSWORD, at).await.unwrap();
        let code = hub.texts().await.pop().unwrap();
        let t = hub
            .sign_in
            .handle(&s, SignInInput::Code(code), at, None)
            .await
            .unwrap();
        let codes: Vec<_> = issued(&t)
            .iter()
            .map(|c| ehc_core::second_factor::RecoveryCode::parse(c).unwrap())
            .collect();
        assert_eq!(codes.len(), 10);
        hub.sign_in
            .keep_recovery_codes(&t.state, &codes, at, None)
            .await
            .unwrap();
        let mut tx = ehc_core::ports::Store::begin(&hub.store).await.unwrap();
        assert_eq!(
            tx.second_factors().recovery_codes_left(jo).await.unwrap(),
            10
        );
        drop(tx);
        // The officer's reset removes the codes with the second factor.
        hub.recovery
            .reset_second_factor(officer, jo, at, None)
            .await
            .unwrap();
        let mut tx = ehc_core::ports::Store::begin(&hub.store).await.unwrap();
        assert_eq!(
            tx.second_factors().recovery_codes_left(jo).await.unwrap(),
            0
        );
    });
}
