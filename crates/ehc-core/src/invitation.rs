//! Invitations: the LA invites an e-mail address with the roles to grant on registration; the
//! e-mail carries a *Complete your registration* link with a single-use token.
//!
//! Token rules (docs/SECURITY.md): 32 random bytes, URL-safe base64 in the link, stored only as
//! SHA-256; valid 7 days; consumed atomically; a re-invite voids the older link. The
//! [`InvitationService`] issues invitations; [`crate::registration`] consumes them.

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::net::IpAddr;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::account::{AccountId, EmailAddress, EmailError, random_uuid};
use crate::audit::{AuditEvent, AuditKind};
use crate::outbox::{MessageContent, MessageId, OutboxMessage, Recipient};
use crate::ports::{RandomnessUnavailable, SecretSource, Store, StoreError, UnitOfWork};
use crate::role::{Action, GrantId, Grantor, Role, RoleGrant, authorize};
use crate::settings::SecuritySettings;

/// Token length in bytes.
pub const TOKEN_BYTES: usize = 32;

/// The secret of a registration link: 32 random bytes, written in the link as 43 characters of
/// URL-safe base64 without padding. `Debug` hides it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct InvitationToken([u8; TOKEN_BYTES]);

/// SHA-256 of a token's 32 bytes: all that storage keeps.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TokenHash(pub [u8; 32]);

impl fmt::Debug for TokenHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenHash(…)")
    }
}

impl InvitationToken {
    /// A new random token.
    ///
    /// # Errors
    /// [`RandomnessUnavailable`] from the source.
    pub fn generate(secrets: &dyn SecretSource) -> Result<Self, RandomnessUnavailable> {
        let mut bytes = [0u8; TOKEN_BYTES];
        secrets.fill(&mut bytes)?;
        Ok(Self(bytes))
    }

    /// Reads the token from a link.
    ///
    /// # Errors
    /// [`InvitationError::Unknown`] unless it is 43 characters of URL-safe base64 encoding 32
    /// bytes (a mangled link is just an unknown one to the person).
    pub fn parse(text: &str) -> Result<Self, InvitationError> {
        let text = text.trim();
        if text.len() != 43 {
            return Err(InvitationError::Unknown);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| InvitationError::Unknown)?;
        let array: [u8; TOKEN_BYTES] = bytes.try_into().map_err(|_| InvitationError::Unknown)?;
        Ok(Self(array))
    }

    /// The form used in the link.
    pub fn to_link_param(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0)
    }

    /// What storage keeps.
    pub fn hash(&self) -> TokenHash {
        TokenHash(Sha256::digest(self.0).into())
    }
}

impl fmt::Debug for InvitationToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InvitationToken(<hidden>)")
    }
}
impl TryFrom<String> for InvitationToken {
    type Error = InvitationError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}
impl From<InvitationToken> for String {
    fn from(value: InvitationToken) -> Self {
        value.to_link_param()
    }
}

/// An invitation's identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct InvitationId(pub Uuid);

/// Where an invitation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", content = "at", rename_all = "kebab-case")]
pub enum InvitationStatus {
    /// Sent, not yet used.
    Pending,
    /// Used to register, at this instant.
    Used(OffsetDateTime),
    /// Voided by a newer invitation of the same address, at this instant.
    Superseded(OffsetDateTime),
}

/// One invitation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// Identifier.
    pub id: InvitationId,
    /// The address invited.
    pub email: EmailAddress,
    /// Roles granted when the person registers.
    pub roles: Vec<Role>,
    /// Who invited.
    pub invited_by: Grantor,
    /// SHA-256 of the link's token.
    pub token_hash: TokenHash,
    /// When it was sent.
    pub created_at: OffsetDateTime,
    /// The link stops working at this instant (created + 7 days by default).
    pub expires_at: OffsetDateTime,
    /// Pending, used or superseded.
    pub status: InvitationStatus,
}

impl Invitation {
    /// Why this invitation's link cannot be used at `now`, if it cannot.
    ///
    /// # Errors
    /// [`InvitationError::Used`], [`InvitationError::Superseded`] or
    /// [`InvitationError::Expired`].
    pub fn usable_at(&self, now: OffsetDateTime) -> Result<(), InvitationError> {
        self.status.usable_at(self.expires_at, now)
    }
}

