//! Roles, role grants and the pure authorisation function.
//!
//! The LA grants every role (docs/DOMAIN.md): LA officer, SENDCo for one education setting,
//! contributor of advice to one case, parent/carer or young person of one case, advocate acting
//! for one person. [`authorize`] decides from the grants alone, with `now` as an argument, so it
//! can be tested exhaustively; the [`RoleGrantRepository`] port stores grants.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::fmt;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::account::{AccountId, random_uuid};
use crate::ports::{RandomnessUnavailable, SecretSource, StoreError};

/// A DfE Unique Reference Number of an education setting, as listed in *Get Information about
/// Schools*: 6 ASCII digits, 100000–999999.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Urn(u32);

/// The input is not a URN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Enter a URN of 6 digits, like 100000")]
pub struct UrnError;

impl Urn {
    /// Parses 6 ASCII digits (surrounding white space ignored).
    ///
    /// # Errors
    /// [`UrnError`] for anything else.
    pub fn parse(input: &str) -> Result<Self, UrnError> {
        let s = input.trim();
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) || s.starts_with('0') {
            return Err(UrnError);
        }
        s.parse().map(Self).map_err(|_| UrnError)
    }

    /// The number.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl fmt::Display for Urn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
impl TryFrom<String> for Urn {
    type Error = UrnError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}
impl From<Urn> for String {
    fn from(value: Urn) -> Self {
        value.to_string()
    }
}

pub use crate::case::CaseId;

/// A role the LA grants, with its scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "role", rename_all = "kebab-case")]
pub enum Role {
    /// The LA's own staff (case officer, team manager): every case of the LA; invites people and
    /// grants roles.
    LaOfficer,
    /// SENDCo (or other staff holding the SENDCo role) for one education setting: the cases
    /// linked to that setting.
    Sendco {
        /// The setting's URN.
        setting: Urn,
    },
    /// Gives advice for one case (reg 6(1)): that case only, as far as the advice request.
    Contributor {
        /// The case.
        case: CaseId,
    },
    /// Parent or carer of the child of one case.
    ParentCarer {
        /// The case.
        case: CaseId,
    },
    /// The young person (16–25) of one case.
    YoungPerson {
        /// The case.
        case: CaseId,
    },
    /// Advocate or independent supporter acting for one person: sees what that person sees,
    /// while the grant lasts.
    Advocate {
        /// The person acted for.
        for_person: AccountId,
    },
}

impl Role {
    /// Words for pages: "LA officer", "SENDCo for 100001", …
    pub fn describe(&self) -> String {
        match self {
            Self::LaOfficer => "LA officer".to_owned(),
            Self::Sendco { setting } => format!("SENDCo for education setting {setting}"),
            Self::Contributor { .. } => "Contributor of advice".to_owned(),
            Self::ParentCarer { .. } => "Parent or carer".to_owned(),
            Self::YoungPerson { .. } => "Young person".to_owned(),
            Self::Advocate { .. } => "Advocate".to_owned(),
        }
    }

    /// The case the role is for (contributor, parent or carer, young person); `None` for the
    /// others.
    pub fn case(&self) -> Option<CaseId> {
        match self {
            Self::Contributor { case }
            | Self::ParentCarer { case }
            | Self::YoungPerson { case } => Some(*case),
            Self::LaOfficer | Self::Sendco { .. } | Self::Advocate { .. } => None,
        }
    }
}

/// A grant's identifier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct GrantId(pub Uuid);

impl GrantId {
    /// A new random id.
    ///
    /// # Errors
    /// [`RandomnessUnavailable`] from the source.
    pub fn generate(secrets: &dyn SecretSource) -> Result<Self, RandomnessUnavailable> {
        random_uuid(secrets).map(Self)
    }
}

/// Who granted (or revoked) a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", content = "account", rename_all = "kebab-case")]
pub enum Grantor {
    /// The hub itself, e.g. the operator's `ehc-hub invite` for the first LA officer.
    System,
    /// An LA officer's account.
    Account(AccountId),
}

/// One role held by one account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleGrant {
    /// Identifier.
    pub id: GrantId,
    /// Who holds the role.
    pub account: AccountId,
    /// The role and its scope.
    pub role: Role,
    /// Who granted it.
    pub granted_by: Grantor,
    /// When it was granted.
    pub granted_at: OffsetDateTime,
    /// When it lapses by itself (e.g. an advocate's grant), if ever.
    pub expires_at: Option<OffsetDateTime>,
    /// When and by whom it was revoked, if it was.
    pub revoked: Option<(Grantor, OffsetDateTime)>,
}

