//! Service tests with the mockall mocks of every port: each rule of docs/SECURITY.md that is
//! about *which* port is called (and how often) is checked at the port.
//!
//! A [`TestStore`] hands out units of work made of mocks. Every unit is configured by the test's
//! own closure, so the tests do not depend on how many units of work a service opens; outbox
//! messages and audit entries are recorded per unit and count as written only when that unit
//! commits. A port method a test did not configure panics when called (mockall's default), and
//! `.never()` marks the calls a rule forbids.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "a test crate: its helpers fail the test loudly, like the tests themselves"
)]

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use mockall::predicate::eq;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use ehc_core::account::{
    Account, AccountId, AccountRepository, EmailAddress, MockAccountRepository,
};
use ehc_core::account_change::{EmailChangeRepository, MockEmailChangeRepository};
use ehc_core::alert::{AlertRepository, MockAlertRepository};
use ehc_core::audit::{AuditEvent, AuditKind, AuditLog, MockAuditLog};
use ehc_core::case::{CaseRepository, MockCaseRepository};
use ehc_core::document::DocumentRepository;
use ehc_core::document::repository::MockDocumentRepository;
use ehc_core::invitation::{
    Invitation, InvitationId, InvitationRepository, InvitationService, InvitationStatus,
    InvitationToken, InviteOutcome, MockInvitationRepository,
};
use ehc_core::lockout::{Lockout, LockoutKind, LockoutRepository, MockLockoutRepository};
use ehc_core::outbox::{MessageContent, MockOutbox, Outbox, OutboxMessage, Recipient};
use ehc_core::password::PasswordHash;
use ehc_core::password::hasher::MockPasswordHasher;
use ehc_core::ports::{Store, StoreError, UnitOfWork};
use ehc_core::recovery::{MockPasswordResetRepository, PasswordResetRepository};
use ehc_core::registration::{RegistrationError, RegistrationService};
use ehc_core::role::{Grantor, MockRoleGrantRepository, Role, RoleGrant, RoleGrantRepository, Urn};
use ehc_core::second_factor::{
    Enrolment, Method, MockSecondFactorRepository, PhoneNumber, SecondFactorRepository,
    SmsCodeHash, SmsSendDecision, TotpSecret,
};
use ehc_core::setting::import::{ImportError, SettingImport};
use ehc_core::setting::{MockSettingRepository, SettingRepository, UpsertOutcome};
use ehc_core::settings::SecuritySettings;
use ehc_core::sign_in::{Notice, SignInError, SignInInput, SignInService, SignInState};
use ehc_core::test_support::SeededSecretSource;

/// A weekday morning in term time.
const NOW: OffsetDateTime = datetime!(2026-11-30 09:15:10 UTC);
/// The person's account id.
const ID: AccountId = AccountId(Uuid::from_u128(0x4a6f_426c_6f67_6773));
/// Units of work each store can hand out; more than any one step of a service needs.
const UNITS: usize = 4;

/// What the units of work of one store wrote and committed.
#[derive(Default)]
struct Journal {
    commits: AtomicUsize,
    outbox: Mutex<Vec<OutboxMessage>>,
    audit: Mutex<Vec<AuditEvent>>,
}

impl Journal {
    fn commits(&self) -> usize {
        self.commits.load(Ordering::SeqCst)
    }
    fn messages(&self) -> Vec<OutboxMessage> {
        self.outbox.lock().unwrap().clone()
    }
    fn audit_kinds(&self) -> Vec<AuditKind> {
        self.audit.lock().unwrap().iter().map(|e| e.kind).collect()
    }
    fn audit(&self) -> Vec<AuditEvent> {
        self.audit.lock().unwrap().clone()
    }
}

/// One unit of work made of mocks. Outbox messages and audit entries are accepted and kept
/// until commit moves them into the [`Journal`].
struct Unit {
    accounts: MockAccountRepository,
    invitations: MockInvitationRepository,
    email_changes: MockEmailChangeRepository,
    password_resets: MockPasswordResetRepository,
    grants: MockRoleGrantRepository,
    second_factors: MockSecondFactorRepository,
    lockouts: MockLockoutRepository,
    settings: MockSettingRepository,
    cases: MockCaseRepository,
    alerts: MockAlertRepository,
    documents: MockDocumentRepository,
    outbox: MockOutbox,
    audit: MockAuditLog,
    pending_outbox: Arc<Mutex<Vec<OutboxMessage>>>,
    pending_audit: Arc<Mutex<Vec<AuditEvent>>>,
    journal: Arc<Journal>,
}

