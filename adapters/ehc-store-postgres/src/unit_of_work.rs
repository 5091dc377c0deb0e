//! One unit of work: every repository of the core bound to one PostgreSQL transaction.

use async_trait::async_trait;
use ehc_core::account::{Account, AccountError, AccountId, AccountRepository, EmailAddress};
use ehc_core::account_change::{EmailChange, EmailChangeRepository};
use ehc_core::alert::AlertRepository;
use ehc_core::audit::AuditLog;
use ehc_core::case::{CaseId, CaseRepository};
use ehc_core::document::DocumentRepository;
use ehc_core::invitation::{Invitation, InvitationError, InvitationRepository, TokenHash};
use ehc_core::lockout::{Lockout, LockoutKind, LockoutPolicy, LockoutRepository};
use ehc_core::outbox::{MessageContent, MessageId, Outbox, OutboxEntry, OutboxMessage};
use ehc_core::password::PasswordHash;
use ehc_core::ports::{StoreError, UnitOfWork};
use ehc_core::recovery::{PasswordReset, PasswordResetRepository};
use ehc_core::role::{GrantId, Grantor, Role, RoleGrant, RoleGrantRepository, Urn};
use ehc_core::second_factor::{
    EnrolError, Enrolment, PhoneNumber, RecoveryCodeHash, SecondFactorRepository, SmsCodeHash,
    SmsSendDecision, SmsSendLimit, StoredSmsCode, TotpSecret,
};
use ehc_core::setting::SettingRepository;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{Postgres, Row, Transaction};
use std::time::Duration;
use time::OffsetDateTime;

use crate::error::{
    ACCOUNTS_EMAIL_UNIQUE, SECOND_FACTORS_PKEY, constraint, from_sqlx, timed, unreadable,
};
use crate::links::{
    EMAIL_CHANGES, INVITATION_COLUMNS, INVITATIONS, PASSWORD_RESETS, invitation_from, status_to_db,
};

/// The repositories of one transaction. Dropping it uncommitted rolls the transaction back
/// (sqlx queues the `ROLLBACK` on the connection before it goes back to the pool).
pub(crate) struct PgUnitOfWork {
    pub(crate) tx: Transaction<'static, Postgres>,
    pub(crate) limit: Duration,
}

impl PgUnitOfWork {
    pub(crate) fn new(tx: Transaction<'static, Postgres>, limit: Duration) -> Self {
        Self { tx, limit }
    }
}

#[async_trait]
impl UnitOfWork for PgUnitOfWork {
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
        let Self { tx, limit } = *self;
        timed(limit, tx.commit()).await
    }
}

pub(crate) fn get<'r, T>(row: &'r PgRow, column: &str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>,
{
    row.try_get(column).map_err(from_sqlx)
}

pub(crate) fn hash32(bytes: Vec<u8>, what: &str) -> Result<[u8; 32], StoreError> {
    bytes
        .try_into()
        .map_err(|b: Vec<u8>| unreadable(what, format!("{} bytes, not 32", b.len())))
}

pub(crate) fn email(entered: &str) -> Result<EmailAddress, StoreError> {
    EmailAddress::parse(entered).map_err(|e| unreadable("e-mail address", e))
}

pub(crate) fn step_to_db(step: u64) -> Result<i64, StoreError> {
    i64::try_from(step).map_err(|_| StoreError::Unexpected {
        reason: format!("TOTP step {step} is out of range"),
    })
}

fn account_from(row: &PgRow) -> Result<Account, StoreError> {
    let entered: String = get(row, "email_entered")?;
    Ok(Account {
        id: AccountId(get(row, "id")?),
        email: email(&entered)?,
        password_hash: PasswordHash::from_phc(get::<String>(row, "password_hash")?),
        created_at: get(row, "created_at")?,
    })
}

