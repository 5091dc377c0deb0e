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
use crate::ports::{RandomnessUnavailable, SecretSource, Store, StoreError, UnitOfWork};
use crate::second_factor::{
    EnrolError, Enrolment, FEW_RECOVERY_CODES, Method, NewSecondFactor, OtpCode, PhoneNumber,
    RECOVERY_CODES, RecoveryCode, SmsCode, SmsCodeHash, SmsSendDecision, StoredSmsCode, TotpSecret,
};
use crate::settings::SecuritySettings;

/// Which code a code step expects, with the code typed.
enum Expected {
    /// The first code of a new app, or a texted code that confirms a new number.
    NewFactor(NewSecondFactor, OtpCode),
    /// A code of the enrolled app.
    App(OtpCode),
    /// A texted code to the enrolled number.
    Text(OtpCode),
    /// One of the account's recovery codes, instead of the app's or a texted code.
    Recovery(RecoveryCode),
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

    /// `state` as it stands for its account now: [`SignInState::Anonymous`] when the account's
    /// sessions were ended (a password reset, an officer's second-factor reset) after this
    /// sign-in began; otherwise `state` unchanged. The web layer asks
    /// on every request, so an ended session opens nothing from the next request on.
    ///
    /// # Errors
    /// [`SignInError::Store`] on a fault.
    pub async fn check_session(&self, state: SignInState) -> Result<SignInState, SignInError> {
        let (Some(account), Some(since)) = (state.account(), state.since()) else {
            return Ok(state);
        };
        let mut tx = self.store.begin().await?;
        let ended = tx.accounts().sessions_ended_at(account).await?;
        Ok(match ended {
            Some(ended) if since < ended => SignInState::Anonymous,
            _ => state,
        })
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
                let expected =
                    Expected::NewFactor(NewSecondFactor::App { secret }, OtpCode::parse(&raw)?);
                self.code_step(account, expected, now, origin).await
            }
            (St::AppChallenge { account, .. }, I::Code(raw)) => {
                let expected = Expected::App(OtpCode::parse(&raw)?);
                self.code_step(account, expected, now, origin).await
            }
            (St::TextSetUpCodeSent { account, phone, .. }, I::Code(raw)) => {
                let expected =
                    Expected::NewFactor(NewSecondFactor::Text { phone }, OtpCode::parse(&raw)?);
                self.code_step(account, expected, now, origin).await
            }
            (St::TextChallenge { account, .. }, I::Code(raw)) => {
                let expected = Expected::Text(OtpCode::parse(&raw)?);
                self.code_step(account, expected, now, origin).await
            }
            (
                St::AppChallenge { account, .. } | St::TextChallenge { account, .. },
                I::RecoveryCode(raw),
            ) => {
                let expected = Expected::Recovery(RecoveryCode::parse(&raw)?);
                self.code_step(account, expected, now, origin).await
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
            // `queue_code` gives only the two above.
            other => Err(SignInError::Store(crate::ports::StoreError::Unexpected {
                reason: format!("a code was queued with the notice {other:?}"),
            })),
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
        let queued = queue_code::<SignInError>(
            tx,
            &self.secrets,
            &self.settings,
            account,
            phone,
            now,
            origin,
        )
        .await?;
        Ok(match queued {
            Ok(message) => Notice::CodeSent { message },
            Err(retry_at) => Notice::SendLimitReached { retry_at },
        })
    }