impl RoleGrant {
    /// Whether the grant counts at `now`: not revoked, and `now` before its expiry.
    pub fn is_active(&self, now: OffsetDateTime) -> bool {
        self.revoked.is_none() && self.expires_at.is_none_or(|end| now < end)
    }
}

/// What someone wants to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Invite a person to register.
    InvitePerson,
    /// Grant this role to someone (also when inviting with it).
    GrantRole(Role),
    /// Revoke a grant.
    RevokeGrant,
    /// Remove a person's second factor so that they set up a new one (a lost phone).
    ResetSecondFactor,
    /// See a case at all: its summary and the parts of it meant for the viewer (a contributor:
    /// their own advice request).
    ViewCase {
        /// The case.
        case: CaseId,
        /// Settings linked to the case.
        settings: Vec<Urn>,
    },
    /// See the whole of a case: the tracker, the timeline for participants, the people involved.
    ViewCaseDetails {
        /// The case.
        case: CaseId,
        /// Settings linked to the case.
        settings: Vec<Urn>,
    },
    /// Create a case (the LA's back office).
    CreateCase,
    /// Change a case: record events and exceptions, link settings, assign the officer, invite
    /// people to it.
    ManageCase(CaseId),
    /// See the *Setting cases* tray of one setting.
    ViewSettingCases(Urn),
    /// Search and export the audit log (the LA's own staff only).
    ViewAuditLog,
}

/// How far a person may see one case, by the part they take in it. Empty: not at all.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CaseAccess {
    /// As the LA's staff.
    pub la: bool,
    /// As SENDCo of a linked setting.
    pub setting: bool,
    /// As the family: parent or carer, young person, or their advocate.
    pub family: bool,
    /// As a contributor of advice (their account): their own advice requests only.
    pub contributor: Option<AccountId>,
}

impl CaseAccess {
    /// Whether the person may see the case at all.
    pub fn any(&self) -> bool {
        self.is_participant() || self.contributor.is_some()
    }

    /// Whether the person sees the whole case (tracker, people): the LA, the settings, the family.
    pub fn is_participant(&self) -> bool {
        self.la || self.setting || self.family
    }
}

/// How far `grants` (after [`with_advocacy`]) let their holder see `case`, linked to
/// `settings`, at `now`. Pure. Inactive grants count for nothing.
pub fn case_access(
    grants: &[RoleGrant],
    case: CaseId,
    settings: &[Urn],
    now: OffsetDateTime,
) -> CaseAccess {
    let mut access = CaseAccess::default();
    for g in grants.iter().filter(|g| g.is_active(now)) {
        match &g.role {
            Role::LaOfficer => access.la = true,
            Role::Sendco { setting } if settings.contains(setting) => access.setting = true,
            Role::ParentCarer { case: c } | Role::YoungPerson { case: c } if *c == case => {
                access.family = true;
            }
            Role::Contributor { case: c } if *c == case => access.contributor = Some(g.account),
            Role::Sendco { .. }
            | Role::ParentCarer { .. }
            | Role::YoungPerson { .. }
            | Role::Contributor { .. }
            | Role::Advocate { .. } => {}
        }
    }
    access
}

/// Whether `grants` allow `action` at `now`. Pure: no grant lookup, no clock.
///
/// Rules (docs/DOMAIN.md): an LA officer may do everything (every case of the LA: one hub
/// serves one LA); a SENDCo may see their setting's tray and the whole of the cases linked to
/// their setting; a parent/carer or young person the whole of their own case; a contributor
/// only their case's summary and their advice request ([`Action::ViewCase`], not
/// [`Action::ViewCaseDetails`]). Only an LA officer creates or changes cases, invites or grants (a SENDCo role is granted only by
/// the LA). Inactive grants (revoked or expired) count for nothing. Advocates act through
/// [`with_advocacy`].
pub fn authorize(grants: &[RoleGrant], action: &Action, now: OffsetDateTime) -> bool {
    grants
        .iter()
        .filter(|g| g.is_active(now))
        .any(|g| role_allows(&g.role, action))
}

fn role_allows(role: &Role, action: &Action) -> bool {
    match (role, action) {
        (Role::LaOfficer, _) => true,
        (Role::Sendco { setting }, Action::ViewSettingCases(urn)) => setting == urn,
        (
            Role::Sendco { setting },
            Action::ViewCase { settings, .. } | Action::ViewCaseDetails { settings, .. },
        ) => settings.contains(setting),
        (
            Role::Contributor { case } | Role::ParentCarer { case } | Role::YoungPerson { case },
            Action::ViewCase { case: wanted, .. },
        )
        | (
            Role::ParentCarer { case } | Role::YoungPerson { case },
            Action::ViewCaseDetails { case: wanted, .. },
        ) => case == wanted,
        (
            Role::Sendco { .. }
            | Role::Contributor { .. }
            | Role::ParentCarer { .. }
            | Role::YoungPerson { .. }
            | Role::Advocate { .. },
            _,
        ) => false,
    }
}

