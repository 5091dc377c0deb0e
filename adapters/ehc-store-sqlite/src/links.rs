//! The single-use links the hub e-mails, as SQLite stores them: `invitations` (migration
//! `0001_accounts_and_sign_in.sql`), `password_resets` (`0011_account_recovery.sql`) and
//! `email_changes` (`0013_email_changes.sql`).
//!
//! Each table has a unique `token_hash`, an `expires_at` and a `status` (`pending`, `used` or
//! `superseded`, with `status_at` set for the last two). [`LinkTable`] writes the statements
//! they share once, with the table's name and column list formatted in (constants of this
//! module, never user data); the repositories in `unit_of_work.rs` call it, and keep only
//! their `INSERT` and, for invitations, the look-up by address.

use ehc_core::account::AccountId;
use ehc_core::account_change::EmailChange;
use ehc_core::invitation::{
    Invitation, InvitationError, InvitationId, InvitationStatus, TokenHash,
};
use ehc_core::ports::StoreError;
use ehc_core::recovery::PasswordReset;
use ehc_core::role::{Grantor, Role};
use sqlx::sqlite::SqliteRow;
use sqlx::types::Json;
use time::OffsetDateTime;

use crate::error::{timed, unreadable};
use crate::time::Ts;
use crate::unit_of_work::{SqliteUnitOfWork, email, get, hash32};

/// One table of single-use links, whose rows read as `T`.
pub(crate) struct LinkTable<T> {
    /// The table's name.
    table: &'static str,
    /// The columns `read` takes, comma-separated.
    columns: &'static str,
    /// One row (of `columns`) as the core's link.
    read: fn(&SqliteRow) -> Result<T, StoreError>,
    /// Why the link cannot be used at an instant, if it cannot (the core's `usable_at`).
    usable_at: fn(&T, OffsetDateTime) -> Result<(), InvitationError>,
}

/// The columns [`invitation_from`] reads.
pub(crate) const INVITATION_COLUMNS: &str = "id, email_entered, roles, invited_by, token_hash, \
                                             created_at, expires_at, status, status_at";

/// Registration links (`invitations`); keyed by address, not account, so only
/// [`LinkTable::find_by_token`] and [`LinkTable::consume`] apply (`unit_of_work.rs` finds the
/// latest for an address itself).
pub(crate) const INVITATIONS: LinkTable<Invitation> = LinkTable {
    table: "invitations",
    columns: INVITATION_COLUMNS,
    read: invitation_from,
    usable_at: Invitation::usable_at,
};

/// Password-reset links (`password_resets`).
pub(crate) const PASSWORD_RESETS: LinkTable<PasswordReset> = LinkTable {
    table: "password_resets",
    columns: "account_id, token_hash, created_at, expires_at, status, status_at",
    read: reset_from,
    usable_at: PasswordReset::usable_at,
};

/// *Change your email address* links (`email_changes`).
pub(crate) const EMAIL_CHANGES: LinkTable<EmailChange> = LinkTable {
    table: "email_changes",
    columns: "account_id, new_email_entered, token_hash, created_at, expires_at, status, \
              status_at",
    read: email_change_from,
    usable_at: EmailChange::usable_at,
};

