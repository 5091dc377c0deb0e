//! *About Me* and *My Parent / Carer's Views*: the family writes, puts in order and takes out;
//! every participant reads; nothing is ever deleted, and a refused change changes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ehc_core::account::{Account, AccountId, EmailAddress};
use ehc_core::case::views::{Direction, FamilyViews, MAX_VIEW_TEXT, ViewContent, ViewSpace};
use ehc_core::case::{
    CaseError, CaseId, CaseService, CaseServiceError, NewCase, ReceivedBy, ViewChange,
};
use ehc_core::password::PasswordHash;
use ehc_core::ports::Store;
use ehc_core::role::{GrantId, Grantor, Role, RoleGrant, Urn};
use ehc_core::settings::SecuritySettings;
use ehc_core::test_support::{InMemoryStore, SeededSecretSource};
use std::sync::Arc;
use time::OffsetDateTime;
use time::macros::{date, datetime};
use uuid::Uuid;

const NOW: OffsetDateTime = datetime!(2026-03-02 10:00 UTC);

fn id(n: u128) -> AccountId {
    AccountId(Uuid::from_u128(n))
}

fn texts(views: &FamilyViews, space: ViewSpace) -> Vec<String> {
    views
        .shown(space)
        .map(|i| match &i.content {
            ViewContent::Text { text } => text.clone(),
            ViewContent::Document { title, .. } => title.clone(),
        })
        .collect()
}

#[test]
fn items_keep_the_authors_order_and_moves_skip_items_taken_out() {
    let mut v = FamilyViews::default();
    let a = v
        .add_text(ViewSpace::AboutMe, "I like trains", id(1), NOW)
        .unwrap();
    let b = v
        .add_text(ViewSpace::AboutMe, "Loud rooms are hard", id(1), NOW)
        .unwrap();
    let c = v
        .add_text(ViewSpace::AboutMe, "I want to be a vet", id(2), NOW)
        .unwrap();
    assert_eq!(texts(&v, ViewSpace::AboutMe).len(), 3);
    assert!(texts(&v, ViewSpace::ParentCarer).is_empty());

    v.move_item(ViewSpace::AboutMe, c, Direction::Up).unwrap();
    assert_eq!(
        texts(&v, ViewSpace::AboutMe),
        ["I like trains", "I want to be a vet", "Loud rooms are hard"]
    );
    // The first up and the last down change nothing.
    v.move_item(ViewSpace::AboutMe, a, Direction::Up).unwrap();
    v.move_item(ViewSpace::AboutMe, b, Direction::Down).unwrap();
    assert_eq!(
        texts(&v, ViewSpace::AboutMe),
        ["I like trains", "I want to be a vet", "Loud rooms are hard"]
    );
    // Taken out: hidden but kept; moving past it swaps with the next shown item.
    v.remove(ViewSpace::AboutMe, c, id(2), NOW).unwrap();
    assert_eq!(
        texts(&v, ViewSpace::AboutMe),
        ["I like trains", "Loud rooms are hard"]
    );
    assert_eq!(v.about_me.len(), 3);
    assert_eq!(
        v.about_me.iter().find(|i| i.id == c).unwrap().removed,
        Some((id(2), NOW))
    );
    v.move_item(ViewSpace::AboutMe, b, Direction::Up).unwrap();
    assert_eq!(
        texts(&v, ViewSpace::AboutMe),
        ["Loud rooms are hard", "I like trains"]
    );
    // A removed item or one of the other space cannot be moved or removed again.
    assert!(matches!(
        v.move_item(ViewSpace::AboutMe, c, Direction::Up),
        Err(CaseError::OutOfOrder(_))
    ));
    assert!(matches!(
        v.remove(ViewSpace::ParentCarer, a, id(1), NOW),
        Err(CaseError::OutOfOrder(_))
    ));
    // Numbers are never reused.
    let d = v
        .add_text(ViewSpace::ParentCarer, "He sleeps badly", id(1), NOW)
        .unwrap();
    assert!(d > c);
}

#[test]
fn empty_or_too_long_text_is_refused_and_line_breaks_are_kept() {
    let mut v = FamilyViews::default();
    assert_eq!(
        v.add_text(ViewSpace::AboutMe, " \u{200b}\n ", id(1), NOW),
        Err(CaseError::Missing("what you want to say"))
    );
    let long = "a".repeat(MAX_VIEW_TEXT + 1);
    assert!(matches!(
        v.add_text(ViewSpace::AboutMe, &long, id(1), NOW),
        Err(CaseError::TooLong {
            max: MAX_VIEW_TEXT,
            ..
        })
    ));
    assert!(v.about_me.is_empty());
    v.add_text(ViewSpace::AboutMe, &"a".repeat(MAX_VIEW_TEXT), id(1), NOW)
        .unwrap();
    v.add_text(ViewSpace::AboutMe, "Line one\nLine two\u{7}", id(1), NOW)
        .unwrap();
    assert_eq!(texts(&v, ViewSpace::AboutMe)[1], "Line one\nLine two");
}

struct World {
    store: InMemoryStore,
    cases: CaseService<InMemoryStore, Arc<SeededSecretSource>>,
}

