//! [`InMemoryStore`]: every storage port in memory, with the same atomic rules the database
//! adapters must keep. A unit of work holds the store's lock from `begin` to commit or drop and
//! works on a copy, so units of work are serialisable and an uncommitted one leaves no trace.

mod alerts;
mod cases;
mod documents;
mod settings;

use async_lock::{Mutex, MutexGuardArc};
use async_trait::async_trait;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use time::OffsetDateTime;

use crate::account::{Account, AccountError, AccountId, AccountRepository, EmailAddress};
use crate::account_change::{EmailChange, EmailChangeRepository};
use crate::alert::{AlertPreference, AlertRepository, ParkedAlert};
use crate::audit::{AuditEntry, AuditEvent, AuditFilter, AuditKey, AuditLog, PagePosition};
use crate::case::timeline::TimelineEntry;
use crate::case::{CaseId, CaseRepository, StoredCase};
use crate::document::{Document, DocumentRepository};
use crate::invitation::{
    Invitation, InvitationError, InvitationRepository, InvitationStatus, TokenHash,
};
use crate::lockout::{Lockout, LockoutKind, LockoutPolicy, LockoutRepository};
use crate::outbox::{DeliveryState, MessageId, Outbox, OutboxEntry, OutboxMessage};
use crate::password::PasswordHash;
use crate::ports::{Store, StoreError, UnitOfWork};
use crate::recovery::{PasswordReset, PasswordResetRepository};
use crate::role::{GrantId, Grantor, Role, RoleGrant, RoleGrantRepository};
use crate::second_factor::{
    EnrolError, Enrolment, RecoveryCodeHash, SecondFactorRepository, SmsCodeHash, SmsSendDecision,
    SmsSendLimit, StoredSmsCode,
};
use crate::setting::{EducationSetting, SettingRepository, Urn};

#[derive(Debug, Clone)]
struct StoredCode {
    code: StoredSmsCode,
    used: bool,
}

/// Everything the store holds.
#[derive(Debug, Clone, Default)]
struct State {
    accounts: Vec<Account>,
    invitations: Vec<Invitation>,
    password_resets: Vec<PasswordReset>,
    email_changes: Vec<EmailChange>,
    sessions_ended: HashMap<AccountId, OffsetDateTime>,
    grants: Vec<RoleGrant>,
    enrolments: HashMap<AccountId, Enrolment>,
    last_totp_step: HashMap<AccountId, u64>,
    sms_codes: HashMap<AccountId, Vec<StoredCode>>,
    /// Each account's recovery codes: (hash, used).
    recovery_codes: HashMap<AccountId, Vec<(RecoveryCodeHash, bool)>>,
    lockouts: HashMap<(AccountId, LockoutKind), Lockout>,
    outbox: Vec<OutboxMessage>,
    audit: Vec<AuditEvent>,
    cases: Vec<StoredCase>,
    timeline: Vec<TimelineEntry>,
    documents: Vec<Document>,
    settings: BTreeMap<Urn, EducationSetting>,
    alert_preferences: HashMap<AccountId, AlertPreference>,
    parked_alerts: Vec<ParkedAlert>,
}

/// The in-memory store. Clone it freely: clones share one state.
#[derive(Debug, Clone, Default)]
pub struct InMemoryStore {
    state: Arc<Mutex<State>>,
}

impl InMemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// An independent copy of everything stored now (later changes to either do not reach the
    /// other): a prepared store can be copied for each property-test case.
    pub async fn deep_copy(&self) -> Self {
        let state = self.state.lock().await.clone();
        Self {
            state: Arc::new(Mutex::new(state)),
        }
    }

    /// Every message queued so far, oldest first.
    pub async fn outbox_messages(&self) -> Vec<OutboxMessage> {
        self.state.lock().await.outbox.clone()
    }

    /// Every audit entry so far, oldest first.
    pub async fn audit_events(&self) -> Vec<AuditEvent> {
        self.state.lock().await.audit.clone()
    }

    /// Every account.
    pub async fn accounts(&self) -> Vec<Account> {
        self.state.lock().await.accounts.clone()
    }
}

#[async_trait]
impl Store for InMemoryStore {
    async fn begin(&self) -> Result<Box<dyn UnitOfWork + '_>, StoreError> {
        let guard = self.state.lock_arc().await;
        let working = (*guard).clone();
        Ok(Box::new(MemoryUnitOfWork { guard, working }))
    }
}