impl Unit {
    fn new(journal: Arc<Journal>) -> Self {
        let pending_outbox = Arc::new(Mutex::new(Vec::new()));
        let pending_audit = Arc::new(Mutex::new(Vec::new()));
        let mut outbox = MockOutbox::new();
        let queue = pending_outbox.clone();
        outbox.expect_enqueue().returning(move |m| {
            queue.lock().unwrap().push(m.clone());
            Ok(())
        });
        let mut audit = MockAuditLog::new();
        let log = pending_audit.clone();
        audit.expect_append().returning(move |e| {
            log.lock().unwrap().push(e.clone());
            Ok(())
        });
        Self {
            accounts: MockAccountRepository::new(),
            invitations: MockInvitationRepository::new(),
            password_resets: MockPasswordResetRepository::new(),
            email_changes: MockEmailChangeRepository::new(),
            grants: MockRoleGrantRepository::new(),
            second_factors: MockSecondFactorRepository::new(),
            lockouts: MockLockoutRepository::new(),
            settings: MockSettingRepository::new(),
            cases: MockCaseRepository::new(),
            alerts: MockAlertRepository::new(),
            documents: MockDocumentRepository::new(),
            outbox,
            audit,
            pending_outbox,
            pending_audit,
            journal,
        }
    }
}

#[async_trait]
impl UnitOfWork for Unit {
    fn accounts(&mut self) -> &mut dyn AccountRepository {
        &mut self.accounts
    }
    fn invitations(&mut self) -> &mut dyn InvitationRepository {
        &mut self.invitations
    }
    fn password_resets(&mut self) -> &mut dyn PasswordResetRepository {
        &mut self.password_resets
    }
    fn email_changes(&mut self) -> &mut dyn EmailChangeRepository {
        &mut self.email_changes
    }
    fn grants(&mut self) -> &mut dyn RoleGrantRepository {
        &mut self.grants
    }
    fn settings(&mut self) -> &mut dyn SettingRepository {
        &mut self.settings
    }
    fn cases(&mut self) -> &mut dyn CaseRepository {
        &mut self.cases
    }
    fn alerts(&mut self) -> &mut dyn AlertRepository {
        &mut self.alerts
    }
    fn documents(&mut self) -> &mut dyn DocumentRepository {
        &mut self.documents
    }
    fn second_factors(&mut self) -> &mut dyn SecondFactorRepository {
        &mut self.second_factors
    }
    fn lockouts(&mut self) -> &mut dyn LockoutRepository {
        &mut self.lockouts
    }
    fn outbox(&mut self) -> &mut dyn Outbox {
        &mut self.outbox
    }
    fn audit(&mut self) -> &mut dyn AuditLog {
        &mut self.audit
    }
    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        let journal = &self.journal;
        journal
            .outbox
            .lock()
            .unwrap()
            .append(&mut self.pending_outbox.lock().unwrap());
        journal
            .audit
            .lock()
            .unwrap()
            .append(&mut self.pending_audit.lock().unwrap());
        journal.commits.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// A store whose units of work are all made by one configuring closure.
struct TestStore {
    units: Mutex<VecDeque<Unit>>,
    journal: Arc<Journal>,
}

impl TestStore {
    fn new(configure: impl Fn(&mut Unit)) -> Self {
        let journal = Arc::new(Journal::default());
        let units = (0..UNITS)
            .map(|_| {
                let mut unit = Unit::new(journal.clone());
                configure(&mut unit);
                unit
            })
            .collect();
        Self {
            units: Mutex::new(units),
            journal,
        }
    }
}

#[async_trait]
impl Store for TestStore {
    async fn begin(&self) -> Result<Box<dyn UnitOfWork + '_>, StoreError> {
        let unit = self
            .units
            .lock()
            .unwrap()
            .pop_front()
            .expect("the service opened more units of work than the test store holds");
        Ok(Box::new(unit))
    }
}

// ---- fixtures -------------------------------------------------------------------------------

fn email() -> EmailAddress {
    EmailAddress::parse("jo.bloggs@example.gov.uk").unwrap()
}

fn account() -> Account {
    Account {
        id: ID,
        email: email(),
        password_hash: PasswordHash::from_phc("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA"),
        created_at: datetime!(2026-09-01 08:30 UTC),
    }
}

fn mobile() -> PhoneNumber {
    PhoneNumber::parse("07911 123456", false).unwrap()
}

fn app_secret() -> TotpSecret {
    TotpSecret::from_bytes(*b"anytown-council-key!")
}

fn password_input(password: &str) -> SignInInput {
    SignInInput::Password {
        email: "Jo.Bloggs@Example.GOV.UK".into(),
        password: password.into(),
    }
}

