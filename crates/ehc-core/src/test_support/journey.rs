//! A reference model of the sign-in journey, for model-based property tests.
//!
//! [`Journey`] drives the real [`SignInService`] with random [`JourneyEvent`]s from several
//! browser sessions of one person at once (right and wrong passwords, right, wrong, replayed and
//! expired codes, *start again*, *Resend*, clock jumps), and checks each outcome against a small
//! model written from docs/SECURITY.md alone:
//!
//! - nobody is signed in without the password and a fresh valid code in the same attempt;
//! - no TOTP step and no texted code is accepted twice;
//! - locks hold for their whole duration, even against the right password or code;
//! - texts go out only when asked for, and never beyond the send limit;
//! - a recovery code works once, only at a code challenge, counts toward the code lock, and a
//!   new set of codes comes exactly when none is left (the first sign-in included).
//!
//! Every event's outcome (the new state's name or the error's kind) is predicted by the model
//! and compared; any difference fails with the event's position. An LA service embedding the
//! core can run the same model against its own store by implementing [`TextInbox`].

use async_trait::async_trait;
use proptest::prelude::*;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

use super::{FastHasher, InMemoryStore, SeededSecretSource, texted_codes};
use crate::invitation::{InvitationService, InviteOutcome};
use crate::lockout::{Lockout, LockoutPolicy};
use crate::ports::Store;
use crate::registration::RegistrationService;
use crate::role::{Grantor, Role};
use crate::second_factor::{Method, OtpCode, TotpSecret};
use crate::settings::SecuritySettings;
use crate::sign_in::{Notice, SignInError, SignInInput, SignInService, SignInState};

/// The person's e-mail address in the model.
pub const EMAIL: &str = "jo.bloggs@example.gov.uk";
/// The person's password in the model.
pub const PASSWORD: &str = "Harbour!Lights9";
/// The person's mobile number (an Ofcom drama number: the model allows them).
pub const MOBILE: &str = "07700 900982";
/// Browser sessions acting at once.
pub const SESSIONS: usize = 2;

/// Where the texts a store has queued can be read (the person's phone).
#[async_trait]
pub trait TextInbox: Send + Sync {
    /// Every texted code so far, oldest first.
    async fn texted_codes(&self) -> Vec<String>;
}

#[async_trait]
impl TextInbox for InMemoryStore {
    async fn texted_codes(&self) -> Vec<String> {
        texted_codes(&self.outbox_messages().await)
    }
}

/// One thing a person (in browser session `session`) or time does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JourneyEvent {
    /// The right address (in another case) and password.
    RightPassword(usize),
    /// The right address, a wrong password.
    WrongPassword(usize),
    /// An address with no account.
    UnknownAddress(usize),
    /// *Smartphone or tablet app*.
    ChooseApp(usize),
    /// *Text message*.
    ChooseText(usize),
    /// *Send code* with the person's mobile number.
    EnterMobile(usize),
    /// The code the app shows now, or the newest texted code.
    RightCode(usize),
    /// Some 6-digit code (usually wrong; the model decides).
    SomeCode(usize, u32),
    /// The last code that was accepted anywhere, again.
    ReplayedCode(usize),
    /// The app's code from 3 steps ago, or the oldest texted code.
    OldCode(usize),
    /// *Resend log in code*.
    Resend(usize),
    /// *Use a recovery code instead*: an unused one the person saved (the oldest when
    /// `false`), or one already used (`true`; a wrong one when none was used yet).
    RecoveryCode(usize, bool),
    /// *start again*.
    StartAgain(usize),
    /// *Sign out*.
    SignOut(usize),
    /// Time passes, in seconds.
    Wait(u32),
}