fn grant_from(row: &PgRow) -> Result<RoleGrant, StoreError> {
    let revoked_by: Option<Json<Grantor>> = get(row, "revoked_by")?;
    let revoked_at: Option<OffsetDateTime> = get(row, "revoked_at")?;
    Ok(RoleGrant {
        id: GrantId(get(row, "id")?),
        account: AccountId(get(row, "account_id")?),
        role: get::<Json<Role>>(row, "role")?.0,
        granted_by: get::<Json<Grantor>>(row, "granted_by")?.0,
        granted_at: get(row, "granted_at")?,
        expires_at: get(row, "expires_at")?,
        revoked: revoked_by.zip(revoked_at).map(|(by, at)| (by.0, at)),
    })
}

/// The storage tag of a message's content (kept after a secret-carrying content is erased).
pub(crate) fn content_kind(content: &MessageContent) -> &'static str {
    match content {
        MessageContent::Invitation { .. } => "invitation",
        MessageContent::AccessGranted { .. } => "access-granted",
        MessageContent::SignInCode { .. } => "sign-in-code",
        MessageContent::PasswordResetLink { .. } => "password-reset-link",
        MessageContent::PasswordChanged => "password-changed",
        MessageContent::SecondFactorReset => "second-factor-reset",
        MessageContent::EmailChangeLink { .. } => "email-change-link",
        MessageContent::AccountChanged { .. } => "account-changed",
        MessageContent::RecoveryCodeUsed { .. } => "recovery-code-used",
        MessageContent::CaseUpdate { .. } => "case-update",
        MessageContent::CaseDigest { .. } => "case-digest",
    }
}

