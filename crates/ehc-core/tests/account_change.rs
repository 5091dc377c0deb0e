//! A signed-in person's account changes (issue 8) against the real services and the in-memory
//! store: the 10-minute re-authentication and its lockout, *Change your password*, a new app or
//! number (with new recovery codes), *Change your email address* by a link to the new address,
//! and *Sign out of every other device*.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // a test may stop at a broken expectation

use ehc_core::account_change::{AccountChangeError, AccountChangeService, Reauthentication};
use ehc_core::audit::AuditKind;
use ehc_core::invitation::{InvitationError, InvitationService, InviteOutcome};
use ehc_core::outbox::{AccountChange, MessageContent, Recipient};
use ehc_core::registration::RegistrationService;
use ehc_core::role::{Grantor, Role};
use ehc_core::second_factor::{Method, NewSecondFactor};
use ehc_core::settings::SecuritySettings;
use ehc_core::sign_in::{Notice, SignInError, SignInInput, SignInService, SignInState};
use ehc_core::test_support::{
    FastHasher, InMemoryStore, SeededSecretSource, email_change_tokens, texted_codes,
};
use std::sync::Arc;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

const T0: OffsetDateTime = datetime!(2026-11-30 09:00 UTC);
const PASSWORD: &str = "Harbour!Lights9";
const NEW_PASSWORD: &str = "Lantern#Quay42";
const JO: &str = "jo.bloggs@example.gov.uk";
const SAM: &str = "sam.smith@example.gov.uk";

type Secrets = Arc<SeededSecretSource>;
type Hasher = Arc<FastHasher>;

struct Hub {
    store: InMemoryStore,
    invitations: InvitationService<InMemoryStore, Secrets>,
    registration: RegistrationService<InMemoryStore, Hasher, Secrets>,
    sign_in: SignInService<InMemoryStore, Hasher, Secrets>,
    changes: AccountChangeService<InMemoryStore, Hasher, Secrets>,
}

fn hub_settings() -> SecuritySettings {
    SecuritySettings {
        allow_drama_numbers: true,
        ..SecuritySettings::default()
    }
}

fn hub() -> Hub {
    let settings = hub_settings();
    let store = InMemoryStore::new();
    let secrets = Arc::new(SeededSecretSource::new(11));
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
        changes: AccountChangeService::new(store.clone(), hasher, secrets, settings),
        store,
    }
}

fn run(test: impl std::future::Future<Output = ()>) {
    pollster::block_on(test);
}

fn parent() -> Role {
    Role::ParentCarer {
        case: ehc_core::case::CaseId(uuid::Uuid::nil()),
    }
}

impl Hub {
    async fn registered(&self, email: &str) {
        self.registered_as(email, parent()).await;
    }