impl InvitationStatus {
    /// Why a single-use link with this status, working until `expires_at` (exclusive), cannot
    /// be used at `now`, if it cannot: the rule of every link the hub e-mails (registration,
    /// password reset, e-mail change).
    ///
    /// # Errors
    /// [`InvitationError::Used`], [`InvitationError::Superseded`] or
    /// [`InvitationError::Expired`].
    pub fn usable_at(
        self,
        expires_at: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<(), InvitationError> {
        match self {
            Self::Used(_) => Err(InvitationError::Used),
            Self::Superseded(_) => Err(InvitationError::Superseded),
            Self::Pending if now >= expires_at => Err(InvitationError::Expired),
            Self::Pending => Ok(()),
        }
    }
}

/// Why a registration link cannot be used. Every variant but `Store` is shown to the person as
/// the same "this link cannot be used" page ([`InvitationError::is_unusable_link`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvitationError {
    /// No invitation has this token (or the link is mangled).
    #[error("This link cannot be used")]
    Unknown,
    /// The link was already used to register.
    #[error("This link cannot be used")]
    Used,
    /// The link is older than its validity.
    #[error("This link cannot be used")]
    Expired,
    /// A newer invitation to the same address voided this link.
    #[error("This link cannot be used")]
    Superseded,
    /// A storage fault.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl InvitationError {
    /// Whether this is one of the "link cannot be used" outcomes (not a fault).
    pub fn is_unusable_link(&self) -> bool {
        !matches!(self, Self::Store(_))
    }
}

/// Storage of invitations.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait InvitationRepository: Send {
    /// Marks every pending invitation of the same canonical address superseded at
    /// `invitation.created_at`, then stores `invitation`.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn insert_superseding(&mut self, invitation: &Invitation) -> Result<(), StoreError>;

    /// The invitation whose token has this hash, whatever its status.
    ///
    /// # Errors
    /// [`StoreError`] on a fault; none is `Ok(None)`.
    async fn find_by_token(&mut self, hash: &TokenHash) -> Result<Option<Invitation>, StoreError>;

    /// The newest invitation to `email`'s canonical address, whatever its status.
    ///
    /// # Errors
    /// [`StoreError`] on a fault; none is `Ok(None)`.
    async fn latest_for_email(
        &mut self,
        email: &EmailAddress,
    ) -> Result<Option<Invitation>, StoreError>;

    /// Atomically marks the invitation used at `now` if it is pending and unexpired, and returns
    /// it. Two concurrent calls with one token: exactly one succeeds.
    ///
    /// # Errors
    /// [`InvitationError::Unknown`], [`InvitationError::Used`], [`InvitationError::Superseded`]
    /// or [`InvitationError::Expired`] when it cannot be consumed (nothing changes);
    /// [`InvitationError::Store`] on a fault.
    async fn consume(
        &mut self,
        hash: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<Invitation, InvitationError>;
}

/// What an invitation led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InviteOutcome {
    /// A new invitation was queued; the token is returned only so a development CLI can print
    /// the link (production prints nothing secret).
    Invited {
        /// The invitation.
        id: InvitationId,
        /// The link's token.
        token: InvitationToken,
    },
    /// The address already has an account: the roles were granted to it directly and an alert
    /// queued. No second account can ever be made for one address.
    GrantedToExistingAccount {
        /// The account.
        account: AccountId,
    },
}

