//! [`SignInService`]: the transitions of the sign-in state machine, with the port calls each
//! one needs.

use std::net::IpAddr;
use time::OffsetDateTime;

use super::{Notice, SignInError, SignInInput, SignInState, Transition};
use crate::account::{AccountId, EmailAddress};
use crate::audit::{AuditEvent, AuditKind};
use crate::lockout::LockoutKind;
use crate::outbox::{MessageContent, MessageId, OutboxMessage, Recipient};
use crate::password::{Password, PasswordHasher, PasswordRule};
use crate::ports::{SecretSource, Store, UnitOfWork};
use crate::second_factor::{
    EnrolError, Enrolment, Method, OtpCode, PhoneNumber, SmsCode, SmsCodeHash, SmsSendDecision,
    StoredSmsCode, TotpSecret,
};
use crate::settings::SecuritySettings;

/// Which code a code step expects.
enum Expected {
    /// The first code of a new app.
    AppSetUp(TotpSecret),
    /// A code of the enrolled app.
    App,
    /// A texted code that confirms a new number.
    TextSetUp(PhoneNumber),
    /// A texted code to the enrolled number.
    Text,
}

/// Runs the sign-in journey over the store, the password hasher and the secret source.
#[derive(Debug, Clone)]
pub struct SignInService<S, H, R> {
    store: S,
    hasher: H,
    secrets: R,
    settings: SecuritySettings,
}