/// Random event sequences of `1..=max_len` events over [`SESSIONS`] sessions.
pub fn events(max_len: usize) -> impl Strategy<Value = Vec<JourneyEvent>> {
    let s = 0..SESSIONS;
    let event = prop_oneof![
        4 => s.clone().prop_map(JourneyEvent::RightPassword),
        3 => s.clone().prop_map(JourneyEvent::WrongPassword),
        1 => s.clone().prop_map(JourneyEvent::UnknownAddress),
        2 => s.clone().prop_map(JourneyEvent::ChooseApp),
        2 => s.clone().prop_map(JourneyEvent::ChooseText),
        2 => s.clone().prop_map(JourneyEvent::EnterMobile),
        5 => s.clone().prop_map(JourneyEvent::RightCode),
        3 => (s.clone(), 0u32..1_000_000).prop_map(|(s, c)| JourneyEvent::SomeCode(s, c)),
        2 => s.clone().prop_map(JourneyEvent::ReplayedCode),
        1 => s.clone().prop_map(JourneyEvent::OldCode),
        2 => s.clone().prop_map(JourneyEvent::Resend),
        3 => (s.clone(), any::<bool>()).prop_map(|(s, used)| JourneyEvent::RecoveryCode(s, used)),
        1 => s.clone().prop_map(JourneyEvent::StartAgain),
        1 => s.prop_map(JourneyEvent::SignOut),
        2 => prop_oneof![0u32..60, 60u32..700, Just(601), Just(899), Just(901), Just(3601)]
            .prop_map(JourneyEvent::Wait),
    ];
    prop::collection::vec(event, 1..=max_len)
}

/// What the model expects of one event.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expect {
    /// Accepted; the new state has this name.
    State(&'static str),
    /// Refused with an error of this kind.
    Error(&'static str),
}

fn error_kind(e: &SignInError) -> &'static str {
    match e {
        SignInError::WrongCredentials => "wrong-credentials",
        SignInError::PasswordTooLong { .. } => "password-too-long",
        SignInError::PasswordLocked { .. } => "password-locked",
        SignInError::InvalidCode(_) => "invalid-code",
        SignInError::InvalidRecoveryCode(_) => "invalid-recovery-code",
        SignInError::WrongCode => "wrong-code",
        SignInError::CodeLocked { .. } => "code-locked",
        SignInError::InvalidPhone(_) => "invalid-phone",
        SignInError::SendLimitReached { .. } => "send-limit",
        SignInError::AlreadyEnrolled => "already-enrolled",
        SignInError::Expired => "expired",
        SignInError::NotAllowed { .. } => "not-allowed",
        SignInError::Hash(_) => "hash",
        SignInError::Randomness(_) => "randomness",
        SignInError::Store(_) => "store",
    }
}

/// The model's view of the person's second factor.
#[derive(Debug, Clone)]
enum Enrolled {
    None,
    App(TotpSecret),
    Text,
}

/// A texted code as the model tracks it.
#[derive(Debug, Clone)]
struct Text {
    code: String,
    sent_at: OffsetDateTime,
    used: bool,
}

/// Drives a [`SignInService`] and checks it against the model.
pub struct Journey<S: Store + TextInbox + Clone> {
    store: S,
    service: SignInService<S, Arc<FastHasher>, Arc<SeededSecretSource>>,
    settings: SecuritySettings,
    now: OffsetDateTime,
    sessions: Vec<SignInState>,
    // the model
    enrolled: Enrolled,
    last_step: Option<u64>,
    texts: Vec<Text>,
    password_lock: Lockout,
    code_lock: Lockout,
    last_accepted_code: Option<String>,
    accepted_steps: Vec<u64>,
    accepted_texts: Vec<String>,
    /// The recovery codes of the newest set as shown, with whether each was used.
    recovery_codes: Vec<(String, bool)>,
    /// Whether the model expects a new set with the next accepted code.
    codes_due: bool,
}

impl<S: Store + TextInbox + Clone> Journey<S> {
    /// The settings the model checks: the defaults, with an LA name holding a colon and drama
    /// numbers allowed.
    pub fn settings() -> SecuritySettings {
        SecuritySettings {
            la_name: "Borough of Anytown: SEND Service".to_owned(),
            allow_drama_numbers: true,
            ..SecuritySettings::default()
        }
    }

    /// Registers the model's person ([`EMAIL`], [`PASSWORD`]) in `store` at `at`, through the
    /// real invitation and registration services.
    ///
    /// # Errors
    /// A description of the step that failed.
    pub async fn register_person(store: &S, at: OffsetDateTime) -> Result<(), String> {
        let settings = Self::settings();
        let secrets = Arc::new(SeededSecretSource::new(0));
        let hasher = Arc::new(FastHasher::new());
        let invitations = InvitationService::new(store.clone(), secrets.clone(), settings.clone());
        let outcome = invitations
            .invite(Grantor::System, EMAIL, vec![Role::LaOfficer], at, None)
            .await
            .map_err(|e| format!("invite: {e}"))?;
        let InviteOutcome::Invited { token, .. } = outcome else {
            return Err("the address already had an account".to_owned());
        };
        RegistrationService::new(store.clone(), hasher, secrets, settings)
            .register(&token.to_link_param(), PASSWORD, PASSWORD, at, None)
            .await
            .map_err(|e| format!("register: {e}"))?;
        Ok(())
    }

