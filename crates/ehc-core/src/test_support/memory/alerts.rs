//! The in-memory [`AlertRepository`].

use async_trait::async_trait;
use time::OffsetDateTime;

use super::MemoryUnitOfWork;
use crate::account::AccountId;
use crate::alert::{AlertPreference, AlertRepository, ParkedAlert};
use crate::ports::StoreError;

#[async_trait]
impl AlertRepository for MemoryUnitOfWork {
    async fn preference(&mut self, account: AccountId) -> Result<AlertPreference, StoreError> {
        Ok(self
            .working
            .alert_preferences
            .get(&account)
            .copied()
            .unwrap_or_default())
    }

    async fn set_preference(
        &mut self,
        account: AccountId,
        preference: AlertPreference,
        _now: OffsetDateTime,
    ) -> Result<(), StoreError> {
        self.working.alert_preferences.insert(account, preference);
        Ok(())
    }

    async fn park(&mut self, alert: &ParkedAlert) -> Result<(), StoreError> {
        self.working.parked_alerts.push(alert.clone());
        Ok(())
    }

    async fn take_parked(
        &mut self,
        before: OffsetDateTime,
        accounts: u32,
    ) -> Result<Vec<ParkedAlert>, StoreError> {
        let mut chosen: Vec<AccountId> = Vec::new();
        for alert in &self.working.parked_alerts {
            if alert.created_at < before
                && !chosen.contains(&alert.account)
                && chosen.len() < accounts as usize
            {
                chosen.push(alert.account);
            }
        }
        let (mut taken, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.working.parked_alerts)
            .into_iter()
            .partition(|a| a.created_at < before && chosen.contains(&a.account));
        self.working.parked_alerts = kept;
        taken.sort_by_key(|a| (a.account, a.created_at));
        Ok(taken)
    }
}
