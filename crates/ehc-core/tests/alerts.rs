//! E-mail alerts and daily digests on the in-memory store: each person's preference decides
//! whether an alert is e-mailed now or parked, and a digest run sends everything parked before
//! its cut-off once, one e-mail per person.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ehc_core::account::{Account, AccountId, EmailAddress};
use ehc_core::alert::{AlertPreference, DigestReport, DigestService, queue_case_alert};
use ehc_core::outbox::{CaseUpdate, MessageContent, Recipient};
use ehc_core::password::PasswordHash;
use ehc_core::ports::Store;
use ehc_core::test_support::{InMemoryStore, SeededSecretSource};
use std::sync::Arc;
use time::OffsetDateTime;
use time::macros::datetime;
use uuid::Uuid;

const MORNING: OffsetDateTime = datetime!(2026-12-01 07:00 UTC);

fn stage(name: &str) -> CaseUpdate {
    CaseUpdate::StageReached {
        stage: name.to_owned(),
    }
}

struct World {
    store: InMemoryStore,
    secrets: Arc<SeededSecretSource>,
    digests: DigestService<InMemoryStore, Arc<SeededSecretSource>>,
}

impl World {
    fn new() -> Self {
        let store = InMemoryStore::new();
        let secrets = Arc::new(SeededSecretSource::new(11));
        let digests = DigestService::new(store.clone(), secrets.clone());
        Self {
            store,
            secrets,
            digests,
        }
    }

    async fn person(&self, n: u128, email: &str, preference: AlertPreference) -> Account {
        let account = Account {
            id: AccountId(Uuid::from_u128(n)),
            email: EmailAddress::parse(email).unwrap(),
            password_hash: PasswordHash::from_phc("$argon2id$unused"),
            created_at: MORNING,
        };
        let mut tx = self.store.begin().await.unwrap();
        tx.accounts().insert(&account).await.unwrap();
        tx.commit().await.unwrap();
        self.digests
            .set_preference(account.id, preference, MORNING)
            .await
            .unwrap();
        account
    }

    async fn alert(&self, to: &Account, reference: &str, update: CaseUpdate, at: OffsetDateTime) {
        let mut tx = self.store.begin().await.unwrap();
        queue_case_alert(&mut *tx, &*self.secrets, to, reference, update, at)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }

    async fn messages_to(&self, email: &str) -> Vec<MessageContent> {
        self.store
            .outbox_messages()
            .await
            .into_iter()
            .filter(|m| m.recipient == Recipient::Email(EmailAddress::parse(email).unwrap()))
            .map(|m| m.content)
            .collect()
    }
}

#[test]
fn a_person_who_never_chose_gets_each_alert_straight_away() {
    pollster::block_on(async {
        let w = World::new();
        let account = Account {
            id: AccountId(Uuid::from_u128(9)),
            email: EmailAddress::parse("parent@example.com").unwrap(),
            password_hash: PasswordHash::from_phc("$argon2id$unused"),
            created_at: MORNING,
        };
        let mut tx = w.store.begin().await.unwrap();
        tx.accounts().insert(&account).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            w.digests.preference(account.id).await.unwrap(),
            AlertPreference::Immediately
        );
        w.alert(&account, "EHC-2026-0001", stage("Assessment"), MORNING)
            .await;
        assert_eq!(
            w.messages_to("parent@example.com").await,
            vec![MessageContent::CaseUpdate {
                case_reference: "EHC-2026-0001".to_owned(),
                update: stage("Assessment"),
            }]
        );
    });
}

#[test]
fn digest_alerts_wait_for_the_next_digest_then_go_in_one_email_each_once() {
    pollster::block_on(async {
        let w = World::new();
        let now_person = w
            .person(1, "sendco@school.example", AlertPreference::Immediately)
            .await;
        let daily = w
            .person(2, "parent@example.com", AlertPreference::DailyDigest)
            .await;
        let other_daily = w
            .person(3, "carer@example.com", AlertPreference::DailyDigest)
            .await;
        let evening = datetime!(2026-12-01 18:00 UTC);
        w.alert(&now_person, "EHC-1", stage("Assessment"), evening)
            .await;
        w.alert(&daily, "EHC-1", stage("Assessment"), evening).await;
        w.alert(
            &daily,
            "EHC-2",
            CaseUpdate::DocumentAdded {
                kind: "Educational psychology advice".to_owned(),
            },
            evening + time::Duration::hours(1),
        )
        .await;
        w.alert(&other_daily, "EHC-2", stage("Draft plan"), evening)
            .await;

        // The immediate person has theirs; the digest people nothing yet.
        assert_eq!(w.messages_to("sendco@school.example").await.len(), 1);
        assert!(w.messages_to("parent@example.com").await.is_empty());

        // A run whose cut-off is before the alerts sends nothing.
        let report = w.digests.send_digests(MORNING, evening).await.unwrap();
        assert_eq!(report, DigestReport::default());
        assert!(w.messages_to("parent@example.com").await.is_empty());

        // The next morning's run sends one digest per person, with all their alerts in order.
        let next_morning = datetime!(2026-12-02 07:00 UTC);
        let report = w
            .digests
            .send_digests(next_morning, next_morning)
            .await
            .unwrap();
        assert_eq!(
            report,
            DigestReport {
                digests: 2,
                alerts: 3,
                dropped: 0
            }
        );
        let parent = w.messages_to("parent@example.com").await;
        let [MessageContent::CaseDigest { entries }] = parent.as_slice() else {
            panic!("one digest expected, got {parent:?}");
        };
        let references: Vec<&str> = entries.iter().map(|e| e.case_reference.as_str()).collect();
        assert_eq!(references, ["EHC-1", "EHC-2"]);
        assert_eq!(w.messages_to("carer@example.com").await.len(), 1);

        // Run again: nothing left to send.
        let again = w
            .digests
            .send_digests(next_morning, next_morning)
            .await
            .unwrap();
        assert_eq!(again.digests, 0);
        assert_eq!(w.messages_to("parent@example.com").await.len(), 1);
    });
}

#[test]
fn changing_back_to_straight_away_still_sends_what_was_parked_in_the_next_digest() {
    pollster::block_on(async {
        let w = World::new();
        let person = w
            .person(1, "parent@example.com", AlertPreference::DailyDigest)
            .await;
        w.alert(&person, "EHC-1", stage("Assessment"), MORNING)
            .await;
        w.digests
            .set_preference(person.id, AlertPreference::Immediately, MORNING)
            .await
            .unwrap();
        w.alert(&person, "EHC-1", stage("Draft plan"), MORNING)
            .await;
        assert_eq!(w.messages_to("parent@example.com").await.len(), 1);
        let later = MORNING + time::Duration::days(1);
        let report = w.digests.send_digests(later, later).await.unwrap();
        assert_eq!(report.alerts, 1);
        assert_eq!(w.messages_to("parent@example.com").await.len(), 2);
    });
}

#[test]
fn preferences_are_named_for_storage_and_forms_and_nothing_else_parses() {
    for p in [AlertPreference::Immediately, AlertPreference::DailyDigest] {
        assert_eq!(AlertPreference::parse(p.as_str()), Some(p));
    }
    assert_eq!(AlertPreference::parse("weekly"), None);
    assert_eq!(AlertPreference::parse(""), None);
}