impl World {
    async fn new() -> (Self, CaseId) {
        let store = InMemoryStore::new();
        let cases = CaseService::new(
            store.clone(),
            Arc::new(SeededSecretSource::new(5)),
            SecuritySettings::default(),
        );
        let w = Self { store, cases };
        w.person(1, Role::LaOfficer).await;
        let case = w
            .cases
            .create(
                id(1),
                NewCase {
                    la_reference: "EHC-2026-0100".into(),
                    given_name: "Ava".into(),
                    family_name: "Thornbury".into(),
                    date_of_birth: date!(2019 - 05 - 01),
                    received_on: date!(2026 - 01 - 05),
                    received_by: ReceivedBy::Post,
                    settings: vec![Urn::parse("100001").unwrap()],
                },
                NOW,
                date!(2026 - 03 - 02),
                None,
            )
            .await
            .unwrap();
        w.person(2, Role::ParentCarer { case }).await;
        w.person(
            3,
            Role::Sendco {
                setting: Urn::parse("100001").unwrap(),
            },
        )
        .await;
        w.person(4, Role::Contributor { case }).await;
        w.person(5, Role::Advocate { for_person: id(2) }).await;
        w.person(
            6,
            Role::ParentCarer {
                case: CaseId(Uuid::from_u128(77)),
            },
        )
        .await;
        (w, case)
    }

    async fn person(&self, n: u128, role: Role) {
        let mut tx = self.store.begin().await.unwrap();
        tx.accounts()
            .insert(&Account {
                id: id(n),
                email: EmailAddress::parse(&format!("p{n}@example.com")).unwrap(),
                password_hash: PasswordHash::from_phc("$argon2id$unused"),
                created_at: NOW,
            })
            .await
            .unwrap();
        tx.grants()
            .insert(&RoleGrant {
                id: GrantId(Uuid::from_u128(1000 + n)),
                account: id(n),
                role,
                granted_by: Grantor::System,
                granted_at: NOW,
                expires_at: None,
                revoked: None,
            })
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }

    async fn change(
        &self,
        who: u128,
        case: CaseId,
        change: ViewChange,
    ) -> Result<(), CaseServiceError> {
        self.cases
            .change_views(id(who), case, ViewSpace::ParentCarer, change, NOW, None)
            .await
    }

    async fn views(&self, case: CaseId) -> FamilyViews {
        self.cases
            .view(id(1), case, NOW, None)
            .await
            .unwrap()
            .case
            .views
    }
}

#[test]
fn the_family_and_their_advocate_write_and_nobody_else_does() {
    pollster::block_on(async {
        let (w, case) = World::new().await;
        w.change(2, case, ViewChange::AddText("He loves swimming".into()))
            .await
            .unwrap();
        w.change(5, case, ViewChange::AddText("Written with his mum".into()))
            .await
            .unwrap();
        assert_eq!(
            texts(&w.views(case).await, ViewSpace::ParentCarer),
            ["He loves swimming", "Written with his mum"]
        );
        let before = w.views(case).await;
        // The LA and a linked setting's SENDCo read but may not write; a contributor and a
        // parent of another case do not see the case at all.
        for (who, expected) in [
            (1, "NotAllowed"),
            (3, "NotAllowed"),
            (4, "NotFound"),
            (6, "NotFound"),
        ] {
            let refused = w
                .change(who, case, ViewChange::AddText("Not mine".into()))
                .await;
            assert!(
                format!("{refused:?}").contains(expected),
                "{who}: {refused:?}"
            );
        }
        assert_eq!(w.views(case).await, before);
        let sendco = w.cases.view(id(3), case, NOW, None).await.unwrap();
        assert_eq!(texts(&sendco.case.views, ViewSpace::ParentCarer).len(), 2);
    });
}

#[test]
fn each_change_is_on_the_timeline_without_the_words_and_a_bad_one_changes_nothing() {
    pollster::block_on(async {
        let (w, case) = World::new().await;
        w.change(2, case, ViewChange::AddText("Private words".into()))
            .await
            .unwrap();
        let item = w.views(case).await.parent_carer[0].id;
        w.change(2, case, ViewChange::Remove(item)).await.unwrap();
        let view = w.cases.view(id(3), case, NOW, None).await.unwrap();
        let said: Vec<&str> = view.timeline.iter().map(|t| t.what.as_str()).collect();
        assert!(
            said.contains(&"Text added to My Parent / Carer's Views"),
            "{said:?}"
        );
        assert!(
            said.contains(&"An item taken out of My Parent / Carer's Views"),
            "{said:?}"
        );
        assert!(!said.iter().any(|s| s.contains("Private words")));

        let before = w.views(case).await;
        let empty = w.change(2, case, ViewChange::AddText("   ".into())).await;
        assert!(matches!(
            empty,
            Err(CaseServiceError::Invalid(CaseError::Missing(_)))
        ));
        let again = w.change(2, case, ViewChange::Remove(item)).await;
        assert!(matches!(
            again,
            Err(CaseServiceError::Invalid(CaseError::OutOfOrder(_)))
        ));
        assert_eq!(w.views(case).await, before);
    });
}
