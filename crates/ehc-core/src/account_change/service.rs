//! [`AccountChangeService`]: the account changes of a signed-in person, with the port calls
//! each one needs.

use std::net::IpAddr;
use time::OffsetDateTime;

use super::{AccountChangeError, AccountOverview, EmailChange, Reauthentication};
use crate::account::{AccountError, AccountId, EmailAddress};
use crate::audit::{AuditEvent, AuditKind};
use crate::case::CaseWriteError;
use crate::invitation::{
    InvitationError, InvitationStatus, InvitationToken, describe_roles, grant_new_roles,
};
use crate::lockout::LockoutKind;
use crate::outbox::{AccountChange, MessageContent, MessageId, OutboxMessage, Recipient};
use crate::password::{Password, PasswordHasher};
use crate::ports::{SecretSource, Store, StoreError, UnitOfWork};
use crate::role::{Grantor, Role};
use crate::second_factor::{
    EnrolError, NewSecondFactor, OtpCode, PhoneNumber, RecoveryCode, TotpSecret,
};
use crate::settings::SecuritySettings;
use crate::sign_in::{SignInState, queue_code};

/// Runs the account changes over the store, the password hasher and the secret source.
#[derive(Debug, Clone)]
pub struct AccountChangeService<S, H, R> {
    store: S,
    hasher: H,
    secrets: R,
    settings: SecuritySettings,
}

impl<S: Store, H: PasswordHasher, R: SecretSource> AccountChangeService<S, H, R> {
    /// A service over these ports.
    pub fn new(store: S, hasher: H, secrets: R, settings: SecuritySettings) -> Self {
        Self {
            store,
            hasher,
            secrets,
            settings,
        }
    }

    /// The account that `reauthentication` opens changes to at `now`, if the session is
    /// signed in as it. Reads nothing: the web layer asks before showing a change's form.
    ///
    /// # Errors
    /// [`AccountChangeError::NotSignedIn`]; [`AccountChangeError::ReauthenticationNeeded`]
    /// when there is no proof, it is another account's, or it is older than
    /// `settings.reauthentication_valid_for`.
    pub fn reauthenticated(
        &self,
        state: &SignInState,
        reauthentication: Option<&Reauthentication>,
        now: OffsetDateTime,
    ) -> Result<AccountId, AccountChangeError> {
        let account = state
            .signed_in_account()
            .ok_or(AccountChangeError::NotSignedIn)?;
        match reauthentication {
            Some(proof) if proof.opens(account, now, self.settings.reauthentication_valid_for) => {
                Ok(account)
            }
            _ => Err(AccountChangeError::ReauthenticationNeeded),
        }
    }

    /// *Your account*: what the signed-in person's account holds now. Changes nothing.
    ///
    /// # Errors
    /// [`AccountChangeError::NotSignedIn`]; [`AccountChangeError::Store`] on a fault.
    pub async fn overview(
        &self,
        state: &SignInState,
    ) -> Result<AccountOverview, AccountChangeError> {
        let account = state
            .signed_in_account()
            .ok_or(AccountChangeError::NotSignedIn)?;
        let mut tx = self.store.begin().await?;
        let email = self.email_in(&mut *tx, account).await?;
        let second_factor = tx.second_factors().enrolment(account).await?;
        let recovery_codes_left = tx.second_factors().recovery_codes_left(account).await?;
        Ok(AccountOverview {
            email,
            second_factor,
            recovery_codes_left,
        })
    }

