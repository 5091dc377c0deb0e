//! E-mail alerts about cases, sent straight away or gathered into one daily digest, as each
//! person prefers.
//!
//! Every case alert goes through [`queue_case_alert`]: it reads the person's
//! [`AlertPreference`] and either queues the e-mail in the outbox at once or parks the alert
//! until the next digest. [`DigestService::send_digests`] turns everything parked before a
//! cut-off instant into one e-mail per person ([`MessageContent::CaseDigest`]). Like every alert,
//! a digest names cases only by their LA reference: there is no field for a child's details.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use crate::account::{Account, AccountId};
use crate::outbox::{CaseUpdate, DigestEntry, MessageContent, MessageId, OutboxMessage, Recipient};
use crate::ports::{RandomnessUnavailable, SecretSource, Store, StoreError, UnitOfWork};

/// How a person wants case alerts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AlertPreference {
    /// One e-mail for each alert, as it happens (the default).
    #[default]
    Immediately,
    /// One e-mail a day listing every alert since the last one.
    DailyDigest,
}

impl AlertPreference {
    /// Stable storage and form name: `immediately` or `daily-digest`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Immediately => "immediately",
            Self::DailyDigest => "daily-digest",
        }
    }

    /// The preference named by [`Self::as_str`]; `None` for anything else.
    pub fn parse(name: &str) -> Option<Self> {
        [Self::Immediately, Self::DailyDigest]
            .into_iter()
            .find(|p| p.as_str() == name)
    }
}

/// An alert waiting for its person's next digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkedAlert {
    /// Identifier (random).
    pub id: MessageId,
    /// Whose digest it goes in.
    pub account: AccountId,
    /// The case's LA reference, e.g. `EHC-2026-0042`.
    pub case_reference: String,
    /// What happened.
    pub update: CaseUpdate,
    /// When it happened.
    pub created_at: OffsetDateTime,
}

/// Stores alert preferences and parked alerts.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait AlertRepository: Send {
    /// The person's preference; [`AlertPreference::Immediately`] when none was ever chosen.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn preference(&mut self, account: AccountId) -> Result<AlertPreference, StoreError>;

    /// Records the person's preference (replacing any earlier one).
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn set_preference(
        &mut self,
        account: AccountId,
        preference: AlertPreference,
        now: OffsetDateTime,
    ) -> Result<(), StoreError>;

    /// Parks an alert until the person's next digest.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    async fn park(&mut self, alert: &ParkedAlert) -> Result<(), StoreError>;

    /// Removes and returns every alert parked before `before` for at most `accounts` people
    /// (all of each person's alerts, oldest first, grouped by person). A concurrent caller
    /// never receives the same alert (PostgreSQL: the rows are deleted under their locks).
    ///
    /// # Errors
    /// [`StoreError`] on a fault; nothing is removed then.
    async fn take_parked(
        &mut self,
        before: OffsetDateTime,
        accounts: u32,
    ) -> Result<Vec<ParkedAlert>, StoreError>;
}

/// Why an alert could not be queued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlertError {
    /// No secure random id could be had for the message.
    #[error(transparent)]
    Randomness(#[from] RandomnessUnavailable),
    /// A storage fault.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Queues an alert about a case to `account`, in the caller's unit of work: an e-mail in the
/// outbox now, or a parked alert for the next digest, as the person prefers.
///
/// # Errors
/// [`AlertError`] on a storage fault or missing randomness; the caller's unit of work should
/// then be dropped.
pub async fn queue_case_alert(
    tx: &mut dyn UnitOfWork,
    secrets: &dyn SecretSource,
    account: &Account,
    case_reference: &str,
    update: CaseUpdate,
    now: OffsetDateTime,
) -> Result<(), AlertError> {
    match tx.alerts().preference(account.id).await? {
        AlertPreference::Immediately => {
            email_case_update(tx, secrets, &account.email, case_reference, update, now).await?;
        }
        AlertPreference::DailyDigest => {
            tx.alerts()
                .park(&ParkedAlert {
                    id: MessageId::generate(secrets)?,
                    account: account.id,
                    case_reference: case_reference.to_owned(),
                    update,
                    created_at: now,
                })
                .await?;
        }
    }
    Ok(())
}

/// Queues the `case_update` e-mail of `update` to `email` now, in the caller's unit of work
/// (whatever the person's preference: [`queue_case_alert`] asks it first).
///
/// # Errors
/// [`AlertError`] on a storage fault or missing randomness.
pub(crate) async fn email_case_update(
    tx: &mut dyn UnitOfWork,
    secrets: &dyn SecretSource,
    email: &crate::account::EmailAddress,
    case_reference: &str,
    update: CaseUpdate,
    now: OffsetDateTime,
) -> Result<(), AlertError> {
    tx.outbox()
        .enqueue(&OutboxMessage {
            id: MessageId::generate(secrets)?,
            recipient: Recipient::Email(email.clone()),
            content: MessageContent::CaseUpdate {
                case_reference: case_reference.to_owned(),
                update,
            },
            created_at: now,
        })
        .await?;
    Ok(())
}

/// What one run of [`DigestService::send_digests`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DigestReport {
    /// Digest e-mails queued (one per person).
    pub digests: u32,
    /// Alerts they carried.
    pub alerts: u32,
    /// Parked alerts dropped because their account no longer exists.
    pub dropped: u32,
}