    /// A journey over `store`, where the person was registered by [`Journey::register_person`]
    /// and nothing else has happened; the clock starts at `start`, secrets come from `seed`.
    pub fn new(store: S, start: OffsetDateTime, seed: u64) -> Self {
        let settings = Self::settings();
        let secrets = Arc::new(SeededSecretSource::new(seed));
        let service = SignInService::new(
            store.clone(),
            Arc::new(FastHasher::new()),
            secrets,
            settings.clone(),
        );
        Self {
            store,
            service,
            settings,
            now: start,
            sessions: vec![SignInState::Anonymous; SESSIONS],
            enrolled: Enrolled::None,
            last_step: None,
            texts: Vec::new(),
            password_lock: Lockout::default(),
            code_lock: Lockout::default(),
            last_accepted_code: None,
            accepted_steps: Vec::new(),
            accepted_texts: Vec::new(),
            recovery_codes: Vec::new(),
            codes_due: true,
        }
    }

    /// Applies every event in order, checking each against the model.
    ///
    /// # Errors
    /// The first difference between the service and the model, with the event's position.
    pub async fn run(&mut self, events: &[JourneyEvent]) -> Result<(), String> {
        for (i, event) in events.iter().enumerate() {
            self.step(*event)
                .await
                .map_err(|e| format!("event {i} ({event:?}): {e}\nall events: {events:?}"))?;
        }
        Ok(())
    }

    fn unix(&self, t: OffsetDateTime) -> u64 {
        u64::try_from(t.unix_timestamp()).unwrap_or(0)
    }

    fn lock_policy(&self, password: bool) -> LockoutPolicy {
        if password {
            self.settings.password_lockout
        } else {
            self.settings.code_lockout
        }
    }

    /// The code an event types, from what the person's app or phone shows.
    fn code_for(&self, event: JourneyEvent, state: &SignInState) -> String {
        let app_secret = match (state, &self.enrolled) {
            (SignInState::AppSetUp { secret, .. }, _) => Some(secret.clone()),
            (_, Enrolled::App(secret)) => Some(secret.clone()),
            _ => None,
        };
        let texting = matches!(
            state,
            SignInState::TextSetUpCodeSent { .. } | SignInState::TextChallenge { .. }
        );
        match event {
            JourneyEvent::RightCode(_) => match (&app_secret, texting) {
                (_, true) => self.texts.last().map(|t| t.code.clone()),
                (Some(secret), false) => Some(secret.code_at(self.unix(self.now))),
                (None, false) => None,
            }
            .unwrap_or_else(|| "000000".to_owned()),
            JourneyEvent::OldCode(_) => match (&app_secret, texting) {
                (_, true) => self.texts.first().map(|t| t.code.clone()),
                (Some(secret), false) => {
                    Some(secret.code_at(self.unix(self.now).saturating_sub(90)))
                }
                (None, false) => None,
            }
            .unwrap_or_else(|| "000000".to_owned()),
            JourneyEvent::ReplayedCode(_) => self
                .last_accepted_code
                .clone()
                .unwrap_or_else(|| "123456".to_owned()),
            JourneyEvent::SomeCode(_, n) => format!("{n:06}"),
            _ => String::new(),
        }
    }

    /// Whether one more text may go now, by the model's own count.
    fn may_text(&self) -> bool {
        let window = self.settings.sms_send_limit.window;
        let recent = self
            .texts
            .iter()
            .filter(|t| t.sent_at > self.now - window)
            .count();
        recent < self.settings.sms_send_limit.max_sends as usize
    }