/// The grants that count for a person who may be an advocate: their own, plus — for each active
/// advocate grant — the family grants (parent/carer, young person) of the person they act for,
/// lasting no longer than the advocate grant itself. `principals` holds the grants of the
/// people acted for.
pub fn with_advocacy(
    own: &[RoleGrant],
    principals: &[(AccountId, Vec<RoleGrant>)],
    now: OffsetDateTime,
) -> Vec<RoleGrant> {
    let mut effective = own.to_vec();
    for advocacy in own.iter().filter(|g| g.is_active(now)) {
        let Role::Advocate { for_person } = advocacy.role else {
            continue;
        };
        let principal_grants = principals
            .iter()
            .filter(|(id, _)| *id == for_person)
            .flat_map(|(_, grants)| grants);
        for g in principal_grants {
            if matches!(g.role, Role::ParentCarer { .. } | Role::YoungPerson { .. }) {
                let expires_at = match (advocacy.expires_at, g.expires_at) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                effective.push(RoleGrant {
                    account: advocacy.account,
                    expires_at,
                    ..g.clone()
                });
            }
        }
    }
    effective
}

/// Storage of role grants.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait RoleGrantRepository: Send {
    /// Stores a new grant.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn insert(&mut self, grant: &RoleGrant) -> Result<(), StoreError>;

    /// Every grant of `account`, active or not, oldest first.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn for_account(&mut self, account: AccountId) -> Result<Vec<RoleGrant>, StoreError>;

    /// Every grant, active or not, that gives access to `case` (linked to `settings`): the
    /// case's contributors, parents/carers and young person, the SENDCos of those settings, and
    /// the advocates of anyone holding a parent/carer or young-person grant on the case. LA
    /// officers (who see every case) are not listed. Oldest first.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn for_case(
        &mut self,
        case: CaseId,
        settings: &[Urn],
    ) -> Result<Vec<RoleGrant>, StoreError>;

    /// Every LA-officer grant, active or not, oldest first (to choose a case officer).
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn la_officers(&mut self) -> Result<Vec<RoleGrant>, StoreError>;

    /// Marks a grant revoked; `Ok(false)` when no active grant has this id.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn revoke(
        &mut self,
        id: GrantId,
        by: Grantor,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError>;
}