fn sign_in(
    store: TestStore,
    hasher: MockPasswordHasher,
) -> SignInService<TestStore, MockPasswordHasher, SeededSecretSource> {
    SignInService::new(
        store,
        hasher,
        SeededSecretSource::new(11),
        SecuritySettings::default(),
    )
}

/// A hasher that must not be called at all.
fn untouchable_hasher() -> MockPasswordHasher {
    let mut hasher = MockPasswordHasher::new();
    hasher.expect_hash().never();
    hasher.expect_verify().never();
    hasher.expect_verify_nothing().never();
    hasher.expect_needs_rehash().never();
    hasher
}

/// A hasher for which `password` is the person's password.
fn hasher_accepting(password: &'static str) -> MockPasswordHasher {
    let mut hasher = MockPasswordHasher::new();
    hasher
        .expect_verify()
        .times(1)
        .returning(move |typed, _| Ok(typed.expose() == password));
    hasher.expect_needs_rehash().returning(|_| false);
    hasher.expect_hash().never();
    hasher.expect_verify_nothing().never();
    hasher
}

/// The account exists, has this enrolment, and neither counter is locked.
fn known_person(unit: &mut Unit, enrolment: Option<Enrolment>) {
    unit.accounts
        .expect_find_by_email()
        .withf(|e| *e == email())
        .returning(|_| Ok(Some(account())));
    unit.accounts.expect_set_password_hash().never();
    unit.lockouts
        .expect_get()
        .with(eq(ID), mockall::predicate::always())
        .returning(|_, _| Ok(Lockout::default()));
    unit.lockouts
        .expect_clear()
        .with(eq(ID), eq(LockoutKind::Password))
        .returning(|_, _| Ok(()));
    unit.second_factors
        .expect_enrolment()
        .with(eq(ID))
        .returning(move |_| Ok(enrolment.clone()));
}

/// Text codes are recorded (the hashes kept in `stored`) and never over the limit.
fn texts_recorded(unit: &mut Unit, stored: &Arc<Mutex<Vec<SmsCodeHash>>>) {
    let stored = stored.clone();
    unit.second_factors
        .expect_record_sms_code()
        .withf(|account, code, _, now| {
            *account == ID
                && *now == NOW
                && code.sent_at == NOW
                && code.expires_at == NOW + Duration::minutes(10)
        })
        .returning(move |_, code, _, _| {
            stored.lock().unwrap().push(code.hash);
            Ok(SmsSendDecision::Recorded)
        });
}

fn no_texts_recorded(unit: &mut Unit) {
    unit.second_factors.expect_record_sms_code().never();
}

/// The texted codes among `messages`, with the number each went to.
fn texts(messages: &[OutboxMessage]) -> Vec<(String, String)> {
    messages
        .iter()
        .filter_map(|m| match (&m.recipient, &m.content) {
            (Recipient::Sms(phone), MessageContent::SignInCode { code }) => {
                Some((phone.e164().to_owned(), code.expose().to_owned()))
            }
            _ => None,
        })
        .collect()
}

/// Asserts that exactly one text went, to +447911123456, and that its code is the one stored.
fn assert_one_text_to_the_mobile(journal: &Journal, stored: &Arc<Mutex<Vec<SmsCodeHash>>>) {
    let sent = texts(&journal.messages());
    assert_eq!(sent.len(), 1, "exactly one text is queued");
    assert_eq!(journal.messages().len(), 1, "and nothing else");
    let (to, code) = &sent[0];
    assert_eq!(to, "+447911123456");
    let typed = ehc_core::second_factor::OtpCode::parse(code).unwrap();
    let mobile = ehc_core::second_factor::PhoneNumber::parse("+447911123456", false).unwrap();
    assert_eq!(
        *stored.lock().unwrap(),
        [SmsCodeHash::of_typed(ID, &mobile, &typed)],
        "the code texted is the code stored"
    );
}

// ---- second-factor codes --------------------------------------------------------------------

