//! The in-memory [`SettingRepository`]: settings in a map ordered by URN, searched with the
//! core's [`search_key`] as the database adapters are.

use async_trait::async_trait;

use super::MemoryUnitOfWork;
use crate::ports::StoreError;
use crate::setting::{EducationSetting, SettingRepository, UpsertOutcome, Urn, search_key};

#[async_trait]
impl SettingRepository for MemoryUnitOfWork {
    async fn upsert(&mut self, setting: &EducationSetting) -> Result<UpsertOutcome, StoreError> {
        Ok(
            match self.working.settings.insert(setting.urn, setting.clone()) {
                None => UpsertOutcome::Inserted,
                Some(_) => UpsertOutcome::Updated,
            },
        )
    }

    async fn get(&mut self, urn: Urn) -> Result<Option<EducationSetting>, StoreError> {
        Ok(self.working.settings.get(&urn).cloned())
    }

    async fn get_many(&mut self, urns: &[Urn]) -> Result<Vec<EducationSetting>, StoreError> {
        let mut wanted = urns.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        Ok(wanted
            .iter()
            .filter_map(|urn| self.working.settings.get(urn).cloned())
            .collect())
    }

    async fn search(
        &mut self,
        query: &str,
        limit: u32,
    ) -> Result<Vec<EducationSetting>, StoreError> {
        let query = query.trim();
        if query.is_empty() {
            return Ok(Vec::new());
        }
        let by_urn = Urn::parse(query)
            .ok()
            .and_then(|urn| self.working.settings.get(&urn));
        let folded = search_key(query);
        let mut by_name: Vec<(String, &EducationSetting)> = self
            .working
            .settings
            .values()
            .filter(|s| Some(s.urn) != by_urn.map(|u| u.urn))
            .map(|s| (search_key(&s.name), s))
            .filter(|(key, _)| key.contains(&folded))
            .collect();
        by_name.sort_by(|(a, x), (b, y)| a.cmp(b).then(x.urn.cmp(&y.urn)));
        Ok(by_urn
            .into_iter()
            .chain(by_name.into_iter().map(|(_, s)| s))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .cloned()
            .collect())
    }

    async fn count(&mut self) -> Result<u64, StoreError> {
        Ok(self.working.settings.len() as u64)
    }
}