#[async_trait]
impl AccountRepository for PgUnitOfWork {
    async fn insert(&mut self, account: &Account) -> Result<(), AccountError> {
        let result = tokio::time::timeout(
            self.limit,
            sqlx::query(
                "INSERT INTO accounts (id, email_entered, email_canonical, password_hash, created_at)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT ON CONSTRAINT accounts_email_canonical_key DO NOTHING",
            )
            .bind(account.id.0)
            .bind(account.email.as_entered())
            .bind(account.email.canonical())
            .bind(account.password_hash.as_phc())
            .bind(account.created_at)
            .execute(&mut *self.tx),
        )
        .await;
        // The address's unique constraint answers as "nothing inserted" rather than an error, so
        // the transaction stays usable (as the in-memory store's does); the error arm is kept
        // for a database whose constraint was made without the migration.
        match result {
            Ok(Ok(done)) if done.rows_affected() == 0 => Err(AccountError::EmailTaken),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) if constraint(&e) == Some(ACCOUNTS_EMAIL_UNIQUE) => {
                Err(AccountError::EmailTaken)
            }
            Ok(Err(e)) => Err(AccountError::Store(from_sqlx(e))),
            Err(_) => Err(AccountError::Store(timed_out(self.limit))),
        }
    }

    async fn find_by_email(&mut self, email: &EmailAddress) -> Result<Option<Account>, StoreError> {
        let row = timed(
            self.limit,
            sqlx::query(
                "SELECT id, email_entered, password_hash, created_at FROM accounts
                 WHERE email_canonical = $1",
            )
            .bind(email.canonical())
            .fetch_optional(&mut *self.tx),
        )
        .await?;
        row.as_ref().map(account_from).transpose()
    }

    async fn get(&mut self, id: AccountId) -> Result<Option<Account>, StoreError> {
        let row = timed(
            self.limit,
            sqlx::query(
                "SELECT id, email_entered, password_hash, created_at FROM accounts WHERE id = $1",
            )
            .bind(id.0)
            .fetch_optional(&mut *self.tx),
        )
        .await?;
        row.as_ref().map(account_from).transpose()
    }

    async fn get_many(&mut self, ids: &[AccountId]) -> Result<Vec<Account>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut qb = sqlx::QueryBuilder::<Postgres>::new(
            "SELECT id, email_entered, password_hash, created_at FROM accounts WHERE id IN (",
        );
        let mut list = qb.separated(", ");
        for id in ids {
            list.push_bind(id.0);
        }
        qb.push(")");
        let rows = timed(self.limit, qb.build().fetch_all(&mut *self.tx)).await?;
        rows.iter().map(account_from).collect()
    }

    async fn set_password_hash(
        &mut self,
        id: AccountId,
        hash: &PasswordHash,
    ) -> Result<(), StoreError> {
        timed(
            self.limit,
            sqlx::query("UPDATE accounts SET password_hash = $2 WHERE id = $1")
                .bind(id.0)
                .bind(hash.as_phc())
                .execute(&mut *self.tx),
        )
        .await?;
        Ok(())
    }

    async fn set_email(&mut self, id: AccountId, email: &EmailAddress) -> Result<(), AccountError> {
        // A broken constraint aborts a PostgreSQL transaction; rolling back to this savepoint
        // keeps the unit of work usable after `EmailTaken`, as after a refused `insert`. The
        // unique index decides: a concurrent change or registration of the address waits for
        // this one's transaction, then one of them is refused.
        timed(
            self.limit,
            sqlx::query("SAVEPOINT set_email").execute(&mut *self.tx),
        )
        .await?;
        let result = tokio::time::timeout(
            self.limit,
            sqlx::query(
                "UPDATE accounts SET email_entered = $2, email_canonical = $3 WHERE id = $1",
            )
            .bind(id.0)
            .bind(email.as_entered())
            .bind(email.canonical())
            .execute(&mut *self.tx),
        )
        .await;
        match result {
            Ok(Ok(_)) => {
                timed(
                    self.limit,
                    sqlx::query("RELEASE SAVEPOINT set_email").execute(&mut *self.tx),
                )
                .await?;
                Ok(())
            }
            Ok(Err(e)) if constraint(&e) == Some(ACCOUNTS_EMAIL_UNIQUE) => {
                timed(
                    self.limit,
                    sqlx::query("ROLLBACK TO SAVEPOINT set_email").execute(&mut *self.tx),
                )
                .await?;
                Err(AccountError::EmailTaken)
            }
            Ok(Err(e)) => Err(AccountError::Store(from_sqlx(e))),
            Err(_) => Err(AccountError::Store(timed_out(self.limit))),
        }
    }

    async fn end_sessions(&mut self, id: AccountId, at: OffsetDateTime) -> Result<(), StoreError> {
        timed(
            self.limit,
            sqlx::query("UPDATE accounts SET sessions_ended_at = $2 WHERE id = $1")
                .bind(id.0)
                .bind(at)
                .execute(&mut *self.tx),
        )
        .await?;
        Ok(())
    }

    async fn sessions_ended_at(
        &mut self,
        id: AccountId,
    ) -> Result<Option<OffsetDateTime>, StoreError> {
        let ended: Option<Option<OffsetDateTime>> = timed(
            self.limit,
            sqlx::query_scalar("SELECT sessions_ended_at FROM accounts WHERE id = $1")
                .bind(id.0)
                .fetch_optional(&mut *self.tx),
        )
        .await?;
        Ok(ended.flatten())
    }
}

pub(crate) fn timed_out(limit: Duration) -> StoreError {
    StoreError::Unavailable {
        reason: format!("no answer from PostgreSQL within {} ms", limit.as_millis()),
    }
}

#[async_trait]
impl InvitationRepository for PgUnitOfWork {
    async fn insert_superseding(&mut self, invitation: &Invitation) -> Result<(), StoreError> {
        timed(
            self.limit,
            sqlx::query(
                "UPDATE invitations SET status = 'superseded', status_at = $2
                 WHERE email_canonical = $1 AND status = 'pending'",
            )
            .bind(invitation.email.canonical())
            .bind(invitation.created_at)
            .execute(&mut *self.tx),
        )
        .await?;
        let (status, status_at) = status_to_db(invitation.status);
        timed(
            self.limit,
            sqlx::query(
                "INSERT INTO invitations (id, email_entered, email_canonical, roles, invited_by,
                     token_hash, created_at, expires_at, status, status_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            )
            .bind(invitation.id.0)
            .bind(invitation.email.as_entered())
            .bind(invitation.email.canonical())
            .bind(Json(&invitation.roles))
            .bind(Json(&invitation.invited_by))
            .bind(&invitation.token_hash.0[..])
            .bind(invitation.created_at)
            .bind(invitation.expires_at)
            .bind(status)
            .bind(status_at)
            .execute(&mut *self.tx),
        )
        .await?;
        Ok(())
    }