#[test]
fn a_wrong_app_code_counts_one_code_failure_writes_one_audit_entry_and_commits() {
    let secret = app_secret();
    let step = u64::try_from(NOW.unix_timestamp()).unwrap() / 30;
    let near: Vec<String> = (step - 1..=step + 1)
        .map(|s| secret.code_at(s * 30))
        .collect();
    let wrong = ["000000", "111111", "222222"]
        .into_iter()
        .find(|c| !near.iter().any(|n| n == c))
        .unwrap();
    let failures = Arc::new(AtomicUsize::new(0));
    let store = TestStore::new(|unit| {
        let secret = app_secret();
        unit.lockouts
            .expect_get()
            .with(eq(ID), eq(LockoutKind::Code))
            .returning(|_, _| Ok(Lockout::default()));
        unit.second_factors
            .expect_enrolment()
            .with(eq(ID))
            .returning(move |_| {
                Ok(Some(Enrolment::App {
                    secret: secret.clone(),
                }))
            });
        unit.second_factors.expect_accept_totp_step().never();
        unit.lockouts.expect_clear().never();
        let failures = failures.clone();
        unit.lockouts
            .expect_record_failure()
            .withf(|account, kind, now, policy| {
                *account == ID
                    && *kind == LockoutKind::Code
                    && *now == NOW
                    && *policy == SecuritySettings::default().code_lockout
            })
            .returning(move |_, _, now, policy| {
                failures.fetch_add(1, Ordering::SeqCst);
                Ok(Lockout::default().after_failure(now, policy))
            });
    });
    let journal = store.journal.clone();
    let service = sign_in(store, untouchable_hasher());
    let state = SignInState::AppChallenge {
        account: ID,
        password_at: NOW - Duration::minutes(1),
    };

    let result =
        pollster::block_on(service.handle(&state, SignInInput::Code(wrong.into()), NOW, None));

    assert_eq!(result, Err(SignInError::WrongCode));
    assert_eq!(
        failures.load(Ordering::SeqCst),
        1,
        "one code failure is counted"
    );
    assert_eq!(journal.audit_kinds(), [AuditKind::CodeRejected]);
    assert_eq!(journal.audit()[0].actor, Some(ID));
    assert_eq!(journal.commits(), 1);
    assert!(journal.messages().is_empty());
}

#[test]
fn a_wrong_text_code_consumes_nothing_and_counts_one_code_failure() {
    let failures = Arc::new(AtomicUsize::new(0));
    let store = TestStore::new(|unit| {
        unit.lockouts
            .expect_get()
            .with(eq(ID), eq(LockoutKind::Code))
            .returning(|_, _| Ok(Lockout::default()));
        unit.second_factors
            .expect_enrolment()
            .with(eq(ID))
            .returning(|_| Ok(Some(Enrolment::Text { phone: mobile() })));
        unit.second_factors
            .expect_consume_sms_code()
            .withf(|account, _, now| *account == ID && *now == NOW)
            .returning(|_, _, _| Ok(false));
        let failures = failures.clone();
        unit.lockouts
            .expect_record_failure()
            .with(
                eq(ID),
                eq(LockoutKind::Code),
                eq(NOW),
                mockall::predicate::always(),
            )
            .returning(move |_, _, now, policy| {
                failures.fetch_add(1, Ordering::SeqCst);
                Ok(Lockout::default().after_failure(now, policy))
            });
    });
    let journal = store.journal.clone();
    let service = sign_in(store, untouchable_hasher());
    let state = SignInState::TextChallenge {
        account: ID,
        password_at: NOW - Duration::minutes(1),
        phone: mobile(),
    };

    let result =
        pollster::block_on(service.handle(&state, SignInInput::Code("123 456".into()), NOW, None));

    assert_eq!(result, Err(SignInError::WrongCode));
    assert_eq!(failures.load(Ordering::SeqCst), 1);
    assert_eq!(journal.audit_kinds(), [AuditKind::CodeRejected]);
    assert_eq!(journal.commits(), 1);
}

/// A store whose code counter is locked until `until`; consuming a text code and accepting a
/// TOTP step are forbidden.
fn locked_code_step(until: OffsetDateTime) -> TestStore {
    TestStore::new(move |unit| {
        let secret = app_secret();
        let locked = Lockout {
            failures: 0,
            locked_until: Some(until),
        };
        unit.lockouts
            .expect_get()
            .with(eq(ID), eq(LockoutKind::Code))
            .returning(move |_, _| Ok(locked));
        // Counting one more failure while locked is allowed (it changes nothing).
        unit.lockouts
            .expect_record_failure()
            .returning(move |_, _, _, _| Ok(locked));
        unit.lockouts.expect_clear().never();
        unit.second_factors.expect_enrolment().returning(move |_| {
            Ok(Some(Enrolment::App {
                secret: secret.clone(),
            }))
        });
        unit.second_factors.expect_consume_sms_code().never();
        unit.second_factors.expect_accept_totp_step().never();
        unit.second_factors.expect_enrol().never();
    })
}

#[test]
fn while_the_code_step_is_locked_the_right_app_code_is_refused_and_its_step_is_not_used_up() {
    let until = NOW + Duration::minutes(12);
    let store = locked_code_step(until);
    let journal = store.journal.clone();
    let service = sign_in(store, untouchable_hasher());
    let state = SignInState::AppChallenge {
        account: ID,
        password_at: NOW - Duration::minutes(1),
    };
    let right = app_secret().code_at(u64::try_from(NOW.unix_timestamp()).unwrap());

    let result = pollster::block_on(service.handle(&state, SignInInput::Code(right), NOW, None));

    assert_eq!(result, Err(SignInError::CodeLocked { until }));
    assert_eq!(journal.audit_kinds(), [AuditKind::CodeLocked]);
    assert_eq!(journal.commits(), 1, "the refusal is audited");
}