    /// *Enter your password to continue*: checks the signed-in person's current `password`
    /// like the sign-in does (a wrong one counts toward the password lockout; while locked,
    /// none is checked) and audits the outcome.
    ///
    /// # Errors
    /// [`AccountChangeError::NotSignedIn`], [`AccountChangeError::PasswordMissing`] (nothing
    /// counted), [`AccountChangeError::WrongPassword`], [`AccountChangeError::PasswordLocked`]; [`AccountChangeError::Hash`] or
    /// [`AccountChangeError::Store`] on a fault.
    pub async fn confirm_password(
        &self,
        state: &SignInState,
        password: &str,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<Reauthentication, AccountChangeError> {
        let account = state
            .signed_in_account()
            .ok_or(AccountChangeError::NotSignedIn)?;
        if password.is_empty() {
            return Err(AccountChangeError::PasswordMissing);
        }
        let (person, lockout) = {
            let mut tx = self.store.begin().await?;
            let person = tx.accounts().get(account).await?;
            let lockout = tx.lockouts().get(account, LockoutKind::Password).await?;
            (person, lockout)
        };
        let person = person.ok_or(AccountChangeError::NotSignedIn)?;
        let right = match Password::new(password, self.settings.password.max_chars) {
            // As long as a check takes (no timing difference while locked).
            Ok(typed) if lockout.locked_at(now).is_some() => {
                self.hasher.verify_nothing(&typed).await?;
                false
            }
            Ok(typed) => self.hasher.verify(&typed, &person.password_hash).await?,
            Err(_) => false,
        };
        let mut tx = self.store.begin().await?;
        // Read again in this unit of work: guesses sent at once may have locked it meanwhile.
        let lockout = tx.lockouts().get(account, LockoutKind::Password).await?;
        if let Some(until) = lockout.locked_at(now) {
            audit(
                &mut *tx,
                now,
                account,
                AuditKind::ReauthenticationRefused,
                origin,
                "password sign-in is locked",
            )
            .await?;
            tx.commit().await?;
            return Err(AccountChangeError::PasswordLocked { until });
        }
        if !right {
            let lockout = tx
                .lockouts()
                .record_failure(
                    account,
                    LockoutKind::Password,
                    now,
                    self.settings.password_lockout,
                )
                .await?;
            let locked = lockout.locked_at(now);
            let detail = if locked.is_some() {
                "wrong password; password sign-in locked"
            } else {
                "wrong password"
            };
            audit(
                &mut *tx,
                now,
                account,
                AuditKind::ReauthenticationRefused,
                origin,
                detail,
            )
            .await?;
            tx.commit().await?;
            return Err(match locked {
                Some(until) => AccountChangeError::PasswordLocked { until },
                None => AccountChangeError::WrongPassword,
            });
        }
        tx.lockouts().clear(account, LockoutKind::Password).await?;
        audit(
            &mut *tx,
            now,
            account,
            AuditKind::Reauthenticated,
            origin,
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(Reauthentication { account, at: now })
    }

    /// *Change your password*: the registration's policy (every broken rule reported, nothing
    /// stored); then, in one unit of work, the new hash, the password lockout cleared, the
    /// "your password was changed" e-mail and the audit entry. This session stays signed in;
    /// the page then offers [`AccountChangeService::end_other_sessions`].
    ///
    /// # Errors
    /// [`AccountChangeError::NotSignedIn`], [`AccountChangeError::ReauthenticationNeeded`],
    /// [`AccountChangeError::Password`]; [`AccountChangeError::Hash`],
    /// [`AccountChangeError::Randomness`] or [`AccountChangeError::Store`] on a fault.
    pub async fn change_password(
        &self,
        state: &SignInState,
        reauthentication: Option<&Reauthentication>,
        password: &str,
        confirmation: &str,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<(), AccountChangeError> {
        let account = self.reauthenticated(state, reauthentication, now)?;
        let email = self.email_of(account).await?;
        let password = self
            .settings
            .check_new_password(password, confirmation, &email)
            .map_err(AccountChangeError::Password)?;
        let hash = self.hasher.hash(&password).await?;
        let message = MessageId::generate(&self.secrets)?;
        let mut tx = self.store.begin().await?;
        tx.accounts().set_password_hash(account, &hash).await?;
        tx.lockouts().clear(account, LockoutKind::Password).await?;
        // Links asked for before the change must not outlive it.
        tx.password_resets().void_pending(account, now).await?;
        tx.email_changes().void_pending(account, now).await?;
        tell(&mut *tx, message, email, AccountChange::Password, now).await?;
        audit(
            &mut *tx,
            now,
            account,
            AuditKind::PasswordChanged,
            origin,
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// *Change how you get security codes* → *Smartphone or tablet app*: a new secret for the
    /// person to add to their app (nothing is stored until a code from it is accepted by
    /// [`AccountChangeService::confirm_new_second_factor`]).
    ///
    /// # Errors
    /// [`AccountChangeError::NotSignedIn`], [`AccountChangeError::ReauthenticationNeeded`],
    /// [`AccountChangeError::Randomness`].
    pub fn new_app(
        &self,
        state: &SignInState,
        reauthentication: Option<&Reauthentication>,
        now: OffsetDateTime,
    ) -> Result<NewSecondFactor, AccountChangeError> {
        self.reauthenticated(state, reauthentication, now)?;
        Ok(NewSecondFactor::App {
            secret: TotpSecret::generate(&self.secrets)?,
        })
    }

    /// *Change how you get security codes* → *Text message* → *Send code* with the `mobile`
    /// number as typed: texts a code to it under the sign-in's send limit. The number is stored
    /// only once that code is accepted.
    ///
    /// # Errors
    /// [`AccountChangeError::NotSignedIn`], [`AccountChangeError::ReauthenticationNeeded`],
    /// [`AccountChangeError::InvalidPhone`], [`AccountChangeError::SendLimitReached`];
    /// [`AccountChangeError::Randomness`] or [`AccountChangeError::Store`] on a fault.
    pub async fn text_new_number(
        &self,
        state: &SignInState,
        reauthentication: Option<&Reauthentication>,
        mobile: &str,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<(NewSecondFactor, MessageId), AccountChangeError> {
        let account = self.reauthenticated(state, reauthentication, now)?;
        let phone = PhoneNumber::parse(mobile, self.settings.allow_drama_numbers)?;
        let message = self.text_code(account, &phone, now, origin).await?;
        Ok((NewSecondFactor::Text { phone }, message))
    }

    /// *Resend code* to the new number being set up: another code under the send limit. An app
    /// being set up has nothing to resend: `Ok(None)`.
    ///
    /// # Errors
    /// As [`AccountChangeService::text_new_number`].
    pub async fn resend_code(
        &self,
        state: &SignInState,
        reauthentication: Option<&Reauthentication>,
        new: &NewSecondFactor,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<Option<MessageId>, AccountChangeError> {
        let account = self.reauthenticated(state, reauthentication, now)?;
        match new {
            NewSecondFactor::Text { phone } => {
                Ok(Some(self.text_code(account, phone, now, origin).await?))
            }
            NewSecondFactor::App { .. } => Ok(None),
        }
    }

    async fn text_code(
        &self,
        account: AccountId,
        phone: &PhoneNumber,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<MessageId, AccountChangeError> {
        let mut tx = self.store.begin().await?;
        let queued = queue_code::<AccountChangeError>(
            &mut *tx,
            &self.secrets,
            &self.settings,
            account,
            phone,
            now,
            origin,
        )
        .await?;
        tx.commit().await?;
        queued.map_err(|retry_at| AccountChangeError::SendLimitReached { retry_at })
    }

    /// The code from the `new` app or number: when right, in one unit of work the old second
    /// factor and its recovery codes are replaced by the new one, the code lockout cleared, the
    /// person e-mailed and the change audited; a new set of recovery codes is returned, to show
    /// once and store with [`crate::sign_in::SignInService::keep_recovery_codes`] when the
    /// person saved them. A wrong code counts toward the code lockout.
    ///
    /// # Errors
    /// [`AccountChangeError::NotSignedIn`], [`AccountChangeError::ReauthenticationNeeded`],
    /// [`AccountChangeError::InvalidCode`], [`AccountChangeError::WrongCode`],
    /// [`AccountChangeError::CodeLocked`]; [`AccountChangeError::Randomness`] or
    /// [`AccountChangeError::Store`] on a fault. Nothing changes then but the counters.
    pub async fn confirm_new_second_factor(
        &self,
        state: &SignInState,
        reauthentication: Option<&Reauthentication>,
        new: NewSecondFactor,
        code: &str,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<Vec<RecoveryCode>, AccountChangeError> {
        let account = self.reauthenticated(state, reauthentication, now)?;
        let code = OtpCode::parse(code)?;
        let email = self.email_of(account).await?;
        let message = MessageId::generate(&self.secrets)?;
        let codes = RecoveryCode::generate_set(&self.secrets)?;
        let method = new.method();
        let mut tx = self.store.begin().await?;
        if let Some(until) = tx
            .lockouts()
            .get(account, LockoutKind::Code)
            .await?
            .locked_at(now)
        {
            audit(
                &mut *tx,
                now,
                account,
                AuditKind::CodeLocked,
                origin,
                "new second factor",
            )
            .await?;
            tx.commit().await?;
            return Err(AccountChangeError::CodeLocked { until });
        }
        let Some((enrolment, step)) = new.accept(&mut *tx, account, &code, now).await? else {
            let lockout = tx
                .lockouts()
                .record_failure(account, LockoutKind::Code, now, self.settings.code_lockout)
                .await?;
            let locked = lockout.locked_at(now);
            let kind = match locked {
                Some(_) => AuditKind::CodeLocked,
                None => AuditKind::CodeRejected,
            };
            audit(&mut *tx, now, account, kind, origin, "new second factor").await?;
            tx.commit().await?;
            return Err(match locked {
                Some(until) => AccountChangeError::CodeLocked { until },
                None => AccountChangeError::WrongCode,
            });
        };
        tx.second_factors().remove(account).await?;
        match tx
            .second_factors()
            .enrol(account, &enrolment, step, now)
            .await
        {
            Ok(()) => {}
            Err(EnrolError::Store(e)) => return Err(e.into()),
            Err(EnrolError::AlreadyEnrolled) => {
                // Removed above in this unit of work: only a concurrent change can get here.
                return Err(AccountChangeError::Store(StoreError::Conflict {
                    reason: "a second factor was set up meanwhile".to_owned(),
                }));
            }
        }
        tx.email_changes().void_pending(account, now).await?;
        tx.lockouts().clear(account, LockoutKind::Code).await?;
        tell(
            &mut *tx,
            message,
            email,
            AccountChange::SecondFactor { method },
            now,
        )
        .await?;
        let detail = match method {
            crate::second_factor::Method::App => "authenticator app; old recovery codes void",
            crate::second_factor::Method::Text => "text message; old recovery codes void",
        };
        audit(
            &mut *tx,
            now,
            account,
            AuditKind::SecondFactorChanged,
            origin,
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(codes)
    }

    /// *Change your email address* to `new_email` as typed: a link to confirm it is e-mailed to
    /// the new address (older links voided) and the old address is told. The same happens
    /// whether or not another account has the new address, so the answer says nothing about it;
    /// the link says so when used ([`AccountChangeError::EmailTaken`]). The new address, as
    /// parsed, is returned for the page.
    ///
    /// # Errors
    /// [`AccountChangeError::NotSignedIn`], [`AccountChangeError::ReauthenticationNeeded`],
    /// [`AccountChangeError::Email`], [`AccountChangeError::SameEmail`],
    /// [`AccountChangeError::TooSoon`] (a link was sent within `settings.email_change_interval`);
    /// [`AccountChangeError::Randomness`] or [`AccountChangeError::Store`] on a fault.
    pub async fn request_email_change(
        &self,
        state: &SignInState,
        reauthentication: Option<&Reauthentication>,
        new_email: &str,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<EmailAddress, AccountChangeError> {
        let account = self.reauthenticated(state, reauthentication, now)?;
        let new_email = EmailAddress::parse(new_email)?;
        let old_email = self.email_of(account).await?;
        if new_email == old_email {
            return Err(AccountChangeError::SameEmail);
        }
        let token = InvitationToken::generate(&self.secrets)?;
        let link_message = MessageId::generate(&self.secrets)?;
        let notice_message = MessageId::generate(&self.secrets)?;
        let mut tx = self.store.begin().await?;
        if let Some(latest) = tx.email_changes().latest_for_account(account).await? {
            let retry_at = latest.created_at + self.settings.email_change_interval;
            if now < retry_at {
                return Err(AccountChangeError::TooSoon { retry_at });
            }
        }
        tx.email_changes()
            .insert_superseding(&EmailChange {
                account,
                new_email: new_email.clone(),
                token_hash: token.hash(),
                created_at: now,
                expires_at: now + self.settings.email_change_valid_for,
                status: InvitationStatus::Pending,
            })
            .await?;
        tx.outbox()
            .enqueue(&OutboxMessage {
                id: link_message,
                recipient: Recipient::Email(new_email.clone()),
                content: MessageContent::EmailChangeLink {
                    token,
                    valid_for_minutes: self.settings.email_change_valid_for.whole_minutes(),
                },
                created_at: now,
            })
            .await?;
        let to = new_email.as_entered().to_owned();
        tell(
            &mut *tx,
            notice_message,
            old_email,
            AccountChange::EmailChangeRequested { to },
            now,
        )
        .await?;
        let detail = format!("link sent to {}", new_email.canonical());
        audit(
            &mut *tx,
            now,
            account,
            AuditKind::EmailChangeRequested,
            origin,
            &detail,
        )
        .await?;
        tx.commit().await?;
        Ok(new_email)
    }

    /// The old and new addresses of an e-mail change link, if it can still be used at `now` by
    /// the signed-in person in `state` (for showing *Confirm your new email address*). Changes
    /// nothing.
    ///
    /// # Errors
    /// [`AccountChangeError::NotSignedIn`] (the link works only in a signed-in session of its
    /// account); [`AccountChangeError::Link`] when it cannot be used;
    /// [`AccountChangeError::LinkForAnotherAccount`]; [`AccountChangeError::EmailTaken`] when
    /// another account has the new address; [`AccountChangeError::Store`] on a fault.
    pub async fn open_email_change(
        &self,
        state: &SignInState,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<(EmailAddress, EmailAddress), AccountChangeError> {
        let account = state
            .signed_in_account()
            .ok_or(AccountChangeError::NotSignedIn)?;
        let token = InvitationToken::parse(token)?;
        let mut tx = self.store.begin().await?;
        let change = tx
            .email_changes()
            .find_by_token(&token.hash())
            .await?
            .ok_or(InvitationError::Unknown)?;
        change.usable_at(now)?;
        if change.account != account {
            return Err(AccountChangeError::LinkForAnotherAccount);
        }
        if tx
            .accounts()
            .find_by_email(&change.new_email)
            .await?
            .is_some_and(|other| other.id != account)
        {
            return Err(AccountChangeError::EmailTaken);
        }
        let old_email = self.email_in(&mut *tx, account).await?;
        Ok((old_email, change.new_email))
    }

    /// *Confirm your new email address* through the link's `token`, in a signed-in session of
    /// the account whose address changes (so a link that reached the wrong mailbox, or was
    /// asked for by someone who has since lost their way in, is of no use by itself): in one
    /// unit of work the link is consumed, the address replaced, the account's pending reset
    /// links voided (they went to the old mailbox), a usable invitation to the new address
    /// applied (its roles granted: the person has just shown they hold that mailbox), the old
    /// address told and the change audited. Sessions carry on: the sign-in name changed, not a
    /// secret. The old and new addresses are returned for the page.
    ///
    /// # Errors
    /// [`AccountChangeError::NotSignedIn`]; [`AccountChangeError::Link`] and
    /// [`AccountChangeError::LinkForAnotherAccount`] (audited as refused; nothing changes);
    /// [`AccountChangeError::EmailTaken`] when another account has the address now (audited;
    /// nothing changes and the link stays unused); [`AccountChangeError::Randomness`] or
    /// [`AccountChangeError::Store`] on a fault.
    pub async fn confirm_email_change(
        &self,
        state: &SignInState,
        token: &str,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<(EmailAddress, EmailAddress), AccountChangeError> {
        let account = state
            .signed_in_account()
            .ok_or(AccountChangeError::NotSignedIn)?;
        let token = match InvitationToken::parse(token) {
            Ok(token) => token,
            Err(reason) => {
                return self
                    .refuse_email_change(account, reason.into(), now, origin)
                    .await;
            }
        };
        let message = MessageId::generate(&self.secrets)?;
        let mut tx = self.store.begin().await?;
        let change = match tx.email_changes().consume(&token.hash(), now).await {
            Ok(change) if change.account == account => change,
            Ok(_) => {
                drop(tx);
                return self
                    .refuse_email_change(
                        account,
                        AccountChangeError::LinkForAnotherAccount,
                        now,
                        origin,
                    )
                    .await;
            }
            Err(InvitationError::Store(e)) => return Err(e.into()),
            Err(reason) => {
                drop(tx);
                return self
                    .refuse_email_change(account, reason.into(), now, origin)
                    .await;
            }
        };
        let old_email = self.email_in(&mut *tx, account).await?;
        match tx.accounts().set_email(account, &change.new_email).await {
            Ok(()) => {}
            Err(AccountError::EmailTaken) => {
                drop(tx);
                return self
                    .refuse_email_change(account, AccountChangeError::EmailTaken, now, origin)
                    .await;
            }
            Err(AccountError::Store(e)) => return Err(e.into()),
        }
        tx.password_resets().void_pending(account, now).await?;
        link_advice_requests(&mut *tx, account, &old_email, now).await?;
        self.apply_invitation(&mut *tx, account, &change.new_email, now, origin)
            .await?;
        let to = change.new_email.as_entered().to_owned();
        tell(
            &mut *tx,
            message,
            old_email.clone(),
            AccountChange::EmailChanged { to },
            now,
        )
        .await?;
        let detail = format!(
            "from {} to {}",
            old_email.canonical(),
            change.new_email.canonical()
        );
        audit(
            &mut *tx,
            now,
            account,
            AuditKind::EmailChanged,
            origin,
            &detail,
        )
        .await?;
        tx.commit().await?;
        Ok((old_email, change.new_email))
    }

    /// Applies a usable invitation to `email` (now `account`'s address) as the invitation of an
    /// existing account would ([`crate::invitation::InvitationService::invite_in`]): consumes
    /// it, grants the roles the account does not hold yet, tells the person and audits it
    /// (actor: the inviter; subject: the account). Without one, nothing happens.
    async fn apply_invitation(
        &self,
        tx: &mut (dyn UnitOfWork + '_),
        account: AccountId,
        email: &EmailAddress,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<(), AccountChangeError> {
        let Some(invitation) = tx.invitations().latest_for_email(email).await? else {
            return Ok(());
        };
        if invitation.usable_at(now).is_err() {
            return Ok(());
        }
        let invitation = match tx.invitations().consume(&invitation.token_hash, now).await {
            Ok(invitation) => invitation,
            Err(InvitationError::Store(e)) => return Err(e.into()),
            // Used by its own link meanwhile: the whole change is tried again by the person.
            Err(_) => {
                return Err(AccountChangeError::Store(StoreError::Conflict {
                    reason: "the invitation to the new address was used meanwhile".to_owned(),
                }));
            }
        };
        let new_roles = grant_new_roles::<AccountChangeError>(
            tx,
            &self.secrets,
            account,
            email,
            invitation.roles,
            invitation.invited_by,
            now,
        )
        .await?;
        if new_roles.is_empty() {
            return Ok(());
        }
        tx.audit()
            .append(&AuditEvent {
                at: now,
                actor: match invitation.invited_by {
                    Grantor::Account(id) => Some(id),
                    Grantor::System => None,
                },
                subject: Some(account),
                kind: AuditKind::RoleGranted,
                origin,
                case: new_roles.iter().find_map(Role::case),
                detail: format!(
                    "{} (an invitation to the address the person moved to)",
                    describe_roles(&new_roles)
                ),
            })
            .await?;
        Ok(())
    }

    async fn refuse_email_change<T>(
        &self,
        account: AccountId,
        reason: AccountChangeError,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<T, AccountChangeError> {
        let detail = match &reason {
            AccountChangeError::Link(InvitationError::Unknown) => "unknown link",
            AccountChangeError::Link(InvitationError::Used) => "used link",
            AccountChangeError::Link(InvitationError::Expired) => "expired link",
            AccountChangeError::Link(InvitationError::Superseded) => "superseded link",
            AccountChangeError::EmailTaken => "another account has the address",
            AccountChangeError::LinkForAnotherAccount => "signed in as another account",
            _ => return Err(reason),
        };
        let mut tx = self.store.begin().await?;
        tx.audit()
            .append(&AuditEvent {
                at: now,
                actor: Some(account),
                subject: None,
                kind: AuditKind::EmailChangeRefused,
                origin,
                case: None,
                detail: detail.to_owned(),
            })
            .await?;
        tx.commit().await?;
        Err(reason)
    }

    /// *Sign out of every other device*: ends every session of the account begun before `now`
    /// and audits it; the returned state (signed in from `now`) keeps this session open.
    /// Needs no password: it only takes access away.
    ///
    /// # Errors
    /// [`AccountChangeError::NotSignedIn`]; [`AccountChangeError::Store`] on a fault.
    pub async fn end_other_sessions(
        &self,
        state: &SignInState,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<SignInState, AccountChangeError> {
        let account = state
            .signed_in_account()
            .ok_or(AccountChangeError::NotSignedIn)?;
        let mut tx = self.store.begin().await?;
        tx.accounts().end_sessions(account, now).await?;
        tx.email_changes().void_pending(account, now).await?;
        audit(
            &mut *tx,
            now,
            account,
            AuditKind::OtherSessionsEnded,
            origin,
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(SignInState::SignedIn { account, at: now })
    }

    async fn email_of(&self, account: AccountId) -> Result<EmailAddress, AccountChangeError> {
        let mut tx = self.store.begin().await?;
        self.email_in(&mut *tx, account).await
    }

    async fn email_in(
        &self,
        tx: &mut (dyn UnitOfWork + '_),
        account: AccountId,
    ) -> Result<EmailAddress, AccountChangeError> {
        Ok(tx
            .accounts()
            .get(account)
            .await?
            .ok_or(AccountChangeError::NotSignedIn)?
            .email)
    }
}

/// Links `account` to the live advice requests sent to its old address before it was linked
/// to them (it is linked when the request is first opened), in the cases the account
/// contributes to: after the address changes, the request would no longer be recognised as
/// theirs, and its reminders would go to the old mailbox.
async fn link_advice_requests(
    tx: &mut (dyn UnitOfWork + '_),
    account: AccountId,
    old_email: &EmailAddress,
    now: OffsetDateTime,
) -> Result<(), AccountChangeError> {
    let mut cases = Vec::new();
    for grant in tx.grants().for_account(account).await? {
        if let (true, Role::Contributor { case }) = (grant.is_active(now), grant.role)
            && !cases.contains(&case)
        {
            cases.push(case);
        }
    }
    for id in cases {
        let Some(stored) = tx.cases().get(id).await? else {
            continue;
        };
        let mut case = stored.case;
        if case.link_advice_contributor(account, old_email) {
            match tx.cases().update(&case, stored.version).await {
                Ok(()) => {}
                Err(CaseWriteError::Store(e)) => return Err(e.into()),
                Err(other) => {
                    return Err(AccountChangeError::Store(StoreError::Unexpected {
                        reason: other.to_string(),
                    }));
                }
            }
        }
    }
    Ok(())
}

/// Queues the e-mail telling the person about `change` at `to`.
async fn tell(
    tx: &mut (dyn UnitOfWork + '_),
    id: MessageId,
    to: EmailAddress,
    change: AccountChange,
    now: OffsetDateTime,
) -> Result<(), StoreError> {
    tx.outbox()
        .enqueue(&OutboxMessage {
            id,
            recipient: Recipient::Email(to),
            content: MessageContent::AccountChanged { change },
            created_at: now,
        })
        .await
}

async fn audit(
    tx: &mut (dyn UnitOfWork + '_),
    at: OffsetDateTime,
    account: AccountId,
    kind: AuditKind,
    origin: Option<IpAddr>,
    detail: &str,
) -> Result<(), StoreError> {
    tx.audit()
        .append(&AuditEvent {
            at,
            actor: Some(account),
            subject: None,
            case: None,
            kind,
            origin,
            detail: detail.to_owned(),
        })
        .await
}