impl<T> LinkTable<T> {
    /// The link whose token hashes to `hash`, if any.
    pub(crate) async fn find_by_token(
        &self,
        uow: &mut SqliteUnitOfWork,
        hash: &TokenHash,
    ) -> Result<Option<T>, StoreError> {
        let row = timed(
            uow.limit,
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {} FROM {} WHERE token_hash = ?1",
                self.columns, self.table
            )))
            .bind(&hash.0[..])
            .fetch_optional(&mut *uow.tx),
        )
        .await?;
        row.as_ref().map(self.read).transpose()
    }

    /// Marks the link whose token hashes to `hash` used at `now` if it is pending and
    /// unexpired, and returns it as updated; otherwise says why not (`Unknown`, or the link's
    /// `usable_at` as it stands: `Used`, `Superseded`, `Expired`).
    pub(crate) async fn consume(
        &self,
        uow: &mut SqliteUnitOfWork,
        hash: &TokenHash,
        now: OffsetDateTime,
    ) -> Result<T, InvitationError> {
        // One statement, inside the write lock: a second consumer finds `status = 'used'`.
        let row = timed(
            uow.limit,
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE {} SET status = 'used', status_at = ?2
                 WHERE token_hash = ?1 AND status = 'pending' AND expires_at > ?2
                 RETURNING {}",
                self.table, self.columns
            )))
            .bind(&hash.0[..])
            .bind(Ts(now))
            .fetch_optional(&mut *uow.tx),
        )
        .await?;
        if let Some(row) = row {
            return Ok((self.read)(&row)?);
        }
        // Nothing changed: say why, from the row as it stands.
        match self.find_by_token(uow, hash).await? {
            None => Err(InvitationError::Unknown),
            Some(link) => match (self.usable_at)(&link, now) {
                Err(reason) => Err(reason),
                // Pending and unexpired now, yet not updated: the row changed between the two
                // statements; report it as used rather than guess.
                Ok(()) => Err(InvitationError::Used),
            },
        }
    }

    /// The account's newest link (by `created_at`, then insertion order `seq`), if any. For the
    /// tables keyed by account.
    pub(crate) async fn latest_for_account(
        &self,
        uow: &mut SqliteUnitOfWork,
        account: AccountId,
    ) -> Result<Option<T>, StoreError> {
        let row = timed(
            uow.limit,
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT {} FROM {} WHERE account_id = ?1
                 ORDER BY created_at DESC, seq DESC LIMIT 1",
                self.columns, self.table
            )))
            .bind(account.0)
            .fetch_optional(&mut *uow.tx),
        )
        .await?;
        row.as_ref().map(self.read).transpose()
    }

    /// Marks every pending link of the account superseded at `at`: the first half of an
    /// `insert_superseding`, and all of a `void_pending`. For the tables keyed by account.
    pub(crate) async fn void_pending(
        &self,
        uow: &mut SqliteUnitOfWork,
        account: AccountId,
        at: OffsetDateTime,
    ) -> Result<(), StoreError> {
        // One statement, inside the write lock: every pending link of the account, and no
        // other row.
        timed(
            uow.limit,
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "UPDATE {} SET status = 'superseded', status_at = ?2
                 WHERE account_id = ?1 AND status = 'pending'",
                self.table
            )))
            .bind(account.0)
            .bind(Ts(at))
            .execute(&mut *uow.tx),
        )
        .await?;
        Ok(())
    }
}

/// A link's status as its `status` and `status_at` columns store it.
pub(crate) fn status_to_db(status: InvitationStatus) -> (&'static str, Option<OffsetDateTime>) {
    match status {
        InvitationStatus::Pending => ("pending", None),
        InvitationStatus::Used(at) => ("used", Some(at)),
        InvitationStatus::Superseded(at) => ("superseded", Some(at)),
    }
}

/// The link's status from `row`'s `status` and `status_at`; `what` names it in the error
/// when they do not match.
fn status_from(row: &SqliteRow, what: &str) -> Result<InvitationStatus, StoreError> {
    let status: String = get(row, "status")?;
    let status_at = get::<Option<Ts>>(row, "status_at")?.map(|t| t.0);
    match (status.as_str(), status_at) {
        ("pending", None) => Ok(InvitationStatus::Pending),
        ("used", Some(at)) => Ok(InvitationStatus::Used(at)),
        ("superseded", Some(at)) => Ok(InvitationStatus::Superseded(at)),
        (other, _) => Err(unreadable(what, other)),
    }
}

/// One `invitations` row (of [`INVITATION_COLUMNS`]) as the core's invitation.
pub(crate) fn invitation_from(row: &SqliteRow) -> Result<Invitation, StoreError> {
    let entered: String = get(row, "email_entered")?;
    let status = status_from(row, "invitation status")?;
    Ok(Invitation {
        id: InvitationId(get(row, "id")?),
        email: email(&entered)?,
        roles: get::<Json<Vec<Role>>>(row, "roles")?.0,
        invited_by: get::<Json<Grantor>>(row, "invited_by")?.0,
        token_hash: TokenHash(hash32(get(row, "token_hash")?, "token hash")?),
        created_at: get::<Ts>(row, "created_at")?.0,
        expires_at: get::<Ts>(row, "expires_at")?.0,
        status,
    })
}

fn reset_from(row: &SqliteRow) -> Result<PasswordReset, StoreError> {
    let status = status_from(row, "password reset status")?;
    Ok(PasswordReset {
        account: AccountId(get(row, "account_id")?),
        token_hash: TokenHash(hash32(get(row, "token_hash")?, "token hash")?),
        created_at: get::<Ts>(row, "created_at")?.0,
        expires_at: get::<Ts>(row, "expires_at")?.0,
        status,
    })
}

fn email_change_from(row: &SqliteRow) -> Result<EmailChange, StoreError> {
    let entered: String = get(row, "new_email_entered")?;
    let status = status_from(row, "e-mail change status")?;
    Ok(EmailChange {
        account: AccountId(get(row, "account_id")?),
        new_email: email(&entered)?,
        token_hash: TokenHash(hash32(get(row, "token_hash")?, "token hash")?),
        created_at: get::<Ts>(row, "created_at")?.0,
        expires_at: get::<Ts>(row, "expires_at")?.0,
        status,
    })
}