    async fn step(&mut self, event: JourneyEvent) -> Result<(), String> {
        let (session, input) = match event {
            JourneyEvent::Wait(secs) => {
                self.now += Duration::seconds(i64::from(secs));
                return Ok(());
            }
            JourneyEvent::RightPassword(s) => (
                s,
                SignInInput::Password {
                    email: "JO.Bloggs@Example.GOV.UK ".to_owned(),
                    password: PASSWORD.to_owned(),
                },
            ),
            JourneyEvent::WrongPassword(s) => (
                s,
                SignInInput::Password {
                    email: EMAIL.to_owned(),
                    password: "Harbour!Lights8".to_owned(),
                },
            ),
            JourneyEvent::UnknownAddress(s) => (
                s,
                SignInInput::Password {
                    email: "nobody@example.gov.uk".to_owned(),
                    password: PASSWORD.to_owned(),
                },
            ),
            JourneyEvent::ChooseApp(s) => (s, SignInInput::ChooseMethod(Method::App)),
            JourneyEvent::ChooseText(s) => (s, SignInInput::ChooseMethod(Method::Text)),
            JourneyEvent::EnterMobile(s) => (s, SignInInput::MobileNumber(MOBILE.to_owned())),
            JourneyEvent::RightCode(s)
            | JourneyEvent::SomeCode(s, _)
            | JourneyEvent::ReplayedCode(s)
            | JourneyEvent::OldCode(s) => {
                let state = self.sessions.get(s).cloned().unwrap_or_default();
                (s, SignInInput::Code(self.code_for(event, &state)))
            }
            JourneyEvent::Resend(s) => (s, SignInInput::Resend),
            JourneyEvent::RecoveryCode(s, used) => {
                let code = self
                    .recovery_codes
                    .iter()
                    .find(|(_, u)| *u == used)
                    .map_or_else(
                        || "0000-0000-0000-0000-0000-0000".to_owned(),
                        |(c, _)| c.clone(),
                    );
                (s, SignInInput::RecoveryCode(code))
            }
            JourneyEvent::StartAgain(s) => (s, SignInInput::StartAgain),
            JourneyEvent::SignOut(s) => (s, SignInInput::SignOut),
        };
        let before = self.sessions.get(session).cloned().unwrap_or_default();
        let texts_before = self.store.texted_codes().await.len();
        if texts_before != self.texts.len() {
            return Err(format!(
                "the store has {texts_before} texts, the model {}",
                self.texts.len()
            ));
        }
        let expected = self.predict(&before, &input);
        let result = self
            .service
            .handle(&before, input.clone(), self.now, None)
            .await;
        let actual = match &result {
            Ok(t) => Expect::State(t.state.name()),
            Err(e) => Expect::Error(error_kind(e)),
        };
        if actual != expected {
            return Err(format!(
                "from {} the model expected {expected:?}, the service gave {actual:?} ({result:?})",
                before.name()
            ));
        }
        // Texts: exactly one more when the model sent one, none otherwise.
        let texted = self.store.texted_codes().await;
        let sent_now = texted.len() - texts_before;
        let model_sent = self.texts.len() == texts_before + 1;
        if sent_now != usize::from(model_sent) {
            return Err(format!(
                "texts queued: {sent_now}, the model expected {}",
                usize::from(model_sent)
            ));
        }
        if let (true, Some(code), Some(text)) = (model_sent, texted.last(), self.texts.last_mut()) {
            text.code = code.clone();
        }
        // The invariants, stated on their own.
        if let Ok(t) = &result {
            if let Some(notice) = &t.notice
                && matches!(notice, Notice::CodeSent { .. }) != model_sent
            {
                return Err(format!("notice {notice:?} but texts sent: {sent_now}"));
            }
            if t.state.signed_in_account().is_some() && before.signed_in_account().is_none() {
                if before.password_at().is_none() {
                    return Err("signed in without the password step".to_owned());
                }
                match &input {
                    SignInInput::Code(code) => self.record_acceptance(&before, code)?,
                    SignInInput::RecoveryCode(code) => {
                        let Some(slot) = self.recovery_codes.iter_mut().find(|(c, _)| c == code)
                        else {
                            return Err("signed in with a recovery code never issued".to_owned());
                        };
                        if slot.1 {
                            return Err("a recovery code was accepted twice".to_owned());
                        }
                        slot.1 = true;
                    }
                    _ => return Err("signed in by something other than a code".to_owned()),
                }
            }
            match (&t.notice, self.codes_due) {
                (Some(Notice::RecoveryCodesIssued(codes)), true) => {
                    // The person saves them at once.
                    self.service
                        .keep_recovery_codes(&t.state, codes, self.now, None)
                        .await
                        .map_err(|e| format!("keeping the recovery codes: {e}"))?;
                    self.recovery_codes = codes.iter().map(|c| (c.display(), false)).collect();
                    self.codes_due = false;
                }
                (Some(Notice::RecoveryCodesIssued(_)), false) => {
                    return Err("new recovery codes while unused ones were left".to_owned());
                }
                (_, true)
                    if t.state.signed_in_account().is_some()
                        && before.signed_in_account().is_none() =>
                {
                    return Err("signed in with no recovery code left, yet none issued".to_owned());
                }
                _ => {}
            }
        }
        match result {
            Ok(t) => {
                if let Some(slot) = self.sessions.get_mut(session) {
                    *slot = t.state;
                }
            }
            Err(SignInError::Expired) => {
                if let Some(slot) = self.sessions.get_mut(session) {
                    *slot = SignInState::Anonymous;
                }
            }
            Err(_) => {}
        }
        Ok(())
    }