/// Sends the daily digests.
#[derive(Debug, Clone)]
pub struct DigestService<S, R> {
    store: S,
    secrets: R,
}

/// People handled per unit of work by [`DigestService::send_digests`].
const ACCOUNTS_PER_BATCH: u32 = 100;

impl<S: Store, R: SecretSource> DigestService<S, R> {
    /// A service on these ports.
    pub fn new(store: S, secrets: R) -> Self {
        Self { store, secrets }
    }

    /// Queues one digest e-mail per person with every alert parked before `cutoff` (the hub
    /// passes the latest 07:00 in Europe/London), in batches of 100 people, each batch in its
    /// own unit of work: the alerts leave the park in the same transaction as their digest
    /// enters the outbox, so each alert is sent once even with several hub processes.
    ///
    /// # Errors
    /// [`AlertError`] on a fault; batches already committed stay sent.
    pub async fn send_digests(
        &self,
        cutoff: OffsetDateTime,
        now: OffsetDateTime,
    ) -> Result<DigestReport, AlertError> {
        let mut report = DigestReport::default();
        loop {
            let mut tx = self.store.begin().await?;
            let parked = tx.alerts().take_parked(cutoff, ACCOUNTS_PER_BATCH).await?;
            if parked.is_empty() {
                return Ok(report);
            }
            let mut people: Vec<(AccountId, Vec<DigestEntry>)> = Vec::new();
            for alert in parked {
                let entry = DigestEntry {
                    case_reference: alert.case_reference,
                    update: alert.update,
                    at: alert.created_at,
                };
                match people.iter_mut().find(|(id, _)| *id == alert.account) {
                    Some((_, entries)) => entries.push(entry),
                    None => people.push((alert.account, vec![entry])),
                }
            }
            for (id, entries) in people {
                let count = u32::try_from(entries.len()).unwrap_or(u32::MAX);
                let Some(account) = tx.accounts().get(id).await? else {
                    report.dropped = report.dropped.saturating_add(count);
                    continue;
                };
                tx.outbox()
                    .enqueue(&OutboxMessage {
                        id: MessageId::generate(&self.secrets)?,
                        recipient: Recipient::Email(account.email),
                        content: MessageContent::CaseDigest { entries },
                        created_at: now,
                    })
                    .await?;
                report.digests += 1;
                report.alerts = report.alerts.saturating_add(count);
            }
            tx.commit().await?;
        }
    }

    /// The person's preference.
    ///
    /// # Errors
    /// [`StoreError`] on a fault.
    pub async fn preference(&self, account: AccountId) -> Result<AlertPreference, StoreError> {
        let mut tx = self.store.begin().await?;
        tx.alerts().preference(account).await
    }

    /// Records the person's preference. Alerts already parked still go in the next digest.
    ///
    /// # Errors
    /// [`StoreError`] on a fault; nothing is changed then.
    pub async fn set_preference(
        &self,
        account: AccountId,
        preference: AlertPreference,
        now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        let mut tx = self.store.begin().await?;
        tx.alerts().set_preference(account, preference, now).await?;
        tx.commit().await
    }
}