struct MemoryUnitOfWork {
    guard: MutexGuardArc<State>,
    working: State,
}

#[async_trait]
impl UnitOfWork for MemoryUnitOfWork {
    fn accounts(&mut self) -> &mut dyn AccountRepository {
        self
    }
    fn invitations(&mut self) -> &mut dyn InvitationRepository {
        self
    }
    fn password_resets(&mut self) -> &mut dyn PasswordResetRepository {
        self
    }
    fn email_changes(&mut self) -> &mut dyn EmailChangeRepository {
        self
    }
    fn grants(&mut self) -> &mut dyn RoleGrantRepository {
        self
    }
    fn settings(&mut self) -> &mut dyn SettingRepository {
        self
    }
    fn second_factors(&mut self) -> &mut dyn SecondFactorRepository {
        self
    }
    fn lockouts(&mut self) -> &mut dyn LockoutRepository {
        self
    }
    fn outbox(&mut self) -> &mut dyn Outbox {
        self
    }
    fn audit(&mut self) -> &mut dyn AuditLog {
        self
    }
    fn cases(&mut self) -> &mut dyn CaseRepository {
        self
    }
    fn alerts(&mut self) -> &mut dyn AlertRepository {
        self
    }
    fn documents(&mut self) -> &mut dyn DocumentRepository {
        self
    }
    async fn commit(self: Box<Self>) -> Result<(), StoreError> {
        let Self { mut guard, working } = *self;
        *guard = working;
        Ok(())
    }
}

#[async_trait]
impl AccountRepository for MemoryUnitOfWork {
    async fn insert(&mut self, account: &Account) -> Result<(), AccountError> {
        if self
            .working
            .accounts
            .iter()
            .any(|a| a.email == account.email)
        {
            return Err(AccountError::EmailTaken);
        }
        self.working.accounts.push(account.clone());
        Ok(())
    }
    async fn find_by_email(&mut self, email: &EmailAddress) -> Result<Option<Account>, StoreError> {
        Ok(self
            .working
            .accounts
            .iter()
            .find(|a| &a.email == email)
            .cloned())
    }
    async fn get(&mut self, id: AccountId) -> Result<Option<Account>, StoreError> {
        Ok(self.working.accounts.iter().find(|a| a.id == id).cloned())
    }
    async fn get_many(&mut self, ids: &[AccountId]) -> Result<Vec<Account>, StoreError> {
        Ok(self
            .working
            .accounts
            .iter()
            .filter(|a| ids.contains(&a.id))
            .cloned()
            .collect())
    }
    async fn set_password_hash(
        &mut self,
        id: AccountId,
        hash: &PasswordHash,
    ) -> Result<(), StoreError> {
        if let Some(a) = self.working.accounts.iter_mut().find(|a| a.id == id) {
            a.password_hash = hash.clone();
        }
        Ok(())
    }
    async fn set_email(&mut self, id: AccountId, email: &EmailAddress) -> Result<(), AccountError> {
        if self
            .working
            .accounts
            .iter()
            .any(|a| a.id != id && &a.email == email)
        {
            return Err(AccountError::EmailTaken);
        }
        if let Some(a) = self.working.accounts.iter_mut().find(|a| a.id == id) {
            a.email = email.clone();
        }
        Ok(())
    }
    async fn end_sessions(&mut self, id: AccountId, at: OffsetDateTime) -> Result<(), StoreError> {
        if self.working.accounts.iter().any(|a| a.id == id) {
            self.working.sessions_ended.insert(id, at);
        }
        Ok(())
    }
    async fn sessions_ended_at(
        &mut self,
        id: AccountId,
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        Ok(self.working.sessions_ended.get(&id).copied())
    }
}