    /// Notes an accepted code and refuses a second acceptance of a step or a text.
    fn record_acceptance(&mut self, before: &SignInState, code: &str) -> Result<(), String> {
        self.last_accepted_code = Some(code.to_owned());
        match before {
            SignInState::AppSetUp { .. } | SignInState::AppChallenge { .. } => {
                let step = self
                    .last_step
                    .ok_or("app code accepted but no step recorded")?;
                if self.accepted_steps.contains(&step) {
                    return Err(format!("TOTP step {step} accepted twice"));
                }
                self.accepted_steps.push(step);
            }
            _ => {
                if self.accepted_texts.iter().any(|c| c == code) {
                    return Err("a texted code was accepted twice".to_owned());
                }
                self.accepted_texts.push(code.to_owned());
            }
        }
        Ok(())
    }

    /// The model: the outcome of `input` in `state` now, updating the model's own state.
    fn predict(&mut self, state: &SignInState, input: &SignInInput) -> Expect {
        let expired = state.has_expired(self.now, self.settings.half_signed_in_for);
        let state = if expired {
            match input {
                SignInInput::Password { .. } | SignInInput::SignOut => SignInState::Anonymous,
                _ => return Expect::Error("expired"),
            }
        } else {
            state.clone()
        };
        let name = state.name();
        match input {
            SignInInput::SignOut => Expect::State("anonymous"),
            SignInInput::Password { email, password } => {
                if name == "signed-in" {
                    return Expect::Error("not-allowed");
                }
                if email.trim().to_lowercase() != EMAIL {
                    return Expect::Error("wrong-credentials");
                }
                if self.password_lock.locked_at(self.now).is_some() {
                    return Expect::Error("password-locked");
                }
                if password != PASSWORD {
                    self.password_lock = self
                        .password_lock
                        .after_failure(self.now, self.lock_policy(true));
                    return if self.password_lock.locked_at(self.now).is_some() {
                        Expect::Error("password-locked")
                    } else {
                        Expect::Error("wrong-credentials")
                    };
                }
                self.password_lock = Lockout::default();
                match self.enrolled {
                    Enrolled::None => Expect::State("choosing-method"),
                    Enrolled::App(_) => Expect::State("app-challenge"),
                    Enrolled::Text => {
                        self.text_if_allowed();
                        Expect::State("text-challenge")
                    }
                }
            }
            SignInInput::ChooseMethod(Method::App) if name == "choosing-method" => {
                Expect::State("app-set-up")
            }
            SignInInput::ChooseMethod(Method::Text) if name == "choosing-method" => {
                Expect::State("text-set-up")
            }
            SignInInput::StartAgain
                if matches!(name, "app-set-up" | "text-set-up" | "text-set-up-code-sent") =>
            {
                Expect::State("choosing-method")
            }
            SignInInput::MobileNumber(_) if name == "text-set-up" => {
                if self.text_if_allowed() {
                    Expect::State("text-set-up-code-sent")
                } else {
                    Expect::Error("send-limit")
                }
            }
            SignInInput::Resend if matches!(name, "text-set-up-code-sent" | "text-challenge") => {
                if self.text_if_allowed() {
                    Expect::State(name)
                } else {
                    Expect::Error("send-limit")
                }
            }
            SignInInput::Code(code)
                if matches!(
                    name,
                    "app-set-up" | "app-challenge" | "text-set-up-code-sent" | "text-challenge"
                ) =>
            {
                self.predict_code(&state, code)
            }
            SignInInput::RecoveryCode(code)
                if matches!(name, "app-challenge" | "text-challenge") =>
            {
                self.predict_recovery_code(code)
            }
            _ => Expect::Error("not-allowed"),
        }
    }

