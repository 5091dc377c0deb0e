//! Registration: the *Complete your registration* page. The person chooses a password for the
//! address they were invited at; the invitation's token is consumed, the account created and
//! its roles granted in one unit of work.

use std::net::IpAddr;
use time::OffsetDateTime;

use crate::account::{Account, AccountError, AccountId, EmailAddress};
use crate::audit::{AuditEvent, AuditKind};
use crate::invitation::{InvitationError, InvitationToken, describe_roles};
use crate::password::{HashError, PasswordHasher, PasswordViolations};
use crate::ports::{RandomnessUnavailable, SecretSource, Store, StoreError};
use crate::role::{GrantId, RoleGrant};
use crate::settings::SecuritySettings;

/// Why registration did not happen. Nothing is stored in any case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistrationError {
    /// The link is unknown, used, superseded or expired: one "link cannot be used" page.
    #[error(transparent)]
    Link(InvitationError),
    /// The password breaks these rules (all of them are listed).
    #[error(transparent)]
    Password(PasswordViolations),
    /// The address already has an account (registered meanwhile through another link).
    #[error("An account with this email address already exists. Sign in instead")]
    AlreadyRegistered,
    /// Hashing failed.
    #[error(transparent)]
    Hash(#[from] HashError),
    /// No randomness for the ids.
    #[error(transparent)]
    Randomness(#[from] RandomnessUnavailable),
    /// A storage fault.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for RegistrationError {
    fn from(e: StoreError) -> Self {
        Self::Store(e)
    }
}

impl From<InvitationError> for RegistrationError {
    fn from(e: InvitationError) -> Self {
        match e {
            InvitationError::Store(s) => Self::Store(s),
            other => Self::Link(other),
        }
    }
}

/// Completes registrations.
#[derive(Debug, Clone)]
pub struct RegistrationService<S, H, R> {
    store: S,
    hasher: H,
    secrets: R,
    settings: SecuritySettings,
}

impl<S: Store, H: PasswordHasher, R: SecretSource> RegistrationService<S, H, R> {
    /// A service over these ports.
    pub fn new(store: S, hasher: H, secrets: R, settings: SecuritySettings) -> Self {
        Self {
            store,
            hasher,
            secrets,
            settings,
        }
    }

    /// The address a registration link was sent to, if the link can still be used at `now`
    /// (for showing the page). Changes nothing.
    ///
    /// # Errors
    /// [`RegistrationError::Link`] when it cannot; [`RegistrationError::Store`] on a fault.
    pub async fn open(
        &self,
        token: &str,
        now: OffsetDateTime,
    ) -> Result<EmailAddress, RegistrationError> {
        let token = InvitationToken::parse(token)?;
        let mut tx = self.store.begin().await?;
        let invitation = tx
            .invitations()
            .find_by_token(&token.hash())
            .await?
            .ok_or(InvitationError::Unknown)?;
        invitation.usable_at(now)?;
        Ok(invitation.email)
    }

    /// Registers with `password` (and its `confirmation`) through the link's `token`.
    ///
    /// The password is checked against the policy (every broken rule reported) before anything
    /// else is written; then, in one unit of work, the token is consumed atomically, the account
    /// created and the invitation's roles granted, with an audit entry.
    ///
    /// # Errors
    /// [`RegistrationError`]; nothing is stored then, and the link stays usable unless it was
    /// the link that was at fault.
    pub async fn register(
        &self,
        token: &str,
        password: &str,
        confirmation: &str,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<AccountId, RegistrationError> {
        let email = self.open(token, now).await?;
        let password = self
            .settings
            .check_new_password(password, confirmation, &email)
            .map_err(RegistrationError::Password)?;
        let password_hash = self.hasher.hash(&password).await?;
        let token = InvitationToken::parse(token)?;
        let account_id = AccountId::generate(&self.secrets)?;

        let mut tx = self.store.begin().await?;
        let invitation = tx.invitations().consume(&token.hash(), now).await?;
        let account = Account {
            id: account_id,
            email: invitation.email.clone(),
            password_hash,
            created_at: now,
        };
        match tx.accounts().insert(&account).await {
            Ok(()) => {}
            Err(AccountError::EmailTaken) => return Err(RegistrationError::AlreadyRegistered),
            Err(AccountError::Store(e)) => return Err(e.into()),
        }
        for role in &invitation.roles {
            let grant = RoleGrant {
                id: GrantId::generate(&self.secrets)?,
                account: account_id,
                role: role.clone(),
                granted_by: invitation.invited_by,
                granted_at: now,
                expires_at: None,
                revoked: None,
            };
            tx.grants().insert(&grant).await?;
        }
        tx.audit()
            .append(&AuditEvent {
                at: now,
                actor: Some(account_id),
                subject: None,
                kind: AuditKind::Registered,
                origin,
                case: invitation.roles.iter().find_map(crate::role::Role::case),
                detail: describe_roles(&invitation.roles),
            })
            .await?;
        tx.commit().await?;
        Ok(account_id)
    }
}