    async fn code_step(
        &self,
        account: AccountId,
        expected: Expected,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<Transition, SignInError> {
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
        // Accepted: the method just enrolled, if any, and the unused recovery codes left.
        let accepted: Option<(Option<Method>, Option<u32>)> = match expected {
            Expected::NewFactor(factor, code) => {
                match factor.accept(&mut *tx, account, &code, now).await? {
                    Some((enrolment, step)) => {
                        enrol(&mut *tx, account, &enrolment, step, now).await?;
                        Some((Some(enrolment.method()), Some(0)))
                    }
                    None => None,
                }
            }
            Expected::App(code) => match tx.second_factors().enrolment(account).await? {
                Some(Enrolment::App { secret }) => match secret.matching_step(&code, now) {
                    Some(step) if tx.second_factors().accept_totp_step(account, step).await? => {
                        Some((None, None))
                    }
                    _ => None,
                },
                _ => None,
            },
            Expected::Text(code) => match tx.second_factors().enrolment(account).await? {
                Some(Enrolment::Text { phone }) => {
                    let hash = SmsCodeHash::of_typed(account, &phone, &code);
                    tx.second_factors()
                        .consume_sms_code(account, &hash, now)
                        .await?
                        .then_some((None, None))
                }
                _ => None,
            },
            Expected::Recovery(code) => {
                let hash = code.hash_for(account);
                match tx
                    .second_factors()
                    .consume_recovery_code(account, &hash, now)
                    .await?
                {
                    Some(left) => {
                        let detail = format!("{left} left");
                        audit(
                            &mut *tx,
                            now,
                            Some(account),
                            AuditKind::RecoveryCodeUsed,
                            origin,
                            &detail,
                        )
                        .await?;
                        self.mail_recovery_code_used(&mut *tx, account, left, now)
                            .await?;
                        Some((None, Some(left)))
                    }
                    None => None,
                }
            }
        };
        if let Some((enrolled, left)) = accepted {
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
            let left = match left {
                Some(left) => left,
                None => tx.second_factors().recovery_codes_left(account).await?,
            };
            let notice = if left == 0 {
                // Stored only once the person says they saved them (`keep_recovery_codes`):
                // a set never seen is never valid, and the next sign-in offers one again.
                let codes = RecoveryCode::generate_set(&self.secrets)?;
                Some(Notice::RecoveryCodesIssued(codes))
            } else {
                (left <= FEW_RECOVERY_CODES).then_some(Notice::FewRecoveryCodesLeft { left })
            };
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
            return Ok(Transition {
                state: SignInState::SignedIn { account, at: now },
                notice,
            });
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

    /// *I have saved my recovery codes*: stores `codes` — a set handed out with a sign-in by
    /// [`Notice::RecoveryCodesIssued`] — as the account's recovery codes, replacing any older
    /// set, and audits it. Until then none of them works, and every sign-in with no unused code
    /// left offers a new set.
    ///
    /// # Errors
    /// [`SignInError::NotAllowed`] unless `state` is signed in and `codes` is a whole set;
    /// [`SignInError::Store`] on a fault.
    pub async fn keep_recovery_codes(
        &self,
        state: &SignInState,
        codes: &[RecoveryCode],
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<(), SignInError> {
        let (Some(account), RECOVERY_CODES) = (state.signed_in_account(), codes.len()) else {
            return Err(SignInError::NotAllowed {
                state: state.name(),
                input: "keep-recovery-codes",
            });
        };
        let hashes: Vec<_> = codes.iter().map(|c| c.hash_for(account)).collect();
        let mut tx = self.store.begin().await?;
        tx.second_factors()
            .replace_recovery_codes(account, &hashes, now)
            .await?;
        audit(
            &mut *tx,
            now,
            Some(account),
            AuditKind::RecoveryCodesIssued,
            origin,
            "saved by the person",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Queues the "a recovery code was used; `left` left" e-mail to the account's address.
    async fn mail_recovery_code_used(
        &self,
        tx: &mut (dyn UnitOfWork + '_),
        account: AccountId,
        left: u32,
        now: OffsetDateTime,
    ) -> Result<(), SignInError> {
        let Some(person) = tx.accounts().get(account).await? else {
            return Ok(());
        };
        let message = OutboxMessage {
            id: MessageId::generate(&self.secrets)?,
            recipient: Recipient::Email(person.email),
            content: MessageContent::RecoveryCodeUsed { left },
            created_at: now,
        };
        tx.outbox().enqueue(&message).await?;
        Ok(())
    }
}

/// Records a new security code for `phone` against the account's send limit and, if allowed,
/// queues its text and audits it (the sign-in, and a signed-in person's new number): the text's
/// outbox id, or `Err(retry_at)` when the limit is reached (audited; nothing is sent).
///
/// # Errors
/// [`StoreError`] or [`RandomnessUnavailable`] (as `E`) on a fault.
pub(crate) async fn queue_code<E: From<StoreError> + From<RandomnessUnavailable>>(
    tx: &mut (dyn UnitOfWork + '_),
    secrets: &dyn SecretSource,
    settings: &SecuritySettings,
    account: AccountId,
    phone: &PhoneNumber,
    now: OffsetDateTime,
    origin: Option<IpAddr>,
) -> Result<Result<MessageId, OffsetDateTime>, E> {
    let code = SmsCode::generate(secrets)?;
    let stored = StoredSmsCode {
        hash: code.hash_for(account, phone),
        sent_at: now,
        expires_at: now + settings.sms_code_valid_for,
    };
    let decision = tx
        .second_factors()
        .record_sms_code(account, &stored, settings.sms_send_limit, now)
        .await?;
    let (kind, detail, result) = match decision {
        SmsSendDecision::Recorded => {
            let message = OutboxMessage {
                id: MessageId::generate(secrets)?,
                recipient: Recipient::Sms(phone.clone()),
                content: MessageContent::SignInCode { code },
                created_at: now,
            };
            tx.outbox().enqueue(&message).await?;
            let detail = format!("to number ending {}", phone.last_digits());
            (AuditKind::CodeSent, detail, Ok(message.id))
        }
        SmsSendDecision::LimitReached { retry_at } => {
            (AuditKind::CodeSendLimited, String::new(), Err(retry_at))
        }
    };
    tx.audit()
        .append(&AuditEvent {
            at: now,
            actor: Some(account),
            subject: None,
            kind,
            origin,
            case: None,
            detail,
        })
        .await?;
    Ok(result)
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
            case: None,
            detail: detail.to_owned(),
        })
        .await?;
    Ok(())
}