    /// Records a text in the model if the limit allows; its code is filled in from the inbox.
    fn text_if_allowed(&mut self) -> bool {
        if !self.may_text() {
            return false;
        }
        self.texts.push(Text {
            code: String::new(),
            sent_at: self.now,
            used: false,
        });
        true
    }

    fn predict_code(&mut self, state: &SignInState, code: &str) -> Expect {
        let Ok(typed) = OtpCode::parse(code) else {
            return Expect::Error("invalid-code");
        };
        if self.code_lock.locked_at(self.now).is_some() {
            return Expect::Error("code-locked");
        }
        let valid_for = self.settings.sms_code_valid_for;
        let now = self.now;
        let accepted = match (state, &self.enrolled) {
            (SignInState::AppSetUp { secret, .. }, enrolled) => {
                match secret.matching_step(&typed, now) {
                    Some(_) if !matches!(enrolled, Enrolled::None) => {
                        return Expect::Error("already-enrolled");
                    }
                    Some(step) => {
                        self.enrolled = Enrolled::App(secret.clone());
                        self.last_step = Some(step);
                        true
                    }
                    None => false,
                }
            }
            (SignInState::AppChallenge { .. }, Enrolled::App(secret)) => {
                match secret.matching_step(&typed, now) {
                    Some(step) if self.last_step.is_none_or(|last| step > last) => {
                        self.last_step = Some(step);
                        true
                    }
                    _ => false,
                }
            }
            (
                SignInState::TextSetUpCodeSent { .. } | SignInState::TextChallenge { .. },
                enrolled,
            ) => {
                let set_up = matches!(state, SignInState::TextSetUpCodeSent { .. });
                let usable = self.texts.iter().position(|t| {
                    !t.used && t.code == typed.as_str() && now < t.sent_at + valid_for
                });
                match usable {
                    Some(_) if set_up && !matches!(enrolled, Enrolled::None) => {
                        return Expect::Error("already-enrolled");
                    }
                    Some(i) => {
                        if let Some(t) = self.texts.get_mut(i) {
                            t.used = true;
                        }
                        if set_up {
                            self.enrolled = Enrolled::Text;
                        }
                        true
                    }
                    None => false,
                }
            }
            _ => false,
        };
        if accepted {
            self.code_lock = Lockout::default();
            if matches!(
                state,
                SignInState::AppSetUp { .. } | SignInState::TextSetUpCodeSent { .. }
            ) {
                self.codes_due = true;
            }
            return Expect::State("signed-in");
        }
        self.code_failure()
    }

    /// A recovery code typed at a code challenge: accepted once if it is an unused code of the
    /// newest set; the last one makes a new set due.
    fn predict_recovery_code(&mut self, code: &str) -> Expect {
        let Ok(typed) = crate::second_factor::RecoveryCode::parse(code) else {
            return Expect::Error("invalid-recovery-code");
        };
        if self.code_lock.locked_at(self.now).is_some() {
            return Expect::Error("code-locked");
        }
        let unused = self.recovery_codes.iter().any(|(c, used)| {
            !used && crate::second_factor::RecoveryCode::parse(c) == Ok(typed.clone())
        });
        if unused {
            self.code_lock = Lockout::default();
            let left = self.recovery_codes.iter().filter(|(_, used)| !used).count();
            if left == 1 {
                self.codes_due = true;
            }
            return Expect::State("signed-in");
        }
        self.code_failure()
    }

    /// One more wrong code against the code lock.
    fn code_failure(&mut self) -> Expect {
        let now = self.now;
        self.code_lock = self.code_lock.after_failure(now, self.lock_policy(false));
        if self.code_lock.locked_at(now).is_some() {
            Expect::Error("code-locked")
        } else {
            Expect::Error("wrong-code")
        }
    }
}