#[test]
fn while_the_code_step_is_locked_a_texted_code_is_refused_without_being_consumed() {
    let until = NOW + Duration::minutes(3);
    let store = locked_code_step(until);
    let journal = store.journal.clone();
    let service = sign_in(store, untouchable_hasher());
    let state = SignInState::TextChallenge {
        account: ID,
        password_at: NOW - Duration::minutes(1),
        phone: mobile(),
    };

    let result =
        pollster::block_on(service.handle(&state, SignInInput::Code("482913".into()), NOW, None));

    assert_eq!(result, Err(SignInError::CodeLocked { until }));
    assert_eq!(journal.audit_kinds(), [AuditKind::CodeLocked]);
    assert!(!journal.audit_kinds().contains(&AuditKind::SignedIn));
}

// ---- when texts are sent --------------------------------------------------------------------

#[test]
fn send_code_queues_one_text_with_the_stored_code_to_the_number_typed() {
    let stored = Arc::new(Mutex::new(Vec::new()));
    let store = TestStore::new(|unit| texts_recorded(unit, &stored));
    let journal = store.journal.clone();
    let service = sign_in(store, untouchable_hasher());
    let state = SignInState::TextSetUp {
        account: ID,
        email: email(),
        password_at: NOW - Duration::minutes(2),
    };

    let transition = pollster::block_on(service.handle(
        &state,
        SignInInput::MobileNumber("+44 (0)7911 123456".into()),
        NOW,
        None,
    ))
    .unwrap();

    assert_eq!(
        transition.notice,
        Some(Notice::CodeSent {
            message: journal.messages()[0].id
        }),
        "the notice names the queued text"
    );
    assert_eq!(transition.state.name(), "text-set-up-code-sent");
    assert_one_text_to_the_mobile(&journal, &stored);
    assert_eq!(journal.audit_kinds(), [AuditKind::CodeSent]);
}

#[test]
fn resend_queues_one_more_text_to_the_enrolled_number() {
    let stored = Arc::new(Mutex::new(Vec::new()));
    let store = TestStore::new(|unit| texts_recorded(unit, &stored));
    let journal = store.journal.clone();
    let service = sign_in(store, untouchable_hasher());
    let state = SignInState::TextChallenge {
        account: ID,
        password_at: NOW - Duration::minutes(2),
        phone: mobile(),
    };

    let transition =
        pollster::block_on(service.handle(&state, SignInInput::Resend, NOW, None)).unwrap();

    assert_eq!(
        transition.notice,
        Some(Notice::CodeSent {
            message: journal.messages()[0].id
        }),
        "the notice names the queued text"
    );
    assert_eq!(transition.state, state);
    assert_one_text_to_the_mobile(&journal, &stored);
}

#[test]
fn the_right_password_of_a_text_enrolled_person_queues_one_text() {
    let stored = Arc::new(Mutex::new(Vec::new()));
    let store = TestStore::new(|unit| {
        known_person(unit, Some(Enrolment::Text { phone: mobile() }));
        texts_recorded(unit, &stored);
    });
    let journal = store.journal.clone();
    let service = sign_in(store, hasher_accepting("Harbour!Lights9"));

    let transition = pollster::block_on(service.handle(
        &SignInState::Anonymous,
        password_input("Harbour!Lights9"),
        NOW,
        None,
    ))
    .unwrap();

    assert_eq!(transition.state.name(), "text-challenge");
    assert_eq!(
        transition.notice,
        Some(Notice::CodeSent {
            message: journal.messages()[0].id
        }),
        "the notice names the queued text"
    );
    assert_one_text_to_the_mobile(&journal, &stored);
    assert_eq!(
        journal.audit_kinds(),
        [AuditKind::PasswordAccepted, AuditKind::CodeSent]
    );
}