    async fn find_by_token(&mut self, hash: &TokenHash) -> Result<Option<Invitation>, StoreError> {
        INVITATIONS.find_by_token(self, hash).await
    }

    async fn latest_for_email(
        &mut self,
        email: &EmailAddress,
    ) -> Result<Option<Invitation>, StoreError> {
        let row = timed(
            self.limit,
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {INVITATION_COLUMNS} FROM invitations WHERE email_canonical = $1
                 ORDER BY created_at DESC LIMIT 1"
            )))
            .bind(email.canonical())
            .fetch_optional(&mut *self.tx),
        )
        .await?;
        row.as_ref().map(invitation_from).transpose()
    }

    async fn consume(
        &mut self,
        hash: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<Invitation, InvitationError> {
        INVITATIONS.consume(self, hash, now).await
    }
}

#[async_trait]
impl PasswordResetRepository for PgUnitOfWork {
    async fn insert_superseding(&mut self, reset: &PasswordReset) -> Result<(), StoreError> {
        PASSWORD_RESETS
            .void_pending(self, reset.account, reset.created_at)
            .await?;
        let (status, status_at) = status_to_db(reset.status);
        timed(
            self.limit,
            sqlx::query(
                "INSERT INTO password_resets (account_id, token_hash, created_at, expires_at,
                     status, status_at)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(reset.account.0)
            .bind(&reset.token_hash.0[..])
            .bind(reset.created_at)
            .bind(reset.expires_at)
            .bind(status)
            .bind(status_at)
            .execute(&mut *self.tx),
        )
        .await?;
        Ok(())
    }

    async fn find_by_token(
        &mut self,
        hash: &TokenHash,
    ) -> Result<Option<PasswordReset>, StoreError> {
        PASSWORD_RESETS.find_by_token(self, hash).await
    }

    async fn latest_for_account(
        &mut self,
        account: AccountId,
    ) -> Result<Option<PasswordReset>, StoreError> {
        PASSWORD_RESETS.latest_for_account(self, account).await
    }

    async fn consume(
        &mut self,
        hash: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<PasswordReset, InvitationError> {
        PASSWORD_RESETS.consume(self, hash, now).await
    }

    async fn void_pending(
        &mut self,
        account: AccountId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        PASSWORD_RESETS.void_pending(self, account, at).await
    }
}

#[async_trait]
impl EmailChangeRepository for PgUnitOfWork {
    async fn insert_superseding(&mut self, change: &EmailChange) -> Result<(), StoreError> {
        EMAIL_CHANGES
            .void_pending(self, change.account, change.created_at)
            .await?;
        let (status, status_at) = status_to_db(change.status);
        timed(
            self.limit,
            sqlx::query(
                "INSERT INTO email_changes (account_id, new_email_entered, new_email_canonical,
                     token_hash, created_at, expires_at, status, status_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(change.account.0)
            .bind(change.new_email.as_entered())
            .bind(change.new_email.canonical())
            .bind(&change.token_hash.0[..])
            .bind(change.created_at)
            .bind(change.expires_at)
            .bind(status)
            .bind(status_at)
            .execute(&mut *self.tx),
        )
        .await?;
        Ok(())
    }

    async fn find_by_token(&mut self, hash: &TokenHash) -> Result<Option<EmailChange>, StoreError> {
        EMAIL_CHANGES.find_by_token(self, hash).await
    }

    async fn latest_for_account(
        &mut self,
        account: AccountId,
    ) -> Result<Option<EmailChange>, StoreError> {
        EMAIL_CHANGES.latest_for_account(self, account).await
    }

    async fn consume(
        &mut self,
        hash: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<EmailChange, InvitationError> {
        EMAIL_CHANGES.consume(self, hash, now).await
    }

    async fn void_pending(
        &mut self,
        account: AccountId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        EMAIL_CHANGES.void_pending(self, account, at).await
    }
}

const GRANT_COLUMNS: &str =
    "id, account_id, role, granted_by, granted_at, expires_at, revoked_by, revoked_at";

#[async_trait]
impl RoleGrantRepository for PgUnitOfWork {
    async fn insert(&mut self, grant: &RoleGrant) -> Result<(), StoreError> {
        timed(
            self.limit,
            sqlx::query(
                "INSERT INTO role_grants (id, account_id, role, granted_by, granted_at,
                     expires_at, revoked_by, revoked_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(grant.id.0)
            .bind(grant.account.0)
            .bind(Json(&grant.role))
            .bind(Json(&grant.granted_by))
            .bind(grant.granted_at)
            .bind(grant.expires_at)
            .bind(grant.revoked.map(|(by, _)| Json(by)))
            .bind(grant.revoked.map(|(_, at)| at))
            .execute(&mut *self.tx),
        )
        .await?;
        Ok(())
    }

    async fn for_account(&mut self, account: AccountId) -> Result<Vec<RoleGrant>, StoreError> {
        let rows = timed(
            self.limit,
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {GRANT_COLUMNS} FROM role_grants WHERE account_id = $1 ORDER BY seq"
            )))
            .bind(account.0)
            .fetch_all(&mut *self.tx),
        )
        .await?;
        rows.iter().map(grant_from).collect()
    }