impl<S: Store, H: PasswordHasher, R: SecretSource> SignInService<S, H, R> {
    /// A service over these ports.
    pub fn new(store: S, hasher: H, secrets: R, settings: SecuritySettings) -> Self {
        Self {
            store,
            hasher,
            secrets,
            settings,
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> &SecuritySettings {
        &self.settings
    }

    /// Applies one `input` to `state` at `now`.
    ///
    /// A half-signed-in state older than `settings.half_signed_in_for` accepts only a new
    /// password or sign-out; anything else is [`SignInError::Expired`].
    ///
    /// # Errors
    /// [`SignInError`]: the input was refused; the caller keeps `state` (or, for `Expired`,
    /// goes back to `Anonymous`). Failure counters and audit entries are still written.
    pub async fn handle(
        &self,
        state: &SignInState,
        input: SignInInput,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<Transition, SignInError> {
        let state = if state.has_expired(now, self.settings.half_signed_in_for) {
            match input {
                SignInInput::Password { .. } | SignInInput::SignOut => SignInState::Anonymous,
                _ => return Err(SignInError::Expired),
            }
        } else {
            state.clone()
        };
        use SignInInput as I;
        use SignInState as St;
        match (state, input) {
            (state, I::SignOut) => self.sign_out(&state, now, origin).await,
            (
                St::Anonymous
                | St::ChoosingMethod { .. }
                | St::AppSetUp { .. }
                | St::TextSetUp { .. }
                | St::TextSetUpCodeSent { .. }
                | St::AppChallenge { .. }
                | St::TextChallenge { .. },
                I::Password { email, password },
            ) => self.password_step(&email, &password, now, origin).await,
            (
                St::ChoosingMethod {
                    account,
                    email,
                    password_at,
                },
                I::ChooseMethod(Method::App),
            ) => Ok(stay(St::AppSetUp {
                account,
                email,
                password_at,
                secret: TotpSecret::generate(&self.secrets)?,
            })),
            (
                St::ChoosingMethod {
                    account,
                    email,
                    password_at,
                },
                I::ChooseMethod(Method::Text),
            ) => Ok(stay(St::TextSetUp {
                account,
                email,
                password_at,
            })),
            (
                St::AppSetUp {
                    account,
                    email,
                    password_at,
                    ..
                }
                | St::TextSetUp {
                    account,
                    email,
                    password_at,
                }
                | St::TextSetUpCodeSent {
                    account,
                    email,
                    password_at,
                    ..
                },
                I::StartAgain,
            ) => Ok(stay(St::ChoosingMethod {
                account,
                email,
                password_at,
            })),
            (
                St::TextSetUp {
                    account,
                    email,
                    password_at,
                },
                I::MobileNumber(raw),
            ) => {
                let phone = PhoneNumber::parse(&raw, self.settings.allow_drama_numbers)?;
                let message = self.send_code(account, &phone, now, origin).await?;
                Ok(Transition {
                    state: St::TextSetUpCodeSent {
                        account,
                        email,
                        password_at,
                        phone,
                    },
                    notice: Some(Notice::CodeSent { message }),
                })
            }
            (state @ (St::TextSetUpCodeSent { .. } | St::TextChallenge { .. }), I::Resend) => {
                let (St::TextSetUpCodeSent { account, phone, .. }
                | St::TextChallenge { account, phone, .. }) = &state
                else {
                    return Err(not_allowed(&state, &I::Resend));
                };
                let message = self.send_code(*account, phone, now, origin).await?;
                Ok(Transition {
                    state,
                    notice: Some(Notice::CodeSent { message }),
                })
            }
            (
                St::AppSetUp {
                    account, secret, ..
                },
                I::Code(raw),
            ) => {
                self.code_step(account, Expected::AppSetUp(secret), &raw, now, origin)
                    .await
            }
            (St::AppChallenge { account, .. }, I::Code(raw)) => {
                self.code_step(account, Expected::App, &raw, now, origin)
                    .await
            }
            (St::TextSetUpCodeSent { account, phone, .. }, I::Code(raw)) => {
                self.code_step(account, Expected::TextSetUp(phone), &raw, now, origin)
                    .await
            }
            (St::TextChallenge { account, .. }, I::Code(raw)) => {
                self.code_step(account, Expected::Text, &raw, now, origin)
                    .await
            }
            (state, input) => Err(not_allowed(&state, &input)),
        }
    }

    async fn sign_out(
        &self,
        state: &SignInState,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<Transition, SignInError> {
        if let Some(account) = state.account() {
            let mut tx = self.store.begin().await?;
            audit(
                &mut *tx,
                now,
                Some(account),
                AuditKind::SignedOut,
                origin,
                state.name(),
            )
            .await?;
            tx.commit().await?;
        }
        Ok(stay(SignInState::Anonymous))
    }

    async fn password_step(
        &self,
        email: &str,
        password: &str,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<Transition, SignInError> {
        let max = self.settings.password.max_chars;
        let password = Password::new(password, max).map_err(|rule| match rule {
            PasswordRule::TooLong { max } => SignInError::PasswordTooLong { max },
            _ => SignInError::WrongCredentials,
        })?;
        let Ok(email) = EmailAddress::parse(email) else {
            self.hasher.verify_nothing(&password).await?;
            return self
                .reject_password(None, now, origin, "not an email address")
                .await;
        };

        // Read, then hash with no transaction open, then write.
        let (account, lockout) = {
            let mut tx = self.store.begin().await?;
            match tx.accounts().find_by_email(&email).await? {
                Some(account) => {
                    let lockout = tx.lockouts().get(account.id, LockoutKind::Password).await?;
                    (Some(account), lockout)
                }
                None => (None, Default::default()),
            }
        };
        let Some(account) = account else {
            self.hasher.verify_nothing(&password).await?;
            return self
                .reject_password(None, now, origin, "unknown address")
                .await;
        };
        if let Some(until) = lockout.locked_at(now) {
            // As long as a wrong password takes (no timing difference while locked).
            self.hasher.verify_nothing(&password).await?;
            let mut tx = self.store.begin().await?;
            audit(
                &mut *tx,
                now,
                Some(account.id),
                AuditKind::PasswordLocked,
                origin,
                "",
            )
            .await?;
            tx.commit().await?;
            return Err(SignInError::PasswordLocked { until });
        }
        if !self
            .hasher
            .verify(&password, &account.password_hash)
            .await?
        {
            return self
                .reject_password(Some(account.id), now, origin, "wrong password")
                .await;
        }
        let new_hash = if self.hasher.needs_rehash(&account.password_hash) {
            Some(self.hasher.hash(&password).await?)
        } else {
            None
        };

        let mut tx = self.store.begin().await?;
        // A concurrent attempt may have locked the account while this one was hashing.
        let lockout = tx.lockouts().get(account.id, LockoutKind::Password).await?;
        if let Some(until) = lockout.locked_at(now) {
            audit(
                &mut *tx,
                now,
                Some(account.id),
                AuditKind::PasswordLocked,
                origin,
                "",
            )
            .await?;
            tx.commit().await?;
            return Err(SignInError::PasswordLocked { until });
        }
        tx.lockouts()
            .clear(account.id, LockoutKind::Password)
            .await?;
        if let Some(hash) = &new_hash {
            tx.accounts().set_password_hash(account.id, hash).await?;
        }
        audit(
            &mut *tx,
            now,
            Some(account.id),
            AuditKind::PasswordAccepted,
            origin,
            "",
        )
        .await?;
        let transition = match tx.second_factors().enrolment(account.id).await? {
            None => stay(SignInState::ChoosingMethod {
                account: account.id,
                email: account.email.clone(),
                password_at: now,
            }),
            Some(Enrolment::App { .. }) => stay(SignInState::AppChallenge {
                account: account.id,
                password_at: now,
            }),
            Some(Enrolment::Text { phone }) => {
                let notice = self
                    .queue_code(&mut *tx, account.id, &phone, now, origin)
                    .await?;
                Transition {
                    state: SignInState::TextChallenge {
                        account: account.id,
                        password_at: now,
                        phone,
                    },
                    notice: Some(notice),
                }
            }
        };
        tx.commit().await?;
        Ok(transition)
    }

    async fn reject_password(
        &self,
        account: Option<AccountId>,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
        detail: &str,
    ) -> Result<Transition, SignInError> {
        let mut tx = self.store.begin().await?;
        let mut locked_until = None;
        if let Some(id) = account {
            let lockout = tx
                .lockouts()
                .record_failure(
                    id,
                    LockoutKind::Password,
                    now,
                    self.settings.password_lockout,
                )
                .await?;
            locked_until = lockout.locked_at(now);
        }
        let kind = if locked_until.is_some() {
            AuditKind::PasswordLocked
        } else {
            AuditKind::PasswordRejected
        };
        audit(&mut *tx, now, account, kind, origin, detail).await?;
        tx.commit().await?;
        Err(match locked_until {
            Some(until) => SignInError::PasswordLocked { until },
            None => SignInError::WrongCredentials,
        })
    }

    /// Texts a new code to `phone` in its own unit of work: the text's outbox id.
    async fn send_code(
        &self,
        account: AccountId,
        phone: &PhoneNumber,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<MessageId, SignInError> {
        let mut tx = self.store.begin().await?;
        let notice = self
            .queue_code(&mut *tx, account, phone, now, origin)
            .await?;
        tx.commit().await?;
        match notice {
            Notice::CodeSent { message } => Ok(message),
            Notice::SendLimitReached { retry_at } => {
                Err(SignInError::SendLimitReached { retry_at })
            }
        }
    }

    /// Records a new code against the send limit and, if allowed, queues its text.
    async fn queue_code(
        &self,
        tx: &mut (dyn UnitOfWork + '_),
        account: AccountId,
        phone: &PhoneNumber,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<Notice, SignInError> {
        let code = SmsCode::generate(&self.secrets)?;
        let stored = StoredSmsCode {
            hash: code.hash_for(account, phone),
            sent_at: now,
            expires_at: now + self.settings.sms_code_valid_for,
        };
        let decision = tx
            .second_factors()
            .record_sms_code(account, &stored, self.settings.sms_send_limit, now)
            .await?;
        match decision {
            SmsSendDecision::Recorded => {
                let message = OutboxMessage {
                    id: MessageId::generate(&self.secrets)?,
                    recipient: Recipient::Sms(phone.clone()),
                    content: MessageContent::SignInCode { code },
                    created_at: now,
                };
                tx.outbox().enqueue(&message).await?;
                let detail = format!("to number ending {}", phone.last_digits());
                audit(tx, now, Some(account), AuditKind::CodeSent, origin, &detail).await?;
                Ok(Notice::CodeSent {
                    message: message.id,
                })
            }
            SmsSendDecision::LimitReached { retry_at } => {
                audit(
                    tx,
                    now,
                    Some(account),
                    AuditKind::CodeSendLimited,
                    origin,
                    "",
                )
                .await?;
                Ok(Notice::SendLimitReached { retry_at })
            }
        }
    }

    async fn code_step(
        &self,
        account: AccountId,
        expected: Expected,
        raw: &str,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<Transition, SignInError> {
        let code = OtpCode::parse(raw)?;
        let mut tx = self.store.begin().await?;
        let lockout = tx.lockouts().get(account, LockoutKind::Code).await?;
        if let Some(until) = lockout.locked_at(now) {
            audit(
                &mut *tx,
                now,
                Some(account),
                AuditKind::CodeLocked,
                origin,
                "",
            )
            .await?;
            tx.commit().await?;
            return Err(SignInError::CodeLocked { until });
        }
        let (accepted, enrolled) = match expected {
            Expected::AppSetUp(secret) => match secret.matching_step(&code, now) {
                Some(step) => {
                    let enrolment = Enrolment::App { secret };
                    enrol(&mut *tx, account, &enrolment, Some(step), now).await?;
                    (true, Some(Method::App))
                }
                None => (false, None),
            },
            Expected::App => match tx.second_factors().enrolment(account).await? {
                Some(Enrolment::App { secret }) => match secret.matching_step(&code, now) {
                    Some(step) => (
                        tx.second_factors().accept_totp_step(account, step).await?,
                        None,
                    ),
                    None => (false, None),
                },
                _ => (false, None),
            },
            Expected::TextSetUp(phone) => {
                let hash = SmsCodeHash::of_typed(account, &phone, &code);
                if tx
                    .second_factors()
                    .consume_sms_code(account, &hash, now)
                    .await?
                {
                    enrol(&mut *tx, account, &Enrolment::Text { phone }, None, now).await?;
                    (true, Some(Method::Text))
                } else {
                    (false, None)
                }
            }
            Expected::Text => match tx.second_factors().enrolment(account).await? {
                Some(Enrolment::Text { phone }) => {
                    let hash = SmsCodeHash::of_typed(account, &phone, &code);
                    (
                        tx.second_factors()
                            .consume_sms_code(account, &hash, now)
                            .await?,
                        None,
                    )
                }
                _ => (false, None),
            },
        };
        if accepted {
            tx.lockouts().clear(account, LockoutKind::Code).await?;
            if let Some(method) = enrolled {
                let detail = match method {
                    Method::App => "authenticator app",
                    Method::Text => "text message",
                };
                audit(
                    &mut *tx,
                    now,
                    Some(account),
                    AuditKind::SecondFactorEnrolled,
                    origin,
                    detail,
                )
                .await?;
            }
            audit(
                &mut *tx,
                now,
                Some(account),
                AuditKind::SignedIn,
                origin,
                "",
            )
            .await?;
            tx.commit().await?;
            return Ok(stay(SignInState::SignedIn { account, at: now }));
        }
        let lockout = tx
            .lockouts()
            .record_failure(account, LockoutKind::Code, now, self.settings.code_lockout)
            .await?;
        let locked_until = lockout.locked_at(now);
        let kind = if locked_until.is_some() {
            AuditKind::CodeLocked
        } else {
            AuditKind::CodeRejected
        };
        audit(&mut *tx, now, Some(account), kind, origin, "").await?;
        tx.commit().await?;
        Err(match locked_until {
            Some(until) => SignInError::CodeLocked { until },
            None => SignInError::WrongCode,
        })
    }
}

fn stay(state: SignInState) -> Transition {
    Transition {
        state,
        notice: None,
    }
}

fn not_allowed(state: &SignInState, input: &SignInInput) -> SignInError {
    SignInError::NotAllowed {
        state: state.name(),
        input: input.name(),
    }
}

async fn enrol(
    tx: &mut (dyn UnitOfWork + '_),
    account: AccountId,
    enrolment: &Enrolment,
    accepted_step: Option<u64>,
    now: OffsetDateTime,
) -> Result<(), SignInError> {
    match tx
        .second_factors()
        .enrol(account, enrolment, accepted_step, now)
        .await
    {
        Ok(()) => Ok(()),
        Err(EnrolError::AlreadyEnrolled) => Err(SignInError::AlreadyEnrolled),
        Err(EnrolError::Store(e)) => Err(e.into()),
    }
}

async fn audit(
    tx: &mut (dyn UnitOfWork + '_),
    at: OffsetDateTime,
    actor: Option<AccountId>,
    kind: AuditKind,
    origin: Option<IpAddr>,
    detail: &str,
) -> Result<(), SignInError> {
    tx.audit()
        .append(&AuditEvent {
            at,
            actor,
            subject: None,
            kind,
            origin,
            detail: detail.to_owned(),
        })
        .await?;
    Ok(())
}