#[test]
fn a_wrong_password_of_a_text_enrolled_person_queues_no_text_and_counts_one_password_failure() {
    let failures = Arc::new(AtomicUsize::new(0));
    let store = TestStore::new(|unit| {
        known_person(unit, Some(Enrolment::Text { phone: mobile() }));
        no_texts_recorded(unit);
        let failures = failures.clone();
        unit.lockouts
            .expect_record_failure()
            .with(
                eq(ID),
                eq(LockoutKind::Password),
                eq(NOW),
                mockall::predicate::always(),
            )
            .returning(move |_, _, now, policy| {
                failures.fetch_add(1, Ordering::SeqCst);
                Ok(Lockout::default().after_failure(now, policy))
            });
    });
    let journal = store.journal.clone();
    let service = sign_in(store, hasher_accepting("Harbour!Lights9"));

    let result = pollster::block_on(service.handle(
        &SignInState::Anonymous,
        password_input("Harbour!Lights8"),
        NOW,
        None,
    ));

    assert_eq!(result, Err(SignInError::WrongCredentials));
    assert!(
        journal.messages().is_empty(),
        "no text for a wrong password"
    );
    assert_eq!(failures.load(Ordering::SeqCst), 1);
    assert_eq!(journal.audit_kinds(), [AuditKind::PasswordRejected]);
}

#[test]
fn choosing_a_method_queues_no_text_not_even_for_text_message() {
    for (method, next) in [(Method::Text, "text-set-up"), (Method::App, "app-set-up")] {
        let store = TestStore::new(no_texts_recorded);
        let journal = store.journal.clone();
        let service = sign_in(store, untouchable_hasher());
        let state = SignInState::ChoosingMethod {
            account: ID,
            email: email(),
            password_at: NOW - Duration::minutes(1),
        };

        let transition = pollster::block_on(service.handle(
            &state,
            SignInInput::ChooseMethod(method),
            NOW,
            None,
        ))
        .unwrap();

        assert_eq!(transition.state.name(), next);
        assert_eq!(transition.notice, None);
        assert!(journal.messages().is_empty(), "{method:?} queued a message");
    }
}

#[test]
fn the_right_password_of_an_app_enrolled_person_queues_no_text() {
    let store = TestStore::new(|unit| {
        known_person(
            unit,
            Some(Enrolment::App {
                secret: app_secret(),
            }),
        );
        no_texts_recorded(unit);
    });
    let journal = store.journal.clone();
    let service = sign_in(store, hasher_accepting("Harbour!Lights9"));

    let transition = pollster::block_on(service.handle(
        &SignInState::Anonymous,
        password_input("Harbour!Lights9"),
        NOW,
        None,
    ))
    .unwrap();

    assert_eq!(transition.state.name(), "app-challenge");
    assert_eq!(transition.notice, None);
    assert!(journal.messages().is_empty());
    assert_eq!(journal.audit_kinds(), [AuditKind::PasswordAccepted]);
}

// ---- the password step ----------------------------------------------------------------------

/// A store that knows no account, and on which no lockout may be written.
fn no_such_person(unit: &mut Unit) {
    unit.accounts.expect_find_by_email().returning(|_| Ok(None));
    unit.lockouts.expect_get().never();
    unit.lockouts.expect_record_failure().never();
    unit.lockouts.expect_clear().never();
}

/// A hasher whose only permitted call is one `verify_nothing`.
fn hasher_expecting_one_dummy_hash() -> MockPasswordHasher {
    let mut hasher = MockPasswordHasher::new();
    hasher
        .expect_verify_nothing()
        .times(1)
        .returning(|_| Ok(()));
    hasher.expect_verify().never();
    hasher.expect_hash().never();
    hasher.expect_needs_rehash().never();
    hasher
}

#[test]
fn an_unknown_address_still_costs_one_hash_and_writes_no_lockout() {
    let store = TestStore::new(no_such_person);
    let journal = store.journal.clone();
    let service = sign_in(store, hasher_expecting_one_dummy_hash());

    let result = pollster::block_on(service.handle(
        &SignInState::Anonymous,
        SignInInput::Password {
            email: "nobody@example.gov.uk".into(),
            password: "Harbour!Lights9".into(),
        },
        NOW,
        None,
    ));

    assert_eq!(result, Err(SignInError::WrongCredentials));
    let audit = journal.audit();
    assert_eq!(journal.audit_kinds(), [AuditKind::PasswordRejected]);
    assert_eq!(audit[0].actor, None);
}

#[test]
fn text_that_is_not_an_email_address_still_costs_one_hash() {
    let store = TestStore::new(no_such_person);
    let journal = store.journal.clone();
    let service = sign_in(store, hasher_expecting_one_dummy_hash());

    let result = pollster::block_on(service.handle(
        &SignInState::Anonymous,
        SignInInput::Password {
            email: "jo.bloggs".into(),
            password: "Harbour!Lights9".into(),
        },
        NOW,
        None,
    ));

    assert_eq!(result, Err(SignInError::WrongCredentials));
    assert_eq!(journal.audit_kinds(), [AuditKind::PasswordRejected]);
}