/// Why a grant or revocation was not made. Nothing is stored in any case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    /// The person acting may not grant this role or revoke grants.
    #[error("You do not have permission to change this person's roles")]
    NotAllowed,
    /// No account has this id.
    #[error("There is no such person")]
    UnknownAccount,
    /// No active grant has this id.
    #[error("That role has already been removed")]
    UnknownGrant,
    /// An expiry at or before the grant itself.
    #[error("The end date must be in the future")]
    ExpiryNotInFuture,
    /// No randomness for the id.
    #[error(transparent)]
    Randomness(#[from] RandomnessUnavailable),
    /// A storage fault.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Grants and revokes roles of existing accounts (the LA's *people and their roles*), each
/// authorised with [`authorize`] and audited in the same unit of work. Inviting new people is
/// [`crate::invitation::InvitationService`].
#[derive(Debug, Clone)]
pub struct RoleGrantService<S, R> {
    store: S,
    secrets: R,
}

impl<S: crate::ports::Store, R: SecretSource> RoleGrantService<S, R> {
    /// A service over these ports.
    pub fn new(store: S, secrets: R) -> Self {
        Self { store, secrets }
    }

    async fn check(
        tx: &mut (dyn crate::ports::UnitOfWork + '_),
        by: Grantor,
        action: &Action,
        now: OffsetDateTime,
    ) -> Result<Option<AccountId>, GrantError> {
        match by {
            Grantor::System => Ok(None),
            Grantor::Account(id) => {
                let grants = tx.grants().for_account(id).await?;
                if authorize(&grants, action, now) {
                    Ok(Some(id))
                } else {
                    Err(GrantError::NotAllowed)
                }
            }
        }
    }

    /// Grants `role` to `account` until `expires_at` (if given), on behalf of `by`.
    ///
    /// # Errors
    /// [`GrantError`]; nothing is stored then.
    pub async fn grant(
        &self,
        by: Grantor,
        account: AccountId,
        role: Role,
        expires_at: Option<OffsetDateTime>,
        now: OffsetDateTime,
        origin: Option<std::net::IpAddr>,
    ) -> Result<GrantId, GrantError> {
        if expires_at.is_some_and(|end| end <= now) {
            return Err(GrantError::ExpiryNotInFuture);
        }
        let mut tx = self.store.begin().await?;
        let actor = Self::check(&mut *tx, by, &Action::GrantRole(role.clone()), now).await?;
        if tx.accounts().get(account).await?.is_none() {
            return Err(GrantError::UnknownAccount);
        }
        let grant = RoleGrant {
            id: GrantId::generate(&self.secrets)?,
            account,
            role,
            granted_by: by,
            granted_at: now,
            expires_at,
            revoked: None,
        };
        tx.grants().insert(&grant).await?;
        tx.audit()
            .append(&crate::audit::AuditEvent {
                at: now,
                actor,
                subject: Some(account),
                kind: crate::audit::AuditKind::RoleGranted,
                origin,
                case: grant.role.case(),
                detail: grant.role.describe(),
            })
            .await?;
        tx.commit().await?;
        Ok(grant.id)
    }

    /// Revokes the grant `id` of `account`, on behalf of `by`; it counts for nothing from `now`.
    ///
    /// # Errors
    /// [`GrantError`]; nothing is stored then.
    pub async fn revoke(
        &self,
        by: Grantor,
        account: AccountId,
        id: GrantId,
        now: OffsetDateTime,
        origin: Option<std::net::IpAddr>,
    ) -> Result<(), GrantError> {
        let mut tx = self.store.begin().await?;
        let actor = Self::check(&mut *tx, by, &Action::RevokeGrant, now).await?;
        let held = tx.grants().for_account(account).await?;
        let Some(grant) = held.iter().find(|g| g.id == id && g.revoked.is_none()) else {
            return Err(GrantError::UnknownGrant);
        };
        if !tx.grants().revoke(id, by, now).await? {
            return Err(GrantError::UnknownGrant);
        }
        tx.audit()
            .append(&crate::audit::AuditEvent {
                at: now,
                actor,
                subject: Some(account),
                kind: crate::audit::AuditKind::RoleRevoked,
                origin,
                case: grant.role.case(),
                detail: grant.role.describe(),
            })
            .await?;
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-11-29 09:00 UTC);

    fn grant(role: Role) -> RoleGrant {
        RoleGrant {
            id: GrantId(Uuid::from_u128(1)),
            account: AccountId(Uuid::from_u128(7)),
            role,
            granted_by: Grantor::System,
            granted_at: datetime!(2026-01-01 0:00 UTC),
            expires_at: None,
            revoked: None,
        }
    }

    fn case(n: u128) -> CaseId {
        CaseId(Uuid::from_u128(n))
    }
    fn urn(n: &str) -> Urn {
        Urn::parse(n).unwrap()
    }

    /// Every role against every kind of action, with the resource inside and outside its scope.
    #[test]
    fn the_authorisation_table_holds_for_every_role_and_action() {
        let a = urn("100001");
        let b = urn("100002");
        let mine = case(1);
        let other = case(2);
        let view = |c, s: Vec<Urn>| Action::ViewCase {
            case: c,
            settings: s,
        };
        let details = |c, s: Vec<Urn>| Action::ViewCaseDetails {
            case: c,
            settings: s,
        };
        let actions: Vec<(&str, Action)> = vec![
            ("invite", Action::InvitePerson),
            (
                "grant-sendco",
                Action::GrantRole(Role::Sendco { setting: a }),
            ),
            ("grant-officer", Action::GrantRole(Role::LaOfficer)),
            ("revoke", Action::RevokeGrant),
            ("reset-second-factor", Action::ResetSecondFactor),
            ("view-own-case", view(mine, vec![b])),
            ("view-case-at-A", view(other, vec![a])),
            ("view-other-case", view(other, vec![b])),
            ("details-own-case", details(mine, vec![b])),
            ("details-case-at-A", details(other, vec![a])),
            ("details-other-case", details(other, vec![b])),
            ("create-case", Action::CreateCase),
            ("manage-own-case", Action::ManageCase(mine)),
            ("manage-other-case", Action::ManageCase(other)),
            ("tray-A", Action::ViewSettingCases(a)),
            ("tray-B", Action::ViewSettingCases(b)),
            ("audit-log", Action::ViewAuditLog),
        ];
        let roles: Vec<(&str, Role, &[&str])> = vec![
            (
                "la-officer",
                Role::LaOfficer,
                &[
                    "invite",
                    "grant-sendco",
                    "grant-officer",
                    "revoke",
                    "reset-second-factor",
                    "view-own-case",
                    "view-case-at-A",
                    "view-other-case",
                    "details-own-case",
                    "details-case-at-A",
                    "details-other-case",
                    "create-case",
                    "manage-own-case",
                    "manage-other-case",
                    "tray-A",
                    "tray-B",
                    "audit-log",
                ],
            ),
            (
                "sendco-A",
                Role::Sendco { setting: a },
                &["view-case-at-A", "details-case-at-A", "tray-A"],
            ),
            (
                "contributor",
                Role::Contributor { case: mine },
                &["view-own-case"],
            ),
            (
                "parent",
                Role::ParentCarer { case: mine },
                &["view-own-case", "details-own-case"],
            ),
            (
                "young-person",
                Role::YoungPerson { case: mine },
                &["view-own-case", "details-own-case"],
            ),
            (
                "advocate-alone",
                Role::Advocate {
                    for_person: AccountId(Uuid::from_u128(9)),
                },
                &[],
            ),
        ];
        for (role_name, role, allowed) in &roles {
            for (action_name, action) in &actions {
                let expected = allowed.contains(action_name);
                assert_eq!(
                    authorize(&[grant(role.clone())], action, NOW),
                    expected,
                    "{role_name} × {action_name}"
                );
            }
        }
    }

    /// `case_access` agrees with `authorize` for every role, inside and outside its scope.
    #[test]
    fn case_access_matches_the_authorisation_rules() {
        let a = urn("100001");
        let roles = [
            Role::LaOfficer,
            Role::Sendco { setting: a },
            Role::Sendco {
                setting: urn("100002"),
            },
            Role::Contributor { case: case(1) },
            Role::Contributor { case: case(2) },
            Role::ParentCarer { case: case(1) },
            Role::YoungPerson { case: case(1) },
            Role::ParentCarer { case: case(2) },
            Role::Advocate {
                for_person: AccountId(Uuid::from_u128(9)),
            },
        ];
        for role in roles {
            let grants = [grant(role.clone())];
            let access = case_access(&grants, case(1), &[a], NOW);
            let view = Action::ViewCase {
                case: case(1),
                settings: vec![a],
            };
            let details = Action::ViewCaseDetails {
                case: case(1),
                settings: vec![a],
            };
            assert_eq!(access.any(), authorize(&grants, &view, NOW), "{role:?}");
            assert_eq!(
                access.is_participant(),
                authorize(&grants, &details, NOW),
                "{role:?}"
            );
            let mut revoked = grant(role.clone());
            revoked.revoked = Some((Grantor::System, NOW));
            assert!(
                !case_access(&[revoked], case(1), &[a], NOW).any(),
                "{role:?}"
            );
        }
    }

    #[test]
    fn revoked_and_expired_grants_allow_nothing() {
        let mut revoked = grant(Role::LaOfficer);
        revoked.revoked = Some((Grantor::System, datetime!(2026-11-01 0:00 UTC)));
        assert!(!authorize(&[revoked], &Action::InvitePerson, NOW));
        let mut expired = grant(Role::LaOfficer);
        expired.expires_at = Some(NOW);
        assert!(!authorize(&[expired.clone()], &Action::InvitePerson, NOW));
        assert!(authorize(
            &[expired],
            &Action::InvitePerson,
            NOW - time::Duration::SECOND
        ));
    }

    #[test]
    fn an_advocate_sees_what_the_person_sees_while_the_grant_lasts() {
        let principal = AccountId(Uuid::from_u128(9));
        let mut advocacy = grant(Role::Advocate {
            for_person: principal,
        });
        advocacy.expires_at = Some(datetime!(2026-12-01 0:00 UTC));
        let principal_grants = vec![
            grant(Role::ParentCarer { case: case(1) }),
            grant(Role::LaOfficer), // never passed on
        ];
        let effective = with_advocacy(&[advocacy], &[(principal, principal_grants)], NOW);
        let view = Action::ViewCase {
            case: case(1),
            settings: vec![],
        };
        assert!(authorize(&effective, &view, NOW));
        assert!(!authorize(&effective, &Action::InvitePerson, NOW));
        assert!(!authorize(
            &effective,
            &view,
            datetime!(2026-12-01 0:00 UTC)
        ));
    }

    #[test]
    fn urns_are_six_digits() {
        assert_eq!(urn(" 123456 ").get(), 123_456);
        for bad in ["12345", "1234567", "12a456", "", "012345", "+12345"] {
            assert_eq!(Urn::parse(bad), Err(UrnError), "{bad:?}");
        }
    }
}