    async fn for_case(
        &mut self,
        case: CaseId,
        settings: &[Urn],
    ) -> Result<Vec<RoleGrant>, StoreError> {
        let urns: Vec<String> = settings.iter().map(Urn::to_string).collect();
        let rows = timed(
            self.limit,
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {GRANT_COLUMNS} FROM role_grants
                 WHERE (role ? 'case' AND role->>'case' = $1)
                    OR (role ? 'for_person' AND role->>'for_person' = ANY (ARRAY(
                        SELECT account_id::text FROM role_grants
                        WHERE role ? 'case' AND role->>'case' = $1
                          AND role->>'role' IN ('parent-carer', 'young-person'))))
                    OR (role ? 'setting' AND role->>'role' = 'sendco'
                        AND role->>'setting' = ANY($2))
                 ORDER BY seq"
            )))
            .bind(case.0.hyphenated().to_string())
            .bind(&urns)
            .fetch_all(&mut *self.tx),
        )
        .await?;
        rows.iter().map(grant_from).collect()
    }

    async fn la_officers(&mut self) -> Result<Vec<RoleGrant>, StoreError> {
        let rows = timed(
            self.limit,
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {GRANT_COLUMNS} FROM role_grants
                 WHERE role->>'role' = 'la-officer' ORDER BY seq"
            )))
            .fetch_all(&mut *self.tx),
        )
        .await?;
        rows.iter().map(grant_from).collect()
    }

    async fn revoke(
        &mut self,
        id: GrantId,
        by: Grantor,
        at: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        let done = timed(
            self.limit,
            sqlx::query(
                "UPDATE role_grants SET revoked_by = $2, revoked_at = $3
                 WHERE id = $1 AND revoked_at IS NULL",
            )
            .bind(id.0)
            .bind(Json(by))
            .bind(at)
            .execute(&mut *self.tx),
        )
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

#[async_trait]
impl SecondFactorRepository for PgUnitOfWork {
    async fn enrolment(&mut self, account: AccountId) -> Result<Option<Enrolment>, StoreError> {
        let row = timed(
            self.limit,
            sqlx::query(
                "SELECT method, totp_secret, phone_e164, phone_entered FROM second_factors
                 WHERE account_id = $1",
            )
            .bind(account.0)
            .fetch_optional(&mut *self.tx),
        )
        .await?;
        let Some(row) = row else { return Ok(None) };
        let method: String = get(&row, "method")?;
        let enrolment = match method.as_str() {
            "app" => {
                let secret: Option<String> = get(&row, "totp_secret")?;
                let secret = secret.ok_or_else(|| unreadable("TOTP secret", "missing"))?;
                Enrolment::App {
                    secret: TotpSecret::from_base32(&secret)
                        .map_err(|e| unreadable("TOTP secret", e))?,
                }
            }
            "text" => {
                let e164: Option<String> = get(&row, "phone_e164")?;
                let entered: Option<String> = get(&row, "phone_entered")?;
                match (e164, entered) {
                    (Some(e164), Some(entered)) => Enrolment::Text {
                        phone: PhoneNumber::from_stored(e164, entered),
                    },
                    _ => return Err(unreadable("phone number", "missing")),
                }
            }
            other => return Err(unreadable("second-factor method", other)),
        };
        Ok(Some(enrolment))
    }

    async fn enrol(
        &mut self,
        account: AccountId,
        enrolment: &Enrolment,
        accepted_step: Option<u64>,
        at: OffsetDateTime,
    ) -> Result<(), EnrolError> {
        let (method, secret, e164, entered, step) = match enrolment {
            Enrolment::App { secret } => (
                "app",
                Some(secret.base32()),
                None,
                None,
                accepted_step.map(step_to_db).transpose()?,
            ),
            Enrolment::Text { phone } => (
                "text",
                None,
                Some(phone.e164().to_owned()),
                Some(phone.as_entered().to_owned()),
                None,
            ),
        };
        let result = tokio::time::timeout(
            self.limit,
            sqlx::query(
                "INSERT INTO second_factors (account_id, method, totp_secret, phone_e164,
                     phone_entered, last_totp_step, enrolled_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT ON CONSTRAINT second_factors_pkey DO NOTHING",
            )
            .bind(account.0)
            .bind(method)
            .bind(secret)
            .bind(e164)
            .bind(entered)
            .bind(step)
            .bind(at)
            .execute(&mut *self.tx),
        )
        .await;
        match result {
            Ok(Ok(done)) if done.rows_affected() == 0 => Err(EnrolError::AlreadyEnrolled),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) if constraint(&e) == Some(SECOND_FACTORS_PKEY) => {
                Err(EnrolError::AlreadyEnrolled)
            }
            Ok(Err(e)) => Err(EnrolError::Store(from_sqlx(e))),
            Err(_) => Err(EnrolError::Store(timed_out(self.limit))),
        }
    }

    async fn accept_totp_step(
        &mut self,
        account: AccountId,
        step: u64,
    ) -> Result<bool, StoreError> {
        // One statement: a concurrent call with the same step waits for this row's lock, then
        // re-checks `last_totp_step < step` on the committed row and updates nothing.
        let done = timed(
            self.limit,
            sqlx::query(
                "UPDATE second_factors SET last_totp_step = $2
                 WHERE account_id = $1 AND method = 'app'
                   AND (last_totp_step IS NULL OR last_totp_step < $2)",
            )
            .bind(account.0)
            .bind(step_to_db(step)?)
            .execute(&mut *self.tx),
        )
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn record_sms_code(
        &mut self,
        account: AccountId,
        code: &StoredSmsCode,
        limit: SmsSendLimit,
        now: OffsetDateTime,
    ) -> Result<SmsSendDecision, StoreError> {
        // Concurrent senders for one account queue on the account's row lock until this
        // transaction ends, so the count below cannot go stale before the insert.
        timed(
            self.limit,
            sqlx::query("SELECT 1 FROM accounts WHERE id = $1 FOR NO KEY UPDATE")
                .bind(account.0)
                .fetch_optional(&mut *self.tx),
        )
        .await?;
        let rows = timed(
            self.limit,
            sqlx::query(
                "SELECT sent_at FROM sms_codes
                 WHERE account_id = $1 AND sent_at > $2 AND sent_at <= $3",
            )
            .bind(account.0)
            .bind(now - limit.window)
            .bind(now)
            .fetch_all(&mut *self.tx),
        )
        .await?;
        let sent = rows
            .iter()
            .map(|row| get::<OffsetDateTime>(row, "sent_at"))
            .collect::<Result<Vec<_>, _>>()?;
        if let Err(retry_at) = limit.check(&sent, now) {
            return Ok(SmsSendDecision::LimitReached { retry_at });
        }
        timed(
            self.limit,
            sqlx::query(
                "INSERT INTO sms_codes (account_id, code_hash, sent_at, expires_at)
                 VALUES ($1, $2, $3, $4)",
            )
            .bind(account.0)
            .bind(&code.hash.0[..])
            .bind(code.sent_at)
            .bind(code.expires_at)
            .execute(&mut *self.tx),
        )
        .await?;
        Ok(SmsSendDecision::Recorded)
    }

    async fn remove(&mut self, account: AccountId) -> Result<bool, StoreError> {
        timed(
            self.limit,
            sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1")
                .bind(account.0)
                .execute(&mut *self.tx),
        )
        .await?;
        let done = timed(
            self.limit,
            sqlx::query("DELETE FROM second_factors WHERE account_id = $1")
                .bind(account.0)
                .execute(&mut *self.tx),
        )
        .await?;
        Ok(done.rows_affected() > 0)
    }

    async fn replace_recovery_codes(
        &mut self,
        account: AccountId,
        hashes: &[RecoveryCodeHash],
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        timed(
            self.limit,
            sqlx::query("DELETE FROM recovery_codes WHERE account_id = $1")
                .bind(account.0)
                .execute(&mut *self.tx),
        )
        .await?;
        for hash in hashes {
            timed(
                self.limit,
                sqlx::query(
                    "INSERT INTO recovery_codes (account_id, code_hash, issued_at)
                     VALUES ($1, $2, $3)",
                )
                .bind(account.0)
                .bind(&hash.0[..])
                .bind(at)
                .execute(&mut *self.tx),
            )
            .await?;
        }
        Ok(())
    }

    async fn consume_recovery_code(
        &mut self,
        account: AccountId,
        hash: &RecoveryCodeHash,
        now: OffsetDateTime,
    ) -> Result<Option<u32>, StoreError> {
        // One statement: a concurrent consumer waits for the row, then finds `used_at` set.
        let done = timed(
            self.limit,
            sqlx::query(
                "UPDATE recovery_codes SET used_at = $3
                 WHERE account_id = $1 AND code_hash = $2 AND used_at IS NULL",
            )
            .bind(account.0)
            .bind(&hash.0[..])
            .bind(now)
            .execute(&mut *self.tx),
        )
        .await?;
        if done.rows_affected() == 0 {
            return Ok(None);
        }
        self.recovery_codes_left(account).await.map(Some)
    }

    async fn recovery_codes_left(&mut self, account: AccountId) -> Result<u32, StoreError> {
        let left: i64 = timed(
            self.limit,
            sqlx::query_scalar(
                "SELECT count(*) FROM recovery_codes WHERE account_id = $1 AND used_at IS NULL",
            )
            .bind(account.0)
            .fetch_one(&mut *self.tx),
        )
        .await?;
        u32::try_from(left).map_err(|_| unreadable("recovery code count", left))
    }

    async fn consume_sms_code(
        &mut self,
        account: AccountId,
        hash: &SmsCodeHash,
        now: OffsetDateTime,
    ) -> Result<bool, StoreError> {
        // One statement; the outer `used_at IS NULL` is re-checked after waiting for a
        // concurrent consumer's lock, so a code is consumed once.
        let done = timed(
            self.limit,
            sqlx::query(
                "UPDATE sms_codes SET used_at = $3
                 WHERE id = (SELECT id FROM sms_codes
                             WHERE account_id = $1 AND code_hash = $2 AND used_at IS NULL
                               AND expires_at > $3
                             ORDER BY id LIMIT 1)
                   AND used_at IS NULL",
            )
            .bind(account.0)
            .bind(&hash.0[..])
            .bind(now)
            .execute(&mut *self.tx),
        )
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

#[async_trait]
impl LockoutRepository for PgUnitOfWork {
    async fn get(&mut self, account: AccountId, kind: LockoutKind) -> Result<Lockout, StoreError> {
        let row = timed(
            self.limit,
            sqlx::query(
                "SELECT failures, locked_until FROM lockouts WHERE account_id = $1 AND kind = $2",
            )
            .bind(account.0)
            .bind(kind.as_str())
            .fetch_optional(&mut *self.tx),
        )
        .await?;
        row.as_ref()
            .map(lockout_from)
            .transpose()
            .map(Option::unwrap_or_default)
    }

    async fn record_failure(
        &mut self,
        account: AccountId,
        kind: LockoutKind,
        now: OffsetDateTime,
        policy: LockoutPolicy,
    ) -> Result<Lockout, StoreError> {
        // `Lockout::after_failure` in one statement. On conflict the SET expressions read the
        // row as it was (locked against concurrent writers), so no failure is lost.
        let max = i64::from(policy.max_failures.max(1));
        let lock_end = now + policy.lock_for;
        let first = Lockout::default().after_failure(now, policy);
        let row = timed(
            self.limit,
            sqlx::query(
                "INSERT INTO lockouts AS l (account_id, kind, failures, locked_until)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (account_id, kind) DO UPDATE SET
                   failures = CASE
                     WHEN l.locked_until IS NOT NULL AND $5 < l.locked_until THEN l.failures
                     WHEN l.failures + 1 >= $6 THEN 0
                     ELSE l.failures + 1 END,
                   locked_until = CASE
                     WHEN l.locked_until IS NOT NULL AND $5 < l.locked_until THEN l.locked_until
                     WHEN l.failures + 1 >= $6 THEN $7
                     ELSE l.locked_until END
                 RETURNING failures, locked_until",
            )
            .bind(account.0)
            .bind(kind.as_str())
            .bind(i64::from(first.failures))
            .bind(first.locked_until)
            .bind(now)
            .bind(max)
            .bind(lock_end)
            .fetch_one(&mut *self.tx),
        )
        .await?;
        lockout_from(&row)
    }

    async fn clear(&mut self, account: AccountId, kind: LockoutKind) -> Result<(), StoreError> {
        timed(
            self.limit,
            sqlx::query("DELETE FROM lockouts WHERE account_id = $1 AND kind = $2")
                .bind(account.0)
                .bind(kind.as_str())
                .execute(&mut *self.tx),
        )
        .await?;
        Ok(())
    }
}

fn lockout_from(row: &PgRow) -> Result<Lockout, StoreError> {
    let failures: i64 = get(row, "failures")?;
    Ok(Lockout {
        failures: u32::try_from(failures).map_err(|e| unreadable("failure count", e))?,
        locked_until: get(row, "locked_until")?,
    })
}

#[async_trait]
impl Outbox for PgUnitOfWork {
    async fn enqueue(&mut self, message: &OutboxMessage) -> Result<(), StoreError> {
        timed(
            self.limit,
            sqlx::query(
                "INSERT INTO outbox (id, recipient, kind, content, carries_secret, created_at,
                     next_attempt_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $6)",
            )
            .bind(message.id.0)
            .bind(Json(&message.recipient))
            .bind(content_kind(&message.content))
            .bind(Json(&message.content))
            .bind(message.content.carries_secret())
            .bind(message.created_at)
            .execute(&mut *self.tx),
        )
        .await?;
        Ok(())
    }

    async fn entry(&mut self, id: MessageId) -> Result<Option<OutboxEntry>, StoreError> {
        let row = timed(
            self.limit,
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {} FROM outbox WHERE id = $1",
                crate::outbox_queue::ENTRY_COLUMNS
            )))
            .bind(id.0)
            .fetch_optional(&mut *self.tx),
        )
        .await?;
        row.as_ref()
            .map(crate::outbox_queue::entry_from)
            .transpose()
    }
}