#[test]
fn a_password_over_256_characters_is_refused_at_sign_in_without_any_hasher_call() {
    let store = TestStore::new(no_such_person);
    let service = sign_in(store, untouchable_hasher());
    let long = format!("Harbour!{}", "x".repeat(249));
    assert_eq!(long.chars().count(), 257);

    let result = pollster::block_on(service.handle(
        &SignInState::Anonymous,
        password_input(&long),
        NOW,
        None,
    ));

    assert_eq!(result, Err(SignInError::PasswordTooLong { max: 256 }));
}

#[test]
fn a_password_of_exactly_256_characters_reaches_the_hasher() {
    let store = TestStore::new(no_such_person);
    let service = sign_in(store, hasher_expecting_one_dummy_hash());
    let longest = format!("Harbour!{}", "x".repeat(248));
    assert_eq!(longest.chars().count(), 256);

    let result = pollster::block_on(service.handle(
        &SignInState::Anonymous,
        SignInInput::Password {
            email: "nobody@example.gov.uk".into(),
            password: longest,
        },
        NOW,
        None,
    ));

    assert_eq!(result, Err(SignInError::WrongCredentials));
}

// ---- registration ---------------------------------------------------------------------------

fn invitation(token: &InvitationToken) -> Invitation {
    Invitation {
        id: InvitationId(Uuid::from_u128(0x1a)),
        email: email(),
        roles: vec![Role::LaOfficer],
        invited_by: Grantor::System,
        token_hash: token.hash(),
        created_at: NOW - Duration::days(1),
        expires_at: NOW + Duration::days(6),
        status: InvitationStatus::Pending,
    }
}

/// A store holding a pending invitation for `token`, on which nothing may be consumed, created
/// or granted.
fn pending_invitation_store(token: &InvitationToken) -> TestStore {
    let invitation = invitation(token);
    TestStore::new(move |unit| {
        let invitation = invitation.clone();
        unit.invitations
            .expect_find_by_token()
            .returning(move |_| Ok(Some(invitation.clone())));
        unit.invitations.expect_consume().never();
        unit.accounts.expect_insert().never();
        unit.grants.expect_insert().never();
    })
}

fn registration(
    store: TestStore,
    hasher: MockPasswordHasher,
) -> RegistrationService<TestStore, MockPasswordHasher, SeededSecretSource> {
    RegistrationService::new(
        store,
        hasher,
        SeededSecretSource::new(12),
        SecuritySettings::default(),
    )
}

fn broken_rules(result: Result<AccountId, RegistrationError>) -> Vec<&'static str> {
    match result {
        Err(RegistrationError::Password(v)) => v.rules().iter().map(|r| r.code()).collect(),
        other => panic!("expected a password refusal, got {other:?}"),
    }
}

#[test]
fn a_password_that_breaks_the_rules_never_consumes_the_invitation_nor_creates_an_account() {
    let token = InvitationToken::generate(&SeededSecretSource::new(3)).unwrap();
    let store = pending_invitation_store(&token);
    let journal = store.journal.clone();
    let service = registration(store, untouchable_hasher());

    let result = pollster::block_on(service.register(
        &token.to_link_param(),
        "harbour!lights9",
        "harbour!lights9",
        NOW,
        None,
    ));

    assert_eq!(broken_rules(result), ["no_capital"]);
    assert!(journal.messages().is_empty());
    assert!(!journal.audit_kinds().contains(&AuditKind::Registered));
}

#[test]
fn a_password_over_256_characters_is_refused_at_registration_without_any_hasher_call() {
    let token = InvitationToken::generate(&SeededSecretSource::new(4)).unwrap();
    let store = pending_invitation_store(&token);
    let service = registration(store, untouchable_hasher());
    let long = format!("Harbour!{}", "x".repeat(249));

    let result =
        pollster::block_on(service.register(&token.to_link_param(), &long, &long, NOW, None));

    assert_eq!(broken_rules(result), ["too_long"]);
}

// ---- invitations ----------------------------------------------------------------------------