#[async_trait]
impl PasswordResetRepository for MemoryUnitOfWork {
    async fn insert_superseding(&mut self, reset: &PasswordReset) -> Result<(), StoreError> {
        for older in &mut self.working.password_resets {
            if older.account == reset.account && older.status == InvitationStatus::Pending {
                older.status = InvitationStatus::Superseded(reset.created_at);
            }
        }
        self.working.password_resets.push(reset.clone());
        Ok(())
    }
    async fn find_by_token(
        &mut self,
        hash: &TokenHash,
    ) -> Result<Option<PasswordReset>, StoreError> {
        Ok(self
            .working
            .password_resets
            .iter()
            .find(|r| &r.token_hash == hash)
            .cloned())
    }
    async fn latest_for_account(
        &mut self,
        account: AccountId,
    ) -> Result<Option<PasswordReset>, StoreError> {
        Ok(self
            .working
            .password_resets
            .iter()
            .filter(|r| r.account == account)
            .max_by_key(|r| r.created_at)
            .cloned())
    }
    async fn consume(
        &mut self,
        hash: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<PasswordReset, InvitationError> {
        let reset = self
            .working
            .password_resets
            .iter_mut()
            .find(|r| &r.token_hash == hash)
            .ok_or(InvitationError::Unknown)?;
        reset.usable_at(now)?;
        reset.status = InvitationStatus::Used(now);
        Ok(reset.clone())
    }
    async fn void_pending(
        &mut self,
        account: AccountId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        for reset in &mut self.working.password_resets {
            if reset.account == account && reset.status == InvitationStatus::Pending {
                reset.status = InvitationStatus::Superseded(at);
            }
        }
        Ok(())
    }
}

#[async_trait]
impl EmailChangeRepository for MemoryUnitOfWork {
    async fn insert_superseding(&mut self, change: &EmailChange) -> Result<(), StoreError> {
        for older in &mut self.working.email_changes {
            if older.account == change.account && older.status == InvitationStatus::Pending {
                older.status = InvitationStatus::Superseded(change.created_at);
            }
        }
        self.working.email_changes.push(change.clone());
        Ok(())
    }
    async fn find_by_token(&mut self, hash: &TokenHash) -> Result<Option<EmailChange>, StoreError> {
        Ok(self
            .working
            .email_changes
            .iter()
            .find(|c| &c.token_hash == hash)
            .cloned())
    }
    async fn latest_for_account(
        &mut self,
        account: AccountId,
    ) -> Result<Option<EmailChange>, StoreError> {
        Ok(self
            .working
            .email_changes
            .iter()
            .filter(|c| c.account == account)
            .max_by_key(|c| c.created_at)
            .cloned())
    }
    async fn void_pending(
        &mut self,
        account: AccountId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        for change in &mut self.working.email_changes {
            if change.account == account && change.status == InvitationStatus::Pending {
                change.status = InvitationStatus::Superseded(at);
            }
        }
        Ok(())
    }
    async fn consume(
        &mut self,
        hash: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<EmailChange, InvitationError> {
        let change = self
            .working
            .email_changes
            .iter_mut()
            .find(|c| &c.token_hash == hash)
            .ok_or(InvitationError::Unknown)?;
        change.usable_at(now)?;
        change.status = InvitationStatus::Used(now);
        Ok(change.clone())
    }
}

#[async_trait]
impl InvitationRepository for MemoryUnitOfWork {
    async fn insert_superseding(&mut self, invitation: &Invitation) -> Result<(), StoreError> {
        for older in &mut self.working.invitations {
            if older.email == invitation.email && older.status == InvitationStatus::Pending {
                older.status = InvitationStatus::Superseded(invitation.created_at);
            }
        }
        self.working.invitations.push(invitation.clone());
        Ok(())
    }
    async fn find_by_token(&mut self, hash: &TokenHash) -> Result<Option<Invitation>, StoreError> {
        Ok(self
            .working
            .invitations
            .iter()
            .find(|i| &i.token_hash == hash)
            .cloned())
    }
    async fn latest_for_email(
        &mut self,
        email: &EmailAddress,
    ) -> Result<Option<Invitation>, StoreError> {
        Ok(self
            .working
            .invitations
            .iter()
            .filter(|i| &i.email == email)
            .max_by_key(|i| i.created_at)
            .cloned())
    }
    async fn consume(
        &mut self,
        hash: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<Invitation, InvitationError> {
        let invitation = self
            .working
            .invitations
            .iter_mut()
            .find(|i| &i.token_hash == hash)
            .ok_or(InvitationError::Unknown)?;
        invitation.usable_at(now)?;
        invitation.status = InvitationStatus::Used(now);
        Ok(invitation.clone())
    }
}

#[async_trait]
impl RoleGrantRepository for MemoryUnitOfWork {
    async fn insert(&mut self, grant: &RoleGrant) -> Result<(), StoreError> {
        self.working.grants.push(grant.clone());
        Ok(())
    }
    async fn for_account(&mut self, account: AccountId) -> Result<Vec<RoleGrant>, StoreError> {
        Ok(self
            .working
            .grants
            .iter()
            .filter(|g| g.account == account)
            .cloned()
            .collect())
    }
    async fn for_case(
        &mut self,
        case: CaseId,
        settings: &[Urn],
    ) -> Result<Vec<RoleGrant>, StoreError> {
        let family: Vec<AccountId> = self
            .working
            .grants
            .iter()
            .filter(|g| matches!(g.role, Role::ParentCarer { case: c } | Role::YoungPerson { case: c } if c == case))
            .map(|g| g.account)
            .collect();
        Ok(self
            .working
            .grants
            .iter()
            .filter(|g| match &g.role {
                Role::Contributor { case: c }
                | Role::ParentCarer { case: c }
                | Role::YoungPerson { case: c } => *c == case,
                Role::Sendco { setting } => settings.contains(setting),
                Role::Advocate { for_person } => family.contains(for_person),
                Role::LaOfficer => false,
            })
            .cloned()
            .collect())
    }
    async fn la_officers(&mut self) -> Result<Vec<RoleGrant>, StoreError> {
        Ok(self
            .working
            .grants
            .iter()
            .filter(|g| g.role == Role::LaOfficer)
            .cloned()
            .collect())
    }
    async fn revoke(
        &mut self,
        id: GrantId,
        by: Grantor,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        match self
            .working
            .grants
            .iter_mut()
            .find(|g| g.id == id && g.revoked.is_none())
        {
            Some(g) => {
                g.revoked = Some((by, at));
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

#[async_trait]
impl SecondFactorRepository for MemoryUnitOfWork {
    async fn enrolment(&mut self, account: AccountId) -> Result<Option<Enrolment>, StoreError> {
        Ok(self.working.enrolments.get(&account).cloned())
    }
    async fn enrol(
        &mut self,
        account: AccountId,
        enrolment: &Enrolment,
        accepted_step: Option<u64>,
        _at: OffsetDateTime,
    ) -> Result<(), EnrolError> {
        if self.working.enrolments.contains_key(&account) {
            return Err(EnrolError::AlreadyEnrolled);
        }
        self.working.enrolments.insert(account, enrolment.clone());
        if let Some(step) = accepted_step {
            self.working.last_totp_step.insert(account, step);
        }
        Ok(())
    }
    async fn accept_totp_step(
        &mut self,
        account: AccountId,
        step: u64,
    ) -> Result<bool, StoreError> {
        if !matches!(
            self.working.enrolments.get(&account),
            Some(Enrolment::App { .. })
        ) {
            return Ok(false);
        }
        let last = self.working.last_totp_step.get(&account).copied();
        if last.is_some_and(|last| step <= last) {
            return Ok(false);
        }
        self.working.last_totp_step.insert(account, step);
        Ok(true)
    }
    async fn record_sms_code(
        &mut self,
        account: AccountId,
        code: &StoredSmsCode,
        limit: SmsSendLimit,
        now: OffsetDateTime,
    ) -> Result<SmsSendDecision, StoreError> {
        let codes = self.working.sms_codes.entry(account).or_default();
        let sent: Vec<OffsetDateTime> = codes.iter().map(|c| c.code.sent_at).collect();
        if let Err(retry_at) = limit.check(&sent, now) {
            return Ok(SmsSendDecision::LimitReached { retry_at });
        }
        codes.push(StoredCode {
            code: code.clone(),
            used: false,
        });
        Ok(SmsSendDecision::Recorded)
    }
    async fn remove(&mut self, account: AccountId) -> Result<bool, StoreError> {
        self.working.last_totp_step.remove(&account);
        self.working.recovery_codes.remove(&account);
        Ok(self.working.enrolments.remove(&account).is_some())
    }
    async fn replace_recovery_codes(
        &mut self,
        account: AccountId,
        hashes: &[RecoveryCodeHash],
        _at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.working
            .recovery_codes
            .insert(account, hashes.iter().map(|h| (*h, false)).collect());
        Ok(())
    }
    async fn consume_recovery_code(
        &mut self,
        account: AccountId,
        hash: &RecoveryCodeHash,
        _now: OffsetDateTime,
    ) -> Result<Option<u32>, StoreError> {
        let codes = self.working.recovery_codes.entry(account).or_default();
        let Some(code) = codes.iter_mut().find(|(h, used)| h == hash && !used) else {
            return Ok(None);
        };
        code.1 = true;
        Ok(Some(codes.iter().filter(|(_, used)| !used).count() as u32))
    }
    async fn recovery_codes_left(&mut self, account: AccountId) -> Result<u32, StoreError> {
        Ok(self
            .working
            .recovery_codes
            .get(&account)
            .map_or(0, |codes| {
                codes.iter().filter(|(_, used)| !used).count() as u32
            }))
    }
    async fn consume_sms_code(
        &mut self,
        account: AccountId,
        hash: &SmsCodeHash,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let codes = self.working.sms_codes.entry(account).or_default();
        match codes
            .iter_mut()
            .find(|c| !c.used && &c.code.hash == hash && now < c.code.expires_at)
        {
            Some(c) => {
                c.used = true;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

#[async_trait]
impl LockoutRepository for MemoryUnitOfWork {
    async fn get(&mut self, account: AccountId, kind: LockoutKind) -> Result<Lockout, StoreError> {
        Ok(self
            .working
            .lockouts
            .get(&(account, kind))
            .copied()
            .unwrap_or_default())
    }
    async fn record_failure(
        &mut self,
        account: AccountId,
        kind: LockoutKind,
        now: OffsetDateTime,
        policy: LockoutPolicy,
    ) -> Result<Lockout, StoreError> {
        let entry = self.working.lockouts.entry((account, kind)).or_default();
        *entry = entry.after_failure(now, policy);
        Ok(*entry)
    }
    async fn clear(&mut self, account: AccountId, kind: LockoutKind) -> Result<(), StoreError> {
        self.working.lockouts.remove(&(account, kind));
        Ok(())
    }
}

#[async_trait]
impl Outbox for MemoryUnitOfWork {
    async fn enqueue(&mut self, message: &OutboxMessage) -> Result<(), StoreError> {
        self.working.outbox.push(message.clone());
        Ok(())
    }
    /// Nothing sends from the memory store: every message stays pending, never attempted.
    async fn entry(&mut self, id: MessageId) -> Result<Option<OutboxEntry>, StoreError> {
        Ok(self
            .working
            .outbox
            .iter()
            .find(|m| m.id == id)
            .map(|m| OutboxEntry {
                id: m.id,
                recipient: m.recipient.clone(),
                content: Some(m.content.clone()),
                created_at: m.created_at,
                attempts: 0,
                next_attempt_at: m.created_at,
                last_error: None,
                state: DeliveryState::Pending,
            }))
    }
}

#[async_trait]
impl AuditLog for MemoryUnitOfWork {
    async fn append(&mut self, event: &AuditEvent) -> Result<(), StoreError> {
        self.working.audit.push(event.clone());
        Ok(())
    }

    async fn search(
        &mut self,
        filter: &AuditFilter,
        position: PagePosition,
        limit: u32,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let state = &self.working;
        let email = |id: Option<AccountId>| {
            id.and_then(|id| state.accounts.iter().find(|a| a.id == id))
                .map(|a| a.email.as_entered().to_owned())
        };
        let mut found: Vec<AuditEntry> = state
            .audit
            .iter()
            .zip(1..)
            .map(|(event, seq)| AuditEntry {
                key: AuditKey { at: event.at, seq },
                event: event.clone(),
                actor_email: email(event.actor),
                subject_email: email(event.subject),
                case_reference: event.case.and_then(|id| {
                    state
                        .cases
                        .iter()
                        .find(|c| c.case.id == id)
                        .map(|c| c.case.la_reference.to_string())
                }),
            })
            .filter(|e| {
                let event = &e.event;
                filter
                    .person
                    .is_none_or(|p| event.actor == Some(p) || event.subject == Some(p))
                    && filter.case.is_none_or(|c| event.case == Some(c))
                    && filter.kind.is_none_or(|k| event.kind == k)
                    && filter.from.is_none_or(|from| event.at >= from)
                    && filter.until.is_none_or(|until| event.at < until)
                    && match position {
                        PagePosition::Newest => true,
                        PagePosition::OlderThan(key) => e.key < key,
                        PagePosition::NewerThan(key) => e.key > key,
                    }
            })
            .collect();
        found.sort_by_key(|e| std::cmp::Reverse(e.key));
        let limit = limit as usize;
        if matches!(position, PagePosition::NewerThan(_)) {
            found.drain(..found.len().saturating_sub(limit));
        }
        found.truncate(limit);
        Ok(found)
    }
}