/// Why an invitation was not made. Nothing is stored in any case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InviteError {
    /// The address is not valid.
    #[error(transparent)]
    Email(#[from] EmailError),
    /// No role was given.
    #[error("Choose at least one role")]
    NoRoles,
    /// The inviter may not invite, or may not grant one of the roles.
    #[error("You do not have permission to invite people with these roles")]
    NotAllowed,
    /// No randomness for the token.
    #[error(transparent)]
    Randomness(#[from] RandomnessUnavailable),
    /// A storage fault.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Issues invitations (the LA officer's *invite a person*, and the operator's CLI).
#[derive(Debug, Clone)]
pub struct InvitationService<S, R> {
    store: S,
    secrets: R,
    settings: SecuritySettings,
}

impl<S: Store, R: SecretSource> InvitationService<S, R> {
    /// Invites `email` with `roles`, on behalf of `by` (an LA officer's account, or the system
    /// for the operator's CLI). In one unit of work: the authorisation check, the invitation
    /// (voiding older links to the same address) or — when the address already has an account —
    /// the grants, the outbox message and the audit entry.
    ///
    /// # Errors
    /// [`InviteError`]; nothing is stored then.
    pub async fn invite(
        &self,
        by: Grantor,
        email: &str,
        roles: Vec<Role>,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<InviteOutcome, InviteError> {
        let email = EmailAddress::parse(email)?;
        let mut tx = self.store.begin().await?;
        let outcome = self
            .invite_in(&mut *tx, by, &email, roles, now, origin)
            .await?;
        tx.commit().await?;
        Ok(outcome)
    }
}

impl<S, R: SecretSource> InvitationService<S, R> {
    /// A service over these ports.
    pub fn new(store: S, secrets: R, settings: SecuritySettings) -> Self {
        Self {
            store,
            secrets,
            settings,
        }
    }

    /// [`InvitationService::invite`] inside the caller's unit of work `tx`, so a caller can
    /// write more in the same transaction (the case service adds a timeline entry). Nothing is
    /// committed here.
    ///
    /// # Errors
    /// [`InviteError`]; the caller must then drop `tx`.
    pub async fn invite_in(
        &self,
        tx: &mut dyn UnitOfWork,
        by: Grantor,
        email: &EmailAddress,
        roles: Vec<Role>,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<InviteOutcome, InviteError> {
        if roles.is_empty() {
            return Err(InviteError::NoRoles);
        }
        let email = email.clone();
        let actor = match by {
            Grantor::System => None,
            Grantor::Account(id) => {
                let grants = tx.grants().for_account(id).await?;
                let allowed = authorize(&grants, &Action::InvitePerson, now)
                    && roles
                        .iter()
                        .all(|r| authorize(&grants, &Action::GrantRole(r.clone()), now));
                if !allowed {
                    return Err(InviteError::NotAllowed);
                }
                Some(id)
            }
        };
        let outcome = if let Some(account) = tx.accounts().find_by_email(&email).await? {
            let new_roles = grant_new_roles::<InviteError>(
                tx,
                &self.secrets,
                account.id,
                &account.email,
                roles,
                by,
                now,
            )
            .await?;
            tx.audit()
                .append(&AuditEvent {
                    at: now,
                    actor,
                    subject: Some(account.id),
                    kind: AuditKind::RoleGranted,
                    origin,
                    case: new_roles.iter().find_map(Role::case),
                    detail: describe_roles(&new_roles),
                })
                .await?;
            InviteOutcome::GrantedToExistingAccount {
                account: account.id,
            }
        } else {
            // A newer link replaces a pending one but keeps its roles: inviting a parent to a
            // second child's case before they register must not lose the first.
            let mut roles = roles;
            let pending = tx.invitations().latest_for_email(&email).await?;
            for role in pending
                .filter(|p| p.usable_at(now).is_ok())
                .map(|p| p.roles)
                .unwrap_or_default()
                .into_iter()
                .rev()
            {
                if !roles.contains(&role) {
                    roles.insert(0, role);
                }
            }
            let token = InvitationToken::generate(&self.secrets)?;
            let invitation = Invitation {
                id: InvitationId(random_uuid(&self.secrets)?),
                email: email.clone(),
                roles: roles.clone(),
                invited_by: by,
                token_hash: token.hash(),
                created_at: now,
                expires_at: now + self.settings.invitation_valid_for,
                status: InvitationStatus::Pending,
            };
            tx.invitations().insert_superseding(&invitation).await?;
            let message = OutboxMessage {
                id: MessageId::generate(&self.secrets)?,
                recipient: Recipient::Email(email.clone()),
                content: MessageContent::Invitation {
                    token: token.clone(),
                    roles: roles.clone(),
                },
                created_at: now,
            };
            tx.outbox().enqueue(&message).await?;
            tx.audit()
                .append(&AuditEvent {
                    at: now,
                    actor,
                    subject: None,
                    kind: AuditKind::Invited,
                    origin,
                    case: roles.iter().find_map(Role::case),
                    detail: format!("{} as {}", email.canonical(), describe_roles(&roles)),
                })
                .await?;
            InviteOutcome::Invited {
                id: invitation.id,
                token,
            }
        };
        Ok(outcome)
    }
}

impl<S: Store, R: SecretSource> InvitationService<S, R> {
    /// *Send me a new link*: a person whose link cannot be used asks for a new one. A new link
    /// (same roles, same inviter; older links void) goes only to an address the LA invited that
    /// has no account yet, and at most once per `settings.new_link_interval` per address. The
    /// caller shows the same answer whatever happened, so the page reveals nothing.
    ///
    /// # Errors
    /// [`InviteError::Email`] for text that is not an address (said at the field);
    /// [`InviteError::Randomness`] or [`InviteError::Store`] on a fault.
    pub async fn send_new_link(
        &self,
        email: &str,
        now: OffsetDateTime,
        origin: Option<IpAddr>,
    ) -> Result<(), InviteError> {
        let email = EmailAddress::parse(email)?;
        let mut tx = self.store.begin().await?;
        if tx.accounts().find_by_email(&email).await?.is_some() {
            return Ok(());
        }
        let Some(latest) = tx.invitations().latest_for_email(&email).await? else {
            return Ok(());
        };
        if latest.created_at + self.settings.new_link_interval > now {
            return Ok(());
        }
        let token = InvitationToken::generate(&self.secrets)?;
        let invitation = Invitation {
            id: InvitationId(random_uuid(&self.secrets)?),
            email: latest.email.clone(),
            roles: latest.roles.clone(),
            invited_by: latest.invited_by,
            token_hash: token.hash(),
            created_at: now,
            expires_at: now + self.settings.invitation_valid_for,
            status: InvitationStatus::Pending,
        };
        tx.invitations().insert_superseding(&invitation).await?;
        let message = OutboxMessage {
            id: MessageId::generate(&self.secrets)?,
            recipient: Recipient::Email(latest.email.clone()),
            content: MessageContent::Invitation {
                token,
                roles: latest.roles.clone(),
            },
            created_at: now,
        };
        tx.outbox().enqueue(&message).await?;
        tx.audit()
            .append(&AuditEvent {
                at: now,
                actor: None,
                subject: None,
                kind: AuditKind::Invited,
                origin,
                case: None,
                detail: format!("{}: a new link, asked for by the person", email.canonical()),
            })
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// "LA officer; SENDCo for education setting 100001" — for audit details.
/// Grants `account` (whose address is `email`) those of `roles` it does not hold yet, granted
/// by `by` at `now`, and queues the "you have new access" e-mail when there are any: the roles
/// granted. The caller audits. Used by an invitation of an address that has an account, and by
/// an address change that takes up an invitation to the new address.
///
/// # Errors
/// [`StoreError`] or [`RandomnessUnavailable`] (as `E`) on a fault.
pub(crate) async fn grant_new_roles<E: From<StoreError> + From<RandomnessUnavailable>>(
    tx: &mut (dyn UnitOfWork + '_),
    secrets: &dyn SecretSource,
    account: AccountId,
    email: &EmailAddress,
    roles: Vec<Role>,
    by: Grantor,
    now: OffsetDateTime,
) -> Result<Vec<Role>, E> {
    let held: Vec<Role> = tx
        .grants()
        .for_account(account)
        .await?
        .into_iter()
        .filter(|g| g.is_active(now))
        .map(|g| g.role)
        .collect();
    let new_roles: Vec<Role> = roles.into_iter().filter(|r| !held.contains(r)).collect();
    for role in &new_roles {
        tx.grants()
            .insert(&RoleGrant {
                id: GrantId::generate(secrets)?,
                account,
                role: role.clone(),
                granted_by: by,
                granted_at: now,
                expires_at: None,
                revoked: None,
            })
            .await?;
    }
    if !new_roles.is_empty() {
        tx.outbox()
            .enqueue(&OutboxMessage {
                id: MessageId::generate(secrets)?,
                recipient: Recipient::Email(email.clone()),
                content: MessageContent::AccessGranted {
                    roles: new_roles.clone(),
                },
                created_at: now,
            })
            .await?;
    }
    Ok(new_roles)
}

pub(crate) fn describe_roles(roles: &[Role]) -> String {
    roles
        .iter()
        .map(Role::describe)
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::system::OsSecretSource;
    use proptest::prelude::*;

    #[test]
    fn a_token_is_43_url_safe_characters_and_only_its_hash_is_kept() {
        let token = InvitationToken::generate(&OsSecretSource).unwrap();
        let link = token.to_link_param();
        assert_eq!(link.len(), 43);
        assert!(
            link.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(InvitationToken::parse(&link).unwrap(), token);
        assert_eq!(token.hash(), InvitationToken::parse(&link).unwrap().hash());
        assert!(!format!("{token:?}").contains(&link));
    }

    proptest! {
        #[test]
        fn parsing_any_text_never_panics_and_mangled_links_are_unknown(text in any::<String>()) {
            match InvitationToken::parse(&text) {
                Ok(t) => prop_assert_eq!(t.to_link_param(), text.trim()),
                Err(e) => prop_assert_eq!(e, InvitationError::Unknown),
            }
        }
    }
}