#[test]
fn inviting_an_existing_account_grants_the_roles_and_queues_an_access_granted_alert_not_an_invitation()
 {
    let sendco = Role::Sendco {
        setting: Urn::parse("100001").unwrap(),
    };
    let granted = Arc::new(Mutex::new(Vec::<RoleGrant>::new()));
    let store = TestStore::new(|unit| {
        unit.accounts
            .expect_find_by_email()
            .withf(|e| *e == email())
            .returning(|_| Ok(Some(account())));
        unit.grants
            .expect_for_account()
            .with(eq(ID))
            .returning(|_| Ok(Vec::new()));
        let granted = granted.clone();
        unit.grants.expect_insert().returning(move |g| {
            granted.lock().unwrap().push(g.clone());
            Ok(())
        });
        unit.invitations.expect_insert_superseding().never();
        unit.accounts.expect_insert().never();
    });
    let journal = store.journal.clone();
    let service = InvitationService::new(
        store,
        SeededSecretSource::new(13),
        SecuritySettings::default(),
    );

    let outcome = pollster::block_on(service.invite(
        Grantor::System,
        "Jo.Bloggs@Example.GOV.UK",
        vec![sendco.clone()],
        NOW,
        None,
    ))
    .unwrap();

    assert_eq!(
        outcome,
        InviteOutcome::GrantedToExistingAccount { account: ID }
    );
    let granted = granted.lock().unwrap().clone();
    assert_eq!(granted.len(), 1);
    assert_eq!((granted[0].account, &granted[0].role), (ID, &sendco));
    assert_eq!(granted[0].granted_at, NOW);
    let messages = journal.messages();
    assert_eq!(messages.len(), 1, "one alert and no invitation");
    assert_eq!(messages[0].recipient, Recipient::Email(email()));
    assert_eq!(
        messages[0].content,
        MessageContent::AccessGranted {
            roles: vec![sendco]
        }
    );
    assert_eq!(journal.audit_kinds(), [AuditKind::RoleGranted]);
    assert_eq!(journal.audit()[0].subject, Some(ID));
    assert_eq!(journal.commits(), 1);
}

// ---------------------------------------------------------------------------------------------
// The GIAS import: one unit of work, committed only when every row was written.

const GIAS_HEADER: &str = "URN,LA (code),EstablishmentName,TypeOfEstablishment (name),\
                           EstablishmentStatus (name),PhaseOfEducation (name)\n";

fn gias_file(rows: &[&str]) -> String {
    let mut file = GIAS_HEADER.to_owned();
    for row in rows {
        file.push_str(row);
        file.push('\n');
    }
    file
}

#[test]
fn a_store_fault_half_way_through_an_import_commits_nothing() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let store = Arc::new(TestStore::new(move |unit| {
        let counter = counter.clone();
        unit.settings.expect_upsert().returning(move |_| {
            if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                Ok(UpsertOutcome::Inserted)
            } else {
                Err(StoreError::Unavailable {
                    reason: "the connection was cut".into(),
                })
            }
        });
    }));
    let file = gias_file(&[
        "100001,999,Elm School,Community school,Open,Primary",
        "100002,999,Oak School,Community school,Open,Primary",
        "100003,999,Ash School,Community school,Open,Primary",
    ]);

    let result =
        pollster::block_on(SettingImport::new(store.clone()).import(file.as_bytes(), &mut |_| {}));

    assert_eq!(
        result,
        Err(ImportError::Store(StoreError::Unavailable {
            reason: "the connection was cut".into()
        }))
    );
    assert_eq!(
        calls.load(Ordering::SeqCst),
        2,
        "the import stopped at the fault"
    );
    assert_eq!(store.journal.commits(), 0);
}

#[test]
fn after_a_bad_row_an_import_writes_nothing_more_and_commits_nothing() {
    let written = Arc::new(Mutex::new(Vec::new()));
    let log = written.clone();
    let store = Arc::new(TestStore::new(move |unit| {
        let log = log.clone();
        unit.settings.expect_upsert().returning(move |s| {
            log.lock().unwrap().push(s.urn.get());
            Ok(UpsertOutcome::Inserted)
        });
    }));
    let file = gias_file(&[
        "100001,999,Elm School,Community school,Open,Primary",
        "1,999,Oak School,Community school,Open,Primary",
        "100003,999,Ash School,Community school,Open,Primary",
        "100004,999,,Community school,Open,Primary",
    ]);

    let result =
        pollster::block_on(SettingImport::new(store.clone()).import(file.as_bytes(), &mut |_| {}));

    let Err(ImportError::Rows(rows)) = result else {
        panic!("{result:?}")
    };
    let lines: Vec<u64> = rows.listed.iter().map(|e| e.line).collect();
    assert_eq!(lines, [3, 5]);
    assert_eq!(*written.lock().unwrap(), [100_001], "nothing after line 3");
    assert_eq!(store.journal.commits(), 0);
}

#[test]
fn an_import_with_a_bad_header_opens_no_unit_of_work() {
    let store = Arc::new(TestStore::new(|_| {}));

    let result = pollster::block_on(
        SettingImport::new(store.clone()).import(&b"URN,Name\n100001,Elm\n"[..], &mut |_| {}),
    );

    assert!(matches!(result, Err(ImportError::Header(_))), "{result:?}");
    assert_eq!(store.units.lock().unwrap().len(), UNITS);
}