    async fn registered_as(&self, email: &str, role: Role) {
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

    /// `email` registered, with a text second factor, signed in at `at`.
    async fn signed_in_by_text(&self, email: &str, at: OffsetDateTime) -> SignInState {
        self.registered(email).await;
        let s = self.password(email, PASSWORD, at).await.unwrap();
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

    /// A second sign-in of `email` (text second factor) at `at`.
    async fn sign_in_again(&self, email: &str, password: &str, at: OffsetDateTime) -> SignInState {
        let s = self.password(email, password, at).await.unwrap();
        let code = self.texts().await.pop().unwrap();
        self.step(&s, SignInInput::Code(code), at).await.unwrap()
    }

    fn recovery(&self) -> ehc_core::recovery::RecoveryService<InMemoryStore, Hasher, Secrets> {
        ehc_core::recovery::RecoveryService::new(
            self.store.clone(),
            Arc::new(FastHasher::new()),
            Arc::new(SeededSecretSource::new(5)),
            hub_settings(),
        )
    }

    async fn account_of(&self, email: &str) -> ehc_core::account::AccountId {
        self.store
            .accounts()
            .await
            .into_iter()
            .find(|a| a.email.canonical() == email)
            .unwrap()
            .id
    }

    async fn texts(&self) -> Vec<String> {
        texted_codes(&self.store.outbox_messages().await)
    }

    async fn proof(&self, state: &SignInState, at: OffsetDateTime) -> Reauthentication {
        self.changes
            .confirm_password(state, PASSWORD, at, None)
            .await
            .unwrap()
    }

    /// The account-changed e-mails, with their recipients, oldest first.
    async fn told(&self) -> Vec<(String, AccountChange)> {
        self.store
            .outbox_messages()
            .await
            .into_iter()
            .filter_map(|m| match (m.recipient, m.content) {
                (Recipient::Email(to), MessageContent::AccountChanged { change }) => {
                    Some((to.canonical().to_owned(), change))
                }
                _ => None,
            })
            .collect()
    }

    async fn audited(&self, kind: AuditKind) -> usize {
        self.store
            .audit_events()
            .await
            .iter()
            .filter(|e| e.kind == kind)
            .count()
    }
}

#[test]
fn a_change_needs_the_password_again_within_ten_minutes() {
    run(async {
        let hub = hub();
        let jo = hub.signed_in_by_text(JO, T0).await;
        let change = |proof: Option<Reauthentication>, at| {
            let jo = jo.clone();
            let hub = &hub;
            async move {
                hub.changes
                    .change_password(&jo, proof.as_ref(), NEW_PASSWORD, NEW_PASSWORD, at, None)
                    .await
            }
        };
        assert_eq!(
            change(None, T0).await,
            Err(AccountChangeError::ReauthenticationNeeded)
        );
        let proof = hub.proof(&jo, T0).await;
        assert_eq!(
            change(Some(proof), T0 + Duration::minutes(10)).await,
            Err(AccountChangeError::ReauthenticationNeeded)
        );
        // Anonymous or half-signed-in sessions cannot even confirm a password.
        assert_eq!(
            hub.changes
                .confirm_password(&SignInState::Anonymous, PASSWORD, T0, None)
                .await,
            Err(AccountChangeError::NotSignedIn)
        );
        let half = hub.password(JO, PASSWORD, T0).await.unwrap();
        assert_eq!(
            hub.changes
                .confirm_password(&half, PASSWORD, T0, None)
                .await,
            Err(AccountChangeError::NotSignedIn)
        );
        // Nothing changed: the old password still signs in.
        assert!(hub.password(JO, PASSWORD, T0).await.is_ok());
        let late = T0 + Duration::minutes(9) + Duration::seconds(59);
        assert_eq!(change(Some(proof), late).await, Ok(()));
        assert_eq!(hub.audited(AuditKind::Reauthenticated).await, 1);
    })
}

#[test]
fn wrong_passwords_when_reauthenticating_lock_password_sign_in_too() {
    run(async {
        let hub = hub();
        let jo = hub.signed_in_by_text(JO, T0).await;
        let max = SecuritySettings::default().password_lockout.max_failures;
        for _ in 1..max {
            assert_eq!(
                hub.changes
                    .confirm_password(&jo, "Wrong!Guess1", T0, None)
                    .await,
                Err(AccountChangeError::WrongPassword)
            );
        }
        let locked = hub
            .changes
            .confirm_password(&jo, "Wrong!Guess1", T0, None)
            .await;
        assert!(matches!(
            locked,
            Err(AccountChangeError::PasswordLocked { .. })
        ));
        // Locked: the right password is not checked, here or at sign-in.
        assert!(matches!(
            hub.changes.confirm_password(&jo, PASSWORD, T0, None).await,
            Err(AccountChangeError::PasswordLocked { .. })
        ));
        assert!(matches!(
            hub.password(JO, PASSWORD, T0).await,
            Err(SignInError::PasswordLocked { .. })
        ));
        assert_eq!(
            hub.audited(AuditKind::ReauthenticationRefused).await,
            max as usize + 1
        );
    })
}

#[test]
fn a_new_password_replaces_the_old_keeps_this_session_and_tells_the_person() {
    run(async {
        let hub = hub();
        let jo = hub.signed_in_by_text(JO, T0).await;
        let proof = hub.proof(&jo, T0).await;
        let refused = hub
            .changes
            .change_password(&jo, Some(&proof), "short", "other", T0, None)
            .await;
        let Err(AccountChangeError::Password(violations)) = refused else {
            panic!("expected the policy's refusal, got {refused:?}");
        };
        assert!(violations.rules().len() >= 3, "{violations:?}");
        assert!(hub.told().await.is_empty());

        // A reset link asked for before the change must not outlive it.
        let recovery = hub.recovery();
        recovery.request_reset(JO, T0, None).await.unwrap();
        let reset = ehc_core::test_support::reset_tokens(&hub.store.outbox_messages().await)
            .pop()
            .unwrap();
        hub.changes
            .change_password(&jo, Some(&proof), NEW_PASSWORD, NEW_PASSWORD, T0, None)
            .await
            .unwrap();
        assert_eq!(
            recovery
                .reset_password(&reset, "Other!Words77", "Other!Words77", T0, None)
                .await,
            Err(ehc_core::recovery::RecoveryError::Link(
                InvitationError::Superseded
            ))
        );
        assert_eq!(hub.sign_in.check_session(jo.clone()).await.unwrap(), jo);
        assert!(matches!(
            hub.password(JO, PASSWORD, T0).await,
            Err(SignInError::WrongCredentials)
        ));
        assert!(hub.password(JO, NEW_PASSWORD, T0).await.is_ok());
        assert_eq!(
            hub.told().await,
            vec![(JO.to_owned(), AccountChange::Password)]
        );
        assert_eq!(hub.audited(AuditKind::PasswordChanged).await, 1);
    })
}

#[test]
fn signing_out_every_other_device_ends_the_others_and_keeps_this_one() {
    run(async {
        let hub = hub();
        let first = hub.signed_in_by_text(JO, T0).await;
        let later = T0 + Duration::minutes(1);
        let second = hub.sign_in_again(JO, PASSWORD, later).await;
        let now = T0 + Duration::minutes(2);
        let kept = hub
            .changes
            .end_other_sessions(&second, now, None)
            .await
            .unwrap();
        assert_eq!(
            hub.sign_in.check_session(first).await.unwrap(),
            SignInState::Anonymous
        );
        assert_eq!(hub.sign_in.check_session(kept.clone()).await.unwrap(), kept);
        assert_eq!(kept.signed_in_account(), second.signed_in_account());
        assert_eq!(hub.audited(AuditKind::OtherSessionsEnded).await, 1);
        assert_eq!(
            hub.changes
                .end_other_sessions(&SignInState::Anonymous, now, None)
                .await,
            Err(AccountChangeError::NotSignedIn)
        );
    })
}

#[test]
fn a_new_app_replaces_the_texts_and_the_recovery_codes_once_its_code_is_right() {
    run(async {
        let hub = hub();
        let jo = hub.signed_in_by_text(JO, T0).await;
        let proof = hub.proof(&jo, T0).await;
        let new = hub.changes.new_app(&jo, Some(&proof), T0).unwrap();
        let NewSecondFactor::App { secret } = new.clone() else {
            panic!("expected an app");
        };
        let t = T0.unix_timestamp() as u64;
        let near: Vec<String> = [t - 30, t, t + 30].map(|at| secret.code_at(at)).to_vec();
        let wrong = ["000000", "111111", "222222", "333333"]
            .into_iter()
            .find(|c| !near.iter().any(|n| n == c))
            .unwrap();
        assert_eq!(
            hub.changes
                .confirm_new_second_factor(&jo, Some(&proof), new.clone(), wrong, T0, None)
                .await,
            Err(AccountChangeError::WrongCode)
        );
        assert!(hub.told().await.is_empty());
        // Still texts.
        let s = hub.password(JO, PASSWORD, T0).await.unwrap();
        assert!(matches!(s, SignInState::TextChallenge { .. }), "{s:?}");

        let code = secret.code_at(T0.unix_timestamp() as u64);
        let codes = hub
            .changes
            .confirm_new_second_factor(&jo, Some(&proof), new, &code, T0, None)
            .await
            .unwrap();
        assert_eq!(codes.len(), 10);
        assert!(hub.told().await.contains(&(
            JO.to_owned(),
            AccountChange::SecondFactor {
                method: Method::App
            }
        )));
        assert_eq!(hub.audited(AuditKind::SecondFactorChanged).await, 1);

        // The next sign-in asks for the app, not a text; the set-up code never works again.
        let later = T0 + Duration::seconds(1);
        let texts_before = hub.texts().await.len();
        let s = hub.password(JO, PASSWORD, later).await.unwrap();
        assert!(matches!(s, SignInState::AppChallenge { .. }), "{s:?}");
        assert_eq!(hub.texts().await.len(), texts_before);
        assert_eq!(
            hub.step(&s, SignInInput::Code(code), later).await,
            Err(SignInError::WrongCode)
        );
        let next = secret.code_at(later.unix_timestamp() as u64 + 30);
        let at = later + Duration::seconds(30);
        let t = hub
            .sign_in
            .handle(&s, SignInInput::Code(next), at, None)
            .await
            .unwrap();
        // The old recovery codes went with the old factor: a new set is offered.
        assert!(matches!(t.notice, Some(Notice::RecoveryCodesIssued(_))));
    })
}

#[test]
fn a_new_number_is_stored_only_once_a_code_texted_to_it_comes_back() {
    run(async {
        let hub = hub();
        let jo = hub.signed_in_by_text(JO, T0).await;
        let proof = hub.proof(&jo, T0).await;
        assert!(matches!(
            hub.changes
                .text_new_number(&jo, Some(&proof), "not a number", T0, None)
                .await,
            Err(AccountChangeError::InvalidPhone(_))
        ));
        let (new, _) = hub
            .changes
            .text_new_number(&jo, Some(&proof), "07700 900456", T0, None)
            .await
            .unwrap();
        let code = hub.texts().await.pop().unwrap();
        let wrong = if code == "111111" { "222222" } else { "111111" };
        assert_eq!(
            hub.changes
                .confirm_new_second_factor(&jo, Some(&proof), new.clone(), wrong, T0, None)
                .await,
            Err(AccountChangeError::WrongCode)
        );
        // Still the old number.
        let s = hub.password(JO, PASSWORD, T0).await.unwrap();
        let SignInState::TextChallenge { phone, .. } = s else {
            panic!("expected a text challenge");
        };
        assert_eq!(phone.last_digits(), "0123");

        hub.changes
            .confirm_new_second_factor(&jo, Some(&proof), new, &code, T0, None)
            .await
            .unwrap();
        let s = hub.password(JO, PASSWORD, T0).await.unwrap();
        let SignInState::TextChallenge { phone, .. } = &s else {
            panic!("expected a text challenge");
        };
        assert_eq!(phone.last_digits(), "0456");
        // The code that confirmed the number was used up.
        assert_eq!(
            hub.step(&s, SignInInput::Code(code), T0).await,
            Err(SignInError::WrongCode)
        );
    })
}

#[test]
fn a_new_address_takes_effect_only_through_the_link_sent_to_it() {
    run(async {
        let hub = hub();
        let jo = hub.signed_in_by_text(JO, T0).await;
        let proof = hub.proof(&jo, T0).await;
        assert!(matches!(
            hub.changes
                .request_email_change(&jo, Some(&proof), "not an address", T0, None)
                .await,
            Err(AccountChangeError::Email(_))
        ));
        assert_eq!(
            hub.changes
                .request_email_change(&jo, Some(&proof), "JO.Bloggs@example.gov.uk", T0, None)
                .await,
            Err(AccountChangeError::SameEmail)
        );
        let new = "Jo.New@example.org";
        hub.changes
            .request_email_change(&jo, Some(&proof), new, T0, None)
            .await
            .unwrap();
        let messages = hub.store.outbox_messages().await;
        let link = messages
            .iter()
            .find(|m| matches!(m.content, MessageContent::EmailChangeLink { .. }))
            .unwrap();
        assert_eq!(
            link.recipient,
            Recipient::Email(ehc_core::account::EmailAddress::parse(new).unwrap())
        );
        assert_eq!(
            hub.told().await,
            vec![(
                JO.to_owned(),
                AccountChange::EmailChangeRequested { to: new.to_owned() }
            )]
        );
        // Not changed yet.
        assert!(hub.password(JO, PASSWORD, T0).await.is_ok());
        let token = email_change_tokens(&messages).pop().unwrap();
        let (old, to) = hub
            .changes
            .open_email_change(&jo, &token, T0)
            .await
            .unwrap();
        assert_eq!((old.canonical(), to.as_entered()), (JO, new));

        hub.changes
            .confirm_email_change(&jo, &token, T0 + Duration::minutes(5), None)
            .await
            .unwrap();
        assert!(matches!(
            hub.password(JO, PASSWORD, T0).await,
            Err(SignInError::WrongCredentials)
        ));
        assert!(
            hub.password("jo.new@example.org", PASSWORD, T0)
                .await
                .is_ok()
        );
        assert_eq!(
            hub.told().await.last().unwrap(),
            &(
                JO.to_owned(),
                AccountChange::EmailChanged { to: new.to_owned() }
            )
        );
        assert_eq!(
            hub.changes
                .confirm_email_change(&jo, &token, T0, None)
                .await,
            Err(AccountChangeError::Link(InvitationError::Used))
        );
        assert_eq!(hub.audited(AuditKind::EmailChanged).await, 1);
        assert_eq!(hub.audited(AuditKind::EmailChangeRefused).await, 1);
    })
}

#[test]
fn a_newer_request_voids_the_older_link_and_links_expire() {
    run(async {
        let hub = hub();
        let jo = hub.signed_in_by_text(JO, T0).await;
        let proof = hub.proof(&jo, T0).await;
        hub.changes
            .request_email_change(&jo, Some(&proof), "first@example.org", T0, None)
            .await
            .unwrap();
        // Within the minute: refused, nothing sent.
        let soon = T0 + Duration::seconds(59);
        assert_eq!(
            hub.changes
                .request_email_change(&jo, Some(&proof), "second@example.org", soon, None)
                .await,
            Err(AccountChangeError::TooSoon {
                retry_at: T0 + Duration::minutes(1)
            })
        );
        assert_eq!(
            email_change_tokens(&hub.store.outbox_messages().await).len(),
            1
        );
        let t1 = T0 + Duration::minutes(1);
        hub.changes
            .request_email_change(&jo, Some(&proof), "second@example.org", t1, None)
            .await
            .unwrap();
        let tokens = email_change_tokens(&hub.store.outbox_messages().await);
        assert_eq!(
            hub.changes
                .confirm_email_change(&jo, &tokens[0], T0, None)
                .await,
            Err(AccountChangeError::Link(InvitationError::Superseded))
        );
        let hour = t1 + Duration::hours(1);
        assert_eq!(
            hub.changes
                .confirm_email_change(&jo, &tokens[1], hour, None)
                .await,
            Err(AccountChangeError::Link(InvitationError::Expired))
        );
        assert_eq!(
            hub.changes
                .confirm_email_change(&jo, "nonsense", T0, None)
                .await,
            Err(AccountChangeError::Link(InvitationError::Unknown))
        );
        assert!(hub.password(JO, PASSWORD, T0).await.is_ok());
    })
}

#[test]
fn an_address_taken_meanwhile_is_refused_at_the_link_and_nothing_changes() {
    run(async {
        let hub = hub();
        let jo = hub.signed_in_by_text(JO, T0).await;
        let proof = hub.proof(&jo, T0).await;
        // Asking for an address that has an account looks the same as any other.
        hub.registered(SAM).await;
        hub.changes
            .request_email_change(&jo, Some(&proof), "Sam.Smith@example.gov.uk", T0, None)
            .await
            .unwrap();
        let token = email_change_tokens(&hub.store.outbox_messages().await)
            .pop()
            .unwrap();
        assert_eq!(
            hub.changes
                .confirm_email_change(&jo, &token, T0, None)
                .await,
            Err(AccountChangeError::EmailTaken)
        );
        assert!(hub.password(JO, PASSWORD, T0).await.is_ok());
        let accounts = hub.store.accounts().await;
        assert_eq!(accounts.len(), 2);
        assert_eq!(hub.audited(AuditKind::EmailChanged).await, 0);
        assert_eq!(hub.audited(AuditKind::EmailChangeRefused).await, 1);
    })
}

#[test]
fn the_link_works_only_in_a_signed_in_session_of_its_account() {
    run(async {
        let hub = hub();
        let jo = hub.signed_in_by_text(JO, T0).await;
        let sam = hub.signed_in_by_text(SAM, T0).await;
        let proof = hub.proof(&jo, T0).await;
        hub.changes
            .request_email_change(&jo, Some(&proof), "jo.new@example.org", T0, None)
            .await
            .unwrap();
        let token = email_change_tokens(&hub.store.outbox_messages().await)
            .pop()
            .unwrap();
        let anonymous = SignInState::Anonymous;
        assert_eq!(
            hub.changes.open_email_change(&anonymous, &token, T0).await,
            Err(AccountChangeError::NotSignedIn)
        );
        assert_eq!(
            hub.changes
                .confirm_email_change(&anonymous, &token, T0, None)
                .await,
            Err(AccountChangeError::NotSignedIn)
        );
        assert_eq!(
            hub.changes.open_email_change(&sam, &token, T0).await,
            Err(AccountChangeError::LinkForAnotherAccount)
        );
        assert_eq!(
            hub.changes
                .confirm_email_change(&sam, &token, T0, None)
                .await,
            Err(AccountChangeError::LinkForAnotherAccount)
        );
        // Nothing changed, and the link still works for Jo.
        assert!(hub.password(SAM, PASSWORD, T0).await.is_ok());
        let (old, new) = hub
            .changes
            .confirm_email_change(&jo, &token, T0, None)
            .await
            .unwrap();
        assert_eq!(
            (old.canonical(), new.canonical()),
            (JO, "jo.new@example.org")
        );
        assert_eq!(hub.audited(AuditKind::EmailChangeRefused).await, 1);
    })
}

#[test]
fn a_new_password_or_signing_out_elsewhere_voids_a_pending_address_change() {
    run(async {
        for remedy in [
            "password",
            "sign-out-elsewhere",
            "new-number",
            "reset",
            "officer-reset",
        ] {
            let hub = hub();
            let jo = hub.signed_in_by_text(JO, T0).await;
            let proof = hub.proof(&jo, T0).await;
            hub.changes
                .request_email_change(&jo, Some(&proof), "stranger@example.org", T0, None)
                .await
                .unwrap();
            let token = email_change_tokens(&hub.store.outbox_messages().await)
                .pop()
                .unwrap();
            let later = T0 + Duration::minutes(1);
            let jo = match remedy {
                "password" => {
                    hub.changes
                        .change_password(&jo, Some(&proof), NEW_PASSWORD, NEW_PASSWORD, later, None)
                        .await
                        .unwrap();
                    jo
                }
                "sign-out-elsewhere" => hub
                    .changes
                    .end_other_sessions(&jo, later, None)
                    .await
                    .unwrap(),
                "reset" => {
                    let recovery = hub.recovery();
                    recovery.request_reset(JO, later, None).await.unwrap();
                    let link =
                        ehc_core::test_support::reset_tokens(&hub.store.outbox_messages().await)
                            .pop()
                            .unwrap();
                    recovery
                        .reset_password(&link, NEW_PASSWORD, NEW_PASSWORD, later, None)
                        .await
                        .unwrap();
                    // Signed out everywhere by the reset: Jo signs in again.
                    let s = hub.password(JO, NEW_PASSWORD, later).await.unwrap();
                    let code = hub.texts().await.pop().unwrap();
                    hub.step(&s, SignInInput::Code(code), later).await.unwrap()
                }
                "officer-reset" => {
                    hub.registered_as(SAM, Role::LaOfficer).await;
                    let officer = hub.account_of(SAM).await;
                    hub.recovery()
                        .reset_second_factor(officer, jo.signed_in_account().unwrap(), later, None)
                        .await
                        .unwrap();
                    // Jo sets up a new number at the next sign-in.
                    let s = hub.password(JO, PASSWORD, later).await.unwrap();
                    let s = hub
                        .step(&s, SignInInput::ChooseMethod(Method::Text), later)
                        .await
                        .unwrap();
                    let s = hub
                        .step(&s, SignInInput::MobileNumber("07700 900789".into()), later)
                        .await
                        .unwrap();
                    let code = hub.texts().await.pop().unwrap();
                    hub.step(&s, SignInInput::Code(code), later).await.unwrap()
                }
                _ => {
                    let (new, _) = hub
                        .changes
                        .text_new_number(&jo, Some(&proof), "07700 900456", later, None)
                        .await
                        .unwrap();
                    let code = hub.texts().await.pop().unwrap();
                    hub.changes
                        .confirm_new_second_factor(&jo, Some(&proof), new, &code, later, None)
                        .await
                        .unwrap();
                    jo
                }
            };
            assert_eq!(
                hub.changes
                    .confirm_email_change(&jo, &token, later, None)
                    .await,
                Err(AccountChangeError::Link(InvitationError::Superseded)),
                "{remedy}"
            );
        }
    })
}

#[test]
fn a_new_address_voids_the_reset_links_sent_to_the_old_and_takes_up_an_invitation_to_the_new() {
    run(async {
        let hub = hub();
        let jo = hub.signed_in_by_text(JO, T0).await;
        let recovery = ehc_core::recovery::RecoveryService::new(
            hub.store.clone(),
            Arc::new(FastHasher::new()),
            Arc::new(SeededSecretSource::new(5)),
            SecuritySettings::default(),
        );
        recovery.request_reset(JO, T0, None).await.unwrap();
        let reset = ehc_core::test_support::reset_tokens(&hub.store.outbox_messages().await)
            .pop()
            .unwrap();
        // An LA officer invited the new address to a case before Jo moved to it.
        let case = ehc_core::case::CaseId(uuid::Uuid::from_u128(42));
        hub.invitations
            .invite(
                Grantor::System,
                "jo.new@example.org",
                vec![Role::ParentCarer { case }],
                T0,
                None,
            )
            .await
            .unwrap();
        let proof = hub.proof(&jo, T0).await;
        hub.changes
            .request_email_change(&jo, Some(&proof), "jo.new@example.org", T0, None)
            .await
            .unwrap();
        let token = email_change_tokens(&hub.store.outbox_messages().await)
            .pop()
            .unwrap();
        hub.changes
            .confirm_email_change(&jo, &token, T0, None)
            .await
            .unwrap();
        assert_eq!(
            recovery
                .reset_password(&reset, NEW_PASSWORD, NEW_PASSWORD, T0, None)
                .await,
            Err(ehc_core::recovery::RecoveryError::Link(
                InvitationError::Superseded
            ))
        );
        let account = jo.signed_in_account().unwrap();
        let roles: Vec<Role> = {
            use ehc_core::ports::Store;
            let mut tx = hub.store.begin().await.unwrap();
            tx.grants()
                .for_account(account)
                .await
                .unwrap()
                .into_iter()
                .map(|g| g.role)
                .collect()
        };
        assert!(roles.contains(&Role::ParentCarer { case }), "{roles:?}");
    })
}
